/* MIPS o32 system call numbers (base 4000, arch/mips/kernel/syscalls/syscall_o32.tbl). */
#ifndef BOHR_ARCH_SYSCALL_H
#define BOHR_ARCH_SYSCALL_H

#define SYS_read       4003
#define SYS_write      4004
#define SYS_close      4006
#define SYS_lseek      4019
#define SYS_ioctl      4054
#define SYS_munmap     4091
#define SYS_mmap2      4210
#define SYS_exit_group 4246
#define SYS_clone 4120
#define SYS_wait4 4114
#define SYS_openat     4288

#if defined(__MIPSEB__)
#define ARCH_NAME "mipseb"
#else
#define ARCH_NAME "mipsel"
#endif
#define ARCH_64BIT 0
/* mips uses 3 direction bits: _IOC_READ is 2 << 29. */
#define ARCH_IOC_PPC_MIPS 1
/* mips differs from the generic values. */
#define ARCH_MAP_ANONYMOUS 0x800
#define ARCH_O_CREAT 0x100
#define ARCH_MIPS_ERRNO 1
#define ARCH_SIGCHLD 18

#endif
