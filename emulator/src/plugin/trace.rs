//! The trace recorder: a structured, per-process record of what a run did,
//! and the comparison of two records that `bohr diff` reports.
//!
//! Per process, in order: its start, every executed instruction with the
//! memory accesses it made (address, size, value), system calls with their
//! arguments and results, notable host writes, faults and its exit.
//!
//! The record is what the *guest* sees. Work the kernel does inside a
//! system call on the guest's behalf (the `portal` write path's copy stub,
//! plain host writes of device bytes) is the mechanism two cells compare,
//! not guest behaviour, so it is left out; what it leads to stays in:
//! the call's result, a host write that hit code or read-only memory or
//! failed, and a fault the kernel handled.
//!
//! [`first_divergence`] aligns two records process by process (by pid,
//! then by position) and finds the earliest point where they differ.

use std::collections::BTreeMap;

use super::execlog::{format_access, format_insn};
use super::{BlockInfo, Cx, FaultEvent, HostWrite, InsnEvent, InsnInfo, MemEvent, Plan, Plugin};
use super::{ProcessExit, ProcessStart, SyscallEntry, SyscallExit};
use crate::arch::Arch;
use crate::events::signal_name;
use crate::types::Errno;

/// One memory access of a recorded instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemRec {
    pub addr: u64,
    pub value: u64,
    pub size: u32,
    pub store: bool,
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ItemKind {
    Start {
        name: String,
    },
    /// `insn` indexes [`Trace::insns`].
    Insn {
        insn: u32,
        mems: Vec<MemRec>,
    },
    SyscallEntry {
        number: u64,
        name: Option<String>,
        args: [u64; 6],
    },
    SyscallExit {
        number: u64,
        name: Option<String>,
        result: Result<u64, Errno>,
    },
    HostWrite(HostWrite),
    Fault(FaultEvent),
    Exit {
        status: i32,
    },
}

/// One recorded item, with its position in the whole run.
#[derive(Clone, Debug)]
pub struct Item {
    /// Order of recording over all processes.
    pub seq: u64,
    pub kind: ItemKind,
}

/// The record of one process.
#[derive(Clone, Debug, Default)]
pub struct ProcTrace {
    pub items: Vec<Item>,
    in_syscall: bool,
}

/// A recorded run.
#[derive(Clone, Debug)]
pub struct Trace {
    pub arch: Option<Arch>,
    /// Translated instructions; [`ItemKind::Insn`] indexes it.
    pub insns: Vec<InsnInfo>,
    pub procs: BTreeMap<u32, ProcTrace>,
    /// Recording stopped at the limit.
    pub truncated: bool,
}

/// The recorder plugin; [`Recorder::trace`] is its result.
#[derive(Debug)]
pub struct Recorder {
    trace: Trace,
    limit: usize,
    recorded: usize,
    seq: u64,
}

impl Recorder {
    /// Record at most `limit` items (over all processes).
    pub fn new(limit: usize) -> Self {
        Recorder {
            trace: Trace {
                arch: None,
                insns: Vec::new(),
                procs: BTreeMap::new(),
                truncated: false,
            },
            limit,
            recorded: 0,
            seq: 0,
        }
    }

    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    pub fn into_trace(self) -> Trace {
        self.trace
    }

    fn push(&mut self, pid: u32, kind: ItemKind) {
        if self.recorded >= self.limit {
            self.trace.truncated = true;
            return;
        }
        self.recorded += 1;
        self.seq += 1;
        let item = Item { seq: self.seq, kind };
        self.trace.procs.entry(pid).or_default().items.push(item);
    }

    fn in_syscall(&self, pid: u32) -> bool {
        self.trace.procs.get(&pid).is_some_and(|p| p.in_syscall)
    }

    fn set_in_syscall(&mut self, pid: u32, v: bool) {
        self.trace.procs.entry(pid).or_default().in_syscall = v;
    }
}

impl Plugin for Recorder {
    fn translate(&mut self, _cx: &mut Cx, block: &BlockInfo, plan: &mut Plan) {
        self.trace.arch = Some(block.arch);
        for (i, insn) in block.insns.iter().enumerate() {
            let data = self.trace.insns.len() as u64;
            self.trace.insns.push(insn.clone());
            plan.on_insn(i, data);
            plan.on_mem(i, data);
        }
    }

    fn insn(&mut self, _cx: &mut Cx, e: &InsnEvent) {
        if !self.in_syscall(e.pid) {
            self.push(e.pid, ItemKind::Insn { insn: e.data as u32, mems: Vec::new() });
        }
    }

