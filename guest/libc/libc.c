/* Minimal freestanding libc for the Bohr guest programs. */
#include "libc.h"

struct obuf out_stdout = { STDOUT_FILENO, 0, { 0 } };
struct obuf out_stderr = { STDERR_FILENO, 0, { 0 } };

__attribute__((noreturn)) void sys_exit_group(int code)
{
	for (;;)
		__sys(SYS_exit_group, code, 0, 0, 0, 0, 0);
}

__attribute__((noreturn)) void exit(int code)
{
	o_flush(&out_stdout);
	o_flush(&out_stderr);
	sys_exit_group(code);
}

/* Called from _start with a pointer to argc on the initial stack. */
__attribute__((noreturn, used)) void __start_c(long *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);
	exit(main(argc, argv));
}

#ifdef __arm__
/* libgcc's division helpers call these on division by zero; defining them
   keeps libgcc's versions (which need raise()) out of the link. */
int __aeabi_idiv0(int r)
{
	return r;
}
long long __aeabi_ldiv0(long long r)
{
	return r;
}
#endif

/* ---- memory and strings ---- */

void *memcpy(void *dst, const void *src, size_t n)
{
	u8 *d = dst;
	const u8 *s = src;
	while (n--)
		*d++ = *s++;
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	u8 *d = dst;
	const u8 *s = src;
	if (d < s) {
		while (n--)
			*d++ = *s++;
	} else if (d > s) {
		while (n) {
			n--;
			d[n] = s[n];
		}
	}
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	u8 *d = dst;
	while (n--)
		*d++ = (u8)c;
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const u8 *x = a, *y = b;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}

size_t strlen(const char *s)
{
	const char *p = s;
	while (*p)
		p++;
	return (size_t)(p - s);
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (int)(u8)*a - (int)(u8)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (int)(u8)*a - (int)(u8)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (!*s)
			return NULL;
	}
}

const char *memmem_(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	size_t i;
	if (nlen == 0)
		return hay;
	if (hlen < nlen)
		return NULL;
	for (i = 0; i + nlen <= hlen; i++)
		if (hay[i] == needle[0] && memcmp(hay + i, needle, nlen) == 0)
			return hay + i;
	return NULL;
}

void *mem_alloc(size_t n)
{
	void *p = sys_mmap(NULL, (n + PAGE_SIZE - 1) & ~(size_t)(PAGE_SIZE - 1),
			   PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mmap_failed(p)) {
		report_error("libc", "mmap", (long)p);
		exit(2);
	}
	return p;
}

void mem_free(void *p, size_t n)
{
	if (p)
		sys_munmap(p, (n + PAGE_SIZE - 1) & ~(size_t)(PAGE_SIZE - 1));
}

/* ---- numbers ---- */

/* Division by 10 without a libgcc call on the 32-bit targets
   (Hacker's Delight, divu10). */
u64 udivmod10(u64 n, unsigned *rem)
{
	u64 q = (n >> 1) + (n >> 2);
	u64 r;
	q += q >> 4;
	q += q >> 8;
	q += q >> 16;
	q += q >> 32;
	q >>= 3;
	r = n - ((q << 3) + (q << 1));
	if (r > 9) {
		q++;
		r -= 10;
	}
	*rem = (unsigned)r;
	return q;
}

