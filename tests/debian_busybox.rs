//! A static glibc program someone else compiled: Debian's own
//! `busybox-static` for armel, for mipsel and for arm64 (Debian's build,
//! Debian's compiler flags, glibc linked in; mipsel's is MIPS32r2 with the
//! FPXX ABI, arm64's glibc string routines use Advanced SIMD), fetched by `scripts/debian-busybox.sh` into `target/` and never
//! committed. `busybox sh -c '...'` pipelines of its applets (the shell
//! forks, re-runs itself for each applet and wires pipes, redirections,
//! subshells and command substitution; `awk`, `printf` and `seq` format
//! doubles) must give QEMU's stdout, stderr and exit status under both
//! engines.
//!
//! The script runs when its output is missing; without network to Debian
//! or `apt-get` that is a skip with a notice, and a failure under `CI`, as
//! is a missing QEMU.

#[path = "common/cross.rs"]
mod cross;
#[path = "common/guest_cases.rs"]
mod guest_cases;

use std::path::PathBuf;
use std::process::{Command, Output};

/// Scripts for `busybox sh -c`: pipelines of applets, the shell's own
/// control flow, and exit statuses. Nothing writes outside the guest.
const SCRIPTS: &[&str] = &[
    "echo hello world | tr a-z A-Z",
    "seq 1 100 | awk '{ s += $1 } END { print s, NR }'",
    "printf 'pear\\napple\\nfig\\napple\\n' | sort | uniq -c | sort -rn | head -n 2",
    "seq 1 30 | grep 1 | wc -l",
    "echo 'a:b:c:d' | cut -d: -f2,4 | sed 's/:/ + /'",
    "printf 'hello' | md5sum; printf 'hello' | sha256sum",
    "printf '\\001\\002abc\\377' | od -An -tx1",
    "printf '%s\\n' 30 4 100 7 | sort -n | tail -n 1",
    "x=$(echo sub | tr s S); echo \"${x}shell\" ${#x}",
    "for i in 1 2 3; do echo $((i * i)); done | paste -sd+ | bc 2>/dev/null || expr 1 + 4 + 9",
    "false || echo fallback; (exit 3); echo status $?",
    "f() { echo \"in f: $1\"; return 5; }; f arg; echo $?",
    "echo one two three | { read a b c; echo $c $b $a; }",
    "seq 5 | xargs -n 2 echo",
    "echo gzip me | gzip -c | gunzip -c",
    "basename /usr/lib/libc.so.6 .6; dirname /usr/lib/libc.so.6",
    "expr length 'string of text'; expr 17 % 5",
    "echo 'x y z' | awk '{ printf \"%s-%s\\n\", toupper($3), NF }'",
    "seq 1 1000 | tail -n 3 | head -n 1",
    "echo to stderr >&2; echo to stdout; exit 7",
    "nosuchapplet_xyz 2>/dev/null; echo $?",
    "case abc in a*) echo glob;; *) echo no;; esac; test 3 -lt 4 && echo lt",
    "echo 3.5 2 | awk '{printf \"%.6f %g %.17g %d\\n\", $1*$2, $1/7, $1/3, $1*1000}'",
    "printf '%.3f %e %g %.17g\\n' 2.5 1e-5 0.1 2.675",
    "seq 0.5 0.25 1.5 | tr '\\n' ' '",
];

/// Debian's busybox for `debian_arch` (fetched if missing), or `None` (a
/// skip).
fn busybox(debian_arch: &str) -> Option<PathBuf> {
    static FETCH: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = FETCH.lock();
    let fetched = {
        let root = guest_cases::repo_root();
        let bin = root.join(format!("target/debian-busybox/{debian_arch}/busybox"));
        let script = root.join("scripts/debian-busybox.sh");
        if bin.is_file() {
            Ok(bin)
        } else {
            match Command::new(&script).arg(debian_arch).status() {
                Ok(s) if s.success() && bin.is_file() => Ok(bin),
                Ok(s) => Err(format!("scripts/debian-busybox.sh {debian_arch} failed ({s})")),
                Err(e) => Err(format!("cannot run scripts/debian-busybox.sh: {e}")),
            }
        }
    };
    match fetched {
        Ok(p) => Some(p),
        Err(e) => {
            assert!(!guest_cases::in_ci(), "Debian's busybox-static: {e}");
            eprintln!("notice: {e} (needs apt-get and network to Debian); skipping");
            None
        }
    }
}

fn same(a: &Output, b: &Output) -> bool {
    a.status.code() == b.status.code() && a.stdout == b.stdout && a.stderr == b.stderr
}

fn is_debians_static_glibc_build(debian_arch: &str, arch: bohr_emu::arch::Arch) {
    let Some(bin) = busybox(debian_arch) else { return };
    let data = std::fs::read(&bin).expect("read busybox");
    let img = bohr_emu::loader::parse(&data, arch).expect("an ELF of the arch");
    assert!(img.interp.is_none(), "busybox-static is statically linked");
    // glibc's start-up code is in it: this is not Bohr's own libc.
    assert!(data.windows(5).any(|w| w == b"GLIBC"), "linked with glibc");
}

#[test]
fn debian_busybox_static_is_debians_armel_build() {
    is_debians_static_glibc_build("armel", bohr_emu::arch::Arch::Armel);
}

#[test]
fn debian_busybox_static_is_debians_arm64_build() {
    is_debians_static_glibc_build("arm64", bohr_emu::arch::Arch::Aarch64);
}

#[test]
fn debian_busybox_static_is_debians_mipsel_build() {
    is_debians_static_glibc_build("mipsel", bohr_emu::arch::Arch::Mipsel);
}

fn pipelines_match_qemu(debian_arch: &str, arch: &str, qemu_name: &str) {
    let Some(bin) = busybox(debian_arch) else { return };
    let Some(qemu) = cross::find_qemu(arch, qemu_name) else { return };
    let mut failures = Vec::new();
    let mut runs = 0;
    for script in SCRIPTS {
        let args = ["sh", "-c", script];
        let want = cross::qemu_run(&qemu, None, &bin, args);
        assert!(!want.stdout.is_empty() || !want.stderr.is_empty(), "{script}: no output");
        for engine in ["interp", "jit"] {
            let got = cross::bohr_run(arch, engine, None, &bin, args);
            runs += 1;
            if !same(&want, &got) {
                failures.push(cross::difference(&format!("{script} ({engine})"), &want, &got));
            }
        }
    }
    cross::assert_none_failed(&failures, runs, "runs differ");
}

#[test]
fn debian_busybox_sh_pipelines_match_qemu() {
    pipelines_match_qemu("armel", "armel", "qemu-arm-static");
}

#[test]
fn debian_busybox_mipsel_pipelines_match_qemu() {
    pipelines_match_qemu("mipsel", "mipsel", "qemu-mipsel-static");
}

#[test]
fn debian_busybox_arm64_pipelines_match_qemu() {
    pipelines_match_qemu("arm64", "aarch64", "qemu-aarch64-static");
}
