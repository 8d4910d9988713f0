//! Guest architectures: the `Arch` catalogue and the `Frontend` trait.
//!
//! Each ISA lives in its own submodule (decoder, lifter, register names,
//! syscall ABI). Frontends depend only on `ir` and `cpu`; engines and the
//! kernel reach them through [`Frontend`] and [`frontend_for`].

pub mod aarch64;
pub mod arm;
pub(crate) mod arm_cond;
pub(crate) mod compare_note;
pub mod decode_kit;
pub mod generic_abi;
pub mod mips;
pub mod powerpc64;
pub mod riscv64;
pub mod sysno;

use std::fmt;
use std::str::FromStr;

use crate::cpu::CpuState;
use crate::ir::{BlockBuilder, Endian, Slot};
pub use sysno::Sysno;

/// A supported guest architecture, named as rehosting projects name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Arch {
    Riscv64,
    Aarch64,
    Powerpc64,
    Mipsel,
    Mipseb,
    Armel,
}

impl Arch {
    pub const ALL: [Arch; 6] =
        [Arch::Riscv64, Arch::Aarch64, Arch::Powerpc64, Arch::Mipsel, Arch::Mipseb, Arch::Armel];

    pub const fn name(self) -> &'static str {
        match self {
            Arch::Riscv64 => "riscv64",
            Arch::Aarch64 => "aarch64",
            Arch::Powerpc64 => "powerpc64",
            Arch::Mipsel => "mipsel",
            Arch::Mipseb => "mipseb",
            Arch::Armel => "armel",
        }
    }

    pub const fn endian(self) -> Endian {
        match self {
            Arch::Powerpc64 | Arch::Mipseb => Endian::Big,
            _ => Endian::Little,
        }
    }

    pub const fn is_64bit(self) -> bool {
        matches!(self, Arch::Riscv64 | Arch::Aarch64 | Arch::Powerpc64)
    }

    /// `e_machine` in the ELF header.
    pub const fn elf_machine(self) -> u16 {
        match self {
            Arch::Riscv64 => 243,
            Arch::Aarch64 => 183,
            Arch::Powerpc64 => 21,
            Arch::Mipsel | Arch::Mipseb => 8,
            Arch::Armel => 40,
        }
    }

    /// The `qemu-*-static` binary that runs this arch's user programs.
    pub const fn qemu_binary(self) -> &'static str {
        match self {
            Arch::Riscv64 => "qemu-riscv64-static",
            Arch::Aarch64 => "qemu-aarch64-static",
            Arch::Powerpc64 => "qemu-ppc64-static",
            Arch::Mipsel => "qemu-mipsel-static",
            Arch::Mipseb => "qemu-mips-static",
            Arch::Armel => "qemu-arm-static",
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Error for an architecture name that Bohr does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown architecture `{0}` (expected one of: riscv64, aarch64, powerpc64, mipsel, mipseb, armel)"
)]
pub struct UnknownArch(pub String);

impl FromStr for Arch {
    type Err = UnknownArch;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Arch::ALL.into_iter().find(|a| a.name() == s).ok_or_else(|| UnknownArch(s.to_string()))
    }
}

/// How a failed system call reports its error to the guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorConvention {
    /// The return register holds `-errno` (riscv64, aarch64, arm).
    NegativeErrno,
    /// The return register holds `errno` and `flag` is set to 1 (0 on
    /// success): mips o32's `a3`.
    FlagSlot { flag: Slot },
    /// The return register holds `errno` and bit `bit` of `cr` is set (clear
    /// on success): ppc64's CR0.SO.
    FlagBit { cr: Slot, bit: u32 },
}

/// A system-call ABI, as data.
#[derive(Clone, Copy, Debug)]
pub struct SyscallAbi {
    /// Slot holding the syscall number.
    pub number: Slot,
    /// Slots holding the arguments, in order. Arguments past
    /// `args.len()` are read from the user stack at `stack_args_offset`.
    pub args: &'static [Slot],
    /// Offset from the stack pointer of the fifth argument, for ABIs that
    /// pass more arguments on the stack (mips o32).
    pub stack_args_offset: Option<u64>,
    /// Slot receiving the return value.
    pub ret: Slot,
    pub error: ErrorConvention,
    /// `(guest number, syscall)` pairs.
    pub table: &'static [(u32, Sysno)],
}

impl SyscallAbi {
    /// Look up a guest syscall number.
    pub fn lookup(&self, nr: u64) -> Option<Sysno> {
        self.table.iter().find(|&&(n, _)| n as u64 == nr).map(|&(_, s)| s)
    }

    /// The system call whose number `cpu` holds (as it stands at a system
    /// call instruction).
    pub fn call_in(&self, cpu: &CpuState) -> Option<Sysno> {
        self.lookup(cpu.regs[self.number.0 as usize])
    }
}

