// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - the local APIC as a register model: registers, priorities,
 * destinations, the ICR and the timer's arithmetic (lapic.h; Intel SDM
 * vol. 3A chapter "Advanced Programmable Interrupt Controller").
 *
 * Return values: 0, or -EINVAL for an access the architecture refuses.
 * In xAPIC mode (MMIO) a refused read reads 0 and a refused write is
 * dropped, and an access to a reserved register latches "illegal register
 * address" for ESR; in x2APIC mode (MSRs) -EINVAL is a #GP(0).
 */
#include "lapic.h"

/* LVT bits software may write (KVM's LVT masks, less the read-only bits). */
#define LVT_WR_BASE	(APIC_LVT_MASKED | APIC_VECTOR_MASK)
#define LVT_WR_MODE	(LVT_WR_BASE | APIC_MODE_MASK)
#define LVT_WR_LINT	(LVT_WR_MODE | APIC_INPUT_POLARITY | \
			 APIC_LVT_LEVEL_TRIGGER)
/* Read-only LVT bits: a write may carry them back (read-modify-write). */
#define LVT_RO		APIC_SEND_PENDING
#define LVT_RO_LINT	(APIC_SEND_PENDING | APIC_LVT_REMOTE_IRR)

/* SVR: vector, APIC software enable, focus processor checking. */
#define SVR_WR		(APIC_VECTOR_MASK | APIC_SPIV_APIC_ENABLED | \
			 APIC_SPIV_FOCUS_DISABLED)
/* DFR: only the model (bits 31:28) is writable, the rest reads as ones. */
#define DFR_MODEL_MASK	0xf0000000u
#define DFR_ONES	APIC_DFR_CLUSTER
/* xAPIC ID and LDR: bits 31:24; ICR2: the destination, bits 31:24. */
#define XAPIC_HI_BYTE	(VTX_LAPIC_BYTE << XAPIC_ID_SHIFT)
/* ICR bits that are neither reserved in x2APIC mode nor BUSY. */
#define ICR_LOW_VALID	(APIC_VECTOR_MASK | APIC_DM_FIXED_MASK | \
			 APIC_DEST_LOGICAL | APIC_INT_ASSERT | \
			 APIC_INT_LEVELTRIG | VTX_APIC_SHORT_MASK)
/* x2APIC logical IDs: cluster in bits 31:16, one bit of 16 in 15:0. */
#define X2APIC_CLUSTER_SHIFT	16
#define X2APIC_CLUSTER_BITS	0xfu
#define X2APIC_LOGICAL_MASK	0xffffu
/* xAPIC cluster model: cluster in bits 7:4, one bit of 4 in 3:0. */
#define XAPIC_CLUSTER_SHIFT	XAPIC_DEST_CPUS_SHIFT
/* Divide configuration: bits 0, 1 and 3 -> 2^((bits + 1) mod 8). */
#define TDCR_LOW	3u
#define TDCR_HIGH	8u
#define TDCR_POW_MASK	7u
#define TDCR_WR		(TDCR_LOW | TDCR_HIGH)

#define VECTOR_REG(base, v)	((base) + VTX_LAPIC_REG_ALIGN * ((v) / 32))
#define VECTOR_BIT(v)		(1u << ((v) % 32))

static bool test_vec(const struct vtx_lapic *a, u32 base, unsigned int v)
{
	return vtx_lapic_get_reg(a, VECTOR_REG(base, v)) & VECTOR_BIT(v);
}

static void set_vec(struct vtx_lapic *a, u32 base, unsigned int v, bool on)
{
	u32 r = vtx_lapic_get_reg(a, VECTOR_REG(base, v));

	r = on ? r | VECTOR_BIT(v) : r & ~VECTOR_BIT(v);
	vtx_lapic_set_reg(a, VECTOR_REG(base, v), r);
}

static int highest_vec(const struct vtx_lapic *a, u32 base)
{
	int i;

	for (i = APIC_ISR_NR - 1; i >= 0; i--) {
		u32 r = vtx_lapic_get_reg(a, base + VTX_LAPIC_REG_ALIGN * i);

		if (r)
			return i * 32 + 31 - __builtin_clz(r);
	}
	return -1;
}

int vtx_lapic_highest_irr(const struct vtx_lapic *a)
{
	return highest_vec(a, APIC_IRR);
}

int vtx_lapic_highest_isr(const struct vtx_lapic *a)
{
	return highest_vec(a, APIC_ISR);
}

static bool sw_enabled(const struct vtx_lapic *a)
{
	return vtx_lapic_get_reg(a, APIC_SPIV) & APIC_SPIV_APIC_ENABLED;
}

/**
 * vtx_lapic_lvt_present - the APIC has the LVT at @offset (the CMCI one
 * only with MCG_CMCI_P)
 * @a: the APIC
 * @offset: the LVT register's offset
 */
bool vtx_lapic_lvt_present(const struct vtx_lapic *a, u32 offset)
{
	return offset != APIC_LVTCMCI || a->cfg.nr_lvt > VTX_LAPIC_NR_LVT;
}

/*
 * An error for ESR: latched until the next write to ESR, and signalled
 * through LVT Error when that is unmasked (SDM "Error Handling").
 */