int parse_u64(const char *s, u64 *out)
{
	u64 v = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (d > 9)
			return -1;
		if (v > 1844674407370955161ull || (v == 1844674407370955161ull && d > 5))
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int parse_size(const char *s, u64 *out)
{
	char digits[24];
	size_t n = 0;
	u64 v, mult = 1;
	const char *suf;
	while (s[n] >= '0' && s[n] <= '9') {
		if (n + 1 >= sizeof digits)
			return -1;
		digits[n] = s[n];
		n++;
	}
	digits[n] = 0;
	if (parse_u64(digits, &v) < 0)
		return -1;
	suf = s + n;
	if (!*suf)
		mult = 1;
	else if (!strcmp(suf, "c"))
		mult = 1;
	else if (!strcmp(suf, "w"))
		mult = 2;
	else if (!strcmp(suf, "b"))
		mult = 512;
	else if (!strcmp(suf, "k") || !strcmp(suf, "K") || !strcmp(suf, "KiB"))
		mult = 1024;
	else if (!strcmp(suf, "M") || !strcmp(suf, "MiB"))
		mult = 1024 * 1024;
	else if (!strcmp(suf, "G") || !strcmp(suf, "GiB"))
		mult = 1024 * 1024 * 1024;
	else if (!strcmp(suf, "kB") || !strcmp(suf, "KB"))
		mult = 1000;
	else if (!strcmp(suf, "MB"))
		mult = 1000 * 1000;
	else if (!strcmp(suf, "GB"))
		mult = 1000 * 1000 * 1000;
	else
		return -1;
	if (v && mult > ~0ull / v)
		return -1;
	*out = v * mult;
	return 0;
}

/* ---- buffered output ---- */

void o_flush(struct obuf *o)
{
	unsigned done = 0;
	while (done < o->len) {
		ssize_t r = sys_write(o->fd, o->buf + done, o->len - done);
		if (r <= 0) {
			/* Output is gone (e.g. EPIPE): nothing sensible left to do. */
			o->len = 0;
			sys_exit_group(1);
		}
		done += (unsigned)r;
	}
	o->len = 0;
}

void o_write(struct obuf *o, const void *p, size_t n)
{
	const char *s = p;
	while (n) {
		size_t room = sizeof o->buf - o->len;
		if (room == 0) {
			o_flush(o);
			continue;
		}
		if (room > n)
			room = n;
		memcpy(o->buf + o->len, s, room);
		o->len += (unsigned)room;
		s += room;
		n -= room;
	}
}

void o_putc(struct obuf *o, char c)
{
	if (o->len == sizeof o->buf)
		o_flush(o);
	o->buf[o->len++] = c;
}

void o_puts(struct obuf *o, const char *s)
{
	o_write(o, s, strlen(s));
}

static int fmt_u64(char *end, u64 v)
{
	int n = 0;
	do {
		unsigned r;
		v = udivmod10(v, &r);
		*--end = (char)('0' + r);
		n++;
	} while (v);
	return n;
}

void o_u64_pad(struct obuf *o, u64 v, int width, char pad)
{
	char tmp[24];
	int n = fmt_u64(tmp + sizeof tmp, v);
	for (; width > n; width--)
		o_putc(o, pad);
	o_write(o, tmp + sizeof tmp - n, (size_t)n);
}

void o_u64(struct obuf *o, u64 v)
{
	o_u64_pad(o, v, 0, ' ');
}

void o_i64(struct obuf *o, i64 v)
{
	if (v < 0) {
		o_putc(o, '-');
		o_u64(o, (u64)0 - (u64)v);
	} else {
		o_u64(o, (u64)v);
	}
}

void o_hex(struct obuf *o, u64 v, int width)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[16];
	int n = 0;
	do {
		tmp[15 - n] = digits[v & 15];
		v >>= 4;
		n++;
	} while (v);
	for (; width > n; width--)
		o_putc(o, '0');
	o_write(o, tmp + 16 - n, (size_t)n);
}

/* ---- errors ---- */

struct errent {
	short num;
	char name[14];
};

