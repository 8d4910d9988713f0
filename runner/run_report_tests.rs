//! Scheduler and report tests on a fake executor: isolation of panics and
//! timeouts, seeds, and a report that does not depend on `--jobs`. They sit
//! above both `run` and `report`, which do not import each other.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bohr_emu::machine::{
    MachineConfig, MachineStats, Outcome, RunControl, ScriptError, Stopped, WritePath,
};

use crate::events::Silent;
use crate::matrix::{self, Cell, Matrix};
use crate::report::{junit, text};
use crate::run::executor::Executor;
use crate::run::*;

/// Outcomes computed from the configuration, with a delay that scrambles
/// completion order. `checked` cells panic, quantum 7 hits the
/// instruction limit.
struct Fake;

impl Executor for Fake {
    fn check(&self, _name: &str, script: &str) -> Result<(), ScriptError> {
        if script.contains("for ") {
            Err(ScriptError::Syntax {
                file: "s.sh".into(),
                line: 1,
                col: 1,
                message: "loops are not supported".into(),
            })
        } else {
            Ok(())
        }
    }

    fn run(
        &self,
        cfg: &MachineConfig,
        name: &str,
        script: &str,
        _ctl: &RunControl,
    ) -> Result<Outcome, ScriptError> {
        std::thread::sleep(Duration::from_millis((cfg.seed % 7) * 3 + (cfg.quantum % 5)));
        if cfg.write_path == WritePath::Checked {
            panic!("fake machine bug on {}", cfg.arch);
        }
        let stopped =
            (cfg.quantum == 7).then_some(Stopped::InstructionLimit { pid: 2, pc: 0x1234 });
        Ok(Outcome {
            exit_code: if stopped.is_some() { 124 } else { 0 },
            stopped,
            stdout: format!("{name}: {} seed {}\n{script}\0\u{1b}[1m]]>", cfg.arch, cfg.seed)
                .into_bytes(),
            stderr: b"\xff\xfe".to_vec(),
            events: Vec::new(),
            processes: Vec::new(),
            stats: MachineStats { insns: 1000 + cfg.seed % 1000, ..MachineStats::default() },
            fingerprint: cfg.seed.wrapping_mul(31) ^ cfg.quantum,
            limits: Default::default(),
        })
    }
}

fn scratch(text: &str) -> (std::path::PathBuf, Matrix) {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "bohr-run-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("guest-scripts")).unwrap();
    std::fs::write(dir.join("Cargo.toml"), "").unwrap();
    std::fs::write(dir.join("guest-scripts/s.sh"), "echo s\n").unwrap();
    let path = dir.join("m.toml");
    std::fs::write(&path, text).unwrap();
    let m = matrix::load(&path).unwrap();
    (dir, m)
}

fn run_all<'m>(m: &'m Matrix, opts: &Options) -> Report<'m> {
    let cells: Vec<&Cell> = m.cells.iter().collect();
    run(m, &cells, opts, &Fake, &Silent, None).unwrap()
}

const MATRIX: &str = r#"
[matrix]
arch = ["riscv64"]
write_path = ["host", "checked"]
seed = [1, 2, 3, 4, 5]
script = ["s"]
[[matrix.include]]
write_path = "host"
seed = 5
quantum = 7
[expect]
stdout_contains = ["seed"]
"#;

