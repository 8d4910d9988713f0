//! Lowering of guest memory accesses: direct ones and those through the
//! software TLB.
//!
//! ============================== SAFETY ==============================
//! This is the code that decides which host address compiled code reads
//! and writes. A *direct* access goes to `base + addr` with no check of
//! its own: it is sound only because `direct_host` keeps every address
//! it emits inside the host reservation and its guards (clamping the
//! base, folding at most `MAX_FOLDED_OFFSET`), so any access outside
//! mapped guest memory faults on a host page the reservation owns, and
//! because each direct access records its trap code and `(pc,
//! unretired)` for the SIGSEGV handler in `fault`, which turns the fault
//! into a guest fault at exactly that instruction. A TLB access uses the
//! host address only after a tag compare proves the page is mapped with
//! the right permission. Change either path together with `fault` and
//! `mem::AddressSpace::direct_base`, and run the `jit_address_spaces`
//! and differential tests: a mistake here is a host memory-safety bug,
//! not a wrong guest result.
//! ====================================================================
//!
//! Memory accesses that are the first effect of their instruction (no
//! change to guest state before them, only direct loads) are *direct*: they
//! access guest memory at `base + addr` and leave every check to the host
//! MMU (see `fault`). Each has its own trap code, and its block stored the
//! fuel it started with in the context, so the engine finds both the
//! access and the fuel left at the fault. Other accesses (and all of them
//! where the host has no fault support) inline a lookup of their own access
//! site and then of the software TLB (see `mem::tlb`); a TLB miss calls the
//! `runtime` helpers through the slow-path thunks. Big-endian accesses
//! byte-swap explicitly.
//!
//! Talks to: `lower` (the `Lower` state and its `frame`, which calls
//! `load` and `store` per op), `fault` (trap codes), `mem::tlb` (layout).

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    Block as ClBlock, BlockArg, InstBuilder, InstructionData, MemFlagsData, Opcode, TrapCode, Type,
    Value, types,
};

use super::lower::{I64, Lower, Sites};
use super::runtime::{self, EXIT_FAULT, EXIT_JUMP};
use crate::ir::{Endian, Width};
use crate::mem::{PAGE_MASK, PAGE_SHIFT, SITES, TLB_SIZE, tlb_offsets};

/// Most direct accesses in one function: each has its own trap code, of
/// which Cranelift leaves this many to users. Further ones use sites.
const MAX_DIRECT_ACCESSES: usize = 250;
const _: () = assert!(TrapCode::user(MAX_DIRECT_ACCESSES as u8).is_some());

/// Largest constant offset a direct access keeps apart from its clamped
/// base (see `Lower::direct_host`): within the guards around the host
/// reservation (`mem::DIRECT_GUARD`, less the widest access).
const MAX_FOLDED_OFFSET: u64 = crate::mem::DIRECT_GUARD - 8;

impl Sites {
    /// Offset from the TLB of the next site of the given kind.
    fn take(&mut self, write: bool) -> i32 {
        let (n, base) = if write {
            (&mut self.write, tlb_offsets::WRITE_SITES)
        } else {
            (&mut self.read, tlb_offsets::READ_SITES)
        };
        let i = *n;
        *n = (i + 1) % SITES;
        base + i as i32 * tlb_offsets::SITE_SIZE
    }
}

impl Lower<'_, '_> {
    /// The running address space's TLB, read from the `JitCtx` where used
    /// (the code is shared between address spaces).
    fn tlb(&mut self) -> Value {
        let ctx = self.ctx();
        self.b.ins().load(I64, self.trusted, ctx, runtime::offsets::TLB)
    }

