/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest of apicv_test.c: the in-kernel local APIC as a guest uses it in
 * xAPIC mode (MMIO at 0xfee00000, which APICv virtualizes) and then in
 * x2APIC mode, with KVM_CREATE_IRQCHIP's IOAPIC: TPR through CR8, a
 * self-IPI blocked by it, ISR and EOI, the timer's current count, a
 * level-triggered IOAPIC interrupt ended by an xAPIC EOI, and x2APIC's
 * SELF IPI.  Interrupts are counted by the exception stubs, which do not
 * EOI; waiting loops run with IF = 1.
 */
#include "guest_exc.h"
#include "apicv.h"
#include "guest_apic.h"

/* EBX = xAPIC register \reg */
.macro apic_read reg
	mov	$APIC_GPA, %esi
	movl	\reg(%rsi), %ebx
.endm

/* xAPIC register \reg = \val */
.macro apic_write reg, val
	mov	$APIC_GPA, %esi
	movl	$\val, \reg(%rsi)
.endm

GUEST_BEGIN apicv_guest, 64
	movq	$EXC_RESUME_IRET, EXC_RESUME_GPA
	outb_imm PIC1_DATA, 0xff
	outb_imm PIC2_DATA, 0xff
	apic_write APIC_SVR, (APIC_SVR_EN | SPURIOUS_VEC)
	apic_read APIC_LVR
	ucall	UCALL_REPORT			/* 1: the version */

	/* TPR through CR8 blocks the self-IPI's class */
	mov	$TPR_BLOCK, %eax
	mov	%rax, %cr8
	apic_write APIC_ICR_LO, (ICR_SELF | SELF_VEC)
	nop
	nop
	apic_read APIC_TPR
	ucall	UCALL_REPORT			/* 2: TPR 0x30 */
	ucall_step 1				/* host: pending, SET_LAPIC */
	apic_read APIC_TPR
	ucall	UCALL_REPORT			/* 3: TPR_SET */
	mov	%cr8, %rbx
	ucall	UCALL_REPORT			/* 4: TPR_SET >> 4 */
	xor	%eax, %eax
	mov	%rax, %cr8			/* the self-IPI is taken */
	nop
	apic_read APIC_ISR1
	ucall	UCALL_REPORT			/* 5: in service */
	apic_write APIC_EOI, 0
	apic_read APIC_ISR1
	ucall	UCALL_REPORT			/* 6: not any more */
	ucall_step 2

	/* the current count is computed on demand (an APIC-access exit) */
	apic_write APIC_LVTT, (LVT_MASKED | TIMER_VEC)
	apic_write APIC_TDCR, TDCR_DIV1
	apic_write APIC_TMICT, TIMER_COUNT
	apic_read APIC_TMCCT
	ucall	UCALL_REPORT			/* 7: counting down */
	apic_write APIC_TMICT, 0

	/* a level-triggered IOAPIC entry, ended by an xAPIC EOI */
	ioapic_write IOAPIC_RTE_HI, 0
	ioapic_write IOAPIC_RTE_LO, (IOAPIC_VEC | RTE_LEVEL)
	ucall_step 3				/* host: line high */
	wait_irq IOAPIC_VEC, 1
	ioapic_read IOAPIC_RTE_LO
	ucall	UCALL_REPORT			/* 8: remote IRR set */
	ucall_step 4				/* host: line low */
	apic_write APIC_EOI, 0
	ioapic_read IOAPIC_RTE_LO
	ucall	UCALL_REPORT			/* 9: remote IRR clear */
	ucall_step 5				/* host: line high again */
	wait_irq IOAPIC_VEC, 2
	ucall_step 6				/* host: line low */
	apic_write APIC_EOI, 0
	ioapic_read IOAPIC_RTE_LO
	ucall	UCALL_REPORT			/* 10: remote IRR clear */

	/* xAPIC page accesses the processor virtualizes with APICv */
	mov	$APIC_GPA, %esi
	mov	$LOOP_N, %ecx
