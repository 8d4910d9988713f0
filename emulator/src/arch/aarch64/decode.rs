//! aarch64 decoder: a 32-bit word → [`Insn`], driven by one encoding table.
//!
//! Encodings are data, in the spirit of QEMU's decodetree: each
//! [`Encoding`] is a bit pattern written as the Arm ARM draws the
//! encoding (see `arch::decode_kit`) with a name, an operand
//! [`Format`] and the [`Opcode`] it means. Assembler aliases (`mov`, `cmp`,
//! `lsl`, `sxtw`, `cset`, ...) are not entries of their own: they are the
//! same encodings, and the lifter recognises the cheap special cases.
//! Where the meaning of a field combination depends on another field (the
//! `size`/`opc` pairs of loads and stores), each combination is its own
//! entry; where a field is a plain parameter (a register width, an access
//! size of an atomic), the format extracts it.
//!
//! Overlap rule: when two patterns can match the same word, the earlier one
//! is strictly more specific (its mask contains the other's); the first
//! match wins. A format's extractor may still reject a word whose fields
//! are reserved (for example a 32-bit logical immediate with N = 1); such
//! words are illegal and never fall through to a later entry. The unit
//! tests below check these rules.
//!
//! Talks to: `lift` (consumes [`decode`]), and tests that generate random
//! instructions from [`encodings`].

use crate::arch::decode_kit::{self, Indexed, bits, sext};

/// A logical operation (immediate and shifted-register forms).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LogicOp {
    And,
    Orr,
    Eor,
    /// `ands`: `and` that sets N and Z and clears C and V.
    Ands,
}

/// A move-wide operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MovOp {
    /// `movn`: the inverted shifted immediate.
    N,
    /// `movz`: the shifted immediate.
    Z,
    /// `movk`: insert 16 bits, keep the rest.
    K,
}

/// A bitfield move.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BfOp {
    /// `sbfm`: sign-extending (`asr`, `sbfx`, `sbfiz`, `sxtb`, ...).
    Signed,
    /// `bfm`: insert into the destination (`bfi`, `bfxil`).
    Insert,
    /// `ubfm`: zero-extending (`lsl`, `lsr`, `ubfx`, `ubfiz`, `uxtb`, ...).
    Unsigned,
}

/// A conditional select.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CselOp {
    Csel,
    Csinc,
    Csinv,
    Csneg,
}

/// A shift of the second operand or a variable shift.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ShiftKind {
    Lsl,
    Lsr,
    Asr,
    Ror,
}

impl ShiftKind {
    /// The `shift` field value (bits 23:22, or the variable-shift opcode).
    pub const fn from_bits(b: u32) -> ShiftKind {
        match b & 3 {
            0 => ShiftKind::Lsl,
            1 => ShiftKind::Lsr,
            2 => ShiftKind::Asr,
            _ => ShiftKind::Ror,
        }
    }
}

/// A one-source data-processing operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Rbit,
    /// Reverse the bytes of each halfword.
    Rev16,
    /// Reverse the bytes of each word (`rev` for W registers).
    Rev32,
    /// Reverse all eight bytes (X registers only).
    Rev64,
    Clz,
    Cls,
}

/// The read-modify-write of an LSE atomic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AtomicOp {
    Add,
    /// Bit clear: `old & !rs`.
    Clr,
    Eor,
    Set,
    Smax,
    Smin,
    Umax,
    Umin,
    Swp,
}

/// What a load/store does with its register, and how wide the access is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MemKind {
    Store,
    /// Zero-extending load.
    Load,
    /// Sign-extending load into an X register.
    LoadSigned64,
    /// Sign-extending load into a W register (zero above bit 31).
    LoadSigned32,
    /// `prfm`: a hint; no access, no fault.
    Prefetch,
}

/// A load/store operation: kind and access size as log2 of bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemOp {
    pub kind: MemKind,
    pub size: u8,
}

/// How a load/store forms its address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AddrMode {
    /// `[xn, #imm]` (scaled unsigned, unscaled signed, unprivileged, and the
    /// non-temporal or signed offset of pairs).
    Offset,
    /// `[xn], #imm`: access at xn, then xn += imm.
    PostIndex,
    /// `[xn, #imm]!`: xn += imm, then access at xn.
    PreIndex,
    /// `[xn, wm/xm, extend #amount]`.
    Register,
}

/// What a load/store pair does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PairKind {
    /// `stp`, `stnp`; `size` 2 (W) or 3 (X).
    Store,
    /// `ldp`, `ldnp`.
    Load,
    /// `ldpsw`: two sign-extended words.
    LoadSignedWord,
}

/// A system register that `mrs`/`msr` may name, with its
/// `op0:op1:CRn:CRm:op2` key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SysReg {
    TpidrEl0,
    Nzcv,
    Fpcr,
    Fpsr,
    CtrEl0,
    DczidEl0,
    CntfrqEl0,
    CntvctEl0,
}

/// `(register, key, writable at EL0)`. Keys are bits 19:5 of the
/// instruction: `o0:op1:CRn:CRm:op2` with op0 = 2 + o0.
pub static SYSREGS: &[(SysReg, u32, bool)] = &[
    (SysReg::TpidrEl0, sysreg_key(3, 3, 13, 0, 2), true),
    (SysReg::Nzcv, sysreg_key(3, 3, 4, 2, 0), true),
    (SysReg::Fpcr, sysreg_key(3, 3, 4, 4, 0), true),
    (SysReg::Fpsr, sysreg_key(3, 3, 4, 4, 1), true),
    (SysReg::CtrEl0, sysreg_key(3, 3, 0, 0, 1), false),
    (SysReg::DczidEl0, sysreg_key(3, 3, 0, 0, 7), false),
    (SysReg::CntfrqEl0, sysreg_key(3, 3, 14, 0, 0), false),
    (SysReg::CntvctEl0, sysreg_key(3, 3, 14, 0, 2), false),
];

/// The `sys` cache-maintenance operations allowed at EL0 (`op1:CRn:CRm:op2`,
/// bits 18:5): `dc cvac`, `dc cvau`, `dc civac`, `ic ivau`. On a coherent
/// single core they are no-ops. `dc zva` is absent because `dczid_el0`
/// reports it prohibited, and `dc cvap` because QEMU's `max` CPU lacks it.
pub static SYS_OPS: &[(&str, u32)] = &[
    ("dc cvac", sys_key(3, 7, 10, 1)),
    ("dc cvau", sys_key(3, 7, 11, 1)),
    ("dc civac", sys_key(3, 7, 14, 1)),
    ("ic ivau", sys_key(3, 7, 5, 1)),
];

/// Key of a system register in bits 19:5 (op0 is 2 or 3).
pub const fn sysreg_key(op0: u32, op1: u32, crn: u32, crm: u32, op2: u32) -> u32 {
    ((op0 - 2) << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2
}

/// Key of a `sys` operation in bits 18:5.
pub const fn sys_key(op1: u32, crn: u32, crm: u32, op2: u32) -> u32 {
    (op1 << 11) | (crn << 7) | (crm << 3) | op2
}

/// What an instruction does, independent of its encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Opcode {
    /// `adr`/`adrp`: rd = pc (page of pc for adrp) + imm.
    Adr {
        page: bool,
    },
    /// `add`/`adds`/`sub`/`subs` with a shifted 12-bit immediate.
    AddSubImm {
        sub: bool,
        flags: bool,
    },
    /// Logical with a bitmask immediate (already expanded in `imm`).
    LogicImm(LogicOp),
    MovWide(MovOp),
    Bitfield(BfOp),
    Extr,
    /// `b` / `bl`.
    Branch {
        link: bool,
    },
    /// `b.cond`.
    BranchCond,
    /// `cbz` / `cbnz`.
    CompareBranch {
        nonzero: bool,
    },
    /// `tbz` / `tbnz`; the bit number is in `amount`.
    TestBranch {
        nonzero: bool,
    },
    /// `br` / `blr` / `ret`.
    BranchReg {
        link: bool,
    },
    Svc,
    Brk,
    /// `nop`, `yield`, `wfe`, ... and the rest of the hint space.
    Hint,
    Clrex,
    /// `dmb`, `dsb`: ordering is trivially kept by one in-order core.
    Barrier,
    /// `isb`: ends the block so following code is fetched afresh.
    Isb,
    /// An allowed `sys` cache-maintenance operation: a no-op.
    CacheOp,
    Mrs(SysReg),
    Msr(SysReg),
    /// Logical with a shifted register; `invert` negates the operand
    /// (`bic`, `orn`, `eon`, `bics`).
    LogicReg {
        op: LogicOp,
        invert: bool,
    },
    AddSubShifted {
        sub: bool,
        flags: bool,
    },
    AddSubExtended {
        sub: bool,
        flags: bool,
    },
    /// `adc`, `adcs`, `sbc`, `sbcs`.
    AddSubCarry {
        sub: bool,
        flags: bool,
    },
    /// `ccmp`/`ccmn` (`neg` for ccmn), register or immediate operand.
    CondCompare {
        neg: bool,
        imm: bool,
    },
    CondSelect(CselOp),
    /// `madd` / `msub`.
    MulAdd {
        sub: bool,
    },
    /// `smaddl`, `smsubl`, `umaddl`, `umsubl`.
    MulAddLong {
        signed: bool,
        sub: bool,
    },
    /// `smulh` / `umulh`.
    MulHigh {
        signed: bool,
    },
    Div {
        signed: bool,
    },
    /// `lslv`, `lsrv`, `asrv`, `rorv`.
    ShiftVar(ShiftKind),
    /// `crc32{b,h,w,x}` and, with `castagnoli`, `crc32c{b,h,w,x}`: the
    /// reflected CRC-32 (or CRC-32C) of the low `bytes` bytes of `rm`
    /// folded into `wn`.
    Crc32 {
        bytes: u8,
        castagnoli: bool,
    },
    Unary(UnaryOp),
    /// Load from a pc-relative literal (or prefetch it).
    LoadLiteral(MemOp),
    /// Single-register load/store; address per `mode`.
    LoadStore {
        op: MemOp,
        mode: AddrMode,
    },
    /// Pair load/store; access size 2 or 3; address per `mode`.
    Pair {
        kind: PairKind,
        size: u8,
        mode: AddrMode,
    },
    /// `ldxr`/`ldaxr`, size in `Insn::size`.
    LoadExclusive,
    /// `stxr`/`stlxr`; the status register is `rm` (Rs).
    StoreExclusive,
    /// `ldxp`/`ldaxp`, size 2 or 3.
    LoadExclusivePair,
    /// `stxp`/`stlxp`.
    StoreExclusivePair,
    /// `ldar`, `ldlar`, `ldapr`.
    LoadAcquire,
    /// `stlr`, `stllr`.
    StoreRelease,
    /// `ld<op>`/`swp` families; rs in `rm`.
    Atomic(AtomicOp),
    /// `cas` family; compare value and result in `rm` (Rs).
    Cas,
    /// `casp` family; pairs start at even `rm` (Rs) and `rd` (Rt).
    CasPair,
    /// A SIMD&FP instruction of one encoding group; `lift_simd` reads the
    /// group's fields from the word.
    Simd(SimdGroup),
}

