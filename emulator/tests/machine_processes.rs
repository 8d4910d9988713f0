//! Processes that fork and exec inside a cell: the glibc-free kernel probe
//! (`guest/libc-tests/bin/<arch>/kprobe`) forks children that `execve`
//! itself and a `#!` script, and reaps them with `wait4`. The cell's
//! outcome is the same on every run, under both engines and under chaos
//! scheduling, on every arch with a frontend.

mod machine_support;

use bohr_emu::arch::{Arch, supported_arches};
use bohr_emu::engine::EngineKind;
use bohr_emu::machine::WritePath;
use machine_support::*;

/// What `kprobe --exec /tmp` prints (Linux's `#!` argv: interpreter, its
/// argument, the script, then the caller's arguments after the first).
const WANT: &str = "child argv: [--child] [x y]\n\
                    execve: the child, status 0900\n\
                    child argv: [--child] [/tmp/kp-script] [--child] [x y]\n\
                    script: the child, status 0900\n\
                    exec of a directory: EACCES\n";

fn kprobe(arch: Arch) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../guest/libc-tests/bin")
        .join(arch.name())
        .join("kprobe");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn cfg(arch: Arch, engine: EngineKind) -> bohr_emu::machine::MachineConfig {
    let mut cfg = cell(arch, engine, WritePath::Host);
    add_program(&mut cfg, "kprobe", kprobe(arch));
    cfg
}

#[test]
fn forked_children_exec_programs_and_scripts() {
    for arch in supported_arches() {
        let mut outcomes = Vec::new();
        for engine in ENGINES {
            let o = run(&cfg(arch, engine), "/bin/kprobe --exec /tmp\n");
            assert_eq!(stdout(&o), WANT, "{arch} {engine:?}\n{}", guest_view(&o));
            assert_eq!(o.exit_code, 0, "{arch} {engine:?}");
            // The probe and its two children, in pid order.
            let pids: Vec<u32> = o.processes.iter().map(|p| p.pid).collect();
            assert_eq!(pids, [2, 3, 4], "{arch} {engine:?}");
            outcomes.push(o);
        }
        assert_eq!(engine_neutral_view(&outcomes[0]), engine_neutral_view(&outcomes[1]), "{arch}");
    }
}

#[test]
fn a_forking_cell_is_deterministic() {
    let mut chaos = cfg(Arch::Riscv64, EngineKind::Interp);
    chaos.chaos = true;
    chaos.seed = 11;
    for c in [cfg(Arch::Riscv64, EngineKind::Jit), chaos] {
        let a = run(&c, "/bin/kprobe --exec /tmp; /bin/kprobe --exec /tmp | wc -l\n");
        let b = run(&c, "/bin/kprobe --exec /tmp; /bin/kprobe --exec /tmp | wc -l\n");
        assert_eq!(guest_view(&a), guest_view(&b));
        assert_eq!(a.fingerprint, b.fingerprint);
        assert!(stdout(&a).ends_with("5\n"), "{}", guest_view(&a));
    }
}
