//! End-to-end tests of `bohr exec` against host limits: a guest address
//! space reserves host address space for every guest address (see
//! `mem::ram`), and a host that refuses the reservation must give a clear
//! error and exit status 2, not a panic.

use std::process::Command;

#[test]
fn an_address_space_limit_is_an_error_not_a_panic() {
    let root = env!("CARGO_MANIFEST_DIR");
    for (arch, bytes) in [("riscv64", "0x4000020000"), ("mipsel", "0x100020000")] {
        let prog = format!("{root}/guest/bin/{arch}/echo");
        // 3 GiB of address space: plenty for Bohr, too little for either
        // guest's reservation.
        let script = format!("ulimit -v 3145728 && exec \"$0\" exec --arch {arch} {prog} hi");
        let out = Command::new("sh")
            .args(["-c", &script, env!("CARGO_BIN_EXE_bohr")])
            .output()
            .expect("sh runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{arch}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "cannot create the address space: cannot reserve {bytes} bytes of host address space"
            )),
            "{arch}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{arch}: {stderr}");
        assert!(out.stdout.is_empty(), "{arch}: the guest never ran");
    }
}

/// A minimal riscv64 ELF64 executable header with `phdrs` program
/// headers of (p_type, p_vaddr, p_memsz).
fn elf(phnum: u16, phdrs: &[(u32, u64, u64)]) -> Vec<u8> {
    let mut b = vec![0u8; 64];
    b[..4].copy_from_slice(b"\x7fELF");
    b[4] = 2; // ELFCLASS64
    b[5] = 1; // little-endian
    b[6] = 1;
    b[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    b[18..20].copy_from_slice(&243u16.to_le_bytes()); // EM_RISCV
    b[20..24].copy_from_slice(&1u32.to_le_bytes());
    b[24..32].copy_from_slice(&0x10000u64.to_le_bytes()); // e_entry
    b[32..40].copy_from_slice(&64u64.to_le_bytes()); // e_phoff
    b[52..54].copy_from_slice(&64u16.to_le_bytes()); // e_ehsize
    b[54..56].copy_from_slice(&56u16.to_le_bytes()); // e_phentsize
    b[56..58].copy_from_slice(&phnum.to_le_bytes());
    for &(ty, vaddr, memsz) in phdrs {
        let mut p = vec![0u8; 56];
        p[..4].copy_from_slice(&ty.to_le_bytes());
        p[4..8].copy_from_slice(&5u32.to_le_bytes()); // R+X
        p[16..24].copy_from_slice(&vaddr.to_le_bytes());
        p[40..48].copy_from_slice(&memsz.to_le_bytes());
        p[48..56].copy_from_slice(&0x1000u64.to_le_bytes());
        b.extend(p);
    }
    b
}

fn exec_stderr(name: &str, bytes: &[u8]) -> String {
    let path = std::env::temp_dir().join(format!("bohr-elf-{}-{name}", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_bohr"))
        .args(["exec", "--arch", "riscv64"])
        .arg(&path)
        .output()
        .expect("bohr runs");
    let _ = std::fs::remove_file(&path);
    assert_eq!(out.status.code(), Some(2));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn loader_messages_name_the_right_header() {
    // Program header 0 is a note; the first PT_LOAD (header 1) lies above
    // user space.
    const PT_NOTE: u32 = 4;
    const PT_LOAD: u32 = 1;
    let high = elf(2, &[(PT_NOTE, 0, 0), (PT_LOAD, 0x7fff_ffff_ffff_0000, 0x1000)]);
    let stderr = exec_stderr("high", &high);
    assert!(stderr.contains("loadable segment 0 (PT_LOAD number 0"), "{stderr}");
    assert!(stderr.contains("outside user space"), "{stderr}");
    assert!(!stderr.contains("program header 0"), "{stderr}");

    // e_phnum = PN_XNUM with a PT_INTERP-looking first header: extended
    // numbering, not a dynamically linked program.
    let xnum = elf(0xffff, &[(3, 0, 0)]);
    let stderr = exec_stderr("xnum", &xnum);
    assert!(stderr.contains("e_phnum is PN_XNUM (0xffff)"), "{stderr}");
    assert!(!stderr.contains("dynamically linked"), "{stderr}");
}

/// Compiled code is kept under `BOHR_CACHE_DIR/code` between runs: a
/// second run finds its regions there instead of compiling them, with the
/// same output; `off` keeps nothing.
#[test]
fn compiled_code_is_kept_between_runs() {
    let root = env!("CARGO_MANIFEST_DIR");
    let cache = std::env::temp_dir().join(format!("bohr-cli-exec-code-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache);
    let prog = format!("{root}/guest/bin/riscv64/bench");
    let run = |cache: &std::path::Path| {
        let o = Command::new(env!("CARGO_BIN_EXE_bohr"))
            .args(["exec", "--arch", "riscv64", "--stats", &prog])
            .env("BOHR_CACHE_DIR", cache)
            .output()
            .expect("bohr runs");
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
        let stats = String::from_utf8_lossy(&o.stderr).into_owned();
        let shared = stats
            .lines()
            .find_map(|l| l.strip_prefix("regions shared: "))
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or_else(|| panic!("no region count in {stats}"));
        (o.stdout, shared)
    };
    let (out, shared) = run(&cache);
    assert_eq!(shared, 0, "a first run compiles everything");
    let packs = std::fs::read_dir(cache.join("code"))
        .expect("code kept")
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "pack"))
        .count();
    assert_eq!(packs, 1, "one pack for riscv64's code");
    let (again, shared) = run(&cache);
    assert_eq!(again, out, "the same output from stored code");
    assert!(shared > 0, "a second run finds its regions stored");
    let off = cache.join("off");
    run(std::path::Path::new("off"));
    assert!(!off.exists() && !std::path::Path::new("off").exists(), "`off` keeps nothing");
    let _ = std::fs::remove_dir_all(&cache);
}
