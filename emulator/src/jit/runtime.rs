//! The JIT's runtime interface: the context block that compiled code reads
//! and writes, exit codes, and the `extern "C"` helpers compiled code calls
//! on a TLB miss or to run an instrumentation hook. Generated code relies
//! on the offsets in [`offsets`]; they are defined here and nowhere else.

use std::cell::RefCell;

use crate::cpu::CpuState;
use crate::ir::TrapKind;
use crate::mem::{Access, AddressSpace, MemFault};
use crate::plugin::PluginHost;

/// Compiled code returns one of these.
pub const EXIT_JUMP: u32 = 0;
/// A system call retired; `cpu.pc` is the next instruction.
pub const EXIT_SYSCALL: u32 = 1;
/// A trap; `JitCtx::exit_trap` and `exit_aux` encode its kind (see
/// [`encode_trap`]).
pub const EXIT_TRAP: u32 = 2;
/// A memory fault; `JitCtx::fault_*` describe it.
pub const EXIT_FAULT: u32 = 3;
/// Not enough fuel for the block at `cpu.pc`: the interpreter must run it.
pub const EXIT_FUEL: u32 = 4;
/// A direct access faulted (see `fault`): the activation names it, and
/// `cpu.icount` and `JitCtx::fuel` still hold the values of the engine's
/// entry into compiled code (chaining keeps them); the engine retires what
/// ran before the access and interprets its instruction.
pub const EXIT_RETRY: u32 = 5;

/// log2 of the entries in the direct-mapped table of compiled entry pcs.
pub const FAST_TABLE_BITS: u32 = 12;

/// One entry of the direct-mapped table compiled code chains through:
/// `entry` is the compiled function holding `pc`, or 0.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FastEntry {
    /// Guest pc of the entry (`u64::MAX` when empty).
    pub pc: u64,
    /// Host address of the compiled function, or 0.
    pub entry: usize,
}

impl FastEntry {
    /// The entry of no pc.
    pub const EMPTY: FastEntry = FastEntry { pc: u64::MAX, entry: 0 };
}

/// The table slot of `pc`. Compiled code computes the same expression
/// (see `lower::frame`), with [`FAST_HASH_SHIFTS`].
#[inline]
pub fn fast_index(pc: u64) -> usize {
    (((pc >> FAST_HASH_SHIFTS.0) ^ (pc >> FAST_HASH_SHIFTS.1)) as usize)
        & ((1 << FAST_TABLE_BITS) - 1)
}

/// The two right shifts mixed by [`fast_index`].
pub const FAST_HASH_SHIFTS: (u32, u32) = (1, 13);

/// Per-run context shared with compiled code.
#[repr(C)]
pub struct JitCtx {
    /// The engine's table of compiled entry pcs, `1 << FAST_TABLE_BITS`
    /// entries, for chaining from one compiled function to the next.
    pub fast: *const FastEntry,
    /// The running process's address space, for the slow-path helpers.
    pub mem: *mut AddressSpace,
    /// Its software TLB and the host address of its guest address 0 (see
    /// `mem::AddressSpace::direct_base`). Compiled code loads them from
    /// here rather than building them in, so one function serves every
    /// address space of its code cache (processes and cells share it).
    pub tlb: *mut crate::mem::Tlb,
    /// Host address of guest address 0.
    pub base: u64,
    /// Instructions the code may still retire.
    pub fuel: u64,
    /// With direct accesses, the fuel left where one compiled function
    /// tail-calls the next, which starts from it (the trampoline copies
    /// `fuel` here on entry): `fuel` itself keeps the engine's entry value
    /// until an exit writes it back.
    pub chain_fuel: u64,
    /// With direct accesses, the fuel the running block started with,
    /// stored at the start of each block that loads or stores: the engine
    /// counts from it after a direct access faulted (see `fault`).
    pub block_fuel: u64,
    /// Non-zero after a helper hit a fault.
    pub fault_pending: u64,
    /// Guest address of the pending fault.
    pub fault_addr: u64,
    /// 0 read, 1 write.
    pub fault_write: u64,
    /// Non-zero when the faulting address is unmapped (else the access
    /// broke the page's protection).
    pub fault_unmapped: u64,
    /// Extra exit information: a trap's payload (see [`encode_trap`]).
    pub exit_aux: u64,
    /// A trap's kind (see [`encode_trap`]).
    pub exit_trap: u64,
    /// What the last slow-path helper returned, widened; the thunks that
    /// call the helpers store it here (see `lower::abi::lower_thunk`).
    pub slow_result: u64,
    /// The slow-path helpers' arguments after `ctx` (address, size, value),
    /// which compiled code stores here for the thunks to pass on, so the
    /// values around a memory access are bound to no argument register.
    pub slow_args: [u64; 3],
    /// The engine's plugin host for [`jit_hook`]; null without plugins.
    /// Set per region call, so it never outlives the code it serves.
    pub plugins: *const RefCell<PluginHost>,
    /// What compiled code calls, by address: the code holds no host
    /// address of its own (see [`Frame`]), so one translation serves every
    /// module, thread and run it is installed in.
    pub calls: Calls,
}

