//! The static glibc program of `glibc_fp_riscv64.rs`
//! (`tests/programs/riscv64/fpglibc.c`: formats and parses doubles, calls
//! libm, switches rounding modes, reads the exception flags), built for
//! powerpc64, mipsel and mipseb with Debian's cross compilers, prints
//! exactly what QEMU prints, under both engines. Only its first line,
//! `AT_HWCAP`, differs by design: QEMU reports its POWER9's AltiVec and
//! VSX, Bohr the FPU and the 64-bit base; it is checked against the
//! frontend's value instead.
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

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false")
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

fn build(dir: &Path, gcc: &str) -> Option<PathBuf> {
    let prog = dir.join("fpglibc");
    let cc = Command::new(gcc)
        .args(["-O2", "-static", "-o"])
        .arg(&prog)
        .arg(SOURCE)
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

fn matches_qemu(arch: Arch, qemu: &str, gcc: &str, hwcap: u64) {
    let missing: Vec<&str> =
        [qemu, gcc, "prlimit"].into_iter().filter(|t| find_in_path(t).is_none()).collect();
    if !missing.is_empty() {
        assert!(!in_ci(), "missing tools in CI: {missing:?}");
        eprintln!("skipping the {arch} glibc FP test: missing {missing:?}");
        return;
    }
    let dir = std::env::temp_dir().join(format!("bohr-fpglibc-{arch}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let Some(prog) = build(&dir, gcc) else { return };
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
    matches_qemu(Arch::Powerpc64, "qemu-ppc64-static", "powerpc64-linux-gnu-gcc", hwcap);
}

#[test]
fn mipsel_glibc_floating_point_matches_qemu() {
    matches_qemu(Arch::Mipsel, "qemu-mipsel-static", "mipsel-linux-gnu-gcc", 0);
}

#[test]
fn mipseb_glibc_floating_point_matches_qemu() {
    matches_qemu(Arch::Mipseb, "qemu-mips-static", "mips-linux-gnu-gcc", 0);
}
