//! Arch-neutral forms of Linux ABI values and their encoders: open flags,
//! `struct stat`, ioctl requests and `struct mtd_info_user`. The per-arch
//! facts they are encoded with live in `linux::arch`.

use super::arch::{StatLayout, linux_abi};
use crate::arch::Arch;

/// Canonical open flags, decoded from an arch's `O_*` values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenFlags {
    /// 0 read-only, 1 write-only, 2 read-write.
    pub access: u32,
    pub create: bool,
    pub excl: bool,
    pub trunc: bool,
    pub append: bool,
    pub directory: bool,
    pub nonblock: bool,
    pub nofollow: bool,
    pub cloexec: bool,
    /// `O_PATH`: a handle for `*at` calls and `fstat`, no I/O.
    pub path: bool,
}

impl OpenFlags {
    pub fn decode(arch: Arch, raw: u64) -> OpenFlags {
        let b = &linux_abi(arch).open;
        OpenFlags {
            access: (raw & 3) as u32,
            create: raw & b.creat != 0,
            excl: raw & b.excl != 0,
            trunc: raw & b.trunc != 0,
            append: raw & b.append != 0,
            directory: raw & b.directory != 0,
            nonblock: raw & b.nonblock != 0,
            nofollow: raw & b.nofollow != 0,
            cloexec: raw & b.cloexec != 0,
            path: raw & b.path != 0,
        }
    }

    /// The file status flags `F_GETFL` reports, in `arch`'s encoding.
    pub fn encode_status(&self, arch: Arch) -> u64 {
        let b = &linux_abi(arch).open;
        let mut v = self.access as u64 | b.largefile;
        if self.append {
            v |= b.append;
        }
        if self.nonblock {
            v |= b.nonblock;
        }
        v
    }

    pub fn readable(&self) -> bool {
        self.access == 0 || self.access == 2
    }

    pub fn writable(&self) -> bool {
        self.access == 1 || self.access == 2
    }
}

pub const MAP_SHARED: u64 = 0x1;
pub const MAP_PRIVATE: u64 = 0x2;
pub const MAP_FIXED: u64 = 0x10;
pub const MAP_FIXED_NOREPLACE: u64 = 0x100000;

/// `MAP_ANONYMOUS` on `arch`.
pub fn map_anonymous(arch: Arch) -> u64 {
    linux_abi(arch).map_anonymous
}

/// What `fstat` reports, before arch-specific layout.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FileStat {
    pub dev: u64,
    pub ino: u64,
    pub mode: u32,
    pub nlink: u32,
    pub rdev: u64,
    pub size: u64,
    pub blksize: u32,
    /// Virtual-clock seconds for atime/mtime/ctime.
    pub time: u64,
}

pub const S_IFIFO: u32 = 0o010000;
pub const S_IFCHR: u32 = 0o020000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFLNK: u32 = 0o120000;
/// The file-type bits of a mode.
pub const S_IFMT: u32 = 0o170000;

/// Encode `st` as the `struct stat` the arch's `fstat`/`newfstatat` fill in
/// (`struct stat64` for 32-bit arches' `fstat64`).
pub fn encode_stat(arch: Arch, st: &FileStat) -> Vec<u8> {
    let big = arch.endian() == crate::ir::Endian::Big;
    let mut out = Vec::new();
    let mut put = |v: u64, n: usize| {
        let b = v.to_le_bytes();
        if big {
            out.extend(b[..n].iter().rev());
        } else {
            out.extend(&b[..n]);
        }
    };
    let blocks = st.size.div_ceil(512);
    match linux_abi(arch).stat {
        StatLayout::Generic64 => {
            // asm-generic/stat.h
            put(st.dev, 8);
            put(st.ino, 8);
            put(st.mode as u64, 4);
            put(st.nlink as u64, 4);
            put(0, 4); // uid
            put(0, 4); // gid
            put(st.rdev, 8);
            put(0, 8); // __pad1
            put(st.size, 8);
            put(st.blksize as u64, 4);
            put(0, 4); // __pad2
            put(blocks, 8);
            for _ in 0..3 {
                put(st.time, 8);
                put(0, 8);
            }
            put(0, 4);
            put(0, 4);
        }
        StatLayout::Powerpc64 => {
            // arch/powerpc/include/uapi/asm/stat.h, 64-bit
            put(st.dev, 8);
            put(st.ino, 8);
            put(st.nlink as u64, 8);
            put(st.mode as u64, 4);
            put(0, 4); // uid
            put(0, 4); // gid
            put(0, 4); // padding
            put(st.rdev, 8);
            put(st.size, 8);
            put(st.blksize as u64, 8);
            put(blocks, 8);
            for _ in 0..3 {
                put(st.time, 8);
                put(0, 8);
            }
            put(0, 8);
            put(0, 8);
            put(0, 8);
        }
        StatLayout::ArmStat64 => {
            // struct stat64 (arm)
            put(st.dev, 8);
            put(0, 4); // __pad0
            put(st.ino & 0xffff_ffff, 4); // __st_ino
            put(st.mode as u64, 4);
            put(st.nlink as u64, 4);
            put(0, 4); // uid
            put(0, 4); // gid
            put(st.rdev, 8);
            put(0, 4); // __pad3
            put(0, 4); // align st_size
            put(st.size, 8);
            put(st.blksize as u64, 4);
            put(0, 4); // pad
            put(blocks, 8);
            for _ in 0..3 {
                put(st.time, 4);
                put(0, 4);
            }
            put(st.ino, 8);
        }
        StatLayout::MipsStat64 => {
            // struct stat64 (mips o32)
            put(st.dev, 4);
            put(0, 4);
            put(0, 4);
            put(0, 4); // st_pad0[3] (dev is unsigned long)
            put(st.ino, 8);
            put(st.mode as u64, 4);
            put(st.nlink as u64, 4);
            put(0, 4); // uid
            put(0, 4); // gid
            put(st.rdev, 4);
            put(0, 4);
            put(0, 4);
            put(0, 4); // st_pad1[3]
            put(st.size, 8);
            for _ in 0..3 {
                put(st.time, 4);
                put(0, 4);
            }
            put(st.blksize as u64, 4);
            put(0, 4); // st_pad2
            put(blocks, 8);
        }
    }
    out
}

