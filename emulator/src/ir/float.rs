//! Floating-point ops of the IR and their reference semantics.
//!
//! One [`Op::Fp`](super::Op::Fp) carries an [`FpInsn`]: the operation, the
//! format (f32, f64) and the guest's [`FpRules`] (NaN propagation, NaN
//! encoding, tininess detection), so nothing here knows a particular ISA.
//! Values travel as raw bits in 64-bit temporaries (an f32 in the low 32
//! bits, the upper ones zero on output, ignored on input); frontends do
//! their own boxing (riscv64 NaN-boxing) and sign-bit operations (`fneg`,
//! `fsgnj`) with integer ops. Exception flags are accumulated (ORed) into
//! a guest slot in the IR's own encoding ([`flags`]).
//!
//! [`eval`] is the single definition of the semantics: the interpreter
//! calls it directly and the JIT calls it through [`jit_helper`]. NaN
//! operands, invalid integer conversions, `min`/`max`, comparisons and
//! classification are decided here by the rules; the correctly rounded
//! arithmetic on non-NaN operands is Berkeley SoftFloat 3 (`softfloat-sys`),
//! whose rounding mode, tininess mode and flags are thread-local and set
//! for every call.

use softfloat_sys as sf;

use super::Width;

/// A floating-point format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FpFormat {
    F32,
    F64,
}

/// IEEE 754 rounding-direction attributes, numbered as an op's rounding
/// temporary holds them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RoundingMode {
    NearestEven = 0,
    TowardZero = 1,
    Down = 2,
    Up = 3,
    NearestAway = 4,
    /// Round to odd: toward zero, then the last bit set when the result
    /// is inexact (aarch64 `fcvtxn`, so that a second rounding to a
    /// narrower format is correct).
    Odd = 5,
}

impl RoundingMode {
    /// The mode numbered `v`; values past 5 read as `NearestEven` (the op
    /// is total; frontends trap on reserved modes before the op runs).
    pub const fn from_bits(v: u64) -> RoundingMode {
        match v {
            1 => RoundingMode::TowardZero,
            2 => RoundingMode::Down,
            3 => RoundingMode::Up,
            4 => RoundingMode::NearestAway,
            5 => RoundingMode::Odd,
            _ => RoundingMode::NearestEven,
        }
    }
}

/// Exception flag bits as the IR accumulates them.
pub mod flags {
    pub const INEXACT: u64 = 1;
    pub const UNDERFLOW: u64 = 2;
    pub const OVERFLOW: u64 = 4;
    pub const DIV_BY_ZERO: u64 = 8;
    pub const INVALID: u64 = 16;
    /// A subnormal operand was read as zero (only under
    /// [`FLUSH_TO_ZERO`](super::FLUSH_TO_ZERO): aarch64 `FPSR.IDC`).
    pub const INPUT_DENORMAL: u64 = 32;
}

/// Which NaN an operation with NaN operands returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NanPropagation {
    /// Always the default NaN (riscv64, aarch64 with `FPCR.DN`).
    Default,
    /// The first signaling NaN operand, else the first NaN operand,
    /// quieted (aarch64 without `FPCR.DN`, mips 2008).
    SignalingFirst,
    /// The first NaN operand in operand order, quieted (powerpc64).
    FirstOperand,
}

/// How the quiet bit (the mantissa's top bit) is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NanEncoding {
    /// IEEE 754-2008: set means quiet. Default NaN `0x7fc00000` /
    /// `0x7ff8000000000000`.
    Ieee2008,
    /// Legacy mips: set means signaling. Default NaN `0x7fbfffff` /
    /// `0x7ff7ffffffffffff`; a signaling NaN quiets to the default NaN.
    Legacy,
}

/// When a tiny result is detected for the underflow flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tininess {
    AfterRounding,
    BeforeRounding,
}

/// A guest's fixed floating-point conventions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FpRules {
    pub nan: NanPropagation,
    pub encoding: NanEncoding,
    pub tininess: Tininess,
}

/// Flavour of `min`/`max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MinMax {
    /// IEEE 754-2019 `minimumNumber`/`maximumNumber`: a NaN operand loses
    /// to a number; two NaNs give a NaN by the rules. A signaling NaN
    /// operand raises invalid.
    Number,
    /// IEEE 754-2019 `minimum`/`maximum`: a NaN operand gives a NaN.
    Propagate,
    /// IEEE 754-2008 `minNum`/`maxNum` as aarch64's `fminnm`/`fmaxnm`: a
    /// quiet NaN loses to a number, but a signaling NaN operand gives a
    /// NaN by the rules (and raises invalid).
    NumberQuietOnly,
}

/// Comparison predicate; the result is 0 or 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FpCond {
    Eq,
    Lt,
    Le,
    Unordered,
}

/// The result of a float-to-integer conversion of a NaN. Out-of-range
/// numbers saturate to the nearer bound, with invalid raised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IntNan {
    Max,
    Min,
    Zero,
}

/// A floating-point operation. Operands are `a`, `b`, `c` of the op; the
/// format is [`FpInsn::fmt`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FpOp {
    Add,
    Sub,
    Mul,
    /// `Mul`, except that infinity times zero is 2 with the sign of the
    /// product, and raises nothing (aarch64 `fmulx`).
    MulX,
    Div,
    Sqrt,
    /// `a * b + c` with one rounding.
    MulAdd,
    /// `a + b * c` with one rounding: `MulAdd` with the addend first in
    /// NaN propagation order (aarch64 `fmadd`).
    AddMul,
    /// `a` rounded to an integral value in the op's format; `exact`
    /// raises inexact when the value changes (`frintx`), otherwise no
    /// flag but invalid for a signaling NaN.
    RoundInt {
        exact: bool,
    },
    Min(MinMax),
    Max(MinMax),
    /// Compare `a` with `b`; `signaling` raises invalid for quiet NaNs too.
    Cmp {
        cond: FpCond,
        signaling: bool,
    },
    /// Class of `a` as an index: 0 −inf, 1 −normal, 2 −subnormal, 3 −0,
    /// 4 +0, 5 +subnormal, 6 +normal, 7 +inf, 8 signaling NaN, 9 quiet NaN.
    Class,
    /// `a` to an integer of `width` (32 or 64); a 32-bit result is
    /// sign-extended from bit 31 whatever its signedness.
    ToInt {
        width: Width,
        signed: bool,
        nan: IntNan,
    },
    /// The integer in the low `width` bits of `a` to the op's format.
    FromInt {
        width: Width,
        signed: bool,
    },
    /// `a` from the op's format to `to`.
    Convert {
        to: FpFormat,
    },
    /// Arm's reciprocal estimate of `a` (`frecpe`: 8 bits, from Arm's
    /// `RecipEstimate`).
    RecipEst,
    /// Arm's reciprocal square root estimate of `a` (`frsqrte`).
    RsqrtEst,
    /// `2 - a * b` with one rounding; infinity times zero gives 2 with no
    /// flag (`frecps`).
    RecipStep,
    /// `(3 - a * b) / 2` with one rounding; infinity times zero gives 1.5
    /// with no flag (`frsqrts`).
    RsqrtStep,
    /// Arm's reciprocal exponent of `a` (`frecpx`): the exponent field
    /// inverted, the fraction cleared.
    RecpX,
    /// `a` (in the op's format) to half precision: IEEE binary16, or with
    /// `ahp` Arm's alternative half precision (no infinities or NaNs, the
    /// top exponent is a normal one; a NaN gives zero and an infinity or
    /// overflow the largest number, both raising invalid).
    ToHalf {
        ahp: bool,
    },
    /// The half-precision value in the low 16 bits of `a` (IEEE or, with
    /// `ahp`, alternative) to the op's format; exact.
    FromHalf {
        ahp: bool,
    },
}

