//! Memory: the program break and mappings (`mmap`, `munmap`, `mprotect`,
//! `mremap`, `madvise`). File mappings are private copies of the file's
//! bytes at the time of the call; `MAP_SHARED` of a regular file behaves
//! the same while only one process maps it, which is all a process here
//! can observe.
//!
//! Every range remembers what it maps (`mem::Backing`: the file's path,
//! device, inode and offset, or anonymous memory, the heap, the stack), so
//! `/proc/<pid>/maps` can list it, `mremap` keeps it when a range moves or
//! grows, and `madvise(MADV_DONTNEED)` refills the pages as Linux does:
//! private anonymous pages read back as zeros, private file pages as the
//! file's bytes again (read from the file's path: a file unlinked since
//! the `mmap` reads back as zeros).

use super::uaccess::Ctx;
use super::{MAX_IO, R};
use crate::arch::Sysno;
use crate::linux::abi;
use crate::linux::errno::Errno;
use crate::linux::{FileSystem, OpenFlags};
use crate::mem::{Backing, MapError, PAGE_MASK, PAGE_SIZE, Perms};

/// Largest file span one `mmap` copies in.
const MAX_FILE_MAP: u64 = MAX_IO * 256;

/// `madvise` advice values (the same on every arch).
const MADV_DONTNEED: u64 = 4;

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
        Madvise => sys_madvise(c),
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
    let Some(f) = file else {
        c.p.mem.map_fixed(at, len_pages, perms).map_err(map_errno)?;
        return Ok(at);
    };
    let (path, st) = {
        let f = f.borrow();
        (f.path.clone(), f.object.stat())
    };
    let backing = Backing::File {
        path: path.as_slice().into(),
        offset,
        dev: st.dev,
        ino: st.ino,
        shared: flags & abi::MAP_SHARED != 0,
    };
    c.p.mem.map_backed(at, len_pages, perms, backing).map_err(map_errno)?;
    // The mapping holds a copy of the file's bytes; the pages past the
    // end of the file read as zeros.
    let mut data = vec![0u8; len.min(MAX_FILE_MAP) as usize];
    let done = pread_all(&mut *f.borrow_mut().object, &mut data, offset)?;
    c.p.mem.write_debug(at, &data[..done]).map_err(|_| Errno::EFAULT)?;
    Ok(at)
}

/// Read from `offset` until `buf` is full or the file ends; the count.
fn pread_all(
    object: &mut dyn crate::linux::FileObject,
    buf: &mut [u8],
    offset: u64,
) -> Result<usize, Errno> {
    let mut done = 0;
    while done < buf.len() {
        let n = object.pread(&mut buf[done..], offset + done as u64).map_err(|_| Errno::EACCES)?;
        if n == 0 {
            break;
        }
        done += n;
    }
    Ok(done)
}

/// Give `[addr, addr+len)`, one range of one backing, its initial contents
/// again: zeros, or for a private file mapping the file's bytes (reopened
/// by path; zeros when it is gone). Shared file pages are the file's own
/// and stay.
fn refill(fs: &mut dyn FileSystem, c_mem: &mut crate::mem::AddressSpace, addr: u64, len: u64) -> R {
    let perms = c_mem.perms(addr).ok_or(Errno::ENOMEM)?;
    let backing = c_mem.backing(addr).ok_or(Errno::ENOMEM)?;
    if let Backing::File { shared: true, .. } = backing {
        return Ok(0);
    }
    c_mem.map_backed(addr, len, perms, backing.clone()).map_err(map_errno)?;
    if let Backing::File { path, offset, .. } = backing
        && let Ok(mut obj) = fs.open(&path, OpenFlags::default(), 0)
    {
        let mut data = vec![0u8; len.min(MAX_FILE_MAP) as usize];
        let done = pread_all(&mut *obj, &mut data, offset);
        obj.close();
        c_mem.write_debug(addr, &data[..done?]).map_err(|_| Errno::EFAULT)?;
    }
    Ok(0)
}

/// `madvise`: `MADV_DONTNEED` gives the pages their initial contents again
/// (see the module docs); every other advice is a hint Linux may ignore.
/// The range must be mapped (`ENOMEM`), the address page-aligned.
fn sys_madvise(c: &mut Ctx) -> R {
    let (addr, len, advice) = (c.arg(0), c.arg(1), c.arg(2));
    if addr & !PAGE_MASK != 0 {
        return Err(Errno::EINVAL.into());
    }
    let len = len.checked_add(PAGE_SIZE - 1).ok_or(Errno::EINVAL)? & PAGE_MASK;
    let end = addr.checked_add(len).ok_or(Errno::EINVAL)?;
    if len == 0 {
        return Ok(0);
    }
    let pieces: Vec<(u64, u64)> =
        c.p.mem
            .maps()
            .iter()
            .filter(|m| m.end > addr && m.start < end)
            .map(|m| (m.start.max(addr), m.end.min(end)))
            .collect();
    let covered: u64 = pieces.iter().map(|(s, e)| e - s).sum();
    if covered != len {
        return Err(Errno::ENOMEM.into());
    }
    if advice == MADV_DONTNEED {
        for (start, stop) in pieces {
            refill(c.k.fs.as_mut(), &mut c.p.mem, start, stop - start)?;
        }
    }
    Ok(0)
}

