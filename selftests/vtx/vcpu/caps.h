/* SPDX-License-Identifier: GPL-2.0 */
/* What caps_guest.S and caps_test.c agree on */
#ifndef VTX_VCPU_CAPS_H
#define VTX_VCPU_CAPS_H

/*
 * wr_guest: at each UCALL_STEP the host sets RDI = address or port,
 * RSI = value, ECX = size (1, 2, 4, 8; 8 only for MMIO), R8 = 1 for a port
 * write; the guest writes and steps again.
 */
#define CAPS_MMIO_GPA		0x10000000	/* no memslot: MMIO */
#define CAPS_STEP_PORT		0x520		/* ss_guest's OUT */

/*
 * dr_guest: its own breakpoint, enabled at an address it never reaches
 * (DR0, an instruction breakpoint), and DR7 with general detect (GD).
 */
#define CAPS_GUEST_DR0		0x7654320
#define CAPS_GUEST_DR7		0x401		/* L0, fixed bit 10 */
#define CAPS_DR7_GD		0x2000
#define CAPS_DR6_BD		0x2000

#endif
