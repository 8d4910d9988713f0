//! powerpc64 decoder: big-endian instruction words → [`Insn`], driven by
//! one encoding table.
//!
//! Encodings are data, in the spirit of QEMU's decodetree: each
//! [`Encoding`] is a `(mask, value)` pattern with a name, an operand
//! [`Format`], the [`Opcode`] it means and its record (`.`) and overflow
//! (`o`) flags. Every record and overflow variant is its own row (`add`,
//! `add.`, `addo`, `addo.`), so the flags are part of the pattern and the
//! instruction tests can demand a line for each.
//!
//! The instruction set is the 64-bit user ISA that GCC emits for POWER8
//! and older (Power ISA 2.07): the integer unit and the scalar FPU, no
//! vector, VSX or decimal units: 64-bit mode only, so the 32-bit
//! instructions compute CR0 from the 64-bit result.
//!
//! Strictness: patterns fix the primary and extended opcode, the Rc and OE
//! bits, and the bits that distinguish sibling encodings (`mfocrf` from
//! `mfcr`, `lwsync` from `sync`). Other reserved fields are ignored, as
//! POWER processors do for most of them. A format's operand extractor may
//! reject a word whose operands form an invalid instruction (a load with
//! update whose base is r0 or its own target, an SPR user code may not
//! use, `bcctr` decrementing CTR); such words are illegal and never fall
//! through to a later row.
//!
//! Overlap rule: when two rows can match the same word, the earlier one is
//! strictly more specific (its mask contains the other's); the first match
//! wins. The unit tests below check it.
//!
//! Talks to: `lift` (consumes [`decode`]), and tests that generate random
//! instructions from [`encodings`].

use crate::arch::decode_kit::{self, sext};

/// Access size of a load or store, in bytes.
pub type Size = u8;

/// XO-form arithmetic: `rt = op(ra, rb)`, possibly using and setting CA.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArithOp {
    Add,
    Addc,
    Adde,
    Addme,
    Addze,
    /// `rb - ra`.
    Subf,
    Subfc,
    Subfe,
    Subfme,
    Subfze,
    Neg,
    Mullw,
    Mulld,
    Mulhw,
    Mulhwu,
    Mulhd,
    Mulhdu,
    Divw,
    Divwu,
    Divd,
    Divdu,
}

/// D-form arithmetic and logic with an immediate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ImmOp {
    Addi,
    Addis,
    /// `addic` and `addic.`; the record flag tells them apart.
    Addic,
    Subfic,
    Mulli,
    Ori,
    Oris,
    Xori,
    Xoris,
    /// `andi.`, always recording.
    Andi,
    /// `andis.`, always recording.
    Andis,
}

/// X-form logic: `ra = op(rs, rb)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LogicOp {
    And,
    Andc,
    Or,
    Orc,
    Xor,
    Nand,
    Nor,
    Eqv,
}

/// Shifts by a register amount: `ra = op(rs, rb)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ShiftOp {
    Slw,
    Srw,
    Sraw,
    Sld,
    Srd,
    Srad,
}

/// One-source operations: `ra = op(rs)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Cntlzw,
    Cntlzd,
    Extsb,
    Extsh,
    Extsw,
    Popcntb,
    Popcntw,
    Popcntd,
    /// Parity of the low bits of each word's bytes.
    Prtyw,
    /// Parity of the low bits of all eight bytes.
    Prtyd,
}

/// The rotate-and-mask family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RotOp {
    Rlwinm,
    Rlwnm,
    Rlwimi,
    Rldicl,
    Rldicr,
    Rldic,
    Rldimi,
    Rldcl,
    Rldcr,
}

/// CR bit logic: `bt = op(ba, bb)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CrOp {
    And,
    Andc,
    Or,
    Orc,
    Xor,
    Nand,
    Nor,
    Eqv,
}

/// What an instruction does, independent of its encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Opcode {
    Arith(ArithOp),
    Imm(ImmOp),
    Logic(LogicOp),
    Shift(ShiftOp),
    /// `srawi ra, rs, sh`.
    Srawi,
    /// `sradi ra, rs, sh`.
    Sradi,
    Unary(UnaryOp),
    Rotate(RotOp),
    /// `cmp`/`cmpl bf, l, ra, rb`.
    Cmp {
        signed: bool,
    },
    /// `cmpi`/`cmpli bf, l, ra, imm`.
    CmpImm {
        signed: bool,
    },
    Cmpb,
    Isel,
    /// Loads: `rt = mem[ea]` with `ea = (ra|0) + d` or `(ra|0) + rb`
    /// (`indexed`); with `update`, `ra = ea` afterwards.
    Load {
        size: Size,
        signed: bool,
        update: bool,
        indexed: bool,
    },
    Store {
        size: Size,
        update: bool,
        indexed: bool,
    },
    /// Byte-reversed (little-endian) indexed load, zero-extended.
    LoadRev(Size),
    /// Byte-reversed (little-endian) indexed store.
    StoreRev(Size),
    Lmw,
    Stmw,
    /// Load and reserve.
    Larx(Size),
    /// Store conditional; always records into CR0.
    Stcx(Size),
    /// `b`: I-form, aa/lk flags.
    B,
    /// `bc`: B-form.
    Bc,
    Bclr,
    Bcctr,
    CrLogic(CrOp),
    Mcrf,
    Mfcr,
    /// `mfocrf rt, fxm`.
    Mfocrf,
    Mtcrf,
    /// `mtocrf fxm, rs`.
    Mtocrf,
    /// `mfspr rt, spr` for the SPRs in [`MFSPR_ALLOWED`].
    Mfspr,
    /// `mtspr spr, rs` for the SPRs in [`MTSPR_ALLOWED`].
    Mtspr,
    /// `mftb rt, tbr` (the old encoding; `mfspr 268` is the new one).
    Mftb,
    /// `sync`, `lwsync`, `eieio`: ordering only, a no-op on one thread.
    Barrier,
    /// `isync`: ends the block so later code is fetched afresh.
    Isync,
    /// `dcbst`, `dcbf`, `dcbt`, `dcbtst`, `icbi`: cache hints, no-ops
    /// (stores to translated code already invalidate it).
    CacheHint,
    /// `dcbz`: zero the 128-byte block holding `(ra|0) + rb`.
    Dcbz,
    /// `tw`/`td to, ra, rb` (`double`: 64-bit compare).
    Trap {
        double: bool,
    },
    /// `twi`/`tdi to, ra, simm`.
    TrapImm {
        double: bool,
    },
    Sc,
    /// FP loads: `frt = mem[ea]`, a single widened exactly when `single`.
    FpLoad {
        single: bool,
        update: bool,
        indexed: bool,
    },
    /// FP stores of `frs` (narrowed without rounding when `single`).
    FpStore {
        single: bool,
        update: bool,
        indexed: bool,
    },
    /// `stfiwx`: the low word of `frs`.
    Stfiwx,
    /// `lfiwax`/`lfiwzx`: a word into `frt`, sign- or zero-extended.
    Lfiw {
        signed: bool,
    },
    /// `frt = fra op frb` (`fmul`: `fra * frc`).
    FpArith {
        op: FpBinOp,
        single: bool,
    },
    FpSqrt {
        single: bool,
    },
    /// `fre`/`fres` (reciprocal) and `frsqrte`/`frsqrtes` (reciprocal
    /// square root) estimates of frB.
    FpEstimate {
        sqrt: bool,
        single: bool,
    },
    /// `[n]fm{add,sub}`: `±(fra * frc ± frb)`, one rounding.
    FpMadd {
        sub: bool,
        neg: bool,
        single: bool,
    },
    /// `fsel frt, fra, frc, frb`.
    Fsel,
    /// `fcmpu`/`fcmpo bf, fra, frb`.
    FpCmp {
        ordered: bool,
    },
    Frsp,
    /// `fcti*`: to a 32- (`word`) or 64-bit integer, truncating when
    /// `toward_zero`, else by `FPSCR.RN`.
    FpToInt {
        word: bool,
        signed: bool,
        toward_zero: bool,
    },
    /// `fcfid*`: from a 64-bit integer.
    FpFromInt {
        single: bool,
        signed: bool,
    },
    /// Sign-bit moves, no exceptions.
    FpMove(FpMoveOp),
    /// `fri{n,z,p,m}`: round to an integral value.
    FpRoundInt(FpRoundOp),
    Mffs,
    /// `mtfsf flm, frb` (`imm` = FLM; L and W are zero).
    Mtfsf,
    /// `mtfsfi bf, u` (`imm` = U).
    Mtfsfi,
    /// `mtfsb0`/`mtfsb1 bt`.
    Mtfsb {
        set: bool,
    },
    /// `mcrfs bf, bfa`.
    Mcrfs,
}

