// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side unit test of module/x86/lapic.c, the local APIC register model.
 *
 * The expected values are written here as the numbers of the Intel SDM
 * vol. 3A chapter "Advanced Programmable Interrupt Controller" (register
 * offsets, x2APIC MSR numbers, bit positions), not through <asm/apicdef.h>,
 * so a wrong definition the model relies on shows up here.  Where the SDM
 * leaves a choice, the value is KVM's (arch/x86/kvm/lapic.c of Linux 6.1):
 * the version register, the reset state, PPR and EOI, the divide values.
 *
 * Classes: reset, xapic (MMIO register rules), esr, x2apic (MSR rules),
 * mode (IA32_APIC_BASE transitions), priority (PPR, next vector, nested
 * EOI, a randomized comparison with a reference), dest (destination
 * matching tables), icr (decoding and sending), timer (divide values,
 * one-shot and periodic current count, expiry, TSC deadline).
 *
 * Output is TAP; the last line is "N passed, N failed".  Exit status is 1
 * when anything failed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "../../module/x86/lapic.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(x)	(sizeof(x) / sizeof((x)[0]))
#endif

#include "../host_tap.h"

/* SDM register offsets (xAPIC) and x2APIC MSRs. */
enum {
	ID = 0x20, LVR = 0x30, TPR = 0x80, APR = 0x90, PPR = 0xa0, EOI = 0xb0,
	RRD = 0xc0, LDR = 0xd0, DFR = 0xe0, SVR = 0xf0, ISR = 0x100,
	TMR = 0x180, IRR = 0x200, ESR = 0x280, CMCI = 0x2f0, ICR = 0x300,
	ICR2 = 0x310, LVTT = 0x320, LVTTHMR = 0x330, LVTPC = 0x340,
	LINT0 = 0x350, LINT1 = 0x360, LVTERR = 0x370, TMICT = 0x380,
	TMCCT = 0x390, TDCR = 0x3e0, SELF = 0x3f0,
};

#define MSR(off)	(0x800 + ((off) >> 4))
#define BASE_EN		(1ull << 11)
#define BASE_EXTD	(1ull << 10)
#define BASE_XAPIC	(0xfee00000ull | BASE_EN)
#define BASE_X2APIC	(BASE_XAPIC | BASE_EXTD)

static const struct vtx_lapic_config cfg0 = {
	.apic_id = 3, .nr_lvt = 6, .directed_eoi = false, .tsc_deadline = true,
};

static struct vtx_lapic_fx fx;

static void fresh_cfg(struct vtx_lapic *a, const struct vtx_lapic_config *c)
{
	memset(a, 0xa5, sizeof(*a));
	vtx_lapic_reset(a, c, false, false);
}

/* A RESET APIC, software-enabled (SVR 0x1ff). */
static void fresh(struct vtx_lapic *a)
{
	fresh_cfg(a, &cfg0);
	vtx_lapic_write(a, SVR, 0x1ff, 0, &fx);
}

static u32 rd(struct vtx_lapic *a, u32 off)
{
	u32 v;

	if (vtx_lapic_read(a, off, 0, &v))
		return 0xdeadbeef;
	return v;
}

static void x2(struct vtx_lapic *a)
{
	if (vtx_lapic_set_mode(a, BASE_XAPIC, BASE_X2APIC, false, true, &fx))
		tap(false, "set x2APIC mode");
}

static u64 mrd(struct vtx_lapic *a, u32 msr, int *rc)
{
	u64 v;

	*rc = vtx_lapic_msr_read(a, msr, 0, &v);
	return v;
}

/* ---------------------------------------------------------------- reset -- */
static void test_reset(void)
{
	static const struct { u32 off, val; } want[] = {
		{ ID, 3u << 24 }, { LVR, 0x00050014 }, { TPR, 0 }, { APR, 0 },
		{ PPR, 0 }, { LDR, 0 }, { DFR, 0xffffffff }, { SVR, 0xff },
		{ ESR, 0 }, { ICR, 0 }, { ICR2, 0 }, { LVTT, 0x10000 },
		{ LVTTHMR, 0x10000 }, { LVTPC, 0x10000 }, { LINT0, 0x10000 },
		{ LINT1, 0x10000 }, { LVTERR, 0x10000 }, { TMICT, 0 },
		{ TMCCT, 0 }, { TDCR, 0 },
	};
	struct vtx_lapic_config c = cfg0;
	struct vtx_lapic a;
	unsigned int i;
	int rc;

	class("reset");
	fresh_cfg(&a, &cfg0);
	for (i = 0; i < ARRAY_SIZE(want); i++)
		EQ(rd(&a, want[i].off), want[i].val, "reset: reg %#x", want[i].off);
	for (i = 0; i < 8; i++) {
		EQ(rd(&a, ISR + 16 * i), 0, "reset: ISR%u", i);
		EQ(rd(&a, TMR + 16 * i), 0, "reset: TMR%u", i);
		EQ(rd(&a, IRR + 16 * i), 0, "reset: IRR%u", i);
	}
	tap(a.hw_enabled && !a.x2apic, "reset: enabled, xAPIC mode");
	EQ(rd(&a, CMCI), 0xdeadbeef, "reset: no CMCI LVT with 6 LVTs");

	c.nr_lvt = 7;
	fresh_cfg(&a, &c);
	EQ(rd(&a, LVR), 0x00060014, "reset: LVR with CMCI: max LVT 6");
	EQ(rd(&a, CMCI), 0x10000, "reset: CMCI LVT masked");
	c.nr_lvt = 6;
	c.directed_eoi = true;
	fresh_cfg(&a, &c);
	EQ(rd(&a, LVR), 0x01050014, "reset: LVR with directed EOI (bit 24)");

	memset(&a, 0, sizeof(a));
	vtx_lapic_reset(&a, &cfg0, false, true);
	EQ(rd(&a, LINT0), 0x700, "reset: BSP LINT0 ExtINT unmasked");

	/* INIT keeps the ID; RESET restores it. */
	fresh(&a);
	vtx_lapic_write(&a, ID, 9u << 24, 0, &fx);
	vtx_lapic_write(&a, TPR, 0x20, 0, &fx);
	vtx_lapic_accept(&a, 0x40, false, NULL);
	vtx_lapic_reset(&a, &cfg0, true, false);
	EQ(rd(&a, ID), 9u << 24, "INIT: ID kept");
	EQ(rd(&a, TPR), 0, "INIT: TPR cleared");
	EQ(rd(&a, IRR + 0x20), 0, "INIT: IRR cleared");
	EQ(rd(&a, SVR), 0xff, "INIT: SVR 0xff");
	vtx_lapic_reset(&a, &cfg0, false, false);
	EQ(rd(&a, ID), 3u << 24, "RESET: ID back to the vCPU's");

	fresh(&a);
	x2(&a);
	vtx_lapic_reset(&a, &cfg0, true, false);
	tap(a.x2apic, "INIT: x2APIC mode kept");
	EQ(mrd(&a, MSR(ID), &rc), 3, "INIT: x2APIC ID kept");
	EQ(mrd(&a, MSR(LDR), &rc), 0x8, "INIT: x2APIC LDR kept");
	vtx_lapic_reset(&a, &cfg0, false, false);
	tap(!a.x2apic && a.hw_enabled, "RESET: back to xAPIC mode");
}

