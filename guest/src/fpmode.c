/* fpmode: the o32 FPU modes (mips only). Built three ways: fpmode64
   (-mfp64, .MIPS.abiflags FP ABI 64), fpmodexx (-mfpxx, FP ABI XX) and
   fpmode32 (-mfp32, FP ABI double). Prints the mode Linux started it in,
   as prctl(PR_GET_FP_MODE) reports it and as the registers show it, a
   double computation whose registers the compiler allocates by its ABI,
   and what each FP ABI allows: with FR=1 the upper halves of odd
   registers (mthc1/mfhc1, odd doubles, survive a signal handler). With
   the argument "switch" it also switches modes with
   prctl(PR_SET_FP_MODE): a double held in $f2 across the call must come
   out the same, and the modes Linux refuses (FRE, unknown bits) fail with
   EOPNOTSUPP. */
#include "libc.h"

#define SYS_kill 4037
#define SYS_getpid 4020
#define SYS_prctl 4192
#define SYS_rt_sigaction 4194
#define PR_SET_FP_MODE 45
#define PR_GET_FP_MODE 46
#define SIGUSR1 16

static void put(const char *name, u64 v)
{
	out_puts(name);
	out_putc(' ');
	o_hex(&out_stdout, v, 16);
	out_putc('\n');
}

static void put_result(const char *name, long r)
{
	out_puts(name);
	out_putc(' ');
	if (r < 0)
		out_puts(errname(r));
	else
		o_u64(&out_stdout, (u64)r);
	out_putc('\n');
}

static u64 bits(double d)
{
	u64 v;
	memcpy(&v, &d, sizeof v);
	return v;
}

/* 1 if the registers behave as with FR=1: with FR=0 $f1 is the upper
   half of the double in $f0. */
static int regs_fr1(void)
{
	u64 r = 0;
	__asm__ volatile(".set push\n\t.set oddspreg\n\t"
			 "ldc1 $f0, %0\n\t"
			 "mtc1 %1, $f1\n\t"
			 "sdc1 $f0, %0\n\t"
			 ".set pop"
			 : "+m"(r)
			 : "r"(0x3ff00000)
			 : "$f0", "$f1");
	return r == 0;
}

static void report_mode(const char *when)
{
	out_puts(when);
	out_puts(": prctl mode ");
	o_u64(&out_stdout, (u64)__sys(SYS_prctl, PR_GET_FP_MODE, 0, 0, 0, 0, 0));
	out_puts(", registers FR=");
	o_u64(&out_stdout, (u64)regs_fr1());
	out_putc('\n');
}

/* Define NAME(nr, arg0, arg1, in, out): system call nr(arg0, arg1) with the
   double *in held in register FREG across it; what FREG holds afterwards
   goes to *out. Returns the result, or -errno. */
#define SYSCALL_KEEPING(NAME, FREG)                                              \
	static long NAME(long nr, long arg0, long arg1, const double *in,        \
			 double *out)                                            \
	{                                                                        \
		register long v0 __asm__("$2") = nr;                             \
		register long a0 __asm__("$4") = arg0;                           \
		register long a1 __asm__("$5") = arg1;                           \
		register long a3 __asm__("$7");                                  \
		__asm__ volatile("ldc1 " FREG ", %5\n\t"                         \
				 "syscall\n\t"                                    \
				 "sdc1 " FREG ", %3"                             \
				 : "+r"(v0), "+r"(a0), "+r"(a1), "=m"(*out),     \
				   "=r"(a3)                                      \
				 : "m"(*in)                                      \
				 : "$3", "$6", "$8", "$9", "$10", "$11", "$12",  \
				   "$13", "$14", "$15", "$24", "$25", "hi",      \
				   "lo", "memory", "$f2", "$f3", FREG);          \
		return a3 ? -v0 : v0;                                            \
	}

SYSCALL_KEEPING(syscall_keeping_f2, "$f2")

static volatile double seed = 1.0;

