// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - the 8254 PIT as a register model (pit.h), with the behaviour of
 * KVM's in-kernel PIT (arch/x86/kvm/i8254.c of Linux 6.1) where it and the
 * 8254 data sheet differ: counting is binary even with BCD set, the gate
 * only restarts a count on a rising edge (modes 1, 2, 3, 5), a command
 * word changes nothing until the count is written, mode 3 counts down by
 * two, channel 0 arms a one-shot timer in modes 0, 1 and 4, a periodic one
 * in modes 2 and 3, none in mode 5, and channel 0's count is derived from
 * that timer.
 *
 * Return values: 0, or -EOPNOTSUPP for a port that is not the PIT's.
 */
#include "pit.h"

#define NS_PER_SEC	1000000000ull
#define BYTE_MASK	0xffu
#define BYTE_SHIFT	8
#define COUNT_MASK	0xffffu

/* PIT input clock ticks in @ns nanoseconds, without 64-bit overflow. */
static u64 ns_to_ticks(u64 ns)
{
	return ns / NS_PER_SEC * VTX_PIT_FREQ +
	       ns % NS_PER_SEC * VTX_PIT_FREQ / NS_PER_SEC;
}

/* Nanoseconds of @count ticks (count < 2^32: no overflow). */
static u64 ticks_to_ns(u32 count)
{
	return (u64)count * NS_PER_SEC / VTX_PIT_FREQ;
}

/*
 * Nanoseconds since @channel's count started.  Channel 0's comes from its
 * timer as KVM's (the period less the time to the deadline, 0 before the
 * first period); the others' from count_load_time.
 */
static u64 elapsed(const struct vtx_pit *p, unsigned int channel, u64 now)
{
	u64 e;

	if (channel == VTX_PIT_CHANNEL_IRQ) {
		if (!p->period)
			return 0;
		e = now - p->deadline + p->period;
	} else {
		e = now - (u64)p->ch[channel].count_load_time;
	}
	/* a start in the future (a clock going back) is no time at all */
	return (s64)e < 0 ? 0 : e;
}

/* The initial count; never 0 (a load turns 0 into 2^16). */
static u64 initial_count(const struct kvm_pit_channel_state *c)
{
	return c->count ? c->count : VTX_PIT_COUNT_MAX;
}

/**
 * vtx_pit_count - a channel's current count
 * @p: the PIT
 * @channel: 0 to 2
 * @now: the caller's clock, ns
 *
 * Modes 0, 1, 4 and 5 wrap around through 0xffff; mode 3 counts down by
 * two; modes 2 and 3 reload from the initial count, as KVM's
 * pit_get_count().
 *
 * Return: the count (up to 2^16 in modes 2 and 3), 0 for a bad channel.
 */
u32 vtx_pit_count(const struct vtx_pit *p, unsigned int channel, u64 now)
{
	const struct kvm_pit_channel_state *c;
	u64 d, n;

	if (channel >= VTX_PIT_NR_CHANNELS)
		return 0;
	c = &p->ch[channel];
	n = initial_count(c);
	d = ns_to_ticks(elapsed(p, channel, now));
	switch (c->mode) {
	case 0:
	case 1:
	case 4:
	case 5:
		return (u32)(n - d) & COUNT_MASK;
	case 3:
		return n - (2 * d) % n;
	default:
		return n - d % n;
	}
}

/**
 * vtx_pit_out - a channel's output
 * @p: the PIT
 * @channel: 0 to 2
 * @now: the caller's clock, ns
 *
 * As KVM's pit_get_out(): mode 0 (and an unprogrammed channel) high from
 * terminal count on; mode 1 low until terminal count; mode 2 high on each
 * reload; mode 3 high for the first half of each period; modes 4 and 5
 * high at terminal count only.
 *
 * Return: the output level, false for a bad channel.
 */
