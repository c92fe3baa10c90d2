/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtx - shadow page tables: guest-virtual to host-physical translation for
 * a processor (or a module parameter, ept=0) without EPT.  Milestone 1:
 * a per-vCPU "virtual TLB" (design.rst, section 8.2), for guests with
 * 4-level, PAE or 32-bit paging, or none in protected mode.
 */
#ifndef VTX_SHADOW_H
#define VTX_SHADOW_H

#include <linux/list.h>
#include <linux/types.h>

struct vtx_mmu;
struct vtx_mmu_cache;
struct vtx_mmu_leaf;
struct vtx_vcpu;
enum vtx_mmu_zap;

/**
 * struct vtx_shadow_fault - a #PF exit under shadow paging.
 * @gva:	the faulting linear address (exit qualification)
 * @error_code:	in: the processor's error code; out, for
 *		VTX_SHADOW_GUEST_PF: the one the guest gets
 * @gpa:	out, for VTX_SHADOW_MMIO and VTX_SHADOW_EMULATE: the
 *		guest-physical address
 * @write:	the access writes (from @error_code)
 * @flush_local: out: flush the vCPU's TLB (vtx_shadow_reclaim()) before
 *		the next entry
 * @no_emulate: in: a write to a write-protected guest table is let
 *		through (unprotect-and-retry), not VTX_SHADOW_EMULATE
 * @flush_cpus: in: the backend's flush of every CPU's translations (IPIs),
 *		which the fault calls under mmu->lock when leaves lose W
 * @load_root:	out: the vCPU's current address space changed: GUEST_CR3
 *		gets vtx_shadow_root_pa()
 */
struct vtx_shadow_fault {
	u64 gva;
	u32 error_code;
	u64 gpa;
	bool write;
	bool flush_local;
	bool load_root;
	bool no_emulate;
	void (*flush_cpus)(struct vtx_mmu *mmu);
};

enum vtx_shadow_result {
	VTX_SHADOW_RETRY,	/* mapped, or raced: enter the guest again */
	VTX_SHADOW_GUEST_PF,	/* the guest's own #PF: inject it */
	VTX_SHADOW_MMIO,	/* no RAM (or a read-only slot) at @gpa */
	VTX_SHADOW_EMULATE,	/* a write to a guest table at @gpa: emulate */
	VTX_SHADOW_EFAULT,	/* the backing user memory is gone */
	VTX_SHADOW_ENOMEM,
};

int vtx_shadow_vcpu_init(struct vtx_vcpu *vcpu);
u64 vtx_shadow_root_pa(struct vtx_vcpu *vcpu, bool lm);
enum vtx_shadow_result vtx_shadow_page_fault(struct vtx_vcpu *vcpu,
					     struct vtx_shadow_fault *f);
void vtx_shadow_reset(struct vtx_vcpu *vcpu);
void vtx_shadow_load_cr3(struct vtx_vcpu *vcpu, unsigned long cr3);
bool vtx_shadow_invlpg(struct vtx_vcpu *vcpu, u64 gva);
void vtx_shadow_reclaim(struct vtx_vcpu *vcpu, void (*flush)(struct vtx_vcpu *));

/* The format's operations; the backend adds a flush (vmx/spt.c). */
int vtx_shadow_init(struct vtx_mmu *mmu);
void vtx_shadow_free_tables(struct vtx_mmu *mmu);
bool vtx_shadow_has_2m(void);
struct cpumask *vtx_shadow_cpumask(struct vtx_mmu *mmu);
struct page *vtx_shadow_map(struct vtx_mmu *mmu, int as,
			    struct vtx_mmu_cache *cache,
			    const struct vtx_mmu_leaf *leaf, bool *flush);
unsigned long vtx_shadow_zap(struct vtx_mmu *mmu, int as, u64 start, u64 end,
			     enum vtx_mmu_zap mode);
void vtx_shadow_flush(struct vtx_mmu *mmu, void (*flush_cpus)(struct vtx_mmu *));
void vtx_shadow_track_write(struct vtx_mmu *mmu, int as, u64 gpa,
			    unsigned int len);

/* x86/mmio.c: the emulated write to a guest table */
bool vtx_emulate_table_write(struct vtx_vcpu *vcpu, u64 gva);

#endif /* VTX_SHADOW_H */
