//! powerpc64 decoder: big-endian instruction words → [`Insn`], driven by
//! one encoding table.
//!
//! Encodings are data, in the spirit of QEMU's decodetree: each
//! [`Encoding`] is a bit pattern written as the Power ISA draws the
//! instruction form (bit 0, the most significant, first; see
//! `arch::decode_kit`), with a name, an operand
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

use crate::arch::decode_kit::{self, Pattern, sext};

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

/// A row from its bit pattern (PowerPC bit 0, the most significant, first).
/// The trailing `.` of a record form's name is its Rc: the assembler's
/// convention, so the name and the flag cannot disagree.
const fn e(name: &'static str, pattern: &str, format: Format, opcode: Opcode) -> Encoding {
    let p = Pattern::parse(pattern);
    let bytes = name.as_bytes();
    let rc = bytes[bytes.len() - 1] == b'.';
    Encoding { name, mask: p.mask, value: p.value, format, opcode, rc, oe: false }
}

impl Encoding {
    /// The same row with OE set: an XO-form that records overflow.
    const fn oe(self) -> Encoding {
        Encoding { oe: true, ..self }
    }
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

/// The encoding table. Patterns are grouped by the fields of their form
/// (D, DS, I, B, SC, X, XO, XL, XS, XFX, M, MD, MDS, A). Free bits carry a
/// field letter: `t` RT/RS/FRT/BF/TO, `s` RS, `a` RA/BI, `b` RB, `c` FRC/BC,
/// `i` and `d` immediates and displacements, `o` BO, `h` SH, `m` MB,
/// `e` ME, `p` SPR/TBR, `f` FXM, `l` LEV or L, `r` a hint bit.
pub static TABLE: &[Encoding] = &[
    // Traps with an immediate.
    e("tdi", "000010 ttttt aaaaa iiiiiiiiiiiiiiii", F::TrapI, O::TrapImm { double: true }),
    e("twi", "000011 ttttt aaaaa iiiiiiiiiiiiiiii", F::TrapI, O::TrapImm { double: false }),
    // D-form arithmetic, logic and compares.
    e("mulli", "000111 ttttt aaaaa iiiiiiiiiiiiiiii", F::D, O::Imm(I::Mulli)),
    e("subfic", "001000 ttttt aaaaa iiiiiiiiiiiiiiii", F::D, O::Imm(I::Subfic)),
    e("cmpli", "001010 ttttt aaaaa iiiiiiiiiiiiiiii", F::CmpLI, O::CmpImm { signed: false }),
    e("cmpi", "001011 ttttt aaaaa iiiiiiiiiiiiiiii", F::CmpI, O::CmpImm { signed: true }),
    e("addic", "001100 ttttt aaaaa iiiiiiiiiiiiiiii", F::D, O::Imm(I::Addic)),
    e("addic.", "001101 ttttt aaaaa iiiiiiiiiiiiiiii", F::D, O::Imm(I::Addic)),
    e("addi", "001110 ttttt aaaaa iiiiiiiiiiiiiiii", F::D, O::Imm(I::Addi)),
    e("addis", "001111 ttttt aaaaa iiiiiiiiiiiiiiii", F::D, O::Imm(I::Addis)),
    e("ori", "011000 ttttt aaaaa iiiiiiiiiiiiiiii", F::DU, O::Imm(I::Ori)),
    e("oris", "011001 ttttt aaaaa iiiiiiiiiiiiiiii", F::DU, O::Imm(I::Oris)),
    e("xori", "011010 ttttt aaaaa iiiiiiiiiiiiiiii", F::DU, O::Imm(I::Xori)),
    e("xoris", "011011 ttttt aaaaa iiiiiiiiiiiiiiii", F::DU, O::Imm(I::Xoris)),
    e("andi.", "011100 ttttt aaaaa iiiiiiiiiiiiiiii", F::DU, O::Imm(I::Andi)),
    e("andis.", "011101 ttttt aaaaa iiiiiiiiiiiiiiii", F::DU, O::Imm(I::Andis)),
    // Branches and the system call.
    e("bc", "010000 ooooo iiiii dddddddddddddd 0 0", F::B, O::Bc),
    e("bcl", "010000 ooooo iiiii dddddddddddddd 0 1", F::B, O::Bc),
    e("bca", "010000 ooooo iiiii dddddddddddddd 1 0", F::B, O::Bc),
    e("bcla", "010000 ooooo iiiii dddddddddddddd 1 1", F::B, O::Bc),
    e("sc", "010001 00000 00000 0000 0000000 000 1 0", F::None, O::Sc),
    e("b", "010010 iiiiiiiiiiiiiiiiiiiiiiii 0 0", F::I, O::B),
    e("bl", "010010 iiiiiiiiiiiiiiiiiiiiiiii 0 1", F::I, O::B),
    e("ba", "010010 iiiiiiiiiiiiiiiiiiiiiiii 1 0", F::I, O::B),
    e("bla", "010010 iiiiiiiiiiiiiiiiiiiiiiii 1 1", F::I, O::B),
    // Opcode 19: CR logic, branches to LR/CTR, isync.
    e("mcrf", "010011 ttttt aaaaa bbbbb 0000000000 0", F::Mcrf, O::Mcrf),
    e("bclr", "010011 ttttt aaaaa bbbbb 0000010000 0", F::XLBranch, O::Bclr),
    e("bclrl", "010011 ttttt aaaaa bbbbb 0000010000 1", F::XLBranch, O::Bclr),
    e("crnor", "010011 ttttt aaaaa bbbbb 0000100001 0", F::XLCr, O::CrLogic(CrOp::Nor)),
    e("crandc", "010011 ttttt aaaaa bbbbb 0010000001 0", F::XLCr, O::CrLogic(CrOp::Andc)),
    e("isync", "010011 ttttt aaaaa bbbbb 0010010110 0", F::None, O::Isync),
    e("crxor", "010011 ttttt aaaaa bbbbb 0011000001 0", F::XLCr, O::CrLogic(CrOp::Xor)),
    e("crnand", "010011 ttttt aaaaa bbbbb 0011100001 0", F::XLCr, O::CrLogic(CrOp::Nand)),
    e("crand", "010011 ttttt aaaaa bbbbb 0100000001 0", F::XLCr, O::CrLogic(CrOp::And)),
    e("creqv", "010011 ttttt aaaaa bbbbb 0100100001 0", F::XLCr, O::CrLogic(CrOp::Eqv)),
    e("crorc", "010011 ttttt aaaaa bbbbb 0110100001 0", F::XLCr, O::CrLogic(CrOp::Orc)),
    e("cror", "010011 ttttt aaaaa bbbbb 0111000001 0", F::XLCr, O::CrLogic(CrOp::Or)),
    e("bcctr", "010011 ttttt aaaaa bbbbb 1000010000 0", F::XLBcctr, O::Bcctr),
    e("bcctrl", "010011 ttttt aaaaa bbbbb 1000010000 1", F::XLBcctr, O::Bcctr),
    // Rotates.
    e("rlwimi", "010100 sssss aaaaa bbbbb mmmmm eeeee 0", F::M, O::Rotate(R::Rlwimi)),
    e("rlwimi.", "010100 sssss aaaaa bbbbb mmmmm eeeee 1", F::M, O::Rotate(R::Rlwimi)),
    e("rlwinm", "010101 sssss aaaaa bbbbb mmmmm eeeee 0", F::M, O::Rotate(R::Rlwinm)),
    e("rlwinm.", "010101 sssss aaaaa bbbbb mmmmm eeeee 1", F::M, O::Rotate(R::Rlwinm)),
    e("rlwnm", "010111 sssss aaaaa bbbbb mmmmm eeeee 0", F::M, O::Rotate(R::Rlwnm)),
    e("rlwnm.", "010111 sssss aaaaa bbbbb mmmmm eeeee 1", F::M, O::Rotate(R::Rlwnm)),
    e("rldicl", "011110 sssss aaaaa hhhhh mmmmmm 000 h 0", F::MD, O::Rotate(R::Rldicl)),
    e("rldicl.", "011110 sssss aaaaa hhhhh mmmmmm 000 h 1", F::MD, O::Rotate(R::Rldicl)),
    e("rldicr", "011110 sssss aaaaa hhhhh mmmmmm 001 h 0", F::MD, O::Rotate(R::Rldicr)),
    e("rldicr.", "011110 sssss aaaaa hhhhh mmmmmm 001 h 1", F::MD, O::Rotate(R::Rldicr)),
    e("rldic", "011110 sssss aaaaa hhhhh mmmmmm 010 h 0", F::MD, O::Rotate(R::Rldic)),
    e("rldic.", "011110 sssss aaaaa hhhhh mmmmmm 010 h 1", F::MD, O::Rotate(R::Rldic)),
    e("rldimi", "011110 sssss aaaaa hhhhh mmmmmm 011 h 0", F::MD, O::Rotate(R::Rldimi)),
    e("rldimi.", "011110 sssss aaaaa hhhhh mmmmmm 011 h 1", F::MD, O::Rotate(R::Rldimi)),
    e("rldcl", "011110 sssss aaaaa bbbbb mmmmmm 1000 0", F::MDS, O::Rotate(R::Rldcl)),
    e("rldcl.", "011110 sssss aaaaa bbbbb mmmmmm 1000 1", F::MDS, O::Rotate(R::Rldcl)),
    e("rldcr", "011110 sssss aaaaa bbbbb mmmmmm 1001 0", F::MDS, O::Rotate(R::Rldcr)),
    e("rldcr.", "011110 sssss aaaaa bbbbb mmmmmm 1001 1", F::MDS, O::Rotate(R::Rldcr)),
    // D-form loads and stores.
    e("lwz", "100000 ttttt aaaaa iiiiiiiiiiiiiiii", F::D, load(4, false, false, false)),
    e("lwzu", "100001 ttttt aaaaa iiiiiiiiiiiiiiii", F::DLoadU, load(4, false, true, false)),
    e("lbz", "100010 ttttt aaaaa iiiiiiiiiiiiiiii", F::D, load(1, false, false, false)),
    e("lbzu", "100011 ttttt aaaaa iiiiiiiiiiiiiiii", F::DLoadU, load(1, false, true, false)),
    e("stw", "100100 ttttt aaaaa iiiiiiiiiiiiiiii", F::D, store(4, false, false)),
    e("stwu", "100101 ttttt aaaaa iiiiiiiiiiiiiiii", F::DStoreU, store(4, true, false)),
    e("stb", "100110 ttttt aaaaa iiiiiiiiiiiiiiii", F::D, store(1, false, false)),
    e("stbu", "100111 ttttt aaaaa iiiiiiiiiiiiiiii", F::DStoreU, store(1, true, false)),
    e("lhz", "101000 ttttt aaaaa iiiiiiiiiiiiiiii", F::D, load(2, false, false, false)),
    e("lhzu", "101001 ttttt aaaaa iiiiiiiiiiiiiiii", F::DLoadU, load(2, false, true, false)),
    e("lha", "101010 ttttt aaaaa iiiiiiiiiiiiiiii", F::D, load(2, true, false, false)),
    e("lhau", "101011 ttttt aaaaa iiiiiiiiiiiiiiii", F::DLoadU, load(2, true, true, false)),
    e("sth", "101100 ttttt aaaaa iiiiiiiiiiiiiiii", F::D, store(2, false, false)),
    e("sthu", "101101 ttttt aaaaa iiiiiiiiiiiiiiii", F::DStoreU, store(2, true, false)),
    e("lmw", "101110 ttttt aaaaa iiiiiiiiiiiiiiii", F::D, O::Lmw),
    e("stmw", "101111 ttttt aaaaa iiiiiiiiiiiiiiii", F::D, O::Stmw),
    e("ld", "111010 ttttt aaaaa iiiiiiiiiiiiii 00", F::DS, load(8, false, false, false)),
    e("ldu", "111010 ttttt aaaaa iiiiiiiiiiiiii 01", F::DSLoadU, load(8, false, true, false)),
    e("lwa", "111010 ttttt aaaaa iiiiiiiiiiiiii 10", F::DS, load(4, true, false, false)),
    e("std", "111110 ttttt aaaaa iiiiiiiiiiiiii 00", F::DS, store(8, false, false)),
    e("stdu", "111110 ttttt aaaaa iiiiiiiiiiiiii 01", F::DSStoreU, store(8, true, false)),
    // Opcode 31: compares and traps.
    e("cmp", "011111 ttttt aaaaa bbbbb 0000000000 0", F::Cmp, O::Cmp { signed: true }),
    e("cmpl", "011111 ttttt aaaaa bbbbb 0000100000 0", F::Cmp, O::Cmp { signed: false }),
    e("tw", "011111 ttttt aaaaa bbbbb 0000000100 0", F::X, O::Trap { double: false }),
    e("td", "011111 ttttt aaaaa bbbbb 0001000100 0", F::X, O::Trap { double: true }),
    // XO-form arithmetic, in all four OE/Rc combinations where both exist.
    e("subfc", "011111 ttttt aaaaa bbbbb 0 000001000 0", F::X, O::Arith(A::Subfc)),
    e("subfc.", "011111 ttttt aaaaa bbbbb 0 000001000 1", F::X, O::Arith(A::Subfc)),
    e("subfco", "011111 ttttt aaaaa bbbbb 1 000001000 0", F::X, O::Arith(A::Subfc)).oe(),
    e("subfco.", "011111 ttttt aaaaa bbbbb 1 000001000 1", F::X, O::Arith(A::Subfc)).oe(),
    e("mulhdu", "011111 ttttt aaaaa bbbbb 0 000001001 0", F::X, O::Arith(A::Mulhdu)),
    e("mulhdu.", "011111 ttttt aaaaa bbbbb 0 000001001 1", F::X, O::Arith(A::Mulhdu)),
    e("addc", "011111 ttttt aaaaa bbbbb 0 000001010 0", F::X, O::Arith(A::Addc)),
    e("addc.", "011111 ttttt aaaaa bbbbb 0 000001010 1", F::X, O::Arith(A::Addc)),
    e("addco", "011111 ttttt aaaaa bbbbb 1 000001010 0", F::X, O::Arith(A::Addc)).oe(),
    e("addco.", "011111 ttttt aaaaa bbbbb 1 000001010 1", F::X, O::Arith(A::Addc)).oe(),
    e("mulhwu", "011111 ttttt aaaaa bbbbb 0 000001011 0", F::X, O::Arith(A::Mulhwu)),
    e("mulhwu.", "011111 ttttt aaaaa bbbbb 0 000001011 1", F::X, O::Arith(A::Mulhwu)),
    e("subf", "011111 ttttt aaaaa bbbbb 0 000101000 0", F::X, O::Arith(A::Subf)),
    e("subf.", "011111 ttttt aaaaa bbbbb 0 000101000 1", F::X, O::Arith(A::Subf)),
    e("subfo", "011111 ttttt aaaaa bbbbb 1 000101000 0", F::X, O::Arith(A::Subf)).oe(),
    e("subfo.", "011111 ttttt aaaaa bbbbb 1 000101000 1", F::X, O::Arith(A::Subf)).oe(),
    e("mulhd", "011111 ttttt aaaaa bbbbb 0 001001001 0", F::X, O::Arith(A::Mulhd)),
    e("mulhd.", "011111 ttttt aaaaa bbbbb 0 001001001 1", F::X, O::Arith(A::Mulhd)),
    e("mulhw", "011111 ttttt aaaaa bbbbb 0 001001011 0", F::X, O::Arith(A::Mulhw)),
    e("mulhw.", "011111 ttttt aaaaa bbbbb 0 001001011 1", F::X, O::Arith(A::Mulhw)),
    e("neg", "011111 ttttt aaaaa bbbbb 0 001101000 0", F::X, O::Arith(A::Neg)),
    e("neg.", "011111 ttttt aaaaa bbbbb 0 001101000 1", F::X, O::Arith(A::Neg)),
    e("nego", "011111 ttttt aaaaa bbbbb 1 001101000 0", F::X, O::Arith(A::Neg)).oe(),
    e("nego.", "011111 ttttt aaaaa bbbbb 1 001101000 1", F::X, O::Arith(A::Neg)).oe(),
    e("subfe", "011111 ttttt aaaaa bbbbb 0 010001000 0", F::X, O::Arith(A::Subfe)),
    e("subfe.", "011111 ttttt aaaaa bbbbb 0 010001000 1", F::X, O::Arith(A::Subfe)),
    e("subfeo", "011111 ttttt aaaaa bbbbb 1 010001000 0", F::X, O::Arith(A::Subfe)).oe(),
    e("subfeo.", "011111 ttttt aaaaa bbbbb 1 010001000 1", F::X, O::Arith(A::Subfe)).oe(),
    e("adde", "011111 ttttt aaaaa bbbbb 0 010001010 0", F::X, O::Arith(A::Adde)),
    e("adde.", "011111 ttttt aaaaa bbbbb 0 010001010 1", F::X, O::Arith(A::Adde)),
    e("addeo", "011111 ttttt aaaaa bbbbb 1 010001010 0", F::X, O::Arith(A::Adde)).oe(),
    e("addeo.", "011111 ttttt aaaaa bbbbb 1 010001010 1", F::X, O::Arith(A::Adde)).oe(),
    e("subfze", "011111 ttttt aaaaa bbbbb 0 011001000 0", F::X, O::Arith(A::Subfze)),
    e("subfze.", "011111 ttttt aaaaa bbbbb 0 011001000 1", F::X, O::Arith(A::Subfze)),
    e("subfzeo", "011111 ttttt aaaaa bbbbb 1 011001000 0", F::X, O::Arith(A::Subfze)).oe(),
    e("subfzeo.", "011111 ttttt aaaaa bbbbb 1 011001000 1", F::X, O::Arith(A::Subfze)).oe(),
    e("addze", "011111 ttttt aaaaa bbbbb 0 011001010 0", F::X, O::Arith(A::Addze)),
    e("addze.", "011111 ttttt aaaaa bbbbb 0 011001010 1", F::X, O::Arith(A::Addze)),
    e("addzeo", "011111 ttttt aaaaa bbbbb 1 011001010 0", F::X, O::Arith(A::Addze)).oe(),
    e("addzeo.", "011111 ttttt aaaaa bbbbb 1 011001010 1", F::X, O::Arith(A::Addze)).oe(),
    e("subfme", "011111 ttttt aaaaa bbbbb 0 011101000 0", F::X, O::Arith(A::Subfme)),
    e("subfme.", "011111 ttttt aaaaa bbbbb 0 011101000 1", F::X, O::Arith(A::Subfme)),
    e("subfmeo", "011111 ttttt aaaaa bbbbb 1 011101000 0", F::X, O::Arith(A::Subfme)).oe(),
    e("subfmeo.", "011111 ttttt aaaaa bbbbb 1 011101000 1", F::X, O::Arith(A::Subfme)).oe(),
    e("mulld", "011111 ttttt aaaaa bbbbb 0 011101001 0", F::X, O::Arith(A::Mulld)),
    e("mulld.", "011111 ttttt aaaaa bbbbb 0 011101001 1", F::X, O::Arith(A::Mulld)),
    e("mulldo", "011111 ttttt aaaaa bbbbb 1 011101001 0", F::X, O::Arith(A::Mulld)).oe(),
    e("mulldo.", "011111 ttttt aaaaa bbbbb 1 011101001 1", F::X, O::Arith(A::Mulld)).oe(),
    e("addme", "011111 ttttt aaaaa bbbbb 0 011101010 0", F::X, O::Arith(A::Addme)),
    e("addme.", "011111 ttttt aaaaa bbbbb 0 011101010 1", F::X, O::Arith(A::Addme)),
    e("addmeo", "011111 ttttt aaaaa bbbbb 1 011101010 0", F::X, O::Arith(A::Addme)).oe(),
    e("addmeo.", "011111 ttttt aaaaa bbbbb 1 011101010 1", F::X, O::Arith(A::Addme)).oe(),
    e("mullw", "011111 ttttt aaaaa bbbbb 0 011101011 0", F::X, O::Arith(A::Mullw)),
    e("mullw.", "011111 ttttt aaaaa bbbbb 0 011101011 1", F::X, O::Arith(A::Mullw)),
    e("mullwo", "011111 ttttt aaaaa bbbbb 1 011101011 0", F::X, O::Arith(A::Mullw)).oe(),
    e("mullwo.", "011111 ttttt aaaaa bbbbb 1 011101011 1", F::X, O::Arith(A::Mullw)).oe(),
    e("add", "011111 ttttt aaaaa bbbbb 0 100001010 0", F::X, O::Arith(A::Add)),
    e("add.", "011111 ttttt aaaaa bbbbb 0 100001010 1", F::X, O::Arith(A::Add)),
    e("addo", "011111 ttttt aaaaa bbbbb 1 100001010 0", F::X, O::Arith(A::Add)).oe(),
    e("addo.", "011111 ttttt aaaaa bbbbb 1 100001010 1", F::X, O::Arith(A::Add)).oe(),
    e("divdu", "011111 ttttt aaaaa bbbbb 0 111001001 0", F::X, O::Arith(A::Divdu)),
    e("divdu.", "011111 ttttt aaaaa bbbbb 0 111001001 1", F::X, O::Arith(A::Divdu)),
    e("divduo", "011111 ttttt aaaaa bbbbb 1 111001001 0", F::X, O::Arith(A::Divdu)).oe(),
    e("divduo.", "011111 ttttt aaaaa bbbbb 1 111001001 1", F::X, O::Arith(A::Divdu)).oe(),
    e("divwu", "011111 ttttt aaaaa bbbbb 0 111001011 0", F::X, O::Arith(A::Divwu)),
    e("divwu.", "011111 ttttt aaaaa bbbbb 0 111001011 1", F::X, O::Arith(A::Divwu)),
    e("divwuo", "011111 ttttt aaaaa bbbbb 1 111001011 0", F::X, O::Arith(A::Divwu)).oe(),
    e("divwuo.", "011111 ttttt aaaaa bbbbb 1 111001011 1", F::X, O::Arith(A::Divwu)).oe(),
    e("divd", "011111 ttttt aaaaa bbbbb 0 111101001 0", F::X, O::Arith(A::Divd)),
    e("divd.", "011111 ttttt aaaaa bbbbb 0 111101001 1", F::X, O::Arith(A::Divd)),
    e("divdo", "011111 ttttt aaaaa bbbbb 1 111101001 0", F::X, O::Arith(A::Divd)).oe(),
    e("divdo.", "011111 ttttt aaaaa bbbbb 1 111101001 1", F::X, O::Arith(A::Divd)).oe(),
    e("divw", "011111 ttttt aaaaa bbbbb 0 111101011 0", F::X, O::Arith(A::Divw)),
    e("divw.", "011111 ttttt aaaaa bbbbb 0 111101011 1", F::X, O::Arith(A::Divw)),
    e("divwo", "011111 ttttt aaaaa bbbbb 1 111101011 0", F::X, O::Arith(A::Divw)).oe(),
    e("divwo.", "011111 ttttt aaaaa bbbbb 1 111101011 1", F::X, O::Arith(A::Divw)).oe(),
    // Logic.
    e("and", "011111 ttttt aaaaa bbbbb 0000011100 0", F::X, O::Logic(L::And)),
    e("and.", "011111 ttttt aaaaa bbbbb 0000011100 1", F::X, O::Logic(L::And)),
    e("andc", "011111 ttttt aaaaa bbbbb 0000111100 0", F::X, O::Logic(L::Andc)),
    e("andc.", "011111 ttttt aaaaa bbbbb 0000111100 1", F::X, O::Logic(L::Andc)),
    e("nor", "011111 ttttt aaaaa bbbbb 0001111100 0", F::X, O::Logic(L::Nor)),
    e("nor.", "011111 ttttt aaaaa bbbbb 0001111100 1", F::X, O::Logic(L::Nor)),
    e("eqv", "011111 ttttt aaaaa bbbbb 0100011100 0", F::X, O::Logic(L::Eqv)),
    e("eqv.", "011111 ttttt aaaaa bbbbb 0100011100 1", F::X, O::Logic(L::Eqv)),
    e("xor", "011111 ttttt aaaaa bbbbb 0100111100 0", F::X, O::Logic(L::Xor)),
    e("xor.", "011111 ttttt aaaaa bbbbb 0100111100 1", F::X, O::Logic(L::Xor)),
    e("orc", "011111 ttttt aaaaa bbbbb 0110011100 0", F::X, O::Logic(L::Orc)),
    e("orc.", "011111 ttttt aaaaa bbbbb 0110011100 1", F::X, O::Logic(L::Orc)),
    e("or", "011111 ttttt aaaaa bbbbb 0110111100 0", F::X, O::Logic(L::Or)),
    e("or.", "011111 ttttt aaaaa bbbbb 0110111100 1", F::X, O::Logic(L::Or)),
    e("nand", "011111 ttttt aaaaa bbbbb 0111011100 0", F::X, O::Logic(L::Nand)),
    e("nand.", "011111 ttttt aaaaa bbbbb 0111011100 1", F::X, O::Logic(L::Nand)),
    // Shifts.
    e("slw", "011111 ttttt aaaaa bbbbb 0000011000 0", F::X, O::Shift(S::Slw)),
    e("slw.", "011111 ttttt aaaaa bbbbb 0000011000 1", F::X, O::Shift(S::Slw)),
    e("sld", "011111 ttttt aaaaa bbbbb 0000011011 0", F::X, O::Shift(S::Sld)),
    e("sld.", "011111 ttttt aaaaa bbbbb 0000011011 1", F::X, O::Shift(S::Sld)),
    e("srw", "011111 ttttt aaaaa bbbbb 1000011000 0", F::X, O::Shift(S::Srw)),
    e("srw.", "011111 ttttt aaaaa bbbbb 1000011000 1", F::X, O::Shift(S::Srw)),
    e("srd", "011111 ttttt aaaaa bbbbb 1000011011 0", F::X, O::Shift(S::Srd)),
    e("srd.", "011111 ttttt aaaaa bbbbb 1000011011 1", F::X, O::Shift(S::Srd)),
    e("sraw", "011111 ttttt aaaaa bbbbb 1100011000 0", F::X, O::Shift(S::Sraw)),
    e("sraw.", "011111 ttttt aaaaa bbbbb 1100011000 1", F::X, O::Shift(S::Sraw)),
    e("srad", "011111 ttttt aaaaa bbbbb 1100011010 0", F::X, O::Shift(S::Srad)),
    e("srad.", "011111 ttttt aaaaa bbbbb 1100011010 1", F::X, O::Shift(S::Srad)),
    e("srawi", "011111 ttttt aaaaa bbbbb 1100111000 0", F::XSh5, O::Srawi),
    e("srawi.", "011111 ttttt aaaaa bbbbb 1100111000 1", F::XSh5, O::Srawi),
    // XS-form: the 9-bit XO leaves bit 30 for sh[5].
    e("sradi", "011111 sssss aaaaa hhhhh 110011101 h 0", F::XSh6, O::Sradi),
    e("sradi.", "011111 sssss aaaaa hhhhh 110011101 h 1", F::XSh6, O::Sradi),
    // Counts, extensions and byte compares.
    e("cntlzw", "011111 ttttt aaaaa bbbbb 0000011010 0", F::X, O::Unary(U::Cntlzw)),
    e("cntlzw.", "011111 ttttt aaaaa bbbbb 0000011010 1", F::X, O::Unary(U::Cntlzw)),
    e("cntlzd", "011111 ttttt aaaaa bbbbb 0000111010 0", F::X, O::Unary(U::Cntlzd)),
    e("cntlzd.", "011111 ttttt aaaaa bbbbb 0000111010 1", F::X, O::Unary(U::Cntlzd)),
    e("extsh", "011111 ttttt aaaaa bbbbb 1110011010 0", F::X, O::Unary(U::Extsh)),
    e("extsh.", "011111 ttttt aaaaa bbbbb 1110011010 1", F::X, O::Unary(U::Extsh)),
    e("extsb", "011111 ttttt aaaaa bbbbb 1110111010 0", F::X, O::Unary(U::Extsb)),
    e("extsb.", "011111 ttttt aaaaa bbbbb 1110111010 1", F::X, O::Unary(U::Extsb)),
    e("extsw", "011111 ttttt aaaaa bbbbb 1111011010 0", F::X, O::Unary(U::Extsw)),
    e("extsw.", "011111 ttttt aaaaa bbbbb 1111011010 1", F::X, O::Unary(U::Extsw)),
    e("popcntb", "011111 ttttt aaaaa bbbbb 0001111010 0", F::X, O::Unary(U::Popcntb)),
    e("popcntw", "011111 ttttt aaaaa bbbbb 0101111010 0", F::X, O::Unary(U::Popcntw)),
    e("popcntd", "011111 ttttt aaaaa bbbbb 0111111010 0", F::X, O::Unary(U::Popcntd)),
    e("prtyw", "011111 ttttt aaaaa bbbbb 0010011010 0", F::X, O::Unary(U::Prtyw)),
    e("prtyd", "011111 ttttt aaaaa bbbbb 0010111010 0", F::X, O::Unary(U::Prtyd)),
    e("cmpb", "011111 ttttt aaaaa bbbbb 0111111100 0", F::X, O::Cmpb),
    // isel: A-form, a 5-bit XO below a 5-bit BC field.
    e("isel", "011111 ttttt aaaaa bbbbb ccccc 01111 0", F::Isel, O::Isel),
    // CR and SPR moves. Bit 11 (0x0010_0000) selects the one-field forms.
    e("mfcr", "011111 ttttt 0 ffffffff . 0000010011 0", F::X, O::Mfcr),
    e("mfocrf", "011111 ttttt 1 ffffffff . 0000010011 0", F::Fxm, O::Mfocrf),
    e("mtcrf", "011111 ttttt 0 ffffffff . 0010010000 0", F::Fxm, O::Mtcrf),
    e("mtocrf", "011111 ttttt 1 ffffffff . 0010010000 0", F::Fxm, O::Mtocrf),
    e("mfspr", "011111 ttttt pppppppppp 0101010011 0", F::MfSpr, O::Mfspr),
    e("mftb", "011111 ttttt pppppppppp 0101110011 0", F::Tb, O::Mftb),
    e("mtspr", "011111 ttttt pppppppppp 0111010011 0", F::MtSpr, O::Mtspr),
    // Indexed loads and stores.
    e("ldx", "011111 ttttt aaaaa bbbbb 0000010101 0", F::X, load(8, false, false, true)),
    e("lwzx", "011111 ttttt aaaaa bbbbb 0000010111 0", F::X, load(4, false, false, true)),
    e("ldux", "011111 ttttt aaaaa bbbbb 0000110101 0", F::XLoadU, load(8, false, true, true)),
    e("lwzux", "011111 ttttt aaaaa bbbbb 0000110111 0", F::XLoadU, load(4, false, true, true)),
    e("lbzx", "011111 ttttt aaaaa bbbbb 0001010111 0", F::X, load(1, false, false, true)),
    e("lbzux", "011111 ttttt aaaaa bbbbb 0001110111 0", F::XLoadU, load(1, false, true, true)),
    e("stdx", "011111 ttttt aaaaa bbbbb 0010010101 0", F::X, store(8, false, true)),
    e("stwx", "011111 ttttt aaaaa bbbbb 0010010111 0", F::X, store(4, false, true)),
    e("stdux", "011111 ttttt aaaaa bbbbb 0010110101 0", F::XStoreU, store(8, true, true)),
    e("stwux", "011111 ttttt aaaaa bbbbb 0010110111 0", F::XStoreU, store(4, true, true)),
    e("stbx", "011111 ttttt aaaaa bbbbb 0011010111 0", F::X, store(1, false, true)),
    e("stbux", "011111 ttttt aaaaa bbbbb 0011110111 0", F::XStoreU, store(1, true, true)),
    e("lhzx", "011111 ttttt aaaaa bbbbb 0100010111 0", F::X, load(2, false, false, true)),
    e("lhzux", "011111 ttttt aaaaa bbbbb 0100110111 0", F::XLoadU, load(2, false, true, true)),
    e("lwax", "011111 ttttt aaaaa bbbbb 0101010101 0", F::X, load(4, true, false, true)),
    e("lhax", "011111 ttttt aaaaa bbbbb 0101010111 0", F::X, load(2, true, false, true)),
    e("lwaux", "011111 ttttt aaaaa bbbbb 0101110101 0", F::XLoadU, load(4, true, true, true)),
    e("lhaux", "011111 ttttt aaaaa bbbbb 0101110111 0", F::XLoadU, load(2, true, true, true)),
    e("sthx", "011111 ttttt aaaaa bbbbb 0110010111 0", F::X, store(2, false, true)),
    e("sthux", "011111 ttttt aaaaa bbbbb 0110110111 0", F::XStoreU, store(2, true, true)),
    e("ldbrx", "011111 ttttt aaaaa bbbbb 1000010100 0", F::X, O::LoadRev(8)),
    e("lwbrx", "011111 ttttt aaaaa bbbbb 1000010110 0", F::X, O::LoadRev(4)),
    e("stdbrx", "011111 ttttt aaaaa bbbbb 1010010100 0", F::X, O::StoreRev(8)),
    e("stwbrx", "011111 ttttt aaaaa bbbbb 1010010110 0", F::X, O::StoreRev(4)),
    e("lhbrx", "011111 ttttt aaaaa bbbbb 1100010110 0", F::X, O::LoadRev(2)),
    e("sthbrx", "011111 ttttt aaaaa bbbbb 1110010110 0", F::X, O::StoreRev(2)),
    // Load and reserve / store conditional.
    e("lwarx", "011111 ttttt aaaaa bbbbb 0000010100 r", F::X, O::Larx(4)),
    e("lbarx", "011111 ttttt aaaaa bbbbb 0000110100 r", F::X, O::Larx(1)),
    e("ldarx", "011111 ttttt aaaaa bbbbb 0001010100 r", F::X, O::Larx(8)),
    e("lharx", "011111 ttttt aaaaa bbbbb 0001110100 r", F::X, O::Larx(2)),
    e("stwcx.", "011111 ttttt aaaaa bbbbb 0010010110 1", F::X, O::Stcx(4)),
    e("stdcx.", "011111 ttttt aaaaa bbbbb 0011010110 1", F::X, O::Stcx(8)),
    e("stbcx.", "011111 ttttt aaaaa bbbbb 1010110110 1", F::X, O::Stcx(1)),
    e("sthcx.", "011111 ttttt aaaaa bbbbb 1011010110 1", F::X, O::Stcx(2)),
    // Barriers and cache management. lwsync is sync with L = 1.
    e("lwsync", "011111 ... 01 ..... ..... 1001010110 0", F::None, O::Barrier),
    e("sync", "011111 ttttt aaaaa bbbbb 1001010110 0", F::None, O::Barrier),
    e("eieio", "011111 ttttt aaaaa bbbbb 1101010110 0", F::None, O::Barrier),
    e("dcbst", "011111 ttttt aaaaa bbbbb 0000110110 0", F::X, O::CacheHint),
    e("dcbf", "011111 ttttt aaaaa bbbbb 0001010110 0", F::X, O::CacheHint),
    e("dcbtst", "011111 ttttt aaaaa bbbbb 0011110110 0", F::X, O::CacheHint),
    e("dcbt", "011111 ttttt aaaaa bbbbb 0100010110 0", F::X, O::CacheHint),
    e("icbi", "011111 ttttt aaaaa bbbbb 1111010110 0", F::X, O::CacheHint),
    e("dcbz", "011111 ttttt aaaaa bbbbb 1111110110 0", F::X, O::Dcbz),
    // FP loads and stores.
    e("lfs", "110000 ttttt aaaaa iiiiiiiiiiiiiiii", F::D, fl(true, false, false)),
    e("lfsu", "110001 ttttt aaaaa iiiiiiiiiiiiiiii", F::DStoreU, fl(true, true, false)),
    e("lfd", "110010 ttttt aaaaa iiiiiiiiiiiiiiii", F::D, fl(false, false, false)),
    e("lfdu", "110011 ttttt aaaaa iiiiiiiiiiiiiiii", F::DStoreU, fl(false, true, false)),
    e("stfs", "110100 ttttt aaaaa iiiiiiiiiiiiiiii", F::D, fs(true, false, false)),
    e("stfsu", "110101 ttttt aaaaa iiiiiiiiiiiiiiii", F::DStoreU, fs(true, true, false)),
    e("stfd", "110110 ttttt aaaaa iiiiiiiiiiiiiiii", F::D, fs(false, false, false)),
    e("stfdu", "110111 ttttt aaaaa iiiiiiiiiiiiiiii", F::DStoreU, fs(false, true, false)),
    e("lfsx", "011111 ttttt aaaaa bbbbb 1000010111 0", F::X, fl(true, false, true)),
    e("lfsux", "011111 ttttt aaaaa bbbbb 1000110111 0", F::XStoreU, fl(true, true, true)),
    e("lfdx", "011111 ttttt aaaaa bbbbb 1001010111 0", F::X, fl(false, false, true)),
    e("lfdux", "011111 ttttt aaaaa bbbbb 1001110111 0", F::XStoreU, fl(false, true, true)),
    e("stfsx", "011111 ttttt aaaaa bbbbb 1010010111 0", F::X, fs(true, false, true)),
    e("stfsux", "011111 ttttt aaaaa bbbbb 1010110111 0", F::XStoreU, fs(true, true, true)),
    e("stfdx", "011111 ttttt aaaaa bbbbb 1011010111 0", F::X, fs(false, false, true)),
    e("stfdux", "011111 ttttt aaaaa bbbbb 1011110111 0", F::XStoreU, fs(false, true, true)),
    e("lfiwax", "011111 ttttt aaaaa bbbbb 1101010111 0", F::X, O::Lfiw { signed: true }),
    e("lfiwzx", "011111 ttttt aaaaa bbbbb 1101110111 0", F::X, O::Lfiw { signed: false }),
    e("stfiwx", "011111 ttttt aaaaa bbbbb 1111010111 0", F::X, O::Stfiwx),
    // A-form arithmetic, double (63) and single (59).
    e("fdiv", "111111 ttttt aaaaa bbbbb ccccc 10010 0", F::A, far(FB::Div, false)),
    e("fdiv.", "111111 ttttt aaaaa bbbbb ccccc 10010 1", F::A, far(FB::Div, false)),
    e("fsub", "111111 ttttt aaaaa bbbbb ccccc 10100 0", F::A, far(FB::Sub, false)),
    e("fsub.", "111111 ttttt aaaaa bbbbb ccccc 10100 1", F::A, far(FB::Sub, false)),
    e("fadd", "111111 ttttt aaaaa bbbbb ccccc 10101 0", F::A, far(FB::Add, false)),
    e("fadd.", "111111 ttttt aaaaa bbbbb ccccc 10101 1", F::A, far(FB::Add, false)),
    e("fsqrt", "111111 ttttt aaaaa bbbbb ccccc 10110 0", F::A, O::FpSqrt { single: false }),
    e("fsqrt.", "111111 ttttt aaaaa bbbbb ccccc 10110 1", F::A, O::FpSqrt { single: false }),
    e("fsel", "111111 ttttt aaaaa bbbbb ccccc 10111 0", F::A, O::Fsel),
    e("fsel.", "111111 ttttt aaaaa bbbbb ccccc 10111 1", F::A, O::Fsel),
    e(
        "fre",
        "111111 ttttt aaaaa bbbbb ccccc 11000 0",
        F::A,
        O::FpEstimate { sqrt: false, single: false },
    ),
    e(
        "fre.",
        "111111 ttttt aaaaa bbbbb ccccc 11000 1",
        F::A,
        O::FpEstimate { sqrt: false, single: false },
    ),
    e(
        "frsqrte",
        "111111 ttttt aaaaa bbbbb ccccc 11010 0",
        F::A,
        O::FpEstimate { sqrt: true, single: false },
    ),
    e(
        "frsqrte.",
        "111111 ttttt aaaaa bbbbb ccccc 11010 1",
        F::A,
        O::FpEstimate { sqrt: true, single: false },
    ),
    e("fmul", "111111 ttttt aaaaa bbbbb ccccc 11001 0", F::A, far(FB::Mul, false)),
    e("fmul.", "111111 ttttt aaaaa bbbbb ccccc 11001 1", F::A, far(FB::Mul, false)),
    e("fmsub", "111111 ttttt aaaaa bbbbb ccccc 11100 0", F::A, fma(true, false, false)),
    e("fmsub.", "111111 ttttt aaaaa bbbbb ccccc 11100 1", F::A, fma(true, false, false)),
    e("fmadd", "111111 ttttt aaaaa bbbbb ccccc 11101 0", F::A, fma(false, false, false)),
    e("fmadd.", "111111 ttttt aaaaa bbbbb ccccc 11101 1", F::A, fma(false, false, false)),
    e("fnmsub", "111111 ttttt aaaaa bbbbb ccccc 11110 0", F::A, fma(true, true, false)),
    e("fnmsub.", "111111 ttttt aaaaa bbbbb ccccc 11110 1", F::A, fma(true, true, false)),
    e("fnmadd", "111111 ttttt aaaaa bbbbb ccccc 11111 0", F::A, fma(false, true, false)),
    e("fnmadd.", "111111 ttttt aaaaa bbbbb ccccc 11111 1", F::A, fma(false, true, false)),
    e("fdivs", "111011 ttttt aaaaa bbbbb ccccc 10010 0", F::A, far(FB::Div, true)),
    e("fdivs.", "111011 ttttt aaaaa bbbbb ccccc 10010 1", F::A, far(FB::Div, true)),
    e("fsubs", "111011 ttttt aaaaa bbbbb ccccc 10100 0", F::A, far(FB::Sub, true)),
    e("fsubs.", "111011 ttttt aaaaa bbbbb ccccc 10100 1", F::A, far(FB::Sub, true)),
    e("fadds", "111011 ttttt aaaaa bbbbb ccccc 10101 0", F::A, far(FB::Add, true)),
    e("fadds.", "111011 ttttt aaaaa bbbbb ccccc 10101 1", F::A, far(FB::Add, true)),
    e("fsqrts", "111011 ttttt aaaaa bbbbb ccccc 10110 0", F::A, O::FpSqrt { single: true }),
    e("fsqrts.", "111011 ttttt aaaaa bbbbb ccccc 10110 1", F::A, O::FpSqrt { single: true }),
    e(
        "fres",
        "111011 ttttt aaaaa bbbbb ccccc 11000 0",
        F::A,
        O::FpEstimate { sqrt: false, single: true },
    ),
    e(
        "fres.",
        "111011 ttttt aaaaa bbbbb ccccc 11000 1",
        F::A,
        O::FpEstimate { sqrt: false, single: true },
    ),
    e(
        "frsqrtes",
        "111011 ttttt aaaaa bbbbb ccccc 11010 0",
        F::A,
        O::FpEstimate { sqrt: true, single: true },
    ),
    e(
        "frsqrtes.",
        "111011 ttttt aaaaa bbbbb ccccc 11010 1",
        F::A,
        O::FpEstimate { sqrt: true, single: true },
    ),
    e("fmuls", "111011 ttttt aaaaa bbbbb ccccc 11001 0", F::A, far(FB::Mul, true)),
    e("fmuls.", "111011 ttttt aaaaa bbbbb ccccc 11001 1", F::A, far(FB::Mul, true)),
    e("fmsubs", "111011 ttttt aaaaa bbbbb ccccc 11100 0", F::A, fma(true, false, true)),
    e("fmsubs.", "111011 ttttt aaaaa bbbbb ccccc 11100 1", F::A, fma(true, false, true)),
    e("fmadds", "111011 ttttt aaaaa bbbbb ccccc 11101 0", F::A, fma(false, false, true)),
    e("fmadds.", "111011 ttttt aaaaa bbbbb ccccc 11101 1", F::A, fma(false, false, true)),
    e("fnmsubs", "111011 ttttt aaaaa bbbbb ccccc 11110 0", F::A, fma(true, true, true)),
    e("fnmsubs.", "111011 ttttt aaaaa bbbbb ccccc 11110 1", F::A, fma(true, true, true)),
    e("fnmadds", "111011 ttttt aaaaa bbbbb ccccc 11111 0", F::A, fma(false, true, true)),
    e("fnmadds.", "111011 ttttt aaaaa bbbbb ccccc 11111 1", F::A, fma(false, true, true)),
    // X-form FP: compares, conversions, moves and FPSCR.
    e("fcmpu", "111111 ttttt aaaaa bbbbb 0000000000 0", F::Cmp, O::FpCmp { ordered: false }),
    e("fcmpo", "111111 ttttt aaaaa bbbbb 0000100000 0", F::Cmp, O::FpCmp { ordered: true }),
    e("frsp", "111111 ttttt aaaaa bbbbb 0000001100 0", F::X, O::Frsp),
    e("frsp.", "111111 ttttt aaaaa bbbbb 0000001100 1", F::X, O::Frsp),
    e("fctiw", "111111 ttttt aaaaa bbbbb 0000001110 0", F::X, cti(true, true, false)),
    e("fctiw.", "111111 ttttt aaaaa bbbbb 0000001110 1", F::X, cti(true, true, false)),
    e("fctiwz", "111111 ttttt aaaaa bbbbb 0000001111 0", F::X, cti(true, true, true)),
    e("fctiwz.", "111111 ttttt aaaaa bbbbb 0000001111 1", F::X, cti(true, true, true)),
    e("fctiwu", "111111 ttttt aaaaa bbbbb 0010001110 0", F::X, cti(true, false, false)),
    e("fctiwu.", "111111 ttttt aaaaa bbbbb 0010001110 1", F::X, cti(true, false, false)),
    e("fctiwuz", "111111 ttttt aaaaa bbbbb 0010001111 0", F::X, cti(true, false, true)),
    e("fctiwuz.", "111111 ttttt aaaaa bbbbb 0010001111 1", F::X, cti(true, false, true)),
    e("fctid", "111111 ttttt aaaaa bbbbb 1100101110 0", F::X, cti(false, true, false)),
    e("fctid.", "111111 ttttt aaaaa bbbbb 1100101110 1", F::X, cti(false, true, false)),
    e("fctidz", "111111 ttttt aaaaa bbbbb 1100101111 0", F::X, cti(false, true, true)),
    e("fctidz.", "111111 ttttt aaaaa bbbbb 1100101111 1", F::X, cti(false, true, true)),
    e("fctidu", "111111 ttttt aaaaa bbbbb 1110101110 0", F::X, cti(false, false, false)),
    e("fctidu.", "111111 ttttt aaaaa bbbbb 1110101110 1", F::X, cti(false, false, false)),
    e("fctiduz", "111111 ttttt aaaaa bbbbb 1110101111 0", F::X, cti(false, false, true)),
    e("fctiduz.", "111111 ttttt aaaaa bbbbb 1110101111 1", F::X, cti(false, false, true)),
    e("fcfid", "111111 ttttt aaaaa bbbbb 1101001110 0", F::X, cfi(false, true)),
    e("fcfid.", "111111 ttttt aaaaa bbbbb 1101001110 1", F::X, cfi(false, true)),
    e("fcfidu", "111111 ttttt aaaaa bbbbb 1111001110 0", F::X, cfi(false, false)),
    e("fcfidu.", "111111 ttttt aaaaa bbbbb 1111001110 1", F::X, cfi(false, false)),
    e("fcfids", "111011 ttttt aaaaa bbbbb 1101001110 0", F::X, cfi(true, true)),
    e("fcfids.", "111011 ttttt aaaaa bbbbb 1101001110 1", F::X, cfi(true, true)),
    e("fcfidus", "111011 ttttt aaaaa bbbbb 1111001110 0", F::X, cfi(true, false)),
    e("fcfidus.", "111011 ttttt aaaaa bbbbb 1111001110 1", F::X, cfi(true, false)),
    e("fcpsgn", "111111 ttttt aaaaa bbbbb 0000001000 0", F::X, O::FpMove(FM::Cpsgn)),
    e("fcpsgn.", "111111 ttttt aaaaa bbbbb 0000001000 1", F::X, O::FpMove(FM::Cpsgn)),
    e("fneg", "111111 ttttt aaaaa bbbbb 0000101000 0", F::X, O::FpMove(FM::Neg)),
    e("fneg.", "111111 ttttt aaaaa bbbbb 0000101000 1", F::X, O::FpMove(FM::Neg)),
    e("fmr", "111111 ttttt aaaaa bbbbb 0001001000 0", F::X, O::FpMove(FM::Mr)),
    e("fmr.", "111111 ttttt aaaaa bbbbb 0001001000 1", F::X, O::FpMove(FM::Mr)),
    e("fnabs", "111111 ttttt aaaaa bbbbb 0010001000 0", F::X, O::FpMove(FM::Nabs)),
    e("fnabs.", "111111 ttttt aaaaa bbbbb 0010001000 1", F::X, O::FpMove(FM::Nabs)),
    e("fabs", "111111 ttttt aaaaa bbbbb 0100001000 0", F::X, O::FpMove(FM::Abs)),
    e("fabs.", "111111 ttttt aaaaa bbbbb 0100001000 1", F::X, O::FpMove(FM::Abs)),
    e("frin", "111111 ttttt aaaaa bbbbb 0110001000 0", F::X, O::FpRoundInt(FR::Nearest)),
    e("frin.", "111111 ttttt aaaaa bbbbb 0110001000 1", F::X, O::FpRoundInt(FR::Nearest)),
    e("friz", "111111 ttttt aaaaa bbbbb 0110101000 0", F::X, O::FpRoundInt(FR::Zero)),
    e("friz.", "111111 ttttt aaaaa bbbbb 0110101000 1", F::X, O::FpRoundInt(FR::Zero)),
    e("frip", "111111 ttttt aaaaa bbbbb 0111001000 0", F::X, O::FpRoundInt(FR::Up)),
    e("frip.", "111111 ttttt aaaaa bbbbb 0111001000 1", F::X, O::FpRoundInt(FR::Up)),
    e("frim", "111111 ttttt aaaaa bbbbb 0111101000 0", F::X, O::FpRoundInt(FR::Down)),
    e("frim.", "111111 ttttt aaaaa bbbbb 0111101000 1", F::X, O::FpRoundInt(FR::Down)),
    e("mtfsb1", "111111 ttttt aaaaa bbbbb 0000100110 0", F::X, O::Mtfsb { set: true }),
    e("mtfsb1.", "111111 ttttt aaaaa bbbbb 0000100110 1", F::X, O::Mtfsb { set: true }),
    e("mcrfs", "111111 ttttt aaaaa bbbbb 0001000000 0", F::Mcrf, O::Mcrfs),
    e("mtfsb0", "111111 ttttt aaaaa bbbbb 0001000110 0", F::X, O::Mtfsb { set: false }),
    e("mtfsb0.", "111111 ttttt aaaaa bbbbb 0001000110 1", F::X, O::Mtfsb { set: false }),
    e("mtfsfi", "111111 ttttt aaaaa bbbbb 0010000110 0", F::Mtfsfi, O::Mtfsfi),
    e("mtfsfi.", "111111 ttttt aaaaa bbbbb 0010000110 1", F::Mtfsfi, O::Mtfsfi),
    // POWER8 ignores bits 11-15 of mffs, so the ISA 3.0 variants that set
    // them (mffscrni, mffsl, ...) read FPSCR as plain mffs; glibc relies
    // on that when AT_HWCAP2 lacks ARCH_3_00.
    e("mffs", "111111 ttttt aaaaa bbbbb 1001000111 0", F::X, O::Mffs),
    e("mffs.", "111111 ttttt aaaaa bbbbb 1001000111 1", F::X, O::Mffs),
    e("mtfsf", "111111 ttttt aaaaa bbbbb 1011000111 0", F::Mtfsf, O::Mtfsf),
    e("mtfsf.", "111111 ttttt aaaaa bbbbb 1011000111 1", F::Mtfsf, O::Mtfsf),
];

/// Every encoding, for tests and random instruction generators.
pub fn encodings() -> impl Iterator<Item = &'static Encoding> {
    TABLE.iter()
}

/// The first row matching `word`, if any.
pub fn lookup(word: u32) -> Option<&'static Encoding> {
    static INDEXED: decode_kit::Indexed<Encoding> = decode_kit::Indexed::new(TABLE);
    INDEXED.lookup(word)
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

    /// The `(name, mask, value)` rows, pinned: a change of how rows are
    /// written must leave this figure alone; adding or changing a row
    /// changes it, in the same commit.
    #[test]
    fn table_rows_are_pinned() {
        assert_eq!(checks::digest(TABLE), 0x880b_5631_c911_71ba);
    }

    #[test]
    fn the_index_finds_what_a_walk_of_the_table_finds() {
        checks::index_agrees(&decode_kit::Indexed::new(TABLE));
    }

    #[test]
    fn table_entries_are_well_formed() {
        // Every mask fixes the primary opcode.
        // Every row fixes the primary opcode.
        checks::well_formed(TABLE, 0xfc00_0000);
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
