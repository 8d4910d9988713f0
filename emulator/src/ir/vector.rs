//! Vector (SIMD) ops of the IR and their reference semantics.
//!
//! One [`Op::Vec`](super::Op::Vec) computes a 64-bit chunk of a vector
//! result from up to three 64-bit chunks of operands, each seen as lanes of
//! `8 << esize` bits (lane 0 in the low bits). Wider vectors (aarch64's
//! 128-bit `q` registers) are pairs of chunks: lane-wise ops apply per
//! chunk, and the ops that move lanes across chunks (pairwise, narrowing,
//! widening, zips, table lookups) are shaped so that a frontend builds the
//! wide operation from a few chunk ops. Plain bitwise work (`and`, `bsl`,
//! `ext`, moves) needs no op here: frontends use integer ops.
//!
//! [`eval`] is the single definition of the semantics: the interpreter
//! calls it directly and the JIT through [`jit_helper`].

/// What a vector op computes; lanes are `8 << esize` bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VecOp {
    Add,
    Sub,
    Mul,
    /// All ones in lanes where `a == b`, else zero.
    CmpEq,
    /// Unsigned `a > b`.
    CmpHi,
    /// Unsigned `a >= b`.
    CmpHs,
    /// Signed `a > b`.
    CmpGt,
    /// Signed `a >= b`.
    CmpGe,
    /// All ones where `a & b != 0`.
    CmpTst,
    MaxU,
    MinU,
    MaxS,
    MinS,
    /// Unsigned absolute difference.
    AbdU,
    /// Signed absolute difference.
    AbdS,
    /// Unsigned halving add (`(a + b) >> 1` without overflow).
    HaddU,
    HaddS,
    /// Unsigned saturating add.
    QaddU,
    QaddS,
    QsubU,
    QsubS,
    Abs,
    Neg,
    /// Population count of each lane.
    Cnt,
    Clz,
    /// Count of leading bits equal to the sign bit, excluding it.
    Cls,
    /// Shift left by an immediate (less than the lane width).
    ShlImm(u8),
    /// Logical shift right by an immediate (1..=lane width).
    ShrUImm(u8),
    /// Arithmetic shift right by an immediate (1..=lane width).
    ShrSImm(u8),
    /// Shift by the signed low byte of each lane of `b`: left when
    /// positive, logical right when negative.
    ShlU,
    /// As `ShlU` with arithmetic right shifts.
    ShlS,
    /// Pairwise: sums of adjacent lane pairs of `a`, then of `b`.
    AddP,
    MaxPU,
    MinPU,
    MaxPS,
    MinPS,
    /// Across lanes of `a`: the result in lane 0, zero above.
    AddV,
    MaxVU,
    MinVU,
    MaxVS,
    MinVS,
    /// Narrowing shift: lanes of `2 × width` from `a` then `b`, shifted
    /// right by the immediate and truncated to lanes of `width`.
    NarrowShr(u8),
    /// As `NarrowShr`, rounding (adds half of the last bit shifted out).
    NarrowShrRound(u8),
    /// Widening: the lanes of the low (or, with `true`, high) 32 bits of
    /// `a`, zero-extended to twice their width.
    WidenU(bool),
    /// As `WidenU`, sign-extending.
    WidenS(bool),
    /// Interleave the lanes of the low 32 bits of `a` and `b`.
    ZipLo,
    /// Interleave the lanes of the high 32 bits of `a` and `b`.
    ZipHi,
    /// Even lanes of `a`, then even lanes of `b`.
    Uzp1,
    /// Odd lanes of `a`, then odd lanes of `b`.
    Uzp2,
    /// Even lanes of `a` interleaved with even lanes of `b`.
    Trn1,
    /// Odd lanes of `a` interleaved with odd lanes of `b`.
    Trn2,
    /// Reverse the lanes within each container of `1 << n` bytes.
    Rev(u8),
    /// One step of a table lookup: `a` accumulates; for each byte `j` of
    /// the index chunk `b` with `base <= b[j] < base + 8`, byte `j` of the
    /// result is byte `b[j] - base` of the table chunk `c`.
    TblStep(u8),
    /// Signed saturating doubling multiply returning the high half:
    /// `(2ab [+ 2^(width-1)]) >> width`, saturated (only `min × min`
    /// saturates).
    Qdmulh(SatMul),
    /// Shift by the signed low byte of each lane of `b` with
    /// [`SatShift`]'s rounding and saturation: left when positive, right
    /// when negative (`srshl`, `sqshl`, `uqrshl`, `sqshlu`; with a
    /// constant `b`, the shifts by immediate).
    Shift(SatShift),
    /// Narrowing shift right by `n`: lanes of `2 × width` from `a` then
    /// `b`, shifted (rounding, saturating) into lanes of `width`
    /// (`sqshrn`, `uqrshrn`, `sqshrun`, and `sqxtn` with `n` = 0).
    NarrowQ(u8, SatShift),
    /// Arm's unsigned reciprocal estimate of each (32-bit) lane
    /// (`urecpe`).
    RecipEstU,
    /// Arm's unsigned reciprocal square root estimate (`ursqrte`).
    RsqrtEstU,
    /// Polynomial (carry-less) multiply over GF(2), the product's low
    /// `width` bits (`pmul`; `pmull` on lanes widened first).
    Pmul,
    /// Signed lanes of `a` plus unsigned lanes of `b`, saturated to the
    /// signed range (`suqadd`).
    SuqAdd,
    /// Unsigned lanes of `a` plus signed lanes of `b`, saturated to the
    /// unsigned range (`usqadd`).
    UsqAdd,
}

