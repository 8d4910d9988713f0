/* A static glibc program that formats and parses doubles and calls libm;
   its output must be exactly qemu-riscv64's (tests/glibc_fp_riscv64.rs
   builds it with riscv64-linux-gnu-gcc -O2 -static and compares). */
#include <fenv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/auxv.h>

int main(void)
{
	volatile double x = 0.1;
	double acc = 0;
	int i;
	printf("hwcap %#lx\n", getauxval(AT_HWCAP));
	for (i = 1; i <= 40; i++) {
		double v = x * i;
		acc += sin(v) + exp(v / 3) + pow(v, 1.7) + sqrt(v) + log1p(v) + atan2(v, 1 - v);
		printf("%d %.17g %.17g %.17g %.17g %ld %a\n", i, sin(v), exp(v), pow(v, 2.5), sqrt(v),
		       lrint(v * 100.5), cbrt(v));
	}
	printf("acc %.17g %a %e %g\n", acc, acc, acc, acc);
	const char *s[] = {"3.14159", "1e-310", "-2.5e300", "nan", "-inf", "0x1.8p3",
			   "123456789.123456789", "2.2250738585072011e-308", "4.9e-324", "1e400"};
	for (i = 0; i < 10; i++) {
		double d = strtod(s[i], NULL);
		float f = strtof(s[i], NULL);
		printf("%s -> %.17g %a %.9g\n", s[i], d, d, f);
	}
	float f = 1.0f / 3.0f;
	printf("%.9g %.17g %.9g\n", f, (double)f * 3, sqrtf(2.0f));
	static const int modes[] = {FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};
	for (i = 0; i < 4; i++) {
		volatile double one = 1.0, three = 3.0;
		fesetround(modes[i]);
		printf("round %d: %.17g %ld\n", i, one / three, lrint(2.5));
	}
	fesetround(FE_TONEAREST);
	feclearexcept(FE_ALL_EXCEPT);
	volatile double z = 0.0;
	volatile double q = 1.0 / z;
	printf("inf %g flags %#x\n", q, fetestexcept(FE_ALL_EXCEPT));
	return 0;
}
