// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - the two cascaded 8259A PICs as a register model (pic.h): ICW1-4,
 * OCW1-3, priorities with rotation, edge and level inputs (ELCR), the
 * cascade, the INTA cycle, poll, and KVM_GET/SET_IRQCHIP's struct
 * kvm_pic_state.  Where the Intel 8259A datasheet and KVM
 * (arch/x86/kvm/i8259.c of Linux 6.1) differ, this follows KVM, with one
 * exception: special mask mode, which KVM stores but ignores, works as the
 * datasheet (and QEMU's userspace 8259) has it.
 *
 * Every field may hold any value userspace gave KVM_SET_IRQCHIP; each is
 * used as a flag, a mask or modulo 8, so none can index out of bounds.
 */
#include "pic.h"

#define CHIP_MASK	(VTX_PIC_CHIP_PINS - 1)
#define NO_IRQ		VTX_PIC_CHIP_PINS	/* get_priority(): none */
#define SPURIOUS_IR	7
#define IRQ_BIT(ir)	((u8)(1u << ((ir) & CHIP_MASK)))

/* Port bit 7 selects the chip (0x20/0x21 master, 0xa0/0xa1 slave). */
#define PORT_CHIP_SHIFT	7
#define PORT_DATA	1	/* odd port: data (ICW2-4, OCW1) */

/* ICW1 and the command port's decoding (8259A datasheet). */
#define ICW1		0x10
#define ICW1_IC4	0x01
#define OCW3		0x08
#define OCW3_POLL	0x04
#define OCW3_RR		0x02	/* read register command valid */
#define OCW3_RIS	0x01	/* read ISR, else IRR */
#define OCW3_ESMM	0x40	/* special mask mode command valid */
#define OCW3_SMM_SHIFT	5
#define OCW2_CMD_SHIFT	5
#define OCW2_LEVEL	0x07
#define ICW2_BASE	0xf8
#define ICW4_AEOI_SHIFT	1
#define ICW4_SFNM_SHIFT	4

/* OCW2 commands (bits 7:5: R, SL, EOI). */
enum {
	OCW2_ROTATE_AEOI_CLEAR = 0,
	OCW2_EOI = 1,
	OCW2_NOP = 2,
	OCW2_SPECIFIC_EOI = 3,
	OCW2_ROTATE_AEOI_SET = 4,
	OCW2_ROTATE_EOI = 5,
	OCW2_SET_PRIORITY = 6,
	OCW2_ROTATE_SPECIFIC_EOI = 7,
};

/* The ICW expected next on the data port (init_state). */
enum {
	INIT_READY = 0,
	INIT_ICW2 = 1,
	INIT_ICW3 = 2,
	INIT_ICW4 = 3,
};

static bool is_slave(const struct vtx_pic *p, const struct vtx_pic_chip *c)
{
	return c == &p->chip[VTX_PIC_SLAVE];
}

/* @ir of @c left service: the ack notifiers of its IRQ are told. */
static void clear_isr(struct vtx_pic *p, struct vtx_pic_chip *c,
		      unsigned int ir, struct vtx_pic_fx *fx)
{
	c->isr &= ~IRQ_BIT(ir);
	fx->flags |= VTX_PIC_FX_ACK;
	fx->acked |= 1u << ((ir & CHIP_MASK) +
			    (is_slave(p, c) ? VTX_PIC_CHIP_PINS : 0));
}

/*
 * An input of @c changes level.  Level inputs (ELCR) request while high;
 * edge inputs on a rising edge, the request staying after the line drops.
 * Return: -1 masked, 0 already requested (coalesced), 1 otherwise, as
 * KVM's pic_set_irq1().
 */
static int set_irq1(struct vtx_pic_chip *c, unsigned int ir, bool level)
{
	u8 bit = IRQ_BIT(ir);
	int ret = 1;

	if (c->elcr & bit) {
		if (level) {
			ret = !(c->irr & bit);
			c->irr |= bit;
			c->last_irr |= bit;
		} else {
			c->irr &= ~bit;
			c->last_irr &= ~bit;
		}
	} else if (level) {
		if (!(c->last_irr & bit)) {
			ret = !(c->irr & bit);
			c->irr |= bit;
		}
		c->last_irr |= bit;
	} else {
		c->last_irr &= ~bit;
	}
	return c->imr & bit ? -1 : ret;
}

/* The priority (0 highest) of the best IR in @mask; NO_IRQ for none. */
static unsigned int get_priority(const struct vtx_pic_chip *c, u8 mask)
{
	unsigned int prio = 0;

	if (!mask)
		return NO_IRQ;
	while (!(mask & IRQ_BIT(prio + c->priority_add)))
		prio++;
	return prio;
}

/*
 * The IR @c asks the CPU (or the master) for: the best unmasked request
 * of higher priority than everything in service.  In special fully
 * nested mode the master's cascade input in service does not block the
 * slave's further requests; in special mask mode masked levels in
 * service block nothing.  Return: the IR, or -1.
 */
static int get_irq(const struct vtx_pic *p, const struct vtx_pic_chip *c)
{
	unsigned int prio, cur;
	u8 isr = c->isr;

	prio = get_priority(c, c->irr & ~c->imr);
	if (prio == NO_IRQ)
		return -1;
	if (c->special_mask)
		isr &= ~c->imr;
	if (c->special_fully_nested_mode && !is_slave(p, c))
		isr &= ~IRQ_BIT(VTX_PIC_CASCADE_IR);
	cur = get_priority(c, isr);
	if (prio >= cur)
		return -1;
	return (prio + c->priority_add) & CHIP_MASK;
}

static void set_output(struct vtx_pic *p, bool level, struct vtx_pic_fx *fx)
{
	if (level && !p->output)
		fx->flags |= VTX_PIC_FX_KICK;
	if (level != p->output)
		fx->flags |= VTX_PIC_FX_OUTPUT;
	p->output = level;
	fx->output = level;
}

static void update(struct vtx_pic *p, struct vtx_pic_fx *fx)
{
	struct vtx_pic_chip *m = &p->chip[VTX_PIC_MASTER];

	/* a slave request pulses the master's cascade input */
	if (get_irq(p, &p->chip[VTX_PIC_SLAVE]) >= 0) {
		set_irq1(m, VTX_PIC_CASCADE_IR, true);
		set_irq1(m, VTX_PIC_CASCADE_IR, false);
	}
	set_output(p, get_irq(p, m) >= 0, fx);
}

/**
 * vtx_pic_update - recompute INTR after a change made elsewhere
 * @p: the PICs
 * @fx: out, zeroed first: VTX_PIC_FX_OUTPUT/KICK
 */
void vtx_pic_update(struct vtx_pic *p, struct vtx_pic_fx *fx)
{
	memset(fx, 0, sizeof(*fx));
	update(p, fx);
}

/**
 * vtx_pic_reset - the PICs of a new irqchip, as KVM's kvm_pic_init()
 * @p: the PICs
 *
 * Everything 0 (no ICW seen: IMR 0, vector base 0, all inputs edge) but
 * the ELCR masks; INTR low.
 */
void vtx_pic_reset(struct vtx_pic *p)
{
	memset(p, 0, sizeof(*p));
	p->chip[VTX_PIC_MASTER].elcr_mask = VTX_PIC_ELCR_MASK_MASTER;
	p->chip[VTX_PIC_SLAVE].elcr_mask = VTX_PIC_ELCR_MASK_SLAVE;
}

/* Is @port one of the six the PICs decode? */
bool vtx_pic_port(u16 port)
{
	switch (port) {
	case VTX_PIC_MASTER_CMD:
	case VTX_PIC_MASTER_DATA:
	case VTX_PIC_SLAVE_CMD:
	case VTX_PIC_SLAVE_DATA:
	case VTX_PIC_ELCR1:
	case VTX_PIC_ELCR2:
		return true;
	}
	return false;
}

/*
 * ICW1: the chip starts over, as KVM's kvm_pic_reset(): edge requests and
 * input history are dropped (level requests stay, their lines are still
 * high), IMR 0, lowest priority IR7, IRR to be read, no special mask;
 * without IC4, ICW4's modes are cleared.  ISR is kept; but when a vCPU
 * takes PIC interrupts, each dropped edge request leaves service and is
 * acknowledged (KVM: so that the PIT's reinjection does not wait for an
 * acknowledgment that will never come).  INTR is not recomputed.
 */
static void icw1(struct vtx_pic *p, struct vtx_pic_chip *c, u8 val,
		 struct vtx_pic_fx *fx)
{
	u8 edge_irr = c->irr & ~c->elcr;
	unsigned int ir;

	c->init4 = val & ICW1_IC4;
	c->last_irr = 0;
	c->irr &= c->elcr;
	c->imr = 0;
	c->priority_add = 0;
	c->special_mask = 0;
	c->read_reg_select = 0;
	if (!c->init4) {
		c->special_fully_nested_mode = 0;
		c->auto_eoi = 0;
	}
	c->init_state = INIT_ICW2;
	if (!p->accepted)
		return;
	for (ir = 0; ir < VTX_PIC_CHIP_PINS; ir++)
		if (edge_irr & IRQ_BIT(ir))
			clear_isr(p, c, ir, fx);
}

/* OCW2: EOIs, rotation, priority. */
static void ocw2(struct vtx_pic *p, struct vtx_pic_chip *c, u8 val,
		 struct vtx_pic_fx *fx)
{
	unsigned int cmd = val >> OCW2_CMD_SHIFT, ir, prio;

	switch (cmd) {
	case OCW2_ROTATE_AEOI_CLEAR:
	case OCW2_ROTATE_AEOI_SET:
		c->rotate_on_auto_eoi = cmd == OCW2_ROTATE_AEOI_SET;
		break;
	case OCW2_EOI:
	case OCW2_ROTATE_EOI:
		/* the highest priority in service, special mask or not */
		prio = get_priority(c, c->isr);
		if (prio == NO_IRQ)
			break;
		ir = (prio + c->priority_add) & CHIP_MASK;
		if (cmd == OCW2_ROTATE_EOI)
			c->priority_add = (ir + 1) & CHIP_MASK;
		clear_isr(p, c, ir, fx);
		update(p, fx);
		break;
	case OCW2_SPECIFIC_EOI:
		clear_isr(p, c, val & OCW2_LEVEL, fx);
		update(p, fx);
		break;
	case OCW2_SET_PRIORITY:
		c->priority_add = (val + 1) & CHIP_MASK;
		update(p, fx);
		break;
	case OCW2_ROTATE_SPECIFIC_EOI:
		ir = val & OCW2_LEVEL;
		c->priority_add = (ir + 1) & CHIP_MASK;
		clear_isr(p, c, ir, fx);
		update(p, fx);
		break;
	}
	/* OCW2_NOP */
}

static void write_cmd(struct vtx_pic *p, struct vtx_pic_chip *c, u8 val,
		      struct vtx_pic_fx *fx)
{
	if (val & ICW1) {
		/* single mode (SNGL) and level mode (LTIM) are ignored,
		 * as KVM: ICW3 is always expected, ELCR decides triggers
		 */
		icw1(p, c, val, fx);
	} else if (val & OCW3) {
		if (val & OCW3_POLL)
			c->poll = 1;
		if (val & OCW3_RR)
			c->read_reg_select = val & OCW3_RIS;
		if (val & OCW3_ESMM)
			c->special_mask = (val >> OCW3_SMM_SHIFT) & 1;
	} else {
		ocw2(p, c, val, fx);
	}
}

static void write_data(struct vtx_pic *p, struct vtx_pic_chip *c, u8 val,
		       struct vtx_pic_fx *fx)
{
	unsigned int off = is_slave(p, c) ? VTX_PIC_CHIP_PINS : 0;

	switch (c->init_state) {
	case INIT_READY:	/* OCW1 */
		if (c->imr ^ val) {
			fx->flags |= VTX_PIC_FX_MASK;
			fx->mask_changed |= (u16)(u8)(c->imr ^ val) << off;
		}
		c->imr = val;
		update(p, fx);
		break;
	case INIT_ICW2:
		c->irq_base = val & ICW2_BASE;
		c->init_state = INIT_ICW3;
		break;
	case INIT_ICW3:		/* the cascade wiring: fixed here */
		c->init_state = c->init4 ? INIT_ICW4 : INIT_READY;
		break;
	case INIT_ICW4:		/* 8086 mode and buffering: ignored */
		c->special_fully_nested_mode = (val >> ICW4_SFNM_SHIFT) & 1;
		c->auto_eoi = (val >> ICW4_AEOI_SHIFT) & 1;
		c->init_state = INIT_READY;
		break;
	}
	/* any other init_state (KVM_SET_IRQCHIP's) ignores data writes */
}

/*
 * A read in poll mode, as KVM's pic_poll_read(): the best request is
 * taken out of IRR and acknowledged as if ended at once (ISR is never
 * set); a slave poll clears the master's cascade request and service.
 * Return: the IR (KVM: without the datasheet's bit 7), or 7 for none.
 */
static u8 poll_read(struct vtx_pic *p, struct vtx_pic_chip *c,
		    struct vtx_pic_fx *fx)
{
	struct vtx_pic_chip *m = &p->chip[VTX_PIC_MASTER];
	int ir = get_irq(p, c);

	if (ir < 0) {
		update(p, fx);
		return SPURIOUS_IR;
	}
	if (is_slave(p, c)) {
		m->isr &= ~IRQ_BIT(VTX_PIC_CASCADE_IR);
		m->irr &= ~IRQ_BIT(VTX_PIC_CASCADE_IR);
	}
	c->irr &= ~IRQ_BIT(ir);
	clear_isr(p, c, ir, fx);
	if (is_slave(p, c) || ir != VTX_PIC_CASCADE_IR)
		update(p, fx);
	return ir;
}

/**
 * vtx_pic_read - a one-byte IN from a PIC or ELCR port
 * @p: the PICs
 * @port: the port
 * @val: out: the byte (0 when the port is not ours)
 * @fx: out, zeroed first: a poll's acknowledgment and INTR change
 *
 * Command port: IRR or ISR as OCW3 selected; data port: IMR; either is a
 * poll after OCW3 P; ELCR ports: the ELCR.  The caller answers other
 * sizes as KVM: reads 0, writes dropped.
 *
 * Return: 0, or -EINVAL for a port vtx_pic_port() refuses.
 */
int vtx_pic_read(struct vtx_pic *p, u16 port, u8 *val, struct vtx_pic_fx *fx)
{
	struct vtx_pic_chip *c;

	memset(fx, 0, sizeof(*fx));
	*val = 0;
	if (!vtx_pic_port(port))
		return -EINVAL;
	if (port == VTX_PIC_ELCR1 || port == VTX_PIC_ELCR2) {
		*val = p->chip[port & 1].elcr;
		return 0;
	}
	c = &p->chip[(port >> PORT_CHIP_SHIFT) & 1];
	if (c->poll) {
		*val = poll_read(p, c, fx);
		c->poll = 0;
	} else if (port & PORT_DATA) {
		*val = c->imr;
	} else {
		*val = c->read_reg_select ? c->isr : c->irr;
	}
	return 0;
}

/**
 * vtx_pic_write - a one-byte OUT to a PIC or ELCR port
 * @p: the PICs
 * @port: the port
 * @val: the byte
 * @fx: out, zeroed first: acknowledgments (EOIs; ICW1 with p->accepted),
 *	IMR changes, INTR change
 *
 * Command port: ICW1 (bit 4), else OCW3 (bit 3), else OCW2.  Data port:
 * ICW2-4 while initializing, else OCW1 (IMR).  ELCR: the bits its mask
 * allows.
 *
 * Return: 0, or -EINVAL for a port vtx_pic_port() refuses.
 */
int vtx_pic_write(struct vtx_pic *p, u16 port, u8 val, struct vtx_pic_fx *fx)
{
	struct vtx_pic_chip *c;

	memset(fx, 0, sizeof(*fx));
	if (!vtx_pic_port(port))
		return -EINVAL;
	if (port == VTX_PIC_ELCR1 || port == VTX_PIC_ELCR2) {
		c = &p->chip[port & 1];
		c->elcr = val & c->elcr_mask;
		return 0;
	}
	c = &p->chip[(port >> PORT_CHIP_SHIFT) & 1];
	if (port & PORT_DATA)
		write_data(p, c, val, fx);
	else
		write_cmd(p, c, val, fx);
	return 0;
}

/**
 * vtx_pic_set_irq - an input changes level
 * @p: the PICs
 * @irq: 0-7 master, 8-15 slave
 * @level: the line (the OR of its sources)
 * @fx: out, zeroed first: INTR change
 *
 * Return: as KVM's kvm_pic_set_irq(): -1 when the input is masked in IMR,
 * 0 when it was already requested (coalesced), 1 otherwise; -EINVAL for
 * @irq out of range.
 */
int vtx_pic_set_irq(struct vtx_pic *p, unsigned int irq, bool level,
		    struct vtx_pic_fx *fx)
{
	int ret;

	memset(fx, 0, sizeof(*fx));
	if (irq >= VTX_PIC_NUM_PINS)
		return -EINVAL;
	ret = set_irq1(&p->chip[irq / VTX_PIC_CHIP_PINS], irq & CHIP_MASK,
		       level);
	update(p, fx);
	return ret;
}

/* INTA on one chip: into service; auto-EOI takes it out again. */
static void intack(struct vtx_pic *p, struct vtx_pic_chip *c,
		   unsigned int ir, struct vtx_pic_fx *fx)
{
	c->isr |= IRQ_BIT(ir);
	/* a level request stays while its line is high */
	if (!(c->elcr & IRQ_BIT(ir)))
		c->irr &= ~IRQ_BIT(ir);
	if (c->auto_eoi) {
		if (c->rotate_on_auto_eoi)
			c->priority_add = (ir + 1) & CHIP_MASK;
		clear_isr(p, c, ir, fx);
	}
}

/**
 * vtx_pic_ack - the INTA cycle: the CPU takes the PICs' interrupt
 * @p: the PICs
 * @fx: out, zeroed first: auto-EOI acknowledgments, INTR change (a kick
 *	when another interrupt is waiting)
 *
 * The master's best request goes into service; for the cascade input the
 * slave's does too.  With no request left, the spurious IR7 (IRQ7, or
 * IRQ15 with the master's IR2 in service) is answered with nothing in
 * service on that chip.
 *
 * Return: the vector, ICW2's base + IR (modulo 256).
 */
u8 vtx_pic_ack(struct vtx_pic *p, struct vtx_pic_fx *fx)
{
	struct vtx_pic_chip *m = &p->chip[VTX_PIC_MASTER];
	struct vtx_pic_chip *s = &p->chip[VTX_PIC_SLAVE];
	bool was = p->output;
	int ir, ir2;
	u8 vector;

	memset(fx, 0, sizeof(*fx));
	/* KVM lowers INTR for the cycle: a request left raises it again */
	p->output = false;
	ir = get_irq(p, m);
	if (ir < 0) {
		vector = m->irq_base + SPURIOUS_IR;
	} else {
		intack(p, m, ir, fx);
		if (ir == VTX_PIC_CASCADE_IR) {
			ir2 = get_irq(p, s);
			if (ir2 >= 0)
				intack(p, s, ir2, fx);
			else
				ir2 = SPURIOUS_IR;
			vector = s->irq_base + ir2;
		} else {
			vector = m->irq_base + ir;
		}
	}
	update(p, fx);
	fx->flags &= ~VTX_PIC_FX_OUTPUT;
	if (p->output != was)
		fx->flags |= VTX_PIC_FX_OUTPUT;
	return vector;
}

/**
 * vtx_pic_get_state - KVM_GET_IRQCHIP (KVM_IRQCHIP_PIC_MASTER/SLAVE)
 * @p: the PICs
 * @chip: VTX_PIC_MASTER or VTX_PIC_SLAVE (= the KVM_IRQCHIP_PIC_* ids)
 * @state: out: every field as stored
 *
 * Return: 0, or -EINVAL for another @chip.
 */
int vtx_pic_get_state(const struct vtx_pic *p, unsigned int chip,
		      struct kvm_pic_state *state)
{
	const struct vtx_pic_chip *c;

	if (chip > VTX_PIC_SLAVE)
		return -EINVAL;
	c = &p->chip[chip];
	state->last_irr = c->last_irr;
	state->irr = c->irr;
	state->imr = c->imr;
	state->isr = c->isr;
	state->priority_add = c->priority_add;
	state->irq_base = c->irq_base;
	state->read_reg_select = c->read_reg_select;
	state->poll = c->poll;
	state->special_mask = c->special_mask;
	state->init_state = c->init_state;
	state->auto_eoi = c->auto_eoi;
	state->rotate_on_auto_eoi = c->rotate_on_auto_eoi;
	state->special_fully_nested_mode = c->special_fully_nested_mode;
	state->init4 = c->init4;
	state->elcr = c->elcr;
	state->elcr_mask = c->elcr_mask;
	return 0;
}

/**
 * vtx_pic_set_state - KVM_SET_IRQCHIP (KVM_IRQCHIP_PIC_MASTER/SLAVE)
 * @p: the PICs
 * @chip: VTX_PIC_MASTER or VTX_PIC_SLAVE
 * @state: any values (userspace's), taken as is as KVM does, elcr_mask
 *	included
 * @fx: out, zeroed first: INTR change
 *
 * Return: 0, or -EINVAL for another @chip.
 */
int vtx_pic_set_state(struct vtx_pic *p, unsigned int chip,
		      const struct kvm_pic_state *state, struct vtx_pic_fx *fx)
{
	struct vtx_pic_chip *c;

	memset(fx, 0, sizeof(*fx));
	if (chip > VTX_PIC_SLAVE)
		return -EINVAL;
	c = &p->chip[chip];
	c->last_irr = state->last_irr;
	c->irr = state->irr;
	c->imr = state->imr;
	c->isr = state->isr;
	c->priority_add = state->priority_add;
	c->irq_base = state->irq_base;
	c->read_reg_select = state->read_reg_select;
	c->poll = state->poll;
	c->special_mask = state->special_mask;
	c->init_state = state->init_state;
	c->auto_eoi = state->auto_eoi;
	c->rotate_on_auto_eoi = state->rotate_on_auto_eoi;
	c->special_fully_nested_mode = state->special_fully_nested_mode;
	c->init4 = state->init4;
	c->elcr = state->elcr;
	c->elcr_mask = state->elcr_mask;
	update(p, fx);
	return 0;
}
