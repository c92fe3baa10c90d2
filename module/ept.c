// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - EPT: guest-physical to host-physical tables built from memslots.
 *
 * Tables start empty; an EPT violation on a guest frame inside a memslot
 * pins the backing user page (get_user_pages) and maps it with a 4 KiB leaf.
 * Leaves keep their page pinned until the range is unmapped (memslot
 * deleted or moved, VM destroyed), after the TLBs of every CPU were flushed,
 * so the guest can never reach a page that has gone back to the host.
 *
 * Locking: the tables are changed under vm->mmu_lock; the caller of
 * vtx_ept_map_gpa() and vtx_ept_unmap_range() holds vm->slots_lock, so a
 * frame cannot be mapped while its slot is being removed.
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/io.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include "vmcs.h"

#define EPT_LEVELS		4
#define EPT_ENTRIES		512
#define EPT_LEVEL_SHIFT		9
#define EPT_INDEX_MASK		(EPT_ENTRIES - 1)
#define EPT_PFN_MASK		GENMASK_ULL(51, 12)
#define EPT_TABLE_BITS		VMX_EPT_RWX_MASK
#define EPT_LEAF_WB		((VMX_EPTP_MT_WB << VMX_EPT_MT_EPTE_SHIFT) | \
				 VMX_EPT_IPAT_BIT)

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

/* Preallocated table pages, so that the walk under the spinlock can't fail. */
struct ept_cache {
	u64 *pages[EPT_LEVELS - 1];
	int nr;
};

static int cache_fill(struct ept_cache *c)
{
	while (c->nr < EPT_LEVELS - 1) {
		c->pages[c->nr] = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
		if (!c->pages[c->nr])
			return -ENOMEM;
		c->nr++;
	}
	return 0;
}

static void cache_free(struct ept_cache *c)
{
	while (c->nr)
		free_page((unsigned long)c->pages[--c->nr]);
}

/* Walk to the level-1 entry of @gfn, creating tables.  mmu_lock held. */
static u64 *ept_walk_create(struct vtx_vm *vm, u64 gfn, struct ept_cache *c)
{
	u64 *table = vm->ept_root;
	int level;

	for (level = EPT_LEVELS; level > 1; level--) {
		u64 *entry = &table[ept_index(gfn, level)];

		if (!(*entry & EPT_TABLE_BITS)) {
			u64 *page = c->pages[--c->nr];

			*entry = __pa(page) | EPT_TABLE_BITS;
			vm->nr_ept_pages++;
		}
		table = ept_table(*entry);
	}
	return &table[ept_index(gfn, 1)];
}

/**
 * vtx_ept_map_gpa() - map the guest frame of @gpa after an EPT violation.
 * @vm:		the VM; the caller holds vm->slots_lock
 * @gpa:	faulting guest-physical address
 * @write:	the access was a write
 *
 * Return: 0 when mapped, -ENOENT when @gpa is in no memslot (MMIO), -EROFS
 * for a write to a read-only slot (MMIO too), -EFAULT when the backing user
 * memory is not there (or read-only for a write).
 */
int vtx_ept_map_gpa(struct vtx_vm *vm, u64 gpa, bool write)
{
	u64 gfn = gpa >> PAGE_SHIFT;
	struct ept_cache cache = { .nr = 0 };
	struct vtx_memslot *slot;
	struct page *page, *old = NULL;
	unsigned long hva;
	u64 *pte, new;
	bool writable = true;
	int r;

	lockdep_assert_held(&vm->slots_lock);
	slot = vtx_find_slot(vm, gfn);
	if (!slot)
		return -ENOENT;
	hva = slot->userspace_addr + ((gfn - slot->base_gfn) << PAGE_SHIFT);

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

	r = cache_fill(&cache);
	if (r) {
		put_page(page);
		cache_free(&cache);
		return r;
	}

	new = page_to_phys(page) | EPT_LEAF_WB | VMX_EPT_READABLE_MASK |
	      VMX_EPT_EXECUTABLE_MASK | (writable ? VMX_EPT_WRITABLE_MASK : 0);

	spin_lock(&vm->mmu_lock);
	pte = ept_walk_create(vm, gfn, &cache);
	if (*pte & VMX_EPT_RWX_MASK) {
		/* Upgrade a read-only leaf; keep an equal or better one. */
		if (writable && !(*pte & VMX_EPT_WRITABLE_MASK)) {
			old = pfn_to_page((*pte & EPT_PFN_MASK) >> PAGE_SHIFT);
			WRITE_ONCE(*pte, new);
		} else {
			old = page;
		}
	} else {
		WRITE_ONCE(*pte, new);
		vm->nr_pinned++;
	}
	spin_unlock(&vm->mmu_lock);

	cache_free(&cache);
	if (old) {
		/* A read-only leaf may be cached: flush before unpinning it. */
		if (old != page)
			vtx_ept_flush(vm);
		put_page(old);
	}
	return 0;
}

/*
 * Clear (or, with @release, unpin and zero) the leaves in [start, end).
 * Cleared leaves keep their frame number so the second pass can release
 * them after the TLB flush.  mmu_lock held.
 */
static void ept_zap(struct vtx_vm *vm, u64 *table, int level, u64 base,
		    u64 start, u64 end, bool release)
{
	u64 span = 1ull << (EPT_LEVEL_SHIFT * (level - 1));
	unsigned int i;

	for (i = 0; i < EPT_ENTRIES; i++) {
		u64 first = base + i * span, *entry = &table[i];

		if (first + span <= start || first >= end || !*entry)
			continue;
		if (level > 1) {
			ept_zap(vm, ept_table(*entry), level - 1, first, start,
				end, release);
			continue;
		}
		if (!release) {
			WRITE_ONCE(*entry, *entry & ~VMX_EPT_RWX_MASK);
			continue;
		}
		put_page(pfn_to_page((*entry & EPT_PFN_MASK) >> PAGE_SHIFT));
		WRITE_ONCE(*entry, 0);
		vm->nr_pinned--;
	}
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
	ept_zap(vm, vm->ept_root, EPT_LEVELS, 0, gfn, gfn + npages, false);
	spin_unlock(&vm->mmu_lock);
	vtx_ept_flush(vm);
	spin_lock(&vm->mmu_lock);
	ept_zap(vm, vm->ept_root, EPT_LEVELS, 0, gfn, gfn + npages, true);
	spin_unlock(&vm->mmu_lock);
}

static void ept_free_tables(u64 *table, int level)
{
	unsigned int i;

	if (level > 1)
		for (i = 0; i < EPT_ENTRIES; i++)
			if (table[i])
				ept_free_tables(ept_table(table[i]), level - 1);
	free_page((unsigned long)table);
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
	ept_zap(vm, vm->ept_root, EPT_LEVELS, 0, 0, ~0ull, true);
	spin_unlock(&vm->mmu_lock);
	WARN_ON_ONCE(vm->nr_pinned);
	ept_free_tables(vm->ept_root, EPT_LEVELS);
	vm->ept_root = NULL;
}
