//! MIPS32r2 decoder: instruction words → [`Insn`], driven by one encoding
//! table.
//!
//! Encodings are data, in the spirit of QEMU's decodetree: each [`Encoding`]
//! is a bit pattern written as the manual draws the instruction (see
//! `arch::decode_kit`) with a name, an operand [`Format`] and the
//! [`Opcode`] it means. The table ([`MIPS32_TABLE`]) holds the
//! instructions of MIPS32 Release 2 that user code can execute: the
//! integer ISA and the FPU (COP1, COP1X) of a core with 64-bit FP
//! registers (`FIR.F64`, such as the 24Kf); no MIPS16e or microMIPS, no
//! privileged or other coprocessor instructions. Decoding does not depend
//! on the FPU mode: an instruction that only `FR=1` allows (an odd
//! register named as a double, the 64-bit fixed-point format `L`) is
//! marked [`Insn::fr1`], and the lifter makes it a reserved instruction
//! under `FR=0`. Words are byte-order neutral here: the caller
//! assembles them from memory in the guest's byte order ([`word_from`]).
//!
//! Decoding is strict: fields the manual requires to be zero are part of
//! each mask, so a word with them set is illegal rather than silently
//! decoded. Hint fields the manual defines (`sync`'s stype, `jr.hb`'s
//! hint bit, `pref`'s hint) are not.
//!
//! Overlap rule: when two patterns can match the same word, the earlier one
//! is strictly more specific (its mask contains the other's); the first
//! match wins. A format's operand extractor may reject a word whose fields
//! are reserved (`ext` past bit 31, `rdhwr` of an unknown register); such
//! words are illegal and never fall through to a later entry. The unit
//! tests below check these rules.
//!
//! Talks to: `lift` (consumes [`decode_word`]), `disasm`-checked tests, and
//! random-instruction generators that read [`encodings`].

use crate::arch::decode_kit::{self, Indexed, bits};
use crate::ir::Endian;

/// Operand size of loads and stores, in bytes.
pub type Size = u8;

/// Register-register (and register-immediate) ALU operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AluOp {
    /// Add; traps on signed overflow.
    Add,
    Addu,
    /// Subtract; traps on signed overflow.
    Sub,
    Subu,
    And,
    Or,
    Xor,
    Nor,
    Slt,
    Sltu,
    Sllv,
    Srlv,
    Srav,
    Rotrv,
    /// `rd = rs` if `rt == 0`.
    Movz,
    /// `rd = rs` if `rt != 0`.
    Movn,
    /// Low 32 bits of the product (SPECIAL2 `mul`); HI and LO unchanged.
    Mul,
}

/// Shift by the `sa` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ShiftOp {
    Sll,
    Srl,
    Sra,
    Rotr,
}

/// Operations of the multiply/divide unit, on HI and LO.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MulDivOp {
    Mult,
    Multu,
    Div,
    Divu,
    Madd,
    Maddu,
    Msub,
    Msubu,
}

/// Branch condition. `Eq`/`Ne` compare `rs` with `rt`; the others compare
/// `rs` with zero, as signed 32-bit values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cond {
    Eq,
    Ne,
    Lez,
    Gtz,
    Ltz,
    Gez,
}

/// Condition of a trap instruction, comparing `rs` with `rt` or the
/// immediate (the `u` forms compare unsigned; the immediate is still
/// sign-extended).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TrapCond {
    Ge,
    Geu,
    Lt,
    Ltu,
    Eq,
    Ne,
}

/// Format field of an FPU instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FpFmt {
    S,
    D,
    /// 32-bit integer.
    W,
    /// 64-bit integer (`FR=1` only).
    L,
}

/// Two-operand FPU arithmetic (`fd = fs op ft`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FpArith {
    Add,
    Sub,
    Mul,
    Div,
}

/// One-operand FPU operations (`fd = op fs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FpUnary {
    Sqrt,
    Abs,
    Mov,
    Neg,
    /// `1 / fs`.
    Recip,
    /// `1 / sqrt(fs)`.
    Rsqrt,
}

/// Rounding of a float-to-word conversion: the instruction's own, or
/// `FCSR`'s (`cvt.w`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FpToW {
    Round,
    Trunc,
    Ceil,
    Floor,
    Cvt,
}

/// What an instruction does, independent of its encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Opcode {
    /// `op rd, rs, rt`.
    Alu(AluOp),
    /// `op rt, rs, imm`; `imm` is already sign- or zero-extended.
    AluImm(AluOp),
    /// `op rd, rt, sa`.
    Shift(ShiftOp),
    Lui,
    /// `op rs, rt` on HI/LO.
    MulDiv(MulDivOp),
    Mfhi,
    Mflo,
    Mthi,
    Mtlo,
    Clz,
    Clo,
    Seb,
    Seh,
    Wsbh,
    /// `ext rt, rs, pos, size`: `sa` = pos, `imm` = size.
    Ext,
    /// `ins rt, rs, pos, size`: `sa` = pos, `imm` = size.
    Ins,
    Load {
        size: Size,
        signed: bool,
    },
    Store {
        size: Size,
    },
    Lwl,
    Lwr,
    Swl,
    Swr,
    Ll,
    Sc,
    /// Conditional branch to `pc + 4 + imm`. `likely` annuls the delay
    /// slot when not taken; `link` writes `pc + 8` to `$ra` either way.
    Branch {
        cond: Cond,
        likely: bool,
        link: bool,
    },
    /// `j`: `imm` holds the 28-bit region offset.
    J,
    Jal,
    Jr,
    Jalr,
    /// Trap if `rs cond rt`; `imm` holds the trap code.
    Trap(TrapCond),
    /// Trap if `rs cond imm`.
    TrapImm(TrapCond),
    Syscall,
    /// `imm` holds the break code.
    Break,
    Sync,
    /// Instruction-cache synchronisation: a no-op that ends the block.
    Synci,
    /// Prefetch: a no-op (it never faults).
    Pref,
    /// Read hardware register `rd` (one of the `HWR_*`) into `rt`.
    Rdhwr,
    /// GPR `movf`/`movt`: `rd = rs` if FCC `imm` is `tf`.
    Movci {
        tf: bool,
    },
    /// `lwc1`/`ldc1 ft, imm(rs)`: `size` 4 or 8.
    FpLoad {
        size: Size,
    },
    /// `swc1`/`sdc1 ft, imm(rs)`.
    FpStore {
        size: Size,
    },
    /// `lwxc1`/`ldxc1 fd(sa), rt(rs)`.
    FpLoadX {
        size: Size,
    },
    /// `swxc1`/`sdxc1 fs(rd), rt(rs)`.
    FpStoreX {
        size: Size,
    },
    /// `mfc1 rt, fs(rd)`.
    Mfc1,
    /// `mtc1 rt, fs(rd)`.
    Mtc1,
    /// `mfhc1 rt, fs(rd)`: the upper word of the double in `fs`.
    Mfhc1,
    /// `mthc1 rt, fs(rd)`.
    Mthc1,
    /// `cfc1 rt, fcr(rd)`.
    Cfc1,
    /// `ctc1 rt, fcr(rd)`.
    Ctc1,
    /// `bc1f`/`bc1t` on FCC `sa`, to `pc + 4 + imm`.
    Bc1 {
        tf: bool,
        likely: bool,
    },
    /// `fd(sa) = fs(rd) op ft(rt)`.
    FpArith {
        op: FpArith,
        fmt: FpFmt,
    },
    /// `fd(sa) = op fs(rd)`.
    FpUnary {
        op: FpUnary,
        fmt: FpFmt,
    },
    /// `cvt.{to}.{fmt} fd(sa), fs(rd)`.
    FpCvt {
        to: FpFmt,
        fmt: FpFmt,
    },
    /// `{round,trunc,ceil,floor,cvt}.w.{fmt} fd(sa), fs(rd)`.
    FpToW {
        how: FpToW,
        fmt: FpFmt,
    },
    /// `{round,trunc,ceil,floor,cvt}.l.{fmt} fd(sa), fs(rd)` (`FR=1`).
    FpToL {
        how: FpToW,
        fmt: FpFmt,
    },
    /// `c.{cond}.{fmt} cc(imm), fs(rd), ft(rt)`; `cond` is the 4-bit
    /// field: bit 0 unordered, 1 equal, 2 less, 3 signaling.
    FpCmp {
        cond: u8,
        fmt: FpFmt,
    },
    /// `movf.fmt`/`movt.fmt fd(sa), fs(rd), cc(imm)`.
    FpMovc {
        tf: bool,
        fmt: FpFmt,
    },
    /// `movz.fmt`/`movn.fmt fd(sa), fs(rd), rt`.
    FpMovzn {
        nonzero: bool,
        fmt: FpFmt,
    },
    /// `[n]madd`/`[n]msub.fmt fd(sa), fr(rs), fs(rd), ft(rt)`:
    /// `±(fs * ft ± fr)`, rounded after the product and again after the
    /// sum, as MIPS32r2 hardware does.
    FpMadd {
        sub: bool,
        neg: bool,
        fmt: FpFmt,
    },
}

