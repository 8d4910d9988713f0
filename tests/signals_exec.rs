//! Signal handlers and virtual time in unmodified glibc programs: the
//! committed `sigtest` binaries of `guest/libc-tests/` (`sigtest CASE`,
//! static and dynamic) under `bohr exec -L /usr/<triple>` with both
//! engines, against `qemu-<arch>-static -L /usr/<triple>`.
//!
//! `sigprobe`, built on Bohr's freestanding guest libc, needs no FP: it
//! checks the frame layout, trampoline and `rt_sigreturn` of every arch
//! whose frame the kernel builds ([`FRAMES_READY`]).
//!
//! An arch takes part in the glibc cases once glibc's start-up code runs on it (its frontend
//! has FP) and the kernel builds its signal frame: list it in
//! [`SIGNALS_READY`] then. QEMU or a missing cross libc is a skip with a
//! notice outside CI and a failure under `CI`.

#[path = "common/cells.rs"]
mod cells;
#[path = "common/cross.rs"]
mod cross;
#[path = "common/guest_cases.rs"]
mod guest_cases;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use cross::{bohr_run, show, tools};

/// Arches whose glibc runs and whose signal frame the kernel builds.
const SIGNALS_READY: &[&str] = &["riscv64", "aarch64", "powerpc64", "mipsel", "mipseb", "armel"];

/// Arches whose signal frame the kernel builds.
const FRAMES_READY: &[&str] = &["riscv64", "aarch64", "powerpc64", "mipsel", "mipseb", "armel"];

/// The `(arch, qemu-user binary, triple)` rows of `ready` arches.
fn arches(ready: &[&str]) -> impl Iterator<Item = (&'static str, &'static str, &'static str)> {
    cross::ARCHES.iter().copied().filter(move |(arch, _, _)| ready.contains(arch))
}

/// Every case; each prints only what Linux guarantees.
const CASES: &[&str] = &[
    "segv", "retry", "mask", "restart", "altstack", "alarm", "sleep", "sigpipe", "suspend", "trap",
    "sigchld", "fpctx", "wake", "clocks",
];

const KINDS: &[&str] = &["static", "dynamic"];

/// Where QEMU (7.2) departs from Linux: (arch, case, QEMU's line, Linux's
/// line).
/// - qemu-ppc64's user-mode fault path reports every data fault as
///   `SEGV_MAPERR`; Linux (and Bohr) report a store to a read-only page as
///   `SEGV_ACCERR`.
/// - `fpctx`: a handler writes toward-zero rounding into the saved FP
///   state. qemu-ppc64's `rt_sigreturn` puts it in `FPSCR` but its
///   arithmetic keeps the old (upward) rounding; qemu-mips's does not
///   restore `sc_fpc_csr` at all. Linux reloads both, so `1/3` rounds
///   toward zero after the return.
/// - armel: qemu-arm's default CPU has VFP, so soft-float glibc's
///   `fesetround` (which uses VFP when `AT_HWCAP` says so) takes effect;
///   on the VFP-less ARMv5TE-class core Bohr models (and on such
///   hardware) it fails and the rounding mode stays to-nearest.
const QEMU_DEVIATIONS: &[(&str, &str, &str, &str)] = &[
    ("powerpc64", "segv", "signal 11 code 1 offset 8\n", "signal 11 code 2 offset 8\n"),
    ("powerpc64", "fpctx", "1/3 = 0x1.5555555555556p-2\n", "1/3 = 0x1.5555555555555p-2\n"),
    ("mipsel", "fpctx", "toward zero after return 0\n", "toward zero after return 1\n"),
    ("mipsel", "fpctx", "1/3 = 0x1.5555555555556p-2\n", "1/3 = 0x1.5555555555555p-2\n"),
    ("mipseb", "fpctx", "toward zero after return 0\n", "toward zero after return 1\n"),
    ("mipseb", "fpctx", "1/3 = 0x1.5555555555556p-2\n", "1/3 = 0x1.5555555555555p-2\n"),
    ("armel", "fpctx", "handler saw upward 1\n", "handler saw upward 0\n"),
];

/// QEMU's output with its known departures from Linux replaced by what
/// Linux prints. (The sleeping cases print times rounded or with a
/// tolerance, so QEMU's real clock gives what Bohr's virtual one does.)
fn as_linux(arch: &str, case: &str, mut out: Output) -> Output {
    for &(a, c, qemu, linux) in QEMU_DEVIATIONS {
        if a == arch && c == case {
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            assert!(text.contains(qemu), "{arch} {case}: QEMU no longer prints {qemu:?}: {text}");
            out.stdout = text.replacen(qemu, linux, 1).into_bytes();
        }
    }
    out
}

/// The builds of an arch: armel adds its Thumb-2 (`-mthumb -march=armv7-a`)
/// builds of the same program.
fn kinds(arch: &str) -> &'static [&'static str] {
    if arch == "armel" { &["static", "dynamic", "thumb-static", "thumb-dynamic"] } else { KINDS }
}

