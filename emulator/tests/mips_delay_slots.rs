//! MIPS32 delay slots under fuel stops, both byte orders: a loop program
//! checks that fuel stops anywhere (between a branch and its delay slot
//! included) leave the result unchanged. The per-instruction cases are in
//! `tests/insns/mips*.ins`, run by `tests/insns.rs`.

use bohr_emu::arch::Arch;
use bohr_emu::arch::mips::disasm::disassemble;
use bohr_emu::engine::{EngineKind, StopReason};
use bohr_emu::ir::Endian;

/// A loop with a conditional branch, a call, a return and a likely branch,
/// each with a live delay slot. Offsets from [`LOOP_PC`].
const LOOP: [u32; 19] = [
    0x2408_0014, // 0x00: addiu t0, zero, 20
    0x2402_0000, // 0x04: addiu v0, zero, 0
    0x3109_0001, // 0x08: andi  t1, t0, 1          ; loop:
    0x1120_0004, // 0x0c: beqz  t1, 0x20
    0x2442_0003, // 0x10:  addiu v0, v0, 3
    0x0c10_0010, // 0x14: jal   0x40
    0x2442_0005, // 0x18:  addiu v0, v0, 5
    0x2442_0007, // 0x1c: addiu v0, v0, 7
    0x2508_ffff, // 0x20: addiu t0, t0, -1
    0x5500_fff8, // 0x24: bnel  t0, zero, 0x08
    0x2442_000b, // 0x28:  addiu v0, v0, 11        ; annulled on exit
    0x0000_000c, // 0x2c: syscall
    0,
    0,
    0,
    0,
    0x0002_5040, // 0x40: sll   t2, v0, 1
    0x03e0_0008, // 0x44: jr    ra
    0x004a_1026, // 0x48:  xor   v0, v0, t2
];
const LOOP_PC: u64 = 0x0040_0000;

fn loop_harness(arch: Arch, kind: EngineKind) -> bohr_emu::testing::Harness {
    let mut h = bohr_emu::testing::Harness::with_engine(arch, kind);
    let code: Vec<u8> = LOOP
        .iter()
        .flat_map(|w| if arch == Arch::Mipsel { w.to_le_bytes() } else { w.to_be_bytes() })
        .collect();
    h.map_code(LOOP_PC, &code);
    h
}

#[test]
fn the_loop_is_what_its_comments_say() {
    for (arch, endian) in [(Arch::Mipsel, Endian::Little), (Arch::Mipseb, Endian::Big)] {
        let h = loop_harness(arch, EngineKind::Interp);
        let code = h.read_mem(LOOP_PC, 4 * LOOP.len()).expect("mapped");
        let text: Vec<String> = (0..LOOP.len())
            .filter(|&i| LOOP[i] != 0)
            .map(|i| disassemble(endian, false, LOOP_PC + 4 * i as u64, &code[4 * i..]).unwrap().0)
            .collect();
        assert_eq!(
            text,
            [
                "addiu $t0, $zero, 0x14",
                "addiu $v0, $zero, 0",
                "andi $t1, $t0, 1",
                "beqz $t1, 0x400020",
                "addiu $v0, $v0, 3",
                "jal 0x400040",
                "addiu $v0, $v0, 5",
                "addiu $v0, $v0, 7",
                "addiu $t0, $t0, -1",
                "bnel $t0, $zero, 0x400008",
                "addiu $v0, $v0, 0xb",
                "syscall",
                "sll $t2, $v0, 1",
                "jr $ra",
                "xor $v0, $v0, $t2",
            ],
            "{arch}"
        );
    }
}

/// Stopping for fuel anywhere, between any branch and its delay slot
/// included, and resuming gives the same result as one uninterrupted run.
/// The expected values come from stepping the loop by hand.
#[test]
fn fuel_stops_anywhere_in_the_loop_change_nothing() {
    for arch in [Arch::Mipsel, Arch::Mipseb] {
        for kind in [EngineKind::Interp, EngineKind::Jit] {
            for step in [1, 2, 3, 5, 7, 13, 1_000_000] {
                let mut h = loop_harness(arch, kind);
                let mut stops = 0;
                loop {
                    match h.step(step) {
                        StopReason::FuelExhausted => stops += 1,
                        StopReason::Syscall => break,
                        other => panic!("{arch} {kind} step {step}: {other:?}"),
                    }
                    assert!(stops < 1000, "{arch} {kind} step {step}: no syscall");
                }
                let got = (h.reg("v0"), h.reg("t0"), h.reg("t1"), h.reg("t2"), h.reg("ra"));
                assert_eq!(got, (0xf8ed, 0, 1, 0xaf44, 0x40_001c), "{arch} {kind} step {step}");
                assert_eq!((h.pc(), h.icount()), (LOOP_PC + 0x30, 182), "{arch} {kind} {step}");
                assert_eq!(h.reg("delay"), 0, "{arch} {kind} step {step}");
            }
        }
    }
}