/// An encoding group of the SIMD&FP instructions (the Arm ARM's "Loads and
/// Stores" with V = 1 and "Data Processing -- Scalar Floating-Point and
/// Advanced SIMD" tables). Field combinations a group leaves unallocated
/// are rejected by the lifter, which traps on them as illegal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SimdGroup {
    /// `ldr`/`str` b/h/s/d/q, unsigned scaled offset.
    LdStUnsigned,
    /// `ldur`/`stur` and pre/post-index forms.
    LdStImm9,
    /// Register-offset form.
    LdStReg,
    /// `ldr` s/d/q literal.
    LdLiteral,
    /// `ldp`/`stp`/`ldnp`/`stnp` of s/d/q.
    LdStPair,
    /// `ld1`–`ld4`/`st1`–`st4` multiple structures (offset or post-index).
    LdStMulti,
    /// `ld1`–`ld4`/`st1`–`st4` single structure and `ld1r`–`ld4r`.
    LdStSingle,
    ThreeSame,
    ThreeDiff,
    /// Vector × indexed element (`fmla v.4s, v.4s, v.s[1]`, `smull2`, ...).
    Indexed,
    TwoMisc,
    AcrossLanes,
    Copy,
    ModImm,
    ShiftImm,
    Permute,
    Extract,
    Table,
    ScalarThreeSame,
    /// Scalar three different (`sqdmull s0, h1, h2`, ...).
    ScalarThreeDiff,
    /// Scalar × indexed element (`fmul d0, d1, v2.d[1]`, `sqdmulh`, ...).
    ScalarIndexed,
    ScalarPairwise,
    ScalarCopy,
    ScalarShiftImm,
    ScalarTwoMisc,
    FpOneSource,
    FpCompare,
    FpImm,
    FpCondCompare,
    FpTwoSource,
    FpCondSelect,
    FpThreeSource,
    FpFixedConv,
    FpIntConv,
}

/// How to pull operands out of a word. Each variant is one operand layout
/// of the Arm ARM; reserved field values make the extractor fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// rd, 21-bit signed pc offset (`immhi:immlo`).
    Adr,
    /// rd, 21-bit signed page offset, scaled by 4096.
    Adrp,
    /// sf, rd, rn, imm12 shifted by 0 or 12.
    AddSubImm,
    /// sf, rd, rn, bitmask immediate from N:immr:imms.
    LogicImm,
    /// sf, rd, imm16, hw (in `amount`, as a bit shift).
    MovWide,
    /// sf, rd, rn, immr, imms (N must equal sf).
    Bitfield,
    /// sf, rd, rn, rm, lsb (in `amount`).
    Extr,
    /// 26-bit word offset.
    Branch26,
    /// 19-bit word offset, condition.
    CondBranch,
    /// sf, rt (in rd), 19-bit word offset.
    CompareBranch,
    /// rt (in rd), bit number (in `amount`), 14-bit word offset.
    TestBranch,
    /// rn.
    BranchReg,
    /// No operands.
    None,
    /// rt (in rd) of an allowed cache-maintenance `sys`.
    Sys,
    /// rt (in rd), system register readable at EL0.
    Mrs,
    /// rt (in rd), system register writable at EL0.
    Msr,
    /// sf, rd, rn, rm, shift (any of four), amount.
    LogicShifted,
    /// sf, rd, rn, rm, shift (not ROR), amount.
    AddSubShifted,
    /// sf, rd, rn, rm, extend option (in `shift`), amount 0..=4.
    AddSubExtended,
    /// sf, rd, rn, rm.
    Rrr,
    /// sf, rd, rn, rm, cond.
    CondSelect,
    /// sf, rn, rm, cond, nzcv.
    CondCompareReg,
    /// sf, rn, imm5, cond, nzcv.
    CondCompareImm,
    /// sf, rd, rn, rm, ra.
    Rrrr,
    /// sf, rd, rn.
    Rr,
    /// rt (in rd), 19-bit word offset.
    Literal,
    /// rt, rn, unsigned 12-bit offset scaled by the access size (bits 31:30).
    LsUnsigned,
    /// rt, rn, signed 9-bit byte offset.
    LsImm9,
    /// rt, rn, rm, extend option (in `shift`), shift amount 0 or size.
    LsRegister,
    /// rt, rt2 (in ra), rn, signed 7-bit offset scaled by 4 or 8.
    LsPair,
    /// size (bits 31:30), rt (rd), rn, rs (rm), rt2 (ra).
    Exclusive,
    /// size 2 or 3 (bit 30), rt (rd), rn, rs (rm), rt2 (ra).
    ExclusivePair,
    /// size (bits 31:30), rt (rd), rn, rs (rm).
    Atomic,
    /// size 2 or 3 (bit 30), even rt (rd) and rs (rm), rn.
    CasPair,
    /// rd, rn, rm, ra (bits 14:10) as raw fields; the group's lifter reads
    /// the rest of the word.
    Simd,
}

/// One row of the encoding table (the shared decode-table kit's row).
pub type Encoding = decode_kit::Encoding<Format, Opcode>;

/// A decoded instruction. Unused operands are zero. Register numbers are
/// raw fields: 31 means sp or xzr as the instruction class dictates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insn {
    pub opcode: Opcode,
    /// Name of the encoding it came from.
    pub name: &'static str,
    /// The word itself.
    pub word: u32,
    /// 64-bit operation (X registers); false for W registers.
    pub sf: bool,
    /// Destination, or the transfer register Rt.
    pub rd: u8,
    pub rn: u8,
    /// Second source; Rs of exclusives, atomics and cas.
    pub rm: u8,
    /// Addend of multiply-add; Rt2 of pairs.
    pub ra: u8,
    /// Immediate: value, byte offset, bitmask, or sysreg/sys key.
    pub imm: i64,
    /// Shift type (bits 23:22) or extend option (bits 15:13).
    pub shift: u8,
    /// Shift amount, bit number, lsb, or move-wide shift.
    pub amount: u8,
    pub cond: u8,
    /// Flags of `ccmp` when the condition fails (N:Z:C:V, N in bit 3).
    pub nzcv: u8,
    pub immr: u8,
    pub imms: u8,
    /// Access size as log2 of bytes, for formats that extract it.
    pub size: u8,
}

/// Outcome of decoding the bytes at one pc.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decoded {
    Insn(Insn),
    /// No encoding matches, or the match has reserved fields.
    Illegal {
        word: u32,
    },
    /// Fewer than four bytes are fetchable.
    Truncated {
        available: u8,
    },
}

const fn e(name: &'static str, pattern: &str, format: Format, opcode: Opcode) -> Encoding {
    Encoding::new(name, pattern, format, opcode)
}

use AddrMode as Am;
use Format as F;
use Opcode as O;

const fn mem(kind: MemKind, size: u8) -> MemOp {
    MemOp { kind, size }
}

const ST8: MemOp = mem(MemKind::Store, 0);
const ST16: MemOp = mem(MemKind::Store, 1);
const ST32: MemOp = mem(MemKind::Store, 2);
const ST64: MemOp = mem(MemKind::Store, 3);
const LD8: MemOp = mem(MemKind::Load, 0);
const LD16: MemOp = mem(MemKind::Load, 1);
const LD32: MemOp = mem(MemKind::Load, 2);
const LD64: MemOp = mem(MemKind::Load, 3);
const LDS8X: MemOp = mem(MemKind::LoadSigned64, 0);
const LDS8W: MemOp = mem(MemKind::LoadSigned32, 0);
const LDS16X: MemOp = mem(MemKind::LoadSigned64, 1);
const LDS16W: MemOp = mem(MemKind::LoadSigned32, 1);
const LDS32X: MemOp = mem(MemKind::LoadSigned64, 2);
const PRFM: MemOp = mem(MemKind::Prefetch, 3);

/// A single-register load or store.
const fn ls(op: MemOp, mode: AddrMode) -> Opcode {
    O::LoadStore { op, mode }
}

/// A load or store pair.
const fn pair(kind: PairKind, size: u8, mode: AddrMode) -> Opcode {
    O::Pair { kind, size, mode }
}

use AtomicOp as At;
use PairKind as Pk;

