// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - shadow page tables, milestone 2: a shadow MMU whose tables outlive
 * a CR3 switch and are shared by address spaces and vCPUs (design.rst,
 * section 8.3).
 *
 * Without EPT the processor translates guest-linear addresses with tables
 * vtx builds: GUEST_CR3 holds the root of the vCPU's current shadow
 * tables, never the guest's CR3 (which vtx keeps, intercepting MOV to and
 * from CR3).  A shadow leaf maps one 4 KiB guest-linear page to the host
 * page that backs the guest frame the guest's own tables give it, with
 * the permissions of the guest's walk; the shadow tables above the leaves
 * allow everything.  They start empty: every first access faults (#PF is
 * intercepted), the fault walks the guest's tables with the walker of
 * x86/walk.c (which sets their accessed and dirty bits as the processor
 * would), pins the frame through the generic MMU (mmu.c) and installs
 * the leaf.
 *
 * Address spaces: each vCPU keeps SPT_CTXS of them (struct spt_ctx: a
 * guest CR3 and the role its leaves depend on, with a root of its own);
 * a MOV to CR3 back to a kept one finds its tables as they were.  Each
 * shadow table below a root (struct spt_page) mirrors one guest table,
 * the one of its level on the path of the linear addresses it covers
 * (or, below a guest large page, that page: "direct"), and while it
 * lives its guest table is write-protected: the VM's hash (by guest
 * frame) knows the frames, the reverse map (by host frame) finds the
 * shadow leaves that map one, which lose W; no new leaf maps one
 * writable.  Tables are shared, as KVM's: one that mirrors a guest table
 * is found in the hash by its key (guest frame, level, role: the paging
 * mode and control bits, what the guest entries above allow, the
 * quadrant of a 32-bit table) by any fault of any vCPU whose path wants
 * it, and linked there; it has a list of the entries that point to it
 * (@parents), all cleared when it is zapped, and stays without parents
 * (still protecting its guest table) until wanted again or reclaimed.
 * Roots, tables that mirror no guest table, direct ones and those of an
 * unprotected address space are not shared.  A guest write to a page table faults; the guest's walk
 * allows it: the instruction is emulated and, in every shadow table of
 * that frame in every vCPU, the entries that mirror the written bytes
 * are dropped (vtx_shadow_track_write(); a misaligned write, a flood of
 * writes or an instruction the emulator leaves zaps the frame's tables
 * and lets the write through, KVM's unprotect-and-retry).  So a kept
 * address space's tables are always what the guest's tables say, and
 * INVLPG needs only the VPID's flush.  A table written through a
 * translation that goes through that table itself cannot be both
 * protected and written: it stays unprotected and its address space is
 * "unprotected", dropped at INVLPG and CR3 loads, as milestone 1's
 * virtual TLB.
 *
 * Guest-physical memory: the format's tables (mmu->roots, one per
 * address space) are a radix tree of guest frames to pinned host pages,
 * one reference each, exactly the state the EPT format keeps (so the
 * generic code's invariants hold unchanged: dirty logging, the MMU
 * notifier, memslot removal).  A shadow leaf may only map a host page that
 * this tree maps, with write access only if the tree's entry has it; any
 * change that takes a frame or write access away from the tree takes it
 * from the shadow leaves that map the frame's host page (the reverse
 * map; past a budget, every vCPU's shadow tables go) before the generic
 * code flushes.
 *
 * Zapped table pages are kept on the VM's zombie list until a flush made
 * sure no processor caches a translation through them: any vCPU may have
 * walked a shared table, so only the VM-wide flush frees them
 * (vtx_shadow_flush(), or a fault's flush of the CPUs the vCPUs are
 * loaded on once SPT_RECLAIM_ZOMBIES wait: a vCPU loaded on another CPU
 * flushes its VPID there first).
 *
 * Paging modes: the shadow tables are 4-level ones whatever the guest's
 * paging (4-level, PAE, 32-bit, or none in protected mode: an identity
 * map).  Outside IA-32e mode the processor runs PAE paging (CR4.PAE is
 * forced, vmcs.c) from the vCPU's PAE root: four PDPTEs, below 4 GiB,
 * that mirror the first four entries of the level-3 table under the
 * 4-level root's entry 0 (a 32-bit linear address goes no further), so
 * both roots reach the same tables; that level-3 table is the address
 * space's own.
 *
 * Locking: everything here changes under mmu->lock, a spinlock under
 * which nothing faults on user memory: the guest walk (reads and A/D
 * cmpxchg) runs before it and is checked under it with reads that cannot
 * fault (walk_unchanged()); table pages and struct spt_page come from
 * per-vCPU caches topped up before it; the flush of a write protection
 * (IPIs) is sent under it (a CPU spinning on it takes them), other
 * flushes after it.
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/io.h>
#include <linux/mm.h>
#include <linux/hash.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/trap_pf.h>
#include "x86/x86.h"
#include "x86/mmu/shadow.h"

#define SPT_LEVELS		4
#define SPT_ENTRIES		512
#define SPT_LEVEL_SHIFT		9
#define SPT_INDEX_MASK		(SPT_ENTRIES - 1)
#define SPT_ADDR_MASK		GENMASK_ULL(51, 12)

/* Entries of the guest-frame tree (software only, never walked by a CPU). */
#define PHYS_PRESENT		BIT_ULL(0)
#define PHYS_WRITABLE		BIT_ULL(1)
#define PHYS_HOST_WRITABLE	BIT_ULL(11)
#define PHYS_TABLE		PHYS_PRESENT

/* Shadow tables: x86 page-table entries the processor walks. */
#define SPT_TABLE_BITS		(_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | \
				 _PAGE_ACCESSED)
/*
 * On the shadow PDE (PDPTE) above them: leaves of a guest 2 MiB (1 GiB)
 * page are below.  The guest's large page is one TLB entry that vtx maps
 * with 4 KiB leaves, all of which an INVLPG of any address in the page
 * drops, touched or not.  Software bits, which the processor ignores.
 */
#define SPT_HAS_2M		_PAGE_SOFTW1
#define SPT_HAS_1G		_PAGE_SOFTW2
/* PAE paging's PDPTEs (SDM vol. 3, 4.4.1): four, P and the address only */
#define SPT_PAE_ROOTS		4

/* Address spaces (guest CR3 and role) a vCPU keeps: KVM's current + 3 prev */
#define SPT_CTXS		4
/* Buckets of the VM's table hash (by guest frame) and reverse map (by pfn) */
#define SPT_HASH_BITS		10
#define SPT_RMAP_BITS		12
/* A shadow table that mirrors no guest table (above PAE's PDPTEs, paging off) */
#define SPT_NO_GFN		(~0ull)
/* A guest large page's table: its first frame, with this bit */
#define SPT_DIRECT		BIT_ULL(63)
/*
 * The VM's bound on shadow tables below the roots, as KVM's default: 20
 * per thousand guest pages in memslots, at least 64.
 */
#define SPT_PAGES_PERMILLE	20
#define SPT_MIN_PAGES		64
/* Zombies a fault frees (with the VM-wide flush) once the VM has as many */
#define SPT_RECLAIM_ZOMBIES	64
/*
 * Emulated writes to a guest table with no fault through a table that
 * mirrors it in between, after which it is taken to be no longer a page
 * table (or being rewritten wholesale) and unprotected: KVM's
 * detect_write_flooding(), which skips the leaf tables (they go unsync
 * there instead); vtx has no unsync tables and counts every level.
 */
#define SPT_FLOOD_WRITES	3
/* struct spt_page's reverse-map nodes: 512 hlist_nodes, 8 KiB */
#define SPT_RMAP_ORDER		1

/* Role bits of a context's key: the paging mode and what the leaves obey */
#define SPT_MODE_NONE		0
#define SPT_MODE_32		1
#define SPT_MODE_PAE		2
#define SPT_MODE_64		3
#define SPT_ROLE_MODE		GENMASK(1, 0)
#define SPT_ROLE_WP		BIT(2)
#define SPT_ROLE_SMEP		BIT(3)
#define SPT_ROLE_NXE		BIT(4)
#define SPT_ROLE_PSE		BIT(5)
#define SPT_ROLE_SMM		BIT(6)
/*
 * Role bits of a table below the root (struct spt_page, role): what the
 * guest entries above it allow (the leaves below obey them too: KVM's
 * role.access), and under 32-bit paging which part of its guest table it
 * mirrors (KVM's quadrant: a 4-byte-entry table spans 2 or 4 of vtx's).
 */
#define SPT_ROLE_ACC_W		BIT(8)
#define SPT_ROLE_ACC_U		BIT(9)
#define SPT_ROLE_ACC_NX		BIT(10)
#define SPT_ROLE_QUADRANT_SHIFT	12
/* PAE paging outside IA-32e mode: CR3 bits 4:0 are ignored */
#define SPT_PAE_CR3_MASK	GENMASK_ULL(31, 5)

struct spt_ctx;
struct spt_vcpu;

