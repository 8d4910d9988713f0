//! Every scenario on every architecture that has a frontend, under both
//! engines: new frontends are covered as they land. The portal write path
//! is tested where the frontend has a copy stub, and refused up front
//! where it has none.

mod machine_support;

use bohr_emu::arch::{Arch, frontend_for, supported_arches};
use bohr_emu::events::Event;
use bohr_emu::machine::{
    ConfigError, MachineConfig, RunControl, ScriptError, WritePath, run_script,
};
use machine_support::*;

fn write_paths(arch: Arch) -> Vec<WritePath> {
    let has_stub = frontend_for(arch).is_some_and(|f| f.portal_copy_stub().is_some());
    WritePath::ALL.into_iter().filter(|&w| w != WritePath::Portal || has_stub).collect()
}

/// The standard cell with a 64 KiB flash, to keep the runs quick.
fn small(arch: Arch, engine: bohr_emu::engine::EngineKind, wp: WritePath) -> MachineConfig {
    let mut cfg = cell(arch, engine, wp);
    cfg.mtds[0].size = 64 << 10;
    cfg
}

/// What differs between write paths.
const MTD: &str = "cat /dev/$MTD | strings | grep PENGUIN_MTD_MAGIC
badbuf stack /dev/$MTD
badbuf code /dev/$MTD
badbuf unmapped /dev/$MTD
";

/// Everything else, run on the host path.
const REST: &str = "grep '\"firmware\"' /proc/mtd
mtdinfo /dev/$MTD
smc
yes | head -c 100000 | wc -c
set -o pipefail
yes | head -n 1 > /dev/null
echo $?
";

fn expected_mtd(code_read: &str) -> String {
    format!(
        "{MAGIC}\nbadbuf stack: read=64\nbadbuf code: read={code_read}\n\
         badbuf unmapped: read=-1 errno=EFAULT\n"
    )
}

const EXPECTED_REST: &str = "mtd0: 00010000 00010000 \"firmware\"\n\
     type 3\nflags 0xc00\nsize 65536\nerasesize 65536\nwritesize 1\noobsize 0\n\
     smc first=42\nsmc second=1337\n\
     100000\n141\n";

/// Run `text` under both engines; they must agree. Returns the outcome.
fn both_engines(arch: Arch, wp: WritePath, text: &str) -> bohr_emu::machine::Outcome {
    let mut views = Vec::new();
    let mut first = None;
    for engine in ENGINES {
        let o = run(&small(arch, engine, wp), text);
        assert_eq!(o.exit_code, 0, "{arch} {engine} {wp}\n{}", guest_view(&o));
        views.push(engine_neutral_view(&o));
        first.get_or_insert(o);
    }
    assert_eq!(views[0], views[1], "{arch} {wp}: interpreter and JIT differ");
    first.expect("two engines ran")
}

#[test]
fn mtd_scenarios_on_every_arch_write_path_and_engine() {
    for arch in supported_arches() {
        for wp in write_paths(arch) {
            let o = both_engines(arch, wp, MTD);
            let ctx = format!("{arch} {wp}\n{}", guest_view(&o));
            let code_read = if wp == WritePath::Host { "64" } else { "-1 errno=EFAULT" };
            assert_eq!(stdout(&o), expected_mtd(code_read), "{ctx}");
            let host_code_writes =
                o.events.iter().filter(|e| matches!(e, Event::HostWriteCodePage { .. })).count();
            assert_eq!(host_code_writes, (wp == WritePath::Host) as usize, "{ctx}");
        }
    }
}

#[test]
fn other_scenarios_on_every_arch_and_engine() {
    for arch in supported_arches() {
        let o = both_engines(arch, WritePath::Host, REST);
        let ctx = format!("{arch}\n{}", guest_view(&o));
        assert_eq!(stdout(&o), EXPECTED_REST, "{ctx}");
        assert!(o.events.iter().any(|e| matches!(e, Event::BlocksInvalidated { .. })), "{ctx}");
    }
}

#[test]
fn portal_is_refused_up_front_without_a_stub() {
    for arch in supported_arches() {
        if write_paths(arch).contains(&WritePath::Portal) {
            continue;
        }
        let cfg = cell(arch, bohr_emu::engine::EngineKind::Interp, WritePath::Portal);
        let e = run_script(&cfg, "t.sh", "true", &RunControl::default()).unwrap_err();
        assert_eq!(e, ScriptError::Config(ConfigError::NoPortalStub(arch)));
    }
}
