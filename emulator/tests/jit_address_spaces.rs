//! Compiled code and the memory it reads: an engine run over a second
//! address space (compiled code reads the running space's TLB and mapping
//! from its context, and the engine drops the blocks it translated from
//! the first, so it never reads the first space's memory), a page read
//! before it was written, and direct
//! accesses that fault (the host fault must become the guest's, at the
//! same instruction and count as in the interpreter).

use bohr_emu::arch::Arch;
use bohr_emu::engine::{EngineKind, StopReason};
use bohr_emu::ir::TrapKind;
use bohr_emu::mem::{Access, AddressSpace, Layout, MemFault, Perms};
use bohr_emu::testing::Harness;

const CODE: u64 = 0x40_0000;
const DATA: u64 = 0x50_0000;

/// `ld a0, 0(t0); ebreak` with `t0 = DATA`, over memory whose word at DATA
/// is `word`; returns `a0`.
fn load_word(h: &mut Harness, word: u64) -> u64 {
    let code: Vec<u8> =
        [0x0002_b503u32, 0x0010_0073].iter().flat_map(|w| w.to_le_bytes()).collect();
    h.map_code(CODE, &code);
    h.map_data(DATA, &word.to_le_bytes());
    h.cpu.pc = CODE;
    h.set_reg("t0", DATA);
    assert_eq!(h.step(10), StopReason::Trap(TrapKind::Breakpoint));
    h.reg("a0")
}

#[test]
fn compiled_code_is_dropped_when_the_address_space_changes() {
    let mut h = Harness::with_engine(Arch::Riscv64, EngineKind::Jit);
    assert_eq!(load_word(&mut h, 0x1111), 0x1111);
    assert_eq!(load_word(&mut h, 0x1111), 0x1111, "compiled and run again");
    // The first space stays alive, so the two TLBs are at different
    // addresses and stale code would read the first space's word.
    let first = std::mem::replace(&mut h.mem, AddressSpace::new(Layout::for_bits(true)));
    assert_eq!(load_word(&mut h, 0x2222), 0x2222, "the second space's memory");
    drop(first);
}

#[test]
fn a_page_read_before_its_first_write_reads_what_was_written() {
    let mut h = Harness::with_engine(Arch::Riscv64, EngineKind::Jit);
    let code: Vec<u8> =
        [0x0002_b503u32, 0x0010_0073].iter().flat_map(|w| w.to_le_bytes()).collect();
    h.map_code(CODE, &code);
    // Mapped, never written: reads come from the shared zero page, which a
    // host-side read puts in the TLB for compiled code to find.
    h.mem.map_fixed(DATA, 0x1000, Perms::RW).unwrap();
    assert_eq!(h.mem.load(DATA, 8), Ok(0));
    let run = |h: &mut Harness| {
        h.cpu.pc = CODE;
        h.set_reg("t0", DATA);
        assert_eq!(h.step(10), StopReason::Trap(TrapKind::Breakpoint));
        h.reg("a0")
    };
    assert_eq!(run(&mut h), 0);
    // The first write gives the page contents of its own.
    h.mem.store(DATA, 8, 0x77).unwrap();
    assert_eq!(run(&mut h), 0x77);
}

/// `addi a0, a0, 1`, then `op` (a load or store through t0), then
/// `addi a0, a0, 1; ebreak`, with t0 = `addr`; returns the stop, pc,
/// instruction count, a0 and the engine's direct-fault count.
fn run_access(
    kind: EngineKind,
    op: u32,
    addr: u64,
    perms: Perms,
) -> (StopReason, u64, u64, u64, u64) {
    let mut h = Harness::with_engine(Arch::Riscv64, kind);
    let code: Vec<u8> = [0x0015_0513u32, op, 0x0015_0513, 0x0010_0073]
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .collect();
    h.map_code(CODE, &code);
    h.mem.map_fixed(DATA, 0x1000, perms).unwrap();
    h.set_reg("t0", addr);
    h.set_reg("a1", 0x55);
    let stop = h.step(100);
    (stop, h.pc(), h.icount(), h.reg("a0"), h.stats().direct_faults)
}

const SD_A1_T0: u32 = 0x00b2_b023;
const LD_A0_T0: u32 = 0x0002_b503;

#[test]
fn a_faulting_direct_access_faults_at_its_instruction() {
    let cases = [
        // A store to a read-only page.
        (SD_A1_T0, DATA, Perms::R, MemFault { addr: DATA, access: Access::Write, unmapped: false }),
        // A load from an unmapped page.
        (
            LD_A0_T0,
            DATA + 0x1000,
            Perms::RW,
            MemFault { addr: DATA + 0x1000, access: Access::Read, unmapped: true },
        ),
        // A load beyond the host's reservation of guest addresses.
        (
            LD_A0_T0,
            0x4000_0000_0000,
            Perms::RW,
            MemFault { addr: 0x4000_0000_0000, access: Access::Read, unmapped: true },
        ),
        (
            LD_A0_T0,
            u64::MAX - 3,
            Perms::RW,
            MemFault { addr: u64::MAX - 3, access: Access::Read, unmapped: true },
        ),
    ];
    for (op, addr, perms, fault) in cases {
        let interp = run_access(EngineKind::Interp, op, addr, perms);
        let jit = run_access(EngineKind::Jit, op, addr, perms);
        assert_eq!(interp.0, StopReason::Fault(fault), "{addr:#x}");
        assert_eq!((interp.1, interp.2, interp.3), (CODE + 4, 1, 1), "{addr:#x}: at the access");
        assert_eq!(jit.0, interp.0, "{addr:#x}");
        assert_eq!((jit.1, jit.2, jit.3), (interp.1, interp.2, interp.3), "{addr:#x}");
        assert_eq!(jit.4, 1, "{addr:#x}: the access ran directly and faulted once");
    }
}

