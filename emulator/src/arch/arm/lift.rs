//! A32 lifter: decoded ARM-state instructions → IR ops.
//!
//! Receives bytes from the translator (through `Arm::lift_insn`), asks
//! `decode` what they mean and emits IR through `BlockBuilder`. Rules kept
//! throughout:
//! - every register slot holds a 32-bit value zero-extended to 64 bits, so
//!   results are masked to 32 bits and addresses are computed modulo 2^32;
//! - a read of r15 gives the instruction's address + 8;
//! - every load and store of an instruction comes before its register
//!   writes, so a faulting access leaves the registers untouched;
//! - the flags live in four slots in the forms that cost nothing to set
//!   ([`regs::NF`] and [`regs::ZF`] hold the result, [`regs::VF`] the
//!   overflow word, [`regs::CF`] 0 or 1), and a condition derives what it
//!   reads in one to four IR ops.
//!
//! Conditional execution: an instruction whose condition fails does
//! nothing but retire. The lifter branches over the instruction's ops to a
//! label at its end. An instruction that writes the pc then continues at
//! the pc left in [`regs::NEXT_PC`] (preset to the next instruction); a
//! direct branch leaves with `ExitIf` instead, so both of its exits stay
//! direct jumps the engines can chain.
//!
//! Interworking: a pc write with bit 0 set selects Thumb state. The pc
//! keeps that bit (the state lives in the pc, see `thumb`), whose lifter
//! reuses this one for every Thumb instruction with an A32 equivalent.

use super::decode::{self, Decoded, DpOp, ExtKind, Form, Insn, Opcode, Size};
use super::regs::{self, CF, GE, NEXT_PC, NF, QF, RESERVATION, TLS, VF, ZF};
use crate::arch::arm_cond::SubFlags;
use crate::arch::decode_kit::{bit, bits};
use crate::ir::{BinOp, BlockBuilder, Endian, Exit, Temp, TrapKind, UnOp, Width};

const MASK32: u64 = 0xffff_ffff;
const LE: Endian = Endian::Little;

/// Lift the one instruction at `pc`; `bytes` holds what is fetchable there.
pub fn lift_insn(pc: u64, bytes: &[u8], b: &mut BlockBuilder) {
    let Some(word) = decode::word_from(bytes) else {
        let available = bytes.len().min(3) as u8;
        b.insn(pc, available.max(1));
        let addr = (pc + available as u64) & MASK32;
        b.exit(Exit::Trap { kind: TrapKind::FetchFault { addr }, pc });
        return;
    };
    b.insn(pc, 4);
    let illegal = Exit::Trap { kind: TrapKind::IllegalInstruction { bytes: word, len: 4 }, pc };
    if pc & 3 != 0 {
        // A misaligned ARM pc (bit 1; bit 0 selects Thumb state and never
        // reaches here) is UNPREDICTABLE.
        b.exit(illegal);
        return;
    }
    let insn = match decode::decode_word(word) {
        Decoded::Insn(i) if !i.undefined => i,
        _ => {
            // As in QEMU, an undefined word with a condition that fails
            // does nothing: the condition is checked first.
            let cond = word >> 28;
            let mut l = Lifter::arm(b, pc, cond < 0xe);
            l.conditional_exit(cond.min(0xe), illegal);
            return;
        }
    };
    let mut l = Lifter::arm(b, pc, insn.cond != 0xe);
    l.lift(&insn, illegal);
}

/// How the lifted instruction ends.
pub(super) enum Flow {
    /// Fall through to the next instruction.
    Next,
    /// The pc may have been written: continue where [`Lifter::write_pc`]
    /// said.
    WritesPc,
    /// End the block after it (so later code is refetched).
    EndBlock,
}

pub(super) struct Lifter<'a> {
    pub(super) b: &'a mut BlockBuilder,
    pub(super) pc: u64,
    pub(super) next: u64,
    /// The instruction has a condition other than "always".
    pub(super) conditional: bool,
    /// The pc an unconditional instruction wrote.
    pub(super) new_pc: Option<Temp>,
    /// What a read of r15 gives: the address + 8 in ARM state, + 4 in
    /// Thumb state (word-aligned for the literal forms).
    pub(super) pc_read: u64,
    /// Thumb state: a data-processing write to the pc stays in Thumb state
    /// (`BranchWritePC`) instead of interworking.
    pub(super) thumb: bool,
    /// An immediate that replaces the encoded one: a Thumb-2 modified
    /// immediate (with whether it was rotated, which decides the shifter
    /// carry) or a load/store offset wider than the A32 field.
    pub(super) imm: Option<(u32, bool)>,
}

impl<'a> Lifter<'a> {
    fn arm(b: &'a mut BlockBuilder, pc: u64, conditional: bool) -> Self {
        Lifter {
            b,
            pc,
            next: (pc + 4) & MASK32,
            conditional,
            new_pc: None,
            pc_read: (pc + 8) & MASK32,
            thumb: false,
            imm: None,
        }
    }
}

