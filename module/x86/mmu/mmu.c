// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - the MMU's generic part: guest frames backed by pinned user pages.
 *
 * Tables start empty; a fault on a guest frame inside a memslot takes a
 * reference on the backing user page (get_user_pages) and asks the VM's
 * page-table format (mmu.h, struct vtx_mmu_format) to map it with a 4 KiB
 * leaf, or a 2 MiB one where the VMM itself maps those 2 MiB with one huge
 * mapping (host_maps_2m()).  The reference is dropped when the leaf goes:
 * memslot deleted or moved, VM destroyed, or the host unmapping, migrating
 * or reclaiming the page (MMU notifier) -- always after the TLBs of every
 * CPU were flushed, so the guest never reaches a page that went back to
 * the host.  A fault that races with an invalidation (mmu->inval_seq and
 * inval_count) installs nothing and the guest faults again.
 *
 * Locking: the tables and the invalidation counters change under
 * mmu->lock.  Faults and the MMU notifier read the memslots under
 * srcu_read_lock(&vm->srcu), without vm->slots_lock.  A memslot that is
 * deleted or moved first becomes invisible (a new array is published and
 * synchronize_srcu() waits for every reader of the old one), and only then
 * is its range unmapped (vtx_mmu_unmap_range()), so no fault can install a
 * leaf of it after the unmap; publishing also bumps mmu->inval_seq, so a
 * fault that found the old array and has not installed its leaf yet
 * retries.
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/pgtable.h>
#include "x86/x86.h"

/* Zeroed pages until @cache holds @nr; GFP_KERNEL, so never under a lock. */
static int cache_topup(struct vtx_mmu_cache *cache, unsigned int nr)
{
	while (cache->nr < nr) {
		void *page = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

		if (!page)
			return -ENOMEM;
		vtx_alloc_inc(VTX_ALLOC_EPT);
		cache->pages[cache->nr++] = page;
	}
	return 0;
}

static void cache_free(struct vtx_mmu_cache *cache)
{
	while (cache->nr) {
		free_page((unsigned long)cache->pages[--cache->nr]);
		vtx_alloc_dec(VTX_ALLOC_EPT);
	}
}

/**
 * vtx_mmu_cache_take() - a zeroed table page topped up before the fault.
 * @cache:	the cache passed to the format's map()
 *
 * Never fails: the format's cache_pages bounds what one map() takes.
 *
 * Return: the page (its kernel address), still counted as VTX_ALLOC_EPT.
 */
void *vtx_mmu_cache_take(struct vtx_mmu_cache *cache)
{
	if (WARN_ON_ONCE(!cache->nr))
		return NULL;
	return cache->pages[--cache->nr];
}

/**
 * vtx_mmu_topup() - fill the vCPU's table-page cache up to what one map()
 * of the VM's format may take (the shadow format maps twice per fault).
 * @vcpu:	the vCPU, by its thread
 *
 * Return: 0 or -ENOMEM.
 */
int vtx_mmu_topup(struct vtx_vcpu *vcpu)
{
	return cache_topup(&vcpu->mmu_cache, vcpu->vm->mmu.fmt->cache_pages);
}

/* Drop a reference taken by get_user_pages_fast() in a fault. */
static void unpin_counted(struct page *page)
{
	put_page(page);
	vtx_alloc_dec(VTX_ALLOC_PIN);
}

/**
 * vtx_mmu_release_pfn() - a format released a leaf: drop its page.
 * @mmu:	the MMU; mmu->lock held
 * @pfn:	the leaf's host frame (the first one of a 2 MiB leaf, which
 *		holds the reference of the whole folio, see folio_holds_2m())
 */
void vtx_mmu_release_pfn(struct vtx_mmu *mmu, unsigned long pfn)
{
	lockdep_assert_held(&mmu->lock);
	unpin_counted(pfn_to_page(pfn));
	mmu->nr_pinned--;
}

static void mmu_flush(struct vtx_mmu *mmu)
{
	mmu->fmt->flush(mmu);
}

static unsigned long mmu_zap(struct vtx_mmu *mmu, int as, u64 start, u64 end,
			     enum vtx_mmu_zap mode)
{
	return mmu->fmt->zap(mmu, as, start, end, mode);
}

/* The same in the tables of every address space. */
static unsigned long mmu_zap_all_as(struct vtx_mmu *mmu, u64 start, u64 end,
				    enum vtx_mmu_zap mode)
{
	unsigned long n = 0;
	int as;

	for (as = 0; as < VTX_MMU_ROOTS; as++)
		n += mmu_zap(mmu, as, start, end, mode);
	return n;
}

