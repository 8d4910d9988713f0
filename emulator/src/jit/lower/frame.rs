//! Lowering of one IR block's ops, its exits and the fuel: the exact fuel
//! check at each block's entry, exits to the dispatcher (with the counters
//! and `pc` written back) or chained to another region, jumps inside the
//! region, and plugin hooks.
//!
//! Talks to: `slots`, `alu`, `float`, `vector` and `jit::access` for the
//! ops; `runtime` for the exit codes and `JitCtx` layout.

use std::collections::BTreeSet;

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    AbiParam, Block as ClBlock, BlockArg, InstBuilder, Signature, Value, types,
};
use cranelift_frontend::Switch;

use super::{I64, Lower, region_signature};
use crate::cpu::offsets as cpu_off;
use crate::ir::{Block, Counter, Exit, MemHook, Op};
use crate::jit::runtime::{self, EXIT_FUEL, EXIT_JUMP, EXIT_SYSCALL, EXIT_TRAP};

impl Lower<'_, '_> {
    /// Jump to region block `pc` from inside the region: its live-in slots
    /// travel in variables, those not known here are loaded first (the
    /// pending stores are made, so `CpuState` is current).
    fn jump_in_region(&mut self, pc: u64) {
        self.store_pending();
        let missing: Vec<u16> =
            self.live_in[&pc].iter().copied().filter(|s| !self.known.contains(s)).collect();
        for s in missing {
            let v = self.load_slot(s);
            self.b.def_var(self.slot_vars[&s], v);
        }
        let head = self.heads[&pc];
        self.b.ins().jump(head, &[]);
    }

    /// Jump to the shared exit with `code`, `pc` and the number of
    /// instructions of the current block that did not retire.
    fn exit(&mut self, code: u32, pc: Value, unretired: u64) {
        self.store_pending();
        let code = self.b.ins().iconst(types::I32, code as i64);
        let un = self.b.ins().iconst(I64, unretired as i64);
        let args = [BlockArg::Value(code), BlockArg::Value(pc), BlockArg::Value(un)];
        self.b.ins().jump(self.exit_block, &args);
    }

