// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - the IOAPIC as a register model (ioapic.h): the indirect register
 * window, the redirection table, edge and level pins with remote IRR, EOI
 * by vector, and KVM_GET/SET_IRQCHIP's struct kvm_ioapic_state.  Where the
 * 82093AA datasheet and KVM (arch/x86/kvm/ioapic.c of Linux 6.1) differ,
 * this follows KVM: what a guest and userspace see must be the same on
 * vtx and kvm_intel.
 *
 * Pin numbers come from the caller and are checked here; every index
 * derived from a guest or userspace value is bounded before use.
 */
#include "ioapic.h"

#define PIN_BIT(pin)	(1u << (pin))
#define RTE_INDEX(sel)	(((sel) - VTX_IOAPIC_REDTBL) >> 1)
#define HALF_SHIFT	32
#define LOW_HALF	0xffffffffull

static bool rte_level(u64 rte)
{
	return rte & VTX_IOAPIC_RTE_LEVEL;
}

/**
 * vtx_ioapic_reset - the state of a new IOAPIC, as KVM's kvm_ioapic_reset()
 * @io: the IOAPIC
 *
 * Every entry masked (0x10000: edge, fixed, vector 0, destination 0), ID 0,
 * the default base address, nothing requested.
 */
void vtx_ioapic_reset(struct vtx_ioapic *io)
{
	unsigned int i;

	memset(io, 0, sizeof(*io));
	io->base_address = VTX_IOAPIC_DEFAULT_BASE;
	for (i = 0; i < VTX_IOAPIC_NUM_PINS; i++)
		io->redirtbl[i] = VTX_IOAPIC_RTE_MASKED;
}

/*
 * Is @addr in the IOAPIC's window?  As KVM: checked against the base
 * address KVM_SET_IRQCHIP last set, though the device stays registered
 * at the default base (accesses elsewhere go to userspace).
 */
bool vtx_ioapic_in_range(const struct vtx_ioapic *io, u64 addr)
{
	return addr >= io->base_address &&
	       addr - io->base_address < VTX_IOAPIC_MEM_LENGTH;
}

static u32 read_indirect(const struct vtx_ioapic *io)
{
	u32 sel = io->ioregsel, index;
	u64 rte = ~0ull;

	switch (sel) {
	case VTX_IOAPIC_VER:
		return (VTX_IOAPIC_NUM_PINS - 1) << VTX_IOAPIC_MAX_REDIR_SHIFT |
		       VTX_IOAPIC_VERSION;
	case VTX_IOAPIC_ID:
	case VTX_IOAPIC_ARB:
		return (io->id & VTX_IOAPIC_ID_MASK) << VTX_IOAPIC_ID_SHIFT;
	}
	/* IOREGSEL 3-0xf wraps to a huge index: all ones, as KVM */
	index = RTE_INDEX(sel);
	if (index < VTX_IOAPIC_NUM_PINS)
		rte = io->redirtbl[index];
	return sel & 1 ? rte >> HALF_SHIFT : (u32)rte;
}

/**
 * vtx_ioapic_read - a read of the MMIO window
 * @io: the IOAPIC
 * @offset: the offset in the window (only bits 7:0 count)
 *
 * The caller turns the 32-bit result into the access's size (KVM: the low
 * bytes; an 8-byte read is zero-extended).
 *
 * Return: IOREGSEL at 0x00, the selected register at 0x10 (all ones for a
 * selector that names no register), 0 elsewhere (the EOI register at 0x40
 * is version 0x20's).
 */
u32 vtx_ioapic_read(const struct vtx_ioapic *io, u32 offset)
{
	switch (offset & VTX_IOAPIC_OFFSET_MASK) {
	case VTX_IOAPIC_REG_SELECT:
		return io->ioregsel;
	case VTX_IOAPIC_REG_WINDOW:
		return read_indirect(io);
	}
	return 0;
}

/*
 * Send the interrupt of @pin if its entry lets it: not masked, and for a
 * level pin no EOI outstanding.  A level message sets remote IRR (the
 * caller reports a delivery nobody accepted: vtx_ioapic_delivered()).
 *
 * Return: 1 when the message is left in @fx, -1 when the entry holds it
 * back (as KVM's ioapic_service()).
 */
static int service(struct vtx_ioapic *io, unsigned int pin,
		   struct vtx_ioapic_fx *fx)
{
	u64 *rte = &io->redirtbl[pin];

