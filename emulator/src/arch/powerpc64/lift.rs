//! powerpc64 lifter: decoded instructions → IR ops.
//!
//! Receives bytes from the translator (through `Powerpc64::lift_insn`),
//! asks `decode` what they mean and emits IR through `BlockBuilder`. Rules
//! kept throughout:
//! - `(ra|0)` operands read r0 as the constant 0; everywhere else r0 is an
//!   ordinary register;
//! - every load and store of an instruction comes before its register
//!   writes, so a faulting access leaves the registers untouched;
//! - results are computed into temporaries before any register is written,
//!   so overlapping operands need no special case;
//! - CR0 of a record form is computed from the 64-bit result (64-bit mode)
//!   and copies XER[SO] after any overflow update of the same instruction.
//!
//! Where the Power ISA leaves a result undefined, the lifter gives what
//! QEMU gives, so that the two can be compared:
//! - `divw`/`divwu`/`divd`/`divdu` by zero, and the signed `MIN / -1`,
//!   return the dividend (QEMU divides by 1 instead);
//! - `divw`, `divwu`, `mulhw` and `mulhwu` zero-extend their 32-bit result;
//! - `mfocrf`/`mtocrf` with other than exactly one FXM bit do nothing;
//! - `stcx.` succeeds only for the address and width of the reservation,
//!   and only while memory still holds the reserved value.
//!
//! Deliberate differences from QEMU, whose default CPU is a POWER9:
//! - the model is POWER8 (Power ISA 2.07), so there are no XER[OV32,CA32];
//! - XER keeps SO, OV, CA and the byte count; its reserved bits read as
//!   zero (QEMU returns whatever `mtxer` wrote there);
//! - misaligned `l*arx`/`st*cx.` do not raise an alignment interrupt.

use super::decode::{
    self, ArithOp, CrOp, Decoded, ImmOp, Insn, LogicOp, Opcode, RotOp, ShiftOp, Size, UnaryOp,
    mask64,
};
use super::regs::{self, CA, CR_EQ, CR_GT, CR_LT, CTR, LR, OV, SO, XER_BC, cr};
use crate::arch::compare_note::CompareNote;
use crate::ir::{BinOp, BlockBuilder, Counter, Endian, Exit, Temp, TrapKind, UnOp, Width};

const BE: Endian = Endian::Big;

/// Bytes `dcbz` zeroes: the data cache block size of POWER7 and later, as
/// QEMU and Linux (AT_DCACHEBSIZE) report it.
pub const DCBZ_BLOCK: u64 = 128;

/// Lift the one instruction at `pc`; `bytes` holds what is fetchable there.
pub fn lift_insn(pc: u64, bytes: &[u8], b: &mut BlockBuilder) {
    match decode::decode(bytes) {
        Decoded::Insn(insn) => Lifter { b, pc, next: pc.wrapping_add(4) }.lift(&insn),
        Decoded::Illegal => {
            // The trap carries the bytes in memory order, packed
            // little-endian (the first byte lowest), as for every arch.
            let packed = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
            b.insn(pc, 4);
            b.exit(Exit::Trap { kind: TrapKind::IllegalInstruction { bytes: packed, len: 4 }, pc });
        }
        Decoded::Truncated { available } => {
            // The rest of the word is not fetchable: the fault is at the
            // first missing byte.
            b.insn(pc, available);
            let addr = pc.wrapping_add(available as u64);
            b.exit(Exit::Trap { kind: TrapKind::FetchFault { addr }, pc });
        }
    }
}

fn width(size: Size) -> Width {
    match size {
        1 => Width::W8,
        2 => Width::W16,
        4 => Width::W32,
        _ => Width::W64,
    }
}

struct Lifter<'a> {
    b: &'a mut BlockBuilder,
    pc: u64,
    /// Address of the next instruction.
    next: u64,
}

