/* Minimal freestanding libc for the Bohr guest programs.
   No C library is linked: system calls go through the per-architecture
   __sys trampoline in arch/<arch>/start.S. All wrappers return -errno on
   failure. */
#ifndef BOHR_LIBC_H
#define BOHR_LIBC_H

#include "syscall.h"

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef long long i64;
typedef unsigned long size_t;
typedef long ssize_t;
typedef unsigned long uptr;

#define NULL ((void *)0)

#define STDIN_FILENO 0
#define STDOUT_FILENO 1
#define STDERR_FILENO 2

#define AT_FDCWD (-100)
#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#ifdef ARCH_O_CREAT
#define O_CREAT ARCH_O_CREAT
#else
#define O_CREAT 0100
#endif
#define O_TRUNC 01000 /* same value (0x200) on every supported arch */

#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2

#define PROT_NONE 0
#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define MAP_PRIVATE 2
#ifdef ARCH_MAP_ANONYMOUS
#define MAP_ANONYMOUS ARCH_MAP_ANONYMOUS
#else
#define MAP_ANONYMOUS 0x20
#endif
#define PAGE_SIZE 4096

/* ioctl request encoding (include/uapi/asm-generic/ioctl.h and the
   powerpc/mips variants with 13 size bits and 3 direction bits). */
#ifdef ARCH_IOC_PPC_MIPS
#define IOC_READ 2u
#define IOC_DIRSHIFT 29
#else
#define IOC_READ 2u
#define IOC_DIRSHIFT 30
#endif
#define IOR(type, nr, size) \
	((IOC_READ << IOC_DIRSHIFT) | ((u32)(size) << 16) | ((u32)(type) << 8) | (u32)(nr))

/* errno values used by name in the programs (1..34 are common to all
   Linux architectures). */
#define EPERM 1
#define ENOENT 2
#define EIO 5
#define EBADF 9
#define ENOMEM 12
#define EACCES 13
#define EFAULT 14
#define EISDIR 21
#define EINVAL 22
#define ENOTTY 25
#define ESPIPE 29
#define EPIPE 32

long __sys(long nr, long a1, long a2, long a3, long a4, long a5, long a6);

static inline ssize_t sys_read(int fd, void *buf, size_t n)
{
	return __sys(SYS_read, fd, (long)buf, (long)n, 0, 0, 0);
}
static inline ssize_t sys_write(int fd, const void *buf, size_t n)
{
	return __sys(SYS_write, fd, (long)buf, (long)n, 0, 0, 0);
}
static inline int sys_openat(int dirfd, const char *path, int flags, int mode)
{
	return (int)__sys(SYS_openat, dirfd, (long)path, flags, mode, 0, 0);
}
static inline int sys_open(const char *path, int flags, int mode)
{
	return sys_openat(AT_FDCWD, path, flags, mode);
}
static inline int sys_close(int fd)
{
	return (int)__sys(SYS_close, fd, 0, 0, 0, 0, 0);
}
/* On the 32-bit arches this is the plain lseek with a 32-bit offset. */
static inline long sys_lseek(int fd, long off, int whence)
{
	return __sys(SYS_lseek, fd, off, whence, 0, 0, 0);
}
static inline int sys_ioctl(int fd, unsigned long req, void *arg)
{
	return (int)__sys(SYS_ioctl, fd, (long)req, (long)arg, 0, 0, 0);
}
/* Returns the address, or a value in [-4095, -1] (as a pointer) on error. */
static inline void *sys_mmap(void *addr, size_t len, int prot, int flags, int fd, unsigned long off)
{
#ifdef SYS_mmap2
	return (void *)__sys(SYS_mmap2, (long)addr, (long)len, prot, flags, fd, (long)(off >> 12));
#else
	return (void *)__sys(SYS_mmap, (long)addr, (long)len, prot, flags, fd, (long)off);
#endif
}
static inline int mmap_failed(void *p)
{
	return (uptr)p > (uptr)-4096;
}
static inline int sys_munmap(void *addr, size_t len)
{
	return (int)__sys(SYS_munmap, (long)addr, (long)len, 0, 0, 0, 0);
}
__attribute__((noreturn)) void sys_exit_group(int code);
#ifndef ARCH_SIGCHLD
#define ARCH_SIGCHLD 17
#endif
/* fork as clone(SIGCHLD): the child gets 0; clone's other arguments are 0,
   so their per-arch order does not matter. */