bool vtx_pit_out(const struct vtx_pit *p, unsigned int channel, u64 now)
{
	const struct kvm_pit_channel_state *c;
	u64 d, n;

	if (channel >= VTX_PIT_NR_CHANNELS)
		return false;
	c = &p->ch[channel];
	n = initial_count(c);
	d = ns_to_ticks(elapsed(p, channel, now));
	switch (c->mode) {
	case 1:
		return d < n;
	case 2:
		return d % n == 0 && d != 0;
	case 3:
		return d % n < (n + 1) / 2;
	case 4:
	case 5:
		return d == n;
	default:
		return d >= n;
	}
}

static void latch_count(struct vtx_pit *p, unsigned int channel, u64 now)
{
	struct kvm_pit_channel_state *c = &p->ch[channel];

	if (c->count_latched)
		return;
	c->latched_count = vtx_pit_count(p, channel, now);
	c->count_latched = c->rw_mode;
}

static void latch_status(struct vtx_pit *p, unsigned int channel, u64 now)
{
	struct kvm_pit_channel_state *c = &p->ch[channel];

	if (c->status_latched)
		return;
	/* No NULL COUNT (bit 6), as KVM. */
	c->status = (vtx_pit_out(p, channel, now) ? VTX_PIT_STATUS_OUT : 0) |
		    c->rw_mode << VTX_PIT_CMD_RW_SHIFT |
		    c->mode << VTX_PIT_CMD_M_SHIFT | c->bcd;
	c->status_latched = 1;
}

/* ------------------------------------------------ channel 0's timer -- */

static void fx_arm(struct vtx_pit *p, struct vtx_pit_fx *fx)
{
	fx->flags &= ~VTX_PIT_FX_CANCEL;
	fx->flags |= VTX_PIT_FX_ARM;
	fx->deadline = p->deadline;
}

static void reset_reinject(struct vtx_pit *p)
{
	p->pending = 0;
	p->irq_ack = true;
}

/*
 * One pulse on IRQ0, unless reinjection waits for the previous one's
 * acknowledgment (KVM's pit_do_work()).
 */
static void deliver(struct vtx_pit *p, struct vtx_pit_fx *fx)
{
	if (p->reinject) {
		if (!p->irq_ack)
			return;
		p->irq_ack = false;
	}
	fx->flags |= VTX_PIT_FX_IRQ0;
}

/*
 * Arm channel 0 for @count ticks from @now (KVM's create_pit_timer()):
 * nothing without the in-kernel IOAPIC or in HPET legacy mode (the timer,
 * if any, keeps running); a periodic period no shorter than the minimum;
 * the first expiry one interval from now.
 */
static void start_timer(struct vtx_pit *p, u32 count, bool periodic, u64 now,
			struct vtx_pit_fx *fx)
{
	u64 interval = ticks_to_ns(count);

	if (!p->irqchip_kernel || (p->flags & KVM_PIT_FLAGS_HPET_LEGACY))
		return;
	p->period = interval;
	if (periodic && p->period < p->cfg.min_period)
		p->period = p->cfg.min_period;
	p->periodic = periodic;
	reset_reinject(p);
	p->armed = true;
	p->deadline = now + interval;
	fx_arm(p, fx);
}

/* Stop channel 0; the period and deadline stay for its count. */
static void stop_timer(struct vtx_pit *p, struct vtx_pit_fx *fx)
{
	p->armed = false;
	fx->flags &= ~VTX_PIT_FX_ARM;
	fx->flags |= VTX_PIT_FX_CANCEL;
}

/*
 * A count written (KVM's pit_load_count()): 0 is 2^16; channels 1 and 2
 * restart counting, channel 0 (re)arms its timer by its mode, or stops it
 * in mode 5 or unprogrammed (@stop: HPET legacy mode starts).
 */
