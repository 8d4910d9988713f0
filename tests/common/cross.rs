//! Running one guest program under `qemu-<arch>-static` (the oracle) and
//! under `bohr exec`, with Debian's cross C library as the rootfs
//! (`-L /usr/<triple>`), and reporting where they differ: the harness the
//! glibc tests (`libc_exec`, `signals_exec`, `threads_exec`) and the
//! firmware test share.
//!
//! It finds tools through `guest_cases`, so include both from an
//! integration test:
//! `#[path = "common/guest_cases.rs"] mod guest_cases;` and
//! `#[path = "common/cross.rs"] mod cross;`.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::guest_cases;

/// `(arch, qemu-user binary, Debian multiarch triple)` of every guest arch.
pub const ARCHES: &[(&str, &str, &str)] = &[
    ("riscv64", "qemu-riscv64-static", "riscv64-linux-gnu"),
    ("aarch64", "qemu-aarch64-static", "aarch64-linux-gnu"),
    ("powerpc64", "qemu-ppc64-static", "powerpc64-linux-gnu"),
    ("mipsel", "qemu-mipsel-static", "mipsel-linux-gnu"),
    ("mipseb", "qemu-mips-static", "mips-linux-gnu"),
    ("armel", "qemu-arm-static", "arm-linux-gnueabi"),
];

/// The qemu-user binary for `arch`, or `None` to skip it (a notice outside
/// CI; under `CI` a missing QEMU is a failure).
pub fn find_qemu(arch: &str, qemu_name: &str) -> Option<PathBuf> {
    let qemu = guest_cases::find_in_path(qemu_name);
    if qemu.is_none() {
        assert!(!guest_cases::in_ci(), "{qemu_name} is missing (install qemu-user-static)");
        eprintln!("notice: {qemu_name} not found; skipping {arch}");
    }
    qemu
}

/// QEMU and the cross libc `arch` needs, or `None` to skip it (a notice
/// outside CI; under `CI` either missing is a failure).
pub fn tools(arch: &str, qemu_name: &str, triple: &str) -> Option<PathBuf> {
    let qemu = find_qemu(arch, qemu_name)?;
    if !Path::new("/usr").join(triple).join("lib").is_dir() {
        assert!(!guest_cases::in_ci(), "/usr/{triple} is missing (install its libc6 cross)");
        eprintln!("notice: /usr/{triple} not found; skipping {arch}");
        return None;
    }
    Some(qemu)
}

/// `bin ARGS` under QEMU with at most 64 host processes, with
/// `-L /usr/<triple>` when `triple` is given.
pub fn qemu_run<A: AsRef<OsStr>>(
    qemu: &Path,
    triple: Option<&str>,
    bin: &Path,
    args: impl IntoIterator<Item = A>,
) -> Output {
    let mut c = Command::new("prlimit");
    c.arg("--nproc=64").arg(qemu);
    if let Some(triple) = triple {
        c.arg("-L").arg(format!("/usr/{triple}"));
    }
    c.arg(bin).args(args).output().expect("run qemu")
}

/// `bin ARGS` under `bohr exec` with `engine`, with `-L /usr/<triple>` when
/// `triple` is given.
pub fn bohr_run<A: AsRef<OsStr>>(
    arch: &str,
    engine: &str,
    triple: Option<&str>,
    bin: &Path,
    args: impl IntoIterator<Item = A>,
) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bohr"));
    c.args(["exec", "--arch", arch, "--engine", engine]);
    if let Some(triple) = triple {
        c.arg("-L").arg(format!("/usr/{triple}"));
    }
    c.arg(bin).args(args).output().expect("run bohr")
}

/// An [`Output`] for a failure message: exit code (and the signal, if one
/// ended the process), stdout and stderr.
pub fn show(o: &Output) -> String {
    use std::os::unix::process::ExitStatusExt;
    let signal = o.status.signal().map(|s| format!(" signal {s}")).unwrap_or_default();
    format!(
        "exit {:?}{signal}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A failure line: `what`, then QEMU's and Bohr's [`show`]n outputs.
pub fn difference(what: &str, want: &Output, got: &Output) -> String {
    format!("{what}\n=== qemu\n{}=== bohr\n{}", show(want), show(got))
}

/// Fails with every collected failure, saying how many of `total` `what`.
pub fn assert_none_failed(failures: &[String], total: usize, what: &str) {
    assert!(failures.is_empty(), "{} of {total} {what}:\n{}", failures.len(), failures.join("\n"));
}
