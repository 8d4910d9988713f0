//! ELF loading: maps an `ET_EXEC` or `ET_DYN` (PIE) image, and the ELF
//! interpreter its `PT_INTERP` names, into an address space and builds the
//! Linux initial stack (argc, argv, envp, auxv).
//!
//! Fixed bases keep every run alike: a PIE loads at [`PIE_BASE_64`] or
//! [`PIE_BASE_32`], the interpreter at [`INTERP_BASE_64`] or
//! [`INTERP_BASE_32`]. The caller reads the interpreter's file (from the
//! guest's file system) through a callback.
//!
//! A segment's pages map the file's own pages copy-on-write when the
//! caller has them (`mem::FilePages`, for a file that never changes) and
//! the segment's file offset lines up with its address, as Linux maps
//! them: no copy, and pages the process never touches cost nothing. The
//! bytes outside the segment's file bytes on its first and last page are
//! then written zero, so the memory is the same as a copy would give.
//!
//! Talks to `mem` (mapping, host writes) and `arch` (which ELF machine,
//! byte order and word size to expect). Every header field is checked
//! before use: malformed input is an error, never a panic.

use std::sync::Arc;

use crate::arch::Arch;
use crate::mem::{
    AddressSpace, Backing, FilePages, MapError, MemFault, PAGE_MASK, PAGE_SIZE, Perms,
};

/// The file an image was read from, for the names of its mappings in
/// `/proc/<pid>/maps`: its resolved guest path, device and inode.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileId {
    pub path: Vec<u8>,
    pub dev: u64,
    pub ino: u64,
}

/// Why an image could not be loaded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LoadError {
    #[error("not an ELF file (bad magic)")]
    BadMagic,
    #[error("truncated ELF: {0}")]
    Truncated(&'static str),
    #[error("wrong ELF class: {arch} needs {want}-bit, file is {got}")]
    WrongClass { arch: Arch, want: u32, got: String },
    #[error("wrong byte order for {arch}: file is {got}")]
    WrongEndian { arch: Arch, got: &'static str },
    #[error("wrong machine: {arch} needs e_machine {want}, file has {got}")]
    WrongMachine { arch: Arch, want: u16, got: u16 },
    #[error("unsupported ELF type {0} (only ET_EXEC and ET_DYN)")]
    UnsupportedType(u16),
    #[error("bad PT_INTERP: {0}")]
    BadInterp(String),
    #[error("cannot read the ELF interpreter {path}: {why}")]
    Interp { path: String, why: String },
    /// `why` names the program header (or loadable segment) itself.
    #[error("bad {why}")]
    BadSegment { index: usize, why: String },
    #[error("no loadable segment")]
    NoSegments,
    /// mips program and interpreter FP ABIs that leave no FPU mode
    /// (Linux's `ELIBBAD`).
    #[error("{0}")]
    FpAbi(#[from] crate::arch::mips::fpmode::FpAbiError),
    #[error("ELFv1 entry descriptor at {0:#x} is not readable")]
    BadDescriptor(u64),
    #[error("cannot map image: {0}")]
    Map(#[from] MapError),
    #[error("initial stack does not fit: {0}")]
    Stack(#[from] MemFault),
}

const PT_LOAD: u32 = 1;
const PT_INTERP: u32 = 3;
/// `.MIPS.abiflags` (`struct mips_elf_abiflags_v0`, 24 bytes; `fp_abi`
/// at byte 7).
const PT_MIPS_ABIFLAGS: u32 = 0x7000_0003;
const MIPS_ABIFLAGS_SIZE: u64 = 24;
/// The processor-specific program header types.
const PT_LOPROC: u32 = 0x7000_0000;
const PT_HIPROC: u32 = 0x7fff_ffff;
const PT_PHDR: u32 = 6;
const PT_GNU_STACK: u32 = 0x6474_e551;
const ET_EXEC: u16 = 2;
const ET_DYN: u16 = 3;

/// Load bias of position-independent executables, per word size.
pub const PIE_BASE_64: u64 = 0x5555_5555_4000 & 0x3f_ffff_f000;
pub const PIE_BASE_32: u64 = 0x0040_0000;
/// Load bias of the ELF interpreter (`ld.so`), per word size: where
/// `mmap` starts handing out memory downwards, with room above for the
/// largest loader (glibc's aarch64 `ld.so` spans 200 KiB) before the
/// kernel's signal trampoline and portal pages.
pub const INTERP_BASE_64: u64 = 0x3f_f000_0000;
pub const INTERP_BASE_32: u64 = 0x7700_0000;

/// Little helper reading ELF fields in the file's byte order and class.
struct Reader<'a> {
    data: &'a [u8],
    big: bool,
    wide: bool,
}

impl Reader<'_> {
    fn bytes<const N: usize>(&self, off: u64, what: &'static str) -> Result<[u8; N], LoadError> {
        let off = usize::try_from(off).map_err(|_| LoadError::Truncated(what))?;
        let end = off.checked_add(N).ok_or(LoadError::Truncated(what))?;
        let s = self.data.get(off..end).ok_or(LoadError::Truncated(what))?;
        Ok(s.try_into().expect("slice has length N"))
    }
    fn u16(&self, off: u64, what: &'static str) -> Result<u16, LoadError> {
        let b = self.bytes::<2>(off, what)?;
        Ok(if self.big { u16::from_be_bytes(b) } else { u16::from_le_bytes(b) })
    }
    fn u32(&self, off: u64, what: &'static str) -> Result<u32, LoadError> {
        let b = self.bytes::<4>(off, what)?;
        Ok(if self.big { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) })
    }
    fn u64(&self, off: u64, what: &'static str) -> Result<u64, LoadError> {
        let b = self.bytes::<8>(off, what)?;
        Ok(if self.big { u64::from_be_bytes(b) } else { u64::from_le_bytes(b) })
    }
    /// A word: 8 bytes in ELF64, 4 in ELF32.
    fn word(&self, off: u64, what: &'static str) -> Result<u64, LoadError> {
        if self.wide { self.u64(off, what) } else { self.u32(off, what).map(u64::from) }
    }
}

/// One `PT_LOAD` segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    pub vaddr: u64,
    pub memsz: u64,
    pub offset: u64,
    pub filesz: u64,
    pub perms: Perms,
}