    /// Leave for `pc`, chaining straight to the compiled code there when
    /// there is some. Each exit does its own lookup and tail call rather
    /// than jumping to one shared chaining block: the host then predicts
    /// each exit's indirect jump apart (one shared jump, taken for every
    /// target of the region, predicts badly), and for a constant `pc` the
    /// hash folds away, leaving one load at a constant offset. The paths
    /// that return to the engine share `leave_block`. `had_store`: a store
    /// (or hook) of this block may have set `smc`; otherwise it is zero.
    fn exit_chain(&mut self, pc: Value, unretired: u64, had_store: bool) {
        self.store_pending();
        // With direct accesses the fuel travels to the next region in
        // `JitCtx::chain_fuel`, and `cpu.icount` and `JitCtx::fuel` keep the
        // values of the engine's entry (retired instructions stay
        // `icount0 + fuel0 - fuel`): only a return to the engine writes
        // them back. Otherwise each region starts from `JitCtx::fuel`.
        let chains_fuel = self.direct.is_some();
        let leave = self.leave_block;
        let to_leave = [BlockArg::Value(pc)];
        if chains_fuel {
            // Chained with no fuel left, the next region's first block
            // fails its exact check and leaves: no test here. The fuel
            // goes to `JitCtx::chain_fuel` right before the tail call.
            if unretired != 0 {
                let f = self.fuel_now();
                let f = self.b.ins().iadd_imm_s(f, unretired as i64);
                self.set_fuel(f);
            }
        } else {
            let un = self.b.ins().iconst(I64, unretired as i64);
            let fuel = self.write_back(pc, un);
            let fueled = self.b.create_block();
            self.b.ins().brif(fuel, fueled, &[], leave, &to_leave);
            self.b.seal_block(fueled);
            self.b.switch_to_block(fueled);
        }
        if had_store {
            let smc = self.b.use_var(self.smc);
            let stored = self.b.create_block();
            self.b.ins().brif(smc, leave, &to_leave, stored, &[]);
            self.b.seal_block(stored);
            self.b.switch_to_block(stored);
        }
        let (s1, s2) = runtime::FAST_HASH_SHIFTS;
        let h1 = self.b.ins().ushr_imm_u(pc, s1 as i64);
        let h2 = self.b.ins().ushr_imm_u(pc, s2 as i64);
        let h = self.b.ins().bxor(h1, h2);
        let idx = self.b.ins().band_imm_s(h, (1i64 << runtime::FAST_TABLE_BITS) - 1);
        let off = self.b.ins().ishl_imm_u(idx, runtime::offsets::FAST_ENTRY_SHIFT);
        let ctx = self.ctx();
        let table = self.b.ins().load(I64, self.trusted, ctx, runtime::offsets::FAST);
        let entry = self.b.ins().iadd(table, off);
        let tag = self.b.ins().load(I64, self.trusted, entry, runtime::offsets::FAST_ENTRY_PC);
        let hit = self.b.ins().icmp(IntCC::Equal, tag, pc);
        let call = self.b.create_block();
        self.b.ins().brif(hit, call, &[], leave, &to_leave);
        self.b.seal_block(call);

        self.b.switch_to_block(call);
        if chains_fuel {
            let f = self.fuel_now();
            let ctx = self.ctx();
            self.b.ins().store(self.trusted, f, ctx, runtime::offsets::CHAIN_FUEL);
            // The next region dispatches on `cpu.pc`.
            self.b.ins().store(self.trusted, pc, self.cpu, cpu_off::PC);
        }
        let f = self.b.ins().load(I64, self.trusted, entry, runtime::offsets::FAST_ENTRY_FN);
        let sig = self.b.import_signature(region_signature());
        self.b.ins().return_call_indirect(sig, f, &[self.cpu]);
    }

    fn exit_chain_const(&mut self, pc: u64, unretired: u64, had_store: bool) {
        let pc = self.b.ins().iconst(I64, pc as i64);
        self.exit_chain(pc, unretired, had_store);
    }

    /// When a store (or a reset request) set `smc`, code may have been
    /// overwritten: leave for `pc` with `unretired` instructions given back,
    /// and go on here otherwise.
    fn leave_if_code_written(&mut self, pc: u64, unretired: u64) {
        let s = self.b.use_var(self.smc);
        let leave = self.b.create_block();
        self.b.set_cold_block(leave);
        let go = self.b.create_block();
        self.brif_sealed(s, leave, go);
        self.b.switch_to_block(leave);
        self.exit_const(EXIT_JUMP, pc, unretired);
        self.b.switch_to_block(go);
    }

    pub(in crate::jit) fn exit_const(&mut self, code: u32, pc: u64, unretired: u64) {
        let pc = self.b.ins().iconst(I64, pc as i64);
        self.exit(code, pc, unretired);
    }

