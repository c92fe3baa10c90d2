// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side unit test of module/x86/pit.c, the 8254 PIT register model.
 *
 * The expected values are written here as the numbers of the 8254 data
 * sheet (ports, command and status bits, access modes) and, where KVM's
 * PIT (arch/x86/kvm/i8254.c of Linux 6.1) decides, KVM's: its 1193181 Hz
 * clock, the outputs of pit_get_out(), mode 3 counting by two, what
 * KVM_SET_PIT2 does with any value, the reinjection of missed ticks.
 * Times are computed here with 128-bit arithmetic, independently of the
 * model's.
 *
 * Classes: reset, linux (the clockevent's periodic and one-shot
 * programming), calibration (channel 2 through port 0x61 as Linux's TSC
 * calibration and SeaBIOS), readback (latch and read-back commands, status
 * byte), modes (every mode's count and output over time, access modes and
 * flip-flops), periodic (10,000 periods without drift, the minimum
 * period), pause (a long gap, reinjection on and off), bcd, state
 * (KVM_GET/SET_PIT2 round trip, hostile values, HPET legacy), fuzz.
 *
 * Output is TAP; the last line is "N passed, N failed".  Exit status is 1
 * when anything failed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "../../module/x86/pit.h"

#define FREQ		1193181ull	/* KVM_PIT_FREQ */
#define NS		1000000000ull
#define T0		1000000000000ull	/* the caller's clock: 1000 s */
#define MIN_PERIOD	200000ull	/* KVM's min_timer_period_us = 200 */

/* ports */
#define CH0	0x40
#define CH1	0x41
#define CH2	0x42
#define CMD	0x43
#define SPK	0x61

#include "../host_tap.h"

/* The first ns at which @d ticks of the PIT clock have passed. */
static u64 tick_ns(u64 d)
{
	return ((unsigned __int128)d * NS + FREQ - 1) / FREQ;
}

/* KVM's timer interval for an initial count. */
static u64 interval(u64 count)
{
	return (unsigned __int128)count * NS / FREQ;
}

static struct vtx_pit_fx fx;

static void clear_fx(void)
{
	memset(&fx, 0, sizeof(fx));
}

static void fresh_cfg(struct vtx_pit *p, u32 flags)
{
	struct vtx_pit_config c = { .flags = flags, .min_period = MIN_PERIOD };

	memset(p, 0xa5, sizeof(*p));
	clear_fx();
	vtx_pit_init(p, &c, T0, &fx);
	p->irqchip_kernel = true;
}

static void fresh(struct vtx_pit *p)
{
	fresh_cfg(p, KVM_PIT_SPEAKER_DUMMY);
	clear_fx();
}

static int outb(struct vtx_pit *p, u16 port, u8 val, u64 t)
{
	return vtx_pit_write(p, port, val, t, &fx);
}

static u8 inb(struct vtx_pit *p, u16 port, u64 t)
{
	u8 v = 0xee;

	if (vtx_pit_read(p, port, t, &v))
		return 0xee;
	return v;
}

/* Command, then an LSB/MSB count, as a guest programs a channel. */
static void program(struct vtx_pit *p, u8 cmd, u16 count, u64 t)
{
	outb(p, CMD, cmd, t);
	outb(p, CH0 + (cmd >> 6), count & 0xff, t);
	outb(p, CH0 + (cmd >> 6), count >> 8, t);
}

/* Two reads of a channel port: LSB, then MSB. */
static u16 rd16(struct vtx_pit *p, u16 port, u64 t)
{
	u8 lo = inb(p, port, t);

	return lo | inb(p, port, t) << 8;
}

/* A latched LSB/MSB read of a channel's count. */
static u16 latch_read(struct vtx_pit *p, unsigned int ch, u64 t)
{
	u8 lo, hi;

	outb(p, CMD, ch << 6, t);
	lo = inb(p, CH0 + ch, t);
	hi = inb(p, CH0 + ch, t);
	return lo | hi << 8;
}

static void test_reset(void)
{
	struct vtx_pit p;
	struct kvm_pit_state2 ps;
	unsigned int i;
	u8 v;

	class("reset");
	fresh_cfg(&p, KVM_PIT_SPEAKER_DUMMY);
	tap(fx.flags == VTX_PIT_FX_CANCEL, "init: channel 0 stopped (FX_CANCEL)");
	memset(&ps, 0xcc, sizeof(ps));
	vtx_pit_get_state2(&p, &ps);
	for (i = 0; i < 3; i++) {
		const struct kvm_pit_channel_state *c = &ps.channels[i];

		EQ(c->count, 0x10000, "ch%u: count 65536", i);
		EQ(c->mode, 0xff, "ch%u: mode 0xff (KVM: unprogrammed)", i);
		EQ(c->gate, i != 2, "ch%u: gate", i);
		tap(!c->rw_mode && !c->read_state && !c->write_state &&
		    !c->count_latched && !c->status_latched && !c->bcd &&
		    !c->latched_count && !c->status && !c->write_latch,
		    "ch%u: access state all 0", i);
	}
	EQ(ps.channels[1].count_load_time, T0, "ch1: counting from init");
	EQ(ps.channels[2].count_load_time, T0, "ch2: counting from init");
	EQ(ps.flags, 0, "flags 0");
	for (i = 0; i < ARRAY_SIZE(ps.reserved); i++)
		if (ps.reserved[i])
			break;
	EQ(i, ARRAY_SIZE(ps.reserved), "reserved zeroed");
	tap(p.reinject && !p.pending && p.irq_ack, "reinjection on, nothing pending");
	tap(!vtx_pit_timer_deadline(&p, &(u64){0}), "no deadline");
	EQ(inb(&p, CMD, T0), 0, "command port reads 0");
	EQ(inb(&p, CH0, T0 + NS), 0x00, "unprogrammed ch0 does not count (65536)");
	EQ(inb(&p, CH1, T0 + tick_ns(5)), 0xfb, "unprogrammed ch1 counts from init");
	outb(&p, CMD, 0xe2, T0);
	EQ(inb(&p, CH0, T0), 0xfe, "unprogrammed ch0 status (KVM: mode 0xff << 1)");
	for (i = 0; i < 5; i++) {
		static const u16 other[] = { 0x3f, 0x44, 0x60, 0x62, 0x80 };

		v = 0x5a;
		EQ(vtx_pit_read(&p, other[i], T0, &v), -EOPNOTSUPP, "read %#x not ours",
		   other[i]);
		EQ(v, 0x5a, "read %#x leaves the value", other[i]);
		EQ(vtx_pit_write(&p, other[i], 0, T0, &fx), -EOPNOTSUPP,
		   "write %#x not ours", other[i]);
	}
	fresh_cfg(&p, 0);
	EQ(vtx_pit_read(&p, SPK, T0, &v), -EOPNOTSUPP, "no SPEAKER_DUMMY: 0x61 read not ours");
	EQ(vtx_pit_write(&p, SPK, 1, T0, &fx), -EOPNOTSUPP,
	   "no SPEAKER_DUMMY: 0x61 write not ours");
	EQ(p.ch[2].gate, 0, "... and the gate unchanged");
}

