//! Build script of the `bohr` package: links the `bohr` binary as a
//! position-dependent executable.
//!
//! A position-independent `bohr` carries about 110,000 relative
//! relocations (Cranelift's and the decoders' tables), which the dynamic
//! loader applies at every start, writing 1.7 MiB of otherwise read-only
//! data: a few milliseconds on each run, much of a short one. Linked with
//! `-no-pie`, the linker resolves them once. The code itself stays
//! position-independent (Rust's default), which a fixed-address
//! executable runs unchanged.

fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