/*
 * Do @slot and the fault allow a 2 MiB leaf for @gfn at @hva at all?  The
 * format can map one, the slot does not log dirty pages (they are logged
 * page by page), @gfn and @hva have the same offset within 2 MiB, and the
 * whole aligned 2 MiB of guest frames around @gfn lies inside @slot.  What
 * the host maps there is checked later, by host_maps_2m().
 */
static bool slot_allows_large(struct vtx_mmu *mmu, struct vtx_memslot *slot,
			      u64 gfn, unsigned long hva)
{
	u64 first = gfn & ~(u64)(VTX_MMU_2M_FRAMES - 1);

	if (!mmu->fmt->has_2m() || slot->dirty_bitmap)
		return false;
	if (((hva >> PAGE_SHIFT) ^ gfn) & (VTX_MMU_2M_FRAMES - 1))
		return false;
	return first >= slot->base_gfn &&
	       first + VTX_MMU_2M_FRAMES <= slot->base_gfn + slot->npages;
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
 * 2 MiB around @hva, at @base_pfn, and writable if the 2 MiB leaf will be,
 * shows that every frame of the 2 MiB leaf is what the VMM has there.
 *
 * The walk pins nothing and takes no page-table lock: interrupts are off,
 * so a table freed under it (a collapse or split on another CPU frees
 * tables only after an IPI or RCU grace period) stays readable, and every
 * level is read once.  The caller holds mmu->lock and has checked that
 * no MMU-notifier invalidation is running or has started since it sampled
 * mmu->inval_seq before pinning the page: any change to these page
 * tables since then would have bumped the sequence, and a later one must
 * first take mmu->lock in vtx_mn_invalidate_range_start(), which drops the
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
	       in - idx + VTX_MMU_2M_FRAMES <= folio_nr_pages(folio);
}

static void mark_dirty(struct vtx_memslot *slot, u64 gfn)
{
	if (slot->dirty_bitmap)
		set_bit(gfn - slot->base_gfn, slot->dirty_bitmap);
}

/**
 * vtx_mmu_page_fault() - map the guest frame of @gpa after a fault.
 * @vcpu:	the faulting vCPU; vcpu->mutex held (its mmu_cache), in an
 *		srcu_read_lock(&vcpu->vm->srcu) section (which the MMIO
 *		emulation of a fault outside RAM then goes on using)
 * @gpa:	faulting guest-physical address
 * @write:	the access was a write
 *
 * The memslots and page tables are those of the vCPU's address space
 * (vtx_vcpu_as(): SMM's in System Management Mode).  A frame of a slot
 * that logs dirty pages is mapped read-only until it is written; the
 * write marks it dirty and makes the mapping writable.
 *
 * Return: 0 when mapped (or when an MMU-notifier invalidation raced and the
 * guest should simply fault again), -ENOENT when @gpa is in no memslot
 * (MMIO), -EROFS for a write to a read-only slot (MMIO too), -EFAULT when
 * the backing user memory is not there (or read-only for a write).
 */