    /// Address of the TLB entry for `addr`.
    fn tlb_entry(&mut self, addr: Value) -> Value {
        // ((addr >> PAGE_SHIFT) & (TLB_SIZE - 1)) << ENTRY_SHIFT, in two
        // operations: entries are smaller than pages.
        const _: () = assert!(tlb_offsets::ENTRY_SHIFT < PAGE_SHIFT as i64);
        let off = self.b.ins().ushr_imm_u(addr, PAGE_SHIFT as i64 - tlb_offsets::ENTRY_SHIFT);
        let off = self.b.ins().band_imm_s(off, ((TLB_SIZE - 1) as i64) << tlb_offsets::ENTRY_SHIFT);
        let tlb = self.tlb();
        let base = self.b.ins().iadd(tlb, off);
        self.b.ins().iadd_imm_s(base, tlb_offsets::ENTRIES as i64)
    }

    fn width_type(w: Width) -> Type {
        match w {
            Width::W8 => types::I8,
            Width::W16 => types::I16,
            Width::W32 => types::I32,
            Width::W64 => types::I64,
        }
    }

    /// The host address of an access of `w` bytes at `addr` through a
    /// fresh access site: `fast(addend)` is entered on a hit of the site or
    /// of the TLB entry (its read or write tag), which the site then
    /// copies; `slow` on a TLB miss. Leaves the builder in `fast`; returns
    /// `host`.
    fn site_lookup(&mut self, addr: Value, w: Width, write: bool, slow: ClBlock) -> Value {
        let site = self.sites.take(write);
        // The page of the access's last byte (see `mem::tlb`): an access
        // within one page hits whatever its alignment.
        let last = self.b.ins().iadd_imm_s(addr, w.bytes() as i64 - 1);
        let masked = self.b.ins().band_imm_s(last, PAGE_MASK as i64);
        let tlb = self.tlb();
        let stag = self.b.ins().load(I64, self.trusted, tlb, site + tlb_offsets::SITE_TAG);
        let sadd = self.b.ins().load(I64, self.trusted, tlb, site + tlb_offsets::SITE_ADDEND);
        let fast = self.b.create_block();
        let addend = self.b.append_block_param(fast, I64);
        let probe = self.b.create_block();
        self.b.set_cold_block(probe);
        let refill = self.b.create_block();
        self.b.set_cold_block(refill);
        let hit = self.b.ins().icmp(IntCC::Equal, masked, stag);
        self.b.ins().brif(hit, fast, &[BlockArg::Value(sadd)], probe, &[]);
        self.b.seal_block(probe);

        // The site holds another page: look the TLB up, and on a hit make
        // the site hold this one.
        self.b.switch_to_block(probe);
        let entry = self.tlb_entry(addr);
        let tag_off = if write { tlb_offsets::WRITE_TAG } else { tlb_offsets::READ_TAG };
        let tag = self.b.ins().load(I64, self.trusted, entry, tag_off);
        let hit = self.b.ins().icmp(IntCC::Equal, masked, tag);
        self.b.ins().brif(hit, refill, &[], slow, &[]);
        // The probe is the slow path's only way in.
        self.b.seal_block(refill);
        self.b.seal_block(slow);

        self.b.switch_to_block(refill);
        let a = self.b.ins().load(I64, self.trusted, entry, tlb_offsets::ADDEND);
        let tlb = self.tlb();
        self.b.ins().store(self.trusted, tag, tlb, site + tlb_offsets::SITE_TAG);
        self.b.ins().store(self.trusted, a, tlb, site + tlb_offsets::SITE_ADDEND);
        self.b.ins().jump(fast, &[BlockArg::Value(a)]);
        self.b.seal_block(fast);

        self.b.switch_to_block(fast);
        self.b.ins().iadd(addr, addend)
    }

    /// Fill `back`, a cold block, with a jump to `target` with `args`; the
    /// builder moves there, so call it after the branch to `back`. Cold
    /// code branches back into hot code through such a block: Cranelift
    /// lays a critical edge out with its successor, so a conditional branch
    /// from a cold block straight into a hot one would put the edge's block
    /// in the middle of the fast path, which then has to jump over it.
    fn cold_jump_after(&mut self, back: ClBlock, target: ClBlock, args: &[BlockArg]) {
        self.b.switch_to_block(back);
        self.b.ins().jump(target, args);
    }

