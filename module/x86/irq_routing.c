// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - the GSI routing table and injection by GSI: KVM_SET_GSI_ROUTING,
 * KVM_IRQ_LINE(_STATUS), KVM_SIGNAL_MSI, and the ack notifiers that tell
 * resample irqfds (core/irqfd.c) that a level-triggered interrupt was
 * acknowledged.  The ABI and the errors are KVM's (<linux/kvm.h>,
 * Documentation/vtx/api.rst).
 *
 * A table is never changed once published: KVM_SET_GSI_ROUTING builds a
 * new one, swaps vm->irq_routing under vm->irq_lock, re-evaluates the
 * irqfds' snapshots, waits for vm->irq_srcu readers and frees the old one
 * (Documentation/vtx/design.rst, "Interrupt routing and irqfds").
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include "x86/x86.h"
#include "x86/irq_routing.h"

/* kvm_set_irq()'s answer when no route took the interrupt. */
#define VTX_IRQ_NOT_DELIVERED	(-1)

/* KVM_CAP_X2APIC_API: the low byte of address_hi is reserved then. */
#define VTX_MSI_ADDR_HI_RESERVED	0xffu

static enum vtx_irqchip_mode irqchip_mode(struct vtx_vm *vm)
{
	/* Pairs with the release of the writer (KVM_CREATE_IRQCHIP, ...). */
	return smp_load_acquire(&vm->irqchip_mode);
}

/**
 * vtx_irq_routing_vm_init() - a new VM's routing state: no table (no
 * in-kernel irqchip), no ack notifiers.
 * @vm:		the VM being created
 *
 * Return: 0 or -ENOMEM.
 */
int vtx_irq_routing_vm_init(struct vtx_vm *vm)
{
	mutex_init(&vm->irq_lock);
	INIT_HLIST_HEAD(&vm->irq_ack_notifiers);
	RCU_INIT_POINTER(vm->irq_routing, NULL);
	return init_srcu_struct(&vm->irq_srcu);
}

static void free_table(struct vtx_irq_routing_table *rt)
{
	struct vtx_irq_route *e;
	struct hlist_node *n;
	u32 i;

	if (!rt)
		return;
	for (i = 0; i < rt->nr_rt_entries; i++) {
		hlist_for_each_entry_safe(e, n, &rt->map[i], link) {
			hlist_del(&e->link);
			kfree(e);
			vtx_alloc_dec(VTX_ALLOC_IRQ_ROUTING);
		}
	}
	kvfree(rt);
	vtx_alloc_dec(VTX_ALLOC_IRQ_ROUTING);
}

/**
 * vtx_irq_routing_vm_destroy() - free the table of a VM nobody can reach
 * any more (no irqfd, no vCPU, no VM fd).
 * @vm:		the VM
 */
void vtx_irq_routing_vm_destroy(struct vtx_vm *vm)
{
	free_table(rcu_dereference_protected(vm->irq_routing, true));
	cleanup_srcu_struct(&vm->irq_srcu);
}

/* An MSI route KVM refuses: x2APIC format with the reserved byte set. */
static bool msi_route_invalid(struct vtx_vm *vm, u32 address_hi)
{
	return READ_ONCE(vm->x2apic_format) &&
	       (address_hi & VTX_MSI_ADDR_HI_RESERVED);
}

/*
 * One userspace entry into @e, with KVM's checks (kvm_set_routing_entry()
 * and setup_routing_entry()): every refusal is -EINVAL.
 */
