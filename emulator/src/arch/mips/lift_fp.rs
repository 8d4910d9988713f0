//! MIPS32r2 FPU lifter (COP1 and COP1X with `FR=0` or `FR=1`), for
//! either byte order.
//!
//! Called by `lift` for every instruction `decode` marks as FPU
//! ([`Opcode::is_fpu`]). The MIPS rules reach the IR as parameters
//! ([`RULES`]): the legacy NaN encoding of Debian's o32 ABI (quiet bit
//! clear means quiet, default NaN `0x7ff7ffff_ffffffff`), every NaN
//! result being the default NaN (as QEMU models pre-2008 MIPS FPUs),
//! tininess after rounding. What is left here is the
//! `FCSR` bookkeeping: every arithmetic instruction sets `FCSR.Cause` to
//! the exceptions it raised, then either raises SIGFPE (an enabled one:
//! nothing else is written) or ORs them into `FCSR.Flags` and writes its
//! result. Float-to-word conversions give `0x7fffffff` on invalid
//! operands (NaN or out of range, either sign), as legacy MIPS does.
//! `abs`/`neg`/`mov` are bit operations that leave `FCSR` alone.
//!
//! With `FR=0` each of `$f0`–`$f31` holds 32 bits and a double lives in an
//! even/odd pair (low word in the even register); an instruction that
//! names an odd register as a double, or uses the `L` format, is reserved
//! (`lift` traps on what `decode` marks [`Insn::fr1`]). With `FR=1` every
//! register holds 64 bits and takes doubles and `L` values whole; a
//! 32-bit write (`lwc1`, `mtc1`, a single or word result) replaces the
//! low half and keeps the upper one, whose value the manual leaves
//! unpredictable, as QEMU does; `mfhc1`/`mthc1` reach the upper half.
//! The mode is the frontend's (see [`super::Mips`]): a block lifted in one
//! mode never runs in the other.
//!
//! `FCSR.FS` flushes subnormal results to zeros of their sign and raises
//! underflow and inexact with them, as the MIPS32 manual describes (its
//! flushing of subnormal operands is implementation-dependent; the 24Kf
//! QEMU models keeps them, and so does Bohr). QEMU 7.2 flushes the same
//! results but raises no flag for them.

use super::decode::{FpArith, FpFmt, FpToW, FpUnary, Insn, Opcode};
use super::lift::{Flow, Lifter};
use super::regs;
use crate::ir::float::{
    FLUSH_RESULTS, FpCond, FpFormat, FpInsn, FpOp, FpRules, IntNan, NanEncoding, NanPropagation,
    RoundingMode, Tininess,
};
use crate::ir::{BinOp, Temp, TrapKind, Width};

/// The FP conventions of legacy-NaN MIPS (Debian's mips and mipsel).
pub const RULES: FpRules = FpRules {
    nan: NanPropagation::Default,
    encoding: NanEncoding::Legacy,
    tininess: Tininess::AfterRounding,
};

/// `FIR` (FPU control register 0) of a 24Kf core, which QEMU models for
/// MIPS32r2 o32 binaries: F64, L, W, D and S supported, processor id 0x93.
pub const FIR: u64 = 0x0073_9300;
/// The writable bits of `FCSR` on that core (also what `sigreturn`
/// restores).
pub const FCSR_RW: u64 = 0xff83_ffff;
/// `FCSR` fields.
const CAUSE_SHIFT: u64 = 12;
const CAUSE_MASK: u64 = 0x3f << CAUSE_SHIFT;
const FLAGS_SHIFT: u64 = 2;
const ENABLES_SHIFT: u64 = 7;
/// Cause bit E (unimplemented operation): always enabled.
const CAUSE_E: u64 = 0x20;
/// The result of a failed float-to-word conversion.
const WORD_INVALID: u64 = 0x7fff_ffff;
/// The result of a failed float-to-long conversion.
const LONG_INVALID: u64 = 0x7fff_ffff_ffff_ffff;
const MASK32: u64 = 0xffff_ffff;