#[test]
fn the_report_does_not_depend_on_the_number_of_jobs() {
    let (dir, m) = scratch(MATRIX);
    let one = run_all(&m, &Options { jobs: 1, ..Options::default() });
    let many = run_all(&m, &Options { jobs: 6, ..Options::default() });
    assert_eq!(text::render(&one), text::render(&many));
    let ids: Vec<&str> = many.cells.iter().map(|c| c.cell.id.as_str()).collect();
    assert_eq!(ids[0], "riscv64/host/1/s");
    assert_eq!(ids[4], "riscv64/host/5/s/quantum=7");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn panics_and_instruction_limits_stay_in_their_cells() {
    let (dir, m) = scratch(MATRIX);
    let r = run_all(&m, &Options { jobs: 3, ..Options::default() });
    let statuses: Vec<CellStatus> = r.cells.iter().map(CellReport::status).collect();
    use CellStatus::*;
    assert_eq!(statuses, [Pass, Pass, Pass, Pass, Timeout, Error, Error, Error, Error, Error]);
    let err = &r.cells[5].runs[0].failures[0].message;
    assert!(err.starts_with("the cell panicked: panicked at "), "{err}");
    assert!(err.contains("fake machine bug on riscv64"), "{err}");
    let to = &r.cells[4].runs[0].failures[0].message;
    assert_eq!(to, "timed out: instruction limit of 500000000 reached at pc 0x1234 (pid 2)");
    assert_eq!(r.exit_code(), 1);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn repeats_use_derived_seeds_and_cli_seed_overrides() {
    let (dir, m) = scratch(MATRIX);
    let r = run_all(&m, &Options { jobs: 2, repeat: 3, seed: Some(40), ..Options::default() });
    let c = &r.cells[0];
    let seeds: Vec<u64> = c.runs.iter().map(|x| x.seed).collect();
    assert_eq!(seeds, [40, seed::run_seed(40, 1), seed::run_seed(40, 2)]);
    let out = String::from_utf8_lossy(&c.runs[2].outcome.as_ref().unwrap().stdout).into_owned();
    assert!(out.contains(&format!("seed {}", seeds[2])), "{out}");
    let report = text::render(&r);
    assert!(report.contains(", 3 runs each, --seed 40"), "{report}");
    let line = report.lines().find(|l| l.starts_with("riscv64/host/1/s ")).expect("pass counts");
    assert!(line.ends_with("  3/3 passed"), "{report}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn fail_fast_skips_what_has_not_started() {
    let (dir, m) = scratch(MATRIX);
    let r = run_all(&m, &Options { jobs: 1, fail_fast: true, ..Options::default() });
    let statuses: Vec<CellStatus> = r.cells.iter().map(CellReport::status).collect();
    assert_eq!(statuses[4], CellStatus::Timeout);
    assert!(statuses[5..].iter().all(|s| *s == CellStatus::Skipped), "{statuses:?}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn junit_escapes_everything_the_guest_prints() {
    let (dir, m) = scratch(MATRIX);
    let r = run_all(&m, &Options { jobs: 2, ..Options::default() });
    let path = dir.join("out/j.xml");
    junit::write(&r, &path).unwrap();
    let xml = std::fs::read_to_string(&path).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("valid XML");
    let cases: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("testcase")).collect();
    assert_eq!(cases.len(), 10);
    let out: String = cases[0]
        .children()
        .find(|n| n.has_tag_name("system-out"))
        .unwrap()
        .children()
        .filter_map(|n| n.text())
        .collect();
    assert!(out.contains("echo s\n\\u{0000}]]>"), "{out:?}");
    assert_eq!(doc.descendants().filter(|n| n.has_tag_name("error")).count(), 5);
    assert_eq!(doc.descendants().filter(|n| n.has_tag_name("failure")).count(), 1);
    // No temporary file is left beside the report.
    let left: Vec<_> = std::fs::read_dir(dir.join("out")).unwrap().flatten().collect();
    assert_eq!(left.len(), 1);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn script_errors_are_configuration_errors() {
    let (dir, m) = scratch(MATRIX);
    std::fs::write(dir.join("guest-scripts/s.sh"), "for x\n").unwrap();
    let m2 = matrix::load(&m.path).unwrap();
    let cells: Vec<&Cell> = m2.cells.iter().collect();
    let e = check_scripts(&m2, &cells, &Fake).unwrap_err().to_string();
    assert!(e.contains("invalid guest script"), "{e}");
    assert!(e.contains("s.sh:1:1: loops are not supported"), "{e}");
    let _ = std::fs::remove_dir_all(dir);
}

/// Fails its first attempt, then passes: a host-dependent failure.
struct FailsOnce(AtomicUsize);

impl Executor for FailsOnce {
    fn check(&self, _name: &str, _script: &str) -> Result<(), ScriptError> {
        Ok(())
    }

    fn run(
        &self,
        cfg: &MachineConfig,
        name: &str,
        script: &str,
        ctl: &RunControl,
    ) -> Result<Outcome, ScriptError> {
        let mut o = Fake.run(cfg, name, script, ctl)?;
        if self.0.fetch_add(1, Ordering::SeqCst) == 0 {
            o.exit_code = 9;
        }
        Ok(o)
    }
}

const ONE_CELL: &str = "[matrix]\narch = [\"riscv64\"]\nscript = [\"s\"]\n";

#[test]
fn retries_tell_flaky_runs_from_deterministic_failures() {
    let (dir, m) = scratch(ONE_CELL);
    let cells: Vec<&Cell> = m.cells.iter().collect();
    let opts = Options { retries: 2, ..Options::default() };
    let r = run(&m, &cells, &opts, &FailsOnce(AtomicUsize::new(0)), &Silent, None).unwrap();
    assert_eq!(r.cells[0].status(), CellStatus::Flaky);
    assert_eq!(r.cells[0].runs[0].retries, [Status::Pass]);
    assert!(text::render(&r).contains("retries with the same seed: pass"));

    // Always failing: every retry fails the same way, and the report says
    // retrying a deterministic run cannot help.
    let failing = "[matrix]\narch = [\"riscv64\"]\nscript = [\"s\"]\n[expect]\nexit = 4\n";
    let (dir2, m) = scratch(failing);
    let cells: Vec<&Cell> = m.cells.iter().collect();
    let r = run(&m, &cells, &opts, &Fake, &Silent, None).unwrap();
    assert_eq!(r.cells[0].status(), CellStatus::Fail);
    assert_eq!(r.cells[0].runs[0].retries, [Status::Fail, Status::Fail]);
    assert!(text::render(&r).contains("failed the same way on 2 retries with the same seed"));
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(dir2);
}

/// Records the kinds of the events it gets.
struct Recorder(std::sync::Mutex<Vec<String>>);

impl crate::events::Reporter for Recorder {
    fn handle(&self, event: &crate::events::Event<'_, '_>) {
        use crate::events::Event;
        let s = match *event {
            Event::RunStarted { jobs, .. } => format!("run-started {jobs}"),
            Event::CellStarted { job, .. } => format!("started {job}"),
            Event::CellFinished { job, record, .. } => {
                format!("finished {job} {}", record.status.name())
            }
            Event::Interrupted { signal } => format!("interrupted {signal}"),
            Event::RunFinished { report } => format!("run-finished {}", report.cells.len()),
        };
        self.0.lock().unwrap().push(s);
    }
}

#[test]
fn every_job_starts_and_finishes_between_run_started_and_run_finished() {
    let (dir, m) = scratch(MATRIX);
    let cells: Vec<&Cell> = m.cells.iter().collect();
    let rec = Recorder(std::sync::Mutex::new(Vec::new()));
    let opts = Options { jobs: 3, repeat: 2, ..Options::default() };
    let r = run(&m, &cells, &opts, &Fake, &rec, None).unwrap();
    let events = rec.0.into_inner().unwrap();
    let jobs = r.cells.len() * 2;
    assert_eq!(events.first().map(String::as_str), Some(format!("run-started {jobs}").as_str()));
    assert_eq!(
        events.last().map(String::as_str),
        Some(format!("run-finished {}", r.cells.len()).as_str())
    );
    for job in 0..jobs {
        let started = events.iter().position(|e| *e == format!("started {job}")).unwrap();
        let finished =
            events.iter().position(|e| e.starts_with(&format!("finished {job} "))).unwrap();
        assert!(started < finished, "{events:?}");
    }
    assert_eq!(events.len(), 2 + 2 * jobs);
    let _ = std::fs::remove_dir_all(dir);
}

fn interrupted_now() -> Option<i32> {
    Some(15)
}

#[test]
fn an_interrupted_run_starts_nothing_and_reports_every_cell_skipped() {
    let (dir, m) = scratch(MATRIX);
    let cells: Vec<&Cell> = m.cells.iter().collect();
    let rec = Recorder(std::sync::Mutex::new(Vec::new()));
    let opts = Options { jobs: 2, interrupted: interrupted_now, ..Options::default() };
    let r = run(&m, &cells, &opts, &Fake, &rec, None).unwrap();
    assert_eq!(r.exit_code(), 143);
    assert!(r.cells.iter().all(|c| c.status() == CellStatus::Skipped));
    let events = rec.0.into_inner().unwrap();
    assert_eq!(events.iter().filter(|e| e.starts_with("interrupted")).count(), 1, "{events:?}");
    assert!(!events.iter().any(|e| e.starts_with("started")), "{events:?}");
    assert!(text::render(&r).contains("skipped (not run: the run was interrupted)"));
    let _ = std::fs::remove_dir_all(dir);
}