	if (*rte & VTX_IOAPIC_RTE_MASKED ||
	    (rte_level(*rte) && *rte & VTX_IOAPIC_RTE_REMOTE_IRR))
		return -1;
	if (rte_level(*rte))
		*rte |= VTX_IOAPIC_RTE_REMOTE_IRR;
	else
		io->irr_delivered |= PIN_BIT(pin);
	fx->flags |= VTX_IOAPIC_FX_DELIVER;
	fx->deliver |= PIN_BIT(pin);
	return 1;
}

static void write_rte(struct vtx_ioapic *io, unsigned int index, bool high,
		      u32 val, struct vtx_ioapic_fx *fx)
{
	u64 *rte = &io->redirtbl[index];
	u64 old = *rte;

	if (high)
		*rte = (old & LOW_HALF) | (u64)val << HALF_SHIFT;
	else
		*rte = (old & ~LOW_HALF) | val;
	/* delivery status and remote IRR are read-only; reserved bits are
	 * kept as written, as KVM keeps them
	 */
	*rte = (*rte & ~VTX_IOAPIC_RTE_RO) | (old & VTX_IOAPIC_RTE_RO);
	/*
	 * Remote IRR is cleared when the entry is edge-triggered: how Linux
	 * and Xen end a level interrupt on an IOAPIC without EOI register
	 * (mask + edge, then the entry back), as KVM emulates it.
	 */
	if (!rte_level(*rte))
		*rte &= ~VTX_IOAPIC_RTE_REMOTE_IRR;
	if ((old ^ *rte) & VTX_IOAPIC_RTE_MASKED) {
		fx->flags |= VTX_IOAPIC_FX_MASK;
		fx->mask_changed |= PIN_BIT(index);
		if (*rte & VTX_IOAPIC_RTE_MASKED)
			fx->masked |= PIN_BIT(index);
	}
	/* a level line still asserted: unmasked, or remote IRR gone */
	if (rte_level(*rte) && io->irr & PIN_BIT(index))
		service(io, index, fx);
	fx->flags |= VTX_IOAPIC_FX_ROUTE;
}

/**
 * vtx_ioapic_write - a write to the MMIO window
 * @io: the IOAPIC
 * @offset: the offset in the window (only bits 7:0 count)
 * @val: the value (the caller takes the access's low 4 bytes, as KVM)
 * @fx: out, zeroed first: deliveries (unmasking a level pin whose line
 *	is asserted, or writing it with remote IRR clear), mask changes,
 *	VTX_IOAPIC_FX_ROUTE for any redirection entry written
 *
 * IOREGSEL keeps 8 bits; the ID register bits 27:24; the version and
 * arbitration registers ignore writes; a selector that names no register
 * drops the write; other offsets are ignored.
 */
void vtx_ioapic_write(struct vtx_ioapic *io, u32 offset, u32 val,
		      struct vtx_ioapic_fx *fx)
{
	u32 index;

	memset(fx, 0, sizeof(*fx));
	switch (offset & VTX_IOAPIC_OFFSET_MASK) {
	case VTX_IOAPIC_REG_SELECT:
		io->ioregsel = val & VTX_LAPIC_BYTE;
		return;
	case VTX_IOAPIC_REG_WINDOW:
		break;
	default:
		return;
	}
	switch (io->ioregsel) {
	case VTX_IOAPIC_VER:
	case VTX_IOAPIC_ARB:
		return;
	case VTX_IOAPIC_ID:
		io->id = (val >> VTX_IOAPIC_ID_SHIFT) & VTX_IOAPIC_ID_MASK;
		return;
	}
	index = RTE_INDEX(io->ioregsel);
	if (index >= VTX_IOAPIC_NUM_PINS)
		return;
	write_rte(io, index, io->ioregsel & 1, val, fx);
}

/**
 * vtx_ioapic_set_irq - the line of @pin changes level
 * @io: the IOAPIC
 * @pin: 0-23
 * @level: the line, already the OR of its sources and with the entry's
 *	polarity not applied (as KVM: "asserted" is 1)
 * @fx: out, zeroed first: VTX_IOAPIC_FX_DELIVER when a message is to be
 *	delivered
 *
 * Edge: a request is taken when the IRR bit was clear (the line went
 * 0 -> 1) and sent unless masked; a masked edge stays in IRR, is not sent
 * on unmasking (as KVM: only level pins are) and makes further 1s
 * coalesce until the line goes low.  Level: IRR follows the line; an
 * asserted line is sent unless masked or remote IRR is set (an EOI
 * outstanding).
 *
 * Return: as KVM's ioapic_set_irq(): 1 when the line went low or a
 * message is to be delivered (the caller then returns the delivery's
 * count instead), 0 for a coalesced edge (IRR already set), -1 when the
 * entry held it back (masked, or level with remote IRR set), -EINVAL for
 * a pin out of range.
 */
