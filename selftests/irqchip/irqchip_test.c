// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side unit test of module/x86/ioapic.c and module/x86/pic.c, the
 * register models of the IOAPIC and of the two cascaded 8259A PICs.
 *
 * The expected values are written here as the numbers of the 82093AA and
 * 8259A datasheets (register selectors, ports, command bytes, bit
 * positions), not through the models' headers, so a wrong definition the
 * models rely on shows up here.  Where the datasheets leave a choice or
 * KVM differs, the value is KVM's (arch/x86/kvm/ioapic.c and i8259.c of
 * Linux 6.1): the version register, reads of unknown selectors, the
 * return values of set_irq, poll mode, the ICW1 reset, the state of a new
 * irqchip.
 *
 * Classes: ioapic-regs (window, ID/version/arbitration, entries and their
 * read-only bits), ioapic-linux (Linux's entry programming and its EOI by
 * edge toggle), ioapic-edge, ioapic-level (remote IRR, EOI, re-delivery,
 * unmasking, the storm rule), ioapic-state (KVM_GET/SET_IRQCHIP),
 * ioapic-hostile, ioapic-random; pic-init (Linux's init_8259A and
 * SeaBIOS's pic_reset), pic-irq (edge/level/ELCR, INTA, EOIs, cascade,
 * auto-EOI), pic-priority (rotation, nesting, special fully nested and
 * special mask mode, a randomized comparison with a reference), pic-read
 * (IRR/ISR, poll), pic-spurious, pic-state, pic-hostile, pic-random.
 *
 * Output is TAP; the last line is "N passed, N failed".  Exit status is 1
 * when anything failed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "../../module/x86/ioapic.h"
#include "../../module/x86/pic.h"

#include "../host_tap.h"

/* A small deterministic generator (xorshift64*), seeded per class. */
static u64 rng_state;

static void seed(u64 s)
{
	rng_state = s * 0x9e3779b97f4a7c15ull + 1;
}

static u32 rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (rng_state * 0x2545f4914f6cdd1dull) >> 32;
}

/* ============================================================== IOAPIC == */

/* Offsets and selectors of the 82093AA datasheet. */
enum { IOREGSEL = 0x00, IOWIN = 0x10, IOEOI = 0x40 };
enum { SEL_ID = 0, SEL_VER = 1, SEL_ARB = 2 };
#define SEL_LO(pin)	(0x10 + 2 * (pin))
#define SEL_HI(pin)	(0x11 + 2 * (pin))
#define RTE_MASKED	0x10000u
#define RTE_LEVEL	0x8000u
#define RTE_RIRR	0x4000u
#define RTE_POL		0x2000u
#define RTE_DELIVS	0x1000u
#define RTE_LOGICAL	0x800u

/* The model between two guard areas that must never change. */
static struct {
	u8 before[64];
	struct vtx_ioapic io;
	u8 after[64];
} gio;
static struct vtx_ioapic *const io = &gio.io;
static struct vtx_ioapic_fx ifx;

static bool io_guards_ok(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(gio.before); i++)
		if (gio.before[i] != 0x5a || gio.after[i] != 0x5a)
			return false;
	return true;
}

static void io_fresh(void)
{
	memset(&gio, 0x5a, sizeof(gio));
	vtx_ioapic_reset(io);
}

static u32 io_rd(u32 sel)
{
	vtx_ioapic_write(io, IOREGSEL, sel, &ifx);
	return vtx_ioapic_read(io, IOWIN);
}

static void io_wr(u32 sel, u32 val)
{
	struct vtx_ioapic_fx f;

	vtx_ioapic_write(io, IOREGSEL, sel, &f);
	vtx_ioapic_write(io, IOWIN, val, &ifx);
}

/* Program @pin as Linux's ioapic_write_entry(): high word first. */
static void io_entry(unsigned int pin, u32 lo, u8 dest)
{
	io_wr(SEL_HI(pin), (u32)dest << 24);
	io_wr(SEL_LO(pin), lo);
}

static int io_irq(unsigned int pin, bool level)
{
	return vtx_ioapic_set_irq(io, pin, level, &ifx);
}

static bool delivered(unsigned int pin)
{
	return (ifx.flags & VTX_IOAPIC_FX_DELIVER) && (ifx.deliver & (1u << pin));
}

static void io_eoi(u8 vector, bool level)
{
	vtx_ioapic_eoi(io, vector, level, &ifx);
}

static void test_ioapic_regs(void)
{
	unsigned int i;
	bool ok;

	class("ioapic-regs");
	io_fresh();
	EQ(io_rd(SEL_VER), 0x00170011, "version: 24 entries, version 0x11");
	EQ(io_rd(SEL_ID), 0, "ID 0 after reset");
	EQ(io_rd(SEL_ARB), 0, "arbitration ID 0 after reset");
	ok = true;
	for (i = 0; i < 24; i++)
		ok &= io_rd(SEL_LO(i)) == RTE_MASKED && io_rd(SEL_HI(i)) == 0;
	tap(ok, "reset: every entry masked, edge, fixed, vector 0, dest 0");
	EQ(io->base_address, 0xfec00000, "reset: base 0xfec00000");
	tap(vtx_ioapic_in_range(io, 0xfec00000) && vtx_ioapic_in_range(io, 0xfec000ff) &&
	    !vtx_ioapic_in_range(io, 0xfec00100) && !vtx_ioapic_in_range(io, 0xfebfffff),
	    "window: 256 bytes at the base");

	vtx_ioapic_write(io, IOREGSEL, 0x1234, &ifx);
	EQ(vtx_ioapic_read(io, IOREGSEL), 0x34, "IOREGSEL keeps 8 bits");
	EQ(vtx_ioapic_read(io, IOREGSEL + 0x100), 0x34, "offset bits above 7 ignored");
	EQ(vtx_ioapic_read(io, IOEOI), 0, "0x40 (EOI register of 0x20) reads 0");
	EQ(vtx_ioapic_read(io, 0x20), 0, "0x20 reads 0");
	EQ(vtx_ioapic_read(io, 0x14), 0, "0x14 (unaligned) reads 0");
	io_entry(3, 0xa0a0 | RTE_LEVEL, 0);
	io_irq(3, true);
	vtx_ioapic_write(io, IOEOI, 0xa0, &ifx);
	tap(io_rd(SEL_LO(3)) & RTE_RIRR, "a write to 0x40 is no EOI (version 0x11)");

	io_fresh();
	io_wr(SEL_ID, 0xffffffff);
	EQ(io_rd(SEL_ID), 0x0f000000, "ID: bits 27:24 writable");
	EQ(io_rd(SEL_ARB), 0x0f000000, "arbitration ID reads the ID");
	io_wr(SEL_ARB, 0);
	EQ(io_rd(SEL_ARB), 0x0f000000, "arbitration ID: writes ignored");
	io_wr(SEL_VER, 0);
	EQ(io_rd(SEL_VER), 0x00170011, "version: writes ignored");
	for (i = 3; i < 0x10; i++)
		EQ(io_rd(i), 0xffffffff, "selector %#x: no register, all ones", i);
	EQ(io_rd(0x40), 0xffffffff, "selector 0x40 (entry 24): all ones");
	EQ(io_rd(0xff), 0xffffffff, "selector 0xff: all ones");

	io_fresh();
	io_wr(SEL_LO(5), 0xffffffff);
	EQ(io_rd(SEL_LO(5)), 0xffffafff,
	   "entry low: delivery status and remote IRR read-only, rest kept");
	io_wr(SEL_HI(5), 0xffffffff);
	EQ(io_rd(SEL_HI(5)), 0xffffffff, "entry high: all kept (KVM keeps reserved bits)");
	io_wr(SEL_LO(23), 0x0b34);
	io_wr(SEL_HI(23), 0x56000000);
	EQ(io_rd(SEL_LO(23)), 0x0b34, "entry 23 low");
	EQ(io_rd(SEL_HI(23)), 0x56000000, "entry 23 high");
	EQ(io_rd(SEL_LO(22)), RTE_MASKED, "entry 22 untouched");
	io_wr(SEL_LO(7), RTE_MASKED);
	tap(ifx.flags & VTX_IOAPIC_FX_ROUTE, "entry write: FX_ROUTE");
	tap(!(ifx.flags & VTX_IOAPIC_FX_MASK), "entry write, mask unchanged: no FX_MASK");
	io_wr(SEL_LO(7), 0x30);
	tap((ifx.flags & VTX_IOAPIC_FX_MASK) && ifx.mask_changed == 1u << 7 &&
	    !ifx.masked, "unmask: FX_MASK, pin 7, now unmasked");
	io_wr(SEL_HI(7), 0);
	tap(!(ifx.flags & VTX_IOAPIC_FX_MASK), "high write: no FX_MASK");
	io_wr(SEL_LO(7), 0x30 | RTE_MASKED);
	tap(ifx.mask_changed == 1u << 7 && ifx.masked == 1u << 7, "mask: FX_MASK, masked");
	io_wr(SEL_ID, 0);
	tap(!ifx.flags, "ID write: no effects");
}

