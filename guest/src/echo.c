/* echo [-n] [ARG...]: print the arguments separated by spaces (no escapes). */
#include "libc.h"

int main(int argc, char **argv)
{
	int i = 1, newline = 1;
	if (argc > 1 && !strcmp(argv[1], "-n")) {
		newline = 0;
		i = 2;
	}
	for (; i < argc; i++) {
		out_puts(argv[i]);
		if (i + 1 < argc)
			out_putc(' ');
	}
	if (newline)
		out_putc('\n');
	return 0;
}
