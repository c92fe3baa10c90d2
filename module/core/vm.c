// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - the VM object: its file descriptor, memslots and vCPU creation.
 *
 * A VM lives while its fd or any of its vCPU fds is open (vm->kref).  The
 * last reference frees the vCPUs, the EPT tables and the pinned guest
 * pages, and drops the VM's hold on VMX.
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <uapi/linux/vtx.h>
#include "x86/x86.h"
#include "x86/irq_routing.h"
#include "x86/irqchip.h"
#include "x86/pit_vm.h"

/* KVM's limit on one slot's size, in pages. */
#define VTX_MEM_MAX_NR_PAGES	((1ul << 31) - 1)
/* KVM_SET_NR_MMU_PAGES: KVM's KVM_MIN_ALLOC_MMU_PAGES. */
#define VTX_MIN_MMU_PAGES	64

/* KVM_SET_TSS_ADDR: three pages below 4 GiB, as KVM checks. */
#define VTX_TSS_MAX_ADDR	((unsigned int)(-3 * PAGE_SIZE))

static DEFINE_IDA(vtx_vm_ida);

/**
 * vtx_find_slot() - the memslot holding guest frame @gfn.
 * @vm:		the VM; in an srcu_read_lock(&vm->srcu) section, or
 *		vm->slots_lock held
 * @as:		the address space (vtx_vcpu_as() for a vCPU's view)
 * @gfn:	guest frame number
 *
 * Return: the slot, valid as long as the read section (or the lock), or
 * NULL if @gfn is not guest RAM.
 */
struct vtx_memslot *vtx_find_slot(struct vtx_vm *vm, int as, u64 gfn)
{
	struct vtx_memslots *slots = vtx_memslots(vm, as);
	struct vtx_memslot *s = &slots->slots[READ_ONCE(slots->last)];
	unsigned long i;

	/* Most lookups hit the slot of the previous one (guest RAM). */
	if (gfn - s->base_gfn < s->npages)
		return s;
	for_each_set_bit(i, &slots->active, VTX_MAX_MEMSLOTS) {
		s = &slots->slots[i];
		if (gfn - s->base_gfn < s->npages) {
			/* A hint: concurrent readers may race on it. */
			WRITE_ONCE(slots->last, i);
			return s;
		}
	}
	return NULL;
}

/*
 * Writable guest RAM at @gpa (a read-only slot counts as a device).  The
 * __ variants here are for a caller already in an srcu_read_lock(&vm->srcu)
 * section, which one section may cover many accesses of (the emulation of
 * an MMIO access, a guest page walk).
 */
bool __vtx_gpa_is_ram(struct vtx_vm *vm, int as, u64 gpa)
{
	struct vtx_memslot *s = vtx_find_slot(vm, as, gpa >> PAGE_SHIFT);

	return s && !(s->flags & KVM_MEM_READONLY);
}

bool vtx_gpa_is_ram(struct vtx_vm *vm, int as, u64 gpa)
{
	bool ram;
	int srcu;

	srcu = srcu_read_lock(&vm->srcu);
	ram = __vtx_gpa_is_ram(vm, as, gpa);
	srcu_read_unlock(&vm->srcu, srcu);
	return ram;
}

/*
 * vtx wrote [@gpa, @gpa + @len) of address space @as, within one page,
 * for the guest: the MMU format's write tracking (the shadow MMU drops
 * the shadow entries that mirror those bytes; KVM's page-track write
 * notifier).  The format's own operation: core/ calls nothing of x86/.
 */
static void guest_written(struct vtx_vm *vm, int as, u64 gpa, size_t len)
{
	const struct vtx_mmu_format *fmt = vm->mmu.fmt;

	if (fmt && fmt->track_write)
		fmt->track_write(&vm->mmu, as, gpa, len);
}

/*
 * Copy between guest-physical memory and a kernel buffer.  The memslots
 * are read under vm->srcu, not slots_lock: the copy may wait on the
 * owner's memory for as long as the owner wants.  The caller is in the
 * read section.
 */
static int guest_phys_copy(struct vtx_vm *vm, int as, u64 gpa, void *buf,
			   size_t len, bool write)
{
	while (len) {
		size_t n = min_t(size_t, len, PAGE_SIZE - offset_in_page(gpa));
		struct vtx_memslot *s = vtx_find_slot(vm, as, gpa >> PAGE_SHIFT);
		void __user *hva;

		if (!s || (write && (s->flags & KVM_MEM_READONLY)))
			return -EFAULT;
		hva = (void __user *)(s->userspace_addr +
				      (gpa - (s->base_gfn << PAGE_SHIFT)));
		if (write ? copy_to_user(hva, buf, n) :
			    copy_from_user(buf, hva, n))
			return -EFAULT;
		/*
		 * What vtx writes for the guest is dirty too (KVM does so).
		 * An atomic bit: KVM_GET_DIRTY_LOG exchanges whole words.
		 */
		if (write && s->dirty_bitmap)
			set_bit((gpa >> PAGE_SHIFT) - s->base_gfn,
				s->dirty_bitmap);
		if (write)
			guest_written(vm, as, gpa, n);
		gpa += n;
		buf += n;
		len -= n;
	}
	return 0;
}

