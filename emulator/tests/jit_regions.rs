//! How regions are shaped: a function compiled on its own first is copied
//! into the hot loop that calls it through an indirect jump (as through a
//! PLT), so the loop's calls and returns stay in one function; a loop
//! compiled first is not copied into the loop around it. Copies change no
//! result, and what is compiled does not depend on when the compile
//! threads finish.

use std::time::{Duration, Instant};

use bohr_emu::arch::Arch;
use bohr_emu::engine::{EngineStats, StopReason, set_background_compile, set_sharing};
use bohr_emu::ir::TrapKind;
use bohr_emu::jit::JitConfig;
use bohr_emu::testing::Harness;

const CODE: u64 = 0x40_0000;

/// `li a0, 0; li a2, 200; la t6, func`
/// `warm: jal ra, func; addi a2, a2, -1; bnez a2, warm` (func tiers here,
/// called directly)
/// `li a1, 1000; loop: jalr ra, 0(t6); addi a1, a1, -1; bnez a1, loop;
/// ebreak` (then called through a register)
/// `func: addi a0, a0, 3; ret`
const CALLS: [u32; 14] = [
    0x0000_0513,
    0x0c80_0613,
    0x0000_0f97,
    0x028f_8f93,
    0x0200_00ef,
    0xfff6_0613,
    0xfe06_1ce3,
    0x3e80_0593,
    0x000f_80e7,
    0xfff5_8593,
    0xfe05_9ce3,
    0x0010_0073,
    0x0035_0513,
    0x0000_8067,
];