/// A parsed, validated ELF image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElfImage {
    pub arch: Arch,
    pub entry: u64,
    pub is_pie: bool,
    pub phoff: u64,
    pub phentsize: u16,
    pub phnum: u16,
    pub phdr_vaddr: Option<u64>,
    pub segments: Vec<Segment>,
    /// The interpreter `PT_INTERP` names, without its NUL.
    pub interp: Option<Vec<u8>>,
    /// `PT_GNU_STACK` asks for an executable stack (`PF_X`). Without the
    /// header the stack is not executable, as on Linux's 64-bit arches.
    pub exec_stack: bool,
    /// mips: the FP ABI, from `.MIPS.abiflags` (or the old 64-bit ABI
    /// that `EF_MIPS_FP64` means), as Linux's `arch_elf_pt_proc` reads
    /// it; `None` without one.
    pub mips_fp_abi: Option<u8>,
}

/// Parse and validate an ELF file for `arch`.
pub fn parse(data: &[u8], arch: Arch) -> Result<ElfImage, LoadError> {
    if data.len() < 16 || &data[..4] != b"\x7fELF" {
        return Err(if data.len() >= 4 && &data[..4] == b"\x7fELF" {
            LoadError::Truncated("e_ident")
        } else {
            LoadError::BadMagic
        });
    }
    let wide = match data[4] {
        1 => false,
        2 => true,
        c => {
            return Err(LoadError::WrongClass {
                arch,
                want: if arch.is_64bit() { 64 } else { 32 },
                got: format!("class {c}"),
            });
        }
    };
    if wide != arch.is_64bit() {
        return Err(LoadError::WrongClass {
            arch,
            want: if arch.is_64bit() { 64 } else { 32 },
            got: if wide { "64-bit".into() } else { "32-bit".into() },
        });
    }
    let big = match data[5] {
        1 => false,
        2 => true,
        _ => {
            return Err(LoadError::WrongEndian { arch, got: "of unknown order" });
        }
    };
    let want_big = arch.endian() == crate::ir::Endian::Big;
    if big != want_big {
        return Err(LoadError::WrongEndian {
            arch,
            got: if big { "big-endian" } else { "little-endian" },
        });
    }
    let r = Reader { data, big, wide };
    let e_type = r.u16(16, "e_type")?;
    let machine = r.u16(18, "e_machine")?;
    if machine != arch.elf_machine() {
        return Err(LoadError::WrongMachine { arch, want: arch.elf_machine(), got: machine });
    }
    let is_pie = match e_type {
        ET_EXEC => false,
        ET_DYN => true,
        t => return Err(LoadError::UnsupportedType(t)),
    };
    let (entry, phoff, phentsize, phnum) = if wide {
        (
            r.u64(24, "e_entry")?,
            r.u64(32, "e_phoff")?,
            r.u16(54, "e_phentsize")?,
            r.u16(56, "e_phnum")?,
        )
    } else {
        (
            r.u32(24, "e_entry")? as u64,
            r.u32(28, "e_phoff")? as u64,
            r.u16(42, "e_phentsize")?,
            r.u16(44, "e_phnum")?,
        )
    };
    let want_phent = if wide { 56 } else { 32 };
    if phnum == 0 {
        return Err(LoadError::NoSegments);
    }
    if phentsize != want_phent {
        return Err(LoadError::BadSegment {
            index: 0,
            why: format!("program header table: e_phentsize {phentsize}, expected {want_phent}"),
        });
    }
    // PN_XNUM: the real count lives in section header 0 (extended
    // numbering); reading 0xffff headers would misreport whatever follows.
    if phnum == 0xffff {
        return Err(LoadError::BadSegment {
            index: 0,
            why: "program header table: e_phnum is PN_XNUM (0xffff), extended numbering, \
                  which is not supported"
                .into(),
        });
    }
    let mut segments = Vec::new();
    let mut phdr_vaddr = None;
    let mut interp = None;
    let mut exec_stack = false;
    let mut mips_fp_abi = None;
    let is_mips = matches!(arch, Arch::Mipsel | Arch::Mipseb);
    let e_flags = if wide { r.u32(48, "e_flags")? } else { r.u32(36, "e_flags")? };
    for i in 0..phnum as u64 {
        let base = phoff
            .checked_add(i * phentsize as u64)
            .ok_or(LoadError::Truncated("program headers"))?;
        let p_type = r.u32(base, "p_type")?;
        let (flags, offset, vaddr, filesz, memsz) = if wide {
            (
                r.u32(base + 4, "p_flags")?,
                r.u64(base + 8, "p_offset")?,
                r.u64(base + 16, "p_vaddr")?,
                r.u64(base + 32, "p_filesz")?,
                r.u64(base + 40, "p_memsz")?,
            )
        } else {
            (
                r.u32(base + 24, "p_flags")?,
                r.word(base + 4, "p_offset")?,
                r.word(base + 8, "p_vaddr")?,
                r.word(base + 16, "p_filesz")?,
                r.word(base + 20, "p_memsz")?,
            )
        };
        match p_type {
            PT_INTERP => {
                let bad = |why: &str| LoadError::BadInterp(why.to_string());
                let end = offset.checked_add(filesz).ok_or_else(|| bad("offset overflows"))?;
                let raw = usize::try_from(offset)
                    .ok()
                    .zip(usize::try_from(end).ok())
                    .and_then(|(a, b)| data.get(a..b))
                    .ok_or_else(|| bad("beyond the end of the file"))?;
                let path = raw.split(|&b| b == 0).next().unwrap_or_default();
                if path.is_empty() || path.len() > 4096 {
                    return Err(bad("empty or too long"));
                }
                interp = Some(path.to_vec());
            }
            PT_PHDR => phdr_vaddr = Some(vaddr),
            PT_LOPROC..=PT_HIPROC if is_mips => {
                // Linux looks at every processor-specific header in turn:
                // each says the old 64-bit ABI if the flags do, and the
                // abiflags header then says what its `fp_abi` says.
                use crate::arch::mips::fpmode::{EF_MIPS_FP64, FP_ABI_OLD_64};
                if e_flags & EF_MIPS_FP64 != 0 {
                    mips_fp_abi = Some(FP_ABI_OLD_64);
                }
                if p_type == PT_MIPS_ABIFLAGS {
                    let fp_abi = offset
                        .checked_add(7)
                        .filter(|_| filesz >= MIPS_ABIFLAGS_SIZE)
                        .and_then(|o| data.get(usize::try_from(o).ok()?))
                        .copied()
                        .ok_or(LoadError::Truncated(".MIPS.abiflags"))?;
                    mips_fp_abi = Some(fp_abi);
                }
            }
            PT_GNU_STACK => exec_stack = flags & 1 != 0,
            PT_LOAD => {
                let bad = |why: String| LoadError::BadSegment {
                    index: i as usize,
                    why: format!("program header {i}: {why}"),
                };
                if filesz > memsz {
                    return Err(bad(format!("p_filesz {filesz:#x} > p_memsz {memsz:#x}")));
                }
                let file_end =
                    offset.checked_add(filesz).ok_or_else(|| bad("offset overflows".into()))?;
                if file_end > data.len() as u64 {
                    return Err(bad(format!(
                        "file range {offset:#x}..{file_end:#x} beyond file size {:#x}",
                        data.len()
                    )));
                }
                vaddr.checked_add(memsz).ok_or_else(|| bad("address overflows".into()))?;
                // PF_X = 1, PF_W = 2, PF_R = 4.
                let mut perms = Perms::NONE;
                if flags & 4 != 0 {
                    perms = perms.union(Perms::R);
                }
                if flags & 2 != 0 {
                    perms = perms.union(Perms::W);
                }
                if flags & 1 != 0 {
                    perms = perms.union(Perms::X);
                }
                if memsz > 0 {
                    segments.push(Segment { vaddr, memsz, offset, filesz, perms });
                }
            }
            _ => {}
        }
    }
    if segments.is_empty() {
        return Err(LoadError::NoSegments);
    }
    Ok(ElfImage {
        arch,
        entry,
        is_pie,
        phoff,
        phentsize,
        phnum,
        phdr_vaddr,
        segments,
        interp,
        exec_stack,
        mips_fp_abi,
    })
}

