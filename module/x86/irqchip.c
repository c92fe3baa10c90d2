// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - the interrupt controllers of KVM_CREATE_IRQCHIP: the two 8259s and
 * the IOAPIC in the kernel, wired to the guest (ports 0x20/0x21, 0xa0/0xa1,
 * ELCR 0x4d0/0x4d1; the IOAPIC window at 0xfec00000), to the local APICs
 * (x86/apic.c: ExtINT through LINT0, IOAPIC messages, EOIs) and to the
 * routing table (x86/irq_routing.c: pins raised by GSI, ack notifiers), as
 * KVM 6.1's i8259.c, ioapic.c and irq_comm.c (Documentation/vtx/design.rst
 * section 14.2).
 *
 * The models (pic.c, ioapic.c) change state only and report the rest in
 * an fx struct; this file holds their locks and does the rest:
 *   - IOAPIC messages are delivered with ioapic_lock held, in order, and
 *     a refusal by every destination is handed back to the model;
 *   - ack notifiers (resample irqfds) are called with no chip lock held,
 *     since a notifier lowers a line through vtx_irq_set_pin();
 *   - a rising PIC output wakes the vCPU whose LINT0 takes ExtINT.
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "x86/x86.h"
#include "x86/irqchip.h"
#include "x86/irq_routing.h"

/* The port ranges KVM registers on its PIO bus, two bytes each. */
#define PIC_RANGE_LEN		2
/* KVM's irq_sources_bitmap: one unsigned long of ids. */
#define VTX_NR_IRQ_SOURCES	BITS_PER_LONG
#define VTX_RESERVED_SOURCES	(BIT(VTX_USERSPACE_IRQ_SOURCE_ID) | \
				 BIT(VTX_IRQFD_RESAMPLE_IRQ_SOURCE_ID))
/* An IOAPIC access of 8 bytes reads zero-extended, writes the low 4. */
#define IOAPIC_QWORD		8
/* A command-port byte with bit 4 set is ICW1 (8259A datasheet). */
#define PIC_ICW1		0x10

static struct vtx_irqchip *irqchip_of(struct vtx_vm *vm)
{
	/* Pairs with the release in create(): the chips before the mode. */
	if (smp_load_acquire(&vm->irqchip_mode) != VTX_IRQCHIP_KERNEL)
		return NULL;
	return vm->irqchip;
}

/*
 * The guest (un)masked @pin of @irqchip: the mask notifiers of the GSI
 * routed there (KVM's kvm_fire_mask_notifiers()).  No chip lock held.
 */
static void fire_mask_notifiers(struct vtx_vm *vm, u32 irqchip, u32 pin,
				bool masked)
{
	struct vtx_irq_routing_table *rt;
	struct vtx_irq_mask_notifier *kimn;
	int idx, gsi;

	idx = srcu_read_lock(&vm->irq_srcu);
	rt = srcu_dereference(vm->irq_routing, &vm->irq_srcu);
	gsi = rt ? rt->chip[irqchip][pin] : -1;
	if (gsi >= 0)
		hlist_for_each_entry_srcu(kimn, &vm->irq_mask_notifiers, link,
					  srcu_read_lock_held(&vm->irq_srcu))
			if (kimn->irq == gsi)
				kimn->func(kimn, masked);
	srcu_read_unlock(&vm->irq_srcu, idx);
}

/**
 * vtx_register_irq_mask_notifier() - call @kimn->func whenever the input
 * GSI @irq is routed to changes its mask bit.
 * @vm:		the VM
 * @irq:	the GSI
 * @kimn:	the notifier, @func set
 */
void vtx_register_irq_mask_notifier(struct vtx_vm *vm, int irq,
				    struct vtx_irq_mask_notifier *kimn)
{
	mutex_lock(&vm->irq_lock);
	kimn->irq = irq;
	hlist_add_head_rcu(&kimn->link, &vm->irq_mask_notifiers);
	mutex_unlock(&vm->irq_lock);
}

/**
 * vtx_unregister_irq_mask_notifier() - undo it; on return no call of
 * @kimn->func runs or will start.  Process context, sleeps.
 * @vm:		the VM
 * @kimn:	the notifier
 */
void vtx_unregister_irq_mask_notifier(struct vtx_vm *vm,
				      struct vtx_irq_mask_notifier *kimn)
{
	mutex_lock(&vm->irq_lock);
	hlist_del_init_rcu(&kimn->link);
	mutex_unlock(&vm->irq_lock);
	synchronize_srcu_expedited(&vm->irq_srcu);
}

