// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - the guest page walker: guest-linear to guest-physical addresses
 * with the guest's own paging, for the accesses vtx makes for the guest
 * (the emulator's operands, string I/O, descriptor tables) and for the
 * processor's own accesses under shadow paging (x86/mmu/shadow.c, which
 * takes the walk level by level from __vtx_gva_walk()).
 */
#include <linux/mm.h>
#include <asm/pgtable_types.h>
#include <asm/trap_pf.h>
#include <asm/trapnr.h>
#include "x86/x86.h"

/*
 * Guest page-table entries have the layout of the host's (_PAGE_*); the
 * frame field is the architecture's widest, its bits from the vCPU's
 * MAXPHYADDR up are reserved (entry_rsvd()).
 */
#define PTE_ADDR_MASK		GENMASK_ULL(51, 12)
#define PTE32_ADDR_MASK		GENMASK_ULL(31, 12)
/* PAE paging: bits 62:MAXPHYADDR of an entry are reserved, not ignored */
#define PAE_RSVD_TOP		62
/* 32-bit paging: a 4-MByte PDE's frame, and PSE-36's bits 20:13 */
#define PDE32_LARGE_ADDR	GENMASK_ULL(31, 22)
#define PSE36_SHIFT		13
#define PSE36_ADDR_BITS		GENMASK_ULL(7, 0)
#define PSE36_MAX_WIDTH		40
#define PSE36_RSVD_TOP		21
/* A large page's frame bits below its size, from bit 13 up, are reserved */
#define LARGE_RSVD_LOW		13
#define LEVEL_SHIFT(level)	(PAGE_SHIFT + 9 * ((level) - 1))
/* Walks restarted because another vCPU changed an entry being updated */
#define WALK_RETRIES		4

/*
 * The reserved bits of entry @e at @level (SDM vol. 3, 4.3 to 4.5, as
 * KVM's reset_rsvds_bits_mask()): the frame's bits from the vCPU's
 * MAXPHYADDR up, XD without EFER.NXE, PS in a PML4E (and in a PDPTE
 * without 1-GByte pages in the vCPU's CPUID), a large page's frame bits
 * below its size.  32-bit paging has none but a 4-MByte page's bits above
 * its PSE-36 address bits.
 */
static u64 entry_rsvd(struct vtx_vcpu *vcpu, int level, u64 e, bool lm,
		      bool pae)
{
	unsigned int m = vtx_maxphyaddr(vcpu);
	u64 rsvd;

	if (!pae) {
		if (level != 2 || !(e & _PAGE_PSE) ||
		    !(vcpu->cr4 & X86_CR4_PSE))
			return 0;
		/* address bits 32..M-1 in bits 13..M-20, M at most 40 */
		m = clamp_t(unsigned int, m, 32, PSE36_MAX_WIDTH);
		return GENMASK_ULL(PSE36_RSVD_TOP, m - 32 + PSE36_SHIFT);
	}
	rsvd = vtx_rsvd_gpa_bits(vcpu) &
	       GENMASK_ULL(lm ? 51 : PAE_RSVD_TOP, PAGE_SHIFT);
	if (!(vcpu->efer & EFER_NX))
		rsvd |= _PAGE_NX;
	if (lm && level == 4) {
		rsvd |= _PAGE_PSE;
	} else if (level > 1 && (e & _PAGE_PSE)) {
		if (level == 3 && !vtx_guest_cpuid_has(vcpu, X86_FEATURE_GBPAGES))
			rsvd |= _PAGE_PSE;
		else
			rsvd |= GENMASK_ULL(LEVEL_SHIFT(level) - 1,
					    LARGE_RSVD_LOW);
	}
	return rsvd;
}

/*
 * The access rights of a translation (SDM vol. 3, 4.6): whether @access
 * may use a page whose levels allow @allowed (_PAGE_RW and _PAGE_USER of
 * every level) and forbid execution (@nx, with EFER.NXE).  A user access
 * needs a user page, writable for a write; a supervisor write needs a
 * writable page under CR0.WP; a supervisor fetch from a user page is
 * refused under CR4.SMEP, a supervisor data access to one under CR4.SMAP
 * unless it is explicit with RFLAGS.AC set.  CR4's bits were checked
 * against the vCPU's CPUID when they were set.
 */
