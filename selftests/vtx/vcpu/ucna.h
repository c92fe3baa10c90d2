/* SPDX-License-Identifier: GPL-2.0 */
/* What ucna_guest.S and ucna_test.c agree on */
#ifndef VTX_VCPU_UCNA_H
#define VTX_VCPU_UCNA_H

/* Banks the vCPU gets (KVM_X86_SETUP_MCE) and the one errors go to */
#define UCNA_NBANKS		8
#define UCNA_BANK		7

/* A bank's MSRs (SDM vol. 3B 16.3.2) */
#define MC_CTL2(b)		(MSR_IA32_MC0_CTL2 + (b))
#define MC_STATUS(b)		(MSR_IA32_MC0_STATUS + 4 * (b))
#define MC_ADDR(b)		(MSR_IA32_MC0_ADDR + 4 * (b))
#define MC_MISC(b)		(MSR_IA32_MC0_MISC + 4 * (b))

/* MCi_CTL2: CMCI enable (bit 30), error threshold (bits 14:0) */
#define CTL2_CMCI_EN		0x40000000
#define CTL2_THRESHOLD		0x7fff
#define CTL2_RESERVED		0x20000000	/* bit 29, one of the reserved */

/* The xAPIC page at its default base, and its registers */
#define APIC_GPA		0xfee00000
#define APIC_LVR		0x30
#define APIC_EOI		0xb0
#define APIC_SVR		0xf0
#define APIC_LVTCMCI		0x2f0
#define APIC_SVR_EN		0x100
#define LVT_MASKED		0x10000

/* The 8259s' data ports (their masks) */
#define PIC1_DATA		0x21
#define PIC2_DATA		0xa1

/* Vectors (below IDT_VECTORS) */
#define CMCI_VEC		0x3a
#define SPURIOUS_VEC		0x3f
#define MC_VEC			18

/* Paging: PDPT[3] -> a PD with the APIC's 2 MiB page */
#define UCNA_PD_GPA		(SCRATCH_GPA + 0x2000)
#define UCNA_PDPT_INDEX		3
#define APIC_PD_INDEX		((APIC_GPA >> 21) & 0x1ff)

#define IRQ_COUNT(v)		(EXC_COUNT_GPA + 4 * (v))

#endif
