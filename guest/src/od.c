/* od [-A x|d|o|n] [-t x1[z]] [-v] [FILE...]: hexadecimal byte dump in the
   format of GNU od (only single-byte hex output is supported; it is also
   the default). With -C (or when built as hexdump) the output is that of
   util-linux "hexdump -C". Files are dumped as one concatenated stream;
   repeated lines collapse into "*" unless -v is given. */
#include "libc.h"

#ifndef HEXDUMP_DEFAULT
#define HEXDUMP_DEFAULT 0
#endif

static const char *prog = HEXDUMP_DEFAULT ? "hexdump" : "od";
static int canonical = HEXDUMP_DEFAULT; /* hexdump -C format */
static char radix = 'o';
static int show_chars;
static int verbose;

static u8 line[16], prev[16];
static unsigned fill;
static int have_prev, starred;
static u64 offset;

static void put_address(u64 a)
{
	switch (radix) {
	case 'x':
		o_hex(&out_stdout, a, 6);
		break;
	case 'd':
		o_u64_pad(&out_stdout, a, 7, '0');
		break;
	case 'o': {
		char tmp[24];
		int n = 0, w;
		do {
			tmp[23 - n] = (char)('0' + (a & 7));
			a >>= 3;
			n++;
		} while (a);
		for (w = n; w < 7; w++)
			out_putc('0');
		out_write(tmp + 24 - n, (size_t)n);
		break;
	}
	default:
		break;
	}
}

static void emit_line(unsigned n)
{
	unsigned i;
	if (n == 16 && !verbose && have_prev && !memcmp(line, prev, 16)) {
		if (!starred)
			out_puts("*\n");
		starred = 1;
		offset += n;
		return;
	}
	starred = 0;
	if (canonical) {
		o_hex(&out_stdout, offset, 8);
		out_puts("  ");
		for (i = 0; i < 16; i++) {
			if (i < n) {
				o_hex(&out_stdout, line[i], 2);
				out_putc(' ');
			} else {
				out_puts("   ");
			}
			if (i == 7)
				out_putc(' ');
		}
		out_puts(" |");
		for (i = 0; i < n; i++)
			out_putc(is_printable(line[i]) ? (char)line[i] : '.');
		out_puts("|\n");
	} else {
		put_address(offset);
		for (i = 0; i < n; i++) {
			out_putc(' ');
			o_hex(&out_stdout, line[i], 2);
		}
		if (show_chars) {
			for (; i < 16; i++)
				out_puts("   ");
			out_puts("  >");
			for (i = 0; i < n; i++)
				out_putc(is_printable(line[i]) ? (char)line[i] : '.');
			out_putc('<');
		}
		out_putc('\n');
	}
	memcpy(prev, line, 16);
	have_prev = 1;
	offset += n;
}

static int dump_fd(int fd, const char *name)
{
	static u8 buf[65536];
	for (;;) {
		ssize_t n = sys_read(fd, buf, sizeof buf), i;
		if (n < 0) {
			report_error(prog, name, n);
			return 1;
		}
		if (n == 0)
			return 0;
		for (i = 0; i < n; i++) {
			line[fill++] = buf[i];
			if (fill == 16) {
				emit_line(16);
				fill = 0;
			}
		}
	}
}

static int usage(void)
{
	if (HEXDUMP_DEFAULT)
		report_msg(prog, "usage: hexdump [-C] [-v] [FILE...]");
	else
		report_msg(prog, "usage: od [-A x|d|o|n] [-t x1[z]] [-v] [FILE...] | od -C [FILE...]");
	return 1;
}

int main(int argc, char **argv)
{
	int i = 1, status = 0, any = 0;
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *a = argv[i], *val = NULL;
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (!strcmp(a, "-C")) {
			canonical = 1;
			continue;
		}
		if (!strcmp(a, "-v")) {
			verbose = 1;
			continue;
		}
		if (HEXDUMP_DEFAULT || (a[1] != 'A' && a[1] != 't'))
			return usage();
		if (a[2])
			val = a + 2;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			return usage();
		if (a[1] == 'A') {
			if (val[1] || !strchr("xdon", val[0]))
				return usage();
			radix = val[0];
		} else {
			if (!strcmp(val, "x1"))
				show_chars = 0;
			else if (!strcmp(val, "x1z"))
				show_chars = 1;
			else
				return usage();
		}
	}
	for (; i < argc; i++) {
		int fd = open_input(argv[i]);
		any = 1;
		if (fd < 0) {
			report_error(prog, argv[i], fd);
			status = 1;
			continue;
		}
		status |= dump_fd(fd, argv[i]);
		if (fd != STDIN_FILENO)
			sys_close(fd);
	}
	if (!any)
		status |= dump_fd(STDIN_FILENO, "-");
	if (fill)
		emit_line(fill);
	if (canonical) {
		if (offset)
			o_hex(&out_stdout, offset, 8), out_putc('\n');
	} else if (radix != 'n') {
		put_address(offset);
		out_putc('\n');
	}
	return status;
}