/* drivers/clocksource/i8253.c: pit_set_periodic, pit_set_oneshot, ... */
static void test_linux(void)
{
	struct vtx_pit p;
	const u16 latch = (1193182 + 250 / 2) / 250;	/* PIT_LATCH, HZ=250 */
	u64 t = T0 + 5000, d0, per;

	class("linux");
	fresh(&p);
	EQ(outb(&p, CMD, 0x34, t), 0, "0x34: ch0 binary mode 2 LSB/MSB");
	tap(fx.flags == 0, "command alone arms nothing");
	EQ(p.ch[0].mode, 2, "mode 2");
	EQ(p.ch[0].rw_mode, 3, "rw LSB/MSB");
	outb(&p, CH0, latch & 0xff, t);
	tap(fx.flags == 0, "LSB alone arms nothing");
	outb(&p, CH0, latch >> 8, t);
	tap(fx.flags == VTX_PIT_FX_ARM, "MSB: FX_ARM");
	d0 = t + interval(latch);
	EQ(fx.deadline, d0, "first deadline: load + count / 1193181 Hz");
	EQ(p.ch[0].count, latch, "count %u", latch);
	tap(p.periodic, "periodic");
	per = interval(latch);
	EQ(p.period, per, "period %llu ns", (unsigned long long)per);
	EQ(latch_read(&p, 0, t + tick_ns(100)), latch - 100, "latched count after 100 ticks");
	tap(!vtx_pit_out(&p, 0, t + tick_ns(100)), "mode 2 out low mid-period (KVM)");
	clear_fx();
	EQ(vtx_pit_timer_expire(&p, d0, &fx), 1, "expiry: one tick");
	tap(fx.flags == (VTX_PIT_FX_IRQ0 | VTX_PIT_FX_ARM), "IRQ0 pulse and re-arm");
	EQ(fx.deadline, d0 + per, "next deadline = previous + period");
	EQ(latch_read(&p, 0, d0 + tick_ns(10)), latch - 10, "count reloaded at the deadline");

	/* pit_set_oneshot: 0x38 (mode 4), then pit_next_event(delta) */
	clear_fx();
	outb(&p, CMD, 0x38, t);
	tap(p.armed && p.periodic, "mode change alone keeps the timer (KVM)");
	outb(&p, CH0, 1000 & 0xff, t);
	outb(&p, CH0, 1000 >> 8, t);
	tap(fx.flags == VTX_PIT_FX_ARM && fx.deadline == t + interval(1000) &&
	    !p.periodic, "0x38 + delta 1000: one-shot armed");
	clear_fx();
	EQ(vtx_pit_timer_expire(&p, t + interval(1000) + 7, &fx), 1, "one-shot expiry");
	tap(fx.flags == VTX_PIT_FX_IRQ0 && !p.armed, "pulse, not re-armed");
	clear_fx();
	vtx_pit_ack(&p, &fx);
	EQ(vtx_pit_timer_expire(&p, t + NS, &fx), 0, "expired one-shot: no more ticks");
	tap(fx.flags == 0, "... and no pulse");
	/* mode 0 one-shot */
	fresh(&p);
	program(&p, 0x30, 500, t);
	tap(fx.flags == VTX_PIT_FX_ARM && fx.deadline == t + interval(500) &&
	    !p.periodic, "0x30 mode 0: one-shot armed");
	tap(!vtx_pit_out(&p, 0, t + tick_ns(499)) && vtx_pit_out(&p, 0, t + tick_ns(500)),
	    "mode 0 out rises at terminal count");
	/* clockevent_i8253_disable: 0x30, 0, 0, 0x30 */
	fresh(&p);
	program(&p, 0x34, latch, t);
	clear_fx();
	program(&p, 0x30, 0, t + 100);
	outb(&p, CMD, 0x30, t + 100);
	tap(fx.flags == VTX_PIT_FX_ARM && fx.deadline == t + 100 + interval(0x10000) &&
	    !p.periodic, "shutdown: one 65536-tick one-shot left (KVM)");
}