impl Opcode {
    /// Branches and jumps: the instructions with a delay slot.
    pub const fn has_delay_slot(self) -> bool {
        matches!(
            self,
            Opcode::Branch { .. }
                | Opcode::J
                | Opcode::Jal
                | Opcode::Jr
                | Opcode::Jalr
                | Opcode::Bc1 { .. }
        )
    }

    /// Whether the instruction needs the FPU.
    pub const fn is_fpu(self) -> bool {
        matches!(
            self,
            Opcode::Movci { .. }
                | Opcode::FpLoad { .. }
                | Opcode::FpStore { .. }
                | Opcode::FpLoadX { .. }
                | Opcode::FpStoreX { .. }
                | Opcode::Mfc1
                | Opcode::Mtc1
                | Opcode::Mfhc1
                | Opcode::Mthc1
                | Opcode::Cfc1
                | Opcode::Ctc1
                | Opcode::Bc1 { .. }
                | Opcode::FpArith { .. }
                | Opcode::FpUnary { .. }
                | Opcode::FpCvt { .. }
                | Opcode::FpToW { .. }
                | Opcode::FpToL { .. }
                | Opcode::FpCmp { .. }
                | Opcode::FpMovc { .. }
                | Opcode::FpMovzn { .. }
                | Opcode::FpMadd { .. }
        )
    }

    /// Instructions Bohr refuses in a delay slot: control transfers (the
    /// manual leaves them UNPREDICTABLE there) and `syscall` (Linux would
    /// resume after the slot, skipping the branch).
    pub const fn forbidden_in_delay_slot(self) -> bool {
        self.has_delay_slot() || matches!(self, Opcode::Syscall)
    }
}

/// `rdhwr` registers user code may read (Linux enables all of them).
pub const HWR_CPUNUM: u8 = 0;
pub const HWR_SYNCI_STEP: u8 = 1;
/// The cycle counter; Bohr counts retired instructions.
pub const HWR_CC: u8 = 2;
pub const HWR_CCRES: u8 = 3;
/// UserLocal: the TLS pointer.
pub const HWR_ULR: u8 = 29;

/// How to pull operands out of an instruction word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// rd, rs, rt.
    R,
    /// rd, rt, sa.
    Shift,
    /// rt, rs, sign-extended imm16 (ALU immediates, loads and stores).
    I,
    /// rt, rs, zero-extended imm16.
    IZ,
    /// rt, imm16 << 16.
    Lui,
    /// rs, rt, branch offset (sign-extended imm16 << 2).
    B2,
    /// rs, branch offset; rt is part of the opcode.
    B1,
    /// 26-bit jump index << 2.
    J,
    /// rs.
    Rs,
    /// rd, rs.
    RdRs,
    /// rs, rt.
    RsRt,
    /// rd.
    Rd,
    /// rd, rt.
    RdRt,
    /// rt, rs, pos, size; rejects pos + size > 32.
    Ext,
    /// rt, rs, pos, size; rejects msb < lsb.
    Ins,
    /// rs, sign-extended imm16.
    RsImm,
    /// rs, rt, and the 10-bit trap code (bits 15:6) in imm.
    TrapCode,
    /// The break code in imm, read as Linux reads it (see [`break_code`]).
    BreakCode,
    /// No operands (or only a code the lifter ignores).
    None,
    /// rt, hardware register rd; rejects registers user code cannot read.
    Rdhwr,
    /// rd, rs, condition code (bits 20:18) in imm.
    Movci,
    /// FPU fd (sa), fs (rd), ft (rt); `pairs` lists which of them name
    /// doubles (bit 0 fd, 1 fs, 2 ft), which `FR=0` wants even; bit
    /// [`FR1_ONLY`] marks the `L`-format rows.
    Fp { pairs: u8 },
    /// `c.cond.fmt`: fs (rd), ft (rt), condition code (bits 10:8) in imm.
    FpCmp { pairs: u8 },
    /// `movf.fmt`/`movt.fmt`: fd (sa), fs (rd), condition code (bits
    /// 20:18) in imm.
    FpMovc { pairs: u8 },
    /// `madd.fmt` family: fd (sa), fr (rs), fs (rd), ft (rt).
    FpMadd { pairs: u8 },
    /// `bc1f`/`bc1t`: condition code (bits 20:18) in sa, branch offset.
    Bc1,
    /// rt, FPU register or control register rd; `pairs` bit 1 says rd
    /// must be even under `FR=0`.
    Cop1Move { pairs: u8 },
    /// `lwxc1`/`ldxc1`/`swxc1`/`sdxc1`: base rs, index rt, fd (sa) or fs
    /// (rd); `pairs` bit 0 says the FPU register must be even under
    /// `FR=0`.
    FpIndexed { pairs: u8 },
    /// `ldc1`/`sdc1`: like `I`; `FR=0` wants an even rt.
    IPair,
}

/// One row of the encoding table (the shared decode-table kit's row).
pub type Encoding = decode_kit::Encoding<Format, Opcode>;

/// A decoded instruction. Unused operands are zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insn {
    pub opcode: Opcode,
    /// Name of the encoding it came from.
    pub name: &'static str,
    pub rs: u8,
    pub rt: u8,
    pub rd: u8,
    /// Shift amount, or `ext`/`ins` position.
    pub sa: u8,
    /// Extended immediate, branch offset in bytes, jump region offset,
    /// `ext`/`ins` size.
    pub imm: i64,
    /// Only `FR=1` runs it: it names an odd register as a double (or as
    /// the register `mfhc1`/`mthc1` take the upper half of), or uses the
    /// `L` format. QEMU raises a reserved instruction for these under
    /// `FR=0` (`check_cp1_registers`, `check_cp1_64bitmode`).
    pub fr1: bool,
}

/// `pairs` bit of the rows that only `FR=1` runs (the `L` format).
pub const FR1_ONLY: u8 = 0x10;

