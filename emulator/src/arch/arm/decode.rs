//! ARM-state decoder (A32, ARMv5TE–ARMv7-A user mode): instruction words →
//! [`Insn`], driven by two decode tables in the manual's bit-pattern form
//! (see `arch::decode_kit`).
//!
//! [`COND_TABLE`] holds the conditional space (condition field 0000–1110);
//! [`UNCOND_TABLE`] the unconditional space (1111): `blx` (immediate),
//! preload hints, `clrex` and the barriers. Rows name their operand shape
//! ([`Form`]) and meaning ([`Opcode`]); the lifter reads the operand fields
//! from the word itself, since A32 keeps them at fixed places (Rn 19:16,
//! Rd 15:12, Rs 11:8, Rm 3:0).
//!
//! Decoding is strict where QEMU's decoder is: should-be fields that
//! the manual makes part of the encoding (`mov`'s Rn, `cmp`'s Rd, the
//! 0000 and 1111 fillers of the multiplies and exclusives) are fixed bits,
//! so a word with them set is illegal. Not decoded (illegal): coprocessor
//! and VFP/NEON instructions other than the TLS read, `cps` and the
//! system instructions user mode cannot run. `setend be` is refused
//! (undefined): Bohr has no big-endian data accesses on armel.
//!
//! Talks to: `lift` (consumes [`decode_word`]), the instruction tests and
//! random-instruction generators that read [`encodings`].

use crate::arch::decode_kit::{self, Encoding as Row, Indexed};

/// The sixteen data-processing operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DpOp {
    And,
    Eor,
    Sub,
    Rsb,
    Add,
    Adc,
    Sbc,
    Rsc,
    Tst,
    Teq,
    Cmp,
    Cmn,
    Orr,
    Mov,
    Bic,
    Mvn,
    /// Thumb-2 only: Rn OR NOT operand.
    Orn,
}

impl DpOp {
    /// Logical operations take C from the shifter; arithmetic ones from the
    /// adder.
    pub const fn is_logical(self) -> bool {
        matches!(
            self,
            DpOp::And
                | DpOp::Eor
                | DpOp::Tst
                | DpOp::Teq
                | DpOp::Orr
                | DpOp::Mov
                | DpOp::Bic
                | DpOp::Mvn
                | DpOp::Orn
        )
    }

    /// Compare-type operations write only the flags.
    pub const fn is_compare(self) -> bool {
        matches!(self, DpOp::Tst | DpOp::Teq | DpOp::Cmp | DpOp::Cmn)
    }
}

/// Access size of a load or store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Size {
    Byte,
    Half,
    Word,
    /// A register pair (`ldrd`, `strd`, `ldrexd`, `strexd`).
    Dual,
}

/// Sign or zero extension with rotation (`sxtb`, `uxtah`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExtKind {
    /// One byte.
    B,
    /// One halfword.
    H,
    /// Bytes 0 and 2, each to a halfword.
    B16,
}

/// What an instruction does, independent of its encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Opcode {
    /// Data processing; the S bit is bit 20.
    Dp(DpOp),
    /// `movw rd, #imm16`.
    Movw,
    /// `movt rd, #imm16`.
    Movt,
    /// `mul`/`mla` (`acc`), S in bit 20.
    Mul {
        acc: bool,
    },
    Mls,
    /// `umull`, `umlal`, `smull`, `smlal`; S in bit 20.
    MulLong {
        signed: bool,
        acc: bool,
    },
    Umaal,
    /// `smul<x><y>` and `smla<x><y>` (`acc`).
    SmulXY {
        acc: bool,
    },
    /// `smlal<x><y>`.
    SmlalXY,
    /// `smulw<y>` and `smlaw<y>` (`acc`).
    SmulWY {
        acc: bool,
    },
    /// `smmul`, `smmla`, `smmls`; bit 5 rounds.
    Smmul {
        acc: bool,
        sub: bool,
    },
    Usad8 {
        acc: bool,
    },
    /// `qadd`, `qsub`, `qdadd`, `qdsub`.
    Qadd {
        double: bool,
        sub: bool,
    },
    Sdiv,
    Udiv,
    Clz,
    Rev,
    Rev16,
    Revsh,
    Rbit,
    /// `sxt*`/`uxt*`; with `acc`, the `sxta*`/`uxta*` forms adding Rn.
    Extend {
        signed: bool,
        what: ExtKind,
        acc: bool,
    },
    Sbfx,
    Ubfx,
    Bfi,
    Bfc,
    Ssat,
    Usat,
    Sel,
    /// The parallel add/subtract family (`sadd16`, `uqsub8`, `shasx` ...):
    /// `kind` is bits 22:20 (1 signed, 2 signed saturating, 3 signed
    /// halving, 5 unsigned, 6 unsigned saturating, 7 unsigned halving),
    /// the operation is bits 7:5.
    Parallel {
        kind: u8,
    },
    /// `smuad`, `smlad` (`acc`), `smusd`, `smlsd` (`sub`); bit 5 swaps
    /// the halves of Rm (the `x` forms).
    DualMul {
        sub: bool,
        acc: bool,
    },
    /// `smlald` / `smlsld` (`sub`).
    DualMulLong {
        sub: bool,
    },
    /// `ssat16` / `usat16`.
    Sat16 {
        signed: bool,
    },
    /// `setend`: bit 9 selects big-endian data.
    Setend,
    /// `pkhbt` / `pkhtb` (bit 6).
    Pkh,
    Mrs,
    MsrReg,
    MsrImm,
    /// `nop`, `yield`, `wfe`, `wfi`, `sev`: no effect in user mode.
    Hint,
    /// Single load; `signed` for `ldrsb`/`ldrsh`.
    Ldr {
        size: Size,
        signed: bool,
    },
    Str {
        size: Size,
    },
    Ldm,
    Stm,
    Swp {
        byte: bool,
    },
    Ldrex {
        size: Size,
    },
    Strex {
        size: Size,
    },
    Clrex,
    /// `dmb`, `dsb`: nothing to order in a single-core emulator.
    Barrier,
    /// `isb`: ends the block, so later code is refetched.
    Isb,
    /// Preload hints: never fault, no effect.
    Preload,
    B,
    Bl,
    BlxImm,
    Bx,
    BlxReg,
    Svc,
    Bkpt,
    /// Permanently undefined: SIGILL.
    Udf,
    /// `mrc p15, 0, rt, c13, c0, 3`: read `TPIDRURO`.
    MrcTls,
}

