/* SPDX-License-Identifier: GPL-2.0 */
/* What pit_guest.S and pit_test.c agree on */
#ifndef VTX_VCPU_PIT_H
#define VTX_VCPU_PIT_H

/* The 8254's ports, and the speaker port of KVM_PIT_SPEAKER_DUMMY */
#define PIT_CH0			0x40
#define PIT_CH1			0x41
#define PIT_CH2			0x42
#define PIT_CMD			0x43
#define PIT_SPEAKER		0x61
#define PIT_NOT_SPEAKER		0x62	/* inside KVM's speaker range */
/* Command words */
#define PIT_CMD_CH0_MODE2	0x34	/* channel 0, LSB then MSB, mode 2 */
#define PIT_CMD_CH2_MODE0	0xb0	/* channel 2, LSB then MSB, mode 0 */
#define PIT_CMD_LATCH_CH0	0x00
#define PIT_CMD_LATCH_CH2	0x80
#define PIT_CMD_RB_STATUS_CH0	0xe2	/* read-back: channel 0's status */
/* Port 0x61 */
#define SPK_GATE2		0x01
#define SPK_DATA		0x02
#define SPK_REFRESH		0x10
#define SPK_OUT2		0x20

/* Linux's quick_pit_calibrate(): channel 2 from 0xffff (about 55 ms) */
#define CAL_COUNT		0xffff
#define NREADS			8	/* counts read each way */
#define MAX_SPINS		200000	/* reads of 0x61 waiting for OUT2 */
#define REFRESH_READS		1000	/* reads of 0x61 for the refresh bit */
/* Channel 0: a 10 ms rate generator (Linux's LATCH for HZ=100) */
#define CH0_COUNT		11932

/* 8259 master: ICW1 (edge, ICW4), IRQ0 at vector PIC_VEC_BASE */
#define PIC_MASTER_CMD		0x20
#define PIC_MASTER_DATA		0x21
#define PIC_ICW1		0x11
#define PIC_VEC_BASE		0x20
#define PIC_ICW3_SLAVE_IRQ2	0x04
#define PIC_ICW4_8086		0x01
#define PIC_ONLY_IRQ0		0xfe	/* OCW1: all masked but IRQ0 */
#define PIC_ALL_MASKED		0xff
#define PIC_EOI			0x20	/* OCW2: non-specific EOI */
#define IRQ0_N			5	/* timer interrupts to wait for */

/* Guest data in the scratch area */
#define PIT_READS_GPA		SCRATCH_GPA		/* u16 [2 * NREADS] */
#define PIT_SPK_GPA		(SCRATCH_GPA + 0x100)	/* u8 [4] */
#define PIT_SPK_WORD_GPA	(SCRATCH_GPA + 0x108)	/* u16 */

/* Values loaded before an IN whose result keeps some of them */
#define PIT_FILL32		0xffffffff
#define PIT_FILL_AL		0xab

#endif
