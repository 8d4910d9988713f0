//! Thumb-state lifter: 16-bit Thumb and 32-bit Thumb-2 (T32, ARMv7-A user
//! mode) → IR, IT blocks included.
//!
//! Most Thumb instructions mean exactly what an A32 instruction means:
//! those are re-encoded as the A32 word with the same operands and lifted
//! by `lift`'s A32 code, with the [`Lifter`] told what differs in Thumb
//! state (a pc read gives the address + 4, word-aligned for the literal
//! forms; a data-processing write to the pc stays in Thumb state; Thumb-2
//! modified immediates and 12-bit offsets do not fit A32 fields and are
//! passed beside the word). What A32 has no form for is lifted here:
//! branches, `cbz`/`cbnz`, `tbb`/`tbh`, `it`, the dual and exclusive
//! transfers with a free second register or an offset.
//!
//! State: the pc of a Thumb instruction has bit 0 set (CPSR.T lives in the
//! pc, so ARM and Thumb translations of one address are different blocks),
//! and an instruction inside an IT block has the IT state in the pc's state
//! bits ([`regs::IT_SHIFT`]): `it` makes the next pc carry it, each
//! instruction advances it in the pc after it. So the state is part of the
//! block key, survives block ends, faults and system calls, and reaches the
//! signal frame's `cpsr` and back, with no slot and no run-time check.
//!
//! Talks to: `lift` (the A32 lifter and its helpers), `decode` (the
//! opcodes it re-encodes into), `regs`.

use super::decode::{self, DpOp, ExtKind, Form, Insn, Opcode, Size};
use super::lift::Lifter;
use super::regs::{self, RESERVATION};
use crate::ir::{BinOp, BlockBuilder, Endian, Exit, TrapKind, UnOp, Width};

const MASK32: u64 = 0xffff_ffff;
const LE: Endian = Endian::Little;

/// The ITSTATE after one instruction of an IT block.
pub const fn it_advance(it: u64) -> u64 {
    if it & 7 == 0 { 0 } else { (it & 0xe0) | ((it << 1) & 0x1f) }
}

/// The manual's top-level Thumb encoding groups (ARMv7-A ARM A6.2 for 16
/// bits, A6.3 for 32 bits) that user code uses: `(name, mask, value,
/// length in bytes)`, a 32-bit instruction as `hw1 << 16 | hw2`. The
/// lifter decodes within them by hand; random code generators draw from
/// them. `it` has a row of its own beside the miscellaneous group it
/// belongs to, so random code holds IT blocks often. The coprocessor and
/// Advanced SIMD groups (no VFP) are left out.
pub const GROUPS: &[(&str, u32, u32, usize)] = &[
    ("t16 shift/add/sub/mov/cmp imm", 0xc000, 0x0000, 2),
    ("t16 data processing", 0xfc00, 0x4000, 2),
    ("t16 special data/bx", 0xfc00, 0x4400, 2),
    ("t16 ldr literal", 0xf800, 0x4800, 2),
    ("t16 load/store reg", 0xf000, 0x5000, 2),
    ("t16 load/store imm word/byte", 0xe000, 0x6000, 2),
    ("t16 load/store imm half/sp", 0xe000, 0x8000, 2),
    ("t16 adr", 0xf800, 0xa000, 2),
    ("t16 add sp", 0xf800, 0xa800, 2),
    ("t16 misc", 0xf000, 0xb000, 2),
    ("t16 it", 0xff00, 0xbf00, 2),
    ("t16 stm/ldm", 0xf000, 0xc000, 2),
    ("t16 b<c>/svc/udf", 0xf000, 0xd000, 2),
    ("t16 b", 0xf800, 0xe000, 2),
    ("t32 ldm/stm", 0xfe40_0000, 0xe800_0000, 4),
    ("t32 dual/exclusive/tbb", 0xfe40_0000, 0xe840_0000, 4),
    ("t32 dp shifted reg", 0xfe00_0000, 0xea00_0000, 4),
    ("t32 dp modified imm", 0xfa00_8000, 0xf000_0000, 4),
    ("t32 dp plain imm", 0xfa00_8000, 0xf200_0000, 4),
    ("t32 branch/misc control", 0xf800_8000, 0xf000_8000, 4),
    ("t32 store single", 0xff10_0000, 0xf800_0000, 4),
    ("t32 load byte", 0xfe70_0000, 0xf810_0000, 4),
    ("t32 load half", 0xfe70_0000, 0xf830_0000, 4),
    ("t32 load word", 0xfe70_0000, 0xf850_0000, 4),
    ("t32 dp reg", 0xff00_0000, 0xfa00_0000, 4),
    ("t32 multiply", 0xff80_0000, 0xfb00_0000, 4),
    ("t32 long multiply/divide", 0xff80_0000, 0xfb80_0000, 4),
];

/// The bytes of Thumb instruction `word` of `len` bytes (a 32-bit one as
/// `hw1 << 16 | hw2`): its halfwords in order, each little-endian.
pub fn insn_bytes(word: u32, len: usize) -> Vec<u8> {
    if len == 2 {
        (word as u16).to_le_bytes().to_vec()
    } else {
        [((word >> 16) as u16).to_le_bytes(), (word as u16).to_le_bytes()].concat()
    }
}

/// An unconditional 16-bit `b` by `off` bytes from the branch (-2048 to
/// 2046, even): the offset counts from the branch + 4.
pub fn branch16(off: i64) -> u32 {
    0xe000 | (((off - 4) >> 1) as u32 & 0x7ff)
}

/// Is a halfword the first half of a 32-bit Thumb instruction?
pub const fn is_32bit(hw: u16) -> bool {
    hw >> 11 >= 0b11101
}

/// Length in bytes of the Thumb instruction starting with `bytes`.
pub fn insn_len(bytes: &[u8]) -> usize {
    match bytes {
        [a, b, ..] if is_32bit(u16::from_le_bytes([*a, *b])) => 4,
        _ => 2,
    }
}