static void apic_error(struct vtx_lapic *a, u32 bits, struct vtx_lapic_fx *fx)
{
	u32 lvt = vtx_lapic_get_reg(a, APIC_LVTERR);
	unsigned int v = lvt & APIC_VECTOR_MASK;

	a->esr_pending |= bits;
	if (lvt & APIC_LVT_MASKED)
		return;
	if (v < VTX_LAPIC_FIRST_VECTOR) {
		a->esr_pending |= APIC_ESR_RECVILL;
		return;
	}
	set_vec(a, APIC_IRR, v, true);
	set_vec(a, APIC_TMR, v, false);
	if (fx)
		fx->flags |= VTX_LAPIC_FX_EVENT;
}

/**
 * vtx_lapic_ppr - recompute the processor priority
 * @a: the APIC
 *
 * PPR is TPR when TPR's class is at least the class of the highest vector
 * in service, else that class (SDM "Processor Priority Register").
 * Stores it in the page.
 *
 * Return: the new PPR.
 */
u32 vtx_lapic_ppr(struct vtx_lapic *a)
{
	u32 tpr = vtx_lapic_get_reg(a, APIC_TASKPRI) & APIC_TPRI_MASK;
	int isr = vtx_lapic_highest_isr(a);
	u32 isrv = isr < 0 ? 0 : isr & VTX_LAPIC_PRIO_CLASS;
	u32 ppr;

	if ((tpr & VTX_LAPIC_PRIO_CLASS) >= isrv)
		ppr = tpr;
	else
		ppr = isrv;
	vtx_lapic_set_reg(a, APIC_PROCPRI, ppr);
	return ppr;
}

/* Recompute PPR; a lower PPR may unblock a pending interrupt. */
static void update_ppr(struct vtx_lapic *a, struct vtx_lapic_fx *fx)
{
	u32 old = vtx_lapic_get_reg(a, APIC_PROCPRI);

	if (vtx_lapic_ppr(a) < old && fx)
		fx->flags |= VTX_LAPIC_FX_EVENT;
}

static u32 xapic_version(const struct vtx_lapic *a)
{
	u32 v = VTX_LAPIC_VERSION | (u32)(a->cfg.nr_lvt - 1) << 16;

	if (a->cfg.directed_eoi)
		v |= APIC_LVR_DIRECTED_EOI;
	return v;
}

/**
 * vtx_lapic_x2apic_ldr - the logical ID an x2APIC derives from its ID
 * @x2apic_id: the x2APIC ID
 *
 * Return: the cluster (ID bits 31:4) in bits 31:16, bit (ID bits 3:0)
 * of bits 15:0.
 */
u32 vtx_lapic_x2apic_ldr(u32 x2apic_id)
{
	return (x2apic_id >> XAPIC_DEST_CPUS_SHIFT) << X2APIC_CLUSTER_SHIFT |
	       1u << (x2apic_id & X2APIC_CLUSTER_BITS);
}

/* The APIC ID as a destination: 8 bits in xAPIC, 32 in x2APIC mode. */
u32 vtx_lapic_id(const struct vtx_lapic *a)
{
	u32 id = vtx_lapic_get_reg(a, APIC_ID);

	return a->x2apic ? id : id >> XAPIC_ID_SHIFT;
}

static void mask_all_lvts(struct vtx_lapic *a)
{
	u32 off;

	for (off = APIC_LVTT; off <= APIC_LVTERR; off += VTX_LAPIC_REG_ALIGN)
		vtx_lapic_set_reg(a, off, vtx_lapic_get_reg(a, off) |
				  APIC_LVT_MASKED);
	if (vtx_lapic_lvt_present(a, APIC_LVTCMCI))
		vtx_lapic_set_reg(a, APIC_LVTCMCI,
				  vtx_lapic_get_reg(a, APIC_LVTCMCI) |
				  APIC_LVT_MASKED);
}

/**
 * vtx_lapic_reset - RESET or INIT state, as KVM's kvm_lapic_reset()
 * @a: the APIC
 * @cfg: the vCPU's APIC configuration (ID, LVT count, directed EOI...)
 * @init_event: INIT: keep the ID, the mode and (x2APIC) the LDR
 * @lint0_extint: LVT LINT0 unmasked in ExtINT mode (KVM's BSP quirk)
 *
 * RESET leaves the APIC hardware-enabled in xAPIC mode with ID
 * @cfg->apic_id.  Both leave SVR 0xff (software-disabled), every LVT
 * masked, DFR all ones, and nothing requested, in service or counting.
 */
void vtx_lapic_reset(struct vtx_lapic *a, const struct vtx_lapic_config *cfg,
		     bool init_event, bool lint0_extint)
{
	u32 id = vtx_lapic_get_reg(a, APIC_ID), ldr = vtx_lapic_get_reg(a, APIC_LDR);
	bool x2apic = a->x2apic, enabled = a->hw_enabled;
	u32 off;

	memset(a, 0, sizeof(*a));
	a->cfg = *cfg;
	if (init_event) {
		a->x2apic = x2apic;
		a->hw_enabled = enabled;
		vtx_lapic_set_reg(a, APIC_ID, id);
		if (x2apic)
			vtx_lapic_set_reg(a, APIC_LDR, ldr);
	} else {
		a->hw_enabled = true;
		vtx_lapic_set_reg(a, APIC_ID, cfg->apic_id << XAPIC_ID_SHIFT);
	}
	vtx_lapic_set_reg(a, APIC_LVR, xapic_version(a));
	for (off = APIC_LVTT; off <= APIC_LVTERR; off += VTX_LAPIC_REG_ALIGN)
		vtx_lapic_set_reg(a, off, APIC_LVT_MASKED);
	if (vtx_lapic_lvt_present(a, APIC_LVTCMCI))
		vtx_lapic_set_reg(a, APIC_LVTCMCI, APIC_LVT_MASKED);
	if (lint0_extint)
		vtx_lapic_set_reg(a, APIC_LVT0,
				  SET_APIC_DELIVERY_MODE(0, APIC_MODE_EXTINT));
	vtx_lapic_set_reg(a, APIC_DFR, APIC_DFR_FLAT);
	vtx_lapic_set_reg(a, APIC_SPIV, VTX_LAPIC_BYTE);
	vtx_lapic_ppr(a);
}

