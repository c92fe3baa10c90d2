/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A flat real-mode guest with known exit counts, for "vtxctl stats":
 * vCPU i (its index in SI, from vtxctl) executes exactly (i + 1) * 1000
 * OUTs to port 0x80 (unclaimed: one KVM_EXIT_IO each), (i + 1) * 500
 * CPUIDs (answered in the kernel) and then one HLT.  Nothing else exits
 * on purpose; in particular it never touches the UART.
 *
 *   vtxctl run count.bin  ->  IO_INSTRUCTION 1000, CPUID 500, HLT 1
 *
 * It does not wait for anything, so it needs no STI (see the Bochs note
 * in tools/guests/README.md).
 */
	.code16
	.text
	.globl	_start
_start:
	mov	%si, %bp
	inc	%bp			/* BP = index + 1 */

	mov	%bp, %ax
	mov	$1000, %dx
	mul	%dx			/* AX = 1000 * (i + 1) */
	mov	%ax, %di
1:	outb	%al, $0x80
	dec	%di
	jnz	1b

	mov	%bp, %ax
	mov	$500, %dx
	mul	%dx
	mov	%ax, %di		/* CPUID clobbers EAX, EBX, ECX, EDX */
2:	xor	%eax, %eax
	xor	%ecx, %ecx
	cpuid
	dec	%di
	jnz	2b

	hlt
3:	jmp	3b
