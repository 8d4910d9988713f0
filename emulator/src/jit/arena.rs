//! Executable memory for compiled regions, installed with a copy and no
//! system call.
//!
//! Cranelift's JIT module gives every function its own anonymous mapping
//! and makes it executable with an `mprotect` when it is finalized: two
//! system calls and a fresh page per region, about 15-20 us each on the
//! machine measured, paid again for code the store already holds. A
//! region has no relocations (it reaches helpers through the JIT context),
//! so its bytes can go anywhere as they are. The arena keeps one host
//! memory file (`memfd_create`) mapped twice, writable and executable, in
//! chunks: code is copied in through the first view and runs from the
//! second, so no page is ever both writable and executable, and a new
//! region costs a copy. A chunk is mapped (both views, populated) when the
//! one before is full.
//!
//! Only x86-64 hosts use it: their instruction fetch sees stores to the
//! same physical memory through any mapping, so a copy needs no cache
//! maintenance before the code runs. Elsewhere, or when the host refuses
//! the file or a mapping, [`CodeArena::new`] or [`CodeArena::install`]
//! says no and the code goes through the module as before.
//!
//! Talks to: `CodeCache` (in the parent), which installs regions here and
//! resets the arena when it flushes its code.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// Bytes mapped at a time: about a hundred regions of a busybox process.
const CHUNK: usize = 256 << 10;

/// Both views of one chunk of the memory file.
struct Chunk {
    rw: *mut u8,
    rx: *const u8,
    used: usize,
}

pub(super) struct CodeArena {
    file: OwnedFd,
    /// Mapped chunks, in file order; those before `current` are full.
    chunks: Vec<Chunk>,
    current: usize,
    /// The host refused a new chunk: no new chunk is asked for until the
    /// next reset (what does not fit goes to the module), rather than a
    /// failing system call per region.
    refused: bool,
}

