//! Block translation: fetch guest bytes and drive a frontend to build one
//! IR block. Enforces the block shape every engine relies on: no block
//! crosses a guest page (only its last instruction may straddle one) and no
//! block exceeds `max_insns` instructions.
//!
//! It is also where instrumentation is decided: with a plugin host, the
//! plugins see each fresh block's instructions ([`crate::plugin`]) and the
//! hook ops they ask for are inserted here, in the IR both engines run.
//! Without a host, or where no plugin asked, the block is left exactly as
//! the frontend built it.

use std::cell::RefCell;

use crate::arch::Frontend;
use crate::ir::{BinOp, Block, BlockBuilder, MemHook, Op, Temp};
use crate::mem::{Access, AddressSpace, MemFault, PAGE_MASK, PAGE_SIZE};
use crate::plugin::{InsnInfo, Placement, PluginHost};

/// Translate the block starting at `pc`. Fails only when not even the first
/// byte at `pc` is executable.
pub fn translate(
    frontend: &dyn Frontend,
    mem: &AddressSpace,
    pc: u64,
    max_insns: u32,
) -> Result<Block, MemFault> {
    translate_instrumented(frontend, mem, pc, max_insns, None)
}

/// [`translate`], then let the plugins of `plugins` instrument the block.
pub fn translate_instrumented(
    frontend: &dyn Frontend,
    mem: &AddressSpace,
    pc: u64,
    max_insns: u32,
    plugins: Option<&RefCell<PluginHost>>,
) -> Result<Block, MemFault> {
    let mut block = lift_block(frontend, mem, pc, max_insns)?;
    if let Some(host) = plugins {
        let insns = block_insns(frontend, &block, mem);
        let placement = host.borrow_mut().plan_block(frontend.arch(), &block, &insns);
        if !placement.is_empty() {
            insert_hooks(&mut block, &placement);
            debug_assert_eq!(crate::ir::validate(&block), Ok(()), "instrumented block invalid");
        }
    }
    Ok(block)
}

/// The instructions of `block` with their bytes, from its markers.
fn block_insns(frontend: &dyn Frontend, block: &Block, mem: &AddressSpace) -> Vec<InsnInfo> {
    let mut insns = Vec::with_capacity(block.insn_count as usize);
    for op in &block.ops {
        if let Op::Insn { pc, len } = *op {
            let mut buf = vec![0u8; len as usize];
            // The bytes were fetched to lift the instruction; a marker for
            // bytes that are no longer fetchable keeps what could be read.
            let n = mem.fetch(frontend.fetch_addr(pc), &mut buf);
            buf.truncate(n);
            insns.push(InsnInfo { pc, bytes: buf, mode: frontend.mode() });
        }
    }
    insns
}

/// Insert the hook ops of `placement`: execution hooks right after their
/// instruction's marker (so they run when the instruction starts, and not
/// when fuel ends the block before it), memory hooks right after each load
/// or store of their instruction (so a faulting access reports nothing).
fn insert_hooks(block: &mut Block, placement: &Placement) {
    let mut out = Vec::with_capacity(block.ops.len() * 2);
    let mut index: Option<usize> = None;
    let mut cur_pc = block.pc;
    let ops = std::mem::take(&mut block.ops);
    for op in ops {
        let mem_hooks: &[u32] = index.map_or(&[], |i| &placement.mem[i]);
        match op {
            Op::Insn { pc, .. } => {
                let i = index.map_or(0, |i| i + 1);
                index = Some(i);
                cur_pc = pc;
                out.push(op);
                for &id in &placement.insn[i] {
                    out.push(Op::Hook { id, pc, mem: None });
                }
            }
            Op::Load { dst, addr, width, .. } if !mem_hooks.is_empty() => {
                // The load may overwrite its own address temp: keep a copy.
                let addr = if dst == addr {
                    let copy = Temp(block.num_temps);
                    block.num_temps += 1;
                    out.push(Op::Bin { op: BinOp::Or, dst: copy, a: addr, b: addr });
                    copy
                } else {
                    addr
                };
                out.push(op);
                for &id in mem_hooks {
                    let mem = MemHook { addr, value: dst, width, store: false };
                    out.push(Op::Hook { id, pc: cur_pc, mem: Some(mem) });
                }
            }
            Op::Store { addr, src, width, .. } if !mem_hooks.is_empty() => {
                out.push(op);
                for &id in mem_hooks {
                    let mem = MemHook { addr, value: src, width, store: true };
                    out.push(Op::Hook { id, pc: cur_pc, mem: Some(mem) });
                }
            }
            _ => out.push(op),
        }
    }
    block.ops = out;
}

