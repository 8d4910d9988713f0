/* String benchmark: time spent in the C library's string routines.
 *
 * Builds 256 KiB of deterministic text lines of varied length, then
 * scans it again and again with strlen, memchr, strchr, memcpy, memcmp
 * and memset, as text-processing programs do, and prints a checksum so
 * that two emulators can be compared for output before time. Not a
 * test: scripts/bench-vs-qemu.sh times it (item `strbench`).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT (256 * 1024)
#define ROUNDS 160

static char text[TEXT + 1];
static char copy[TEXT + 64];

static uint32_t next(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

int main(void)
{
	uint32_t x = 0x2545f491;
	size_t at = 0;
	/* Lines of 1 to 200 printable bytes, NUL-terminated (so strlen
	 * stops at each), separated by newlines before the NUL. */
	while (at + 203 < TEXT) {
		size_t len = 1 + next(&x) % 200;
		for (size_t i = 0; i < len; i++)
			text[at + i] = (char)(' ' + next(&x) % 95);
		text[at + len] = '\n';
		text[at + len + 1] = '\0';
		at += len + 2;
	}
	size_t end = at;
	uint64_t sum = 0;
	for (int round = 0; round < ROUNDS; round++) {
		char key = (char)('a' + round % 26);
		for (size_t p = 0; p < end;) {
			const char *line = text + p;
			size_t n = strlen(line);
			const char *nl = memchr(line, '\n', n + 1);
			const char *k = strchr(line, key);
			memcpy(copy + (p & 31), line, n);
			sum += n * 31 + (size_t)(nl - line) + (k ? (size_t)(k - line) : 7);
			sum += (uint64_t)(memcmp(copy + (p & 31), line, n) == 0);
			p += n + 1;
		}
		memcpy(copy, text, end);
		memset(copy + round, key, 4096);
		sum = sum * 1099511628211u + (uint8_t)copy[end / 2];
	}
	printf("%016llx\n", (unsigned long long)sum);
	return 0;
}
