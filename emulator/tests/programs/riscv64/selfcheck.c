/* selfcheck: a self-checking, freestanding riscv64 Linux program with its
   own _start and system calls, built independently of guest/.

   It checks what the kernel hands it (argc/argv, the auxiliary vector,
   stack alignment), then lets the compiler generate what it likes for
   128-bit arithmetic, division, word operations, bitfields, jump tables,
   computed gotos, calls through pointers, recursion and copy loops (the
   whole program is built for RV64IMAC, so most of it is compressed
   instructions), and uses inline assembly for the M extension's corner
   cases, the W forms and their shift masking, explicit compressed forms,
   jalr with rd == rs1, AMOs, LR/SC, code written at run time, the
   counters and ecall itself. Each result is compared with a value worked
   out by hand or in Python. It prints one line per check and exits with
   the number of failures.

   Built by build.sh in this directory (gcc -O2 -static -nostdlib
   -ffreestanding -march=rv64imac -mabi=lp64); the binary is committed. */

#include "../selfcheck.h"

/* _start: sp points at argc. Set up gp for linker relaxation (nothing
   else will), and hand sp to cstart, which never returns. */
__asm__(
	"	.text\n"
	"	.globl _start\n"
	"	.type _start, @function\n"
	"_start:\n"
	"	.option push\n"
	"	.option norelax\n"
	"	lla gp, __global_pointer$\n"
	"	.option pop\n"
	"	mv a0, sp\n"
	"	li ra, 0\n"
	"	li s0, 0\n"
	"	call cstart\n"
	"	ebreak\n");

static long sys6(long nr, long a, long b, long c, long d, long e, long f)
{
	register long a7 __asm__("a7") = nr;
	register long a0 __asm__("a0") = a;
	register long a1 __asm__("a1") = b;
	register long a2 __asm__("a2") = c;
	register long a3 __asm__("a3") = d;
	register long a4 __asm__("a4") = e;
	register long a5 __asm__("a5") = f;
	__asm__ volatile("ecall"
			 : "+r"(a0)
			 : "r"(a7), "r"(a1), "r"(a2), "r"(a3), "r"(a4), "r"(a5)
			 : "memory");
	return a0;
}

#define SYS_openat 56
#define SYS_close 57
#define SYS_pipe2 59
#define SYS_read 63
#define SYS_write 64
#define SYS_exit_group 94
#define SYS_clock_gettime 113
#define SYS_uname 160
#define SYS_getpid 172
#define SYS_brk 214
#define SYS_munmap 215
#define SYS_mmap 222
#define SYS_mprotect 226
#define SYS_riscv_flush_icache 259
#define SYS_getrandom 278

#define AT_FDCWD (-100)
#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define MAP_PRIVATE 2
#define MAP_ANONYMOUS 0x20
#define CLOCK_MONOTONIC 1

void *memmove(void *d, const void *s, u64 n)
{
	u8 *dp = d;
	const u8 *sp = s;
	if (dp <= sp)
		return memcpy(d, s, n);
	while (n--)
		dp[n] = sp[n];
	return d;
}

static void out(const char *s, usize n) { sys6(SYS_write, 1, (long)s, (long)n, 0, 0, 0); }

static int seq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

/* Values the optimiser must not fold: every computation below happens at
   run time on these. */
static volatile u64 vx[8] = {
	0x0123456789abcdefUL, 0xfedcba9876543210UL, 0xffffffffffffffffUL, 7,
	0x8000000000000000UL, 3, 0x00000000ffffffffUL, 0x0000000100000000UL,
};

static u64 v(int i) { return vx[i]; }

/* Compiler-generated 128-bit arithmetic: mul/mulhu/mulh, sltu carries. */
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

static __attribute__((noinline)) unsigned __int128 shl128(unsigned __int128 a, unsigned n)
{
	return a << n;
}

static __attribute__((noinline)) __int128 sar128(__int128 a, unsigned n) { return a >> n; }

/* One instruction on two registers, exactly as written. */
#define RR(name, insn)                                                   \
	static u64 name(u64 a, u64 b)                                    \
	{                                                                \
		u64 r;                                                   \
		__asm__(insn " %0, %1, %2" : "=r"(r) : "r"(a), "r"(b)); \
		return r;                                                \
	}

RR(i_mulhsu, "mulhsu")
RR(i_mulw, "mulw")
RR(i_div, "div")
RR(i_divu, "divu")
RR(i_rem, "rem")
RR(i_remu, "remu")
RR(i_divw, "divw")
RR(i_divuw, "divuw")
RR(i_remw, "remw")
RR(i_remuw, "remuw")
RR(i_addw, "addw")
RR(i_subw, "subw")
RR(i_sllw, "sllw")
RR(i_srlw, "srlw")
RR(i_sraw, "sraw")
RR(i_sll, "sll")
RR(i_srl, "srl")
RR(i_sra, "sra")
RR(i_slt, "slt")
RR(i_sltu, "sltu")