/* ---------------------------------------------------------------- xAPIC -- */
static void test_xapic(void)
{
	/* write 0xffffffff, read back */
	static const struct { u32 off, val; } ones[] = {
		{ ID, 0xff000000 }, { LVR, 0x00050014 }, { TPR, 0xff },
		{ APR, 0 }, { EOI, 0 }, { LDR, 0xff000000 },
		{ DFR, 0xffffffff }, { SVR, 0x3ff }, { ICR, 0xffffefff },
		{ ICR2, 0xff000000 }, { LVTT, 0x000700ff },
		{ LVTTHMR, 0x000107ff }, { LVTPC, 0x000107ff },
		{ LINT0, 0x0001a7ff }, { LINT1, 0x0001a7ff },
		{ LVTERR, 0x000100ff }, { TMICT, 0xffffffff }, { TDCR, 0xb },
	};
	static const u32 reserved[] = {
		0x00, 0x10, 0x40, 0x50, 0x60, 0x70, RRD, 0x290, 0x2a0, 0x2b0,
		0x2c0, 0x2d0, 0x2e0, CMCI, 0x3a0, 0x3b0, 0x3c0, 0x3d0, SELF,
		0x400, 0x7f0, 0x24, 0x84, 0x301,
	};
	static const u32 readonly[] = {
		LVR, PPR, ISR, ISR + 0x70, TMR, TMR + 0x70, IRR, IRR + 0x70,
		TMCCT,
	};
	struct vtx_lapic a, b;
	struct vtx_lapic_config c = cfg0;
	unsigned int i;
	u32 v;

	class("xapic");
	for (i = 0; i < ARRAY_SIZE(ones); i++) {
		fresh(&a);
		vtx_lapic_write(&a, ones[i].off, 0xffffffff, 0, &fx);
		/* the all-ones TPR and SVR values are read back as such */
		EQ(rd(&a, ones[i].off), ones[i].val, "xAPIC write ~0: reg %#x",
		   ones[i].off);
	}
	for (i = 0; i < ARRAY_SIZE(ones); i++) {
		fresh(&a);
		vtx_lapic_write(&a, ones[i].off, 0, 0, &fx);
		v = ones[i].off == LVR ? 0x00050014 :
		    ones[i].off == DFR ? 0x0fffffff : 0;
		if (ones[i].off >= LVTT && ones[i].off <= LVTERR)
			v = 0;
		EQ(rd(&a, ones[i].off), v, "xAPIC write 0: reg %#x", ones[i].off);
	}
	for (i = 0; i < ARRAY_SIZE(reserved); i++) {
		fresh(&a);
		tap(vtx_lapic_read(&a, reserved[i], 0, &v) == -EINVAL && v == 0,
		    "xAPIC read of reserved %#x refused, reads 0", reserved[i]);
		b = a;
		tap(vtx_lapic_write(&a, reserved[i], 0xffffffff, 0, &fx) == -EINVAL &&
		    !memcmp(a.regs, b.regs, sizeof(a.regs)),
		    "xAPIC write of reserved %#x refused, page unchanged", reserved[i]);
	}
	for (i = 0; i < ARRAY_SIZE(readonly); i++) {
		fresh(&a);
		vtx_lapic_accept(&a, 0x40, true, NULL);
		b = a;
		tap(vtx_lapic_write(&a, readonly[i], 0xffffffff, 0, &fx) == 0 &&
		    !memcmp(a.regs, b.regs, sizeof(a.regs)),
		    "xAPIC write to read-only %#x ignored", readonly[i]);
	}
	/* SVR */
	c.directed_eoi = true;
	fresh_cfg(&a, &c);
	vtx_lapic_write(&a, SVR, 0xffffffff, 0, &fx);
	EQ(rd(&a, SVR), 0x13ff, "SVR: bit 12 writable with directed EOI");
	fresh(&a);
	vtx_lapic_write(&a, SVR, 0x1000 | 0x1ff, 0, &fx);
	EQ(rd(&a, SVR), 0x1ff, "SVR: bit 12 reserved without directed EOI");
	/* software-disabled: LVTs stay masked; disabling masks them all */
	fresh_cfg(&a, &cfg0);
	vtx_lapic_write(&a, LINT1, 0x400, 0, &fx);
	EQ(rd(&a, LINT1), 0x10400, "SVR.EN=0: LVT write keeps the mask");
	fresh(&a);
	for (i = 0; i < 6; i++)
		vtx_lapic_write(&a, LVTT + 16 * i, 0x31 + i, 0, &fx);
	EQ(rd(&a, LVTPC), 0x33, "SVR.EN=1: LVT unmasked by a write");
	vtx_lapic_write(&a, SVR, 0xff, 0, &fx);
	tap(fx.flags & VTX_LAPIC_FX_MAP, "SVR.EN 1->0: FX_MAP");
	for (i = 0; i < 6; i++)
		EQ(rd(&a, LVTT + 16 * i), 0x10031 + i,
		   "SVR.EN 1->0 masks LVT %#x, vector kept", LVTT + 16 * i);
	/* read-only bits of LVTs: delivery status, remote IRR */
	fresh(&a);
	vtx_lapic_set_reg(&a, LINT0, 0x4000);	/* remote IRR, as if set */
	vtx_lapic_write(&a, LINT0, 0x1000 | 0x8031, 0, &fx);
	EQ(rd(&a, LINT0), 0xc031, "LINT0: remote IRR kept, delivery status RO");
	vtx_lapic_write(&a, LINT0, 0x31, 0, &fx);
	EQ(rd(&a, LINT0), 0x4031, "LINT0: remote IRR not cleared by a write");
	tap(fx.flags & VTX_LAPIC_FX_LVT0, "LINT0 write: FX_LVT0");
	/* TSC-deadline mode bits without TSC deadline in CPUID */
	c = cfg0;
	c.tsc_deadline = false;
	fresh_cfg(&a, &c);
	vtx_lapic_write(&a, SVR, 0x1ff, 0, &fx);
	vtx_lapic_write(&a, LVTT, 0x40031, 0, &fx);
	EQ(rd(&a, LVTT), 0x31, "LVTT: TSC-deadline mode masked without it");
	vtx_lapic_write(&a, LVTT, 0x20031, 0, &fx);
	EQ(rd(&a, LVTT), 0x20031, "LVTT: periodic mode");
	/* TPR and PPR */
	fresh(&a);
	vtx_lapic_write(&a, TPR, 0x123, 0, &fx);
	EQ(rd(&a, TPR), 0x23, "TPR: bits 7:0");
	EQ(rd(&a, PPR), 0x23, "PPR follows TPR");
	/* DFR model bits */
	vtx_lapic_write(&a, DFR, 0x12345678, 0, &fx);
	EQ(rd(&a, DFR), 0x1fffffff, "DFR: bits 27:0 read as ones");
	tap(fx.flags & VTX_LAPIC_FX_MAP, "DFR write: FX_MAP");
	vtx_lapic_write(&a, ID, 0x07654321, 0, &fx);
	EQ(rd(&a, ID), 0x07000000, "ID: bits 31:24");
	tap(fx.flags & VTX_LAPIC_FX_MAP, "ID write: FX_MAP");
	EQ(vtx_lapic_id(&a), 7, "xAPIC ID as a destination");
	/* x2APIC mode: MMIO refused */
	x2(&a);
	tap(vtx_lapic_read(&a, ID, 0, &v) == -EINVAL, "x2APIC mode: MMIO read refused");
	tap(vtx_lapic_write(&a, TPR, 0, 0, &fx) == -EINVAL,
	    "x2APIC mode: MMIO write refused");
}