/// Where a loaded image ended up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Loaded {
    /// Load bias (0 for `ET_EXEC`).
    pub bias: u64,
    /// `e_entry` plus bias (for ppc64 ELFv1, the descriptor's address).
    pub entry: u64,
    /// In-memory address of the program headers.
    pub phdr: u64,
    /// End of the highest segment: the initial program break.
    pub end: u64,
}

/// Map the image's segments into `mem`, a PIE at `pie_base`. The pages
/// that hold file bytes map `file` (as Linux maps the file itself); the
/// zero pages of a `.bss` beyond them are anonymous.
pub fn map_image(
    img: &ElfImage,
    data: &[u8],
    pages: Option<&Arc<FilePages>>,
    mem: &mut AddressSpace,
    pie_base: u64,
    file: &FileId,
) -> Result<Loaded, LoadError> {
    let bias = if img.is_pie { pie_base } else { 0 };
    let path: Arc<[u8]> = file.path.as_slice().into();
    let user_end = mem.layout().user_end;
    let mut end = 0u64;
    for (index, s) in img.segments.iter().enumerate() {
        let start = s.vaddr.wrapping_add(bias);
        let seg_end = start.checked_add(s.memsz).filter(|&e| e <= user_end).ok_or_else(|| {
            LoadError::BadSegment {
                index,
                why: format!(
                    "loadable segment {index} (PT_LOAD number {index}, counting from 0): \
                     {start:#x}+{:#x} outside user space",
                    s.memsz
                ),
            }
        })?;
        let page_start = start & PAGE_MASK;
        let page_end = (seg_end + PAGE_SIZE - 1) & PAGE_MASK;
        // Pages shared with an earlier segment get the union of both
        // permissions; the rest of the range is mapped in one go.
        let mut first = page_start;
        let mut last = page_end;
        for pn in [page_start, page_end - PAGE_SIZE] {
            if let Some(p) = mem.perms(pn) {
                mem.protect(pn, PAGE_SIZE, p.union(s.perms))?;
                if pn == first {
                    first += PAGE_SIZE;
                }
                if pn + PAGE_SIZE == last && last > first {
                    last -= PAGE_SIZE;
                }
            }
        }
        // Pages up to the end of the file bytes map the file, at the
        // offset of the segment's first page; the rest is anonymous.
        let file_end = ((start + s.filesz + PAGE_SIZE - 1) & PAGE_MASK).clamp(first, last);
        if file_end > first {
            let backing = Backing::File {
                path: path.clone(),
                offset: (s.offset & PAGE_MASK) + (first - page_start),
                dev: file.dev,
                ino: file.ino,
                shared: false,
            };
            mem.map_backed(first, file_end - first, s.perms, backing)?;
        }
        if last > file_end {
            mem.map_fixed(file_end, last - file_end, s.perms)?;
        }
        let bytes = &data[s.offset as usize..(s.offset + s.filesz) as usize];
        let file_offset = (s.offset & PAGE_MASK) + (first - page_start);
        let aligned = s.offset % PAGE_SIZE == start % PAGE_SIZE;
        let mapped = s.filesz > 0
            && file_end > first
            && aligned
            && pages.is_some_and(|p| {
                mem.map_file_pages(first, file_end - first, p, file_offset).is_ok()
            });
        if mapped {
            // The file's pages hold other bytes around the segment's:
            // zeros there, as a copy into fresh pages leaves. Pages shared
            // with an earlier segment were not remapped: their part of the
            // bytes is copied as before.
            let file_bytes_end = start + s.filesz;
            let zero = |mem: &mut AddressSpace, from: u64, to: u64| {
                let zeros = vec![0u8; to.saturating_sub(from) as usize];
                mem.write_debug(from, &zeros)
            };
            zero(mem, first, start.max(first).min(file_end)).map_err(LoadError::Stack)?;
            zero(mem, file_bytes_end.max(first), file_end).map_err(LoadError::Stack)?;
            if start < first {
                let n = (first.min(file_bytes_end) - start) as usize;
                mem.write_debug(start, &bytes[..n]).map_err(LoadError::Stack)?;
            }
            if file_bytes_end > file_end {
                let from = file_end.max(start);
                mem.write_debug(from, &bytes[(from - start) as usize..])
                    .map_err(LoadError::Stack)?;
            }
        } else {
            mem.write_debug(start, bytes).map_err(LoadError::Stack)?;
        }
        end = end.max(seg_end);
    }
    let phdr = match img.phdr_vaddr {
        Some(v) => v.wrapping_add(bias),
        None => img
            .segments
            .iter()
            .find(|s| s.offset <= img.phoff && img.phoff < s.offset + s.filesz)
            .map(|s| s.vaddr.wrapping_add(bias) + (img.phoff - s.offset))
            .unwrap_or(0),
    };
    Ok(Loaded { bias, entry: img.entry.wrapping_add(bias), phdr, end })
}

