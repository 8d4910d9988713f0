/* selfcheck: a self-checking, freestanding armel (32-bit ARM, EABI) Linux
   program with its own _start and system calls, built independently of
   guest/.

   It checks what the kernel hands it (argc/argv, the auxiliary vector,
   stack alignment), lets the compiler generate what it likes for 64-bit
   arithmetic, division (libgcc's helpers and sdiv/udiv), bit counting,
   byte reversal, bitfields, jump tables, calls through pointers,
   recursion, sign-extending loads, copy loops and conditional execution,
   and uses inline assembly for the flags (mrs/msr), the saturating and
   DSP multiplies, the exclusive monitor, swp, the TLS register and the
   kuser helpers at 0xffff0000. Each result is compared with a value
   worked out by hand or in Python. It prints one line per check and exits
   with the number of failures.

   Built by build.sh in this directory; the binary is committed. */

#include "../selfcheck.h"

/* _start: sp points at argc. Hand it to cstart, which never returns. */
__asm__(
	"	.text\n"
	"	.globl _start\n"
	"	.type _start, %function\n"
	"_start:\n"
	"	mov r0, sp\n"
	"	mov fp, #0\n"
	"	mov lr, #0\n"
	"	bl cstart\n"
	"	udf #1\n");

static long sys6(long nr, long a, long b, long c, long d, long e, long f)
{
	register long r7 __asm__("r7") = nr;
	register long r0 __asm__("r0") = a;
	register long r1 __asm__("r1") = b;
	register long r2 __asm__("r2") = c;
	register long r3 __asm__("r3") = d;
	register long r4 __asm__("r4") = e;
	register long r5 __asm__("r5") = f;
	__asm__ volatile("svc #0"
			 : "+r"(r0)
			 : "r"(r7), "r"(r1), "r"(r2), "r"(r3), "r"(r4), "r"(r5)
			 : "memory");
	return r0;
}

#define SYS_write 4
#define SYS_getpid 20
#define SYS_munmap 91
#define SYS_mmap2 192
#define SYS_exit_group 248
#define SYS_openat 322
#define SYS_cacheflush 0xf0002
#define SYS_set_tls 0xf0005

#define AT_FDCWD (-100)
#define PROT_READ 1
#define PROT_WRITE 2
#define MAP_PRIVATE 2
#define MAP_ANONYMOUS 0x20

/* libgcc's division helpers raise SIGFPE through this on division by
   zero; nothing here divides by zero in C. */
int raise(int sig) { return sig; }

static void out(const char *s, usize n) { sys6(SYS_write, 1, (long)s, (long)n, 0, 0, 0); }

/* Values the optimiser must not fold. */
static volatile u32 vx[8] = {
	0x89abcdef, 0x76543210, 0xffffffff, 7, 0x80000000, 3, 0x7fffffff, 0x00010000,
};

static u32 v(int i) { return vx[i]; }

static __attribute__((noinline)) u64 mul64(u32 a, u32 b) { return (u64)a * b; }
static __attribute__((noinline)) i64 smul64(i32 a, i32 b) { return (i64)a * b; }
static __attribute__((noinline)) u64 add64(u64 a, u64 b) { return a + b; }
static __attribute__((noinline)) u64 sub64(u64 a, u64 b) { return a - b; }
static __attribute__((noinline)) u64 shl64(u64 a, unsigned n) { return a << n; }
static __attribute__((noinline)) i64 sar64(i64 a, unsigned n) { return a >> n; }
static __attribute__((noinline)) u64 mac64(u64 acc, u32 a, u32 b) { return acc + (u64)a * b; }

/* A dense switch: a jump table (ldrls pc, [pc, r, lsl #2]). */
static __attribute__((noinline)) u32 classify(int c, u32 x)
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

typedef u32 (*binop)(u32, u32);
static u32 op_add(u32 a, u32 b) { return a + b; }
static u32 op_sub(u32 a, u32 b) { return a - b; }
static u32 op_mul(u32 a, u32 b) { return a * b; }
static u32 op_div(u32 a, u32 b) { return b ? a / b : 0; }
static binop volatile ops[4] = { op_add, op_sub, op_mul, op_div };

