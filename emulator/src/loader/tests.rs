//! Loader tests: a tiny ELF64 builder, error cases, stack layout and a
//! random-header robustness check.

use super::*;
use crate::mem::Layout;

/// A minimal little-endian ELF64 riscv64 image with one RX segment.
fn tiny_elf(e_type: u16, vaddr: u64, code: &[u8]) -> Vec<u8> {
    let mut f = vec![0u8; 64 + 56];
    f[..4].copy_from_slice(b"\x7fELF");
    f[4] = 2;
    f[5] = 1;
    f[6] = 1;
    f[16..18].copy_from_slice(&e_type.to_le_bytes());
    f[18..20].copy_from_slice(&243u16.to_le_bytes());
    f[24..32].copy_from_slice(&(vaddr + 120).to_le_bytes());
    f[32..40].copy_from_slice(&64u64.to_le_bytes());
    f[52..54].copy_from_slice(&64u16.to_le_bytes());
    f[54..56].copy_from_slice(&56u16.to_le_bytes());
    f[56..58].copy_from_slice(&1u16.to_le_bytes());
    let ph = 64;
    let total = (120 + code.len()) as u64;
    f[ph..ph + 4].copy_from_slice(&1u32.to_le_bytes());
    f[ph + 4..ph + 8].copy_from_slice(&5u32.to_le_bytes());
    f[ph + 16..ph + 24].copy_from_slice(&vaddr.to_le_bytes());
    f[ph + 32..ph + 40].copy_from_slice(&total.to_le_bytes());
    f[ph + 40..ph + 48].copy_from_slice(&(total + 0x2000).to_le_bytes());
    f.extend_from_slice(code);
    f
}

fn space() -> AddressSpace {
    AddressSpace::new(Layout::for_bits(true))
}

/// `load` with the given AT_RANDOM bytes and a file system that holds
/// only `files`.
fn load_with(
    elf: &[u8],
    mem: &mut AddressSpace,
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
    random: [u8; 16],
    files: &[(&[u8], Vec<u8>)],
) -> Result<StartInfo, LoadError> {
    let aux = AuxInfo {
        hwcap: 0x1105,
        hwcap2: 0,
        platform: Some("plat"),
        arch_auxv: &[],
        random,
        execfn: b"/bin/prog",
    };
    let mut read = |p: &[u8]| {
        let file = FileId { path: p.to_vec(), dev: 1, ino: 2 };
        files
            .iter()
            .find(|(n, _)| *n == p)
            .map(|(_, d)| (FileBytes::Read(d.clone()), file, None))
            .ok_or_else(|| "ENOENT".into())
    };
    let exe = FileId { path: b"/bin/prog".to_vec(), dev: 1, ino: 1 };
    load(elf, &exe, None, Arch::Riscv64, mem, argv, envp, &aux, &mut read)
}

fn ld(
    elf: &[u8],
    mem: &mut AddressSpace,
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
    random: [u8; 16],
) -> Result<StartInfo, LoadError> {
    load_with(elf, mem, argv, envp, random, &[])
}

/// `tiny_elf` with a second program header, `PT_INTERP` naming `interp`.
fn dynamic_elf(e_type: u16, vaddr: u64, interp: &[u8]) -> Vec<u8> {
    let mut f = tiny_elf(e_type, vaddr, &[0x13, 0, 0, 0]);
    // Move the load header's file span to cover the new tail too.
    f[56..58].copy_from_slice(&2u16.to_le_bytes());
    let path_off = (f.len() + 56) as u64;
    let mut ph = vec![0u8; 56];
    ph[..4].copy_from_slice(&PT_INTERP.to_le_bytes());
    ph[8..16].copy_from_slice(&path_off.to_le_bytes());
    ph[32..40].copy_from_slice(&(interp.len() as u64 + 1).to_le_bytes());
    // The second header must follow the first: rebuild with it at 120.
    let code = f.split_off(120);
    f.extend_from_slice(&ph);
    f.extend_from_slice(&code);
    f.extend_from_slice(interp);
    f.push(0);
    // Entry and segment size follow the moved code.
    f[24..32].copy_from_slice(&(vaddr + 176).to_le_bytes());
    let total = f.len() as u64;
    f[64 + 32..64 + 40].copy_from_slice(&total.to_le_bytes());
    f[64 + 40..64 + 48].copy_from_slice(&(total + 0x2000).to_le_bytes());
    // The PT_INTERP path offset moved with the code.
    let path_off = total - interp.len() as u64 - 1;
    f[120 + 8..120 + 16].copy_from_slice(&path_off.to_le_bytes());
    f
}

