//! A static glibc riscv64 program that formats and parses doubles, calls
//! libm (`sin`, `exp`, `pow`, `sqrt`, `lrint`, ...), switches rounding
//! modes and reads the exception flags and `AT_HWCAP`
//! (`tests/programs/riscv64/fpglibc.c`) prints exactly what
//! `qemu-riscv64-static` prints, under both engines.
//!
//! The program is built here with `riscv64-linux-gnu-gcc -O2 -static`
//! (Debian's `gcc-riscv64-linux-gnu` and `libc6-dev-riscv64-cross`);
//! without them or QEMU the test skips with a notice, and fails under CI.

use std::path::PathBuf;
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

#[test]
fn glibc_floating_point_matches_qemu() {
    let missing: Vec<&str> = ["qemu-riscv64-static", "riscv64-linux-gnu-gcc", "prlimit"]
        .into_iter()
        .filter(|t| find_in_path(t).is_none())
        .collect();
    if !missing.is_empty() {
        assert!(!in_ci(), "missing tools in CI: {missing:?}");
        eprintln!("skipping glibc_floating_point_matches_qemu: missing {missing:?}");
        return;
    }
    let dir = std::env::temp_dir().join(format!("bohr-fpglibc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let prog = dir.join("fpglibc");
    let cc = Command::new("riscv64-linux-gnu-gcc")
        .args(["-O2", "-static", "-o"])
        .arg(&prog)
        .arg(SOURCE)
        .arg("-lm")
        .output()
        .expect("riscv64-linux-gnu-gcc runs");
    if !cc.status.success() {
        let err = String::from_utf8_lossy(&cc.stderr);
        // Without the riscv64 C library the compiler cannot link.
        assert!(!in_ci(), "building fpglibc: {err}");
        eprintln!("skipping glibc_floating_point_matches_qemu: cannot build: {err}");
        return;
    }
    let qemu = Command::new("prlimit")
        .arg("--nproc=64")
        .arg("qemu-riscv64-static")
        .arg(&prog)
        .output()
        .expect("qemu-riscv64-static runs");
    assert!(qemu.status.success(), "qemu: {}", String::from_utf8_lossy(&qemu.stderr));
    let want = String::from_utf8_lossy(&qemu.stdout).into_owned();
    assert!(want.starts_with("hwcap 0x112d\n"), "qemu: {want}");
    let elf = Arc::new(std::fs::read(&prog).unwrap());
    for engine in [EngineKind::Interp, EngineKind::Jit] {
        let mut cfg = MachineConfig::new(Arch::Riscv64);
        cfg.engine = engine;
        cfg.files.push(GuestFile {
            path: "/bin/fpglibc".into(),
            data: elf.clone(),
            executable: true,
        });
        let o = run_script(&cfg, "fpglibc.sh", "fpglibc", &RunControl::default())
            .expect("valid script");
        let got = String::from_utf8_lossy(&o.stdout);
        assert_eq!(got, want, "{engine}: stderr {}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(o.exit_code, 0, "{engine}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