/// Shape of an instruction's operands, where it varies within one
/// [`Opcode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Form {
    /// Operands at fixed places; nothing to choose.
    Plain,
    /// Data processing: rotated 8-bit immediate (bits 11:0).
    Imm,
    /// Data processing: Rm shifted by an immediate (bits 11:5).
    RegImm,
    /// Data processing: Rm shifted by Rs.
    RegReg,
    /// Load/store word or byte: 12-bit offset.
    Imm12,
    /// Load/store word or byte: Rm shifted by an immediate.
    RegShift,
    /// Load/store halfword, signed or dual: 8-bit offset in bits 11:8, 3:0.
    Imm8,
    /// Load/store halfword, signed or dual: Rm.
    Reg,
}

/// One row of the A32 tables.
pub type Encoding = Row<Form, Opcode>;

/// A decoded instruction: its row and the raw word (the lifter reads the
/// operand fields from it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insn {
    pub opcode: Opcode,
    pub form: Form,
    /// Name of the encoding it came from.
    pub name: &'static str,
    /// Condition field; 0xe (always) for the unconditional space.
    pub cond: u32,
    pub word: u32,
    /// The row matched but its operands are UNPREDICTABLE ones Bohr
    /// refuses (see [`operands_valid`]): the word is undefined, which
    /// traps only when its condition holds.
    pub undefined: bool,
}

/// Outcome of decoding one word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decoded {
    Insn(Insn),
    /// No encoding matches.
    Illegal,
}

const fn e(name: &'static str, pattern: &str, form: Form, opcode: Opcode) -> Encoding {
    Row::new(name, pattern, form, opcode)
}

use DpOp as D;
use ExtKind as X;
use Form as F;
use Opcode as O;
use Size as Z;

