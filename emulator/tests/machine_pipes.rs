//! Pipes and blocking: end of file, SIGPIPE, blocking and partial writes,
//! `nanosleep` on the shared virtual clock, and deadlock detection. The
//! syscall-level cases use small assembled riscv64 programs.

mod machine_support;

use bohr_emu::engine::EngineKind;
use bohr_emu::machine::{MachineConfig, Outcome, RunControl, Stopped, run_script};
use machine_support::*;

const O_NONBLOCK: i32 = 0o4000;
const EAGAIN: i32 = 11;

/// `fds = pipe2(flags)`: read end in S1, write end in S2 (x18).
const S2: u32 = 18;

fn pipe2(a: &mut Asm, flags: i32) {
    a.la_bss(S0, 0);
    a.mv(A0, S0);
    a.li(A1, flags);
    a.sys(nr::PIPE2);
    a.lw(S1, S0, 0);
    a.lw(S2, S0, 4);
}

/// Fail with exit `code` unless A0 == `want`.
fn expect(a: &mut Asm, want: i32, code: i32) {
    let ok = a.label();
    a.li(T0, want);
    a.beq(A0, T0, ok);
    a.exit(code);
    a.bind(ok);
}

/// Buffer space in the bss after the two descriptors.
const BUF: u64 = 8;

/// `write(fd register, buffer, len)`.
fn write(a: &mut Asm, fd: u32, len: i32) {
    a.mv(A0, fd);
    a.la_bss(A1, BUF);
    a.li(A2, len);
    a.sys(nr::WRITE);
}

/// `read(fd register, buffer, len)`.
fn read(a: &mut Asm, fd: u32, len: i32) {
    a.mv(A0, fd);
    a.la_bss(A1, BUF);
    a.li(A2, len);
    a.sys(nr::READ);
}

/// pipe2, write "ping", close the writer, read it back, then see EOF.
fn fdtest() -> Vec<u8> {
    let mut a = Asm::with_bss(4096);
    pipe2(&mut a, 0);
    expect(&mut a, 0, 10);
    let ping = a.data(b"ping\n");
    a.mv(A0, S2);
    a.la(A1, ping);
    a.li(A2, 5);
    a.sys(nr::WRITE);
    expect(&mut a, 5, 11);
    a.mv(A0, S2);
    a.sys(nr::CLOSE);
    read(&mut a, S1, 64);
    expect(&mut a, 5, 12);
    a.li(A0, 1);
    a.la_bss(A1, BUF);
    a.li(A2, 5);
    a.sys(nr::WRITE);
    read(&mut a, S1, 64);
    expect(&mut a, 0, 13);
    a.print("eof\n");
    a.exit(0);
    a.elf()
}

/// Non-blocking writes: partial above PIPE_BUF, all-or-nothing below.
fn nbwrite() -> Vec<u8> {
    let mut a = Asm::with_bss(80_000);
    pipe2(&mut a, O_NONBLOCK);
    expect(&mut a, 0, 10);
    write(&mut a, S2, 70_000);
    expect(&mut a, 65_536, 1);
    write(&mut a, S2, 10);
    expect(&mut a, -EAGAIN, 2);
    read(&mut a, S1, 100);
    expect(&mut a, 100, 3);
    write(&mut a, S2, 200);
    expect(&mut a, -EAGAIN, 4);
    write(&mut a, S2, 5000);
    expect(&mut a, 100, 5);
    a.print("nonblocking ok\n");
    a.exit(0);
    a.elf()
}

/// Write to a pipe whose read end is closed.
fn sigpipe() -> Vec<u8> {
    let mut a = Asm::with_bss(64);
    pipe2(&mut a, 0);
    a.mv(A0, S1);
    a.sys(nr::CLOSE);
    write(&mut a, S2, 1);
    a.exit(1);
    a.elf()
}

/// Read its own empty pipe while holding the write end: blocks forever.
fn selfread() -> Vec<u8> {
    let mut a = Asm::with_bss(64);
    pipe2(&mut a, 0);
    read(&mut a, S1, 1);
    a.exit(0);
    a.elf()
}

