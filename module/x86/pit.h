/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtx - the 8254 programmable interval timer as a register model, the PIT
 * of KVM_CREATE_PIT2 (issue 16, Documentation/vtx/design.rst section 14).
 *
 * struct vtx_pit is the three channels at ports 0x40-0x42 with the command
 * port 0x43, the speaker port 0x61 (KVM_PIT_SPEAKER_DUMMY: channel 2's gate
 * and output), channel 0's timer and KVM's reinjection state.  A channel's
 * state is kept in the layout of struct kvm_pit_channel_state, what
 * KVM_GET/SET_PIT2 copy.  The functions here change that state only;
 * whatever must happen elsewhere (pulse IRQ0, arm channel 0's timer at an
 * absolute time, cancel it) is reported to the caller in struct
 * vtx_pit_fx.  Time is passed in by the caller in nanoseconds of its own
 * monotonic clock; count_load_time is kept in that clock.
 *
 * No locking here: the caller serializes all calls on one struct vtx_pit
 * (the PIT's lock).
 *
 * Nothing here includes a kernel header other than the uapi <linux/kvm.h>,
 * so pit.c also builds into the host-side unit test (selftests/pit).
 */
#ifndef VTX_PIT_H
#define VTX_PIT_H

#include "emulate_types.h"
#include <linux/kvm.h>

#define VTX_PIT_NR_CHANNELS	3
/* Ports 0x40-0x42: the channels' counters; 0x43: the command port. */
#define VTX_PIT_PORT_BASE	0x40
#define VTX_PIT_PORT_CMD	0x43
#define VTX_PIT_NR_PORTS	4
/* The speaker port (KVM_PIT_SPEAKER_DUMMY). */
#define VTX_PIT_PORT_SPEAKER	0x61
/* The PIT's input clock, KVM's KVM_PIT_FREQ (i8254.h): 1193181 Hz. */
#define VTX_PIT_FREQ		1193181u
/* Channel 0's output drives IRQ0 (GSI 0). */
#define VTX_PIT_CHANNEL_IRQ	0
/* Channel 2's gate and output are on the speaker port. */
#define VTX_PIT_CHANNEL_SPEAKER	2
/* An initial count of 0 is 2^16. */
#define VTX_PIT_COUNT_MAX	0x10000u
/* KVM's mode at reset: no mode programmed, channel 0 does not count. */
#define VTX_PIT_MODE_NONE	0xff
/* KVM's minimum periodic interval (min_timer_period_us = 200). */
#define VTX_PIT_MIN_PERIOD_NS	200000ull
/* Bound of the ticks counted for reinjection (KVM's atomic_t). */
#define VTX_PIT_MAX_PENDING	0x7fffffffu

/* read_state, write_state, rw_mode and count_latched values (KVM's). */
#define VTX_PIT_RW_LSB		1	/* low byte only */
#define VTX_PIT_RW_MSB		2	/* high byte only */
#define VTX_PIT_RW_WORD0	3	/* low byte, then high byte: low next */
#define VTX_PIT_RW_WORD1	4	/* ... high byte next */

/* Command port: SC (bits 7:6), RW (5:4), M (3:1), BCD (0). */
#define VTX_PIT_CMD_SC_SHIFT	6
#define VTX_PIT_CMD_READBACK	3	/* SC = 3: the read-back command */
#define VTX_PIT_CMD_RW_SHIFT	4
#define VTX_PIT_CMD_RW_MASK	3
#define VTX_PIT_CMD_RW_LATCH	0	/* RW = 0: counter latch command */
#define VTX_PIT_CMD_M_SHIFT	1
#define VTX_PIT_CMD_M_MASK	7
#define VTX_PIT_CMD_BCD		0x01
/* Read-back: bit 5 clear latches counts, bit 4 clear latches status. */
#define VTX_PIT_RB_NO_COUNT	0x20
#define VTX_PIT_RB_NO_STATUS	0x10
#define VTX_PIT_RB_CHANNEL(c)	(2u << (c))
/* Status byte: OUT (bit 7), then RW, M and BCD as in the command. */
#define VTX_PIT_STATUS_OUT	0x80

/* Port 0x61: what KVM's speaker device keeps and returns. */
#define VTX_PIT_SPK_GATE2	0x01	/* channel 2's gate (r/w) */
#define VTX_PIT_SPK_DATA	0x02	/* speaker data (r/w, SPEAKER_DATA_ON) */
#define VTX_PIT_SPK_REFRESH	0x10	/* refresh toggle (read) */
#define VTX_PIT_SPK_OUT2	0x20	/* channel 2's output (read) */
/* The refresh bit toggles every 2^14 ns (KVM's ~15 us approximation). */
#define VTX_PIT_REFRESH_SHIFT	14

/* What KVM_CREATE_PIT2 and the module decide. */
struct vtx_pit_config {
	u32 flags;		/* struct kvm_pit_config: KVM_PIT_SPEAKER_DUMMY */
	u64 min_period;		/* ns, VTX_PIT_MIN_PERIOD_NS */
};

struct vtx_pit {
	/* KVM_GET/SET_PIT2's channels; count_load_time in the caller's ns */
	struct kvm_pit_channel_state ch[VTX_PIT_NR_CHANNELS];
	u32 flags;		/* KVM_PIT_FLAGS_* as KVM_SET_PIT2 gave them */
	struct vtx_pit_config cfg;
	bool irqchip_kernel;	/* the in-kernel IOAPIC exists: channel 0
				 * may arm (KVM's ioapic_in_kernel())
				 */
	/* channel 0's timer (KVM's hrtimer): deadline kept when stopped */
	bool armed;
	bool periodic;
	u64 period;		/* ns, 0 before the first load */
	u64 deadline;		/* ns, the next (or last) expiry */
	/* KVM_REINJECT_CONTROL */
	bool reinject;
	bool irq_ack;		/* the last pulse was acknowledged */
	u32 pending;		/* ticks not yet acknowledged */
};

/* What a call leaves for the caller to do (flags in .flags). */
#define VTX_PIT_FX_IRQ0		0x01	/* pulse IRQ0: raise, then lower */
#define VTX_PIT_FX_ARM		0x02	/* (re)arm channel 0 at .deadline */
#define VTX_PIT_FX_CANCEL	0x04	/* cancel channel 0's timer */

struct vtx_pit_fx {
	u32 flags;
	u64 deadline;		/* absolute ns, with VTX_PIT_FX_ARM */
};

void vtx_pit_init(struct vtx_pit *p, const struct vtx_pit_config *cfg,
		  u64 now, struct vtx_pit_fx *fx);

int vtx_pit_read(struct vtx_pit *p, u16 port, u64 now, u8 *val);
int vtx_pit_write(struct vtx_pit *p, u16 port, u8 val, u64 now,
		  struct vtx_pit_fx *fx);

u32 vtx_pit_count(const struct vtx_pit *p, unsigned int channel, u64 now);
bool vtx_pit_out(const struct vtx_pit *p, unsigned int channel, u64 now);

bool vtx_pit_timer_deadline(const struct vtx_pit *p, u64 *when);
u64 vtx_pit_timer_expire(struct vtx_pit *p, u64 now, struct vtx_pit_fx *fx);
void vtx_pit_ack(struct vtx_pit *p, struct vtx_pit_fx *fx);
void vtx_pit_irq_unmasked(struct vtx_pit *p);
void vtx_pit_set_reinject(struct vtx_pit *p, bool reinject);

void vtx_pit_get_state2(const struct vtx_pit *p, struct kvm_pit_state2 *ps);
void vtx_pit_set_state2(struct vtx_pit *p, const struct kvm_pit_state2 *ps,
			u64 now, struct vtx_pit_fx *fx);
void vtx_pit_get_state(const struct vtx_pit *p, struct kvm_pit_state *ps);
void vtx_pit_set_state(struct vtx_pit *p, const struct kvm_pit_state *ps,
		       u64 now, struct vtx_pit_fx *fx);

#endif /* VTX_PIT_H */
