//! Self-modifying code under both engines: a guest store that overwrites
//! an instruction later in the block it runs in. Stale code must never
//! run, so the patched instruction's new form executes, and both engines
//! agree on every register, the pc and the instruction count.
//!
//! Three shapes, because compiled code handles them on different paths.
//! With direct accesses each store here is direct and faults on the code
//! page, and the engine runs its whole instruction again in the
//! interpreter. Through the software TLB (the TLB-only JIT, also run): a
//! store that ends its instruction (riscv64 `sw`) leaves compiled code
//! from the store's own slow path, retiring it; a store that comes first
//! in its instruction (aarch64 post-index `str`, whose base write-back
//! comes after it) leaves from its slow path too, but to run the whole
//! instruction again; a store after a load of the same instruction
//! (aarch64 `swp`, `ldadd`) leaves at the next instruction boundary.

use bohr_emu::arch::Arch;
use bohr_emu::engine::{EngineKind, StopReason};
use bohr_emu::ir::TrapKind;
use bohr_emu::testing::Harness;
use bohr_emu::testing::random::Engine;

const CODE: u64 = 0x40_0000;

struct Case<'a> {
    arch: Arch,
    /// Instruction words, little-endian.
    code: [u32; 4],
    regs: &'a [(&'static str, u64)],
    /// Registers after the run.
    expect: &'static [(&'static str, u64)],
}

fn run(case: &Case<'_>, engine: Engine) -> (StopReason, u64, u64, Vec<u64>) {
    let mut h = engine.harness(case.arch);
    let bytes: Vec<u8> = case.code.iter().flat_map(|w| w.to_le_bytes()).collect();
    h.map_code(CODE, &bytes);
    // Writable too: the code patches itself.
    h.map_data(CODE, &bytes);
    h.cpu.pc = CODE;
    for &(r, v) in case.regs {
        h.set_reg(r, v);
    }
    let stop = h.step(100);
    let regs = case.expect.iter().map(|&(r, _)| h.reg(r)).collect();
    (stop, h.pc(), h.icount(), regs)
}

fn check(case: &Case<'_>) {
    let want: Vec<u64> = case.expect.iter().map(|&(_, v)| v).collect();
    for engine in Engine::ALL {
        let (stop, pc, icount, regs) = run(case, engine);
        let arch = case.arch;
        assert_eq!(stop, StopReason::Trap(TrapKind::Breakpoint), "{arch} {engine:?}");
        assert_eq!(pc, CODE + 12, "{arch} {engine:?}: stops at the breakpoint");
        assert_eq!(icount, 3, "{arch} {engine:?}: the breakpoint does not retire");
        assert_eq!(regs, want, "{arch} {engine:?}: registers {:?}", case.expect);
    }
}

#[test]
fn a_store_that_ends_its_instruction_patches_the_code_after_it() {
    check(&Case {
        arch: Arch::Riscv64,
        code: [
            0x0062_a423, // sw t1, 8(t0)
            0x0050_0593, // li a1, 5
            0x0010_0513, // li a0, 1  (becomes li a0, 7)
            0x0010_0073, // ebreak
        ],
        regs: &[("t0", CODE), ("t1", 0x0070_0513)],
        expect: &[("a0", 7), ("a1", 5)],
    });
}

#[test]
fn a_store_before_its_base_write_back_patches_the_code_after_it() {
    check(&Case {
        arch: Arch::Aarch64,
        code: [
            0xb800_8441, // str w1, [x2], #8
            0xd280_00a3, // mov x3, #5
            0xd280_0020, // mov x0, #1  (becomes mov x0, #7)
            0xd420_0000, // brk #0
        ],
        regs: &[("x1", 0xd280_00e0), ("x2", CODE + 8)],
        expect: &[("x0", 7), ("x3", 5), ("x2", CODE + 16)],
    });
}

#[test]
fn a_store_after_a_load_of_its_instruction_patches_the_code_after_it() {
    // (the instruction, x1): `swp` swaps the new word in; `ldadd` adds
    // x1 to the old one, exactly once (running the whole
    // instruction again after its store would make `mov x0, #13`).
    for (insn, x1) in [
        (0xb821_8044, 0xd280_00e0), // swp w1, w4, [x2]
        (0xb821_0044, 0xc0),        // ldadd w1, w4, [x2]
    ] {
        check(&Case {
            arch: Arch::Aarch64,
            code: [
                insn,
                0xd280_00a3, // mov x3, #5
                0xd280_0020, // mov x0, #1  (becomes mov x0, #7)
                0xd420_0000, // brk #0
            ],
            regs: &[("x1", x1), ("x2", CODE + 8)],
            expect: &[("x0", 7), ("x3", 5), ("x4", 0xd280_0020), ("x2", CODE + 8)],
        });
    }
}

/// Code rewritten from outside (a loader, `mprotect` and a copy) drops
/// every translation of its page, including blocks that start inside a
/// Thumb IT block, whose pc carries the IT state in its state bits: those
/// were filed under no real page, so compiled code of the old bytes ran.
#[test]
fn rewritten_code_inside_an_it_block_is_retranslated() {
    const THUMB: u64 = CODE | 1;
    // `it al`; `mov r0, #imm` (inside the block, it sets no flags); `b .`
    let code = |imm: u8| [0xe8, 0xbf, imm, 0x20, 0xfe, 0xe7];
    for kind in [EngineKind::Interp, EngineKind::Jit] {
        let mut h = match kind {
            EngineKind::Interp => Harness::with_engine(Arch::Armel, kind),
            _ => Harness::with_jit(
                Arch::Armel,
                bohr_emu::jit::JitConfig { threshold: 0, ..Default::default() },
            ),
        };
        h.map_code(CODE, &code(1));
        h.cpu.pc = THUMB;
        // One instruction, then the rest: the second run starts a block
        // inside the IT block.
        assert_eq!(h.step(1), StopReason::FuelExhausted, "{kind}");
        assert_eq!(h.step(50), StopReason::FuelExhausted, "{kind}");
        assert_eq!(h.reg("r0"), 1, "{kind}: the first code ran");
        let start = {
            let mut c = h.cpu.clone();
            c.pc = THUMB;
            c
        };
        h.reset(&start, (CODE, &code(2)), (CODE, &code(2)));
        assert_eq!(h.step(1), StopReason::FuelExhausted, "{kind}");
        assert_eq!(h.step(50), StopReason::FuelExhausted, "{kind}");
        assert_eq!(h.reg("r0"), 2, "{kind}: the rewritten code ran");
    }
}
