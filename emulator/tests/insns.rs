//! Data-driven instruction tests of every supported arch.
//!
//! Runs each arch's `tests/insns/*.ins` files (their headers document the
//! line syntax) through the shared runner in `common/insfile.rs`, with the
//! reference interpreter and again with the JIT engine so both engines are
//! held to the same data. Instruction lengths, decoder rows and capstone's
//! text come from the arch's `Frontend`; this file only says which files
//! an arch has and which registers its lines may name.
//!
//! The curated file of an arch must exercise every row of its decoder
//! tables. mipsel and mipseb share `mips.ins` (words written big-endian,
//! reversed on mipsel) and keep only the byte-order-dependent cases in
//! `mipsel.ins` and `mipseb.ins`. aarch64 and armel also have random
//! cases (`<arch>_random.ins`, expectations from QEMU), which need not
//! cover the table; armel's curated file covers the rows its random file
//! does not. armel's `armel_thumb.ins` runs in Thumb state. mips's
//! `mips_fr1.ins` (with `mipsel_fr1.ins` and `mipseb_fr1.ins`) runs with
//! the FPU in `FR=1` and covers the rows only that mode runs.

#[path = "common/insfile.rs"]
mod insfile;

use bohr_emu::arch::{Arch, aarch64, arm, mips, powerpc64, riscv64, supported_arches};
use bohr_emu::engine::EngineKind;
use insfile::{ArchSpec, InsFile};

