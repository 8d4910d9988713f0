//! Compiled code and the memory it reads: an engine run over a second
//! address space (compiled code has its address space's TLB built in, so
//! the engine must drop it rather than read the first space's memory
//! through it), and a page read before it had contents (the code's access
//! sites must not keep the shared zero page).

use bohr_emu::arch::Arch;
use bohr_emu::engine::{EngineKind, StopReason};
use bohr_emu::ir::TrapKind;
use bohr_emu::mem::{AddressSpace, Layout, Perms};
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