int vtx_mmu_page_fault(struct vtx_vcpu *vcpu, u64 gpa, bool write)
{
	struct vtx_vm *vm = vcpu->vm;
	struct vtx_mmu *mmu = &vm->mmu;
	u64 gfn = gpa >> PAGE_SHIFT;
	struct vtx_mmu_leaf leaf = { .gfn = gfn, .write = write };
	struct vtx_memslot *slot;
	struct page *page, *old;
	unsigned long hva, seq, idx;
	bool writable = true, logging, flush = false;
	int as = vtx_vcpu_as(vcpu);
	int r;

	lockdep_assert_held(&vcpu->mutex);
	/* Before the lookup: a memslot update after this makes us retry. */
	seq = READ_ONCE(mmu->inval_seq);
	/* Read the sequence before the slot and the page tables. */
	smp_rmb();

	slot = vtx_find_slot(vm, as, gfn);
	if (!slot) {
		r = -ENOENT;
		goto out;
	}
	hva = slot->userspace_addr + ((gfn - slot->base_gfn) << PAGE_SHIFT);
	logging = slot->dirty_bitmap;

	if (slot->flags & KVM_MEM_READONLY) {
		if (write) {
			r = -EROFS;
			goto out;
		}
		writable = false;
		r = get_user_pages_fast(hva, 1, 0, &page);
	} else {
		r = get_user_pages_fast(hva, 1, FOLL_WRITE, &page);
	}
	if (r != 1 && writable && !write) {
		writable = false;
		r = get_user_pages_fast(hva, 1, 0, &page);
	}
	if (r != 1) {
		r = -EFAULT;
		goto out;
	}
	vtx_alloc_inc(VTX_ALLOC_PIN);

	r = cache_topup(&vcpu->mmu_cache, mmu->fmt->cache_pages);
	if (r) {
		unpin_counted(page);
		goto out;
	}

	/* @page would be frame idx of a 2 MiB leaf starting at base_pfn. */
	idx = (hva >> PAGE_SHIFT) & (VTX_MMU_2M_FRAMES - 1);
	leaf.page = page;
	leaf.base_pfn = page_to_pfn(page) - idx;
	leaf.large = slot_allows_large(mmu, slot, gfn, hva) &&
		     folio_holds_2m(page, idx);
	leaf.host_writable = writable;
	leaf.writable = writable && (write || !logging);

	spin_lock(&mmu->lock);
	if (mmu->inval_count || mmu->inval_seq != seq) {
		spin_unlock(&mmu->lock);
		unpin_counted(page);
		goto out;	/* r is 0: the guest faults again */
	}
	/* Only now is the VMM's page table known to match @page. */
	leaf.large = leaf.large && host_maps_2m(vm->mm, hva, leaf.base_pfn,
						leaf.writable);
	old = mmu->fmt->map(mmu, as, &vcpu->mmu_cache, &leaf, &flush);
	if (!old)
		mmu->nr_pinned++;
	if (write)
		mark_dirty(slot, gfn);
	spin_unlock(&mmu->lock);

	if (old) {
		/* A read-only leaf may be cached: flush before unpinning it. */
		if (flush)
			mmu_flush(mmu);
		unpin_counted(old);
	}
out:
	return r;
}

/**
 * vtx_mmu_apic_access_page() - the VM's APIC-access page (APICv), made at
 * the first call: a zeroed kernel page that only EPT maps, at the APIC's
 * base, in no memslot; freed by vtx_mmu_destroy().
 * @vm:		the VM
 *
 * Return: the page, or NULL without memory.
 */
struct page *vtx_mmu_apic_access_page(struct vtx_vm *vm)
{
	struct vtx_mmu *mmu = &vm->mmu;
	struct page *page, *old;

	/* pairs with the cmpxchg(): the page is zeroed before it is seen */
	page = smp_load_acquire(&mmu->apic_access_page);
	if (page)
		return page;
	page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!page)
		return NULL;
	old = cmpxchg(&mmu->apic_access_page, NULL, page);
	if (old) {
		__free_page(page);
		return old;
	}
	vtx_alloc_inc(VTX_ALLOC_VMCS);
	return page;
}

/**
 * vtx_mmu_map_kernel_page() - map a kernel page, writable, at a guest
 * frame that no memslot holds (APICv's APIC-access page).
 * @vcpu:	the vCPU that faulted there, by its thread, in the fault's
 *		srcu_read_lock(&vm->srcu) section
 * @gfn:	the guest frame
 * @page:	the page; the leaf takes a reference of its own, dropped as
 *		a pinned guest page's when the leaf goes
 *
 * Return: 0 when mapped (or when a memslot or an invalidation came in
 * between: the guest faults again), -ENOMEM.
 */
int vtx_mmu_map_kernel_page(struct vtx_vcpu *vcpu, u64 gfn, struct page *page)
{
	struct vtx_mmu *mmu = &vcpu->vm->mmu;
	struct vtx_mmu_leaf leaf = {
		.gfn = gfn,
		.page = page,
		.host_writable = true,
		.writable = true,
		.write = true,
	};
	int as = vtx_vcpu_as(vcpu);
	bool flush = false;
	unsigned long seq;
	struct page *old;
	int r;

	lockdep_assert_held(&vcpu->mutex);
	seq = READ_ONCE(mmu->inval_seq);
	/* Read the sequence before the slots, as vtx_mmu_page_fault(). */
	smp_rmb();
	if (vtx_find_slot(vcpu->vm, as, gfn))
		return 0;
	r = cache_topup(&vcpu->mmu_cache, mmu->fmt->cache_pages);
	if (r)
		return r;
	get_page(page);
	vtx_alloc_inc(VTX_ALLOC_PIN);
	spin_lock(&mmu->lock);
	if (mmu->inval_count || mmu->inval_seq != seq) {
		spin_unlock(&mmu->lock);
		unpin_counted(page);
		return 0;
	}
	old = mmu->fmt->map(mmu, as, &vcpu->mmu_cache, &leaf, &flush);
	if (!old)
		mmu->nr_pinned++;
	spin_unlock(&mmu->lock);
	if (old) {
		if (flush)
			mmu_flush(mmu);
		unpin_counted(old);
	}
	return 0;
}

