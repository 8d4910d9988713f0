/* cmp FILE1 [FILE2]: compare two files byte by byte (FILE2 defaults to
   standard input, "-" is standard input). Messages follow GNU diffutils:
   "F1 F2 differ: byte N, line M" on stdout, "cmp: EOF on F after byte N,
   line M" / "..., in line M" / "cmp: EOF on F which is empty" on stderr.
   Exit 0 if identical, 1 if different, 2 on trouble. */
#include "libc.h"

static u8 b1[65536], b2[65536];

int main(int argc, char **argv)
{
	const char *n1, *n2;
	int f1, f2;
	u64 pos = 0, lines = 0;
	u8 last = 0;
	if (argc < 2 || argc > 3 || (argv[1][0] == '-' && argv[1][1])) {
		report_msg("cmp", "usage: cmp FILE1 [FILE2]");
		return 2;
	}
	n1 = argv[1];
	n2 = argc > 2 ? argv[2] : "-";
	f1 = open_input(n1);
	if (f1 < 0) {
		report_error("cmp", n1, f1);
		return 2;
	}
	f2 = open_input(n2);
	if (f2 < 0) {
		report_error("cmp", n2, f2);
		return 2;
	}
	for (;;) {
		ssize_t r1 = read_full(f1, b1, sizeof b1);
		ssize_t r2;
		size_t m, i;
		if (r1 < 0) {
			report_error("cmp", n1, r1);
			return 2;
		}
		r2 = read_full(f2, b2, sizeof b2);
		if (r2 < 0) {
			report_error("cmp", n2, r2);
			return 2;
		}
		m = (size_t)(r1 < r2 ? r1 : r2);
		for (i = 0; i < m; i++) {
			if (b1[i] != b2[i]) {
				out_puts(n1);
				out_putc(' ');
				out_puts(n2);
				out_puts(" differ: byte ");
				o_u64(&out_stdout, pos + i + 1);
				out_puts(", line ");
				o_u64(&out_stdout, lines + 1);
				out_putc('\n');
				return 1;
			}
			if (b1[i] == '\n')
				lines++;
		}
		pos += m;
		if (m)
			last = b1[m - 1];
		if (r1 != r2) {
			const char *shorter = r1 < r2 ? n1 : n2;
			o_flush(&out_stdout);
			err_puts("cmp: EOF on ");
			err_puts(shorter);
			if (pos == 0) {
				err_puts(" which is empty\n");
			} else {
				err_puts(" after byte ");
				o_u64(&out_stderr, pos);
				if (last == '\n') {
					err_puts(", line ");
					o_u64(&out_stderr, lines);
				} else {
					err_puts(", in line ");
					o_u64(&out_stderr, lines + 1);
				}
				err_puts("\n");
			}
			return 1;
		}
		if (r1 == 0)
			return 0;
	}
}
