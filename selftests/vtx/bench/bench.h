/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Constants shared by the host side (harness.h) and bench_guest.S.  Plain
 * numbers only, so the assembler can use them too.
 */
#ifndef VTX_BENCH_H
#define VTX_BENCH_H

/* OUT port of the PIO round-trip loop (not 0x7e: KVM's RIP quirk). */
#define BENCH_PIO_PORT		0xe0

/* An address outside every memslot, inside the guest's 1 GiB identity map */
#define BENCH_MMIO_GPA		0x30000000

/* The first-touch area: slot 1 at 16 MiB */
#define BENCH_TOUCH_SLOT	1
#define BENCH_TOUCH_GPA		0x1000000
#define BENCH_TOUCH_SIZE	0x4000000	/* 64 MiB */
/* pf_first_touch (bench shadow): the same slot, 16 MiB */
#define BENCH_SHADOW_TOUCH_SIZE	0x1000000

#endif
