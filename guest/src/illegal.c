/* illegal: execute an undefined instruction; the process dies of SIGILL. */
#include "libc.h"

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
#if defined(__riscv)
	__asm__ volatile(".4byte 0x00000000"); /* all-zero: defined illegal */
#elif defined(__aarch64__)
	__asm__ volatile("udf #0");
#elif defined(__powerpc64__)
	__asm__ volatile(".long 0"); /* primary opcode 0: illegal */
#elif defined(__mips__)
	__asm__ volatile(".word 0x0000003f"); /* SPECIAL funct 0x3f (dsra32): reserved on MIPS32 */
#elif defined(__arm__)
	__asm__ volatile(".word 0xe7f000f0"); /* permanently undefined (udf #0) */
#else
#error unsupported architecture
#endif
	report_msg("illegal", "illegal instruction did not trap");
	return 1;
}