/* Every delivery mode, destination mode and trigger as a message. */
static void test_ioapic_msg(void)
{
	static const u32 dm[] = { 0x000, 0x100, 0x200, 0x400, 0x500, 0x700 };
	struct vtx_lapic_ipi m;
	unsigned int i;

	class("ioapic-msg");
	for (i = 0; i < ARRAY_SIZE(dm); i++) {
		io_fresh();
		io_entry(9, (0x40 + i) | dm[i] | (i & 1 ? RTE_LOGICAL : 0), 0x80 + i);
		vtx_ioapic_msg(io, 9, &m);
		tap(m.delivery_mode == dm[i] && m.vector == 0x40 + i &&
		    m.dest == 0x80 + i && m.logical == (i & 1) && !m.level &&
		    m.assert && m.shorthand == 0,
		    "message: mode %#x vector %#x dest %#x %s", dm[i], 0x40 + i,
		    0x80 + i, i & 1 ? "logical" : "physical");
	}
	io_entry(9, 0x99 | RTE_LEVEL | RTE_POL, 0xff);
	vtx_ioapic_msg(io, 9, &m);
	tap(m.level && m.dest == 0xff && m.vector == 0x99, "message: level, broadcast");
	vtx_ioapic_msg(io, 24, &m);
	tap(m.vector == 0 && m.dest == 0, "message of pin 24: empty");
}

static void test_ioapic_linux(void)
{
	struct vtx_lapic_ipi m;
	u32 lo;

	class("ioapic-linux");
	/* Linux: mask all entries (low word first), then program them */
	io_fresh();
	io_wr(SEL_LO(2), RTE_MASKED);
	io_wr(SEL_HI(2), 0);
	io_entry(2, 0x30, 0x01);	/* timer: edge, fixed, physical, CPU 1 */
	EQ(io_rd(SEL_LO(2)), 0x30, "timer entry low");
	EQ(io_rd(SEL_HI(2)), 0x01000000, "timer entry high");
	EQ(io_irq(2, true), 1, "timer edge: delivered");
	vtx_ioapic_msg(io, 2, &m);
	tap(delivered(2) && m.vector == 0x30 && m.dest == 1 && !m.logical &&
	    !m.level && m.delivery_mode == 0, "timer message");

	/* a level PCI interrupt, active low, logical destination 0x01 */
	lo = 0x61 | RTE_LEVEL | RTE_POL | RTE_LOGICAL;
	io_entry(16, lo, 0x01);
	EQ(io_irq(16, true), 1, "PCI level: delivered");
	tap(io_rd(SEL_LO(16)) & RTE_RIRR, "PCI level: remote IRR set");
	/* Linux's EOI on version 0x11: entry masked + edge, then restored */
	io_wr(SEL_HI(16), 0x01000000);
	io_wr(SEL_LO(16), (lo | RTE_MASKED) & ~RTE_LEVEL);
	tap(!(io_rd(SEL_LO(16)) & RTE_RIRR), "edge toggle clears remote IRR");
	tap(!delivered(16), "masked edge entry: nothing sent");
	io_wr(SEL_HI(16), 0x01000000);
	io_wr(SEL_LO(16), lo);
	tap(delivered(16), "entry restored, line still asserted: sent again");
	tap(io_rd(SEL_LO(16)) & RTE_RIRR, "and remote IRR set again");
	io_irq(16, false);
	io_wr(SEL_LO(16), (lo | RTE_MASKED) & ~RTE_LEVEL);
	io_wr(SEL_LO(16), lo);
	tap(!delivered(16) && !(io_rd(SEL_LO(16)) & RTE_RIRR),
	    "line low: restoring the entry sends nothing");
}

static void test_ioapic_edge(void)
{
	struct kvm_ioapic_state st;

	class("ioapic-edge");
	io_fresh();
	io_entry(4, 0x34, 0);
	EQ(io_irq(4, true), 1, "rising edge: delivered");
	tap(delivered(4) && ifx.deliver == 1u << 4, "only pin 4");
	EQ(io_irq(4, true), 0, "high again, no edge: coalesced (0)");
	tap(!delivered(4), "coalesced: nothing sent");
	EQ(io_irq(4, false), 1, "falling: 1");
	tap(!ifx.flags, "falling: no effects");
	EQ(io_irq(4, true), 1, "next rising edge: delivered");
	tap(!(io_rd(SEL_LO(4)) & RTE_RIRR), "edge: no remote IRR");
	vtx_ioapic_get_state(io, &st);
	EQ(st.irr & (1u << 4), 0, "delivered edge not in KVM_GET_IRQCHIP irr");

	io_irq(4, false);
	io_wr(SEL_LO(4), 0x34 | RTE_MASKED);
	EQ(io_irq(4, true), -1, "masked edge: -1");
	tap(!delivered(4), "masked edge: nothing sent");
	vtx_ioapic_get_state(io, &st);
	EQ(st.irr & (1u << 4), 1u << 4, "masked edge pending in irr");
	io_wr(SEL_LO(4), 0x34);
	tap(!delivered(4), "unmasking an edge pin sends nothing (KVM)");
	EQ(io_irq(4, true), 0, "pending edge, still high: coalesced");
	io_irq(4, false);
	EQ(io_irq(4, true), 1, "new edge after the line dropped: delivered");

	/* edge EOI: ack pins reported, nothing changes */
	EQ(vtx_ioapic_eoi_pins(io, 0x34), 1u << 4, "EOI of 0x34: pin 4 to notify");
	io_eoi(0x34, false);
	tap(!ifx.flags, "edge EOI: no effects");
	EQ(io_irq(4, true), 0, "edge EOI does not re-arm a high line");
	EQ(vtx_ioapic_set_irq(io, 24, true, &ifx), -EINVAL, "pin 24: -EINVAL");
	EQ(vtx_ioapic_set_irq(io, ~0u, true, &ifx), -EINVAL, "pin ~0: -EINVAL");
}

