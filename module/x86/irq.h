/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtx - the in-kernel interrupt sources and how they meet (issue 16,
 * Documentation/vtx/design.rst section 14).
 *
 *   x86/apic.c          the per-vCPU local APIC: register access from
 *                       the guest, interrupt acceptance, the timer, IPIs,
 *                       INIT/SIPI; MSIs are delivered here
 *   x86/irq_routing.c   the GSI routing table (KVM_SET_GSI_ROUTING),
 *                       KVM_IRQ_LINE(_STATUS), KVM_SIGNAL_MSI, the EOI
 *                       notifiers of level-triggered pins
 *   core/irqfd.c        KVM_IRQFD: an eventfd that raises a GSI, with
 *                       its resample fd
 *   x86/ioapic.c, x86/pic.c, x86/pit.c
 *                       register models of the IOAPIC, the two 8259s
 *                       and the 8254 (KVM_CREATE_IRQCHIP, KVM_CREATE_PIT2)
 *
 * Every function declared here may be called in atomic context (an
 * eventfd wake-up, an hrtimer) unless it says otherwise: the interrupt
 * controllers take spinlocks only.
 */
#ifndef VTX_X86_IRQ_H
#define VTX_X86_IRQ_H

#include <linux/types.h>

struct vtx_vm;

/* KVM_CAP_X2APIC_API's flags (KVM defines the set in x86.c). */
#define KVM_X2APIC_API_VALID_FLAGS	(KVM_X2APIC_API_USE_32BIT_IDS | \
					 KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK)

/*
 * Where a VM's interrupt controllers live (vm->irqchip_mode), as KVM's
 * irqchip_in_kernel() / irqchip_split() / irqchip_kernel() see it.
 */
enum vtx_irqchip_mode {
	VTX_IRQCHIP_NONE,	/* all in userspace (KVM_INTERRUPT) */
	VTX_IRQCHIP_SPLIT,	/* LAPICs in the kernel, KVM_CAP_SPLIT_IRQCHIP */
	VTX_IRQCHIP_KERNEL,	/* KVM_CREATE_IRQCHIP: PICs and IOAPIC too */
};

/* Any local APIC in the kernel (split or full). */
static inline bool vtx_irqchip_in_kernel(enum vtx_irqchip_mode mode)
{
	return mode != VTX_IRQCHIP_NONE;
}

/**
 * vtx_irq_deliver_msi() - deliver a message-signalled interrupt.
 * @vm:		the VM; its irqchip is in the kernel
 * @address:	the message address (address_hi << 32 | address_lo),
 *		decoded as KVM does (KVM_CAP_X2APIC_API's 32-bit
 *		destinations in address_hi included)
 * @data:	the message data
 *
 * Return: the number of local APICs that accepted it, 0 when none did (no
 * destination, or a masked/coalesced interrupt), -errno when the VM has no
 * in-kernel local APIC.  May be called in atomic context.
 */
int vtx_irq_deliver_msi(struct vtx_vm *vm, u64 address, u32 data);

/**
 * vtx_irq_set_pin() - drive an input of the in-kernel PIC or IOAPIC.
 * @vm:		the VM, with KVM_CREATE_IRQCHIP's irqchip
 * @irqchip:	KVM_IRQCHIP_PIC_MASTER, KVM_IRQCHIP_PIC_SLAVE, KVM_IRQCHIP_IOAPIC
 * @pin:	the input
 * @level:	the new level (edge inputs raise on 0 -> 1)
 * @source:	the irq source id (KVM_USERSPACE_IRQ_SOURCE_ID, an irqfd's, the
 *		PIT's): the pin's level is the OR over its sources, as KVM
 *
 * Return: as KVM's kvm_set_irq(): >0 delivered, 0 coalesced (the interrupt
 * was already pending), -errno.
 */
int vtx_irq_set_pin(struct vtx_vm *vm, u32 irqchip, u32 pin, bool level,
		    int source);

/**
 * vtx_irq_ack_notify() - a level-triggered interrupt on @irqchip/@pin was
 * acknowledged (IOAPIC EOI, PIC EOI): resample irqfds and other listeners
 * registered for its GSI are told (x86/irq_routing.c).
 */
void vtx_irq_ack_notify(struct vtx_vm *vm, u32 irqchip, u32 pin);

#endif /* VTX_X86_IRQ_H */