/* arch/x86/kernel/tsc.c pit_calibrate_tsc, quick_pit_calibrate; SeaBIOS */
static void test_calibration(void)
{
	struct vtx_pit p;
	const u16 cal_latch = 1193182 / (1000 / 50);	/* CAL_LATCH */
	struct kvm_pit_state2 ps;
	u64 t = T0 + 12345, tl;
	unsigned int i, bad;
	u8 v;

	class("calibration");
	fresh(&p);
	v = inb(&p, SPK, t);
	EQ(v & 0x23, 0, "0x61: gate, data, out2 low at reset");
	outb(&p, SPK, (v & ~0x02) | 0x01, t);
	EQ(p.ch[2].gate, 1, "gate 2 high");
	tap(!(p.flags & KVM_PIT_FLAGS_SPEAKER_DATA_ON), "speaker data off");
	outb(&p, CMD, 0xb0, t);
	tl = t + 1000;
	outb(&p, CH2, cal_latch & 0xff, tl);
	outb(&p, CH2, cal_latch >> 8, tl);
	tap(fx.flags == 0, "channel 2 arms no timer");
	tap(!(inb(&p, SPK, tl + tick_ns(cal_latch) - 1) & 0x20),
	    "0x61 bit 5 low before CAL_LATCH ticks");
	tap(inb(&p, SPK, tl + tick_ns(cal_latch)) & 0x20,
	    "0x61 bit 5 high at CAL_LATCH ticks (50 ms)");
	EQ(inb(&p, SPK, tl + tick_ns(cal_latch)) & 0x01, 1, "0x61 bit 0: gate");
	/* quick_pit_calibrate: 0xb0, 0xff 0xff; read LSB, MSB; MSB 0xff - i */
	outb(&p, CMD, 0xb0, t);
	outb(&p, CH2, 0xff, tl);
	outb(&p, CH2, 0xff, tl);
	bad = 0;
	for (i = 0; i < 250; i++) {
		u64 at = tl + tick_ns(256 * i + 5);

		inb(&p, CH2, at);
		if (inb(&p, CH2, at) != 0xff - i)
			bad++;
	}
	EQ(bad, 0, "pit_expect_msb: MSB 0xff-i after 256*i ticks, 250 steps");
	/* SeaBIOS-style latch of channel 2 */
	EQ(latch_read(&p, 2, tl + tick_ns(1000)), 0xffff - 1000, "latched ch2 count");
	/* refresh bit: toggles every 2^14 ns */
	EQ(inb(&p, SPK, 0x4000ull * 1000) & 0x10, 0, "refresh bit low in even 2^14 ns");
	EQ(inb(&p, SPK, 0x4000ull * 1001) & 0x10, 0x10, "refresh bit high in odd 2^14 ns");
	EQ(inb(&p, SPK, 0x4000ull * 1001 + 0x3fff) & 0x10, 0x10, "... to its end");
	outb(&p, SPK, 0x03, t);
	EQ(inb(&p, SPK, t) & 0x03, 0x03, "0x61 data and gate read back");
	vtx_pit_get_state2(&p, &ps);
	tap(ps.flags & KVM_PIT_FLAGS_SPEAKER_DATA_ON, "SPEAKER_DATA_ON in flags");
	outb(&p, SPK, 0x01, t);
	vtx_pit_get_state2(&p, &ps);
	tap(!(ps.flags & KVM_PIT_FLAGS_SPEAKER_DATA_ON) && (inb(&p, SPK, t) & 0x03) == 1,
	    "data off again");
	/* gate: a rising edge restarts modes 1, 2, 3, 5; not 0, 4 */
	program(&p, 0xb4, 1000, t);		/* ch2 mode 2 */
	EQ(latch_read(&p, 2, t + tick_ns(300)), 700, "mode 2: 700 after 300 ticks");
	outb(&p, SPK, 0x00, t + tick_ns(300));
	EQ(latch_read(&p, 2, t + tick_ns(350)), 650, "gate low: still counting (KVM)");
	outb(&p, SPK, 0x01, t + tick_ns(350));
	EQ(latch_read(&p, 2, t + tick_ns(350) + tick_ns(10)), 990,
	   "mode 2: rising gate restarts the count");
	program(&p, 0xb0, 1000, t);		/* ch2 mode 0 */
	outb(&p, SPK, 0x00, t + tick_ns(300));
	outb(&p, SPK, 0x01, t + tick_ns(350));
	EQ(latch_read(&p, 2, t + tick_ns(360)), 640, "mode 0: rising gate does not restart");
	program(&p, 0xb2, 1000, t);		/* ch2 mode 1 */
	outb(&p, SPK, 0x01, t + tick_ns(350));
	EQ(latch_read(&p, 2, t + tick_ns(360)), 640, "gate high -> high: no edge");
}