/* ------------------------------------------------------------------ ESR -- */
static void test_esr(void)
{
	struct vtx_lapic a;

	class("esr");
	fresh(&a);
	vtx_lapic_write(&a, 0x40, 1, 0, &fx);
	EQ(rd(&a, ESR), 0, "ESR: error not visible before an ESR write");
	vtx_lapic_write(&a, ESR, 0, 0, &fx);
	EQ(rd(&a, ESR), 0x80, "ESR: illegal register address after the write");
	vtx_lapic_write(&a, ESR, 0, 0, &fx);
	EQ(rd(&a, ESR), 0, "ESR: the next write clears it");
	vtx_lapic_write(&a, ICR, 0x4003, 0, &fx);	/* fixed, vector 3 */
	tap(!(fx.flags & VTX_LAPIC_FX_IPI), "ICR: fixed vector 3 not sent");
	vtx_lapic_write(&a, ICR, 0x4103, 0, &fx);	/* lowest, vector 3 */
	tap(!(fx.flags & VTX_LAPIC_FX_IPI), "ICR: lowest-priority vector 3 not sent");
	vtx_lapic_write(&a, ICR, 0x4403, 0, &fx);	/* NMI: vector ignored */
	tap(fx.flags & VTX_LAPIC_FX_IPI, "ICR: NMI with vector 3 sent");
	tap(vtx_lapic_accept(&a, 15, false, NULL) == -EINVAL,
	    "accept vector 15 refused");
	vtx_lapic_write(&a, ESR, 0xffffffff, 0, &fx);
	EQ(rd(&a, ESR), 0x60, "ESR: send and receive illegal vector");
	EQ(vtx_lapic_highest_irr(&a), -1, "LVT Error masked: no interrupt");
	vtx_lapic_write(&a, LVTERR, 0xe1, 0, &fx);
	vtx_lapic_write(&a, 0x50, 1, 0, &fx);
	EQ(vtx_lapic_highest_irr(&a), 0xe1, "LVT Error unmasked: vector requested");
	tap(fx.flags & VTX_LAPIC_FX_EVENT, "error interrupt: FX_EVENT");
	vtx_lapic_write(&a, ESR, 0, 0, &fx);
	EQ(rd(&a, ESR), 0x80, "ESR: latched with the interrupt");
}

