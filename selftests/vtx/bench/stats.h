/* SPDX-License-Identifier: GPL-2.0 */
/* Statistics of a case's rounds: see stats.c */
#ifndef VTX_BENCH_STATS_H
#define VTX_BENCH_STATS_H

#include "catalog.h"

struct stats {
	int n;
	long iters;
	double v[MAX_ROUNDS];
	double median, min, max, mean, stddev;
};

/* qsort() order of doubles */
int cmp_double(const void *a, const void *b);
/* Median, min, max, mean and standard deviation of s->v[0 .. s->n) */
void compute(struct stats *s);

#endif
