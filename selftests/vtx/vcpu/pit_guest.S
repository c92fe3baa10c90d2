/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guests of pit_test.c: the in-kernel PIT of KVM_CREATE_PIT2 programmed
 * the way Linux programs it.  Every loop reads a port, so each iteration
 * is a VM exit (the Bochs note in util.c), and every loop is bounded.
 */
#include "guest_exc.h"
#include "pit.h"

/* DL/DH = the two bytes of the next two reads of port \port */
.macro read16 port
	in	$\port, %al
	mov	%al, %dl
	in	$\port, %al
	mov	%al, %dh
.endm

/*
 * Channel 2 as Linux calibrates the TSC with it: gate on through port
 * 0x61 (speaker off), mode 0 from 0xffff; NREADS counts through the latch
 * command, NREADS read directly (LSB, MSB), then 0x61 read until OUT2
 * rises at terminal count.  Port 0x61 right after the load at
 * PIT_SPK_GPA; RBX of the ucall: the reads of 0x61 it took (MAX_SPINS:
 * never).
 */
GUEST_BEGIN pit_calib_guest, 64
	in	$PIT_SPEAKER, %al
	and	$~SPK_DATA, %al
	or	$SPK_GATE2, %al
	out	%al, $PIT_SPEAKER
	mov	$PIT_CMD_CH2_MODE0, %al
	out	%al, $PIT_CMD
	mov	$(CAL_COUNT & 0xff), %al
	out	%al, $PIT_CH2
	mov	$(CAL_COUNT >> 8), %al
	out	%al, $PIT_CH2
	in	$PIT_SPEAKER, %al
	mov	%al, PIT_SPK_GPA
	mov	$PIT_READS_GPA, %edi
	mov	$NREADS, %ecx
1:	mov	$PIT_CMD_LATCH_CH2, %al
	out	%al, $PIT_CMD
	read16	PIT_CH2
	mov	%dx, (%rdi)
	add	$2, %rdi
	dec	%ecx
	jnz	1b
	mov	$NREADS, %ecx
2:	read16	PIT_CH2
	mov	%dx, (%rdi)
	add	$2, %rdi
	dec	%ecx
	jnz	2b
	xor	%ebx, %ebx
3:	inc	%ebx
	cmp	$MAX_SPINS, %ebx
	jae	4f
	in	$PIT_SPEAKER, %al
	test	$SPK_OUT2, %al
	jz	3b
4:	ucall	UCALL_REPORT
	ucall_step 1
GUEST_END pit_calib_guest

/*
 * Port 0x61 with KVM_PIT_SPEAKER_DUMMY: what the gate and data bits read
 * back after writes of 0x03, 0x00 and 0xfc (PIT_SPK_GPA[0..2]), a 16-bit
 * read (PIT_SPK_WORD_GPA, AX filled with ones first), and RBX of the
 * ucall: how often the refresh bit changed over REFRESH_READS reads.
 */
GUEST_BEGIN pit_speaker_guest, 64
	mov	$(SPK_GATE2 | SPK_DATA), %al
	out	%al, $PIT_SPEAKER
	in	$PIT_SPEAKER, %al
	mov	%al, PIT_SPK_GPA
	xor	%eax, %eax
	out	%al, $PIT_SPEAKER
	in	$PIT_SPEAKER, %al
	mov	%al, (PIT_SPK_GPA + 1)
	mov	$~(SPK_GATE2 | SPK_DATA) & 0xff, %al
	out	%al, $PIT_SPEAKER
	in	$PIT_SPEAKER, %al
	mov	%al, (PIT_SPK_GPA + 2)
	mov	$PIT_FILL32, %eax
	in	$PIT_SPEAKER, %ax
	mov	%ax, PIT_SPK_WORD_GPA
	xor	%ebx, %ebx
	in	$PIT_SPEAKER, %al
	and	$SPK_REFRESH, %al
	mov	%al, %dl
	mov	$REFRESH_READS, %ecx
1:	in	$PIT_SPEAKER, %al
	and	$SPK_REFRESH, %al
	cmp	%al, %dl
	je	2f
	inc	%ebx
	mov	%al, %dl
2:	dec	%ecx
	jnz	1b
	ucall	UCALL_REPORT
	ucall_step 1
GUEST_END pit_speaker_guest