fn binary(root: &Path, arch: &str, kind: &str) -> PathBuf {
    root.join("guest/libc-tests/bin").join(arch).join(format!("sigtest-{kind}"))
}

/// `bohr exec` reports a guest killed by a signal as 128 + signal, where
/// QEMU re-raises the signal on itself.
fn same(qemu: &Output, bohr: &Output) -> bool {
    use std::os::unix::process::ExitStatusExt;
    let qcode = qemu.status.code().or_else(|| qemu.status.signal().map(|s| 128 + s));
    qcode == bohr.status.code() && qemu.stdout == bohr.stdout && qemu.stderr == bohr.stderr
}

#[test]
fn signal_programs_match_qemu() {
    let root = guest_cases::repo_root();
    let mut failures = Vec::new();
    let mut compared = 0;
    for (arch, qemu_name, triple) in arches(SIGNALS_READY) {
        let Some(qemu) = tools(arch, qemu_name, triple) else { continue };
        for &kind in kinds(arch) {
            let bin = binary(&root, arch, kind);
            // Each case under QEMU in a thread of its own while Bohr runs
            // them one by one: QEMU's sleeping cases (`sleep`, `wake`,
            // `clocks`) wait seconds of real time, Bohr's take none.
            let (wants, gots) = std::thread::scope(|s| {
                let qemu_runs: Vec<_> = CASES
                    .iter()
                    .map(|&case| {
                        let (qemu, bin) = (&qemu, &bin);
                        s.spawn(move || cross::qemu_run(qemu, Some(triple), bin, [case]))
                    })
                    .collect();
                let gots: Vec<Vec<Output>> = CASES
                    .iter()
                    .map(|&case| {
                        ["interp", "jit"]
                            .map(|engine| bohr_run(arch, engine, Some(triple), &bin, [case]))
                            .into()
                    })
                    .collect();
                let wants: Vec<Output> = qemu_runs
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                    .collect();
                (wants, gots)
            });
            for ((&case, want), got) in CASES.iter().zip(wants).zip(gots) {
                let want = as_linux(arch, case, want);
                for (engine, got) in ["interp", "jit"].into_iter().zip(got) {
                    compared += 1;
                    if !same(&want, &got) {
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
    cross::assert_none_failed(&failures, compared, "runs differ");
}

/// Sleeping costs virtual time only: `sleep 3` plus two half-second
/// `nanosleep`s read as 4 s on the guest's clock and take well under a
/// second of host time (QEMU takes the full 4 s).
#[test]
fn sleeping_takes_no_host_time() {
    for (arch, qemu_name, triple) in arches(SIGNALS_READY) {
        if tools(arch, qemu_name, triple).is_none() {
            continue;
        }
        let bin = binary(&guest_cases::repo_root(), arch, "static");
        let start = Instant::now();
        let out = bohr_run(arch, "jit", Some(triple), &bin, ["sleep"]);
        let took = start.elapsed();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "slept 4s\n", "{}", show(&out));
        assert!(took < Duration::from_secs(3), "{arch}: a 4 s guest sleep took {took:?}");
    }
}

/// The freestanding probe: same stdout and exit status (the probe ends
/// by SIGTERM's default action) as QEMU, under both engines.
#[test]
fn signal_probe_matches_qemu() {
    use std::os::unix::process::ExitStatusExt;
    let root = guest_cases::repo_root();
    let mut failures = Vec::new();
    for (arch, qemu_name, _) in arches(FRAMES_READY) {
        let Some(qemu) = cross::find_qemu(arch, qemu_name) else { continue };
        let bin = root.join("guest/libc-tests/bin").join(arch).join("sigprobe");
        let want = cross::qemu_run(&qemu, None, &bin, [] as [&str; 0]);
        let want_code = want.status.code().or_else(|| want.status.signal().map(|s| 128 + s));
        assert!(want.stdout.ends_with(b"hits 3\n"), "{arch}: qemu: {}", show(&want));
        for engine in ["interp", "jit"] {
            let got = bohr_run(arch, engine, None, &bin, [] as [&str; 0]);
            if got.stdout != want.stdout || got.status.code() != want_code {
                failures.push(cross::difference(&format!("{arch} ({engine})"), &want, &got));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// In matrix cells on every arch: a signal wakes a sleeping process or
/// thread at once (the cells' expectations), alarm, SIGCHLD and
/// sigsuspend, with the same fingerprints at `--jobs 1` and `--jobs 2`,
/// with lanes and without.
#[test]
fn signal_cells_pass_with_the_same_fingerprints_at_any_jobs() {
    let one = cells::fingerprints("matrices/signals.toml", "1", "0");
    assert_eq!(one.len(), SIGNALS_READY.len() * 5, "{one:?}");
    assert_eq!(one, cells::fingerprints("matrices/signals.toml", "2", "0"));
    assert_eq!(one, cells::fingerprints("matrices/signals.toml", "1", "2"));
}
