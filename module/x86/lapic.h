/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtx - the local APIC as a register model (groundwork for the in-kernel
 * irqchip, Documentation/vtx/design.rst section 14).
 *
 * struct vtx_lapic is one local APIC: its 1 KiB register page in the layout
 * of struct kvm_lapic_state (each 32-bit register at its xAPIC MMIO offset,
 * what KVM_GET/SET_LAPIC copy) and the few things that are not in it (the
 * mode from IA32_APIC_BASE, the errors latched for the next ESR write, the
 * timer's start, the TSC deadline).  The functions here change that state
 * only; whatever must happen elsewhere (an IPI to send, an EOI for the
 * IOAPIC, a timer to re-arm) is reported to the caller in struct
 * vtx_lapic_fx.  Time is passed in by the caller in APIC bus cycles (one
 * nanosecond each, as KVM's APIC bus runs at 1 GHz).
 *
 * No locking here: the caller serializes all calls on one struct vtx_lapic
 * (the vCPU's own thread, or the vCPU's lock for other threads).
 *
 * Nothing here includes a kernel header other than <asm/apicdef.h>, so
 * lapic.c also builds into the host-side unit test (selftests/lapic), which
 * takes apicdef.h from the kernel source.
 */
#ifndef VTX_LAPIC_H
#define VTX_LAPIC_H

#include "emulate_types.h"
#include <asm/apicdef.h>

/* The register page: struct kvm_lapic_state's regs[KVM_APIC_REG_SIZE]. */
#define VTX_LAPIC_REGS_SIZE	0x400
/* Registers are 16 bytes apart; the x2APIC MSR is 0x800 + offset / 16. */
#define VTX_LAPIC_REG_SHIFT	4
#define VTX_LAPIC_REG_ALIGN	0x10
/* The last register offset (SELF IPI in x2APIC mode). */
#define VTX_LAPIC_LAST_REG	APIC_SELF_IPI
/* x2APIC MSRs: APIC_BASE_MSR (0x800) to here. */
#define VTX_X2APIC_MSR_LAST	(APIC_BASE_MSR + (VTX_LAPIC_LAST_REG >> VTX_LAPIC_REG_SHIFT))

/* The version KVM reports: an integrated xAPIC. */
#define VTX_LAPIC_VERSION	0x14
/* LVT entries: timer, thermal, perf, LINT0, LINT1, error (+ CMCI). */
#define VTX_LAPIC_NR_LVT	6
#define VTX_LAPIC_NR_LVT_CMCI	7
/* Vectors 0-15 are illegal for fixed interrupts. */
#define VTX_LAPIC_FIRST_VECTOR	16
#define VTX_LAPIC_NR_VECTORS	256
/* The priority class of a vector or of TPR/PPR is its high nibble. */
#define VTX_LAPIC_PRIO_CLASS	0xf0
#define VTX_LAPIC_BYTE		0xff

/* The xAPIC ID is in bits 31:24 of the ID register. */
#define XAPIC_ID_SHIFT	24

/* Broadcast destinations. */
#define VTX_APIC_BROADCAST	0xffu
#define VTX_X2APIC_BROADCAST	0xffffffffu

/* ICR destination shorthand field (bits 19:18) and its values. */
#define VTX_APIC_SHORT_MASK	(APIC_DEST_SELF | APIC_DEST_ALLINC)
#define VTX_APIC_DEST_NOSHORT	0

/* LVT timer mode field (bits 18:17). */
#define VTX_APIC_LVT_TIMER_MASK	(3 << 17)

/* IA32_APIC_BASE bits that are APIC modes (asm/apicdef.h). */
#define VTX_APIC_BASE_MODE	(XAPIC_ENABLE | X2APIC_ENABLE)

enum vtx_lapic_timer_mode {
	VTX_LAPIC_TIMER_ONESHOT,
	VTX_LAPIC_TIMER_PERIODIC,
	VTX_LAPIC_TIMER_TSCDEADLINE,
};

/* What the vCPU's configuration decides about its APIC. */
struct vtx_lapic_config {
	u32 apic_id;		/* the vCPU id: initial (x2)APIC ID */
	u8 nr_lvt;		/* VTX_LAPIC_NR_LVT, or _CMCI with MCG_CMCI_P */
	bool directed_eoi;	/* LVR bit 24 (x2APIC in CPUID, split irqchip) */
	bool tsc_deadline;	/* CPUID.1:ECX.TSC_DEADLINE */
};

struct vtx_lapic {
	/* The register page as KVM_GET_LAPIC shows it (little endian). */
	u8 regs[VTX_LAPIC_REGS_SIZE];
	struct vtx_lapic_config cfg;
	bool hw_enabled;	/* IA32_APIC_BASE.EN */
	bool x2apic;		/* IA32_APIC_BASE.EXTD */
	u32 esr_pending;	/* errors since the last write to ESR */
	u64 timer_start;	/* bus cycle the current count started from */
	bool timer_armed;	/* counting, or a deadline not yet expired */
	u64 tsc_deadline;	/* IA32_TSC_DEADLINE */
};

/* An interrupt message: the ICR decoded, what the IPI machinery needs. */
struct vtx_lapic_ipi {
	u32 dest;		/* 8-bit xAPIC or 32-bit x2APIC destination */
	u32 delivery_mode;	/* APIC_DM_FIXED ... APIC_DM_EXTINT */
	u32 shorthand;		/* VTX_APIC_DEST_NOSHORT, APIC_DEST_SELF,
				 * APIC_DEST_ALLINC, APIC_DEST_ALLBUT
				 */
	u8 vector;
	bool logical;		/* APIC_DEST_LOGICAL */
	bool level;		/* APIC_INT_LEVELTRIG */
	bool assert;		/* APIC_INT_ASSERT */
};

/* What a call leaves for the caller to do (flags in .flags). */
#define VTX_LAPIC_FX_IPI	0x01	/* send .ipi */
#define VTX_LAPIC_FX_EOI	0x02	/* .eoi_vector left service */
#define VTX_LAPIC_FX_TIMER	0x04	/* re-arm (or cancel) the timer */
#define VTX_LAPIC_FX_MAP	0x08	/* ID, LDR, DFR or SVR.EN changed */
#define VTX_LAPIC_FX_EVENT	0x10	/* an interrupt may now be deliverable */
#define VTX_LAPIC_FX_LVT0	0x20	/* LVT LINT0 changed (ExtINT/NMI watch) */

struct vtx_lapic_fx {
	u32 flags;
	struct vtx_lapic_ipi ipi;
	int eoi_vector;
	bool eoi_level;		/* its TMR bit: tell the IOAPIC */
	bool eoi_broadcast;	/* false with directed EOI (SVR bit 12) */
};

/* Register page accessors (offset: a register's xAPIC offset). */
static inline u32 vtx_lapic_get_reg(const struct vtx_lapic *a, u32 offset)
{
	u32 v;

	memcpy(&v, a->regs + offset, sizeof(v));
	return v;
}

static inline void vtx_lapic_set_reg(struct vtx_lapic *a, u32 offset, u32 val)
{
	memcpy(a->regs + offset, &val, sizeof(val));
}

void vtx_lapic_reset(struct vtx_lapic *a, const struct vtx_lapic_config *cfg,
		     bool init_event, bool lint0_extint);
int vtx_lapic_set_mode(struct vtx_lapic *a, u64 old_base, u64 new_base,
		       bool host, bool cpuid_x2apic, struct vtx_lapic_fx *fx);
bool vtx_lapic_lvt_present(const struct vtx_lapic *a, u32 offset);
void vtx_lapic_set_nr_lvt(struct vtx_lapic *a, u8 nr_lvt);

int vtx_lapic_read(struct vtx_lapic *a, u32 offset, u64 now, u32 *val);
int vtx_lapic_write(struct vtx_lapic *a, u32 offset, u32 val, u64 now,
		    struct vtx_lapic_fx *fx);
int vtx_lapic_msr_read(struct vtx_lapic *a, u32 msr, u64 now, u64 *val);
int vtx_lapic_msr_write(struct vtx_lapic *a, u32 msr, u64 val, u64 now,
			struct vtx_lapic_fx *fx);

u32 vtx_lapic_ppr(struct vtx_lapic *a);
int vtx_lapic_highest_irr(const struct vtx_lapic *a);
int vtx_lapic_highest_isr(const struct vtx_lapic *a);
int vtx_lapic_accept(struct vtx_lapic *a, u8 vector, bool level,
		     struct vtx_lapic_fx *fx);
int vtx_lapic_next_vector(struct vtx_lapic *a);
void vtx_lapic_ack(struct vtx_lapic *a, u8 vector);
int vtx_lapic_eoi(struct vtx_lapic *a, struct vtx_lapic_fx *fx);

u32 vtx_lapic_id(const struct vtx_lapic *a);
u32 vtx_lapic_x2apic_ldr(u32 x2apic_id);
bool vtx_lapic_match_dest(const struct vtx_lapic *a, u32 dest, bool logical);
bool vtx_lapic_match_ipi(const struct vtx_lapic *target,
			 const struct vtx_lapic *source,
			 const struct vtx_lapic_ipi *ipi);
void vtx_lapic_decode_icr(const struct vtx_lapic *a, u64 icr,
			  struct vtx_lapic_ipi *ipi);

unsigned int vtx_lapic_timer_divisor(u32 tdcr);
enum vtx_lapic_timer_mode vtx_lapic_timer_mode(const struct vtx_lapic *a);
u64 vtx_lapic_timer_period(const struct vtx_lapic *a);
u32 vtx_lapic_timer_current(const struct vtx_lapic *a, u64 now);
bool vtx_lapic_timer_deadline(const struct vtx_lapic *a, u64 *when);
void vtx_lapic_set_tsc_deadline(struct vtx_lapic *a, u64 tsc,
				struct vtx_lapic_fx *fx);
u64 vtx_lapic_get_tsc_deadline(const struct vtx_lapic *a);
int vtx_lapic_timer_expire(struct vtx_lapic *a, u64 now,
			   struct vtx_lapic_fx *fx);

#endif /* VTX_LAPIC_H */
