// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - structure offsets for the trampoline, generated at build time.
 */
#define COMPILE_OFFSETS

#include <linux/kbuild.h>
#include <asm/vmx.h>
#include "vtx.h"

static void __used vtx_offsets(void)
{
	OFFSET(VTX_VCPU_regs, vtx_vcpu, regs);
	OFFSET(VTX_VCPU_host_rsp, vtx_vcpu, host_rsp);
	DEFINE(VTX_HOST_RSP_FIELD, HOST_RSP);
}