/// The `FCSR` bit of condition code `cc`.
const fn fcc_bit(cc: u8) -> u64 {
    if cc == 0 { 23 } else { 24 + cc as u64 }
}

fn format(fmt: FpFmt) -> FpFormat {
    match fmt {
        FpFmt::D => FpFormat::F64,
        _ => FpFormat::F32,
    }
}

/// The integer width of a fixed-point format.
const fn int_width(fmt: FpFmt) -> Option<Width> {
    match fmt {
        FpFmt::W => Some(Width::W32),
        FpFmt::L => Some(Width::W64),
        _ => None,
    }
}

const fn sign(fmt: FpFmt) -> u64 {
    match fmt {
        FpFmt::D => 1 << 63,
        _ => 1 << 31,
    }
}

/// Whether values of `fmt` take 64 bits (a pair under `FR=0`).
const fn wide(fmt: FpFmt) -> bool {
    matches!(fmt, FpFmt::D | FpFmt::L)
}

impl Lifter<'_> {
    /// `$f{n}` as a value of `fmt`: a register's 32 bits, the even/odd
    /// pair (`FR=0`), or the whole 64-bit register (`FR=1`).
    fn fpr(&mut self, n: u8, fmt: FpFmt) -> Temp {
        let lo = self.b.get(regs::f(n as u32));
        if self.fr1 {
            return if wide(fmt) { lo } else { self.b.zext32(lo) };
        }
        if !wide(fmt) {
            return lo;
        }
        let hi = self.b.get(regs::f(n as u32 + 1));
        let hi = self.b.bini(BinOp::Shl, hi, 32);
        self.b.bin(BinOp::Or, hi, lo)
    }

    fn set_fpr(&mut self, n: u8, fmt: FpFmt, v: Temp) {
        let slot = regs::f(n as u32);
        if self.fr1 && wide(fmt) {
            self.b.set(slot, v);
            return;
        }
        let lo = self.b.zext32(v);
        if self.fr1 {
            let old = self.b.get(slot);
            let hi = self.b.andi(old, !MASK32);
            let v = self.b.bin(BinOp::Or, hi, lo);
            self.b.set(slot, v);
            return;
        }
        self.b.set(slot, lo);
        if wide(fmt) {
            let hi = self.b.bini(BinOp::ShrU, v, 32);
            self.b.set(regs::f(n as u32 + 1), hi);
        }
    }

    /// The upper 32 bits of the double in `$f{n}` (`mfhc1`): the odd
    /// register of the pair, or the register's upper half.
    fn fpr_high(&mut self, n: u8) -> Temp {
        if self.fr1 {
            let v = self.b.get(regs::f(n as u32));
            self.b.bini(BinOp::ShrU, v, 32)
        } else {
            self.b.get(regs::f(n as u32 + 1))
        }
    }

    /// Set the upper 32 bits of the double in `$f{n}` to the word `v`
    /// (`mthc1`).
    fn set_fpr_high(&mut self, n: u8, v: Temp) {
        if self.fr1 {
            let slot = regs::f(n as u32);
            let old = self.b.get(slot);
            let lo = self.b.zext32(old);
            let hi = self.b.bini(BinOp::Shl, v, 32);
            let v = self.b.bin(BinOp::Or, hi, lo);
            self.b.set(slot, v);
        } else {
            self.b.set(regs::f(n as u32 + 1), v);
        }
    }

    /// `FCSR`'s rounding mode as the IR numbers it: MIPS orders them
    /// nearest, zero, up, down; the IR nearest, zero, down, up.
    fn fcsr_rounding(&mut self) -> Temp {
        let fcsr = self.b.get(regs::FCSR);
        let rm = self.b.andi(fcsr, 3);
        let half = self.b.bini(BinOp::ShrU, rm, 1);
        let rm = self.b.bin(BinOp::Xor, rm, half);
        // FS (bit 24) as the op's FLUSH_RESULTS bit.
        let fs = self.b.bini(BinOp::ShrU, fcsr, 24 - FLUSH_RESULTS.trailing_zeros() as u64);
        let fs = self.b.andi(fs, FLUSH_RESULTS);
        self.b.bin(BinOp::Or, rm, fs)
    }

    /// Start an instruction that reports exceptions: clear the scratch
    /// flags its ops accumulate into.
    fn begin_exc(&mut self) {
        self.b.set_const(regs::FP_EXC, 0);
    }

    fn op(&mut self, op: FpOp, fmt: FpFormat, a: Temp, b: Temp, c: Temp, rm: Temp) -> Temp {
        self.b.fp(FpInsn { op, fmt, rules: RULES }, a, b, c, rm, regs::FP_EXC)
    }

    /// End an instruction that reports exceptions: `Cause` gets them;
    /// enabled ones raise SIGFPE before anything else is written, the
    /// rest go into `Flags`.
    fn end_exc(&mut self) {
        let exc = self.b.get(regs::FP_EXC);
        let fcsr = self.b.get(regs::FCSR);
        let kept = self.b.andi(fcsr, !CAUSE_MASK);
        let cause = self.b.bini(BinOp::Shl, exc, CAUSE_SHIFT);
        let with_cause = self.b.bin(BinOp::Or, kept, cause);
        self.b.set(regs::FCSR, with_cause);
        let enables = self.b.bini(BinOp::ShrU, fcsr, ENABLES_SHIFT);
        let trapping = self.b.bin(BinOp::And, enables, exc);
        let trapping = self.b.andi(trapping, 0x1f);
        let trap = self.trap_exit(TrapKind::FpException);
        self.b.exit_if(trapping, trap);
        let flags = self.b.bini(BinOp::Shl, exc, FLAGS_SHIFT);
        let with_flags = self.b.bin(BinOp::Or, with_cause, flags);
        self.b.set(regs::FCSR, with_flags);
    }

    /// FCC `cc` as 0 or 1.
    fn fcc(&mut self, cc: u8) -> Temp {
        let fcsr = self.b.get(regs::FCSR);
        let v = self.b.bini(BinOp::ShrU, fcsr, fcc_bit(cc));
        self.b.andi(v, 1)
    }

    /// Whether FCC `cc` equals `tf`.
    fn fcc_is(&mut self, cc: u8, tf: bool) -> Temp {
        let v = self.fcc(cc);
        if tf { v } else { self.b.bini(BinOp::Xor, v, 1) }
    }

    pub(super) fn lift_fp(&mut self, i: &Insn) -> Flow {
        match i.opcode {
            Opcode::FpLoad { size } => {
                let addr = self.addr(i.rs, i.imm);
                self.load_fpr(addr, size, i.rt);
            }
            Opcode::FpStore { size } => {
                let addr = self.addr(i.rs, i.imm);
                self.store_fpr(addr, size, i.rt);
            }
            Opcode::FpLoadX { size } => {
                let addr = self.indexed(i.rs, i.rt);
                self.load_fpr(addr, size, i.sa);
            }
            Opcode::FpStoreX { size } => {
                let addr = self.indexed(i.rs, i.rt);
                self.store_fpr(addr, size, i.rd);
            }
            Opcode::Mfc1 => {
                let v = self.fpr(i.rd, FpFmt::W);
                self.set_r(i.rt, v);
            }
            Opcode::Mfhc1 => {
                let v = self.fpr_high(i.rd);
                self.set_r(i.rt, v);
            }
            Opcode::Mtc1 => {
                let v = self.r(i.rt);
                self.set_fpr(i.rd, FpFmt::W, v);
            }
            Opcode::Mthc1 => {
                let v = self.r(i.rt);
                self.set_fpr_high(i.rd, v);
            }
            Opcode::Cfc1 => {
                let v = self.cfc1(i.rd);
                self.set_r(i.rt, v);
            }
            Opcode::Ctc1 => self.ctc1(i.rt, i.rd),
            Opcode::Movci { tf } => {
                if i.rd != 0 {
                    let take = self.fcc_is(i.imm as u8, tf);
                    let src = self.r(i.rs);
                    let old = self.r(i.rd);
                    let v = self.b.select(take, src, old);
                    self.set_r(i.rd, v);
                }
            }
            Opcode::Bc1 { tf, likely } => {
                let target = self.next.wrapping_add(i.imm as u64) & MASK32;
                let taken = self.fcc_is(i.sa, tf);
                return self.branch_to(Some(taken), likely, target);
            }
            Opcode::FpArith { op, fmt } => {
                let a = self.fpr(i.rd, fmt);
                let c = self.fpr(i.rt, fmt);
                let rm = self.fcsr_rounding();
                let op = match op {
                    FpArith::Add => FpOp::Add,
                    FpArith::Sub => FpOp::Sub,
                    FpArith::Mul => FpOp::Mul,
                    FpArith::Div => FpOp::Div,
                };
                self.begin_exc();
                let v = self.op(op, format(fmt), a, c, c, rm);
                self.end_exc();
                self.set_fpr(i.sa, fmt, v);
            }
            Opcode::FpUnary { op, fmt } => {
                let a = self.fpr(i.rd, fmt);
                let v = match op {
                    FpUnary::Mov => a,
                    FpUnary::Abs => self.b.andi(a, !sign(fmt)),
                    FpUnary::Neg => self.b.bini(BinOp::Xor, a, sign(fmt)),
                    FpUnary::Sqrt | FpUnary::Recip | FpUnary::Rsqrt => {
                        let f = format(fmt);
                        let rm = self.fcsr_rounding();
                        self.begin_exc();
                        let mut v = a;
                        if op != FpUnary::Recip {
                            v = self.op(FpOp::Sqrt, f, v, v, v, rm);
                        }
                        if op != FpUnary::Sqrt {
                            let one = match fmt {
                                FpFmt::D => 1f64.to_bits(),
                                _ => 1f32.to_bits() as u64,
                            };
                            let one = self.b.konst(one);
                            v = self.op(FpOp::Div, f, one, v, v, rm);
                        }
                        self.end_exc();
                        v
                    }
                };
                self.set_fpr(i.sa, fmt, v);
            }
            Opcode::FpCvt { to, fmt } => {
                let a = self.fpr(i.rd, fmt);
                let rm = self.fcsr_rounding();
                self.begin_exc();
                let v = if let Some(width) = int_width(fmt) {
                    let op = FpOp::FromInt { width, signed: true };
                    self.op(op, format(to), a, a, a, rm)
                } else {
                    self.op(FpOp::Convert { to: format(to) }, format(fmt), a, a, a, rm)
                };
                self.end_exc();
                self.set_fpr(i.sa, to, v);
            }
            Opcode::FpToW { how, fmt } | Opcode::FpToL { how, fmt } => {
                let to = if matches!(i.opcode, Opcode::FpToL { .. }) { FpFmt::L } else { FpFmt::W };
                let width = int_width(to).expect("an integer format");
                let a = self.fpr(i.rd, fmt);
                let rm = match how {
                    FpToW::Round => self.b.konst(RoundingMode::NearestEven as u64),
                    FpToW::Trunc => self.b.konst(RoundingMode::TowardZero as u64),
                    FpToW::Ceil => self.b.konst(RoundingMode::Up as u64),
                    FpToW::Floor => self.b.konst(RoundingMode::Down as u64),
                    FpToW::Cvt => self.fcsr_rounding(),
                };
                self.begin_exc();
                let op = FpOp::ToInt { width, signed: true, nan: IntNan::Max };
                let v = self.op(op, format(fmt), a, a, a, rm);
                let exc = self.b.get(regs::FP_EXC);
                let invalid = self.b.andi(exc, crate::ir::float::flags::INVALID);
                let bad = self.b.konst(if to == FpFmt::L { LONG_INVALID } else { WORD_INVALID });
                let v = self.b.select(invalid, bad, v);
                self.end_exc();
                self.set_fpr(i.sa, to, v);
            }
            Opcode::FpCmp { cond, fmt } => {
                let a = self.fpr(i.rd, fmt);
                let c = self.fpr(i.rt, fmt);
                let f = format(fmt);
                let signaling = cond & 8 != 0;
                let rm = self.b.konst(RoundingMode::NearestEven as u64);
                self.begin_exc();
                // Always compare for equality: it raises the flags.
                let eq = self.op(FpOp::Cmp { cond: FpCond::Eq, signaling }, f, a, c, c, rm);
                let mut r = if cond & 2 != 0 { eq } else { self.b.konst(0) };
                if cond & 4 != 0 {
                    let lt = self.op(FpOp::Cmp { cond: FpCond::Lt, signaling }, f, a, c, c, rm);
                    r = self.b.bin(BinOp::Or, r, lt);
                }
                if cond & 1 != 0 {
                    let op = FpOp::Cmp { cond: FpCond::Unordered, signaling: false };
                    let un = self.op(op, f, a, c, c, rm);
                    r = self.b.bin(BinOp::Or, r, un);
                }
                self.end_exc();
                let bit = fcc_bit(i.imm as u8);
                let fcsr = self.b.get(regs::FCSR);
                let kept = self.b.andi(fcsr, !(1 << bit));
                let r = self.b.bini(BinOp::Shl, r, bit);
                let v = self.b.bin(BinOp::Or, kept, r);
                self.b.set(regs::FCSR, v);
            }
            Opcode::FpMovc { tf, fmt } => {
                let take = self.fcc_is(i.imm as u8, tf);
                self.move_if(take, i, fmt);
            }
            Opcode::FpMovzn { nonzero, fmt } => {
                let c = self.r(i.rt);
                let take = if nonzero { c } else { self.b.bini(BinOp::Eq, c, 0) };
                self.move_if(take, i, fmt);
            }
            Opcode::FpMadd { sub, neg, fmt } => {
                let f = format(fmt);
                let fr = self.fpr(i.rs, fmt);
                let fs = self.fpr(i.rd, fmt);
                let ft = self.fpr(i.rt, fmt);
                let rm = self.fcsr_rounding();
                self.begin_exc();
                let p = self.op(FpOp::Mul, f, fs, ft, ft, rm);
                let op = if sub { FpOp::Sub } else { FpOp::Add };
                let mut v = self.op(op, f, p, fr, fr, rm);
                if neg {
                    // The negation of a NaN result keeps it a NaN of the
                    // other sign, as the hardware's final negate does.
                    v = self.b.bini(BinOp::Xor, v, sign(fmt));
                }
                self.end_exc();
                self.set_fpr(i.sa, fmt, v);
            }
            _ => unreachable!("not an FPU instruction: {:?}", i.opcode),
        }
        Flow::Next
    }

    /// `fd(sa) = fs(rd)` if `take`.
    fn move_if(&mut self, take: Temp, i: &Insn, fmt: FpFmt) {
        let src = self.fpr(i.rd, fmt);
        let old = self.fpr(i.sa, fmt);
        let v = self.b.select(take, src, old);
        self.set_fpr(i.sa, fmt, v);
    }

    /// `base + index` modulo 2^32.
    fn indexed(&mut self, base: u8, index: u8) -> Temp {
        let a = self.r(base);
        let x = self.r(index);
        let s = self.b.bin(BinOp::Add, a, x);
        self.b.zext32(s)
    }

    fn load_fpr(&mut self, addr: Temp, size: u8, n: u8) {
        if size == 4 {
            let v = self.b.load(addr, Width::W32, false, self.endian);
            self.set_fpr(n, FpFmt::W, v);
        } else {
            let v = self.b.load(addr, Width::W64, false, self.endian);
            self.set_fpr(n, FpFmt::D, v);
        }
    }

    fn store_fpr(&mut self, addr: Temp, size: u8, n: u8) {
        if size == 4 {
            let v = self.fpr(n, FpFmt::W);
            self.b.store(addr, v, Width::W32, self.endian);
        } else {
            let v = self.fpr(n, FpFmt::D);
            self.b.store(addr, v, Width::W64, self.endian);
        }
    }

    /// `cfc1` of FPU control register `fcr`: FIR, the FCCR/FEXR/FENR
    /// views of `FCSR`, or `FCSR` itself.
    fn cfc1(&mut self, fcr: u8) -> Temp {
        if fcr == 0 {
            return self.b.konst(FIR);
        }
        let fcsr = self.b.get(regs::FCSR);
        match fcr {
            // FCCR: FCC7..0.
            25 => {
                let hi = self.b.bini(BinOp::ShrU, fcsr, 24);
                let hi = self.b.andi(hi, 0xfe);
                let lo = self.b.bini(BinOp::ShrU, fcsr, 23);
                let lo = self.b.andi(lo, 1);
                self.b.bin(BinOp::Or, hi, lo)
            }
            // FEXR: cause and flags.
            26 => self.b.andi(fcsr, 0x0003_f07c),
            // FENR: enables, FS (as bit 2) and the rounding mode.
            28 => {
                let en = self.b.andi(fcsr, 0xf83);
                let fs = self.b.bini(BinOp::ShrU, fcsr, 22);
                let fs = self.b.andi(fs, 4);
                self.b.bin(BinOp::Or, en, fs)
            }
            _ => fcsr,
        }
    }

    /// `ctc1` to FCCR, FEXR, FENR or `FCSR`. A view write with bits set
    /// outside its fields is ignored, as on QEMU's 24Kf. Afterwards an
    /// enabled cause (or cause E) raises SIGFPE.
    fn ctc1(&mut self, rt: u8, fcr: u8) {
        let v = self.r(rt);
        let fcsr = self.b.get(regs::FCSR);
        let (outside, new) = match fcr {
            25 => {
                let hi = self.b.andi(v, 0xfe);
                let hi = self.b.bini(BinOp::Shl, hi, 24);
                let lo = self.b.andi(v, 1);
                let lo = self.b.bini(BinOp::Shl, lo, 23);
                let kept = self.b.andi(fcsr, 0x017f_ffff);
                let n = self.b.bin(BinOp::Or, kept, hi);
                (Some(0xffff_ff00), self.b.bin(BinOp::Or, n, lo))
            }
            26 => {
                let kept = self.b.andi(fcsr, 0xfffc_0f83);
                let ins = self.b.andi(v, 0x0003_f07c);
                (Some(0xfffc_0f83), self.b.bin(BinOp::Or, kept, ins))
            }
            28 => {
                let kept = self.b.andi(fcsr, 0xfeff_f07c);
                let en = self.b.andi(v, 0xf83);
                let fs = self.b.andi(v, 4);
                let fs = self.b.bini(BinOp::Shl, fs, 22);
                let n = self.b.bin(BinOp::Or, kept, en);
                (Some(0xffff_f07c), self.b.bin(BinOp::Or, n, fs))
            }
            _ => {
                let kept = self.b.andi(fcsr, !FCSR_RW & MASK32);
                let ins = self.b.andi(v, FCSR_RW);
                (None, self.b.bin(BinOp::Or, kept, ins))
            }
        };
        let new = match outside {
            Some(mask) => {
                let bad = self.b.andi(v, mask);
                self.b.select(bad, fcsr, new)
            }
            None => new,
        };
        self.b.set(regs::FCSR, new);
        let cause = self.b.bini(BinOp::ShrU, new, CAUSE_SHIFT);
        let enables = self.b.bini(BinOp::ShrU, new, ENABLES_SHIFT);
        let enables = self.b.andi(enables, 0x1f);
        let enables = self.b.bini(BinOp::Or, enables, CAUSE_E);
        let fire = self.b.bin(BinOp::And, cause, enables);
        let fire = self.b.andi(fire, 0x3f);
        let trap = self.trap_exit(TrapKind::FpException);
        self.b.exit_if(fire, trap);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn condition_code_bits() {
        assert_eq!(fcc_bit(0), 23);
        assert_eq!(fcc_bit(1), 25);
        assert_eq!(fcc_bit(7), 31);
    }
}