/// Lift the Thumb instruction at `pc` (bit 0 set; the IT state in the
/// state bits, [`regs::IT_SHIFT`]). `bytes` starts at the instruction's
/// address.
pub fn lift_insn(pc: u64, bytes: &[u8], b: &mut BlockBuilder) {
    let it = (pc >> regs::IT_SHIFT) & 0xff;
    let real = pc & MASK32;
    let addr = real & !1;
    let len = if bytes.len() >= 2 { insn_len(bytes) } else { 2 };
    if bytes.len() < len {
        let available = bytes.len() as u8;
        b.insn(pc, available.max(1));
        let kind = TrapKind::FetchFault { addr: addr + available as u64 };
        b.exit(Exit::Trap { kind, pc });
        return;
    }
    b.insn(pc, len as u8);
    let hw1 = u16::from_le_bytes([bytes[0], bytes[1]]) as u32;
    let hw2 = if len == 4 { u16::from_le_bytes([bytes[2], bytes[3]]) as u32 } else { 0 };
    let in_it = it & 0xf != 0;
    // The next instruction carries the advanced IT state.
    let next = ((real + len as u64) & MASK32) | (it_advance(it) << regs::IT_SHIFT);
    let mut l = Lifter {
        b,
        pc,
        next,
        conditional: false,
        new_pc: None,
        pc_read: (addr + 4) & MASK32,
        thumb: true,
        imm: None,
    };
    let illegal = Exit::Trap {
        kind: TrapKind::IllegalInstruction { bytes: hw1 | (hw2 << 16), len: len as u8 },
        pc,
    };
    let cx = Cx { cond: if in_it { (it >> 4) as u32 } else { 0xe }, in_it, last: it & 0xf == 8 };
    let done = if len == 2 { t16(&mut l, &cx, hw1) } else { t32(&mut l, &cx, hw1, hw2) };
    if !done {
        // Undefined, or UNPREDICTABLE where Bohr refuses it: as in QEMU,
        // an IT condition that fails skips it.
        l.conditional_exit(cx.cond, illegal);
    }
    if !l.b.is_terminated() {
        let next = l.next;
        l.b.set_next_pc(next);
    }
}

/// IT context of one instruction.
struct Cx {
    /// Its condition: from the IT block, else "always".
    cond: u32,
    in_it: bool,
    /// Last instruction of an IT block (where branches may stand).
    last: bool,
}

impl Cx {
    /// A pc-writing instruction may stand outside an IT block or last in
    /// one.
    fn branch_ok(&self) -> bool {
        !self.in_it || self.last
    }
}

/// An A32-shaped instruction for the A32 lifter.
fn insn(opcode: Opcode, form: Form, word: u32, cond: u32) -> Insn {
    Insn { opcode, form, name: "thumb", cond, word, undefined: false }
}

/// Second operand of a re-encoded data-processing instruction.
enum Op2 {
    /// An immediate and whether producing it rotated (which makes the
    /// shifter carry its bit 31).
    Imm(u32, bool),
    /// Rm shifted by an immediate (`ty`, `imm5` as A32 encodes them).
    Reg { rm: u32, ty: u32, imm5: u32 },
    /// Rm shifted by Rs.
    RegReg { rm: u32, ty: u32, rs: u32 },
}

/// Lift a data-processing instruction through the A32 lifter.
fn dp(l: &mut Lifter, cx: &Cx, op: DpOp, s: bool, rd: u32, rn: u32, op2: Op2) -> bool {
    let mut w = ((s as u32) << 20) | (rn << 16) | (rd << 12);
    let form = match op2 {
        Op2::Imm(v, rot) => {
            l.imm = Some((v, rot));
            Form::Imm
        }
        Op2::Reg { rm, ty, imm5 } => {
            w |= (imm5 << 7) | (ty << 5) | rm;
            Form::RegImm
        }
        Op2::RegReg { rm, ty, rs } => {
            w |= (rs << 8) | (ty << 5) | 0x10 | rm;
            Form::RegReg
        }
    };
    if rd == 15 && !op.is_compare() && !cx.branch_ok() {
        return false;
    }
    a32(l, cx, insn(Opcode::Dp(op), form, w, cx.cond))
}

/// Lift an A32-shaped instruction, or refuse operands A32 refuses.
fn a32(l: &mut Lifter, cx: &Cx, i: Insn) -> bool {
    if !decode::operands_valid(i.opcode, i.word) {
        return false;
    }
    if super::lift::writes_pc(&i) && !cx.branch_ok() {
        return false;
    }
    l.conditional = i.cond != 0xe;
    // The illegal exit is only taken by opcodes lifted here, never by the
    // ones re-encoded.
    let never = Exit::Jump(l.next);
    l.lift(&i, never);
    true
}

/// A single load or store: `p`/`u`/`w` as in A32, and either an immediate
/// offset or a register shifted left by `shift`.
#[allow(clippy::too_many_arguments)]
fn ls(
    l: &mut Lifter,
    cx: &Cx,
    opcode: Opcode,
    rt: u32,
    rn: u32,
    (p, u, w): (bool, bool, bool),
    offset: Result<u32, (u32, u32)>,
) -> bool {
    let mut word = ((p as u32) << 24) | ((u as u32) << 23) | ((w as u32) << 21) | (rn << 16);
    word |= rt << 12;
    if matches!(opcode, Opcode::Ldr { .. }) {
        word |= 1 << 20;
    }
    let form = match offset {
        Ok(imm) => {
            l.imm = Some((imm, false));
            Form::Imm12
        }
        Err((rm, shift)) => {
            word |= (shift << 7) | rm;
            Form::RegShift
        }
    };
    if rn == 15 {
        // Literal forms read the pc word-aligned.
        l.pc_read &= !3;
    }
    a32(l, cx, insn(opcode, form, word, cx.cond))
}

/// A branch to `target` (bit 0 set for Thumb), with `link` writing the
/// return address (Thumb) to lr, taken when `cond` holds.
fn branch(l: &mut Lifter, cond: u32, target: u64, link: bool) {
    let target = target & MASK32;
    if cond == 0xe {
        if link {
            l.b.set_const(regs::LR, l.next);
        }
        l.b.exit(Exit::Jump(target));
        return;
    }
    let c = l.cond(cond);
    if link {
        let lr = l.b.get(regs::LR);
        let next = l.b.konst(l.next);
        let new = l.b.select(c, next, lr);
        l.b.set(regs::LR, new);
    }
    l.b.exit_if(c, Exit::Jump(target));
    l.b.exit(Exit::Jump(l.next));
}

/// Register lists: empty is UNPREDICTABLE.
fn block(
    l: &mut Lifter,
    cx: &Cx,
    load: bool,
    rn: u32,
    list: u32,
    (p, u, w): (bool, bool, bool),
) -> bool {
    let word = ((p as u32) << 24)
        | ((u as u32) << 23)
        | ((w as u32) << 21)
        | ((load as u32) << 20)
        | (rn << 16)
        | list;
    a32(l, cx, insn(if load { Opcode::Ldm } else { Opcode::Stm }, Form::Plain, word, cx.cond))
}

/// Sign-extend the low `n` bits of `v`.
fn sext(v: u32, n: u32) -> i64 {
    ((v << (32 - n)) as i32 >> (32 - n)) as i64
}

