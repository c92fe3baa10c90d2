/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What `bench run` prints and `bench report` reads agree on: the cases in
 * table order and the kernel-memory fields.
 */
#ifndef VTX_BENCH_CATALOG_H
#define VTX_BENCH_CATALOG_H

#define MAX_ROUNDS		32	/* rounds of one case, at most */
#define MAX_CASES		40	/* entries of cases[], at most */

/* case_memory(): MEM_ROUNDS rounds of MEM_VMS VMs x MEM_VCPUS_PER_VM vCPUs */
#define MEM_VMS			20
#define MEM_VCPUS_PER_VM	4
#define MEM_ROUNDS		3

/* The cases, in table order.  Iteration counts are per round. */
struct bench_case {
	const char *name;
	const char *unit;
	const char *what;
	int table;		/* TABLE_*: which table of the report */
};

#define TABLE_MAIN		0	/* `bench run`: vtx and kvm, default parameters */
#define TABLE_IRQ		1	/* `bench irq`: per column of load parameters */
#define TABLE_SHADOW		2	/* `bench shadow`: per column, ept=0 and not */
#define TABLE_LINUX		3	/* `bench linux`: per VMM and paging column */

extern const struct bench_case cases[];
extern const unsigned int nr_cases;

/* Memory fields, in report order. */
extern const char *const mem_fields[];
/* The last two are computed: see case_memory(). */
#define MEM_SLABOBJ	7
#define MEM_ESTIMATE	8
#define NR_MEM_FIELDS	9

#endif
