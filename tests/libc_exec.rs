//! Unmodified glibc programs under `bohr exec`, static and dynamic, against
//! `qemu-<arch>-static -L /usr/<triple>`: the committed binaries of
//! `guest/libc-tests/` (one multi-call program, `libctest CASE ARGS`), run
//! with the cross C library of Debian's `libc6-<arch>-cross` as the rootfs.
//!
//! glibc's start-up code uses floating point, so an arch takes part once
//! its frontend has FP: list it in [`GLIBC_READY`] then. The other arches
//! still run, and the test says how far they get. The `spawn` case execs
//! the test program itself, which qemu-user cannot do for a foreign arch
//! without binfmt_misc, so it is not compared. QEMU or a missing cross libc
//! is a skip with a notice outside CI and a failure under `CI`.
//!
//! `kprobe`, built on Bohr's own freestanding guest libc, needs no FP: it
//! checks the kernel's file, path, pipe and process calls against QEMU on
//! every arch that has a frontend.

#[path = "common/cross.rs"]
mod cross;
#[path = "common/guest_cases.rs"]
mod guest_cases;

use std::path::{Path, PathBuf};
use std::process::Output;

use cross::{ARCHES, show};

/// Arches whose frontend runs glibc's start-up code (FP included).
const GLIBC_READY: &[&str] = &["riscv64", "aarch64", "powerpc64", "mipsel", "mipseb", "armel"];

/// Every case with its arguments; `@DIR` is a scratch directory.
const CASES: &[(&str, &[&str])] = &[
    ("hello", &["one", "two words"]),
    ("bigmalloc", &[]),
    ("dirs", &["@DIR"]),
    ("selfexe", &["@DIR"]),
    ("forkpipe", &[]),
];

const KINDS: &[&str] = &["static", "dynamic"];

/// The builds of an arch: armel adds its Thumb-2 (`-mthumb -march=armv7-a`)
/// builds of the same program.
fn kinds(arch: &str) -> &'static [&'static str] {
    if arch == "armel" { &["static", "dynamic", "thumb-static", "thumb-dynamic"] } else { KINDS }
}

fn binary(root: &Path, arch: &str, kind: &str) -> PathBuf {
    root.join("guest/libc-tests/bin").join(arch).join(format!("libctest-{kind}"))
}

fn args(case: &str, list: &[&str], dir: &str) -> Vec<String> {
    let mut v = vec![case.to_string()];
    v.extend(list.iter().map(|a| if *a == "@DIR" { dir.to_string() } else { a.to_string() }));
    v
}

/// A scratch directory on the host, unique to this test run and `tag`.
fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bohr-libc-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// QEMU writes the host's files, so it gets a fresh directory per run. The
/// binary's path is absolute: QEMU resolves `/proc/self/exe` from it.
fn qemu_run(qemu: &Path, triple: &str, bin: &Path, case: &str, list: &[&str]) -> Output {
    let dir = scratch(&format!("{case}-{}", bin.display().to_string().len()));
    let out =
        cross::qemu_run(qemu, Some(triple), bin, args(case, list, &dir.display().to_string()));
    let _ = std::fs::remove_dir_all(&dir);
    out
}

fn bohr_run(
    arch: &str,
    engine: &str,
    triple: &str,
    bin: &Path,
    case: &str,
    list: &[&str],
) -> Output {
    // The guest's /tmp is the in-memory layer: nothing reaches the host.
    cross::bohr_run(arch, engine, Some(triple), bin, args(case, list, "/tmp"))
}

fn same(a: &Output, b: &Output) -> bool {
    a.status.code() == b.status.code() && a.stdout == b.stdout && a.stderr == b.stderr
}

#[test]
fn binaries_are_static_and_dynamic_elf_of_their_arch() {
    let root = guest_cases::repo_root();
    for &(arch, _, _) in ARCHES {
        let arch_id: bohr_emu::arch::Arch = arch.parse().expect("known arch");
        for &kind in kinds(arch) {
            let path = binary(&root, arch, kind);
            let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let img = bohr_emu::loader::parse(&data, arch_id)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(img.interp.is_some(), kind.ends_with("dynamic"), "{}", path.display());
        }
        let path = root.join("guest/libc-tests/bin").join(arch).join("kprobe");
        let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let img = bohr_emu::loader::parse(&data, arch_id)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(img.interp.is_none(), "{}", path.display());
    }
}

