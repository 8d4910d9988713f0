//! Emulated MTD flash: device contents built from an [`MtdSpec`], and the
//! `/dev/mtdN` file object.
//!
//! Reads honour the file offset (and `pread` its own); their bytes reach
//! the guest through the kernel's write path (`linux::writepath`), which
//! this object requests with `delivers_via_write_path`. `ioctl(MEMGETINFO)`
//! answers a NOR-flash `mtd_info_user` in the guest's layout. Devices are
//! read-only flash images: opening one for writing is `EROFS`.
//!
//! Read-only, a device's bytes are worked out when read, from its fill
//! and the spec's writes, instead of being laid out in host memory when
//! the machine is built: a random fill is a counter-indexed generator
//! (`SplitMix64::at`), so a cell with a 1 MiB flash no longer fills and
//! zeroes a mebibyte before its first instruction, and a large flash costs
//! host memory only for the file it was filled from, if any.

use std::rc::Rc;

use super::config::{MtdFill, MtdSpec};
use super::vfs::char_stat;
use crate::arch::Arch;
use crate::linux::SplitMix64;
use crate::linux::abi::{self, FileStat};
use crate::linux::errno::Errno;
use crate::linux::file::{FileObject, IoResult, path_ino};

/// Largest device: `mtd_info_user.size` is 32 bits.
pub const MAX_MTD_SIZE: u64 = 256 << 20;
/// `major` of `/dev/mtdN` (minor `2N`).
const MTD_CHAR_MAJOR: u64 = 90;

/// One device's contents and geometry.
#[derive(Debug)]
pub struct MtdDevice {
    pub index: usize,
    pub name: String,
    pub erasesize: u64,
    size: u64,
    base: Base,
    /// The spec's writes over the base, in order (a later one wins).
    writes: Vec<(u64, Vec<u8>)>,
}

/// What a device holds where no write went.
#[derive(Debug)]
enum Base {
    /// Every byte this value (erased: `0xff`).
    Byte(u8),
    /// The little-endian words of `SplitMix64` from this seed.
    Random(u64),
    /// A file's bytes, erased (`0xff`) past its end.
    Bytes(std::sync::Arc<Vec<u8>>),
}

impl MtdDevice {
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The device's bytes from `offset` into `buf`, as many as fit before
    /// its end; how many.
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> usize {
        let start = offset.min(self.size);
        let n = buf.len().min((self.size - start) as usize);
        let out = &mut buf[..n];
        match &self.base {
            Base::Byte(b) => out.fill(*b),
            Base::Random(seed) => random_at(*seed, start, out),
            Base::Bytes(data) => {
                let from = (start as usize).min(data.len());
                let have = (data.len() - from).min(n);
                out[..have].copy_from_slice(&data[from..from + have]);
                out[have..].fill(0xff);
            }
        }
        let end = start + n as u64;
        for (at, data) in &self.writes {
            let (lo, hi) = ((*at).max(start), (at + data.len() as u64).min(end));
            if lo < hi {
                let src = &data[(lo - at) as usize..(hi - at) as usize];
                out[(lo - start) as usize..(hi - start) as usize].copy_from_slice(src);
            }
        }
        n
    }

    /// Every byte of the device.
    pub fn contents(&self) -> Vec<u8> {
        let mut all = vec![0; self.size as usize];
        self.read_at(0, &mut all);
        all
    }

    /// Build device `index` from `spec`; `seed` drives `MtdFill::Random`.
    pub fn build(index: usize, spec: &MtdSpec, seed: u64) -> Result<MtdDevice, MtdError> {
        let name = &spec.name;
        if name.is_empty() || name.contains(['"', '\n']) || name.len() > 64 {
            return Err(MtdError::Name { name: name.clone() });
        }
        if spec.size == 0 || spec.size > MAX_MTD_SIZE {
            return Err(MtdError::Size { name: name.clone(), size: spec.size });
        }
        if spec.erasesize == 0 || !spec.size.is_multiple_of(spec.erasesize) {
            return Err(MtdError::EraseSize {
                name: name.clone(),
                size: spec.size,
                erasesize: spec.erasesize,
            });
        }
        let size = spec.size as usize;
        let base = match &spec.fill {
            MtdFill::Erased => Base::Byte(0xff),
            MtdFill::Zero => Base::Byte(0),
            MtdFill::Random => Base::Random(seed ^ fnv(name.as_bytes())),
            MtdFill::Bytes(data) => {
                if data.len() > size {
                    return Err(MtdError::FileTooBig { name: name.clone(), len: data.len(), size });
                }
                Base::Bytes(data.clone())
            }
        };
        for (offset, data) in &spec.writes {
            if offset.checked_add(data.len() as u64).is_none_or(|end| end > spec.size) {
                return Err(MtdError::WritePastEnd {
                    name: name.clone(),
                    len: data.len(),
                    offset: *offset,
                    size,
                });
            }
        }
        Ok(MtdDevice {
            index,
            name: name.clone(),
            erasesize: spec.erasesize,
            size: spec.size,
            base,
            writes: spec.writes.clone(),
        })
    }
}