1:	movl	APIC_TPR(%rsi), %eax
	movl	%eax, APIC_TPR(%rsi)
	dec	%ecx
	jnz	1b
	ucall_step 7				/* host: exit counts */

	/* x2APIC: SELF IPI, ISR and EOI through MSRs */
	mov	$MSR_IA32_APICBASE, %ecx
	rdmsr
	or	$(APIC_BASE_EN | APIC_BASE_EXTD), %eax
	wrmsr
	wrx	X2APIC_SELF_IPI, X2SELF_VEC
	nop
	mov	$X2APIC_ISR1, %ecx
	rdmsr
	mov	%eax, %ebx
	ucall	UCALL_REPORT			/* 11: in service */
	wrx	X2APIC_EOI, 0
	mov	$X2APIC_ISR1, %ecx
	rdmsr
	mov	%eax, %ebx
	ucall	UCALL_REPORT			/* 12: not any more */
	/*
	 * SELF IPI of an illegal vector: with APICv an APIC-write exit (the
	 * processor virtualizes only vectors 16-255), "send illegal vector"
	 * in ESR once ESR is written
	 */
	wrx	X2APIC_ESR, 0
	wrx	X2APIC_SELF_IPI, ILLEGAL_VEC
	nop
	wrx	X2APIC_ESR, 0
	mov	$X2APIC_ESR, %ecx
	rdmsr
	mov	%eax, %ebx
	ucall	UCALL_REPORT			/* 13: ESR */
	ucall_step 8
	EXC_STUBS64 apicv_guest_stubs
GUEST_END apicv_guest

/*
 * Two vCPUs in xAPIC mode, RDI = index: vCPU 1 announces itself at
 * READY_GPA and halts until IPI_VEC arrives (step 2); vCPU 0 then sends
 * it a fixed IPI, the destination (APIC ID 1) in ICR_HI as Linux writes
 * it, and reports how many it took itself (step 1).
 */
GUEST_BEGIN apicv_ipi_guest, 64
	movq	$EXC_RESUME_IRET, EXC_RESUME_GPA
	apic_write APIC_SVR, (APIC_SVR_EN | SPURIOUS_VEC)
	test	%edi, %edi
	jnz	2f
	outb_imm PIC1_DATA, 0xff
	outb_imm PIC2_DATA, 0xff
1:	pause
	cmpl	$1, READY_GPA
	jne	1b
	apic_write APIC_ICR_HI, (1 << ICR_DEST_SHIFT)
	apic_write APIC_ICR_LO, IPI_VEC
	nop
	nop
	movl	IRQ_COUNT(IPI_VEC), %ebx
	ucall	UCALL_REPORT			/* IPIs vCPU 0 took: none */
	ucall_step 1
2:	movl	$1, READY_GPA
	wait_irq IPI_VEC, 1
	apic_write APIC_EOI, 0
	ucall_step 2
	EXC_STUBS64 apicv_ipi_stubs
GUEST_END apicv_ipi_guest

/*
 * A virtual interrupt whose delivery exits: first a #GP vtx injects (the
 * RDMSR of an MSR that is not), then a self-IPI taken on a stack in
 * memory the guest never touched (an EPT violation while the interrupt
 * is delivered).  One #GP, one SELF_VEC.
 */
GUEST_BEGIN apicv_stale_guest, 64
	movq	$EXC_RESUME_IRET, EXC_RESUME_GPA
	outb_imm PIC1_DATA, 0xff
	outb_imm PIC2_DATA, 0xff
	apic_write APIC_SVR, (APIC_SVR_EN | SPURIOUS_VEC)
	resume_at apicv_stale_guest, 1f
	mov	$MSR_BOGUS, %ecx
	rdmsr
