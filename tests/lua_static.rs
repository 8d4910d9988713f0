//! Lua 5.4 from Debian's source package, built `-static` against glibc by
//! each Debian cross compiler (`scripts/lua-static.sh`, run here when its
//! output is missing; without root, network or the compilers that is a
//! skip with a notice, and a failure under `CI`): a third-party program
//! that formats doubles and calls libm. `tests/lua/doubles.lua` prints
//! under `bohr exec` with either engine exactly what it prints under
//! `qemu-<arch>-static`, on powerpc64, mipseb, mipsel and aarch64 (built
//! at `-O3`, so its loops are vectorised with Advanced SIMD).

mod runner_support;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use runner_support::Project;

const ARCHES: &[(&str, &str)] = &[
    ("powerpc64", "qemu-ppc64-static"),
    ("mipseb", "qemu-mips-static"),
    ("mipsel", "qemu-mipsel-static"),
    ("aarch64", "qemu-aarch64-static"),
];

fn under_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `target/lua-static/<arch>/lua`, built once for every arch if any is
/// missing, or `None` for a skip.
fn lua(arch: &str) -> Option<PathBuf> {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let bin = |a: &str| root().join("target/lua-static").join(a).join("lua");
    let built = BUILT.get_or_init(|| {
        if ARCHES.iter().all(|(a, _)| bin(a).is_file()) {
            return Ok(());
        }
        let mut cmd = Command::new(root().join("scripts/lua-static.sh"));
        cmd.args(ARCHES.iter().map(|(a, _)| *a));
        match cmd.status() {
            Ok(s) if s.success() => Ok(()),
            other => Err(format!("scripts/lua-static.sh: {other:?}")),
        }
    });
    match built {
        Ok(()) => Some(bin(arch)),
        Err(e) => {
            assert!(!under_ci(), "{e}");
            eprintln!("skipping: {e}");
            None
        }
    }
}

fn matches_qemu(arch: &str) {
    let qemu = ARCHES.iter().find(|(a, _)| *a == arch).unwrap().1;
    if find_in_path(qemu).is_none() || find_in_path("prlimit").is_none() {
        assert!(!under_ci(), "{qemu} or prlimit missing in CI");
        eprintln!("skipping: {qemu} or prlimit missing");
        return;
    }
    let Some(lua) = lua(arch) else { return };
    let lua = lua.to_str().unwrap();
    let script = root().join("tests/lua/doubles.lua");
    let script = script.to_str().unwrap();
    let q = Command::new("prlimit").args(["--nproc=64", qemu, lua, script]).output().unwrap();
    assert!(q.status.success(), "qemu: {q:?}");
    let want = String::from_utf8_lossy(&q.stdout).into_owned();
    assert!(want.contains("0x1.999999999999ap-4"), "qemu: {want}");
    let p = Project::new("lua-static");
    for engine in ["interp", "jit"] {
        let o = p.bohr(&["exec", "--arch", arch, "--engine", engine, lua, script]);
        assert_eq!(o.stdout, want, "{arch} {engine}\nstderr: {}", o.stderr);
        assert_eq!(o.code, 0, "{arch} {engine}\nstderr: {}", o.stderr);
    }
}

#[test]
fn lua_powerpc64_matches_qemu() {
    matches_qemu("powerpc64");
}

#[test]
fn lua_mipseb_matches_qemu() {
    matches_qemu("mipseb");
}

#[test]
fn lua_mipsel_matches_qemu() {
    matches_qemu("mipsel");
}

#[test]
fn lua_aarch64_matches_qemu() {
    matches_qemu("aarch64");
}