/* guest_phys_copy() in a read section of its own */
static int guest_phys_copy_locked(struct vtx_vm *vm, int as, u64 gpa,
				  void *buf, size_t len, bool write)
{
	int r, srcu;

	srcu = srcu_read_lock(&vm->srcu);
	r = guest_phys_copy(vm, as, gpa, buf, len, write);
	srcu_read_unlock(&vm->srcu, srcu);
	return r;
}

int __vtx_read_guest_phys(struct vtx_vm *vm, int as, u64 gpa, void *buf,
			  size_t len)
{
	return guest_phys_copy(vm, as, gpa, buf, len, false);
}

int __vtx_write_guest_phys(struct vtx_vm *vm, int as, u64 gpa,
			   const void *buf, size_t len)
{
	return guest_phys_copy(vm, as, gpa, (void *)buf, len, true);
}

/**
 * __vtx_read_guest_pte() - read a guest page-table entry from guest RAM.
 * @vm:		the VM; current->mm is vm->mm; in an srcu_read_lock(&vm->srcu)
 *		section
 * @as:		the address space
 * @gpa:	guest-physical address of the entry, aligned to its size
 * @wide:	an 8-byte entry (PAE, 4-level paging), else a 4-byte one
 * @val:	the entry
 *
 * One get_user() of the entry's own size, not a copy: a page walk makes
 * one such read per level at every emulated access.
 *
 * Return: 0, or -EFAULT when @gpa is outside guest RAM.
 */
int __vtx_read_guest_pte(struct vtx_vm *vm, int as, u64 gpa, bool wide,
			 u64 *val)
{
	struct vtx_memslot *s = vtx_find_slot(vm, as, gpa >> PAGE_SHIFT);
	unsigned long hva;
	u32 v32;
	u64 v;

	if (!s)
		return -EFAULT;
	hva = s->userspace_addr + (gpa - (s->base_gfn << PAGE_SHIFT));
	if (wide) {
		if (get_user(v, (u64 __user *)hva))
			return -EFAULT;
	} else {
		if (get_user(v32, (u32 __user *)hva))
			return -EFAULT;
		v = v32;
	}
	*val = v;
	return 0;
}

/* The user address of @len naturally aligned bytes of writable RAM. */
static void __user *guest_word(struct vtx_vm *vm, int as, u64 gpa,
			       unsigned int len, struct vtx_memslot **slot)
{
	struct vtx_memslot *s = vtx_find_slot(vm, as, gpa >> PAGE_SHIFT);
	void __user *hva;

	if (!s || (s->flags & KVM_MEM_READONLY) || !is_power_of_2(len) ||
	    len > sizeof(u64) || (gpa & (len - 1)))
		return NULL;
	hva = (void __user *)(s->userspace_addr +
			      (gpa - (s->base_gfn << PAGE_SHIFT)));
	if (!access_ok(hva, len))
		return NULL;
	*slot = s;
	return hva;
}

/* A write of guest_word()'s bytes is done: dirty, and tracked. */
static void guest_word_written(struct vtx_vm *vm, int as,
			       struct vtx_memslot *s, u64 gpa,
			       unsigned int len)
{
	if (s->dirty_bitmap)
		set_bit((gpa >> PAGE_SHIFT) - s->base_gfn, s->dirty_bitmap);
	guest_written(vm, as, gpa, len);
}

/*
 * Exchange guest_word()'s @len bytes at @gpa for @new if they hold @old,
 * atomically.  Return: 0 when exchanged, 1 when they did not hold @old,
 * -EFAULT when not writable guest RAM or not aligned; *@slot the memslot.
 */
static int guest_cmpxchg(struct vtx_vm *vm, int as, u64 gpa,
			 unsigned int len, u64 old, u64 new,
			 struct vtx_memslot **slot)
{
	void __user *hva = guest_word(vm, as, gpa, len, slot);
	u8 o8 = old;
	u16 o16 = old;
	u32 o32 = old;
	int r;

	if (!hva)
		return -EFAULT;
	switch (len) {
	case 1:
		r = __try_cmpxchg_user((u8 __user *)hva, &o8, (u8)new, efault1);
		break;
	case 2:
		r = __try_cmpxchg_user((u16 __user *)hva, &o16, (u16)new,
				       efault2);
		break;
	case 4:
		r = __try_cmpxchg_user((u32 __user *)hva, &o32, (u32)new,
				       efault4);
		break;
	default:
		r = __try_cmpxchg_user((u64 __user *)hva, &old, new, efault8);
		break;
	}
	return r < 0 ? -EFAULT : r;
}

/**
 * __vtx_cmpxchg_guest_phys() - a locked compare-and-exchange of guest RAM.
 * @vm:		the VM; current->mm is vm->mm; in an srcu_read_lock(&vm->srcu)
 *		section
 * @as:		the address space
 * @gpa:	guest-physical address, aligned to @len
 * @len:	1, 2, 4 or 8 bytes
 * @old:	the value the caller read there
 * @new:	the value to write
 *
 * The write of an emulated locked read-modify-write instruction (and of
 * XCHG, CMPXCHG): atomic against other vCPUs, the guest's own accesses
 * and the walker's accessed and dirty bits (__vtx_update_guest_pte()).
 * The page is dirty and the MMU format is told (guest_written()).
 *
 * Return: 0 when exchanged, 1 when the memory no longer held @old
 * (nothing written: the caller executes the instruction again, as KVM's
 * emulator does), -EFAULT when it is not writable guest RAM or not
 * aligned.
 */
