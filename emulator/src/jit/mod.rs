//! The tiered Cranelift JIT engine. The only module that imports Cranelift.
//!
//! - Cold blocks run in the reference interpreter (`interp::exec_block`),
//!   which also counts executions. A block executed `threshold` times
//!   becomes the root of a *region*: it and the not yet compiled blocks
//!   reachable from it by direct jumps that ran often enough themselves
//!   (up to [`MAX_REGION_BLOCKS`]) are compiled into one function by
//!   `lower`, so hot loops stay in native code and paths that never ran
//!   cost no compile time. An indirect jump that always went to one place
//!   while its block was cold (a call through the PLT, a return to one
//!   caller) counts as a direct jump there. A region can be entered at any
//!   of its blocks, and regions reach each other by chaining. A block is
//!   compiled once, unless it was hot when it was, is no loop, and a later
//!   hot region reaches it: then that region holds a copy
//!   ([`COPY_HEAT_DIVISOR`], [`JitConfig::max_copies`]), so a loop and the
//!   library function it calls run in one function, entered through the
//!   first region.
//! - Dispatch: a direct-mapped table of block pcs ([`runtime::FastEntry`])
//!   in front of the map of compiled blocks. Compiled code leaving for a
//!   pc in that table tail-calls the function there, so hot paths that span
//!   regions do not return to the engine.
//! - Invalidation: a store or host write to a page holding translated code
//!   queues the page in the address space; before every dispatch the
//!   engine drops the functions and IR blocks built from it. Compiled code
//!   itself leaves right after a store that hit code, without chaining.
//! - Sharing: compiled code builds in nothing of its process, nor any
//!   host address. It finds the running engine's `JitCtx` at a fixed
//!   offset from its `cpu` argument (`runtime::Frame`), reads the TLB and
//!   the direct base of the running address space there, chains through
//!   the engine's fast table, and calls helpers and thunks through
//!   addresses held there. So the engines of one host
//!   thread (every process of a cell, and the cells a runner thread runs
//!   one after the other) with the same arch and code-generation settings
//!   share one [`CodeCache`]: a region about to be compiled is first
//!   looked up there by the IR blocks it would be compiled from, which
//!   the engine has just translated from its own memory. Equal IR is
//!   equal code, so a match is served whatever process or cell compiled
//!   it; code bytes that changed (self-modifying code, another binary at
//!   the same address) translate to other IR and miss. Each engine only
//!   enters regions it looked up itself, through its own `entries` and
//!   fast table, so sharing changes when Cranelift runs, never what runs:
//!   block translation, tiering, instruction counts and every
//!   guest-visible effect are those of an unshared engine. A block still
//!   cold here may run a shared function compiled from the same IR, for
//!   that one block ([`Jit::borrow_block`]): it then goes back through
//!   dispatch, so lookups and heat stay the interpreter's. Engines with
//!   plugins (instrumented IR whose hooks reach their own host) keep a
//!   private cache. [`crate::engine::set_sharing`] turns sharing off for a
//!   thread. Beyond the thread, the code store (`store`) keeps shared
//!   regions' machine code for other threads and, under `bohr`, for later
//!   runs: a region missing from the thread's cache is looked up there by
//!   the same IR before Cranelift runs.
//! - Compiling off the critical path: the engine lowers a region itself
//!   but leaves Cranelift's work to `background`'s compile threads when
//!   [`crate::engine::background_compile`] allows (not at threshold 0,
//!   which means at once). Its blocks are marked queued: they run cold
//!   (interpreted, or borrowed) and tier up no further, exactly as if
//!   they had been compiled, until the dispatch loop finds the code
//!   installed and enters it; a page written meanwhile drops the region
//!   unentered. So what is asked for, and every guest-visible effect,
//!   is the same whenever the compile threads finish.
//! - Moving: an engine moves to another host thread (a process between
//!   the world's thread and a lane) as a [`Moving`]: its blocks, heat,
//!   profile and statistics as they are, its regions dormant, each looked
//!   up again by its IR in the new thread's cache (or the store, or
//!   compiled again) the first time it is entered there ([`Jit::wake`]).
//!   Tiering goes on as if it had stayed.
//! - `JITModule` cannot free single functions, so dropped regions leak
//!   their code until the whole cache is flushed (past
//!   [`MAX_COMPILED_REGIONS`], or a private cache on [`Jit::flush`]); a
//!   generation counter counts flushes, and every engine drops its entries
//!   into a flushed cache before it runs again.
//! - Instrumentation: blocks come instrumented from the shared translation
//!   step; compiled code calls `runtime::jit_hook` for each hook op and
//!   leaves at the next instruction boundary after a reset request, which
//!   the dispatch loop applies (`plugin::EnginePlugins::safe_point`).

mod access;
mod arena;
mod background;
mod fault;
mod lower;
pub mod runtime;
pub mod store;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use cranelift_codegen::ir::{Function, UserFuncName};
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{FuncId, Linkage, Module, default_libcall_names};
use rustc_hash::FxHashMap;

use crate::arch::Frontend;
use crate::cpu::CpuState;
use crate::engine::{BlockCache, Engine, EngineStats, Moved, StopReason};
use crate::interp::{BlockExit, Prepared, exec_block_from, lookup_or_translate, resume_index};
use crate::ir::{Block, Exit, Op};
use crate::mem::{AddressSpace, MemFault, PAGE_SHIFT};
use background::{Inbox, Job, MachineCode, Replies};
use fault::{Activation, TrampolineFn};
use runtime::{
    EXIT_FAULT, EXIT_FUEL, EXIT_JUMP, EXIT_RETRY, EXIT_SYSCALL, EXIT_TRAP, FAST_TABLE_BITS,
    FastEntry, Frame, fast_index,
};

#[cfg(not(target_endian = "little"))]
compile_error!("the JIT's inline TLB path assumes a little-endian host");

/// Executions of a block before it is compiled, unless configured
/// otherwise. Chosen by measurement (`scripts/bench-vs-qemu.sh`): compiling
/// every block at once spends more time in Cranelift than it saves, and
/// much later leaves hot loops interpreted for too long.
pub const DEFAULT_THRESHOLD: u32 = 50;

/// Most IR blocks compiled into one region, when it follows the blocks
/// that ran (see `Jit::collect_region`): enough for a loop with a few calls
/// in it to stay in one function.
pub const MAX_REGION_BLOCKS: usize = 32;
/// Most IR blocks of a region compiled without a profile (threshold
/// below `SUCCESSOR_HEAT_DIVISOR`): nearby blocks, whether they ever run.
pub const UNPROFILED_REGION_BLOCKS: usize = 8;
/// A block joins a region as a successor when it ran at least
/// `threshold / SUCCESSOR_HEAT_DIVISOR` times: blocks that ran about as
/// often as the root are its loop or its common path; blocks that never
/// ran (error paths) are left to the interpreter and cost no compile time.
pub const SUCCESSOR_HEAT_DIVISOR: u32 = 12;
/// A block already compiled into another region joins a new region again
/// (a copy: the block then runs in both) when it had run at least
/// `threshold / COPY_HEAT_DIVISOR` times when it was compiled: a function
/// that a hot loop calls is compiled as that loop's successor, so the
/// call and the return stay in one function instead of crossing two
/// regions at every call. Most such blocks tiered as roots or along with
/// one (about as hot); those compiled as lukewarm successors stay single.
pub const COPY_HEAT_DIVISOR: u32 = 1;
/// Regions a block is copied into at most, besides its own, by default
/// ([`JitConfig::max_copies`]): compile work grows by this much at worst,
/// and the first hot caller to tier after it gets the copy.
pub const MAX_COPIES: u8 = 1;
/// Most copied blocks in one region: a hot path through a few calls, not
/// whole functions compiled again.
pub const MAX_REGION_COPIES: usize = 8;
/// Compiled regions kept before the whole code cache is flushed.
pub const MAX_COMPILED_REGIONS: usize = 20_000;

/// The fixed functions of a module.
#[derive(Clone, Copy)]
struct Stubs {
    trampoline: TrampolineFn,
    /// The slow-path load and store thunks, for `runtime::Calls`.
    thunks: (usize, usize),
    host_cc: cranelift_codegen::isa::CallConv,
}

/// A compiled function (region): the block pcs it can be entered at, and
/// its entry (a pc copied into several regions is entered through the
/// first one registered), [`DORMANT`] while the engine has moved to a
/// thread whose code cache it has not looked the region up in yet (see
/// [`Jit::wake`]); and the shape it was compiled for, to look it up again.
struct Region {
    pcs: Vec<u64>,
    entry: usize,
    shape: lower::Shape,
}

/// [`Region::entry`] of a region not looked up on this thread yet.
const DORMANT: usize = usize::MAX;

/// Each block's pc with the first and last guest page it spans.
fn spans_of(blocks: &[&Block]) -> Vec<(u64, u64, u64)> {
    blocks
        .iter()
        .map(|b| {
            let (lo, hi) = b.page_span(PAGE_SHIFT);
            (b.pc, lo, hi)
        })
        .collect()
}

