// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - EPT: the page-table format of the VMX backend.
 *
 * Four levels of tables below each of mmu->roots, one per memslot address
 * space (the normal one, SMM's; guest addresses below 2^48);
 * 4 KiB leaves, and 2 MiB ones where the generic MMU (mmu.c) found that
 * the VMM itself maps those 2 MiB with one huge mapping.  What is mapped,
 * pinned, and when it must go is the generic code's business: this file
 * builds, changes and frees entries, and flushes the VM's EPT translations
 * with INVEPT (struct vtx_mmu_format, vtx_ept_format).
 *
 * Locking: entries and mmu->nr_table_pages change under mmu->lock; the
 * processor walks the tables without it, so entries are written with
 * WRITE_ONCE().
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/io.h>
#include <linux/mm.h>
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
 * the VMM maps with one huge mapping (mmu.c, host_maps_2m()).
 */
#define EPT_LARGE		BIT_ULL(7)
#define EPT_LARGE_LEVEL		2
/* Software bit (ignored by the processor): the page was pinned writable. */
#define EPT_SW_HOST_WRITABLE	BIT_ULL(11)

static inline unsigned int ept_index(u64 gfn, int level)
{
	return (gfn >> (EPT_LEVEL_SHIFT * (level - 1))) & EPT_INDEX_MASK;
}

static inline u64 *ept_table(u64 entry)
{
	return __va(entry & EPT_PFN_MASK);
}

static void ept_free_table(u64 *table, int level);

/* Every root or none: vtx_mmu_destroy() looks at the first one. */
static int ept_init(struct vtx_mmu *mmu)
{
	int as;

	for (as = 0; as < VTX_MMU_ROOTS; as++) {
		mmu->roots[as] = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
		if (!mmu->roots[as])
			goto fail;
		vtx_alloc_inc(VTX_ALLOC_EPT);
		mmu->nr_table_pages++;
	}
	return 0;
fail:
	while (as--) {
		ept_free_table(mmu->roots[as], 1);
		mmu->roots[as] = NULL;
	}
	mmu->nr_table_pages = 0;
	return -ENOMEM;
}

/**
 * vtx_ept_pointer() - the EPTP of a VM's tables (the VMCS's EPT_POINTER).
 * @mmu:	the VM's MMU, of format vtx_ept_format
 * @as:		the memslot address space (1: System Management Mode)
 *
 * Return: the root's physical address, write-back tables, 4-level walks,
 * no accessed/dirty flags.
 */
u64 vtx_ept_pointer(const struct vtx_mmu *mmu, int as)
{
	return __pa(mmu->roots[as]) | VMX_EPTP_MT_WB | VMX_EPTP_PWL_4;
}

/**
 * vtx_ept_flush_here() - drop this CPU's translations of the VM's tables,
 * of every address space.
 * @mmu:	the VM's MMU
 */
void vtx_ept_flush_here(struct vtx_mmu *mmu)
{
	int as;

	if (!vtx_caps.ept_single) {
		vtx_invept(VMX_EPT_EXTENT_GLOBAL, 0, 0);
		return;
	}
	for (as = 0; as < VTX_MMU_ROOTS; as++)
		vtx_invept(VMX_EPT_EXTENT_CONTEXT, vtx_ept_pointer(mmu, as), 0);
}

static void invept_ipi(void *data)
{
	vtx_ept_flush_here(data);
}

/*
 * Drop the VM's guest-physical translations on every CPU.  A vCPU running
 * in the guest on another CPU takes the IPI as an external interrupt exit;
 * the INVEPT runs in the host before it re-enters.
 */
static void ept_flush(struct vtx_mmu *mmu)
{
	on_each_cpu(invept_ipi, mmu, 1);
}

static bool ept_has_2m(void)
{
	return vtx_caps.ept_2m;
}

static inline bool ept_large_leaf(u64 entry)
{
	return entry & EPT_LARGE;
}

/*
 * Walk to the entry of @gfn at @target (1: 4 KiB leaf, 2: 2 MiB leaf),
 * creating tables from @cache.  Stops early, with *@level set, at a 2 MiB
 * leaf on the way or, for a 2 MiB target, at a level-2 entry that already
 * holds a table.  mmu->lock held.
 */
static u64 *ept_walk_create(struct vtx_mmu *mmu, int as,
			    struct vtx_mmu_cache *cache, u64 gfn, int target,
			    int *level)
{
	u64 *table = mmu->roots[as];
	int l;

	for (l = EPT_LEVELS; l > target; l--) {
		u64 *entry = &table[ept_index(gfn, l)];

		if (l == EPT_LARGE_LEVEL && ept_large_leaf(*entry)) {
			*level = l;
			return entry;
		}
		if (!(*entry & EPT_TABLE_BITS)) {
			u64 *page = vtx_mmu_cache_take(cache);

			*entry = __pa(page) | EPT_TABLE_BITS;
			mmu->nr_table_pages++;
		}
		table = ept_table(*entry);
	}
	*level = target;
	return &table[ept_index(gfn, target)];
}

/*
 * Install @leaf, or upgrade the leaf that is there (struct vtx_mmu_format,
 * map).  mmu->lock held.
 */
static struct page *ept_map(struct vtx_mmu *mmu, int as,
			    struct vtx_mmu_cache *cache,
			    const struct vtx_mmu_leaf *leaf, bool *flush)
{
	struct page *page = leaf->page, *old;
	bool large = leaf->large;
	u64 *pte, new;
	int level;

	new = EPT_LEAF_WB | VMX_EPT_READABLE_MASK | VMX_EPT_EXECUTABLE_MASK;
	if (leaf->host_writable)
		new |= EPT_SW_HOST_WRITABLE;
	if (leaf->writable)
		new |= VMX_EPT_WRITABLE_MASK;
	if (large)
		new |= PFN_PHYS(leaf->base_pfn) | EPT_LARGE;
	else
		new |= page_to_phys(page);
	pte = ept_walk_create(mmu, as, cache, leaf->gfn,
			      large ? EPT_LARGE_LEVEL : 1, &level);
	if (large && (level != EPT_LARGE_LEVEL ||
		      (*pte & EPT_TABLE_BITS && !ept_large_leaf(*pte)))) {
		/* 4 KiB leaves are already there: stay with them. */
		new = (new & ~(EPT_PFN_MASK | EPT_LARGE)) | page_to_phys(page);
		pte = ept_walk_create(mmu, as, cache, leaf->gfn, 1, &level);
	}
	if (level == EPT_LARGE_LEVEL && !large && ept_large_leaf(*pte)) {
		/* A 2 MiB leaf maps it already (a racing fault). */
		return page;
	}
	if (!(*pte & VMX_EPT_RWX_MASK)) {
		WRITE_ONCE(*pte, new);
		return NULL;
	}
	if (!(*pte & VMX_EPT_WRITABLE_MASK) && leaf->write &&
	    (*pte & EPT_SW_HOST_WRITABLE)) {
		/* Write-protected for dirty logging: allow, log. */
		WRITE_ONCE(*pte, *pte | VMX_EPT_WRITABLE_MASK);
		return page;
	}
	if (leaf->host_writable && !(*pte & EPT_SW_HOST_WRITABLE)) {
		/* Upgrade a leaf whose page was pinned read-only. */
		old = pfn_to_page((*pte & EPT_PFN_MASK) >> PAGE_SHIFT);
		WRITE_ONCE(*pte, new);
		/* A read-only leaf may be cached: flush before unpinning. */
		*flush = true;
		return old;
	}
	return page;
}

/*
 * Walk the leaves in [start, end) and apply @mode.  Cleared leaves keep
 * their frame number so that the release pass can unpin them after the
 * TLB flush.  Returns the number of leaves changed.  mmu->lock held.
 */
static unsigned long ept_zap_table(struct vtx_mmu *mmu, u64 *table, int level,
				   u64 base, u64 start, u64 end,
				   enum vtx_mmu_zap mode)
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
			n += ept_zap_table(mmu, ept_table(*entry), level - 1,
					   first, start, end, mode);
			continue;
		}
		switch (mode) {
		case VTX_ZAP_CLEAR:
			if (*entry & VMX_EPT_RWX_MASK) {
				WRITE_ONCE(*entry, *entry & ~VMX_EPT_RWX_MASK);
				n++;
			}
			break;
		case VTX_ZAP_WRPROT:
			if (*entry & VMX_EPT_WRITABLE_MASK) {
				WRITE_ONCE(*entry,
					   *entry & ~VMX_EPT_WRITABLE_MASK);
				n++;
			}
			break;
		case VTX_ZAP_RELEASE:
			vtx_mmu_release_pfn(mmu, (*entry & EPT_PFN_MASK) >>
						 PAGE_SHIFT);
			WRITE_ONCE(*entry, 0);
			n++;
			break;
		}
	}
	return n;
}