/// A guest copy routine for the `portal` write path: the kernel stages
/// device bytes in a portal page and runs this code so that they reach the
/// guest buffer through ordinary guest loads and stores.
///
/// Contract: the kernel saves the whole CPU state, sets `src`, `dst` and
/// `len`, maps `code` read-only and executable, and starts at its first
/// byte. The stub copies `len` bytes from `src` to `dst` and ends with a
/// system call as its last instruction (number [`PORTAL_DONE_SYSCALL`] in
/// the ABI's number slot): it is done when the engine stops with a system
/// call at `code.len()` bytes past the start. The kernel then restores the
/// saved state; only the retired instructions remain counted. A fault in
/// the stub aborts the copy.
#[derive(Clone, Copy, Debug)]
pub struct PortalStub {
    /// Machine code, in the guest's byte order.
    pub code: &'static [u8],
    pub src: Slot,
    pub dst: Slot,
    pub len: Slot,
}

/// A stub's instruction words as machine code in `endian` byte order;
/// `B` must be four times `N` (checked when the constant is built).
pub const fn stub_code<const N: usize, const B: usize>(
    words: &[u32; N],
    endian: Endian,
) -> [u8; B] {
    assert!(B == 4 * N, "four code bytes per instruction word");
    let mut out = [0u8; B];
    let mut i = 0;
    while i < N {
        let b = match endian {
            Endian::Little => words[i].to_le_bytes(),
            Endian::Big => words[i].to_be_bytes(),
        };
        out[4 * i] = b[0];
        out[4 * i + 1] = b[1];
        out[4 * i + 2] = b[2];
        out[4 * i + 3] = b[3];
        i += 1;
    }
    out
}

/// The Bohr-private system call number a portal stub ends with. No Linux
/// ABI uses it, and the kernel never dispatches it.
pub const PORTAL_DONE_SYSCALL: u64 = 2047;

/// A page the kernel maps read-only and executable at a fixed address in
/// every process of an arch, above the user address range (ARM's kuser
/// helpers at 0xffff0000). The guest cannot unmap or change it.
#[derive(Clone, Copy, Debug)]
pub struct FixedPage {
    pub addr: u64,
    /// Its contents, one page long.
    pub bytes: &'static [u8],
    /// Its name in `/proc/<pid>/maps` (Linux's, e.g. `[vectors]`).
    pub name: &'static str,
}

pub use crate::ir::{PC_STATE_SHIFT, pc_address};

/// Per-ISA decoding and lifting.
pub trait Frontend: Send + Sync {
    fn arch(&self) -> Arch;

    /// Longest instruction in bytes; the translator hands at least this many
    /// bytes to `lift_insn` whenever they are fetchable.
    fn max_insn_len(&self) -> usize;

    /// Length in bytes of the instruction starting at `bytes[0]`, as far as
    /// its first bytes tell (the first halfword for riscv64's compressed
    /// forms); a tool that walks code, such as a test harness, steps by it.
    /// Fixed-width ISAs keep the default.
    fn insn_len(&self, _bytes: &[u8]) -> usize {
        self.max_insn_len()
    }

    /// Name of the decode-table row the instruction starting at `bytes`
    /// hits, if it decodes.
    fn encoding_name(&self, bytes: &[u8]) -> Option<&'static str>;

    /// The name of every decode-table row.
    fn encoding_names(&self) -> Vec<&'static str>;

    /// Capstone's text and length for the instruction at the start of
    /// `bytes` (memory order) located at `pc`, in this arch's mode and byte
    /// order; `None` when capstone cannot decode it.
    fn disassemble(&self, pc: u64, bytes: &[u8]) -> Option<(String, usize)>;

    /// Lift the one instruction at `pc` into `b`. `bytes` starts at `pc` and
    /// holds every fetchable byte up to `max_insn_len` (fewer near the end of
    /// executable memory). The lifter must start with `b.insn(pc, len)`, and
    /// must terminate the block (`b.exit`) after control transfers, system
    /// calls and traps. An instruction it cannot decode, or that needs bytes
    /// that are not there, lifts to a trap; lifting never panics.
    fn lift_insn(&self, pc: u64, bytes: &[u8], b: &mut BlockBuilder);

    /// The execution mode this frontend lifts for, where an arch has
    /// process-wide modes that change what instructions mean (mips: the
    /// FPU mode, as `PR_GET_FP_MODE` reports it); 0 elsewhere. A process
    /// in mode `m` runs [`frontend_for_mode`]`(arch, m)`.
    fn mode(&self) -> u32 {
        0
    }

    /// The address of the bytes of the instruction at `pc`: `pc` itself,
    /// except where a frontend keeps execution state in pc bits (armel's
    /// Thumb bit).
    fn fetch_addr(&self, pc: u64) -> u64 {
        pc
    }

    /// Called once before a block's first instruction with the bytes right
    /// before `pc` (`before.len()` of them are fetchable, up to 4), for
    /// frontends whose lifting of a block's start depends on what precedes
    /// it: a mips block can begin in a branch delay slot only after a
    /// branch. It may record what it learns in `b`'s note.
    fn begin_block(&self, _pc: u64, _before: &[u8], _b: &mut BlockBuilder) {}

