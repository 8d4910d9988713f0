/* badbuf MODE [DEV]: read() up to 64 bytes from DEV (default /dev/mtd0)
   into a buffer chosen by MODE:
     code      the first bytes of a function that is never called
     rodata    a page-aligned const array (read-only)
     unmapped  a page that was mapped and then unmapped again
     stack     a local array (control case)
   Prints "badbuf MODE: read=N" or "badbuf MODE: read=-1 errno=ENAME". */
#include "libc.h"

static const u8 ro_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE))) = { 1 };

/* Never called: its code page is only used as a read() target. The nops
   make it long enough that a 64-byte write stays inside it. */
__attribute__((noinline, aligned(PAGE_SIZE))) void badbuf_code_target(void)
{
	__asm__ volatile(".rept 64\n\tnop\n\t.endr");
}

static void *code_address(void)
{
#if defined(__powerpc64__) && (!defined(_CALL_ELF) || _CALL_ELF == 1)
	/* ELFv1: the symbol names a function descriptor; use its entry. */
	return *(void **)(void *)badbuf_code_target;
#else
	return (void *)badbuf_code_target;
#endif
}

int main(int argc, char **argv)
{
	const char *mode, *dev;
	u8 stackbuf[64];
	void *target;
	int fd;
	ssize_t n;
	if (argc < 2 || argc > 3) {
		report_msg("badbuf", "usage: badbuf code|rodata|unmapped|stack [DEV]");
		return 2;
	}
	mode = argv[1];
	dev = argc > 2 ? argv[2] : "/dev/mtd0";
	if (!strcmp(mode, "code")) {
		target = code_address();
	} else if (!strcmp(mode, "rodata")) {
		target = (void *)ro_page;
	} else if (!strcmp(mode, "unmapped")) {
		target = sys_mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (mmap_failed(target)) {
			report_error("badbuf", "mmap", (long)target);
			return 1;
		}
		sys_munmap(target, PAGE_SIZE);
	} else if (!strcmp(mode, "stack")) {
		target = stackbuf;
	} else {
		report_msg("badbuf", "usage: badbuf code|rodata|unmapped|stack [DEV]");
		return 2;
	}
	fd = sys_open(dev, O_RDONLY, 0);
	if (fd < 0) {
		report_error("badbuf", dev, fd);
		return 1;
	}
	n = sys_read(fd, target, 64);
	out_puts("badbuf ");
	out_puts(mode);
	out_puts(": read=");
	if (n < 0) {
		out_puts("-1 errno=");
		out_puts(errname(n));
	} else {
		o_u64(&out_stdout, (u64)n);
	}
	out_putc('\n');
	sys_close(fd);
	return 0;
}