/// Outcome of decoding one word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decoded {
    Insn(Insn),
    /// No encoding matches, or the match has reserved fields.
    Illegal,
}

const fn e(name: &'static str, pattern: &str, format: Format, opcode: Opcode) -> Encoding {
    Encoding::new(name, pattern, format, opcode)
}

use AluOp as A;
use Format as F;
use Opcode as O;

/// Every `(encoding, format)` row, in decoding order. Patterns are grouped
/// by the manual's fields (R: opcode rs rt rd sa function; I: opcode rs rt
/// immediate; J: opcode target; COP1: opcode fmt ft fs fd function). Free
/// bits carry a field letter: `s` rs/fs, `t` rt/ft, `d` rd/fd, `a` sa,
/// `i` immediate or target, `c` code or condition-code number, `m` fmt (or
/// ext/ins msb), `l` lsb, `r` fr, `b` base, `x` index, `v` tf, `n` nd,
/// `k` the compare condition, `y` sync's stype.
pub static MIPS32_TABLE: &[Encoding] = &[
    // SPECIAL (opcode 0).
    e("sll", "000000 00000 ttttt ddddd aaaaa 000000", F::Shift, O::Shift(ShiftOp::Sll)),
    e("srl", "000000 00000 ttttt ddddd aaaaa 000010", F::Shift, O::Shift(ShiftOp::Srl)),
    e("rotr", "000000 00001 ttttt ddddd aaaaa 000010", F::Shift, O::Shift(ShiftOp::Rotr)),
    e("sra", "000000 00000 ttttt ddddd aaaaa 000011", F::Shift, O::Shift(ShiftOp::Sra)),
    e("sllv", "000000 sssss ttttt ddddd 00000 000100", F::R, O::Alu(A::Sllv)),
    e("srlv", "000000 sssss ttttt ddddd 00000 000110", F::R, O::Alu(A::Srlv)),
    e("rotrv", "000000 sssss ttttt ddddd 00001 000110", F::R, O::Alu(A::Rotrv)),
    e("srav", "000000 sssss ttttt ddddd 00000 000111", F::R, O::Alu(A::Srav)),
    // The hint field of jr/jalr: 0, or 0x10 for the hazard-barrier forms.
    e("jr", "000000 sssss 00000 00000 00000 001000", F::Rs, O::Jr),
    e("jr.hb", "000000 sssss 00000 00000 10000 001000", F::Rs, O::Jr),
    e("jalr", "000000 sssss 00000 ddddd 00000 001001", F::RdRs, O::Jalr),
    e("jalr.hb", "000000 sssss 00000 ddddd 10000 001001", F::RdRs, O::Jalr),
    e("movz", "000000 sssss ttttt ddddd 00000 001010", F::R, O::Alu(A::Movz)),
    e("movn", "000000 sssss ttttt ddddd 00000 001011", F::R, O::Alu(A::Movn)),
    e("syscall", "000000 cccccccccccccccccccc 001100", F::None, O::Syscall),
    e("break", "000000 cccccccccccccccccccc 001101", F::BreakCode, O::Break),
    e("sync", "000000 000000000000000 yyyyy 001111", F::None, O::Sync),
    e("mfhi", "000000 00000 00000 ddddd 00000 010000", F::Rd, O::Mfhi),
    e("mthi", "000000 sssss 00000 00000 00000 010001", F::Rs, O::Mthi),
    e("mflo", "000000 00000 00000 ddddd 00000 010010", F::Rd, O::Mflo),
    e("mtlo", "000000 sssss 00000 00000 00000 010011", F::Rs, O::Mtlo),
    e("mult", "000000 sssss ttttt 00000 00000 011000", F::RsRt, O::MulDiv(MulDivOp::Mult)),
    e("multu", "000000 sssss ttttt 00000 00000 011001", F::RsRt, O::MulDiv(MulDivOp::Multu)),
    e("div", "000000 sssss ttttt 00000 00000 011010", F::RsRt, O::MulDiv(MulDivOp::Div)),
    e("divu", "000000 sssss ttttt 00000 00000 011011", F::RsRt, O::MulDiv(MulDivOp::Divu)),
    e("add", "000000 sssss ttttt ddddd 00000 100000", F::R, O::Alu(A::Add)),
    e("addu", "000000 sssss ttttt ddddd 00000 100001", F::R, O::Alu(A::Addu)),
    e("sub", "000000 sssss ttttt ddddd 00000 100010", F::R, O::Alu(A::Sub)),
    e("subu", "000000 sssss ttttt ddddd 00000 100011", F::R, O::Alu(A::Subu)),
    e("and", "000000 sssss ttttt ddddd 00000 100100", F::R, O::Alu(A::And)),
    e("or", "000000 sssss ttttt ddddd 00000 100101", F::R, O::Alu(A::Or)),
    e("xor", "000000 sssss ttttt ddddd 00000 100110", F::R, O::Alu(A::Xor)),
    e("nor", "000000 sssss ttttt ddddd 00000 100111", F::R, O::Alu(A::Nor)),
    e("slt", "000000 sssss ttttt ddddd 00000 101010", F::R, O::Alu(A::Slt)),
    e("sltu", "000000 sssss ttttt ddddd 00000 101011", F::R, O::Alu(A::Sltu)),
    // Trap codes (bits 15:6) tell the kernel which signal to send.
    e("tge", "000000 sssss ttttt cccccccccc 110000", F::TrapCode, O::Trap(TrapCond::Ge)),
    e("tgeu", "000000 sssss ttttt cccccccccc 110001", F::TrapCode, O::Trap(TrapCond::Geu)),
    e("tlt", "000000 sssss ttttt cccccccccc 110010", F::TrapCode, O::Trap(TrapCond::Lt)),
    e("tltu", "000000 sssss ttttt cccccccccc 110011", F::TrapCode, O::Trap(TrapCond::Ltu)),
    e("teq", "000000 sssss ttttt cccccccccc 110100", F::TrapCode, O::Trap(TrapCond::Eq)),
    e("tne", "000000 sssss ttttt cccccccccc 110110", F::TrapCode, O::Trap(TrapCond::Ne)),
    // REGIMM (opcode 1): rt selects the operation.
    e(
        "bltz",
        "000001 sssss 00000 iiiiiiiiiiiiiiii",
        F::B1,
        O::Branch { cond: Cond::Ltz, likely: false, link: false },
    ),
    e(
        "bgez",
        "000001 sssss 00001 iiiiiiiiiiiiiiii",
        F::B1,
        O::Branch { cond: Cond::Gez, likely: false, link: false },
    ),
    e(
        "bltzl",
        "000001 sssss 00010 iiiiiiiiiiiiiiii",
        F::B1,
        O::Branch { cond: Cond::Ltz, likely: true, link: false },
    ),
    e(
        "bgezl",
        "000001 sssss 00011 iiiiiiiiiiiiiiii",
        F::B1,
        O::Branch { cond: Cond::Gez, likely: true, link: false },
    ),
    e("tgei", "000001 sssss 01000 iiiiiiiiiiiiiiii", F::RsImm, O::TrapImm(TrapCond::Ge)),
    e("tgeiu", "000001 sssss 01001 iiiiiiiiiiiiiiii", F::RsImm, O::TrapImm(TrapCond::Geu)),
    e("tlti", "000001 sssss 01010 iiiiiiiiiiiiiiii", F::RsImm, O::TrapImm(TrapCond::Lt)),
    e("tltiu", "000001 sssss 01011 iiiiiiiiiiiiiiii", F::RsImm, O::TrapImm(TrapCond::Ltu)),
    e("teqi", "000001 sssss 01100 iiiiiiiiiiiiiiii", F::RsImm, O::TrapImm(TrapCond::Eq)),
    e("tnei", "000001 sssss 01110 iiiiiiiiiiiiiiii", F::RsImm, O::TrapImm(TrapCond::Ne)),
    e(
        "bltzal",
        "000001 sssss 10000 iiiiiiiiiiiiiiii",
        F::B1,
        O::Branch { cond: Cond::Ltz, likely: false, link: true },
    ),
    e(
        "bgezal",
        "000001 sssss 10001 iiiiiiiiiiiiiiii",
        F::B1,
        O::Branch { cond: Cond::Gez, likely: false, link: true },
    ),
    e(
        "bltzall",
        "000001 sssss 10010 iiiiiiiiiiiiiiii",
        F::B1,
        O::Branch { cond: Cond::Ltz, likely: true, link: true },
    ),
    e(
        "bgezall",
        "000001 sssss 10011 iiiiiiiiiiiiiiii",
        F::B1,
        O::Branch { cond: Cond::Gez, likely: true, link: true },
    ),
    e("synci", "000001 sssss 11111 iiiiiiiiiiiiiiii", F::I, O::Synci),
    // Jumps and branches.
    e("j", "000010 iiiiiiiiiiiiiiiiiiiiiiiiii", F::J, O::J),
    e("jal", "000011 iiiiiiiiiiiiiiiiiiiiiiiiii", F::J, O::Jal),
    e(
        "beq",
        "000100 sssss ttttt iiiiiiiiiiiiiiii",
        F::B2,
        O::Branch { cond: Cond::Eq, likely: false, link: false },
    ),
    e(
        "bne",
        "000101 sssss ttttt iiiiiiiiiiiiiiii",
        F::B2,
        O::Branch { cond: Cond::Ne, likely: false, link: false },
    ),
    e(
        "blez",
        "000110 sssss 00000 iiiiiiiiiiiiiiii",
        F::B1,
        O::Branch { cond: Cond::Lez, likely: false, link: false },
    ),
    e(
        "bgtz",
        "000111 sssss 00000 iiiiiiiiiiiiiiii",
        F::B1,
        O::Branch { cond: Cond::Gtz, likely: false, link: false },
    ),
    // ALU immediates.
    e("addi", "001000 sssss ttttt iiiiiiiiiiiiiiii", F::I, O::AluImm(A::Add)),
    e("addiu", "001001 sssss ttttt iiiiiiiiiiiiiiii", F::I, O::AluImm(A::Addu)),
    e("slti", "001010 sssss ttttt iiiiiiiiiiiiiiii", F::I, O::AluImm(A::Slt)),
    e("sltiu", "001011 sssss ttttt iiiiiiiiiiiiiiii", F::I, O::AluImm(A::Sltu)),
    e("andi", "001100 sssss ttttt iiiiiiiiiiiiiiii", F::IZ, O::AluImm(A::And)),
    e("ori", "001101 sssss ttttt iiiiiiiiiiiiiiii", F::IZ, O::AluImm(A::Or)),
    e("xori", "001110 sssss ttttt iiiiiiiiiiiiiiii", F::IZ, O::AluImm(A::Xor)),
    e("lui", "001111 00000 ttttt iiiiiiiiiiiiiiii", F::Lui, O::Lui),
    // Branch-likely forms.
    e(
        "beql",
        "010100 sssss ttttt iiiiiiiiiiiiiiii",
        F::B2,
        O::Branch { cond: Cond::Eq, likely: true, link: false },
    ),
    e(
        "bnel",
        "010101 sssss ttttt iiiiiiiiiiiiiiii",
        F::B2,
        O::Branch { cond: Cond::Ne, likely: true, link: false },
    ),
    e(
        "blezl",
        "010110 sssss 00000 iiiiiiiiiiiiiiii",
        F::B1,
        O::Branch { cond: Cond::Lez, likely: true, link: false },
    ),
    e(
        "bgtzl",
        "010111 sssss 00000 iiiiiiiiiiiiiiii",
        F::B1,
        O::Branch { cond: Cond::Gtz, likely: true, link: false },
    ),
    // SPECIAL2 (opcode 0x1c).
    e("madd", "011100 sssss ttttt 00000 00000 000000", F::RsRt, O::MulDiv(MulDivOp::Madd)),
    e("maddu", "011100 sssss ttttt 00000 00000 000001", F::RsRt, O::MulDiv(MulDivOp::Maddu)),
    e("mul", "011100 sssss ttttt ddddd 00000 000010", F::R, O::Alu(A::Mul)),
    e("msub", "011100 sssss ttttt 00000 00000 000100", F::RsRt, O::MulDiv(MulDivOp::Msub)),
    e("msubu", "011100 sssss ttttt 00000 00000 000101", F::RsRt, O::MulDiv(MulDivOp::Msubu)),
    // The manual wants rt == rd for clz/clo; like QEMU, rt is ignored.
    e("clz", "011100 sssss ttttt ddddd 00000 100000", F::RdRs, O::Clz),
    e("clo", "011100 sssss ttttt ddddd 00000 100001", F::RdRs, O::Clo),
    // SPECIAL3 (opcode 0x1f).
    e("ext", "011111 sssss ttttt mmmmm lllll 000000", F::Ext, O::Ext),
    e("ins", "011111 sssss ttttt mmmmm lllll 000100", F::Ins, O::Ins),
    e("wsbh", "011111 00000 ttttt ddddd 00010 100000", F::RdRt, O::Wsbh),
    e("seb", "011111 00000 ttttt ddddd 10000 100000", F::RdRt, O::Seb),
    e("seh", "011111 00000 ttttt ddddd 11000 100000", F::RdRt, O::Seh),
    e("rdhwr", "011111 00000 ttttt ddddd 00000 111011", F::Rdhwr, O::Rdhwr),
    // Loads and stores.
    e("lb", "100000 sssss ttttt iiiiiiiiiiiiiiii", F::I, O::Load { size: 1, signed: true }),
    e("lh", "100001 sssss ttttt iiiiiiiiiiiiiiii", F::I, O::Load { size: 2, signed: true }),
    e("lwl", "100010 sssss ttttt iiiiiiiiiiiiiiii", F::I, O::Lwl),
    e("lw", "100011 sssss ttttt iiiiiiiiiiiiiiii", F::I, O::Load { size: 4, signed: false }),
    e("lbu", "100100 sssss ttttt iiiiiiiiiiiiiiii", F::I, O::Load { size: 1, signed: false }),
    e("lhu", "100101 sssss ttttt iiiiiiiiiiiiiiii", F::I, O::Load { size: 2, signed: false }),
    e("lwr", "100110 sssss ttttt iiiiiiiiiiiiiiii", F::I, O::Lwr),
    e("sb", "101000 sssss ttttt iiiiiiiiiiiiiiii", F::I, O::Store { size: 1 }),
    e("sh", "101001 sssss ttttt iiiiiiiiiiiiiiii", F::I, O::Store { size: 2 }),
    e("swl", "101010 sssss ttttt iiiiiiiiiiiiiiii", F::I, O::Swl),
    e("sw", "101011 sssss ttttt iiiiiiiiiiiiiiii", F::I, O::Store { size: 4 }),
    e("swr", "101110 sssss ttttt iiiiiiiiiiiiiiii", F::I, O::Swr),
    e("ll", "110000 sssss ttttt iiiiiiiiiiiiiiii", F::I, O::Ll),
    e("pref", "110011 sssss ttttt iiiiiiiiiiiiiiii", F::I, O::Pref),
    e("sc", "111000 sssss ttttt iiiiiiiiiiiiiiii", F::I, O::Sc),
    // The FPU: COP1 loads and stores.
    e("lwc1", "110001 sssss ttttt iiiiiiiiiiiiiiii", F::I, O::FpLoad { size: 4 }),
    e("ldc1", "110101 sssss ttttt iiiiiiiiiiiiiiii", F::IPair, O::FpLoad { size: 8 }),
    e("swc1", "111001 sssss ttttt iiiiiiiiiiiiiiii", F::I, O::FpStore { size: 4 }),
    e("sdc1", "111101 sssss ttttt iiiiiiiiiiiiiiii", F::IPair, O::FpStore { size: 8 }),
    // GPR moves on FP condition codes (SPECIAL, function 1).
    e("movf", "000000 sssss ccc 0 0 ddddd 00000 000001", F::Movci, O::Movci { tf: false }),
    e("movt", "000000 sssss ccc 0 1 ddddd 00000 000001", F::Movci, O::Movci { tf: true }),
    // COP1 moves (rs selects them).
    e("mfc1", "010001 00000 ttttt sssss 00000000000", F::Cop1Move { pairs: 0 }, O::Mfc1),
    e("cfc1", "010001 00010 ttttt sssss 00000000000", F::Cop1Move { pairs: 0 }, O::Cfc1),
    e("mfhc1", "010001 00011 ttttt sssss 00000000000", F::Cop1Move { pairs: 2 }, O::Mfhc1),
    e("mtc1", "010001 00100 ttttt sssss 00000000000", F::Cop1Move { pairs: 0 }, O::Mtc1),
    e("ctc1", "010001 00110 ttttt sssss 00000000000", F::Cop1Move { pairs: 0 }, O::Ctc1),
    e("mthc1", "010001 00111 ttttt sssss 00000000000", F::Cop1Move { pairs: 2 }, O::Mthc1),
    e("bc1f", "010001 01000 ccc 0 0 iiiiiiiiiiiiiiii", F::Bc1, O::Bc1 { tf: false, likely: false }),
    e("bc1t", "010001 01000 ccc 0 1 iiiiiiiiiiiiiiii", F::Bc1, O::Bc1 { tf: true, likely: false }),
    e("bc1fl", "010001 01000 ccc 1 0 iiiiiiiiiiiiiiii", F::Bc1, O::Bc1 { tf: false, likely: true }),
    e("bc1tl", "010001 01000 ccc 1 1 iiiiiiiiiiiiiiii", F::Bc1, O::Bc1 { tf: true, likely: true }),
    // COP1 arithmetic: rs is the format (16 S, 17 D, 20 W).
    e(
        "add.s",
        "010001 10000 ttttt sssss ddddd 000000",
        F::Fp { pairs: 0 },
        fa(FpArith::Add, FpFmt::S),
    ),
    e(
        "sub.s",
        "010001 10000 ttttt sssss ddddd 000001",
        F::Fp { pairs: 0 },
        fa(FpArith::Sub, FpFmt::S),
    ),
    e(
        "mul.s",
        "010001 10000 ttttt sssss ddddd 000010",
        F::Fp { pairs: 0 },
        fa(FpArith::Mul, FpFmt::S),
    ),
    e(
        "div.s",
        "010001 10000 ttttt sssss ddddd 000011",
        F::Fp { pairs: 0 },
        fa(FpArith::Div, FpFmt::S),
    ),
    e(
        "sqrt.s",
        "010001 10000 00000 sssss ddddd 000100",
        F::Fp { pairs: 0 },
        fu(FpUnary::Sqrt, FpFmt::S),
    ),
    e(
        "abs.s",
        "010001 10000 00000 sssss ddddd 000101",
        F::Fp { pairs: 0 },
        fu(FpUnary::Abs, FpFmt::S),
    ),
    e(
        "mov.s",
        "010001 10000 00000 sssss ddddd 000110",
        F::Fp { pairs: 0 },
        fu(FpUnary::Mov, FpFmt::S),
    ),
    e(
        "neg.s",
        "010001 10000 00000 sssss ddddd 000111",
        F::Fp { pairs: 0 },
        fu(FpUnary::Neg, FpFmt::S),
    ),
    e(
        "round.w.s",
        "010001 10000 00000 sssss ddddd 001100",
        F::Fp { pairs: 0 },
        fw(FpToW::Round, FpFmt::S),
    ),
    e(
        "trunc.w.s",
        "010001 10000 00000 sssss ddddd 001101",
        F::Fp { pairs: 0 },
        fw(FpToW::Trunc, FpFmt::S),
    ),
    e(
        "ceil.w.s",
        "010001 10000 00000 sssss ddddd 001110",
        F::Fp { pairs: 0 },
        fw(FpToW::Ceil, FpFmt::S),
    ),
    e(
        "floor.w.s",
        "010001 10000 00000 sssss ddddd 001111",
        F::Fp { pairs: 0 },
        fw(FpToW::Floor, FpFmt::S),
    ),
    e(
        "movf.s",
        "010001 10000 ccc 0 0 sssss ddddd 010001",
        F::FpMovc { pairs: 0 },
        fmc(false, FpFmt::S),
    ),
    e(
        "movt.s",
        "010001 10000 ccc 0 1 sssss ddddd 010001",
        F::FpMovc { pairs: 0 },
        fmc(true, FpFmt::S),
    ),
    e("movz.s", "010001 10000 ttttt sssss ddddd 010010", F::Fp { pairs: 0 }, fmz(false, FpFmt::S)),
    e("movn.s", "010001 10000 ttttt sssss ddddd 010011", F::Fp { pairs: 0 }, fmz(true, FpFmt::S)),
    e(
        "recip.s",
        "010001 10000 00000 sssss ddddd 010101",
        F::Fp { pairs: 0 },
        fu(FpUnary::Recip, FpFmt::S),
    ),
    e(
        "rsqrt.s",
        "010001 10000 00000 sssss ddddd 010110",
        F::Fp { pairs: 0 },
        fu(FpUnary::Rsqrt, FpFmt::S),
    ),
    e(
        "cvt.d.s",
        "010001 10000 00000 sssss ddddd 100001",
        F::Fp { pairs: 1 },
        fc(FpFmt::D, FpFmt::S),
    ),
    e(
        "cvt.w.s",
        "010001 10000 00000 sssss ddddd 100100",
        F::Fp { pairs: 0 },
        fw(FpToW::Cvt, FpFmt::S),
    ),
    e(
        "c.cond.s",
        "010001 10000 ttttt sssss ccc 00 11 kkkk",
        F::FpCmp { pairs: 0 },
        O::FpCmp { cond: 0, fmt: FpFmt::S },
    ),
    e(
        "add.d",
        "010001 10001 ttttt sssss ddddd 000000",
        F::Fp { pairs: 7 },
        fa(FpArith::Add, FpFmt::D),
    ),
    e(
        "sub.d",
        "010001 10001 ttttt sssss ddddd 000001",
        F::Fp { pairs: 7 },
        fa(FpArith::Sub, FpFmt::D),
    ),
    e(
        "mul.d",
        "010001 10001 ttttt sssss ddddd 000010",
        F::Fp { pairs: 7 },
        fa(FpArith::Mul, FpFmt::D),
    ),
    e(
        "div.d",
        "010001 10001 ttttt sssss ddddd 000011",
        F::Fp { pairs: 7 },
        fa(FpArith::Div, FpFmt::D),
    ),
    e(
        "sqrt.d",
        "010001 10001 00000 sssss ddddd 000100",
        F::Fp { pairs: 3 },
        fu(FpUnary::Sqrt, FpFmt::D),
    ),
    e(
        "abs.d",
        "010001 10001 00000 sssss ddddd 000101",
        F::Fp { pairs: 3 },
        fu(FpUnary::Abs, FpFmt::D),
    ),
    e(
        "mov.d",
        "010001 10001 00000 sssss ddddd 000110",
        F::Fp { pairs: 3 },
        fu(FpUnary::Mov, FpFmt::D),
    ),
    e(
        "neg.d",
        "010001 10001 00000 sssss ddddd 000111",
        F::Fp { pairs: 3 },
        fu(FpUnary::Neg, FpFmt::D),
    ),
    e(
        "round.w.d",
        "010001 10001 00000 sssss ddddd 001100",
        F::Fp { pairs: 2 },
        fw(FpToW::Round, FpFmt::D),
    ),
    e(
        "trunc.w.d",
        "010001 10001 00000 sssss ddddd 001101",
        F::Fp { pairs: 2 },
        fw(FpToW::Trunc, FpFmt::D),
    ),
    e(
        "ceil.w.d",
        "010001 10001 00000 sssss ddddd 001110",
        F::Fp { pairs: 2 },
        fw(FpToW::Ceil, FpFmt::D),
    ),
    e(
        "floor.w.d",
        "010001 10001 00000 sssss ddddd 001111",
        F::Fp { pairs: 2 },
        fw(FpToW::Floor, FpFmt::D),
    ),
    e(
        "movf.d",
        "010001 10001 ccc 0 0 sssss ddddd 010001",
        F::FpMovc { pairs: 3 },
        fmc(false, FpFmt::D),
    ),
    e(
        "movt.d",
        "010001 10001 ccc 0 1 sssss ddddd 010001",
        F::FpMovc { pairs: 3 },
        fmc(true, FpFmt::D),
    ),
    e("movz.d", "010001 10001 ttttt sssss ddddd 010010", F::Fp { pairs: 3 }, fmz(false, FpFmt::D)),
    e("movn.d", "010001 10001 ttttt sssss ddddd 010011", F::Fp { pairs: 3 }, fmz(true, FpFmt::D)),
    e(
        "recip.d",
        "010001 10001 00000 sssss ddddd 010101",
        F::Fp { pairs: 3 },
        fu(FpUnary::Recip, FpFmt::D),
    ),
    e(
        "rsqrt.d",
        "010001 10001 00000 sssss ddddd 010110",
        F::Fp { pairs: 3 },
        fu(FpUnary::Rsqrt, FpFmt::D),
    ),
    e(
        "cvt.s.d",
        "010001 10001 00000 sssss ddddd 100000",
        F::Fp { pairs: 2 },
        fc(FpFmt::S, FpFmt::D),
    ),
    e(
        "cvt.w.d",
        "010001 10001 00000 sssss ddddd 100100",
        F::Fp { pairs: 2 },
        fw(FpToW::Cvt, FpFmt::D),
    ),
    e(
        "c.cond.d",
        "010001 10001 ttttt sssss ccc 00 11 kkkk",
        F::FpCmp { pairs: 6 },
        O::FpCmp { cond: 0, fmt: FpFmt::D },
    ),
    e(
        "cvt.s.w",
        "010001 10100 00000 sssss ddddd 100000",
        F::Fp { pairs: 0 },
        fc(FpFmt::S, FpFmt::W),
    ),
    e(
        "cvt.d.w",
        "010001 10100 00000 sssss ddddd 100001",
        F::Fp { pairs: 1 },
        fc(FpFmt::D, FpFmt::W),
    ),
    e(
        "round.l.s",
        "010001 10000 00000 sssss ddddd 001000",
        F::Fp { pairs: FR1_ONLY },
        fl(FpToW::Round, FpFmt::S),
    ),
    e(
        "trunc.l.s",
        "010001 10000 00000 sssss ddddd 001001",
        F::Fp { pairs: FR1_ONLY },
        fl(FpToW::Trunc, FpFmt::S),
    ),
    e(
        "ceil.l.s",
        "010001 10000 00000 sssss ddddd 001010",
        F::Fp { pairs: FR1_ONLY },
        fl(FpToW::Ceil, FpFmt::S),
    ),
    e(
        "floor.l.s",
        "010001 10000 00000 sssss ddddd 001011",
        F::Fp { pairs: FR1_ONLY },
        fl(FpToW::Floor, FpFmt::S),
    ),
    e(
        "cvt.l.s",
        "010001 10000 00000 sssss ddddd 100101",
        F::Fp { pairs: FR1_ONLY },
        fl(FpToW::Cvt, FpFmt::S),
    ),
    e(
        "round.l.d",
        "010001 10001 00000 sssss ddddd 001000",
        F::Fp { pairs: FR1_ONLY },
        fl(FpToW::Round, FpFmt::D),
    ),
    e(
        "trunc.l.d",
        "010001 10001 00000 sssss ddddd 001001",
        F::Fp { pairs: FR1_ONLY },
        fl(FpToW::Trunc, FpFmt::D),
    ),
    e(
        "ceil.l.d",
        "010001 10001 00000 sssss ddddd 001010",
        F::Fp { pairs: FR1_ONLY },
        fl(FpToW::Ceil, FpFmt::D),
    ),
    e(
        "floor.l.d",
        "010001 10001 00000 sssss ddddd 001011",
        F::Fp { pairs: FR1_ONLY },
        fl(FpToW::Floor, FpFmt::D),
    ),
    e(
        "cvt.l.d",
        "010001 10001 00000 sssss ddddd 100101",
        F::Fp { pairs: FR1_ONLY },
        fl(FpToW::Cvt, FpFmt::D),
    ),
    e(
        "cvt.s.l",
        "010001 10101 00000 sssss ddddd 100000",
        F::Fp { pairs: FR1_ONLY },
        fc(FpFmt::S, FpFmt::L),
    ),
    e(
        "cvt.d.l",
        "010001 10101 00000 sssss ddddd 100001",
        F::Fp { pairs: FR1_ONLY },
        fc(FpFmt::D, FpFmt::L),
    ),
    // COP1X: indexed loads and stores, multiply-add.
    e(
        "lwxc1",
        "010011 bbbbb xxxxx 00000 ddddd 000000",
        F::FpIndexed { pairs: 0 },
        O::FpLoadX { size: 4 },
    ),
    e(
        "ldxc1",
        "010011 bbbbb xxxxx 00000 ddddd 000001",
        F::FpIndexed { pairs: 1 },
        O::FpLoadX { size: 8 },
    ),
    e(
        "swxc1",
        "010011 bbbbb xxxxx sssss 00000 001000",
        F::FpIndexed { pairs: 0 },
        O::FpStoreX { size: 4 },
    ),
    e(
        "sdxc1",
        "010011 bbbbb xxxxx sssss 00000 001001",
        F::FpIndexed { pairs: 1 },
        O::FpStoreX { size: 8 },
    ),
    e(
        "madd.s",
        "010011 rrrrr ttttt sssss ddddd 100 000",
        F::FpMadd { pairs: 0 },
        fm(false, false, FpFmt::S),
    ),
    e(
        "madd.d",
        "010011 rrrrr ttttt sssss ddddd 100 001",
        F::FpMadd { pairs: 15 },
        fm(false, false, FpFmt::D),
    ),
    e(
        "msub.s",
        "010011 rrrrr ttttt sssss ddddd 101 000",
        F::FpMadd { pairs: 0 },
        fm(true, false, FpFmt::S),
    ),
    e(
        "msub.d",
        "010011 rrrrr ttttt sssss ddddd 101 001",
        F::FpMadd { pairs: 15 },
        fm(true, false, FpFmt::D),
    ),
    e(
        "nmadd.s",
        "010011 rrrrr ttttt sssss ddddd 110 000",
        F::FpMadd { pairs: 0 },
        fm(false, true, FpFmt::S),
    ),
    e(
        "nmadd.d",
        "010011 rrrrr ttttt sssss ddddd 110 001",
        F::FpMadd { pairs: 15 },
        fm(false, true, FpFmt::D),
    ),
    e(
        "nmsub.s",
        "010011 rrrrr ttttt sssss ddddd 111 000",
        F::FpMadd { pairs: 0 },
        fm(true, true, FpFmt::S),
    ),
    e(
        "nmsub.d",
        "010011 rrrrr ttttt sssss ddddd 111 001",
        F::FpMadd { pairs: 15 },
        fm(true, true, FpFmt::D),
    ),
];

