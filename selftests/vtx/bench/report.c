// SPDX-License-Identifier: GPL-2.0
/*
 * bench report FILE...: reads the raw lines of `bench run` (both drivers,
 * one or more passes) and prints the table (median and spread per case,
 * vtx/kvm ratio, how far pass 2 is from pass 1), the kernel-memory figures,
 * the interrupt paths of `bench irq` (a table per column of load
 * parameters) and the same data as JSON, each JSON line prefixed with
 * "@@JSON ".
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "stats.h"
#include "report.h"

#define MAX_DRIVERS	24	/* vtx, kvm and the columns of irq, shadow, linux */
#define MAX_PASSES	4

static char drivers[MAX_DRIVERS][16];
static int nr_drivers, max_pass;
static struct stats res[MAX_DRIVERS][MAX_PASSES][MAX_CASES];
/* memory: [driver][pass][round][field] = {per vm, per vcpu, residue} */
static double memv[MAX_DRIVERS][MAX_PASSES][MEM_ROUNDS][NR_MEM_FIELDS][3];
static int mem_seen[MAX_DRIVERS][MAX_PASSES][MEM_ROUNDS];
static char env_kernel[128];
static long long env_thp[MAX_DRIVERS];
/* ept_touch_2vcpu_churn: memslot updates per round, pass 1 (if seen) */
static long env_churn[MAX_DRIVERS];
static bool churn_seen;
static long env_cpus, env_mem_kib, env_touch_mib;
/*
 * The columns of `bench irq` (labels DRIVER.COLUMN): the module parameters
 * the driver was loaded with, the APICv it ended up with, or why the
 * column was not run (suite.sh's @@E lines params, apicv, na).
 */
static char env_params[MAX_DRIVERS][128];
static char env_apicv[MAX_DRIVERS][16];
static char env_na[MAX_DRIVERS][128];
/* The table of a column's label (@@E LABEL PASS table NAME), -1 unknown */
static int env_table[MAX_DRIVERS];

struct slab_row {
	int drv;
	char name[64];
	long long per_vm, per_vcpu;
};
static struct slab_row slabs[256];
static int nr_slab_rows;

static int driver_index(const char *name)
{
	int i;

	for (i = 0; i < nr_drivers; i++)
		if (!strcmp(drivers[i], name))
			return i;
	if (nr_drivers == MAX_DRIVERS)
		return -1;
	snprintf(drivers[nr_drivers], sizeof(drivers[0]), "%s", name);
	return nr_drivers++;
}

static int driver_find(const char *name)
{
	int i;

	for (i = 0; i < nr_drivers; i++)
		if (!strcmp(drivers[i], name))
			return i;
	return -1;
}

static int case_index(const char *name)
{
	unsigned int i;

	for (i = 0; i < nr_cases; i++)
		if (!strcmp(cases[i].name, name))
			return i;
	return -1;
}

static int field_index(const char *name)
{
	unsigned int i;

	for (i = 0; i < NR_MEM_FIELDS; i++)
		if (!strcmp(mem_fields[i], name))
			return i;
	return -1;
}