/// The conditional space, in decoding order.
pub static COND_TABLE: &[Encoding] = &[
    // Data processing: immediate, register shifted by an immediate,
    // register shifted by a register. `mov`/`mvn` fix Rn at 0; the
    // compares fix S at 1 and Rd at 0 (with S clear the same bits encode
    // the miscellaneous instructions below).
    e("and.imm", "cccc 001 0000 s nnnn dddd rrrr iiii iiii", F::Imm, O::Dp(D::And)),
    e("and.reg", "cccc 000 0000 s nnnn dddd iiiii tt 0 mmmm", F::RegImm, O::Dp(D::And)),
    e("and.rsr", "cccc 000 0000 s nnnn dddd ssss 0 tt 1 mmmm", F::RegReg, O::Dp(D::And)),
    e("eor.imm", "cccc 001 0001 s nnnn dddd rrrr iiii iiii", F::Imm, O::Dp(D::Eor)),
    e("eor.reg", "cccc 000 0001 s nnnn dddd iiiii tt 0 mmmm", F::RegImm, O::Dp(D::Eor)),
    e("eor.rsr", "cccc 000 0001 s nnnn dddd ssss 0 tt 1 mmmm", F::RegReg, O::Dp(D::Eor)),
    e("sub.imm", "cccc 001 0010 s nnnn dddd rrrr iiii iiii", F::Imm, O::Dp(D::Sub)),
    e("sub.reg", "cccc 000 0010 s nnnn dddd iiiii tt 0 mmmm", F::RegImm, O::Dp(D::Sub)),
    e("sub.rsr", "cccc 000 0010 s nnnn dddd ssss 0 tt 1 mmmm", F::RegReg, O::Dp(D::Sub)),
    e("rsb.imm", "cccc 001 0011 s nnnn dddd rrrr iiii iiii", F::Imm, O::Dp(D::Rsb)),
    e("rsb.reg", "cccc 000 0011 s nnnn dddd iiiii tt 0 mmmm", F::RegImm, O::Dp(D::Rsb)),
    e("rsb.rsr", "cccc 000 0011 s nnnn dddd ssss 0 tt 1 mmmm", F::RegReg, O::Dp(D::Rsb)),
    e("add.imm", "cccc 001 0100 s nnnn dddd rrrr iiii iiii", F::Imm, O::Dp(D::Add)),
    e("add.reg", "cccc 000 0100 s nnnn dddd iiiii tt 0 mmmm", F::RegImm, O::Dp(D::Add)),
    e("add.rsr", "cccc 000 0100 s nnnn dddd ssss 0 tt 1 mmmm", F::RegReg, O::Dp(D::Add)),
    e("adc.imm", "cccc 001 0101 s nnnn dddd rrrr iiii iiii", F::Imm, O::Dp(D::Adc)),
    e("adc.reg", "cccc 000 0101 s nnnn dddd iiiii tt 0 mmmm", F::RegImm, O::Dp(D::Adc)),
    e("adc.rsr", "cccc 000 0101 s nnnn dddd ssss 0 tt 1 mmmm", F::RegReg, O::Dp(D::Adc)),
    e("sbc.imm", "cccc 001 0110 s nnnn dddd rrrr iiii iiii", F::Imm, O::Dp(D::Sbc)),
    e("sbc.reg", "cccc 000 0110 s nnnn dddd iiiii tt 0 mmmm", F::RegImm, O::Dp(D::Sbc)),
    e("sbc.rsr", "cccc 000 0110 s nnnn dddd ssss 0 tt 1 mmmm", F::RegReg, O::Dp(D::Sbc)),
    e("rsc.imm", "cccc 001 0111 s nnnn dddd rrrr iiii iiii", F::Imm, O::Dp(D::Rsc)),
    e("rsc.reg", "cccc 000 0111 s nnnn dddd iiiii tt 0 mmmm", F::RegImm, O::Dp(D::Rsc)),
    e("rsc.rsr", "cccc 000 0111 s nnnn dddd ssss 0 tt 1 mmmm", F::RegReg, O::Dp(D::Rsc)),
    e("tst.imm", "cccc 001 1000 1 nnnn 0000 rrrr iiii iiii", F::Imm, O::Dp(D::Tst)),
    e("tst.reg", "cccc 000 1000 1 nnnn 0000 iiiii tt 0 mmmm", F::RegImm, O::Dp(D::Tst)),
    e("tst.rsr", "cccc 000 1000 1 nnnn 0000 ssss 0 tt 1 mmmm", F::RegReg, O::Dp(D::Tst)),
    e("teq.imm", "cccc 001 1001 1 nnnn 0000 rrrr iiii iiii", F::Imm, O::Dp(D::Teq)),
    e("teq.reg", "cccc 000 1001 1 nnnn 0000 iiiii tt 0 mmmm", F::RegImm, O::Dp(D::Teq)),
    e("teq.rsr", "cccc 000 1001 1 nnnn 0000 ssss 0 tt 1 mmmm", F::RegReg, O::Dp(D::Teq)),
    e("cmp.imm", "cccc 001 1010 1 nnnn 0000 rrrr iiii iiii", F::Imm, O::Dp(D::Cmp)),
    e("cmp.reg", "cccc 000 1010 1 nnnn 0000 iiiii tt 0 mmmm", F::RegImm, O::Dp(D::Cmp)),
    e("cmp.rsr", "cccc 000 1010 1 nnnn 0000 ssss 0 tt 1 mmmm", F::RegReg, O::Dp(D::Cmp)),
    e("cmn.imm", "cccc 001 1011 1 nnnn 0000 rrrr iiii iiii", F::Imm, O::Dp(D::Cmn)),
    e("cmn.reg", "cccc 000 1011 1 nnnn 0000 iiiii tt 0 mmmm", F::RegImm, O::Dp(D::Cmn)),
    e("cmn.rsr", "cccc 000 1011 1 nnnn 0000 ssss 0 tt 1 mmmm", F::RegReg, O::Dp(D::Cmn)),
    e("orr.imm", "cccc 001 1100 s nnnn dddd rrrr iiii iiii", F::Imm, O::Dp(D::Orr)),
    e("orr.reg", "cccc 000 1100 s nnnn dddd iiiii tt 0 mmmm", F::RegImm, O::Dp(D::Orr)),
    e("orr.rsr", "cccc 000 1100 s nnnn dddd ssss 0 tt 1 mmmm", F::RegReg, O::Dp(D::Orr)),
    e("mov.imm", "cccc 001 1101 s 0000 dddd rrrr iiii iiii", F::Imm, O::Dp(D::Mov)),
    e("mov.reg", "cccc 000 1101 s 0000 dddd iiiii tt 0 mmmm", F::RegImm, O::Dp(D::Mov)),
    e("mov.rsr", "cccc 000 1101 s 0000 dddd ssss 0 tt 1 mmmm", F::RegReg, O::Dp(D::Mov)),
    e("bic.imm", "cccc 001 1110 s nnnn dddd rrrr iiii iiii", F::Imm, O::Dp(D::Bic)),
    e("bic.reg", "cccc 000 1110 s nnnn dddd iiiii tt 0 mmmm", F::RegImm, O::Dp(D::Bic)),
    e("bic.rsr", "cccc 000 1110 s nnnn dddd ssss 0 tt 1 mmmm", F::RegReg, O::Dp(D::Bic)),
    e("mvn.imm", "cccc 001 1111 s 0000 dddd rrrr iiii iiii", F::Imm, O::Dp(D::Mvn)),
    e("mvn.reg", "cccc 000 1111 s 0000 dddd iiiii tt 0 mmmm", F::RegImm, O::Dp(D::Mvn)),
    e("mvn.rsr", "cccc 000 1111 s 0000 dddd ssss 0 tt 1 mmmm", F::RegReg, O::Dp(D::Mvn)),
    e("movw", "cccc 0011 0000 iiii dddd iiii iiii iiii", F::Plain, O::Movw),
    e("movt", "cccc 0011 0100 iiii dddd iiii iiii iiii", F::Plain, O::Movt),
    e("hint", "cccc 0011 0010 0000 1111 0000 iiii iiii", F::Plain, O::Hint),
    e("msr.imm", "cccc 0011 0010 mm00 1111 rrrr iiii iiii", F::Plain, O::MsrImm),
    // Miscellaneous (bits 27:23 = 00010, bit 20 = 0).
    e("mrs", "cccc 0001 0000 1111 dddd 0000 0000 0000", F::Plain, O::Mrs),
    e("msr.reg", "cccc 0001 0010 mm00 1111 0000 0000 nnnn", F::Plain, O::MsrReg),
    e("bx", "cccc 0001 0010 1111 1111 1111 0001 mmmm", F::Plain, O::Bx),
    e("blx.reg", "cccc 0001 0010 1111 1111 1111 0011 mmmm", F::Plain, O::BlxReg),
    e("clz", "cccc 0001 0110 1111 dddd 1111 0001 mmmm", F::Plain, O::Clz),
    e(
        "qadd",
        "cccc 0001 0000 nnnn dddd 0000 0101 mmmm",
        F::Plain,
        O::Qadd { double: false, sub: false },
    ),
    e(
        "qsub",
        "cccc 0001 0010 nnnn dddd 0000 0101 mmmm",
        F::Plain,
        O::Qadd { double: false, sub: true },
    ),
    e(
        "qdadd",
        "cccc 0001 0100 nnnn dddd 0000 0101 mmmm",
        F::Plain,
        O::Qadd { double: true, sub: false },
    ),
    e(
        "qdsub",
        "cccc 0001 0110 nnnn dddd 0000 0101 mmmm",
        F::Plain,
        O::Qadd { double: true, sub: true },
    ),
    e("bkpt", "cccc 0001 0010 iiii iiii iiii 0111 iiii", F::Plain, O::Bkpt),
    e("smla", "cccc 0001 0000 dddd aaaa mmmm 1yx0 nnnn", F::Plain, O::SmulXY { acc: true }),
    e("smulw", "cccc 0001 0010 dddd 0000 mmmm 1y10 nnnn", F::Plain, O::SmulWY { acc: false }),
    e("smlaw", "cccc 0001 0010 dddd aaaa mmmm 1y00 nnnn", F::Plain, O::SmulWY { acc: true }),
    e("smlalxy", "cccc 0001 0100 hhhh llll mmmm 1yx0 nnnn", F::Plain, O::SmlalXY),
    e("smul", "cccc 0001 0110 dddd 0000 mmmm 1yx0 nnnn", F::Plain, O::SmulXY { acc: false }),
    // Multiplies (bits 7:4 = 1001).
    e("mul", "cccc 0000 000s dddd 0000 mmmm 1001 nnnn", F::Plain, O::Mul { acc: false }),
    e("mla", "cccc 0000 001s dddd aaaa mmmm 1001 nnnn", F::Plain, O::Mul { acc: true }),
    e("umaal", "cccc 0000 0100 hhhh llll mmmm 1001 nnnn", F::Plain, O::Umaal),
    e("mls", "cccc 0000 0110 dddd aaaa mmmm 1001 nnnn", F::Plain, O::Mls),
    e(
        "umull",
        "cccc 0000 100s hhhh llll mmmm 1001 nnnn",
        F::Plain,
        O::MulLong { signed: false, acc: false },
    ),
    e(
        "umlal",
        "cccc 0000 101s hhhh llll mmmm 1001 nnnn",
        F::Plain,
        O::MulLong { signed: false, acc: true },
    ),
    e(
        "smull",
        "cccc 0000 110s hhhh llll mmmm 1001 nnnn",
        F::Plain,
        O::MulLong { signed: true, acc: false },
    ),
    e(
        "smlal",
        "cccc 0000 111s hhhh llll mmmm 1001 nnnn",
        F::Plain,
        O::MulLong { signed: true, acc: true },
    ),
    // Swap and exclusives.
    e("swp", "cccc 0001 0000 nnnn tttt 0000 1001 mmmm", F::Plain, O::Swp { byte: false }),
    e("swpb", "cccc 0001 0100 nnnn tttt 0000 1001 mmmm", F::Plain, O::Swp { byte: true }),
    e("strex", "cccc 0001 1000 nnnn dddd 1111 1001 tttt", F::Plain, O::Strex { size: Z::Word }),
    e("ldrex", "cccc 0001 1001 nnnn tttt 1111 1001 1111", F::Plain, O::Ldrex { size: Z::Word }),
    e("strexd", "cccc 0001 1010 nnnn dddd 1111 1001 tttt", F::Plain, O::Strex { size: Z::Dual }),
    e("ldrexd", "cccc 0001 1011 nnnn tttt 1111 1001 1111", F::Plain, O::Ldrex { size: Z::Dual }),
    e("strexb", "cccc 0001 1100 nnnn dddd 1111 1001 tttt", F::Plain, O::Strex { size: Z::Byte }),
    e("ldrexb", "cccc 0001 1101 nnnn tttt 1111 1001 1111", F::Plain, O::Ldrex { size: Z::Byte }),
    e("strexh", "cccc 0001 1110 nnnn dddd 1111 1001 tttt", F::Plain, O::Strex { size: Z::Half }),
    e("ldrexh", "cccc 0001 1111 nnnn tttt 1111 1001 1111", F::Plain, O::Ldrex { size: Z::Half }),
    // Extra loads and stores: halfword, signed byte/halfword, dual.
    e("strh.reg", "cccc 000p u0w0 nnnn tttt 0000 1011 mmmm", F::Reg, O::Str { size: Z::Half }),
    e("strh.imm", "cccc 000p u1w0 nnnn tttt iiii 1011 iiii", F::Imm8, O::Str { size: Z::Half }),
    e(
        "ldrh.reg",
        "cccc 000p u0w1 nnnn tttt 0000 1011 mmmm",
        F::Reg,
        O::Ldr { size: Z::Half, signed: false },
    ),
    e(
        "ldrh.imm",
        "cccc 000p u1w1 nnnn tttt iiii 1011 iiii",
        F::Imm8,
        O::Ldr { size: Z::Half, signed: false },
    ),
    e(
        "ldrd.reg",
        "cccc 000p u0w0 nnnn tttt 0000 1101 mmmm",
        F::Reg,
        O::Ldr { size: Z::Dual, signed: false },
    ),
    e(
        "ldrd.imm",
        "cccc 000p u1w0 nnnn tttt iiii 1101 iiii",
        F::Imm8,
        O::Ldr { size: Z::Dual, signed: false },
    ),
    e(
        "ldrsb.reg",
        "cccc 000p u0w1 nnnn tttt 0000 1101 mmmm",
        F::Reg,
        O::Ldr { size: Z::Byte, signed: true },
    ),
    e(
        "ldrsb.imm",
        "cccc 000p u1w1 nnnn tttt iiii 1101 iiii",
        F::Imm8,
        O::Ldr { size: Z::Byte, signed: true },
    ),
    e("strd.reg", "cccc 000p u0w0 nnnn tttt 0000 1111 mmmm", F::Reg, O::Str { size: Z::Dual }),
    e("strd.imm", "cccc 000p u1w0 nnnn tttt iiii 1111 iiii", F::Imm8, O::Str { size: Z::Dual }),
    e(
        "ldrsh.reg",
        "cccc 000p u0w1 nnnn tttt 0000 1111 mmmm",
        F::Reg,
        O::Ldr { size: Z::Half, signed: true },
    ),
    e(
        "ldrsh.imm",
        "cccc 000p u1w1 nnnn tttt iiii 1111 iiii",
        F::Imm8,
        O::Ldr { size: Z::Half, signed: true },
    ),
    // Loads and stores of words and bytes.
    e("str.imm", "cccc 010p u0w0 nnnn tttt iiii iiii iiii", F::Imm12, O::Str { size: Z::Word }),
    e(
        "ldr.imm",
        "cccc 010p u0w1 nnnn tttt iiii iiii iiii",
        F::Imm12,
        O::Ldr { size: Z::Word, signed: false },
    ),
    e("strb.imm", "cccc 010p u1w0 nnnn tttt iiii iiii iiii", F::Imm12, O::Str { size: Z::Byte }),
    e(
        "ldrb.imm",
        "cccc 010p u1w1 nnnn tttt iiii iiii iiii",
        F::Imm12,
        O::Ldr { size: Z::Byte, signed: false },
    ),
    e("str.reg", "cccc 011p u0w0 nnnn tttt iiiii tt 0 mmmm", F::RegShift, O::Str { size: Z::Word }),
    e(
        "ldr.reg",
        "cccc 011p u0w1 nnnn tttt iiiii tt 0 mmmm",
        F::RegShift,
        O::Ldr { size: Z::Word, signed: false },
    ),
    e(
        "strb.reg",
        "cccc 011p u1w0 nnnn tttt iiiii tt 0 mmmm",
        F::RegShift,
        O::Str { size: Z::Byte },
    ),
    e(
        "ldrb.reg",
        "cccc 011p u1w1 nnnn tttt iiiii tt 0 mmmm",
        F::RegShift,
        O::Ldr { size: Z::Byte, signed: false },
    ),
    // Media instructions (bits 27:25 = 011, bit 4 = 1).
    e(
        "sxtb16",
        "cccc 0110 1000 1111 dddd rr00 0111 mmmm",
        F::Plain,
        O::Extend { signed: true, what: X::B16, acc: false },
    ),
    e(
        "sxtab16",
        "cccc 0110 1000 nnnn dddd rr00 0111 mmmm",
        F::Plain,
        O::Extend { signed: true, what: X::B16, acc: true },
    ),
    e(
        "sxtb",
        "cccc 0110 1010 1111 dddd rr00 0111 mmmm",
        F::Plain,
        O::Extend { signed: true, what: X::B, acc: false },
    ),
    e(
        "sxtab",
        "cccc 0110 1010 nnnn dddd rr00 0111 mmmm",
        F::Plain,
        O::Extend { signed: true, what: X::B, acc: true },
    ),
    e(
        "sxth",
        "cccc 0110 1011 1111 dddd rr00 0111 mmmm",
        F::Plain,
        O::Extend { signed: true, what: X::H, acc: false },
    ),
    e(
        "sxtah",
        "cccc 0110 1011 nnnn dddd rr00 0111 mmmm",
        F::Plain,
        O::Extend { signed: true, what: X::H, acc: true },
    ),
    e(
        "uxtb16",
        "cccc 0110 1100 1111 dddd rr00 0111 mmmm",
        F::Plain,
        O::Extend { signed: false, what: X::B16, acc: false },
    ),
    e(
        "uxtab16",
        "cccc 0110 1100 nnnn dddd rr00 0111 mmmm",
        F::Plain,
        O::Extend { signed: false, what: X::B16, acc: true },
    ),
    e(
        "uxtb",
        "cccc 0110 1110 1111 dddd rr00 0111 mmmm",
        F::Plain,
        O::Extend { signed: false, what: X::B, acc: false },
    ),
    e(
        "uxtab",
        "cccc 0110 1110 nnnn dddd rr00 0111 mmmm",
        F::Plain,
        O::Extend { signed: false, what: X::B, acc: true },
    ),
    e(
        "uxth",
        "cccc 0110 1111 1111 dddd rr00 0111 mmmm",
        F::Plain,
        O::Extend { signed: false, what: X::H, acc: false },
    ),
    e(
        "uxtah",
        "cccc 0110 1111 nnnn dddd rr00 0111 mmmm",
        F::Plain,
        O::Extend { signed: false, what: X::H, acc: true },
    ),
    // Parallel add/subtract (op 101 and 110 are undefined).
    e("par.s", "cccc 0110 0001 nnnn dddd 1111 ppp1 mmmm", F::Plain, O::Parallel { kind: 1 }),
    e("par.q", "cccc 0110 0010 nnnn dddd 1111 ppp1 mmmm", F::Plain, O::Parallel { kind: 2 }),
    e("par.sh", "cccc 0110 0011 nnnn dddd 1111 ppp1 mmmm", F::Plain, O::Parallel { kind: 3 }),
    e("par.u", "cccc 0110 0101 nnnn dddd 1111 ppp1 mmmm", F::Plain, O::Parallel { kind: 5 }),
    e("par.uq", "cccc 0110 0110 nnnn dddd 1111 ppp1 mmmm", F::Plain, O::Parallel { kind: 6 }),
    e("par.uh", "cccc 0110 0111 nnnn dddd 1111 ppp1 mmmm", F::Plain, O::Parallel { kind: 7 }),
    e("sel", "cccc 0110 1000 nnnn dddd 1111 1011 mmmm", F::Plain, O::Sel),
    e("pkh", "cccc 0110 1000 nnnn dddd iiiii t01 mmmm", F::Plain, O::Pkh),
    e("ssat", "cccc 0110 101i iiii dddd iiiii s01 nnnn", F::Plain, O::Ssat),
    e("usat", "cccc 0110 111i iiii dddd iiiii s01 nnnn", F::Plain, O::Usat),
    e("ssat16", "cccc 0110 1010 iiii dddd 1111 0011 nnnn", F::Plain, O::Sat16 { signed: true }),
    e("usat16", "cccc 0110 1110 iiii dddd 1111 0011 nnnn", F::Plain, O::Sat16 { signed: false }),
    e("rev", "cccc 0110 1011 1111 dddd 1111 0011 mmmm", F::Plain, O::Rev),
    e("rev16", "cccc 0110 1011 1111 dddd 1111 1011 mmmm", F::Plain, O::Rev16),
    e("rbit", "cccc 0110 1111 1111 dddd 1111 0011 mmmm", F::Plain, O::Rbit),
    e("revsh", "cccc 0110 1111 1111 dddd 1111 1011 mmmm", F::Plain, O::Revsh),
    e("sdiv", "cccc 0111 0001 dddd 1111 mmmm 0001 nnnn", F::Plain, O::Sdiv),
    e("udiv", "cccc 0111 0011 dddd 1111 mmmm 0001 nnnn", F::Plain, O::Udiv),
    e(
        "smmul",
        "cccc 0111 0101 dddd 1111 mmmm 00r1 nnnn",
        F::Plain,
        O::Smmul { acc: false, sub: false },
    ),
    e(
        "smmla",
        "cccc 0111 0101 dddd aaaa mmmm 00r1 nnnn",
        F::Plain,
        O::Smmul { acc: true, sub: false },
    ),
    e(
        "smmls",
        "cccc 0111 0101 dddd aaaa mmmm 11r1 nnnn",
        F::Plain,
        O::Smmul { acc: true, sub: true },
    ),
    e(
        "smuad",
        "cccc 0111 0000 dddd 1111 mmmm 00x1 nnnn",
        F::Plain,
        O::DualMul { sub: false, acc: false },
    ),
    e(
        "smlad",
        "cccc 0111 0000 dddd aaaa mmmm 00x1 nnnn",
        F::Plain,
        O::DualMul { sub: false, acc: true },
    ),
    e(
        "smusd",
        "cccc 0111 0000 dddd 1111 mmmm 01x1 nnnn",
        F::Plain,
        O::DualMul { sub: true, acc: false },
    ),
    e(
        "smlsd",
        "cccc 0111 0000 dddd aaaa mmmm 01x1 nnnn",
        F::Plain,
        O::DualMul { sub: true, acc: true },
    ),
    e("smlald", "cccc 0111 0100 hhhh llll mmmm 00x1 nnnn", F::Plain, O::DualMulLong { sub: false }),
    e("smlsld", "cccc 0111 0100 hhhh llll mmmm 01x1 nnnn", F::Plain, O::DualMulLong { sub: true }),
    e("usad8", "cccc 0111 1000 dddd 1111 mmmm 0001 nnnn", F::Plain, O::Usad8 { acc: false }),
    e("usada8", "cccc 0111 1000 dddd aaaa mmmm 0001 nnnn", F::Plain, O::Usad8 { acc: true }),
    e("sbfx", "cccc 0111 101w wwww dddd llll l101 nnnn", F::Plain, O::Sbfx),
    e("ubfx", "cccc 0111 111w wwww dddd llll l101 nnnn", F::Plain, O::Ubfx),
    e("bfc", "cccc 0111 110m mmmm dddd llll l001 1111", F::Plain, O::Bfc),
    e("bfi", "cccc 0111 110m mmmm dddd llll l001 nnnn", F::Plain, O::Bfi),
    e("udf", "1110 0111 1111 iiii iiii iiii 1111 iiii", F::Plain, O::Udf),
    // Branches, block transfers, supervisor call, the TLS register.
    e("stm", "cccc 100p u0w0 nnnn rrrr rrrr rrrr rrrr", F::Plain, O::Stm),
    e("ldm", "cccc 100p u0w1 nnnn rrrr rrrr rrrr rrrr", F::Plain, O::Ldm),
    e("b", "cccc 1010 iiii iiii iiii iiii iiii iiii", F::Plain, O::B),
    e("bl", "cccc 1011 iiii iiii iiii iiii iiii iiii", F::Plain, O::Bl),
    e("mrc.tls", "cccc 1110 0001 1101 tttt 1111 0111 0000", F::Plain, O::MrcTls),
    e("svc", "cccc 1111 iiii iiii iiii iiii iiii iiii", F::Plain, O::Svc),
];