/* ------------------------------------------------------------ the PICs -- */

/* Does some vCPU take the 8259's ExtINT (KVM's kvm_apic_accept_pic_intr)? */
static struct vtx_vcpu *pic_vcpu(struct vtx_vm *vm)
{
	unsigned int i, n = vtx_vm_nr_vcpus(vm);

	for (i = 0; i < n; i++)
		if (vm->vcpus[i]->apic && vtx_apic_accepts_extint(vm->vcpus[i]))
			return vm->vcpus[i];
	return NULL;
}

/* The KVM_IRQCHIP_PIC_* chip of IRQ 0-15. */
static u32 pic_chip(unsigned int irq)
{
	return irq < VTX_PIC_CHIP_PINS ? KVM_IRQCHIP_PIC_MASTER :
					 KVM_IRQCHIP_PIC_SLAVE;
}

/*
 * What a PIC call left to do, with pic_lock dropped: wake the vCPU that
 * takes INTR when it rose (KVM kicks the first one), tell the ack
 * notifiers of the IRQs that left service (KVM: pic_clear_isr()), and the
 * mask notifiers of IMR bits changed (@imr: both IMRs after the call).
 */
static void pic_apply_fx(struct vtx_irqchip *ic, const struct vtx_pic_fx *fx,
			 u16 imr)
{
	unsigned long acked = fx->acked, changed = fx->mask_changed;
	struct vtx_vcpu *vcpu;
	unsigned int irq;

	if (fx->flags & VTX_PIC_FX_KICK) {
		vcpu = pic_vcpu(ic->vm);
		if (vcpu) {
			vtx_make_request(VTX_REQ_EVENT, vcpu);
			vtx_vcpu_kick(vcpu);
		}
	}
	if (fx->flags & VTX_PIC_FX_MASK)
		for_each_set_bit(irq, &changed, VTX_PIC_NUM_PINS)
			fire_mask_notifiers(ic->vm, pic_chip(irq),
					    irq % VTX_PIC_CHIP_PINS,
					    imr & BIT(irq));
	if (!(fx->flags & VTX_PIC_FX_ACK))
		return;
	for_each_set_bit(irq, &acked, VTX_PIC_NUM_PINS)
		vtx_irq_ack_notify(ic->vm, pic_chip(irq),
				   irq % VTX_PIC_CHIP_PINS);
}

/* Both IMRs as IRQs 0-15 (pic_lock held). */
static u16 pic_imr(const struct vtx_irqchip *ic)
{
	return ic->pic.chip[VTX_PIC_MASTER].imr |
	       ic->pic.chip[VTX_PIC_SLAVE].imr << VTX_PIC_CHIP_PINS;
}

/* An input 0-15 from @source (KVM's kvm_pic_set_irq()). */
/*
 * One source's level on an input; the input's level is the OR over its
 * sources (KVM's irq_states).  Under the chip's lock.
 */
static bool source_level(unsigned long *levels, int source, bool level)
{
	if (level)
		__set_bit(source, levels);
	else
		__clear_bit(source, levels);
	return *levels != 0;
}

static int pic_set_irq(struct vtx_irqchip *ic, unsigned int irq, bool level,
		       int source)
{
	struct vtx_pic_fx fx;
	unsigned long flags;
	bool line;
	int r;

	spin_lock_irqsave(&ic->pic_lock, flags);
	line = source_level(&ic->pic_levels[irq], source, level);
	r = vtx_pic_set_irq(&ic->pic, irq, line, &fx);
	spin_unlock_irqrestore(&ic->pic_lock, flags);
	pic_apply_fx(ic, &fx, 0);
	return r;
}

bool vtx_irqchip_extint_pending(struct vtx_vm *vm)
{
	struct vtx_irqchip *ic = irqchip_of(vm);

	/* Read without the lock, as KVM reads pic->output. */
	return ic && READ_ONCE(ic->pic.output);
}

int vtx_irqchip_extint_ack(struct vtx_vm *vm)
{
	struct vtx_irqchip *ic = irqchip_of(vm);
	struct vtx_pic_fx fx;
	unsigned long flags;
	u8 vector;

	if (!ic)
		return -1;
	spin_lock_irqsave(&ic->pic_lock, flags);
	vector = vtx_pic_ack(&ic->pic, &fx);
	spin_unlock_irqrestore(&ic->pic_lock, flags);
	pic_apply_fx(ic, &fx, 0);
	return vector;
}

