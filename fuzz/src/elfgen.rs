//! A minimal ELF writer: an `ET_EXEC` with `PT_LOAD` segments (and
//! optionally a `PT_INTERP`), for any arch's class and byte order. The
//! ELF target starts from its output; the system-call target wraps its
//! generated guest code in it.

use bohr_emu::arch::Arch;
use bohr_emu::ir::Endian;

/// One loadable segment: address, file bytes, size in memory, `p_flags`
/// (4 read, 2 write, 1 execute).
pub struct Load {
    pub vaddr: u64,
    pub bytes: Vec<u8>,
    pub memsz: u64,
    pub flags: u32,
}

struct Out {
    buf: Vec<u8>,
    big: bool,
    wide: bool,
}

impl Out {
    fn int(&mut self, v: u64, size: usize) {
        let b = v.to_le_bytes();
        if self.big {
            self.buf.extend(b[..size].iter().rev());
        } else {
            self.buf.extend(&b[..size]);
        }
    }
    /// An address-sized field.
    fn addr(&mut self, v: u64) {
        self.int(v, if self.wide { 8 } else { 4 });
    }
}

/// The ELF file for `arch` with `entry` and `loads`, and `interp` as its
/// `PT_INTERP` when given.
pub fn elf(arch: Arch, entry: u64, loads: &[Load], interp: Option<&[u8]>) -> Vec<u8> {
    let wide = arch.is_64bit();
    let big = arch.endian() == Endian::Big;
    let (ehsize, phentsize) = if wide { (64u64, 56u64) } else { (52, 32) };
    let phnum = loads.len() as u64 + interp.is_some() as u64;
    let mut o = Out { buf: Vec::new(), big, wide };
    o.buf.extend(b"\x7fELF");
    o.buf.extend([if wide { 2 } else { 1 }, if big { 2 } else { 1 }, 1, 0]);
    o.buf.extend([0; 8]);
    o.int(2, 2); // ET_EXEC
    o.int(arch.elf_machine() as u64, 2);
    o.int(1, 4);
    o.addr(entry);
    o.addr(ehsize); // e_phoff
    o.addr(0); // e_shoff
    // e_flags: ARM EABI version 5; mips o32 (32-bit, no PIC).
    let flags = match arch {
        Arch::Armel => 0x0500_0000,
        Arch::Mipsel | Arch::Mipseb => 0x5000_1000,
        Arch::Powerpc64 => 1,
        _ => 0,
    };
    o.int(flags, 4);
    o.int(ehsize, 2);
    o.int(phentsize, 2);
    o.int(phnum, 2);
    o.int(if wide { 64 } else { 40 }, 2); // e_shentsize
    o.int(0, 2);
    o.int(0, 2);
    let mut offset = ehsize + phentsize * phnum;
    let interp_at = offset;
    if let Some(i) = interp {
        offset += i.len() as u64 + 1;
    }
    let mut offsets = Vec::new();
    for l in loads {
        // Keep file offsets congruent to addresses modulo the page size.
        let page = 4096;
        offset += (l.vaddr.wrapping_sub(offset)) % page;
        offsets.push(offset);
        offset += l.bytes.len() as u64;
    }
    let phdr =
        |o: &mut Out, kind: u64, flags: u64, off: u64, vaddr: u64, filesz: u64, memsz: u64| {
            o.int(kind, 4);
            if wide {
                o.int(flags, 4);
            }
            o.addr(off);
            o.addr(vaddr);
            o.addr(vaddr);
            o.addr(filesz);
            o.addr(memsz);
            if !wide {
                o.int(flags, 4);
            }
            o.addr(if kind == 1 { 4096 } else { 1 });
        };
    if let Some(i) = interp {
        phdr(&mut o, 3, 4, interp_at, 0, i.len() as u64 + 1, i.len() as u64 + 1);
    }
    for (l, &off) in loads.iter().zip(&offsets) {
        phdr(&mut o, 1, l.flags as u64, off, l.vaddr, l.bytes.len() as u64, l.memsz);
    }
    if let Some(i) = interp {
        o.buf.extend(i);
        o.buf.push(0);
    }
    for (l, &off) in loads.iter().zip(&offsets) {
        o.buf.resize(off as usize, 0);
        o.buf.extend(&l.bytes);
    }
    o.buf
}