/// What an engine knows of a block it has not compiled.
#[derive(Clone, Copy)]
struct Cold {
    /// Executions so far, for tiering.
    runs: u32,
    /// Its region is being compiled (see [`Waiting`]): it runs cold
    /// until the code is ready, without asking again.
    queued: bool,
    /// The shared function that runs it, as [`Jit::borrow_block`] found
    /// it, or `None` with the cache's compile count then (`looked`), to
    /// look again once more code is compiled; `looked` is `usize::MAX`
    /// before the first look.
    borrowed: Option<usize>,
    looked: usize,
    /// Where its indirect jump (a call through the PLT, a return) went:
    /// 0 before it ran one, [`TARGET_VARIES`] once it went to two places.
    /// A single target is a successor for its region, as a direct jump's
    /// is (see [`Jit::collect_region`]); a return to many callers is not.
    target: u64,
}

impl Default for Cold {
    fn default() -> Self {
        Cold { runs: 0, queued: false, borrowed: None, looked: usize::MAX, target: 0 }
    }
}

/// [`Cold::target`] of an indirect jump seen going to two places.
const TARGET_VARIES: u64 = u64::MAX;

/// What a compiled (or queued) block's region was shaped from, taken from
/// its [`Cold`] when the region was asked for, never after: a queued
/// block's later runs depend on when its code arrives.
#[derive(Clone, Copy)]
struct Tiered {
    runs: u32,
    target: u64,
    /// Regions it was copied into (see [`MAX_COPIES`]).
    copies: u8,
}

/// A cold block's entry in [`Jit::heat`]: what the engine knows of it,
/// and its IR once looked up, so dispatching a known cold block takes one
/// map lookup, not one each for the compiled entries, the heat and the
/// block cache. Entries exist only for blocks not compiled here, and the
/// map is cleared whenever the block cache loses blocks, so a held block
/// is the cache's own.
#[derive(Default)]
struct Heat {
    cold: Cold,
    block: Option<Arc<Prepared>>,
}

/// Code-generation settings, chosen by measurement (see the README's
/// performance section).
#[derive(Clone, Debug)]
pub struct JitConfig {
    /// Executions of a block before it is compiled (0: compile at once).
    pub threshold: u32,
    /// Cranelift `opt_level`: "none", "speed" or "speed_and_size".
    pub opt_level: &'static str,
    /// Cranelift `regalloc_algorithm`: "backtracking" or "single_pass".
    pub regalloc: &'static str,
    /// Access guest memory directly where the host supports it (see
    /// `fault`); otherwise every access goes through the software TLB.
    pub direct_memory: bool,
    /// Regions a hot compiled block is copied into besides its own (see
    /// [`MAX_COPIES`]); 0 compiles every block once.
    pub max_copies: u8,
}

impl Default for JitConfig {
    fn default() -> Self {
        JitConfig {
            threshold: 0,
            opt_level: "speed",
            regalloc: "backtracking",
            direct_memory: fault::SUPPORTED,
            max_copies: MAX_COPIES,
        }
    }
}

/// What decides the code a region compiles to, besides its IR blocks and
/// the shape of the direct mapping: engines that agree on it may share a
/// code cache.
#[derive(Clone, Debug, PartialEq, Eq)]
struct CacheKey {
    arch: crate::arch::Arch,
    max_block_insns: u32,
    opt_level: &'static str,
    regalloc: &'static str,
    direct_memory: bool,
}

/// A region kept for reuse: the IR it was compiled from and its entry.
/// The blocks are the prepared ones the compiling engine held (shared,
/// not copied: a region's IR is as large as its blocks').
struct SharedRegion {
    blocks: Vec<Arc<Prepared>>,
    shape: lower::Shape,
    entry: usize,
}

/// One block of a shared region: the IR it was compiled from and the
/// entry of the function holding it.
struct SharedBlock {
    block: Arc<Prepared>,
    direct: Option<lower::Direct>,
    entry: usize,
}

/// A region handed to the compile threads, installed when its machine
/// code comes back (see `background`).
struct PendingRegion {
    id: FuncId,
    pc: u64,
    label: String,
    /// The direct accesses of its code, by trap code (see `compile`).
    accesses: Vec<(u64, u64)>,
    /// The prepared blocks the region's entry is published under for
    /// other engines (shared caches only).
    publish: Option<Vec<Arc<Prepared>>>,
    shape: lower::Shape,
    /// Its key in the code store, where its code goes once compiled
    /// (shared caches only).
    stored_as: Option<Vec<u8>>,
}

/// The blocks of a region to compile (see `Jit::collect_region`).
struct CollectedRegion {
    pcs: Vec<u64>,
    copies: Vec<u64>,
    predicted: Vec<(u64, u64)>,
}

/// What became of a region asked for (see [`CodeCache::compile`]).
enum Compiled {
    /// Compiled here: its entry.
    Ready(usize),
    /// Installed from the code store: its entry.
    Stored(usize),
    /// On the compile threads, under this ticket.
    Queued(u64),
}

/// A region an engine asked for and waits to enter, by the blocks it was
/// built from: their pcs and the guest pages they span.
struct Waiting {
    ticket: u64,
    blocks: Vec<(u64, u64, u64)>,
    shape: lower::Shape,
    /// This engine asked for it (and is charged its compile time).
    asked: bool,
}

/// Compiled code and everything it has built in: the Cranelift module, its
/// fixed functions, the `JitCtx` compiled code addresses, the direct
/// accesses the fault handler answers for. Shared by the
/// engines of a thread (see the module documentation) or private to one.
struct CodeCache {
    key: CacheKey,
    /// The code store's shelf for this cache's code (see `store`).
    identity: String,
    module: Option<JITModule>,
    /// Where regions without relocations go (all of them, in practice):
    /// installed with a copy, no system call (see `arena`).
    arena: Option<arena::CodeArena>,
    ctx: cranelift_codegen::Context,
    fctx: FunctionBuilderContext,
    /// Fixed functions of the current module, compiled on first use.
    stubs: Option<Stubs>,
    /// Regions compiled since the last flush.
    compiled: usize,
    /// Number of whole-cache flushes.
    generation: u64,
    next_func: u32,
    /// The direct accesses the fault handler answers for (see `fault`).
    activation: Activation,
    /// Regions by their first block's pc, for reuse (shared caches only).
    by_root: FxHashMap<u64, Vec<SharedRegion>>,
    /// Every block of those regions by its pc, for engines that run the
    /// block while it is still cold for them (see [`Jit::borrow_block`]).
    by_block: FxHashMap<u64, Vec<SharedBlock>>,
    /// The host ISA of `module`, for compiling on other threads.
    isa: OwnedTargetIsa,
    /// Regions on the compile threads, by ticket; replies for tickets not
    /// here (dropped by a flush) are ignored.
    pending: FxHashMap<u64, PendingRegion>,
    /// Installed tickets: the region's entry and Cranelift's microseconds.
    finished: FxHashMap<u64, (usize, u64)>,
    /// Entries added to `finished` so far, for engines to see whether
    /// anything they wait for may have come.
    installs: u64,
    next_ticket: u64,
    /// Where the compile threads send their results, and where they arrive.
    replies: Replies,
    inbox: Inbox,
    /// Profiling aids, from the environment once: `BOHR_JIT_DUMP` prints
    /// each function's IR and machine code, `BOHR_PERF_MAP` writes a perf
    /// map (and with `code`, each region's bytes; see `perf_map_note`).
    /// Nothing guest-visible depends on them.
    dump: bool,
    perf_map: bool,
    perf_code: bool,
}

fn new_module(opt_level: &str, regalloc: &str) -> (JITModule, OwnedTargetIsa) {
    let mut flags = settings::builder();
    // These names and values exist in every Cranelift of this series; a
    // failure here is a build-configuration bug, not bad input.
    flags.set("opt_level", opt_level).expect("valid opt_level");
    flags.set("regalloc_algorithm", regalloc).expect("valid regalloc_algorithm");
    flags.set("use_colocated_libcalls", "false").expect("known flag");
    flags.set("is_pic", "false").expect("known flag");
    // Cranelift's x86-64 tail calls (region chaining) rely on frame pointers.
    flags.set("preserve_frame_pointers", "true").expect("known flag");
    // The verifier costs a large share of compile time; keep it where
    // lowering bugs are hunted, in debug builds.
    let verify = if cfg!(debug_assertions) { "true" } else { "false" };
    flags.set("enable_verifier", verify).expect("known flag");
    // No pinned register: the fuel is a variable the register allocator
    // places (see `lower`), and with direct accesses it travels between
    // regions in the context. A pinned fuel register was one register
    // fewer for guest registers, and two moves at every block.
    let isa = cranelift_native::builder()
        .expect("host ISA supported by Cranelift")
        .finish(settings::Flags::new(flags))
        .expect("host ISA accepts the flags");
    (JITModule::new(JITBuilder::with_isa(isa.clone(), default_libcall_names())), isa)
}

/// Stored code as Cranelift's output, to install.
fn machine_code(code: &store::StoredCode) -> MachineCode {
    MachineCode {
        bytes: code.bytes.clone(),
        align: code.align,
        relocs: Vec::new(),
        traps: code.traps.clone(),
        vcode: None,
        micros: 0,
    }
}

/// Cranelift's settings for the host, as text: compiled code depends on
/// them (the CPU features it may use), so they are part of the code
/// store's identity.
fn isa_flags(isa: &dyn cranelift_codegen::isa::TargetIsa) -> String {
    let mut s = format!("{} {}", isa.triple(), isa.flags());
    for v in isa.isa_flags() {
        s.push_str(&format!(" {v}"));
    }
    s
}