const fn fa(op: FpArith, fmt: FpFmt) -> Opcode {
    O::FpArith { op, fmt }
}
const fn fu(op: FpUnary, fmt: FpFmt) -> Opcode {
    O::FpUnary { op, fmt }
}
const fn fw(how: FpToW, fmt: FpFmt) -> Opcode {
    O::FpToW { how, fmt }
}
const fn fl(how: FpToW, fmt: FpFmt) -> Opcode {
    O::FpToL { how, fmt }
}
const fn fc(to: FpFmt, fmt: FpFmt) -> Opcode {
    O::FpCvt { to, fmt }
}
const fn fmc(tf: bool, fmt: FpFmt) -> Opcode {
    O::FpMovc { tf, fmt }
}
const fn fmz(nonzero: bool, fmt: FpFmt) -> Opcode {
    O::FpMovzn { nonzero, fmt }
}
const fn fm(sub: bool, neg: bool, fmt: FpFmt) -> Opcode {
    O::FpMadd { sub, neg, fmt }
}

/// Every encoding, for tests and random-instruction generators.
pub fn encodings() -> impl Iterator<Item = &'static Encoding> {
    MIPS32_TABLE.iter()
}

/// The first table entry matching `word`.
pub fn lookup(word: u32) -> Option<&'static Encoding> {
    static MIPS32: Indexed<Encoding> = Indexed::new(MIPS32_TABLE);
    MIPS32.lookup(word)
}

