//! The ELF loader (`bohr_emu::loader::load`): parse, map the segments into
//! a fresh address space, load a `PT_INTERP` (the input itself stands in
//! for the interpreter's file) and build the initial stack.
//!
//! Input: the first byte picks the arch, the rest is the file. Features:
//! the error's variant and message, or the number of segments and whether
//! an interpreter was loaded.

use bohr_emu::arch::Arch;
use bohr_emu::loader::{AuxInfo, FileBytes, FileId, load};
use bohr_emu::mem::{AddressSpace, Layout};

use super::error_features;
use crate::elfgen::{Load, elf};
use crate::engine::{Target, TargetSpec, feature};

pub const ELF: TargetSpec = TargetSpec {
    name: "elf",
    features: "loader error kinds and messages, loaded shapes",
    make: || Box::new(Elf),
};

struct Elf;

impl Target for Elf {
    fn seeds(&self) -> Vec<Vec<u8>> {
        let mut seeds = Vec::new();
        for (i, arch) in Arch::ALL.into_iter().enumerate() {
            let code = Load { vaddr: 0x1_0000, bytes: vec![0; 64], memsz: 64, flags: 5 };
            let data = Load { vaddr: 0x2_1000, bytes: vec![1; 32], memsz: 0x3000, flags: 6 };
            let plain = elf(arch, 0x1_0000, &[code, data], None);
            seeds.push([&[i as u8][..], &plain].concat());
            let code = Load { vaddr: 0x1_0000, bytes: vec![0; 64], memsz: 64, flags: 5 };
            let dynamic = elf(arch, 0x1_0000, &[code], Some(b"/lib/ld.so"));
            seeds.push([&[i as u8][..], &dynamic].concat());
        }
        seeds
    }

    fn dictionary(&self) -> Vec<Vec<u8>> {
        vec![
            b"\x7fELF".to_vec(),
            vec![1, 0, 0, 0],
            vec![3, 0, 0, 0],
            vec![6, 0, 0, 0],
            vec![0xff, 0xff],
            vec![0, 0, 0, 0x80],
        ]
    }

    fn max_len(&self) -> usize {
        1024
    }

    fn run(&mut self, input: &[u8], features: &mut Vec<u64>) {
        let Some((&which, data)) = input.split_first() else { return };
        let arch = Arch::ALL[which as usize % Arch::ALL.len()];
        let mut mem = AddressSpace::new(Layout::for_bits(arch.is_64bit()));
        let aux = AuxInfo {
            hwcap: 0,
            hwcap2: 0,
            platform: Some("fuzz"),
            arch_auxv: &[],
            random: [7; 16],
            execfn: b"/bin/fuzz",
        };
        // Every other input maps its segments from file pages of its own
        // bytes, as images from a firmware root filesystem are.
        let pages = (data.len() % 2 == 1)
            .then(|| bohr_emu::mem::FilePages::new(data).ok().map(std::sync::Arc::new))
            .flatten();
        let mut read_file = |_: &[u8]| -> Result<bohr_emu::loader::ImageFile, String> {
            Ok((FileBytes::Read(data.to_vec()), FileId::default(), pages.clone()))
        };
        let argv = [b"fuzz".to_vec()];
        let main = pages.as_ref();
        match load(data, &FileId::default(), main, arch, &mut mem, &argv, &[], &aux, &mut read_file)
        {
            Ok(start) => {
                features.push(feature(10, arch as u64));
                features.push(feature(11, start.toc.is_some() as u64));
            }
            Err(e) => error_features(12, &format!("{e:?}"), &e.to_string(), features),
        }
    }
}