/// Append `ADDR SIZE NAME` for a region to `/tmp/perf-PID.map`, the file
/// `perf report` reads to name JIT code (with `BOHR_PERF_MAP` set). With
/// `BOHR_PERF_MAP=code` the region's machine code also goes to
/// `/tmp/perf-PID-ADDR.bin`, for `objdump -b binary --adjust-vma=ADDR`
/// to show where in a region the samples fall.
fn perf_map_note(ptr: *const u8, len: usize, pc: u64, code: bool) {
    use std::io::Write;
    let pid = std::process::id();
    let path = format!("/tmp/perf-{pid}.map");
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
        let _ = writeln!(f, "{:x} {len:x} region_{pc:#x}", ptr as usize);
    }
    if code {
        // SAFETY: `ptr` is the start of the `len` bytes of code just
        // finalized, which stay mapped and unchanged for the module's life.
        let bytes = unsafe { std::slice::from_raw_parts(ptr, len) };
        let _ = std::fs::write(format!("/tmp/perf-{pid}-{:x}.bin", ptr as usize), bytes);
    }
}

thread_local! {
    /// The thread's shared code caches, one per [`CacheKey`]. They live as
    /// long as the thread, so the cells a runner thread runs one after the
    /// other share them too.
    static CACHES: RefCell<Vec<Rc<RefCell<CodeCache>>>> = const { RefCell::new(Vec::new()) };
}

/// The thread's shared cache for `key`, created on first use.
fn shared_cache(key: &CacheKey) -> Rc<RefCell<CodeCache>> {
    CACHES.with(|c| {
        let mut caches = c.borrow_mut();
        if let Some(cache) = caches.iter().find(|cache| cache.borrow().key == *key) {
            return cache.clone();
        }
        let cache = Rc::new(RefCell::new(CodeCache::new(key.clone())));
        caches.push(cache.clone());
        cache
    })
}

impl CodeCache {
    fn new(key: CacheKey) -> Self {
        let (module, isa) = new_module(key.opt_level, key.regalloc);
        let ctx = module.make_context();
        let (replies, inbox) = background::inbox();
        let identity = store::identity(&format!("{key:?} {}", isa_flags(&*isa)));
        let perf = std::env::var_os("BOHR_PERF_MAP");
        let perf_map = perf.is_some();
        CodeCache {
            key,
            identity,
            module: Some(module),
            // perf names code from its map only in anonymous memory, not in
            // a memory file's mapping: profiling keeps the module's pages.
            arena: if perf_map { None } else { arena::CodeArena::new() },
            ctx,
            fctx: FunctionBuilderContext::new(),
            stubs: None,
            compiled: 0,
            generation: 0,
            next_func: 0,
            activation: Activation::new(),
            by_root: FxHashMap::default(),
            by_block: FxHashMap::default(),
            isa,
            pending: FxHashMap::default(),
            finished: FxHashMap::default(),
            installs: 0,
            next_ticket: 0,
            replies,
            inbox,
            dump: std::env::var_os("BOHR_JIT_DUMP").is_some(),
            perf_map,
            perf_code: perf.is_some_and(|v| v == "code"),
        }
    }

    /// Drop every compiled function and start a new module. The caller
    /// guarantees no compiled code of this cache is running; engines with
    /// entries into it drop them when they see the new generation.
    fn flush(&mut self) {
        self.stubs = None;
        self.by_root.clear();
        self.by_block.clear();
        if let Some(old) = self.module.take() {
            // SAFETY: no compiled code is running (we are in an engine, not
            // under a region), and every engine drops its pointers into the
            // old module's code before it runs again (`generation`).
            unsafe { old.free_memory() };
        }
        if let Some(a) = &mut self.arena {
            // The same guarantee: nothing runs the old code or keeps a
            // pointer into it.
            a.reset();
        }
        let (module, isa) = new_module(self.key.opt_level, self.key.regalloc);
        self.ctx = module.make_context();
        self.module = Some(module);
        self.isa = isa;
        // Code in flight was declared in the old module.
        self.pending.clear();
        self.finished.clear();
        self.compiled = 0;
        self.generation += 1;
        self.activation.clear();
    }

    /// The entry of a region compiled from exactly `blocks` for `shape`,
    /// if any.
    fn find(&self, blocks: &[&Block], shape: &lower::Shape) -> Option<usize> {
        let candidates = self.by_root.get(&blocks.first()?.pc)?;
        candidates.iter().find(|r| r.shape == *shape && same_ir(&r.blocks, blocks)).map(|r| r.entry)
    }

    /// Declare function `name` of signature `sig` in the current module and
    /// build its body with `body`; returns its id, the Cranelift function
    /// and what `body` returned. With `BOHR_JIT_DUMP` set, prints its IR
    /// under `label`.
    fn build_function<T>(
        &mut self,
        name: &str,
        sig: cranelift_codegen::ir::Signature,
        label: &str,
        body: impl FnOnce(&mut FunctionBuilder) -> T,
    ) -> (FuncId, Function, T) {
        let module = self.module.as_mut().expect("module exists outside flush");
        module.clear_context(&mut self.ctx);
        self.ctx.func.signature = sig.clone();
        // Names are fresh: stubs once per module, regions numbered.
        let id = module.declare_function(name, Linkage::Local, &sig).expect("fresh function name");
        self.ctx.func.name = UserFuncName::user(0, id.as_u32());
        let out = {
            let mut b = FunctionBuilder::new(&mut self.ctx.func, &mut self.fctx);
            let out = body(&mut b);
            b.finalize(module.target_config());
            out
        };
        if self.dump {
            eprintln!("== {label}\n{}", self.ctx.func.display());
        }
        (id, std::mem::replace(&mut self.ctx.func, Function::new()), out)
    }

    /// Install the machine code of function `id`: in the arena when it has
    /// no relocations and fits, else into the current module. Returns its
    /// address, its code size and its trap records `(offset, code)`. With
    /// `BOHR_JIT_DUMP` set, prints the machine code.
    fn install(
        &mut self,
        id: FuncId,
        label: &str,
        code: Result<MachineCode, String>,
    ) -> (*const u8, usize, Vec<(u32, u8)>) {
        // Lowering produces verified-shape IR for any input block, and the
        // stubs are fixed: a failure here is a bug in `lower`, an invariant.
        let code = code.unwrap_or_else(|e| panic!("cranelift rejected {label}: {e}"));
        if let Some(vcode) = code.vcode.as_deref().filter(|_| self.dump) {
            eprintln!("== machine code of {label}\n{vcode}");
        }
        let len = code.bytes.len();
        if code.relocs.is_empty()
            && let Some(ptr) = self.arena.as_mut().and_then(|a| a.install(&code.bytes, code.align))
        {
            return (ptr, len, code.traps);
        }
        let module = self.module.as_mut().expect("module exists outside flush");
        module
            .define_function_bytes(id, code.align, &code.bytes, &code.relocs)
            .expect("installing compiled code");
        module.finalize_definitions().expect("finalizing JIT code");
        (module.get_finalized_function(id), len, code.traps)
    }

    /// A fixed function of the current module; returns its address. Its
    /// code depends on nothing but its name and the cache's settings, so
    /// it comes from the code store when kept there.
    fn compile_stub(
        &mut self,
        name: &str,
        sig: cranelift_codegen::ir::Signature,
        body: impl FnOnce(&mut FunctionBuilder),
    ) -> *const u8 {
        // No region key starts with this (they start with a varint 0 or 1).
        let key = crate::engine::sharing().then(|| format!("stub {name}").into_bytes());
        if let Some(code) = key.as_ref().and_then(|k| store::find(&self.identity, k)) {
            let module = self.module.as_mut().expect("module exists outside flush");
            let id = module.declare_function(name, Linkage::Local, &sig).expect("fresh name");
            return self.install(id, name, Ok(machine_code(&code))).0;
        }
        let (id, func, ()) = self.build_function(name, sig, name, body);
        let code = background::compile(func, id, &self.isa, self.dump);
        if let (Some(key), Ok(c)) = (key, &code) {
            self.keep_in_store(key, c, Vec::new());
        }
        self.install(id, name, code).0
    }

    /// The trampoline and slow-path thunks of the current module.
    fn stubs(&mut self) -> Stubs {
        if let Some(s) = self.stubs {
            return s;
        }
        let host_cc = self.module.as_ref().expect("module exists").isa().default_call_conv();
        let chained_fuel = self.key.direct_memory;
        let tramp = self.compile_stub("trampoline", lower::trampoline_signature(host_cc), |b| {
            lower::lower_trampoline(b, chained_fuel)
        });
        let load_sig = lower::load_signature(host_cc);
        let load = self.compile_stub("load_thunk", lower::thunk_signature(), |b| {
            lower::lower_thunk(b, runtime::offsets::LOAD_HELPER, load_sig.clone())
        });
        let store_sig = lower::store_signature(host_cc);
        let store = self.compile_stub("store_thunk", lower::thunk_signature(), |b| {
            lower::lower_thunk(b, runtime::offsets::STORE_HELPER, store_sig.clone())
        });
        // SAFETY: `tramp` was compiled just above with
        // `trampoline_signature`, i.e. `extern "C" fn(*mut CpuState, usize)
        // -> u32` in the host's default calling convention.
        let trampoline = unsafe { std::mem::transmute::<*const u8, TrampolineFn>(tramp) };
        let s = Stubs { trampoline, thunks: (load as usize, store as usize), host_cc };
        self.stubs = Some(s);
        s
    }