/// Auxiliary vector keys.
pub mod auxv {
    pub const AT_NULL: u64 = 0;
    pub const AT_PHDR: u64 = 3;
    pub const AT_PHENT: u64 = 4;
    pub const AT_PHNUM: u64 = 5;
    pub const AT_PAGESZ: u64 = 6;
    pub const AT_BASE: u64 = 7;
    pub const AT_FLAGS: u64 = 8;
    pub const AT_ENTRY: u64 = 9;
    pub const AT_UID: u64 = 11;
    pub const AT_EUID: u64 = 12;
    pub const AT_GID: u64 = 13;
    pub const AT_EGID: u64 = 14;
    pub const AT_PLATFORM: u64 = 15;
    pub const AT_HWCAP: u64 = 16;
    pub const AT_HWCAP2: u64 = 26;
    pub const AT_CLKTCK: u64 = 17;
    pub const AT_SECURE: u64 = 23;
    pub const AT_RANDOM: u64 = 25;
    pub const AT_EXECFN: u64 = 31;
    /// powerpc: data, instruction and unified cache block sizes.
    pub const AT_DCACHEBSIZE: u64 = 19;
    pub const AT_ICACHEBSIZE: u64 = 20;
    pub const AT_UCACHEBSIZE: u64 = 21;
    /// powerpc: a placeholder old glibc skips.
    pub const AT_IGNOREPPC: u64 = 22;
}