1:	movq	$EXC_RESUME_IRET, EXC_RESUME_GPA
	mov	%rsp, %rbp
	mov	$FRESH_STACK_TOP, %rsp
	apic_write APIC_ICR_LO, (ICR_SELF | SELF_VEC)
	nop
	nop
	mov	%rbp, %rsp
	apic_write APIC_EOI, 0
	ucall_step 1
	EXC_STUBS64 apicv_stale_stubs
GUEST_END apicv_stale_guest

/*
 * MSI_VEC from KVM_SIGNAL_MSI three times: queued while the vCPU is out
 * of the guest (step 1), sent while the guest spins with IF = 1
 * (READY_GPA = 1), and while it is halted (READY_GPA = 2).  Each is taken
 * once and ended by an xAPIC EOI; step 2 with RBX = the #GPs taken.
 */
GUEST_BEGIN apicv_msi_guest, 64
	movq	$EXC_RESUME_IRET, EXC_RESUME_GPA
	outb_imm PIC1_DATA, 0xff
	outb_imm PIC2_DATA, 0xff
	apic_write APIC_SVR, (APIC_SVR_EN | SPURIOUS_VEC)
	ucall_step 1				/* host: the first MSI */
	wait_irq MSI_VEC, 1
	apic_write APIC_EOI, 0
	movl	$1, READY_GPA			/* host: the second */
1:	pause
	cmpl	$2, IRQ_COUNT(MSI_VEC)
	jb	1b
	apic_write APIC_EOI, 0
	movl	$2, READY_GPA			/* host: the third */
	wait_irq MSI_VEC, 3
	apic_write APIC_EOI, 0
	movl	IRQ_COUNT(GP_VECTOR), %ebx
	ucall	UCALL_REPORT			/* #GPs: none */
	ucall_step 2
	EXC_STUBS64 apicv_msi_stubs
GUEST_END apicv_msi_guest

/* Until READY_GPA is \stage; interrupts stay as they are */
.macro wait_stage stage
1:	cmpl	$\stage, READY_GPA
	jne	1b
.endm

/*
 * Interrupts requested while the guest runs with IF = 0 wait for IF = 1,
 * as EFLAGS.IF masks virtual interrupts too (SDM "Delivery of Pending
 * Virtual Interrupts"); meanwhile host interrupts come (the host holds
 * the guest in each wait).  Three ways a virtual interrupt becomes
 * pending in the guest: the entry after the host's MSI (IFOFF_PENDING),
 * the EOI of the vector in service with LOW_VEC waiting behind it
 * (IFOFF_EOI), an x2APIC SELF IPI (IFOFF_SELF).  Each stage reports the
 * interrupts taken so far, before STI; HLT takes the one waiting.
 */
GUEST_BEGIN apicv_ifoff_guest, 64
	movq	$EXC_RESUME_IRET, EXC_RESUME_GPA
	outb_imm PIC1_DATA, 0xff
	outb_imm PIC2_DATA, 0xff
	apic_write APIC_SVR, (APIC_SVR_EN | SPURIOUS_VEC)

	cli
	movl	$IFOFF_PENDING, READY_GPA	/* host: MSI_VEC */
	wait_stage (IFOFF_PENDING + 1)
	movl	IRQ_COUNT(MSI_VEC), %ebx
	ucall	UCALL_REPORT			/* 1: none with IF = 0 */
	wait_irq MSI_VEC, 1
	apic_write APIC_EOI, 0

	movl	$IFOFF_BEHIND, READY_GPA	/* host: MSI_VEC, LOW_VEC */
	wait_irq MSI_VEC, 2			/* in service (not ended) */
	wait_stage (IFOFF_BEHIND + 1)		/* IF = 1, LOW_VEC waits */
	cli
	apic_write APIC_EOI, 0			/* MSI_VEC ends, IF = 0 */
	movl	$IFOFF_EOI, READY_GPA		/* host: holds */
	wait_stage (IFOFF_EOI + 1)
	movl	IRQ_COUNT(LOW_VEC), %ebx
	ucall	UCALL_REPORT			/* 2: none with IF = 0 */
	wait_irq LOW_VEC, 1
	apic_write APIC_EOI, 0

	x2apic_on
	cli
	wrx	X2APIC_SELF_IPI, LOW_VEC
	movl	$IFOFF_SELF, READY_GPA		/* host: holds */
	wait_stage (IFOFF_SELF + 1)
	movl	IRQ_COUNT(LOW_VEC), %ebx
	ucall	UCALL_REPORT			/* 3: still 1 */
	wait_irq LOW_VEC, 2
	wrx	X2APIC_EOI, 0
	movl	IRQ_COUNT(MSI_VEC), %ebx
	ucall	UCALL_REPORT			/* 4: MSI_VEC taken twice */
	ucall_step 1
	EXC_STUBS64 apicv_ifoff_stubs