static bool access_allowed(struct vtx_vcpu *vcpu, u32 access, bool user,
			   u64 allowed, bool nx)
{
	bool upage = allowed & _PAGE_USER, writable = allowed & _PAGE_RW;
	bool write = access & VTX_ACC_WRITE, fetch = access & VTX_ACC_FETCH;

	if (fetch && nx)
		return false;
	if (user)
		return upage && (!write || writable);
	if (write && !writable && (vcpu->cr0 & X86_CR0_WP))
		return false;
	if (!upage)
		return true;
	if (fetch)
		return !(vcpu->cr4 & X86_CR4_SMEP);
	return !(vcpu->cr4 & X86_CR4_SMAP) ||
	       (!(access & VTX_ACC_IMPLICIT) &&
		(vtx_rflags(vcpu) & X86_EFLAGS_AC));
}

/*
 * Set the accessed bit of every level used and, for a write, the dirty
 * bit of the leaf, as the processor does, and in @w as well.  An entry
 * that is not in writable guest RAM (a read-only slot, or one the VMM
 * maps read-only) keeps its bits clear in memory, as KVM leaves a ROM's,
 * but @w has them: the translation is made as if they were set, so that
 * a shadow leaf does not wait forever for a dirty bit that cannot be set
 * (w->ad_unstored has those levels).
 * Return: 0, or -EAGAIN when an entry changed meanwhile (the walk is done
 * again).
 */
static int set_accessed_dirty(struct vtx_vcpu *vcpu, struct vtx_guest_walk *w,
			      bool write)
{
	int level, r, as = vtx_vcpu_as(vcpu);

	for (level = w->top; level >= w->leaf; level--) {
		u64 bits = _PAGE_ACCESSED;

		if (level == w->leaf && write)
			bits |= _PAGE_DIRTY;
		if ((w->pte[level] & bits) == bits)
			continue;
		r = __vtx_update_guest_pte(vcpu->vm, as, w->pte_gpa[level],
					   w->wide, w->pte[level], bits);
		if (r < 0)
			return -EAGAIN;
		if (r)
			w->ad_unstored |= BIT(level);
		w->pte[level] |= bits;
	}
	return 0;
}

static int walk_once(struct vtx_vcpu *vcpu, u64 gva, u32 access,
		     u32 *pf_error, struct vtx_guest_walk *w)
{
	bool lm = vtx_is_long_mode(vcpu), pae = vcpu->cr4 & X86_CR4_PAE;
	bool user = vtx_cpl(vcpu) == 3 && !(access & VTX_ACC_IMPLICIT);
	bool nxe = pae && (vcpu->efer & EFER_NX), nx = false;
	u64 table, entry = 0, size, allowed = _PAGE_RW | _PAGE_USER;
	int level, shift, as = vtx_vcpu_as(vcpu);

	*pf_error = (access & VTX_ACC_WRITE ? X86_PF_WRITE : 0) |
		    (user ? X86_PF_USER : 0);
	/* I/D: a fetch, when SMEP or the XD bit can make one fault */
	if ((access & VTX_ACC_FETCH) &&
	    ((vcpu->cr4 & X86_CR4_SMEP) || nxe))
		*pf_error |= X86_PF_INSTR;
	table = vtx_get_cr3(vcpu);
	w->wide = pae;
	w->allowed = 0;
	w->nx = false;
	w->ad_unstored = 0;
	if (lm) {
		w->top = 4;
	} else if (pae) {
		/* The PDPTE, loaded with CR3 and checked then (vmcs.c) */
		entry = vtx_x86_ops.get_pdptr(vcpu, (gva >> 30) & 3);
		if (!(entry & _PAGE_PRESENT))
			return -EAGAIN;
		table = entry;
		w->top = 2;
	} else {
		w->top = 2;
	}
	for (level = w->top; level >= 1; level--) {
		u64 pte_gpa;
		int r;

		if (pae) {
			shift = LEVEL_SHIFT(level);
			pte_gpa = (table & PTE_ADDR_MASK) +
				  ((gva >> shift) & 0x1ff) * 8;
		} else {
			shift = PAGE_SHIFT + 10 * (level - 1);
			pte_gpa = (table & PTE32_ADDR_MASK) +
				  ((gva >> shift) & 0x3ff) * 4;
		}
		r = __vtx_read_guest_pte(vcpu->vm, as, pte_gpa, pae, &entry);
		if (r)
			return r;
		if (!(entry & _PAGE_PRESENT))
			return -EAGAIN;
		if (entry & entry_rsvd(vcpu, level, entry, lm, pae)) {
			*pf_error |= X86_PF_PROT | X86_PF_RSVD;
			return -EAGAIN;
		}
		w->pte[level] = entry;
		w->pte_gpa[level] = pte_gpa;
		allowed &= entry;
		nx |= nxe && (entry & _PAGE_NX);
		/* PS where it is reserved was refused above */
		if (level > 1 && (entry & _PAGE_PSE) &&
		    (pae || (vcpu->cr4 & X86_CR4_PSE)))
			break;
		table = entry;
	}
	if (level < 1)
		level = 1;
	w->leaf = level;
	w->allowed = allowed;
	w->nx = nx;
	if (!access_allowed(vcpu, access, user, allowed, nx)) {
		*pf_error |= X86_PF_PROT;
		return -EAGAIN;
	}
	size = 1ull << shift;
	if (!pae && level == 2)
		w->gpa = (entry & PDE32_LARGE_ADDR) +
			 (((entry >> PSE36_SHIFT) & PSE36_ADDR_BITS) << 32) +
			 (gva & (size - 1));
	else if (!pae)
		w->gpa = (entry & PTE32_ADDR_MASK) + (gva & (size - 1));
	else
		w->gpa = (entry & PTE_ADDR_MASK & ~(size - 1)) +
			 (gva & (size - 1));
	return 0;
}