/* --------------------------------------------------------------- x2APIC -- */
static void test_x2apic(void)
{
	static const struct { u32 id, ldr; } ldrs[] = {
		{ 0, 0x1 }, { 3, 0x8 }, { 0xf, 0x8000 }, { 0x10, 0x10001 },
		{ 0x25, 0x20020 }, { 0x12345, 0x12340020 },
		{ 0xfffffffe, 0xfffffff4 << 12 | 0x4000 },
	};
	/* MSRs that do not exist: #GP on RDMSR and WRMSR */
	static const u32 gp_both[] = {
		0x800, 0x801, 0x804, 0x807, MSR(APR), MSR(RRD), MSR(DFR), 0x829,
		0x82e, MSR(CMCI), MSR(ICR2), 0x83a, 0x83d, 0x840, 0x7ff, 0x8ff,
	};
	/* read-only MSRs: WRMSR #GP, even of the value they hold */
	static const u32 gp_write[] = {
		MSR(ID), MSR(LVR), MSR(PPR), MSR(LDR), MSR(ISR), MSR(ISR + 0x70),
		MSR(TMR), MSR(IRR + 0x70), MSR(TMCCT),
	};
	/* WRMSR values with reserved bits set */
	static const struct { u32 msr; u64 val; } gp_val[] = {
		{ MSR(TPR), 0x100 }, { MSR(TPR), 1ull << 32 },
		{ MSR(EOI), 1 }, { MSR(EOI), 1ull << 32 }, { MSR(ESR), 1 },
		{ MSR(SVR), 0x1000 | 0x1ff }, { MSR(SVR), 0x400 | 0x1ff },
		{ MSR(LVTT), 0x60031 }, { MSR(LVTT), 0x700 | 0x31 },
		{ MSR(LVTT), 0x8031 }, { MSR(LVTTHMR), 0x2000 },
		{ MSR(LVTPC), 0x8000 }, { MSR(LINT0), 0x20000 },
		{ MSR(LVTERR), 0x400 }, { MSR(TDCR), 0x4 }, { MSR(TDCR), 0x10 },
		{ MSR(SELF), 0x100 }, { MSR(TMICT), 1ull << 32 },
		{ MSR(ICR), 1u << 13 }, { MSR(ICR), 1u << 16 },
		{ MSR(ICR), 1u << 17 }, { MSR(ICR), 1u << 20 },
		{ MSR(ICR), 1u << 31 },
	};
	static const struct { u32 msr; u64 val; } ok_val[] = {
		{ MSR(TPR), 0xff }, { MSR(SVR), 0x3ff }, { MSR(LVTT), 0x40031 },
		{ MSR(LVTT), 0x1031 }, { MSR(LVTTHMR), 0x107ff },
		{ MSR(LINT0), 0xf7ff }, { MSR(LVTERR), 0x110ff },
		{ MSR(TDCR), 0xb }, { MSR(TMICT), 0xffffffff },
		{ MSR(ICR), 0xffffffff000cdfffull },
	};
	struct vtx_lapic_config c = cfg0;
	struct vtx_lapic a;
	unsigned int i;
	int rc;
	u64 v;

	class("x2apic");
	for (i = 0; i < ARRAY_SIZE(ldrs); i++)
		EQ(vtx_lapic_x2apic_ldr(ldrs[i].id), ldrs[i].ldr,
		   "x2APIC LDR of ID %#x", ldrs[i].id);
	fresh(&a);
	mrd(&a, MSR(ID), &rc);
	tap(rc == -EINVAL, "xAPIC mode: RDMSR 0x802 #GP");
	tap(vtx_lapic_msr_write(&a, MSR(TPR), 0, 0, &fx) == -EINVAL,
	    "xAPIC mode: WRMSR 0x808 #GP");
	c.apic_id = 0x25;
	fresh_cfg(&a, &c);
	vtx_lapic_write(&a, SVR, 0x1ff, 0, &fx);
	x2(&a);
	EQ(mrd(&a, MSR(ID), &rc), 0x25, "x2APIC: 0x802 the 32-bit ID");
	EQ(mrd(&a, MSR(LDR), &rc), 0x20020, "x2APIC: 0x80d LDR derived from the ID");
	EQ(mrd(&a, MSR(LVR), &rc), 0x50014, "x2APIC: 0x803 version as in xAPIC");
	EQ(mrd(&a, MSR(SVR), &rc), 0x1ff, "x2APIC: 0x80f SVR");
	EQ(vtx_lapic_id(&a), 0x25, "x2APIC ID as a destination");
	for (i = 0; i < ARRAY_SIZE(gp_both); i++) {
		mrd(&a, gp_both[i], &rc);
		tap(rc == -EINVAL, "x2APIC: RDMSR %#x #GP", gp_both[i]);
		tap(vtx_lapic_msr_write(&a, gp_both[i], 0, 0, &fx) == -EINVAL,
		    "x2APIC: WRMSR %#x #GP", gp_both[i]);
	}
	for (i = 0; i < ARRAY_SIZE(gp_write); i++) {
		v = mrd(&a, gp_write[i], &rc);
		tap(rc == 0, "x2APIC: RDMSR %#x", gp_write[i]);
		tap(vtx_lapic_msr_write(&a, gp_write[i], v, 0, &fx) == -EINVAL,
		    "x2APIC: WRMSR %#x (read-only) #GP", gp_write[i]);
	}
	mrd(&a, MSR(EOI), &rc);
	tap(rc == -EINVAL, "x2APIC: RDMSR EOI (write-only) #GP");
	mrd(&a, MSR(SELF), &rc);
	tap(rc == -EINVAL, "x2APIC: RDMSR SELF IPI (write-only) #GP");
	for (i = 0; i < ARRAY_SIZE(gp_val); i++)
		tap(vtx_lapic_msr_write(&a, gp_val[i].msr, gp_val[i].val, 0, &fx) ==
		    -EINVAL, "x2APIC: WRMSR %#x <- %#llx #GP", gp_val[i].msr,
		    (unsigned long long)gp_val[i].val);
	for (i = 0; i < ARRAY_SIZE(ok_val); i++) {
		rc = vtx_lapic_msr_write(&a, ok_val[i].msr, ok_val[i].val, 0, &fx);
		tap(rc == 0, "x2APIC: WRMSR %#x <- %#llx accepted", ok_val[i].msr,
		    (unsigned long long)ok_val[i].val);
	}
	tap(vtx_lapic_msr_write(&a, MSR(EOI), 0, 0, &fx) == 0, "x2APIC: WRMSR EOI 0");
	tap(vtx_lapic_msr_write(&a, MSR(ESR), 0, 0, &fx) == 0, "x2APIC: WRMSR ESR 0");
	/* read-only LVT bits may be written back */
	vtx_lapic_msr_write(&a, MSR(LINT1), 0x5031, 0, &fx);
	EQ(mrd(&a, MSR(LINT1), &rc), 0x31, "x2APIC: LINT1 RO bits ignored");
	vtx_lapic_msr_write(&a, MSR(TPR), 0x57, 0, &fx);
	EQ(mrd(&a, MSR(TPR), &rc), 0x57, "x2APIC: TPR");
	EQ(mrd(&a, MSR(PPR), &rc), 0x57, "x2APIC: PPR");
	/* ICR: one 64-bit MSR */
	rc = vtx_lapic_msr_write(&a, MSR(ICR), 0x0000123400005031ull, 0, &fx);
	tap(rc == 0 && (fx.flags & VTX_LAPIC_FX_IPI), "x2APIC ICR: IPI sent");
	EQ(fx.ipi.dest, 0x1234, "x2APIC ICR: 32-bit destination");
	EQ(fx.ipi.vector, 0x31, "x2APIC ICR: vector");
	EQ(mrd(&a, MSR(ICR), &rc), 0x0000123400004031ull,
	   "x2APIC ICR: read back, BUSY clear");
	vtx_lapic_msr_write(&a, MSR(ICR), 0xfffffffe00000c31ull, 0, &fx);
	EQ(fx.ipi.dest, 0xfffffffe, "x2APIC ICR: destination bits 63:32");
	tap(fx.ipi.logical, "x2APIC ICR: logical");
	/* SELF IPI */
	rc = vtx_lapic_msr_write(&a, MSR(SELF), 0xe5, 0, &fx);
	tap(rc == 0 && (fx.flags & VTX_LAPIC_FX_IPI) &&
	    fx.ipi.shorthand == 0x40000 && fx.ipi.vector == 0xe5 &&
	    fx.ipi.delivery_mode == 0 && !fx.ipi.level,
	    "x2APIC SELF IPI 0x83f: fixed, edge, self, vector 0xe5");
	/* CMCI when there is one */
	c.nr_lvt = 7;
	fresh_cfg(&a, &c);
	x2(&a);
	EQ(mrd(&a, MSR(CMCI), &rc), 0x10000, "x2APIC: 0x82f CMCI with 7 LVTs");
	tap(vtx_lapic_msr_write(&a, MSR(CMCI), 0x10431, 0, &fx) == 0,
	    "x2APIC: WRMSR 0x82f");
}