/// The bytes of `SplitMix64(seed)`'s little-endian words from byte
/// `offset` on, into `out`.
fn random_at(seed: u64, offset: u64, out: &mut [u8]) {
    let mut rng = SplitMix64::at(seed, offset / 8);
    let skip = (offset % 8) as usize;
    let mut out = out;
    if skip != 0 {
        let word = rng.next_u64().to_le_bytes();
        let k = (8 - skip).min(out.len());
        out[..k].copy_from_slice(&word[skip..skip + k]);
        out = &mut out[k..];
    }
    rng.fill(out);
}

fn fnv(bytes: &[u8]) -> u64 {
    let mut h = super::Fnv64::default();
    h.write(bytes);
    h.finish()
}

/// Why an MTD device cannot be built from its spec.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MtdError {
    #[error("mtd name {name:?} must be 1 to 64 characters without quotes or newlines")]
    Name { name: String },
    #[error("mtd `{name}`: size {size} must be between 1 and {max}", max = MAX_MTD_SIZE)]
    Size { name: String, size: u64 },
    #[error("mtd `{name}`: size {size:#x} must be a non-zero multiple of erasesize {erasesize:#x}")]
    EraseSize { name: String, size: u64, erasesize: u64 },
    #[error("mtd `{name}`: file of {len} bytes does not fit in size {size}")]
    FileTooBig { name: String, len: usize, size: usize },
    #[error("mtd `{name}`: write of {len} bytes at offset {offset:#x} runs past size {size:#x}")]
    WritePastEnd { name: String, len: usize, offset: u64, size: usize },
}

/// An open `/dev/mtdN`.
pub struct MtdFile {
    dev: Rc<MtdDevice>,
    pos: u64,
}

impl MtdFile {
    pub fn new(dev: Rc<MtdDevice>) -> Self {
        MtdFile { dev, pos: 0 }
    }
}

