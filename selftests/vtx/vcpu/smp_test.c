// SPDX-License-Identifier: GPL-2.0
/*
 * Many vCPUs: the vCPU-count capabilities, four vCPUs of one VM running at
 * once on their own threads, and a vCPU whose thread moves between CPUs 0
 * and 1 before every KVM_RUN.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vcpu_test.h"
#include "smp.h"

extern const uint8_t smp_pio_guest[], smp_pio_guest_end[];
extern const uint8_t smp_migrate_guest[], smp_migrate_guest_end[];

#define NR_THREADS	4
#define MAX_CREATE	64	/* create at most this many vCPUs in one VM */

TEST(vcpu_count_caps)
{
	int fd = vtx_open_device();
	long nr, max, max_id, r;
	struct vtx_vm *vm;
	int i, n;

	nr = vtx_check_extension(fd, KVM_CAP_NR_VCPUS);
	max = vtx_check_extension(fd, KVM_CAP_MAX_VCPUS);
	max_id = vtx_check_extension(fd, KVM_CAP_MAX_VCPU_ID);
	TH_LOG("%s: NR_VCPUS %ld, MAX_VCPUS %ld, MAX_VCPU_ID %ld, %d CPUs online",
	       DRIVER, nr, max, max_id, online_cpus());
	EXPECT_GE(nr, 1);
	EXPECT_LE(nr, max);
	/* the recommended count: the online CPUs, capped */
	EXPECT_EQ(online_cpus() < max ? online_cpus() : max, nr);
	EXPECT_GE(max_id, max);

	vm = vtx_vm_create_on(fd);
	/* the VM fd answers the same */
	EXPECT_EQ(max, vtx_check_extension(vm->fd, KVM_CAP_MAX_VCPUS));
	/* ids run from 0 to MAX_VCPU_ID - 1 */
	EXPECT_EQ(-EINVAL, __vtx_create_vcpu(vm->fd, max_id));
	r = __vtx_create_vcpu(vm->fd, max_id - 1);
	EXPECT_GE(r, 0);
	if (r >= 0)
		close(r);
	/* at most MAX_VCPUS of them (when that is few enough to try) */
	if (max <= MAX_CREATE) {
		for (i = 0, n = 1; n < max; i++) {
			if (i == max_id - 1)
				continue;
			r = __vtx_create_vcpu(vm->fd, i);
			ASSERT_GE(r, 0) TH_LOG("vCPU %d", i);
			n++;
		}
		/* full: EINVAL comes before the duplicate-id check */
		EXPECT_EQ(-EINVAL, __vtx_create_vcpu(vm->fd, 0));
	} else {
		TH_LOG("%s: not creating %ld vCPUs here", DRIVER, max);
		ASSERT_GE(__vtx_create_vcpu(vm->fd, 0), 0);
		EXPECT_EQ(-EEXIST, __vtx_create_vcpu(vm->fd, 0));
	}
}

struct pio_thread {
	struct vtx_vcpu *vcpu;
	unsigned int index;
	uint64_t sum;		/* what the guest reported */
	uint64_t want;
	char error[160];
	int cpus_seen;		/* bitmap of host CPUs it ran on */
};

static uint32_t pio_answer(unsigned int index, unsigned int i)
{
	return index * 100000 + i * 7 + 1;
}

static void *pio_thread_fn(void *arg)
{
	struct pio_thread *t = arg;
	struct vtx_vcpu *vcpu = t->vcpu;
	struct kvm_run *run = vcpu->run;
	struct vtx_ucall uc;
	unsigned int i;
	uint32_t v;

	for (i = 0; i < SMP_ITERS; i++) {
		if (__vtx_run(vcpu) || run->exit_reason != KVM_EXIT_IO ||
		    run->io.port != SMP_PORT_OUT ||
		    run->io.direction != KVM_EXIT_IO_OUT) {
			snprintf(t->error, sizeof(t->error), "round %u: %s", i,
				 describe_exit(vcpu));
			return NULL;
		}
		memcpy(&v, vtx_io_data(vcpu), 4);
		if (v != (t->index << 16 | i)) {
			snprintf(t->error, sizeof(t->error),
				 "round %u: OUT %#x, expected %#x", i, v,
				 t->index << 16 | i);
			return NULL;
		}
		t->cpus_seen |= 1 << (sched_getcpu() & 31);
		if (__vtx_run(vcpu) || run->exit_reason != KVM_EXIT_IO ||
		    run->io.port != SMP_PORT_IN ||
		    run->io.direction != KVM_EXIT_IO_IN) {
			snprintf(t->error, sizeof(t->error), "round %u IN: %s",
				 i, describe_exit(vcpu));
			return NULL;
		}
		v = pio_answer(t->index, i);
		memcpy(vtx_io_data(vcpu), &v, 4);
		t->want += v;
	}
	if (__vtx_run(vcpu) || vtx_get_ucall(vcpu, &uc) != UCALL_REPORT) {
		snprintf(t->error, sizeof(t->error), "end: %s",
			 describe_exit(vcpu));
		return NULL;
	}
	t->sum = uc.regs.rbx;
	if (uc.regs.rcx != t->index)
		snprintf(t->error, sizeof(t->error), "RDI became %#llx",
			 (unsigned long long)uc.regs.rcx);
	if (__vtx_run(vcpu) || run->exit_reason != KVM_EXIT_HLT)
		snprintf(t->error, sizeof(t->error), "no HLT: %s",
			 describe_exit(vcpu));
	return NULL;
}

