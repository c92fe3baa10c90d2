// SPDX-License-Identifier: GPL-2.0
/*
 * vtx-ioctl-fuzz: random vCPU state for the SET ioctls: segments, SREGS,
 * REGS, events, CPUID entries, MSR indices and values.
 */
#include <string.h>

#include "fz_ioctl.h"

#include "fz_msr.h"

static const uint32_t msr_list[] = {
	MSR_IA32_TSC, MSR_IA32_APICBASE, MSR_IA32_FEAT_CTL,
	MSR_IA32_SPEC_CTRL, MSR_IA32_PRED_CMD, MSR_IA32_UCODE_REV,
	MSR_IA32_MPERF, MSR_IA32_APERF, MSR_MTRRcap, MSR_IA32_SYSENTER_CS,
	MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP, MSR_IA32_MCG_CAP,
	MSR_IA32_MCG_STATUS, MSR_IA32_MISC_ENABLE, MSR_IA32_DEBUGCTLMSR,
	MTRRphysBase_MSR(0), MTRRphysMask_MSR(0), MTRRphysBase_MSR(7),
	MTRRphysMask_MSR(7), MTRRphysBase_MSR(8), MSR_MTRRfix64K_00000,
	MSR_MTRRfix16K_80000, MSR_MTRRfix16K_A0000, MSR_MTRRfix4K_C0000,
	MSR_MTRRfix4K_F8000, MSR_IA32_CR_PAT, MSR_MTRRdefType,
	MSR_IA32_PERF_CAPABILITIES, MSR_CORE_PERF_FIXED_CTR_CTRL,
	MSR_IA32_VMX_BASIC, MSR_IA32_TSC_DEADLINE, FZ_X2APIC_MSR_BASE,
	FZ_X2APIC_MSR_TPR, FZ_X2APIC_MSR_EOI, MSR_EFER, MSR_STAR, MSR_LSTAR,
	MSR_CSTAR, MSR_SYSCALL_MASK, MSR_FS_BASE, MSR_GS_BASE,
	MSR_KERNEL_GS_BASE, MSR_TSC_AUX, MSR_K7_HWCR, FZ_HV_MSR_GUEST_OS_ID,
	MSR_KVM_WALL_CLOCK_NEW, MSR_KVM_SYSTEM_TIME_NEW, MSR_KVM_ASYNC_PF_EN,
	MSR_KVM_ASYNC_PF_INT, FZ_MSR_ALL_ONES, FZ_MSR_LOW_LAST, FZ_MSR_LOW_END,
	FZ_MSR_HIGH_LAST, FZ_MSR_HIGH_END,
};

uint32_t rnd_msr(struct session *s)
{
	if (chance(&s->r, 4, 5))
		return msr_list[rnd(&s->r, ARRAY_SIZE(msr_list))];
	return rnd_interesting(&s->r);
}

/* MSR values; with avoidance, none that the known SFMASK issue needs. */
uint64_t rnd_msr_val(struct session *s, uint32_t idx)
{
	uint64_t v = rnd_interesting(&s->r);

	if (opt_avoid && idx == MSR_SYSCALL_MASK)
		v &= 0xffffffff;
	return v;
}

void rnd_segment(struct session *s, struct kvm_segment *g)
{
	g->base = chance(&s->r, 1, 2) ? rnd(&s->r, 0x100000) :
		  rnd_interesting(&s->r);
	g->limit = chance(&s->r, 1, 2) ? 0xffff : rnd_interesting(&s->r);
	g->selector = rng_next(&s->r);
	g->type = rnd(&s->r, 16);
	g->present = rnd(&s->r, 2);
	g->dpl = rnd(&s->r, 4);
	g->db = rnd(&s->r, 2);
	g->s = rnd(&s->r, 2);
	g->l = chance(&s->r, 1, 4);
	g->g = rnd(&s->r, 2);
	g->avl = rnd(&s->r, 2);
	g->unusable = chance(&s->r, 1, 8);
	g->padding = chance(&s->r, 1, 16) ? rng_next(&s->r) : 0;
}

