//! Running a matrix through the `bohr` binary and reading its cells'
//! fingerprints from the JSON event stream, for the determinism tests
//! that compare runs at different `--jobs` and `--lanes`.
//!
//! Include from an integration test with
//! `#[path = "common/cells.rs"] mod cells;`.

use std::collections::BTreeMap;
use std::process::Command;

/// The fingerprint of every cell of `matrix` (a path from the repository
/// root) run at `--jobs N --lanes L`, by cell; the run must pass.
pub fn fingerprints(matrix: &str, jobs: &str, lanes: &str) -> BTreeMap<String, String> {
    let o = Command::new(env!("CARGO_BIN_EXE_bohr"))
        .args(["run", matrix, "--jobs", jobs, "--lanes", lanes, "--message-format", "json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("CI", "1")
        .env_remove("INSTA_UPDATE")
        .output()
        .expect("run bohr");
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&o.stderr));
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["type"] == "run")
        .map(|v| {
            let cell = v["cell"].as_str().expect("cell").to_string();
            (cell, v["fingerprint"].as_str().expect("fingerprint").to_string())
        })
        .collect()
}
