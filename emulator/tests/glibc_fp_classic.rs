//! The static glibc program of `glibc_fp_riscv64.rs`
//! (`tests/programs/riscv64/fpglibc.c`: formats and parses doubles, calls
//! libm, switches rounding modes, reads the exception flags), built for
//! powerpc64, mipsel and mipseb with Debian's cross compilers (mips also
//! with `-mfp32` and `-mfp64`: its FPU modes `FR=0` and `FR=1`), prints
//! exactly what QEMU prints, under both engines. Only its first line,
//! `AT_HWCAP`, differs by design: QEMU reports its POWER9's AltiVec and
//! VSX, Bohr the FPU and the 64-bit base; it is checked against the
//! frontend's value instead.
//!
//! `tests/programs/fptrap.c` enables each exception with `feenableexcept`
//! and raises it, with a SIGFPE handler that prints `si_code` and the
//! fault address relative to the function: the same output as QEMU's,
//! except that Linux (and Bohr) report every invalid operation on
//! powerpc64 as `FPE_FLTINV`, where QEMU 7.2 reports `FPE_FLTDIV` for 0/0
//! and `FPE_FLTSUB` for the other causes. Its `linux` mode checks what
//! QEMU does not model: `prctl(PR_GET_FPEXC)`/`PR_SET_FPEXC` and an enable
//! bit without them (no signal, target register left alone).
//!
//! Without the compilers, their C libraries or QEMU the test skips with a
//! notice, and fails under CI.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use bohr_emu::arch::Arch;
use bohr_emu::engine::EngineKind;
use bohr_emu::machine::{GuestFile, MachineConfig, RunControl, run_script};

const SOURCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/programs/riscv64/fpglibc.c");
const TRAP_SOURCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/programs/fptrap.c");

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false")
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

fn build(dir: &Path, gcc: &str, source: &str, flags: &[&str]) -> Option<PathBuf> {
    let prog = dir.join("fpglibc");
    let cc = Command::new(gcc)
        .args(["-O2", "-static"])
        .args(flags)
        .arg("-o")
        .arg(&prog)
        .arg(source)
        .arg("-lm")
        .output()
        .expect("the cross compiler runs");
    if !cc.status.success() {
        let err = String::from_utf8_lossy(&cc.stderr);
        assert!(!in_ci(), "building fpglibc with {gcc}: {err}");
        eprintln!("skipping: cannot build fpglibc with {gcc}: {err}");
        return None;
    }
    Some(prog)
}

/// Everything after the first (`hwcap`) line.
fn body(out: &str) -> &str {
    out.split_once('\n').map_or("", |(_, rest)| rest)
}

