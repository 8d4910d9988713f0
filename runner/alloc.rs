//! The `bohr` binary's global allocator: mimalloc, asked for an alignment
//! only when the size alone does not give it.
//!
//! Every block mimalloc hands out for 16 bytes or more is 16-aligned, and a
//! smaller one is aligned to its size class, so a plain `mi_malloc` serves
//! any layout whose alignment is at most 16 and at most its size (as Rust's
//! own `System` allocator serves such layouts with `malloc`). The
//! `mimalloc` crate asks `mi_malloc_aligned` for every layout, and mimalloc
//! 3 sends an aligned request whose size is not a power of two down its
//! slow path whenever its size class's page has no free block at hand,
//! where it over-allocates into the next class: lifted blocks, interpreter
//! steps and tables then paid the slow path at every fresh page of their
//! size class.
//!
//! mimalloc's options for the binary (never purge freed memory, arenas of
//! 64 MiB) are set here too, by a constructor that runs before anything
//! allocates.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys::{
    mi_free, mi_malloc, mi_malloc_aligned, mi_realloc, mi_realloc_aligned, mi_zalloc,
    mi_zalloc_aligned,
};

pub struct MiMalloc;

/// `mi_option_purge_delay` and `mi_option_arena_reserve` in the
/// `mi_option_e` of the mimalloc that the pinned `libmimalloc-sys` builds
/// (its Rust bindings leave them out).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
const MI_OPTION_ARENA_RESERVE: libmimalloc_sys::mi_option_t = 23;

/// mimalloc's options for `bohr`, set by the dynamic loader before
/// anything allocates (the binary's constructors run before Rust's
/// runtime; an option set in `main` comes after the first arena is
/// reserved). Not in the unit tests, which check the defaults.
#[cfg(not(test))]
#[used]
#[unsafe(link_section = ".init_array")]
static CONFIGURE: extern "C" fn() = configure;

#[cfg_attr(test, allow(dead_code))]
extern "C" fn configure() {
    // Freed memory stays with the process for reuse instead of going back
    // to the system (-1: never purge). A matrix frees and allocates the
    // same amounts cell after cell; giving pages back made later cells
    // fault them in again, zeroing huge pages anew, and each `madvise`
    // cost a TLB shootdown on the other runner thread's CPU. Any positive
    // delay still purged about as often as the default. The firmware
    // matrix ran about 4 % faster this way; its peak resident memory was
    // 211 MB, against 194 MB purging and 137 MB with glibc's malloc.
    //
    // Arenas reserved 64 MiB at a time (mimalloc's minimum is 32, and it
    // doubles the size every eight arenas) instead of 1 GiB: a read-back
    // cell's heap then spans 18 transparent huge pages instead of 20
    // (36.9 against 41.0 MB at exit, every run), each of which the kernel
    // zeroes at its first touch.
    // SAFETY: sets two of mimalloc's options before any allocation; they
    // only change where arenas are reserved and when freed memory is
    // given back.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1);
        libmimalloc_sys::mi_option_set(MI_OPTION_ARENA_RESERVE, 64 * 1024);
    }
}

/// `layout` from mimalloc: `plain_call(size)` where that is aligned
/// enough, else `aligned_call(size, align)`.
///
/// # Safety
/// `layout` has a non-zero size.
#[inline]
unsafe fn allocate(
    layout: Layout,
    plain_call: unsafe extern "C" fn(usize) -> *mut c_void,
    aligned_call: unsafe extern "C" fn(usize, usize) -> *mut c_void,
) -> *mut u8 {
    // SAFETY: mimalloc's allocation calls, for a non-zero size.
    unsafe {
        if plain(layout.align(), layout.size()) {
            plain_call(layout.size()).cast()
        } else {
            aligned_call(layout.size(), layout.align()).cast()
        }
    }
}

/// The alignment of every mimalloc block of at least this many bytes.
const MI_MIN_ALIGN: usize = 16;