/// Sleep one virtual second between two clock readings.
fn sleeper() -> Vec<u8> {
    let mut a = Asm::with_bss(64);
    let req = a.data(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    a.li(A0, 1); // CLOCK_MONOTONIC
    a.la_bss(A1, 0);
    a.sys(nr::CLOCK_GETTIME);
    a.la(A0, req);
    a.li(A1, 0);
    a.sys(nr::NANOSLEEP);
    expect(&mut a, 0, 3);
    a.li(A0, 1);
    a.la_bss(A1, 16);
    a.sys(nr::CLOCK_GETTIME);
    a.la_bss(T2, 0);
    a.ld(T0, T2, 0);
    a.ld(T1, T2, 16);
    a.sub(T1, T1, T0);
    let early = a.label();
    a.li(T0, 1);
    a.blt(T1, T0, early);
    a.print("slept\n");
    a.exit(0);
    a.bind(early);
    a.print("early\n");
    a.exit(1);
    a.elf()
}

/// Print a line, compute a while (its reader blocks for more), close
/// standard output, then compute a while again before exiting: the reader
/// sees the end of file long before the exit.
fn closer() -> Vec<u8> {
    let mut a = Asm::with_bss(64);
    let spin = |a: &mut Asm| {
        a.li(T0, 100_000);
        let again = a.label();
        a.bind(again);
        a.addi(T0, T0, -1);
        a.bne(T0, ZERO, again);
    };
    a.print("closing\n");
    spin(&mut a);
    a.li(A0, 1);
    a.sys(nr::CLOSE);
    spin(&mut a);
    a.exit(0);
    a.elf()
}

fn cfg(engine: EngineKind) -> MachineConfig {
    let mut c = riscv(engine);
    add_program(&mut c, "fdtest", fdtest());
    add_program(&mut c, "nbwrite", nbwrite());
    add_program(&mut c, "sigpipe", sigpipe());
    add_program(&mut c, "selfread", selfread());
    add_program(&mut c, "sleeper", sleeper());
    add_program(&mut c, "closer", closer());
    c
}

#[test]
fn pipe2_transfers_then_reports_end_of_file() {
    for engine in ENGINES {
        let o = run(&cfg(engine), "fdtest; echo $?\ntrue | wc -c\necho hi | cat\n");
        assert_eq!(stdout(&o), "ping\neof\n0\n0\nhi\n", "{}", guest_view(&o));
    }
}

#[test]
fn nonblocking_writes_are_partial_or_atomic_like_linux() {
    for engine in ENGINES {
        let o = run(&cfg(engine), "nbwrite; echo $?");
        assert_eq!(stdout(&o), "nonblocking ok\n0\n", "{}", guest_view(&o));
    }
}

#[test]
fn blocking_writes_larger_than_the_pipe_complete() {
    // dd writes 200000 bytes per write(); a short write would show as a
    // partial record ("3+1 records out" or similar).
    let o = run(&cfg(EngineKind::Interp), "dd if=/dev/zero bs=200000 count=3 | wc -c");
    assert_eq!(stdout(&o), "600000\n");
    assert_eq!(stderr(&o), "3+0 records in\n3+0 records out\n");
}

#[test]
fn writers_without_readers_die_of_sigpipe() {
    let o = run(&cfg(EngineKind::Interp), "sigpipe; echo $?\nyes | head -n 1\n");
    assert_eq!(stdout(&o), "141\ny\n");
    let statuses: Vec<(&str, Option<i32>)> =
        o.processes.iter().map(|p| (p.name.as_str(), p.status)).collect();
    assert_eq!(
        statuses,
        [("sigpipe", Some(141)), ("echo", Some(0)), ("yes", Some(141)), ("head", Some(0))]
    );
    // A signal death is not a guest fault.
    assert!(o.events.is_empty(), "{}", events(&o));
}

#[test]
fn sleeping_jumps_the_clock_instead_of_spinning() {
    for engine in ENGINES {
        let o = run(&cfg(engine), "sleeper\nsleeper | cat\nyes | sleeper; echo $?\n");
        assert_eq!(stdout(&o), "slept\nslept\nslept\n0\n", "{}", guest_view(&o));
        let sleepers: Vec<u64> =
            o.processes.iter().filter(|p| p.name == "sleeper").map(|p| p.insns).collect();
        // A virtual second passed for each, with a few dozen instructions.
        assert_eq!(sleepers.len(), 3);
        assert!(sleepers.iter().all(|&n| n < 200), "{sleepers:?}");
        assert!(o.stats.insns < 1_000_000, "{}", o.stats.insns);
    }
}

#[test]
fn a_cell_where_nobody_can_run_stops_as_deadlocked() {
    for engine in ENGINES {
        let o = run(&cfg(engine), "echo before\nselfread\necho after\n");
        assert_eq!(stdout(&o), "before\n");
        assert!(matches!(o.stopped, Some(Stopped::Deadlock { pid: 3, .. })), "{:?}", o.stopped);
        assert_eq!(o.exit_code, 124);
        assert_eq!(o.processes.last().unwrap().status, None);
        // `yes` blocks on its full pipe and `selfread` on its own: the
        // lowest pid is reported.
        let o = run(&cfg(engine), "yes | selfread");
        assert!(matches!(o.stopped, Some(Stopped::Deadlock { pid: 2, .. })), "{:?}", o.stopped);
    }
}

/// A blocked call is not retried while nothing it waits on has changed
/// (`Process::retry_would_block`): the run is the one that retries at
/// every turn, to the schedule and fingerprint, with lanes or without, for
/// readers and writers of pipes, a reader whose writer closes the pipe
/// and runs on, a shell waiting for its children, sleepers, SIGPIPE and a
/// deadlock. Most turns of a long pipeline skip the retry: a
/// test of nothing would pass too.
#[test]
fn skipped_retries_give_the_run_that_retries_every_turn() {
    let text = "cat /dev/$MTD | strings -n 6 | sha256sum\n\
                yes ahead | head -c 300000 | wc -c\n\
                dd if=/dev/zero bs=200000 count=3 | wc -c\n\
                sleeper | cat; yes | sleeper; echo $?\n\
                sigpipe; echo $?\n\
                closer | cat\n\
                yes | selfread\n";
    let go = |cfg: &MachineConfig, lanes: usize, retry_every_turn: bool| -> Outcome {
        let ctl = RunControl { lanes, retry_every_turn, ..Default::default() };
        run_script(cfg, "test.sh", text, &ctl).unwrap_or_else(|e| panic!("{e}"))
    };
    for engine in ENGINES {
        let cfg = cfg(engine);
        let every = go(&cfg, 0, true);
        assert!(matches!(every.stopped, Some(Stopped::Deadlock { .. })), "{}", guest_view(&every));
        let out = stdout(&every);
        assert!(out.ends_with("\n300000\n600000\nslept\nslept\n0\n141\nclosing\n"), "{out}");
        assert_eq!(every.stats.retries_skipped, 0);
        for lanes in [0, 1] {
            let o = go(&cfg, lanes, false);
            assert_eq!(guest_view(&o), guest_view(&every), "{engine:?} with {lanes} lanes");
            assert!(
                o.stats.retries_skipped > 1000,
                "{engine:?}: {} retries skipped",
                o.stats.retries_skipped
            );
        }
    }
}
