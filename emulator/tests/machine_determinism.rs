//! Determinism: a cell is a pure function of its configuration. Runs
//! repeat bit for bit, both engines agree, and chaos scheduling changes
//! the schedule but not what the script prints.

mod machine_support;

use bohr_emu::arch::Arch;
use bohr_emu::engine::EngineKind;
use bohr_emu::machine::{MachineConfig, WritePath};
use machine_support::*;

/// A pipeline with heavy interleaving and a bit of everything.
const MIXED: &str = "cat /dev/$MTD | strings -n 8 | wc -l\n\
                     dd if=/dev/$MTD bs=4096 count=8 2>/dev/null | sha256sum\n\
                     yes interleave | head -c 200000 | wc -c\n\
                     badbuf code /dev/$MTD; smc\n";

/// The standard cell with a 128 KiB flash, to keep these runs quick.
fn small(engine: EngineKind, wp: WritePath) -> MachineConfig {
    let mut cfg = cell(Arch::Riscv64, engine, wp);
    cfg.mtds[0].size = 128 << 10;
    cfg
}

fn variants() -> Vec<(String, MachineConfig)> {
    // Every engine and write path meets in `interpreter_and_jit_agree_exactly`.
    let mut v = vec![
        ("interp/host".to_string(), small(EngineKind::Interp, WritePath::Host)),
        ("jit/portal".to_string(), small(EngineKind::Jit, WritePath::Portal)),
        ("jit/checked".to_string(), small(EngineKind::Jit, WritePath::Checked)),
    ];
    let mut chaos = small(EngineKind::Interp, WritePath::Host);
    chaos.chaos = true;
    chaos.seed = 7;
    v.push(("chaos".into(), chaos));
    v
}

#[test]
fn the_same_cell_twice_gives_the_same_outcome() {
    for (name, cfg) in variants() {
        let a = run(&cfg, MIXED);
        let b = run(&cfg, MIXED);
        assert_eq!(guest_view(&a), guest_view(&b), "{name}");
        assert_eq!(a.fingerprint, b.fingerprint, "{name}");
        assert_eq!(a.exit_code, 0, "{name}\n{}", guest_view(&a));
    }
}

#[test]
fn interpreter_and_jit_agree_exactly() {
    for wp in WritePath::ALL {
        let mut outcomes = Vec::new();
        for engine in ENGINES {
            let mut cfg = small(engine, wp);
            // Compile hot code early so the JIT really runs.
            cfg.jit_threshold = 2;
            outcomes.push(run(&cfg, MIXED));
        }
        assert_eq!(engine_neutral_view(&outcomes[0]), engine_neutral_view(&outcomes[1]), "{wp}");
        assert_eq!(outcomes[0].fingerprint, outcomes[1].fingerprint, "{wp}");
    }
}

#[test]
fn chaos_seeds_change_the_schedule_but_not_the_output() {
    let plain = run(&small(EngineKind::Interp, WritePath::Host), MIXED);
    let mut schedules = std::collections::BTreeSet::new();
    schedules.insert(plain.stats.schedule_hash);
    for seed in 1..=4 {
        let mut cfg = small(EngineKind::Interp, WritePath::Host);
        cfg.chaos = true;
        cfg.seed = seed;
        // The flash fill depends on the seed; keep the device identical.
        cfg.mtds[0].fill = bohr_emu::machine::MtdFill::Zero;
        let o = run(&cfg, MIXED);
        let mut base = small(EngineKind::Interp, WritePath::Host);
        base.mtds[0].fill = bohr_emu::machine::MtdFill::Zero;
        let reference = run(&base, MIXED);
        assert_eq!(o.exit_code, 0, "{}", guest_view(&o));
        assert_eq!(stdout(&o), stdout(&reference), "seed {seed}");
        assert_eq!(stderr(&o), stderr(&reference), "seed {seed}");
        assert!(
            schedules.insert(o.stats.schedule_hash),
            "seed {seed} repeated a schedule: {:x}",
            o.stats.schedule_hash
        );
        assert_ne!(o.fingerprint, reference.fingerprint, "seed {seed}");
    }
}

#[test]
fn chaos_actually_interleaves_differently() {
    // Per-process instruction counts of a pipeline reflect how often each
    // process found data waiting: chaos seeds must move them.
    let text = "yes | head -c 500000 | wc -c\n";
    let mut counts = std::collections::BTreeSet::new();
    for seed in 1..=3 {
        let mut cfg = small(EngineKind::Interp, WritePath::Host);
        cfg.chaos = true;
        cfg.seed = seed;
        let o = run(&cfg, text);
        assert_eq!(stdout(&o), "500000\n");
        counts.insert(o.processes.iter().map(|p| p.insns).collect::<Vec<_>>());
        assert!(o.stats.context_switches > 10);
    }
    assert!(counts.len() > 1, "{counts:?}");
}

#[test]
fn quanta_change_the_schedule_but_not_the_output() {
    let reference = run(&small(EngineKind::Interp, WritePath::Host), MIXED);
    for quantum in [1, 97, 1_000_000] {
        let mut cfg = small(EngineKind::Interp, WritePath::Host);
        cfg.quantum = quantum;
        let o = run(&cfg, MIXED);
        assert_eq!(stdout(&o), stdout(&reference), "quantum {quantum}");
        if quantum != 10_000 {
            assert_ne!(o.stats.schedule_hash, reference.stats.schedule_hash, "quantum {quantum}");
        }
    }
}

#[test]
fn block_size_does_not_change_guest_results() {
    let reference = run(&small(EngineKind::Interp, WritePath::Host), MIXED);
    for max_block_insns in [1, 7] {
        for engine in ENGINES {
            let mut cfg = small(engine, WritePath::Host);
            cfg.max_block_insns = max_block_insns;
            let o = run(&cfg, MIXED);
            assert_eq!(stdout(&o), stdout(&reference), "{engine} {max_block_insns}");
            let insns: Vec<u64> = o.processes.iter().map(|p| p.insns).collect();
            let want: Vec<u64> = reference.processes.iter().map(|p| p.insns).collect();
            assert_eq!(insns, want, "{engine} {max_block_insns}");
        }
    }
}
