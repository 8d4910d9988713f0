//! Direct guest-memory accesses: entering compiled code so that a host
//! fault in it returns to the engine instead of killing the process.
//!
//! Compiled code may load and store guest memory at `base + addr` without a
//! software check (`access`, "direct" accesses), relying on the host
//! protections that `mem` keeps in step with the guest's. Such an access
//! faults whenever the slow path has work to do: an unmapped or protected
//! page, a page holding translated code, a page the guest may write but not
//! read. Each direct access of a function carries its own Cranelift trap
//! code, so the function's trap records say which host instructions belong
//! to which access: the [`Activation`] maps their addresses to the guest
//! `(pc, unretired - charge)` of the access, `charge` being its block's
//! instruction count. The fuel the block started with, before its charge,
//! is in `JitCtx::block_fuel`, stored at the start of every block that
//! loads or stores: their (wrapping) sum is the fuel left at the access,
//! which the engine works out once `enter` has returned. `CpuState` is
//! current at every direct access, because nothing its instruction did
//! before it has an effect: at most direct loads, which only read (and a
//! store after them ends the instruction's direct accesses, see
//! `lower_block`). The one exception, a transient slot's write left
//! pending (see `lower`), names the instruction before as the access's: it
//! runs again from `CpuState` as it stands.
//!
//! [`enter`] calls the trampoline through a small assembly frame that
//! saves the callee-saved registers and the stack pointer. A `SIGSEGV` at
//! the address of a direct access of the thread's activation is answered by
//! unwinding to that frame: the handler notes the access and rewrites the
//! signal context so the kernel resumes at `bohr_jit_resume` with the saved
//! stack, which returns [`EXIT_RETRY`] from [`enter`]. The engine then
//! retires what ran before the access, none of its instruction, and runs
//! that instruction in the interpreter, which takes the slow path (and
//! raises the guest's fault, if there is one). Any other `SIGSEGV` goes to
//! the handler that was installed before ours.
//!
//! Only x86-64 Linux hosts have the assembly; elsewhere [`SUPPORTED`] is
//! false and compiled code uses only the software TLB.

use std::cell::Cell;

use super::runtime::EXIT_RETRY;
use crate::cpu::CpuState;

/// Direct accesses are available on this host.
pub const SUPPORTED: bool = cfg!(all(target_arch = "x86_64", target_os = "linux"));

/// What the fault handler needs to know about an engine's compiled code.
pub struct Activation {
    /// Host address of every instruction of a direct access, ascending,
    /// with the access's `(pc, unretired)`.
    sites: Vec<(usize, (u64, u64))>,
    /// The stack pointer of the entry frame, written by the assembly.
    save_sp: usize,
    /// The index in `sites` of the last access that faulted.
    faulted: usize,
}

impl Activation {
    pub fn new() -> Self {
        Activation { sites: Vec::new(), save_sp: 0, faulted: 0 }
    }

    /// Note that the host instruction at `host_pc` performs the direct
    /// access of guest instruction `pc`, with `unretired` instructions of
    /// its block not retired before it.
    fn add_site(&mut self, host_pc: usize, at: (u64, u64)) {
        let i = self.sites.partition_point(|&(p, _)| p < host_pc);
        self.sites.insert(i, (host_pc, at));
    }

    /// [`add_site`](Self::add_site) for each of a region's sites, which
    /// `sites` holds in any order. A region's code lies between other
    /// regions' (new code is often placed below older code), so its
    /// sites go in with one move of the sites above them rather than one
    /// per site, which had cost about 2 % of a short run.
    pub fn add_sites(&mut self, sites: &mut [(usize, (u64, u64))]) {
        sites.sort_unstable_by_key(|s| s.0);
        let (Some(first), Some(last)) = (sites.first(), sites.last()) else { return };
        let i = self.sites.partition_point(|&(p, _)| p < first.0);
        if self.sites.get(i).is_none_or(|s| s.0 > last.0) {
            self.sites.splice(i..i, sites.iter().copied());
        } else {
            for &(p, at) in sites.iter() {
                self.add_site(p, at);
            }
        }
    }

