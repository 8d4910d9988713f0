//! An ELFv1 program built independently of the guest userland
//! (`tests/programs/powerpc64/elfv1.c`, with its own `_start` and entry
//! descriptor) runs correctly on powerpc64 under both engines.
//!
//! The program checks itself: every line it prints compares a result with
//! a value worked out by hand (the stack and auxv the loader built, r2 from
//! the descriptor, calls through descriptors and a jump table, CR/XER,
//! atomics, the time base, syscall errors through CR0.SO, the big-endian
//! structures system calls read and write), and it exits with the number
//! of failed checks. This test demands every check by name.

#[path = "common/selfcheck.rs"]
mod selfcheck;

use bohr_emu::arch::Arch;
use bohr_emu::engine::EngineKind;
use selfcheck::Program;

const PROGRAM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/programs/powerpc64/elfv1");

/// The checks the program makes, in order.
const CHECKS: &[&str] = &[
    "stack aligned",
    "argv terminated",
    "auxv pagesz",
    "auxv entry is the descriptor",
    "auxv dcache block",
    "auxv icache block",
    "auxv random present",
    "toc from descriptor",
    "big endian",
    "descriptor call add",
    "descriptor call sub",
    "descriptor call mul",
    "descriptor call div",
    "jump table",
    "recursion",
    "mulhdu",
    "mulhd",
    "divd",
    "cmpd lt",
    "cmpd gt",
    "cmpd eq",
    "addc/adde carry",
    "addc/adde low",
    "addo sets SO and OV",
    "isel taken",
    "isel not taken",
    "popcntd",
    "cntlzd",
    "ldbrx",
    "bswap32",
    "atomic add",
    "compare exchange",
    "after exchange",
    "failed exchange",
    "atomic add 32",
    "time base advances",
    "bad fd",
    "missing file",
    "getpid",
    "pipe2",
    "pipe2 fds",
    "writev",
    "read back",
    "read bytes",
    "fstat pipe",
    "fstat mode is fifo",
    "clock_gettime",
    "timespec nsec",
    "uname",
    "uname machine",
    "getrandom",
];

const ELFV1: Program =
    Program { arch: Arch::Powerpc64, path: PROGRAM, name: "elfv1", checks: CHECKS };

#[test]
fn elfv1_program_interp() {
    ELFV1.run(EngineKind::Interp);
}

#[test]
fn elfv1_program_jit() {
    ELFV1.run(EngineKind::Jit);
}

/// Linux relocates the entry descriptor of a position-independent ELFv1
/// image by its load bias before using it (nothing else has run to
/// relocate `.opd` yet). The same program marked `ET_DYN` must start at
/// the biased entry with the biased TOC.
#[test]
fn pie_entry_descriptor_is_relocated() {
    use bohr_emu::loader;
    use bohr_emu::mem::{AddressSpace, Layout};

    let exec = std::fs::read(PROGRAM).expect("the committed test program is readable");
    let mut dynamic = exec.clone();
    // e_type (big-endian u16 at offset 16): ET_EXEC (2) -> ET_DYN (3).
    assert_eq!(dynamic[16..18], [0, 2]);
    dynamic[17] = 3;

    let start = |data: &[u8]| {
        let mut mem = AddressSpace::new(Layout::for_bits(true));
        let aux = loader::AuxInfo {
            hwcap: 0,
            hwcap2: 0,
            platform: None,
            arch_auxv: &[],
            random: [0; 16],
            execfn: b"elfv1",
        };
        let mut no_files = |_: &[u8]| Err("no files".to_string());
        loader::load(
            data,
            &loader::FileId::default(),
            None,
            Arch::Powerpc64,
            &mut mem,
            &[b"elfv1".to_vec()],
            &[],
            &aux,
            &mut no_files,
        )
        .expect("the image loads")
    };
    let fixed = start(&exec);
    let moved = start(&dynamic);
    let bias = {
        let mut mem = AddressSpace::new(Layout::for_bits(true));
        let img = loader::parse(&dynamic, Arch::Powerpc64).expect("the image parses");
        loader::map_image(&img, &dynamic, None, &mut mem, loader::PIE_BASE_64, &Default::default())
            .expect("the image maps")
            .bias
    };
    assert_ne!(bias, 0);
    assert_eq!(moved.pc, fixed.pc + bias);
    assert_eq!(moved.toc, fixed.toc.map(|t| t + bias));
}
