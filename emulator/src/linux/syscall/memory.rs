//! Memory: the program break and mappings (`mmap`, `munmap`, `mprotect`,
//! `mremap`, `madvise`). File mappings are private copies of the file's
//! bytes at the time of the call; `MAP_SHARED` of a regular file behaves
//! the same while only one process maps it, which is all a process here
//! can observe.

use super::uaccess::Ctx;
use super::{MAX_IO, R};
use crate::arch::Sysno;
use crate::linux::abi;
use crate::linux::errno::Errno;
use crate::mem::{MapError, PAGE_MASK, PAGE_SIZE, Perms};

/// Largest file span one `mmap` copies in.
const MAX_FILE_MAP: u64 = MAX_IO * 256;

fn map_errno(e: MapError) -> Errno {
    match e {
        MapError::Invalid => Errno::EINVAL,
        MapError::NoMemory => Errno::ENOMEM,
    }
}

pub(super) fn run(c: &mut Ctx, s: Sysno) -> R {
    use Sysno::*;
    match s {
        Brk => Ok(c.p.mem.set_brk(c.arg(0))),
        Mmap => {
            let off = c.arg(5);
            sys_mmap(c, off)
        }
        Mmap2 => {
            let off = c.arg(5).checked_mul(PAGE_SIZE).ok_or(Errno::EINVAL)?;
            sys_mmap(c, off)
        }
        Munmap => {
            if c.arg(0) & !PAGE_MASK != 0 {
                return Err(Errno::EINVAL.into());
            }
            c.p.mem.unmap(c.arg(0), c.arg(1)).map_err(|_| Errno::EINVAL)?;
            Ok(0)
        }
        Mprotect => {
            let len = c.arg(1);
            if c.arg(0) & !PAGE_MASK != 0 {
                return Err(Errno::EINVAL.into());
            }
            if len == 0 {
                return Ok(0);
            }
            c.p.mem.protect(c.arg(0), len, Perms::from_prot(c.arg(2))).map_err(map_errno)?;
            Ok(0)
        }
        Mremap => sys_mremap(c),
        // MADV_DONTNEED on private anonymous memory must read back zeros;
        // every other advice is a hint Linux may ignore.
        Madvise => {
            let (addr, len, advice) = (c.arg(0), c.arg(1), c.arg(2));
            if addr & !PAGE_MASK != 0 {
                return Err(Errno::EINVAL.into());
            }
            if advice == 4 && len > 0 {
                let len = len.checked_add(PAGE_SIZE - 1).ok_or(Errno::EINVAL)? & PAGE_MASK;
                let mut page = addr;
                while page < addr + len {
                    if let Some(p) = c.p.mem.perms(page) {
                        c.p.mem.map_fixed(page, PAGE_SIZE, p).map_err(map_errno)?;
                    } else {
                        return Err(Errno::ENOMEM.into());
                    }
                    page += PAGE_SIZE;
                }
            }
            Ok(0)
        }
        _ => Err(Errno::ENOSYS.into()),
    }
}

fn sys_mmap(c: &mut Ctx, offset: u64) -> R {
    let (addr, len, prot, flags, fd) = (c.arg(0), c.arg(1), c.arg(2), c.arg(3), c.arg_int(4));
    if len == 0 || offset & !PAGE_MASK != 0 {
        return Err(Errno::EINVAL.into());
    }
    let len_pages = len.checked_add(PAGE_SIZE - 1).ok_or(Errno::ENOMEM)? & PAGE_MASK;
    let anonymous = flags & abi::map_anonymous(c.p.arch) != 0;
    if flags & (abi::MAP_SHARED | abi::MAP_PRIVATE) == 0 {
        return Err(Errno::EINVAL.into());
    }
    let file = if anonymous { None } else { Some(c.p.fds.get(fd as u64)?) };
    if let Some(f) = &file {
        let f = f.borrow();
        if f.flags.path || !f.flags.readable() {
            return Err(Errno::EACCES.into());
        }
        if f.object.stat().mode & abi::S_IFMT == abi::S_IFDIR {
            return Err(Errno::ENODEV.into());
        }
    }
    let perms = Perms::from_prot(prot);
    let at = if flags & abi::MAP_FIXED != 0 {
        if addr & !PAGE_MASK != 0 {
            return Err(Errno::EINVAL.into());
        }
        addr
    } else if flags & abi::MAP_FIXED_NOREPLACE != 0 {
        if addr & !PAGE_MASK != 0 {
            return Err(Errno::EINVAL.into());
        }
        if c.p.mem.any_mapped(addr, len_pages) {
            return Err(Errno::EEXIST.into());
        }
        addr
    } else {
        c.p.mem.find_free(len_pages, addr & PAGE_MASK).ok_or(Errno::ENOMEM)?
    };
    c.p.mem.map_fixed(at, len_pages, perms).map_err(map_errno)?;
    if let Some(f) = file {
        // Private file mappings are a copy of the file's bytes; the pages
        // past the end of the file read as zeros.
        let mut data = vec![0u8; len.min(MAX_FILE_MAP) as usize];
        let mut done = 0;
        while done < data.len() {
            let n = f
                .borrow_mut()
                .object
                .pread(&mut data[done..], offset + done as u64)
                .map_err(|_| Errno::EACCES)?;
            if n == 0 {
                break;
            }
            done += n;
        }
        c.p.mem.write_debug(at, &data[..done]).map_err(|_| Errno::EFAULT)?;
    }
    Ok(at)
}

/// `mremap`: shrink in place, grow in place when the pages after are free,
/// or move (with `MREMAP_MAYMOVE`) by copying.
fn sys_mremap(c: &mut Ctx) -> R {
    const MAYMOVE: u64 = 1;
    const FIXED: u64 = 2;
    let (old, old_len, new_len, flags) = (c.arg(0), c.arg(1), c.arg(2), c.arg(3));
    if old & !PAGE_MASK != 0 || new_len == 0 || flags & !(MAYMOVE | FIXED | 4) != 0 {
        return Err(Errno::EINVAL.into());
    }
    if flags & FIXED != 0 {
        return Err(Errno::EINVAL.into());
    }
    let round = |v: u64| v.checked_add(PAGE_SIZE - 1).map(|v| v & PAGE_MASK).ok_or(Errno::ENOMEM);
    let (old_len, new_len) = (round(old_len)?, round(new_len)?);
    let perms = c.p.mem.perms(old).ok_or(Errno::EFAULT)?;
    if new_len <= old_len {
        if new_len < old_len {
            c.p.mem.unmap(old + new_len, old_len - new_len).map_err(map_errno)?;
        }
        return Ok(old);
    }
    let tail = old + old_len;
    if !c.p.mem.any_mapped(tail, new_len - old_len)
        && c.p.mem.map_fixed(tail, new_len - old_len, perms).is_ok()
    {
        return Ok(old);
    }
    if flags & MAYMOVE == 0 {
        return Err(Errno::ENOMEM.into());
    }
    let at = c.p.mem.find_free(new_len, 0).ok_or(Errno::ENOMEM)?;
    let mut bytes = vec![0u8; old_len as usize];
    c.p.mem.read_debug(old, &mut bytes).map_err(|_| Errno::EFAULT)?;
    c.p.mem.map_fixed(at, new_len, perms).map_err(map_errno)?;
    c.p.mem.write_debug(at, &bytes).map_err(|_| Errno::EFAULT)?;
    c.p.mem.unmap(old, old_len).map_err(map_errno)?;
    Ok(at)
}