#[test]
fn kernel_probe_matches_qemu() {
    let root = guest_cases::repo_root();
    let supported = bohr_emu::arch::supported_arches();
    let mut failures = Vec::new();
    let mut runs = 0;
    for &(arch, qemu_name, _) in ARCHES {
        if !supported.iter().any(|a| a.name() == arch) {
            continue;
        }
        let Some(qemu) = cross::find_qemu(arch, qemu_name) else { continue };
        let bin = root.join("guest/libc-tests/bin").join(arch).join("kprobe");
        let dir = scratch(&format!("kprobe-{arch}"));
        let want = cross::qemu_run(&qemu, None, &bin, [&dir]);
        let _ = std::fs::remove_dir_all(&dir);
        for engine in ["interp", "jit"] {
            let got = cross::bohr_run(arch, engine, None, &bin, ["/tmp"]);
            runs += 1;
            if !same(&want, &got) {
                failures.push(cross::difference(&format!("{arch} ({engine})"), &want, &got));
            }
        }
    }
    cross::assert_none_failed(&failures, runs, "runs differ");
}

#[test]
fn glibc_programs_match_qemu() {
    let root = guest_cases::repo_root();
    let mut failures = Vec::new();
    let mut compared = 0;
    for &(arch, qemu_name, triple) in ARCHES {
        let Some(qemu) = cross::tools(arch, qemu_name, triple) else { continue };
        let ready = GLIBC_READY.contains(&arch);
        for &kind in kinds(arch) {
            let bin = binary(&root, arch, kind);
            for &(case, list) in CASES {
                let want = qemu_run(&qemu, triple, &bin, case, list);
                for engine in ["interp", "jit"] {
                    let got = bohr_run(arch, engine, triple, &bin, case, list);
                    let ok = same(&want, &got);
                    if ready {
                        compared += 1;
                        if !ok {
                            failures.push(cross::difference(
                                &format!("{arch} {kind} {case} ({engine})"),
                                &want,
                                &got,
                            ));
                        }
                    } else if engine == "interp" && case == "hello" {
                        let first_line = String::from_utf8_lossy(&got.stderr)
                            .lines()
                            .next()
                            .unwrap_or("")
                            .to_string();
                        eprintln!(
                            "notice: {arch} {kind} waits for FP (not in GLIBC_READY): {}",
                            if ok { "it passes now; add it".to_string() } else { first_line }
                        );
                    }
                }
            }
        }
    }
    cross::assert_none_failed(&failures, compared, "runs differ");
}

/// `execve` of a static program and of a `#!` script, from a forked child:
/// qemu-user cannot exec a foreign binary, so the expected output is
/// written out here (Linux's `#!` argv: interpreter, its argument, the
/// script, then the caller's arguments after the first).
#[test]
fn kernel_probe_execs_programs_and_scripts() {
    let root = guest_cases::repo_root();
    let want = "child argv: [--child] [x y]\n\
                execve: the child, status 0900\n\
                child argv: [--child] [/tmp/kp-script] [--child] [x y]\n\
                script: the child, status 0900\n\
                exec of a directory: EACCES\n";
    for arch in bohr_emu::arch::supported_arches() {
        let bin = root.join("guest/libc-tests/bin").join(arch.name()).join("kprobe");
        for engine in ["interp", "jit"] {
            let got = cross::bohr_run(arch.name(), engine, None, &bin, ["--exec", "/tmp"]);
            assert_eq!(
                String::from_utf8_lossy(&got.stdout),
                want,
                "{arch} ({engine}): {}",
                show(&got)
            );
            assert_eq!(got.status.code(), Some(0), "{arch} ({engine})");
        }
    }
}