/**
 * vtx_lapic_set_nr_lvt - the LVT count changed (MCG_CMCI_P set or cleared)
 * @a: the APIC
 * @nr_lvt: VTX_LAPIC_NR_LVT, or VTX_LAPIC_NR_LVT_CMCI
 *
 * As KVM's kvm_apic_after_set_mcg_cap(): an LVT that appears starts
 * masked, and the version register's max-LVT field follows.
 */
void vtx_lapic_set_nr_lvt(struct vtx_lapic *a, u8 nr_lvt)
{
	bool had_cmci = vtx_lapic_lvt_present(a, APIC_LVTCMCI);

	if (nr_lvt == a->cfg.nr_lvt)
		return;
	a->cfg.nr_lvt = nr_lvt;
	if (!had_cmci && vtx_lapic_lvt_present(a, APIC_LVTCMCI))
		vtx_lapic_set_reg(a, APIC_LVTCMCI, APIC_LVT_MASKED);
	vtx_lapic_set_reg(a, APIC_LVR, xapic_version(a));
}

/**
 * vtx_lapic_set_mode - apply the mode bits of a write to IA32_APIC_BASE
 * @a: the APIC
 * @old_base: IA32_APIC_BASE before
 * @new_base: the value written (only EN and EXTD are looked at)
 * @host: written by userspace (KVM_SET_MSRS/SREGS): any valid mode
 * @cpuid_x2apic: the guest's CPUID has x2APIC
 * @fx: out: VTX_LAPIC_FX_MAP when the mode changed
 *
 * Enabling sets the xAPIC ID back to the vCPU's, entering x2APIC mode
 * sets the x2APIC ID and the LDR derived from it, as KVM does.
 *
 * Return: 0, or -EINVAL (a #GP for the guest) for EXTD without EN, EXTD
 * without x2APIC in CPUID and, for the guest, x2APIC -> xAPIC and
 * disabled -> x2APIC (SDM "x2APIC State Transitions").
 */
int vtx_lapic_set_mode(struct vtx_lapic *a, u64 old_base, u64 new_base,
		       bool host, bool cpuid_x2apic, struct vtx_lapic_fx *fx)
{
	u64 old = old_base & VTX_APIC_BASE_MODE, new = new_base & VTX_APIC_BASE_MODE;

	if (new == X2APIC_ENABLE || (new & X2APIC_ENABLE && !cpuid_x2apic))
		return -EINVAL;
	if (!host && old == VTX_APIC_BASE_MODE && new == XAPIC_ENABLE)
		return -EINVAL;
	if (!host && !old && new == VTX_APIC_BASE_MODE)
		return -EINVAL;
	if (old == new)
		return 0;
	a->hw_enabled = new & XAPIC_ENABLE;
	a->x2apic = new & X2APIC_ENABLE;
	if ((old ^ new) & XAPIC_ENABLE && a->hw_enabled)
		vtx_lapic_set_reg(a, APIC_ID, a->cfg.apic_id << XAPIC_ID_SHIFT);
	if ((old ^ new) & X2APIC_ENABLE && a->x2apic) {
		vtx_lapic_set_reg(a, APIC_ID, a->cfg.apic_id);
		vtx_lapic_set_reg(a, APIC_LDR,
				  vtx_lapic_x2apic_ldr(a->cfg.apic_id));
	}
	fx->flags |= VTX_LAPIC_FX_MAP;
	return 0;
}

/* ----------------------------------------------------------- the timer -- */

/**
 * vtx_lapic_timer_divisor - the divide configuration's divisor
 * @tdcr: the divide configuration register
 *
 * Return: 2^(n + 1) where bits 0, 1 and 3 form n; 1 for n = 7.
 */
unsigned int vtx_lapic_timer_divisor(u32 tdcr)
{
	u32 n = (tdcr & TDCR_LOW) | (tdcr & TDCR_HIGH) >> 1;

	return 1u << ((n + 1) & TDCR_POW_MASK);
}

/* The timer mode of LVT Timer; the reserved mode 3 counts as one-shot. */
enum vtx_lapic_timer_mode vtx_lapic_timer_mode(const struct vtx_lapic *a)
{
	u32 mode = vtx_lapic_get_reg(a, APIC_LVTT) & VTX_APIC_LVT_TIMER_MASK;

	if (mode == APIC_LVT_TIMER_PERIODIC)
		return VTX_LAPIC_TIMER_PERIODIC;
	if (mode == APIC_LVT_TIMER_TSCDEADLINE)
		return VTX_LAPIC_TIMER_TSCDEADLINE;
	return VTX_LAPIC_TIMER_ONESHOT;
}

