/* SPDX-License-Identifier: GPL-2.0 */
/* Guest of kick_test.c (runs with IF = 1) */
#include "vtx_guest.h"
#include "vcpu.h"
#include "kick.h"

/*
 * Spin for ever, adding one to the u64 at KICK_COUNTER_GPA each round: no
 * instruction here exits, so only a kick ends KVM_RUN, and the host sees
 * the guest run by watching the counter move.
 */
GUEST_BEGIN kick_guest, 64
	sti
	mov	$KICK_COUNTER_GPA, %edi
1:	incq	(%rdi)
	jmp	1b
GUEST_END kick_guest