/**
 * struct spt_page - one shadow table page.
 * @spt:	the table the processor walks (page_private: this struct)
 * @rmap:	a node per entry; its pages' page_private is this struct.
 *		Level 1: each present leaf's node in the VM's reverse map
 *		(shadow->rmap, by host frame).  Above: each present entry's
 *		node in the @parents of the table it points to.
 * @parents:	the entries (@rmap nodes of tables one level up) that point
 *		here: one for a table only its path finds, any number for a
 *		@shared one; none for a root, or a shared table no address
 *		space links now (kept for the next one that wants it, until
 *		the LRU takes it)
 * @root_of:	the context whose root this is, else NULL
 * @pae_of:	the context whose PAE root mirrors this table's first four
 *		entries (its level-3 table outside IA-32e mode), else NULL
 * @gfn:	the guest table it mirrors (its entries were filled from that
 *		table's), SPT_NO_GFN, or a guest large page's first frame |
 *		SPT_DIRECT
 * @role:	its context's role (SPT_ROLE_*), with the access and quadrant
 *		of its place below the root: with @gfn and @level, what its
 *		entries depend on
 * @level:	4 (a root) to 1 (leaves)
 * @shared:	found by its key (@gfn, @level, @role) in shadow->hash while
 *		@tracked, and linked from every entry that wants it, in any
 *		vCPU's address space: a table that mirrors a guest table,
 *		below the root, made in a protected address space
 * @hashed:	on shadow->hash (a guest table's page)
 * @tracked:	write-protects @gfn: no shadow leaf maps @gfn writable, so a
 *		guest write to the table faults and is emulated
 *		(vtx_shadow_track_write())
 * @flood:	writes to @gfn since the last fault through this table
 *		(SPT_FLOOD_WRITES)
 * @hash_link:	in shadow->hash
 * @link:	shadow->zombies once zapped
 * @lru:	shadow->lru while live (not a root)
 *
 * All fields [m]: mmu->lock.
 */
struct spt_page {
	u64 *spt;
	struct hlist_node *rmap;
	struct hlist_head parents;
	struct spt_ctx *root_of;
	struct spt_ctx *pae_of;
	u64 gfn;
	u32 role;
	int level;
	bool shared;
	bool hashed;
	bool tracked;
	u8 flood;
	struct hlist_node hash_link;
	struct list_head link;
	struct list_head lru;
};

/**
 * struct spt_key - what an address space's translations depend on.
 * @cr3:	the guest's top table (CR3's frame; the PDPT's address under
 *		PAE paging), 0 without paging
 * @pdptrs:	PAE paging: the PDPTEs loaded with CR3
 * @role:	SPT_ROLE_*
 * @valid:	the key names an address space
 */
struct spt_key {
	u64 cr3;
	u64 pdptrs[SPT_PAE_ROOTS];
	u32 role;
	bool valid;
};

/**
 * struct spt_ctx - one address space's shadow tables (a "root").
 * @root:	the level-4 table (GUEST_CR3 in IA-32e mode)
 * @pae_root:	outside IA-32e mode GUEST_CR3: PDPTEs mirroring @root's
 *		first level-3 table's first four entries; a page below 4 GiB
 * @v:		the vCPU
 * @key:	the address space
 * @last_use:	the vCPU's clock when it was last loaded (LRU)
 * @unprotected: some table in it mirrors a guest table that is not
 *		write-protected (a table written through a translation that
 *		goes through itself): dropped at INVLPG and never re-used by
 *		a MOV to CR3, as milestone 1's virtual TLB
 */
struct spt_ctx {
	struct spt_page *root;
	u64 *pae_root;
	struct spt_vcpu *v;
	struct spt_key key;
	unsigned long last_use;
	bool unprotected;
};

/**
 * struct spt_vcpu - a vCPU's shadow state.
 * @ctx:	its address spaces
 * @cur:	the one GUEST_CR3 points at
 * @cache:	struct spt_page (with their reverse-map nodes, without a
 *		table) allocated before mmu->lock, @nr_cache of them
 * @nr_cache:	see @cache
 * @clock:	@cur's loads
 * @unprotect_gva: the last unprotect-and-retry's address
 * @unprotect_gfn: and guest table
 * @faults:	#PF exits handled
 * @spurious_fault: @faults at the last fault that found its leaf already
 *		as it would make it, retried as spurious
 * @spurious_gva: that fault's address
 * @spurious_ec: and error code
 *
 * [m] but @cache, @nr_cache, @faults and @spurious_*: the vCPU's thread.
 */
struct spt_vcpu {
	struct spt_ctx ctx[SPT_CTXS];
	struct spt_ctx *cur;
	struct spt_page *cache[SPT_LEVELS];
	int nr_cache;
	unsigned long clock;
	u64 unprotect_gva;
	u64 unprotect_gfn;
	unsigned long faults;
	unsigned long spurious_fault;
	u64 spurious_gva;
	u32 spurious_ec;
};

/**
 * struct vtx_shadow - a VM's shadow state (mmu->shadow).
 * @vcpu:	each vCPU's, by vCPU id, set once [m]
 * @hash:	tables that mirror a guest table, by its frame [m]
 * @rmap:	shadow leaves, by the host frame they map [m]
 * @lru:	live tables below the roots, least recently on a fault's
 *		path first [m]
 * @zombies:	zapped tables, freed after a flush of every CPU a vCPU of
 *		the VM may have cached them on (any vCPU may walk a shared
 *		table): the VM-wide flush [m]
 * @nr_pages:	tables on @lru [m]; mmu->nr_shadow_pages follows it
 * @nr_zombies:	tables on @zombies [m]; read without the lock by a fault
 * @max_pages:	the bound on @nr_pages (SPT_PAGES_PERMILLE), recomputed
 *		from the memslots when it is reached [m]
 * @zapped_rw:	a writable leaf was zapped since the last VM-wide flush:
 *		some CPU may still hold it in its TLB, where the reverse
 *		map no longer finds it to write-protect [m]
 * @nr_hashed:	tables on @hash [m]; read without the lock by
 *		vtx_shadow_track_write(), which has nothing to do at 0
 * @flush_mask:	the backend's scratch CPU mask for a fault's flush
 *		(vtx_shadow_cpumask()) [m]
 */
struct vtx_shadow {
	struct spt_vcpu *vcpu[VTX_MAX_VCPUS];
	struct hlist_head hash[1 << SPT_HASH_BITS];
	struct hlist_head rmap[1 << SPT_RMAP_BITS];
	struct list_head lru;
	struct list_head zombies;
	unsigned long nr_pages;
	unsigned long nr_zombies;
	unsigned long max_pages;
	bool zapped_rw;
	unsigned long nr_hashed;
	cpumask_var_t flush_mask;
};

static inline unsigned int spt_index(u64 addr_frame, int level)
{
	return (addr_frame >> (SPT_LEVEL_SHIFT * (level - 1))) &
	       SPT_INDEX_MASK;
}

static inline u64 *spt_table(u64 entry)
{
	return __va(entry & SPT_ADDR_MASK);
}

static void free_table_page(void *table)
{
	free_page((unsigned long)table);
	vtx_alloc_dec(VTX_ALLOC_EPT);
}

/* The guest-frame tree. */

static void phys_free_table(u64 *table, int level)
{
	unsigned int i;

	if (level > 1)
		for (i = 0; i < SPT_ENTRIES; i++)
			if (table[i])
				phys_free_table(spt_table(table[i]), level - 1);
	free_table_page(table);
}

/* Every root or none: vtx_mmu_destroy() looks at the first one. */
int vtx_shadow_init(struct vtx_mmu *mmu)
{
	int as;

	mmu->shadow = kvzalloc(sizeof(*mmu->shadow), GFP_KERNEL_ACCOUNT);
	if (!mmu->shadow)
		return -ENOMEM;
	INIT_LIST_HEAD(&mmu->shadow->lru);
	INIT_LIST_HEAD(&mmu->shadow->zombies);
	mmu->shadow->max_pages = SPT_MIN_PAGES;
	if (!zalloc_cpumask_var(&mmu->shadow->flush_mask, GFP_KERNEL_ACCOUNT))
		goto fail;
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
		free_table_page(mmu->roots[as]);
		mmu->roots[as] = NULL;
	}
	mmu->nr_table_pages = 0;
	free_cpumask_var(mmu->shadow->flush_mask);
	kvfree(mmu->shadow);
	mmu->shadow = NULL;
	return -ENOMEM;
}

/**
 * vtx_shadow_cpumask() - the VM's scratch CPU mask, for the backend's
 * flush of a write protection (struct vtx_shadow_fault, flush_cpus).
 * @mmu:	the VM's MMU, mmu->lock held (the mask's lock)
 *
 * Return: the mask, its contents undefined.
 */
struct cpumask *vtx_shadow_cpumask(struct vtx_mmu *mmu)
{
	lockdep_assert_held(&mmu->lock);
	return mmu->shadow->flush_mask;
}

bool vtx_shadow_has_2m(void)
{
	return false;
}

/* The entry of @gfn in the tree of @as, made from @cache if asked. */
static u64 *phys_entry(struct vtx_mmu *mmu, int as,
		       struct vtx_mmu_cache *cache, u64 gfn)
{
	u64 *table = mmu->roots[as];
	int l;

	for (l = SPT_LEVELS; l > 1; l--) {
		u64 *entry = &table[spt_index(gfn, l)];

		if (!*entry) {
			u64 *page = cache ? vtx_mmu_cache_take(cache) : NULL;

			if (!page)
				return NULL;
			*entry = __pa(page) | PHYS_TABLE;
			mmu->nr_table_pages++;
		}
		table = spt_table(*entry);
	}
	return &table[spt_index(gfn, 1)];
}

/* Shadow tables. */

static struct spt_page *sp_of_table(u64 *table)
{
	return (struct spt_page *)page_private(virt_to_page(table));
}

/* The table a present non-leaf shadow entry points to. */
static struct spt_page *sp_of_entry(u64 entry)
{
	return sp_of_table(spt_table(entry));
}

static struct hlist_head *gfn_head(struct vtx_shadow *sh, u64 gfn)
{
	return &sh->hash[hash_64(gfn, SPT_HASH_BITS)];
}

static struct hlist_head *rmap_head(struct vtx_shadow *sh, u64 pfn)
{
	return &sh->rmap[hash_64(pfn, SPT_RMAP_BITS)];
}

/* A struct spt_page and its reverse-map nodes; GFP_KERNEL, no lock held. */
static struct spt_page *sp_alloc(void)
{
	struct spt_page *sp = kzalloc(sizeof(*sp), GFP_KERNEL_ACCOUNT);
	struct page *pages;
	int i;

