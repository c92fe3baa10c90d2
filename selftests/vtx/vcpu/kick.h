/* SPDX-License-Identifier: GPL-2.0 */
/* What kick_guest.S and kick_test.c agree on */
#ifndef VTX_VCPU_KICK_H
#define VTX_VCPU_KICK_H

#include "vcpu.h"

/* u64 the spinning guest increments without end: "the guest is running" */
#define KICK_COUNTER_GPA	SCRATCH_GPA

#endif