/// The auxiliary vector of the stack at `sp` (argc, argv, envp, auxv).
fn auxv_of(mem: &AddressSpace, sp: u64) -> std::collections::BTreeMap<u64, u64> {
    let word = |a: u64| {
        let mut b = [0u8; 8];
        mem.read_debug(a, &mut b).unwrap();
        u64::from_le_bytes(b)
    };
    let mut a = sp + 8 + 8 * (word(sp) + 1);
    while word(a) != 0 {
        a += 8;
    }
    a += 8;
    let mut found = std::collections::BTreeMap::new();
    loop {
        let (k, v) = (word(a), word(a + 8));
        found.insert(k, v);
        if k == 0 {
            return found;
        }
        a += 16;
    }
}

#[test]
fn dynamic_programs_start_in_their_interpreter() {
    let interp = tiny_elf(ET_DYN, 0, &[0x13, 0, 0, 0]);
    let prog = dynamic_elf(ET_DYN, 0, b"/lib/ld.so");
    let mut mem = space();
    let files: [(&[u8], Vec<u8>); 1] = [(b"/lib/ld.so", interp)];
    let s = load_with(&prog, &mut mem, &[b"p".to_vec()], &[], [1; 16], &files).unwrap();
    assert_eq!(s.pc, INTERP_BASE_64 + 120);
    let aux = auxv_of(&mem, s.sp);
    assert_eq!(aux[&auxv::AT_BASE], INTERP_BASE_64);
    assert_eq!(aux[&auxv::AT_ENTRY], PIE_BASE_64 + 176);
    assert_eq!(aux[&auxv::AT_PHDR], PIE_BASE_64 + 64);
    assert_eq!(aux[&auxv::AT_PHNUM], 2);
    assert_eq!(aux[&auxv::AT_HWCAP], 0x1105);
    assert_eq!(mem.read_cstr(aux[&auxv::AT_PLATFORM], 16).unwrap(), b"plat");
    assert_eq!(mem.read_cstr(aux[&auxv::AT_EXECFN], 16).unwrap(), b"/bin/prog");
    let mut mem = space();
    let missing = load_with(&prog, &mut mem, &[], &[], [0; 16], &[]);
    assert!(matches!(missing, Err(LoadError::Interp { .. })), "{missing:?}");
}

#[test]
fn loads_exec_and_builds_stack() {
    let elf = tiny_elf(ET_EXEC, 0x10000, &[0x13, 0, 0, 0]);
    let mut mem = space();
    let argv = vec![b"prog".to_vec(), b"arg1".to_vec()];
    let envp = vec![b"K=V".to_vec()];
    let s = ld(&elf, &mut mem, &argv, &envp, [7; 16]).unwrap();
    assert_eq!(s.pc, 0x10000 + 120);
    assert_eq!(s.sp % 16, 0);
    let word = |a: u64| {
        let mut b = [0u8; 8];
        mem.read_debug(a, &mut b).unwrap();
        u64::from_le_bytes(b)
    };
    assert_eq!(word(s.sp), 2);
    assert_eq!(mem.read_cstr(word(s.sp + 8), 64).unwrap(), b"prog");
    assert_eq!(mem.read_cstr(word(s.sp + 16), 64).unwrap(), b"arg1");
    assert_eq!(word(s.sp + 24), 0);
    assert_eq!(mem.read_cstr(word(s.sp + 32), 64).unwrap(), b"K=V");
    assert_eq!(word(s.sp + 40), 0);
    // auxv follows; find AT_RANDOM and AT_PHDR.
    let mut a = s.sp + 48;
    let mut found = std::collections::BTreeMap::new();
    loop {
        let (k, v) = (word(a), word(a + 8));
        found.insert(k, v);
        if k == 0 {
            break;
        }
        a += 16;
    }
    let mut rnd = [0u8; 16];
    mem.read_debug(found[&auxv::AT_RANDOM], &mut rnd).unwrap();
    assert_eq!(rnd, [7; 16]);
    assert_eq!(found[&auxv::AT_PHDR], 0x10000 + 64);
    assert_eq!(found[&auxv::AT_PAGESZ], 4096);
    assert_eq!(mem.perms(0x10000), Some(Perms::RX));
    // bss beyond the file is mapped and zero.
    assert!(mem.is_mapped(0x10000 + 120 + 4 + 0x1000));
    assert!(s.brk >= 0x10000 + 120 + 4 + 0x2000);
}