    /// Emit the IR exit `e` of a block after `retired` of its `n`
    /// instructions. `dispatch_from`: the block's pc when this is its
    /// final exit, whose indirect jump may dispatch inside the region.
    fn ir_exit(
        &mut self,
        e: Exit,
        n: u64,
        retired: u64,
        had_store: bool,
        dispatch_from: Option<u64>,
    ) {
        match e {
            Exit::Jump(target) => {
                let un = n - retired;
                if self.region_blocks.contains_key(&target) {
                    if had_store {
                        self.leave_if_code_written(target, un);
                    }
                    self.refund(un);
                    self.jump_in_region(target);
                } else {
                    self.exit_chain_const(target, un, had_store);
                }
            }
            Exit::JumpIndirect(t) => {
                let pc = self.t(t);
                let un = n - retired;
                let from = match dispatch_from {
                    Some(from) if !had_store && self.region_blocks.len() >= 2 => from,
                    _ => {
                        self.exit_chain(pc, un, had_store);
                        return;
                    }
                };
                // Returns and other indirect jumps often land on a block of
                // the same region: dispatch to it without leaving, first
                // to where this jump went before (see `Shape`).
                self.store_pending();
                if let Some(&p) = self.predicted.get(&from)
                    && self.region_blocks.contains_key(&p)
                {
                    let hit = self.equals_const(pc, p);
                    let land = self.b.create_block();
                    let search = self.b.create_block();
                    self.brif_sealed(hit, land, search);
                    self.b.switch_to_block(land);
                    self.refund(un);
                    // Where it went before, as a direct jump goes: the
                    // block's live-in slots known here stay in variables.
                    self.jump_in_region(p);
                    self.b.switch_to_block(search);
                }
                let miss = self.b.create_block();
                let mut switch = Switch::new();
                let targets: Vec<(u64, ClBlock)> =
                    self.region_blocks.iter().map(|(&p, &b)| (p, b)).collect();
                let mut landings = Vec::new();
                for (p, dest) in targets {
                    let land = self.b.create_block();
                    switch.set_entry(p as u128, land);
                    landings.push((land, dest));
                }
                switch.emit(self.b, pc, miss);
                // The switch made every branch to them.
                self.b.seal_block(miss);
                for (land, dest) in landings {
                    self.b.seal_block(land);
                    self.b.switch_to_block(land);
                    self.refund(un);
                    self.b.ins().jump(dest, &[]);
                }
                self.b.switch_to_block(miss);
                self.exit_chain(pc, un, had_store);
            }
            Exit::Syscall { next_pc } => self.exit_const(EXIT_SYSCALL, next_pc, n - retired),
            Exit::Trap { kind, pc } => {
                let (kind, payload) = runtime::encode_trap(kind);
                let ctx = self.ctx();
                let k = self.b.ins().iconst(I64, kind as i64);
                self.b.ins().store(self.trusted, k, ctx, runtime::offsets::EXIT_TRAP);
                let v = self.b.ins().iconst(I64, payload as i64);
                self.b.ins().store(self.trusted, v, ctx, runtime::offsets::EXIT_AUX);
                // The trapping instruction does not retire.
                self.exit_const(EXIT_TRAP, pc, n - retired.saturating_sub(1));
            }
        }
    }

    /// Give back the fuel of `un` instructions that did not retire before an
    /// in-region transfer.
    fn refund(&mut self, un: u64) {
        if un != 0 {
            let f = self.fuel_now();
            let f = self.b.ins().iadd_imm_s(f, un as i64);
            self.set_fuel(f);
        }
    }

    pub(super) fn lower_block(&mut self, bl: &Block) {
        let start = self.region_blocks[&bl.pc];
        self.b.switch_to_block(start);
        self.known.clear();
        self.pending.clear();
        // Preheader: load the live-in slots; direct jumps from the region
        // bring them in variables instead.
        let live_in = self.live_in[&bl.pc].clone();
        for &s in &live_in {
            self.get_slot(s);
        }
        let head = self.heads[&bl.pc];
        self.b.ins().jump(head, &[]);
        self.b.switch_to_block(head);
        self.known = live_in;
        self.in_span.clear();
        self.deferred = None;
        // Only a transient slot's writes ask (see `lower_set`).
        let rerun = if self.transient.is_some() { reruns_cleanly(bl) } else { Vec::new() };
        let zero = self.b.ins().iconst(I64, 0);
        self.b.def_var(self.smc, zero);
        let n = bl.insn_count as u64;
        // Exact fuel: run the block only if all of it may retire.
        let fuel = self.fuel_now();
        self.charge = n;
        // Where the engine finds the fuel at a direct access's fault (see
        // `fault`): only loads and stores access memory directly.
        let accesses = bl.ops.iter().any(|op| matches!(op, Op::Load { .. } | Op::Store { .. }));
        if self.direct.is_some() && accesses {
            let ctx = self.ctx();
            self.b.ins().store(self.trusted, fuel, ctx, runtime::offsets::BLOCK_FUEL);
        }
        let enough = self.b.ins().icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, fuel, n as i64);
        let body = self.b.create_block();
        let starve = self.b.create_block();
        self.b.set_cold_block(starve);
        self.brif_sealed(enough, body, starve);
        self.b.switch_to_block(starve);
        self.exit_const(EXIT_FUEL, bl.pc, 0);
        self.b.switch_to_block(body);
        let f = self.b.ins().iadd_imm_s(fuel, -(n as i64));
        self.set_fuel(f);

