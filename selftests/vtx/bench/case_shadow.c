// SPDX-License-Identifier: GPL-2.0
/*
 * CR3 switches between two guest address spaces (`bench shadow`, run with
 * the driver loaded with ept=0 and without): with EPT a MOV to CR3 does
 * not exit; with shadow page tables each one does, and the driver finds
 * (or builds) the shadow root of the new address space.
 */
#include <string.h>

#include "harness.h"
#include "cases.h"

/* The second PML4: a page of the guest's data area, a copy of the first. */
#define CR3_B_GPA	(VTX_DATA_GPA + VTX_PAGE_SIZE)

static double cr3_round(long n)
{
	struct loop_result res;
	struct guest g;

	guest_create(&g, 1);
	memcpy(vtx_gpa2hva(g.vm, CR3_B_GPA), vtx_gpa2hva(g.vm, VTX_PML4_GPA),
	       VTX_PAGE_SIZE);
	enter_at(g.vcpu[0], bench_cr3, n, CR3_B_GPA);
	run_loop(g.vcpu[0], KVM_EXIT_IO, &res);
	VTX_ASSERT(res.report, "cr3_switch: no report from the guest");
	guest_destroy(&g);
	/* two loads per iteration */
	return (double)res.report / (2 * n);
}

void case_cr3_switch(const char *name, long n)
{
	double v[MAX_ROUNDS];
	int r;

	cr3_round(n / 8);
	for (r = 0; r < rounds; r++)
		v[r] = cr3_round(n);
	emit(name, 2 * n, v, rounds);
}