static void parse_line(char *line)
{
	char drv[64], name[64], *p;
	int ps, d, c, n, round, off;
	double a, b;
	long long rr, x, y;
	long iters;

	line[strcspn(line, "\r\n")] = 0;
	/* The marker may follow other text on a serial console line. */
	p = strstr(line, "@@");
	if (!p)
		return;
	if (sscanf(p, "@@B %63s %d %63s %ld%n", drv, &ps, name, &iters,
		   &off) == 4) {
		struct stats *s;

		d = driver_index(drv);
		c = case_index(name);
		if (d < 0 || c < 0 || ps < 1 || ps > MAX_PASSES)
			return;
		if (ps > max_pass)
			max_pass = ps;
		s = &res[d][ps - 1][c];
		s->n = 0;
		s->iters = iters;
		p += off;
		while (s->n < MAX_ROUNDS &&
		       sscanf(p, " %lf%n", &s->v[s->n], &n) == 1) {
			s->n++;
			p += n;
		}
		compute(s);
	} else if (sscanf(p, "@@M %63s %d %d %63s %lf %lf %lld", drv, &ps,
			  &round, name, &a, &b, &rr) == 7) {
		int f = field_index(name);

		d = driver_index(drv);
		if (d < 0 || f < 0 || ps < 1 || ps > MAX_PASSES ||
		    round < 0 || round >= MEM_ROUNDS)
			return;
		if (ps > max_pass)
			max_pass = ps;
		memv[d][ps - 1][round][f][0] = a;
		memv[d][ps - 1][round][f][1] = b;
		memv[d][ps - 1][round][f][2] = rr;
		mem_seen[d][ps - 1][round] = 1;
	} else if (sscanf(p, "@@S %63s %d %63s %lld %lld", drv, &ps, name, &x,
			  &y) == 5) {
		d = driver_index(drv);
		if (d < 0 || ps != 1 || nr_slab_rows == 256)
			return;
		slabs[nr_slab_rows].drv = d;
		snprintf(slabs[nr_slab_rows].name, 64, "%s", name);
		slabs[nr_slab_rows].per_vm = x;
		slabs[nr_slab_rows].per_vcpu = y;
		nr_slab_rows++;
	} else if (sscanf(p, "@@E %63s %d %63s %n", drv, &ps, name,
			  &off) == 3) {
		p += off;
		if (!strcmp(name, "kernel"))
			snprintf(env_kernel, sizeof(env_kernel), "%s", p);
		else if (!strcmp(name, "cpus"))
			env_cpus = atol(p);
		else if (!strcmp(name, "mem_kib"))
			env_mem_kib = atol(p);
		else if (!strcmp(name, "touch_mib"))
			env_touch_mib = atol(p);
		else if (!strcmp(name, "params") &&
			 (d = driver_index(drv)) >= 0)
			snprintf(env_params[d], sizeof(env_params[d]), "%s", p);
		else if (!strcmp(name, "apicv") &&
			 (d = driver_index(drv)) >= 0)
			snprintf(env_apicv[d], sizeof(env_apicv[d]), "%s", p);
		else if (!strcmp(name, "na") && (d = driver_index(drv)) >= 0)
			snprintf(env_na[d], sizeof(env_na[d]), "%s", p);
		else if (!strcmp(name, "table") &&
			 (d = driver_index(drv)) >= 0)
			env_table[d] = !strncmp(p, "irq", 3) ? TABLE_IRQ + 1 :
				!strncmp(p, "shadow", 6) ? TABLE_SHADOW + 1 :
				!strncmp(p, "linux", 5) ? TABLE_LINUX + 1 : 0;
		else if (!strcmp(name, "thp_anon_kib") && ps == 1 &&
			 (d = driver_index(drv)) >= 0)
			env_thp[d] = atoll(p);
		else if (!strcmp(name, "churn_updates_per_round") && ps == 1 &&
			 (d = driver_index(drv)) >= 0) {
			env_churn[d] = atol(p);
			churn_seen = true;
		}
	}
}

