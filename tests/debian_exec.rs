//! A program nobody wrote for Bohr: Debian's own `xz` (package xz-utils,
//! with liblzma5), which `scripts/debian-userland.sh` fetches with
//! `apt-get download` and unpacks under `target/debian-userland/<arch>/`.
//! With `-T2` it compresses and decompresses on two pthreads, with its
//! SIGINT/SIGTERM/SIGHUP/SIGPIPE handlers installed and blocked around the
//! threads with `pthread_sigmask`. Under `bohr exec -L /usr/<triple>`
//! (both engines; the package's libraries through `LD_LIBRARY_PATH`) the
//! output bytes and the exit status must equal
//! `qemu-<arch>-static -L /usr/<triple>`'s, and decompression must give
//! the input back. Missing packages, QEMU or cross libc are a skip with a
//! notice outside CI and a failure under `CI`.

#[path = "common/cross.rs"]
mod cross;
#[path = "common/guest_cases.rs"]
mod guest_cases;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use cross::{ARCHES, show, tools};

/// Arches whose packages the script fetches, with their multiarch
/// library directory.
const FETCHED: &[(&str, &str)] = &[
    ("aarch64", "aarch64-linux-gnu"),
    ("armel", "arm-linux-gnueabi"),
    ("mipsel", "mipsel-linux-gnu"),
];

/// The unpacked packages of `arch`, or `None` to skip it.
fn userland(arch: &str) -> Option<PathBuf> {
    let dir = guest_cases::repo_root().join("target/debian-userland").join(arch);
    if !dir.join("usr/bin/xz").is_file() {
        assert!(
            !guest_cases::in_ci(),
            "{} is missing (run scripts/debian-userland.sh)",
            dir.display()
        );
        eprintln!("notice: {} not found; run scripts/debian-userland.sh", dir.display());
        return None;
    }
    Some(dir)
}

/// Input that compresses somewhat, the same on every run: numbered lines
/// of words drawn from a fixed generator.
fn input() -> Vec<u8> {
    const WORDS: &[&str] =
        &["penguin", "firmware", "mtd", "erase", "block", "signal", "thread", "futex", "clock"];
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut out = Vec::new();
    let mut line = 0;
    while out.len() < 384 * 1024 {
        line += 1;
        out.extend(format!("{line:06} ").as_bytes());
        for _ in 0..8 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            out.extend(WORDS[(x % WORDS.len() as u64) as usize].as_bytes());
            out.push(if x & 0x100 != 0 { b' ' } else { b'-' });
        }
        out.push(b'\n');
    }
    out
}

/// `cmd` with `stdin` as its standard input.
fn run_with_input(mut cmd: Command, stdin: &[u8]) -> Output {
    use std::io::Write;
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    let mut pipe = child.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    // Written from a thread, so a full stdout pipe cannot block us both.
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("writer");
    out
}

fn qemu(qemu: &Path, triple: &str, libs: &Path, xz: &Path, args: &[&str], input: &[u8]) -> Output {
    let mut c = Command::new("prlimit");
    c.arg("--nproc=64").arg(qemu).arg("-L").arg(format!("/usr/{triple}"));
    c.env_clear().env("LD_LIBRARY_PATH", libs);
    c.arg(xz).args(args);
    run_with_input(c, input)
}

fn bohr(
    arch: &str,
    engine: &str,
    triple: &str,
    libs: &Path,
    xz: &Path,
    args: &[&str],
    input: &[u8],
) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bohr"));
    c.args(["exec", "--arch", arch, "--engine", engine, "-L"]);
    c.arg(format!("/usr/{triple}"));
    c.arg("--env").arg(format!("LD_LIBRARY_PATH={}", libs.display()));
    c.arg(xz).args(args);
    run_with_input(c, input)
}

#[test]
fn debian_xz_with_two_threads_matches_qemu() {
    let data = input();
    let compress: &[&str] = &["-T2", "--block-size=64KiB", "-1", "-c"];
    let decompress: &[&str] = &["-T2", "-d", "-c"];
    let mut failures = Vec::new();
    let mut compared = 0;
    for &(arch, multiarch) in FETCHED {
        let Some(&(_, qemu_name, triple)) = ARCHES.iter().find(|a| a.0 == arch) else {
            continue;
        };
        let Some(qemu_bin) = tools(arch, qemu_name, triple) else { continue };
        let Some(dir) = userland(arch) else { continue };
        let xz = dir.join("usr/bin/xz");
        let libs = dir.join("lib").join(multiarch);
        let want = qemu(&qemu_bin, triple, &libs, &xz, compress, &data);
        assert_eq!(want.status.code(), Some(0), "{arch}: qemu xz: {}", show(&want));
        // Several blocks, so that both threads had work.
        assert!(want.stdout.len() > 1000, "{arch}: {} bytes", want.stdout.len());
        let back = qemu(&qemu_bin, triple, &libs, &xz, decompress, &want.stdout);
        assert!(back.status.success() && back.stdout == data, "{arch}: qemu round trip");
        for engine in ["interp", "jit"] {
            let got = bohr(arch, engine, triple, &libs, &xz, compress, &data);
            compared += 1;
            // xz's calls all have handlers (`posix_fadvise` once got
            // ENOSYS, which xz ignores).
            if !got.stderr.is_empty() {
                failures.push(format!(
                    "{arch} ({engine}) compress: stderr {}",
                    String::from_utf8_lossy(&got.stderr)
                ));
            }
            if got.stdout != want.stdout || got.status.code() != want.status.code() {
                failures.push(format!(
                    "{arch} ({engine}) compress: {} bytes, exit {:?}, stderr {}; qemu {} bytes",
                    got.stdout.len(),
                    got.status.code(),
                    String::from_utf8_lossy(&got.stderr),
                    want.stdout.len()
                ));
                continue;
            }
            let got = bohr(arch, engine, triple, &libs, &xz, decompress, &want.stdout);
            compared += 1;
            if got.stdout != data || got.status.code() != Some(0) || !got.stderr.is_empty() {
                failures.push(format!(
                    "{arch} ({engine}) decompress: {} bytes, exit {:?}, stderr {}",
                    got.stdout.len(),
                    got.status.code(),
                    String::from_utf8_lossy(&got.stderr)
                ));
            }
        }
    }
    cross::assert_none_failed(&failures, compared, "differ");
}
