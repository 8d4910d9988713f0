//! End-to-end tests of `bohr run`: configuration errors, failing
//! expectations and their repro commands, isolation of panicking and
//! timed-out cells, determinism across `--jobs`, snapshots, JUnit and
//! GitHub Actions output. Each test builds a scratch project and runs the
//! real `bohr` binary on the riscv64 guest.

mod runner_support;

use runner_support::{Project, fingerprints, repro_commands};

const ARCH: &str = "riscv64";

/// A project whose `dump` script prints the first bytes of a random-filled
/// MTD, so its output and fingerprint depend on the seed.
fn seeded_project(tag: &str) -> Project {
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
fn configuration_errors_exit_2_before_any_cell_runs() {
    let p = seeded_project("config");
    let m = p.matrix(
        "bad",
        &format!("[matrix]\narch = [\"{ARCH}\"]\nscript = [\"hello\"]\n\n[cell]\nquantm = 5\nengine = \"jitt\"\n"),
    );
    let out = p.bohr(&[&m]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("matrices/bad.toml:6:1: unknown key `quantm` in [cell]"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("did you mean `quantum`?"), "{}", out.stderr);
    assert!(
        out.stderr.contains("matrices/bad.toml:7:10: unknown engine `jitt` (valid: interp, jit); did you mean `jit`?"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "nothing ran: {}", out.stdout);
    assert!(!p.path("target/bohr/bad.xml").exists(), "no report for a configuration error");

    // A script the guest shell cannot parse is refused before running.
    p.script("loop", "echo start\nfor x in a b; do echo $x; done\n");
    let m = p.matrix(
        "badscript",
        &format!("[matrix]\narch = [\"{ARCH}\"]\nscript = [\"hello\", \"loop\"]\n"),
    );
    let out = p.bohr(&[&m]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("guest-scripts/loop.sh:2:1:"), "{}", out.stderr);
    assert!(out.stderr.contains("loops are not supported"), "{}", out.stderr);
    assert!(!out.stderr.contains("[1/"), "no cell may start: {}", out.stderr);

    // A selection that matches nothing lists what exists.
    let m = p.matrix(
        "ok",
        &format!("[matrix]\narch = [\"{ARCH}\"]\nscript = [\"hello\", \"dump\"]\n{MTD}"),
    );
    let out = p.bohr(&[&m, "--cell", "riscv64/helo"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("--cell `riscv64/helo` matches no cell"), "{}", out.stderr);
    assert!(out.stderr.contains("did you mean `riscv64/hello`?"), "{}", out.stderr);
    assert!(
        out.stderr.contains("available cells:\n  riscv64/hello\n  riscv64/dump"),
        "{}",
        out.stderr
    );
    let out = p.bohr(&[&m, "--filter", "arhc=riscv64"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("did you mean `arch`?"), "{}", out.stderr);

    // Usage errors are status 2 as well.
    assert_eq!(p.bohr(&["run", &m, "--partition", "3/2"]).code, 2);
    assert_eq!(p.bohr(&["run", "matrices/missing.toml"]).code, 2);
}

#[test]
fn bare_matrix_argument_means_run() {
    let p = seeded_project("bare");
    let m = p.matrix("m", &format!("[matrix]\narch = [\"{ARCH}\"]\nscript = [\"hello\"]\n"));
    let a = p.bohr(&[&m, "--jobs", "1"]);
    let b = p.bohr(&["run", &m, "--jobs", "1"]);
    assert_eq!(a.code, 0, "{a:?}");
    assert_eq!(a.stdout, b.stdout);
    assert!(a.stdout.contains("result: 1 passed, 0 failed"), "{}", a.stdout);
}

#[test]
fn a_failing_expectation_prints_a_diff_and_a_repro_that_reproduces_it() {
    let p = seeded_project("repro");
    let m = p.matrix(
        "m",
        &format!(
            "[matrix]\narch = [\"{ARCH}\"]\nscript = [\"hello\", \"dump\"]\n[cell]\nseed = 7\n{MTD}\n\
             [[matrix.include]]\nscript = \"dump\"\nexpect = {{ stdout_contains = [\"NOT THERE\"] }}\n"
        ),
    );
    let out = p.bohr(&[&m, "--repeat", "3"]);
    assert_eq!(out.code, 1, "{out:?}");
    let s = &out.stdout;
    assert!(s.contains("✗ riscv64/dump: fail"), "{s}");
    assert!(s.contains("stdout does not contain \"NOT THERE\""), "{s}");
    // The expectation diff: expected vs actual.
    assert!(s.contains("-stdout contains \"NOT THERE\""), "{s}");
    assert!(s.contains("+stdout:"), "{s}");
    assert!(s.contains("0/3 runs passed, flake rate 100%"), "{s}");
    assert!(s.contains("riscv64/hello  3/3 passed"), "{s}");

    // Every failing run has a repro with its own effective seed: run 1
    // uses the matrix seed, later runs derived seeds.
    let repros = repro_commands(s);
    assert_eq!(repros.len(), 3, "{s}");
    assert_eq!(repros[0], ["matrices/m.toml", "--cell", "riscv64/dump", "--seed", "7"]);
    let prints = fingerprints(s);
    assert_eq!(prints.len(), 3, "{s}");
    assert_ne!(prints[0], prints[1], "different seeds must give different runs");
    for (args, print) in repros.iter().zip(&prints) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let again = p.bohr(&args);
        assert_eq!(again.code, 1, "{again:?}");
        assert!(again.stdout.contains("1 failed"), "{}", again.stdout);
        assert_eq!(
            fingerprints(&again.stdout),
            std::slice::from_ref(print),
            "repro {args:?} must replay the same run"
        );
    }
}

#[test]
fn a_panicking_cell_is_an_error_and_the_others_still_run() {
    let p = seeded_project("panic");
    let m = p.matrix(
        "m",
        &format!(
            "[matrix]\narch = [\"{ARCH}\"]\nscript = [\"hello\", \"dump\"]\nwrite_path = [\"host\", \"checked\"]\n{MTD}\n\
             [[matrix.include]]\nscript = \"dump\"\nwrite_path = \"checked\"\ndebug_hook = \"panic\"\n"
        ),
    );
    let out = p.bohr(&[&m, "--jobs", "2"]);
    assert_eq!(out.code, 1, "{out:?}");
    let s = &out.stdout;
    assert!(s.contains("E riscv64/dump/checked/debug_hook=panic: error"), "{s}");
    assert!(s.contains("the cell panicked: panicked at"), "{s}");
    assert!(s.contains("deliberate panic in cell riscv64/dump/checked/debug_hook=panic"), "{s}");
    assert!(s.contains("result: 3 passed, 0 failed, 1 errors"), "{s}");
    // The panic is reported in the cell's result, not dumped on stderr.
    assert!(!out.stderr.contains("thread '"), "{}", out.stderr);
    let junit = p.read("target/bohr/m.xml");
    let doc = roxmltree::Document::parse(&junit).expect("valid JUnit XML");
    let errors: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("error")).collect();
    assert_eq!(errors.len(), 1);
    assert!(errors[0].attribute("message").unwrap().contains("the cell panicked"));
}

#[test]
fn instruction_limits_and_wall_timeouts_are_reported_with_the_pc() {
    let p = seeded_project("timeout");
    p.script("spin", "echo before\nspin\necho after\n");
    p.script("spinwall", "spin\n");
    let m = p.matrix(
        "m",
        &format!(
            "[matrix]\narch = [\"{ARCH}\"]\nscript = [\"hello\", \"spin\"]\n[cell]\ntimeout = \"30s\"\n\
             [[matrix.include]]\nscript = \"spin\"\nmax_insns = 200_000\n\
             [[matrix.include]]\nscript = \"hello\"\ndebug_hook = \"hang\"\ntimeout = \"300ms\"\n\
             [[matrix.include]]\narch = \"{ARCH}\"\nscript = \"spinwall\"\ntimeout = \"1s\"\nmax_insns = 100_000_000_000\n"
        ),
    );
    let out = p.bohr(&[&m]);
    assert_eq!(out.code, 1, "{out:?}");
    let s = &out.stdout;
    assert!(s.contains("T riscv64/spin/max_insns=200000: timeout"), "{s}");
    let limit = s
        .lines()
        .find(|l| l.contains("timed out: instruction limit of 200000 reached at pc 0x"))
        .expect(s);
    assert!(limit.contains("(pid "), "{limit}");
    assert!(s.contains("T riscv64/hello/debug_hook=hang/timeout=300ms: timeout"), "{s}");
    assert!(s.contains("timed out: wall timeout of 300ms reached at pc 0x"), "{s}");
    // The real machine honours the cancel flag of a wall timeout.
    assert!(s.contains("T riscv64/spinwall/timeout=1s/max_insns=100000000000: timeout"), "{s}");
    assert!(s.contains("timed out: wall timeout of 1s reached at pc 0x"), "{s}");
    assert!(s.contains("0 passed, 0 failed, 0 errors, 3 timed out"), "{s}");

    // The instruction limit is deterministic: its repro stops at the same
    // place with the same fingerprint.
    let repros = repro_commands(s);
    let at = repros.iter().position(|r| r.iter().any(|a| a.contains("spin"))).expect(s);
    let spin_repro = &repros[at];
    let first = fingerprints(s)[at].clone();
    let args: Vec<&str> = spin_repro.iter().map(String::as_str).collect();
    let again = p.bohr(&args);
    assert_eq!(fingerprints(&again.stdout), [first], "{}", again.stdout);
    assert!(again.stdout.contains(limit.trim()), "{}", again.stdout);
}

#[test]
fn the_report_is_the_same_for_any_number_of_jobs() {
    let p = seeded_project("jobs");
    let m = p.matrix(
        "m",
        &format!(
            "[matrix]\narch = [\"{ARCH}\"]\nwrite_path = [\"host\", \"portal\", \"checked\"]\nscript = [\"hello\", \"dump\"]\n{MTD}\n\
             [[matrix.include]]\nwrite_path = \"portal\"\nscript = \"dump\"\nexpect = {{ exit = 3 }}\n"
        ),
    );
    let one = p.bohr(&[&m, "--jobs", "1"]);
    let four = p.bohr(&[&m, "--jobs", "4"]);
    assert_eq!(one.code, 1, "{one:?}");
    assert_eq!(one.stdout, four.stdout);
    assert!(
        one.stdout.contains(
            "arch \\ write_path / script  host/hello  host/dump  portal/hello  portal/dump  \
             checked/hello  checked/dump\n\
             riscv64                     ✓           ✓          ✓             ✗            \
             ✓              ✓\n"
        ),
        "{}",
        one.stdout
    );
}

#[test]
fn fail_fast_skips_the_rest() {
    let p = seeded_project("failfast");
    let m = p.matrix(
        "m",
        &format!(
            "[matrix]\narch = [\"{ARCH}\"]\nscript = [\"dump\", \"hello\"]\nquantum = [1000, 2000]\n{MTD}\n[expect]\nexit = 9\n"
        ),
    );
    let out = p.bohr(&[&m, "--jobs", "1", "--fail-fast"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stdout.contains("1 failed, 0 errors, 0 timed out, 0 flaky, 3 skipped"),
        "{}",
        out.stdout
    );
    let junit = p.read("target/bohr/m.xml");
    let doc = roxmltree::Document::parse(&junit).unwrap();
    assert_eq!(doc.descendants().filter(|n| n.has_tag_name("skipped")).count(), 3);
}

#[test]
fn partitions_cover_every_cell_exactly_once() {
    let p = seeded_project("partition");
    let m = p.matrix(
        "m",
        &format!(
            "[matrix]\narch = [\"{ARCH}\"]\nwrite_path = [\"host\", \"portal\", \"checked\"]\nscript = [\"hello\", \"dump\"]\n{MTD}\n\
             [[matrix.include]]\nscript = \"hello\"\nquantum = 97\n"
        ),
    );
    let all = p.bohr(&["list", &m]);
    assert_eq!(all.code, 0, "{all:?}");
    let mut expected: Vec<&str> = all.stdout.lines().collect();
    assert_eq!(expected.len(), 6);
    let mut listed = Vec::new();
    let mut ran = Vec::new();
    for k in 1..=4 {
        let part = format!("{k}/4");
        let l = p.bohr(&["list", &m, "--partition", &part]);
        assert_eq!(l.code, 0, "{l:?}");
        listed.extend(l.stdout.lines().map(str::to_string));
        // Running the shard runs exactly the listed cells.
        let r = p.bohr(&[&m, "--partition", &part]);
        assert_eq!(r.code, 0, "{r:?}");
        let junit = p.read(&format!("target/bohr/m.part-{k}-of-4.xml"));
        let doc = roxmltree::Document::parse(&junit).unwrap();
        let names: Vec<String> = doc
            .descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .map(|n| n.attribute("name").unwrap().to_string())
            .collect();
        assert_eq!(names, l.stdout.lines().collect::<Vec<_>>(), "shard {part}");
        ran.extend(names);
    }
    listed.sort();
    ran.sort();
    expected.sort();
    assert_eq!(listed, expected);
    assert_eq!(ran, expected);
}

#[test]
fn junit_is_valid_xml_even_for_hostile_guest_output() {
    let p = seeded_project("junit");
    p.script("evil", "cat /etc/evil\n");
    let m = p.matrix(
        "m",
        &format!(
            "name = \"hostile\"\n[matrix]\narch = [\"{ARCH}\"]\nscript = [\"evil\", \"hello\"]\n\
             [[file]]\npath = \"/etc/evil\"\n\
             bytes = [0, 27, 91, 51, 49, 109, 114, 101, 100, 93, 93, 62, 255, 254, 60, 47, 120, 62, 38, 7, 10]\n\
             [expect]\nstdout_contains = [\"hello\"]\n"
        ),
    );
    let out = p.bohr(&[&m, "--junit", "reports/out.xml"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stdout.contains("junit: reports/out.xml"), "{}", out.stdout);
    let raw = std::fs::read(p.path("reports/out.xml")).unwrap();
    let xml = String::from_utf8(raw).expect("JUnit is UTF-8");
    assert!(!xml.contains('\0') && !xml.contains('\u{1b}') && !xml.contains('\u{7}'));
    let doc = roxmltree::Document::parse(&xml).expect("strictly valid XML");
    let suites: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("testsuite")).collect();
    assert_eq!(suites.len(), 1);
    assert_eq!(suites[0].attribute("name"), Some("hostile"));
    assert_eq!(suites[0].attribute("tests"), Some("2"));
    assert_eq!(suites[0].attribute("failures"), Some("1"));
    let cases: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("testcase")).collect();
    let names: Vec<&str> = cases.iter().map(|c| c.attribute("name").unwrap()).collect();
    assert_eq!(names, ["riscv64/evil", "riscv64/hello"]);
    for c in &cases {
        assert_eq!(c.attribute("classname"), Some("bohr.hostile"));
        assert_eq!(c.attribute("file"), Some("matrices/m.toml"));
        assert!(c.attribute("time").unwrap().parse::<f64>().is_ok());
    }
    let failure = cases[0].children().find(|n| n.has_tag_name("failure")).expect("failure element");
    assert_eq!(
        failure.attribute("message"),
        Some("matrices/m.toml:2: stdout does not contain \"hello\"")
    );
    let body: String = failure.text().unwrap_or("").to_string();
    assert!(
        body.contains(&format!(
            "repro: {} matrices/m.toml --cell riscv64/evil --seed 0",
            env!("CARGO_BIN_EXE_bohr")
        )),
        "{body}"
    );
    let sysout: String = cases[0]
        .children()
        .find(|n| n.has_tag_name("system-out"))
        .expect("transcript")
        .children()
        .filter_map(|n| n.text())
        .collect();
    // ANSI colour removed, NUL shown as an escape, `]]>` intact after the
    // CDATA split, invalid UTF-8 replaced, markup kept as text.
    assert!(sysout.contains("\\u{0000}red]]>\u{fffd}\u{fffd}</x>&\\u{0007}"), "{sysout:?}");
    assert!(cases[1].children().all(|n| !n.has_tag_name("failure")));
    // What the GitHub consumers read: a skipped count, each case's line.
    assert_eq!(suites[0].attribute("skipped"), Some("0"));
    assert!(cases.iter().all(|c| c.attribute("line") == Some("2")));
}

#[test]
fn snapshots_are_pending_until_accepted_and_mismatches_show_a_diff() {
    let p = seeded_project("snap");
    let m = p.matrix(
        "m",
        &format!("[matrix]\narch = [\"{ARCH}\"]\nscript = [\"hello\", \"dump\"]\n{MTD}\n[expect]\nsnapshot = true\n"),
    );
    let snap = "matrices/snapshots/m/riscv64__hello.snap";
    // Outside CI, a missing snapshot fails and leaves a .snap.new to review.
    let out = p.bohr_env(&[&m], &[]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stdout.contains("no stored snapshot matrices/snapshots/m/riscv64__hello.snap"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("new snapshot left at matrices/snapshots/m/riscv64__hello.snap.new"),
        "{}",
        out.stdout
    );
    let pending = p.read(&format!("{snap}.new"));
    assert!(pending.starts_with("---\nsource: matrices/m.toml\n"), "{pending}");
    assert!(pending.contains("\n---\nscript: guest-scripts/hello.sh\nexit: 0\n--- script\necho hello world\n--- stdout\nhello world\n--- stderr\n--- events\n"), "{pending}");
    assert!(!p.path(snap).exists());
    // The insta metadata carries the counts; the body does not.
    let parsed =
        insta::Snapshot::from_file(&p.path(&format!("{snap}.new"))).expect("insta reads it");
    assert!(parsed.metadata().input_file().is_some_and(|f| f == "matrices/m.toml"));
    assert!(!pending.split("\n---\n").nth(1).unwrap().contains("insns"), "{pending}");

    // --update-snapshots accepts in place and clears the pending file.
    let out = p.bohr(&[&m, "--update-snapshots"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("snapshots updated: 2"), "{}", out.stdout);
    assert!(p.path(snap).exists() && !p.path(&format!("{snap}.new")).exists());
    let stored = p.read(snap);
    assert!(stored.contains("info:\n  cell: riscv64/hello\n  seed: 0\n  insns: "), "{stored}");
    let out = p.bohr(&[&m]);
    assert_eq!(out.code, 0, "{out:?}");

    // A changed output fails with a unified diff against the stored one.
    p.script("hello", "echo hello there\n");
    let out = p.bohr(&[&m]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stdout.contains("snapshot differs from matrices/snapshots/m/riscv64__hello.snap"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("--- stored snapshot\n"), "{}", out.stdout);
    assert!(
        out.stdout.contains("-hello world\n") && out.stdout.contains("+hello there\n"),
        "{}",
        out.stdout
    );
    // A different seed changes the dump cell's output: it fails too.
    let out = p.bohr(&[&m, "--cell", "riscv64/dump", "--seed", "99"]);
    assert_eq!(out.code, 1, "{out:?}");
}

#[test]
fn github_actions_get_annotations_and_a_step_summary() {
    let p = seeded_project("github");
    let m = p.matrix(
        "m",
        &format!(
            "[matrix]\narch = [\"{ARCH}\"]\nscript = [\"hello\", \"dump\"]\n{MTD}\n\
             [[matrix.include]]\nscript = \"dump\"\nexpect = {{ exit = 1 }}\n"
        ),
    );
    let summary = p.path("summary.md");
    let out = p.bohr_env(
        &[&m],
        &[
            ("CI", "true"),
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
        ],
    );
    assert_eq!(out.code, 1, "{out:?}");
    let line = out.stdout.lines().find(|l| l.starts_with("::error ")).expect(&out.stdout);
    assert!(
        line.starts_with(&format!(
            "::error file=matrices/m.toml,line=11,title=bohr m riscv64/dump::fail: exit status 0, \
             expected 1%0Arepro: {} matrices/m.toml --cell riscv64/dump --seed 0",
            env!("CARGO_BIN_EXE_bohr")
        )),
        "{line}"
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.contains("### bohr: m\n"), "{md}");
    assert!(
        md.contains("| arch \\ script | hello | dump |\n|---|---|---|\n| riscv64 | ✓ | ✗ |\n"),
        "{md}"
    );
    assert!(md.contains("| `riscv64/dump` | fail | exit status 0, expected 1 |"), "{md}");
    // Without GITHUB_ACTIONS there are no workflow commands.
    let plain = p.bohr(&[&m]);
    assert!(!plain.stdout.contains("::error"), "{}", plain.stdout);
}

#[test]
fn the_shipped_smoke_matrix_passes_against_its_committed_snapshots() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let junit = std::env::temp_dir().join(format!("bohr-smoke-{}.xml", std::process::id()));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bohr"))
        .args(["matrices/smoke.toml", "--junit"])
        .arg(&junit)
        .current_dir(root)
        // CI mode: insta must not write pending files into the tree.
        .env("CI", "1")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("INSTA_UPDATE")
        .output()
        .expect("run bohr");
    let _ = std::fs::remove_file(&junit);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains(" 0 failed, 0 errors, 0 timed out"), "{stdout}");
}

/// Committed snapshot metadata must be what the current build produces:
/// `--update-snapshots` keeps it current even when the body is unchanged.
#[test]
fn committed_snapshot_fingerprints_are_the_runs_fingerprints() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let junit = std::env::temp_dir().join(format!("bohr-smoke-fp-{}.xml", std::process::id()));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bohr"))
        .args(["matrices/smoke.toml", "--message-format", "json", "--junit"])
        .arg(&junit)
        .current_dir(root)
        .env("CI", "1")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("INSTA_UPDATE")
        .output()
        .expect("run bohr");
    let _ = std::fs::remove_file(&junit);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut checked = 0;
    for line in stdout.lines() {
        let o: serde_json::Value = serde_json::from_str(line).expect(line);
        if o["type"] != "run" {
            continue;
        }
        let cell = o["cell"].as_str().unwrap();
        let snap =
            root.join("matrices/snapshots/smoke").join(format!("{}.snap", cell.replace('/', "__")));
        let text =
            std::fs::read_to_string(&snap).unwrap_or_else(|e| panic!("{}: {e}", snap.display()));
        let committed = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("fingerprint: "))
            .unwrap_or_else(|| panic!("{}: no fingerprint", snap.display()))
            .trim_matches('"');
        assert_eq!(
            committed,
            o["fingerprint"].as_str().unwrap(),
            "{} is stale: rerun `bohr matrices/smoke.toml --update-snapshots`",
            snap.display()
        );
        checked += 1;
    }
    assert_eq!(checked, 24, "{stdout}");
}

#[test]
fn repeats_perturb_the_schedule_not_the_device_contents() {
    let p = seeded_project("flaky");
    // Two pipeline stages write to stderr at once: their order is up to
    // the scheduler, a real race.
    p.script("race", "echo left >&2 | echo right >&2\n");
    let m = p.matrix(
        "m",
        &format!(
            "[matrix]\narch = [\"{ARCH}\"]\nscript = [\"hello\", \"dump\", \"race\"]\n{MTD}\n\
             [expect]\nsnapshot = true\n"
        ),
    );
    assert_eq!(p.bohr(&[&m, "--update-snapshots"]).code, 0);
    // The dump's bytes come from the base seed in every run: never flaky.
    let out = p.bohr(&[&m, "--repeat", "12"]);
    let s = &out.stdout;
    assert!(s.contains("riscv64/dump   12/12 passed"), "{s}");
    assert!(s.contains("riscv64/hello  12/12 passed"), "{s}");
    // The race is flaky, with every failing seed and its repro.
    assert_eq!(out.code, 1, "{out:?}");
    assert!(s.contains("~ riscv64/race: flaky\n"), "{s}");
    let repros = repro_commands(s);
    assert!(!repros.is_empty(), "{s}");
    let line = s.lines().find(|l| l.starts_with("riscv64/race ")).expect(s);
    let seeds: Vec<&str> = repros.iter().map(|r| r[6].as_str()).collect();
    assert!(line.contains(&format!("failing seeds: {}", seeds.join(", "))), "{line}");
    assert_eq!(repros[0][1..6], ["--cell", "riscv64/race", "--seed", "0", "--schedule-seed"]);
    assert!(s.contains("0 failed, 0 errors, 0 timed out, 1 flaky"), "{s}");
    // A failing seed replays as a plain failure.
    let again = p.bohr(&repros[0].iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(again.code, 1, "{again:?}");
    assert!(again.stdout.contains("snapshot differs from"), "{}", again.stdout);
    // `bohr trace` takes the same seeds and replays the same run.
    let mut trace = vec!["trace", "--execlog", "/dev/null"];
    trace.extend(repros[0].iter().map(String::as_str));
    let traced = p.bohr(&trace);
    assert_eq!(fingerprints(&traced.stdout), fingerprints(&again.stdout), "{traced:?}");
}
