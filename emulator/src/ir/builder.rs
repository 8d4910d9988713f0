//! `BlockBuilder`: the API frontends use to emit IR.
//!
//! It allocates temporaries and labels, inserts instruction markers and
//! offers one-line helpers (`add`, `load`, ...) so that lifters read like the
//! ISA manual. It enforces the block invariants on `finish`.

use std::cell::Cell;

use super::{BinOp, Block, Counter, Endian, Exit, Label, Op, Slot, Temp, UnOp, Width};

thread_local! {
    /// The ops vector of the last block this thread finished, empty: the
    /// next builder grows into it rather than from nothing, op by op, and
    /// [`BlockBuilder::finish`] copies the ops out at their exact length
    /// (a block kept for a run holds no spare capacity).
    static SPARE_OPS: Cell<Vec<Op>> = const { Cell::new(Vec::new()) };
}

/// Accumulates ops for one block.
#[derive(Debug, Default)]
pub struct BlockBuilder {
    pc: u64,
    ops: Vec<Op>,
    at: Cursor,
    /// Guest pc of the instruction being lifted.
    insn_pc: u64,
}

/// Where a builder stands, besides its ops: what a [`Checkpoint`] keeps.
#[derive(Clone, Copy, Debug, Default)]
struct Cursor {
    next_temp: u32,
    next_label: u32,
    insn_count: u32,
    end: u64,
    /// The exit once the block has been terminated.
    exit: Option<Exit>,
    /// Frontend scratch carried from one instruction to the next.
    note: u64,
    /// Some instruction of the block reads the virtual clock.
    reads_clock: bool,
}

/// Where a [`BlockBuilder`] stood before an instruction, to take that
/// instruction back out ([`BlockBuilder::rollback`]).
#[derive(Clone, Copy, Debug)]
pub struct Checkpoint {
    ops: usize,
    at: Cursor,
}

impl Checkpoint {
    /// Some instruction before this point reads the virtual clock.
    pub fn reads_clock(&self) -> bool {
        self.at.reads_clock
    }
}

impl BlockBuilder {
    pub fn new(pc: u64) -> Self {
        let ops = SPARE_OPS.take();
        BlockBuilder { pc, ops, at: Cursor { end: pc, ..Default::default() }, insn_pc: 0 }
    }

    /// Guest pc of the first instruction.
    pub fn start_pc(&self) -> u64 {
        self.pc
    }

    /// Guest pc just after the last instruction started so far.
    pub fn end_pc(&self) -> u64 {
        self.at.end
    }

    pub fn insn_count(&self) -> u32 {
        self.at.insn_count
    }

    pub fn is_terminated(&self) -> bool {
        self.at.exit.is_some()
    }

    /// Scratch a frontend carries from one instruction of this block to
    /// the next (mips: the branch whose delay slot follows). Starts at 0;
    /// engines never read it.
    pub fn note(&self) -> u64 {
        self.at.note
    }

    pub fn set_note(&mut self, note: u64) {
        self.at.note = note;
    }

    /// Start a guest instruction at `pc` of `len` bytes.
    pub fn insn(&mut self, pc: u64, len: u8) {
        debug_assert!(self.at.exit.is_none(), "instruction after block exit");
        self.insn_pc = pc;
        self.ops.push(Op::Insn { pc, len });
        self.at.insn_count += 1;
        self.at.end = pc + len as u64;
    }

    /// Set where the next instruction starts, when that differs from the
    /// end of the current one in execution-state bits of the pc (armel's
    /// IT state, see `arch::PC_STATE_SHIFT`); the block's fall-through
    /// exit goes there too.
    pub fn set_next_pc(&mut self, pc: u64) {
        self.at.end = pc;
    }

    pub fn temp(&mut self) -> Temp {
        let t = Temp(self.at.next_temp);
        self.at.next_temp += 1;
        t
    }

    pub fn label(&mut self) -> Label {
        let l = Label(self.at.next_label);
        self.at.next_label += 1;
        l
    }

    pub fn push(&mut self, op: Op) {
        self.ops.push(op);
    }

