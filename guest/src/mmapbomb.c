/* mmapbomb: map 64 MiB pieces of anonymous memory and touch every page,
 * until mmap fails; then print how much it got and exit 0. It takes all
 * the memory it is given: run it only inside Bohr (whose cells have a
 * memory budget) or under a memory limit. */
#include "libc.h"

#define PIECE (64UL << 20)

int main(int argc, char **argv)
{
	u64 got = 0;
	long err;
	(void)argc;
	(void)argv;
	for (;;) {
		void *p = sys_mmap(0, PIECE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (mmap_failed(p)) {
			err = (long)(uptr)p;
			break;
		}
		for (uptr off = 0; off < PIECE; off += 4096)
			((volatile u8 *)p)[off] = 1;
		got += PIECE;
	}
	out_puts("mmapbomb: mapped and touched ");
	o_u64(&out_stdout, got >> 20);
	out_puts(" MiB, then mmap failed with ");
	out_puts(errname(err));
	out_putc('\n');
	return 0;
}
