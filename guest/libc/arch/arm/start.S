/* 32-bit ARM (EABI, ARM state) entry point and system call trampoline. */
	.syntax unified
	.arm
	.section .text._start,"ax",%progbits
	.globl	_start
	.type	_start, %function
_start:
	mov	fp, #0
	mov	lr, #0
	mov	r0, sp			/* r0 = &argc */
	bic	sp, sp, #7
	bl	__start_c
1:	b	1b
	.size	_start, .-_start

/* long __sys(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
   EABI: number in r7, arguments in r0-r5, svc 0; -errno returned in r0. */
	.section .text.__sys,"ax",%progbits
	.globl	__sys
	.type	__sys, %function
__sys:
	push	{r4, r5, r7, lr}
	mov	r7, r0
	mov	r0, r1
	mov	r1, r2
	mov	r2, r3
	ldr	r3, [sp, #16]
	ldr	r4, [sp, #20]
	ldr	r5, [sp, #24]
	svc	#0
	pop	{r4, r5, r7, pc}
	.size	__sys, .-__sys

	.section .note.GNU-stack,"",%progbits