    /// Lower `blocks` (rooted at `pc`) into one function and have it
    /// compiled: on the compile threads when `background` and they take
    /// it, else here. With `publish` (a shared cache: the blocks' prepared
    /// IR), the installed region is published for other engines to find.
    /// A cache holding [`MAX_COMPILED_REGIONS`] is flushed first.
    fn compile(
        &mut self,
        frontend: &'static dyn Frontend,
        blocks: &[&Block],
        shape: lower::Shape,
        pc: u64,
        publish: Option<Vec<Arc<Prepared>>>,
        background: bool,
    ) -> Compiled {
        if self.compiled + self.pending.len() >= MAX_COMPILED_REGIONS {
            self.flush();
        }
        let host_cc = self.stubs().host_cc;
        let name = format!("r{}", self.next_func);
        self.next_func += 1;
        let label = format!("region {pc:#x} ({} blocks)", blocks.len());
        // Code compiled from the same IR by another thread or an earlier
        // run needs no Cranelift (see `store`).
        let stored_as = publish.as_ref().map(|_| store::region_key(blocks, &shape));
        if let Some(key) = &stored_as
            && let Some(code) = store::find(&self.identity, key)
        {
            let module = self.module.as_mut().expect("module exists outside flush");
            let sig = lower::region_signature();
            let id = module.declare_function(&name, Linkage::Local, &sig).expect("fresh name");
            let accesses = code.accesses.clone();
            let region = PendingRegion { id, pc, label, accesses, publish, shape, stored_as: None };
            return Compiled::Stored(self.finish_region(region, Ok(machine_code(&code))));
        }
        // A region's sites and traps depend on nothing lowered before it.
        let sites = lower::Sites::for_region(pc);
        let (id, func, lowered) =
            self.build_function(&name, lower::region_signature(), &label, |b| {
                let word_slots = |s: u16| frontend.slot_is_word(crate::ir::Slot(s));
                let transient = frontend.transient_slot().map(|s| s.0);
                lower::lower_region(b, blocks, host_cc, &word_slots, transient, &shape, sites)
            });
        let accesses = lowered.accesses;
        let region = PendingRegion { id, pc, label, accesses, publish, shape, stored_as };
        let func = if background {
            let ticket = self.next_ticket;
            let job = Job {
                ticket,
                func: Box::new(func),
                id,
                isa: self.isa.clone(),
                disasm: self.dump,
                reply: self.replies.clone(),
            };
            match background::submit(job) {
                Ok(()) => {
                    self.next_ticket += 1;
                    self.pending.insert(ticket, region);
                    return Compiled::Queued(ticket);
                }
                // No pool: compiled here after all.
                Err(job) => *job.func,
            }
        } else {
            func
        };
        let code = background::compile(func, id, &self.isa, self.dump);
        Compiled::Ready(self.finish_region(region, code))
    }

    /// Install a region's machine code, register its direct accesses and
    /// publish it; returns its entry.
    fn finish_region(&mut self, region: PendingRegion, code: Result<MachineCode, String>) -> usize {
        if let (Some(key), Ok(c)) = (&region.stored_as, &code) {
            self.keep_in_store(key.clone(), c, region.accesses.clone());
        }
        let (ptr, code_len, trap_offsets) = self.install(region.id, &region.label, code);
        // Each direct access carries trap code `i + 1`; its trap records
        // are the host instructions that may fault for it.
        let mut sites: Vec<(usize, (u64, u64))> = trap_offsets
            .into_iter()
            .filter_map(|(offset, code)| {
                let at = *region.accesses.get((code as usize).checked_sub(1)?)?;
                Some((ptr as usize + offset as usize, at))
            })
            .collect();
        self.activation.add_sites(&mut sites);
        if self.perf_map {
            perf_map_note(ptr, code_len, region.pc, self.perf_code);
        }
        self.compiled += 1;
        let entry = ptr as usize;
        if let Some(prepared) = region.publish {
            for p in &prepared {
                let shared = SharedBlock { block: p.clone(), direct: region.shape.direct, entry };
                self.by_block.entry(p.block.pc).or_default().push(shared);
            }
            let shared = SharedRegion { blocks: prepared, shape: region.shape, entry };
            self.by_root.entry(region.pc).or_default().push(shared);
        }
        entry
    }

    /// Keep machine code in the code store under `key`, with the direct
    /// `accesses` its trap codes name, unless it holds a relocation (an
    /// address of this process).
    fn keep_in_store(&self, key: Vec<u8>, code: &MachineCode, accesses: Vec<(u64, u64)>) {
        if code.relocs.is_empty() {
            let kept = store::StoredCode {
                bytes: code.bytes.clone(),
                align: code.align,
                traps: code.traps.clone(),
                accesses,
            };
            store::keep(&self.identity, key, kept);
        }
    }

    /// Wait (until `deadline` at most) for the regions still on the compile
    /// threads and keep their code in the store, without installing it:
    /// the cache is going away, and a later run should find that code too.
    fn drain_to_store(&mut self, deadline: Instant) {
        while !self.pending.is_empty() {
            let Some(done) = self.inbox.take_by(deadline) else { return };
            let region = self.pending.remove(&done.ticket);
            if let (Some(PendingRegion { stored_as: Some(key), accesses, .. }), Ok(code)) =
                (region, &done.code)
            {
                self.keep_in_store(key, code, accesses);
            }
        }
    }

    /// Whether the compile threads sent results not yet installed.
    fn has_new_results(&self) -> bool {
        self.inbox.has_new()
    }

    /// Install every region whose code has come back.
    fn receive(&mut self) {
        while let Some(done) = self.inbox.take() {
            let Some(region) = self.pending.remove(&done.ticket) else { continue };
            let micros = done.code.as_ref().map_or(0, |c| c.micros);
            let entry = self.finish_region(region, done.code);
            self.finished.insert(done.ticket, (entry, micros));
            self.installs += 1;
        }
    }

    /// The ticket of a pending region compiled from exactly `blocks`.
    fn find_pending(&self, blocks: &[&Block], shape: &lower::Shape) -> Option<u64> {
        let pc = blocks.first()?.pc;
        self.pending
            .iter()
            .find(|(_, r)| {
                r.pc == pc
                    && r.shape == *shape
                    && r.publish.as_ref().is_some_and(|p| same_ir(p, blocks))
            })
            .map(|(t, _)| *t)
    }
}

/// Whether `kept` holds exactly the IR of `blocks`, in order. Blocks
/// served from the shared store are most often the very same prepared
/// block, which settles it without comparing their ops.
fn same_ir(kept: &[Arc<Prepared>], blocks: &[&Block]) -> bool {
    kept.len() == blocks.len()
        && kept.iter().zip(blocks).all(|(k, b)| std::ptr::eq(&k.block, *b) || k.block == **b)
}

/// How long a code cache going away waits for its regions still on the
/// compile threads, to keep them across runs (see `drain_to_store`).
const DRAIN_WAIT: std::time::Duration = std::time::Duration::from_millis(100);

/// Keep the code of this thread's caches still on the compile threads in
/// the store (see `CodeCache::drain_to_store`), when the store keeps code
/// across runs. Threads that end do it as their caches drop; the thread
/// that saves the store (which may exit without dropping its own) calls
/// this first.
fn drain_thread_caches() {
    if !store::persisting() {
        return;
    }
    let deadline = Instant::now() + DRAIN_WAIT;
    let caches: Vec<_> = CACHES.with(|c| c.borrow().clone());
    for cache in caches {
        if let Ok(mut cache) = cache.try_borrow_mut() {
            cache.drain_to_store(deadline);
        }
    }
}

impl Drop for CodeCache {
    fn drop(&mut self) {
        if !self.pending.is_empty() && store::persisting() {
            self.drain_to_store(Instant::now() + DRAIN_WAIT);
        }
        if let Some(m) = self.module.take() {
            // SAFETY: the last engine holding the cache is gone (or the
            // thread ends); no code of it runs and no pointer into it
            // survives.
            unsafe { m.free_memory() };
        }
    }
}

/// The blocks a block may go to next by its direct jumps, and the one
/// after it when it ends in a jump (where a call returns to: keeping it in
/// the region lets `ret` stay in native code).
fn direct_successors(block: &Block) -> Vec<u64> {
    let mut succ = Vec::new();
    for op in &block.ops {
        if let Op::ExitIf { exit: Exit::Jump(t), .. } = op {
            succ.push(*t);
        }
    }
    if let Exit::Jump(t) = block.exit {
        succ.push(t);
    }
    if matches!(block.exit, Exit::Jump(_) | Exit::JumpIndirect(_)) {
        succ.push(block.pc + block.byte_len as u64);
    }
    succ
}

/// Whether a page in `pages` lies in `lo..=hi`.
fn written_in(pages: &[u64], lo: u64, hi: u64) -> bool {
    pages.iter().any(|&p| (lo..=hi).contains(&p))
}

