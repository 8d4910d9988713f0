//! The guest programs embedded at build time (see `emulator/build.rs`):
//! the `/bin` of every machine, per arch.

use crate::arch::Arch;

include!(concat!(env!("OUT_DIR"), "/guest_programs.rs"));

/// `(name, ELF bytes)` of every embedded program for `arch`, by name.
pub fn programs_for(arch: Arch) -> impl Iterator<Item = (&'static str, &'static [u8])> {
    GUEST_PROGRAMS
        .iter()
        .filter(move |(a, _, _)| *a == arch.name())
        .map(|&(_, name, elf)| (name, elf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_arch_has_the_core_programs() {
        for arch in Arch::ALL {
            let names: Vec<&str> = programs_for(arch).map(|(n, _)| n).collect();
            for want in ["cat", "strings", "grep", "head", "wc", "yes", "badbuf", "mtdinfo", "smc"]
            {
                assert!(names.contains(&want), "{arch} lacks {want}: {names:?}");
            }
            for (name, elf) in programs_for(arch) {
                assert_eq!(&elf[..4], b"\x7fELF", "{arch}/{name}");
            }
        }
    }
}
