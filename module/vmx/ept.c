// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - EPT: guest-physical to host-physical tables built from memslots.
 *
 * Tables start empty; an EPT violation on a guest frame inside a memslot
 * takes a reference on the backing user page (get_user_pages) and maps it
 * with a 4 KiB leaf, or a 2 MiB one where the VMM itself maps those 2 MiB
 * with one huge mapping (host_maps_2m()).  The reference is dropped when the leaf goes: memslot
 * deleted or moved, VM destroyed, or the host unmapping, migrating or
 * reclaiming the page (MMU notifier) -- always after the TLBs of every CPU
 * were flushed, so the guest never reaches a page that went back to the
 * host.  A fault that races with an invalidation (vm->mmu_inval_seq and
 * mmu_inval_count) installs nothing and the guest faults again.
 *
 * Locking: the tables, the invalidation counters and (for writers) the
 * memslot fields are changed under vm->mmu_lock; the caller of
 * vtx_ept_map_gpa() and vtx_ept_unmap_range() holds vm->slots_lock, so a
 * frame cannot be mapped while its slot is being removed.
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/io.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include "vmx/vmx.h"

#define EPT_LEVELS		4
#define EPT_ENTRIES		512
#define EPT_LEVEL_SHIFT		9
#define EPT_INDEX_MASK		(EPT_ENTRIES - 1)
#define EPT_PFN_MASK		GENMASK_ULL(51, 12)
#define EPT_TABLE_BITS		VMX_EPT_RWX_MASK
#define EPT_LEAF_WB		((VMX_EPTP_MT_WB << VMX_EPT_MT_EPTE_SHIFT) | \
				 VMX_EPT_IPAT_BIT)
/*
 * A level-2 entry with bit 7 set maps 2 MiB: 512 frames of one folio that
 * the VMM maps with one huge mapping (host_maps_2m()).
 */
#define EPT_LARGE		BIT_ULL(7)
#define EPT_LARGE_LEVEL		2

static inline unsigned int ept_index(u64 gfn, int level)
{
	return (gfn >> (EPT_LEVEL_SHIFT * (level - 1))) & EPT_INDEX_MASK;
}

static inline u64 *ept_table(u64 entry)
{
	return __va(entry & EPT_PFN_MASK);
}

int vtx_ept_init(struct vtx_vm *vm)
{
	vm->ept_root = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vm->ept_root)
		return -ENOMEM;
	vtx_alloc_inc(VTX_ALLOC_EPT);
	vm->nr_ept_pages = 1;
	vm->eptp = __pa(vm->ept_root) | VMX_EPTP_MT_WB |
		   VMX_EPTP_PWL_4;
	return 0;
}

static void invept_ipi(void *data)
{
	struct vtx_vm *vm = data;

	vtx_invept(vtx_caps.ept_single ? VMX_EPT_EXTENT_CONTEXT :
		   VMX_EPT_EXTENT_GLOBAL, vm->eptp, 0);
}

/**
 * vtx_ept_flush() - drop @vm's guest-physical translations on every CPU.
 * @vm:	the VM
 *
 * A vCPU running in the guest on another CPU takes the IPI as an external
 * interrupt exit; the INVEPT runs in the host before it re-enters.
 */
void vtx_ept_flush(struct vtx_vm *vm)
{
	on_each_cpu(invept_ipi, vm, 1);
}

/*
 * Table pages are allocated before mmu_lock is taken, so that the walk
 * under the spinlock cannot fail, and kept in vm->ept_cache from one fault
 * to the next: a fault that creates no table allocates nothing.  The
 * cache belongs to vm->slots_lock (vtx_ept_map_gpa()'s caller holds it);
 * vtx_ept_destroy() empties it when no vCPU can run any more.
 */
static int cache_fill(struct vtx_vm *vm)
{
	BUILD_BUG_ON(EPT_LEVELS - 1 != VTX_EPT_CACHE_PAGES);
	while (vm->ept_cache_nr < VTX_EPT_CACHE_PAGES) {
		u64 *page = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

		if (!page)
			return -ENOMEM;
		vtx_alloc_inc(VTX_ALLOC_EPT);
		vm->ept_cache[vm->ept_cache_nr++] = page;
	}
	return 0;
}

