//! Lowering of IR regions to Cranelift.
//!
//! A region is a hot entry block plus blocks reachable from it by direct
//! jumps, compiled into one function `fn(cpu) -> exit code`, so hot
//! loops run without returning to the dispatcher.
//!
//! Guest slots: inside an IR block, a slot lives in a Cranelift variable,
//! loaded from `CpuState` on its first use; a slot set several times
//! between memory accesses is stored once (see `pending`). At block
//! boundaries `CpuState` is current, so every exit is cheap to compile.
//! Across a memory access through the TLB, where `CpuState` is current
//! too, only the few slots read soonest stay in variables
//! (`Lower::hold_nearest_slots`); a direct access keeps them all.
//! A direct jump inside the region carries the target block's live-in
//! slots (those it reads before writing; the most read few, see
//! `MAX_HELD_SLOTS`) in variables, loading only those not at hand, so
//! loops keep their hottest registers in host registers; entries
//! from outside (the function's entry, an indirect jump) go through a
//! preheader that loads them. Values thus live only from one block into
//! the next that reads them, which keeps the register allocator from
//! spilling guest registers the region touches far away.
//!
//! Each IR block starts with an exact fuel check; when less fuel remains
//! than the block needs, the function exits with `EXIT_FUEL` and the
//! interpreter runs the rest, so a run stops exactly at instruction N.
//!
//! Memory accesses that are the first effect of their instruction are
//! *direct*: they access guest memory at `base + addr` and leave every
//! check to the host MMU (see `fault`). Each has its own trap code, and
//! the fuel then lives in Cranelift's pinned register, so the fault
//! handler finds both the access and the fuel left at the fault. Other
//! accesses (and all of them where the host has no fault support) inline
//! a lookup of their own access site and then of the software TLB (see
//! `mem::tlb`); a TLB miss calls the `runtime` helpers.
//! Big-endian accesses byte-swap explicitly.

mod float;

use std::collections::{BTreeMap, BTreeSet};

use cranelift_codegen::ir::condcodes::{CondCode, IntCC};
use cranelift_codegen::ir::{
    AbiParam, Block as ClBlock, BlockArg, InstBuilder, InstructionData, MemFlagsData, Opcode,
    Signature, TrapCode, Type, Value, types,
};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::{FunctionBuilder, Switch, Variable};

use super::runtime::{self, EXIT_FAULT, EXIT_FUEL, EXIT_JUMP, EXIT_SYSCALL, EXIT_TRAP};
use crate::cpu::offsets as cpu_off;
use crate::ir::{BinOp, Block, Counter, Endian, Exit, MemHook, Op, Temp, TrapKind, UnOp, Width};
use crate::mem::{PAGE_MASK, PAGE_SHIFT, SITES, TLB_SIZE, tlb_offsets};

const I64: Type = types::I64;

/// Everything the function body needs while lowering.
struct Lower<'a, 'b> {
    b: &'a mut FunctionBuilder<'b>,
    cpu: Value,
    /// The address of the engine's `JitCtx`, stable for the engine's life:
    /// a constant, so it occupies no register across the function.
    ctx: i64,
    /// The address of the TLB of the address space the code is compiled
    /// for: a constant, so it occupies no register across the function.
    tlb: i64,
    slot_vars: BTreeMap<u16, Variable>,
    /// Slots whose variable holds the current value at this point of the
    /// block being lowered (loaded or set since the block's entry or its
    /// last internal merge point).
    known: BTreeSet<u16>,
    /// Slots set in the variable but not yet stored to `CpuState`. Every
    /// exit stores them; the hot path stores them at memory accesses and
    /// at the block's end, so a slot set twice in a row is stored once.
    pending: BTreeSet<u16>,
    /// Slots that always hold a zero-extended word (see
    /// `Frontend::slot_is_word`): loaded as words, so the operations on
    /// them can run in 32 bits.
    word_slots: BTreeSet<u16>,
    temp_vars: Vec<Variable>,
    /// Fuel left; retired instructions are `icount0 + fuel0 - fuel`, where
    /// `cpu.icount` and `ctx.fuel` still hold the entry values `icount0`
    /// and `fuel0` (only exits write them), so only fuel is counted down
    /// and the entry values are reloaded where needed instead of holding
    /// two registers through the function. With direct accesses the fuel
    /// is the pinned register instead (see `fuel_now`).
    fuel: Variable,
    /// Set when a store hit translated code; checked at the next
    /// instruction boundary so stale code never runs. Block-local: such a
    /// store always leaves at the next boundary, so it is zero at every
    /// block entry, and its live range never spans the region.
    smc: Variable,
    exit_block: ClBlock,
    /// The exit to a pc that may be compiled elsewhere: tail-calls it.
    chain_block: ClBlock,
    /// Where code from outside the function (its entry, an indirect jump)
    /// enters each region block: a preheader that loads the block's
    /// live-in slots, then goes to its head.
    region_blocks: BTreeMap<u64, ClBlock>,
    /// Where direct jumps inside the region enter each block, with its
    /// live-in slots in variables (see `jump_in_region`).
    heads: BTreeMap<u64, ClBlock>,
    /// Each block's carried live-in slots (see `live_in_slots`).
    live_in: BTreeMap<u64, BTreeSet<u16>>,
    thunk_sig: cranelift_codegen::ir::SigRef,
    traps: Vec<TrapKind>,
    trap_base: usize,
    thunks: Thunks,
    trusted: MemFlagsData,
    sites: Sites,
    direct: Option<Direct>,
    /// `(pc, unretired)` of each direct access; access `i` has trap code
    /// `i + 1`.
    accesses: Vec<(u64, u64)>,
    /// Values known to be below the direct span on the current straight
    /// line of the block (checked by an earlier direct access).
    in_span: BTreeSet<Value>,
}