static void load_count(struct vtx_pit *p, unsigned int channel, u32 val,
		       bool stop, u64 now, struct vtx_pit_fx *fx)
{
	struct kvm_pit_channel_state *c = &p->ch[channel];

	if (!val)
		val = VTX_PIT_COUNT_MAX;
	c->count = val;
	if (channel != VTX_PIT_CHANNEL_IRQ) {
		c->count_load_time = (s64)now;
		return;
	}
	switch (stop ? VTX_PIT_MODE_NONE : c->mode) {
	case 0:
	case 1:
	case 4:
		start_timer(p, val, false, now, fx);
		break;
	case 2:
	case 3:
		start_timer(p, val, true, now, fx);
		break;
	default:
		stop_timer(p, fx);
		break;
	}
}

/**
 * vtx_pit_timer_deadline - when channel 0's timer next expires
 * @p: the PIT
 * @when: out: absolute ns
 *
 * Return: false when it is not armed.
 */
bool vtx_pit_timer_deadline(const struct vtx_pit *p, u64 *when)
{
	if (!p->armed)
		return false;
	*when = p->deadline;
	return true;
}

/**
 * vtx_pit_timer_expire - the caller's timer for channel 0 fired
 * @p: the PIT
 * @now: the caller's clock, ns (at or after the deadline)
 * @fx: out: VTX_PIT_FX_IRQ0 for a pulse, VTX_PIT_FX_ARM for the next period
 *
 * A periodic timer's next deadline follows the previous deadline, not
 * @now; after a long gap it jumps past @now, and the periods missed are
 * one timer expiry here, never a burst of them.  With reinjection (the
 * default, KVM_REINJECT_CONTROL) every tick is counted in .pending and
 * delivered one per acknowledgment (vtx_pit_ack()); without it the ticks
 * of one expiry are one pulse.
 *
 * Return: the number of ticks that expired (0 if not armed or early).
 */
u64 vtx_pit_timer_expire(struct vtx_pit *p, u64 now, struct vtx_pit_fx *fx)
{
	u64 n = 1;

	if (!p->armed)
		return 0;
	if ((s64)(now - p->deadline) < 0) {
		fx_arm(p, fx);
		return 0;
	}
	if (p->periodic && p->period) {
		n += (now - p->deadline) / p->period;
		p->deadline += n * p->period;
		fx_arm(p, fx);
	} else {
		p->armed = false;
	}
	if (p->reinject)
		p->pending = n >= VTX_PIT_MAX_PENDING - p->pending ?
			     VTX_PIT_MAX_PENDING : p->pending + n;
	deliver(p, fx);
	return n;
}

/**
 * vtx_pit_ack - IRQ0 was acknowledged (EOI at the PIC or IOAPIC)
 * @p: the PIT
 * @fx: out: VTX_PIT_FX_IRQ0 when another counted tick is due
 *
 * With reinjection only (KVM registers its ack notifier then): the
 * acknowledged tick leaves .pending, and the next one, if any, is pulsed.
 */
void vtx_pit_ack(struct vtx_pit *p, struct vtx_pit_fx *fx)
{
	if (!p->reinject)
		return;
	p->irq_ack = true;
	if (p->pending && --p->pending)
		deliver(p, fx);
}

/**
 * vtx_pit_irq_unmasked - IRQ0 was unmasked at the PIC or IOAPIC
 * @p: the PIT
 *
 * With reinjection (KVM's mask notifier) the ticks counted while it was
 * masked are dropped.
 */
void vtx_pit_irq_unmasked(struct vtx_pit *p)
{
	if (p->reinject)
		reset_reinject(p);
}

/**
 * vtx_pit_set_reinject - KVM_REINJECT_CONTROL
 * @p: the PIT
 * @reinject: count missed ticks (true) or coalesce them
 *
 * Turning it on starts from no pending ticks.
 */
void vtx_pit_set_reinject(struct vtx_pit *p, bool reinject)
{
	if (p->reinject == reinject)
		return;
	if (reinject)
		reset_reinject(p);
	p->reinject = reinject;
}

/* ------------------------------------------------------------ ports -- */