/// The functions compiled code calls, read from its [`JitCtx`].
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Calls {
    /// The slow-path load thunk of the code cache's current module
    /// (`lower::abi::lower_thunk`), around [`jit_load`].
    pub load_thunk: usize,
    /// The same around [`jit_store`].
    pub store_thunk: usize,
    /// [`jit_load`] and [`jit_store`], which the thunks call.
    pub load_helper: usize,
    /// See `load_helper`.
    pub store_helper: usize,
    /// `ir::float::jit_helper`.
    pub float_helper: usize,
    /// `ir::vector::jit_helper`.
    pub vector_helper: usize,
    /// [`jit_hook`].
    pub hook: usize,
}

impl Calls {
    /// The helpers, with no thunks yet.
    fn helpers() -> Self {
        Calls {
            load_thunk: 0,
            store_thunk: 0,
            load_helper: jit_load as *const () as usize,
            store_helper: jit_store as *const () as usize,
            float_helper: crate::ir::float::jit_helper as *const () as usize,
            vector_helper: crate::ir::vector::jit_helper as *const () as usize,
            hook: jit_hook as *const () as usize,
        }
    }
}

/// Where compiled code runs: the guest thread's state and the context
/// right after it, so that code reaches the context at a fixed offset from
/// the `cpu` pointer it is called with ([`offsets::CTX_FROM_CPU`]) rather
/// than at an address built into it. The engine copies the thread's
/// `CpuState` in when it starts running and out when it stops.
#[repr(C)]
pub struct Frame {
    /// The running thread's state, copied in.
    pub cpu: CpuState,
    /// The context of compiled code, set up for every call of it.
    pub ctx: JitCtx,
}

impl Frame {
    /// A frame with default state and an idle context.
    pub fn new() -> Box<Frame> {
        Box::new(Frame { cpu: CpuState::default(), ctx: JitCtx::idle() })
    }
}

/// Offsets of [`JitCtx`] fields for generated code.
pub mod offsets {
    use super::JitCtx;
    use std::mem::offset_of;

    /// [`JitCtx::fast`].
    pub const FAST: i32 = offset_of!(JitCtx, fast) as i32;
    /// [`super::FastEntry::pc`].
    pub const FAST_ENTRY_PC: i32 = offset_of!(super::FastEntry, pc) as i32;
    /// [`super::FastEntry::entry`].
    pub const FAST_ENTRY_FN: i32 = offset_of!(super::FastEntry, entry) as i32;
    /// log2 of `size_of::<FastEntry>()`.
    pub const FAST_ENTRY_SHIFT: i64 = 4;
    const _: () = assert!(size_of::<super::FastEntry>() == 1 << FAST_ENTRY_SHIFT);
    /// [`JitCtx::fuel`].
    pub const FUEL: i32 = offset_of!(JitCtx, fuel) as i32;
    /// [`JitCtx::chain_fuel`].
    pub const CHAIN_FUEL: i32 = offset_of!(JitCtx, chain_fuel) as i32;
    /// [`JitCtx::block_fuel`].
    pub const BLOCK_FUEL: i32 = offset_of!(JitCtx, block_fuel) as i32;
    /// [`JitCtx::tlb`].
    pub const TLB: i32 = offset_of!(JitCtx, tlb) as i32;
    /// [`JitCtx::base`].
    pub const BASE: i32 = offset_of!(JitCtx, base) as i32;
    /// [`JitCtx::fault_pending`].
    pub const FAULT_PENDING: i32 = offset_of!(JitCtx, fault_pending) as i32;
    /// [`JitCtx::exit_aux`].
    pub const EXIT_AUX: i32 = offset_of!(JitCtx, exit_aux) as i32;
    /// [`JitCtx::exit_trap`].
    pub const EXIT_TRAP: i32 = offset_of!(JitCtx, exit_trap) as i32;
    /// [`JitCtx::slow_result`].
    pub const SLOW_RESULT: i32 = offset_of!(JitCtx, slow_result) as i32;
    /// [`JitCtx::slow_args`].
    pub const SLOW_ARGS: i32 = offset_of!(JitCtx, slow_args) as i32;
    /// [`super::Calls::load_thunk`].
    pub const LOAD_THUNK: i32 = CALLS + offset_of!(super::Calls, load_thunk) as i32;
    /// [`super::Calls::store_thunk`].
    pub const STORE_THUNK: i32 = CALLS + offset_of!(super::Calls, store_thunk) as i32;
    /// [`super::Calls::load_helper`].
    pub const LOAD_HELPER: i32 = CALLS + offset_of!(super::Calls, load_helper) as i32;
    /// [`super::Calls::store_helper`].
    pub const STORE_HELPER: i32 = CALLS + offset_of!(super::Calls, store_helper) as i32;
    /// [`super::Calls::float_helper`].
    pub const FLOAT_HELPER: i32 = CALLS + offset_of!(super::Calls, float_helper) as i32;
    /// [`super::Calls::vector_helper`].
    pub const VECTOR_HELPER: i32 = CALLS + offset_of!(super::Calls, vector_helper) as i32;
    /// [`super::Calls::hook`].
    pub const HOOK: i32 = CALLS + offset_of!(super::Calls, hook) as i32;
    const CALLS: i32 = offset_of!(JitCtx, calls) as i32;
    /// The [`super::Frame`]'s `JitCtx` from its `CpuState`.
    pub const CTX_FROM_CPU: i32 =
        (offset_of!(super::Frame, ctx) - offset_of!(super::Frame, cpu)) as i32;
}

