/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtx - the two cascaded 8259A PICs as a register model (issue 16, the
 * in-kernel irqchip; Documentation/vtx/design.rst section 14).
 *
 * struct vtx_pic is the master (ports 0x20/0x21, IRQ 0-7) and the slave
 * (0xa0/0xa1, IRQ 8-15, cascaded on the master's IR2) with the PIIX ELCR
 * (0x4d0/0x4d1) as KVM has them: each chip's state is what
 * KVM_GET/SET_IRQCHIP carry in struct kvm_pic_state.  The functions change
 * that state only; what must happen elsewhere (the INTR line to the CPU
 * changed, a vCPU to kick, interrupts acknowledged for the ack notifiers,
 * IMR bits changed for the mask notifiers) is reported to the caller in
 * struct vtx_pic_fx.  The CPU takes an interrupt through LINT0 in ExtINT
 * mode: vtx_pic_output() says whether INTR is high, vtx_pic_ack() is the
 * INTA cycle and returns the vector.
 *
 * No locking here: the caller serializes all calls on one struct vtx_pic
 * (KVM: pic->lock, a spinlock).
 *
 * Nothing here includes a kernel header other than the uapi <linux/kvm.h>,
 * so pic.c also builds into the host-side unit test (selftests/irqchip).
 */
#ifndef VTX_PIC_H
#define VTX_PIC_H

#include "emulate_types.h"
#include <linux/kvm.h>

#define VTX_PIC_NUM_PINS	16
#define VTX_PIC_CHIP_PINS	8
#define VTX_PIC_MASTER		0
#define VTX_PIC_SLAVE		1
#define VTX_PIC_CASCADE_IR	2	/* the slave's INT on the master */

/* The ports (one byte each). */
#define VTX_PIC_MASTER_CMD	0x20
#define VTX_PIC_MASTER_DATA	0x21
#define VTX_PIC_SLAVE_CMD	0xa0
#define VTX_PIC_SLAVE_DATA	0xa1
#define VTX_PIC_ELCR1		0x4d0
#define VTX_PIC_ELCR2		0x4d1

/*
 * The ELCR bits a write may set, as KVM: IRQ 0, 1, 2 (timer, keyboard,
 * cascade), 8 (RTC) and 13 (FPU) are always edge-triggered.
 */
#define VTX_PIC_ELCR_MASK_MASTER 0xf8
#define VTX_PIC_ELCR_MASK_SLAVE	0xde

/* One 8259A: the fields of struct kvm_pic_state. */
struct vtx_pic_chip {
	u8 last_irr;		/* input levels seen (edge detection) */
	u8 irr;
	u8 imr;
	u8 isr;
	u8 priority_add;	/* the lowest priority IR + 1 (rotation) */
	u8 irq_base;		/* ICW2: vector of IR0 */
	u8 read_reg_select;	/* OCW3 RR/RIS: read ISR, else IRR */
	u8 poll;		/* OCW3 P: the next read is a poll */
	u8 special_mask;	/* OCW3 SMM */
	u8 init_state;		/* 0 ready, 1-3 ICW2-4 expected next */
	u8 auto_eoi;		/* ICW4 AEOI */
	u8 rotate_on_auto_eoi;	/* OCW2 R with AEOI */
	u8 special_fully_nested_mode;	/* ICW4 SFNM */
	u8 init4;		/* ICW1 IC4: an ICW4 follows */
	u8 elcr;		/* PIIX edge/level control: 1 level */
	u8 elcr_mask;
};

struct vtx_pic {
	struct vtx_pic_chip chip[2];	/* VTX_PIC_MASTER, VTX_PIC_SLAVE */
	bool output;		/* INTR to the CPU (LINT0) */
	/*
	 * Whether some vCPU takes PIC interrupts (KVM's
	 * kvm_apic_accept_pic_intr(): its APIC is hardware-disabled or LINT0
	 * is unmasked in ExtINT mode); kept up to date by the caller, read by
	 * ICW1 only (see vtx_pic_write()).
	 */
	bool accepted;
};

/* What a call leaves for the caller to do (flags in .flags). */
#define VTX_PIC_FX_OUTPUT	0x01	/* INTR changed: now .output */
#define VTX_PIC_FX_KICK		0x02	/* INTR rose: kick a vCPU taking it */
#define VTX_PIC_FX_ACK		0x04	/* .acked: ack notifiers */
#define VTX_PIC_FX_MASK		0x08	/* .mask_changed: mask notifiers */

struct vtx_pic_fx {
	u32 flags;
	u16 acked;		/* IRQs 0-15 taken out of service */
	u16 mask_changed;	/* IRQs 0-15 whose IMR bit changed */
	bool output;
};

void vtx_pic_reset(struct vtx_pic *p);
bool vtx_pic_port(u16 port);
int vtx_pic_read(struct vtx_pic *p, u16 port, u8 *val, struct vtx_pic_fx *fx);
int vtx_pic_write(struct vtx_pic *p, u16 port, u8 val, struct vtx_pic_fx *fx);
int vtx_pic_set_irq(struct vtx_pic *p, unsigned int irq, bool level,
		    struct vtx_pic_fx *fx);
u8 vtx_pic_ack(struct vtx_pic *p, struct vtx_pic_fx *fx);
void vtx_pic_update(struct vtx_pic *p, struct vtx_pic_fx *fx);

static inline bool vtx_pic_output(const struct vtx_pic *p)
{
	return p->output;
}

int vtx_pic_get_state(const struct vtx_pic *p, unsigned int chip,
		      struct kvm_pic_state *state);
int vtx_pic_set_state(struct vtx_pic *p, unsigned int chip,
		      const struct kvm_pic_state *state, struct vtx_pic_fx *fx);

#endif /* VTX_PIC_H */