/// Everything static about a floating-point op.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FpInsn {
    pub op: FpOp,
    pub fmt: FpFormat,
    pub rules: FpRules,
}

impl FpOp {
    /// How many of the operands `a`, `b`, `c` the op reads.
    pub const fn arity(self) -> usize {
        match self {
            FpOp::Sqrt
            | FpOp::Class
            | FpOp::ToInt { .. }
            | FpOp::FromInt { .. }
            | FpOp::Convert { .. }
            | FpOp::RoundInt { .. }
            | FpOp::RecipEst
            | FpOp::RsqrtEst
            | FpOp::RecpX
            | FpOp::ToHalf { .. }
            | FpOp::FromHalf { .. } => 1,
            FpOp::MulAdd | FpOp::AddMul => 3,
            _ => 2,
        }
    }

    /// Whether the result depends on the rounding mode.
    pub const fn rounds(self) -> bool {
        !matches!(self, FpOp::Min(_) | FpOp::Max(_) | FpOp::Cmp { .. } | FpOp::Class)
    }
}

// ---- Packing into one word, for the JIT's helper call. ----

const fn width_code(w: Width) -> u64 {
    match w {
        Width::W32 => 0,
        _ => 1,
    }
}

const fn width_from(c: u64) -> Width {
    if c == 0 { Width::W32 } else { Width::W64 }
}

impl FpInsn {
    /// A lossless encoding in one word (see [`FpInsn::unpack`]).
    pub const fn pack(self) -> u64 {
        let (tag, arg): (u64, u64) = match self.op {
            FpOp::Add => (0, 0),
            FpOp::Sub => (1, 0),
            FpOp::Mul => (2, 0),
            FpOp::Div => (3, 0),
            FpOp::Sqrt => (4, 0),
            FpOp::MulAdd => (5, 0),
            FpOp::Min(k) => (6, k as u64),
            FpOp::Max(k) => (7, k as u64),
            FpOp::Cmp { cond, signaling } => (8, cond as u64 | (signaling as u64) << 2),
            FpOp::Class => (9, 0),
            FpOp::ToInt { width, signed, nan } => {
                (10, width_code(width) | (signed as u64) << 1 | (nan as u64) << 2)
            }
            FpOp::FromInt { width, signed } => (11, width_code(width) | (signed as u64) << 1),
            FpOp::Convert { to } => (12, to as u64),
            FpOp::AddMul => (13, 0),
            FpOp::RoundInt { exact } => (14, exact as u64),
            FpOp::MulX => (15, 0),
            FpOp::RecipEst => (16, 0),
            FpOp::RsqrtEst => (17, 0),
            FpOp::RecipStep => (18, 0),
            FpOp::RsqrtStep => (19, 0),
            FpOp::RecpX => (20, 0),
            FpOp::ToHalf { ahp } => (21, ahp as u64),
            FpOp::FromHalf { ahp } => (22, ahp as u64),
        };
        tag | arg << 8
            | (self.fmt as u64) << 16
            | (self.rules.nan as u64) << 20
            | (self.rules.encoding as u64) << 24
            | (self.rules.tininess as u64) << 28
    }

    /// Inverse of [`FpInsn::pack`]; `None` for a word it never produces.
    pub fn unpack(w: u64) -> Option<FpInsn> {
        let arg = (w >> 8) & 0xff;
        let minmax = |a| match a {
            0 => Some(MinMax::Number),
            1 => Some(MinMax::Propagate),
            2 => Some(MinMax::NumberQuietOnly),
            _ => None,
        };
        let fmt = |a| match a {
            0 => Some(FpFormat::F32),
            1 => Some(FpFormat::F64),
            _ => None,
        };
        let op = match w & 0xff {
            0 => FpOp::Add,
            1 => FpOp::Sub,
            2 => FpOp::Mul,
            3 => FpOp::Div,
            4 => FpOp::Sqrt,
            5 => FpOp::MulAdd,
            6 => FpOp::Min(minmax(arg)?),
            7 => FpOp::Max(minmax(arg)?),
            8 => FpOp::Cmp {
                cond: [FpCond::Eq, FpCond::Lt, FpCond::Le, FpCond::Unordered][(arg & 3) as usize],
                signaling: arg & 4 != 0,
            },
            9 => FpOp::Class,
            10 => FpOp::ToInt {
                width: width_from(arg & 1),
                signed: arg & 2 != 0,
                nan: match arg >> 2 {
                    0 => IntNan::Max,
                    1 => IntNan::Min,
                    2 => IntNan::Zero,
                    _ => return None,
                },
            },
            11 => FpOp::FromInt { width: width_from(arg & 1), signed: arg & 2 != 0 },
            12 => FpOp::Convert { to: fmt(arg)? },
            13 => FpOp::AddMul,
            14 => FpOp::RoundInt { exact: arg != 0 },
            15 => FpOp::MulX,
            16 => FpOp::RecipEst,
            17 => FpOp::RsqrtEst,
            18 => FpOp::RecipStep,
            19 => FpOp::RsqrtStep,
            20 => FpOp::RecpX,
            21 => FpOp::ToHalf { ahp: arg != 0 },
            22 => FpOp::FromHalf { ahp: arg != 0 },
            _ => return None,
        };
        let rules = FpRules {
            nan: match (w >> 20) & 0xf {
                0 => NanPropagation::Default,
                1 => NanPropagation::SignalingFirst,
                2 => NanPropagation::FirstOperand,
                _ => return None,
            },
            encoding: match (w >> 24) & 0xf {
                0 => NanEncoding::Ieee2008,
                1 => NanEncoding::Legacy,
                _ => return None,
            },
            tininess: match (w >> 28) & 0xf {
                0 => Tininess::AfterRounding,
                1 => Tininess::BeforeRounding,
                _ => return None,
            },
        };
        Some(FpInsn { op, fmt: fmt((w >> 16) & 0xf)?, rules })
    }
}

// ---- Bit-level facts of the formats. ----

