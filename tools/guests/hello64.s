/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hello64.S - a 64-bit long-mode guest for vtxctl.
 *
 *   vtxctl run hello64.bin --mode long      (loaded and started at 0x100000)
 *
 * vtxctl starts it in 64-bit mode with identity-mapped paging and RSP at
 * the top of RAM.  It prints a banner with its entry point and stack, then
 * F(n) for n = 0, 10, ..., 90 (Fibonacci numbers, in 64-bit arithmetic) on
 * the UART at 0x3f8 (polling LSR.THRE), checks F(90) and writes the verdict
 * to the exit port 0xf4: 0 = pass (vtxctl exits 1), 1 = fail (exits 3).
 */
	.code64
	.text
	.globl	_start

	.equ	UART_THR, 0x3f8
	.equ	UART_LSR, 0x3fd
	.equ	LSR_THRE, 0x20
	.equ	EXIT_PORT, 0xf4
	.equ	F90, 2880067194370816120

_start:
	cli
	cld
	movq	%rsp, %r12		/* stack top as vtxctl set it */

	leaq	banner(%rip), %rsi
	call	puts
	leaq	entry_msg(%rip), %rsi
	call	puts
	leaq	_start(%rip), %rax
	call	print_hex
	leaq	stack_msg(%rip), %rsi
	call	puts
	movq	%r12, %rax
	call	print_hex
	call	newline
	leaq	table_msg(%rip), %rsi
	call	puts

	/* %r13 = F(n), %r14 = F(n + 1), %r15 = n */
	xorl	%r13d, %r13d
	movl	$1, %r14d
	xorl	%r15d, %r15d
fib:
	movq	%r15, %rax		/* print a row when n % 10 == 0 */
	xorl	%edx, %edx
	movl	$10, %ecx
	divq	%rcx
	testq	%rdx, %rdx
	jnz	1f
	leaq	row1(%rip), %rsi	/* "  F(n) = value" */
	call	puts
	movq	%r15, %rax
	movl	$2, %edi
	call	print_dec
	leaq	row2(%rip), %rsi
	call	puts
	movq	%r13, %rax
	movl	$20, %edi
	call	print_dec
	call	newline
1:	cmpq	$90, %r15
	je	check
	leaq	(%r13, %r14), %rax	/* (F(n), F(n+1)) <- (F(n+1), F(n) + F(n+1)) */
	movq	%r14, %r13
	movq	%rax, %r14
	incq	%r15
	jmp	fib

check:
	movabsq	$F90, %rax
	cmpq	%rax, %r13
	jne	fail
	leaq	pass_msg(%rip), %rsi
	call	puts
	movb	$0, %al
	jmp	exit
fail:
	leaq	fail_msg(%rip), %rsi
	call	puts
	movb	$1, %al
exit:
	outb	%al, $EXIT_PORT
1:	hlt				/* only reached if the exit port is missing */
	jmp	1b

/* putc: write %al to the UART once the transmitter is empty. */
putc:
	pushq	%rdx
	pushq	%rax
	movw	$UART_LSR, %dx
1:	inb	%dx, %al
	testb	$LSR_THRE, %al
	jz	1b
	popq	%rax
	movw	$UART_THR, %dx
	outb	%al, %dx
	popq	%rdx
	ret

/* puts: write the NUL-terminated string at %rsi. */
puts:
	pushq	%rax
	pushq	%rsi
1:	lodsb
	testb	%al, %al
	jz	2f
	call	putc
	jmp	1b
2:	popq	%rsi
	popq	%rax
	ret

newline:
	pushq	%rax
	movb	$'\n', %al
	call	putc
	popq	%rax
	ret

/* print_dec: write %rax in decimal, right-aligned in %rdi columns. */
print_dec:
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rdi
	movl	$10, %ebx
	xorl	%ecx, %ecx		/* digits pushed */
1:	xorl	%edx, %edx
	divq	%rbx
	pushq	%rdx
	incq	%rcx
	testq	%rax, %rax
	jnz	1b
2:	cmpq	%rcx, %rdi		/* pad with spaces */
	jbe	3f
	movb	$' ', %al
	call	putc
	decq	%rdi
	jmp	2b
3:	popq	%rax
	addb	$'0', %al
	call	putc
	loop	3b
	popq	%rdi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	ret

/* print_hex: write %rax as 0x followed by 16 hex digits. */
print_hex:
	pushq	%rax
	pushq	%rcx
	pushq	%rdx
	movq	%rax, %rdx
	movb	$'0', %al
	call	putc
	movb	$'x', %al
	call	putc
	movl	$16, %ecx
1:	rolq	$4, %rdx
	movb	%dl, %al
	andb	$0xf, %al
	addb	$'0', %al
	cmpb	$'9', %al
	jbe	2f
	addb	$('a' - '0' - 10), %al
2:	call	putc
	loop	1b
	popq	%rdx
	popq	%rcx
	popq	%rax
	ret

banner:
	.asciz	"Hello from a 64-bit long-mode guest on vtxctl!\n"
entry_msg:
	.asciz	"entry "
stack_msg:
	.asciz	", stack top "
table_msg:
	.asciz	"Fibonacci numbers in 64-bit arithmetic:\n"
row1:
	.asciz	"  F("
row2:
	.asciz	") = "
pass_msg:
	.asciz	"self-check passed: writing 0 to port 0xf4\n"
fail_msg:
	.asciz	"self-check FAILED: writing 1 to port 0xf4\n"
