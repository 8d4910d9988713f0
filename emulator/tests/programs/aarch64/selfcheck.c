/* selfcheck: a self-checking, freestanding aarch64 Linux program with its
   own _start and system calls, built independently of guest/.

   It checks what the kernel hands it (argc/argv, the auxiliary vector,
   stack alignment), then lets the compiler generate what it likes for
   128-bit arithmetic, division, bit counting, byte reversal, bitfields,
   jump tables, calls through pointers, recursion, sign-extending loads,
   copy loops and conditional selects, and uses inline assembly for the
   exclusive monitor, LSE atomics, system registers and the counter. Each
   result is compared with a value worked out by hand. It prints one line
   per check and exits with the number of failures.

   Built by build.sh in this directory (gcc -O2 -static -nostdlib
   -ffreestanding -mgeneral-regs-only); the binary is committed. */

#include "../selfcheck.h"

/* _start: sp points at argc. Hand it to cstart, which never returns. */
__asm__(
	"	.text\n"
	"	.globl _start\n"
	"	.type _start, %function\n"
	"_start:\n"
	"	mov x0, sp\n"
	"	mov x29, #0\n"
	"	mov x30, #0\n"
	"	bl cstart\n"
	"	brk #1\n");

static long sys6(long nr, long a, long b, long c, long d, long e, long f)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;
	__asm__ volatile("svc #0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
}

#define SYS_openat 56
#define SYS_close 57
#define SYS_write 64
#define SYS_exit_group 94
#define SYS_getpid 172
#define SYS_munmap 215
#define SYS_mmap 222

#define AT_FDCWD (-100)
#define PROT_READ 1
#define PROT_WRITE 2
#define MAP_PRIVATE 2
#define MAP_ANONYMOUS 0x20

static void out(const char *s, usize n) { sys6(SYS_write, 1, (long)s, (long)n, 0, 0, 0); }

/* Values the optimiser must not fold: every computation below happens at
   run time on these. */
static volatile u64 vx[8] = {
	0x0123456789abcdefUL, 0xfedcba9876543210UL, 0xffffffffffffffffUL, 7,
	0x8000000000000000UL, 3, 0x00000000ffffffffUL, 0x0000000100000000UL,
};

static u64 v(int i) { return vx[i]; }

static __attribute__((noinline)) u64 mul_hi(u64 a, u64 b)
{
	return (u64)(((unsigned __int128)a * b) >> 64);
}

static __attribute__((noinline)) i64 smul_hi(i64 a, i64 b)
{
	return (i64)(((__int128)a * b) >> 64);
}

static __attribute__((noinline)) unsigned __int128 add128(unsigned __int128 a, unsigned __int128 b)
{
	return a + b;
}

static __attribute__((noinline)) unsigned __int128 sub128(unsigned __int128 a, unsigned __int128 b)
{
	return a - b;
}

static __attribute__((noinline)) u64 shl128_hi(u64 hi, u64 lo, unsigned n)
{
	return (u64)((((unsigned __int128)hi << 64 | lo) << n) >> 64);
}

/* A dense switch: a jump table through br. */
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
	case 8: return x >> 2;
	case 9: return x * x;
	case 10: return ~x;
	case 11: return x + 1000003;
	case 12: return x % 97;
	case 13: return x << 17;
	case 14: return x ^ 0x5555;
	case 15: return x - 12345;
	default: return 1;
	}
}

typedef u64 (*binop)(u64, u64);
static u64 op_add(u64 a, u64 b) { return a + b; }
static u64 op_sub(u64 a, u64 b) { return a - b; }
static u64 op_mul(u64 a, u64 b) { return a * b; }
static u64 op_div(u64 a, u64 b) { return b ? a / b : 0; }
static binop volatile ops[4] = { op_add, op_sub, op_mul, op_div };

