//! The typed event log: what a run should tell its user, beyond output.
//!
//! Engines, the kernel and devices push [`Event`]s; reports render them.
//! Every field is deterministic (guest addresses and counts only).

use std::fmt;

/// Something a cell should know about.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Event {
    /// The guest called a system call Bohr does not implement.
    UnsupportedSyscall { pid: u32, pc: u64, number: u64, name: Option<String> },
    /// An instruction could not be decoded or is not supported.
    IllegalInstruction { pid: u32, pc: u64, bytes: Vec<u8> },
    /// A guest fault delivered as a fatal signal.
    GuestFault { pid: u32, signal: u32, addr: u64, pc: u64, access: &'static str },
    /// A trap instruction delivered as a fatal signal.
    GuestTrap { pid: u32, signal: u32, pc: u64 },
    /// A host-side write (a write path) hit a page holding translated code
    /// or mapped executable (an executable stack, as `PT_GNU_STACK` `RWE`
    /// makes on mips, counts too).
    HostWriteCodePage { pid: u32, addr: u64, len: u64 },
    /// A host-side write hit a page the guest cannot write.
    HostWriteReadOnly { pid: u32, addr: u64, len: u64 },
    /// Translated blocks were discarded because their code was written.
    BlocksInvalidated { pid: u32, page: u64, blocks: u64 },
    /// The run hit its instruction limit.
    InstructionLimit { pid: u32, pc: u64, insns: u64 },
    /// A resource limit of the world (`memory`, `tasks` or `disk`) refused
    /// a request of `pid` for the first time in the run.
    LimitReached { pid: u32, resource: &'static str, limit: u64 },
}

impl Event {
    /// Stable kebab-case name, used by `events_none` in matrices.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::UnsupportedSyscall { .. } => "unsupported-syscall",
            Event::IllegalInstruction { .. } => "illegal-instruction",
            Event::GuestFault { .. } => "guest-fault",
            Event::GuestTrap { .. } => "guest-trap",
            Event::HostWriteCodePage { .. } => "host-write-code-page",
            Event::HostWriteReadOnly { .. } => "host-write-read-only",
            Event::BlocksInvalidated { .. } => "blocks-invalidated",
            Event::InstructionLimit { .. } => "instruction-limit",
            Event::LimitReached { .. } => "limit-reached",
        }
    }

    /// Every kind name, for validating matrices.
    pub const KINDS: [&'static str; 9] = [
        "unsupported-syscall",
        "illegal-instruction",
        "guest-fault",
        "guest-trap",
        "host-write-code-page",
        "host-write-read-only",
        "blocks-invalidated",
        "instruction-limit",
        "limit-reached",
    ];
}

/// Linux signal names for the signals Bohr delivers.
pub fn signal_name(sig: u32) -> &'static str {
    match sig {
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        15 => "SIGTERM",
        _ => "SIG?",
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.kind();
        match self {
            Event::UnsupportedSyscall { pid, pc, number, name } => write!(
                f,
                "{kind}: pid {pid} pc {pc:#x} syscall {number} ({})",
                name.as_deref().unwrap_or("unknown")
            ),
            Event::IllegalInstruction { pid, pc, bytes } => {
                write!(f, "{kind}: pid {pid} pc {pc:#x} bytes")?;
                for b in bytes {
                    write!(f, " {b:02x}")?;
                }
                Ok(())
            }
            Event::GuestFault { pid, signal, addr, pc, access } => write!(
                f,
                "{kind}: pid {pid} {} {access} at {addr:#x} pc {pc:#x}",
                signal_name(*signal)
            ),
            Event::GuestTrap { pid, signal, pc } => {
                write!(f, "{kind}: pid {pid} {} pc {pc:#x}", signal_name(*signal))
            }
            Event::HostWriteCodePage { pid, addr, len } => {
                write!(f, "{kind}: pid {pid} addr {addr:#x} len {len}")
            }
            Event::HostWriteReadOnly { pid, addr, len } => {
                write!(f, "{kind}: pid {pid} addr {addr:#x} len {len}")
            }
            Event::BlocksInvalidated { pid, page, blocks } => {
                write!(f, "{kind}: pid {pid} page {:#x} blocks {blocks}", page << 12)
            }
            Event::InstructionLimit { pid, pc, insns } => {
                write!(f, "{kind}: pid {pid} stopped at pc {pc:#x} after {insns} instructions")
            }
            Event::LimitReached { pid, resource, limit } => {
                let unit = if *resource == "tasks" { "" } else { " bytes" };
                write!(f, "{kind}: pid {pid} {resource} limit of {limit}{unit}")
            }
        }
    }
}