/// Two-operand FP arithmetic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FpBinOp {
    Add,
    Sub,
    Mul,
    Div,
}

/// FP register moves that only touch the sign bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FpMoveOp {
    Mr,
    Neg,
    Abs,
    Nabs,
    /// `fcpsgn frt, fra, frb`: frb's magnitude with fra's sign.
    Cpsgn,
}

/// The rounding of `fri*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FpRoundOp {
    /// To nearest, ties away from zero.
    Nearest,
    Zero,
    Up,
    Down,
}

impl Opcode {
    /// Whether the instruction uses the FPU.
    pub const fn is_fpu(self) -> bool {
        matches!(
            self,
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
                | Opcode::Mcrfs
        )
    }
}

/// SPR numbers.
pub const SPR_XER: u16 = 1;
pub const SPR_LR: u16 = 8;
pub const SPR_CTR: u16 = 9;
pub const SPR_VRSAVE: u16 = 256;
pub const SPR_TB: u16 = 268;
pub const SPR_TBU: u16 = 269;

/// SPRs user code may read.
pub const MFSPR_ALLOWED: [u16; 6] = [SPR_XER, SPR_LR, SPR_CTR, SPR_VRSAVE, SPR_TB, SPR_TBU];
/// SPRs user code may write.
pub const MTSPR_ALLOWED: [u16; 4] = [SPR_XER, SPR_LR, SPR_CTR, SPR_VRSAVE];

/// How to pull operands out of a word. Field names follow the Power ISA
/// manual; see [`Insn`] for where each lands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// rt, ra, signed 16-bit imm.
    D,
    /// rt (rs), ra, unsigned 16-bit imm.
    DU,
    /// D with update: ra must be neither 0 nor rt.
    DLoadU,
    /// D with update: ra must not be 0.
    DStoreU,
    /// rt, ra, signed 14-bit imm scaled by 4.
    DS,
    DSLoadU,
    DSStoreU,
    /// rt (rs, bf, to), ra, rb.
    X,
    /// X with update: ra must be neither 0 nor rt.
    XLoadU,
    /// X with update: ra must not be 0.
    XStoreU,
    /// srawi: rs, ra, 5-bit sh.
    XSh5,
    /// sradi (XS-form): rs, ra, 6-bit sh.
    XSh6,
    /// rs, ra, rb (or sh), mb, me: 5-bit fields.
    M,
    /// rs, ra, 6-bit sh, 6-bit mb (me for rldicr).
    MD,
    /// rs, ra, rb, 6-bit mb (me for rldcr).
    MDS,
    /// bf, l, ra, rb.
    Cmp,
    /// bf, l, ra, signed imm.
    CmpI,
    /// bf, l, ra, unsigned imm.
    CmpLI,
    /// 24-bit branch displacement; aa, lk.
    I,
    /// bo, bi, 14-bit displacement; aa, lk.
    B,
    /// bo, bi; lk.
    XLBranch,
    /// bo, bi; lk. BO must not ask for a CTR decrement.
    XLBcctr,
    /// bt, ba, bb.
    XLCr,
    /// bf, bfa.
    Mcrf,
    /// rt, spr; the SPR must be one of [`MFSPR_ALLOWED`].
    MfSpr,
    /// rs, spr; the SPR must be one of [`MTSPR_ALLOWED`].
    MtSpr,
    /// rt, tbr; TB or TBU.
    Tb,
    /// rt (rs), fxm.
    Fxm,
    /// to, ra, signed imm.
    TrapI,
    /// rt, ra, rb, bc.
    Isel,
    /// A-form FP: frt, fra, frb, frc (in `mb`).
    A,
    /// `mtfsf`: FLM in imm, frb; L and W must be zero.
    Mtfsf,
    /// `mtfsfi`: bf, U in imm; W must be zero.
    Mtfsfi,
    /// No operands.
    None,
}

/// One row of the encoding table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Encoding {
    /// Assembler name of the encoding (`"addo."`).
    pub name: &'static str,
    /// Bits that identify the encoding.
    pub mask: u32,
    /// Required value of those bits.
    pub value: u32,
    pub format: Format,
    pub opcode: Opcode,
    /// Record form: sets CR0 (or, for `stcx.`, is it).
    pub rc: bool,
    /// Overflow form: sets XER[OV] and ORs it into XER[SO].
    pub oe: bool,
}

impl decode_kit::Row for Encoding {
    fn name(&self) -> &'static str {
        self.name
    }
    fn mask(&self) -> u32 {
        self.mask
    }
    fn value(&self) -> u32 {
        self.value
    }
}

/// A decoded instruction. Unused operands are zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insn {
    pub opcode: Opcode,
    /// Name of the encoding it came from.
    pub name: &'static str,
    /// RT, RS, BF, BT, BO or TO: the field at bits 6–10 (BF: 6–8).
    pub rt: u8,
    /// RA, BI, BA or BFA: the field at bits 11–15 (BFA: 11–13).
    pub ra: u8,
    /// RB or BB: the field at bits 16–20.
    pub rb: u8,
    /// D/DS displacement, SI/UI immediate, branch displacement, SPR number
    /// or FXM mask.
    pub imm: i64,
    /// Shift amount of rotates and immediate shifts.
    pub sh: u8,
    /// Mask begin of rotates; isel's BC; the FRC field of A-form FP.
    pub mb: u8,
    /// Mask end of rotates.
    pub me: u8,
    /// Compare width: 64-bit when set.
    pub l: bool,
    pub rc: bool,
    pub oe: bool,
    /// Absolute branch.
    pub aa: bool,
    /// Branch and link.
    pub lk: bool,
}

/// Outcome of decoding the bytes at one pc.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decoded {
    Insn(Insn),
    /// No encoding matches, or the operands are invalid.
    Illegal,
    /// Fewer than 4 bytes are available.
    Truncated {
        available: u8,
    },
}

use Format as F;
use Opcode as O;

const OPCD: u32 = 0xfc00_0000;
/// Primary + X-form extended opcode + Rc.
const XMASK: u32 = 0xfc00_07ff;

const fn row(
    name: &'static str,
    mask: u32,
    value: u32,
    format: Format,
    opcode: Opcode,
    rc: bool,
    oe: bool,
) -> Encoding {
    Encoding { name, mask, value, format, opcode, rc, oe }
}

/// D-form (and I/B/M-forms identified by the primary opcode alone).
const fn d(name: &'static str, op: u32, format: Format, opcode: Opcode) -> Encoding {
    row(name, OPCD, op << 26, format, opcode, false, false)
}

/// D-form that always records (`addic.`, `andi.`).
const fn d_rc(name: &'static str, op: u32, format: Format, opcode: Opcode) -> Encoding {
    row(name, OPCD, op << 26, format, opcode, true, false)
}