static void test_readback(void)
{
	struct vtx_pit p;
	u64 t = T0 + 777, at = t + tick_ns(100);
	u8 st;

	class("readback");
	fresh(&p);
	program(&p, 0x34, 1000, t);
	outb(&p, CMD, 0xc2, at);	/* count and status of ch0 */
	EQ(inb(&p, CH0, at + NS), 0x34, "status first: out 0, LSB/MSB, mode 2, binary");
	EQ(inb(&p, CH0, at + NS), 900 & 0xff, "then the latched LSB");
	EQ(inb(&p, CH0, at + NS), 900 >> 8, "then the latched MSB");
	EQ(latch_read(&p, 0, t + tick_ns(250)), 750, "latches released: live count");
	outb(&p, CMD, 0xe2, at);	/* status only */
	tap(p.ch[0].status_latched && !p.ch[0].count_latched, "0xe2: status only");
	EQ(inb(&p, CH0, at), 0x34, "status");
	outb(&p, CMD, 0xd2, at);	/* count only */
	tap(!p.ch[0].status_latched && p.ch[0].count_latched, "0xd2: count only");
	inb(&p, CH0, at);
	inb(&p, CH0, at);
	outb(&p, CMD, 0xc0, at);
	tap(!p.ch[0].status_latched && !p.ch[0].count_latched &&
	    !p.ch[1].status_latched && !p.ch[2].count_latched,
	    "0xc0: no channel selected, nothing latched");
	/* all three channels */
	program(&p, 0x76, 100, t);	/* ch1 mode 3 */
	program(&p, 0xb9, 50, t);	/* ch2 mode 4 BCD */
	outb(&p, CMD, 0xce, t + tick_ns(50));
	EQ(inb(&p, CH0, t + NS), 0x34, "ch0 status");
	EQ(inb(&p, CH1, t + NS), 0x36, "ch1 status: out low (second half), LSB/MSB, mode 3");
	st = inb(&p, CH2, t + NS);
	EQ(st, 0xb9 | 0x80, "ch2 status: out high at TC, BCD");
	EQ(rd16(&p, CH1, t + NS), 100, "ch1 mode 3: 100 - 2*50 mod 100 -> 100");
	EQ(rd16(&p, CH2, t + NS), 0, "ch2 latched 0");
	EQ(rd16(&p, CH0, t + NS), 950, "ch0 latched 950");
	/* a latched count holds; a second latch is ignored */
	outb(&p, CMD, 0x00, t + tick_ns(10));
	outb(&p, CMD, 0x00, t + tick_ns(20));
	outb(&p, CMD, 0xd2, t + tick_ns(30));
	EQ(rd16(&p, CH0, t + 10 * NS), 990,
	   "first latch wins, held 10 s");
	outb(&p, CMD, 0xe2, t + tick_ns(10));
	outb(&p, CMD, 0x34, t + tick_ns(10));
	outb(&p, CMD, 0xe2, t + tick_ns(10));
	EQ(inb(&p, CH0, t), 0x34, "status latched once");
	outb(&p, CMD, 0xe2, t);
	outb(&p, CMD, 0x30, t);
	EQ(inb(&p, CH0, t), 0x34, "command after latch: the old status stays (KVM)");
	/* latch with LSB-only and MSB-only access */
	program(&p, 0x10, 0, t);	/* ch0 mode 0 LSB only */
	outb(&p, CH0, 0x80, t);
	outb(&p, CMD, 0x00, t + tick_ns(0x10));
	EQ(inb(&p, CH0, t + NS), 0x70, "LSB mode: latched LSB");
	tap(!p.ch[0].count_latched, "one read releases it");
	outb(&p, CMD, 0x20, t);		/* MSB only */
	outb(&p, CH0, 0x02, t);
	EQ(p.ch[0].count, 0x200, "MSB mode: count = byte << 8");
	outb(&p, CMD, 0x00, t + tick_ns(0x100));
	EQ(inb(&p, CH0, t + NS), 0x01, "MSB mode: latched MSB");
	tap(!p.ch[0].count_latched, "one read releases it");
	EQ(inb(&p, CH0, t + tick_ns(0x100)), 0x01, "MSB mode live read");
	/* status OUT bit over time */
	program(&p, 0xb0, 10, t);
	outb(&p, CMD, 0xe8, t + tick_ns(9));
	EQ(inb(&p, CH2, t), 0x30, "ch2 mode 0 status before TC: OUT 0");
	outb(&p, CMD, 0xe8, t + tick_ns(10));
	EQ(inb(&p, CH2, t), 0xb0, "ch2 mode 0 status at TC: OUT 1");
}

struct mode_point {
	u32 d;
	bool out;
	u32 count;
};

static void check_mode(unsigned int mode, u16 n, const struct mode_point *pts,
		       unsigned int npts)
{
	struct vtx_pit p;
	u64 t = T0 + 4242;
	unsigned int i;

	fresh(&p);
	program(&p, 0xb0 | mode << 1, n, t);
	for (i = 0; i < npts; i++) {
		u64 at = t + tick_ns(pts[i].d);
		u8 lo = inb(&p, CH2, at), hi = inb(&p, CH2, at);

		EQ(vtx_pit_out(&p, 2, at), pts[i].out, "mode %u n %u: out after %u ticks",
		   mode, n, pts[i].d);
		EQ(lo | hi << 8, pts[i].count & 0xffff, "mode %u n %u: count after %u ticks",
		   mode, n, pts[i].d);
		EQ(!!(inb(&p, SPK, at) & 0x20), pts[i].out, "mode %u: 0x61 bit 5 after %u",
		   mode, pts[i].d);
	}
}

