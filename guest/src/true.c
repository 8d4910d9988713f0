/* true: exit with status 0. */
#include "libc.h"

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 0;
}
