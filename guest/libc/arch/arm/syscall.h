/* 32-bit ARM EABI system call numbers (arch/arm/tools/syscall.tbl). */
#ifndef BOHR_ARCH_SYSCALL_H
#define BOHR_ARCH_SYSCALL_H

#define SYS_read          3
#define SYS_write         4
#define SYS_close         6
#define SYS_lseek        19
#define SYS_ioctl        54
#define SYS_munmap       91
#define SYS_mmap2       192
#define SYS_exit_group  248
#define SYS_clone 120
#define SYS_wait4 114
#define SYS_openat      322
#define SYS_arm_cacheflush 0xf0002   /* __ARM_NR_cacheflush */

#define ARCH_NAME "armel"
#define ARCH_64BIT 0

#endif