static void test_modes(void)
{
	/* 8254 mode 0; KVM: out high from TC on, count wraps through 0xffff */
	static const struct mode_point m0[] = {
		{ 0, 0, 100 }, { 50, 0, 50 }, { 99, 0, 1 }, { 100, 1, 0 },
		{ 101, 1, 0xffff }, { 300, 1, 0xff38 },
	};
	/* KVM: out = d < n (the data sheet's is low until TC) */
	static const struct mode_point m1[] = {
		{ 0, 1, 100 }, { 99, 1, 1 }, { 100, 0, 0 }, { 101, 0, 0xffff },
	};
	/* KVM: out high at each reload only; count reloads from n */
	static const struct mode_point m2[] = {
		{ 0, 0, 100 }, { 1, 0, 99 }, { 99, 0, 1 }, { 100, 1, 100 },
		{ 101, 0, 99 }, { 150, 0, 50 }, { 200, 1, 100 },
	};
	/* square wave: high for the first half; count by two */
	static const struct mode_point m3[] = {
		{ 0, 1, 100 }, { 10, 1, 80 }, { 49, 1, 2 }, { 50, 0, 100 },
		{ 60, 0, 80 }, { 99, 0, 2 }, { 100, 1, 100 },
	};
	static const struct mode_point m3odd[] = {
		{ 0, 1, 5 }, { 2, 1, 1 }, { 3, 0, 4 }, { 4, 0, 2 }, { 5, 1, 5 },
	};
	/* KVM: out high at TC only */
	static const struct mode_point m4[] = {
		{ 0, 0, 100 }, { 99, 0, 1 }, { 100, 1, 0 }, { 101, 0, 0xffff },
	};
	struct vtx_pit p;
	u64 t = T0 + 99;
	unsigned int m;

	class("modes");
	check_mode(0, 100, m0, ARRAY_SIZE(m0));
	check_mode(1, 100, m1, ARRAY_SIZE(m1));
	check_mode(2, 100, m2, ARRAY_SIZE(m2));
	check_mode(3, 100, m3, ARRAY_SIZE(m3));
	check_mode(3, 5, m3odd, ARRAY_SIZE(m3odd));
	check_mode(4, 100, m4, ARRAY_SIZE(m4));
	check_mode(5, 100, m4, ARRAY_SIZE(m4));
	/* channel 0's timer by mode */
	for (m = 0; m < 8; m++) {
		bool periodic = m == 2 || m == 3 || m == 6 || m == 7;

		fresh(&p);
		program(&p, 0x30 | m << 1, 100, t);
		if (m == 5)
			tap(fx.flags == VTX_PIT_FX_CANCEL && !p.armed,
			    "ch0 mode 5: no timer (KVM)");
		else
			tap(fx.flags == VTX_PIT_FX_ARM && p.periodic == periodic &&
			    fx.deadline == t + interval(100),
			    "ch0 mode %u: %s timer", m, periodic ? "periodic" : "one-shot");
		EQ(p.ch[0].mode, m > 5 ? m - 4 : m, "command mode %u is mode %u", m,
		   m > 5 ? m - 4 : m);
	}
	/* access modes and flip-flops */
	fresh(&p);
	outb(&p, CMD, 0x34, t);
	outb(&p, CH0, 0x11, t);
	outb(&p, CMD, 0x34, t);
	outb(&p, CH0, 0x22, t);
	outb(&p, CH0, 0x33, t);
	EQ(p.ch[0].count, 0x3322, "a command resets the write flip-flop");
	outb(&p, CMD, 0x10, t);
	clear_fx();
	outb(&p, CH0, 0x80, t);
	tap(fx.flags == VTX_PIT_FX_ARM && p.ch[0].count == 0x80,
	    "LSB-only: one write loads");
	outb(&p, CMD, 0x34, t);
	outb(&p, CH0, 0x00, t);
	outb(&p, CH0, 0x00, t);
	EQ(p.ch[0].count, 0x10000, "count 0 is 65536");
	tap(fx.deadline == t + interval(0x10000), "65536-tick period");
	program(&p, 0x74, 0x1234, t);
	EQ(inb(&p, CH1, t), 0x34, "read flip-flop: LSB");
	EQ(inb(&p, CH1, t), 0x12, "read flip-flop: MSB");
	EQ(inb(&p, CH1, t), 0x34, "read flip-flop: LSB again");
	inb(&p, CH1, t);
	EQ(p.ch[1].read_state, 3, "read flip-flop back to LSB");
}

static void test_periodic(void)
{
	struct vtx_pit p;
	const u16 n = 1193;		/* ~1 ms */
	u64 t = T0 + 31, d0, per, now = 0, k;
	unsigned int bad_n = 0, bad_dl = 0, bad_irq = 0, bad_cnt = 0;
	u64 seed = 12345;

	class("periodic");
	fresh(&p);
	program(&p, 0x34, n, t);
	d0 = fx.deadline;
	per = interval(n);
	for (k = 1; k <= 10000; k++) {
		u64 dl = d0 + (k - 1) * per, jitter;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		jitter = (seed >> 33) % per;	/* the host timer fires late */
		now = dl + jitter;
		clear_fx();
		if (vtx_pit_timer_expire(&p, now, &fx) != 1)
			bad_n++;
		if (!(fx.flags & VTX_PIT_FX_ARM) || fx.deadline != d0 + k * per)
			bad_dl++;
		if (!(fx.flags & VTX_PIT_FX_IRQ0))
			bad_irq++;
		vtx_pit_ack(&p, &fx);
		if (latch_read(&p, 0, dl + tick_ns(5)) != n - 5)
			bad_cnt++;
	}
	EQ(bad_n, 0, "10000 late expiries: one tick each");
	EQ(bad_dl, 0, "each deadline = first + k * period (no drift)");
	EQ(bad_irq, 0, "each tick pulses IRQ0 (acked)");
	EQ(bad_cnt, 0, "count reloads at each deadline");
	EQ(p.deadline, d0 + 10000 * per, "after 10000 periods: first + 10000 periods");
	tap(p.deadline > now, "deadline ahead of the last expiry");
	/* the minimum period (KVM: periodic only; the first expiry unclamped) */
	fresh(&p);
	program(&p, 0x34, 2, t);
	EQ(p.period, MIN_PERIOD, "count 2 periodic: period clamped to 200 us");
	EQ(fx.deadline, t + interval(2), "first expiry one interval away");
	clear_fx();
	vtx_pit_timer_expire(&p, t + interval(2), &fx);
	EQ(fx.deadline, t + interval(2) + MIN_PERIOD, "then every 200 us");
	fresh(&p);
	program(&p, 0x30, 2, t);
	EQ(fx.deadline, t + interval(2), "count 2 one-shot: not clamped");
	/* an early call (not at the deadline yet) changes nothing */
	fresh(&p);
	program(&p, 0x34, n, t);
	clear_fx();
	EQ(vtx_pit_timer_expire(&p, fx.deadline - 1, &fx), 0, "early expiry: no tick");
	tap(fx.flags == VTX_PIT_FX_ARM && fx.deadline == t + interval(n),
	    "early expiry: re-arm at the same deadline");
}

