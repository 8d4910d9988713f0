//! riscv64 decoder: bytes → [`Insn`], driven by encoding tables.
//!
//! Encodings are data, in the spirit of QEMU's decodetree: each [`Encoding`]
//! is a bit pattern drawn as the ISA manual draws it (fields `funct7 rs2 rs1
//! funct3 rd opcode`, or `funct3 bit12 [11:7] [6:2] op` for compressed rows;
//! `0`/`1` fixed, `.` free) with a name, an operand [`Format`] and the
//! [`Opcode`] it means. There is one table for 32-bit instructions
//! ([`RV64_TABLE`]) and one for 16-bit compressed ones ([`RVC_TABLE`]).
//! Compressed instructions decode to the base-ISA opcode they expand to, so
//! `lift` handles each operation once.
//!
//! Overlap rule: when two patterns of one table can match the same word, the
//! earlier one is strictly more specific (its mask contains the other's);
//! the first match wins. A format's operand extractor may still reject a
//! word whose fields are reserved (for example `c.lui` with a zero
//! immediate); such words are illegal, they never fall through to a later
//! entry. The unit tests below check these rules.
//!
//! Talks to: `lift` (consumes [`decode`]), `arch::decode_kit` (the row
//! type, field helpers and table checks), and tests that generate random
//! instructions from [`encodings`].

use crate::arch::decode_kit::{self, Indexed, bits, move_bit, sext};

/// Operand size of loads/stores and atomics, in bytes.
pub type Size = u8;

/// Register-register or register-immediate ALU operation. The same
/// operation serves the 64-bit form (`add`) and the 32-bit `W` form
/// (`addw`); see [`Opcode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AluOp {
    Add,
    Sub,
    Sll,
    Slt,
    Sltu,
    Xor,
    Srl,
    Sra,
    Or,
    And,
    Mul,
    Mulh,
    Mulhsu,
    Mulhu,
    Div,
    Divu,
    Rem,
    Remu,
}

/// Branch condition, comparing `rs1` with `rs2`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cond {
    Eq,
    Ne,
    Lt,
    Ge,
    Ltu,
    Geu,
}

/// The computation of an atomic memory operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AmoOp {
    Swap,
    Add,
    Xor,
    And,
    Or,
    Min,
    Max,
    Minu,
    Maxu,
}

/// Format of a floating-point instruction: `.s` or `.d`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fmt {
    S,
    D,
}

/// A floating-point operation (F and D extensions).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FpOpc {
    Add,
    Sub,
    Mul,
    Div,
    Sqrt,
    Sgnj,
    Sgnjn,
    Sgnjx,
    Min,
    Max,
    Eq,
    Lt,
    Le,
    Class,
    /// `fmv.x.w` / `fmv.x.d`: raw bits to an integer register.
    MvToX,
    /// `fmv.w.x` / `fmv.d.x`: raw bits from an integer register.
    MvFromX,
    /// `fcvt.{w,wu,l,lu}.fmt`.
    CvtToInt {
        wide: bool,
        signed: bool,
    },
    /// `fcvt.fmt.{w,wu,l,lu}`.
    CvtFromInt {
        wide: bool,
        signed: bool,
    },
    /// `fcvt.s.d` (format `S`, the result) and `fcvt.d.s` (format `D`).
    CvtFmt,
    /// `rs1 * rs2 + rs3`.
    MAdd,
    /// `rs1 * rs2 - rs3`.
    MSub,
    /// `-(rs1 * rs2) + rs3`.
    NMSub,
    /// `-(rs1 * rs2) - rs3`.
    NMAdd,
}

/// Effect of a CSR instruction on the CSR: write, set bits, clear bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CsrOp {
    Rw,
    Rs,
    Rc,
}

/// `fflags`: accrued exception flags.
pub const CSR_FFLAGS: u16 = 0x001;
/// `frm`: dynamic rounding mode.
pub const CSR_FRM: u16 = 0x002;
/// `fcsr`: `frm` and `fflags` together.
pub const CSR_FCSR: u16 = 0x003;

/// The `rm` field value that selects the dynamic rounding mode (`frm`).
pub const RM_DYN: u8 = 7;

/// What an instruction does, independent of its encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Opcode {
    Lui,
    Auipc,
    Jal,
    Jalr,
    Branch(Cond),
    Load {
        size: Size,
        signed: bool,
    },
    Store {
        size: Size,
    },
    /// `op rd, rs1, imm`.
    OpImm(AluOp),
    /// `opw rd, rs1, imm`: 32-bit operation, result sign-extended.
    OpImmW(AluOp),
    /// `op rd, rs1, rs2`.
    Op(AluOp),
    /// `opw rd, rs1, rs2`: 32-bit operation, result sign-extended.
    OpW(AluOp),
    Lr(Size),
    Sc(Size),
    Amo(AmoOp, Size),
    Fence,
    FenceI,
    Ecall,
    Ebreak,
    /// A CSR read without a write (`csrrs rd, csr, x0` and kin); `imm`
    /// holds the CSR number, which is one of the [`CSR_CYCLE`] family.
    CsrRead,
    /// Access to a floating-point CSR ([`CSR_FFLAGS`], [`CSR_FRM`],
    /// [`CSR_FCSR`], in `imm`); with `uimm` the source is the 5-bit
    /// immediate in `rs1`, else register `rs1`.
    CsrFp {
        op: CsrOp,
        uimm: bool,
    },
    /// `flw`/`fld`: load `size` bytes into `f{rd}`.
    FLoad {
        size: Size,
    },
    /// `fsw`/`fsd`: store the low `size` bytes of `f{rs2}`.
    FStore {
        size: Size,
    },
    /// A floating-point computation; `rm` holds the rounding-mode field
    /// for those that round.
    Fp(FpOpc, Fmt),
}

/// `cycle`: instructions retired (Bohr has no notion of cycles).
pub const CSR_CYCLE: u16 = 0xc00;
/// `time`: the virtual clock at 10 MHz.
pub const CSR_TIME: u16 = 0xc01;
/// `instret`: instructions retired.
pub const CSR_INSTRET: u16 = 0xc02;