        let labels: Vec<ClBlock> = (0..bl.num_labels).map(|_| self.b.create_block()).collect();
        // Slots known on every branch to each label so far.
        let mut label_known: Vec<Option<BTreeSet<u16>>> = vec![None; labels.len()];
        let mut k: u64 = 0; // instructions started
        let mut cur_pc = bl.pc;
        let mut insn_had_store = false;
        let mut block_had_store = false;
        // The current instruction changed guest state or read memory other
        // than directly: it cannot simply run again from its start.
        let mut insn_dirty = false;
        // It read memory (directly or not): running it again after one of
        // its own stores would read what that store wrote (an atomic's
        // add would be made twice).
        let mut insn_read = false;
        for (i, op) in bl.ops.iter().enumerate() {
            match *op {
                Op::Insn { pc, .. } => {
                    if insn_had_store {
                        self.leave_if_code_written(pc, n - k);
                    }
                    insn_had_store = false;
                    insn_dirty = false;
                    insn_read = false;
                    k += 1;
                    cur_pc = pc;
                }
                Op::Const { dst, value } => {
                    let v = self.b.ins().iconst(I64, value as i64);
                    self.set_t(dst, v);
                }
                Op::Get { dst, slot } => {
                    let v = self.get_slot(slot.0);
                    self.set_t(dst, v);
                }
                Op::Set { slot, src } => {
                    let v = self.t(src);
                    self.lower_set(slot.0, v, (cur_pc, k), &rerun);
                    insn_dirty = true;
                }
                Op::Bin { op, dst, a, b } => {
                    let (a, b) = (self.t(a), self.t(b));
                    let v = self.bin(op, a, b);
                    self.set_t(dst, v);
                }
                Op::Un { op, dst, src } => {
                    let a = self.t(src);
                    let v = self.un(op, a);
                    self.set_t(dst, v);
                }
                Op::Select { dst, cond, if_true, if_false } => {
                    let (c, x, y) = (self.t(cond), self.t(if_true), self.t(if_false));
                    let c = self.condition(c);
                    let v = self.b.ins().select(c, x, y);
                    self.set_t(dst, v);
                }
                Op::Load { dst, addr, width, signed, endian } => {
                    // Stored before the access: the fault path then needs no
                    // copies, and fewer values stay live across the access
                    // (measured faster than deferring them to the exits).
                    let direct = self.goes_direct(insn_dirty);
                    let at = self.flush_for_access(direct, (cur_pc, n - (k - 1)), (k, n));
                    if !direct {
                        self.hold_nearest_slots(bl, i);
                    }
                    let a = self.t(addr);
                    let v = self.load(a, width, signed, endian, at, direct);
                    self.set_t(dst, v);
                    // A direct load only read host memory: running the
                    // instruction again reads the same value, so its next
                    // access (the second word of an `ldm`, `ldp` or
                    // `pop`, the store of an atomic) may be direct too. A
                    // load through the slow path may have done more (an
                    // event, a portal's read).
                    insn_dirty |= !direct;
                    insn_read = true;
                }
                Op::Store { addr, src, width, endian } => {
                    let direct = self.goes_direct(insn_dirty);
                    let at = self.flush_for_access(direct, (cur_pc, n - (k - 1)), (k, n));
                    if !direct {
                        self.hold_nearest_slots(bl, i);
                    }
                    let (a, v) = (self.t(addr), self.t(src));
                    // A store that hits code leaves from its own slow path
                    // when that needs no check on the hot path: when it ends
                    // its instruction, retiring it, or when the instruction
                    // changed nothing before it (its earlier stores, if any,
                    // write the same bytes again), not retiring it so that
                    // the dispatcher runs it again after invalidating. Only
                    // other stores leave the check for the next boundary.
                    let leave_at = match bl.ops.get(i + 1) {
                        Some(Op::Insn { pc, .. }) => Some((*pc, n - k)),
                        _ if !insn_dirty && !insn_read => Some((cur_pc, n - (k - 1))),
                        _ => None,
                    };
                    self.store(a, v, (width, endian), at, leave_at, direct);
                    // After a load and a store, running the instruction
                    // again could read what it wrote: no more direct
                    // accesses in it.
                    insn_dirty |= insn_read;
                    if leave_at.is_none() {
                        insn_had_store = true;
                        block_had_store = true;
                    }
                }
                Op::Counter { dst, counter } => {
                    // Instructions retired before this one.
                    let ic = self.retired_now();
                    let mut v = self.b.ins().iadd_imm_s(ic, -((n - (k - 1)) as i64));
                    if counter == Counter::VirtualNs {
                        let bias =
                            self.b.ins().load(I64, self.trusted, self.cpu, cpu_off::VCLOCK_BIAS);
                        v = self.b.ins().iadd(v, bias);
                    }
                    self.set_t(dst, v);
                }
                Op::BranchIf { cond, target } => {
                    // Internal merge points: a slot stays known past the
                    // label only if it is known on every path into it (its
                    // variable is then defined on each); pending stores are
                    // made before the paths part.
                    self.flush_pending();
                    let at = &mut label_known[target.0 as usize];
                    *at = Some(match at.take() {
                        Some(k) => k.intersection(&self.known).copied().collect(),
                        None => self.known.clone(),
                    });
                    let c = self.t(cond);
                    let c = self.condition(c);
                    let next = self.b.create_block();
                    self.b.ins().brif(c, labels[target.0 as usize], &[], next, &[]);
                    self.b.seal_block(next);
                    self.b.switch_to_block(next);
                }
                Op::Label(l) => {
                    self.flush_pending();
                    // A merge point: checks made on one path do not hold.
                    self.in_span.clear();
                    match label_known[l.0 as usize].take() {
                        Some(k) => self.known.retain(|s| k.contains(s)),
                        None => self.known.clear(),
                    }
                    let dest = labels[l.0 as usize];
                    self.b.ins().jump(dest, &[]);
                    // Branches go forward only: every path in is known, and
                    // a slot alike on all of them reads as the same value.
                    self.b.seal_block(dest);
                    self.b.switch_to_block(dest);
                }
                Op::ExitIf { cond, exit } => {
                    let c = self.t(cond);
                    let c = self.condition(c);
                    let taken = self.b.create_block();
                    let next = self.b.create_block();
                    self.brif_sealed(c, taken, next);
                    self.b.switch_to_block(taken);
                    // Conditional indirect exits (a pending mips delay-slot jump in
                    // every block) leave plainly: a switch per exit would make
                    // compile work grow with the square of the region.
                    let (pending, deferred) = (self.pending.clone(), self.deferred);
                    self.ir_exit(exit, n, k, block_had_store, None);
                    (self.pending, self.deferred) = (pending, deferred);
                    self.b.switch_to_block(next);
                }
                Op::Fp { insn, dst, a, b, c, rm, flags } => {
                    self.lower_fp(insn, dst, a, b, c, rm, flags);
                    insn_dirty = true;
                }
                Op::Vec { insn, dst, a, b, c } => self.lower_vec(insn, dst, a, b, c),
                Op::Hook { id, pc, mem } => {
                    self.lower_hook(id, pc, mem);
                    insn_dirty = true;
                    // A reset request leaves like a store that hit code.
                    insn_had_store = true;
                    block_had_store = true;
                }
            }
        }
        self.ir_exit(bl.exit, n, k, block_had_store, Some(bl.pc));
    }

    /// The fuel left (see `Lower::fuel`).
    fn fuel_now(&mut self) -> Value {
        self.b.use_var(self.fuel)
    }

    fn set_fuel(&mut self, f: Value) {
        self.b.def_var(self.fuel, f);
    }

    /// `icount` as if every instruction of the current block had retired.
    fn retired_now(&mut self) -> Value {
        let f = self.fuel_now();
        self.retired_with_fuel(f)
    }

    /// `icount` when `fuel` is left: `icount0 + fuel0 - fuel`.
    fn retired_with_fuel(&mut self, fuel: Value) -> Value {
        let ctx = self.ctx();
        let fuel0 = self.b.ins().load(I64, self.trusted, ctx, runtime::offsets::FUEL);
        let icount0 = self.b.ins().load(I64, self.trusted, self.cpu, cpu_off::ICOUNT);
        let spent = self.b.ins().isub(fuel0, fuel);
        self.b.ins().iadd(icount0, spent)
    }

    /// The `JitCtx`'s address: `cpu` plus a constant, which Cranelift
    /// recomputes in each block that uses it and folds into the addressing
    /// of loads and stores, so it occupies no register across the function.
    pub(in crate::jit) fn ctx(&mut self) -> Value {
        let from_cpu = self.b.ins().iconst(I64, i64::from(runtime::offsets::CTX_FROM_CPU));
        self.b.ins().iadd(self.cpu, from_cpu)
    }

    /// A function compiled code calls, read from the `JitCtx` at offset
    /// `at` (one of `runtime::offsets`' call entries).
    pub(in crate::jit) fn callee(&mut self, at: i32) -> Value {
        let ctx = self.ctx();
        self.b.ins().load(I64, self.trusted, ctx, at)
    }

    /// Branch on `c` to `then` or `other`, two fresh blocks this branch is
    /// the only way into, and seal both: a slot read in either is then the
    /// value it had before the branch (not a placeholder resolved only at
    /// the end), so `in_span` recognises a base register checked before.
    pub(in crate::jit) fn brif_sealed(&mut self, c: Value, then: ClBlock, other: ClBlock) {
        self.b.ins().brif(c, then, &[], other, &[]);
        self.b.seal_block(then);
        self.b.seal_block(other);
    }

    /// Write back the counters and `pc` at an exit; returns the fuel left.
    fn write_back(&mut self, pc: Value, unretired: Value) -> Value {
        let f = self.fuel_now();
        let f = self.b.ins().iadd(f, unretired);
        let ic = self.retired_with_fuel(f);
        self.b.ins().store(self.trusted, ic, self.cpu, cpu_off::ICOUNT);
        let ctx = self.ctx();
        self.b.ins().store(self.trusted, f, ctx, runtime::offsets::FUEL);
        self.b.ins().store(self.trusted, pc, self.cpu, cpu_off::PC);
        f
    }

    /// The shared exit: write back the counters and pc, return the code.
    pub(super) fn emit_exit_block(&mut self) {
        self.b.switch_to_block(self.exit_block);
        let params = self.b.block_params(self.exit_block).to_vec();
        let (code, pc, unretired) = (params[0], params[1], params[2]);
        self.write_back(pc, unretired);
        self.b.ins().return_(&[code]);
    }

    /// Where a chaining exit that cannot chain (a store hit code, `pc` is
    /// not in the fast table or, without direct accesses, no fuel is left)
    /// returns to the engine.
    pub(super) fn emit_leave_block(&mut self) {
        self.b.switch_to_block(self.leave_block);
        let pc = self.b.block_params(self.leave_block)[0];
        if self.direct.is_some() {
            // The fuel chained in a variable: write it back.
            let none = self.b.ins().iconst(I64, 0);
            self.write_back(pc, none);
        }
        let code = self.b.ins().iconst(types::I32, EXIT_JUMP as i64);
        self.b.ins().return_(&[code]);
    }

    /// An instrumentation hook: one call of `runtime::jit_hook` with the
    /// hook id and its arguments. A non-zero result (a reset request) is
    /// folded into `smc`, so the code leaves at the next instruction
    /// boundary as after a store that hit code.
    fn lower_hook(&mut self, id: u32, pc: u64, mem: Option<MemHook>) {
        self.sync_state_for_call();
        let (info, addr, value) = match mem {
            None => {
                let zero = self.b.ins().iconst(I64, 0);
                (runtime::HOOK_INSN, zero, zero)
            }
            Some(m) => {
                let store = if m.store { runtime::HOOK_STORE } else { 0 };
                (runtime::HOOK_MEM | store | m.width.bytes(), self.t(m.addr), self.t(m.value))
            }
        };
        // `jit_hook` is `extern "C"`: the host's default convention (the
        // region's is `tail`, the slow-path thunks' `preserve_all`).
        let mut sig = Signature::new(self.host_cc);
        sig.params.extend([
            AbiParam::new(I64),
            AbiParam::new(types::I32),
            AbiParam::new(types::I32),
            AbiParam::new(I64),
            AbiParam::new(I64),
            AbiParam::new(I64),
        ]);
        sig.returns.push(AbiParam::new(types::I32));
        let sig = self.b.import_signature(sig);
        let helper = self.callee(runtime::offsets::HOOK);
        let id = self.b.ins().iconst(types::I32, id as i64);
        let info = self.b.ins().iconst(types::I32, info as i64);
        let pc = self.b.ins().iconst(I64, pc as i64);
        let ctx = self.ctx();
        let call = self.b.ins().call_indirect(sig, helper, &[ctx, id, info, pc, addr, value]);
        let r = self.b.inst_results(call)[0];
        let r = self.b.ins().uextend(I64, r);
        let s = self.b.use_var(self.smc);
        let s = self.b.ins().bor(s, r);
        self.b.def_var(self.smc, s);
    }
}