/**
 * __vtx_gva_walk() - walk the guest's tables for @gva as the processor
 * would for @access, keeping what each level said.
 * @vcpu:	the vCPU, in an srcu_read_lock(&vcpu->vm->srcu) section;
 *		paging on
 * @gva:	linear address
 * @access:	VTX_ACC_*
 * @w:		out: the entries and where they are, level by level (from
 *		@w->top down to @w->leaf), the rights of the whole walk and,
 *		on success, the guest-physical address
 * @pf_error:	out: the #PF error code when the walk fails
 *
 * The checks and the accessed and dirty bits of __vtx_gva_translate();
 * the entries in @w carry the bits the walk set.
 *
 * Return: 0, -EAGAIN for a guest page fault (*@pf_error set), -EFAULT when
 * a table lies outside guest RAM (*@pf_error: not present).
 */
int __vtx_gva_walk(struct vtx_vcpu *vcpu, u64 gva, u32 access,
		   struct vtx_guest_walk *w, u32 *pf_error)
{
	int r, tries;

	for (tries = 0; tries < WALK_RETRIES; tries++) {
		r = walk_once(vcpu, gva, access, pf_error, w);
		if (r || !set_accessed_dirty(vcpu, w, access & VTX_ACC_WRITE))
			return r;
	}
	/* The guest keeps changing its entries: the last walk stands. */
	return 0;
}

/**
 * __vtx_gva_translate() - translate a guest linear address with the guest's
 * paging, as the processor would for the access.
 * @vcpu:	the vCPU
 * @gva:	linear address
 * @access:	VTX_ACC_* (0: a data read)
 * @gpa:	result
 * @pf_error:	#PF error code when the walk fails
 *
 * The accesses vtx makes for the guest (the emulator's memory operands,
 * stack and instruction fetches, string I/O, descriptor tables) are
 * checked as the processor checks them: not-present entries; reserved
 * bits (frame bits from the vCPU's MAXPHYADDR up, XD without EFER.NXE, PS
 * where it is reserved: #PF with P and RSVD); then the rights of the
 * whole walk: U/S and R/W with CR0.WP, XD, SMEP, SMAP with RFLAGS.AC.  An
 * access at CPL 3 is a user access unless it is an implicit supervisor
 * one (VTX_ACC_IMPLICIT).  A translation that succeeds sets the accessed
 * bits of its levels and, for a write, the dirty bit of the leaf.
 *
 * The __ variants of this file are for a caller in an
 * srcu_read_lock(&vcpu->vm->srcu) section (the memslots' read side), which
 * then covers every read of the walk; the others take one section each.
 *
 * Return: 0, -EAGAIN for a guest page fault (*@pf_error set), -EFAULT when
 * a table lies outside guest RAM.
 */
int __vtx_gva_translate(struct vtx_vcpu *vcpu, u64 gva, u32 access, u64 *gpa,
			u32 *pf_error)
{
	struct vtx_guest_walk w;
	int r;

	if (!(vcpu->cr0 & X86_CR0_PG)) {
		*gpa = gva;
		return 0;
	}
	r = __vtx_gva_walk(vcpu, gva, access, &w, pf_error);
	if (!r)
		*gpa = w.gpa;
	return r;
}

