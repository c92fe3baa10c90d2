// SPDX-License-Identifier: GPL-2.0
/*
 * Run control: kvm_run.immediate_exit, a signal interrupting a guest that
 * never exits by itself, triple faults, and a long computation that host
 * timer interrupts hit many times.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "vtx_test.h"
#include "runctl.h"
#include "kvm_rmode.h"

extern const uint8_t rc_in_guest[], rc_in_guest_end[], rc_in_insn[],
	rc_in_done[], rc_in_halted[];
extern const uint8_t rc_spin_guest[], rc_spin_guest_end[], rc_spin_loop[];
extern const uint8_t rc_tf_real_guest[], rc_tf_real_guest_end[];
extern const uint8_t rc_tf_long_guest[], rc_tf_long_guest_end[];
extern const uint8_t rc_loop_guest[], rc_loop_guest_end[];

/* Never a real exit reason: shows whether KVM_RUN wrote exit_reason */
#define EXIT_REASON_SENTINEL	0xdead

#define RFLAGS_IF		(1ull << 9)

/*
 * Give the guest RFLAGS.IF = 1.  Nothing ever injects an interrupt here, so
 * for the guest this changes nothing; it is for the test VM: Bochs does not
 * turn a host (L1) interrupt into a VM exit while the nested guest runs
 * with IF = 0, although "external-interrupt exiting" must do so whatever
 * the guest's IF (SDM 25.2).  A guest spinning with IF = 0 there never
 * leaves the CPU and the whole test VM hangs.  Real hardware and kvm_intel
 * do not care.
 */
static void guest_enable_if(struct vtx_vcpu *vcpu)
{
	struct kvm_regs regs;

	vtx_get_regs(vcpu, &regs);
	regs.rflags |= RFLAGS_IF;
	vtx_set_regs(vcpu, &regs);
}

/*
 * immediate_exit = 1: KVM_RUN returns -EINTR without entering the guest,
 * but only after completing an I/O the previous exit left pending (KVM's
 * documented way to finish an I/O before e.g. saving state).
 *
 * kvm_run.exit_reason: KVM 6.1 does not write it on this path (it sets
 * KVM_EXIT_INTR only when a signal stops KVM_RUN), so it keeps what the
 * host last saw there.
 */
TEST(immediate_exit)
{
	struct vtx_vcpu *vcpu;
	struct kvm_regs regs;
	struct kvm_run *run;
	uint8_t value = 0x77;

	vcpu = vtx_create_guest(VTX_MODE_REAL, rc_in_guest, rc_in_guest_end);
	VTX_REQUIRE_CAP(vcpu->vm->dev_fd, KVM_CAP_IMMEDIATE_EXIT);
	run = vcpu->run;

	/* before the first entry: nothing runs */
	run->immediate_exit = 1;
	run->exit_reason = EXIT_REASON_SENTINEL;
	ASSERT_EQ(-EINTR, __vtx_run(vcpu));
	TH_LOG("exit_reason after immediate exit: %#x", run->exit_reason);
	EXPECT_EQ(EXIT_REASON_SENTINEL, run->exit_reason);
	vtx_get_regs(vcpu, &regs);
	EXPECT_EQ(VTX_CODE_GPA, regs.rip);
	EXPECT_EQ(0, regs.rax);

	/* run to the IN, answer it, then ask for an immediate exit */
	run->immediate_exit = 0;
	vtx_run(vcpu);
	ASSERT_IO(vcpu, KVM_EXIT_IO_IN, RC_PORT_IN, 1, 1);
	vtx_get_regs(vcpu, &regs);
	EXPECT_EQ(VTX_BLOB_GPA(rc_in_guest, rc_in_insn), regs.rip);
	memcpy(vtx_io_data(vcpu), &value, 1);
	run->immediate_exit = 1;
	ASSERT_EQ(-EINTR, __vtx_run(vcpu));
	EXPECT_EQ(KVM_EXIT_IO, run->exit_reason);
	/* the IN is complete: AL has the data, RIP is past the IN */
	vtx_get_regs(vcpu, &regs);
	EXPECT_EQ(VTX_BLOB_GPA(rc_in_guest, rc_in_done), regs.rip);
	EXPECT_EQ(0x11223300 | value, regs.rax);

	/* again: nothing pending, nothing runs */
	ASSERT_EQ(-EINTR, __vtx_run(vcpu));
	vtx_get_regs(vcpu, &regs);
	EXPECT_EQ(VTX_BLOB_GPA(rc_in_guest, rc_in_done), regs.rip);

	/* and the guest goes on from there, without a second IN exit */
	run->immediate_exit = 0;
	vtx_run(vcpu);
	ASSERT_EXIT(vcpu, KVM_EXIT_HLT);
	vtx_get_regs(vcpu, &regs);
	EXPECT_EQ(VTX_BLOB_GPA(rc_in_guest, rc_in_halted), regs.rip);
	EXPECT_EQ(0x11223300 | value, regs.rax);
}

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal++;
}

