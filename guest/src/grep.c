/* grep [-q] [-c] [-v] [-n] PATTERN [FILE...]: select lines containing the
   fixed string PATTERN. Exit 0 if a line was selected, 1 if none, 2 on
   error. Input is always treated as text. */
#include "libc.h"

static int opt_q, opt_c, opt_v, opt_n;
static const char *pattern;
static size_t plen;
static int multi;

/* Returns number of selected lines, or -1 on a read error. */
static long grep_fd(int fd, const char *name)
{
	struct lreader r;
	long count = 0;
	u64 lineno = 0;
	lr_init(&r, fd);
	for (;;) {
		char *line;
		ssize_t n = lr_getline(&r, &line);
		size_t len;
		int hit;
		if (n < 0) {
			report_error("grep", name, n);
			lr_free(&r);
			return -1;
		}
		if (n == 0)
			break;
		lineno++;
		len = (size_t)n;
		if (line[len - 1] == '\n')
			len--;
		hit = memmem_(line, len, pattern, plen) != NULL;
		if (hit == opt_v)
			continue;
		count++;
		if (opt_q) {
			exit(0);
		}
		if (opt_c)
			continue;
		if (multi) {
			out_puts(name);
			out_putc(':');
		}
		if (opt_n) {
			o_u64(&out_stdout, lineno);
			out_putc(':');
		}
		out_write(line, len);
		out_putc('\n');
	}
	lr_free(&r);
	if (opt_c) {
		if (multi) {
			out_puts(name);
			out_putc(':');
		}
		o_u64(&out_stdout, (u64)count);
		out_putc('\n');
	}
	return count;
}

static int usage(void)
{
	report_msg("grep", "usage: grep [-q] [-c] [-v] [-n] PATTERN [FILE...]");
	return 2;
}

int main(int argc, char **argv)
{
	int i = 1, error = 0;
	long total = 0;
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *a = argv[i] + 1;
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		for (; *a; a++) {
			switch (*a) {
			case 'q': opt_q = 1; break;
			case 'c': opt_c = 1; break;
			case 'v': opt_v = 1; break;
			case 'n': opt_n = 1; break;
			case 'F': break;
			default:
				return usage();
			}
		}
	}
	if (i >= argc)
		return usage();
	pattern = argv[i++];
	plen = strlen(pattern);
	multi = argc - i > 1;
	if (i == argc) {
		long n = grep_fd(STDIN_FILENO, "(standard input)");
		if (n < 0)
			return 2;
		return n ? 0 : 1;
	}
	for (; i < argc; i++) {
		int fd = open_input(argv[i]);
		long n;
		if (fd < 0) {
			report_error("grep", argv[i], fd);
			error = 1;
			continue;
		}
		n = grep_fd(fd, argv[i][0] == '-' && !argv[i][1] ? "(standard input)" : argv[i]);
		if (fd != STDIN_FILENO)
			sys_close(fd);
		if (n < 0)
			error = 1;
		else
			total += n;
	}
	if (error)
		return 2;
	return total ? 0 : 1;
}
