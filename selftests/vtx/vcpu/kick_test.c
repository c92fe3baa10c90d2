// SPDX-License-Identifier: GPL-2.0
/*
 * Kicks: another thread makes a vCPU leave KVM_RUN, KICK_ITERS times
 * (environment, default 10,000) in each of three ways:
 *
 *   in_guest      a signal (the handler only counts) while the guest spins:
 *                 KVM_RUN returns -EINTR with KVM_EXIT_INTR, after the
 *                 guest ran;
 *   before_run    the signal lands while the vCPU thread is in userspace
 *                 and its handler sets kvm_run.immediate_exit, as a VMM
 *                 does: the next KVM_RUN returns -EINTR without entering
 *                 the guest;
 *   any_time      the same handler, the signal sent once the vCPU thread
 *                 has said it is about to call KVM_RUN, after random gaps
 *                 on both sides: it lands before the call, during the
 *                 entry or in the guest, and must end that KVM_RUN either
 *                 way.
 *
 * Every kick must end exactly one KVM_RUN: none lost (a KVM_RUN still going
 * KICK_TIMEOUT seconds after its kick) and none stray (a KVM_RUN that ends
 * with no kick sent for it, or with another exit reason).  The kicker only
 * kicks KVM_RUN number i once the vCPU thread has published i (and, for
 * in_guest, once the guest's counter moved after that), and the vCPU thread
 * publishes i + 1 only after KVM_RUN number i returned and the signal's
 * handler ran.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vcpu_test.h"
#include "kick.h"

extern const uint8_t kick_guest[], kick_guest_end[];

#define KICK_ITERS_DEFAULT	10000
#define KICK_TIMEOUT		2.0	/* seconds a kick may take to end KVM_RUN */
/*
 * Seconds the vCPU thread may take to call KVM_RUN and the guest to run
 * in it: longer, since KVM's first KVM_RUN from a new thread waits for an
 * RCU grace period (up to a second in the test VM).
 */
#define START_TIMEOUT		10.0
#define KICK_SIGNAL		SIGUSR1
/* Never a real exit reason: shows whether KVM_RUN wrote exit_reason */
#define EXIT_REASON_SENTINEL	0xdead

enum kick_mode { KICK_IN_GUEST, KICK_BEFORE_RUN, KICK_ANY_TIME };

/* What the signal handler sees: set before the vCPU thread starts. */
static struct kvm_run *handler_run;
static bool handler_sets_immediate_exit;
static atomic_long handler_calls;

static void on_kick(int sig)
{
	if (handler_sets_immediate_exit)
		handler_run->immediate_exit = 1;
	atomic_fetch_add(&handler_calls, 1);
}

struct kick {
	struct vtx_vcpu *vcpu;
	volatile uint64_t *counter;	/* the guest's, in slot 0 */
	enum kick_mode mode;
	long iters;
	pthread_t thread;
	int vcpu_cpu;
	/* the handshake: run numbers, from 1 */
	atomic_long entering;	/* vCPU thread: the KVM_RUN it is about to make */
	atomic_long kicked;	/* kicker: the KVM_RUN it sent a kick for */
	atomic_long ended;	/* vCPU thread: the KVM_RUN that returned */
	atomic_bool stop;
	/* results */
	long by_signal;		/* runs that ended -EINTR, KVM_EXIT_INTR */
	long by_signal_early;	/* the same, the guest not seen running */
	long by_immediate;	/* -EINTR before entering, immediate_exit */
	char error[256];	/* the first thing that went wrong */
};

static long kick_iters(void)
{
	const char *s = getenv("KICK_ITERS");
	long n = s ? strtol(s, NULL, 0) : KICK_ITERS_DEFAULT;

	return n > 0 ? n : KICK_ITERS_DEFAULT;
}

/* Wait until *@v >= @want; false after @timeout seconds or on k->stop. */
static bool wait_for(atomic_long *v, long want, struct kick *k,
		     double timeout)
{
	double t0 = now_sec();
	unsigned int spins = 0;

	while (atomic_load(v) < want) {
		if (atomic_load(&k->stop))
			return false;
		if (!(++spins & 0xfff) && now_sec() - t0 > timeout)
			return atomic_load(v) >= want;
	}
	return true;
}

/*
 * The vCPU thread: KVM_RUN number 1, 2, ... each ended by one kick.  Any
 * other outcome stops the test with k->error set.
 */