/// The JIT engine for one process.
pub struct Jit {
    frontend: &'static dyn Frontend,
    config: JitConfig,
    max_block_insns: u32,
    /// The code cache this engine compiles into and runs from.
    code: Rc<RefCell<CodeCache>>,
    /// `code` is the thread's shared cache (not a private one).
    shared: bool,
    /// The cache's generation that `entries` and `fast` point into.
    seen_generation: u64,
    /// The cache's `installs` when this engine last looked for the
    /// regions it waits for; `u64::MAX` to look at the next dispatch.
    seen_installs: u64,
    /// IR blocks, also used to interpret cold code.
    blocks: BlockCache<Arc<Prepared>>,
    /// Compiled block pc → entry of the function holding it.
    entries: FxHashMap<u64, usize>,
    /// Compiled block pc → the [`DORMANT`] region it is entered through:
    /// compiled, but not yet looked up in this thread's code cache.
    dormant: FxHashMap<u64, usize>,
    /// Regions by id; `None` once dropped.
    regions: Vec<Option<Region>>,
    /// Guest page → ids of the regions with code from it.
    region_pages: BTreeMap<u64, Vec<usize>>,
    /// Direct-mapped table in front of `entries`, shared with compiled code.
    fast: Vec<FastEntry>,
    /// Executions of cold blocks, for tiering, and their IR (see [`Heat`]).
    heat: FxHashMap<u64, Heat>,
    /// The profile of each compiled (or queued) block, which decides
    /// whether it is copied into a later region (see
    /// [`COPY_HEAT_DIVISOR`]) and where its indirect jump leads there.
    tiered: FxHashMap<u64, Tiered>,
    /// The cold block just run, when it ends in an indirect jump: the next
    /// dispatch's pc is where that jump went (see [`Cold::target`]).
    indirect_from: Option<u64>,
    /// Regions asked for and still compiling.
    waiting: Vec<Waiting>,
    /// Number of times this engine dropped all its compiled code.
    pub generation: u64,
    temps: Vec<u64>,
    /// Where the last run stopped inside a block for want of fuel (the end
    /// of a time slice): its pc, the block and the op index to enter it at
    /// (see `interp::resume_index`). The next run from there goes on in
    /// that block instead of translating a new block at every pc a slice
    /// happens to end at.
    resume: Option<(u64, Arc<Prepared>, usize)>,
    /// The address space the IR blocks were translated from, by its TLB
    /// and direct base: running with another address space drops them.
    bound_space: Option<(*mut crate::mem::Tlb, u64)>,
    stats: EngineStats,
    plugins: crate::plugin::EnginePlugins,
    /// Where compiled code runs (see [`runtime::Frame`]); taken out while
    /// the engine runs.
    frame: Option<Box<Frame>>,
}

impl Jit {
    /// A JIT for `frontend`'s guest code, in blocks of at most
    /// `max_block_insns` instructions, compiled with `config`'s settings.
    pub fn new(frontend: &'static dyn Frontend, max_block_insns: u32, config: JitConfig) -> Self {
        let key = CacheKey {
            arch: frontend.arch(),
            max_block_insns,
            opt_level: config.opt_level,
            regalloc: config.regalloc,
            direct_memory: config.direct_memory,
        };
        let shared = crate::engine::sharing();
        let code =
            if shared { shared_cache(&key) } else { Rc::new(RefCell::new(CodeCache::new(key))) };
        let seen_generation = code.borrow().generation;
        Jit {
            frontend,
            config,
            max_block_insns,
            code,
            shared,
            seen_generation,
            seen_installs: u64::MAX,
            blocks: BlockCache::default(),
            entries: FxHashMap::default(),
            dormant: FxHashMap::default(),
            regions: Vec::new(),
            region_pages: BTreeMap::new(),
            fast: vec![FastEntry::EMPTY; 1 << FAST_TABLE_BITS],
            heat: FxHashMap::default(),
            tiered: FxHashMap::default(),
            indirect_from: None,
            waiting: Vec::new(),
            generation: 0,
            temps: Vec::new(),
            resume: None,
            bound_space: None,
            stats: EngineStats::default(),
            plugins: Default::default(),
            frame: Some(Frame::new()),
        }
    }

    /// Forget every compiled entry (the code itself stays in the cache).
    fn drop_compiled(&mut self) {
        self.entries.clear();
        self.dormant.clear();
        self.regions.clear();
        self.region_pages.clear();
        self.fast.fill(FastEntry::EMPTY);
        self.heat.clear();
        self.tiered.clear();
        self.waiting.clear();
        self.generation += 1;
    }

    /// Drop the entries into a cache that was flushed since we last ran.
    fn follow_cache(&mut self) {
        let generation = self.code.borrow().generation;
        if generation != self.seen_generation {
            self.drop_compiled();
            self.seen_generation = generation;
        }
    }

    fn invalidate(&mut self, mem: &mut AddressSpace) {
        let pages = mem.take_code_writes();
        let mut dropped = 0;
        let mut orphans = Vec::new();
        for &pn in &pages {
            let k = self.blocks.invalidate_page(pn) as u64;
            if k > 0 {
                // For the event log, as `interp::apply_code_writes` does.
                mem.note_invalidation(pn, k);
            }
            dropped += k;
            // A region goes whole: its blocks jump to each other inside.
            for id in self.region_pages.remove(&pn).unwrap_or_default() {
                if let Some(r) = self.regions[id].take() {
                    for pc in r.pcs {
                        let entered = match r.entry {
                            DORMANT => self.dormant.get(&pc) == Some(&id),
                            entry => self.entries.get(&pc) == Some(&entry),
                        };
                        if entered {
                            self.entries.remove(&pc);
                            self.dormant.remove(&pc);
                            orphans.push(pc);
                        }
                    }
                }
            }
            // Removed pages are re-marked as code when retranslated.
        }
        // A block copied into several regions stays compiled while one of
        // them stays (none touches a written page): enter it there.
        for pc in orphans {
            let Some(ids) = self.region_pages.get(&(pc >> PAGE_SHIFT)) else { continue };
            let regions = &self.regions;
            let holder = ids.iter().find_map(|&id| {
                regions[id].as_ref().filter(|r| r.pcs.contains(&pc)).map(|r| (id, r.entry))
            });
            match holder {
                Some((id, DORMANT)) => {
                    self.dormant.insert(pc, id);
                }
                Some((_, entry)) => {
                    self.entries.insert(pc, entry);
                }
                None => {}
            }
        }
        self.stats.blocks_invalidated += dropped;
        self.fast.fill(FastEntry::EMPTY);
        self.heat.clear();
        // A region still compiling from a written page is never entered;
        // the others stay asked for.
        self.waiting.retain(|w| !w.blocks.iter().any(|&(_, lo, hi)| written_in(&pages, lo, hi)));
        for w in &self.waiting {
            Self::mark_queued(&mut self.heat, &self.entries, &self.dormant, w);
        }
    }

    /// Collect the region rooted at `pc`: the entry block and blocks
    /// reachable through direct jumps, breadth first; with a profile, only
    /// those that ran at least `threshold / SUCCESSOR_HEAT_DIVISOR` times,
    /// and blocks compiled elsewhere only when they had run `threshold /
    /// COPY_HEAT_DIVISOR` times when they were. The heat counts come from
    /// this engine's own interpreted runs, so the region's shape is
    /// deterministic. Returns the region's blocks, those of them that are
    /// copies, and the indirect jumps that went to one block of the region
    /// (`(block, target)`, see `lower::Shape`).
    fn collect_region(
        &mut self,
        mem: &mut AddressSpace,
        pc: u64,
    ) -> Result<CollectedRegion, MemFault> {
        let mut order = vec![pc];
        let mut copies = Vec::new();
        let mut predicted = Vec::new();
        // With a profile (a threshold), the region follows the blocks that
        // ran; without one, it takes whatever is near.
        let min_heat = self.config.threshold / SUCCESSOR_HEAT_DIVISOR;
        // Without a profile, nothing is copied.
        let copy_heat = match min_heat {
            0 => u32::MAX,
            _ => self.config.threshold / COPY_HEAT_DIVISOR,
        };
        let limit = if min_heat == 0 { UNPROFILED_REGION_BLOCKS } else { MAX_REGION_BLOCKS };
        let mut i = 0;
        while i < order.len() && order.len() < limit {
            let cur = order[i];
            i += 1;
            let prepared = match self.lookup(mem, cur) {
                Ok(p) => p,
                // The entry must translate; successors that cannot are left
                // to the dispatcher, which raises their fault in order.
                Err(f) if cur == pc => return Err(f),
                Err(_) => {
                    i -= 1;
                    order.remove(i);
                    continue;
                }
            };
            let block = &prepared.block;
            let mut succ = Vec::new();
            if let Exit::JumpIndirect(_) = block.exit {
                // A queued block still runs cold, for as long as its code
                // takes: what it was asked with counts, not what it did since.
                let target = match self.heat.get(&cur) {
                    Some(h) if !h.cold.queued => h.cold.target,
                    _ => self.tiered.get(&cur).map_or(0, |t| t.target),
                };
                if target != 0 && target != TARGET_VARIES {
                    succ.push(target);
                    predicted.push((cur, target));
                }
            }
            succ.extend(direct_successors(block));
            for t in succ {
                if order.contains(&t) || order.len() >= limit {
                    continue;
                }
                // Blocks compiled elsewhere (or on their way) are reached
                // by chaining, unless hot enough to copy.
                let compiled = self.entries.contains_key(&t)
                    || self.dormant.contains_key(&t)
                    || self.heat.get(&t).is_some_and(|h| h.cold.queued);
                let joins = if compiled {
                    copies.len() < MAX_REGION_COPIES
                        && self.tiered.get(&t).is_some_and(|r| {
                            r.runs >= copy_heat && r.copies < self.config.max_copies
                        })
                        && !self.loops_back(t)
                } else {
                    self.heat.get(&t).map_or(0, |h| h.cold.runs) >= min_heat
                };
                if joins {
                    if compiled {
                        copies.push(t);
                    }
                    order.push(t);
                }
            }
        }
        // A block's target may have been left out (too cold, or not
        // translatable); the block itself is in.
        predicted.retain(|(_, to)| order.contains(to));
        predicted.sort_unstable();
        Ok(CollectedRegion { pcs: order, copies, predicted })
    }