    fn mem(&mut self, _cx: &mut Cx, e: &MemEvent) {
        if self.in_syscall(e.pid) {
            return;
        }
        let last = self.trace.procs.get_mut(&e.pid).and_then(|p| p.items.last_mut());
        // An access comes right after its instruction's own callback; past
        // the recording limit there is no item to attach it to.
        if let Some(Item { kind: ItemKind::Insn { insn, mems }, .. }) = last
            && *insn as u64 == e.data
        {
            mems.push(MemRec { addr: e.addr, value: e.value, size: e.size, store: e.store });
        }
    }

    fn syscall_entry(&mut self, _cx: &mut Cx, e: &SyscallEntry) {
        let kind = ItemKind::SyscallEntry { number: e.number, name: e.name.clone(), args: e.args };
        self.push(e.pid, kind);
        self.set_in_syscall(e.pid, true);
    }

    fn syscall_exit(&mut self, _cx: &mut Cx, e: &SyscallExit) {
        self.set_in_syscall(e.pid, false);
        let kind =
            ItemKind::SyscallExit { number: e.number, name: e.name.clone(), result: e.result };
        self.push(e.pid, kind);
    }

    fn host_write(&mut self, _cx: &mut Cx, e: &HostWrite) {
        if e.failed || e.hit_code || e.hit_readonly {
            self.push(e.pid, ItemKind::HostWrite(*e));
        }
    }

    fn fault(&mut self, _cx: &mut Cx, e: &FaultEvent) {
        self.push(e.pid, ItemKind::Fault(*e));
    }

    fn process_start(&mut self, _cx: &mut Cx, e: &ProcessStart) {
        self.push(e.pid, ItemKind::Start { name: e.name.clone() });
    }

    fn process_exit(&mut self, _cx: &mut Cx, e: &ProcessExit) {
        self.set_in_syscall(e.pid, false);
        self.push(e.pid, ItemKind::Exit { status: e.status });
    }
}

fn result_text(r: &Result<u64, Errno>) -> String {
    match r {
        Ok(v) if *v < 1 << 32 => format!("{v}"),
        Ok(v) => format!("{v:#x}"),
        Err(e) => format!("-{e:?}"),
    }
}

fn syscall_name(name: &Option<String>, number: u64) -> String {
    name.clone().unwrap_or_else(|| format!("syscall_{number}"))
}

impl Trace {
    /// One line for `item` of process `pid`: instructions as execlog
    /// lines, everything else as a `#` comment.
    pub fn render(&self, pid: u32, item: &Item) -> String {
        match &item.kind {
            ItemKind::Insn { insn, mems } => {
                let info = &self.insns[*insn as usize];
                // An instruction was translated, so the arch is known.
                let arch = self.arch.expect("arch recorded with the first block");
                let mut line = format_insn(
                    pid,
                    info.pc,
                    info.opcode(arch),
                    info.bytes.len(),
                    &info.disasm(arch),
                );
                for m in mems {
                    format_access(&mut line, m.store, m.addr);
                }
                line
            }
            ItemKind::Start { name } => format!("# {pid}: start {name}"),
            ItemKind::SyscallEntry { number, name, args } => {
                let args: Vec<String> = args.iter().map(|a| format!("{a:#x}")).collect();
                format!("# {pid}: syscall {}({})", syscall_name(name, *number), args.join(", "))
            }
            ItemKind::SyscallExit { number, name, result } => {
                format!("# {pid}: {} = {}", syscall_name(name, *number), result_text(result))
            }
            ItemKind::HostWrite(w) => {
                let what = if w.failed {
                    "failed (EFAULT)"
                } else if w.hit_code {
                    "into a code page"
                } else {
                    "into a read-only page"
                };
                format!("# {pid}: {} write {:#x}+{} {what}", w.path, w.addr, w.len)
            }
            ItemKind::Fault(f) => {
                let at = f.addr.map_or(String::new(), |a| format!(" at {a:#x}"));
                let how = if f.handled { " (handled by the kernel: EFAULT)" } else { "" };
                format!(
                    "# {pid}: fault {} {}{at} pc {:#x}{how}",
                    signal_name(f.signal),
                    f.access,
                    f.pc
                )
            }
            ItemKind::Exit { status } => format!("# {pid}: exit {status}"),
        }
    }

    /// Values of the memory accesses of an instruction item, for messages.
    fn access_values(mems: &[MemRec]) -> String {
        let parts: Vec<String> = mems
            .iter()
            .map(|m| {
                let kind = if m.store { "store" } else { "load" };
                format!("{kind} [{:#x}] = {:#x}", m.addr, m.value)
            })
            .collect();
        if parts.is_empty() { "no memory access".into() } else { parts.join(", ") }
    }

    /// Items equal as the guest sees them (instructions by pc and bytes).
    fn same(&self, a: &Item, other: &Trace, b: &Item) -> bool {
        match (&a.kind, &b.kind) {
            (ItemKind::Insn { insn: ia, mems: ma }, ItemKind::Insn { insn: ib, mems: mb }) => {
                self.insns[*ia as usize] == other.insns[*ib as usize] && ma == mb
            }
            (x, y) => x == y,
        }
    }
}

