/* bench: deterministic compute benchmark. Fills a 16 MiB anonymous mapping
   with a xorshift32 stream (ROUNDS steps per 32-bit word, then a
   multiplicative mix; stored little-endian byte by byte, so the data is the
   same on every architecture), then prints its SHA-256 and CRC-32. */
#include "libc.h"

#define SIZE (16u << 20)
#ifndef ROUNDS
#define ROUNDS 56
#endif

int main(int argc, char **argv)
{
	u8 *buf, d[32];
	u32 x = 0x2545f491u, crc;
	size_t i;
	struct sha256 s;
	(void)argc;
	(void)argv;
	buf = sys_mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mmap_failed(buf)) {
		report_error("bench", "mmap", (long)buf);
		return 1;
	}
	for (i = 0; i < SIZE; i += 4) {
		u32 w;
		int j;
		for (j = 0; j < ROUNDS; j++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
		}
		w = x * 0x9e3779b1u;
		w ^= w >> 15;
		buf[i] = (u8)w;
		buf[i + 1] = (u8)(w >> 8);
		buf[i + 2] = (u8)(w >> 16);
		buf[i + 3] = (u8)(w >> 24);
	}
	sha256_init(&s);
	sha256_update(&s, buf, SIZE);
	sha256_final(&s, d);
	crc = crc32_update(0, buf, SIZE);
	out_puts("sha256 ");
	for (i = 0; i < 32; i++)
		o_hex(&out_stdout, d[i], 2);
	out_puts("\ncrc32 ");
	o_hex(&out_stdout, crc, 8);
	out_putc('\n');
	sys_munmap(buf, SIZE);
	return 0;
}