    /// Whether block `pc` leads back to itself through direct jumps (within
    /// [`MAX_REGION_BLOCKS`] translated blocks): a loop, which runs many
    /// times per entry, so a copy would save few crossings and give the
    /// loop to a bigger function's register allocation (an `aarch64`
    /// `bench` loop copied into its caller ran 4 % slower).
    fn loops_back(&self, pc: u64) -> bool {
        let mut seen: Vec<u64> = Vec::new();
        let mut todo = vec![pc];
        while let Some(p) = todo.pop() {
            let Some(prepared) = self.blocks.get(p) else { continue };
            for t in direct_successors(&prepared.block) {
                if t == pc {
                    return true;
                }
                if !seen.contains(&t) && seen.len() < MAX_REGION_BLOCKS {
                    seen.push(t);
                    todo.push(t);
                }
            }
        }
        false
    }

    /// Ask for the region rooted at `pc`: found in the code cache or
    /// compiled here, its entry; `None` while the compile threads have it
    /// (the engine enters it once it is installed, see `adopt_finished`).
    fn request_region(
        &mut self,
        mem: &mut AddressSpace,
        pc: u64,
        root: Cold,
    ) -> Result<Option<usize>, MemFault> {
        let tiered = |c: Cold| Tiered { runs: c.runs, target: c.target, copies: 0 };
        self.tiered.insert(pc, tiered(root));
        let CollectedRegion { pcs, copies, predicted } = self.collect_region(mem, pc)?;
        // Only blocks tiering now: a copy keeps what it had (a queued
        // block's runs since depend on when its code arrives).
        for p in &pcs {
            if let Some(h) = self.heat.get(p).filter(|h| !h.cold.queued) {
                self.tiered.insert(*p, tiered(h.cold));
            }
        }
        for p in &copies {
            if let Some(t) = self.tiered.get_mut(p) {
                t.copies = t.copies.saturating_add(1);
            }
        }
        let started = Instant::now();
        let prepared = self.held_blocks(&pcs);
        let blocks: Vec<&Block> = prepared.iter().map(|p| &p.block).collect();
        let shape = lower::Shape { direct: self.direct(mem), predicted };
        let kept_shape = shape.clone();
        // Counted alike however the code is found: the statistics do not
        // depend on what another engine compiled first, or when.
        self.stats.blocks_compiled += blocks.len() as u64;
        self.stats.insns_compiled += blocks.iter().map(|b| b.insn_count as u64).sum::<u64>();
        let spans = spans_of(&blocks);
        // Compiling at once (threshold 0) means at once, not later.
        let background = self.config.threshold > 0 && crate::engine::background_compile();
        let mut asked = true;
        let found = {
            let mut code = self.code.borrow_mut();
            if self.shared {
                code.receive();
            }
            match self.shared.then(|| code.find(&blocks, &shape)).flatten() {
                Some(entry) => {
                    self.stats.regions_shared += 1;
                    Compiled::Ready(entry)
                }
                None => match self.shared.then(|| code.find_pending(&blocks, &shape)).flatten() {
                    Some(ticket) => {
                        self.stats.regions_shared += 1;
                        asked = false;
                        Compiled::Queued(ticket)
                    }
                    None => {
                        let publish = self.shared.then(|| prepared.clone());
                        let c =
                            code.compile(self.frontend, &blocks, shape, pc, publish, background);
                        self.stats.compile_us += started.elapsed().as_micros() as u64;
                        c
                    }
                },
            }
        };
        // A flush for this region drops what we compiled before it.
        self.follow_cache();
        match found {
            Compiled::Ready(entry) | Compiled::Stored(entry) => {
                if matches!(found, Compiled::Stored(_)) {
                    self.stats.regions_shared += 1;
                }
                self.register_region(entry, &spans, kept_shape);
                Ok(Some(entry))
            }
            Compiled::Queued(ticket) => {
                let w = Waiting { ticket, blocks: spans, shape: kept_shape, asked };
                Self::mark_queued(&mut self.heat, &self.entries, &self.dormant, &w);
                self.waiting.push(w);
                // Another engine may have installed it already.
                self.seen_installs = u64::MAX;
                Ok(None)
            }
        }
    }

    /// Mark the blocks of a region still compiling, which tier up no
    /// further: the engine treats them as compiled (as it does when it
    /// compiles at once), so what it asks for next does not depend on
    /// when the compile threads finish.
    fn mark_queued(
        heat: &mut FxHashMap<u64, Heat>,
        entries: &FxHashMap<u64, usize>,
        dormant: &FxHashMap<u64, usize>,
        waiting: &Waiting,
    ) {
        for &(pc, _, _) in &waiting.blocks {
            // A copy of a block compiled elsewhere runs there meanwhile.
            if !entries.contains_key(&pc) && !dormant.contains_key(&pc) {
                heat.entry(pc).or_default().cold.queued = true;
            }
        }
    }

    /// Enter the blocks `spans` (pc, first and last page) through the
    /// function at `entry`. Every block is an entry, unless another region
    /// holds it already (a copy, see [`COPY_HEAT_DIVISOR`]); the region is
    /// dropped whole when any page its blocks touch is written.
    fn register_region(&mut self, entry: usize, spans: &[(u64, u64, u64)], shape: lower::Shape) {
        let rid = self.regions.len();
        let mut pages = Vec::new();
        for &(pc, lo, hi) in spans {
            // Compiled now: `heat` holds cold blocks only.
            self.heat.remove(&pc);
            if self.entries.contains_key(&pc) || self.dormant.contains_key(&pc) {
                // Entered through the region that holds it already.
            } else if entry == DORMANT {
                self.dormant.insert(pc, rid);
            } else {
                self.entries.insert(pc, entry);
                self.fast[fast_index(pc)] = FastEntry { pc, entry };
            }
            pages.extend(lo..=hi);
        }
        pages.sort_unstable();
        pages.dedup();
        for pn in pages {
            self.region_pages.entry(pn).or_default().push(rid);
        }
        self.regions.push(Some(Region { pcs: spans.iter().map(|s| s.0).collect(), entry, shape }));
    }

    /// The IR blocks at `pcs` the block cache holds, in order.
    fn held_blocks(&self, pcs: &[u64]) -> Vec<Arc<Prepared>> {
        pcs.iter().filter_map(|p| self.blocks.get(*p).cloned()).collect()
    }

    /// Look region `id` up in this thread's code cache, a region compiled
    /// before the engine moved here (see [`Moving`]): found there or in the
    /// code store, else compiled again, at once. From then on its blocks
    /// are entered through it. Nothing else changes: the engine asked for
    /// the region before and counted it then, so tiering and statistics
    /// go on as if it had never moved.
    fn wake(&mut self, id: usize) -> usize {
        let (pcs, shape) = match &self.regions[id] {
            Some(r) => (r.pcs.clone(), r.shape.clone()),
            None => unreachable!("dormant pc of dropped region {id}"),
        };
        let prepared = self.held_blocks(&pcs);
        let blocks: Vec<&Block> = prepared.iter().map(|p| &p.block).collect();
        let spans = spans_of(&blocks);
        let started = Instant::now();
        let entry = {
            let mut code = self.code.borrow_mut();
            if self.shared {
                code.receive();
            }
            match self.shared.then(|| code.find(&blocks, &shape)).flatten() {
                Some(entry) => entry,
                None => {
                    let publish = self.shared.then(|| prepared.clone());
                    let root = pcs[0];
                    match code.compile(self.frontend, &blocks, shape.clone(), root, publish, false)
                    {
                        Compiled::Ready(entry) | Compiled::Stored(entry) => {
                            self.stats.compile_us += started.elapsed().as_micros() as u64;
                            entry
                        }
                        Compiled::Queued(_) => unreachable!("a region compiled at once was queued"),
                    }
                }
            }
        };
        // A flush for this region dropped every region, this one too:
        // it comes back as a new one.
        self.follow_cache();
        match &mut self.regions.get_mut(id) {
            Some(Some(r)) => {
                r.entry = entry;
                for pc in &pcs {
                    if self.dormant.get(pc) == Some(&id) {
                        self.dormant.remove(pc);
                        self.entries.insert(*pc, entry);
                    }
                }
            }
            _ => self.register_region(entry, &spans, shape),
        }
        entry
    }

    /// Whether the compile threads sent code, or another engine installed
    /// some, since this engine last looked: checked before every dispatch
    /// while code is in flight, so two loads, not a look in the channel
    /// and the finished map.
    fn results_may_wait(&self) -> bool {
        let code = self.code.borrow();
        code.has_new_results() || (!self.waiting.is_empty() && code.installs != self.seen_installs)
    }

    /// Install what the compile threads finished and enter the regions of
    /// it this engine waits for.
    fn adopt_finished(&mut self) {
        let ready: Vec<(Waiting, usize, u64)> = {
            let mut code = self.code.borrow_mut();
            code.receive();
            self.seen_installs = code.installs;
            let mut ready = Vec::new();
            let mut i = 0;
            while i < self.waiting.len() {
                match code.finished.get(&self.waiting[i].ticket) {
                    Some(&(entry, micros)) => {
                        ready.push((self.waiting.swap_remove(i), entry, micros))
                    }
                    None => i += 1,
                }
            }
            ready
        };
        for (w, entry, micros) in ready {
            if w.asked {
                self.stats.compile_us += micros;
            }
            // Its blocks run compiled from now on (their heat goes).
            self.register_region(entry, &w.blocks, w.shape);
        }
    }