/// Where two records first differ, for one process.
#[derive(Clone, Debug)]
pub struct Divergence<'t> {
    pub pid: u32,
    /// Position in the process's record.
    pub index: usize,
    /// What differs: "instruction", "memory value", "syscall",
    /// "syscall result", "event", "process start", "process exit", or
    /// "end of run" when one side has nothing more.
    pub what: &'static str,
    pub a: Option<&'t Item>,
    pub b: Option<&'t Item>,
    /// A sentence naming the difference.
    pub detail: String,
}

fn kind_name(k: &ItemKind) -> &'static str {
    match k {
        ItemKind::Start { .. } => "process start",
        ItemKind::Insn { .. } => "instruction",
        ItemKind::SyscallEntry { .. } => "syscall",
        ItemKind::SyscallExit { .. } => "syscall result",
        ItemKind::HostWrite(_) | ItemKind::Fault(_) => "event",
        ItemKind::Exit { .. } => "process exit",
    }
}

/// The first divergence of process `pid` between `a` and `b`.
fn diverge_proc<'t>(a: &'t Trace, b: &'t Trace, pid: u32) -> Option<Divergence<'t>> {
    let empty: &[Item] = &[];
    let ia = a.procs.get(&pid).map_or(empty, |p| &p.items);
    let ib = b.procs.get(&pid).map_or(empty, |p| &p.items);
    let index = ia.iter().zip(ib).position(|(x, y)| !a.same(x, b, y)).or_else(|| {
        // Equal as far as both go: they diverge where the shorter ends,
        // unless that record was cut at the limit (its run went on).
        let shorter = if ia.len() < ib.len() { a } else { b };
        (ia.len() != ib.len() && !shorter.truncated).then_some(ia.len().min(ib.len()))
    })?;
    let (xa, xb) = (ia.get(index), ib.get(index));
    let (what, detail) = match (xa, xb) {
        (Some(x), Some(y)) => match (&x.kind, &y.kind) {
            (ItemKind::Insn { insn: i, mems: ma }, ItemKind::Insn { insn: j, mems: mb })
                if a.insns[*i as usize] == b.insns[*j as usize] =>
            {
                let m = "memory value";
                (m, format!("A {} / B {}", Trace::access_values(ma), Trace::access_values(mb)))
            }
            (ItemKind::SyscallExit { .. }, ItemKind::SyscallExit { .. }) => (
                "syscall result",
                format!("A {} / B {}", a.render(pid, x), b.render(pid, y)).replace("# ", ""),
            ),
            (ka, kb) => {
                let what = if kind_name(ka) == kind_name(kb) { kind_name(ka) } else { "event" };
                (what, format!("A {} / B {}", a.render(pid, x), b.render(pid, y)))
            }
        },
        (Some(x), None) => ("end of run", format!("only A goes on: {}", a.render(pid, x))),
        (None, Some(y)) => ("end of run", format!("only B goes on: {}", b.render(pid, y))),
        (None, None) => unreachable!("index is below the longer record's length"),
    };
    Some(Divergence { pid, index, what, a: xa, b: xb, detail })
}

/// Every process's first divergence, earliest first: ordered by when the
/// last agreeing item happened in `a` (or `b` for a process `a` lacks).
pub fn divergences<'t>(a: &'t Trace, b: &'t Trace) -> Vec<Divergence<'t>> {
    let mut pids: Vec<u32> = a.procs.keys().chain(b.procs.keys()).copied().collect();
    pids.sort_unstable();
    pids.dedup();
    let mut out: Vec<(u64, Divergence)> = pids
        .into_iter()
        .filter_map(|pid| {
            let d = diverge_proc(a, b, pid)?;
            let side = if a.procs.contains_key(&pid) { a } else { b };
            let when = match d.index {
                0 => side.procs[&pid].items.first().map_or(0, |i| i.seq.saturating_sub(1)),
                i => side.procs[&pid].items[i - 1].seq,
            };
            Some((when, d))
        })
        .collect();
    out.sort_by_key(|(when, d)| (*when, d.pid));
    out.into_iter().map(|(_, d)| d).collect()
}

/// The earliest divergence between two records, if any.
pub fn first_divergence<'t>(a: &'t Trace, b: &'t Trace) -> Option<Divergence<'t>> {
    divergences(a, b).into_iter().next()
}

/// Up to `k` lines of `t`'s process `pid` ending with item `index` (or its
/// last items when it has none there).
pub fn context(t: &Trace, pid: u32, index: usize, k: usize) -> Vec<String> {
    let Some(p) = t.procs.get(&pid) else { return Vec::new() };
    let end = (index + 1).min(p.items.len());
    let start = end.saturating_sub(k.max(1));
    p.items[start..end].iter().map(|i| t.render(pid, i)).collect()
}
