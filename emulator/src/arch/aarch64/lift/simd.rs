//! aarch64 SIMD&FP lifting: loads and stores of `b`/`h`/`s`/`d`/`q`
//! registers, Advanced SIMD and scalar floating point.
//!
//! A `v` register is two slots (`regs::v`); vector work goes through
//! `ir::vector` ops on 64-bit chunks and floating point through
//! `ir::float` ops with aarch64's rules (signaling NaNs first, tininess
//! before rounding). `FPCR.RMode` is read at run time for dynamic
//! rounding and `FPCR.DN` replaces NaN results by the default NaN;
//! cumulative flags accumulate in `regs::FP_FLAGS`. Each handler checks
//! the word's fields before it emits any op, and returns `false` for an
//! unallocated combination, which the caller turns into an illegal
//! instruction trap.

use super::Lifter;
use crate::arch::aarch64::decode::{Insn, SimdGroup};
use crate::arch::aarch64::regs;
use crate::ir::float::{
    DEFAULT_NAN, FLUSH_TO_ZERO, FpCond, IntNan, MinMax, NanEncoding, NanPropagation, Tininess,
    flags,
};
use crate::ir::vector::{SatMul, SatShift, Saturate};
use crate::ir::{
    BinOp, FpFormat, FpInsn, FpOp, FpRules, RoundingMode, Temp, UnOp, VecInsn, VecOp, Width,
};

/// aarch64's floating-point conventions (with `FPCR.DN` clear; the lifter
/// applies `DN` to results).
const RULES: FpRules = FpRules {
    nan: NanPropagation::SignalingFirst,
    encoding: NanEncoding::Ieee2008,
    tininess: Tininess::BeforeRounding,
};

/// Bits `hi..=lo` of `w`.
const fn bits(w: u32, hi: u32, lo: u32) -> u32 {
    (w >> lo) & ((1 << (hi - lo + 1)) - 1)
}

const fn sext(v: u32, n: u32) -> i64 {
    ((v as i64) << (64 - n)) >> (64 - n)
}

/// All ones in the low `n` bits.
const fn ones(n: u32) -> u64 {
    if n >= 64 { u64::MAX } else { (1u64 << n) - 1 }
}

/// The fields most Advanced SIMD encodings share: `Q` (bit 30), `U`
/// (bit 29), `size` (bits 23:22) and the register numbers.
struct Fields {
    q: bool,
    u: bool,
    size: u8,
    rd: u32,
    rn: u32,
    rm: u32,
}

impl Fields {
    fn of(i: &Insn) -> Fields {
        let w = i.word;
        Fields {
            q: bits(w, 30, 30) == 1,
            u: bits(w, 29, 29) == 1,
            size: bits(w, 23, 22) as u8,
            rd: i.rd as u32,
            rn: i.rn as u32,
            rm: i.rm as u32,
        }
    }
}

/// `x` repeated in every lane of `8 << esize` bits of a 64-bit chunk.
const fn replicate(x: u64, esize: u8) -> u64 {
    let bits = 8u32 << esize;
    if bits >= 64 {
        return x;
    }
    let x = x & ones(bits);
    let mut r = 0;
    let mut i = 0;
    while i < 64 {
        r |= x << i;
        i += bits;
    }
    r
}

/// `VFPExpandImm` of an 8-bit immediate for a format of `n` bits (32/64).
fn vfp_expand_imm(imm8: u32, n: u32) -> u64 {
    let e = if n == 32 { 8 } else { 11 };
    let f = n - e - 1;
    let sign = (imm8 >> 7) as u64;
    let b6 = ((imm8 >> 6) & 1) as u64;
    let exp = ((b6 ^ 1) << (e - 1))
        | (if b6 == 1 { ones(e - 3) << 2 } else { 0 })
        | ((imm8 >> 4) & 3) as u64;
    let frac = ((imm8 & 0xf) as u64) << (f - 4);
    (sign << (n - 1)) | (exp << f) | frac
}

/// `AdvSIMDExpandImm`; `None` for the unallocated combination.
fn simd_expand_imm(op: u32, cmode: u32, imm8: u32) -> Option<u64> {
    let imm = imm8 as u64;
    Some(match cmode >> 1 {
        0..=3 => replicate(imm << (8 * (cmode >> 1)), 2),
        4 | 5 => replicate(imm << (8 * ((cmode >> 1) & 1)), 1),
        6 => {
            let v = if cmode & 1 == 0 { (imm << 8) | 0xff } else { (imm << 16) | 0xffff };
            replicate(v, 2)
        }
        _ => match (cmode & 1, op) {
            (0, 0) => replicate(imm, 0),
            (0, _) => {
                (0..8).fold(0, |acc, i| acc | if imm >> i & 1 == 1 { 0xff << (8 * i) } else { 0 })
            }
            (_, 0) => replicate(vfp_expand_imm(imm8, 32), 2),
            _ => vfp_expand_imm(imm8, 64),
        },
    })
}

/// Which operation a `three same` integer opcode means.
#[derive(Clone, Copy)]
enum IntOp {
    Lane(VecOp),
    /// Saturating: the op, and its wrapping form for the QC flag.
    Sat(VecOp, VecOp),
    /// Accumulating: lane op, then add (or sub) into the destination.
    Acc(VecOp, bool),
    /// A shift by register (rounding and saturating or not).
    Shift(SatShift),
    /// `sqdmulh`, `sqrdmulh` (rounding).
    Qdmulh(bool),
}