/* Which KVM PIO range (two ports each) holds the whole access? */
static bool pic_range(u16 port, unsigned int size)
{
	static const u16 base[] = { VTX_PIC_MASTER_CMD, VTX_PIC_SLAVE_CMD,
				    VTX_PIC_ELCR1 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(base); i++)
		if (port >= base[i] && port + size <= base[i] + PIC_RANGE_LEN)
			return true;
	return false;
}

/**
 * vtx_irqchip_pio() - IN or OUT (not a string instruction) to the PICs.
 * @vcpu:	the vCPU, by its thread
 * @port:	the port
 * @size:	1, 2 or 4
 * @in:		IN
 * @val:	IN: out, the value; OUT: the value (low @size bytes)
 *
 * As KVM's PIO bus: the access must lie within 0x20-0x21, 0xa0-0xa1 or
 * 0x4d0-0x4d1; a 2-byte access there reads 0 and writes nothing (KVM's
 * "non byte" rule); anything else is not ours.
 *
 * Return: true when the PICs took it.
 */
bool vtx_irqchip_pio(struct vtx_vcpu *vcpu, u16 port, unsigned int size,
		     bool in, u32 *val)
{
	struct vtx_irqchip *ic = irqchip_of(vcpu->vm);
	struct vtx_pic_fx fx = {};
	unsigned long flags;
	bool accepted;
	u16 imr;
	u8 b = 0;

	if (!ic || !pic_range(port, size))
		return false;
	if (size != 1) {
		if (in)
			*val = 0;
		return true;
	}
	/* ICW1 acknowledges dropped requests when a vCPU takes INTR. */
	accepted = !in && (port == VTX_PIC_MASTER_CMD ||
			   port == VTX_PIC_SLAVE_CMD) &&
		   (*val & PIC_ICW1) && pic_vcpu(vcpu->vm);
	spin_lock_irqsave(&ic->pic_lock, flags);
	if (in) {
		vtx_pic_read(&ic->pic, port, &b, &fx);
	} else {
		ic->pic.accepted = accepted;
		vtx_pic_write(&ic->pic, port, *val, &fx);
	}
	imr = pic_imr(ic);
	spin_unlock_irqrestore(&ic->pic_lock, flags);
	if (in)
		*val = b;
	pic_apply_fx(ic, &fx, imr);
	return true;
}

/* ---------------------------------------------------------- the IOAPIC -- */

/*
 * Deliver the messages @fx names (ioapic_lock held, KVM delivers under
 * its lock too).  Return: the last delivery's count, as KVM's
 * kvm_irq_delivery_to_apic(); -1 when nothing was sent.
 */
static int ioapic_deliver(struct vtx_irqchip *ic,
			  const struct vtx_ioapic_fx *fx)
{
	unsigned long pins = fx->deliver;
	struct vtx_lapic_ipi msg;
	unsigned int pin;
	int r = -1;

	lockdep_assert_held(&ic->ioapic_lock);
	if (!(fx->flags & VTX_IOAPIC_FX_DELIVER))
		return r;
	for_each_set_bit(pin, &pins, VTX_IOAPIC_NUM_PINS) {
		vtx_ioapic_msg(&ic->ioapic, pin, &msg);
		r = vtx_apic_deliver_msg(ic->vm, &msg);
		vtx_ioapic_delivered(&ic->ioapic, pin, r);
	}
	return r;
}

/* The rest of an IOAPIC call (ioapic_lock held). */
static void ioapic_apply_fx(struct vtx_irqchip *ic,
			    const struct vtx_ioapic_fx *fx)
{
	ioapic_deliver(ic, fx);
	if (fx->flags & VTX_IOAPIC_FX_EOI_DELAY)
		schedule_delayed_work(&ic->eoi_inject,
				      msecs_to_jiffies(VTX_IOAPIC_STORM_DELAY_MS));
}

static void ioapic_eoi_inject_work(struct work_struct *work)
{
	struct vtx_irqchip *ic = container_of(to_delayed_work(work),
					      struct vtx_irqchip, eoi_inject);
	struct vtx_ioapic_fx fx;
	unsigned long flags;

	spin_lock_irqsave(&ic->ioapic_lock, flags);
	vtx_ioapic_eoi_inject(&ic->ioapic, &fx);
	ioapic_deliver(ic, &fx);
	spin_unlock_irqrestore(&ic->ioapic_lock, flags);
}