int vtx_ioapic_set_irq(struct vtx_ioapic *io, unsigned int pin, bool level,
		       struct vtx_ioapic_fx *fx)
{
	u32 bit, old;

	memset(fx, 0, sizeof(*fx));
	if (pin >= VTX_IOAPIC_NUM_PINS)
		return -EINVAL;
	bit = PIN_BIT(pin);
	if (!level) {
		io->irr &= ~bit;
		return 1;
	}
	old = io->irr;
	io->irr |= bit;
	if (!rte_level(io->redirtbl[pin])) {
		io->irr_delivered &= ~bit;
		if (old & bit)
			return 0;
	}
	return service(io, pin, fx);
}

/**
 * vtx_ioapic_msg - the interrupt message of @pin's entry
 * @io: the IOAPIC
 * @pin: a pin of fx->deliver
 * @msg: out: destination (8 bits), physical or logical, delivery mode
 *	(the entry's 3-bit field as APIC_DM_*, passed on as KVM does, the
 *	reserved values included), vector, level (trigger mode), asserted,
 *	no shorthand
 */
void vtx_ioapic_msg(const struct vtx_ioapic *io, unsigned int pin,
		    struct vtx_lapic_ipi *msg)
{
	u64 rte;

	memset(msg, 0, sizeof(*msg));
	if (pin >= VTX_IOAPIC_NUM_PINS)
		return;
	rte = io->redirtbl[pin];
	msg->dest = rte >> VTX_IOAPIC_RTE_DEST_SHIFT;
	msg->delivery_mode = rte & VTX_IOAPIC_RTE_DELMODE;
	msg->shorthand = VTX_APIC_DEST_NOSHORT;
	msg->vector = rte & VTX_IOAPIC_RTE_VECTOR;
	msg->logical = rte & VTX_IOAPIC_RTE_LOGICAL;
	msg->level = rte_level(rte);
	msg->assert = true;
}

/**
 * vtx_ioapic_delivered - the outcome of delivering @pin's message
 * @io: the IOAPIC
 * @pin: the pin
 * @ret: as KVM's kvm_irq_delivery_to_apic(): -1 no destination, 0
 *	destinations that all refused it (software-disabled APICs), >0 the
 *	number that accepted
 *
 * As KVM, a level message sets remote IRR unless @ret is 0, so only that
 * case undoes it (the interrupt is sent again on the next rising line,
 * entry write or EOI).
 */
void vtx_ioapic_delivered(struct vtx_ioapic *io, unsigned int pin, int ret)
{
	if (pin < VTX_IOAPIC_NUM_PINS && ret == 0)
		io->redirtbl[pin] &= ~VTX_IOAPIC_RTE_REMOTE_IRR;
}

/**
 * vtx_ioapic_eoi_pins - the pins an EOI of @vector acknowledges
 * @io: the IOAPIC
 * @vector: the vector a local APIC's EOI took out of service
 *
 * The first half of an EOI: the caller tells the ack notifiers of each
 * pin (vtx_irq_ack_notify(), KVM calls them for every entry with the
 * vector, edge ones too) before vtx_ioapic_eoi(), so that a resampling
 * irqfd lowers its line before remote IRR is cleared and nothing is sent
 * again, as in KVM.
 *
 * Return: the mask of pins whose entry has @vector.
 */
u32 vtx_ioapic_eoi_pins(const struct vtx_ioapic *io, u8 vector)
{
	u32 pins = 0;
	unsigned int i;

	for (i = 0; i < VTX_IOAPIC_NUM_PINS; i++)
		if ((io->redirtbl[i] & VTX_IOAPIC_RTE_VECTOR) == vector)
			pins |= PIN_BIT(i);
	return pins;
}

/**
 * vtx_ioapic_eoi - the second half of an EOI broadcast
 * @io: the IOAPIC
 * @vector: the vector
 * @level: the EOI ends a level-triggered interrupt (the APIC's TMR bit)
 *	and is broadcast (no directed EOI in the APIC's SVR); otherwise
 *	nothing changes, as KVM
 * @fx: out, zeroed first: re-deliveries, VTX_IOAPIC_FX_EOI_DELAY
 *
 * Each entry with @vector loses remote IRR; one whose line is still
 * asserted (or, as KVM, an edge entry sharing the vector whose request
 * is still in IRR) and that is unmasked is sent again, except the 10000th time
 * in a row, when KVM leaves it for 10 ms (an interrupt storm from a guest
 * that does not silence its device makes slow progress, as on hardware).
 */