/*
 * A guest that spins forever; a timer signal (with a handler, no
 * SA_RESTART) must make KVM_RUN return -EINTR with KVM_EXIT_INTR.
 * Twice, to see the vCPU goes back in after the first one.
 */
TEST(signal_interrupts_run)
{
	struct sigevent sev = {
		.sigev_notify = SIGEV_SIGNAL,
		.sigev_signo = SIGUSR1,
	};
	struct itimerspec its = {
		.it_value.tv_nsec = 50 * 1000 * 1000,	/* 50 ms */
	};
	struct sigaction sa = { .sa_handler = on_signal };
	struct vtx_vcpu *vcpu;
	struct kvm_regs regs;
	timer_t timer;
	int i;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, timer_create(CLOCK_MONOTONIC, &sev, &timer));
	vcpu = vtx_create_guest(VTX_MODE_LONG64, rc_spin_guest,
				rc_spin_guest_end);
	guest_enable_if(vcpu);

	for (i = 1; i <= 2; i++) {
		ASSERT_EQ(0, timer_settime(timer, 0, &its, NULL));
		vcpu->run->exit_reason = EXIT_REASON_SENTINEL;
		ASSERT_EQ(-EINTR, __vtx_run(vcpu));
		EXPECT_EQ(i, got_signal);
		ASSERT_EXIT(vcpu, KVM_EXIT_INTR);
		vtx_get_regs(vcpu, &regs);
		EXPECT_EQ(VTX_BLOB_GPA(rc_spin_guest, rc_spin_loop), regs.rip);
	}
	timer_delete(timer);
}

/*
 * Real mode, IDT limit 0, INT n: #GP, #DF, triple fault -> SHUTDOWN.
 * kvm_intel without unrestricted guest lets the processor vector INT n
 * through the IVT in virtual-8086 mode, past the limit (kvm_rmode.h).
 */
TEST(triple_fault_real_mode)
{
	struct vtx_vcpu *vcpu;

	vcpu = vtx_create_guest(VTX_MODE_REAL, rc_tf_real_guest,
				rc_tf_real_guest_end);
	if (kvm_without_unrestricted_guest(vcpu->vm->dev_fd))
		SKIP(return, "kvm_intel without unrestricted guest: INT n "
		     "goes through the IVT whatever IDTR.limit (vm86, VME)");
	vtx_run(vcpu);
	ASSERT_EXIT(vcpu, KVM_EXIT_SHUTDOWN);
}

TEST(triple_fault_long_mode)
{
	struct vtx_vcpu *vcpu;

	vcpu = vtx_create_guest(VTX_MODE_LONG64, rc_tf_long_guest,
				rc_tf_long_guest_end);
	vtx_run(vcpu);
	ASSERT_EXIT(vcpu, KVM_EXIT_SHUTDOWN);
}

/*
 * ~80 million guest instructions in one KVM_RUN: host timer interrupts
 * cause many VM exits the host handles without leaving KVM_RUN; the guest
 * state must survive every one of them.
 */
TEST(long_compute_loop)
{
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;
	struct timespec t0, t1;
	uint64_t x = 0, i;

	for (i = RC_LOOP_N; i; i--) {
		x += i;
		x = (x << 5) | (x >> 59);
	}

	vcpu = vtx_create_guest(VTX_MODE_LONG64, rc_loop_guest,
				rc_loop_guest_end);
	guest_enable_if(vcpu);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	vtx_run(vcpu);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ASSERT_EQ(UCALL_REPORT, vtx_get_ucall(vcpu, &uc))
		TH_LOG("exit %s", vtx_exit_reason_str(vcpu->run->exit_reason));
	EXPECT_EQ(x, uc.regs.rbx);
	TH_LOG("%d iterations took %.3f s of this machine's time", RC_LOOP_N,
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	vtx_run(vcpu);
	ASSERT_EXIT(vcpu, KVM_EXIT_HLT);
}

VTX_TEST_MAIN