	if (!sp)
		return NULL;
	pages = alloc_pages(GFP_KERNEL_ACCOUNT | __GFP_ZERO, SPT_RMAP_ORDER);
	if (!pages) {
		kfree(sp);
		return NULL;
	}
	for (i = 0; i < (1 << SPT_RMAP_ORDER); i++)
		set_page_private(pages + i, (unsigned long)sp);
	/* counted as table pages ("ept" in allocs_detail) */
	vtx_alloc_add(VTX_ALLOC_EPT, 1 << SPT_RMAP_ORDER);
	sp->rmap = page_address(pages);
	INIT_LIST_HEAD(&sp->link);
	INIT_LIST_HEAD(&sp->lru);
	INIT_HLIST_NODE(&sp->hash_link);
	return sp;
}

/* Free @sp and its table (which the caller set up, or NULL). */
static void sp_free(struct spt_page *sp)
{
	struct page *pages = virt_to_page(sp->rmap);
	int i;

	if (sp->spt) {
		set_page_private(virt_to_page(sp->spt), 0);
		free_table_page(sp->spt);
	}
	for (i = 0; i < (1 << SPT_RMAP_ORDER); i++)
		set_page_private(pages + i, 0);
	free_pages((unsigned long)sp->rmap, SPT_RMAP_ORDER);
	vtx_alloc_add(VTX_ALLOC_EPT, -(1 << SPT_RMAP_ORDER));
	kfree(sp);
}

static void free_sp_list(struct list_head *list)
{
	struct spt_page *sp, *tmp;

	list_for_each_entry_safe(sp, tmp, list, link) {
		list_del(&sp->link);
		sp_free(sp);
	}
}

/* Top the vCPU's struct spt_page cache up to one fault's needs. */
static int sp_topup(struct spt_vcpu *v)
{
	while (v->nr_cache < SPT_LEVELS) {
		struct spt_page *sp = sp_alloc();

		if (!sp)
			return -ENOMEM;
		v->cache[v->nr_cache++] = sp;
	}
	return 0;
}

/* A leaf's reverse-map node leaves the map. */
static void rmap_del(struct spt_page *sp, unsigned int i)
{
	if (!hlist_unhashed(&sp->rmap[i]))
		hlist_del_init(&sp->rmap[i]);
}

/* Set leaf @i of level-1 table @sp, keeping the reverse map. */
static void set_leaf(struct vtx_shadow *sh, struct spt_page *sp,
		     unsigned int i, u64 leaf)
{
	rmap_del(sp, i);
	WRITE_ONCE(sp->spt[i], leaf);
	if (leaf & _PAGE_PRESENT)
		hlist_add_head(&sp->rmap[i],
			       rmap_head(sh, (leaf & SPT_ADDR_MASK) >> PAGE_SHIFT));
}

/**
 * rmap_unmap() - take host frame @pfn from every shadow leaf that maps it,
 * in every vCPU's address spaces (of both memslot address spaces, and
 * at any guest frame: the reverse map knows host frames only).
 * @sh:		the VM's shadow state, mmu->lock held
 * @pfn:	the host frame
 * @wrprot:	take only write access (the leaves stay, read-only); else
 *		the leaves go (to 0, out of the reverse map)
 * @visits:	out, if not NULL: the reverse-map nodes visited (at least
 *		one: the bucket)
 *
 * A leaf that was writable may still be in some CPU's TLB: the caller
 * flushes before it relies on the change.
 *
 * Return: how many of the leaves were writable.
 */
static unsigned long rmap_unmap(struct vtx_shadow *sh, u64 pfn, bool wrprot,
				unsigned long *visits)
{
	struct hlist_node *node, *next;
	unsigned long n = 0, seen = 1;

	hlist_for_each_safe(node, next, rmap_head(sh, pfn)) {
		struct spt_page *sp = sp_of_table((u64 *)node);
		unsigned int i = node - sp->rmap;
		u64 e = sp->spt[i];

		seen++;
		if (((e & SPT_ADDR_MASK) >> PAGE_SHIFT) != pfn)
			continue;
		if (e & _PAGE_RW)
			n++;
		if (!wrprot)
			set_leaf(sh, sp, i, 0);
		else if (e & _PAGE_RW)
			WRITE_ONCE(sp->spt[i], e & ~_PAGE_RW);
	}
	if (visits)
		*visits = seen;
	return n;
}

/*
 * Entry @i of @parent changed to @entry: keep the PAE root's copy when
 * @parent is a context's level-3 table under its root's entry 0 outside
 * IA-32e mode (PDPTEs have P and the address only).
 */
static void set_table_entry(struct spt_page *parent, unsigned int i,
			    u64 entry)
{
	WRITE_ONCE(parent->spt[i], entry);
	if (parent->pae_of && i < SPT_PAE_ROOTS)
		WRITE_ONCE(parent->pae_of->pae_root[i],
			   (entry & _PAGE_PRESENT) ?
			   (entry & SPT_ADDR_MASK) | _PAGE_PRESENT : 0);
}

/* Entry @i of @parent points to @child, one more of its parents. */
static void sp_link(struct spt_page *parent, unsigned int i,
		    struct spt_page *child)
{
	hlist_add_head(&parent->rmap[i], &child->parents);
	set_table_entry(parent, i, __pa(child->spt) | SPT_TABLE_BITS);
}

/* Is @gfn a guest table some shadow table mirrors, write-protected? */
static bool gfn_tracked(struct vtx_shadow *sh, u64 gfn)
{
	struct spt_page *sp;

	hlist_for_each_entry(sp, gfn_head(sh, gfn), hash_link)
		if (sp->gfn == gfn && sp->tracked)
			return true;
	return false;
}

static void sp_unhash(struct vtx_shadow *sh, struct spt_page *sp)
{
	if (sp->hashed) {
		hlist_del_init(&sp->hash_link);
		WRITE_ONCE(sh->nr_hashed, sh->nr_hashed - 1);
	}
	sp->hashed = false;
	sp->tracked = false;
}

/*
 * @sp mirrors guest table @sp->gfn: hash it and write-protect the frame
 * (the leaves of every vCPU that map it lose W).  Return: leaves changed
 * (non-zero: the caller flushes every CPU before it relies on it).
 */
static unsigned long sp_track(struct vtx_mmu *mmu, struct spt_page *sp)
{
	struct vtx_shadow *sh = mmu->shadow;
	unsigned long n;
	u64 *pe;
	int as;

	if (!sp->hashed) {
		hlist_add_head(&sp->hash_link, gfn_head(sh, sp->gfn));
		sp->hashed = true;
		WRITE_ONCE(sh->nr_hashed, sh->nr_hashed + 1);
	}
	if (sp->tracked)
		return 0;
	sp->tracked = true;
	/*
	 * A zapped writable leaf may still be in some CPU's TLB: counted
	 * as a leaf changed, so that the caller flushes before relying on
	 * the protection (it clears @zapped_rw then).
	 */
	n = sh->zapped_rw;
	as = (sp->role & SPT_ROLE_SMM) ? 1 : 0;
	pe = phys_entry(mmu, as, NULL, sp->gfn);
	if (!pe || !(*pe & PHYS_PRESENT))
		return n;	/* no leaf maps a frame the tree does not */
	return n + rmap_unmap(sh, (*pe & SPT_ADDR_MASK) >> PAGE_SHIFT, true,
			      NULL);
}

static void sp_zap(struct vtx_mmu *mmu, struct spt_page *sp);

/*
 * Entry @i of @parent (above the leaves) goes: the table below loses that
 * parent, and one that no lookup finds (not @shared: a guest large page's,
 * a context's own) is zapped once it has none left.  A shared one stays,
 * parentless if it was the last, still what its guest table says (and
 * write-protecting it), for the next address space whose walk wants it.
 * mmu->lock.
 */
static void sp_unlink(struct vtx_mmu *mmu, struct spt_page *parent,
		      unsigned int i)
{
	u64 e = parent->spt[i];
	struct spt_page *child;

	set_table_entry(parent, i, 0);
	if (!(e & _PAGE_PRESENT))
		return;
	child = sp_of_entry(e);
	hlist_del_init(&parent->rmap[i]);
	if (hlist_empty(&child->parents) && !child->shared)
		sp_zap(mmu, child);
}

/*
 * Drop entry @i of @sp: a leaf leaves the reverse map (with @zapped_rw if
 * it was writable: some TLB may still hold it), a table below is unlinked
 * (sp_unlink()).  mmu->lock.
 */
static void sp_zap_entry(struct vtx_mmu *mmu, struct spt_page *sp,
			 unsigned int i)
{
	u64 e = sp->spt[i];

	if (!e)
		return;
	if (sp->level == 1) {
		if (e & _PAGE_RW)
			mmu->shadow->zapped_rw = true;
		rmap_del(sp, i);
		WRITE_ONCE(sp->spt[i], 0);
	} else {
		sp_unlink(mmu, sp, i);
	}
}

/* Empty @sp: leaves leave the reverse map, tables below are zapped. */
static void sp_zap_children(struct vtx_mmu *mmu, struct spt_page *sp)
{
	unsigned int i;

	for (i = 0; i < SPT_ENTRIES; i++)
		sp_zap_entry(mmu, sp, i);
}

/*
 * Zap @sp (not a root): clear every entry that points to it (in any
 * vCPU's address spaces), unlink what is below, and move it to the VM's
 * zombies, freed after the VM-wide flush (any processor that ran a vCPU
 * through it may still walk it through cached paging-structure entries).
 */
