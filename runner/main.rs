//! The `bohr` binary: parses the command line and hands off to the library.

/// mimalloc instead of glibc's malloc: cells run on worker threads, and
/// glibc grows a thread's arena one `mprotect` at a time (hundreds per
/// busybox cell) and returns its pages eagerly, so the same pages fault in
/// again. A busybox read-back cell ran 8-13 % faster with mimalloc.
#[global_allocator]
static GLOBAL: alloc::MiMalloc = alloc::MiMalloc;

mod alloc;

/// `mi_option_purge_delay` in the `mi_option_e` of the mimalloc that the
/// pinned `libmimalloc-sys` builds (its Rust bindings leave it out).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() {
    // Freed memory stays with the process for reuse instead of going back
    // to the system (-1: never purge). A matrix frees and allocates the
    // same amounts cell after cell; giving pages back made later cells
    // fault them in again, zeroing huge pages anew, and each `madvise`
    // cost a TLB shootdown on the other runner thread's CPU. Any positive
    // delay still purged about as often as the default. The firmware
    // matrix ran about 4 % faster this way; its peak resident memory was
    // 211 MB, against 194 MB purging and 137 MB with glibc's malloc.
    // SAFETY: sets one of mimalloc's options before anything else runs;
    // it only changes when freed memory is given back.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    std::process::exit(bohr::cli::main());
}

#[cfg(test)]
mod tests {
    /// The index `main` sets is the purge delay of the mimalloc built
    /// here: that option's documented default is 1000 ms. A new
    /// `libmimalloc-sys` that renumbers its options fails this instead of
    /// quietly setting another one.
    #[test]
    fn main_sets_the_purge_delay() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        // SAFETY: reads one of mimalloc's options.
        let delay = unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
        assert_eq!(delay, 1000);
    }
}
