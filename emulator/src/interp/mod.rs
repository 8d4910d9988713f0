//! The reference interpreter: the executable definition of the IR.
//!
//! It walks a block's ops over a vector of temporaries, with the retirement
//! rule documented in `ir`, as steps: each op, or a common run of ops joined
//! into one step that does exactly what they do (see `fused`). The JIT
//! engine also calls [`exec_block`] for cold blocks and for the tail of a
//! run whose fuel ends inside a block, so both engines agree on
//! instruction counts by construction there, and [`exec_block_from`] to go
//! on inside such a block at the next run.
//!
//! Instrumentation hooks (`Op::Hook`) call the plugin host directly; a
//! reset requested by a callback ends the block at the next instruction
//! boundary, and the dispatch loop applies it.

use std::cell::RefCell;
use std::sync::{Arc, OnceLock};

use crate::arch::Frontend;
use crate::cpu::CpuState;
use crate::engine::{BlockCache, Engine, EngineStats, StopReason, translate_instrumented};
use crate::ir::{
    BinOp, Block, Counter, Endian, Exit, Op, Slot, Temp, UnOp, Width, eval_bin, eval_un,
};
use crate::mem::{AddressSpace, PAGE_SHIFT};
use crate::plugin::{Access, EnginePlugins, PluginHandle, PluginHost, run_hook};

mod fused;
mod shared;

use fused::{Step, Steps};

/// A block ready for interpretation: its ops as steps (see `fused`).
#[derive(Debug)]
pub struct Prepared {
    pub block: Block,
    /// Built the first time the block is interpreted: many blocks are
    /// only ever compiled.
    steps: OnceLock<Steps>,
    /// Each instruction marker as `(pc, op index, no temporary crosses
    /// it)`, in block order (see [`resume_index`]), worked out the first
    /// time a time slice ends inside the block.
    markers: OnceLock<Box<[(u64, u32, bool)]>>,
}

impl Prepared {
    pub fn new(block: Block) -> Self {
        Prepared { block, steps: OnceLock::new(), markers: OnceLock::new() }
    }

    fn steps(&self) -> &Steps {
        self.steps.get_or_init(|| Steps::new(&self.block))
    }

    fn markers(&self) -> &[(u64, u32, bool)] {
        self.markers.get_or_init(|| markers(&self.block))
    }
}

/// Every instruction marker of `block` and whether a temporary crosses
/// it: one written before the marker and read at or after it (the
/// indirect exit's target counts as read at the end). One pass over the
/// ops: temporary `t` crosses the markers in `(first write, last read]`.
fn markers(block: &Block) -> Box<[(u64, u32, bool)]> {
    let ops = &block.ops;
    let n = block.num_temps as usize;
    // A temporary never written or never read has first write >= last
    // read and so crosses nothing.
    let mut first_write = vec![usize::MAX; n];
    let mut last_read = vec![0usize; n];
    let mut note_read = |t: Temp, at: usize| {
        let t = t.0 as usize;
        last_read[t] = last_read[t].max(at);
    };
    for (i, op) in ops.iter().enumerate() {
        for t in op.temps_read().into_iter().flatten() {
            note_read(t, i);
        }
        if let Some(d) = op.temp_written() {
            let d = d.0 as usize;
            first_write[d] = first_write[d].min(i);
        }
    }
    if let Exit::JumpIndirect(t) = block.exit {
        note_read(t, ops.len());
    }
    // Markers at indices first_write + 1 ..= last_read are crossed.
    let mut crossing = vec![0i32; ops.len() + 2];
    for t in 0..n {
        if first_write[t] < last_read[t] {
            crossing[first_write[t] + 1] += 1;
            crossing[last_read[t] + 1] -= 1;
        }
    }
    let mut open = 0;
    let mut out = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        open += crossing[i];
        if let Op::Insn { pc, .. } = *op {
            out.push((pc, i as u32, open == 0));
        }
    }
    out.into_boxed_slice()
}

/// How a block left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockExit {
    /// Continue at `cpu.pc` with the next block.
    Continue,
    Stop(StopReason),
}

/// Apply the byte order of an access to a value assembled little-endian.
#[inline]
pub fn swap_for(endian: Endian, width: Width, v: u64) -> u64 {
    match (endian, width) {
        (Endian::Little, _) | (_, Width::W8) => v,
        (Endian::Big, Width::W16) => (v as u16).swap_bytes() as u64,
        (Endian::Big, Width::W32) => (v as u32).swap_bytes() as u64,
        (Endian::Big, Width::W64) => v.swap_bytes(),
    }
}