/// Rounding and reporting of [`VecOp::Qdmulh`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SatMul {
    pub round: bool,
    /// Return a mask of the saturated lanes instead of the result.
    pub report: bool,
}

/// Where a shifted lane saturates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Saturate {
    /// No saturation: the result wraps to the lane width.
    Wrap,
    /// To the signed range of the result lane.
    Signed,
    /// To the unsigned range of the result lane.
    Unsigned,
}

/// How [`VecOp::Shift`] and [`VecOp::NarrowQ`] treat a lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SatShift {
    /// The source lanes are signed (right shifts are arithmetic).
    pub signed: bool,
    /// Right shifts round (add half of the last bit shifted out).
    pub round: bool,
    pub sat: Saturate,
    /// Return a mask of the saturated lanes (all ones where the result
    /// saturated) instead of the result: `FPSR.QC` comes from it.
    pub report: bool,
}

impl SatShift {
    const fn bits(self) -> u64 {
        let sat = match self.sat {
            Saturate::Wrap => 0,
            Saturate::Signed => 1,
            Saturate::Unsigned => 2,
        };
        self.signed as u64 | (self.round as u64) << 1 | sat << 2 | (self.report as u64) << 4
    }

    fn from_bits(b: u64) -> Option<SatShift> {
        let sat = match (b >> 2) & 3 {
            0 => Saturate::Wrap,
            1 => Saturate::Signed,
            2 => Saturate::Unsigned,
            _ => return None,
        };
        (b >> 5 == 0).then_some(SatShift {
            signed: b & 1 != 0,
            round: b & 2 != 0,
            sat,
            report: b & 16 != 0,
        })
    }
}

/// A vector op and its lane size (log2 of bytes, 0..=3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VecInsn {
    pub op: VecOp,
    pub esize: u8,
}