int __vtx_cmpxchg_guest_phys(struct vtx_vm *vm, int as, u64 gpa,
			     unsigned int len, u64 old, u64 new)
{
	struct vtx_memslot *s;
	int r = guest_cmpxchg(vm, as, gpa, len, old, new, &s);

	if (!r)
		guest_word_written(vm, as, s, gpa, len);
	return r;
}

/**
 * __vtx_update_guest_pte() - set bits in a guest page-table entry, atomically.
 * @vm:		the VM; current->mm is vm->mm; in an srcu_read_lock(&vm->srcu)
 *		section
 * @as:		the address space
 * @gpa:	guest-physical address of the entry, aligned to its size
 * @wide:	an 8-byte entry, else a 4-byte one
 * @old:	the value the walk read
 * @bits:	the bits to set (accessed, dirty)
 *
 * The processor sets them with a locked operation; another vCPU may be
 * changing the entry, so it is exchanged only if it still holds @old.
 * The page is dirty for KVM_GET_DIRTY_LOG afterwards; the MMU format is
 * not told (the shadow MMU checks the bits itself, walk_unchanged()).
 *
 * Return: 0 when set, -EAGAIN when the entry changed (walk again), 1 when
 * it is not writable guest RAM (a read-only slot: the bits stay clear).
 */
int __vtx_update_guest_pte(struct vtx_vm *vm, int as, u64 gpa, bool wide,
			   u64 old, u64 bits)
{
	unsigned int len = wide ? sizeof(u64) : sizeof(u32);
	struct vtx_memslot *s;
	int r = guest_cmpxchg(vm, as, gpa, len, old, old | bits, &s);

	if (r < 0)
		return 1;
	if (r)
		return -EAGAIN;
	if (s->dirty_bitmap)
		set_bit((gpa >> PAGE_SHIFT) - s->base_gfn, s->dirty_bitmap);
	return 0;
}

/**
 * __vtx_store_guest_phys() - one store of 1, 2, 4 or 8 aligned bytes of
 * guest RAM.
 * @vm:		the VM; current->mm is vm->mm; in an srcu_read_lock(&vm->srcu)
 *		section
 * @as:		the address space
 * @gpa:	guest-physical address, aligned to @len
 * @len:	1, 2, 4 or 8
 * @val:	the value
 *
 * A single store instruction, as the guest's MOV: never torn, so that a
 * concurrent locked update of the same entry (another vCPU's, the
 * walker's A/D bits) sees the old value or the new one.  The page is
 * dirty and the MMU format is told.
 *
 * Return: 0, or -EFAULT when it is not writable guest RAM or not aligned.
 */
int __vtx_store_guest_phys(struct vtx_vm *vm, int as, u64 gpa,
			   unsigned int len, u64 val)
{
	struct vtx_memslot *s;
	void __user *hva = guest_word(vm, as, gpa, len, &s);
	int r;

	if (!hva)
		return -EFAULT;
	switch (len) {
	case 1:
		r = put_user((u8)val, (u8 __user *)hva);
		break;
	case 2:
		r = put_user((u16)val, (u16 __user *)hva);
		break;
	case 4:
		r = put_user((u32)val, (u32 __user *)hva);
		break;
	default:
		r = put_user(val, (u64 __user *)hva);
		break;
	}
	if (r)
		return -EFAULT;
	guest_word_written(vm, as, s, gpa, len);
	return 0;
}

/**
 * vtx_read_guest_phys() - read guest RAM from the VM owner's context.
 * @vm:		the VM; current->mm is vm->mm
 * @gpa:	guest-physical address
 * @buf:	destination
 * @len:	bytes
 *
 * Return: 0, or -EFAULT if any byte is outside guest RAM.
 */
int vtx_read_guest_phys(struct vtx_vm *vm, u64 gpa, void *buf, size_t len)
{
	return guest_phys_copy_locked(vm, 0, gpa, buf, len, false);
}

int vtx_write_guest_phys(struct vtx_vm *vm, u64 gpa, const void *buf,
			 size_t len)
{
	return guest_phys_copy_locked(vm, 0, gpa, (void *)buf, len, true);
}

/**
 * vtx_vcpu_read_guest_phys() - read guest memory as @vcpu sees it: the
 * memslots of its address space (SMRAM in SMM, vtx_vcpu_as()).
 * @vcpu:	the vCPU, by its thread (vm->mm is current->mm)
 * @gpa:	guest-physical address
 * @buf:	destination
 * @len:	bytes
 *
 * Return: 0, or -EFAULT if any byte is outside the vCPU's guest RAM.
 */