/// `mremap`, with Linux's checks (`mm/mremap.c`): shrink in place, grow
/// in place when the pages after are free, or move (`MREMAP_MAYMOVE`,
/// to `new_addr` with `MREMAP_FIXED`), keeping what the range maps.
fn sys_mremap(c: &mut Ctx) -> R {
    const MAYMOVE: u64 = 1;
    const FIXED: u64 = 2;
    const DONTUNMAP: u64 = 4;
    let (old, old_len, new_len, flags, new_addr) =
        (c.arg(0), c.arg(1), c.arg(2), c.arg(3), c.arg(4));
    if flags & !(MAYMOVE | FIXED | DONTUNMAP) != 0
        || flags & FIXED != 0 && flags & MAYMOVE == 0
        || old & !PAGE_MASK != 0
    {
        return Err(Errno::EINVAL.into());
    }
    if flags & DONTUNMAP != 0 {
        // Moving while leaving the old pages mapped but empty: only
        // userfaultfd users ask for it.
        return Err(Errno::EINVAL.into());
    }
    let round = |v: u64| v.checked_add(PAGE_SIZE - 1).map(|v| v & PAGE_MASK).ok_or(Errno::EINVAL);
    let (old_len, new_len) = (round(old_len)?, round(new_len)?);
    // `old_len` 0 duplicates a shared mapping; file mappings are copies here.
    if new_len == 0 || old_len == 0 {
        return Err(Errno::EINVAL.into());
    }
    let user_end = c.p.mem.layout().user_end;
    if flags & FIXED != 0 {
        if new_addr & !PAGE_MASK != 0
            || new_len > user_end
            || new_addr > user_end - new_len
            || (new_addr < old + old_len && old < new_addr + new_len)
        {
            return Err(Errno::EINVAL.into());
        }
        check_one_range(c, old, old_len.min(new_len))?;
        c.p.mem.unmap(new_addr, new_len).map_err(map_errno)?;
        if old_len > new_len {
            c.p.mem.unmap(old + new_len, old_len - new_len).map_err(map_errno)?;
        }
        check_one_range(c, old, old_len.min(new_len))?;
        return move_range(c, old, old_len.min(new_len), new_addr, new_len);
    }
    if new_len <= old_len {
        if new_len < old_len {
            c.p.mem.unmap(old + new_len, old_len - new_len).map_err(map_errno)?;
        }
        return Ok(old);
    }
    check_one_range(c, old, old_len)?;
    let tail = old + old_len;
    let (perms, backing) = range_of(c, old)?;
    let grow = new_len - old_len;
    if tail.checked_add(grow).is_some_and(|e| e <= user_end) && !c.p.mem.any_mapped(tail, grow) {
        c.p.mem
            .map_backed(tail, grow, perms, backing.advanced(old_len / PAGE_SIZE))
            .map_err(map_errno)?;
        refill(c.k.fs.as_mut(), &mut c.p.mem, tail, grow)?;
        return Ok(old);
    }
    if flags & MAYMOVE == 0 {
        return Err(Errno::ENOMEM.into());
    }
    let at = c.p.mem.find_free(new_len, 0).ok_or(Errno::ENOMEM)?;
    move_range(c, old, old_len, at, new_len)
}

/// The permissions and backing of the range at `addr`.
fn range_of(c: &Ctx, addr: u64) -> Result<(Perms, Backing), Errno> {
    let perms = c.p.mem.perms(addr).ok_or(Errno::EFAULT)?;
    Ok((perms, c.p.mem.backing(addr).ok_or(Errno::EFAULT)?))
}

/// `[addr, addr+len)` must lie in one mapping (Linux's `vma_to_resize`):
/// `EFAULT` otherwise.
fn check_one_range(c: &Ctx, addr: u64, len: u64) -> Result<(), Errno> {
    let maps = c.p.mem.maps();
    let m = maps.iter().find(|m| m.start <= addr && addr < m.end).ok_or(Errno::EFAULT)?;
    if addr + len > m.end {
        return Err(Errno::EFAULT);
    }
    Ok(())
}

/// Move the `len` bytes at `old` to `at`, as a range of `new_len` bytes
/// (the rest is what the mapping would hold there), and unmap `old`.
fn move_range(c: &mut Ctx, old: u64, len: u64, at: u64, new_len: u64) -> R {
    let (perms, backing) = range_of(c, old)?;
    let mut bytes = vec![0u8; len as usize];
    c.p.mem.read_debug(old, &mut bytes).map_err(|_| Errno::EFAULT)?;
    c.p.mem.map_backed(at, new_len, perms, backing.clone()).map_err(map_errno)?;
    if new_len > len {
        refill(c.k.fs.as_mut(), &mut c.p.mem, at + len, new_len - len)?;
    }
    c.p.mem.write_debug(at, &bytes).map_err(|_| Errno::EFAULT)?;
    c.p.mem.unmap(old, len).map_err(map_errno)?;
    Ok(at)
}