static void *vcpu_thread(void *arg)
{
	struct kick *k = arg;
	struct kvm_run *run = k->vcpu->run;
	unsigned int seed = 2;
	long i;

	pin_to_cpu(k->vcpu_cpu);
	for (i = 1; i <= k->iters && !atomic_load(&k->stop); i++) {
		uint64_t before, after;
		long ret, kicked;
		bool entered, by_signal;

		/* the last kick's handler has run: nothing is pending */
		run->immediate_exit = 0;
		run->exit_reason = EXIT_REASON_SENTINEL;
		before = *k->counter;
		atomic_store(&k->entering, i);
		if (k->mode == KICK_BEFORE_RUN) {
			/* let the signal and its handler come first */
			if (!wait_for(&handler_calls, i, k, KICK_TIMEOUT)) {
				snprintf(k->error, sizeof(k->error),
					 "run %ld: no signal before KVM_RUN", i);
				break;
			}
		} else if (k->mode == KICK_ANY_TIME) {
			/* a gap the kick may fall in, before the ioctl */
			volatile unsigned int n = rand_r(&seed) % 4096;

			while (n)
				n--;
		}
		ret = __vtx_run(k->vcpu);
		after = *k->counter;
		kicked = atomic_load(&k->kicked);
		entered = after != before;
		if (kicked != i) {
			snprintf(k->error, sizeof(k->error),
				 "run %ld ended with no kick sent for it (last kick: run %ld): %s, %s, guest %s",
				 i, kicked, ret ? strerror(-ret) : "0",
				 describe_exit(k->vcpu),
				 entered ? "ran" : "did not run");
			break;
		}
		if (ret != -EINTR) {
			snprintf(k->error, sizeof(k->error),
				 "run %ld: kicked, returned %ld, not -EINTR: %s",
				 i, ret, describe_exit(k->vcpu));
			break;
		}
		if (run->exit_reason == KVM_EXIT_INTR &&
		    (entered || k->mode == KICK_ANY_TIME)) {
			/* the signal, seen inside KVM_RUN */
			by_signal = true;
		} else if (run->exit_reason == EXIT_REASON_SENTINEL &&
			   run->immediate_exit && !entered) {
			/* the handler's immediate_exit, before the entry */
			by_signal = false;
		} else {
			snprintf(k->error, sizeof(k->error),
				 "run %ld: -EINTR, exit reason %s (%#x), immediate_exit %u, guest %s",
				 i, vtx_exit_reason_str(run->exit_reason),
				 run->exit_reason, run->immediate_exit,
				 entered ? "ran" : "did not run");
			break;
		}
		if ((k->mode == KICK_IN_GUEST && !by_signal) ||
		    (k->mode == KICK_BEFORE_RUN && by_signal)) {
			snprintf(k->error, sizeof(k->error),
				 "run %ld: ended %s, not as this mode expects",
				 i, by_signal ? "by the signal in KVM_RUN" :
				 "before entering");
			break;
		}
		if (by_signal && !entered)
			k->by_signal_early++;
		if (by_signal)
			k->by_signal++;
		else
			k->by_immediate++;
		atomic_store(&k->ended, i);
	}
	atomic_store(&k->stop, true);
	return NULL;
}

/*
 * Kick KVM_RUN 1 .. k->iters of the vCPU thread, each when the handshake
 * allows it; on a kick that is lost, stop and report.
 */
static void kicker(struct kick *k)
{
	unsigned int seed = 1;
	long i;

	for (i = 1; i <= k->iters; i++) {
		if (!wait_for(&k->entering, i, k, START_TIMEOUT)) {
			if (!k->error[0] && !atomic_load(&k->stop))
				snprintf(k->error, sizeof(k->error),
					 "run %ld: the vCPU thread never got to it",
					 i);
			return;
		}
		if (k->mode == KICK_IN_GUEST) {
			/* wait for the guest to run in this KVM_RUN */
			uint64_t c0 = *k->counter;
			double t0 = now_sec();

			while (*k->counter == c0) {
				if (atomic_load(&k->stop))
					return;
				if (now_sec() - t0 > START_TIMEOUT) {
					snprintf(k->error, sizeof(k->error),
						 "run %ld: the guest did not run within %.0f s",
						 i, START_TIMEOUT);
					return;
				}
			}
		} else if (k->mode == KICK_ANY_TIME) {
			/* land anywhere from before the ioctl to the guest */
			volatile unsigned int n = rand_r(&seed) % 2048;

			while (n)
				n--;
		}
		atomic_store(&k->kicked, i);
		if (pthread_kill(k->thread, KICK_SIGNAL)) {
			snprintf(k->error, sizeof(k->error),
				 "run %ld: pthread_kill failed", i);
			return;
		}
		if (!wait_for(&k->ended, i, k, KICK_TIMEOUT)) {
			if (!k->error[0] && !atomic_load(&k->stop))
				snprintf(k->error, sizeof(k->error),
					 "run %ld: lost kick: KVM_RUN still going %.0f s after it",
					 i, KICK_TIMEOUT);
			return;
		}
	}
}

