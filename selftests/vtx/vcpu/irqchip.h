/* SPDX-License-Identifier: GPL-2.0 */
/* What irqchip_guest.S and irqchip_test.c agree on */
#ifndef VTX_VCPU_IRQCHIP_H
#define VTX_VCPU_IRQCHIP_H

/* The 8259s' ports and the words Linux's init_8259A() writes */
#define PIC1_CMD		0x20
#define PIC1_DATA		0x21
#define PIC2_CMD		0xa0
#define PIC2_DATA		0xa1
#define ICW1_INIT_ICW4		0x11	/* edge, cascade, ICW4 follows */
#define ICW3_MASTER		0x04	/* slave on IR2 */
#define ICW3_SLAVE		0x02	/* cascade identity 2 */
#define ICW4_8086		0x01
#define OCW2_EOI		0x20	/* non-specific EOI */
#define PIC_BASE		0x28	/* vector of IR0 (vectors < IDT_VECTORS) */
#define PIC2_BASE		0x30
#define PIC_IRQ			3	/* GSI 3: edge, master IR3 */
#define PIC_VEC			(PIC_BASE + PIC_IRQ)
#define PIC1_IMR		0xf7	/* IRQ3 (PIC_IRQ) only */

/* The IOAPIC at its default base, and the entry of GSI 10 */
#define IOAPIC_GPA		0xfec00000
#define IOAPIC_SEL		0x00
#define IOAPIC_WIN		0x10
#define IOAPIC_REG_VER		0x01
#define IOAPIC_GSI		10
#define IOAPIC_RTE_LO		(0x10 + 2 * IOAPIC_GSI)
#define IOAPIC_RTE_HI		(IOAPIC_RTE_LO + 1)
#define IOAPIC_VEC		0x35
#define RTE_LEVEL		(1 << 15)
#define RTE_REMOTE_IRR		(1 << 14)
#define IOAPIC_VERSION		0x00170011	/* 24 entries, version 0x11 */

/* Paging for the IOAPIC: PDPT[3] -> this PD, one 2 MiB page at its base */
#define IOAPIC_PD_GPA		(SCRATCH_GPA + 0x2000)
#define IOAPIC_PDPT_INDEX	3
#define IOAPIC_PD_INDEX		((IOAPIC_GPA >> 21) & 0x1ff)

/* x2APIC */
#define X2APIC_EOI		0x80b
#define X2APIC_SVR		0x80f
#define APIC_BASE_EXTD		0x400
#define APIC_BASE_EN		0x800
#define APIC_SVR_EN		0x100
#define SPURIOUS_VEC		0x3f

#define IRQ_COUNT(v)		(EXC_COUNT_GPA + 4 * (v))

#endif