    /// A new cold block, for [`Lower::cold_jump_after`].
    fn cold_block(&mut self) -> ClBlock {
        let back = self.b.create_block();
        self.b.set_cold_block(back);
        back
    }

    /// Call the slow-path thunk whose address the `JitCtx` holds at offset
    /// `thunk` for an access of `w` bytes at `addr` (storing `value`), its
    /// arguments passed in `JitCtx::slow_args`.
    fn call_thunk(&mut self, thunk: i32, addr: Value, w: Width, value: Option<Value>) {
        let args = runtime::offsets::SLOW_ARGS;
        let ctx = self.ctx();
        self.b.ins().store(self.trusted, addr, ctx, args);
        let size = self.b.ins().iconst(I64, w.bytes() as i64);
        self.b.ins().store(self.trusted, size, ctx, args + 8);
        if let Some(v) = value {
            self.b.ins().store(self.trusted, v, ctx, args + 16);
        }
        let f = self.b.ins().load(I64, self.trusted, ctx, thunk);
        self.b.ins().call_indirect(self.thunk_sig, f, &[ctx]);
    }

    /// A loaded value of type `ty` in guest byte order, as the IR's 64-bit
    /// value.
    fn loaded_value(&mut self, v: Value, ty: Type, signed: bool, endian: Endian) -> Value {
        let v = if endian == Endian::Big && ty != types::I8 { self.b.ins().bswap(v) } else { v };
        if ty == I64 {
            v
        } else if signed {
            self.b.ins().sextend(I64, v)
        } else {
            self.b.ins().uextend(I64, v)
        }
    }

    /// The host address of a direct access at `addr` (see `fault`), an
    /// offset to add, and its memory flags, which carry the access's trap
    /// code. 32-bit guests need no check. For 64-bit guests an address at
    /// or beyond the host reservation branches to a cold block that makes
    /// the same access at the reservation's end, where the guard faults
    /// into the slow path; a branch, not a clamp, keeps the check off the
    /// address's dependency chain. An address `x + k` with a small constant
    /// `k` checks `x` and keeps `k` as the offset, so the accesses around
    /// one base register share one check (a result beyond either end of
    /// the reservation lands in a guard too, and the fault sends it to the
    /// interpreter, which gets it right).
    fn direct_host(&mut self, addr: Value, w: Width, at: (u64, u64)) -> (Value, i32, MemFlagsData) {
        let d = self.direct.expect("direct accesses are on");
        // Counted from the fuel the block started with (see `fault`).
        self.accesses.push((at.0, at.1.wrapping_sub(self.charge)));
        let code = u8::try_from(self.accesses.len()).ok().and_then(TrapCode::user);
        let code = code.expect("at most MAX_DIRECT_ACCESSES direct accesses per function");
        let flags = MemFlagsData::new().with_trap_code(Some(code));
        let (a, offset) = if d.words {
            let w = self.b.ins().ireduce(types::I32, addr);
            (self.b.ins().uextend(I64, w), 0)
        } else {
            let (x, k) = self
                .base_and_offset(addr)
                .filter(|&(_, k)| k.unsigned_abs() <= MAX_FOLDED_OFFSET)
                .unwrap_or((addr, 0));
            if self.in_span.insert(x) {
                let inside = self.b.ins().icmp_imm_s(IntCC::UnsignedLessThan, x, d.span as i64);
                let ok = self.b.create_block();
                let outside = self.b.create_block();
                self.b.set_cold_block(outside);
                // Sealed: the next access through the same register reads
                // the value checked here.
                self.brif_sealed(inside, ok, outside);
                self.b.switch_to_block(outside);
                let base = self.base.expect("the base is loaded with direct accesses");
                let guard = self.b.ins().iadd_imm_s(base, d.span as i64);
                let ty = Self::width_type(w);
                self.b.ins().load(ty, flags, guard, 0);
                // Not reached; a reserved code, so it names no access.
                self.b.ins().trap(TrapCode::HEAP_OUT_OF_BOUNDS);
                self.b.switch_to_block(ok);
            }
            (x, k as i32)
        };
        let base = self.base.expect("the base is loaded with direct accesses");
        let host = self.b.ins().iadd(base, a);
        (host, offset, flags)
    }