int vtx_vcpu_read_guest_phys(struct vtx_vcpu *vcpu, u64 gpa, void *buf,
			     size_t len)
{
	return guest_phys_copy_locked(vcpu->vm, vtx_vcpu_as(vcpu), gpa, buf,
				      len, false);
}

int vtx_vcpu_write_guest_phys(struct vtx_vcpu *vcpu, u64 gpa,
			      const void *buf, size_t len)
{
	return guest_phys_copy_locked(vcpu->vm, vtx_vcpu_as(vcpu), gpa,
				      (void *)buf, len, true);
}

/*
 * Dirty bitmaps and their snapshots: up to 256 MiB for a slot that needs
 * no memory behind it, so charged to the caller's memory cgroup as KVM
 * does, and counted (vtx_allocs).
 */
static unsigned long *bitmap_alloc_counted(size_t bytes, bool zero)
{
	gfp_t gfp = GFP_KERNEL_ACCOUNT | __GFP_NOWARN;
	unsigned long *b;

	/* A failure is the caller's -ENOMEM, not a kernel warning. */
	b = __vmalloc(bytes, gfp | (zero ? __GFP_ZERO : 0));

	if (b)
		vtx_alloc_inc(VTX_ALLOC_BITMAP);
	return b;
}

static void bitmap_free_counted(unsigned long *b)
{
	if (b)
		vtx_alloc_dec(VTX_ALLOC_BITMAP);
	vfree(b);
}

/* Free a memslot array and, with @bitmaps, the slots' dirty bitmaps. */
static void memslots_free(struct vtx_memslots *slots, bool bitmaps)
{
	unsigned int i;

	if (!slots)
		return;
	if (bitmaps)
		for (i = 0; i < VTX_MAX_MEMSLOTS; i++)
			bitmap_free_counted(slots->slots[i].dirty_bitmap);
	kfree(slots);
}

/* Free the replaced arrays on @vm->retired: no reader can hold them. */
static void memslots_free_retired(struct vtx_vm *vm)
{
	struct vtx_memslots *slots = vm->retired, *next;

	for (; slots; slots = next) {
		next = slots->retired;
		kfree(slots);
	}
	vm->retired = NULL;
}

static void vtx_vm_destroy(struct kref *kref)
{
	struct vtx_vm *vm = container_of(kref, struct vtx_vm, kref);
	unsigned int i;
	int as;

	mutex_lock(&vtx_vms_lock);
	list_del(&vm->list);
	mutex_unlock(&vtx_vms_lock);
	vtx_nl_event(vm, VTX_EVENT_VM_DESTROY, -1, 0);

	/* The PIT's timer and work raise IRQ0 at the vCPUs: it goes first. */
	vtx_pit_vm_destroy(vm);
	for (i = 0; i < vm->nr_vcpus; i++) {
		vtx_mmu_free_vcpu(vm->vcpus[i]);
		vtx_vcpu_free(vm->vcpus[i]);
	}
	vtx_mmu_unregister_notifier(vm);
	vtx_mmu_destroy(vm);
	vtx_ioeventfd_release(vm);
	vtx_coalesced_vm_destroy(vm);
	vtx_irqchip_destroy(vm);
	vtx_irq_routing_vm_destroy(vm);
	vtx_msr_filter_vm_destroy(vm);
	/* No reader is left: no vCPU, no notifier, off the netlink list. */
	for (as = 0; as < VTX_ADDRESS_SPACES; as++)
		memslots_free(rcu_dereference_protected(vm->memslots[as], true),
			      true);
	memslots_free_retired(vm);
	cleanup_srcu_struct(&vm->srcu);
	mmdrop(vm->mm);
	ida_free(&vtx_vm_ida, vm->id);
	kfree(vm);
	vtx_alloc_dec(VTX_ALLOC_VM);
	vtx_x86_ops.disable();
}

void vtx_vm_put(struct vtx_vm *vm)
{
	kref_put(&vm->kref, vtx_vm_destroy);
}

static bool slots_overlap(struct vtx_memslots *slots, unsigned long skip,
			  u64 gfn, u64 npages)
{
	unsigned long i;

	for_each_set_bit(i, &slots->active, VTX_MAX_MEMSLOTS) {
		struct vtx_memslot *s = &slots->slots[i];

		if (i == skip)
			continue;
		if (gfn < s->base_gfn + s->npages && s->base_gfn < gfn + npages)
			return true;
	}
	return false;
}

static size_t dirty_bitmap_bytes(u64 npages)
{
	return ALIGN(npages, BITS_PER_LONG) / BITS_PER_BYTE;
}

/**
 * memslots_publish() - make @new the VM's memslots and retire the old ones.
 * @vm:		the VM; vm->slots_lock held
 * @as:		the address space of @new
 * @new:	the new array, a changed copy of the current one
 * @wait:	the caller unmaps or frees something the old array held
 *
 * The swap is done under mmu.lock with mmu.inval_seq bumped, so a fault
 * that sampled the sequence before it installs nothing and faults again.
 *
 * With @wait, synchronize_srcu() then waits until no fault, guest copy,
 * MMU notifier or netlink reader can still use the old array or what it
 * points to: only after that may the caller unmap a removed range or free
 * a removed dirty bitmap (a fault that found the old slot has finished by
 * then).  The arrays retired before are unreachable too then, and freed.
 *
 * Without @wait (an update that removes nothing: a new slot), readers may
 * still hold the old array, which only points to what the new one holds
 * too; it goes on vm->retired, freed at the next update that waits or when
 * the VM is destroyed (each such update fills a free slot, so at most
 * VTX_MAX_MEMSLOTS arrays of each address space wait there).  No grace period to wait for:
 * creating a VM's memory stays cheap.
 *
 * Return: with @wait, the old array, unreachable now, for the caller to
 * kfree(); else NULL.
 */
