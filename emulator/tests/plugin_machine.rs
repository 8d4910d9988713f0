//! Instrumentation on whole machines: observation does not change the run
//! (traced and untraced outcomes and fingerprints are equal, with and
//! without resets), both engines give the same callback sequence, and the
//! trace recorder finds where the `host` and `portal` write paths part.

mod machine_support;

use bohr_emu::arch::supported_arches;
use bohr_emu::engine::EngineKind;
use bohr_emu::machine::{MachineConfig, Outcome, RunControl, WritePath, run_script_instrumented};
use bohr_emu::plugin::counters::Counters;
use bohr_emu::plugin::coverage::Coverage;
use bohr_emu::plugin::execlog::{ExecLog, ExecLogOptions};
use bohr_emu::plugin::memlog::MemLog;
use bohr_emu::plugin::trace::{Recorder, first_divergence};
use bohr_emu::plugin::*;
use machine_support::*;

fn run_with(cfg: &MachineConfig, text: &str, host: PluginHost) -> (Outcome, PluginHandle) {
    let host = host.into_handle();
    let o =
        run_script_instrumented(cfg, "test.sh", text, &RunControl::default(), Some(host.clone()))
            .unwrap_or_else(|e| panic!("script rejected: {e}"));
    (o, host)
}

/// Every callback as a line of text, in order.
#[derive(Default)]
struct Sequence {
    texts: Vec<String>,
    lines: Vec<String>,
    /// Request a reset at every `reset_every`-th instruction (0: never).
    reset_every: u64,
    insns: u64,
}

impl Plugin for Sequence {
    fn translate(&mut self, _cx: &mut Cx, block: &BlockInfo, plan: &mut Plan) {
        for (i, insn) in block.insns.iter().enumerate() {
            let data = self.texts.len() as u64;
            self.texts.push(format!("{:#x} {}", insn.pc, insn.disasm(block.arch)));
            plan.on_insn(i, data);
            plan.on_mem(i, data);
        }
    }
    fn insn(&mut self, cx: &mut Cx, e: &InsnEvent) {
        self.lines.push(format!("{} {}", e.pid, self.texts[e.data as usize]));
        self.insns += 1;
        if self.reset_every != 0 && self.insns.is_multiple_of(self.reset_every) {
            cx.request_reset();
        }
    }
    fn mem(&mut self, _cx: &mut Cx, e: &MemEvent) {
        // Not `data`: it indexes this plugin's own table, which fills in
        // translation order, and the JIT translates ahead.
        let MemEvent { pid, pc, addr, value, size, store, data: _ } = *e;
        self.lines.push(format!("  {pid} {pc:#x} [{addr:#x}] {value:#x} {size} {store}"));
    }
    fn syscall_entry(&mut self, _cx: &mut Cx, e: &SyscallEntry) {
        self.lines.push(format!("{e:?}"));
    }
    fn syscall_exit(&mut self, _cx: &mut Cx, e: &SyscallExit) {
        self.lines.push(format!("{e:?}"));
    }
    fn host_write(&mut self, _cx: &mut Cx, e: &HostWrite) {
        self.lines.push(format!("{e:?}"));
    }
    fn fault(&mut self, _cx: &mut Cx, e: &FaultEvent) {
        self.lines.push(format!("{e:?}"));
    }
    fn process_start(&mut self, _cx: &mut Cx, e: &ProcessStart) {
        self.lines.push(format!("{e:?}"));
    }
    fn process_exit(&mut self, _cx: &mut Cx, e: &ProcessExit) {
        self.lines.push(format!("{e:?}"));
    }
}

/// Small scripts with system calls, faults, host writes into code and
/// self-modifying code.
const SCRIPTS: [&str; 2] = ["mtd_badbuf", "smc"];

#[test]
fn observation_does_not_change_the_run() {
    for arch in supported_arches() {
        for engine in ENGINES {
            for wp in [WritePath::Host, WritePath::Portal] {
                for name in SCRIPTS {
                    let cfg = cell(arch, engine, wp);
                    let text = script(name);
                    let plain = run(&cfg, &text);
                    let what = format!("{arch} {engine} {wp} {name}");

                    let mut host = PluginHost::new();
                    let log = host.add(ExecLog::in_memory(ExecLogOptions::default()));
                    host.add(Counters::default());
                    host.add(Coverage::default());
                    host.add(MemLog::in_memory());
                    host.add(Recorder::new(1 << 20));
                    let (traced, host) = run_with(&cfg, &text, host);
                    assert_eq!(guest_view(&traced), guest_view(&plain), "{what}: traced");
                    assert!(host.borrow_mut().get(log).lines() > 500, "{what}: execlog ran");

                    // Resets every 97 instructions flush translations in the
                    // middle of blocks, system calls and portal copies.
                    let mut host = PluginHost::new();
                    host.add(Sequence { reset_every: 97, ..Default::default() });
                    let (reset, host) = run_with(&cfg, &text, host);
                    assert!(host.borrow().resets() > 5, "{what}: resets happened");
                    assert_eq!(
                        engine_neutral_view(&reset),
                        engine_neutral_view(&plain),
                        "{what}: with resets"
                    );
                    assert_eq!(reset.fingerprint, plain.fingerprint, "{what}: fingerprint");
                }
            }
        }
    }
}