impl Lifter<'_> {
    fn gpr(&mut self, r: u8) -> Temp {
        self.b.get(regs::r(r as u32))
    }

    /// `(ra|0)`: r0 reads as zero in base-address and `addi` operands.
    fn gpr_or_zero(&mut self, r: u8) -> Temp {
        if r == 0 { self.b.konst(0) } else { self.gpr(r) }
    }

    fn set_gpr(&mut self, r: u8, t: Temp) {
        self.b.set(regs::r(r as u32), t);
    }

    fn bin(&mut self, op: BinOp, a: Temp, c: Temp) -> Temp {
        self.b.bin(op, a, c)
    }

    fn bini(&mut self, op: BinOp, a: Temp, imm: u64) -> Temp {
        self.b.bini(op, a, imm)
    }

    fn un(&mut self, op: UnOp, a: Temp) -> Temp {
        self.b.un(op, a)
    }

    /// The LT/GT/EQ bits of comparing `a` with `c`.
    fn compare(&mut self, a: Temp, c: Temp, signed: bool) -> Temp {
        let lt_op = if signed { BinOp::LtS } else { BinOp::LtU };
        let lt = self.bin(lt_op, a, c);
        let gt = self.bin(lt_op, c, a);
        let v_lt = self.b.konst(CR_LT);
        let v_gt = self.b.konst(CR_GT);
        let v_eq = self.b.konst(CR_EQ);
        let gt_or_eq = self.b.select(gt, v_gt, v_eq);
        self.b.select(lt, v_lt, gt_or_eq)
    }

    /// Write CR field `bf` from a comparison, with SO copied from XER.
    /// The comparison is remembered, so a branch on its LT, GT or EQ bit
    /// later in the block compares `a` and `c` directly (see
    /// `branch_on_compare`).
    fn set_cr_compare(&mut self, bf: u8, a: Temp, c: Temp, signed: bool) {
        let bits = self.compare(a, c, signed);
        let so = self.b.get(SO);
        let v = self.bin(BinOp::Or, bits, so);
        self.b.set(cr(bf as u32), v);
        CompareNote { a, b: c, tag: bf << 1 | u8::from(signed) }.remember(self.b);
    }

    /// Whether CR bit `bi` is `want`, as one comparison of the operands of
    /// the compare that set its field earlier in this block, if one did
    /// and the bit is LT, GT or EQ (SO is XER's copy).
    fn branch_on_compare(&mut self, bi: u8, want: bool) -> Option<Temp> {
        let n = CompareNote::recall(self.b).filter(|n| n.tag >> 1 == bi >> 2)?;
        let (lt, le) =
            if n.tag & 1 != 0 { (BinOp::LtS, BinOp::LeS) } else { (BinOp::LtU, BinOp::LeU) };
        let (a, c) = (n.a, n.b);
        Some(match (bi & 3, want) {
            (0, true) => self.bin(lt, a, c),
            (0, false) => self.bin(le, c, a),
            (1, true) => self.bin(lt, c, a),
            (1, false) => self.bin(le, a, c),
            (2, true) => self.bin(BinOp::Eq, a, c),
            (2, false) => self.bin(BinOp::Ne, a, c),
            _ => return None,
        })
    }

    /// CR0 of a record form: the 64-bit result compared with zero.
    fn record(&mut self, result: Temp) {
        let zero = self.b.konst(0);
        self.set_cr_compare(0, result, zero, true);
    }

    /// Set XER[OV] to `ov` (0 or 1) and OR it into XER[SO].
    fn set_ov(&mut self, ov: Temp) {
        self.b.set(OV, ov);
        let so = self.b.get(SO);
        let so = self.bin(BinOp::Or, so, ov);
        self.b.set(SO, so);
    }

    /// Bit 63 of `v` as 0 or 1.
    fn sign_bit(&mut self, v: Temp) -> Temp {
        self.bini(BinOp::ShrU, v, 63)
    }

    /// Signed overflow of `r = a + c (+ carry)`: both inputs differ in sign
    /// from the result.
    fn add_overflow(&mut self, a: Temp, c: Temp, r: Temp) -> Temp {
        let x = self.bin(BinOp::Xor, a, r);
        let y = self.bin(BinOp::Xor, c, r);
        let both = self.b.and(x, y);
        self.sign_bit(both)
    }

    /// `a + c + carry_in` with carry out: `(sum, carry)`.
    fn add_with_carry(&mut self, a: Temp, c: Temp, carry_in: Temp) -> (Temp, Temp) {
        let s = self.b.add(a, c);
        let c1 = self.bin(BinOp::LtU, s, a);
        let r = self.b.add(s, carry_in);
        let c2 = self.bin(BinOp::LtU, r, s);
        let carry = self.bin(BinOp::Or, c1, c2);
        (r, carry)
    }

    fn lift(&mut self, i: &Insn) {
        self.b.insn(self.pc, 4);
        match i.opcode {
            Opcode::Arith(op) => self.arith(i, op),
            Opcode::Imm(op) => self.imm(i, op),
            Opcode::Logic(op) => self.logic(i, op),
            Opcode::Shift(op) => self.shift(i, op),
            Opcode::Srawi | Opcode::Sradi => self.shift_imm(i),
            Opcode::Unary(op) => self.unary(i, op),
            Opcode::Rotate(op) => self.rotate(i, op),
            Opcode::Cmp { signed } => {
                let a = self.gpr(i.ra);
                let c = self.gpr(i.rb);
                let (a, c) = self.cmp_operands(a, c, i.l, signed);
                self.set_cr_compare(i.rt, a, c, signed);
            }
            Opcode::CmpImm { signed } => {
                let a = self.gpr(i.ra);
                // cmpi's immediate is sign-extended, cmpli's zero-extended;
                // either is already in its 64-bit form.
                let c = self.b.konst(i.imm as u64);
                let a = match (i.l, signed) {
                    (true, _) => a,
                    (false, true) => self.b.sext32(a),
                    (false, false) => self.b.zext32(a),
                };
                self.set_cr_compare(i.rt, a, c, signed);
            }
            Opcode::Cmpb => self.cmpb(i),
            Opcode::Isel => {
                let bit = self.cr_bit(i.mb);
                let a = self.gpr_or_zero(i.ra);
                let c = self.gpr(i.rb);
                let v = self.b.select(bit, a, c);
                self.set_gpr(i.rt, v);
            }
            Opcode::Load { size, signed, update, indexed } => {
                let ea = self.ea(i, indexed, update);
                let v = self.b.load(ea, width(size), signed, BE);
                self.set_gpr(i.rt, v);
                if update {
                    self.set_gpr(i.ra, ea);
                }
            }
            Opcode::Store { size, update, indexed } => {
                let ea = self.ea(i, indexed, update);
                let v = self.gpr(i.rt);
                self.b.store(ea, v, width(size), BE);
                if update {
                    self.set_gpr(i.ra, ea);
                }
            }
            Opcode::LoadRev(size) => {
                let ea = self.ea(i, true, false);
                let v = self.b.load(ea, width(size), false, Endian::Little);
                self.set_gpr(i.rt, v);
            }
            Opcode::StoreRev(size) => {
                let ea = self.ea(i, true, false);
                let v = self.gpr(i.rt);
                self.b.store(ea, v, width(size), Endian::Little);
            }
            Opcode::Lmw => {
                let ea = self.ea(i, false, false);
                let mut values = Vec::with_capacity(32 - i.rt as usize);
                for k in 0..(32 - i.rt as u64) {
                    let addr = if k == 0 { ea } else { self.b.addi(ea, 4 * k) };
                    values.push(self.b.load(addr, Width::W32, false, BE));
                }
                for (k, v) in values.into_iter().enumerate() {
                    self.set_gpr(i.rt + k as u8, v);
                }
            }
            Opcode::Stmw => {
                let ea = self.ea(i, false, false);
                for k in 0..(32 - i.rt as u64) {
                    let addr = if k == 0 { ea } else { self.b.addi(ea, 4 * k) };
                    let v = self.gpr(i.rt + k as u8);
                    self.b.store(addr, v, Width::W32, BE);
                }
            }
            Opcode::Larx(size) => {
                let ea = self.ea(i, true, false);
                let v = self.b.load(ea, width(size), false, BE);
                self.b.set(regs::RESERVATION, ea);
                self.b.set(regs::RESERVATION_VAL, v);
                self.b.set_const(regs::RESERVATION_LEN, size as u64);
                self.set_gpr(i.rt, v);
            }
            Opcode::Stcx(size) => self.stcx(i, size),
            Opcode::B => {
                let target = if i.aa { i.imm as u64 } else { self.pc.wrapping_add(i.imm as u64) };
                if i.lk {
                    self.b.set_const(LR, self.next);
                }
                self.b.exit(Exit::Jump(target));
            }
            Opcode::Bc => {
                let target = if i.aa { i.imm as u64 } else { self.pc.wrapping_add(i.imm as u64) };
                let taken = self.branch_condition(i.rt, i.ra);
                if i.lk {
                    self.b.set_const(LR, self.next);
                }
                match taken {
                    None => self.b.exit(Exit::Jump(target)),
                    Some(t) => {
                        self.b.exit_if(t, Exit::Jump(target));
                        self.b.exit(Exit::Jump(self.next));
                    }
                }
            }
            Opcode::Bclr | Opcode::Bcctr => {
                // The target is read before LK overwrites LR (`blrl`).
                let slot = if i.opcode == Opcode::Bclr { LR } else { CTR };
                let reg = self.b.get(slot);
                let target = self.b.andi(reg, !3);
                let taken = self.branch_condition(i.rt, i.ra);
                if i.lk {
                    self.b.set_const(LR, self.next);
                }
                match taken {
                    None => self.b.exit(Exit::JumpIndirect(target)),
                    Some(t) => {
                        self.b.exit_if(t, Exit::JumpIndirect(target));
                        self.b.exit(Exit::Jump(self.next));
                    }
                }
            }
            Opcode::CrLogic(op) => self.cr_logic(i, op),
            Opcode::Mcrf => {
                let v = self.b.get(cr(i.ra as u32));
                set_cr_field(self.b, i.rt as u32, v);
            }
            Opcode::Mfcr => {
                let mut acc = self.b.get(cr(7));
                for n in (0..7).rev() {
                    let f = self.b.get(cr(n));
                    let f = self.bini(BinOp::Shl, f, 4 * (7 - n) as u64);
                    acc = self.bin(BinOp::Or, acc, f);
                }
                self.set_gpr(i.rt, acc);
            }
            Opcode::Mfocrf => {
                if let Some(n) = one_field(i.imm) {
                    let f = self.b.get(cr(n));
                    let v = self.bini(BinOp::Shl, f, 4 * (7 - n) as u64);
                    self.set_gpr(i.rt, v);
                }
            }
            Opcode::Mtcrf | Opcode::Mtocrf => {
                let fxm = if i.opcode == Opcode::Mtcrf {
                    i.imm as u32
                } else {
                    one_field(i.imm).map_or(0, |n| 0x80 >> n)
                };
                let s = self.gpr(i.rt);
                for n in 0..8 {
                    if fxm & (0x80 >> n) != 0 {
                        let f = self.bini(BinOp::ShrU, s, 4 * (7 - n) as u64);
                        let f = self.b.andi(f, 0xf);
                        set_cr_field(self.b, n, f);
                    }
                }
            }
            Opcode::Mfspr | Opcode::Mftb => {
                let v = self.read_spr(i.imm as u16);
                self.set_gpr(i.rt, v);
            }
            Opcode::Mtspr => {
                let v = self.gpr(i.rt);
                self.write_spr(i.imm as u16, v);
            }
            Opcode::Barrier | Opcode::CacheHint => {}
            Opcode::Isync => {
                // Stores to translated code already end their block; ending
                // this one too makes the following code be fetched afresh.
                self.b.exit(Exit::Jump(self.next));
            }
            Opcode::Dcbz => {
                let ea = self.ea(i, true, false);
                let base = self.b.andi(ea, !(DCBZ_BLOCK - 1));
                let zero = self.b.konst(0);
                for k in 0..DCBZ_BLOCK / 8 {
                    let addr = if k == 0 { base } else { self.b.addi(base, 8 * k) };
                    self.b.store(addr, zero, Width::W64, BE);
                }
            }
            Opcode::Trap { double } => {
                let a = self.gpr(i.ra);
                let c = self.gpr(i.rb);
                self.trap(i.rt, a, c, double);
            }
            Opcode::TrapImm { double } => {
                let a = self.gpr(i.ra);
                let c = self.b.konst(i.imm as u64);
                self.trap(i.rt, a, c, double);
            }
            Opcode::Sc => self.b.exit(Exit::Syscall { next_pc: self.next }),
            Opcode::FpLoad { .. }
            | Opcode::FpStore { .. }
            | Opcode::Stfiwx
            | Opcode::Lfiw { .. }
            | Opcode::FpArith { .. }
            | Opcode::FpSqrt { .. }
            | Opcode::FpEstimate { .. }
            | Opcode::FpMadd { .. }
            | Opcode::Fsel
            | Opcode::FpCmp { .. }
            | Opcode::Frsp
            | Opcode::FpToInt { .. }
            | Opcode::FpFromInt { .. }
            | Opcode::FpMove(_)
            | Opcode::FpRoundInt(_)
            | Opcode::Mffs
            | Opcode::Mtfsf
            | Opcode::Mtfsfi
            | Opcode::Mtfsb { .. }
            | Opcode::Mcrfs => super::lift_fp::FpLifter { b: self.b, pc: self.pc }.lift(i),
        }
    }

    /// Effective address of a load or store: `(ra|0) + d` or
    /// `(ra|0) + rb`; update forms use `ra` itself (never r0, the decoder
    /// checks).
    fn ea(&mut self, i: &Insn, indexed: bool, update: bool) -> Temp {
        let base = if update { self.gpr(i.ra) } else { self.gpr_or_zero(i.ra) };
        if indexed {
            let index = self.gpr(i.rb);
            self.b.add(base, index)
        } else if i.imm == 0 {
            base
        } else {
            self.b.addi(base, i.imm as u64)
        }
    }

    /// Operands of `cmp`/`cmpl`: the low words extended for L = 0.
    fn cmp_operands(&mut self, a: Temp, c: Temp, l: bool, signed: bool) -> (Temp, Temp) {
        match (l, signed) {
            (true, _) => (a, c),
            (false, true) => (self.b.sext32(a), self.b.sext32(c)),
            (false, false) => (self.b.zext32(a), self.b.zext32(c)),
        }
    }

    /// CR bit `n` (0 = CR0.LT) as 0 or 1.
    fn cr_bit(&mut self, n: u8) -> Temp {
        let f = self.b.get(cr(n as u32 >> 2));
        let shifted = self.bini(BinOp::ShrU, f, 3 - (n & 3) as u64);
        self.b.andi(shifted, 1)
    }

    /// Decrement CTR if BO asks for it, and return whether the branch is
    /// taken; `None` when it always is.
    fn branch_condition(&mut self, bo: u8, bi: u8) -> Option<Temp> {
        let ctr_ok = if bo & 0x04 == 0 {
            let ctr = self.b.get(CTR);
            let ctr = self.b.addi(ctr, u64::MAX);
            self.b.set(CTR, ctr);
            let zero = self.b.konst(0);
            // BO[3] set: branch if CTR reached zero.
            let op = if bo & 0x02 != 0 { BinOp::Eq } else { BinOp::Ne };
            Some(self.bin(op, ctr, zero))
        } else {
            None
        };
        let cond_ok = if bo & 0x10 == 0 {
            // BO[1] is the value the bit must have.
            let want = bo & 0x08 != 0;
            Some(match self.branch_on_compare(bi, want) {
                Some(t) => t,
                None => {
                    let f = self.b.get(cr(bi as u32 >> 2));
                    let bit = self.b.andi(f, 8 >> (bi & 3));
                    self.bini(if want { BinOp::Ne } else { BinOp::Eq }, bit, 0)
                }
            })
        } else {
            None
        };
        match (ctr_ok, cond_ok) {
            (Some(a), Some(c)) => Some(self.b.and(a, c)),
            (a, c) => a.or(c),
        }
    }

    fn arith(&mut self, i: &Insn, op: ArithOp) {
        let a = self.gpr(i.ra);
        let c = self.gpr(i.rb);
        // (result, carry out if the op sets CA, overflow if i.oe)
        let (r, carry, ov) = match op {
            ArithOp::Add | ArithOp::Addc => {
                let r = self.b.add(a, c);
                let carry = (op == ArithOp::Addc).then(|| self.bin(BinOp::LtU, r, a));
                let ov = i.oe.then(|| self.add_overflow(a, c, r));
                (r, carry, ov)
            }
            ArithOp::Subf | ArithOp::Subfc => {
                let r = self.bin(BinOp::Sub, c, a);
                // ~a + c + 1 carries out exactly when there is no borrow.
                let carry = (op == ArithOp::Subfc).then(|| self.bin(BinOp::LeU, a, c));
                let ov = i.oe.then(|| {
                    let x = self.bin(BinOp::Xor, c, a);
                    let y = self.bin(BinOp::Xor, c, r);
                    let both = self.b.and(x, y);
                    self.sign_bit(both)
                });
                (r, carry, ov)
            }
            ArithOp::Adde
            | ArithOp::Addme
            | ArithOp::Addze
            | ArithOp::Subfe
            | ArithOp::Subfme
            | ArithOp::Subfze => {
                // All six are x + y + CA with x = ra or ~ra and y = rb, -1 or 0.
                let x = match op {
                    ArithOp::Subfe | ArithOp::Subfme | ArithOp::Subfze => self.un(UnOp::Not, a),
                    _ => a,
                };
                let y = match op {
                    ArithOp::Adde | ArithOp::Subfe => c,
                    ArithOp::Addme | ArithOp::Subfme => self.b.konst(u64::MAX),
                    _ => self.b.konst(0),
                };
                let ca = self.b.get(CA);
                let (r, carry) = self.add_with_carry(x, y, ca);
                let ov = i.oe.then(|| self.add_overflow(x, y, r));
                (r, Some(carry), ov)
            }
            ArithOp::Neg => {
                let r = self.un(UnOp::Neg, a);
                let ov = i.oe.then(|| self.bini(BinOp::Eq, a, i64::MIN as u64));
                (r, None, ov)
            }
            ArithOp::Mullw => {
                let x = self.b.sext32(a);
                let y = self.b.sext32(c);
                let r = self.bin(BinOp::Mul, x, y);
                let ov = i.oe.then(|| {
                    let narrow = self.b.sext32(r);
                    self.bin(BinOp::Ne, narrow, r)
                });
                (r, None, ov)
            }
            ArithOp::Mulld => {
                let r = self.bin(BinOp::Mul, a, c);
                let ov = i.oe.then(|| {
                    let hi = self.bin(BinOp::MulHiS, a, c);
                    let sign = self.bini(BinOp::ShrS, r, 63);
                    self.bin(BinOp::Ne, hi, sign)
                });
                (r, None, ov)
            }
            ArithOp::Mulhw | ArithOp::Mulhwu => {
                let (x, y) = if op == ArithOp::Mulhw {
                    (self.b.sext32(a), self.b.sext32(c))
                } else {
                    (self.b.zext32(a), self.b.zext32(c))
                };
                let p = self.bin(BinOp::Mul, x, y);
                (self.bini(BinOp::ShrU, p, 32), None, None)
            }
            ArithOp::Mulhd => (self.bin(BinOp::MulHiS, a, c), None, None),
            ArithOp::Mulhdu => (self.bin(BinOp::MulHiU, a, c), None, None),
            ArithOp::Divw | ArithOp::Divwu | ArithOp::Divd | ArithOp::Divdu => {
                let (r, invalid) = self.divide(op, a, c);
                (r, None, i.oe.then_some(invalid))
            }
        };
        if let Some(ov) = ov {
            self.set_ov(ov);
        }
        if let Some(carry) = carry {
            self.b.set(CA, carry);
        }
        if i.rc {
            self.record(r);
        }
        self.set_gpr(i.rt, r);
    }

    /// A division and whether it was invalid (zero divisor, or the signed
    /// `MIN / -1`). Invalid divisions divide by 1, as QEMU does.
    fn divide(&mut self, op: ArithOp, a: Temp, c: Temp) -> (Temp, Temp) {
        let word = matches!(op, ArithOp::Divw | ArithOp::Divwu);
        let signed = matches!(op, ArithOp::Divw | ArithOp::Divd);
        let (x, y) = match (word, signed) {
            (false, _) => (a, c),
            (true, true) => (self.b.sext32(a), self.b.sext32(c)),
            (true, false) => (self.b.zext32(a), self.b.zext32(c)),
        };
        let by_zero = self.bini(BinOp::Eq, y, 0);
        let invalid = if signed {
            let min = if word { i32::MIN as i64 as u64 } else { i64::MIN as u64 };
            let is_min = self.bini(BinOp::Eq, x, min);
            let is_m1 = self.bini(BinOp::Eq, y, u64::MAX);
            let both = self.b.and(is_min, is_m1);
            self.bin(BinOp::Or, both, by_zero)
        } else {
            by_zero
        };
        let one = self.b.konst(1);
        let divisor = self.b.select(invalid, one, y);
        let q = self.bin(if signed { BinOp::DivS } else { BinOp::DivU }, x, divisor);
        let q = if word { self.b.zext32(q) } else { q };
        (q, invalid)
    }

    fn imm(&mut self, i: &Insn, op: ImmOp) {
        let imm = i.imm as u64;
        match op {
            ImmOp::Addi | ImmOp::Addis => {
                let imm = if op == ImmOp::Addis { imm << 16 } else { imm };
                let r = if i.ra == 0 {
                    // li / lis.
                    self.b.konst(imm)
                } else {
                    let a = self.gpr(i.ra);
                    self.b.addi(a, imm)
                };
                self.set_gpr(i.rt, r);
            }
            ImmOp::Addic => {
                let a = self.gpr(i.ra);
                let r = self.b.addi(a, imm);
                let carry = self.bin(BinOp::LtU, r, a);
                self.b.set(CA, carry);
                if i.rc {
                    self.record(r);
                }
                self.set_gpr(i.rt, r);
            }
            ImmOp::Subfic => {
                let a = self.gpr(i.ra);
                let k = self.b.konst(imm);
                let r = self.bin(BinOp::Sub, k, a);
                let carry = self.bin(BinOp::LeU, a, k);
                self.b.set(CA, carry);
                self.set_gpr(i.rt, r);
            }
            ImmOp::Mulli => {
                let a = self.gpr(i.ra);
                let r = self.bini(BinOp::Mul, a, imm);
                self.set_gpr(i.rt, r);
            }
            ImmOp::Ori | ImmOp::Oris | ImmOp::Xori | ImmOp::Xoris | ImmOp::Andi | ImmOp::Andis => {
                // Logical immediates: rs in the rt field, result in ra.
                let (bop, k) = match op {
                    ImmOp::Ori => (BinOp::Or, imm),
                    ImmOp::Oris => (BinOp::Or, imm << 16),
                    ImmOp::Xori => (BinOp::Xor, imm),
                    ImmOp::Xoris => (BinOp::Xor, imm << 16),
                    ImmOp::Andi => (BinOp::And, imm),
                    _ => (BinOp::And, imm << 16),
                };
                if k == 0 && bop != BinOp::And && i.rt == i.ra {
                    // nop (`ori r0, r0, 0`) and its kin change nothing.
                    return;
                }
                let s = self.gpr(i.rt);
                let r = self.bini(bop, s, k);
                if i.rc {
                    self.record(r);
                }
                self.set_gpr(i.ra, r);
            }
        }
    }

    fn logic(&mut self, i: &Insn, op: LogicOp) {
        let s = self.gpr(i.rt);
        let r = if op == LogicOp::Or && i.rt == i.rb {
            // mr.
            s
        } else {
            let c = self.gpr(i.rb);
            match op {
                LogicOp::And => self.b.and(s, c),
                LogicOp::Or => self.bin(BinOp::Or, s, c),
                LogicOp::Xor => self.bin(BinOp::Xor, s, c),
                LogicOp::Andc => {
                    let nc = self.un(UnOp::Not, c);
                    self.b.and(s, nc)
                }
                LogicOp::Orc => {
                    let nc = self.un(UnOp::Not, c);
                    self.bin(BinOp::Or, s, nc)
                }
                LogicOp::Nand => {
                    let v = self.b.and(s, c);
                    self.un(UnOp::Not, v)
                }
                LogicOp::Nor => {
                    let v = self.bin(BinOp::Or, s, c);
                    self.un(UnOp::Not, v)
                }
                LogicOp::Eqv => {
                    let v = self.bin(BinOp::Xor, s, c);
                    self.un(UnOp::Not, v)
                }
            }
        };
        if i.rc {
            self.record(r);
        }
        self.set_gpr(i.ra, r);
    }

    fn shift(&mut self, i: &Insn, op: ShiftOp) {
        let s = self.gpr(i.rt);
        let c = self.gpr(i.rb);
        let r = match op {
            ShiftOp::Slw => {
                // Amounts 32–63 shift every bit of the low word out of it.
                let n = self.b.andi(c, 63);
                let v = self.bin(BinOp::Shl, s, n);
                self.b.zext32(v)
            }
            ShiftOp::Srw => {
                let n = self.b.andi(c, 63);
                let w = self.b.zext32(s);
                self.bin(BinOp::ShrU, w, n)
            }
            ShiftOp::Sld | ShiftOp::Srd => {
                // Amounts 64–127 shift every bit out.
                let n = self.b.andi(c, 127);
                let in_range = self.bini(BinOp::LtU, n, 64);
                let sop = if op == ShiftOp::Sld { BinOp::Shl } else { BinOp::ShrU };
                let v = self.bin(sop, s, n);
                let zero = self.b.konst(0);
                self.b.select(in_range, v, zero)
            }
            ShiftOp::Sraw => {
                // A sign-extended word shifted by 32–63 is all sign bits,
                // which is what the ISA asks for.
                let n = self.b.andi(c, 63);
                let w = self.b.sext32(s);
                let r = self.bin(BinOp::ShrS, w, n);
                let ca = self.shifted_out_ones(w, r, n, None);
                self.b.set(CA, ca);
                r
            }
            ShiftOp::Srad => {
                // Amounts 64–127 give all sign bits, like a shift by 63,
                // but lose every bit for CA.
                let n = self.b.andi(c, 127);
                let big = self.bini(BinOp::LtU, n, 64);
                let big = self.bini(BinOp::Xor, big, 1);
                let max = self.b.konst(63);
                let n = self.b.select(big, max, n);
                let r = self.bin(BinOp::ShrS, s, n);
                let ca = self.shifted_out_ones(s, r, n, Some(big));
                self.b.set(CA, ca);
                r
            }
        };
        if i.rc {
            self.record(r);
        }
        self.set_gpr(i.ra, r);
    }

    /// CA of an algebraic right shift `r = s >> n`: `s` is negative and
    /// 1-bits were shifted out (shifting back does not restore `s`).
    /// `all_out` marks shifts of 64 or more, which lose every bit.
    fn shifted_out_ones(&mut self, s: Temp, r: Temp, n: Temp, all_out: Option<Temp>) -> Temp {
        let negative = self.sign_bit(s);
        let back = self.bin(BinOp::Shl, r, n);
        let lost = self.bin(BinOp::Ne, back, s);
        let lost = match all_out {
            Some(all) => self.bin(BinOp::Or, lost, all),
            None => lost,
        };
        self.b.and(negative, lost)
    }

    fn shift_imm(&mut self, i: &Insn) {
        let s = self.gpr(i.rt);
        let s = if i.opcode == Opcode::Srawi { self.b.sext32(s) } else { s };
        let r = self.bini(BinOp::ShrS, s, i.sh as u64);
        let negative = self.sign_bit(s);
        let low = self.b.andi(s, (1u64 << i.sh) - 1);
        let lost = self.bini(BinOp::Ne, low, 0);
        let ca = self.b.and(negative, lost);
        self.b.set(CA, ca);
        if i.rc {
            self.record(r);
        }
        self.set_gpr(i.ra, r);
    }

    fn unary(&mut self, i: &Insn, op: UnaryOp) {
        let s = self.gpr(i.rt);
        let r = match op {
            UnaryOp::Cntlzw => {
                let w = self.b.zext32(s);
                let n = self.un(UnOp::Clz, w);
                self.bini(BinOp::Sub, n, 32)
            }
            UnaryOp::Cntlzd => self.un(UnOp::Clz, s),
            UnaryOp::Extsb => self.un(UnOp::Sext8, s),
            UnaryOp::Extsh => self.un(UnOp::Sext16, s),
            UnaryOp::Extsw => self.un(UnOp::Sext32, s),
            UnaryOp::Popcntd => self.un(UnOp::Popcnt, s),
            UnaryOp::Popcntw => {
                let lo = self.b.zext32(s);
                let lo = self.un(UnOp::Popcnt, lo);
                let hi = self.bini(BinOp::ShrU, s, 32);
                let hi = self.un(UnOp::Popcnt, hi);
                let hi = self.bini(BinOp::Shl, hi, 32);
                self.bin(BinOp::Or, hi, lo)
            }
            UnaryOp::Prtyd => {
                let lows = self.b.andi(s, 0x0101_0101_0101_0101);
                let n = self.un(UnOp::Popcnt, lows);
                self.b.andi(n, 1)
            }
            UnaryOp::Prtyw => {
                // Fold each word's byte low bits into its bit 0; bits from
                // the other word only reach positions the mask drops.
                let mut x = self.b.andi(s, 0x0101_0101_0101_0101);
                for sh in [16, 8] {
                    let t = self.bini(BinOp::ShrU, x, sh);
                    x = self.bin(BinOp::Xor, x, t);
                }
                self.b.andi(x, 0x0000_0001_0000_0001)
            }
            UnaryOp::Popcntb => {
                // The classic SWAR count, stopped at byte granularity.
                let half = self.bini(BinOp::ShrU, s, 1);
                let half = self.b.andi(half, 0x5555_5555_5555_5555);
                let pairs = self.bin(BinOp::Sub, s, half);
                let lo = self.b.andi(pairs, 0x3333_3333_3333_3333);
                let hi = self.bini(BinOp::ShrU, pairs, 2);
                let hi = self.b.andi(hi, 0x3333_3333_3333_3333);
                let nibbles = self.b.add(lo, hi);
                let up = self.bini(BinOp::ShrU, nibbles, 4);
                let bytes = self.b.add(nibbles, up);
                self.b.andi(bytes, 0x0f0f_0f0f_0f0f_0f0f)
            }
        };
        if i.rc {
            self.record(r);
        }
        self.set_gpr(i.ra, r);
    }

    /// `cmpb`: each byte of ra is 0xff where the bytes of rs and rb are
    /// equal, 0x00 elsewhere.
    fn cmpb(&mut self, i: &Insn) {
        let s = self.gpr(i.rt);
        let c = self.gpr(i.rb);
        let mut y = self.bin(BinOp::Xor, s, c);
        // Fold each byte's bits into its lowest bit; higher bits of the
        // byte pick up junk from the next byte, which the mask drops.
        for sh in [4, 2, 1] {
            let t = self.bini(BinOp::ShrU, y, sh);
            y = self.bin(BinOp::Or, y, t);
        }
        let differs = self.b.andi(y, 0x0101_0101_0101_0101);
        let equal = self.bini(BinOp::Xor, differs, 0x0101_0101_0101_0101);
        // 0 or 1 per byte times 0xff cannot carry between bytes.
        let r = self.bini(BinOp::Mul, equal, 0xff);
        self.set_gpr(i.ra, r);
    }

    fn rotate(&mut self, i: &Insn, op: RotOp) {
        let s = self.gpr(i.rt);
        let (rotated, mask) = match op {
            RotOp::Rlwinm if i.mb <= i.me => {
                // The common shifts and masks (slwi, srwi, clrlwi, ...): a
                // mask inside the low word may take its bits from one side
                // of the 32-bit rotation only. Bits of the high word then
                // land outside the mask.
                let mask = mask64(i.mb as u32 + 32, i.me as u32 + 32);
                let (low, high) = (31 - i.me as u32, 31 - i.mb as u32);
                let sh = i.sh as u64;
                let v = if sh == 0 {
                    s
                } else if low >= sh as u32 {
                    self.bini(BinOp::Shl, s, sh)
                } else if high < sh as u32 {
                    self.bini(BinOp::ShrU, s, 32 - sh)
                } else {
                    let w = self.b.zext32(s);
                    let hi = self.bini(BinOp::Shl, w, 32);
                    let dup = self.bin(BinOp::Or, hi, w);
                    self.bini(BinOp::RotL, dup, sh)
                };
                (v, mask)
            }
            RotOp::Rlwinm | RotOp::Rlwnm | RotOp::Rlwimi => {
                // ROTL32 rotates the low word doubled into both halves.
                let w = self.b.zext32(s);
                let hi = self.bini(BinOp::Shl, w, 32);
                let dup = self.bin(BinOp::Or, hi, w);
                let n = if op == RotOp::Rlwnm {
                    let c = self.gpr(i.rb);
                    self.b.andi(c, 31)
                } else {
                    self.b.konst(i.sh as u64)
                };
                let rot = self.bin(BinOp::RotL, dup, n);
                (rot, mask64(i.mb as u32 + 32, i.me as u32 + 32))
            }
            RotOp::Rldicl | RotOp::Rldicr | RotOp::Rldic | RotOp::Rldimi => {
                let rot = self.bini(BinOp::RotL, s, i.sh as u64);
                let mask = match op {
                    RotOp::Rldicl => mask64(i.mb as u32, 63),
                    RotOp::Rldicr => mask64(0, i.me as u32),
                    _ => mask64(i.mb as u32, 63 - i.sh as u32),
                };
                (rot, mask)
            }
            RotOp::Rldcl | RotOp::Rldcr => {
                let c = self.gpr(i.rb);
                let n = self.b.andi(c, 63);
                let rot = self.bin(BinOp::RotL, s, n);
                let mask = if op == RotOp::Rldcl {
                    mask64(i.mb as u32, 63)
                } else {
                    mask64(0, i.me as u32)
                };
                (rot, mask)
            }
        };
        let r = if mask == u64::MAX { rotated } else { self.b.andi(rotated, mask) };
        let r = if matches!(op, RotOp::Rlwimi | RotOp::Rldimi) {
            let old = self.gpr(i.ra);
            let keep = self.b.andi(old, !mask);
            self.bin(BinOp::Or, r, keep)
        } else {
            r
        };
        if i.rc {
            self.record(r);
        }
        self.set_gpr(i.ra, r);
    }

    fn cr_logic(&mut self, i: &Insn, op: CrOp) {
        let a = self.cr_bit(i.ra);
        let c = self.cr_bit(i.rb);
        let v = match op {
            CrOp::And => self.b.and(a, c),
            CrOp::Or => self.bin(BinOp::Or, a, c),
            CrOp::Xor => self.bin(BinOp::Xor, a, c),
            CrOp::Nand => {
                let v = self.b.and(a, c);
                self.bini(BinOp::Xor, v, 1)
            }
            CrOp::Nor => {
                let v = self.bin(BinOp::Or, a, c);
                self.bini(BinOp::Xor, v, 1)
            }
            CrOp::Eqv => {
                let v = self.bin(BinOp::Xor, a, c);
                self.bini(BinOp::Xor, v, 1)
            }
            CrOp::Andc => {
                let nc = self.bini(BinOp::Xor, c, 1);
                self.b.and(a, nc)
            }
            CrOp::Orc => {
                let nc = self.bini(BinOp::Xor, c, 1);
                self.bin(BinOp::Or, a, nc)
            }
        };
        let field = i.rt as u32 >> 2;
        let shift = 3 - (i.rt & 3) as u64;
        let old = self.b.get(cr(field));
        let keep = self.b.andi(old, !(1u64 << shift) & 0xf);
        let bit = self.bini(BinOp::Shl, v, shift);
        let new = self.bin(BinOp::Or, keep, bit);
        set_cr_field(self.b, field, new);
    }

    fn read_spr(&mut self, spr: u16) -> Temp {
        match spr {
            decode::SPR_XER => {
                let so = self.b.get(SO);
                let ov = self.b.get(OV);
                let ca = self.b.get(CA);
                let so = self.bini(BinOp::Shl, so, 31);
                let ov = self.bini(BinOp::Shl, ov, 30);
                let ca = self.bini(BinOp::Shl, ca, 29);
                let bc = self.b.get(XER_BC);
                let v = self.bin(BinOp::Or, so, ov);
                let v = self.bin(BinOp::Or, v, ca);
                self.bin(BinOp::Or, v, bc)
            }
            decode::SPR_LR => self.b.get(LR),
            decode::SPR_CTR => self.b.get(CTR),
            decode::SPR_VRSAVE => self.b.get(regs::VRSAVE),
            _ => {
                let tb = self.timebase();
                if spr == decode::SPR_TBU { self.bini(BinOp::ShrU, tb, 32) } else { tb }
            }
        }
    }

    fn write_spr(&mut self, spr: u16, v: Temp) {
        match spr {
            decode::SPR_XER => {
                for (slot, bit) in [(SO, 31), (OV, 30), (CA, 29)] {
                    let f = self.bini(BinOp::ShrU, v, bit);
                    let f = self.b.andi(f, 1);
                    self.b.set(slot, f);
                }
                let bc = self.b.andi(v, 0x7f);
                self.b.set(XER_BC, bc);
            }
            decode::SPR_LR => self.b.set(LR, v),
            decode::SPR_CTR => self.b.set(CTR, v),
            _ => self.b.set(regs::VRSAVE, v),
        }
    }

    /// The time base: a 512 MHz clock, as on POWER, derived from virtual
    /// nanoseconds as `ns * 512 / 1000 = ns * 64 / 125`, computed in two
    /// parts so it never overflows.
    fn timebase(&mut self) -> Temp {
        let ns = self.b.counter(Counter::VirtualNs);
        let q = self.bini(BinOp::DivU, ns, 125);
        let rem = self.bini(BinOp::RemU, ns, 125);
        let whole = self.bini(BinOp::Shl, q, 6);
        let rem = self.bini(BinOp::Shl, rem, 6);
        let part = self.bini(BinOp::DivU, rem, 125);
        self.b.add(whole, part)
    }

    /// `tw`/`td` and their immediate forms: trap (SIGTRAP, the instruction
    /// does not retire) when any condition selected by TO holds.
    fn trap(&mut self, to: u8, a: Temp, c: Temp, double: bool) {
        if to == 0 {
            return;
        }
        let kind = TrapKind::TrapInstruction;
        if to & 0x1f == 0x1f {
            // `trap`: every outcome of a comparison is selected.
            self.b.exit(Exit::Trap { kind, pc: self.pc });
            return;
        }
        let (sa, sc, ua, uc) = if double {
            (a, c, a, c)
        } else {
            (self.b.sext32(a), self.b.sext32(c), self.b.zext32(a), self.b.zext32(c))
        };
        let mut conds = Vec::new();
        for (bit, op, x, y) in [
            (0x10, BinOp::LtS, sa, sc),
            (0x08, BinOp::LtS, sc, sa),
            (0x04, BinOp::Eq, ua, uc),
            (0x02, BinOp::LtU, ua, uc),
            (0x01, BinOp::LtU, uc, ua),
        ] {
            if to & bit != 0 {
                conds.push(self.bin(op, x, y));
            }
        }
        let mut any = conds[0];
        for &t in &conds[1..] {
            any = self.bin(BinOp::Or, any, t);
        }
        self.b.exit_if(any, Exit::Trap { kind, pc: self.pc });
    }

    /// `stcx.`: store iff the reservation is for this address and width and
    /// memory still holds the reserved value (QEMU's rule); CR0 = EQ on
    /// success, plus SO. The reservation is dropped either way.
    fn stcx(&mut self, i: &Insn, size: Size) {
        let w = width(size);
        let ea = self.ea(i, true, false);
        let value = self.gpr(i.rt);
        let so = self.b.get(SO);
        let held = self.b.get(regs::RESERVATION);
        let held_len = self.b.get(regs::RESERVATION_LEN);
        let held_val = self.b.get(regs::RESERVATION_VAL);
        let other_addr = self.bin(BinOp::Ne, held, ea);
        let other_len = self.bini(BinOp::Ne, held_len, size as u64);
        let lost = self.bin(BinOp::Or, other_addr, other_len);
        let fail = self.b.label();
        let done = self.b.label();
        self.b.branch_if(lost, fail);
        let current = self.b.load(ea, w, false, BE);
        let changed = self.bin(BinOp::Ne, current, held_val);
        self.b.branch_if(changed, fail);
        self.b.store(ea, value, w, BE);
        let ok = self.bini(BinOp::Or, so, CR_EQ);
        set_cr_field(self.b, 0, ok);
        let always = self.b.konst(1);
        self.b.branch_if(always, done);
        self.b.place(fail);
        set_cr_field(self.b, 0, so);
        self.b.place(done);
        self.b.set_const(regs::RESERVATION, regs::NO_RESERVATION);
    }
}