    /// `(x, k)` when `v` is `x + k` for a constant `k`.
    fn base_and_offset(&self, v: Value) -> Option<(Value, i64)> {
        let dfg = &self.b.func.dfg;
        let inst = dfg.value_def(v).inst()?;
        let InstructionData::Binary { opcode: Opcode::Iadd, args: [x, y] } = dfg.insts[inst] else {
            return None;
        };
        if let Some(k) = self.const_of(y) {
            Some((x, k as i64))
        } else {
            self.const_of(x).map(|k| (y, k as i64))
        }
    }

    /// Whether the next access, of an instruction that is `insn_dirty` so
    /// far, is direct: the instruction must be able to run again from its
    /// start, and the function must have a trap code left. A direct access
    /// calls nothing on its path, so the slots in variables stay there
    /// across it (`hold_nearest_slots` is for the other kind).
    pub(super) fn goes_direct(&self, insn_dirty: bool) -> bool {
        !insn_dirty && self.direct.is_some() && self.accesses.len() < MAX_DIRECT_ACCESSES
    }

    /// The host address, offset and memory flags of an access at `addr`:
    /// direct (see `goes_direct`), or through an access site. Returns the
    /// slow path's block when there is one (cold, to be filled by the
    /// caller).
    fn host_address(
        &mut self,
        addr: Value,
        w: Width,
        write: bool,
        at: (u64, u64),
        direct: bool,
    ) -> (Value, i32, MemFlagsData, Option<ClBlock>) {
        if direct {
            let (host, offset, flags) = self.direct_host(addr, w, at);
            (host, offset, flags, None)
        } else {
            let slow = self.b.create_block();
            self.b.set_cold_block(slow);
            (self.site_lookup(addr, w, write, slow), 0, self.trusted, Some(slow))
        }
    }

    pub(super) fn load(
        &mut self,
        addr: Value,
        w: Width,
        signed: bool,
        endian: Endian,
        (pc, unretired): (u64, u64),
        direct: bool,
    ) -> Value {
        let ty = Self::width_type(w);
        // Each path widens its own value, so the host loads with extension
        // and the join carries the final value.
        let (host, off, flags, slow) = self.host_address(addr, w, false, (pc, unretired), direct);
        let v = if ty == I64 || (endian == Endian::Big && ty != types::I8) {
            let v = self.b.ins().load(ty, flags, host, off);
            self.loaded_value(v, ty, signed, endian)
        } else {
            let (f, ins) = (flags, self.b.ins());
            match (ty, signed) {
                (types::I8, false) => ins.uload8(I64, f, host, off),
                (types::I8, true) => ins.sload8(I64, f, host, off),
                (types::I16, false) => ins.uload16(I64, f, host, off),
                (types::I16, true) => ins.sload16(I64, f, host, off),
                (_, false) => ins.uload32(f, host, off),
                (_, true) => ins.sload32(f, host, off),
            }
        };
        // A direct access has no other path to join.
        let Some(slow) = slow else {
            return v;
        };
        let join = self.b.create_block();
        let result = self.b.append_block_param(join, I64);
        self.b.ins().jump(join, &[BlockArg::Value(v)]);

        let fault = self.b.create_block();
        self.b.set_cold_block(fault);
        self.b.switch_to_block(slow);
        self.call_thunk(runtime::offsets::LOAD_THUNK, addr, w, None);
        let ctx = self.ctx();
        let v = self.b.ins().load(I64, self.trusted, ctx, runtime::offsets::SLOW_RESULT);
        let v = if ty == I64 { v } else { self.b.ins().ireduce(ty, v) };
        let v = self.loaded_value(v, ty, signed, endian);
        let pending = self.b.ins().load(I64, self.trusted, ctx, runtime::offsets::FAULT_PENDING);
        let back = self.cold_block();
        self.brif_sealed(pending, fault, back);
        self.cold_jump_after(back, join, &[BlockArg::Value(v)]);
        self.b.seal_block(join);

        self.b.switch_to_block(fault);
        self.exit_const(EXIT_FAULT, pc, unretired);

        self.b.switch_to_block(join);
        result
    }

