//! The execlog plugin: one line per executed instruction, in the format of
//! QEMU's execlog plugin:
//!
//! ```text
//! 2, 0x10078, 0x00053503, "ld a0, 0(a0)", load, 0x3ffffffe30
//! ```
//!
//! that is `cpu, pc, opcode, "disasm"[, load|store, addr]...`, where `cpu`
//! is the guest pid, `opcode` the instruction word in the guest's byte
//! order and the disassembly capstone's (through `arch::disassemble`).
//! Memory accesses attach to the line of the instruction that made them,
//! so a line is written when the next instruction starts (or at a system
//! call, fault, exit or the end of the run).
//!
//! Limits: a pid, a pc range (decided at translation time: instructions
//! outside it get no callback at all) and a range of instruction numbers
//! per process (every instruction is counted, only those in range print).

use std::collections::BTreeMap;

use super::{BlockInfo, Cx, FaultEvent, InsnEvent, MemEvent, Plan, Plugin, ProcessExit, Sink};
use super::{SyscallEntry, SyscallExit};

/// What to log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExecLogOptions {
    /// Only this process.
    pub pid: Option<u32>,
    /// Only instructions with `lo <= pc < hi`.
    pub pc_range: Option<(u64, u64)>,
    /// First instruction number (per process, from 0) to print.
    pub from: u64,
    /// Instruction number (per process) to stop printing at (exclusive).
    pub to: Option<u64>,
}

/// Format the start of an execlog line.
pub fn format_insn(pid: u32, pc: u64, opcode: u64, len: usize, disasm: &str) -> String {
    let width = 2 + 2 * len.clamp(1, 8);
    format!("{pid}, {pc:#x}, {opcode:#0width$x}, \"{disasm}\"")
}

/// Append one memory access to an execlog line.
pub fn format_access(line: &mut String, store: bool, addr: u64) {
    use std::fmt::Write as _;
    let kind = if store { "store" } else { "load" };
    // Writing to a String cannot fail.
    let _ = write!(line, ", {kind}, {addr:#x}");
}

/// An instruction as translated: its line prefix is built once.
#[derive(Debug)]
struct Entry {
    pid: u32,
    pc: u64,
    opcode: u64,
    len: usize,
    disasm: String,
}

/// The execlog plugin.
#[derive(Debug)]
pub struct ExecLog {
    opts: ExecLogOptions,
    sink: Sink,
    error: Option<std::io::Error>,
    /// Translated instructions; hook data indexes it.
    entries: Vec<Entry>,
    /// Instructions started, per process.
    counts: BTreeMap<u32, u64>,
    /// The line of the instruction in progress, if it prints.
    pending: Option<String>,
    lines: u64,
}

impl ExecLog {
    pub fn new(opts: ExecLogOptions, sink: Sink) -> Self {
        ExecLog {
            opts,
            sink,
            error: None,
            entries: Vec::new(),
            counts: BTreeMap::new(),
            pending: None,
            lines: 0,
        }
    }

    /// An execlog kept in memory ([`ExecLog::output`]).
    pub fn in_memory(opts: ExecLogOptions) -> Self {
        Self::new(opts, Sink::Memory(Vec::new()))
    }

    /// The log so far, for an in-memory execlog.
    pub fn output(&self) -> &[u8] {
        self.sink.contents()
    }

    /// Lines written.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// The first error writing the log, if any.
    pub fn error(&self) -> Option<&std::io::Error> {
        self.error.as_ref()
    }

    fn flush_pending(&mut self) {
        if let Some(line) = self.pending.take() {
            self.sink.write_line(&line, &mut self.error);
            self.lines += 1;
        }
    }

    fn wanted_pc(&self, pc: u64) -> bool {
        self.opts.pc_range.is_none_or(|(lo, hi)| lo <= pc && pc < hi)
    }
}

impl Plugin for ExecLog {
    fn translate(&mut self, cx: &mut Cx, block: &BlockInfo, plan: &mut Plan) {
        if self.opts.pid.is_some_and(|p| p != cx.pid()) {
            return;
        }
        for (i, insn) in block.insns.iter().enumerate() {
            if !self.wanted_pc(insn.pc) {
                continue;
            }
            let data = self.entries.len() as u64;
            self.entries.push(Entry {
                pid: cx.pid(),
                pc: insn.pc,
                opcode: insn.opcode(block.arch),
                len: insn.bytes.len(),
                disasm: insn.disasm(block.arch),
            });
            plan.on_insn(i, data);
            plan.on_mem(i, data);
        }
    }

    fn insn(&mut self, _cx: &mut Cx, e: &InsnEvent) {
        self.flush_pending();
        let n = self.counts.entry(e.pid).or_insert(0);
        let index = *n;
        *n += 1;
        if index < self.opts.from || self.opts.to.is_some_and(|to| index >= to) {
            return;
        }
        let entry = &self.entries[e.data as usize];
        debug_assert_eq!((entry.pid, entry.pc), (e.pid, e.pc));
        self.pending = Some(format_insn(e.pid, e.pc, entry.opcode, entry.len, &entry.disasm));
    }

    fn mem(&mut self, _cx: &mut Cx, e: &MemEvent) {
        if let Some(line) = &mut self.pending {
            format_access(line, e.store, e.addr);
        }
    }

    fn syscall_entry(&mut self, _cx: &mut Cx, _e: &SyscallEntry) {
        self.flush_pending();
    }

    fn syscall_exit(&mut self, _cx: &mut Cx, _e: &SyscallExit) {
        self.flush_pending();
    }

    fn fault(&mut self, _cx: &mut Cx, _e: &FaultEvent) {
        self.flush_pending();
    }

    fn process_exit(&mut self, _cx: &mut Cx, _e: &ProcessExit) {
        self.flush_pending();
    }

    fn finish(&mut self) {
        self.flush_pending();
        self.sink.flush(&mut self.error);
    }
}
