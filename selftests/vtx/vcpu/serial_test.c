// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU ioctls are serialized by the vCPU's mutex: two threads calling
 * KVM_RUN and KVM_GET_REGS on one vCPU never see or make a torn state (the
 * second waits for the first); a task waiting for the mutex behind a long
 * KVM_RUN can still be killed; and VM and vCPU fds used from another
 * process (address space) fail with EIO.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "vcpu_test.h"
#include "serial.h"

extern const uint8_t serial_guest[], serial_guest_end[];
extern const uint8_t serial_long_guest[], serial_long_guest_end[];
extern const uint8_t serial_spin_guest[], serial_spin_guest_end[];

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

struct racer {
	struct vtx_vcpu *vcpu;
	volatile int *done;
	int runs;		/* KVM_RUNs that returned 0 */
	int run_errors;
	int torn;		/* KVM_GET_REGS that saw a torn state */
	int reads;
	uint64_t torn_r12, torn_r13, torn_r14;
	bool reader;		/* mostly KVM_GET_REGS, sometimes KVM_RUN */
};

static bool regs_consistent(const struct kvm_regs *r)
{
	return r->r13 == 3 * r->r12 + 7 && r->r14 == ~r->r12;
}

static void *racer_fn(void *arg)
{
	struct racer *t = arg;
	struct kvm_regs regs;
	unsigned int n = 0;

	while (!*t->done) {
		if (!t->reader || ++n % 8 == 0) {
			if (__vtx_run(t->vcpu)) {
				t->run_errors++;
				break;
			}
			t->runs++;
			if (t->vcpu->run->exit_reason == KVM_EXIT_HLT)
				*t->done = 1;
			continue;
		}
		if (__vtx_ioctl(t->vcpu->fd, KVM_GET_REGS, &regs)) {
			t->run_errors++;
			break;
		}
		t->reads++;
		if (!regs_consistent(&regs)) {
			t->torn++;
			t->torn_r12 = regs.r12;
			t->torn_r13 = regs.r13;
			t->torn_r14 = regs.r14;
		}
	}
	return NULL;
}

/*
 * One thread keeps calling KVM_RUN, another mostly KVM_GET_REGS and now
 * and then KVM_RUN too.  Every register read sees the state of an exit
 * (R12..R14 agree); every KVM_RUN continues where the previous one, of
 * either thread, stopped.
 */
TEST(concurrent_run_and_get_regs)
{
	volatile int done = 0;
	struct racer a = { .done = &done }, b = { .done = &done,
						  .reader = true };
	struct vtx_vcpu *vcpu;
	struct kvm_regs regs;
	pthread_t ta, tb;

	vcpu = vtx_create_guest(VTX_MODE_LONG64, serial_guest,
				serial_guest_end);
	vcpu_set_supported_cpuid(vcpu);
	guest_enable_if(vcpu);
	/* consistent before the first entry too */
	vtx_get_regs(vcpu, &regs);
	regs.r12 = 0;
	regs.r13 = 7;
	regs.r14 = ~0ull;
	vtx_set_regs(vcpu, &regs);
	a.vcpu = b.vcpu = vcpu;
	ASSERT_EQ(0, pthread_create(&ta, NULL, racer_fn, &a));
	ASSERT_EQ(0, pthread_create(&tb, NULL, racer_fn, &b));
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);

	TH_LOG("%s: KVM_RUN %d + %d, KVM_GET_REGS %d", DRIVER, a.runs, b.runs,
	       b.reads);
	EXPECT_EQ(0, a.run_errors);
	EXPECT_EQ(0, b.run_errors);
	EXPECT_EQ(0, b.torn)
		TH_LOG("torn state: R12 %#llx R13 %#llx R14 %#llx",
		       (unsigned long long)b.torn_r12,
		       (unsigned long long)b.torn_r13,
		       (unsigned long long)b.torn_r14);
	/* SERIAL_ITERS ucalls, then one HLT (two if both threads were in) */
	EXPECT_GE(a.runs + b.runs, SERIAL_ITERS + 1);
	EXPECT_LE(a.runs + b.runs, SERIAL_ITERS + 2);
	vtx_get_regs(vcpu, &regs);
	EXPECT_EQ(SERIAL_ITERS, regs.r12);
	EXPECT_TRUE(regs_consistent(&regs));
}

struct long_run {
	struct vtx_vcpu *vcpu;
	volatile int started;
	volatile int finished;
	double end;
	long ret;
};