/// A 16-bit instruction; false when it is undefined or refused.
fn t16(l: &mut Lifter, cx: &Cx, hw: u32) -> bool {
    use DpOp as D;
    let s = !cx.in_it;
    let (r0, r3, r6, r8) = (hw & 7, (hw >> 3) & 7, (hw >> 6) & 7, (hw >> 8) & 7);
    let imm8 = hw & 0xff;
    let reg = |rm| Op2::Reg { rm, ty: 0, imm5: 0 };
    let word = |rt| Ok::<u32, (u32, u32)>(rt);
    match hw >> 11 {
        0..=2 => {
            // lsl/lsr/asr #imm (lsl #0: movs).
            let op2 = Op2::Reg { rm: r3, ty: hw >> 11, imm5: (hw >> 6) & 31 };
            return dp(l, cx, D::Mov, s, r0, 0, op2);
        }
        3 => {
            let op = if hw & (1 << 9) == 0 { D::Add } else { D::Sub };
            let op2 = if hw & (1 << 10) == 0 { reg(r6) } else { Op2::Imm(r6, false) };
            return dp(l, cx, op, s, r0, r3, op2);
        }
        4 => return dp(l, cx, D::Mov, s, r8, 0, Op2::Imm(imm8, false)),
        5 => return dp(l, cx, D::Cmp, true, 0, r8, Op2::Imm(imm8, false)),
        6 => return dp(l, cx, D::Add, s, r8, r8, Op2::Imm(imm8, false)),
        7 => return dp(l, cx, D::Sub, s, r8, r8, Op2::Imm(imm8, false)),
        _ => {}
    }
    match hw >> 10 {
        0b010000 => {
            let (rdn, rm) = (r0, r3);
            let shift = |ty| Op2::RegReg { rm: rdn, ty, rs: rm };
            return match (hw >> 6) & 0xf {
                0 => dp(l, cx, D::And, s, rdn, rdn, reg(rm)),
                1 => dp(l, cx, D::Eor, s, rdn, rdn, reg(rm)),
                2 => dp(l, cx, D::Mov, s, rdn, 0, shift(0)),
                3 => dp(l, cx, D::Mov, s, rdn, 0, shift(1)),
                4 => dp(l, cx, D::Mov, s, rdn, 0, shift(2)),
                5 => dp(l, cx, D::Adc, s, rdn, rdn, reg(rm)),
                6 => dp(l, cx, D::Sbc, s, rdn, rdn, reg(rm)),
                7 => dp(l, cx, D::Mov, s, rdn, 0, shift(3)),
                8 => dp(l, cx, D::Tst, true, 0, rdn, reg(rm)),
                9 => dp(l, cx, D::Rsb, s, rdn, rm, Op2::Imm(0, false)),
                10 => dp(l, cx, D::Cmp, true, 0, rdn, reg(rm)),
                11 => dp(l, cx, D::Cmn, true, 0, rdn, reg(rm)),
                12 => dp(l, cx, D::Orr, s, rdn, rdn, reg(rm)),
                13 => {
                    let w = ((s as u32) << 20) | (rdn << 16) | (rdn << 8) | rm;
                    a32(l, cx, insn(Opcode::Mul { acc: false }, Form::Plain, w, cx.cond))
                }
                14 => dp(l, cx, D::Bic, s, rdn, rdn, reg(rm)),
                _ => dp(l, cx, D::Mvn, s, rdn, 0, reg(rm)),
            };
        }
        0b010001 => {
            let rdn = ((hw >> 4) & 8) | r0;
            let rm = (hw >> 3) & 0xf;
            return match (hw >> 8) & 3 {
                0 => {
                    if rdn == 15 && rm == 15 {
                        return false;
                    }
                    dp(l, cx, D::Add, false, rdn, rdn, reg(rm))
                }
                1 => {
                    if rdn == 15 || rm == 15 {
                        return false;
                    }
                    dp(l, cx, D::Cmp, true, 0, rdn, reg(rm))
                }
                2 => dp(l, cx, D::Mov, false, rdn, 0, reg(rm)),
                _ => {
                    let link = hw & 0x80 != 0;
                    if hw & 7 != 0 || (link && rm == 15) {
                        return false;
                    }
                    let op = if link { Opcode::BlxReg } else { Opcode::Bx };
                    a32(l, cx, insn(op, Form::Plain, rm, cx.cond))
                }
            };
        }
        _ => {}
    }
    let ldr = |size, signed| Opcode::Ldr { size, signed };
    let str_ = |size| Opcode::Str { size };
    let off = (true, true, false);
    match hw >> 12 {
        0b0100 => {
            // ldr rt, [pc, #imm8 * 4]
            return ls(l, cx, ldr(Size::Word, false), r8, 15, off, word(imm8 * 4));
        }
        0b0101 => {
            let op = match (hw >> 9) & 7 {
                0 => str_(Size::Word),
                1 => str_(Size::Half),
                2 => str_(Size::Byte),
                3 => ldr(Size::Byte, true),
                4 => ldr(Size::Word, false),
                5 => ldr(Size::Half, false),
                6 => ldr(Size::Byte, false),
                _ => ldr(Size::Half, true),
            };
            return ls(l, cx, op, r0, r3, off, Err((r6, 0)));
        }
        0b0110..=0b1000 => {
            let load = hw & (1 << 11) != 0;
            let imm5 = (hw >> 6) & 31;
            let (size, scale) = match hw >> 12 {
                0b0110 => (Size::Word, 4),
                0b0111 => (Size::Byte, 1),
                _ => (Size::Half, 2),
            };
            let op = if load { ldr(size, false) } else { str_(size) };
            return ls(l, cx, op, r0, r3, off, word(imm5 * scale));
        }
        0b1001 => {
            let load = hw & (1 << 11) != 0;
            let op = if load { ldr(Size::Word, false) } else { str_(Size::Word) };
            return ls(l, cx, op, r8, 13, off, word(imm8 * 4));
        }
        0b1010 => {
            // adr / add rd, sp, #imm8 * 4
            let rn = if hw & (1 << 11) == 0 { 15 } else { 13 };
            if rn == 15 {
                l.pc_read &= !3;
            }
            return dp(l, cx, D::Add, false, r8, rn, Op2::Imm(imm8 * 4, false));
        }
        0b1011 => return t16_misc(l, cx, hw),
        0b1100 => {
            let load = hw & (1 << 11) != 0;
            let list = imm8;
            // ldm writes back unless the base is in the list; stm always.
            let wb = !load || list & (1 << r8) == 0;
            return block(l, cx, load, r8, list, (false, true, wb));
        }
        0b1101 => {
            let cond = (hw >> 8) & 0xf;
            return match cond {
                0xe => false, // udf
                0xf => {
                    let exit = Exit::Syscall { next_pc: l.next };
                    l.conditional_exit(cx.cond, exit);
                    true
                }
                _ => {
                    if cx.in_it {
                        return false;
                    }
                    let target = (l.pc_read as i64 + sext(imm8, 8) * 2) as u64 | 1;
                    branch(l, cond, target, false);
                    true
                }
            };
        }
        0b1110 => {
            if !cx.branch_ok() {
                return false;
            }
            let target = (l.pc_read as i64 + sext(hw & 0x7ff, 11) * 2) as u64 | 1;
            branch(l, cx.cond, target, false);
            return true;
        }
        _ => {}
    }
    false
}