static const struct errent errtab[] = {
	{ 1, "EPERM" }, { 2, "ENOENT" }, { 3, "ESRCH" }, { 4, "EINTR" },
	{ 5, "EIO" }, { 6, "ENXIO" }, { 7, "E2BIG" }, { 8, "ENOEXEC" },
	{ 9, "EBADF" }, { 10, "ECHILD" }, { 11, "EAGAIN" }, { 12, "ENOMEM" },
	{ 13, "EACCES" }, { 14, "EFAULT" }, { 15, "ENOTBLK" }, { 16, "EBUSY" },
	{ 17, "EEXIST" }, { 18, "EXDEV" }, { 19, "ENODEV" }, { 20, "ENOTDIR" },
	{ 21, "EISDIR" }, { 22, "EINVAL" }, { 23, "ENFILE" }, { 24, "EMFILE" },
	{ 25, "ENOTTY" }, { 26, "ETXTBSY" }, { 27, "EFBIG" }, { 28, "ENOSPC" },
	{ 29, "ESPIPE" }, { 30, "EROFS" }, { 31, "EMLINK" }, { 32, "EPIPE" },
	{ 33, "EDOM" }, { 34, "ERANGE" },
#ifdef ARCH_MIPS_ERRNO
	{ 45, "EDEADLK" }, { 46, "ENOLCK" }, { 78, "ENAMETOOLONG" },
	{ 79, "EOVERFLOW" }, { 89, "ENOSYS" }, { 90, "ELOOP" },
	{ 93, "ENOTEMPTY" }, { 122, "EOPNOTSUPP" },
#else
	{ 35, "EDEADLK" }, { 36, "ENAMETOOLONG" }, { 37, "ENOLCK" },
	{ 38, "ENOSYS" }, { 39, "ENOTEMPTY" }, { 40, "ELOOP" },
	{ 75, "EOVERFLOW" }, { 95, "EOPNOTSUPP" },
#endif
};

const char *errname(long err)
{
	static char unknown[24];
	size_t i;
	char *p;
	if (err < 0)
		err = -err;
	for (i = 0; i < sizeof errtab / sizeof errtab[0]; i++)
		if (errtab[i].num == err)
			return errtab[i].name;
	/* "E#<number>" for anything not in the table. */
	p = unknown + sizeof unknown - 1;
	*p = 0;
	do {
		unsigned r;
		err = (long)udivmod10((u64)err, &r);
		*--p = (char)('0' + r);
	} while (err);
	*--p = '#';
	*--p = 'E';
	return p;
}

void report_error(const char *prog, const char *what, long err)
{
	o_flush(&out_stdout);
	err_puts(prog);
	err_puts(": ");
	err_puts(what);
	err_puts(": ");
	err_puts(errname(err));
	err_puts("\n");
	o_flush(&out_stderr);
}

void report_msg(const char *prog, const char *msg)
{
	o_flush(&out_stdout);
	err_puts(prog);
	err_puts(": ");
	err_puts(msg);
	err_puts("\n");
	o_flush(&out_stderr);
}

/* ---- input ---- */

int open_input(const char *name)
{
	if (name[0] == '-' && name[1] == 0)
		return STDIN_FILENO;
	return sys_open(name, O_RDONLY, 0);
}

ssize_t read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = sys_read(fd, (char *)buf + got, n - got);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

void lr_init(struct lreader *r, int fd)
{
	r->fd = fd;
	r->cap = 16384;
	r->buf = mem_alloc(r->cap);
	r->start = r->end = 0;
	r->eof = 0;
}

void lr_free(struct lreader *r)
{
	mem_free(r->buf, r->cap);
	r->buf = NULL;
}

ssize_t lr_getline(struct lreader *r, char **line)
{
	size_t scan = r->start;
	for (;;) {
		char *nl = NULL;
		size_t i;
		for (i = scan; i < r->end; i++)
			if (r->buf[i] == '\n') {
				nl = r->buf + i;
				break;
			}
		if (nl || (r->eof && r->end > r->start)) {
			size_t len = nl ? (size_t)(nl - (r->buf + r->start)) + 1 : r->end - r->start;
			*line = r->buf + r->start;
			r->start += len;
			return (ssize_t)len;
		}
		if (r->eof)
			return 0;
		scan = r->end;
		/* Make room: move the partial line to the front, or grow. */
		if (r->start > 0) {
			memmove(r->buf, r->buf + r->start, r->end - r->start);
			r->end -= r->start;
			scan -= r->start;
			r->start = 0;
		}
		if (r->end == r->cap) {
			size_t ncap = r->cap * 2;
			char *nb = mem_alloc(ncap);
			memcpy(nb, r->buf, r->end);
			mem_free(r->buf, r->cap);
			r->buf = nb;
			r->cap = ncap;
		}
		{
			ssize_t n = sys_read(r->fd, r->buf + r->end, r->cap - r->end);
			if (n < 0)
				return n;
			if (n == 0)
				r->eof = 1;
			else
				r->end += (size_t)n;
		}
	}
}
