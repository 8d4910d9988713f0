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
//! interpreter runs the rest, so a run stops exactly at instruction N. The
//! fuel is a variable, which the register allocator keeps in a register:
//! the check is a compare, a branch and a subtraction.
//!
//! Memory accesses that are the first effect of their instruction (no
//! change to guest state before them, only direct loads) are *direct*: they
//! access guest memory at `base + addr` and leave every check to the host
//! MMU (see `fault`). Each has its own trap code, and a block that loads
//! or stores first stores the fuel it starts with in `JitCtx::block_fuel`,
//! so the engine finds both the access and the fuel left at a fault. (The
//! fuel used to live in Cranelift's pinned register, for the fault
//! handler: each block then moved it out, checked, subtracted and moved it
//! back, five host instructions a block and a third of those of busybox
//! `strings`' loop, and the pinned register was one fewer for guest
//! registers.) Other accesses (and all of them
//! where the host has no fault support) inline a lookup of their own access
//! site and then of the software TLB (see `mem::tlb`); a TLB miss calls the
//! `runtime` helpers. Big-endian accesses byte-swap explicitly.
//!
//! Every access stores the pending slots first, so `CpuState` is current
//! at a fault, with one exception: the write of a frontend's transient slot
//! (`Frontend::transient_slot`, a mips branch's pending transfer) by an
//! instruction that can run again from its start stays pending across the
//! next instruction's direct accesses, whose faults then resume at the
//! writer, and a write of zero once that next instruction is done needs no
//! store at all. A branch and its delay slot thus cost no store for the
//! transfer in between (mipsel `grep` 4.5 % fewer host instructions, the
//! read-back cell 6.7 %).
//!
//! The lowering is split by concern: this file frames a region (its
//! entry, the blocks it holds, the state compiled code keeps) and the
//! submodules do the rest: `frame` lowers a block's ops, exits and fuel;
//! `slots` the slot cache; `alu` integer operations and their narrowing
//! to 32 bits; `float` and `vector` the FP and SIMD ops; `abi` the host
//! ABI glue (signatures, slow-path thunks, the trampoline). Memory
//! accesses, direct and through the TLB, live in `jit::access`, beside
//! `fault`, which they must agree with.

mod abi;
mod alu;
mod float;
mod frame;
mod slots;
mod vector;

pub use abi::{
    load_signature, lower_thunk, lower_trampoline, region_signature, store_signature,
    thunk_signature, trampoline_signature,
};

use std::collections::{BTreeMap, BTreeSet};

use cranelift_codegen::ir::{Block as ClBlock, InstBuilder, MemFlagsData, Type, Value, types};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::{FunctionBuilder, Switch, Variable};

use super::runtime::{self, EXIT_JUMP};
use crate::cpu::offsets as cpu_off;
use crate::ir::Block;
use slots::{live_in_slots, used_slots};

pub(super) const I64: Type = types::I64;