/// The 1011 space: stack adjust, cbz, extends, push/pop, rev, hints, it.
fn t16_misc(l: &mut Lifter, cx: &Cx, hw: u32) -> bool {
    use DpOp as D;
    let (r0, r3) = (hw & 7, (hw >> 3) & 7);
    match (hw >> 8) & 0xf {
        0b0000 => {
            let op = if hw & 0x80 == 0 { D::Add } else { D::Sub };
            dp(l, cx, op, false, 13, 13, Op2::Imm((hw & 0x7f) * 4, false))
        }
        0b0001 | 0b0011 | 0b1001 | 0b1011 => {
            // cbz / cbnz: not in an IT block.
            if cx.in_it {
                return false;
            }
            let imm = (((hw >> 9) & 1) << 6) | (((hw >> 3) & 31) << 1);
            let target = (l.pc_read + imm as u64) | 1;
            let v = l.reg(r0);
            let c = if hw & (1 << 11) != 0 {
                let zero = l.b.konst(0);
                l.b.bin(BinOp::LtU, zero, v)
            } else {
                l.b.bini(BinOp::Eq, v, 0)
            };
            l.b.exit_if(c, Exit::Jump(target & MASK32));
            l.b.exit(Exit::Jump(l.next));
            true
        }
        0b0010 => {
            let (signed, what) = match (hw >> 6) & 3 {
                0 => (true, ExtKind::H),
                1 => (true, ExtKind::B),
                2 => (false, ExtKind::H),
                _ => (false, ExtKind::B),
            };
            let w = (15 << 16) | (r0 << 12) | r3;
            let op = Opcode::Extend { signed, what, acc: false };
            a32(l, cx, insn(op, Form::Plain, w, cx.cond))
        }
        0b0100 | 0b0101 => {
            let list = (hw & 0xff) | ((hw >> 8) & 1) << 14;
            block(l, cx, false, 13, list, (true, false, true))
        }
        0b0110 => {
            match (hw >> 5) & 7 {
                // setend le: already little-endian. setend be: big-endian
                // data accesses are not supported; refused (SIGILL) as by
                // a kernel that disables SETEND.
                0b010 if hw & 0x17 == 0x10 => {
                    if cx.in_it || hw & 8 != 0 {
                        return false;
                    }
                    true
                }
                // cps: no effect in user mode.
                0b011 if hw & 8 == 0 => true,
                _ => false,
            }
        }
        0b1010 => {
            let op = match (hw >> 6) & 3 {
                0 => Opcode::Rev,
                1 => Opcode::Rev16,
                3 => Opcode::Revsh,
                _ => return false,
            };
            a32(l, cx, insn(op, Form::Plain, (r0 << 12) | r3, cx.cond))
        }
        0b1100 | 0b1101 => {
            let list = (hw & 0xff) | ((hw >> 8) & 1) << 15;
            block(l, cx, true, 13, list, (false, true, true))
        }
        0b1110 => {
            // bkpt: unconditional even inside an IT block.
            l.b.exit(Exit::Trap { kind: TrapKind::Breakpoint, pc: l.pc });
            true
        }
        0b1111 => {
            let mask = hw & 0xf;
            if mask == 0 {
                // nop, yield, wfe, wfi, sev and the unallocated hints.
                return true;
            }
            let first = (hw >> 4) & 0xf;
            // `it` inside an IT block, with condition 1111, or "always"
            // with an else slot, is UNPREDICTABLE.
            if cx.in_it || first == 0xf || (first == 0xe && mask.count_ones() != 1) {
                return false;
            }
            let it = (hw & 0xff) as u64;
            l.next = (l.next & MASK32) | (it << regs::IT_SHIFT);
            true
        }
        _ => false,
    }
}

/// ThumbExpandImm: the value and whether it was rotated.
fn expand_imm(imm12: u32) -> Option<(u32, bool)> {
    let v = imm12 & 0xff;
    if imm12 >> 10 == 0 {
        let r = match (imm12 >> 8) & 3 {
            0 => v,
            1 => (v << 16) | v,
            2 => (v << 24) | (v << 8),
            _ => v * 0x0101_0101,
        };
        // The replicated forms with a zero byte are UNPREDICTABLE.
        if (imm12 >> 8) & 3 != 0 && v == 0 {
            return None;
        }
        Some((r, false))
    } else {
        let unrot = 0x80 | (imm12 & 0x7f);
        Some((unrot.rotate_right(imm12 >> 7), true))
    }
}

/// A 32-bit instruction; false when it is undefined or refused.
fn t32(l: &mut Lifter, cx: &Cx, hw1: u32, hw2: u32) -> bool {
    let op1 = (hw1 >> 11) & 3;
    let op2 = (hw1 >> 4) & 0x7f;
    if hw1 == 0xee1d && hw2 & 0xfff == 0xf70 {
        // mrc p15, 0, rt, c13, c0, 3: the TLS register, the one
        // coprocessor read user mode has.
        return a32(l, cx, insn(Opcode::MrcTls, Form::Plain, (hw2 >> 12) << 12, cx.cond));
    }
    match op1 {
        1 if op2 & 0x64 == 0 => t32_block(l, cx, hw1, hw2),
        1 if op2 & 0x64 == 4 => t32_dual_excl(l, cx, hw1, hw2),
        1 if op2 & 0x60 == 0x20 => t32_dp_shifted(l, cx, hw1, hw2),
        2 if hw2 & 0x8000 == 0 && op2 & 0x20 == 0 => t32_dp_modified(l, cx, hw1, hw2),
        2 if hw2 & 0x8000 == 0 => t32_dp_plain(l, cx, hw1, hw2),
        2 => t32_branch_misc(l, cx, hw1, hw2),
        3 if op2 & 0x60 == 0 => t32_load_store(l, cx, hw1, hw2),
        3 if op2 & 0x70 == 0x20 => t32_dp_reg(l, cx, hw1, hw2),
        3 if op2 & 0x78 == 0x30 => t32_mul(l, cx, hw1, hw2),
        3 if op2 & 0x78 == 0x38 => t32_long_mul(l, cx, hw1, hw2),
        _ => false,
    }
}

fn t32_block(l: &mut Lifter, cx: &Cx, hw1: u32, hw2: u32) -> bool {
    let rn = hw1 & 0xf;
    let (w, load) = (hw1 & (1 << 5) != 0, hw1 & (1 << 4) != 0);
    let list = hw2;
    if rn == 15 || list & (1 << 13) != 0 || (!load && list & (1 << 15) != 0) {
        return false;
    }
    if load && list & 0xc000 == 0xc000 {
        return false;
    }
    if w && list & (1 << rn) != 0 {
        return false;
    }
    match (hw1 >> 7) & 3 {
        1 => block(l, cx, load, rn, list, (false, true, w)),
        2 => block(l, cx, load, rn, list, (true, false, w)),
        _ => false,
    }
}