/// Every encoding Bohr decodes. Order matters only where patterns overlap
/// (see the module documentation).
///
/// Patterns follow the Arm ARM's encoding diagrams, bit 31 first, grouped
/// by its fields. Free bits carry the field's letter: `f` sf, `z` size,
/// `q` Q, `u` U (Rt2 in pair and exclusive forms), `v` V, `s` S (Rs in
/// exclusive and atomic forms), `h` shift or hw, `n` Rn, `d` Rd, `t` Rt,
/// `m` Rm, `a` Ra, `i` and `b` immediates, `c` cond, `o` opcode bits the
/// row leaves free, `x` option or index mode, `l` L, `r` R or rmode, `p`
/// post-index, `tt` FP type.
pub static A64_TABLE: &[Encoding] = &[
    // Data processing, immediate.
    e("adr", "0 ll 10000 hhhhhhhhhhhhhhhhhhh ddddd", F::Adr, O::Adr { page: false }),
    e("adrp", "1 ll 10000 hhhhhhhhhhhhhhhhhhh ddddd", F::Adrp, O::Adr { page: true }),
    e(
        "add_imm",
        "f 0 0 100010 h iiiiiiiiiiii nnnnn ddddd",
        F::AddSubImm,
        O::AddSubImm { sub: false, flags: false },
    ),
    e(
        "adds_imm",
        "f 0 1 100010 h iiiiiiiiiiii nnnnn ddddd",
        F::AddSubImm,
        O::AddSubImm { sub: false, flags: true },
    ),
    e(
        "sub_imm",
        "f 1 0 100010 h iiiiiiiiiiii nnnnn ddddd",
        F::AddSubImm,
        O::AddSubImm { sub: true, flags: false },
    ),
    e(
        "subs_imm",
        "f 1 1 100010 h iiiiiiiiiiii nnnnn ddddd",
        F::AddSubImm,
        O::AddSubImm { sub: true, flags: true },
    ),
    e("and_imm", "f 00 100100 N rrrrrr ssssss nnnnn ddddd", F::LogicImm, O::LogicImm(LogicOp::And)),
    e("orr_imm", "f 01 100100 N rrrrrr ssssss nnnnn ddddd", F::LogicImm, O::LogicImm(LogicOp::Orr)),
    e("eor_imm", "f 10 100100 N rrrrrr ssssss nnnnn ddddd", F::LogicImm, O::LogicImm(LogicOp::Eor)),
    e(
        "ands_imm",
        "f 11 100100 N rrrrrr ssssss nnnnn ddddd",
        F::LogicImm,
        O::LogicImm(LogicOp::Ands),
    ),
    e("movn", "f 00 100101 hh iiiiiiiiiiiiiiii ddddd", F::MovWide, O::MovWide(MovOp::N)),
    e("movz", "f 10 100101 hh iiiiiiiiiiiiiiii ddddd", F::MovWide, O::MovWide(MovOp::Z)),
    e("movk", "f 11 100101 hh iiiiiiiiiiiiiiii ddddd", F::MovWide, O::MovWide(MovOp::K)),
    e("sbfm", "f 00 100110 N rrrrrr ssssss nnnnn ddddd", F::Bitfield, O::Bitfield(BfOp::Signed)),
    e("bfm", "f 01 100110 N rrrrrr ssssss nnnnn ddddd", F::Bitfield, O::Bitfield(BfOp::Insert)),
    e("ubfm", "f 10 100110 N rrrrrr ssssss nnnnn ddddd", F::Bitfield, O::Bitfield(BfOp::Unsigned)),
    e("extr", "f 00 100111 N 0 mmmmm ssssss nnnnn ddddd", F::Extr, O::Extr),
    // Branches, exceptions, system.
    e("b", "0 00101 iiiiiiiiiiiiiiiiiiiiiiiiii", F::Branch26, O::Branch { link: false }),
    e("bl", "1 00101 iiiiiiiiiiiiiiiiiiiiiiiiii", F::Branch26, O::Branch { link: true }),
    e(
        "cbz",
        "f 011010 0 iiiiiiiiiiiiiiiiiii ttttt",
        F::CompareBranch,
        O::CompareBranch { nonzero: false },
    ),
    e(
        "cbnz",
        "f 011010 1 iiiiiiiiiiiiiiiiiii ttttt",
        F::CompareBranch,
        O::CompareBranch { nonzero: true },
    ),
    e(
        "tbz",
        "b 011011 0 bbbbb iiiiiiiiiiiiii ttttt",
        F::TestBranch,
        O::TestBranch { nonzero: false },
    ),
    e(
        "tbnz",
        "b 011011 1 bbbbb iiiiiiiiiiiiii ttttt",
        F::TestBranch,
        O::TestBranch { nonzero: true },
    ),
    e("b.cond", "0101010 0 iiiiiiiiiiiiiiiiiii 0 cccc", F::CondBranch, O::BranchCond),
    e("svc", "11010100 000 iiiiiiiiiiiiiiii 000 01", F::None, O::Svc),
    e("brk", "11010100 001 iiiiiiiiiiiiiiii 000 00", F::None, O::Brk),
    e("hint", "1101010100 0 00 011 0010 mmmm ooo 11111", F::None, O::Hint),
    e("clrex", "1101010100 0 00 011 0011 mmmm 010 11111", F::None, O::Clrex),
    e("dsb", "1101010100 0 00 011 0011 mmmm 100 11111", F::None, O::Barrier),
    e("dmb", "1101010100 0 00 011 0011 mmmm 101 11111", F::None, O::Barrier),
    e("isb", "1101010100 0 00 011 0011 mmmm 110 11111", F::None, O::Isb),
    e("sys", "1101010100 0 01 ooo nnnn mmmm ooo ttttt", F::Sys, O::CacheOp),
    // The register is named by the extractor; the opcode's is a placeholder.
    e("msr", "1101010100 0 1o ooo nnnn mmmm ooo ttttt", F::Msr, O::Msr(SysReg::Nzcv)),
    e("mrs", "1101010100 1 1o ooo nnnn mmmm ooo ttttt", F::Mrs, O::Mrs(SysReg::Nzcv)),
    e("br", "1101011 0000 11111 000000 nnnnn 00000", F::BranchReg, O::BranchReg { link: false }),
    e("blr", "1101011 0001 11111 000000 nnnnn 00000", F::BranchReg, O::BranchReg { link: true }),
    e("ret", "1101011 0010 11111 000000 nnnnn 00000", F::BranchReg, O::BranchReg { link: false }),
    // Data processing, register.
    e(
        "and",
        "f 00 01010 hh 0 mmmmm iiiiii nnnnn ddddd",
        F::LogicShifted,
        logic(LogicOp::And, false),
    ),
    e(
        "bic",
        "f 00 01010 hh 1 mmmmm iiiiii nnnnn ddddd",
        F::LogicShifted,
        logic(LogicOp::And, true),
    ),
    e(
        "orr",
        "f 01 01010 hh 0 mmmmm iiiiii nnnnn ddddd",
        F::LogicShifted,
        logic(LogicOp::Orr, false),
    ),
    e(
        "orn",
        "f 01 01010 hh 1 mmmmm iiiiii nnnnn ddddd",
        F::LogicShifted,
        logic(LogicOp::Orr, true),
    ),
    e(
        "eor",
        "f 10 01010 hh 0 mmmmm iiiiii nnnnn ddddd",
        F::LogicShifted,
        logic(LogicOp::Eor, false),
    ),
    e(
        "eon",
        "f 10 01010 hh 1 mmmmm iiiiii nnnnn ddddd",
        F::LogicShifted,
        logic(LogicOp::Eor, true),
    ),
    e(
        "ands",
        "f 11 01010 hh 0 mmmmm iiiiii nnnnn ddddd",
        F::LogicShifted,
        logic(LogicOp::Ands, false),
    ),
    e(
        "bics",
        "f 11 01010 hh 1 mmmmm iiiiii nnnnn ddddd",
        F::LogicShifted,
        logic(LogicOp::Ands, true),
    ),
    e("add", "f 0 0 01011 hh 0 mmmmm iiiiii nnnnn ddddd", F::AddSubShifted, addsub(false, false)),
    e("adds", "f 0 1 01011 hh 0 mmmmm iiiiii nnnnn ddddd", F::AddSubShifted, addsub(false, true)),
    e("sub", "f 1 0 01011 hh 0 mmmmm iiiiii nnnnn ddddd", F::AddSubShifted, addsub(true, false)),
    e("subs", "f 1 1 01011 hh 0 mmmmm iiiiii nnnnn ddddd", F::AddSubShifted, addsub(true, true)),
    e(
        "add_ext",
        "f 0 0 01011 00 1 mmmmm xxx iii nnnnn ddddd",
        F::AddSubExtended,
        addsub_ext(false, false),
    ),
    e(
        "adds_ext",
        "f 0 1 01011 00 1 mmmmm xxx iii nnnnn ddddd",
        F::AddSubExtended,
        addsub_ext(false, true),
    ),
    e(
        "sub_ext",
        "f 1 0 01011 00 1 mmmmm xxx iii nnnnn ddddd",
        F::AddSubExtended,
        addsub_ext(true, false),
    ),
    e(
        "subs_ext",
        "f 1 1 01011 00 1 mmmmm xxx iii nnnnn ddddd",
        F::AddSubExtended,
        addsub_ext(true, true),
    ),
    e(
        "adc",
        "f 0 0 11010000 mmmmm 000000 nnnnn ddddd",
        F::Rrr,
        O::AddSubCarry { sub: false, flags: false },
    ),
    e(
        "adcs",
        "f 0 1 11010000 mmmmm 000000 nnnnn ddddd",
        F::Rrr,
        O::AddSubCarry { sub: false, flags: true },
    ),
    e(
        "sbc",
        "f 1 0 11010000 mmmmm 000000 nnnnn ddddd",
        F::Rrr,
        O::AddSubCarry { sub: true, flags: false },
    ),
    e(
        "sbcs",
        "f 1 1 11010000 mmmmm 000000 nnnnn ddddd",
        F::Rrr,
        O::AddSubCarry { sub: true, flags: true },
    ),
    e(
        "ccmn",
        "f 0 1 11010010 mmmmm cccc 0 0 nnnnn 0 vvvv",
        F::CondCompareReg,
        O::CondCompare { neg: true, imm: false },
    ),
    e(
        "ccmn_imm",
        "f 0 1 11010010 iiiii cccc 1 0 nnnnn 0 vvvv",
        F::CondCompareImm,
        O::CondCompare { neg: true, imm: true },
    ),
    e(
        "ccmp",
        "f 1 1 11010010 mmmmm cccc 0 0 nnnnn 0 vvvv",
        F::CondCompareReg,
        O::CondCompare { neg: false, imm: false },
    ),
    e(
        "ccmp_imm",
        "f 1 1 11010010 iiiii cccc 1 0 nnnnn 0 vvvv",
        F::CondCompareImm,
        O::CondCompare { neg: false, imm: true },
    ),
    e(
        "csel",
        "f 0 0 11010100 mmmmm cccc 00 nnnnn ddddd",
        F::CondSelect,
        O::CondSelect(CselOp::Csel),
    ),
    e(
        "csinc",
        "f 0 0 11010100 mmmmm cccc 01 nnnnn ddddd",
        F::CondSelect,
        O::CondSelect(CselOp::Csinc),
    ),
    e(
        "csinv",
        "f 1 0 11010100 mmmmm cccc 00 nnnnn ddddd",
        F::CondSelect,
        O::CondSelect(CselOp::Csinv),
    ),
    e(
        "csneg",
        "f 1 0 11010100 mmmmm cccc 01 nnnnn ddddd",
        F::CondSelect,
        O::CondSelect(CselOp::Csneg),
    ),
    e("madd", "f 00 11011 000 mmmmm 0 aaaaa nnnnn ddddd", F::Rrrr, O::MulAdd { sub: false }),
    e("msub", "f 00 11011 000 mmmmm 1 aaaaa nnnnn ddddd", F::Rrrr, O::MulAdd { sub: true }),
    e(
        "smaddl",
        "1 00 11011 001 mmmmm 0 aaaaa nnnnn ddddd",
        F::Rrrr,
        O::MulAddLong { signed: true, sub: false },
    ),
    e(
        "smsubl",
        "1 00 11011 001 mmmmm 1 aaaaa nnnnn ddddd",
        F::Rrrr,
        O::MulAddLong { signed: true, sub: true },
    ),
    e("smulh", "1 00 11011 010 mmmmm 0 aaaaa nnnnn ddddd", F::Rrrr, O::MulHigh { signed: true }),
    e(
        "umaddl",
        "1 00 11011 101 mmmmm 0 aaaaa nnnnn ddddd",
        F::Rrrr,
        O::MulAddLong { signed: false, sub: false },
    ),
    e(
        "umsubl",
        "1 00 11011 101 mmmmm 1 aaaaa nnnnn ddddd",
        F::Rrrr,
        O::MulAddLong { signed: false, sub: true },
    ),
    e("umulh", "1 00 11011 110 mmmmm 0 aaaaa nnnnn ddddd", F::Rrrr, O::MulHigh { signed: false }),
    e("udiv", "f 0 0 11010110 mmmmm 000010 nnnnn ddddd", F::Rrr, O::Div { signed: false }),
    e("sdiv", "f 0 0 11010110 mmmmm 000011 nnnnn ddddd", F::Rrr, O::Div { signed: true }),
    e("lslv", "f 0 0 11010110 mmmmm 001000 nnnnn ddddd", F::Rrr, O::ShiftVar(ShiftKind::Lsl)),
    e("lsrv", "f 0 0 11010110 mmmmm 001001 nnnnn ddddd", F::Rrr, O::ShiftVar(ShiftKind::Lsr)),
    e("asrv", "f 0 0 11010110 mmmmm 001010 nnnnn ddddd", F::Rrr, O::ShiftVar(ShiftKind::Asr)),
    e("rorv", "f 0 0 11010110 mmmmm 001011 nnnnn ddddd", F::Rrr, O::ShiftVar(ShiftKind::Ror)),
    // CRC32 (FEAT_CRC32): only sf = 0 with sizes 0-2 and sf = 1 with size
    // 3 are allocated.
    e(
        "crc32b",
        "0 0 0 11010110 mmmmm 010000 nnnnn ddddd",
        F::Rrr,
        O::Crc32 { bytes: 1, castagnoli: false },
    ),
    e(
        "crc32h",
        "0 0 0 11010110 mmmmm 010001 nnnnn ddddd",
        F::Rrr,
        O::Crc32 { bytes: 2, castagnoli: false },
    ),
    e(
        "crc32w",
        "0 0 0 11010110 mmmmm 010010 nnnnn ddddd",
        F::Rrr,
        O::Crc32 { bytes: 4, castagnoli: false },
    ),
    e(
        "crc32x",
        "1 0 0 11010110 mmmmm 010011 nnnnn ddddd",
        F::Rrr,
        O::Crc32 { bytes: 8, castagnoli: false },
    ),
    e(
        "crc32cb",
        "0 0 0 11010110 mmmmm 010100 nnnnn ddddd",
        F::Rrr,
        O::Crc32 { bytes: 1, castagnoli: true },
    ),
    e(
        "crc32ch",
        "0 0 0 11010110 mmmmm 010101 nnnnn ddddd",
        F::Rrr,
        O::Crc32 { bytes: 2, castagnoli: true },
    ),
    e(
        "crc32cw",
        "0 0 0 11010110 mmmmm 010110 nnnnn ddddd",
        F::Rrr,
        O::Crc32 { bytes: 4, castagnoli: true },
    ),
    e(
        "crc32cx",
        "1 0 0 11010110 mmmmm 010111 nnnnn ddddd",
        F::Rrr,
        O::Crc32 { bytes: 8, castagnoli: true },
    ),
    e("rbit", "f 1 0 11010110 00000 000000 nnnnn ddddd", F::Rr, O::Unary(UnaryOp::Rbit)),
    e("rev16", "f 1 0 11010110 00000 000001 nnnnn ddddd", F::Rr, O::Unary(UnaryOp::Rev16)),
    e("rev32", "f 1 0 11010110 00000 000010 nnnnn ddddd", F::Rr, O::Unary(UnaryOp::Rev32)),
    e("rev", "1 1 0 11010110 00000 000011 nnnnn ddddd", F::Rr, O::Unary(UnaryOp::Rev64)),
    e("clz", "f 1 0 11010110 00000 000100 nnnnn ddddd", F::Rr, O::Unary(UnaryOp::Clz)),
    e("cls", "f 1 0 11010110 00000 000101 nnnnn ddddd", F::Rr, O::Unary(UnaryOp::Cls)),
    // Loads and stores: literal.
    e("ldr_lit_w", "00 011 0 00 iiiiiiiiiiiiiiiiiii ttttt", F::Literal, O::LoadLiteral(LD32)),
    e("ldr_lit_x", "01 011 0 00 iiiiiiiiiiiiiiiiiii ttttt", F::Literal, O::LoadLiteral(LD64)),
    e("ldrsw_lit", "10 011 0 00 iiiiiiiiiiiiiiiiiii ttttt", F::Literal, O::LoadLiteral(LDS32X)),
    e("prfm_lit", "11 011 0 00 iiiiiiiiiiiiiiiiiii ttttt", F::Literal, O::LoadLiteral(PRFM)),
    // Exclusive and ordered; Rs/Rt2 ignored where QEMU ignores them.
    e("stxr", "zz 001000 0 0 0 sssss o uuuuu nnnnn ttttt", F::Exclusive, O::StoreExclusive),
    e("ldxr", "zz 001000 0 1 0 sssss o uuuuu nnnnn ttttt", F::Exclusive, O::LoadExclusive),
    e("stxp", "1z 001000 0 0 1 sssss o uuuuu nnnnn ttttt", F::ExclusivePair, O::StoreExclusivePair),
    e("ldxp", "1z 001000 0 1 1 sssss o uuuuu nnnnn ttttt", F::ExclusivePair, O::LoadExclusivePair),
    e("casp", "0z 001000 0 l 1 sssss o 11111 nnnnn ttttt", F::CasPair, O::CasPair),
    e("stlr", "zz 001000 1 0 0 11111 o 11111 nnnnn ttttt", F::Exclusive, O::StoreRelease),
    e("ldar", "zz 001000 1 1 0 11111 o 11111 nnnnn ttttt", F::Exclusive, O::LoadAcquire),
    e("cas", "zz 001000 1 l 1 sssss o 11111 nnnnn ttttt", F::Atomic, O::Cas),
    // Pairs.
    e(
        "stnp_w",
        "00 101 0 0 00 0 iiiiiii uuuuu nnnnn ttttt",
        F::LsPair,
        pair(Pk::Store, 2, Am::Offset),
    ),
    e(
        "ldnp_w",
        "00 101 0 0 00 1 iiiiiii uuuuu nnnnn ttttt",
        F::LsPair,
        pair(Pk::Load, 2, Am::Offset),
    ),
    e(
        "stnp_x",
        "10 101 0 0 00 0 iiiiiii uuuuu nnnnn ttttt",
        F::LsPair,
        pair(Pk::Store, 3, Am::Offset),
    ),
    e(
        "ldnp_x",
        "10 101 0 0 00 1 iiiiiii uuuuu nnnnn ttttt",
        F::LsPair,
        pair(Pk::Load, 3, Am::Offset),
    ),
    e(
        "stp_post_w",
        "00 101 0 0 01 0 iiiiiii uuuuu nnnnn ttttt",
        F::LsPair,
        pair(Pk::Store, 2, Am::PostIndex),
    ),
    e(
        "ldp_post_w",
        "00 101 0 0 01 1 iiiiiii uuuuu nnnnn ttttt",
        F::LsPair,
        pair(Pk::Load, 2, Am::PostIndex),
    ),
    e(
        "ldpsw_post",
        "01 101 0 0 01 1 iiiiiii uuuuu nnnnn ttttt",
        F::LsPair,
        pair(Pk::LoadSignedWord, 2, Am::PostIndex),
    ),
    e(
        "stp_post_x",
        "10 101 0 0 01 0 iiiiiii uuuuu nnnnn ttttt",
        F::LsPair,
        pair(Pk::Store, 3, Am::PostIndex),
    ),
    e(
        "ldp_post_x",
        "10 101 0 0 01 1 iiiiiii uuuuu nnnnn ttttt",
        F::LsPair,
        pair(Pk::Load, 3, Am::PostIndex),
    ),
    e(
        "stp_w",
        "00 101 0 0 10 0 iiiiiii uuuuu nnnnn ttttt",
        F::LsPair,
        pair(Pk::Store, 2, Am::Offset),
    ),
    e(
        "ldp_w",
        "00 101 0 0 10 1 iiiiiii uuuuu nnnnn ttttt",
        F::LsPair,
        pair(Pk::Load, 2, Am::Offset),
    ),
    e(
        "ldpsw",
        "01 101 0 0 10 1 iiiiiii uuuuu nnnnn ttttt",
        F::LsPair,
        pair(Pk::LoadSignedWord, 2, Am::Offset),
    ),
    e(
        "stp_x",
        "10 101 0 0 10 0 iiiiiii uuuuu nnnnn ttttt",
        F::LsPair,
        pair(Pk::Store, 3, Am::Offset),
    ),
    e(
        "ldp_x",
        "10 101 0 0 10 1 iiiiiii uuuuu nnnnn ttttt",
        F::LsPair,
        pair(Pk::Load, 3, Am::Offset),
    ),
    e(
        "stp_pre_w",
        "00 101 0 0 11 0 iiiiiii uuuuu nnnnn ttttt",
        F::LsPair,
        pair(Pk::Store, 2, Am::PreIndex),
    ),
    e(
        "ldp_pre_w",
        "00 101 0 0 11 1 iiiiiii uuuuu nnnnn ttttt",
        F::LsPair,
        pair(Pk::Load, 2, Am::PreIndex),
    ),
    e(
        "ldpsw_pre",
        "01 101 0 0 11 1 iiiiiii uuuuu nnnnn ttttt",
        F::LsPair,
        pair(Pk::LoadSignedWord, 2, Am::PreIndex),
    ),
    e(
        "stp_pre_x",
        "10 101 0 0 11 0 iiiiiii uuuuu nnnnn ttttt",
        F::LsPair,
        pair(Pk::Store, 3, Am::PreIndex),
    ),
    e(
        "ldp_pre_x",
        "10 101 0 0 11 1 iiiiiii uuuuu nnnnn ttttt",
        F::LsPair,
        pair(Pk::Load, 3, Am::PreIndex),
    ),
    // Single register, unsigned scaled offset.
    e("strb", "00 111 0 01 00 iiiiiiiiiiii nnnnn ttttt", F::LsUnsigned, ls(ST8, Am::Offset)),
    e("ldrb", "00 111 0 01 01 iiiiiiiiiiii nnnnn ttttt", F::LsUnsigned, ls(LD8, Am::Offset)),
    e("ldrsb_x", "00 111 0 01 10 iiiiiiiiiiii nnnnn ttttt", F::LsUnsigned, ls(LDS8X, Am::Offset)),
    e("ldrsb_w", "00 111 0 01 11 iiiiiiiiiiii nnnnn ttttt", F::LsUnsigned, ls(LDS8W, Am::Offset)),
    e("strh", "01 111 0 01 00 iiiiiiiiiiii nnnnn ttttt", F::LsUnsigned, ls(ST16, Am::Offset)),
    e("ldrh", "01 111 0 01 01 iiiiiiiiiiii nnnnn ttttt", F::LsUnsigned, ls(LD16, Am::Offset)),
    e("ldrsh_x", "01 111 0 01 10 iiiiiiiiiiii nnnnn ttttt", F::LsUnsigned, ls(LDS16X, Am::Offset)),
    e("ldrsh_w", "01 111 0 01 11 iiiiiiiiiiii nnnnn ttttt", F::LsUnsigned, ls(LDS16W, Am::Offset)),
    e("str_w", "10 111 0 01 00 iiiiiiiiiiii nnnnn ttttt", F::LsUnsigned, ls(ST32, Am::Offset)),
    e("ldr_w", "10 111 0 01 01 iiiiiiiiiiii nnnnn ttttt", F::LsUnsigned, ls(LD32, Am::Offset)),
    e("ldrsw", "10 111 0 01 10 iiiiiiiiiiii nnnnn ttttt", F::LsUnsigned, ls(LDS32X, Am::Offset)),
    e("str_x", "11 111 0 01 00 iiiiiiiiiiii nnnnn ttttt", F::LsUnsigned, ls(ST64, Am::Offset)),
    e("ldr_x", "11 111 0 01 01 iiiiiiiiiiii nnnnn ttttt", F::LsUnsigned, ls(LD64, Am::Offset)),
    e("prfm", "11 111 0 01 10 iiiiiiiiiiii nnnnn ttttt", F::LsUnsigned, ls(PRFM, Am::Offset)),
    // Unscaled signed offset.
    e("sturb", "00 111 0 00 00 0 iiiiiiiii 00 nnnnn ttttt", F::LsImm9, ls(ST8, Am::Offset)),
    e("ldurb", "00 111 0 00 01 0 iiiiiiiii 00 nnnnn ttttt", F::LsImm9, ls(LD8, Am::Offset)),
    e("ldursb_x", "00 111 0 00 10 0 iiiiiiiii 00 nnnnn ttttt", F::LsImm9, ls(LDS8X, Am::Offset)),
    e("ldursb_w", "00 111 0 00 11 0 iiiiiiiii 00 nnnnn ttttt", F::LsImm9, ls(LDS8W, Am::Offset)),
    e("sturh", "01 111 0 00 00 0 iiiiiiiii 00 nnnnn ttttt", F::LsImm9, ls(ST16, Am::Offset)),
    e("ldurh", "01 111 0 00 01 0 iiiiiiiii 00 nnnnn ttttt", F::LsImm9, ls(LD16, Am::Offset)),
    e("ldursh_x", "01 111 0 00 10 0 iiiiiiiii 00 nnnnn ttttt", F::LsImm9, ls(LDS16X, Am::Offset)),
    e("ldursh_w", "01 111 0 00 11 0 iiiiiiiii 00 nnnnn ttttt", F::LsImm9, ls(LDS16W, Am::Offset)),
    e("stur_w", "10 111 0 00 00 0 iiiiiiiii 00 nnnnn ttttt", F::LsImm9, ls(ST32, Am::Offset)),
    e("ldur_w", "10 111 0 00 01 0 iiiiiiiii 00 nnnnn ttttt", F::LsImm9, ls(LD32, Am::Offset)),
    e("ldursw", "10 111 0 00 10 0 iiiiiiiii 00 nnnnn ttttt", F::LsImm9, ls(LDS32X, Am::Offset)),
    e("stur_x", "11 111 0 00 00 0 iiiiiiiii 00 nnnnn ttttt", F::LsImm9, ls(ST64, Am::Offset)),
    e("ldur_x", "11 111 0 00 01 0 iiiiiiiii 00 nnnnn ttttt", F::LsImm9, ls(LD64, Am::Offset)),
    e("prfum", "11 111 0 00 10 0 iiiiiiiii 00 nnnnn ttttt", F::LsImm9, ls(PRFM, Am::Offset)),
    // Post-index.
    e("strb_post", "00 111 0 00 00 0 iiiiiiiii 01 nnnnn ttttt", F::LsImm9, ls(ST8, Am::PostIndex)),
    e("ldrb_post", "00 111 0 00 01 0 iiiiiiiii 01 nnnnn ttttt", F::LsImm9, ls(LD8, Am::PostIndex)),
    e(
        "ldrsb_x_post",
        "00 111 0 00 10 0 iiiiiiiii 01 nnnnn ttttt",
        F::LsImm9,
        ls(LDS8X, Am::PostIndex),
    ),
    e(
        "ldrsb_w_post",
        "00 111 0 00 11 0 iiiiiiiii 01 nnnnn ttttt",
        F::LsImm9,
        ls(LDS8W, Am::PostIndex),
    ),
    e("strh_post", "01 111 0 00 00 0 iiiiiiiii 01 nnnnn ttttt", F::LsImm9, ls(ST16, Am::PostIndex)),
    e("ldrh_post", "01 111 0 00 01 0 iiiiiiiii 01 nnnnn ttttt", F::LsImm9, ls(LD16, Am::PostIndex)),
    e(
        "ldrsh_x_post",
        "01 111 0 00 10 0 iiiiiiiii 01 nnnnn ttttt",
        F::LsImm9,
        ls(LDS16X, Am::PostIndex),
    ),
    e(
        "ldrsh_w_post",
        "01 111 0 00 11 0 iiiiiiiii 01 nnnnn ttttt",
        F::LsImm9,
        ls(LDS16W, Am::PostIndex),
    ),
    e(
        "str_w_post",
        "10 111 0 00 00 0 iiiiiiiii 01 nnnnn ttttt",
        F::LsImm9,
        ls(ST32, Am::PostIndex),
    ),
    e(
        "ldr_w_post",
        "10 111 0 00 01 0 iiiiiiiii 01 nnnnn ttttt",
        F::LsImm9,
        ls(LD32, Am::PostIndex),
    ),
    e(
        "ldrsw_post",
        "10 111 0 00 10 0 iiiiiiiii 01 nnnnn ttttt",
        F::LsImm9,
        ls(LDS32X, Am::PostIndex),
    ),
    e(
        "str_x_post",
        "11 111 0 00 00 0 iiiiiiiii 01 nnnnn ttttt",
        F::LsImm9,
        ls(ST64, Am::PostIndex),
    ),
    e(
        "ldr_x_post",
        "11 111 0 00 01 0 iiiiiiiii 01 nnnnn ttttt",
        F::LsImm9,
        ls(LD64, Am::PostIndex),
    ),
    // Unprivileged: at EL0 the same as the unscaled forms.
    e("sttrb", "00 111 0 00 00 0 iiiiiiiii 10 nnnnn ttttt", F::LsImm9, ls(ST8, Am::Offset)),
    e("ldtrb", "00 111 0 00 01 0 iiiiiiiii 10 nnnnn ttttt", F::LsImm9, ls(LD8, Am::Offset)),
    e("ldtrsb_x", "00 111 0 00 10 0 iiiiiiiii 10 nnnnn ttttt", F::LsImm9, ls(LDS8X, Am::Offset)),
    e("ldtrsb_w", "00 111 0 00 11 0 iiiiiiiii 10 nnnnn ttttt", F::LsImm9, ls(LDS8W, Am::Offset)),
    e("sttrh", "01 111 0 00 00 0 iiiiiiiii 10 nnnnn ttttt", F::LsImm9, ls(ST16, Am::Offset)),
    e("ldtrh", "01 111 0 00 01 0 iiiiiiiii 10 nnnnn ttttt", F::LsImm9, ls(LD16, Am::Offset)),
    e("ldtrsh_x", "01 111 0 00 10 0 iiiiiiiii 10 nnnnn ttttt", F::LsImm9, ls(LDS16X, Am::Offset)),
    e("ldtrsh_w", "01 111 0 00 11 0 iiiiiiiii 10 nnnnn ttttt", F::LsImm9, ls(LDS16W, Am::Offset)),
    e("sttr_w", "10 111 0 00 00 0 iiiiiiiii 10 nnnnn ttttt", F::LsImm9, ls(ST32, Am::Offset)),
    e("ldtr_w", "10 111 0 00 01 0 iiiiiiiii 10 nnnnn ttttt", F::LsImm9, ls(LD32, Am::Offset)),
    e("ldtrsw", "10 111 0 00 10 0 iiiiiiiii 10 nnnnn ttttt", F::LsImm9, ls(LDS32X, Am::Offset)),
    e("sttr_x", "11 111 0 00 00 0 iiiiiiiii 10 nnnnn ttttt", F::LsImm9, ls(ST64, Am::Offset)),
    e("ldtr_x", "11 111 0 00 01 0 iiiiiiiii 10 nnnnn ttttt", F::LsImm9, ls(LD64, Am::Offset)),
    // Pre-index.
    e("strb_pre", "00 111 0 00 00 0 iiiiiiiii 11 nnnnn ttttt", F::LsImm9, ls(ST8, Am::PreIndex)),
    e("ldrb_pre", "00 111 0 00 01 0 iiiiiiiii 11 nnnnn ttttt", F::LsImm9, ls(LD8, Am::PreIndex)),
    e(
        "ldrsb_x_pre",
        "00 111 0 00 10 0 iiiiiiiii 11 nnnnn ttttt",
        F::LsImm9,
        ls(LDS8X, Am::PreIndex),
    ),
    e(
        "ldrsb_w_pre",
        "00 111 0 00 11 0 iiiiiiiii 11 nnnnn ttttt",
        F::LsImm9,
        ls(LDS8W, Am::PreIndex),
    ),
    e("strh_pre", "01 111 0 00 00 0 iiiiiiiii 11 nnnnn ttttt", F::LsImm9, ls(ST16, Am::PreIndex)),
    e("ldrh_pre", "01 111 0 00 01 0 iiiiiiiii 11 nnnnn ttttt", F::LsImm9, ls(LD16, Am::PreIndex)),
    e(
        "ldrsh_x_pre",
        "01 111 0 00 10 0 iiiiiiiii 11 nnnnn ttttt",
        F::LsImm9,
        ls(LDS16X, Am::PreIndex),
    ),
    e(
        "ldrsh_w_pre",
        "01 111 0 00 11 0 iiiiiiiii 11 nnnnn ttttt",
        F::LsImm9,
        ls(LDS16W, Am::PreIndex),
    ),
    e("str_w_pre", "10 111 0 00 00 0 iiiiiiiii 11 nnnnn ttttt", F::LsImm9, ls(ST32, Am::PreIndex)),
    e("ldr_w_pre", "10 111 0 00 01 0 iiiiiiiii 11 nnnnn ttttt", F::LsImm9, ls(LD32, Am::PreIndex)),
    e(
        "ldrsw_pre",
        "10 111 0 00 10 0 iiiiiiiii 11 nnnnn ttttt",
        F::LsImm9,
        ls(LDS32X, Am::PreIndex),
    ),
    e("str_x_pre", "11 111 0 00 00 0 iiiiiiiii 11 nnnnn ttttt", F::LsImm9, ls(ST64, Am::PreIndex)),
    e("ldr_x_pre", "11 111 0 00 01 0 iiiiiiiii 11 nnnnn ttttt", F::LsImm9, ls(LD64, Am::PreIndex)),
    // Register offset.
    e(
        "strb_reg",
        "00 111 0 00 00 1 mmmmm xxx s 10 nnnnn ttttt",
        F::LsRegister,
        ls(ST8, Am::Register),
    ),
    e(
        "ldrb_reg",
        "00 111 0 00 01 1 mmmmm xxx s 10 nnnnn ttttt",
        F::LsRegister,
        ls(LD8, Am::Register),
    ),
    e(
        "ldrsb_x_reg",
        "00 111 0 00 10 1 mmmmm xxx s 10 nnnnn ttttt",
        F::LsRegister,
        ls(LDS8X, Am::Register),
    ),
    e(
        "ldrsb_w_reg",
        "00 111 0 00 11 1 mmmmm xxx s 10 nnnnn ttttt",
        F::LsRegister,
        ls(LDS8W, Am::Register),
    ),
    e(
        "strh_reg",
        "01 111 0 00 00 1 mmmmm xxx s 10 nnnnn ttttt",
        F::LsRegister,
        ls(ST16, Am::Register),
    ),
    e(
        "ldrh_reg",
        "01 111 0 00 01 1 mmmmm xxx s 10 nnnnn ttttt",
        F::LsRegister,
        ls(LD16, Am::Register),
    ),
    e(
        "ldrsh_x_reg",
        "01 111 0 00 10 1 mmmmm xxx s 10 nnnnn ttttt",
        F::LsRegister,
        ls(LDS16X, Am::Register),
    ),
    e(
        "ldrsh_w_reg",
        "01 111 0 00 11 1 mmmmm xxx s 10 nnnnn ttttt",
        F::LsRegister,
        ls(LDS16W, Am::Register),
    ),
    e(
        "str_w_reg",
        "10 111 0 00 00 1 mmmmm xxx s 10 nnnnn ttttt",
        F::LsRegister,
        ls(ST32, Am::Register),
    ),
    e(
        "ldr_w_reg",
        "10 111 0 00 01 1 mmmmm xxx s 10 nnnnn ttttt",
        F::LsRegister,
        ls(LD32, Am::Register),
    ),
    e(
        "ldrsw_reg",
        "10 111 0 00 10 1 mmmmm xxx s 10 nnnnn ttttt",
        F::LsRegister,
        ls(LDS32X, Am::Register),
    ),
    e(
        "str_x_reg",
        "11 111 0 00 00 1 mmmmm xxx s 10 nnnnn ttttt",
        F::LsRegister,
        ls(ST64, Am::Register),
    ),
    e(
        "ldr_x_reg",
        "11 111 0 00 01 1 mmmmm xxx s 10 nnnnn ttttt",
        F::LsRegister,
        ls(LD64, Am::Register),
    ),
    e(
        "prfm_reg",
        "11 111 0 00 10 1 mmmmm xxx s 10 nnnnn ttttt",
        F::LsRegister,
        ls(PRFM, Am::Register),
    ),
    // LSE atomics (any size, any acquire/release).
    e("ldadd", "zz 111 0 00 a r 1 sssss 0 000 00 nnnnn ttttt", F::Atomic, O::Atomic(At::Add)),
    e("ldclr", "zz 111 0 00 a r 1 sssss 0 001 00 nnnnn ttttt", F::Atomic, O::Atomic(At::Clr)),
    e("ldeor", "zz 111 0 00 a r 1 sssss 0 010 00 nnnnn ttttt", F::Atomic, O::Atomic(At::Eor)),
    e("ldset", "zz 111 0 00 a r 1 sssss 0 011 00 nnnnn ttttt", F::Atomic, O::Atomic(At::Set)),
    e("ldsmax", "zz 111 0 00 a r 1 sssss 0 100 00 nnnnn ttttt", F::Atomic, O::Atomic(At::Smax)),
    e("ldsmin", "zz 111 0 00 a r 1 sssss 0 101 00 nnnnn ttttt", F::Atomic, O::Atomic(At::Smin)),
    e("ldumax", "zz 111 0 00 a r 1 sssss 0 110 00 nnnnn ttttt", F::Atomic, O::Atomic(At::Umax)),
    e("ldumin", "zz 111 0 00 a r 1 sssss 0 111 00 nnnnn ttttt", F::Atomic, O::Atomic(At::Umin)),
    e("swp", "zz 111 0 00 a r 1 sssss 1 000 00 nnnnn ttttt", F::Atomic, O::Atomic(At::Swp)),
    // SIMD&FP: one entry per encoding group (see `SimdGroup`).
    e(
        "simd_ldst_unsigned",
        "zz 111 1 01 oo iiiiiiiiiiii nnnnn ttttt",
        F::Simd,
        simd(Sg::LdStUnsigned),
    ),
    e("simd_ldst_imm9", "zz 111 1 00 oo 0 iiiiiiiii xx nnnnn ttttt", F::Simd, simd(Sg::LdStImm9)),
    e("simd_ldst_reg", "zz 111 1 00 oo 1 mmmmm xxx s 10 nnnnn ttttt", F::Simd, simd(Sg::LdStReg)),
    e("simd_ldr_lit", "oo 011 1 00 iiiiiiiiiiiiiiiiiii ttttt", F::Simd, simd(Sg::LdLiteral)),
    e("simd_ldst_pair", "oo 101 1 0 xx l iiiiiii uuuuu nnnnn ttttt", F::Simd, simd(Sg::LdStPair)),
    e(
        "simd_ldst_multi",
        "0 q 001100 p l 0 mmmmm oooo zz nnnnn ttttt",
        F::Simd,
        simd(Sg::LdStMulti),
    ),
    e(
        "simd_ldst_single",
        "0 q 001101 p l r mmmmm ooo s zz nnnnn ttttt",
        F::Simd,
        simd(Sg::LdStSingle),
    ),
    e("simd_mod_imm", "0 q o 0111100000 abc cccc o 1 defgh ddddd", F::Simd, simd(Sg::ModImm)),
    e("simd_shift_imm", "0 q u 011110 hhhh bbb ooooo 1 nnnnn ddddd", F::Simd, simd(Sg::ShiftImm)),
    e(
        "simd_scalar_shift_imm",
        "01 u 111110 hhhh bbb ooooo 1 nnnnn ddddd",
        F::Simd,
        simd(Sg::ScalarShiftImm),
    ),
    e("simd_across", "0 q u 01110 zz 11000 ooooo 10 nnnnn ddddd", F::Simd, simd(Sg::AcrossLanes)),
    e("simd_two_misc", "0 q u 01110 zz 10000 ooooo 10 nnnnn ddddd", F::Simd, simd(Sg::TwoMisc)),
    e(
        "simd_scalar_pairwise",
        "01 u 11110 zz 11000 ooooo 10 nnnnn ddddd",
        F::Simd,
        simd(Sg::ScalarPairwise),
    ),
    e(
        "simd_scalar_two_misc",
        "01 u 11110 zz 10000 ooooo 10 nnnnn ddddd",
        F::Simd,
        simd(Sg::ScalarTwoMisc),
    ),
    e(
        "simd_three_same",
        "0 q u 01110 zz 1 mmmmm ooooo 1 nnnnn ddddd",
        F::Simd,
        simd(Sg::ThreeSame),
    ),
    e(
        "simd_scalar_three_same",
        "01 u 11110 zz 1 mmmmm ooooo 1 nnnnn ddddd",
        F::Simd,
        simd(Sg::ScalarThreeSame),
    ),
    e(
        "simd_three_diff",
        "0 q u 01110 zz 1 mmmmm oooo 00 nnnnn ddddd",
        F::Simd,
        simd(Sg::ThreeDiff),
    ),
    e(
        "simd_scalar_three_diff",
        "01 u 11110 zz 1 mmmmm oooo 00 nnnnn ddddd",
        F::Simd,
        simd(Sg::ScalarThreeDiff),
    ),
    e("simd_indexed", "0 q u 01111 zz l m rrrr oooo h 0 nnnnn ddddd", F::Simd, simd(Sg::Indexed)),
    e(
        "simd_scalar_indexed",
        "01 u 11111 zz l m rrrr oooo h 0 nnnnn ddddd",
        F::Simd,
        simd(Sg::ScalarIndexed),
    ),
    e(
        "simd_scalar_copy",
        "01 0 11110000 iiiii 0 0000 1 nnnnn ddddd",
        F::Simd,
        simd(Sg::ScalarCopy),
    ),
    e("simd_copy", "0 q o 01110000 iiiii 0 iiii 1 nnnnn ddddd", F::Simd, simd(Sg::Copy)),
    e("simd_permute", "0 q 001110 zz 0 mmmmm 0 ooo 10 nnnnn ddddd", F::Simd, simd(Sg::Permute)),
    e("simd_extract", "0 q 101110 oo 0 mmmmm 0 iiii 0 nnnnn ddddd", F::Simd, simd(Sg::Extract)),
    e("simd_table", "0 q 001110 oo 0 mmmmm 0 ll o 00 nnnnn ddddd", F::Simd, simd(Sg::Table)),
    e("fp_one_source", "0 0 0 11110 tt 1 oooooo 10000 nnnnn ddddd", F::Simd, simd(Sg::FpOneSource)),
    e("fp_compare", "0 0 0 11110 tt 1 mmmmm 00 1000 nnnnn oo000", F::Simd, simd(Sg::FpCompare)),
    e("fp_imm", "0 0 0 11110 tt 1 iiiiiiii 100 00000 ddddd", F::Simd, simd(Sg::FpImm)),
    e(
        "fp_cond_compare",
        "0 0 0 11110 tt 1 mmmmm cccc 01 nnnnn o vvvv",
        F::Simd,
        simd(Sg::FpCondCompare),
    ),
    e(
        "fp_two_source",
        "0 0 0 11110 tt 1 mmmmm oooo 10 nnnnn ddddd",
        F::Simd,
        simd(Sg::FpTwoSource),
    ),
    e(
        "fp_cond_select",
        "0 0 0 11110 tt 1 mmmmm cccc 11 nnnnn ddddd",
        F::Simd,
        simd(Sg::FpCondSelect),
    ),
    e(
        "fp_three_source",
        "0 0 0 11111 tt o mmmmm o aaaaa nnnnn ddddd",
        F::Simd,
        simd(Sg::FpThreeSource),
    ),
    e("fp_int_conv", "f 0 0 11110 tt 1 rr ooo 000000 nnnnn ddddd", F::Simd, simd(Sg::FpIntConv)),
    e(
        "fp_fixed_conv",
        "f 0 0 11110 tt 0 rr ooo ssssss nnnnn ddddd",
        F::Simd,
        simd(Sg::FpFixedConv),
    ),
    // RCpc load-acquire (in the atomics space: o3 = 1, opc = 100, A = 1,
    // R = 0, Rs = 11111); on one core the same as ldar.
    e("ldapr", "zz 111 0 00 1 0 1 11111 1 100 00 nnnnn ttttt", F::Exclusive, O::LoadAcquire),
];

