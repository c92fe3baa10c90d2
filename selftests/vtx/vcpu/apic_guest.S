/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guests of apic_test.c: the in-kernel local APIC (split irqchip) in
 * x2APIC mode.  Interrupts are waited for with HLT, which sleeps in the
 * kernel with an in-kernel APIC; every guest ends with a ucall and is not
 * run again.  Waiting loops run with IF = 1 (the Bochs note in util.c).
 */
#include "guest_exc.h"
#include "apic.h"
#include "guest_apic.h"

/* HLT until vector \v was delivered \n times, EOI after each wake-up */
.macro wait_halted v, n
1:	hlt
	wrx	X2APIC_EOI, 0
	cmpl	$\n, APIC_COUNT(\v)
	jb	1b
.endm

/* One-shot timer: HLT until it fires. */
GUEST_BEGIN apic_oneshot_guest, 64
	movq	$EXC_RESUME_IRET, EXC_RESUME_GPA
	x2apic_on
	wrx	X2APIC_LVTT, TIMER_VEC
	wrx	X2APIC_TDCR, TDCR_DIV1
	wrx	X2APIC_TMICT, TIMER_COUNT
	wait_halted TIMER_VEC, 1
	/* after expiry the current count reads 0 */
	mov	$X2APIC_TMCCT, %ecx
	rdmsr
	mov	%eax, %ebx
	ucall	UCALL_REPORT
	ucall_step 1
	EXC_STUBS64 apic_oneshot_stubs
GUEST_END apic_oneshot_guest

/* Periodic timer: PERIODIC_N interrupts, then stop it. */
GUEST_BEGIN apic_periodic_guest, 64
	movq	$EXC_RESUME_IRET, EXC_RESUME_GPA
	x2apic_on
	wrx	X2APIC_LVTT, (TIMER_VEC | LVT_PERIODIC)
	wrx	X2APIC_TDCR, TDCR_DIV1
	wrx	X2APIC_TMICT, PERIOD_COUNT
	wait_halted TIMER_VEC, PERIODIC_N
	wrx	X2APIC_TMICT, 0
	ucall_step 1
	EXC_STUBS64 apic_periodic_stubs
GUEST_END apic_periodic_guest

/* TSC-deadline timer: IA32_TSC_DEADLINE = TSC + TSC_DELTA. */
GUEST_BEGIN apic_tscdl_guest, 64
	movq	$EXC_RESUME_IRET, EXC_RESUME_GPA
	x2apic_on
	wrx	X2APIC_LVTT, (TIMER_VEC | LVT_TSC_DEADLINE)
	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	add	$TSC_DELTA, %rax
	mov	%rax, %rdx
	shr	$32, %rdx
	mov	$MSR_IA32_TSC_DEADLINE, %ecx
	wrmsr
	wait_halted TIMER_VEC, 1
	/* an expired deadline reads 0 */
	mov	$MSR_IA32_TSC_DEADLINE, %ecx
	rdmsr
	mov	%eax, %ebx
	or	%edx, %ebx
	ucall	UCALL_REPORT
	ucall_step 1
	EXC_STUBS64 apic_tscdl_stubs
GUEST_END apic_tscdl_guest

/*
 * Two vCPUs, RDI = index.  vCPU 1 announces itself at READY_GPA and
 * halts until IPI_VEC arrives; vCPU 0 waits for that, then sends the
 * fixed IPI to x2APIC ID 1.
 */
GUEST_BEGIN apic_ipi_guest, 64
	movq	$EXC_RESUME_IRET, EXC_RESUME_GPA
	x2apic_on
	test	%edi, %edi
	jnz	2f
1:	pause
	cmpl	$1, READY_GPA
	jne	1b
	mov	$X2APIC_ICR, %ecx
	mov	$IPI_VEC, %eax
	mov	$1, %edx		/* destination: x2APIC ID 1 */
	wrmsr
	ucall_step 1
2:	movl	$1, READY_GPA
	wait_halted IPI_VEC, 1
	ucall_step 2
	EXC_STUBS64 apic_ipi_stubs
GUEST_END apic_ipi_guest

/* vCPU 0 starts vCPU 1: INIT, then a start-up IPI to AP_CODE_GPA. */
GUEST_BEGIN apic_sipi_guest, 64
	movq	$EXC_RESUME_IRET, EXC_RESUME_GPA
	x2apic_on
	mov	$X2APIC_ICR, %ecx
	mov	$ICR_INIT, %eax
	mov	$1, %edx
	wrmsr
	ucall_step 1
	mov	$X2APIC_ICR, %ecx
	mov	$(ICR_SIPI | AP_SIPI_VECTOR), %eax
	mov	$1, %edx
	wrmsr
	ucall_step 2
	EXC_STUBS64 apic_sipi_stubs
GUEST_END apic_sipi_guest

/* What the started AP runs, in real mode at AP_SIPI_VECTOR:0000. */
GUEST_BEGIN apic_ap_code, 16
	movw	$AP_MAGIC, %cs:AP_MAGIC_OFF
	mov	$AP_PORT, %dx
	mov	$AP_MAGIC, %ax
	out	%ax, %dx
1:	jmp	1b
GUEST_END apic_ap_code

/*
 * LINT0 masked (step 1), then in ExtINT mode, with IF = 1: while it is
 * masked the guest runs on (userspace's window request waits; step 2);
 * unmasked, it HLTs until userspace's KVM_INTERRUPT arrived (step 3).
 */
GUEST_BEGIN apic_extint_guest, 64
	movq	$EXC_RESUME_IRET, EXC_RESUME_GPA
	x2apic_on
	wrx	X2APIC_LVT0, (LVT_MASKED | LVT_DM_EXTINT)
	sti
	ucall_step 1
	mov	$EXTINT_SPINS, %esi
1:	dec	%esi
	jnz	1b
	ucall_step 2
	wrx	X2APIC_LVT0, LVT_DM_EXTINT
	/* the interrupt can come only at the HLT (STI's shadow) */
2:	cli
	cmpl	$1, APIC_COUNT(EXTINT_VEC)
	jae	3f
	sti
	hlt
	jmp	2b
3:	ucall_step 3
	EXC_STUBS64 apic_extint_stubs
GUEST_END apic_extint_guest
