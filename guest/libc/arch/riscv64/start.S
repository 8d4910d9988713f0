/* riscv64 (LP64, RV64IMAC) entry point and system call trampoline. */
	.section .text._start,"ax",@progbits
	.globl _start
	.type _start, @function
_start:
	.option push
	.option norelax
	la	gp, __global_pointer$
	.option pop
	mv	a0, sp			/* a0 = &argc */
	andi	sp, sp, -16
	li	ra, 0
	call	__start_c
1:	j	1b
	.size _start, .-_start

/* long __sys(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
   Linux returns -errno in a0 on failure. */
	.section .text.__sys,"ax",@progbits
	.globl __sys
	.type __sys, @function
__sys:
	mv	a7, a0
	mv	a0, a1
	mv	a1, a2
	mv	a2, a3
	mv	a3, a4
	mv	a4, a5
	mv	a5, a6
	ecall
	ret
	.size __sys, .-__sys

	.section .note.GNU-stack,"",@progbits
