//! End-to-end tests of the runner's user experience against nextest,
//! GitHub Actions and JUnit consumers' habits, and of its behaviour with
//! careless input: repro commands that work outside the repository,
//! readable grids for any selection, JUnit a real consumer parses, the
//! flags nextest users type, GitHub's limits, guest output that tries to
//! break reports, interruption, and configuration errors found before any
//! cell runs.

mod runner_support;

use runner_support::{Project, fingerprints, repro_lines};

const ARCH: &str = "riscv64";

fn project(tag: &str) -> Project {
    let p = Project::new(tag);
    p.script("hello", "echo hello world\n");
    p.script("dump", "head -c 16 /dev/mtd0 | od -A x -t x1\n");
    p
}

const MTD: &str = r#"
[[mtd]]
name = "flash"
size = "64KiB"
erasesize = "4KiB"
fill = "random"
"#;

#[test]
fn a_repro_pasted_into_a_shell_outside_the_repository_replays_the_run() {
    let p = project("repro-shell");
    let m = p.matrix(
        "m",
        &format!(
            "[matrix]\narch = [\"{ARCH}\"]\nscript = [\"dump\"]\n[cell]\nseed = 3\n{MTD}\n\
             [expect]\nstdout_contains = [\"NOT THERE\"]\n"
        ),
    );
    let out = p.bohr(&[&m]);
    assert_eq!(out.code, 1, "{out:?}");
    let lines = repro_lines(&out.stdout);
    assert_eq!(lines.len(), 1, "{}", out.stdout);
    assert!(!lines[0].starts_with("cargo "), "outside Bohr's workspace: {}", lines[0]);
    let shell = std::process::Command::new("sh")
        .arg("-c")
        .arg(&lines[0])
        .current_dir(&p.dir)
        .env("CI", "1")
        .output()
        .expect("run sh");
    let again = String::from_utf8_lossy(&shell.stdout);
    assert_eq!(shell.status.code(), Some(1), "{again}");
    assert_eq!(fingerprints(&again), fingerprints(&out.stdout));
    assert_eq!(fingerprints(&again).len(), 1);

    // A matrix named from outside the working directory is absolute.
    let sub = p.path("sub");
    std::fs::create_dir_all(&sub).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bohr"))
        .args(["../matrices/m.toml", "--junit", "../target/x.xml"])
        .current_dir(&sub)
        .env("CI", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = repro_lines(&stdout).pop().expect(&stdout);
    let abs = std::fs::canonicalize(p.path("matrices/m.toml")).unwrap();
    assert!(line.contains(&format!(" {} --cell", abs.display())), "{line}");
}

#[test]
fn the_grid_names_what_each_symbol_is_for_any_selection() {
    let p = project("grid");
    p.script("bye", "echo bye\n");
    let m = p.matrix(
        "m",
        &format!(
            "[matrix]\narch = [\"{ARCH}\"]\nwrite_path = [\"host\", \"checked\"]\n\
             script = [\"hello\", \"bye\"]\n"
        ),
    );
    let out = p.bohr(&[&m, "--cell", "*/hello", "--cell", "riscv64/host/bye"]);
    assert_eq!(out.code, 0, "{out:?}");
    let s = &out.stdout;
    // A few script values: one column per script.
    assert!(
        s.contains("arch \\ write_path / script  host/hello  host/bye  checked/hello  checked/bye"),
        "{s}"
    );
    assert!(
        s.contains("riscv64                     ✓           ✓         ✓              ·"),
        "{s}"
    );
    assert!(s.contains("· not selected"), "{s}");
    let summary = p.path("summary.md");
    let out = p.bohr_env(
        &[&m, "--partition", "2/2"],
        &[
            ("CI", "1"),
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.starts_with("### bohr: m (partition 2/2)\n"), "{md}");
    assert!(md.contains("· not selected"), "{md}");
}

#[test]
fn junit_parses_with_a_real_consumer_that_sees_lines_and_counts() {
    let p = project("junitparser");
    p.script("err", "echo out; echo oops >&2; exit 3\n");
    let m =
        p.matrix("m", &format!("[matrix]\narch = [\"{ARCH}\"]\nscript = [\"hello\", \"err\"]\n"));
    let out = p.bohr(&[&m, "--junit", "out.xml", "--fail-fast", "-j", "1"]);
    assert_eq!(out.code, 1, "{out:?}");
    let xml = p.read("out.xml");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let logs: String = doc
        .descendants()
        .filter(|n| n.has_tag_name("system-out") || n.has_tag_name("system-err"))
        .flat_map(|n| n.children().filter_map(|c| c.text()))
        .collect();
    assert_eq!(logs.matches("oops").count(), 1, "stderr once: {xml}");
    // junitparser, as the Python publishers use it.
    let script = r#"
import sys
from junitparser import JUnitXml
xml = JUnitXml.fromfile(sys.argv[1])
for suite in xml:
    print("suite", suite.tests, suite.failures, suite.errors, suite.skipped)
    for case in suite:
        for r in case.result:
            print("case", case.name, case._elem.get("line"), type(r).__name__, r.message)
"#;
    let py = std::process::Command::new("/usr/bin/python3")
        .args(["-c", script])
        .arg(p.path("out.xml"))
        .output()
        .expect("python3 with junitparser (Debian python3-junitparser)");
    let text = String::from_utf8_lossy(&py.stdout);
    assert!(py.status.success(), "{text}{}", String::from_utf8_lossy(&py.stderr));
    assert!(text.contains("suite 2 1 0 0\n"), "{text}");
    assert!(
        text.contains("case riscv64/err 1 Failure matrices/m.toml:1: exit status 3, expected 0"),
        "{text}"
    );
}

#[test]
fn nextest_flags_and_matrix_arguments_work() {
    let p = project("flags");
    let m = p.matrix("smoke", &format!("[matrix]\narch = [\"{ARCH}\"]\nscript = [\"hello\"]\n"));
    let out = p.bohr(&[&m, "--no-fail-fast"]);
    assert_eq!(out.code, 0, "{out:?}");
    let out = p.bohr(&["-j", "2", &m]);
    assert_eq!(out.code, 0, "{out:?}");
    let out = p.bohr(&["matrices/smoke"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("matrix smoke (matrices/smoke.toml)"), "{}", out.stdout);
    let out = p.bohr(&[&m, "--color", "always"]);
    assert!(out.stdout.contains("\u{1b}["), "{}", out.stdout);
    let out = p.bohr(&[&m, "--color", "never"]);
    assert!(!out.stdout.contains('\u{1b}'), "{}", out.stdout);
    // TERM=dumb still gets plain progress lines.
    let out = p.bohr_env(&[&m], &[("TERM", "dumb")]);
    assert!(out.stderr.contains("[1/1] pass"), "{}", out.stderr);

    // A JSON stream: one object per finished run in matrix order, then a
    // summary; the human report goes to stderr.
    let m2 = p.matrix(
        "two",
        &format!("[matrix]\narch = [\"{ARCH}\"]\nscript = [\"hello\", \"dump\"]\n{MTD}"),
    );
    let out = p.bohr(&[&m2, "--message-format", "json", "-j", "2"]);
    assert_eq!(out.code, 0, "{out:?}");
    let objs: Vec<serde_json::Value> =
        out.stdout.lines().map(|l| serde_json::from_str(l).expect(l)).collect();
    assert_eq!(objs.len(), 3, "{}", out.stdout);
    assert_eq!(objs[0]["cell"], "riscv64/hello");
    assert_eq!(objs[1]["cell"], "riscv64/dump");
    assert_eq!(objs[1]["status"], "pass");
    assert_eq!(objs[2]["type"], "summary");
    assert_eq!(objs[2]["passed"], 2);
    assert!(out.stderr.contains("result: 2 passed"), "{}", out.stderr);
}

#[test]
fn github_limits_are_errors_and_the_summary_is_text() {
    let p = project("github-limits");
    let values: Vec<String> = (1..=300).map(|i| i.to_string()).collect();
    let m = p.matrix(
        "big",
        &format!(
            "[matrix]\narch = [\"{ARCH}\"]\nscript = [\"hello\"]\nquantum = [{}]\n",
            values.join(", ")
        ),
    );
    let out = p.bohr(&["list", &m, "--format", "github-matrix"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("300 jobs"), "{}", out.stderr);
    assert!(out.stderr.contains("--shards"), "{}", out.stderr);
    let out = p.bohr(&["list", &m, "--format", "github-matrix", "--shards", "4"]);
    assert_eq!(out.code, 0, "{out:?}");
    let small =
        p.matrix("small", &format!("[matrix]\narch = [\"{ARCH}\"]\nscript = [\"hello\"]\n"));
    let out = p.bohr(&["list", &small, "--format", "github-matrix", "--partition", "2/2"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("no cells"), "{}", out.stderr);

    let m = p.matrix(
        "html",
        &format!(
            "[matrix]\narch = [\"{ARCH}\"]\nscript = [\"hello\"]\nenv.X = [\"a`b\"]\n\
             [expect]\nstdout_contains = [\"<b>bold</b>\"]\n"
        ),
    );
    let summary = p.path("summary.md");
    let out = p.bohr_env(
        &[&m],
        &[
            ("CI", "1"),
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
        ],
    );
    assert_eq!(out.code, 1, "{out:?}");
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(!md.contains("<b>"), "{md}");
    assert!(md.contains("&lt;b&gt;bold&lt;/b&gt;"), "{md}");
    assert!(md.contains("`` riscv64/hello/a`b ``"), "{md}");
}

#[test]
fn an_unterminated_osc_does_not_swallow_the_transcript() {
    let p = project("osc");
    p.script("osc", "echo \"start \\033]title\"; echo \"IMPORTANT line\"; echo err >&2; exit 1\n");
    let m = p.matrix("m", &format!("[matrix]\narch = [\"{ARCH}\"]\nscript = [\"osc\"]\n"));
    let out = p.bohr(&[&m, "--junit", "out.xml"]);
    assert_eq!(out.code, 1, "{out:?}");
    let xml = p.read("out.xml");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let text = |tag: &str| -> String {
        doc.descendants()
            .filter(|n| n.has_tag_name(tag))
            .flat_map(|n| n.children().filter_map(|c| c.text()).map(str::to_string))
            .collect()
    };
    let sysout = text("system-out");
    assert!(sysout.contains("IMPORTANT line"), "{sysout:?}");
    assert!(sysout.contains("--- events"), "{sysout:?}");
    assert!(text("system-err").contains("err"), "{xml}");
}

#[test]
fn configuration_errors_are_found_before_any_cell_runs() {
    let p = project("config-early");
    let m = p.matrix(
        "m",
        &format!(
            "[matrix]\narch = [\"{ARCH}\"]\nscript = [\"hello\"]\n\n[[mtd]]\nsize = \"1024GiB\"\n"
        ),
    );
    let out = p.bohr(&[&m]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("matrices/m.toml:6:8: MTD `mtd0`: size"), "{}", out.stderr);
    assert!(!out.stderr.contains("[1/"), "{}", out.stderr);

    let ok = p.matrix("ok", &format!("[matrix]\narch = [\"{ARCH}\"]\nscript = [\"hello\"]\n"));
    std::fs::create_dir_all(p.path("adir")).unwrap();
    let out = p.bohr(&[&ok, "--junit", "adir"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("adir: --junit names a directory"), "{}", out.stderr);
    assert!(!out.stderr.contains("[1/"), "{}", out.stderr);

    let long = "x".repeat(300);
    let m = p.matrix(
        "long",
        &format!(
            "[matrix]\narch = [\"{ARCH}\"]\nscript = [\"hello\"]\nenv.X = [\"{long}\"]\n\
             [expect]\nsnapshot = true\n"
        ),
    );
    let out = p.bohr(&[&m]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("matrices/long.toml:1:2: cell `riscv64/hello/xx"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("too long for a snapshot file name"), "{}", out.stderr);

    std::fs::write(p.path("matrices/bin.toml"), b"name = \"a\"\n[matrix]\narch = [\"\xff\"]\n")
        .unwrap();
    let out = p.bohr(&["matrices/bin.toml"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("matrices/bin.toml:3:10: the matrix is not UTF-8"),
        "{}",
        out.stderr
    );

    let m = p.matrix(
        "collide",
        &format!(
            "[matrix]\narch = [\"{ARCH}\"]\nscript = [\"hello\"]\nenv.X = [\"a b\", \"a_b\"]\n"
        ),
    );
    let out = p.bohr(&[&m]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains(
            "matrices/collide.toml:1:2: cells `riscv64/hello/a b` (line 1) and \
             `riscv64/hello/a_b` would share a snapshot file name"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn control_characters_in_ids_are_refused() {
    let p = project("ctl");
    let m = p.matrix(
        "m",
        &format!("[matrix]\narch = [\"{ARCH}\"]\nscript = [\"hello\"]\nenv.X = [\"a\\nb\"]\n"),
    );
    let out = p.bohr(&["list", &m]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("matrices/m.toml:4:"), "{}", out.stderr);
    assert!(out.stderr.contains("control character"), "{}", out.stderr);
}

#[test]
fn listing_a_large_matrix_is_linear() {
    let p = project("big-list");
    let a: Vec<String> = (1..=300).map(|i| i.to_string()).collect();
    let b: Vec<String> = (0..300).map(|i| format!("\"v{i}\"")).collect();
    let m = p.matrix(
        "m",
        &format!(
            "[matrix]\narch = [\"{ARCH}\"]\nscript = [\"hello\"]\nquantum = [{}]\nenv.X = [{}]\n",
            a.join(", "),
            b.join(", ")
        ),
    );
    // 90,000 cells: quadratic duplicate checks took minutes.
    let started = std::time::Instant::now();
    let out = p.bohr(&["list", &m]);
    let took = started.elapsed();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 90_000);
    assert!(took < std::time::Duration::from_secs(20), "{took:?}");
}

#[test]
fn an_interrupted_run_writes_its_reports_and_never_leaves_stale_ones() {
    let p = project("interrupt");
    let m = p.matrix(
        "m",
        &format!(
            "[matrix]\narch = [\"{ARCH}\"]\nscript = [\"hello\"]\nquantum = [1000, 2000]\n\
             [cell]\ndebug_hook = \"hang\"\ntimeout = \"120s\"\n"
        ),
    );
    std::fs::create_dir_all(p.path("target/bohr")).unwrap();
    std::fs::write(p.path("target/bohr/m.xml"), "stale").unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_bohr"))
        .args([m.as_str(), "-j", "1"])
        .current_dir(&p.dir)
        .env("CI", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the first cell runs, then interrupt.
    let started = std::time::Instant::now();
    while p.path("target/bohr/m.xml").exists() {
        assert!(started.elapsed().as_secs() < 60, "the stale report must go before cells run");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    // SAFETY: `kill` on our own child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stdout}{stderr}");
    assert!(started.elapsed().as_secs() < 60);
    assert!(stderr.contains("interrupted by signal 2"), "{stderr}");
    assert!(stdout.contains("2 skipped (2 cells)"), "{stdout}");
    assert!(stdout.contains("interrupted"), "{stdout}");
    let xml = p.read("target/bohr/m.xml");
    assert!(xml.contains("the run was interrupted"), "{xml}");
    assert!(xml.contains("skipped=\"2\""), "{xml}");
}

#[test]
fn updating_snapshots_refreshes_stale_metadata() {
    let p = project("meta");
    let m = p.matrix(
        "m",
        &format!(
            "[matrix]\narch = [\"{ARCH}\"]\nscript = [\"hello\"]\n[expect]\nsnapshot = true\n"
        ),
    );
    assert_eq!(p.bohr(&[&m, "--update-snapshots"]).code, 0);
    let rel = "matrices/snapshots/m/riscv64__hello.snap";
    let fresh = p.read(rel);
    let line = fresh.lines().find(|l| l.contains("fingerprint: ")).unwrap().to_string();
    std::fs::write(p.path(rel), fresh.replace(&line, "  fingerprint: \"0x0000000000000000\""))
        .unwrap();
    // The body is unchanged, so a plain run passes; an update rewrites the
    // metadata.
    assert_eq!(p.bohr(&[&m]).code, 0);
    assert_eq!(p.bohr(&[&m, "--update-snapshots"]).code, 0);
    assert_eq!(p.read(rel), fresh);
}

/// The shipped main matrix under `--repeat`: device contents come from the
/// base seed, so only a real race could make a cell flaky.
#[test]
fn the_shipped_main_matrix_is_not_flaky_under_repeat() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let junit = std::env::temp_dir().join(format!("bohr-mtd-repeat-{}.xml", std::process::id()));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bohr"))
        .args(["matrices/mtd_readback.toml", "--filter", "script=mtd_readback", "--repeat", "3"])
        .arg("--junit")
        .arg(&junit)
        .current_dir(root)
        .env("CI", "1")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("INSTA_UPDATE")
        .output()
        .expect("run bohr");
    let _ = std::fs::remove_file(&junit);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains(" 0 flaky, 0 skipped (18 cells)"), "{stdout}");
}

#[test]
fn reports_stay_bounded_whatever_the_guest_prints() {
    let p = project("bounded");
    p.script("zeros", "cat /dev/mtd0\n");
    let m = p.matrix(
        "m",
        &format!(
            "[matrix]\narch = [\"{ARCH}\"]\nscript = [\"zeros\"]\n\
             [[mtd]]\nsize = \"4MiB\"\nfill = \"zero\"\n\
             [expect]\nexit = 1\nsnapshot = true\n"
        ),
    );
    let out = p.bohr(&[&m, "--junit", "out.xml"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    // 4 MiB of NUL escapes to 24 MiB as `\u{0000}` and 16 MiB as `\x00`.
    let junit = std::fs::metadata(p.path("out.xml")).unwrap().len();
    assert!(junit < 1 << 20, "JUnit is {junit} bytes");
    let xml = p.read("out.xml");
    assert!(xml.contains("bytes left out of this report; FNV-1a digest"), "says so");
    p.bohr(&[&m, "--update-snapshots"]);
    let snap = p.read("matrices/snapshots/m/riscv64__zeros.snap");
    assert!(snap.len() < 6 << 20, "the snapshot is {} bytes", snap.len());
    assert!(snap.contains("bytes left out; FNV-1a digest of the whole stream"), "says so");
    assert!(out.stdout.len() < 1 << 20, "the text report is {} bytes", out.stdout.len());
}
