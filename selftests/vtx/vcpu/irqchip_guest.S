/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guests of irqchip_test.c: KVM_CREATE_IRQCHIP's 8259s and IOAPIC as a
 * guest programs them.  Interrupts are waited for with HLT (it sleeps in
 * the kernel with an in-kernel APIC); waiting loops run with IF = 1.
 */
#include "guest_exc.h"
#include "irqchip.h"
#include "guest_apic.h"

/*
 * The 8259s as Linux's init_8259A() programs them (ICW1-4, vector bases
 * PIC_BASE and PIC2_BASE, everything masked, then IRQ3 unmasked); the
 * BSP's LINT0 takes ExtINT from reset.  Step 1 with RBX = the master's
 * IMR read back; then IRQ3 through INTA, EOI by OCW2, step 2.
 */
GUEST_BEGIN pic_guest, 64
	movq	$EXC_RESUME_IRET, EXC_RESUME_GPA
	outb_imm PIC1_DATA, 0xff
	outb_imm PIC2_DATA, 0xff
	outb_imm PIC1_CMD, ICW1_INIT_ICW4
	outb_imm PIC1_DATA, PIC_BASE
	outb_imm PIC1_DATA, ICW3_MASTER
	outb_imm PIC1_DATA, ICW4_8086
	outb_imm PIC2_CMD, ICW1_INIT_ICW4
	outb_imm PIC2_DATA, PIC2_BASE
	outb_imm PIC2_DATA, ICW3_SLAVE
	outb_imm PIC2_DATA, ICW4_8086
	outb_imm PIC1_DATA, PIC1_IMR
	outb_imm PIC2_DATA, 0xff
	xor	%ebx, %ebx
	in	$PIC1_DATA, %al
	mov	%al, %bl
	ucall	UCALL_REPORT
	ucall_step 1
	wait_irq PIC_VEC, 1
	outb_imm PIC1_CMD, OCW2_EOI
	ucall_step 2
	EXC_STUBS64 pic_guest_stubs
GUEST_END pic_guest

/*
 * The IOAPIC (PICs masked, x2APIC enabled): the version register (a
 * report), GSI 10's entry level-triggered to IOAPIC_VEC at APIC ID 0,
 * step 1.  Then twice: wait for the interrupt, report the entry (remote
 * IRR set), EOI, report the entry again, step 2 (then 3).
 */
GUEST_BEGIN ioapic_guest, 64
	movq	$EXC_RESUME_IRET, EXC_RESUME_GPA
	outb_imm PIC1_DATA, 0xff
	outb_imm PIC2_DATA, 0xff
	mov	$MSR_IA32_APICBASE, %ecx
	rdmsr
	or	$(APIC_BASE_EN | APIC_BASE_EXTD), %eax
	wrmsr
	mov	$X2APIC_SVR, %ecx
	mov	$(APIC_SVR_EN | SPURIOUS_VEC), %eax
	xor	%edx, %edx
	wrmsr
	ioapic_read IOAPIC_REG_VER
	ucall	UCALL_REPORT
	ioapic_write IOAPIC_RTE_HI, 0
	ioapic_write IOAPIC_RTE_LO, (IOAPIC_VEC | RTE_LEVEL)
	ucall_step 1
	wait_irq IOAPIC_VEC, 1
	ioapic_read IOAPIC_RTE_LO
	ucall	UCALL_REPORT
	call	eoi
	ioapic_read IOAPIC_RTE_LO
	ucall	UCALL_REPORT
	ucall_step 2
	wait_irq IOAPIC_VEC, 2
	ioapic_read IOAPIC_RTE_LO
	ucall	UCALL_REPORT
	call	eoi
	ioapic_read IOAPIC_RTE_LO
	ucall	UCALL_REPORT
	ucall_step 3
eoi:	mov	$X2APIC_EOI, %ecx
	xor	%eax, %eax
	xor	%edx, %edx
	wrmsr
	ret
	EXC_STUBS64 ioapic_guest_stubs
GUEST_END ioapic_guest