/// For each instruction of `bl`, by its index from 1 (0 is unused),
/// whether it can run again from its start once its own writes are in
/// `CpuState`: it touches no memory, calls no hook, helper or counter, and
/// reads no slot it writes. A fault right after it may then resume at it.
fn reruns_cleanly(bl: &Block) -> Vec<bool> {
    let mut out = vec![false];
    let mut current: Option<(bool, BTreeSet<u16>, BTreeSet<u16>)> = None;
    let finish = |c: Option<(bool, BTreeSet<u16>, BTreeSet<u16>)>, out: &mut Vec<bool>| {
        if let Some((ok, reads, writes)) = c {
            out.push(ok && reads.is_disjoint(&writes));
        }
    };
    for op in &bl.ops {
        match op {
            Op::Insn { .. } => {
                finish(current.take(), &mut out);
                current = Some((true, BTreeSet::new(), BTreeSet::new()));
            }
            _ => {
                let Some((ok, reads, writes)) = current.as_mut() else { continue };
                match op {
                    Op::Get { slot, .. } => {
                        reads.insert(slot.0);
                    }
                    Op::Set { slot, .. } => {
                        writes.insert(slot.0);
                    }
                    Op::Load { .. }
                    | Op::Store { .. }
                    | Op::Hook { .. }
                    | Op::Fp { .. }
                    | Op::Vec { .. }
                    | Op::Counter { .. } => *ok = false,
                    _ => {}
                }
            }
        }
    }
    finish(current, &mut out);
    out
}
