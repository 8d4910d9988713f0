//! MIPS32 lifter: decoded instructions → IR ops, for either byte order.
//!
//! Receives bytes from the translator (through `Mips::lift_insn`), asks
//! `decode` what they mean and emits IR through `BlockBuilder`. Rules kept
//! throughout:
//! - every slot holds a 32-bit value zero-extended to 64 bits, so results
//!   are truncated with `Zext32` and signed comparisons sign-extend first;
//!   addresses are computed modulo 2^32;
//! - `$zero` reads as the constant 0 and writes to it are dropped;
//! - every load and store of an instruction comes before its register
//!   writes, so a faulting access leaves the registers untouched;
//! - results are computed into temporaries before any register is written.
//!
//! # Delay slots
//!
//! A branch or jump executes the instruction after it (its delay slot)
//! before control moves. The branch retires on its own, as on hardware, so
//! fuel can run out, or the slot can fault, between the two. The protocol:
//!
//! 1. The branch decides, writes its link register, and stores the pending
//!    transfer in the [`regs::DELAY`] slot: `DELAY_PENDING | target` when
//!    taken, 0 when not. It does not end the block; it leaves a note in the
//!    builder ([`BlockBuilder::note`]) describing where to go.
//! 2. When the translator lifts the slot into the same block (the usual
//!    case), the slot sees the note: after its own ops it clears `DELAY`
//!    and ends the block with the branch's exit (a direct `Jump` to a
//!    static target, so engines can chain).
//! 3. When anything separates the two (the block cap or a page end right
//!    after the branch, the fuel limit at the slot's marker, a fault in the
//!    slot), the engine resumes at the slot's pc with `DELAY` set. Every
//!    block therefore reads `DELAY` at its first instruction and, after
//!    that instruction, takes the pending transfer if there is one. The
//!    common path costs one slot read and a not-taken branch per block.
//!
//! `DELAY` is the frontend's transient slot: compiled code keeps a
//! branch's write of it out of `CpuState` while the slot in the same block
//! runs (a fault of the slot's direct access resumes at the branch, which
//! then runs again), so neither that write nor the slot's clear is stored.
//!
//! A likely branch that is not taken leaves the block at `pc + 8` from the
//! branch itself (the slot is annulled and never counted). A fault in a
//! delay slot is reported at the slot's own pc with `DELAY` still set, so
//! resuming there completes the branch; Linux would report the branch's pc
//! with Cause.BD set instead. Branches, jumps and `syscall` in a delay slot
//! raise an illegal-instruction trap at the slot (the manual leaves the
//! former UNPREDICTABLE, and Linux mishandles the latter).

use super::decode::{self, AluOp, Cond, Decoded, Insn, MulDivOp, Opcode, ShiftOp, TrapCond};
use super::regs::{self, DELAY, DELAY_PENDING};
use crate::ir::{BinOp, BlockBuilder, Counter, Endian, Exit, Temp, TrapKind, UnOp, Width};

const MASK32: u64 = 0xffff_ffff;
/// `rdhwr $1`: the `synci` stride, as on a 24K core.
const SYNCI_STEP: u64 = 32;
/// `rdhwr $3`: the cycle counter advances once per retired instruction.
const CC_RES: u64 = 1;

/// The note a block starts with when the word before it is no branch: the
/// block cannot begin in a delay slot, so no branch can be pending (one is
/// pending only between a branch and its slot).
const NOT_AFTER_BRANCH: u64 = 1;
const _: () = assert!(NOT_AFTER_BRANCH >> Pending::KIND_SHIFT == 0, "not a pending branch");

/// Before a block: note whether the word before it can have a delay slot.
/// Without a fetchable word before it, the block checks for a pending
/// branch, as it does after a branch.
pub fn begin_block(endian: Endian, before: &[u8], b: &mut BlockBuilder) {
    let branch_before = match decode::word_from(before, endian).map(decode::decode_word) {
        Some(Decoded::Insn(i)) => i.opcode.has_delay_slot(),
        Some(Decoded::Illegal) => false,
        None => true,
    };
    if !branch_before {
        b.set_note(NOT_AFTER_BRANCH);
    }
}

/// Lift the one instruction at `pc`; `bytes` holds what is fetchable there.
/// `fr1` is the FPU mode (`Status.FR`) the block runs in.
pub fn lift_insn(endian: Endian, fr1: bool, pc: u64, bytes: &[u8], b: &mut BlockBuilder) {
    // The previous instruction's note only applies to the one right after
    // it in the same block.
    let first = b.insn_count() == 0;
    let after_branch = !(first && b.note() == NOT_AFTER_BRANCH);
    let slot_of = Pending::decode(b.note());
    b.set_note(0);

    let Some(word) = decode::word_from(bytes, endian) else {
        // Fewer than 4 bytes are fetchable: the fault is at the first
        // missing byte.
        let available = bytes.len().min(3) as u8;
        b.insn(pc, available.max(1));
        let addr = (pc + available as u64) & MASK32;
        b.exit(Exit::Trap { kind: TrapKind::FetchFault { addr }, pc });
        return;
    };
    b.insn(pc, 4);
    if pc & 3 != 0 {
        // Without MIPS16e or microMIPS an odd target is an address error
        // on fetch.
        b.exit(Exit::Trap { kind: TrapKind::FetchFault { addr: pc }, pc });
        return;
    }
    let illegal = {
        let raw: [u8; 4] = [bytes[0], bytes[1], bytes[2], bytes[3]];
        Exit::Trap {
            kind: TrapKind::IllegalInstruction { bytes: u32::from_le_bytes(raw), len: 4 },
            pc,
        }
    };
    let insn = match decode::decode_word(word) {
        Decoded::Insn(i) if fr1 || !i.fr1 => i,
        _ => {
            b.exit(illegal);
            return;
        }
    };

    // Read the pending transfer before the instruction can change it.
    let pending = (first && after_branch).then(|| b.get(DELAY));
    if insn.opcode.forbidden_in_delay_slot() {
        if slot_of.is_some() {
            b.exit(illegal);
            return;
        }
        if let Some(p) = pending {
            b.exit_if(p, illegal);
        }
    }

    let next = (pc + 4) & MASK32;
    let flow = Lifter { b, endian, fr1, pc, next }.lift(&insn);
    match flow {
        Flow::Trap(exit) => b.exit(exit),
        Flow::Branch(p) => {
            // Forbidden in slots, so neither `slot_of` nor `pending`
            // applies here.
            b.set_note(p.encode());
        }
        Flow::Syscall => b.exit(Exit::Syscall { next_pc: next }),
        Flow::Next | Flow::EndBlock => {
            if let Some(branch) = slot_of {
                let zero = b.konst(0);
                b.set(DELAY, zero);
                branch.finish(b, next);
            } else {
                if let Some(p) = pending {
                    take_pending(b, p);
                }
                if flow == Flow::EndBlock {
                    b.exit(Exit::Jump(next));
                }
            }
        }
    }
}

