//! Threads inside a machine cell: the committed glibc `threadtest`
//! (riscv64, static) runs as a cell's program. Its threads are scheduled
//! by the cell's deterministic scheduler exactly as processes: the same
//! cell gives one fingerprint over 20 runs, chaos seeds change the
//! interleaving the guest can see, and a deadlock is a typed outcome
//! naming each blocked thread. `sigthread` checks signals between threads
//! and job control's stop and continue under the cell's scheduler.

mod machine_support;

use bohr_emu::engine::EngineKind;
use bohr_emu::linux::thread::WaitReason;
use bohr_emu::machine::{MachineConfig, Stopped};
use machine_support::*;

fn program(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../guest/libc-tests/bin/riscv64")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn cfg(engine: EngineKind) -> MachineConfig {
    let mut c = riscv(engine);
    add_program(&mut c, "threadtest", program("threadtest-static"));
    add_program(&mut c, "deadlock", program("deadlock"));
    add_program(&mut c, "sigthread", program("sigthread"));
    c
}

#[test]
fn a_threaded_cell_has_one_fingerprint_over_twenty_runs() {
    for engine in ENGINES {
        let mut c = cfg(engine);
        c.quantum = 997;
        let mut prints = std::collections::BTreeSet::new();
        for _ in 0..20 {
            let o = run(&c, "threadtest cond; threadtest barrier");
            assert_eq!(
                stdout(&o),
                "consumed sum 20100 (expect 20100)\n\
                 barrier: arrived 12, serial threads 3, early leavers 0\n",
                "{}",
                guest_view(&o)
            );
            prints.insert(o.fingerprint);
        }
        eprintln!("notice: {engine:?}: 20 runs gave {} distinct fingerprint(s)", prints.len());
        assert_eq!(prints.len(), 1, "{engine:?}");
    }
}

#[test]
fn chaos_seeds_change_the_interleaving_the_guest_sees() {
    let mut seen = std::collections::BTreeSet::new();
    for seed in 1..=6 {
        let mut c = cfg(EngineKind::Interp);
        c.chaos = true;
        c.seed = seed;
        c.quantum = 500;
        let o = run(&c, "threadtest interleave");
        assert_eq!(o.exit_code, 0, "{}", guest_view(&o));
        let out = stdout(&o);
        assert_eq!(out.trim_end().len(), 63, "{out}");
        // The same seed twice: the same interleaving.
        assert_eq!(stdout(&run(&c, "threadtest interleave")), out);
        seen.insert(out);
    }
    assert!(seen.len() > 1, "every chaos seed gave the same interleaving: {seen:?}");
}

#[test]
fn a_deadlock_is_a_typed_outcome_naming_each_thread() {
    for engine in ENGINES {
        let o = run(&cfg(engine), "deadlock");
        let Some(Stopped::Deadlock { threads, .. }) = &o.stopped else {
            panic!("{engine:?}: no deadlock: {}", guest_view(&o));
        };
        let words: Vec<String> = stdout(&o).split_whitespace().map(String::from).collect();
        let addr = |s: &str| u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap();
        let (a, b) = (addr(&words[1]), addr(&words[3]));
        let tids: Vec<(u32, u32)> = threads.iter().map(|t| (t.pid, t.tid)).collect();
        let pid = threads[0].pid;
        assert_eq!(tids, [(pid, pid), (pid, pid + 1), (pid, pid + 2)], "{threads:?}");
        assert!(threads.iter().all(|t| t.name == "deadlock"), "{threads:?}");
        assert!(matches!(threads[0].wait, WaitReason::Futex { .. }), "{threads:?}");
        assert_eq!(threads[1].wait, WaitReason::Futex { addr: b }, "{threads:?}");
        assert_eq!(threads[2].wait, WaitReason::Futex { addr: a }, "{threads:?}");
    }
}

/// What Linux prints for `sigthread tkill pending migrate stop
/// stopthreads` (a native build of the same source, and QEMU).
const SIGTHREAD_LINUX: &str = "\
pthread_kill: 0, handler ran once 1, on the target thread 1, not on main 1
main sees USR1 (process) 1, USR2 (its own) 1
worker sees USR1 (process) 1, USR2 (main's) 0
after unblocking USR2: handled 1, still pending USR1 1 USR2 0
pending on the process before: 1, handled 0
delivered once 1, on the thread that unblocked it 1, pending after 0
self SIGTSTP: stopped by SIGTSTP
after SIGCONT: continued
self SIGTTIN: stopped by SIGTTIN
after SIGCONT: continued
self SIGTTOU: stopped by SIGTTOU
after SIGCONT: continued
SIGSTOP: stopped by SIGSTOP
WNOHANG while stopped: 0
end: exited 3
SIGCHLD codes: CLD_STOPPED CLD_CONTINUED CLD_STOPPED CLD_CONTINUED CLD_STOPPED CLD_CONTINUED CLD_STOPPED CLD_CONTINUED CLD_EXITED
self SIGTSTP: stopped by SIGTSTP
after SIGCONT: continued
self SIGTTIN: stopped by SIGTTIN
after SIGCONT: continued
self SIGTTOU: stopped by SIGTTOU
after SIGCONT: continued
SIGSTOP: stopped by SIGSTOP
WNOHANG while stopped: 0
end: exited 3
SIGCHLD codes: CLD_EXITED
child: ignored SIGTSTP and caught SIGTTOU (1) without stopping
child stopped itself: stopped by SIGSTOP
SIGKILL while stopped: killed by SIGKILL
threaded child: stopped by SIGSTOP
threaded child: exited 5
";

#[test]
fn signals_between_threads_and_stops_behave_as_linux_in_a_cell() {
    let script = "sigthread tkill\nsigthread pending\nsigthread migrate\nsigthread stop\nsigthread stopthreads\n";
    for engine in ENGINES {
        let mut c = cfg(engine);
        let o = run(&c, script);
        assert_eq!(stdout(&o), SIGTHREAD_LINUX, "{engine:?}\n{}", guest_view(&o));
        c.chaos = true;
        c.seed = 3;
        let o = run(&c, script);
        assert_eq!(stdout(&o), SIGTHREAD_LINUX, "{engine:?} chaos\n{}", guest_view(&o));
    }
}

#[test]
fn a_cell_whose_processes_are_all_stopped_is_a_deadlock_naming_them() {
    for engine in ENGINES {
        let o = run(&cfg(engine), "sigthread stopforever");
        let Some(Stopped::Deadlock { threads, .. }) = &o.stopped else {
            panic!("{engine:?}: no deadlock: {}", guest_view(&o));
        };
        assert_eq!(stdout(&o), "stopping\n");
        assert_eq!(threads.len(), 1, "{threads:?}");
        assert_eq!(threads[0].wait, WaitReason::Stopped { signal: "SIGSTOP" }, "{threads:?}");
        assert_eq!(threads[0].name, "sigthread", "{threads:?}");
    }
}