    /// Store `value`; a fault leaves at `(pc, unretired)`. With
    /// `leave_at = Some((resume_pc, unretired))` a store that hits code
    /// leaves there at once; otherwise it sets `smc` for the next boundary.
    pub(super) fn store(
        &mut self,
        addr: Value,
        value: Value,
        (w, endian): (Width, Endian),
        (pc, unretired): (u64, u64),
        leave_at: Option<(u64, u64)>,
        direct: bool,
    ) {
        // The bytes to store are the low `w` bytes of a 64-bit value, in
        // host order. No `ireduce`: Cranelift would narrow the operation
        // that computed `value` and compute it twice, once for the store
        // and once for the register it also goes to.
        let bytes = match (endian, w) {
            (Endian::Big, Width::W16 | Width::W32 | Width::W64) => {
                let swapped = self.b.ins().bswap(value);
                match w {
                    Width::W64 => swapped,
                    _ => self.b.ins().ushr_imm_u(swapped, 64 - 8 * w.bytes() as i64),
                }
            }
            _ => value,
        };
        let (host, off, flags, slow) = self.host_address(addr, w, true, (pc, unretired), direct);
        // A zero-extended word stores from the word itself: no widening
        // move first.
        let word = match w {
            Width::W64 => None,
            _ => self.extended_word(bytes, Opcode::Uextend),
        };
        let src = word.unwrap_or(bytes);
        let ins = self.b.ins();
        match w {
            Width::W8 => ins.istore8(flags, src, host, off),
            Width::W16 => ins.istore16(flags, src, host, off),
            // The word itself is stored whole; an `i64` only in part.
            Width::W32 if word.is_some() => ins.store(flags, src, host, off),
            Width::W32 => ins.istore32(flags, src, host, off),
            Width::W64 => ins.store(flags, src, host, off),
        };
        let Some(slow) = slow else {
            return;
        };
        let done = self.b.create_block();
        self.b.ins().jump(done, &[]);
        let fault = self.b.create_block();
        self.b.set_cold_block(fault);
        self.b.switch_to_block(slow);
        // The helper stores the low `w` bytes.
        self.call_thunk(runtime::offsets::STORE_THUNK, addr, w, Some(bytes));
        let ctx = self.ctx();
        let r = self.b.ins().load(I64, self.trusted, ctx, runtime::offsets::SLOW_RESULT);
        let is_fault = self.b.ins().icmp_imm_s(IntCC::Equal, r, 1);
        // Reached from the slow path only: laid out with it, out of the
        // fast path's way.
        let ok = self.b.create_block();
        self.b.set_cold_block(ok);
        self.brif_sealed(is_fault, fault, ok);

        self.b.switch_to_block(ok);
        let hit_code = self.b.ins().icmp_imm_s(IntCC::Equal, r, 2);
        if let Some((resume_pc, un)) = leave_at {
            let leave = self.b.create_block();
            self.b.set_cold_block(leave);
            let back = self.cold_block();
            self.brif_sealed(hit_code, leave, back);
            self.cold_jump_after(back, done, &[]);
            self.b.switch_to_block(leave);
            self.exit_const(EXIT_JUMP, resume_pc, un);
        } else {
            let hit_code = self.bool_to_i64(hit_code);
            let s = self.b.use_var(self.smc);
            let s = self.b.ins().bor(s, hit_code);
            self.b.def_var(self.smc, s);
            self.b.ins().jump(done, &[]);
        }
        self.b.seal_block(done);

        self.b.switch_to_block(fault);
        self.exit_const(EXIT_FAULT, pc, unretired);

        self.b.switch_to_block(done);
    }
}