static void test_ioapic_level(void)
{
	unsigned int i;
	bool ok;

	class("ioapic-level");
	io_fresh();
	io_entry(10, 0x51 | RTE_LEVEL, 0);
	EQ(io_irq(10, true), 1, "level asserted: delivered");
	tap(delivered(10), "level: message");
	tap(io_rd(SEL_LO(10)) & RTE_RIRR, "remote IRR set");
	EQ(io_irq(10, true), -1, "asserted again, remote IRR set: -1 (KVM)");
	tap(!delivered(10), "not re-sent while remote IRR set");
	EQ(vtx_ioapic_eoi_pins(io, 0x51), 1u << 10, "EOI 0x51: pin 10 acked");
	EQ(vtx_ioapic_eoi_pins(io, 0x52), 0, "EOI 0x52: no pin");
	io_eoi(0x52, true);
	tap(io_rd(SEL_LO(10)) & RTE_RIRR, "EOI of another vector: remote IRR stays");
	io_eoi(0x51, false);
	tap(io_rd(SEL_LO(10)) & RTE_RIRR && !ifx.flags,
	    "edge (or directed) EOI of the vector: remote IRR stays");
	io_eoi(0x51, true);
	tap(delivered(10), "EOI, line still asserted: re-delivered");
	tap(io_rd(SEL_LO(10)) & RTE_RIRR, "remote IRR set again");
	EQ(io_irq(10, false), 1, "deassert: 1");
	tap(io_rd(SEL_LO(10)) & RTE_RIRR, "deassert keeps remote IRR");
	io_eoi(0x51, true);
	tap(!delivered(10) && !(io_rd(SEL_LO(10)) & RTE_RIRR),
	    "EOI, line low: remote IRR clear, nothing sent");
	EQ(io_irq(10, true), 1, "asserted again: delivered");

	/* mask while asserted, unmask: sent */
	io_fresh();
	io_entry(11, 0x52 | RTE_LEVEL | RTE_MASKED, 0);
	EQ(io_irq(11, true), -1, "masked level: -1");
	tap(!(io_rd(SEL_LO(11)) & RTE_RIRR), "masked level: no remote IRR");
	io_wr(SEL_LO(11), 0x52 | RTE_LEVEL);
	tap(delivered(11), "unmasking a level pin with the line asserted sends");
	tap(io_rd(SEL_LO(11)) & RTE_RIRR, "unmasked level: remote IRR");
	io_wr(SEL_HI(11), 0x02000000);
	tap(!delivered(11), "entry write with remote IRR set: nothing sent");
	/* masked at EOI time: remote IRR clears, nothing sent */
	io_wr(SEL_LO(11), 0x52 | RTE_LEVEL | RTE_MASKED);
	io_eoi(0x52, true);
	tap(!delivered(11) && !(io_rd(SEL_LO(11)) & RTE_RIRR), "EOI of a masked pin: no re-delivery");

	/* RO bits cannot be set by a write */
	io_fresh();
	io_wr(SEL_LO(12), 0x53 | RTE_LEVEL | RTE_MASKED | RTE_RIRR | RTE_DELIVS);
	EQ(io_rd(SEL_LO(12)), 0x53 | RTE_LEVEL | RTE_MASKED, "remote IRR/delivery status not writable");

	/* two pins on one vector: one EOI serves both */
	io_fresh();
	io_entry(13, 0x60 | RTE_LEVEL, 0);
	io_entry(14, 0x60 | RTE_LEVEL, 1);
	io_irq(13, true);
	io_irq(14, true);
	EQ(vtx_ioapic_eoi_pins(io, 0x60), 3u << 13, "shared vector: both pins acked");
	io_eoi(0x60, true);
	EQ(ifx.deliver, 3u << 13, "shared vector: both re-delivered");

	/* no destination accepted it */
	io_fresh();
	io_entry(15, 0x61 | RTE_LEVEL, 7);
	io_irq(15, true);
	vtx_ioapic_delivered(io, 15, -1);
	tap(io_rd(SEL_LO(15)) & RTE_RIRR, "no destination (-1): remote IRR stays (KVM)");
	vtx_ioapic_delivered(io, 15, 2);
	tap(io_rd(SEL_LO(15)) & RTE_RIRR, "accepted by 2: remote IRR stays");
	vtx_ioapic_delivered(io, 15, 0);
	tap(!(io_rd(SEL_LO(15)) & RTE_RIRR), "refused by all (0): remote IRR cleared");
	EQ(io_irq(15, true), 1, "and sent again on the next assertion");
	vtx_ioapic_delivered(io, 99, 0);
	tap(io_guards_ok(), "delivered() of pin 99: nothing written");

	/* the storm rule: the 10000th successive re-delivery waits */
	io_fresh();
	io_entry(20, 0x70 | RTE_LEVEL, 0);
	io_irq(20, true);
	ok = true;
	for (i = 1; i < 10000; i++) {
		io_eoi(0x70, true);
		ok &= delivered(20) && !(ifx.flags & VTX_IOAPIC_FX_EOI_DELAY);
	}
	tap(ok, "9999 EOIs with the line asserted: each re-delivers");
	io_eoi(0x70, true);
	tap(!delivered(20) && (ifx.flags & VTX_IOAPIC_FX_EOI_DELAY),
	    "the 10000th: no delivery, FX_EOI_DELAY");
	tap(!(io_rd(SEL_LO(20)) & RTE_RIRR), "storm: remote IRR clear");
	vtx_ioapic_eoi_inject(io, &ifx);
	tap(delivered(20) && ifx.deliver == 1u << 20, "delayed injection delivers it");
	io_eoi(0x70, true);
	tap(delivered(20), "counting starts over");
	io_irq(20, false);
	io_eoi(0x70, true);
	EQ(io->eoi_storm[20], 0, "an EOI with the line low resets the count");
	vtx_ioapic_eoi_inject(io, &ifx);
	tap(!ifx.flags, "delayed injection, nothing asserted: nothing");
}

