/* SPDX-License-Identifier: GPL-2.0 */
/* Guest of wbinvd_test.c */
#include "guest_exc.h"
#include "wbinvd.h"

/*
 * WBINVD_LOOPS WBINVDs and one INVD at CPL 0 (each exits to the
 * hypervisor, which skips it), then IRETQ to CPL 3, where both raise
 * #GP(0) in the guest before any VM exit.
 */
GUEST_BEGIN wbinvd_guest, 64
	ucall_step 1
	mov	$WBINVD_LOOPS, %r8d
1:	wbinvd
	dec	%r8d
	jnz	1b
	invd
	ucall_step 2

	mov	$WB_SEL_TSS, %ax
	ltr	%ax
	pushq	$WB_SEL_UDATA
	pushq	$WB_USER_RSP
	pushq	$WB_USER_RFLAGS
	pushq	$WB_SEL_UCODE64
	pushq	$GUEST_GPA(wbinvd_guest, 2f)
	iretq
2:	resume_at wbinvd_guest, 3f
GUEST_LABEL wbinvd_user
	wbinvd
3:	resume_at wbinvd_guest, 4f
GUEST_LABEL invd_user
	invd
4:	ucall	UCALL_DONE
5:	jmp	5b
	EXC_STUBS64 wbinvd_stubs
GUEST_END wbinvd_guest