/// How to pull operands out of an instruction word. Each variant is one
/// operand layout of the ISA manual; compressed variants also fix the
/// implied registers of their expansion (for example `sp` as the base).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// rd, rs1, rs2.
    R,
    /// rd, rs1, imm[11:0].
    I,
    /// rs1, rs2, imm[11:0] split over two fields.
    S,
    /// rs1, rs2, branch offset.
    B,
    /// rd, imm[31:12] (already shifted).
    U,
    /// rd, jump offset.
    J,
    /// rd, rs1, 6-bit shift amount.
    Shamt6,
    /// rd, rs1, 5-bit shift amount.
    Shamt5,
    /// No operands (fence, ecall, ebreak, c.nop, c.ebreak).
    None,
    /// rd, csr; rejects any CSR but the counters and any source but zero.
    CsrRead,
    /// rd, csr, rs1 (or uimm); rejects CSR 0 (only 1–3 reach it).
    CsrFp,
    /// rd, rs1, rs2 and the rounding mode in funct3; rejects the reserved
    /// modes 5 and 6.
    FR,
    /// rd, rs1, rs2, rs3 and the rounding mode (fused multiply-add).
    R4,
    /// c.fldsp: rd (any), base sp, offset scaled by 8.
    CFldsp,
    /// c.addi4spn: rd', nonzero unsigned imm scaled by 4; base sp.
    CAddi4spn,
    /// c.lw: rd', rs1', offset scaled by 4.
    CLw,
    /// c.ld: rd', rs1', offset scaled by 8.
    CLd,
    /// c.sw: rs1', rs2', offset scaled by 4.
    CSw,
    /// c.sd: rs1', rs2', offset scaled by 8.
    CSd,
    /// c.addi: rd = rs1, signed 6-bit imm.
    CAddi,
    /// c.addiw: like c.addi, rd must not be x0.
    CAddiw,
    /// c.li: rd, rs1 = x0, signed 6-bit imm.
    CLi,
    /// c.addi16sp: rd = rs1 = sp, nonzero signed imm scaled by 16.
    CAddi16sp,
    /// c.lui: rd, nonzero signed imm[17:12].
    CLui,
    /// c.srli/c.srai: rd' = rs1', 6-bit shift amount.
    CShift,
    /// c.andi: rd' = rs1', signed 6-bit imm.
    CAndi,
    /// c.sub and kin: rd' = rs1', rs2'.
    CA,
    /// c.j: rd = x0, jump offset.
    CJ,
    /// c.beqz/c.bnez: rs1', rs2 = x0, branch offset.
    CB,
    /// c.slli: rd = rs1, 6-bit shift amount.
    CSlli,
    /// c.lwsp: rd (not x0), base sp, offset scaled by 4.
    CLwsp,
    /// c.ldsp: rd (not x0), base sp, offset scaled by 8.
    CLdsp,
    /// c.jr: rs1 (not x0), rd = x0.
    CJr,
    /// c.mv: rd, rs1 = x0, rs2.
    CMv,
    /// c.jalr: rs1, rd = ra.
    CJalr,
    /// c.add: rd = rs1, rs2.
    CAdd,
    /// c.swsp: rs2, base sp, offset scaled by 4.
    CSwsp,
    /// c.sdsp: rs2, base sp, offset scaled by 8.
    CSdsp,
}

/// One row of an encoding table: the shared decode-table row.
pub type Encoding = decode_kit::Encoding<Format, Opcode>;

impl Encoding {
    /// Instruction length in bytes: 2 for a compressed encoding, 4 for a
    /// base one (the low two bits of every row's pattern are fixed).
    pub const fn insn_len(&self) -> u8 {
        insn_len(self.value as u8)
    }
}

/// A decoded instruction. Unused operands are zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insn {
    pub opcode: Opcode,
    /// Name of the encoding it came from.
    pub name: &'static str,
    /// Length in bytes: 2 or 4.
    pub len: u8,
    pub rd: u8,
    pub rs1: u8,
    pub rs2: u8,
    /// Third source of fused multiply-add.
    pub rs3: u8,
    /// Rounding-mode field of floating-point instructions that round
    /// (0–4, or [`RM_DYN`]).
    pub rm: u8,
    /// Sign-extended immediate, branch/jump offset, shift amount or CSR.
    pub imm: i64,
}

/// Outcome of decoding the bytes at one pc.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decoded {
    Insn(Insn),
    /// No encoding matches, or the match has reserved fields. `len` is the
    /// instruction length implied by its low bits.
    Illegal {
        len: u8,
    },
    /// The instruction is longer than the `available` bytes.
    Truncated {
        available: u8,
    },
}

/// A 32-bit row; its pattern fixes the low bits `11`.
const fn e(name: &'static str, pattern: &str, format: Format, opcode: Opcode) -> Encoding {
    Encoding::new(name, pattern, format, opcode)
}

/// A 16-bit (compressed) row; its pattern fixes low bits other than `11`.
const fn c(name: &'static str, pattern: &str, format: Format, opcode: Opcode) -> Encoding {
    Encoding::new(name, pattern, format, opcode)
}

use AluOp as A;
use Format as F;
use Opcode as O;

