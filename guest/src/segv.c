/* segv: store to an unmapped address; the process dies of SIGSEGV. */
#include "libc.h"

static volatile uptr target = 0;

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	*(volatile int *)target = 1;
	report_msg("segv", "store to address 0 did not fault");
	return 1;
}
