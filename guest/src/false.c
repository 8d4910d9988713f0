/* false: exit with status 1. */
#include "libc.h"

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 1;
}
