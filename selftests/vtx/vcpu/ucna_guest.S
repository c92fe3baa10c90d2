/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guests of ucna_test.c: IA32_MCi_CTL2 as the guest sees it without and
 * with MCG_CMCI_P, and a UCNA error signalled through the local APIC's
 * CMCI LVT (xAPIC at 0xfee00000, KVM_CREATE_IRQCHIP).  One blob, one
 * entry label per test; interrupts are counted by the exception stubs,
 * which do not EOI.
 */
#include "guest_exc.h"
#include "ucna.h"
#include "guest_apic.h"

/* WRMSR \msr = \hi:\lo (clobbers EAX, ECX, EDX) */
.macro wrmsr_imm msr, hi, lo
	mov	$\msr, %ecx
	mov	$\lo, %eax
	mov	$\hi, %edx
	wrmsr
.endm

/* RBX = RDMSR \msr (clobbers EAX, ECX, EDX) */
.macro rdmsr_rbx msr
	mov	$\msr, %ecx
	rdmsr
	shl	$32, %rdx
	or	%rdx, %rax
	mov	%rax, %rbx
.endm

/* EBX = xAPIC register \reg (clobbers ESI) */
.macro apic_read reg
	mov	$APIC_GPA, %esi
	movl	\reg(%rsi), %ebx
.endm

/* xAPIC register \reg = \val (clobbers ESI) */
.macro apic_write reg, val
	mov	$APIC_GPA, %esi
	movl	$\val, \reg(%rsi)
.endm

/* RBX = deliveries of vector \v so far */
.macro irq_count v
	mov	IRQ_COUNT(\v), %ebx
.endm

GUEST_BEGIN ucna_guest, 64

/* No MCG_CMCI_P: MCi_CTL2 does not exist, reads and writes #GP. */
GUEST_LABEL ucna_nocmci_entry
	resume_at ucna_guest, 1f
	rdmsr_rbx MC_CTL2(UCNA_BANK)		/* #GP 1 */
1:	resume_at ucna_guest, 2f
	wrmsr_imm MC_CTL2(UCNA_BANK), 0, CTL2_CMCI_EN	/* #GP 2 */
2:	ucall_step 1
	hlt

/* MCG_CMCI_P: CMCI_EN and the threshold are writable, nothing else. */
GUEST_LABEL ucna_ctl2_entry
	rdmsr_rbx MC_CTL2(UCNA_BANK)
	ucall	UCALL_REPORT			/* 1: 0 after SETUP_MCE */
	wrmsr_imm MC_CTL2(UCNA_BANK), 0, (CTL2_CMCI_EN | CTL2_THRESHOLD)
	rdmsr_rbx MC_CTL2(UCNA_BANK)
	ucall	UCALL_REPORT			/* 2: what was written */
	resume_at ucna_guest, 1f
	wrmsr_imm MC_CTL2(UCNA_BANK), 0, (CTL2_CMCI_EN | CTL2_RESERVED) /* #GP 1 */
1:	resume_at ucna_guest, 2f
	wrmsr_imm MC_CTL2(UCNA_BANK), 1, CTL2_CMCI_EN	/* #GP 2: bit 32 */
2:	rdmsr_rbx MC_CTL2(UCNA_BANK)
	ucall	UCALL_REPORT			/* 3: unchanged */
	resume_at ucna_guest, 3f
	rdmsr_rbx MC_CTL2(UCNA_NBANKS)		/* #GP 3: no such bank */
3:	ucall_step 1
	hlt

/*
 * A UCNA with CMCI_EN: one CMCI; without CMCI_EN, and with the LVT
 * masked: none.  The error is in the bank each time.
 */
GUEST_LABEL ucna_cmci_entry
	movq	$EXC_RESUME_IRET, EXC_RESUME_GPA
	outb_imm PIC1_DATA, 0xff
	outb_imm PIC2_DATA, 0xff
	apic_write APIC_SVR, (APIC_SVR_EN | SPURIOUS_VEC)
	apic_read APIC_LVR
	ucall	UCALL_REPORT			/* 1: the version */
	apic_read APIC_LVTCMCI
	ucall	UCALL_REPORT			/* 2: masked */
	apic_write APIC_LVTCMCI, CMCI_VEC
	wrmsr_imm MC_CTL2(UCNA_BANK), 0, CTL2_CMCI_EN
	ucall_step 1				/* host: UCNA 1 */
	wait_irq CMCI_VEC, 1
	apic_write APIC_EOI, 0
	rdmsr_rbx MC_ADDR(UCNA_BANK)
	ucall	UCALL_REPORT			/* 3: the first address */
	wrmsr_imm MC_CTL2(UCNA_BANK), 0, 0
	ucall_step 2				/* host: UCNA 2 */
	nop
	nop
	irq_count CMCI_VEC
	ucall	UCALL_REPORT			/* 4: still 1 */
	rdmsr_rbx MC_ADDR(UCNA_BANK)
	ucall	UCALL_REPORT			/* 5: the second address */
	apic_write APIC_LVTCMCI, (LVT_MASKED | CMCI_VEC)
	wrmsr_imm MC_CTL2(UCNA_BANK), 0, CTL2_CMCI_EN
	ucall_step 3				/* host: UCNA 3 */
	nop
	nop
	irq_count CMCI_VEC
	ucall	UCALL_REPORT			/* 6: still 1 */
	rdmsr_rbx MC_ADDR(UCNA_BANK)
	ucall	UCALL_REPORT			/* 7: the third address */
	ucall	UCALL_DONE
	hlt

	EXC_STUBS64 ucna_guest_stubs
GUEST_END ucna_guest