static void *long_run_fn(void *arg)
{
	struct long_run *t = arg;

	t->started = 1;
	t->ret = __vtx_run(t->vcpu);
	t->end = now_sec();
	t->finished = 1;
	return NULL;
}

/* KVM_GET_REGS during a long KVM_RUN waits, then sees the exit's state. */
TEST(get_regs_waits_for_run)
{
	struct long_run t = { 0 };
	struct vtx_vcpu *vcpu;
	struct kvm_regs regs;
	struct vtx_ucall uc;
	double call, ret;
	pthread_t tid;
	int ran_during;

	vcpu = vtx_create_guest(VTX_MODE_LONG64, serial_long_guest,
				serial_long_guest_end);
	vcpu_set_supported_cpuid(vcpu);
	guest_enable_if(vcpu);
	t.vcpu = vcpu;
	ASSERT_EQ(0, pthread_create(&tid, NULL, long_run_fn, &t));
	while (!t.started)
		sched_yield();
	sleep_ms(50);
	call = now_sec();
	ran_during = !t.finished;
	memset(&regs, 0, sizeof(regs));
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_GET_REGS, &regs));
	ret = now_sec();
	pthread_join(tid, NULL);
	ASSERT_EQ(0, t.ret);
	TH_LOG("%s: KVM_GET_REGS called %.3f s before KVM_RUN returned, returned %.3f s after it",
	       DRIVER, t.end - call, ret - t.end);
	if (!ran_during)
		SKIP(return, "the guest loop ended before KVM_GET_REGS");
	/* it returned only once KVM_RUN had (allowing for the wakeup) */
	EXPECT_GE(ret, t.end - 0.01);
	/* and saw the state of the exit, not of the loop */
	EXPECT_EQ(LONG_DONE, regs.rbx);
	EXPECT_EQ(0, regs.rcx);
	ASSERT_EQ(UCALL_REPORT, vtx_get_ucall(vcpu, &uc));
	EXPECT_EQ(uc.regs.rip, regs.rip);
	RUN_HLT(vcpu);
}

static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig)
{
	got_usr1++;
}

struct spin_run {
	struct vtx_vcpu *vcpu;
	volatile int started;
	volatile int finished;
	long ret;
};

static void *spin_run_fn(void *arg)
{
	struct spin_run *t = arg;

	t->started = 1;
	t->ret = __vtx_run(t->vcpu);
	t->finished = 1;
	return NULL;
}

/* What the clone()d waiter shares with the test (same address space) */
struct waiter {
	int vcpu_fd;
	volatile int started;
	volatile long ret;	/* 1 until the ioctl returns */
	struct kvm_regs regs;
};

static long raw_syscall3(long nr, long a, long b, long c)
{
	long ret;

	asm volatile("syscall"
		     : "=a" (ret)
		     : "a" (nr), "D" (a), "S" (b), "d" (c)
		     : "rcx", "r11", "memory");
	return ret;
}

/* Runs in a task sharing our memory but not our signals: no libc here. */
static int waiter_fn(void *arg)
{
	struct waiter *w = arg;

	w->started = 1;
	w->ret = raw_syscall3(SYS_ioctl, w->vcpu_fd, KVM_GET_REGS,
			      (long)&w->regs);
	return 0;
}

static char proc_state(pid_t pid)
{
	char path[64], buf[256], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return '?';
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!p || !(p = strrchr(buf, ')')))
		return '?';
	return p[2];
}

/*
 * A task blocked on the vCPU mutex behind a KVM_RUN that does not end
 * (a guest spinning) dies promptly on SIGKILL.  The task is a clone()
 * with CLONE_VM: same address space (so it passes the owner check), but
 * its own process for the signal.
 */
