//! `bohr trace`, `bohr diff` and `bohr exec --trace` end to end, on the
//! repository's `mtd_readback` matrix and on scratch projects.

mod runner_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use regex::Regex;
use runner_support::{Out, Project};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Run `bohr ARGS...` in the repository.
fn bohr(args: &[&str]) -> Out {
    let o = Command::new(env!("CARGO_BIN_EXE_bohr"))
        .args(args)
        .current_dir(repo())
        .env_remove("CI")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("bohr runs");
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn scratch_file(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("bohr-cli-trace-{}-{name}", std::process::id()))
}

/// Run `bohr ARGS... --execlog TMP`; returns the output and the log.
fn logged(tag: &str, args: &[&str]) -> (Out, String) {
    let log = scratch_file(tag);
    let log_arg = log.display().to_string();
    let mut all = args.to_vec();
    all.extend(["--execlog", &log_arg]);
    let out = bohr(&all);
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    (out, text)
}

/// The fingerprint recorded in a cell's snapshot (an untraced run).
fn snapshot_fingerprint(cell: &str) -> String {
    let path = repo()
        .join("matrices/snapshots/mtd_readback")
        .join(format!("{}.snap", cell.replace('/', "__")));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let re = Regex::new(r#"fingerprint: "(0x[0-9a-f]+)""#).unwrap();
    re.captures(&text).unwrap_or_else(|| panic!("no fingerprint in {}", path.display()))[1]
        .to_string()
}

const ARCHES: [&str; 5] = ["riscv64", "aarch64", "powerpc64", "mipsel", "mipseb"];

#[test]
fn trace_shows_capstone_disassembly_for_every_arch_and_keeps_the_run() {
    let line = Regex::new(
        r#"^(\d+), 0x[0-9a-f]+, 0x([0-9a-f]+), "([^"]+)"((, (load|store), 0x[0-9a-f]+)*)$"#,
    )
    .unwrap();
    // What each arch's log must show: capstone's own mnemonics, compressed
    // riscv64 instructions (2-byte opcodes) and big-endian words.
    let expected: [(&str, &[&str]); 5] = [
        ("riscv64", &["c.", "ld ", "sd "]),
        ("aarch64", &["stp ", "ldr ", "ret"]),
        ("powerpc64", &["stdu r", "mflr r0", "blr"]),
        ("mipsel", &["addiu ", "lw ", "jr $ra"]),
        ("mipseb", &["addiu ", "lw ", "jr $ra"]),
    ];
    let handles: Vec<_> = ARCHES
        .iter()
        .map(|&arch| {
            std::thread::spawn(move || {
                let cell = format!("{arch}/host/mtd_readback");
                let (out, text) = logged(
                    arch,
                    &["trace", "matrices/mtd_readback.toml", "--cell", &cell, "--to", "400"],
                );
                (arch, cell, out, text)
            })
        })
        .collect();
    for h in handles {
        let (arch, cell, out, text) = h.join().expect("trace thread");
        assert_eq!(out.code, 0, "{arch}: {}\n{}", out.stdout, out.stderr);
        // Observation does not change the run: the fingerprint is the
        // untraced run's, recorded in the cell's snapshot.
        let fp = snapshot_fingerprint(&cell);
        assert!(
            out.stdout.contains(&format!("fingerprint {fp}")),
            "{arch}: {}\nwant {fp}",
            out.stdout
        );
        assert!(
            out.stdout.starts_with(&format!("cell {cell}\nexit 0, ")),
            "{arch}: {}",
            out.stdout
        );
        // 400 instructions per process, three processes (cat | strings | grep).
        assert_eq!(text.lines().count(), 3 * 400, "{arch}: {}", out.stdout);
        assert!(out.stdout.contains("execlog: 1200 lines to "), "{arch}: {}", out.stdout);
        let mut disasm = String::new();
        let mut accesses = 0;
        for l in text.lines() {
            let c = line.captures(l).unwrap_or_else(|| panic!("{arch}: not an execlog line: {l}"));
            assert_ne!(&c[3], "(bad)", "{arch}: capstone decoded every instruction: {l}");
            let digits = c[2].len();
            assert!(digits == 8 || (arch == "riscv64" && digits == 4), "{arch}: opcode width: {l}");
            disasm.push_str(&c[3]);
            disasm.push('\n');
            accesses += c[4].matches("load").count() + c[4].matches("store").count();
        }
        assert!(accesses > 100, "{arch}: memory accesses attach to their instructions");
        for want in expected.iter().find(|(a, _)| *a == arch).expect("listed").1 {
            assert!(disasm.contains(want), "{arch}: no `{want}` in the log");
        }
    }
}

#[test]
fn trace_limits_by_pid_and_pc_range() {
    let cell = ["trace", "matrices/mtd_readback.toml", "--cell", "riscv64/host/mtd_badbuf"];
    let args = [&cell[..], &["--pid", "3", "--from", "10", "--to", "30"]].concat();
    let (out, text) = logged("pid", &args);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(text.lines().count(), 20, "{text}");
    assert!(text.lines().all(|l| l.starts_with("3, ")), "{text}");

    // A pc range: only the instructions of 16 bytes of code.
    let pc_of = |l: &str| {
        let pc = l.split(", ").nth(1).expect("a pc field");
        u64::from_str_radix(pc.trim_start_matches("0x"), 16).expect("hex pc")
    };
    let lo = pc_of(text.lines().next().expect("a line"));
    let range = format!("{lo:#x}:{:#x}", lo + 16);
    let args = [&cell[..], &["--pid", "3", "--pc-range", &range]].concat();
    let (out, text) = logged("pcs", &args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!text.is_empty());
    for l in text.lines() {
        assert!((lo..lo + 16).contains(&pc_of(l)), "{l}");
    }
}

#[test]
fn diff_pinpoints_where_host_and_portal_part_on_badbuf() {
    let out = bohr(&[
        "diff",
        "matrices/mtd_readback.toml",
        "powerpc64/host/mtd_badbuf",
        "powerpc64/portal/mtd_badbuf",
        "--context",
        "3",
    ]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    insta::assert_snapshot!("diff_badbuf_powerpc64", out.stdout);
}

#[test]
fn diff_of_a_cell_with_itself_finds_nothing() {
    let out = bohr(&[
        "diff",
        "matrices/mtd_readback.toml",
        "mipsel/portal/mtd_badbuf",
        "mipsel/portal/mtd_badbuf",
    ]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.ends_with("no divergence: every process did the same instructions, memory accesses, system calls and events\n"), "{}", out.stdout);
}

fn two_script_project() -> (Project, String) {
    let p = Project::new("trace");
    p.script("short", "echo one\n");
    p.script("long", "echo one\necho two\n");
    let m = p.matrix(
        "pair",
        "name = \"pair\"\n[matrix]\narch = [\"riscv64\"]\nscript = [\"short\", \"long\"]\n[cell]\nengine = \"interp\"\n",
    );
    (p, m)
}

#[test]
fn diff_handles_runs_of_different_length() {
    let (p, m) = two_script_project();
    let out = p.bohr(&["diff", &m, "riscv64/short", "riscv64/long", "--context", "2"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    // The first `echo` agrees; the second exists only in B.
    assert!(out.stdout.contains("first divergence: pid 3, item 0: end of run\n"), "{}", out.stdout);
    assert!(
        out.stdout.contains("  A: (process 3 has nothing more)\n  B: # 3: start echo\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn bad_input_is_a_clear_error_with_status_2() {
    let (p, m) = two_script_project();
    let cases: [(&[&str], &str); 7] = [
        (&["trace", &m, "--cell", "riscv64/nope"], "--cell `riscv64/nope` matches no cell"),
        (
            &["trace", &m, "--cell", "riscv64/*"],
            "matches 2 cells; trace runs one: riscv64/short, riscv64/long",
        ),
        (
            &["trace", &m, "--cell", "riscv64/short", "--from", "5", "--to", "5"],
            "--from 5 must be below --to 5",
        ),
        (&["trace", &m, "--cell", "riscv64/short", "--pc-range", "9:3"], "LO must be below HI"),
        (
            &["trace", &m, "--cell", "riscv64/short", "--execlog", "no/such/dir/log"],
            "cannot create execlog no/such/dir/log",
        ),
        (&["diff", &m, "riscv64/short"], "CELL_B"),
        (&["diff", "matrices/missing.toml", "a", "b"], "missing.toml"),
    ];
    for (args, want) in cases {
        let out = p.bohr(args);
        assert_eq!(out.code, 2, "{args:?}: {}\n{}", out.stdout, out.stderr);
        assert!(out.stderr.contains(want), "{args:?}: {}", out.stderr);
        assert!(!out.stderr.contains("panicked"), "{args:?}: {}", out.stderr);
    }
}

fn guest(arch: &str, name: &str) -> String {
    repo().join("guest/bin").join(arch).join(name).display().to_string()
}

#[test]
fn exec_trace_writes_to_stderr_or_the_file_never_to_guest_stdout() {
    let echo = guest("riscv64", "echo");
    let plain = bohr(&["exec", "--arch", "riscv64", &echo, "hello"]);
    assert_eq!((plain.code, plain.stdout.as_str()), (0, "hello\n"));

    let out = bohr(&[
        "exec", "--arch", "riscv64", "--trace", "execlog", "--trace", "counters", &echo, "hello",
    ]);
    assert_eq!((out.code, out.stdout.as_str()), (0, "hello\n"), "{}", out.stderr);
    let first = out.stderr.lines().next().unwrap_or("");
    assert!(first.starts_with("1, 0x") && first.contains(", \""), "{first}");
    let n = out.stderr.lines().filter(|l| l.starts_with("1, 0x")).count();
    assert!(out.stderr.contains(&format!("pid 1: {n} instructions, ")), "{}", out.stderr);

    let log = scratch_file("exec.execlog");
    let log_arg = log.display().to_string();
    let out = bohr(&[
        "exec",
        "--arch",
        "riscv64",
        "--engine",
        "jit",
        "--trace",
        "execlog",
        "--execlog",
        &log_arg,
        &echo,
        "hello",
    ]);
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    assert_eq!((out.code, out.stdout.as_str(), out.stderr.as_str()), (0, "hello\n", ""));
    assert_eq!(text.lines().count(), n, "same instructions under the JIT");

    let out = bohr(&["exec", "--arch", "riscv64", "--execlog", &log_arg, &echo]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--execlog needs --trace execlog"), "{}", out.stderr);
    assert!(!Path::new(&log).exists());
}

#[test]
fn trace_reports_a_run_the_machine_stopped() {
    let p = Project::new("trace-stop");
    p.script("spin", "spin\n");
    let m = p.matrix(
        "stop",
        "name = \"stop\"\n[matrix]\narch = [\"mipsel\"]\nscript = [\"spin\"]\n[cell]\nmax_insns = 5000\n",
    );
    let out = p.bohr(&["trace", &m, "--cell", "mipsel/spin", "--to", "1"]);
    // The cell expects exit 0 by default: the stopped run fails it.
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let re = Regex::new(
        r"(?m)^exit 124 \(stopped: instruction limit, pid 2 at pc 0x[0-9a-f]+\), 5000 instructions, fingerprint 0x[0-9a-f]{16}$",
    )
    .unwrap();
    assert!(re.is_match(&out.stdout), "{}", out.stdout);
    assert!(out.stdout.contains("expectation failed: "), "{}", out.stdout);
    assert_eq!(out.stderr.lines().count(), 1, "one execlog line: {}", out.stderr);
}