static void test_ioapic_state(void)
{
	struct kvm_ioapic_state st, st2;
	unsigned int i;
	bool ok;

	class("ioapic-state");
	EQ(sizeof(st), 216, "struct kvm_ioapic_state: 216 bytes");
	io_fresh();
	vtx_ioapic_get_state(io, &st);
	ok = st.base_address == 0xfec00000 && !st.ioregsel && !st.id && !st.irr;
	for (i = 0; i < 24; i++)
		ok &= st.redirtbl[i].bits == 0x10000 && st.redirtbl[i].fields.mask;
	tap(ok, "GET_IRQCHIP of a new IOAPIC");

	/* everything masked: the state comes back byte for byte */
	seed(1);
	ok = true;
	for (i = 0; i < 200; i++) {
		unsigned int j;

		memset(&st, 0, sizeof(st));
		st.base_address = (u64)rnd() << 32 | rnd();
		st.ioregsel = rnd();
		st.id = rnd();
		st.irr = rnd() & 0xffffff;
		st.pad = rnd();
		for (j = 0; j < 24; j++)
			st.redirtbl[j].bits = ((u64)rnd() << 32 | rnd()) | RTE_MASKED;
		io_fresh();
		vtx_ioapic_set_state(io, &st, &ifx);
		ok &= !(ifx.flags & VTX_IOAPIC_FX_DELIVER);
		vtx_ioapic_get_state(io, &st2);
		ok &= !memcmp(&st, &st2, sizeof(st));
	}
	tap(ok, "SET then GET, all masked: identical (200 random states)");

	io_fresh();
	memset(&st, 0, sizeof(st));
	for (i = 0; i < 24; i++)
		st.redirtbl[i].bits = RTE_MASKED;
	st.redirtbl[1].bits = 0x31;				/* edge */
	st.redirtbl[6].bits = 0x36 | RTE_LEVEL;			/* level */
	st.redirtbl[7].bits = 0x37 | RTE_LEVEL | RTE_RIRR;	/* EOI due */
	st.redirtbl[8].bits = 0x38 | RTE_MASKED;
	st.irr = 1u << 1 | 1u << 6 | 1u << 7 | 1u << 8 | 0xff000000u;
	vtx_ioapic_set_state(io, &st, &ifx);
	EQ(ifx.deliver, 1u << 1 | 1u << 6, "SET_IRQCHIP irr raises pins: edge 1, level 6 sent");
	tap(ifx.flags & VTX_IOAPIC_FX_ROUTE, "SET_IRQCHIP: FX_ROUTE");
	vtx_ioapic_get_state(io, &st2);
	EQ(st2.irr, 1u << 6 | 1u << 7 | 1u << 8, "GET: irr of level lines and the masked edge");
	tap(st2.redirtbl[6].fields.remote_irr && st2.redirtbl[7].fields.remote_irr,
	    "remote IRR: set by delivery, and as given");
	io_eoi(0x37, true);
	tap(delivered(7), "EOI of the restored remote IRR re-delivers pin 7");
	EQ(st2.redirtbl[1].fields.vector, 0x31, "uapi bitfield view: vector");
	st.id = 0xabcdef12;
	vtx_ioapic_set_state(io, &st, &ifx);
	EQ(io_rd(SEL_ID), 0x02000000, "ID 0xabcdef12 reads bits 3:0 in 27:24");
	vtx_ioapic_get_state(io, &st2);
	EQ(st2.id, 0xabcdef12, "GET returns the ID as set (KVM)");
}

static void test_ioapic_hostile(void)
{
	struct kvm_ioapic_state st;
	struct vtx_lapic_ipi m;
	unsigned int i;
	bool ok = true;

	class("ioapic-hostile");
	io_fresh();
	for (i = 0; i < 0x10000; i++) {
		vtx_ioapic_write(io, IOREGSEL, i, &ifx);
		vtx_ioapic_read(io, IOWIN);
		vtx_ioapic_write(io, IOWIN, ~i, &ifx);
		vtx_ioapic_write(io, i, i * 0x01010101u, &ifx);
		vtx_ioapic_read(io, i);
	}
	tap(io_guards_ok(), "every offset and selector, read and written: in bounds");
	for (i = 24; i < 0x10000; i += 7) {
		ok &= vtx_ioapic_set_irq(io, i, i & 1, &ifx) == -EINVAL;
		vtx_ioapic_msg(io, i, &m);
		vtx_ioapic_delivered(io, i, 0);
	}
	tap(ok && io_guards_ok(), "pins 24 and up: -EINVAL, nothing written");
	for (i = 0; i < 256; i++)
		io_eoi(i, i & 1);
	tap(io_guards_ok(), "EOI of every vector: in bounds");
	seed(2);
	for (i = 0; i < 2000; i++) {
		unsigned int j;

		for (j = 0; j < sizeof(st); j++)
			((u8 *)&st)[j] = rnd();
		vtx_ioapic_set_state(io, &st, &ifx);
		io_rd(rnd());
		io_wr(rnd(), rnd());
		vtx_ioapic_read(io, IOWIN);
	}
	tap(io_guards_ok(), "2000 random SET_IRQCHIP states, then accesses: in bounds");
}

/* Random operations; invariants after each. */
static void test_ioapic_random(void)
{
	unsigned int step, bad = 0, pin;
	struct vtx_ioapic_fx f;

	class("ioapic-random");
	io_fresh();
	seed(3);
	for (step = 0; step < 20000; step++) {
		u32 op = rnd() % 8, before[24];
		unsigned int i;

		for (i = 0; i < 24; i++)
			before[i] = io->redirtbl[i];
		pin = rnd() % 26;
		memset(&f, 0, sizeof(f));
		switch (op) {
		case 0:
		case 1:
			vtx_ioapic_set_irq(io, pin, rnd() & 1, &f);
			break;
		case 2:
			vtx_ioapic_write(io, IOREGSEL, rnd() % 0x50, &ifx);
			vtx_ioapic_write(io, IOWIN, rnd() & 0xff01ffff, &f);
			break;
		case 3:
			vtx_ioapic_read(io, rnd() & 0xff);
			break;
		case 4:
			vtx_ioapic_eoi(io, 0x40 + rnd() % 4, rnd() & 1, &f);
			break;
		case 5:
			vtx_ioapic_eoi_inject(io, &f);
			break;
		case 6:
			vtx_ioapic_delivered(io, pin, (int)(rnd() % 3) - 1);
			break;
		case 7:	/* few vectors, so EOIs hit */
			io_wr(SEL_LO(pin % 24), (0x40 + rnd() % 4) |
			      (rnd() & 1 ? RTE_LEVEL : 0) |
			      (rnd() % 4 ? 0 : RTE_MASKED));
			f = ifx;
			break;
		}
		if (io->irr & ~0xffffffu || io->irr_delivered & ~0xffffffu)
			bad++;
		if (f.deliver & ~0xffffffu)
			bad++;
		for (i = 0; i < 24; i++) {
			u64 rte = io->redirtbl[i];

			if (!(f.deliver & (1u << i)))
				continue;
			/* a message leaves only an unmasked entry ... */
			if (rte & RTE_MASKED)
				bad++;
			/* ... a level one sets remote IRR, and was not
			 * waiting for an EOI unless this call ended it
			 */
			if ((rte & RTE_LEVEL) && !(rte & RTE_RIRR))
				bad++;
			if ((rte & RTE_LEVEL) && (before[i] & RTE_RIRR) &&
			    op != 4 && op != 2 && op != 7)
				bad++;
			/* an edge message only for a rising line, or (as
			 * KVM) at a level EOI of a vector it shares
			 */
			if (!(rte & RTE_LEVEL) && op > 1 && op != 4)
				bad++;
		}
		if (!io_guards_ok())
			bad++;
	}
	EQ(bad, 0, "20000 random operations: invariants hold");
}

/* ================================================================= PIC == */

/* Ports and command bytes of the 8259A datasheet. */
enum { M_CMD = 0x20, M_DATA = 0x21, S_CMD = 0xa0, S_DATA = 0xa1,
       ELCR1 = 0x4d0, ELCR2 = 0x4d1 };
#define READ_IRR	0x0a
#define READ_ISR	0x0b
#define POLL		0x0c
#define NS_EOI		0x20
#define SPEC_EOI(ir)	(0x60 | (ir))
#define ROT_NS_EOI	0xa0
#define ROT_SPEC_EOI(ir) (0xe0 | (ir))
#define SET_PRIO(ir)	(0xc0 | (ir))
#define ROT_AEOI_SET	0x80
#define ROT_AEOI_CLR	0x00
#define SMM_SET		0x68
#define SMM_CLR		0x48

static struct {
	u8 before[64];
	struct vtx_pic p;
	u8 after[64];
} gpic;
static struct vtx_pic *const pic = &gpic.p;
static struct vtx_pic_fx pfx;

static bool pic_guards_ok(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(gpic.before); i++)
		if (gpic.before[i] != 0x5a || gpic.after[i] != 0x5a)
			return false;
	return true;
}