/// Assemble the instruction word at the start of `bytes` in byte order
/// `endian`; `None` when fewer than 4 bytes are there.
pub fn word_from(bytes: &[u8], endian: Endian) -> Option<u32> {
    let b: [u8; 4] = bytes.get(..4)?.try_into().ok()?;
    Some(match endian {
        Endian::Little => u32::from_le_bytes(b),
        Endian::Big => u32::from_be_bytes(b),
    })
}

/// Decode one instruction word.
pub fn decode_word(word: u32) -> Decoded {
    lookup(word)
        .and_then(|enc| {
            let ops = extract(enc.format, word)?;
            let opcode = match enc.opcode {
                Opcode::FpCmp { fmt, .. } => Opcode::FpCmp { cond: bits(word, 3, 0) as u8, fmt },
                other => other,
            };
            Some(Decoded::Insn(Insn {
                opcode,
                name: enc.name,
                rs: ops.rs,
                rt: ops.rt,
                rd: ops.rd,
                sa: ops.sa,
                imm: ops.imm,
                fr1: ops.fr1,
            }))
        })
        .unwrap_or(Decoded::Illegal)
}

/// Operands pulled out of a word.
#[derive(Default)]
struct Operands {
    rs: u8,
    rt: u8,
    rd: u8,
    sa: u8,
    imm: i64,
    fr1: bool,
}