    pub fn konst(&mut self, value: u64) -> Temp {
        let dst = self.temp();
        self.ops.push(Op::Const { dst, value });
        dst
    }

    pub fn get(&mut self, slot: Slot) -> Temp {
        let dst = self.temp();
        self.ops.push(Op::Get { dst, slot });
        dst
    }

    pub fn set(&mut self, slot: Slot, src: Temp) {
        self.ops.push(Op::Set { slot, src });
    }

    pub fn set_const(&mut self, slot: Slot, value: u64) {
        let t = self.konst(value);
        self.set(slot, t);
    }

    pub fn bin(&mut self, op: BinOp, a: Temp, b: Temp) -> Temp {
        let dst = self.temp();
        self.ops.push(Op::Bin { op, dst, a, b });
        dst
    }

    /// `op(a, imm)` with the immediate materialised as a constant.
    pub fn bini(&mut self, op: BinOp, a: Temp, imm: u64) -> Temp {
        let b = self.konst(imm);
        self.bin(op, a, b)
    }

    pub fn un(&mut self, op: UnOp, src: Temp) -> Temp {
        let dst = self.temp();
        self.ops.push(Op::Un { op, dst, src });
        dst
    }

    pub fn add(&mut self, a: Temp, b: Temp) -> Temp {
        self.bin(BinOp::Add, a, b)
    }

    pub fn addi(&mut self, a: Temp, imm: u64) -> Temp {
        self.bini(BinOp::Add, a, imm)
    }

    pub fn and(&mut self, a: Temp, b: Temp) -> Temp {
        self.bin(BinOp::And, a, b)
    }

    pub fn andi(&mut self, a: Temp, imm: u64) -> Temp {
        self.bini(BinOp::And, a, imm)
    }

    pub fn sext32(&mut self, a: Temp) -> Temp {
        self.un(UnOp::Sext32, a)
    }

    pub fn zext32(&mut self, a: Temp) -> Temp {
        self.un(UnOp::Zext32, a)
    }

    pub fn select(&mut self, cond: Temp, if_true: Temp, if_false: Temp) -> Temp {
        let dst = self.temp();
        self.ops.push(Op::Select { dst, cond, if_true, if_false });
        dst
    }

    pub fn load(&mut self, addr: Temp, width: Width, signed: bool, endian: Endian) -> Temp {
        let dst = self.temp();
        self.ops.push(Op::Load { dst, addr, width, signed, endian });
        dst
    }

    pub fn store(&mut self, addr: Temp, src: Temp, width: Width, endian: Endian) {
        self.ops.push(Op::Store { addr, src, width, endian });
    }

    /// Read a counter. Reading the virtual clock first checks [`super::AHEAD`]
    /// and traps with [`super::TrapKind::ClockWait`] while it is set (the
    /// translator starts a block at every such instruction, so the trap
    /// leaves at a block boundary).
    pub fn counter(&mut self, counter: Counter) -> Temp {
        if counter == Counter::VirtualNs {
            self.at.reads_clock = true;
            let ahead = self.get(super::AHEAD);
            let kind = super::TrapKind::ClockWait;
            self.exit_if(ahead, Exit::Trap { kind, pc: self.insn_pc });
        }
        let dst = self.temp();
        self.ops.push(Op::Counter { dst, counter });
        dst
    }

    pub fn branch_if(&mut self, cond: Temp, target: Label) {
        self.ops.push(Op::BranchIf { cond, target });
    }

    pub fn place(&mut self, label: Label) {
        self.ops.push(Op::Label(label));
    }

    /// A floating-point op (see `ir::float`); unused operands repeat `a`.
    #[allow(clippy::too_many_arguments)]
    pub fn fp(
        &mut self,
        insn: crate::ir::FpInsn,
        a: Temp,
        b: Temp,
        c: Temp,
        rm: Temp,
        flags: Slot,
    ) -> Temp {
        let dst = self.temp();
        self.push(Op::Fp { insn, dst, a, b, c, rm, flags });
        dst
    }

