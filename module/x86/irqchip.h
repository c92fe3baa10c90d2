/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtx - KVM_CREATE_IRQCHIP's 8259s and IOAPIC as the local APICs see them
 * (x86/irqchip.c).  Callable in atomic context.
 */
#ifndef VTX_X86_IRQCHIP_H
#define VTX_X86_IRQCHIP_H

#include <linux/types.h>

struct vtx_vm;

/* The master 8259's INT output is up (for the BSP's LINT0 in ExtINT). */
bool vtx_irqchip_extint_pending(struct vtx_vm *vm);
/* The INTA cycle: the 8259s' vector, -1 when none (spurious handled). */
int vtx_irqchip_extint_ack(struct vtx_vm *vm);
/* A local APIC's broadcast EOI of @vector (@level: its TMR bit). */
void vtx_irqchip_eoi(struct vtx_vm *vm, int vector, bool level);

#endif /* VTX_X86_IRQCHIP_H */
