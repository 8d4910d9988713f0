/* fpbench: deterministic floating-point benchmark, for guests with hardware
   floating point (riscv64 with F and D, powerpc64, mips with its FPU). Runs
   an n-body simulation (double), a dense matrix multiply (double, fused
   multiply-adds), a Newton iteration with divisions and square roots, and a
   single-precision polynomial kernel with conversions to and from integers,
   then prints the bit patterns of the results in hex, so the output is
   exact. */
#include "libc.h"

#define BODIES 5
#define STEPS 400000
#define N 112
#define FLOATS 4096
#define FLOAT_ROUNDS 400

static double fsqrt(double x)
{
	double r;
#if defined(__powerpc64__)
	__asm__("fsqrt %0, %1" : "=d"(r) : "d"(x));
#elif defined(__mips__)
	__asm__("sqrt.d %0, %1" : "=f"(r) : "f"(x));
#elif defined(__aarch64__)
	__asm__("fsqrt %d0, %d1" : "=w"(r) : "w"(x));
#else
	__asm__("fsqrt.d %0, %1" : "=f"(r) : "f"(x));
#endif
	return r;
}

static u64 bits(double d)
{
	u64 u;
	memcpy(&u, &d, sizeof u);
	return u;
}

static void put(const char *name, u64 v)
{
	out_puts(name);
	out_putc(' ');
	o_hex(&out_stdout, v, 16);
	out_putc('\n');
}

struct body {
	double x, y, z, vx, vy, vz, m;
};

static double energy(struct body *b)
{
	double e = 0;
	int i, j;
	for (i = 0; i < BODIES; i++) {
		e += 0.5 * b[i].m * (b[i].vx * b[i].vx + b[i].vy * b[i].vy + b[i].vz * b[i].vz);
		for (j = i + 1; j < BODIES; j++) {
			double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
			e -= b[i].m * b[j].m / fsqrt(dx * dx + dy * dy + dz * dz);
		}
	}
	return e;
}

static void nbody(void)
{
	const double pi = 3.141592653589793, days = 365.24;
	const double sm = 4 * pi * pi;
	struct body b[BODIES] = {
		{0, 0, 0, 0, 0, 0, sm},
		{4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
		 1.66007664274403694e-03 * days, 7.69901118419740425e-03 * days,
		 -6.90460016972063023e-05 * days, 9.54791938424326609e-04 * sm},
		{8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
		 -2.76742510726862411e-03 * days, 4.99852801234917238e-03 * days,
		 2.30417297573763929e-05 * days, 2.85885980666130812e-04 * sm},
		{1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
		 2.96460137564761618e-03 * days, 2.37847173959480950e-03 * days,
		 -2.96589568540237556e-05 * days, 4.36624404335156298e-05 * sm},
		{1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
		 2.68067772490389322e-03 * days, 1.62824170038242295e-03 * days,
		 -9.51592254519715870e-05 * days, 5.15138902046611451e-05 * sm},
	};
	double px = 0, py = 0, pz = 0;
	int i, j, s;
	for (i = 0; i < BODIES; i++) {
		px += b[i].vx * b[i].m;
		py += b[i].vy * b[i].m;
		pz += b[i].vz * b[i].m;
	}
	b[0].vx = -px / sm;
	b[0].vy = -py / sm;
	b[0].vz = -pz / sm;
	put("nbody-energy-start", bits(energy(b)));
	for (s = 0; s < STEPS; s++) {
		for (i = 0; i < BODIES; i++) {
			for (j = i + 1; j < BODIES; j++) {
				double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
				double d2 = dx * dx + dy * dy + dz * dz;
				double mag = 0.01 / (d2 * fsqrt(d2));
				b[i].vx -= dx * b[j].m * mag;
				b[i].vy -= dy * b[j].m * mag;
				b[i].vz -= dz * b[j].m * mag;
				b[j].vx += dx * b[i].m * mag;
				b[j].vy += dy * b[i].m * mag;
				b[j].vz += dz * b[i].m * mag;
			}
		}
		for (i = 0; i < BODIES; i++) {
			b[i].x += 0.01 * b[i].vx;
			b[i].y += 0.01 * b[i].vy;
			b[i].z += 0.01 * b[i].vz;
		}
	}
	put("nbody-energy-end", bits(energy(b)));
}

static double ma[N][N], mb[N][N], mc[N][N];

static void matmul(void)
{
	int i, j, k, r;
	u64 h = 0;
	for (i = 0; i < N; i++)
		for (j = 0; j < N; j++) {
			ma[i][j] = (double)((i * 7 + j * 3) % 17) / 7.0 - 1.0;
			mb[i][j] = (double)((i * 5 + j * 11) % 13) / 3.0 + 0.1;
		}
	for (r = 0; r < 4; r++) {
		for (i = 0; i < N; i++)
			for (j = 0; j < N; j++) {
				double acc = 0;
				for (k = 0; k < N; k++)
					acc += ma[i][k] * mb[k][j];
				mc[i][j] = acc;
			}
		/* Feed the result back, scaled, so every round depends on the last. */
		for (i = 0; i < N; i++)
			for (j = 0; j < N; j++)
				ma[i][j] = mc[i][j] / (1024.0 + (double)(i + j));
	}
	for (i = 0; i < N; i++)
		for (j = 0; j < N; j++)
			h = (h ^ bits(mc[i][j])) * 0x100000001b3ull;
	put("matmul-hash", h);
	put("matmul-corner", bits(mc[N - 1][N - 1]));
}

static void newton(void)
{
	double sum = 0;
	long ints = 0;
	int i, k;
	for (i = 1; i <= 40000; i++) {
		double a = (double)i * 1.37, x = a;
		for (k = 0; k < 12; k++)
			x = 0.5 * (x + a / x);
		sum += x - fsqrt(a);
		ints += (long)(x * 1000.0);
	}
	put("newton-sum", bits(sum));
	put("newton-ints", (u64)ints);
}

static float fl[FLOATS];

static void floats(void)
{
	u32 h = 0x811c9dc5u;
	int i, r;
	for (i = 0; i < FLOATS; i++)
		fl[i] = (float)i / (float)FLOATS;
	for (r = 0; r < FLOAT_ROUNDS; r++)
		for (i = 0; i < FLOATS; i++) {
			float x = fl[i];
			x = ((0.25f * x - 0.5f) * x + 0.875f) * x + 0.0625f;
			fl[i] = x < 1.0f ? x : x - (float)(int)x;
		}
	for (i = 0; i < FLOATS; i++) {
		u32 u;
		memcpy(&u, &fl[i], sizeof u);
		h = (h ^ u) * 16777619u;
	}
	put("floats-hash", h);
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	nbody();
	matmul();
	newton();
	floats();
	o_flush(&out_stdout);
	return 0;
}
