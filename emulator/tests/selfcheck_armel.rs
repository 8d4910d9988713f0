//! A statically linked armel program built independently of the guest
//! userland (`tests/programs/armel/selfcheck.c`, compiled for ARM state
//! with `-O2 -static -nostdlib -ffreestanding -march=armv7ve` and libgcc)
//! runs correctly under both engines.
//!
//! The program checks itself: every line it prints compares a result with
//! a value worked out by hand or in Python (the stack and auxv the loader
//! built, 64-bit arithmetic and libgcc's division, sdiv/udiv, bit
//! counting, bitfields, a jump table, calls through pointers, conditional
//! execution, flags read through `mrs`, saturating and DSP multiplies,
//! the exclusive monitor, `swp`, the TLS register, the kuser helpers and
//! system-call errors), and it exits with the number of failed checks.
//! The same binary passes under qemu-arm. This test demands every check by
//! name. `selfcheck-thumb` is the same source built in Thumb-2 state
//! (`-mthumb`; its `swp` helper and libgcc stay ARM code, so calls
//! interwork), held to the same checks.

#[path = "common/selfcheck.rs"]
mod selfcheck;

use bohr_emu::arch::Arch;
use bohr_emu::engine::EngineKind;
use selfcheck::Program;

const PROGRAM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/programs/armel/selfcheck");

/// The checks the program makes, in order.
const CHECKS: &[&str] = &[
    "stack aligned",
    "argc",
    "argv terminated",
    "auxv pagesz",
    "auxv entry",
    "auxv random present",
    "auxv hwcap",
    "umull",
    "smull",
    "adc",
    "sbc",
    "umlal",
    "shl64 small",
    "shl64 large",
    "sar64",
    "udiv64",
    "urem64",
    "sdiv64",
    "udiv",
    "sdiv",
    "udiv by zero",
    "sdiv min by -1",
    "clz",
    "ctz",
    "rbit",
    "rev",
    "rev16",
    "revsh",
    "ror",
    "bitfield a",
    "bitfield b",
    "bitfield c",
    "bitfield d",
    "jump table",
    "call add",
    "call sub",
    "call mul",
    "call div",
    "recursion",
    "signed loads",
    "copy",
    "clamp low",
    "clamp high",
    "clamp mid",
    "flags eq",
    "flags lt",
    "flags overflow",
    "flags add carry",
    "flags add overflow",
    "qadd saturates",
    "qadd sets q",
    "qadd exact",
    "qadd leaves q",
    "ssat",
    "usat",
    "smulbt",
    "smlawb",
    "smmulr",
    "usada8",
    "umaal",
    "sel",
    "uxtab16",
    "pkhtb",
    "strex after clrex",
    "strex left memory",
    "ldrex strex",
    "strex stored",
    "swp",
    "after swp",
    "atomic add",
    "after atomic add",
    "set_tls",
    "tpidruro",
    "kuser version",
    "kuser get_tls",
    "kuser cmpxchg hit",
    "kuser cmpxchg stored",
    "kuser cmpxchg miss",
    "kuser cmpxchg kept",
    "kuser cmpxchg64 hit",
    "kuser cmpxchg64 stored",
    "kuser cmpxchg64 miss",
    "bad fd",
    "missing file",
    "getpid",
    "mmap2",
    "mmap memory",
    "cacheflush",
    "munmap",
];

const SELFCHECK: Program =
    Program { arch: Arch::Armel, path: PROGRAM, name: "selfcheck", checks: CHECKS };

const THUMB_PROGRAM: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/programs/armel/selfcheck-thumb");

const SELFCHECK_THUMB: Program =
    Program { arch: Arch::Armel, path: THUMB_PROGRAM, name: "selfcheck", checks: CHECKS };

#[test]
fn selfcheck_thumb_program_interp() {
    SELFCHECK_THUMB.run(EngineKind::Interp);
}

#[test]
fn selfcheck_thumb_program_jit() {
    SELFCHECK_THUMB.run(EngineKind::Jit);
}

#[test]
fn selfcheck_program_interp() {
    SELFCHECK.run(EngineKind::Interp);
}

#[test]
fn selfcheck_program_jit() {
    SELFCHECK.run(EngineKind::Jit);
}