static __attribute__((noinline)) u32 fib(u32 n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

struct packed_fields {
	u32 a : 5;
	i32 b : 11;
	u32 c : 9;
	i32 d : 7;
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

static __attribute__((noinline)) i32 clamp(i32 x, i32 lo, i32 hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

static u32 asm_rbit(u32 x)
{
	u32 r;
	__asm__("rbit %0, %1" : "=r"(r) : "r"(x));
	return r;
}

static u32 asm_revsh(u32 x)
{
	u32 r;
	__asm__("revsh %0, %1" : "=r"(r) : "r"(x));
	return r;
}

static u32 asm_udiv(u32 a, u32 b)
{
	u32 r;
	__asm__("udiv %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
	return r;
}

static i32 asm_sdiv(i32 a, i32 b)
{
	i32 r;
	__asm__("sdiv %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
	return r;
}

/* APSR after comparing a with b: NZCV in bits 3:0. */
static u32 flags_after_cmp(u32 a, u32 b)
{
	u32 f;
	__asm__("cmp %1, %2\n\tmrs %0, APSR" : "=r"(f) : "r"(a), "r"(b) : "cc");
	return f >> 28;
}

static u32 flags_after_adds(u32 a, u32 b)
{
	u32 f, r;
	__asm__("adds %1, %2, %3\n\tmrs %0, APSR" : "=r"(f), "=&r"(r) : "r"(a), "r"(b) : "cc");
	return f >> 28;
}

/* qadd's result, and Q (bit 27) after it: Q is cleared first. */
static u32 qadd_q(i32 a, i32 b, u32 *q)
{
	u32 r, f;
	__asm__ volatile("msr APSR_nzcvq, %3\n\tqadd %0, %2, %4\n\tmrs %1, APSR"
			 : "=&r"(r), "=&r"(f)
			 : "r"(a), "r"(0), "r"(b)
			 : "cc");
	*q = f >> 27 & 1;
	return r;
}

static u32 asm_ssat(i32 x)
{
	u32 r;
	__asm__("ssat %0, #8, %1, asr #2" : "=r"(r) : "r"(x) : "cc");
	return r;
}

static u32 asm_usat(i32 x)
{
	u32 r;
	__asm__("usat %0, #12, %1" : "=r"(r) : "r"(x) : "cc");
	return r;
}

static u32 asm_smulbt(u32 a, u32 b)
{
	u32 r;
	__asm__("smulbt %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
	return r;
}

static u32 asm_smlawb(u32 a, u32 b, u32 c)
{
	u32 r;
	__asm__("smlawb %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(c) : "cc");
	return r;
}

static u32 asm_smmulr(u32 a, u32 b)
{
	u32 r;
	__asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
	return r;
}

static u32 asm_usada8(u32 a, u32 b, u32 c)
{
	u32 r;
	__asm__("usada8 %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(c));
	return r;
}

static u64 asm_umaal(u32 lo, u32 hi, u32 a, u32 b)
{
	__asm__("umaal %0, %1, %2, %3" : "+r"(lo), "+r"(hi) : "r"(a), "r"(b));
	return (u64)hi << 32 | lo;
}

/* sel with GE = 0b0101: bytes 0 and 2 from a, 1 and 3 from b. */
static u32 asm_sel(u32 a, u32 b)
{
	u32 r;
	__asm__("msr APSR_g, %3\n\tsel %0, %1, %2" : "=&r"(r) : "r"(a), "r"(b), "r"(0x50000) : "cc");
	return r;
}

static u32 asm_uxtab16(u32 a, u32 b)
{
	u32 r;
	__asm__("uxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(b));
	return r;
}

static u32 asm_pkhtb(u32 a, u32 b)
{
	u32 r;
	__asm__("pkhtb %0, %1, %2, asr #4" : "=r"(r) : "r"(a), "r"(b));
	return r;
}

/* A store-exclusive without a matching load-exclusive fails (status 1)
   and leaves memory alone. */
static u32 strex_after_clrex(volatile u32 *p, u32 val)
{
	u32 status;
	__asm__ volatile("clrex\n\tstrex %0, %2, [%1]" : "=&r"(status) : "r"(p), "r"(val) : "memory");
	return status;
}

static u32 ldrex_strex(volatile u32 *p, u32 val)
{
	u32 status, old;
	__asm__ volatile("ldrex %1, [%2]\n\tstrex %0, %3, [%2]"
			 : "=&r"(status), "=&r"(old)
			 : "r"(p), "r"(val)
			 : "memory");
	return status;
}

#if defined(__thumb__)
/* swp has no Thumb encoding: in the Thumb build this helper stays ARM
 * code, reached through interworking calls. */
__attribute__((target("arm"), noinline))
#endif
static u32 asm_swp(volatile u32 *p, u32 val)
{
	u32 old;
	__asm__ volatile("swp %0, %2, [%1]"
			 : "=&r"(old)
			 : "r"(p), "r"(val)
			 : "memory");
	return old;
}

static u32 read_tpidruro(void)
{
	u32 t;
	__asm__ volatile("mrc p15, 0, %0, c13, c0, 3" : "=r"(t));
	return t;
}

/* The kuser helpers (Documentation/arm/kernel_user_helpers.rst). */
typedef int (*kuser_cmpxchg_t)(int oldval, int newval, volatile int *ptr);
typedef int (*kuser_cmpxchg64_t)(const i64 *oldval, const i64 *newval, volatile i64 *ptr);
typedef void *(*kuser_get_tls_t)(void);
typedef void (*kuser_dmb_t)(void);
#define kuser_helper_version (*(volatile int *)0xffff0ffc)
#define kuser_cmpxchg64 ((kuser_cmpxchg64_t)0xffff0f60)
#define kuser_dmb ((kuser_dmb_t)0xffff0fa0)
#define kuser_cmpxchg ((kuser_cmpxchg_t)0xffff0fc0)
#define kuser_get_tls ((kuser_get_tls_t)0xffff0fe0)

static u32 find_aux(u32 *auxv, u32 key)
{
	for (; auxv[0]; auxv += 2)
		if (auxv[0] == key)
			return auxv[1];
	return ~0U;
}

/* Worked out independently (in Python) from the definitions above. */
#define JUMP_TABLE_SUM 0x39cae425U
#define SIGNED_SUM (-1LL + 127 - 128 + 5 - 2 + 32767 - 32768 - 3 + 0x7fffffffLL - 0x80000000LL)

extern char _start[];

static volatile u32 word;
static volatile int kword;
static volatile i64 kdword;
static u32 tls_block[4];

void __attribute__((noreturn, used)) cstart(u32 *sp)
{
	u32 argc = sp[0];
	char **argv = (char **)(sp + 1);
	char **envp = argv + argc + 1;
	u32 *auxv;
	u32 i, s, q;
	static u8 src[100], dst[100];

	auxv = (u32 *)envp;
	while (*auxv)
		auxv++;
	auxv++;

	say("selfcheck:");
	for (i = 1; i < argc; i++) {
		say(" ");
		say(argv[i]);
	}
	say("\n");

	check("stack aligned", (u32)sp & 7, 0);
	check("argc", argc, 3);
	check("argv terminated", (u32)argv[argc], 0);
	check("auxv pagesz", find_aux(auxv, 6), 4096);
	check("auxv entry", find_aux(auxv, 9), (u32)_start);
	check("auxv random present", find_aux(auxv, 25) != ~0U, 1);
	/* HWCAP_SWP | HWCAP_HALF | HWCAP_TLS at least. */
	check("auxv hwcap", find_aux(auxv, 16) & 0x8003, 0x8003);

	/* 64-bit arithmetic: umull, smull, adds/adc, subs/sbc, umlal, and
	   64-bit shifts built from conditional 32-bit ones. */
	check("umull", mul64(v(0), v(1)), 0x3fa27837e5618cf0ULL);
	check("smull", (u64)smul64((i32)v(0), (i32)v(1)), 0xc94e4627e5618cf0ULL);
	check("adc", add64(0x00000001ffffffffULL, v(3)), 0x0000000200000006ULL);
	check("sbc", sub64(0x0000000200000000ULL, v(3)), 0x00000001fffffff9ULL);
	check("umlal", mac64(0xffffffff00000001ULL, v(2), v(2)), 0xfffffffd00000002ULL);
	check("shl64 small", shl64(0x89abcdef01234567ULL, v(5)), 0x4d5e6f78091a2b38ULL);
	check("shl64 large", shl64(0x89abcdef01234567ULL, v(5) + 37), 0x2345670000000000ULL);
	check("sar64", (u64)sar64((i64)0x89abcdef01234567ULL, v(5) + 33), 0xfffffffff89abcdeULL);

	/* Division: libgcc's 64-bit helpers and sdiv/udiv, including the
	   cases C leaves undefined. */
	check("udiv64", (u64)0xfedcba9876543210ULL / v(3), 0x2468acf13579be02ULL);
	check("urem64", (u64)0xfedcba9876543210ULL % v(3), 2);
	check("sdiv64", (u64)((i64)0xfedcba9876543210ULL / (i32)v(5)), 0xff9ee8dd7cc6bb5bULL);
	check("udiv", v(2) / v(3), 0x24924924);
	check("sdiv", (u32)((i32)v(0) / (i32)v(5)), 0xd88e99fb);
	check("udiv by zero", asm_udiv(v(0), 0), 0);
	check("sdiv min by -1", (u32)asm_sdiv((i32)v(4), -1), 0x80000000);

	/* Bit counting and reversal. */
	check("clz", (u32)__builtin_clz(v(3)), 29);
	check("ctz", (u32)__builtin_ctz(v(7)), 16);
	check("rbit", asm_rbit(v(0)), 0xf7b3d591);
	check("rev", __builtin_bswap32(v(0)), 0xefcdab89);
	check("rev16", __builtin_bswap16((u16)v(0)), 0xefcd);
	check("revsh", asm_revsh(v(0)), 0xffffefcd);
	check("ror", (v(0) >> 12) | (v(0) << 20), 0xdef89abc);

	/* Bitfields: bfi on store, ubfx/sbfx on load. */
	fields.a = v(3) * 3;
	fields.b = -(i32)v(5) * 100;
	fields.c = v(0);
	fields.d = -(i32)v(3);
	check("bitfield a", fields.a, 21);
	check("bitfield b", (u32)(i32)fields.b, (u32)-300);
	check("bitfield c", fields.c, 0x1ef);
	check("bitfield d", (u32)(i32)fields.d, (u32)-7);

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
	check("copy", s, 0xa003501e);

	/* Conditional execution. */
	check("clamp low", (u32)clamp(-(i32)v(3), -5, 5), (u32)-5);
	check("clamp high", (u32)clamp((i32)v(3), -5, 5), 5);
	check("clamp mid", (u32)clamp((i32)v(5), -5, 5), 3);

	/* Flags, read back through mrs. */
	check("flags eq", flags_after_cmp(v(3), 7), 0x6);
	check("flags lt", flags_after_cmp(v(5), v(3)), 0x8);
	check("flags overflow", flags_after_cmp(v(4), 1), 0x3);
	check("flags add carry", flags_after_adds(v(2), 1), 0x6);
	check("flags add overflow", flags_after_adds(v(6), 1), 0x9);

	/* Saturation and the DSP multiplies. */
	check("qadd saturates", qadd_q((i32)v(6), 5, &q), 0x7fffffff);
	check("qadd sets q", q, 1);
	check("qadd exact", qadd_q(-5, 3, &q), (u32)-2);
	check("qadd leaves q", q, 0);
	check("ssat", asm_ssat(-1000), (u32)-128);
	check("usat", asm_usat(100000), 4095);
	check("smulbt", asm_smulbt(0xffff8000, 0x7fff1234), (u32)(-32768 * 32767));
	check("smlawb", asm_smlawb(0x40000000, 0x00008000, 10), 0xe000000a);
	check("smmulr", asm_smmulr(0x7fffffff, 0x7fffffff), 0x3fffffff);
	check("usada8", asm_usada8(0x01ff7f00, 0xff0180ff, 1000), 1000 + 254 + 254 + 1 + 255);
	check("umaal", asm_umaal(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff), 0xffffffffffffffffULL);
	check("sel", asm_sel(0x11223344, 0xaabbccdd), 0xaa22cc44);
	check("uxtab16", asm_uxtab16(0x00010002, 0x11223344), 0x00120035);
	check("pkhtb", asm_pkhtb(0x12345678, 0x9abcdef0), 0x1234cdef);

	/* The exclusive monitor and swp. */
	word = 5;
	check("strex after clrex", strex_after_clrex(&word, 9), 1);
	check("strex left memory", word, 5);
	check("ldrex strex", ldrex_strex(&word, 9), 0);
	check("strex stored", word, 9);
	check("swp", asm_swp(&word, 11), 9);
	check("after swp", word, 11);
	check("atomic add", __atomic_fetch_add(&word, 4, __ATOMIC_SEQ_CST), 11);
	check("after atomic add", word, 15);

	/* The TLS register and the kuser helpers. */
	check("set_tls", (u32)sys6(SYS_set_tls, (long)tls_block, 0, 0, 0, 0, 0), 0);
	check("tpidruro", read_tpidruro(), (u32)tls_block);
	check("kuser version", kuser_helper_version >= 5, 1);
	check("kuser get_tls", (u32)kuser_get_tls(), (u32)tls_block);
	kuser_dmb();
	kword = 3;
	check("kuser cmpxchg hit", (u32)kuser_cmpxchg(3, 8, &kword), 0);
	check("kuser cmpxchg stored", (u32)kword, 8);
	check("kuser cmpxchg miss", kuser_cmpxchg(3, 9, &kword) != 0, 1);
	check("kuser cmpxchg kept", (u32)kword, 8);
	{
		i64 old = 0x100000002LL, new = 0x300000004LL;
		kdword = old;
		check("kuser cmpxchg64 hit", (u32)kuser_cmpxchg64(&old, &new, &kdword), 0);
		check("kuser cmpxchg64 stored", (u64)kdword, 0x300000004ULL);
		check("kuser cmpxchg64 miss", kuser_cmpxchg64(&old, &new, &kdword) != 0, 1);
	}

	/* System calls and their errors. */
	check("bad fd", (u32)sys6(SYS_write, 99, (long)"x", 1, 0, 0, 0), (u32)-9);
	check("missing file", (u32)sys6(SYS_openat, AT_FDCWD, (long)"/nonexistent", 0, 0, 0, 0), (u32)-2);
	check("getpid", sys6(SYS_getpid, 0, 0, 0, 0, 0, 0) > 0, 1);
	{
		long m = sys6(SYS_mmap2, 0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		volatile u32 *p = (volatile u32 *)m;
		check("mmap2", ((u32)m & 0xfff) == 0 && (u32)m < 0xfffff000u, 1);
		p[1000] = 0x12345678;
		check("mmap memory", p[1000] + p[0], 0x12345678);
		check("cacheflush", (u32)sys6(SYS_cacheflush, m, m + 8192, 0, 0, 0, 0), 0);
		check("munmap", (u32)sys6(SYS_munmap, m, 8192, 0, 0, 0, 0), 0);
	}

	if (!failures)
		say("selfcheck: all checks passed\n");
	sys6(SYS_exit_group, failures, 0, 0, 0, 0, 0);
	for (;;)
		;
}