/* ---------------------------------------------------------------- mode --- */
static void test_mode(void)
{
	static const struct {
		u64 old, new;
		bool host, cpuid;
		int rc;
		bool en, x2;
	} t[] = {
		{ BASE_XAPIC, BASE_X2APIC, false, true, 0, true, true },
		{ BASE_XAPIC, BASE_X2APIC, false, false, -EINVAL, true, false },
		{ BASE_XAPIC, 0xfee00000 | BASE_EXTD, false, true, -EINVAL, true, false },
		{ BASE_XAPIC, 0xfee00000, false, true, 0, false, false },
		{ BASE_X2APIC, BASE_XAPIC, false, true, -EINVAL, true, true },
		{ BASE_X2APIC, BASE_XAPIC, true, true, 0, true, false },
		{ BASE_X2APIC, 0xfee00000, false, true, 0, false, false },
		{ 0xfee00000, BASE_X2APIC, false, true, -EINVAL, false, false },
		{ 0xfee00000, BASE_X2APIC, true, true, 0, true, true },
		{ 0xfee00000, BASE_XAPIC, false, true, 0, true, false },
	};
	struct vtx_lapic a;
	unsigned int i;
	int rc;

	class("mode");
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		fresh(&a);
		a.hw_enabled = t[i].old & BASE_EN;
		a.x2apic = t[i].old & BASE_EXTD;
		memset(&fx, 0, sizeof(fx));
		rc = vtx_lapic_set_mode(&a, t[i].old, t[i].new, t[i].host,
					t[i].cpuid, &fx);
		tap(rc == t[i].rc && a.hw_enabled == t[i].en && a.x2apic == t[i].x2,
		    "APIC_BASE %#llx -> %#llx host=%d cpuid=%d: rc %d en %d x2 %d",
		    (unsigned long long)t[i].old, (unsigned long long)t[i].new,
		    t[i].host, t[i].cpuid, rc, a.hw_enabled, a.x2apic);
	}
	/* ID when re-enabled in xAPIC mode after x2APIC */
	fresh(&a);
	vtx_lapic_write(&a, ID, 0x7u << 24, 0, &fx);
	x2(&a);
	vtx_lapic_set_mode(&a, BASE_X2APIC, 0xfee00000, false, true, &fx);
	vtx_lapic_set_mode(&a, 0xfee00000, BASE_XAPIC, false, true, &fx);
	EQ(rd(&a, ID), 3u << 24, "x2APIC -> disabled -> xAPIC: ID the vCPU's");
	tap(fx.flags & VTX_LAPIC_FX_MAP, "mode change: FX_MAP");
}

/* ------------------------------------------------------------ priority -- */
static int ref_next(const u8 *irr, const u8 *isr, u32 tpr)
{
	int v, hi_isr = 0;
	u32 ppr;

	for (v = 255; v >= 16; v--)
		if (isr[v]) {
			hi_isr = v;
			break;
		}
	ppr = (tpr >> 4) >= (u32)(hi_isr >> 4) ? tpr : (u32)hi_isr & 0xf0;
	for (v = 255; v >= 16; v--)
		if (irr[v])
			return (v >> 4) > (int)(ppr >> 4) ? v : -1;
	return -1;
}

static void test_priority(void)
{
	static const struct { u32 tpr; int isr; u32 ppr; } ppr[] = {
		{ 0, -1, 0 }, { 0x35, -1, 0x35 }, { 0x35, 0x41, 0x40 },
		{ 0x45, 0x41, 0x45 }, { 0x40, 0x4f, 0x40 }, { 0x3f, 0x40, 0x40 },
		{ 0xff, 0xfe, 0xff }, { 0x0f, 0x10, 0x10 }, { 0x10, 0xff, 0xf0 },
	};
	struct vtx_lapic a;
	unsigned int i, n, k, bad = 0;
	int rc;

	class("priority");
	for (i = 0; i < ARRAY_SIZE(ppr); i++) {
		fresh(&a);
		vtx_lapic_write(&a, TPR, ppr[i].tpr, 0, &fx);
		if (ppr[i].isr >= 0) {
			vtx_lapic_accept(&a, ppr[i].isr, false, NULL);
			vtx_lapic_ack(&a, ppr[i].isr);
		}
		EQ(rd(&a, PPR), ppr[i].ppr, "PPR: TPR %#x, ISR %d", ppr[i].tpr,
		   ppr[i].isr);
	}
	fresh(&a);
	vtx_lapic_write(&a, TPR, 0x30, 0, &fx);
	vtx_lapic_accept(&a, 0x31, false, &fx);
	tap(fx.flags & VTX_LAPIC_FX_EVENT, "accept: FX_EVENT");
	EQ(rd(&a, IRR + 0x10), 1u << 17, "accept 0x31: IRR bit 49");
	EQ(vtx_lapic_next_vector(&a), -1, "TPR 0x30 blocks 0x31");
	vtx_lapic_write(&a, TPR, 0x2f, 0, &fx);
	tap(fx.flags & VTX_LAPIC_FX_EVENT, "TPR lowered: FX_EVENT");
	EQ(vtx_lapic_next_vector(&a), 0x31, "TPR 0x2f lets 0x31 through");
	vtx_lapic_write(&a, TPR, 0, 0, &fx);
	vtx_lapic_accept(&a, 0x52, false, NULL);
	vtx_lapic_accept(&a, 0x45, true, NULL);
	EQ(vtx_lapic_next_vector(&a), 0x52, "highest of 0x31, 0x45, 0x52");
	vtx_lapic_ack(&a, 0x52);
	EQ(rd(&a, ISR + 0x20), 1u << 18, "ack 0x52: ISR bit 82");
	EQ(rd(&a, IRR + 0x20) & (1u << 18), 0, "ack 0x52: IRR bit 82 clear");
	EQ(rd(&a, PPR), 0x50, "in service 0x52: PPR 0x50");
	EQ(vtx_lapic_next_vector(&a), -1, "0x45 waits for 0x52's EOI");
	vtx_lapic_accept(&a, 0x61, false, NULL);
	EQ(vtx_lapic_next_vector(&a), 0x61, "0x61 nests over 0x52");
	vtx_lapic_ack(&a, 0x61);
	vtx_lapic_accept(&a, 0x5f, false, NULL);
	EQ(vtx_lapic_next_vector(&a), -1, "0x5f blocked by 0x61 in service");
	memset(&fx, 0, sizeof(fx));
	rc = vtx_lapic_eoi(&a, &fx);
	tap(rc == 0x61 && fx.eoi_vector == 0x61 && (fx.flags & VTX_LAPIC_FX_EOI),
	    "EOI: 0x61 first (rc %#x)", rc);
	EQ(vtx_lapic_next_vector(&a), -1, "0x5f same class as 0x52 in service");
	memset(&fx, 0, sizeof(fx));
	vtx_lapic_write(&a, EOI, 0x12345, 0, &fx);
	tap((fx.flags & VTX_LAPIC_FX_EOI) && fx.eoi_vector == 0x52 && !fx.eoi_level,
	    "EOI write (any value in xAPIC): 0x52, edge");
	EQ(vtx_lapic_next_vector(&a), 0x5f, "then 0x5f");
	vtx_lapic_ack(&a, 0x5f);
	vtx_lapic_eoi(&a, &fx);
	EQ(vtx_lapic_next_vector(&a), 0x45, "then 0x45");
	vtx_lapic_ack(&a, 0x45);
	memset(&fx, 0, sizeof(fx));
	vtx_lapic_eoi(&a, &fx);
	tap(fx.eoi_vector == 0x45 && fx.eoi_level && fx.eoi_broadcast,
	    "EOI of level 0x45: TMR reported, broadcast");
	EQ(vtx_lapic_next_vector(&a), 0x31, "then 0x31");
	memset(&fx, 0, sizeof(fx));
	tap(vtx_lapic_eoi(&a, &fx) == -1 && !fx.flags, "EOI with nothing in service");
	/* TMR follows the last trigger mode */
	vtx_lapic_accept(&a, 0x45, true, NULL);
	vtx_lapic_accept(&a, 0x45, false, NULL);
	EQ(rd(&a, TMR + 0x20) & (1u << 5), 0, "TMR cleared by an edge request");
	/* directed EOI suppresses the broadcast */
	{
		struct vtx_lapic_config c = cfg0;

		c.directed_eoi = true;
		fresh_cfg(&a, &c);
		vtx_lapic_write(&a, SVR, 0x11ff, 0, &fx);
		vtx_lapic_accept(&a, 0x70, true, NULL);
		vtx_lapic_ack(&a, 0x70);
		memset(&fx, 0, sizeof(fx));
		vtx_lapic_eoi(&a, &fx);
		tap(fx.eoi_level && !fx.eoi_broadcast, "directed EOI: not broadcast");
	}
	/* hardware-disabled APIC delivers nothing */
	fresh(&a);
	vtx_lapic_accept(&a, 0x80, false, NULL);
	a.hw_enabled = false;
	EQ(vtx_lapic_next_vector(&a), -1, "APIC disabled: no vector");

	/* randomized against the reference */
	srand(16);
	for (n = 0; n < 400; n++) {
		u8 irr[256] = { 0 }, isr[256] = { 0 };
		u32 tpr = rand() & 0xff;
		int want, got;

		fresh(&a);
		vtx_lapic_write(&a, TPR, tpr, 0, &fx);
		for (k = rand() % 4; k; k--) {
			u8 v = 16 + rand() % 240;

			isr[v] = 1;
			vtx_lapic_accept(&a, v, false, NULL);
			vtx_lapic_ack(&a, v);
		}
		for (k = rand() % 5; k; k--) {
			u8 v = 16 + rand() % 240;

			irr[v] = 1;
			vtx_lapic_accept(&a, v, rand() & 1, NULL);
		}
		want = ref_next(irr, isr, tpr);
		got = vtx_lapic_next_vector(&a);
		if (got != want) {
			bad++;
			EQ(got, want, "random %u: next vector (TPR %#x)", n, tpr);
		}
	}
	tap(!bad, "400 random IRR/ISR/TPR cases: next vector as the reference");
}

