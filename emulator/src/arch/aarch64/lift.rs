//! aarch64 lifter: decoded instructions → IR ops.
//!
//! Receives bytes from the translator (through `Aarch64::lift_insn`), asks
//! `decode` what they mean and emits IR through `BlockBuilder`. Rules kept
//! throughout:
//! - register 31 is `xzr` (reads 0, writes dropped) or `sp`, per
//!   instruction class: the `*_sp` helpers are used exactly where the Arm
//!   ARM says `X[n]|SP`;
//! - a W-register result is zero-extended into the X register;
//! - every load and store of an instruction comes before its register
//!   writes (writeback included), so a faulting access leaves the
//!   registers untouched; when a load's target is also its written-back
//!   base, the writeback wins, as in QEMU;
//! - results are computed into temporaries before any register is written,
//!   so overlapping operands need no special case;
//! - the flags live in four slots holding 0 or 1 each.

use super::decode::{
    self, AddrMode, AtomicOp, BfOp, CselOp, Decoded, Insn, LogicOp, MemKind, MemOp, MovOp, Opcode,
    PairKind, ShiftKind, SysReg, UnaryOp,
};
use super::regs;
use crate::arch::arm_cond::SubFlags;

mod simd;

use crate::ir::{BinOp, BlockBuilder, Counter, Endian, Exit, Slot, Temp, TrapKind, UnOp, Width};

/// `ctr_el0` as QEMU's `max` CPU reports it: 32-byte minimum cache lines,
/// which is what libc's cache-maintenance loops step by.
pub const CTR_EL0_VALUE: u64 = 0x8003_8003;
/// `dczid_el0`: DZP (bit 4) set, so `dc zva` is prohibited and libc does
/// not use it; block size field 4 (64 bytes) for completeness.
pub const DCZID_EL0_VALUE: u64 = 0x14;
/// `cntfrq_el0`: the generic timer runs at 62.5 MHz, one tick per 16
/// virtual nanoseconds.
pub const CNTFRQ_HZ: u64 = 62_500_000;
/// log2 of virtual nanoseconds per `cntvct_el0` tick.
const CNTVCT_NS_SHIFT: u64 = 4;

/// Lift the one instruction at `pc`; `bytes` holds what is fetchable there.
pub fn lift_insn(pc: u64, bytes: &[u8], b: &mut BlockBuilder) {
    if pc & 3 != 0 {
        // A misaligned pc (a branch to an odd address) cannot fetch an
        // instruction; the IR has no alignment trap, so report the fetch.
        b.insn(pc, bytes.len().min(4) as u8);
        b.exit(Exit::Trap { kind: TrapKind::FetchFault { addr: pc }, pc });
        return;
    }
    match decode::decode(bytes) {
        Decoded::Insn(insn) => {
            Lifter { b, pc, next: pc.wrapping_add(4), read: [None; 32] }.lift(&insn)
        }
        Decoded::Illegal { word } => {
            b.insn(pc, 4);
            b.exit(Exit::Trap { kind: TrapKind::IllegalInstruction { bytes: word, len: 4 }, pc });
        }
        Decoded::Truncated { available } => {
            // The rest of the word is not fetchable: the fault is at the
            // first missing byte.
            b.insn(pc, available);
            let addr = pc.wrapping_add(available as u64);
            b.exit(Exit::Trap { kind: TrapKind::FetchFault { addr }, pc });
        }
    }
}

/// IR width of an access of `1 << size` bytes.
fn width(size: u8) -> Width {
    match size {
        0 => Width::W8,
        1 => Width::W16,
        2 => Width::W32,
        _ => Width::W64,
    }
}

/// All ones in the low `n` bits (`n` in 0..=64).
const fn ones(n: u32) -> u64 {
    if n >= 64 { u64::MAX } else { (1u64 << n) - 1 }
}

/// The four flags as temporaries, each 0 or 1.
#[derive(Clone, Copy)]
struct Flags {
    n: Temp,
    z: Temp,
    c: Temp,
    v: Temp,
    /// Set when the flags are those of a plain subtraction (`cmp`,
    /// `subs`): see `arm_cond`.
    origin: Option<SubFlags>,
}

/// The carry into an addition.
#[derive(Clone, Copy)]
enum CarryIn {
    /// `add`: no carry; `sub` is `a + !b + 1` and takes [`CarryIn::One`].
    Zero,
    One,
    /// `adc`/`sbc`: the C flag.
    Flag,
}

struct Lifter<'a> {
    b: &'a mut BlockBuilder,
    pc: u64,
    /// Address of the next instruction.
    next: u64,
    /// Temporaries already holding x0–x30 and sp (index 31) in this
    /// instruction, so an operand named twice is read once.
    read: [Option<Temp>; 32],
}

