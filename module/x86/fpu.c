// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - the guest's XMM and MMX registers, for the SSE and MMX moves the
 * MMIO emulator performs (emulate.c, through struct vtx_emu_ops).
 *
 * Inside KVM_RUN the guest's fpstate is the task's (fpu_swap_kvm_fpstate()
 * in x86.c): its registers are live in the CPU, or saved in that fpstate
 * when TIF_NEED_FPU_LOAD says the CPU holds something else since.  A
 * register is accessed as KVM does it: with the fpregs locked and the
 * guest's state reloaded first if needed, by a MOVDQU or MOVQ on the
 * register itself, so the CPU keeps the guest's format (XSAVE compaction,
 * the init optimisation) its own business.  The completion of an MMIO read
 * runs at the next KVM_RUN before the swap; the guest's fpstate is then
 * swapped in around the access.
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/sched.h>
#include <asm/fpu/api.h>
#include "x86/x86.h"

/* x87 status word: an unmasked exception is pending. */
#define FSW_ES		0x0080

/* The register number is a literal in each instruction. */
static void xmm_read(unsigned int reg, void *buf)
{
	u8 (*p)[16] = buf;

	switch (reg) {
	case 0:
		asm volatile("movdqu %%xmm0, %0" : "=m" (*p));
		break;
	case 1:
		asm volatile("movdqu %%xmm1, %0" : "=m" (*p));
		break;
	case 2:
		asm volatile("movdqu %%xmm2, %0" : "=m" (*p));
		break;
	case 3:
		asm volatile("movdqu %%xmm3, %0" : "=m" (*p));
		break;
	case 4:
		asm volatile("movdqu %%xmm4, %0" : "=m" (*p));
		break;
	case 5:
		asm volatile("movdqu %%xmm5, %0" : "=m" (*p));
		break;
	case 6:
		asm volatile("movdqu %%xmm6, %0" : "=m" (*p));
		break;
	case 7:
		asm volatile("movdqu %%xmm7, %0" : "=m" (*p));
		break;
	case 8:
		asm volatile("movdqu %%xmm8, %0" : "=m" (*p));
		break;
	case 9:
		asm volatile("movdqu %%xmm9, %0" : "=m" (*p));
		break;
	case 10:
		asm volatile("movdqu %%xmm10, %0" : "=m" (*p));
		break;
	case 11:
		asm volatile("movdqu %%xmm11, %0" : "=m" (*p));
		break;
	case 12:
		asm volatile("movdqu %%xmm12, %0" : "=m" (*p));
		break;
	case 13:
		asm volatile("movdqu %%xmm13, %0" : "=m" (*p));
		break;
	case 14:
		asm volatile("movdqu %%xmm14, %0" : "=m" (*p));
		break;
	case 15:
		asm volatile("movdqu %%xmm15, %0" : "=m" (*p));
		break;
	}
}

static void xmm_write(unsigned int reg, const void *buf)
{
	const u8 (*p)[16] = buf;

	switch (reg) {
	case 0:
		asm volatile("movdqu %0, %%xmm0" : : "m" (*p));
		break;
	case 1:
		asm volatile("movdqu %0, %%xmm1" : : "m" (*p));
		break;
	case 2:
		asm volatile("movdqu %0, %%xmm2" : : "m" (*p));
		break;
	case 3:
		asm volatile("movdqu %0, %%xmm3" : : "m" (*p));
		break;
	case 4:
		asm volatile("movdqu %0, %%xmm4" : : "m" (*p));
		break;
	case 5:
		asm volatile("movdqu %0, %%xmm5" : : "m" (*p));
		break;
	case 6:
		asm volatile("movdqu %0, %%xmm6" : : "m" (*p));
		break;
	case 7:
		asm volatile("movdqu %0, %%xmm7" : : "m" (*p));
		break;
	case 8:
		asm volatile("movdqu %0, %%xmm8" : : "m" (*p));
		break;
	case 9:
		asm volatile("movdqu %0, %%xmm9" : : "m" (*p));
		break;
	case 10:
		asm volatile("movdqu %0, %%xmm10" : : "m" (*p));
		break;
	case 11:
		asm volatile("movdqu %0, %%xmm11" : : "m" (*p));
		break;
	case 12:
		asm volatile("movdqu %0, %%xmm12" : : "m" (*p));
		break;
	case 13:
		asm volatile("movdqu %0, %%xmm13" : : "m" (*p));
		break;
	case 14:
		asm volatile("movdqu %0, %%xmm14" : : "m" (*p));
		break;
	case 15:
		asm volatile("movdqu %0, %%xmm15" : : "m" (*p));
		break;
	}
}

