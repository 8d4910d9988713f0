/* sigprobe: a freestanding probe of signal delivery, built on Bohr's guest
 * libc (no C library, no floating point). Its handlers read the kernel's
 * siginfo and ucontext by the per-arch offsets of the Linux frame, so its
 * output, compared with qemu-user's, checks the frame layout, the
 * trampoline and rt_sigreturn. It prints only host-independent facts. */
#include "libc.h"
#include <asm/unistd.h>
#include <asm/signal.h>

#define SYS(n, a, b, c, d, e, f) __sys(__NR_##n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

/* Offsets in the frame: siginfo's si_code, its union, and ucontext's
 * uc_sigmask and the saved pc. */
#if defined(__mips__)
#define SI_CODE 4
#else
#define SI_CODE 8
#endif
#define SI_UNION (sizeof(long) == 8 ? 16 : 12)
#if defined(__riscv)
#define UC_SIGMASK 40
#define UC_PC 176
#elif defined(__aarch64__)
#define UC_SIGMASK 40
#define UC_PC (176 + 8 + 31 * 8 + 8)
#elif defined(__powerpc64__)
/* uc_mcontext (a sigcontext) at 168, its gp_regs at 232; nip is gp_regs[32]. */
#define UC_SIGMASK 40
#define UC_PC (232 + 32 * 8)
#elif defined(__mips__)
/* uc_mcontext at 24, its 64-bit sc_pc at 8 (the low word last on
 * big-endian), uc_sigmask after the 592-byte sigcontext. */
#define UC_SIGMASK (24 + 592)
#if defined(__MIPSEB__)
#define UC_PC (24 + 8 + 4)
#else
#define UC_PC (24 + 8)
#endif
#elif defined(__arm__)
/* uc_flags, uc_link, uc_stack (12), then sigcontext: trap_no,
 * error_code, oldmask, r0-r15 (arm_pc is r15), cpsr, fault_address. */
#define UC_SIGMASK 104
#define UC_PC (20 + 12 + 15 * 4)
#else
#define UC_SIGMASK 0
#define UC_PC (-1)
#endif

/* The kernel's sigset_t: 128 signals on mips, 64 elsewhere. */
#if defined(__mips__)
#define SIGSET_BYTES 16
#else
#define SIGSET_BYTES 8
#endif

struct ksigaction {
#if defined(__mips__)
	unsigned int flags;
	void *handler;
#else
	void *handler;
	unsigned long flags;
#endif
	unsigned long mask[SIGSET_BYTES / sizeof(unsigned long)];
};

static void show(const char *what, long v)
{
	out_puts(what);
	out_puts(" ");
	o_i64(&out_stdout, v);
	out_putc('\n');
}

static unsigned long blocked_now(void)
{
	unsigned long set[SIGSET_BYTES / sizeof(unsigned long)] = { 0 };
	SYS(rt_sigprocmask, 0, 0, set, SIGSET_BYTES, 0, 0);
	return set[0];
}

static unsigned long sigbit(int sig)
{
	return 1UL << (sig - 1);
}

static volatile int hits;

static void on_user(int sig, void *info, void *uc)
{
	hits++;
	char *si = info, *ucp = uc;
	show("handler sig", sig);
	show("  si_signo", *(int *)si);
	show("  si_code", *(int *)(si + SI_CODE));
	show("  si_pid is getpid", *(int *)(si + SI_UNION) == SYS(getpid, 0, 0, 0, 0, 0, 0));
	show("  own signal blocked inside", (blocked_now() & sigbit(sig)) != 0);
	show("  uc_sigmask has SIGUSR2", (*(unsigned long *)(ucp + UC_SIGMASK) & sigbit(SIGUSR2)) != 0);
}

static volatile long bad_addr;

static void on_segv(int sig, void *info, void *uc)
{
	hits++;
	char *si = info, *ucp = uc;
	show("segv sig", sig);
	show("  si_code", *(int *)(si + SI_CODE));
	show("  si_addr is the bad address", *(long *)(si + SI_UNION) == bad_addr);
	/* Skip the faulting store: the handler's change to the saved pc is
	 * what rt_sigreturn resumes at. */
	unsigned long *pc = (unsigned long *)(ucp + UC_PC);
#if defined(__riscv)
	*pc += (*(unsigned short *)*pc & 3) == 3 ? 4 : 2;
#else
	*pc += 4;
#endif
}

__attribute__((noinline)) static void store(volatile int *p)
{
	*p = 7;
}

static long install(int sig, void (*h)(int, void *, void *), unsigned long mask0)
{
	struct ksigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.handler = (void *)h;
	sa.flags = SA_SIGINFO;
	sa.mask[0] = mask0;
	return SYS(rt_sigaction, sig, &sa, 0, SIGSET_BYTES, 0, 0);
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	show("sigaction", install(SIGUSR1, on_user, 0));
	unsigned long set[SIGSET_BYTES / sizeof(unsigned long)] = { 0 };
	set[0] = sigbit(SIGUSR2);
	SYS(rt_sigprocmask, SIG_BLOCK, set, 0, SIGSET_BYTES, 0, 0);
	long pid = SYS(getpid, 0, 0, 0, 0, 0, 0);
	show("kill", SYS(kill, pid, SIGUSR1, 0, 0, 0, 0));
	show("hits after kill", hits);
	show("SIGUSR1 blocked after return", (blocked_now() & sigbit(SIGUSR1)) != 0);
	show("SIGUSR2 still blocked", (blocked_now() & sigbit(SIGUSR2)) != 0);

	/* Pending while blocked, delivered when unblocked. */
	install(SIGUSR2, on_user, 0);
	show("kill blocked SIGUSR2", SYS(kill, pid, SIGUSR2, 0, 0, 0, 0));
	show("hits while blocked", hits);
	SYS(rt_sigprocmask, SIG_UNBLOCK, set, 0, SIGSET_BYTES, 0, 0);
	show("hits after unblock", hits);

	/* The old action reads back. */
	struct ksigaction old;
	memset(&old, 0, sizeof old);
	SYS(rt_sigaction, SIGUSR1, 0, &old, SIGSET_BYTES, 0, 0);
	show("old handler is on_user", old.handler == (void *)on_user);
	show("old flags has SA_SIGINFO", (old.flags & SA_SIGINFO) != 0);
	show("bad sigsetsize", SYS(rt_sigaction, SIGUSR1, 0, &old, 3, 0, 0));
	show("SIGKILL handler", install(SIGKILL, on_user, 0));

	if (UC_PC >= 0) {
		install(SIGSEGV, on_segv, 0);
		bad_addr = 0x18;
		store((volatile int *)bad_addr);
		show("resumed after the store, hits", hits);
	}
	o_flush(&out_stdout);
	/* A signal without a handler kills. */
	SYS(kill, pid, SIGTERM, 0, 0, 0, 0);
	out_puts("not reached\n");
	return 0;
}