/// The unconditional space (condition field 1111), in decoding order.
pub static UNCOND_TABLE: &[Encoding] = &[
    e("blx.imm", "1111 101h iiii iiii iiii iiii iiii iiii", F::Plain, O::BlxImm),
    e("clrex", "1111 0101 0111 1111 1111 0000 0001 1111", F::Plain, O::Clrex),
    e("setend", "1111 0001 0000 0001 0000 00e0 0000 0000", F::Plain, O::Setend),
    e("dsb", "1111 0101 0111 1111 1111 0000 0100 oooo", F::Plain, O::Barrier),
    e("dmb", "1111 0101 0111 1111 1111 0000 0101 oooo", F::Plain, O::Barrier),
    e("isb", "1111 0101 0111 1111 1111 0000 0110 oooo", F::Plain, O::Isb),
    e("pli.imm", "1111 0100 u101 nnnn 1111 iiii iiii iiii", F::Plain, O::Preload),
    e("pld.imm", "1111 0101 u101 nnnn 1111 iiii iiii iiii", F::Plain, O::Preload),
    e("pldw.imm", "1111 0101 u001 nnnn 1111 iiii iiii iiii", F::Plain, O::Preload),
    e("pli.reg", "1111 0110 u101 nnnn 1111 iiiii tt0 mmmm", F::Plain, O::Preload),
    e("pld.reg", "1111 0111 u101 nnnn 1111 iiiii tt0 mmmm", F::Plain, O::Preload),
    e("pldw.reg", "1111 0111 u001 nnnn 1111 iiiii tt0 mmmm", F::Plain, O::Preload),
];