static void cache_free(struct vtx_vm *vm)
{
	while (vm->ept_cache_nr) {
		free_page((unsigned long)vm->ept_cache[--vm->ept_cache_nr]);
		vtx_alloc_dec(VTX_ALLOC_EPT);
	}
}

static inline bool ept_large_leaf(u64 entry)
{
	return entry & EPT_LARGE;
}

/*
 * Walk to the entry of @gfn at @target (1: 4 KiB leaf, 2: 2 MiB leaf),
 * creating tables.  Stops early, with *@level set, at a 2 MiB leaf on the
 * way or, for a 2 MiB target, at a level-2 entry that already holds a
 * table.  mmu_lock held.
 */
static u64 *ept_walk_create(struct vtx_vm *vm, u64 gfn, int target,
			    int *level)
{
	u64 *table = vm->ept_root;
	int l;

	for (l = EPT_LEVELS; l > target; l--) {
		u64 *entry = &table[ept_index(gfn, l)];

		if (l == EPT_LARGE_LEVEL && ept_large_leaf(*entry)) {
			*level = l;
			return entry;
		}
		if (!(*entry & EPT_TABLE_BITS)) {
			u64 *page = vm->ept_cache[--vm->ept_cache_nr];

			*entry = __pa(page) | EPT_TABLE_BITS;
			vm->nr_ept_pages++;
		}
		table = ept_table(*entry);
	}
	*level = target;
	return &table[ept_index(gfn, target)];
}

/*
 * Do @slot and the fault allow a 2 MiB leaf for @gfn at @hva at all?  The
 * processor supports it, the slot does not log dirty pages (they are
 * logged page by page), @gfn and @hva have the same offset within 2 MiB,
 * and the whole aligned 2 MiB of guest frames around @gfn lies inside
 * @slot.  What the host maps there is checked later, by host_maps_2m().
 */
static bool slot_allows_large(struct vtx_memslot *slot, u64 gfn,
			      unsigned long hva)
{
	u64 first = gfn & ~(u64)(EPT_ENTRIES - 1);

	if (!vtx_caps.ept_2m || slot->dirty_bitmap)
		return false;
	if (((hva >> PAGE_SHIFT) ^ gfn) & (EPT_ENTRIES - 1))
		return false;
	return first >= slot->base_gfn &&
	       first + EPT_ENTRIES <= slot->base_gfn + slot->npages;
}

/**
 * host_maps_2m() - does the VMM map the 2 MiB around @hva with one huge
 *		    mapping of @base_pfn, right now?
 * @mm:		the VMM's address space (vm->mm, the caller's own)
 * @hva:	user address of the faulting frame
 * @base_pfn:	first host frame of the 2 MiB leaf that would be installed
 * @write:	the leaf would be writable
 *
 * A compound page of the right order proves nothing about the VMM's page
 * table: after a partial munmap(), MADV_DONTNEED or mremap() of a
 * transparent huge page its other subpages stay in the (not yet split)
 * folio while the VMM maps something else, or nothing, at their addresses.
 * Only a PMD (or a PUD: 1 GiB hugetlbfs) leaf that maps the whole aligned
 * 2 MiB around @hva, at @base_pfn, and writable if the EPT leaf will be,
 * shows that every frame of the 2 MiB leaf is what the VMM has there.
 *
 * The walk pins nothing and takes no page-table lock: interrupts are off,
 * so a table freed under it (a collapse or split on another CPU frees
 * tables only after an IPI or RCU grace period) stays readable, and every
 * level is read once.  The caller holds vm->mmu_lock and has checked that
 * no MMU-notifier invalidation is running or has started since it sampled
 * vm->mmu_inval_seq before pinning the page: any change to these page
 * tables since then would have bumped the sequence, and a later one must
 * first take mmu_lock in vtx_mn_invalidate_range_start(), which drops the
 * leaf again.  A walk that meets a table in transition answers "no" and
 * the frame gets a 4 KiB leaf, which is always right.
 *
 * Return: true if a 2 MiB leaf at @base_pfn maps what the VMM maps.
 */
