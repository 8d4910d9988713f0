//! Lowering of integer operations ([`BinOp`], [`UnOp`], comparisons and
//! selects' conditions), with their narrowing: operations on values known
//! to be zero-extended words run in 32 bits.
//!
//! Talks to: `frame` (which calls these per op), `jit::access` (constant
//! folding of addresses).

use cranelift_codegen::ir::condcodes::{CondCode, IntCC};
use cranelift_codegen::ir::{InstBuilder, InstructionData, Opcode, Type, Value, types};

use super::{I64, Lower};
use crate::ir::{BinOp, UnOp};

impl Lower<'_, '_> {
    pub(in crate::jit) fn bool_to_i64(&mut self, c: Value) -> Value {
        self.b.ins().uextend(I64, c)
    }

    pub(super) fn bin(&mut self, op: BinOp, a: Value, b: Value) -> Value {
        match op {
            BinOp::Add => self.b.ins().iadd(a, b),
            BinOp::Sub => self.b.ins().isub(a, b),
            BinOp::Mul => self.b.ins().imul(a, b),
            BinOp::MulHiU => self.b.ins().umulhi(a, b),
            BinOp::MulHiS => self.b.ins().smulhi(a, b),
            BinOp::MulHiSU => {
                // signed(a) × unsigned(b) = umulhi(a, b) - (a < 0 ? b : 0)
                let hi = self.b.ins().umulhi(a, b);
                let neg = self.b.ins().sshr_imm_u(a, 63);
                let corr = self.b.ins().band(neg, b);
                self.b.ins().isub(hi, corr)
            }
            BinOp::DivU | BinOp::RemU => {
                let zero = self.b.ins().icmp_imm_s(IntCC::Equal, b, 0);
                let one = self.b.ins().iconst(I64, 1);
                let safe = self.b.ins().select(zero, one, b);
                if op == BinOp::DivU {
                    let q = self.b.ins().udiv(a, safe);
                    let z = self.b.ins().iconst(I64, 0);
                    self.b.ins().select(zero, z, q)
                } else {
                    let r = self.b.ins().urem(a, safe);
                    self.b.ins().select(zero, a, r)
                }
            }
            BinOp::DivS | BinOp::RemS => {
                // Dividing by 1 instead of 0 or -1-with-MIN keeps the
                // hardware from trapping; MIN/1 = MIN and MIN%1 = 0 are
                // exactly the IR's results for MIN/-1.
                let zero = self.b.ins().icmp_imm_s(IntCC::Equal, b, 0);
                let min = self.b.ins().icmp_imm_s(IntCC::Equal, a, i64::MIN);
                let m1 = self.b.ins().icmp_imm_s(IntCC::Equal, b, -1);
                let ovf = self.b.ins().band(min, m1);
                let bad = self.b.ins().bor(zero, ovf);
                let one = self.b.ins().iconst(I64, 1);
                let safe = self.b.ins().select(bad, one, b);
                if op == BinOp::DivS {
                    let q = self.b.ins().sdiv(a, safe);
                    let z = self.b.ins().iconst(I64, 0);
                    self.b.ins().select(zero, z, q)
                } else {
                    let r = self.b.ins().srem(a, safe);
                    self.b.ins().select(zero, a, r)
                }
            }
            BinOp::Or | BinOp::Xor | BinOp::And
                if let (Some(x), Some(y)) = (self.word_of(a), self.word_of(b)) =>
            {
                // Both are zero-extended words: so is the result.
                let (inst, dfg) = self.b.ins().Binary(
                    match op {
                        BinOp::Or => Opcode::Bor,
                        BinOp::Xor => Opcode::Bxor,
                        _ => Opcode::Band,
                    },
                    types::I32,
                    x,
                    y,
                );
                let r = dfg.first_result(inst);
                self.b.ins().uextend(I64, r)
            }
            BinOp::ShrU if let (Some(x), Some(c)) = (self.word_of(a), self.const_of(b)) => {
                // A right shift of a zero-extended word, as a word.
                let r = self.b.ins().ushr_imm_u(x, (c & 63).min(31) as i64);
                let r = if c & 63 >= 32 { self.b.ins().iconst(types::I32, 0) } else { r };
                self.b.ins().uextend(I64, r)
            }
            BinOp::And => match self.const_of(b) {
                // A mask within the low word: compute in 32 bits, where
                // the host's immediates reach and zero-extension is free.
                Some(m) if m <= u32::MAX as u64 => self.and_low_word(a, m),
                _ => self.b.ins().band(a, b),
            },
            BinOp::Or => self.b.ins().bor(a, b),
            BinOp::Xor => match (self.const_of(b), self.compare_of(a)) {
                // `cond ^ 1` of a 0/1 comparison (A64's inverted conditions):
                // the inverse comparison.
                (Some(1), Some((cc, x, y))) => {
                    let c = self.b.ins().icmp(cc.complement(), x, y);
                    self.bool_to_i64(c)
                }
                _ => self.b.ins().bxor(a, b),
            },
            BinOp::Shl => self.b.ins().ishl(a, b),
            BinOp::ShrU => self.b.ins().ushr(a, b),
            BinOp::ShrS => self.b.ins().sshr(a, b),
            BinOp::RotL => self.b.ins().rotl(a, b),
            BinOp::RotR => self.b.ins().rotr(a, b),
            BinOp::Eq | BinOp::Ne | BinOp::LtU | BinOp::LtS | BinOp::LeU | BinOp::LeS => {
                let cc = match op {
                    BinOp::Eq => IntCC::Equal,
                    BinOp::Ne => IntCC::NotEqual,
                    BinOp::LtU => IntCC::UnsignedLessThan,
                    BinOp::LtS => IntCC::SignedLessThan,
                    BinOp::LeU => IntCC::UnsignedLessThanOrEqual,
                    _ => IntCC::SignedLessThanOrEqual,
                };
                let c = match (self.extended_word(a, Opcode::Uextend), self.word_of(b)) {
                    // Two zero-extended words compare as the words do, the
                    // signed orders too (both are non-negative): no
                    // widening moves before the host's compare.
                    (Some(x), Some(y)) => self.b.ins().icmp(cc.unsigned(), x, y),
                    _ => self.b.ins().icmp(cc, a, b),
                };
                self.bool_to_i64(c)
            }
        }
    }

