//! Lanes (`machine::lanes`): a cell's processes whose compute runs ahead
//! of their turn on other host threads give exactly the one-thread run:
//! outcome, output, events, schedule, block counts and fingerprint, under
//! both engines, with pipelines, signals between processes and programs
//! that read the clock, with processes placed as they are by default and
//! with engines that move between the threads at every chance. An instruction that reads the clock starts its own
//! block and, while its thread runs ahead, traps before it retires.

mod machine_support;

use bohr_emu::arch::Arch;
use bohr_emu::engine::{EngineKind, StopReason};
use bohr_emu::ir::{AHEAD, TrapKind};
use bohr_emu::machine::{MachineConfig, Outcome, Placement, RunControl, WritePath, run_script};
use bohr_emu::testing::Harness;
use machine_support::*;

fn run_lanes(cfg: &MachineConfig, text: &str, lanes: usize) -> Outcome {
    run_placed(cfg, text, lanes, None)
}

fn run_placed(
    cfg: &MachineConfig,
    text: &str,
    lanes: usize,
    placement: Option<Placement>,
) -> Outcome {
    let ctl = RunControl { lanes, placement, ..Default::default() };
    run_script(cfg, "test.sh", text, &ctl)
        .unwrap_or_else(|e| panic!("script rejected: {e}\n{text}"))
}

/// Engines move to a lane after one whole slice of their own code, and
/// back after one turn ending in a system call: they move all the time.
const RESTLESS: Placement = Placement { lane_streak: 1, quiet_turns: 1 };

/// Pipelines of busy processes: each runs long stretches of its own code
/// while the others wait on pipes or run too.
const PIPELINES: &str = "cat /dev/$MTD | strings -n 6 | sha256sum\n\
                         yes ahead | head -c 300000 | wc -c\n\
                         cat /dev/$MTD | sha256sum; badbuf code /dev/$MTD; smc\n";

#[test]
fn pipelines_give_the_one_thread_run() {
    for engine in ENGINES {
        let mut cfg = cell(Arch::Riscv64, engine, WritePath::Host);
        cfg.mtds[0].size = 256 << 10;
        let one = run_lanes(&cfg, PIPELINES, 0);
        assert_eq!(one.exit_code, 0, "{}", guest_view(&one));
        assert_eq!(one.stats.slices_ahead, 0);
        for lanes in [1, 2] {
            let o = run_lanes(&cfg, PIPELINES, lanes);
            assert_eq!(guest_view(&o), guest_view(&one), "{engine:?} with {lanes} lanes");
            assert_eq!(o.stats.blocks_translated, one.stats.blocks_translated, "{engine:?}");
            // The lanes were used: a test of nothing would pass too.
            assert!(
                o.stats.slices_ahead > 100,
                "{engine:?}: {} slices ahead",
                o.stats.slices_ahead
            );
            assert!(o.stats.moves_to_lanes > 0, "{engine:?}: nothing moved to a lane");
        }
        // Engines that move back and forth between the threads, with
        // compiled regions, code written (`smc`, `badbuf code`) and blocks
        // cut by slices: still the one-thread run.
        let o = run_placed(&cfg, PIPELINES, 1, Some(RESTLESS));
        assert_eq!(guest_view(&o), guest_view(&one), "{engine:?}, restless");
        assert_eq!(o.stats.blocks_translated, one.stats.blocks_translated, "{engine:?}");
        assert!(
            o.stats.moves_back > 1 && o.stats.moves_to_lanes >= o.stats.moves_back,
            "{engine:?}: {} moves to lanes, {} back",
            o.stats.moves_to_lanes,
            o.stats.moves_back
        );
    }
}

fn sigtest() -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../guest/libc-tests/bin/riscv64/sigtest-static");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn signals_between_processes_give_the_one_thread_run() {
    // A parent busy in its own code when its child's SIGCHLD comes (held
    // back, then taken), a sleeper woken by another process's kill, an
    // alarm, beside processes that run ahead.
    let script = "sigtest sigchld; sigtest suspend; sigtest wake\n\
                  sigtest alarm | cat; yes b | head -c 200000 | wc -c\n";
    for engine in ENGINES {
        let mut cfg = riscv(engine);
        add_program(&mut cfg, "sigtest", sigtest());
        let one = run_lanes(&cfg, script, 0);
        assert!(stdout(&one).contains("child killed by signal 15"), "{}", guest_view(&one));
        for lanes in [1, 2] {
            let o = run_lanes(&cfg, script, lanes);
            assert_eq!(guest_view(&o), guest_view(&one), "{engine:?} with {lanes} lanes");
            assert!(o.stats.slices_ahead > 0, "{engine:?}: nothing ran ahead");
        }
        // Signals to and from processes whose engines keep moving.
        let o = run_placed(&cfg, script, 1, Some(RESTLESS));
        assert_eq!(guest_view(&o), guest_view(&one), "{engine:?}, restless");
        assert!(o.stats.moves_back > 0, "{engine:?}: nothing came back");
    }
}

