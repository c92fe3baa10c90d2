/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The cases of `bench run`, by family; each prints its own raw lines
 * (harness.h: emit()).  bench.c calls them in table order.
 */
#ifndef VTX_BENCH_CASES_H
#define VTX_BENCH_CASES_H

#include <stdbool.h>
#include <stdint.h>

/* case_exits.c: the syscall floor and exits, one vCPU */
void case_null_ioctl(void);
void case_user_exit(const char *name, const uint8_t *label, uint32_t kind,
		    uint64_t addr, long n);
void case_guest_timed(const char *name, const uint8_t *label, long n);

/* case_ept.c: first-touch EPT faults, one vCPU */
void case_touch(const char *name, bool huge);
void case_touch_size(const char *name, bool huge, uint64_t size);

/* case_shadow.c: CR3 switches (`bench shadow`, with ept=0 and without) */
void case_cr3_switch(const char *name, long n);

/* case_lifecycle.c: VM creation and teardown, an RCU grace period */
void case_lifecycle(const char *name, bool cold);
void case_rcu_sync(void);

/* case_smp.c: vCPUs in several threads at once */
void case_concurrent(void);
void case_touch2(const char *name, bool churn);

/* case_irq.c: interrupt paths with the in-kernel irqchip (`bench irq`) */
void case_irq(void);

/* case_kmem.c: kernel memory per VM and per vCPU */
void case_memory(void);

#endif