static void test_pause(void)
{
	struct vtx_pit p;
	const u16 n = 1193;
	u64 t = T0 + 31, d0, per = interval(n), now, want, k, pulses;

	class("pause");
	/* reinjection off: coalesced */
	fresh(&p);
	vtx_pit_set_reinject(&p, false);
	program(&p, 0x34, n, t);
	d0 = fx.deadline;
	now = d0 + 10 * NS;
	want = 1 + 10 * NS / per;
	clear_fx();
	EQ(vtx_pit_timer_expire(&p, now, &fx), want, "10 s gap: %llu ticks in one expiry",
	   (unsigned long long)want);
	tap(fx.flags == (VTX_PIT_FX_IRQ0 | VTX_PIT_FX_ARM), "one pulse, re-armed");
	EQ(fx.deadline, d0 + want * per, "next deadline on the period grid");
	tap(fx.deadline > now && fx.deadline <= now + per, "... the first one after now");
	EQ(p.pending, 0, "reinjection off: nothing pending");
	clear_fx();
	EQ(vtx_pit_timer_expire(&p, now, &fx), 0, "again at the same time: no tick");
	tap(!(fx.flags & VTX_PIT_FX_IRQ0), "no storm");
	clear_fx();
	vtx_pit_ack(&p, &fx);
	tap(fx.flags == 0, "ack without reinjection: nothing");
	/* reinjection on: counted, one per ack */
	fresh(&p);
	program(&p, 0x34, n, t);
	clear_fx();
	vtx_pit_timer_expire(&p, now, &fx);
	EQ(p.pending, want, "reinjection: %llu ticks pending", (unsigned long long)want);
	pulses = !!(fx.flags & VTX_PIT_FX_IRQ0);
	for (k = 0; k < want + 5; k++) {
		clear_fx();
		vtx_pit_ack(&p, &fx);
		pulses += !!(fx.flags & VTX_PIT_FX_IRQ0);
	}
	EQ(pulses, want, "every missed tick delivered, one per ack");
	EQ(p.pending, 0, "all acked");
	/* without acks nothing more is pulsed, but ticks are counted */
	fresh(&p);
	program(&p, 0x34, n, t);
	clear_fx();
	vtx_pit_timer_expire(&p, d0, &fx);
	tap(fx.flags & VTX_PIT_FX_IRQ0, "first tick pulsed");
	clear_fx();
	vtx_pit_timer_expire(&p, d0 + per, &fx);
	tap(!(fx.flags & VTX_PIT_FX_IRQ0) && p.pending == 2,
	    "second tick before the ack: counted, not pulsed");
	clear_fx();
	vtx_pit_ack(&p, &fx);
	tap(fx.flags & VTX_PIT_FX_IRQ0 && p.pending == 1, "ack: the second pulses");
	clear_fx();
	vtx_pit_ack(&p, &fx);
	tap(!(fx.flags & VTX_PIT_FX_IRQ0) && p.pending == 0, "ack: nothing left");
	/* unmasking IRQ0 drops what was counted; so does a new count */
	vtx_pit_timer_expire(&p, d0 + 100 * per, &fx);
	vtx_pit_timer_expire(&p, d0 + 200 * per, &fx);
	tap(p.pending == 199 && !p.irq_ack, "199 pending, waiting for the ack");
	vtx_pit_irq_unmasked(&p);
	tap(p.pending == 0 && p.irq_ack, "unmask: pending dropped");
	clear_fx();
	vtx_pit_timer_expire(&p, d0 + 300 * per, &fx);
	tap(fx.flags & VTX_PIT_FX_IRQ0, "next tick pulses at once");
	program(&p, 0x34, n, d0 + 300 * per);
	tap(p.pending == 0 && p.irq_ack, "a new count: pending dropped");
	vtx_pit_set_reinject(&p, false);
	vtx_pit_timer_expire(&p, d0 + 400 * per, &fx);
	vtx_pit_irq_unmasked(&p);
	EQ(p.pending, 0, "reinjection off: nothing counted");
	p.pending = 7;
	vtx_pit_set_reinject(&p, false);
	EQ(p.pending, 7, "off -> off: unchanged");
	vtx_pit_set_reinject(&p, true);
	tap(p.pending == 0 && p.irq_ack, "off -> on: from zero");
	p.pending = 7;
	vtx_pit_set_reinject(&p, true);
	EQ(p.pending, 7, "on -> on: unchanged");
	/* an hour, and the bound */
	fresh(&p);
	program(&p, 0x34, n, t);
	want = 1 + 3600 * NS / per;
	EQ(vtx_pit_timer_expire(&p, fx.deadline + 3600 * NS, &fx), want, "1 h gap");
	EQ(p.pending, want, "1 h gap: %llu pending", (unsigned long long)want);
	p.pending = VTX_PIT_MAX_PENDING - 3;
	vtx_pit_timer_expire(&p, p.deadline + 3600 * NS, &fx);
	EQ(p.pending, VTX_PIT_MAX_PENDING, "pending saturates");
	vtx_pit_timer_expire(&p, p.deadline + (1ull << 62), &fx);
	tap(p.deadline > fx.deadline - 1 && p.deadline > (1ull << 62),
	    "2^62 ns gap: deadline ahead");
}

static void test_bcd(void)
{
	struct vtx_pit p;
	struct kvm_pit_state2 ps;
	u64 t = T0 + 5;

	class("bcd");
	fresh(&p);
	program(&p, 0x35, 0x1000, t);
	vtx_pit_get_state2(&p, &ps);
	EQ(ps.channels[0].bcd, 1, "BCD flag kept");
	EQ(ps.channels[0].count, 0x1000, "count taken as binary 4096 (KVM)");
	EQ(fx.deadline, t + interval(4096), "period of 4096 ticks");
	outb(&p, CMD, 0xe2, t);
	EQ(inb(&p, CH0, t), 0x35, "status: BCD bit");
	EQ(latch_read(&p, 0, t + tick_ns(1)), 0x0fff, "counts in binary (0x0fff, not 0x0999)");
	outb(&p, CMD, 0x34, t);
	EQ(p.ch[0].bcd, 0, "binary again");
}