impl FpFormat {
    const fn bits(self) -> u32 {
        match self {
            FpFormat::F32 => 32,
            FpFormat::F64 => 64,
        }
    }
    const fn mant_bits(self) -> u32 {
        match self {
            FpFormat::F32 => 23,
            FpFormat::F64 => 52,
        }
    }
    const fn sign(self) -> u64 {
        1 << (self.bits() - 1)
    }
    const fn exp_mask(self) -> u64 {
        match self {
            FpFormat::F32 => 0x7f80_0000,
            FpFormat::F64 => 0x7ff0_0000_0000_0000,
        }
    }
    const fn mant_mask(self) -> u64 {
        (1 << self.mant_bits()) - 1
    }
    const fn quiet_bit(self) -> u64 {
        1 << (self.mant_bits() - 1)
    }
    /// The value's bits with everything above the format cleared.
    const fn clip(self, v: u64) -> u64 {
        match self {
            FpFormat::F32 => v & 0xffff_ffff,
            FpFormat::F64 => v,
        }
    }
    const fn is_nan(self, v: u64) -> bool {
        v & self.exp_mask() == self.exp_mask() && v & self.mant_mask() != 0
    }
    const fn is_inf(self, v: u64) -> bool {
        v & !self.sign() & (self.exp_mask() | self.mant_mask()) == self.exp_mask()
    }
    const fn is_subnormal(self, v: u64) -> bool {
        v & self.exp_mask() == 0 && v & self.mant_mask() != 0
    }
    const fn is_zero(self, v: u64) -> bool {
        v & !self.sign() & (self.exp_mask() | self.mant_mask()) == 0
    }
}

impl FpRules {
    fn is_snan(self, f: FpFormat, v: u64) -> bool {
        f.is_nan(v)
            && match self.encoding {
                NanEncoding::Ieee2008 => v & f.quiet_bit() == 0,
                NanEncoding::Legacy => v & f.quiet_bit() != 0,
            }
    }

    /// The default NaN of format `f`.
    pub const fn default_nan(self, f: FpFormat) -> u64 {
        match self.encoding {
            NanEncoding::Ieee2008 => f.exp_mask() | f.quiet_bit(),
            NanEncoding::Legacy => f.exp_mask() | (f.mant_mask() >> 1),
        }
    }

    /// `v` (a NaN) made quiet.
    fn quiet(self, f: FpFormat, v: u64) -> u64 {
        match self.encoding {
            NanEncoding::Ieee2008 => v | f.quiet_bit(),
            NanEncoding::Legacy if self.is_snan(f, v) => self.default_nan(f),
            NanEncoding::Legacy => v,
        }
    }

    /// The NaN result of an op whose operands `ops` include a NaN.
    fn propagate(self, f: FpFormat, ops: &[u64]) -> u64 {
        let pick = match self.nan {
            NanPropagation::Default => None,
            NanPropagation::SignalingFirst => ops
                .iter()
                .copied()
                .find(|&v| self.is_snan(f, v))
                .or_else(|| ops.iter().copied().find(|&v| f.is_nan(v))),
            NanPropagation::FirstOperand => ops.iter().copied().find(|&v| f.is_nan(v)),
        };
        match pick {
            Some(v) => self.quiet(f, v),
            None => self.default_nan(f),
        }
    }
}

// ---- SoftFloat glue. ----

/// Run `f` under SoftFloat with rounding `rm` and `tininess`, returning
/// its result and the flags it raised (SoftFloat's flag bits are the IR's).
fn soft<T>(rm: RoundingMode, tininess: Tininess, f: impl FnOnce() -> T) -> (T, u64) {
    let tin = match tininess {
        Tininess::BeforeRounding => sf::softfloat_tininess_beforeRounding,
        Tininess::AfterRounding => sf::softfloat_tininess_afterRounding,
    };
    // SAFETY: the helpers only read and write SoftFloat's thread-local
    // mode and flag variables; nothing else on this thread uses them
    // between these calls and the reads below.
    unsafe {
        sf::softfloat_roundingMode_write_helper(rm as u8);
        sf::softfloat_detectTininess_write_helper(tin);
        sf::softfloat_exceptionFlags_write_helper(0);
    }
    let r = f();
    // SAFETY: as above.
    let fl = unsafe { sf::softfloat_exceptionFlags_read_helper() } as u64;
    (r, fl & 0x1f)
}

fn f32t(v: u64) -> sf::float32_t {
    sf::float32_t { v: v as u32 }
}

fn f64t(v: u64) -> sf::float64_t {
    sf::float64_t { v }
}

/// Bit of an op's rounding temporary, above the mode (bits 0-2), that
/// flushes a subnormal floating-point result to the zero of its sign and
/// raises underflow and inexact with it: mips `FCSR.FS`, powerpc
/// `FPSCR.NI`. Integer and comparison results are not touched.
pub const FLUSH_RESULTS: u64 = 0x10;

/// Bit of an op's rounding temporary that applies Arm's flush-to-zero
/// mode (aarch64 `FPCR.FZ`): subnormal operands read as zeros of their
/// sign, raising [`flags::INPUT_DENORMAL`], and a result that is tiny
/// before rounding is the zero of its sign, raising underflow alone (no
/// inexact). Conversions to half precision flush their operand but not
/// their result, and conversions from integers and from half precision
/// are not touched, as Arm's `FPConvert` does.
pub const FLUSH_TO_ZERO: u64 = 0x20;

/// Bit of an op's rounding temporary that makes every NaN result of a
/// floating-point format the default NaN (aarch64 `FPCR.DN`); integer,
/// comparison and half-precision results are not touched.
pub const DEFAULT_NAN: u64 = 0x40;

/// [`eval`] under the whole value of an op's rounding temporary: the mode
/// (bits 0-2), [`FLUSH_RESULTS`], [`FLUSH_TO_ZERO`] and [`DEFAULT_NAN`].
/// Engines call this.
pub fn eval_with(insn: FpInsn, rm: u64, a: u64, b: u64, c: u64) -> (u64, u64) {
    let (r, fl) = eval_flushing(insn, rm, a, b, c);
    if rm & DEFAULT_NAN != 0
        && let Some(out) = float_result(insn.op, insn.fmt)
        && out.is_nan(out.clip(r))
    {
        return (insn.rules.default_nan(out), fl);
    }
    (r, fl)
}

/// [`eval_with`] but for [`DEFAULT_NAN`].
fn eval_flushing(insn: FpInsn, rm: u64, a: u64, b: u64, c: u64) -> (u64, u64) {
    if rm & FLUSH_TO_ZERO != 0 {
        return eval_flush_to_zero(insn, RoundingMode::from_bits(rm & 7), a, b, c);
    }
    let (r, fl) = eval(insn, RoundingMode::from_bits(rm & 7), a, b, c);
    if rm & FLUSH_RESULTS == 0 {
        return (r, fl);
    }
    let Some(out) = float_result(insn.op, insn.fmt) else {
        return (r, fl);
    };
    let v = out.clip(r);
    if out.is_subnormal(v) {
        (v & out.sign(), fl | flags::UNDERFLOW | flags::INEXACT)
    } else {
        (r, fl)
    }
}

