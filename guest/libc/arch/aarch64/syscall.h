/* aarch64: generic (asm-generic/unistd.h) system call numbers. */
#ifndef BOHR_ARCH_SYSCALL_H
#define BOHR_ARCH_SYSCALL_H

#define SYS_ioctl       29
#define SYS_openat      56
#define SYS_close       57
#define SYS_lseek       62
#define SYS_read        63
#define SYS_write       64
#define SYS_exit_group  94
#define SYS_clone 220
#define SYS_wait4 260
#define SYS_munmap     215
#define SYS_mmap       222

#define ARCH_NAME "aarch64"
#define ARCH_64BIT 1

#endif