static void test_state(void)
{
	struct vtx_pit p, q;
	struct kvm_pit_state2 a, b;
	struct kvm_pit_state s1;
	u64 t = T0 + 1000, t2 = T0 + 50 * NS;
	unsigned int i;

	class("state");
	fresh(&p);
	program(&p, 0x34, 1000, t);
	program(&p, 0x56, 0x40, t);		/* ch1 LSB mode 3 */
	outb(&p, CH1, 0x40, t);
	outb(&p, SPK, 0x03, t);
	program(&p, 0xb2, 300, t);		/* ch2 mode 1 */
	outb(&p, CH2, 0x77, t);			/* half a count */
	outb(&p, CMD, 0xc4, t + 1000);		/* latch ch1 count + status */
	vtx_pit_get_state2(&p, &a);
	EQ(a.channels[2].write_state, 4, "half-written ch2 (write_state WORD1)");
	EQ(a.channels[2].write_latch, 0x77, "... write_latch");
	tap(a.channels[1].count_latched && a.channels[1].status_latched, "ch1 latches");
	fresh(&q);
	vtx_pit_set_state2(&q, &a, t2, &fx);
	tap(fx.flags == VTX_PIT_FX_ARM && fx.deadline == t2 + interval(1000),
	    "set: channel 0 re-armed from the set time");
	vtx_pit_get_state2(&q, &b);
	EQ(b.channels[1].count_load_time, t2, "ch1 count restarts at set");
	EQ(b.channels[2].count_load_time, t2, "ch2 count restarts at set");
	EQ(b.channels[0].count_load_time, a.channels[0].count_load_time,
	   "ch0 count_load_time kept");
	b.channels[1].count_load_time = a.channels[1].count_load_time;
	b.channels[2].count_load_time = a.channels[2].count_load_time;
	tap(!memcmp(&a, &b, sizeof(a)), "get/set/get round trip");
	EQ(inb(&q, CH1, t2 + NS), a.channels[1].status, "latched status survives");
	EQ(inb(&q, CH1, t2 + NS), a.channels[1].latched_count & 0xff,
	   "latched count survives");
	outb(&q, CH2, 0x01, t2);
	EQ(q.ch[2].count, 0x177, "write flip-flop survives");
	EQ(inb(&q, SPK, t2) & 3, 3, "speaker data and gate survive");
	/* KVM_GET/SET_PIT: channels only, flags untouched */
	vtx_pit_get_state(&q, &s1);
	tap(!memcmp(s1.channels, q.ch, sizeof(s1.channels)), "KVM_GET_PIT: the channels");
	q.flags = KVM_PIT_FLAGS_SPEAKER_DATA_ON;
	clear_fx();
	vtx_pit_set_state(&q, &s1, t2 + 5, &fx);
	tap(q.flags == KVM_PIT_FLAGS_SPEAKER_DATA_ON && fx.flags == VTX_PIT_FX_ARM,
	    "KVM_SET_PIT: flags kept, channel 0 re-armed");

	/* hostile values: KVM refuses none */
	memset(&a, 0, sizeof(a));
	a.channels[0].count = 0;
	a.channels[0].mode = 2;
	a.channels[1].count = 0x12345678;
	a.channels[1].mode = 7;
	a.channels[2].count = 0xffffffff;
	a.channels[2].mode = 0xff;
	for (i = 0; i < 3; i++) {
		a.channels[i].read_state = 9;
		a.channels[i].write_state = 200;
		a.channels[i].rw_mode = 0xff;
		a.channels[i].gate = 0xff;
		a.channels[i].count_load_time = -1;
	}
	a.channels[1].count_latched = 77;
	a.channels[1].latched_count = 0xabcd;
	a.flags = KVM_PIT_FLAGS_SPEAKER_DATA_ON | 0xf0;
	fresh(&q);
	vtx_pit_set_state2(&q, &a, t2, &fx);
	vtx_pit_get_state2(&q, &b);
	EQ(b.channels[0].count, 0x10000, "count 0 -> 65536");
	EQ(b.channels[1].count, 0x12345678, "count > 65536 kept (KVM)");
	EQ(b.channels[1].mode, 7, "mode 7 kept (KVM)");
	EQ(b.flags, a.flags, "unknown flags kept (KVM)");
	EQ(b.channels[0].count_load_time, (u64)-1, "ch0 count_load_time as given");
	tap(fx.flags == VTX_PIT_FX_ARM && fx.deadline == t2 + interval(0x10000),
	    "ch0 mode 2 count 0: 65536-tick period");
	EQ(inb(&q, CH1, t2 + tick_ns(3)), 0xcd, "count_latched 77 reads as LSB");
	tap(!q.ch[1].count_latched, "... and releases");
	EQ(inb(&q, CH1, t2 + tick_ns(3)), (0x12345678 - 3) & 0xff,
	   "read_state 9 reads as LSB; mode 7 counts as mode 2 (KVM default)");
	EQ(inb(&q, CH2, t2 + tick_ns(3)), (0xffffffffu - 3) & 0xff, "count 2^32-1");
	clear_fx();
	outb(&q, CH0, 0x10, t2);
	tap(fx.flags == VTX_PIT_FX_ARM && q.ch[0].count == 0x10,
	    "write_state 200 writes as LSB");
	outb(&q, SPK, 0x00, t2);
	EQ(q.ch[2].gate, 0, "gate 0xff lowered by 0x61");
	/* mode 7 on channel 0 from SET_PIT2: no timer */
	a.channels[0].mode = 7;
	a.channels[0].count = 1000;
	clear_fx();
	vtx_pit_set_state2(&q, &a, t2, &fx);
	tap(fx.flags == VTX_PIT_FX_CANCEL && !q.armed, "ch0 mode 7 from SET_PIT2: stopped");

	/* HPET legacy */
	fresh(&q);
	program(&q, 0x34, 1000, t);
	vtx_pit_get_state2(&q, &a);
	a.flags = KVM_PIT_FLAGS_HPET_LEGACY;
	clear_fx();
	vtx_pit_set_state2(&q, &a, t2, &fx);
	tap(fx.flags == VTX_PIT_FX_CANCEL && !q.armed, "HPET legacy on: channel 0 stops");
	EQ(q.ch[0].mode, 2, "... keeping its mode");
	clear_fx();
	program(&q, 0x34, 500, t2);
	tap(fx.flags == 0 && !q.armed && q.ch[0].count == 500,
	    "HPET legacy: a count is taken, no timer");
	clear_fx();
	vtx_pit_set_state2(&q, &a, t2, &fx);
	tap(fx.flags == 0, "legacy -> legacy: nothing");
	a.flags = 0;
	vtx_pit_set_state2(&q, &a, t2, &fx);
	tap(fx.flags == VTX_PIT_FX_ARM && q.armed, "HPET legacy off: channel 0 re-armed");
	/* no in-kernel IOAPIC: channel 0 never arms */
	fresh(&q);
	q.irqchip_kernel = false;
	program(&q, 0x34, 1000, t);
	tap(fx.flags == 0 && !q.armed, "no in-kernel IOAPIC: no timer");
	EQ(latch_read(&q, 0, t + NS), 1000, "... and channel 0 does not count (KVM)");
}

