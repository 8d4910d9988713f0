//! The `bohr` binary: parses the command line and hands off to the library.

/// mimalloc instead of glibc's malloc: cells run on worker threads, and
/// glibc grows a thread's arena one `mprotect` at a time (hundreds per
/// busybox cell) and returns its pages eagerly, so the same pages fault in
/// again. A busybox read-back cell ran 8-13 % faster with mimalloc.
#[global_allocator]
static GLOBAL: alloc::MiMalloc = alloc::MiMalloc;

mod alloc;

fn main() {
    std::process::exit(bohr::cli::main());
}
