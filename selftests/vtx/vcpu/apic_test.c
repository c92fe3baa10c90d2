// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel local APIC with a split irqchip (KVM_CAP_SPLIT_IRQCHIP):
 * the capability's rules, KVM_GET_LAPIC's reset page, the timer in
 * one-shot, periodic and TSC-deadline modes with HLT sleeping in the
 * kernel, a fixed IPI between two vCPUs, INIT and SIPI starting a vCPU
 * (KVM_GET/SET_MP_STATE on the way), userspace's 8259 through LINT0
 * (KVM_INTERRUPT, the interrupt window).  The same binary on kvm_intel.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "vcpu_test.h"
#include "apic.h"

extern const uint8_t apic_oneshot_guest[], apic_oneshot_guest_end[],
	apic_oneshot_stubs[];
extern const uint8_t apic_periodic_guest[], apic_periodic_guest_end[],
	apic_periodic_stubs[];
extern const uint8_t apic_tscdl_guest[], apic_tscdl_guest_end[],
	apic_tscdl_stubs[];
extern const uint8_t apic_ipi_guest[], apic_ipi_guest_end[],
	apic_ipi_stubs[];
extern const uint8_t apic_sipi_guest[], apic_sipi_guest_end[],
	apic_sipi_stubs[];
extern const uint8_t apic_ap_code[], apic_ap_code_end[];
extern const uint8_t apic_extint_guest[], apic_extint_guest_end[],
	apic_extint_stubs[];

/* KVM_CAP_SPLIT_IRQCHIP's argument as QEMU passes it: 24 IOAPIC pins */
#define SPLIT_PINS		24
/* The register page: 32-bit registers 16 bytes apart */
#define LAPIC_REG(s, off)	(*(uint32_t *)&(s)->regs[off])
#define APIC_ID_OFF		0x20
#define APIC_LVR_OFF		0x30
#define APIC_SVR_OFF		0xf0
#define APIC_LVTT_OFF		0x320
#define APIC_LVT0_OFF		0x350
#define APIC_LVT1_OFF		0x360
#define APIC_LVTERR_OFF		0x370
#define APIC_DFR_OFF		0xe0
#define APIC_VERSION		0x14	/* an integrated APIC, as KVM's */
#define LVT0_EXTINT		0x700
/* CPUID.1:ECX */
#define CPUID1_X2APIC		(1u << 21)
#define CPUID1_TSC_DEADLINE	(1u << 24)

static long enable_split(struct vtx_vm *vm, uint64_t pins)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_SPLIT_IRQCHIP, .args = { pins },
	};

	return __vtx_ioctl(vm->fd, KVM_ENABLE_CAP, &cap);
}

/* A VM with a split irqchip and RAM, no vCPU yet. */
static struct vtx_vm *split_vm(void)
{
	struct vtx_vm *vm = vtx_vm_create_default();

	VTX_ASSERT(!enable_split(vm, SPLIT_PINS), "KVM_CAP_SPLIT_IRQCHIP: %s",
		   strerror(errno));
	return vm;
}

/* vCPU @id of @vm running @start in long mode, its CPUID as supported. */
static struct vtx_vcpu *apic_vcpu(struct vtx_vm *vm, unsigned int id,
				  const uint8_t *start, const uint8_t *stubs,
				  uint32_t cpuid1_ecx)
{
	struct kvm_cpuid2 *cpuid = guest_cpuid_copy();
	struct kvm_cpuid_entry2 *e = cpuid_find(cpuid, 1, 0);
	struct vtx_vcpu *vcpu;

	if (e)
		e->ecx |= cpuid1_ecx;
	vcpu = long_vcpu_add(vm, id, start, stubs, cpuid, true);
	free(cpuid);
	return vcpu;
}

/* SIGALRM only interrupts KVM_RUN (no SA_RESTART) */
static void on_alarm(int sig)
{
}

/* The capability's rules (KVM 6.1's errnos). */
TEST(split_irqchip_enable)
{
	struct vtx_vm *vm = vtx_vm_create_default();
	struct kvm_lapic_state s;
	struct vtx_vcpu *vcpu;

	ASSERT_NE(0, vtx_check_extension(vm->dev_fd, KVM_CAP_SPLIT_IRQCHIP));
	EXPECT_EQ(-EINVAL, enable_split(vm, 4097));
	EXPECT_EQ(0, enable_split(vm, SPLIT_PINS));
	EXPECT_EQ(-EEXIST, enable_split(vm, SPLIT_PINS));
	vtx_vm_free(vm);

	/* not once a vCPU exists; no LAPIC state without an irqchip */
	vm = vtx_vm_create_default();
	vcpu = vtx_vcpu_add(vm, 0);
	EXPECT_EQ(-EEXIST, enable_split(vm, SPLIT_PINS));
	EXPECT_EQ(-EINVAL, __vtx_ioctl(vcpu->fd, KVM_GET_LAPIC, &s));
	EXPECT_EQ(-EINVAL, __vtx_ioctl(vcpu->fd, KVM_SET_LAPIC, &s));
	vtx_vm_free(vm);
}