/// Most direct accesses in one function: each has its own trap code, of
/// which Cranelift leaves this many to users. Further ones use sites.
const MAX_DIRECT_ACCESSES: usize = 250;
const _: () = assert!(TrapCode::user(MAX_DIRECT_ACCESSES as u8).is_some());

/// Largest constant offset a direct access keeps apart from its clamped
/// base (see `Lower::direct_host`): within the guards around the host
/// reservation (`mem::DIRECT_GUARD`, less the widest access).
const MAX_FOLDED_OFFSET: u64 = crate::mem::DIRECT_GUARD - 8;

/// Guest memory as the host maps it, for direct accesses (see
/// `mem::AddressSpace::direct_base`).
#[derive(Clone, Copy, Debug)]
pub struct Direct {
    /// Host address of guest address 0.
    pub base: u64,
    /// Addresses below this are in the host reservation.
    pub span: u64,
    /// Guest addresses are 32-bit (zero-extended): no bounds check.
    pub words: bool,
}

/// What compiled code is built against: the engine's `JitCtx`, the TLB of
/// the address space, and its direct mapping when direct accesses are on.
#[derive(Clone, Copy, Debug)]
pub struct Target {
    pub ctx: usize,
    pub tlb: usize,
    pub direct: Option<Direct>,
}

/// What lowering a region produces besides the code: the traps its exits
/// raise, and `(pc, unretired)` of its direct accesses, where access `i`
/// carries trap code `i + 1` (see `fault`).
pub struct Lowered {
    pub traps: Vec<TrapKind>,
    pub accesses: Vec<(u64, u64)>,
}

/// The next access sites to hand out (see `mem::tlb`), per kind. Taken in
/// turn across regions, so the sites of one region are distinct.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sites {
    pub read: usize,
    pub write: usize,
}

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

/// Slots a region reads or writes.
fn used_slots(blocks: &[&Block]) -> BTreeSet<u16> {
    let mut s = BTreeSet::new();
    for b in blocks {
        for op in &b.ops {
            match op {
                Op::Get { slot, .. } | Op::Set { slot, .. } | Op::Fp { flags: slot, .. } => {
                    s.insert(slot.0);
                }
                _ => {}
            }
        }
    }
    s
}

/// Most slots held in variables across a point where `CpuState` is
/// current: a direct jump inside a region (the target's live-ins) and a
/// memory access through the TLB, whose slow path is a call (see
/// `Lower::hold_nearest_slots`). Holding more made the register allocator
/// spill (x86-64 has about a dozen registers left beside `cpu` and the
/// fuel), which cost more than loading the others from `CpuState` again:
/// measured on `bench`, whose SHA-256 rounds keep some twenty guest
/// registers live.
const MAX_HELD_SLOTS: usize = 4;

/// The slots a block reads before it writes them (in op order), which a
/// direct jump inside the region carries in variables: the most read of
/// them, at most [`MAX_HELD_SLOTS`]. The block loads the others from
/// `CpuState` on first use.
fn live_in_slots(bl: &Block) -> BTreeSet<u16> {
    let mut written = BTreeSet::new();
    let mut live = BTreeSet::new();
    let mut reads: BTreeMap<u16, usize> = BTreeMap::new();
    for op in &bl.ops {
        match op {
            Op::Get { slot, .. } => {
                *reads.entry(slot.0).or_default() += 1;
                if !written.contains(&slot.0) {
                    live.insert(slot.0);
                }
            }
            Op::Set { slot, .. } => {
                written.insert(slot.0);
            }
            _ => {}
        }
    }
    if live.len() <= MAX_HELD_SLOTS {
        return live;
    }
    // Most read first; ties by slot number, so the choice is deterministic.
    let mut by_reads: Vec<u16> = live.into_iter().collect();
    by_reads.sort_by_key(|s| std::cmp::Reverse(reads[s]));
    by_reads.into_iter().take(MAX_HELD_SLOTS).collect()
}