static void pic_fresh(void)
{
	memset(&gpic, 0x5a, sizeof(gpic));
	vtx_pic_reset(pic);
}

static void outb(u8 val, u16 port)
{
	if (vtx_pic_write(pic, port, val, &pfx))
		tap(false, "out %#x to %#x refused", val, port);
}

static u8 inb(u16 port)
{
	u8 v;

	if (vtx_pic_read(pic, port, &v, &pfx))
		tap(false, "in from %#x refused", port);
	return v;
}

static int irq(unsigned int n, bool level)
{
	return vtx_pic_set_irq(pic, n, level, &pfx);
}

static int ack(void)
{
	return vtx_pic_ack(pic, &pfx);
}

/* Linux 6.1 arch/x86/kernel/i8259.c init_8259A(0), the masks restored. */
static void linux_init(u8 master_mask, u8 slave_mask)
{
	outb(0xff, M_DATA);
	outb(0xff, S_DATA);
	outb(0x11, M_CMD);	/* ICW1: edge, cascade, ICW4 */
	outb(0x30, M_DATA);	/* ICW2: ISA_IRQ_VECTOR(0) */
	outb(0x04, M_DATA);	/* ICW3: slave on IR2 */
	outb(0x01, M_DATA);	/* ICW4: 8086, normal EOI */
	outb(0x11, S_CMD);
	outb(0x38, S_DATA);
	outb(0x02, S_DATA);	/* ICW3: slave ID 2 */
	outb(0x01, S_DATA);
	outb(master_mask, M_DATA);
	outb(slave_mask, S_DATA);
}

/* SeaBIOS src/hw/pic.c pic_reset(0x08, 0x70). */
static void seabios_init(void)
{
	outb(0x11, M_CMD);
	outb(0x11, S_CMD);
	outb(0x08, M_DATA);
	outb(0x70, S_DATA);
	outb(0x04, M_DATA);
	outb(0x02, S_DATA);
	outb(0x01, M_DATA);
	outb(0x01, S_DATA);
	outb(0xfb, M_DATA);
	outb(0xff, S_DATA);
}

static void test_pic_init(void)
{
	struct kvm_pic_state st;

	class("pic-init");
	pic_fresh();
	vtx_pic_get_state(pic, 0, &st);
	tap(!st.irr && !st.imr && !st.isr && !st.irq_base && !st.init_state &&
	    !st.elcr && st.elcr_mask == 0xf8, "new master: all 0, ELCR mask 0xf8");
	vtx_pic_get_state(pic, 1, &st);
	EQ(st.elcr_mask, 0xde, "new slave: ELCR mask 0xde");
	tap(!vtx_pic_output(pic), "new: INTR low");

	linux_init(0xfb, 0xff);
	vtx_pic_get_state(pic, 0, &st);
	tap(st.irq_base == 0x30 && st.init_state == 0 && st.init4 == 1 &&
	    !st.auto_eoi && !st.special_fully_nested_mode && st.imr == 0xfb,
	    "Linux init: master base 0x30, ready, IMR 0xfb");
	vtx_pic_get_state(pic, 1, &st);
	tap(st.irq_base == 0x38 && st.init_state == 0 && st.imr == 0xff,
	    "Linux init: slave base 0x38, ready, IMR 0xff");
	EQ(inb(M_DATA), 0xfb, "IMR reads back (Linux's probe_8259A)");
	outb(0xff, M_DATA);
	EQ(inb(M_DATA), 0xff, "IMR 0xff reads back");

	pic_fresh();
	seabios_init();
	vtx_pic_get_state(pic, 0, &st);
	tap(st.irq_base == 0x08 && st.imr == 0xfb && !st.init_state,
	    "SeaBIOS init: master base 0x08, IMR 0xfb");
	vtx_pic_get_state(pic, 1, &st);
	tap(st.irq_base == 0x70 && st.imr == 0xff && !st.init_state,
	    "SeaBIOS init: slave base 0x70, IMR 0xff");

	/* ICW1 without IC4: ICW2, ICW3, then ready; ICW4 modes cleared */
	pic_fresh();
	outb(0x11, M_CMD);
	outb(0x20, M_DATA);
	outb(0x04, M_DATA);
	outb(0x03, M_DATA);	/* ICW4: AEOI */
	vtx_pic_get_state(pic, 0, &st);
	EQ(st.auto_eoi, 1, "ICW4 AEOI");
	outb(0x10, M_CMD);
	vtx_pic_get_state(pic, 0, &st);
	tap(!st.auto_eoi && st.init_state == 1 && !st.init4,
	    "ICW1 without IC4: AEOI cleared, ICW2 expected");
	outb(0x48, M_DATA);
	EQ(pic->chip[0].irq_base, 0x48, "ICW2: base 0x48");
	outb(0x04, M_DATA);
	EQ(pic->chip[0].init_state, 0, "ICW3, no IC4: ready");
	outb(0x5a, M_DATA);
	EQ(inb(M_DATA), 0x5a, "then the data port is IMR");
	outb(0x11, M_CMD);
	outb(0x4f, M_DATA);
	EQ(pic->chip[0].irq_base, 0x48, "ICW2: bits 2:0 dropped");
	EQ(inb(M_DATA), 0, "ICW1 clears IMR");
	outb(0x04, M_DATA);
	outb(0x13, M_DATA);	/* ICW4: SFNM + AEOI */
	tap(pic->chip[0].special_fully_nested_mode && pic->chip[0].auto_eoi &&
	    !pic->chip[0].init_state, "ICW4: SFNM and AEOI");
	outb(0x11, M_CMD);
	tap(pic->chip[0].special_fully_nested_mode && pic->chip[0].auto_eoi,
	    "ICW1 with IC4 keeps ICW4's modes until ICW4");
	outb(0x13, M_CMD);	/* SNGL: KVM still expects ICW3 */
	outb(0x08, M_DATA);
	EQ(pic->chip[0].init_state, 2, "single mode: ICW3 still expected (KVM)");
}