impl Lifter<'_> {
    pub(super) fn lift(&mut self, i: &Insn, illegal: Exit) {
        let w = i.word;
        match i.opcode {
            Opcode::B | Opcode::Bl | Opcode::BlxImm => return self.branch(i),
            Opcode::Svc => {
                return self.conditional_exit(i.cond, Exit::Syscall { next_pc: self.next });
            }
            Opcode::Bkpt => {
                let trap = Exit::Trap { kind: TrapKind::Breakpoint, pc: self.pc };
                return self.conditional_exit(i.cond, trap);
            }
            Opcode::Udf => return self.b.exit(illegal),
            _ => {}
        }
        if self.conditional && writes_pc(i) {
            let next = self.b.konst(self.next);
            self.b.set(NEXT_PC, next);
        }
        let skip = self.conditional.then(|| {
            let not = self.cond_not(i.cond);
            let skip = self.b.label();
            self.b.branch_if(not, skip);
            skip
        });
        let flow = self.body(i, w);
        if let Some(skip) = skip {
            self.b.place(skip);
        }
        match flow {
            Flow::Next => {}
            Flow::EndBlock => self.b.exit(Exit::Jump(self.next)),
            Flow::WritesPc => {
                let target = match self.new_pc {
                    Some(t) if !self.conditional => t,
                    _ => {
                        // The scratch slot is cleared again, so it never
                        // carries state between instructions.
                        let t = self.b.get(NEXT_PC);
                        self.b.set_const(NEXT_PC, 0);
                        t
                    }
                };
                self.b.exit(Exit::JumpIndirect(target));
            }
        }
    }

    /// Leave through `exit` when condition `cond` holds, else fall through.
    pub(super) fn conditional_exit(&mut self, cond: u32, exit: Exit) {
        if cond != 0xe {
            let not = self.cond_not(cond);
            self.b.exit_if(not, Exit::Jump(self.next));
        }
        self.b.exit(exit);
    }

    // ----- helpers ---------------------------------------------------------

    fn k(&mut self, v: u64) -> Temp {
        self.b.konst(v)
    }

    /// Register `n`; r15 reads as this instruction's address + 8.
    pub(super) fn reg(&mut self, n: u32) -> Temp {
        if n == 15 { self.b.konst(self.pc_read) } else { self.b.get(regs::r(n)) }
    }

    /// Write register `n` (already 32-bit); r15 is a branch with
    /// interworking.
    pub(super) fn set_reg(&mut self, n: u32, t: Temp) {
        if n == 15 {
            self.write_pc(t);
        } else {
            self.b.set(regs::r(n), t);
        }
    }

    pub(super) fn write_pc(&mut self, t: Temp) {
        if self.conditional {
            self.b.set(NEXT_PC, t);
        } else {
            self.new_pc = Some(t);
        }
    }

    fn m32(&mut self, t: Temp) -> Temp {
        self.b.un(UnOp::Zext32, t)
    }

    fn bin(&mut self, op: BinOp, a: Temp, c: Temp) -> Temp {
        self.b.bin(op, a, c)
    }

    fn bini(&mut self, op: BinOp, a: Temp, imm: u64) -> Temp {
        self.b.bini(op, a, imm)
    }

    /// 32-bit rotate right by a constant.
    fn ror_const(&mut self, v: Temp, n: u32) -> Temp {
        let n = n & 31;
        if n == 0 {
            return v;
        }
        // The low half of `v:v` shifted right: the JIT sees a 32-bit
        // rotate (one host instruction) in this form.
        let z = self.m32(v);
        let hi = self.bini(BinOp::Shl, z, 32);
        let both = self.bin(BinOp::Or, hi, z);
        let r = self.bini(BinOp::ShrU, both, n as u64);
        self.m32(r)
    }

    /// Condition `cond` (0–14) as 0 or 1, derived from the flag slots'
    /// forms (see `regs`). Each condition and its inverse cost the same,
    /// so a skip over a conditional instruction asks for the inverse
    /// instead of negating.
    pub(super) fn cond(&mut self, cond: u32) -> Temp {
        // Right after a compare: one comparison of its operands.
        if let Some(t) = SubFlags::recall(self.b).and_then(|o| o.cond(self.b, cond)) {
            return t;
        }
        let inv = cond & 1 == 1;
        match cond >> 1 {
            0 => {
                // eq: the Z slot is zero.
                let z = self.b.get(ZF);
                self.bini(if inv { BinOp::Ne } else { BinOp::Eq }, z, 0)
            }
            1 => {
                let c = self.b.get(CF);
                if inv { self.bini(BinOp::Xor, c, 1) } else { c }
            }
            2 | 3 => {
                // mi, vs: bit 31 of the word.
                let f = self.b.get(if cond >> 1 == 2 { NF } else { VF });
                let f = if inv { self.bini(BinOp::Xor, f, MASK32) } else { f };
                self.bini(BinOp::ShrU, f, 31)
            }
            4 => {
                // hi: C set and Z clear; ls: C clear or Z set.
                let c = self.b.get(CF);
                let z = self.b.get(ZF);
                let znz = self.bini(BinOp::Ne, z, 0);
                let hi = self.bin(BinOp::And, c, znz);
                if inv { self.bini(BinOp::Xor, hi, 1) } else { hi }
            }
            5 | 6 => {
                // ge: N == V, i.e. bit 31 of N ^ V clear; gt: also Z clear.
                let n = self.b.get(NF);
                let v = self.b.get(VF);
                let x = self.bin(BinOp::Xor, n, v);
                let lt = self.bini(BinOp::ShrU, x, 31);
                if cond >> 1 == 5 {
                    return if inv { lt } else { self.bini(BinOp::Xor, lt, 1) };
                }
                // le: Z set or N != V.
                let z = self.b.get(ZF);
                let zs = self.bini(BinOp::Eq, z, 0);
                let le = self.bin(BinOp::Or, zs, lt);
                if inv { le } else { self.bini(BinOp::Xor, le, 1) }
            }
            _ => self.k(1),
        }
    }

    /// The inverse of condition `cond` as 0 or 1 (0 for "always").
    pub(super) fn cond_not(&mut self, cond: u32) -> Temp {
        if cond >= 0xe { self.k(0) } else { self.cond(cond ^ 1) }
    }

    /// N and Z of a 32-bit result: both slots hold it.
    fn set_nz(&mut self, res: Temp) {
        SubFlags::forget(self.b);
        self.b.set(NF, res);
        self.b.set(ZF, res);
    }

    /// N and Z of a 64-bit result: N from its high word, and a Z word that
    /// is zero exactly when the result is.
    fn set_nz64(&mut self, res: Temp) {
        SubFlags::forget(self.b);
        let hi = self.bini(BinOp::ShrU, res, 32);
        self.b.set(NF, hi);
        let lo = self.m32(res);
        let z = self.bin(BinOp::Or, hi, lo);
        self.b.set(ZF, z);
    }

    /// `a + b + carry_in` with its 32-bit result, carry and overflow.
    fn add_with_carry(&mut self, a: Temp, c: Temp, cin: Temp) -> (Temp, Temp, Temp) {
        let s = self.bin(BinOp::Add, a, c);
        let s = self.bin(BinOp::Add, s, cin);
        let res = self.m32(s);
        let carry = self.bini(BinOp::ShrU, s, 32);
        let x1 = self.bin(BinOp::Xor, a, res);
        let x2 = self.bin(BinOp::Xor, c, res);
        // V is bit 31 of this word (the VF slot's form).
        let v = self.bin(BinOp::And, x1, x2);
        (res, carry, v)
    }

    /// `a + b` (no carry in) with its result, carry and overflow: the
    /// carry is the 64-bit sum's bit 32.
    fn add_flags(&mut self, a: Temp, c: Temp) -> (Temp, Temp, Temp) {
        let s = self.bin(BinOp::Add, a, c);
        let res = self.m32(s);
        let carry = self.bini(BinOp::ShrU, s, 32);
        let x1 = self.bin(BinOp::Xor, a, res);
        let x2 = self.bin(BinOp::Xor, c, res);
        let v = self.bin(BinOp::And, x1, x2);
        (res, carry, v)
    }

    /// `a - b` (`a + ~b + 1`) with its result, carry (no borrow: `b <= a`
    /// unsigned) and overflow (operands of different signs, and the
    /// result's sign differs from `a`'s), without forming `~b`.
    fn sub_flags(&mut self, a: Temp, c: Temp) -> (Temp, Temp, Temp) {
        let d = self.bin(BinOp::Sub, a, c);
        let res = self.m32(d);
        let carry = self.bin(BinOp::LeU, c, a);
        let x1 = self.bin(BinOp::Xor, a, c);
        let x2 = self.bin(BinOp::Xor, a, res);
        let v = self.bin(BinOp::And, x1, x2);
        (res, carry, v)
    }

    /// Signed saturation of the 64-bit signed value `v` to `n` bits
    /// (1–32): the result (32-bit) and whether it saturated.
    fn sat_signed(&mut self, v: Temp, n: u32) -> (Temp, Temp) {
        let max = (1i64 << (n - 1)) - 1;
        let min = -(1i64 << (n - 1));
        let kmax = self.k(max as u64);
        let kmin = self.k(min as u64);
        let over = self.bin(BinOp::LtS, kmax, v);
        let under = self.bin(BinOp::LtS, v, kmin);
        let r = self.b.select(over, kmax, v);
        let r = self.b.select(under, kmin, r);
        let sat = self.bin(BinOp::Or, over, under);
        (self.m32(r), sat)
    }

    /// Unsigned saturation of the 64-bit signed value `v` to `n` bits
    /// (0–31).
    fn sat_unsigned(&mut self, v: Temp, n: u32) -> (Temp, Temp) {
        let kmax = self.k((1u64 << n) - 1);
        let zero = self.k(0);
        let over = self.bin(BinOp::LtS, kmax, v);
        let under = self.bin(BinOp::LtS, v, zero);
        let r = self.b.select(over, kmax, v);
        let r = self.b.select(under, zero, r);
        let sat = self.bin(BinOp::Or, over, under);
        (r, sat)
    }

    fn or_q(&mut self, sat: Temp) {
        let q = self.b.get(QF);
        let q = self.bin(BinOp::Or, q, sat);
        self.b.set(QF, q);
    }

    // ----- the barrel shifter ---------------------------------------------

    /// Shift `v` by the constant `imm5` with shift type `ty`, as an
    /// immediate-shift operand encodes it (LSR/ASR #0 mean #32, ROR #0
    /// means RRX). Returns the value and, if `want_carry`, the carry out.
    fn shift_imm(&mut self, v: Temp, ty: u32, imm5: u32, want_carry: bool) -> (Temp, Option<Temp>) {
        let (res, carry) = match (ty, imm5) {
            (0, 0) => (v, None),
            (0, n) => {
                let s = self.bini(BinOp::Shl, v, n as u64);
                let c = want_carry.then(|| {
                    let c = self.bini(BinOp::ShrU, s, 32);
                    self.bini(BinOp::And, c, 1)
                });
                (self.m32(s), c)
            }
            (1, n) => {
                let n = if n == 0 { 32 } else { n };
                let r = self.bini(BinOp::ShrU, v, n as u64);
                let c = want_carry.then(|| {
                    let c = self.bini(BinOp::ShrU, v, (n - 1) as u64);
                    self.bini(BinOp::And, c, 1)
                });
                (r, c)
            }
            (2, n) => {
                let n = if n == 0 { 32 } else { n };
                let sv = self.b.un(UnOp::Sext32, v);
                let r = self.bini(BinOp::ShrS, sv, n as u64);
                let c = want_carry.then(|| {
                    let c = self.bini(BinOp::ShrU, sv, (n - 1) as u64);
                    self.bini(BinOp::And, c, 1)
                });
                (self.m32(r), c)
            }
            (3, 0) => {
                // RRX: C into bit 31.
                let cf = self.b.get(CF);
                let top = self.bini(BinOp::Shl, cf, 31);
                let lo = self.bini(BinOp::ShrU, v, 1);
                let r = self.bin(BinOp::Or, top, lo);
                let c = want_carry.then(|| self.bini(BinOp::And, v, 1));
                (r, c)
            }
            (_, n) => {
                let r = self.ror_const(v, n);
                let c = want_carry.then(|| self.bini(BinOp::ShrU, r, 31));
                (r, c)
            }
        };
        (res, if want_carry { Some(carry.unwrap_or_else(|| self.b.get(CF))) } else { None })
    }

    /// Shift `v` by the low byte of `amount` (a register), with the
    /// architectural results for amounts of 0, 32 and more.
    fn shift_reg(
        &mut self,
        v: Temp,
        ty: u32,
        amount: Temp,
        want_carry: bool,
    ) -> (Temp, Option<Temp>) {
        let amt = self.bini(BinOp::And, amount, 0xff);
        let is0 = self.bini(BinOp::Eq, amt, 0);
        let (res, carry) = match ty {
            0 | 1 => {
                // Clamp to 33: every larger shift gives 0 with carry 0.
                let k33 = self.k(33);
                let big = self.bin(BinOp::LtU, k33, amt);
                let a = self.b.select(big, k33, amt);
                if ty == 0 {
                    let s = self.bin(BinOp::Shl, v, a);
                    let c = self.bini(BinOp::ShrU, s, 32);
                    let c = self.bini(BinOp::And, c, 1);
                    (self.m32(s), c)
                } else {
                    let r = self.bin(BinOp::ShrU, v, a);
                    let am1 = self.bini(BinOp::Sub, a, 1);
                    let c = self.bin(BinOp::ShrU, v, am1);
                    let c = self.bini(BinOp::And, c, 1);
                    (r, c)
                }
            }
            2 => {
                let k32 = self.k(32);
                let big = self.bin(BinOp::LtU, k32, amt);
                let a = self.b.select(big, k32, amt);
                let sv = self.b.un(UnOp::Sext32, v);
                let r = self.bin(BinOp::ShrS, sv, a);
                let am1 = self.bini(BinOp::Sub, a, 1);
                let c = self.bin(BinOp::ShrU, sv, am1);
                let c = self.bini(BinOp::And, c, 1);
                (self.m32(r), c)
            }
            _ => {
                let r = self.bini(BinOp::And, amt, 31);
                let lo = self.bin(BinOp::ShrU, v, r);
                let k32 = self.k(32);
                let inv = self.bin(BinOp::Sub, k32, r);
                let hi = self.bin(BinOp::Shl, v, inv);
                let hi = self.m32(hi);
                let rot = self.bin(BinOp::Or, lo, hi);
                // `32 - 0` shifts v left by 32, which the mask drops, so a
                // multiple of 32 leaves v itself.
                let c = self.bini(BinOp::ShrU, rot, 31);
                (rot, c)
            }
        };
        let res = self.b.select(is0, v, res);
        let carry = want_carry.then(|| {
            let cf = self.b.get(CF);
            self.b.select(is0, cf, carry)
        });
        (res, carry)
    }

    /// The second operand of a data-processing instruction and the
    /// shifter's carry out (when `want_carry`).
    fn operand2(&mut self, i: &Insn, want_carry: bool) -> (Temp, Option<Temp>) {
        let w = i.word;
        match i.form {
            Form::Imm => {
                let (imm, rot) = match self.imm {
                    Some((imm, rotated)) => (imm, if rotated { 1 } else { 0 }),
                    None => {
                        let rot = bits(w, 11, 8) * 2;
                        (bits(w, 7, 0).rotate_right(rot), rot)
                    }
                };
                let v = self.k(imm as u64);
                let c = want_carry
                    .then(|| if rot == 0 { self.b.get(CF) } else { self.k((imm >> 31) as u64) });
                (v, c)
            }
            Form::RegImm => {
                let rm = self.reg(bits(w, 3, 0));
                self.shift_imm(rm, bits(w, 6, 5), bits(w, 11, 7), want_carry)
            }
            _ => {
                let rm = self.reg(bits(w, 3, 0));
                let rs = self.reg(bits(w, 11, 8));
                self.shift_reg(rm, bits(w, 6, 5), rs, want_carry)
            }
        }
    }

    // ----- instructions ------------------------------------------------

    fn branch(&mut self, i: &Insn) {
        let w = i.word;
        let off = ((bits(w, 23, 0) << 8) as i32 >> 6) as i64;
        let base = (self.pc + 8) as i64;
        let target = match i.opcode {
            Opcode::BlxImm => (base + off + ((bit(w, 24) as i64) << 1)) as u64 & MASK32 | 1,
            _ => (base + off) as u64 & MASK32,
        };
        let link = !matches!(i.opcode, Opcode::B);
        if i.cond == 0xe {
            if link {
                self.b.set_const(regs::LR, self.next);
            }
            self.b.exit(Exit::Jump(target));
            return;
        }
        let c = self.cond(i.cond);
        if link {
            let lr = self.b.get(regs::LR);
            let next = self.k(self.next);
            let new = self.b.select(c, next, lr);
            self.b.set(regs::LR, new);
        }
        self.b.exit_if(c, Exit::Jump(target));
        self.b.exit(Exit::Jump(self.next));
    }

    fn body(&mut self, i: &Insn, w: u32) -> Flow {
        let rn = bits(w, 19, 16);
        let rd = bits(w, 15, 12);
        let rs = bits(w, 11, 8);
        let rm = bits(w, 3, 0);
        let s = bit(w, 20);
        let pc_flow = |n: u32| if n == 15 { Flow::WritesPc } else { Flow::Next };
        match i.opcode {
            Opcode::Dp(op) => self.data_processing(i, op),
            Opcode::Movw | Opcode::Movt => {
                let imm = ((bits(w, 19, 16) << 12) | bits(w, 11, 0)) as u64;
                let v = if i.opcode == Opcode::Movw {
                    self.k(imm)
                } else {
                    let old = self.reg(rd);
                    let lo = self.bini(BinOp::And, old, 0xffff);
                    self.bini(BinOp::Or, lo, imm << 16)
                };
                self.set_reg(rd, v);
                pc_flow(rd)
            }
            Opcode::Mul { acc } => {
                let a = self.reg(rm);
                let c = self.reg(rs);
                let p = self.bin(BinOp::Mul, a, c);
                let p = if acc {
                    let ra = self.reg(rd);
                    self.bin(BinOp::Add, p, ra)
                } else {
                    p
                };
                let r = self.m32(p);
                if s {
                    self.set_nz(r);
                }
                self.set_reg(rn, r);
                pc_flow(rn)
            }
            Opcode::Mls => {
                let a = self.reg(rm);
                let c = self.reg(rs);
                let p = self.bin(BinOp::Mul, a, c);
                let ra = self.reg(rd);
                let r = self.bin(BinOp::Sub, ra, p);
                let r = self.m32(r);
                self.set_reg(rn, r);
                pc_flow(rn)
            }
            Opcode::MulLong { signed, acc } => {
                let (mut a, mut c) = (self.reg(rm), self.reg(rs));
                if signed {
                    a = self.b.un(UnOp::Sext32, a);
                    c = self.b.un(UnOp::Sext32, c);
                }
                let mut p = self.bin(BinOp::Mul, a, c);
                if acc {
                    let acc = self.pair(rd, rn);
                    p = self.bin(BinOp::Add, p, acc);
                }
                if s {
                    self.set_nz64(p);
                }
                self.split_pair(p, rd, rn)
            }
            Opcode::Umaal => {
                let a = self.reg(rm);
                let c = self.reg(rs);
                let p = self.bin(BinOp::Mul, a, c);
                let lo = self.reg(rd);
                let hi = self.reg(rn);
                let p = self.bin(BinOp::Add, p, lo);
                let p = self.bin(BinOp::Add, p, hi);
                self.split_pair(p, rd, rn)
            }
            Opcode::SmulXY { acc } => {
                let a = self.half(rm, bit(w, 5));
                let c = self.half(rs, bit(w, 6));
                let p = self.bin(BinOp::Mul, a, c);
                let r = if acc { self.add_q(p, rd) } else { self.m32(p) };
                self.set_reg(rn, r);
                pc_flow(rn)
            }
            Opcode::SmulWY { acc } => {
                let a = self.reg(rm);
                let a = self.b.un(UnOp::Sext32, a);
                let c = self.half(rs, bit(w, 6));
                let p = self.bin(BinOp::Mul, a, c);
                let p = self.bini(BinOp::ShrS, p, 16);
                let r = if acc { self.add_q(p, rd) } else { self.m32(p) };
                self.set_reg(rn, r);
                pc_flow(rn)
            }
            Opcode::SmlalXY => {
                let a = self.half(rm, bit(w, 5));
                let c = self.half(rs, bit(w, 6));
                let p = self.bin(BinOp::Mul, a, c);
                let acc = self.pair(rd, rn);
                let p = self.bin(BinOp::Add, p, acc);
                self.split_pair(p, rd, rn)
            }
            Opcode::Smmul { acc, sub } => {
                let a = self.reg(rm);
                let a = self.b.un(UnOp::Sext32, a);
                let c = self.reg(rs);
                let c = self.b.un(UnOp::Sext32, c);
                let p = self.bin(BinOp::Mul, a, c);
                let mut v = p;
                if acc {
                    let ra = self.reg(rd);
                    let ra = self.bini(BinOp::Shl, ra, 32);
                    v = if sub { self.bin(BinOp::Sub, ra, p) } else { self.bin(BinOp::Add, ra, p) };
                }
                if bit(w, 5) {
                    v = self.bini(BinOp::Add, v, 0x8000_0000);
                }
                let r = self.bini(BinOp::ShrU, v, 32);
                self.set_reg(rn, r);
                pc_flow(rn)
            }
            Opcode::Usad8 { acc } => {
                let a = self.reg(rm);
                let c = self.reg(rs);
                let mut sum = if acc { self.reg(rd) } else { self.k(0) };
                for byte in 0..4 {
                    let x = self.bini(BinOp::ShrU, a, 8 * byte);
                    let x = self.bini(BinOp::And, x, 0xff);
                    let y = self.bini(BinOp::ShrU, c, 8 * byte);
                    let y = self.bini(BinOp::And, y, 0xff);
                    let d1 = self.bin(BinOp::Sub, x, y);
                    let d2 = self.bin(BinOp::Sub, y, x);
                    let lt = self.bin(BinOp::LtU, x, y);
                    let d = self.b.select(lt, d2, d1);
                    sum = self.bin(BinOp::Add, sum, d);
                }
                let r = self.m32(sum);
                self.set_reg(rn, r);
                pc_flow(rn)
            }
            Opcode::Qadd { double, sub } => {
                let a = self.reg(rm);
                let a = self.b.un(UnOp::Sext32, a);
                let c = self.reg(rn);
                let mut c = self.b.un(UnOp::Sext32, c);
                if double {
                    let d = self.bini(BinOp::Shl, c, 1);
                    let (r, sat) = self.sat_signed(d, 32);
                    self.or_q(sat);
                    c = self.b.un(UnOp::Sext32, r);
                }
                let v = if sub { self.bin(BinOp::Sub, a, c) } else { self.bin(BinOp::Add, a, c) };
                let (r, sat) = self.sat_signed(v, 32);
                self.or_q(sat);
                self.set_reg(rd, r);
                pc_flow(rd)
            }
            Opcode::Sdiv | Opcode::Udiv => {
                let mut a = self.reg(rm);
                let mut c = self.reg(rs);
                let op = if i.opcode == Opcode::Sdiv {
                    a = self.b.un(UnOp::Sext32, a);
                    c = self.b.un(UnOp::Sext32, c);
                    BinOp::DivS
                } else {
                    BinOp::DivU
                };
                // The IR's division by zero gives 0, as ARM's does.
                let q = self.bin(op, a, c);
                let r = self.m32(q);
                self.set_reg(rn, r);
                pc_flow(rn)
            }
            Opcode::Clz => {
                let v = self.reg(rm);
                let z = self.b.un(UnOp::Clz, v);
                let r = self.bini(BinOp::Sub, z, 32);
                self.set_reg(rd, r);
                pc_flow(rd)
            }
            Opcode::Rev => {
                let v = self.reg(rm);
                let r = self.b.un(UnOp::Bswap32, v);
                self.set_reg(rd, r);
                pc_flow(rd)
            }
            Opcode::Rev16 => {
                let v = self.reg(rm);
                let hi = self.bini(BinOp::Shl, v, 8);
                let hi = self.bini(BinOp::And, hi, 0xff00_ff00);
                let lo = self.bini(BinOp::ShrU, v, 8);
                let lo = self.bini(BinOp::And, lo, 0x00ff_00ff);
                let r = self.bin(BinOp::Or, hi, lo);
                self.set_reg(rd, r);
                pc_flow(rd)
            }
            Opcode::Revsh => {
                let v = self.reg(rm);
                let r = self.b.un(UnOp::Bswap16, v);
                let r = self.b.un(UnOp::Sext16, r);
                let r = self.m32(r);
                self.set_reg(rd, r);
                pc_flow(rd)
            }
            Opcode::Rbit => {
                let mut v = self.reg(rm);
                for (sh, m) in [(1, 0x5555_5555u64), (2, 0x3333_3333), (4, 0x0f0f_0f0f)] {
                    let a = self.bini(BinOp::ShrU, v, sh);
                    let a = self.bini(BinOp::And, a, m);
                    let c = self.bini(BinOp::And, v, m);
                    let c = self.bini(BinOp::Shl, c, sh);
                    v = self.bin(BinOp::Or, a, c);
                }
                let r = self.b.un(UnOp::Bswap32, v);
                self.set_reg(rd, r);
                pc_flow(rd)
            }
            Opcode::Extend { signed, what, acc } => {
                let v = self.reg(rm);
                let v = self.ror_const(v, bits(w, 11, 10) * 8);
                let r = match what {
                    ExtKind::B | ExtKind::H => {
                        let op = match (signed, what) {
                            (true, ExtKind::B) => UnOp::Sext8,
                            (false, ExtKind::B) => UnOp::Zext8,
                            (true, _) => UnOp::Sext16,
                            (false, _) => UnOp::Zext16,
                        };
                        let x = self.b.un(op, v);
                        let x = if acc {
                            let n = self.reg(rn);
                            self.bin(BinOp::Add, n, x)
                        } else {
                            x
                        };
                        self.m32(x)
                    }
                    ExtKind::B16 => {
                        let halves = [0u64, 16].map(|sh| {
                            let b = self.bini(BinOp::ShrU, v, sh);
                            let b = self.b.un(if signed { UnOp::Sext8 } else { UnOp::Zext8 }, b);
                            let b = if acc {
                                let n = self.reg(rn);
                                let n = self.bini(BinOp::ShrU, n, sh);
                                self.bin(BinOp::Add, n, b)
                            } else {
                                b
                            };
                            let b = self.bini(BinOp::And, b, 0xffff);
                            self.bini(BinOp::Shl, b, sh)
                        });
                        self.bin(BinOp::Or, halves[0], halves[1])
                    }
                };
                self.set_reg(rd, r);
                pc_flow(rd)
            }
            Opcode::Sbfx | Opcode::Ubfx => {
                let lsb = bits(w, 11, 7);
                let width = bits(w, 20, 16) + 1;
                let v = self.reg(rm);
                let r = if i.opcode == Opcode::Sbfx {
                    let t = self.bini(BinOp::Shl, v, (64 - lsb - width) as u64);
                    let t = self.bini(BinOp::ShrS, t, (64 - width) as u64);
                    self.m32(t)
                } else {
                    let t = self.bini(BinOp::ShrU, v, lsb as u64);
                    self.bini(BinOp::And, t, (1u64 << width) - 1)
                };
                self.set_reg(rd, r);
                pc_flow(rd)
            }
            Opcode::Bfi | Opcode::Bfc => {
                let lsb = bits(w, 11, 7);
                let msb = bits(w, 20, 16);
                let mask = ((1u64 << (msb - lsb + 1)) - 1) << lsb;
                let old = self.reg(rd);
                let kept = self.bini(BinOp::And, old, !mask & MASK32);
                let r = if i.opcode == Opcode::Bfi {
                    let n = self.reg(rm);
                    let n = self.bini(BinOp::Shl, n, lsb as u64);
                    let n = self.bini(BinOp::And, n, mask);
                    self.bin(BinOp::Or, kept, n)
                } else {
                    kept
                };
                self.set_reg(rd, r);
                pc_flow(rd)
            }
            Opcode::Ssat | Opcode::Usat => {
                let v = self.reg(rm);
                let (v, _) =
                    self.shift_imm(v, if bit(w, 6) { 2 } else { 0 }, bits(w, 11, 7), false);
                let v = self.b.un(UnOp::Sext32, v);
                let n = bits(w, 20, 16);
                let (r, sat) = if i.opcode == Opcode::Ssat {
                    self.sat_signed(v, n + 1)
                } else {
                    self.sat_unsigned(v, n)
                };
                self.or_q(sat);
                self.set_reg(rd, r);
                pc_flow(rd)
            }
            Opcode::Sel => {
                let ge = self.b.get(GE);
                let mut mask = self.k(0);
                for byte in 0..4u64 {
                    let g = self.bini(BinOp::ShrU, ge, byte);
                    let g = self.bini(BinOp::And, g, 1);
                    let m = self.bini(BinOp::Mul, g, 0xff << (8 * byte));
                    mask = self.bin(BinOp::Or, mask, m);
                }
                let a = self.reg(rn);
                let c = self.reg(rm);
                let a = self.bin(BinOp::And, a, mask);
                let inv = self.bini(BinOp::Xor, mask, MASK32);
                let c = self.bin(BinOp::And, c, inv);
                let r = self.bin(BinOp::Or, a, c);
                self.set_reg(rd, r);
                pc_flow(rd)
            }
            Opcode::Parallel { kind } => self.parallel(kind, bits(w, 7, 5), rn, rm, rd),
            Opcode::Sat16 { signed } => {
                let n = bits(w, 19, 16);
                let v = self.reg(rm);
                let mut r = self.k(0);
                let mut sat_any = self.k(0);
                for sh in [0u64, 16] {
                    let x = self.bini(BinOp::ShrU, v, sh);
                    let x = self.b.un(UnOp::Sext16, x);
                    let (y, sat) =
                        if signed { self.sat_signed(x, n + 1) } else { self.sat_unsigned(x, n) };
                    let y = self.bini(BinOp::And, y, 0xffff);
                    let y = self.bini(BinOp::Shl, y, sh);
                    r = self.bin(BinOp::Or, r, y);
                    sat_any = self.bin(BinOp::Or, sat_any, sat);
                }
                self.or_q(sat_any);
                self.set_reg(rd, r);
                Flow::Next
            }
            Opcode::DualMul { sub, acc } => {
                let (p1, p2) = self.dual_products(w, rm, rs);
                let mut v =
                    if sub { self.bin(BinOp::Sub, p1, p2) } else { self.bin(BinOp::Add, p1, p2) };
                if acc {
                    let a = self.reg(rd);
                    let a = self.b.un(UnOp::Sext32, a);
                    v = self.bin(BinOp::Add, v, a);
                }
                let r = self.m32(v);
                // Q when the sum does not fit 32 bits.
                let back = self.b.un(UnOp::Sext32, r);
                let ok = self.bin(BinOp::Eq, back, v);
                let over = self.bini(BinOp::Eq, ok, 0);
                self.or_q(over);
                self.set_reg(rn, r);
                Flow::Next
            }
            Opcode::DualMulLong { sub } => {
                let (p1, p2) = self.dual_products(w, rm, rs);
                let v =
                    if sub { self.bin(BinOp::Sub, p1, p2) } else { self.bin(BinOp::Add, p1, p2) };
                let acc = self.pair(rd, rn);
                let v = self.bin(BinOp::Add, v, acc);
                self.split_pair(v, rd, rn)
            }
            Opcode::Setend => Flow::Next,
            Opcode::Pkh => {
                let tb = bit(w, 6);
                let v = self.reg(rm);
                let (sh, _) = self.shift_imm(v, if tb { 2 } else { 0 }, bits(w, 11, 7), false);
                let n = self.reg(rn);
                let (keep, take) = if tb { (0xffff_0000, 0xffff) } else { (0xffff, 0xffff_0000) };
                let n = self.bini(BinOp::And, n, keep);
                let sh = self.bini(BinOp::And, sh, take);
                let r = self.bin(BinOp::Or, n, sh);
                self.set_reg(rd, r);
                pc_flow(rd)
            }
            Opcode::Mrs => {
                let mut v = self.k(0x10); // user mode
                for (cond, at) in [(4, 31), (0, 30), (2, 29), (6, 28)] {
                    let f = self.cond(cond);
                    let f = self.bini(BinOp::Shl, f, at);
                    v = self.bin(BinOp::Or, v, f);
                }
                let q = self.b.get(QF);
                let q = self.bini(BinOp::Shl, q, 27);
                let v = self.bin(BinOp::Or, v, q);
                let ge = self.b.get(GE);
                let ge = self.bini(BinOp::Shl, ge, 16);
                let v = self.bin(BinOp::Or, v, ge);
                self.set_reg(rd, v);
                pc_flow(rd)
            }
            Opcode::MsrReg | Opcode::MsrImm => {
                let v = if i.opcode == Opcode::MsrImm {
                    let imm = bits(w, 7, 0).rotate_right(bits(w, 11, 8) * 2);
                    self.k(imm as u64)
                } else {
                    self.reg(rm)
                };
                if bit(w, 19) {
                    self.set_flags_from(v);
                    let q = self.bini(BinOp::ShrU, v, 27);
                    let q = self.bini(BinOp::And, q, 1);
                    self.b.set(QF, q);
                }
                if bit(w, 18) {
                    let ge = self.bini(BinOp::ShrU, v, 16);
                    let ge = self.bini(BinOp::And, ge, 0xf);
                    self.b.set(GE, ge);
                }
                Flow::Next
            }
            Opcode::MrcTls => {
                let v = self.b.get(TLS);
                if rd == 15 {
                    // APSR_nzcv as the destination.
                    self.set_flags_from(v);
                } else {
                    self.b.set(regs::r(rd), v);
                }
                Flow::Next
            }
            Opcode::Hint | Opcode::Barrier | Opcode::Preload => Flow::Next,
            Opcode::Isb => Flow::EndBlock,
            Opcode::Clrex => {
                self.b.set_const(RESERVATION, regs::NO_RESERVATION);
                Flow::Next
            }
            Opcode::Bx | Opcode::BlxReg => {
                let t = self.reg(rm);
                if i.opcode == Opcode::BlxReg {
                    self.b.set_const(regs::LR, self.next);
                }
                self.write_pc(t);
                Flow::WritesPc
            }
            Opcode::Ldr { size, signed } => self.load_store(i, true, size, signed),
            Opcode::Str { size } => self.load_store(i, false, size, false),
            Opcode::Ldm | Opcode::Stm => self.block_transfer(i),
            Opcode::Swp { byte } => {
                let addr = self.reg(rn);
                let width = if byte { Width::W8 } else { Width::W32 };
                let new = self.reg(rm);
                let old = self.b.load(addr, width, false, LE);
                self.b.store(addr, new, width, LE);
                self.set_reg(rd, old);
                pc_flow(rd)
            }
            Opcode::Ldrex { size } => {
                let addr = self.reg(rn);
                if size == Size::Dual {
                    let lo = self.b.load(addr, Width::W32, false, LE);
                    let a4 = self.bini(BinOp::Add, addr, 4);
                    let a4 = self.m32(a4);
                    let hi = self.b.load(a4, Width::W32, false, LE);
                    self.b.set(RESERVATION, addr);
                    self.set_reg(rd, lo);
                    self.set_reg(rd + 1, hi);
                } else {
                    let v = self.b.load(addr, width_of(size), false, LE);
                    self.b.set(RESERVATION, addr);
                    self.set_reg(rd, v);
                }
                pc_flow(rd)
            }
            Opcode::Strex { size } => {
                let addr = self.reg(rn);
                let held = self.b.get(RESERVATION);
                let ok = self.bin(BinOp::Eq, held, addr);
                let fail = self.bini(BinOp::Eq, ok, 0);
                let skip = self.b.label();
                self.b.branch_if(fail, skip);
                let v = self.reg(rm);
                if size == Size::Dual {
                    let hi = self.reg(rm + 1);
                    self.b.store(addr, v, Width::W32, LE);
                    let a4 = self.bini(BinOp::Add, addr, 4);
                    let a4 = self.m32(a4);
                    self.b.store(a4, hi, Width::W32, LE);
                } else {
                    self.b.store(addr, v, width_of(size), LE);
                }
                self.b.place(skip);
                self.b.set_const(RESERVATION, regs::NO_RESERVATION);
                self.set_reg(rd, fail);
                pc_flow(rd)
            }
            Opcode::B | Opcode::Bl | Opcode::BlxImm | Opcode::Svc | Opcode::Bkpt | Opcode::Udf => {
                unreachable!("lifted before the condition check")
            }
        }
    }

    /// The two signed 16x16 products of the dual multiplies: Rn.lo *
    /// Rm.lo and Rn.hi * Rm.hi, with Rm's halves swapped when bit 5 says.
    fn dual_products(&mut self, w: u32, rn: u32, rm: u32) -> (Temp, Temp) {
        let swap = bit(w, 5);
        let a_lo = self.half(rn, false);
        let a_hi = self.half(rn, true);
        let b_lo = self.half(rm, swap);
        let b_hi = self.half(rm, !swap);
        (self.bin(BinOp::Mul, a_lo, b_lo), self.bin(BinOp::Mul, a_hi, b_hi))
    }

    /// The parallel add/subtract family: lanes of 16 bits (operations 0–3:
    /// add16, asx, sax, sub16) or 8 bits (4: add8, 7: sub8) of Rn and Rm,
    /// combined as `kind` says (see [`Opcode::Parallel`]).
    fn parallel(&mut self, kind: u8, op: u32, rn: u32, rm: u32, rd: u32) -> Flow {
        let signed = kind < 4;
        let lanes: u64 = if op >= 4 { 4 } else { 2 };
        let width = 32 / lanes;
        let lane_mask = (1u64 << width) - 1;
        let a = self.reg(rn);
        let c = self.reg(rm);
        let mut r = self.k(0);
        let mut ge = self.k(0);
        for i in 0..lanes {
            // asx: low lane a.lo - b.hi, high lane a.hi + b.lo; sax the
            // reverse.
            let (j, sub) = match op {
                0 | 4 => (i, false),
                1 => (1 - i, i == 0),
                2 => (1 - i, i == 1),
                _ => (i, true),
            };
            let lane = |l: &mut Self, v: Temp, k: u64| {
                let x = l.bini(BinOp::ShrU, v, k * width);
                let x = l.bini(BinOp::And, x, lane_mask);
                if signed {
                    let top = l.bini(BinOp::Shl, x, 64 - width);
                    l.bini(BinOp::ShrS, top, 64 - width)
                } else {
                    x
                }
            };
            let x = lane(self, a, i);
            let y = lane(self, c, j);
            let v = if sub { self.bin(BinOp::Sub, x, y) } else { self.bin(BinOp::Add, x, y) };
            let out = match kind {
                2 => self.sat_signed(v, width as u32).0,
                6 => self.sat_unsigned(v, width as u32).0,
                3 | 7 => self.bini(BinOp::ShrS, v, 1),
                _ => v,
            };
            let out = self.bini(BinOp::And, out, lane_mask);
            let out = self.bini(BinOp::Shl, out, i * width);
            r = self.bin(BinOp::Or, r, out);
            if kind == 1 || kind == 5 {
                // GE: a signed result >= 0, an unsigned sum that carried,
                // an unsigned difference without borrow.
                let zero = self.k(0);
                let neg = self.bin(BinOp::LtS, v, zero);
                let flag = if kind == 5 && !sub {
                    self.bini(BinOp::ShrU, v, width)
                } else {
                    self.bini(BinOp::Xor, neg, 1)
                };
                let bits_per = 4 / lanes;
                let m = self.bini(BinOp::Mul, flag, ((1u64 << bits_per) - 1) << (i * bits_per));
                ge = self.bin(BinOp::Or, ge, m);
            }
        }
        if kind == 1 || kind == 5 {
            self.b.set(GE, ge);
        }
        self.set_reg(rd, r);
        Flow::Next
    }

    /// NZCV from bits 31:28 of `v`, in the flag slots' forms.
    fn set_flags_from(&mut self, v: Temp) {
        SubFlags::forget(self.b);
        // N is bit 31 already.
        self.b.set(NF, v);
        // Z: bit 30 set gives a zero word.
        let z = self.bini(BinOp::And, v, 1 << 30);
        let z = self.bini(BinOp::Xor, z, 1 << 30);
        self.b.set(ZF, z);
        let c = self.bini(BinOp::ShrU, v, 29);
        let c = self.bini(BinOp::And, c, 1);
        self.b.set(CF, c);
        let vf = self.bini(BinOp::Shl, v, 3);
        let vf = self.m32(vf);
        self.b.set(VF, vf);
    }

    /// The signed halfword `top` or bottom of register `n`, sign-extended
    /// to 64 bits.
    fn half(&mut self, n: u32, top: bool) -> Temp {
        let v = self.reg(n);
        let v = if top { self.bini(BinOp::ShrU, v, 16) } else { v };
        self.b.un(UnOp::Sext16, v)
    }

    /// `p + ra` (32-bit, signed), setting Q on overflow.
    fn add_q(&mut self, p: Temp, ra: u32) -> Temp {
        let p32 = self.m32(p);
        let a = self.reg(ra);
        let (r, _, v) = self.add_flags(p32, a);
        let v = self.bini(BinOp::ShrU, v, 31);
        self.or_q(v);
        r
    }

    /// The 64-bit value of register pair hi:lo.
    fn pair(&mut self, lo: u32, hi: u32) -> Temp {
        let l = self.reg(lo);
        let h = self.reg(hi);
        let h = self.bini(BinOp::Shl, h, 32);
        self.bin(BinOp::Or, h, l)
    }

    /// Write a 64-bit value to registers lo and hi (hi last, so it wins
    /// when they are the same register).
    fn split_pair(&mut self, v: Temp, lo: u32, hi: u32) -> Flow {
        let l = self.m32(v);
        let h = self.bini(BinOp::ShrU, v, 32);
        self.set_reg(lo, l);
        self.set_reg(hi, h);
        if lo == 15 || hi == 15 { Flow::WritesPc } else { Flow::Next }
    }

    pub(super) fn data_processing(&mut self, i: &Insn, op: DpOp) -> Flow {
        let w = i.word;
        let s = bit(w, 20);
        let rd = bits(w, 15, 12);
        let logical_flags = s && op.is_logical();
        let (op2, shifter_carry) = self.operand2(i, logical_flags);
        let rn = bits(w, 19, 16);
        let a = if matches!(op, DpOp::Mov | DpOp::Mvn) { None } else { Some(self.reg(rn)) };
        let (res, carry, overflow) = match op {
            DpOp::And | DpOp::Tst => (self.bin(BinOp::And, a.unwrap(), op2), None, None),
            DpOp::Eor | DpOp::Teq => (self.bin(BinOp::Xor, a.unwrap(), op2), None, None),
            DpOp::Orr => (self.bin(BinOp::Or, a.unwrap(), op2), None, None),
            DpOp::Orn => {
                let inv = self.bini(BinOp::Xor, op2, MASK32);
                (self.bin(BinOp::Or, a.unwrap(), inv), None, None)
            }
            DpOp::Bic => {
                let inv = self.bini(BinOp::Xor, op2, MASK32);
                (self.bin(BinOp::And, a.unwrap(), inv), None, None)
            }
            DpOp::Mov => (op2, None, None),
            DpOp::Mvn => (self.bini(BinOp::Xor, op2, MASK32), None, None),
            // Without S only the result is formed.
            DpOp::Add | DpOp::Sub | DpOp::Rsb if !s => {
                let r = match op {
                    DpOp::Add => self.bin(BinOp::Add, a.unwrap(), op2),
                    DpOp::Sub => self.bin(BinOp::Sub, a.unwrap(), op2),
                    _ => self.bin(BinOp::Sub, op2, a.unwrap()),
                };
                (self.m32(r), None, None)
            }
            DpOp::Add | DpOp::Cmn => {
                let (r, c, v) = self.add_flags(a.unwrap(), op2);
                (r, Some(c), Some(v))
            }
            DpOp::Sub | DpOp::Cmp => {
                let (r, c, v) = self.sub_flags(a.unwrap(), op2);
                (r, Some(c), Some(v))
            }
            DpOp::Rsb => {
                let (r, c, v) = self.sub_flags(op2, a.unwrap());
                (r, Some(c), Some(v))
            }
            _ => {
                let a = a.unwrap();
                let (x, y, cin) = match op {
                    DpOp::Adc => (a, op2, self.b.get(CF)),
                    DpOp::Sbc => {
                        let inv = self.bini(BinOp::Xor, op2, MASK32);
                        (a, inv, self.b.get(CF))
                    }
                    _ => {
                        // rsc
                        let inv = self.bini(BinOp::Xor, a, MASK32);
                        (op2, inv, self.b.get(CF))
                    }
                };
                let (r, c, v) = self.add_with_carry(x, y, cin);
                (r, Some(c), Some(v))
            }
        };
        if s {
            self.set_nz(res);
            if let Some(c) = carry.or(shifter_carry) {
                self.b.set(CF, c);
            }
            if let Some(v) = overflow {
                self.b.set(VF, v);
            }
            // The flags of a subtraction, unless the instruction may be
            // skipped (see `arm_cond`).
            let operands = match op {
                DpOp::Sub | DpOp::Cmp => a.map(|a| (a, op2)),
                DpOp::Rsb => a.map(|a| (op2, a)),
                _ => None,
            };
            if let Some((a, b)) = operands.filter(|_| !self.conditional) {
                SubFlags { a, b, wide: false }.remember(self.b);
            }
        }
        if op.is_compare() {
            return Flow::Next;
        }
        // Thumb's `BranchWritePC`: an ALU result stays in Thumb state.
        let res = if self.thumb && rd == 15 { self.bini(BinOp::Or, res, 1) } else { res };
        self.set_reg(rd, res);
        if rd == 15 { Flow::WritesPc } else { Flow::Next }
    }

    /// Single loads and stores in every addressing mode.
    pub(super) fn load_store(&mut self, i: &Insn, load: bool, size: Size, signed: bool) -> Flow {
        let w = i.word;
        let rn = bits(w, 19, 16);
        let rt = bits(w, 15, 12);
        let (p, u, wb) = (bit(w, 24), bit(w, 23), bit(w, 21));
        let offset = match i.form {
            _ if self.imm.is_some() => self.k(self.imm.map_or(0, |(v, _)| v) as u64),
            Form::Imm12 => self.k(bits(w, 11, 0) as u64),
            Form::Imm8 => self.k(((bits(w, 11, 8) << 4) | bits(w, 3, 0)) as u64),
            Form::RegShift => {
                let m = self.reg(bits(w, 3, 0));
                self.shift_imm(m, bits(w, 6, 5), bits(w, 11, 7), false).0
            }
            _ => self.reg(bits(w, 3, 0)),
        };
        let base = self.reg(rn);
        let moved =
            if u { self.bin(BinOp::Add, base, offset) } else { self.bin(BinOp::Sub, base, offset) };
        let moved = self.m32(moved);
        let addr = if p { moved } else { base };
        // Post-indexed forms always write back (the `t` forms behave the
        // same in user mode).
        let writeback = (!p || wb) && rn != 15;
        let mut flow = Flow::Next;
        if load {
            let mut values = Vec::with_capacity(2);
            if size == Size::Dual {
                let lo = self.b.load(addr, Width::W32, false, LE);
                let a4 = self.bini(BinOp::Add, addr, 4);
                let a4 = self.m32(a4);
                let hi = self.b.load(a4, Width::W32, false, LE);
                values.push((rt, lo));
                values.push((rt + 1, hi));
            } else {
                let v = self.b.load(addr, width_of(size), signed, LE);
                let v = if signed { self.m32(v) } else { v };
                values.push((rt, v));
            }
            if writeback {
                self.b.set(regs::r(rn), moved);
            }
            for (r, v) in values {
                if r == 15 {
                    flow = Flow::WritesPc;
                }
                self.set_reg(r, v);
            }
        } else {
            let v = self.reg(rt);
            if size == Size::Dual {
                let hi = self.reg(rt + 1);
                self.b.store(addr, v, Width::W32, LE);
                let a4 = self.bini(BinOp::Add, addr, 4);
                let a4 = self.m32(a4);
                self.b.store(a4, hi, Width::W32, LE);
            } else {
                self.b.store(addr, v, width_of(size), LE);
            }
            if writeback {
                self.b.set(regs::r(rn), moved);
            }
        }
        flow
    }

    /// `ldm`/`stm` in all four modes (`push` and `pop` included).
    pub(super) fn block_transfer(&mut self, i: &Insn) -> Flow {
        let w = i.word;
        let rn = bits(w, 19, 16);
        let list = bits(w, 15, 0);
        let count = list.count_ones() as u64;
        let (p, u, wb, load) = (bit(w, 24), bit(w, 23), bit(w, 21), bit(w, 20));
        let base = self.reg(rn);
        // Lowest address transferred.
        let start = match (p, u) {
            (false, true) => 0i64,
            (true, true) => 4,
            (false, false) => -4 * count as i64 + 4,
            (true, false) => -4 * count as i64,
        };
        let end = if u { 4 * count as i64 } else { -4 * (count as i64) };
        let regs_in: Vec<u32> = (0..16).filter(|r| list & (1 << r) != 0).collect();
        let mut loaded = Vec::with_capacity(regs_in.len());
        for (k, &r) in regs_in.iter().enumerate() {
            let a = self.bini(BinOp::Add, base, (start + 4 * k as i64) as u64);
            let a = self.m32(a);
            if load {
                let v = self.b.load(a, Width::W32, false, LE);
                loaded.push((r, v));
            } else {
                let v = self.reg(r);
                self.b.store(a, v, Width::W32, LE);
            }
        }
        if wb && rn != 15 {
            let nb = self.bini(BinOp::Add, base, end as u64);
            let nb = self.m32(nb);
            self.b.set(regs::r(rn), nb);
        }
        let mut flow = Flow::Next;
        for (r, v) in loaded {
            if r == 15 {
                flow = Flow::WritesPc;
            }
            self.set_reg(r, v);
        }
        flow
    }
}