/// Everything a process needs to start after loading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StartInfo {
    /// Initial stack pointer (points at argc).
    pub sp: u64,
    /// First instruction.
    pub pc: u64,
    /// ppc64 ELFv1 TOC pointer.
    pub toc: Option<u64>,
    /// Initial program break.
    pub brk: u64,
    /// The execution mode to start in (see `arch::Frontend::mode`): the
    /// FPU mode Linux picks for a mips program and its interpreter.
    pub mode: u32,
}

/// A file read to load: its bytes, identity and, when it never changes,
/// its file pages.
pub type ImageFile = (FileBytes, FileId, Option<Arc<FilePages>>);

/// The whole contents of a file: read into memory, or the bytes of an
/// image's file, which never change, shared rather than copied (every
/// `execve` read the program and its interpreter into zeroed buffers,
/// 1.6 MiB for busybox, where the loader maps their pages anyway).
#[derive(Clone)]
pub enum FileBytes {
    Read(Vec<u8>),
    Image(bohr_rootfs::FileData),
}

impl std::ops::Deref for FileBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Read(v) => v,
            FileBytes::Image(d) => d,
        }
    }
}

/// Reads the interpreter's file by guest path.
pub type ReadFile<'a> = &'a mut dyn FnMut(&[u8]) -> Result<ImageFile, String>;

