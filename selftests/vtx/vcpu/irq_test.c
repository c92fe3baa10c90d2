// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupts and NMIs without an in-kernel irqchip, the way a VMM with a
 * userspace interrupt controller injects them: request_interrupt_window,
 * KVM_EXIT_IRQ_WINDOW_OPEN, ready_for_interrupt_injection and if_flag,
 * KVM_INTERRUPT, KVM_NMI; KVM_GET/SET_VCPU_EVENTS and KVM_GET/SET_MP_STATE.
 * The guest's own IDT handler reports each delivery.
 */
#include <errno.h>
#include <string.h>

#include "vcpu_test.h"
#include "irq.h"

extern const uint8_t irq_window_guest[], irq_window_guest_end[],
	irq_window_stubs[];
extern const uint8_t irq_cli_guest[], irq_cli_guest_end[], irq_cli_stubs[];
extern const uint8_t nmi_guest[], nmi_guest_end[], nmi_stubs[],
	nmi_guest_next[];
extern const uint8_t nmi_masked_guest[], nmi_masked_guest_end[],
	nmi_masked_stubs[];
extern const uint8_t events_guest[], events_guest_end[], events_stubs[];


static struct vtx_vcpu *irq_guest(const uint8_t *start, const uint8_t *end,
				  const uint8_t *stubs)
{
	struct vtx_vcpu *vcpu = guest_create(VTX_MODE_LONG64, start, end,
					     stubs);

	vcpu_set_supported_cpuid(vcpu);
	guest_enable_if(vcpu);
	/* an event may come before the guest's first instruction */
	*(uint64_t *)vtx_gpa2hva(vcpu->vm, EXC_RESUME_GPA) = EXC_RESUME_IRET;
	return vcpu;
}

static long inject(struct vtx_vcpu *vcpu, uint32_t vector)
{
	struct kvm_interrupt irq = { .irq = vector };

	return __vtx_ioctl(vcpu->fd, KVM_INTERRUPT, &irq);
}

TEST(interrupt_window)
{
	struct vtx_vcpu *vcpu;
	struct kvm_run *run;
	struct vtx_ucall uc;

	vcpu = irq_guest(irq_window_guest, irq_window_guest_end,
			 irq_window_stubs);
	run = vcpu->run;

	/* IF = 0: not ready */
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	ASSERT_EQ(1, uc.regs.rbx);
	EXPECT_EQ(0, run->if_flag);
	EXPECT_EQ(0, run->ready_for_interrupt_injection);

	/* the guest's STI opens the window (after the instruction behind) */
	run->request_interrupt_window = 1;
	vtx_run(vcpu);
	ASSERT_EQ(KVM_EXIT_IRQ_WINDOW_OPEN, run->exit_reason)
		TH_LOG("%s", describe_exit(vcpu));
	EXPECT_EQ(1, run->if_flag);
	EXPECT_EQ(1, run->ready_for_interrupt_injection);
	EXPECT_EQ(0, guest_exc_count(vcpu, IRQ_VEC));

	/* inject: the guest's handler for the vector runs, with IF = 0 */
	EXPECT_EQ(-EINVAL, inject(vcpu, 256));
	ASSERT_EQ(0, inject(vcpu, IRQ_VEC));
	run->request_interrupt_window = 0;
	RUN_EXC(vcpu, IRQ_VEC, 0, ~0ull, &uc);
	EXPECT_NE(0, uc.regs.rdi & RFLAGS_IF) TH_LOG("the frame's RFLAGS.IF");
	EXPECT_EQ(0, run->if_flag);	/* inside the interrupt gate */
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	EXPECT_EQ(2, uc.regs.rbx);
	EXPECT_EQ(1, guest_exc_count(vcpu, IRQ_VEC));
	EXPECT_EQ(1, run->if_flag);
	EXPECT_EQ(1, run->ready_for_interrupt_injection);
	RUN_HLT(vcpu);
}

/*
 * KVM_INTERRUPT while the guest has IF = 0 breaks the contract: userspace
 * must wait for ready_for_interrupt_injection.  KVM 6.1 treats the vector
 * as already accepted (kvm_queue_interrupt(): interrupt.injected) and
 * injects it at the next entry whatever RFLAGS.IF; vtx does the same
 * (api.rst, 4.23).  VM entry refuses an external interrupt with IF = 0, so
 * the run ends in KVM_EXIT_FAIL_ENTRY, invalid guest state (80000021H).
 */