    /// The shape of the direct mapping compiled code for `mem` assumes.
    fn direct(&self, mem: &AddressSpace) -> Option<lower::Direct> {
        self.config.direct_memory.then(|| lower::Direct {
            span: mem.direct_span(),
            words: mem.layout().user_end <= 1 << 32,
        })
    }

    /// A function of the shared cache that another engine compiled from
    /// exactly `block`, to run it while it is still cold here. The caller
    /// runs it for that one block (its fuel is the block's instructions),
    /// so this engine still looks up, counts and heats every block it
    /// runs as the interpreter would have, and tiers up at the same
    /// points: only how a cold block executes changes, not what it does.
    /// `cold` is what the engine knew of the block before.
    fn borrow_block(
        &mut self,
        mem: &AddressSpace,
        block: &Arc<Prepared>,
        cold: Cold,
    ) -> Option<usize> {
        if !self.shared {
            return None;
        }
        let pc = block.block.pc;
        let code = self.code.borrow();
        if cold.borrowed.is_some() || cold.looked == code.compiled {
            return cold.borrowed;
        }
        let direct = self.direct(mem);
        let found = code.by_block.get(&pc).and_then(|candidates| {
            candidates
                .iter()
                .find(|c| {
                    c.direct == direct
                        && (Arc::ptr_eq(&c.block, block) || c.block.block == block.block)
                })
                .map(|c| c.entry)
        });
        let c = &mut self.heat.entry(pc).or_insert(Heat { cold, block: None }).cold;
        (c.borrowed, c.looked) = (found, code.compiled);
        found
    }

    /// The compiled function holding block `pc`; else the block is cold
    /// and runs once more: its heat, counted, and its IR if looked up
    /// before.
    fn known_entry(&mut self, pc: u64) -> Result<usize, (Cold, Option<Arc<Prepared>>)> {
        let i = fast_index(pc);
        if self.fast[i].pc == pc {
            return Ok(self.fast[i].entry);
        }
        // A block with heat is not compiled here (see `Heat`).
        if let Some(h) = self.heat.get_mut(&pc) {
            h.cold.runs = h.cold.runs.saturating_add(1);
            return Err((h.cold, h.block.clone()));
        }
        if let Some(&entry) = self.entries.get(&pc) {
            self.fast[i] = FastEntry { pc, entry };
            return Ok(entry);
        }
        if let Some(&id) = self.dormant.get(&pc) {
            let entry = self.wake(id);
            self.fast[i] = FastEntry { pc, entry };
            return Ok(entry);
        }
        let cold = Cold { runs: 1, ..Cold::default() };
        self.heat.insert(pc, Heat { cold, block: None });
        Err((cold, None))
    }

    /// Interpret the block at `cpu.pc` after dropping the translations of
    /// pages written since the last dispatch: for an instruction that
    /// compiled code left because it wrote code or faulted, which must not
    /// run from stale blocks.
    fn interpret_fresh(
        &mut self,
        cpu: &mut CpuState,
        mem: &mut AddressSpace,
        fuel: u64,
    ) -> Option<StopReason> {
        if mem.has_code_writes() {
            self.invalidate(mem);
        }
        self.interpret(cpu, mem, fuel)
    }

    /// The IR block at `pc`, translated on a miss.
    fn lookup(&mut self, mem: &mut AddressSpace, pc: u64) -> Result<Arc<Prepared>, MemFault> {
        lookup_or_translate(
            self.frontend,
            &mut self.blocks,
            mem,
            pc,
            self.max_block_insns,
            &mut self.stats,
            self.plugins.host(),
        )
    }

    /// Interpret the block at `cpu.pc`.
    fn interpret(
        &mut self,
        cpu: &mut CpuState,
        mem: &mut AddressSpace,
        fuel: u64,
    ) -> Option<StopReason> {
        match self.lookup(mem, cpu.pc) {
            Ok(p) => self.exec_prepared(&p, 0, cpu, mem, fuel),
            Err(f) => Some(StopReason::Fault(f)),
        }
    }

    /// Interpret block `p` from op `start` (0, or where `resume` says),
    /// with `cpu.pc` at that op's instruction. A stop for want of fuel
    /// inside the block notes where to go on (see `resume`).
    fn exec_prepared(
        &mut self,
        p: &Arc<Prepared>,
        start: usize,
        cpu: &mut CpuState,
        mem: &mut AddressSpace,
        fuel: u64,
    ) -> Option<StopReason> {
        let host = self.plugins.host();
        let exit = exec_block_from(p, start, cpu, mem, fuel, &mut self.temps, host);
        self.plugins.after_block();
        match exit {
            BlockExit::Continue => None,
            BlockExit::Stop(StopReason::FuelExhausted) => {
                // Instrumented blocks are always entered at their start.
                let pc = cpu.pc;
                if host.is_none()
                    && let Some(at) = resume_index(p, pc)
                {
                    self.resume = Some((pc, p.clone(), at));
                }
                Some(StopReason::FuelExhausted)
            }
            BlockExit::Stop(s) => Some(s),
        }
    }

    /// Go on inside the block a run stopped in for want of fuel, if `pc`
    /// is where it stopped, no compiled code starts there and the block is
    /// still the one the cache holds (not invalidated or flushed since).
    /// `None` when that does not apply: dispatch as usual.
    fn resume_at(&mut self, pc: u64) -> Option<(Arc<Prepared>, usize)> {
        let (at_pc, block, at) = self.resume.take()?;
        let current = self.blocks.get(block.block.pc).is_some_and(|b| Arc::ptr_eq(b, &block));
        let compiled = self.entries.contains_key(&pc) || self.dormant.contains_key(&pc);
        (at_pc == pc && current && !compiled).then_some((block, at))
    }

