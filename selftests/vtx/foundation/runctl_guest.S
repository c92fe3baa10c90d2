/* SPDX-License-Identifier: GPL-2.0 */
/* Guests of runctl_test.c */
#include "vtx_guest.h"
#include "runctl.h"

/* immediate_exit: an IN whose completion must happen without running on */
GUEST_BEGIN rc_in_guest, 16
	mov	$0x11223344, %eax
GUEST_LABEL rc_in_insn
	inb	$RC_PORT_IN, %al
GUEST_LABEL rc_in_done
	hlt
GUEST_LABEL rc_in_halted
	ud2
GUEST_END rc_in_guest

/* spin forever: only a signal gets the host back */
GUEST_BEGIN rc_spin_guest, 64
GUEST_LABEL rc_spin_loop
	jmp	rc_spin_loop
GUEST_END rc_spin_guest

/* real mode, IDT limit 0: INT -> #GP -> #DF -> triple fault */
GUEST_BEGIN rc_tf_real_guest, 16
	lidt	0 + GUEST_GPA(rc_tf_real_guest, 1f)
	int	$0x10
	hlt
	ud2
1:	.word	0		/* limit */
	.long	0		/* base */
GUEST_END rc_tf_real_guest

/* the same in long mode */
GUEST_BEGIN rc_tf_long_guest, 64
	lidt	0 + GUEST_GPA(rc_tf_long_guest, 1f)
	int	$0x80
	hlt
	ud2
1:	.word	0
	.quad	0
GUEST_END rc_tf_long_guest

/* a long loop: x = rol(x + i, 5) for i = RC_LOOP_N .. 1 */
GUEST_BEGIN rc_loop_guest, 64
	xor	%eax, %eax
	mov	$RC_LOOP_N, %ecx
1:	add	%rcx, %rax
	rol	$5, %rax
	dec	%rcx
	jnz	1b
	mov	%rax, %rbx
	ucall	UCALL_REPORT
	hlt
GUEST_END rc_loop_guest
