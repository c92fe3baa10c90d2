// SPDX-License-Identifier: GPL-2.0
/*
 * Names of the VMX basic exit reasons (Intel SDM numbering), for the
 * statistics of the vtx netlink family.  The table is the kernel's
 * VMX_EXIT_REASONS from the installed uapi <asm/vmx.h> when it has one;
 * otherwise the handful the statistics tests use, and numbers for the rest.
 */
#include <stdint.h>
#include <asm/vmx.h>

#include "ctl.h"

static const struct {
	uint32_t reason;
	const char *name;
} exit_reasons[] = {
#ifdef VMX_EXIT_REASONS
	VMX_EXIT_REASONS
#else
	{ 0, "EXCEPTION_NMI" },
	{ 1, "EXTERNAL_INTERRUPT" },
	{ 2, "TRIPLE_FAULT" },
	{ 7, "INTERRUPT_WINDOW" },
	{ 10, "CPUID" },
	{ 12, "HLT" },
	{ 18, "VMCALL" },
	{ 28, "CR_ACCESS" },
	{ 30, "IO_INSTRUCTION" },
	{ 31, "MSR_READ" },
	{ 32, "MSR_WRITE" },
	{ 48, "EPT_VIOLATION" },
	{ 52, "PREEMPTION_TIMER" },
#endif
};

const char *vmx_exit_name(uint32_t reason)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(exit_reasons); i++)
		if (exit_reasons[i].reason == reason)
			return exit_reasons[i].name;
	return "UNKNOWN";
}