/// Path of a file under `tests/insns/`.
fn path(name: &str) -> String {
    format!("{}/tests/insns/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn file(name: &str) -> InsFile {
    InsFile { path: path(name), reverse_words: false }
}

/// Register names the lines of `arch` may assign or check, with the value
/// each holds before a line's inputs.
fn regs(arch: Arch) -> Vec<(&'static str, u64)> {
    match arch {
        Arch::Riscv64 => {
            use riscv64::regs::{FNAMES, NAMES, NO_RESERVATION};
            let mut regs: Vec<(&'static str, u64)> = NAMES.iter().map(|&n| (n, 0)).collect();
            regs.push(("reservation", NO_RESERVATION));
            regs.extend(FNAMES.iter().map(|&n| (n, 0)));
            regs.push(("frm", 0));
            regs.push(("fflags", 0));
            regs
        }
        Arch::Aarch64 => {
            use aarch64::regs::{FLAGS, MONITOR, NAMES, NO_MONITOR};
            // The flags are checked as the architectural bits, not the
            // slots' internal forms.
            NAMES
                .iter()
                .enumerate()
                .map(|(slot, &name)| {
                    let flag = FLAGS.iter().find(|(s, _)| s.0 as usize == slot).map(|&(_, n)| n);
                    (flag.unwrap_or(name), if slot == MONITOR.0 as usize { NO_MONITOR } else { 0 })
                })
                .collect()
        }
        Arch::Powerpc64 => {
            use powerpc64::regs::{self, NO_RESERVATION};
            // The scratch slots of the FP lifter are not architectural.
            regs::all_names()
                .filter(|n| !n.starts_with("fp_"))
                .map(|n| (n, if n == "reservation" { NO_RESERVATION } else { 0 }))
                .collect()
        }
        Arch::Mipsel | Arch::Mipseb => {
            use mips::regs::{FNAMES, NAMES, NO_RESERVATION, SPECIAL_NAMES};
            let mut regs: Vec<(&'static str, u64)> = NAMES.iter().map(|&n| (n, 0)).collect();
            for &n in &SPECIAL_NAMES {
                regs.push((n, if n == "reservation" { NO_RESERVATION } else { 0 }));
            }
            regs.extend(FNAMES.iter().map(|&n| (n, 0)));
            regs.push(("fcsr", 0));
            regs
        }
        Arch::Armel => {
            use arm::regs::{NAMES, NO_RESERVATION, SPECIAL_NAMES};
            let mut regs: Vec<(&'static str, u64)> = NAMES.iter().map(|&n| (n, 0)).collect();
            for &n in &SPECIAL_NAMES {
                regs.push((n, if n == "reservation" { NO_RESERVATION } else { 0 }));
            }
            regs
        }
    }
}

/// Which cases of an arch a test runs.
#[derive(Clone, Copy, Debug)]
enum Cases {
    /// The curated files, which cover the decoder tables.
    Curated,
    /// The random cases.
    Random,
    /// armel's Thumb cases, run in Thumb state (pc bit 0 set).
    Thumb,
    /// mips cases run with the FPU in `FR=1` (64-bit registers).
    Fr1,
}

/// The random-case file of `arch`, if it has one.
fn random_file(arch: Arch) -> Option<&'static str> {
    match arch {
        Arch::Aarch64 => Some("aarch64_random.ins"),
        Arch::Armel => Some("armel_random.ins"),
        _ => None,
    }
}

fn spec(arch: Arch, cases: Cases) -> ArchSpec {
    let frontend = bohr_emu::arch::frontend_for(arch).expect("a supported arch");
    let (files, encodings) = match cases {
        Cases::Curated => {
            let files = match arch {
                Arch::Mipsel => vec![
                    InsFile { path: path("mips.ins"), reverse_words: true },
                    file("mipsel.ins"),
                ],
                Arch::Mipseb => vec![file("mips.ins"), file("mipseb.ins")],
                _ => vec![file(&format!("{arch}.ins"))],
            };
            let mut encodings = frontend.encoding_names();
            if matches!(arch, Arch::Mipsel | Arch::Mipseb) {
                // The rows only `FR=1` runs (the `L` format) are covered
                // by the `FR=1` cases; names do not depend on byte order.
                let hit = insfile::encodings_hit(Arch::Mipseb, &path("mips_fr1.ins"));
                encodings.retain(|n| !hit.contains(n));
            }
            if arch == Arch::Armel {
                // Together with the random cases, the curated ones cover the
                // whole table.
                let random = path(random_file(arch).expect("armel has random cases"));
                let hit = insfile::encodings_hit(arch, &random);
                encodings.retain(|n| !hit.contains(n));
            }
            (files, encodings)
        }
        Cases::Random => {
            let name = random_file(arch).expect("the arch has random cases");
            (vec![file(name)], Vec::new())
        }
        Cases::Thumb => (vec![file("armel_thumb.ins")], Vec::new()),
        Cases::Fr1 => {
            let shared =
                InsFile { path: path("mips_fr1.ins"), reverse_words: arch == Arch::Mipsel };
            (vec![shared, file(&format!("{arch}_fr1.ins"))], Vec::new())
        }
    };
    let mode = match cases {
        Cases::Fr1 => mips::fpmode::PR_FP_MODE_FR,
        _ => 0,
    };
    let (pc_state, state_insn_len) = match cases {
        Cases::Thumb => (1, Some(arm::thumb::insn_len as fn(&[u8]) -> usize)),
        _ => (0, None),
    };
    ArchSpec { arch, files, regs: regs(arch), encodings, pc_state, state_insn_len, mode }
}

/// One test per arch, set of cases and engine, named after them so that a
/// failure says which it was.
macro_rules! instruction_tests {
    ($($name:ident: $arch:ident $cases:ident $engine:ident;)*) => {
        $(
            #[test]
            fn $name() {
                insfile::run(&spec(Arch::$arch, Cases::$cases), EngineKind::$engine);
            }
        )*

        /// Every arch and set of cases the tests above run.
        const TESTED: &[(Arch, &str)] = &[$((Arch::$arch, stringify!($cases))),*];
    };
}

instruction_tests! {
    riscv64_instructions_interp: Riscv64 Curated Interp;
    riscv64_instructions_jit: Riscv64 Curated Jit;
    aarch64_instructions_interp: Aarch64 Curated Interp;
    aarch64_instructions_jit: Aarch64 Curated Jit;
    aarch64_random_cases_interp: Aarch64 Random Interp;
    aarch64_random_cases_jit: Aarch64 Random Jit;
    powerpc64_instructions_interp: Powerpc64 Curated Interp;
    powerpc64_instructions_jit: Powerpc64 Curated Jit;
    mipsel_instructions_interp: Mipsel Curated Interp;
    mipsel_instructions_jit: Mipsel Curated Jit;
    mipseb_instructions_interp: Mipseb Curated Interp;
    mipseb_instructions_jit: Mipseb Curated Jit;
    mipsel_fr1_instructions_interp: Mipsel Fr1 Interp;
    mipsel_fr1_instructions_jit: Mipsel Fr1 Jit;
    mipseb_fr1_instructions_interp: Mipseb Fr1 Interp;
    mipseb_fr1_instructions_jit: Mipseb Fr1 Jit;
    armel_instructions_interp: Armel Curated Interp;
    armel_instructions_jit: Armel Curated Jit;
    armel_random_cases_interp: Armel Random Interp;
    armel_random_cases_jit: Armel Random Jit;
    armel_thumb_instructions_interp: Armel Thumb Interp;
    armel_thumb_instructions_jit: Armel Thumb Jit;
}

/// Every supported arch has its curated cases (and its random cases, if
/// any) run by both engines.
#[test]
fn every_supported_arch_is_tested() {
    for arch in supported_arches() {
        let mut want = vec!["Curated"];
        if random_file(arch).is_some() {
            want.push("Random");
        }
        for cases in want {
            let runs = TESTED.iter().filter(|&&(a, c)| a == arch && c == cases).count();
            assert_eq!(runs, 2, "{arch} {cases} cases: one test per engine");
        }
    }
}