static int setup_entry(struct vtx_vm *vm, enum vtx_irqchip_mode mode,
		       struct vtx_irq_routing_table *rt,
		       struct vtx_irq_route *e,
		       const struct kvm_irq_routing_entry *ue)
{
	u32 gsi = array_index_nospec(ue->gsi, VTX_MAX_IRQ_ROUTES);
	struct vtx_irq_route *ei;
	u32 limit;

	if (ue->type == KVM_IRQ_ROUTING_MSI) {
		if (ue->flags & ~KVM_MSI_VALID_DEVID)
			return -EINVAL;
	} else if (ue->flags) {
		return -EINVAL;
	}
	/* A GSI: one route per irqchip, or one non-irqchip route alone. */
	hlist_for_each_entry(ei, &rt->map[gsi], link)
		if (ei->type != KVM_IRQ_ROUTING_IRQCHIP ||
		    ue->type != KVM_IRQ_ROUTING_IRQCHIP ||
		    ue->u.irqchip.irqchip == ei->irqchip.irqchip)
			return -EINVAL;

	e->gsi = gsi;
	e->type = ue->type;
	switch (ue->type) {
	case KVM_IRQ_ROUTING_IRQCHIP:
		/* The PICs and the IOAPIC are in userspace then. */
		if (mode == VTX_IRQCHIP_SPLIT)
			return -EINVAL;
		switch (ue->u.irqchip.irqchip) {
		case KVM_IRQCHIP_PIC_MASTER:
		case KVM_IRQCHIP_PIC_SLAVE:
			limit = VTX_PIC_PINS;
			break;
		case KVM_IRQCHIP_IOAPIC:
			limit = KVM_IOAPIC_NUM_PINS;
			break;
		default:
			return -EINVAL;
		}
		if (ue->u.irqchip.pin >= limit)
			return -EINVAL;
		e->irqchip.irqchip = ue->u.irqchip.irqchip;
		e->irqchip.pin = ue->u.irqchip.pin;
		rt->chip[e->irqchip.irqchip][e->irqchip.pin] = gsi;
		break;
	case KVM_IRQ_ROUTING_MSI:
		/* KVM_MSI_VALID_DEVID is accepted and ignored, as on x86. */
		e->msi.address_lo = ue->u.msi.address_lo;
		e->msi.address_hi = ue->u.msi.address_hi;
		e->msi.data = ue->u.msi.data;
		if (msi_route_invalid(vm, e->msi.address_hi))
			return -EINVAL;
		break;
	default:
		/* Hyper-V SynIC, Xen, s390 adapters: not on vtx. */
		return -EINVAL;
	}
	hlist_add_head(&e->link, &rt->map[gsi]);
	return 0;
}

/*
 * Build the table of @nr entries and make it the VM's (KVM's
 * kvm_set_irq_routing()).  Process context.
 */
static int set_irq_routing(struct vtx_vm *vm,
			   const struct kvm_irq_routing_entry *ue, u32 nr)
{
	enum vtx_irqchip_mode mode = irqchip_mode(vm);
	struct vtx_irq_routing_table *new, *old;
	struct vtx_irq_route *e;
	u32 i, j, nr_rt_entries = 0;
	int r;

	for (i = 0; i < nr; i++) {
		if (ue[i].gsi >= VTX_MAX_IRQ_ROUTES)
			return -EINVAL;
		nr_rt_entries = max(nr_rt_entries, ue[i].gsi);
	}
	nr_rt_entries++;

	new = kvzalloc(struct_size(new, map, nr_rt_entries),
		       GFP_KERNEL_ACCOUNT);
	if (!new)
		return -ENOMEM;
	vtx_alloc_inc(VTX_ALLOC_IRQ_ROUTING);
	new->nr_rt_entries = nr_rt_entries;
	for (i = 0; i < VTX_NR_IRQCHIPS; i++)
		for (j = 0; j < VTX_IRQCHIP_NUM_PINS; j++)
			new->chip[i][j] = -1;

	for (i = 0; i < nr; i++) {
		e = kzalloc(sizeof(*e), GFP_KERNEL_ACCOUNT);
		if (!e) {
			r = -ENOMEM;
			goto out;
		}
		vtx_alloc_inc(VTX_ALLOC_IRQ_ROUTING);
		r = setup_entry(vm, mode, new, e, &ue[i]);
		if (r) {
			kfree(e);
			vtx_alloc_dec(VTX_ALLOC_IRQ_ROUTING);
			goto out;
		}
	}

	mutex_lock(&vm->irq_lock);
	old = rcu_dereference_protected(vm->irq_routing,
					lockdep_is_held(&vm->irq_lock));
	rcu_assign_pointer(vm->irq_routing, new);
	/* The irqfds' snapshots follow the new table (KVM's irqfd_update). */
	vtx_irqfd_routing_update(vm);
	mutex_unlock(&vm->irq_lock);

	/* No wake-up, EOI or KVM_IRQ_LINE still reads the old table. */
	synchronize_srcu_expedited(&vm->irq_srcu);
	/* Split irqchip: which EOIs exit follows the routes (KVM's). */
	vtx_make_all_vcpus_request(vm, VTX_REQ_SCAN_IOAPIC);
	new = old;
	r = 0;
out:
	free_table(new);
	return r;
}

