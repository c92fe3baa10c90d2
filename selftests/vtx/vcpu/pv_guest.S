/* SPDX-License-Identifier: GPL-2.0 */
/* Guests of pv_test.c */
#include "guest_exc.h"
#include "apic.h"
#include "guest_apic.h"
#include "pv.h"

/* KVM_HC_SEND_IPI(\low, \high, \min, \icr); ucall REPORT with RAX in RBX */
.macro send_ipi low, high, min, icr
	mov	$PV_HC_SEND_IPI, %eax
	mov	$\low, %rbx
	mov	$\high, %rcx
	mov	$\min, %edx
	mov	$\icr, %esi
	vmcall
	mov	%rax, %rbx
	ucall	UCALL_REPORT
.endm

/*
 * kvmclock: MSR_KVM_WALL_CLOCK_NEW = WALL_GPA, ucall STEP 1; then
 * MSR_KVM_SYSTEM_TIME_NEW = PVTI_GPA | 1 and, forever, the clock read as
 * a pvclock reader does (version even and unchanged around the read,
 * system_time + ((TSC - tsc_timestamp) << shift) * mul >> 32) in a
 * ucall REPORT (RBX).
 */
GUEST_BEGIN pvclock_guest, 64
	mov	$PV_MSR_WALL_CLOCK_NEW, %ecx
	mov	$WALL_GPA, %eax
	xor	%edx, %edx
	wrmsr
	ucall_step 1
	mov	$PV_MSR_SYSTEM_TIME_NEW, %ecx
	mov	$(PVTI_GPA | 1), %eax
	xor	%edx, %edx
	wrmsr
1:	mov	PVTI_GPA + PVTI_VERSION, %r8d
	test	$1, %r8d
	jnz	1b
	lfence
	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	sub	PVTI_GPA + PVTI_TSC_TIMESTAMP, %rax
	movsbl	PVTI_GPA + PVTI_SHIFT, %ecx
	test	%ecx, %ecx
	js	2f
	shl	%cl, %rax
	jmp	3f
2:	neg	%ecx
	shr	%cl, %rax
3:	mov	PVTI_GPA + PVTI_MUL, %r9d
	mul	%r9
	shrd	$32, %rdx, %rax
	add	PVTI_GPA + PVTI_SYSTEM_TIME, %rax
	mov	%rax, %rbx
	lfence
	cmp	PVTI_GPA + PVTI_VERSION, %r8d
	jne	1b
	ucall	UCALL_REPORT
	jmp	1b
GUEST_END pvclock_guest

/* ucall STEP forever: each KVM_RUN enters the guest once */
GUEST_BEGIN step_guest, 64
1:	ucall_step 1
	jmp	1b
GUEST_END step_guest

/* Count in PV_COUNTER_GPA forever, without an exit of its own (IF = 1). */
GUEST_BEGIN pv_spin_guest, 64
1:	incq	PV_COUNTER_GPA
	jmp	1b
GUEST_END pv_spin_guest

/*
 * Two vCPUs, RDI = index, IF = 1 (vCPU 1 clears it), in x2APIC mode (APIC ID = index; the
 * APIC_BASE write also puts vCPU 1 in KVM's APIC map, which a vCPU
 * created after the map was last made is not in).  vCPU 1 says it is
 * ready and halts; it reports step 2 once it runs again.  vCPU 0 waits
 * for it, ucall step 1 (the host waits there until vCPU 1 sleeps), then
 * KVM_HC_KICK_CPU to APIC ID 1, its RAX in a REPORT, then step 3.
 */
GUEST_BEGIN pv_kick_guest, 64
	x2apic_on
	test	%edi, %edi
	jnz	2f
1:	pause
	cmpl	$1, PV_READY_GPA
	jne	1b
	ucall_step 1
	mov	$PV_HC_KICK_CPU, %eax
	xor	%ebx, %ebx
	mov	$1, %ecx
	vmcall
	mov	%rax, %rbx
	ucall	UCALL_REPORT
	ucall_step 3
2:	cli
	lock incl PV_READY_GPA
	hlt
	ucall_step 2
3:	hlt
	jmp	3b
GUEST_END pv_kick_guest

/*
 * Three vCPUs in x2APIC mode (APIC ID = index = RDI), IF = 1.  vCPUs 1
 * and 2 say they are ready and halt, with an EOI after each wake-up
 * (each interrupt: a UCALL_EXC).
 * vCPU 0 waits for both, then makes the KVM_HC_SEND_IPI calls pv_test.c
 * lists in send_ipi_calls[], a REPORT of RAX after each, then step 1.
 */
GUEST_BEGIN pv_ipi_guest, 64
	movq	$EXC_RESUME_IRET, EXC_RESUME_GPA
	x2apic_on
	test	%edi, %edi
	jnz	2f
1:	pause
	cmpl	$2, PV_READY_GPA
	jne	1b
	send_ipi 6, 0, 0, PV_IPI_VEC
	send_ipi 6, 0, 0, (PV_IPI_VEC | PV_ICR_LOGICAL)
	send_ipi 6, 0, 0, (PV_IPI_VEC | PV_ICR_ALLBUT)
	send_ipi 1, 0, 2, PV_ICR_NMI
	send_ipi -1, -1, 3, PV_IPI_VEC
	send_ipi -1, 0, 0xffffffff, PV_IPI_VEC
	send_ipi 2, 0, 0, (PV_IPI_VEC | PV_ICR_ASSERT)
	ucall_step 1
2:	lock incl PV_READY_GPA
3:	hlt
	wrx	X2APIC_EOI, 0
	jmp	3b
	EXC_STUBS64 pv_ipi_stubs
GUEST_END pv_ipi_guest

/*
 * KVM_HC_KICK_CPU(0, 0), KVM_HC_SEND_IPI(0, 0, 0, PV_IPI_VEC) and
 * KVM_HC_SCHED_YIELD(0), a REPORT of RAX after each, forever.
 */
GUEST_BEGIN pv_hc_guest, 64
1:	mov	$PV_HC_KICK_CPU, %eax
	xor	%ebx, %ebx
	xor	%ecx, %ecx
	vmcall
	mov	%rax, %rbx
	ucall	UCALL_REPORT
	send_ipi 0, 0, 0, PV_IPI_VEC
	mov	$PV_HC_SCHED_YIELD, %eax
	xor	%ebx, %ebx
	vmcall
	mov	%rax, %rbx
	ucall	UCALL_REPORT
	jmp	1b
GUEST_END pv_hc_guest