static bool host_maps_2m(struct mm_struct *mm, unsigned long hva,
			 unsigned long base_pfn, bool write)
{
	unsigned long flags, pfn;
	bool writable, ok = false;
	pgd_t pgd;
	p4d_t p4d;
	pud_t pud;
	pmd_t pmd;

	local_irq_save(flags);
	pgd = READ_ONCE(*pgd_offset(mm, hva));
	if (pgd_none(pgd))
		goto out;
	p4d = READ_ONCE(*p4d_offset(&pgd, hva));
	if (p4d_none(p4d) || !p4d_present(p4d))
		goto out;
	pud = READ_ONCE(*pud_offset(&p4d, hva));
	if (pud_none(pud) || !pud_present(pud))
		goto out;
	if (pud_leaf(pud)) {
		/* 1 GiB page: the 2 MiB of it that hold @hva */
		pfn = pud_pfn(pud) +
		      ((hva & ~PUD_MASK & PMD_MASK) >> PAGE_SHIFT);
		writable = pud_write(pud);
	} else {
		pmd = READ_ONCE(*pmd_offset(&pud, hva));
		if (pmd_none(pmd) || !pmd_present(pmd) || !pmd_leaf(pmd))
			goto out;
		pfn = pmd_pfn(pmd);
		writable = pmd_write(pmd);
	}
	ok = pfn == base_pfn && (writable || !write);
out:
	local_irq_restore(flags);
	return ok;
}

/*
 * Is @page's reference enough to pin the 2 MiB leaf in which it is frame
 * @idx?  The leaf keeps the one reference get_user_pages_fast() took on
 * @page and releases it as a put_page() of the leaf's first frame: both
 * must belong to one folio that holds all 512 frames.  (A huge mapping of
 * pages that are not one compound page, e.g. device memory, stays 4 KiB.)
 */
static bool folio_holds_2m(struct page *page, unsigned long idx)
{
	struct folio *folio = page_folio(page);
	unsigned long in = page_to_pfn(page) - folio_pfn(folio);

	return folio_test_large(folio) && in >= idx &&
	       in - idx + EPT_ENTRIES <= folio_nr_pages(folio);
}

/* Software bit (ignored by the processor): the page was pinned writable. */
#define EPT_SW_HOST_WRITABLE	BIT_ULL(11)

/* Drop a reference taken by get_user_pages_fast() in vtx_ept_map_gpa(). */
static void unpin_counted(struct page *page)
{
	put_page(page);
	vtx_alloc_dec(VTX_ALLOC_PIN);
}

static void mark_dirty(struct vtx_memslot *slot, u64 gfn)
{
	if (slot->dirty_bitmap)
		set_bit(gfn - slot->base_gfn, slot->dirty_bitmap);
}

/**
 * vtx_ept_map_gpa() - map the guest frame of @gpa after an EPT violation.
 * @vm:		the VM; the caller holds vm->slots_lock
 * @gpa:	faulting guest-physical address
 * @write:	the access was a write
 *
 * A frame of a slot that logs dirty pages is mapped read-only until it is
 * written; the write marks it dirty and makes the mapping writable.
 *
 * Return: 0 when mapped (or when an MMU-notifier invalidation raced and the
 * guest should simply fault again), -ENOENT when @gpa is in no memslot
 * (MMIO), -EROFS for a write to a read-only slot (MMIO too), -EFAULT when
 * the backing user memory is not there (or read-only for a write).
 */
