/* sha256sum [FILE...]: print "<hex digest>  <name>" ("-": standard input). */
#include "libc.h"

static char buf[65536];

static int sum(int fd, const char *name)
{
	struct sha256 s;
	u8 d[32];
	int i;
	sha256_init(&s);
	for (;;) {
		ssize_t n = sys_read(fd, buf, sizeof buf);
		if (n < 0) {
			report_error("sha256sum", name, n);
			return 1;
		}
		if (n == 0)
			break;
		sha256_update(&s, buf, (size_t)n);
	}
	sha256_final(&s, d);
	for (i = 0; i < 32; i++)
		o_hex(&out_stdout, d[i], 2);
	out_puts("  ");
	out_puts(name);
	out_putc('\n');
	return 0;
}

int main(int argc, char **argv)
{
	int i, status = 0;
	if (argc < 2)
		return sum(STDIN_FILENO, "-");
	for (i = 1; i < argc; i++) {
		int fd = open_input(argv[i]);
		if (fd < 0) {
			report_error("sha256sum", argv[i], fd);
			status = 1;
			continue;
		}
		status |= sum(fd, argv[i]);
		if (fd != STDIN_FILENO)
			sys_close(fd);
	}
	return status;
}