static struct vtx_memslots *memslots_publish(struct vtx_vm *vm, int as,
					     struct vtx_memslots *new,
					     bool wait)
{
	struct vtx_memslots *old = vtx_memslots(vm, as);

	lockdep_assert_held(&vm->slots_lock);
	spin_lock(&vm->mmu.lock);
	rcu_assign_pointer(vm->memslots[as], new);
	vm->mmu.inval_seq++;
	spin_unlock(&vm->mmu.lock);
	if (!wait) {
		old->retired = vm->retired;
		vm->retired = old;
		return NULL;
	}
	/* Expedited, as KVM: memslot updates are rare, waiters are not. */
	synchronize_srcu_expedited(&vm->srcu);
	memslots_free_retired(vm);
	return old;
}

/*
 * KVM_SET_USER_MEMORY_REGION: create, delete (size 0), move a slot or
 * toggle its dirty logging, with KVM's validation and errors.  Every
 * change is a new copy of the array (memslots_publish()); what the old
 * slot mapped is unmapped after the copy is published, and its dirty
 * bitmap freed after that.
 */
static int set_memory_region(struct vtx_vm *vm,
			     struct kvm_userspace_memory_region *mem)
{
	u16 as_id = mem->slot >> 16, id = (u16)mem->slot;
	u64 npages = mem->memory_size >> PAGE_SHIFT;
	u64 gfn = mem->guest_phys_addr >> PAGE_SHIFT;
	bool logging = mem->flags & KVM_MEM_LOG_DIRTY_PAGES;
	struct vtx_memslots *slots, *new;
	struct vtx_memslot *s, val = {
		.base_gfn = gfn,
		.npages = npages,
		.userspace_addr = mem->userspace_addr,
		.flags = mem->flags,
	};
	unsigned long *new_bitmap = NULL, *old_bitmap = NULL;
	bool unmap = false;
	int r = 0;

	if (mem->flags & ~(KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES))
		return -EINVAL;
	if (as_id >= VTX_ADDRESS_SPACES || id >= VTX_MAX_MEMSLOTS)
		return -EINVAL;
	if (!PAGE_ALIGNED(mem->memory_size) ||
	    !PAGE_ALIGNED(mem->guest_phys_addr) ||
	    !PAGE_ALIGNED(mem->userspace_addr) ||
	    !access_ok((void __user *)(unsigned long)mem->userspace_addr,
		       mem->memory_size))
		return -EINVAL;
	if (mem->guest_phys_addr + mem->memory_size < mem->guest_phys_addr ||
	    mem->guest_phys_addr + mem->memory_size > BIT_ULL(VTX_GPA_BITS))
		return -EINVAL;
	if (npages > VTX_MEM_MAX_NR_PAGES)
		return -EINVAL;

	mutex_lock(&vm->slots_lock);
	slots = vtx_memslots(vm, as_id);
	s = &slots->slots[id];
	if (!npages) {
		/* Delete. */
		if (!s->npages) {
			r = -EINVAL;
			goto out;
		}
		val = (struct vtx_memslot){ };
		old_bitmap = s->dirty_bitmap;
		unmap = true;
	} else if (s->npages) {
		/* An existing slot may move or change dirty logging only. */
		if (s->npages != npages ||
		    s->userspace_addr != mem->userspace_addr ||
		    ((s->flags ^ mem->flags) & KVM_MEM_READONLY)) {
			r = -EINVAL;
			goto out;
		}
		if (s->base_gfn != gfn) {
			if (slots_overlap(slots, id, gfn, npages)) {
				r = -EEXIST;
				goto out;
			}
			unmap = true;
		}
		val.dirty_bitmap = s->dirty_bitmap;
		if (logging != !!s->dirty_bitmap) {
			if (logging) {
				/*
				 * Mapped pages must fault on their next write,
				 * and 2 MiB leaves must become 4 KiB ones to
				 * be logged page by page: drop the mappings.
				 */
				unmap = true;
			} else {
				old_bitmap = s->dirty_bitmap;
				val.dirty_bitmap = NULL;
			}
		}
		if (!unmap && !old_bitmap)
			goto out;	/* nothing changes */
	} else if (slots_overlap(slots, id, gfn, npages)) {
		r = -EEXIST;
		goto out;
	}
	if (npages && logging && !val.dirty_bitmap) {
		new_bitmap = bitmap_alloc_counted(dirty_bitmap_bytes(npages),
						  true);
		if (!new_bitmap) {
			r = -ENOMEM;
			goto out;
		}
		val.dirty_bitmap = new_bitmap;
	}
	new = kmemdup(slots, sizeof(*slots), GFP_KERNEL_ACCOUNT);
	if (!new) {
		bitmap_free_counted(new_bitmap);
		r = -ENOMEM;
		goto out;
	}
	BUILD_BUG_ON(VTX_MAX_MEMSLOTS > BITS_PER_LONG);
	new->slots[id] = val;
	if (val.npages)
		__set_bit(id, &new->active);
	else
		__clear_bit(id, &new->active);