static void test_pic_irq(void)
{
	class("pic-irq");
	pic_fresh();
	linux_init(0xfa, 0xff);		/* IRQ0 and cascade unmasked */
	EQ(irq(0, true), 1, "IRQ0 rising: 1");
	tap(vtx_pic_output(pic) && (pfx.flags & VTX_PIC_FX_OUTPUT) &&
	    (pfx.flags & VTX_PIC_FX_KICK) && pfx.output, "INTR rises: FX_OUTPUT, FX_KICK");
	EQ(irq(0, true), 1, "IRQ0 high again, no edge: 1 (KVM)");
	tap(!(pfx.flags & VTX_PIC_FX_KICK), "no second kick");
	EQ(ack(), 0x30, "INTA: vector 0x30");
	EQ(pic->chip[0].isr, 0x01, "IRQ0 in service");
	EQ(pic->chip[0].irr, 0x00, "edge request cleared");
	tap(!vtx_pic_output(pic) && (pfx.flags & VTX_PIC_FX_OUTPUT) && !pfx.output,
	    "INTR falls after INTA");
	irq(0, false);
	EQ(irq(0, true), 1, "new edge while in service: 1");
	tap(!vtx_pic_output(pic), "same level in service: INTR low");
	irq(0, false);
	EQ(irq(0, true), 0, "another edge, still requested: coalesced (0)");
	outb(SPEC_EOI(0), M_CMD);	/* Linux: specific EOI */
	tap((pfx.flags & VTX_PIC_FX_ACK) && pfx.acked == 0x0001, "EOI: IRQ0 acked");
	tap(vtx_pic_output(pic) && (pfx.flags & VTX_PIC_FX_KICK),
	    "EOI: the pending IRQ0 raises INTR");
	EQ(ack(), 0x30, "second IRQ0");
	outb(NS_EOI, M_CMD);
	EQ(pic->chip[0].isr, 0, "non-specific EOI");
	EQ(irq(1, true), -1, "masked IRQ1: -1");
	tap(!vtx_pic_output(pic), "masked: INTR low");
	EQ(pic->chip[0].irr, 0x02, "masked request still in IRR");
	outb(0xf8, M_DATA);
	tap(vtx_pic_output(pic) && (pfx.flags & VTX_PIC_FX_MASK) &&
	    pfx.mask_changed == 0x0002, "unmasking IRQ1: INTR, FX_MASK bit 1");
	EQ(ack(), 0x31, "IRQ1: vector 0x31");
	outb(NS_EOI, M_CMD);

	/* the cascade: Linux's mask_and_ack_8259A for IRQ12 */
	outb(0xef, S_DATA);
	tap(pfx.mask_changed == 0x1000, "slave IMR: FX_MASK bit 12");
	EQ(irq(12, true), 1, "IRQ12: 1");
	tap(vtx_pic_output(pic), "slave request raises INTR via IR2");
	EQ(pic->chip[0].irr, 0x04, "master IRR2");
	EQ(ack(), 0x3c, "INTA: vector 0x3c");
	tap(pic->chip[0].isr == 0x04 && pic->chip[1].isr == 0x10,
	    "master IR2 and slave IR4 in service");
	outb(SPEC_EOI(4), S_CMD);
	tap(pfx.acked == 0x1000, "slave specific EOI: IRQ12 acked");
	outb(SPEC_EOI(2), M_CMD);
	tap(pfx.acked == 0x0004, "master specific EOI 2: IRQ2 acked");
	tap(!pic->chip[0].isr && !pic->chip[1].isr, "both out of service");

	/* level inputs (ELCR) */
	outb(0xff, ELCR1);
	EQ(inb(ELCR1), 0xf8, "ELCR1: IRQ0-2 always edge");
	outb(0xff, ELCR2);
	EQ(inb(ELCR2), 0xde, "ELCR2: IRQ8, IRQ13 always edge");
	outb(0x00, ELCR1);
	outb(0x02, ELCR2);		/* IRQ9 level */
	outb(0xed, S_DATA);
	EQ(irq(9, true), 1, "IRQ9 level asserted: 1");
	EQ(irq(9, true), 0, "asserted again: coalesced");
	EQ(ack(), 0x39, "IRQ9: vector 0x39");
	EQ(pic->chip[1].irr, 0x02, "level request stays in IRR after INTA");
	outb(NS_EOI, S_CMD);
	outb(NS_EOI, M_CMD);
	tap(vtx_pic_output(pic), "EOI, line still high: requested again");
	irq(9, false);
	EQ(pic->chip[1].irr, 0, "line low: IRR clear");
	EQ(ack(), 0x3f, "master IR2 still latched: spurious IRQ15 (0x3f)");
	tap(pic->chip[0].isr == 0x04 && !pic->chip[1].isr,
	    "spurious IRQ15: master IR2 in service, slave nothing");
	outb(NS_EOI, M_CMD);

	/* auto-EOI, rotate in auto-EOI */
	pic_fresh();
	outb(0x11, M_CMD);
	outb(0x08, M_DATA);
	outb(0x04, M_DATA);
	outb(0x03, M_DATA);
	outb(0xe0, M_DATA);
	irq(3, true);
	EQ(ack(), 0x0b, "AEOI: vector 0x0b");
	tap(!pic->chip[0].isr && (pfx.flags & VTX_PIC_FX_ACK) && pfx.acked == 0x0008,
	    "AEOI: nothing in service, IRQ3 acked at INTA");
	EQ(pic->chip[0].priority_add, 0, "AEOI without rotation: priorities fixed");
	outb(ROT_AEOI_SET, M_CMD);
	irq(4, true);
	EQ(ack(), 0x0c, "rotate in AEOI: IRQ4");
	EQ(pic->chip[0].priority_add, 5, "IR4 now lowest: priority_add 5");
	outb(ROT_AEOI_CLR, M_CMD);
	EQ(pic->chip[0].rotate_on_auto_eoi, 0, "rotate in AEOI cleared");

	EQ(vtx_pic_set_irq(pic, 16, true, &pfx), -EINVAL, "IRQ16: -EINVAL");
	EQ(vtx_pic_set_irq(pic, ~0u, true, &pfx), -EINVAL, "IRQ ~0: -EINVAL");
}

/* Reference: the IR a chip presents, by walking priorities in order. */
static int ref_irq(const struct vtx_pic_chip *c, bool master)
{
	u8 isr = c->isr;
	unsigned int k;

	if (c->special_mask)
		isr &= ~c->imr;
	if (master && c->special_fully_nested_mode)
		isr &= ~0x04;
	for (k = 0; k < 8; k++) {
		unsigned int ir = (c->priority_add + k) & 7;

		if (isr & (1u << ir))
			return -1;
		if (c->irr & ~c->imr & (1u << ir))
			return ir;
	}
	return -1;
}

