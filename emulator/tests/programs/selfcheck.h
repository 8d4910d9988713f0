/* selfcheck.h: what the selfcheck programs (aarch64, armel, riscv64)
   share: fixed-width types, the copy and clear functions the compiler may
   call even freestanding, and the output of checks (`ok NAME`, or `FAIL
   NAME got X want Y`, counted in `failures`).

   The including program defines `out` (write bytes to stdout) with its own
   system call. */

typedef __UINT64_TYPE__ u64;
typedef __INT64_TYPE__ i64;
typedef unsigned int u32;
typedef int i32;
typedef unsigned short u16;
typedef short i16;
typedef unsigned char u8;
typedef signed char i8;
typedef __SIZE_TYPE__ usize;

static void out(const char *s, usize n);

void *memcpy(void *d, const void *s, usize n)
{
	u8 *dp = d;
	const u8 *sp = s;
	while (n--)
		*dp++ = *sp++;
	return d;
}

void *memset(void *d, int c, usize n)
{
	u8 *dp = d;
	while (n--)
		*dp++ = (u8)c;
	return d;
}

static usize slen(const char *s)
{
	usize n = 0;
	while (s[n])
		n++;
	return n;
}

static void say(const char *s) { out(s, slen(s)); }

static void puthex(u64 v)
{
	char b[18];
	int i;
	b[0] = '0';
	b[1] = 'x';
	for (i = 0; i < 16; i++)
		b[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
	out(b, 18);
}

static int failures;

static void check(const char *name, u64 got, u64 want)
{
	if (got == want) {
		say("ok ");
		say(name);
		say("\n");
	} else {
		failures++;
		say("FAIL ");
		say(name);
		say(" got ");
		puthex(got);
		say(" want ");
		puthex(want);
		say("\n");
	}
}
