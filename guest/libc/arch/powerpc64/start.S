/* powerpc64 big-endian ELFv1 entry point and system call trampoline.
   Under ELFv1 every global function symbol names a function descriptor
   in .opd (entry address, TOC pointer, environment); e_entry points at
   the descriptor of _start. */
	.section .opd,"aw"
	.align 3
	.globl _start
	.type _start, @function
_start:
	.quad	.L._start, .TOC.@tocbase, 0
	.previous

	.section .text._start,"ax",@progbits
	.align 2
.L._start:
	mr	3, 1			/* r3 = &argc */
	clrrdi	1, 1, 4			/* 16-byte align the stack */
	li	0, 0
	stdu	0, -128(1)		/* minimal frame with a null back chain */
	bl	__start_c
	nop
1:	b	1b
	.size _start, .-.L._start

/* long __sys(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
   The kernel sets CR0.SO on failure and returns a positive errno in r3;
   this converts it to -errno. */
	.section .opd,"aw"
	.align 3
	.globl __sys
	.type __sys, @function
__sys:
	.quad	.L.__sys, .TOC.@tocbase, 0
	.previous

	.section .text.__sys,"ax",@progbits
	.align 2
.L.__sys:
	mr	0, 3
	mr	3, 4
	mr	4, 5
	mr	5, 6
	mr	6, 7
	mr	7, 8
	mr	8, 9
	sc
	bnslr
	neg	3, 3
	blr
	.size __sys, .-.L.__sys

	.section .note.GNU-stack,"",@progbits