	new->retired = NULL;
	slots = memslots_publish(vm, as_id, new, unmap || old_bitmap);
	if (!slots)
		goto out;	/* a new slot: nothing to take away */
	/*
	 * The old slot is unreachable: unmap what it mapped (in the page
	 * tables of its address space), then free.
	 */
	if (unmap)
		vtx_mmu_unmap_range(vm, as_id, slots->slots[id].base_gfn,
				    slots->slots[id].npages);
	bitmap_free_counted(old_bitmap);
	kfree(slots);
out:
	mutex_unlock(&vm->slots_lock);
	return r;
}

/*
 * KVM_GET_DIRTY_LOG: copy the slot's dirty bitmap out, clear it, and
 * write-protect the pages that were dirty so that new writes are seen.
 * Under slots_lock, so the slot and its bitmap cannot change or go away;
 * faults and guest copies set bits concurrently (atomically, under
 * vm->srcu).
 */
static int get_dirty_log(struct vtx_vm *vm, struct kvm_dirty_log __user *argp)
{
	struct kvm_dirty_log log;
	struct vtx_memslot *s;
	unsigned long *snap;
	size_t bytes, i;
	int r = 0;

	if (copy_from_user(&log, argp, sizeof(log)))
		return -EFAULT;
	if ((log.slot >> 16) >= VTX_ADDRESS_SPACES ||
	    (u16)log.slot >= VTX_MAX_MEMSLOTS)
		return -EINVAL;

	mutex_lock(&vm->slots_lock);
	s = &vtx_memslots(vm, log.slot >> 16)->slots[(u16)log.slot];
	if (!s->npages || !s->dirty_bitmap) {
		r = -ENOENT;
		goto out;
	}
	bytes = dirty_bitmap_bytes(s->npages);
	snap = bitmap_alloc_counted(bytes, false);
	if (!snap) {
		r = -ENOMEM;
		goto out;
	}
	/*
	 * Under mmu.lock: a write fault sets its bit and makes its leaf
	 * writable in one mmu.lock section, so a bit taken here belongs to
	 * a leaf that the write-protect below finds writable.
	 */
	spin_lock(&vm->mmu.lock);
	for (i = 0; i < bytes / sizeof(long); i++)
		snap[i] = xchg(&s->dirty_bitmap[i], 0);
	spin_unlock(&vm->mmu.lock);
	/* Only dirty pages are writable: one pass and one flush covers them. */
	vtx_mmu_write_protect(vm, log.slot >> 16, s->base_gfn, s->npages);
	if (copy_to_user(log.dirty_bitmap, snap, bytes))
		r = -EFAULT;
	bitmap_free_counted(snap);
out:
	mutex_unlock(&vm->slots_lock);
	return r;
}

/*
 * KVM_CAP_MAX_VCPU_ID: vCPU ids below args[0] only; set once (setting the
 * same value again succeeds), as KVM.  Under vm->slots_lock, which
 * vtx_create_vcpu() holds when it checks the limit.
 */
static int set_max_vcpu_id(struct vtx_vm *vm, u64 limit)
{
	int r = -EINVAL;

	if (limit > VTX_MAX_VCPU_ID)
		return -EINVAL;
	mutex_lock(&vm->slots_lock);
	if (vm->max_vcpu_id == limit || !vm->max_vcpu_id) {
		vm->max_vcpu_id = limit;
		r = 0;
	}
	mutex_unlock(&vm->slots_lock);
	return r;
}

/*
 * KVM_ENABLE_CAP on the VM: KVM_CAP_EXIT_HYPERCALL, KVM_CAP_MAX_VCPU_ID,
 * KVM_CAP_SPLIT_IRQCHIP, KVM_CAP_X2APIC_API, KVM_CAP_MSR_PLATFORM_INFO,
 * KVM_CAP_DISABLE_QUIRKS(2), KVM_CAP_X86_USER_SPACE_MSR.
 */
