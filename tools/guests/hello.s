/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hello.S - a 16-bit real-mode guest for vtxctl.
 *
 *   vtxctl run hello.bin --mode real        (loaded and started at 0x1000)
 *
 * Prints a banner and the primes below 100, found by trial division, on
 * the UART at 0x3f8 (polling LSR.THRE before each byte), checks what it
 * computed (25 primes, sum 1060) and writes the verdict to the exit port
 * 0xf4: 0 = pass (vtxctl exits 1), 1 = fail (vtxctl exits 3).
 */
	.code16
	.text
	.globl	_start

	.equ	UART_THR, 0x3f8
	.equ	UART_LSR, 0x3fd
	.equ	LSR_THRE, 0x20
	.equ	EXIT_PORT, 0xf4

_start:
	cli
	cld
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	$_start, %sp		/* stack grows down below the image */

	movw	$banner, %si
	call	puts

	/* %cx = n, %bx = primes found, %bp = their sum */
	xorw	%bx, %bx
	xorw	%bp, %bp
	movw	$2, %cx
next_n:
	movw	$2, %di			/* %di = trial divisor */
try_div:
	movw	%di, %ax
	mulw	%di			/* d * d > n: no divisor left, n is prime */
	cmpw	%cx, %ax
	ja	is_prime
	movw	%cx, %ax
	xorw	%dx, %dx
	divw	%di
	testw	%dx, %dx
	jz	not_prime		/* d divides n */
	incw	%di
	jmp	try_div
is_prime:
	incw	%bx
	addw	%cx, %bp
	movw	%cx, %ax
	movw	$5, %di
	call	print_dec		/* right-aligned in 5 columns */
	movw	%bx, %ax		/* a newline after every 10th prime */
	xorw	%dx, %dx
	movw	$10, %di
	divw	%di
	testw	%dx, %dx
	jnz	not_prime
	call	newline
not_prime:
	incw	%cx
	cmpw	$100, %cx
	jb	next_n
	call	newline

	movw	$found1, %si		/* "found N primes, sum S" */
	call	puts
	movw	%bx, %ax
	xorw	%di, %di
	call	print_dec
	movw	$found2, %si
	call	puts
	movw	%bp, %ax
	call	print_dec
	call	newline

	cmpw	$25, %bx
	jne	fail
	cmpw	$1060, %bp
	jne	fail
	movw	$pass_msg, %si
	call	puts
	movb	$0, %al
	jmp	exit
fail:
	movw	$fail_msg, %si
	call	puts
	movb	$1, %al
exit:
	outb	%al, $EXIT_PORT
1:	hlt				/* only reached if the exit port is missing */
	jmp	1b

/* putc: write %al to the UART once the transmitter is empty. */
putc:
	pushw	%dx
	pushw	%ax
	movw	$UART_LSR, %dx
1:	inb	%dx, %al
	testb	$LSR_THRE, %al
	jz	1b
	popw	%ax
	movw	$UART_THR, %dx
	outb	%al, %dx
	popw	%dx
	ret

/* puts: write the NUL-terminated string at %ds:%si. */
puts:
	pushw	%ax
	pushw	%si
1:	lodsb
	testb	%al, %al
	jz	2f
	call	putc
	jmp	1b
2:	popw	%si
	popw	%ax
	ret

newline:
	pushw	%ax
	movb	$'\n', %al
	call	putc
	popw	%ax
	ret

/* print_dec: write %ax in decimal, right-aligned in %di columns. */
print_dec:
	pusha
	movw	$10, %bx
	xorw	%cx, %cx		/* digits pushed */
1:	xorw	%dx, %dx
	divw	%bx
	pushw	%dx
	incw	%cx
	testw	%ax, %ax
	jnz	1b
2:	cmpw	%cx, %di		/* pad with spaces */
	jbe	3f
	movb	$' ', %al
	call	putc
	decw	%di
	jmp	2b
3:	popw	%ax
	addb	$'0', %al
	call	putc
	loop	3b
	popa
	ret

banner:
	.ascii	"Hello from a real-mode guest on vtxctl!\n"
	.asciz	"Primes below 100, by trial division:\n"
found1:
	.asciz	"found "
found2:
	.asciz	" primes, sum "
pass_msg:
	.asciz	"self-check passed: writing 0 to port 0xf4\n"
fail_msg:
	.asciz	"self-check FAILED: writing 1 to port 0xf4\n"