static __attribute__((noinline)) u64 fib(u64 n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

struct packed_fields {
	u64 a : 5;
	i64 b : 11;
	u64 c : 20;
	i64 d : 28;
};

static volatile struct packed_fields fields;

static volatile i8 bytes_s[4] = { -1, 127, -128, 5 };
static volatile i16 halves_s[3] = { -2, 32767, -32768 };
static volatile i32 words_s[3] = { -3, 0x7fffffff, (i32)0x80000000 };

static __attribute__((noinline)) i64 sum_signed(void)
{
	i64 s = 0;
	int i;
	for (i = 0; i < 4; i++)
		s += bytes_s[i];
	for (i = 0; i < 3; i++)
		s += halves_s[i];
	for (i = 0; i < 3; i++)
		s += words_s[i];
	return s;
}

static __attribute__((noinline)) u64 count_in_range(const volatile u64 *p, int n, u64 lo, u64 hi)
{
	u64 c = 0;
	int i;
	for (i = 0; i < n; i++)
		if (p[i] >= lo && p[i] <= hi && (p[i] & 1))
			c++;
	return c;
}

static __attribute__((noinline)) i64 clamp(i64 x, i64 lo, i64 hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

static u64 popcount(u64 x)
{
	u64 n = 0;
	while (x) {
		x &= x - 1;
		n++;
	}
	return n;
}

static u64 rbit(u64 x)
{
	u64 r;
	__asm__("rbit %0, %1" : "=r"(r) : "r"(x));
	return r;
}

static u64 udiv_asm(u64 a, u64 b)
{
	u64 r;
	__asm__("udiv %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
	return r;
}

static i64 sdiv_asm(i64 a, i64 b)
{
	i64 r;
	__asm__("sdiv %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
	return r;
}

static u64 nzcv_after_cmp(u64 a, u64 b)
{
	u64 f;
	__asm__("cmp %1, %2\n\tmrs %0, nzcv" : "=r"(f) : "r"(a), "r"(b) : "cc");
	return f >> 28;
}

static u64 adds_flags32(u32 a, u32 b)
{
	u64 f;
	__asm__("adds wzr, %w1, %w2\n\tmrs %0, nzcv" : "=r"(f) : "r"(a), "r"(b) : "cc");
	return f >> 28;
}

/* A store-exclusive without a matching load-exclusive must fail (status
   1) and leave memory alone. */
static u64 stxr_without_ldxr(volatile u64 *p, u64 val)
{
	u32 status;
	__asm__ volatile("clrex\n\tstxr %w0, %2, [%1]" : "=&r"(status) : "r"(p), "r"(val) : "memory");
	return status;
}

static u64 ldxr_clrex_stxr(volatile u64 *p, u64 val)
{
	u32 status;
	u64 old;
	__asm__ volatile("ldxr %1, [%2]\n\tclrex\n\tstxr %w0, %3, [%2]"
			 : "=&r"(status), "=&r"(old)
			 : "r"(p), "r"(val)
			 : "memory");
	return status;
}

/* Atomics without LSE: the compiler's ldxr/stxr loops. */
static volatile u64 counter;
static volatile u32 counter32;

/* Atomics with LSE: ldadd, swp, cas. */
__attribute__((target("+lse"))) static u64 lse_fetch_add(volatile u64 *p, u64 v)
{
	u64 old;
	__asm__ volatile("ldaddal %2, %0, [%1]" : "=r"(old) : "r"(p), "r"(v) : "memory");
	return old;
}

__attribute__((target("+lse"))) static u64 lse_swap(volatile u64 *p, u64 v)
{
	u64 old;
	__asm__ volatile("swpal %2, %0, [%1]" : "=r"(old) : "r"(p), "r"(v) : "memory");
	return old;
}

__attribute__((target("+lse"))) static u64 lse_cas(volatile u64 *p, u64 expect, u64 v)
{
	__asm__ volatile("casal %0, %2, [%1]" : "+r"(expect) : "r"(p), "r"(v) : "memory");
	return expect;
}

__attribute__((target("+lse"))) static u32 lse_umax32(volatile u32 *p, u32 v)
{
	u32 old;
	__asm__ volatile("ldumaxal %w2, %w0, [%1]" : "=r"(old) : "r"(p), "r"(v) : "memory");
	return old;
}

static u64 counter_now(void)
{
	u64 t;
	__asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(t));
	return t;
}

static u64 counter_freq(void)
{
	u64 f;
	__asm__("mrs %0, cntfrq_el0" : "=r"(f));
	return f;
}

static u64 find_aux(u64 *auxv, u64 key)
{
	for (; auxv[0]; auxv += 2)
		if (auxv[0] == key)
			return auxv[1];
	return ~0UL;
}

/* Worked out independently (in Python) from the definitions above. */
#define JUMP_TABLE_SUM 0x39cae425UL
#define SIGNED_SUM (-1L + 127 - 128 + 5 - 2 + 32767 - 32768 - 3 + 0x7fffffffL - 0x80000000L)

extern char _start[];

void __attribute__((noreturn, used)) cstart(u64 *sp)
{
	u64 argc = sp[0];
	char **argv = (char **)(sp + 1);
	char **envp = argv + argc + 1;
	u64 *auxv;
	u64 i, s;
	static u8 src[100], dst[100];

	auxv = (u64 *)envp;
	while (*auxv)
		auxv++;
	auxv++;

	say("selfcheck:");
	for (i = 1; i < argc; i++) {
		say(" ");
		say(argv[i]);
	}
	say("\n");

	check("stack aligned", (u64)sp & 15, 0);
	check("argc", argc, 3);
	check("argv terminated", (u64)argv[argc], 0);
	check("auxv pagesz", find_aux(auxv, 6), 4096);
	check("auxv entry", find_aux(auxv, 9), (u64)_start);
	check("auxv random present", find_aux(auxv, 25) != ~0UL, 1);

	/* 128-bit arithmetic: mul/umulh, smulh, adds/adc, subs/sbc, extr. */
	check("umulh", mul_hi(v(0), v(1)), 0x0121fa00ad77d742UL);
	check("mul low", v(0) * v(1), 0x2236d88fe5618cf0UL);
	check("smulh", (u64)smul_hi((i64)v(1), (i64)v(3)), 0xffffffffffffffffUL);
	check("smulh min", (u64)smul_hi((i64)v(4), (i64)v(4)), 0x4000000000000000UL);
	{
		unsigned __int128 a = ((unsigned __int128)v(3) << 64) | v(2);
		unsigned __int128 r = add128(a, v(5));
		check("adc high", (u64)(r >> 64), 8);
		check("adc low", (u64)r, 2);
		r = sub128(r, ((unsigned __int128)1 << 64) | 3);
		check("sbc high", (u64)(r >> 64), 6);
		check("sbc low", (u64)r, 0xffffffffffffffffUL);
	}
	check("extr", shl128_hi(v(3), v(1), 8), 0x7fe);

	/* Division, including the cases C leaves undefined. */
	check("udiv", v(1) / v(3), 0x2468acf13579be02UL);
	check("urem", v(1) % v(3), 2);
	check("sdiv", (u64)((i64)v(1) / (i64)v(3)), 0xffd663cca3309970UL);
	check("srem", (u64)((i64)v(1) % (i64)v(3)), 0);
	check("udiv by zero", udiv_asm(v(0), 0), 0);
	check("sdiv min by -1", (u64)sdiv_asm((i64)v(4), -1), 0x8000000000000000UL);
	check("udiv 32", (u64)((u32)v(2) / (u32)v(3)), 0x24924924);

	/* Bit counting and reversal. */
	check("clz", (u64)__builtin_clzl(v(3)), 61);
	check("ctz", (u64)__builtin_ctzl(v(7)), 32);
	check("clrsb", (u64)__builtin_clrsbl((i64)v(1)), 6);
	check("clz 32", (u64)__builtin_clz((u32)v(6) >> 3), 3);
	check("popcount", popcount(v(0)), 32);
	check("rbit", rbit(v(0)), 0xf7b3d591e6a2c480UL);
	check("rev", __builtin_bswap64(v(0)), 0xefcdab8967452301UL);
	check("rev w", __builtin_bswap32((u32)v(0)), 0xefcdab89);
	check("rev16", __builtin_bswap16((u16)v(0)), 0xefcd);
	check("ror", (v(0) >> 12) | (v(0) << 52), 0xdef0123456789abcUL);

	/* Bitfields: bfi on store, ubfx/sbfx on load. */
	fields.a = v(3) * 3;
	fields.b = -(i64)v(5) * 100;
	fields.c = v(0);
	fields.d = -(i64)v(3);
	check("bitfield a", fields.a, 21);
	check("bitfield b", (u64)(i64)fields.b, (u64)-300L);
	check("bitfield c", fields.c, 0xbcdef);
	check("bitfield d", (u64)(i64)fields.d, (u64)-7L);

	/* Control flow: a jump table, calls through pointers, recursion. */
	s = 0;
	for (i = 0; i < 18; i++)
		s += classify((int)i, v(3) * 1000 + i);
	check("jump table", s, JUMP_TABLE_SUM);
	check("call add", ops[0](v(3), v(5)), 10);
	check("call sub", ops[1](v(3), v(5)), 4);
	check("call mul", ops[2](v(3), v(5)), 21);
	check("call div", ops[3](v(3), v(5)), 2);
	check("recursion", fib(v(3) * 3), 10946);

	/* Loads and stores of every width, copy loops. */
	check("signed loads", (u64)sum_signed(), (u64)SIGNED_SUM);
	for (i = 0; i < sizeof(src); i++)
		src[i] = (u8)(i * 7 + v(3));
	memcpy(dst, src, sizeof(src));
	s = 0;
	for (i = 0; i < sizeof(dst); i++)
		s = s * 31 + dst[i];
	check("copy", s, 0x1fd39c65a003501eUL);

	/* Conditional compare and select. */
	check("ccmp", count_in_range(vx, 8, 3, 0x0123456789abcdefUL), 4);
	check("csel low", (u64)clamp(-(i64)v(3), -5, 5), (u64)-5L);
	check("csel high", (u64)clamp((i64)v(3), -5, 5), 5);
	check("csel mid", (u64)clamp((i64)v(5), -5, 5), 3);

	/* Flags, read back through nzcv. */
	check("nzcv eq", nzcv_after_cmp(v(3), 7), 0x6);
	check("nzcv lt", nzcv_after_cmp(v(5), v(3)), 0x8);
	check("nzcv overflow", nzcv_after_cmp(v(4), 1), 0x3);
	check("nzcv add32 carry", adds_flags32((u32)v(2), 1), 0x6);
	check("nzcv add32 overflow", adds_flags32(0x7fffffff, (u32)v(5)), 0x9);

	/* Atomics: exclusive loops (no LSE), then LSE. */
	counter = 5;
	check("fetch add", __atomic_fetch_add(&counter, v(3), __ATOMIC_SEQ_CST), 5);
	check("after fetch add", counter, 12);
	{
		u64 expect = 12;
		int ok = __atomic_compare_exchange_n(&counter, &expect, 40, 0, __ATOMIC_SEQ_CST,
						     __ATOMIC_SEQ_CST);
		check("compare exchange", (u64)ok, 1);
		expect = 12;
		ok = __atomic_compare_exchange_n(&counter, &expect, 50, 0, __ATOMIC_SEQ_CST,
						 __ATOMIC_SEQ_CST);
		check("failed exchange", (u64)ok, 0);
		check("failed exchange reads", expect, 40);
	}
	counter32 = 0xfffffffe;
	check("fetch add 32", __atomic_add_fetch(&counter32, 3, __ATOMIC_SEQ_CST), 1);
	check("stxr without ldxr", stxr_without_ldxr(&counter, 99), 1);
	check("stxr after clrex", ldxr_clrex_stxr(&counter, 99), 1);
	check("exclusive left memory", counter, 40);
	check("ldadd", lse_fetch_add(&counter, 2), 40);
	check("swp", lse_swap(&counter, 7), 42);
	check("cas hit", lse_cas(&counter, 7, 8), 7);
	check("cas miss", lse_cas(&counter, 7, 9), 8);
	check("after cas", counter, 8);
	counter32 = 0x80000000;
	check("ldumax", lse_umax32(&counter32, 0x7fffffff), 0x80000000);
	check("after ldumax", counter32, 0x80000000);

	/* System registers. */
	{
		u64 tp;
		__asm__ volatile("msr tpidr_el0, %0" : : "r"(v(0)));
		__asm__ volatile("mrs %0, tpidr_el0" : "=r"(tp));
		check("tpidr_el0", tp, v(0));
	}
	{
		u64 t0 = counter_now(), t1;
		for (i = 0; i < 100000; i++)
			counter += i;
		t1 = counter_now();
		check("counter advances", t1 > t0, 1);
		check("counter frequency set", counter_freq() != 0, 1);
	}

	/* System calls and their errors. */
	check("bad fd", (u64)sys6(SYS_write, 99, (long)"x", 1, 0, 0, 0), (u64)-9L);
	check("missing file",
	      (u64)sys6(SYS_openat, AT_FDCWD, (long)"/no/such/file", 0, 0, 0, 0), (u64)-2L);
	check("getpid", sys6(SYS_getpid, 0, 0, 0, 0, 0, 0) > 0, 1);
	{
		long m = sys6(SYS_mmap, 0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			      -1, 0);
		volatile u64 *p = (volatile u64 *)m;
		check("mmap", m > 0 && (m & 4095) == 0, 1);
		p[1000] = v(1);
		check("mmap memory", p[1000] + p[0], v(1));
		check("munmap", (u64)sys6(SYS_munmap, m, 8192, 0, 0, 0, 0), 0);
	}

	if (failures == 0)
		say("selfcheck: all checks passed\n");
	sys6(SYS_exit_group, failures, 0, 0, 0, 0, 0);
	for (;;)
		;
}