/// The format of an op's floating-point result in the op's format
/// family (`None` for integer, comparison and half-precision results).
fn float_result(op: FpOp, fmt: FpFormat) -> Option<FpFormat> {
    match op {
        FpOp::Convert { to } => Some(to),
        FpOp::Cmp { .. } | FpOp::Class | FpOp::ToInt { .. } | FpOp::ToHalf { .. } => None,
        _ => Some(fmt),
    }
}

/// [`eval`] in Arm's flush-to-zero mode (see [`FLUSH_TO_ZERO`]).
fn eval_flush_to_zero(insn: FpInsn, rm: RoundingMode, a: u64, b: u64, c: u64) -> (u64, u64) {
    let f = insn.fmt;
    let mut ops = [a, b, c];
    let mut fl = 0;
    if !matches!(insn.op, FpOp::FromInt { .. } | FpOp::FromHalf { .. }) {
        for v in &mut ops[..insn.op.arity()] {
            let x = f.clip(*v);
            if f.is_subnormal(x) {
                *v = x & f.sign();
                fl |= flags::INPUT_DENORMAL;
            }
        }
    }
    // Tininess before rounding decides what is flushed; the underflow
    // flag it gives is replaced below whenever it is raised.
    let rules = FpRules { tininess: Tininess::BeforeRounding, ..insn.rules };
    let insn = FpInsn { rules, ..insn };
    let (r, raised) = eval(insn, rm, ops[0], ops[1], ops[2]);
    let out = match insn.op {
        FpOp::FromInt { .. } | FpOp::FromHalf { .. } => None,
        op => float_result(op, f),
    };
    if let Some(out) = out {
        let v = out.clip(r);
        if out.is_subnormal(v) || raised & flags::UNDERFLOW != 0 {
            let kept = raised & !(flags::UNDERFLOW | flags::INEXACT);
            return (v & out.sign(), fl | kept | flags::UNDERFLOW);
        }
    }
    (r, fl | raised)
}