fn bytes(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// Run CALLS to its `ebreak` with at most `max_copies` copies per block,
/// compiling in the background or not, `rounds` times (the engine keeping
/// what it compiled), or in the background until the loop's code is in;
/// check each round's result. The engine's statistics and the rounds run.
fn run_calls(max_copies: u8, background: bool, rounds: Option<u32>) -> (EngineStats, u32) {
    set_sharing(false);
    set_background_compile(background);
    let config = JitConfig { threshold: 24, max_copies, ..Default::default() };
    let mut h = Harness::with_jit(Arch::Riscv64, config);
    h.map_code(CODE, &bytes(&CALLS));
    // The compile threads finish when they finish (the deadline only
    // bounds a broken pool).
    let deadline = Instant::now() + Duration::from_secs(120);
    for round in 1.. {
        h.set_pc(CODE);
        let before = h.icount();
        assert_eq!(h.step(1_000_000), StopReason::Trap(TrapKind::Breakpoint));
        let at = format!("{max_copies} copies, background {background}, round {round}");
        assert_eq!(h.reg("a0"), 3 * 1200, "{at}");
        // 4 to set up, 200 warm-up calls and 1000 loop calls of 5
        // instructions each, `li a1`; the ebreak does not retire.
        assert_eq!(h.icount() - before, 4 + 1200 * 5 + 1, "{at}");
        assert_eq!(h.pc(), CODE + 11 * 4, "{at}");
        let stats = h.stats();
        let done = match rounds {
            Some(n) => round == n,
            None => !background || stats.insns_run_compiled > 0,
        };
        if done {
            return (stats, round);
        }
        assert!(Instant::now() < deadline, "never entered: {stats:?}");
    }
    unreachable!("the rounds above end")
}

#[test]
fn a_function_compiled_first_is_copied_into_the_loop_that_calls_it_indirectly() {
    let (once, _) = run_calls(0, false, Some(1));
    let (copied, _) = run_calls(1, false, Some(1));
    // The loop's region takes the function again (and what the function's
    // own region held); nothing is translated twice.
    assert!(copied.blocks_compiled > once.blocks_compiled, "{once:?} {copied:?}");
    assert!(copied.insns_compiled > once.insns_compiled, "{once:?} {copied:?}");
    assert_eq!(copied.blocks_translated, once.blocks_translated);
}

#[test]
fn copies_do_not_depend_on_when_the_compile_threads_finish() {
    for max_copies in [0, 1, 2] {
        let (background, rounds) = run_calls(max_copies, true, None);
        let (sync, _) = run_calls(max_copies, false, Some(rounds));
        let shape = |s: &EngineStats| (s.blocks_translated, s.blocks_compiled, s.insns_compiled);
        assert_eq!(shape(&sync), shape(&background), "{max_copies} copies, {rounds} rounds");
    }
}

/// `li a0, 0; li a1, 100; outer: li a2, 30; inner: addi a0, a0, 1; addi
/// a2, a2, -1; bnez a2, inner; addi a1, a1, -1; bnez a1, outer; ebreak`.
const NESTED: [u32; 9] = [
    0x0000_0513,
    0x0640_0593,
    0x01e0_0613,
    0x0015_0513,
    0xfff6_0613,
    0xfe06_1ce3,
    0xfff5_8593,
    0xfe05_96e3,
    0x0010_0073,
];

#[test]
fn an_inner_loop_compiled_first_is_not_copied_into_the_outer_one() {
    let run = |max_copies| {
        set_sharing(false);
        set_background_compile(false);
        let config = JitConfig { threshold: 24, max_copies, ..Default::default() };
        let mut h = Harness::with_jit(Arch::Riscv64, config);
        h.map_code(CODE, &bytes(&NESTED));
        assert_eq!(h.step(1_000_000), StopReason::Trap(TrapKind::Breakpoint));
        assert_eq!(h.reg("a0"), 100 * 30);
        assert_eq!(h.icount(), 2 + 100 * (1 + 30 * 3 + 2));
        h.stats()
    };
    let (once, copied) = (run(0), run(1));
    // The inner loop tiers first, alone; the outer loop's region, which
    // jumps into it, would copy it as it copies a function, but a loop
    // runs many times per entry and is better left in its own region.
    assert!(once.insns_run_compiled > 0, "{once:?}");
    let shape = |s: &EngineStats| (s.blocks_compiled, s.insns_compiled);
    assert_eq!(shape(&once), shape(&copied));
}

/// `li a0, 0; li a1, 100; la t6, fa; la t5, fb`
/// `loop1: jalr ra, 0(t6); addi a1, a1, -1; bnez a1, loop1` (`fa`'s return
/// always goes to `loop1` while the blocks are interpreted: its region
/// predicts that)
/// `li a1, 300; loop2: jalr ra, 0(t6); jalr ra, 0(t5); addi a1, a1, -1;
/// bnez a1, loop2; ebreak` (now `fa` returns elsewhere, and `fb` too)
/// `fa: addi a0, a0, 3; ret` / `fb: addi a0, a0, 5; ret`
const PREDICTED: [u32; 19] = [
    0x0000_0513,
    0x0640_0593,
    0x0000_0f97,
    0x034f_8f93,
    0x0000_0f17,
    0x034f_0f13,
    0x000f_80e7,
    0xfff5_8593,
    0xfe05_9ce3,
    0x12c0_0593,
    0x000f_80e7,
    0x000f_00e7,
    0xfff5_8593,
    0xfe05_9ae3,
    0x0010_0073,
    0x0035_0513,
    0x0000_8067,
    0x0055_0513,
    0x0000_8067,
];

#[test]
fn indirect_jumps_land_right_where_their_prediction_does_not_hold() {
    set_sharing(false);
    set_background_compile(false);
    for threshold in [0, 8, 24] {
        let config = JitConfig { threshold, ..Default::default() };
        let mut h = Harness::with_jit(Arch::Riscv64, config);
        h.map_code(CODE, &bytes(&PREDICTED));
        h.set_pc(CODE);
        assert_eq!(h.step(1_000_000), StopReason::Trap(TrapKind::Breakpoint));
        let at = format!("threshold {threshold}");
        assert_eq!(h.reg("a0"), 3 * 100 + (3 + 5) * 300, "{at}");
        // 6 to set up, 100 calls of 5 instructions, `li a1`, 300 rounds
        // of two calls (8 instructions); the ebreak does not retire.
        assert_eq!(h.icount(), 6 + 100 * 5 + 1 + 300 * 8, "{at}");
        assert_eq!(h.pc(), CODE + 14 * 4, "{at}");
        assert!(h.stats().insns_run_compiled > 2000, "{at}: {:?}", h.stats());
    }
}