/* The time from initial count to 0: initial count x divisor bus cycles. */
u64 vtx_lapic_timer_period(const struct vtx_lapic *a)
{
	return (u64)vtx_lapic_get_reg(a, APIC_TMICT) *
	       vtx_lapic_timer_divisor(vtx_lapic_get_reg(a, APIC_TDCR));
}

/* Bus cycles since @start; 0 when @now is before it. */
static u64 cycles_since(u64 start, u64 now)
{
	s64 e = (s64)(now - start);

	return e > 0 ? e : 0;
}

/* Bus cycles since the count last started from the initial count. */
static u64 timer_elapsed(const struct vtx_lapic *a, u64 now)
{
	u64 period = vtx_lapic_timer_period(a);
	u64 e = cycles_since(a->timer_start, now);

	if (vtx_lapic_timer_mode(a) == VTX_LAPIC_TIMER_PERIODIC)
		return e % period;
	return e < period ? e : period;
}

/**
 * vtx_lapic_timer_current - the current count at @now
 * @a: the APIC
 * @now: bus cycles, the caller's clock
 *
 * The count decrements once every divisor bus cycles from the initial
 * count; one-shot stays at 0, periodic reloads the initial count.
 *
 * Return: the count; 0 in TSC-deadline mode and when the initial count
 * is 0.
 */
u32 vtx_lapic_timer_current(const struct vtx_lapic *a, u64 now)
{
	u32 tmict = vtx_lapic_get_reg(a, APIC_TMICT);
	unsigned int div = vtx_lapic_timer_divisor(vtx_lapic_get_reg(a, APIC_TDCR));

	if (vtx_lapic_timer_mode(a) == VTX_LAPIC_TIMER_TSCDEADLINE || !tmict)
		return 0;
	if (!a->timer_armed)
		return 0;
	return tmict - (u32)(timer_elapsed(a, now) / div);
}

/**
 * vtx_lapic_timer_deadline - when the count timer next reaches 0
 * @a: the APIC
 * @when: out: that bus cycle
 *
 * Return: false when nothing is counting (initial count 0, a one-shot
 * count that already expired) and in TSC-deadline mode, whose deadline is
 * @a->tsc_deadline in TSC ticks.
 */
bool vtx_lapic_timer_deadline(const struct vtx_lapic *a, u64 *when)
{
	if (!a->timer_armed ||
	    vtx_lapic_timer_mode(a) == VTX_LAPIC_TIMER_TSCDEADLINE)
		return false;
	*when = a->timer_start + vtx_lapic_timer_period(a);
	return true;
}

/**
 * vtx_lapic_timer_expire - the caller's timer for the deadline fired
 * @a: the APIC
 * @now: bus cycles (TSC-deadline mode: unused)
 * @fx: out: VTX_LAPIC_FX_EVENT when the timer interrupt was requested
 *
 * One-shot and TSC-deadline timers disarm; a periodic timer's next period
 * starts at the previous deadline, not at @now, and periods missed as a
 * whole (a long pause) are skipped, not delivered one by one.
 *
 * Return: the vector requested in IRR, or -1 (LVT Timer masked).
 */
int vtx_lapic_timer_expire(struct vtx_lapic *a, u64 now,
			   struct vtx_lapic_fx *fx)
{
	u32 lvtt = vtx_lapic_get_reg(a, APIC_LVTT);
	u64 period = vtx_lapic_timer_period(a);

	enum vtx_lapic_timer_mode mode = vtx_lapic_timer_mode(a);

	if (!a->timer_armed)
		return -1;
	if (mode == VTX_LAPIC_TIMER_PERIODIC && period) {
		a->timer_start += period;
		if (cycles_since(a->timer_start, now) >= period)
			a->timer_start += cycles_since(a->timer_start, now) /
					  period * period;
	} else {
		a->timer_armed = false;
		if (mode == VTX_LAPIC_TIMER_TSCDEADLINE)
			a->tsc_deadline = 0;
	}
	if (lvtt & APIC_LVT_MASKED)
		return -1;
	if (vtx_lapic_accept(a, lvtt & APIC_VECTOR_MASK, false, fx))
		return -1;
	return lvtt & APIC_VECTOR_MASK;
}

/**
 * vtx_lapic_set_tsc_deadline - WRMSR IA32_TSC_DEADLINE
 * @a: the APIC
 * @tsc: the deadline in TSC ticks, 0 disarms
 * @fx: out: VTX_LAPIC_FX_TIMER
 *
 * Ignored outside TSC-deadline mode, as KVM does.
 */
void vtx_lapic_set_tsc_deadline(struct vtx_lapic *a, u64 tsc,
				struct vtx_lapic_fx *fx)
{
	if (vtx_lapic_timer_mode(a) != VTX_LAPIC_TIMER_TSCDEADLINE)
		return;
	a->tsc_deadline = tsc;
	a->timer_armed = tsc != 0;
	fx->flags |= VTX_LAPIC_FX_TIMER;
}

/* RDMSR IA32_TSC_DEADLINE: 0 outside TSC-deadline mode. */
u64 vtx_lapic_get_tsc_deadline(const struct vtx_lapic *a)
{
	if (vtx_lapic_timer_mode(a) != VTX_LAPIC_TIMER_TSCDEADLINE)
		return 0;
	return a->tsc_deadline;
}