/// The 32-bit encodings: RV64I, M, A, F, D, Zifencei, the counter CSR
/// reads and the floating-point CSRs.
pub static RV64_TABLE: &[Encoding] = &[
    e("lui", "....... ..... ..... ... ..... 0110111", F::U, O::Lui),
    e("auipc", "....... ..... ..... ... ..... 0010111", F::U, O::Auipc),
    e("jal", "....... ..... ..... ... ..... 1101111", F::J, O::Jal),
    e("jalr", "....... ..... ..... 000 ..... 1100111", F::I, O::Jalr),
    e("beq", "....... ..... ..... 000 ..... 1100011", F::B, O::Branch(Cond::Eq)),
    e("bne", "....... ..... ..... 001 ..... 1100011", F::B, O::Branch(Cond::Ne)),
    e("blt", "....... ..... ..... 100 ..... 1100011", F::B, O::Branch(Cond::Lt)),
    e("bge", "....... ..... ..... 101 ..... 1100011", F::B, O::Branch(Cond::Ge)),
    e("bltu", "....... ..... ..... 110 ..... 1100011", F::B, O::Branch(Cond::Ltu)),
    e("bgeu", "....... ..... ..... 111 ..... 1100011", F::B, O::Branch(Cond::Geu)),
    e("lb", "....... ..... ..... 000 ..... 0000011", F::I, O::Load { size: 1, signed: true }),
    e("lh", "....... ..... ..... 001 ..... 0000011", F::I, O::Load { size: 2, signed: true }),
    e("lw", "....... ..... ..... 010 ..... 0000011", F::I, O::Load { size: 4, signed: true }),
    e("ld", "....... ..... ..... 011 ..... 0000011", F::I, O::Load { size: 8, signed: true }),
    e("lbu", "....... ..... ..... 100 ..... 0000011", F::I, O::Load { size: 1, signed: false }),
    e("lhu", "....... ..... ..... 101 ..... 0000011", F::I, O::Load { size: 2, signed: false }),
    e("lwu", "....... ..... ..... 110 ..... 0000011", F::I, O::Load { size: 4, signed: false }),
    e("sb", "....... ..... ..... 000 ..... 0100011", F::S, O::Store { size: 1 }),
    e("sh", "....... ..... ..... 001 ..... 0100011", F::S, O::Store { size: 2 }),
    e("sw", "....... ..... ..... 010 ..... 0100011", F::S, O::Store { size: 4 }),
    e("sd", "....... ..... ..... 011 ..... 0100011", F::S, O::Store { size: 8 }),
    e("addi", "....... ..... ..... 000 ..... 0010011", F::I, O::OpImm(A::Add)),
    e("slti", "....... ..... ..... 010 ..... 0010011", F::I, O::OpImm(A::Slt)),
    e("sltiu", "....... ..... ..... 011 ..... 0010011", F::I, O::OpImm(A::Sltu)),
    e("xori", "....... ..... ..... 100 ..... 0010011", F::I, O::OpImm(A::Xor)),
    e("ori", "....... ..... ..... 110 ..... 0010011", F::I, O::OpImm(A::Or)),
    e("andi", "....... ..... ..... 111 ..... 0010011", F::I, O::OpImm(A::And)),
    e("slli", "000000. ..... ..... 001 ..... 0010011", F::Shamt6, O::OpImm(A::Sll)),
    e("srli", "000000. ..... ..... 101 ..... 0010011", F::Shamt6, O::OpImm(A::Srl)),
    e("srai", "010000. ..... ..... 101 ..... 0010011", F::Shamt6, O::OpImm(A::Sra)),
    e("add", "0000000 ..... ..... 000 ..... 0110011", F::R, O::Op(A::Add)),
    e("sub", "0100000 ..... ..... 000 ..... 0110011", F::R, O::Op(A::Sub)),
    e("sll", "0000000 ..... ..... 001 ..... 0110011", F::R, O::Op(A::Sll)),
    e("slt", "0000000 ..... ..... 010 ..... 0110011", F::R, O::Op(A::Slt)),
    e("sltu", "0000000 ..... ..... 011 ..... 0110011", F::R, O::Op(A::Sltu)),
    e("xor", "0000000 ..... ..... 100 ..... 0110011", F::R, O::Op(A::Xor)),
    e("srl", "0000000 ..... ..... 101 ..... 0110011", F::R, O::Op(A::Srl)),
    e("sra", "0100000 ..... ..... 101 ..... 0110011", F::R, O::Op(A::Sra)),
    e("or", "0000000 ..... ..... 110 ..... 0110011", F::R, O::Op(A::Or)),
    e("and", "0000000 ..... ..... 111 ..... 0110011", F::R, O::Op(A::And)),
    e("mul", "0000001 ..... ..... 000 ..... 0110011", F::R, O::Op(A::Mul)),
    e("mulh", "0000001 ..... ..... 001 ..... 0110011", F::R, O::Op(A::Mulh)),
    e("mulhsu", "0000001 ..... ..... 010 ..... 0110011", F::R, O::Op(A::Mulhsu)),
    e("mulhu", "0000001 ..... ..... 011 ..... 0110011", F::R, O::Op(A::Mulhu)),
    e("div", "0000001 ..... ..... 100 ..... 0110011", F::R, O::Op(A::Div)),
    e("divu", "0000001 ..... ..... 101 ..... 0110011", F::R, O::Op(A::Divu)),
    e("rem", "0000001 ..... ..... 110 ..... 0110011", F::R, O::Op(A::Rem)),
    e("remu", "0000001 ..... ..... 111 ..... 0110011", F::R, O::Op(A::Remu)),
    e("addiw", "....... ..... ..... 000 ..... 0011011", F::I, O::OpImmW(A::Add)),
    e("slliw", "0000000 ..... ..... 001 ..... 0011011", F::Shamt5, O::OpImmW(A::Sll)),
    e("srliw", "0000000 ..... ..... 101 ..... 0011011", F::Shamt5, O::OpImmW(A::Srl)),
    e("sraiw", "0100000 ..... ..... 101 ..... 0011011", F::Shamt5, O::OpImmW(A::Sra)),
    e("addw", "0000000 ..... ..... 000 ..... 0111011", F::R, O::OpW(A::Add)),
    e("subw", "0100000 ..... ..... 000 ..... 0111011", F::R, O::OpW(A::Sub)),
    e("sllw", "0000000 ..... ..... 001 ..... 0111011", F::R, O::OpW(A::Sll)),
    e("srlw", "0000000 ..... ..... 101 ..... 0111011", F::R, O::OpW(A::Srl)),
    e("sraw", "0100000 ..... ..... 101 ..... 0111011", F::R, O::OpW(A::Sra)),
    e("mulw", "0000001 ..... ..... 000 ..... 0111011", F::R, O::OpW(A::Mul)),
    e("divw", "0000001 ..... ..... 100 ..... 0111011", F::R, O::OpW(A::Div)),
    e("divuw", "0000001 ..... ..... 101 ..... 0111011", F::R, O::OpW(A::Divu)),
    e("remw", "0000001 ..... ..... 110 ..... 0111011", F::R, O::OpW(A::Rem)),
    e("remuw", "0000001 ..... ..... 111 ..... 0111011", F::R, O::OpW(A::Remu)),
    // The fields of fence other than funct3 are hints or reserved for
    // future orderings; all of them are a no-op on one in-order hart, as is
    // fence.tso and pause.
    e("fence", "....... ..... ..... 000 ..... 0001111", F::None, O::Fence),
    e("fence.i", "....... ..... ..... 001 ..... 0001111", F::None, O::FenceI),
    e("ecall", "0000000 00000 00000 000 00000 1110011", F::None, O::Ecall),
    e("ebreak", "0000000 00001 00000 000 00000 1110011", F::None, O::Ebreak),
    // The floating-point CSRs 1-3 (fflags, frm, fcsr): any access. Listed
    // before the counter reads, whose patterns contain these.
    e(
        "csrrw",
        "0000000 000.. ..... 001 ..... 1110011",
        F::CsrFp,
        O::CsrFp { op: CsrOp::Rw, uimm: false },
    ),
    e(
        "csrrs",
        "0000000 000.. ..... 010 ..... 1110011",
        F::CsrFp,
        O::CsrFp { op: CsrOp::Rs, uimm: false },
    ),
    e(
        "csrrc",
        "0000000 000.. ..... 011 ..... 1110011",
        F::CsrFp,
        O::CsrFp { op: CsrOp::Rc, uimm: false },
    ),
    e(
        "csrrwi",
        "0000000 000.. ..... 101 ..... 1110011",
        F::CsrFp,
        O::CsrFp { op: CsrOp::Rw, uimm: true },
    ),
    e(
        "csrrsi",
        "0000000 000.. ..... 110 ..... 1110011",
        F::CsrFp,
        O::CsrFp { op: CsrOp::Rs, uimm: true },
    ),
    e(
        "csrrci",
        "0000000 000.. ..... 111 ..... 1110011",
        F::CsrFp,
        O::CsrFp { op: CsrOp::Rc, uimm: true },
    ),
    // Every CSR instruction whose source is x0 / a zero immediate is a pure
    // read; the extractor admits only those and only the user counters.
    e("csrrs", "....... ..... ..... 010 ..... 1110011", F::CsrRead, O::CsrRead),
    e("csrrc", "....... ..... ..... 011 ..... 1110011", F::CsrRead, O::CsrRead),
    e("csrrsi", "....... ..... ..... 110 ..... 1110011", F::CsrRead, O::CsrRead),
    e("csrrci", "....... ..... ..... 111 ..... 1110011", F::CsrRead, O::CsrRead),
    e("lr.w", "00010.. 00000 ..... 010 ..... 0101111", F::R, O::Lr(4)),
    e("sc.w", "00011.. ..... ..... 010 ..... 0101111", F::R, O::Sc(4)),
    e("amoswap.w", "00001.. ..... ..... 010 ..... 0101111", F::R, O::Amo(AmoOp::Swap, 4)),
    e("amoadd.w", "00000.. ..... ..... 010 ..... 0101111", F::R, O::Amo(AmoOp::Add, 4)),
    e("amoxor.w", "00100.. ..... ..... 010 ..... 0101111", F::R, O::Amo(AmoOp::Xor, 4)),
    e("amoand.w", "01100.. ..... ..... 010 ..... 0101111", F::R, O::Amo(AmoOp::And, 4)),
    e("amoor.w", "01000.. ..... ..... 010 ..... 0101111", F::R, O::Amo(AmoOp::Or, 4)),
    e("amomin.w", "10000.. ..... ..... 010 ..... 0101111", F::R, O::Amo(AmoOp::Min, 4)),
    e("amomax.w", "10100.. ..... ..... 010 ..... 0101111", F::R, O::Amo(AmoOp::Max, 4)),
    e("amominu.w", "11000.. ..... ..... 010 ..... 0101111", F::R, O::Amo(AmoOp::Minu, 4)),
    e("amomaxu.w", "11100.. ..... ..... 010 ..... 0101111", F::R, O::Amo(AmoOp::Maxu, 4)),
    e("lr.d", "00010.. 00000 ..... 011 ..... 0101111", F::R, O::Lr(8)),
    e("sc.d", "00011.. ..... ..... 011 ..... 0101111", F::R, O::Sc(8)),
    e("amoswap.d", "00001.. ..... ..... 011 ..... 0101111", F::R, O::Amo(AmoOp::Swap, 8)),
    e("amoadd.d", "00000.. ..... ..... 011 ..... 0101111", F::R, O::Amo(AmoOp::Add, 8)),
    e("amoxor.d", "00100.. ..... ..... 011 ..... 0101111", F::R, O::Amo(AmoOp::Xor, 8)),
    e("amoand.d", "01100.. ..... ..... 011 ..... 0101111", F::R, O::Amo(AmoOp::And, 8)),
    e("amoor.d", "01000.. ..... ..... 011 ..... 0101111", F::R, O::Amo(AmoOp::Or, 8)),
    e("amomin.d", "10000.. ..... ..... 011 ..... 0101111", F::R, O::Amo(AmoOp::Min, 8)),
    e("amomax.d", "10100.. ..... ..... 011 ..... 0101111", F::R, O::Amo(AmoOp::Max, 8)),
    e("amominu.d", "11000.. ..... ..... 011 ..... 0101111", F::R, O::Amo(AmoOp::Minu, 8)),
    e("amomaxu.d", "11100.. ..... ..... 011 ..... 0101111", F::R, O::Amo(AmoOp::Maxu, 8)),
    // F and D.
    e("flw", "....... ..... ..... 010 ..... 0000111", F::I, O::FLoad { size: 4 }),
    e("fld", "....... ..... ..... 011 ..... 0000111", F::I, O::FLoad { size: 8 }),
    e("fsw", "....... ..... ..... 010 ..... 0100111", F::S, O::FStore { size: 4 }),
    e("fsd", "....... ..... ..... 011 ..... 0100111", F::S, O::FStore { size: 8 }),
    e("fadd.s", "0000000 ..... ..... ... ..... 1010011", F::FR, O::Fp(FpOpc::Add, Fmt::S)),
    e("fsub.s", "0000100 ..... ..... ... ..... 1010011", F::FR, O::Fp(FpOpc::Sub, Fmt::S)),
    e("fmul.s", "0001000 ..... ..... ... ..... 1010011", F::FR, O::Fp(FpOpc::Mul, Fmt::S)),
    e("fdiv.s", "0001100 ..... ..... ... ..... 1010011", F::FR, O::Fp(FpOpc::Div, Fmt::S)),
    e("fsqrt.s", "0101100 00000 ..... ... ..... 1010011", F::FR, O::Fp(FpOpc::Sqrt, Fmt::S)),
    e("fsgnj.s", "0010000 ..... ..... 000 ..... 1010011", F::R, O::Fp(FpOpc::Sgnj, Fmt::S)),
    e("fsgnjn.s", "0010000 ..... ..... 001 ..... 1010011", F::R, O::Fp(FpOpc::Sgnjn, Fmt::S)),
    e("fsgnjx.s", "0010000 ..... ..... 010 ..... 1010011", F::R, O::Fp(FpOpc::Sgnjx, Fmt::S)),
    e("fmin.s", "0010100 ..... ..... 000 ..... 1010011", F::R, O::Fp(FpOpc::Min, Fmt::S)),
    e("fmax.s", "0010100 ..... ..... 001 ..... 1010011", F::R, O::Fp(FpOpc::Max, Fmt::S)),
    e("feq.s", "1010000 ..... ..... 010 ..... 1010011", F::R, O::Fp(FpOpc::Eq, Fmt::S)),
    e("flt.s", "1010000 ..... ..... 001 ..... 1010011", F::R, O::Fp(FpOpc::Lt, Fmt::S)),
    e("fle.s", "1010000 ..... ..... 000 ..... 1010011", F::R, O::Fp(FpOpc::Le, Fmt::S)),
    e(
        "fcvt.w.s",
        "1100000 00000 ..... ... ..... 1010011",
        F::FR,
        O::Fp(FpOpc::CvtToInt { wide: false, signed: true }, Fmt::S),
    ),
    e(
        "fcvt.s.w",
        "1101000 00000 ..... ... ..... 1010011",
        F::FR,
        O::Fp(FpOpc::CvtFromInt { wide: false, signed: true }, Fmt::S),
    ),
    e(
        "fcvt.wu.s",
        "1100000 00001 ..... ... ..... 1010011",
        F::FR,
        O::Fp(FpOpc::CvtToInt { wide: false, signed: false }, Fmt::S),
    ),
    e(
        "fcvt.s.wu",
        "1101000 00001 ..... ... ..... 1010011",
        F::FR,
        O::Fp(FpOpc::CvtFromInt { wide: false, signed: false }, Fmt::S),
    ),
    e(
        "fcvt.l.s",
        "1100000 00010 ..... ... ..... 1010011",
        F::FR,
        O::Fp(FpOpc::CvtToInt { wide: true, signed: true }, Fmt::S),
    ),
    e(
        "fcvt.s.l",
        "1101000 00010 ..... ... ..... 1010011",
        F::FR,
        O::Fp(FpOpc::CvtFromInt { wide: true, signed: true }, Fmt::S),
    ),
    e(
        "fcvt.lu.s",
        "1100000 00011 ..... ... ..... 1010011",
        F::FR,
        O::Fp(FpOpc::CvtToInt { wide: true, signed: false }, Fmt::S),
    ),
    e(
        "fcvt.s.lu",
        "1101000 00011 ..... ... ..... 1010011",
        F::FR,
        O::Fp(FpOpc::CvtFromInt { wide: true, signed: false }, Fmt::S),
    ),
    e("fmv.x.w", "1110000 00000 ..... 000 ..... 1010011", F::R, O::Fp(FpOpc::MvToX, Fmt::S)),
    e("fclass.s", "1110000 00000 ..... 001 ..... 1010011", F::R, O::Fp(FpOpc::Class, Fmt::S)),
    e("fmv.w.x", "1111000 00000 ..... 000 ..... 1010011", F::R, O::Fp(FpOpc::MvFromX, Fmt::S)),
    e("fmadd.s", ".....00 ..... ..... ... ..... 1000011", F::R4, O::Fp(FpOpc::MAdd, Fmt::S)),
    e("fmsub.s", ".....00 ..... ..... ... ..... 1000111", F::R4, O::Fp(FpOpc::MSub, Fmt::S)),
    e("fnmsub.s", ".....00 ..... ..... ... ..... 1001011", F::R4, O::Fp(FpOpc::NMSub, Fmt::S)),
    e("fnmadd.s", ".....00 ..... ..... ... ..... 1001111", F::R4, O::Fp(FpOpc::NMAdd, Fmt::S)),
    e("fadd.d", "0000001 ..... ..... ... ..... 1010011", F::FR, O::Fp(FpOpc::Add, Fmt::D)),
    e("fsub.d", "0000101 ..... ..... ... ..... 1010011", F::FR, O::Fp(FpOpc::Sub, Fmt::D)),
    e("fmul.d", "0001001 ..... ..... ... ..... 1010011", F::FR, O::Fp(FpOpc::Mul, Fmt::D)),
    e("fdiv.d", "0001101 ..... ..... ... ..... 1010011", F::FR, O::Fp(FpOpc::Div, Fmt::D)),
    e("fsqrt.d", "0101101 00000 ..... ... ..... 1010011", F::FR, O::Fp(FpOpc::Sqrt, Fmt::D)),
    e("fsgnj.d", "0010001 ..... ..... 000 ..... 1010011", F::R, O::Fp(FpOpc::Sgnj, Fmt::D)),
    e("fsgnjn.d", "0010001 ..... ..... 001 ..... 1010011", F::R, O::Fp(FpOpc::Sgnjn, Fmt::D)),
    e("fsgnjx.d", "0010001 ..... ..... 010 ..... 1010011", F::R, O::Fp(FpOpc::Sgnjx, Fmt::D)),
    e("fmin.d", "0010101 ..... ..... 000 ..... 1010011", F::R, O::Fp(FpOpc::Min, Fmt::D)),
    e("fmax.d", "0010101 ..... ..... 001 ..... 1010011", F::R, O::Fp(FpOpc::Max, Fmt::D)),
    e("feq.d", "1010001 ..... ..... 010 ..... 1010011", F::R, O::Fp(FpOpc::Eq, Fmt::D)),
    e("flt.d", "1010001 ..... ..... 001 ..... 1010011", F::R, O::Fp(FpOpc::Lt, Fmt::D)),
    e("fle.d", "1010001 ..... ..... 000 ..... 1010011", F::R, O::Fp(FpOpc::Le, Fmt::D)),
    e(
        "fcvt.w.d",
        "1100001 00000 ..... ... ..... 1010011",
        F::FR,
        O::Fp(FpOpc::CvtToInt { wide: false, signed: true }, Fmt::D),
    ),
    e(
        "fcvt.d.w",
        "1101001 00000 ..... ... ..... 1010011",
        F::FR,
        O::Fp(FpOpc::CvtFromInt { wide: false, signed: true }, Fmt::D),
    ),
    e(
        "fcvt.wu.d",
        "1100001 00001 ..... ... ..... 1010011",
        F::FR,
        O::Fp(FpOpc::CvtToInt { wide: false, signed: false }, Fmt::D),
    ),
    e(
        "fcvt.d.wu",
        "1101001 00001 ..... ... ..... 1010011",
        F::FR,
        O::Fp(FpOpc::CvtFromInt { wide: false, signed: false }, Fmt::D),
    ),
    e(
        "fcvt.l.d",
        "1100001 00010 ..... ... ..... 1010011",
        F::FR,
        O::Fp(FpOpc::CvtToInt { wide: true, signed: true }, Fmt::D),
    ),
    e(
        "fcvt.d.l",
        "1101001 00010 ..... ... ..... 1010011",
        F::FR,
        O::Fp(FpOpc::CvtFromInt { wide: true, signed: true }, Fmt::D),
    ),
    e(
        "fcvt.lu.d",
        "1100001 00011 ..... ... ..... 1010011",
        F::FR,
        O::Fp(FpOpc::CvtToInt { wide: true, signed: false }, Fmt::D),
    ),
    e(
        "fcvt.d.lu",
        "1101001 00011 ..... ... ..... 1010011",
        F::FR,
        O::Fp(FpOpc::CvtFromInt { wide: true, signed: false }, Fmt::D),
    ),
    e("fmv.x.d", "1110001 00000 ..... 000 ..... 1010011", F::R, O::Fp(FpOpc::MvToX, Fmt::D)),
    e("fclass.d", "1110001 00000 ..... 001 ..... 1010011", F::R, O::Fp(FpOpc::Class, Fmt::D)),
    e("fmv.d.x", "1111001 00000 ..... 000 ..... 1010011", F::R, O::Fp(FpOpc::MvFromX, Fmt::D)),
    e("fmadd.d", ".....01 ..... ..... ... ..... 1000011", F::R4, O::Fp(FpOpc::MAdd, Fmt::D)),
    e("fmsub.d", ".....01 ..... ..... ... ..... 1000111", F::R4, O::Fp(FpOpc::MSub, Fmt::D)),
    e("fnmsub.d", ".....01 ..... ..... ... ..... 1001011", F::R4, O::Fp(FpOpc::NMSub, Fmt::D)),
    e("fnmadd.d", ".....01 ..... ..... ... ..... 1001111", F::R4, O::Fp(FpOpc::NMAdd, Fmt::D)),
    e("fcvt.s.d", "0100000 00001 ..... ... ..... 1010011", F::FR, O::Fp(FpOpc::CvtFmt, Fmt::S)),
    e("fcvt.d.s", "0100001 00000 ..... ... ..... 1010011", F::FR, O::Fp(FpOpc::CvtFmt, Fmt::D)),
];

