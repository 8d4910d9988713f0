//! The guest scripts of `guest-scripts/`, end to end on riscv64, under
//! both engines and every write path that matters to them.

mod machine_support;

use bohr_emu::arch::Arch;
use bohr_emu::events::Event;
use bohr_emu::machine::WritePath;
use machine_support::*;

#[test]
fn mtd_readback_finds_the_magic_on_every_write_path() {
    for engine in ENGINES {
        let mut cat_insns = Vec::new();
        for wp in WritePath::ALL {
            let o = run(&cell(Arch::Riscv64, engine, wp), &script("mtd_readback"));
            let ctx = format!("{engine} {wp}\n{}", guest_view(&o));
            assert_eq!(o.exit_code, 0, "{ctx}");
            assert_eq!(stdout(&o), format!("{MAGIC}\n"), "{ctx}");
            assert_eq!(stderr(&o), "", "{ctx}");
            assert!(o.events.is_empty(), "{ctx}");
            let names: Vec<&str> = o.processes.iter().map(|p| p.name.as_str()).collect();
            assert_eq!(names, ["cat", "strings", "grep"], "{ctx}");
            assert!(o.processes.iter().all(|p| p.status == Some(0)), "{ctx}");
            cat_insns.push(o.processes[0].insns);
        }
        let [host, portal, checked] = cat_insns[..] else { unreachable!() };
        // The host and checked paths run no guest code to deliver bytes;
        // the portal stub copies 1 MiB with guest instructions.
        assert_eq!(host, checked, "{engine}");
        assert!(portal > host + 100_000, "{engine}: portal {portal} host {host}");
    }
}

#[test]
fn mtd_proc_finds_the_partition_and_its_geometry() {
    for engine in ENGINES {
        let o = run(&riscv(engine), &script("mtd_proc"));
        assert_eq!(o.exit_code, 0, "{}", guest_view(&o));
        assert_eq!(
            stdout(&o),
            "mtd0: 00100000 00010000 \"firmware\"\n\
             type 3\nflags 0xc00\nsize 1048576\nerasesize 65536\nwritesize 1\noobsize 0\n"
        );
    }
}

#[test]
fn mtd_badbuf_shows_the_write_paths_apart() {
    let expected = |code_and_rodata: &str| {
        format!(
            "badbuf stack: read=64\nbadbuf code: read={code_and_rodata}\n\
             badbuf rodata: read={code_and_rodata}\nbadbuf unmapped: read=-1 errno=EFAULT\n"
        )
    };
    for engine in ENGINES {
        for wp in WritePath::ALL {
            let o = run(&cell(Arch::Riscv64, engine, wp), &script("mtd_badbuf"));
            let ctx = format!("{engine} {wp}\n{}", guest_view(&o));
            assert_eq!(o.exit_code, 0, "{ctx}");
            let host_writes: Vec<(u32, u64)> = o
                .events
                .iter()
                .filter_map(|e| match e {
                    Event::HostWriteCodePage { pid, len, .. }
                    | Event::HostWriteReadOnly { pid, len, .. } => Some((*pid, *len)),
                    _ => None,
                })
                .collect();
            match wp {
                WritePath::Host => {
                    assert_eq!(stdout(&o), expected("64"), "{ctx}");
                    // The `code` run (pid 3) writes into its own code page
                    // and the event log says so; so does `rodata` (pid 4).
                    assert!(
                        o.events
                            .iter()
                            .any(|e| matches!(e, Event::HostWriteCodePage { pid: 3, len: 64, .. })),
                        "{ctx}"
                    );
                    assert_eq!(host_writes, [(3, 64), (4, 64)], "{ctx}");
                }
                WritePath::Portal | WritePath::Checked => {
                    assert_eq!(stdout(&o), expected("-1 errno=EFAULT"), "{ctx}");
                    assert!(host_writes.is_empty(), "{ctx}");
                }
            }
        }
    }
}

#[test]
fn pipe_stress_moves_ten_megabytes_and_handles_early_readers() {
    for engine in ENGINES {
        let o = run(&riscv(engine), &script("pipe_stress"));
        let ctx = guest_view(&o);
        assert_eq!(o.exit_code, 0, "{ctx}");
        assert_eq!(
            stdout(&o),
            "10000000\npipe\npipe\npipe\n600000\nyes after its reader quit: 141\n",
            "{ctx}"
        );
        assert_eq!(stderr(&o), "", "{ctx}");
        // `yes` died of SIGPIPE each time; `head` and `wc` exited normally.
        let yes: Vec<Option<i32>> =
            o.processes.iter().filter(|p| p.name == "yes").map(|p| p.status).collect();
        assert_eq!(yes, [Some(141); 3], "{ctx}");
        assert!(o.stopped.is_none());
    }
}

#[test]
fn smc_invalidates_the_patched_code() {
    for engine in ENGINES {
        let o = run(&riscv(engine), &script("smc"));
        let ctx = guest_view(&o);
        assert_eq!(stdout(&o), "smc first=42\nsmc second=1337\n", "{ctx}");
        assert!(
            o.events.iter().any(
                |e| matches!(e, Event::BlocksInvalidated { pid: 2, blocks, .. } if *blocks >= 1)
            ),
            "{ctx}"
        );
    }
}

#[test]
fn every_script_parses() {
    for name in ["mtd_readback", "mtd_proc", "mtd_badbuf", "pipe_stress", "smc"] {
        bohr_emu::machine::parse_script(name, &script(name)).unwrap();
    }
}