/// Every encoding of both tables, for tests and random generators.
pub fn encodings() -> impl Iterator<Item = &'static Encoding> {
    COND_TABLE.iter().chain(UNCOND_TABLE.iter())
}

/// The row matching `word`, from the table its condition field selects.
pub fn lookup(word: u32) -> Option<&'static Encoding> {
    static UNCOND: Indexed<Encoding> = Indexed::new(UNCOND_TABLE);
    static COND: Indexed<Encoding> = Indexed::new(COND_TABLE);
    if word >> 28 == 0xf { UNCOND.lookup(word) } else { COND.lookup(word) }
}

/// The little-endian instruction word at the start of `bytes`; `None` when
/// fewer than 4 bytes are there.
pub fn word_from(bytes: &[u8]) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?))
}

/// Decode one instruction word.
pub fn decode_word(word: u32) -> Decoded {
    let Some(enc) = lookup(word) else {
        return Decoded::Illegal;
    };
    let undefined = !operands_valid(enc.opcode, word);
    let cond = if word >> 28 == 0xf { 0xe } else { word >> 28 };
    Decoded::Insn(Insn {
        opcode: enc.opcode,
        form: enc.format,
        name: enc.name,
        cond,
        word,
        undefined,
    })
}

/// Can register `t` start a register pair (even, below r14)?
fn pair_start(t: u32) -> bool {
    t.is_multiple_of(2) && t != 14
}

