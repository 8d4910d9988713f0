/* elfv1: a self-checking, freestanding powerpc64 ELFv1 program with its own
   _start and function descriptor, built independently of guest/.

   It checks what the kernel hands it (stack layout, auxv, r2 from the
   entry descriptor), calls through function descriptors and a jump table,
   and exercises arithmetic, CR/XER, rotate, atomic, byte-reversal and
   time-base instructions, each against a value worked out by hand. It
   prints one line per check and exits with the number of failures.

   Built by build.sh in this directory (gcc -O2 -static -nostdlib
   -ffreestanding -mabi=elfv1 -msoft-float); the binary is committed. */

typedef unsigned long u64;
typedef long i64;
typedef unsigned int u32;
typedef unsigned char u8;

/* _start: the ELFv1 entry point is the descriptor in .opd; its code gets
   r1 = &argc and r2 = the TOC from the descriptor. It hands both to
   cstart, keeping the original stack pointer for the alignment check. */
__asm__(
	"	.section .opd,\"aw\"\n"
	"	.align 3\n"
	"	.globl _start\n"
	"_start:\n"
	"	.quad .L._start, .TOC.@tocbase, 0\n"
	"	.previous\n"
	"	.text\n"
	"	.align 2\n"
	".L._start:\n"
	"	mr 3, 1\n"
	"	mr 4, 2\n"
	"	clrrdi 1, 1, 4\n"
	"	li 0, 0\n"
	"	stdu 0, -128(1)\n"
	"	bl cstart\n"
	"	nop\n"
	"	b .\n");

static long sys3(long nr, long a, long b, long c)
{
	register long r0 __asm__("r0") = nr;
	register long r3 __asm__("r3") = a;
	register long r4 __asm__("r4") = b;
	register long r5 __asm__("r5") = c;
	/* CR0.SO set means r3 holds a positive errno. */
	__asm__ volatile("sc\n\tbns+ 1f\n\tneg %1, %1\n1:"
			 : "+r"(r0), "+r"(r3), "+r"(r4), "+r"(r5)
			 :
			 : "r6", "r7", "r8", "r9", "r10", "r11", "r12", "cr0", "ctr", "xer",
			   "memory");
	return r3;
}

#define SYS_exit_group 234
#define SYS_write 4
#define SYS_close 6
#define SYS_getpid 20
#define SYS_openat 286
#define SYS_read 3
#define SYS_writev 146
#define SYS_pipe2 317
#define SYS_clock_gettime 246
#define SYS_uname 122
#define SYS_fstat 108
#define SYS_getrandom 359

static void out(const char *s, u64 n) { sys3(SYS_write, 1, (long)s, (long)n); }

static u64 slen(const char *s)
{
	u64 n = 0;
	while (s[n])
		n++;
	return n;
}

static void puts_(const char *s) { out(s, slen(s)); }

static void puthex(u64 v)
{
	char b[19];
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
		puts_("ok ");
		puts_(name);
		puts_("\n");
	} else {
		failures++;
		puts_("FAIL ");
		puts_(name);
		puts_(" got ");
		puthex(got);
		puts_(" want ");
		puthex(want);
		puts_("\n");
	}
}

/* Function descriptors: calls through this table load entry and TOC from
   each descriptor (ld, ld, mtctr, bctrl). */
typedef u64 (*binop)(u64, u64);
static u64 op_add(u64 a, u64 b) { return a + b; }
static u64 op_sub(u64 a, u64 b) { return a - b; }
static u64 op_mul(u64 a, u64 b) { return a * b; }
static u64 op_div(u64 a, u64 b) { return b ? a / b : 0; }
static binop volatile ops[4] = { op_add, op_sub, op_mul, op_div };

/* A dense switch with a different computation per case: a jump table
   through CTR (bctr). */
static __attribute__((noinline)) u64 classify(int c, u64 x)
{
	switch (c) {
	case 0: return x + 11;
	case 1: return x * 23;
	case 2: return x ^ 37;
	case 3: return x - 41;
	case 4: return x << 3;
	case 5: return x | 67;
	case 6: return x / 3;
	case 7: return x & 89;
	default: return 1;
	}
}

