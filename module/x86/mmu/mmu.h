/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtx - the MMU: host-memory tracking apart from the page-table format.
 *
 * The generic part (mmu.c) owns what does not depend on how guest-physical
 * memory is translated: the memslot lookup of a fault, the pinning of the
 * backing user page (get_user_pages) and its release, the MMU notifier and
 * its invalidation sequence, the dirty log, and whether a 2 MiB leaf may
 * map a frame.  A page-table format (EPT today, ept.c; shadow page tables
 * later) only installs, clears and frees entries, through struct
 * vtx_mmu_format.  Nothing here knows an EPT bit.
 */
#ifndef VTX_MMU_H
#define VTX_MMU_H

#include <linux/mmu_notifier.h>
#include <linux/spinlock.h>
#include <linux/types.h>

struct page;
struct vtx_vm;
struct vtx_vcpu;
struct vtx_mmu;
struct vtx_shadow;

/* Zeroed table pages one fault may consume: a format's cache_pages. */
#define VTX_MMU_CACHE_PAGES	4

/*
 * Page tables per VM: one per memslot address space (core/vtx.h,
 * VTX_ADDRESS_SPACES), the normal one and System Management Mode's.
 */
#define VTX_MMU_ROOTS		2

/* Guest frames a 2 MiB leaf maps. */
#define VTX_MMU_2M_FRAMES	(PMD_SIZE >> PAGE_SHIFT)

/**
 * struct vtx_mmu_cache - zeroed pages for new tables, allocated before
 *			  the MMU lock is taken.
 * @pages:	the pages, @nr of them
 * @nr:		how many are there
 *
 * A fault tops the cache up to its format's cache_pages with GFP_KERNEL,
 * so that the format's map() under the spinlock cannot fail; what one
 * fault does not use stays for the next.  One per vCPU (vcpu->mmu_cache,
 * under vcpu->mutex), as KVM's MMU memory caches, so that faults of
 * different vCPUs share no lock until mmu->lock.  Counted as
 * VTX_ALLOC_EPT.
 */
struct vtx_mmu_cache {
	void *pages[VTX_MMU_CACHE_PAGES];
	int nr;
};

/**
 * struct vtx_mmu_leaf - the mapping a fault asks a format to install.
 * @gfn:	the faulting guest frame
 * @page:	its pinned host page (one get_user_pages reference)
 * @base_pfn:	first host frame of the 2 MiB leaf, when @large
 * @large:	map the aligned 2 MiB around @gfn with one leaf at @base_pfn
 *		(the generic code checked every condition for it)
 * @host_writable: @page was pinned writable; a later write may make the
 *		leaf writable without pinning again (dirty logging)
 * @writable:	install the leaf writable now
 * @write:	the access was a write
 */
struct vtx_mmu_leaf {
	u64 gfn;
	struct page *page;
	unsigned long base_pfn;
	bool large;
	bool host_writable;
	bool writable;
	bool write;
};

/* What a zap does to the leaves of a guest-frame range. */
enum vtx_mmu_zap {
	/* Not present; the frame is kept for the VTX_ZAP_RELEASE pass. */
	VTX_ZAP_CLEAR,
	/* Unpin (vtx_mmu_release_pfn()) and zero cleared or all leaves. */
	VTX_ZAP_RELEASE,
	/* Take write access away, for dirty logging. */
	VTX_ZAP_WRPROT,
};