static void test_pic_priority(void)
{
	unsigned int i, bad = 0;

	class("pic-priority");
	pic_fresh();
	linux_init(0x00, 0xff);
	irq(7, true);
	irq(5, true);
	EQ(ack(), 0x35, "fixed priority: IR5 before IR7");
	irq(3, true);
	tap(vtx_pic_output(pic), "IR3 above IR5 in service: INTR");
	EQ(ack(), 0x33, "nested: IR3");
	tap(!vtx_pic_output(pic), "IR7 below IR3 and IR5: INTR low");
	outb(NS_EOI, M_CMD);
	EQ(pic->chip[0].isr, 0x20, "non-specific EOI ends the highest (IR3)");
	outb(NS_EOI, M_CMD);
	EQ(ack(), 0x37, "then IR7");
	outb(ROT_NS_EOI, M_CMD);
	EQ(pic->chip[0].priority_add, 0, "rotate on EOI of IR7: IR0 highest again");

	outb(SET_PRIO(3), M_CMD);
	EQ(pic->chip[0].priority_add, 4, "set priority: IR3 lowest");
	irq(1, true);
	irq(5, false);
	irq(5, true);
	EQ(ack(), 0x35, "IR4 highest: IR5 before IR1");
	outb(ROT_NS_EOI, M_CMD);
	EQ(pic->chip[0].priority_add, 6, "rotate on non-specific EOI of IR5");
	EQ(ack(), 0x31, "IR1");
	outb(ROT_SPEC_EOI(1), M_CMD);
	tap(pic->chip[0].priority_add == 2 && !pic->chip[0].isr,
	    "rotate on specific EOI: IR1 lowest, out of service");

	/* special fully nested mode: a slave request above the one in service */
	pic_fresh();
	outb(0x11, M_CMD); outb(0x30, M_DATA); outb(0x04, M_DATA);
	outb(0x11, M_DATA);	/* ICW4: SFNM */
	outb(0x11, S_CMD); outb(0x38, S_DATA); outb(0x02, S_DATA);
	outb(0x01, S_DATA);
	outb(0x00, M_DATA);
	outb(0x00, S_DATA);
	irq(13, true);
	EQ(ack(), 0x3d, "IRQ13");
	irq(9, true);
	tap(vtx_pic_output(pic), "SFNM: higher slave IRQ9 through IR2 in service");
	EQ(ack(), 0x39, "SFNM: IRQ9 nested");
	pic_fresh();
	linux_init(0x00, 0x00);
	irq(13, true);
	ack();
	irq(9, true);
	tap(!vtx_pic_output(pic), "fully nested: IR2 in service blocks IRQ9");

	/* special mask mode (datasheet; KVM ignores it) */
	pic_fresh();
	linux_init(0x00, 0xff);
	irq(3, true);
	ack();
	irq(5, true);
	tap(!vtx_pic_output(pic), "IR3 in service blocks IR5");
	outb(0x08, M_DATA);
	outb(SMM_SET, M_CMD);
	EQ(pic->chip[0].special_mask, 1, "OCW3: special mask mode set");
	irq(6, true);
	tap(vtx_pic_output(pic), "special mask mode: IR3 masked in service blocks nothing");
	EQ(ack(), 0x35, "IR5 taken under IR3");
	outb(SMM_CLR, M_CMD);
	EQ(pic->chip[0].special_mask, 0, "OCW3: special mask mode cleared");
	outb(0x28, M_CMD);	/* OCW3 without ESMM: SMM unchanged */
	EQ(pic->chip[0].special_mask, 0, "OCW3 SMM without ESMM: ignored");

	/* random states: INTR and INTA against the reference */
	seed(4);
	for (i = 0; i < 5000; i++) {
		struct kvm_pic_state st;
		int want;
		u8 v;

		pic_fresh();
		memset(&st, 0, sizeof(st));
		st.irr = rnd();
		st.imr = rnd() & rnd();
		st.isr = rnd() & rnd() & rnd();
		st.priority_add = rnd();
		st.irq_base = rnd() & 0xf8;
		st.special_mask = rnd() % 4 == 0;
		st.special_fully_nested_mode = rnd() % 4 == 0;
		st.irr &= ~0x04;	/* no cascade: slave idle */
		vtx_pic_set_state(pic, 0, &st, &pfx);
		want = ref_irq(&pic->chip[0], true);
		if (vtx_pic_output(pic) != (want >= 0))
			bad++;
		v = ack();
		if (v != (u8)(st.irq_base + (want >= 0 ? want : 7)))
			bad++;
		if (want >= 0 && !(pic->chip[0].isr & (1u << want)))
			bad++;
		if (want < 0 && pic->chip[0].isr != st.isr)
			bad++;
	}
	EQ(bad, 0, "5000 random master states: INTR and INTA as the reference");
}

static void test_pic_read(void)
{
	class("pic-read");
	pic_fresh();
	linux_init(0x00, 0xff);
	irq(4, true);
	irq(6, true);
	EQ(inb(M_CMD), 0x50, "after ICW1 the command port reads IRR");
	ack();
	outb(READ_ISR, M_CMD);
	EQ(inb(M_CMD), 0x10, "OCW3 RR|RIS: ISR");
	EQ(inb(M_CMD), 0x10, "the selection stays");
	outb(READ_IRR, M_CMD);
	EQ(inb(M_CMD), 0x40, "OCW3 RR: IRR");
	outb(0x09, M_CMD);	/* RIS without RR */
	EQ(inb(M_CMD), 0x40, "RIS without RR: no change");
	EQ(inb(M_DATA), 0x00, "data port: IMR");

	/* poll, as KVM: the IR number, no ISR, acked */
	outb(NS_EOI, M_CMD);
	irq(1, true);
	outb(POLL, M_CMD);
	EQ(inb(M_CMD), 1, "poll: IR1 (KVM: no bit 7)");
	tap(!(pic->chip[0].irr & 0x02) && !(pic->chip[0].isr & 0x02) &&
	    pfx.acked == 0x0002, "poll: IR1 out of IRR, not in service, acked");
	EQ(pic->chip[0].poll, 0, "poll mode ends after one read");
	EQ(inb(M_CMD), 0x40, "next read: IRR again");
	outb(POLL, M_CMD);
	EQ(inb(M_DATA), 6, "poll through the data port: IR6");
	outb(POLL, M_CMD);
	EQ(inb(M_CMD), 7, "poll with nothing requested: 7");
	tap(!(pfx.flags & VTX_PIC_FX_ACK), "empty poll: nothing acked");

	/* slave poll clears the cascade on the master */
	outb(0xfb, M_DATA);
	outb(0x00, S_DATA);
	irq(10, true);
	EQ(pic->chip[0].irr & 0x04, 0x04, "slave request: master IRR2");
	outb(POLL, S_CMD);
	EQ(inb(S_CMD), 2, "slave poll: IR2 (IRQ10)");
	tap(!(pic->chip[0].irr & 0x04) && !(pic->chip[0].isr & 0x04) &&
	    pfx.acked == 0x0400, "slave poll: master IR2 cleared, IRQ10 acked");
}

static void test_pic_spurious(void)
{
	class("pic-spurious");
	pic_fresh();
	linux_init(0x00, 0x00);
	EQ(ack(), 0x37, "INTA with nothing requested: spurious IRQ7 (0x37)");
	EQ(pic->chip[0].isr, 0, "spurious IRQ7: nothing in service");
	outb(READ_ISR, M_CMD);
	EQ(inb(M_CMD), 0, "Linux's i8259A_irq_real: ISR bit 7 clear");
	outb(0x00, ELCR1);
	outb(0x08, ELCR1);	/* IRQ3 level */
	irq(3, true);
	tap(vtx_pic_output(pic), "level IRQ3: INTR");
	irq(3, false);
	tap(!vtx_pic_output(pic) && (pfx.flags & VTX_PIC_FX_OUTPUT), "line drops: INTR falls");
	EQ(ack(), 0x37, "INTA after the line dropped: spurious 0x37");
}

static void test_pic_reset_acks(void)
{
	class("pic-icw1");
	pic_fresh();
	linux_init(0xff, 0xff);
	outb(0x20, ELCR1);	/* IRQ5 level */
	irq(3, true);		/* edge, masked: in IRR */
	irq(5, true);		/* level */
	pic->chip[0].isr = 0x08;
	pic->accepted = false;
	outb(0x11, M_CMD);
	tap(pic->chip[0].irr == 0x20 && pic->chip[0].isr == 0x08 && !pfx.acked,
	    "ICW1, no vCPU takes PIC interrupts: edge IRR dropped, ISR kept");
	irq(3, false);
	irq(3, true);
	outb(0x30, M_DATA); outb(0x04, M_DATA); outb(0x01, M_DATA);
	outb(0xff, M_DATA);
	irq(3, false);
	irq(3, true);
	pic->accepted = true;
	outb(0x11, M_CMD);
	tap(pic->chip[0].irr == 0x20 && pic->chip[0].isr == 0 &&
	    (pfx.flags & VTX_PIC_FX_ACK) && pfx.acked == 0x0008,
	    "ICW1, a vCPU takes them: dropped IRQ3 out of service and acked (KVM)");
	EQ(pic->chip[0].last_irr, 0, "ICW1: edge history cleared");
	EQ(inb(M_DATA), 0, "ICW1: IMR 0");
	pic->output = true;
	outb(0x11, M_CMD);
	tap(vtx_pic_output(pic), "ICW1 does not recompute INTR (KVM)");
}

