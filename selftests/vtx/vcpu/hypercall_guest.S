/* SPDX-License-Identifier: GPL-2.0 */
/* Guests of hypercall_test.c */
#include "vtx_guest.h"
#include "vcpu.h"
#include "hypercall.h"

/* VMCALL for each {nr, a0..a3} of the list; report RAX after each */
GUEST_BEGIN hc64_guest, 64
	mov	SCRATCH_GPA, %r8d
	mov	$HC_LIST_GPA, %r9
1:	test	%r8d, %r8d
	jz	2f
	mov	(%r9), %rax
	mov	8(%r9), %rbx
	mov	16(%r9), %rcx
	mov	24(%r9), %rdx
	mov	32(%r9), %rsi
GUEST_LABEL hc64_vmcall
	vmcall
GUEST_LABEL hc64_after
	mov	%rax, %rbx
	ucall	UCALL_REPORT
	add	$HC_ENTRY_SIZE, %r9
	dec	%r8d
	jmp	1b
2:	ucall	UCALL_DONE
	hlt
GUEST_END hc64_guest

/* 32-bit: VMCALL with the registers the host set, report EAX */
GUEST_BEGIN hc32_guest, 32
GUEST_LABEL hc32_vmcall
	vmcall
GUEST_LABEL hc32_after
	mov	%eax, %ebx
	ucall	UCALL_REPORT
	hlt
GUEST_END hc32_guest