fn width_of(size: Size) -> Width {
    match size {
        Size::Byte => Width::W8,
        Size::Half => Width::W16,
        Size::Word | Size::Dual => Width::W32,
    }
}

/// Whether `i` can write the pc (and so ends its block with an indirect
/// jump).
pub(super) fn writes_pc(i: &Insn) -> bool {
    let w = i.word;
    let rd = bits(w, 15, 12);
    let rn = bits(w, 19, 16);
    match i.opcode {
        Opcode::Dp(op) => !op.is_compare() && rd == 15,
        Opcode::Bx | Opcode::BlxReg => true,
        Opcode::Ldm => bit(w, 15),
        Opcode::Ldr { size: Size::Dual, .. } => rd == 14,
        Opcode::Ldr { .. } | Opcode::Ldrex { .. } | Opcode::Strex { .. } | Opcode::Swp { .. } => {
            rd == 15
        }
        Opcode::Mul { .. }
        | Opcode::Mls
        | Opcode::SmulXY { .. }
        | Opcode::SmulWY { .. }
        | Opcode::Smmul { .. }
        | Opcode::Usad8 { .. }
        | Opcode::Sdiv
        | Opcode::Udiv => rn == 15,
        Opcode::MulLong { .. } | Opcode::Umaal | Opcode::SmlalXY => rn == 15 || rd == 15,
        Opcode::Movw
        | Opcode::Movt
        | Opcode::Qadd { .. }
        | Opcode::Clz
        | Opcode::Rev
        | Opcode::Rev16
        | Opcode::Revsh
        | Opcode::Rbit
        | Opcode::Extend { .. }
        | Opcode::Sbfx
        | Opcode::Ubfx
        | Opcode::Bfi
        | Opcode::Bfc
        | Opcode::Ssat
        | Opcode::Usat
        | Opcode::Sel
        | Opcode::Pkh
        | Opcode::Mrs => rd == 15,
        _ => false,
    }
}