/* ---------------------------------------------------------------- dest --- */
static void test_dest(void)
{
	static const struct {
		const char *what;
		u32 id, ldr, dfr;
		bool x2;
		u32 dest;
		bool logical, match;
	} t[] = {
		{ "phys", 3, 0, ~0u, false, 3, false, true },
		{ "phys", 3, 0, ~0u, false, 4, false, false },
		{ "phys", 3, 0, ~0u, false, 0xff, false, true },
		{ "phys", 3, 0, ~0u, false, 0x103, false, false },
		{ "flat", 3, 0x01u << 24, ~0u, false, 0x01, true, true },
		{ "flat", 3, 0x01u << 24, ~0u, false, 0x03, true, true },
		{ "flat", 3, 0x01u << 24, ~0u, false, 0x02, true, false },
		{ "flat", 3, 0x80u << 24, ~0u, false, 0x80, true, true },
		{ "flat", 3, 0, ~0u, false, 0x7f, true, false },
		{ "flat", 3, 0x01u << 24, ~0u, false, 0xff, true, true },
		{ "cluster", 3, 0x21u << 24, 0x0fffffff, false, 0x21, true, true },
		{ "cluster", 3, 0x21u << 24, 0x0fffffff, false, 0x23, true, true },
		{ "cluster", 3, 0x21u << 24, 0x0fffffff, false, 0x2f, true, true },
		{ "cluster", 3, 0x21u << 24, 0x0fffffff, false, 0x31, true, false },
		{ "cluster", 3, 0x21u << 24, 0x0fffffff, false, 0x22, true, false },
		{ "cluster", 3, 0x21u << 24, 0x0fffffff, false, 0x01, true, false },
		{ "cluster", 3, 0x21u << 24, 0x0fffffff, false, 0xff, true, true },
		{ "bad DFR", 3, 0x21u << 24, 0x5fffffff, false, 0x21, true, false },
		{ "x2 phys", 0x25, 0, 0, true, 0x25, false, true },
		{ "x2 phys", 0x25, 0, 0, true, 0x26, false, false },
		{ "x2 phys", 0x25, 0, 0, true, 0xff, false, false },
		{ "x2 phys", 0x25, 0, 0, true, 0xffffffff, false, true },
		{ "x2 phys", 0x25, 0, 0, true, 0x10025, false, false },
		{ "x2 logical", 0x25, 0, 0, true, 0x20020, true, true },
		{ "x2 logical", 0x25, 0, 0, true, 0x2ffff, true, true },
		{ "x2 logical", 0x25, 0, 0, true, 0x10020, true, false },
		{ "x2 logical", 0x25, 0, 0, true, 0x20010, true, false },
		{ "x2 logical", 0x25, 0, 0, true, 0x00020, true, false },
		{ "x2 logical", 0x25, 0, 0, true, 0xffffffff, true, true },
	};
	struct vtx_lapic a, b;
	struct vtx_lapic_ipi ipi = { 0 };
	unsigned int i;

	class("dest");
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		struct vtx_lapic_config c = cfg0;

		c.apic_id = t[i].id;
		fresh_cfg(&a, &c);
		vtx_lapic_write(&a, SVR, 0x1ff, 0, &fx);
		if (t[i].x2) {
			x2(&a);
		} else {
			vtx_lapic_write(&a, LDR, t[i].ldr, 0, &fx);
			vtx_lapic_write(&a, DFR, t[i].dfr, 0, &fx);
		}
		tap(vtx_lapic_match_dest(&a, t[i].dest, t[i].logical) == t[i].match,
		    "%s: ID %#x LDR %#x, dest %#x %s", t[i].what, t[i].id,
		    vtx_lapic_get_reg(&a, LDR), t[i].dest,
		    t[i].match ? "matches" : "does not match");
	}
	fresh(&a);
	a.hw_enabled = false;
	tap(!vtx_lapic_match_dest(&a, 0xff, false), "disabled APIC: no broadcast");
	fresh(&a);
	fresh(&b);
	ipi.shorthand = 0x40000;
	tap(vtx_lapic_match_ipi(&a, &a, &ipi) && !vtx_lapic_match_ipi(&b, &a, &ipi),
	    "shorthand self");
	ipi.shorthand = 0x80000;
	tap(vtx_lapic_match_ipi(&a, &a, &ipi) && vtx_lapic_match_ipi(&b, &a, &ipi),
	    "shorthand all including self");
	ipi.shorthand = 0xc0000;
	tap(!vtx_lapic_match_ipi(&a, &a, &ipi) && vtx_lapic_match_ipi(&b, &a, &ipi),
	    "shorthand all excluding self");
	ipi.shorthand = 0;
	ipi.dest = 3;
	tap(vtx_lapic_match_ipi(&b, &a, &ipi), "no shorthand: destination");
}