FIXTURE(kick) {
	struct vtx_vcpu *vcpu;
};

FIXTURE_SETUP(kick)
{
	struct sigaction sa = { .sa_handler = on_kick };

	/* no SA_RESTART: KVM_RUN returns -EINTR to the vCPU thread */
	ASSERT_EQ(0, sigaction(KICK_SIGNAL, &sa, NULL));
	self->vcpu = guest_create(VTX_MODE_LONG64, kick_guest, kick_guest_end,
				  NULL);
	vcpu_set_supported_cpuid(self->vcpu);
	guest_enable_if(self->vcpu);
}

FIXTURE_TEARDOWN(kick)
{
}

/* Run one mode; TH_LOG what it took. */
static void kick_test(struct __test_metadata *_metadata,
		      struct vtx_vcpu *vcpu, enum kick_mode mode,
		      const char *name)
{
	struct kvm_regs regs;
	bool joined = false;
	struct kick *k;
	double t0, t;
	int i;

	if (mode != KICK_IN_GUEST)
		VTX_REQUIRE_CAP(vcpu->vm->dev_fd, KVM_CAP_IMMEDIATE_EXIT);
	k = calloc(1, sizeof(*k));
	ASSERT_NE(NULL, k);
	k->vcpu = vcpu;
	k->counter = vtx_gpa2hva(vcpu->vm, KICK_COUNTER_GPA);
	k->mode = mode;
	k->iters = kick_iters();
	/* the vCPU on CPU 1, the kicker on CPU 0: both run at once */
	k->vcpu_cpu = online_cpus() > 1 ? 1 : 0;
	handler_run = vcpu->run;
	handler_sets_immediate_exit = mode != KICK_IN_GUEST;
	atomic_store(&handler_calls, 0);
	pin_to_cpu(0);

	t0 = now_sec();
	ASSERT_EQ(0, pthread_create(&k->thread, NULL, vcpu_thread, k));
	kicker(k);
	if (k->error[0]) {
		atomic_store(&k->stop, true);
		/* unstick a KVM_RUN that a lost kick left going */
		for (i = 0; i < 50 && !joined; i++) {
			joined = !pthread_tryjoin_np(k->thread, NULL);
			if (!joined) {
				pthread_kill(k->thread, KICK_SIGNAL);
				usleep(100 * 1000);
			}
		}
	}
	if (!joined)
		pthread_join(k->thread, NULL);
	t = now_sec() - t0;

	TH_LOG("%s %s: %ld of %ld kicks ended KVM_RUN (%ld by the signal in KVM_RUN with KVM_EXIT_INTR, %ld of them before the guest's counter moved; %ld before entering with immediate_exit), %ld signals, %.2f s, %.0f us per kick",
	       DRIVER, name, atomic_load(&k->ended), k->iters, k->by_signal,
	       k->by_signal_early, k->by_immediate,
	       atomic_load(&handler_calls), t,
	       1e6 * t / (atomic_load(&k->ended) ? atomic_load(&k->ended) : 1));
	EXPECT_STREQ("", k->error);
	EXPECT_EQ(k->iters, atomic_load(&k->ended));
	/* one signal per kick, none spurious */
	EXPECT_EQ(atomic_load(&k->ended), atomic_load(&handler_calls));
	/* still the spinning guest, at its loop */
	vtx_get_regs(vcpu, &regs);
	EXPECT_LE(VTX_CODE_GPA, regs.rip);
	EXPECT_GT(VTX_BLOB_GPA(kick_guest, kick_guest_end), regs.rip);
	handler_run = NULL;
	free(k);
}

/* The signal while the guest spins: KVM_EXIT_INTR, every time. */
TEST_F_TIMEOUT(kick, in_guest, 1800)
{
	kick_test(_metadata, self->vcpu, KICK_IN_GUEST, "in_guest");
}

/* The handler's immediate_exit before KVM_RUN: no entry, every time. */
TEST_F_TIMEOUT(kick, before_run, 1800)
{
	kick_test(_metadata, self->vcpu, KICK_BEFORE_RUN, "before_run");
}

/* The signal at any point of KVM_RUN: it ends that run, one way or other. */
TEST_F_TIMEOUT(kick, any_time, 1800)
{
	kick_test(_metadata, self->vcpu, KICK_ANY_TIME, "any_time");
}

VTX_TEST_MAIN