impl VecOp {
    fn tag_arg(self) -> (u64, u64) {
        use VecOp::*;
        match self {
            Add => (0, 0),
            Sub => (1, 0),
            Mul => (2, 0),
            CmpEq => (3, 0),
            CmpHi => (4, 0),
            CmpHs => (5, 0),
            CmpGt => (6, 0),
            CmpGe => (7, 0),
            CmpTst => (8, 0),
            MaxU => (9, 0),
            MinU => (10, 0),
            MaxS => (11, 0),
            MinS => (12, 0),
            AbdU => (13, 0),
            AbdS => (14, 0),
            HaddU => (15, 0),
            HaddS => (16, 0),
            QaddU => (17, 0),
            QaddS => (18, 0),
            QsubU => (19, 0),
            QsubS => (20, 0),
            Abs => (21, 0),
            Neg => (22, 0),
            Cnt => (23, 0),
            Clz => (24, 0),
            Cls => (25, 0),
            ShlImm(n) => (26, n as u64),
            ShrUImm(n) => (27, n as u64),
            ShrSImm(n) => (28, n as u64),
            ShlU => (29, 0),
            ShlS => (30, 0),
            AddP => (31, 0),
            MaxPU => (32, 0),
            MinPU => (33, 0),
            MaxPS => (34, 0),
            MinPS => (35, 0),
            AddV => (36, 0),
            MaxVU => (37, 0),
            MinVU => (38, 0),
            MaxVS => (39, 0),
            MinVS => (40, 0),
            NarrowShr(n) => (41, n as u64),
            NarrowShrRound(n) => (42, n as u64),
            WidenU(h) => (43, h as u64),
            WidenS(h) => (44, h as u64),
            ZipLo => (45, 0),
            ZipHi => (46, 0),
            Uzp1 => (47, 0),
            Uzp2 => (48, 0),
            Trn1 => (49, 0),
            Trn2 => (50, 0),
            Rev(n) => (51, n as u64),
            TblStep(n) => (52, n as u64),
            Qdmulh(m) => (53, m.round as u64 | (m.report as u64) << 1),
            Shift(s) => (54, s.bits()),
            NarrowQ(n, s) => (55, n as u64 | s.bits() << 8),
            RecipEstU => (56, 0),
            RsqrtEstU => (57, 0),
            Pmul => (58, 0),
            SuqAdd => (59, 0),
            UsqAdd => (60, 0),
        }
    }

    fn from_tag(tag: u64, arg: u64) -> Option<VecOp> {
        use VecOp::*;
        const PLAIN: [VecOp; 26] = [
            Add, Sub, Mul, CmpEq, CmpHi, CmpHs, CmpGt, CmpGe, CmpTst, MaxU, MinU, MaxS, MinS, AbdU,
            AbdS, HaddU, HaddS, QaddU, QaddS, QsubU, QsubS, Abs, Neg, Cnt, Clz, Cls,
        ];
        const PAIR: [VecOp; 20] = [
            ShlU, ShlS, AddP, MaxPU, MinPU, MaxPS, MinPS, AddV, MaxVU, MinVU, MaxVS, MinVS, ShlU,
            ShlU, ShlU, ShlU, ZipLo, ZipHi, Uzp1, Uzp2,
        ];
        let n = arg as u8;
        Some(match tag {
            0..=25 => PLAIN[tag as usize],
            26 => ShlImm(n),
            27 => ShrUImm(n),
            28 => ShrSImm(n),
            29..=40 | 45..=48 => PAIR[tag as usize - 29],
            41 => NarrowShr(n),
            42 => NarrowShrRound(n),
            43 => WidenU(arg != 0),
            44 => WidenS(arg != 0),
            49 => Trn1,
            50 => Trn2,
            51 => Rev(n),
            52 => TblStep(n),
            53 if arg < 4 => Qdmulh(SatMul { round: arg & 1 != 0, report: arg & 2 != 0 }),
            54 => Shift(SatShift::from_bits(arg)?),
            55 => NarrowQ(n, SatShift::from_bits(arg >> 8)?),
            56 => RecipEstU,
            57 => RsqrtEstU,
            58 => Pmul,
            59 => SuqAdd,
            60 => UsqAdd,
            _ => return None,
        })
    }
}