/// Sign- or zero-extend a loaded value of `width`.
#[inline]
pub fn extend(width: Width, signed: bool, v: u64) -> u64 {
    match (width, signed) {
        (Width::W8, true) => v as i8 as i64 as u64,
        (Width::W16, true) => v as i16 as i64 as u64,
        (Width::W32, true) => v as i32 as i64 as u64,
        (Width::W8, false) => v as u8 as u64,
        (Width::W16, false) => v as u16 as u64,
        (Width::W32, false) => v as u32 as u64,
        (Width::W64, _) => v,
    }
}

/// Execute one block, retiring at most `fuel` instructions (`fuel > 0`).
///
/// On return `cpu.pc` and `cpu.icount` reflect exactly the retired
/// instructions. A store that hits a page holding translated code ends the
/// block after the storing instruction, so stale code never runs; so does
/// a hook whose callback requested a reset. `plugins` runs the block's hook
/// ops (only blocks translated with a host have any).
pub fn exec_block(
    p: &Prepared,
    cpu: &mut CpuState,
    mem: &mut AddressSpace,
    fuel: u64,
    temps: &mut Vec<u64>,
    plugins: Option<&RefCell<PluginHost>>,
) -> BlockExit {
    exec_block_from(p, 0, cpu, mem, fuel, temps, plugins)
}

/// Where block `p` may be entered at its instruction `pc` instead of
/// translating a new block there: the op index of that instruction's
/// marker, when no temporary read from there on is written before it
/// (branches only go forward, so control flow from there on is the
/// block's own). `None` for the block's first instruction, a pc that is
/// not one of its instructions, or a boundary a temporary crosses (say, a
/// branch whose target a delay slot waits for).
pub fn resume_index(p: &Prepared, pc: u64) -> Option<usize> {
    let &(_, at, free) = p.markers().iter().find(|m| m.0 == pc)?;
    (at != 0 && free).then_some(at as usize)
}

/// The `Bin dst = op a, b` of a fused step on its operands' values, and
/// its `Set`, if any.
#[inline(always)]
fn combine(
    op: BinOp,
    a: u64,
    b: u64,
    dst: Temp,
    set: Option<Slot>,
    t: &mut [u64],
    regs: &mut [u64],
) {
    let r = eval_bin(op, a, b);
    t[dst.0 as usize] = r;
    if let Some(s) = set {
        regs[s.0 as usize] = r;
    }
}

/// `Bin d = op a, b; Un z = un d`, as the joined steps with a wrap run
/// them: the wrapped value.
#[inline(always)]
fn combine_wrapped(op: BinOp, un: UnOp, a: u64, b: u64, d: Temp, z: Temp, t: &mut [u64]) -> u64 {
    let r = eval_bin(op, a, b);
    t[d.0 as usize] = r;
    let u = eval_un(un, r);
    t[z.0 as usize] = u;
    u
}

/// Run the `Get`, `Const` and `Bin` of `at` (see `fused::RegImm`): the
/// address they compute.
#[inline(always)]
fn reg_imm(at: &fused::RegImm, t: &mut [u64], regs: &[u64]) -> u64 {
    let va = regs[at.from.0 as usize];
    t[at.a.0 as usize] = va;
    t[at.k.0 as usize] = at.value;
    let d = eval_bin(at.op, va, at.value);
    t[at.d.0 as usize] = d;
    d
}

