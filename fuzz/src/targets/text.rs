//! Text inputs: the matrix parser (`bohr::matrix::load_str`: TOML,
//! validation and expansion into cells) and the shell parser
//! (`bohr_emu::machine::shell::parse`).
//!
//! Inputs are bytes: the shell takes them as (lossy) UTF-8, the matrix
//! reader as UTF-8 and a non-UTF-8 input is checked the way
//! `matrix::load` checks a file. Features: each diagnostic's message
//! without digits, or the parsed value's shape (its types and variants).

use std::path::{Path, PathBuf};

use super::{error_features, shape_features};
use crate::engine::{Target, TargetSpec, feature};

pub const MATRIX: TargetSpec = TargetSpec {
    name: "matrix",
    features: "diagnostic messages, parsed-matrix node kinds and pairs",
    make: || Box::new(Matrix { path: repo_root().join("matrices/fuzz.toml") }),
};

pub const SHELL: TargetSpec = TargetSpec {
    name: "shell",
    features: "syntax-error messages, AST node kinds and pairs",
    make: || Box::new(Shell),
};

/// The workspace root (the matrix target resolves scripts under it).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("fuzz/ is in the workspace").into()
}

/// The files of `dir` under the workspace root with extension `ext`.
fn files(dir: &str, ext: &str) -> Vec<Vec<u8>> {
    let mut paths: Vec<_> = std::fs::read_dir(repo_root().join(dir))
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    paths.sort();
    paths
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .filter_map(|p| std::fs::read(p).ok())
        .collect()
}

fn words(list: &[&str]) -> Vec<Vec<u8>> {
    list.iter().map(|w| w.as_bytes().to_vec()).collect()
}

struct Matrix {
    path: PathBuf,
}

impl Target for Matrix {
    fn seeds(&self) -> Vec<Vec<u8>> {
        files("matrices", "toml")
    }

    fn dictionary(&self) -> Vec<Vec<u8>> {
        words(&[
            "[matrix]\n",
            "[[matrix.include]]\n",
            "[[matrix.exclude]]\n",
            "[cell]\n",
            "[env]\n",
            "[[mtd]]\n",
            "[[file]]\n",
            "[expect]\n",
            "[scripts]\n",
            "arch = ",
            "engine = ",
            "script = ",
            "write_path = ",
            "seed = ",
            "quantum = ",
            "max_insns = ",
            "timeout = ",
            "chaos = ",
            "size = ",
            "erasesize = ",
            "fill = ",
            "name = ",
            "exit = ",
            "stdout_contains = ",
            "events_none = ",
            "snapshot = ",
            "\"riscv64\"",
            "\"armel\"",
            "\"interp\"",
            "\"jit\"",
            "\"host\"",
            "\"portal\"",
            "\"checked\"",
            "\"erased\"",
            "\"random\"",
            "\"1MiB\"",
            "\"64KiB\"",
            "\"1024GiB\"",
            "\"60s\"",
            "[",
            "]",
            "{",
            "}",
            "\"",
            ",",
            "=",
            "\n",
            "*",
            "0x",
            "1_000",
        ])
    }

    fn run(&mut self, input: &[u8], features: &mut Vec<u64>) {
        let text = match String::from_utf8(input.to_vec()) {
            Ok(t) => t,
            Err(_) => {
                features.push(feature(20, 0));
                return;
            }
        };
        match bohr::matrix::load_str(&self.path, text) {
            Ok(m) => {
                features.push(feature(21, m.cells.len().min(64) as u64));
                shape_features(22, &format!("{:?}", m.axes), features);
            }
            Err(e) => {
                for d in &e.diags {
                    error_features(24, "Diag", &d.message, features);
                }
            }
        }
    }
}

struct Shell;

impl Target for Shell {
    fn seeds(&self) -> Vec<Vec<u8>> {
        let mut seeds = files("guest-scripts", "sh");
        seeds.extend(words(&[
            "echo a b | cat > /tmp/x && cat < /tmp/x || exit 3\n",
            "A=1 B=\"$A x\" env; echo ${A} $? 'q' \"d$B\" \\\n  next # c\n",
            "! false; exec 3>&1 2>>/dev/null; cd /; set -e; export X=1; true\n",
        ]));
        seeds
    }

    fn dictionary(&self) -> Vec<Vec<u8>> {
        words(&[
            "|", "||", "&&", ";", "&", "\n", "!", "<", ">", ">>", ">&", "<&", "2>", "'", "\"",
            "\\", "$", "${", "}", "$?", "#", "(", ")", "`", "$(", "=", "if ", "then ", "fi",
            "while ", "do ", "done", "case ", "for ", "cd ", "exit ", "export ", "set -e",
            "unset ", "exec ", "echo ", "<<", "~", "*",
        ])
    }

    fn run(&mut self, input: &[u8], features: &mut Vec<u64>) {
        let text = String::from_utf8_lossy(input);
        match bohr_emu::machine::shell::parse::parse(&text) {
            Ok(script) => shape_features(30, &format!("{script:?}"), features),
            Err(e) => error_features(32, "SyntaxError", &e.message, features),
        }
    }
}