/// After a block's first instruction: if a branch was pending when the
/// block started (its delay slot was that instruction), clear it and go to
/// its target.
fn take_pending(b: &mut BlockBuilder, pending: Temp) {
    let zero = b.konst(0);
    let none = b.bin(BinOp::Eq, pending, zero);
    let skip = b.label();
    b.branch_if(none, skip);
    b.set(DELAY, zero);
    let target = b.zext32(pending);
    b.exit_if(pending, Exit::JumpIndirect(target));
    b.place(skip);
}

/// How an instruction continues, for the delay-slot bookkeeping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Flow {
    /// Falls through to the next instruction.
    Next,
    /// Falls through, but ends the block so that the next instruction is
    /// fetched afresh (`synci`).
    EndBlock,
    /// A branch: its delay slot comes next.
    Branch(Pending),
    Syscall,
    /// Ends in a trap; nothing after it runs.
    Trap(Exit),
}

/// Where a branch goes once its delay slot has run, carried in the
/// builder's note from the branch to its slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Pending {
    /// Always to `target`.
    Always { target: u32 },
    /// To `target` if `taken` (a temporary) is nonzero, else on.
    If { taken: Temp, target: u32 },
    /// To the address in a temporary.
    Indirect { target: Temp },
}

impl Pending {
    const KIND_SHIFT: u32 = 62;
    const TEMP_SHIFT: u32 = 32;

    /// Pack into a nonzero note: kind in bits 63:62, temporary in 61:32,
    /// static target in 31:0.
    fn encode(self) -> u64 {
        let (kind, temp, target) = match self {
            Pending::Always { target } => (1u64, 0, target),
            Pending::If { taken, target } => (2, taken.0, target),
            Pending::Indirect { target } => (3, target.0, 0),
        };
        debug_assert!(temp < 1 << 30, "temporary index fits the note");
        (kind << Self::KIND_SHIFT) | ((temp as u64) << Self::TEMP_SHIFT) | target as u64
    }

    fn decode(note: u64) -> Option<Pending> {
        let temp = Temp(((note >> Self::TEMP_SHIFT) & ((1 << 30) - 1)) as u32);
        let target = note as u32;
        match note >> Self::KIND_SHIFT {
            1 => Some(Pending::Always { target }),
            2 => Some(Pending::If { taken: temp, target }),
            3 => Some(Pending::Indirect { target: temp }),
            _ => None,
        }
    }

    /// End the block the way the branch goes; `fall` is the address after
    /// the delay slot.
    fn finish(self, b: &mut BlockBuilder, fall: u64) {
        match self {
            Pending::Always { target } => b.exit(Exit::Jump(target as u64)),
            Pending::If { taken, target } => {
                b.exit_if(taken, Exit::Jump(target as u64));
                b.exit(Exit::Jump(fall));
            }
            Pending::Indirect { target } => b.exit(Exit::JumpIndirect(target)),
        }
    }
}

fn width(size: u8) -> Width {
    match size {
        1 => Width::W8,
        2 => Width::W16,
        _ => Width::W32,
    }
}

pub(super) struct Lifter<'a> {
    pub(super) b: &'a mut BlockBuilder,
    pub(super) endian: Endian,
    /// The FPU runs with `FR=1` (64-bit registers).
    pub(super) fr1: bool,
    pub(super) pc: u64,
    /// Address of the next instruction (the delay slot of a branch).
    pub(super) next: u64,
}