/// Evaluate one floating-point op: the result (raw bits, or an integer,
/// or 0/1) and the exception flags it raises. `rm` is the resolved
/// rounding mode.
pub fn eval(insn: FpInsn, rm: RoundingMode, a: u64, b: u64, c: u64) -> (u64, u64) {
    if rm == RoundingMode::Odd {
        let (r, fl) = eval(insn, RoundingMode::TowardZero, a, b, c);
        let odd = fl & flags::INEXACT != 0 && float_result(insn.op, insn.fmt).is_some();
        return (if odd { r | 1 } else { r }, fl);
    }
    let f = insn.fmt;
    let rules = insn.rules;
    if let FpOp::FromHalf { ahp } = insn.op {
        return from_half(rules, f, ahp, a & 0xffff);
    }
    let (a, b, c) = match insn.op {
        FpOp::FromInt { .. } => (a, f.clip(b), f.clip(c)),
        _ => (f.clip(a), f.clip(b), f.clip(c)),
    };
    let ops = [a, b, c];
    let operands = &ops[..insn.op.arity()];
    if insn.op == FpOp::AddMul {
        // The NaN rules see the operands in order (addend first); the
        // arithmetic is `MulAdd` of the product's factors and the addend.
        if operands.iter().any(|&v| f.is_nan(v)) {
            let inf_zero = (f.is_inf(b) && f.is_zero(c)) || (f.is_zero(b) && f.is_inf(c));
            let any_snan = operands.iter().any(|&v| rules.is_snan(f, v));
            if inf_zero && !any_snan {
                return (rules.default_nan(f), flags::INVALID);
            }
            let fl = if any_snan { flags::INVALID } else { 0 };
            return (rules.propagate(f, operands), fl);
        }
        return eval(FpInsn { op: FpOp::MulAdd, ..insn }, rm, b, c, a);
    }
    let any_nan = !matches!(insn.op, FpOp::FromInt { .. }) && operands.iter().any(|&v| f.is_nan(v));
    let any_snan = any_nan && operands.iter().any(|&v| rules.is_snan(f, v));
    let snan_flag = if any_snan { flags::INVALID } else { 0 };
    if insn.op == FpOp::MulX {
        if !any_nan && ((f.is_inf(a) && f.is_zero(b)) || (f.is_zero(a) && f.is_inf(b))) {
            let two = match f {
                FpFormat::F32 => 0x4000_0000,
                FpFormat::F64 => 0x4000_0000_0000_0000,
            };
            return (two | ((a ^ b) & f.sign()), 0);
        }
        return eval(FpInsn { op: FpOp::Mul, ..insn }, rm, a, b, c);
    }
    match insn.op {
        FpOp::RecipEst | FpOp::RsqrtEst | FpOp::RecpX if any_nan => {
            return (rules.propagate(f, operands), snan_flag);
        }
        FpOp::RecipEst => return recip_est(f, rm, a),
        FpOp::RsqrtEst => return rsqrt_est(rules, f, a),
        FpOp::RecpX => {
            let exp = (a & f.exp_mask()) >> f.mant_bits();
            let emax = f.exp_mask() >> f.mant_bits();
            let e = if exp == 0 { emax - 1 } else { !exp & emax };
            return ((a & f.sign()) | e << f.mant_bits(), 0);
        }
        FpOp::RecipStep | FpOp::RsqrtStep => return step(insn, rm, a, b),
        FpOp::ToHalf { ahp } => return to_half(rules, f, ahp, rm, a),
        _ => {}
    }
    match insn.op {
        FpOp::Add | FpOp::Sub | FpOp::Mul | FpOp::Div | FpOp::Sqrt | FpOp::MulAdd => {
            if any_nan {
                let inf_zero = insn.op == FpOp::MulAdd
                    && ((f.is_inf(a) && f.is_zero(b)) || (f.is_zero(a) && f.is_inf(b)));
                if inf_zero && !any_snan {
                    // inf × 0 + qNaN: invalid, and the default NaN.
                    return (rules.default_nan(f), flags::INVALID);
                }
                return (rules.propagate(f, operands), snan_flag);
            }
            let (r, fl) = soft(rm, rules.tininess, || {
                // SAFETY: SoftFloat's arithmetic functions are pure apart
                // from the thread-local mode and flags set by `soft`.
                unsafe {
                    match f {
                        FpFormat::F32 => {
                            let (x, y, z) = (f32t(a), f32t(b), f32t(c));
                            (match insn.op {
                                FpOp::Add => sf::f32_add(x, y),
                                FpOp::Sub => sf::f32_sub(x, y),
                                FpOp::Mul => sf::f32_mul(x, y),
                                FpOp::Div => sf::f32_div(x, y),
                                FpOp::Sqrt => sf::f32_sqrt(x),
                                _ => sf::f32_mulAdd(x, y, z),
                            })
                            .v as u64
                        }
                        FpFormat::F64 => {
                            let (x, y, z) = (f64t(a), f64t(b), f64t(c));
                            (match insn.op {
                                FpOp::Add => sf::f64_add(x, y),
                                FpOp::Sub => sf::f64_sub(x, y),
                                FpOp::Mul => sf::f64_mul(x, y),
                                FpOp::Div => sf::f64_div(x, y),
                                FpOp::Sqrt => sf::f64_sqrt(x),
                                _ => sf::f64_mulAdd(x, y, z),
                            })
                            .v
                        }
                    }
                }
            });
            // A NaN from numbers (inf − inf, 0/0, √−1) is the default NaN.
            (if f.is_nan(r) { rules.default_nan(f) } else { r }, fl)
        }
        FpOp::Min(kind) | FpOp::Max(kind) => {
            let max = matches!(insn.op, FpOp::Max(_));
            if any_nan {
                let r = match (kind, f.is_nan(a), f.is_nan(b)) {
                    (MinMax::Number, false, true) => a,
                    (MinMax::Number, true, false) => b,
                    (MinMax::NumberQuietOnly, false, true) if !any_snan => a,
                    (MinMax::NumberQuietOnly, true, false) if !any_snan => b,
                    (MinMax::NumberQuietOnly, true, true) if !any_snan => {
                        rules.propagate(f, operands)
                    }
                    _ => rules.propagate(f, operands),
                };
                return (r, snan_flag);
            }
            let lt = less(f, a, b) || (f.is_zero(a) && f.is_zero(b) && a & f.sign() != 0);
            (if lt != max { a } else { b }, 0)
        }
        FpOp::Cmp { cond, signaling } => {
            if any_nan {
                let invalid = any_snan || signaling && cond != FpCond::Unordered;
                let r = (cond == FpCond::Unordered) as u64;
                return (r, if invalid { flags::INVALID } else { 0 });
            }
            let eq = a == b || (f.is_zero(a) && f.is_zero(b));
            let r = match cond {
                FpCond::Eq => eq,
                FpCond::Lt => less(f, a, b),
                FpCond::Le => eq || less(f, a, b),
                FpCond::Unordered => false,
            };
            (r as u64, 0)
        }
        FpOp::Class => (class(rules, f, a), 0),
        FpOp::RoundInt { exact } => {
            if any_nan {
                return (rules.propagate(f, operands), snan_flag);
            }
            let rmb = rm as u8;
            soft(rm, rules.tininess, || {
                // SAFETY: pure conversions (see `soft`).
                unsafe {
                    match f {
                        FpFormat::F32 => sf::f32_roundToInt(f32t(a), rmb, exact).v as u64,
                        FpFormat::F64 => sf::f64_roundToInt(f64t(a), rmb, exact).v,
                    }
                }
            })
        }
        FpOp::AddMul => eval(FpInsn { op: FpOp::MulAdd, ..insn }, rm, b, c, a),
        FpOp::MulX
        | FpOp::RecipEst
        | FpOp::RsqrtEst
        | FpOp::RecipStep
        | FpOp::RsqrtStep
        | FpOp::RecpX
        | FpOp::ToHalf { .. }
        | FpOp::FromHalf { .. } => unreachable!("handled above"),
        FpOp::ToInt { width, signed, nan } => to_int(insn, rm, a, width, signed, nan),
        FpOp::FromInt { width, signed } => {
            let (r, fl) = soft(rm, rules.tininess, || {
                // SAFETY: pure conversions (see `soft`).
                unsafe {
                    match (f, width == Width::W64, signed) {
                        (FpFormat::F32, false, true) => sf::i32_to_f32(a as i32).v as u64,
                        (FpFormat::F32, false, false) => sf::ui32_to_f32(a as u32).v as u64,
                        (FpFormat::F32, true, true) => sf::i64_to_f32(a as i64).v as u64,
                        (FpFormat::F32, true, false) => sf::ui64_to_f32(a).v as u64,
                        (FpFormat::F64, false, true) => sf::i32_to_f64(a as i32).v,
                        (FpFormat::F64, false, false) => sf::ui32_to_f64(a as u32).v,
                        (FpFormat::F64, true, true) => sf::i64_to_f64(a as i64).v,
                        (FpFormat::F64, true, false) => sf::ui64_to_f64(a).v,
                    }
                }
            });
            (r, fl)
        }
        FpOp::Convert { to } => {
            if any_nan {
                let r = match rules.nan {
                    NanPropagation::Default => rules.default_nan(to),
                    _ => {
                        // Keep sign and the payload's top bits.
                        let q = rules.quiet(f, a);
                        let sign = if q & f.sign() != 0 { to.sign() } else { 0 };
                        let m = q & f.mant_mask();
                        let m = if to.mant_bits() > f.mant_bits() {
                            m << (to.mant_bits() - f.mant_bits())
                        } else {
                            m >> (f.mant_bits() - to.mant_bits())
                        };
                        let r = sign | to.exp_mask() | m;
                        // A payload that truncates to zero would read as
                        // an infinity: it becomes the default NaN.
                        if to.is_nan(r) { r } else { rules.default_nan(to) }
                    }
                };
                return (r, snan_flag);
            }
            if f == to {
                return (a, 0);
            }
            soft(rm, rules.tininess, || {
                // SAFETY: pure conversions (see `soft`).
                unsafe {
                    match to {
                        FpFormat::F64 => sf::f32_to_f64(f32t(a)).v,
                        FpFormat::F32 => sf::f64_to_f32(f64t(a)).v as u64,
                    }
                }
            })
        }
    }
}

/// Arm's `RecipEstimate`: `a` in 256..512 (0.5 ≤ x < 1 in steps of
/// 1/512) to an estimate in 256..512 (1 ≤ 1/x < 2 in steps of 1/256).
pub(crate) fn recip_estimate(a: u64) -> u64 {
    let a = a * 2 + 1;
    let b = (1 << 19) / a;
    b.div_ceil(2)
}

/// Arm's `RecipSqrtEstimate`: `a` in 128..512 (0.25 ≤ x < 1) to an
/// estimate in 256..512 of 1/√x.
pub(crate) fn rsqrt_estimate(a: u64) -> u64 {
    let a = if a < 256 { a * 2 + 1 } else { (((a >> 1) << 1) + 1) * 2 };
    let mut b = 512u64;
    while a * (b + 1) * (b + 1) < 1 << 28 {
        b += 1;
    }
    b.div_ceil(2)
}

/// The fraction of `a` aligned to 52 bits and its biased exponent.
fn frac52(f: FpFormat, a: u64) -> (u64, i64) {
    let frac = (a & f.mant_mask()) << (52 - f.mant_bits());
    (frac, ((a & f.exp_mask()) >> f.mant_bits()) as i64)
}