/// `ldrd`/`strd` with a free second register, the exclusives with their
/// offsets and free pairs, `tbb`/`tbh`.
fn t32_dual_excl(l: &mut Lifter, cx: &Cx, hw1: u32, hw2: u32) -> bool {
    let rn = hw1 & 0xf;
    let (p, u, w, load) =
        (hw1 & (1 << 8) != 0, hw1 & (1 << 7) != 0, hw1 & (1 << 5) != 0, hw1 & (1 << 4) != 0);
    let rt = hw2 >> 12;
    let rt2 = (hw2 >> 8) & 0xf;
    if !p && !w {
        if !u {
            // strex rd, rt, [rn, #imm8 * 4] / ldrex rt, [rn, #imm8 * 4]
            let off = (hw2 & 0xff) * 4;
            return if load {
                rt2 == 0xf && exclusive(l, cx, rn, off, Size::Word, rt, 15, None)
            } else {
                exclusive(l, cx, rn, off, Size::Word, rt, 15, Some(rt2))
            };
        }
        let op3 = (hw2 >> 4) & 0xf;
        let size = match op3 {
            4 => Size::Byte,
            5 => Size::Half,
            7 => Size::Dual,
            0 | 1 if load => return table_branch(l, cx, rn, hw2),
            _ => return false,
        };
        let rd = hw2 & 0xf;
        if load {
            if rd != 0xf || (size != Size::Dual && rt2 != 0xf) {
                return false;
            }
            return exclusive(l, cx, rn, 0, size, rt, rt2, None);
        }
        if size != Size::Dual && rt2 != 0xf {
            return false;
        }
        return exclusive(l, cx, rn, 0, size, rt, rt2, Some(rd));
    }
    // ldrd / strd (immediate; literal when rn is the pc).
    let imm = (hw2 & 0xff) * 4;
    if (rt == rt2 && load) || !plain_reg(rt) || !plain_reg(rt2) || (w && (rn == rt || rn == rt2)) {
        return false;
    }
    if (w || !load) && rn == 15 {
        return false;
    }
    dual(l, cx, load, rn, rt, rt2, (p, u, w), imm)
}

/// `ldrd`/`strd` with any two registers.
#[allow(clippy::too_many_arguments)]
fn dual(
    l: &mut Lifter,
    cx: &Cx,
    load: bool,
    rn: u32,
    rt: u32,
    rt2: u32,
    (p, u, w): (bool, bool, bool),
    imm: u32,
) -> bool {
    guarded(l, cx, |l| {
        if rn == 15 {
            l.pc_read &= !3;
        }
        let base = l.reg(rn);
        let moved = if u {
            l.b.bini(BinOp::Add, base, imm as u64)
        } else {
            l.b.bini(BinOp::Sub, base, imm as u64)
        };
        let moved = l.b.un(UnOp::Zext32, moved);
        let a = if p { moved } else { base };
        let a4 = l.b.bini(BinOp::Add, a, 4);
        let a4 = l.b.un(UnOp::Zext32, a4);
        if load {
            let lo = l.b.load(a, Width::W32, false, LE);
            let hi = l.b.load(a4, Width::W32, false, LE);
            if w {
                l.b.set(regs::r(rn), moved);
            }
            l.b.set(regs::r(rt), lo);
            l.b.set(regs::r(rt2), hi);
        } else {
            let lo = l.reg(rt);
            let hi = l.reg(rt2);
            l.b.store(a, lo, Width::W32, LE);
            l.b.store(a4, hi, Width::W32, LE);
            if w {
                l.b.set(regs::r(rn), moved);
            }
        }
    })
}

/// Run `body` under the instruction's IT condition.
fn guarded(l: &mut Lifter, cx: &Cx, body: impl FnOnce(&mut Lifter)) -> bool {
    let skip = (cx.cond != 0xe).then(|| {
        let not = l.cond_not(cx.cond);
        let skip = l.b.label();
        l.b.branch_if(not, skip);
        skip
    });
    body(l);
    if let Some(skip) = skip {
        l.b.place(skip);
    }
    true
}

/// The exclusive loads (`status` None) and stores (`status` Some(rd)) of
/// Thumb-2: an offset for the word forms, any second register for the
/// doubleword forms.
#[allow(clippy::too_many_arguments)]
fn exclusive(
    l: &mut Lifter,
    cx: &Cx,
    rn: u32,
    off: u32,
    size: Size,
    rt: u32,
    rt2: u32,
    status: Option<u32>,
) -> bool {
    let bad = |r: u32| !plain_reg(r);
    if rn == 15 || bad(rt) || (size == Size::Dual && bad(rt2)) {
        return false;
    }
    if let Some(rd) = status
        && (bad(rd) || rd == rn || rd == rt || (size == Size::Dual && rd == rt2))
    {
        return false;
    }
    if status.is_none() && size == Size::Dual && rt == rt2 {
        return false;
    }
    let width = match size {
        Size::Byte => Width::W8,
        Size::Half => Width::W16,
        _ => Width::W32,
    };
    guarded(l, cx, |l| {
        let base = l.reg(rn);
        let addr = l.b.bini(BinOp::Add, base, off as u64);
        let addr = l.b.un(UnOp::Zext32, addr);
        match status {
            None => {
                let v = l.b.load(addr, width, false, LE);
                let hi = (size == Size::Dual).then(|| {
                    let a4 = l.b.bini(BinOp::Add, addr, 4);
                    let a4 = l.b.un(UnOp::Zext32, a4);
                    l.b.load(a4, Width::W32, false, LE)
                });
                l.b.set(RESERVATION, addr);
                l.b.set(regs::r(rt), v);
                if let Some(hi) = hi {
                    l.b.set(regs::r(rt2), hi);
                }
            }
            Some(rd) => {
                let held = l.b.get(RESERVATION);
                let ok = l.b.bin(BinOp::Eq, held, addr);
                let fail = l.b.bini(BinOp::Eq, ok, 0);
                let skip = l.b.label();
                l.b.branch_if(fail, skip);
                let v = l.reg(rt);
                l.b.store(addr, v, width, LE);
                if size == Size::Dual {
                    let hi = l.reg(rt2);
                    let a4 = l.b.bini(BinOp::Add, addr, 4);
                    let a4 = l.b.un(UnOp::Zext32, a4);
                    l.b.store(a4, hi, Width::W32, LE);
                }
                l.b.place(skip);
                l.b.set_const(RESERVATION, regs::NO_RESERVATION);
                l.b.set(regs::r(rd), fail);
            }
        }
    })
}

