/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guests of mmio_test.c.
 *
 * mmio_guest_16/_32/_64: the instruction matrix (mmio.h), one program
 * assembled for real mode, 32-bit protected mode and 64-bit long mode from
 * mmio_cases.inc.  mmio_state_guest: where RIP and the registers are while
 * userspace handles an MMIO exit.
 */
#include "vtx_guest.h"
#include "mmio.h"

#define MODE 16
#include "mmio_cases.inc"
#undef MODE

#define MODE 32
#include "mmio_cases.inc"
#undef MODE

#define MODE 64
#include "mmio_cases.inc"
#undef MODE

/*
 * One read, one write, one read-modify-write and a REP STOSB of 3 on MMIO
 * at MMIO_GPA + 0x100 (identity-mapped by the library's page tables).
 */
GUEST_BEGIN mmio_state_guest, 64
	mov	$(MMIO_GPA + 0x100), %ebx
	mov	$0x11, %eax
GUEST_LABEL ms_rd
	mov	(%rbx), %eax
GUEST_LABEL ms_rd_end
	mov	$0x55667788, %ecx
GUEST_LABEL ms_wr
	mov	%ecx, 8(%rbx)
GUEST_LABEL ms_wr_end
	mov	$0x7fffffff, %edx
GUEST_LABEL ms_rmw
	add	%edx, 0x10(%rbx)
GUEST_LABEL ms_rmw_end
	mov	$3, %ecx
	lea	0x20(%rbx), %rdi
	mov	$0xab, %al
	cld
GUEST_LABEL ms_st
	rep stosb
GUEST_LABEL ms_st_end
	hlt
GUEST_LABEL ms_halted
	jmp	ms_st_end
GUEST_END mmio_state_guest

/*
 * Jumps to RAX, where the host put a MOV to MMIO that straddles a page
 * boundary of the code, a JMP, and a MOV from MMIO straddling the next.
 */
GUEST_BEGIN xpage_guest, 64
	mov	$(MMIO_GPA + 0x200), %ebx
	mov	$0x12345678, %ecx
	mov	$0x11, %edx
	jmp	*%rax
GUEST_END xpage_guest