impl JitCtx {
    /// Set up one run of compiled code over `mem`, chaining through `fast`,
    /// with `fuel` instructions to go, calling `plugins` and the thunks of
    /// `calls` (whose helpers stay).
    pub fn start(
        &mut self,
        mem: &mut AddressSpace,
        fast: &[FastEntry],
        fuel: u64,
        plugins: *const RefCell<PluginHost>,
        (load_thunk, store_thunk): (usize, usize),
    ) {
        debug_assert_eq!(fast.len(), 1 << FAST_TABLE_BITS);
        let tlb = mem.tlb_ptr();
        let base = mem.direct_base();
        let calls = Calls { load_thunk, store_thunk, ..Calls::helpers() };
        *self =
            JitCtx { fast: fast.as_ptr(), mem, tlb, base, fuel, plugins, calls, ..JitCtx::idle() };
    }

    /// A context for no run (null pointers), set up by [`JitCtx::start`].
    pub fn idle() -> Self {
        JitCtx {
            fast: std::ptr::null(),
            mem: std::ptr::null_mut(),
            tlb: std::ptr::null_mut(),
            base: 0,
            fuel: 0,
            chain_fuel: 0,
            block_fuel: 0,
            fault_pending: 0,
            fault_addr: 0,
            fault_write: 0,
            fault_unmapped: 0,
            exit_aux: 0,
            exit_trap: 0,
            slow_result: 0,
            slow_args: [0; 3],
            plugins: std::ptr::null(),
            calls: Calls::helpers(),
        }
    }

    /// The fault recorded by a helper.
    pub fn fault(&self) -> MemFault {
        MemFault {
            addr: self.fault_addr,
            access: if self.fault_write != 0 { Access::Write } else { Access::Read },
            unmapped: self.fault_unmapped != 0,
        }
    }

    fn record(&mut self, f: MemFault) {
        self.fault_pending = 1;
        self.fault_addr = f.addr;
        self.fault_write = (f.access == Access::Write) as u64;
        self.fault_unmapped = f.unmapped as u64;
    }
}

/// Slow-path load: returns the little-endian assembled value, or records a
/// fault in the context and returns 0.
///
/// # Safety
/// `ctx` must point to a live `JitCtx` whose `mem` points to the live
/// address space of the running process, with no other reference to it
/// in use (compiled code runs while the engine holds `&mut` to both).
pub unsafe extern "C" fn jit_load(ctx: *mut JitCtx, addr: u64, size: u32) -> u64 {
    // SAFETY: the caller guarantees `ctx` and `ctx.mem` are live and
    // exclusively ours for the duration of the call.
    let (ctx, mem) = unsafe { (&mut *ctx, &mut *(*ctx).mem) };
    match mem.load(addr, size) {
        Ok(v) => v,
        Err(f) => {
            ctx.record(f);
            0
        }
    }
}