/// DS-form: primary opcode and the 2-bit XO.
const fn ds(name: &'static str, op: u32, xo: u32, format: Format, opcode: Opcode) -> Encoding {
    row(name, OPCD | 3, (op << 26) | xo, format, opcode, false, false)
}

/// Primary opcode plus the low two bits (AA, LK) of an I- or B-form.
const fn br(name: &'static str, op: u32, aa_lk: u32, format: Format) -> Encoding {
    let opcode = if op == 18 { O::B } else { O::Bc };
    row(name, OPCD | 3, (op << 26) | aa_lk, format, opcode, false, false)
}

/// Opcode-31 X-form with Rc = 0.
const fn x(name: &'static str, xo: u32, format: Format, opcode: Opcode) -> Encoding {
    row(name, XMASK, (31 << 26) | (xo << 1), format, opcode, false, false)
}

/// Opcode-31 X-form with Rc = 1.
const fn x_rc(name: &'static str, xo: u32, format: Format, opcode: Opcode) -> Encoding {
    row(name, XMASK, (31 << 26) | (xo << 1) | 1, format, opcode, true, false)
}

/// Opcode-31 X-form whose bit 31 is a hint (`lwarx`'s EH).
const fn x_hint(name: &'static str, xo: u32, format: Format, opcode: Opcode) -> Encoding {
    row(name, XMASK & !1, (31 << 26) | (xo << 1), format, opcode, false, false)
}

/// XO-form arithmetic with the given OE and Rc.
const fn xo(name: &'static str, xo: u32, oe: bool, rc: bool, op: ArithOp) -> Encoding {
    let value = (31 << 26) | ((oe as u32) << 10) | (xo << 1) | rc as u32;
    row(name, XMASK, value, F::X, O::Arith(op), rc, oe)
}

/// Opcode-19 XL-form.
const fn xl(name: &'static str, xo: u32, lk: u32, format: Format, opcode: Opcode) -> Encoding {
    row(name, XMASK, (19 << 26) | (xo << 1) | lk, format, opcode, false, false)
}

/// M-form rotate (opcode and Rc).
const fn m(name: &'static str, op: u32, rc: bool, rot: RotOp) -> Encoding {
    row(name, OPCD | 1, (op << 26) | rc as u32, F::M, O::Rotate(rot), rc, false)
}

/// MD-form rotate (opcode 30, 3-bit XO, Rc).
const fn md(name: &'static str, xo: u32, rc: bool, rot: RotOp) -> Encoding {
    row(name, OPCD | 0x1d, (30 << 26) | (xo << 2) | rc as u32, F::MD, O::Rotate(rot), rc, false)
}

/// MDS-form rotate (opcode 30, 4-bit XO, Rc).
const fn mds(name: &'static str, xo: u32, rc: bool, rot: RotOp) -> Encoding {
    row(name, OPCD | 0x1f, (30 << 26) | (xo << 1) | rc as u32, F::MDS, O::Rotate(rot), rc, false)
}

const fn load(size: Size, signed: bool, update: bool, indexed: bool) -> Opcode {
    O::Load { size, signed, update, indexed }
}

const fn store(size: Size, update: bool, indexed: bool) -> Opcode {
    O::Store { size, update, indexed }
}

use ArithOp as A;
use ImmOp as I;
use LogicOp as L;
use RotOp as R;
use ShiftOp as S;
use UnaryOp as U;

/// A-form FP row of primary opcode `op` (59 single, 63 double).
const fn fa(name: &'static str, op: u32, xo: u32, rc: bool, opcode: Opcode) -> Encoding {
    row(name, OPCD | 0x3f, (op << 26) | (xo << 1) | rc as u32, F::A, opcode, rc, false)
}

/// X-form FP row of primary opcode `op`.
const fn fx(name: &'static str, op: u32, xo: u32, rc: bool, f: Format, opcode: Opcode) -> Encoding {
    row(name, XMASK, (op << 26) | (xo << 1) | rc as u32, f, opcode, rc, false)
}

const fn fl(single: bool, update: bool, indexed: bool) -> Opcode {
    O::FpLoad { single, update, indexed }
}

const fn fs(single: bool, update: bool, indexed: bool) -> Opcode {
    O::FpStore { single, update, indexed }
}

const fn far(op: FpBinOp, single: bool) -> Opcode {
    O::FpArith { op, single }
}

const fn fma(sub: bool, neg: bool, single: bool) -> Opcode {
    O::FpMadd { sub, neg, single }
}

const fn cti(word: bool, signed: bool, toward_zero: bool) -> Opcode {
    O::FpToInt { word, signed, toward_zero }
}

const fn cfi(single: bool, signed: bool) -> Opcode {
    O::FpFromInt { single, signed }
}

use FpBinOp as FB;
use FpMoveOp as FM;
use FpRoundOp as FR;

