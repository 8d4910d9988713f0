//! Rebuilds the guest programs with `guest/build.sh` into a scratch
//! directory and checks that every binary is byte-identical to the committed
//! one in `guest/bin/`.

#[path = "common/guest_cases.rs"]
mod guest_cases;

use std::path::PathBuf;
use std::process::Command;

use guest_cases::ARCHES;

const COMPILERS: &[&str] = &[
    "riscv64-linux-gnu-gcc",
    "aarch64-linux-gnu-gcc",
    "powerpc64-linux-gnu-gcc",
    "mipsel-linux-gnu-gcc",
    "mips-linux-gnu-gcc",
    "arm-linux-gnueabi-gcc",
];

#[test]
fn guest_binaries_are_reproducible() {
    let missing: Vec<&str> =
        COMPILERS.iter().copied().filter(|c| guest_cases::find_in_path(c).is_none()).collect();
    if !missing.is_empty() {
        if guest_cases::in_ci() {
            panic!("{} not found in PATH (required when CI is set)", missing.join(", "));
        }
        eprintln!("skipping: {} not found", missing.join(", "));
        return;
    }
    let root = guest_cases::repo_root();
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("guest-rebuild-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).expect("creating scratch directory");
    let result = Command::new("sh")
        .arg(root.join("guest").join("build.sh"))
        .arg(&out)
        .current_dir(&root)
        .output()
        .expect("running guest/build.sh");
    assert!(
        result.status.success(),
        "guest/build.sh failed ({}):\n{}{}",
        result.status,
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
    let mut problems = Vec::new();
    for &arch in ARCHES {
        for prog in guest_cases::programs_for(arch) {
            let committed = guest_cases::program_path(&root, arch, prog);
            let rebuilt = out.join(arch).join(prog);
            match (std::fs::read(&committed), std::fs::read(&rebuilt)) {
                (Ok(a), Ok(b)) if a == b => {}
                (Ok(a), Ok(b)) => problems.push(format!(
                    "{arch}/{prog}: rebuilt binary differs ({} vs {} bytes)",
                    a.len(),
                    b.len()
                )),
                (Err(e), _) => problems.push(format!("{}: {e}", committed.display())),
                (_, Err(e)) => problems.push(format!("{}: {e}", rebuilt.display())),
            }
        }
        if let Ok(entries) = std::fs::read_dir(out.join(arch)) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if !guest_cases::programs_for(arch).contains(&name.as_str()) {
                    problems.push(format!("{arch}/{name}: built but not a known program"));
                }
            }
        }
    }
    if problems.is_empty() {
        let _ = std::fs::remove_dir_all(&out);
    }
    assert!(
        problems.is_empty(),
        "guest binaries are not reproducible (rebuilt into {}):\n{}",
        out.display(),
        problems.join("\n")
    );
}