/// Trap and break codes Linux turns into SIGFPE (`asm/break.h`); any
/// other code is SIGTRAP.
pub const BRK_OVERFLOW: u32 = 6;
pub const BRK_DIVZERO: u32 = 7;

/// The code of a `break`, as Linux's `do_bp` reads it: the 20-bit field at
/// bits 25:6, except that assemblers put a lone 10-bit code in the upper
/// half (bits 25:16), which Linux moves down.
pub fn break_code(w: u32) -> u32 {
    let code = bits(w, 25, 6);
    if code >= 1 << 10 { ((code & 0x3ff) << 10) | (code >> 10) } else { code }
}

/// Extract the operands of `format` from `w`, or `None` if the word uses a
/// reserved field value.
fn extract(format: Format, w: u32) -> Option<Operands> {
    let rs = bits(w, 25, 21) as u8;
    let rt = bits(w, 20, 16) as u8;
    let rd = bits(w, 15, 11) as u8;
    let sa = bits(w, 10, 6) as u8;
    let simm = w as u16 as i16 as i64;
    let zimm = (w & 0xffff) as i64;
    let o = Operands::default();
    Some(match format {
        F::R => Operands { rd, rs, rt, ..o },
        F::Shift => Operands { rd, rt, sa, ..o },
        F::I => Operands { rt, rs, imm: simm, ..o },
        F::IZ => Operands { rt, rs, imm: zimm, ..o },
        F::Lui => Operands { rt, imm: zimm << 16, ..o },
        F::B2 => Operands { rs, rt, imm: simm << 2, ..o },
        F::B1 => Operands { rs, imm: simm << 2, ..o },
        F::J => Operands { imm: (bits(w, 25, 0) << 2) as i64, ..o },
        F::Rs => Operands { rs, ..o },
        F::RdRs => Operands { rd, rs, ..o },
        F::RsRt => Operands { rs, rt, ..o },
        F::Rd => Operands { rd, ..o },
        F::RdRt => Operands { rd, rt, ..o },
        F::Ext => {
            // msbd in rd, lsb in sa.
            let size = rd as i64 + 1;
            if sa as i64 + size > 32 {
                return None;
            }
            Operands { rt, rs, sa, imm: size, ..o }
        }
        F::Ins => {
            // msb in rd, lsb in sa.
            if rd < sa {
                return None;
            }
            Operands { rt, rs, sa, imm: (rd - sa) as i64 + 1, ..o }
        }
        F::RsImm => Operands { rs, imm: simm, ..o },
        F::TrapCode => Operands { rs, rt, imm: bits(w, 15, 6) as i64, ..o },
        F::BreakCode => Operands { imm: break_code(w) as i64, ..o },
        F::None => o,
        F::Rdhwr => {
            if !matches!(rd, HWR_CPUNUM | HWR_SYNCI_STEP | HWR_CC | HWR_CCRES | HWR_ULR) {
                return None;
            }
            Operands { rt, rd, ..o }
        }
        F::Movci => {
            if bits(w, 17, 17) != 0 {
                return None;
            }
            Operands { rd, rs, imm: bits(w, 20, 18) as i64, ..o }
        }
        F::Fp { pairs } => Operands { sa, rd, rt, fr1: fr1_only(pairs, [sa, rd, rt]), ..o },
        F::FpCmp { pairs } => {
            Operands { rd, rt, imm: bits(w, 10, 8) as i64, fr1: fr1_only(pairs, [0, rd, rt]), ..o }
        }
        F::FpMovc { pairs } => {
            Operands { sa, rd, imm: bits(w, 20, 18) as i64, fr1: fr1_only(pairs, [sa, rd, 0]), ..o }
        }
        F::FpMadd { pairs } => Operands {
            sa,
            rs,
            rd,
            rt,
            fr1: fr1_only(pairs, [sa, rd, rt]) || fr1_only(pairs >> 3, [rs, 0, 0]),
            ..o
        },
        F::Bc1 => Operands { sa: bits(w, 20, 18) as u8, imm: simm << 2, ..o },
        F::Cop1Move { pairs } => Operands { rt, rd, fr1: fr1_only(pairs, [0, rd, 0]), ..o },
        F::FpIndexed { pairs } => {
            Operands { rs, rt, rd, sa, fr1: fr1_only(pairs, [sa | rd, 0, 0]), ..o }
        }
        F::IPair => Operands { rt, rs, imm: simm, fr1: fr1_only(1, [rt, 0, 0]), ..o },
    })
}