impl Lifter<'_> {
    /// Read `$r`; `$zero` is the constant 0.
    pub(super) fn r(&mut self, r: u8) -> Temp {
        if r == 0 { self.b.konst(0) } else { self.b.get(regs::r(r as u32)) }
    }

    /// Write `$r`; writes to `$zero` are dropped.
    pub(super) fn set_r(&mut self, r: u8, t: Temp) {
        if r != 0 {
            self.b.set(regs::r(r as u32), t);
        }
    }

    fn konst(&mut self, v: u64) -> Temp {
        self.b.konst(v)
    }

    fn bin(&mut self, op: BinOp, a: Temp, c: Temp) -> Temp {
        self.b.bin(op, a, c)
    }

    fn bini(&mut self, op: BinOp, a: Temp, imm: u64) -> Temp {
        self.b.bini(op, a, imm)
    }

    fn zext(&mut self, t: Temp) -> Temp {
        self.b.zext32(t)
    }

    fn sext(&mut self, t: Temp) -> Temp {
        self.b.sext32(t)
    }

    /// `base + offset` modulo 2^32: the address of a load or store.
    pub(super) fn addr(&mut self, base: u8, offset: i64) -> Temp {
        let base = self.r(base);
        if offset == 0 {
            base
        } else {
            let sum = self.b.addi(base, offset as u64);
            self.zext(sum)
        }
    }

    pub(super) fn trap_exit(&self, kind: TrapKind) -> Exit {
        Exit::Trap { kind, pc: self.pc }
    }

    fn lift(&mut self, i: &Insn) -> Flow {
        if i.opcode.is_fpu() {
            return self.lift_fp(i);
        }
        match i.opcode {
            Opcode::Alu(op) => {
                let a = self.r(i.rs);
                let c = self.r(i.rt);
                if let Some(v) = self.alu(op, a, c, i.rd) {
                    self.set_r(i.rd, v);
                }
            }
            Opcode::AluImm(op) => {
                let v = if i.rs == 0 && matches!(op, AluOp::Addu | AluOp::Or | AluOp::Xor) {
                    // li / move-immediate: no need to read the zero register.
                    self.konst(i.imm as u64 & MASK32)
                } else {
                    let a = self.r(i.rs);
                    let c = self.konst(i.imm as u64 & MASK32);
                    // alu() never returns None for immediate operations.
                    self.alu(op, a, c, i.rt).expect("immediate ALU ops produce a value")
                };
                self.set_r(i.rt, v);
            }
            Opcode::Shift(op) => {
                let a = self.r(i.rt);
                let v = self.shift(op, a, ShiftBy::Imm(i.sa as u64));
                self.set_r(i.rd, v);
            }
            Opcode::Lui => {
                let v = self.konst(i.imm as u64);
                self.set_r(i.rt, v);
            }
            Opcode::MulDiv(op) => self.muldiv(op, i.rs, i.rt),
            Opcode::Mfhi | Opcode::Mflo => {
                let v = self.b.get(if i.opcode == Opcode::Mfhi { regs::HI } else { regs::LO });
                self.set_r(i.rd, v);
            }
            Opcode::Mthi | Opcode::Mtlo => {
                let v = self.r(i.rs);
                self.b.set(if i.opcode == Opcode::Mthi { regs::HI } else { regs::LO }, v);
            }
            Opcode::Clz | Opcode::Clo => {
                let mut a = self.r(i.rs);
                if i.opcode == Opcode::Clo {
                    a = self.bini(BinOp::Xor, a, MASK32);
                }
                // The 64-bit count of a zero-extended value is 32 too many.
                let n = self.b.un(UnOp::Clz, a);
                let v = self.bini(BinOp::Sub, n, 32);
                self.set_r(i.rd, v);
            }
            Opcode::Seb | Opcode::Seh => {
                let a = self.r(i.rt);
                let s =
                    self.b.un(if i.opcode == Opcode::Seb { UnOp::Sext8 } else { UnOp::Sext16 }, a);
                let v = self.zext(s);
                self.set_r(i.rd, v);
            }
            Opcode::Wsbh => {
                // Swap the bytes of each halfword.
                let a = self.r(i.rt);
                let lo = self.b.andi(a, 0x00ff_00ff);
                let lo = self.bini(BinOp::Shl, lo, 8);
                let hi = self.bini(BinOp::ShrU, a, 8);
                let hi = self.b.andi(hi, 0x00ff_00ff);
                let v = self.bin(BinOp::Or, lo, hi);
                self.set_r(i.rd, v);
            }
            Opcode::Ext => {
                let a = self.r(i.rs);
                let shifted = self.bini(BinOp::ShrU, a, i.sa as u64);
                let v = self.b.andi(shifted, (1u64 << i.imm) - 1);
                self.set_r(i.rt, v);
            }
            Opcode::Ins => {
                let field = ((1u64 << i.imm) - 1) << i.sa;
                let src = self.r(i.rs);
                let old = self.r(i.rt);
                let moved = self.bini(BinOp::Shl, src, i.sa as u64);
                let moved = self.b.andi(moved, field);
                let kept = self.b.andi(old, !field & MASK32);
                let v = self.bin(BinOp::Or, kept, moved);
                self.set_r(i.rt, v);
            }
            Opcode::Load { size, signed } => {
                let addr = self.addr(i.rs, i.imm);
                let w = width(size);
                let mut v = self.b.load(addr, w, signed, self.endian);
                if signed && size < 4 {
                    v = self.zext(v);
                }
                self.set_r(i.rt, v);
            }
            Opcode::Store { size } => {
                let addr = self.addr(i.rs, i.imm);
                let v = self.r(i.rt);
                self.b.store(addr, v, width(size), self.endian);
            }
            Opcode::Lwl | Opcode::Lwr => self.load_partial(i),
            Opcode::Swl | Opcode::Swr => self.store_partial(i),
            Opcode::Ll => {
                let addr = self.addr(i.rs, i.imm);
                let v = self.b.load(addr, Width::W32, false, self.endian);
                self.b.set(regs::RESERVATION, addr);
                self.set_r(i.rt, v);
            }
            Opcode::Sc => {
                // Store and write 1 iff the reservation holds the address,
                // else write 0 without storing; the reservation is dropped.
                let addr = self.addr(i.rs, i.imm);
                let value = self.r(i.rt);
                let held = self.b.get(regs::RESERVATION);
                let failed = self.bin(BinOp::Ne, held, addr);
                let skip = self.b.label();
                self.b.branch_if(failed, skip);
                self.b.store(addr, value, Width::W32, self.endian);
                self.b.place(skip);
                self.b.set_const(regs::RESERVATION, regs::NO_RESERVATION);
                let ok = self.bini(BinOp::Xor, failed, 1);
                self.set_r(i.rt, ok);
            }
            Opcode::Branch { cond, likely, link } => return self.branch(i, cond, likely, link),
            Opcode::J | Opcode::Jal => {
                let target = (self.next & 0xf000_0000) | i.imm as u64;
                if i.opcode == Opcode::Jal {
                    self.link(31);
                }
                self.b.set_const(DELAY, DELAY_PENDING | target);
                return Flow::Branch(Pending::Always { target: target as u32 });
            }
            Opcode::Jr | Opcode::Jalr => {
                // Target first: rd may be rs (UNPREDICTABLE, but harmless).
                let target = self.r(i.rs);
                if i.opcode == Opcode::Jalr {
                    self.link(i.rd);
                }
                let tagged = self.bini(BinOp::Or, target, DELAY_PENDING);
                self.b.set(DELAY, tagged);
                return Flow::Branch(Pending::Indirect { target });
            }
            Opcode::Trap(c) => {
                let a = self.r(i.rs);
                let v = self.r(i.rt);
                self.trap_if(c, a, v, code_trap(i.imm as u32, TrapKind::TrapInstruction));
            }
            Opcode::TrapImm(c) => {
                // Immediate traps carry no code: Linux sends SIGTRAP.
                let a = self.r(i.rs);
                let v = self.konst(i.imm as u64 & MASK32);
                self.trap_if(c, a, v, TrapKind::TrapInstruction);
            }
            Opcode::Syscall => return Flow::Syscall,
            Opcode::Break => {
                let kind = code_trap(i.imm as u32, TrapKind::Breakpoint);
                return Flow::Trap(self.trap_exit(kind));
            }
            Opcode::Sync | Opcode::Pref => {}
            Opcode::Synci => {
                // Stores to translated code already end their block; ending
                // this one too makes the following code be fetched afresh.
                return Flow::EndBlock;
            }
            // Handled by `lift_fp` above.
            Opcode::Movci { .. }
            | Opcode::FpLoad { .. }
            | Opcode::FpStore { .. }
            | Opcode::FpLoadX { .. }
            | Opcode::FpStoreX { .. }
            | Opcode::Mfc1
            | Opcode::Mtc1
            | Opcode::Mfhc1
            | Opcode::Mthc1
            | Opcode::Cfc1
            | Opcode::Ctc1
            | Opcode::Bc1 { .. }
            | Opcode::FpArith { .. }
            | Opcode::FpUnary { .. }
            | Opcode::FpCvt { .. }
            | Opcode::FpToW { .. }
            | Opcode::FpToL { .. }
            | Opcode::FpCmp { .. }
            | Opcode::FpMovc { .. }
            | Opcode::FpMovzn { .. }
            | Opcode::FpMadd { .. } => unreachable!("FPU instructions are lifted by lift_fp"),
            Opcode::Rdhwr => {
                let v = match i.rd {
                    decode::HWR_CPUNUM => self.konst(0),
                    decode::HWR_SYNCI_STEP => self.konst(SYNCI_STEP),
                    decode::HWR_CC => {
                        let n = self.b.counter(Counter::Insns);
                        self.zext(n)
                    }
                    decode::HWR_CCRES => self.konst(CC_RES),
                    // The decoder admits no other register.
                    _ => self.b.get(regs::ULR),
                };
                self.set_r(i.rt, v);
            }
        }
        Flow::Next
    }

    /// `$rd = pc + 8`.
    fn link(&mut self, rd: u8) {
        let ret = self.konst((self.pc + 8) & MASK32);
        self.set_r(rd, ret);
    }

    /// A register ALU operation; `None` when it writes nothing (a `movz`
    /// or `movn` to `$zero` still reads its operands, harmlessly).
    fn alu(&mut self, op: AluOp, a: Temp, c: Temp, rd: u8) -> Option<Temp> {
        let v = match op {
            AluOp::Add | AluOp::Sub => {
                // Trap on signed overflow, before writing anything.
                let sa = self.sext(a);
                let sc = self.sext(c);
                let full = self.bin(if op == AluOp::Add { BinOp::Add } else { BinOp::Sub }, sa, sc);
                let wrapped = self.sext(full);
                let overflow = self.bin(BinOp::Ne, full, wrapped);
                let trap = self.trap_exit(TrapKind::ArithmeticTrap);
                self.b.exit_if(overflow, trap);
                self.zext(full)
            }
            AluOp::Addu => {
                let s = self.bin(BinOp::Add, a, c);
                self.zext(s)
            }
            AluOp::Subu => {
                let s = self.bin(BinOp::Sub, a, c);
                self.zext(s)
            }
            AluOp::And => self.bin(BinOp::And, a, c),
            AluOp::Or => self.bin(BinOp::Or, a, c),
            AluOp::Xor => self.bin(BinOp::Xor, a, c),
            AluOp::Nor => {
                let o = self.bin(BinOp::Or, a, c);
                self.bini(BinOp::Xor, o, MASK32)
            }
            AluOp::Slt => {
                let sa = self.sext(a);
                let sc = self.sext(c);
                self.bin(BinOp::LtS, sa, sc)
            }
            AluOp::Sltu => self.bin(BinOp::LtU, a, c),
            // Variable shifts: `rt` (the `a` operand here is rs) is shifted
            // by the low 5 bits of rs.
            AluOp::Sllv | AluOp::Srlv | AluOp::Srav | AluOp::Rotrv => {
                let sh = self.b.andi(a, 31);
                let op = match op {
                    AluOp::Sllv => ShiftOp::Sll,
                    AluOp::Srlv => ShiftOp::Srl,
                    AluOp::Srav => ShiftOp::Sra,
                    _ => ShiftOp::Rotr,
                };
                self.shift(op, c, ShiftBy::Reg(sh))
            }
            AluOp::Movz | AluOp::Movn => {
                if rd == 0 {
                    return None;
                }
                let old = self.r(rd);
                let take = if op == AluOp::Movn { c } else { self.bini(BinOp::Eq, c, 0) };
                self.b.select(take, a, old)
            }
            AluOp::Mul => {
                let p = self.bin(BinOp::Mul, a, c);
                self.zext(p)
            }
        };
        Some(v)
    }

    /// A 32-bit shift or rotate of `a` (zero-extended) by 0..=31.
    fn shift(&mut self, op: ShiftOp, a: Temp, by: ShiftBy) -> Temp {
        let by = match by {
            ShiftBy::Imm(0) => return a,
            ShiftBy::Imm(n) => self.konst(n),
            ShiftBy::Reg(t) => t,
        };
        match op {
            ShiftOp::Sll => {
                let s = self.bin(BinOp::Shl, a, by);
                self.zext(s)
            }
            ShiftOp::Srl => self.bin(BinOp::ShrU, a, by),
            ShiftOp::Sra => {
                let sa = self.sext(a);
                let s = self.bin(BinOp::ShrS, sa, by);
                self.zext(s)
            }
            ShiftOp::Rotr => {
                // Rotating the low half of `a:a` right is a 32-bit rotate.
                // `a` is zero-extended already; saying so lets the JIT see
                // a 32-bit rotate.
                let a = self.zext(a);
                let hi = self.bini(BinOp::Shl, a, 32);
                let both = self.bin(BinOp::Or, hi, a);
                let s = self.bin(BinOp::ShrU, both, by);
                self.zext(s)
            }
        }
    }

    /// `mult`, `div`, `madd` and kin: HI and LO get the high and low
    /// halves of a 64-bit result (or the remainder and the quotient).
    fn muldiv(&mut self, op: MulDivOp, rs: u8, rt: u8) {
        let a = self.r(rs);
        let c = self.r(rt);
        let signed = matches!(op, MulDivOp::Mult | MulDivOp::Div | MulDivOp::Madd | MulDivOp::Msub);
        let (a, c) = if signed { (self.sext(a), self.sext(c)) } else { (a, c) };
        let (hi, lo) = match op {
            MulDivOp::Div | MulDivOp::Divu => {
                // The manual leaves a zero divisor (and MIN / -1) UNPREDICTABLE;
                // like QEMU, divide by 1 instead: LO = rs, HI = 0. The IR's
                // MIN / -1 already gives MIN with remainder 0.
                let zero = self.bini(BinOp::Eq, c, 0);
                let one = self.konst(1);
                let d = self.b.select(zero, one, c);
                let (dop, rop) =
                    if signed { (BinOp::DivS, BinOp::RemS) } else { (BinOp::DivU, BinOp::RemU) };
                let q = self.bin(dop, a, d);
                let r = self.bin(rop, a, d);
                (r, q)
            }
            _ => {
                // 32 × 32 bits fits a 64-bit product exactly.
                let mut p = self.bin(BinOp::Mul, a, c);
                if matches!(op, MulDivOp::Madd | MulDivOp::Maddu | MulDivOp::Msub | MulDivOp::Msubu)
                {
                    let old_hi = self.b.get(regs::HI);
                    let old_lo = self.b.get(regs::LO);
                    let hi_part = self.bini(BinOp::Shl, old_hi, 32);
                    let acc = self.bin(BinOp::Or, hi_part, old_lo);
                    let sub = matches!(op, MulDivOp::Msub | MulDivOp::Msubu);
                    p = self.bin(if sub { BinOp::Sub } else { BinOp::Add }, acc, p);
                }
                let hi = self.bini(BinOp::ShrU, p, 32);
                (hi, p)
            }
        };
        let hi = self.zext(hi);
        let lo = self.zext(lo);
        self.b.set(regs::HI, hi);
        self.b.set(regs::LO, lo);
    }

    /// Trap with `kind` if `a cond c` (32-bit operands, zero-extended).
    fn trap_if(&mut self, cond: TrapCond, a: Temp, c: Temp, kind: TrapKind) {
        let fire = match cond {
            TrapCond::Eq => self.bin(BinOp::Eq, a, c),
            TrapCond::Ne => self.bin(BinOp::Ne, a, c),
            TrapCond::Geu => self.bin(BinOp::LeU, c, a),
            TrapCond::Ltu => self.bin(BinOp::LtU, a, c),
            TrapCond::Ge | TrapCond::Lt => {
                let sa = self.sext(a);
                let sc = self.sext(c);
                if cond == TrapCond::Ge {
                    self.bin(BinOp::LeS, sc, sa)
                } else {
                    self.bin(BinOp::LtS, sa, sc)
                }
            }
        };
        let trap = self.trap_exit(kind);
        self.b.exit_if(fire, trap);
    }

    /// A conditional branch (see the module docs for the protocol).
    fn branch(&mut self, i: &Insn, cond: Cond, likely: bool, link: bool) -> Flow {
        let target = (self.next.wrapping_add(i.imm as u64)) & MASK32;
        let a = self.r(i.rs);
        // Statically known outcomes: `b` (beq $0, $0) and `bal` (bgezal $0).
        let always = match cond {
            Cond::Eq => i.rs == i.rt,
            Cond::Gez | Cond::Lez => i.rs == 0,
            _ => false,
        };
        let taken = if always {
            None
        } else {
            Some(match cond {
                Cond::Eq | Cond::Ne => {
                    let c = self.r(i.rt);
                    self.bin(if cond == Cond::Eq { BinOp::Eq } else { BinOp::Ne }, a, c)
                }
                // Sign bit tests on zero-extended values.
                Cond::Ltz => self.bini(BinOp::ShrU, a, 31),
                Cond::Gez => self.bini(BinOp::LtU, a, 0x8000_0000),
                Cond::Lez | Cond::Gtz => {
                    let sa = self.sext(a);
                    let zero = self.konst(0);
                    if cond == Cond::Lez {
                        self.bin(BinOp::LeS, sa, zero)
                    } else {
                        self.bin(BinOp::LtS, zero, sa)
                    }
                }
            })
        };
        // The link is written whether or not the branch is taken.
        if link {
            self.link(31);
        }
        self.branch_to(taken, likely, target)
    }

    /// Finish a conditional branch to `target` that is taken when `taken`
    /// (always when `None`).
    pub(super) fn branch_to(&mut self, taken: Option<Temp>, likely: bool, target: u64) -> Flow {
        let pending_value = DELAY_PENDING | target;
        match taken {
            None => {
                self.b.set_const(DELAY, pending_value);
                Flow::Branch(Pending::Always { target: target as u32 })
            }
            Some(t) if likely => {
                // Not taken: skip the delay slot; the branch alone retires.
                let not_taken = self.bini(BinOp::Eq, t, 0);
                let after_slot = (self.next + 4) & MASK32;
                self.b.exit_if(not_taken, Exit::Jump(after_slot));
                self.b.set_const(DELAY, pending_value);
                Flow::Branch(Pending::Always { target: target as u32 })
            }
            Some(t) => {
                let yes = self.konst(pending_value);
                let no = self.konst(0);
                let d = self.b.select(t, yes, no);
                self.b.set(DELAY, d);
                Flow::Branch(Pending::If { taken: d, target: target as u32 })
            }
        }
    }

    /// `lwl`/`lwr`: merge part of the aligned word holding the address
    /// into `rt`.
    fn load_partial(&mut self, i: &Insn) {
        let addr = self.addr(i.rs, i.imm);
        // Touch the addressed byte first, so that a fault reports the
        // effective address as hardware does; the aligned word is on the
        // same page, so it cannot fault on its own.
        self.b.load(addr, Width::W8, false, self.endian);
        let aligned = self.b.andi(addr, !3 & MASK32);
        let word = self.b.load(aligned, Width::W32, false, self.endian);
        let old = self.r(i.rt);
        // `s`: the address's byte position counted from the word's most
        // significant byte (the big-endian offset).
        let k = self.b.andi(addr, 3);
        let s = match self.endian {
            Endian::Big => k,
            Endian::Little => self.bini(BinOp::Xor, k, 3),
        };
        let v = if i.opcode == Opcode::Lwl {
            // rt = word << 8s | rt's low 8s bits.
            let sh = self.bini(BinOp::Shl, s, 3);
            let moved = self.bin(BinOp::Shl, word, sh);
            let moved = self.zext(moved);
            let one = self.konst(1);
            let low = self.bin(BinOp::Shl, one, sh);
            let low = self.bini(BinOp::Sub, low, 1);
            let kept = self.b.and(old, low);
            self.bin(BinOp::Or, moved, kept)
        } else {
            // With r = 3 - s: rt = word >> 8r | rt's bits above 32 - 8r.
            let r = self.bini(BinOp::Xor, s, 3);
            let sh = self.bini(BinOp::Shl, r, 3);
            let moved = self.bin(BinOp::ShrU, word, sh);
            let ones = self.konst(MASK32);
            let low = self.bin(BinOp::ShrU, ones, sh);
            let high = self.bini(BinOp::Xor, low, MASK32);
            let kept = self.b.and(old, high);
            self.bin(BinOp::Or, moved, kept)
        };
        self.set_r(i.rt, v);
    }

    /// `swl`/`swr`: store part of `rt` byte by byte, as the manual
    /// describes, so no other byte of memory is read or written.
    ///
    /// `swl` stores rt's bytes from the most significant down, `swr` from
    /// the least significant up, starting at the address and moving
    /// towards the end of the aligned word that the byte order puts those
    /// bytes at: up (towards +3) for `swl` on big-endian and `swr` on
    /// little-endian, down otherwise.
    fn store_partial(&mut self, i: &Insn) {
        let addr = self.addr(i.rs, i.imm);
        let value = self.r(i.rt);
        let k = self.b.andi(addr, 3);
        let left = i.opcode == Opcode::Swl;
        let upward = left == (self.endian == Endian::Big);
        let done = self.b.label();
        for n in 0..4u64 {
            if n > 0 {
                // Upward: 4 - k bytes in all, so stop once k >= 4 - n.
                // Downward: k + 1 bytes in all, so stop once k < n.
                let stop = if upward {
                    let limit = self.konst(4 - n);
                    self.bin(BinOp::LeU, limit, k)
                } else {
                    let nn = self.konst(n);
                    self.bin(BinOp::LtU, k, nn)
                };
                self.b.branch_if(stop, done);
            }
            let at = if n == 0 {
                addr
            } else {
                let delta = if upward { n } else { n.wrapping_neg() };
                let a = self.b.addi(addr, delta);
                self.zext(a)
            };
            let shift = if left { 24 - 8 * n } else { 8 * n };
            let byte = if shift == 0 { value } else { self.bini(BinOp::ShrU, value, shift) };
            self.b.store(at, byte, Width::W8, self.endian);
        }
        self.b.place(done);
    }
}