static void sp_zap(struct vtx_mmu *mmu, struct spt_page *sp)
{
	struct vtx_shadow *sh = mmu->shadow;
	struct hlist_node *node, *next;

	hlist_for_each_safe(node, next, &sp->parents) {
		struct spt_page *parent = sp_of_table((u64 *)node);

		hlist_del_init(node);
		set_table_entry(parent, node - parent->rmap, 0);
	}
	sp_zap_children(mmu, sp);
	sp_unhash(sh, sp);
	list_add(&sp->link, &sh->zombies);
	list_del_init(&sp->lru);
	WRITE_ONCE(sh->nr_zombies, sh->nr_zombies + 1);
	sh->nr_pages--;
	WRITE_ONCE(mmu->nr_shadow_pages, sh->nr_pages);
}

/*
 * Empty context @c: nothing maps any more once the TLB is flushed.  The
 * shared tables its root pointed to stay (sp_unlink()).
 */
static void ctx_reset(struct vtx_mmu *mmu, struct spt_ctx *c)
{
	unsigned int i;

	for (i = 0; i < SPT_ENTRIES; i++)
		if (c->root->spt[i])
			sp_unlink(mmu, c->root, i);
	sp_unhash(mmu->shadow, c->root);
	for (i = 0; i < SPT_PAE_ROOTS; i++)
		WRITE_ONCE(c->pae_root[i], 0);
	c->unprotected = false;
}

/*
 * @c becomes unprotected (a table written through a translation that goes
 * through it): emptied first, so that it links no shared table, under
 * which a table of its own (not write-protected) would be seen by others.
 */
static void ctx_unprotect(struct vtx_mmu *mmu, struct spt_ctx *c)
{
	ctx_reset(mmu, c);
	c->unprotected = true;
}

static void vcpu_reset(struct vtx_mmu *mmu, struct spt_vcpu *v)
{
	int i;

	for (i = 0; i < SPT_CTXS; i++)
		ctx_reset(mmu, &v->ctx[i]);
}

/* Every shadow table goes, those no root links included. */
static void reset_all(struct vtx_mmu *mmu)
{
	struct vtx_shadow *sh = mmu->shadow;
	int i;

	for (i = 0; i < VTX_MAX_VCPUS; i++)
		if (sh->vcpu[i])
			vcpu_reset(mmu, sh->vcpu[i]);
	while (!list_empty(&sh->lru))
		sp_zap(mmu, list_first_entry(&sh->lru, struct spt_page, lru));
}

/*
 * Move the tables of @gfn from their hash bucket @head to @list, in one
 * walk of the bucket (they stay "hashed": sp_unhash() takes one off
 * @list as well).  mmu->lock.
 */
static void gfn_take(struct hlist_head *head, u64 gfn, struct hlist_head *list)
{
	struct hlist_node *next;
	struct spt_page *sp;

	hlist_for_each_entry_safe(sp, next, head, hash_link) {
		if (sp->gfn != gfn)
			continue;
		hlist_del(&sp->hash_link);
		hlist_add_head(&sp->hash_link, list);
	}
}

/*
 * Zap every shadow table that mirrors guest table @gfn, in every vCPU's
 * address spaces (a root is emptied and stays): the frame is no longer
 * write-protected.
 *
 * The bucket is walked once: its tables of @gfn move to a list of their
 * own first (still "hashed": zapping one unhashes, from that list, the
 * others below it), so that the bucket's other tables are not walked
 * again after each zap.
 */
static void zap_gfn(struct vtx_mmu *mmu, u64 gfn)
{
	struct hlist_head *head = gfn_head(mmu->shadow, gfn);
	HLIST_HEAD(doomed);
	struct spt_page *sp;

	gfn_take(head, gfn, &doomed);
	while (!hlist_empty(&doomed)) {
		sp = hlist_entry(doomed.first, struct spt_page, hash_link);
		if (sp->root_of)
			ctx_reset(mmu, sp->root_of);
		else
			sp_zap(mmu, sp);
	}
}

/* Bytes of an entry of the guest table @sp mirrors: 4 under 32-bit paging */
static unsigned int sp_entry_bytes(const struct spt_page *sp)
{
	return (sp->role & SPT_ROLE_MODE) == SPT_MODE_32 ? 4 : 8;
}

/*
 * A write of @len bytes at offset @off of a guest table with @es-byte
 * entries that does not replace whole entries: KVM's
 * detect_write_misaligned() (a single byte at an entry's start is
 * Linux's clear_bit() of a low flag, and counts as aligned).
 */
static bool write_misaligned(unsigned int off, unsigned int len,
			     unsigned int es)
{
	if (!(off & (es - 1)) && len == 1)
		return false;
	return ((off ^ (off + len - 1)) & ~(es - 1)) || len < 4;
}

/*
 * Guest bytes [@off, @off + @len) of the table @sp mirrors changed: drop
 * the entries of @sp that mirror them.  A leaf leaves the reverse map
 * (with @zapped_rw if it was writable: some TLB may still hold it); an
 * entry above the leaves unlinks the table below (sp_unlink()).  No
 * flush: the guest invalidates a translation it changed (INVLPG, a CR3
 * load), and a zapped table is freed only after a flush.  Under 32-bit
 * paging @sp mirrors a part of its guest table (its quadrant: half of a
 * page table's 1024 PTEs, a quarter of a page directory's PDEs), and a
 * 4 MiB PDE spans two of its entries.  mmu->lock.
 */
static void sp_zap_written(struct vtx_mmu *mmu, struct spt_page *sp,
			   unsigned int off, unsigned int len,
			   unsigned int es)
{
	/* shadow entries per guest entry, guest entries @sp mirrors */
	unsigned int per = es == 8 || sp->level == 1 ? 1 : 2;
	unsigned int span = SPT_ENTRIES / per;
	unsigned int first = (sp->role >> SPT_ROLE_QUADRANT_SHIFT) * span;
	unsigned int g = off / es, last = (off + len - 1) / es, k;

	g = max(g, first);
	last = min(last, first + span - 1);
	for (; g <= last; g++)
		for (k = 0; k < per; k++)
			sp_zap_entry(mmu, sp, (g - first) * per + k);
}

/**
 * vtx_shadow_track_write() - guest RAM that shadow tables may mirror was
 * written (struct vtx_mmu_format, track_write): an emulated write to a
 * write-protected guest table, or vtx's own write for the guest.
 * @mmu:	the VM's MMU
 * @as:		the memslot address space (not looked at: a guest table is
 *		protected by its frame in both, as gfn_tracked() has it)
 * @gpa:	the first byte written, already in memory
 * @len:	bytes written (those beyond @gpa's page are not looked at)
 *
 * In every shadow table of every vCPU that mirrors the frame, the entries
 * that mirror the written bytes go (sp_zap_written()); the next fault
 * through them reads the guest's new entries.  A write that does not
 * replace whole entries, or the SPT_FLOOD_WRITES-th write to a table with
 * no fault through a shadow table of it in between, zaps every shadow
 * table of the frame instead, which is then no longer write-protected
 * (KVM's kvm_mmu_pte_write()).  Takes mmu->lock.
 */
void vtx_shadow_track_write(struct vtx_mmu *mmu, int as, u64 gpa,
			    unsigned int len)
{
	struct vtx_shadow *sh = mmu->shadow;
	unsigned int off = offset_in_page(gpa);
	u64 gfn = gpa >> PAGE_SHIFT;
	struct hlist_head *head;
	struct spt_page *sp;
	bool unprotect = false;
	HLIST_HEAD(todo);

	if (!sh || !len)
		return;
	/*
	 * The written bytes are in memory before the count is read; a table
	 * hashed meanwhile (the count written first) reads them in
	 * walk_unchanged(), after its own barrier.  KVM's early return when
	 * it shadows no guest table.
	 */
	smp_mb();
	if (!READ_ONCE(sh->nr_hashed))
		return;
	len = min_t(unsigned int, len, PAGE_SIZE - off);
	head = gfn_head(sh, gfn);
	spin_lock(&mmu->lock);
	/*
	 * The frame's tables move to a list of their own first, and back one
	 * at a time: zapping an upper entry of one may unhash others of the
	 * frame below it (a table that maps itself), from either list.
	 */
	gfn_take(head, gfn, &todo);
	while (!hlist_empty(&todo)) {
		unsigned int es;

		sp = hlist_entry(todo.first, struct spt_page, hash_link);
		hlist_del(&sp->hash_link);
		hlist_add_head(&sp->hash_link, head);
		es = sp_entry_bytes(sp);
		if (unprotect || write_misaligned(off, len, es) ||
		    ++sp->flood >= SPT_FLOOD_WRITES) {
			unprotect = true;
			continue;
		}
		sp_zap_written(mmu, sp, off, len, es);
	}
	if (unprotect)
		zap_gfn(mmu, gfn);
	spin_unlock(&mmu->lock);
}

/*
 * Install @leaf (struct vtx_mmu_format, map): the EPT format's rules, in
 * the guest-frame tree.  mmu->lock held.
 */
struct page *vtx_shadow_map(struct vtx_mmu *mmu, int as,
			    struct vtx_mmu_cache *cache,
			    const struct vtx_mmu_leaf *leaf, bool *flush)
{
	struct page *page = leaf->page, *old;
	u64 *pte, new;

	new = page_to_phys(page) | PHYS_PRESENT;
	if (leaf->host_writable)
		new |= PHYS_HOST_WRITABLE;
	if (leaf->writable)
		new |= PHYS_WRITABLE;
	pte = phys_entry(mmu, as, cache, leaf->gfn);
	if (WARN_ON_ONCE(!pte))
		return page;
	if (!(*pte & PHYS_PRESENT)) {
		*pte = new;
		return NULL;
	}
	if (!(*pte & PHYS_WRITABLE) && leaf->write &&
	    (*pte & PHYS_HOST_WRITABLE)) {
		/* Write-protected for dirty logging: allow, log. */
		*pte |= PHYS_WRITABLE;
		return page;
	}
	if (leaf->host_writable && !(*pte & PHYS_HOST_WRITABLE)) {
		/*
		 * Pinned read-only before: the shadow leaves that map that
		 * page go (the caller flushes before it unpins it).
		 */
		old = pfn_to_page((*pte & SPT_ADDR_MASK) >> PAGE_SHIFT);
		*pte = new;
		if (rmap_unmap(mmu->shadow, page_to_pfn(old), false, NULL))
			mmu->shadow->zapped_rw = true;
		*flush = true;
		return old;
	}
	return page;
}