/* The APIC's reset state, and which vCPU runs first. */
TEST(lapic_reset_state)
{
	struct vtx_vm *vm = split_vm();
	struct vtx_vcpu *bsp = vtx_vcpu_add(vm, 0), *ap = vtx_vcpu_add(vm, 1);
	struct kvm_lapic_state s;
	struct kvm_mp_state mp;
	uint32_t off;

	memset(&s, 0xcc, sizeof(s));
	ASSERT_EQ(0, __vtx_ioctl(ap->fd, KVM_GET_LAPIC, &s));
	EXPECT_EQ(1u << 24, LAPIC_REG(&s, APIC_ID_OFF));
	EXPECT_EQ(APIC_VERSION, LAPIC_REG(&s, APIC_LVR_OFF) & 0xff);
	EXPECT_EQ(0xffu, LAPIC_REG(&s, APIC_SVR_OFF));
	EXPECT_EQ(0xffffffffu, LAPIC_REG(&s, APIC_DFR_OFF));
	for (off = APIC_LVTT_OFF; off <= APIC_LVTERR_OFF; off += 0x10)
		EXPECT_EQ((uint32_t)LVT_MASKED, LAPIC_REG(&s, off))
			TH_LOG("LVT at %#x", off);
	/* KVM's quirk: the BSP's LINT0 takes the 8259 from reset */
	ASSERT_EQ(0, __vtx_ioctl(bsp->fd, KVM_GET_LAPIC, &s));
	EXPECT_EQ(0u, LAPIC_REG(&s, APIC_ID_OFF));
	EXPECT_EQ((uint32_t)LVT0_EXTINT, LAPIC_REG(&s, APIC_LVT0_OFF));

	ASSERT_EQ(0, __vtx_ioctl(bsp->fd, KVM_GET_MP_STATE, &mp));
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, mp.mp_state);
	ASSERT_EQ(0, __vtx_ioctl(ap->fd, KVM_GET_MP_STATE, &mp));
	EXPECT_EQ(KVM_MP_STATE_UNINITIALIZED, mp.mp_state);
	mp.mp_state = 0xee;
	EXPECT_EQ(-EINVAL, __vtx_ioctl(ap->fd, KVM_SET_MP_STATE, &mp));

	/*
	 * KVM_SET_LAPIC takes the page back as it was, but for the version
	 * register, which is the APIC's (QEMU's page has 0 there)
	 */
	ASSERT_EQ(0, __vtx_ioctl(ap->fd, KVM_GET_LAPIC, &s));
	LAPIC_REG(&s, APIC_LVT1_OFF) = 0x400;	/* NMI, unmasked */
	LAPIC_REG(&s, APIC_LVR_OFF) = 0;
	ASSERT_EQ(0, __vtx_ioctl(ap->fd, KVM_SET_LAPIC, &s));
	memset(&s, 0, sizeof(s));
	ASSERT_EQ(0, __vtx_ioctl(ap->fd, KVM_GET_LAPIC, &s));
	EXPECT_EQ(0x400u, LAPIC_REG(&s, APIC_LVT1_OFF));
	EXPECT_EQ(APIC_VERSION, LAPIC_REG(&s, APIC_LVR_OFF) & 0xff);
	EXPECT_EQ(1u << 24, LAPIC_REG(&s, APIC_ID_OFF));
	vtx_vm_free(vm);
}

/* A one-shot timer wakes the halted vCPU; no HLT reaches userspace. */
TEST(timer_oneshot)
{
	struct vtx_vm *vm = split_vm();
	struct vtx_vcpu *vcpu;
	uint64_t count;

	vtx_load_code(vm, VTX_CODE_GPA, apic_oneshot_guest,
		      apic_oneshot_guest_end);
	vcpu = apic_vcpu(vm, 0, apic_oneshot_guest, apic_oneshot_stubs,
			 CPUID1_X2APIC);
	RUN_UNTIL_VEC(vcpu, UCALL_REPORT, TIMER_VEC, &count);
	EXPECT_EQ(0, count) TH_LOG("current count after expiry");
	RUN_UNTIL_VEC(vcpu, UCALL_STEP, TIMER_VEC, NULL);
	EXPECT_EQ(1, guest_exc_count(vcpu, TIMER_VEC));
	vtx_vm_free(vm);
}

