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

#[path = "common/guest_cases.rs"]
mod guest_cases;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Arches whose glibc runs and whose signal frame the kernel builds.
const SIGNALS_READY: &[(&str, &str, &str)] = &[
    ("riscv64", "qemu-riscv64-static", "riscv64-linux-gnu"),
    ("aarch64", "qemu-aarch64-static", "aarch64-linux-gnu"),
    ("powerpc64", "qemu-ppc64-static", "powerpc64-linux-gnu"),
    ("mipsel", "qemu-mipsel-static", "mipsel-linux-gnu"),
    ("mipseb", "qemu-mips-static", "mips-linux-gnu"),
    ("armel", "qemu-arm-static", "arm-linux-gnueabi"),
];

/// Arches whose signal frame the kernel builds.
const FRAMES_READY: &[(&str, &str)] = &[
    ("riscv64", "qemu-riscv64-static"),
    ("aarch64", "qemu-aarch64-static"),
    ("powerpc64", "qemu-ppc64-static"),
    ("mipsel", "qemu-mipsel-static"),
    ("mipseb", "qemu-mips-static"),
    ("armel", "qemu-arm-static"),
];

/// Every case; each prints only what Linux guarantees.
const CASES: &[&str] = &[
    "segv", "retry", "mask", "restart", "altstack", "alarm", "sleep", "sigpipe", "suspend", "trap",
    "sigchld", "fpctx",
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
const QEMU_DEVIATIONS: &[(&str, &str, &str, &str)] = &[
    ("powerpc64", "segv", "signal 11 code 1 offset 8\n", "signal 11 code 2 offset 8\n"),
    ("powerpc64", "fpctx", "1/3 = 0x1.5555555555556p-2\n", "1/3 = 0x1.5555555555555p-2\n"),
    ("mipsel", "fpctx", "toward zero after return 0\n", "toward zero after return 1\n"),
    ("mipsel", "fpctx", "1/3 = 0x1.5555555555556p-2\n", "1/3 = 0x1.5555555555555p-2\n"),
    ("mipseb", "fpctx", "toward zero after return 0\n", "toward zero after return 1\n"),
    ("mipseb", "fpctx", "1/3 = 0x1.5555555555556p-2\n", "1/3 = 0x1.5555555555555p-2\n"),
];

/// QEMU's output with its known departures from Linux replaced by what
/// Linux prints.
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

fn qemu_run(qemu: &Path, triple: &str, bin: &Path, case: &str) -> Output {
    Command::new("prlimit")
        .arg("--nproc=64")
        .arg(qemu)
        .arg("-L")
        .arg(format!("/usr/{triple}"))
        .arg(bin)
        .arg(case)
        .output()
        .expect("run qemu")
}

fn bohr_run(arch: &str, engine: &str, triple: &str, bin: &Path, case: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bohr"))
        .args(["exec", "--arch", arch, "--engine", engine, "-L"])
        .arg(format!("/usr/{triple}"))
        .arg(bin)
        .arg(case)
        .output()
        .expect("run bohr")
}

fn show(o: &Output) -> String {
    format!(
        "exit {:?} signal {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        std::os::unix::process::ExitStatusExt::signal(&o.status),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `bohr exec` reports a guest killed by a signal as 128 + signal, where
/// QEMU re-raises the signal on itself.
fn same(qemu: &Output, bohr: &Output) -> bool {
    use std::os::unix::process::ExitStatusExt;
    let qcode = qemu.status.code().or_else(|| qemu.status.signal().map(|s| 128 + s));
    qcode == bohr.status.code() && qemu.stdout == bohr.stdout && qemu.stderr == bohr.stderr
}

/// The host (QEMU) or cross libc this arch needs, or `None` to skip.
fn tools(qemu_name: &str, triple: &str) -> Option<PathBuf> {
    let Some(qemu) = guest_cases::find_in_path(qemu_name) else {
        assert!(!guest_cases::in_ci(), "{qemu_name} is missing (install qemu-user-static)");
        eprintln!("notice: {qemu_name} not found; skipping");
        return None;
    };
    if !Path::new("/usr").join(triple).join("lib").is_dir() {
        assert!(!guest_cases::in_ci(), "/usr/{triple} is missing (install its libc6 cross)");
        eprintln!("notice: /usr/{triple} not found; skipping");
        return None;
    }
    Some(qemu)
}

#[test]
fn signal_programs_match_qemu() {
    let root = guest_cases::repo_root();
    let mut failures = Vec::new();
    let mut compared = 0;
    for &(arch, qemu_name, triple) in SIGNALS_READY {
        let Some(qemu) = tools(qemu_name, triple) else { continue };
        for &kind in kinds(arch) {
            let bin = binary(&root, arch, kind);
            for &case in CASES {
                let want = as_linux(arch, case, qemu_run(&qemu, triple, &bin, case));
                for engine in ["interp", "jit"] {
                    let got = bohr_run(arch, engine, triple, &bin, case);
                    compared += 1;
                    if !same(&want, &got) {
                        failures.push(format!(
                            "{arch} {kind} {case} ({engine})\n=== qemu\n{}=== bohr\n{}",
                            show(&want),
                            show(&got)
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {compared} runs differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Sleeping costs virtual time only: `sleep 3` plus two half-second
/// `nanosleep`s read as 4 s on the guest's clock and take well under a
/// second of host time (QEMU takes the full 4 s).
#[test]
fn sleeping_takes_no_host_time() {
    for &(arch, qemu_name, triple) in SIGNALS_READY {
        if tools(qemu_name, triple).is_none() {
            continue;
        }
        let bin = binary(&guest_cases::repo_root(), arch, "static");
        let start = Instant::now();
        let out = bohr_run(arch, "jit", triple, &bin, "sleep");
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
    for &(arch, qemu_name) in FRAMES_READY {
        let Some(qemu) = guest_cases::find_in_path(qemu_name) else {
            assert!(!guest_cases::in_ci(), "{qemu_name} is missing (install qemu-user-static)");
            eprintln!("notice: {qemu_name} not found; skipping {arch}");
            continue;
        };
        let bin = root.join("guest/libc-tests/bin").join(arch).join("sigprobe");
        let want = Command::new("prlimit")
            .arg("--nproc=64")
            .arg(&qemu)
            .arg(&bin)
            .output()
            .expect("run qemu");
        let want_code = want.status.code().or_else(|| want.status.signal().map(|s| 128 + s));
        assert!(want.stdout.ends_with(b"hits 3\n"), "{arch}: qemu: {}", show(&want));
        for engine in ["interp", "jit"] {
            let got = Command::new(env!("CARGO_BIN_EXE_bohr"))
                .args(["exec", "--arch", arch, "--engine", engine])
                .arg(&bin)
                .output()
                .expect("run bohr");
            if got.stdout != want.stdout || got.status.code() != want_code {
                failures.push(format!(
                    "{arch} ({engine})\n=== qemu\n{}=== bohr\n{}",
                    show(&want),
                    show(&got)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