/* One instruction on a register and an immediate. */
#define RI(name, insn, imm)                                         \
	static u64 name(u64 a)                                      \
	{                                                           \
		u64 r;                                              \
		__asm__(insn " %0, %1, " #imm : "=r"(r) : "r"(a)); \
		return r;                                           \
	}

RI(i_slliw31, "slliw", 31)
RI(i_srliw1, "srliw", 1)
RI(i_sraiw1, "sraiw", 1)
RI(i_addiw1, "addiw", 1)
RI(i_addiw0, "addiw", 0)
RI(i_srai63, "srai", 63)
RI(i_sltiu1, "sltiu", 1)
RI(i_slti_neg, "slti", -1)
RI(i_xori_neg, "xori", -1)

/* Explicit compressed forms on registers they accept (x8-x15 for most). */
static u64 c_lui_neg(void)
{
	register u64 r __asm__("a0");
	__asm__("c.lui a0, 0xfffff" : "=r"(r));
	return r;
}

static u64 c_li_neg(void)
{
	register u64 r __asm__("a0");
	__asm__("c.li a0, -32" : "=r"(r));
	return r;
}

static u64 c_addiw(u64 x)
{
	register u64 r __asm__("a0") = x;
	__asm__("c.addiw a0, 1" : "+r"(r));
	return r;
}

static u64 c_addw(u64 a, u64 b)
{
	register u64 r __asm__("a0") = a;
	register u64 s __asm__("a1") = b;
	__asm__("c.addw a0, a1" : "+r"(r) : "r"(s));
	return r;
}

static u64 c_subw(u64 a, u64 b)
{
	register u64 r __asm__("a0") = a;
	register u64 s __asm__("a1") = b;
	__asm__("c.subw a0, a1" : "+r"(r) : "r"(s));
	return r;
}

static u64 c_andi_neg(u64 x)
{
	register u64 r __asm__("a0") = x;
	__asm__("c.andi a0, -16" : "+r"(r));
	return r;
}

static u64 c_srai63(u64 x)
{
	register u64 r __asm__("a0") = x;
	__asm__("c.srai a0, 63" : "+r"(r));
	return r;
}

static u64 c_srli63(u64 x)
{
	register u64 r __asm__("a0") = x;
	__asm__("c.srli a0, 63" : "+r"(r));
	return r;
}

/* Push a value through the stack with the sp-relative compressed forms. */
static u64 c_stack(u64 x)
{
	register u64 r __asm__("a0");
	register u64 s __asm__("a1") = x;
	__asm__ volatile("c.addi16sp sp, -32\n\t"
			 "c.sdsp a1, 8(sp)\n\t"
			 "c.addi4spn a0, sp, 8\n\t"
			 "c.ld a0, 0(a0)\n\t"
			 "c.addi16sp sp, 32"
			 : "=&r"(r)
			 : "r"(s)
			 : "memory");
	return r;
}

static u64 lui_neg(void)
{
	u64 r;
	__asm__("lui %0, 0x80000" : "=r"(r));
	return r;
}

/* auipc and jal agree on where they are: jal's link is 8 past auipc. */
static u64 auipc_jal(void)
{
	u64 a, l;
	__asm__ volatile(".option push\n\t.option norvc\n\t"
			 "auipc %0, 0\n\t"
			 "jal %1, 1f\n"
			 "1:\n\t"
			 ".option pop"
			 : "=&r"(a), "=&r"(l));
	return l - a;
}

/* jalr with rd == rs1 jumps to the old value and then links. */
static u64 jalr_same(void)
{
	u64 t, l;
	__asm__ volatile(".option push\n\t.option norvc\n\t"
			 "lla %0, 2f\n\t"
			 "jalr %0, 0(%0)\n"
			 "1:\n\t"
			 "li %1, 99\n\t"
			 "j 3f\n"
			 "2:\n\t"
			 "lla %1, 1b\n\t"
			 "sub %1, %1, %0\n"
			 "3:\n\t"
			 ".option pop"
			 : "=&r"(t), "=&r"(l));
	return l;
}

/* The same with c.jalr ra (link is 2 past it). */
static u64 c_jalr_ra(void)
{
	u64 l;
	__asm__ volatile(".option push\n\t.option rvc\n\t"
			 "lla ra, 2f\n\t"
			 "c.jalr ra\n"
			 "1:\n\t"
			 "li %0, 99\n\t"
			 "j 3f\n"
			 "2:\n\t"
			 "lla %0, 1b\n\t"
			 "sub %0, %0, ra\n"
			 "3:\n\t"
			 ".option pop"
			 : "=&r"(l)
			 :
			 : "ra");
	return l;
}

/* Writes to x0 are dropped. */
static u64 zero_reg(u64 x)
{
	u64 r;
	__asm__ volatile("add zero, %1, %1\n\t"
			 "addi zero, zero, 5\n\t"
			 "mv %0, zero"
			 : "=r"(r)
			 : "r"(x));
	return r;
}

/* A dense switch: a jump table through jr. */
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

/* A computed goto: a table of label addresses. */
static __attribute__((noinline)) u64 interpret(const volatile u8 *code)
{
	static void *const ops[] = { &&op_halt, &&op_inc, &&op_dbl, &&op_neg };
	u64 acc = 1;
	goto *ops[*code++];
op_inc:
	acc++;
	goto *ops[*code++];
op_dbl:
	acc *= 2;
	goto *ops[*code++];
op_neg:
	acc = -acc;
	goto *ops[*code++];
op_halt:
	return acc;
}

typedef u64 (*binop)(u64, u64);
static u64 op_add(u64 a, u64 b) { return a + b; }
static u64 op_sub(u64 a, u64 b) { return a - b; }
static u64 op_mul(u64 a, u64 b) { return a * b; }
static u64 op_div(u64 a, u64 b) { return b ? a / b : 0; }
static binop volatile ops[4] = { op_add, op_sub, op_mul, op_div };

static __attribute__((noinline)) u64 fib(u64 n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

/* Recursion that keeps every frame alive (a local's address escapes). */
static __attribute__((noinline)) u64 deep(u64 n, volatile u64 *prev)
{
	volatile u64 local = n;
	if (n == 0)
		return *prev;
	return deep(n - 1, &local) + local;
}

/* The frame pointer of a call from C: the stack stays 16-byte aligned. */
static __attribute__((noinline)) u64 frame_misalignment(void)
{
	return (u64)__builtin_frame_address(0) & 15;
}

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

static __attribute__((noinline)) u64 sum_unsigned(void)
{
	u64 s = 0;
	int i;
	for (i = 0; i < 4; i++)
		s += (u8)bytes_s[i];
	for (i = 0; i < 3; i++)
		s += (u16)halves_s[i];
	for (i = 0; i < 3; i++)
		s += (u32)words_s[i];
	return s;
}

/* 32-bit C arithmetic: the compiler's W forms and sign extensions. */
static __attribute__((noinline)) i64 word_mix(i32 a, i32 b, u32 c)
{
	i32 x = a + b;      /* addw */
	i32 y = a - b;      /* subw */
	i32 z = a << 5;     /* slliw */
	u32 w = c >> 7;     /* srliw */
	i32 q = a >> 3;     /* sraiw */
	return (i64)x + (i64)y + (i64)z + (i64)w + (i64)q;
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

static u64 clz(u64 x)
{
	u64 n = 0;
	if (!x)
		return 64;
	while (!(x & 0x8000000000000000UL)) {
		x <<= 1;
		n++;
	}
	return n;
}

static __attribute__((noinline)) u64 bswap64(u64 x)
{
	x = (x & 0x00ff00ff00ff00ffUL) << 8 | ((x >> 8) & 0x00ff00ff00ff00ffUL);
	x = (x & 0x0000ffff0000ffffUL) << 16 | ((x >> 16) & 0x0000ffff0000ffffUL);
	return x << 32 | x >> 32;
}

/* AMOs, each returning the old value. */
#define AMO(name, insn, T)                                                    \
	static u64 name(volatile T *p, u64 val)                               \
	{                                                                     \
		u64 old;                                                      \
		__asm__ volatile(insn " %0, %2, (%1)"                         \
				 : "=r"(old)                                  \
				 : "r"(p), "r"(val)                           \
				 : "memory");                                 \
		return old;                                                   \
	}

AMO(amoadd_d, "amoadd.d.aqrl", u64)
AMO(amoadd_w, "amoadd.w", u32)
AMO(amoswap_w, "amoswap.w.aq", u32)
AMO(amoswap_d, "amoswap.d", u64)
AMO(amoand_d, "amoand.d", u64)
AMO(amoor_d, "amoor.d", u64)
AMO(amoxor_d, "amoxor.d", u64)
AMO(amomax_w, "amomax.w", u32)
AMO(amomaxu_w, "amomaxu.w", u32)
AMO(amomin_d, "amomin.d", u64)
AMO(amominu_d, "amominu.d", u64)

static void amoadd_d_discard(volatile u64 *p, u64 val)
{
	__asm__ volatile("amoadd.d zero, %1, (%0)" : : "r"(p), "r"(val) : "memory");
}

static u64 lr_w(volatile u32 *p)
{
	u64 r;
	__asm__ volatile("lr.w %0, (%1)" : "=r"(r) : "r"(p) : "memory");
	return r;
}

/* lr.d, sc.d, then a second sc.d that must fail: every sc ends the
   reservation. Returns both sc results (first in the low byte). */
static u64 lr_sc_sc(volatile u64 *p, u64 a, u64 b)
{
	u64 s1, s2, old;
	__asm__ volatile("lr.d %2, (%3)\n\t"
			 "sc.d %0, %4, (%3)\n\t"
			 "sc.d %1, %5, (%3)"
			 : "=&r"(s1), "=&r"(s2), "=&r"(old)
			 : "r"(p), "r"(a), "r"(b)
			 : "memory");
	return (s2 != 0) << 8 | s1;
}

/* A byte compare-and-swap by masking inside its aligned word with an
   lr.w/sc.w loop, as libatomic does. Returns the old byte. */
static u64 cas_byte(volatile u8 *p, u8 expect, u8 desired)
{
	volatile u32 *w = (volatile u32 *)((u64)p & ~3UL);
	unsigned shift = ((u64)p & 3) * 8;
	u32 mask = 0xffu << shift, e = (u32)expect << shift, d = (u32)desired << shift;
	u32 old, tmp;
	__asm__ volatile("1:\n\t"
			 "lr.w.aqrl %0, (%2)\n\t"
			 "and %1, %0, %3\n\t"
			 "bne %1, %4, 2f\n\t"
			 "xor %1, %0, %4\n\t"
			 "or %1, %1, %5\n\t"
			 "sc.w.rl %1, %1, (%2)\n\t"
			 "bnez %1, 1b\n"
			 "2:"
			 : "=&r"(old), "=&r"(tmp)
			 : "r"(w), "r"(mask), "r"(e), "r"(d)
			 : "memory");
	return (old & mask) >> shift;
}

static u64 rdcycle(void)
{
	u64 t;
	__asm__ volatile("rdcycle %0" : "=r"(t));
	return t;
}

static u64 rdtime(void)
{
	u64 t;
	__asm__ volatile("rdtime %0" : "=r"(t));
	return t;
}

static u64 rdinstret(void)
{
	u64 t;
	__asm__ volatile("rdinstret %0" : "=r"(t));
	return t;
}

/* fence.i, spelled out so the assembler needs no Zifencei. */
static void fence_i(void) { __asm__ volatile(".4byte 0x0000100f" : : : "memory"); }

/* Sets t0-t6, a1-a7 to known values, makes a system call, and stores
   them all afterwards: the kernel changes only a0. */
static u64 ecall_clobbers(void)
{
	u64 r[14];
	u64 bad = 0;
	int i;
	__asm__ volatile("li t0, 0x101\n\tli t1, 0x102\n\tli t2, 0x103\n\tli t3, 0x104\n\t"
			 "li t4, 0x105\n\tli t5, 0x106\n\tli t6, 0x107\n\t"
			 "li a1, 0x201\n\tli a2, 0x202\n\tli a3, 0x203\n\tli a4, 0x204\n\t"
			 "li a5, 0x205\n\tli a6, 0x206\n\tli a7, 172\n\t"
			 "ecall\n\t"
			 "sd t0, 0(%0)\n\tsd t1, 8(%0)\n\tsd t2, 16(%0)\n\tsd t3, 24(%0)\n\t"
			 "sd t4, 32(%0)\n\tsd t5, 40(%0)\n\tsd t6, 48(%0)\n\t"
			 "sd a1, 56(%0)\n\tsd a2, 64(%0)\n\tsd a3, 72(%0)\n\tsd a4, 80(%0)\n\t"
			 "sd a5, 88(%0)\n\tsd a6, 96(%0)\n\tsd a7, 104(%0)"
			 :
			 : "r"(r)
			 : "t0", "t1", "t2", "t3", "t4", "t5", "t6", "a0", "a1", "a2", "a3", "a4",
			   "a5", "a6", "a7", "memory");
	for (i = 0; i < 7; i++)
		bad += r[i] != 0x101 + (u64)i;
	for (i = 0; i < 6; i++)
		bad += r[7 + i] != 0x201 + (u64)i;
	bad += r[13] != 172;
	return bad;
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
#define UNSIGNED_SUM (0xffUL + 127 + 128 + 5 + 0xfffe + 32767 + 32768 + 0xfffffffdUL + 0x7fffffff + \
		      0x80000000UL)

extern char _start[];
extern char _end[];

static volatile u64 amo64;
static volatile u32 amo32;
static volatile u64 counter;
static volatile u32 counter32;
static volatile u32 byte_word = 0x44332211;
static volatile u8 program[] = { 1, 2, 1, 3, 2, 2, 1, 0 };

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

	/* The initial stack. */
	check("stack aligned", (u64)sp & 15, 0);
	check("argc", argc, 3);
	check("argv", seq(argv[1], "one") && seq(argv[2], "two"), 1);
	check("argv terminated", (u64)argv[argc], 0);
	check("auxv pagesz", find_aux(auxv, 6), 4096);
	check("auxv entry", find_aux(auxv, 9), (u64)_start);
	check("auxv phent", find_aux(auxv, 4), 56);
	check("auxv random present", find_aux(auxv, 25) != ~0UL, 1);
	check("auxv random above sp", find_aux(auxv, 25) > (u64)sp, 1);
	check("frame aligned", frame_misalignment(), 0);

	/* Multiplication: compiler-generated through __int128, then mulhsu
	   and mulw as written. */
	check("mulhu", mul_hi(v(0), v(1)), 0x0121fa00ad77d742UL);
	check("mul", v(0) * v(1), 0x2236d88fe5618cf0UL);
	check("mulh", (u64)smul_hi((i64)v(1), (i64)v(3)), 0xffffffffffffffffUL);
	check("mulh min", (u64)smul_hi((i64)v(4), (i64)v(4)), 0x4000000000000000UL);
	check("mulh mixed", (u64)smul_hi((i64)v(1), (i64)v(0)), 0xfffeb49923cc0953UL);
	check("mulhsu", i_mulhsu(v(1), v(0)), 0xfffeb49923cc0953UL);
	check("mulhsu unsigned operand", i_mulhsu(v(2), v(2)), 0xffffffffffffffffUL);
	check("mulhsu min", i_mulhsu(v(4), v(2)), 0x8000000000000000UL);
	check("mulhsu positive", i_mulhsu(v(0), v(1)), 0x0121fa00ad77d742UL);
	check("mulw", i_mulw(v(0), v(1)), 0xffffffffe5618cf0UL);
	check("mulw overflow", i_mulw(0x10000, v(3) << 12), 0x70000000);
	check("mulw sign", i_mulw(0x10000, 0x8000), 0xffffffff80000000UL);
	{
		unsigned __int128 a = ((unsigned __int128)v(3) << 64) | v(2);
		unsigned __int128 r = add128(a, v(5));
		check("add128 high", (u64)(r >> 64), 8);
		check("add128 low", (u64)r, 2);
		r = sub128(r, ((unsigned __int128)1 << 64) | 3);
		check("sub128 high", (u64)(r >> 64), 6);
		check("sub128 low", (u64)r, 0xffffffffffffffffUL);
		r = shl128(((unsigned __int128)v(3) << 64) | v(1), (unsigned)v(3) + 1);
		check("shl128 high", (u64)(r >> 64), 0x7fe);
		check("shl128 low", (u64)r, 0xdcba987654321000UL);
		r = shl128(v(0), (unsigned)v(3) * 10);
		check("shl128 by 70", (u64)(r >> 64), 0x48d159e26af37bc0UL);
		check("sar128 by 68", (u64)sar128((__int128)((unsigned __int128)v(1) << 64), 68),
		      0xffedcba987654321UL);
	}

	/* Division, including the cases C leaves undefined. */
	check("div", i_div(v(1), v(3)), 0xffd663cca3309970UL);
	check("divu", i_divu(v(1), v(3)), 0x2468acf13579be02UL);
	check("rem", i_rem(v(1), v(3)), 0);
	check("remu", i_remu(v(1), v(3)), 2);
	check("rem negative", i_rem(-(i64)v(3), 2), (u64)-1L);
	check("div by zero", i_div(v(0), 0), 0xffffffffffffffffUL);
	check("divu by zero", i_divu(v(0), 0), 0xffffffffffffffffUL);
	check("rem by zero", i_rem(v(1), 0), v(1));
	check("remu by zero", i_remu(v(0), 0), v(0));
	check("div min by -1", i_div(v(4), v(2)), 0x8000000000000000UL);
	check("rem min by -1", i_rem(v(4), v(2)), 0);
	check("divw", i_divw(-(i64)v(3), 2), (u64)-3L);
	check("remw", i_remw(-(i64)v(3), 2), (u64)-1L);
	check("divw min by -1", i_divw(v(4) >> 32, v(2)), 0xffffffff80000000UL);
	check("remw min by -1", i_remw(v(4) >> 32, v(2)), 0);
	check("divw by zero", i_divw(v(0), 0), 0xffffffffffffffffUL);
	check("remw by zero", i_remw(v(0), 0), 0xffffffff89abcdefUL);
	check("divuw by zero", i_divuw(v(0), 0), 0xffffffffffffffffUL);
	check("remuw by zero", i_remuw(v(0), 0), 0xffffffff89abcdefUL);
	check("divuw ignores high", i_divuw(v(7) + 20, v(7) + 3), 6);
	check("remuw ignores high", i_remuw(v(7) + 20, v(7) + 3), 2);
	check("divuw sign extends", i_divuw(v(6), 1), 0xffffffffffffffffUL);
	check("c div", (u64)((i64)v(1) / (i64)v(3)), 0xffd663cca3309970UL);
	check("c rem", (u64)((i64)v(0) % -(i64)v(3)), 6);
	check("c div 32", (u64)((u32)v(2) / (u32)v(3)), 0x24924924);
	check("c div 32 signed", (u64)(i64)((i32)-(i64)v(3) / (i32)v(5)), (u64)-2L);

	/* Word operations and shifts: sign extension, shift amounts masked. */
	check("addw overflow", i_addw(0x7fffffff, 1), 0xffffffff80000000UL);
	check("addw ignores high", i_addw(v(7), 5), 5);
	check("subw", i_subw(0, 1), 0xffffffffffffffffUL);
	check("subw positive", i_subw(v(4) >> 32, 1), 0x7fffffff);
	check("sllw 31", i_sllw(1, 31), 0xffffffff80000000UL);
	check("sllw 32", i_sllw(v(0), 32), 0xffffffff89abcdefUL);
	check("srlw 31", i_srlw(0x80000000, 31), 1);
	check("srlw 0", i_srlw(0x80000000, 0), 0xffffffff80000000UL);
	check("srlw 32", i_srlw(v(0), 32), 0xffffffff89abcdefUL);
	check("srlw 63", i_srlw(v(2), 63), 1);
	check("sraw 31", i_sraw(0x80000000, 31), 0xffffffffffffffffUL);
	check("sraw 4", i_sraw(v(0), 4), 0xfffffffff89abcdeUL);
	check("sraw 63", i_sraw(0x40000000, 63), 0);
	check("sll 63", i_sll(1, 63), 0x8000000000000000UL);
	check("sll 64", i_sll(v(0), 64), v(0));
	check("srl 63", i_srl(v(4), 63), 1);
	check("sra 63", i_sra(v(4), 63), 0xffffffffffffffffUL);
	check("sra 64", i_sra(v(4), 64), v(4));
	check("slliw 31", i_slliw31(v(5)), 0xffffffff80000000UL);
	check("srliw 1", i_srliw1(v(2)), 0x7fffffff);
	check("sraiw 1", i_sraiw1(v(4) >> 32), 0xffffffffc0000000UL);
	check("addiw", i_addiw1(0x7fffffff), 0xffffffff80000000UL);
	check("sext.w", i_addiw0(v(6)), 0xffffffffffffffffUL);
	check("srai 63", i_srai63(v(4)), 0xffffffffffffffffUL);
	check("lui sign extends", lui_neg(), 0xffffffff80000000UL);
	check("c word mix", (u64)word_mix((i32)v(6), (i32)v(5), (u32)v(2)),
	      (u64)(-1L + 3 + -4 - 32 + 0x1ffffff + -1L));
	check("zext.w", (u64)(u32)(v(0) + v(2)), 0x89abcdee);
	check("sext int", (u64)(i64)(i32)(v(0) + 0), 0xffffffff89abcdefUL);

	/* Compare and set. */
	check("slt", i_slt(v(2), v(3)), 1);
	check("sltu", i_sltu(v(2), v(3)), 0);
	check("sltiu 1 (seqz)", i_sltiu1(0) + 2 * i_sltiu1(v(3)), 1);
	check("slti -1", i_slti_neg(v(4)) + 2 * i_slti_neg(v(2)), 1);
	check("xori -1 (not)", i_xori_neg(v(0)), ~v(0));
	check("x0 stays zero", zero_reg(v(0)), 0);
	check("branch signed", (i64)v(2) < (i64)v(5), 1);
	check("branch unsigned", v(2) < v(5), 0);
	check("clamp low", (u64)clamp(-(i64)v(3), -5, 5), (u64)-5L);
	check("clamp high", (u64)clamp((i64)v(3), -5, 5), 5);
	check("clamp mid", (u64)clamp((i64)v(5), -5, 5), 3);

	/* Compressed forms as written. */
	check("c.lui sign extends", c_lui_neg(), 0xfffffffffffff000UL);
	check("c.li negative", c_li_neg(), (u64)-32L);
	check("c.addiw", c_addiw(0x7fffffff), 0xffffffff80000000UL);
	check("c.addw", c_addw(v(6), v(7) + 1), 0);
	check("c.subw", c_subw(v(5), v(4) >> 32), 0xffffffff80000003UL);
	check("c.andi negative", c_andi_neg(v(0)), 0x0123456789abcde0UL);
	check("c.srai", c_srai63(v(4)), 0xffffffffffffffffUL);
	check("c.srli", c_srli63(v(4)), 1);
	check("c stack ops", c_stack(v(1)), v(1));

	/* Bits. */
	check("popcount", popcount(v(0)), 32);
	check("clz", clz(v(3)), 61);
	check("bswap", bswap64(v(0)), 0xefcdab8967452301UL);
	check("rotate", (v(0) >> 12) | (v(0) << 52), 0xdef0123456789abcUL);

	/* Bitfields. */
	fields.a = v(3) * 3;
	fields.b = -(i64)v(5) * 100;
	fields.c = v(0);
	fields.d = -(i64)v(3);
	check("bitfield a", fields.a, 21);
	check("bitfield b", (u64)(i64)fields.b, (u64)-300L);
	check("bitfield c", fields.c, 0xbcdef);
	check("bitfield d", (u64)(i64)fields.d, (u64)-7L);

	/* Control flow. */
	s = 0;
	for (i = 0; i < 18; i++)
		s += classify((int)i, v(3) * 1000 + i);
	check("jump table", s, JUMP_TABLE_SUM);
	check("computed goto", interpret(program), (u64)-19L);
	check("call add", ops[0](v(3), v(5)), 10);
	check("call sub", ops[1](v(3), v(5)), 4);
	check("call mul", ops[2](v(3), v(5)), 21);
	check("call div", ops[3](v(3), v(5)), 2);
	check("recursion", fib(v(3) * 3), 10946);
	{
		volatile u64 one = 1;
		check("deep recursion", deep(v(3) * 500, &one), 1 + 3500UL * 3501 / 2);
	}
	check("auipc and jal", auipc_jal(), 8);
	check("jalr rd == rs1", jalr_same(), 0);
	check("c.jalr ra", c_jalr_ra(), 0);

	/* Loads and stores of every width, copy loops. */
	check("signed loads", (u64)sum_signed(), (u64)SIGNED_SUM);
	check("unsigned loads", sum_unsigned(), UNSIGNED_SUM);
	for (i = 0; i < sizeof(src); i++)
		src[i] = (u8)(i * 7 + v(3));
	memcpy(dst, src, sizeof(src));
	s = 0;
	for (i = 0; i < sizeof(dst); i++)
		s = s * 31 + dst[i];
	check("copy", s, 0x1fd39c65a003501eUL);
	memmove(dst + 3, dst, 50);
	check("memmove overlap", dst[3] + 256UL * dst[52] + 65536UL * dst[53],
	      7 + 256UL * (u8)(49 * 7 + 7) + 65536UL * (u8)(53 * 7 + 7));
	memset(dst, (int)v(3), 10);
	check("memset", dst[0] + dst[9] + dst[10], 7 + 7 + (7 * 7 + 7));

	/* AMOs. */
	amo64 = 5;
	check("amoadd.d", amoadd_d(&amo64, v(3)), 5);
	check("after amoadd.d", amo64, 12);
	amoadd_d_discard(&amo64, 30);
	check("amoadd.d to zero", amo64, 42);
	check("amoswap.d", amoswap_d(&amo64, v(0)), 42);
	amo64 = 0xff00ff00ff00ff00UL;
	check("amoand.d", amoand_d(&amo64, 0x0ff00ff00ff00ff0UL), 0xff00ff00ff00ff00UL);
	check("amoor.d", amoor_d(&amo64, 1), 0x0f000f000f000f00UL);
	check("amoxor.d", amoxor_d(&amo64, v(2)), 0x0f000f000f000f01UL);
	check("after amoxor.d", amo64, 0xf0fff0fff0fff0feUL);
	amo32 = 0x7fffffff;
	check("amoadd.w", amoadd_w(&amo32, 1), 0x7fffffff);
	check("amoswap.w sign extends", amoswap_w(&amo32, 5), 0xffffffff80000000UL);
	check("after amoswap.w", amo32, 5);
	amo32 = (u32)-5;
	check("amomax.w", amomax_w(&amo32, 3), (u64)-5L);
	check("after amomax.w", amo32, 3);
	check("amomaxu.w", amomaxu_w(&amo32, 0xfffffffb), 3);
	check("after amomaxu.w", amo32, 0xfffffffb);
	check("lr.w sign extends", lr_w(&amo32), (u64)-5L);
	amo64 = 3;
	check("amomin.d", amomin_d(&amo64, v(2)), 3);
	check("after amomin.d", amo64, v(2));
	check("amominu.d", amominu_d(&amo64, 2), v(2));
	check("after amominu.d", amo64, 2);
	check("lr/sc then sc", lr_sc_sc(&amo64, 77, 88), 0x100);
	check("failed sc left memory", amo64, 77);
	check("byte cas hit", cas_byte((volatile u8 *)&byte_word + 2, 0x33, 0x99), 0x33);
	check("byte cas miss", cas_byte((volatile u8 *)&byte_word + 1, 0x33, 0x77), 0x22);
	check("after byte cas", byte_word, 0x44992211);

	/* The compiler's own atomics. */
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
	check("add fetch 32", __atomic_add_fetch(&counter32, 3, __ATOMIC_SEQ_CST), 1);
	check("exchange 32", __atomic_exchange_n(&counter32, 0x80000000u, __ATOMIC_ACQ_REL), 1);
	{
		u32 expect = 0x80000000u;
		int ok = __atomic_compare_exchange_n(&counter32, &expect, 9, 0, __ATOMIC_SEQ_CST,
						     __ATOMIC_SEQ_CST);
		check("compare exchange 32", (u64)ok, 1);
		check("after compare exchange 32", counter32, 9);
	}

	/* Code written at run time, run, rewritten and run again. */
	{
		long m = sys6(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		volatile u32 *code = (volatile u32 *)m;
		u64 (*fn)(void) = (u64 (*)(void))m;
		check("mmap exec", m > 0 && (m & 4095) == 0, 1);
		code[0] = 0x02a00513; /* li a0, 42 */
		code[1] = 0x00008067; /* ret */
		fence_i();
		check("generated code", fn(), 42);
		code[0] = 0x02b00513; /* li a0, 43 */
		fence_i();
		check("patched code", fn(), 43);
		code[0] = 0x02c00513; /* li a0, 44 */
		check("riscv_flush_icache",
		      (u64)sys6(SYS_riscv_flush_icache, m, m + 8, 0, 0, 0, 0), 0);
		check("patched code again", fn(), 44);
		check("munmap exec", (u64)sys6(SYS_munmap, m, 4096, 0, 0, 0, 0), 0);
	}

	/* Counters. */
	{
		u64 c0 = rdcycle(), t0 = rdtime(), n0 = rdinstret(), c1, t1, n1;
		for (i = 0; i < 100000; i++)
			counter += i;
		c1 = rdcycle();
		t1 = rdtime();
		n1 = rdinstret();
		check("rdcycle advances", c1 > c0, 1);
		check("rdtime monotonic", t1 >= t0, 1);
		check("rdinstret advances", n1 > n0, 1);
		check("rdinstret counts the loop", n1 - n0 >= 100000, 1);
	}

	/* System calls and their errors. */
	check("ecall changes only a0", ecall_clobbers(), 0);
	check("bad fd", (u64)sys6(SYS_write, 99, (long)"x", 1, 0, 0, 0), (u64)-9L);
	check("missing file",
	      (u64)sys6(SYS_openat, AT_FDCWD, (long)"/no/such/file", 0, 0, 0, 0), (u64)-2L);
	check("getpid", sys6(SYS_getpid, 0, 0, 0, 0, 0, 0) > 0, 1);
	{
		u64 ts0[2] = { ~0UL, ~0UL }, ts1[2] = { ~0UL, ~0UL };
		long r0 = sys6(SYS_clock_gettime, CLOCK_MONOTONIC, (long)ts0, 0, 0, 0, 0);
		long r1 = sys6(SYS_clock_gettime, CLOCK_MONOTONIC, (long)ts1, 0, 0, 0, 0);
		check("clock_gettime", (u64)(r0 | r1), 0);
		check("timespec nsec", ts0[1] < 1000000000UL && ts1[1] < 1000000000UL, 1);
		check("clock monotonic",
		      ts1[0] > ts0[0] || (ts1[0] == ts0[0] && ts1[1] >= ts0[1]), 1);
		check("bad clock", (u64)sys6(SYS_clock_gettime, 999, (long)ts0, 0, 0, 0, 0),
		      (u64)-22L);
	}
	{
		u64 r0[2] = { 0, 0 }, r1[2] = { 0, 0 };
		long n0 = sys6(SYS_getrandom, (long)r0, 16, 0, 0, 0, 0);
		long n1 = sys6(SYS_getrandom, (long)r1, 16, 0, 0, 0, 0);
		check("getrandom", (u64)(n0 + n1), 32);
		check("getrandom varies", r0[0] != r1[0] || r0[1] != r1[1], 1);
	}
	{
		u64 b0 = (u64)sys6(SYS_brk, 0, 0, 0, 0, 0, 0);
		u64 b1 = (u64)sys6(SYS_brk, (long)b0 + 65536, 0, 0, 0, 0, 0);
		volatile u64 *p = (volatile u64 *)b0;
		check("brk above bss", b0 >= (u64)_end, 1);
		check("brk grow", b1, b0 + 65536);
		p[0] = v(0);
		p[65536 / 8 - 1] = v(1);
		check("brk memory", p[0] ^ p[65536 / 8 - 1] ^ p[100], v(0) ^ v(1));
		check("brk shrink", (u64)sys6(SYS_brk, (long)b0, 0, 0, 0, 0, 0), b0);
	}
	{
		long m = sys6(SYS_mmap, 0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			      -1, 0);
		volatile u64 *p = (volatile u64 *)m;
		check("mmap", m > 0 && (m & 4095) == 0, 1);
		p[1000] = v(1);
		check("mmap memory", p[1000] + p[0], v(1));
		check("mprotect", (u64)sys6(SYS_mprotect, m, 4096, PROT_READ, 0, 0, 0), 0);
		check("munmap", (u64)sys6(SYS_munmap, m, 8192, 0, 0, 0, 0), 0);
	}
	{
		i32 fds[2] = { -1, -1 };
		char buf[8];
		check("pipe2", (u64)sys6(SYS_pipe2, (long)fds, 0, 0, 0, 0, 0), 0);
		check("pipe write", (u64)sys6(SYS_write, fds[1], (long)"riscv", 5, 0, 0, 0), 5);
		check("pipe read", (u64)sys6(SYS_read, fds[0], (long)buf, sizeof(buf), 0, 0, 0), 5);
		buf[5] = 0;
		check("pipe data", seq(buf, "riscv"), 1);
		check("close", (u64)(sys6(SYS_close, fds[0], 0, 0, 0, 0, 0) |
				     sys6(SYS_close, fds[1], 0, 0, 0, 0, 0)),
		      0);
		check("close again", (u64)sys6(SYS_close, fds[0], 0, 0, 0, 0, 0), (u64)-9L);
	}
	{
		static char uts[65 * 6];
		check("uname", (u64)sys6(SYS_uname, (long)uts, 0, 0, 0, 0, 0), 0);
		check("uname sysname", seq(uts, "Linux"), 1);
		check("uname machine", seq(uts + 4 * 65, "riscv64"), 1);
	}

	if (failures == 0)
		say("selfcheck: all checks passed\n");
	sys6(SYS_exit_group, failures, 0, 0, 0, 0, 0);
	for (;;)
		;
}
