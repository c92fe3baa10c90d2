// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - the interrupt controllers of KVM_CREATE_IRQCHIP: the two 8259s and
 * the IOAPIC in the kernel, wired to the local APICs (x86/apic.c) and to
 * the routing table (x86/irq_routing.c).
 *
 * Not built yet: vtx answers KVM_CAP_IRQCHIP with 0 and KVM_CREATE_IRQCHIP
 * with ENOTTY, so vm->irqchip_mode is never VTX_IRQCHIP_KERNEL and the
 * entry points below are reached by no VM.  They answer as KVM does for a
 * VM without these controllers.
 */
#include "x86/x86.h"
#include "x86/irqchip.h"

/* See x86/irq.h.  No route names a controller without KVM_CREATE_IRQCHIP. */
int vtx_irq_set_pin(struct vtx_vm *vm, u32 irqchip, u32 pin, bool level,
		    int source)
{
	return -ENXIO;
}

bool vtx_irqchip_extint_pending(struct vtx_vm *vm)
{
	return false;
}

int vtx_irqchip_extint_ack(struct vtx_vm *vm)
{
	return -1;
}

void vtx_irqchip_eoi(struct vtx_vm *vm, int vector, bool level)
{
}