static void set_gate(struct vtx_pit *p, unsigned int channel, u8 val, u64 now)
{
	struct kvm_pit_channel_state *c = &p->ch[channel];

	switch (c->mode) {
	case 1:
	case 2:
	case 3:
	case 5:
		/* a rising edge restarts the count */
		if (c->gate < val)
			c->count_load_time = (s64)now;
		break;
	default:
		/* modes 0 and 4 keep counting, as KVM */
		break;
	}
	c->gate = val;
}

static void write_command(struct vtx_pit *p, u8 val, u64 now)
{
	unsigned int sc = val >> VTX_PIT_CMD_SC_SHIFT;
	unsigned int rw = (val >> VTX_PIT_CMD_RW_SHIFT) & VTX_PIT_CMD_RW_MASK;
	struct kvm_pit_channel_state *c;
	unsigned int i, mode;

	if (sc == VTX_PIT_CMD_READBACK) {
		for (i = 0; i < VTX_PIT_NR_CHANNELS; i++) {
			if (!(val & VTX_PIT_RB_CHANNEL(i)))
				continue;
			if (!(val & VTX_PIT_RB_NO_COUNT))
				latch_count(p, i, now);
			if (!(val & VTX_PIT_RB_NO_STATUS))
				latch_status(p, i, now);
		}
		return;
	}
	if (rw == VTX_PIT_CMD_RW_LATCH) {
		latch_count(p, sc, now);
		return;
	}
	c = &p->ch[sc];
	c->rw_mode = rw;
	c->read_state = rw;
	c->write_state = rw;
	/* modes 6 and 7 are 2 and 3 */
	mode = (val >> VTX_PIT_CMD_M_SHIFT) & VTX_PIT_CMD_M_MASK;
	c->mode = mode > 5 ? mode - 4 : mode;
	c->bcd = val & VTX_PIT_CMD_BCD;
}

static void write_counter(struct vtx_pit *p, unsigned int channel, u8 val,
			  u64 now, struct vtx_pit_fx *fx)
{
	struct kvm_pit_channel_state *c = &p->ch[channel];

	switch (c->write_state) {
	case VTX_PIT_RW_MSB:
		load_count(p, channel, (u32)val << BYTE_SHIFT, false, now, fx);
		break;
	case VTX_PIT_RW_WORD0:
		c->write_latch = val;
		c->write_state = VTX_PIT_RW_WORD1;
		break;
	case VTX_PIT_RW_WORD1:
		load_count(p, channel, c->write_latch | (u32)val << BYTE_SHIFT,
			   false, now, fx);
		c->write_state = VTX_PIT_RW_WORD0;
		break;
	default:	/* VTX_PIT_RW_LSB, and any other value */
		load_count(p, channel, val, false, now, fx);
		break;
	}
}

static u8 read_counter(struct vtx_pit *p, unsigned int channel, u64 now)
{
	struct kvm_pit_channel_state *c = &p->ch[channel];
	u8 ret;

	if (c->status_latched) {
		c->status_latched = 0;
		return c->status;
	}
	if (c->count_latched) {
		switch (c->count_latched) {
		case VTX_PIT_RW_MSB:
			ret = c->latched_count >> BYTE_SHIFT;
			c->count_latched = 0;
			break;
		case VTX_PIT_RW_WORD0:
			ret = c->latched_count & BYTE_MASK;
			c->count_latched = VTX_PIT_RW_MSB;
			break;
		default:	/* VTX_PIT_RW_LSB, and any other value */
			ret = c->latched_count & BYTE_MASK;
			c->count_latched = 0;
			break;
		}
		return ret;
	}
	switch (c->read_state) {
	case VTX_PIT_RW_MSB:
		return vtx_pit_count(p, channel, now) >> BYTE_SHIFT;
	case VTX_PIT_RW_WORD0:
		c->read_state = VTX_PIT_RW_WORD1;
		return vtx_pit_count(p, channel, now) & BYTE_MASK;
	case VTX_PIT_RW_WORD1:
		c->read_state = VTX_PIT_RW_WORD0;
		return vtx_pit_count(p, channel, now) >> BYTE_SHIFT;
	default:	/* VTX_PIT_RW_LSB, and any other value */
		return vtx_pit_count(p, channel, now) & BYTE_MASK;
	}
}