/// The signature of compiled regions: `(cpu) -> exit code`, in the `tail`
/// convention so that regions chain with tail calls. The engine's `JitCtx`
/// is a constant in the code.
pub fn region_signature() -> Signature {
    let mut sig = Signature::new(CallConv::Tail);
    sig.params.push(AbiParam::new(I64));
    sig.returns.push(AbiParam::new(types::I32));
    sig
}

/// What compiled code calls: the slow-path thunks (see [`lower_thunk`])
/// and `extern "C"` helpers in the host's convention `host_cc`.
#[derive(Clone, Copy, Debug)]
pub struct Thunks {
    pub load: usize,
    pub store: usize,
    pub host_cc: CallConv,
}

/// `(ctx, addr, size) -> value`: the slow-path load helper.
pub fn load_signature(cc: CallConv) -> Signature {
    let mut sig = Signature::new(cc);
    sig.params.extend([AbiParam::new(I64), AbiParam::new(I64), AbiParam::new(types::I32)]);
    sig.returns.push(AbiParam::new(I64));
    sig
}

/// `(ctx, addr, size, value) -> status`: the slow-path store helper.
pub fn store_signature(cc: CallConv) -> Signature {
    let mut sig = Signature::new(cc);
    sig.params.extend([
        AbiParam::new(I64),
        AbiParam::new(I64),
        AbiParam::new(types::I32),
        AbiParam::new(I64),
    ]);
    sig.returns.push(AbiParam::new(types::I32));
    sig
}

/// The signature of the slow-path thunks: no parameters and no result, in
/// the `preserve_all` convention, so a call binds no register.
pub fn thunk_signature() -> Signature {
    Signature::new(CallConv::PreserveAll)
}

/// A thunk in the `preserve_all` convention that calls the `extern "C"`
/// `helper` of signature `helper_sig` with the engine's `JitCtx` (at
/// address `ctx`) and the arguments compiled code left in
/// `JitCtx::slow_args`, and stores its result in
/// `JitCtx::slow_result`. Compiled code calls helpers through such thunks,
/// so a rarely taken slow path clobbers no register and constrains none:
/// the values live across it need not sit in callee-saved registers, on the
/// stack, or in argument registers. The result goes through memory because
/// Cranelift's `preserve_all` restores the return register too.
pub fn lower_thunk(b: &mut FunctionBuilder, helper: usize, helper_sig: Signature, ctx: usize) {
    let entry = b.create_block();
    b.switch_to_block(entry);
    let ctx = b.ins().iconst(I64, ctx as i64);
    let mut args = vec![ctx];
    for (i, p) in helper_sig.params[1..].iter().enumerate() {
        let off = runtime::offsets::SLOW_ARGS + 8 * i as i32;
        // Little-endian host: a narrower argument is the low part.
        args.push(b.ins().load(p.value_type, MemFlagsData::trusted(), ctx, off));
    }
    let wide = helper_sig.returns[0].value_type == I64;
    let sig = b.import_signature(helper_sig);
    let f = b.ins().iconst(I64, helper as i64);
    let call = b.ins().call_indirect(sig, f, &args);
    let r = b.inst_results(call)[0];
    let r = if wide { r } else { b.ins().uextend(I64, r) };
    b.ins().store(MemFlagsData::trusted(), r, ctx, runtime::offsets::SLOW_RESULT);
    b.ins().return_(&[]);
    b.seal_all_blocks();
}

/// The trampoline through which the engine enters compiled code:
/// `extern "C" fn(cpu, region) -> exit code`, calling `region` (a
/// `tail`-convention function, which Rust cannot call directly).
pub fn lower_trampoline(b: &mut FunctionBuilder) {
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let params = b.block_params(entry).to_vec();
    let sig = b.import_signature(region_signature());
    let call = b.ins().call_indirect(sig, params[1], &[params[0]]);
    let code = b.inst_results(call)[0];
    b.ins().return_(&[code]);
    b.seal_all_blocks();
}