/* KVM's default_routing: GSI n to IOAPIC pin n, GSIs 0-15 to the PICs too. */
static int default_routing(struct kvm_irq_routing_entry *ue)
{
	int n = 0;
	u32 gsi;

	for (gsi = 0; gsi < KVM_IOAPIC_NUM_PINS; gsi++) {
		ue[n].gsi = gsi;
		ue[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		ue[n].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		ue[n].u.irqchip.pin = gsi;
		n++;
		if (gsi >= VTX_NR_PIC_GSIS)
			continue;
		ue[n].gsi = gsi;
		ue[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		ue[n].u.irqchip.irqchip = gsi < VTX_PIC_PINS ?
			KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
		ue[n].u.irqchip.pin = gsi % VTX_PIC_PINS;
		n++;
	}
	return n;
}

/**
 * vtx_irq_routing_setup_default() - the routing KVM_CREATE_IRQCHIP
 * installs: GSIs 0-23 to the IOAPIC's pins 0-23, GSIs 0-7 to the master
 * PIC's and 8-15 to the slave PIC's inputs as well.
 * @vm:		the VM, its PICs and IOAPIC made; KVM installs the table
 *		before it sets vm->irqchip_mode (either order works here)
 *
 * Process context, may sleep.  Return: 0 or -ENOMEM.
 */
int vtx_irq_routing_setup_default(struct vtx_vm *vm)
{
	struct kvm_irq_routing_entry *ue;
	int n, r;

	ue = kcalloc(KVM_IOAPIC_NUM_PINS + VTX_NR_PIC_GSIS, sizeof(*ue),
		     GFP_KERNEL);
	if (!ue)
		return -ENOMEM;
	n = default_routing(ue);
	r = set_irq_routing(vm, ue, n);
	kfree(ue);
	return r;
}

/**
 * vtx_irq_routing_setup_empty() - the (empty) routing of
 * KVM_CAP_SPLIT_IRQCHIP: only MSI routes can be added then.
 * @vm:		the VM
 *
 * Process context, may sleep.  Return: 0 or -ENOMEM.
 */
int vtx_irq_routing_setup_empty(struct vtx_vm *vm)
{
	return set_irq_routing(vm, NULL, 0);
}

/**
 * vtx_irq_map_gsi() - copy the routes of @gsi.
 * @vm:		the VM; the caller is in a vm->irq_srcu read section or
 *		holds vm->irq_lock
 * @entries:	room for VTX_MAX_GSI_ROUTES routes
 * @gsi:	the GSI
 *
 * Return: the number of routes copied (0 for a GSI without any, or with
 * no table).
 */
int vtx_irq_map_gsi(struct vtx_vm *vm, struct vtx_irq_route *entries,
		    u32 gsi)
{
	struct vtx_irq_routing_table *rt;
	struct vtx_irq_route *e;
	int n = 0;

	rt = srcu_dereference_check(vm->irq_routing, &vm->irq_srcu,
				    lockdep_is_held(&vm->irq_lock));
	if (!rt || gsi >= rt->nr_rt_entries)
		return 0;
	hlist_for_each_entry(e, &rt->map[gsi], link) {
		if (WARN_ON_ONCE(n >= VTX_MAX_GSI_ROUTES))
			break;
		entries[n++] = *e;
	}
	return n;
}

/* kvm_set_msi(): a message raised (never lowered) at the local APICs. */
static int set_msi(struct vtx_vm *vm, u32 address_lo, u32 address_hi,
		   u32 data, bool level)
{
	if (msi_route_invalid(vm, address_hi))
		return -EINVAL;
	if (!level)
		return VTX_IRQ_NOT_DELIVERED;
	return vtx_irq_deliver_msi(vm, (u64)address_hi << 32 | address_lo,
				   data);
}

static int route_set(struct vtx_vm *vm, const struct vtx_irq_route *e,
		     int source, bool level)
{
	switch (e->type) {
	case KVM_IRQ_ROUTING_IRQCHIP:
		return vtx_irq_set_pin(vm, e->irqchip.irqchip, e->irqchip.pin,
				       level, source);
	case KVM_IRQ_ROUTING_MSI:
		return set_msi(vm, e->msi.address_lo, e->msi.address_hi,
			       e->msi.data, level);
	}
	return -EINVAL;
}

/**
 * vtx_irq_set() - drive GSI @gsi from @source, through the routing table
 * (KVM's kvm_set_irq()): every route of the GSI gets the level.
 * @vm:		the VM
 * @source:	VTX_USERSPACE_IRQ_SOURCE_ID, VTX_IRQFD_RESAMPLE_IRQ_SOURCE_ID
 *		or a device's id
 * @gsi:	the GSI
 * @level:	the new level
 *
 * Any context: the controllers take spinlocks only.  Never called with an
 * interrupt controller's lock held.
 *
 * Return: -1 when no route took it (no route, all masked or refused), else
 * the sum of the routes' answers (0: coalesced, >0: delivered), as
 * KVM_IRQ_LINE_STATUS reports it.
 */
int vtx_irq_set(struct vtx_vm *vm, int source, u32 gsi, bool level)
{
	struct vtx_irq_route routes[VTX_MAX_GSI_ROUTES];
	int ret = VTX_IRQ_NOT_DELIVERED, n, idx, r;

	idx = srcu_read_lock(&vm->irq_srcu);
	n = vtx_irq_map_gsi(vm, routes, gsi);
	srcu_read_unlock(&vm->irq_srcu, idx);

	/* The guest may use either the PIC or the IOAPIC: tell both. */
	while (n--) {
		r = route_set(vm, &routes[n], source, level);
		if (r < 0)
			continue;
		ret = r + (ret < 0 ? 0 : ret);
	}
	return ret;
}

/**
 * vtx_irq_route_inject_atomic() - raise a routing snapshot from atomic
 * context (an irqfd's wake-up), if it is a single MSI.
 * @vm:		the VM
 * @e:		the snapshot
 *
 * Return: as vtx_irq_set() for an MSI; -EWOULDBLOCK for anything else,
 * which the caller injects from process context.
 */
int vtx_irq_route_inject_atomic(struct vtx_vm *vm,
				const struct vtx_irq_route *e)
{
	if (e->type != KVM_IRQ_ROUTING_MSI)
		return -EWOULDBLOCK;
	return set_msi(vm, e->msi.address_lo, e->msi.address_hi, e->msi.data,
		       true);
}

/**
 * vtx_register_irq_ack_notifier() - call @ian->irq_acked whenever a
 * level-triggered interrupt on @ian->gsi is acknowledged.
 * @vm:		the VM
 * @ian:	the notifier, @gsi and @irq_acked set
 */
void vtx_register_irq_ack_notifier(struct vtx_vm *vm,
				   struct vtx_irq_ack_notifier *ian)
{
	mutex_lock(&vm->irq_lock);
	hlist_add_head_rcu(&ian->link, &vm->irq_ack_notifiers);
	mutex_unlock(&vm->irq_lock);
}

/**
 * vtx_unregister_irq_ack_notifier() - undo the registration; on return no
 * call of @ian->irq_acked is running or will start.
 * @vm:		the VM
 * @ian:	the notifier
 *
 * Process context, sleeps (synchronize_srcu_expedited()).
 */
void vtx_unregister_irq_ack_notifier(struct vtx_vm *vm,
				     struct vtx_irq_ack_notifier *ian)
{
	mutex_lock(&vm->irq_lock);
	hlist_del_init_rcu(&ian->link);
	mutex_unlock(&vm->irq_lock);
	synchronize_srcu_expedited(&vm->irq_srcu);
}

/**
 * vtx_irq_ack_notify() - a level-triggered interrupt on @irqchip/@pin was
 * acknowledged: the notifiers of the GSI routed to that input are called
 * (KVM's kvm_notify_acked_irq()).
 * @vm:		the VM
 * @irqchip:	KVM_IRQCHIP_*
 * @pin:	the chip's own input (0-7 on a PIC)
 *
 * Any context, but without the interrupt controller's lock held: a
 * resample irqfd's notifier lowers the line (vtx_irq_set_pin()).
 */
void vtx_irq_ack_notify(struct vtx_vm *vm, u32 irqchip, u32 pin)
{
	struct vtx_irq_routing_table *rt;
	struct vtx_irq_ack_notifier *ian;
	int idx, gsi;

	if (irqchip >= VTX_NR_IRQCHIPS || pin >= VTX_IRQCHIP_NUM_PINS)
		return;
	idx = srcu_read_lock(&vm->irq_srcu);
	rt = srcu_dereference(vm->irq_routing, &vm->irq_srcu);
	gsi = rt ? rt->chip[irqchip][pin] : -1;
	if (gsi >= 0)
		hlist_for_each_entry_srcu(ian, &vm->irq_ack_notifiers, link,
					  srcu_read_lock_held(&vm->irq_srcu))
			if (ian->gsi == gsi)
				ian->irq_acked(ian);
	srcu_read_unlock(&vm->irq_srcu, idx);
}

/* KVM_SET_GSI_ROUTING */
static long ioctl_set_gsi_routing(struct vtx_vm *vm,
				  struct kvm_irq_routing __user *argp)
{
	struct kvm_irq_routing_entry *entries = NULL;
	struct kvm_irq_routing routing;
	long r;

	if (copy_from_user(&routing, argp, sizeof(routing)))
		return -EFAULT;
	/* KVM's answer without an in-kernel irqchip, too. */
	if (!vtx_irqchip_in_kernel(irqchip_mode(vm)))
		return -EINVAL;
	if (routing.nr > VTX_MAX_IRQ_ROUTES || routing.flags)
		return -EINVAL;
	if (routing.nr) {
		entries = vmemdup_user(argp->entries,
				       array_size(sizeof(*entries),
						  routing.nr));
		if (IS_ERR(entries))
			return PTR_ERR(entries);
	}
	r = set_irq_routing(vm, entries, routing.nr);
	kvfree(entries);
	return r;
}

/* KVM_IRQ_LINE and KVM_IRQ_LINE_STATUS (@status) */
static long ioctl_irq_line(struct vtx_vm *vm, struct kvm_irq_level __user *argp,
			   bool status)
{
	struct kvm_irq_level irq;

	if (copy_from_user(&irq, argp, sizeof(irq)))
		return -EFAULT;
	if (!vtx_irqchip_in_kernel(irqchip_mode(vm)))
		return -ENXIO;
	/* The status overlays the GSI (a union), as KVM writes it. */
	irq.status = vtx_irq_set(vm, VTX_USERSPACE_IRQ_SOURCE_ID, irq.irq,
				 irq.level);
	if (status && copy_to_user(argp, &irq, sizeof(irq)))
		return -EFAULT;
	return 0;
}

/* KVM_SIGNAL_MSI: the MSI's delivery result is the ioctl's. */
static long ioctl_signal_msi(struct vtx_vm *vm, struct kvm_msi __user *argp)
{
	struct kvm_msi msi;

	if (copy_from_user(&msi, argp, sizeof(msi)))
		return -EFAULT;
	if (!vtx_irqchip_in_kernel(irqchip_mode(vm)) ||
	    (msi.flags & ~KVM_MSI_VALID_DEVID))
		return -EINVAL;
	return set_msi(vm, msi.address_lo, msi.address_hi, msi.data, true);
}

/**
 * vtx_irq_routing_ioctl() - the VM ioctls of routing and injection:
 * KVM_SET_GSI_ROUTING, KVM_IRQ_LINE, KVM_IRQ_LINE_STATUS, KVM_SIGNAL_MSI.
 * @vm:		the VM
 * @ioctl:	the ioctl
 * @argp:	its argument
 *
 * Return: the ioctl's result; -ENOTTY for an ioctl not handled here.
 */
long vtx_irq_routing_ioctl(struct vtx_vm *vm, unsigned int ioctl,
			   void __user *argp)
{
	switch (ioctl) {
	case KVM_SET_GSI_ROUTING:
		return ioctl_set_gsi_routing(vm, argp);
	case KVM_IRQ_LINE:
		return ioctl_irq_line(vm, argp, false);
	case KVM_IRQ_LINE_STATUS:
		return ioctl_irq_line(vm, argp, true);
	case KVM_SIGNAL_MSI:
		return ioctl_signal_msi(vm, argp);
	}
	return -ENOTTY;
}