/* A pin from @source (KVM's kvm_ioapic_set_irq()). */
static int ioapic_set_irq(struct vtx_irqchip *ic, unsigned int pin,
			  bool level, int source)
{
	struct vtx_ioapic_fx fx;
	unsigned long flags;
	int r;

	spin_lock_irqsave(&ic->ioapic_lock, flags);
	r = vtx_ioapic_set_irq(&ic->ioapic, pin,
			       source_level(&ic->ioapic_levels[pin], source,
					    level), &fx);
	/* A message sent: the delivery's count is the answer (KVM's). */
	if (fx.flags & VTX_IOAPIC_FX_DELIVER)
		r = ioapic_deliver(ic, &fx);
	spin_unlock_irqrestore(&ic->ioapic_lock, flags);
	return r;
}

/**
 * vtx_irqchip_eoi() - a local APIC's EOI, for the IOAPIC.
 * @vm:		the VM, with KVM_CREATE_IRQCHIP's chips
 * @vector:	the vector the EOI took out of service
 * @level:	its TMR bit was set and the EOI is broadcast
 *
 * As KVM's kvm_ioapic_update_eoi(): the ack notifiers of every pin with
 * @vector first (without ioapic_lock: a resample irqfd lowers its line),
 * then remote IRR is cleared and lines still asserted are sent again.
 * By the vCPU's thread, no lock held.
 */
void vtx_irqchip_eoi(struct vtx_vm *vm, int vector, bool level)
{
	struct vtx_irqchip *ic = irqchip_of(vm);
	struct vtx_ioapic_fx fx;
	unsigned long flags, pins;
	unsigned int pin;

	if (!ic)
		return;
	spin_lock_irqsave(&ic->ioapic_lock, flags);
	pins = vtx_ioapic_eoi_pins(&ic->ioapic, vector);
	spin_unlock_irqrestore(&ic->ioapic_lock, flags);
	if (!pins)
		return;
	for_each_set_bit(pin, &pins, VTX_IOAPIC_NUM_PINS)
		vtx_irq_ack_notify(vm, KVM_IRQCHIP_IOAPIC, pin);
	spin_lock_irqsave(&ic->ioapic_lock, flags);
	vtx_ioapic_eoi(&ic->ioapic, vector, level, &fx);
	ioapic_apply_fx(ic, &fx);
	spin_unlock_irqrestore(&ic->ioapic_lock, flags);
}

/**
 * vtx_irqchip_eoi_vectors() - the vectors of the IOAPIC's entries, whose
 * EOIs must reach vtx_irqchip_eoi() (APICv's EOI-exit bitmap).
 * @vm:		the VM
 * @vectors:	bitmap of 256 vectors the entries' are added to
 *
 * Every entry's, edge or level, masked or not, whatever its destination:
 * a superset of KVM's (level entries and pins with ack notifiers, e.g. the
 * PIT's reinjection, that reach the vCPU), which costs an exit per EOI of
 * an edge vector.
 */
void vtx_irqchip_eoi_vectors(struct vtx_vm *vm, unsigned long *vectors)
{
	struct vtx_irqchip *ic = irqchip_of(vm);
	unsigned long flags;
	unsigned int pin;

	if (!ic)
		return;
	spin_lock_irqsave(&ic->ioapic_lock, flags);
	for (pin = 0; pin < VTX_IOAPIC_NUM_PINS; pin++)
		__set_bit(ic->ioapic.redirtbl[pin] & APIC_VECTOR_MASK, vectors);
	spin_unlock_irqrestore(&ic->ioapic_lock, flags);
}

/*
 * Is the access the IOAPIC's?  As KVM: it lies within the window at the
 * default base (where KVM registers the device) and starts within the
 * window at the base KVM_SET_IRQCHIP last set.  ioapic_lock held.
 */
static bool ioapic_access(struct vtx_irqchip *ic, u64 gpa, unsigned int len)
{
	return gpa >= VTX_IOAPIC_DEFAULT_BASE &&
	       gpa + len <= VTX_IOAPIC_DEFAULT_BASE + VTX_IOAPIC_MEM_LENGTH &&
	       vtx_ioapic_in_range(&ic->ioapic, gpa);
}

