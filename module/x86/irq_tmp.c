// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - TEMPORARY stand-ins for the delivery entry points of x86/irq.h,
 * so that the routing and irqfd code (x86/irq_routing.c, core/irqfd.c)
 * links before the in-kernel irqchip (x86/apic.c and the PIC/IOAPIC glue)
 * is merged.  The lead deletes this file (and its Kbuild line) at that
 * merge.  No VM can have an in-kernel irqchip without that code, so
 * nothing calls these today.
 */
#include <linux/errno.h>
#include "x86/irq.h"

/* TEMPORARY: replaced by x86/apic.c. */
int vtx_irq_deliver_msi(struct vtx_vm *vm, u64 address, u32 data)
{
	return -ENODEV;
}

/* TEMPORARY: replaced by the irqchip glue. */
int vtx_irq_set_pin(struct vtx_vm *vm, u32 irqchip, u32 pin, bool level,
		    int source)
{
	return -ENODEV;
}