/// Slow-path store. Returns 0 when done, 1 on a fault (recorded in the
/// context), 2 when the store hit a page holding translated code.
///
/// # Safety
/// As for [`jit_load`].
pub unsafe extern "C" fn jit_store(ctx: *mut JitCtx, addr: u64, size: u32, value: u64) -> u32 {
    // SAFETY: as in `jit_load`.
    let (ctx, mem) = unsafe { (&mut *ctx, &mut *(*ctx).mem) };
    match mem.store(addr, size, value) {
        Ok(false) => 0,
        Ok(true) => 2,
        Err(f) => {
            ctx.record(f);
            1
        }
    }
}

/// `info` of a [`jit_hook`] call for an instruction hook.
pub const HOOK_INSN: u32 = 0;
/// `info` bit of a memory hook; the low byte holds the access size.
pub const HOOK_MEM: u32 = 1 << 9;
/// `info` bit of a memory hook for a store.
pub const HOOK_STORE: u32 = 1 << 8;

/// Run instrumentation hook `id` for the instruction at `pc`; `info` is
/// [`HOOK_INSN`] or `HOOK_MEM | size [| HOOK_STORE]` with the access's
/// `addr` and `value`. Returns 1 when a callback requested a reset (the
/// code then leaves at the next instruction boundary), else 0. A panicking
/// callback cannot unwind through compiled code: it is kept and resumed by
/// the engine, and the code is told to leave.
///
/// # Safety
/// `ctx` must point to a live `JitCtx` whose `plugins` points to the
/// engine's live plugin host (compiled code holds hook ops only when the
/// engine has one), with no borrow of the host in progress.
pub unsafe extern "C" fn jit_hook(
    ctx: *mut JitCtx,
    id: u32,
    info: u32,
    pc: u64,
    addr: u64,
    value: u64,
) -> u32 {
    // SAFETY: the caller guarantees `ctx` is live and `plugins` points to
    // the host the engine keeps alive while its code runs.
    let host = unsafe { &*(*ctx).plugins };
    let access = (info & HOOK_MEM != 0).then_some(crate::plugin::Access {
        addr,
        value,
        size: info & 0xff,
        store: info & HOOK_STORE != 0,
    });
    crate::plugin::run_hook_catching(host, id, pc, access) as u32
}

/// A trap as two words compiled code stores on its way out (`exit_trap`,
/// `exit_aux`): its kind, and the kind's payload. The code then holds the
/// trap itself, not an index into a table of its code cache, so lowering
/// a region depends on nothing handed out before it.
pub fn encode_trap(kind: TrapKind) -> (u64, u64) {
    match kind {
        TrapKind::IllegalInstruction { bytes, len } => (u64::from(len) << 8, u64::from(bytes)),
        TrapKind::Breakpoint => (1, 0),
        TrapKind::TrapInstruction => (2, 0),
        TrapKind::ArithmeticTrap => (3, 0),
        TrapKind::FpException => (4, 0),
        TrapKind::FetchFault { addr } => (5, addr),
        TrapKind::ClockWait => (6, 0),
    }
}

/// The trap [`encode_trap`] gave `(kind, payload)` for.
pub fn decode_trap(kind: u64, payload: u64) -> TrapKind {
    match kind & 0xff {
        0 => TrapKind::IllegalInstruction { bytes: payload as u32, len: (kind >> 8) as u8 },
        1 => TrapKind::Breakpoint,
        2 => TrapKind::TrapInstruction,
        3 => TrapKind::ArithmeticTrap,
        4 => TrapKind::FpException,
        5 => TrapKind::FetchFault { addr: payload },
        6 => TrapKind::ClockWait,
        other => unreachable!("compiled code stored unknown trap kind {other}"),
    }
}

#[cfg(test)]
mod trap_tests {
    use super::*;

    #[test]
    fn every_trap_kind_survives_its_encoding() {
        let kinds = [
            TrapKind::IllegalInstruction { bytes: 0xdead_beef, len: 4 },
            TrapKind::IllegalInstruction { bytes: 0, len: 2 },
            TrapKind::Breakpoint,
            TrapKind::TrapInstruction,
            TrapKind::ArithmeticTrap,
            TrapKind::FpException,
            TrapKind::FetchFault { addr: u64::MAX },
            TrapKind::FetchFault { addr: 0x1000 },
            TrapKind::ClockWait,
        ];
        for k in kinds {
            let (kind, payload) = encode_trap(k);
            assert_eq!(decode_trap(kind, payload), k);
        }
    }
}