/// [`exec_block`] entered at op `start`: 0, or an instruction marker that
/// [`resume_index`] accepted, with `cpu.pc` at that instruction.
pub fn exec_block_from(
    p: &Prepared,
    start: usize,
    cpu: &mut CpuState,
    mem: &mut AddressSpace,
    fuel: u64,
    temps: &mut Vec<u64>,
    plugins: Option<&RefCell<PluginHost>>,
) -> BlockExit {
    let block = &p.block;
    if temps.len() < block.num_temps as usize {
        temps.resize(block.num_temps as usize, 0);
    }
    let t = temps.as_mut_slice();
    // Instructions started so far (markers passed); the current one is
    // `started - 1`.
    let mut started: u64 = 0;
    let mut cur_pc = block.pc;
    // Leave at the next instruction boundary: the previous instruction
    // overwrote translated code, or a plugin requested a reset.
    let mut code_written = false;
    let steps = p.steps();
    // A resumed run starts at a marker, and every marker starts a step.
    let mut i = match start {
        0 => 0,
        _ => steps.marker_step(start).unwrap_or_else(|| {
            unreachable!("block {:#x} resumed at op {start}, not a marker", block.pc)
        }),
    };
    let label = &steps.label;
    let steps = &steps.steps;

    // Leave the block retiring `retired` instructions, resuming at `pc`.
    macro_rules! leave {
        ($retired:expr, $pc:expr, $result:expr) => {{
            cpu.icount += $retired;
            cpu.pc = $pc;
            return $result;
        }};
    }
    macro_rules! take_exit {
        ($exit:expr) => {{
            match $exit {
                Exit::Jump(target) => leave!(started, target, BlockExit::Continue),
                Exit::JumpIndirect(tt) => leave!(started, t[tt.0 as usize], BlockExit::Continue),
                Exit::Syscall { next_pc } => {
                    leave!(started, next_pc, BlockExit::Stop(StopReason::Syscall))
                }
                Exit::Trap { kind, pc } => {
                    leave!(started.saturating_sub(1), pc, BlockExit::Stop(StopReason::Trap(kind)))
                }
            }
        }};
    }

    // A load or store of the current instruction, from a plain step or a
    // joined one: a fault leaves before the instruction retires.
    macro_rules! load {
        ($addr:expr, $dst:expr, $width:expr, $signed:expr, $endian:expr) => {
            match mem.load($addr, $width.bytes()) {
                Ok(v) => t[$dst.0 as usize] = extend($width, $signed, swap_for($endian, $width, v)),
                Err(f) => leave!(started - 1, cur_pc, BlockExit::Stop(StopReason::Fault(f))),
            }
        };
    }
    macro_rules! store {
        ($addr:expr, $value:expr, $width:expr, $endian:expr) => {
            match mem.store($addr, $width.bytes(), swap_for($endian, $width, $value)) {
                Ok(hit_code) => code_written |= hit_code,
                Err(f) => leave!(started - 1, cur_pc, BlockExit::Stop(StopReason::Fault(f))),
            }
        };
    }

    // `Get a = from; Const k = value; Bin d = op a, k; Un z = un d`, as
    // the joined steps with a wrap run them: the wrapped value.
    macro_rules! wrapped_sum {
        ($op:expr, $un:expr, $a:expr, $from:expr, $k:expr, $value:expr, $d:expr, $z:expr) => {{
            let va = cpu.regs[$from.0 as usize];
            (t[$a.0 as usize], t[$k.0 as usize]) = (va, $value);
            combine_wrapped($op, $un, va, $value, $d, $z, t)
        }};
    }

    while i < steps.len() {
        match steps[i] {
            Step::ConstSet { dst, value, slot } => {
                t[dst.0 as usize] = value;
                cpu.regs[slot.0 as usize] = value;
            }
            Step::GetSet { dst, from, to } => {
                let v = cpu.regs[from.0 as usize];
                t[dst.0 as usize] = v;
                cpu.regs[to.0 as usize] = v;
            }
            Step::GetConstBin { op, a, from, k, value, dst, set } => {
                let va = cpu.regs[from.0 as usize];
                (t[a.0 as usize], t[k.0 as usize]) = (va, value);
                combine(op, va, value, dst, set, t, &mut cpu.regs);
            }
            Step::GetGetBin { op, a, sa, b, sb, dst, set } => {
                let (va, vb) = (cpu.regs[sa.0 as usize], cpu.regs[sb.0 as usize]);
                (t[a.0 as usize], t[b.0 as usize]) = (va, vb);
                combine(op, va, vb, dst, set, t, &mut cpu.regs);
            }
            Step::GetConstBinUn { op, un, a, from, k, value, d, z, set } => {
                let u = wrapped_sum!(op, un, a, from, k, value, d, z);
                if let Some(s) = set {
                    cpu.regs[s.0 as usize] = u;
                }
            }
            Step::GetGetBinUn { op, un, a, sa, b, sb, d, z, set } => {
                let (va, vb) = (cpu.regs[sa.0 as usize], cpu.regs[sb.0 as usize]);
                (t[a.0 as usize], t[b.0 as usize]) = (va, vb);
                let u = combine_wrapped(op, un, va, vb, d, z, t);
                if let Some(s) = set {
                    cpu.regs[s.0 as usize] = u;
                }
            }
            Step::BinSet { op, a, b, dst, slot } => {
                let (va, vb) = (t[a.0 as usize], t[b.0 as usize]);
                combine(op, va, vb, dst, Some(slot), t, &mut cpu.regs);
            }
            Step::ConstBin { op, a, k, value, dst } => {
                t[k.0 as usize] = value;
                combine(op, t[a.0 as usize], value, dst, None, t, &mut cpu.regs);
            }
            Step::GetUn { op, a, from, dst } => {
                let va = cpu.regs[from.0 as usize];
                t[a.0 as usize] = va;
                t[dst.0 as usize] = eval_un(op, va);
            }
            Step::UnSet { op, a, dst, slot } => {
                let r = eval_un(op, t[a.0 as usize]);
                t[dst.0 as usize] = r;
                cpu.regs[slot.0 as usize] = r;
            }
            Step::Insn { pc } => {
                if code_written {
                    // The previous instruction overwrote translated code
                    // (or asked for a reset): leave so the cache is
                    // invalidated (or flushed) before going on.
                    leave!(started, pc, BlockExit::Continue);
                }
                if started == fuel {
                    leave!(started, pc, BlockExit::Stop(StopReason::FuelExhausted));
                }
                started += 1;
                cur_pc = pc;
            }
            Step::Const { dst, value } => t[dst.0 as usize] = value,
            Step::Get { dst, slot } => t[dst.0 as usize] = cpu.regs[slot.0 as usize],
            Step::Set { slot, src } => cpu.regs[slot.0 as usize] = t[src.0 as usize],
            Step::Bin { op, dst, a, b } => {
                t[dst.0 as usize] = eval_bin(op, t[a.0 as usize], t[b.0 as usize])
            }
            Step::Un { op, dst, src } => t[dst.0 as usize] = eval_un(op, t[src.0 as usize]),
            Step::Other(Op::Select { dst, cond, if_true, if_false }) => {
                t[dst.0 as usize] = if t[cond.0 as usize] != 0 {
                    t[if_true.0 as usize]
                } else {
                    t[if_false.0 as usize]
                }
            }
            Step::Load { dst, addr, width, signed, endian } => {
                load!(t[addr.0 as usize], dst, width, signed, endian)
            }
            Step::AddrLoad { at, dst, width, signed, endian } => {
                let addr = reg_imm(&at, t, &cpu.regs);
                load!(addr, dst, width, signed, endian)
            }
            Step::AddrStore { at, v, src, width, endian } => {
                let addr = reg_imm(&at, t, &cpu.regs);
                let value = cpu.regs[src.0 as usize];
                t[v.0 as usize] = value;
                store!(addr, value, width, endian)
            }
            Step::AddrUnLoad { op, un, a, from, k, value, d, z, dst, width, signed, endian } => {
                let addr = wrapped_sum!(op, un, a, from, k, value, d, z);
                load!(addr, dst, width, signed, endian)
            }
            Step::AddrUnStore { op, un, a, from, k, value, d, z, v, src, width, endian } => {
                let addr = wrapped_sum!(op, un, a, from, k, value, d, z);
                let value = cpu.regs[src.0 as usize];
                t[v.0 as usize] = value;
                store!(addr, value, width, endian)
            }
            Step::Store { addr, src, width, endian } => {
                store!(t[addr.0 as usize], t[src.0 as usize], width, endian)
            }
            Step::Other(Op::Counter { dst, counter }) => {
                let insns = cpu.icount + started - 1;
                t[dst.0 as usize] = match counter {
                    Counter::Insns => insns,
                    Counter::VirtualNs => insns.wrapping_add(cpu.vclock_bias),
                }
            }
            Step::BranchIf { cond, target } => {
                if t[cond.0 as usize] != 0 {
                    i = label[target.0 as usize] as usize;
                    continue;
                }
            }
            Step::Label => {}
            Step::ExitIf { cond, exit } => {
                if t[cond.0 as usize] != 0 {
                    take_exit!(exit)
                }
            }
            Step::Other(Op::Fp { insn, dst, a, b, c, rm, flags }) => {
                let (v, raised) = crate::ir::float::eval_with(
                    insn,
                    t[rm.0 as usize],
                    t[a.0 as usize],
                    t[b.0 as usize],
                    t[c.0 as usize],
                );
                cpu.regs[flags.0 as usize] |= raised;
                t[dst.0 as usize] = v;
            }
            Step::Other(Op::Vec { insn, dst, a, b, c }) => {
                t[dst.0 as usize] =
                    crate::ir::vector::eval(insn, t[a.0 as usize], t[b.0 as usize], t[c.0 as usize])
            }
            Step::Other(Op::Hook { id, pc, mem }) => {
                // Hooks are only inserted when translating with a host, and
                // a block runs with the host it was translated with.
                let host = plugins.expect("instrumented block runs with its plugin host");
                let access = mem.map(|m| Access {
                    addr: t[m.addr.0 as usize],
                    value: t[m.value.0 as usize],
                    size: m.width.bytes(),
                    store: m.store,
                });
                code_written |= run_hook(host, id, pc, access);
            }
            // `fused::plain` gives every other op a step of its own.
            Step::Other(op) => unreachable!("op {op:?} outside its own step"),
        }
        i += 1;
    }
    take_exit!(block.exit)
}

