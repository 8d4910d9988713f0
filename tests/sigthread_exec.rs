//! Signals between threads and processes, and job control, in an
//! unmodified glibc program: the committed static `sigthread` binaries of
//! `guest/libc-tests/` (`sigthread CASE`) under `bohr exec -L
//! /usr/<triple>` with both engines, against `qemu-<arch>-static -L
//! /usr/<triple>`, which runs the guest's threads and processes as host
//! ones, so Linux itself decides. A process that stops with nobody to
//! continue it, which QEMU cannot show (it waits forever), is checked
//! against its documented report. QEMU or a missing cross libc is a skip
//! with a notice outside CI and a failure under `CI`.

#[path = "common/cross.rs"]
mod cross;
#[path = "common/guest_cases.rs"]
mod guest_cases;

use std::process::Output;

use cross::{ARCHES, show, tools};

/// Every case compared with QEMU; each prints only what Linux guarantees
/// under any schedule.
const CASES: &[&str] = &["tkill", "pending", "migrate", "esrch", "stop", "stopthreads"];

/// Where QEMU (7.2) departs from Linux: (case, QEMU's line, Linux's line).
/// qemu-user catches the host's SIGCHLD for its guest whatever the
/// guest's `SA_NOCLDSTOP`, so a child's stop still reaches the handler
/// (and, coalesced with the exit's, leaves only its siginfo); Linux sends
/// none, as a native build of the same program shows.
const QEMU_DEVIATIONS: &[(&str, &str, &str)] =
    &[("stop", "SIGCHLD codes: CLD_STOPPED\n", "SIGCHLD codes: CLD_EXITED\n")];

fn as_linux(case: &str, mut out: Output) -> Output {
    for &(c, qemu, linux) in QEMU_DEVIATIONS {
        if c == case {
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            assert!(text.contains(qemu), "{case}: QEMU no longer prints {qemu:?}: {text}");
            out.stdout = text.replacen(qemu, linux, 1).into_bytes();
        }
    }
    out
}

#[test]
fn signals_between_threads_and_processes_match_linux() {
    let root = guest_cases::repo_root();
    let mut failures = Vec::new();
    let mut compared = 0;
    for &(arch, qemu_name, triple) in ARCHES {
        let Some(qemu) = tools(arch, qemu_name, triple) else { continue };
        let bin = root.join("guest/libc-tests/bin").join(arch).join("sigthread");
        for &case in CASES {
            let want = as_linux(case, cross::qemu_run(&qemu, Some(triple), &bin, [case]));
            assert_eq!(want.status.code(), Some(0), "{arch} {case}: qemu: {}", show(&want));
            for engine in ["interp", "jit"] {
                let got = cross::bohr_run(arch, engine, Some(triple), &bin, [case]);
                compared += 1;
                if got.stdout != want.stdout || got.status.code() != Some(0) {
                    failures.push(cross::difference(
                        &format!("{arch} {case} ({engine})"),
                        &want,
                        &got,
                    ));
                }
            }
        }
    }
    cross::assert_none_failed(&failures, compared, "differ");
}

/// A program that stops itself with nobody to send SIGCONT: the run ends
/// as a deadlock (status 124) that names the stopped process and its stop
/// signal.
#[test]
fn a_stopped_process_nobody_continues_is_a_deadlock() {
    let root = guest_cases::repo_root();
    for &(arch, _, triple) in ARCHES {
        for engine in ["interp", "jit"] {
            let bin = root.join("guest/libc-tests/bin").join(arch).join("sigthread");
            let got = cross::bohr_run(arch, engine, Some(triple), &bin, ["stopforever"]);
            let err = String::from_utf8_lossy(&got.stderr).into_owned();
            assert_eq!(got.status.code(), Some(124), "{arch} {engine}: {}", show(&got));
            assert_eq!(String::from_utf8_lossy(&got.stdout), "stopping\n", "{arch}: {err}");
            assert!(err.contains("bohr: deadlock: every thread is blocked"), "{arch}: {err}");
            let lines: Vec<&str> = err.lines().filter(|l| l.contains(" waits on ")).collect();
            assert_eq!(lines.len(), 1, "{arch} {engine}: {err}");
            assert!(lines[0].contains("pid 1 tid 1 "), "{arch}: {err}");
            assert!(lines[0].ends_with("waits on SIGCONT (stopped by SIGSTOP)"), "{arch}: {err}");
        }
    }
}
