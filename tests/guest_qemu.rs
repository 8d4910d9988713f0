//! Runs every case of `guest/cases.toml` for every guest architecture under
//! qemu-user (`qemu-<arch>-static`), and checks that the guest binaries are
//! all present.

#[path = "common/guest_cases.rs"]
mod guest_cases;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use guest_cases::{ARCHES, PROGRAMS, PROGRAMS_WITHOUT_CASES};

/// qemu-user binary for a guest architecture.
fn qemu_name(arch: &str) -> &'static str {
    match arch {
        "riscv64" => "qemu-riscv64-static",
        "aarch64" => "qemu-aarch64-static",
        "powerpc64" => "qemu-ppc64-static",
        "mipsel" => "qemu-mipsel-static",
        "mipseb" => "qemu-mips-static",
        "armel" => "qemu-arm-static",
        _ => panic!("unknown arch {arch}"),
    }
}

/// ELF class (1 = 32-bit, 2 = 64-bit), data encoding (1 = LE, 2 = BE) and
/// e_machine expected for each architecture.
fn elf_ident(arch: &str) -> (u8, u8, u16) {
    match arch {
        "riscv64" => (2, 1, 243),
        "aarch64" => (2, 1, 183),
        "powerpc64" => (2, 2, 21),
        "mipsel" => (1, 1, 8),
        "mipseb" => (1, 2, 8),
        "armel" => (1, 1, 40),
        _ => panic!("unknown arch {arch}"),
    }
}

#[test]
fn every_program_exists_for_every_arch() {
    let root = guest_cases::repo_root();
    let mut problems = Vec::new();
    for &arch in ARCHES {
        let (class, data, machine) = elf_ident(arch);
        for prog in guest_cases::programs_for(arch) {
            let path = guest_cases::program_path(&root, arch, prog);
            let bytes = match std::fs::read(&path) {
                Ok(b) => b,
                Err(e) => {
                    problems.push(format!("{}: {e}", path.display()));
                    continue;
                }
            };
            let ok = bytes.len() > 20
                && bytes[..4] == *b"\x7fELF"
                && bytes[4] == class
                && bytes[5] == data
                && u16::from_le_bytes([bytes[18], bytes[19]])
                    == if data == 1 { machine } else { machine.swap_bytes() }
                && u16::from_le_bytes([bytes[16], bytes[17]])
                    == if data == 1 { 2 } else { 2u16.swap_bytes() }; // ET_EXEC
            if !ok {
                problems.push(format!("{}: not a static {arch} ELF executable", path.display()));
            }
        }
        // Nothing unexpected either.
        let dir = root.join("guest").join("bin").join(arch);
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if !guest_cases::programs_for(arch).contains(&name.as_str()) {
                    problems.push(format!("{}: not a known program", e.path().display()));
                }
            }
        }
    }
    assert!(problems.is_empty(), "guest binaries:\n{}", problems.join("\n"));
}

#[test]
fn every_program_has_a_case() {
    let root = guest_cases::repo_root();
    let cases = guest_cases::load_cases(&root);
    let used: std::collections::BTreeSet<String> =
        cases.iter().flat_map(|c| c.stages()).map(|s| s[0].clone()).collect();
    let missing: Vec<&str> = PROGRAMS
        .iter()
        .copied()
        .chain(guest_cases::ARCH_PROGRAMS.iter().map(|&(_, p)| p))
        .filter(|p| !used.contains(*p) && !PROGRAMS_WITHOUT_CASES.contains(p))
        .collect();
    assert!(missing.is_empty(), "programs without a case in guest/cases.toml: {missing:?}");
}

fn qemu_launcher(qemus: Vec<(String, PathBuf)>) -> guest_cases::Launcher {
    guest_cases::Launcher {
        name: "qemu".to_string(),
        command: Box::new(move |arch: &str, prog: &Path, args: &[String]| {
            let qemu = &qemus.iter().find(|(a, _)| a == arch).expect("qemu for arch").1;
            // No core files from the crashing cases.
            let mut c = Command::new("sh");
            c.arg("-c").arg("ulimit -c 0; exec \"$0\" \"$@\"").arg(qemu).arg(prog).args(args);
            c
        }),
        timeout: Duration::from_secs(120),
    }
}

#[test]
fn guest_cases_under_qemu() {
    let mut qemus = Vec::new();
    let mut missing = Vec::new();
    for &arch in ARCHES {
        let name = qemu_name(arch);
        match guest_cases::find_in_path(name) {
            Some(p) => qemus.push((arch.to_string(), p)),
            None => missing.push(name),
        }
    }
    if !missing.is_empty() {
        if guest_cases::in_ci() {
            panic!("{} not found in PATH (required when CI is set)", missing.join(", "));
        }
        eprintln!("skipping: {} not found", missing.join(", "));
        return;
    }
    let root = guest_cases::repo_root();
    let cases = guest_cases::load_cases(&root);
    let launcher = qemu_launcher(qemus);
    let failures = guest_cases::run_all(&root, ARCHES, &cases, &launcher);
    assert!(
        failures.is_empty(),
        "{} of {} case runs failed:\n\n{}",
        failures.len(),
        cases.len() * ARCHES.len(),
        failures.join("\n\n")
    );
}
