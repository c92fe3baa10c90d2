// SPDX-License-Identifier: GPL-2.0
/*
 * VM lifetime: vm_lifecycle (another VM open), vm_lifecycle_cold (the
 * only VM) and rcu_sync_ref, one synchronize_rcu() for reference.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/membarrier.h>

#include "harness.h"
#include "cases.h"

/* VM + memslot + vCPU + close, @n times; cycles per VM. */
static double lifecycle_round(void *mem, int n)
{
	uint64_t t0, t1;
	int i;

	t0 = tsc();
	for (i = 0; i < n; i++) {
		int vm = ioctl(sys_fd, KVM_CREATE_VM, 0), vcpu;

		VTX_ASSERT(vm >= 0, "KVM_CREATE_VM: %s", strerror(errno));
		if (__vtx_set_memslot(vm, 0, 0, 0, VTX_RAM_SIZE,
				      (uintptr_t)mem))
			vtx_die("memslot");
		vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
		VTX_ASSERT(vcpu >= 0, "KVM_CREATE_VCPU: %s", strerror(errno));
		close(vcpu);
		close(vm);
	}
	t1 = tsc();
	return (double)(t1 - t0) / n;
}

void case_lifecycle(const char *name, bool cold)
{
	/*
	 * Rounds that wait (for RCU, kthreads) cost the test VM as much wall
	 * time as computing: KVM's take ~3.2M cycles, a cold one on vtx up
	 * to 200M.  So fewer VMs per round there, and no warm-up round cold.
	 */
	int n = quick ? 2 : cold ? 1 : 4, nr = cold && rounds > 5 ? 5 : rounds;
	int r;
	struct vtx_vm *holder = NULL;
	double v[MAX_ROUNDS];
	void *mem;

	mem = mmap(NULL, VTX_RAM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	VTX_ASSERT(mem != MAP_FAILED, "mmap: %s", strerror(errno));
	if (!cold)
		holder = vtx_vm_create_on(sys_fd);
	for (r = cold ? 0 : -1; r < nr; r++) {
		double c = lifecycle_round(mem, n);

		if (r >= 0)
			v[r] = c;
	}
	if (holder)
		vtx_vm_free(holder);
	munmap(mem, VTX_RAM_SIZE);
	emit(name, n, v, nr);
}

/* One synchronize_rcu() as userspace can ask for it: a reference. */
void case_rcu_sync(void)
{
	int nr = rounds < 5 ? rounds : 5, r;
	double v[MAX_ROUNDS];

	for (r = 0; r < nr; r++) {
		uint64_t t0 = tsc(), t1;

		if (syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) < 0) {
			printf("# membarrier: %s\n", strerror(errno));
			return;
		}
		t1 = tsc();
		if (r >= 0)
			v[r] = (double)(t1 - t0);
	}
	emit("rcu_sync_ref", 1, v, nr);
}
