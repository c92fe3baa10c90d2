// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - coalesced MMIO and port I/O (KVM_REGISTER_COALESCED_MMIO,
 * KVM_UNREGISTER_COALESCED_MMIO): a guest write that falls entirely
 * inside a registered zone is appended to a ring that userspace reads
 * later, and the guest continues without an exit.  The ring is one page
 * per VM, mapped by userspace through any vCPU fd at page offset
 * VTX_COALESCED_PAGE_OFFSET (KVM_CAP_COALESCED_MMIO answers that offset).
 *
 * The ring page is shared with a hostile userspace: its indices are read
 * once (READ_ONCE) and checked before use, and an invalid or full ring
 * makes the write an ordinary exit, as on KVM.
 *
 * Zones are on vm->coalesced_zones: written under vm->slots_lock, read
 * on the exit path under RCU, freed after a grace period.
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/gfp.h>
#include <linux/limits.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "core/vtx.h"

/**
 * struct vtx_coalesced_zone - one registered zone.
 * @link:	on vm->coalesced_zones
 * @rcu:	deferred free
 * @addr:	first guest-physical address or port
 * @size:	bytes (ports) in the zone
 * @pio:	a port range rather than MMIO
 */
struct vtx_coalesced_zone {
	struct list_head link;
	struct rcu_head rcu;
	u64 addr;
	u32 size;
	bool pio;
};

/*
 * [@addr, @addr + @len) lies inside the zone.  @len is signed and the sum
 * is taken in u64 as KVM's coalesced_mmio_in_range() does, so a zone
 * whose end wraps past 2^64 matches nothing, and an unregister range of
 * 2 GiB or more (a negative int) removes nothing.
 */
static bool zone_contains(const struct vtx_coalesced_zone *z, u64 addr,
			  int len)
{
	if (len < 0 || addr + len < addr)
		return false;
	return addr >= z->addr && addr + len <= z->addr + z->size;
}

static void zone_free_rcu(struct rcu_head *rcu)
{
	kfree(container_of(rcu, struct vtx_coalesced_zone, rcu));
	vtx_alloc_dec(VTX_ALLOC_COALESCED);
}

static int register_zone(struct vtx_vm *vm,
			 const struct kvm_coalesced_mmio_zone *zone)
{
	struct vtx_coalesced_zone *z;
	int r = 0;

	if (zone->pio > 1)
		return -EINVAL;
	z = kzalloc(sizeof(*z), GFP_KERNEL_ACCOUNT);
	if (!z)
		return -ENOMEM;
	z->addr = zone->addr;
	z->size = zone->size;
	z->pio = zone->pio;

	mutex_lock(&vm->slots_lock);
	if (vm->nr_coalesced_zones[z->pio] >= VTX_MAX_COALESCED_ZONES) {
		r = -ENOSPC;
	} else {
		vm->nr_coalesced_zones[z->pio]++;
		list_add_tail_rcu(&z->link, &vm->coalesced_zones);
		vtx_alloc_inc(VTX_ALLOC_COALESCED);
	}
	mutex_unlock(&vm->slots_lock);
	if (r)
		kfree(z);
	return r;
}

/* Every zone of the same kind that contains the given range goes. */
static int unregister_zone(struct vtx_vm *vm,
			   const struct kvm_coalesced_mmio_zone *zone)
{
	struct vtx_coalesced_zone *z, *tmp;
	bool removed = false;

	if (zone->pio > 1)
		return -EINVAL;
	mutex_lock(&vm->slots_lock);
	list_for_each_entry_safe(z, tmp, &vm->coalesced_zones, link) {
		if (z->pio != !!zone->pio ||
		    !zone_contains(z, zone->addr, (int)zone->size))
			continue;
		list_del_rcu(&z->link);
		vm->nr_coalesced_zones[z->pio]--;
		call_rcu(&z->rcu, zone_free_rcu);
		removed = true;
	}
	mutex_unlock(&vm->slots_lock);
	/*
	 * The zones are gone when the ioctl returns, as in KVM (which waits
	 * for readers before freeing): no lock held, only this caller waits.
	 */
	if (removed)
		rcu_barrier();
	return 0;
}