use SimdGroup as Sg;

const fn simd(g: SimdGroup) -> Opcode {
    O::Simd(g)
}

const fn logic(op: LogicOp, invert: bool) -> Opcode {
    O::LogicReg { op, invert }
}

const fn addsub(sub: bool, flags: bool) -> Opcode {
    O::AddSubShifted { sub, flags }
}

const fn addsub_ext(sub: bool, flags: bool) -> Opcode {
    O::AddSubExtended { sub, flags }
}

/// Every encoding Bohr decodes. Tests that generate random instructions
/// draw from this list: `value | (random & !mask)`.
pub fn encodings() -> impl Iterator<Item = &'static Encoding> {
    A64_TABLE.iter()
}

/// The table entry matching `word`, without checking reserved fields.
pub fn lookup(word: u32) -> Option<&'static Encoding> {
    static A64: Indexed<Encoding> = Indexed::new(A64_TABLE);
    A64.lookup(word)
}

/// Decode the instruction at the start of `bytes` (little-endian).
pub fn decode(bytes: &[u8]) -> Decoded {
    match bytes.first_chunk::<4>() {
        Some(&w) => decode_word(u32::from_le_bytes(w)),
        None => Decoded::Truncated { available: bytes.len() as u8 },
    }
}

/// Decode one instruction word.
pub fn decode_word(word: u32) -> Decoded {
    lookup(word).and_then(|enc| extract(enc, word)).map_or(Decoded::Illegal { word }, Decoded::Insn)
}