/*
 * Which accesses the PIT takes, as KVM's PIO bus: these go to userspace
 * (0x61 only without KVM_PIT_SPEAKER_DUMMY): IN 0x61, a 16-bit IN at
 * 0x43, IN 0x62, a 32-bit IN at 0x41.  Then, in the kernel, three reports:
 * RAX after a 16-bit IN from 0x41, after a 32-bit IN from 0x40 (both
 * filled with ones first), after a byte IN from 0x43 (AL = 0xab first).
 */
GUEST_BEGIN pit_ports_guest, 64
	in	$PIT_SPEAKER, %al
	mov	$PIT_CMD, %dx
	in	(%dx), %ax
	in	$PIT_NOT_SPEAKER, %al
	mov	$PIT_CH1, %dx
	in	(%dx), %eax
	mov	$PIT_FILL32, %eax
	in	$PIT_CH1, %ax
	mov	%rax, %rbx
	ucall	UCALL_REPORT
	mov	$PIT_FILL32, %eax
	in	$PIT_CH0, %eax
	mov	%rax, %rbx
	ucall	UCALL_REPORT
	mov	$PIT_FILL_AL, %eax
	in	$PIT_CMD, %al
	mov	%rax, %rbx
	ucall	UCALL_REPORT
	ucall_step 1
GUEST_END pit_ports_guest

/*
 * Channel 0 as Linux's clockevent programs it (mode 2, CH0_COUNT), then
 * NREADS counts through the latch command at PIT_READS_GPA, and RBX of
 * the ucall: channel 0's status byte through the read-back command.
 */
GUEST_BEGIN pit_ch0_guest, 64
	mov	$PIT_CMD_CH0_MODE2, %al
	out	%al, $PIT_CMD
	mov	$(CH0_COUNT & 0xff), %al
	out	%al, $PIT_CH0
	mov	$(CH0_COUNT >> 8), %al
	out	%al, $PIT_CH0
	mov	$PIT_READS_GPA, %edi
	mov	$NREADS, %ecx
1:	mov	$PIT_CMD_LATCH_CH0, %al
	out	%al, $PIT_CMD
	read16	PIT_CH0
	mov	%dx, (%rdi)
	add	$2, %rdi
	dec	%ecx
	jnz	1b
	mov	$PIT_CMD_RB_STATUS_CH0, %al
	out	%al, $PIT_CMD
	in	$PIT_CH0, %al
	movzbl	%al, %ebx
	ucall	UCALL_REPORT
	ucall_step 1
GUEST_END pit_ch0_guest

/*
 * KVM_CREATE_IRQCHIP's 8259 and the PIT: the master PIC at PIC_VEC_BASE
 * with only IRQ0 unmasked, channel 0 a 10 ms rate generator, then HLT
 * until IRQ0_N timer interrupts arrived (a non-specific EOI after each
 * wake-up); then IRQ0 is masked again.
 */
GUEST_BEGIN pit_irq0_guest, 64
	movq	$EXC_RESUME_IRET, EXC_RESUME_GPA
	mov	$PIC_ICW1, %al
	out	%al, $PIC_MASTER_CMD
	mov	$PIC_VEC_BASE, %al
	out	%al, $PIC_MASTER_DATA
	mov	$PIC_ICW3_SLAVE_IRQ2, %al
	out	%al, $PIC_MASTER_DATA
	mov	$PIC_ICW4_8086, %al
	out	%al, $PIC_MASTER_DATA
	mov	$PIC_ONLY_IRQ0, %al
	out	%al, $PIC_MASTER_DATA
	mov	$PIT_CMD_CH0_MODE2, %al
	out	%al, $PIT_CMD
	mov	$(CH0_COUNT & 0xff), %al
	out	%al, $PIT_CH0
	mov	$(CH0_COUNT >> 8), %al
	out	%al, $PIT_CH0
	/*
	 * The EOI with interrupts off: the next IRQ0 can then only come in
	 * at the HLT (STI's shadow), never between the EOI and the HLT,
	 * where the HLT would wait for an interrupt the 8259 holds back
	 * until the next EOI.
	 */
1:	mov	$PIC_EOI, %al
	out	%al, $PIC_MASTER_CMD
	cmpl	$IRQ0_N, (EXC_COUNT_GPA + 4 * PIC_VEC_BASE)
	jae	2f
	sti
	hlt
	cli
	jmp	1b
2:
	mov	$PIC_ALL_MASKED, %al
	out	%al, $PIC_MASTER_DATA
	ucall_step 1
	EXC_STUBS64 pit_irq0_stubs
GUEST_END pit_irq0_guest