static __attribute__((noinline)) u64 fib(u64 n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static __attribute__((noinline)) u64 mulhi(u64 a, u64 b)
{
	return (u64)(((unsigned __int128)a * b) >> 64);
}

static __attribute__((noinline)) i64 smulhi(i64 a, i64 b)
{
	return (i64)(((__int128)a * b) >> 64);
}

static u64 cr_after_cmp(i64 a, i64 b)
{
	u64 cr;
	__asm__("cmpd 7, %1, %2\n\tmfcr %0" : "=r"(cr) : "r"(a), "r"(b) : "cr7");
	return cr & 0xf;
}

/* addc then adde: a 128-bit addition through XER[CA]. */
static void add128(u64 ah, u64 al, u64 bh, u64 bl, u64 *rh, u64 *rl)
{
	u64 h, l;
	__asm__("addc %1, %3, %5\n\tadde %0, %2, %4" : "=&r"(h), "=&r"(l) : "r"(ah), "r"(al), "r"(bh), "r"(bl) : "xer");
	*rh = h;
	*rl = l;
}

static u64 addo_xer(i64 a, i64 b)
{
	u64 x;
	__asm__("li %0, 0\n\tmtxer %0\n\taddo %0, %1, %2\n\tmfxer %0" : "=&r"(x) : "r"(a), "r"(b) : "xer");
	return x >> 29;
}

static u64 isel_eq(u64 a, u64 b, u64 x, u64 y)
{
	u64 r;
	__asm__("cmpd %1, %2\n\tisel %0, %3, %4, 2" : "=&r"(r) : "r"(a), "r"(b), "b"(x), "r"(y) : "cr0");
	return r;
}

static u64 popcnt(u64 v)
{
	u64 r;
	__asm__("popcntd %0, %1" : "=r"(r) : "r"(v));
	return r;
}

static u64 load_le64(const u64 *p)
{
	u64 r;
	__asm__("ldbrx %0, 0, %1" : "=r"(r) : "r"(p), "m"(*p));
	return r;
}

static u64 timebase(void)
{
	u64 t;
	__asm__ volatile("mftb %0" : "=r"(t));
	return t;
}

static u64 find_aux(u64 *auxv, u64 key)
{
	for (; auxv[0]; auxv += 2)
		if (auxv[0] == key)
			return auxv[1];
	return ~0UL;
}

/* Worked out independently (in Python) from the cases above. */
#define JUMP_TABLE_SUM 167179405UL

extern char _start[];
static volatile u64 counter;
static volatile u32 counter32;
static const u64 le_words[1] = { 0x0102030405060708UL };

void cstart(u64 *sp, u64 toc)
{
	u64 argc = sp[0];
	char **argv = (char **)(sp + 1);
	char **envp = argv + argc + 1;
	u64 *auxv;
	u64 i, t0, t1;
	union {
		u32 w;
		u8 b[4];
	} endian = { 0x11223344 };

	puts_("elfv1:");
	for (i = 1; i < argc; i++) {
		puts_(" ");
		puts_(argv[i]);
	}
	puts_("\n");

	/* The kernel's initial stack. */
	check("stack aligned", (u64)sp & 15, 0);
	check("argv terminated", (u64)argv[argc], 0);
	while (*envp)
		envp++;
	auxv = (u64 *)(envp + 1);
	check("auxv pagesz", find_aux(auxv, 6), 4096);
	check("auxv entry is the descriptor", find_aux(auxv, 9), (u64)_start);
	check("auxv dcache block", find_aux(auxv, 19), 128);
	check("auxv icache block", find_aux(auxv, 20), 128);
	check("auxv random present", find_aux(auxv, 25) != ~0UL && find_aux(auxv, 25) != 0, 1);
	/* r2 at entry is the TOC the descriptor names. */
	check("toc from descriptor", toc, ((u64 *)_start)[1]);
	check("big endian", endian.b[0], 0x11);

	/* Calls through descriptors and a jump table. */
	check("descriptor call add", ops[0](40, 2), 42);
	check("descriptor call sub", ops[1](40, 2), 38);
	check("descriptor call mul", ops[2](6, 7), 42);
	check("descriptor call div", ops[3](85, 2), 42);
	{
		u64 sum = 0;
		for (i = 0; i < 10; i++)
			sum = sum * 3 + classify((int)i, i * 1000 + 7);
		check("jump table", sum, JUMP_TABLE_SUM);
	}
	check("recursion", fib(20), 6765);

	/* Arithmetic and the condition register. */
	check("mulhdu", mulhi(0xffffffffffffffffUL, 0xffffffffffffffffUL), 0xfffffffffffffffeUL);
	check("mulhd", (u64)smulhi(-3, 0x4000000000000000L), 0xffffffffffffffffUL);
	check("divd", (u64)((i64)(u64)ops[0](0, -100) / 7), (u64)-14);
	check("cmpd lt", cr_after_cmp(-1, 1), 8);
	check("cmpd gt", cr_after_cmp(5, -5), 4);
	check("cmpd eq", cr_after_cmp(9, 9), 2);
	{
		u64 h, l;
		add128(1, 0xffffffffffffffffUL, 2, 1, &h, &l);
		check("addc/adde carry", h, 4);
		check("addc/adde low", l, 0);
	}
	check("addo sets SO and OV", addo_xer(0x7fffffffffffffffL, 1), 6);
	check("isel taken", isel_eq(3, 3, 10, 20), 10);
	check("isel not taken", isel_eq(3, 4, 10, 20), 20);
	check("popcntd", popcnt(0xf0f0f0f0f0f0f0f1UL), 33);
	check("cntlzd", (u64)__builtin_clzl(0x0000100000000000UL), 19);
	check("ldbrx", load_le64(le_words), 0x0807060504030201UL);
	check("bswap32", __builtin_bswap32(0xaabbccdd), 0xddccbbaa);

	/* Atomics: lwarx/stwcx. and ldarx/stdcx. loops. */
	for (i = 0; i < 100; i++) {
		__atomic_fetch_add(&counter, 3, __ATOMIC_SEQ_CST);
		__atomic_fetch_add(&counter32, 1, __ATOMIC_SEQ_CST);
	}
	{
		u64 expected = 300;
		int swapped = __atomic_compare_exchange_n(&counter, &expected, 7, 0, __ATOMIC_SEQ_CST,
							  __ATOMIC_SEQ_CST);
		check("atomic add", expected, 300);
		check("compare exchange", swapped, 1);
		check("after exchange", counter, 7);
		expected = 8;
		swapped = __atomic_compare_exchange_n(&counter, &expected, 9, 0, __ATOMIC_SEQ_CST,
						      __ATOMIC_SEQ_CST);
		check("failed exchange", (u64)swapped << 8 | expected, 7);
		check("atomic add 32", counter32, 100);
	}

	/* The time base advances while code runs. */
	t0 = timebase();
	for (i = 0; i < 1000; i++)
		counter += i;
	t1 = timebase();
	check("time base advances", t1 > t0, 1);

	/* System call errors come back through CR0.SO. */
	check("bad fd", (u64)sys3(SYS_write, 99, (long)"x", 1), (u64)-9);
	check("missing file", (u64)sys3(SYS_openat, -100, (long)"/no/such/file", 0), (u64)-2);
	check("getpid", sys3(SYS_getpid, 0, 0, 0) > 0, 1);

	/* Structures the kernel reads and writes in guest (big-endian) order. */
	{
		int fds[2] = { -1, -1 };
		struct {
			const char *base;
			u64 len;
		} iov[2] = { { "wr", 2 }, { "itev\n", 5 } };
		char buf[16];
		u64 st[18];
		check("pipe2", (u64)sys3(SYS_pipe2, (long)fds, 0, 0), 0);
		check("pipe2 fds", fds[0] >= 0 && fds[1] > fds[0], 1);
		check("writev", (u64)sys3(SYS_writev, fds[1], (long)iov, 2), 7);
		check("read back", (u64)sys3(SYS_read, fds[0], (long)buf, sizeof buf), 7);
		check("read bytes", buf[0] == 'w' && buf[2] == 'i' && buf[6] == '\n', 1);
		check("fstat pipe", (u64)sys3(SYS_fstat, fds[0], (long)st, 0), 0);
		/* st_mode is the u32 at byte 24 of powerpc64's struct stat. */
		check("fstat mode is fifo", ((u32 *)st)[6] & 0170000, 0010000);
		sys3(SYS_close, fds[0], 0, 0);
		sys3(SYS_close, fds[1], 0, 0);
	}
	{
		u64 ts[2] = { ~0UL, ~0UL };
		check("clock_gettime", (u64)sys3(SYS_clock_gettime, 1, (long)ts, 0), 0);
		check("timespec nsec", ts[1] < 1000000000UL, 1);
	}
	{
		char uts[6 * 65];
		const char *m;
		check("uname", (u64)sys3(SYS_uname, (long)uts, 0, 0), 0);
		m = uts + 4 * 65;
		check("uname machine", m[0] == 'p' && m[1] == 'p' && m[2] == 'c' && m[3] == '6' &&
					       m[4] == '4' && m[5] == 0,
		      1);
	}
	{
		u8 rnd[16];
		check("getrandom", (u64)sys3(SYS_getrandom, (long)rnd, sizeof rnd, 0), 16);
	}

	puts_(failures ? "elfv1: FAILED\n" : "elfv1: all checks passed\n");
	sys3(SYS_exit_group, failures, 0, 0);
	for (;;)
		;
}