/* ----------------------------------------------------------------- ICR --- */
static void test_icr(void)
{
	static const struct {
		u32 lo, hi;
		u32 dm, sh;
		u8 vec;
		bool logical, level, assert;
		u32 dest;
	} t[] = {
		{ 0x00004031, 0x05000000, 0x000, 0, 0x31, false, false, true, 5 },
		{ 0x00000931, 0x0f000000, 0x100, 0, 0x31, true, false, false, 0xf },
		{ 0x00004400, 0x01000000, 0x400, 0, 0x00, false, false, true, 1 },
		{ 0x0000c500, 0x02000000, 0x500, 0, 0x00, false, true, true, 2 },
		{ 0x00008500, 0x02000000, 0x500, 0, 0x00, false, true, false, 2 },
		{ 0x000c4500, 0x00000000, 0x500, 0xc0000, 0, false, false, true, 0 },
		{ 0x000c4698, 0x00000000, 0x600, 0xc0000, 0x98, false, false, true, 0 },
		{ 0x00004699, 0xff000000, 0x600, 0, 0x99, false, false, true, 0xff },
		{ 0x00044020, 0x00000000, 0x000, 0x40000, 0x20, false, false, true, 0 },
		{ 0x000848f0, 0x12000000, 0x000, 0x80000, 0xf0, true, false, true, 0x12 },
		{ 0x00004200, 0x00000000, 0x200, 0, 0, false, false, true, 0 },
		{ 0x00004700, 0x00000000, 0x700, 0, 0, false, false, true, 0 },
		{ 0x0000c0ff, 0xab000000, 0x000, 0, 0xff, false, true, true, 0xab },
	};
	struct vtx_lapic a;
	unsigned int i;

	class("icr");
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		fresh(&a);
		vtx_lapic_write(&a, ICR2, t[i].hi | 0x00ffffff, 0, &fx);
		vtx_lapic_write(&a, ICR, t[i].lo | 0x1000, 0, &fx);
		tap((fx.flags & VTX_LAPIC_FX_IPI) && fx.ipi.delivery_mode == t[i].dm &&
		    fx.ipi.shorthand == t[i].sh && fx.ipi.vector == t[i].vec &&
		    fx.ipi.logical == t[i].logical && fx.ipi.level == t[i].level &&
		    fx.ipi.assert == t[i].assert && fx.ipi.dest == t[i].dest,
		    "ICR %#010x:%#010x -> dm %#x sh %#x vec %#x log %d lvl %d as %d dest %#x",
		    t[i].hi, t[i].lo, fx.ipi.delivery_mode, fx.ipi.shorthand,
		    fx.ipi.vector, fx.ipi.logical, fx.ipi.level, fx.ipi.assert,
		    fx.ipi.dest);
		EQ(rd(&a, ICR), t[i].lo, "ICR %#x read back, BUSY clear", t[i].lo);
		EQ(rd(&a, ICR2), t[i].hi, "ICR2 %#x read back", t[i].hi);
	}
	fresh(&a);
	vtx_lapic_write(&a, ICR2, 0x05000000, 0, &fx);
	tap(!fx.flags, "ICR2 write sends nothing");
}