/// Reject field values the manual makes UNPREDICTABLE where QEMU refuses
/// them too, or where Bohr could not give one definite answer.
pub(super) fn operands_valid(opcode: Opcode, w: u32) -> bool {
    use decode_kit::{bit, bits};
    match opcode {
        // An empty register list.
        O::Ldm | O::Stm => bits(w, 15, 0) != 0,
        // Bit-field ends below their start.
        O::Bfi | O::Bfc => bits(w, 20, 16) >= bits(w, 11, 7),
        O::Sbfx | O::Ubfx => bits(w, 11, 7) + bits(w, 20, 16) < 32,
        // Dual transfers need an even first register below r14.
        O::Ldr { size: Z::Dual, .. } | O::Str { size: Z::Dual } | O::Ldrex { size: Z::Dual } => {
            pair_start(bits(w, 15, 12))
        }
        O::Strex { size: Z::Dual } => pair_start(bits(w, 3, 0)),
        // Operations 101 and 110 do not exist; no operand is the pc.
        O::Parallel { .. } => {
            !matches!(bits(w, 7, 5), 5 | 6)
                && bits(w, 19, 16) != 15
                && bits(w, 15, 12) != 15
                && bits(w, 3, 0) != 15
        }
        O::Sat16 { .. } => bits(w, 15, 12) != 15 && bits(w, 3, 0) != 15,
        O::DualMul { .. } => bits(w, 19, 16) != 15 && bits(w, 11, 8) != 15 && bits(w, 3, 0) != 15,
        O::DualMulLong { .. } => {
            let (hi, lo) = (bits(w, 19, 16), bits(w, 15, 12));
            hi != 15 && lo != 15 && hi != lo && bits(w, 11, 8) != 15 && bits(w, 3, 0) != 15
        }
        // Big-endian data is not supported (see `lift`).
        O::Setend => !bit(w, 9),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::decode_kit::checks;

    fn name_of(w: u32) -> Option<&'static str> {
        match decode_word(w) {
            Decoded::Insn(i) if !i.undefined => Some(i.name),
            _ => None,
        }
    }

    #[test]
    fn the_index_finds_what_a_walk_of_the_table_finds() {
        checks::index_agrees(&decode_kit::Indexed::new(UNCOND_TABLE));
        checks::index_agrees(&decode_kit::Indexed::new(COND_TABLE));
    }

    #[test]
    fn tables_are_well_formed() {
        checks::well_formed(COND_TABLE, 0);
        checks::well_formed(UNCOND_TABLE, 0xf000_0000);
        let mut names = std::collections::BTreeSet::new();
        for e in encodings() {
            assert!(names.insert(e.name), "{} in both tables", e.name);
        }
    }

    #[test]
    fn overlapping_rows_are_ordered_most_specific_first() {
        checks::ordered_most_specific_first(COND_TABLE);
        checks::ordered_most_specific_first(UNCOND_TABLE);
    }

    #[test]
    fn every_row_is_reachable() {
        // Conditional rows are tried with the "always" condition.
        let seed = |e: &Encoding| e.value | if e.mask >> 28 == 0 { 0xe000_0000 } else { 0 };
        checks::every_row_reachable(COND_TABLE, (0xf000_0000, 0xe000_0000), seed, name_of);
        checks::every_row_reachable(UNCOND_TABLE, (0, 0), seed, name_of);
    }

    #[test]
    fn random_fills_are_claimed_by_their_row_or_a_narrower_one() {
        checks::fills_claimed_by_row_or_narrower(COND_TABLE, |w| {
            decode_kit::lookup(COND_TABLE, w).map(|e| e.name)
        });
        checks::fills_claimed_by_row_or_narrower(UNCOND_TABLE, |w| {
            decode_kit::lookup(UNCOND_TABLE, w).map(|e| e.name)
        });
    }

    #[test]
    fn random_words_never_panic() {
        checks::random_words_never_panic(0x9e37_79b9_7f4a_7c15, 200_000, |w| {
            let _ = decode_word(w);
        });
    }

    fn dec(w: u32) -> Insn {
        match decode_word(w) {
            Decoded::Insn(i) => i,
            Decoded::Illegal => panic!("{w:#010x} is illegal"),
        }
    }

    #[test]
    fn common_words() {
        for (w, name) in [
            (0xe92d_4010, "stm"),     // push {r4, lr}
            (0xe8bd_80b0, "ldm"),     // pop {r4, r5, r7, pc}
            (0xe59f_0010, "ldr.imm"), // ldr r0, [pc, #16]
            (0xe3cd_d007, "bic.imm"), // bic sp, sp, #7
            (0xe12f_ff1e, "bx"),      // bx lr
            (0xef00_0000, "svc"),
            (0xe52d_e004, "str.imm"), // str lr, [sp, #-4]!
            (0x13a0_4000, "mov.imm"), // movne r4, #0
            (0xee1d_0f70, "mrc.tls"),
            (0xf57f_f05b, "dmb"),
            (0xe7f0_00f0, "udf"),
        ] {
            assert_eq!(dec(w).name, name, "{w:#010x}");
        }
        assert_eq!(dec(0x13a0_4000).cond, 1);
        assert_eq!(dec(0xf57f_f05b).cond, 0xe);
    }

    #[test]
    fn reserved_fields() {
        // Should-be-zero fields that QEMU decodes strictly.
        for w in [
            0xe1a1_0002u32,          // mov with Rn = 1
            0xe151_1002,             // cmp with Rd = 1
            0xe000_0192 | (1 << 12), // mul with Ra-field set
            0xee00_0a00,             // vfp: not implemented
        ] {
            assert_eq!(decode_word(w), Decoded::Illegal, "{w:#010x}");
        }
        // UNPREDICTABLE operands: undefined, trapping when executed.
        assert!(dec(0xe8bd_0000).undefined); // pop {}
        assert!(dec(0xe7c1_0290).undefined); // bfi r0, r0, #5, #-3 (msb < lsb)
        assert!(dec(0xe1c1_10d0).undefined); // ldrd r1, r2, [r1]: odd Rt
    }
}