/* Doubles in as many registers as the compiler wants to use. */
static void compute(void)
{
	double a[12];
	double s = 0, p = 1;
	long long l;
	int i, k;
	for (i = 0; i < 12; i++)
		a[i] = seed / (i + 3);
	for (k = 0; k < 50; k++)
		for (i = 0; i < 12; i++) {
			s += a[i] * a[(i + k) % 12];
			p = p * (1 + a[i] / 64) - a[(i + 5) % 12] / 97;
		}
	put("sum", bits(s));
	put("product", bits(p));
	l = (long long)(s * 1e12);
	put("as-long", (u64)l);
	put("from-long", bits((double)(l * 3 + 1)));
	put("single", bits((double)(float)(s / 3)));
}

#if __mips_fpr == 64
SYSCALL_KEEPING(syscall_keeping_f1, "$f1")

static volatile u32 sig_seen;

static void on_usr1(int sig)
{
	/* Clobber the register the interrupted code holds a double in. */
	__asm__ volatile("mtc1 $0, $f1\n\tmthc1 $0, $f1" ::: "$f1");
	sig_seen = (u32)sig;
}

/* FR=1 only: the upper halves of odd registers. */
static void fr1_only(void)
{
	u32 lo, hi;
	u64 d = 0;
	double x = 1.5, e = 0;
	long pid;
	struct {
		u32 flags;
		void (*handler)(int);
		u32 mask[4];
	} act = { 0, on_usr1, { 0, 0, 0, 0 } };
	__asm__ volatile("mtc1 %2, $f1\n\t"
			 "mthc1 %3, $f1\n\t"
			 "mfc1 %0, $f1\n\t"
			 "mfhc1 %1, $f1"
			 : "=r"(lo), "=r"(hi)
			 : "r"(0x89abcdef), "r"(0x01234567)
			 : "$f1");
	put("odd-halves", ((u64)hi << 32) | lo);
	__asm__ volatile("ldc1 $f1, %1\n\t"
			 "add.d $f3, $f1, $f1\n\t"
			 "sdc1 $f3, %0"
			 : "=m"(d)
			 : "m"(x)
			 : "$f1", "$f3");
	put("odd-double", d);
	put_result("sigaction", __sys(SYS_rt_sigaction, SIGUSR1, (long)&act, 0, 16, 0, 0));
	/* A double in $f1 across a signal whose handler clobbers it. */
	pid = __sys(SYS_getpid, 0, 0, 0, 0, 0, 0);
	syscall_keeping_f1(SYS_kill, pid, SIGUSR1, &x, &e);
	put("signal", sig_seen);
	put("kept-across-signal", bits(e));
}
#endif

static void switch_modes(void)
{
	long now = __sys(SYS_prctl, PR_GET_FP_MODE, 0, 0, 0, 0, 0);
	double in = -2.75, out = 0;
	put_result("set-fre", __sys(SYS_prctl, PR_SET_FP_MODE, 2, 0, 0, 0, 0));
	put_result("set-fr-fre", __sys(SYS_prctl, PR_SET_FP_MODE, 3, 0, 0, 0, 0));
	put_result("set-unknown", __sys(SYS_prctl, PR_SET_FP_MODE, 4, 0, 0, 0, 0));
	put_result("set-same", syscall_keeping_f2(SYS_prctl, PR_SET_FP_MODE, now, &in, &out));
	put("kept-same", bits(out));
	put_result("set-other", syscall_keeping_f2(SYS_prctl, PR_SET_FP_MODE, !now, &in, &out));
	put("kept-other", bits(out));
	report_mode("switched");
	compute();
	put_result("set-back", syscall_keeping_f2(SYS_prctl, PR_SET_FP_MODE, now, &in, &out));
	put("kept-back", bits(out));
	report_mode("back");
	compute();
}

int main(int argc, char **argv)
{
	report_mode("start");
	compute();
#if __mips_fpr == 64
	fr1_only();
#endif
	if (argc > 1 && strcmp(argv[1], "switch") == 0)
		switch_modes();
	o_flush(&out_stdout);
	return 0;
}
