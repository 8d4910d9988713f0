//! Embeds the prebuilt guest programs (`guest/bin/<arch>/<prog>` at the
//! repository root) into the crate, so that `bohr` runs from any directory
//! without a cross toolchain. Generates `$OUT_DIR/guest_programs.rs`, a
//! sorted table read by `machine::programs`. Without a `guest/bin` (a
//! packaged crate) the table is empty.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let bin = manifest.join("..").join("guest").join("bin");
    println!("cargo:rerun-if-changed={}", bin.display());
    let mut entries: Vec<(String, String, PathBuf)> = Vec::new();
    for arch_dir in sorted_dir(&bin) {
        if !arch_dir.is_dir() {
            continue;
        }
        // A new or removed program changes the directory itself.
        println!("cargo:rerun-if-changed={}", arch_dir.display());
        let arch = file_name(&arch_dir);
        for prog in sorted_dir(&arch_dir) {
            if prog.is_file() {
                println!("cargo:rerun-if-changed={}", prog.display());
                entries.push((arch.clone(), file_name(&prog), prog));
            }
        }
    }
    let mut out = String::from(
        "/// `(arch, program, ELF bytes)`, sorted by arch then program.\n\
         pub static GUEST_PROGRAMS: &[(&str, &str, &[u8])] = &[\n",
    );
    for (arch, prog, path) in &entries {
        let abs = path.canonicalize().unwrap_or_else(|_| path.clone());
        writeln!(out, "    ({arch:?}, {prog:?}, include_bytes!({:?})),", abs.display().to_string())
            .expect("writing to a String");
    }
    out.push_str("];\n");
    let dest =
        PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo")).join("guest_programs.rs");
    std::fs::write(&dest, out).unwrap_or_else(|e| panic!("cannot write {}: {e}", dest.display()));
}

fn sorted_dir(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok()).map(|e| e.path()).collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

fn file_name(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}