    /// [`Engine::run`] on `frame`, whose `cpu` is the thread's state.
    fn run_in(&mut self, frame: &mut Frame, mem: &mut AddressSpace, fuel: u64) -> StopReason {
        let frame_ptr: *mut Frame = frame;
        // SAFETY: `frame` is ours for the call; compiled code reaches it
        // only through `frame_ptr` (see the call below), while no other
        // reference into it is in use.
        let cpu = unsafe { &mut (*frame_ptr).cpu };
        let start = cpu.icount;

        let tlb = (mem.tlb_ptr(), mem.direct_base());
        if self.bound_space != Some(tlb) {
            if self.bound_space.is_some() {
                self.flush();
            }
            self.bound_space = Some(tlb);
        }
        self.follow_cache();
        // A run that stopped inside a block left no successor to note.
        self.indirect_from = None;
        loop {
            if let Some(from) = self.indirect_from.take()
                && let Some(h) = self.heat.get_mut(&from)
            {
                let t = &mut h.cold.target;
                *t = if *t == 0 || *t == cpu.pc { cpu.pc } else { TARGET_VARIES };
            }
            if self.results_may_wait() {
                self.adopt_finished();
            }
            let used = cpu.icount - start;
            if used >= fuel {
                return StopReason::FuelExhausted;
            }
            let left = fuel - used;
            if mem.has_code_writes() {
                self.invalidate(mem);
            }
            if self.plugins.safe_point() {
                self.flush();
            }
            let pc = cpu.pc;
            if let Some((block, at)) = self.resume_at(pc) {
                if let Some(s) = self.exec_prepared(&block, at, cpu, mem, left) {
                    return s;
                }
                continue;
            }
            // The fuel compiled code gets: all that is left, or one cold
            // block's worth for a borrowed function (see `borrow_block`).
            let (entry, run_fuel, borrowed) = match self.known_entry(pc) {
                Ok(e) => (e, left, false),
                Err((mut cold, block)) => {
                    let mut ready = None;
                    if cold.runs > self.config.threshold && !cold.queued {
                        self.heat.remove(&pc);
                        match self.request_region(mem, pc, cold) {
                            Ok(Some(e)) => ready = Some(e),
                            // Compiling elsewhere: the block runs cold.
                            Ok(None) => {
                                cold = self.heat.get(&pc).map_or(cold, |h| h.cold);
                            }
                            Err(f) => return StopReason::Fault(f),
                        }
                    }
                    if let Some(e) = ready {
                        (e, left, false)
                    } else {
                        let p = match block {
                            Some(p) => {
                                // What the block cache would have counted.
                                self.stats.cache_hits += 1;
                                p
                            }
                            None => match self.lookup(mem, pc) {
                                Ok(p) => {
                                    if let Some(h) = self.heat.get_mut(&pc) {
                                        h.block = Some(p.clone());
                                    }
                                    p
                                }
                                Err(f) => return StopReason::Fault(f),
                            },
                        };
                        let n = u64::from(p.block.insn_count);
                        if let Exit::JumpIndirect(_) = p.block.exit {
                            self.indirect_from = Some(pc);
                        }
                        match self.borrow_block(mem, &p, cold) {
                            Some(e) if n <= left => (e, n, true),
                            _ => {
                                if let Some(s) = self.exec_prepared(&p, 0, cpu, mem, left) {
                                    return s;
                                }
                                continue;
                            }
                        }
                    }
                }
            };
            let icount = cpu.icount;
            let (code, ctx_fuel, ctx_fault, trap, faulted) = {
                let mut guard = self.code.borrow_mut();
                let cache = &mut *guard;
                let Stubs { trampoline: tramp, thunks: calls, .. } = cache.stubs();
                // SAFETY: `frame_ptr` is the frame we hold exclusively, and
                // no reference to its context is live.
                let ctx = unsafe { &mut (*frame_ptr).ctx };
                ctx.start(mem, &self.fast, run_fuel, self.plugins.as_ptr(), calls);
                // SAFETY: `tramp` and `entry` were compiled into the code
                // cache's current module (`follow_cache` dropped entries into
                // flushed ones), with the trampoline and region signatures,
                // for a `cpu` inside a `Frame`: the pointer passed is derived
                // from the whole frame, whose context they reach at a fixed
                // offset and which holds this module's thunks. The context
                // points at `mem`, which we hold exclusively, and at
                // `self.fast`, which nothing mutates until the call returns,
                // so the helpers' accesses through it do not alias any live
                // reference; no reference into the frame is used across the
                // call. The plugin host outlives the call (we hold its
                // handle) and is not borrowed here. The code faults only in
                // its direct accesses, which leave `CpuState` current
                // (`access`) and which the cache's `activation` lists.
                let code = unsafe {
                    let cpu_ptr = &raw mut (*frame_ptr).cpu;
                    fault::enter(&mut cache.activation, tramp, cpu_ptr, entry)
                };
                // SAFETY: as above; the code has returned.
                let ctx = unsafe { &(*frame_ptr).ctx };
                let ctx_fuel = ctx.fuel;
                let ctx_fault = ctx.fault();
                let trap =
                    (code == EXIT_TRAP).then(|| runtime::decode_trap(ctx.exit_trap, ctx.exit_aux));
                let faulted = (code == EXIT_RETRY).then(|| {
                    let (at, from_start) = cache.activation.faulted();
                    (at, from_start, ctx.block_fuel)
                });
                (code, ctx_fuel, ctx_fault, trap, faulted)
            };
            self.plugins.after_block();
            if code != EXIT_RETRY {
                self.stats.insns_run_compiled += cpu.icount - icount;
            }
            match code {
                EXIT_JUMP => {
                    if cpu.pc == pc && cpu.icount == icount {
                        // No progress: the region's first instruction is a
                        // store that hit code and left to run again (see
                        // `lower`), or the function does not hold `pc` (an
                        // engine invariant says it does). Interpret it, from
                        // fresh translations: the interpreter always makes
                        // progress, where new compiled code could hit the
                        // same code again.
                        if let Some(s) = self.interpret_fresh(cpu, mem, left) {
                            return s;
                        }
                    }
                }
                EXIT_SYSCALL => return StopReason::Syscall,
                EXIT_TRAP => return StopReason::Trap(trap.expect("set for EXIT_TRAP")),
                EXIT_FAULT => return StopReason::Fault(ctx_fault),
                EXIT_RETRY => {
                    // A direct access faulted. Retire what ran before its
                    // instruction (the fuel its block started with, less
                    // the block's instructions before it: see `fault`),
                    // then let the interpreter run the instruction, on the
                    // slow path.
                    let (at, from_start, block_fuel) = faulted.expect("set for EXIT_RETRY");
                    let fuel_now = block_fuel.wrapping_add(from_start);
                    cpu.icount += ctx_fuel - fuel_now;
                    cpu.pc = at;
                    self.stats.direct_faults += 1;
                    self.stats.insns_run_compiled += cpu.icount - icount;
                    let left = fuel - (cpu.icount - start);
                    if let Some(s) = self.interpret_fresh(cpu, mem, left) {
                        return s;
                    }
                }
                EXIT_FUEL if borrowed && cpu.icount > icount => {
                    // The borrowed block ran; the next goes through dispatch.
                }
                EXIT_FUEL => {
                    // Fewer instructions remain than the next block holds:
                    // the interpreter stops exactly at the limit. This is a
                    // dispatch point too.
                    let left = fuel - (cpu.icount - start);
                    if left == 0 {
                        // Chained into with no fuel left (`frame::exit_chain`
                        // does not test for it): the run is over, as it was
                        // at the chaining exit.
                        return StopReason::FuelExhausted;
                    }
                    if self.plugins.safe_point() {
                        self.flush();
                    }
                    if let Some(s) = self.interpret(cpu, mem, left) {
                        return s;
                    }
                }
                other => unreachable!("compiled code returned unknown exit code {other}"),
            }
        }
    }
}

impl Engine for Jit {
    fn run(&mut self, cpu: &mut CpuState, mem: &mut AddressSpace, fuel: u64) -> StopReason {
        // Compiled code runs on the frame's copy of the state (see
        // `runtime::Frame`): one copy in and one out per call, not per block.
        let mut frame = self.frame.take().unwrap_or_else(Frame::new);
        frame.cpu.clone_from(cpu);
        let stop = self.run_in(&mut frame, mem, fuel);
        cpu.clone_from(&frame.cpu);
        self.frame = Some(frame);
        stop
    }

    fn set_frontend(&mut self, frontend: &'static dyn Frontend) {
        self.frontend = frontend;
        self.flush();
    }

    fn flush(&mut self) {
        self.blocks.clear();
        self.drop_compiled();
        if !self.shared {
            // A private cache serves no one else: free its code now.
            let mut code = self.code.borrow_mut();
            code.flush();
            self.seen_generation = code.generation;
        }
    }

    fn set_plugins(&mut self, plugins: crate::plugin::PluginHandle) {
        self.plugins.attach(plugins);
        if self.shared {
            // Instrumented code calls this engine's plugin host: it is
            // never shared, nor served code compiled without hooks.
            let key = self.code.borrow().key.clone();
            self.code = Rc::new(RefCell::new(CodeCache::new(key)));
            self.shared = false;
            self.blocks.clear();
            self.drop_compiled();
            self.seen_generation = self.code.borrow().generation;
        }
    }

    fn stats(&self) -> EngineStats {
        self.stats
    }

    fn dump_blocks(&self) -> Vec<Block> {
        self.blocks.sorted_values().into_iter().map(|p| p.block.clone()).collect()
    }

    fn export(&mut self) -> Option<Box<dyn Moved>> {
        // Instrumented code calls this thread's plugin host.
        if self.plugins.host().is_some() {
            return None;
        }
        // Regions still on this thread's compile threads count as compiled
        // here (their blocks tier no further, see `mark_queued`): they move
        // as compiled regions, to be looked up like the others.
        for w in std::mem::take(&mut self.waiting) {
            self.register_region(DORMANT, &w.blocks, w.shape);
        }
        // Every live region goes dormant, and each compiled pc with it.
        let mut by_entry: FxHashMap<usize, usize> = FxHashMap::default();
        for (id, r) in self.regions.iter_mut().enumerate() {
            if let Some(r) = r {
                if r.entry != DORMANT {
                    by_entry.insert(r.entry, id);
                }
                r.entry = DORMANT;
            }
        }
        let mut dormant = std::mem::take(&mut self.dormant);
        for (&pc, entry) in &self.entries {
            if let Some(&id) = by_entry.get(entry) {
                dormant.insert(pc, id);
            }
        }
        // What the engine found in this thread's cache to borrow.
        let mut heat = std::mem::take(&mut self.heat);
        for h in heat.values_mut() {
            (h.cold.borrowed, h.cold.looked) = (None, usize::MAX);
        }
        Some(Box::new(Moving {
            frontend: self.frontend,
            config: self.config.clone(),
            max_block_insns: self.max_block_insns,
            blocks: std::mem::take(&mut self.blocks),
            regions: std::mem::take(&mut self.regions),
            region_pages: std::mem::take(&mut self.region_pages),
            dormant,
            heat,
            tiered: std::mem::take(&mut self.tiered),
            indirect_from: self.indirect_from,
            generation: self.generation,
            resume: self.resume.take(),
            stats: self.stats,
        }))
    }
}

/// A JIT engine on its way to another host thread (see
/// [`Engine::export`]): everything it knows but what points into its
/// thread's code cache. Its blocks, heat and profile move as they are, so
/// it goes on tiering exactly as it would have; its regions move
/// [`DORMANT`], each looked up again in the new thread's cache (or the
/// code store) the first time one of its blocks is entered there
/// ([`Jit::wake`]).
struct Moving {
    frontend: &'static dyn Frontend,
    config: JitConfig,
    max_block_insns: u32,
    blocks: BlockCache<Arc<Prepared>>,
    regions: Vec<Option<Region>>,
    region_pages: BTreeMap<u64, Vec<usize>>,
    dormant: FxHashMap<u64, usize>,
    heat: FxHashMap<u64, Heat>,
    tiered: FxHashMap<u64, Tiered>,
    indirect_from: Option<u64>,
    generation: u64,
    resume: Option<(u64, Arc<Prepared>, usize)>,
    stats: EngineStats,
}

impl Moved for Moving {
    fn adopt(self: Box<Self>) -> Box<dyn Engine> {
        let m = *self;
        let mut jit = Jit::new(m.frontend, m.max_block_insns, m.config);
        jit.blocks = m.blocks;
        jit.regions = m.regions;
        jit.region_pages = m.region_pages;
        jit.dormant = m.dormant;
        jit.heat = m.heat;
        jit.tiered = m.tiered;
        jit.indirect_from = m.indirect_from;
        jit.generation = m.generation;
        jit.resume = m.resume;
        jit.stats = m.stats;
        Box::new(jit)
    }
}