impl Lifter<'_> {
    // ---- vector registers ------------------------------------------------

    fn vlo(&mut self, n: u32) -> Temp {
        self.b.get(regs::v(n & 31, 0))
    }

    fn vhi(&mut self, n: u32) -> Temp {
        self.b.get(regs::v(n & 31, 1))
    }

    fn set_v(&mut self, n: u32, lo: Temp, hi: Temp) {
        self.b.set(regs::v(n & 31, 0), lo);
        self.b.set(regs::v(n & 31, 1), hi);
    }

    /// Write a 64-bit result (the upper half cleared).
    fn set_v64(&mut self, n: u32, lo: Temp) {
        let z = self.k(0);
        self.set_v(n, lo, z);
    }

    /// Write a vector result of `q` (128-bit) or 64-bit width.
    /// A narrowing instruction's 64-bit result: the low half of `v{n}`
    /// (the high one cleared) or, for the "2" forms (`upper`), its high
    /// half (the low one kept).
    fn set_narrowed(&mut self, n: u32, r: Temp, upper: bool) {
        if upper {
            let lo = self.vlo(n);
            self.set_v(n, lo, r);
        } else {
            self.set_v64(n, r);
        }
    }

    fn set_vq(&mut self, n: u32, lo: Temp, hi: Temp, q: bool) {
        if q { self.set_v(n, lo, hi) } else { self.set_v64(n, lo) }
    }

    fn vop(&mut self, op: VecOp, esize: u8, a: Temp, b: Temp) -> Temp {
        self.b.vec(VecInsn { op, esize }, a, b, b)
    }

    /// Element `idx` of `8 << esize` bits of `v{n}`, zero-extended.
    fn elem(&mut self, n: u32, esize: u8, idx: u32) -> Temp {
        let bits = 8u32 << esize;
        let pos = idx * bits;
        let half = if pos >= 64 { self.vhi(n) } else { self.vlo(n) };
        let s = self.bini(BinOp::ShrU, half, (pos % 64) as u64);
        if bits == 64 { s } else { self.bini(BinOp::And, s, ones(bits)) }
    }

    /// `v{n}` with element `idx` replaced by `val` (zero-extended).
    fn insert_elem(&mut self, lo: Temp, hi: Temp, esize: u8, idx: u32, val: Temp) -> (Temp, Temp) {
        let bits = 8u32 << esize;
        let pos = idx * bits;
        let chunk = if pos >= 64 { hi } else { lo };
        let sh = (pos % 64) as u64;
        let mask = ones(bits) << sh;
        let kept = self.bini(BinOp::And, chunk, !mask);
        let v = if bits == 64 { val } else { self.bini(BinOp::And, val, ones(bits)) };
        let v = self.bini(BinOp::Shl, v, sh);
        let r = self.bin(BinOp::Or, kept, v);
        if pos >= 64 { (lo, r) } else { (r, hi) }
    }

    // ---- floating-point plumbing -----------------------------------------

    /// The IR rounding mode number of `FPCR.RMode` (RN, RP, RM, RZ).
    fn fpcr_rounding(&mut self) -> Temp {
        let fpcr = self.b.get(regs::FPCR);
        let rmode = self.bini(BinOp::ShrU, fpcr, 22);
        let neg = self.un(UnOp::Neg, rmode);
        // RN 0 → 0, RP 1 → 3 (up), RM 2 → 2 (down), RZ 3 → 1: (-r) & 3.
        self.bini(BinOp::And, neg, 3)
    }

    /// An op's rounding temporary: FPCR's rounding mode (or `rm`), with
    /// [`FLUSH_TO_ZERO`] when `FPCR.FZ` is set and [`DEFAULT_NAN`] when
    /// `FPCR.DN` is.
    fn fp_mode(&mut self, rm: Option<RoundingMode>) -> Temp {
        let mode = match rm {
            Some(m) => self.k(m as u64),
            None => self.fpcr_rounding(),
        };
        let fpcr = self.b.get(regs::FPCR);
        // FZ (bit 24) and DN (bit 25) are adjacent, as are the two bits.
        const { assert!(regs::FPCR_DN == regs::FPCR_FZ << 1 && DEFAULT_NAN == FLUSH_TO_ZERO << 1) };
        let to_bit = regs::FPCR_FZ.trailing_zeros() - FLUSH_TO_ZERO.trailing_zeros();
        let bits = self.bini(BinOp::ShrU, fpcr, to_bit as u64);
        let bits = self.bini(BinOp::And, bits, FLUSH_TO_ZERO | DEFAULT_NAN);
        self.bin(BinOp::Or, mode, bits)
    }

    /// A floating-point op under FPCR's rounding (or `rm`), `FZ` and `DN`.
    fn fp(
        &mut self,
        op: FpOp,
        fmt: FpFormat,
        a: Temp,
        b: Temp,
        c: Temp,
        rm: Option<RoundingMode>,
    ) -> Temp {
        let rm = self.fp_mode(rm);
        let insn = FpInsn { op, fmt, rules: RULES };
        self.b.fp(insn, a, b, c, rm, regs::FP_FLAGS)
    }

    /// Scalar register `n` of format `f` (the low bits of `v{n}`).
    fn fpreg(&mut self, n: u32, f: FpFormat) -> Temp {
        let lo = self.vlo(n);
        match f {
            FpFormat::F32 => self.b.zext32(lo),
            FpFormat::F64 => lo,
        }
    }

    fn set_fpreg(&mut self, n: u32, v: Temp) {
        self.set_v64(n, v);
    }

    fn sign_bit(f: FpFormat) -> u64 {
        match f {
            FpFormat::F32 => 1 << 31,
            FpFormat::F64 => 1 << 63,
        }
    }

    /// Apply a per-lane FP op over the lanes of 64-bit chunks.
    fn fp_lanes(
        &mut self,
        f: FpFormat,
        chunks: &[(Temp, Temp, Temp)],
        mut per_lane: impl FnMut(&mut Self, Temp, Temp, Temp) -> Temp,
    ) -> Vec<Temp> {
        let mut out = Vec::new();
        for &(a, b, c) in chunks {
            match f {
                FpFormat::F64 => out.push(per_lane(self, a, b, c)),
                FpFormat::F32 => {
                    let lane = |l: &mut Self, t: Temp, hi: bool| {
                        if hi { l.bini(BinOp::ShrU, t, 32) } else { l.b.zext32(t) }
                    };
                    let (a0, b0, c0) =
                        (lane(self, a, false), lane(self, b, false), lane(self, c, false));
                    let r0 = per_lane(self, a0, b0, c0);
                    let (a1, b1, c1) =
                        (lane(self, a, true), lane(self, b, true), lane(self, c, true));
                    let r1 = per_lane(self, a1, b1, c1);
                    let r0 = self.b.zext32(r0);
                    let r1 = self.bini(BinOp::Shl, r1, 32);
                    out.push(self.bin(BinOp::Or, r0, r1));
                }
            }
        }
        out
    }

    /// Write NZCV from an FP comparison of `a` and `b`.
    fn fp_compare_flags(&mut self, f: FpFormat, a: Temp, b: Temp, signaling: bool) {
        let cmp = |l: &mut Self, cond| {
            let insn = FpInsn { op: FpOp::Cmp { cond, signaling }, fmt: f, rules: RULES };
            let rm = l.fp_mode(Some(RoundingMode::NearestEven));
            l.b.fp(insn, a, b, b, rm, regs::FP_FLAGS)
        };
        let un = cmp(self, FpCond::Unordered);
        let eq = cmp(self, FpCond::Eq);
        let lt = cmp(self, FpCond::Lt);
        // N = lt, Z = eq, C = !lt (gt, eq or unordered), V = unordered.
        let n = self.bini(BinOp::Shl, lt, 63);
        let z = self.bini(BinOp::Xor, eq, 1);
        let c = self.bini(BinOp::Xor, lt, 1);
        let v = self.bini(BinOp::Shl, un, 63);
        self.write_flags(super::Flags { n, z, c, v, origin: None });
    }

    // ---- dispatch --------------------------------------------------------

    /// Lift a SIMD&FP instruction; false when the word is unallocated.
    pub(super) fn simd(&mut self, g: SimdGroup, i: &Insn) -> bool {
        let w = i.word;
        match g {
            SimdGroup::LdStUnsigned | SimdGroup::LdStImm9 | SimdGroup::LdStReg => self.ldst(g, i),
            SimdGroup::LdLiteral => {
                let size = match bits(w, 31, 30) {
                    0 => 2,
                    1 => 3,
                    2 => 4,
                    _ => return false,
                };
                let addr = self.k(self.pc.wrapping_add((sext(bits(w, 23, 5), 19) * 4) as u64));
                let (lo, hi) = self.load_v(addr, size);
                self.set_v(i.rd as u32, lo, hi);
                true
            }
            SimdGroup::LdStPair => self.ldst_pair(i),
            SimdGroup::LdStMulti => self.ldst_multi(i),
            SimdGroup::LdStSingle => self.ldst_single(i),
            SimdGroup::Copy => self.copy(i),
            SimdGroup::ModImm => self.mod_imm(i),
            SimdGroup::ThreeSame => self.three_same(i, false),
            SimdGroup::ScalarThreeSame => self.three_same(i, true),
            SimdGroup::TwoMisc => self.two_misc(i, false),
            SimdGroup::ScalarTwoMisc => self.two_misc(i, true),
            SimdGroup::AcrossLanes => self.across(i),
            SimdGroup::ShiftImm => self.shift_imm(i, false),
            SimdGroup::ScalarShiftImm => self.shift_imm(i, true),
            SimdGroup::Permute => self.permute(i),
            SimdGroup::Extract => self.extract(i),
            SimdGroup::Table => self.table(i),
            SimdGroup::ThreeDiff => self.three_diff(i),
            SimdGroup::ScalarThreeDiff => self.scalar_three_diff(i),
            SimdGroup::Indexed => self.indexed(i, false),
            SimdGroup::ScalarIndexed => self.indexed(i, true),
            SimdGroup::ScalarPairwise => self.scalar_pairwise(i),
            SimdGroup::ScalarCopy => {
                let imm5 = bits(w, 20, 16);
                if imm5 & 0xf == 0 {
                    return false;
                }
                let esize = imm5.trailing_zeros() as u8;
                let idx = imm5 >> (esize + 1);
                let e = self.elem(i.rn as u32, esize, idx);
                self.set_v64(i.rd as u32, e);
                true
            }
            SimdGroup::FpOneSource => self.fp_one_source(i),
            SimdGroup::FpCompare => self.fp_compare(i),
            SimdGroup::FpImm => {
                let Some(f) = fp_type(bits(w, 23, 22)) else { return false };
                let n = if f == FpFormat::F32 { 32 } else { 64 };
                let v = self.k(vfp_expand_imm(bits(w, 20, 13), n));
                self.set_fpreg(i.rd as u32, v);
                true
            }
            SimdGroup::FpCondCompare => {
                let Some(f) = fp_type(bits(w, 23, 22)) else { return false };
                let a = self.fpreg(i.rn as u32, f);
                let b = self.fpreg(i.rm as u32, f);
                let cond = self.cond(bits(w, 15, 12) as u8);
                // Compare only when the condition holds: the flags of the
                // comparison (and its exception flags) are conditional.
                let skip = self.b.label();
                let nzcv = bits(w, 3, 0) as u64;
                let n = self.k((nzcv >> 3) << 63);
                let z = self.k(((nzcv >> 2) & 1) ^ 1);
                let c = self.k((nzcv >> 1) & 1);
                let v = self.k((nzcv & 1) << 63);
                self.write_flags(super::Flags { n, z, c, v, origin: None });
                let not = self.bini(BinOp::Xor, cond, 1);
                self.b.branch_if(not, skip);
                self.fp_compare_flags(f, a, b, bits(w, 4, 4) == 1);
                self.b.place(skip);
                true
            }
            SimdGroup::FpTwoSource => self.fp_two_source(i),
            SimdGroup::FpCondSelect => {
                let Some(f) = fp_type(bits(w, 23, 22)) else { return false };
                let a = self.fpreg(i.rn as u32, f);
                let b = self.fpreg(i.rm as u32, f);
                let c = self.cond(bits(w, 15, 12) as u8);
                let r = self.b.select(c, a, b);
                self.set_fpreg(i.rd as u32, r);
                true
            }
            SimdGroup::FpThreeSource => {
                let Some(f) = fp_type(bits(w, 23, 22)) else { return false };
                let n = self.fpreg(i.rn as u32, f);
                let m = self.fpreg(i.rm as u32, f);
                let a = self.fpreg(bits(w, 14, 10), f);
                let (o1, o0) = (bits(w, 21, 21), bits(w, 15, 15));
                let sign = Self::sign_bit(f);
                let a = if o1 == 1 { self.bini(BinOp::Xor, a, sign) } else { a };
                let n = if o0 != o1 { self.bini(BinOp::Xor, n, sign) } else { n };
                let r = self.fp(FpOp::AddMul, f, a, n, m, None);
                self.set_fpreg(i.rd as u32, r);
                true
            }
            SimdGroup::FpIntConv => self.fp_int_conv(i),
            SimdGroup::FpFixedConv => self.fp_fixed_conv(i),
        }
    }

    // ---- loads and stores ------------------------------------------------

    /// Load `1 << size` bytes (size 0..=4) as a register value.
    fn load_v(&mut self, addr: Temp, size: u8) -> (Temp, Temp) {
        if size == 4 {
            let lo = self.load(addr, 3, false);
            let a8 = self.bini(BinOp::Add, addr, 8);
            let hi = self.load(a8, 3, false);
            (lo, hi)
        } else {
            let lo = self.load(addr, size, false);
            (lo, self.k(0))
        }
    }

    fn store_v(&mut self, addr: Temp, n: u32, size: u8) {
        let lo = self.vlo(n);
        self.store(addr, lo, size.min(3));
        if size == 4 {
            let hi = self.vhi(n);
            let a8 = self.bini(BinOp::Add, addr, 8);
            self.store(a8, hi, 3);
        }
    }

    fn ldst(&mut self, g: SimdGroup, i: &Insn) -> bool {
        let w = i.word;
        let (size, opc) = (bits(w, 31, 30) as u8, bits(w, 23, 22));
        if opc & 2 != 0 && size != 0 {
            return false;
        }
        let log2 = if opc & 2 != 0 { 4 } else { size };
        let load = opc & 1 == 1;
        let base = self.x_sp(i.rn);
        let (addr, wb) = match g {
            SimdGroup::LdStUnsigned => {
                let off = (bits(w, 21, 10) as u64) << log2;
                (self.bini(BinOp::Add, base, off), None)
            }
            SimdGroup::LdStImm9 => {
                let imm = sext(bits(w, 20, 12), 9) as u64;
                match bits(w, 11, 10) {
                    0 => (self.bini(BinOp::Add, base, imm), None),
                    1 => {
                        let upd = self.bini(BinOp::Add, base, imm);
                        (base, Some(upd))
                    }
                    3 => {
                        let a = self.bini(BinOp::Add, base, imm);
                        (a, Some(a))
                    }
                    _ => return false,
                }
            }
            _ => {
                let option = bits(w, 15, 13) as u8;
                if option & 2 == 0 {
                    return false;
                }
                let amount = if bits(w, 12, 12) == 1 { log2 } else { 0 };
                let off = self.extended(i.rm, option, amount);
                (self.bin(BinOp::Add, base, off), None)
            }
        };
        if load {
            let (lo, hi) = self.load_v(addr, log2);
            self.set_v(i.rd as u32, lo, hi);
        } else {
            self.store_v(addr, i.rd as u32, log2);
        }
        if let Some(u) = wb {
            self.set_x_sp(i.rn, u);
        }
        true
    }

    fn ldst_pair(&mut self, i: &Insn) -> bool {
        let w = i.word;
        let size = match bits(w, 31, 30) {
            0 => 2,
            1 => 3,
            2 => 4,
            _ => return false,
        };
        let idx = bits(w, 24, 23);
        let load = bits(w, 22, 22) == 1;
        let imm = (sext(bits(w, 21, 15), 7) << size) as u64;
        let base = self.x_sp(i.rn);
        let (addr, wb) = match idx {
            1 => {
                let u = self.bini(BinOp::Add, base, imm);
                (base, Some(u))
            }
            3 => {
                let a = self.bini(BinOp::Add, base, imm);
                (a, Some(a))
            }
            _ => (self.bini(BinOp::Add, base, imm), None),
        };
        let addr2 = self.bini(BinOp::Add, addr, 1 << size);
        let (t1, t2) = (i.rd as u32, bits(w, 14, 10));
        if load {
            let (l1, h1) = self.load_v(addr, size);
            let (l2, h2) = self.load_v(addr2, size);
            self.set_v(t1, l1, h1);
            self.set_v(t2, l2, h2);
        } else {
            self.store_v(addr, t1, size);
            self.store_v(addr2, t2, size);
        }
        if let Some(u) = wb {
            self.set_x_sp(i.rn, u);
        }
        true
    }

    /// Post-index update of the structure loads: `Rm` 31 means the
    /// immediate (bytes transferred).
    fn struct_writeback(&mut self, i: &Insn, base: Temp, bytes: u64) {
        let rm = bits(i.word, 20, 16) as u8;
        let u = if rm == 31 {
            self.bini(BinOp::Add, base, bytes)
        } else {
            let off = self.x(rm);
            self.bin(BinOp::Add, base, off)
        };
        self.set_x_sp(i.rn, u);
    }

    fn ldst_multi(&mut self, i: &Insn) -> bool {
        let w = i.word;
        let q = bits(w, 30, 30) == 1;
        let post = bits(w, 23, 23) == 1;
        let load = bits(w, 22, 22) == 1;
        let esize = bits(w, 11, 10) as u8;
        let (rpt, selem) = match bits(w, 15, 12) {
            0b0000 => (1, 4),
            0b0010 => (4, 1),
            0b0100 => (1, 3),
            0b0110 => (3, 1),
            0b0111 => (1, 1),
            0b1000 => (1, 2),
            0b1010 => (2, 1),
            _ => return false,
        };
        if (!post && bits(w, 20, 16) != 0) || (esize == 3 && !q && selem > 1) {
            return false;
        }
        let ebytes = 1u64 << esize;
        let elements = if q { 16 } else { 8 } / ebytes as u32;
        let base = self.x_sp(i.rn);
        let rt = i.rd as u32;
        let nregs = rpt * selem;
        // Current register values as (lo, hi) so element loads merge.
        let mut vals: Vec<(Temp, Temp)> = Vec::new();
        if load {
            let z = self.k(0);
            vals = vec![(z, z); nregs as usize];
        }
        let mut off = 0u64;
        for r in 0..rpt {
            if selem == 1 {
                // Whole registers: contiguous 64-bit chunks.
                let reg = (rt + r) % 32;
                let chunks = if q { 2 } else { 1 };
                for c in 0..chunks {
                    let a = self.bini(BinOp::Add, base, off);
                    if load {
                        let v = self.load(a, 3, false);
                        let slot = &mut vals[r as usize];
                        if c == 0 { slot.0 = v } else { slot.1 = v }
                    } else {
                        let v = if c == 0 { self.vlo(reg) } else { self.vhi(reg) };
                        self.store(a, v, 3);
                    }
                    off += 8;
                }
                continue;
            }
            for e in 0..elements {
                for s in 0..selem {
                    let reg = (rt + r + s) % 32;
                    let a = self.bini(BinOp::Add, base, off);
                    if load {
                        let v = self.load(a, esize, false);
                        let (lo, hi) = vals[(r + s) as usize];
                        vals[(r + s) as usize] = self.insert_elem(lo, hi, esize, e, v);
                    } else {
                        let v = self.elem(reg, esize, e);
                        self.store(a, v, esize);
                    }
                    off += ebytes;
                }
            }
        }
        if load {
            for (k, &(lo, hi)) in vals.iter().enumerate() {
                self.set_vq((rt + k as u32) % 32, lo, hi, q);
            }
        }
        if post {
            self.struct_writeback(i, base, off);
        }
        true
    }

    fn ldst_single(&mut self, i: &Insn) -> bool {
        let w = i.word;
        let q = bits(w, 30, 30);
        let post = bits(w, 23, 23) == 1;
        let load = bits(w, 22, 22) == 1;
        let r = bits(w, 21, 21);
        let opcode = bits(w, 15, 13);
        let s = bits(w, 12, 12);
        let size = bits(w, 11, 10);
        let selem = (((opcode & 1) << 1) | r) + 1;
        if !post && bits(w, 20, 16) != 0 {
            return false;
        }
        let (esize, index, replicate_all) = match opcode >> 1 {
            0 => (0u8, (q << 3) | (s << 2) | size, false),
            1 if size & 1 == 0 => (1, (q << 2) | (s << 1) | (size >> 1), false),
            2 if size & 1 == 0 => (2, (q << 1) | s, false),
            2 if size == 1 && s == 0 => (3, q, false),
            3 if load && s == 0 => (size as u8, 0, true),
            _ => return false,
        };
        let ebytes = 1u64 << esize;
        let base = self.x_sp(i.rn);
        let rt = i.rd as u32;
        let mut loaded = Vec::new();
        for k in 0..selem {
            let a = self.bini(BinOp::Add, base, k as u64 * ebytes);
            let reg = (rt + k) % 32;
            if !load {
                let v = self.elem(reg, esize, index);
                self.store(a, v, esize);
            } else {
                loaded.push(self.load(a, esize, false));
            }
        }
        for (k, &v) in loaded.iter().enumerate() {
            let reg = (rt + k as u32) % 32;
            if replicate_all {
                let rep =
                    if esize == 3 { v } else { self.bini(BinOp::Mul, v, replicate(1, esize)) };
                self.set_vq(reg, rep, rep, q == 1);
            } else {
                let (lo, hi) = (self.vlo(reg), self.vhi(reg));
                let (lo, hi) = self.insert_elem(lo, hi, esize, index, v);
                self.set_v(reg, lo, hi);
            }
        }
        if post {
            self.struct_writeback(i, base, selem as u64 * ebytes);
        }
        true
    }

    // ---- moves -----------------------------------------------------------

    fn copy(&mut self, i: &Insn) -> bool {
        let w = i.word;
        let q = bits(w, 30, 30) == 1;
        let op = bits(w, 29, 29);
        let imm5 = bits(w, 20, 16);
        let imm4 = bits(w, 14, 11);
        if imm5 & 0xf == 0 {
            return false;
        }
        let esize = imm5.trailing_zeros() as u8;
        let idx = imm5 >> (esize + 1);
        let (rd, rn) = (i.rd as u32, i.rn as u32);
        match (op, imm4) {
            (0, 0) | (0, 1) => {
                if esize == 3 && !q {
                    return false;
                }
                let v = if imm4 == 0 { self.elem(rn, esize, idx) } else { self.x(i.rn) };
                let v = if esize == 3 {
                    v
                } else {
                    let m = self.bini(BinOp::And, v, ones(8 << esize));
                    self.bini(BinOp::Mul, m, replicate(1, esize))
                };
                self.set_vq(rd, v, v, q);
            }
            (0, 0b0101) | (0, 0b0111) => {
                let signed = imm4 == 0b0101;
                let ok = match (signed, q) {
                    (false, false) => esize <= 2,
                    (false, true) => esize == 3,
                    (true, false) => esize <= 1,
                    (true, true) => esize <= 2,
                };
                if !ok {
                    return false;
                }
                let v = self.elem(rn, esize, idx);
                let v = if signed { self.sext_size(v, esize) } else { v };
                let v = if signed && !q { self.b.zext32(v) } else { v };
                self.set_x(i.rd, v);
            }
            (0, 0b0011) if q => {
                let v = self.x(i.rn);
                let (lo, hi) = (self.vlo(rd), self.vhi(rd));
                let (lo, hi) = self.insert_elem(lo, hi, esize, idx, v);
                self.set_v(rd, lo, hi);
            }
            (1, _) if q => {
                let src = imm4 >> esize;
                let v = self.elem(rn, esize, src);
                let (lo, hi) = (self.vlo(rd), self.vhi(rd));
                let (lo, hi) = self.insert_elem(lo, hi, esize, idx, v);
                self.set_v(rd, lo, hi);
            }
            _ => return false,
        }
        true
    }

    fn mod_imm(&mut self, i: &Insn) -> bool {
        let w = i.word;
        let q = bits(w, 30, 30) == 1;
        let op = bits(w, 29, 29);
        let cmode = bits(w, 15, 12);
        if bits(w, 11, 11) == 1 || (cmode == 0xf && op == 1 && !q) {
            return false;
        }
        let imm8 = (bits(w, 18, 16) << 5) | bits(w, 9, 5);
        let Some(imm) = simd_expand_imm(op, cmode, imm8) else { return false };
        let rd = i.rd as u32;
        let orr_bic = cmode < 12 && cmode & 1 == 1;
        if orr_bic {
            let (lo, hi) = (self.vlo(rd), self.vhi(rd));
            let (bop, k) = if op == 0 { (BinOp::Or, imm) } else { (BinOp::And, !imm) };
            let lo = self.bini(bop, lo, k);
            let hi = self.bini(bop, hi, k);
            self.set_vq(rd, lo, hi, q);
        } else {
            let mvn = op == 1 && cmode != 0xe && cmode != 0xf;
            let v = self.k(if mvn { !imm } else { imm });
            self.set_vq(rd, v, v, q);
        }
        true
    }

    // ---- integer vector arithmetic ---------------------------------------

    fn three_same(&mut self, i: &Insn, scalar: bool) -> bool {
        let w = i.word;
        let q = bits(w, 30, 30) == 1 && !scalar;
        let u = bits(w, 29, 29) == 1;
        let size = bits(w, 23, 22) as u8;
        let opcode = bits(w, 15, 11);
        let (rd, rn, rm) = (i.rd as u32, i.rn as u32, i.rm as u32);
        if opcode >= 0b11000 {
            return self.fp_three_same(i, scalar);
        }
        if opcode == 0b00011 {
            if scalar {
                return false;
            }
            return self.logic3(rd, rn, rm, u, size, q);
        }
        use VecOp::*;
        let op = match (opcode, u) {
            (0b00000, false) if !scalar => IntOp::Lane(HaddS),
            (0b00000, true) if !scalar => IntOp::Lane(HaddU),
            (0b00001, false) => IntOp::Sat(QaddS, Add),
            (0b00001, true) => IntOp::Sat(QaddU, Add),
            (0b00101, false) => IntOp::Sat(QsubS, Sub),
            (0b00101, true) => IntOp::Sat(QsubU, Sub),
            (0b00110, false) => IntOp::Lane(CmpGt),
            (0b00110, true) => IntOp::Lane(CmpHi),
            (0b00111, false) => IntOp::Lane(CmpGe),
            (0b00111, true) => IntOp::Lane(CmpHs),
            (0b01000, false) => IntOp::Lane(ShlS),
            (0b01000, true) => IntOp::Lane(ShlU),
            (0b01001..=0b01011, _) => IntOp::Shift(SatShift {
                signed: !u,
                round: opcode != 0b01001,
                sat: match (opcode, u) {
                    (0b01010, _) => Saturate::Wrap,
                    (_, false) => Saturate::Signed,
                    (_, true) => Saturate::Unsigned,
                },
                report: false,
            }),
            (0b10110, _) if size == 1 || size == 2 => IntOp::Qdmulh(u),
            (0b01100, false) if !scalar => IntOp::Lane(MaxS),
            (0b01100, true) if !scalar => IntOp::Lane(MaxU),
            (0b01101, false) if !scalar => IntOp::Lane(MinS),
            (0b01101, true) if !scalar => IntOp::Lane(MinU),
            (0b01110, false) if !scalar => IntOp::Lane(AbdS),
            (0b01110, true) if !scalar => IntOp::Lane(AbdU),
            (0b01111, false) if !scalar => IntOp::Acc(AbdS, false),
            (0b01111, true) if !scalar => IntOp::Acc(AbdU, false),
            (0b10000, false) => IntOp::Lane(Add),
            (0b10000, true) => IntOp::Lane(Sub),
            (0b10001, false) => IntOp::Lane(CmpTst),
            (0b10001, true) => IntOp::Lane(CmpEq),
            (0b10010, false) if !scalar && size != 3 => IntOp::Acc(Mul, false),
            (0b10010, true) if !scalar && size != 3 => IntOp::Acc(Mul, true),
            (0b10011, false) if !scalar && size != 3 => IntOp::Lane(Mul),
            (0b10011, true) if !scalar && size == 0 => IntOp::Lane(Pmul),
            (0b10100, false) if !scalar && size != 3 => IntOp::Lane(MaxPS),
            (0b10100, true) if !scalar && size != 3 => IntOp::Lane(MaxPU),
            (0b10101, false) if !scalar && size != 3 => IntOp::Lane(MinPS),
            (0b10101, true) if !scalar && size != 3 => IntOp::Lane(MinPU),
            (0b10111, false) if !scalar => IntOp::Lane(AddP),
            _ => return false,
        };
        // 64-bit lanes only as 128-bit vectors (or d scalars); scalar
        // forms other than the saturating ones are 64-bit only.
        let sat = matches!(op, IntOp::Sat(..) | IntOp::Qdmulh(_))
            || matches!(op, IntOp::Shift(m) if m.sat != Saturate::Wrap);
        let wide_ok = sat
            || matches!(op, IntOp::Shift(_))
            || matches!(
                op,
                IntOp::Lane(
                    Add | Sub | CmpGt | CmpHi | CmpGe | CmpHs | ShlS | ShlU | CmpTst | CmpEq | AddP
                )
            );
        if (size == 3 && !wide_ok) || (!scalar && size == 3 && !q) || (scalar && !sat && size != 3)
        {
            return false;
        }
        if scalar && sat {
            // Saturating scalars of any size: one lane in the low chunk.
            let a = self.elem(rn, size, 0);
            let b = self.elem(rm, size, 0);
            let masked = match op {
                IntOp::Shift(m) => Some(self.sat_shift(size, m, a, b)),
                IntOp::Qdmulh(round) => {
                    let (r, m) = self.qdmulh(size, round, a, b);
                    Some((r, Some(m)))
                }
                _ => None,
            };
            if let Some((r, m)) = masked {
                self.set_sat_scalar(rd, size, r, m);
                return true;
            }
            let IntOp::Sat(s, wr) = op else { return false };
            let r = self.vop(s, size, a, b);
            let wrapped = self.vop(wr, size, a, b);
            let r = self.bini(BinOp::And, r, ones(8 << size));
            let wrapped = self.bini(BinOp::And, wrapped, ones(8 << size));
            self.set_qc_if_ne(r, wrapped);
            self.set_v64(rd, r);
            return true;
        }
        let (alo, ahi, blo, bhi) = (self.vlo(rn), self.vhi(rn), self.vlo(rm), self.vhi(rm));
        let pairwise = matches!(op, IntOp::Lane(MaxPS | MaxPU | MinPS | MinPU | AddP));
        let (lo, hi) = match op {
            IntOp::Lane(o) if pairwise => {
                if q {
                    (self.vop(o, size, alo, ahi), self.vop(o, size, blo, bhi))
                } else {
                    (self.vop(o, size, alo, blo), ahi)
                }
            }
            IntOp::Lane(o) => (self.vop(o, size, alo, blo), self.vop(o, size, ahi, bhi)),
            IntOp::Sat(s, wr) => {
                let lo = self.vop(s, size, alo, blo);
                let hi = self.vop(s, size, ahi, bhi);
                let wl = self.vop(wr, size, alo, blo);
                let wh = self.vop(wr, size, ahi, bhi);
                let (lo_c, wl_c) = (lo, wl);
                if q {
                    let x = self.bin(BinOp::Xor, hi, wh);
                    let y = self.bin(BinOp::Xor, lo_c, wl_c);
                    let z = self.bin(BinOp::Or, x, y);
                    let zero = self.k(0);
                    self.set_qc_if_ne(z, zero);
                } else {
                    self.set_qc_if_ne(lo_c, wl_c);
                }
                (lo, hi)
            }
            IntOp::Shift(m) => self.sat_shift_vec(size, m, (alo, ahi), (blo, bhi), q),
            IntOp::Qdmulh(round) => {
                let (lo, m1) = self.qdmulh(size, round, alo, blo);
                let (hi, m2) = self.qdmulh(size, round, ahi, bhi);
                let masks = if q { vec![m1, m2] } else { vec![m1] };
                self.qc_from(&masks);
                (lo, hi)
            }
            IntOp::Acc(o, sub) => {
                let (dlo, dhi) = (self.vlo(rd), self.vhi(rd));
                let pl = self.vop(o, size, alo, blo);
                let ph = self.vop(o, size, ahi, bhi);
                let acc = if sub { Sub } else { Add };
                (self.vop(acc, size, dlo, pl), self.vop(acc, size, dhi, ph))
            }
        };
        self.set_vq(rd, lo, hi, q);
        true
    }

    /// `fpsr.QC |= (a != b)`.
    fn set_qc_if_ne(&mut self, a: Temp, b: Temp) {
        let ne = self.bin(BinOp::Ne, a, b);
        let qc = self.bini(BinOp::Shl, ne, 27);
        let fpsr = self.b.get(regs::FPSR);
        let n = self.bin(BinOp::Or, fpsr, qc);
        self.b.set(regs::FPSR, n);
    }

    fn logic3(&mut self, rd: u32, rn: u32, rm: u32, u: bool, size: u8, q: bool) -> bool {
        let mut out = [self.k(0); 2];
        for (h, slot) in out.iter_mut().enumerate() {
            if h == 1 && !q {
                break;
            }
            let get = |l: &mut Self, r: u32| if h == 0 { l.vlo(r) } else { l.vhi(r) };
            let (a, b) = (get(self, rn), get(self, rm));
            *slot = match (u, size) {
                (false, 0) => self.bin(BinOp::And, a, b),
                (false, 1) => {
                    let nb = self.un(UnOp::Not, b);
                    self.bin(BinOp::And, a, nb)
                }
                (false, 2) => self.bin(BinOp::Or, a, b),
                (false, _) => {
                    let nb = self.un(UnOp::Not, b);
                    self.bin(BinOp::Or, a, nb)
                }
                (true, 0) => self.bin(BinOp::Xor, a, b),
                (true, s) => {
                    // bsl: d = (d & n) | (!d & m); bit: d = (n & m) | (d & !m);
                    // bif: d = (d & m) | (n & !m). All are `x ^ ((x ^ y) & sel)`.
                    let d = get(self, rd);
                    let (x, y, sel) = match s {
                        1 => (b, a, d),
                        2 => (d, a, b),
                        _ => (a, d, b),
                    };
                    let xy = self.bin(BinOp::Xor, x, y);
                    let m = self.bin(BinOp::And, xy, sel);
                    self.bin(BinOp::Xor, x, m)
                }
            };
        }
        self.set_vq(rd, out[0], out[1], q);
        true
    }

    fn two_misc(&mut self, i: &Insn, scalar: bool) -> bool {
        let w = i.word;
        let q = bits(w, 30, 30) == 1;
        let u = bits(w, 29, 29) == 1;
        let size = bits(w, 23, 22) as u8;
        let opcode = bits(w, 16, 12);
        let (rd, rn) = (i.rd as u32, i.rn as u32);
        use VecOp::*;
        let (alo, ahi) = (self.vlo(rn), self.vhi(rn));
        if !scalar && !u && (opcode == 0b10110 || opcode == 0b10111) {
            return self.fp_convert_vec(i, opcode == 0b10111);
        }
        if u && opcode == 0b10110 {
            return self.fcvtxn(i, scalar);
        }
        if (0b01100..=0b01111).contains(&opcode) && size >= 2 || opcode > 0b10110 {
            return self.fp_two_misc(i, scalar);
        }
        let lane = |l: &mut Self, op: VecOp, esize: u8| {
            let lo = l.vop(op, esize, alo, alo);
            let hi = l.vop(op, esize, ahi, ahi);
            (lo, hi)
        };
        let vs_zero = |l: &mut Self, op: VecOp, swap: bool| {
            let z = l.k(0);
            let (a, b) = if swap { (z, alo) } else { (alo, z) };
            let lo = l.vop(op, size, a, b);
            let (a, b) = if swap { (z, ahi) } else { (ahi, z) };
            let hi = l.vop(op, size, a, b);
            (lo, hi)
        };
        if opcode == 0b00011 {
            return self.sqadd_mixed(i, scalar);
        }
        if !scalar && matches!(opcode, 0b00010 | 0b00110) {
            return self.add_long_pairwise(i);
        }
        if !scalar && u && opcode == 0b10011 {
            // shll / shll2: widen, then shift left by the narrow width.
            if size == 3 {
                return false;
            }
            let src = if q { ahi } else { alo };
            let e2 = size + 1;
            let sh = ShlImm(8 << size);
            let lo = self.vop(WidenU(false), size, src, src);
            let hi = self.vop(WidenU(true), size, src, src);
            let (lo, hi) = (self.vop(sh, e2, lo, lo), self.vop(sh, e2, hi, hi));
            self.set_v(rd, lo, hi);
            return true;
        }
        if opcode == 0b00111 {
            // sqabs / sqneg: -x saturates only for the minimum, and
            // |x| is max(x, -x) with that saturated negation.
            if !scalar && size == 3 && !q {
                return false;
            }
            let ins: Vec<Temp> = if scalar {
                vec![self.elem(rn, size, 0)]
            } else if q {
                vec![alo, ahi]
            } else {
                vec![alo]
            };
            let mut outs = Vec::new();
            let mut diffs = Vec::new();
            for x in ins {
                let z = self.k(0);
                let n = self.vop(QsubS, size, z, x);
                let r = if u { n } else { self.vop(MaxS, size, x, n) };
                let wr = self.vop(if u { Neg } else { Abs }, size, x, x);
                diffs.push(self.bin(BinOp::Xor, r, wr));
                outs.push(r);
            }
            self.qc_from(&diffs);
            let hi = outs[outs.len() - 1];
            self.set_vq(rd, outs[0], hi, q && !scalar);
            return true;
        }
        if matches!((opcode, u), (0b10100, _) | (0b10010, true)) {
            // sqxtn / uqxtn / sqxtun (and "2"); size names the result.
            if size == 3 {
                return false;
            }
            let m = SatShift {
                signed: opcode == 0b10010 || !u,
                round: false,
                sat: if u { Saturate::Unsigned } else { Saturate::Signed },
                report: false,
            };
            if scalar {
                let a = self.elem(rn, size + 1, 0);
                let z = self.k(0);
                let r = self.narrow_q(size, 0, m, a, z);
                self.set_v64(rd, r);
            } else {
                let r = self.narrow_q(size, 0, m, alo, ahi);
                self.set_narrowed(rd, r, q);
            }
            return true;
        }
        if scalar {
            if size != 3 {
                return false;
            }
            let (lo, _) = match (opcode, u) {
                (0b01000, false) => vs_zero(self, CmpGt, false),
                (0b01000, true) => vs_zero(self, CmpGe, false),
                (0b01001, false) => vs_zero(self, CmpEq, false),
                (0b01001, true) => vs_zero(self, CmpGe, true),
                (0b01010, false) => vs_zero(self, CmpGt, true),
                (0b01011, false) => lane(self, Abs, 3),
                (0b01011, true) => lane(self, Neg, 3),
                _ => return false,
            };
            self.set_v64(rd, lo);
            return true;
        }
        let (lo, hi, full) = match (opcode, u) {
            (0b00000, _) | (0b00001, false) => {
                // rev64 / rev32 / rev16: container 8 >> (opcode + u).
                let container = 3 - u as u8 - 2 * opcode as u8;
                if size >= container {
                    return false;
                }
                let (lo, hi) = lane(self, Rev(container), size);
                (lo, hi, q)
            }
            (0b00100, _) if size != 3 => {
                let (lo, hi) = lane(self, if u { Clz } else { Cls }, size);
                (lo, hi, q)
            }
            (0b00101, false) if size == 0 => {
                let (lo, hi) = lane(self, Cnt, 0);
                (lo, hi, q)
            }
            (0b00101, true) if size == 0 => {
                let lo = self.un(UnOp::Not, alo);
                let hi = self.un(UnOp::Not, ahi);
                (lo, hi, q)
            }
            (0b00101, true) if size == 1 => {
                let lo = self.rbit_bytes(alo);
                let hi = self.rbit_bytes(ahi);
                (lo, hi, q)
            }
            (0b01000, false) if size != 3 || q => {
                let (lo, hi) = vs_zero(self, CmpGt, false);
                (lo, hi, q)
            }
            (0b01000, true) if size != 3 || q => {
                let (lo, hi) = vs_zero(self, CmpGe, false);
                (lo, hi, q)
            }
            (0b01001, false) if size != 3 || q => {
                let (lo, hi) = vs_zero(self, CmpEq, false);
                (lo, hi, q)
            }
            (0b01001, true) if size != 3 || q => {
                let (lo, hi) = vs_zero(self, CmpGe, true);
                (lo, hi, q)
            }
            (0b01010, false) if size != 3 || q => {
                let (lo, hi) = vs_zero(self, CmpGt, true);
                (lo, hi, q)
            }
            (0b01011, _) if size != 3 || q => {
                let (lo, hi) = lane(self, if u { Neg } else { Abs }, size);
                (lo, hi, q)
            }
            (0b10010, false) if size != 3 => {
                // xtn/xtn2: narrow into the low or high half.
                let r = self.vop(NarrowShr(0), size, alo, ahi);
                self.set_narrowed(rd, r, q);
                return true;
            }
            _ => return false,
        };
        self.set_vq(rd, lo, hi, full);
        true
    }

    /// `suqadd` / `usqadd`, vector and scalar: the destination's lanes
    /// (signed, or unsigned with `U`) accumulate the source's lanes (of
    /// the other signedness), saturating and setting `QC`.
    fn sqadd_mixed(&mut self, i: &Insn, scalar: bool) -> bool {
        let Fields { q, u, size, rd, rn, .. } = Fields::of(i);
        if !scalar && size == 3 && !q {
            return false;
        }
        let op = if u { VecOp::UsqAdd } else { VecOp::SuqAdd };
        let pairs = if scalar {
            vec![(self.elem(rd, size, 0), self.elem(rn, size, 0))]
        } else if q {
            vec![(self.vlo(rd), self.vlo(rn)), (self.vhi(rd), self.vhi(rn))]
        } else {
            vec![(self.vlo(rd), self.vlo(rn))]
        };
        let mut outs = Vec::new();
        let mut diffs = Vec::new();
        for (d, n) in pairs {
            let r = self.vop(op, size, d, n);
            let wrapped = self.vop(VecOp::Add, size, d, n);
            let (r, wrapped) = if scalar {
                (
                    self.bini(BinOp::And, r, ones(8 << size)),
                    self.bini(BinOp::And, wrapped, ones(8 << size)),
                )
            } else {
                (r, wrapped)
            };
            diffs.push(self.bin(BinOp::Xor, r, wrapped));
            outs.push(r);
        }
        self.qc_from(&diffs);
        let hi = outs[outs.len() - 1];
        self.set_vq(rd, outs[0], hi, q && !scalar);
        true
    }

    /// `saddlp` / `uaddlp` and the accumulating `sadalp` / `uadalp`:
    /// adjacent pairs of lanes summed into lanes twice as wide.
    fn add_long_pairwise(&mut self, i: &Insn) -> bool {
        let Fields { q, u, size, rd, rn, .. } = Fields::of(i);
        let accumulate = bits(i.word, 16, 12) == 0b00110;
        if size == 3 {
            return false;
        }
        use VecOp::*;
        let (e2, nb) = (size + 1, 8u8 << size);
        let halves = if q { 2 } else { 1 };
        let mut outs = Vec::new();
        for h in 0..halves {
            let x = if h == 0 { self.vlo(rn) } else { self.vhi(rn) };
            // Each wide lane's low (even) and high (odd) narrow lane,
            // extended in place.
            let (even, odd) = if u {
                let even = self.bini(BinOp::And, x, replicate(ones(nb as u32), e2));
                (even, self.vop(ShrUImm(nb), e2, x, x))
            } else {
                let up = self.vop(ShlImm(nb), e2, x, x);
                (self.vop(ShrSImm(nb), e2, up, up), self.vop(ShrSImm(nb), e2, x, x))
            };
            let mut r = self.vop(Add, e2, even, odd);
            if accumulate {
                let d = if h == 0 { self.vlo(rd) } else { self.vhi(rd) };
                r = self.vop(Add, e2, d, r);
            }
            outs.push(r);
        }
        let hi = outs[outs.len() - 1];
        self.set_vq(rd, outs[0], hi, q);
        true
    }

    /// `fcvtxn` / `fcvtxn2` and scalar `fcvtxn`: doubles narrowed to
    /// singles rounding to odd.
    fn fcvtxn(&mut self, i: &Insn, scalar: bool) -> bool {
        let w = i.word;
        if bits(w, 23, 22) != 1 {
            return false;
        }
        let q = bits(w, 30, 30) == 1 && !scalar;
        let (rd, rn) = (i.rd as u32, i.rn as u32);
        let conv = |l: &mut Self, x: Temp| {
            let to = FpOp::Convert { to: FpFormat::F32 };
            let r = l.fp(to, FpFormat::F64, x, x, x, Some(RoundingMode::Odd));
            l.b.zext32(r)
        };
        let lo = self.vlo(rn);
        let r0 = conv(self, lo);
        if scalar {
            self.set_v64(rd, r0);
            return true;
        }
        let hi = self.vhi(rn);
        let r1 = conv(self, hi);
        let r1 = self.bini(BinOp::Shl, r1, 32);
        let r = self.bin(BinOp::Or, r0, r1);
        self.set_narrowed(rd, r, q);
        true
    }

    /// Reverse the bits of each byte.
    fn rbit_bytes(&mut self, v: Temp) -> Temp {
        let mut x = v;
        for (shift, mask) in [
            (1u64, 0x5555_5555_5555_5555u64),
            (2, 0x3333_3333_3333_3333),
            (4, 0x0f0f_0f0f_0f0f_0f0f),
        ] {
            let hi = self.bini(BinOp::ShrU, x, shift);
            let hi = self.bini(BinOp::And, hi, mask);
            let lo = self.bini(BinOp::And, x, mask);
            let lo = self.bini(BinOp::Shl, lo, shift);
            x = self.bin(BinOp::Or, hi, lo);
        }
        x
    }

    fn across(&mut self, i: &Insn) -> bool {
        let w = i.word;
        let q = bits(w, 30, 30) == 1;
        let u = bits(w, 29, 29) == 1;
        let size = bits(w, 23, 22) as u8;
        let opcode = bits(w, 16, 12);
        if size == 3 || (size == 2 && !q) {
            return false;
        }
        let (rd, rn) = (i.rd as u32, i.rn as u32);
        let (alo, ahi) = (self.vlo(rn), self.vhi(rn));
        use VecOp::*;
        let (combine, reduce) = match (opcode, u) {
            (0b01010, false) => (MaxS, MaxVS),
            (0b01010, true) => (MaxU, MaxVU),
            (0b11010, false) => (MinS, MinVS),
            (0b11010, true) => (MinU, MinVU),
            (0b11011, false) => (Add, AddV),
            (0b00011, _) => {
                // saddlv / uaddlv: the sum of the widened lanes.
                let widen = |l: &mut Self, x: Temp, hi: bool| {
                    let op = if u { WidenU(hi) } else { WidenS(hi) };
                    l.vop(op, size, x, x)
                };
                let mut parts = vec![widen(self, alo, false), widen(self, alo, true)];
                if q {
                    parts.push(widen(self, ahi, false));
                    parts.push(widen(self, ahi, true));
                }
                let mut acc = parts[0];
                for &p in &parts[1..] {
                    acc = self.vop(Add, size + 1, acc, p);
                }
                let r = self.vop(AddV, size + 1, acc, acc);
                self.set_v64(rd, r);
                return true;
            }
            _ => return false,
        };
        let x = if q { self.vop(combine, size, alo, ahi) } else { alo };
        let r = self.vop(reduce, size, x, x);
        self.set_v64(rd, r);
        true
    }

    fn shift_imm(&mut self, i: &Insn, scalar: bool) -> bool {
        let w = i.word;
        let q = bits(w, 30, 30) == 1 || scalar;
        let u = bits(w, 29, 29) == 1;
        let immh = bits(w, 22, 19);
        let immhb = bits(w, 22, 16);
        let opcode = bits(w, 15, 11);
        let (rd, rn) = (i.rd as u32, i.rn as u32);
        if immh == 0 {
            return false;
        }
        let esize = (31 - immh.leading_zeros()) as u8;
        let ebits = 8u32 << esize;
        let shr = (2 * ebits - immhb) as u8;
        let shl = (immhb - ebits) as u8;
        use VecOp::*;
        if opcode >= 0b11100 {
            return self.fp_fixed_vec(i, scalar);
        }
        let saturating = matches!(
            (opcode, u),
            (0b01100, true) | (0b01110, _) | (0b10000 | 0b10001, true) | (0b10010 | 0b10011, _)
        );
        if scalar && esize != 3 && !saturating {
            return false;
        }
        let (alo, ahi) = (self.vlo(rn), self.vhi(rn));
        // A shift amount in every lane, for `VecOp::Shift`.
        let amount = |l: &mut Self, sh: i32| l.k(replicate(sh as u8 as u64, esize));
        match (opcode, u) {
            (0b00100 | 0b00110, _) => {
                // srshr / urshr / srsra / ursra: rounding right shifts.
                if esize == 3 && !q {
                    return false;
                }
                let m = SatShift { signed: !u, round: true, sat: Saturate::Wrap, report: false };
                let b = amount(self, -(shr as i32));
                let mut lo = self.vop(Shift(m), esize, alo, b);
                let mut hi = self.vop(Shift(m), esize, ahi, b);
                if opcode == 0b00110 {
                    let (dlo, dhi) = (self.vlo(rd), self.vhi(rd));
                    lo = self.vop(Add, esize, dlo, lo);
                    hi = self.vop(Add, esize, dhi, hi);
                }
                if scalar { self.set_v64(rd, lo) } else { self.set_vq(rd, lo, hi, q) }
            }
            (0b01100, true) | (0b01110, _) => {
                // sqshlu / sqshl / uqshl by immediate.
                if esize == 3 && !q {
                    return false;
                }
                let m = SatShift {
                    signed: !(u && opcode == 0b01110),
                    round: false,
                    sat: if u { Saturate::Unsigned } else { Saturate::Signed },
                    report: false,
                };
                let b = amount(self, shl as i32);
                if scalar {
                    let a = self.elem(rn, esize, 0);
                    let (r, mk) = self.sat_shift(esize, m, a, b);
                    self.set_sat_scalar(rd, esize, r, mk);
                    return true;
                }
                let (lo, hi) = self.sat_shift_vec(esize, m, (alo, ahi), (b, b), q);
                self.set_vq(rd, lo, hi, q);
            }
            (0b10000 | 0b10001, true) | (0b10010 | 0b10011, _) => {
                // sqshrun / sqrshrun / sqshrn / uqshrn / sqrshrn / uqrshrn:
                // immh names the destination lane size.
                if esize == 3 {
                    return false;
                }
                let m = SatShift {
                    signed: opcode < 0b10010 || !u,
                    round: opcode & 1 == 1,
                    sat: if u { Saturate::Unsigned } else { Saturate::Signed },
                    report: false,
                };
                if scalar {
                    let a = self.elem(rn, esize + 1, 0);
                    let z = self.k(0);
                    let r = self.narrow_q(esize, shr, m, a, z);
                    self.set_v64(rd, r);
                } else {
                    let r = self.narrow_q(esize, shr, m, alo, ahi);
                    if bits(w, 30, 30) == 1 {
                        let dlo = self.vlo(rd);
                        self.set_v(rd, dlo, r);
                    } else {
                        self.set_v64(rd, r);
                    }
                }
            }
            (0b00000 | 0b00010, _) => {
                if esize == 3 && !q {
                    return false;
                }
                let op = if u { ShrUImm(shr) } else { ShrSImm(shr) };
                let mut lo = self.vop(op, esize, alo, alo);
                let mut hi = self.vop(op, esize, ahi, ahi);
                if opcode == 0b00010 {
                    let (dlo, dhi) = (self.vlo(rd), self.vhi(rd));
                    lo = self.vop(Add, esize, dlo, lo);
                    hi = self.vop(Add, esize, dhi, hi);
                }
                if scalar { self.set_v64(rd, lo) } else { self.set_vq(rd, lo, hi, q) }
            }
            (0b01010, false) | (0b01010, true) | (0b01000, true) => {
                if esize == 3 && !q {
                    return false;
                }
                let left = opcode == 0b01010;
                let op = if left { ShlImm(shl) } else { ShrUImm(shr) };
                let mut lo = self.vop(op, esize, alo, alo);
                let mut hi = self.vop(op, esize, ahi, ahi);
                if u {
                    // sli / sri: keep the destination bits the shift vacates.
                    let keep = if left {
                        ones(shl as u32)
                    } else {
                        !ones(ebits.saturating_sub(shr as u32)) & ones(ebits)
                    };
                    let keep = replicate(keep, esize);
                    let (dlo, dhi) = (self.vlo(rd), self.vhi(rd));
                    let kl = self.bini(BinOp::And, dlo, keep);
                    let kh = self.bini(BinOp::And, dhi, keep);
                    lo = self.bin(BinOp::Or, lo, kl);
                    hi = self.bin(BinOp::Or, hi, kh);
                }
                if scalar { self.set_v64(rd, lo) } else { self.set_vq(rd, lo, hi, q) }
            }
            (0b10000 | 0b10001, false) if !scalar && esize != 3 => {
                // shrn / rshrn: immh names the destination lane size.
                let op = if opcode == 0b10000 { NarrowShr(shr) } else { NarrowShrRound(shr) };
                let r = self.vop(op, esize, alo, ahi);
                if bits(w, 30, 30) == 1 {
                    let dlo = self.vlo(rd);
                    self.set_v(rd, dlo, r);
                } else {
                    self.set_v64(rd, r);
                }
            }
            (0b10100, _) if !scalar && esize != 3 => {
                // sshll / ushll (sxtl / uxtl with shift 0).
                let src = if bits(w, 30, 30) == 1 { ahi } else { alo };
                let op_l = if u { WidenU(false) } else { WidenS(false) };
                let op_h = if u { WidenU(true) } else { WidenS(true) };
                let lo = self.vop(op_l, esize, src, src);
                let hi = self.vop(op_h, esize, src, src);
                let lo = self.vop(ShlImm(shl), esize + 1, lo, lo);
                let hi = self.vop(ShlImm(shl), esize + 1, hi, hi);
                self.set_v(rd, lo, hi);
            }
            _ => return false,
        }
        true
    }

    fn permute(&mut self, i: &Insn) -> bool {
        let w = i.word;
        let q = bits(w, 30, 30) == 1;
        let size = bits(w, 23, 22) as u8;
        let opcode = bits(w, 14, 12);
        if size == 3 && !q {
            return false;
        }
        let (rd, rn, rm) = (i.rd as u32, i.rn as u32, i.rm as u32);
        let (alo, ahi, blo, bhi) = (self.vlo(rn), self.vhi(rn), self.vlo(rm), self.vhi(rm));
        use VecOp::*;
        let (lo, hi) = if size == 3 {
            // One lane per chunk: the permutes are moves.
            match opcode {
                0b001..=0b011 => (alo, blo),
                0b101..=0b111 => (ahi, bhi),
                _ => return false,
            }
        } else {
            match (opcode, q) {
                (0b001, true) => (self.vop(Uzp1, size, alo, ahi), self.vop(Uzp1, size, blo, bhi)),
                (0b101, true) => (self.vop(Uzp2, size, alo, ahi), self.vop(Uzp2, size, blo, bhi)),
                (0b001, false) => (self.vop(Uzp1, size, alo, blo), alo),
                (0b101, false) => (self.vop(Uzp2, size, alo, blo), alo),
                (0b010, _) => (self.vop(Trn1, size, alo, blo), self.vop(Trn1, size, ahi, bhi)),
                (0b110, _) => (self.vop(Trn2, size, alo, blo), self.vop(Trn2, size, ahi, bhi)),
                (0b011, true) => (self.vop(ZipLo, size, alo, blo), self.vop(ZipHi, size, alo, blo)),
                (0b111, true) => (self.vop(ZipLo, size, ahi, bhi), self.vop(ZipHi, size, ahi, bhi)),
                (0b011, false) => (self.vop(ZipLo, size, alo, blo), alo),
                (0b111, false) => (self.vop(ZipHi, size, alo, blo), alo),
                _ => return false,
            }
        };
        self.set_vq(rd, lo, hi, q);
        true
    }

    fn extract(&mut self, i: &Insn) -> bool {
        let w = i.word;
        let q = bits(w, 30, 30) == 1;
        let imm4 = bits(w, 14, 11);
        if bits(w, 23, 22) != 0 || (!q && imm4 >= 8) {
            return false;
        }
        let (rd, rn, rm) = (i.rd as u32, i.rn as u32, i.rm as u32);
        // The byte string m:n (n in the low bytes), from byte imm4.
        let chunks: Vec<Temp> = if q {
            vec![self.vlo(rn), self.vhi(rn), self.vlo(rm), self.vhi(rm)]
        } else {
            vec![self.vlo(rn), self.vlo(rm)]
        };
        let byte = imm4 as usize;
        let mut out = Vec::new();
        for k in 0..(if q { 2 } else { 1 }) {
            let start = byte + 8 * k;
            let (c, s) = (start / 8, (start % 8) as u64 * 8);
            let lo = self.bini(BinOp::ShrU, chunks[c], s);
            let r = if s == 0 || c + 1 >= chunks.len() {
                lo
            } else {
                let hi = self.bini(BinOp::Shl, chunks[c + 1], 64 - s);
                self.bin(BinOp::Or, lo, hi)
            };
            out.push(r);
        }
        let hi = if q { out[1] } else { out[0] };
        self.set_vq(rd, out[0], hi, q);
        true
    }

    fn table(&mut self, i: &Insn) -> bool {
        let w = i.word;
        let q = bits(w, 30, 30) == 1;
        if bits(w, 23, 22) != 0 {
            return false;
        }
        let len = bits(w, 14, 13) + 1;
        let tbx = bits(w, 12, 12) == 1;
        let (rd, rn, rm) = (i.rd as u32, i.rn as u32, i.rm as u32);
        let (ilo, ihi) = (self.vlo(rm), self.vhi(rm));
        let mut table = Vec::new();
        for r in 0..len {
            let reg = (rn + r) % 32;
            table.push(self.vlo(reg));
            table.push(self.vhi(reg));
        }
        let mut out = Vec::new();
        for (h, idx) in [(0, ilo), (1, ihi)] {
            if h == 1 && !q {
                break;
            }
            let mut acc =
                if tbx { if h == 0 { self.vlo(rd) } else { self.vhi(rd) } } else { self.k(0) };
            for (k, &t) in table.iter().enumerate() {
                acc =
                    self.b.vec(VecInsn { op: VecOp::TblStep(8 * k as u8), esize: 0 }, acc, idx, t);
            }
            out.push(acc);
        }
        let hi = if q { out[1] } else { out[0] };
        self.set_vq(rd, out[0], hi, q);
        true
    }

    fn three_diff(&mut self, i: &Insn) -> bool {
        let Fields { q, u, size, rd, rn, rm } = Fields::of(i);
        let opcode = bits(i.word, 15, 12);
        if size == 3 {
            return false;
        }
        if matches!(opcode, 0b0100 | 0b0110) {
            return self.narrow_high(i);
        }
        let half = |l: &mut Self, r: u32| if q { l.vhi(r) } else { l.vlo(r) };
        let (a, b) = (half(self, rn), half(self, rm));
        use VecOp::*;
        let widen = |l: &mut Self, x: Temp| {
            let (ol, oh) =
                if u { (WidenU(false), WidenU(true)) } else { (WidenS(false), WidenS(true)) };
            (l.vop(ol, size, x, x), l.vop(oh, size, x, x))
        };
        let e2 = size + 1;
        let (wa, wb) = match opcode {
            0b0001 | 0b0011 => ((self.vlo(rn), self.vhi(rn)), widen(self, b)),
            _ => (widen(self, a), widen(self, b)),
        };
        if matches!(opcode, 0b1001 | 0b1011 | 0b1101) {
            // sqdmlal, sqdmlsl, sqdmull (and their "2" forms).
            if u || size == 0 {
                return false;
            }
            let acc = match opcode {
                0b1001 => Some(false),
                0b1011 => Some(true),
                _ => None,
            };
            let (dlo, dhi) = (self.vlo(rd), self.vhi(rd));
            let (lo, m1) = self.qdmull_chunk(e2, wa.0, wb.0, acc.map(|s| (dlo, s)));
            let (hi, m2) = self.qdmull_chunk(e2, wa.1, wb.1, acc.map(|s| (dhi, s)));
            self.qc_from(&[m1, m2]);
            self.set_v(rd, lo, hi);
            return true;
        }
        let lane2 =
            |l: &mut Self, op: VecOp| (l.vop(op, e2, wa.0, wb.0), l.vop(op, e2, wa.1, wb.1));
        let (lo, hi) = match opcode {
            0b0000 | 0b0001 => lane2(self, Add),
            0b0010 | 0b0011 => lane2(self, Sub),
            0b0111 => lane2(self, if u { AbdU } else { AbdS }),
            0b0101 | 0b1000 | 0b1010 => {
                let p = if opcode == 0b0101 {
                    lane2(self, if u { AbdU } else { AbdS })
                } else {
                    lane2(self, Mul)
                };
                let (dlo, dhi) = (self.vlo(rd), self.vhi(rd));
                let acc = if opcode == 0b1010 { Sub } else { Add };
                (self.vop(acc, e2, dlo, p.0), self.vop(acc, e2, dhi, p.1))
            }
            0b1100 => lane2(self, Mul),
            // pmull / pmull2 on bytes (the 64-bit form is the crypto
            // extension's, not advertised).
            0b1110 if !u && size == 0 => {
                let (x, y) = ((self.vlo(rn), self.vhi(rn)), (self.vlo(rm), self.vhi(rm)));
                let pick = |l: &mut Self, v: (Temp, Temp)| {
                    let src = if q { v.1 } else { v.0 };
                    (l.vop(WidenU(false), 0, src, src), l.vop(WidenU(true), 0, src, src))
                };
                let ((alo, ahi), (blo, bhi)) = (pick(self, x), pick(self, y));
                (self.vop(Pmul, 1, alo, blo), self.vop(Pmul, 1, ahi, bhi))
            }
            _ => return false,
        };
        self.set_v(rd, lo, hi);
        true
    }

    /// `addhn` / `raddhn` / `subhn` / `rsubhn` (and "2"): the high halves
    /// of the wide lanes' sums or differences, rounded with `U`.
    fn narrow_high(&mut self, i: &Insn) -> bool {
        let Fields { q, u, size, rd, rn, rm } = Fields::of(i);
        let op = if bits(i.word, 15, 12) == 0b0100 { VecOp::Add } else { VecOp::Sub };
        let (nlo, nhi, mlo, mhi) = (self.vlo(rn), self.vhi(rn), self.vlo(rm), self.vhi(rm));
        let lo = self.vop(op, size + 1, nlo, mlo);
        let hi = self.vop(op, size + 1, nhi, mhi);
        let sh = 8 << size;
        let narrow = if u { VecOp::NarrowShrRound(sh) } else { VecOp::NarrowShr(sh) };
        let r = self.vop(narrow, size, lo, hi);
        self.set_narrowed(rd, r, q);
        true
    }

    fn scalar_pairwise(&mut self, i: &Insn) -> bool {
        let w = i.word;
        let u = bits(w, 29, 29) == 1;
        let size = bits(w, 23, 22);
        let opcode = bits(w, 16, 12);
        let (rd, rn) = (i.rd as u32, i.rn as u32);
        let (alo, ahi) = (self.vlo(rn), self.vhi(rn));
        match (u, opcode) {
            (false, 0b11011) if size == 3 => {
                let r = self.bin(BinOp::Add, alo, ahi);
                self.set_v64(rd, r);
                true
            }
            (true, 0b01100 | 0b01101 | 0b01111) if size & 1 == 0 || size == 1 => {
                // Pairwise FP: u=1 means single (sz=0) or double (sz=1).
                let f = if size & 1 == 1 { FpFormat::F64 } else { FpFormat::F32 };
                let (a, b) = match f {
                    FpFormat::F64 => (alo, ahi),
                    FpFormat::F32 => {
                        let a = self.b.zext32(alo);
                        let b = self.bini(BinOp::ShrU, alo, 32);
                        (a, b)
                    }
                };
                let max = size & 2 == 0;
                let op = match opcode {
                    0b01100 => {
                        if max {
                            FpOp::Max(MinMax::NumberQuietOnly)
                        } else {
                            FpOp::Min(MinMax::NumberQuietOnly)
                        }
                    }
                    0b01101 => FpOp::Add,
                    _ => {
                        if max {
                            FpOp::Max(MinMax::Propagate)
                        } else {
                            FpOp::Min(MinMax::Propagate)
                        }
                    }
                };
                if opcode == 0b01101 && size & 2 != 0 {
                    return false;
                }
                let r = self.fp(op, f, a, b, b, None);
                self.set_fpreg(rd, r);
                true
            }
            _ => false,
        }
    }

    // ---- by element, saturating doubling multiplies ----------------------

    /// `e` (an element of `8 << esize` bits, zero-extended) in every lane
    /// of a chunk.
    fn dup_chunk(&mut self, e: Temp, esize: u8) -> Temp {
        if esize == 3 { e } else { self.bini(BinOp::Mul, e, replicate(1, esize)) }
    }

    /// `fpsr.QC |= any of masks is nonzero`.
    fn qc_from(&mut self, masks: &[Temp]) {
        let Some((&first, rest)) = masks.split_first() else { return };
        let mut any = first;
        for &m in rest {
            any = self.bin(BinOp::Or, any, m);
        }
        let zero = self.k(0);
        self.set_qc_if_ne(any, zero);
    }

    /// One chunk of `sqdmull`/`sqdmlal`/`sqdmlsl` on lanes of `8 << e2`
    /// bits holding the sign-extended operands: the result and a mask that
    /// is nonzero where a step saturated.
    fn qdmull_chunk(
        &mut self,
        e2: u8,
        a: Temp,
        b: Temp,
        acc: Option<(Temp, bool)>,
    ) -> (Temp, Temp) {
        use VecOp::*;
        let p = self.vop(Mul, e2, a, b);
        let d = self.vop(QaddS, e2, p, p);
        let dw = self.vop(Add, e2, p, p);
        let mut diff = self.bin(BinOp::Xor, d, dw);
        let Some((acc, sub)) = acc else { return (d, diff) };
        let (sat, wrap) = if sub { (QsubS, Sub) } else { (QaddS, Add) };
        let r = self.vop(sat, e2, acc, d);
        let rw = self.vop(wrap, e2, acc, d);
        let x = self.bin(BinOp::Xor, r, rw);
        diff = self.bin(BinOp::Or, diff, x);
        (r, diff)
    }

    /// `sqdmulh`/`sqrdmulh` of chunks `a` and `b`: the result and the mask
    /// of saturated lanes.
    fn qdmulh(&mut self, esize: u8, round: bool, a: Temp, b: Temp) -> (Temp, Temp) {
        let r = self.vop(VecOp::Qdmulh(SatMul { round, report: false }), esize, a, b);
        let m = self.vop(VecOp::Qdmulh(SatMul { round, report: true }), esize, a, b);
        (r, m)
    }

    /// A lane shift of chunk `a` by the amounts in `b` (see
    /// `VecOp::Shift`): the result and, when it saturates, the mask.
    fn sat_shift(&mut self, esize: u8, m: SatShift, a: Temp, b: Temp) -> (Temp, Option<Temp>) {
        let r = self.vop(VecOp::Shift(m), esize, a, b);
        if m.sat == Saturate::Wrap {
            return (r, None);
        }
        let rep = self.vop(VecOp::Shift(SatShift { report: true, ..m }), esize, a, b);
        (r, Some(rep))
    }

    /// [`Self::sat_shift`] of both chunks, the low chunk's `a.0` by `b.0`
    /// and the high one's `a.1` by `b.1`, with QC from the lanes that
    /// saturate; the high chunk's lanes count only when `q`. The
    /// vector-register and the immediate shifts both use it.
    fn sat_shift_vec(
        &mut self,
        esize: u8,
        m: SatShift,
        a: (Temp, Temp),
        b: (Temp, Temp),
        q: bool,
    ) -> (Temp, Temp) {
        let (lo, m1) = self.sat_shift(esize, m, a.0, b.0);
        let (hi, m2) = self.sat_shift(esize, m, a.1, b.1);
        let masks: Vec<Temp> =
            if q { [m1, m2].into_iter().flatten().collect() } else { m1.into_iter().collect() };
        self.qc_from(&masks);
        (lo, hi)
    }

    /// Write the result `r` of a saturating scalar op into `rd` and set QC
    /// from its saturation mask `m`, both cut to the one lane of
    /// `8 << esize` bits: lanes above lane 0 are zero in, and zero out.
    fn set_sat_scalar(&mut self, rd: u32, esize: u8, r: Temp, m: Option<Temp>) {
        let r = self.bini(BinOp::And, r, ones(8 << esize));
        if let Some(m) = m {
            let m = self.bini(BinOp::And, m, ones(8 << esize));
            self.qc_from(&[m]);
        }
        self.set_v64(rd, r);
    }

    /// Narrowing saturating shift of the wide chunks `a`, `b` into one
    /// chunk of lanes of `8 << esize` bits, with QC.
    fn narrow_q(&mut self, esize: u8, n: u8, m: SatShift, a: Temp, b: Temp) -> Temp {
        let r = self.vop(VecOp::NarrowQ(n, m), esize, a, b);
        let rep = self.vop(VecOp::NarrowQ(n, SatShift { report: true, ..m }), esize, a, b);
        self.qc_from(&[rep]);
        r
    }

    /// Vector and scalar × indexed element.
    fn indexed(&mut self, i: &Insn, scalar: bool) -> bool {
        let w = i.word;
        let q = bits(w, 30, 30) == 1;
        let u = bits(w, 29, 29) == 1;
        let size = bits(w, 23, 22) as u8;
        let (l, m, h) = (bits(w, 21, 21), bits(w, 20, 20), bits(w, 11, 11));
        let opcode = bits(w, 15, 12);
        let (rd, rn) = (i.rd as u32, i.rn as u32);
        #[derive(Clone, Copy, PartialEq)]
        enum K {
            /// fmla, fmls, fmul, fmulx.
            Fp(u8),
            /// mul, mla, mls: the accumulation (none, add, sub).
            Mul(u8),
            /// smull/umull, smlal/umlal, smlsl/umlsl.
            Long(u8),
            /// sqdmull, sqdmlal, sqdmlsl.
            QLong(u8),
            /// sqdmulh, sqrdmulh (rounding).
            Qdmulh(bool),
        }
        let k = match (u, opcode) {
            (false, 0b0001) => K::Fp(0),
            (false, 0b0101) => K::Fp(1),
            (false, 0b1001) => K::Fp(2),
            (true, 0b1001) => K::Fp(3),
            (false, 0b1000) if !scalar => K::Mul(0),
            (true, 0b0000) if !scalar => K::Mul(1),
            (true, 0b0100) if !scalar => K::Mul(2),
            (_, 0b1010) if !scalar => K::Long(0),
            (_, 0b0010) if !scalar => K::Long(1),
            (_, 0b0110) if !scalar => K::Long(2),
            (false, 0b1011) => K::QLong(0),
            (false, 0b0011) => K::QLong(1),
            (false, 0b0111) => K::QLong(2),
            (false, 0b1100) => K::Qdmulh(false),
            (false, 0b1101) => K::Qdmulh(true),
            _ => return false,
        };
        if let K::Fp(op) = k {
            // size 0x is half precision (not implemented) or unallocated.
            let f = match size {
                2 => FpFormat::F32,
                3 if l == 0 && (q || scalar) => FpFormat::F64,
                _ => return false,
            };
            let (esize, index) = if f == FpFormat::F32 { (2, (h << 1) | l) } else { (3, h) };
            let rm = (m << 4) | bits(w, 19, 16);
            let e = self.elem(rm, esize, index);
            let mask = ones(8 << esize);
            let code = match op {
                0 | 1 => (1, 0, FpCond::Eq, op == 1),
                2 => (0, 0, FpCond::Eq, false),
                _ => (0, 9, FpCond::Eq, false),
            };
            if scalar {
                let a = self.fpreg(rn, f);
                let d = self.fpreg(rd, f);
                let r = self.fp3_lane(&code, f, a, e, d);
                let r = self.bini(BinOp::And, r, mask);
                self.set_v64(rd, r);
                return true;
            }
            let dup = self.dup_chunk(e, esize);
            let (alo, ahi, dlo, dhi) = (self.vlo(rn), self.vhi(rn), self.vlo(rd), self.vhi(rd));
            let mut chunks = vec![(alo, dup, dlo)];
            if q {
                chunks.push((ahi, dup, dhi));
            }
            let res = self.fp_lanes(f, &chunks, |s, a, b, d| s.fp3_lane(&code, f, a, b, d));
            let hi = if q { res[1] } else { res[0] };
            self.set_vq(rd, res[0], hi, q);
            return true;
        }
        let (index, rm) = match size {
            1 => ((h << 2) | (l << 1) | m, bits(w, 19, 16)),
            2 => ((h << 1) | l, (m << 4) | bits(w, 19, 16)),
            _ => return false,
        };
        let e = self.elem(rm, size, index);
        use VecOp::*;
        let e2 = size + 1;
        let wide = ones(16 << size);
        match k {
            K::Mul(acc) => {
                let dup = self.dup_chunk(e, size);
                let (alo, ahi) = (self.vlo(rn), self.vhi(rn));
                let mut lo = self.vop(Mul, size, alo, dup);
                let mut hi = self.vop(Mul, size, ahi, dup);
                if acc != 0 {
                    let (dlo, dhi) = (self.vlo(rd), self.vhi(rd));
                    let op = if acc == 2 { Sub } else { Add };
                    lo = self.vop(op, size, dlo, lo);
                    hi = self.vop(op, size, dhi, hi);
                }
                self.set_vq(rd, lo, hi, q);
            }
            K::Long(acc) => {
                let src = if q { self.vhi(rn) } else { self.vlo(rn) };
                let (ol, oh) =
                    if u { (WidenU(false), WidenU(true)) } else { (WidenS(false), WidenS(true)) };
                let wa = (self.vop(ol, size, src, src), self.vop(oh, size, src, src));
                let ew = if u { e } else { self.sext_size(e, size) };
                let ew = self.bini(BinOp::And, ew, wide);
                let dup = self.dup_chunk(ew, e2);
                let mut lo = self.vop(Mul, e2, wa.0, dup);
                let mut hi = self.vop(Mul, e2, wa.1, dup);
                if acc != 0 {
                    let (dlo, dhi) = (self.vlo(rd), self.vhi(rd));
                    let op = if acc == 2 { Sub } else { Add };
                    lo = self.vop(op, e2, dlo, lo);
                    hi = self.vop(op, e2, dhi, hi);
                }
                self.set_v(rd, lo, hi);
            }
            K::QLong(acc) => {
                let ew = self.sext_size(e, size);
                let ew = self.bini(BinOp::And, ew, wide);
                let acc = match acc {
                    0 => None,
                    a => Some(a == 2),
                };
                if scalar {
                    let a = self.elem(rn, size, 0);
                    let a = self.sext_size(a, size);
                    let a = self.bini(BinOp::And, a, wide);
                    let d = self.elem(rd, e2, 0);
                    let (r, diff) = self.qdmull_chunk(e2, a, ew, acc.map(|s| (d, s)));
                    let r = self.bini(BinOp::And, r, wide);
                    let diff = self.bini(BinOp::And, diff, wide);
                    self.qc_from(&[diff]);
                    self.set_v64(rd, r);
                    return true;
                }
                let src = if q { self.vhi(rn) } else { self.vlo(rn) };
                let wa = (
                    self.vop(WidenS(false), size, src, src),
                    self.vop(WidenS(true), size, src, src),
                );
                let dup = self.dup_chunk(ew, e2);
                let (dlo, dhi) = (self.vlo(rd), self.vhi(rd));
                let (lo, m1) = self.qdmull_chunk(e2, wa.0, dup, acc.map(|s| (dlo, s)));
                let (hi, m2) = self.qdmull_chunk(e2, wa.1, dup, acc.map(|s| (dhi, s)));
                self.qc_from(&[m1, m2]);
                self.set_v(rd, lo, hi);
            }
            K::Qdmulh(round) => {
                if scalar {
                    let a = self.elem(rn, size, 0);
                    let (r, m) = self.qdmulh(size, round, a, e);
                    self.qc_from(&[m]);
                    self.set_v64(rd, r);
                    return true;
                }
                let dup = self.dup_chunk(e, size);
                let (alo, ahi) = (self.vlo(rn), self.vhi(rn));
                let (lo, m1) = self.qdmulh(size, round, alo, dup);
                if q {
                    let (hi, m2) = self.qdmulh(size, round, ahi, dup);
                    self.qc_from(&[m1, m2]);
                    self.set_v(rd, lo, hi);
                } else {
                    self.qc_from(&[m1]);
                    self.set_v64(rd, lo);
                }
            }
            K::Fp(_) => return false,
        }
        true
    }

    /// Scalar three different: `sqdmull`, `sqdmlal`, `sqdmlsl`.
    fn scalar_three_diff(&mut self, i: &Insn) -> bool {
        let w = i.word;
        let size = bits(w, 23, 22) as u8;
        let acc = match (bits(w, 29, 29), bits(w, 15, 12)) {
            (0, 0b1101) => None,
            (0, 0b1001) => Some(false),
            (0, 0b1011) => Some(true),
            _ => return false,
        };
        if size != 1 && size != 2 {
            return false;
        }
        let (rd, rn, rm) = (i.rd as u32, i.rn as u32, i.rm as u32);
        let wide = ones(16 << size);
        let a = self.elem(rn, size, 0);
        let a = self.sext_size(a, size);
        let a = self.bini(BinOp::And, a, wide);
        let b = self.elem(rm, size, 0);
        let b = self.sext_size(b, size);
        let b = self.bini(BinOp::And, b, wide);
        let d = self.elem(rd, size + 1, 0);
        let (r, diff) = self.qdmull_chunk(size + 1, a, b, acc.map(|s| (d, s)));
        let r = self.bini(BinOp::And, r, wide);
        let diff = self.bini(BinOp::And, diff, wide);
        self.qc_from(&[diff]);
        self.set_v64(rd, r);
        true
    }

    // ---- floating point ------------------------------------------------------

    /// A conversion from (`to_half`) or to half precision, under
    /// FPCR.AHP: both forms run, their flags into the scratch slot, and
    /// FPCR.AHP picks the result and the flags; FPCR.DN applies to an
    /// IEEE NaN result.
    fn half_conv(&mut self, f: FpFormat, to_half: bool, a: Temp) -> Temp {
        let rm = self.fp_mode(None);
        let mut out = Vec::new();
        for ahp in [false, true] {
            let op = if to_half { FpOp::ToHalf { ahp } } else { FpOp::FromHalf { ahp } };
            let z = self.k(0);
            self.b.set(regs::FP_SCRATCH_FLAGS, z);
            let insn = FpInsn { op, fmt: f, rules: RULES };
            let r = self.b.fp(insn, a, a, a, rm, regs::FP_SCRATCH_FLAGS);
            let fl = self.b.get(regs::FP_SCRATCH_FLAGS);
            out.push((r, fl));
        }
        let fpcr = self.b.get(regs::FPCR);
        let ahp = self.bini(BinOp::ShrU, fpcr, 26);
        let ahp = self.bini(BinOp::And, ahp, 1);
        let r = self.b.select(ahp, out[1].0, out[0].0);
        let fl = self.b.select(ahp, out[1].1, out[0].1);
        let old = self.b.get(regs::FP_FLAGS);
        let all = self.bin(BinOp::Or, old, fl);
        self.b.set(regs::FP_FLAGS, all);
        if !to_half {
            // `DN` in the op's mode made a NaN result the default NaN.
            return r;
        }
        // An IEEE half NaN becomes 0x7e00 under DN (the same bits are a
        // number under AHP).
        let abs = self.bini(BinOp::And, r, 0x7fff);
        let inf = self.k(0x7c00);
        let is_nan = self.bin(BinOp::LtU, inf, abs);
        let dn = self.bini(BinOp::ShrU, fpcr, 25);
        let dn = self.bini(BinOp::And, dn, 1);
        let ieee = self.bini(BinOp::Xor, ahp, 1);
        let dn = self.bin(BinOp::And, dn, ieee);
        let both = self.bin(BinOp::And, is_nan, dn);
        let d = self.k(0x7e00);
        self.b.select(both, d, r)
    }

    /// `fcvtl`/`fcvtl2` (widen the low or high half of `v{n}`) and
    /// `fcvtn`/`fcvtn2` (narrow into the low or high half of `v{d}`):
    /// `sz` 0 is half ↔ single, 1 single ↔ double.
    fn fp_convert_vec(&mut self, i: &Insn, widen: bool) -> bool {
        let w = i.word;
        let q = bits(w, 30, 30) == 1;
        let sz = bits(w, 22, 22);
        if bits(w, 23, 23) == 1 {
            return false;
        }
        let (rd, rn) = (i.rd as u32, i.rn as u32);
        // (narrow lane size in bits, wide format)
        let (nb, wide) = if sz == 0 { (16u32, FpFormat::F32) } else { (32, FpFormat::F64) };
        let wb = nb * 2;
        let per = 64 / wb;
        if widen {
            let src = if q { self.vhi(rn) } else { self.vlo(rn) };
            let mut res = Vec::new();
            for k in 0..2 * per {
                let x = self.bini(BinOp::ShrU, src, (k * nb) as u64);
                let x = self.bini(BinOp::And, x, ones(nb));
                let r = if sz == 0 {
                    self.half_conv(FpFormat::F32, false, x)
                } else {
                    self.fp(FpOp::Convert { to: FpFormat::F64 }, FpFormat::F32, x, x, x, None)
                };
                res.push(r);
            }
            let mut chunks = Vec::new();
            for c in res.chunks(per as usize) {
                let mut acc = self.k(0);
                for (k, &r) in c.iter().enumerate() {
                    let r = self.bini(BinOp::And, r, ones(wb));
                    let r = self.bini(BinOp::Shl, r, k as u64 * wb as u64);
                    acc = self.bin(BinOp::Or, acc, r);
                }
                chunks.push(acc);
            }
            self.set_v(rd, chunks[0], chunks[1]);
            return true;
        }
        let mut acc = self.k(0);
        let mut pos = 0;
        for half in 0..2 {
            let src = if half == 0 { self.vlo(rn) } else { self.vhi(rn) };
            for k in 0..per {
                let x = self.bini(BinOp::ShrU, src, (k * wb) as u64);
                let x = if wb == 64 { x } else { self.bini(BinOp::And, x, ones(wb)) };
                let r = if sz == 0 {
                    self.half_conv(wide, true, x)
                } else {
                    self.fp(FpOp::Convert { to: FpFormat::F32 }, FpFormat::F64, x, x, x, None)
                };
                let r = self.bini(BinOp::And, r, ones(nb));
                let r = self.bini(BinOp::Shl, r, pos);
                acc = self.bin(BinOp::Or, acc, r);
                pos += nb as u64;
            }
        }
        self.set_narrowed(rd, acc, q);
        true
    }

    fn fp_one_source(&mut self, i: &Insn) -> bool {
        let w = i.word;
        let ty = bits(w, 23, 22);
        let opcode = bits(w, 20, 15);
        let (rd, rn) = (i.rd as u32, i.rn as u32);
        // fcvt between half and single or double.
        match (ty, opcode) {
            (3, 4 | 5) => {
                let to = if opcode == 4 { FpFormat::F32 } else { FpFormat::F64 };
                let h = self.vlo(rn);
                let h = self.bini(BinOp::And, h, 0xffff);
                let r = self.half_conv(to, false, h);
                self.set_fpreg(rd, r);
                return true;
            }
            (0 | 1, 7) => {
                let f = if ty == 0 { FpFormat::F32 } else { FpFormat::F64 };
                let a = self.fpreg(rn, f);
                let r = self.half_conv(f, true, a);
                self.set_v64(rd, r);
                return true;
            }
            _ => {}
        }
        let Some(f) = fp_type(ty) else { return false };
        let a = self.fpreg(rn, f);
        let sign = Self::sign_bit(f);
        let r = match opcode {
            0 => a,
            1 => self.bini(BinOp::And, a, !sign & ones(if f == FpFormat::F32 { 32 } else { 64 })),
            2 => self.bini(BinOp::Xor, a, sign),
            3 => self.fp(FpOp::Sqrt, f, a, a, a, None),
            4 | 5 => {
                let to = if opcode == 4 { FpFormat::F32 } else { FpFormat::F64 };
                if to == f {
                    return false;
                }
                self.fp(FpOp::Convert { to }, f, a, a, a, None)
            }
            8..=15 if opcode != 13 => {
                let (rm, exact) = match opcode {
                    8 => (Some(RoundingMode::NearestEven), false),
                    9 => (Some(RoundingMode::Up), false),
                    10 => (Some(RoundingMode::Down), false),
                    11 => (Some(RoundingMode::TowardZero), false),
                    12 => (Some(RoundingMode::NearestAway), false),
                    14 => (None, true),
                    _ => (None, false),
                };
                self.fp(FpOp::RoundInt { exact }, f, a, a, a, rm)
            }
            _ => return false,
        };
        self.set_fpreg(rd, r);
        true
    }

    fn fp_compare(&mut self, i: &Insn) -> bool {
        let w = i.word;
        let Some(f) = fp_type(bits(w, 23, 22)) else { return false };
        if bits(w, 15, 14) != 0 {
            return false;
        }
        let a = self.fpreg(i.rn as u32, f);
        let b = if bits(w, 3, 3) == 1 { self.k(0) } else { self.fpreg(i.rm as u32, f) };
        self.fp_compare_flags(f, a, b, bits(w, 4, 4) == 1);
        true
    }

    fn fp_binop(&mut self, opcode: u32, f: FpFormat, a: Temp, b: Temp) -> Option<Temp> {
        Some(match opcode {
            0 => self.fp(FpOp::Mul, f, a, b, b, None),
            1 => self.fp(FpOp::Div, f, a, b, b, None),
            2 => self.fp(FpOp::Add, f, a, b, b, None),
            3 => self.fp(FpOp::Sub, f, a, b, b, None),
            4 => self.fp(FpOp::Max(MinMax::Propagate), f, a, b, b, None),
            5 => self.fp(FpOp::Min(MinMax::Propagate), f, a, b, b, None),
            6 => self.fp(FpOp::Max(MinMax::NumberQuietOnly), f, a, b, b, None),
            7 => self.fp(FpOp::Min(MinMax::NumberQuietOnly), f, a, b, b, None),
            8 => {
                let p = self.fp(FpOp::Mul, f, a, b, b, None);
                // fnmul negates the rounded product (a NaN too).
                self.bini(BinOp::Xor, p, Self::sign_bit(f))
            }
            // Not a two-source opcode (those stop at 8): the vector and
            // by-element `fmulx`.
            9 => self.fp(FpOp::MulX, f, a, b, b, None),
            10 => self.fp(FpOp::RecipStep, f, a, b, b, None),
            11 => self.fp(FpOp::RsqrtStep, f, a, b, b, None),
            _ => return None,
        })
    }

    fn fp_two_source(&mut self, i: &Insn) -> bool {
        let w = i.word;
        let Some(f) = fp_type(bits(w, 23, 22)) else { return false };
        let opcode = bits(w, 15, 12);
        if opcode > 8 {
            return false;
        }
        let a = self.fpreg(i.rn as u32, f);
        let b = self.fpreg(i.rm as u32, f);
        let Some(r) = self.fp_binop(opcode, f, a, b) else { return false };
        self.set_fpreg(i.rd as u32, r);
        true
    }

    /// Vector (and scalar-in-vector) FP three-same ops.
    fn fp_three_same(&mut self, i: &Insn, scalar: bool) -> bool {
        let w = i.word;
        let q = bits(w, 30, 30) == 1;
        let u = bits(w, 29, 29) == 1;
        let a_bit = bits(w, 23, 23) == 1;
        let sz = bits(w, 22, 22);
        let opcode = bits(w, 15, 11);
        let f = if sz == 1 { FpFormat::F64 } else { FpFormat::F32 };
        if !scalar && sz == 1 && !q {
            return false;
        }
        let (rd, rn, rm) = (i.rd as u32, i.rn as u32, i.rm as u32);
        // (binop code of `fp_binop`, or a special form)
        enum K {
            Bin(u32),
            Fma(bool),
            Cmp(FpCond, bool),
            /// facge, facgt: compare the magnitudes.
            AbsCmp(FpCond),
            Abd,
            Pair(u32),
        }
        let k = match (u, a_bit, opcode) {
            (false, false, 0b11010) if !scalar => K::Bin(2),
            (false, false, 0b11011) => K::Bin(9),
            (false, false, 0b11111) => K::Bin(10),
            (false, true, 0b11111) => K::Bin(11),
            (false, true, 0b11010) if !scalar => K::Bin(3),
            (true, false, 0b11011) if !scalar => K::Bin(0),
            (true, false, 0b11111) if !scalar => K::Bin(1),
            (false, false, 0b11110) if !scalar => K::Bin(4),
            (false, true, 0b11110) if !scalar => K::Bin(5),
            (false, false, 0b11000) if !scalar => K::Bin(6),
            (false, true, 0b11000) if !scalar => K::Bin(7),
            (false, false, 0b11001) if !scalar => K::Fma(false),
            (false, true, 0b11001) if !scalar => K::Fma(true),
            (false, false, 0b11100) => K::Cmp(FpCond::Eq, false),
            (true, false, 0b11100) => K::Cmp(FpCond::Le, true),
            (true, true, 0b11100) => K::Cmp(FpCond::Lt, true),
            (true, true, 0b11010) => K::Abd,
            (true, false, 0b11101) => K::AbsCmp(FpCond::Le),
            (true, true, 0b11101) => K::AbsCmp(FpCond::Lt),
            (true, false, 0b11010) if !scalar => K::Pair(2),
            (true, false, 0b11110) if !scalar => K::Pair(4),
            (true, true, 0b11110) if !scalar => K::Pair(5),
            (true, false, 0b11000) if !scalar => K::Pair(6),
            (true, true, 0b11000) if !scalar => K::Pair(7),
            _ => return false,
        };
        let (alo, ahi, blo, bhi) = (self.vlo(rn), self.vhi(rn), self.vlo(rm), self.vhi(rm));
        let (dlo, dhi) = (self.vlo(rd), self.vhi(rd));
        let full = q && !scalar;
        let mut chunks = vec![(alo, blo, dlo)];
        if full {
            chunks.push((ahi, bhi, dhi));
        }
        if let K::Pair(code) = k {
            // Pairwise: lanes of n then m, adjacent pairs.
            let elems = |l: &mut Self, r: u32| -> Vec<Temp> {
                let n = if f == FpFormat::F64 {
                    2
                } else if q {
                    4
                } else {
                    2
                };
                (0..n).map(|e| l.elem(r, if f == FpFormat::F64 { 3 } else { 2 }, e)).collect()
            };
            let mut all = elems(self, rn);
            all.extend(elems(self, rm));
            let mut res = Vec::new();
            for p in all.chunks(2) {
                let Some(r) = self.fp_binop(code, f, p[0], p[1]) else { return false };
                res.push(r);
            }
            let pack = |l: &mut Self, x: Temp, y: Temp| {
                let x = l.b.zext32(x);
                let y = l.bini(BinOp::Shl, y, 32);
                l.bin(BinOp::Or, x, y)
            };
            let (lo, hi) = match f {
                FpFormat::F64 => (res[0], res[1]),
                FpFormat::F32 if q => {
                    let lo = pack(self, res[0], res[1]);
                    let hi = pack(self, res[2], res[3]);
                    (lo, hi)
                }
                FpFormat::F32 => (pack(self, res[0], res[1]), res[0]),
            };
            self.set_vq(rd, lo, hi, q);
            return true;
        }
        let lanes_f = if scalar { None } else { Some(f) };
        let res = match lanes_f {
            Some(f) => self.fp_lanes(f, &chunks, |l, a, b, d| l.fp3_lane(&k_to(&k), f, a, b, d)),
            None => {
                let a = if f == FpFormat::F32 { self.b.zext32(alo) } else { alo };
                let b = if f == FpFormat::F32 { self.b.zext32(blo) } else { blo };
                vec![self.fp3_lane(&k_to(&k), f, a, b, dlo)]
            }
        };
        fn k_to(k: &K) -> (u8, u32, FpCond, bool) {
            match *k {
                K::Bin(c) => (0, c, FpCond::Eq, false),
                K::Fma(s) => (1, 0, FpCond::Eq, s),
                K::Cmp(c, sig) => (2, 0, c, sig),
                K::AbsCmp(c) => (4, 0, c, true),
                K::Abd => (3, 0, FpCond::Eq, false),
                K::Pair(c) => (0, c, FpCond::Eq, false),
            }
        }
        let lo = res[0];
        let hi = if full { res[1] } else { lo };
        let lo = if scalar && f == FpFormat::F32 { self.b.zext32(lo) } else { lo };
        self.set_vq(rd, lo, hi, full);
        true
    }

    /// One lane of a vector FP op described by `k_to`'s tuple.
    fn fp3_lane(
        &mut self,
        k: &(u8, u32, FpCond, bool),
        f: FpFormat,
        a: Temp,
        b: Temp,
        d: Temp,
    ) -> Temp {
        let mask = if f == FpFormat::F32 { ones(32) } else { u64::MAX };
        match k.0 {
            0 => self.fp_binop(k.1, f, a, b).unwrap_or(a),
            1 => {
                let a = if k.3 { self.bini(BinOp::Xor, a, Self::sign_bit(f)) } else { a };
                let d = if f == FpFormat::F32 { self.b.zext32(d) } else { d };
                self.fp(FpOp::AddMul, f, d, a, b, None)
            }
            2 | 4 => {
                let (a, b) = if k.0 == 4 {
                    let m = !Self::sign_bit(f) & mask;
                    (self.bini(BinOp::And, a, m), self.bini(BinOp::And, b, m))
                } else {
                    (a, b)
                };
                // fcmge is b <= a, fcmgt is b < a.
                let (x, y) = if k.2 == FpCond::Eq { (a, b) } else { (b, a) };
                let insn =
                    FpInsn { op: FpOp::Cmp { cond: k.2, signaling: k.3 }, fmt: f, rules: RULES };
                let rm = self.fp_mode(Some(RoundingMode::NearestEven));
                let c = self.b.fp(insn, x, y, y, rm, regs::FP_FLAGS);
                let m = self.un(UnOp::Neg, c);
                self.bini(BinOp::And, m, mask)
            }
            _ => {
                let r = self.fp(FpOp::Sub, f, a, b, b, None);
                self.bini(BinOp::And, r, !Self::sign_bit(f) & mask)
            }
        }
    }

    fn fp_two_misc(&mut self, i: &Insn, scalar: bool) -> bool {
        let w = i.word;
        let q = bits(w, 30, 30) == 1;
        let u = bits(w, 29, 29) == 1;
        let size = bits(w, 23, 22);
        let opcode = bits(w, 16, 12);
        let f = if size & 1 == 1 { FpFormat::F64 } else { FpFormat::F32 };
        if !scalar && f == FpFormat::F64 && !q {
            return false;
        }
        let hi_bit = size >> 1;
        #[derive(Clone, Copy)]
        enum M {
            CmpZero(FpCond, bool),
            Abs,
            Neg,
            Sqrt,
            Round(Option<RoundingMode>, bool),
            ToInt(RoundingMode, bool),
            FromInt(bool),
            Est(FpOp),
            /// urecpe / ursqrte on 32-bit lanes.
            EstU(VecOp),
        }
        let m = match (opcode, u, hi_bit) {
            // fcmgt: 0 < a; fcmeq: a == 0; fcmlt: a < 0; fcmge: 0 <= a;
            // fcmle: a <= 0 (`true`: zero is the first operand).
            (0b01100, false, 1) => M::CmpZero(FpCond::Lt, true),
            (0b01101, false, 1) => M::CmpZero(FpCond::Eq, false),
            (0b01110, false, 1) => M::CmpZero(FpCond::Lt, false),
            (0b01100, true, 1) => M::CmpZero(FpCond::Le, true),
            (0b01101, true, 1) => M::CmpZero(FpCond::Le, false),
            (0b01111, false, 1) if !scalar => M::Abs,
            (0b01111, true, 1) if !scalar => M::Neg,
            (0b11111, true, 1) if !scalar => M::Sqrt,
            (0b11000, false, 0) if !scalar => M::Round(Some(RoundingMode::NearestEven), false),
            (0b11001, false, 0) if !scalar => M::Round(Some(RoundingMode::Down), false),
            (0b11000, false, 1) if !scalar => M::Round(Some(RoundingMode::Up), false),
            (0b11001, false, 1) if !scalar => M::Round(Some(RoundingMode::TowardZero), false),
            (0b11000, true, 0) if !scalar => M::Round(Some(RoundingMode::NearestAway), false),
            (0b11001, true, 0) if !scalar => M::Round(None, true),
            (0b11001, true, 1) if !scalar => M::Round(None, false),
            (0b11010, _, 0) => M::ToInt(RoundingMode::NearestEven, !u),
            (0b11011, _, 0) => M::ToInt(RoundingMode::Down, !u),
            (0b11100, _, 0) => M::ToInt(RoundingMode::NearestAway, !u),
            (0b11010, _, 1) => M::ToInt(RoundingMode::Up, !u),
            (0b11011, _, 1) => M::ToInt(RoundingMode::TowardZero, !u),
            (0b11101, _, 0) => M::FromInt(!u),
            (0b11101, false, 1) => M::Est(FpOp::RecipEst),
            (0b11101, true, 1) => M::Est(FpOp::RsqrtEst),
            (0b11111, false, 1) if scalar => M::Est(FpOp::RecpX),
            (0b11100, false, 1) if !scalar && f == FpFormat::F32 => M::EstU(VecOp::RecipEstU),
            (0b11100, true, 1) if !scalar && f == FpFormat::F32 => M::EstU(VecOp::RsqrtEstU),
            _ => return false,
        };
        let (rd, rn) = (i.rd as u32, i.rn as u32);
        let (alo, ahi) = (self.vlo(rn), self.vhi(rn));
        let mask = if f == FpFormat::F32 { ones(32) } else { u64::MAX };
        let iw = if f == FpFormat::F32 { Width::W32 } else { Width::W64 };
        let lane = move |l: &mut Self, a: Temp| -> Temp {
            match m {
                M::CmpZero(cond, swap) => {
                    let z = l.k(0);
                    let (x, y) = if swap { (z, a) } else { (a, z) };
                    let insn = FpInsn {
                        op: FpOp::Cmp { cond, signaling: cond != FpCond::Eq },
                        fmt: f,
                        rules: RULES,
                    };
                    let rm = l.fp_mode(Some(RoundingMode::NearestEven));
                    let c = l.b.fp(insn, x, y, y, rm, regs::FP_FLAGS);
                    let n = l.un(UnOp::Neg, c);
                    l.bini(BinOp::And, n, mask)
                }
                M::Abs => l.bini(BinOp::And, a, !Self::sign_bit(f) & mask),
                M::Neg => l.bini(BinOp::Xor, a, Self::sign_bit(f)),
                M::Sqrt => l.fp(FpOp::Sqrt, f, a, a, a, None),
                M::Round(rm, exact) => l.fp(FpOp::RoundInt { exact }, f, a, a, a, rm),
                M::ToInt(rm, signed) => {
                    let r = l.fp(
                        FpOp::ToInt { width: iw, signed, nan: IntNan::Zero },
                        f,
                        a,
                        a,
                        a,
                        Some(rm),
                    );
                    l.bini(BinOp::And, r, mask)
                }
                M::FromInt(signed) => l.fp(FpOp::FromInt { width: iw, signed }, f, a, a, a, None),
                M::Est(op) => l.fp(op, f, a, a, a, None),
                M::EstU(op) => l.vop(op, 2, a, a),
            }
        };
        if scalar {
            let a = if f == FpFormat::F32 { self.b.zext32(alo) } else { alo };
            let r = lane(self, a);
            let r = self.bini(BinOp::And, r, mask);
            self.set_v64(rd, r);
            return true;
        }
        let mut chunks = vec![(alo, alo, alo)];
        if q {
            chunks.push((ahi, ahi, ahi));
        }
        let res = self.fp_lanes(f, &chunks, |l, a, _, _| lane(l, a));
        let hi = if q { res[1] } else { res[0] };
        self.set_vq(rd, res[0], hi, q);
        true
    }

    fn fp_int_conv(&mut self, i: &Insn) -> bool {
        let w = i.word;
        let sf = bits(w, 31, 31) == 1;
        let ty = bits(w, 23, 22);
        let rmode = bits(w, 20, 19);
        let opcode = bits(w, 18, 16);
        let (rd, rn) = (i.rd as u32, i.rn as u32);
        let iw = if sf { Width::W64 } else { Width::W32 };
        // fmov between general and FP/vector registers.
        if opcode >= 6 {
            let to_general = opcode == 6;
            match (sf, ty, rmode) {
                (false, 0, 0) | (true, 1, 0) => {
                    if to_general {
                        let v = self.vlo(rn);
                        let v = if sf { v } else { self.b.zext32(v) };
                        self.set_x(i.rd, v);
                    } else {
                        let v = self.x(i.rn);
                        let v = if sf { v } else { self.b.zext32(v) };
                        self.set_fpreg(rd, v);
                    }
                }
                (true, 2, 1) => {
                    if to_general {
                        let v = self.vhi(rn);
                        self.set_x(i.rd, v);
                    } else {
                        let v = self.x(i.rn);
                        let lo = self.vlo(rd);
                        self.set_v(rd, lo, v);
                    }
                }
                _ => return false,
            }
            return true;
        }
        let Some(f) = fp_type(ty) else { return false };
        match opcode {
            0 | 1 | 4 | 5 => {
                if opcode >= 4 && rmode != 0 {
                    return false;
                }
                let rm = match (opcode >= 4, rmode) {
                    (true, _) => RoundingMode::NearestAway,
                    (_, 0) => RoundingMode::NearestEven,
                    (_, 1) => RoundingMode::Up,
                    (_, 2) => RoundingMode::Down,
                    _ => RoundingMode::TowardZero,
                };
                let signed = opcode & 1 == 0;
                let a = self.fpreg(rn, f);
                let r = self.fp(
                    FpOp::ToInt { width: iw, signed, nan: IntNan::Zero },
                    f,
                    a,
                    a,
                    a,
                    Some(rm),
                );
                let r = if sf { r } else { self.b.zext32(r) };
                self.set_x(i.rd, r);
            }
            2 | 3 if rmode == 0 => {
                let x = self.x(i.rn);
                let r = self.fp(FpOp::FromInt { width: iw, signed: opcode == 2 }, f, x, x, x, None);
                self.set_fpreg(rd, r);
            }
            _ => return false,
        }
        true
    }

    fn fp_fixed_conv(&mut self, i: &Insn) -> bool {
        let w = i.word;
        let sf = bits(w, 31, 31) == 1;
        let Some(f) = fp_type(bits(w, 23, 22)) else { return false };
        let rmode = bits(w, 20, 19);
        let opcode = bits(w, 18, 16);
        let scale = bits(w, 15, 10);
        if !sf && scale < 32 {
            return false;
        }
        let fbits = 64 - scale;
        let iw = if sf { Width::W64 } else { Width::W32 };
        let (rd, rn) = (i.rd as u32, i.rn as u32);
        match (rmode, opcode) {
            (0, 2) | (0, 3) => {
                let x = self.x(i.rn);
                let r = self.fixed_to_fp(f, iw, opcode == 2, fbits, x);
                self.set_fpreg(rd, r);
            }
            (3, 0) | (3, 1) => {
                let a = self.fpreg(rn, f);
                let r = self.fp_to_fixed(f, iw, opcode == 0, fbits, a);
                let r = if sf { r } else { self.b.zext32(r) };
                self.set_x(i.rd, r);
            }
            _ => return false,
        }
        true
    }

    /// `2^e` in format `f`.
    fn fp_pow2(&mut self, f: FpFormat, e: i32) -> Temp {
        let v = match f {
            FpFormat::F32 => ((127 + e) as u64) << 23,
            FpFormat::F64 => ((1023 + e) as u64) << 52,
        };
        self.k(v)
    }

    /// The fixed-point integer `x` (the low `iw` bits) with `fbits`
    /// fraction bits, rounded once to format `f` under FPCR.
    fn fixed_to_fp(&mut self, f: FpFormat, iw: Width, signed: bool, fbits: u32, x: Temp) -> Temp {
        let v = self.fp(FpOp::FromInt { width: iw, signed }, f, x, x, x, None);
        if fbits == 0 {
            return v;
        }
        // Scaling by a power of two is exact here (no underflow: the
        // result is at least 2^-64 in magnitude).
        let p = self.fp_pow2(f, -(fbits as i32));
        self.fp(FpOp::Mul, f, v, p, p, Some(RoundingMode::NearestEven))
    }

    /// `a` to a fixed-point integer of `iw` bits with `fbits` fraction
    /// bits, rounding toward zero (a 32-bit result sign-extended).
    fn fp_to_fixed(&mut self, f: FpFormat, iw: Width, signed: bool, fbits: u32, a: Temp) -> Temp {
        let scaled = if fbits == 0 {
            a
        } else {
            let p = self.fp_pow2(f, fbits as i32);
            // Exact but for overflow, which the conversion then reports
            // as invalid: the product's own flags are dropped, but for
            // the flushing of a subnormal operand under `FPCR.FZ`, which
            // the conversion reports as its own.
            let insn = FpInsn { op: FpOp::Mul, fmt: f, rules: RULES };
            let rz = self.fp_mode(Some(RoundingMode::TowardZero));
            let z = self.k(0);
            self.b.set(regs::FP_SCRATCH_FLAGS, z);
            let r = self.b.fp(insn, a, p, p, rz, regs::FP_SCRATCH_FLAGS);
            let fl = self.b.get(regs::FP_SCRATCH_FLAGS);
            let idc = self.bini(BinOp::And, fl, flags::INPUT_DENORMAL);
            let old = self.b.get(regs::FP_FLAGS);
            let all = self.bin(BinOp::Or, old, idc);
            self.b.set(regs::FP_FLAGS, all);
            r
        };
        self.fp(
            FpOp::ToInt { width: iw, signed, nan: IntNan::Zero },
            f,
            scaled,
            scaled,
            scaled,
            Some(RoundingMode::TowardZero),
        )
    }

    /// Vector and scalar-in-vector `scvtf`/`ucvtf`/`fcvtzs`/`fcvtzu` with
    /// fixed point (the `shift by immediate` opcodes 11100 and 11111);
    /// half precision (immh 001x) is not implemented.
    fn fp_fixed_vec(&mut self, i: &Insn, scalar: bool) -> bool {
        let w = i.word;
        let q = bits(w, 30, 30) == 1;
        let u = bits(w, 29, 29) == 1;
        let immh = bits(w, 22, 19);
        let immhb = bits(w, 22, 16);
        let (f, fbits) = if immh & 8 != 0 {
            (FpFormat::F64, 128 - immhb)
        } else if immh & 4 != 0 {
            (FpFormat::F32, 64 - immhb)
        } else {
            return false;
        };
        if !scalar && f == FpFormat::F64 && !q {
            return false;
        }
        let to_fp = match bits(w, 15, 11) {
            0b11100 => true,
            0b11111 => false,
            _ => return false,
        };
        let (iw, mask) =
            if f == FpFormat::F32 { (Width::W32, ones(32)) } else { (Width::W64, u64::MAX) };
        let lane = move |l: &mut Self, a: Temp| -> Temp {
            let r = if to_fp {
                l.fixed_to_fp(f, iw, !u, fbits, a)
            } else {
                l.fp_to_fixed(f, iw, !u, fbits, a)
            };
            l.bini(BinOp::And, r, mask)
        };
        let (rd, rn) = (i.rd as u32, i.rn as u32);
        if scalar {
            let a = self.fpreg(rn, f);
            let r = lane(self, a);
            self.set_v64(rd, r);
            return true;
        }
        let (alo, ahi) = (self.vlo(rn), self.vhi(rn));
        let mut chunks = vec![(alo, alo, alo)];
        if q {
            chunks.push((ahi, ahi, ahi));
        }
        let res = self.fp_lanes(f, &chunks, |l, a, _, _| lane(l, a));
        let hi = if q { res[1] } else { res[0] };
        self.set_vq(rd, res[0], hi, q);
        true
    }
}

/// The format of an FP `type` field (single, double; half is not
/// implemented).
fn fp_type(ty: u32) -> Option<FpFormat> {
    match ty {
        0 => Some(FpFormat::F32),
        1 => Some(FpFormat::F64),
        _ => None,
    }
}
