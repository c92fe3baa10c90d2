/* SPDX-License-Identifier: GPL-2.0 */
/* Guests of smi_test.c */
#include "guest_exc.h"
#include "smi.h"

/*
 * The SMI handler, copied to SMBASE + 0x8000 by the host (16-bit code,
 * CS.base = SMBASE): it clobbers ESI, reports from SMM, reads guest RAM
 * of address space 0 (not there in SMM: an MMIO exit) and returns.
 */
GUEST_BEGIN smi_handler, 16
	mov	$SMI_CLOBBER, %esi
	ucall_step SMI_STEP_HANDLER
	mov	VTX_CODE_GPA, %eax
	rsm
GUEST_END smi_handler

/*
 * Long mode: an SMI after step 1 must come back with every register; the
 * SMRAM's address is no RAM outside SMM (an MMIO exit); RSM outside SMM
 * raises #UD.
 */
GUEST_BEGIN smi_guest64, 64
	mov	$SMI_MAGIC64, %rsi
	ucall_step 1
GUEST_LABEL smi_after_step1
	ucall_step 2
	mov	SMRAM_GPA, %rax
	ucall_step 3
	resume_at smi_guest64, 1f
GUEST_LABEL smi_rsm64
	rsm
1:	ucall_step 4
	ucall	UCALL_DONE
2:	jmp	2b
	EXC_STUBS64 smi_stubs64
GUEST_END smi_guest64

/* 32-bit protected mode, for the 32-bit state-save map. */
GUEST_BEGIN smi_guest32, 32
	mov	$SMI_MAGIC32, %esi
	ucall_step 1
	ucall_step 2
	ucall	UCALL_DONE
1:	jmp	1b
GUEST_END smi_guest32