/// The guest bytes a block was lifted from: `[lo, lo + len)` in fetch
/// addresses, the word before the block (when `begin_block` saw it) and
/// every byte handed to `lift_insn`. Lifting is a function of the
/// frontend, the pc, the instruction limit and these bytes alone, so the
/// same bytes fetchable at the same place elsewhere lift to the same block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Witness {
    /// First byte (a fetch address).
    pub lo: u64,
    /// Number of bytes.
    pub len: usize,
}

/// Lift the block at `pc` (no instrumentation).
fn lift_block(
    frontend: &dyn Frontend,
    mem: &AddressSpace,
    pc: u64,
    max_insns: u32,
) -> Result<Block, MemFault> {
    translate_witnessed(frontend, mem, pc, max_insns).map(|(b, _)| b)
}

/// Translate the block at `pc` without instrumentation, with the bytes it
/// depends on. The witness is `None` when a fetch came up short (an
/// instruction's bytes ran into memory that cannot be executed): the
/// block then depends on where that memory ends, which its bytes do not
/// show.
pub fn translate_witnessed(
    frontend: &dyn Frontend,
    mem: &AddressSpace,
    pc: u64,
    max_insns: u32,
) -> Result<(Block, Option<Witness>), MemFault> {
    let max_insns = max_insns.max(1);
    let at = frontend.fetch_addr(pc);
    let page_end = (at & PAGE_MASK).wrapping_add(PAGE_SIZE);
    let max_len = frontend.max_insn_len().min(16);
    let mut b = BlockBuilder::new(pc);
    // The word before the block, when it is on the block's own page: the
    // block then depends on no page but its own, so a write to that page
    // invalidates it (and a block at a page start sees no word before it).
    let mut before = [0u8; 4];
    let n = if at & !PAGE_MASK >= 4 { mem.fetch(at - 4, &mut before) } else { 0 };
    let n = if n == 4 { 4 } else { 0 };
    frontend.begin_block(pc, &before[..n], &mut b);
    let lo = at - n as u64;
    let mut hi = at;
    let mut short = false;
    loop {
        let cur = b.end_pc();
        let mut buf = [0u8; 16];
        let from = frontend.fetch_addr(cur);
        let n = mem.fetch(from, &mut buf[..max_len]);
        short |= n < max_len;
        hi = hi.max(from.wrapping_add(n as u64));
        if n == 0 {
            if b.insn_count() == 0 {
                return Err(MemFault {
                    addr: at,
                    access: Access::Exec,
                    unmapped: !mem.is_mapped(at),
                });
            }
            // The next instruction is not fetchable: let the block fall
            // through to it, so the fault is raised with the right pc.
            break;
        }
        let before_insn = b.checkpoint();
        frontend.lift_insn(cur, &buf[..n], &mut b);
        if b.reads_clock() && !before_insn.reads_clock() && b.insn_count() > 1 {
            // A clock read starts its own block, so that a thread running
            // ahead stops at a block boundary (see `ir::AHEAD`): stopping
            // there changes no translation.
            b.rollback(before_insn);
            break;
        }
        // Pages are counted in addresses, without the pc's state bits.
        let end = frontend.fetch_addr(b.end_pc());
        if b.is_terminated()
            || b.insn_count() >= max_insns
            || end.wrapping_sub(at & PAGE_MASK) >= PAGE_SIZE
            || end == page_end
        {
            break;
        }
    }
    let witness = (!short && hi > lo).then(|| Witness { lo, len: (hi - lo) as usize });
    Ok((b.finish(), witness))
}