/// Everything the function body needs while lowering.
pub(super) struct Lower<'a, 'b> {
    pub(super) b: &'a mut FunctionBuilder<'b>,
    pub(super) cpu: Value,
    pub(super) slot_vars: BTreeMap<u16, Variable>,
    /// Slots whose variable holds the current value at this point of the
    /// block being lowered (loaded or set since the block's entry or its
    /// last internal merge point).
    pub(super) known: BTreeSet<u16>,
    /// Slots set in the variable but not yet stored to `CpuState`. Every
    /// exit stores them; the hot path stores them at memory accesses and
    /// at the block's end, so a slot set twice in a row is stored once.
    pub(super) pending: BTreeSet<u16>,
    /// Slots that always hold a zero-extended word (see
    /// `Frontend::slot_is_word`): loaded as words, so the operations on
    /// them can run in 32 bits.
    pub(super) word_slots: BTreeSet<u16>,
    pub(super) temp_vars: Vec<Variable>,
    /// Fuel left; retired instructions are `icount0 + fuel0 - fuel`, where
    /// `cpu.icount` and `ctx.fuel` still hold the entry values `icount0`
    /// and `fuel0` (only exits write them), so only fuel is counted down
    /// and the entry values are reloaded where needed instead of holding
    /// two registers through the function. The register allocator places
    /// it: there is no pinned register (see `jit::new_module`).
    pub(super) fuel: Variable,
    /// The instruction count of the block being lowered: its direct
    /// accesses' fault records count from the fuel it started with.
    pub(super) charge: u64,
    /// The frontend's transient slot (see `Frontend::transient_slot`).
    pub(super) transient: Option<u16>,
    /// `(pc, index in its block)` of the instruction whose write of the
    /// transient slot is pending while `CpuState` still holds the zero it
    /// started from, when that instruction can run again from its start
    /// (see `frame::reruns_cleanly`): the next instruction's direct
    /// accesses leave the write pending and fault back to it, and a write
    /// of zero then needs no store.
    pub(super) deferred: Option<(u64, u64)>,
    /// Set when a store hit translated code; checked at the next
    /// instruction boundary so stale code never runs. Block-local: such a
    /// store always leaves at the next boundary, so it is zero at every
    /// block entry, and its live range never spans the region.
    pub(super) smc: Variable,
    pub(super) exit_block: ClBlock,
    /// Where chaining exits that cannot chain return to the engine (see
    /// `frame::exit_chain`).
    pub(super) leave_block: ClBlock,
    /// Where code from outside the function (its entry, an indirect jump)
    /// enters each region block: a preheader that loads the block's
    /// live-in slots, then goes to its head.
    pub(super) region_blocks: BTreeMap<u64, ClBlock>,
    /// Where direct jumps inside the region enter each block, with its
    /// live-in slots in variables (see `jump_in_region`).
    pub(super) heads: BTreeMap<u64, ClBlock>,
    /// Each block's carried live-in slots (see `live_in_slots`).
    pub(super) live_in: BTreeMap<u64, BTreeSet<u16>>,
    pub(super) thunk_sig: cranelift_codegen::ir::SigRef,
    /// The host's default calling convention, of the `extern "C"` helpers.
    pub(super) host_cc: CallConv,
    pub(super) trusted: MemFlagsData,
    pub(super) sites: Sites,
    pub(super) direct: Option<Direct>,
    /// With direct accesses, the host address of guest address 0, loaded
    /// from `JitCtx::base` once at the function's entry (which dominates
    /// every block), so the code is independent of the address space.
    pub(super) base: Option<Value>,
    /// `(pc, unretired)` of each direct access; access `i` has trap code
    /// `i + 1`.
    pub(super) accesses: Vec<(u64, u64)>,
    /// Values known to be below the direct span on the current straight
    /// line of the block (checked by an earlier direct access).
    pub(super) in_span: BTreeSet<Value>,
    /// Each block's predicted indirect target (see [`Shape`]).
    pub(super) predicted: BTreeMap<u64, u64>,
}

/// Guest memory as the host maps it, for direct accesses (see
/// `mem::AddressSpace::direct_base`). The base itself is no part of it:
/// compiled code reads it from `JitCtx::base` at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Direct {
    /// Addresses below this are in the host reservation.
    pub span: u64,
    /// Guest addresses are 32-bit (zero-extended): no bounds check.
    pub words: bool,
}

/// What a region's code depends on besides its blocks' IR: the direct
/// mapping's shape and, for blocks that end in an indirect jump, the one
/// place each went to while it was interpreted (`Cold::target`). A
/// predicted jump compares with that block before searching the region's
/// blocks (a return or an indirect call usually goes where it went
/// before); the search stays for the rest, so any target lands right and
/// a prediction changes only speed. It is part of the region's key all
/// the same, so code depends on nothing but its key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Shape {
    pub direct: Option<Direct>,
    /// `(block pc, target)`, ascending by block pc.
    pub predicted: Vec<(u64, u64)>,
}

/// What lowering a region produces besides the code: `(pc, unretired)`
/// of its direct accesses, where access `i` carries trap code `i + 1` (see
/// `fault`).
pub struct Lowered {
    pub accesses: Vec<(u64, u64)>,
}

/// The next access sites to hand out (see `mem::tlb`), per kind: a
/// region's come in turn from a start its root pc picks
/// ([`Sites::for_region`]).
#[derive(Clone, Copy, Debug)]
pub struct Sites {
    pub read: usize,
    pub write: usize,
}

impl Sites {
    /// Where the region rooted at `pc` starts taking sites. A function of
    /// the pc alone, so lowering a region depends on no region lowered
    /// before it (and may run on any thread); sites are caches, so two
    /// regions that share one lose speed, never correctness.
    pub fn for_region(pc: u64) -> Sites {
        let h = pc.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let sites = crate::mem::SITES as u64;
        Sites { read: ((h >> 32) % sites) as usize, write: ((h >> 48) % sites) as usize }
    }
}