/// `memtest maps`, `memtest remap` and `memtest shared`
/// (`guest/libc-tests/src/memtest.c`; `shared`: a parent/child counter in
/// shared anonymous memory, and a shared file mapping against `read`,
/// `write`, `pwrite`, `ftruncate`, a second mapping and a child's), static
/// and dynamic, under both engines, against QEMU, with two corrections
/// where QEMU 7.2 departs from Linux:
/// - its `/proc/self/maps` does not name the program break's pages
///   `[heap]`, which Linux does;
/// - its 32-bit targets answer `mremap` of unmapped memory with `EINVAL`
///   (the dynamic builds crash in it) and accept `mprotect` of unmapped
///   pages, where Linux says `EFAULT` and `ENOMEM`. `remap` prints nothing
///   that depends on the word size, so every arch is held to riscv64's
///   QEMU output, which the other 64-bit arches' must equal.
#[test]
fn memory_mappings_match_qemu() {
    let root = guest_cases::repo_root();
    let mut failures = Vec::new();
    let mut compared = 0;
    let bin = |arch: &str, kind: &str| {
        root.join("guest/libc-tests/bin").join(arch).join(format!("memtest-{kind}"))
    };
    let linux_maps = |o: &Output| {
        let text =
            String::from_utf8_lossy(&o.stdout).replace("heap: rw-p \n", "heap: rw-p [heap]\n");
        (o.status.code(), text, String::from_utf8_lossy(&o.stderr).into_owned())
    };
    let plain = |o: &Output| {
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let mut remap_want = None;
    for &(arch, qemu_name, triple) in ARCHES {
        let Some(qemu) = cross::tools(arch, qemu_name, triple) else { continue };
        for kind in KINDS {
            let bin = bin(arch, kind);
            let maps = linux_maps(&qemu_run(&qemu, triple, &bin, "maps", &["@DIR"]));
            let remap = plain(&qemu_run(&qemu, triple, &bin, "remap", &["@DIR"]));
            let shared = plain(&qemu_run(&qemu, triple, &bin, "shared", &["@DIR"]));
            if arch == "riscv64" && remap_want.is_none() {
                remap_want = Some(remap.clone());
            }
            let want_remap = remap_want.clone().expect("riscv64 comes first in ARCHES");
            if arch.ends_with("64") {
                assert_eq!(remap, want_remap, "QEMU's {arch} {kind} remap differs from riscv64's");
            }
            for engine in ["interp", "jit"] {
                for (case, want) in [("maps", &maps), ("remap", &want_remap), ("shared", &shared)] {
                    let got = bohr_run(arch, engine, triple, &bin, case, &["@DIR"]);
                    compared += 1;
                    if plain(&got) != *want {
                        failures.push(format!(
                            "{arch} {kind} {case} ({engine})\n=== want (exit {:?})\n{}{}=== bohr\n{}",
                            want.0,
                            want.1,
                            want.2,
                            show(&got)
                        ));
                    }
                }
            }
        }
    }
    cross::assert_none_failed(&failures, compared, "runs differ");
}

/// `memtest othermaps`: a parent reads its child's `/proc/<pid>/maps`.
/// qemu-user shows its own host mappings there, so the expected lines are
/// written out (they are what the same program prints on Linux, built
/// for the host).
#[test]
fn other_processes_maps_are_listed_as_linux_lists_them() {
    let root = guest_cases::repo_root();
    let want = "child's lines that do not parse: 0\n\
                child's shared mapping: rw-s offset 00001000 other-map\n\
                child's private mapping: r--p offset 00000000 other-map\n\
                here, the child's shared address: not listed\n\
                child: status 0000\n\
                maps of the reaped child: No such file or directory\n";
    let mut failures = Vec::new();
    let mut runs = 0;
    for &(arch, qemu_name, triple) in ARCHES {
        // The dynamic builds need the cross libc (QEMU itself is not run).
        if cross::tools(arch, qemu_name, triple).is_none() {
            continue;
        }
        for kind in KINDS {
            let bin = root.join("guest/libc-tests/bin").join(arch).join(format!("memtest-{kind}"));
            for engine in ["interp", "jit"] {
                let got = bohr_run(arch, engine, triple, &bin, "othermaps", &["@DIR"]);
                runs += 1;
                if String::from_utf8_lossy(&got.stdout) != want || got.status.code() != Some(0) {
                    failures.push(format!("{arch} {kind} ({engine})\n{}", show(&got)));
                }
            }
        }
    }
    cross::assert_none_failed(&failures, runs, "runs differ");
}
