/* MIPS o32 entry point and system call trampoline (both endians). */
	.set	noreorder
	.set	nomips16
	.section .text._start,"ax",@progbits
	.globl	_start
	.type	_start, @function
	.ent	_start
_start:
	lui	$28, %hi(_gp)		/* gp for small-data accesses */
	addiu	$28, $28, %lo(_gp)
	move	$4, $29			/* a0 = &argc */
	li	$8, -8
	and	$29, $29, $8
	addiu	$29, $29, -16		/* o32 argument save area */
	move	$31, $0
	jal	__start_c
	nop
1:	b	1b
	nop
	.end	_start
	.size	_start, .-_start

/* long __sys(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
   o32: number in v0, arguments in a0-a3 and at 16(sp), 20(sp); the kernel
   sets a3 != 0 on failure with a positive errno in v0. */
	.section .text.__sys,"ax",@progbits
	.globl	__sys
	.type	__sys, @function
	.ent	__sys
__sys:
	addiu	$29, $29, -32
	move	$2, $4			/* v0 = nr */
	move	$4, $5
	move	$5, $6
	move	$6, $7
	lw	$7, 48($29)		/* a4: caller's 16(sp) */
	lw	$8, 52($29)		/* a5 */
	lw	$9, 56($29)		/* a6 */
	sw	$8, 16($29)
	sw	$9, 20($29)
	syscall
	beqz	$7, 1f
	nop
	subu	$2, $0, $2
1:	jr	$31
	addiu	$29, $29, 32
	.end	__sys
	.size	__sys, .-__sys

	.section .note.GNU-stack,"",@progbits