/// What the auxiliary vector tells the program about the machine.
#[derive(Clone, Copy, Debug)]
pub struct AuxInfo<'a> {
    pub hwcap: u64,
    pub hwcap2: u64,
    pub platform: Option<&'a str>,
    /// Entries that come before the common ones (powerpc's cache sizes).
    pub arch_auxv: &'a [(u64, u64)],
    /// `AT_RANDOM`'s 16 bytes (derive them from the cell seed).
    pub random: [u8; 16],
    /// `AT_EXECFN`: the path the program was executed by.
    pub execfn: &'a [u8],
}

/// Load `data` for `arch` into `mem` and build the initial stack. A
/// dynamic executable's interpreter is read through `read_file` and
/// started instead of the program's entry.
#[allow(clippy::too_many_arguments)]
pub fn load(
    data: &[u8],
    file: &FileId,
    pages: Option<&Arc<FilePages>>,
    arch: Arch,
    mem: &mut AddressSpace,
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
    aux: &AuxInfo,
    read_file: ReadFile,
) -> Result<StartInfo, LoadError> {
    let img = parse(data, arch)?;
    let wide = arch.is_64bit();
    let base = if wide { PIE_BASE_64 } else { PIE_BASE_32 };
    let loaded = map_image(&img, data, pages, mem, base, file)?;
    for page in crate::arch::frontend_for(arch).map_or(&[][..], |f| f.fixed_pages()) {
        mem.map_system_page(page.addr, Perms::RX, page.bytes, page.name)?;
    }
    mem.init_brk(loaded.end);
    let mut start_at = loaded.entry;
    let mut interp_base = 0;
    let mut entry_bias = loaded.bias;
    let mut interp_fp_abi = None;
    if let Some(path) = &img.interp {
        let name = String::from_utf8_lossy(path).into_owned();
        let (idata, ifile, ipages) =
            read_file(path).map_err(|why| LoadError::Interp { path: name.clone(), why })?;
        let iimg = parse(&idata, arch)
            .map_err(|e| LoadError::Interp { path: name.clone(), why: e.to_string() })?;
        if iimg.interp.is_some() {
            return Err(LoadError::Interp { path: name, why: "it has a PT_INTERP itself".into() });
        }
        let ibase = if wide { INTERP_BASE_64 } else { INTERP_BASE_32 };
        let iloaded = map_image(&iimg, &idata, ipages.as_ref(), mem, ibase, &ifile)?;
        interp_base = iloaded.bias;
        interp_fp_abi = iimg.mips_fp_abi;
        start_at = iloaded.entry;
        entry_bias = iloaded.bias;
    }
    let (pc, toc) = if arch == Arch::Powerpc64 {
        // ELFv1: e_entry is a function descriptor {entry, toc, env}.
        let mut d = [0u8; 16];
        mem.read_debug(start_at, &mut d).map_err(|_| LoadError::BadDescriptor(start_at))?;
        let entry = u64::from_be_bytes(d[..8].try_into().expect("8 bytes"));
        let toc = u64::from_be_bytes(d[8..].try_into().expect("8 bytes"));
        // Nothing has relocated the descriptor of a position-independent
        // image yet, so Linux (start_thread) adds the load bias itself.
        (entry.wrapping_add(entry_bias), Some(toc.wrapping_add(entry_bias)))
    } else {
        (start_at, None)
    };
    let mode = if matches!(arch, Arch::Mipsel | Arch::Mipseb) {
        let fpmode = crate::arch::mips::fpmode::exec_mode;
        fpmode(img.mips_fp_abi, interp_fp_abi, img.interp.is_some())?
    } else {
        0
    };
    let sp = build_stack(arch, mem, &img, &loaded, interp_base, argv, envp, aux)?;
    Ok(StartInfo { sp, pc, toc, brk: mem.set_brk(0), mode })
}

