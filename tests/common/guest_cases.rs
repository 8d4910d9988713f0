//! The architecture-independent guest test cases (`guest/cases.toml`) and a
//! runner for them.
//!
//! A [`Launcher`] turns `(arch, program path, args)` into a
//! [`std::process::Command`]; the same cases can thus run under qemu-user,
//! under `bohr exec`, or anything else that executes a guest binary as a host
//! process. Pipelines are real chains of processes.
//!
//! Include from an integration test with
//! `#[path = "common/guest_cases.rs"] mod guest_cases;`.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde::Deserialize;

/// Guest architectures, as named in `guest/bin/<arch>/`.
pub const ARCHES: &[&str] = &["riscv64", "aarch64", "powerpc64", "mipsel", "mipseb", "armel"];

/// Every program built by `guest/build.sh`.
pub const PROGRAMS: &[&str] = &[
    "cat",
    "strings",
    "grep",
    "echo",
    "head",
    "wc",
    "od",
    "hexdump",
    "cmp",
    "dd",
    "sha256sum",
    "yes",
    "true",
    "false",
    "bench",
    "mtdinfo",
    "badbuf",
    "smc",
    "segv",
    "illegal",
    "spin",
    "mmapbomb",
    "forkbomb",
];

/// Programs built only for some architectures (they need hardware floating
/// point), as `(arch, program)`.
pub const ARCH_PROGRAMS: &[(&str, &str)] = &[
    ("riscv64", "fpbench"),
    ("aarch64", "fpbench"),
    ("powerpc64", "fpbench"),
    ("mipsel", "fpbench"),
    ("mipseb", "fpbench"),
    ("mipsel", "fpmode32"),
    ("mipsel", "fpmodexx"),
    ("mipsel", "fpmode64"),
    ("mipseb", "fpmode32"),
    ("mipseb", "fpmodexx"),
    ("mipseb", "fpmode64"),
];

/// Every program built for `arch`.
pub fn programs_for(arch: &str) -> Vec<&'static str> {
    let only = ARCH_PROGRAMS.iter().filter(|(a, _)| *a == arch).map(|(_, p)| *p);
    PROGRAMS.iter().copied().chain(only).collect()
}

/// Programs that deliberately have no case: `spin` never terminates, and
/// the bombs take every byte or process slot they can get, so they run
/// only inside Bohr's limits (`tests/cli_limits.rs`), never under QEMU.
pub const PROGRAMS_WITHOUT_CASES: &[&str] = &["spin", "mmapbomb", "forkbomb"];

/// Repository root (the working directory of every guest process).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Path of a guest program for an architecture.
pub fn program_path(root: &Path, arch: &str, program: &str) -> PathBuf {
    root.join("guest").join("bin").join(arch).join(program)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    #[serde(rename = "case")]
    pub cases: Vec<Case>,
}

/// Expectations that a runner may replace (see `[case.override.RUNNER]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    pub stdout: Option<String>,
    pub stderr: Option<String>,
    pub stderr_contains: Option<String>,
    pub ignore_stderr: Option<bool>,
    pub exit: Option<i32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    #[serde(default)]
    pub argv: Option<Vec<String>>,
    #[serde(default)]
    pub pipeline: Option<Vec<Vec<String>>>,
    #[serde(default)]
    pub stdin: Option<String>,
    #[serde(default)]
    pub stdout: String,
    #[serde(default)]
    pub stderr: Option<String>,
    #[serde(default)]
    pub stderr_contains: Option<String>,
    #[serde(default)]
    pub ignore_stderr: bool,
    #[serde(default)]
    pub exit: i32,
    #[serde(default)]
    pub arches: Option<Vec<String>>,
    #[serde(default)]
    pub r#override: BTreeMap<String, Override>,
}

/// What a case expects once a runner's overrides are applied.
#[derive(Debug, Clone)]
pub struct Expected {
    pub stdout: String,
    pub stderr: Option<String>,
    pub stderr_contains: Option<String>,
    pub ignore_stderr: bool,
    pub exit: i32,
}

impl Case {
    /// The stages: one argv, or the pipeline's argvs.
    pub fn stages(&self) -> Vec<Vec<String>> {
        match (&self.argv, &self.pipeline) {
            (Some(argv), None) => vec![argv.clone()],
            (None, Some(p)) => p.clone(),
            _ => Vec::new(),
        }
    }

    /// Whether the case applies to an architecture.
    pub fn applies_to(&self, arch: &str) -> bool {
        self.arches.as_ref().is_none_or(|a| a.iter().any(|x| x == arch))
    }