/*
 * A periodic timer fires again and again, until stopped.  kvm_intel in the
 * Bochs test VM stops delivering after two periods (with and without its
 * VMX-preemption timer; the cause is not known yet): skipped there, with
 * the count, so that the reference's behaviour stays visible.
 */
TEST(timer_periodic)
{
	struct vtx_vm *vm = split_vm();
	struct vtx_vcpu *vcpu;
	char err[256];

	vtx_load_code(vm, VTX_CODE_GPA, apic_periodic_guest,
		      apic_periodic_guest_end);
	vcpu = apic_vcpu(vm, 0, apic_periodic_guest, apic_periodic_stubs,
			 CPUID1_X2APIC);
	if (run_until_ucall(vcpu, UCALL_STEP, TIMER_VEC, NULL, err,
			    sizeof(err))) {
		if (IS_KVM)
			SKIP(goto out, "kvm_intel: %s", err);
		ASSERT_TRUE(false) TH_LOG("%s", err);
	}
	EXPECT_LE(PERIODIC_N, guest_exc_count(vcpu, TIMER_VEC));
out:
	vtx_vm_free(vm);
}

/* The TSC-deadline timer (CPUID's bit set by the VMM, as QEMU does). */
TEST(timer_tsc_deadline)
{
	struct vtx_vm *vm = split_vm();
	struct vtx_vcpu *vcpu;
	uint64_t deadline;

	ASSERT_NE(0, vtx_check_extension(vm->dev_fd,
					 KVM_CAP_TSC_DEADLINE_TIMER));
	vtx_load_code(vm, VTX_CODE_GPA, apic_tscdl_guest,
		      apic_tscdl_guest_end);
	vcpu = apic_vcpu(vm, 0, apic_tscdl_guest, apic_tscdl_stubs,
			 CPUID1_X2APIC | CPUID1_TSC_DEADLINE);
	RUN_UNTIL_VEC(vcpu, UCALL_REPORT, TIMER_VEC, &deadline);
	EXPECT_EQ(0, deadline) TH_LOG("IA32_TSC_DEADLINE after expiry");
	RUN_UNTIL_VEC(vcpu, UCALL_STEP, TIMER_VEC, NULL);
	EXPECT_EQ(1, guest_exc_count(vcpu, TIMER_VEC));
	vtx_vm_free(vm);
}

struct runner {
	struct vtx_vcpu *vcpu;
	uint32_t code;		/* the ucall that ends the run */
	unsigned int vec;	/* interrupt reports to go through */
	uint64_t rbx;
	int r;
	char err[256];
};

static void *runner_fn(void *arg)
{
	struct runner *t = arg;

	t->r = run_until_ucall(t->vcpu, t->code, t->vec, &t->rbx, t->err,
			       sizeof(t->err));
	return NULL;
}

/* A fixed IPI wakes the other vCPU, halted in the kernel. */
TEST(ipi_fixed)
{
	struct vtx_vm *vm = split_vm();
	struct runner t = { .code = UCALL_STEP, .vec = IPI_VEC };
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct vtx_vcpu *bsp, *ap;
	pthread_t tid;

	vtx_load_code(vm, VTX_CODE_GPA, apic_ipi_guest, apic_ipi_guest_end);
	bsp = apic_vcpu(vm, 0, apic_ipi_guest, apic_ipi_stubs, CPUID1_X2APIC);
	ap = apic_vcpu(vm, 1, apic_ipi_guest, apic_ipi_stubs, CPUID1_X2APIC);
	/* the AP runs at once, without INIT/SIPI */
	ASSERT_EQ(0, __vtx_ioctl(ap->fd, KVM_SET_MP_STATE, &mp));
	t.vcpu = ap;
	ASSERT_EQ(0, pthread_create(&tid, NULL, runner_fn, &t));
	RUN_UNTIL_VEC(bsp, UCALL_STEP, IPI_VEC, NULL);
	pthread_join(tid, NULL);
	ASSERT_EQ(0, t.r) TH_LOG("vCPU 1: %s", t.err);
	EXPECT_EQ(2, t.rbx);
	EXPECT_EQ(1, guest_exc_count(ap, IPI_VEC));
	vtx_vm_free(vm);
}

/*
 * INIT and SIPI start a vCPU that waited from creation: its KVM_RUN
 * sleeps in the kernel until then, and it starts in real mode at
 * vector:0000.
 */