static void mm_read(unsigned int reg, void *buf)
{
	u8 (*p)[8] = buf;

	switch (reg) {
	case 0:
		asm volatile("movq %%mm0, %0" : "=m" (*p));
		break;
	case 1:
		asm volatile("movq %%mm1, %0" : "=m" (*p));
		break;
	case 2:
		asm volatile("movq %%mm2, %0" : "=m" (*p));
		break;
	case 3:
		asm volatile("movq %%mm3, %0" : "=m" (*p));
		break;
	case 4:
		asm volatile("movq %%mm4, %0" : "=m" (*p));
		break;
	case 5:
		asm volatile("movq %%mm5, %0" : "=m" (*p));
		break;
	case 6:
		asm volatile("movq %%mm6, %0" : "=m" (*p));
		break;
	case 7:
		asm volatile("movq %%mm7, %0" : "=m" (*p));
		break;
	}
}

static void mm_write(unsigned int reg, const void *buf)
{
	const u8 (*p)[8] = buf;

	switch (reg) {
	case 0:
		asm volatile("movq %0, %%mm0" : : "m" (*p));
		break;
	case 1:
		asm volatile("movq %0, %%mm1" : : "m" (*p));
		break;
	case 2:
		asm volatile("movq %0, %%mm2" : : "m" (*p));
		break;
	case 3:
		asm volatile("movq %0, %%mm3" : : "m" (*p));
		break;
	case 4:
		asm volatile("movq %0, %%mm4" : : "m" (*p));
		break;
	case 5:
		asm volatile("movq %0, %%mm5" : : "m" (*p));
		break;
	case 6:
		asm volatile("movq %0, %%mm6" : : "m" (*p));
		break;
	case 7:
		asm volatile("movq %0, %%mm7" : : "m" (*p));
		break;
	}
}

/*
 * One access to the live register; the guest's fpstate is the task's.
 * An MMX access with an x87 exception pending would raise #MF in the
 * host: refused (the guest's own MOVQ raised it before any access).
 */
static int vec_access_live(unsigned int file, unsigned int reg, void *buf,
			   bool write)
{
	int r = 0;
	u16 fsw;

	fpregs_lock();
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	if (file == VTX_EMU_VEC_XMM) {
		if (write)
			xmm_write(reg, buf);
		else
			xmm_read(reg, buf);
	} else {
		asm volatile("fnstsw %0" : "=m" (fsw));
		if (fsw & FSW_ES)
			r = -EINVAL;
		else if (write)
			mm_write(reg, buf);
		else
			mm_read(reg, buf);
	}
	fpregs_unlock();
	return r;
}

/**
 * vtx_vec_access() - read or write a guest XMM or MMX register.
 * @vcpu:	the loaded vCPU, in KVM_RUN
 * @file:	enum vtx_emu_vec
 * @reg:	0-15 for XMM, 0-7 for MMX
 * @buf:	16 or 8 bytes
 * @write:	write the register from @buf, else read it into @buf
 *
 * Return: 0, or -EINVAL for a register that does not exist or an MMX
 * access while an x87 exception is pending.
 */
int vtx_vec_access(struct vtx_vcpu *vcpu, unsigned int file,
		   unsigned int reg, void *buf, bool write)
{
	/* in_use: between the two fpu_swap_kvm_fpstate() of KVM_RUN */
	bool swapped = vcpu->guest_fpu.fpstate->in_use;
	int r;

	if (reg >= (file == VTX_EMU_VEC_XMM ? 16 : 8))
		return -EINVAL;
	if (!swapped)
		fpu_swap_kvm_fpstate(&vcpu->guest_fpu, true);
	r = vec_access_live(file, reg, buf, write);
	if (!swapped)
		fpu_swap_kvm_fpstate(&vcpu->guest_fpu, false);
	return r;
}
