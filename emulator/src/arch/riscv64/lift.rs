//! riscv64 lifter: decoded instructions → IR ops.
//!
//! Receives bytes from the translator (through `Riscv64::lift_insn`), asks
//! `decode` what they mean and emits IR through `BlockBuilder`. Rules kept
//! throughout:
//! - `x0` reads as the constant 0 and writes to it are dropped, so slot 0
//!   is never written;
//! - every load and store of an instruction comes before its register
//!   writes, so a faulting access leaves the registers untouched;
//! - results are computed into temporaries before any register is written,
//!   so `rd == rs1` needs no special case.

use super::decode::{self, AluOp, AmoOp, Cond, Decoded, Insn, Opcode, Size};
use super::lift_fp::FpLifter;
use super::regs;
use crate::ir::{BinOp, BlockBuilder, Counter, Endian, Exit, Temp, TrapKind, UnOp, Width};

/// Lift the one instruction at `pc`; `bytes` holds what is fetchable there.
pub fn lift_insn(pc: u64, bytes: &[u8], b: &mut BlockBuilder) {
    match decode::decode(bytes) {
        Decoded::Insn(insn) => {
            let raw =
                bytes[..insn.len as usize].iter().rev().fold(0u32, |w, &x| (w << 8) | x as u32);
            Lifter { b, pc, next: pc.wrapping_add(insn.len as u64), raw }.lift(&insn)
        }
        Decoded::Illegal { len } => {
            // The bytes are there (decode checked), so the packing is exact.
            let packed = bytes[..len as usize].iter().rev().fold(0u32, |w, &x| (w << 8) | x as u32);
            b.insn(pc, len);
            b.exit(Exit::Trap { kind: TrapKind::IllegalInstruction { bytes: packed, len }, pc });
        }
        Decoded::Truncated { available } => {
            // The rest of the instruction is not fetchable: the fault is at
            // the first missing byte.
            b.insn(pc, available);
            let addr = pc.wrapping_add(available as u64);
            b.exit(Exit::Trap { kind: TrapKind::FetchFault { addr }, pc });
        }
    }
}

fn width(size: Size) -> Width {
    match size {
        1 => Width::W8,
        2 => Width::W16,
        4 => Width::W32,
        _ => Width::W64,
    }
}

/// A second ALU operand: a register value or an immediate.
#[derive(Clone, Copy)]
enum Src {
    Reg(Temp),
    Imm(i64),
}

struct Lifter<'a> {
    b: &'a mut BlockBuilder,
    pc: u64,
    /// Address of the next instruction.
    next: u64,
    /// The instruction word (for traps raised at run time).
    raw: u32,
}

