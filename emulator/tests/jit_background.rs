//! Regions compiled on the compile threads: the engine keeps running a
//! block cold until its code is installed, then enters it; code written
//! while its region compiles is never entered stale; and what runs never
//! depends on when the compile threads finish.

use std::time::{Duration, Instant};

use bohr_emu::arch::Arch;
use bohr_emu::engine::{StopReason, set_background_compile, set_sharing};
use bohr_emu::ir::TrapKind;
use bohr_emu::jit::JitConfig;
use bohr_emu::testing::Harness;

const CODE: u64 = 0x40_0000;

fn bytes(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// `loop: addi a0, a0, 1; j loop`.
const SPIN: [u32; 2] = [0x0015_0513, 0xffdf_f06f];

/// A JIT with threshold 5 over SPIN, compiling in the background or not.
fn spin(background: bool) -> Harness {
    set_sharing(true);
    set_background_compile(background);
    let mut h = Harness::with_jit(Arch::Riscv64, JitConfig { threshold: 5, ..Default::default() });
    h.map_code(CODE, &bytes(&SPIN));
    h
}

#[test]
fn a_block_runs_cold_until_its_region_is_installed_then_compiled() {
    let mut h = spin(true);
    // The compile threads finish when they finish: wait for it (the
    // deadline only bounds a broken pool), checking every step that the
    // count of instructions and the register agree, whichever engine ran.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut steps = 0u64;
    while h.stats().insns_run_compiled == 0 {
        assert!(Instant::now() < deadline, "never entered: {:?}", h.stats());
        assert_eq!(h.step(10_001), StopReason::FuelExhausted);
        steps += 1;
        assert_eq!(h.icount(), steps * 10_001);
        assert_eq!(h.reg("a0"), (steps * 10_001).div_ceil(2));
    }
    assert_eq!(h.step(1_000_000), StopReason::FuelExhausted);
    assert_eq!(h.reg("a0"), (steps * 10_001 + 1_000_000).div_ceil(2));
    // What was asked for does not depend on how long the block ran cold
    // meanwhile: the same as compiling on the spot.
    let mut sync = spin(false);
    for _ in 0..steps {
        sync.step(10_001);
    }
    sync.step(1_000_000);
    let (a, b) = (h.stats(), sync.stats());
    assert_eq!((a.blocks_compiled, a.insns_compiled), (b.blocks_compiled, b.insns_compiled));
    assert_eq!(a.blocks_translated, b.blocks_translated);
}

/// `li a0, 0; li a1, 2000; loop: addi a0, a0, 1` (its immediate is
/// rewritten every iteration to `a1 & 7`: `andi t0, a1, 7; slli t0, t0,
/// 20; lui t1, 0x50; addi t1, t1, 0x513; or t0, t0, t1; auipc t2, 0; sw
/// t0, -24(t2); fence.i`) `; addi a1, a1, -1; bnez a1, loop; ebreak`.
const PATCHED_LOOP: [u32; 14] = [
    0x0000_0513,
    0x7d00_0593,
    0x0015_0513,
    0x0075_f293,
    0x0142_9293,
    0x0005_0337,
    0x5133_0313,
    0x0062_e2b3,
    0x0000_0397,
    0xfe53_a423,
    0x0000_100f,
    0xfff5_8593,
    0xfc05_9ce3,
    0x0010_0073,
];

#[test]
fn code_written_while_its_region_compiles_is_never_entered_stale() {
    set_sharing(true);
    set_background_compile(true);
    // The first iteration adds 1, each later one the low bits of the
    // previous counter: 1 + (2000 & 7) + (1999 & 7) + ... + (2 & 7).
    let want = 1 + (2..=2000u64).map(|j| j & 7).sum::<u64>();
    for threshold in [1, 2, 3, 7, 50] {
        for round in 0..5 {
            let config = JitConfig { threshold, ..Default::default() };
            let mut h = Harness::with_jit(Arch::Riscv64, config);
            let code = bytes(&PATCHED_LOOP);
            h.map_code(CODE, &code);
            h.map_data(CODE, &code);
            assert_eq!(h.step(100_000), StopReason::Trap(TrapKind::Breakpoint));
            let at = format!("threshold {threshold}, round {round}");
            assert_eq!(h.reg("a0"), want, "{at}");
            assert_eq!(h.icount(), 2 + 2000 * 11, "{at}");
            assert_eq!(h.pc(), CODE + 13 * 4, "{at}");
        }
    }
}