impl Lifter<'_> {
    // ---- registers -------------------------------------------------------

    /// Read `x{r}`, with 31 meaning `xzr`.
    fn x(&mut self, r: u8) -> Temp {
        if r == 31 { self.b.konst(0) } else { self.x_sp(r) }
    }

    /// Read `x{r}`, with 31 meaning `sp`.
    fn x_sp(&mut self, r: u8) -> Temp {
        let r = (r & 31) as usize;
        if let Some(t) = self.read[r] {
            return t;
        }
        let slot = if r == 31 { regs::SP } else { regs::x(r as u32) };
        let t = self.b.get(slot);
        self.read[r] = Some(t);
        t
    }

    /// Write `x{r}`, with 31 meaning `xzr` (the write is dropped).
    fn set_x(&mut self, r: u8, t: Temp) {
        if r != 31 {
            self.set_x_sp(r, t);
        }
    }

    /// Write `x{r}`, with 31 meaning `sp`.
    fn set_x_sp(&mut self, r: u8, t: Temp) {
        let r = (r & 31) as usize;
        let slot = if r == 31 { regs::SP } else { regs::x(r as u32) };
        self.b.set(slot, t);
        self.read[r] = Some(t);
    }

    /// The register value of a result: W results are zero-extended.
    fn result(&mut self, sf: bool, t: Temp) -> Temp {
        if sf { t } else { self.b.zext32(t) }
    }

    fn k(&mut self, v: u64) -> Temp {
        self.b.konst(v)
    }

    fn bin(&mut self, op: BinOp, a: Temp, c: Temp) -> Temp {
        self.b.bin(op, a, c)
    }

    fn bini(&mut self, op: BinOp, a: Temp, imm: u64) -> Temp {
        self.b.bini(op, a, imm)
    }

    fn un(&mut self, op: UnOp, a: Temp) -> Temp {
        self.b.un(op, a)
    }

    // ---- flags and conditions --------------------------------------------

    /// `t` with the sign of the operation's width in bit 63: as is for 64
    /// bits, sign-extended from bit 31 for 32 (the form of N and V).
    fn sign_word(&mut self, sf: bool, t: Temp) -> Temp {
        if sf { t } else { self.un(UnOp::Sext32, t) }
    }

    /// Store flags in the slots' forms (see `regs::N`).
    fn write_flags(&mut self, f: Flags) {
        self.b.set(regs::N, f.n);
        self.b.set(regs::Z, f.z);
        self.b.set(regs::C, f.c);
        self.b.set(regs::V, f.v);
        match f.origin {
            Some(o) => o.remember(self.b),
            None => SubFlags::forget(self.b),
        }
    }

    /// N and Z of `r` (a zero-extended result of `sf` width), C = V = 0:
    /// the flags of `ands`, `bics` and `tst`.
    fn logic_flags(&mut self, sf: bool, r: Temp) -> Flags {
        let n = self.sign_word(sf, r);
        let zero = self.k(0);
        Flags { n, z: r, c: zero, v: zero, origin: None }
    }

    /// `a + b + carry` (with `b` inverted first when `sub`), the Arm ARM's
    /// `AddWithCarry`. Returns the zero-extended result and its flags.
    fn add_with_carry(
        &mut self,
        sf: bool,
        a: Temp,
        b: Temp,
        sub: bool,
        carry: CarryIn,
    ) -> (Temp, Flags) {
        if sf {
            let (r, c, bv) = match carry {
                // Plain add and subtract have short carry forms.
                CarryIn::Zero => {
                    let r = self.bin(BinOp::Add, a, b);
                    let c = self.bin(BinOp::LtU, r, a);
                    (r, c, b)
                }
                CarryIn::One => {
                    // b is the subtrahend here (not inverted): a - b has no
                    // borrow exactly when b <= a, and overflows when a and
                    // b differ in sign and r differs from a.
                    let r = self.bin(BinOp::Sub, a, b);
                    let c = self.bin(BinOp::LeU, b, a);
                    let ab = self.bin(BinOp::Xor, a, b);
                    let ar = self.bin(BinOp::Xor, a, r);
                    let o = self.bin(BinOp::And, ab, ar);
                    let origin = Some(SubFlags { a, b, wide: true });
                    return (r, Flags { n: r, z: r, c, v: o, origin });
                }
                CarryIn::Flag => {
                    let bv = if sub { self.un(UnOp::Not, b) } else { b };
                    let cin = self.b.get(regs::C);
                    let s = self.bin(BinOp::Add, a, bv);
                    let r = self.bin(BinOp::Add, s, cin);
                    // Carry out of bit 63: majority(a, b, carry into 63),
                    // as (a & b) | ((a | b) & !r).
                    let ab = self.bin(BinOp::And, a, bv);
                    let aob = self.bin(BinOp::Or, a, bv);
                    let nr = self.un(UnOp::Not, r);
                    let t = self.bin(BinOp::And, aob, nr);
                    let m = self.bin(BinOp::Or, ab, t);
                    let c = self.bini(BinOp::ShrU, m, 63);
                    (r, c, bv)
                }
            };
            // Overflow: both addends differ in sign from the result.
            let ar = self.bin(BinOp::Xor, a, r);
            let br = self.bin(BinOp::Xor, bv, r);
            let o = self.bin(BinOp::And, ar, br);
            (r, Flags { n: r, z: r, c, v: o, origin: None })
        } else {
            // 32 bits: add the zero-extended operands in 64 bits; bit 32 of
            // the sum is the carry.
            let a32 = self.b.zext32(a);
            if let CarryIn::One = carry {
                // Plain subtract: no borrow exactly when b <= a.
                let b32 = self.b.zext32(b);
                let d = self.bin(BinOp::Sub, a32, b32);
                let r = self.b.zext32(d);
                let c = self.bin(BinOp::LeU, b32, a32);
                let ab = self.bin(BinOp::Xor, a32, b32);
                let ar = self.bin(BinOp::Xor, a32, r);
                let o = self.bin(BinOp::And, ab, ar);
                let n = self.sign_word(false, r);
                let v = self.sign_word(false, o);
                let origin = Some(SubFlags { a: a32, b: b32, wide: false });
                return (r, Flags { n, z: r, c, v, origin });
            }
            let bv = if sub { self.un(UnOp::Not, b) } else { b };
            let b32 = self.b.zext32(bv);
            let mut s = self.bin(BinOp::Add, a32, b32);
            if let CarryIn::Flag = carry {
                let cin = self.b.get(regs::C);
                s = self.bin(BinOp::Add, s, cin);
            }
            let r = self.b.zext32(s);
            let c = self.bini(BinOp::ShrU, s, 32);
            let ar = self.bin(BinOp::Xor, a32, r);
            let br = self.bin(BinOp::Xor, b32, r);
            let o = self.bin(BinOp::And, ar, br);
            let n = self.sign_word(false, r);
            let v = self.sign_word(false, o);
            (r, Flags { n, z: r, c, v, origin: None })
        }
    }

    /// 1 when condition `cond` (the 4-bit field) holds on the flags.
    fn cond(&mut self, cond: u8) -> Temp {
        if let Some(t) = SubFlags::recall(self.b).and_then(|o| o.cond(self.b, cond as u32)) {
            return t;
        }
        let t = match cond >> 1 {
            0 => self.flag_z(),
            1 => self.b.get(regs::C),
            2 => self.flag_sign(regs::N),
            3 => self.flag_sign(regs::V),
            4 => {
                // HI: C && !Z.
                let c = self.b.get(regs::C);
                let z = self.b.get(regs::Z);
                let nz = self.bini(BinOp::Ne, z, 0);
                self.bin(BinOp::And, c, nz)
            }
            5 => self.n_equals_v(),
            6 => {
                // GT: !Z && N == V.
                let z = self.b.get(regs::Z);
                let nz = self.bini(BinOp::Ne, z, 0);
                let ge = self.n_equals_v();
                self.bin(BinOp::And, nz, ge)
            }
            // AL, and NV which also means "always" in A64.
            _ => return self.k(1),
        };
        if cond & 1 == 1 { self.bini(BinOp::Xor, t, 1) } else { t }
    }

    /// Z as 0 or 1.
    fn flag_z(&mut self) -> Temp {
        let z = self.b.get(regs::Z);
        self.bini(BinOp::Eq, z, 0)
    }

    /// N or V (bit 63 of its slot) as 0 or 1.
    fn flag_sign(&mut self, slot: Slot) -> Temp {
        let f = self.b.get(slot);
        self.bini(BinOp::ShrU, f, 63)
    }

    /// GE: N == V, that is bit 63 of `n ^ v` is clear.
    fn n_equals_v(&mut self) -> Temp {
        let n = self.b.get(regs::N);
        let v = self.b.get(regs::V);
        let x = self.bin(BinOp::Xor, n, v);
        let zero = self.k(0);
        self.bin(BinOp::LeS, zero, x)
    }

    // ---- operands --------------------------------------------------------

    /// `x{r}` shifted as a shifted-register operand of `sf` width. Bits
    /// above 31 of a W operand may be garbage; callers zero-extend results.
    fn shifted(&mut self, r: u8, kind: ShiftKind, amount: u8, sf: bool) -> Temp {
        let v = self.x(r);
        if amount == 0 {
            return v;
        }
        let amt = amount as u64;
        match (kind, sf) {
            (ShiftKind::Lsl, _) => self.bini(BinOp::Shl, v, amt),
            (ShiftKind::Lsr, true) => self.bini(BinOp::ShrU, v, amt),
            (ShiftKind::Asr, true) => self.bini(BinOp::ShrS, v, amt),
            (ShiftKind::Ror, true) => self.bini(BinOp::RotR, v, amt),
            (ShiftKind::Lsr, false) => {
                let z = self.b.zext32(v);
                self.bini(BinOp::ShrU, z, amt)
            }
            (ShiftKind::Asr, false) => {
                let s = self.b.sext32(v);
                self.bini(BinOp::ShrS, s, amt)
            }
            (ShiftKind::Ror, false) => {
                let amt = self.k(amt);
                self.ror32(v, amt)
            }
        }
    }

    /// Rotate the low 32 bits of `v` right by `amt` (0..=31); the low 32
    /// bits of the result are the rotation, the upper ones are garbage.
    fn ror32(&mut self, v: Temp, amt: Temp) -> Temp {
        let z = self.b.zext32(v);
        let hi = self.bini(BinOp::Shl, z, 32);
        let doubled = self.bin(BinOp::Or, z, hi);
        self.bin(BinOp::RotR, doubled, amt)
    }

    /// `x{r}` extended per `option` (UXTB..SXTX) and shifted left.
    fn extended(&mut self, r: u8, option: u8, amount: u8) -> Temp {
        let v = self.x(r);
        let e = match option {
            0 => self.un(UnOp::Zext8, v),
            1 => self.un(UnOp::Zext16, v),
            2 => self.un(UnOp::Zext32, v),
            4 => self.un(UnOp::Sext8, v),
            5 => self.un(UnOp::Sext16, v),
            6 => self.un(UnOp::Sext32, v),
            // UXTX / SXTX: the whole register.
            _ => v,
        };
        if amount == 0 { e } else { self.bini(BinOp::Shl, e, amount as u64) }
    }

    /// Zero-extend the low `1 << size` bytes of `v`.
    fn zext_size(&mut self, v: Temp, size: u8) -> Temp {
        match size {
            0 => self.un(UnOp::Zext8, v),
            1 => self.un(UnOp::Zext16, v),
            2 => self.un(UnOp::Zext32, v),
            _ => v,
        }
    }

    /// Sign-extend the low `1 << size` bytes of `v`.
    fn sext_size(&mut self, v: Temp, size: u8) -> Temp {
        match size {
            0 => self.un(UnOp::Sext8, v),
            1 => self.un(UnOp::Sext16, v),
            2 => self.un(UnOp::Sext32, v),
            _ => v,
        }
    }

    fn load(&mut self, addr: Temp, size: u8, signed: bool) -> Temp {
        self.b.load(addr, width(size), signed, Endian::Little)
    }

    fn store(&mut self, addr: Temp, v: Temp, size: u8) {
        self.b.store(addr, v, width(size), Endian::Little);
    }

    // ---- instructions ----------------------------------------------------

    fn lift(&mut self, i: &Insn) {
        self.b.insn(self.pc, 4);
        let sf = i.sf;
        match i.opcode {
            Opcode::Adr { page } => {
                let base = if page { self.pc & !0xfff } else { self.pc };
                let v = self.k(base.wrapping_add(i.imm as u64));
                self.set_x(i.rd, v);
            }
            Opcode::AddSubImm { sub, flags } => {
                let a = self.x_sp(i.rn);
                if flags {
                    let c = self.k(i.imm as u64);
                    let carry = if sub { CarryIn::One } else { CarryIn::Zero };
                    let (r, f) = self.add_with_carry(sf, a, c, sub, carry);
                    self.write_flags(f);
                    self.set_x(i.rd, r);
                } else {
                    let r = match (i.imm, sub) {
                        // `mov` to or from sp.
                        (0, _) => a,
                        (_, false) => self.bini(BinOp::Add, a, i.imm as u64),
                        (_, true) => self.bini(BinOp::Sub, a, i.imm as u64),
                    };
                    let r = self.result(sf, r);
                    self.set_x_sp(i.rd, r);
                }
            }
            Opcode::LogicImm(op) => {
                let r = if i.rn == 31 && op == LogicOp::Orr {
                    // `mov xd, #bitmask`.
                    self.k(i.imm as u64)
                } else {
                    let a = self.x(i.rn);
                    let c = self.k(i.imm as u64);
                    let r = self.logic(op, a, c);
                    self.result(sf, r)
                };
                if op == LogicOp::Ands {
                    let f = self.logic_flags(sf, r);
                    self.write_flags(f);
                    self.set_x(i.rd, r);
                } else {
                    self.set_x_sp(i.rd, r);
                }
            }
            Opcode::MovWide(op) => {
                let shifted = (i.imm as u64) << i.amount;
                let mask = if sf { u64::MAX } else { 0xffff_ffff };
                let r = match op {
                    MovOp::Z => self.k(shifted),
                    MovOp::N => self.k(!shifted & mask),
                    MovOp::K => {
                        let old = self.x(i.rd);
                        let kept = self.bini(BinOp::And, old, !(0xffff << i.amount) & mask);
                        self.bini(BinOp::Or, kept, shifted)
                    }
                };
                self.set_x(i.rd, r);
            }
            Opcode::Bitfield(op) => self.bitfield(i, op),
            Opcode::Extr => self.extr(i),
            Opcode::Branch { link } => {
                if link {
                    let ret = self.k(self.next);
                    self.b.set(regs::LR, ret);
                }
                self.b.exit(Exit::Jump(self.pc.wrapping_add(i.imm as u64)));
            }
            Opcode::BranchCond => {
                let target = self.pc.wrapping_add(i.imm as u64);
                if i.cond >= 14 {
                    self.b.exit(Exit::Jump(target));
                } else {
                    let taken = self.cond(i.cond);
                    self.b.exit_if(taken, Exit::Jump(target));
                    self.b.exit(Exit::Jump(self.next));
                }
            }
            Opcode::CompareBranch { nonzero } => {
                let v = self.x(i.rd);
                let v = self.result(sf, v);
                let taken = self.bini(if nonzero { BinOp::Ne } else { BinOp::Eq }, v, 0);
                self.b.exit_if(taken, Exit::Jump(self.pc.wrapping_add(i.imm as u64)));
                self.b.exit(Exit::Jump(self.next));
            }
            Opcode::TestBranch { nonzero } => {
                let v = self.x(i.rd);
                let bit = self.bini(BinOp::And, v, 1u64 << i.amount);
                let taken = self.bini(if nonzero { BinOp::Ne } else { BinOp::Eq }, bit, 0);
                self.b.exit_if(taken, Exit::Jump(self.pc.wrapping_add(i.imm as u64)));
                self.b.exit(Exit::Jump(self.next));
            }
            Opcode::BranchReg { link } => {
                // Target first: blr x30 jumps to the old x30.
                let target = self.x(i.rn);
                if link {
                    let ret = self.k(self.next);
                    self.b.set(regs::LR, ret);
                }
                self.b.exit(Exit::JumpIndirect(target));
            }
            Opcode::Svc => self.b.exit(Exit::Syscall { next_pc: self.next }),
            Opcode::Brk => self.b.exit(Exit::Trap { kind: TrapKind::Breakpoint, pc: self.pc }),
            Opcode::Hint | Opcode::Barrier | Opcode::CacheOp => {}
            Opcode::Clrex => self.b.set_const(regs::MONITOR, regs::NO_MONITOR),
            Opcode::Isb => {
                // Stores to translated code already end their block; ending
                // this one too makes the following code be fetched afresh.
                self.b.exit(Exit::Jump(self.next));
            }
            Opcode::Mrs(reg) => {
                let v = self.read_sysreg(reg);
                self.set_x(i.rd, v);
            }
            Opcode::Msr(reg) => {
                let v = self.x(i.rd);
                self.write_sysreg(reg, v);
            }
            Opcode::LogicReg { op, invert } => {
                let kind = ShiftKind::from_bits(i.shift as u32);
                let r = if i.rn == 31 && op == LogicOp::Orr && !invert && i.amount == 0 {
                    // `mov xd, xm`.
                    let m = self.x(i.rm);
                    self.result(sf, m)
                } else {
                    let c = self.shifted(i.rm, kind, i.amount, sf);
                    let c = if invert { self.un(UnOp::Not, c) } else { c };
                    let r = if i.rn == 31 && op == LogicOp::Orr {
                        // `mvn` and shifted moves.
                        c
                    } else {
                        let a = self.x(i.rn);
                        self.logic(op, a, c)
                    };
                    self.result(sf, r)
                };
                if op == LogicOp::Ands {
                    let f = self.logic_flags(sf, r);
                    self.write_flags(f);
                }
                self.set_x(i.rd, r);
            }
            Opcode::AddSubShifted { sub, flags } => {
                let a = self.x(i.rn);
                let c = self.shifted(i.rm, ShiftKind::from_bits(i.shift as u32), i.amount, sf);
                self.add_sub(i, a, c, sub, flags, false);
            }
            Opcode::AddSubExtended { sub, flags } => {
                let a = self.x_sp(i.rn);
                let c = self.extended(i.rm, i.shift, i.amount);
                self.add_sub(i, a, c, sub, flags, true);
            }
            Opcode::AddSubCarry { sub, flags } => {
                let a = self.x(i.rn);
                let c = self.x(i.rm);
                let (r, f) = self.add_with_carry(sf, a, c, sub, CarryIn::Flag);
                if flags {
                    self.write_flags(f);
                }
                self.set_x(i.rd, r);
            }
            Opcode::CondCompare { neg, imm } => {
                let holds = self.cond(i.cond);
                let a = self.x(i.rn);
                let c = if imm { self.k(i.imm as u64) } else { self.x(i.rm) };
                // ccmp compares (a - c), ccmn (a + c).
                let carry = if neg { CarryIn::Zero } else { CarryIn::One };
                let (_, f) = self.add_with_carry(sf, a, c, !neg, carry);
                // The forced flags, in the slots' forms.
                let pick = |l: &mut Self, computed: Temp, bit: u8| {
                    let set = (i.nzcv >> bit) & 1 == 1;
                    let forced = l.k(match bit {
                        3 | 0 => (set as u64) << 63,
                        2 => !set as u64,
                        _ => set as u64,
                    });
                    l.b.select(holds, computed, forced)
                };
                let f = Flags {
                    n: pick(self, f.n, 3),
                    z: pick(self, f.z, 2),
                    c: pick(self, f.c, 1),
                    v: pick(self, f.v, 0),
                    origin: None,
                };
                self.write_flags(f);
            }
            Opcode::CondSelect(op) => {
                let holds = self.cond(i.cond);
                let a = self.x(i.rn);
                let m = self.x(i.rm);
                let other = match op {
                    CselOp::Csel => m,
                    CselOp::Csinc => self.bini(BinOp::Add, m, 1),
                    CselOp::Csinv => self.un(UnOp::Not, m),
                    CselOp::Csneg => self.un(UnOp::Neg, m),
                };
                let r = self.b.select(holds, a, other);
                let r = self.result(sf, r);
                self.set_x(i.rd, r);
            }
            Opcode::MulAdd { sub } => {
                let n = self.x(i.rn);
                let m = self.x(i.rm);
                let p = self.bin(BinOp::Mul, n, m);
                let r = if i.ra == 31 && !sub {
                    p
                } else {
                    let a = self.x(i.ra);
                    self.bin(if sub { BinOp::Sub } else { BinOp::Add }, a, p)
                };
                let r = self.result(sf, r);
                self.set_x(i.rd, r);
            }
            Opcode::MulAddLong { signed, sub } => {
                let n = self.x(i.rn);
                let m = self.x(i.rm);
                let ext = if signed { UnOp::Sext32 } else { UnOp::Zext32 };
                let n = self.un(ext, n);
                let m = self.un(ext, m);
                let p = self.bin(BinOp::Mul, n, m);
                let a = self.x(i.ra);
                let r = self.bin(if sub { BinOp::Sub } else { BinOp::Add }, a, p);
                self.set_x(i.rd, r);
            }
            Opcode::MulHigh { signed } => {
                let n = self.x(i.rn);
                let m = self.x(i.rm);
                let r = self.bin(if signed { BinOp::MulHiS } else { BinOp::MulHiU }, n, m);
                self.set_x(i.rd, r);
            }
            Opcode::Div { signed } => {
                // The IR's division is AArch64's: x / 0 = 0, MIN / -1 = MIN.
                let n = self.x(i.rn);
                let m = self.x(i.rm);
                let op = if signed { BinOp::DivS } else { BinOp::DivU };
                let r = if sf {
                    self.bin(op, n, m)
                } else {
                    // Extending both makes the 64-bit quotient exact; a
                    // 32-bit MIN / -1 gives 2^31, which truncates to MIN.
                    let ext = if signed { UnOp::Sext32 } else { UnOp::Zext32 };
                    let n = self.un(ext, n);
                    let m = self.un(ext, m);
                    let q = self.bin(op, n, m);
                    self.b.zext32(q)
                };
                self.set_x(i.rd, r);
            }
            Opcode::Crc32 { bytes, castagnoli } => {
                // The ARM ARM's bit-reversed polynomial division, done
                // LSB first: fold the data into the accumulator, then one
                // conditional subtraction of the reflected polynomial per
                // data bit.
                let poly = if castagnoli { 0x82f6_3b78 } else { 0xedb8_8320 };
                let acc = self.x(i.rn);
                let acc = self.b.zext32(acc);
                let val = self.x(i.rm);
                let val = if bytes == 8 {
                    val
                } else {
                    self.bini(BinOp::And, val, (1u64 << (8 * bytes)) - 1)
                };
                let mut crc = self.bin(BinOp::Xor, acc, val);
                let p = self.b.konst(poly);
                let zero = self.b.konst(0);
                for _ in 0..8 * bytes {
                    let low = self.bini(BinOp::And, crc, 1);
                    let sub = self.b.select(low, p, zero);
                    let shifted = self.bini(BinOp::ShrU, crc, 1);
                    crc = self.bin(BinOp::Xor, shifted, sub);
                }
                let r = self.b.zext32(crc);
                self.set_x(i.rd, r);
            }
            Opcode::ShiftVar(kind) => {
                let n = self.x(i.rn);
                let m = self.x(i.rm);
                let r = if sf {
                    // IR shift amounts are taken modulo 64, as here.
                    let op = match kind {
                        ShiftKind::Lsl => BinOp::Shl,
                        ShiftKind::Lsr => BinOp::ShrU,
                        ShiftKind::Asr => BinOp::ShrS,
                        ShiftKind::Ror => BinOp::RotR,
                    };
                    self.bin(op, n, m)
                } else {
                    let amt = self.bini(BinOp::And, m, 31);
                    let r = match kind {
                        ShiftKind::Lsl => self.bin(BinOp::Shl, n, amt),
                        ShiftKind::Lsr => {
                            let z = self.b.zext32(n);
                            self.bin(BinOp::ShrU, z, amt)
                        }
                        ShiftKind::Asr => {
                            let s = self.b.sext32(n);
                            self.bin(BinOp::ShrS, s, amt)
                        }
                        ShiftKind::Ror => self.ror32(n, amt),
                    };
                    self.b.zext32(r)
                };
                self.set_x(i.rd, r);
            }
            Opcode::Unary(op) => {
                let v = self.x(i.rn);
                let r = self.unary(op, v, sf);
                self.set_x(i.rd, r);
            }
            Opcode::LoadLiteral(op) => {
                if op.kind != MemKind::Prefetch {
                    let addr = self.k(self.pc.wrapping_add(i.imm as u64));
                    let v = self.load_value(addr, op);
                    self.set_x(i.rd, v);
                }
            }
            Opcode::LoadStore { op, mode } => self.load_store(i, op, mode),
            Opcode::Pair { kind, size, mode } => self.pair(i, kind, size, mode),
            Opcode::LoadExclusive => {
                let addr = self.x_sp(i.rn);
                let v = self.load(addr, i.size, false);
                self.b.set(regs::MONITOR, addr);
                self.set_x(i.rd, v);
            }
            Opcode::LoadExclusivePair => {
                let addr = self.x_sp(i.rn);
                let v1 = self.load(addr, i.size, false);
                let addr2 = self.bini(BinOp::Add, addr, 1u64 << i.size);
                let v2 = self.load(addr2, i.size, false);
                self.b.set(regs::MONITOR, addr);
                self.set_x(i.rd, v1);
                self.set_x(i.ra, v2);
            }
            Opcode::StoreExclusive | Opcode::StoreExclusivePair => {
                let pair = i.opcode == Opcode::StoreExclusivePair;
                let addr = self.x_sp(i.rn);
                let v1 = self.x(i.rd);
                let v2 = if pair { Some(self.x(i.ra)) } else { None };
                let held = self.b.get(regs::MONITOR);
                // 1 on failure, 0 on success: exactly the status written.
                let failed = self.bin(BinOp::Ne, held, addr);
                let skip = self.b.label();
                self.b.branch_if(failed, skip);
                self.store(addr, v1, i.size);
                if let Some(v2) = v2 {
                    let addr2 = self.bini(BinOp::Add, addr, 1u64 << i.size);
                    self.store(addr2, v2, i.size);
                }
                self.b.place(skip);
                self.b.set_const(regs::MONITOR, regs::NO_MONITOR);
                self.set_x(i.rm, failed);
            }
            Opcode::LoadAcquire => {
                let addr = self.x_sp(i.rn);
                let v = self.load(addr, i.size, false);
                self.set_x(i.rd, v);
            }
            Opcode::StoreRelease => {
                let addr = self.x_sp(i.rn);
                let v = self.x(i.rd);
                self.store(addr, v, i.size);
            }
            Opcode::Atomic(op) => self.atomic(i, op),
            Opcode::Cas => {
                let addr = self.x_sp(i.rn);
                let expected = self.x(i.rm);
                let expected = self.zext_size(expected, i.size);
                let new = self.x(i.rd);
                let old = self.load(addr, i.size, false);
                let equal = self.bin(BinOp::Eq, old, expected);
                // The store happens either way (of the old value on a
                // mismatch), so a read-only location faults like QEMU's
                // host compare-and-swap does.
                let stored = self.b.select(equal, new, old);
                self.store(addr, stored, i.size);
                self.set_x(i.rm, old);
            }
            Opcode::Simd(g) => {
                if !self.simd(g, i) {
                    let kind = TrapKind::IllegalInstruction { bytes: i.word, len: 4 };
                    self.b.exit(Exit::Trap { kind, pc: self.pc });
                }
            }
            Opcode::CasPair => {
                let addr = self.x_sp(i.rn);
                let addr2 = self.bini(BinOp::Add, addr, 1u64 << i.size);
                let e1 = self.x(i.rm);
                let e2 = self.x(i.rm + 1);
                let e1 = self.zext_size(e1, i.size);
                let e2 = self.zext_size(e2, i.size);
                let n1 = self.x(i.rd);
                let n2 = self.x(i.rd + 1);
                let o1 = self.load(addr, i.size, false);
                let o2 = self.load(addr2, i.size, false);
                let eq1 = self.bin(BinOp::Eq, o1, e1);
                let eq2 = self.bin(BinOp::Eq, o2, e2);
                let equal = self.bin(BinOp::And, eq1, eq2);
                let s1 = self.b.select(equal, n1, o1);
                let s2 = self.b.select(equal, n2, o2);
                self.store(addr, s1, i.size);
                self.store(addr2, s2, i.size);
                self.set_x(i.rm, o1);
                self.set_x(i.rm + 1, o2);
            }
        }
    }

    fn logic(&mut self, op: LogicOp, a: Temp, c: Temp) -> Temp {
        let bop = match op {
            LogicOp::And | LogicOp::Ands => BinOp::And,
            LogicOp::Orr => BinOp::Or,
            LogicOp::Eor => BinOp::Xor,
        };
        self.bin(bop, a, c)
    }

    /// Shared tail of the shifted- and extended-register add/sub forms.
    /// Only the extended form may write `sp` (when it sets no flags).
    fn add_sub(&mut self, i: &Insn, a: Temp, c: Temp, sub: bool, flags: bool, rd_sp: bool) {
        if flags {
            let carry = if sub { CarryIn::One } else { CarryIn::Zero };
            let (r, f) = self.add_with_carry(i.sf, a, c, sub, carry);
            self.write_flags(f);
            self.set_x(i.rd, r);
            return;
        }
        let r = self.bin(if sub { BinOp::Sub } else { BinOp::Add }, a, c);
        let r = self.result(i.sf, r);
        if rd_sp { self.set_x_sp(i.rd, r) } else { self.set_x(i.rd, r) }
    }

    /// `sbfm`, `bfm`, `ubfm` and all their aliases. With R = immr and
    /// S = imms in a datasize of `ds` bits, the Arm ARM's wmask/tmask
    /// formulation reduces to two shapes: S >= R extracts bits S..R to the
    /// bottom; S < R places bits S..0 at bit ds - R.
    fn bitfield(&mut self, i: &Insn, op: BfOp) {
        let sf = i.sf;
        let ds: u32 = if sf { 64 } else { 32 };
        let (r, s) = (i.immr as u32, i.imms as u32);
        let src = self.x(i.rn);
        let value = if s >= r {
            let w = s - r + 1;
            match op {
                BfOp::Unsigned if s == ds - 1 => {
                    // lsr (or a plain move when r == 0).
                    let z = self.result(sf, src);
                    if r == 0 { z } else { self.bini(BinOp::ShrU, z, r as u64) }
                }
                BfOp::Unsigned => {
                    let t = if r == 0 { src } else { self.bini(BinOp::ShrU, src, r as u64) };
                    self.bini(BinOp::And, t, ones(w))
                }
                BfOp::Signed => {
                    let t = match (r, s) {
                        (0, 7) => self.un(UnOp::Sext8, src),
                        (0, 15) => self.un(UnOp::Sext16, src),
                        (0, 31) => self.un(UnOp::Sext32, src),
                        _ => {
                            // Move bit S to bit 63, then shift back
                            // arithmetically so bit R lands at bit 0.
                            let up = self.bini(BinOp::Shl, src, (63 - s) as u64);
                            self.bini(BinOp::ShrS, up, (63 - s + r) as u64)
                        }
                    };
                    self.result(sf, t)
                }
                BfOp::Insert => {
                    let t = if r == 0 { src } else { self.bini(BinOp::ShrU, src, r as u64) };
                    let field = self.bini(BinOp::And, t, ones(w));
                    let dst = self.x(i.rd);
                    let kept = self.bini(BinOp::And, dst, !ones(w));
                    let v = self.bin(BinOp::Or, kept, field);
                    self.result(sf, v)
                }
            }
        } else {
            let w = s + 1;
            let pos = (ds - r) as u64;
            match op {
                BfOp::Unsigned if s + 1 == r => {
                    // lsl: the field reaches the top of the register.
                    let t = self.bini(BinOp::Shl, src, pos);
                    self.result(sf, t)
                }
                BfOp::Unsigned => {
                    let field = self.bini(BinOp::And, src, ones(w));
                    self.bini(BinOp::Shl, field, pos)
                }
                BfOp::Signed => {
                    let up = self.bini(BinOp::Shl, src, (63 - s) as u64);
                    let field = self.bini(BinOp::ShrS, up, (63 - s) as u64);
                    let t = self.bini(BinOp::Shl, field, pos);
                    self.result(sf, t)
                }
                BfOp::Insert => {
                    let masked = self.bini(BinOp::And, src, ones(w));
                    let field = self.bini(BinOp::Shl, masked, pos);
                    let dst = self.x(i.rd);
                    let kept = self.bini(BinOp::And, dst, !(ones(w) << pos));
                    let v = self.bin(BinOp::Or, kept, field);
                    self.result(sf, v)
                }
            }
        };
        self.set_x(i.rd, value);
    }

    /// `extr` (and its alias `ror` when both sources are one register).
    fn extr(&mut self, i: &Insn) {
        let lsb = i.amount as u64;
        let m = self.x(i.rm);
        let r = if i.sf {
            if lsb == 0 {
                m
            } else if i.rn == i.rm {
                self.bini(BinOp::RotR, m, lsb)
            } else {
                let n = self.x(i.rn);
                let lo = self.bini(BinOp::ShrU, m, lsb);
                let hi = self.bini(BinOp::Shl, n, 64 - lsb);
                self.bin(BinOp::Or, lo, hi)
            }
        } else {
            let m = self.b.zext32(m);
            if lsb == 0 {
                m
            } else {
                let n = self.x(i.rn);
                let lo = self.bini(BinOp::ShrU, m, lsb);
                let hi = self.bini(BinOp::Shl, n, 32 - lsb);
                let v = self.bin(BinOp::Or, lo, hi);
                self.b.zext32(v)
            }
        };
        self.set_x(i.rd, r);
    }

    fn unary(&mut self, op: UnaryOp, v: Temp, sf: bool) -> Temp {
        match op {
            UnaryOp::Rbit => {
                let r = self.rbit64(v);
                if sf { r } else { self.bini(BinOp::ShrU, r, 32) }
            }
            UnaryOp::Rev16 => {
                const EVEN_BYTES: u64 = 0x00ff_00ff_00ff_00ff;
                let hi = self.bini(BinOp::ShrU, v, 8);
                let hi = self.bini(BinOp::And, hi, EVEN_BYTES);
                let lo = self.bini(BinOp::And, v, EVEN_BYTES);
                let lo = self.bini(BinOp::Shl, lo, 8);
                let r = self.bin(BinOp::Or, hi, lo);
                self.result(sf, r)
            }
            UnaryOp::Rev32 if sf => {
                let r = self.un(UnOp::Bswap64, v);
                self.bini(BinOp::RotR, r, 32)
            }
            UnaryOp::Rev32 => self.un(UnOp::Bswap32, v),
            UnaryOp::Rev64 => self.un(UnOp::Bswap64, v),
            UnaryOp::Clz if sf => self.un(UnOp::Clz, v),
            UnaryOp::Clz => {
                let z = self.b.zext32(v);
                let c = self.un(UnOp::Clz, z);
                self.bini(BinOp::Sub, c, 32)
            }
            UnaryOp::Cls => {
                // Leading sign bits: clz(x ^ (x >> 1)) - 1, where the
                // arithmetic shift pairs each bit with the one above it.
                let x = if sf { v } else { self.b.sext32(v) };
                let half = self.bini(BinOp::ShrS, x, 1);
                let diff = self.bin(BinOp::Xor, x, half);
                let c = self.un(UnOp::Clz, diff);
                self.bini(BinOp::Sub, c, if sf { 1 } else { 33 })
            }
        }
    }

    /// Reverse the 64 bits of `v`: reverse the bytes, then the bits in
    /// each byte by swapping nibbles, pairs and single bits.
    fn rbit64(&mut self, v: Temp) -> Temp {
        let mut x = self.un(UnOp::Bswap64, v);
        for (shift, mask) in
            [(4, 0x0f0f_0f0f_0f0f_0f0fu64), (2, 0x3333_3333_3333_3333), (1, 0x5555_5555_5555_5555)]
        {
            let hi = self.bini(BinOp::ShrU, x, shift);
            let hi = self.bini(BinOp::And, hi, mask);
            let lo = self.bini(BinOp::And, x, mask);
            let lo = self.bini(BinOp::Shl, lo, shift);
            x = self.bin(BinOp::Or, hi, lo);
        }
        x
    }

    fn read_sysreg(&mut self, reg: SysReg) -> Temp {
        match reg {
            SysReg::TpidrEl0 => self.b.get(regs::TPIDR_EL0),
            SysReg::Fpcr => self.b.get(regs::FPCR),
            SysReg::Fpsr => {
                let rest = self.b.get(regs::FPSR);
                let f = self.b.get(regs::FP_FLAGS);
                let f = self.fpsr_swap(f);
                self.bin(BinOp::Or, rest, f)
            }
            SysReg::Nzcv => {
                let n = self.flag_sign(regs::N);
                let z = self.flag_z();
                let c = self.b.get(regs::C);
                let v = self.flag_sign(regs::V);
                let mut acc = self.k(0);
                for (f, bit) in [(n, 31), (z, 30), (c, 29), (v, 28)] {
                    let placed = self.bini(BinOp::Shl, f, bit);
                    acc = self.bin(BinOp::Or, acc, placed);
                }
                acc
            }
            SysReg::CtrEl0 => self.k(CTR_EL0_VALUE),
            SysReg::DczidEl0 => self.k(DCZID_EL0_VALUE),
            SysReg::CntfrqEl0 => self.k(CNTFRQ_HZ),
            SysReg::CntvctEl0 => {
                let ns = self.b.counter(Counter::VirtualNs);
                self.bini(BinOp::ShrU, ns, CNTVCT_NS_SHIFT)
            }
        }
    }

    /// [`regs::fpsr_flags_swap`] in IR.
    fn fpsr_swap(&mut self, f: Temp) -> Temp {
        let mut acc = self.k(0);
        for (x, y) in regs::FPSR_FLAG_BITS {
            let dirs = [(x, y), (y, x)];
            for &(from, to) in &dirs[..if x == y { 1 } else { 2 }] {
                let b = self.bini(BinOp::ShrU, f, from as u64);
                let b = self.bini(BinOp::And, b, 1);
                let b = self.bini(BinOp::Shl, b, to as u64);
                acc = self.bin(BinOp::Or, acc, b);
            }
        }
        acc
    }

    fn write_sysreg(&mut self, reg: SysReg, v: Temp) {
        let masked = |l: &mut Self, slot: Slot, mask: u64| {
            let m = l.bini(BinOp::And, v, mask);
            l.b.set(slot, m);
        };
        match reg {
            SysReg::TpidrEl0 => self.b.set(regs::TPIDR_EL0, v),
            SysReg::Fpcr => masked(self, regs::FPCR, regs::FPCR_WRITABLE),
            SysReg::Fpsr => {
                masked(self, regs::FPSR, regs::FPSR_WRITABLE & !regs::FPSR_CUMULATIVE);
                let f = self.bini(BinOp::And, v, regs::FPSR_CUMULATIVE);
                let f = self.fpsr_swap(f);
                self.b.set(regs::FP_FLAGS, f);
            }
            SysReg::Nzcv => {
                // Into the slots' forms: N and V to bit 63, Z inverted.
                let bit = |l: &mut Self, b: u64| {
                    let s = l.bini(BinOp::ShrU, v, b);
                    l.bini(BinOp::And, s, 1)
                };
                let n = bit(self, 31);
                let n = self.bini(BinOp::Shl, n, 63);
                let z = bit(self, 30);
                let z = self.bini(BinOp::Xor, z, 1);
                let c = bit(self, 29);
                let vf = bit(self, 28);
                let vf = self.bini(BinOp::Shl, vf, 63);
                self.write_flags(Flags { n, z, c, v: vf, origin: None });
            }
            // The decoder admits only writable registers to `msr`.
            SysReg::CtrEl0 | SysReg::DczidEl0 | SysReg::CntfrqEl0 | SysReg::CntvctEl0 => {}
        }
    }

    /// Load the value a load of kind `op` puts in its register.
    fn load_value(&mut self, addr: Temp, op: MemOp) -> Temp {
        match op.kind {
            MemKind::LoadSigned64 => self.load(addr, op.size, true),
            MemKind::LoadSigned32 => {
                let v = self.load(addr, op.size, true);
                self.b.zext32(v)
            }
            _ => self.load(addr, op.size, false),
        }
    }

    fn load_store(&mut self, i: &Insn, op: MemOp, mode: AddrMode) {
        let base = self.x_sp(i.rn);
        let addr = match mode {
            AddrMode::Offset | AddrMode::PreIndex if i.imm != 0 => {
                self.bini(BinOp::Add, base, i.imm as u64)
            }
            AddrMode::Offset | AddrMode::PreIndex | AddrMode::PostIndex => base,
            AddrMode::Register => {
                let off = self.extended(i.rm, i.shift, i.amount);
                self.bin(BinOp::Add, base, off)
            }
        };
        match op.kind {
            // A hint: no access, so no fault either.
            MemKind::Prefetch => {}
            MemKind::Store => {
                let v = self.x(i.rd);
                self.store(addr, v, op.size);
            }
            _ => {
                let v = self.load_value(addr, op);
                self.set_x(i.rd, v);
            }
        }
        self.writeback(i, mode, base, addr);
    }

    /// Base register update of the pre- and post-index forms, after the
    /// accesses and the loaded registers.
    fn writeback(&mut self, i: &Insn, mode: AddrMode, base: Temp, addr: Temp) {
        match mode {
            AddrMode::PreIndex => self.set_x_sp(i.rn, addr),
            AddrMode::PostIndex => {
                let updated = self.bini(BinOp::Add, base, i.imm as u64);
                self.set_x_sp(i.rn, updated);
            }
            AddrMode::Offset | AddrMode::Register => {}
        }
    }

    fn pair(&mut self, i: &Insn, kind: PairKind, size: u8, mode: AddrMode) {
        let base = self.x_sp(i.rn);
        let addr = match mode {
            AddrMode::PostIndex => base,
            _ if i.imm == 0 => base,
            _ => self.bini(BinOp::Add, base, i.imm as u64),
        };
        let addr2 = self.bini(BinOp::Add, addr, 1u64 << size);
        match kind {
            PairKind::Store => {
                let v1 = self.x(i.rd);
                let v2 = self.x(i.ra);
                self.store(addr, v1, size);
                self.store(addr2, v2, size);
            }
            PairKind::Load | PairKind::LoadSignedWord => {
                let signed = kind == PairKind::LoadSignedWord;
                let v1 = self.load(addr, size, signed);
                let v2 = self.load(addr2, size, signed);
                self.set_x(i.rd, v1);
                self.set_x(i.ra, v2);
            }
        }
        self.writeback(i, mode, base, addr);
    }

    /// An LSE atomic: load, combine with rs, store; rt gets the old value
    /// (zero-extended from the access size).
    fn atomic(&mut self, i: &Insn, op: AtomicOp) {
        let size = i.size;
        let addr = self.x_sp(i.rn);
        let s = self.x(i.rm);
        let old = self.load(addr, size, false);
        let new = match op {
            AtomicOp::Add => self.bin(BinOp::Add, old, s),
            AtomicOp::Clr => {
                let ns = self.un(UnOp::Not, s);
                self.bin(BinOp::And, old, ns)
            }
            AtomicOp::Eor => self.bin(BinOp::Xor, old, s),
            AtomicOp::Set => self.bin(BinOp::Or, old, s),
            AtomicOp::Swp => s,
            AtomicOp::Smax | AtomicOp::Smin => {
                let a = self.sext_size(old, size);
                let c = self.sext_size(s, size);
                let lt = self.bin(BinOp::LtS, a, c);
                if op == AtomicOp::Smax { self.b.select(lt, c, a) } else { self.b.select(lt, a, c) }
            }
            AtomicOp::Umax | AtomicOp::Umin => {
                let c = self.zext_size(s, size);
                let lt = self.bin(BinOp::LtU, old, c);
                if op == AtomicOp::Umax {
                    self.b.select(lt, c, old)
                } else {
                    self.b.select(lt, old, c)
                }
            }
        };
        self.store(addr, new, size);
        self.set_x(i.rd, old);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Block, Op};

    fn lift(word: u32) -> Block {
        let mut b = BlockBuilder::new(0x1000);
        lift_insn(0x1000, &word.to_le_bytes(), &mut b);
        b.finish()
    }

    fn sets(block: &Block) -> Vec<u16> {
        block
            .ops
            .iter()
            .filter_map(|op| match op {
                Op::Set { slot, .. } => Some(slot.0),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn illegal_truncated_and_misaligned() {
        let block = lift(0x0000_dead); // udf #0xdead
        assert_eq!(
            block.exit,
            Exit::Trap {
                kind: TrapKind::IllegalInstruction { bytes: 0x0000_dead, len: 4 },
                pc: 0x1000
            }
        );
        let mut b = BlockBuilder::new(0x1000);
        lift_insn(0x1000, &[0x1f, 0x20], &mut b);
        assert_eq!(
            b.finish().exit,
            Exit::Trap { kind: TrapKind::FetchFault { addr: 0x1002 }, pc: 0x1000 }
        );
        let mut b = BlockBuilder::new(0x1002);
        lift_insn(0x1002, &[0x1f, 0x20, 0x03, 0xd5], &mut b);
        assert_eq!(
            b.finish().exit,
            Exit::Trap { kind: TrapKind::FetchFault { addr: 0x1002 }, pc: 0x1002 }
        );
    }

    #[test]
    fn xzr_is_never_written_and_sp_only_where_allowed() {
        // add xzr, x0, x1 (shifted: rd 31 is xzr); movz xzr, #1; ldr xzr, [x0]
        for w in [0x8b01_001fu32, 0xd280_003f, 0xf940_001f] {
            let block = lift(w);
            assert!(!sets(&block).contains(&regs::SP.0), "{w:#x}: {block}");
        }
        // add sp, x0, #1 writes sp.
        assert!(sets(&lift(0x9100_041f)).contains(&regs::SP.0));
        // adds xzr, sp, #1 (cmn sp, #1) does not.
        assert!(!sets(&lift(0xb100_07ff)).contains(&regs::SP.0));
    }

    #[test]
    fn loads_write_registers_after_the_access_and_writeback_last() {
        // ldr x0, [x1], #8 ; ldp x0, x1, [x2, #16]!
        for w in [0xf840_8420u32, 0xa9c1_0440] {
            let block = lift(w);
            let last_load = block.ops.iter().rposition(|op| matches!(op, Op::Load { .. }));
            let first_set = block.ops.iter().position(|op| matches!(op, Op::Set { .. }));
            assert!(last_load < first_set, "{block}");
            let writeback = if w == 0xf840_8420 { 1 } else { 2 };
            assert_eq!(sets(&block).last(), Some(&writeback), "{block}");
        }
    }

    #[test]
    fn flag_setting_writes_four_flag_slots() {
        // subs x0, x1, x2 ; cmp w1, #5 ; ands x0, x1, x2
        for w in [0xeb02_0020u32, 0x7100_143f, 0xea02_0020] {
            let s = sets(&lift(w));
            for f in [regs::N, regs::Z, regs::C, regs::V] {
                assert!(s.contains(&f.0), "{w:#x}");
            }
        }
    }

    #[test]
    fn isb_and_branches_end_the_block() {
        assert_eq!(lift(0xd503_3fdf).exit, Exit::Jump(0x1004)); // isb
        assert_eq!(lift(0x1400_0002).exit, Exit::Jump(0x1008)); // b +8
        assert_eq!(lift(0xd400_0001).exit, Exit::Syscall { next_pc: 0x1004 }); // svc #0
        assert_eq!(lift(0xd420_0000).exit, Exit::Trap { kind: TrapKind::Breakpoint, pc: 0x1000 });
    }

    #[test]
    fn random_words_never_panic() {
        let mut rng = crate::arch::decode_kit::XorShift(0x9e37_79b9_7f4a_7c15u64);
        for n in 0..300_000u32 {
            let s = rng.next_u64();
            let bytes = (s as u32).to_le_bytes();
            let avail = if n % 16 == 0 { (n as usize / 16) % 4 } else { 4 };
            let mut b = BlockBuilder::new(0x1000);
            lift_insn(0x1000, &bytes[..avail], &mut b);
            // `finish` validates the block in debug builds.
            b.finish();
        }
    }

    #[test]
    fn random_fills_of_every_encoding_lift_to_valid_blocks() {
        let mut rng = crate::arch::decode_kit::XorShift(0x0123_4567_89ab_cdefu64);
        for enc in decode::encodings() {
            for _ in 0..500 {
                let s = rng.next_u64();
                let w = enc.value | (s as u32 & !enc.mask);
                lift(w);
            }
        }
    }
}