static unsigned long ept_zap(struct vtx_mmu *mmu, int as, u64 start, u64 end,
			     enum vtx_mmu_zap mode)
{
	return ept_zap_table(mmu, mmu->roots[as], EPT_LEVELS, 0, start, end,
			     mode);
}

static void ept_free_table(u64 *table, int level)
{
	unsigned int i;

	if (level > 1)
		for (i = 0; i < EPT_ENTRIES; i++)
			if (table[i] && !(level == EPT_LARGE_LEVEL &&
					  ept_large_leaf(table[i])))
				ept_free_table(ept_table(table[i]), level - 1);
	free_page((unsigned long)table);
	vtx_alloc_dec(VTX_ALLOC_EPT);
}

/* Every leaf is gone (released): free the tables, the roots included. */
static void ept_free_tables(struct vtx_mmu *mmu)
{
	int as;

	for (as = 0; as < VTX_MMU_ROOTS; as++) {
		ept_free_table(mmu->roots[as], EPT_LEVELS);
		mmu->roots[as] = NULL;
	}
	mmu->nr_table_pages = 0;
}

const struct vtx_mmu_format vtx_ept_format = {
	.name = "ept",
	/* Tables below the root that mapping one 4 KiB frame may create. */
	.cache_pages = EPT_LEVELS - 1,
	.init = ept_init,
	.free_tables = ept_free_tables,
	.has_2m = ept_has_2m,
	.map = ept_map,
	.zap = ept_zap,
	.flush = ept_flush,
};