TEST(interrupt_while_if0)
{
	struct vtx_vcpu *vcpu;
	struct kvm_run *run;
	struct vtx_ucall uc;

	vcpu = irq_guest(irq_cli_guest, irq_cli_guest_end, irq_cli_stubs);
	run = vcpu->run;
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	ASSERT_EQ(1, uc.regs.rbx);
	EXPECT_EQ(0, run->if_flag);
	EXPECT_EQ(0, run->ready_for_interrupt_injection);
	ASSERT_EQ(0, inject(vcpu, IRQ_VEC));
	vtx_run(vcpu);
	ASSERT_EQ(KVM_EXIT_FAIL_ENTRY, run->exit_reason)
		TH_LOG("%s", describe_exit(vcpu));
	EXPECT_EQ(0x80000021ull,
		  run->fail_entry.hardware_entry_failure_reason);
	EXPECT_EQ(0, guest_exc_count(vcpu, IRQ_VEC));
}

TEST(nmi)
{
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;

	vcpu = irq_guest(nmi_guest, nmi_guest_end, nmi_stubs);
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_NMI, 0));
	/* delivered before the instruction after the ucall's OUT */
	RUN_EXC(vcpu, NMI_VEC, 0, VTX_BLOB_GPA(nmi_guest, nmi_guest_next),
		&uc);
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	EXPECT_EQ(2, uc.regs.rbx);
	EXPECT_EQ(1, guest_exc_count(vcpu, NMI_VEC));
	RUN_HLT(vcpu);
}

static void get_events(struct vtx_vcpu *vcpu, struct kvm_vcpu_events *ev)
{
	memset(ev, 0xee, sizeof(*ev));
	vtx_ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, ev);
}

/*
 * NMIs made pending while NMIs are blocked: nothing is delivered until the
 * guest's IRET unblocks them, and then one, because the processor latches
 * only one NMI while NMIs are blocked.  KVM 6.1 keeps at most one pending
 * NMI when NMIs are masked (process_nmi()) and reports nmi.pending as 0
 * or 1.
 */
TEST(nmi_masked)
{
	struct kvm_vcpu_events ev;
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;

	vcpu = irq_guest(nmi_masked_guest, nmi_masked_guest_end,
			 nmi_masked_stubs);
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	ASSERT_EQ(1, uc.regs.rbx);

	get_events(vcpu, &ev);
	ev.flags = 0;
	ev.nmi.masked = 1;
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev));
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_NMI, 0));
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_NMI, 0));

	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	ASSERT_EQ(2, uc.regs.rbx);
	EXPECT_EQ(0, guest_exc_count(vcpu, NMI_VEC));
	get_events(vcpu, &ev);
	EXPECT_EQ(1, ev.nmi.masked);
	/* only one NMI is kept while NMIs are blocked */
	EXPECT_EQ(1, ev.nmi.pending)
		TH_LOG("two KVM_NMI while NMIs are blocked");

	/* the IRET: one NMI */
	RUN_EXC(vcpu, NMI_VEC, 0, ~0ull, &uc);
	vtx_run(vcpu);
	if (vtx_get_ucall(vcpu, &uc) == UCALL_EXC) {
		TH_LOG("a second NMI was delivered: %s", describe_exit(vcpu));
		vtx_run(vcpu);
	}
	ASSERT_EQ(UCALL_REPORT, vtx_get_ucall(vcpu, &uc))
		TH_LOG("%s", describe_exit(vcpu));
	EXPECT_EQ(1, uc.regs.rbx) TH_LOG("NMIs delivered after the IRET");
	get_events(vcpu, &ev);
	EXPECT_EQ(0, ev.nmi.pending);
	EXPECT_EQ(0, ev.nmi.masked);
	RUN_HLT(vcpu);
}