impl VecInsn {
    /// A lossless encoding in one word (see [`VecInsn::unpack`]).
    pub fn pack(self) -> u64 {
        let (tag, arg) = self.op.tag_arg();
        tag | arg << 8 | (self.esize as u64) << 24
    }

    /// Inverse of [`VecInsn::pack`]; `None` for a word it never produces.
    pub fn unpack(w: u64) -> Option<VecInsn> {
        let esize = (w >> 24) as u8;
        if esize > 3 || w >> 27 != 0 {
            return None;
        }
        let op = VecOp::from_tag(w & 0xff, (w >> 8) & 0xffff)?;
        let v = VecInsn { op, esize };
        (v.pack() == w).then_some(v)
    }
}

/// Lane geometry of one chunk.
#[derive(Clone, Copy)]
struct Lanes {
    bits: u32,
    n: u32,
    mask: u64,
}

impl Lanes {
    fn new(esize: u8) -> Lanes {
        let bits = 8u32 << esize.min(3);
        Lanes { bits, n: 64 / bits, mask: if bits == 64 { u64::MAX } else { (1 << bits) - 1 } }
    }
    fn get(self, v: u64, i: u32) -> u64 {
        (v >> (i * self.bits)) & self.mask
    }
    fn sget(self, v: u64, i: u32) -> i64 {
        let s = 64 - self.bits;
        ((self.get(v, i) << s) as i64) >> s
    }
    fn put(self, acc: u64, i: u32, x: u64) -> u64 {
        acc | ((x & self.mask) << (i * self.bits))
    }
    fn smax(self) -> i64 {
        (self.mask >> 1) as i64
    }
    fn smin(self) -> i64 {
        -self.smax() - 1
    }
    /// Lane-wise map over `a` and `b`.
    fn map(self, a: u64, b: u64, f: impl Fn(u64, u64) -> u64) -> u64 {
        (0..self.n).fold(0, |acc, i| self.put(acc, i, f(self.get(a, i), self.get(b, i))))
    }
    /// Lane-wise map over signed lanes.
    fn smap(self, a: u64, b: u64, f: impl Fn(i64, i64) -> i64) -> u64 {
        (0..self.n).fold(0, |acc, i| self.put(acc, i, f(self.sget(a, i), self.sget(b, i)) as u64))
    }
    /// Pairwise over the lanes of `a` then `b`.
    fn pairs(self, a: u64, b: u64, f: impl Fn(u64, u64) -> u64) -> u64 {
        if self.n == 1 {
            // One 64-bit lane per chunk: the pair is `a`, `b`.
            return f(a, b);
        }
        let h = self.n / 2;
        (0..self.n).fold(0, |acc, i| {
            let src = if i < h { a } else { b };
            let j = (i % h) * 2;
            self.put(acc, i, f(self.get(src, j), self.get(src, j + 1)))
        })
    }
    fn all(self, c: bool) -> u64 {
        if c { self.mask } else { 0 }
    }
}

/// Shift of one lane by a signed amount (the low byte of `amt`).
fn shift_lane(l: Lanes, x: u64, amt: u64, signed: bool) -> u64 {
    let sh = amt as u8 as i8 as i64;
    let bits = l.bits as i64;
    if sh >= 0 {
        if sh >= bits { 0 } else { x << sh }
    } else {
        let r = -sh;
        let sx = l.sget(x, 0);
        match (signed, r >= bits) {
            (true, true) => (sx >> 63) as u64,
            (true, false) => (sx >> r) as u64,
            (false, true) => 0,
            (false, false) => x >> r,
        }
    }
}

/// `v` saturated to a lane of `bits` as `sat` says; the flag tells
/// whether it saturated.
fn saturate(v: i128, bits: u32, sat: Saturate) -> (u64, bool) {
    let (lo, hi) = match sat {
        Saturate::Wrap => return (v as u64, false),
        Saturate::Signed => (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1),
        Saturate::Unsigned => (0, (1i128 << bits) - 1),
    };
    (v.clamp(lo, hi) as u64, v < lo || v > hi)
}

