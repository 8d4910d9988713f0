/* cat [FILE...]: concatenate files ("-" or no argument: standard input). */
#include "libc.h"

static char buf[65536];

static int cat_fd(int fd, const char *name)
{
	for (;;) {
		ssize_t n = sys_read(fd, buf, sizeof buf);
		if (n < 0) {
			report_error("cat", name, n);
			return 1;
		}
		if (n == 0)
			return 0;
		out_write(buf, (size_t)n);
	}
}

int main(int argc, char **argv)
{
	int i, status = 0;
	if (argc < 2)
		return cat_fd(STDIN_FILENO, "-");
	for (i = 1; i < argc; i++) {
		int fd = open_input(argv[i]);
		if (fd < 0) {
			report_error("cat", argv[i], fd);
			status = 1;
			continue;
		}
		status |= cat_fd(fd, argv[i]);
		if (fd != STDIN_FILENO)
			sys_close(fd);
	}
	return status;
}