#[test]
fn engines_give_the_same_callback_sequence() {
    for arch in supported_arches() {
        for wp in [WritePath::Host, WritePath::Portal] {
            for name in SCRIPTS {
                for reset_every in [0, 61] {
                    let seqs: Vec<Vec<String>> = ENGINES
                        .iter()
                        .map(|&engine| {
                            let mut host = PluginHost::new();
                            let id = host.add(Sequence { reset_every, ..Default::default() });
                            let (_, host) = run_with(&cell(arch, engine, wp), &script(name), host);
                            std::mem::take(&mut host.borrow_mut().get(id).lines)
                        })
                        .collect();
                    let what = format!("{arch} {wp} {name} reset every {reset_every}");
                    assert!(seqs[0].len() > 500, "{what}: {} callbacks", seqs[0].len());
                    if let Some(i) = (0..seqs[0].len()).find(|&i| seqs[0].get(i) != seqs[1].get(i))
                    {
                        panic!(
                            "{what}: callback {i} differs\ninterp: {:?}\njit:    {:?}",
                            seqs[0].get(i),
                            seqs[1].get(i)
                        );
                    }
                    assert_eq!(seqs[0].len(), seqs[1].len(), "{what}");
                }
            }
        }
    }
}

#[test]
fn counters_match_the_machine_instruction_counts() {
    for arch in supported_arches() {
        let cfg = cell(arch, EngineKind::Jit, WritePath::Portal);
        let mut host = PluginHost::new();
        let id = host.add(Counters::default());
        let (o, host) = run_with(&cfg, &script("mtd_proc"), host);
        assert_eq!(o.exit_code, 0, "{arch}: {}", stderr(&o));
        let mut host = host.borrow_mut();
        let counts = host.get(id).counts().clone();
        let pids: Vec<u32> = o.processes.iter().map(|p| p.pid).collect();
        assert_eq!(counts.keys().copied().collect::<Vec<_>>(), pids, "{arch}");
        for p in &o.processes {
            assert_eq!(counts[&p.pid].insns, p.insns, "{arch}: pid {} ({})", p.pid, p.name);
            assert!(counts[&p.pid].blocks > 10, "{arch}: pid {}", p.pid);
        }
    }
}

fn record(cfg: &MachineConfig, name: &str) -> bohr_emu::plugin::trace::Trace {
    let mut host = PluginHost::new();
    let id = host.add(Recorder::new(1 << 22));
    let (_, host) = run_with(cfg, &script(name), host);
    let mut host = host.borrow_mut();
    std::mem::replace(host.get(id), Recorder::new(0)).into_trace()
}

#[test]
fn host_and_portal_part_where_the_host_writes_into_code() {
    for arch in supported_arches() {
        let host = record(&cell(arch, EngineKind::Jit, WritePath::Host), "mtd_badbuf");
        let portal = record(&cell(arch, EngineKind::Jit, WritePath::Portal), "mtd_badbuf");
        assert!(!host.truncated && !portal.truncated);
        let d = first_divergence(&host, &portal).expect("the write paths differ");
        // `badbuf stack` (pid 2) agrees; `badbuf code` (pid 3) reads into
        // its own code: the host writes it, the portal stub faults.
        assert_eq!((d.pid, d.what), (3, "event"), "{arch}: {}", d.detail);
        assert!(
            d.detail.contains("host write") && d.detail.contains("into a code page"),
            "{arch}: {}",
            d.detail
        );
        assert!(
            d.detail.contains("fault SIGSEGV write") && d.detail.contains("EFAULT"),
            "{arch}: {}",
            d.detail
        );
        // The same cell agrees with itself, and with the other engine.
        let again = record(&cell(arch, EngineKind::Interp, WritePath::Host), "mtd_badbuf");
        if let Some(d) = first_divergence(&host, &again) {
            panic!(
                "{arch}: interp and jit records differ at pid {} #{}: {}",
                d.pid, d.index, d.detail
            );
        }
    }
}

#[test]
fn a_trace_reaching_its_limit_says_so() {
    let t = {
        let mut host = PluginHost::new();
        let id = host.add(Recorder::new(100));
        let (_, host) = run_with(&riscv(EngineKind::Jit), &script("smc"), host);
        let mut host = host.borrow_mut();
        std::mem::replace(host.get(id), Recorder::new(0)).into_trace()
    };
    assert!(t.truncated);
    assert_eq!(t.procs.values().map(|p| p.items.len()).sum::<usize>(), 100);
}