/**
 * vtx_irqchip_mmio_read() - a read of the IOAPIC's window, if it is one.
 * @vcpu:	the vCPU
 * @gpa:	guest-physical address
 * @len:	1 to 8
 * @data:	out: the register's low bytes (8: zero-extended, as KVM;
 *		other sizes but 1, 2 and 4 read 0)
 *
 * Return: true when the IOAPIC took it.
 */
bool vtx_irqchip_mmio_read(struct vtx_vcpu *vcpu, u64 gpa, unsigned int len,
			   void *data)
{
	struct vtx_irqchip *ic = irqchip_of(vcpu->vm);
	unsigned long flags;
	u64 val;

	if (!ic || len > sizeof(val))
		return false;
	spin_lock_irqsave(&ic->ioapic_lock, flags);
	if (!ioapic_access(ic, gpa, len)) {
		spin_unlock_irqrestore(&ic->ioapic_lock, flags);
		return false;
	}
	val = vtx_ioapic_read(&ic->ioapic, gpa - VTX_IOAPIC_DEFAULT_BASE);
	spin_unlock_irqrestore(&ic->ioapic_lock, flags);
	if (len != IOAPIC_QWORD && !is_power_of_2(len))
		val = 0;
	memcpy(data, &val, len);
	return true;
}

/**
 * vtx_irqchip_mmio_write() - a write to the IOAPIC's window, if it is one.
 * @vcpu:	the vCPU
 * @gpa:	guest-physical address
 * @len:	1 to 8
 * @data:	the value (its low @len bytes; an 8-byte write writes the low
 *		4, as KVM; 3, 5, 6, 7 bytes are dropped)
 *
 * Return: true when the IOAPIC took it.
 */
bool vtx_irqchip_mmio_write(struct vtx_vcpu *vcpu, u64 gpa, unsigned int len,
			    u64 data)
{
	struct vtx_irqchip *ic = irqchip_of(vcpu->vm);
	unsigned long flags, changed;
	struct vtx_ioapic_fx fx;
	unsigned int pin;

	if (!ic || len > sizeof(data))
		return false;
	spin_lock_irqsave(&ic->ioapic_lock, flags);
	if (!ioapic_access(ic, gpa, len)) {
		spin_unlock_irqrestore(&ic->ioapic_lock, flags);
		return false;
	}
	fx.flags = 0;
	if (len == IOAPIC_QWORD || is_power_of_2(len)) {
		if (len < sizeof(u32))
			data &= GENMASK_ULL(len * BITS_PER_BYTE - 1, 0);
		vtx_ioapic_write(&ic->ioapic, gpa - VTX_IOAPIC_DEFAULT_BASE,
				 (u32)data, &fx);
		ioapic_apply_fx(ic, &fx);
	}
	spin_unlock_irqrestore(&ic->ioapic_lock, flags);
	/* An entry changed: the vCPUs' EOI-exit bitmaps (APICv) follow. */
	if (fx.flags & VTX_IOAPIC_FX_ROUTE)
		vtx_make_all_vcpus_request(vcpu->vm, VTX_REQ_SCAN_IOAPIC);
	if (fx.flags & VTX_IOAPIC_FX_MASK) {
		changed = fx.mask_changed;
		for_each_set_bit(pin, &changed, VTX_IOAPIC_NUM_PINS)
			fire_mask_notifiers(vcpu->vm, KVM_IRQCHIP_IOAPIC, pin,
					    fx.masked & BIT(pin));
	}
	return true;
}

/* ------------------------------------------------------------- inputs -- */

/* See x86/irq.h. */
int vtx_irq_set_pin(struct vtx_vm *vm, u32 irqchip, u32 pin, bool level,
		    int source)
{
	struct vtx_irqchip *ic = irqchip_of(vm);

	if (!ic)
		return -ENXIO;
	if (source < 0 || source >= VTX_NR_IRQ_SOURCES)
		return -EINVAL;
	switch (irqchip) {
	case KVM_IRQCHIP_PIC_MASTER:
	case KVM_IRQCHIP_PIC_SLAVE:
		if (pin >= VTX_PIC_CHIP_PINS)
			return -EINVAL;
		return pic_set_irq(ic, irqchip * VTX_PIC_CHIP_PINS + pin,
				   level, source);
	case KVM_IRQCHIP_IOAPIC:
		if (pin >= VTX_IOAPIC_NUM_PINS)
			return -EINVAL;
		return ioapic_set_irq(ic, pin, level, source);
	}
	return -EINVAL;
}