/// An ELF64 riscv64 image of three segments over a file of nonzero
/// bytes: text from offset 0 at 0x10000 (0x1234 bytes); data at 0x11f00
/// from offset 0x1f00 (0x300 bytes, 0x2000 in memory), on a page the
/// text's last page shares; and 0x100 bytes at 0x14780 from 0x2780, in
/// the middle of a page of its own. More file bytes follow them all.
fn two_segment_elf() -> Vec<u8> {
    let mut f: Vec<u8> = (0..0x2a00u32).map(|i| (i % 251) as u8 + 1).collect();
    f[..64].fill(0);
    f[..4].copy_from_slice(b"\x7fELF");
    f[4] = 2;
    f[5] = 1;
    f[6] = 1;
    f[16..18].copy_from_slice(&2u16.to_le_bytes());
    f[18..20].copy_from_slice(&243u16.to_le_bytes());
    f[24..32].copy_from_slice(&0x10100u64.to_le_bytes());
    f[32..40].copy_from_slice(&64u64.to_le_bytes());
    f[52..54].copy_from_slice(&64u16.to_le_bytes());
    f[54..56].copy_from_slice(&56u16.to_le_bytes());
    f[56..58].copy_from_slice(&3u16.to_le_bytes());
    let segs = [
        (5u32, 0u64, 0x10000u64, 0x1234u64, 0x1234u64),
        (6, 0x1f00, 0x11f00, 0x300, 0x2000),
        (4, 0x2780, 0x14780, 0x100, 0x100),
    ];
    for (i, (flags, offset, vaddr, filesz, memsz)) in segs.into_iter().enumerate() {
        let ph = 64 + 56 * i;
        f[ph..ph + 56].fill(0);
        f[ph..ph + 4].copy_from_slice(&1u32.to_le_bytes());
        f[ph + 4..ph + 8].copy_from_slice(&flags.to_le_bytes());
        f[ph + 8..ph + 16].copy_from_slice(&offset.to_le_bytes());
        f[ph + 16..ph + 24].copy_from_slice(&vaddr.to_le_bytes());
        f[ph + 32..ph + 40].copy_from_slice(&filesz.to_le_bytes());
        f[ph + 40..ph + 48].copy_from_slice(&memsz.to_le_bytes());
    }
    f
}