/// The interpreter engine for one process.
pub struct Interpreter {
    frontend: &'static dyn Frontend,
    cache: BlockCache<Arc<Prepared>>,
    max_block_insns: u32,
    temps: Vec<u64>,
    stats: EngineStats,
    plugins: EnginePlugins,
}

impl Interpreter {
    pub fn new(frontend: &'static dyn Frontend, max_block_insns: u32) -> Self {
        Interpreter {
            frontend,
            cache: BlockCache::default(),
            max_block_insns,
            temps: Vec::new(),
            stats: EngineStats::default(),
            plugins: EnginePlugins::default(),
        }
    }
}

/// Discard translations whose guest code was overwritten. Shared by the
/// engines; returns how many blocks were dropped.
pub fn apply_code_writes<T>(mem: &mut AddressSpace, cache: &mut BlockCache<T>) -> u64 {
    let mut n = 0;
    for pn in mem.take_code_writes() {
        let k = cache.invalidate_page(pn) as u64;
        if k > 0 {
            mem.note_invalidation(pn, k);
        }
        n += k;
    }
    n
}

/// Look up the block at `pc`, translating it on a miss (instrumented by
/// `plugins`, if any; without plugins, through the blocks every engine
/// of the host process shares, `shared`). Shared by the engines.
pub fn lookup_or_translate(
    frontend: &dyn Frontend,
    cache: &mut BlockCache<Arc<Prepared>>,
    mem: &mut AddressSpace,
    pc: u64,
    max_block_insns: u32,
    stats: &mut EngineStats,
    plugins: Option<&RefCell<PluginHost>>,
) -> Result<Arc<Prepared>, crate::mem::MemFault> {
    if let Some(p) = cache.get(pc) {
        stats.cache_hits += 1;
        return Ok(p.clone());
    }
    stats.cache_misses += 1;
    let prepared = match plugins {
        None => shared::translate(frontend, mem, pc, max_block_insns)?,
        Some(_) => Arc::new(Prepared::new(translate_instrumented(
            frontend,
            mem,
            pc,
            max_block_insns,
            plugins,
        )?)),
    };
    stats.blocks_translated += 1;
    let (first, last) = prepared.block.page_span(PAGE_SHIFT);
    for pn in first..=last {
        mem.mark_code(pn);
    }
    cache.insert(pc, prepared.block.byte_len, prepared.clone());
    Ok(prepared)
}

