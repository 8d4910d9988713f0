//! riscv64 lifter for the F and D extensions and the floating-point CSRs.
//!
//! Called from `lift` for the opcodes `decode` marks as floating point.
//! The riscv64 rules live here and reach the IR as parameters: default
//! (canonical) NaNs, tininess after rounding ([`RULES`]), NaN-boxing of
//! f32 values in the 64-bit registers (an improperly boxed operand reads
//! as the canonical NaN), saturating conversions with NaN giving the
//! largest integer, and `frm` values 5–7 being illegal when an
//! instruction selects the dynamic rounding mode.

use super::decode::{CSR_FCSR, CSR_FFLAGS, CSR_FRM, CsrOp, Fmt, FpOpc, Insn, RM_DYN};
use super::regs;
use crate::ir::float::{
    FpCond, FpFormat, FpInsn, FpOp, FpRules, IntNan, MinMax, NanEncoding, NanPropagation,
    RoundingMode, Tininess,
};
use crate::ir::{BinOp, BlockBuilder, Endian, Exit, Temp, TrapKind, UnOp, Width};

/// riscv64's floating-point conventions.
pub const RULES: FpRules = FpRules {
    nan: NanPropagation::Default,
    encoding: NanEncoding::Ieee2008,
    tininess: Tininess::AfterRounding,
};

/// Upper half of a NaN-boxed f32.
const BOX: u64 = 0xffff_ffff_0000_0000;
/// The canonical f32 NaN, which an improperly boxed operand reads as.
const CANONICAL_F32: u64 = 0x7fc0_0000;

/// `AT_HWCAP` for riscv64: one bit per single-letter extension
/// (`1 << (letter - 'a')`), here I, M, A, F, D and C.
pub const HWCAP: u64 = {
    let mut v = 0u64;
    let letters = *b"imafdc";
    let mut i = 0;
    while i < letters.len() {
        v |= 1 << (letters[i] - b'a');
        i += 1;
    }
    v
};

fn format(fmt: Fmt) -> FpFormat {
    match fmt {
        Fmt::S => FpFormat::F32,
        Fmt::D => FpFormat::F64,
    }
}

/// Lifts one floating-point instruction. `raw` is the instruction word,
/// for the illegal-instruction trap of a reserved dynamic rounding mode.
pub struct FpLifter<'a> {
    pub b: &'a mut BlockBuilder,
    pub pc: u64,
    pub raw: u32,
    pub len: u8,
}

