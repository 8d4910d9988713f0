/* smc: self-modifying code. Writes a "return 42" function into an RWX
   anonymous mapping, flushes the instruction cache, calls it, patches the
   immediate in place to return 1337, flushes and calls it again. */
#include "libc.h"

typedef int (*fn_t)(void);

#if defined(__riscv)
static const u32 code42[] = { 0x02a00513 /* li a0,42 */, 0x00008067 /* ret */ };
static const u32 code1337[] = { 0x53900513 /* li a0,1337 */, 0x00008067 };
#elif defined(__aarch64__)
static const u32 code42[] = { 0x52800540 /* mov w0,#42 */, 0xd65f03c0 /* ret */ };
static const u32 code1337[] = { 0x5280a720 /* mov w0,#1337 */, 0xd65f03c0 };
#elif defined(__powerpc64__)
static const u32 code42[] = { 0x3860002a /* li r3,42 */, 0x4e800020 /* blr */ };
static const u32 code1337[] = { 0x38600539 /* li r3,1337 */, 0x4e800020 };
#elif defined(__mips__)
static const u32 code42[] = { 0x03e00008 /* jr ra */, 0x2402002a /* li v0,42 (delay slot) */ };
static const u32 code1337[] = { 0x03e00008, 0x24020539 /* li v0,1337 */ };
#elif defined(__arm__)
/* 1337 is not an ARM rotated immediate: mov + add. */
static const u32 code42[] = { 0xe3a0002a /* mov r0,#42 */, 0xe2800000 /* add r0,r0,#0 */,
			      0xe12fff1e /* bx lr */ };
static const u32 code1337[] = { 0xe3a00c05 /* mov r0,#0x500 */, 0xe2800039 /* add r0,r0,#0x39 */,
				0xe12fff1e };
#else
#error unsupported architecture
#endif

#define NWORDS (sizeof code42 / sizeof code42[0])

static void flush_icache(void *p, size_t n)
{
#if defined(__riscv)
	(void)p;
	(void)n;
	__asm__ volatile(".4byte 0x0000100f" ::: "memory"); /* fence.i */
#elif defined(__aarch64__)
	uptr a, end = (uptr)p + n;
	for (a = (uptr)p & ~(uptr)15; a < end; a += 16)
		__asm__ volatile("dc cvau, %0" ::"r"(a) : "memory");
	__asm__ volatile("dsb ish" ::: "memory");
	for (a = (uptr)p & ~(uptr)15; a < end; a += 16)
		__asm__ volatile("ic ivau, %0" ::"r"(a) : "memory");
	__asm__ volatile("dsb ish\n\tisb" ::: "memory");
#elif defined(__powerpc64__)
	uptr a, end = (uptr)p + n;
	for (a = (uptr)p & ~(uptr)31; a < end; a += 32)
		__asm__ volatile("dcbst 0,%0" ::"r"(a) : "memory");
	__asm__ volatile("sync" ::: "memory");
	for (a = (uptr)p & ~(uptr)31; a < end; a += 32)
		__asm__ volatile("icbi 0,%0" ::"r"(a) : "memory");
	__asm__ volatile("isync" ::: "memory");
#elif defined(__mips__)
	uptr a, end = (uptr)p + n;
	for (a = (uptr)p & ~(uptr)15; a < end; a += 16)
		__asm__ volatile("synci 0(%0)" ::"r"(a) : "memory");
	/* sync, then clear the instruction hazard with jr.hb. */
	__asm__ volatile(".set push\n\t.set noreorder\n\t"
			 "sync\n\t"
			 "bal 1f\n\t"
			 "nop\n"
			 "1:\taddiu $31, $31, 12\n\t"
			 "jr.hb $31\n\t"
			 "nop\n\t"
			 ".set pop" ::: "$31", "memory");
#elif defined(__arm__)
	__sys(SYS_arm_cacheflush, (long)p, (long)p + (long)n, 0, 0, 0, 0);
#endif
}

static int call(u32 *code)
{
#if defined(__powerpc64__) && (!defined(_CALL_ELF) || _CALL_ELF == 1)
	/* ELFv1: calls go through a function descriptor {entry, toc, env}. */
	static unsigned long desc[3];
	unsigned long toc;
	__asm__("mr %0, 2" : "=r"(toc));
	desc[0] = (unsigned long)code;
	desc[1] = toc;
	desc[2] = 0;
	return ((fn_t)(void *)desc)();
#else
	return ((fn_t)(void *)code)();
#endif
}

int main(int argc, char **argv)
{
	u32 *code;
	volatile u32 *vcode;
	size_t i;
	int r;
	(void)argc;
	(void)argv;
	code = sys_mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mmap_failed(code)) {
		report_error("smc", "mmap", (long)code);
		return 1;
	}
	vcode = code;
	for (i = 0; i < NWORDS; i++)
		vcode[i] = code42[i];
	flush_icache(code, sizeof code42);
	r = call(code);
	out_puts("smc first=");
	o_i64(&out_stdout, r);
	out_putc('\n');
	for (i = 0; i < NWORDS; i++)
		if (code42[i] != code1337[i])
			vcode[i] = code1337[i];
	flush_icache(code, sizeof code1337);
	r = call(code);
	out_puts("smc second=");
	o_i64(&out_stdout, r);
	out_putc('\n');
	return 0;
}
