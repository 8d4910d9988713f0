//! The emulator's layer rule, checked mechanically: every module may use
//! only the modules below it, so an import against the direction fails
//! this test instead of slowly turning the crate into a knot.
//!
//! `ir` ← frontends (`arch`) ← engines (`engine`, `interp`, `jit`) ←
//! kernel (`linux`) ← `machine`, with leaf modules (`cpu`, `mem`, `events`,
//! `types`) that every layer may use, `timeline` (a leaf too) for the
//! kernel and the machine, `plugin` between the frontends and
//! the engines (engines call it), and `loader` under the kernel. Test code
//! (files named `tests.rs`, and everything after a `#[cfg(test)]` line) is
//! exempt, as are `testing` (test support) and the crate root, which
//! composes. A second rule keeps Cranelift in `jit/` and capstone in the
//! disassemblers and the execlog plugin.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// `(module, modules it may use)`. A module missing here is an error, so
/// a new top-level module has to take its place in the order.
const ALLOWED: &[(&str, &[&str])] = &[
    ("ir", &[]),
    ("cpu", &[]),
    ("mem", &[]),
    ("types", &[]),
    ("events", &["types"]),
    ("timeline", &[]),
    ("arch", &["ir", "cpu", "mem", "types"]),
    ("plugin", &["ir", "cpu", "mem", "types", "events", "arch"]),
    ("engine", &["ir", "cpu", "mem", "types", "events", "arch", "plugin"]),
    ("interp", &["ir", "cpu", "mem", "types", "events", "arch", "plugin", "engine"]),
    ("jit", &["ir", "cpu", "mem", "types", "events", "arch", "plugin", "engine", "interp"]),
    ("loader", &["ir", "cpu", "mem", "types", "arch"]),
    (
        "linux",
        &["ir", "cpu", "mem", "types", "events", "timeline", "arch", "plugin", "engine", "loader"],
    ),
    (
        "machine",
        &[
            "ir",
            "cpu",
            "mem",
            "types",
            "events",
            "timeline",
            "arch",
            "plugin",
            "engine",
            "interp",
            "jit",
            "loader",
            "linux",
            "engine_for",
        ],
    ),
];

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The top-level module a source file belongs to, or `None` for the root.
fn module_of(path: &Path) -> Option<String> {
    let rel = path.strip_prefix(src_dir()).unwrap();
    let first = rel.components().next()?.as_os_str().to_str()?.to_string();
    let name = first.strip_suffix(".rs").unwrap_or(&first).to_string();
    (name != "lib").then_some(name)
}

/// Non-test source lines of a file.
fn production_code(path: &Path) -> String {
    if path.file_name().is_some_and(|n| n == "tests.rs") {
        return String::new();
    }
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            break;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Every `crate::NAME` the code refers to (in `use` lines and paths).
fn crate_refs(code: &str) -> BTreeSet<String> {
    let mut refs = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        if code[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '$') {
            continue; // e.g. `$crate::` or `bohr_crate::`
        }
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            for part in group.split('}').next().unwrap_or("").split(',') {
                let name: String =
                    part.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !name.is_empty() {
                    refs.insert(name);
                }
            }
            continue;
        }
        let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        if !name.is_empty() {
            refs.insert(name);
        }
    }
    refs
}

#[test]
fn every_import_follows_the_layer_order() {
    let mut files = Vec::new();
    rust_files(&src_dir(), &mut files);
    let mut violations = Vec::new();
    for file in &files {
        let Some(module) = module_of(file) else { continue };
        if module == "testing" {
            continue;
        }
        let Some(&(_, allowed)) = ALLOWED.iter().find(|(m, _)| *m == module) else {
            violations.push(format!("{module}: not in the layer table ({})", file.display()));
            continue;
        };
        for dep in crate_refs(&production_code(file)) {
            if dep != module && !allowed.contains(&dep.as_str()) {
                let rel = file.strip_prefix(src_dir()).unwrap().display().to_string();
                violations.push(format!("src/{rel}: {module} uses crate::{dep}"));
            }
        }
    }
    assert!(violations.is_empty(), "imports against the layer order:\n{}", violations.join("\n"));
}

#[test]
fn cranelift_and_capstone_stay_where_they_belong() {
    let mut files = Vec::new();
    rust_files(&src_dir(), &mut files);
    let mut violations = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(src_dir()).unwrap().to_string_lossy().replace('\\', "/");
        let code = production_code(file);
        if code.contains("cranelift") && !rel.starts_with("jit/") {
            // Mentions in comments are fine; imports and paths are not.
            if code.contains("use cranelift") || code.contains("cranelift_") {
                violations.push(format!("src/{rel} uses Cranelift outside jit/"));
            }
        }
        let capstone_ok = rel.ends_with("/disasm.rs") || rel == "plugin/execlog.rs";
        if (code.contains("use capstone") || code.contains("capstone::")) && !capstone_ok {
            violations.push(format!("src/{rel} uses capstone outside the disassemblers"));
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn the_checker_sees_grouped_and_plain_references() {
    let refs =
        crate_refs("use crate::{ir, arch::Arch};\nlet x = crate::mem::PAGE_SIZE; $crate::no");
    assert_eq!(refs.into_iter().collect::<Vec<_>>(), ["arch", "ir", "mem"]);
}