int vtx_ept_map_gpa(struct vtx_vm *vm, u64 gpa, bool write)
{
	u64 gfn = gpa >> PAGE_SHIFT;
	struct vtx_memslot *slot;
	struct page *page, *old = NULL;
	unsigned long hva, seq, idx, base_pfn;
	u64 *pte, new;
	bool writable = true, logging, large;
	int r, level;

	lockdep_assert_held(&vm->slots_lock);
	slot = vtx_find_slot(vm, gfn);
	if (!slot)
		return -ENOENT;
	hva = slot->userspace_addr + ((gfn - slot->base_gfn) << PAGE_SHIFT);
	logging = slot->dirty_bitmap;

	/* An invalidation that starts after this must make us retry. */
	seq = READ_ONCE(vm->mmu_inval_seq);
	/* Read the sequence before get_user_pages reads the page tables. */
	smp_rmb();

	if (slot->flags & KVM_MEM_READONLY) {
		if (write)
			return -EROFS;
		writable = false;
		r = get_user_pages_fast(hva, 1, 0, &page);
	} else {
		r = get_user_pages_fast(hva, 1, FOLL_WRITE, &page);
	}
	if (r != 1 && writable && !write) {
		writable = false;
		r = get_user_pages_fast(hva, 1, 0, &page);
	}
	if (r != 1)
		return -EFAULT;
	vtx_alloc_inc(VTX_ALLOC_PIN);

	r = cache_fill(vm);
	if (r) {
		unpin_counted(page);
		return r;
	}

	/* @page would be frame idx of a 2 MiB leaf starting at base_pfn. */
	idx = (hva >> PAGE_SHIFT) & (EPT_ENTRIES - 1);
	large = slot_allows_large(slot, gfn, hva) && folio_holds_2m(page, idx);
	base_pfn = page_to_pfn(page) - idx;
	new = EPT_LEAF_WB | VMX_EPT_READABLE_MASK | VMX_EPT_EXECUTABLE_MASK;
	if (writable)
		new |= EPT_SW_HOST_WRITABLE;
	if (writable && (write || !logging))
		new |= VMX_EPT_WRITABLE_MASK;

	spin_lock(&vm->mmu_lock);
	if (vm->mmu_inval_count || vm->mmu_inval_seq != seq) {
		spin_unlock(&vm->mmu_lock);
		unpin_counted(page);
		return 0;
	}
	/* Only now is the VMM's page table known to match @page. */
	large = large && host_maps_2m(vm->mm, hva, base_pfn,
				      new & VMX_EPT_WRITABLE_MASK);
	if (large)
		new |= PFN_PHYS(base_pfn) | EPT_LARGE;
	else
		new |= page_to_phys(page);
	pte = ept_walk_create(vm, gfn, large ? EPT_LARGE_LEVEL : 1, &level);
	if (large && (level != EPT_LARGE_LEVEL ||
		      (*pte & EPT_TABLE_BITS && !ept_large_leaf(*pte)))) {
		/* 4 KiB leaves are already there: stay with them. */
		new = (new & ~(EPT_PFN_MASK | EPT_LARGE)) | page_to_phys(page);
		pte = ept_walk_create(vm, gfn, 1, &level);
	}
	if (level == EPT_LARGE_LEVEL && !large && ept_large_leaf(*pte)) {
		/* A 2 MiB leaf maps it already (a racing fault). */
		old = page;
	} else if (*pte & VMX_EPT_RWX_MASK) {
		if (!(*pte & VMX_EPT_WRITABLE_MASK) && write &&
		    (*pte & EPT_SW_HOST_WRITABLE)) {
			/* Write-protected for dirty logging: allow, log. */
			WRITE_ONCE(*pte, *pte | VMX_EPT_WRITABLE_MASK);
			old = page;
		} else if (writable && !(*pte & EPT_SW_HOST_WRITABLE)) {
			/* Upgrade a leaf whose page was pinned read-only. */
			old = pfn_to_page((*pte & EPT_PFN_MASK) >> PAGE_SHIFT);
			WRITE_ONCE(*pte, new);
		} else {
			old = page;
		}
	} else {
		WRITE_ONCE(*pte, new);
		vm->nr_pinned++;
	}
	if (write)
		mark_dirty(slot, gfn);
	spin_unlock(&vm->mmu_lock);

	if (old) {
		/* A read-only leaf may be cached: flush before unpinning it. */
		if (old != page)
			vtx_ept_flush(vm);
		unpin_counted(old);
	}
	return 0;
}

enum ept_zap_mode {
	ZAP_CLEAR,	/* not present, frame kept for the release pass */
	ZAP_RELEASE,	/* unpin cleared (or all, at teardown) leaves */
	ZAP_WRPROT,	/* take write access away, for dirty logging */
};

/*
 * Walk the leaves in [start, end) and apply @mode.  Cleared leaves keep
 * their frame number so that the release pass can unpin them after the
 * TLB flush.  Returns the number of leaves changed.  mmu_lock held.
 */
