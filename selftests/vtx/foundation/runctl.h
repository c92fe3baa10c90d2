/* SPDX-License-Identifier: GPL-2.0 */
/* What runctl_guest.S and runctl_test.c agree on */
#ifndef VTX_RUNCTL_H
#define VTX_RUNCTL_H

#define RC_PORT_IN	0x90
/* Iterations of the long loop: ~80 million guest instructions */
#define RC_LOOP_N	20000000

#endif /* VTX_RUNCTL_H */