/// One lane of [`VecOp::Shift`]: `x` (a lane of `l`) shifted by the
/// signed byte `amt`, then saturated to the lane; the flag tells whether
/// it saturated.
fn sat_shift_lane(l: Lanes, x: u64, amt: u64, m: SatShift) -> (u64, bool) {
    let v: i128 = if m.signed { l.sget(x, 0) as i128 } else { l.get(x, 0) as i128 };
    let sh = amt as u8 as i8 as i32;
    let bits = l.bits as i32;
    let r = if sh >= 0 {
        if v == 0 {
            0
        } else if sh >= bits {
            // Every bit leaves the lane: a wrapped result is zero, a
            // saturated one is the bound on v's side.
            if m.sat == Saturate::Wrap {
                return (0, false);
            }
            if v < 0 { -(1i128 << 100) } else { 1i128 << 100 }
        } else {
            // |v| < 2^64 and sh < 64: fits in an i128.
            v << sh
        }
    } else {
        let n = -sh;
        if n > 65 {
            // (v + 2^(n-1)) >> n is 0 for |v| < 2^64; unrounded, the sign.
            if m.round { 0 } else { v >> 127 }
        } else if m.round {
            (v + (1i128 << (n - 1))) >> n
        } else {
            v >> n
        }
    };
    let (r, s) = saturate(r, l.bits, m.sat);
    (r & l.mask, s)
}