/// The 16-bit compressed encodings of RV64 with F and D (RV64 has no
/// c.flw/c.fsw: those encodings are c.ld/c.sd).
///
/// Missing on purpose, so illegal: quadrant 0 funct3 100, and the
/// reserved c.subw-group encodings.
pub static RVC_TABLE: &[Encoding] = &[
    // Quadrant 0.
    c("c.addi4spn", "000 . ..... ..... 00", F::CAddi4spn, O::OpImm(A::Add)),
    c("c.fld", "001 . ..... ..... 00", F::CLd, O::FLoad { size: 8 }),
    c("c.lw", "010 . ..... ..... 00", F::CLw, O::Load { size: 4, signed: true }),
    c("c.ld", "011 . ..... ..... 00", F::CLd, O::Load { size: 8, signed: true }),
    c("c.fsd", "101 . ..... ..... 00", F::CSd, O::FStore { size: 8 }),
    c("c.sw", "110 . ..... ..... 00", F::CSw, O::Store { size: 4 }),
    c("c.sd", "111 . ..... ..... 00", F::CSd, O::Store { size: 8 }),
    // Quadrant 1.
    c("c.nop", "000 0 00000 00000 01", F::None, O::OpImm(A::Add)),
    c("c.addi", "000 . ..... ..... 01", F::CAddi, O::OpImm(A::Add)),
    c("c.addiw", "001 . ..... ..... 01", F::CAddiw, O::OpImmW(A::Add)),
    c("c.li", "010 . ..... ..... 01", F::CLi, O::OpImm(A::Add)),
    c("c.addi16sp", "011 . 00010 ..... 01", F::CAddi16sp, O::OpImm(A::Add)),
    c("c.lui", "011 . ..... ..... 01", F::CLui, O::Lui),
    c("c.srli", "100 . 00... ..... 01", F::CShift, O::OpImm(A::Srl)),
    c("c.srai", "100 . 01... ..... 01", F::CShift, O::OpImm(A::Sra)),
    c("c.andi", "100 . 10... ..... 01", F::CAndi, O::OpImm(A::And)),
    c("c.sub", "100 0 11... 00... 01", F::CA, O::Op(A::Sub)),
    c("c.xor", "100 0 11... 01... 01", F::CA, O::Op(A::Xor)),
    c("c.or", "100 0 11... 10... 01", F::CA, O::Op(A::Or)),
    c("c.and", "100 0 11... 11... 01", F::CA, O::Op(A::And)),
    c("c.subw", "100 1 11... 00... 01", F::CA, O::OpW(A::Sub)),
    c("c.addw", "100 1 11... 01... 01", F::CA, O::OpW(A::Add)),
    c("c.j", "101 . ..... ..... 01", F::CJ, O::Jal),
    c("c.beqz", "110 . ..... ..... 01", F::CB, O::Branch(Cond::Eq)),
    c("c.bnez", "111 . ..... ..... 01", F::CB, O::Branch(Cond::Ne)),
    // Quadrant 2.
    c("c.slli", "000 . ..... ..... 10", F::CSlli, O::OpImm(A::Sll)),
    c("c.fldsp", "001 . ..... ..... 10", F::CFldsp, O::FLoad { size: 8 }),
    c("c.lwsp", "010 . ..... ..... 10", F::CLwsp, O::Load { size: 4, signed: true }),
    c("c.ldsp", "011 . ..... ..... 10", F::CLdsp, O::Load { size: 8, signed: true }),
    c("c.jr", "100 0 ..... 00000 10", F::CJr, O::Jalr),
    c("c.mv", "100 0 ..... ..... 10", F::CMv, O::Op(A::Add)),
    c("c.ebreak", "100 1 00000 00000 10", F::None, O::Ebreak),
    c("c.jalr", "100 1 ..... 00000 10", F::CJalr, O::Jalr),
    c("c.add", "100 1 ..... ..... 10", F::CAdd, O::Op(A::Add)),
    c("c.fsdsp", "101 . ..... ..... 10", F::CSdsp, O::FStore { size: 8 }),
    c("c.swsp", "110 . ..... ..... 10", F::CSwsp, O::Store { size: 4 }),
    c("c.sdsp", "111 . ..... ..... 10", F::CSdsp, O::Store { size: 8 }),
];