/// The trampoline's signature, in the host convention `host_cc`.
pub fn trampoline_signature(host_cc: CallConv) -> Signature {
    let mut sig = Signature::new(host_cc);
    sig.params.extend([AbiParam::new(I64), AbiParam::new(I64)]);
    sig.returns.push(AbiParam::new(types::I32));
    sig
}

/// Lower `blocks` into the function being built. The function may be
/// entered at any of the blocks: it starts where `cpu.pc` points. Returns
/// the traps its exits raise, numbered from `trap_base` (the value compiled
/// code stores in `JitCtx::exit_aux`), and its direct accesses. Slow memory
/// paths call the `thunks`. The code is only valid with the `target`'s
/// `JitCtx`, TLB and direct mapping; it takes the TLB's access sites from
/// `sites` on.
pub fn lower_region(
    b: &mut FunctionBuilder,
    blocks: &[&Block],
    trap_base: usize,
    thunks: Thunks,
    word_slots: &dyn Fn(u16) -> bool,
    target: Target,
    sites: &mut Sites,
) -> Lowered {
    let Target { ctx, tlb, direct } = target;
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let cpu = b.block_params(entry)[0];
    let trusted = MemFlagsData::trusted();

    let thunk_sig = b.import_signature(thunk_signature());

    // Slot variables are defined per block (loaded on first use), so their
    // live ranges stay inside a block and the register allocator does not
    // spill guest registers the region only touches far away.
    let used = used_slots(blocks);
    let word_slots: BTreeSet<u16> = used.iter().copied().filter(|&s| word_slots(s)).collect();
    // Word slots live in `i32` variables: values carried from block to
    // block (loops) stay provably words.
    let slot_vars: BTreeMap<u16, Variable> = used
        .into_iter()
        .map(|s| (s, b.declare_var(if word_slots.contains(&s) { types::I32 } else { I64 })))
        .collect();
    let max_temps = blocks.iter().map(|bl| bl.num_temps).max().unwrap_or(0);
    let temp_vars: Vec<Variable> = (0..max_temps).map(|_| b.declare_var(I64)).collect();
    let zero = b.ins().iconst(I64, 0);
    for &t in &temp_vars {
        // Temps are block-local, but give them a definition on every path
        // so the SSA builder never sees an undefined use.
        b.def_var(t, zero);
    }
    let fuel = b.declare_var(I64);
    let ctx_addr = b.ins().iconst(I64, ctx as i64);
    let fuel0 = b.ins().load(I64, trusted, ctx_addr, runtime::offsets::FUEL);
    if direct.is_some() {
        b.ins().set_pinned_reg(fuel0);
    } else {
        b.def_var(fuel, fuel0);
    }
    let smc = b.declare_var(I64);

    let exit_block = b.create_block();
    b.append_block_param(exit_block, types::I32); // exit code
    b.append_block_param(exit_block, I64); // pc
    b.append_block_param(exit_block, I64); // instructions not retired

    let mut region_blocks = BTreeMap::new();
    let mut heads = BTreeMap::new();
    let mut live_in = BTreeMap::new();
    for bl in blocks {
        region_blocks.entry(bl.pc).or_insert_with(|| b.create_block());
        heads.entry(bl.pc).or_insert_with(|| b.create_block());
        live_in.entry(bl.pc).or_insert_with(|| live_in_slots(bl));
    }
    let chain_block = b.create_block();
    b.append_block_param(chain_block, I64); // pc
    b.append_block_param(chain_block, I64); // instructions not retired
    b.append_block_param(chain_block, I64); // a store hit code

    if region_blocks.len() == 1 {
        let first = region_blocks[&blocks[0].pc];
        b.ins().jump(first, &[]);
    } else {
        // Entered at `cpu.pc`, which the engine guarantees is one of the
        // blocks; anything else leaves with no progress, and the engine
        // interprets it.
        let pc = b.ins().load(I64, trusted, cpu, cpu_off::PC);
        let nowhere = b.create_block();
        let mut switch = Switch::new();
        for (&p, &blk) in &region_blocks {
            switch.set_entry(p as u128, blk);
        }
        switch.emit(b, pc, nowhere);
        b.switch_to_block(nowhere);
        let code = b.ins().iconst(types::I32, EXIT_JUMP as i64);
        b.ins().return_(&[code]);
    }

    let mut l = Lower {
        b,
        cpu,
        ctx: ctx as i64,
        tlb: tlb as i64,
        slot_vars,
        known: BTreeSet::new(),
        pending: BTreeSet::new(),
        word_slots,
        temp_vars,
        fuel,
        smc,
        exit_block,
        chain_block,
        region_blocks,
        heads,
        live_in,
        thunk_sig,
        traps: Vec::new(),
        trap_base,
        thunks,
        trusted,
        sites: *sites,
        direct,
        accesses: Vec::new(),
        in_span: BTreeSet::new(),
    };
    for bl in blocks {
        l.lower_block(bl);
    }
    l.emit_exit_block();
    l.emit_chain_block();
    l.b.seal_all_blocks();
    *sites = l.sites;
    Lowered { traps: l.traps, accesses: l.accesses }
}