/* A new initial count: the count restarts now (ignored in TSC-deadline). */
static void write_tmict(struct vtx_lapic *a, u32 val, u64 now,
			struct vtx_lapic_fx *fx)
{
	if (vtx_lapic_timer_mode(a) == VTX_LAPIC_TIMER_TSCDEADLINE)
		return;
	vtx_lapic_set_reg(a, APIC_TMICT, val);
	a->timer_start = now;
	a->timer_armed = val != 0;
	fx->flags |= VTX_LAPIC_FX_TIMER;
}

/* A new divisor: the current count carries on, at the new rate. */
static void write_tdcr(struct vtx_lapic *a, u32 val, u64 now,
		       struct vtx_lapic_fx *fx)
{
	unsigned int old = vtx_lapic_timer_divisor(vtx_lapic_get_reg(a, APIC_TDCR));
	unsigned int new = vtx_lapic_timer_divisor(val);
	u64 ticks = 0;

	if (a->timer_armed &&
	    vtx_lapic_timer_mode(a) != VTX_LAPIC_TIMER_TSCDEADLINE)
		ticks = timer_elapsed(a, now) / old;
	vtx_lapic_set_reg(a, APIC_TDCR, val & TDCR_WR);
	if (old == new || !a->timer_armed)
		return;
	a->timer_start = now - ticks * new;
	fx->flags |= VTX_LAPIC_FX_TIMER;
}

/* LVT Timer: switching into or out of TSC-deadline mode stops the timer. */
static void write_lvtt(struct vtx_lapic *a, u32 val, struct vtx_lapic_fx *fx)
{
	bool was_tscd = vtx_lapic_timer_mode(a) == VTX_LAPIC_TIMER_TSCDEADLINE;
	u32 old = vtx_lapic_get_reg(a, APIC_LVTT);

	vtx_lapic_set_reg(a, APIC_LVTT, val);
	if (was_tscd != (vtx_lapic_timer_mode(a) == VTX_LAPIC_TIMER_TSCDEADLINE)) {
		vtx_lapic_set_reg(a, APIC_TMICT, 0);
		a->timer_armed = false;
		a->tsc_deadline = 0;
	}
	if ((old ^ val) & VTX_APIC_LVT_TIMER_MASK)
		fx->flags |= VTX_LAPIC_FX_TIMER;
}

/* --------------------------------------------------- the registers -- */

/* Writable and read-only bits of an LVT; 0 when @offset is not an LVT. */
static u32 lvt_bits(const struct vtx_lapic *a, u32 offset, u32 *ro)
{
	*ro = LVT_RO;
	switch (offset) {
	case APIC_LVTT:
		return LVT_WR_BASE | (a->cfg.tsc_deadline ?
				      VTX_APIC_LVT_TIMER_MASK :
				      APIC_LVT_TIMER_PERIODIC);
	case APIC_LVTTHMR:
	case APIC_LVTPC:
		return LVT_WR_MODE;
	case APIC_LVTCMCI:
		return vtx_lapic_lvt_present(a, offset) ? LVT_WR_MODE : 0;
	case APIC_LVT0:
	case APIC_LVT1:
		*ro = LVT_RO_LINT;
		return LVT_WR_LINT;
	case APIC_LVTERR:
		return LVT_WR_BASE;
	}
	return 0;
}

static bool vector_reg(u32 offset)
{
	return offset >= APIC_ISR &&
	       offset < APIC_IRR + APIC_ISR_NR * VTX_LAPIC_REG_ALIGN;
}

/*
 * Whether @offset is a register in the current mode, and whether it can
 * be read and written (write-only: EOI, SELF IPI).
 */
static bool reg_valid(const struct vtx_lapic *a, u32 offset, bool write)
{
	u32 ro;

	if (offset & (VTX_LAPIC_REG_ALIGN - 1) || offset > VTX_LAPIC_LAST_REG)
		return false;
	if (vector_reg(offset) || lvt_bits(a, offset, &ro))
		return true;
	switch (offset) {
	case APIC_ID:
	case APIC_LVR:
	case APIC_TASKPRI:
	case APIC_PROCPRI:
	case APIC_LDR:
	case APIC_SPIV:
	case APIC_ESR:
	case APIC_ICR:
	case APIC_TMICT:
	case APIC_TMCCT:
	case APIC_TDCR:
		return true;
	case APIC_EOI:
		return write || !a->x2apic;
	case APIC_ARBPRI:
	case APIC_DFR:
	case APIC_ICR2:
		return !a->x2apic;
	case APIC_SELF_IPI:
		return write && a->x2apic;
	}
	return false;
}

static u32 reg_read(struct vtx_lapic *a, u32 offset, u64 now)
{
	switch (offset) {
	case APIC_ARBPRI:	/* as KVM: no arbitration priority */
	case APIC_EOI:
		return 0;
	case APIC_PROCPRI:
		return vtx_lapic_ppr(a);
	case APIC_TMCCT:
		return vtx_lapic_timer_current(a, now);
	}
	return vtx_lapic_get_reg(a, offset);
}

/**
 * vtx_lapic_read - read a 32-bit register in xAPIC mode (MMIO)
 * @a: the APIC
 * @offset: its offset in the page (16-byte aligned)
 * @now: bus cycles, for the current count
 * @val: out: the value, 0 when refused
 *
 * The caller checks the APIC is enabled in xAPIC mode.
 *
 * Return: 0, or -EINVAL for a reserved offset (latching "illegal register
 * address") or in x2APIC mode.
 */