impl FileObject for MtdFile {
    fn read(&mut self, buf: &mut [u8]) -> IoResult {
        let n = self.pread(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }

    fn pread(&mut self, buf: &mut [u8], offset: u64) -> IoResult {
        Ok(self.dev.read_at(offset, buf))
    }

    fn write(&mut self, _data: &[u8]) -> IoResult {
        Err(Errno::EBADF)
    }

    /// Like mtdchar: any position from 0 to the size.
    fn seek(&mut self, offset: i64, whence: u32) -> Result<u64, Errno> {
        let base = match whence {
            0 => 0,
            1 => self.pos as i64,
            2 => self.dev.size() as i64,
            _ => return Err(Errno::EINVAL),
        };
        let new = base.checked_add(offset).ok_or(Errno::EINVAL)?;
        if new < 0 || new as u64 > self.dev.size() {
            return Err(Errno::EINVAL);
        }
        self.pos = new as u64;
        Ok(self.pos)
    }

    fn stat(&self) -> FileStat {
        let path = format!("/dev/mtd{}", self.dev.index);
        char_stat(path_ino(path.as_bytes()), MTD_CHAR_MAJOR, 2 * self.dev.index as u64)
    }

    fn ioctl(&mut self, arch: Arch, request: u64) -> Result<Vec<u8>, Errno> {
        if request == abi::memgetinfo(arch) as u64 {
            Ok(abi::encode_mtd_info_user(arch, self.dev.size() as u32, self.dev.erasesize as u32))
        } else {
            Err(Errno::ENOTTY)
        }
    }

    fn delivers_via_write_path(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn spec(fill: MtdFill) -> MtdSpec {
        MtdSpec {
            name: "firmware".into(),
            size: 0x2000,
            erasesize: 0x1000,
            fill,
            writes: vec![(0x1000, b"MAGIC".to_vec())],
        }
    }

    #[test]
    fn contents_come_from_fill_then_writes() {
        let d = MtdDevice::build(0, &spec(MtdFill::Erased), 1).unwrap().contents();
        assert_eq!(d.len(), 0x2000);
        assert_eq!(d[0], 0xff);
        assert_eq!(&d[0x1000..0x1005], b"MAGIC");
        assert_eq!(d[0x1005], 0xff);
        let f = MtdDevice::build(0, &spec(MtdFill::Bytes(Arc::new(vec![7; 3]))), 1).unwrap();
        assert_eq!(&f.contents()[..4], &[7, 7, 7, 0xff]);
        let r1 = MtdDevice::build(0, &spec(MtdFill::Random), 1).unwrap().contents();
        let r2 = MtdDevice::build(0, &spec(MtdFill::Random), 1).unwrap().contents();
        let r3 = MtdDevice::build(0, &spec(MtdFill::Random), 2).unwrap().contents();
        assert_eq!(r1, r2);
        assert_ne!(r1, r3);
    }

    /// A random flash is the generator's words laid out from the start,
    /// the spec's writes over them in order: every read, at any offset
    /// and of any length, gives the bytes of that layout.
    #[test]
    fn reads_anywhere_give_the_bytes_of_the_filled_then_written_device() {
        let mut s = spec(MtdFill::Random);
        s.writes =
            vec![(0x0ffd, b"early".to_vec()), (0x1000, b"MAGIC".to_vec()), (0x1fff, vec![9])];
        let dev = MtdDevice::build(0, &s, 831).unwrap();
        let mut want = vec![0u8; 0x2000];
        SplitMix64(831 ^ fnv(b"firmware")).fill(&mut want);
        for (at, data) in &s.writes {
            want[*at as usize..*at as usize + data.len()].copy_from_slice(data);
        }
        assert_eq!(dev.contents(), want);
        let mut rng = SplitMix64(7);
        for _ in 0..500 {
            let offset = rng.below(0x2010);
            let mut buf = vec![0u8; rng.below(40) as usize];
            let n = dev.read_at(offset, &mut buf);
            let from = (offset as usize).min(want.len());
            assert_eq!(
                &buf[..n],
                &want[from..(from + buf.len()).min(want.len())],
                "at {offset:#x}"
            );
        }
    }

    #[test]
    fn bad_specs_are_errors() {
        let mut s = spec(MtdFill::Zero);
        s.writes = vec![(0x1ffe, b"xyz".to_vec())];
        assert!(MtdDevice::build(0, &s, 0).unwrap_err().to_string().contains("runs past size"));
        let mut s = spec(MtdFill::Zero);
        s.erasesize = 0x3000;
        assert!(
            MtdDevice::build(0, &s, 0).unwrap_err().to_string().contains("multiple of erasesize")
        );
        let s = spec(MtdFill::Bytes(Arc::new(vec![0; 0x2001])));
        assert!(MtdDevice::build(0, &s, 0).unwrap_err().to_string().contains("does not fit"));
        let mut s = spec(MtdFill::Zero);
        s.name = "a\"b".into();
        assert!(MtdDevice::build(0, &s, 0).is_err());
    }

    #[test]
    fn reads_seeks_and_memgetinfo() {
        let mut f = MtdFile::new(Rc::new(MtdDevice::build(2, &spec(MtdFill::Zero), 0).unwrap()));
        assert_eq!(f.seek(0x1000, 0).unwrap(), 0x1000);
        let mut buf = [0u8; 5];
        assert_eq!(f.read(&mut buf).unwrap(), 5);
        assert_eq!(&buf, b"MAGIC");
        assert_eq!(f.seek(0, 2).unwrap(), 0x2000);
        assert_eq!(f.read(&mut buf).unwrap(), 0);
        assert_eq!(f.seek(1, 2), Err(Errno::EINVAL));
        assert_eq!(f.pread(&mut buf, 0x1001).unwrap(), 5);
        assert_eq!(&buf, b"AGIC\0");
        let info = f.ioctl(Arch::Riscv64, 0x8020_4d01).unwrap();
        assert_eq!(info, abi::encode_mtd_info_user(Arch::Riscv64, 0x2000, 0x1000));
        assert_eq!(f.ioctl(Arch::Riscv64, 0x4020_4d01), Err(Errno::ENOTTY));
        assert!(f.ioctl(Arch::Mipseb, 0x4020_4d01).is_ok());
        assert_eq!(f.stat().rdev, (90 << 8) | 4);
    }
}