static int enable_cap(struct vtx_vm *vm, struct kvm_enable_cap *cap)
{
	if (cap->flags)
		return -EINVAL;
	switch (cap->cap) {
	case KVM_CAP_EXIT_HYPERCALL:
		if (cap->args[0] & ~(u64)VTX_EXIT_HYPERCALL_MASK)
			return -EINVAL;
		WRITE_ONCE(vm->hypercall_exits, cap->args[0]);
		return 0;
	case KVM_CAP_MAX_VCPU_ID:
		return set_max_vcpu_id(vm, cap->args[0]);
	case KVM_CAP_SPLIT_IRQCHIP:
		return vtx_irqchip_enable_split(vm, cap->args[0]);
	case KVM_CAP_MSR_PLATFORM_INFO:
		/* as KVM: any non-zero value lets the guest read it */
		WRITE_ONCE(vm->platform_info_hidden, !cap->args[0]);
		return 0;
	case KVM_CAP_X2APIC_API:
		if (cap->args[0] & ~(u64)KVM_X2APIC_API_VALID_FLAGS)
			return -EINVAL;
		/* 32-bit x2APIC IDs in MSIs and KVM_GET/SET_LAPIC. */
		if (cap->args[0] & KVM_X2APIC_API_USE_32BIT_IDS)
			WRITE_ONCE(vm->x2apic_format, true);
		return 0;
	case KVM_CAP_DISABLE_QUIRKS2:
		if (cap->args[0] & ~(u64)VTX_VALID_QUIRKS)
			return -EINVAL;
		fallthrough;
	case KVM_CAP_DISABLE_QUIRKS:
		/* as KVM: replaces the set; the first version takes any bit */
		WRITE_ONCE(vm->disabled_quirks, cap->args[0]);
		return 0;
	case KVM_CAP_X86_USER_SPACE_MSR:
		if (cap->args[0] & ~(u64)VTX_MSR_EXIT_REASONS)
			return -EINVAL;
		WRITE_ONCE(vm->user_space_msr_mask, cap->args[0]);
		return 0;
	}
	return -EINVAL;
}

static long vtx_vm_ioctl(struct file *filp, unsigned int ioctl,
			 unsigned long arg)
{
	struct vtx_vm *vm = filp->private_data;
	void __user *argp = (void __user *)arg;

	if (vm->mm != current->mm || READ_ONCE(vm->dead))
		return -EIO;

	switch (ioctl) {
	case KVM_CREATE_VCPU:
		return vtx_create_vcpu(vm, arg);
	case KVM_SET_USER_MEMORY_REGION: {
		struct kvm_userspace_memory_region mem;

		if (copy_from_user(&mem, argp, sizeof(mem)))
			return -EFAULT;
		return set_memory_region(vm, &mem);
	}
	case KVM_SET_IDENTITY_MAP_ADDR: {
		u64 addr;
		long r = -EINVAL;

		/* Accepted as on KVM; unrestricted guest needs no such page. */
		if (copy_from_user(&addr, argp, sizeof(addr)))
			return -EFAULT;
		mutex_lock(&vm->slots_lock);
		if (!vm->nr_vcpus) {
			vm->identity_map_addr = addr;
			r = 0;
		}
		mutex_unlock(&vm->slots_lock);
		return r;
	}
	case KVM_GET_DIRTY_LOG:
		return get_dirty_log(vm, argp);
	case KVM_IOEVENTFD:
		return vtx_ioctl_ioeventfd(vm, argp);
	case KVM_REGISTER_COALESCED_MMIO:
	case KVM_UNREGISTER_COALESCED_MMIO:
		return vtx_ioctl_coalesced_mmio(vm, ioctl, argp);
	case KVM_GET_STATS_FD:
		return vtx_vm_stats_fd(vm);
	case KVM_GET_CLOCK:
	case KVM_SET_CLOCK:
		return vtx_clock_ioctl(vm, ioctl, argp);
	/* the VM's default TSC rate: the host's, as on every vCPU */
	case KVM_GET_TSC_KHZ:
		return tsc_khz;
	case KVM_SET_TSC_KHZ:
		return vtx_set_tsc_khz(arg);
	case KVM_SET_GSI_ROUTING:
	case KVM_IRQ_LINE:
	case KVM_IRQ_LINE_STATUS:
	case KVM_SIGNAL_MSI:
		return vtx_irq_routing_ioctl(vm, ioctl, argp);
	case KVM_IRQFD:
		return vtx_ioctl_irqfd(vm, argp);
	case KVM_CREATE_IRQCHIP:
	case KVM_GET_IRQCHIP:
	case KVM_SET_IRQCHIP:
		return vtx_irqchip_ioctl(vm, ioctl, argp);
	case KVM_CREATE_PIT:
	case KVM_CREATE_PIT2:
	case KVM_GET_PIT:
	case KVM_SET_PIT:
	case KVM_GET_PIT2:
	case KVM_SET_PIT2:
	case KVM_REINJECT_CONTROL:
		return vtx_pit_ioctl(vm, ioctl, argp);
	case KVM_SET_NR_MMU_PAGES:
		/*
		 * KVM's limit on shadow page tables; EPT has none, so the
		 * value is only checked (KVM's minimum), as on KVM with TDP.
		 */
		return arg < VTX_MIN_MMU_PAGES ? -EINVAL : 0;
	case KVM_SET_TSS_ADDR:
		if (arg > VTX_TSS_MAX_ADDR)
			return -EINVAL;
		mutex_lock(&vm->slots_lock);
		vm->tss_addr = arg;
		mutex_unlock(&vm->slots_lock);
		return 0;
	case KVM_CHECK_EXTENSION:
		return vtx_check_extension(arg);
	case KVM_SET_BOOT_CPU_ID: {
		long r = -EBUSY;

		/* as KVM 6.1: any id, until the first vCPU is counted */
		mutex_lock(&vm->slots_lock);
		if (!vm->created_vcpus) {
			vm->bsp_vcpu_id = arg;
			r = 0;
		}
		mutex_unlock(&vm->slots_lock);
		return r;
	}
	case KVM_X86_SET_MSR_FILTER:
		return vtx_ioctl_set_msr_filter(vm, argp);
	case KVM_ENABLE_CAP: {
		struct kvm_enable_cap cap;

		if (copy_from_user(&cap, argp, sizeof(cap)))
			return -EFAULT;
		return enable_cap(vm, &cap);
	}
	default:
		/* KVM's answer for a VM ioctl it does not know. */
		return -ENOTTY;
	}
}

