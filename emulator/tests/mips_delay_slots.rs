//! MIPS32 delay slots under fuel stops and faults, both byte orders: a
//! loop program checks that fuel stops anywhere (between a branch and its
//! delay slot included) leave the result unchanged, and faults in a slot
//! after each kind of branch leave compiled code where the interpreter is
//! (compiled code keeps the branch's pending transfer out of `CpuState`,
//! see `Frontend::transient_slot`). The per-instruction cases are in
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

/// `addiu v1, v1, 1`, a branch (to `TARGET` when taken), its delay slot,
/// `addiu v1, v1, 0x10; break` after it and `addiu v1, v1, 0x100; break`
/// at the target.
fn slot_program(branch: u32, slot: u32) -> [u32; 7] {
    [0x2463_0001, branch, slot, 0x2463_0010, 0x0000_000d, 0x2463_0100, 0x0000_000d]
}
const TARGET: u64 = LOOP_PC + 0x14;
const DATA: u64 = 0x0050_0000;

/// Run `slot_program(branch, slot)` with `t0 = addr` (a page of RW data
/// at DATA, the rest unmapped unless the address is in the code's own
/// page, which is then writable too); returns what an engine must agree
/// on, and its direct faults.
fn run_slot(arch: Arch, kind: EngineKind, branch: u32, slot: u32, addr: u64) -> (String, u64) {
    let mut h = bohr_emu::testing::Harness::with_engine(arch, kind);
    let words = slot_program(branch, slot);
    let code: Vec<u8> = words
        .iter()
        .flat_map(|w| if arch == Arch::Mipsel { w.to_le_bytes() } else { w.to_be_bytes() })
        .collect();
    h.map_code(LOOP_PC, &code);
    h.map_data(DATA, &[0x5a; 16]);
    if addr & !0xfff == LOOP_PC {
        h.map_data(addr, &[0; 4]);
    }
    h.set_reg("t0", addr);
    h.set_reg("t9", TARGET);
    h.set_reg("ra", TARGET);
    h.set_reg("a1", 0x1234_5678);
    let stop = h.step(100);
    let regs = ["v0", "v1", "ra", "delay"].map(|r| format!("{r}={:#x}", h.reg(r)));
    let word = h.read_mem(addr & !3, 4);
    let state = format!("{stop:?} pc={:#x} icount={} {regs:?} mem={word:?}", h.pc(), h.icount());
    (state, h.stats().direct_faults)
}

/// A direct access in a delay slot that faults resumes at its branch,
/// whose pending transfer compiled code keeps out of `CpuState` until the
/// slot is done (see `Frontend::transient_slot`): the branch runs again
/// (taken or not, linking or not) and the slot with it, on the slow path,
/// which either completes them (a store into a code page) or raises the
/// guest's fault at the slot with the branch pending, as the interpreter
/// does. A `jalr` whose link register is its target runs again from a
/// changed register, so its slot keeps the transfer in `CpuState`.
#[test]
fn a_fault_in_a_delay_slot_resumes_where_the_interpreter_is() {
    let branches = [
        ("beq zero, zero (taken)", 0x1000_0003u32),
        ("bne t1, zero (not taken)", 0x1520_0003),
        ("jal", 0x0c10_0005),
        ("jr t9", 0x0320_0008),
        ("jalr t9", 0x0320_f809),
        ("jalr ra, ra", 0x03e0_f809),
    ];
    let slots = [
        ("lw v0, 0(t0) unmapped", 0x8d02_0000u32, DATA + 0x1000),
        ("lw v0, 0(t0)", 0x8d02_0000, DATA),
        ("sw a1, 0(t0) into code", 0xad05_0000, LOOP_PC + 0x1c),
        ("lbu v0, 3(t0) beyond 4 GiB", 0x9102_0003, 0xffff_fffe),
    ];
    for arch in [Arch::Mipsel, Arch::Mipseb] {
        for (bname, branch) in branches {
            for (sname, slot, addr) in slots {
                let what = format!("{arch} {bname}; {sname}");
                let (want, _) = run_slot(arch, EngineKind::Interp, branch, slot, addr);
                let (got, faults) = run_slot(arch, EngineKind::Jit, branch, slot, addr);
                assert_eq!(got, want, "{what}");
                let direct_fault = addr != DATA;
                assert_eq!(faults, u64::from(direct_fault), "{what}: {want}");
            }
        }
    }
}
