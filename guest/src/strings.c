/* strings [-a] [-n N] [FILE...]: print runs of at least N (default 4)
   printable ASCII characters (0x20-0x7e and tab), one per line, scanning
   the whole input like GNU strings -a. */
#include "libc.h"

static char buf[65536];
static char *pending; /* run collected while shorter than min */
static u64 run;       /* length of the current run */
static u64 min = 4;

static int is_graphic(u8 c)
{
	return c == '\t' || is_printable(c);
}

static int scan(int fd, const char *name)
{
	for (;;) {
		ssize_t n = sys_read(fd, buf, sizeof buf), i;
		if (n < 0) {
			report_error("strings", name, n);
			return 1;
		}
		if (n == 0)
			break;
		for (i = 0; i < n; i++) {
			u8 c = (u8)buf[i];
			if (is_graphic(c)) {
				if (run < min) {
					pending[run++] = (char)c;
					if (run == min)
						out_write(pending, (size_t)min);
				} else {
					run++;
					out_putc((char)c);
				}
			} else {
				if (run >= min)
					out_putc('\n');
				run = 0;
			}
		}
	}
	if (run >= min)
		out_putc('\n');
	run = 0;
	return 0;
}

int main(int argc, char **argv)
{
	int i = 1, status = 0, any = 0;
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			i++;
			break;
		} else if (!strcmp(a, "-a")) {
			continue;
		} else if (!strcmp(a, "-n") && i + 1 < argc) {
			if (parse_u64(argv[++i], &min) < 0 || min == 0 || min > 65536) {
				report_msg("strings", "invalid minimum string length");
				return 1;
			}
		} else if (a[1] == 'n' && a[2]) {
			if (parse_u64(a + 2, &min) < 0 || min == 0 || min > 65536) {
				report_msg("strings", "invalid minimum string length");
				return 1;
			}
		} else {
			report_msg("strings", "usage: strings [-a] [-n N] [FILE...]");
			return 1;
		}
	}
	pending = mem_alloc((size_t)min);
	for (; i < argc; i++) {
		int fd = open_input(argv[i]);
		any = 1;
		if (fd < 0) {
			report_error("strings", argv[i], fd);
			status = 1;
			continue;
		}
		status |= scan(fd, argv[i]);
		if (fd != STDIN_FILENO)
			sys_close(fd);
	}
	if (!any)
		status = scan(STDIN_FILENO, "-");
	return status;
}
