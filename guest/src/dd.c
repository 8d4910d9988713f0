/* dd [if=FILE] [of=FILE] [bs=N] [count=N] [skip=N]: copy blocks of bs bytes
   (default 512). Prints "F+P records in" and "F+P records out" on stderr
   like GNU dd; the bytes/time/speed line is omitted because it is not
   deterministic. skip= seeks when the input is seekable, otherwise it reads
   and discards blocks. */
#include "libc.h"

static void put_records(const char *what, u64 full, u64 part)
{
	o_u64(&out_stderr, full);
	o_putc(&out_stderr, '+');
	o_u64(&out_stderr, part);
	err_puts(" records ");
	err_puts(what);
	err_puts("\n");
}

static int bad_operand(const char *msg, const char *arg)
{
	err_puts("dd: ");
	err_puts(msg);
	err_puts(" '");
	err_puts(arg);
	err_puts("'\n");
	return 1;
}

int main(int argc, char **argv)
{
	const char *in = NULL, *outname = NULL;
	u64 bs = 512, count = ~0ull, skip = 0;
	u64 full_in = 0, part_in = 0, full_out = 0, part_out = 0;
	int fin = STDIN_FILENO, fout = STDOUT_FILENO, i, status = 0;
	char *buf;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *eq = strchr(a, '=');
		u64 *num = NULL;
		if (!eq)
			return bad_operand("unrecognized operand", a);
		if (!strncmp(a, "if=", 3))
			in = eq + 1;
		else if (!strncmp(a, "of=", 3))
			outname = eq + 1;
		else if (!strncmp(a, "bs=", 3))
			num = &bs;
		else if (!strncmp(a, "count=", 6))
			num = &count;
		else if (!strncmp(a, "skip=", 5))
			num = &skip;
		else
			return bad_operand("unrecognized operand", a);
		if (num && parse_size(eq + 1, num) < 0)
			return bad_operand("invalid number:", eq + 1);
	}
	if (bs == 0 || bs > 64 * 1024 * 1024)
		return bad_operand("invalid number:", "bs");
	if (in) {
		fin = sys_open(in, O_RDONLY, 0);
		if (fin < 0) {
			report_error("dd", in, fin);
			return 1;
		}
	}
	if (outname) {
		fout = sys_open(outname, O_WRONLY | O_CREAT | O_TRUNC, 0666);
		if (fout < 0) {
			report_error("dd", outname, fout);
			return 1;
		}
	}
	buf = mem_alloc((size_t)bs);
	if (skip) {
		u64 off = skip * bs;
		long r = -ESPIPE;
		if (skip <= 0x7fffffffull && bs <= 0x7fffffffull && off <= 0x7fffffffull)
			r = sys_lseek(fin, (long)off, SEEK_CUR);
		if (r < 0) {
			while (skip) {
				ssize_t n = sys_read(fin, buf, (size_t)bs);
				if (n < 0) {
					report_error("dd", in ? in : "standard input", n);
					return 1;
				}
				if (n == 0)
					break;
				skip--;
			}
		}
	}
	while (full_in + part_in < count) {
		ssize_t n = sys_read(fin, buf, (size_t)bs);
		size_t done = 0;
		if (n < 0) {
			report_error("dd", in ? in : "standard input", n);
			status = 1;
			break;
		}
		if (n == 0)
			break;
		if ((u64)n == bs)
			full_in++;
		else
			part_in++;
		while (done < (size_t)n) {
			ssize_t w = sys_write(fout, buf + done, (size_t)n - done);
			if (w <= 0) {
				report_error("dd", outname ? outname : "standard output", w ? w : -EIO);
				status = 1;
				goto out;
			}
			done += (size_t)w;
		}
		if ((u64)n == bs)
			full_out++;
		else
			part_out++;
	}
out:
	put_records("in", full_in, part_in);
	put_records("out", full_out, part_out);
	if (outname)
		sys_close(fout);
	return status;
}