/// The trap a `break` or trap instruction with `code` raises: like Linux,
/// the overflow and divide-by-zero codes (which GCC's division checks use)
/// mean SIGFPE, any other code `otherwise`.
fn code_trap(code: u32, otherwise: TrapKind) -> TrapKind {
    match code {
        decode::BRK_OVERFLOW | decode::BRK_DIVZERO => TrapKind::ArithmeticTrap,
        _ => otherwise,
    }
}

/// A shift amount: the `sa` field or a register's low 5 bits.
#[derive(Clone, Copy)]
enum ShiftBy {
    Imm(u64),
    Reg(Temp),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::Arch;
    use crate::engine::{EngineKind, StopReason};
    use crate::ir::{Block, Op};
    use crate::testing::Harness;

    // A few encoders, enough to write the sequences below readably.
    fn r3(funct: u32, rd: u32, rs: u32, rt: u32) -> u32 {
        (rs << 21) | (rt << 16) | (rd << 11) | funct
    }
    fn i(op: u32, rt: u32, rs: u32, imm: i32) -> u32 {
        (op << 26) | (rs << 21) | (rt << 16) | (imm as u32 & 0xffff)
    }
    fn addiu(rt: u32, rs: u32, imm: i32) -> u32 {
        i(0x09, rt, rs, imm)
    }
    fn addu(rd: u32, rs: u32, rt: u32) -> u32 {
        r3(0x21, rd, rs, rt)
    }
    /// Branch from instruction index `from` to index `to`.
    fn beq(rs: u32, rt: u32, from: i32, to: i32) -> u32 {
        i(0x04, rt, rs, to - from - 1)
    }
    fn beql(rs: u32, rt: u32, from: i32, to: i32) -> u32 {
        i(0x14, rt, rs, to - from - 1)
    }
    fn bgezal(rs: u32, from: i32, to: i32) -> u32 {
        i(0x01, 0x11, rs, to - from - 1)
    }
    fn jal(target: u32) -> u32 {
        (0x03 << 26) | ((target >> 2) & 0x03ff_ffff)
    }
    fn jr(rs: u32) -> u32 {
        r3(0x08, 0, rs, 0)
    }
    fn jalr(rd: u32, rs: u32) -> u32 {
        r3(0x09, rd, rs, 0)
    }
    fn lw(rt: u32, base: u32, off: i32) -> u32 {
        i(0x23, rt, base, off)
    }
    const NOP: u32 = 0;
    const A0: u32 = 4;
    const A1: u32 = 5;
    const V0: u32 = 2;
    const T0: u32 = 8;
    const T1: u32 = 9;
    const RA: u32 = 31;

