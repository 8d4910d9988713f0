//! Debian's own `busybox-static` for mipsel (fetched by
//! `scripts/debian-busybox.sh`, run here when missing; without root or
//! network that is a skip with a notice, and a failure under `CI`): a
//! static glibc program built by Debian for MIPS32r2 with the FPXX ABI,
//! not by this repository. `busybox sh -c` pipelines (applets in pipes,
//! `awk` and `printf` formatting doubles, `seq` with fractions, shell
//! loops and arithmetic, checksums) print under `bohr exec` with either
//! engine exactly what they print under `qemu-mipsel-static`.

mod runner_support;

use std::path::PathBuf;
use std::process::Command;

use runner_support::Project;

const PIPELINES: &[&str] = &[
    "echo hello | tr a-z A-Z",
    "seq 1 100 | awk '{s+=$1} END {print s}'",
    "printf '%s\\n' b a c a | sort | uniq -c",
    "seq 1 20 | grep 1 | wc -l",
    "echo 3.5 2 | awk '{printf \"%.6f %g %.17g %d\\n\", $1*$2, $1/7, $1/3, $1*1000}'",
    "printf '%.3f %e %g %.17g\\n' 2.5 1e-5 0.1 2.675",
    "seq 0.5 0.25 1.5 | tr '\\n' ' '",
    "x=0; for i in 1 2 3; do x=$((x+i)); done; echo $x",
    "echo abc | sed s/b/X/ | cut -c1-2",
    "printf '%s\\n' 3 1 2 | sort -n | head -n 2 | tail -n 1",
    "echo abc | md5sum",
    "echo abc | sha256sum | cut -d' ' -f1",
    "printf 'a b\\nc d\\n' | while read x y; do echo \"$y-$x\"; done",
    "echo $((7*6)) | od -An -tx1",
];

fn under_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

/// Debian's binary (fetched if missing), or `None` for a skip.
fn debian_busybox(arch: &str) -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let bin = root.join("target/debian-busybox").join(arch).join("busybox");
    if !bin.is_file() {
        let status = Command::new(root.join("scripts/debian-busybox.sh")).arg(arch).status();
        let ok = status.as_ref().is_ok_and(|s| s.success()) && bin.is_file();
        if !ok {
            assert!(!under_ci(), "scripts/debian-busybox.sh {arch}: {status:?}");
            eprintln!("skipping: Debian's busybox-static:{arch} unavailable ({status:?})");
            return None;
        }
    }
    Some(bin)
}

#[test]
fn debian_busybox_mipsel_pipelines_match_qemu() {
    let qemu = "qemu-mipsel-static";
    if find_in_path(qemu).is_none() || find_in_path("prlimit").is_none() {
        assert!(!under_ci(), "{qemu} or prlimit missing in CI");
        eprintln!("skipping: {qemu} or prlimit missing");
        return;
    }
    let Some(bin) = debian_busybox("mipsel") else { return };
    let bin = bin.to_str().unwrap();
    let p = Project::new("debian-busybox");
    for pipeline in PIPELINES {
        let q = Command::new("prlimit")
            .args(["--nproc=64", qemu, bin, "sh", "-c", pipeline])
            .output()
            .expect("qemu runs");
        let want = String::from_utf8_lossy(&q.stdout).into_owned();
        assert!(q.status.success() && !want.is_empty(), "qemu: {pipeline}: {q:?}");
        for engine in ["interp", "jit"] {
            let o = p
                .bohr(&["exec", "--arch", "mipsel", "--engine", engine, bin, "sh", "-c", pipeline]);
            assert_eq!(o.stdout, want, "{engine}: {pipeline}\nstderr: {}", o.stderr);
            assert_eq!(o.code, 0, "{engine}: {pipeline}\nstderr: {}", o.stderr);
        }
    }
}
