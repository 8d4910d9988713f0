/* Enabled floating-point exceptions: feenableexcept, then each operation
 * that raises one, with a SIGFPE handler that prints si_code and where
 * the fault was (si_addr relative to the function holding the faulting
 * instruction). Built static for powerpc64, mipsel and mipseb by
 * tests/glibc_fp_classic.rs and compared with QEMU.
 *
 * With the argument `linux` it prints what only a Linux kernel (and
 * Bohr) does and QEMU does not: the powerpc64 prctl(PR_GET_FPEXC) mode
 * before and after feenableexcept, and that an enable bit set without
 * prctl(PR_SET_FPEXC) raises no signal but still leaves the target
 * register alone. */
#define _GNU_SOURCE
#include <fenv.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

static sigjmp_buf env;
static volatile int code;
static void *volatile addr;

static void handler(int sig, siginfo_t *si, void *uc) {
    (void)sig;
    (void)uc;
    code = si->si_code;
    addr = si->si_addr;
    siglongjmp(env, 1);
}

static volatile double zero = 0.0, one = 1.0, three = 3.0, big = 1e300, tiny = 1e-300;
static volatile double inf = __builtin_inf();
static volatile float fbig = 1e30f, fone = 1.0f, fzero = 0.0f;

__attribute__((noinline)) static double div0(void) { return one / zero; }
__attribute__((noinline)) static double zdz(void) { return zero / zero; }
__attribute__((noinline)) static double isi(void) { return inf - inf; }
__attribute__((noinline)) static double ovf(void) { return big * big; }
__attribute__((noinline)) static double udf(void) { return tiny * tiny; }
__attribute__((noinline)) static double inx(void) { return one / three; }
__attribute__((noinline)) static double fovf(void) { return fbig * fbig; }
__attribute__((noinline)) static double fdiv0(void) { return fone / fzero; }
__attribute__((noinline)) static double fine(void) { return one + three; }

struct test {
    const char *name;
    int exc;
    double (*fn)(void);
};

static const struct test tests[] = {
    {"div0", FE_DIVBYZERO, div0}, {"zdz", FE_INVALID, zdz},    {"isi", FE_INVALID, isi},
    {"ovf", FE_OVERFLOW, ovf},    {"udf", FE_UNDERFLOW, udf},  {"inx", FE_INEXACT, inx},
    {"fovf", FE_OVERFLOW, fovf},  {"fdiv0", FE_DIVBYZERO, fdiv0},
    {"ovf-other", FE_DIVBYZERO, ovf}, {"fine", FE_ALL_EXCEPT, fine},
};

int main(int argc, char **argv) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGFPE, &sa, 0);
    int linux_only = argc > 1 && strcmp(argv[1], "linux") == 0;
#ifdef __powerpc64__
    if (linux_only) {
        unsigned mode = 99;
        int r = prctl(PR_GET_FPEXC, &mode);
        printf("fpexc %d %u\n", r, mode);
        /* ZE without PR_SET_FPEXC: no signal, and the target keeps its
         * old value. */
        double t = 42.0;
        __asm__ volatile("mtfsb1 27\n\tfdiv %0, %1, %2" : "+d"(t) : "d"(one), "d"(zero));
        __asm__ volatile("mtfsb0 27\n\tmtfsb0 5");
        printf("no prctl: t=%g\n", t);
        feclearexcept(FE_ALL_EXCEPT);
        feenableexcept(FE_DIVBYZERO);
        r = prctl(PR_GET_FPEXC, &mode);
        printf("fpexc %d %u\n", r, mode);
        printf("bad mode %d\n", prctl(PR_SET_FPEXC, 7));
        fedisableexcept(FE_ALL_EXCEPT);
        return 0;
    }
#endif
    if (linux_only)
        return 0;
    for (unsigned i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        const struct test *t = &tests[i];
        feclearexcept(FE_ALL_EXCEPT);
        feenableexcept(t->exc);
        if (sigsetjmp(env, 1) == 0) {
            double r = t->fn();
            fedisableexcept(FE_ALL_EXCEPT);
            printf("%s: no trap, %a\n", t->name, r);
        } else {
            fedisableexcept(FE_ALL_EXCEPT);
            long off = (char *)addr - (char *)t->fn;
#ifdef __powerpc64__
            /* ELFv1: the function pointer is a descriptor; its first
             * word is the entry. */
            off = (char *)addr - *(char **)t->fn;
#endif
            printf("%s: SIGFPE code %d at +%ld\n", t->name, code, off);
        }
    }
    return 0;
}