    const CODE: u64 = 0x0040_0000;
    const DATA: u64 = 0x1000_0000;

    fn endians() -> [(Arch, Endian); 2] {
        [(Arch::Mipsel, Endian::Little), (Arch::Mipseb, Endian::Big)]
    }

    fn bytes(words: &[u32], endian: Endian) -> Vec<u8> {
        words
            .iter()
            .flat_map(|w| match endian {
                Endian::Little => w.to_le_bytes(),
                Endian::Big => w.to_be_bytes(),
            })
            .collect()
    }

    fn harness(arch: Arch, kind: EngineKind, at: u64, words: &[u32]) -> Harness {
        let mut h = Harness::with_engine(arch, kind);
        h.map_code(at, &bytes(words, arch.endian()));
        h.map_data(DATA, &[0; 64]);
        h
    }

    /// Run on both byte orders and both engines.
    fn each(mut f: impl FnMut(Arch, EngineKind)) {
        for (arch, _) in endians() {
            for kind in [EngineKind::Interp, EngineKind::Jit] {
                f(arch, kind);
            }
        }
    }

    fn lift_one(endian: Endian, word: u32) -> Block {
        let mut b = BlockBuilder::new(CODE);
        lift_insn(endian, false, CODE, &bytes(&[word], endian), &mut b);
        b.finish()
    }