/**
 * vtx_mmu_unmap_range() - unmap guest frames and unpin their pages.
 * @vm:		the VM; the caller holds vm->slots_lock
 * @as:		the address space whose page tables map them
 * @gfn:	first frame
 * @npages:	number of frames
 *
 * Counted as an invalidation (mmu->inval_count) from the clearing pass to
 * the release pass: faults do not wait for slots_lock, and the frames may
 * still be in a memslot (dirty logging turned on, a slot moved onto part
 * of its old range).  A fault in between installs nothing and the guest
 * faults again; otherwise it could write a leaf over a cleared one whose
 * page is still pinned, and that pin would never be dropped.
 */
void vtx_mmu_unmap_range(struct vtx_vm *vm, int as, u64 gfn, u64 npages)
{
	struct vtx_mmu *mmu = &vm->mmu;

	spin_lock(&mmu->lock);
	mmu->inval_count++;
	mmu->inval_seq++;
	mmu_zap(mmu, as, gfn, gfn + npages, VTX_ZAP_CLEAR);
	spin_unlock(&mmu->lock);
	/* Unconditionally: a concurrent caller may have cleared them. */
	mmu_flush(mmu);
	spin_lock(&mmu->lock);
	mmu_zap(mmu, as, gfn, gfn + npages, VTX_ZAP_RELEASE);
	mmu->inval_count--;
	spin_unlock(&mmu->lock);
}

/**
 * vtx_mmu_write_protect() - make guest writes to a range fault again.
 * @vm:		the VM; vm->slots_lock held
 * @as:		the address space of the memslot
 * @gfn:	first frame
 * @npages:	frames
 */
void vtx_mmu_write_protect(struct vtx_vm *vm, int as, u64 gfn, u64 npages)
{
	struct vtx_mmu *mmu = &vm->mmu;
	unsigned long n;

	spin_lock(&mmu->lock);
	n = mmu_zap(mmu, as, gfn, gfn + npages, VTX_ZAP_WRPROT);
	spin_unlock(&mmu->lock);
	if (n)
		mmu_flush(mmu);
}

static inline struct vtx_vm *mn_to_vm(struct mmu_notifier *mn)
{
	return container_of(mn, struct vtx_vm, mmu.notifier);
}

/*
 * Apply @mode to the leaves backed by host addresses [start, end) in the
 * memslots @slots of address space @as.
 */
static void zap_hva_range(struct vtx_vm *vm, int as,
			  struct vtx_memslots *slots,
			  unsigned long start, unsigned long end,
			  enum vtx_mmu_zap mode, bool *hit)
{
	unsigned long i;

	for_each_set_bit(i, &slots->active, VTX_MAX_MEMSLOTS) {
		struct vtx_memslot *s = &slots->slots[i];
		unsigned long lo = s->userspace_addr;
		unsigned long hi = lo + (s->npages << PAGE_SHIFT);
		u64 first, last;

		if (end <= lo || start >= hi)
			continue;
		first = s->base_gfn + ((max(start, lo) - lo) >> PAGE_SHIFT);
		last = s->base_gfn +
		       ((min(end, hi) - lo + PAGE_SIZE - 1) >> PAGE_SHIFT);
		mmu_zap(&vm->mmu, as, first, last, mode);
		*hit = true;
	}
}

/*
 * The host is about to unmap, migrate or reclaim [start, end) of the VM's
 * address space: drop the leaves backed by it, flush every CPU's TLB,
 * and only then unpin the pages.  The memslots are read under vm->srcu,
 * never under slots_lock, which waits for faults that may be in
 * get_user_pages, behind mmap_lock.  A slot being deleted or moved may
 * already be gone from the array while its old leaves are still there:
 * their pages stay pinned until set_memory_region() unmaps them right
 * after synchronize_srcu(), so nothing is freed under the guest.
 */
static int vtx_mn_invalidate_range_start(struct mmu_notifier *mn,
					 const struct mmu_notifier_range *range)
{
	struct vtx_vm *vm = mn_to_vm(mn);
	struct vtx_mmu *mmu = &vm->mmu;
	struct vtx_memslots *slots[VTX_ADDRESS_SPACES];
	bool hit = false;
	int srcu, as;

	srcu = srcu_read_lock(&vm->srcu);
	for (as = 0; as < VTX_ADDRESS_SPACES; as++)
		slots[as] = vtx_memslots(vm, as);
	spin_lock(&mmu->lock);
	mmu->inval_count++;
	mmu->inval_seq++;
	for (as = 0; as < VTX_ADDRESS_SPACES; as++)
		zap_hva_range(vm, as, slots[as], range->start, range->end,
			      VTX_ZAP_CLEAR, &hit);
	spin_unlock(&mmu->lock);
	if (hit) {
		mmu_flush(mmu);
		spin_lock(&mmu->lock);
		for (as = 0; as < VTX_ADDRESS_SPACES; as++)
			zap_hva_range(vm, as, slots[as], range->start,
				      range->end, VTX_ZAP_RELEASE, &hit);
		spin_unlock(&mmu->lock);
	}
	srcu_read_unlock(&vm->srcu, srcu);
	return 0;
}