/// Whether only `FR=1` runs an instruction: a register that `pairs`
/// marks (bit n for `regs[n]`) as naming a double is odd (under `FR=0` a
/// reserved instruction), or `pairs` has [`FR1_ONLY`].
fn fr1_only(pairs: u8, regs: [u8; 3]) -> bool {
    pairs & FR1_ONLY != 0 || (0..3).any(|n| pairs & (1 << n) != 0 && regs[n] & 1 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::arch::decode_kit::checks;

    fn name_of(w: u32) -> Option<&'static str> {
        match decode_word(w) {
            Decoded::Insn(i) => Some(i.name),
            Decoded::Illegal => None,
        }
    }

    #[test]
    fn the_index_finds_what_a_walk_of_the_table_finds() {
        checks::index_agrees(&decode_kit::Indexed::new(MIPS32_TABLE));
    }

    /// The `(name, mask, value)` rows, pinned: a change of how rows are
    /// written must leave this figure alone; adding or changing a row
    /// changes it, in the same commit.
    #[test]
    fn table_rows_are_pinned() {
        assert_eq!(checks::digest(MIPS32_TABLE), 0x164c_c202_9ec0_6337);
    }

    #[test]
    fn table_entries_are_well_formed() {
        // Every mask fixes the major opcode.
        checks::well_formed(MIPS32_TABLE, 0xfc00_0000);
    }

    #[test]
    fn overlapping_entries_are_ordered_most_specific_first() {
        checks::ordered_most_specific_first(MIPS32_TABLE);
    }

    #[test]
    fn every_entry_is_reachable() {
        // The all-zero fill is legal for every format; it is tried first.
        checks::every_row_reachable(MIPS32_TABLE, (0, 0), |e| e.value, name_of);
    }

    #[test]
    fn random_fills_of_each_pattern_decode_to_it_or_a_narrower_entry() {
        checks::fills_claimed_by_row_or_narrower(MIPS32_TABLE, |w| lookup(w).map(|e| e.name));
    }

    #[test]
    fn random_words_never_panic() {
        checks::random_words_never_panic(0x9e37_79b9_7f4a_7c15, 200_000, |w| {
            let _ = decode_word(w);
        });
    }

    fn dec(word: u32) -> Insn {
        match decode_word(word) {
            Decoded::Insn(i) => i,
            Decoded::Illegal => panic!("{word:#010x} is illegal"),
        }
    }

    #[test]
    fn operand_fields() {
        // addiu sp, sp, -32
        let i = dec(0x27bd_ffe0);
        assert_eq!((i.name, i.rt, i.rs, i.imm), ("addiu", 29, 29, -32));
        // ori a0, a1, 0xffff zero-extends.
        assert_eq!(dec(0x34a4_ffff).imm, 0xffff);
        // lui v0, 0x8000
        assert_eq!(dec(0x3c02_8000).imm, 0x8000_0000);
        // beq a0, a1, -4 instructions (offset -16 bytes)
        let i = dec(0x1085_fffc);
        assert_eq!((i.rs, i.rt, i.imm), (4, 5, -16));
        // j with every index bit set
        assert_eq!(dec(0x0bff_ffff).imm, 0x0fff_fffc);
        // sra v0, v1, 31
        let i = dec(0x0003_17c3);
        assert_eq!((i.rd, i.rt, i.sa), (2, 3, 31));
        // ext v0, v1, 4, 8: msbd = 7, lsb = 4
        let i = dec(0x7c62_3900);
        assert_eq!((i.rt, i.rs, i.sa, i.imm), (2, 3, 4, 8));
        // ins v0, v1, 4, 8: msb = 11, lsb = 4
        let i = dec(0x7c62_5904);
        assert_eq!((i.rt, i.rs, i.sa, i.imm), (2, 3, 4, 8));
        // rdhwr v1, $29
        let i = dec(0x7c03_e83b);
        assert_eq!((i.name, i.rt, i.rd), ("rdhwr", 3, 29));
    }

    #[test]
    fn trap_and_break_codes() {
        // teq a0, zero, 7 (GCC's division-by-zero check)
        assert_eq!(dec(0x0080_01f4).imm, 7);
        // break 7 as gas encodes it (code in bits 25:16), and break 0, 7
        assert_eq!(dec(0x0007_000d).imm, 7);
        assert_eq!(dec(0x0000_01cd).imm, 7);
        // break 1, 2: both halves set
        assert_eq!(dec(0x0001_008d).imm, (2 << 10) | 1);
    }

    #[test]
    fn reserved_fields_are_illegal() {
        for w in [
            0x0085_1061u32,          // addu with sa = 1
            0x0080_0008 | (1 << 6),  // jr with hint 1
            0x0080_0008 | (1 << 11), // jr with rd set
            0x0100_0002,             // srl with rs = 8
            0x7c62_f900,             // ext past bit 31 (lsb 4, size 32)
            0x7c62_1904,             // ins with msb < lsb
            0x7c03_203b,             // rdhwr $4
            0x4200_0018,             // eret: privileged
            0xbc80_0000,             // cache: privileged
            0x7000_003f,             // sdbbp
        ] {
            assert_eq!(decode_word(w), Decoded::Illegal, "{w:#010x}");
        }
    }

    #[test]
    fn fr1_forms_are_marked() {
        for (w, fr1) in [
            (0x4620_0040u32, true), // add.d $f1, $f0, $f0: odd double
            (0x4620_0000, false),   // add.d $f0, $f0, $f0
            (0x46a0_0021, true),    // cvt.d.l $f0, $f0: the L format
            (0xd481_0000, true),    // ldc1 $f1, 0($a0)
            (0xd480_0000, false),   // ldc1 $f0, 0($a0)
            (0x4462_0800, true),    // mfhc1 $v0, $f1
            (0x4462_0000, false),   // mfhc1 $v0, $f0
            (0x4c22_0041, true),    // ldxc1 $f1, $v0($at)
            (0x4c22_0081, false),   // ldxc1 $f2, $v0($at)
            (0x4c22_0021, true),    // madd.d $f0, $f1, $f0, $f2: odd fr
            (0x4400_0800, false),   // mfc1 $zero, $f1: a single
        ] {
            assert_eq!(dec(w).fr1, fr1, "{w:#010x}");
        }
    }

    #[test]
    fn words_follow_the_byte_order() {
        let bytes = [0x21, 0x10, 0x85, 0x00];
        assert_eq!(word_from(&bytes, Endian::Little), Some(0x0085_1021));
        assert_eq!(word_from(&bytes, Endian::Big), Some(0x2110_8500));
        assert_eq!(word_from(&bytes[..3], Endian::Little), None);
    }
}
