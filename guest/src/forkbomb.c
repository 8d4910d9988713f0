/* forkbomb: fork in a loop, and every child does the same, until fork
 * fails; then every process reaps its children and exits 0, and the first
 * one prints how fork failed. It takes every process slot it can get: run
 * it only inside Bohr (whose cells have a task limit) or under a process
 * limit (prlimit --nproc). */
#include "libc.h"

int main(int argc, char **argv)
{
	int first = 1;
	u64 children = 0;
	long err;
	(void)argc;
	(void)argv;
	for (;;) {
		long pid = sys_fork();
		if (pid < 0) {
			err = pid;
			break;
		}
		if (pid == 0) {
			first = 0;
			children = 0;
			continue;
		}
		children++;
	}
	while (sys_wait4(-1, 0, 0, 0) > 0)
		;
	if (first) {
		out_puts("forkbomb: ");
		o_u64(&out_stdout, children);
		out_puts(" children, then fork failed with ");
		out_puts(errname(err));
		out_putc('\n');
	}
	return 0;
}