impl Engine for Interpreter {
    fn run(&mut self, cpu: &mut CpuState, mem: &mut AddressSpace, fuel: u64) -> StopReason {
        let start = cpu.icount;
        loop {
            let used = cpu.icount - start;
            if used >= fuel {
                return StopReason::FuelExhausted;
            }
            if mem.has_code_writes() {
                self.stats.blocks_invalidated += apply_code_writes(mem, &mut self.cache);
            }
            if self.plugins.safe_point() {
                self.flush();
            }
            let plugins = self.plugins.host();
            let prepared = match lookup_or_translate(
                self.frontend,
                &mut self.cache,
                mem,
                cpu.pc,
                self.max_block_insns,
                &mut self.stats,
                plugins,
            ) {
                Ok(p) => p,
                Err(f) => return StopReason::Fault(f),
            };
            let exit = exec_block(&prepared, cpu, mem, fuel - used, &mut self.temps, plugins);
            self.plugins.after_block();
            match exit {
                BlockExit::Continue => {}
                BlockExit::Stop(s) => return s,
            }
        }
    }

    fn set_frontend(&mut self, frontend: &'static dyn Frontend) {
        self.frontend = frontend;
        self.flush();
    }

    fn flush(&mut self) {
        self.cache.clear();
    }

    fn set_plugins(&mut self, plugins: PluginHandle) {
        self.plugins.attach(plugins);
    }

    fn stats(&self) -> EngineStats {
        self.stats
    }