#[test]
fn every_arch_gives_the_one_thread_run() {
    // powerpc64's ld.so and the clocks case read the time base in the
    // guest's own code: those reads trap ahead and run at their turn.
    for arch in [Arch::Aarch64, Arch::Powerpc64, Arch::Mipsel, Arch::Armel] {
        let mut cfg = cell(arch, EngineKind::Jit, WritePath::Portal);
        cfg.mtds[0].size = 128 << 10;
        let text = "cat /dev/$MTD | strings | grep PENGUIN; yes x | head -c 100000 | wc -c\n";
        let one = run_lanes(&cfg, text, 0);
        assert_eq!(one.exit_code, 0, "{arch}: {}", guest_view(&one));
        let o = run_lanes(&cfg, text, 1);
        assert_eq!(guest_view(&o), guest_view(&one), "{arch}");
        let o = run_placed(&cfg, text, 1, Some(RESTLESS));
        assert_eq!(guest_view(&o), guest_view(&one), "{arch}, restless");
        assert_eq!(o.stats.blocks_translated, one.stats.blocks_translated, "{arch}, restless");
    }
}

#[test]
fn no_arch_uses_the_ahead_slot() {
    for arch in bohr_emu::arch::supported_arches() {
        let f = bohr_emu::arch::frontend_for(arch).expect("a supported arch");
        assert_eq!(f.slot_name(AHEAD), None, "{arch}");
    }
}

// riscv64: addi x1, x0, 1; rdtime x5; addi x1, x1, 1; ebreak.
const CLOCK_CODE: [u32; 4] = [0x0010_0093, 0xc010_22f3, 0x0010_8093, 0x0010_0073];

fn clock_harness(engine: EngineKind) -> Harness {
    let mut h = Harness::with_engine(Arch::Riscv64, engine);
    let bytes: Vec<u8> = CLOCK_CODE.iter().flat_map(|w| w.to_le_bytes()).collect();
    h.map_code(0x1000, &bytes);
    h.cpu.vclock_bias = 1_000_000;
    h
}

#[test]
fn a_clock_read_starts_its_own_block() {
    for engine in ENGINES {
        let mut h = clock_harness(engine);
        assert_eq!(h.step(100), StopReason::Trap(TrapKind::Breakpoint), "{engine:?}");
        assert_eq!(h.reg("ra"), 2);
        // Virtual ns at the read: one instruction retired before it.
        assert_eq!(h.reg("t0"), 1_000_001 / 100);
        // `addi`, then `rdtime; addi; ebreak`.
        assert_eq!(h.stats().blocks_translated, 2, "{engine:?}");
    }
}

#[test]
fn a_clock_read_ahead_traps_before_it_retires() {
    for engine in ENGINES {
        let mut h = clock_harness(engine);
        h.cpu.regs[AHEAD.0 as usize] = 1;
        assert_eq!(h.step(100), StopReason::Trap(TrapKind::ClockWait), "{engine:?}");
        assert_eq!((h.pc(), h.icount(), h.reg("ra"), h.reg("t0")), (0x1004, 1, 1, 0));
        // Again: it traps every time until the slot is clear.
        assert_eq!(h.step(100), StopReason::Trap(TrapKind::ClockWait), "{engine:?}");
        h.cpu.regs[AHEAD.0 as usize] = 0;
        assert_eq!(h.step(100), StopReason::Trap(TrapKind::Breakpoint), "{engine:?}");
        assert_eq!((h.reg("ra"), h.reg("t0")), (2, 1_000_001 / 100));
        assert_eq!(h.stats().blocks_translated, 2, "{engine:?}");
    }
}

#[test]
fn a_run_stopped_with_slices_ahead_ends_cleanly() {
    // Cancelled while busy processes have slices running ahead: the world
    // reports the stop, and their lanes drop the slices with the engines.
    for lanes in [1, 2] {
        let mut cfg = riscv(EngineKind::Jit);
        cfg.max_insns = u64::MAX / 2;
        let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = cancel.clone();
        let timer = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(200));
            flag.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        let ctl = RunControl { cancel: Some(cancel), lanes, ..Default::default() };
        let text = "yes ahead | head -c 4000000000 | wc -c\n";
        let o = run_script(&cfg, "test.sh", text, &ctl).expect("the script parses");
        timer.join().unwrap();
        assert!(
            matches!(o.stopped, Some(bohr_emu::machine::Stopped::Cancelled { .. })),
            "{lanes} lanes: {}",
            guest_view(&o)
        );
        assert!(o.stats.slices_ahead > 0, "{lanes} lanes: nothing ran ahead");
    }
}
