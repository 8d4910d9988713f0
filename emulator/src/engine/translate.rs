//! Block translation: fetch guest bytes and drive a frontend to build one
//! IR block. Enforces the block shape every engine relies on: no block
//! crosses a guest page (only its last instruction may straddle one) and no
//! block exceeds `max_insns` instructions.

use crate::arch::Frontend;
use crate::ir::{Block, BlockBuilder};
use crate::mem::{Access, AddressSpace, MemFault, PAGE_MASK, PAGE_SIZE};

/// Translate the block starting at `pc`. Fails only when not even the first
/// byte at `pc` is executable.
pub fn translate(
    frontend: &dyn Frontend,
    mem: &AddressSpace,
    pc: u64,
    max_insns: u32,
) -> Result<Block, MemFault> {
    let max_insns = max_insns.max(1);
    let page_end = (pc & PAGE_MASK).wrapping_add(PAGE_SIZE);
    let max_len = frontend.max_insn_len().min(16);
    let mut b = BlockBuilder::new(pc);
    // The word before the block, when it is on the block's own page: the
    // block then depends on no page but its own, so a write to that page
    // invalidates it (and a block at a page start sees no word before it).
    let mut before = [0u8; 4];
    let n = if pc & !PAGE_MASK >= 4 { mem.fetch(pc - 4, &mut before) } else { 0 };
    let n = if n == 4 { 4 } else { 0 };
    frontend.begin_block(pc, &before[..n], &mut b);
    loop {
        let cur = b.end_pc();
        let mut buf = [0u8; 16];
        let n = mem.fetch(cur, &mut buf[..max_len]);
        if n == 0 {
            if b.insn_count() == 0 {
                return Err(MemFault {
                    addr: pc,
                    access: Access::Exec,
                    unmapped: !mem.is_mapped(pc),
                });
            }
            // The next instruction is not fetchable: let the block fall
            // through to it, so the fault is raised with the right pc.
            break;
        }
        frontend.lift_insn(cur, &buf[..n], &mut b);
        let end = b.end_pc();
        if b.is_terminated()
            || b.insn_count() >= max_insns
            || end.wrapping_sub(pc & PAGE_MASK) >= PAGE_SIZE
            || end == page_end
        {
            break;
        }
    }
    Ok(b.finish())
}