/* ------------------------------------------------------------- fuzz -- */

static u64 rng;

static u64 rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void fuzz_one(u64 seed, unsigned int steps, unsigned int *bad)
{
	struct vtx_pit p;
	struct kvm_pit_state2 ps;
	u64 now = T0, w;
	unsigned int i, c;
	int rc;
	u8 v;

	rng = seed | 1;
	fresh(&p);
	for (i = 0; i < steps; i++) {
		u16 port = 0x3e + rnd() % 0x26;	/* 0x3e-0x63 */
		unsigned int op = rnd() % 16;
		bool ours;

		clear_fx();
		switch (rnd() % 8) {
		case 0:
			now -= rnd() % 5000;			/* back */
			break;
		case 1:
			now += rnd() % (1ull << 40);		/* long */
			break;
		default:
			now += rnd() % 2000000;
			break;
		}
		if (op < 5) {
			u16 pt = op < 3 ? 0x40 + rnd() % 4 : port;

			ours = (pt >= 0x40 && pt <= 0x43) || pt == SPK;
			rc = vtx_pit_write(&p, pt, rnd(), now, &fx);
			if (ours != !rc || (rc && rc != -EOPNOTSUPP))
				bad[0]++;
		} else if (op < 9) {
			u16 pt = op < 7 ? 0x40 + rnd() % 4 : port;

			v = 0x5a;
			rc = vtx_pit_read(&p, pt, now, &v);
			ours = (pt >= 0x40 && pt <= 0x43) || pt == SPK;
			if (ours != !rc || (!ours && v != 0x5a) ||
			    (pt == CMD && v != 0))
				bad[0]++;
		} else if (op < 11) {
			u64 dl;

			if (vtx_pit_timer_deadline(&p, &dl) && rnd() % 2)
				now = dl + rnd() % 3000000;
			vtx_pit_timer_expire(&p, now, &fx);
			/* no storm: one expiry covers every tick up to now */
			if (p.armed && p.periodic && (s64)(p.deadline - now) <= 0)
				bad[1]++;
			if (p.armed && vtx_pit_timer_expire(&p, now, &fx) &&
			    (s64)(p.deadline - now) > 0)
				bad[1]++;
		} else if (op == 11) {
			vtx_pit_ack(&p, &fx);
		} else if (op == 12) {
			if (rnd() % 2)
				vtx_pit_irq_unmasked(&p);
			else
				vtx_pit_set_reinject(&p, rnd() % 2);
		} else if (op == 13) {
			unsigned char *b = (unsigned char *)&ps;

			vtx_pit_get_state2(&p, &ps);
			for (c = 0; c < 8; c++)
				b[rnd() % sizeof(ps)] = rnd();
			vtx_pit_set_state2(&p, &ps, now, &fx);
		} else if (op == 14) {
			for (w = 0; w < sizeof(ps); w++)
				((unsigned char *)&ps)[w] = rnd();
			if (rnd() % 2)
				vtx_pit_set_state2(&p, &ps, now, &fx);
			else
				vtx_pit_set_state(&p, (struct kvm_pit_state *)&ps, now, &fx);
		} else {
			p.irqchip_kernel = rnd() % 4;
		}
		/* invariants */
		if ((fx.flags & VTX_PIT_FX_ARM) && (fx.flags & VTX_PIT_FX_CANCEL))
			bad[2]++;
		if ((fx.flags & VTX_PIT_FX_ARM) && (!p.armed || fx.deadline != p.deadline))
			bad[2]++;
		if ((fx.flags & VTX_PIT_FX_CANCEL) && p.armed)
			bad[2]++;
		if (p.pending > VTX_PIT_MAX_PENDING)
			bad[3]++;
		if (p.armed && p.periodic && p.period < MIN_PERIOD)
			bad[3]++;
		for (c = 0; c < 3; c++) {
			u32 n = p.ch[c].count;
			u32 cnt = vtx_pit_count(&p, c, now);

			if (!n || cnt > (n > 0xffff ? n : 0xffff))
				bad[4]++;
			vtx_pit_out(&p, c, now);
		}
		if (vtx_pit_count(&p, 3, now) || vtx_pit_out(&p, 200, now))
			bad[4]++;
	}
}

static void test_fuzz(void)
{
	unsigned int bad[5] = { 0 }, s;
	const unsigned int seeds = 8, steps = 5000;

	class("fuzz");
	for (s = 1; s <= seeds; s++)
		fuzz_one(0x9e3779b97f4a7c15ull * s, steps, bad);
	EQ(bad[0], 0, "%u x %u random steps: port return values, 0x43 reads 0",
	   seeds, steps);
	EQ(bad[1], 0, "expiry: periodic deadline always ahead of now (no storm)");
	EQ(bad[2], 0, "fx consistent with the timer state");
	EQ(bad[3], 0, "pending bounded, periodic period >= minimum");
	EQ(bad[4], 0, "counts never 0, current count in range, bad channel 0");
}

int main(void)
{
	test_reset();
	test_linux();
	test_calibration();
	test_readback();
	test_modes();
	test_periodic();
	test_pause();
	test_bcd();
	test_state();
	test_fuzz();
	printf("1..%u\n", n_test);
	printf("%u passed, %u failed\n", n_pass, n_fail);
	return n_fail ? 1 : 0;
}