    /// The system-call ABI.
    fn syscall_abi(&self) -> &'static SyscallAbi;

    /// Slot of the stack pointer.
    fn stack_pointer(&self) -> Slot;

    /// Name of a state slot, for traces and `--dump-ir`.
    fn slot_name(&self, slot: Slot) -> Option<&'static str>;

    /// Does `slot` always hold a zero-extended 32-bit value (the registers
    /// of a 32-bit ISA)? The JIT then loads it as a word, and operations on
    /// it can run in 32 bits. Every write to such a slot, by the lifter and
    /// by the kernel, must keep the upper half zero.
    fn slot_is_word(&self, _slot: Slot) -> bool {
        false
    }

    /// A slot that holds zero whenever an instruction starts that writes
    /// it something other than the constant zero without reading it (mips:
    /// the pending delay-slot branch, nonzero only between a branch and its
    /// slot). The JIT may then leave such a write out of `CpuState` until
    /// the next instruction is done, and have a fault of that instruction's
    /// direct access resume at the writer, which runs again from the same
    /// state (see `jit::lower`). The kernel must keep it so too.
    fn transient_slot(&self) -> Option<Slot> {
        None
    }

    /// An architectural value the frontend keeps in a derived form in its
    /// slots, by name (aarch64 keeps its NZCV flags the way its lifter
    /// computes them cheaply); `None` when `name` is no such value. Tests
    /// read and write registers through these names.
    fn read_view(&self, _cpu: &CpuState, _name: &str) -> Option<u64> {
        None
    }

    /// Set such a value; false when `name` is no such value.
    fn write_view(&self, _cpu: &mut CpuState, _name: &str, _value: u64) -> bool {
        false
    }

    /// Set up registers at process start, after the loader has built the
    /// stack. `entry` is the instruction address (descriptors already
    /// resolved); `toc` is the ppc64 ELFv1 TOC pointer when one exists.
    fn init_registers(&self, cpu: &mut CpuState, entry: u64, sp: u64, toc: Option<u64>);

    /// Set the thread pointer (TLS) register, if the ISA has one in a slot.
    fn set_thread_pointer(&self, cpu: &mut CpuState, tp: u64);

    /// Drop the load-reserved / load-exclusive reservation. The kernel
    /// calls it whenever another thread of the address space may have run
    /// since this one last did, so a store-conditional that straddles a
    /// thread switch fails, as it does on a real core after a context
    /// switch (Linux clears the monitor on every exception return).
    fn clear_reservation(&self, cpu: &mut CpuState);

    /// The `AT_HWCAP` auxiliary vector entry: the optional features this
    /// frontend implements, in the kernel's bits for the arch.
    fn hwcap(&self) -> u64 {
        0
    }

    /// The copy stub of the `portal` write path; `None` until the arch has
    /// one (the machine then refuses `portal` cells for it).
    fn portal_copy_stub(&self) -> Option<&'static PortalStub> {
        None
    }

    /// Pages the kernel maps in every process (see [`FixedPage`]).
    fn fixed_pages(&self) -> &'static [&'static FixedPage] {
        &[]
    }
}

/// The frontend for `arch`, if Bohr has one yet.
pub fn frontend_for(arch: Arch) -> Option<&'static dyn Frontend> {
    match arch {
        Arch::Riscv64 => Some(&riscv64::Riscv64),
        Arch::Aarch64 => Some(&aarch64::Aarch64),
        Arch::Mipsel => Some(&mips::MIPSEL),
        Arch::Mipseb => Some(&mips::MIPSEB),
        Arch::Powerpc64 => Some(&powerpc64::Powerpc64),
        Arch::Armel => Some(&arm::Arm),
    }
}

/// The frontend for `arch` in execution mode `mode` (see
/// [`Frontend::mode`]); arches without modes ignore it.
pub fn frontend_for_mode(arch: Arch, mode: u32) -> Option<&'static dyn Frontend> {
    match arch {
        Arch::Mipsel | Arch::Mipseb => Some(mips::frontend(arch.endian(), mode)),
        _ => frontend_for(arch),
    }
}

/// Architectures that have a frontend.
pub fn supported_arches() -> Vec<Arch> {
    Arch::ALL.into_iter().filter(|&a| frontend_for(a).is_some()).collect()
}

/// Disassemble the instruction at the start of `bytes` (memory order),
/// located at `pc`, with capstone in `arch`'s mode and byte order (riscv64
/// with compressed instructions, big-endian powerpc64, mips in either byte
/// order, ARM state for armel). Returns its text and length, or `None` when capstone cannot
/// decode it or the arch has no frontend.
pub fn disassemble(arch: Arch, pc: u64, bytes: &[u8]) -> Option<(String, usize)> {
    frontend_for(arch)?.disassemble(pc, bytes)
}