int vtx_lapic_read(struct vtx_lapic *a, u32 offset, u64 now, u32 *val)
{
	*val = 0;
	if (a->x2apic)
		return -EINVAL;
	if (!reg_valid(a, offset, false)) {
		apic_error(a, APIC_ESR_ILLREGA, NULL);
		return -EINVAL;
	}
	*val = reg_read(a, offset, now);
	return 0;
}

/*
 * Report the IPI of @icr to the caller; fixed or lowest-priority IPIs with
 * an illegal vector (0-15) are not sent and latch "send illegal vector".
 */
static void send_ipi(struct vtx_lapic *a, u64 icr, struct vtx_lapic_fx *fx)
{
	struct vtx_lapic_ipi ipi;

	vtx_lapic_decode_icr(a, icr, &ipi);
	if ((ipi.delivery_mode == APIC_DM_FIXED ||
	     ipi.delivery_mode == APIC_DM_LOWEST) &&
	    ipi.vector < VTX_LAPIC_FIRST_VECTOR) {
		apic_error(a, APIC_ESR_SENDILL, fx);
		return;
	}
	fx->ipi = ipi;
	fx->flags |= VTX_LAPIC_FX_IPI;
}

static void write_svr(struct vtx_lapic *a, u32 val, struct vtx_lapic_fx *fx)
{
	u32 mask = SVR_WR;
	bool was = sw_enabled(a);

	if (a->cfg.directed_eoi)
		mask |= APIC_SPIV_DIRECTED_EOI;
	vtx_lapic_set_reg(a, APIC_SPIV, val & mask);
	if (!(val & APIC_SPIV_APIC_ENABLED)) {
		mask_all_lvts(a);
		fx->flags |= VTX_LAPIC_FX_TIMER | VTX_LAPIC_FX_LVT0;
	}
	if (was != sw_enabled(a))
		fx->flags |= VTX_LAPIC_FX_MAP;
}

/* The write itself, on a register reg_valid() accepted. */
static void reg_write(struct vtx_lapic *a, u32 offset, u32 val, u64 now,
		      struct vtx_lapic_fx *fx)
{
	u32 wr, ro;

	wr = lvt_bits(a, offset, &ro);
	if (wr) {
		if (!sw_enabled(a))
			val |= APIC_LVT_MASKED;
		val = (val & wr) | (vtx_lapic_get_reg(a, offset) & ro);
		if (offset == APIC_LVTT) {
			write_lvtt(a, val, fx);
			return;
		}
		vtx_lapic_set_reg(a, offset, val);
		if (offset == APIC_LVT0)
			fx->flags |= VTX_LAPIC_FX_LVT0;
		return;
	}
	switch (offset) {
	case APIC_ID:
		if (!a->x2apic) {
			vtx_lapic_set_reg(a, APIC_ID, val & XAPIC_HI_BYTE);
			fx->flags |= VTX_LAPIC_FX_MAP;
		}
		break;
	case APIC_TASKPRI:
		vtx_lapic_set_reg(a, APIC_TASKPRI, val & APIC_TPRI_MASK);
		update_ppr(a, fx);
		break;
	case APIC_EOI:
		vtx_lapic_eoi(a, fx);
		break;
	case APIC_LDR:
		if (!a->x2apic) {
			vtx_lapic_set_reg(a, APIC_LDR, val & APIC_LDR_MASK);
			fx->flags |= VTX_LAPIC_FX_MAP;
		}
		break;
	case APIC_DFR:
		vtx_lapic_set_reg(a, APIC_DFR, (val & DFR_MODEL_MASK) | DFR_ONES);
		fx->flags |= VTX_LAPIC_FX_MAP;
		break;
	case APIC_SPIV:
		write_svr(a, val, fx);
		break;
	case APIC_ESR:
		vtx_lapic_set_reg(a, APIC_ESR, a->esr_pending);
		a->esr_pending = 0;
		break;
	case APIC_ICR:
		val &= ~APIC_ICR_BUSY;
		vtx_lapic_set_reg(a, APIC_ICR, val);
		send_ipi(a, (u64)vtx_lapic_get_reg(a, APIC_ICR2) << 32 | val, fx);
		break;
	case APIC_ICR2:
		vtx_lapic_set_reg(a, APIC_ICR2, val & XAPIC_HI_BYTE);
		break;
	case APIC_TMICT:
		write_tmict(a, val, now, fx);
		break;
	case APIC_TDCR:
		write_tdcr(a, val, now, fx);
		break;
	case APIC_SELF_IPI:
		send_ipi(a, APIC_DEST_SELF | (val & APIC_VECTOR_MASK), fx);
		break;
	}
	/* LVR, PPR, ISR/TMR/IRR, current count, APR: read-only. */
}

/**
 * vtx_lapic_write - write a 32-bit register in xAPIC mode (MMIO)
 * @a: the APIC
 * @offset: its offset in the page (16-byte aligned)
 * @val: the value
 * @now: bus cycles, for the timer
 * @fx: out, zeroed first: what the caller must do
 *
 * Reserved bits are dropped, writes to read-only registers ignored.
 *
 * Return: 0, or -EINVAL for a reserved offset (latching "illegal register
 * address") or in x2APIC mode.
 */
int vtx_lapic_write(struct vtx_lapic *a, u32 offset, u32 val, u64 now,
		    struct vtx_lapic_fx *fx)
{
	memset(fx, 0, sizeof(*fx));
	if (a->x2apic)
		return -EINVAL;
	if (!reg_valid(a, offset, true)) {
		apic_error(a, APIC_ESR_ILLREGA, fx);
		return -EINVAL;
	}
	reg_write(a, offset, val, now, fx);
	return 0;
}

