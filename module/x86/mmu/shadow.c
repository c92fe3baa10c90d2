// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - shadow page tables, milestone 1: a per-vCPU virtual TLB.
 *
 * Without EPT the processor translates guest-linear addresses with tables
 * vtx builds: GUEST_CR3 holds the root of the vCPU's shadow tables, never
 * the guest's CR3 (which vtx keeps, intercepting MOV to and from CR3).
 * A shadow leaf maps one 4 KiB guest-linear page to the host page that
 * backs the guest frame the guest's own tables give it, with the
 * permissions of the guest's walk; the shadow tables above the leaves
 * allow everything.  They start empty: every first access faults (#PF is
 * intercepted), the fault walks the guest's tables with the walker of
 * x86/walk.c (which sets their accessed and dirty bits as the processor
 * would), pins the frame through
 * the generic MMU (mmu.c) and installs the leaf.
 *
 * The shadow tables hold nothing a TLB may not hold, and they are dropped
 * whenever the architecture lets a TLB entry go stale: a MOV to CR3,
 * INVPCID of a context, a change of CR0, CR4 or EFER paging bits,
 * KVM_SET_SREGS; INVLPG drops one page's leaves (vtx_shadow_invlpg()).  So a
 * guest that follows the architecture's TLB rules (invalidate after
 * changing a present entry) sees its changes; a not-present entry made
 * present faults here and is found.  Write-protecting the guest's tables
 * (so that the shadow tables could outlive a CR3 switch) is milestone 2.
 *
 * Guest-physical memory: the format's tables (mmu->roots, one per
 * address space) are a radix tree of guest frames to pinned host pages,
 * one reference each, exactly the state the EPT format keeps (so the
 * generic code's invariants hold unchanged: dirty logging, the MMU
 * notifier, memslot removal).  A shadow leaf may only map a host page that
 * this tree maps, with write access only if the tree's entry has it; any
 * change that takes a frame or write access away from the tree resets
 * every vCPU's shadow tables before the generic code flushes.
 *
 * Table pages of a reset are kept on the vCPU's zombie list until a flush
 * made sure no processor caches a translation through them: the VM-wide
 * flush (vtx_shadow_flush(), with the backend's IPIs) or the vCPU's own
 * flush of its VPID (vtx_shadow_reclaim(): its VPID's translations exist
 * only on CPUs it ran on, and loading the vCPU on another CPU flushes
 * them there).
 *
 * Paging modes: the shadow tables are 4-level ones whatever the guest's
 * paging (4-level, PAE, 32-bit, or none in protected mode: an identity
 * map).  Outside IA-32e mode the processor runs PAE paging (CR4.PAE is
 * forced, vmcs.c) from the vCPU's PAE root: four PDPTEs, below 4 GiB,
 * that mirror the first four entries of the level-3 table under the
 * 4-level root's entry 0 (a 32-bit linear address goes no further), so
 * both roots reach the same tables.
 *
 * Locking: everything here changes under mmu->lock.
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/io.h>
#include <linux/mm.h>
#include <linux/slab.h>
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

/**
 * struct vtx_shadow_ctx - one vCPU's shadow tables.
 * @root:	the level-4 table (GUEST_CR3 in IA-32e mode) [c], freed
 *		with the VM
 * @pae_root:	outside IA-32e mode GUEST_CR3: PDPTEs mirroring @root's
 *		first four level-3 entries; a page below 4 GiB [c]
 * @tables:	table pages below it in use (page->lru)
 * @zombies:	table pages of earlier resets, freed after a flush
 * @nr_tables:	pages on @tables
 * @nr_zombies:	pages on @zombies
 */
struct vtx_shadow_ctx {
	u64 *root;
	u64 *pae_root;
	struct list_head tables;
	struct list_head zombies;
	unsigned long nr_tables;
	unsigned long nr_zombies;
};

/**
 * struct vtx_shadow - a VM's shadow state (mmu->shadow).
 * @ctx:	each vCPU's tables, by vCPU id, set once [m]
 */
struct vtx_shadow {
	struct vtx_shadow_ctx *ctx[VTX_MAX_VCPUS];
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

static void free_page_list(struct list_head *list)
{
	struct page *page, *tmp;

	list_for_each_entry_safe(page, tmp, list, lru) {
		list_del(&page->lru);
		free_table_page(page_address(page));
	}
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

	mmu->shadow = kzalloc(sizeof(*mmu->shadow), GFP_KERNEL_ACCOUNT);
	if (!mmu->shadow)
		return -ENOMEM;
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
	kfree(mmu->shadow);
	mmu->shadow = NULL;
	return -ENOMEM;
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

/* Detach @c's tables: nothing maps any more once the TLB is flushed. */
static void ctx_reset(struct vtx_shadow_ctx *c)
{
	unsigned int i;

	for (i = 0; i < SPT_ENTRIES; i++)
		if (c->root[i])
			WRITE_ONCE(c->root[i], 0);
	for (i = 0; i < SPT_PAE_ROOTS; i++)
		WRITE_ONCE(c->pae_root[i], 0);
	list_splice_init(&c->tables, &c->zombies);
	c->nr_zombies += c->nr_tables;
	c->nr_tables = 0;
}

static void reset_all(struct vtx_mmu *mmu)
{
	int i;

	for (i = 0; i < VTX_MAX_VCPUS; i++)
		if (mmu->shadow->ctx[i])
			ctx_reset(mmu->shadow->ctx[i]);
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
		/* Pinned read-only before: shadow leaves may map that page. */
		old = pfn_to_page((*pte & SPT_ADDR_MASK) >> PAGE_SHIFT);
		*pte = new;
		reset_all(mmu);
		*flush = true;
		return old;
	}
	return page;
}

static unsigned long phys_zap_table(struct vtx_mmu *mmu, u64 *table,
				    int level, u64 base, u64 start, u64 end,
				    enum vtx_mmu_zap mode)
{
	u64 span = 1ull << (SPT_LEVEL_SHIFT * (level - 1));
	unsigned long n = 0;
	unsigned int i;

	for (i = 0; i < SPT_ENTRIES; i++) {
		u64 first = base + i * span, *entry = &table[i];

		if (first + span <= start || first >= end || !*entry)
			continue;
		if (level > 1) {
			n += phys_zap_table(mmu, spt_table(*entry), level - 1,
					    first, start, end, mode);
			continue;
		}
		switch (mode) {
		case VTX_ZAP_CLEAR:
			if (*entry & PHYS_PRESENT) {
				*entry &= ~(PHYS_PRESENT | PHYS_WRITABLE);
				n++;
			}
			break;
		case VTX_ZAP_WRPROT:
			if (*entry & PHYS_WRITABLE) {
				*entry &= ~PHYS_WRITABLE;
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

/*
 * struct vtx_mmu_format, zap.  A shadow leaf mirrors a tree entry: when
 * one is cleared or loses write access, every vCPU's shadow tables go
 * (the generic code flushes before it releases anything).
 */
unsigned long vtx_shadow_zap(struct vtx_mmu *mmu, int as, u64 start, u64 end,
			     enum vtx_mmu_zap mode)
{
	unsigned long n;

	n = phys_zap_table(mmu, mmu->roots[as], SPT_LEVELS, 0, start, end,
			   mode);
	if (n && mode != VTX_ZAP_RELEASE)
		reset_all(mmu);
	return n;
}

/* Every leaf is released and no vCPU runs: free all tables. */
void vtx_shadow_free_tables(struct vtx_mmu *mmu)
{
	int as, i;

	for (as = 0; as < VTX_MMU_ROOTS; as++) {
		phys_free_table(mmu->roots[as], SPT_LEVELS);
		mmu->roots[as] = NULL;
	}
	for (i = 0; i < VTX_MAX_VCPUS; i++) {
		struct vtx_shadow_ctx *c = mmu->shadow->ctx[i];

		if (!c)
			continue;
		free_page_list(&c->tables);
		free_page_list(&c->zombies);
		free_table_page(c->root);
		free_table_page(c->pae_root);
		kfree(c);
	}
	kfree(mmu->shadow);
	mmu->shadow = NULL;
	mmu->nr_table_pages = 0;
}

/* Take every vCPU's zombies; free them after @flush_cpus. */
void vtx_shadow_flush(struct vtx_mmu *mmu, void (*flush_cpus)(struct vtx_mmu *))
{
	LIST_HEAD(dead);
	int i;

	spin_lock(&mmu->lock);
	for (i = 0; mmu->shadow && i < VTX_MAX_VCPUS; i++) {
		struct vtx_shadow_ctx *c = mmu->shadow->ctx[i];

		if (!c)
			continue;
		list_splice_init(&c->zombies, &dead);
		mmu->nr_table_pages -= c->nr_zombies;
		c->nr_zombies = 0;
	}
	spin_unlock(&mmu->lock);
	flush_cpus(mmu);
	free_page_list(&dead);
}

static struct vtx_shadow_ctx *vcpu_ctx(struct vtx_vcpu *vcpu)
{
	return vcpu->vm->mmu.shadow->ctx[vcpu->id];
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
	struct vtx_shadow_ctx *c;

	if (vcpu->id >= VTX_MAX_VCPUS)
		return -EINVAL;
	c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);
	if (!c)
		return -ENOMEM;
	c->root = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!c->root) {
		kfree(c);
		return -ENOMEM;
	}
	vtx_alloc_inc(VTX_ALLOC_EPT);
	/* CR3 outside IA-32e mode: 32 bits */
	c->pae_root = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT | GFP_DMA32);
	if (!c->pae_root) {
		free_table_page(c->root);
		kfree(c);
		return -ENOMEM;
	}
	vtx_alloc_inc(VTX_ALLOC_EPT);
	INIT_LIST_HEAD(&c->tables);
	INIT_LIST_HEAD(&c->zombies);
	spin_lock(&mmu->lock);
	if (mmu->shadow->ctx[vcpu->id]) {
		/* left by a creation of this id that failed later: reuse it */
		ctx_reset(mmu->shadow->ctx[vcpu->id]);
		spin_unlock(&mmu->lock);
		free_table_page(c->root);
		free_table_page(c->pae_root);
		kfree(c);
		return 0;
	}
	mmu->shadow->ctx[vcpu->id] = c;
	mmu->nr_table_pages += 2;
	spin_unlock(&mmu->lock);
	return 0;
}

/**
 * vtx_shadow_root_pa() - the vCPU's GUEST_CR3: the physical address of its
 * shadow root.
 * @vcpu:	the vCPU
 * @lm:		the guest is in IA-32e mode (4-level paging), else the
 *		processor runs PAE paging from the PAE root
 *
 * Return: the address, below 4 GiB for the PAE root.
 */
u64 vtx_shadow_root_pa(struct vtx_vcpu *vcpu, bool lm)
{
	struct vtx_shadow_ctx *c = vcpu_ctx(vcpu);

	return __pa(lm ? c->root : c->pae_root);
}

/*
 * The level-3 entry @entry, of linear address @vfn's path, changed: keep
 * the PAE root's copy (PDPTEs have P and the address only).  mmu->lock.
 */
static void pae_mirror(struct vtx_shadow_ctx *c, u64 vfn, u64 entry)
{
	unsigned int i = spt_index(vfn, 3);

	if (spt_index(vfn, 4) || i >= SPT_PAE_ROOTS)
		return;
	WRITE_ONCE(c->pae_root[i], (entry & _PAGE_PRESENT) ?
		   (entry & SPT_ADDR_MASK) | _PAGE_PRESENT : 0);
}

/*
 * A PDE marked SPT_HAS_2M (its table holds a guest large page's leaves):
 * empty the table and take the mark off.  mmu->lock.
 */
static void empty_2m_table(u64 *entry)
{
	u64 *table = spt_table(*entry);
	unsigned int i;

	for (i = 0; i < SPT_ENTRIES; i++)
		if (table[i])
			WRITE_ONCE(table[i], 0);
	WRITE_ONCE(*entry, *entry & ~SPT_HAS_2M);
}

/*
 * 32-bit paging: the 4-MByte page of a shadow PDE also covers the other
 * 2 MiB of its pair; empty that one's table too when it holds the page's
 * leaves.
 */
static void invlpg_4m_pair(u64 *pd, unsigned int index)
{
	u64 *entry = &pd[index ^ 1];

	if ((*entry & _PAGE_PRESENT) && (*entry & SPT_HAS_2M))
		empty_2m_table(entry);
}

/**
 * vtx_shadow_reset() - drop the vCPU's shadow translations.
 * @vcpu:	the vCPU, by its thread
 *
 * The table pages wait for vtx_shadow_reclaim() or a VM-wide flush.
 */
void vtx_shadow_reset(struct vtx_vcpu *vcpu)
{
	struct vtx_mmu *mmu = &vcpu->vm->mmu;

	spin_lock(&mmu->lock);
	ctx_reset(vcpu_ctx(vcpu));
	spin_unlock(&mmu->lock);
}

/**
 * vtx_shadow_invlpg() - drop the vCPU's translation of one page (INVLPG,
 * INVPCID of an individual address).
 * @vcpu:	the vCPU, by its thread
 * @gva:	a linear address in the page
 *
 * The shadow leaf of @gva goes; for a guest large page (which the TLB
 * holds as one entry) every leaf of it, whether @gva's own was made or
 * not: the table below a marked PDE is emptied, the tables below a marked
 * PDPTE are detached (and kept until the next reset, like the tables of
 * a reset).  Under 32-bit paging a guest large page is 4 MiB, two
 * shadow PDEs.  The caller then flushes the page from its VPID's
 * translations, all of them for a large page (the processor holds its
 * 4 KiB leaves as so many TLB entries).
 *
 * Return: true when a guest large page's leaves went.
 */
bool vtx_shadow_invlpg(struct vtx_vcpu *vcpu, u64 gva)
{
	struct vtx_mmu *mmu = &vcpu->vm->mmu;
	u64 *table, *entry, vfn = gva >> PAGE_SHIFT;
	bool large = false;
	int l;

	spin_lock(&mmu->lock);
	table = vcpu_ctx(vcpu)->root;
	for (l = SPT_LEVELS; l > 1; l--) {
		entry = &table[spt_index(vfn, l)];
		if (!(*entry & _PAGE_PRESENT))
			goto out;
		if (l == 3 && (*entry & SPT_HAS_1G)) {
			WRITE_ONCE(*entry, 0);
			pae_mirror(vcpu_ctx(vcpu), vfn, 0);
			large = true;
			goto out;
		}
		if (l == 2 && (*entry & SPT_HAS_2M)) {
			if (!(vcpu->cr4 & X86_CR4_PAE))
				invlpg_4m_pair(table, spt_index(vfn, 2));
			empty_2m_table(entry);
			large = true;
			goto out;
		}
		table = spt_table(*entry);
	}
	entry = &table[spt_index(vfn, 1)];
	if (*entry)
		WRITE_ONCE(*entry, 0);
out:
	spin_unlock(&mmu->lock);
	return large;
}

/**
 * vtx_shadow_reclaim() - free the vCPU's detached tables after @flush
 * dropped what the vCPU's VPID cached through them.
 * @vcpu:	the loaded vCPU, by its thread
 * @flush:	the backend's flush of this vCPU's translations on this CPU
 */
void vtx_shadow_reclaim(struct vtx_vcpu *vcpu, void (*flush)(struct vtx_vcpu *))
{
	struct vtx_mmu *mmu = &vcpu->vm->mmu;
	struct vtx_shadow_ctx *c = vcpu_ctx(vcpu);
	LIST_HEAD(dead);

	spin_lock(&mmu->lock);
	list_splice_init(&c->zombies, &dead);
	mmu->nr_table_pages -= c->nr_zombies;
	c->nr_zombies = 0;
	spin_unlock(&mmu->lock);
	flush(vcpu);
	free_page_list(&dead);
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
 * The shadow leaf of @gva in @c, making tables from @cache; the guest
 * maps @gva with a page of @glevel (1, or 2/3 for a large page), which
 * marks the shadow PDE or PDPTE above.
 */
static u64 *spt_entry(struct vtx_mmu *mmu, struct vtx_shadow_ctx *c,
		      struct vtx_mmu_cache *cache, u64 gva, int glevel)
{
	u64 *table = c->root, vfn = gva >> PAGE_SHIFT;
	int l;

	for (l = SPT_LEVELS; l > 1; l--) {
		u64 *entry = &table[spt_index(vfn, l)];

		if (!(*entry & _PAGE_PRESENT)) {
			u64 *page = vtx_mmu_cache_take(cache);

			if (!page)
				return NULL;
			list_add(&virt_to_page(page)->lru, &c->tables);
			c->nr_tables++;
			mmu->nr_table_pages++;
			WRITE_ONCE(*entry, __pa(page) | SPT_TABLE_BITS);
			if (l == 3)
				pae_mirror(c, vfn, *entry);
		}
		if (l == glevel)
			WRITE_ONCE(*entry,
				   *entry | (l == 2 ? SPT_HAS_2M : SPT_HAS_1G));
		table = spt_table(*entry);
	}
	return &table[spt_index(vfn, 1)];
}

/**
 * vtx_shadow_page_fault() - a #PF exit: the guest's own fault, or a
 * missing or too narrow shadow leaf.
 * @vcpu:	the vCPU, by its thread, in an srcu_read_lock(&vm->srcu)
 *		section (kept for the MMIO emulation that may follow)
 * @f:		the fault
 *
 * Return: what the backend does next (enum vtx_shadow_result).
 */
enum vtx_shadow_result vtx_shadow_page_fault(struct vtx_vcpu *vcpu,
					     struct vtx_shadow_fault *f)
{
	struct vtx_mmu *mmu = &vcpu->vm->mmu;
	struct vtx_shadow_ctx *c = vcpu_ctx(vcpu);
	u32 hw_ec = f->error_code, ec;
	bool user = hw_ec & X86_PF_USER, writable, w_user, w_writable;
	struct vtx_guest_walk w;
	u64 *sptep, leaf, pe, gfn;
	int as = vtx_vcpu_as(vcpu), r;

	f->write = hw_ec & X86_PF_WRITE;
	f->flush_local = false;
	if (hw_ec & X86_PF_RSVD) {
		/* never from vtx's leaves; drop them and start again */
		vtx_shadow_reset(vcpu);
		f->flush_local = true;
		return VTX_SHADOW_RETRY;
	}
	/*
	 * The walker's checks and A/D bits (walk.c); a table outside RAM is
	 * not present, as KVM's walker has it.  Protected mode without
	 * paging: an identity map that allows everything.
	 */
	if (!(vcpu->cr0 & X86_CR0_PG)) {
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
	if (vtx_mmu_topup(vcpu))
		return VTX_SHADOW_ENOMEM;

	/* A supervisor write with CR0.WP clear may write a read-only page. */
	writable = w_writable ||
		   (f->write && !user && !(vcpu->cr0 & X86_CR0_WP));
	spin_lock(&mmu->lock);
	sptep = phys_entry(mmu, as, NULL, gfn);
	pe = sptep ? *sptep : 0;
	if (!(pe & PHYS_PRESENT)) {
		/* an invalidation came in between */
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
	    (pe & PHYS_WRITABLE))
		leaf |= _PAGE_RW | _PAGE_DIRTY;
	if (c->nr_tables + c->nr_zombies + SPT_LEVELS > VTX_SHADOW_MAX_TABLES) {
		ctx_reset(c);
		f->flush_local = true;
	}
	sptep = spt_entry(mmu, c, &vcpu->mmu_cache, f->gva, w.leaf);
	if (!sptep) {
		spin_unlock(&mmu->lock);
		return VTX_SHADOW_RETRY;
	}
	if ((hw_ec & X86_PF_PROT) && *sptep == leaf) {
		/*
		 * The leaf allows what the guest's tables allow and the
		 * processor still refused: SMAP or protection keys, the
		 * guest's own fault.
		 */
		spin_unlock(&mmu->lock);
		f->error_code = hw_ec;
		return VTX_SHADOW_GUEST_PF;
	}
	WRITE_ONCE(*sptep, leaf);
	spin_unlock(&mmu->lock);
	return VTX_SHADOW_RETRY;
}