/// Every encoding Bohr decodes, 32-bit ones first. Tests that generate
/// random instructions draw from this list: `value | (random & !mask)`.
pub fn encodings() -> impl Iterator<Item = &'static Encoding> {
    RV64_TABLE.iter().chain(RVC_TABLE.iter())
}

/// Length in bytes of the instruction whose first byte is `first`. Longer
/// (48-bit and up) encodings are not supported and count as 4 bytes, which
/// is as far as the decoder looks.
pub const fn insn_len(first: u8) -> u8 {
    if first & 3 == 3 { 4 } else { 2 }
}

/// The table entry matching `word` (a 16-bit word for `len == 2`), without
/// checking reserved fields.
pub fn lookup(word: u32, len: u8) -> Option<&'static Encoding> {
    static RVC: Indexed<Encoding> = Indexed::new(RVC_TABLE);
    static RV64: Indexed<Encoding> = Indexed::new(RV64_TABLE);
    if len == 2 { RVC.lookup(word) } else { RV64.lookup(word) }
}

/// Decode the instruction at the start of `bytes` (little-endian).
pub fn decode(bytes: &[u8]) -> Decoded {
    let Some(&first) = bytes.first() else {
        return Decoded::Truncated { available: 0 };
    };
    let len = insn_len(first);
    if bytes.len() < len as usize {
        return Decoded::Truncated { available: bytes.len() as u8 };
    }
    let word = bytes[..len as usize].iter().rev().fold(0u32, |w, &b| (w << 8) | b as u32);
    decode_word(word, len)
}