fn matches_qemu(arch: Arch, qemu: &str, gcc: &str, hwcap: u64, flags: &[&str]) {
    let missing: Vec<&str> =
        [qemu, gcc, "prlimit"].into_iter().filter(|t| find_in_path(t).is_none()).collect();
    if !missing.is_empty() {
        assert!(!in_ci(), "missing tools in CI: {missing:?}");
        eprintln!("skipping the {arch} glibc FP test: missing {missing:?}");
        return;
    }
    let tag = flags.join("");
    let dir = std::env::temp_dir().join(format!("bohr-fpglibc-{arch}{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let Some(prog) = build(&dir, gcc, SOURCE, flags) else { return };
    let qemu_out =
        Command::new("prlimit").arg("--nproc=64").arg(qemu).arg(&prog).output().expect("qemu runs");
    assert!(qemu_out.status.success(), "qemu: {}", String::from_utf8_lossy(&qemu_out.stderr));
    let want = String::from_utf8_lossy(&qemu_out.stdout).into_owned();
    assert!(want.starts_with("hwcap "), "qemu: {want}");
    let elf = Arc::new(std::fs::read(&prog).unwrap());
    for engine in [EngineKind::Interp, EngineKind::Jit] {
        let mut cfg = MachineConfig::new(arch);
        cfg.engine = engine;
        cfg.files.push(GuestFile {
            path: "/bin/fpglibc".into(),
            data: elf.clone(),
            executable: true,
        });
        let o = run_script(&cfg, "fpglibc.sh", "fpglibc", &RunControl::default())
            .expect("valid script");
        let got = String::from_utf8_lossy(&o.stdout);
        let stderr = String::from_utf8_lossy(&o.stderr);
        let first = format!("hwcap {hwcap:#x}\n");
        let first = if hwcap == 0 { "hwcap 0\n".to_string() } else { first };
        assert!(got.starts_with(&first), "{arch} {engine}: {got}\nstderr {stderr}");
        assert_eq!(body(&got), body(&want), "{arch} {engine}: stderr {stderr}");
        assert_eq!(o.exit_code, 0, "{arch} {engine}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn powerpc64_glibc_floating_point_matches_qemu() {
    let hwcap = bohr_emu::arch::powerpc64::lift_fp::HWCAP;
    matches_qemu(Arch::Powerpc64, "qemu-ppc64-static", "powerpc64-linux-gnu-gcc", hwcap, &[]);
}

// Debian's toolchain builds FPXX code (`.MIPS.abiflags` FP ABI 5), which
// Linux and QEMU run with FR=1 on the 24Kf; `-mfp32` makes the program
// FP32 (FR=0) and `-mfp64` FP64 (FR=1, doubles in odd registers too).

#[test]
fn mipsel_glibc_floating_point_matches_qemu() {
    matches_qemu(Arch::Mipsel, "qemu-mipsel-static", "mipsel-linux-gnu-gcc", 0, &[]);
}

#[test]
fn mipseb_glibc_floating_point_matches_qemu() {
    matches_qemu(Arch::Mipseb, "qemu-mips-static", "mips-linux-gnu-gcc", 0, &[]);
}

#[test]
fn mipsel_fp32_glibc_floating_point_matches_qemu() {
    matches_qemu(Arch::Mipsel, "qemu-mipsel-static", "mipsel-linux-gnu-gcc", 0, &["-mfp32"]);
}

#[test]
fn mipsel_fp64_glibc_floating_point_matches_qemu() {
    let flags = ["-mips32r2", "-mfp64"];
    matches_qemu(Arch::Mipsel, "qemu-mipsel-static", "mipsel-linux-gnu-gcc", 0, &flags);
}

#[test]
fn mipseb_fp64_glibc_floating_point_matches_qemu() {
    let flags = ["-mips32r2", "-mfp64"];
    matches_qemu(Arch::Mipseb, "qemu-mips-static", "mips-linux-gnu-gcc", 0, &flags);
}

/// Runs `prog ARGS` as `/bin/fpglibc` under `engine`: stdout and exit code.
fn run_bohr(arch: Arch, engine: EngineKind, prog: &Path, args: &str) -> (String, i32) {
    let mut cfg = MachineConfig::new(arch);
    cfg.engine = engine;
    cfg.files.push(GuestFile {
        path: "/bin/fpglibc".into(),
        data: Arc::new(std::fs::read(prog).unwrap()),
        executable: true,
    });
    let script = format!("fpglibc {args}");
    let o = run_script(&cfg, "fptrap.sh", &script, &RunControl::default()).expect("valid script");
    (String::from_utf8_lossy(&o.stdout).into_owned(), o.exit_code)
}

/// `fptrap.c` under both engines prints QEMU's output with `fixes`
/// applied (QEMU's known departures from Linux), and in `linux` mode
/// prints `linux`.
fn traps_match_qemu(arch: Arch, qemu: &str, gcc: &str, fixes: &[(&str, &str)], linux: &str) {
    let missing: Vec<&str> =
        [qemu, gcc, "prlimit"].into_iter().filter(|t| find_in_path(t).is_none()).collect();
    if !missing.is_empty() {
        assert!(!in_ci(), "missing tools in CI: {missing:?}");
        eprintln!("skipping the {arch} FP trap test: missing {missing:?}");
        return;
    }
    let dir = std::env::temp_dir().join(format!("bohr-fptrap-{arch}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let Some(prog) = build(&dir, gcc, TRAP_SOURCE, &[]) else { return };
    let qemu_out =
        Command::new("prlimit").arg("--nproc=64").arg(qemu).arg(&prog).output().expect("qemu runs");
    assert!(qemu_out.status.success(), "qemu: {}", String::from_utf8_lossy(&qemu_out.stderr));
    let mut want = String::from_utf8_lossy(&qemu_out.stdout).into_owned();
    assert!(want.contains("div0: SIGFPE code 3"), "qemu: {want}");
    for (from, to) in fixes {
        assert!(want.contains(from), "qemu no longer prints {from:?}: {want}");
        want = want.replace(from, to);
    }
    for engine in [EngineKind::Interp, EngineKind::Jit] {
        let (got, code) = run_bohr(arch, engine, &prog, "");
        assert_eq!(got, want, "{arch} {engine}");
        assert_eq!(code, 0, "{arch} {engine}");
        let (got, code) = run_bohr(arch, engine, &prog, "linux");
        assert_eq!(got, linux, "{arch} {engine} (linux mode)");
        assert_eq!(code, 0, "{arch} {engine} (linux mode)");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn powerpc64_enabled_exceptions_raise_sigfpe() {
    // Linux's `__parse_fpscr` gives FPE_FLTINV (7) for every invalid
    // operation.
    let fixes = [
        ("zdz: SIGFPE code 3", "zdz: SIGFPE code 7"),
        ("isi: SIGFPE code 8", "isi: SIGFPE code 7"),
    ];
    let linux = "fpexc 0 0\nno prctl: t=42\nfpexc 0 3\nbad mode -1\n";
    traps_match_qemu(
        Arch::Powerpc64,
        "qemu-ppc64-static",
        "powerpc64-linux-gnu-gcc",
        &fixes,
        linux,
    );
}

#[test]
fn mipsel_enabled_exceptions_raise_sigfpe() {
    traps_match_qemu(Arch::Mipsel, "qemu-mipsel-static", "mipsel-linux-gnu-gcc", &[], "");
}

#[test]
fn mipseb_enabled_exceptions_raise_sigfpe() {
    traps_match_qemu(Arch::Mipseb, "qemu-mips-static", "mips-linux-gnu-gcc", &[], "");
}
