//! Threads, futexes and timers in unmodified glibc programs: the committed
//! `threadtest` binaries of `guest/libc-tests/` (`threadtest CASE`, static
//! and dynamic) under `bohr exec -L /usr/<triple>` with both engines,
//! against `qemu-<arch>-static -L /usr/<triple>`; the thread cap and the
//! deadlock report, which QEMU cannot show (it has no cap and hangs), are
//! checked against their documented behaviour. QEMU or a missing cross
//! libc is a skip with a notice outside CI and a failure under `CI`.
//! `matrices/threads.toml` runs the same binaries as matrix cells, whose
//! fingerprints must not depend on `--jobs`.

#[path = "common/cells.rs"]
mod cells;
#[path = "common/cross.rs"]
mod cross;
#[path = "common/guest_cases.rs"]
mod guest_cases;

use std::path::{Path, PathBuf};
use std::process::Output;

use cross::{ARCHES, show, tools};

/// Cases whose output is the same under any schedule, on every arch.
const CASES: &[&str] = &["mutex", "cond", "barrier", "spin"];
/// Cases that also take signals with `sigtimedwait` and time out futexes.
const TIMER_CASES: &[&str] = &["timedwait", "timer"];
/// Arches whose dynamic binaries are compared too.
const DYNAMIC: &[&str] = &["riscv64", "aarch64"];

/// Where QEMU (7.2) departs from Linux: (arch, case, QEMU's line, Linux's
/// line). mips numbers `SI_TIMER` -3 (`SI_ASYNCIO` is its -2), and so
/// does its glibc; qemu-mips hands a timer's signal over with the
/// generic -2.
const QEMU_DEVIATIONS: &[(&str, &str, &str, &str)] = &[
    ("mipsel", "timer", "code SI_TIMER 0 value 42\n", "code SI_TIMER 1 value 42\n"),
    ("mipsel", "timer", "reached its thread: 0\n", "reached its thread: 1\n"),
    ("mipseb", "timer", "code SI_TIMER 0 value 42\n", "code SI_TIMER 1 value 42\n"),
    ("mipseb", "timer", "reached its thread: 0\n", "reached its thread: 1\n"),
];

/// QEMU's output with its known departures from Linux replaced by what
/// Linux prints (every occurrence).
fn as_linux(arch: &str, case: &str, mut out: Output) -> Output {
    for &(a, c, qemu, linux) in QEMU_DEVIATIONS {
        if a == arch && c == case {
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            assert!(text.contains(qemu), "{arch} {case}: QEMU no longer prints {qemu:?}: {text}");
            out.stdout = text.replace(qemu, linux).into_bytes();
        }
    }
    out
}

fn binary(root: &Path, arch: &str, name: &str) -> PathBuf {
    root.join("guest/libc-tests/bin").join(arch).join(name)
}

/// `bin ARGS` under `bohr exec -L /usr/<triple>`.
fn bohr_run(arch: &str, engine: &str, triple: &str, bin: &Path, args: &[&str]) -> Output {
    cross::bohr_run(arch, engine, Some(triple), bin, args)
}

#[test]
fn thread_programs_match_qemu() {
    let root = guest_cases::repo_root();
    let mut failures = Vec::new();
    let mut compared = 0;
    for &(arch, qemu_name, triple) in ARCHES {
        let Some(qemu) = tools(arch, qemu_name, triple) else { continue };
        for kind in ["static", "dynamic"] {
            // The dynamic binaries of the other arches run the same code
            // through ld.so; one kind each keeps the test quick.
            if kind == "dynamic" && !DYNAMIC.contains(&arch) {
                continue;
            }
            let bin = binary(&root, arch, &format!("threadtest-{kind}"));
            for &case in CASES.iter().chain(TIMER_CASES) {
                let want = as_linux(arch, case, cross::qemu_run(&qemu, Some(triple), &bin, [case]));
                assert_eq!(want.status.code(), Some(0), "{arch} {case}: qemu: {}", show(&want));
                for engine in ["interp", "jit"] {
                    let got = bohr_run(arch, engine, triple, &bin, &[case]);
                    compared += 1;
                    if got.stdout != want.stdout || got.status.code() != Some(0) {
                        failures.push(cross::difference(
                            &format!("{arch} {kind} {case} ({engine})"),
                            &want,
                            &got,
                        ));
                    }
                }
            }
        }
    }
    cross::assert_none_failed(&failures, compared, "differ");
}

/// `MAX_THREADS_PER_CELL` (256) threads beyond the first, then `EAGAIN`;
/// joining them frees the cap again.
#[test]
fn the_thread_cap_gives_eagain() {
    let root = guest_cases::repo_root();
    for &(arch, _, triple) in &ARCHES[..2] {
        for engine in ["interp", "jit"] {
            let bin = binary(&root, arch, "threadtest-static");
            let got = bohr_run(arch, engine, triple, &bin, &["many"]);
            assert_eq!(
                String::from_utf8_lossy(&got.stdout),
                "created 256 threads, then EAGAIN\nafter joining: ok\n",
                "{arch} {engine}: {}",
                show(&got)
            );
        }
    }
}

/// Two threads lock two mutexes in opposite order while main joins the
/// first: the run ends as a deadlock (status 124) that names all three
/// threads and the futex words each waits on.
#[test]
fn a_lock_order_deadlock_names_every_thread() {
    let root = guest_cases::repo_root();
    for &(arch, _, triple) in ARCHES {
        for engine in ["interp", "jit"] {
            let bin = binary(&root, arch, "deadlock");
            let got = bohr_run(arch, engine, triple, &bin, &[]);
            let out = String::from_utf8_lossy(&got.stdout).into_owned();
            let err = String::from_utf8_lossy(&got.stderr).into_owned();
            assert_eq!(got.status.code(), Some(124), "{arch} {engine}: {}", show(&got));
            // "a 0x... b 0x...": the futex words of the two mutexes.
            let words: Vec<&str> = out.split_whitespace().collect();
            assert_eq!(words.len(), 4, "{arch}: {out}");
            let (a, b) = (words[1], words[3]);
            assert!(err.contains("bohr: deadlock: every thread is blocked"), "{arch}: {err}");
            let lines: Vec<&str> = err.lines().filter(|l| l.contains(" waits on ")).collect();
            assert_eq!(lines.len(), 3, "{arch} {engine}: {err}");
            assert!(lines[0].contains("pid 1 tid 1 "), "{arch}: {err}");
            assert!(lines[1].contains("pid 1 tid 2 "), "{arch}: {err}");
            assert!(lines[2].contains("pid 1 tid 3 "), "{arch}: {err}");
            assert!(lines.iter().all(|l| l.contains("waits on futex 0x")), "{arch}: {err}");
            assert!(lines[1].ends_with(&format!("futex {b}")), "{arch}: {err}");
            assert!(lines[2].ends_with(&format!("futex {a}")), "{arch}: {err}");
        }
    }
}

/// Threaded cells (every arch, six cases, two of them under chaos
/// scheduling) pass and give the same fingerprints at `--jobs 1` and
/// `--jobs 2`, with lanes and without.
#[test]
fn threaded_cells_give_the_same_fingerprints_at_any_jobs() {
    let one = cells::fingerprints("matrices/threads.toml", "1", "0");
    assert_eq!(one.len(), ARCHES.len() * (CASES.len() + TIMER_CASES.len()), "{one:?}");
    assert_eq!(one, cells::fingerprints("matrices/threads.toml", "2", "0"));
    assert_eq!(one, cells::fingerprints("matrices/threads.toml", "1", "2"));
}
