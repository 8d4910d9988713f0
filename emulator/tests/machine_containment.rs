//! Containment of hostile guests: a cell's memory budget, task limit and
//! file quota end runaway programs with Linux's errors (`ENOMEM`, `EAGAIN`,
//! `ENOSPC`) and a clean result, and the outcome records which limit was
//! reached.

mod machine_support;

use bohr_emu::arch::Arch;
use bohr_emu::engine::EngineKind;
use bohr_emu::events::Event;
use bohr_emu::machine::{MachineConfig, WritePath};
use machine_support::*;

const MIB: u64 = 1 << 20;

fn bomb_cell(arch: Arch, engine: EngineKind) -> MachineConfig {
    cell(arch, engine, WritePath::Host)
}

fn limit_events(o: &bohr_emu::machine::Outcome) -> Vec<(&'static str, u64)> {
    o.events
        .iter()
        .filter_map(|e| match e {
            Event::LimitReached { resource, limit, .. } => Some((*resource, *limit)),
            _ => None,
        })
        .collect()
}

#[test]
fn mmapbomb_gets_enomem_at_the_budget_on_every_arch_and_engine() {
    let mut views = Vec::new();
    for arch in Arch::ALL {
        for engine in ENGINES {
            let mut cfg = bomb_cell(arch, engine);
            cfg.limits.memory = 256 * MIB;
            let o = run(&cfg, "mmapbomb");
            let what = format!("{arch}/{engine}: {}{}", stderr(&o), events(&o));
            assert_eq!(o.exit_code, 0, "{what}");
            // The 8 MiB stack and the image come first: three 64 MiB
            // pieces fit in 256 MiB, a fourth does not.
            assert_eq!(
                stdout(&o),
                "mmapbomb: mapped and touched 192 MiB, then mmap failed with ENOMEM\n",
                "{what}"
            );
            assert_eq!(limit_events(&o), [("memory", 256 * MIB)], "{what}");
            assert!(o.limits.memory_peak <= 256 * MIB && o.limits.memory_peak > 200 * MIB);
            assert_eq!(o.limits.refused[0], 1, "{what}");
            assert!(o.limits.hit());
            views.push((arch, guest_view(&o)));
        }
    }
    // Both engines give the same run.
    for pair in views.chunks(2) {
        assert_eq!(pair[0].1, pair[1].1, "{}", pair[0].0);
    }
}

#[test]
fn two_mmapbombs_share_one_budget() {
    let mut cfg = bomb_cell(Arch::Riscv64, EngineKind::Jit);
    cfg.limits.memory = 200 * MIB;
    let o = run(&cfg, "mmapbomb | mmapbomb");
    assert_eq!(o.exit_code, 0, "{}", events(&o));
    let out = stdout(&o);
    let mib: u64 = out
        .strip_prefix("mmapbomb: mapped and touched ")
        .and_then(|r| r.strip_suffix(" MiB, then mmap failed with ENOMEM\n"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{out}"));
    // Two stacks and one piece each fit in 200 MiB; the second reader got
    // at most what the writer left.
    assert!(mib == 64, "{out}");
    assert!(o.limits.memory_peak <= 200 * MIB, "{:?}", o.limits);
    assert_eq!(limit_events(&o), [("memory", 200 * MIB)]);
    // Deterministic: the same run again gives the same fingerprint.
    assert_eq!(run(&cfg, "mmapbomb | mmapbomb").fingerprint, o.fingerprint);
}

#[test]
fn forkbomb_ends_cleanly_at_the_task_limit() {
    let mut views = Vec::new();
    for engine in ENGINES {
        let mut cfg = bomb_cell(Arch::Riscv64, engine);
        cfg.limits.max_tasks = 16;
        let o = run(&cfg, "forkbomb; echo status $?");
        let what = format!("{engine}: {}{}", stderr(&o), events(&o));
        let out = stdout(&o);
        assert!(
            out.starts_with("forkbomb: ")
                && out.ends_with(" children, then fork failed with EAGAIN\nstatus 0\n"),
            "{out}\n{what}"
        );
        assert_eq!(o.exit_code, 0, "{what}");
        assert_eq!(limit_events(&o), [("tasks", 16)], "{what}");
        assert_eq!(o.limits.tasks_peak, 16, "{what}");
        let bombs = o.processes.iter().filter(|p| p.name == "forkbomb").count();
        assert_eq!(bombs, 16, "{what}");
        assert!(o.processes.iter().all(|p| p.status == Some(0)), "{:?}", o.processes);
        views.push(guest_view(&o));
    }
    assert_eq!(views[0], views[1]);
}

#[test]
fn forkbomb_on_a_small_budget_gets_enomem_and_every_arch_ends_cleanly() {
    for arch in Arch::ALL {
        let mut cfg = bomb_cell(arch, EngineKind::Interp);
        cfg.limits.memory = 64 * MIB;
        let o = run(&cfg, "forkbomb");
        let what = format!("{arch}: {}{}", stderr(&o), events(&o));
        assert_eq!(o.exit_code, 0, "{what}");
        assert!(stdout(&o).ends_with(" children, then fork failed with ENOMEM\n"), "{what}");
        assert_eq!(limit_events(&o), [("memory", 64 * MIB)], "{what}");
        assert!(o.limits.memory_peak <= 64 * MIB);
        assert!(o.processes.iter().all(|p| p.status == Some(0)), "{what}");
    }
}

#[test]
fn the_file_layer_says_enospc_past_its_quota_and_frees_on_truncation() {
    let mut cfg = bomb_cell(Arch::Riscv64, EngineKind::Interp);
    cfg.limits.disk = 100_000;
    let o = run(
        &cfg,
        "yes | head -c 300000 > /tmp/big; echo head $?\nwc -c < /tmp/big\n: > /tmp/big\n\
         head -c 90000 /dev/zero > /tmp/again; echo again $?\n",
    );
    let out = stdout(&o);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("head 1"), "{out}{}", stderr(&o));
    let kept: u64 = lines.next().unwrap().trim().parse().unwrap();
    assert!(kept <= 100_000 && kept > 90_000, "{out}");
    assert_eq!(lines.next(), Some("again 0"), "{out}");
    // (The guest libc exits 1 on a failed write without a message.)
    assert_eq!(limit_events(&o), [("disk", 100_000)]);
    assert_eq!(o.limits.disk_peak, kept);
}

#[test]
fn a_run_within_its_limits_records_its_peaks_and_no_event() {
    let cfg = bomb_cell(Arch::Riscv64, EngineKind::Interp);
    let o = run(&cfg, "echo hi > /tmp/x; cat /tmp/x | wc -c");
    assert_eq!(stdout(&o), "3\n");
    assert!(limit_events(&o).is_empty());
    assert!(!o.limits.hit());
    assert_eq!(o.limits.memory_limit, cfg.limits.memory);
    assert_eq!((o.limits.tasks_peak, o.limits.disk_peak), (2, 3));
    assert!(o.limits.memory_peak > 8 * MIB && o.limits.memory_peak < 32 * MIB);
}