    /// Expectations for a runner (e.g. "qemu").
    pub fn expected(&self, runner: &str) -> Expected {
        let mut e = Expected {
            stdout: self.stdout.clone(),
            stderr: self.stderr.clone(),
            stderr_contains: self.stderr_contains.clone(),
            ignore_stderr: self.ignore_stderr,
            exit: self.exit,
        };
        if let Some(o) = self.r#override.get(runner) {
            if let Some(v) = &o.stdout {
                e.stdout = v.clone();
            }
            if o.stderr.is_some() || o.stderr_contains.is_some() {
                e.stderr = o.stderr.clone();
                e.stderr_contains = o.stderr_contains.clone();
            }
            if let Some(v) = o.ignore_stderr {
                e.ignore_stderr = v;
            }
            if let Some(v) = o.exit {
                e.exit = v;
            }
        }
        e
    }

    fn validate(&self) -> Result<(), String> {
        let stages = self.stages();
        if stages.is_empty() {
            return Err(format!("case {}: needs exactly one of argv and pipeline", self.name));
        }
        if stages.iter().any(|s| s.is_empty()) {
            return Err(format!("case {}: empty argv", self.name));
        }
        if self.stderr.is_some() && self.stderr_contains.is_some() {
            return Err(format!("case {}: both stderr and stderr_contains", self.name));
        }
        for s in &stages {
            let known =
                PROGRAMS.contains(&s[0].as_str()) || ARCH_PROGRAMS.iter().any(|&(_, p)| p == s[0]);
            if !known {
                return Err(format!("case {}: unknown program {:?}", self.name, s[0]));
            }
        }
        if let Some(a) = &self.arches {
            for x in a {
                if !ARCHES.contains(&x.as_str()) {
                    return Err(format!("case {}: unknown arch {x:?}", self.name));
                }
            }
        }
        Ok(())
    }
}

/// Parses and checks `guest/cases.toml`.
pub fn load_cases(root: &Path) -> Vec<Case> {
    let path = root.join("guest").join("cases.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let file: CaseFile =
        toml::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()));
    let mut names = std::collections::BTreeSet::new();
    for c in &file.cases {
        if let Err(e) = c.validate() {
            panic!("{}: {e}", path.display());
        }
        assert!(names.insert(c.name.clone()), "{}: duplicate case {}", path.display(), c.name);
    }
    file.cases
}

/// Builds the host command that runs a guest program: (arch, program path,
/// args). Working directory and standard streams are set by the caller.
pub type CommandFn = dyn Fn(&str, &Path, &[String]) -> Command + Send + Sync;

/// Runs a guest program as a host process.
pub struct Launcher {
    /// Runner name, used to select `[case.override.NAME]` and in messages.
    pub name: String,
    /// Builds the command for one guest program.
    pub command: Box<CommandFn>,
    /// Wall-clock limit for one case.
    pub timeout: Duration,
}

/// What a case produced.
#[derive(Debug)]
pub struct Outcome {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Exit status of the last stage; 128+N for death by signal N.
    pub exit: i32,
}

fn status_code(s: ExitStatus) -> i32 {
    match (s.code(), s.signal()) {
        (Some(c), _) => c,
        (None, Some(sig)) => 128 + sig,
        _ => -1,
    }
}

fn reader<R: Read + Send + 'static>(mut r: R) -> JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut v = Vec::new();
        let _ = r.read_to_end(&mut v);
        v
    })
}

fn kill_all(children: &mut [Child]) {
    for c in children.iter_mut() {
        let _ = c.kill();
        let _ = c.wait();
    }
}

/// Runs one case for one architecture and returns what it produced.
pub fn run_case(
    root: &Path,
    arch: &str,
    case: &Case,
    launcher: &Launcher,
) -> Result<Outcome, String> {
    let stages = case.stages();
    let mut children: Vec<Child> = Vec::new();
    let mut stderr_readers = Vec::new();
    let mut prev_stdout = None;
    for (i, argv) in stages.iter().enumerate() {
        let prog = program_path(root, arch, &argv[0]);
        if !prog.is_file() {
            kill_all(&mut children);
            return Err(format!("missing program {}", prog.display()));
        }
        let mut cmd = (launcher.command)(arch, &prog, &argv[1..]);
        cmd.current_dir(root);
        if i == 0 {
            cmd.stdin(if case.stdin.is_some() { Stdio::piped() } else { Stdio::null() });
        } else {
            cmd.stdin(Stdio::from(prev_stdout.take().expect("previous stdout")));
        }
        cmd.stdout(Stdio::piped());
        cmd.stderr(Stdio::piped());
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                kill_all(&mut children);
                return Err(format!("spawning {cmd:?}: {e}"));
            }
        };
        // Dropping cmd closes the parent's copy of the previous pipe.
        drop(cmd);
        stderr_readers.push(reader(child.stderr.take().expect("stderr")));
        prev_stdout = child.stdout.take();
        children.push(child);
    }
    let stdout_reader = reader(prev_stdout.take().expect("stdout"));
    let feeder = children[0].stdin.take().map(|mut w| {
        let data = case.stdin.clone().unwrap_or_default().into_bytes();
        thread::spawn(move || {
            // The program may exit without reading everything.
            let _ = w.write_all(&data);
        })
    });

    let deadline = Instant::now() + launcher.timeout;
    let mut statuses: Vec<Option<ExitStatus>> = vec![None; children.len()];
    loop {
        for (c, s) in children.iter_mut().zip(statuses.iter_mut()) {
            if s.is_none() {
                match c.try_wait() {
                    Ok(st) => *s = st,
                    Err(e) => return Err(format!("waiting: {e}")),
                }
            }
        }
        if statuses.iter().all(Option::is_some) {
            break;
        }
        if Instant::now() > deadline {
            kill_all(&mut children);
            return Err(format!("timed out after {:?}", launcher.timeout));
        }
        thread::sleep(Duration::from_millis(5));
    }
    if let Some(f) = feeder {
        let _ = f.join();
    }
    let stdout = stdout_reader.join().unwrap_or_default();
    let mut stderr = Vec::new();
    for r in stderr_readers {
        stderr.extend(r.join().unwrap_or_default());
    }
    let exit = status_code(statuses.last().copied().flatten().expect("status"));
    Ok(Outcome { stdout, stderr, exit })
}