TEST(killable_while_waiting)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct spin_run t = { 0 };
	struct waiter *w;
	struct vtx_vcpu *vcpu;
	struct kvm_regs regs;
	pthread_t tid;
	double killed, died = 0;
	size_t stack_size = 64 * 1024;
	char *stack, state;
	int status = 0;
	pid_t pid;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	vcpu = vtx_create_guest(VTX_MODE_LONG64, serial_spin_guest,
				serial_spin_guest_end);
	vcpu_set_supported_cpuid(vcpu);
	guest_enable_if(vcpu);
	t.vcpu = vcpu;
	ASSERT_EQ(0, pthread_create(&tid, NULL, spin_run_fn, &t));
	while (!t.started)
		sched_yield();
	sleep_ms(100);
	ASSERT_EQ(0, t.finished);

	w = calloc(1, sizeof(*w));
	stack = malloc(stack_size);
	ASSERT_NE(NULL, w);
	ASSERT_NE(NULL, stack);
	w->vcpu_fd = vcpu->fd;
	w->ret = 1;
	pid = clone(waiter_fn, stack + stack_size, CLONE_VM | SIGCHLD, w);
	ASSERT_GT(pid, 0);
	while (!w->started)
		sched_yield();
	sleep_ms(300);
	state = proc_state(pid);
	TH_LOG("%s: the waiter is in state %c, its ioctl %s", DRIVER, state,
	       w->ret == 1 ? "has not returned" : "returned");
	EXPECT_EQ(1, w->ret);
	EXPECT_EQ('D', state) TH_LOG("TASK_KILLABLE shows as D");

	ASSERT_EQ(0, kill(pid, SIGKILL));
	killed = now_sec();
	while (now_sec() - killed < 10) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid) {
			died = now_sec();
			break;
		}
		sleep_ms(5);
	}
	EXPECT_NE(0, died) TH_LOG("the waiter did not die within 10 s");
	if (died) {
		TH_LOG("the waiter died %.3f s after SIGKILL", died - killed);
		EXPECT_TRUE(WIFSIGNALED(status));
		EXPECT_EQ(SIGKILL, WTERMSIG(status));
		EXPECT_LT(died - killed, 2.0);
	}
	EXPECT_EQ(1, w->ret);
	/* KVM_RUN was still going the whole time */
	EXPECT_EQ(0, t.finished);

	/* stop it: KVM_RUN returns EINTR; the vCPU still works */
	ASSERT_EQ(0, pthread_kill(tid, SIGUSR1));
	pthread_join(tid, NULL);
	EXPECT_EQ(-EINTR, t.ret);
	EXPECT_EQ(KVM_EXIT_INTR, vcpu->run->exit_reason);
	vtx_get_regs(vcpu, &regs);
	EXPECT_EQ(VTX_CODE_GPA, regs.rip);
	if (!died) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	free(stack);
	free(w);
}

/* Bits of the child's exit status: which check failed */
enum {
	BAD_GET_REGS = 1, BAD_RUN = 2, BAD_SET_REGS = 4, BAD_CREATE_VCPU = 8,
	BAD_MEMSLOT = 16, BAD_VM_CHECK_EXT = 32, BAD_SYSTEM = 64,
};

/* VM and vCPU fds inherited through fork() fail with EIO in the child. */
TEST(other_process_eio)
{
	struct vtx_vcpu *vcpu;
	struct kvm_regs regs;
	struct vtx_ucall uc;
	int status;
	pid_t pid;

	vcpu = vtx_create_guest(VTX_MODE_LONG64, serial_long_guest,
				serial_long_guest_end);
	vcpu_set_supported_cpuid(vcpu);
	vtx_get_regs(vcpu, &regs);
	regs.rcx = 10;		/* a short loop this time */
	regs.rip += 5;		/* past the mov that loads ECX */
	vtx_set_regs(vcpu, &regs);

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct vtx_vm *vm = vcpu->vm;
		int bad = 0;

		if (__vtx_ioctl(vcpu->fd, KVM_GET_REGS, &regs) != -EIO)
			bad |= BAD_GET_REGS;
		if (__vtx_ioctl(vcpu->fd, KVM_RUN, 0) != -EIO)
			bad |= BAD_RUN;
		if (__vtx_ioctl(vcpu->fd, KVM_SET_REGS, &regs) != -EIO)
			bad |= BAD_SET_REGS;
		if (__vtx_create_vcpu(vm->fd, 1) != -EIO)
			bad |= BAD_CREATE_VCPU;
		if (__vtx_set_memslot(vm->fd, 1, 0, 0x400000, 0x1000,
				      (uintptr_t)vm->mem[0].hva) != -EIO)
			bad |= BAD_MEMSLOT;
		if (__vtx_ioctl(vm->fd, KVM_CHECK_EXTENSION,
				KVM_CAP_USER_MEMORY) != -EIO)
			bad |= BAD_VM_CHECK_EXT;
		/* the system fd has no owner */
		if (__vtx_ioctl(vm->dev_fd, KVM_GET_API_VERSION, 0) !=
		    KVM_API_VERSION)
			bad |= BAD_SYSTEM;
		_exit(bad);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("failed in the child (bits): %#x", WEXITSTATUS(status));

	/* the owner still runs it */
	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(LONG_DONE, uc.regs.rbx);
	RUN_HLT(vcpu);
}

VTX_TEST_MAIN