/* The same for a data access, @write or a read. */
int __vtx_gva_to_gpa(struct vtx_vcpu *vcpu, u64 gva, bool write, u64 *gpa,
		     u32 *pf_error)
{
	return __vtx_gva_translate(vcpu, gva, write ? VTX_ACC_WRITE : 0, gpa,
				   pf_error);
}

int vtx_gva_to_gpa(struct vtx_vcpu *vcpu, u64 gva, bool write, u64 *gpa,
		   u32 *pf_error)
{
	int r, srcu;

	srcu = srcu_read_lock(&vcpu->vm->srcu);
	r = __vtx_gva_to_gpa(vcpu, gva, write, gpa, pf_error);
	srcu_read_unlock(&vcpu->vm->srcu, srcu);
	return r;
}

static int guest_virt_copy(struct vtx_vcpu *vcpu, u64 gva, void *buf,
			   unsigned int len, u32 access, bool inject)
{
	bool write = access & VTX_ACC_WRITE;
	int as = vtx_vcpu_as(vcpu);

	while (len) {
		unsigned int n = min_t(unsigned int, len,
				       PAGE_SIZE - offset_in_page(gva));
		u32 pf_error;
		u64 gpa;
		int r;

		r = __vtx_gva_translate(vcpu, gva, access, &gpa, &pf_error);
		if (r == -EAGAIN && inject) {
			vcpu->cr2 = gva;
			vtx_queue_exception(vcpu, X86_TRAP_PF, true, pf_error);
			return r;
		}
		if (!r)
			r = write ?
			    __vtx_write_guest_phys(vcpu->vm, as, gpa, buf, n) :
			    __vtx_read_guest_phys(vcpu->vm, as, gpa, buf, n);
		if (r)
			return r;
		gva += n;
		buf += n;
		len -= n;
	}
	return 0;
}

/**
 * __vtx_guest_virt_copy() - copy between guest linear memory and a buffer
 * (vtx_guest_virt_copy(): the same in a vm->srcu read section of its own).
 * @vcpu:	the loaded vCPU; in an srcu_read_lock(&vcpu->vm->srcu) section
 * @gva:	linear address
 * @buf:	kernel buffer
 * @len:	bytes
 * @write:	copy @buf to the guest instead of from it
 *
 * Return: 0; -EAGAIN after queueing the guest's #PF; -EFAULT when an
 * address is not guest RAM.
 */
int __vtx_guest_virt_copy(struct vtx_vcpu *vcpu, u64 gva, void *buf,
			  unsigned int len, bool write)
{
	return guest_virt_copy(vcpu, gva, buf, len,
			       write ? VTX_ACC_WRITE : 0, true);
}

/*
 * The same for an instruction fetch (XD and SMEP apply), and for any
 * VTX_ACC_* access; vtx_guest_virt_access() in a section of its own.
 */
int __vtx_guest_virt_fetch(struct vtx_vcpu *vcpu, u64 gva, void *buf,
			   unsigned int len)
{
	return guest_virt_copy(vcpu, gva, buf, len, VTX_ACC_FETCH, true);
}

int vtx_guest_virt_access(struct vtx_vcpu *vcpu, u64 gva, void *buf,
			  unsigned int len, u32 access)
{
	int r, srcu;

	srcu = srcu_read_lock(&vcpu->vm->srcu);
	r = guest_virt_copy(vcpu, gva, buf, len, access, true);
	srcu_read_unlock(&vcpu->vm->srcu, srcu);
	return r;
}

/* The same for a read that may fail without the guest noticing. */
int __vtx_guest_virt_copy_quiet(struct vtx_vcpu *vcpu, u64 gva, void *buf,
				unsigned int len)
{
	return guest_virt_copy(vcpu, gva, buf, len, 0, false);
}

int vtx_guest_virt_copy(struct vtx_vcpu *vcpu, u64 gva, void *buf,
			unsigned int len, bool write)
{
	int r, srcu;

	srcu = srcu_read_lock(&vcpu->vm->srcu);
	r = guest_virt_copy(vcpu, gva, buf, len, write ? VTX_ACC_WRITE : 0,
			    true);
	srcu_read_unlock(&vcpu->vm->srcu, srcu);
	return r;
}

int vtx_guest_virt_copy_quiet(struct vtx_vcpu *vcpu, u64 gva, void *buf,
			      unsigned int len)
{
	int r, srcu;

	srcu = srcu_read_lock(&vcpu->vm->srcu);
	r = guest_virt_copy(vcpu, gva, buf, len, 0, false);
	srcu_read_unlock(&vcpu->vm->srcu, srcu);
	return r;
}