/**
 * vtx_irq_request_source_id() - a new irq source id (KVM's
 * kvm_request_irq_source_id()).
 * @vm:		the VM
 *
 * Return: the id, or -EFAULT when all are taken (KVM's errno).
 */
int vtx_irq_request_source_id(struct vtx_vm *vm)
{
	unsigned long used;
	int id;

	mutex_lock(&vm->irq_lock);
	used = vm->irq_sources | VTX_RESERVED_SOURCES;
	id = find_first_zero_bit(&used, VTX_NR_IRQ_SOURCES);
	if (id >= VTX_NR_IRQ_SOURCES)
		id = -EFAULT;
	else
		__set_bit(id, &vm->irq_sources);
	mutex_unlock(&vm->irq_lock);
	return id;
}

/**
 * vtx_irq_free_source_id() - give back an id: every line it asserts is
 * forgotten (not lowered: KVM's kvm_free_irq_source_id()).
 * @vm:		the VM
 * @id:		from vtx_irq_request_source_id()
 */
void vtx_irq_free_source_id(struct vtx_vm *vm, int id)
{
	struct vtx_irqchip *ic;
	unsigned long flags;
	unsigned int i;

	if (id < 0 || id >= VTX_NR_IRQ_SOURCES ||
	    (BIT(id) & VTX_RESERVED_SOURCES))
		return;
	mutex_lock(&vm->irq_lock);
	__clear_bit(id, &vm->irq_sources);
	ic = irqchip_of(vm);
	if (ic) {
		spin_lock_irqsave(&ic->ioapic_lock, flags);
		for (i = 0; i < VTX_IOAPIC_NUM_PINS; i++)
			__clear_bit(id, &ic->ioapic_levels[i]);
		spin_unlock_irqrestore(&ic->ioapic_lock, flags);
		spin_lock_irqsave(&ic->pic_lock, flags);
		for (i = 0; i < VTX_PIC_NUM_PINS; i++)
			__clear_bit(id, &ic->pic_levels[i]);
		spin_unlock_irqrestore(&ic->pic_lock, flags);
	}
	mutex_unlock(&vm->irq_lock);
}

/* ------------------------------------------------------------- ioctls -- */

/*
 * KVM_CREATE_IRQCHIP: before any vCPU (EINVAL after one, EEXIST with any
 * irqchip, split included), as KVM's.  The chips, then the default
 * routing, then the mode, published with release.
 */
static long create(struct vtx_vm *vm)
{
	struct vtx_irqchip *ic;
	long r;

	mutex_lock(&vm->slots_lock);
	r = -EEXIST;
	if (vm->irqchip_mode != VTX_IRQCHIP_NONE)
		goto out;
	r = -EINVAL;
	if (vm->created_vcpus)
		goto out;
	r = -ENOMEM;
	ic = kzalloc(sizeof(*ic), GFP_KERNEL_ACCOUNT);
	if (!ic)
		goto out;
	vtx_alloc_inc(VTX_ALLOC_IRQ_ROUTING);
	ic->vm = vm;
	spin_lock_init(&ic->pic_lock);
	spin_lock_init(&ic->ioapic_lock);
	vtx_pic_reset(&ic->pic);
	vtx_ioapic_reset(&ic->ioapic);
	INIT_DELAYED_WORK(&ic->eoi_inject, ioapic_eoi_inject_work);
	r = vtx_irq_routing_setup_default(vm);
	if (r) {
		kfree(ic);
		vtx_alloc_dec(VTX_ALLOC_IRQ_ROUTING);
		goto out;
	}
	vm->irqchip = ic;
	/* Pairs with irqchip_of() and every reader of the mode. */
	smp_store_release(&vm->irqchip_mode, VTX_IRQCHIP_KERNEL);
out:
	mutex_unlock(&vm->slots_lock);
	return r;
}

/* KVM_GET_IRQCHIP: the rest of the user's struct is copied back as is. */
static int get_chip(struct vtx_irqchip *ic, struct kvm_irqchip *chip)
{
	unsigned long flags;
	int r = 0;

	switch (chip->chip_id) {
	case KVM_IRQCHIP_PIC_MASTER:
	case KVM_IRQCHIP_PIC_SLAVE:
		spin_lock_irqsave(&ic->pic_lock, flags);
		r = vtx_pic_get_state(&ic->pic, chip->chip_id, &chip->chip.pic);
		spin_unlock_irqrestore(&ic->pic_lock, flags);
		break;
	case KVM_IRQCHIP_IOAPIC:
		spin_lock_irqsave(&ic->ioapic_lock, flags);
		vtx_ioapic_get_state(&ic->ioapic, &chip->chip.ioapic);
		spin_unlock_irqrestore(&ic->ioapic_lock, flags);
		break;
	default:
		r = -EINVAL;
	}
	return r;
}

