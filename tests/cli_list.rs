//! End-to-end tests of `bohr list`: the text form is one ID per line and
//! nothing else, the JSON form a list of cell objects, the github-matrix
//! form valid input for `fromJSON`, and the shipped matrices load.

mod runner_support;

use runner_support::Project;

fn project() -> (Project, String) {
    let p = Project::new("list");
    p.script("a", "echo a\n").script("b", "echo b\n");
    let m = p.matrix(
        "m",
        "[matrix]\narch = [\"riscv64\"]\nwrite_path = [\"host\", \"checked\"]\nscript = [\"a\", \"b\"]\n\
         [[matrix.include]]\nwrite_path = \"checked\"\nscript = \"b\"\nquantum = 97\n\
         [env]\nMTD = \"mtd0\"\n",
    );
    (p, m)
}

#[test]
fn text_lists_one_id_per_line_and_nothing_else() {
    let (p, m) = project();
    let out = p.bohr(&["list", &m]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout,
        "riscv64/host/a\nriscv64/host/b\nriscv64/checked/a\nriscv64/checked/b/quantum=97\n"
    );
    let glob = p.bohr(&["list", &m, "--cell", "*/checked/*", "--filter", "script=b"]);
    assert_eq!(glob.stdout, "riscv64/checked/b/quantum=97\n");
}

#[test]
fn json_lists_cell_objects() {
    let (p, m) = project();
    let out = p.bohr(&["list", &m, "--format", "json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    let cells = v.as_array().expect("a list");
    assert_eq!(cells.len(), 4);
    let last = &cells[3];
    assert_eq!(last["id"], "riscv64/checked/b/quantum=97");
    assert_eq!(last["arch"], "riscv64");
    assert_eq!(last["write_path"], "checked");
    assert_eq!(last["script"], "guest-scripts/b.sh");
    assert_eq!(last["quantum"], 97);
    assert_eq!(last["values"]["quantum"], 97);
    assert_eq!(last["env"]["MTD"], "mtd0");
    assert_eq!(cells[0]["quantum"], 10_000);
}

#[test]
fn github_matrix_feeds_from_json() {
    let (p, m) = project();
    let out = p.bohr(&["list", &m, "--format", "github-matrix"]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    let include = v["include"].as_array().expect("include list");
    assert_eq!(include.len(), 4);
    assert_eq!(include[0]["cell"], "riscv64/host/a");
    assert_eq!(include[3]["quantum"], "97");
    let out = p.bohr(&["list", &m, "--format", "github-matrix", "--shards", "3"]);
    assert_eq!(
        out.stdout,
        "{\"include\":[{\"cells\":2,\"partition\":\"1/3\"},{\"cells\":1,\"partition\":\"2/3\"},{\"cells\":1,\"partition\":\"3/3\"}]}\n"
    );
    // More shards than cells: only non-empty shards.
    let out = p.bohr(&["list", &m, "--format", "github-matrix", "--shards", "9"]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["include"].as_array().unwrap().len(), 4);
}

#[test]
fn shipped_matrices_load() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for m in ["matrices/smoke.toml", "matrices/mtd_readback.toml"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_bohr"))
            .args(["list", m])
            .current_dir(root)
            .output()
            .expect("run bohr");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{m}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.lines().count() >= 12, "{m}: {stdout}");
        // Every cell of a shipped matrix has its committed snapshot.
        let name = std::path::Path::new(m).file_stem().unwrap().to_str().unwrap();
        for id in stdout.lines() {
            let snap = root
                .join("matrices/snapshots")
                .join(name)
                .join(format!("{}.snap", id.replace('/', "__")));
            assert!(snap.is_file(), "missing snapshot {}", snap.display());
        }
    }
}