impl Lifter<'_> {
    /// The lifter of floating-point instructions, for `i`.
    fn fp(&mut self, i: &Insn) -> FpLifter<'_> {
        FpLifter { b: self.b, pc: self.pc, raw: self.raw, len: i.len }
    }

    /// Read `x{r}`; x0 is the constant 0.
    fn x(&mut self, r: u8) -> Temp {
        if r == 0 { self.b.konst(0) } else { self.b.get(regs::x(r as u32)) }
    }

    /// Write `x{r}`; writes to x0 are dropped.
    fn set_x(&mut self, r: u8, t: Temp) {
        if r != 0 {
            self.b.set(regs::x(r as u32), t);
        }
    }

    fn src(&mut self, s: Src) -> Temp {
        match s {
            Src::Reg(t) => t,
            Src::Imm(i) => self.b.konst(i as u64),
        }
    }

    /// `rs1 + imm`, the address of a load, store or jalr.
    fn addr(&mut self, rs1: u8, imm: i64) -> Temp {
        let base = self.x(rs1);
        if imm == 0 { base } else { self.b.addi(base, imm as u64) }
    }

    fn lift(&mut self, i: &Insn) {
        self.b.insn(self.pc, i.len);
        match i.opcode {
            Opcode::Lui => {
                let v = self.b.konst(i.imm as u64);
                self.set_x(i.rd, v);
            }
            Opcode::Auipc => {
                let v = self.b.konst(self.pc.wrapping_add(i.imm as u64));
                self.set_x(i.rd, v);
            }
            Opcode::Jal => {
                let link = self.b.konst(self.next);
                self.set_x(i.rd, link);
                self.b.exit(Exit::Jump(self.pc.wrapping_add(i.imm as u64)));
            }
            Opcode::Jalr => {
                // Target first: rd may be rs1.
                let sum = self.addr(i.rs1, i.imm);
                let target = self.b.andi(sum, !1);
                let link = self.b.konst(self.next);
                self.set_x(i.rd, link);
                self.b.exit(Exit::JumpIndirect(target));
            }
            Opcode::Branch(cond) => {
                let a = self.x(i.rs1);
                let c = self.x(i.rs2);
                let taken = match cond {
                    Cond::Eq => self.b.bin(BinOp::Eq, a, c),
                    Cond::Ne => self.b.bin(BinOp::Ne, a, c),
                    Cond::Lt => self.b.bin(BinOp::LtS, a, c),
                    Cond::Ge => self.b.bin(BinOp::LeS, c, a),
                    Cond::Ltu => self.b.bin(BinOp::LtU, a, c),
                    Cond::Geu => self.b.bin(BinOp::LeU, c, a),
                };
                self.b.exit_if(taken, Exit::Jump(self.pc.wrapping_add(i.imm as u64)));
                self.b.exit(Exit::Jump(self.next));
            }
            Opcode::Load { size, signed } => {
                let addr = self.addr(i.rs1, i.imm);
                let v = self.b.load(addr, width(size), signed, Endian::Little);
                self.set_x(i.rd, v);
            }
            Opcode::Store { size } => {
                let addr = self.addr(i.rs1, i.imm);
                let v = self.x(i.rs2);
                self.b.store(addr, v, width(size), Endian::Little);
            }
            Opcode::OpImm(op) => {
                let v = if i.rs1 == 0 && matches!(op, AluOp::Add | AluOp::Or | AluOp::Xor) {
                    // li / c.li / c.nop: no need to read the zero register.
                    self.b.konst(i.imm as u64)
                } else {
                    let a = self.x(i.rs1);
                    self.alu(op, a, Src::Imm(i.imm))
                };
                self.set_x(i.rd, v);
            }
            Opcode::Op(op) => {
                let v = if i.rs1 == 0 && op == AluOp::Add {
                    // mv / c.mv.
                    self.x(i.rs2)
                } else {
                    let a = self.x(i.rs1);
                    let c = self.x(i.rs2);
                    self.alu(op, a, Src::Reg(c))
                };
                self.set_x(i.rd, v);
            }
            Opcode::OpImmW(op) => {
                let a = self.x(i.rs1);
                let v = self.alu_w(op, a, Src::Imm(i.imm));
                self.set_x(i.rd, v);
            }
            Opcode::OpW(op) => {
                let a = self.x(i.rs1);
                let c = self.x(i.rs2);
                let v = self.alu_w(op, a, Src::Reg(c));
                self.set_x(i.rd, v);
            }
            Opcode::Lr(size) => {
                let addr = self.x(i.rs1);
                let v = self.b.load(addr, width(size), true, Endian::Little);
                self.b.set(regs::RESERVATION, addr);
                self.set_x(i.rd, v);
            }
            Opcode::Sc(size) => self.sc(i, size),
            Opcode::Amo(op, size) => self.amo(i, op, size),
            Opcode::FLoad { size } => self.fp(i).load(i, size),
            Opcode::FStore { size } => self.fp(i).store(i, size),
            Opcode::Fp(op, fmt) => self.fp(i).compute(i, op, fmt),
            Opcode::CsrFp { op, uimm } => self.fp(i).csr(i, op, uimm),
            Opcode::Fence => {}
            Opcode::FenceI => {
                // Stores to translated code already end their block; ending
                // this one too makes the following code be fetched afresh.
                self.b.exit(Exit::Jump(self.next));
            }
            Opcode::Ecall => self.b.exit(Exit::Syscall { next_pc: self.next }),
            Opcode::Ebreak => self.b.exit(Exit::Trap { kind: TrapKind::Breakpoint, pc: self.pc }),
            Opcode::CsrRead => {
                let v = if i.imm as u16 == decode::CSR_TIME {
                    // A 10 MHz timebase: one tick per 100 virtual ns.
                    let ns = self.b.counter(Counter::VirtualNs);
                    self.b.bini(BinOp::DivU, ns, 100)
                } else {
                    // cycle and instret both count retired instructions.
                    self.b.counter(Counter::Insns)
                };
                self.set_x(i.rd, v);
            }
        }
    }

    /// A 64-bit ALU operation.
    fn alu(&mut self, op: AluOp, a: Temp, s: Src) -> Temp {
        let c = self.src(s);
        let bin = |op| Some(op);
        let simple = match op {
            AluOp::Add => bin(BinOp::Add),
            AluOp::Sub => bin(BinOp::Sub),
            AluOp::Sll => bin(BinOp::Shl),
            AluOp::Slt => bin(BinOp::LtS),
            AluOp::Sltu => bin(BinOp::LtU),
            AluOp::Xor => bin(BinOp::Xor),
            AluOp::Srl => bin(BinOp::ShrU),
            AluOp::Sra => bin(BinOp::ShrS),
            AluOp::Or => bin(BinOp::Or),
            AluOp::And => bin(BinOp::And),
            AluOp::Mul => bin(BinOp::Mul),
            AluOp::Mulh => bin(BinOp::MulHiS),
            AluOp::Mulhsu => bin(BinOp::MulHiSU),
            AluOp::Mulhu => bin(BinOp::MulHiU),
            // The IR's RemS/RemU already give the dividend for a zero
            // divisor and 0 for MIN % -1, as RISC-V does.
            AluOp::Rem => bin(BinOp::RemS),
            AluOp::Remu => bin(BinOp::RemU),
            AluOp::Div | AluOp::Divu => None,
        };
        match simple {
            Some(op) => self.b.bin(op, a, c),
            None => {
                let op = if op == AluOp::Div { BinOp::DivS } else { BinOp::DivU };
                self.div(op, a, c)
            }
        }
    }

    /// `a / c` with RISC-V's all-ones result for a zero divisor; the IR's
    /// division gives 0 there (and already gives MIN for MIN / -1).
    fn div(&mut self, op: BinOp, a: Temp, c: Temp) -> Temp {
        let q = self.b.bin(op, a, c);
        let zero = self.b.konst(0);
        let by_zero = self.b.bin(BinOp::Eq, c, zero);
        let ones = self.b.konst(u64::MAX);
        self.b.select(by_zero, ones, q)
    }

    /// A 32-bit ALU operation (`addw` and kin): operates on the low 32
    /// bits and sign-extends the 32-bit result.
    fn alu_w(&mut self, op: AluOp, a: Temp, s: Src) -> Temp {
        // Register shift amounts use 5 bits; immediate ones are 5-bit
        // already (the decoder only takes shamt[4:0]).
        let shamt = |l: &mut Self| match s {
            Src::Imm(i) => l.b.konst(i as u64 & 31),
            Src::Reg(t) => l.b.andi(t, 31),
        };
        let r = match op {
            AluOp::Add | AluOp::Sub | AluOp::Mul => {
                let c = self.src(s);
                let bop = match op {
                    AluOp::Add => BinOp::Add,
                    AluOp::Sub => BinOp::Sub,
                    _ => BinOp::Mul,
                };
                self.b.bin(bop, a, c)
            }
            AluOp::Sll => {
                let sh = shamt(self);
                self.b.bin(BinOp::Shl, a, sh)
            }
            AluOp::Srl => {
                let sh = shamt(self);
                let a = self.b.zext32(a);
                self.b.bin(BinOp::ShrU, a, sh)
            }
            AluOp::Sra => {
                let sh = shamt(self);
                let a = self.b.sext32(a);
                self.b.bin(BinOp::ShrS, a, sh)
            }
            AluOp::Div | AluOp::Rem => {
                // Sign-extended operands make 64-bit division exact for 32-bit
                // values; MIN32 / -1 = 2^31 wraps to MIN32 in the final sext.
                let c = self.src(s);
                let a = self.b.sext32(a);
                let c = self.b.sext32(c);
                if op == AluOp::Div {
                    self.div(BinOp::DivS, a, c)
                } else {
                    self.b.bin(BinOp::RemS, a, c)
                }
            }
            AluOp::Divu | AluOp::Remu => {
                let c = self.src(s);
                let a = self.b.zext32(a);
                let c = self.b.zext32(c);
                if op == AluOp::Divu {
                    self.div(BinOp::DivU, a, c)
                } else {
                    self.b.bin(BinOp::RemU, a, c)
                }
            }
            // No other W operations exist; the decoder never produces them.
            AluOp::Slt
            | AluOp::Sltu
            | AluOp::Xor
            | AluOp::Or
            | AluOp::And
            | AluOp::Mulh
            | AluOp::Mulhsu
            | AluOp::Mulhu => self.alu(op, a, s),
        };
        self.b.un(UnOp::Sext32, r)
    }

    /// `sc`: store and write 0 iff the reservation holds the address, else
    /// write 1 without storing. Either way the reservation is dropped.
    fn sc(&mut self, i: &Insn, size: Size) {
        let addr = self.x(i.rs1);
        let value = self.x(i.rs2);
        let held = self.b.get(regs::RESERVATION);
        // 1 on failure, 0 on success: exactly the value rd receives.
        let failed = self.b.bin(BinOp::Ne, held, addr);
        let skip = self.b.label();
        self.b.branch_if(failed, skip);
        self.b.store(addr, value, width(size), Endian::Little);
        self.b.place(skip);
        self.b.set_const(regs::RESERVATION, regs::NO_RESERVATION);
        self.set_x(i.rd, failed);
    }

    /// An AMO: load, compute, store; rd gets the old value (sign-extended
    /// for `.w`, which the signed load provides).
    fn amo(&mut self, i: &Insn, op: AmoOp, size: Size) {
        let w = width(size);
        let addr = self.x(i.rs1);
        let old = self.b.load(addr, w, true, Endian::Little);
        let src = self.x(i.rs2);
        let new = match op {
            AmoOp::Swap => src,
            AmoOp::Add => self.b.add(old, src),
            AmoOp::Xor => self.b.bin(BinOp::Xor, old, src),
            AmoOp::And => self.b.and(old, src),
            AmoOp::Or => self.b.bin(BinOp::Or, old, src),
            AmoOp::Min | AmoOp::Max | AmoOp::Minu | AmoOp::Maxu => {
                let signed = matches!(op, AmoOp::Min | AmoOp::Max);
                // Compare as `size`-byte values: for .w, bring both operands
                // to the same 64-bit extension (the loaded one is signed).
                let (a, c) = match (size, signed) {
                    (8, _) => (old, src),
                    (_, true) => (old, self.b.sext32(src)),
                    (_, false) => (self.b.zext32(old), self.b.zext32(src)),
                };
                let lt = self.b.bin(if signed { BinOp::LtS } else { BinOp::LtU }, a, c);
                if matches!(op, AmoOp::Min | AmoOp::Minu) {
                    self.b.select(lt, a, c)
                } else {
                    self.b.select(lt, c, a)
                }
            }
        };
        self.b.store(addr, new, w, Endian::Little);
        self.set_x(i.rd, old);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Block, Op};

    fn lift(bytes: &[u8]) -> Block {
        let mut b = BlockBuilder::new(0x1000);
        lift_insn(0x1000, bytes, &mut b);
        b.finish()
    }

    #[test]
    fn x0_is_never_written() {
        // addi x0, a0, 1 ; c.li x0, 1 ; lui x0, 1 ; jal x0, 8
        for bytes in [
            &[0x13, 0x00, 0x15, 0x00][..],
            &[0x05, 0x40],
            &[0x37, 0x10, 0x00, 0x00],
            &[0x6f, 0x00, 0x80, 0x00],
        ] {
            let block = lift(bytes);
            assert!(
                !block.ops.iter().any(|op| matches!(op, Op::Set { slot, .. } if slot.0 == 0)),
                "{block}"
            );
        }
    }

    #[test]
    fn illegal_and_truncated() {
        let block = lift(&[0x00, 0x00]);
        assert_eq!(
            block.exit,
            Exit::Trap { kind: TrapKind::IllegalInstruction { bytes: 0, len: 2 }, pc: 0x1000 }
        );
        // fadd.s with the reserved rounding mode 5.
        let block = lift(&[0x53, 0x50, 0x00, 0x00]);
        assert_eq!(
            block.exit,
            Exit::Trap {
                kind: TrapKind::IllegalInstruction { bytes: 0x0000_5053, len: 4 },
                pc: 0x1000
            }
        );
        let block = lift(&[0x33, 0x05]);
        assert_eq!(
            block.exit,
            Exit::Trap { kind: TrapKind::FetchFault { addr: 0x1002 }, pc: 0x1000 }
        );
        assert_eq!(block.byte_len, 2);
    }

    #[test]
    fn loads_write_rd_after_the_access() {
        // ld a0, 0(a0)
        let block = lift(&[0x03, 0x35, 0x05, 0x00]);
        let load = block.ops.iter().position(|op| matches!(op, Op::Load { .. })).unwrap();
        let set = block.ops.iter().position(|op| matches!(op, Op::Set { .. })).unwrap();
        assert!(load < set, "{block}");
    }

    #[test]
    fn sc_stores_only_when_the_reservation_matches() {
        // sc.w a0, a2, (a1)
        let block = lift(&[0x2f, 0xa5, 0xc5, 0x18]);
        let text: Vec<String> =
            block.ops.iter().map(|op| op.to_string().trim().to_string()).collect();
        assert_eq!(
            text,
            [
                "-- 0x1000 (4 bytes)",
                "t0 = s11",
                "t1 = s12",
                "t2 = s32",
                "t3 = Ne t2, t0",
                "if t3 goto L0",
                "store.32.le [t0] = t1",
                "L0:",
                "t4 = 0xffffffffffffffff",
                "s32 = t4",
                "s10 = t3",
            ]
        );
    }

    #[test]
    fn fadd_s_unboxes_checks_frm_and_boxes() {
        // fadd.s fa0, fa1, fa2 (dynamic rounding mode)
        let block = lift(&[0x53, 0xf5, 0xc5, 0x00]);
        let text: Vec<String> =
            block.ops.iter().map(|op| op.to_string().trim().to_string()).collect();
        assert_eq!(
            text,
            [
                "-- 0x1000 (4 bytes)",
                "t0 = s65",
                "t1 = 0x5",
                "t2 = LtU t0, t1",
                "t3 = 0x1",
                "t4 = Xor t2, t3",
                "if t4 exit trap IllegalInstruction { bytes: 12973395, len: 4 } at 0x1000",
                "t5 = s44",
                "t6 = 0x20",
                "t7 = ShrU t5, t6",
                "t8 = 0xffffffff",
                "t9 = Eq t7, t8",
                "t10 = Zext32 t5",
                "t11 = 0x7fc00000",
                "t12 = t9 ? t10 : t11",
                "t13 = s45",
                "t14 = 0x20",
                "t15 = ShrU t13, t14",
                "t16 = 0xffffffff",
                "t17 = Eq t15, t16",
                "t18 = Zext32 t13",
                "t19 = 0x7fc00000",
                "t20 = t17 ? t18 : t19",
                "t21 = fadd.f32 t12, t20 rm=t0 flags|=s66",
                "t22 = 0xffffffff00000000",
                "t23 = Or t21, t22",
                "s43 = t23",
            ][..],
            "{block}"
        );
    }

    #[test]
    fn division_by_zero_selects_all_ones() {
        // div a0, a1, a2
        let block = lift(&[0x33, 0xc5, 0xc5, 0x02]);
        assert!(block.ops.iter().any(|op| matches!(op, Op::Select { .. })), "{block}");
        // divw: the 32-bit quotient is sign-extended after the select.
        let block = lift(&[0x3b, 0xc5, 0xc5, 0x02]);
        let sel = block.ops.iter().position(|op| matches!(op, Op::Select { .. })).unwrap();
        let sext = block.ops.iter().rposition(|op| matches!(op, Op::Un { .. })).unwrap();
        assert!(sel < sext, "{block}");
    }

    #[test]
    fn random_words_never_panic() {
        let mut rng = crate::arch::decode_kit::XorShift(0x9e37_79b9_7f4a_7c15u64);
        for n in 0..200_000u32 {
            let s = rng.next_u64();
            let bytes = (s as u32).to_le_bytes();
            let avail = 1 + (n as usize % 4);
            // `finish` validates the block in debug builds.
            lift(&bytes[..avail]);
        }
        // Every 16-bit word, exhaustively.
        for w in 0..=u16::MAX {
            lift(&w.to_le_bytes());
        }
    }
}