/// The encoding table.
pub static TABLE: &[Encoding] = &[
    // Traps with an immediate.
    d("tdi", 2, F::TrapI, O::TrapImm { double: true }),
    d("twi", 3, F::TrapI, O::TrapImm { double: false }),
    // D-form arithmetic, logic and compares.
    d("mulli", 7, F::D, O::Imm(I::Mulli)),
    d("subfic", 8, F::D, O::Imm(I::Subfic)),
    d("cmpli", 10, F::CmpLI, O::CmpImm { signed: false }),
    d("cmpi", 11, F::CmpI, O::CmpImm { signed: true }),
    d("addic", 12, F::D, O::Imm(I::Addic)),
    d_rc("addic.", 13, F::D, O::Imm(I::Addic)),
    d("addi", 14, F::D, O::Imm(I::Addi)),
    d("addis", 15, F::D, O::Imm(I::Addis)),
    d("ori", 24, F::DU, O::Imm(I::Ori)),
    d("oris", 25, F::DU, O::Imm(I::Oris)),
    d("xori", 26, F::DU, O::Imm(I::Xori)),
    d("xoris", 27, F::DU, O::Imm(I::Xoris)),
    d_rc("andi.", 28, F::DU, O::Imm(I::Andi)),
    d_rc("andis.", 29, F::DU, O::Imm(I::Andis)),
    // Branches and the system call.
    br("bc", 16, 0, F::B),
    br("bcl", 16, 1, F::B),
    br("bca", 16, 2, F::B),
    br("bcla", 16, 3, F::B),
    row("sc", 0xffff_ffff, 0x4400_0002, F::None, O::Sc, false, false),
    br("b", 18, 0, F::I),
    br("bl", 18, 1, F::I),
    br("ba", 18, 2, F::I),
    br("bla", 18, 3, F::I),
    // Opcode 19: CR logic, branches to LR/CTR, isync.
    xl("mcrf", 0, 0, F::Mcrf, O::Mcrf),
    xl("bclr", 16, 0, F::XLBranch, O::Bclr),
    xl("bclrl", 16, 1, F::XLBranch, O::Bclr),
    xl("crnor", 33, 0, F::XLCr, O::CrLogic(CrOp::Nor)),
    xl("crandc", 129, 0, F::XLCr, O::CrLogic(CrOp::Andc)),
    xl("isync", 150, 0, F::None, O::Isync),
    xl("crxor", 193, 0, F::XLCr, O::CrLogic(CrOp::Xor)),
    xl("crnand", 225, 0, F::XLCr, O::CrLogic(CrOp::Nand)),
    xl("crand", 257, 0, F::XLCr, O::CrLogic(CrOp::And)),
    xl("creqv", 289, 0, F::XLCr, O::CrLogic(CrOp::Eqv)),
    xl("crorc", 417, 0, F::XLCr, O::CrLogic(CrOp::Orc)),
    xl("cror", 449, 0, F::XLCr, O::CrLogic(CrOp::Or)),
    xl("bcctr", 528, 0, F::XLBcctr, O::Bcctr),
    xl("bcctrl", 528, 1, F::XLBcctr, O::Bcctr),
    // Rotates.
    m("rlwimi", 20, false, R::Rlwimi),
    m("rlwimi.", 20, true, R::Rlwimi),
    m("rlwinm", 21, false, R::Rlwinm),
    m("rlwinm.", 21, true, R::Rlwinm),
    m("rlwnm", 23, false, R::Rlwnm),
    m("rlwnm.", 23, true, R::Rlwnm),
    md("rldicl", 0, false, R::Rldicl),
    md("rldicl.", 0, true, R::Rldicl),
    md("rldicr", 1, false, R::Rldicr),
    md("rldicr.", 1, true, R::Rldicr),
    md("rldic", 2, false, R::Rldic),
    md("rldic.", 2, true, R::Rldic),
    md("rldimi", 3, false, R::Rldimi),
    md("rldimi.", 3, true, R::Rldimi),
    mds("rldcl", 8, false, R::Rldcl),
    mds("rldcl.", 8, true, R::Rldcl),
    mds("rldcr", 9, false, R::Rldcr),
    mds("rldcr.", 9, true, R::Rldcr),
    // D-form loads and stores.
    d("lwz", 32, F::D, load(4, false, false, false)),
    d("lwzu", 33, F::DLoadU, load(4, false, true, false)),
    d("lbz", 34, F::D, load(1, false, false, false)),
    d("lbzu", 35, F::DLoadU, load(1, false, true, false)),
    d("stw", 36, F::D, store(4, false, false)),
    d("stwu", 37, F::DStoreU, store(4, true, false)),
    d("stb", 38, F::D, store(1, false, false)),
    d("stbu", 39, F::DStoreU, store(1, true, false)),
    d("lhz", 40, F::D, load(2, false, false, false)),
    d("lhzu", 41, F::DLoadU, load(2, false, true, false)),
    d("lha", 42, F::D, load(2, true, false, false)),
    d("lhau", 43, F::DLoadU, load(2, true, true, false)),
    d("sth", 44, F::D, store(2, false, false)),
    d("sthu", 45, F::DStoreU, store(2, true, false)),
    d("lmw", 46, F::D, O::Lmw),
    d("stmw", 47, F::D, O::Stmw),
    ds("ld", 58, 0, F::DS, load(8, false, false, false)),
    ds("ldu", 58, 1, F::DSLoadU, load(8, false, true, false)),
    ds("lwa", 58, 2, F::DS, load(4, true, false, false)),
    ds("std", 62, 0, F::DS, store(8, false, false)),
    ds("stdu", 62, 1, F::DSStoreU, store(8, true, false)),
    // Opcode 31: compares and traps.
    x("cmp", 0, F::Cmp, O::Cmp { signed: true }),
    x("cmpl", 32, F::Cmp, O::Cmp { signed: false }),
    x("tw", 4, F::X, O::Trap { double: false }),
    x("td", 68, F::X, O::Trap { double: true }),
    // XO-form arithmetic, in all four OE/Rc combinations where both exist.
    xo("subfc", 8, false, false, A::Subfc),
    xo("subfc.", 8, false, true, A::Subfc),
    xo("subfco", 8, true, false, A::Subfc),
    xo("subfco.", 8, true, true, A::Subfc),
    xo("mulhdu", 9, false, false, A::Mulhdu),
    xo("mulhdu.", 9, false, true, A::Mulhdu),
    xo("addc", 10, false, false, A::Addc),
    xo("addc.", 10, false, true, A::Addc),
    xo("addco", 10, true, false, A::Addc),
    xo("addco.", 10, true, true, A::Addc),
    xo("mulhwu", 11, false, false, A::Mulhwu),
    xo("mulhwu.", 11, false, true, A::Mulhwu),
    xo("subf", 40, false, false, A::Subf),
    xo("subf.", 40, false, true, A::Subf),
    xo("subfo", 40, true, false, A::Subf),
    xo("subfo.", 40, true, true, A::Subf),
    xo("mulhd", 73, false, false, A::Mulhd),
    xo("mulhd.", 73, false, true, A::Mulhd),
    xo("mulhw", 75, false, false, A::Mulhw),
    xo("mulhw.", 75, false, true, A::Mulhw),
    xo("neg", 104, false, false, A::Neg),
    xo("neg.", 104, false, true, A::Neg),
    xo("nego", 104, true, false, A::Neg),
    xo("nego.", 104, true, true, A::Neg),
    xo("subfe", 136, false, false, A::Subfe),
    xo("subfe.", 136, false, true, A::Subfe),
    xo("subfeo", 136, true, false, A::Subfe),
    xo("subfeo.", 136, true, true, A::Subfe),
    xo("adde", 138, false, false, A::Adde),
    xo("adde.", 138, false, true, A::Adde),
    xo("addeo", 138, true, false, A::Adde),
    xo("addeo.", 138, true, true, A::Adde),
    xo("subfze", 200, false, false, A::Subfze),
    xo("subfze.", 200, false, true, A::Subfze),
    xo("subfzeo", 200, true, false, A::Subfze),
    xo("subfzeo.", 200, true, true, A::Subfze),
    xo("addze", 202, false, false, A::Addze),
    xo("addze.", 202, false, true, A::Addze),
    xo("addzeo", 202, true, false, A::Addze),
    xo("addzeo.", 202, true, true, A::Addze),
    xo("subfme", 232, false, false, A::Subfme),
    xo("subfme.", 232, false, true, A::Subfme),
    xo("subfmeo", 232, true, false, A::Subfme),
    xo("subfmeo.", 232, true, true, A::Subfme),
    xo("mulld", 233, false, false, A::Mulld),
    xo("mulld.", 233, false, true, A::Mulld),
    xo("mulldo", 233, true, false, A::Mulld),
    xo("mulldo.", 233, true, true, A::Mulld),
    xo("addme", 234, false, false, A::Addme),
    xo("addme.", 234, false, true, A::Addme),
    xo("addmeo", 234, true, false, A::Addme),
    xo("addmeo.", 234, true, true, A::Addme),
    xo("mullw", 235, false, false, A::Mullw),
    xo("mullw.", 235, false, true, A::Mullw),
    xo("mullwo", 235, true, false, A::Mullw),
    xo("mullwo.", 235, true, true, A::Mullw),
    xo("add", 266, false, false, A::Add),
    xo("add.", 266, false, true, A::Add),
    xo("addo", 266, true, false, A::Add),
    xo("addo.", 266, true, true, A::Add),
    xo("divdu", 457, false, false, A::Divdu),
    xo("divdu.", 457, false, true, A::Divdu),
    xo("divduo", 457, true, false, A::Divdu),
    xo("divduo.", 457, true, true, A::Divdu),
    xo("divwu", 459, false, false, A::Divwu),
    xo("divwu.", 459, false, true, A::Divwu),
    xo("divwuo", 459, true, false, A::Divwu),
    xo("divwuo.", 459, true, true, A::Divwu),
    xo("divd", 489, false, false, A::Divd),
    xo("divd.", 489, false, true, A::Divd),
    xo("divdo", 489, true, false, A::Divd),
    xo("divdo.", 489, true, true, A::Divd),
    xo("divw", 491, false, false, A::Divw),
    xo("divw.", 491, false, true, A::Divw),
    xo("divwo", 491, true, false, A::Divw),
    xo("divwo.", 491, true, true, A::Divw),
    // Logic.
    x("and", 28, F::X, O::Logic(L::And)),
    x_rc("and.", 28, F::X, O::Logic(L::And)),
    x("andc", 60, F::X, O::Logic(L::Andc)),
    x_rc("andc.", 60, F::X, O::Logic(L::Andc)),
    x("nor", 124, F::X, O::Logic(L::Nor)),
    x_rc("nor.", 124, F::X, O::Logic(L::Nor)),
    x("eqv", 284, F::X, O::Logic(L::Eqv)),
    x_rc("eqv.", 284, F::X, O::Logic(L::Eqv)),
    x("xor", 316, F::X, O::Logic(L::Xor)),
    x_rc("xor.", 316, F::X, O::Logic(L::Xor)),
    x("orc", 412, F::X, O::Logic(L::Orc)),
    x_rc("orc.", 412, F::X, O::Logic(L::Orc)),
    x("or", 444, F::X, O::Logic(L::Or)),
    x_rc("or.", 444, F::X, O::Logic(L::Or)),
    x("nand", 476, F::X, O::Logic(L::Nand)),
    x_rc("nand.", 476, F::X, O::Logic(L::Nand)),
    // Shifts.
    x("slw", 24, F::X, O::Shift(S::Slw)),
    x_rc("slw.", 24, F::X, O::Shift(S::Slw)),
    x("sld", 27, F::X, O::Shift(S::Sld)),
    x_rc("sld.", 27, F::X, O::Shift(S::Sld)),
    x("srw", 536, F::X, O::Shift(S::Srw)),
    x_rc("srw.", 536, F::X, O::Shift(S::Srw)),
    x("srd", 539, F::X, O::Shift(S::Srd)),
    x_rc("srd.", 539, F::X, O::Shift(S::Srd)),
    x("sraw", 792, F::X, O::Shift(S::Sraw)),
    x_rc("sraw.", 792, F::X, O::Shift(S::Sraw)),
    x("srad", 794, F::X, O::Shift(S::Srad)),
    x_rc("srad.", 794, F::X, O::Shift(S::Srad)),
    x("srawi", 824, F::XSh5, O::Srawi),
    x_rc("srawi.", 824, F::XSh5, O::Srawi),
    // XS-form: the 9-bit XO leaves bit 30 for sh[5].
    row("sradi", XMASK & !2, (31 << 26) | (413 << 2), F::XSh6, O::Sradi, false, false),
    row("sradi.", XMASK & !2, (31 << 26) | (413 << 2) | 1, F::XSh6, O::Sradi, true, false),
    // Counts, extensions and byte compares.
    x("cntlzw", 26, F::X, O::Unary(U::Cntlzw)),
    x_rc("cntlzw.", 26, F::X, O::Unary(U::Cntlzw)),
    x("cntlzd", 58, F::X, O::Unary(U::Cntlzd)),
    x_rc("cntlzd.", 58, F::X, O::Unary(U::Cntlzd)),
    x("extsh", 922, F::X, O::Unary(U::Extsh)),
    x_rc("extsh.", 922, F::X, O::Unary(U::Extsh)),
    x("extsb", 954, F::X, O::Unary(U::Extsb)),
    x_rc("extsb.", 954, F::X, O::Unary(U::Extsb)),
    x("extsw", 986, F::X, O::Unary(U::Extsw)),
    x_rc("extsw.", 986, F::X, O::Unary(U::Extsw)),
    x("popcntb", 122, F::X, O::Unary(U::Popcntb)),
    x("popcntw", 378, F::X, O::Unary(U::Popcntw)),
    x("popcntd", 506, F::X, O::Unary(U::Popcntd)),
    x("prtyw", 154, F::X, O::Unary(U::Prtyw)),
    x("prtyd", 186, F::X, O::Unary(U::Prtyd)),
    x("cmpb", 508, F::X, O::Cmpb),
    // isel: A-form, a 5-bit XO below a 5-bit BC field.
    row("isel", OPCD | 0x3f, (31 << 26) | (15 << 1), F::Isel, O::Isel, false, false),
    // CR and SPR moves. Bit 11 (0x0010_0000) selects the one-field forms.
    row("mfcr", XMASK | 0x0010_0000, (31 << 26) | (19 << 1), F::X, O::Mfcr, false, false),
    row("mfocrf", XMASK | 0x0010_0000, 0x7c10_0026, F::Fxm, O::Mfocrf, false, false),
    row("mtcrf", XMASK | 0x0010_0000, (31 << 26) | (144 << 1), F::Fxm, O::Mtcrf, false, false),
    row("mtocrf", XMASK | 0x0010_0000, 0x7c10_0120, F::Fxm, O::Mtocrf, false, false),
    x("mfspr", 339, F::MfSpr, O::Mfspr),
    x("mftb", 371, F::Tb, O::Mftb),
    x("mtspr", 467, F::MtSpr, O::Mtspr),
    // Indexed loads and stores.
    x("ldx", 21, F::X, load(8, false, false, true)),
    x("lwzx", 23, F::X, load(4, false, false, true)),
    x("ldux", 53, F::XLoadU, load(8, false, true, true)),
    x("lwzux", 55, F::XLoadU, load(4, false, true, true)),
    x("lbzx", 87, F::X, load(1, false, false, true)),
    x("lbzux", 119, F::XLoadU, load(1, false, true, true)),
    x("stdx", 149, F::X, store(8, false, true)),
    x("stwx", 151, F::X, store(4, false, true)),
    x("stdux", 181, F::XStoreU, store(8, true, true)),
    x("stwux", 183, F::XStoreU, store(4, true, true)),
    x("stbx", 215, F::X, store(1, false, true)),
    x("stbux", 247, F::XStoreU, store(1, true, true)),
    x("lhzx", 279, F::X, load(2, false, false, true)),
    x("lhzux", 311, F::XLoadU, load(2, false, true, true)),
    x("lwax", 341, F::X, load(4, true, false, true)),
    x("lhax", 343, F::X, load(2, true, false, true)),
    x("lwaux", 373, F::XLoadU, load(4, true, true, true)),
    x("lhaux", 375, F::XLoadU, load(2, true, true, true)),
    x("sthx", 407, F::X, store(2, false, true)),
    x("sthux", 439, F::XStoreU, store(2, true, true)),
    x("ldbrx", 532, F::X, O::LoadRev(8)),
    x("lwbrx", 534, F::X, O::LoadRev(4)),
    x("stdbrx", 660, F::X, O::StoreRev(8)),
    x("stwbrx", 662, F::X, O::StoreRev(4)),
    x("lhbrx", 790, F::X, O::LoadRev(2)),
    x("sthbrx", 918, F::X, O::StoreRev(2)),
    // Load and reserve / store conditional.
    x_hint("lwarx", 20, F::X, O::Larx(4)),
    x_hint("lbarx", 52, F::X, O::Larx(1)),
    x_hint("ldarx", 84, F::X, O::Larx(8)),
    x_hint("lharx", 116, F::X, O::Larx(2)),
    x_rc("stwcx.", 150, F::X, O::Stcx(4)),
    x_rc("stdcx.", 214, F::X, O::Stcx(8)),
    x_rc("stbcx.", 694, F::X, O::Stcx(1)),
    x_rc("sthcx.", 726, F::X, O::Stcx(2)),
    // Barriers and cache management. lwsync is sync with L = 1.
    row("lwsync", XMASK | 0x0060_0000, 0x7c20_04ac, F::None, O::Barrier, false, false),
    x("sync", 598, F::None, O::Barrier),
    x("eieio", 854, F::None, O::Barrier),
    x("dcbst", 54, F::X, O::CacheHint),
    x("dcbf", 86, F::X, O::CacheHint),
    x("dcbtst", 246, F::X, O::CacheHint),
    x("dcbt", 278, F::X, O::CacheHint),
    x("icbi", 982, F::X, O::CacheHint),
    x("dcbz", 1014, F::X, O::Dcbz),
    // FP loads and stores.
    d("lfs", 48, F::D, fl(true, false, false)),
    d("lfsu", 49, F::DStoreU, fl(true, true, false)),
    d("lfd", 50, F::D, fl(false, false, false)),
    d("lfdu", 51, F::DStoreU, fl(false, true, false)),
    d("stfs", 52, F::D, fs(true, false, false)),
    d("stfsu", 53, F::DStoreU, fs(true, true, false)),
    d("stfd", 54, F::D, fs(false, false, false)),
    d("stfdu", 55, F::DStoreU, fs(false, true, false)),
    x("lfsx", 535, F::X, fl(true, false, true)),
    x("lfsux", 567, F::XStoreU, fl(true, true, true)),
    x("lfdx", 599, F::X, fl(false, false, true)),
    x("lfdux", 631, F::XStoreU, fl(false, true, true)),
    x("stfsx", 663, F::X, fs(true, false, true)),
    x("stfsux", 695, F::XStoreU, fs(true, true, true)),
    x("stfdx", 727, F::X, fs(false, false, true)),
    x("stfdux", 759, F::XStoreU, fs(false, true, true)),
    x("lfiwax", 855, F::X, O::Lfiw { signed: true }),
    x("lfiwzx", 887, F::X, O::Lfiw { signed: false }),
    x("stfiwx", 983, F::X, O::Stfiwx),
    // A-form arithmetic, double (63) and single (59).
    fa("fdiv", 63, 18, false, far(FB::Div, false)),
    fa("fdiv.", 63, 18, true, far(FB::Div, false)),
    fa("fsub", 63, 20, false, far(FB::Sub, false)),
    fa("fsub.", 63, 20, true, far(FB::Sub, false)),
    fa("fadd", 63, 21, false, far(FB::Add, false)),
    fa("fadd.", 63, 21, true, far(FB::Add, false)),
    fa("fsqrt", 63, 22, false, O::FpSqrt { single: false }),
    fa("fsqrt.", 63, 22, true, O::FpSqrt { single: false }),
    fa("fsel", 63, 23, false, O::Fsel),
    fa("fsel.", 63, 23, true, O::Fsel),
    fa("fre", 63, 24, false, O::FpEstimate { sqrt: false, single: false }),
    fa("fre.", 63, 24, true, O::FpEstimate { sqrt: false, single: false }),
    fa("frsqrte", 63, 26, false, O::FpEstimate { sqrt: true, single: false }),
    fa("frsqrte.", 63, 26, true, O::FpEstimate { sqrt: true, single: false }),
    fa("fmul", 63, 25, false, far(FB::Mul, false)),
    fa("fmul.", 63, 25, true, far(FB::Mul, false)),
    fa("fmsub", 63, 28, false, fma(true, false, false)),
    fa("fmsub.", 63, 28, true, fma(true, false, false)),
    fa("fmadd", 63, 29, false, fma(false, false, false)),
    fa("fmadd.", 63, 29, true, fma(false, false, false)),
    fa("fnmsub", 63, 30, false, fma(true, true, false)),
    fa("fnmsub.", 63, 30, true, fma(true, true, false)),
    fa("fnmadd", 63, 31, false, fma(false, true, false)),
    fa("fnmadd.", 63, 31, true, fma(false, true, false)),
    fa("fdivs", 59, 18, false, far(FB::Div, true)),
    fa("fdivs.", 59, 18, true, far(FB::Div, true)),
    fa("fsubs", 59, 20, false, far(FB::Sub, true)),
    fa("fsubs.", 59, 20, true, far(FB::Sub, true)),
    fa("fadds", 59, 21, false, far(FB::Add, true)),
    fa("fadds.", 59, 21, true, far(FB::Add, true)),
    fa("fsqrts", 59, 22, false, O::FpSqrt { single: true }),
    fa("fsqrts.", 59, 22, true, O::FpSqrt { single: true }),
    fa("fres", 59, 24, false, O::FpEstimate { sqrt: false, single: true }),
    fa("fres.", 59, 24, true, O::FpEstimate { sqrt: false, single: true }),
    fa("frsqrtes", 59, 26, false, O::FpEstimate { sqrt: true, single: true }),
    fa("frsqrtes.", 59, 26, true, O::FpEstimate { sqrt: true, single: true }),
    fa("fmuls", 59, 25, false, far(FB::Mul, true)),
    fa("fmuls.", 59, 25, true, far(FB::Mul, true)),
    fa("fmsubs", 59, 28, false, fma(true, false, true)),
    fa("fmsubs.", 59, 28, true, fma(true, false, true)),
    fa("fmadds", 59, 29, false, fma(false, false, true)),
    fa("fmadds.", 59, 29, true, fma(false, false, true)),
    fa("fnmsubs", 59, 30, false, fma(true, true, true)),
    fa("fnmsubs.", 59, 30, true, fma(true, true, true)),
    fa("fnmadds", 59, 31, false, fma(false, true, true)),
    fa("fnmadds.", 59, 31, true, fma(false, true, true)),
    // X-form FP: compares, conversions, moves and FPSCR.
    fx("fcmpu", 63, 0, false, F::Cmp, O::FpCmp { ordered: false }),
    fx("fcmpo", 63, 32, false, F::Cmp, O::FpCmp { ordered: true }),
    fx("frsp", 63, 12, false, F::X, O::Frsp),
    fx("frsp.", 63, 12, true, F::X, O::Frsp),
    fx("fctiw", 63, 14, false, F::X, cti(true, true, false)),
    fx("fctiw.", 63, 14, true, F::X, cti(true, true, false)),
    fx("fctiwz", 63, 15, false, F::X, cti(true, true, true)),
    fx("fctiwz.", 63, 15, true, F::X, cti(true, true, true)),
    fx("fctiwu", 63, 142, false, F::X, cti(true, false, false)),
    fx("fctiwu.", 63, 142, true, F::X, cti(true, false, false)),
    fx("fctiwuz", 63, 143, false, F::X, cti(true, false, true)),
    fx("fctiwuz.", 63, 143, true, F::X, cti(true, false, true)),
    fx("fctid", 63, 814, false, F::X, cti(false, true, false)),
    fx("fctid.", 63, 814, true, F::X, cti(false, true, false)),
    fx("fctidz", 63, 815, false, F::X, cti(false, true, true)),
    fx("fctidz.", 63, 815, true, F::X, cti(false, true, true)),
    fx("fctidu", 63, 942, false, F::X, cti(false, false, false)),
    fx("fctidu.", 63, 942, true, F::X, cti(false, false, false)),
    fx("fctiduz", 63, 943, false, F::X, cti(false, false, true)),
    fx("fctiduz.", 63, 943, true, F::X, cti(false, false, true)),
    fx("fcfid", 63, 846, false, F::X, cfi(false, true)),
    fx("fcfid.", 63, 846, true, F::X, cfi(false, true)),
    fx("fcfidu", 63, 974, false, F::X, cfi(false, false)),
    fx("fcfidu.", 63, 974, true, F::X, cfi(false, false)),
    fx("fcfids", 59, 846, false, F::X, cfi(true, true)),
    fx("fcfids.", 59, 846, true, F::X, cfi(true, true)),
    fx("fcfidus", 59, 974, false, F::X, cfi(true, false)),
    fx("fcfidus.", 59, 974, true, F::X, cfi(true, false)),
    fx("fcpsgn", 63, 8, false, F::X, O::FpMove(FM::Cpsgn)),
    fx("fcpsgn.", 63, 8, true, F::X, O::FpMove(FM::Cpsgn)),
    fx("fneg", 63, 40, false, F::X, O::FpMove(FM::Neg)),
    fx("fneg.", 63, 40, true, F::X, O::FpMove(FM::Neg)),
    fx("fmr", 63, 72, false, F::X, O::FpMove(FM::Mr)),
    fx("fmr.", 63, 72, true, F::X, O::FpMove(FM::Mr)),
    fx("fnabs", 63, 136, false, F::X, O::FpMove(FM::Nabs)),
    fx("fnabs.", 63, 136, true, F::X, O::FpMove(FM::Nabs)),
    fx("fabs", 63, 264, false, F::X, O::FpMove(FM::Abs)),
    fx("fabs.", 63, 264, true, F::X, O::FpMove(FM::Abs)),
    fx("frin", 63, 392, false, F::X, O::FpRoundInt(FR::Nearest)),
    fx("frin.", 63, 392, true, F::X, O::FpRoundInt(FR::Nearest)),
    fx("friz", 63, 424, false, F::X, O::FpRoundInt(FR::Zero)),
    fx("friz.", 63, 424, true, F::X, O::FpRoundInt(FR::Zero)),
    fx("frip", 63, 456, false, F::X, O::FpRoundInt(FR::Up)),
    fx("frip.", 63, 456, true, F::X, O::FpRoundInt(FR::Up)),
    fx("frim", 63, 488, false, F::X, O::FpRoundInt(FR::Down)),
    fx("frim.", 63, 488, true, F::X, O::FpRoundInt(FR::Down)),
    fx("mtfsb1", 63, 38, false, F::X, O::Mtfsb { set: true }),
    fx("mtfsb1.", 63, 38, true, F::X, O::Mtfsb { set: true }),
    fx("mcrfs", 63, 64, false, F::Mcrf, O::Mcrfs),
    fx("mtfsb0", 63, 70, false, F::X, O::Mtfsb { set: false }),
    fx("mtfsb0.", 63, 70, true, F::X, O::Mtfsb { set: false }),
    fx("mtfsfi", 63, 134, false, F::Mtfsfi, O::Mtfsfi),
    fx("mtfsfi.", 63, 134, true, F::Mtfsfi, O::Mtfsfi),
    // POWER8 ignores bits 11-15 of mffs, so the ISA 3.0 variants that set
    // them (mffscrni, mffsl, ...) read FPSCR as plain mffs; glibc relies
    // on that when AT_HWCAP2 lacks ARCH_3_00.
    fx("mffs", 63, 583, false, F::X, O::Mffs),
    fx("mffs.", 63, 583, true, F::X, O::Mffs),
    fx("mtfsf", 63, 711, false, F::Mtfsf, O::Mtfsf),
    fx("mtfsf.", 63, 711, true, F::Mtfsf, O::Mtfsf),
];

