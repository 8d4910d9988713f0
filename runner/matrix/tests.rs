//! Tests of matrix parsing, validation and expansion, including GitHub
//! Actions' documented include/exclude examples.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::expand::{Combo, combinations};
use super::*;

/// A scratch project with `guest-scripts/{a,b}.sh` and a matrix file.
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new() -> Scratch {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "bohr-matrix-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("guest-scripts")).unwrap();
        std::fs::create_dir_all(dir.join("matrices")).unwrap();
        std::fs::write(dir.join("guest-scripts/a.sh"), "echo a\n").unwrap();
        std::fs::write(dir.join("guest-scripts/b.sh"), "echo b\n").unwrap();
        Scratch { dir }
    }

    fn load(&self, text: &str) -> Result<Matrix, ConfigError> {
        let path = self.dir.join("matrices/m.toml");
        std::fs::write(&path, text).unwrap();
        load(&path)
    }

    fn errors(&self, text: &str) -> String {
        match self.load(text) {
            Ok(m) => panic!("expected an error, got {} cells", m.cells.len()),
            Err(e) => e
                .to_string()
                .replace(&self.dir.join("matrices/m.toml").display().to_string(), "m.toml"),
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn arch() -> &'static str {
    bohr_emu::arch::supported_arches()[0].name()
}

// ---- GitHub Actions' documented examples ------------------------------

fn k(s: &str) -> Key {
    Key::Env(s.to_string())
}

fn v(s: &str) -> Value {
    Value::Str(s.to_string())
}

fn entry(pairs: &[(&str, &str)]) -> Vec<(Key, Value)> {
    pairs.iter().map(|(a, b)| (k(a), v(b))).collect()
}

fn expand(
    axes: &[(&str, &[&str])],
    excludes: &[&[(&str, &str)]],
    includes: &[&[(&str, &str)]],
) -> Vec<Vec<(String, String)>> {
    let axes: Vec<(Key, Vec<Value>)> =
        axes.iter().map(|(n, vs)| (k(n), vs.iter().map(|x| v(x)).collect())).collect();
    let excludes: Vec<_> = excludes.iter().map(|e| entry(e)).collect();
    let includes: Vec<_> = includes.iter().map(|e| (entry(e), None, 0..0)).collect();
    let combos: Vec<Combo> = combinations(&axes, &excludes, &includes, 0..0);
    combos
        .into_iter()
        .map(|c| {
            c.axes
                .iter()
                .chain(&c.added)
                .map(|(key, val)| {
                    let Key::Env(n) = key else { unreachable!("test keys are env keys") };
                    (n.clone(), val.to_string())
                })
                .collect()
        })
        .collect()
}

fn combo(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

/// "Expanding or adding matrix configurations": the fruit/animal example.
#[test]
fn github_example_include_extends_and_adds() {
    let got = expand(
        &[("fruit", &["apple", "pear"]), ("animal", &["cat", "dog"])],
        &[],
        &[
            &[("color", "green")],
            &[("color", "pink"), ("animal", "cat")],
            &[("fruit", "apple"), ("shape", "circle")],
            &[("fruit", "banana")],
            &[("fruit", "banana"), ("animal", "cat")],
        ],
    );
    assert_eq!(
        got,
        vec![
            combo(&[("fruit", "apple"), ("animal", "cat"), ("color", "pink"), ("shape", "circle")]),
            combo(&[
                ("fruit", "apple"),
                ("animal", "dog"),
                ("color", "green"),
                ("shape", "circle")
            ]),
            combo(&[("fruit", "pear"), ("animal", "cat"), ("color", "pink")]),
            combo(&[("fruit", "pear"), ("animal", "dog"), ("color", "green")]),
            combo(&[("fruit", "banana")]),
            combo(&[("fruit", "banana"), ("animal", "cat")]),
        ]
    );
}

/// "Example: Expanding configurations": npm 6 only on windows/node 16.
#[test]
fn github_example_expanding_configurations() {
    let got = expand(
        &[("os", &["windows-latest", "ubuntu-latest"]), ("node", &["14", "16"])],
        &[],
        &[&[("os", "windows-latest"), ("node", "16"), ("npm", "6")]],
    );
    assert_eq!(
        got,
        vec![
            combo(&[("os", "windows-latest"), ("node", "14")]),
            combo(&[("os", "windows-latest"), ("node", "16"), ("npm", "6")]),
            combo(&[("os", "ubuntu-latest"), ("node", "14")]),
            combo(&[("os", "ubuntu-latest"), ("node", "16")]),
        ]
    );
}

/// "Example: Adding configurations": windows/17 becomes a tenth job.
#[test]
fn github_example_adding_configurations() {
    let got = expand(
        &[
            ("os", &["macos-latest", "windows-latest", "ubuntu-latest"]),
            ("version", &["12", "14", "16"]),
        ],
        &[],
        &[&[("os", "windows-latest"), ("version", "17")]],
    );
    assert_eq!(got.len(), 10);
    assert_eq!(got[9], combo(&[("os", "windows-latest"), ("version", "17")]));
}

/// A matrix made only of includes.
#[test]
fn github_example_include_only() {
    let got = expand(
        &[],
        &[],
        &[
            &[("site", "production"), ("datacenter", "site-a")],
            &[("site", "staging"), ("datacenter", "site-b")],
        ],
    );
    assert_eq!(
        got,
        vec![
            combo(&[("site", "production"), ("datacenter", "site-a")]),
            combo(&[("site", "staging"), ("datacenter", "site-b")]),
        ]
    );
}

/// "Excluding matrix configurations": partial matches exclude, 12 → 9.
#[test]
fn github_example_exclude_matches_partially() {
    let got = expand(
        &[
            ("os", &["macos-latest", "windows-latest"]),
            ("version", &["12", "14", "16"]),
            ("environment", &["staging", "production"]),
        ],
        &[
            &[("os", "macos-latest"), ("version", "12"), ("environment", "production")],
            &[("os", "windows-latest"), ("version", "16")],
        ],
        &[],
    );
    assert_eq!(got.len(), 9);
    assert!(!got.contains(&combo(&[
        ("os", "macos-latest"),
        ("version", "12"),
        ("environment", "production")
    ])));
    assert!(!got.iter().any(|c| c[0].1 == "windows-latest" && c[1].1 == "16"));
    assert!(got.contains(&combo(&[
        ("os", "macos-latest"),
        ("version", "12"),
        ("environment", "staging")
    ])));
}

/// Includes run after excludes, so an include can add back an excluded
/// combination (as a new one).
#[test]
fn include_runs_after_exclude() {
    let got = expand(
        &[("os", &["linux", "mac"]), ("cc", &["gcc", "clang"])],
        &[&[("os", "mac"), ("cc", "gcc")]],
        &[&[("os", "mac"), ("cc", "gcc"), ("extra", "1")]],
    );
    assert_eq!(got.len(), 4);
    assert_eq!(got[3], combo(&[("os", "mac"), ("cc", "gcc"), ("extra", "1")]));
}

// ---- Matrix files ------------------------------------------------------

#[test]
fn cells_expand_in_declared_order_with_stable_ids() {
    let s = Scratch::new();
    let m = s
        .load(&format!(
            r#"
name = "demo"
[matrix]
arch = ["{a}"]
write_path = ["host", "portal"]
script = ["a", "b"]

[[matrix.include]]
arch = "{a}"
write_path = "portal"
script = "a"
quantum = 97
chaos = true

[cell]
quantum = 10_000
"#,
            a = arch()
        ))
        .unwrap();
    let ids: Vec<&str> = m.cells.iter().map(|c| c.id.as_str()).collect();
    let a = arch();
    assert_eq!(
        ids,
        [
            format!("{a}/host/a"),
            format!("{a}/host/b"),
            format!("{a}/portal/a/quantum=97/chaos=true"),
            format!("{a}/portal/b"),
        ]
    );
    assert_eq!(m.cells[0].settings.quantum, 10_000);
    assert_eq!(m.cells[2].settings.quantum, 97);
    assert!(m.cells[2].settings.chaos);
    assert_eq!(m.cells[2].line, 8, "an include-extended cell points at its include");
    assert_eq!(m.scripts["a"].name, "guest-scripts/a.sh");
}

#[test]
fn unknown_keys_give_position_choices_and_suggestion() {
    let s = Scratch::new();
    let e = s.errors(&format!(
        "[matrix]\narch = [\"{}\"]\nscript = [\"a\"]\n\n[cell]\nquantm = 5\n",
        arch()
    ));
    assert!(e.starts_with("m.toml:6:1: unknown key `quantm` in [cell]"), "{e}");
    assert!(e.contains("valid keys: arch, write_path"), "{e}");
    assert!(e.contains("did you mean `quantum`?"), "{e}");
}

#[test]
fn unknown_and_unsupported_arches_are_configuration_errors() {
    let s = Scratch::new();
    let e = s.errors("[matrix]\narch = [\"risc64\"]\nscript = [\"a\"]\n");
    assert!(e.contains("m.toml:2:9: unknown architecture `risc64`"), "{e}");
    assert!(e.contains("did you mean `riscv64`?"), "{e}");
    let supported = bohr_emu::arch::supported_arches();
    if let Some(unsup) = bohr_emu::arch::Arch::ALL.into_iter().find(|a| !supported.contains(a)) {
        let e = s.errors(&format!("[matrix]\narch = [\"{unsup}\"]\nscript = [\"a\"]\n"));
        assert!(
            e.contains(&format!("architecture `{unsup}` is known but not supported yet")),
            "{e}"
        );
    }
}

#[test]
fn wrong_types_and_bad_values_are_reported_at_the_value() {
    let s = Scratch::new();
    let e = s.errors(&format!(
        "[matrix]\narch = [\"{}\"]\nscript = [\"a\"]\nwrite_path = [\"hots\"]\n[cell]\nchaos = \"yes\"\ntimeout = \"soon\"\n",
        arch()
    ));
    assert!(e.contains("m.toml:4:15: unknown write path `hots` (valid: host, portal, checked); did you mean `host`?"), "{e}");
    assert!(e.contains("m.toml:6:9: `chaos` must be a boolean, found string"), "{e}");
    assert!(e.contains("m.toml:7:11: invalid timeout `soon`"), "{e}");
}

#[test]
fn missing_scripts_list_the_available_ones() {
    let s = Scratch::new();
    let e = s.errors(&format!("[matrix]\narch = [\"{}\"]\nscript = [\"c\"]\n", arch()));
    assert!(e.contains("m.toml:3:11: script `c` not found"), "{e}");
    assert!(e.contains("available: a, b"), "{e}");
}

#[test]
fn duplicate_cell_ids_are_refused() {
    let s = Scratch::new();
    // Two includes that add the same new cell.
    let e = s.errors(&format!(
        "[matrix]\narch = [\"{a}\"]\nscript = [\"a\"]\n[[matrix.include]]\narch = \"{a}\"\nscript = \"b\"\n[[matrix.include]]\narch = \"{a}\"\nscript = \"b\"\n",
        a = arch()
    ));
    assert!(e.contains("duplicate cell ID"), "{e}");
}

#[test]
fn exclude_keys_must_be_axes() {
    let s = Scratch::new();
    let e = s.errors(&format!(
        "[matrix]\narch = [\"{}\"]\nscript = [\"a\"]\n[[matrix.exclude]]\nscrpt = \"a\"\n",
        arch()
    ));
    assert!(e.contains("m.toml:5:1: unknown key `scrpt` in a matrix exclude"), "{e}");
    assert!(e.contains("did you mean `script`?"), "{e}");
}

#[test]
fn a_cell_without_an_arch_is_an_error() {
    let s = Scratch::new();
    let e = s.errors("[matrix]\nscript = [\"a\"]\n");
    assert!(e.contains("cell `a`: no `arch`"), "{e}");
}

#[test]
fn event_kinds_in_expectations_are_checked() {
    let s = Scratch::new();
    let e = s.errors(&format!(
        "[matrix]\narch = [\"{}\"]\nscript = [\"a\"]\n[expect]\nevents_none = [\"host-write-code\"]\n",
        arch()
    ));
    assert!(e.contains("unknown event kind `host-write-code`"), "{e}");
    assert!(e.contains("did you mean `host-write-code-page`?"), "{e}");
}

#[test]
fn include_can_override_expectations_field_by_field() {
    let s = Scratch::new();
    let m = s
        .load(&format!(
            "[matrix]\narch = [\"{a}\"]\nscript = [\"a\", \"b\"]\n[[matrix.include]]\nscript = \"b\"\nexpect = {{ exit = 3 }}\n[expect]\nexit = 0\nstdout_contains = [\"x\"]\n",
            a = arch()
        ))
        .unwrap();
    assert_eq!(m.cells[0].expect.exit, Some(0));
    assert_eq!(m.cells[1].expect.exit, Some(3));
    assert_eq!(m.cells[1].expect.stdout_contains, ["x"]);
    // An expectation override is not a parameter: the ID is unchanged.
    assert_eq!(m.cells[1].id, format!("{}/b", arch()));
}

#[test]
fn env_axes_mtds_and_files() {
    let s = Scratch::new();
    let m = s
        .load(&format!(
            r#"[matrix]
arch = ["{a}"]
script = ["a"]
env.MODE = ["fast", "slow"]
[env]
MTD = "mtd0"
MODE = "none"
[[mtd]]
name = "firmware"
size = "1MiB"
erasesize = "64KiB"
fill = "random"
write = [{{ offset = 0x1000, text = "MAGIC" }}, {{ offset = 16, bytes = [1, 2, 255] }}]
[[file]]
path = "/etc/config"
text = "k=v\n"
"#,
            a = arch()
        ))
        .unwrap();
    assert_eq!(m.cells.len(), 2);
    assert_eq!(m.cells[1].id, format!("{}/a/slow", arch()));
    assert_eq!(
        m.cells[1].settings.env,
        [("MTD".to_string(), "mtd0".to_string()), ("MODE".into(), "slow".into())]
    );
    assert_eq!(m.mtds[0].size, 1 << 20);
    assert_eq!(m.mtds[0].writes[0], (0x1000, b"MAGIC".to_vec()));
    assert_eq!(m.mtds[0].writes[1], (16, vec![1, 2, 255]));
    assert_eq!(m.files[0].path, "/etc/config");
}

#[test]
fn mtd_writes_must_fit() {
    let s = Scratch::new();
    let e = s.errors(&format!(
        "[matrix]\narch = [\"{}\"]\nscript = [\"a\"]\n[[mtd]]\nsize = 4096\nerasesize = 4096\nwrite = [{{ offset = 4090, text = \"too long\" }}]\n",
        arch()
    ));
    assert!(e.contains("runs past the end"), "{e}");
}

#[test]
fn invalid_toml_has_a_position() {
    let s = Scratch::new();
    let e = s.errors("[matrix\narch = 1\n");
    assert!(e.starts_with("m.toml:1:"), "{e}");
    assert!(e.contains("invalid TOML"), "{e}");
}

#[test]
fn debug_hook_is_a_debug_build_test_hook() {
    let s = Scratch::new();
    let text = format!(
        "[matrix]\narch = [\"{}\"]\nscript = [\"a\"]\n[cell]\ndebug_hook = \"panic\"\n",
        arch()
    );
    if cfg!(debug_assertions) {
        let m = s.load(&text).unwrap();
        assert_eq!(m.cells[0].settings.debug_hook, Some(DebugHook::Panic));
    } else {
        assert!(s.errors(&text).contains("only debug builds accept"));
    }
}

#[test]
fn selection_by_glob_filter_and_partition() {
    use super::select::{Partition, Selection, select};
    let s = Scratch::new();
    let m = s
        .load(&format!(
            "[matrix]\narch = [\"{}\"]\nwrite_path = [\"host\", \"portal\", \"checked\"]\nscript = [\"a\", \"b\"]\n",
            arch()
        ))
        .unwrap();
    let ids = |sel: &Selection| -> Vec<String> {
        select(&m, sel).unwrap().iter().map(|c| c.id.clone()).collect()
    };
    let glob = Selection { cells: vec!["*/portal/*".into()], ..Selection::default() };
    assert_eq!(ids(&glob), [format!("{}/portal/a", arch()), format!("{}/portal/b", arch())]);
    let filt = Selection {
        filters: vec!["script=b".into(), "write_path=host".into()],
        ..Selection::default()
    };
    assert_eq!(ids(&filt), [format!("{}/host/b", arch())]);
    let mut seen = Vec::new();
    for k in 1..=4 {
        seen.extend(ids(&Selection {
            partition: Some(Partition { k, n: 4 }),
            ..Selection::default()
        }));
    }
    seen.sort();
    let mut all: Vec<String> = m.cells.iter().map(|c| c.id.clone()).collect();
    all.sort();
    assert_eq!(seen, all);

    let none = select(&m, &Selection { cells: vec!["nope".into()], ..Selection::default() })
        .unwrap_err()
        .to_string();
    assert!(none.contains("--cell `nope` matches no cell"), "{none}");
    assert!(none.contains("available cells:"), "{none}");
    let bad = select(&m, &Selection { filters: vec!["archh=x".into()], ..Selection::default() })
        .unwrap_err()
        .to_string();
    assert!(bad.contains("did you mean `arch`?"), "{bad}");
}

#[test]
fn limits_take_sizes_and_counts_and_refuse_out_of_range_values_at_the_value() {
    let s = Scratch::new();
    let m = s
        .load(&format!(
            "[matrix]\narch = [\"{}\"]\nscript = [\"a\"]\n[cell]\nmemory = \"512MiB\"\nmax_tasks = 9\ndisk = 4096\n",
            arch()
        ))
        .unwrap();
    let st = &m.cells[0].settings;
    assert_eq!((st.memory, st.max_tasks, st.disk), (Some(512 << 20), 9, 4096));
    let d = s.load(&format!("[matrix]\narch = [\"{}\"]\nscript = [\"a\"]\n", arch())).unwrap();
    let st = &d.cells[0].settings;
    assert_eq!(st.memory, None, "the host's default applies at run time");
    assert_eq!((st.max_tasks, st.disk), (128, 256 << 20));
    let e = s.errors(&format!(
        "[matrix]\narch = [\"{}\"]\nscript = [\"a\"]\n[cell]\nmemory = \"1024GiB\"\nmax_tasks = 0\ndisk = \"lots\"\n",
        arch()
    ));
    assert!(
        e.contains("m.toml:5:10: `memory` must be between 16MiB and 64GiB, found 1024GiB"),
        "{e}"
    );
    assert!(e.contains("m.toml:6:13: `max_tasks` must be between 1 and 512, found 0"), "{e}");
    assert!(e.contains("m.toml:7:8: invalid `disk` `lots`"), "{e}");
}
