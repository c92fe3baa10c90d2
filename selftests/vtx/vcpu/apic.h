/* SPDX-License-Identifier: GPL-2.0 */
/* What apic_guest.S and apic_test.c agree on */
#ifndef VTX_VCPU_APIC_H
#define VTX_VCPU_APIC_H

/* x2APIC MSRs: 0x800 + the xAPIC register offset / 16 (SDM 10.12.1.2) */
#define X2APIC_ID		0x802
#define X2APIC_TPR		0x808
#define X2APIC_EOI		0x80b
#define X2APIC_SVR		0x80f
#define X2APIC_ISR0		0x810
#define X2APIC_IRR0		0x820
#define X2APIC_ICR		0x830
#define X2APIC_LVTT		0x832
#define X2APIC_LVT0		0x835
#define X2APIC_TMICT		0x838
#define X2APIC_TMCCT		0x839
#define X2APIC_TDCR		0x83e

#define APIC_BASE_EXTD		0x400	/* IA32_APIC_BASE: x2APIC mode */
#define APIC_BASE_EN		0x800	/* IA32_APIC_BASE: enabled */
#define APIC_SVR_EN		0x100	/* SVR: software enable */
#define LVT_PERIODIC		(1 << 17)
#define LVT_TSC_DEADLINE	(2 << 17)
#define LVT_MASKED		(1 << 16)
#define LVT_DM_EXTINT		0x700	/* delivery mode ExtINT */
#define TDCR_DIV1		0xb
#define ICR_INIT		0x4500	/* INIT, level assert */
#define ICR_SIPI		0x4600	/* start-up, level assert */

#define SPURIOUS_VEC		0x3f
#define TIMER_VEC		0x30
#define IPI_VEC			0x31
#define MSI_VEC			0x32
#define EXTINT_VEC		0x33	/* KVM_INTERRUPT's, via LINT0 */
#define EXTINT_SPINS		100000	/* loop iterations with LINT0 masked */
#define TIMER_COUNT		200000	/* 200 us at divide-by-1 */
#define PERIODIC_N		5	/* periodic interrupts to count */
#define PERIOD_COUNT		1000000	/* 1 ms at divide-by-1 */
#define TSC_DELTA		1000000	/* TSC-deadline: ticks from now */

#define APIC_COUNT(v)		(EXC_COUNT_GPA + 4 * (v))
#define READY_GPA		(SCRATCH_GPA + 0x100)	/* vCPU 1 is waiting */
#define AP_CODE_GPA		(SCRATCH_GPA + 0x1000)	/* SIPI target */
#define AP_SIPI_VECTOR		(AP_CODE_GPA >> 12)
#define AP_MAGIC_OFF		0x800	/* the AP writes AP_MAGIC at CS:this */
#define AP_MAGIC		0x5a5a
#define AP_PORT			0x70	/* then OUTs to it */

#endif