    pub(super) fn un(&mut self, op: UnOp, a: Value) -> Value {
        let narrow = |l: &mut Self, ty: Type, signed: bool| {
            let n = l.b.ins().ireduce(ty, a);
            if signed { l.b.ins().sextend(I64, n) } else { l.b.ins().uextend(I64, n) }
        };
        match op {
            UnOp::Not => self.b.ins().bnot(a),
            UnOp::Neg => self.b.ins().ineg(a),
            UnOp::Clz => self.b.ins().clz(a),
            UnOp::Ctz => self.b.ins().ctz(a),
            UnOp::Popcnt => self.b.ins().popcnt(a),
            UnOp::Bswap16 | UnOp::Bswap32 => {
                let ty = if op == UnOp::Bswap16 { types::I16 } else { types::I32 };
                let n = self.b.ins().ireduce(ty, a);
                let s = self.b.ins().bswap(n);
                self.b.ins().uextend(I64, s)
            }
            UnOp::Bswap64 => self.b.ins().bswap(a),
            UnOp::Sext8 => narrow(self, types::I8, true),
            UnOp::Sext16 => narrow(self, types::I16, true),
            UnOp::Sext32 => {
                let w = self.low_word(a);
                self.b.ins().sextend(I64, w)
            }
            UnOp::Zext8 => narrow(self, types::I8, false),
            UnOp::Zext16 => narrow(self, types::I16, false),
            UnOp::Zext32 => self.and_low_word(a, u32::MAX as u64),
        }
    }

