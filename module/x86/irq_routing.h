/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtx - the GSI routing table (x86/irq_routing.c): which interrupt
 * controller inputs and MSIs a GSI drives, as KVM's KVM_SET_GSI_ROUTING
 * has it, and the ack notifiers of level-triggered GSIs (resample irqfds,
 * core/irqfd.c).
 *
 * Locking (Documentation/vtx/design.rst, "Interrupt routing and irqfds"):
 *   vm->irq_lock   (mutex) serialises table updates and changes of the
 *                  ack-notifier list;
 *   vm->irq_srcu   readers of vm->irq_routing and of the ack-notifier list,
 *                  in any context (an eventfd wake-up, an EOI); an old
 *                  table is freed after synchronize_srcu_expedited().
 */
#ifndef VTX_X86_IRQ_ROUTING_H
#define VTX_X86_IRQ_ROUTING_H

#include <linux/kvm.h>
#include <linux/list.h>
#include <linux/types.h>
#include "x86/irq.h"

struct vtx_vm;

/*
 * KVM_CAP_IRQFD, KVM_CAP_IRQFD_RESAMPLE, KVM_CAP_SIGNAL_MSI and
 * KVM_CAP_IRQ_INJECT_STATUS: 1, as KVM answers them for any VM; they work
 * once the VM has an in-kernel irqchip (resample: KVM_CREATE_IRQCHIP's).
 */
#define VTX_IRQ_DELIVERY	1

/* KVM's irq source ids: the level of a pin is the OR over its sources. */
#define VTX_USERSPACE_IRQ_SOURCE_ID		0	/* KVM_IRQ_LINE, irqfds */
#define VTX_IRQFD_RESAMPLE_IRQ_SOURCE_ID	1	/* resample irqfds */
#define VTX_PIT_IRQ_SOURCE_ID			2	/* KVM_CREATE_PIT2's PIT */

/* The in-kernel interrupt controllers a route may name (asm/kvm.h). */
#define VTX_NR_IRQCHIPS		3	/* PIC master, PIC slave, IOAPIC */
#define VTX_PIC_PINS		8	/* inputs of one 8259 */
#define VTX_IRQCHIP_NUM_PINS	KVM_IOAPIC_NUM_PINS	/* the most of any */
/* GSIs 0-15 reach the PICs too in the default routing. */
#define VTX_NR_PIC_GSIS		(2 * VTX_PIC_PINS)

/**
 * struct vtx_irq_route - one routing entry of a GSI.
 * @gsi:	the GSI
 * @type:	KVM_IRQ_ROUTING_IRQCHIP or KVM_IRQ_ROUTING_MSI; 0 in an
 *		irqfd's snapshot means "not a single MSI" (see core/irqfd.c)
 * @irqchip:	KVM_IRQCHIP_*, and @pin the chip's own input (0-7 on a PIC,
 *		0-23 on the IOAPIC)
 * @msi:	the message, as userspace gave it
 * @link:	on the table's map[@gsi]
 */
struct vtx_irq_route {
	u32 gsi;
	u32 type;
	union {
		struct {
			u32 irqchip;
			u32 pin;
		} irqchip;
		struct {
			u32 address_lo;
			u32 address_hi;
			u32 data;
		} msi;
	};
	struct hlist_node link;
};

/**
 * struct vtx_irq_routing_table - what KVM_SET_GSI_ROUTING installed.
 * @chip:	for each irqchip input, the GSI routed to it (the last one
 *		userspace listed), -1 for none; for the ack notifiers
 * @nr_rt_entries: the size of @map: the highest GSI listed + 1
 * @map:	the routes of each GSI (at most one per irqchip, or one MSI)
 *
 * Never changed once published in vm->irq_routing.
 */
struct vtx_irq_routing_table {
	int chip[VTX_NR_IRQCHIPS][VTX_IRQCHIP_NUM_PINS];
	u32 nr_rt_entries;
	struct hlist_head map[];
};

/* The most routes one GSI has: one per irqchip, or a single MSI. */
#define VTX_MAX_GSI_ROUTES	VTX_NR_IRQCHIPS

/**
 * struct vtx_irq_ack_notifier - told when a level-triggered interrupt of
 * @gsi is acknowledged (vtx_irq_ack_notify()).
 * @link:	on vm->irq_ack_notifiers
 * @gsi:	the GSI
 * @irq_acked:	called in an vm->irq_srcu read section, possibly atomic
 */
struct vtx_irq_ack_notifier {
	struct hlist_node link;
	u32 gsi;
	void (*irq_acked)(struct vtx_irq_ack_notifier *ian);
};

/* VM lifetime (core/vm.c). */
int vtx_irq_routing_vm_init(struct vtx_vm *vm);
void vtx_irq_routing_vm_destroy(struct vtx_vm *vm);

/*
 * The tables KVM installs when the irqchip is created: the default one at
 * KVM_CREATE_IRQCHIP, the empty one at KVM_CAP_SPLIT_IRQCHIP.  Process
 * context; may sleep (synchronize_srcu).
 */
int vtx_irq_routing_setup_default(struct vtx_vm *vm);
int vtx_irq_routing_setup_empty(struct vtx_vm *vm);

/* The VM ioctls of routing and injection; -ENOTTY for any other ioctl. */
long vtx_irq_routing_ioctl(struct vtx_vm *vm, unsigned int ioctl,
			   void __user *argp);

int vtx_irq_map_gsi(struct vtx_vm *vm, struct vtx_irq_route *entries,
		    u32 gsi);
int vtx_irq_set(struct vtx_vm *vm, int source, u32 gsi, bool level);
int vtx_irq_route_inject_atomic(struct vtx_vm *vm,
				const struct vtx_irq_route *e);

void vtx_register_irq_ack_notifier(struct vtx_vm *vm,
				   struct vtx_irq_ack_notifier *ian);
void vtx_unregister_irq_ack_notifier(struct vtx_vm *vm,
				     struct vtx_irq_ack_notifier *ian);

#endif /* VTX_X86_IRQ_ROUTING_H */
