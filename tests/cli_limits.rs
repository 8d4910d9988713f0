//! End-to-end containment: hostile guests (`mmapbomb | mmapbomb`, a fork
//! bomb) end as clean cell results while the host memory of `bohr` stays
//! under the cells' budgets, and a failure of the host (an address space
//! that cannot be reserved) is graded as an error, never as a guest
//! failure. Never runs a bomb under QEMU.

mod runner_support;

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use runner_support::Project;

const MIB: u64 = 1 << 20;
/// What `bohr` itself may take besides the guests' budgets: the binary,
/// Cranelift, the JIT's code and block caches, kernel and VFS structures,
/// and the host page tables of every guest process.
const OVERHEAD: u64 = 160 * MIB;

/// A finished `bohr` run and its peak resident memory.
struct Measured {
    code: i32,
    stdout: String,
    stderr: String,
    max_rss: u64,
}

/// Run `bohr ARGS` in `p`, optionally under an address-space limit, and
/// measure its peak RSS with `wait4`.
// `wait4` reaps the child (std's `wait` cannot report its rusage).
#[allow(clippy::zombie_processes)]
fn run_measured(p: &Project, args: &[&str], address_space: Option<u64>) -> Measured {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bohr"));
    cmd.args(args)
        .current_dir(&p.dir)
        .env("CI", "1")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(bytes) = address_space {
        // SAFETY: between fork and exec the closure only calls
        // setrlimit, which is async-signal-safe, on a local struct.
        unsafe {
            cmd.pre_exec(move || {
                let lim = libc::rlimit { rlim_cur: bytes, rlim_max: bytes };
                if libc::setrlimit(libc::RLIMIT_AS, &lim) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let mut child = cmd.spawn().expect("run bohr");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let mut stdout = String::new();
    let _ = out.read_to_string(&mut stdout);
    let stderr = reader.join().unwrap();
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `child.id()` is our own unreaped child; both out-pointers
    // point at live locals.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as libc::pid_t, "wait4");
    let code = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { -1 };
    Measured { code, stdout, stderr, max_rss: usage.ru_maxrss as u64 * 1024 }
}

fn bomb_project(tag: &str) -> Project {
    let p = Project::new(tag);
    p.script("mmapbombs", "mmapbomb | mmapbomb\n");
    p.script("forkbomb", "forkbomb\n");
    p
}

#[test]
fn bombs_end_as_clean_cells_within_the_memory_budget_times_jobs() {
    let p = bomb_project("bombs");
    let m = p.matrix(
        "bombs",
        "[matrix]\narch = [\"riscv64\", \"armel\"]\nscript = [\"mmapbombs\", \"forkbomb\"]\n\n\
         [cell]\nmemory = \"256MiB\"\nengine = \"interp\"\n",
    );
    let out = run_measured(&p, &[&m, "-j", "2"], None);
    let what = format!("{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.code, 0, "{what}");
    assert!(out.stdout.contains("4 passed"), "{what}");
    let junit = p.read("target/bohr/bombs.xml");
    assert!(junit.contains("limit-reached: pid"), "{junit}");
    assert!(junit.contains("memory limit of 268435456 bytes"), "{junit}");
    let budget = 2 * 256 * MIB;
    eprintln!(
        "bohr peak RSS: {} MiB for 2 jobs x 256 MiB (mmapbomb | mmapbomb, forkbomb)",
        out.max_rss / MIB
    );
    assert!(out.max_rss < budget + OVERHEAD, "peak RSS {} MiB\n{what}", out.max_rss / MIB);
    // The guests did take their budgets: the bound is not vacuous.
    assert!(out.max_rss > 150 * MIB, "peak RSS {} MiB", out.max_rss / MIB);
}

#[test]
fn a_fork_bomb_stops_at_the_task_limit_with_little_host_memory() {
    let p = bomb_project("forkbomb");
    let m = p.matrix(
        "fork",
        "[matrix]\narch = [\"riscv64\"]\nscript = [\"forkbomb\"]\n\n\
         [cell]\nmemory = \"2GiB\"\nmax_tasks = 128\nengine = \"interp\"\n\
         \n[expect]\nstdout_contains = [\"then fork failed with EAGAIN\"]\n",
    );
    let out = run_measured(&p, &[&m, "-j", "1"], None);
    let what = format!("{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.code, 0, "{what}");
    let junit = p.read("target/bohr/fork.xml");
    assert!(junit.contains("tasks limit of 128"), "{junit}");
    eprintln!("bohr peak RSS: {} MiB for a 128-task fork bomb", out.max_rss / MIB);
    // 128 processes commit 8 MiB stacks each, but touch little of them.
    assert!(out.max_rss < 2048 * MIB + OVERHEAD, "peak RSS {} MiB", out.max_rss / MIB);
}

#[test]
fn a_host_that_cannot_reserve_guest_memory_is_an_error_not_a_failure() {
    let p = Project::new("hosterr");
    p.script("hello", "echo hello\n");
    let m = p.matrix("host", "[matrix]\narch = [\"riscv64\"]\nscript = [\"hello\"]\n");
    // `ulimit -v 8000000`: a 64-bit guest's 256 GiB reservation fails.
    let limit = Some(8_000_000 * 1024);
    let out = run_measured(&p, &[&m, "--message-format", "json"], limit);
    let what = format!("{}\n{}", out.stdout, out.stderr);
    assert_ne!(out.code, 0, "{what}");
    let first: serde_json::Value =
        serde_json::from_str(out.stdout.lines().next().expect(&what)).expect(&what);
    assert_eq!(first["status"], "error", "{what}");
    assert!(out.stderr.contains("host error"), "{what}");
    assert!(out.stderr.contains("bytes of host address space for guest memory"), "{what}");
    assert!(!out.stderr.contains("exit 126"), "{what}");
    let junit = p.read("target/bohr/host.xml");
    assert!(junit.contains("<error"), "{junit}");
    assert!(!junit.contains("<failure"), "{junit}");

    // The same under `bohr exec` and `bohr sh`: a message, not a status.
    let prog = p.path("prog");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(root.join("guest/bin/riscv64/true"), &prog).unwrap();
    let prog = prog.display().to_string();
    let out = run_measured(&p, &["exec", "--arch", "riscv64", &prog], limit);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("cannot create the address space"), "{}", out.stderr);
    let script = p.path("guest-scripts/hello.sh").display().to_string();
    let out = run_measured(&p, &["sh", "--arch", "riscv64", &script], limit);
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(out.stderr.contains("host error"), "{}\n{}", out.stdout, out.stderr);
}

#[test]
fn sh_and_exec_take_the_same_limits() {
    let p = bomb_project("flags");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let bomb = root.join("guest/bin/riscv64/forkbomb").display().to_string();
    let out = run_measured(&p, &["exec", "--arch", "riscv64", "--max-tasks", "8", &bomb], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "forkbomb: 7 children, then fork failed with EAGAIN\n");
    let script = p.path("guest-scripts/mmapbombs.sh").display().to_string();
    let out = run_measured(
        &p,
        &["sh", "--arch", "armel", "--memory", "100MiB", "--engine", "interp", &script],
        None,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("then mmap failed with ENOMEM"), "{}", out.stdout);
    let out = run_measured(&p, &["sh", "--arch", "armel", "--memory", "1MiB", &script], None);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("must be between 16MiB and 64GiB"), "{}", out.stderr);
}