static bool speaker_port(const struct vtx_pit *p, u16 port)
{
	return port == VTX_PIT_PORT_SPEAKER &&
	       (p->cfg.flags & KVM_PIT_SPEAKER_DUMMY);
}

/**
 * vtx_pit_read - IN from a PIT port (one byte)
 * @p: the PIT
 * @port: 0x40-0x43, or 0x61 with KVM_PIT_SPEAKER_DUMMY
 * @now: the caller's clock, ns
 * @val: out: the byte read (the command port reads 0)
 *
 * Port 0x61 reads the speaker data bit, channel 2's gate and output and a
 * refresh bit that toggles every 2^14 ns, as KVM's speaker device.
 *
 * Return: 0, or -EOPNOTSUPP (not a PIT port: @val untouched).
 */
int vtx_pit_read(struct vtx_pit *p, u16 port, u64 now, u8 *val)
{
	const struct kvm_pit_channel_state *c2;

	if (speaker_port(p, port)) {
		c2 = &p->ch[VTX_PIT_CHANNEL_SPEAKER];
		*val = c2->gate;
		if (p->flags & KVM_PIT_FLAGS_SPEAKER_DATA_ON)
			*val |= VTX_PIT_SPK_DATA;
		if (vtx_pit_out(p, VTX_PIT_CHANNEL_SPEAKER, now))
			*val |= VTX_PIT_SPK_OUT2;
		if ((now >> VTX_PIT_REFRESH_SHIFT) & 1)
			*val |= VTX_PIT_SPK_REFRESH;
		return 0;
	}
	if (port < VTX_PIT_PORT_BASE ||
	    port >= VTX_PIT_PORT_BASE + VTX_PIT_NR_PORTS)
		return -EOPNOTSUPP;
	if (port == VTX_PIT_PORT_CMD) {
		*val = 0;
		return 0;
	}
	*val = read_counter(p, port - VTX_PIT_PORT_BASE, now);
	return 0;
}

/**
 * vtx_pit_write - OUT to a PIT port (the low byte of the access)
 * @p: the PIT
 * @port: 0x40-0x43, or 0x61 with KVM_PIT_SPEAKER_DUMMY
 * @val: the byte
 * @now: the caller's clock, ns
 * @fx: out: channel 0's timer to arm or cancel
 *
 * Return: 0, or -EOPNOTSUPP (not a PIT port).
 */
int vtx_pit_write(struct vtx_pit *p, u16 port, u8 val, u64 now,
		  struct vtx_pit_fx *fx)
{
	if (speaker_port(p, port)) {
		if (val & VTX_PIT_SPK_DATA)
			p->flags |= KVM_PIT_FLAGS_SPEAKER_DATA_ON;
		else
			p->flags &= ~KVM_PIT_FLAGS_SPEAKER_DATA_ON;
		set_gate(p, VTX_PIT_CHANNEL_SPEAKER, val & VTX_PIT_SPK_GATE2,
			 now);
		return 0;
	}
	if (port < VTX_PIT_PORT_BASE ||
	    port >= VTX_PIT_PORT_BASE + VTX_PIT_NR_PORTS)
		return -EOPNOTSUPP;
	if (port == VTX_PIT_PORT_CMD)
		write_command(p, val, now);
	else
		write_counter(p, port - VTX_PIT_PORT_BASE, val, now, fx);
	return 0;
}

/* ------------------------------------------------------------ state -- */

/**
 * vtx_pit_init - the PIT as KVM_CREATE_PIT2 makes it (KVM's kvm_pit_reset())
 * @p: the PIT
 * @cfg: KVM_CREATE_PIT2's flags, the minimum period
 * @now: the caller's clock, ns
 * @fx: out: VTX_PIT_FX_CANCEL
 *
 * Every channel unprogrammed (mode 0xff) with count 2^16, gates 1, 1, 0,
 * no flags, reinjection on.  .irqchip_kernel starts false: the caller sets
 * it while the VM has the in-kernel IOAPIC.
 */