    #[test]
    fn zero_register_is_never_written() {
        // addiu $0, a0, 1 ; lui $0, 1 ; jal (ra is not $0) ; lw $0, 0(a0)
        for word in [addiu(0, A0, 1), 0x3c00_0001, lw(0, A0, 0), addu(0, A0, A1)] {
            let block = lift_one(Endian::Little, word);
            assert!(
                !block.ops.iter().any(|op| matches!(op, Op::Set { slot, .. } if slot.0 == 0)),
                "{block}"
            );
        }
    }

    #[test]
    fn illegal_truncated_and_misaligned() {
        // ldc1 $f1 (odd double): the trap carries the bytes in memory order.
        for (arch, endian) in endians() {
            let _ = arch;
            let block = lift_one(endian, 0xd481_0000);
            let raw = bytes(&[0xd481_0000], endian);
            let packed = u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]);
            assert_eq!(
                block.exit,
                Exit::Trap {
                    kind: TrapKind::IllegalInstruction { bytes: packed, len: 4 },
                    pc: CODE
                }
            );
        }
        let mut b = BlockBuilder::new(CODE);
        lift_insn(Endian::Little, false, CODE, &[0, 0], &mut b);
        let block = b.finish();
        assert_eq!(
            block.exit,
            Exit::Trap { kind: TrapKind::FetchFault { addr: CODE + 2 }, pc: CODE }
        );
        let mut b = BlockBuilder::new(CODE + 2);
        lift_insn(Endian::Little, false, CODE + 2, &[0; 4], &mut b);
        let block = b.finish();
        assert_eq!(
            block.exit,
            Exit::Trap { kind: TrapKind::FetchFault { addr: CODE + 2 }, pc: CODE + 2 }
        );
    }

    #[test]
    fn random_words_never_panic() {
        let mut rng = crate::arch::decode_kit::XorShift(0x9e37_79b9_7f4a_7c15u64);
        for n in 0..100_000u32 {
            let s = rng.next_u64();
            for (_, endian) in endians() {
                // Two instructions, so delay-slot paths are exercised too.
                let mut b = BlockBuilder::new(CODE);
                let raw = bytes(&[s as u32, (s >> 32) as u32], endian);
                lift_insn(endian, false, CODE, &raw, &mut b);
                if !b.is_terminated() {
                    let avail = 1 + (n as usize % 4);
                    lift_insn(endian, false, CODE + 4, &raw[4..4 + avail], &mut b);
                }
                // `finish` validates the block in debug builds.
                b.finish();
            }
        }
    }

    #[test]
    fn taken_branch_runs_its_slot_then_jumps() {
        each(|arch, kind| {
            // 0: beq a0, a1, 3 ; 1: addiu v0, v0, 1 ; 2: addiu v0, v0, 16 ; 3: addiu v0, v0, 256
            let mut h = harness(
                arch,
                kind,
                CODE,
                &[beq(A0, A1, 0, 3), addiu(V0, V0, 1), addiu(V0, V0, 16), addiu(V0, V0, 256)],
            );
            assert_eq!(h.step(3), StopReason::FuelExhausted);
            assert_eq!((h.reg("v0"), h.pc(), h.icount()), (257, CODE + 16, 3), "{arch} {kind}");
            assert_eq!(h.reg("delay"), 0);
        });
    }

    #[test]
    fn untaken_branch_runs_its_slot_and_falls_through() {
        each(|arch, kind| {
            let mut h = harness(
                arch,
                kind,
                CODE,
                &[beq(A0, A1, 0, 3), addiu(V0, V0, 1), addiu(V0, V0, 16), addiu(V0, V0, 256)],
            );
            h.set_reg("a0", 1);
            assert_eq!(h.step(4), StopReason::FuelExhausted);
            assert_eq!((h.reg("v0"), h.pc(), h.icount()), (273, CODE + 16, 4), "{arch} {kind}");
        });
    }

    #[test]
    fn likely_branch_annuls_its_slot_when_not_taken() {
        each(|arch, kind| {
            let words =
                [beql(A0, A1, 0, 3), addiu(V0, V0, 1), addiu(V0, V0, 16), addiu(V0, V0, 256)];
            // Not taken: the slot is skipped and not counted.
            let mut h = harness(arch, kind, CODE, &words);
            h.set_reg("a0", 1);
            assert_eq!(h.step(2), StopReason::FuelExhausted);
            assert_eq!((h.reg("v0"), h.pc(), h.icount()), (16, CODE + 12, 2), "{arch} {kind}");
            // Taken: the slot runs.
            let mut h = harness(arch, kind, CODE, &words);
            assert_eq!(h.step(3), StopReason::FuelExhausted);
            assert_eq!((h.reg("v0"), h.pc(), h.icount()), (257, CODE + 16, 3), "{arch} {kind}");
        });
    }

    #[test]
    fn links_point_past_the_delay_slot_and_the_slot_sees_them() {
        each(|arch, kind| {
            // jal: the slot copies ra.
            let mut h = harness(arch, kind, CODE, &[jal(CODE as u32 + 0x100), addu(T0, RA, 0)]);
            h.step(2);
            assert_eq!((h.reg("ra"), h.reg("t0"), h.pc()), (CODE + 8, CODE + 8, CODE + 0x100));
            // bgezal not taken still links.
            let mut h = harness(arch, kind, CODE, &[bgezal(A0, 0, 8), NOP, NOP]);
            h.set_reg("a0", 0x8000_0000);
            h.step(3);
            assert_eq!((h.reg("ra"), h.pc()), (CODE + 8, CODE + 12), "{arch} {kind}");
            // jalr t1, t0 reads t0 before the link; the slot runs first.
            let mut h = harness(arch, kind, CODE, &[jalr(T1, T0), addiu(V0, 0, 7)]);
            h.set_reg("t0", CODE + 0x40);
            h.step(2);
            assert_eq!((h.reg("t1"), h.reg("v0"), h.pc()), (CODE + 8, 7, CODE + 0x40));
            // jalr t0, t0: target is the old value.
            let mut h = harness(arch, kind, CODE, &[jalr(T0, T0), NOP]);
            h.set_reg("t0", CODE + 0x40);
            h.step(2);
            assert_eq!((h.reg("t0"), h.pc()), (CODE + 8, CODE + 0x40), "{arch} {kind}");
        });
    }

    #[test]
    fn fuel_can_stop_between_a_branch_and_its_slot() {
        each(|arch, kind| {
            for taken in [true, false] {
                let words =
                    [beq(A0, A1, 0, 3), addiu(V0, V0, 1), addiu(V0, V0, 16), addiu(V0, V0, 256)];
                let mut h = harness(arch, kind, CODE, &words);
                if !taken {
                    h.set_reg("a0", 1);
                }
                // Run the branch alone.
                assert_eq!(h.step(1), StopReason::FuelExhausted);
                assert_eq!((h.pc(), h.icount(), h.reg("v0")), (CODE + 4, 1, 0));
                let want_delay = if taken { DELAY_PENDING | (CODE + 12) } else { 0 };
                assert_eq!(h.reg("delay"), want_delay, "{arch} {kind} taken={taken}");
                // The slot, then the branch completes.
                assert_eq!(h.step(1), StopReason::FuelExhausted);
                let want_pc = if taken { CODE + 12 } else { CODE + 8 };
                assert_eq!((h.pc(), h.icount(), h.reg("v0")), (want_pc, 2, 1));
                assert_eq!(h.reg("delay"), 0);
                h.step(1);
                assert_eq!(h.reg("v0"), if taken { 257 } else { 17 }, "{arch} {kind}");
            }
        });
    }

    #[test]
    fn a_page_boundary_between_branch_and_slot() {
        each(|arch, kind| {
            // The jr is the last word of its page; the slot opens the next.
            let at = CODE + 0x1000 - 4;
            let mut h = harness(arch, kind, at, &[jr(RA), addiu(V0, 0, 5)]);
            h.set_reg("ra", CODE + 0x40);
            assert_eq!(h.step(2), StopReason::FuelExhausted);
            assert_eq!((h.pc(), h.icount(), h.reg("v0")), (CODE + 0x40, 2, 5), "{arch} {kind}");
        });
    }

    #[test]
    fn a_fault_in_a_delay_slot_reports_the_slot() {
        each(|arch, kind| {
            // j target ; lw t0, 0($zero)
            let target = CODE + 0x80;
            let mut h =
                harness(arch, kind, CODE, &[(0x02 << 26) | (target as u32 >> 2), lw(T0, 0, 0)]);
            match h.step(10) {
                StopReason::Fault(f) => assert_eq!(f.addr, 0),
                other => panic!("{arch} {kind}: {other:?}"),
            }
            // The branch retired; the slot did not, and the jump is pending.
            assert_eq!((h.pc(), h.icount()), (CODE + 4, 1), "{arch} {kind}");
            assert_eq!(h.reg("delay"), DELAY_PENDING | target);
            // Make the access valid and resume at the slot: the jump completes.
            h.set_reg("t0", 0);
            h.map_code(CODE + 4, &bytes(&[lw(T0, A0, 0)], arch.endian()));
            h.cpu.pc = CODE + 4;
            h.set_reg("a0", DATA);
            assert_eq!(h.step(1), StopReason::FuelExhausted);
            assert_eq!((h.pc(), h.icount()), (target, 2), "{arch} {kind}");
        });
    }

    #[test]
    fn a_branch_in_a_delay_slot_is_illegal() {
        each(|arch, kind| {
            let mut h = harness(arch, kind, CODE, &[jr(RA), jr(RA)]);
            h.set_reg("ra", CODE + 0x40);
            assert!(
                matches!(h.step(10), StopReason::Trap(TrapKind::IllegalInstruction { .. })),
                "{arch} {kind}"
            );
            assert_eq!((h.pc(), h.icount()), (CODE + 4, 1));
            // Also when the slot starts its own block.
            let mut h = harness(arch, kind, CODE, &[jr(RA), jr(RA)]);
            h.set_reg("ra", CODE + 0x40);
            h.step(1);
            assert!(
                matches!(h.step(10), StopReason::Trap(TrapKind::IllegalInstruction { .. })),
                "{arch} {kind}"
            );
            assert_eq!((h.pc(), h.icount()), (CODE + 4, 1));
        });
    }

    #[test]
    fn partial_word_loads_and_stores_follow_the_byte_order() {
        // Memory holds 00 11 22 33 44 55 66 77 at DATA.
        let mem: Vec<u8> = (0..8).map(|n| n * 0x11).collect();
        // (instruction, offset, rt before, rt after) per byte order.
        let lwl = |rt, base, off| i(0x22, rt, base, off);
        let lwr = |rt, base, off| i(0x26, rt, base, off);
        type Encoder = fn(u32, u32, i32) -> u32;
        let cases: [(Encoder, i32, u64, u64, u64); 4] = [
            // lwl at offset 1: LE takes bytes 0..=1 into the top, BE 1..=3.
            (lwl, 1, 0xaabb_ccdd, 0x1100_ccdd, 0x1122_33dd),
            // lwr at offset 1: LE takes bytes 1..=3 into the bottom, BE 0..=1.
            (lwr, 1, 0xaabb_ccdd, 0xaa33_2211, 0xaabb_0011),
            (lwl, 3, 0xaabb_ccdd, 0x3322_1100, 0x33bb_ccdd),
            (lwr, 0, 0xaabb_ccdd, 0x3322_1100, 0xaabb_cc00),
        ];
        for (op, off, before, le, be) in cases {
            for (arch, endian) in endians() {
                let mut h = harness(arch, EngineKind::Interp, CODE, &[op(T0, A0, off)]);
                h.map_data(DATA, &mem);
                h.set_reg("a0", DATA);
                h.set_reg("t0", before);
                h.step(1);
                let want = if endian == Endian::Little { le } else { be };
                assert_eq!(h.reg("t0"), want, "{arch} {:#x} off {off}", op(T0, A0, off));
            }
        }
        // An unaligned word through the usual pairs.
        for (arch, endian) in endians() {
            let (hi_off, lo_off) = if endian == Endian::Big { (1, 4) } else { (4, 1) };
            let mut h = harness(
                arch,
                EngineKind::Interp,
                CODE,
                &[lwl(T0, A0, hi_off), lwr(T0, A0, lo_off)],
            );
            h.map_data(DATA, &mem);
            h.set_reg("a0", DATA);
            h.step(2);
            let want = match endian {
                Endian::Little => u32::from_le_bytes([0x11, 0x22, 0x33, 0x44]),
                Endian::Big => u32::from_be_bytes([0x11, 0x22, 0x33, 0x44]),
            };
            assert_eq!(h.reg("t0"), want as u64, "{arch}");
            // And store it back one byte further on.
            let swl = i(0x2a, T0, A0, hi_off + 1);
            let swr = i(0x2e, T0, A0, lo_off + 1);
            let mut h = harness(arch, EngineKind::Interp, CODE, &[swl, swr]);
            h.map_data(DATA, &[0; 8]);
            h.set_reg("a0", DATA);
            h.set_reg("t0", want as u64);
            h.step(2);
            assert_eq!(
                h.read_mem(DATA, 8).unwrap(),
                [0, 0, 0x11, 0x22, 0x33, 0x44, 0, 0],
                "{arch}"
            );
        }
    }
}