static void test_pic_state(void)
{
	struct kvm_pic_state st, st2;
	unsigned int i, j;
	bool ok = true;

	class("pic-state");
	EQ(sizeof(st), 16, "struct kvm_pic_state: 16 bytes");
	seed(5);
	for (i = 0; i < 500; i++) {
		unsigned int c = i & 1;

		for (j = 0; j < sizeof(st); j++)
			((u8 *)&st)[j] = rnd();
		pic_fresh();
		ok &= vtx_pic_set_state(pic, c, &st, &pfx) == 0;
		ok &= vtx_pic_get_state(pic, c, &st2) == 0;
		ok &= !memcmp(&st, &st2, sizeof(st));
	}
	tap(ok, "SET then GET: identical (500 random states)");
	EQ(vtx_pic_get_state(pic, 2, &st), -EINVAL, "GET chip 2: -EINVAL");
	EQ(vtx_pic_set_state(pic, 2, &st, &pfx), -EINVAL, "SET chip 2: -EINVAL");

	pic_fresh();
	memset(&st, 0, sizeof(st));
	st.irr = 0x10;
	st.irq_base = 0x20;
	st.elcr_mask = 0xff;
	vtx_pic_set_state(pic, 0, &st, &pfx);
	tap(vtx_pic_output(pic) && (pfx.flags & VTX_PIC_FX_KICK),
	    "SET_IRQCHIP with a request: INTR, kick");
	outb(0xff, ELCR1);
	EQ(inb(ELCR1), 0xff, "elcr_mask from SET_IRQCHIP is used (KVM)");
	st.init_state = 9;
	st.irq_base = 0xfd;
	st.priority_add = 0xff;
	vtx_pic_set_state(pic, 0, &st, &pfx);
	outb(0x12, M_DATA);
	tap(pic->chip[0].init_state == 9 && pic->chip[0].imr == 0,
	    "init_state 9: data writes ignored");
	EQ(ack(), 0x01, "base 0xfd + IR4: vector wraps to 0x01");
}

static void test_pic_hostile(void)
{
	struct kvm_pic_state st;
	struct vtx_pic before;
	unsigned int port, i;
	bool ok = true;
	u8 v;

	class("pic-hostile");
	pic_fresh();
	linux_init(0x00, 0x00);
	before = *pic;
	for (port = 0; port < 0x10000; port++) {
		bool ours = port == 0x20 || port == 0x21 || port == 0xa0 ||
			    port == 0xa1 || port == 0x4d0 || port == 0x4d1;

		if (ours != vtx_pic_port(port))
			ok = false;
		if (ours)
			continue;
		v = 0x77;
		ok &= vtx_pic_read(pic, port, &v, &pfx) == -EINVAL && v == 0;
		ok &= vtx_pic_write(pic, port, 0xff, &pfx) == -EINVAL;
	}
	tap(ok, "the six ports are ours, every other refused (read 0)");
	tap(!memcmp(&before, pic, sizeof(before)), "refused ports change nothing");
	for (i = 0; i < 0x600; i++) {
		vtx_pic_write(pic, 0x20 + (i & 1) + (i & 2 ? 0x80 : 0), i >> 2, &pfx);
		vtx_pic_read(pic, 0x20 + (i & 1) + (i & 2 ? 0x80 : 0), &v, &pfx);
		vtx_pic_write(pic, 0x4d0 + (i & 1), i, &pfx);
		ack();
	}
	tap(pic_guards_ok(), "every byte to every port: in bounds");
	seed(6);
	for (i = 0; i < 2000; i++) {
		unsigned int j;

		for (j = 0; j < sizeof(st); j++)
			((u8 *)&st)[j] = rnd();
		vtx_pic_set_state(pic, i & 1, &st, &pfx);
		vtx_pic_read(pic, 0x20 + (rnd() & 1) + (rnd() & 0x80), &v, &pfx);
		vtx_pic_write(pic, 0x20 + (rnd() & 1) + (rnd() & 0x80), rnd(), &pfx);
		irq(rnd() % 16, rnd() & 1);
		ack();
	}
	tap(pic_guards_ok(), "2000 random SET_IRQCHIP states, then accesses: in bounds");
}

/* Random port traffic, lines and INTAs; invariants after each step. */
static void test_pic_random(void)
{
	static const u16 ports[] = { 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1 };
	unsigned int step, bad = 0, bad_out = 0, bad_vec = 0;

	class("pic-random");
	pic_fresh();
	linux_init(0x00, 0x00);
	pic->accepted = true;
	seed(7);
	for (step = 0; step < 50000; step++) {
		u32 op = rnd() % 10;
		bool check_out = false;
		u8 v;

		switch (op) {
		case 0:
		case 1:
		case 2: {
			/* IRQ2 is the cascade input, not a device line: a
			 * level held there makes the slave's pulse a no-op
			 */
			unsigned int n = rnd() % 15;

			irq(n < 2 ? n : n + 1, rnd() & 1);
			check_out = true;
			break;
		}
		case 3:
		case 4: {
			struct vtx_pic_chip m = pic->chip[0];
			struct vtx_pic_chip s = pic->chip[1];
			int ir = ref_irq(&m, true), ir2;

			v = ack();
			if (ir < 0) {
				ir2 = -2;
				if (v != (u8)(m.irq_base + 7))
					bad_vec++;
			} else if (ir == 2) {
				ir2 = ref_irq(&s, false);
				if (v != (u8)(s.irq_base + (ir2 < 0 ? 7 : ir2)))
					bad_vec++;
			} else if (v != (u8)(m.irq_base + ir)) {
				bad_vec++;
			}
			check_out = true;
			break;
		}
		case 5:	/* EOIs, the commands Linux and SeaBIOS send
			 * (an EOI with nothing in service updates nothing)
			 */
			outb(rnd() & 1 ? NS_EOI : SPEC_EOI(rnd() % 8),
			     rnd() & 1 ? 0x20 : 0xa0);
			break;
		case 6:
			if (!pic->chip[0].init_state && !pic->chip[1].init_state)
				check_out = true;
			outb(rnd() & rnd(), rnd() & 1 ? 0x21 : 0xa1);
			break;
		case 7:
			outb(rnd() % 3 ? rnd() & 0x6b : rnd(), ports[rnd() % 6]);
			break;
		case 8:
			inb(ports[rnd() % 6]);
			break;
		case 9:	/* re-initialize now and then */
			if (rnd() % 50 == 0) {
				linux_init(rnd() & 0xfb, rnd());
				pic->chip[0].special_mask = 0;
			}
			break;
		}
		if (check_out) {
			struct vtx_pic copy = *pic;
			struct vtx_pic_fx f;

			vtx_pic_update(&copy, &f);
			if (copy.output != pic->output)
				bad_out++;
		}
		if (pfx.acked && !(pfx.flags & VTX_PIC_FX_ACK))
			bad++;
		if (!pic_guards_ok())
			bad++;
	}
	EQ(bad_vec, 0, "50000 random steps: every INTA vector as the reference");
	EQ(bad_out, 0, "50000 random steps: INTR as recomputed after each update");
	EQ(bad, 0, "50000 random steps: fx consistent, in bounds");
}

int main(void)
{
	test_ioapic_regs();
	test_ioapic_msg();
	test_ioapic_linux();
	test_ioapic_edge();
	test_ioapic_level();
	test_ioapic_state();
	test_ioapic_hostile();
	test_ioapic_random();
	test_pic_init();
	test_pic_irq();
	test_pic_priority();
	test_pic_read();
	test_pic_spurious();
	test_pic_reset_acks();
	test_pic_state();
	test_pic_hostile();
	test_pic_random();
	printf("1..%u\n", n_test);
	printf("%u passed, %u failed\n", n_pass, n_fail);
	return n_fail ? 1 : 0;
}