static inline long sys_fork(void)
{
	return __sys(SYS_clone, ARCH_SIGCHLD, 0, 0, 0, 0, 0);
}
static inline long sys_wait4(long pid, int *status, int options, void *rusage)
{
	return __sys(SYS_wait4, pid, (long)status, options, (long)rusage, 0, 0);
}

/* Memory and strings. */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
/* First occurrence of needle in hay, or NULL. */
const char *memmem_(const char *hay, size_t hlen, const char *needle, size_t nlen);

/* Anonymous-mmap allocation (page granular). */
void *mem_alloc(size_t n);
void mem_free(void *p, size_t n);

/* Numbers. */
u64 udivmod10(u64 n, unsigned *rem);
/* Decimal digits only; returns 0 on success, -1 on error. */
int parse_u64(const char *s, u64 *out);
/* Decimal with an optional multiplier suffix: c=1 w=2 b=512 k/K=1024
   M=1024^2 G=1024^3, kB=1000 MB=1000^2 GB=1000^3. */
int parse_size(const char *s, u64 *out);
static inline int is_printable(int c)
{
	return c >= 0x20 && c < 0x7f;
}

/* Buffered output. */
struct obuf {
	int fd;
	unsigned len;
	char buf[4096];
};
extern struct obuf out_stdout, out_stderr;
void o_write(struct obuf *o, const void *p, size_t n);
void o_flush(struct obuf *o);
void o_putc(struct obuf *o, char c);
void o_puts(struct obuf *o, const char *s);
void o_u64(struct obuf *o, u64 v);
/* Right-aligned decimal in a field of at least width characters. */
void o_u64_pad(struct obuf *o, u64 v, int width, char pad);
/* Lower-case hexadecimal, zero-padded to width digits. */
void o_hex(struct obuf *o, u64 v, int width);
void o_i64(struct obuf *o, i64 v);

#define out_write(p, n) o_write(&out_stdout, (p), (n))
#define out_putc(c) o_putc(&out_stdout, (c))
#define out_puts(s) o_puts(&out_stdout, (s))
#define err_puts(s) o_puts(&out_stderr, (s))

/* Name of an errno value ("ENOENT"); errors are passed as positive or
   negative numbers. */
const char *errname(long err);
/* "PROG: WHAT: ENAME\n" on stderr. */
void report_error(const char *prog, const char *what, long err);
/* "PROG: MSG\n" on stderr. */
void report_msg(const char *prog, const char *msg);

/* Flush the output buffers and exit. */
__attribute__((noreturn)) void exit(int code);

/* Open for reading; "-" is standard input. Returns fd or -errno. */
int open_input(const char *name);
/* Read until n bytes or end of file; returns count or -errno. */
ssize_t read_full(int fd, void *buf, size_t n);

/* Line reader with a growing buffer. */
struct lreader {
	int fd;
	char *buf;
	size_t cap, start, end;
	int eof;
};
void lr_init(struct lreader *r, int fd);
void lr_free(struct lreader *r);
/* Next line including its '\n' (absent on a final unterminated line).
   Returns the length, 0 at end of input, or -errno. */
ssize_t lr_getline(struct lreader *r, char **line);

/* Hashes. */
struct sha256 {
	u32 h[8];
	u64 len;
	u8 block[64];
	unsigned fill;
};
void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *p, size_t n);
void sha256_final(struct sha256 *s, u8 out[32]);
u32 crc32_update(u32 crc, const void *p, size_t n);

int main(int argc, char **argv);

#endif
