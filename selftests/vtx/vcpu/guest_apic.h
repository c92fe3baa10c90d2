/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Assembler macros shared by the interrupt-controller guests
 * (apic_guest.S, apicv_guest.S, irqchip_guest.S).  The IOAPIC ones use
 * IOAPIC_GPA, IOAPIC_SEL and IOAPIC_WIN of the including guest's header,
 * wait_irq its IRQ_COUNT(), x2apic_on its MSR_IA32_APICBASE, APIC_BASE_EN,
 * APIC_BASE_EXTD, X2APIC_SVR, APIC_SVR_EN and SPURIOUS_VEC.
 */
#ifndef VTX_VCPU_GUEST_APIC_H
#define VTX_VCPU_GUEST_APIC_H

#ifdef __ASSEMBLER__

/* WRMSR \msr = \val (clobbers EAX, ECX, EDX) */
.macro wrx msr, val
	mov	$\msr, %ecx
	mov	$\val, %eax
	xor	%edx, %edx
	wrmsr
.endm

/* x2APIC mode, software-enabled (clobbers EAX, ECX, EDX) */
.macro x2apic_on
	mov	$MSR_IA32_APICBASE, %ecx
	rdmsr
	or	$(APIC_BASE_EN | APIC_BASE_EXTD), %eax
	wrmsr
	wrx	X2APIC_SVR, (APIC_SVR_EN | SPURIOUS_VEC)
.endm

/* EBX = IOAPIC register \reg (clobbers ESI) */
.macro ioapic_read reg
	mov	$IOAPIC_GPA, %esi
	movl	$\reg, IOAPIC_SEL(%rsi)
	movl	IOAPIC_WIN(%rsi), %ebx
.endm

/* IOAPIC register \reg = \val (clobbers ESI) */
.macro ioapic_write reg, val
	mov	$IOAPIC_GPA, %esi
	movl	$\reg, IOAPIC_SEL(%rsi)
	movl	$\val, IOAPIC_WIN(%rsi)
.endm

/* OUT \val to port \port (clobbers AL) */
.macro outb_imm port, val
	mov	$\val, %al
	out	%al, $\port
.endm

/*
 * Until vector \v was delivered \n times in all: check with IF = 0, then
 * STI; HLT (no interrupt comes between them: STI's shadow), as Linux's
 * safe_halt().  Leaves IF = 1.
 */
.macro wait_irq v, n
1:	cli
	cmpl	$\n, IRQ_COUNT(\v)
	jae	2f
	sti
	hlt
	jmp	1b
2:	sti
.endm

#endif /* __ASSEMBLER__ */

#endif /* VTX_VCPU_GUEST_APIC_H */
