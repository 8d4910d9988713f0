//! Memory: the program break and mappings (`mmap`, `munmap`, `mprotect`,
//! `mremap`, `madvise`, `msync`).
//!
//! `MAP_PRIVATE` file mappings are private copies of the file's bytes at
//! the time of the call (copy-on-write as a process can observe it: its
//! stores stay its own, and a `fork` copies them). `MAP_SHARED` mappings
//! are really shared: their pages are a host shared-memory object
//! (`mem::SharedMem`) that every mapping maps into its address space's
//! reservation, so a store by either engine, or by compiled code that
//! accesses guest memory directly, is seen at once through every other
//! mapping of it, in this process, its forked children (a fork maps the
//! same objects) or any other process of the world. An anonymous shared
//! mapping gets an object of its own; a regular file gets one object for
//! all its mappings, kept coherent with `read` and `write` of the file by
//! `linux::shared`, which also writes it back into the file when the last
//! mapping goes (so `msync` only checks its arguments). `MAP_SHARED` of
//! `/dev/zero` is shared anonymous memory, as on Linux; other files that
//! are not regular are mapped as private copies. An object's pages are
//! charged once to the world's memory budget, however many mappings it
//! has.
//!
//! Translated code is tracked per address space: code translated from a
//! shared page is not invalidated when another mapping of it (or a
//! `write` of its file) changes it, only by stores through the mapping it
//! was translated from. Programs that run code out of shared memory
//! written through a second mapping are not supported.
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
use crate::linux::{FileSystem, HostError, OpenFlags, shared};
use crate::mem::{
    Backing, MapError, PAGE_MASK, PAGE_SIZE, Perms, SharedError, SharedMem, SharedRef,
};

/// Largest file span one `mmap` copies in.
const MAX_FILE_MAP: u64 = MAX_IO * 256;

/// `madvise` advice values (the same on every arch).
const MADV_DONTNEED: u64 = 4;

/// `msync` flags (the same on every arch).
const MS_ASYNC: u64 = 1;
const MS_INVALIDATE: u64 = 2;
const MS_SYNC: u64 = 4;

/// `MAP_SHARED_VALIDATE`: shared, with unknown flags refused.
const MAP_TYPE: u64 = 0xf;
const MAP_SHARED_VALIDATE: u64 = 3;

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
            shared::flush(&c.k.shared_files);
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
        Mremap => {
            let r = sys_mremap(c);
            shared::flush(&c.k.shared_files);
            r
        }
        Madvise => sys_madvise(c),
        Msync => sys_msync(c),
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
    let map_type = flags & MAP_TYPE;
    if !matches!(map_type, abi::MAP_SHARED | abi::MAP_PRIVATE | MAP_SHARED_VALIDATE) {
        return Err(Errno::EINVAL.into());
    }
    let shared = map_type != abi::MAP_PRIVATE;
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
        if shared {
            return map_shared_anon(c, at, len_pages, perms);
        }
        c.p.mem.map_fixed(at, len_pages, perms).map_err(map_errno)?;
        return Ok(at);
    };
    let (path, st, writable) = {
        let f = f.borrow();
        (f.path.clone(), f.object.stat(), f.flags.writable())
    };
    if shared && path == b"/dev/zero" {
        return map_shared_anon(c, at, len_pages, perms);
    }
    if shared && st.mode & abi::S_IFMT == abi::S_IFREG {
        if perms.contains(Perms::W) && !writable {
            return Err(Errno::EACCES.into());
        }
        let backing = Backing::File {
            path: path.as_slice().into(),
            offset,
            dev: st.dev,
            ino: st.ino,
            shared: true,
        };
        let first = offset / PAGE_SIZE;
        let pages = first.checked_add(len_pages / PAGE_SIZE).ok_or(Errno::ENOMEM)?;
        let budget = c.p.mem.budget().cloned();
        let (pid, id) = (c.p.pid, c.k.alloc_ino());
        let mut host = None;
        let made = shared::map_file(&c.k.shared_files, &f, &st, pages, |n| {
            SharedMem::new(n, id, budget).map_err(|e| shared_error(e, pid, &mut host))
        });
        if let Some(h) = host {
            c.k.host_error.get_or_insert(h);
        }
        let mem = made?;
        let view = SharedRef { mem, page: first };
        c.p.mem.map_shared(at, len_pages, perms, backing, view).map_err(map_errno)?;
        shared::flush(&c.k.shared_files);
        return Ok(at);
    }
    let backing = Backing::File {
        path: path.as_slice().into(),
        offset,
        dev: st.dev,
        ino: st.ino,
        shared: flags & abi::MAP_SHARED != 0,
    };
    c.p.mem.map_backed(at, len_pages, perms, backing).map_err(map_errno)?;
    // Whole pages, as Linux maps them: the bytes of the file past `len` in
    // the last page show too.
    read_mapped_file(&mut c.p.mem, at, len_pages, &mut *f.borrow_mut().object, offset)?;
    Ok(at)
}

/// The guest's errno for a shared object the host could not make; a host
/// failure is also recorded for the caller (`host`).
fn shared_error(e: SharedError, pid: u32, host: &mut Option<HostError>) -> Errno {
    if let SharedError::Host(why) = e {
        *host = Some(HostError::Reserve { pid, why: format!("shared memory: {why}") });
    }
    Errno::ENOMEM
}