/**
 * vtx_ioctl_coalesced_mmio() - KVM_(UN)REGISTER_COALESCED_MMIO on a VM.
 * @vm:		the VM
 * @ioctl:	which of the two
 * @argp:	struct kvm_coalesced_mmio_zone
 *
 * Zones may overlap and may have any size, as on KVM; a write is taken
 * by the first zone that contains it whole.
 *
 * Return: 0; -EFAULT; -EINVAL when pio is neither 0 nor 1; -ENOMEM;
 * -ENOSPC with VTX_MAX_COALESCED_ZONES zones of that kind.
 */
long vtx_ioctl_coalesced_mmio(struct vtx_vm *vm, unsigned int ioctl,
			      void __user *argp)
{
	struct kvm_coalesced_mmio_zone zone;

	if (copy_from_user(&zone, argp, sizeof(zone)))
		return -EFAULT;
	if (ioctl == KVM_REGISTER_COALESCED_MMIO)
		return register_zone(vm, &zone);
	return unregister_zone(vm, &zone);
}

/**
 * vtx_coalesced_write() - append a guest write to the ring if a zone
 * takes it.
 * @vm:		the VM
 * @pio:	a port write rather than MMIO
 * @addr:	port or guest-physical address
 * @len:	bytes written, at most 8
 * @val:	the value, little-endian in its low @len bytes
 *
 * Return: true when the write is in the ring (the guest continues); false
 * when no zone contains it or the ring is full (or its indices, which
 * userspace may have scribbled on, are out of range): a normal exit.
 */
bool vtx_coalesced_write(struct vtx_vm *vm, bool pio, u64 addr, u32 len,
			 u64 val)
{
	struct kvm_coalesced_mmio_ring *ring = vm->coalesced_ring;
	struct vtx_coalesced_zone *z;
	struct kvm_coalesced_mmio *e;
	bool found = false;
	u32 last;

	if (list_empty(&vm->coalesced_zones) ||
	    len > sizeof(ring->coalesced_mmio[0].data))
		return false;
	rcu_read_lock();
	list_for_each_entry_rcu(z, &vm->coalesced_zones, link) {
		if (z->pio == pio && zone_contains(z, addr, len)) {
			found = true;
			break;
		}
	}
	rcu_read_unlock();
	if (!found)
		return false;

	spin_lock(&vm->coalesced_ring_lock);
	last = READ_ONCE(ring->last);
	if (last >= KVM_COALESCED_MMIO_MAX ||
	    (last + 1) % KVM_COALESCED_MMIO_MAX == READ_ONCE(ring->first)) {
		spin_unlock(&vm->coalesced_ring_lock);
		return false;
	}
	e = &ring->coalesced_mmio[last];
	e->phys_addr = addr;
	e->len = len;
	e->pio = pio;
	memcpy(e->data, &val, len);
	/* the entry before the index that publishes it */
	smp_wmb();
	WRITE_ONCE(ring->last, (last + 1) % KVM_COALESCED_MMIO_MAX);
	spin_unlock(&vm->coalesced_ring_lock);
	return true;
}

/**
 * vtx_coalesced_vm_init() - a new VM's (empty) ring and zone list.
 * @vm:		the VM being created
 *
 * Return: 0 or -ENOMEM.
 */
int vtx_coalesced_vm_init(struct vtx_vm *vm)
{
	INIT_LIST_HEAD(&vm->coalesced_zones);
	spin_lock_init(&vm->coalesced_ring_lock);
	vm->coalesced_ring = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vm->coalesced_ring)
		return -ENOMEM;
	vtx_alloc_inc(VTX_ALLOC_COALESCED);
	return 0;
}

/**
 * vtx_coalesced_vm_destroy() - free the zones and the VM's reference on
 * the ring page (a mapping that outlives the VM keeps its own).
 * @vm:		the dying VM: no vCPU runs, no ioctl is in progress
 */
void vtx_coalesced_vm_destroy(struct vtx_vm *vm)
{
	struct vtx_coalesced_zone *z, *tmp;

	list_for_each_entry_safe(z, tmp, &vm->coalesced_zones, link) {
		list_del(&z->link);
		kfree(z);
		vtx_alloc_dec(VTX_ALLOC_COALESCED);
	}
	free_page((unsigned long)vm->coalesced_ring);
	vtx_alloc_dec(VTX_ALLOC_COALESCED);
}