/// `_IOR(ty, nr, size)` on `arch`: powerpc and mips have 3 direction bits
/// with READ = 2 at bit 29 and a 13-bit size; the others 2 direction bits
/// with READ = 2 at bit 30 and a 14-bit size.
pub fn ioc_read(arch: Arch, ty: u8, nr: u8, size: u32) -> u32 {
    let super::arch::IocLayout { dir_shift, size_mask } = linux_abi(arch).ioc;
    (2 << dir_shift) | ((size & size_mask) << 16) | ((ty as u32) << 8) | nr as u32
}

/// Size of `struct mtd_info_user` on every supported arch (its `u64` is
/// 8-aligned on all of them, 32-bit ones included).
pub const MTD_INFO_USER_SIZE: u32 = 32;

/// `MEMGETINFO` = `_IOR('M', 1, struct mtd_info_user)`.
pub fn memgetinfo(arch: Arch) -> u32 {
    ioc_read(arch, b'M', 1, MTD_INFO_USER_SIZE)
}

/// `MTD_NORFLASH`.
pub const MTD_NORFLASH: u8 = 3;
/// `MTD_CAP_NORFLASH` = `MTD_WRITEABLE | MTD_BIT_WRITEABLE`.
pub const MTD_CAP_NORFLASH: u32 = 0x400 | 0x800;

/// `struct mtd_info_user` (include/uapi/mtd/mtd-abi.h) for a NOR device:
/// `u8 type; u32 flags, size, erasesize, writesize, oobsize; u64 padding`.
pub fn encode_mtd_info_user(arch: Arch, size: u32, erasesize: u32) -> Vec<u8> {
    let big = arch.endian() == crate::ir::Endian::Big;
    let word = |v: u32| if big { v.to_be_bytes() } else { v.to_le_bytes() };
    let mut out = vec![MTD_NORFLASH, 0, 0, 0];
    for v in [MTD_CAP_NORFLASH, size, erasesize, 1, 0] {
        out.extend(word(v));
    }
    out.extend([0u8; 8]); // padding, at offset 24: already 8-aligned
    debug_assert_eq!(out.len(), MTD_INFO_USER_SIZE as usize);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memgetinfo_matches_the_c_headers() {
        // Values of MEMGETINFO from each arch's <mtd/mtd-abi.h>.
        for arch in Arch::ALL {
            let want = match arch {
                Arch::Powerpc64 | Arch::Mipsel | Arch::Mipseb => 0x4020_4d01,
                _ => 0x8020_4d01,
            };
            assert_eq!(memgetinfo(arch), want, "{arch}");
        }
    }

    #[test]
    fn mtd_info_user_layout_follows_byte_order() {
        let le = encode_mtd_info_user(Arch::Riscv64, 0x0010_0000, 0x0001_0000);
        assert_eq!(le.len(), 32);
        assert_eq!(le[0], 3);
        assert_eq!(&le[4..8], &[0x00, 0x0c, 0x00, 0x00]);
        assert_eq!(&le[8..12], &[0x00, 0x00, 0x10, 0x00]);
        assert_eq!(&le[12..16], &[0x00, 0x00, 0x01, 0x00]);
        assert_eq!(&le[16..20], &[1, 0, 0, 0]);
        assert_eq!(&le[20..32], &[0; 12]);
        let be = encode_mtd_info_user(Arch::Powerpc64, 0x0010_0000, 0x0001_0000);
        assert_eq!(&be[4..8], &[0x00, 0x00, 0x0c, 0x00]);
        assert_eq!(&be[8..12], &[0x00, 0x10, 0x00, 0x00]);
        assert_eq!(&be[16..20], &[0, 0, 0, 1]);
    }

    #[test]
    fn status_flags_round_trip() {
        for arch in Arch::ALL {
            let f = OpenFlags { access: 2, append: true, nonblock: true, ..Default::default() };
            let raw = f.encode_status(arch);
            assert_eq!(OpenFlags::decode(arch, raw), f, "{arch}");
        }
    }
}
