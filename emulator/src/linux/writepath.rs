//! Write paths: how a device `read()` (MTD flash) delivers its bytes into
//! the guest buffer, in chunks of `Kernel::mtd_chunk` bytes.
//!
//! - `host`: [`AddressSpace::write_debug`], like QEMU's
//!   `cpu_memory_rw_debug`. It ignores page protections and invalidates
//!   translated code it overwrites; a chunk landing on an executable (or
//!   translated) page records `HostWriteCodePage`, one on another page the
//!   guest cannot write records `HostWriteReadOnly`.
//! - `checked`: [`AddressSpace::write_checked`] (`copy_to_user`); a fault
//!   is EFAULT and no guest instruction runs.
//! - `portal`: the chunk is staged in a portal mapped into the process and
//!   the frontend's copy stub (`arch::PortalStub`) copies it with guest
//!   loads and stores, so it counts instructions, is visible to
//!   instrumentation and takes real faults. A fault is EFAULT; the host
//!   never writes the buffer itself. An arch without a stub gets EIO here
//!   (the machine refuses such cells before they start).
//!
//! Like Linux's mtdchar, the file position has already moved past the bytes
//! when a chunk faults, and the whole `read()` fails with EFAULT.
//!
//! Portal layout, at a fixed address per word size ([`portal_base`]),
//! between the top-down mmap area and the stack: one page holding the stub
//! (read + execute), then staging pages (read-only for the guest). It is
//! mapped on first use and remapped if the guest unmapped or changed it.

use super::errno::Errno;
use super::{Kernel, Process};
use crate::arch::PORTAL_DONE_SYSCALL;
use crate::engine::StopReason;
use crate::events::Event;
use crate::mem::{PAGE_MASK, PAGE_SIZE, Perms};
use crate::types::WritePath;

/// Largest chunk: bounds the staging area.
pub const MAX_CHUNK: u64 = 1 << 20;

/// Guest address of the portal (its stub page) for a word size.
pub const fn portal_base(is_64bit: bool) -> u64 {
    if is_64bit { 0x3f_f800_0000 } else { 0x7800_0000 }
}

// The ELF interpreter loads below the signal trampoline page (one page
// under the portal) with 64 MiB to spare, so neither page ever lands on a
// loader's code.
const _: () = assert!(crate::loader::INTERP_BASE_64 + (64 << 20) <= portal_base(true) - PAGE_SIZE);
const _: () = assert!(crate::loader::INTERP_BASE_32 + (8 << 20) <= portal_base(false) - PAGE_SIZE);

/// Deliver `data` to guest address `buf` through the kernel's write path.
pub(super) fn deliver(k: &mut Kernel, p: &mut Process, buf: u64, data: &[u8]) -> Result<(), Errno> {
    let chunk = k.mtd_chunk.clamp(1, MAX_CHUNK) as usize;
    for (i, part) in data.chunks(chunk).enumerate() {
        let addr = buf.wrapping_add((i * chunk) as u64);
        let len = part.len() as u64;
        let written = match k.write_path {
            WritePath::Host => p.mem.write_debug(addr, part),
            WritePath::Checked => p.mem.write_checked(addr, part),
            WritePath::Portal => {
                portal_copy(k, p, addr, part)?;
                continue;
            }
        };
        if let Some(h) = &k.plugins {
            let report = written.as_ref().ok();
            h.borrow_mut().host_write(&crate::plugin::HostWrite {
                pid: p.pid,
                addr,
                len,
                path: k.write_path,
                failed: written.is_err(),
                hit_code: report.is_some_and(|r| r.hit_code || r.hit_exec),
                hit_readonly: report.is_some_and(|r| r.hit_readonly),
            });
        }
        let report = written?;
        if k.write_path == WritePath::Host {
            if report.hit_code || report.hit_exec {
                k.events.push(Event::HostWriteCodePage { pid: p.pid, addr, len });
            } else if report.hit_readonly {
                k.events.push(Event::HostWriteReadOnly { pid: p.pid, addr, len });
            }
        }
    }
    Ok(())
}

/// Map (or repair) the portal so that it holds the stub and at least
/// `staging` bytes of staging pages.
fn ensure_portal(p: &mut Process, code: &[u8], staging: u64) -> Result<(), Errno> {
    let base = portal_base(p.arch.is_64bit());
    let need = ((staging + PAGE_SIZE - 1) & PAGE_MASK).max(PAGE_SIZE);
    let staged_ok = |p: &Process| {
        (0..need / PAGE_SIZE).all(|i| p.mem.perms(base + PAGE_SIZE * (1 + i)) == Some(Perms::R))
    };
    if p.portal_len < need || p.mem.perms(base) != Some(Perms::RX) || !staged_ok(p) {
        let to_errno = |_| Errno::ENOMEM;
        // Bohr's own pages, named as such in /proc/<pid>/maps.
        let name = || crate::mem::Backing::Kernel("[bohr-portal]");
        p.mem.map_backed(base, PAGE_SIZE, Perms::RX, name()).map_err(to_errno)?;
        p.mem.map_backed(base + PAGE_SIZE, need, Perms::R, name()).map_err(to_errno)?;
        p.portal_len = need;
    }
    let mut current = vec![0u8; code.len()];
    p.mem.read_debug(base, &mut current)?;
    if current != code {
        p.mem.write_debug(base, code)?;
    }
    Ok(())
}

/// Copy `data` to `dst` by running the frontend's stub in the process.
fn portal_copy(k: &Kernel, p: &mut Process, dst: u64, data: &[u8]) -> Result<(), Errno> {
    let stub = p.frontend.portal_copy_stub().ok_or(Errno::EIO)?;
    ensure_portal(p, stub.code, data.len() as u64)?;
    let base = portal_base(p.arch.is_64bit());
    let staging = base + PAGE_SIZE;
    p.mem.write_debug(staging, data)?;

    let saved = p.cpu.clone();
    p.cpu.regs[stub.src.0 as usize] = staging;
    p.cpu.regs[stub.dst.0 as usize] = dst;
    p.cpu.regs[stub.len.0 as usize] = data.len() as u64;
    p.cpu.pc = base;
    let done_pc = base + stub.code.len() as u64;
    let number = p.frontend.syscall_abi().number;
    // Generous: the stub needs about 6 instructions per byte at worst.
    let budget = 64 + 8 * data.len() as u64;
    let start = p.cpu.icount;
    let result = loop {
        let used = p.cpu.icount - start;
        if used >= budget {
            break Err(Errno::EIO);
        }
        match p.engine.run(&mut p.cpu, &mut p.mem, budget - used) {
            StopReason::FuelExhausted => {}
            StopReason::Syscall => {
                let done =
                    p.cpu.pc == done_pc && p.cpu.regs[number.0 as usize] == PORTAL_DONE_SYSCALL;
                break if done { Ok(()) } else { Err(Errno::EIO) };
            }
            StopReason::Fault(f) => {
                if let Some(h) = &k.plugins {
                    h.borrow_mut().fault(&crate::plugin::FaultEvent {
                        pid: p.pid,
                        pc: p.cpu.pc,
                        signal: 11,
                        addr: Some(f.addr),
                        access: f.access.name(),
                        handled: true,
                    });
                }
                break Err(Errno::EFAULT);
            }
            StopReason::Trap(_) => break Err(Errno::EIO),
        }
    };
    // Nothing of the stub stays visible but the instructions it retired.
    let retired = p.cpu.icount - start;
    p.cpu = saved;
    p.cpu.icount += retired;
    result
}