/// Lower `blocks` into the function being built. The function may be
/// entered at any of the blocks: it starts where `cpu.pc` points. Returns
/// its direct accesses. The code reaches its `JitCtx`, and through it the
/// slow-path thunks and helpers (called in `host_cc` where `extern "C"`),
/// at a fixed offset from `cpu` (see `runtime::Frame`), and holds no host
/// address: it is valid in any module and process with the `shape`'s
/// direct mapping. It takes the TLB's access sites from `sites` on.
pub fn lower_region(
    b: &mut FunctionBuilder,
    blocks: &[&Block],
    host_cc: CallConv,
    word_slots: &dyn Fn(u16) -> bool,
    transient: Option<u16>,
    shape: &Shape,
    sites: Sites,
) -> Lowered {
    let direct = shape.direct;
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
    let from_cpu = runtime::offsets::CTX_FROM_CPU;
    let base = direct.map(|_| b.ins().load(I64, trusted, cpu, from_cpu + runtime::offsets::BASE));
    // With direct accesses the fuel arrives in `JitCtx::chain_fuel`, from
    // the trampoline or from the region that chained here (see
    // `frame::exit_chain`); otherwise each region starts from `fuel`.
    let fuel_at = match direct {
        None => runtime::offsets::FUEL,
        Some(_) => runtime::offsets::CHAIN_FUEL,
    };
    let fuel0 = b.ins().load(I64, trusted, cpu, from_cpu + fuel_at);
    b.def_var(fuel, fuel0);
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
    let leave_block = b.create_block();
    b.append_block_param(leave_block, I64); // pc

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
        slot_vars,
        known: BTreeSet::new(),
        pending: BTreeSet::new(),
        word_slots,
        temp_vars,
        fuel,
        charge: 0,
        transient,
        deferred: None,
        smc,
        exit_block,
        leave_block,
        region_blocks,
        heads,
        live_in,
        thunk_sig,
        host_cc,
        trusted,
        sites,
        direct,
        base,
        accesses: Vec::new(),
        in_span: BTreeSet::new(),
        predicted: shape.predicted.iter().copied().collect(),
    };
    for bl in blocks {
        l.lower_block(bl);
    }
    l.emit_exit_block();
    l.emit_leave_block();
    l.b.seal_all_blocks();
    Lowered { accesses: l.accesses }
}

#[cfg(test)]
mod tests {
    use cranelift_codegen::ir::condcodes::IntCC;
    use cranelift_codegen::ir::{Function, InstructionData, Opcode};
    use cranelift_frontend::FunctionBuilderContext;

    use super::*;
    use crate::arch::{Arch, frontend_for};
    use crate::engine::{DEFAULT_MAX_BLOCK_INSNS, translate};
    use crate::mem::{AddressSpace, Layout, PAGE_SIZE, Perms};

    const SPAN: u64 = 1 << 38;

    /// The riscv64 block of `words` at 0x10000, lowered alone with direct
    /// accesses below `SPAN`.
    fn lowered(words: &[u32]) -> Function {
        let pc = 0x1_0000;
        let mut mem = AddressSpace::new(Layout::for_bits(true));
        mem.map_fixed(pc, PAGE_SIZE, Perms::RX).unwrap();
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        mem.write_debug(pc, &bytes).unwrap();
        let f = frontend_for(Arch::Riscv64).unwrap();
        let block = translate(f, &mem, pc, DEFAULT_MAX_BLOCK_INSNS).unwrap();
        let mut func = Function::with_name_signature(Default::default(), region_signature());
        let mut fctx = FunctionBuilderContext::new();
        let mut b = FunctionBuilder::new(&mut func, &mut fctx);
        let shape =
            Shape { direct: Some(Direct { span: SPAN, words: false }), predicted: Vec::new() };
        let word_slots = |s: u16| f.slot_is_word(crate::ir::Slot(s));
        let transient = f.transient_slot().map(|s| s.0);
        let sites = Sites::for_region(pc);
        lower_region(&mut b, &[&block], CallConv::SystemV, &word_slots, transient, &shape, sites);
        let flags = cranelift_codegen::settings::Flags::new(cranelift_codegen::settings::builder());
        let isa = cranelift_native::builder().unwrap().finish(flags).unwrap();
        b.finalize(isa.frontend_config());
        func
    }

    /// How many times the function compares an address with the span.
    fn span_checks(func: &Function) -> usize {
        let dfg = &func.dfg;
        let is_span = |v| {
            matches!(dfg.value_def(v).inst().map(|i| dfg.insts[i]),
                Some(InstructionData::UnaryImm { opcode: Opcode::Iconst, imm })
                    if imm.bits() as u64 == SPAN)
        };
        func.layout
            .blocks()
            .flat_map(|b| func.layout.block_insts(b))
            .filter(|&i| {
                matches!(dfg.insts[i], InstructionData::IntCompare {
                    cond: IntCC::UnsignedLessThan,
                    args: [_, k],
                    ..
                } if is_span(k))
            })
            .count()
    }

    #[test]
    fn accesses_through_one_register_share_one_bounds_check() {
        // ld a1, 0(a0); ld a2, 8(a0); sd a1, 16(a0); ebreak
        let func = lowered(&[0x0005_3583, 0x0085_3603, 0x00b5_3823, 0x0010_0073]);
        assert_eq!(span_checks(&func), 1, "{}", func.display());
        // ld a1, 0(a0); ld a2, 0(a1); ebreak: two registers, two checks.
        let func = lowered(&[0x0005_3583, 0x0005_b603, 0x0010_0073]);
        assert_eq!(span_checks(&func), 2, "{}", func.display());
    }
}