static bool msr_offset(const struct vtx_lapic *a, u32 msr, u32 *offset)
{
	if (!a->x2apic || msr < APIC_BASE_MSR || msr > VTX_X2APIC_MSR_LAST)
		return false;
	*offset = (msr - APIC_BASE_MSR) << VTX_LAPIC_REG_SHIFT;
	return true;
}

/**
 * vtx_lapic_msr_read - RDMSR of an x2APIC register (0x800 + offset / 16)
 * @a: the APIC
 * @msr: the MSR
 * @now: bus cycles, for the current count
 * @val: out: the value
 *
 * ICR is one 64-bit MSR (0x830: destination in bits 63:32).
 *
 * Return: 0, or -EINVAL (#GP) outside x2APIC mode, for reserved MSRs
 * (DFR, ICR2, APR) and for the write-only EOI and SELF IPI.
 */
int vtx_lapic_msr_read(struct vtx_lapic *a, u32 msr, u64 now, u64 *val)
{
	u32 offset;

	*val = 0;
	if (!msr_offset(a, msr, &offset) || !reg_valid(a, offset, false))
		return -EINVAL;
	*val = reg_read(a, offset, now);
	if (offset == APIC_ICR)
		*val |= (u64)vtx_lapic_get_reg(a, APIC_ICR2) << 32;
	return 0;
}

/* Bits of an x2APIC register a WRMSR may set (the rest: #GP). */
static u32 x2apic_write_ok(const struct vtx_lapic *a, u32 offset)
{
	u32 wr, ro;

	wr = lvt_bits(a, offset, &ro);
	if (wr)
		return wr | ro;
	switch (offset) {
	case APIC_TASKPRI:
		return APIC_TPRI_MASK;
	case APIC_SPIV:
		return SVR_WR | (a->cfg.directed_eoi ? APIC_SPIV_DIRECTED_EOI : 0);
	case APIC_TMICT:
		return ~0u;
	case APIC_TDCR:
		return TDCR_WR;
	case APIC_SELF_IPI:
		return APIC_VECTOR_MASK;
	}
	/* EOI and ESR take only 0; the rest is read-only. */
	return 0;
}

/**
 * vtx_lapic_msr_write - WRMSR of an x2APIC register
 * @a: the APIC
 * @msr: the MSR
 * @val: the value
 * @now: bus cycles, for the timer
 * @fx: out, zeroed first: what the caller must do
 *
 * ICR: as KVM, BUSY is ignored, the other reserved bits of the low half
 * are #GP.
 *
 * Return: 0, or -EINVAL (#GP) outside x2APIC mode, for reserved and
 * read-only MSRs (ID, LVR, PPR, LDR, ISR/TMR/IRR, current count), for
 * reserved bits set (bits 63:32 of all but ICR; EOI and ESR take only 0),
 * as the SDM's "Reserved Bit Checking" in x2APIC mode has it.
 */
int vtx_lapic_msr_write(struct vtx_lapic *a, u32 msr, u64 val, u64 now,
			struct vtx_lapic_fx *fx)
{
	u32 offset;

	memset(fx, 0, sizeof(*fx));
	if (!msr_offset(a, msr, &offset) || !reg_valid(a, offset, true))
		return -EINVAL;
	if (offset == APIC_ICR) {
		if ((u32)val & ~(ICR_LOW_VALID | APIC_ICR_BUSY))
			return -EINVAL;
		val &= ~(u64)APIC_ICR_BUSY;
		vtx_lapic_set_reg(a, APIC_ICR, (u32)val);
		vtx_lapic_set_reg(a, APIC_ICR2, val >> 32);
		send_ipi(a, val, fx);
		return 0;
	}
	if (val >> 32)
		return -EINVAL;
	switch (offset) {
	case APIC_EOI:
	case APIC_ESR:
		if (val)
			return -EINVAL;
		break;
	default:
		if (!x2apic_write_ok(a, offset) ||
		    (val & ~(u64)x2apic_write_ok(a, offset)))
			return -EINVAL;
		/* the reserved timer mode */
		if (offset == APIC_LVTT &&
		    (val & VTX_APIC_LVT_TIMER_MASK) == VTX_APIC_LVT_TIMER_MASK)
			return -EINVAL;
	}
	reg_write(a, offset, val, now, fx);
	return 0;
}

/* ---------------------------------------------------- priorities -- */

/**
 * vtx_lapic_accept - a fixed interrupt arrives: request @vector
 * @a: the APIC
 * @vector: the vector
 * @level: level-triggered (TMR set) or edge (TMR clear)
 * @fx: out (may be NULL): VTX_LAPIC_FX_EVENT
 *
 * Return: 0, or -EINVAL for vectors 0-15, which latch "receive illegal
 * vector".
 */
int vtx_lapic_accept(struct vtx_lapic *a, u8 vector, bool level,
		     struct vtx_lapic_fx *fx)
{
	if (vector < VTX_LAPIC_FIRST_VECTOR) {
		apic_error(a, APIC_ESR_RECVILL, fx);
		return -EINVAL;
	}
	set_vec(a, APIC_TMR, vector, level);
	set_vec(a, APIC_IRR, vector, true);
	if (fx)
		fx->flags |= VTX_LAPIC_FX_EVENT;
	return 0;
}