/// Arm's `FPRecipEstimate` of a non-NaN `a`.
fn recip_est(f: FpFormat, rm: RoundingMode, a: u64) -> (u64, u64) {
    let sign = a & f.sign();
    if f.is_inf(a) {
        return (sign, 0);
    }
    if f.is_zero(a) {
        return (sign | f.exp_mask(), flags::DIV_BY_ZERO);
    }
    let (mut frac, mut exp) = frac52(f, a);
    // Below 2^-(emax + 1) the reciprocal overflows.
    if exp == 0 && frac >> 50 == 0 {
        let to_inf = match rm {
            RoundingMode::NearestEven | RoundingMode::NearestAway => true,
            RoundingMode::Up => sign == 0,
            RoundingMode::Down => sign != 0,
            RoundingMode::TowardZero | RoundingMode::Odd => false,
        };
        // Infinity, or the largest finite number.
        let r = if to_inf {
            f.exp_mask()
        } else {
            (f.exp_mask() - (1 << f.mant_bits())) | f.mant_mask()
        };
        return (sign | r, flags::OVERFLOW | flags::INEXACT);
    }
    let m52 = (1u64 << 52) - 1;
    if exp == 0 {
        if frac >> 51 == 0 {
            exp = -1;
            frac = (frac << 2) & m52;
        } else {
            frac = (frac << 1) & m52;
        }
    }
    let scaled = 256 | (frac >> 44) & 0xff;
    let bias2 = match f {
        FpFormat::F32 => 253,
        FpFormat::F64 => 2045,
    };
    let mut rexp = bias2 - exp;
    let est = recip_estimate(scaled);
    let mut fr = (est & 0xff) << 44;
    if rexp == 0 {
        fr = 1 << 51 | fr >> 1;
    } else if rexp == -1 {
        fr = 1 << 50 | fr >> 2;
        rexp = 0;
    }
    let r = (rexp as u64) << f.mant_bits() | fr >> (52 - f.mant_bits());
    (sign | r, 0)
}

/// Arm's `FPRSqrtEstimate` of a non-NaN `a`.
fn rsqrt_est(rules: FpRules, f: FpFormat, a: u64) -> (u64, u64) {
    let sign = a & f.sign();
    if f.is_zero(a) {
        return (sign | f.exp_mask(), flags::DIV_BY_ZERO);
    }
    if sign != 0 {
        return (rules.default_nan(f), flags::INVALID);
    }
    if f.is_inf(a) {
        return (0, 0);
    }
    let m52 = (1u64 << 52) - 1;
    let (mut frac, mut exp) = frac52(f, a);
    if exp == 0 {
        while frac >> 51 == 0 {
            frac = (frac << 1) & m52;
            exp -= 1;
        }
        frac = (frac << 1) & m52;
    }
    let scaled = if exp & 1 == 0 { 256 | (frac >> 44) & 0xff } else { 128 | (frac >> 45) & 0x7f };
    let k = match f {
        FpFormat::F32 => 380,
        FpFormat::F64 => 3068,
    };
    let rexp = (k - exp).div_euclid(2) as u64;
    let est = rsqrt_estimate(scaled) & 0xff;
    (rexp << f.mant_bits() | est << (f.mant_bits() - 8), 0)
}

/// `frecps` (`2 - a·b`) and `frsqrts` (`(3 - a·b) / 2`), each rounded once.
fn step(insn: FpInsn, rm: RoundingMode, a: u64, b: u64) -> (u64, u64) {
    let f = insn.fmt;
    let rules = insn.rules;
    let na = a ^ f.sign();
    let recip = insn.op == FpOp::RecipStep;
    if f.is_nan(na) || f.is_nan(b) {
        let fl = if rules.is_snan(f, na) || rules.is_snan(f, b) { flags::INVALID } else { 0 };
        return (rules.propagate(f, &[na, b]), fl);
    }
    let one = |e: u64| e << f.mant_bits();
    let bias = (f.exp_mask() >> f.mant_bits()) >> 1;
    if (f.is_inf(na) && f.is_zero(b)) || (f.is_zero(na) && f.is_inf(b)) {
        // 2.0, or 1.5.
        let r = if recip { one(bias + 1) } else { one(bias) | f.quiet_bit() };
        return (r, 0);
    }
    if f.is_inf(na) || f.is_inf(b) {
        return (((na ^ b) & f.sign()) | f.exp_mask(), 0);
    }
    let mul_add = |x: u64, y: u64, z: u64| eval(FpInsn { op: FpOp::MulAdd, ..insn }, rm, x, y, z);
    if recip {
        return mul_add(na, b, one(bias + 1));
    }
    // (3 - a·b) / 2 = 1.5 + (-a/2)·b: halve a factor where that is exact
    // (one rounding, no spurious overflow of 3 - a·b). When neither
    // factor halves exactly both are below 2^-(emax - 2), and the product
    // is far below half an ulp of 1.5: either form rounds alike.
    let halves = |x: u64| {
        let exp = (x & f.exp_mask()) >> f.mant_bits();
        exp >= 2 || x & 1 == 0
    };
    let half = |x: u64| {
        let exp = (x & f.exp_mask()) >> f.mant_bits();
        if exp >= 2 {
            x - (1 << f.mant_bits())
        } else if exp == 1 {
            // The smallest normals halve into subnormals.
            (x & f.sign()) | ((x & !f.sign()) >> 1)
        } else {
            (x & f.sign()) | ((x & f.mant_mask()) >> 1)
        }
    };
    let c = one(bias) | f.quiet_bit();
    if halves(na) {
        mul_add(half(na), b, c)
    } else if halves(b) {
        mul_add(na, half(b), c)
    } else {
        mul_add(na, b, c)
    }
}

/// `FromHalf`: the half `h` to format `f` (exact).
fn from_half(rules: FpRules, f: FpFormat, ahp: bool, h: u64) -> (u64, u64) {
    let sign = if h & 0x8000 != 0 { f.sign() } else { 0 };
    let (e, m) = ((h >> 10) & 0x1f, h & 0x3ff);
    let bias = (f.exp_mask() >> f.mant_bits()) >> 1;
    let widen = |m: u64| m << (f.mant_bits() - 10);
    if e == 0x1f && !ahp {
        if m == 0 {
            return (sign | f.exp_mask(), 0);
        }
        // A NaN: quieted, the payload's top bits kept.
        let fl = if m & 0x200 == 0 { flags::INVALID } else { 0 };
        let r = match rules.nan {
            NanPropagation::Default => rules.default_nan(f),
            _ => sign | f.exp_mask() | widen(m | 0x200),
        };
        return (r, fl);
    }
    if e != 0 {
        return (sign | (e + bias - 15) << f.mant_bits() | widen(m), 0);
    }
    if m == 0 {
        return (sign, 0);
    }
    // A subnormal: normalise (exact in either format).
    let shift = m.leading_zeros() - 53;
    let m = (m << shift) & 0x3ff;
    (sign | (bias - 14 - shift as u64) << f.mant_bits() | widen(m), 0)
}