impl FpLifter<'_> {
    fn x(&mut self, r: u8) -> Temp {
        if r == 0 { self.b.konst(0) } else { self.b.get(regs::x(r as u32)) }
    }

    fn set_x(&mut self, r: u8, t: Temp) {
        if r != 0 {
            self.b.set(regs::x(r as u32), t);
        }
    }

    /// `f{r}` as an operand of format `fmt`: unboxed for `.s`.
    fn f(&mut self, r: u8, fmt: Fmt) -> Temp {
        let v = self.b.get(regs::f(r as u32));
        match fmt {
            Fmt::D => v,
            Fmt::S => {
                let hi = self.b.bini(BinOp::ShrU, v, 32);
                let boxed = self.b.bini(BinOp::Eq, hi, 0xffff_ffff);
                let low = self.b.zext32(v);
                let nan = self.b.konst(CANONICAL_F32);
                self.b.select(boxed, low, nan)
            }
        }
    }

    /// Write a result of format `fmt` to `f{r}`, NaN-boxing `.s`.
    fn set_f(&mut self, r: u8, fmt: Fmt, v: Temp) {
        let v = match fmt {
            Fmt::D => v,
            Fmt::S => self.b.bini(BinOp::Or, v, BOX),
        };
        self.b.set(regs::f(r as u32), v);
    }

    /// The rounding mode of field `rm`: static, or `frm` checked at run
    /// time (5–7 trap as illegal instructions).
    fn rounding(&mut self, rm: u8) -> Temp {
        if rm != RM_DYN {
            return self.b.konst(RoundingMode::from_bits(rm as u64) as u64);
        }
        let frm = self.b.get(regs::FRM);
        let reserved = self.b.bini(BinOp::LtU, frm, 5);
        let reserved = self.b.bini(BinOp::Xor, reserved, 1);
        let kind = TrapKind::IllegalInstruction { bytes: self.raw, len: self.len };
        self.b.exit_if(reserved, Exit::Trap { kind, pc: self.pc });
        frm
    }

    /// The rounding temporary of ops that do not round.
    fn no_rounding(&mut self) -> Temp {
        self.b.konst(RoundingMode::NearestEven as u64)
    }

    fn op(&mut self, op: FpOp, fmt: FpFormat, a: Temp, b: Temp, c: Temp, rm: Temp) -> Temp {
        let insn = FpInsn { op, fmt, rules: RULES };
        self.b.fp(insn, a, b, c, rm, regs::FFLAGS)
    }

    fn sign_bit(fmt: Fmt) -> u64 {
        match fmt {
            Fmt::S => 1 << 31,
            Fmt::D => 1 << 63,
        }
    }

    pub fn load(&mut self, i: &Insn, size: u8) {
        let addr = self.addr(i.rs1, i.imm);
        let w = if size == 4 { Width::W32 } else { Width::W64 };
        let v = self.b.load(addr, w, false, Endian::Little);
        self.set_f(i.rd, if size == 4 { Fmt::S } else { Fmt::D }, v);
    }

    pub fn store(&mut self, i: &Insn, size: u8) {
        let addr = self.addr(i.rs1, i.imm);
        // The raw low bits, boxed or not.
        let v = self.b.get(regs::f(i.rs2 as u32));
        let w = if size == 4 { Width::W32 } else { Width::W64 };
        self.b.store(addr, v, w, Endian::Little);
    }

    fn addr(&mut self, rs1: u8, imm: i64) -> Temp {
        let base = self.x(rs1);
        if imm == 0 { base } else { self.b.addi(base, imm as u64) }
    }

    pub fn compute(&mut self, i: &Insn, opc: FpOpc, fmt: Fmt) {
        let ff = format(fmt);
        let sign = Self::sign_bit(fmt);
        match opc {
            FpOpc::Add | FpOpc::Sub | FpOpc::Mul | FpOpc::Div => {
                let rm = self.rounding(i.rm);
                let a = self.f(i.rs1, fmt);
                let b = self.f(i.rs2, fmt);
                let op = match opc {
                    FpOpc::Add => FpOp::Add,
                    FpOpc::Sub => FpOp::Sub,
                    FpOpc::Mul => FpOp::Mul,
                    _ => FpOp::Div,
                };
                let v = self.op(op, ff, a, b, a, rm);
                self.set_f(i.rd, fmt, v);
            }
            FpOpc::Sqrt => {
                let rm = self.rounding(i.rm);
                let a = self.f(i.rs1, fmt);
                let v = self.op(FpOp::Sqrt, ff, a, a, a, rm);
                self.set_f(i.rd, fmt, v);
            }
            FpOpc::MAdd | FpOpc::MSub | FpOpc::NMSub | FpOpc::NMAdd => {
                let rm = self.rounding(i.rm);
                let mut a = self.f(i.rs1, fmt);
                let b = self.f(i.rs2, fmt);
                let mut c = self.f(i.rs3, fmt);
                // Negating an operand is exact, so -(a*b) = (-a)*b.
                if matches!(opc, FpOpc::NMSub | FpOpc::NMAdd) {
                    a = self.b.bini(BinOp::Xor, a, sign);
                }
                if matches!(opc, FpOpc::MSub | FpOpc::NMAdd) {
                    c = self.b.bini(BinOp::Xor, c, sign);
                }
                let v = self.op(FpOp::MulAdd, ff, a, b, c, rm);
                self.set_f(i.rd, fmt, v);
            }
            FpOpc::Sgnj | FpOpc::Sgnjn | FpOpc::Sgnjx => {
                let a = self.f(i.rs1, fmt);
                let b = self.f(i.rs2, fmt);
                let bs = self.b.bini(BinOp::And, b, sign);
                let v = match opc {
                    FpOpc::Sgnj | FpOpc::Sgnjn => {
                        let bs = if opc == FpOpc::Sgnjn {
                            self.b.bini(BinOp::Xor, bs, sign)
                        } else {
                            bs
                        };
                        let mag = self.b.bini(BinOp::And, a, !sign);
                        self.b.bin(BinOp::Or, mag, bs)
                    }
                    _ => self.b.bin(BinOp::Xor, a, bs),
                };
                self.set_f(i.rd, fmt, v);
            }
            FpOpc::Min | FpOpc::Max => {
                let a = self.f(i.rs1, fmt);
                let b = self.f(i.rs2, fmt);
                let rne = self.no_rounding();
                let op = if opc == FpOpc::Min {
                    FpOp::Min(MinMax::Number)
                } else {
                    FpOp::Max(MinMax::Number)
                };
                let v = self.op(op, ff, a, b, a, rne);
                self.set_f(i.rd, fmt, v);
            }
            FpOpc::Eq | FpOpc::Lt | FpOpc::Le => {
                let a = self.f(i.rs1, fmt);
                let b = self.f(i.rs2, fmt);
                let rne = self.no_rounding();
                let op = match opc {
                    FpOpc::Eq => FpOp::Cmp { cond: FpCond::Eq, signaling: false },
                    FpOpc::Lt => FpOp::Cmp { cond: FpCond::Lt, signaling: true },
                    _ => FpOp::Cmp { cond: FpCond::Le, signaling: true },
                };
                let v = self.op(op, ff, a, b, a, rne);
                self.set_x(i.rd, v);
            }
            FpOpc::Class => {
                let a = self.f(i.rs1, fmt);
                let rne = self.no_rounding();
                let idx = self.op(FpOp::Class, ff, a, a, a, rne);
                let one = self.b.konst(1);
                let v = self.b.bin(BinOp::Shl, one, idx);
                self.set_x(i.rd, v);
            }
            FpOpc::MvToX => {
                let v = self.b.get(regs::f(i.rs1 as u32));
                let v = if fmt == Fmt::S { self.b.un(UnOp::Sext32, v) } else { v };
                self.set_x(i.rd, v);
            }
            FpOpc::MvFromX => {
                let v = self.x(i.rs1);
                let v = if fmt == Fmt::S { self.b.zext32(v) } else { v };
                self.set_f(i.rd, fmt, v);
            }
            FpOpc::CvtToInt { wide, signed } => {
                let rm = self.rounding(i.rm);
                let a = self.f(i.rs1, fmt);
                let width = if wide { Width::W64 } else { Width::W32 };
                let op = FpOp::ToInt { width, signed, nan: IntNan::Max };
                let v = self.op(op, ff, a, a, a, rm);
                self.set_x(i.rd, v);
            }
            FpOpc::CvtFromInt { wide, signed } => {
                let rm = self.rounding(i.rm);
                let a = self.x(i.rs1);
                let width = if wide { Width::W64 } else { Width::W32 };
                let v = self.op(FpOp::FromInt { width, signed }, ff, a, a, a, rm);
                self.set_f(i.rd, fmt, v);
            }
            FpOpc::CvtFmt => {
                let rm = self.rounding(i.rm);
                // `fmt` names the result; the source is the other format.
                let (src, to) = match fmt {
                    Fmt::S => (Fmt::D, FpFormat::F32),
                    Fmt::D => (Fmt::S, FpFormat::F64),
                };
                let a = self.f(i.rs1, src);
                let v = self.op(FpOp::Convert { to }, format(src), a, a, a, rm);
                self.set_f(i.rd, fmt, v);
            }
        }
    }

    /// `csrr{w,s,c}[i] rd, csr, src` on fflags, frm or fcsr. The old value
    /// goes to rd; `s`/`c` with a zero source write nothing.
    pub fn csr(&mut self, i: &Insn, op: CsrOp, uimm: bool) {
        let csr = i.imm as u16;
        let frm = self.b.get(regs::FRM);
        let fflags = self.b.get(regs::FFLAGS);
        let old = match csr {
            CSR_FFLAGS => fflags,
            CSR_FRM => frm,
            _ => {
                let hi = self.b.bini(BinOp::Shl, frm, 5);
                self.b.bin(BinOp::Or, hi, fflags)
            }
        };
        let writes = op == CsrOp::Rw || i.rs1 != 0;
        if writes {
            let src = if uimm { self.b.konst(i.rs1 as u64) } else { self.x(i.rs1) };
            let new = match op {
                CsrOp::Rw => src,
                CsrOp::Rs => self.b.bin(BinOp::Or, old, src),
                CsrOp::Rc => {
                    let keep = self.b.un(UnOp::Not, src);
                    self.b.bin(BinOp::And, old, keep)
                }
            };
            match csr {
                CSR_FFLAGS => {
                    let v = self.b.andi(new, 0x1f);
                    self.b.set(regs::FFLAGS, v);
                }
                CSR_FRM => {
                    let v = self.b.andi(new, 7);
                    self.b.set(regs::FRM, v);
                }
                _ => {
                    debug_assert_eq!(csr, CSR_FCSR);
                    let fl = self.b.andi(new, 0x1f);
                    let rm = self.b.bini(BinOp::ShrU, new, 5);
                    let rm = self.b.andi(rm, 7);
                    self.b.set(regs::FFLAGS, fl);
                    self.b.set(regs::FRM, rm);
                }
            }
        }
        self.set_x(i.rd, old);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn hwcap_is_imafdc() {
        assert_eq!(super::HWCAP, 0x112d);
    }
}
