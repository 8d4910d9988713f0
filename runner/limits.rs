//! The default resource limits of a guest world on this host, and the one
//! formula behind them (the README's "Limits" section repeats it).
//!
//! A cell's memory budget defaults to half of the host's memory shared
//! among the `--jobs` cells that run at once, between [`MIN_MEMORY`] and
//! [`MAX_MEMORY`], rounded down to a whole MiB:
//! `clamp(MemTotal / 2 / jobs, 256 MiB, 4 GiB)`. So all parallel cells
//! together commit at most half of the host's memory (above the floor).
//! A matrix's `memory`, or `--memory` on `bohr sh` and `bohr exec`, makes
//! the budget fixed, so that a cell that reaches it replays alike on any
//! host. Task and file-layer limits are fixed defaults
//! (`bohr_emu::linux::limits`).

use bohr_emu::machine::Limits;

/// The smallest default budget: what the shipped matrices' programs need
/// with room to spare, even on a small host with many jobs.
pub const MIN_MEMORY: u64 = 256 << 20;
/// The largest default budget: what one 32-bit guest process can map.
pub const MAX_MEMORY: u64 = 4 << 30;

/// Bounds of a budget a user sets: a process needs its stack (8 MiB) and
/// image; 64 GiB bounds a cell of many 64-bit processes.
pub const LOWEST_MEMORY: u64 = 16 << 20;
/// The largest budget a user may set (see [`LOWEST_MEMORY`]).
pub const HIGHEST_MEMORY: u64 = 64 << 30;
/// Largest file layer: it lives in host memory.
pub const HIGHEST_DISK: u64 = 16 << 30;
/// Largest task limit: each 64-bit process reserves 256 GiB of host
/// address space, and an x86-64 host has 128 TiB.
pub const HIGHEST_TASKS: u32 = 512;

/// The limit flags of `bohr sh` and `bohr exec`, as a matrix's `memory`,
/// `max_tasks` and `disk`.
#[derive(clap::Args, Clone, Debug)]
pub struct LimitArgs {
    /// Committed guest memory over all processes, e.g. 512MiB (default:
    /// half of the host's memory, between 256MiB and 4GiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_memory)]
    pub memory: Option<u64>,
    /// Processes (and threads) alive or unreaped at once; fork gets EAGAIN past it.
    #[arg(long, value_name = "N", default_value_t = bohr_emu::linux::limits::DEFAULT_MAX_TASKS,
          value_parser = clap::value_parser!(u32).range(1..=HIGHEST_TASKS as i64))]
    pub max_tasks: u32,
    /// Bytes the writable file layer holds; writes get ENOSPC past it.
    #[arg(long, value_name = "SIZE", default_value = "256MiB", value_parser = parse_disk)]
    pub disk: u64,
}

impl LimitArgs {
    /// The limits of a run alone on the host (one job).
    pub fn limits(&self) -> Limits {
        Limits {
            memory: self.memory.unwrap_or_else(|| default_memory(1)),
            max_tasks: self.max_tasks,
            disk: self.disk,
        }
    }
}

/// A size between `lo` and `hi`, or a message saying why not.
pub fn size_between(s: &str, lo: u64, hi: u64) -> Result<u64, String> {
    let n = crate::units::parse_size(s).map_err(|e| e.to_string())?;
    if n < lo || n > hi {
        return Err(format!("must be between {} and {}", show_size(lo), show_size(hi)));
    }
    Ok(n)
}

fn parse_memory(s: &str) -> Result<u64, String> {
    size_between(s, LOWEST_MEMORY, HIGHEST_MEMORY)
}

fn parse_disk(s: &str) -> Result<u64, String> {
    size_between(s, 0, HIGHEST_DISK)
}

/// `n` bytes in the largest binary unit that divides it.
pub fn show_size(n: u64) -> String {
    for (unit, shift) in [("GiB", 30), ("MiB", 20), ("KiB", 10)] {
        if n != 0 && n.trailing_zeros() >= shift {
            return format!("{}{unit}", n >> shift);
        }
    }
    format!("{n} bytes")
}

/// The host's memory in bytes (`MemTotal` of `/proc/meminfo`), if known.
pub fn host_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    parse_mem_total(&text)
}

fn parse_mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line["MemTotal:".len()..].trim().strip_suffix("kB")?.trim().parse().ok()?;
    kib.checked_mul(1024)
}

/// The default memory budget of each of `jobs` parallel cells on a host
/// with `host` bytes of memory (the floor when unknown).
pub fn memory_for(host: Option<u64>, jobs: usize) -> u64 {
    let share = host.map_or(MIN_MEMORY, |h| h / 2 / jobs.max(1) as u64);
    share.clamp(MIN_MEMORY, MAX_MEMORY) & !((1 << 20) - 1)
}

/// [`memory_for`] on this host.
pub fn default_memory(jobs: usize) -> u64 {
    memory_for(host_memory(), jobs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_the_host_shared_by_the_jobs_within_bounds() {
        let gib = 1u64 << 30;
        assert_eq!(memory_for(Some(24 * gib), 2), 4 * gib);
        assert_eq!(memory_for(Some(24 * gib), 8), 1536 << 20);
        assert_eq!(memory_for(Some(gib), 4), MIN_MEMORY);
        assert_eq!(memory_for(None, 1), MIN_MEMORY);
        assert_eq!(memory_for(Some(24 * gib + 12345), 7) % (1 << 20), 0);
        assert_eq!(memory_for(Some(24 * gib), 0), 4 * gib);
    }

    #[test]
    fn reads_mem_total() {
        let text = "MemTotal:       24576000 kB\nMemFree:        1 kB\n";
        assert_eq!(parse_mem_total(text), Some(24_576_000 * 1024));
        assert_eq!(parse_mem_total("nothing"), None);
    }
}