/**
 * struct vtx_mmu_format - a page-table format (EPT, shadow page tables).
 * @name:	for messages
 * @cache_pages: most table pages one map() takes from the cache
 *		(at most VTX_MMU_CACHE_PAGES)
 * @init:	allocate mmu->roots (and count mmu->nr_table_pages)
 * @free_tables: free every table once no leaf is left; the roots too
 * @has_2m:	the format can map 2 MiB with one leaf on this host
 * @map:	install @leaf (or upgrade the present one) in the tables of
 *		address space @as under mmu->lock,
 *		taking new table pages from @cache.  Returns the page whose
 *		reference the generic code must drop (the new one when a
 *		leaf was already there, the old one when it was replaced) or
 *		NULL when the new leaf keeps @leaf->page's reference; sets
 *		*@flush when that page may still be in a TLB (flush first)
 * @zap:	apply the mode to every leaf in guest frames [start, end) of
 *		the tables of address space @as,
 *		calling vtx_mmu_release_pfn() for each released leaf; returns
 *		the number of leaves changed.  Under mmu->lock
 * @flush:	drop the VM's cached translations (of every address space)
 *		on every CPU (the VM-wide flush; the shadow format's fault
 *		path flushes only its vCPUs' CPUs); may send IPIs, so never
 *		under mmu->lock
 * @track_write: optional: vtx wrote guest RAM [@gpa, @gpa + @len) of
 *		address space @as (within one page) for the guest, the
 *		bytes already in memory; the format drops what it derived
 *		from them (the shadow MMU's write-protected guest tables).
 *		Takes mmu->lock; called with none of the MMU's locks held
 *
 * A leaf that is cleared keeps its host frame until the release pass, and
 * a page is released only after @flush: the guest never reaches a page
 * that went back to the host.
 */
struct vtx_mmu_format {
	const char *name;
	unsigned int cache_pages;
	int (*init)(struct vtx_mmu *mmu);
	void (*free_tables)(struct vtx_mmu *mmu);
	bool (*has_2m)(void);
	struct page *(*map)(struct vtx_mmu *mmu, int as,
			    struct vtx_mmu_cache *cache,
			    const struct vtx_mmu_leaf *leaf, bool *flush);
	unsigned long (*zap)(struct vtx_mmu *mmu, int as, u64 start, u64 end,
			     enum vtx_mmu_zap mode);
	void (*flush)(struct vtx_mmu *mmu);
	void (*track_write)(struct vtx_mmu *mmu, int as, u64 gpa,
			    unsigned int len);
};

/**
 * struct vtx_mmu - a VM's guest-physical translation, format-independent.
 *
 * Locking as in vtx.h: [c] set at creation, [m] mmu->lock.
 */
struct vtx_mmu {
	/* protects the tables and the [m] fields; never held across a wait */
	spinlock_t lock;
	const struct vtx_mmu_format *fmt;	/* [c] */
	/* [c] top-level table page of each memslot address space */
	void *roots[VTX_MMU_ROOTS];
	unsigned long nr_table_pages;		/* [m] table pages in use */
	unsigned long nr_pinned;		/* [m] guest pages mapped */
	struct mmu_notifier notifier;		/* [c] on vm->mm */
	unsigned long inval_seq;		/* [m] invalidations started */
	unsigned long inval_count;		/* [m] invalidations running */
	/*
	 * APICv's APIC-access page (vmx/apicv.c): made once, by the first
	 * vCPU that needs it (cmpxchg), never guest RAM; freed with the MMU
	 */
	struct page *apic_access_page;
	/* [c] the shadow format's per-vCPU tables (shadow.c), or NULL */
	struct vtx_shadow *shadow;
	/*
	 * [m] shadow tables below the roots (shadow.c; 0 with EPT), written
	 * with WRITE_ONCE() for netlink, which reads it without the lock
	 */
	unsigned long nr_shadow_pages;
};

int vtx_mmu_init(struct vtx_vm *vm, const struct vtx_mmu_format *fmt);
void vtx_mmu_destroy(struct vtx_vm *vm);
void vtx_mmu_free_vcpu(struct vtx_vcpu *vcpu);
int vtx_mmu_register_notifier(struct vtx_vm *vm);
void vtx_mmu_unregister_notifier(struct vtx_vm *vm);
int vtx_mmu_page_fault(struct vtx_vcpu *vcpu, u64 gpa, bool write);
void vtx_mmu_unmap_range(struct vtx_vm *vm, int as, u64 gfn, u64 npages);
void vtx_mmu_write_protect(struct vtx_vm *vm, int as, u64 gfn, u64 npages);
struct page *vtx_mmu_apic_access_page(struct vtx_vm *vm);
int vtx_mmu_map_kernel_page(struct vtx_vcpu *vcpu, u64 gfn, struct page *page);

/* For formats. */
void *vtx_mmu_cache_take(struct vtx_mmu_cache *cache);
int vtx_mmu_topup(struct vtx_vcpu *vcpu);
void vtx_mmu_release_pfn(struct vtx_mmu *mmu, unsigned long pfn);

#endif /* VTX_MMU_H */