/**
 * struct phys_zap - one zap of the guest-frame tree (vtx_shadow_zap()).
 * @start:	first guest frame
 * @end:	frame after the last
 * @mode:	what becomes of the tree's entries
 * @budget:	reverse-map nodes the zap may still visit to take the
 *		entries' host frames from the shadow leaves; once spent,
 *		@reset
 * @reset:	the rest of the shadow leaves are not looked up: every
 *		vCPU's address spaces are emptied after the walk
 */
struct phys_zap {
	u64 start;
	u64 end;
	enum vtx_mmu_zap mode;
	unsigned long budget;
	bool reset;
};

/*
 * The tree's entry @entry of @gfn was cleared (@wrprot: lost W): so are
 * the shadow leaves that map its page (lose W).  A cleared frame's shadow
 * tables go too (zap_gfn()): a frame that left RAM (a memslot deleted or
 * moved) is no longer a guest table, as the next walk would find.
 */
static void phys_zap_leaves(struct vtx_mmu *mmu, struct phys_zap *z,
			    u64 gfn, u64 entry, bool wrprot)
{
	struct vtx_shadow *sh = mmu->shadow;
	unsigned long visits;

	if (z->reset)
		return;
	if (rmap_unmap(sh, (entry & SPT_ADDR_MASK) >> PAGE_SHIFT, wrprot,
		       &visits))
		sh->zapped_rw = true;
	if (!wrprot && sh->nr_hashed) {
		visits += 1 + (sh->nr_hashed >> SPT_HASH_BITS);
		zap_gfn(mmu, gfn);
	}
	if (visits >= z->budget)
		z->reset = true;
	else
		z->budget -= visits;
}

static unsigned long phys_zap_table(struct vtx_mmu *mmu, u64 *table,
				    int level, u64 base, struct phys_zap *z)
{
	u64 span = 1ull << (SPT_LEVEL_SHIFT * (level - 1));
	unsigned long n = 0;
	unsigned int i;

	for (i = 0; i < SPT_ENTRIES; i++) {
		u64 first = base + i * span, *entry = &table[i];

		if (first + span <= z->start || first >= z->end || !*entry)
			continue;
		if (level > 1) {
			n += phys_zap_table(mmu, spt_table(*entry), level - 1,
					    first, z);
			continue;
		}
		switch (z->mode) {
		case VTX_ZAP_CLEAR:
			if (*entry & PHYS_PRESENT) {
				*entry &= ~(PHYS_PRESENT | PHYS_WRITABLE);
				phys_zap_leaves(mmu, z, first, *entry, false);
				n++;
			}
			break;
		case VTX_ZAP_WRPROT:
			if (*entry & PHYS_WRITABLE) {
				*entry &= ~PHYS_WRITABLE;
				phys_zap_leaves(mmu, z, first, *entry, true);
				n++;
			}
			break;
		case VTX_ZAP_RELEASE:
			vtx_mmu_release_pfn(mmu, (*entry & SPT_ADDR_MASK) >>
						 PAGE_SHIFT);
			*entry = 0;
			n++;
			break;
		}
	}
	return n;
}

/**
 * vtx_shadow_zap() - struct vtx_mmu_format, zap.
 * @mmu:	the VM's MMU, mmu->lock held
 * @as:		the memslot address space whose tree changes
 * @start:	first guest frame
 * @end:	frame after the last
 * @mode:	VTX_ZAP_*
 *
 * A shadow leaf maps a host page that the tree maps, writable only if the
 * tree's entry is.  Each entry cleared (VTX_ZAP_CLEAR) takes its host
 * frame from the shadow leaves that map it, found through the reverse
 * map: they go, and so do the shadow tables that mirror the frame; each
 * entry write-protected (VTX_ZAP_WRPROT) takes W from them.  The map is
 * by host frame, so leaves of the other address space, or of another
 * guest frame backed by the same page, go too (they fault again).  The
 * generic code flushes every CPU after it and before it releases anything
 * (VTX_ZAP_RELEASE, which follows a clear of the same range and that
 * flush, or the VM's end: no shadow leaf looked at).
 *
 * The reverse-map walks may visit as many nodes as emptying every address
 * space would visit entries (SPT_ENTRIES in each live table and in the
 * roots of one vCPU, at least), which never counts the refaults that
 * follow a reset; a zap that needs more (a large slot deleted, or logged
 * pages write-protected, while much of it is mapped) empties them all
 * instead, reset_all(), as before the reverse map was used here.
 *
 * Return: tree entries changed.
 */
unsigned long vtx_shadow_zap(struct vtx_mmu *mmu, int as, u64 start, u64 end,
			     enum vtx_mmu_zap mode)
{
	struct phys_zap z = {
		.start = start,
		.end = end,
		.mode = mode,
		.budget = SPT_ENTRIES * (mmu->shadow->nr_pages + SPT_CTXS),
	};
	unsigned long n;

	n = phys_zap_table(mmu, mmu->roots[as], SPT_LEVELS, 0, &z);
	if (z.reset)
		reset_all(mmu);
	return n;
}

/* Every leaf is released and no vCPU runs: free all tables. */
void vtx_shadow_free_tables(struct vtx_mmu *mmu)
{
	struct vtx_shadow *sh = mmu->shadow;
	struct spt_page *sp, *tmp;
	int as, i, j;

	for (as = 0; as < VTX_MMU_ROOTS; as++) {
		phys_free_table(mmu->roots[as], SPT_LEVELS);
		mmu->roots[as] = NULL;
	}
	for (i = 0; i < VTX_MAX_VCPUS; i++) {
		struct spt_vcpu *v = mmu->shadow->vcpu[i];

		if (!v)
			continue;
		for (j = 0; j < SPT_CTXS; j++) {
			sp_free(v->ctx[j].root);
			free_table_page(v->ctx[j].pae_root);
		}
		while (v->nr_cache)
			sp_free(v->cache[--v->nr_cache]);
		kfree(v);
	}
	list_for_each_entry_safe(sp, tmp, &sh->lru, lru) {
		list_del(&sp->lru);
		sp_free(sp);
	}
	free_sp_list(&sh->zombies);
	free_cpumask_var(mmu->shadow->flush_mask);
	kvfree(mmu->shadow);
	mmu->shadow = NULL;
	mmu->nr_table_pages = 0;
}

/* The VM's zombies move to @dead, to be freed after a VM-wide flush. */
static void take_zombies(struct vtx_mmu *mmu, struct list_head *dead)
{
	struct vtx_shadow *sh = mmu->shadow;

	list_splice_init(&sh->zombies, dead);
	mmu->nr_table_pages -= sh->nr_zombies;
	WRITE_ONCE(sh->nr_zombies, 0);
}

/* Take the VM's zombies; free them after @flush_cpus. */
void vtx_shadow_flush(struct vtx_mmu *mmu, void (*flush_cpus)(struct vtx_mmu *))
{
	LIST_HEAD(dead);

	spin_lock(&mmu->lock);
	if (mmu->shadow)
		take_zombies(mmu, &dead);
	spin_unlock(&mmu->lock);
	flush_cpus(mmu);
	free_sp_list(&dead);
}

static struct spt_vcpu *vcpu_spt(struct vtx_vcpu *vcpu)
{
	return vcpu->vm->mmu.shadow->vcpu[vcpu->id];
}

static void free_spt_vcpu(struct spt_vcpu *v)
{
	int j;

	for (j = 0; j < SPT_CTXS; j++) {
		if (v->ctx[j].root)
			sp_free(v->ctx[j].root);
		if (v->ctx[j].pae_root)
			free_table_page(v->ctx[j].pae_root);
	}
	kfree(v);
}

/* A context's root and PAE root, empty. */
static int ctx_alloc(struct spt_vcpu *v, struct spt_ctx *c)
{
	u64 *table;

	c->v = v;
	c->root = sp_alloc();
	if (!c->root)
		return -ENOMEM;
	table = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!table)
		return -ENOMEM;
	vtx_alloc_inc(VTX_ALLOC_EPT);
	set_page_private(virt_to_page(table), (unsigned long)c->root);
	c->root->spt = table;
	c->root->root_of = c;
	c->root->level = SPT_LEVELS;
	c->root->gfn = SPT_NO_GFN;
	/* CR3 outside IA-32e mode: 32 bits */
	c->pae_root = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT | GFP_DMA32);
	if (!c->pae_root)
		return -ENOMEM;
	vtx_alloc_inc(VTX_ALLOC_EPT);
	return 0;
}

/**
 * vtx_shadow_vcpu_init() - empty shadow tables for a new vCPU.
 * @vcpu:	the vCPU, being created
 *
 * Return: 0, -EINVAL for an id beyond the tables, -ENOMEM.
 */