/* --------------------------------------------------------------- timer --- */
static void test_timer(void)
{
	static const struct { u32 tdcr; unsigned int div; } d[] = {
		{ 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 }, { 0x8, 32 },
		{ 0x9, 64 }, { 0xa, 128 }, { 0xb, 1 },
		{ 0x4, 2 }, { 0xf, 1 }, { 0xc, 32 }, { 0xe, 128 },
	};
	const u64 t0 = 1000000;
	struct vtx_lapic a;
	struct vtx_lapic_config c = cfg0;
	unsigned int i;
	u64 when, p;
	int v;

	class("timer");
	for (i = 0; i < ARRAY_SIZE(d); i++)
		EQ(vtx_lapic_timer_divisor(d[i].tdcr), d[i].div, "divide config %#x",
		   d[i].tdcr);
	for (i = 0; i < 8; i++) {
		unsigned int div = d[i].div;

		/* one-shot */
		fresh(&a);
		vtx_lapic_write(&a, LVTT, 0xec, 0, &fx);
		vtx_lapic_write(&a, TDCR, d[i].tdcr, 0, &fx);
		vtx_lapic_write(&a, TMICT, 1000, t0, &fx);
		tap(fx.flags & VTX_LAPIC_FX_TIMER, "TMICT write: FX_TIMER");
		p = vtx_lapic_timer_period(&a);
		EQ(p, 1000ull * div, "div %u: period", div);
		EQ(vtx_lapic_timer_current(&a, t0), 1000, "div %u one-shot: at 0", div);
		EQ(vtx_lapic_timer_current(&a, t0 + div - 1), 1000,
		   "div %u one-shot: at div-1", div);
		EQ(vtx_lapic_timer_current(&a, t0 + div), 999,
		   "div %u one-shot: at div", div);
		EQ(vtx_lapic_timer_current(&a, t0 + 500ull * div), 500,
		   "div %u one-shot: half way", div);
		EQ(vtx_lapic_timer_current(&a, t0 + p - 1), 1,
		   "div %u one-shot: one cycle left", div);
		EQ(vtx_lapic_timer_current(&a, t0 + p), 0, "div %u one-shot: at period", div);
		EQ(vtx_lapic_timer_current(&a, t0 + 5 * p), 0,
		   "div %u one-shot: stays 0", div);
		EQ(rd(&a, TMCCT), vtx_lapic_timer_current(&a, 0),
		   "TMCCT read is the current count");
		tap(vtx_lapic_timer_deadline(&a, &when) && when == t0 + p,
		    "div %u one-shot: deadline start + period", div);
		v = vtx_lapic_timer_expire(&a, t0 + p + 3, &fx);
		EQ(v, 0xec, "div %u one-shot expiry: vector requested", div);
		EQ(vtx_lapic_highest_irr(&a), 0xec, "one-shot expiry: in IRR");
		tap(!vtx_lapic_timer_deadline(&a, &when), "one-shot: disarmed");
		EQ(vtx_lapic_timer_current(&a, t0 + 1), 0, "one-shot expired: count 0");
		EQ(vtx_lapic_timer_expire(&a, t0 + 2 * p, &fx), -1,
		   "one-shot: no second expiry");

		/* periodic */
		fresh(&a);
		vtx_lapic_write(&a, LVTT, 0x200ec, 0, &fx);
		vtx_lapic_write(&a, TDCR, d[i].tdcr, 0, &fx);
		vtx_lapic_write(&a, TMICT, 1000, t0, &fx);
		EQ(vtx_lapic_timer_current(&a, t0 + p), 1000,
		   "div %u periodic: reloaded at period", div);
		EQ(vtx_lapic_timer_current(&a, t0 + p + 3ull * div), 997,
		   "div %u periodic: period + 3 ticks", div);
		EQ(vtx_lapic_timer_current(&a, t0 + 7 * p + 11ull * div - 1), 990,
		   "div %u periodic: 7 periods + 10 ticks", div);
		EQ(vtx_lapic_timer_current(&a, t0 + 2 * p - 1), 1,
		   "div %u periodic: last cycle of a period", div);
		vtx_lapic_timer_expire(&a, t0 + p + 17, &fx);
		tap(vtx_lapic_timer_deadline(&a, &when) && when == t0 + 2 * p,
		    "div %u periodic: next deadline from the previous one", div);
		vtx_lapic_ack(&a, 0xec);
		vtx_lapic_eoi(&a, &fx);
		v = vtx_lapic_timer_expire(&a, t0 + 10 * p + p / 2, &fx);
		tap(v == 0xec && vtx_lapic_timer_deadline(&a, &when) &&
		    when == t0 + 11 * p,
		    "div %u periodic: missed periods skipped (next %llu)", div,
		    (unsigned long long)((when - t0) / p));
	}
	/* masked timer: no vector; TMICT 0 stops */
	fresh(&a);
	vtx_lapic_write(&a, LVTT, 0x100ec, 0, &fx);
	vtx_lapic_write(&a, TMICT, 10, t0, &fx);
	EQ(vtx_lapic_timer_expire(&a, t0 + 20, &fx), -1, "masked: no vector");
	EQ(vtx_lapic_highest_irr(&a), -1, "masked: IRR empty");
	vtx_lapic_write(&a, LVTT, 0x200ec, 0, &fx);
	vtx_lapic_write(&a, TMICT, 10, t0, &fx);
	vtx_lapic_write(&a, TMICT, 0, t0 + 5, &fx);
	tap(!vtx_lapic_timer_deadline(&a, &when) &&
	    vtx_lapic_timer_current(&a, t0 + 6) == 0, "TMICT 0 stops the timer");
	/* divide change mid-count keeps the count */
	fresh(&a);
	vtx_lapic_write(&a, TDCR, 0x0, 0, &fx);		/* 2 */
	vtx_lapic_write(&a, TMICT, 1000, t0, &fx);
	EQ(vtx_lapic_timer_current(&a, t0 + 200), 900, "div 2: 900 after 200");
	vtx_lapic_write(&a, TDCR, 0x2, t0 + 200, &fx);	/* 8 */
	tap(fx.flags & VTX_LAPIC_FX_TIMER, "TDCR change while counting: FX_TIMER");
	EQ(vtx_lapic_timer_current(&a, t0 + 200), 900, "div 2->8: count kept");
	EQ(vtx_lapic_timer_current(&a, t0 + 208), 899, "div 8: one tick in 8");
	tap(vtx_lapic_timer_deadline(&a, &when) && when == t0 + 200 + 900 * 8,
	    "div 2->8: deadline rescaled");
	/* TSC-deadline mode */
	fresh(&a);
	vtx_lapic_write(&a, LVTT, 0x400ec, 0, &fx);
	EQ(vtx_lapic_timer_mode(&a), VTX_LAPIC_TIMER_TSCDEADLINE, "mode TSC deadline");
	vtx_lapic_write(&a, TMICT, 1000, t0, &fx);
	EQ(rd(&a, TMICT), 0, "TSC deadline: TMICT write ignored");
	EQ(rd(&a, TMCCT), 0, "TSC deadline: TMCCT reads 0");
	memset(&fx, 0, sizeof(fx));
	vtx_lapic_set_tsc_deadline(&a, 123456, &fx);
	tap((fx.flags & VTX_LAPIC_FX_TIMER) && vtx_lapic_get_tsc_deadline(&a) == 123456,
	    "TSC deadline armed");
	tap(!vtx_lapic_timer_deadline(&a, &when), "TSC deadline: no bus deadline");
	EQ(vtx_lapic_timer_expire(&a, 0, &fx), 0xec, "TSC deadline expiry: vector");
	EQ(vtx_lapic_get_tsc_deadline(&a), 0, "TSC deadline cleared on expiry");
	vtx_lapic_set_tsc_deadline(&a, 5, &fx);
	vtx_lapic_write(&a, LVTT, 0xec, 0, &fx);
	EQ(vtx_lapic_get_tsc_deadline(&a), 0, "leaving TSC-deadline mode clears it");
	vtx_lapic_set_tsc_deadline(&a, 5, &fx);
	EQ(a.tsc_deadline, 0, "one-shot mode: IA32_TSC_DEADLINE write ignored");
	vtx_lapic_write(&a, TMICT, 50, t0, &fx);
	vtx_lapic_write(&a, LVTT, 0x400ec, 0, &fx);
	EQ(rd(&a, TMICT), 0, "entering TSC-deadline mode clears TMICT");
	c.tsc_deadline = false;
	fresh_cfg(&a, &c);
	vtx_lapic_write(&a, SVR, 0x1ff, 0, &fx);
	vtx_lapic_write(&a, LVTT, 0x400ec, 0, &fx);
	EQ(vtx_lapic_timer_mode(&a), VTX_LAPIC_TIMER_ONESHOT,
	   "no TSC deadline in CPUID: one-shot");
}

int main(void)
{
	test_reset();
	test_xapic();
	test_esr();
	test_x2apic();
	test_mode();
	test_priority();
	test_dest();
	test_icr();
	test_timer();
	printf("1..%u\n", n_test);
	printf("%u passed, %u failed\n", n_pass, n_fail);
	return n_fail ? 1 : 0;
}