/// Every encoding, for tests and random instruction generators.
pub fn encodings() -> impl Iterator<Item = &'static Encoding> {
    TABLE.iter()
}

/// The first row matching `word`, if any.
pub fn lookup(word: u32) -> Option<&'static Encoding> {
    TABLE.iter().find(|e| word & e.mask == e.value)
}

/// Decode the instruction at the start of `bytes` (memory order, big-endian).
pub fn decode(bytes: &[u8]) -> Decoded {
    match bytes.get(..4) {
        Some(&[a, b, c, d]) => decode_word(u32::from_be_bytes([a, b, c, d])),
        _ => Decoded::Truncated { available: bytes.len().min(3) as u8 },
    }
}

/// Decode one instruction word.
pub fn decode_word(word: u32) -> Decoded {
    let Some(enc) = lookup(word) else {
        return Decoded::Illegal;
    };
    match extract(enc, word) {
        Some(insn) => Decoded::Insn(insn),
        None => Decoded::Illegal,
    }
}

/// Bits `hi..=lo` of `w` in IBM numbering (bit 0 is the most significant).
const fn field(w: u32, hi: u32, lo: u32) -> u32 {
    (w >> (31 - lo)) & ((1 << (lo - hi + 1)) - 1)
}

/// Extract the operands of `enc` from `w`, or `None` if they form an
/// invalid instruction.
fn extract(enc: &Encoding, w: u32) -> Option<Insn> {
    let rt = field(w, 6, 10) as u8;
    let ra = field(w, 11, 15) as u8;
    let rb = field(w, 16, 20) as u8;
    let mut i = Insn {
        opcode: enc.opcode,
        name: enc.name,
        rt,
        ra,
        rb,
        imm: 0,
        sh: 0,
        mb: 0,
        me: 0,
        l: false,
        rc: enc.rc,
        oe: enc.oe,
        aa: false,
        lk: false,
    };
    let simm = sext(field(w, 16, 31), 16);
    let uimm = field(w, 16, 31) as i64;
    // The 6-bit mb/me field of MD/MDS forms stores bit 5 last.
    let mb6 = (field(w, 21, 25) | (field(w, 26, 26) << 5)) as u8;
    let load_update_ok = ra != 0 && ra != rt;
    match enc.format {
        F::D | F::TrapI => i.imm = simm,
        F::DU => i.imm = uimm,
        F::DLoadU => {
            i.imm = simm;
            load_update_ok.then_some(())?;
        }
        F::DStoreU => {
            i.imm = simm;
            (ra != 0).then_some(())?;
        }
        F::DS | F::DSLoadU | F::DSStoreU => {
            i.imm = sext(field(w, 16, 29) << 2, 16);
            let ok = match enc.format {
                F::DSLoadU => load_update_ok,
                F::DSStoreU => ra != 0,
                _ => true,
            };
            ok.then_some(())?;
        }
        F::X | F::None => {}
        F::XLoadU => load_update_ok.then_some(())?,
        F::XStoreU => (ra != 0).then_some(())?,
        F::XSh5 => i.sh = rb,
        F::XSh6 => i.sh = rb | ((field(w, 30, 30) as u8) << 5),
        F::M => {
            i.sh = rb;
            i.mb = field(w, 21, 25) as u8;
            i.me = field(w, 26, 30) as u8;
        }
        F::MD => {
            i.sh = rb | ((field(w, 30, 30) as u8) << 5);
            i.mb = mb6;
            i.me = mb6;
        }
        F::MDS => {
            i.mb = mb6;
            i.me = mb6;
        }
        F::Cmp | F::CmpI | F::CmpLI => {
            i.rt = field(w, 6, 8) as u8;
            i.l = field(w, 10, 10) != 0;
            i.imm = match enc.format {
                F::CmpI => simm,
                F::CmpLI => uimm,
                _ => 0,
            };
        }
        F::I => {
            i.imm = sext(field(w, 6, 29) << 2, 26);
            i.aa = field(w, 30, 30) != 0;
            i.lk = field(w, 31, 31) != 0;
        }
        F::B => {
            i.imm = sext(field(w, 16, 29) << 2, 16);
            i.aa = field(w, 30, 30) != 0;
            i.lk = field(w, 31, 31) != 0;
        }
        F::XLBranch | F::XLBcctr => {
            i.lk = field(w, 31, 31) != 0;
            // bcctr with BO[2] = 0 (decrement CTR) is an invalid form.
            (enc.format == F::XLBranch || rt & 4 != 0).then_some(())?;
        }
        F::XLCr => {}
        F::Mcrf => {
            i.rt = field(w, 6, 8) as u8;
            i.ra = field(w, 11, 13) as u8;
        }
        F::MfSpr | F::MtSpr | F::Tb => {
            // The SPR number's two 5-bit halves are stored swapped.
            let spr = (field(w, 11, 15) | (field(w, 16, 20) << 5)) as u16;
            i.imm = spr as i64;
            let ok = match enc.format {
                F::MfSpr => MFSPR_ALLOWED.contains(&spr),
                F::MtSpr => MTSPR_ALLOWED.contains(&spr),
                _ => spr == SPR_TB || spr == SPR_TBU,
            };
            ok.then_some(())?;
        }
        F::Fxm => i.imm = field(w, 12, 19) as i64,
        F::Isel | F::A => i.mb = field(w, 21, 25) as u8,
        F::Mtfsf => {
            i.imm = field(w, 7, 14) as i64;
            (field(w, 6, 6) == 0 && field(w, 15, 15) == 0).then_some(())?;
        }
        F::Mtfsfi => {
            i.rt = field(w, 6, 8) as u8;
            i.imm = field(w, 16, 19) as i64;
            (field(w, 15, 15) == 0).then_some(())?;
        }
    }
    Some(i)
}

