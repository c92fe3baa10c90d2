/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every case of `bench run` uses: the options of the run, the TSC,
 * CPU pinning, the raw output line of a case, and a guest with one or more
 * vCPUs running the loops of bench_guest.S.
 */
#ifndef VTX_BENCH_HARNESS_H
#define VTX_BENCH_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <x86intrin.h>

#include "vtx.h"
#include "bench.h"
#include "catalog.h"

extern const uint8_t bench_guest[], bench_guest_end[];
extern const uint8_t bench_pio[], bench_cpuid[], bench_vmcall[],
	bench_mmio_write[], bench_mmio_read[], bench_hlt[], bench_touch[],
	bench_empty[], bench_cr3[];

#define RFLAGS_FIXED_IF		0x202
#define CONC_VCPUS		8	/* vCPUs of a guest, at most */
#define HUGE_SIZE		(2ul << 20)

/* The run's options (bench run --driver, --pass, --rounds, --quick) */
extern const char *driver;
extern int pass;
extern int rounds;
extern int quick;
/* The device's system fd */
extern int sys_fd;

static inline uint64_t tsc(void)
{
	_mm_lfence();
	return __rdtsc();
}

void pin_to_cpu(int cpu);
void unpin(void);
/* Print one case's rounds. */
void emit(const char *name, long iters, const double *v, int n);

struct guest {
	struct vtx_vm *vm;
	struct vtx_vcpu *vcpu[CONC_VCPUS];
	int nr_vcpus;
};

void guest_create(struct guest *g, int nr_vcpus);
void guest_destroy(struct guest *g);
/* Point the vCPU at a loop: RIP, RCX = iterations, RDI = address, IF = 1. */
void enter_at(struct vtx_vcpu *vcpu, const uint8_t *label, uint64_t rcx,
	      uint64_t rdi);

/* What one run of a loop saw. */
struct loop_result {
	uint64_t exits;		/* exits of the benchmarked kind */
	uint64_t t_first;	/* TSC at the first of them */
	uint64_t t_last;	/* TSC at the last */
	uint64_t report;	/* RBX of UCALL_REPORT, if any */
};

void run_loop(struct vtx_vcpu *vcpu, uint32_t kind, struct loop_result *res);

#endif