impl Lower<'_, '_> {
    fn t(&mut self, t: Temp) -> Value {
        self.b.use_var(self.temp_vars[t.0 as usize])
    }

    fn set_t(&mut self, t: Temp, v: Value) {
        self.b.def_var(self.temp_vars[t.0 as usize], v);
    }

    /// The current value of guest slot `slot`.
    fn get_slot(&mut self, slot: u16) -> Value {
        let var = self.slot_vars[&slot];
        if self.known.insert(slot) {
            let v = self.load_slot(slot);
            self.b.def_var(var, v);
        }
        let v = self.b.use_var(var);
        if self.word_slots.contains(&slot) { self.b.ins().uextend(I64, v) } else { v }
    }

    /// Load slot `slot` from `CpuState`, typed as its variable.
    fn load_slot(&mut self, slot: u16) -> Value {
        // A word slot's word is its low half (the host is little-endian).
        let ty = if self.word_slots.contains(&slot) { types::I32 } else { I64 };
        self.b.ins().load(ty, self.trusted, self.cpu, cpu_off::slot(slot))
    }

    fn set_slot(&mut self, slot: u16, v: Value) {
        let v =
            if self.word_slots.contains(&slot) { self.b.ins().ireduce(types::I32, v) } else { v };
        self.b.def_var(self.slot_vars[&slot], v);
        self.known.insert(slot);
        self.pending.insert(slot);
    }

    /// Store the pending slots on the current path, keeping them pending
    /// for the code lowered after it (an exit path).
    fn store_pending(&mut self) {
        let pending: Vec<u16> = self.pending.iter().copied().collect();
        for s in pending {
            // A word slot stores its low half only: its upper half stays 0.
            let v = self.b.use_var(self.slot_vars[&s]);
            self.b.ins().store(self.trusted, v, self.cpu, cpu_off::slot(s));
        }
    }

    /// Store the pending slots: from here on `CpuState` is current.
    fn flush_pending(&mut self) {
        self.store_pending();
        self.pending.clear();
    }

    /// Make every guest slot in `CpuState` current before a call that can
    /// observe it.
    fn sync_state_for_call(&mut self) {
        self.flush_pending();
    }

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