/// `tbb [rn, rm]` / `tbh [rn, rm, lsl #1]`.
fn table_branch(l: &mut Lifter, cx: &Cx, rn: u32, hw2: u32) -> bool {
    let rm = hw2 & 0xf;
    let half = hw2 & 0x10 != 0;
    if hw2 & 0xff00 != 0xf000 || !plain_reg(rm) || rn == 13 || !cx.branch_ok() {
        return false;
    }
    let go = |l: &mut Lifter| {
        let base = l.reg(rn);
        let idx = l.reg(rm);
        let idx = if half { l.b.bini(BinOp::Shl, idx, 1) } else { idx };
        let a = l.b.bin(BinOp::Add, base, idx);
        let a = l.b.un(UnOp::Zext32, a);
        let v = l.b.load(a, if half { Width::W16 } else { Width::W8 }, false, LE);
        let v = l.b.bini(BinOp::Shl, v, 1);
        let t = l.b.bini(BinOp::Add, v, l.pc_read | 1);
        l.b.un(UnOp::Zext32, t)
    };
    if cx.cond != 0xe {
        let not = l.cond_not(cx.cond);
        l.b.exit_if(not, Exit::Jump(l.next));
    }
    let t = go(l);
    l.b.exit(Exit::JumpIndirect(t));
    true
}

/// The data-processing operation of a Thumb-2 opcode field, with the
/// compare forms (Rd = 15 with S) and the move forms (Rn = 15).
fn t32_dp_op(op: u32, s: bool, rd: u32, rn: u32) -> Option<(DpOp, bool)> {
    use DpOp as D;
    let test = rd == 15 && s;
    Some(match op {
        0 if test => (D::Tst, true),
        0 => (D::And, false),
        1 => (D::Bic, false),
        2 if rn == 15 => (D::Mov, false),
        2 => (D::Orr, false),
        3 if rn == 15 => (D::Mvn, false),
        3 => (D::Orn, false),
        4 if test => (D::Teq, true),
        4 => (D::Eor, false),
        8 if test => (D::Cmn, true),
        8 => (D::Add, false),
        10 => (D::Adc, false),
        11 => (D::Sbc, false),
        13 if test => (D::Cmp, true),
        13 => (D::Sub, false),
        14 => (D::Rsb, false),
        _ => return None,
    })
}

/// Registers other than the sp and pc (Thumb-2 refuses both as most
/// operands; lr is an ordinary register there).
fn plain_reg(r: u32) -> bool {
    r != 13 && r != 15
}

fn t32_dp_shifted(l: &mut Lifter, cx: &Cx, hw1: u32, hw2: u32) -> bool {
    let op = (hw1 >> 5) & 0xf;
    let s = hw1 & (1 << 4) != 0;
    let rn = hw1 & 0xf;
    let rd = (hw2 >> 8) & 0xf;
    let rm = hw2 & 0xf;
    let imm5 = ((hw2 >> 12) & 7) << 2 | ((hw2 >> 6) & 3);
    let ty = (hw2 >> 4) & 3;
    if op == 6 {
        // pkhbt / pkhtb
        if s || !plain_reg(rd) || !plain_reg(rn) || !plain_reg(rm) || ty & 1 != 0 {
            return false;
        }
        let w = (rn << 16) | (rd << 12) | (imm5 << 7) | ((ty >> 1) << 6) | rm;
        return a32(l, cx, insn(Opcode::Pkh, Form::Plain, w, cx.cond));
    }
    let Some((dop, compare)) = t32_dp_op(op, s, rd, rn) else {
        return false;
    };
    let sp_ok = matches!(dop, DpOp::Add | DpOp::Sub | DpOp::Cmp | DpOp::Cmn | DpOp::Mov);
    if (!compare && rd == 15) || rm == 15 || (rm == 13 && !sp_ok) {
        return false;
    }
    if !sp_ok && (rn == 13 || rd == 13) {
        return false;
    }
    let rn = if matches!(dop, DpOp::Mov | DpOp::Mvn) { 0 } else { rn };
    dp(l, cx, dop, s, if compare { 0 } else { rd }, rn, Op2::Reg { rm, ty, imm5 })
}

fn t32_dp_modified(l: &mut Lifter, cx: &Cx, hw1: u32, hw2: u32) -> bool {
    let op = (hw1 >> 5) & 0xf;
    let s = hw1 & (1 << 4) != 0;
    let rn = hw1 & 0xf;
    let rd = (hw2 >> 8) & 0xf;
    let imm12 = ((hw1 >> 10) & 1) << 11 | ((hw2 >> 12) & 7) << 8 | (hw2 & 0xff);
    let Some((v, rot)) = expand_imm(imm12) else {
        return false;
    };
    let Some((dop, compare)) = t32_dp_op(op, s, rd, rn) else {
        return false;
    };
    let sp_ok = matches!(dop, DpOp::Add | DpOp::Sub | DpOp::Cmp | DpOp::Cmn);
    if (!compare && rd == 15) || (rd == 13 && !sp_ok && !compare) || (rn == 13 && !sp_ok) {
        return false;
    }
    if rn == 15 && !matches!(dop, DpOp::Mov | DpOp::Mvn) {
        return false;
    }
    let rn = if matches!(dop, DpOp::Mov | DpOp::Mvn) { 0 } else { rn };
    dp(l, cx, dop, s, if compare { 0 } else { rd }, rn, Op2::Imm(v, rot))
}

fn t32_dp_plain(l: &mut Lifter, cx: &Cx, hw1: u32, hw2: u32) -> bool {
    let op = (hw1 >> 4) & 0x1f;
    let rn = hw1 & 0xf;
    let rd = (hw2 >> 8) & 0xf;
    let imm12 = ((hw1 >> 10) & 1) << 11 | ((hw2 >> 12) & 7) << 8 | (hw2 & 0xff);
    let imm5 = ((hw2 >> 12) & 7) << 2 | ((hw2 >> 6) & 3);
    let low5 = hw2 & 0x1f;
    if !(plain_reg(rd) || (rd == 13 && matches!(op, 0 | 0b01010) && rn == 13)) {
        return false;
    }
    match op {
        0b00000 | 0b01010 => {
            // addw / subw, adr when rn is the pc
            let dop = if op == 0 { DpOp::Add } else { DpOp::Sub };
            if rn == 15 {
                l.pc_read &= !3;
            }
            dp(l, cx, dop, false, rd, rn, Op2::Imm(imm12, false))
        }
        0b00100 | 0b01100 => {
            let imm16 = (hw1 & 0xf) << 12 | imm12;
            let w = ((imm16 >> 12) << 16) | (rd << 12) | (imm16 & 0xfff);
            let opc = if op == 0b00100 { Opcode::Movw } else { Opcode::Movt };
            a32(l, cx, insn(opc, Form::Plain, w, cx.cond))
        }
        0b10000 | 0b10010 | 0b11000 | 0b11010 => {
            // Bit 10 (the other forms' `i`) and bit 5 must be zero.
            if !plain_reg(rn) || hw1 & 0x400 != 0 || hw2 & 0x20 != 0 {
                return false;
            }
            let sh = (op >> 1) & 1;
            if sh == 1 && imm5 == 0 {
                // ssat16 / usat16
                if hw2 & 0x30 != 0 {
                    return false;
                }
                let opc = Opcode::Sat16 { signed: op & 0b01000 == 0 };
                let w = ((hw2 & 0xf) << 16) | (rd << 12) | 0xf30 | rn;
                return a32(l, cx, insn(opc, Form::Plain, w, cx.cond));
            }
            let opc = if op & 0b01000 == 0 { Opcode::Ssat } else { Opcode::Usat };
            let w = (low5 << 16) | (rd << 12) | (imm5 << 7) | (sh << 6) | rn;
            a32(l, cx, insn(opc, Form::Plain, w, cx.cond))
        }
        0b10100 | 0b11100 | 0b10110 => {
            let opc = match op {
                0b10100 => Opcode::Sbfx,
                0b11100 => Opcode::Ubfx,
                _ if rn == 15 => Opcode::Bfc,
                _ => Opcode::Bfi,
            };
            if rn == 13 || (rn == 15 && opc != Opcode::Bfc) || hw2 & 0x20 != 0 || hw1 & 0x400 != 0 {
                return false;
            }
            let w = (low5 << 16) | (rd << 12) | (imm5 << 7) | rn;
            a32(l, cx, insn(opc, Form::Plain, w, cx.cond))
        }
        _ => false,
    }
}

