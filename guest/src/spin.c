/* spin: loop forever. */
#include "libc.h"

int main(int argc, char **argv)
{
	volatile unsigned long n = 0;
	(void)argc;
	(void)argv;
	for (;;)
		n++;
}