/* SREGS: a valid mode with a few changes, or anything */
void rnd_sregs(struct session *s, struct kvm_sregs *sr)
{
	int i, n;

	fz_mode_sregs(sr, rnd(&s->r, FZ_NR_MODES), chance(&s->r, 1, 4) * 3);
	if (chance(&s->r, 1, 4)) {
		rnd_fill(&s->r, sr, sizeof(*sr));
		return;
	}
	n = rnd(&s->r, 4);
	for (i = 0; i < n; i++) {
		switch (rnd(&s->r, 12)) {
		case 0: rnd_segment(s, &sr->cs); break;
		case 1: rnd_segment(s, &sr->ss); break;
		case 2: rnd_segment(s, &sr->tr); break;
		case 3: rnd_segment(s, &sr->ds); break;
		case 4: sr->cr0 ^= 1ULL << rnd(&s->r, 64); break;
		case 5: sr->cr4 ^= 1ULL << rnd(&s->r, 32); break;
		case 6: sr->efer ^= 1ULL << rnd(&s->r, 16); break;
		case 7: sr->cr3 = rnd_interesting(&s->r); break;
		case 8: sr->cr8 = rnd_interesting(&s->r); break;
		case 9: sr->apic_base = rnd_interesting(&s->r); break;
		case 10: sr->gdt.base = rnd_interesting(&s->r);
			 sr->idt.limit = rng_next(&s->r); break;
		default: sr->interrupt_bitmap[rnd(&s->r, 4)] = rng_next(&s->r);
			 break;
		}
	}
}

void rnd_regs(struct session *s, struct kvm_regs *rg)
{
	uint64_t *p = (uint64_t *)rg;
	size_t i;

	for (i = 0; i < sizeof(*rg) / 8; i++)
		p[i] = chance(&s->r, 1, 2) ? rnd(&s->r, 0x400000) :
		       rnd_interesting(&s->r);
	if (chance(&s->r, 3, 4))
		rg->rflags = 0x202 | (chance(&s->r, 1, 3) ?
				      (1ULL << rnd(&s->r, 22)) : 0);
}

void rnd_events(struct session *s, struct kvm_vcpu_events *e)
{
	if (chance(&s->r, 1, 6)) {
		rnd_fill(&s->r, e, sizeof(*e));
	} else {
		memset(e, 0, sizeof(*e));
		e->exception.injected = chance(&s->r, 1, 3);
		e->exception.pending = chance(&s->r, 1, 6);
		e->exception.nr = rnd(&s->r, 40);
		e->exception.has_error_code = rnd(&s->r, 2);
		e->exception.error_code = chance(&s->r, 1, 2) ?
					  rnd(&s->r, 0x10000) :
					  rnd_interesting(&s->r);
		e->interrupt.injected = chance(&s->r, 1, 3);
		e->interrupt.nr = rng_next(&s->r);
		e->interrupt.soft = chance(&s->r, 1, 4);
		e->interrupt.shadow = rnd(&s->r, 4);
		e->nmi.injected = chance(&s->r, 1, 4);
		e->nmi.pending = rnd(&s->r, 4);
		e->nmi.masked = rnd(&s->r, 2);
		e->sipi_vector = rnd_interesting(&s->r);
		e->flags = rnd(&s->r, 64);
		e->smi.smm = chance(&s->r, 1, 8);
		e->smi.pending = chance(&s->r, 1, 8);
		e->triple_fault.pending = chance(&s->r, 1, 8);
		e->exception_has_payload = chance(&s->r, 1, 8);
		e->exception_payload = rnd_interesting(&s->r);
	}
	/*
	 * Known: an error code above 0xffff makes vtx's VM entry fail (KVM
	 * drops bits 31:16).  Not a host problem, but it wedges the vCPU:
	 * avoided so that runs reach the guest.
	 */
	if (opt_avoid)
		e->exception.error_code &= 0x7fff;
}

void rnd_cpuid(struct session *s, struct kvm_cpuid2 *c, uint32_t nent)
{
	static const uint32_t leaves[] = {
		0, 1, 2, 4, 6, 7, 0xa, 0xb, 0xd, 0x14, 0x1f, 0x40000000,
		0x40000001, 0x4fffffff, 0x80000000, 0x80000001, 0x80000007,
		0x80000008, 0x8000001d, 0xffffffff,
	};
	uint32_t i;

	c->nent = nent;
	c->padding = chance(&s->r, 1, 16) ? rng_next(&s->r) : 0;
	for (i = 0; i < nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		rnd_fill(&s->r, e, sizeof(*e));
		if (chance(&s->r, 3, 4))
			e->function = leaves[rnd(&s->r, ARRAY_SIZE(leaves))];
		if (chance(&s->r, 1, 2))
			e->index = rnd(&s->r, 4);
		if (chance(&s->r, 1, 2))
			e->flags &= 1;
		if (e->function == 0 && chance(&s->r, 1, 2))
			e->eax = rnd(&s->r, 0x30);
		if (e->function == 0x80000000 && chance(&s->r, 1, 2))
			e->eax = 0x80000000 + rnd(&s->r, 0x30);
	}
}