#[allow(clippy::too_many_arguments)]
fn build_stack(
    arch: Arch,
    mem: &mut AddressSpace,
    img: &ElfImage,
    loaded: &Loaded,
    interp_base: u64,
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
    aux: &AuxInfo,
) -> Result<u64, LoadError> {
    let layout = *mem.layout();
    let stack_base = layout.stack_top - layout.stack_size;
    // The program's PT_GNU_STACK decides, as Linux's `setup_arg_pages`.
    let perms = if img.exec_stack { Perms::RWX } else { Perms::RW };
    mem.map_backed(stack_base, layout.stack_size, perms, Backing::Stack)?;
    let word = if arch.is_64bit() { 8u64 } else { 4 };
    let big = arch.endian() == crate::ir::Endian::Big;
    let enc = |v: u64| -> Vec<u8> {
        match (word, big) {
            (8, false) => v.to_le_bytes().to_vec(),
            (8, true) => v.to_be_bytes().to_vec(),
            (_, false) => (v as u32).to_le_bytes().to_vec(),
            (_, true) => (v as u32).to_be_bytes().to_vec(),
        }
    };
    // Strings and the random bytes go at the top, as Linux places them.
    let mut sp = layout.stack_top - 16;
    let mut push_bytes =
        |mem: &mut AddressSpace, bytes: &[u8], nul: bool| -> Result<u64, LoadError> {
            let len = bytes.len() as u64 + nul as u64;
            if len > layout.stack_size / 4 || sp - len < stack_base + PAGE_SIZE {
                return Err(LoadError::Stack(MemFault {
                    addr: sp,
                    access: crate::mem::Access::Write,
                    unmapped: true,
                }));
            }
            sp -= len;
            mem.write_debug(sp, bytes)?;
            if nul {
                mem.write_debug(sp + bytes.len() as u64, &[0])?;
            }
            Ok(sp)
        };
    let execfn = push_bytes(mem, aux.execfn, true)?;
    let platform = match aux.platform {
        Some(p) => Some(push_bytes(mem, p.as_bytes(), true)?),
        None => None,
    };
    let mut env_ptrs = Vec::with_capacity(envp.len());
    for e in envp.iter().rev() {
        env_ptrs.push(push_bytes(mem, e, true)?);
    }
    env_ptrs.reverse();
    let mut arg_ptrs = Vec::with_capacity(argv.len());
    for a in argv.iter().rev() {
        arg_ptrs.push(push_bytes(mem, a, true)?);
    }
    arg_ptrs.reverse();
    let random_at = push_bytes(mem, &aux.random, false)?;
    use auxv::*;
    let mut common: Vec<(u64, u64)> = vec![
        (AT_HWCAP, aux.hwcap),
        (AT_PAGESZ, PAGE_SIZE),
        (AT_CLKTCK, 100),
        (AT_PHDR, loaded.phdr),
        (AT_PHENT, img.phentsize as u64),
        (AT_PHNUM, img.phnum as u64),
        (AT_BASE, interp_base),
        (AT_FLAGS, 0),
        (AT_ENTRY, loaded.entry),
        (AT_UID, 0),
        (AT_EUID, 0),
        (AT_GID, 0),
        (AT_EGID, 0),
        (AT_SECURE, 0),
        (AT_RANDOM, random_at),
        (AT_HWCAP2, aux.hwcap2),
        (AT_EXECFN, execfn),
    ];
    if let Some(p) = platform {
        common.push((AT_PLATFORM, p));
    }
    common.push((AT_NULL, 0));
    let arch_aux = aux.arch_auxv;
    let aux = common;
    let mut table: Vec<u8> = Vec::new();
    table.extend(enc(argv.len() as u64));
    for p in &arg_ptrs {
        table.extend(enc(*p));
    }
    table.extend(enc(0));
    for p in &env_ptrs {
        table.extend(enc(*p));
    }
    table.extend(enc(0));
    for &(k, v) in arch_aux.iter().chain(aux.iter()) {
        table.extend(enc(k));
        table.extend(enc(v));
    }
    let start = (sp - table.len() as u64) & !15;
    if start < stack_base + PAGE_SIZE {
        return Err(LoadError::Stack(MemFault {
            addr: start,
            access: crate::mem::Access::Write,
            unmapped: true,
        }));
    }
    mem.write_debug(start, &table)?;
    Ok(start)
}

/// `AT_HWCAP` as each frontend defines it.
#[cfg(test)]
mod tests;