/// The Arm ARM's `DecodeBitMasks(N, imms, immr, TRUE, datasize)`: the value
/// of a logical immediate, or `None` for a reserved combination. `sf`
/// selects a 64-bit datasize; a 32-bit one requires `n == 0`.
pub fn decode_bit_masks(n: u32, imms: u32, immr: u32, sf: bool) -> Option<u64> {
    if !sf && n != 0 {
        return None;
    }
    // len = HighestSetBit(N:NOT(imms)); it must be at least 1.
    let combined = (n << 6) | (!imms & 0x3f);
    if combined < 2 {
        return None;
    }
    let len = 31 - combined.leading_zeros();
    let esize = 1u32 << len;
    let levels = esize - 1;
    let s = imms & levels;
    let r = immr & levels;
    // An element of all ones is reserved for immediates.
    if s == levels {
        return None;
    }
    let emask = if esize == 64 { u64::MAX } else { (1u64 << esize) - 1 };
    let welem = (1u64 << (s + 1)) - 1;
    let rotated = if r == 0 { welem } else { ((welem >> r) | (welem << (esize - r))) & emask };
    let mut value = rotated;
    let mut width = esize;
    while width < 64 {
        value |= value << width;
        width *= 2;
    }
    Some(if sf { value } else { value & 0xffff_ffff })
}