    fn dump_blocks(&self) -> Vec<Block> {
        self.cache.sorted_values().into_iter().map(|p| p.block.clone()).collect()
    }

    fn export(&mut self) -> Option<Box<dyn crate::engine::Moved>> {
        if self.plugins.host().is_some() {
            return None;
        }
        Some(Box::new(MovingInterpreter {
            frontend: self.frontend,
            cache: std::mem::take(&mut self.cache),
            max_block_insns: self.max_block_insns,
            stats: self.stats,
        }))
    }
}

/// An interpreter on its way to another host thread: its blocks and
/// counts (see [`Engine::export`]).
struct MovingInterpreter {
    frontend: &'static dyn Frontend,
    cache: BlockCache<Arc<Prepared>>,
    max_block_insns: u32,
    stats: EngineStats,
}

impl crate::engine::Moved for MovingInterpreter {
    fn adopt(self: Box<Self>) -> Box<dyn Engine> {
        let mut engine = Interpreter::new(self.frontend, self.max_block_insns);
        engine.cache = self.cache;
        engine.stats = self.stats;
        Box::new(engine)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{BlockBuilder, UnOp};
    use crate::mem::Layout;

    /// Three 4-byte instructions: `r1 += 1`, `r2 = r1 * 3`, `r3 = r2 - r1`,
    /// each reading what it needs from registers; with `carry`, the third
    /// reuses the second's product temp instead of reading `r2` again.
    fn three(carry: bool) -> Prepared {
        let mut b = BlockBuilder::new(0x1000);
        b.insn(0x1000, 4);
        let r1 = b.get(Slot(1));
        let r1 = b.bini(BinOp::Add, r1, 1);
        b.set(Slot(1), r1);
        b.insn(0x1004, 4);
        let r1 = b.get(Slot(1));
        let p = b.bini(BinOp::Mul, r1, 3);
        b.set(Slot(2), p);
        b.insn(0x1008, 4);
        let r2 = if carry { p } else { b.get(Slot(2)) };
        let r1 = b.get(Slot(1));
        let d = b.bin(BinOp::Sub, r2, r1);
        b.set(Slot(3), d);
        Prepared::new(b.finish())
    }

    #[test]
    fn resume_index_accepts_boundaries_no_temporary_crosses() {
        let p = three(false);
        let marker =
            |pc| p.block.ops.iter().position(|op| matches!(op, Op::Insn { pc: x, .. } if *x == pc));
        assert_eq!(resume_index(&p, 0x1004), marker(0x1004));
        assert_eq!(resume_index(&p, 0x1008), marker(0x1008));
        assert_eq!(resume_index(&p, 0x1000), None, "the block's own start");
        assert_eq!(resume_index(&p, 0x1002), None, "not an instruction of the block");
        assert_eq!(resume_index(&p, 0x2000), None, "outside the block");
        let carried = three(true);
        assert!(resume_index(&carried, 0x1004).is_some());
        assert_eq!(resume_index(&carried, 0x1008), None, "the product temp crosses it");
    }

    /// The definition [`resume_index`] works out in one pass: the first
    /// marker of `pc`, unless it is op 0 or a temporary written before it
    /// is read at or after it.
    fn resume_index_by_definition(p: &Prepared, pc: u64) -> Option<usize> {
        let ops = &p.block.ops;
        let at = ops.iter().position(|op| matches!(op, Op::Insn { pc: x, .. } if *x == pc))?;
        let before: Vec<Temp> = ops[..at].iter().filter_map(Op::temp_written).collect();
        let mut read_after = ops[at..].iter().flat_map(|op| op.temps_read().into_iter().flatten());
        let exit_read = matches!(p.block.exit, Exit::JumpIndirect(t) if before.contains(&t));
        (at != 0 && !exit_read && !read_after.any(|t| before.contains(&t))).then_some(at)
    }

    #[test]
    fn resume_index_agrees_with_its_definition_on_random_blocks() {
        let mut rng = crate::linux::SplitMix64(7);
        for _ in 0..500 {
            let mut b = BlockBuilder::new(0x1000);
            let mut live: Vec<Temp> = Vec::new();
            let n = 1 + rng.next_u64() % 8;
            for i in 0..n {
                b.insn(0x1000 + 4 * i, 4);
                for _ in 0..rng.next_u64() % 4 {
                    let slot = Slot(1 + (rng.next_u64() % 4) as u16);
                    // Now and then reuse a temporary of an earlier instruction.
                    let a = match live.len() {
                        0 => b.get(slot),
                        k if rng.next_u64().is_multiple_of(3) => {
                            live[(rng.next_u64() % k as u64) as usize]
                        }
                        _ => b.get(slot),
                    };
                    let t = b.bini(BinOp::Add, a, i + 1);
                    live.push(t);
                    if rng.next_u64().is_multiple_of(2) {
                        b.set(slot, t);
                    }
                }
            }
            if let Some(&t) = live.first().filter(|_| rng.next_u64().is_multiple_of(4)) {
                b.exit(Exit::JumpIndirect(t));
            }
            let p = Prepared::new(b.finish());
            for pc in (0x0ffcu64..0x1000 + 4 * n + 4).step_by(2) {
                assert_eq!(resume_index(&p, pc), resume_index_by_definition(&p, pc), "{pc:#x}");
            }
        }
    }

    /// A random block made mostly of the shapes `fused` joins, with their
    /// near misses: few temporaries and slots, so that they alias often.
    fn random_block(rng: &mut crate::linux::SplitMix64) -> Block {
        const BIN: [BinOp; 6] =
            [BinOp::Add, BinOp::Add, BinOp::Sub, BinOp::Xor, BinOp::ShrU, BinOp::LtU];
        let mut r = |n: u64| rng.next_u64() % n;
        let n = 1 + r(6);
        let mut ops = Vec::new();
        for i in 0..n {
            ops.push(Op::Insn { pc: 0x1000 + 4 * i, len: 4 });
            for _ in 0..1 + r(3) {
                let mut t = || Temp(r(5) as u32);
                let (a, k, d, v, z) = (t(), t(), t(), t(), t());
                let (s1, s2) = (Slot(1 + r(4) as u16), Slot(1 + r(4) as u16));
                let (op, value) = (BIN[r(6) as usize], r(24));
                let w = [Width::W8, Width::W16, Width::W32, Width::W64][r(4) as usize];
                let e = if r(2) == 0 { Endian::Little } else { Endian::Big };
                let un = [UnOp::Zext32, UnOp::Sext32, UnOp::Not][r(3) as usize];
                let group: Vec<Op> = match r(13) {
                    0 => vec![
                        Op::Get { dst: a, slot: s1 },
                        Op::Const { dst: k, value },
                        Op::Bin { op, dst: d, a, b: k },
                        Op::Load { dst: v, addr: d, width: w, signed: r(2) == 0, endian: e },
                    ],
                    1 => vec![
                        Op::Get { dst: a, slot: s1 },
                        Op::Const { dst: k, value },
                        Op::Bin { op, dst: d, a, b: k },
                        Op::Get { dst: v, slot: s2 },
                        Op::Store { addr: d, src: v, width: w, endian: e },
                    ],
                    2 => vec![
                        Op::Get { dst: a, slot: s1 },
                        Op::Get { dst: k, slot: s2 },
                        Op::Bin { op, dst: d, a, b: k },
                        Op::Set { slot: s2, src: d },
                    ],
                    3 => vec![Op::Const { dst: a, value }, Op::Set { slot: s1, src: a }],
                    4 => vec![Op::Get { dst: a, slot: s1 }, Op::Set { slot: s2, src: a }],
                    5 => vec![
                        Op::Const { dst: k, value },
                        Op::Bin { op, dst: d, a, b: k },
                        Op::Set { slot: s1, src: d },
                    ],
                    6 => vec![
                        Op::Get { dst: a, slot: s1 },
                        Op::Un { op: UnOp::Not, dst: d, src: a },
                        Op::Set { slot: s2, src: d },
                    ],
                    7 => {
                        vec![Op::Un { op: UnOp::Neg, dst: d, src: a }, Op::Set { slot: s1, src: v }]
                    }
                    // A word wrapped between the sum and its use, as
                    // 32-bit guests' addresses are.
                    9 => vec![
                        Op::Get { dst: a, slot: s1 },
                        Op::Const { dst: k, value },
                        Op::Bin { op, dst: d, a, b: k },
                        Op::Un { op: un, dst: z, src: d },
                        Op::Load { dst: v, addr: z, width: w, signed: r(2) == 0, endian: e },
                    ],
                    10 => vec![
                        Op::Get { dst: a, slot: s1 },
                        Op::Const { dst: k, value },
                        Op::Bin { op, dst: d, a, b: k },
                        Op::Un { op: un, dst: z, src: d },
                        Op::Get { dst: v, slot: s2 },
                        Op::Store { addr: z, src: v, width: w, endian: e },
                    ],
                    11 => vec![
                        Op::Get { dst: a, slot: s1 },
                        Op::Get { dst: k, slot: s2 },
                        Op::Bin { op, dst: d, a, b: k },
                        Op::Un { op: un, dst: z, src: d },
                        Op::Set { slot: s2, src: z },
                    ],
                    12 => vec![
                        Op::Get { dst: a, slot: s1 },
                        Op::Const { dst: k, value },
                        Op::Bin { op, dst: d, a, b: k },
                        Op::Un { op: un, dst: z, src: d },
                        Op::Set { slot: s2, src: z },
                    ],
                    _ => vec![
                        Op::Get { dst: a, slot: s1 },
                        Op::Const { dst: k, value },
                        Op::Bin { op, dst: d, a: k, b: a },
                        Op::Set { slot: s2, src: d },
                    ],
                };
                ops.extend(group);
            }
        }
        Block {
            pc: 0x1000,
            ops,
            exit: Exit::Jump(0x1000 + 4 * n),
            num_temps: 5,
            num_labels: 0,
            insn_count: n as u32,
            byte_len: 4 * n as u32,
        }
    }

    #[test]
    fn fused_steps_run_exactly_as_their_ops_one_by_one() {
        let mut rng = crate::linux::SplitMix64(11);
        let mut joined = 0;
        for round in 0..2000 {
            let block = random_block(&mut rng);
            let fused = Prepared::new(block.clone());
            let one_by_one = Prepared {
                steps: OnceLock::from(fused::Steps::unfused(&block)),
                ..Prepared::new(block.clone())
            };
            let regs: Vec<u64> = (0..5).map(|_| 0x10000 + rng.next_u64() % 0x40).collect();
            let fuel = 1 + rng.next_u64() % (u64::from(block.insn_count) + 1);
            let run = |p: &Prepared| {
                let mut mem = AddressSpace::new(Layout::for_bits(true));
                mem.map_fixed(0x10000, 0x1000, crate::mem::Perms::RW).unwrap();
                for i in 0..0x80 {
                    mem.store(0x10000 + i, 1, i * 7 + 3).unwrap();
                }
                let mut cpu = CpuState { pc: 0x1000, ..Default::default() };
                cpu.regs[..5].copy_from_slice(&regs);
                let mut temps = vec![0u64; 5];
                let exit = exec_block(p, &mut cpu, &mut mem, fuel, &mut temps, None);
                let bytes: Vec<u64> =
                    (0..0x80).map(|i| mem.load(0x10000 + i, 1).unwrap()).collect();
                (exit, cpu.pc, cpu.icount, cpu.regs[..5].to_vec(), temps, bytes)
            };
            assert_eq!(run(&fused), run(&one_by_one), "round {round}: {:?}", block.ops);
            joined += block.ops.len() - fused.steps().steps.len();
        }
        // The shapes do get joined (and near misses do not break them).
        assert!(joined > 5000, "{joined} ops joined");
    }

    #[test]
    fn entering_at_a_boundary_runs_the_rest_of_the_block() {
        let p = three(false);
        let mut mem = AddressSpace::new(Layout::for_bits(true));
        let mut temps = Vec::new();
        // One instruction of fuel stops after the first, as a slice ends.
        let mut cpu = CpuState { pc: 0x1000, ..Default::default() };
        cpu.regs[1] = 5;
        let exit = exec_block(&p, &mut cpu, &mut mem, 1, &mut temps, None);
        assert_eq!(exit, BlockExit::Stop(StopReason::FuelExhausted));
        assert_eq!((cpu.pc, cpu.icount, cpu.regs[1]), (0x1004, 1, 6));
        let at = resume_index(&p, cpu.pc).expect("a clean boundary");
        let exit = exec_block_from(&p, at, &mut cpu, &mut mem, 10, &mut temps, None);
        assert_eq!(exit, BlockExit::Continue);
        assert_eq!((cpu.pc, cpu.icount), (0x100c, 3));
        assert_eq!((cpu.regs[1], cpu.regs[2], cpu.regs[3]), (6, 18, 12));
        // The same as running the whole block at once.
        let mut whole = CpuState { pc: 0x1000, ..Default::default() };
        whole.regs[1] = 5;
        exec_block(&p, &mut whole, &mut mem, 10, &mut temps, None);
        assert_eq!(
            (whole.pc, whole.icount, &whole.regs[..4]),
            (cpu.pc, cpu.icount, &cpu.regs[..4])
        );
    }
}
