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
 * An SMI handler that goes to 32-bit protected mode, as firmware's do
 * (SeaBIOS's entry_smi): LGDT, CR0.PE set while CS is still SMM's (a data
 * segment, type 3), a far jump to flat 32-bit code, a report, RSM.
 */
#define PM_ABS(sym)	(SMRAM_GPA + SMM_HANDLER_OFFSET + (sym) - smi_handler_pm)
#define PM_OFF(sym)	(SMM_HANDLER_OFFSET + (sym) - smi_handler_pm)
GUEST_BEGIN smi_handler_pm, 16
	lgdtl	%cs:PM_OFF(smi_pm_gdtr)
	mov	%cr0, %eax
	or	$1, %eax
	mov	%eax, %cr0
	ljmpl	$SMI_PM_SEL_CODE32, $PM_ABS(1f)
	.code32
1:	mov	$SMI_PM_SEL_DATA32, %ax
	mov	%ax, %ds
	mov	%cr0, %esi
	ucall_step SMI_STEP_HANDLER_PM
	rsm
	.balign	8
smi_pm_gdt:
	.quad	0
	.quad	0x00cf9b000000ffff	/* SMI_PM_SEL_CODE32: flat */
	.quad	0x00cf93000000ffff	/* SMI_PM_SEL_DATA32: flat */
smi_pm_gdtr:
	.word	3 * 8 - 1
	.long	PM_ABS(smi_pm_gdt)
GUEST_END smi_handler_pm

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
