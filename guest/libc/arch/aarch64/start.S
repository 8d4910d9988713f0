/* aarch64 entry point and system call trampoline. */
	.section .text._start,"ax",%progbits
	.globl _start
	.type _start, %function
_start:
	mov	x29, #0
	mov	x30, #0
	mov	x0, sp			/* x0 = &argc */
	and	x1, x0, #~15
	mov	sp, x1
	bl	__start_c
1:	b	1b
	.size _start, .-_start

/* long __sys(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
   Linux returns -errno in x0 on failure. */
	.section .text.__sys,"ax",%progbits
	.globl __sys
	.type __sys, %function
__sys:
	mov	x8, x0
	mov	x0, x1
	mov	x1, x2
	mov	x2, x3
	mov	x3, x4
	mov	x4, x5
	mov	x5, x6
	svc	#0
	ret
	.size __sys, .-__sys

	.section .note.GNU-stack,"",%progbits
