// SPDX-License-Identifier: GPL-2.0
/* The statistics `bench report` prints of each case's rounds. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void compute(struct stats *s)
{
	double sorted[MAX_ROUNDS], sum = 0, sq = 0;
	int i;

	if (!s->n)
		return;
	memcpy(sorted, s->v, s->n * sizeof(double));
	qsort(sorted, s->n, sizeof(double), cmp_double);
	s->min = sorted[0];
	s->max = sorted[s->n - 1];
	s->median = s->n % 2 ? sorted[s->n / 2] :
		    (sorted[s->n / 2 - 1] + sorted[s->n / 2]) / 2;
	for (i = 0; i < s->n; i++)
		sum += s->v[i];
	s->mean = sum / s->n;
	for (i = 0; i < s->n; i++)
		sq += (s->v[i] - s->mean) * (s->v[i] - s->mean);
	s->stddev = s->n > 1 ? sqrt(sq / (s->n - 1)) : 0;
}