fn t32_branch_misc(l: &mut Lifter, cx: &Cx, hw1: u32, hw2: u32) -> bool {
    let op1 = (hw2 >> 12) & 7;
    let s = (hw1 >> 10) & 1;
    let (j1, j2) = ((hw2 >> 13) & 1, (hw2 >> 11) & 1);
    let imm11 = hw2 & 0x7ff;
    if op1 & 5 == 0 {
        if (hw1 >> 7) & 7 != 7 {
            // b<c>.w: not in an IT block.
            if cx.in_it {
                return false;
            }
            let imm = (s << 20) | (j2 << 19) | (j1 << 18) | ((hw1 & 0x3f) << 12) | (imm11 << 1);
            let target = (l.pc_read as i64 + sext(imm, 21)) as u64 | 1;
            branch(l, (hw1 >> 6) & 0xf, target, false);
            return true;
        }
        return t32_control(l, cx, hw1, hw2, op1);
    }
    if !cx.branch_ok() {
        return false;
    }
    let (i1, i2) = (!(j1 ^ s) & 1, !(j2 ^ s) & 1);
    let imm = (s << 24) | (i1 << 23) | (i2 << 22) | ((hw1 & 0x3ff) << 12) | (imm11 << 1);
    let off = sext(imm, 25);
    match op1 & 5 {
        1 => branch(l, cx.cond, (l.pc_read as i64 + off) as u64 | 1, false),
        5 => branch(l, cx.cond, (l.pc_read as i64 + off) as u64 | 1, true),
        _ => {
            // blx to ARM state: the target is word-aligned.
            if hw2 & 1 != 0 {
                return false;
            }
            branch(l, cx.cond, ((l.pc_read & !3) as i64 + off) as u64, true)
        }
    }
    true
}

/// msr, hints, barriers, clrex, mrs.
fn t32_control(l: &mut Lifter, cx: &Cx, hw1: u32, hw2: u32, op1: u32) -> bool {
    let op = (hw1 >> 4) & 0x7f;
    match op {
        0x38 | 0x39 if op1 == 0 => {
            let mask = (hw2 >> 10) & 3;
            let rn = hw1 & 0xf;
            if hw1 & 0x10 != 0 || hw2 & 0x3ff != 0 || mask == 0 || !plain_reg(rn) {
                return false;
            }
            let w = (mask << 18) | rn;
            a32(l, cx, insn(Opcode::MsrReg, Form::Plain, w, cx.cond))
        }
        0x3a if op1 == 0 => {
            // Hints (and cps, which user mode cannot use): no effect.
            guarded(l, cx, |_| {})
        }
        0x3b if op1 == 0 => {
            if hw2 & 0xf00 != 0xf00 {
                return false;
            }
            match (hw2 >> 4) & 0xf {
                2 => guarded(l, cx, |l| l.b.set_const(RESERVATION, regs::NO_RESERVATION)),
                4 | 5 => guarded(l, cx, |_| {}),
                6 => {
                    guarded(l, cx, |_| {});
                    l.b.exit(Exit::Jump(l.next));
                    true
                }
                _ => false,
            }
        }
        0x3e | 0x3f if op1 == 0 => {
            let rd = (hw2 >> 8) & 0xf;
            if hw1 & 0x10 != 0 || hw2 & 0xff != 0 || !plain_reg(rd) {
                return false;
            }
            a32(l, cx, insn(Opcode::Mrs, Form::Plain, rd << 12, cx.cond))
        }
        _ => false,
    }
}

fn t32_load_store(l: &mut Lifter, cx: &Cx, hw1: u32, hw2: u32) -> bool {
    let signed = hw1 & (1 << 8) != 0;
    let y = hw1 & (1 << 7) != 0;
    let sz = (hw1 >> 5) & 3;
    let load = hw1 & (1 << 4) != 0;
    let rn = hw1 & 0xf;
    let rt = hw2 >> 12;
    let size = match sz {
        0 => Size::Byte,
        1 => Size::Half,
        2 if !signed => Size::Word,
        _ => return false,
    };
    if !load && (signed || rn == 15) {
        return false;
    }
    let opcode = if load { Opcode::Ldr { size, signed } } else { Opcode::Str { size } };
    let (mode, offset) = if rn == 15 {
        ((true, y, false), Ok(hw2 & 0xfff))
    } else if y {
        ((true, true, false), Ok(hw2 & 0xfff))
    } else if hw2 & 0x800 != 0 {
        let (p, u, w) = (hw2 & 0x400 != 0, hw2 & 0x200 != 0, hw2 & 0x100 != 0);
        if !p && !w {
            return false;
        }
        if w && (rn == rt) {
            return false;
        }
        ((p, u, w), Ok(hw2 & 0xff))
    } else if hw2 & 0xfc0 == 0 {
        let rm = hw2 & 0xf;
        if !plain_reg(rm) {
            return false;
        }
        ((true, true, false), Err((rm, (hw2 >> 4) & 3)))
    } else {
        return false;
    };
    if rt == 15 {
        if !load {
            return false;
        }
        if size != Size::Word {
            // pld / pli: hints with no effect.
            return guarded(l, cx, |_| {});
        }
    } else if rt == 13 && size != Size::Word {
        return false;
    }
    ls(l, cx, opcode, rt, rn, mode, offset)
}

