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
