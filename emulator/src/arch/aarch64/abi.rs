//! aarch64 Linux syscall ABI: `svc #0`, number in x8, arguments in x0–x5,
//! result in x0 as `-errno` on failure. The numbering is asm-generic's
//! (`arch::generic_abi`), plus `renameat`, which arm64 keeps and riscv64
//! dropped.

use super::regs::{X0, X1, X2, X3, X4, X5, X8};
use crate::arch::generic_abi::{GENERIC_LEN, generic_with};
use crate::arch::{ErrorConvention, SyscallAbi, Sysno};

/// The generic table plus `renameat`.
pub static SYSCALLS: [(u32, Sysno); GENERIC_LEN + 1] = generic_with([(38, Sysno::Renameat)]);

pub static ABI: SyscallAbi = SyscallAbi {
    number: X8,
    args: &[X0, X1, X2, X3, X4, X5],
    stack_args_offset: None,
    ret: X0,
    error: ErrorConvention::NegativeErrno,
    table: &SYSCALLS,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_numbers_without_riscv_private_ones() {
        assert_eq!(ABI.lookup(64), Some(Sysno::Write));
        assert_eq!(ABI.lookup(222), Some(Sysno::Mmap));
        assert_eq!(ABI.lookup(94), Some(Sysno::ExitGroup));
        assert_eq!(ABI.lookup(259), None);
    }
}