/* Median over the memory rounds of one pass. */
static double mem_median(int d, int ps, int f, int which)
{
	double v[MEM_ROUNDS];
	int n = 0, r;

	for (r = 0; r < MEM_ROUNDS; r++)
		if (mem_seen[d][ps][r])
			v[n++] = memv[d][ps][r][f][which];
	if (!n)
		return NAN;
	qsort(v, n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static bool mem_any(int d, int ps)
{
	int r;

	for (r = 0; r < MEM_ROUNDS; r++)
		if (mem_seen[d][ps][r])
			return true;
	return false;
}

static const char *json_num(char *buf, size_t len, double v)
{
	if (isnan(v) || isinf(v))
		snprintf(buf, len, "null");
	else
		snprintf(buf, len, "%.2f", v);
	return buf;
}

/*
 * "median [min..max]": cycles as integers (below 100 with a decimal,
 * outside the first table); other units (ms, MB/s, us) with the digits
 * their size needs.
 */
static void fmt_stats(char *buf, size_t len, const struct stats *s,
		      const struct bench_case *bc)
{
	int prec = 0;

	if (!strstr(bc->unit, "cycles"))
		prec = s->median < 10 ? 2 : s->median < 1000 ? 1 : 0;
	else if (bc->table != TABLE_MAIN && s->median < 100)
		prec = 1;	/* e.g. cr3_switch with EPT: no exit */
	snprintf(buf, len, "%.*f [%.*f..%.*f]", prec, s->median, prec, s->min,
		 prec, s->max);
}

/* One case of a table: @dv's and @dk's medians, ratio, pass 2 deltas. */
static void print_row(unsigned int c, int dv, int dk)
{
	struct stats *a = dv >= 0 ? &res[dv][0][c] : NULL;
	struct stats *b = dk >= 0 ? &res[dk][0][c] : NULL;
	char sa[64] = "-", sb[64] = "-", ratio[16] = "-";
	char r2a[16] = "-", r2b[16] = "-";

	/* a column suite.sh could not run (e.g. no such parameter) */
	if (dv >= 0 && env_na[dv][0])
		snprintf(sa, sizeof(sa), "n/a");
	if (dk >= 0 && env_na[dk][0])
		snprintf(sb, sizeof(sb), "n/a");
	if (a && a->n)
		fmt_stats(sa, sizeof(sa), a, &cases[c]);
	if (b && b->n)
		fmt_stats(sb, sizeof(sb), b, &cases[c]);
	if (a && a->n && b && b->n && b->median > 0)
		snprintf(ratio, sizeof(ratio), "%.2f",
			 a->median / b->median);
	if (max_pass >= 2) {
		struct stats *a2 = dv >= 0 ? &res[dv][1][c] : NULL;
		struct stats *b2 = dk >= 0 ? &res[dk][1][c] : NULL;

		if (a && a->n && a2->n)
			snprintf(r2a, sizeof(r2a), "%+.1f%%",
				 100 * (a2->median / a->median - 1));
		if (b && b->n && b2->n)
			snprintf(r2b, sizeof(r2b), "%+.1f%%",
				 100 * (b2->median / b->median - 1));
	}
	printf("%-18s %-17s %22s %22s %7s %8s %8s\n", cases[c].name,
	       cases[c].unit, sa, sb, ratio, r2a, r2b);
}

static void print_table_notes(int dv, int dk)
{
	const char *vn = drivers[dv], *kn = dk >= 0 ? drivers[dk] : "-";
	unsigned int c;

	printf("(p2 d*: pass-2 median relative to pass 1, same boot)\n");
	printf("(ept_touch_thp: AnonHugePages after the last round: %s %lld "
	       "KiB, %s %lld KiB; 0 means the kernel gave no huge pages)\n",
	       vn, env_thp[dv], kn, dk >= 0 ? env_thp[dk] : -1);
	if (churn_seen)
		printf("(ept_touch_2vcpu_churn: memslot updates per round by "
		       "the third thread: %s %ld, %s %ld)\n", vn,
		       env_churn[dv], kn, dk >= 0 ? env_churn[dk] : -1L);

	printf("\nKernel memory, KiB (median of %d rounds of %d VMs x %d "
	       "vCPUs; deltas of /proc/meminfo\nafter vm/stat_refresh. "
	       "MemUsed = -(MemFree + per-CPU free lists); SlabObjects =\n"
	       "/proc/slabinfo active objects x size; Estimate = MemUsed - "
	       "Slab + SlabObjects)\n", MEM_ROUNDS, MEM_VMS,
	       MEM_VCPUS_PER_VM);
	printf("%-12s %10s %10s %10s %10s %12s\n", "field", "per VM",
	       "", "per vCPU", "", "left after");
	printf("%-12s %10s %10s %10s %10s %12s\n", "", vn, kn, vn, kn,
	       "close v/k");
	for (c = 0; c < NR_MEM_FIELDS; c++) {
		if (!mem_any(dv, 0))
			break;
		printf("%-12s %10.1f %10.1f %10.1f %10.1f %6.0f/%-5.0f\n",
		       mem_fields[c], mem_median(dv, 0, c, 0),
		       dk >= 0 ? mem_median(dk, 0, c, 0) : NAN,
		       mem_median(dv, 0, c, 1),
		       dk >= 0 ? mem_median(dk, 0, c, 1) : NAN,
		       mem_median(dv, 0, c, 2),
		       dk >= 0 ? mem_median(dk, 0, c, 2) : NAN);
	}
	printf("Slab caches that grew (bytes per VM / per vCPU, "
	       "/proc/slabinfo active objects):\n");
	for (c = 0; c < (unsigned int)nr_slab_rows; c++)
		printf("  %-4s %-28s %8lld %8lld\n", drivers[slabs[c].drv],
		       slabs[c].name, slabs[c].per_vm, slabs[c].per_vcpu);
}

static void print_table(int dv, int dk)
{
	const char *vn = drivers[dv], *kn = dk >= 0 ? drivers[dk] : "-";
	unsigned int c;

	printf("\n");
	printf("vtx benchmark: %s vs %s, pass 1, median of the rounds "
	       "[min..max]\n", vn, kn);
	printf("Cycles = RDTSC seen by the program (or the guest). In the "
	       "Bochs test VM the TSC\nadvances with emulated instructions: "
	       "these are emulated path lengths, not\nreal-hardware times. "
	       "The same binary on a VMX host reports real cycles.\n\n");
	printf("%-18s %-17s %22s %22s %7s %8s %8s\n", "case", "unit",
	       vn, kn, "ratio", "p2 dvtx", "p2 dkvm");
	for (c = 0; c < nr_cases; c++) {
		if (cases[c].table != TABLE_MAIN)
			continue;
		print_row(c, dv, dk);
	}
	print_table_notes(dv, dk);
}

/* Did driver @d report any case of the first table, or memory? */
static bool has_main(int d)
{
	unsigned int c;
	int ps;

	for (ps = 0; ps < max_pass; ps++) {
		if (mem_any(d, ps))
			return true;
		for (c = 0; c < nr_cases; c++)
			if (cases[c].table == TABLE_MAIN && res[d][ps][c].n)
				return true;
	}
	return false;
}

/* The column of a `bench irq` label DRIVER.COLUMN, NULL for others. */
static const char *column_of(const char *label)
{
	const char *dot = strchr(label, '.');

	return dot ? dot + 1 : NULL;
}

/* The index of label @drv.@col, -1 if nothing of it was seen. */
static int column_driver(const char *drv, const char *col)
{
	char label[sizeof(drivers[0])];

	snprintf(label, sizeof(label), "%s.%s", drv, col);
	return driver_find(label);
}

/* What a column's header says about one driver's load parameters. */
static void print_column_driver(const char *drv, int d)
{
	if (d < 0) {
		printf("  %s: not run\n", drv);
		return;
	}
	if (env_na[d][0]) {
		printf("  %s: n/a (%s)\n", drv, env_na[d]);
		return;
	}
	if (env_params[d][0])
		printf("  %s: loaded with \"%s\"", drv, env_params[d]);
	else
		printf("  %s: loaded without parameters", drv);
	if (env_apicv[d][0])
		printf(", enable_apicv reads %s after the load", env_apicv[d]);
	printf("\n");
}

/* Has driver @d results in a case of table @table (any pass)? */
static bool has_table(int d, int table)
{
	unsigned int c;
	int ps;

	for (ps = 0; ps < max_pass; ps++)
		for (c = 0; c < nr_cases; c++)
			if (cases[c].table == table && res[d][ps][c].n)
				return true;
	return false;
}

/*
 * Does column @col (labels vtx.COL, kvm.COL) belong to table @table:
 * suite.sh said so (@@E LABEL PASS table NAME), or a label of it has
 * results there, or (a column suite.sh could not run: n/a, no results
 * anywhere) @table is the interrupt paths'.
 */
static bool column_in_table(const char *col, int table)
{
	bool any = false;
	int d, t;

	for (d = 0; d < nr_drivers; d++) {
		const char *c = column_of(drivers[d]);

		if (!c || strcmp(c, col))
			continue;
		if (env_table[d])
			return env_table[d] == table + 1;
		for (t = TABLE_IRQ; t <= TABLE_LINUX; t++) {
			if (!has_table(d, t))
				continue;
			if (t == table)
				return true;
			any = true;
		}
	}
	return !any && table == TABLE_IRQ;
}

static const char *const table_titles[] = {
	[TABLE_IRQ] = "Interrupt paths",
	[TABLE_SHADOW] = "Shadow paging beside EPT",
	[TABLE_LINUX] = "Nested Linux guest",
};

/*
 * The tables after the first, one block per column (the labels vtx.COLUMN
 * and kvm.COLUMN): the interrupt paths per set of load parameters, shadow
 * paging (ept=0) beside EPT, the nested Linux guest per VMM.
 */
static void print_column_tables(int table)
{
	const char *cols[MAX_DRIVERS];
	int nr_cols = 0, d, i, dv, dk;
	unsigned int c;

	for (d = 0; d < nr_drivers; d++) {
		const char *col = column_of(drivers[d]);

		if (!col || !column_in_table(col, table))
			continue;
		for (i = 0; i < nr_cols; i++)
			if (!strcmp(cols[i], col))
				break;
		if (i == nr_cols)
			cols[nr_cols++] = col;
	}
	for (i = 0; i < nr_cols; i++) {
		dv = column_driver("vtx", cols[i]);
		dk = column_driver("kvm", cols[i]);
		printf("\n%s, column %s: pass 1, median of the "
		       "rounds [min..max], ratio = vtx/kvm\n",
		       table_titles[table], cols[i]);
		print_column_driver("vtx", dv);
		print_column_driver("kvm", dk);
		if (dv < 0 && dk < 0)
			continue;
		printf("%-18s %-17s %22s %22s %7s %8s %8s\n", "case", "unit",
		       "vtx", "kvm", "ratio", "p2 dvtx", "p2 dkvm");
		for (c = 0; c < nr_cases; c++) {
			if (cases[c].table != table)
				continue;
			print_row(c, dv, dk);
		}
	}
}

static void print_stats_json(const struct stats *s, const char *indent,
			     bool last)
{
	char b1[32], b2[32], b3[32], b4[32];
	int i;

	if (!s->n) {
		printf("@@JSON %snull%s\n", indent, last ? "" : ",");
		return;
	}
	printf("@@JSON %s{\"median\": %s, \"min\": %s, \"max\": %s, "
	       "\"stddev\": %s, \"iters\": %ld, \"rounds\": [", indent,
	       json_num(b1, 32, s->median), json_num(b2, 32, s->min),
	       json_num(b3, 32, s->max), json_num(b4, 32, s->stddev),
	       s->iters);
	for (i = 0; i < s->n; i++)
		printf("%s%.1f", i ? ", " : "", s->v[i]);
	printf("]}%s\n", last ? "" : ",");
}

/*
 * A case of a table by columns: its header with one vtx/kvm ratio per
 * column ("ratio_vtx_kvm": {"COLUMN": ratio}), then every driver.
 */
static void print_json_column_ratios(unsigned int c)
{
	char b1[32];
	int d, ps, dv, dk, n = 0;
	const char *col;

	printf("@@JSON     {\"name\": \"%s\", \"unit\": \"%s\", "
	       "\"what\": \"%s\", \"ratio_vtx_kvm\": {", cases[c].name,
	       cases[c].unit, cases[c].what);
	for (d = 0; d < nr_drivers; d++) {
		double ratio = NAN;

		col = column_of(drivers[d]);
		if (!col || strncmp(drivers[d], "vtx.", 4) ||
		    !column_in_table(col, cases[c].table))
			continue;
		dv = d;
		dk = column_driver("kvm", col);
		if (dk >= 0 && res[dv][0][c].n && res[dk][0][c].n)
			ratio = res[dv][0][c].median / res[dk][0][c].median;
		printf("%s\"%s\": %s", n++ ? ", " : "", col,
		       json_num(b1, 32, ratio));
	}
	printf("},\n");
	for (d = 0; d < nr_drivers; d++) {
		printf("@@JSON       \"%s\": [\n", drivers[d]);
		for (ps = 0; ps < max_pass; ps++)
			print_stats_json(&res[d][ps][c], "         ",
					 ps == max_pass - 1);
		printf("@@JSON       ]%s\n", d == nr_drivers - 1 ? "" : ",");
	}
	printf("@@JSON     }%s\n", c == nr_cases - 1 ? "" : ",");
}

static void print_json(int dv, int dk)
{
	bool have_main = has_main(dv);
	char b1[32], b2[32];
	unsigned int c, f;
	int d, ps;

	printf("@@JSON-BEGIN\n");
	printf("@@JSON {\n");
	printf("@@JSON   \"schema\": \"vtx-bench-1\",\n");
	printf("@@JSON   \"note\": \"cycles are RDTSC as seen by the program "
	       "(or the guest, for cases timed in the guest); in the Bochs "
	       "test VM the TSC advances with emulated instructions, so they "
	       "are emulated path lengths, not real-hardware times\",\n");
	printf("@@JSON   \"env\": {\"kernel\": \"%s\", \"cpus\": %ld, "
	       "\"mem_kib\": %ld, \"touch_mib\": %ld, \"passes\": %d, "
	       "\"thp_anon_kib\": {", env_kernel, env_cpus, env_mem_kib,
	       env_touch_mib, max_pass);
	for (d = 0; d < nr_drivers; d++)
		printf("%s\"%s\": %lld", d ? ", " : "", drivers[d], env_thp[d]);
	printf("}");
	if (churn_seen) {
		printf(", \"churn_updates_per_round\": {");
		for (d = 0; d < nr_drivers; d++)
			printf("%s\"%s\": %ld", d ? ", " : "", drivers[d],
			       env_churn[d]);
		printf("}");
	}
	printf("},\n");
	printf("@@JSON   \"drivers\": [");
	for (d = 0; d < nr_drivers; d++)
		printf("%s\"%s\"", d ? ", " : "", drivers[d]);
	printf("],\n");
	printf("@@JSON   \"columns\": {");
	for (d = 0, f = 0; d < nr_drivers; d++) {
		if (!column_of(drivers[d]))
			continue;
		printf("%s\n@@JSON     \"%s\": {\"params\": \"%s\", "
		       "\"apicv\": \"%s\", \"na\": \"%s\"}", f++ ? "," : "",
		       drivers[d], env_params[d], env_apicv[d], env_na[d]);
	}
	printf("\n@@JSON   },\n");
	printf("@@JSON   \"cases\": [\n");
	for (c = 0; c < nr_cases; c++) {
		double ratio = NAN;

		if (cases[c].table != TABLE_MAIN) {
			print_json_column_ratios(c);
			continue;
		}
		if (dk >= 0 && res[dv][0][c].n && res[dk][0][c].n)
			ratio = res[dv][0][c].median / res[dk][0][c].median;
		/* without a run of the first table: no such ratio */
		printf("@@JSON     {\"name\": \"%s\", \"unit\": \"%s\", "
		       "\"what\": \"%s\", \"ratio_%s_%s\": %s,\n",
		       cases[c].name, cases[c].unit, cases[c].what,
		       have_main ? drivers[dv] : "vtx",
		       have_main && dk >= 0 ? drivers[dk] :
		       have_main ? "none" : "kvm",
		       json_num(b1, 32, have_main ? ratio : NAN));
		for (d = 0; d < nr_drivers; d++) {
			printf("@@JSON       \"%s\": [\n", drivers[d]);
			for (ps = 0; ps < max_pass; ps++)
				print_stats_json(&res[d][ps][c],
						 "         ",
						 ps == max_pass - 1);
			printf("@@JSON       ]%s\n",
			       d == nr_drivers - 1 ? "" : ",");
		}
		printf("@@JSON     }%s\n", c == nr_cases - 1 ? "" : ",");
	}
	printf("@@JSON   ],\n");
	printf("@@JSON   \"memory\": {\"vms\": %d, \"vcpus_per_vm\": %d, "
	       "\"unit\": \"KiB\",\n", MEM_VMS, MEM_VCPUS_PER_VM);
	for (d = 0; d < nr_drivers; d++) {
		printf("@@JSON     \"%s\": [\n", drivers[d]);
		for (ps = 0; ps < max_pass; ps++) {
			printf("@@JSON       {");
			for (f = 0; f < NR_MEM_FIELDS; f++)
				printf("%s\"%s\": {\"per_vm\": %s, "
				       "\"per_vcpu\": %s}",
				       f ? ", " : "", mem_fields[f],
				       json_num(b1, 32,
						mem_median(d, ps, f, 0)),
				       json_num(b2, 32,
						mem_median(d, ps, f, 1)));
			printf("}%s\n", ps == max_pass - 1 ? "" : ",");
		}
		printf("@@JSON     ]%s\n", d == nr_drivers - 1 ? "" : ",");
	}
	printf("@@JSON   },\n");
	printf("@@JSON   \"slab_pass1\": [");
	for (c = 0; c < (unsigned int)nr_slab_rows; c++)
		printf("%s\n@@JSON     {\"driver\": \"%s\", \"cache\": \"%s\", "
		       "\"per_vm_bytes\": %lld, \"per_vcpu_bytes\": %lld}",
		       c ? "," : "", drivers[slabs[c].drv], slabs[c].name,
		       slabs[c].per_vm, slabs[c].per_vcpu);
	printf("\n@@JSON   ]\n");
	printf("@@JSON }\n");
	printf("@@JSON-END\n");
}

int cmd_report(int argc, char **argv)
{
	char line[4096];
	int i, dv, dk;

	for (i = 2; i < argc; i++) {
		FILE *f = strcmp(argv[i], "-") ? fopen(argv[i], "r") : stdin;

		if (!f) {
			fprintf(stderr, "bench report: %s: %s\n", argv[i],
				strerror(errno));
			return 1;
		}
		while (fgets(line, sizeof(line), f))
			parse_line(line);
		if (f != stdin)
			fclose(f);
	}
	if (!nr_drivers) {
		fprintf(stderr, "bench report: no results\n");
		return 1;
	}
	dv = driver_find("vtx");
	dk = driver_find("kvm");
	if (dv < 0)
		dv = 0;
	if (has_main(dv))
		print_table(dv, dk == dv ? -1 : dk);
	print_column_tables(TABLE_IRQ);
	print_column_tables(TABLE_SHADOW);
	print_column_tables(TABLE_LINUX);
	print_json(dv, dk == dv ? -1 : dk);
	return 0;
}
