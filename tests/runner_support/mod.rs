//! Helpers for the runner's end-to-end tests: a scratch project (a marker
//! `Cargo.toml`, `guest-scripts/`, `matrices/`) in a temporary directory,
//! and a way to run the `bohr` binary in it with a controlled environment.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A throwaway project directory, removed on drop.
pub struct Project {
    pub dir: PathBuf,
}

/// What a `bohr` invocation produced.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Project {
    pub fn new(tag: &str) -> Project {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "bohr-e2e-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("guest-scripts")).expect("create scratch project");
        std::fs::create_dir_all(dir.join("matrices")).expect("create scratch project");
        // Marks the project root (where snapshots' paths are relative to).
        std::fs::write(dir.join("Cargo.toml"), "").expect("write marker");
        Project { dir }
    }

    pub fn script(&self, name: &str, text: &str) -> &Project {
        std::fs::write(self.dir.join("guest-scripts").join(format!("{name}.sh")), text)
            .expect("write script");
        self
    }

    /// Write `matrices/NAME.toml`; returns its relative path.
    pub fn matrix(&self, name: &str, text: &str) -> String {
        let rel = format!("matrices/{name}.toml");
        std::fs::write(self.dir.join(&rel), text).expect("write matrix");
        rel
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.dir.join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    /// Run `bohr` here as CI would (plain progress, insta writes nothing
    /// pending), with no GitHub or insta variables from the caller.
    pub fn bohr(&self, args: &[&str]) -> Out {
        self.bohr_env(args, &[("CI", "1")])
    }

    /// Run `bohr` with extra environment variables (and without `CI`
    /// unless given).
    pub fn bohr_env(&self, args: &[&str], env: &[(&str, &str)]) -> Out {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_bohr"));
        cmd.args(args).current_dir(&self.dir);
        for var in [
            "CI",
            "GITHUB_ACTIONS",
            "GITHUB_STEP_SUMMARY",
            "INSTA_UPDATE",
            "INSTA_FORCE_PASS",
            "INSTA_OUTPUT",
            "TF_BUILD",
        ] {
            cmd.env_remove(var);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run bohr");
        Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The `repro:` commands printed in a report, as argument lists for the
/// `bohr` binary (the program word removed). Outside Bohr's workspace the
/// program is this `bohr` binary, by absolute path.
pub fn repro_commands(stdout: &str) -> Vec<Vec<String>> {
    stdout
        .lines()
        .filter_map(|l| l.trim().strip_prefix("repro: "))
        .map(|cmd| {
            let words = shell_words(cmd);
            assert_eq!(words[0], env!("CARGO_BIN_EXE_bohr"), "repro program in {cmd:?}");
            words[1..].to_vec()
        })
        .collect()
}

/// The `repro:` command lines printed in a report, verbatim.
pub fn repro_lines(stdout: &str) -> Vec<String> {
    stdout.lines().filter_map(|l| l.trim().strip_prefix("repro: ")).map(str::to_string).collect()
}

/// Minimal POSIX word splitting: bare words and single quotes (what the
/// runner prints).
pub fn shell_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    cur.push(q);
                }
            }
            '\\' => {
                in_word = true;
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            ' ' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

/// Fingerprints printed in a report, in order.
pub fn fingerprints(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| l.split("fingerprint ").nth(1))
        .map(|f| f.trim().to_string())
        .collect()
}

pub fn exists(p: &Path) -> bool {
    p.exists()
}
