/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel and vtx definitions module/x86/walk.c uses, for its host
 * build in the emulator's host test (walk_test.c): the same values as the
 * kernel's (asm/pgtable_types.h, asm/trap_pf.h, asm/processor-flags.h)
 * and vtx's (x86/x86.h, core/vtx.h), a vCPU reduced to what a walk reads,
 * and guest memory that walk_test.c provides.
 */
#ifndef WALKSHIM_X86_H
#define WALKSHIM_X86_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <errno.h>

typedef __UINT8_TYPE__ u8;
typedef __UINT16_TYPE__ u16;
typedef __UINT32_TYPE__ u32;
typedef __UINT64_TYPE__ u64;

#define BIT(n)			(1UL << (n))
#define BIT_ULL(n)		(1ULL << (n))
#define GENMASK_ULL(h, l)	((~0ULL << (l)) & (~0ULL >> (63 - (h))))
#define min_t(t, a, b)		((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#define max_t(t, a, b)		((t)(a) > (t)(b) ? (t)(a) : (t)(b))
#define clamp_t(t, v, lo, hi)	min_t(t, max_t(t, v, lo), hi)

#define PAGE_SHIFT		12
#define PAGE_SIZE		(1UL << PAGE_SHIFT)
#define offset_in_page(p)	((unsigned long)(p) & (PAGE_SIZE - 1))

#define _PAGE_PRESENT		BIT_ULL(0)
#define _PAGE_RW		BIT_ULL(1)
#define _PAGE_USER		BIT_ULL(2)
#define _PAGE_ACCESSED		BIT_ULL(5)
#define _PAGE_DIRTY		BIT_ULL(6)
#define _PAGE_PSE		BIT_ULL(7)
#define _PAGE_NX		BIT_ULL(63)

#define X86_PF_PROT		BIT(0)
#define X86_PF_WRITE		BIT(1)
#define X86_PF_USER		BIT(2)
#define X86_PF_RSVD		BIT(3)
#define X86_PF_INSTR		BIT(4)
#define X86_TRAP_PF		14

#define X86_CR0_WP		BIT(16)
#define X86_CR0_PG		BIT(31)
#define X86_CR4_PSE		BIT(4)
#define X86_CR4_PAE		BIT(5)
#define X86_CR4_SMEP		BIT(20)
#define X86_CR4_SMAP		BIT(21)
#define EFER_LMA		BIT(10)
#define EFER_NX			BIT(11)
#define X86_EFLAGS_AC		BIT(18)
#define X86_FEATURE_GBPAGES	1


struct srcu_struct { int unused; };

struct vtx_vm {
	struct srcu_struct srcu;
};

/* What walk.c reads of a vCPU; the rest of vtx's is not here. */
struct vtx_vcpu {
	struct vtx_vm *vm;
	u64 cr0, cr2, cr3, cr4, efer, rflags;
	u64 pdptr[4];
	unsigned int maxphyaddr;
	int cpl;
	bool gbpages;
	/* the #PF guest_virt_copy() queues */
	int queued_vector;
	u32 queued_error;
};

struct vtx_x86_ops {
	u64 (*get_pdptr)(struct vtx_vcpu *vcpu, int index);
};
extern struct vtx_x86_ops vtx_x86_ops;

static inline int srcu_read_lock(struct srcu_struct *s)
{
	(void)s;
	return 0;
}

static inline void srcu_read_unlock(struct srcu_struct *s, int idx)
{
	(void)s;
	(void)idx;
}

static inline unsigned int vtx_maxphyaddr(struct vtx_vcpu *vcpu)
{
	return vcpu->maxphyaddr;
}

static inline u64 vtx_rsvd_gpa_bits(struct vtx_vcpu *vcpu)
{
	return GENMASK_ULL(63, vtx_maxphyaddr(vcpu));
}

static inline bool vtx_guest_cpuid_has(struct vtx_vcpu *vcpu, int feature)
{
	return feature == X86_FEATURE_GBPAGES && vcpu->gbpages;
}

static inline unsigned long vtx_rflags(struct vtx_vcpu *vcpu)
{
	return vcpu->rflags;
}

static inline int vtx_cpl(struct vtx_vcpu *vcpu)
{
	return vcpu->cpl;
}

static inline unsigned long vtx_get_cr3(struct vtx_vcpu *vcpu)
{
	return vcpu->cr3;
}

static inline bool vtx_is_long_mode(struct vtx_vcpu *vcpu)
{
	return vcpu->efer & EFER_LMA;
}

static inline int vtx_vcpu_as(const struct vtx_vcpu *vcpu)
{
	(void)vcpu;
	return 0;
}

static inline void vtx_queue_exception(struct vtx_vcpu *vcpu, u8 vector,
				       bool has_error, u32 error)
{
	vcpu->queued_vector = vector;
	vcpu->queued_error = has_error ? error : 0;
}

/* Guest memory (walk_test.c), with core/vm.c's contracts. */
int __vtx_read_guest_pte(struct vtx_vm *vm, int as, u64 gpa, bool wide,
			 u64 *val);
int __vtx_update_guest_pte(struct vtx_vm *vm, int as, u64 gpa, bool wide,
			   u64 old, u64 bits);
int __vtx_read_guest_phys(struct vtx_vm *vm, int as, u64 gpa, void *buf,
			  size_t len);
int __vtx_write_guest_phys(struct vtx_vm *vm, int as, u64 gpa,
			   const void *buf, size_t len);

/* walk.c's (kernel types above) */
#include "../../../../module/x86/walk.h"

#endif