    /// `v == k`, compared as words when `v` is a zero-extended word and `k`
    /// fits one (no widening move before the host's compare).
    pub(super) fn equals_const(&mut self, v: Value, k: u64) -> Value {
        match self.extended_word(v, Opcode::Uextend) {
            Some(w) if k <= u32::MAX as u64 => self.b.ins().icmp_imm_u(IntCC::Equal, w, k as i64),
            _ => self.b.ins().icmp_imm_s(IntCC::Equal, v, k as i64),
        }
    }

    /// The `i32` word of `v` when `v` is a zero-extended word: widened from
    /// an `i32`, or a constant that fits one.
    fn word_of(&mut self, v: Value) -> Option<Value> {
        if let Some(w) = self.extended_word(v, Opcode::Uextend) {
            return Some(w);
        }
        let c = self.const_of(v).filter(|&c| c <= u32::MAX as u64)?;
        Some(self.b.ins().iconst(types::I32, c as i64))
    }

    /// `(cc, x, y)` when `v` is a 0/1 comparison `icmp cc x, y` widened.
    fn compare_of(&self, v: Value) -> Option<(IntCC, Value, Value)> {
        let dfg = &self.b.func.dfg;
        let inst = dfg.value_def(v).inst()?;
        let InstructionData::Unary { opcode: Opcode::Uextend, arg } = dfg.insts[inst] else {
            return None;
        };
        let inst = dfg.value_def(arg).inst()?;
        match dfg.insts[inst] {
            InstructionData::IntCompare { opcode: Opcode::Icmp, cond, args: [x, y] } => {
                Some((cond, x, y))
            }
            _ => None,
        }
    }

    /// A branch or select condition: a widened comparison is tested as the
    /// comparison itself, which the host branches on directly.
    pub(super) fn condition(&mut self, v: Value) -> Value {
        match self.compare_of(v) {
            Some((cc, x, y)) => self.b.ins().icmp(cc, x, y),
            None => v,
        }
    }

    /// The constant `v` was built from, if it is one.
    pub(in crate::jit) fn const_of(&self, v: Value) -> Option<u64> {
        let dfg = &self.b.func.dfg;
        let inst = dfg.value_def(v).inst()?;
        match dfg.insts[inst] {
            InstructionData::UnaryImm { opcode: Opcode::Iconst, imm } => Some(imm.bits() as u64),
            _ => None,
        }
    }

    /// The low 32 bits of `v` as an `i32`, computed in 32 bits when `v` is
    /// an operation whose low word depends only on its operands' low words.
    /// It looks one operation deep: looking further measured no faster.
    fn low_word(&mut self, v: Value) -> Value {
        let dfg = &self.b.func.dfg;
        if let Some(inst) = dfg.value_def(v).inst()
            && let InstructionData::Binary { opcode, args: [x, y] } = dfg.insts[inst]
        {
            let shift = self.const_of(y).filter(|&c| c < 32);
            // For right shifts, the value shifted must be a 32-bit one
            // extended the way the shift brings its bits in.
            match (opcode, shift) {
                (Opcode::Ushr, Some(c)) if let Some(w) = self.extended_word(x, Opcode::Uextend) => {
                    return self.b.ins().ushr_imm_u(w, c as i64);
                }
                (Opcode::Sshr, Some(c)) if let Some(w) = self.extended_word(x, Opcode::Sextend) => {
                    return self.b.ins().sshr_imm_u(w, c as i64);
                }
                _ => {}
            }
            // A 32-bit rotate built as a 64-bit rotate of the word doubled
            // into both halves (ppc64 `rlwinm`), or as a right shift of it
            // by less than 32 (mips `rotr`): its low word is the 32-bit
            // rotate.
            let rotate = match (opcode, self.const_of(y)) {
                (Opcode::Rotl, Some(c)) => Some((true, c & 31)),
                (Opcode::Rotr, Some(c)) => Some((false, c & 31)),
                (Opcode::Ushr, Some(c)) if c < 32 => Some((false, c)),
                _ => None,
            };
            if let Some((left, c)) = rotate
                && let Some(w) = self.doubled_word(x)
            {
                return if left {
                    self.b.ins().rotl_imm_u(w, c as i64)
                } else {
                    self.b.ins().rotr_imm_u(w, c as i64)
                };
            }
            match opcode {
                Opcode::Iadd
                | Opcode::Isub
                | Opcode::Imul
                | Opcode::Band
                | Opcode::Bor
                | Opcode::Bxor => {
                    let x = self.b.ins().ireduce(types::I32, x);
                    let y = self.b.ins().ireduce(types::I32, y);
                    let (inst, dfg) = self.b.ins().Binary(opcode, types::I32, x, y);
                    return dfg.first_result(inst);
                }
                Opcode::Ishl if shift.is_some() => {
                    let x = self.b.ins().ireduce(types::I32, x);
                    return self.b.ins().ishl_imm_u(x, shift.unwrap_or(0) as i64);
                }
                _ => {}
            }
        }
        self.b.ins().ireduce(types::I32, v)
    }