/*
 * KVM_SET_IRQCHIP: the state as given; the IOAPIC sends what its irr
 * raises; INTR is recomputed after any SET (KVM's kvm_pic_update_irq(),
 * even for a bad chip id).
 */
static int set_chip(struct vtx_irqchip *ic, const struct kvm_irqchip *chip)
{
	struct vtx_ioapic_fx iofx;
	struct vtx_pic_fx fx;
	unsigned long flags;
	int r = 0;

	switch (chip->chip_id) {
	case KVM_IRQCHIP_PIC_MASTER:
	case KVM_IRQCHIP_PIC_SLAVE:
		spin_lock_irqsave(&ic->pic_lock, flags);
		/* INTR is recomputed below, with the kick */
		r = vtx_pic_set_state(&ic->pic, chip->chip_id, &chip->chip.pic,
				      &fx);
		spin_unlock_irqrestore(&ic->pic_lock, flags);
		break;
	case KVM_IRQCHIP_IOAPIC:
		spin_lock_irqsave(&ic->ioapic_lock, flags);
		vtx_ioapic_set_state(&ic->ioapic, &chip->chip.ioapic, &iofx);
		ioapic_apply_fx(ic, &iofx);
		spin_unlock_irqrestore(&ic->ioapic_lock, flags);
		/* new entries: the vCPUs' EOI-exit bitmaps (APICv) follow */
		vtx_make_all_vcpus_request(ic->vm, VTX_REQ_SCAN_IOAPIC);
		break;
	default:
		r = -EINVAL;
	}
	spin_lock_irqsave(&ic->pic_lock, flags);
	vtx_pic_update(&ic->pic, &fx);
	spin_unlock_irqrestore(&ic->pic_lock, flags);
	pic_apply_fx(ic, &fx, 0);
	return r;
}

static long get_set_irqchip(struct vtx_vm *vm, struct kvm_irqchip __user *argp,
			    bool set)
{
	struct vtx_irqchip *ic;
	struct kvm_irqchip *chip;
	long r;

	chip = memdup_user(argp, sizeof(*chip));
	if (IS_ERR(chip))
		return PTR_ERR(chip);
	r = -ENXIO;
	ic = irqchip_of(vm);
	if (!ic)
		goto out;
	if (set) {
		r = set_chip(ic, chip);
	} else {
		r = get_chip(ic, chip);
		if (!r && copy_to_user(argp, chip, sizeof(*chip)))
			r = -EFAULT;
	}
out:
	kfree(chip);
	return r;
}

/**
 * vtx_irqchip_ioctl() - KVM_CREATE_IRQCHIP, KVM_GET_IRQCHIP and
 * KVM_SET_IRQCHIP on the VM fd.
 * @vm:		the VM
 * @ioctl:	the ioctl
 * @argp:	its argument
 *
 * Return: the ioctl's result; -ENOTTY for another ioctl.
 */
long vtx_irqchip_ioctl(struct vtx_vm *vm, unsigned int ioctl,
		       void __user *argp)
{
	switch (ioctl) {
	case KVM_CREATE_IRQCHIP:
		return create(vm);
	case KVM_GET_IRQCHIP:
		return get_set_irqchip(vm, argp, false);
	case KVM_SET_IRQCHIP:
		return get_set_irqchip(vm, argp, true);
	}
	return -ENOTTY;
}

/**
 * vtx_irqchip_destroy() - free the chips of a VM being destroyed: its
 * vCPUs and irqfds are gone, so only the storm work may still run.
 * @vm:		the VM
 */
void vtx_irqchip_destroy(struct vtx_vm *vm)
{
	struct vtx_irqchip *ic = vm->irqchip;

	if (!ic)
		return;
	cancel_delayed_work_sync(&ic->eoi_inject);
	vm->irqchip = NULL;
	kfree(ic);
	vtx_alloc_dec(VTX_ALLOC_IRQ_ROUTING);
}
