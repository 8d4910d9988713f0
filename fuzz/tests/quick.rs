//! The quick pass of every fuzz target: the committed corpus and the
//! regressions of past findings, then a fixed number of mutated inputs
//! from a fixed seed. Deterministic, seconds per target; the long
//! campaign is `scripts/fuzz.sh`.

use bohr_fuzz::corpus_dirs;
use bohr_fuzz::engine::{Budget, Campaign};
use bohr_fuzz::targets::by_name;

fn quick(name: &str, execs: u64) {
    let spec = by_name(name).expect("target exists");
    let mut c = Campaign::new(spec, 1);
    let dirs = corpus_dirs(name);
    c.load(&[&dirs[0], &dirs[1]]);
    let r = c.run(Budget { execs, time: None });
    eprintln!("{name}: {} execs, {} features, corpus {}", r.execs, r.features, r.corpus);
    assert!(r.features > 0, "{name} reported no features");
    let findings: Vec<String> = r
        .findings
        .iter()
        .map(|f| format!("{} bytes {:02x?}: {}", f.input.len(), f.input, f.message))
        .collect();
    assert!(findings.is_empty(), "{name} panicked:\n{}", findings.join("\n"));
}

macro_rules! quick {
    ($($test:ident $name:literal $execs:literal;)*) => {$(
        #[test]
        fn $test() {
            quick($name, $execs);
        }
    )*};
}

quick! {
    lift_riscv64 "lift-riscv64" 20000;
    lift_aarch64 "lift-aarch64" 20000;
    lift_powerpc64 "lift-powerpc64" 20000;
    lift_mipsel "lift-mipsel" 20000;
    lift_mipseb "lift-mipseb" 20000;
    lift_armel "lift-armel" 20000;
    diff_riscv64 "diff-riscv64" 300;
    diff_aarch64 "diff-aarch64" 300;
    diff_powerpc64 "diff-powerpc64" 300;
    diff_mipsel "diff-mipsel" 300;
    diff_mipseb "diff-mipseb" 300;
    diff_armel "diff-armel" 300;
    diff_armel_thumb "diff-armel-thumb" 300;
    elf "elf" 3000;
    matrix "matrix" 2000;
    shell "shell" 20000;
    rootfs_archive "rootfs-archive" 2000;
    rootfs_dir "rootfs-dir" 300;
    syscall_riscv64 "syscall-riscv64" 100;
    syscall_mipsel "syscall-mipsel" 100;
}