impl CodeArena {
    /// An empty arena, or `None` where the host cannot have one.
    pub(super) fn new() -> Option<CodeArena> {
        if !cfg!(target_arch = "x86_64") {
            return None;
        }
        // SAFETY: a fresh anonymous memory file; the name is a C string.
        let fd = unsafe { libc::memfd_create(c"bohr-code".as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            return None;
        }
        // SAFETY: `fd` was just created and is owned by nothing else.
        let file = unsafe { OwnedFd::from_raw_fd(fd) };
        Some(CodeArena { file, chunks: Vec::new(), current: 0, refused: false })
    }

    /// Copy `bytes` (aligned to `align`) into the arena: the address it
    /// runs at, or `None` when it does not fit a chunk or the host refuses
    /// a new one.
    pub(super) fn install(&mut self, bytes: &[u8], align: u64) -> Option<*const u8> {
        let align = usize::try_from(align).ok().filter(|a| a.is_power_of_two())?;
        if bytes.len() > CHUNK || align > CHUNK {
            return None;
        }
        let fits = |c: &Chunk| c.used.next_multiple_of(align) + bytes.len() <= CHUNK;
        while self.chunks.get(self.current).is_some_and(|c| !fits(c)) {
            self.current += 1;
        }
        if self.current == self.chunks.len() {
            if self.refused {
                return None;
            }
            let Some(chunk) = self.map_chunk() else {
                self.refused = true;
                return None;
            };
            self.chunks.push(chunk);
        }
        let chunk = &mut self.chunks[self.current];
        let at = chunk.used.next_multiple_of(align);
        // SAFETY: `at + len <= CHUNK` (checked by `fits`, and a fresh chunk
        // is empty), so the copy stays inside the writable view, which no
        // one else writes.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), chunk.rw.add(at), bytes.len()) };
        chunk.used = at + bytes.len();
        // SAFETY: the same offset in the executable view of the same chunk.
        Some(unsafe { chunk.rx.add(at) })
    }

    /// Forget every installed region: new code goes over the old from the
    /// first chunk on. The caller guarantees that no code of the arena
    /// runs and no pointer into it is used again.
    pub(super) fn reset(&mut self) {
        for c in &mut self.chunks {
            c.used = 0;
        }
        self.current = 0;
        self.refused = false;
    }

    /// Grow the file by a chunk and map it twice.
    fn map_chunk(&self) -> Option<Chunk> {
        let offset = self.chunks.len() * CHUNK;
        let fd = self.file.as_raw_fd();
        let len = i64::try_from(offset + CHUNK).ok()?;
        // SAFETY: resizes our own memory file.
        if unsafe { libc::ftruncate(fd, len) } != 0 {
            return None;
        }
        let map = |prot| {
            let flags = libc::MAP_SHARED | libc::MAP_POPULATE;
            // SAFETY: a new mapping of our file at an address the kernel
            // chooses; it replaces nothing.
            let p =
                unsafe { libc::mmap(std::ptr::null_mut(), CHUNK, prot, flags, fd, offset as i64) };
            (p != libc::MAP_FAILED).then_some(p.cast::<u8>())
        };
        let rw = map(libc::PROT_READ | libc::PROT_WRITE)?;
        let Some(rx) = map(libc::PROT_READ | libc::PROT_EXEC) else {
            // SAFETY: `rw` was mapped just above and nothing points into it.
            unsafe { libc::munmap(rw.cast(), CHUNK) };
            return None;
        };
        Some(Chunk { rw, rx, used: 0 })
    }
}

impl Drop for CodeArena {
    fn drop(&mut self) {
        for c in &self.chunks {
            // SAFETY: both views were mapped by `map_chunk` with `CHUNK`
            // bytes; the owner drops the arena only when no code of it
            // runs and no pointer into it survives.
            unsafe {
                libc::munmap(c.rw.cast(), CHUNK);
                libc::munmap(c.rx.cast_mut().cast(), CHUNK);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_copied_in_runs_from_the_executable_view() {
        let Some(mut arena) = CodeArena::new() else { return };
        // x86-64: mov eax, imm32; ret
        let code = |v: u32| {
            let mut b = vec![0xb8];
            b.extend(v.to_le_bytes());
            b.push(0xc3);
            b
        };
        let mut fns = Vec::new();
        // Enough to fill more than one chunk, each 16-byte aligned.
        for v in 0..(2 * CHUNK / 16 + 3) as u32 {
            let p = arena.install(&code(v), 16).expect("installs");
            assert_eq!(p as usize % 16, 0);
            fns.push((v, p));
        }
        assert!(arena.chunks.len() >= 2);
        for (v, p) in fns.iter().step_by(997) {
            // SAFETY: `p` holds `mov eax, v; ret`, a complete function of
            // this type, in executable memory.
            let f: extern "C" fn() -> u32 = unsafe { std::mem::transmute(*p) };
            assert_eq!(f(), *v);
        }
        // After a reset new code goes over the old, and runs.
        arena.reset();
        let p = arena.install(&code(77), 16).unwrap();
        assert_eq!(p, fns[0].1);
        // SAFETY: as above.
        let f: extern "C" fn() -> u32 = unsafe { std::mem::transmute(p) };
        assert_eq!(f(), 77);
    }

    #[test]
    fn what_cannot_fit_a_chunk_is_refused() {
        let Some(mut arena) = CodeArena::new() else { return };
        assert!(arena.install(&vec![0xc3; CHUNK + 1], 16).is_none());
        assert!(arena.install(&[0xc3], 3).is_none());
        assert!(arena.install(&vec![0xc3; CHUNK], 16).is_some());
    }

    #[test]
    fn after_a_refused_chunk_only_full_chunks_are_passed_over_until_a_reset() {
        let Some(mut arena) = CodeArena::new() else { return };
        assert!(arena.install(&[0xc3; 64], 16).is_some());
        // As if the host had refused the next chunk: what still fits the
        // current one goes in, the rest waits for a reset.
        arena.refused = true;
        assert!(arena.install(&[0xc3; 64], 16).is_some());
        assert!(arena.install(&vec![0xc3; CHUNK], 16).is_none());
        assert_eq!(arena.chunks.len(), 1);
        arena.reset();
        assert!(!arena.refused);
        assert!(arena.install(&vec![0xc3; CHUNK], 16).is_some());
        assert!(arena.install(&[0xc3; 64], 16).is_some());
        assert_eq!(arena.chunks.len(), 2);
    }
}