/// Decode a `len`-byte instruction word.
pub fn decode_word(word: u32, len: u8) -> Decoded {
    lookup(word, len)
        .and_then(|enc| {
            let ops = extract(enc.format, word)?;
            Some(Decoded::Insn(Insn {
                opcode: enc.opcode,
                name: enc.name,
                len,
                rd: ops.rd,
                rs1: ops.rs1,
                rs2: ops.rs2,
                rs3: ops.rs3,
                rm: ops.rm,
                imm: ops.imm,
            }))
        })
        .unwrap_or(Decoded::Illegal { len })
}

/// Operands pulled out of a word.
#[derive(Default)]
struct Operands {
    rd: u8,
    rs1: u8,
    rs2: u8,
    rs3: u8,
    rm: u8,
    imm: i64,
}

const SP: u8 = 2;
const RA: u8 = 1;

/// Extract the operands of `format` from `w`, or `None` if the word uses a
/// reserved field value.
fn extract(format: Format, w: u32) -> Option<Operands> {
    let rd = bits(w, 11, 7) as u8;
    let rs1 = bits(w, 19, 15) as u8;
    let rs2 = bits(w, 24, 20) as u8;
    // Compressed register fields.
    let c_rd = bits(w, 11, 7) as u8; // also rs1 of CI/CR
    let c_rs2 = bits(w, 6, 2) as u8;
    let c_rs1p = 8 + bits(w, 9, 7) as u8; // rs1' / rd'
    let c_rs2p = 8 + bits(w, 4, 2) as u8; // rs2' / rd'
    // The 6-bit immediate of CI formats: imm[5] at 12, imm[4:0] at 6:2.
    let ci6 = move_bit(w, 12, 5) | bits(w, 6, 2);
    let o = |rd, rs1, rs2, imm| Some(Operands { rd, rs1, rs2, imm, ..Default::default() });
    let rm = bits(w, 14, 12) as u8;
    match format {
        F::R => o(rd, rs1, rs2, 0),
        F::I => o(rd, rs1, 0, sext(bits(w, 31, 20), 12)),
        F::S => o(0, rs1, rs2, sext((bits(w, 31, 25) << 5) | bits(w, 11, 7), 12)),
        F::B => {
            let imm = move_bit(w, 31, 12)
                | move_bit(w, 7, 11)
                | (bits(w, 30, 25) << 5)
                | (bits(w, 11, 8) << 1);
            o(0, rs1, rs2, sext(imm, 13))
        }
        F::U => o(rd, 0, 0, (w & 0xffff_f000) as i32 as i64),
        F::J => {
            let imm = move_bit(w, 31, 20)
                | (bits(w, 19, 12) << 12)
                | move_bit(w, 20, 11)
                | (bits(w, 30, 21) << 1);
            o(rd, 0, 0, sext(imm, 21))
        }
        F::Shamt6 => o(rd, rs1, 0, bits(w, 25, 20) as i64),
        F::Shamt5 => o(rd, rs1, 0, bits(w, 24, 20) as i64),
        F::None => o(0, 0, 0, 0),
        F::CsrRead => {
            let csr = bits(w, 31, 20) as u16;
            let counter = matches!(csr, CSR_CYCLE | CSR_TIME | CSR_INSTRET);
            // rs1 (or uimm) = 0 means "no write" for every CSR form.
            (counter && rs1 == 0).then(|| Operands { rd, imm: csr as i64, ..Default::default() })
        }
        F::CsrFp => {
            let csr = bits(w, 31, 20) as u16;
            (csr != 0).then(|| Operands { rd, rs1, imm: csr as i64, ..Default::default() })
        }
        F::FR => {
            (rm != 5 && rm != 6).then_some(Operands { rd, rs1, rs2, rm, ..Default::default() })
        }
        F::R4 => (rm != 5 && rm != 6).then_some(Operands {
            rd,
            rs1,
            rs2,
            rs3: bits(w, 31, 27) as u8,
            rm,
            imm: 0,
        }),
        F::CFldsp => {
            let imm = move_bit(w, 12, 5) | (bits(w, 6, 5) << 3) | (bits(w, 4, 2) << 6);
            o(c_rd, SP, 0, imm as i64)
        }
        F::CAddi4spn => {
            let imm = (bits(w, 12, 11) << 4)
                | (bits(w, 10, 7) << 6)
                | move_bit(w, 6, 2)
                | move_bit(w, 5, 3);
            (imm != 0).then_some(Operands {
                rd: c_rs2p,
                rs1: SP,
                imm: imm as i64,
                ..Default::default()
            })
        }
        F::CLw => {
            let imm = (bits(w, 12, 10) << 3) | move_bit(w, 6, 2) | move_bit(w, 5, 6);
            o(c_rs2p, c_rs1p, 0, imm as i64)
        }
        F::CLd => {
            let imm = (bits(w, 12, 10) << 3) | (bits(w, 6, 5) << 6);
            o(c_rs2p, c_rs1p, 0, imm as i64)
        }
        F::CSw => {
            let imm = (bits(w, 12, 10) << 3) | move_bit(w, 6, 2) | move_bit(w, 5, 6);
            o(0, c_rs1p, c_rs2p, imm as i64)
        }
        F::CSd => {
            let imm = (bits(w, 12, 10) << 3) | (bits(w, 6, 5) << 6);
            o(0, c_rs1p, c_rs2p, imm as i64)
        }
        // rd = x0 is a HINT (executes as a no-op), not reserved.
        F::CAddi => o(c_rd, c_rd, 0, sext(ci6, 6)),
        F::CAddiw => (c_rd != 0).then(|| Operands {
            rd: c_rd,
            rs1: c_rd,
            imm: sext(ci6, 6),
            ..Default::default()
        }),
        F::CLi => o(c_rd, 0, 0, sext(ci6, 6)),
        F::CAddi16sp => {
            let imm = move_bit(w, 12, 9)
                | move_bit(w, 6, 4)
                | move_bit(w, 5, 6)
                | (bits(w, 4, 3) << 7)
                | move_bit(w, 2, 5);
            (imm != 0).then(|| Operands {
                rd: SP,
                rs1: SP,
                imm: sext(imm, 10),
                ..Default::default()
            })
        }
        F::CLui => (ci6 != 0).then(|| Operands {
            rd: c_rd,
            imm: sext(ci6 << 12, 18),
            ..Default::default()
        }),
        // On RV64 shamt[5] is legal; shamt = 0 is a HINT.
        F::CShift => o(c_rs1p, c_rs1p, 0, ci6 as i64),
        F::CAndi => o(c_rs1p, c_rs1p, 0, sext(ci6, 6)),
        F::CA => o(c_rs1p, c_rs1p, c_rs2p, 0),
        F::CJ => {
            let imm = move_bit(w, 12, 11)
                | move_bit(w, 11, 4)
                | (bits(w, 10, 9) << 8)
                | move_bit(w, 8, 10)
                | move_bit(w, 7, 6)
                | move_bit(w, 6, 7)
                | (bits(w, 5, 3) << 1)
                | move_bit(w, 2, 5);
            o(0, 0, 0, sext(imm, 12))
        }
        F::CB => {
            let imm = move_bit(w, 12, 8)
                | (bits(w, 11, 10) << 3)
                | (bits(w, 6, 5) << 6)
                | (bits(w, 4, 3) << 1)
                | move_bit(w, 2, 5);
            o(0, c_rs1p, 0, sext(imm, 9))
        }
        F::CSlli => o(c_rd, c_rd, 0, ci6 as i64),
        F::CLwsp => {
            let imm = move_bit(w, 12, 5) | (bits(w, 6, 4) << 2) | (bits(w, 3, 2) << 6);
            (c_rd != 0).then_some(Operands {
                rd: c_rd,
                rs1: SP,
                imm: imm as i64,
                ..Default::default()
            })
        }
        F::CLdsp => {
            let imm = move_bit(w, 12, 5) | (bits(w, 6, 5) << 3) | (bits(w, 4, 2) << 6);
            (c_rd != 0).then_some(Operands {
                rd: c_rd,
                rs1: SP,
                imm: imm as i64,
                ..Default::default()
            })
        }
        F::CJr => (c_rd != 0).then_some(Operands { rs1: c_rd, ..Default::default() }),
        F::CMv => o(c_rd, 0, c_rs2, 0),
        F::CJalr => o(RA, c_rd, 0, 0),
        F::CAdd => o(c_rd, c_rd, c_rs2, 0),
        F::CSwsp => {
            let imm = (bits(w, 12, 9) << 2) | (bits(w, 8, 7) << 6);
            o(0, SP, c_rs2, imm as i64)
        }
        F::CSdsp => {
            let imm = (bits(w, 12, 10) << 3) | (bits(w, 9, 7) << 6);
            o(0, SP, c_rs2, imm as i64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::arch::decode_kit::checks;

    fn tables() -> [(&'static [Encoding], u8); 2] {
        [(RV64_TABLE, 4), (RVC_TABLE, 2)]
    }

    #[test]
    fn the_index_finds_what_a_walk_of_the_table_finds() {
        checks::index_agrees(&decode_kit::Indexed::new(RVC_TABLE));
        checks::index_agrees(&decode_kit::Indexed::new(RV64_TABLE));
    }

    /// A `len`-byte word: a 16-bit one keeps only its low half.
    fn truncate(w: u32, len: u8) -> u32 {
        if len == 2 { w & 0xffff } else { w }
    }

    #[test]
    fn table_entries_are_well_formed() {
        for (table, len) in tables() {
            // Every mask fixes the length bits. Names may repeat: the
            // FP-CSR rows and the counter reads share theirs.
            checks::values_inside_masks(table, 3);
            for enc in table {
                assert_eq!(enc.insn_len(), len, "{}: length bits", enc.name);
                if len == 2 {
                    assert_eq!(enc.mask >> 16, 0, "{}", enc.name);
                }
            }
        }
    }

    #[test]
    fn each_match_value_looks_up_to_its_own_entry_unless_narrowed() {
        for (table, len) in tables() {
            for (i, enc) in table.iter().enumerate() {
                let found = lookup(enc.value, len).unwrap();
                if found.name != enc.name {
                    // `c.addi`'s value 0x0001 is `c.nop`, which is listed first.
                    let fi = table.iter().position(|x| x.name == found.name).unwrap();
                    assert!(fi < i && found.mask & enc.mask == enc.mask, "{}", enc.name);
                }
            }
        }
    }

    #[test]
    fn every_entry_is_reachable() {
        for (table, len) in tables() {
            // Counter reads need one of three CSR numbers: seed one.
            let seed = |enc: &Encoding| {
                let fill = if enc.format == F::CsrRead { (CSR_TIME as u32) << 20 } else { 0 };
                truncate(enc.value | (fill & !enc.mask), len)
            };
            let name_of = |w| match decode_word(truncate(w, len), len) {
                Decoded::Insn(i) => Some(i.name),
                _ => None,
            };
            checks::every_row_reachable(table, (0, 0), seed, name_of);
        }
    }

    #[test]
    fn overlapping_entries_are_ordered_most_specific_first() {
        for (table, _) in tables() {
            checks::ordered_most_specific_first(table);
        }
    }

    #[test]
    fn random_fills_of_each_pattern_decode_to_it_or_a_narrower_entry() {
        for (table, len) in tables() {
            checks::fills_claimed_by_row_or_narrower(table, |w| {
                lookup(truncate(w, len), len).map(|e| e.name)
            });
        }
    }

    fn dec(word: u32, len: u8) -> Insn {
        match decode_word(word, len) {
            Decoded::Insn(i) => i,
            other => panic!("{word:#x}: {other:?}"),
        }
    }

    #[test]
    fn immediates_of_base_formats() {
        // addi a0, a1, -1
        let i = dec(0xfff5_8513, 4);
        assert_eq!((i.rd, i.rs1, i.imm), (10, 11, -1));
        // sd a1, -8(sp)
        let i = dec(0xfeb1_3c23, 4);
        assert_eq!((i.rs1, i.rs2, i.imm), (2, 11, -8));
        // beq a0, a1, -4096 and +4094
        assert_eq!(dec(0x80b5_0063, 4).imm, -4096);
        assert_eq!(dec(0x7eb5_0fe3, 4).imm, 4094);
        // jal ra, -1 MiB and +1 MiB - 2
        assert_eq!(dec(0x8000_00ef, 4).imm, -(1 << 20));
        assert_eq!(dec(0x7fff_f0ef, 4).imm, (1 << 20) - 2);
        // lui a0, 0x80000 sign-extends
        assert_eq!(dec(0x8000_0537, 4).imm, -(1i64 << 31));
        // srai a0, a0, 63
        assert_eq!(dec(0x43f5_5513, 4).imm, 63);
    }

    #[test]
    fn immediates_of_compressed_formats() {
        // c.addi4spn a0, sp, 1020
        let i = dec(0x1ff8, 2);
        assert_eq!((i.rd, i.rs1, i.imm), (14, 2, 1020));
        // c.lw a0, 124(a1) ; c.ld a0, 248(a1)
        assert_eq!(dec(0x5de8, 2).imm, 124);
        assert_eq!(dec(0x7de8, 2).imm, 248);
        // c.addi16sp sp, -512 and 496
        assert_eq!(dec(0x7101, 2).imm, -512);
        assert_eq!(dec(0x617d, 2).imm, 496);
        // c.lui a0, 0xfffe0 (imm -0x20000)
        assert_eq!(dec(0x7501, 2).imm, -0x20000);
        // c.j -2048 and 2046
        assert_eq!(dec(0xb001, 2).imm, -2048);
        assert_eq!(dec(0xaffd, 2).imm, 2046);
        // c.beqz a0, -256 and 254
        assert_eq!(dec(0xd101, 2).imm, -256);
        assert_eq!(dec(0xcd7d, 2).imm, 254);
        // c.lwsp a0, 252(sp) ; c.ldsp a0, 504(sp)
        assert_eq!(dec(0x557e, 2).imm, 252);
        assert_eq!(dec(0x757e, 2).imm, 504);
        // c.swsp a0, 252(sp) ; c.sdsp a0, 504(sp)
        assert_eq!(dec(0xdfaa, 2).imm, 252);
        assert_eq!(dec(0xffaa, 2).imm, 504);
        // c.srai a0, 63
        let i = dec(0x957d, 2);
        assert_eq!((i.rd, i.rs1, i.imm), (10, 10, 63));
    }

    #[test]
    fn reserved_compressed_encodings_are_illegal() {
        for w in [
            0x0000u32, // c.addi4spn with imm 0 (and the all-zero halfword)
            0x0010,    // c.addi4spn a2, sp, 0
            0x6101,    // c.addi16sp with imm 0
            0x6501,    // c.lui a0, 0
            0x2001,    // c.addiw x0
            0x4002,    // c.lwsp x0
            0x6002,    // c.ldsp x0
            0x8002,    // c.jr x0
            0x8000,    // quadrant 0, funct3 100
            0x9c41,    // reserved c.subw group
            0x9c61,
        ] {
            assert_eq!(decode_word(w, 2), Decoded::Illegal { len: 2 }, "{w:#06x}");
        }
    }

    #[test]
    fn compressed_hints_are_legal() {
        // c.addi x0, 1 ; c.li x0, 1 ; c.lui x0, 1 ; c.slli x0, 1 ; c.mv x0, a0 ; c.add x0, a0
        for w in [0x0005u32, 0x4005, 0x6005, 0x0006, 0x802a, 0x902a] {
            assert!(matches!(decode_word(w, 2), Decoded::Insn(_)), "{w:#06x}");
        }
    }

    #[test]
    fn csr_reads_only() {
        assert_eq!(dec(0xc000_2573, 4).imm, 0xc00); // rdcycle a0
        assert_eq!(dec(0xc010_2573, 4).imm, 0xc01); // rdtime a0
        assert_eq!(dec(0xc020_2573, 4).imm, 0xc02); // rdinstret a0
        for w in [
            0xc005_a573u32, // csrrs a0, cycle, a1 (a write)
            0xc000_1573,    // csrrw a0, cycle, x0
            0x0000_2573,    // csrrs a0, ustatus, x0
            0xc030_2573,    // csrrs a0, hpmcounter3, x0
        ] {
            assert_eq!(decode_word(w, 4), Decoded::Illegal { len: 4 }, "{w:#010x}");
        }
    }

    #[test]
    fn truncated_input() {
        assert_eq!(decode(&[]), Decoded::Truncated { available: 0 });
        assert_eq!(decode(&[0x13]), Decoded::Truncated { available: 1 });
        assert_eq!(decode(&[0x13, 0, 0]), Decoded::Truncated { available: 3 });
        assert_eq!(decode(&[0x05]), Decoded::Truncated { available: 1 });
        assert!(matches!(decode(&[0x05, 0x05]), Decoded::Insn(_)));
    }
}
