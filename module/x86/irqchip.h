/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtx - KVM_CREATE_IRQCHIP's two 8259s and IOAPIC in the kernel
 * (x86/irqchip.c): the register models of pic.c and ioapic.c with their
 * locks, wired to the guest (ports, MMIO), to the local APICs and to the
 * routing table.  Documentation/vtx/design.rst section 14.2.
 */
#ifndef VTX_X86_IRQCHIP_H
#define VTX_X86_IRQCHIP_H

#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include "x86/ioapic.h"
#include "x86/pic.h"

struct vtx_vm;
struct vtx_vcpu;

/**
 * struct vtx_irqchip - the PICs and the IOAPIC of one VM.
 * @vm:		[c] the VM
 * @pic_lock:	protects @pic and @pic_levels; taken with interrupts off
 *		(a PIT hrtimer raises IRQ0), never while @ioapic_lock or a
 *		local APIC's lock is held
 * @pic:	the two 8259s
 * @pic_levels:	per input 0-15, one bit per irq source id asserting it
 *		(KVM's irq_states): the input's level is their OR
 * @ioapic_lock: protects @ioapic and @ioapic_levels; interrupts off;
 *		taken before a local APIC's lock (messages are delivered
 *		with it held, in order)
 * @ioapic:	the IOAPIC
 * @ioapic_levels: as @pic_levels, per IOAPIC pin
 * @eoi_inject:	KVM's delayed re-delivery after an EOI storm
 */
struct vtx_irqchip {
	struct vtx_vm *vm;
	spinlock_t pic_lock;		/* the PICs' state, see above */
	struct vtx_pic pic;
	unsigned long pic_levels[VTX_PIC_NUM_PINS];
	spinlock_t ioapic_lock;		/* the IOAPIC's state, see above */
	struct vtx_ioapic ioapic;
	unsigned long ioapic_levels[VTX_IOAPIC_NUM_PINS];
	struct delayed_work eoi_inject;
};

/* KVM_CREATE_IRQCHIP, KVM_GET_IRQCHIP, KVM_SET_IRQCHIP; else -ENOTTY. */
long vtx_irqchip_ioctl(struct vtx_vm *vm, unsigned int ioctl,
		       void __user *argp);
/* VM teardown: no vCPU, irqfd or timer can reach the chips any more. */
void vtx_irqchip_destroy(struct vtx_vm *vm);

/* The guest's accesses; false: not the chips', go on (to userspace). */
bool vtx_irqchip_pio(struct vtx_vcpu *vcpu, u16 port, unsigned int size,
		     bool in, u32 *val);
bool vtx_irqchip_mmio_read(struct vtx_vcpu *vcpu, u64 gpa, unsigned int len,
			   void *data);
bool vtx_irqchip_mmio_write(struct vtx_vcpu *vcpu, u64 gpa, unsigned int len,
			    u64 data);

/* The master 8259's INT output is up (for the BSP's LINT0 in ExtINT). */
bool vtx_irqchip_extint_pending(struct vtx_vm *vm);
/* The INTA cycle: the 8259s' vector (spurious IR7 when none is left). */
int vtx_irqchip_extint_ack(struct vtx_vm *vm);
/* A local APIC's EOI of @vector (@level: its TMR bit, broadcast EOI). */
void vtx_irqchip_eoi(struct vtx_vm *vm, int vector, bool level);
void vtx_irqchip_eoi_vectors(struct vtx_vm *vm, unsigned long *vectors);

/**
 * struct vtx_irq_mask_notifier - told when the PIC or IOAPIC input that
 * GSI @irq is routed to is masked or unmasked by the guest (KVM's mask
 * notifiers: the PIT drops its pending ticks on unmask).
 * @link:	on vm->irq_mask_notifiers
 * @irq:	the GSI
 * @func:	called in a vm->irq_srcu read section, no chip lock held,
 *		possibly with interrupts off
 */
struct vtx_irq_mask_notifier {
	struct hlist_node link;
	int irq;
	void (*func)(struct vtx_irq_mask_notifier *kimn, bool masked);
};

void vtx_register_irq_mask_notifier(struct vtx_vm *vm, int irq,
				    struct vtx_irq_mask_notifier *kimn);
void vtx_unregister_irq_mask_notifier(struct vtx_vm *vm,
				      struct vtx_irq_mask_notifier *kimn);

/*
 * Irq source ids for devices (KVM's kvm_request_irq_source_id()): a pin's
 * level is the OR over its sources.  Process context.
 */
int vtx_irq_request_source_id(struct vtx_vm *vm);
void vtx_irq_free_source_id(struct vtx_vm *vm, int id);

#endif /* VTX_X86_IRQCHIP_H */
