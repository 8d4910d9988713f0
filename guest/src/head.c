/* head [-n N] [-c N] [FILE...]: print the first N lines (default 10) or
   the first N bytes. With several files each gets a "==> NAME <==" header
   like GNU head. */
#include "libc.h"

static char buf[65536];
static int bytes_mode;
static u64 limit = 10;

static int head_fd(int fd, const char *name)
{
	u64 left = limit;
	while (left) {
		size_t want = sizeof buf;
		ssize_t n, i;
		if (bytes_mode && left < want)
			want = (size_t)left;
		n = sys_read(fd, buf, want);
		if (n < 0) {
			report_error("head", name, n);
			return 1;
		}
		if (n == 0)
			break;
		if (bytes_mode) {
			out_write(buf, (size_t)n);
			left -= (u64)n;
			continue;
		}
		for (i = 0; i < n && left; i++)
			if (buf[i] == '\n')
				left--;
		out_write(buf, (size_t)i);
	}
	return 0;
}

static int bad_count(const char *s)
{
	err_puts("head: invalid number: ");
	err_puts(s);
	err_puts("\n");
	return 1;
}

int main(int argc, char **argv)
{
	int i = 1, status = 0, nfiles;
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *a = argv[i], *val;
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if ((a[1] != 'n' && a[1] != 'c')) {
			report_msg("head", "usage: head [-n N] [-c N] [FILE...]");
			return 1;
		}
		if (a[2])
			val = a + 2;
		else if (i + 1 < argc)
			val = argv[++i];
		else {
			report_msg("head", "option requires an argument");
			return 1;
		}
		if (parse_size(val, &limit) < 0)
			return bad_count(val);
		bytes_mode = a[1] == 'c';
	}
	nfiles = argc - i;
	if (nfiles == 0)
		return head_fd(STDIN_FILENO, "-");
	for (; i < argc; i++) {
		int fd = open_input(argv[i]);
		if (fd < 0) {
			report_error("head", argv[i], fd);
			status = 1;
			continue;
		}
		if (nfiles > 1) {
			static int first = 1;
			if (!first)
				out_putc('\n');
			first = 0;
			out_puts("==> ");
			out_puts(fd == STDIN_FILENO ? "standard input" : argv[i]);
			out_puts(" <==\n");
		}
		status |= head_fd(fd, argv[i]);
		if (fd != STDIN_FILENO)
			sys_close(fd);
	}
	return status;
}