    /// Forget all sites (the code was freed).
    pub fn clear(&mut self) {
        self.sites.clear();
    }

    /// `(pc, unretired - charge)` of the access whose fault [`enter`] last
    /// answered (see the module's doc).
    pub fn faulted(&self) -> (u64, u64) {
        self.sites[self.faulted].1
    }

    /// The site at `pc`, if any. Allocation-free, for the signal handler.
    fn site_at(&self, pc: usize) -> Option<usize> {
        self.sites.binary_search_by_key(&pc, |&(p, _)| p).ok()
    }
}

impl Default for Activation {
    fn default() -> Self {
        Self::new()
    }
}

thread_local! {
    /// The activation of the compiled code running on this thread, or null.
    /// Const-initialized without a destructor, so the handler can read it.
    static ACTIVE: Cell<*mut Activation> = const { Cell::new(std::ptr::null_mut()) };
}

/// The trampoline's type: `(cpu, region entry) -> exit code`.
pub type TrampolineFn = unsafe extern "C" fn(*mut CpuState, usize) -> u32;

/// Run `tramp(cpu, entry)`; returns its exit code, or [`EXIT_RETRY`] when
/// a direct access in the code faulted.
///
/// # Safety
/// `tramp` and `entry` must be valid compiled code of the engine whose
/// direct accesses `act` lists, callable with `cpu`; those accesses must
/// leave `CpuState` current.
pub unsafe fn enter(
    act: &mut Activation,
    tramp: TrampolineFn,
    cpu: *mut CpuState,
    entry: usize,
) -> u32 {
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    {
        install_handler();
        let act: *mut Activation = act;
        let prev = ACTIVE.with(|a| a.replace(act));
        // SAFETY: `bohr_jit_call` is the assembly below: it saves the
        // callee-saved registers, stores its stack pointer in `save_sp` and
        // calls `tramp(cpu, entry)` by the C ABI, which the caller vouches
        // for; it returns that call's result or, after a handled fault, the
        // retry code with the saved registers restored.
        let code = unsafe { bohr_jit_call(tramp, cpu, entry, &raw mut (*act).save_sp) };
        ACTIVE.with(|a| a.set(prev));
        code
    }
    #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
    {
        let _ = act;
        // SAFETY: the caller's contract; without direct accesses the code
        // never faults.
        unsafe { tramp(cpu, entry) }
    }
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
unsafe extern "C" {
    fn bohr_jit_call(
        tramp: TrampolineFn,
        cpu: *mut CpuState,
        entry: usize,
        save_sp: *mut usize,
    ) -> u32;
    static bohr_jit_resume: u8;
}

// bohr_jit_call(tramp, cpu, entry, save_sp): a frame of the six
// callee-saved registers, its stack pointer saved (16-byte aligned at the
// call), then tramp(cpu, entry). The handler resumes at bohr_jit_resume
// with rsp = *save_sp and eax = the retry code.
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
std::arch::global_asm!(
    ".text",
    ".globl bohr_jit_call",
    ".type bohr_jit_call,@function",
    "bohr_jit_call:",
    "push rbp",
    "mov rbp, rsp",
    "push rbx",
    "push r12",
    "push r13",
    "push r14",
    "push r15",
    "sub rsp, 8",
    "mov [rcx], rsp",
    "mov rax, rdi",
    "mov rdi, rsi",
    "mov rsi, rdx",
    "call rax",
    ".globl bohr_jit_resume",
    "bohr_jit_resume:",
    "add rsp, 8",
    "pop r15",
    "pop r14",
    "pop r13",
    "pop r12",
    "pop rbx",
    "pop rbp",
    "ret",
    ".size bohr_jit_call, . - bohr_jit_call",
);

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
static PREVIOUS: std::sync::OnceLock<libc::sigaction> = std::sync::OnceLock::new();

/// Install the SIGSEGV handler once per process, keeping the previous one.
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn install_handler() {
    PREVIOUS.get_or_init(|| {
        // SAFETY: plain sigaction calls with zeroed, then filled, structs;
        // the handler is async-signal-safe (it reads a thread-local cell and
        // the activation, and writes the signal context).
        unsafe {
            let mut new: libc::sigaction = std::mem::zeroed();
            new.sa_sigaction = on_segv as *const () as usize;
            new.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_NODEFER;
            libc::sigemptyset(&mut new.sa_mask);
            let mut old: libc::sigaction = std::mem::zeroed();
            let r = libc::sigaction(libc::SIGSEGV, &new, &mut old);
            assert!(r == 0, "installing the SIGSEGV handler failed");
            old
        }
    });
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
extern "C" fn on_segv(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    let act = ACTIVE.with(|a| a.get());
    // SAFETY: the kernel passes a valid ucontext for an SA_SIGINFO handler.
    let uc = unsafe { &mut *(ctx as *mut libc::ucontext_t) };
    let gregs = &mut uc.uc_mcontext.gregs;
    let pc = gregs[libc::REG_RIP as usize] as usize;
    // SAFETY: a non-null ACTIVE points at the activation `enter` set for
    // the code running on this thread, which is suspended in the code; no
    // other reference to it is in use.
    if let Some(act) = unsafe { act.as_mut() }
        && let Some(i) = act.site_at(pc)
    {
        act.faulted = i;
        gregs[libc::REG_RSP as usize] = act.save_sp as i64;
        gregs[libc::REG_RIP as usize] = (&raw const bohr_jit_resume) as i64;
        gregs[libc::REG_RAX as usize] = EXIT_RETRY as i64;
        return;
    }
    // Not ours: hand it to whoever was there before.
    let prev = PREVIOUS.get().expect("installed before any fault of ours");
    let h = prev.sa_sigaction;
    if h == libc::SIG_DFL || h == libc::SIG_IGN {
        // SAFETY: restoring the previous disposition; returning re-runs the
        // faulting instruction, which then takes the default action.
        unsafe { libc::sigaction(libc::SIGSEGV, prev, std::ptr::null_mut()) };
    } else if prev.sa_flags & libc::SA_SIGINFO != 0 {
        // SAFETY: the previous handler was installed for these arguments.
        let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
            unsafe { std::mem::transmute(h) };
        f(sig, info, ctx);
    } else {
        // SAFETY: as above, for a plain handler.
        let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(h) };
        f(sig);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A region's sites at `base`: a few host addresses out of order.
    fn region(base: usize, pc: u64) -> Vec<(usize, (u64, u64))> {
        vec![(base + 40, (pc + 8, 2)), (base + 4, (pc, 0)), (base + 17, (pc + 4, 1))]
    }

    #[test]
    fn sites_of_regions_in_any_order_stay_sorted_and_found() {
        // Regions placed below, above and between older ones, and one
        // whose range holds an older site (the per-site path).
        let regions = [
            region(0x5000, 0x100),
            region(0x1000, 0x200),
            region(0x9000, 0x300),
            region(0x3000, 0x400),
            vec![(0x3010, (0x500, 0)), (0x3030, (0x504, 1))],
        ];
        let mut act = Activation::new();
        let mut one_by_one = Activation::new();
        for r in &regions {
            act.add_sites(&mut r.clone());
            for &(p, at) in r {
                one_by_one.add_site(p, at);
            }
        }
        assert_eq!(act.sites, one_by_one.sites);
        assert!(act.sites.windows(2).all(|w| w[0].0 < w[1].0), "{:x?}", act.sites);
        for r in &regions {
            for &(p, at) in r {
                let i = act.site_at(p).expect("every site is found");
                assert_eq!(act.sites[i].1, at);
            }
        }
        assert_eq!(act.site_at(0x5005), None);
        act.add_sites(&mut []);
        assert_eq!(act.sites.len(), 14);
    }
}