int vtx_shadow_vcpu_init(struct vtx_vcpu *vcpu)
{
	struct vtx_mmu *mmu = &vcpu->vm->mmu;
	struct spt_vcpu *v;
	int i;

	if (vcpu->id >= VTX_MAX_VCPUS)
		return -EINVAL;
	v = kzalloc(sizeof(*v), GFP_KERNEL_ACCOUNT);
	if (!v)
		return -ENOMEM;
	for (i = 0; i < SPT_CTXS; i++) {
		if (ctx_alloc(v, &v->ctx[i])) {
			free_spt_vcpu(v);
			return -ENOMEM;
		}
	}
	v->cur = &v->ctx[0];
	spin_lock(&mmu->lock);
	if (mmu->shadow->vcpu[vcpu->id]) {
		/* left by a creation of this id that failed later: reuse it */
		vcpu_reset(mmu, mmu->shadow->vcpu[vcpu->id]);
		spin_unlock(&mmu->lock);
		free_spt_vcpu(v);
		return 0;
	}
	mmu->shadow->vcpu[vcpu->id] = v;
	mmu->nr_table_pages += 2 * SPT_CTXS;
	spin_unlock(&mmu->lock);
	return 0;
}

/**
 * vtx_shadow_root_pa() - the vCPU's GUEST_CR3: the physical address of its
 * current address space's shadow root.
 * @vcpu:	the vCPU
 * @lm:		the guest is in IA-32e mode (4-level paging), else the
 *		processor runs PAE paging from the PAE root
 *
 * Return: the address, below 4 GiB for the PAE root.
 */
u64 vtx_shadow_root_pa(struct vtx_vcpu *vcpu, bool lm)
{
	struct spt_ctx *c = vcpu_spt(vcpu)->cur;

	return __pa(lm ? c->root->spt : c->pae_root);
}

/* The address space the vCPU's state (and @cr3) selects. */
static void make_key(struct vtx_vcpu *vcpu, unsigned long cr3,
		     struct spt_key *k)
{
	int i;

	memset(k, 0, sizeof(*k));
	k->valid = true;
	if (vcpu->cr0 & X86_CR0_WP)
		k->role |= SPT_ROLE_WP;
	if (vcpu->cr4 & X86_CR4_SMEP)
		k->role |= SPT_ROLE_SMEP;
	if (vcpu->cr4 & X86_CR4_PSE)
		k->role |= SPT_ROLE_PSE;
	if (vcpu->efer & EFER_NX)
		k->role |= SPT_ROLE_NXE;
	if (vtx_vcpu_as(vcpu))
		k->role |= SPT_ROLE_SMM;
	if (!(vcpu->cr0 & X86_CR0_PG)) {
		k->role |= SPT_MODE_NONE;
	} else if (vcpu->efer & EFER_LMA) {
		k->role |= SPT_MODE_64;
		k->cr3 = cr3 & SPT_ADDR_MASK;
	} else if (vcpu->cr4 & X86_CR4_PAE) {
		k->role |= SPT_MODE_PAE;
		k->cr3 = cr3 & SPT_PAE_CR3_MASK;
		for (i = 0; i < SPT_PAE_ROOTS; i++)
			k->pdptrs[i] = vtx_x86_ops.get_pdptr(vcpu, i);
	} else {
		k->role |= SPT_MODE_32;
		k->cr3 = cr3 & GENMASK_ULL(31, 12);
	}
}

static bool key_eq(const struct spt_key *a, const struct spt_key *b)
{
	return a->valid && b->valid && a->cr3 == b->cr3 &&
	       a->role == b->role &&
	       !memcmp(a->pdptrs, b->pdptrs, sizeof(a->pdptrs));
}

/*
 * Make the context of @k the vCPU's current one: the one it had if it is
 * kept, else the least recently used one, emptied.  A context whose
 * tables are not all write-protected is emptied when left.  mmu->lock.
 */
static void ctx_select(struct vtx_mmu *mmu, struct spt_vcpu *v,
		       const struct spt_key *k)
{
	struct spt_ctx *c = NULL;
	int i;

	if (v->cur->unprotected)
		ctx_reset(mmu, v->cur);
	for (i = 0; i < SPT_CTXS; i++) {
		if (key_eq(&v->ctx[i].key, k)) {
			c = &v->ctx[i];
			break;
		}
	}
	if (!c) {
		c = &v->ctx[0];
		for (i = 1; i < SPT_CTXS; i++)
			if (v->ctx[i].last_use < c->last_use)
				c = &v->ctx[i];
		ctx_reset(mmu, c);
		memcpy(&c->key, k, sizeof(*k));
		c->root->gfn = (k->role & SPT_ROLE_MODE) == SPT_MODE_64 ?
			       k->cr3 >> PAGE_SHIFT : SPT_NO_GFN;
		c->root->role = k->role;
	}
	c->last_use = ++v->clock;
	v->cur = c;
}

/**
 * vtx_shadow_load_cr3() - the guest loaded CR3: switch to the shadow
 * tables of that address space, kept if the vCPU had them.
 * @vcpu:	the vCPU, by its thread, its paging mode (and PAE PDPTEs)
 *		already set
 * @cr3:	the guest's new CR3
 *
 * The caller points GUEST_CR3 at vtx_shadow_root_pa() and flushes the
 * VPID (vtx_shadow_reclaim()): the tables of a kept address space are
 * what the guest's tables say now (every guest table they mirror is
 * write-protected), those of the one left may still be cached.
 */
void vtx_shadow_load_cr3(struct vtx_vcpu *vcpu, unsigned long cr3)
{
	struct vtx_mmu *mmu = &vcpu->vm->mmu;
	struct spt_key k;

	make_key(vcpu, cr3, &k);
	spin_lock(&mmu->lock);
	ctx_select(mmu, vcpu_spt(vcpu), &k);
	spin_unlock(&mmu->lock);
}

/**
 * vtx_shadow_reset() - drop every shadow translation of the vCPU.
 * @vcpu:	the vCPU, by its thread
 *
 * The table pages wait for vtx_shadow_reclaim() or a VM-wide flush.
 */
void vtx_shadow_reset(struct vtx_vcpu *vcpu)
{
	struct vtx_mmu *mmu = &vcpu->vm->mmu;

	spin_lock(&mmu->lock);
	vcpu_reset(mmu, vcpu_spt(vcpu));
	spin_unlock(&mmu->lock);
}

/**
 * vtx_shadow_invlpg() - the vCPU invalidates one page (INVLPG, INVPCID of
 * an individual address).
 * @vcpu:	the vCPU, by its thread
 * @gva:	a linear address in the page
 *
 * The shadow tables of an address space whose guest tables are all
 * write-protected are what those tables say now: nothing of them goes,
 * as under KVM.  An address space with a table that is not
 * write-protected (ctx_unprotect()) is emptied.  The caller flushes the
 * page from its VPID's translations, all of them when this returns true:
 * the processor holds a guest large page, which vtx maps with 4 KiB
 * leaves (marked SPT_HAS_2M or _1G above them), as so many TLB entries.
 *
 * Return: true when the whole VPID is to be flushed.
 */
bool vtx_shadow_invlpg(struct vtx_vcpu *vcpu, u64 gva)
{
	struct vtx_mmu *mmu = &vcpu->vm->mmu;
	struct spt_ctx *c = vcpu_spt(vcpu)->cur;
	u64 e, vfn = gva >> PAGE_SHIFT;
	struct spt_page *sp;
	bool all = false;
	int l;

	spin_lock(&mmu->lock);
	if (c->unprotected) {
		ctx_reset(mmu, c);
		all = true;
		goto out;
	}
	sp = c->root;
	for (l = SPT_LEVELS; l > 1; l--) {
		e = sp->spt[spt_index(vfn, l)];
		if (!(e & _PAGE_PRESENT))
			break;
		if (e & (SPT_HAS_2M | SPT_HAS_1G)) {
			all = true;
			break;
		}
		sp = sp_of_entry(e);
	}
out:
	spin_unlock(&mmu->lock);
	return all;
}

/**
 * vtx_shadow_reclaim() - the vCPU's translations go: @flush drops what its
 * VPID cached.
 * @vcpu:	the loaded vCPU, by its thread
 * @flush:	the backend's flush of this vCPU's translations on this CPU
 *
 * Zapped tables are not freed here: other vCPUs may have walked them (a
 * shared table, or one below it), so they wait for the VM-wide flush
 * (vtx_shadow_page_fault() asks for one at SPT_RECLAIM_ZOMBIES of them).
 */
void vtx_shadow_reclaim(struct vtx_vcpu *vcpu, void (*flush)(struct vtx_vcpu *))
{
	flush(vcpu);
}

/*
 * The access of a #PF error code as the walker checks it (VTX_ACC_*): a
 * supervisor access at CPL 3 is an implicit one (descriptor tables).
 */
static u32 walk_access(struct vtx_vcpu *vcpu, u32 ec)
{
	u32 access = 0;

	if (ec & X86_PF_WRITE)
		access |= VTX_ACC_WRITE;
	if (ec & X86_PF_INSTR)
		access |= VTX_ACC_FETCH;
	if (!(ec & X86_PF_USER) && vtx_cpl(vcpu) == 3)
		access |= VTX_ACC_IMPLICIT;
	return access;
}

/*
 * Protected mode without paging: linear addresses (32 bits) are physical
 * ones, writable, user, executable; a "walk" whose leaf is dirty.
 */
static void identity_walk(struct vtx_guest_walk *w, u64 gva)
{
	memset(w, 0, sizeof(*w));
	w->gpa = (u32)gva;
	w->top = 1;
	w->leaf = 1;
	w->pte[1] = _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_DIRTY;
	w->allowed = _PAGE_RW | _PAGE_USER;
}

/*
 * What the shadow table of @level on @gva's path mirrors, after walk @w:
 * the guest table of that level (none above a PAE or 32-bit walk's top,
 * or without paging), or below a guest large page the page (its first
 * frame, SPT_DIRECT).
 */
static u64 want_gfn(const struct vtx_guest_walk *w, u64 gva, int level,
		    bool paging)
{
	u64 size;

	if (!paging)
		return SPT_NO_GFN;
	if (level >= w->leaf)
		return level <= w->top ? w->pte_gpa[level] >> PAGE_SHIFT :
					 SPT_NO_GFN;
	if (w->leaf == 3)
		size = PUD_SIZE;
	else
		size = w->wide ? PMD_SIZE : 2 * PMD_SIZE;
	return ((w->gpa - (gva & (size - 1))) >> PAGE_SHIFT) | SPT_DIRECT;
}