/// `MAP_SHARED | MAP_ANONYMOUS` at `at`: a new object of its own.
fn map_shared_anon(c: &mut Ctx, at: u64, len: u64, perms: Perms) -> R {
    let mut host = None;
    let made = SharedMem::new(len / PAGE_SIZE, c.k.alloc_ino(), c.p.mem.budget().cloned())
        .map_err(|e| shared_error(e, c.p.pid, &mut host));
    if let Some(h) = host {
        c.k.host_error.get_or_insert(h);
    }
    let mem = made?;
    let backing = Backing::SharedAnon { ino: mem.id() };
    c.p.mem.map_shared(at, len, perms, backing, SharedRef { mem, page: 0 }).map_err(map_errno)?;
    shared::flush(&c.k.shared_files);
    Ok(at)
}

/// `msync`: the shared objects are the files' data already (module docs),
/// so only the arguments are checked, as Linux does: an aligned address,
/// known flags, not both `MS_ASYNC` and `MS_SYNC`, and a mapped range
/// (`ENOMEM`).
fn sys_msync(c: &mut Ctx) -> R {
    let (addr, len, flags) = (c.arg(0), c.arg(1), c.arg(2));
    if addr & !PAGE_MASK != 0
        || flags & !(MS_ASYNC | MS_INVALIDATE | MS_SYNC) != 0
        || flags & (MS_ASYNC | MS_SYNC) == MS_ASYNC | MS_SYNC
    {
        return Err(Errno::EINVAL.into());
    }
    let len = len.checked_add(PAGE_SIZE - 1).ok_or(Errno::ENOMEM)? & PAGE_MASK;
    let end = addr.checked_add(len).ok_or(Errno::ENOMEM)?;
    let covered: u64 =
        c.p.mem
            .maps()
            .iter()
            .filter(|m| m.end > addr && m.start < end)
            .map(|m| m.end.min(end) - m.start.max(addr))
            .sum();
    if covered != len {
        return Err(Errno::ENOMEM.into());
    }
    Ok(0)
}

/// Give the private file mapping at `addr` (`len` bytes) its copy of the
/// file's bytes from `offset`, read straight into guest memory; the pages
/// past the end of the file keep their zeros.
fn read_mapped_file(
    mem: &mut crate::mem::AddressSpace,
    addr: u64,
    len: u64,
    object: &mut dyn crate::linux::FileObject,
    offset: u64,
) -> Result<usize, Errno> {
    let n = len.min(MAX_FILE_MAP) as usize;
    // A file that never changes is mapped copy-on-write instead: the
    // same bytes, no copy of pages the process never touches.
    if let Some(pages) = object.file_pages()
        && let Ok(covered) = mem.map_file_pages(addr, n as u64, &pages, offset)
    {
        return Ok(covered as usize);
    }
    mem.fill_debug(addr, n, |bytes| pread_all(object, bytes, offset)).map_err(|_| Errno::EFAULT)?
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
    if c_mem.shared(addr).is_some() || matches!(backing, Backing::File { shared: true, .. }) {
        // Shared pages are the object's (or the file's) and stay.
        return Ok(0);
    }
    c_mem.map_backed(addr, len, perms, backing.clone()).map_err(map_errno)?;
    if let Backing::File { path, offset, .. } = backing
        && let Ok(mut obj) = fs.open(&path, OpenFlags::default(), 0)
    {
        let done = read_mapped_file(c_mem, addr, len, &mut *obj, offset);
        obj.close();
        done?;
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
    if new_len == 0 {
        return Err(Errno::EINVAL.into());
    }
    if old_len == 0 {
        // A second mapping of the same shared pages (Linux allows it for
        // shared mappings only, and only to a new place).
        if flags & MAYMOVE == 0 || c.p.mem.shared(old).is_none() {
            return Err(Errno::EINVAL.into());
        }
        let at = if flags & FIXED != 0 {
            let user_end = c.p.mem.layout().user_end;
            if new_addr & !PAGE_MASK != 0
                || new_addr.checked_add(new_len).is_none_or(|e| e > user_end)
            {
                return Err(Errno::EINVAL.into());
            }
            new_addr
        } else {
            c.p.mem.find_free(new_len, 0).ok_or(Errno::ENOMEM)?
        };
        let (perms, backing) = range_of(c, old)?;
        let view = c.p.mem.shared(old).expect("checked above");
        cover(c, &view, new_len)?;
        c.p.mem.map_shared(at, new_len, perms, backing, view).map_err(map_errno)?;
        return Ok(at);
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
        let backing = backing.advanced(old_len / PAGE_SIZE);
        if let Some(view) = c.p.mem.shared(old) {
            cover(c, &view, new_len)?;
            let view = view.advanced(old_len / PAGE_SIZE);
            c.p.mem.map_shared(tail, grow, perms, backing, view).map_err(map_errno)?;
            return Ok(old);
        }
        c.p.mem.map_backed(tail, grow, perms, backing).map_err(map_errno)?;
        refill(c.k.fs.as_mut(), &mut c.p.mem, tail, grow)?;
        return Ok(old);
    }
    if flags & MAYMOVE == 0 {
        return Err(Errno::ENOMEM.into());
    }
    let at = c.p.mem.find_free(new_len, 0).ok_or(Errno::ENOMEM)?;
    move_range(c, old, old_len, at, new_len)
}

/// Make the object of `view` cover `len` bytes from the view on.
fn cover(c: &mut Ctx, view: &SharedRef, len: u64) -> Result<(), Errno> {
    let pages = view.page.checked_add(len / PAGE_SIZE).ok_or(Errno::ENOMEM)?;
    shared::grow(&c.k.shared_files, &view.mem, pages)
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
    if let Some(view) = c.p.mem.shared(old) {
        // Shared pages move by mapping the object at the new place.
        cover(c, &view, new_len)?;
        c.p.mem.map_shared(at, new_len, perms, backing, view).map_err(map_errno)?;
        c.p.mem.unmap(old, len).map_err(map_errno)?;
        return Ok(at);
    }
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
