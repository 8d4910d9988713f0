/* yes [STRING...]: print the arguments (default "y") forever. */
#include "libc.h"

static char line[4096];
static char buf[8192];

int main(int argc, char **argv)
{
	size_t len = 0, fill = 0;
	int i;
	if (argc < 2) {
		line[len++] = 'y';
	} else {
		for (i = 1; i < argc; i++) {
			size_t n = strlen(argv[i]);
			if (len + n + 1 >= sizeof line) {
				report_msg("yes", "argument too long");
				return 1;
			}
			memcpy(line + len, argv[i], n);
			len += n;
			if (i + 1 < argc)
				line[len++] = ' ';
		}
	}
	line[len++] = '\n';
	/* Fill the buffer with whole lines and write it over and over. */
	while (fill + len <= sizeof buf) {
		memcpy(buf + fill, line, len);
		fill += len;
	}
	for (;;) {
		size_t done = 0;
		while (done < fill) {
			ssize_t n = sys_write(STDOUT_FILENO, buf + done, fill - done);
			if (n <= 0)
				return 1;
			done += (size_t)n;
		}
	}
}