    fn bool_to_i64(&mut self, c: Value) -> Value {
        self.b.ins().uextend(I64, c)
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
    /// there is some (see `emit_chain_block`).
    fn exit_chain(&mut self, pc: Value, unretired: u64) {
        self.store_pending();
        let un = self.b.ins().iconst(I64, unretired as i64);
        let smc = self.b.use_var(self.smc);
        let args = [BlockArg::Value(pc), BlockArg::Value(un), BlockArg::Value(smc)];
        self.b.ins().jump(self.chain_block, &args);
    }

    fn exit_chain_const(&mut self, pc: u64, unretired: u64) {
        let pc = self.b.ins().iconst(I64, pc as i64);
        self.exit_chain(pc, unretired);
    }

    /// When a store (or a reset request) set `smc`, code may have been
    /// overwritten: leave for `pc` with `unretired` instructions given back,
    /// and go on here otherwise.
    fn leave_if_code_written(&mut self, pc: u64, unretired: u64) {
        let s = self.b.use_var(self.smc);
        let leave = self.b.create_block();
        self.b.set_cold_block(leave);
        let go = self.b.create_block();
        self.b.ins().brif(s, leave, &[], go, &[]);
        self.b.switch_to_block(leave);
        self.exit_const(EXIT_JUMP, pc, unretired);
        self.b.switch_to_block(go);
    }

    fn exit_const(&mut self, code: u32, pc: u64, unretired: u64) {
        let pc = self.b.ins().iconst(I64, pc as i64);
        self.exit(code, pc, unretired);
    }

    /// Emit the IR exit `e` of a block after `retired` of its `n`
    /// instructions.
    fn ir_exit(&mut self, e: Exit, n: u64, retired: u64, had_store: bool, switch: bool) {
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
                    self.exit_chain_const(target, un);
                }
            }
            Exit::JumpIndirect(t) => {
                let pc = self.t(t);
                let un = n - retired;
                if had_store || !switch || self.region_blocks.len() < 2 {
                    self.exit_chain(pc, un);
                    return;
                }
                // Returns and other indirect jumps often land on a block of
                // the same region: dispatch to it without leaving.
                self.store_pending();
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
                for (land, dest) in landings {
                    self.b.switch_to_block(land);
                    self.refund(un);
                    self.b.ins().jump(dest, &[]);
                }
                self.b.switch_to_block(miss);
                self.exit_chain(pc, un);
            }
            Exit::Syscall { next_pc } => self.exit_const(EXIT_SYSCALL, next_pc, n - retired),
            Exit::Trap { kind, pc } => {
                let idx = (self.trap_base + self.traps.len()) as i64;
                self.traps.push(kind);
                let v = self.b.ins().iconst(I64, idx);
                let ctx = self.ctx();
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

    fn lower_block(&mut self, bl: &Block) {
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
        let zero = self.b.ins().iconst(I64, 0);
        self.b.def_var(self.smc, zero);
        let n = bl.insn_count as u64;
        // Exact fuel: run the block only if all of it may retire.
        let fuel = self.fuel_now();
        let enough = self.b.ins().icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, fuel, n as i64);
        let body = self.b.create_block();
        let starve = self.b.create_block();
        self.b.set_cold_block(starve);
        self.b.ins().brif(enough, body, &[], starve, &[]);
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
        // The current instruction changed guest state or read memory: it
        // cannot simply run again from its start.
        let mut insn_dirty = false;
        for (i, op) in bl.ops.iter().enumerate() {
            match *op {
                Op::Insn { pc, .. } => {
                    if insn_had_store {
                        self.leave_if_code_written(pc, n - k);
                    }
                    insn_had_store = false;
                    insn_dirty = false;
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
                    self.set_slot(slot.0, v);
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
                    self.flush_pending();
                    let direct = self.goes_direct(insn_dirty);
                    if !direct {
                        self.hold_nearest_slots(bl, i);
                    }
                    let a = self.t(addr);
                    let at = (cur_pc, n - (k - 1));
                    let v = self.load(a, width, signed, endian, at, direct);
                    self.set_t(dst, v);
                    insn_dirty = true;
                }
                Op::Store { addr, src, width, endian } => {
                    self.flush_pending();
                    let direct = self.goes_direct(insn_dirty);
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
                        _ if !insn_dirty => Some((cur_pc, n - (k - 1))),
                        _ => None,
                    };
                    self.store(a, v, (width, endian), (cur_pc, n - (k - 1)), leave_at, direct);
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
                    self.b.switch_to_block(dest);
                }
                Op::ExitIf { cond, exit } => {
                    let c = self.t(cond);
                    let c = self.condition(c);
                    let taken = self.b.create_block();
                    let next = self.b.create_block();
                    self.b.ins().brif(c, taken, &[], next, &[]);
                    self.b.switch_to_block(taken);
                    // Conditional indirect exits (a pending mips delay-slot jump in
                    // every block) leave plainly: a switch per exit would make
                    // compile work grow with the square of the region.
                    let pending = self.pending.clone();
                    self.ir_exit(exit, n, k, block_had_store, false);
                    self.pending = pending;
                    self.b.switch_to_block(next);
                }
                Op::Fp { insn, dst, a, b, c, rm, flags } => {
                    self.lower_fp(insn, dst, a, b, c, rm, flags);
                    insn_dirty = true;
                }
                Op::Hook { id, pc, mem } => {
                    self.lower_hook(id, pc, mem);
                    insn_dirty = true;
                    // A reset request leaves like a store that hit code.
                    insn_had_store = true;
                    block_had_store = true;
                }
            }
        }
        self.ir_exit(bl.exit, n, k, block_had_store, true);
    }

    /// At op `i` of `bl`, right after the pending stores, when `CpuState`
    /// holds every slot: keep in variables only the [`MAX_HELD_SLOTS`]
    /// slots read soonest after `i`, and drop those written before they are
    /// read again. The others load again on their next use. Held across
    /// the access, they would make the register allocator spill them to the
    /// stack: a second copy of values `CpuState` already holds.
    fn hold_nearest_slots(&mut self, bl: &Block, i: usize) {
        if self.known.len() <= MAX_HELD_SLOTS {
            return;
        }
        // First event of each known slot after `i`: a read (its distance)
        // or a write (the held value is dead). Slots with neither may be
        // carried into the next block; they go last.
        let mut first: BTreeMap<u16, Option<usize>> = BTreeMap::new();
        for (j, op) in bl.ops.iter().enumerate().skip(i + 1) {
            if first.len() == self.known.len() {
                break;
            }
            match op {
                Op::Get { slot, .. } if self.known.contains(&slot.0) => {
                    first.entry(slot.0).or_insert(Some(j));
                }
                Op::Set { slot, .. } if self.known.contains(&slot.0) => {
                    first.entry(slot.0).or_insert(None);
                }
                _ => {}
            }
        }
        let mut by_distance: Vec<(usize, u16)> = Vec::new();
        for &s in &self.known {
            match first.get(&s) {
                Some(Some(j)) => by_distance.push((*j, s)),
                Some(None) => {}
                None => by_distance.push((usize::MAX, s)),
            }
        }
        by_distance.sort_unstable();
        let keep: BTreeSet<u16> =
            by_distance.into_iter().take(MAX_HELD_SLOTS).map(|(_, s)| s).collect();
        self.known = keep;
    }

    /// The fuel left: the pinned register with direct accesses (the fault
    /// handler reads it there, see `fault`), else a variable.
    fn fuel_now(&mut self) -> Value {
        if self.direct.is_some() {
            self.b.ins().get_pinned_reg(I64)
        } else {
            self.b.use_var(self.fuel)
        }
    }

    fn set_fuel(&mut self, f: Value) {
        if self.direct.is_some() {
            self.b.ins().set_pinned_reg(f);
        } else {
            self.b.def_var(self.fuel, f);
        }
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

    /// The `JitCtx`'s address (rematerialized where used).
    fn ctx(&mut self) -> Value {
        self.b.ins().iconst(I64, self.ctx)
    }

    /// The TLB's address (rematerialized where used).
    fn tlb(&mut self) -> Value {
        self.b.ins().iconst(I64, self.tlb)
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
        let masked = self.b.ins().band_imm_s(addr, (PAGE_MASK | (w.bytes() as u64 - 1)) as i64);
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

        // The site holds another page: look the TLB up, and on a hit make
        // the site hold this one.
        self.b.switch_to_block(probe);
        let entry = self.tlb_entry(addr);
        let tag_off = if write { tlb_offsets::WRITE_TAG } else { tlb_offsets::READ_TAG };
        let tag = self.b.ins().load(I64, self.trusted, entry, tag_off);
        let hit = self.b.ins().icmp(IntCC::Equal, masked, tag);
        self.b.ins().brif(hit, refill, &[], slow, &[]);

        self.b.switch_to_block(refill);
        let a = self.b.ins().load(I64, self.trusted, entry, tlb_offsets::ADDEND);
        let tlb = self.tlb();
        self.b.ins().store(self.trusted, tag, tlb, site + tlb_offsets::SITE_TAG);
        self.b.ins().store(self.trusted, a, tlb, site + tlb_offsets::SITE_ADDEND);
        self.b.ins().jump(fast, &[BlockArg::Value(a)]);

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

    /// Call the slow-path thunk at `thunk` for an access of `w` bytes at
    /// `addr` (storing `value`), its arguments passed in `JitCtx::slow_args`.
    fn call_thunk(&mut self, thunk: usize, addr: Value, w: Width, value: Option<Value>) {
        let args = runtime::offsets::SLOW_ARGS;
        let ctx = self.ctx();
        self.b.ins().store(self.trusted, addr, ctx, args);
        let size = self.b.ins().iconst(I64, w.bytes() as i64);
        self.b.ins().store(self.trusted, size, ctx, args + 8);
        if let Some(v) = value {
            self.b.ins().store(self.trusted, v, ctx, args + 16);
        }
        let f = self.b.ins().iconst(I64, thunk as i64);
        self.b.ins().call_indirect(self.thunk_sig, f, &[]);
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
        self.accesses.push(at);
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
                self.b.ins().brif(inside, ok, &[], outside, &[]);
                self.b.switch_to_block(outside);
                let guard = self.b.ins().iconst(I64, d.base.wrapping_add(d.span) as i64);
                let ty = Self::width_type(w);
                self.b.ins().load(ty, flags, guard, 0);
                // Not reached; a reserved code, so it names no access.
                self.b.ins().trap(TrapCode::HEAP_OUT_OF_BOUNDS);
                self.b.switch_to_block(ok);
            }
            (x, k as i32)
        };
        let base = self.b.ins().iconst(I64, d.base as i64);
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
    fn goes_direct(&self, insn_dirty: bool) -> bool {
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

    fn load(
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
        self.call_thunk(self.thunks.load, addr, w, None);
        let ctx = self.ctx();
        let v = self.b.ins().load(I64, self.trusted, ctx, runtime::offsets::SLOW_RESULT);
        let v = if ty == I64 { v } else { self.b.ins().ireduce(ty, v) };
        let v = self.loaded_value(v, ty, signed, endian);
        let pending = self.b.ins().load(I64, self.trusted, ctx, runtime::offsets::FAULT_PENDING);
        let back = self.cold_block();
        self.b.ins().brif(pending, fault, &[], back, &[]);
        self.cold_jump_after(back, join, &[BlockArg::Value(v)]);

        self.b.switch_to_block(fault);
        self.exit_const(EXIT_FAULT, pc, unretired);

        self.b.switch_to_block(join);
        result
    }

    /// Store `value`; a fault leaves at `(pc, unretired)`. With
    /// `leave_at = Some((resume_pc, unretired))` a store that hits code
    /// leaves there at once; otherwise it sets `smc` for the next boundary.
    fn store(
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
        let ins = self.b.ins();
        match w {
            Width::W8 => ins.istore8(flags, bytes, host, off),
            Width::W16 => ins.istore16(flags, bytes, host, off),
            Width::W32 => ins.istore32(flags, bytes, host, off),
            Width::W64 => ins.store(flags, bytes, host, off),
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
        self.call_thunk(self.thunks.store, addr, w, Some(bytes));
        let ctx = self.ctx();
        let r = self.b.ins().load(I64, self.trusted, ctx, runtime::offsets::SLOW_RESULT);
        let is_fault = self.b.ins().icmp_imm_s(IntCC::Equal, r, 1);
        // Reached from the slow path only: laid out with it, out of the
        // fast path's way.
        let ok = self.b.create_block();
        self.b.set_cold_block(ok);
        self.b.ins().brif(is_fault, fault, &[], ok, &[]);

        self.b.switch_to_block(ok);
        let hit_code = self.b.ins().icmp_imm_s(IntCC::Equal, r, 2);
        if let Some((resume_pc, un)) = leave_at {
            let leave = self.b.create_block();
            self.b.set_cold_block(leave);
            let back = self.cold_block();
            self.b.ins().brif(hit_code, leave, &[], back, &[]);
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

        self.b.switch_to_block(fault);
        self.exit_const(EXIT_FAULT, pc, unretired);

        self.b.switch_to_block(done);
    }

    fn bin(&mut self, op: BinOp, a: Value, b: Value) -> Value {
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
                let c = self.b.ins().icmp(cc, a, b);
                self.bool_to_i64(c)
            }
        }
    }

    fn un(&mut self, op: UnOp, a: Value) -> Value {
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
    fn condition(&mut self, v: Value) -> Value {
        match self.compare_of(v) {
            Some((cc, x, y)) => self.b.ins().icmp(cc, x, y),
            None => v,
        }
    }

    /// The constant `v` was built from, if it is one.
    fn const_of(&self, v: Value) -> Option<u64> {
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
    fn extended_word(&self, v: Value, extend: Opcode) -> Option<Value> {
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

    /// The shared exit: write back the counters and pc, return the code.
    fn emit_exit_block(&mut self) {
        self.b.switch_to_block(self.exit_block);
        let params = self.b.block_params(self.exit_block).to_vec();
        let (code, pc, unretired) = (params[0], params[1], params[2]);
        self.write_back(pc, unretired);
        self.b.ins().return_(&[code]);
    }

    /// The chaining exit: after the write-back, look `pc` up in the
    /// engine's direct-mapped table and tail-call the compiled function
    /// holding it. Return to the engine instead when a store hit code (the
    /// engine must invalidate first), when no fuel is left, or on a miss.
    fn emit_chain_block(&mut self) {
        self.b.switch_to_block(self.chain_block);
        let params = self.b.block_params(self.chain_block).to_vec();
        let (pc, unretired, smc) = (params[0], params[1], params[2]);
        let fuel = self.write_back(pc, unretired);
        let leave = self.b.create_block();
        let fueled = self.b.create_block();
        let lookup = self.b.create_block();
        let call = self.b.create_block();
        self.b.ins().brif(smc, leave, &[], fueled, &[]);

        self.b.switch_to_block(fueled);
        self.b.ins().brif(fuel, lookup, &[], leave, &[]);

        self.b.switch_to_block(lookup);
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
        self.b.ins().brif(hit, call, &[], leave, &[]);

        self.b.switch_to_block(call);
        let f = self.b.ins().load(I64, self.trusted, entry, runtime::offsets::FAST_ENTRY_FN);
        let sig = self.b.import_signature(region_signature());
        self.b.ins().return_call_indirect(sig, f, &[self.cpu]);

        self.b.switch_to_block(leave);
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
        let mut sig = Signature::new(self.thunks.host_cc);
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
        let helper = self.b.ins().iconst(I64, runtime::jit_hook as *const () as i64);
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