static void vtx_mn_invalidate_range_end(struct mmu_notifier *mn,
					const struct mmu_notifier_range *range)
{
	struct vtx_mmu *mmu = &mn_to_vm(mn)->mmu;

	spin_lock(&mmu->lock);
	mmu->inval_count--;
	spin_unlock(&mmu->lock);
}

/* The address space is going away: nothing may stay mapped or pinned. */
static void vtx_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct vtx_mmu *mmu = &mn_to_vm(mn)->mmu;

	spin_lock(&mmu->lock);
	mmu->inval_count++;
	mmu->inval_seq++;
	mmu_zap_all_as(mmu, 0, ~0ull, VTX_ZAP_CLEAR);
	spin_unlock(&mmu->lock);
	mmu_flush(mmu);
	spin_lock(&mmu->lock);
	mmu_zap_all_as(mmu, 0, ~0ull, VTX_ZAP_RELEASE);
	mmu->inval_count--;
	spin_unlock(&mmu->lock);
}

static const struct mmu_notifier_ops vtx_mmu_notifier_ops = {
	.invalidate_range_start = vtx_mn_invalidate_range_start,
	.invalidate_range_end = vtx_mn_invalidate_range_end,
	.release = vtx_mn_release,
};

/**
 * vtx_mmu_register_notifier() - follow the VM owner's address space.
 * @vm:	the new VM; vm->mm is current->mm
 *
 * Return: 0 or an errno from mmu_notifier_register().
 */
int vtx_mmu_register_notifier(struct vtx_vm *vm)
{
	vm->mmu.notifier.ops = &vtx_mmu_notifier_ops;
	return mmu_notifier_register(&vm->mmu.notifier, vm->mm);
}

void vtx_mmu_unregister_notifier(struct vtx_vm *vm)
{
	mmu_notifier_unregister(&vm->mmu.notifier, vm->mm);
}

/**
 * vtx_mmu_init() - empty tables of page-table format @fmt for a new VM.
 * @vm:		the VM, not yet visible to anyone
 * @fmt:	the format (the backend's choice)
 *
 * Return: 0 or -ENOMEM.
 */
int vtx_mmu_init(struct vtx_vm *vm, const struct vtx_mmu_format *fmt)
{
	struct vtx_mmu *mmu = &vm->mmu;

	BUILD_BUG_ON(VTX_MMU_2M_FRAMES != PTRS_PER_PMD);
	BUILD_BUG_ON(VTX_MMU_ROOTS != VTX_ADDRESS_SPACES);
	if (WARN_ON_ONCE(fmt->cache_pages > VTX_MMU_CACHE_PAGES))
		return -EINVAL;
	spin_lock_init(&mmu->lock);
	mmu->fmt = fmt;
	return fmt->init(mmu);
}

/**
 * vtx_mmu_destroy() - release every mapping and table of a dying VM.
 * @vm:	the VM; no vCPU can run any more
 */
void vtx_mmu_destroy(struct vtx_vm *vm)
{
	struct vtx_mmu *mmu = &vm->mmu;

	/* The format allocates every root or none (vtx_mmu_init()). */
	if (mmu->roots[0]) {
		mmu_flush(mmu);
		spin_lock(&mmu->lock);
		mmu_zap_all_as(mmu, 0, ~0ull, VTX_ZAP_RELEASE);
		spin_unlock(&mmu->lock);
		WARN_ON_ONCE(mmu->nr_pinned);
		mmu->fmt->free_tables(mmu);
	}
	/* After the leaves: they held references of their own. */
	if (mmu->apic_access_page) {
		put_page(mmu->apic_access_page);
		mmu->apic_access_page = NULL;
		vtx_alloc_dec(VTX_ALLOC_VMCS);
	}
}

/**
 * vtx_mmu_free_vcpu() - free a vCPU's table-page cache.
 * @vcpu:	the vCPU of a VM being destroyed
 */
void vtx_mmu_free_vcpu(struct vtx_vcpu *vcpu)
{
	cache_free(&vcpu->mmu_cache);
}
