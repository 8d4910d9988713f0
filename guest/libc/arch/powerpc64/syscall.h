/* powerpc64 system call numbers (arch/powerpc/kernel/syscalls/syscall.tbl). */
#ifndef BOHR_ARCH_SYSCALL_H
#define BOHR_ARCH_SYSCALL_H

#define SYS_read         3
#define SYS_write        4
#define SYS_close        6
#define SYS_lseek       19
#define SYS_ioctl       54
#define SYS_mmap        90
#define SYS_munmap      91
#define SYS_exit_group 234
#define SYS_clone 120
#define SYS_wait4 114
#define SYS_openat     286

#define ARCH_NAME "powerpc64"
#define ARCH_64BIT 1
/* powerpc uses 3 direction bits: _IOC_READ is 2 << 29. */
#define ARCH_IOC_PPC_MIPS 1

#endif
