// SPDX-License-Identifier: GPL-2.0
/*
 * The plumbing of `bench run` shared by its cases: options, pinning, the
 * raw output, guest creation and the loop that runs a guest to its end.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

const char *driver = "dev";
int pass = 1;
int rounds = 7;
int quick;
int sys_fd = -1;

void pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fprintf(stderr, "# sched_setaffinity(%d): %s\n", cpu,
			strerror(errno));
}

void unpin(void)
{
	cpu_set_t set;
	long n = sysconf(_SC_NPROCESSORS_ONLN), i;

	CPU_ZERO(&set);
	for (i = 0; i < n && i < CPU_SETSIZE; i++)
		CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* Print one case's rounds. */
void emit(const char *name, long iters, const double *v, int n)
{
	int i;

	printf("@@B %s %d %s %ld", driver, pass, name, iters);
	for (i = 0; i < n; i++)
		printf(" %.1f", v[i]);
	printf("\n");
}

void guest_create(struct guest *g, int nr_vcpus)
{
	int i;

	memset(g, 0, sizeof(*g));
	g->vm = vtx_vm_create_on(sys_fd);
	vtx_vm_add_mem(g->vm, 0, 0, VTX_RAM_SIZE);
	vtx_load_code(g->vm, VTX_CODE_GPA, bench_guest, bench_guest_end);
	for (i = 0; i < nr_vcpus; i++) {
		g->vcpu[i] = vtx_vcpu_add(g->vm, i);
		vtx_setup_mode(g->vcpu[i], VTX_MODE_LONG64, VTX_CODE_GPA);
	}
	g->nr_vcpus = nr_vcpus;
}

void guest_destroy(struct guest *g)
{
	int i;

	for (i = 0; i < g->nr_vcpus; i++)
		vtx_vcpu_free(g->vcpu[i]);
	vtx_vm_free(g->vm);
	memset(g, 0, sizeof(*g));
}

/* Point the vCPU at a loop: RIP, RCX = iterations, RDI = address, IF = 1. */
void enter_at(struct vtx_vcpu *vcpu, const uint8_t *label, uint64_t rcx,
	      uint64_t rdi)
{
	struct kvm_regs regs;

	memset(&regs, 0, sizeof(regs));
	regs.rip = VTX_BLOB_GPA(bench_guest, label);
	regs.rsp = VTX_STACK_TOP;
	regs.rflags = RFLAGS_FIXED_IF;
	regs.rcx = rcx;
	regs.rdi = rdi;
	vtx_set_regs(vcpu, &regs);
}

/*
 * After UCALL_DONE, run once more: the OUT of the ucall completes (RIP
 * moves past it) and the guest stops at its HLT.  Then nothing is pending
 * and the next round's KVM_SET_REGS starts from a clean state.  (KVM would
 * not complete an OUT whose RIP userspace has changed meanwhile; vtx, as
 * of this writing, would, and skip the first instruction of the next
 * round.  Parking keeps both drivers on the same path.)
 */
static void park(struct vtx_vcpu *vcpu)
{
	uint32_t reason = vtx_run(vcpu);

	VTX_ASSERT(reason == KVM_EXIT_HLT, "%s: parking: exit %s, not HLT",
		   driver, vtx_exit_reason_str(reason));
}

/*
 * Run until UCALL_DONE, counting the exits @kind (KVM_EXIT_IO on the
 * benchmark port, KVM_EXIT_MMIO or KVM_EXIT_HLT) and timing from the first
 * to the last of them: (t_last - t_first) / (exits - 1) is then exactly
 * the cost of a round trip from userspace through the guest and back.
 */
void run_loop(struct vtx_vcpu *vcpu, uint32_t kind, struct loop_result *res)
{
	struct kvm_run *run = vcpu->run;
	struct vtx_ucall uc;
	uint32_t mmio_val = 0x12345678;

	memset(res, 0, sizeof(*res));
	for (;;) {
		uint32_t reason = vtx_run(vcpu);

		if (reason == kind &&
		    (kind != KVM_EXIT_IO || run->io.port == BENCH_PIO_PORT)) {
			uint64_t t = tsc();

			if (!res->exits++)
				res->t_first = t;
			res->t_last = t;
			if (kind == KVM_EXIT_MMIO && !run->mmio.is_write)
				memcpy(run->mmio.data, &mmio_val,
				       run->mmio.len < 4 ? run->mmio.len : 4);
			continue;
		}
		switch (vtx_get_ucall(vcpu, &uc)) {
		case UCALL_REPORT:
			res->report = uc.regs.rbx;
			continue;
		case UCALL_DONE:
			park(vcpu);
			return;
		default:
			break;
		}
		vtx_get_regs(vcpu, &uc.regs);
		vtx_die("%s: unexpected exit %s (%u), port %#x, rip %#llx",
			driver, vtx_exit_reason_str(reason), reason,
			reason == KVM_EXIT_IO ? run->io.port : 0,
			(unsigned long long)uc.regs.rip);
	}
}