/// `ToHalf`: `a` in format `f` to half precision under `rm`.
fn to_half(rules: FpRules, f: FpFormat, ahp: bool, rm: RoundingMode, a: u64) -> (u64, u64) {
    let sign = if a & f.sign() != 0 { 0x8000 } else { 0 };
    if f.is_nan(a) {
        if ahp {
            return (sign, flags::INVALID);
        }
        let fl = if rules.is_snan(f, a) { flags::INVALID } else { 0 };
        let r = match rules.nan {
            NanPropagation::Default => 0x7e00,
            _ => sign | 0x7e00 | (a & f.mant_mask()) >> (f.mant_bits() - 10),
        };
        return (r, fl);
    }
    if f.is_inf(a) {
        return if ahp { (sign | 0x7fff, flags::INVALID) } else { (sign | 0x7c00, 0) };
    }
    if f.is_zero(a) {
        return (sign, 0);
    }
    if !ahp {
        return soft(rm, rules.tininess, || {
            // SAFETY: pure conversions (see `soft`).
            unsafe {
                match f {
                    FpFormat::F32 => sf::f32_to_f16(f32t(a)).v as u64,
                    FpFormat::F64 => sf::f64_to_f16(f64t(a)).v as u64,
                }
            }
        });
    }
    // Alternative half precision: round to 11 significant bits by hand
    // (IEEE's rounding, tininess before rounding), exponents up to 16.
    let bias = ((f.exp_mask() >> f.mant_bits()) >> 1) as i64;
    let e = ((a & f.exp_mask()) >> f.mant_bits()) as i64;
    let m = a & f.mant_mask();
    // value = sig × 2^exp2
    let (sig, exp2) = if e == 0 {
        (m, 1 - bias - f.mant_bits() as i64)
    } else {
        (m | 1 << f.mant_bits(), e - bias - f.mant_bits() as i64)
    };
    let top = exp2 + 63 - sig.leading_zeros() as i64;
    let tiny = top < -14;
    let q = if tiny { -24 } else { top - 10 };
    let shift = q - exp2;
    let (n, rem, half) = if shift <= 0 {
        (sig << -shift, 0, 0)
    } else if shift >= 64 {
        (0, sig, u64::MAX)
    } else {
        (sig >> shift, sig & ((1 << shift) - 1), 1u64 << (shift - 1))
    };
    let up = rem != 0
        && match rm {
            RoundingMode::NearestEven => rem > half || (rem == half && n & 1 == 1),
            RoundingMode::NearestAway => rem >= half && half != u64::MAX,
            RoundingMode::TowardZero | RoundingMode::Odd => false,
            RoundingMode::Up => sign == 0,
            RoundingMode::Down => sign != 0,
        };
    let n = n + up as u64;
    let mut fl = 0;
    if rem != 0 {
        fl |= flags::INEXACT;
        if tiny {
            fl |= flags::UNDERFLOW;
        }
    }
    if n == 0 {
        return (sign, fl);
    }
    let top2 = q + 63 - n.leading_zeros() as i64;
    if top2 > 16 {
        return (sign | 0x7fff, flags::INVALID);
    }
    if top2 < -14 {
        return (sign | n, fl);
    }
    let mant = (n >> (top2 - 10 - q)) & 0x3ff;
    (sign | ((top2 + 15) as u64) << 10 | mant, fl)
}

/// `a < b` for non-NaN `a`, `b` (−0 and +0 equal).
fn less(f: FpFormat, a: u64, b: u64) -> bool {
    match f {
        FpFormat::F32 => f32::from_bits(a as u32) < f32::from_bits(b as u32),
        FpFormat::F64 => f64::from_bits(a) < f64::from_bits(b),
    }
}

fn class(rules: FpRules, f: FpFormat, v: u64) -> u64 {
    let neg = v & f.sign() != 0;
    let exp = v & f.exp_mask();
    let mant = v & f.mant_mask();
    let side = |n: u64| if neg { 3 - n } else { 4 + n };
    if f.is_nan(v) {
        if rules.is_snan(f, v) { 8 } else { 9 }
    } else if exp == f.exp_mask() {
        side(3)
    } else if exp != 0 {
        side(2)
    } else if mant != 0 {
        side(1)
    } else {
        side(0)
    }
}

fn to_int(
    insn: FpInsn,
    rm: RoundingMode,
    a: u64,
    width: Width,
    signed: bool,
    nan: IntNan,
) -> (u64, u64) {
    let f = insn.fmt;
    let w64 = width == Width::W64;
    let (max, min): (u64, u64) = match (w64, signed) {
        (true, true) => (i64::MAX as u64, i64::MIN as u64),
        (true, false) => (u64::MAX, 0),
        (false, true) => (i32::MAX as u64, i32::MIN as i64 as u64),
        (false, false) => (u32::MAX as u64, 0),
    };
    let sext = |v: u64| if w64 { v } else { v as u32 as i32 as i64 as u64 };
    if f.is_nan(a) {
        let r = match nan {
            IntNan::Max => max,
            IntNan::Min => min,
            IntNan::Zero => 0,
        };
        return (sext(r), flags::INVALID);
    }
    let rmb = rm as u8;
    let (r, fl) = soft(rm, insn.rules.tininess, || {
        // SAFETY: pure conversions (see `soft`).
        unsafe {
            match (f, w64, signed) {
                (FpFormat::F32, false, true) => sf::f32_to_i32(f32t(a), rmb, true) as i64 as u64,
                (FpFormat::F32, false, false) => sf::f32_to_ui32(f32t(a), rmb, true) as u64,
                (FpFormat::F32, true, true) => sf::f32_to_i64(f32t(a), rmb, true) as u64,
                (FpFormat::F32, true, false) => sf::f32_to_ui64(f32t(a), rmb, true),
                (FpFormat::F64, false, true) => sf::f64_to_i32(f64t(a), rmb, true) as i64 as u64,
                (FpFormat::F64, false, false) => sf::f64_to_ui32(f64t(a), rmb, true) as u64,
                (FpFormat::F64, true, true) => sf::f64_to_i64(f64t(a), rmb, true) as u64,
                (FpFormat::F64, true, false) => sf::f64_to_ui64(f64t(a), rmb, true),
            }
        }
    });
    if fl & flags::INVALID != 0 {
        // Out of range: saturate toward the operand's sign.
        let r = if a & f.sign() != 0 { min } else { max };
        return (sext(r), flags::INVALID);
    }
    (sext(r), fl)
}