static unsigned long ept_zap(struct vtx_vm *vm, u64 *table, int level,
			     u64 base, u64 start, u64 end,
			     enum ept_zap_mode mode)
{
	u64 span = 1ull << (EPT_LEVEL_SHIFT * (level - 1));
	unsigned long n = 0;
	unsigned int i;

	for (i = 0; i < EPT_ENTRIES; i++) {
		u64 first = base + i * span, *entry = &table[i];

		if (first + span <= start || first >= end || !*entry)
			continue;
		if (level > 1 && !(level == EPT_LARGE_LEVEL &&
				   ept_large_leaf(*entry))) {
			n += ept_zap(vm, ept_table(*entry), level - 1, first,
				     start, end, mode);
			continue;
		}
		switch (mode) {
		case ZAP_CLEAR:
			if (*entry & VMX_EPT_RWX_MASK) {
				WRITE_ONCE(*entry, *entry & ~VMX_EPT_RWX_MASK);
				n++;
			}
			break;
		case ZAP_WRPROT:
			if (*entry & VMX_EPT_WRITABLE_MASK) {
				WRITE_ONCE(*entry,
					   *entry & ~VMX_EPT_WRITABLE_MASK);
				n++;
			}
			break;
		case ZAP_RELEASE:
			unpin_counted(pfn_to_page((*entry & EPT_PFN_MASK) >>
						  PAGE_SHIFT));
			WRITE_ONCE(*entry, 0);
			vm->nr_pinned--;
			n++;
			break;
		}
	}
	return n;
}

/**
 * vtx_ept_unmap_range() - unmap guest frames and unpin their pages.
 * @vm:		the VM; the caller holds vm->slots_lock
 * @gfn:	first frame
 * @npages:	number of frames
 */
void vtx_ept_unmap_range(struct vtx_vm *vm, u64 gfn, u64 npages)
{
	spin_lock(&vm->mmu_lock);
	ept_zap(vm, vm->ept_root, EPT_LEVELS, 0, gfn, gfn + npages, ZAP_CLEAR);
	spin_unlock(&vm->mmu_lock);
	/* Unconditionally: a concurrent caller may have cleared them. */
	vtx_ept_flush(vm);
	spin_lock(&vm->mmu_lock);
	ept_zap(vm, vm->ept_root, EPT_LEVELS, 0, gfn, gfn + npages,
		ZAP_RELEASE);
	spin_unlock(&vm->mmu_lock);
}

/**
 * vtx_ept_write_protect() - make guest writes to a range fault again.
 * @vm:		the VM; vm->slots_lock held
 * @gfn:	first frame
 * @npages:	frames
 */
void vtx_ept_write_protect(struct vtx_vm *vm, u64 gfn, u64 npages)
{
	unsigned long n;

	spin_lock(&vm->mmu_lock);
	n = ept_zap(vm, vm->ept_root, EPT_LEVELS, 0, gfn, gfn + npages,
		    ZAP_WRPROT);
	spin_unlock(&vm->mmu_lock);
	if (n)
		vtx_ept_flush(vm);
}

static inline struct vtx_vm *mn_to_vm(struct mmu_notifier *mn)
{
	return container_of(mn, struct vtx_vm, mmu_notifier);
}

/* Apply @mode to the leaves backed by host addresses [start, end). */
static void zap_hva_range(struct vtx_vm *vm, unsigned long start,
			  unsigned long end, enum ept_zap_mode mode, bool *hit)
{
	unsigned long i;

	for_each_set_bit(i, &vm->active_slots, VTX_MAX_MEMSLOTS) {
		struct vtx_memslot *s = &vm->slots[i];
		unsigned long lo = s->userspace_addr;
		unsigned long hi = lo + (s->npages << PAGE_SHIFT);
		u64 first, last;

		if (end <= lo || start >= hi)
			continue;
		first = s->base_gfn + ((max(start, lo) - lo) >> PAGE_SHIFT);
		last = s->base_gfn +
		       ((min(end, hi) - lo + PAGE_SIZE - 1) >> PAGE_SHIFT);
		ept_zap(vm, vm->ept_root, EPT_LEVELS, 0, first, last, mode);
		*hit = true;
	}
}