/// The mask with IBM bits `mb..=me` set, wrapping around when `mb > me`
/// (the rotate instructions' MASK(mb, me)).
pub const fn mask64(mb: u32, me: u32) -> u64 {
    let from_mb = u64::MAX >> mb;
    let to_me = u64::MAX << (63 - me);
    if mb <= me { from_mb & to_me } else { from_mb | to_me }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::arch::decode_kit::checks;

    #[test]
    fn table_entries_are_well_formed() {
        // Every mask fixes the primary opcode.
        checks::well_formed(TABLE, OPCD);
        for enc in TABLE {
            // Record forms are named with a trailing dot, overflow forms
            // with an `o` before it.
            assert_eq!(enc.rc, enc.name.ends_with('.'), "{}", enc.name);
            if enc.oe {
                assert!(enc.name.trim_end_matches('.').ends_with('o'), "{}", enc.name);
            }
        }
    }

    #[test]
    fn each_match_value_looks_up_to_its_own_entry_unless_narrowed() {
        for (i, enc) in TABLE.iter().enumerate() {
            let found = lookup(enc.value).unwrap();
            if found.name != enc.name {
                let fi = TABLE.iter().position(|x| x.name == found.name).unwrap();
                assert!(fi < i && found.mask & enc.mask == enc.mask, "{}", enc.name);
            }
        }
    }

    #[test]
    fn every_entry_is_reachable() {
        // SPR moves need an allowed SPR (LR, halves swapped): seed one.
        let seed = |enc: &Encoding| {
            enc.value
                | match enc.format {
                    F::MfSpr | F::MtSpr => 8 << 16,
                    F::Tb => (268 & 31) << 16 | (268 >> 5) << 11,
                    _ => 0,
                } & !enc.mask
        };
        let name_of = |w| match decode_word(w) {
            Decoded::Insn(i) => Some(i.name),
            _ => None,
        };
        checks::every_row_reachable(TABLE, (0, 0), seed, name_of);
    }

    #[test]
    fn overlapping_entries_are_ordered_most_specific_first() {
        checks::ordered_most_specific_first(TABLE);
    }

    #[test]
    fn random_words_never_panic() {
        checks::random_words_never_panic(0x1234_5678_9abc_def1, 200_000, |w| {
            let _ = decode_word(w);
        });
        for n in 0..4 {
            assert_eq!(decode(&[0x38; 3][..n]), Decoded::Truncated { available: n as u8 });
        }
    }

    fn dec(word: u32) -> Insn {
        match decode_word(word) {
            Decoded::Insn(i) => i,
            other => panic!("{word:#010x}: {other:?}"),
        }
    }

    #[test]
    fn operand_fields() {
        // addi r3, r1, -8
        let i = dec(0x3861_fff8);
        assert_eq!((i.name, i.rt, i.ra, i.imm), ("addi", 3, 1, -8));
        // ld r9, -16(r31): DS displacement
        let i = dec(0xe93f_fff0);
        assert_eq!((i.name, i.rt, i.ra, i.imm), ("ld", 9, 31, -16));
        // stdu r1, -128(r1)
        let i = dec(0xf821_ff81);
        assert_eq!((i.name, i.rt, i.ra, i.imm), ("stdu", 1, 1, -128));
        // b -4 and bl +0x1fffffc
        assert_eq!(dec(0x4bff_fffc).imm, -4);
        let i = dec(0x49ff_fffd);
        assert_eq!((i.name, i.imm, i.lk), ("bl", 0x1ff_fffc, true));
        // bdnz -8: bo = 16, bi = 0
        let i = dec(0x4200_fff8);
        assert_eq!((i.name, i.rt, i.ra, i.imm), ("bc", 16, 0, -8));
        // rldicl r3, r4, 60, 4 (srdi r3, r4, 4)
        let i = dec(0x7883_e102);
        assert_eq!((i.name, i.sh, i.mb), ("rldicl", 60, 4));
        // rldicr r3, r4, 4, 59 (sldi r3, r4, 4)
        let i = dec(0x7883_26e4);
        assert_eq!((i.name, i.sh, i.me), ("rldicr", 4, 59));
        // sradi r3, r4, 63
        let i = dec(0x7c83_fe76);
        assert_eq!((i.name, i.sh, i.rt, i.ra), ("sradi", 63, 4, 3));
        // cmpd cr7, r3, r4
        let i = dec(0x7fa3_2000);
        assert_eq!((i.name, i.rt, i.l, i.ra, i.rb), ("cmp", 7, true, 3, 4));
        // mflr r0: spr 8
        assert_eq!(dec(0x7c08_02a6).imm, 8);
        // mtocrf 8, r12 (cr4)
        let i = dec(0x7d90_8120);
        assert_eq!((i.name, i.imm), ("mtocrf", 8));
        // addo. r3, r4, r5
        let i = dec(0x7c64_2e15);
        assert_eq!((i.name, i.oe, i.rc), ("addo.", true, true));
        // isel r3, r4, r5, 2
        let i = dec(0x7c64_289e);
        assert_eq!((i.name, i.mb), ("isel", 2));
    }

    #[test]
    fn invalid_forms_are_illegal() {
        for w in [
            0x8463_0004u32, // lwzu r3, 4(r3): ra == rt
            0x8460_0004,    // lwzu r3, 4(r0)
            0x9460_0004,    // stwu r3, 4(r0)
            0xe860_0001,    // ldu r3, 0(r0)
            0xe860_0003,    // ld with DS XO 3
            0x7c63_206e,    // lwzux r3, r3, r4
        ] {
            assert_eq!(decode_word(w), Decoded::Illegal, "{w:#010x}");
        }
        // bdnzctr (bcctr 16, 0): decrements CTR, invalid; bctr is fine.
        assert_eq!(decode_word(0x4e00_0420), Decoded::Illegal);
        assert!(matches!(decode_word(0x4e80_0420), Decoded::Insn(_)));
        // mfspr r3, 287 (PVR: privileged here) and mtspr 268 (TB is read-only).
        assert_eq!(decode_word(0x7c7f_42a6), Decoded::Illegal);
        assert_eq!(decode_word(0x7c6c_43a6), Decoded::Illegal);
        // scv 0 and sc 1.
        assert_eq!(decode_word(0x4400_0001), Decoded::Illegal);
        assert_eq!(decode_word(0x4400_0022), Decoded::Illegal);
        // lwzx with Rc = 1.
        assert_eq!(decode_word(0x7c64_282f), Decoded::Illegal);
        // A vector instruction (no AltiVec in this subset).
        assert_eq!(decode_word(0x1000_0000), Decoded::Illegal);
        assert_eq!(decode_word(0), Decoded::Illegal);
    }

    #[test]
    fn masks() {
        assert_eq!(mask64(0, 63), u64::MAX);
        assert_eq!(mask64(32, 63), 0xffff_ffff);
        assert_eq!(mask64(0, 31), 0xffff_ffff_0000_0000);
        assert_eq!(mask64(63, 63), 1);
        assert_eq!(mask64(0, 0), 1 << 63);
        // Wrapping: everything but IBM bits 1..=62.
        assert_eq!(mask64(63, 0), 0x8000_0000_0000_0001);
        assert_eq!(mask64(40, 35), !0x0f00_0000u64);
    }
}
