// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - structure offsets for the trampoline, generated at build time.
 */
#define COMPILE_OFFSETS

#include <linux/kbuild.h>
#include <asm/vmx.h>
#include "vmx/vmx.h"

static void __used vtx_offsets(void)
{
	OFFSET(VTX_VCPU_regs, vcpu_vmx, vcpu.regs);
	OFFSET(VTX_VCPU_host_rsp, vcpu_vmx, host_rsp);
	DEFINE(VTX_HOST_RSP_FIELD, HOST_RSP);
}
