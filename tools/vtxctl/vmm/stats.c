// SPDX-License-Identifier: GPL-2.0
/*
 * Counters kept during a run and the summary printed after it.
 */
#include <stdio.h>
#include <string.h>

#include "vmm.h"

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

const char *kvm_exit_name(uint32_t reason)
{
	if (reason < ARRAY_SIZE(exit_names) && exit_names[reason])
		return exit_names[reason];
	return "?";
}

void stats_count_exit(struct vcpu *vcpu, uint32_t reason)
{
	if (reason < ARRAY_SIZE(vcpu->stats.exits))
		vcpu->stats.exits[reason]++;
	else
		vcpu->stats.exits_other++;
}

void stats_print(struct vm *vm, const char *stop_text, int status)
{
	struct vcpu_stats sum;
	const char *sep = "";
	unsigned int i, j;

	memset(&sum, 0, sizeof(sum));
	for (i = 0; i < vm->nr_vcpus; i++) {
		const struct vcpu_stats *s = &vm->vcpus[i].stats;

		sum.runs += s->runs;
		for (j = 0; j < ARRAY_SIZE(sum.exits); j++)
			sum.exits[j] += s->exits[j];
		sum.exits_other += s->exits_other;
	}

	fprintf(stderr, "--- vtxctl exit stats ---\n");
	fprintf(stderr, "stop:          %s (exit status %d)\n", stop_text, status);
	fprintf(stderr, "KVM_RUN calls: %llu", (unsigned long long)sum.runs);
	if (vm->nr_vcpus > 1) {
		for (i = 0; i < vm->nr_vcpus; i++)
			fprintf(stderr, "%svCPU%u %llu%s", i ? ", " : " (", i,
				(unsigned long long)vm->vcpus[i].stats.runs,
				vm->vcpus[i].parked ? " parked" : "");
		fprintf(stderr, ")");
	}
	fprintf(stderr, "\nexits:         ");
	for (i = 0; i < ARRAY_SIZE(sum.exits); i++) {
		if (!sum.exits[i])
			continue;
		if (kvm_exit_name(i)[0] == '?')
			fprintf(stderr, "%s#%u %llu", sep, i, (unsigned long long)sum.exits[i]);
		else
			fprintf(stderr, "%s%s %llu", sep, kvm_exit_name(i),
				(unsigned long long)sum.exits[i]);
		sep = ", ";
	}
	if (sum.exits_other) {
		fprintf(stderr, "%sother %llu", sep, (unsigned long long)sum.exits_other);
		sep = ", ";
	}
	fprintf(stderr, "%s\n", *sep ? "" : "none");
	if (stats.unclaimed_pio || stats.unclaimed_mmio_reads || stats.unclaimed_mmio_writes)
		fprintf(stderr, "unclaimed:     %llu port I/O, %llu MMIO reads (read as 0), %llu MMIO writes\n",
			(unsigned long long)stats.unclaimed_pio,
			(unsigned long long)stats.unclaimed_mmio_reads,
			(unsigned long long)stats.unclaimed_mmio_writes);
	fprintf(stderr, "UART:          %llu bytes out, %llu bytes in\n",
		(unsigned long long)uart_tx_bytes(), (unsigned long long)uart_rx_bytes());
	fprintf(stderr, "wall time:     %.6f s\n", stats.wall_seconds);
}