/*
 * The VM's bound on shadow tables from its memory size (KVM's default);
 * in the fault's srcu_read_lock(&vm->srcu) section.
 */
static unsigned long shadow_bound(struct vtx_vm *vm)
{
	struct vtx_memslots *slots = vtx_memslots(vm, 0);
	unsigned long i, pages = 0;

	for_each_set_bit(i, &slots->active, VTX_MAX_MEMSLOTS)
		pages += slots->slots[i].npages;
	return max_t(unsigned long, SPT_MIN_PAGES,
		     pages / 1000 * SPT_PAGES_PERMILLE);
}

/*
 * Room for a fault's tables under the bound @bound: zap the least
 * recently used tables (of any vCPU; never a root, which is no table of
 * the LRU).  Return: whether some were zapped.  mmu->lock.
 */
static bool shadow_reclaim_lru(struct vtx_mmu *mmu, unsigned long bound)
{
	struct vtx_shadow *sh = mmu->shadow;
	bool zapped = false;

	sh->max_pages = bound;
	while (sh->nr_pages + SPT_LEVELS > sh->max_pages &&
	       !list_empty(&sh->lru)) {
		sp_zap(mmu, list_first_entry(&sh->lru, struct spt_page, lru));
		zapped = true;
	}
	return zapped;
}

/* A new table, from @v's caches. */
static struct spt_page *take_sp(struct vtx_mmu *mmu, struct spt_vcpu *v,
				struct vtx_mmu_cache *cache)
{
	struct spt_page *sp;
	u64 *table;

	if (WARN_ON_ONCE(!v->nr_cache))
		return NULL;
	table = vtx_mmu_cache_take(cache);
	if (!table)
		return NULL;
	sp = v->cache[--v->nr_cache];
	sp->spt = table;
	set_page_private(virt_to_page(table), (unsigned long)sp);
	list_add_tail(&sp->lru, &mmu->shadow->lru);
	mmu->nr_table_pages++;
	mmu->shadow->nr_pages++;
	WRITE_ONCE(mmu->nr_shadow_pages, mmu->shadow->nr_pages);
	return sp;
}

/*
 * The role of the table of @level on @gva's path in context @c after
 * walk @w: the context's, with what the guest entries above that level
 * allow and, under 32-bit paging, the quadrant (which 2 MiB of a guest
 * page table's 4 MiB, which GiB of a page directory's 4).
 */
static u32 table_role(const struct spt_ctx *c, const struct vtx_guest_walk *w,
		      u64 gva, int level, bool paging)
{
	u64 allowed = _PAGE_RW | _PAGE_USER, nx = 0;
	u32 role = c->key.role;
	int l;

	if (!paging)
		return role;
	for (l = w->top; l > level && l >= w->leaf; l--) {
		allowed &= w->pte[l];
		nx |= w->pte[l] & _PAGE_NX;
	}
	if (allowed & _PAGE_RW)
		role |= SPT_ROLE_ACC_W;
	if (allowed & _PAGE_USER)
		role |= SPT_ROLE_ACC_U;
	if (nx && (role & SPT_ROLE_NXE))
		role |= SPT_ROLE_ACC_NX;
	if ((role & SPT_ROLE_MODE) == SPT_MODE_32 && level <= 2)
		role |= ((gva >> (PAGE_SHIFT + SPT_LEVEL_SHIFT * level)) &
			 (BIT(level) - 1)) << SPT_ROLE_QUADRANT_SHIFT;
	return role;
}

/*
 * A shared table of key (@gfn, @level, @role) that still write-protects
 * its guest table (KVM's kvm_mmu_find_shadow_page()).  mmu->lock.
 */
static struct spt_page *sp_find(struct vtx_shadow *sh, u64 gfn, int level,
				u32 role)
{
	struct spt_page *sp;

	hlist_for_each_entry(sp, gfn_head(sh, gfn), hash_link)
		if (sp->gfn == gfn && sp->level == level && sp->role == role &&
		    sp->shared && sp->tracked)
			return sp;
	return NULL;
}

/**
 * struct spt_links - the entries a fault's spt_path() linked, undone
 * (spt_unlink_new()) when the guest's walk changed meanwhile: a shared
 * table must not keep an entry made from a guest entry that is no more.
 * @parent:	the table of each
 * @index:	the entry
 * @n:		how many
 */
struct spt_links {
	struct spt_page *parent[SPT_LEVELS];
	unsigned int index[SPT_LEVELS];
	int n;
};

/* Unlink @links' entries, the deepest first.  mmu->lock. */
static void spt_unlink_new(struct vtx_mmu *mmu, struct spt_links *links)
{
	while (links->n--)
		sp_unlink(mmu, links->parent[links->n],
			  links->index[links->n]);
}

/*
 * The level-1 table of @gva's path in the vCPU's current context, as walk
 * @w says: each table mirrors the guest table of its level.  A missing
 * one is the shared table of its key if there is one (in any vCPU's
 * address spaces, or none), else a new one from @cache, which
 * write-protects its guest table (counted in @wp) and is shared if its
 * context is protected; the entries linked are recorded in @links.  An
 * entry to a table of another key (a guest entry changed without a fault:
 * only in an unprotected context) is unlinked first.  A guest large page
 * marks the shadow PDE or PDPTE above its leaves.  mmu->lock.
 */
static struct spt_page *spt_path(struct vtx_mmu *mmu, struct spt_vcpu *v,
				 struct vtx_mmu_cache *cache, u64 gva,
				 const struct vtx_guest_walk *w, bool paging,
				 unsigned long *wp, struct spt_links *links)
{
	struct spt_ctx *c = v->cur;
	struct spt_page *sp = c->root, *child;
	u64 e, want, vfn = gva >> PAGE_SHIFT;
	bool shared;
	unsigned int i;
	u32 role;
	int l;

	if (!(sp->gfn & SPT_DIRECT) && !sp->tracked && !c->unprotected)
		*wp += sp_track(mmu, sp);
	sp->flood = 0;
	for (l = SPT_LEVELS; l > 1; l--) {
		i = spt_index(vfn, l);
		want = want_gfn(w, gva, l - 1, paging);
		role = table_role(c, w, gva, l - 1, paging);
		e = sp->spt[i];
		if ((e & _PAGE_PRESENT) && (sp_of_entry(e)->gfn != want ||
					    sp_of_entry(e)->role != role)) {
			sp_unlink(mmu, sp, i);
			e = 0;
		}
		if (!(e & _PAGE_PRESENT)) {
			/* SPT_NO_GFN has the SPT_DIRECT bit */
			shared = !(want & SPT_DIRECT) && !c->unprotected;
			child = shared ? sp_find(mmu->shadow, want, l - 1, role) :
					 NULL;
			if (!child) {
				child = take_sp(mmu, v, cache);
				if (!child)
					return NULL;
				child->level = l - 1;
				child->gfn = want;
				child->role = role;
				child->shared = shared;
				if (sp == c->root && !i &&
				    (role & SPT_ROLE_MODE) != SPT_MODE_64)
					child->pae_of = c;
				if (shared)
					*wp += sp_track(mmu, child);
			}
			sp_link(sp, i, child);
			links->parent[links->n] = sp;
			links->index[links->n++] = i;
			e = sp->spt[i];
		}
		list_move_tail(&sp_of_entry(e)->lru, &mmu->shadow->lru);
		if (l == w->leaf && !(e & (SPT_HAS_2M | SPT_HAS_1G)))
			set_table_entry(sp, i,
					e | (l == 2 ? SPT_HAS_2M : SPT_HAS_1G));
		sp = sp_of_entry(e);
		sp->flood = 0;
	}
	return sp;
}

/*
 * Are the guest's entries still those walk @w read?  Under mmu->lock,
 * after the new tables write-protected their guest tables and every CPU
 * was flushed: a guest write since the walk (before the protection, or
 * one that zapped the tables since) would otherwise leave a leaf made
 * from an old entry (KVM's gpte_changed()).  The reads cannot fault; one
 * that would counts as a change (the fault is retried).  An accessed or
 * dirty bit another walk set since does not count; one the guest cleared
 * does (a leaf made writable from a dirty bit the guest just cleared
 * would keep the page from ever being dirty again), except where the walk
 * could not store it (w->ad_unstored: not in writable RAM).
 */
static bool walk_unchanged(struct vtx_vcpu *vcpu,
			   const struct vtx_guest_walk *w)
{
	const u64 ad = _PAGE_ACCESSED | _PAGE_DIRTY;
	int l, as = vtx_vcpu_as(vcpu);

	/* pairs with vtx_shadow_track_write()'s: hashed, then the entries read */
	smp_mb();
	for (l = w->leaf; l <= w->top; l++) {
		u64 gpa = w->pte_gpa[l], now = 0;
		struct vtx_memslot *slot;
		unsigned long hva;
		unsigned long left;

		slot = vtx_find_slot(vcpu->vm, as, gpa >> PAGE_SHIFT);
		if (!slot)
			return false;
		hva = slot->userspace_addr +
		      (gpa - (slot->base_gfn << PAGE_SHIFT));
		pagefault_disable();
		left = __copy_from_user_inatomic(&now, (void __user *)hva,
						 w->wide ? 8 : 4);
		pagefault_enable();
		if (left || ((now ^ w->pte[l]) & ~ad))
			return false;
		if (!(w->ad_unstored & BIT(l)) && (w->pte[l] & ~now & ad))
			return false;
	}
	return true;
}