/* Four vCPUs run the same code at once, each with its own results. */
TEST(four_vcpus_concurrently)
{
	struct pio_thread t[NR_THREADS];
	pthread_t tid[NR_THREADS];
	struct vtx_vm *vm = vtx_vm_create_default();
	struct kvm_regs regs;
	int i, cpus = 0;

	vtx_load_code(vm, VTX_CODE_GPA, smp_pio_guest, smp_pio_guest_end);
	memset(t, 0, sizeof(t));
	/* all set up before any runs: vtx_setup_mode rewrites the tables */
	for (i = 0; i < NR_THREADS; i++) {
		t[i].index = i;
		t[i].vcpu = vtx_vcpu_add(vm, i);
		vtx_setup_mode(t[i].vcpu, VTX_MODE_LONG64, VTX_CODE_GPA);
		vcpu_set_supported_cpuid(t[i].vcpu);
		vtx_get_regs(t[i].vcpu, &regs);
		regs.rsp = STACKS_GPA + (i + 1) * STACK_SIZE;
		regs.rdi = i;
		regs.rflags |= RFLAGS_IF;
		vtx_set_regs(t[i].vcpu, &regs);
	}
	for (i = 0; i < NR_THREADS; i++)
		ASSERT_EQ(0, pthread_create(&tid[i], NULL, pio_thread_fn, &t[i]));
	for (i = 0; i < NR_THREADS; i++)
		pthread_join(tid[i], NULL);
	for (i = 0; i < NR_THREADS; i++) {
		EXPECT_EQ(0, t[i].error[0]) TH_LOG("vCPU %d: %s", i, t[i].error);
		EXPECT_EQ(t[i].want, t[i].sum) TH_LOG("vCPU %d", i);
		cpus |= t[i].cpus_seen;
	}
	TH_LOG("%s: the vCPU threads ran on host CPUs %#x", DRIVER, cpus);
}

static uint64_t lcg(uint64_t x)
{
	return x * (uint64_t)LCG_MUL + (uint64_t)LCG_ADD;
}

/*
 * The vCPU thread moves to the other CPU before every KVM_RUN (and some
 * register ioctls): the guest's GPRs, XMM state and MSRs keep going.
 */
TEST(migrate_between_runs)
{
	uint32_t idx[2] = { MSR_KERNEL_GS_BASE, MSR_LSTAR };
	uint64_t x = (uint64_t)LCG_SEED, sum = 0, data[2];
	struct vtx_vcpu *vcpu;
	struct kvm_regs regs;
	struct vtx_ucall uc;
	int i, cpu, moves = 0, last = -1;

	if (online_cpus() < 2)
		SKIP(return, "needs 2 online CPUs");
	vcpu = vtx_create_guest(VTX_MODE_LONG64, smp_migrate_guest,
				smp_migrate_guest_end);
	vcpu_set_supported_cpuid(vcpu);
	for (i = 0; i < MIGRATE_ITERS; i++) {
		ASSERT_EQ(0, pin_to_cpu(i % 2));
		cpu = sched_getcpu();
		ASSERT_EQ(i % 2, cpu);
		moves += last >= 0 && cpu != last;
		last = cpu;
		RUN_UCALL(vcpu, UCALL_REPORT, &uc);
		x = lcg(x);
		sum += x;
		ASSERT_EQ(x, uc.regs.rbx) TH_LOG("round %d", i);
		ASSERT_EQ(sum, uc.regs.rsi) TH_LOG("round %d: XMM1", i);
		if (i % 10 == 5) {
			/* register ioctls on the other CPU too */
			ASSERT_EQ(0, pin_to_cpu((i + 1) % 2));
			vtx_get_regs(vcpu, &regs);
			ASSERT_EQ(x, regs.r12);
			ASSERT_EQ(2, msrs_io(vcpu->fd, KVM_GET_MSRS, 2, idx,
					     data));
			EXPECT_EQ(MIG_KGS, data[0]);
			EXPECT_EQ((uint64_t)MIG_LSTAR_HI << 32 | MIG_LSTAR_LO,
				  data[1]);
		}
	}
	RUN_UCALL(vcpu, UCALL_DONE, &uc);
	TH_LOG("%s: %d runs, the thread moved %d times", DRIVER,
	       MIGRATE_ITERS, moves);
	EXPECT_GE(moves, MIGRATE_ITERS - 1);
}

VTX_TEST_MAIN