void vtx_ioapic_eoi(struct vtx_ioapic *io, u8 vector, bool level,
		    struct vtx_ioapic_fx *fx)
{
	u32 pins = vtx_ioapic_eoi_pins(io, vector);
	unsigned int i;

	memset(fx, 0, sizeof(*fx));
	if (!level)
		return;
	for (i = 0; i < VTX_IOAPIC_NUM_PINS; i++) {
		u64 *rte = &io->redirtbl[i];

		if (!(pins & PIN_BIT(i)))
			continue;
		*rte &= ~VTX_IOAPIC_RTE_REMOTE_IRR;
		if (*rte & VTX_IOAPIC_RTE_MASKED || !(io->irr & PIN_BIT(i))) {
			io->eoi_storm[i] = 0;
			continue;
		}
		if (++io->eoi_storm[i] == VTX_IOAPIC_STORM_EOIS) {
			io->eoi_storm[i] = 0;
			fx->flags |= VTX_IOAPIC_FX_EOI_DELAY;
			continue;
		}
		service(io, i, fx);
	}
}

/**
 * vtx_ioapic_eoi_inject - the delayed re-injection after a storm
 * @io: the IOAPIC
 * @fx: out, zeroed first: deliveries
 *
 * Every level pin whose line is asserted and that has no EOI outstanding
 * is sent (KVM's kvm_ioapic_eoi_inject_work()).
 */
void vtx_ioapic_eoi_inject(struct vtx_ioapic *io, struct vtx_ioapic_fx *fx)
{
	unsigned int i;

	memset(fx, 0, sizeof(*fx));
	for (i = 0; i < VTX_IOAPIC_NUM_PINS; i++) {
		u64 rte = io->redirtbl[i];

		if (rte_level(rte) && io->irr & PIN_BIT(i) &&
		    !(rte & VTX_IOAPIC_RTE_REMOTE_IRR))
			service(io, i, fx);
	}
}

/**
 * vtx_ioapic_get_state - KVM_GET_IRQCHIP (KVM_IRQCHIP_IOAPIC)
 * @io: the IOAPIC
 * @state: out
 *
 * As KVM, irr shows the asserted level lines and the edge requests not
 * yet delivered (held back by the mask); everything else as stored.
 */
void vtx_ioapic_get_state(const struct vtx_ioapic *io,
			  struct kvm_ioapic_state *state)
{
	unsigned int i;

	memset(state, 0, sizeof(*state));
	state->base_address = io->base_address;
	state->ioregsel = io->ioregsel;
	state->id = io->id;
	state->irr = io->irr & ~io->irr_delivered;
	state->pad = io->pad;
	for (i = 0; i < VTX_IOAPIC_NUM_PINS; i++)
		state->redirtbl[i].bits = io->redirtbl[i];
}

/**
 * vtx_ioapic_set_state - KVM_SET_IRQCHIP (KVM_IRQCHIP_IOAPIC)
 * @io: the IOAPIC
 * @state: the new state, any values (userspace's)
 * @fx: out, zeroed first: VTX_IOAPIC_FX_ROUTE, and the deliveries of the
 *	pins @state->irr raises
 *
 * As KVM: every field is taken as is (remote IRR too), then IRR starts
 * empty and each pin of @state->irr (bits 23:0) is raised as by
 * vtx_ioapic_set_irq(), which sends what the entries let through.
 */
void vtx_ioapic_set_state(struct vtx_ioapic *io,
			  const struct kvm_ioapic_state *state,
			  struct vtx_ioapic_fx *fx)
{
	struct vtx_ioapic_fx one;
	unsigned int i;

	memset(fx, 0, sizeof(*fx));
	io->base_address = state->base_address;
	io->ioregsel = state->ioregsel;
	io->id = state->id;
	io->pad = state->pad;
	for (i = 0; i < VTX_IOAPIC_NUM_PINS; i++)
		io->redirtbl[i] = state->redirtbl[i].bits;
	io->irr = 0;
	io->irr_delivered = 0;
	for (i = 0; i < VTX_IOAPIC_NUM_PINS; i++) {
		if (!(state->irr & PIN_BIT(i)))
			continue;
		vtx_ioapic_set_irq(io, i, true, &one);
		fx->flags |= one.flags;
		fx->deliver |= one.deliver;
	}
	fx->flags |= VTX_IOAPIC_FX_ROUTE;
}
