/* wc [-l] [-w] [-c] [FILE...]: count lines, words and bytes.
   Output format (fixed): the selected counts in the order lines, words,
   bytes, separated by one space; when more than one count is selected each
   is right-aligned in a 7-character field (like GNU wc reading standard
   input), a single count is printed without padding. A file name follows
   after a space; with several files a "total" line ends the output. */
#include "libc.h"

static char buf[65536];
static int want_l, want_w, want_c;

struct counts {
	u64 l, w, c;
};

static int count_fd(int fd, const char *name, struct counts *k)
{
	int inword = 0;
	k->l = k->w = k->c = 0;
	for (;;) {
		ssize_t n = sys_read(fd, buf, sizeof buf), i;
		if (n < 0) {
			report_error("wc", name, n);
			return 1;
		}
		if (n == 0)
			return 0;
		k->c += (u64)n;
		for (i = 0; i < n; i++) {
			u8 c = (u8)buf[i];
			int space = c == ' ' || (c >= '\t' && c <= '\r');
			if (c == '\n')
				k->l++;
			if (space)
				inword = 0;
			else if (!inword && is_printable(c)) {
				inword = 1;
				k->w++;
			}
		}
	}
}

static void print(const struct counts *k, const char *name)
{
	int width = want_l + want_w + want_c > 1 ? 7 : 0;
	int first = 1;
	if (want_l) {
		o_u64_pad(&out_stdout, k->l, width, ' ');
		first = 0;
	}
	if (want_w) {
		if (!first)
			out_putc(' ');
		o_u64_pad(&out_stdout, k->w, width, ' ');
		first = 0;
	}
	if (want_c) {
		if (!first)
			out_putc(' ');
		o_u64_pad(&out_stdout, k->c, width, ' ');
	}
	if (name) {
		out_putc(' ');
		out_puts(name);
	}
	out_putc('\n');
}

int main(int argc, char **argv)
{
	int i = 1, status = 0, nfiles;
	struct counts k, total = { 0, 0, 0 };
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *a = argv[i] + 1;
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		for (; *a; a++) {
			if (*a == 'l')
				want_l = 1;
			else if (*a == 'w')
				want_w = 1;
			else if (*a == 'c')
				want_c = 1;
			else {
				report_msg("wc", "usage: wc [-l] [-w] [-c] [FILE...]");
				return 1;
			}
		}
	}
	if (!want_l && !want_w && !want_c)
		want_l = want_w = want_c = 1;
	nfiles = argc - i;
	if (nfiles == 0) {
		if (count_fd(STDIN_FILENO, "-", &k))
			return 1;
		print(&k, NULL);
		return 0;
	}
	for (; i < argc; i++) {
		int fd = open_input(argv[i]);
		if (fd < 0) {
			report_error("wc", argv[i], fd);
			status = 1;
			continue;
		}
		if (count_fd(fd, argv[i], &k)) {
			status = 1;
		} else {
			print(&k, argv[i]);
			total.l += k.l;
			total.w += k.w;
			total.c += k.c;
		}
		if (fd != STDIN_FILENO)
			sys_close(fd);
	}
	if (nfiles > 1)
		print(&total, "total");
	return status;
}