/// Extract the operands of `enc` from `w`, or `None` if the word uses a
/// reserved field value.
fn extract(enc: &'static Encoding, w: u32) -> Option<Insn> {
    let sf = bits(w, 31, 31) == 1;
    let mut i = Insn {
        opcode: enc.opcode,
        name: enc.name,
        word: w,
        sf,
        rd: bits(w, 4, 0) as u8,
        rn: bits(w, 9, 5) as u8,
        rm: bits(w, 20, 16) as u8,
        ra: bits(w, 14, 10) as u8,
        imm: 0,
        shift: 0,
        amount: 0,
        cond: 0,
        nzcv: 0,
        immr: 0,
        imms: 0,
        size: bits(w, 31, 30) as u8,
    };
    let imm6 = bits(w, 15, 10);
    let imm19 = sext(bits(w, 23, 5), 19) * 4;
    match enc.format {
        F::Adr | F::Adrp => {
            let raw = sext((bits(w, 23, 5) << 2) | bits(w, 30, 29), 21);
            i.imm = if enc.format == F::Adrp { raw << 12 } else { raw };
        }
        F::AddSubImm => i.imm = (bits(w, 21, 10) as i64) << (12 * bits(w, 22, 22)),
        F::LogicImm => {
            let v = decode_bit_masks(bits(w, 22, 22), bits(w, 15, 10), bits(w, 21, 16), sf)?;
            i.imm = v as i64;
        }
        F::MovWide => {
            let hw = bits(w, 22, 21);
            if !sf && hw >= 2 {
                return None;
            }
            i.imm = bits(w, 20, 5) as i64;
            i.amount = (hw * 16) as u8;
        }
        F::Bitfield => {
            let (n, immr, imms) = (bits(w, 22, 22), bits(w, 21, 16), bits(w, 15, 10));
            if n != sf as u32 || (!sf && (immr >= 32 || imms >= 32)) {
                return None;
            }
            i.immr = immr as u8;
            i.imms = imms as u8;
        }
        F::Extr => {
            if bits(w, 22, 22) != sf as u32 || (!sf && imm6 >= 32) {
                return None;
            }
            i.amount = imm6 as u8;
        }
        F::Branch26 => i.imm = sext(bits(w, 25, 0), 26) * 4,
        F::CondBranch => {
            i.imm = imm19;
            i.cond = bits(w, 3, 0) as u8;
        }
        F::CompareBranch | F::Literal => i.imm = imm19,
        F::TestBranch => {
            i.imm = sext(bits(w, 18, 5), 14) * 4;
            i.amount = ((bits(w, 31, 31) << 5) | bits(w, 23, 19)) as u8;
        }
        F::BranchReg | F::None => {}
        F::Sys => {
            let key = bits(w, 18, 5);
            SYS_OPS.iter().find(|&&(_, k)| k == key)?;
            i.imm = key as i64;
        }
        F::Mrs | F::Msr => {
            let key = bits(w, 19, 5);
            let &(reg, _, writable) = SYSREGS.iter().find(|&&(_, k, _)| k == key)?;
            if enc.format == F::Msr && !writable {
                return None;
            }
            i.opcode = if enc.format == F::Msr { O::Msr(reg) } else { O::Mrs(reg) };
            i.imm = key as i64;
        }
        F::LogicShifted | F::AddSubShifted => {
            let shift = bits(w, 23, 22);
            if (!sf && imm6 >= 32) || (enc.format == F::AddSubShifted && shift == 3) {
                return None;
            }
            i.shift = shift as u8;
            i.amount = imm6 as u8;
        }
        F::AddSubExtended => {
            let amount = bits(w, 12, 10);
            if amount > 4 {
                return None;
            }
            i.shift = bits(w, 15, 13) as u8;
            i.amount = amount as u8;
        }
        F::Rrr | F::Rr | F::Rrrr => {}
        F::CondSelect => i.cond = bits(w, 15, 12) as u8,
        F::CondCompareReg | F::CondCompareImm => {
            i.cond = bits(w, 15, 12) as u8;
            i.nzcv = bits(w, 3, 0) as u8;
            if enc.format == F::CondCompareImm {
                i.imm = bits(w, 20, 16) as i64;
            }
        }
        F::LsUnsigned => i.imm = (bits(w, 21, 10) as i64) << bits(w, 31, 30),
        F::LsImm9 => i.imm = sext(bits(w, 20, 12), 9),
        F::LsRegister => {
            let option = bits(w, 15, 13);
            if option & 2 == 0 {
                return None;
            }
            i.shift = option as u8;
            i.amount = if bits(w, 12, 12) == 1 { bits(w, 31, 30) as u8 } else { 0 };
        }
        F::LsPair => {
            let scale = if bits(w, 31, 31) == 1 { 3 } else { 2 };
            i.imm = sext(bits(w, 21, 15), 7) << scale;
        }
        F::Exclusive | F::Atomic => {}
        F::ExclusivePair => i.size = 2 + bits(w, 30, 30) as u8,
        F::Simd => {}
        F::CasPair => {
            if i.rd & 1 == 1 || i.rm & 1 == 1 {
                return None;
            }
            i.size = 2 + bits(w, 30, 30) as u8;
        }
    }
    Some(i)
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
        assert_eq!(checks::digest(A64_TABLE), 0x131f_d9da_2d02_61a9);
    }

    #[test]
    fn the_index_finds_what_a_walk_of_the_table_finds() {
        checks::index_agrees(&decode_kit::Indexed::new(A64_TABLE));
    }

    #[test]
    fn table_entries_are_well_formed_and_uniquely_named() {
        checks::well_formed(A64_TABLE, 0);
    }

    #[test]
    fn overlapping_entries_are_ordered_most_specific_first() {
        checks::ordered_most_specific_first(A64_TABLE);
    }

    /// Seed values that make an entry's reserved fields legal, so random
    /// filling can reach it.
    fn seed(enc: &Encoding) -> u32 {
        match enc.format {
            F::Sys => sys_key(3, 7, 11, 1) << 5,
            F::Mrs | F::Msr => sysreg_key(3, 3, 13, 0, 2) << 5,
            F::LsRegister => 0b011 << 13,
            // N = sf = 1, a 64-bit element of one set bit.
            F::Bitfield | F::Extr | F::LogicImm => 0x8040_0000,
            _ => 0,
        }
    }

    #[test]
    fn every_entry_is_reachable() {
        let name_of = |w| match decode_word(w) {
            Decoded::Insn(i) => Some(i.name),
            _ => None,
        };
        checks::every_row_reachable(A64_TABLE, (0, 0), |e| e.value | (seed(e) & !e.mask), name_of);
    }

    #[test]
    fn random_fills_of_each_pattern_decode_to_it_or_a_narrower_entry() {
        checks::fills_claimed_by_row_or_narrower(A64_TABLE, |w| lookup(w).map(|e| e.name));
    }

    fn dec(word: u32) -> Insn {
        match decode_word(word) {
            Decoded::Insn(i) => i,
            other => panic!("{word:#010x}: {other:?}"),
        }
    }

    fn illegal(word: u32) {
        assert_eq!(decode_word(word), Decoded::Illegal { word }, "{word:#010x}");
    }

    #[test]
    fn bitmask_immediates_follow_dbm() {
        // Arguments in assembler-field order; the function takes the Arm
        // ARM's (N, imms, immr).
        let dbm = |n, immr, imms, sf| decode_bit_masks(n, imms, immr, sf);
        // dbm(N, immr, imms, sf) → value, from the Arm ARM's examples and
        // assembler output.
        assert_eq!(dbm(1, 0b000000, 0b000000, true), Some(1));
        assert_eq!(dbm(1, 0b000000, 0b111110, true), Some(u64::MAX >> 1));
        assert_eq!(dbm(1, 0b000001, 0b000000, true), Some(1 << 63));
        assert_eq!(dbm(0, 0b000000, 0b111100, true), Some(0x5555_5555_5555_5555));
        assert_eq!(dbm(0, 0b000001, 0b111100, true), Some(0xaaaa_aaaa_aaaa_aaaa));
        assert_eq!(dbm(0, 0b000000, 0b110011, true), Some(0x0f0f_0f0f_0f0f_0f0f));
        assert_eq!(dbm(0, 0b000000, 0b100111, true), Some(0x00ff_00ff_00ff_00ff));
        assert_eq!(dbm(0, 0b000000, 0b011110, false), Some(0x7fff_ffff));
        assert_eq!(dbm(0, 0b011111, 0b000000, false), Some(2));
        assert_eq!(dbm(0, 0b000000, 0b000111, false), Some(0xff));
        assert_eq!(dbm(0, 0b000000, 0b111010, false), Some(0x7777_7777));
        // Reserved: an all-ones element, no element size, N=1 for 32 bits.
        assert_eq!(dbm(1, 0, 0b111111, true), None);
        assert_eq!(dbm(0, 0, 0b011111, false), None);
        assert_eq!(dbm(0, 0, 0b111111, true), None);
        assert_eq!(dbm(0, 0, 0b111110, true), None);
        assert_eq!(dbm(1, 0, 0, false), None);
    }

    #[test]
    fn immediates_and_fields() {
        // add x0, sp, #0xfff, lsl #12
        let i = dec(0x917f_fc00 | (31 << 5));
        assert_eq!((i.sf, i.rd, i.rn, i.imm), (true, 0, 31, 0xfff << 12));
        // adr x0, -1 (largest negative offset is -2^20)
        assert_eq!(dec(0x70ff_ffe0).imm, -1);
        assert_eq!(dec(0x1080_0000).imm, -(1 << 20));
        // adrp x0, page -1
        assert_eq!(dec(0xf0ff_ffe0).imm, -4096);
        // b -4 ; bl +0x7fffffc
        assert_eq!(dec(0x17ff_ffff).imm, -4);
        assert_eq!(dec(0x95ff_ffff).imm, 0x7ff_fffc);
        // b.ne -8
        let i = dec(0x54ff_ffa1);
        assert_eq!((i.imm, i.cond), (-12, 1));
        // tbnz x1, #63, +8
        let i = dec(0xb7f8_0041);
        assert_eq!((i.amount, i.imm, i.rd), (63, 8, 1));
        // ldr x0, [x1, #32760]
        assert_eq!(dec(0xf97f_fc20).imm, 32760);
        // ldur x0, [x1, #-256]
        assert_eq!(dec(0xf850_0020).imm, -256);
        // ldp x0, x1, [sp, #-512]!
        let i = dec(0xa9e0_07e0);
        assert_eq!((i.rd, i.ra, i.rn, i.imm), (0, 1, 31, -512));
        // ldp w0, w1, [sp, #252]
        assert_eq!(dec(0x295f_87e0).imm, 252);
        // movk x0, #0xbeef, lsl #48
        let i = dec(0xf2f7_dde0);
        assert_eq!((i.imm, i.amount), (0xbeef, 48));
        // ldr x0, [x1, w2, sxtw #3]
        let i = dec(0xf862_d820);
        assert_eq!((i.rm, i.shift, i.amount), (2, 0b110, 3));
    }

    #[test]
    fn reserved_fields_are_illegal() {
        illegal(0x1240_0000); // and w0, w0, #imm with N=1
        illegal(0x92400000 | (0b111111 << 10)); // and x0, x0, all-ones element
        illegal(0x12c0_0000); // movn w0 with hw=2
        illegal(0x1340_0000); // sbfm w0 with N=1
        illegal(0x9300_0000); // sbfm x0 with N=0
        illegal(0x1320_0000); // sbfm w0, w0, #32, #0
        illegal(0x0b00_8000); // add w0, w0, w0, lsl #32
        illegal(0x8bc0_0000); // add x0, x0, x0, ror #0
        illegal(0x8b20_1400); // add x0, x0, w0, uxtb #5
        illegal(0xf860_0800); // ldr x0, [x0, w0, option 000]
    }

    #[test]
    fn unknown_system_registers_and_operations_are_illegal() {
        illegal(0xd538_0000); // mrs x0, midr_el1
        illegal(0xd51b_0020); // msr ctr_el0, x0 (read-only)
        illegal(0xd50b_7420); // dc zva, x0
        illegal(0xd508_7500); // ic iallu
        assert_eq!(dec(0xd53b_d040).opcode, O::Mrs(SysReg::TpidrEl0));
        assert_eq!(dec(0xd51b_d040).opcode, O::Msr(SysReg::TpidrEl0));
        assert_eq!(dec(0xd53b_e040).opcode, O::Mrs(SysReg::CntvctEl0));
        assert_eq!(dec(0xd50b_7520).opcode, O::CacheOp); // ic ivau, x0
    }

    #[test]
    fn permanently_undefined_and_unsupported_classes_are_illegal() {
        illegal(0x0000_0000); // udf #0
        illegal(0x0000_dead); // udf #0xdead
        illegal(0xd69f_03e0); // eret
        illegal(0xd71f_0801); // braa x0, x1 (pointer authentication)
        illegal(0xd400_0002); // hvc #0
    }

    #[test]
    fn truncated_input() {
        assert_eq!(decode(&[]), Decoded::Truncated { available: 0 });
        assert_eq!(decode(&[0x1f, 0x20, 0x03]), Decoded::Truncated { available: 3 });
        assert!(matches!(decode(&[0x1f, 0x20, 0x03, 0xd5]), Decoded::Insn(_)));
    }
}