/// Evaluate one vector op on 64-bit chunks.
pub fn eval(insn: VecInsn, a: u64, b: u64, c: u64) -> u64 {
    use VecOp::*;
    let l = Lanes::new(insn.esize);
    let bits = l.bits;
    match insn.op {
        Add => l.map(a, b, u64::wrapping_add),
        Sub => l.map(a, b, u64::wrapping_sub),
        Mul => l.map(a, b, u64::wrapping_mul),
        CmpEq => l.map(a, b, |x, y| l.all(x == y)),
        CmpHi => l.map(a, b, |x, y| l.all(x > y)),
        CmpHs => l.map(a, b, |x, y| l.all(x >= y)),
        CmpGt => l.smap(a, b, |x, y| l.all(x > y) as i64),
        CmpGe => l.smap(a, b, |x, y| l.all(x >= y) as i64),
        CmpTst => l.map(a, b, |x, y| l.all(x & y != 0)),
        MaxU => l.map(a, b, u64::max),
        MinU => l.map(a, b, u64::min),
        MaxS => l.smap(a, b, i64::max),
        MinS => l.smap(a, b, i64::min),
        AbdU => l.map(a, b, |x, y| x.abs_diff(y)),
        AbdS => l.smap(a, b, |x, y| x.abs_diff(y) as i64),
        HaddU => l.map(a, b, |x, y| ((x as u128 + y as u128) >> 1) as u64),
        HaddS => l.smap(a, b, |x, y| ((x as i128 + y as i128) >> 1) as i64),
        QaddU => l.map(a, b, |x, y| (x as u128 + y as u128).min(l.mask as u128) as u64),
        QsubU => l.map(a, b, |x, y| x.saturating_sub(y)),
        QaddS => l.smap(a, b, |x, y| {
            (x as i128 + y as i128).clamp(l.smin() as i128, l.smax() as i128) as i64
        }),
        QsubS => l.smap(a, b, |x, y| {
            (x as i128 - y as i128).clamp(l.smin() as i128, l.smax() as i128) as i64
        }),
        Abs => l.smap(a, 0, |x, _| x.wrapping_abs()),
        Neg => l.map(a, 0, |x, _| x.wrapping_neg()),
        Cnt => l.map(a, 0, |x, _| x.count_ones() as u64),
        Clz => l.map(a, 0, |x, _| (x.leading_zeros() - (64 - bits)) as u64),
        Cls => l.smap(a, 0, |x, _| {
            let v = if x < 0 { !x } else { x };
            (v.leading_zeros() as i64) - (64 - bits as i64) - 1
        }),
        ShlImm(n) => l.map(a, 0, |x, _| if n as u32 >= bits { 0 } else { x << n }),
        ShrUImm(n) => l.map(a, 0, |x, _| if n as u32 >= bits { 0 } else { x >> n }),
        ShrSImm(n) => l.smap(a, 0, |x, _| x >> (n as u32).min(63)),
        ShlU => l.map(a, b, |x, y| shift_lane(l, x, y, false)),
        ShlS => l.map(a, b, |x, y| shift_lane(l, x, y, true)),
        AddP => l.pairs(a, b, u64::wrapping_add),
        MaxPU => l.pairs(a, b, u64::max),
        MinPU => l.pairs(a, b, u64::min),
        MaxPS => l.pairs(a, b, |x, y| {
            let (sx, sy) = (l.sget(x, 0), l.sget(y, 0));
            sx.max(sy) as u64
        }),
        MinPS => l.pairs(a, b, |x, y| {
            let (sx, sy) = (l.sget(x, 0), l.sget(y, 0));
            sx.min(sy) as u64
        }),
        AddV => (0..l.n).fold(0u64, |s, i| s.wrapping_add(l.get(a, i))) & l.mask,
        MaxVU => (0..l.n).map(|i| l.get(a, i)).max().unwrap_or(0),
        MinVU => (0..l.n).map(|i| l.get(a, i)).min().unwrap_or(0),
        MaxVS => (0..l.n).map(|i| l.sget(a, i)).max().unwrap_or(0) as u64 & l.mask,
        MinVS => (0..l.n).map(|i| l.sget(a, i)).min().unwrap_or(0) as u64 & l.mask,
        NarrowShr(n) | NarrowShrRound(n) => {
            // Source lanes are twice as wide; esize < 3 by construction.
            let w = Lanes::new(insn.esize + 1);
            let round = matches!(insn.op, NarrowShrRound(_)) && n > 0;
            (0..l.n).fold(0, |acc, i| {
                let src = if i < w.n { a } else { b };
                let x = w.get(src, i % w.n) as u128;
                let x = if round { x + (1u128 << (n - 1)) } else { x };
                l.put(acc, i, (x >> n) as u64)
            })
        }
        WidenU(hi) | WidenS(hi) => {
            let w = Lanes::new(insn.esize + 1);
            let signed = matches!(insn.op, WidenS(_));
            let base = if hi { w.n } else { 0 };
            (0..w.n).fold(0, |acc, i| {
                let x = if signed { l.sget(a, base + i) as u64 } else { l.get(a, base + i) };
                w.put(acc, i, x)
            })
        }
        ZipLo | ZipHi => {
            let base = if insn.op == ZipHi { l.n / 2 } else { 0 };
            (0..l.n).fold(0, |acc, i| {
                let src = if i % 2 == 0 { a } else { b };
                l.put(acc, i, l.get(src, base + i / 2))
            })
        }
        Uzp1 | Uzp2 => {
            let odd = insn.op == Uzp2;
            if l.n == 1 {
                // One 64-bit lane per chunk: lane 0 of `a` is even.
                return if odd { b } else { a };
            }
            let h = l.n / 2;
            (0..l.n).fold(0, |acc, i| {
                let src = if i < h { a } else { b };
                l.put(acc, i, l.get(src, (i % h) * 2 + odd as u32))
            })
        }
        Trn1 | Trn2 => {
            let odd = (insn.op == Trn2) as u32;
            (0..l.n).fold(0, |acc, i| {
                let src = if i % 2 == 0 { a } else { b };
                l.put(acc, i, l.get(src, (i & !1) + odd))
            })
        }
        Rev(n) => {
            let per = (1u32 << n) / (bits / 8);
            (0..l.n).fold(0, |acc, i| {
                let j = (i / per) * per + (per - 1 - i % per);
                l.put(acc, i, l.get(a, j))
            })
        }
        Qdmulh(m) => l.map(a, b, |x, y| {
            let (x, y) = (l.sget(x, 0) as i128, l.sget(y, 0) as i128);
            let round = if m.round { 1i128 << (bits - 1) } else { 0 };
            let (r, s) = saturate((2 * x * y + round) >> bits, bits, Saturate::Signed);
            if m.report { l.all(s) } else { r }
        }),
        Shift(m) => l.map(a, b, |x, y| {
            let (r, s) = sat_shift_lane(l, x, y, m);
            if m.report { l.all(s) } else { r }
        }),
        NarrowQ(n, m) => {
            // Source lanes are twice as wide; esize < 3 by construction.
            let w = Lanes::new(insn.esize + 1);
            (0..l.n).fold(0, |acc, i| {
                let src = if i < w.n { a } else { b };
                let x = w.get(src, i % w.n);
                let amt = (-(n as i32)) as u8 as u64;
                let (v, _) = sat_shift_lane(w, x, amt, SatShift { sat: Saturate::Wrap, ..m });
                // The shifted value, exactly, before narrowing.
                let v = if m.signed { w.sget(v, 0) as i128 } else { v as i128 };
                let (r, s) = saturate(v, bits, m.sat);
                l.put(acc, i, if m.report { l.all(s) } else { r })
            })
        }
        // 32-bit lanes: the estimate of the fixed-point value 0.x.
        RecipEstU => l.map(a, 0, |x, _| {
            if x >> (bits - 1) == 0 {
                l.mask
            } else {
                super::float::recip_estimate(x >> (bits - 9)) << (bits - 9)
            }
        }),
        RsqrtEstU => l.map(a, 0, |x, _| {
            if x >> (bits - 2) == 0 {
                l.mask
            } else {
                super::float::rsqrt_estimate(x >> (bits - 9)) << (bits - 9)
            }
        }),
        Pmul => l.map(a, b, |x, y| {
            (0..bits).filter(|i| y >> i & 1 != 0).fold(0, |acc, i| acc ^ x << i) & l.mask
        }),
        SuqAdd => l.map(a, b, |x, y| {
            let s = 64 - bits;
            let sum = (((x << s) as i64) >> s) as i128 + y as i128;
            sum.clamp(l.smin() as i128, l.smax() as i128) as u64 & l.mask
        }),
        UsqAdd => l.map(a, b, |x, y| {
            let s = 64 - bits;
            let sum = x as i128 + (((y << s) as i64) >> s) as i128;
            sum.clamp(0, l.mask as i128) as u64
        }),
        TblStep(base) => (0..8).fold(0, |acc, j| {
            let idx = (b >> (j * 8)) & 0xff;
            let byte = if idx >= base as u64 && idx < base as u64 + 8 {
                (c >> ((idx - base as u64) * 8)) & 0xff
            } else {
                (a >> (j * 8)) & 0xff
            };
            acc | byte << (j * 8)
        }),
    }
}