TEST(vcpu_events_roundtrip)
{
	struct kvm_vcpu_events ev;
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;

	vcpu = irq_guest(events_guest, events_guest_end, events_stubs);
	VTX_REQUIRE_CAP(vcpu->vm->dev_fd, KVM_CAP_VCPU_EVENTS);

	/* a new vCPU: nothing pending */
	get_events(vcpu, &ev);
	EXPECT_EQ(KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW |
		  KVM_VCPUEVENT_VALID_SMM, ev.flags);
	EXPECT_EQ(0, ev.exception.injected);
	EXPECT_EQ(0, ev.interrupt.injected);
	EXPECT_EQ(0, ev.interrupt.shadow);
	EXPECT_EQ(0, ev.nmi.injected);
	EXPECT_EQ(0, ev.nmi.pending);
	EXPECT_EQ(0, ev.nmi.masked);
	EXPECT_EQ(0, ev.smi.smm);

	/* KVM_INTERRUPT shows as the injected interrupt */
	ASSERT_EQ(0, inject(vcpu, IRQ_VEC));
	get_events(vcpu, &ev);
	EXPECT_EQ(1, ev.interrupt.injected);
	EXPECT_EQ(IRQ_VEC, ev.interrupt.nr);
	EXPECT_EQ(0, ev.interrupt.soft);

	/* set a pending interrupt and NMI blocking; read them back */
	memset(&ev, 0, sizeof(ev));
	ev.interrupt.injected = 1;
	ev.interrupt.nr = IRQ_VEC2 - 1;
	ev.nmi.masked = 1;
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev));
	get_events(vcpu, &ev);
	EXPECT_EQ(1, ev.interrupt.injected);
	EXPECT_EQ(IRQ_VEC2 - 1, ev.interrupt.nr);
	EXPECT_EQ(1, ev.nmi.masked);
	EXPECT_EQ(0, ev.nmi.pending);
	EXPECT_EQ(0, ev.exception.injected);

	/* set again: the interrupt replaced, NMIs unblocked */
	memset(&ev, 0, sizeof(ev));
	ev.interrupt.injected = 1;
	ev.interrupt.nr = IRQ_VEC2;
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev));
	get_events(vcpu, &ev);
	EXPECT_EQ(1, ev.interrupt.injected);
	EXPECT_EQ(IRQ_VEC2, ev.interrupt.nr);
	EXPECT_EQ(0, ev.nmi.masked);

	/* bad flags and exception vectors: EINVAL */
	memset(&ev, 0, sizeof(ev));
	ev.flags = 0x80000000;
	EXPECT_EQ(-EINVAL, __vtx_ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev));
	memset(&ev, 0, sizeof(ev));
	ev.exception.injected = 1;
	ev.exception.nr = NMI_VEC;
	EXPECT_EQ(-EINVAL, __vtx_ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev));
	ev.exception.nr = 32;
	EXPECT_EQ(-EINVAL, __vtx_ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev));
	get_events(vcpu, &ev);
	EXPECT_EQ(1, ev.interrupt.injected);
	EXPECT_EQ(IRQ_VEC2, ev.interrupt.nr);

	/* the guest (IF = 1) takes it */
	RUN_EXC(vcpu, IRQ_VEC2, 0, ~0ull, &uc);
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	EXPECT_EQ(1, guest_exc_count(vcpu, IRQ_VEC2));
	EXPECT_EQ(0, guest_exc_count(vcpu, IRQ_VEC2 - 1));
	get_events(vcpu, &ev);
	EXPECT_EQ(0, ev.interrupt.injected);

	/* pending NMIs: reported as a flag, 0 or 1, as KVM does */
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_NMI, 0));
	get_events(vcpu, &ev);
	EXPECT_EQ(1, ev.nmi.pending);
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_NMI, 0));
	get_events(vcpu, &ev);
	/* two NMIs may wait, but nmi.pending is a flag (KVM 6.1) */
	EXPECT_EQ(1, ev.nmi.pending);
	ev.flags = KVM_VCPUEVENT_VALID_NMI_PENDING;
	ev.nmi.pending = 0;
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev));
	get_events(vcpu, &ev);
	EXPECT_EQ(0, ev.nmi.pending);
	RUN_HLT(vcpu);
	EXPECT_EQ(0, guest_exc_count(vcpu, NMI_VEC));
}

/* Without an in-kernel irqchip a vCPU is always RUNNABLE, as on KVM. */
TEST(mp_state)
{
	static const uint32_t refused[] = {
		KVM_MP_STATE_UNINITIALIZED, KVM_MP_STATE_INIT_RECEIVED,
		KVM_MP_STATE_HALTED, KVM_MP_STATE_SIPI_RECEIVED,
	};
	struct kvm_mp_state mp;
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;
	unsigned int i;

	vcpu = irq_guest(events_guest, events_guest_end, events_stubs);
	VTX_REQUIRE_CAP(vcpu->vm->dev_fd, KVM_CAP_MP_STATE);
	mp.mp_state = 0xee;
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_GET_MP_STATE, &mp));
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, mp.mp_state);
	mp.mp_state = KVM_MP_STATE_RUNNABLE;
	EXPECT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp));
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		mp.mp_state = refused[i];
		EXPECT_EQ(-EINVAL, __vtx_ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp))
			TH_LOG("mp_state %u", refused[i]);
	}
	mp.mp_state = 0xee;
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_GET_MP_STATE, &mp));
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, mp.mp_state);

	/* HLT exits to userspace; the vCPU stays RUNNABLE */
	memset(vtx_gpa2hva(vcpu->vm, IRQ_COUNT(IRQ_VEC2)), 1, 1);
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	RUN_HLT(vcpu);
	mp.mp_state = 0xee;
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_GET_MP_STATE, &mp));
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, mp.mp_state);
}

VTX_TEST_MAIN