fn show(bytes: &[u8]) -> String {
    const MAX: usize = 1500;
    let s = String::from_utf8_lossy(bytes);
    let mut d = format!("{s:?}");
    if d.len() > MAX {
        let mut cut = MAX;
        while !d.is_char_boundary(cut) {
            cut -= 1;
        }
        d.truncate(cut);
        d.push_str("...(truncated)");
    }
    d
}

fn first_difference(a: &[u8], b: &[u8]) -> String {
    let n = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let line = a[..n].iter().filter(|&&c| c == b'\n').count() + 1;
    format!(
        "first difference at byte {n} (line {line}); expected {} bytes, got {}",
        a.len(),
        b.len()
    )
}

/// Compares an outcome with the case's expectations for a runner; returns a
/// readable description of every mismatch.
pub fn check_outcome(case: &Case, runner: &str, out: &Outcome) -> Result<(), String> {
    let e = case.expected(runner);
    let mut msg = String::new();
    if out.exit != e.exit {
        let _ = writeln!(msg, "  exit status: expected {}, got {}", e.exit, out.exit);
    }
    if out.stdout != e.stdout.as_bytes() {
        let _ = writeln!(
            msg,
            "  stdout differs ({})\n    expected: {}\n    got:      {}",
            first_difference(e.stdout.as_bytes(), &out.stdout),
            show(e.stdout.as_bytes()),
            show(&out.stdout)
        );
    }
    if !e.ignore_stderr {
        if let Some(want) = &e.stderr_contains {
            let got = String::from_utf8_lossy(&out.stderr);
            if !got.contains(want.as_str()) {
                let _ = writeln!(
                    msg,
                    "  stderr should contain {want:?}\n    got: {}",
                    show(&out.stderr)
                );
            }
        } else {
            let want = e.stderr.as_deref().unwrap_or("");
            if out.stderr != want.as_bytes() {
                let _ = writeln!(
                    msg,
                    "  stderr differs\n    expected: {}\n    got:      {}",
                    show(want.as_bytes()),
                    show(&out.stderr)
                );
            }
        }
    }
    if msg.is_empty() { Ok(()) } else { Err(msg) }
}

/// Runs every case for every given architecture, in parallel, and returns
/// the failures as readable messages.
pub fn run_all(root: &Path, arches: &[&str], cases: &[Case], launcher: &Launcher) -> Vec<String> {
    let jobs: Vec<(&str, &Case)> = arches
        .iter()
        .flat_map(|&a| cases.iter().filter(move |c| c.applies_to(a)).map(move |c| (a, c)))
        .collect();
    let workers = thread::available_parallelism().map(|n| n.get()).unwrap_or(2).clamp(2, 16);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(&(arch, case)) = jobs.get(i) else { break };
                    let result = run_case(root, arch, case, launcher)
                        .and_then(|out| check_outcome(case, &launcher.name, &out));
                    if let Err(e) = result {
                        let what = case
                            .stages()
                            .iter()
                            .map(|s| s.join(" "))
                            .collect::<Vec<_>>()
                            .join(" | ");
                        failures.lock().unwrap().push(format!(
                            "[{}/{arch}] case {} ({what}):\n{}",
                            launcher.name,
                            case.name,
                            e.trim_end()
                        ));
                    }
                }
            });
        }
    });
    let mut f = failures.into_inner().unwrap();
    f.sort();
    f
}

/// True when the environment variable CI is set to something other than
/// "" or "false": missing tools are then failures instead of skips.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false")
}

/// Looks a program up in PATH.
pub fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}