#[test]
fn segments_mapped_from_file_pages_read_as_a_copy_does() {
    let elf = two_segment_elf();
    let img = parse(&elf, Arch::Riscv64).unwrap();
    let image = |pages: Option<&Arc<FilePages>>| {
        let mut mem = space();
        map_image(&img, &elf, pages, &mut mem, 0, &FileId::default()).unwrap();
        let mut bytes = vec![0u8; 0x5000];
        mem.read_debug(0x10000, &mut bytes).unwrap();
        bytes
    };
    let copied = image(None);
    assert_eq!(copied[0x1f00..0x2200], elf[0x1f00..0x2200]);
    assert!(copied[0x2200..0x4780].iter().all(|&b| b == 0), "bss and the rest of its page");
    assert_eq!(copied[0x4780..0x4880], elf[0x2780..0x2880]);
    assert!(copied[0x4880..].iter().all(|&b| b == 0), "after the last segment");
    let pages = Arc::new(FilePages::new(&elf).unwrap());
    assert!(copied == image(Some(&pages)), "the file-mapped image differs from the copy");
    // The text's first page comes from the pages, not the bytes given.
    let mut other = elf.clone();
    other[0x800] ^= 0xff;
    let marked = image(Some(&Arc::new(FilePages::new(&other).unwrap())));
    assert_eq!(marked[0x800], other[0x800], "the page is the file's");
}

#[test]
fn static_pie_gets_a_bias() {
    let elf = tiny_elf(ET_DYN, 0, &[0x13, 0, 0, 0]);
    let mut mem = space();
    let s = ld(&elf, &mut mem, &[b"p".to_vec()], &[], [0; 16]).unwrap();
    assert_eq!(s.pc, PIE_BASE_64 + 120);
}

#[test]
fn rejects_bad_input_with_clear_errors() {
    let good = tiny_elf(ET_EXEC, 0x10000, &[0; 4]);
    assert_eq!(parse(b"hello", Arch::Riscv64), Err(LoadError::BadMagic));
    assert_eq!(parse(&good[..10], Arch::Riscv64), Err(LoadError::Truncated("e_ident")));
    assert!(matches!(parse(&good[..40], Arch::Riscv64), Err(LoadError::Truncated(_))));
    assert!(matches!(parse(&good, Arch::Aarch64), Err(LoadError::WrongMachine { .. })));
    assert!(matches!(parse(&good, Arch::Mipsel), Err(LoadError::WrongClass { .. })));
    assert!(matches!(parse(&good, Arch::Powerpc64), Err(LoadError::WrongEndian { .. })));
    let mut dynamic = good.clone();
    dynamic[64..68].copy_from_slice(&PT_INTERP.to_le_bytes());
    dynamic[64 + 32..64 + 40].copy_from_slice(&0x10_0000u64.to_le_bytes());
    assert!(matches!(parse(&dynamic, Arch::Riscv64), Err(LoadError::BadInterp(_))));
    let mut beyond = good.clone();
    beyond[64 + 32..64 + 40].copy_from_slice(&0x10_0000u64.to_le_bytes());
    beyond[64 + 40..64 + 48].copy_from_slice(&0x10_0000u64.to_le_bytes());
    assert!(matches!(parse(&beyond, Arch::Riscv64), Err(LoadError::BadSegment { .. })));
    let mut core = good.clone();
    core[16] = 4;
    assert_eq!(parse(&core, Arch::Riscv64), Err(LoadError::UnsupportedType(4)));
    let mut high = good;
    high[64 + 16..64 + 24].copy_from_slice(&0xffff_ffff_ffff_f000u64.to_le_bytes());
    let mut mem = space();
    assert!(ld(&high, &mut mem, &[], &[], [0; 16]).is_err());
}

#[test]
fn random_headers_never_panic() {
    let base = tiny_elf(ET_EXEC, 0x10000, &[0x13, 0, 0, 0]);
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..3000 {
        let mut f = base.clone();
        let flips = 1 + next() % 6;
        for _ in 0..flips {
            let i = (next() % f.len() as u64) as usize;
            f[i] = next() as u8;
        }
        if next() % 4 == 0 {
            let n = (next() % f.len() as u64) as usize;
            f.truncate(n);
        }
        let mut mem = space();
        let _ = ld(&f, &mut mem, &[b"x".to_vec()], &[], [0; 16]);
    }
    for _ in 0..500 {
        let n = (next() % 200) as usize;
        let f: Vec<u8> = (0..n).map(|_| next() as u8).collect();
        let mut mem = space();
        let _ = ld(&f, &mut mem, &[], &[], [0; 16]);
    }
}
