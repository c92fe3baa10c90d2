/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What irq_guest.S and case_irq.c agree on: the interrupt-path cases'
 * vectors, the guest's data and the x2APIC registers it writes.  Plain
 * numbers only, so the assembler can use them too.
 */
#ifndef VTX_BENCH_IRQ_H
#define VTX_BENCH_IRQ_H

/* x2APIC MSRs: 0x800 + the xAPIC register offset / 16 (SDM 10.12.1.2) */
#define IRQ_MSR_APICBASE	0x1b
#define IRQ_MSR_TSC_DEADLINE	0x6e0
#define X2APIC_EOI		0x80b
#define X2APIC_SVR		0x80f
#define X2APIC_ICR		0x830
#define X2APIC_LVTT		0x832
#define X2APIC_LVT0		0x835
#define X2APIC_TMICT		0x838
#define X2APIC_TDCR		0x83e
#define APIC_BASE_EXTD		0x400	/* IA32_APIC_BASE: x2APIC mode */
#define APIC_BASE_EN		0x800	/* IA32_APIC_BASE: enabled */
#define APIC_SVR_EN		0x100	/* SVR: software enable */
#define LVT_MASKED		0x10000
#define LVT_TSC_DEADLINE	0x40000	/* timer mode 2 */
#define TDCR_DIV1		0xb
#define ICR_FIXED_ASSERT	0x4000	/* fixed, physical, edge, assert */

/* Vectors (the IDT has gates for 0 .. IRQ_IDT_VECTORS - 1) */
#define IRQ_VEC_DEV		0x30	/* irqfd: MSI or IOAPIC edge */
#define IRQ_VEC_TIMER		0x31	/* the local APIC timer */
#define IRQ_VEC_IPI_REQ		0x32	/* vCPU 0 -> vCPU 1 */
#define IRQ_VEC_IPI_RESP	0x33	/* vCPU 1 -> vCPU 0 */
#define IRQ_VEC_LEVEL		0x34	/* IOAPIC level-triggered */
#define IRQ_VEC_SPURIOUS	0x3f
#define IRQ_IDT_VECTORS		0x40

/* IOAPIC pins >= 16: no 8259 behind them in the default routing */
#define IRQ_GSI_EDGE		20
#define IRQ_GSI_LEVEL		21
#define IRQ_GSI_MSI		24	/* a GSI of our own MSI route */
#define IRQ_MSI_ADDR		0xfee00000	/* APIC ID 0, physical */

/*
 * Guest-physical layout, slot 0 ([0, 2 MiB)) beside the library's
 * (GDT and page tables below 0x5000, code at VTX_CODE_GPA).
 */
#define IRQ_DATA_GPA		0xc000
#define IRQ_COUNT		(IRQ_DATA_GPA + 0x00)	/* u64: vCPU 0's handler runs */
#define IRQ_T_HANDLER		(IRQ_DATA_GPA + 0x08)	/* u64: TSC at the last one */
#define IRQ_STOP		(IRQ_DATA_GPA + 0x10)	/* u64: != 0 ends the loops */
#define IRQ_READY		(IRQ_DATA_GPA + 0x18)	/* u64: vCPU 0 waits for interrupts */
#define IRQ_READY1		(IRQ_DATA_GPA + 0x20)	/* u64: vCPU 1 waits for IPIs */
#define IRQ_T_EOI		(IRQ_DATA_GPA + 0x28)	/* u64: TSC before the last EOI */
#define IRQ_IDT_GPA		0x10000
#define IRQ_STACK0_TOP		0x21000
#define IRQ_STACK1_TOP		0x22000
/* Per-interrupt samples (cycles, signed) of the cases timed in the guest */
#define IRQ_SAMPLES_A		0x100000
#define IRQ_SAMPLES_B		0x180000
#define IRQ_MAX_SAMPLES		0x10000	/* each array: 512 KiB */

#endif
