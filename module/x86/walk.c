// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - the guest page walker: guest-linear to guest-physical addresses
 * with the guest's own paging, for the accesses vtx makes for the guest
 * (the emulator's operands, string I/O, descriptor tables).
 */
#include <linux/mm.h>
#include <asm/pgtable_types.h>
#include <asm/trap_pf.h>
#include <asm/trapnr.h>
#include "x86/x86.h"

/*
 * Guest page-table entries have the layout of the host's (_PAGE_*); the
 * frame field is the architecture's widest, not the host's physical mask.
 */
#define PTE_ADDR_MASK		GENMASK_ULL(51, 12)

/**
 * __vtx_gva_to_gpa() - translate a guest linear address with the guest's paging.
 * @vcpu:	the vCPU
 * @gva:	linear address
 * @write:	the access writes
 * @gpa:	result
 * @pf_error:	#PF error code when the walk fails
 *
 * The accesses vtx makes for the guest (the emulator's memory operands and
 * stack, string I/O) are checked as the processor checks them: at CPL 3
 * every level must allow user access, and a write needs every level
 * writable at CPL 3 or with CR0.WP.  Not checked: reserved bits, SMAP and
 * the execute-disable bit (vtx fetches only instructions the processor
 * already fetched); accessed and dirty bits are not set.
 *
 * The __ variants of this file are for a caller in an
 * srcu_read_lock(&vcpu->vm->srcu) section (the memslots' read side), which
 * then covers every read of the walk; the others take one section each.
 *
 * Return: 0, -EAGAIN for a guest page fault (*@pf_error set), -EFAULT when
 * a table lies outside guest RAM.
 */
int __vtx_gva_to_gpa(struct vtx_vcpu *vcpu, u64 gva, bool write, u64 *gpa,
		     u32 *pf_error)
{
	u64 table, entry = 0, size, allowed = _PAGE_RW | _PAGE_USER;
	int levels, level, shift, as = vtx_vcpu_as(vcpu);
	bool pae = vcpu->cr4 & X86_CR4_PAE;
	bool user = vtx_cpl(vcpu) == 3;

	if (!(vcpu->cr0 & X86_CR0_PG)) {
		*gpa = gva;
		return 0;
	}
	*pf_error = (write ? X86_PF_WRITE : 0) | (user ? X86_PF_USER : 0);
	table = vtx_get_cr3(vcpu);
	if (vtx_is_long_mode(vcpu)) {
		levels = 4;
	} else if (pae) {
		entry = vtx_x86_ops.get_pdptr(vcpu, (gva >> 30) & 3);
		if (!(entry & _PAGE_PRESENT))
			return -EAGAIN;
		table = entry;
		levels = 2;
	} else {
		levels = 2;
	}
	for (level = levels; level >= 1; level--) {
		int r;

		if (pae || vtx_is_long_mode(vcpu)) {
			shift = 12 + 9 * (level - 1);
			r = __vtx_read_guest_pte(vcpu->vm, as,
						 (table & PTE_ADDR_MASK) +
						 ((gva >> shift) & 0x1ff) * 8,
						 true, &entry);
		} else {
			shift = 12 + 10 * (level - 1);
			r = __vtx_read_guest_pte(vcpu->vm, as,
						 (table & 0xfffff000) +
						 ((gva >> shift) & 0x3ff) * 4,
						 false, &entry);
		}
		if (r)
			return r;
		if (!(entry & _PAGE_PRESENT))
			return -EAGAIN;
		allowed &= entry;
		if (level > 1 && (entry & _PAGE_PSE) &&
		    level < 4 && (pae || vtx_is_long_mode(vcpu) ||
				    (vcpu->cr4 & X86_CR4_PSE)))
			break;
		table = entry;
	}
	if (level < 1)
		level = 1;
	if ((user && !(allowed & _PAGE_USER)) ||
	    (write && !(allowed & _PAGE_RW) &&
	     (user || (vcpu->cr0 & X86_CR0_WP)))) {
		*pf_error |= X86_PF_PROT;
		return -EAGAIN;
	}
	size = 1ull << shift;
	if (!pae && !vtx_is_long_mode(vcpu) && level == 2)
		*gpa = (entry & 0xffc00000) + (gva & (size - 1));
	else
		*gpa = (entry & PTE_ADDR_MASK & ~(size - 1)) + (gva & (size - 1));
	return 0;
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
			   unsigned int len, bool write, bool inject)
{
	int as = vtx_vcpu_as(vcpu);

	while (len) {
		unsigned int n = min_t(unsigned int, len,
				       PAGE_SIZE - offset_in_page(gva));
		u32 pf_error;
		u64 gpa;
		int r;

		r = __vtx_gva_to_gpa(vcpu, gva, write, &gpa, &pf_error);
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
	return guest_virt_copy(vcpu, gva, buf, len, write, true);
}

/* The same for a read that may fail without the guest noticing. */
int __vtx_guest_virt_copy_quiet(struct vtx_vcpu *vcpu, u64 gva, void *buf,
				unsigned int len)
{
	return guest_virt_copy(vcpu, gva, buf, len, false, false);
}

int vtx_guest_virt_copy(struct vtx_vcpu *vcpu, u64 gva, void *buf,
			unsigned int len, bool write)
{
	int r, srcu;

	srcu = srcu_read_lock(&vcpu->vm->srcu);
	r = guest_virt_copy(vcpu, gva, buf, len, write, true);
	srcu_read_unlock(&vcpu->vm->srcu, srcu);
	return r;
}

int vtx_guest_virt_copy_quiet(struct vtx_vcpu *vcpu, u64 gva, void *buf,
			      unsigned int len)
{
	int r, srcu;

	srcu = srcu_read_lock(&vcpu->vm->srcu);
	r = guest_virt_copy(vcpu, gva, buf, len, false, false);
	srcu_read_unlock(&vcpu->vm->srcu, srcu);
	return r;
}