TEST(init_sipi)
{
	struct vtx_vm *vm = split_vm();
	struct vtx_vcpu *bsp, *ap;
	struct kvm_mp_state mp;
	struct kvm_sregs sregs;
	struct vtx_ucall uc;
	uint16_t *magic;

	vtx_load_code(vm, VTX_CODE_GPA, apic_sipi_guest, apic_sipi_guest_end);
	vtx_load_code(vm, AP_CODE_GPA, apic_ap_code, apic_ap_code_end);
	bsp = apic_vcpu(vm, 0, apic_sipi_guest, apic_sipi_stubs,
			CPUID1_X2APIC);
	ap = vtx_vcpu_add(vm, 1);
	ASSERT_EQ(0, __vtx_ioctl(ap->fd, KVM_GET_MP_STATE, &mp));
	EXPECT_EQ(KVM_MP_STATE_UNINITIALIZED, mp.mp_state);

	RUN_UCALL(bsp, UCALL_STEP, &uc);	/* INIT sent */
	ASSERT_EQ(1, uc.regs.rbx);
	ASSERT_EQ(0, __vtx_ioctl(ap->fd, KVM_GET_MP_STATE, &mp));
	EXPECT_EQ(KVM_MP_STATE_INIT_RECEIVED, mp.mp_state);
	RUN_UCALL(bsp, UCALL_STEP, &uc);	/* SIPI sent */
	ASSERT_EQ(2, uc.regs.rbx);

	vtx_run(ap);
	ASSERT_EQ(KVM_EXIT_IO, ap->run->exit_reason)
		TH_LOG("%s", describe_exit(ap));
	EXPECT_EQ(AP_PORT, ap->run->io.port);
	magic = vtx_gpa2hva(vm, AP_CODE_GPA + AP_MAGIC_OFF);
	EXPECT_EQ(AP_MAGIC, *magic);
	vtx_get_sregs(ap, &sregs);
	EXPECT_EQ(AP_SIPI_VECTOR << 8, sregs.cs.selector);
	EXPECT_EQ((uint64_t)AP_CODE_GPA, sregs.cs.base);
	EXPECT_EQ(0, sregs.cr0 & 1) TH_LOG("real mode");
	ASSERT_EQ(0, __vtx_ioctl(ap->fd, KVM_GET_MP_STATE, &mp));
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, mp.mp_state);
	vtx_vm_free(vm);
}

/*
 * The split irqchip's 8259 is userspace's: it asks for an interrupt
 * window, and KVM opens one only when LINT0 takes ExtINT.  With LINT0
 * masked the guest must run on (Linux masks it while it switches to the
 * IOAPIC, with QEMU's PIT interrupt pending); vtx used to exit for the
 * window at every entry, never running a guest instruction.
 */
TEST(extint_window_waits_for_lint0)
{
	struct vtx_vm *vm = split_vm();
	struct sigaction sa = { .sa_handler = on_alarm };
	struct kvm_interrupt irq = { .irq = EXTINT_VEC };
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;
	struct kvm_run *run;
	uint64_t step;
	int r;

	vtx_load_code(vm, VTX_CODE_GPA, apic_extint_guest,
		      apic_extint_guest_end);
	vcpu = apic_vcpu(vm, 0, apic_extint_guest, apic_extint_stubs,
			 CPUID1_X2APIC);
	run = vcpu->run;
	sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART: KVM_RUN ends */

	/* the BSP's LINT0 takes ExtINT from reset: the guest masks it */
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	ASSERT_EQ(1, uc.regs.rbx);
	EXPECT_EQ(0, run->ready_for_interrupt_injection);

	/* LINT0 masked, IF = 1: no window, the guest runs on */
	run->request_interrupt_window = 1;
	alarm(RUN_UNTIL_TIMEOUT_S);
	r = __vtx_run(vcpu);
	alarm(0);
	ASSERT_EQ(0, r) TH_LOG("KVM_RUN: %s (no guest progress)",
			       strerror(errno));
	ASSERT_EQ(UCALL_STEP, vtx_get_ucall(vcpu, &uc))
		TH_LOG("%s", describe_exit(vcpu));
	ASSERT_EQ(2, uc.regs.rbx);
	EXPECT_EQ(0, run->ready_for_interrupt_injection);

	/* LINT0 in ExtINT mode: the window opens */
	alarm(RUN_UNTIL_TIMEOUT_S);
	r = __vtx_run(vcpu);
	alarm(0);
	ASSERT_EQ(0, r) TH_LOG("KVM_RUN: %s", strerror(errno));
	ASSERT_EQ(KVM_EXIT_IRQ_WINDOW_OPEN, run->exit_reason)
		TH_LOG("%s", describe_exit(vcpu));
	EXPECT_EQ(1, run->ready_for_interrupt_injection);
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_INTERRUPT, &irq));
	run->request_interrupt_window = 0;
	RUN_UNTIL_VEC(vcpu, UCALL_STEP, EXTINT_VEC, &step);
	EXPECT_EQ(3, step);
	EXPECT_EQ(1, guest_exc_count(vcpu, EXTINT_VEC));
	vtx_vm_free(vm);
}

VTX_TEST_MAIN