/// What the JIT calls for a vector op: `desc` is [`VecInsn::pack`].
pub extern "C" fn jit_helper(desc: u64, a: u64, b: u64, c: u64) -> u64 {
    // The JIT only passes words made by `pack`.
    let insn = VecInsn::unpack(desc).expect("descriptor made by VecInsn::pack");
    eval(insn, a, b, c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(op: VecOp, esize: u8) -> VecInsn {
        VecInsn { op, esize }
    }

    #[test]
    fn pack_round_trips() {
        for tag in 0..64u64 {
            for arg in [0u64, 1, 3, 8] {
                if let Some(op) = VecOp::from_tag(tag, arg) {
                    for esize in 0..4 {
                        let i = v(op, esize);
                        assert_eq!(VecInsn::unpack(i.pack()), Some(i), "{i:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn lane_ops() {
        assert_eq!(eval(v(VecOp::CmpEq, 0), 0x0011_2233, 0x0011_0033, 0), 0xffff_ffff_ffff_00ff);
        assert_eq!(eval(v(VecOp::AddP, 0), 0x0201, 0x0403, 0), 0x0000_0007_0000_0003);
        assert_eq!(eval(v(VecOp::MaxVU, 0), 0x0102_f304, 0, 0), 0xf3);
        assert_eq!(eval(v(VecOp::NarrowShr(4), 0), 0x00f0_0ff0, 0x1234, 0), 0x23_0000_0fff);
        assert_eq!(eval(v(VecOp::Rev(3), 0), 0x0102_0304_0506_0708, 0, 0), 0x0807_0605_0403_0201);
        assert_eq!(eval(v(VecOp::ShlS, 1), 0x8000, 0xffff, 0), 0xc000);
        assert_eq!(
            eval(v(VecOp::Uzp1, 0), 0x0706_0504_0302_0100, 0x0f0e_0d0c_0b0a_0908, 0),
            0x0e0c_0a08_0604_0200
        );
        assert_eq!(eval(v(VecOp::TblStep(8), 0), 0, 0x09_08_00, 0x2211), 0x22_1100);
        assert_eq!(eval(v(VecOp::Cls, 0), 0xff, 0, 0), 0x0707_0707_0707_0707);
        // 0b111 * 0b111 = 0b10101 over GF(2); 0xff * 0xff keeps 8 bits.
        assert_eq!(eval(v(VecOp::Pmul, 0), 0x07ff, 0x07ff, 0), 0x1555);
        assert_eq!(eval(v(VecOp::Pmul, 1), 0x00ff, 0x00ff, 0), 0x5555);
        // -1 + 5 and 100 + 200 (signed 8-bit: 127); 200 + -100 and
        // 10 + -100 (unsigned: 0).
        assert_eq!(eval(v(VecOp::SuqAdd, 0), 0x64ff, 0xc805, 0), 0x7f04);
        assert_eq!(eval(v(VecOp::UsqAdd, 0), 0x0ac8, 0x9c9c, 0), 0x0064);
    }

    #[test]
    fn saturating_ops() {
        let dmulh = |round, report| VecOp::Qdmulh(SatMul { round, report });
        // min × min saturates; 0x4000 × 0x4000 doubled is 0x2000 high.
        assert_eq!(eval(v(dmulh(false, false), 1), 0x4000_8000, 0x4000_8000, 0), 0x2000_7fff);
        assert_eq!(eval(v(dmulh(false, true), 1), 0x4000_8000, 0x4000_8000, 0), 0xffff);
        let m = |signed, round, sat| SatShift { signed, round, sat, report: false };
        // sqshl by 1 of 0x40 saturates; by -1 of 0xff (-1) is -1.
        let sq = v(VecOp::Shift(m(true, false, Saturate::Signed)), 0);
        assert_eq!(eval(sq, 0xff40, 0xff01, 0), 0xff7f);
        // urshl by -1 rounds 3 up to 2; sqshlu of a negative is zero.
        assert_eq!(eval(v(VecOp::Shift(m(false, true, Saturate::Wrap)), 0), 3, 0xff, 0), 2);
        assert_eq!(eval(v(VecOp::Shift(m(true, false, Saturate::Unsigned)), 0), 0x80, 1, 0), 0);
        // sqshrun #1 of 0x8000 (negative) and 0x01fe: 0 and 0xff.
        let n = v(VecOp::NarrowQ(1, m(true, false, Saturate::Unsigned)), 0);
        assert_eq!(eval(n, 0x01fe_8000, 0, 0), 0xff00);
        assert_eq!(
            eval(v(VecOp::RecipEstU, 2), 0x8000_0000_7fff_ffff, 0, 0),
            0xff80_0000_ffff_ffff
        );
    }
}