/// What the JIT calls for an op it does not compile inline: `desc` is
/// [`FpInsn::pack`], `rm` a [`RoundingMode`] number; the flags raised are
/// ORed into `*flags`.
///
/// # Safety
/// `flags` must be valid for reads and writes of a `u64`.
pub unsafe extern "C" fn jit_helper(
    desc: u64,
    a: u64,
    b: u64,
    c: u64,
    rm: u64,
    flags: *mut u64,
) -> u64 {
    // The JIT only passes words made by `pack`.
    let insn = FpInsn::unpack(desc).expect("descriptor made by FpInsn::pack");
    let (r, fl) = eval_with(insn, rm, a, b, c);
    // SAFETY: the caller guarantees `flags` is valid.
    unsafe { *flags |= fl };
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    const RV: FpRules = FpRules {
        nan: NanPropagation::Default,
        encoding: NanEncoding::Ieee2008,
        tininess: Tininess::AfterRounding,
    };

    fn d(op: FpOp) -> FpInsn {
        FpInsn { op, fmt: FpFormat::F64, rules: RV }
    }

    #[test]
    fn pack_round_trips() {
        let ops = [
            FpOp::Add,
            FpOp::Sub,
            FpOp::Mul,
            FpOp::MulX,
            FpOp::Div,
            FpOp::Sqrt,
            FpOp::MulAdd,
            FpOp::Min(MinMax::Number),
            FpOp::Max(MinMax::Propagate),
            FpOp::Cmp { cond: FpCond::Le, signaling: true },
            FpOp::Cmp { cond: FpCond::Unordered, signaling: false },
            FpOp::Class,
            FpOp::ToInt { width: Width::W32, signed: false, nan: IntNan::Zero },
            FpOp::ToInt { width: Width::W64, signed: true, nan: IntNan::Min },
            FpOp::FromInt { width: Width::W64, signed: false },
            FpOp::Convert { to: FpFormat::F32 },
        ];
        let rules = [
            RV,
            FpRules {
                nan: NanPropagation::FirstOperand,
                encoding: NanEncoding::Legacy,
                tininess: Tininess::BeforeRounding,
            },
        ];
        for op in ops {
            for fmt in [FpFormat::F32, FpFormat::F64] {
                for rules in rules {
                    let i = FpInsn { op, fmt, rules };
                    assert_eq!(FpInsn::unpack(i.pack()), Some(i));
                }
            }
        }
        assert_eq!(FpInsn::unpack(0xff), None);
    }

    #[test]
    fn arm_estimates() {
        let arm = FpRules { nan: NanPropagation::SignalingFirst, ..RV };
        let f = |op, fmt| FpInsn { op, fmt, rules: arm };
        let rne = RoundingMode::NearestEven;
        // frecpe 3.0 = 0x3eaa8000, frsqrte 2.0 = 0x3f348000 (qemu-aarch64).
        assert_eq!(eval(f(FpOp::RecipEst, FpFormat::F32), rne, 0x4040_0000, 0, 0).0, 0x3eaa_8000);
        assert_eq!(eval(f(FpOp::RsqrtEst, FpFormat::F32), rne, 0x4000_0000, 0, 0).0, 0x3f34_8000);
        // frecps of inf and 0 is 2 with no flag; fmulx of inf and -0 is -2.
        let two = 0x4000_0000_0000_0000;
        let inf = f64::INFINITY.to_bits();
        assert_eq!(eval(f(FpOp::RecipStep, FpFormat::F64), rne, inf, 0, 0), (two, 0));
        assert_eq!(eval(f(FpOp::MulX, FpFormat::F64), rne, inf, 1 << 63, 0), (two | 1 << 63, 0));
        // Alternative half precision: 65520 rounds to 65536 (exponent 31).
        let ahp = FpOp::ToHalf { ahp: true };
        assert_eq!(eval(f(ahp, FpFormat::F32), rne, 0x477f_f000, 0, 0), (0x7c00, flags::INEXACT));
        let from = FpOp::FromHalf { ahp: true };
        assert_eq!(eval(f(from, FpFormat::F32), rne, 0xfc01, 0, 0), (0xc780_2000, 0));
    }

    #[test]
    fn fma_rounds_once() {
        // (1 + 2^-52) * (1 - 2^-52) - 1 = -2^-104 exactly; separate
        // rounding would give 0.
        let a = 1.0f64 + f64::EPSILON;
        let b = 1.0f64 - f64::EPSILON;
        let (r, fl) = eval(
            d(FpOp::MulAdd),
            RoundingMode::NearestEven,
            a.to_bits(),
            b.to_bits(),
            (-1.0f64).to_bits(),
        );
        assert_eq!(f64::from_bits(r), -(2f64.powi(-104)));
        assert_eq!(fl, 0);
    }

    #[test]
    fn nan_rules() {
        let snan = 0x7ff0_0000_0000_0001;
        let (r, fl) = eval(d(FpOp::Add), RoundingMode::NearestEven, snan, 0, 0);
        assert_eq!((r, fl), (0x7ff8_0000_0000_0000, flags::INVALID));
        let arm =
            FpInsn { rules: FpRules { nan: NanPropagation::SignalingFirst, ..RV }, ..d(FpOp::Add) };
        let (r, _) = eval(arm, RoundingMode::NearestEven, 0x7ff8_0000_0000_0002, snan, 0);
        assert_eq!(r, 0x7ff8_0000_0000_0001);
        let inf = f64::INFINITY.to_bits();
        let (r, fl) =
            eval(d(FpOp::MulAdd), RoundingMode::NearestEven, inf, 0, 0x7ff8_0000_0000_0000);
        assert_eq!((r, fl), (0x7ff8_0000_0000_0000, flags::INVALID));
    }

    #[test]
    fn conversions_saturate() {
        let op = FpOp::ToInt { width: Width::W32, signed: false, nan: IntNan::Max };
        let (r, fl) = eval(d(op), RoundingMode::NearestEven, (-1.0f64).to_bits(), 0, 0);
        assert_eq!((r, fl), (0, flags::INVALID));
        let (r, fl) = eval(d(op), RoundingMode::NearestEven, 5e9f64.to_bits(), 0, 0);
        assert_eq!((r, fl), (u64::MAX, flags::INVALID));
        let (r, fl) = eval(d(op), RoundingMode::NearestEven, (-0.25f64).to_bits(), 0, 0);
        assert_eq!((r, fl), (0, flags::INEXACT));
    }

    #[test]
    fn tininess_after_rounding() {
        // The largest subnormal-range product that rounds up to the
        // smallest normal: tiny before rounding, not after.
        let min_normal = f64::MIN_POSITIVE;
        // The largest subnormal; x * (1 + eps) rounds to min_normal.
        let x = f64::from_bits(0x000f_ffff_ffff_ffff);
        let (r, fl) = eval(
            d(FpOp::Mul),
            RoundingMode::NearestEven,
            x.to_bits(),
            (1.0 + f64::EPSILON).to_bits(),
            0,
        );
        assert_eq!(f64::from_bits(r), min_normal);
        assert_eq!(fl, flags::INEXACT);
        let before =
            FpInsn { rules: FpRules { tininess: Tininess::BeforeRounding, ..RV }, ..d(FpOp::Mul) };
        let (_, fl) =
            eval(before, RoundingMode::NearestEven, x.to_bits(), (1.0 + f64::EPSILON).to_bits(), 0);
        assert_eq!(fl, flags::INEXACT | flags::UNDERFLOW);
    }
}