    /// `w` (an `i32`) when `v` is `(u << 32) | u` for `u = uextend(w)`.
    fn doubled_word(&self, v: Value) -> Option<Value> {
        let dfg = &self.b.func.dfg;
        let binary = |v: Value| {
            let inst = dfg.value_def(v).inst()?;
            match dfg.insts[inst] {
                InstructionData::Binary { opcode, args } => Some((opcode, args[0], args[1])),
                _ => None,
            }
        };
        let (Opcode::Bor, p, q) = binary(v)? else { return None };
        let (shifted, u) =
            if binary(p).is_some_and(|(o, _, _)| o == Opcode::Ishl) { (p, q) } else { (q, p) };
        let (Opcode::Ishl, su, amount) = binary(shifted)? else { return None };
        if su != u || self.const_of(amount) != Some(32) {
            return None;
        }
        self.extended_word(u, Opcode::Uextend)
    }

    /// `w` when `v` is `extend(w)` for an `i32` `w`, with `extend` the
    /// `uextend` or `sextend` opcode.
    pub(in crate::jit) fn extended_word(&self, v: Value, extend: Opcode) -> Option<Value> {
        let dfg = &self.b.func.dfg;
        let inst = dfg.value_def(v).inst()?;
        match dfg.insts[inst] {
            InstructionData::Unary { opcode, arg }
                if opcode == extend && dfg.value_type(arg) == types::I32 =>
            {
                Some(arg)
            }
            _ => None,
        }
    }

    /// `a & mask` for a mask within the low word (`mask <= u32::MAX`).
    fn and_low_word(&mut self, a: Value, mask: u64) -> Value {
        let dfg = &self.b.func.dfg;
        // `(x >> c) & mask` with the mask inside the low `32 - c` bits takes
        // bits of x's low word only: a 32-bit shift.
        if let Some(inst) = dfg.value_def(a).inst()
            && let InstructionData::Binary { opcode: Opcode::Ushr, args: [x, y] } = dfg.insts[inst]
            && let Some(c) = self.const_of(y)
            && c < 32
            && mask <= (u32::MAX >> c) as u64
        {
            let x = self.b.ins().ireduce(types::I32, x);
            let r = self.b.ins().ushr_imm_u(x, c as i64);
            let r = if mask == (u32::MAX >> c) as u64 {
                r
            } else {
                self.b.ins().band_imm_u(r, mask as i64)
            };
            return self.b.ins().uextend(I64, r);
        }
        // `(x << c) & mask` with the mask covering every bit the shift can
        // set needs no `and` in 32 bits.
        let covered = dfg.value_def(a).inst().is_some_and(|inst| match dfg.insts[inst] {
            InstructionData::Binary { opcode: Opcode::Ishl, args: [_, y] } => {
                self.const_of(y).is_some_and(|c| c < 32 && (u32::MAX << c) as u64 & !mask == 0)
            }
            _ => false,
        });
        let w = self.low_word(a);
        let r = if mask == u32::MAX as u64 || covered {
            w
        } else {
            self.b.ins().band_imm_u(w, mask as i64)
        };
        self.b.ins().uextend(I64, r)
    }
}
