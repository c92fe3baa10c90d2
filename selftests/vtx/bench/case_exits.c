// SPDX-License-Identifier: GPL-2.0
/*
 * Exit costs: the syscall floor (null_ioctl), exits to userspace timed by
 * the program (pio_out, mmio_write, mmio_read, hlt) and exits handled in
 * the kernel timed by the guest (cpuid, vmcall, guest_loop).
 */
#include <sys/ioctl.h>

#include "harness.h"
#include "cases.h"

void case_null_ioctl(void)
{
	long n = quick ? 500 : 5000, i;
	double v[MAX_ROUNDS];
	int r;

	for (r = -1; r < rounds; r++) {
		uint64_t t0 = tsc(), t1;

		for (i = 0; i < n; i++)
			if (ioctl(sys_fd, KVM_CHECK_EXTENSION,
				  KVM_CAP_USER_MEMORY) <= 0)
				vtx_die("KVM_CHECK_EXTENSION failed");
		t1 = tsc();
		if (r >= 0)
			v[r] = (double)(t1 - t0) / n;
	}
	emit("null_ioctl", n, v, rounds);
}

/* A loop whose exits go to userspace: timed here. */
void case_user_exit(const char *name, const uint8_t *label, uint32_t kind,
		    uint64_t addr, long n)
{
	struct loop_result res;
	struct guest g;
	double v[MAX_ROUNDS];
	int r;

	guest_create(&g, 1);
	for (r = -1; r < rounds; r++) {
		enter_at(g.vcpu[0], label, n, addr);
		run_loop(g.vcpu[0], kind, &res);
		VTX_ASSERT(res.exits == (uint64_t)n, "%s: %llu exits, not %ld",
			   name, (unsigned long long)res.exits, n);
		if (r >= 0)
			v[r] = (double)(res.t_last - res.t_first) / (n - 1);
	}
	guest_destroy(&g);
	emit(name, n, v, rounds);
}

/* A loop timed inside the guest, reported in RBX. */
void case_guest_timed(const char *name, const uint8_t *label, long n)
{
	struct loop_result res;
	struct guest g;
	double v[MAX_ROUNDS];
	int r;

	guest_create(&g, 1);
	for (r = -1; r < rounds; r++) {
		enter_at(g.vcpu[0], label, n, 0);
		run_loop(g.vcpu[0], KVM_EXIT_IO, &res);
		VTX_ASSERT(res.report, "%s: no report from the guest", name);
		if (r >= 0)
			v[r] = (double)res.report / n;
	}
	guest_destroy(&g);
	emit(name, n, v, rounds);
}