fn t32_dp_reg(l: &mut Lifter, cx: &Cx, hw1: u32, hw2: u32) -> bool {
    let op1 = (hw1 >> 4) & 0xf;
    let op2 = (hw2 >> 4) & 0xf;
    let rn = hw1 & 0xf;
    let rd = (hw2 >> 8) & 0xf;
    let rm = hw2 & 0xf;
    if hw2 >> 12 != 0xf || !plain_reg(rd) || !plain_reg(rm) {
        return false;
    }
    if op1 >> 1 <= 3 && op2 == 0 {
        // lsl/lsr/asr/ror rd, rn, rm
        if !plain_reg(rn) {
            return false;
        }
        let op2 = Op2::RegReg { rm: rn, ty: op1 >> 1, rs: rm };
        return dp(l, cx, DpOp::Mov, op1 & 1 != 0, rd, 0, op2);
    }
    if op1 <= 5 && op2 & 8 != 0 {
        if rn == 13 || op2 & 4 != 0 {
            return false;
        }
        let (signed, what) = match op1 {
            0 => (true, ExtKind::H),
            1 => (false, ExtKind::H),
            2 => (true, ExtKind::B16),
            3 => (false, ExtKind::B16),
            4 => (true, ExtKind::B),
            _ => (false, ExtKind::B),
        };
        let op = Opcode::Extend { signed, what, acc: rn != 15 };
        let w = (rn << 16) | (rd << 12) | ((op2 & 3) << 10) | rm;
        return a32(l, cx, insn(op, Form::Plain, w, cx.cond));
    }
    if op1 & 8 == 8 && op2 & 8 == 0 {
        // Parallel add/subtract: op1 picks the operation, op2 the kind.
        let op = match op1 & 7 {
            1 => 0,
            2 => 1,
            6 => 2,
            5 => 3,
            0 => 4,
            4 => 7,
            _ => return false,
        };
        let kind = match op2 & 7 {
            0 => 1,
            1 => 2,
            2 => 3,
            4 => 5,
            5 => 6,
            6 => 7,
            _ => return false,
        };
        if !plain_reg(rn) {
            return false;
        }
        let w = (kind << 20) | (rn << 16) | (rd << 12) | 0xf00 | (op << 5) | 0x10 | rm;
        return a32(l, cx, insn(Opcode::Parallel { kind: kind as u8 }, Form::Plain, w, cx.cond));
    }
    if op1 & 0xc == 8 && op2 & 0xc == 8 {
        if !plain_reg(rn) {
            return false;
        }
        let opc = match (op1 & 3, op2 & 3) {
            (0, k) => Opcode::Qadd { double: k & 1 != 0, sub: k & 2 != 0 },
            (1, 0) => Opcode::Rev,
            (1, 1) => Opcode::Rev16,
            (1, 2) => Opcode::Rbit,
            (1, 3) => Opcode::Revsh,
            (2, 0) => Opcode::Sel,
            (3, 0) => Opcode::Clz,
            _ => return false,
        };
        let w = match opc {
            // Rm is encoded twice; the copies must agree.
            Opcode::Rev | Opcode::Rev16 | Opcode::Rbit | Opcode::Revsh | Opcode::Clz => {
                if rn != rm {
                    return false;
                }
                (rd << 12) | rm
            }
            _ => (rn << 16) | (rd << 12) | rm,
        };
        return a32(l, cx, insn(opc, Form::Plain, w, cx.cond));
    }
    false
}

fn t32_mul(l: &mut Lifter, cx: &Cx, hw1: u32, hw2: u32) -> bool {
    let op1 = (hw1 >> 4) & 7;
    let op2 = (hw2 >> 4) & 3;
    let rn = hw1 & 0xf;
    let ra = hw2 >> 12;
    let rd = (hw2 >> 8) & 0xf;
    let rm = hw2 & 0xf;
    if !plain_reg(rn) || !plain_reg(rd) || !plain_reg(rm) || ra == 13 || hw2 & 0xc0 != 0 {
        return false;
    }
    let acc = ra != 15;
    let base = (rd << 16) | (ra << 12) | (rm << 8) | rn;
    let (opc, extra) = match (op1, op2) {
        (0, 0) => (Opcode::Mul { acc }, 0),
        (0, 1) if acc => (Opcode::Mls, 0),
        (1, _) => (Opcode::SmulXY { acc }, ((op2 >> 1) << 5) | ((op2 & 1) << 6)),
        (2, 0 | 1) => (Opcode::DualMul { sub: false, acc }, (op2 & 1) << 5),
        (4, 0 | 1) => (Opcode::DualMul { sub: true, acc }, (op2 & 1) << 5),
        (3, 0 | 1) => (Opcode::SmulWY { acc }, (op2 & 1) << 6),
        (5, 0 | 1) => (Opcode::Smmul { acc, sub: false }, (op2 & 1) << 5),
        (6, 0 | 1) if acc => (Opcode::Smmul { acc: true, sub: true }, (op2 & 1) << 5),
        (7, 0) => (Opcode::Usad8 { acc }, 0),
        _ => return false,
    };
    a32(l, cx, insn(opc, Form::Plain, base | extra, cx.cond))
}

fn t32_long_mul(l: &mut Lifter, cx: &Cx, hw1: u32, hw2: u32) -> bool {
    let op1 = (hw1 >> 4) & 7;
    let op2 = (hw2 >> 4) & 0xf;
    let rn = hw1 & 0xf;
    let lo = hw2 >> 12;
    let hi = (hw2 >> 8) & 0xf;
    let rm = hw2 & 0xf;
    if !plain_reg(rn) || !plain_reg(rm) || !plain_reg(hi) {
        return false;
    }
    if matches!((op1, op2), (1 | 3, 0xf)) {
        if lo != 0xf {
            return false;
        }
        let opc = if op1 == 1 { Opcode::Sdiv } else { Opcode::Udiv };
        let w = (hi << 16) | (rm << 8) | rn;
        return a32(l, cx, insn(opc, Form::Plain, w, cx.cond));
    }
    if !plain_reg(lo) || lo == hi {
        return false;
    }
    let base = (hi << 16) | (lo << 12) | (rm << 8) | rn;
    let (opc, extra) = match (op1, op2) {
        (0, 0) => (Opcode::MulLong { signed: true, acc: false }, 0),
        (2, 0) => (Opcode::MulLong { signed: false, acc: false }, 0),
        (4, 0) => (Opcode::MulLong { signed: true, acc: true }, 0),
        (4, 8..=11) => (Opcode::SmlalXY, ((op2 >> 1) & 1) << 5 | (op2 & 1) << 6),
        (4, 12 | 13) => (Opcode::DualMulLong { sub: false }, (op2 & 1) << 5),
        (5, 12 | 13) => (Opcode::DualMulLong { sub: true }, (op2 & 1) << 5),
        (6, 0) => (Opcode::MulLong { signed: false, acc: true }, 0),
        (6, 6) => (Opcode::Umaal, 0),
        _ => return false,
    };
    a32(l, cx, insn(opc, Form::Plain, base | extra, cx.cond))
}