static int vtx_vm_release(struct inode *inode, struct file *filp)
{
	/* irqfds hold no reference: none may outlive the VM fd. */
	vtx_irqfd_release(filp->private_data);
	vtx_vm_put(filp->private_data);
	return 0;
}

static const struct file_operations vtx_vm_fops = {
	.owner		= THIS_MODULE,
	.release	= vtx_vm_release,
	.unlocked_ioctl	= vtx_vm_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

/**
 * vtx_create_vm() - KVM_CREATE_VM: a new VM and its file descriptor.
 * @type:	machine type; only 0 (KVM_X86_LEGACY_VM) exists
 *
 * The fd is installed last: until fd_install() no other thread of the
 * caller can close it, so nothing can drop the VM's first reference while
 * the VM is being linked on vtx_vms and announced.  Once the file exists it
 * owns that reference (its release puts the VM), so nothing may fail after
 * anon_inode_getfile().
 *
 * Return: the VM fd, -EBUSY if another hypervisor holds VMX, or an errno.
 */
int vtx_create_vm(unsigned long type)
{
	struct file *file;
	struct vtx_vm *vm;
	int r, fd, as;

	if (type)
		return -EINVAL;

	r = vtx_x86_ops.enable();
	if (r)
		return r;

	r = -ENOMEM;
	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		goto put_vmx;
	vtx_alloc_inc(VTX_ALLOC_VM);
	kref_init(&vm->kref);
	mutex_init(&vm->slots_lock);
	mutex_init(&vm->stats_lock);
	INIT_LIST_HEAD(&vm->list);
	INIT_LIST_HEAD(&vm->ioeventfds);
	vtx_irqfd_vm_init(vm);
	r = init_srcu_struct(&vm->srcu);
	if (r)
		goto free_vm;
	r = vtx_irq_routing_vm_init(vm);
	if (r)
		goto free_srcu;
	r = -ENOMEM;
	for (as = 0; as < VTX_ADDRESS_SPACES; as++) {
		RCU_INIT_POINTER(vm->memslots[as],
				 kzalloc(sizeof(struct vtx_memslots),
					 GFP_KERNEL_ACCOUNT));
		if (!rcu_access_pointer(vm->memslots[as]))
			goto free_slots;
	}
	r = vtx_coalesced_vm_init(vm);
	if (r)
		goto free_slots;
	vtx_clock_vm_init(vm);
	r = ida_alloc(&vtx_vm_ida, GFP_KERNEL);
	if (r < 0)
		goto free_ring;
	vm->id = r;
	/* The page-table format: the one place that chooses it. */
	r = vtx_mmu_init(vm, vtx_x86_ops.mmu_format);
	if (r)
		goto free_id;
	vm->mm = current->mm;
	mmgrab(vm->mm);
	r = vtx_mmu_register_notifier(vm);
	if (r) {
		mmdrop(vm->mm);
		vtx_mmu_destroy(vm);
		goto free_id;
	}
	vm->owner_pid = task_tgid_nr(current);
	get_task_comm(vm->owner_comm, current);

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		r = fd;
		goto free_all;
	}
	file = anon_inode_getfile("vtx-vm", &vtx_vm_fops, vm, O_RDWR);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		r = PTR_ERR(file);
		goto free_all;
	}
	/* The file holds the VM's reference now: no error path below. */
	mutex_lock(&vtx_vms_lock);
	list_add_tail(&vm->list, &vtx_vms);
	mutex_unlock(&vtx_vms_lock);
	vtx_nl_event(vm, VTX_EVENT_VM_CREATE, -1, 0);
	/* Userspace can reach (and close) the VM from here on. */
	fd_install(fd, file);
	return fd;

free_all:
	vtx_mmu_unregister_notifier(vm);
	mmdrop(vm->mm);
	vtx_mmu_destroy(vm);
free_id:
	ida_free(&vtx_vm_ida, vm->id);
free_ring:
	vtx_coalesced_vm_destroy(vm);
free_slots:
	for (as = 0; as < VTX_ADDRESS_SPACES; as++)
		memslots_free(rcu_dereference_protected(vm->memslots[as], true),
			      false);
	vtx_irq_routing_vm_destroy(vm);
free_srcu:
	cleanup_srcu_struct(&vm->srcu);
free_vm:
	kfree(vm);
	vtx_alloc_dec(VTX_ALLOC_VM);
put_vmx:
	vtx_x86_ops.disable();
	return r;
}