/**
 * vtx_lapic_next_vector - the interrupt to deliver next, if any
 * @a: the APIC
 *
 * Return: the highest requested vector whose priority class is above
 * PPR's; -1 when none is, or when the APIC is hardware-disabled.
 */
int vtx_lapic_next_vector(struct vtx_lapic *a)
{
	int irr;

	if (!a->hw_enabled)
		return -1;
	irr = vtx_lapic_highest_irr(a);
	if (irr < 0 || (u32)(irr & VTX_LAPIC_PRIO_CLASS) <= vtx_lapic_ppr(a))
		return -1;
	return irr;
}

/* The processor took @vector: from IRR into service (ISR), PPR follows. */
void vtx_lapic_ack(struct vtx_lapic *a, u8 vector)
{
	set_vec(a, APIC_IRR, vector, false);
	set_vec(a, APIC_ISR, vector, true);
	vtx_lapic_ppr(a);
}

/**
 * vtx_lapic_eoi - end of interrupt: the highest vector leaves service
 * @a: the APIC
 * @fx: out: VTX_LAPIC_FX_EOI with the vector, whether it was
 *	level-triggered (TMR) and whether the EOI is broadcast to the
 *	IOAPICs (not with directed EOI enabled in SVR); VTX_LAPIC_FX_EVENT
 *
 * Return: the vector, or -1 when nothing was in service.
 */
int vtx_lapic_eoi(struct vtx_lapic *a, struct vtx_lapic_fx *fx)
{
	int v = vtx_lapic_highest_isr(a);

	if (v < 0)
		return -1;
	set_vec(a, APIC_ISR, v, false);
	vtx_lapic_ppr(a);
	fx->flags |= VTX_LAPIC_FX_EOI | VTX_LAPIC_FX_EVENT;
	fx->eoi_vector = v;
	fx->eoi_level = test_vec(a, APIC_TMR, v);
	fx->eoi_broadcast = !(vtx_lapic_get_reg(a, APIC_SPIV) &
			      APIC_SPIV_DIRECTED_EOI);
	return v;
}

/* ---------------------------------------------------- destinations -- */

static bool match_logical(const struct vtx_lapic *a, u32 dest)
{
	u32 ldr = vtx_lapic_get_reg(a, APIC_LDR);

	if (a->x2apic)
		return ldr >> X2APIC_CLUSTER_SHIFT == dest >> X2APIC_CLUSTER_SHIFT &&
		       (ldr & dest & X2APIC_LOGICAL_MASK);
	ldr = GET_APIC_LOGICAL_ID(ldr);
	switch (vtx_lapic_get_reg(a, APIC_DFR)) {
	case APIC_DFR_FLAT:
		return ldr & dest;
	case APIC_DFR_CLUSTER:
		return ldr >> XAPIC_CLUSTER_SHIFT == dest >> XAPIC_CLUSTER_SHIFT &&
		       (ldr & dest & XAPIC_DEST_CPUS_MASK);
	}
	return false;
}

/**
 * vtx_lapic_match_dest - is @a a destination of @dest?
 * @a: the APIC
 * @dest: the destination: 8 bits in xAPIC mode, 32 in x2APIC mode
 * @logical: logical (LDR, and in xAPIC mode DFR's model) or physical (ID)
 *
 * Return: whether @dest matches; the broadcast address (0xff, x2APIC
 * 0xffffffff) matches in both modes, a hardware-disabled APIC nothing.
 */
bool vtx_lapic_match_dest(const struct vtx_lapic *a, u32 dest, bool logical)
{
	if (!a->hw_enabled)
		return false;
	if (dest == (a->x2apic ? VTX_X2APIC_BROADCAST : VTX_APIC_BROADCAST))
		return true;
	if (logical)
		return match_logical(a, dest);
	return dest == vtx_lapic_id(a);
}

/* Is @target a destination of @ipi sent by @source (shorthands too)? */
bool vtx_lapic_match_ipi(const struct vtx_lapic *target,
			 const struct vtx_lapic *source,
			 const struct vtx_lapic_ipi *ipi)
{
	if (!target->hw_enabled)
		return false;
	switch (ipi->shorthand) {
	case APIC_DEST_SELF:
		return target == source;
	case APIC_DEST_ALLINC:
		return true;
	case APIC_DEST_ALLBUT:
		return target != source;
	}
	return vtx_lapic_match_dest(target, ipi->dest, ipi->logical);
}

/**
 * vtx_lapic_decode_icr - the interrupt message an ICR value sends
 * @a: the sending APIC (its mode decides the destination's width)
 * @icr: low half in bits 31:0, ICR2 (xAPIC) or destination (x2APIC) above
 * @ipi: out
 */
void vtx_lapic_decode_icr(const struct vtx_lapic *a, u64 icr,
			  struct vtx_lapic_ipi *ipi)
{
	u32 lo = (u32)icr, hi = icr >> 32;

	ipi->vector = lo & APIC_VECTOR_MASK;
	ipi->delivery_mode = lo & APIC_DM_FIXED_MASK;
	ipi->logical = lo & APIC_DEST_LOGICAL;
	ipi->assert = lo & APIC_INT_ASSERT;
	ipi->level = lo & APIC_INT_LEVELTRIG;
	ipi->shorthand = lo & VTX_APIC_SHORT_MASK;
	ipi->dest = a->x2apic ? hi : GET_XAPIC_DEST_FIELD(hi);
}