/*
 * The VM's zombies, once SPT_RECLAIM_ZOMBIES, are freed after a flush of
 * the CPUs its vCPUs are loaded on (@f->flush_cpus: a vCPU loaded
 * elsewhere later flushes its VPID there first).
 */
static void shadow_free_zombies(struct vtx_mmu *mmu,
				struct vtx_shadow_fault *f)
{
	struct vtx_shadow *sh = mmu->shadow;
	LIST_HEAD(dead);

	if (READ_ONCE(sh->nr_zombies) < SPT_RECLAIM_ZOMBIES)
		return;
	spin_lock(&mmu->lock);
	take_zombies(mmu, &dead);
	f->flush_cpus(mmu);
	sh->zapped_rw = false;
	spin_unlock(&mmu->lock);
	free_sp_list(&dead);
}

/**
 * vtx_shadow_page_fault() - a #PF exit: the guest's own fault, or a
 * missing or too narrow shadow leaf.
 * @vcpu:	the vCPU, by its thread, in an srcu_read_lock(&vm->srcu)
 *		section (kept for the MMIO emulation that may follow)
 * @f:		the fault
 *
 * A write that the guest's tables allow to a guest table that shadow
 * tables mirror (write-protected) is VTX_SHADOW_EMULATE: the backend
 * emulates the instruction (vtx_emulate_table_write()), whose write tells
 * vtx_shadow_track_write().  With @f->no_emulate (the emulator refused
 * it) those tables are zapped in every vCPU and the leaf made writable:
 * KVM's unprotect-and-retry.
 *
 * Return: what the backend does next (enum vtx_shadow_result).
 */
enum vtx_shadow_result vtx_shadow_page_fault(struct vtx_vcpu *vcpu,
					     struct vtx_shadow_fault *f)
{
	struct vtx_mmu *mmu = &vcpu->vm->mmu;
	struct vtx_shadow *sh = mmu->shadow;
	struct spt_vcpu *v = vcpu_spt(vcpu);
	u32 hw_ec = f->error_code, ec;
	bool user = hw_ec & X86_PF_USER, writable, w_user, w_writable;
	bool paging = vcpu->cr0 & X86_CR0_PG, unprotect = false;
	unsigned long wp = 0, bound = 0;
	struct spt_links links = { .n = 0 };
	struct vtx_guest_walk w;
	struct spt_page *table;
	struct spt_key key;
	u64 *pep, leaf, pe, gfn;
	int as = vtx_vcpu_as(vcpu), r;
	unsigned int i;

	f->write = hw_ec & X86_PF_WRITE;
	f->flush_local = false;
	f->load_root = false;
	v->faults++;
	if (hw_ec & X86_PF_RSVD) {
		/*
		 * never from vtx's leaves; drop them all (a shared table
		 * would keep a bad one) and start again
		 */
		spin_lock(&mmu->lock);
		reset_all(mmu);
		spin_unlock(&mmu->lock);
		f->flush_local = true;
		return VTX_SHADOW_RETRY;
	}
	/*
	 * The walker's checks and A/D bits (walk.c); a table outside RAM is
	 * not present, as KVM's walker has it.  Protected mode without
	 * paging: an identity map that allows everything.
	 */
	if (!paging) {
		identity_walk(&w, f->gva);
	} else if (__vtx_gva_walk(vcpu, f->gva, walk_access(vcpu, hw_ec), &w,
				  &ec)) {
		f->error_code = ec;
		return VTX_SHADOW_GUEST_PF;
	}
	gfn = w.gpa >> PAGE_SHIFT;
	w_user = w.allowed & _PAGE_USER;
	w_writable = w.allowed & _PAGE_RW;
	r = vtx_mmu_page_fault(vcpu, w.gpa, f->write);
	if (r == -ENOENT || r == -EROFS) {
		f->gpa = w.gpa;
		return VTX_SHADOW_MMIO;
	}
	if (r == -ENOMEM)
		return VTX_SHADOW_ENOMEM;
	if (r)
		return VTX_SHADOW_EFAULT;
	if (vtx_mmu_topup(vcpu) || sp_topup(v))
		return VTX_SHADOW_ENOMEM;
	shadow_free_zombies(mmu, f);
	make_key(vcpu, vtx_get_cr3(vcpu), &key);
	/* racy: the check is made again under the lock */
	if (READ_ONCE(sh->nr_pages) + SPT_LEVELS > READ_ONCE(sh->max_pages))
		bound = shadow_bound(vcpu->vm);

	/* A supervisor write with CR0.WP clear may write a read-only page. */
	writable = w_writable ||
		   (f->write && !user && !(vcpu->cr0 & X86_CR0_WP));
	spin_lock(&mmu->lock);
	pep = phys_entry(mmu, as, NULL, gfn);
	pe = pep ? *pep : 0;
	if (!(pe & PHYS_PRESENT)) {
		/* an invalidation came in between */
		spin_unlock(&mmu->lock);
		return VTX_SHADOW_RETRY;
	}
	if (!key_eq(&v->cur->key, &key)) {
		/* paging state changed without a CR3 load: its own context */
		ctx_select(mmu, v, &key);
		f->flush_local = true;
		f->load_root = true;
	}
	if (bound && shadow_reclaim_lru(mmu, bound))
		f->flush_local = true;
	if (f->write && writable && gfn_tracked(sh, gfn) && !f->no_emulate) {
		spin_unlock(&mmu->lock);
		f->gpa = w.gpa;
		return VTX_SHADOW_EMULATE;
	}
	if (f->write && writable && gfn_tracked(sh, gfn)) {
		/*
		 * A write to a guest table: unprotect it, and retry.  The
		 * same write unprotecting the same table twice in a row: the
		 * path to the instruction (or to the other half of its
		 * access) goes through that table and protected it again
		 * (without VPIDs every entry flushes the TLB, so the retry
		 * never gets through): this address space stays unprotected
		 * until its next reset (INVLPG, CR3 load), as KVM stops
		 * retrying and emulates.
		 */
		zap_gfn(mmu, gfn);
		unprotect = true;
		if (v->unprotect_gfn == gfn && v->unprotect_gva == f->gva &&
		    !v->cur->unprotected) {
			ctx_unprotect(mmu, v->cur);
			f->flush_local = true;
		}
		v->unprotect_gfn = gfn;
		v->unprotect_gva = f->gva;
	}
	table = spt_path(mmu, v, &vcpu->mmu_cache, f->gva, &w, paging, &wp,
			 &links);
	if (wp) {
		/*
		 * Leaves that lost W may be cached writable by any vCPU,
		 * and so may zapped ones (sp_zap_children()): flush them
		 * all before the walk is checked.  IPIs under the spinlock:
		 * a CPU that waits for it takes them.
		 */
		f->flush_cpus(mmu);
		sh->zapped_rw = false;
	}
	if (!table || (paging && !walk_unchanged(vcpu, &w))) {
		spt_unlink_new(mmu, &links);
		spin_unlock(&mmu->lock);
		return VTX_SHADOW_RETRY;
	}
	if (unprotect && gfn_tracked(sh, gfn)) {
		/*
		 * The path to @gva goes through guest table @gfn itself,
		 * which the path's tables protect again: the context goes
		 * unprotected (its tables its own, @gfn's not protected),
		 * and the retry's fault makes the leaf writable.
		 */
		zap_gfn(mmu, gfn);
		ctx_unprotect(mmu, v->cur);
		f->flush_local = true;
		spin_unlock(&mmu->lock);
		return VTX_SHADOW_RETRY;
	}
	leaf = (pe & SPT_ADDR_MASK) | _PAGE_PRESENT | _PAGE_ACCESSED;
	if (w_user && (w_writable || !writable))
		leaf |= _PAGE_USER;
	/*
	 * Execute-disable as the guest's walk says; and on the leaf of a
	 * CR0.WP=0 write, which drops U/S, with SMEP: a supervisor fetch
	 * there faults again and gets the user leaf back.  The processor
	 * always runs with EFER.NXE under shadow paging.
	 */
	if (w.nx || (!w_writable && writable && (vcpu->cr4 & X86_CR4_SMEP)))
		leaf |= _PAGE_NX;
	if (writable && (w.pte[w.leaf] & _PAGE_DIRTY) &&
	    (pe & PHYS_WRITABLE) && !gfn_tracked(sh, gfn))
		leaf |= _PAGE_RW | _PAGE_DIRTY;
	i = spt_index(f->gva >> PAGE_SHIFT, 1);
	if ((hw_ec & X86_PF_PROT) && table->spt[i] == leaf && !unprotect &&
	    !(f->write && !(leaf & _PAGE_RW))) {
		/*
		 * The leaf allows what the guest's tables allow and the
		 * processor still refused.  The first time, a stale TLB
		 * entry of this CPU (another vCPU made this shared leaf
		 * writable since; the #PF dropped it): retried, KVM's
		 * spurious fault.  The same fault again at once: SMAP or
		 * protection keys, the guest's own fault.  Never a write the
		 * walk allowed to a read-only leaf: the frame is not
		 * writable in the tree because dirty logging or an
		 * invalidation write-protected it again after
		 * vtx_mmu_page_fault() (which then returns 0 without
		 * mapping): the guest faults again, as it would with EPT.
		 */
		if (v->spurious_fault != v->faults - 1 ||
		    v->spurious_gva != f->gva || v->spurious_ec != hw_ec) {
			v->spurious_fault = v->faults;
			v->spurious_gva = f->gva;
			v->spurious_ec = hw_ec;
			spin_unlock(&mmu->lock);
			f->flush_local = true;
			return VTX_SHADOW_RETRY;
		}
		spin_unlock(&mmu->lock);
		f->error_code = hw_ec;
		return VTX_SHADOW_GUEST_PF;
	}
	set_leaf(sh, table, i, leaf);
	spin_unlock(&mmu->lock);
	return VTX_SHADOW_RETRY;
}
