// SPDX-License-Identifier: GPL-2.0
/*
 * Counters kept during a run and the summary printed after it.
 */
#include <stdio.h>

#include "vtxctl.h"

struct run_stats stats;

#define EXIT_NAME(r)	[KVM_EXIT_##r] = #r

static const char *const exit_names[] = {
	EXIT_NAME(UNKNOWN),
	EXIT_NAME(EXCEPTION),
	EXIT_NAME(IO),
	EXIT_NAME(HYPERCALL),
	EXIT_NAME(DEBUG),
	EXIT_NAME(HLT),
	EXIT_NAME(MMIO),
	EXIT_NAME(IRQ_WINDOW_OPEN),
	EXIT_NAME(SHUTDOWN),
	EXIT_NAME(FAIL_ENTRY),
	EXIT_NAME(INTR),
	EXIT_NAME(SET_TPR),
	EXIT_NAME(TPR_ACCESS),
	EXIT_NAME(S390_SIEIC),
	EXIT_NAME(S390_RESET),
	EXIT_NAME(DCR),
	EXIT_NAME(NMI),
	EXIT_NAME(INTERNAL_ERROR),
	EXIT_NAME(OSI),
	EXIT_NAME(PAPR_HCALL),
	EXIT_NAME(S390_UCONTROL),
	EXIT_NAME(WATCHDOG),
	EXIT_NAME(S390_TSCH),
	EXIT_NAME(EPR),
	EXIT_NAME(SYSTEM_EVENT),
	EXIT_NAME(S390_STSI),
	EXIT_NAME(IOAPIC_EOI),
	EXIT_NAME(HYPERV),
	EXIT_NAME(ARM_NISV),
	EXIT_NAME(X86_RDMSR),
	EXIT_NAME(X86_WRMSR),
	EXIT_NAME(DIRTY_RING_FULL),
	EXIT_NAME(AP_RESET_HOLD),
	EXIT_NAME(X86_BUS_LOCK),
	EXIT_NAME(XEN),
	EXIT_NAME(RISCV_SBI),
	EXIT_NAME(RISCV_CSR),
	EXIT_NAME(NOTIFY),
};

const char *exit_reason_name(uint32_t reason)
{
	if (reason < ARRAY_SIZE(exit_names) && exit_names[reason])
		return exit_names[reason];
	return "?";
}

void stats_count_exit(uint32_t reason)
{
	if (reason < ARRAY_SIZE(stats.exits))
		stats.exits[reason]++;
	else
		stats.exits_other++;
}

void stats_print(const char *stop_text, int status)
{
	const char *sep = "";
	unsigned int i;

	fprintf(stderr, "--- vtxctl exit stats ---\n");
	fprintf(stderr, "stop:          %s (exit status %d)\n", stop_text, status);
	fprintf(stderr, "KVM_RUN calls: %llu\n", (unsigned long long)stats.runs);
	fprintf(stderr, "exits:         ");
	for (i = 0; i < ARRAY_SIZE(stats.exits); i++) {
		if (!stats.exits[i])
			continue;
		if (exit_reason_name(i)[0] == '?')
			fprintf(stderr, "%s#%u %llu", sep, i, (unsigned long long)stats.exits[i]);
		else
			fprintf(stderr, "%s%s %llu", sep, exit_reason_name(i),
				(unsigned long long)stats.exits[i]);
		sep = ", ";
	}
	if (stats.exits_other) {
		fprintf(stderr, "%sother %llu", sep, (unsigned long long)stats.exits_other);
		sep = ", ";
	}
	fprintf(stderr, "%s\n", *sep ? "" : "none");
	if (stats.unclaimed_pio || stats.unclaimed_mmio)
		fprintf(stderr, "unclaimed:     %llu port I/O, %llu MMIO accesses\n",
			(unsigned long long)stats.unclaimed_pio,
			(unsigned long long)stats.unclaimed_mmio);
	fprintf(stderr, "UART output:   %llu bytes\n", (unsigned long long)uart_tx_bytes());
	fprintf(stderr, "wall time:     %.6f s\n", stats.wall_seconds);
}