/*
 * The host is about to unmap, migrate or reclaim [start, end) of the VM's
 * address space: drop the EPT leaves backed by it, flush every CPU's TLB,
 * and only then unpin the pages.  Slot fields are read under mmu_lock
 * (set_memory_region changes them under it), never under slots_lock,
 * which is held across get_user_pages and so nests outside mmap_lock.
 */
static int vtx_mn_invalidate_range_start(struct mmu_notifier *mn,
					 const struct mmu_notifier_range *range)
{
	struct vtx_vm *vm = mn_to_vm(mn);
	bool hit = false;

	spin_lock(&vm->mmu_lock);
	vm->mmu_inval_count++;
	vm->mmu_inval_seq++;
	zap_hva_range(vm, range->start, range->end, ZAP_CLEAR, &hit);
	spin_unlock(&vm->mmu_lock);
	if (!hit)
		return 0;
	vtx_ept_flush(vm);
	spin_lock(&vm->mmu_lock);
	zap_hva_range(vm, range->start, range->end, ZAP_RELEASE, &hit);
	spin_unlock(&vm->mmu_lock);
	return 0;
}

static void vtx_mn_invalidate_range_end(struct mmu_notifier *mn,
					const struct mmu_notifier_range *range)
{
	struct vtx_vm *vm = mn_to_vm(mn);

	spin_lock(&vm->mmu_lock);
	vm->mmu_inval_count--;
	spin_unlock(&vm->mmu_lock);
}

/* The address space is going away: nothing may stay mapped or pinned. */
static void vtx_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct vtx_vm *vm = mn_to_vm(mn);

	spin_lock(&vm->mmu_lock);
	vm->mmu_inval_seq++;
	ept_zap(vm, vm->ept_root, EPT_LEVELS, 0, 0, ~0ull, ZAP_CLEAR);
	spin_unlock(&vm->mmu_lock);
	vtx_ept_flush(vm);
	spin_lock(&vm->mmu_lock);
	ept_zap(vm, vm->ept_root, EPT_LEVELS, 0, 0, ~0ull, ZAP_RELEASE);
	spin_unlock(&vm->mmu_lock);
}

static const struct mmu_notifier_ops vtx_mmu_notifier_ops = {
	.invalidate_range_start = vtx_mn_invalidate_range_start,
	.invalidate_range_end = vtx_mn_invalidate_range_end,
	.release = vtx_mn_release,
};

/**
 * vtx_ept_register_notifier() - follow the VM owner's address space.
 * @vm:	the new VM; vm->mm is current->mm
 *
 * Return: 0 or an errno from mmu_notifier_register().
 */
int vtx_ept_register_notifier(struct vtx_vm *vm)
{
	vm->mmu_notifier.ops = &vtx_mmu_notifier_ops;
	return mmu_notifier_register(&vm->mmu_notifier, vm->mm);
}

void vtx_ept_unregister_notifier(struct vtx_vm *vm)
{
	mmu_notifier_unregister(&vm->mmu_notifier, vm->mm);
}

static void ept_free_tables(u64 *table, int level)
{
	unsigned int i;

	if (level > 1)
		for (i = 0; i < EPT_ENTRIES; i++)
			if (table[i] && !(level == EPT_LARGE_LEVEL &&
					  ept_large_leaf(table[i])))
				ept_free_tables(ept_table(table[i]), level - 1);
	free_page((unsigned long)table);
	vtx_alloc_dec(VTX_ALLOC_EPT);
}

/**
 * vtx_ept_destroy() - release every mapping and table of a dying VM.
 * @vm:	the VM; no vCPU can run any more
 */
void vtx_ept_destroy(struct vtx_vm *vm)
{
	if (!vm->ept_root)
		return;
	vtx_ept_flush(vm);
	spin_lock(&vm->mmu_lock);
	ept_zap(vm, vm->ept_root, EPT_LEVELS, 0, 0, ~0ull, ZAP_RELEASE);
	spin_unlock(&vm->mmu_lock);
	WARN_ON_ONCE(vm->nr_pinned);
	ept_free_tables(vm->ept_root, EPT_LEVELS);
	vm->ept_root = NULL;
	cache_free(vm);
}