GUEST_END apicv_ifoff_guest

/*
 * Interrupts from every source at once to a vCPU that halts (STI; HLT)
 * and spins with IF = 1 in turn, RDI = index.  vCPU 1 routes the IOAPIC
 * pins to itself, announces itself (READY_GPA = 1), then takes and ends
 * (EOI) interrupts until STORM_TOTAL_GPA of them came (step 2).  vCPU 0
 * sends it STORM_N_GPA fixed IPIs, each once the one before was taken
 * (step 1).
 */
GUEST_BEGIN apicv_storm_guest, 64
	movq	$EXC_RESUME_IRET, EXC_RESUME_GPA
	apic_write APIC_SVR, (APIC_SVR_EN | SPURIOUS_VEC)
	test	%edi, %edi
	jnz	5f
	outb_imm PIC1_DATA, 0xff
	outb_imm PIC2_DATA, 0xff
1:	cmpl	$1, READY_GPA
	jne	1b
	xor	%r8d, %r8d			/* IPIs sent */
2:	cmp	STORM_N_GPA, %r8d
	jae	4f
3:	cmpl	%r8d, IRQ_COUNT(STORM_IPI_VEC)	/* the last one taken */
	jb	3b
	apic_write APIC_ICR_HI, (1 << ICR_DEST_SHIFT)
	apic_write APIC_ICR_LO, STORM_IPI_VEC
	inc	%r8d
	jmp	2b
4:	ucall_step 1

5:	ioapic_write (IOAPIC_RTE_LO_OF(STORM_LINE_GSI) + 1), (1 << ICR_DEST_SHIFT)
	ioapic_write IOAPIC_RTE_LO_OF(STORM_LINE_GSI), STORM_LINE_VEC
	ioapic_write (IOAPIC_RTE_LO_OF(STORM_IRQFD_GSI) + 1), (1 << ICR_DEST_SHIFT)
	ioapic_write IOAPIC_RTE_LO_OF(STORM_IRQFD_GSI), STORM_MSI_VEC
	movl	$1, READY_GPA
	xor	%r8d, %r8d			/* EOIs written */
	xor	%r9d, %r9d			/* rounds: halt or spin */
6:	cli
	mov	IRQ_COUNT(STORM_LINE_VEC), %eax
	add	IRQ_COUNT(STORM_MSI_VEC), %eax
	add	IRQ_COUNT(STORM_IPI_VEC), %eax
7:	cmp	%eax, %r8d			/* one EOI per interrupt taken */
	jae	8f
	apic_write APIC_EOI, 0
	inc	%r8d
	jmp	7b
8:	cmp	STORM_TOTAL_GPA, %r8d
	jae	9f
	inc	%r9d
	test	$1, %r9d
	jz	10f
	sti
	hlt
	jmp	6b
10:	sti
	nop
	nop
	nop
	jmp	6b
9:	sti
	ucall_step 2
	EXC_STUBS64 apicv_storm_stubs
GUEST_END apicv_storm_guest
