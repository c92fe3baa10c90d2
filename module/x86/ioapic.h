/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtx - the IOAPIC as a register model (issue 16, the in-kernel irqchip;
 * Documentation/vtx/design.rst section 14).
 *
 * struct vtx_ioapic is one 82093AA-style IOAPIC as KVM has it: 24 pins,
 * version 0x11 (no EOI register), the IOREGSEL/IOWIN pair at MMIO offsets
 * 0x00 and 0x10 of a 256-byte window, and the state KVM_GET/SET_IRQCHIP
 * carry in struct kvm_ioapic_state.  The functions change that state only;
 * what must happen elsewhere (an interrupt message to deliver to local
 * APICs, a mask change for the mask notifiers, EOI-exit bitmaps to
 * recompute, a delayed re-injection after an interrupt storm) is reported
 * to the caller in struct vtx_ioapic_fx.
 *
 * No locking here: the caller serializes all calls on one struct
 * vtx_ioapic (KVM: ioapic->lock, a spinlock).
 *
 * Nothing here includes a kernel header other than <asm/apicdef.h> and the
 * uapi <linux/kvm.h>, so ioapic.c also builds into the host-side unit test
 * (selftests/irqchip).
 */
#ifndef VTX_IOAPIC_H
#define VTX_IOAPIC_H

#include "emulate_types.h"
#include <linux/kvm.h>
#include "lapic.h"

#define VTX_IOAPIC_NUM_PINS	KVM_IOAPIC_NUM_PINS	/* 24 */
#define VTX_IOAPIC_PIN_MASK	((1u << VTX_IOAPIC_NUM_PINS) - 1)
/* The version KVM reports: an 82093AA, no EOI register (that is 0x20). */
#define VTX_IOAPIC_VERSION	0x11
#define VTX_IOAPIC_DEFAULT_BASE	0xfec00000ull
#define VTX_IOAPIC_MEM_LENGTH	0x100

/* The direct registers: offsets in the MMIO window. */
#define VTX_IOAPIC_REG_SELECT	0x00
#define VTX_IOAPIC_REG_WINDOW	0x10
#define VTX_IOAPIC_OFFSET_MASK	0xff

/* The indirect registers (IOREGSEL values). */
#define VTX_IOAPIC_ID		0x00
#define VTX_IOAPIC_VER		0x01
#define VTX_IOAPIC_ARB		0x02
#define VTX_IOAPIC_REDTBL	0x10	/* entry n: 0x10 + 2n (low), +1 (high) */
/* IOAPIC ID and arbitration ID: bits 27:24 (4 bits as KVM keeps them). */
#define VTX_IOAPIC_ID_SHIFT	24
#define VTX_IOAPIC_ID_MASK	0xfu
/* Version register: maximum redirection entry in bits 23:16. */
#define VTX_IOAPIC_MAX_REDIR_SHIFT	16

/*
 * A redirection table entry (82093AA datasheet 3.2.4); the low 17 bits
 * have the layout of a local APIC LVT / ICR low word, so the delivery
 * mode field holds the APIC_DM_* values of <asm/apicdef.h>.
 */
#define VTX_IOAPIC_RTE_VECTOR	0x00000000000000ffull
#define VTX_IOAPIC_RTE_DELMODE	0x0000000000000700ull
#define VTX_IOAPIC_RTE_LOGICAL	0x0000000000000800ull	/* destination mode */
#define VTX_IOAPIC_RTE_DELIVS	0x0000000000001000ull	/* read-only */
#define VTX_IOAPIC_RTE_POLARITY	0x0000000000002000ull	/* low active */
#define VTX_IOAPIC_RTE_REMOTE_IRR 0x0000000000004000ull	/* read-only */
#define VTX_IOAPIC_RTE_LEVEL	0x0000000000008000ull	/* trigger mode */
#define VTX_IOAPIC_RTE_MASKED	0x0000000000010000ull
#define VTX_IOAPIC_RTE_DEST_SHIFT 56
#define VTX_IOAPIC_RTE_RO	(VTX_IOAPIC_RTE_DELIVS | VTX_IOAPIC_RTE_REMOTE_IRR)

/*
 * KVM's interrupt-storm rule: the 10000th successive EOI of a pin whose
 * line is still asserted does not re-deliver at once but after 10 ms
 * (VTX_IOAPIC_FX_EOI_DELAY, then vtx_ioapic_eoi_inject()).
 */
#define VTX_IOAPIC_STORM_EOIS	10000
#define VTX_IOAPIC_STORM_DELAY_MS 10

struct vtx_ioapic {
	u64 base_address;	/* only what KVM_GET/SET_IRQCHIP say */
	u32 ioregsel;
	u32 id;			/* as set; reads show bits 3:0 */
	u32 irr;		/* line asserted (level), edge seen (edge) */
	u32 irr_delivered;	/* edge requests already delivered */
	u32 pad;		/* kvm_ioapic_state.pad, kept as KVM keeps it */
	u64 redirtbl[VTX_IOAPIC_NUM_PINS];
	u32 eoi_storm[VTX_IOAPIC_NUM_PINS];	/* successive EOI re-deliveries */
};

/* What a call leaves for the caller to do (flags in .flags). */
#define VTX_IOAPIC_FX_DELIVER	0x01	/* deliver the messages of .deliver */
#define VTX_IOAPIC_FX_ROUTE	0x02	/* an entry changed: EOI-exit bitmaps */
#define VTX_IOAPIC_FX_MASK	0x04	/* .mask_changed: mask notifiers */
#define VTX_IOAPIC_FX_EOI_DELAY	0x08	/* vtx_ioapic_eoi_inject() in 10 ms */

struct vtx_ioapic_fx {
	u32 flags;
	u32 deliver;		/* pins: vtx_ioapic_msg(), in pin order */
	u32 mask_changed;	/* pins whose mask bit changed ... */
	u32 masked;		/* ... and their new mask bits */
};

void vtx_ioapic_reset(struct vtx_ioapic *io);
bool vtx_ioapic_in_range(const struct vtx_ioapic *io, u64 addr);
u32 vtx_ioapic_read(const struct vtx_ioapic *io, u32 offset);
void vtx_ioapic_write(struct vtx_ioapic *io, u32 offset, u32 val,
		      struct vtx_ioapic_fx *fx);

int vtx_ioapic_set_irq(struct vtx_ioapic *io, unsigned int pin, bool level,
		       struct vtx_ioapic_fx *fx);
void vtx_ioapic_msg(const struct vtx_ioapic *io, unsigned int pin,
		    struct vtx_lapic_ipi *msg);
void vtx_ioapic_delivered(struct vtx_ioapic *io, unsigned int pin, int ret);

u32 vtx_ioapic_eoi_pins(const struct vtx_ioapic *io, u8 vector);
void vtx_ioapic_eoi(struct vtx_ioapic *io, u8 vector, bool level,
		    struct vtx_ioapic_fx *fx);
void vtx_ioapic_eoi_inject(struct vtx_ioapic *io, struct vtx_ioapic_fx *fx);

void vtx_ioapic_get_state(const struct vtx_ioapic *io,
			  struct kvm_ioapic_state *state);
void vtx_ioapic_set_state(struct vtx_ioapic *io,
			  const struct kvm_ioapic_state *state,
			  struct vtx_ioapic_fx *fx);

#endif /* VTX_IOAPIC_H */
