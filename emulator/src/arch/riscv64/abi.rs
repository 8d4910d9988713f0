//! riscv64 Linux syscall ABI: `ecall`, number in a7, arguments in a0–a5,
//! result in a0 as `-errno` on failure. Numbers from the generic table
//! (`include/uapi/asm-generic/unistd.h`, in `arch::generic_abi`).

use super::regs::{A0, A1, A2, A3, A4, A5, A7};
use crate::arch::generic_abi::{GENERIC_LEN, generic_with};
use crate::arch::{ErrorConvention, SyscallAbi, Sysno};

/// The generic table plus riscv64's one private call.
pub static SYSCALLS: [(u32, Sysno); GENERIC_LEN + 1] =
    generic_with([(259, Sysno::RiscvFlushIcache)]);

pub static ABI: SyscallAbi = SyscallAbi {
    number: A7,
    args: &[A0, A1, A2, A3, A4, A5],
    stack_args_offset: None,
    ret: A0,
    error: ErrorConvention::NegativeErrno,
    table: &SYSCALLS,
};