void vtx_pit_init(struct vtx_pit *p, const struct vtx_pit_config *cfg,
		  u64 now, struct vtx_pit_fx *fx)
{
	unsigned int i;

	memset(p, 0, sizeof(*p));
	p->cfg = *cfg;
	for (i = 0; i < VTX_PIT_NR_CHANNELS; i++) {
		p->ch[i].mode = VTX_PIT_MODE_NONE;
		p->ch[i].gate = i != VTX_PIT_CHANNEL_SPEAKER;
		load_count(p, i, 0, false, now, fx);
	}
	reset_reinject(p);
	vtx_pit_set_reinject(p, true);
}

/**
 * vtx_pit_get_state2 - KVM_GET_PIT2
 * @p: the PIT
 * @ps: out: the channels as they are kept, the flags, reserved zero
 */
void vtx_pit_get_state2(const struct vtx_pit *p, struct kvm_pit_state2 *ps)
{
	memset(ps, 0, sizeof(*ps));
	memcpy(ps->channels, p->ch, sizeof(ps->channels));
	ps->flags = p->flags;
}

/*
 * Take the channels as given, as KVM: nothing is refused.  Every count is
 * loaded again (0 becomes 2^16, channels 1 and 2 restart at @now, channel
 * 0 re-arms by its mode), so count_load_time of channels 1 and 2 is @now
 * and channel 0's is kept but unused.  Unknown modes count as mode 2,
 * output as mode 0 and stop channel 0; unknown read/write/latch states act
 * as LSB.
 */
static void set_channels(struct vtx_pit *p,
			 const struct kvm_pit_channel_state *ch, bool hpet_start,
			 u64 now, struct vtx_pit_fx *fx)
{
	unsigned int i;

	memcpy(p->ch, ch, sizeof(p->ch));
	for (i = 0; i < VTX_PIT_NR_CHANNELS; i++)
		load_count(p, i, p->ch[i].count,
			   hpet_start && i == VTX_PIT_CHANNEL_IRQ, now, fx);
}

/**
 * vtx_pit_set_state2 - KVM_SET_PIT2
 * @p: the PIT
 * @ps: the new state; flags are kept as given (KVM refuses none)
 * @now: the caller's clock, ns
 * @fx: out: channel 0's timer to arm or cancel
 *
 * Setting KVM_PIT_FLAGS_HPET_LEGACY stops channel 0 (the HPET drives IRQ0
 * then); while it is set channel 0 does not arm.
 */
void vtx_pit_set_state2(struct vtx_pit *p, const struct kvm_pit_state2 *ps,
			u64 now, struct vtx_pit_fx *fx)
{
	bool hpet_start = !(p->flags & KVM_PIT_FLAGS_HPET_LEGACY) &&
			  (ps->flags & KVM_PIT_FLAGS_HPET_LEGACY);

	p->flags = ps->flags;
	set_channels(p, ps->channels, hpet_start, now, fx);
}

/**
 * vtx_pit_get_state - KVM_GET_PIT: the channels only
 * @p: the PIT
 * @ps: out
 */
void vtx_pit_get_state(const struct vtx_pit *p, struct kvm_pit_state *ps)
{
	memcpy(ps->channels, p->ch, sizeof(ps->channels));
}

/**
 * vtx_pit_set_state - KVM_SET_PIT: the channels only, flags unchanged
 * @p: the PIT
 * @ps: the new channels
 * @now: the caller's clock, ns
 * @fx: out: channel 0's timer to arm or cancel
 */
void vtx_pit_set_state(struct vtx_pit *p, const struct kvm_pit_state *ps,
		       u64 now, struct vtx_pit_fx *fx)
{
	set_channels(p, ps->channels, false, now, fx);
}