/// Whether a plain `mi_malloc` of `size` bytes is aligned to `align`.
fn plain(align: usize, size: usize) -> bool {
    align <= MI_MIN_ALIGN && align <= size
}

// SAFETY: every pointer comes from mimalloc for the layout's size with at
// least the layout's alignment (`plain`, or mimalloc's aligned calls) and
// goes back to it.
unsafe impl GlobalAlloc for MiMalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: a non-zero size (the caller's contract).
        unsafe { allocate(layout, mi_malloc, mi_malloc_aligned) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as in `alloc`.
        unsafe { allocate(layout, mi_zalloc, mi_zalloc_aligned) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` came from this allocator (the caller's contract).
        unsafe { mi_free(ptr.cast()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from this allocator with `layout`; a plain
        // reallocation keeps the block or moves it to one `plain` vouches
        // for, an aligned one keeps the alignment.
        unsafe {
            if plain(layout.align(), new_size) {
                mi_realloc(ptr.cast(), new_size).cast()
            } else {
                mi_realloc_aligned(ptr.cast(), new_size, layout.align()).cast()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The indices `configure` sets are the purge delay and the arena
    /// reserve of the mimalloc built here, by their documented defaults
    /// (1000 ms, 1 GiB in KiB). A new `libmimalloc-sys` that renumbers its
    /// options fails this instead of quietly setting others.
    #[test]
    fn configure_sets_the_purge_delay_and_the_arena_reserve() {
        for (var, option, default) in [
            ("MIMALLOC_PURGE_DELAY", MI_OPTION_PURGE_DELAY, 1000),
            ("MIMALLOC_ARENA_RESERVE", MI_OPTION_ARENA_RESERVE, 1024 * 1024),
        ] {
            if std::env::var_os(var).is_some() {
                continue;
            }
            // SAFETY: reads one of mimalloc's options.
            let got = unsafe { libmimalloc_sys::mi_option_get(option) };
            assert_eq!(got, default, "{var}");
        }
    }

    /// Every size and alignment, allocated, zeroed, and reallocated to
    /// every other size (across the plain/aligned boundary both ways),
    /// comes back aligned and keeps its bytes.
    #[test]
    fn every_layout_comes_back_aligned_and_keeps_its_bytes() {
        let a = MiMalloc;
        let sizes = [1usize, 2, 3, 7, 8, 12, 15, 16, 17, 24, 40, 48, 100, 1000, 1280, 4096, 70_000];
        for align in [1usize, 2, 4, 8, 16, 32, 64, 4096] {
            for &size in &sizes {
                let layout = Layout::from_size_align(size, align).unwrap();
                // SAFETY: non-zero sizes; each pointer is checked before
                // use, written and read within its current size, and freed
                // with the layout it has then.
                unsafe {
                    let aligned = |p: *mut u8| !p.is_null() && (p as usize).is_multiple_of(align);
                    let z = a.alloc_zeroed(layout);
                    assert!(aligned(z), "zeroed {size} / {align}");
                    assert!(std::slice::from_raw_parts(z, size).iter().all(|&b| b == 0));
                    a.dealloc(z, layout);
                    let mut p = a.alloc(layout);
                    assert!(aligned(p), "{size} / {align}");
                    let fill = |p: *mut u8, n: usize| (0..n).for_each(|i| *p.add(i) = i as u8);
                    let holds = |p: *mut u8, n: usize| (0..n).all(|i| *p.add(i) == i as u8);
                    fill(p, size);
                    for &new in &sizes {
                        for (from, to) in [(size, new), (new, size)] {
                            let was = Layout::from_size_align(from, align).unwrap();
                            p = a.realloc(p, was, to);
                            assert!(aligned(p), "{from} -> {to} / {align}");
                            assert!(holds(p, from.min(to)), "{from} -> {to} / {align}");
                            fill(p, to);
                        }
                    }
                    a.dealloc(p, layout);
                }
            }
        }
        assert!(plain(8, 8) && plain(16, 24) && !plain(16, 8) && !plain(32, 64));
    }
}