/// Write CR field `n` any other way than from a comparison (which
/// `Lifter::set_cr_compare` writes): the block's remembered compare no
/// longer describes the CR.
pub(super) fn set_cr_field(b: &mut BlockBuilder, n: u32, v: Temp) {
    CompareNote::forget(b);
    b.set(cr(n), v);
}

/// The CR field selected by an FXM mask with exactly one bit set.
fn one_field(fxm: i64) -> Option<u32> {
    let m = fxm as u32 & 0xff;
    (m.count_ones() == 1).then(|| m.leading_zeros() - 24)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Block, Op};

    fn lift(word: u32) -> Block {
        let mut b = BlockBuilder::new(0x1000);
        lift_insn(0x1000, &word.to_be_bytes(), &mut b);
        b.finish()
    }

    #[test]
    fn branches_right_after_a_compare_go_as_the_cr_bits() {
        // `cmp`/`cmpl` (words and doublewords, into cr0 and cr7), then `bc`
        // on its LT, GT, EQ and SO bits, true and false, with and without
        // a CTR decrement: compiled as one comparison of the operands
        // (see `branch_on_compare`); the taken branch lands at 0x100c.
        use crate::arch::Arch;
        use crate::engine::EngineKind;
        use crate::testing::Harness;
        let values: [u64; 8] =
            [0, 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0x1_0000_0000, 1 << 63, u64::MAX];
        for kind in [EngineKind::Interp, EngineKind::Jit] {
            for (signed, l, field) in [(true, 0, 0), (false, 0, 7), (true, 1, 7), (false, 1, 0)] {
                let xo = if signed { 0 } else { 32 };
                let cmp: u32 = 31 << 26 | field << 23 | l << 21 | 1 << 16 | 2 << 11 | xo << 1;
                // BO: 12 = bit true, 4 = bit false, 8 = decrement CTR, bit true.
                for (bo, ctr) in [(12u32, 0u64), (4, 0), (8, 5), (8, 1)] {
                    for bit in 0..4u32 {
                        let bc = 16 << 26 | bo << 21 | (field * 4 + bit) << 16 | 8;
                        for &a in &values {
                            for &b in &values {
                                let (x, y) = match (l, signed) {
                                    (1, true) => ((a as i64) as i128, (b as i64) as i128),
                                    (1, false) => (a as i128, b as i128),
                                    (_, true) => ((a as i32) as i128, (b as i32) as i128),
                                    (_, false) => ((a as u32) as i128, (b as u32) as i128),
                                };
                                // SO is clear: XER[SO] starts at 0.
                                let set = [x < y, x > y, x == y, false][bit as usize];
                                let ctr_ok = bo & 4 != 0 || ctr != 1;
                                let taken = ctr_ok && set == (bo & 8 != 0);
                                let mut h = Harness::with_block_limit(Arch::Powerpc64, 0, kind, 2);
                                let code: Vec<u8> =
                                    [cmp, bc].iter().flat_map(|w| w.to_be_bytes()).collect();
                                h.map_code(0x1000, &code);
                                h.set_reg("r1", a);
                                h.set_reg("r2", b);
                                h.set_reg("ctr", ctr);
                                h.step(2);
                                assert_eq!(
                                    h.pc(),
                                    if taken { 0x100c } else { 0x1008 },
                                    "{kind:?} signed={signed} l={l} cr{field} bo={bo} ctr={ctr} \
                                     bit={bit} a={a:#x} b={b:#x}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn illegal_and_truncated() {
        let block = lift(0);
        assert_eq!(
            block.exit,
            Exit::Trap { kind: TrapKind::IllegalInstruction { bytes: 0, len: 4 }, pc: 0x1000 }
        );
        // vaddubm v0, v0, v0: no AltiVec. The bytes are packed in memory
        // order.
        let block = lift(0x1000_0000);
        assert_eq!(
            block.exit,
            Exit::Trap {
                kind: TrapKind::IllegalInstruction { bytes: 0x0000_0010, len: 4 },
                pc: 0x1000
            }
        );
        let mut b = BlockBuilder::new(0x1000);
        lift_insn(0x1000, &[0x38, 0x60], &mut b);
        let block = b.finish();
        assert_eq!(
            block.exit,
            Exit::Trap { kind: TrapKind::FetchFault { addr: 0x1002 }, pc: 0x1000 }
        );
    }

    #[test]
    fn loads_write_registers_after_the_access() {
        // lwzu r3, 4(r4) and lmw r28, 0(r1)
        for word in [0x8464_0004u32, 0xbb81_0000] {
            let block = lift(word);
            let last_load = block.ops.iter().rposition(|op| matches!(op, Op::Load { .. })).unwrap();
            let first_set = block.ops.iter().position(|op| matches!(op, Op::Set { .. })).unwrap();
            assert!(last_load < first_set, "{block}");
        }
    }

    #[test]
    fn nop_emits_nothing_but_its_marker() {
        let block = lift(0x6000_0000);
        assert_eq!(block.ops.len(), 1, "{block}");
    }

    #[test]
    fn blrl_reads_lr_before_linking() {
        let block = lift(0x4e80_0021);
        let get = block.ops.iter().position(|op| matches!(op, Op::Get { .. })).unwrap();
        let set = block.ops.iter().position(|op| matches!(op, Op::Set { .. })).unwrap();
        assert!(get < set, "{block}");
        assert!(matches!(block.exit, Exit::JumpIndirect(_)), "{block}");
    }

    #[test]
    fn conditional_trap_exits_without_retiring() {
        // twi 4, r3, 0 (tweqi r3, 0)
        let block = lift(0x0c83_0000);
        assert!(
            block.ops.iter().any(|op| matches!(
                op,
                Op::ExitIf { exit: Exit::Trap { kind: TrapKind::TrapInstruction, .. }, .. }
            )),
            "{block}"
        );
        // trap (tw 31, 0, 0) is unconditional.
        let block = lift(0x7fe0_0008);
        assert!(matches!(block.exit, Exit::Trap { kind: TrapKind::TrapInstruction, .. }));
    }

    #[test]
    fn one_field_masks() {
        assert_eq!(one_field(0x80), Some(0));
        assert_eq!(one_field(0x01), Some(7));
        assert_eq!(one_field(0x03), None);
        assert_eq!(one_field(0), None);
    }

    #[test]
    fn random_words_never_panic() {
        let mut rng = crate::arch::decode_kit::XorShift(0x9e37_79b9_7f4a_7c15u64);
        for n in 0..200_000u32 {
            let s = rng.next_u64();
            let bytes = (s as u32).to_be_bytes();
            let avail = if n % 16 == 0 { 1 + (n as usize / 16) % 3 } else { 4 };
            let mut b = BlockBuilder::new(0x1000);
            // `finish` validates the block in debug builds.
            lift_insn(0x1000, &bytes[..avail], &mut b);
            b.finish();
        }
    }
}
