/* SPDX-License-Identifier: GPL-2.0 */
/* What apicv_guest.S and apicv_test.c agree on */
#ifndef VTX_VCPU_APICV_H
#define VTX_VCPU_APICV_H

/* The 8259s' data ports (their masks) */
#define PIC1_DATA		0x21
#define PIC2_DATA		0xa1

/* The xAPIC page at its default base, and its registers (SDM 10.4.1) */
#define APIC_GPA		0xfee00000
#define APIC_LVR		0x30
#define APIC_TPR		0x80
#define APIC_EOI		0xb0
#define APIC_SVR		0xf0
#define APIC_ISR1		0x110	/* vectors 0x20-0x3f */
#define APIC_IRR0		0x200	/* vectors 0-0x1f */
#define APIC_IRR1		0x210
#define APIC_ICR_LO		0x300
#define APIC_ICR_HI		0x310
#define APIC_LVTT		0x320
#define APIC_TMICT		0x380
#define APIC_TMCCT		0x390
#define APIC_TDCR		0x3e0
#define APIC_SVR_EN		0x100
#define ICR_SELF		0x40000	/* shorthand "self", fixed, edge */
#define ICR_DEST_SHIFT		24	/* ICR_HI: xAPIC destination */
#define LVT_MASKED		0x10000
#define TDCR_DIV1		0xb
#define TIMER_COUNT		0x10000000	/* never expires in the test */

/* x2APIC MSRs */
#define X2APIC_TPR		0x808
#define X2APIC_EOI		0x80b
#define X2APIC_ISR1		0x811
#define X2APIC_ESR		0x828
#define X2APIC_SELF_IPI		0x83f
#define X2APIC_SVR		0x80f
#define ESR_SEND_ILLEGAL	0x20	/* "send illegal vector" */
#define APIC_BASE_EXTD		0x400
#define APIC_BASE_EN		0x800

/* The IOAPIC at its default base, GSI 10's entry (as irqchip.h) */
#define IOAPIC_GPA		0xfec00000
#define IOAPIC_SEL		0x00
#define IOAPIC_WIN		0x10
#define IOAPIC_GSI		10
#define IOAPIC_RTE_LO		(0x10 + 2 * IOAPIC_GSI)
#define IOAPIC_RTE_HI		(IOAPIC_RTE_LO + 1)
#define RTE_LEVEL		(1 << 15)
#define RTE_REMOTE_IRR		(1 << 14)

/* Vectors (below IDT_VECTORS); classes 2 and 3 */
#define SPURIOUS_VEC		0x3f
#define SELF_VEC		0x31	/* xAPIC self-IPI, class 3 */
#define X2SELF_VEC		0x32	/* x2APIC SELF IPI */
#define IOAPIC_VEC		0x35
#define IPI_VEC			0x36	/* a fixed IPI to another vCPU */
#define MSI_VEC			0x37	/* KVM_SIGNAL_MSI's */
#define LOW_VEC			0x28	/* class 2: waits behind MSI_VEC */
#define TIMER_VEC		0x30
#define ILLEGAL_VEC		0x0f	/* below 16: no fixed IPI may carry it */
#define TPR_BLOCK		3	/* CR8 = 3 blocks class 3 */
#define TPR_SET			0x40	/* KVM_SET_LAPIC's TPR: still blocks */

/* Paging: PDPT[3] -> a PD with the IOAPIC's and the APIC's 2 MiB pages */
#define APICV_PD_GPA		(SCRATCH_GPA + 0x2000)
#define APICV_PDPT_INDEX	3
#define IOAPIC_PD_INDEX		((IOAPIC_GPA >> 21) & 0x1ff)
#define APIC_PD_INDEX		((APIC_GPA >> 21) & 0x1ff)

/* xAPIC page accesses of the exit-count loop (a TPR read and write each) */
#define LOOP_N			1000

/*
 * apicv_stale_guest: a memory slot of its own that the guest has not
 * touched yet (its first access is an EPT violation), its stack there
 */
#define FRESH_GPA		0x400000
#define FRESH_SIZE		0x200000
#define FRESH_STACK_TOP		(FRESH_GPA + 0x1000)

/*
 * apicv_ipi_guest: vCPU 1 is ready for the IPI, halted or about to;
 * apicv_msi_guest: the stage that waits for the next MSI
 */
#define READY_GPA		(SCRATCH_GPA + 0x100)

/*
 * apicv_ifoff_guest's stages (READY_GPA): odd ones the guest sets when
 * it waits with IF = 0 for the host, even ones the host sets after it
 * sent its interrupts and held the guest there for a while
 */
#define IFOFF_PENDING		1	/* MSI_VEC to a guest with IF = 0 */
#define IFOFF_BEHIND		3	/* MSI_VEC in service, LOW_VEC behind */
#define IFOFF_EOI		5	/* MSI_VEC ended with IF = 0 */
#define IFOFF_SELF		7	/* x2APIC SELF IPI with IF = 0 */

/*
 * apicv_storm_guest: vCPU 1 takes STORM_N interrupts of each source,
 * paced one at a time per source: IOAPIC pin STORM_LINE_GSI (KVM_IRQ_LINE),
 * pin STORM_IRQFD_GSI (an irqfd) and KVM_SIGNAL_MSI sharing STORM_MSI_VEC,
 * fixed IPIs from vCPU 0
 */
#define STORM_LINE_GSI		10
#define STORM_IRQFD_GSI		11
#define STORM_LINE_VEC		0x2a	/* class 2 */
#define STORM_MSI_VEC		0x2b
#define STORM_IPI_VEC		0x36	/* class 3 */
#define STORM_N_GPA		(SCRATCH_GPA + 0x104)	/* per source */
#define STORM_TOTAL_GPA		(SCRATCH_GPA + 0x108)	/* all sources */
#define IOAPIC_RTE_LO_OF(gsi)	(0x10 + 2 * (gsi))

#define IRQ_COUNT(v)		(EXC_COUNT_GPA + 4 * (v))

#endif
