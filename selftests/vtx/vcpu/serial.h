/* SPDX-License-Identifier: GPL-2.0 */
/* What serial_guest.S and serial_test.c agree on */
#ifndef VTX_VCPU_SERIAL_H
#define VTX_VCPU_SERIAL_H

#define SERIAL_ITERS		300	/* ucalls of serial_guest */
#define SERIAL_WORK		300	/* loop rounds between register updates */
#define LONG_LOOP		50000000 /* ~100M guest instructions */
#define LONG_DONE		0x5a5a

#endif