    /// A vector op (see `ir::vector`); unused operands repeat `a`.
    pub fn vec(&mut self, insn: crate::ir::VecInsn, a: Temp, b: Temp, c: Temp) -> Temp {
        let dst = self.temp();
        self.push(Op::Vec { insn, dst, a, b, c });
        dst
    }

    pub fn exit_if(&mut self, cond: Temp, exit: Exit) {
        self.ops.push(Op::ExitIf { cond, exit });
    }

    /// Some instruction lifted so far reads the virtual clock.
    pub fn reads_clock(&self) -> bool {
        self.at.reads_clock
    }

    /// Where the builder stands now (before the next instruction).
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint { ops: self.ops.len(), at: self.at }
    }

    /// Take out everything lifted since `cp`.
    pub fn rollback(&mut self, cp: Checkpoint) {
        self.ops.truncate(cp.ops);
        self.at = cp.at;
    }

    /// Terminate the block.
    pub fn exit(&mut self, exit: Exit) {
        debug_assert!(self.at.exit.is_none(), "block terminated twice");
        self.at.exit = Some(exit);
    }

    /// Finish the block. A block that was not terminated falls through to
    /// the next instruction with `Exit::Jump(end_pc)`.
    pub fn finish(mut self) -> Block {
        let exit = self.at.exit.unwrap_or(Exit::Jump(self.at.end));
        let ops = self.ops.as_slice().to_vec();
        self.ops.clear();
        SPARE_OPS.set(std::mem::take(&mut self.ops));
        let block = Block {
            pc: self.pc,
            ops,
            exit,
            num_temps: self.at.next_temp,
            num_labels: self.at.next_label,
            insn_count: self.at.insn_count,
            byte_len: (super::pc_address(self.at.end) - super::pc_address(self.pc)) as u32,
        };
        debug_assert_eq!(validate(&block), Ok(()), "invalid block at {:#x}", block.pc);
        block
    }
}

/// Check a block's structural invariants: temps and labels in range, labels
/// placed once and only after every branch to them, ops after the first
/// marker.
pub fn validate(block: &Block) -> Result<(), String> {
    let mut placed = vec![false; block.num_labels as usize];
    let temp_ok = |t: Temp| t.0 < block.num_temps;
    if !matches!(block.ops.first(), Some(Op::Insn { .. })) && !block.ops.is_empty() {
        return Err("block does not start with an instruction marker".into());
    }
    for op in &block.ops {
        let mut temps = op.temp_written().into_iter().chain(op.temps_read().into_iter().flatten());
        if !temps.all(temp_ok) {
            return Err(format!("temp out of range in {op:?}"));
        }
        match *op {
            Op::BranchIf { target, .. }
                if target.0 >= block.num_labels || placed[target.0 as usize] =>
            {
                return Err(format!("backward or unknown branch target {target:?}"));
            }
            Op::Label(l) if l.0 >= block.num_labels || placed[l.0 as usize] => {
                return Err(format!("label {l:?} placed twice or unknown"));
            }
            Op::Label(l) => placed[l.0 as usize] = true,
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A block of `n` instructions, each a register read and a constant.
    fn block(pc: u64, n: u64) -> Block {
        let mut b = BlockBuilder::new(pc);
        for i in 0..n {
            b.insn(pc + 4 * i, 4);
            let v = b.get(Slot(1));
            let k = b.konst(i);
            let _ = b.add(v, k);
        }
        b.finish()
    }

    #[test]
    fn finished_blocks_hold_exactly_their_ops() {
        // Each block grows into the vector the one before it left behind,
        // and keeps only what it holds.
        for n in [40, 3, 17, 1] {
            let b = block(0x1000, n);
            assert_eq!(b.ops.len(), 4 * n as usize);
            assert_eq!(b.ops.capacity(), b.ops.len());
            assert_eq!(validate(&b), Ok(()));
        }
        // The same ops as a builder starting from nothing gives.
        let again = block(0x2000, 5);
        let fresh = std::thread::spawn(|| block(0x2000, 5)).join().unwrap();
        assert_eq!(again.ops, fresh.ops);
    }
}