/// A pair load whose second word is on an unmapped page: `add` (counter
/// += 1), the load, `add`, with the pair's first word the last of DATA's
/// page. Returns the stop, pc, instruction count, the counter, the first
/// destination register and the engine's direct-fault count.
fn run_pair_load(arch: Arch, kind: EngineKind) -> (StopReason, u64, u64, u64, u64, u64) {
    // (add, the load, first destination, base, counter, word size)
    let (add, load, dst, base, counter, word) = match arch {
        // add x3, x3, #1; ldp x0, x1, [x2]
        Arch::Aarch64 => (0x9100_0463u32, 0xa940_0440u32, "x0", "x2", "x3", 8),
        // add r3, r3, #1; ldm r2, {r0, r1}
        _ => (0xe283_3001, 0xe892_0003, "r0", "r2", "r3", 4),
    };
    let mut h = Harness::with_engine(arch, kind);
    let code: Vec<u8> = [add, load, add].iter().flat_map(|w| w.to_le_bytes()).collect();
    h.map_code(CODE, &code);
    h.mem.map_fixed(DATA, 0x1000, Perms::RW).unwrap();
    h.set_reg(base, DATA + 0x1000 - word);
    h.set_reg(dst, 0x5555);
    let stop = h.step(100);
    (stop, h.pc(), h.icount(), h.reg(counter), h.reg(dst), h.stats().direct_faults)
}

#[test]
fn a_pair_load_faults_at_its_second_word_directly() {
    // The first word's load changes nothing, so the second may be direct
    // too: its host fault becomes the guest's, with the instruction not
    // run at all (the first destination keeps its value).
    for arch in [Arch::Aarch64, Arch::Armel] {
        let interp = run_pair_load(arch, EngineKind::Interp);
        let jit = run_pair_load(arch, EngineKind::Jit);
        let fault = MemFault { addr: DATA + 0x1000, access: Access::Read, unmapped: true };
        assert_eq!(interp.0, StopReason::Fault(fault), "{arch}");
        assert_eq!((interp.1, interp.2, interp.3, interp.4), (CODE + 4, 1, 1, 0x5555), "{arch}");
        assert_eq!(
            (jit.0, jit.1, jit.2, jit.3, jit.4),
            (interp.0, interp.1, interp.2, interp.3, interp.4),
            "{arch}"
        );
        assert_eq!(jit.5, 1, "{arch}: the second word ran directly and faulted once");
    }
}

#[test]
fn a_direct_access_that_may_run_does() {
    for (op, perms) in [(SD_A1_T0, Perms::RW), (LD_A0_T0, Perms::R)] {
        let (stop, pc, icount, _, faults) = run_access(EngineKind::Jit, op, DATA, perms);
        assert_eq!(stop, StopReason::Trap(TrapKind::Breakpoint));
        assert_eq!((pc, icount, faults), (CODE + 12, 3, 0));
    }
}

#[test]
fn a_32_bit_guest_faults_at_the_top_of_its_address_space() {
    // mipsel: `addiu v1, v1, 1; lw v0, 0(t0); nop; break` with t0 near
    // 2^32, where the host reservation ends in its guard.
    for addr in [0x8000_0000u64, 0xffff_fffc, 0xffff_fffe] {
        let mut results = Vec::new();
        for kind in [EngineKind::Interp, EngineKind::Jit] {
            let mut h = Harness::with_engine(Arch::Mipsel, kind);
            let code: Vec<u8> = [0x2463_0001u32, 0x8d02_0000, 0, 0x0000_000d]
                .iter()
                .flat_map(|w| w.to_le_bytes())
                .collect();
            h.map_code(CODE, &code);
            h.set_reg("t0", addr);
            let stop = h.step(100);
            results.push((stop, h.pc(), h.icount(), h.reg("v1"), h.stats().direct_faults));
        }
        let fault = MemFault { addr, access: Access::Read, unmapped: true };
        assert_eq!(results[0].0, StopReason::Fault(fault), "{addr:#x}");
        assert_eq!((results[0].1, results[0].2, results[0].3), (CODE + 4, 1, 1), "{addr:#x}");
        assert_eq!(results[1].0, results[0].0, "{addr:#x}");
        let at = |r: &(StopReason, u64, u64, u64, u64)| (r.1, r.2, r.3);
        assert_eq!(at(&results[1]), at(&results[0]), "{addr:#x}");
        assert_eq!(results[1].4, 1, "{addr:#x}: direct");
    }
}
