// SPDX-License-Identifier: GPL-2.0
/*
 * FPU state: the guest's and the host thread's XMM/YMM registers never
 * leak into each other; KVM_GET/SET_FPU and KVM_GET/SET_XSAVE move XMM and
 * YMM values into and out of the guest; KVM_GET/SET_XCRS; XSETBV with a
 * value the processor would refuse gives the guest #GP.
 *
 * The host side loads its registers, makes the KVM_RUN system call and
 * stores them again in one asm statement, so that no compiler-generated
 * code can touch them in between.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "vcpu_test.h"
#include "fpu.h"

extern const uint8_t fpu_xmm_guest[], fpu_xmm_guest_end[];
extern const uint8_t fpu_ymm_guest[], fpu_ymm_guest_end[];
extern const uint8_t fpu_store_guest[], fpu_store_guest_end[];
extern const uint8_t fpu_preempt_guest[], fpu_preempt_guest_end[];
extern const uint8_t fpu_xcr_guest[], fpu_xcr_guest_end[], fpu_xcr_stubs[],
	fpu_xsetbv_insn[];
extern const uint8_t fpu_pkru_guest[], fpu_pkru_guest_end[], fpu_pkru_stubs[],
	fpu_pkru_xsetbv[], fpu_pkru_xrstor[];
extern const uint8_t fpu_noxsave_guest[], fpu_noxsave_guest_end[],
	fpu_noxsave_stubs[], fpu_noxsave_xsetbv[];

#define NREGS		16
#define XSAVE_XMM_OFF	160	/* XMM0 in the legacy area */
#define XSAVE_BV_OFF	512	/* XSTATE_BV in the XSAVE header */
#define XFEATURE_FP	1
#define XFEATURE_SSE	2
#define XFEATURE_YMM	4

typedef uint8_t regs256[NREGS][32];

/* A pattern for register @n: bytes that say who wrote them. */
static void pattern(regs256 r, uint8_t who)
{
	int n, b;

	for (n = 0; n < NREGS; n++)
		for (b = 0; b < 32; b++)
			r[n][b] = who ^ (n << 4) ^ b ^ (b << 5);
}

static bool host_has_avx(void)
{
	return __builtin_cpu_supports("avx");
}

static bool guest_can_avx(int dev_fd)
{
	return host_has_avx() && cpu_has(1, CPUID_ECX, 28) &&
	       cpu_has(1, CPUID_ECX, 26) &&
	       vtx_check_extension(dev_fd, KVM_CAP_XSAVE) > 0;
}

#define XMM_ALL "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", \
	"xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", \
	"xmm15"

/* XMM0-15 = @in[n][0..15]; KVM_RUN; @out[n][0..15] = XMM0-15. */
static long run_with_host_xmm(int fd, regs256 in, regs256 out)
{
	long ret;

	asm volatile(
		".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
		"movdqu 32*\\n(%[in]), %%xmm\\n\n"
		".endr\n"
		"syscall\n"
		".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
		"movdqu %%xmm\\n, 32*\\n(%[out])\n"
		".endr\n"
		: "=a" (ret)
		: "a" ((long)SYS_ioctl), "D" ((long)fd),
		  "S" ((long)KVM_RUN), "d" (0L), [in] "r" (in), [out] "r" (out)
		: "rcx", "r11", "memory", XMM_ALL);
	return ret;
}

/* The same with YMM0-15 (AVX) */
static long run_with_host_ymm(int fd, regs256 in, regs256 out)
{
	long ret;

	asm volatile(
		".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
		"vmovdqu 32*\\n(%[in]), %%ymm\\n\n"
		".endr\n"
		"syscall\n"
		".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
		"vmovdqu %%ymm\\n, 32*\\n(%[out])\n"
		".endr\n"
		"vzeroupper\n"
		: "=a" (ret)
		: "a" ((long)SYS_ioctl), "D" ((long)fd),
		  "S" ((long)KVM_RUN), "d" (0L), [in] "r" (in), [out] "r" (out)
		: "rcx", "r11", "memory", XMM_ALL);
	return ret;
}

/* Compare the low @width bytes of each register */
static int regs_diff(regs256 a, regs256 b, int width)
{
	int n;

	for (n = 0; n < NREGS; n++)
		if (memcmp(a[n], b[n], width))
			return n;
	return -1;
}

static void step_check(struct __test_metadata *_metadata,
		       struct vtx_vcpu *vcpu, long ret, uint64_t step)
{
	struct vtx_ucall uc;

	ASSERT_EQ(0, ret);
	ASSERT_EQ(UCALL_STEP, vtx_get_ucall(vcpu, &uc))
		TH_LOG("%s", describe_exit(vcpu));
	ASSERT_EQ(step, uc.regs.rbx);
}

/*
 * The guest loads its values, exits; the host thread loads its own and
 * runs the guest again: each side then stores its own values.  Twice, the
 * second time on the other CPU.
 */
static void isolation(struct __test_metadata *_metadata, bool ymm)
{
	regs256 guest, host, host_out, *out;
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;
	int width = ymm ? 32 : 16, round, n;
	long r;

	if (ymm)
		vcpu = vtx_create_guest(VTX_MODE_LONG64, fpu_ymm_guest,
					fpu_ymm_guest_end);
	else
		vcpu = vtx_create_guest(VTX_MODE_LONG64, fpu_xmm_guest,
					fpu_xmm_guest_end);
	vcpu_set_supported_cpuid(vcpu);
	pattern(guest, 0x11);
	memcpy(vtx_gpa2hva(vcpu->vm, FPU_IN_GPA), guest, sizeof(guest));
	out = vtx_gpa2hva(vcpu->vm, FPU_OUT_GPA);
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	ASSERT_EQ(1, uc.regs.rbx);

	for (round = 0; round < 2; round++) {
		if (online_cpus() > 1)
			ASSERT_EQ(0, pin_to_cpu(round % 2));
		pattern(host, 0xa0 + round);
		memset(host_out, 0, sizeof(host_out));
		memset(out, 0, sizeof(*out));
		r = ymm ? run_with_host_ymm(vcpu->fd, host, host_out) :
			  run_with_host_xmm(vcpu->fd, host, host_out);
		step_check(_metadata, vcpu, r, 2 + round);
		n = regs_diff(host, host_out, width);
		EXPECT_EQ(-1, n)
			TH_LOG("round %d: the host's %s%d changed across KVM_RUN",
			       round, ymm ? "YMM" : "XMM", n);
		n = regs_diff(guest, *out, width);
		EXPECT_EQ(-1, n)
			TH_LOG("round %d: the guest's %s%d is not what it loaded",
			       round, ymm ? "YMM" : "XMM", n);
	}
}

TEST(xmm_isolation)
{
	isolation(_metadata, false);
}

TEST(ymm_isolation)
{
	int fd = vtx_open_device();

	if (!guest_can_avx(fd))
		SKIP(return, "no AVX (host %d) or XSAVE for the guest",
		     host_has_avx());
	close(fd);
	isolation(_metadata, true);
}

struct noise {
	volatile int stop;
	regs256 regs;		/* what it keeps in XMM0-15 */
	long rounds;
	int bad;		/* rounds that found other values in XMM */
	int cpu;
};

/*
 * Another thread of the host on the vCPU's CPU: XMM0-15 = its pattern,
 * spin, check they are still its own, again, until told to stop.
 */
static void *noise_fn(void *arg)
{
	struct noise *n = arg;
	regs256 out;

	pin_to_cpu(n->cpu);
	while (!n->stop) {
		asm volatile(
			".irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
			"movdqu 32*\\r(%[in]), %%xmm\\r\n"
			".endr\n"
			"mov $200000, %%ecx\n"
			"1: dec %%ecx\n"
			"jnz 1b\n"
			".irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
			"movdqu %%xmm\\r, 32*\\r(%[out])\n"
			".endr\n"
			: : [in] "r" (n->regs), [out] "r" (out)
			: "rcx", "memory", XMM_ALL);
		n->bad += regs_diff(n->regs, out, 16) >= 0;
		n->rounds++;
	}
	return NULL;
}

/*
 * The guest checks its XMM registers in one long KVM_RUN while another
 * host thread with its own XMM values shares the CPU, so the vCPU thread
 * is scheduled out and back in while in KVM_RUN (at the exits for host
 * timer interrupts).  The guest must find its own values every time;
 * before each VM entry KVM 6.1 reloads the guest's FPU registers when the
 * thread was scheduled out (vcpu_enter_guest(): TIF_NEED_FPU_LOAD ->
 * switch_fpu_return()).
 */
TEST(xmm_survives_preemption_in_run)
{
	struct noise noise = { .cpu = 0 };
	regs256 guest, *out;
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;
	pthread_t tid;
	uint32_t code;
	int n;

	ASSERT_EQ(0, pin_to_cpu(0));
	vcpu = vtx_create_guest(VTX_MODE_LONG64, fpu_preempt_guest,
				fpu_preempt_guest_end);
	vcpu_set_supported_cpuid(vcpu);
	guest_enable_if(vcpu);
	pattern(guest, 0x77);
	pattern(noise.regs, 0xe0);
	memcpy(vtx_gpa2hva(vcpu->vm, FPU_IN_GPA), guest, sizeof(guest));
	out = vtx_gpa2hva(vcpu->vm, FPU_OUT_GPA);
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	ASSERT_EQ(1, uc.regs.rbx);

	ASSERT_EQ(0, pthread_create(&tid, NULL, noise_fn, &noise));
	vtx_run(vcpu);
	noise.stop = 1;
	pthread_join(tid, NULL);
	code = vtx_get_ucall(vcpu, &uc);
	TH_LOG("%s: the other thread ran %ld rounds meanwhile", DRIVER,
	       noise.rounds);
	EXPECT_EQ(0, noise.bad) TH_LOG("the host thread's XMM changed");
	if (code == UCALL_FAIL)
		TH_LOG("the guest found its XMM changed after %llu of %d rounds",
		       (unsigned long long)(PREEMPT_LOOPS - uc.regs.rbx),
		       PREEMPT_LOOPS);
	/* the registers the guest checks (XMM0 is its scratch register) */
	for (n = 1; n < NREGS; n++) {
		if (n != 1 && n != 5 && n != 12 && n != 15)
			continue;
		if (!memcmp((*out)[n], guest[n], 16))
			continue;
		TH_LOG("guest XMM%d: %s", n,
		       memcmp((*out)[n], noise.regs[n], 16) ?
		       "not the guest's value" :
		       "the other host thread's value");
	}
	ASSERT_EQ(UCALL_STEP, code) TH_LOG("%s", describe_exit(vcpu));
	ASSERT_EQ(2, uc.regs.rbx);
}

/* KVM_GET_FPU shows the guest's XMM; KVM_SET_FPU changes them. */
TEST(get_set_fpu)
{
	regs256 guest, set, *out;
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;
	struct kvm_fpu fpu;
	int n;

	vcpu = vtx_create_guest(VTX_MODE_LONG64, fpu_xmm_guest,
				fpu_xmm_guest_end);
	vcpu_set_supported_cpuid(vcpu);
	pattern(guest, 0x22);
	memcpy(vtx_gpa2hva(vcpu->vm, FPU_IN_GPA), guest, sizeof(guest));
	out = vtx_gpa2hva(vcpu->vm, FPU_OUT_GPA);
	RUN_UCALL(vcpu, UCALL_STEP, &uc);

	memset(&fpu, 0, sizeof(fpu));
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_GET_FPU, &fpu));
	for (n = 0; n < NREGS; n++)
		EXPECT_EQ(0, memcmp(fpu.xmm[n], guest[n], 16))
			TH_LOG("KVM_GET_FPU: XMM%d", n);
	EXPECT_EQ(0x37f, fpu.fcw);
	/*
	 * MXCSR: KVM 6.1's KVM_GET_FPU does not fill it in (nor does its
	 * KVM_SET_FPU read it); vtx reports the guest's (api.rst, 4.16).
	 */
	if (IS_KVM) {
		TH_LOG("kvm: KVM_GET_FPU mxcsr %#x (not reported)", fpu.mxcsr);
	} else {
		EXPECT_EQ(0x1f80, fpu.mxcsr);
	}

	pattern(set, 0x33);
	for (n = 0; n < NREGS; n++)
		memcpy(fpu.xmm[n], set[n], 16);
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_SET_FPU, &fpu));
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	ASSERT_EQ(2, uc.regs.rbx);
	n = regs_diff(set, *out, 16);
	EXPECT_EQ(-1, n) TH_LOG("XMM%d is not what KVM_SET_FPU wrote", n);
	memset(&fpu, 0, sizeof(fpu));
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_GET_FPU, &fpu));
	for (n = 0; n < NREGS; n++)
		EXPECT_EQ(0, memcmp(fpu.xmm[n], set[n], 16))
			TH_LOG("KVM_GET_FPU after KVM_SET_FPU: XMM%d", n);
}

/*
 * KVM_SET_FPU before the vCPU ever ran.  vtx marks x87 and SSE state as
 * present in the XSAVE header (Documentation/vtx/api.rst, 4.16), so the
 * guest starts with those XMM values.  KVM 6.1's KVM_SET_FPU only writes
 * the legacy area: the fresh state's XSTATE_BV is 0, so XRSTOR at the
 * first entry initializes XMM to 0 instead.  Checked on vtx, reported on
 * KVM.
 */
TEST(set_fpu_before_first_run)
{
	regs256 set, *out;
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;
	struct kvm_fpu fpu;
	int n;

	vcpu = vtx_create_guest(VTX_MODE_LONG64, fpu_store_guest,
				fpu_store_guest_end);
	vcpu_set_supported_cpuid(vcpu);
	out = vtx_gpa2hva(vcpu->vm, FPU_OUT_GPA);
	memset(out, 0xcc, sizeof(*out));
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_GET_FPU, &fpu));
	pattern(set, 0x44);
	for (n = 0; n < NREGS; n++)
		memcpy(fpu.xmm[n], set[n], 16);
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_SET_FPU, &fpu));
	RUN_UCALL(vcpu, UCALL_DONE, &uc);
	n = regs_diff(set, *out, 16);
	if (IS_KVM) {
		TH_LOG("kvm: guest XMM%d %s the KVM_SET_FPU value before the first run",
		       n < 0 ? 0 : n, n < 0 ? "has" : "lacks");
	} else {
		EXPECT_EQ(-1, n) TH_LOG("XMM%d is not what KVM_SET_FPU wrote", n);
	}
}

/*
 * KVM_GET_XSAVE has the guest's XMM (and YMM) values with their XSTATE_BV
 * bits; values written with KVM_SET_XSAVE are what the guest then has.
 */
TEST(get_set_xsave)
{
	int fd = vtx_open_device(), n, ymm_off = 0;
	regs256 guest, set, *out;
	struct kvm_cpuid_entry2 *e;
	struct kvm_xsave *xs;
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;
	uint64_t bv;
	bool ymm;

	VTX_REQUIRE_CAP(fd, KVM_CAP_XSAVE);
	ymm = guest_can_avx(fd);
	if (ymm) {
		e = cpuid_find(supported_cpuid(), 0xd, 2);
		ASSERT_NE(NULL, e);
		ymm_off = e->ebx;	/* standard-format offset of YMM_Hi128 */
		ASSERT_GE(ymm_off, 576);
		ASSERT_LE(ymm_off + 256, (int)sizeof(xs->region));
		vcpu = vtx_create_guest(VTX_MODE_LONG64, fpu_ymm_guest,
					fpu_ymm_guest_end);
	} else {
		vcpu = vtx_create_guest(VTX_MODE_LONG64, fpu_xmm_guest,
					fpu_xmm_guest_end);
	}
	TH_LOG("%s: XSAVE with %s", DRIVER, ymm ? "YMM" : "XMM only");
	vcpu_set_supported_cpuid(vcpu);
	pattern(guest, 0x55);
	memcpy(vtx_gpa2hva(vcpu->vm, FPU_IN_GPA), guest, sizeof(guest));
	out = vtx_gpa2hva(vcpu->vm, FPU_OUT_GPA);
	RUN_UCALL(vcpu, UCALL_STEP, &uc);

	xs = calloc(1, sizeof(*xs));
	ASSERT_NE(NULL, xs);
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_GET_XSAVE, xs));
	memcpy(&bv, (uint8_t *)xs->region + XSAVE_BV_OFF, 8);
	EXPECT_NE(0, bv & XFEATURE_SSE) TH_LOG("XSTATE_BV %#llx",
					       (unsigned long long)bv);
	if (ymm)
		EXPECT_NE(0, bv & XFEATURE_YMM) TH_LOG("XSTATE_BV %#llx",
						       (unsigned long long)bv);
	for (n = 0; n < NREGS; n++) {
		uint8_t *x = (uint8_t *)xs->region + XSAVE_XMM_OFF + 16 * n;

		EXPECT_EQ(0, memcmp(x, guest[n], 16)) TH_LOG("XMM%d", n);
		if (ymm)
			EXPECT_EQ(0, memcmp((uint8_t *)xs->region + ymm_off +
					    16 * n, guest[n] + 16, 16))
				TH_LOG("YMM%d upper half", n);
	}

	/* KVM_GET_XSAVE2 with KVM_CAP_XSAVE2 bytes: the same state */
	if (vtx_check_extension(fd, KVM_CAP_XSAVE2) > 0) {
		long size = vtx_check_extension(fd, KVM_CAP_XSAVE2);
		uint8_t *buf;

		TH_LOG("%s: KVM_CAP_XSAVE2 = %ld", DRIVER, size);
		ASSERT_GE(size, (long)sizeof(*xs));
		buf = calloc(1, size);
		ASSERT_NE(NULL, buf);
		ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_GET_XSAVE2, buf));
		EXPECT_EQ(0, memcmp(buf, xs->region, sizeof(xs->region)));
		free(buf);
	}

	pattern(set, 0x66);
	for (n = 0; n < NREGS; n++) {
		memcpy((uint8_t *)xs->region + XSAVE_XMM_OFF + 16 * n, set[n],
		       16);
		if (ymm)
			memcpy((uint8_t *)xs->region + ymm_off + 16 * n,
			       set[n] + 16, 16);
	}
	bv |= XFEATURE_FP | XFEATURE_SSE | (ymm ? XFEATURE_YMM : 0);
	memcpy((uint8_t *)xs->region + XSAVE_BV_OFF, &bv, 8);
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_SET_XSAVE, xs));
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	ASSERT_EQ(2, uc.regs.rbx);
	n = regs_diff(set, *out, ymm ? 32 : 16);
	EXPECT_EQ(-1, n) TH_LOG("register %d is not what KVM_SET_XSAVE wrote",
				n);
	free(xs);
	close(fd);
}

static long set_xcr0(struct vtx_vcpu *vcpu, uint32_t nr, uint32_t flags,
		     uint32_t xcr, uint64_t value)
{
	struct kvm_xcrs xcrs;

	memset(&xcrs, 0, sizeof(xcrs));
	xcrs.nr_xcrs = nr;
	xcrs.flags = flags;
	xcrs.xcrs[0].xcr = xcr;
	xcrs.xcrs[0].value = value;
	return __vtx_ioctl(vcpu->fd, KVM_SET_XCRS, &xcrs);
}

static uint64_t get_xcr0(struct vtx_vcpu *vcpu)
{
	struct kvm_xcrs xcrs;

	memset(&xcrs, 0xff, sizeof(xcrs));
	vtx_ioctl(vcpu->fd, KVM_GET_XCRS, &xcrs);
	VTX_ASSERT(xcrs.nr_xcrs == 1 && xcrs.xcrs[0].xcr == 0,
		   "KVM_GET_XCRS: %u XCRs, first XCR%u", xcrs.nr_xcrs,
		   xcrs.xcrs[0].xcr);
	return xcrs.xcrs[0].value;
}

/*
 * KVM_GET/SET_XCRS: XCR0 starts as x87 only; valid values stick, invalid
 * ones (no x87, AVX without SSE, beyond what the guest's CPUID allows,
 * flags, too many entries) are EINVAL.  The guest's XGETBV reads it.
 */
TEST(get_set_xcrs)
{
	int fd = vtx_open_device();
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;
	uint64_t valid;
	bool avx;

	VTX_REQUIRE_CAP(fd, KVM_CAP_XCRS);
	avx = guest_can_avx(fd);
	valid = avx ? 7 : 3;
	vcpu = guest_create(VTX_MODE_LONG64, fpu_xcr_guest, fpu_xcr_guest_end,
			    fpu_xcr_stubs);
	/* KVM allows the XCR0 bits the guest's CPUID (leaf 0DH) has */
	vcpu_set_supported_cpuid(vcpu);

	EXPECT_EQ(1, get_xcr0(vcpu));
	EXPECT_EQ(0, set_xcr0(vcpu, 1, 0, 0, 3));
	EXPECT_EQ(3, get_xcr0(vcpu));
	EXPECT_EQ(0, set_xcr0(vcpu, 1, 0, 0, valid));
	EXPECT_EQ(valid, get_xcr0(vcpu));
	EXPECT_EQ(-EINVAL, set_xcr0(vcpu, 1, 0, 0, 0));
	EXPECT_EQ(-EINVAL, set_xcr0(vcpu, 1, 0, 0, 2));
	if (avx)
		EXPECT_EQ(-EINVAL, set_xcr0(vcpu, 1, 0, 0, 5));
	EXPECT_EQ(-EINVAL, set_xcr0(vcpu, 1, 0, 0, 3 | 1ull << 62));
	EXPECT_EQ(-EINVAL, set_xcr0(vcpu, 1, 1, 0, 3));
	EXPECT_EQ(-EINVAL, set_xcr0(vcpu, KVM_MAX_XCRS + 1, 0, 0, 3));
	EXPECT_EQ(valid, get_xcr0(vcpu));
	/*
	 * An entry for another XCR: KVM 6.1 skips it and returns 0 (it only
	 * looks for XCR0); vtx refuses it with EINVAL (api.rst, 4.18).
	 */
	if (IS_KVM) {
		EXPECT_EQ(0, set_xcr0(vcpu, 1, 0, 1, 3));
	} else {
		EXPECT_EQ(-EINVAL, set_xcr0(vcpu, 1, 0, 1, 3));
	}
	EXPECT_EQ(valid, get_xcr0(vcpu));

	/* the guest's XGETBV (list empty: no XSETBV) */
	*(uint32_t *)vtx_gpa2hva(vcpu->vm, XSETBV_LIST_GPA) = 0;
	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(valid, uc.regs.rbx);
	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(valid, uc.regs.rbx);
	close(fd);
}

/* XSETBV the processor refuses: #GP(0) in the guest, XCR0 unchanged. */
TEST(guest_xsetbv_gp)
{
	struct xsetbv_entry {
		uint32_t lo, hi, xcr, gp;
	} list[8];
	int fd = vtx_open_device(), n = 0, i;
	uint64_t *hdr;
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;
	bool avx;

	VTX_REQUIRE_CAP(fd, KVM_CAP_XCRS);
	avx = guest_can_avx(fd);
	list[n++] = (struct xsetbv_entry){ 0, 0, 0, 1 };	/* XCR0 = 0 */
	list[n++] = (struct xsetbv_entry){ 2, 0, 0, 1 };	/* SSE, no x87 */
	if (avx)
		list[n++] = (struct xsetbv_entry){ 5, 0, 0, 1 }; /* AVX, no SSE */
	list[n++] = (struct xsetbv_entry){ 3, 0x40000000, 0, 1 }; /* bit 62 */
	list[n++] = (struct xsetbv_entry){ 1, 0, 1, 1 };	/* XCR1 */
	list[n++] = (struct xsetbv_entry){ 3, 0, 0, 0 };	/* valid */

	vcpu = guest_create(VTX_MODE_LONG64, fpu_xcr_guest, fpu_xcr_guest_end,
			    fpu_xcr_stubs);
	vcpu_set_supported_cpuid(vcpu);
	hdr = vtx_gpa2hva(vcpu->vm, XSETBV_LIST_GPA);
	hdr[0] = n;
	memcpy(hdr + 1, list, n * sizeof(list[0]));

	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(1, uc.regs.rbx);
	for (i = 0; i < n; i++) {
		if (!list[i].gp)
			continue;
		RUN_EXC(vcpu, GP_VECTOR, 0,
			VTX_BLOB_GPA(fpu_xcr_guest, fpu_xsetbv_insn), &uc);
		TH_LOG("XSETBV(XCR%u, %#llx): #GP", list[i].xcr,
		       (unsigned long long)list[i].hi << 32 | list[i].lo);
	}
	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(3, uc.regs.rbx);
	EXPECT_EQ(3, get_xcr0(vcpu));
	close(fd);
}

/* XCR0 bits beyond AVX (SDM vol. 1, 13.1) */
#define XFEATURE_PKRU_BIT	9
#define XFEATURE_XTILECFG	(1ull << 17)
#define XFEATURE_XTILEDATA	(1ull << 18)
#define XSAVE_LEGACY_HDR	576	/* legacy area + XSAVE header */
#define CPUID7_ECX_PKU		(1u << 3)
#define CPUID7_ECX_OSPKE	(1u << 4)
#define CPUID1_ECX_XSAVE	(1u << 26)

/*
 * Give the vCPU the supported CPUID with leaf 0DH subleaf 0 offering
 * @xcr0 (EDX:EAX), as a VMM may: KVM takes it, within what it supports.
 */
static void vcpu_set_cpuid_xcr0(struct vtx_vcpu *vcpu, uint64_t xcr0)
{
	struct kvm_cpuid2 *c = guest_cpuid_copy();
	struct kvm_cpuid_entry2 *e = cpuid_find(c, 0xd, 0);

	VTX_ASSERT(e, "no leaf 0DH in the supported CPUID");
	e->eax = (uint32_t)xcr0;
	e->edx = xcr0 >> 32;
	vtx_ioctl(vcpu->fd, KVM_SET_CPUID2, c);
	free(c);
}

/* The host processor's CPUID */
static void host_cpuid(uint32_t leaf, uint32_t index, uint32_t r[4])
{
	asm volatile("cpuid" : "=a" (r[0]), "=b" (r[1]), "=c" (r[2]),
		     "=d" (r[3]) : "a" (leaf), "c" (index));
}

/* The host processor's PKU, enabled by the kernel (CR4.PKE) */
static bool host_has_pku(void)
{
	uint32_t r[4];

	host_cpuid(0, 0, r);
	if (r[0] < 7)
		return false;
	host_cpuid(7, 0, r);
	return (r[2] & CPUID7_ECX_PKU) && (r[2] & CPUID7_ECX_OSPKE);
}

static uint32_t rdpkru(void)
{
	uint32_t eax, edx;

	asm volatile(".byte 0x0f, 0x01, 0xee" : "=a" (eax), "=d" (edx)
		     : "c" (0));
	return eax;
}

static void wrpkru(uint32_t pkru)
{
	asm volatile(".byte 0x0f, 0x01, 0xef" : : "a" (pkru), "c" (0), "d" (0)
		     : "memory");
}

/* Run fpu_xcr_guest with the XSETBV @list; check the #GPs and final XCR0 */
static void run_xsetbv_list(struct __test_metadata *_metadata,
			    struct vtx_vcpu *vcpu, const uint32_t (*list)[4],
			    int n, uint64_t xcr0_before, uint64_t xcr0_after)
{
	uint64_t *hdr = vtx_gpa2hva(vcpu->vm, XSETBV_LIST_GPA);
	struct vtx_ucall uc;
	int i;

	hdr[0] = n;
	memcpy(hdr + 1, list, n * sizeof(list[0]));
	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(xcr0_before, uc.regs.rbx);
	for (i = 0; i < n; i++) {
		if (!list[i][3])
			continue;
		TH_LOG("%s: guest XSETBV(XCR%u, %#llx): expect #GP", DRIVER,
		       list[i][2],
		       (unsigned long long)list[i][1] << 32 | list[i][0]);
		RUN_EXC(vcpu, GP_VECTOR, 0,
			VTX_BLOB_GPA(fpu_xcr_guest, fpu_xsetbv_insn), &uc);
	}
	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(xcr0_after, uc.regs.rbx);
	EXPECT_EQ(xcr0_after, get_xcr0(vcpu));
}

/*
 * XCR0 is bounded by the vCPU's CPUID leaf 0DH, not by the host's XCR0:
 * with leaf 0DH trimmed to x87|SSE, XCR0 = x87|SSE|AVX is EINVAL from
 * KVM_SET_XCRS and #GP from the guest's XSETBV, on a host with AVX.
 */
TEST(xcr0_subset_of_guest_cpuid)
{
	static const uint32_t list[][4] = {
		{ XFEATURE_FP | XFEATURE_SSE | XFEATURE_YMM, 0, 0, 1 },
		{ XFEATURE_FP | XFEATURE_SSE, 0, 0, 0 },
	};
	int fd = vtx_open_device();
	struct vtx_vcpu *vcpu;

	VTX_REQUIRE_CAP(fd, KVM_CAP_XCRS);
	if (!guest_can_avx(fd))
		SKIP(return, "no AVX: no XCR0 bit beyond x87|SSE to refuse");
	vcpu = guest_create(VTX_MODE_LONG64, fpu_xcr_guest, fpu_xcr_guest_end,
			    fpu_xcr_stubs);
	vcpu_set_cpuid_xcr0(vcpu, XFEATURE_FP | XFEATURE_SSE);
	EXPECT_EQ(-EINVAL, set_xcr0(vcpu, 1, 0, 0, 7));
	EXPECT_EQ(1, get_xcr0(vcpu));
	EXPECT_EQ(0, set_xcr0(vcpu, 1, 0, 0, 3));
	EXPECT_EQ(0, set_xcr0(vcpu, 1, 0, 0, 1));
	run_xsetbv_list(_metadata, vcpu, list, 2, 1, 3);
	close(fd);
}

/*
 * AMX's XTILECFG (bit 17) and XTILEDATA (bit 18) only together, even when
 * the vCPU's CPUID offers XTILECFG: one alone is EINVAL / #GP (KVM's
 * rule; on a host whose XCR0 has AMX, the processor's XSETBV at VM entry
 * would fault in the host).
 */
TEST(xcr0_amx_pair)
{
	static const uint32_t list[][4] = {
		{ XFEATURE_FP | XFEATURE_SSE | XFEATURE_XTILECFG, 0, 0, 1 },
		{ XFEATURE_FP | XFEATURE_SSE | XFEATURE_XTILEDATA, 0, 0, 1 },
		{ XFEATURE_FP | XFEATURE_SSE, 0, 0, 0 },
	};
	int fd = vtx_open_device();
	struct vtx_vcpu *vcpu;

	VTX_REQUIRE_CAP(fd, KVM_CAP_XCRS);
	vcpu = guest_create(VTX_MODE_LONG64, fpu_xcr_guest, fpu_xcr_guest_end,
			    fpu_xcr_stubs);
	/*
	 * The table claims XTILECFG only: KVM refuses a table with XTILEDATA
	 * (EPERM) unless the process asked for AMX (ARCH_REQ_XCOMP_GUEST_PERM).
	 */
	vcpu_set_cpuid_xcr0(vcpu, XFEATURE_FP | XFEATURE_SSE |
			    XFEATURE_XTILECFG);
	EXPECT_EQ(-EINVAL, set_xcr0(vcpu, 1, 0, 0, 3 | XFEATURE_XTILECFG));
	EXPECT_EQ(-EINVAL, set_xcr0(vcpu, 1, 0, 0, 3 | XFEATURE_XTILEDATA));
	EXPECT_EQ(1, get_xcr0(vcpu));
	run_xsetbv_list(_metadata, vcpu, list, 3, 1, 3);
	close(fd);
}

/*
 * vtx offers neither PKRU nor AMX tile state (api.rst): not in
 * KVM_GET_SUPPORTED_CPUID leaf 0DH, whose sizes (EBX, ECX) match what it
 * offers on both drivers; KVM_SET_XCRS and KVM_SET_XSAVE with PKRU are
 * EINVAL even when the vCPU's CPUID claims it.  KVM offers PKRU where the
 * host has PKU.
 */
TEST(xcr0_pkru_refused)
{
	int fd = vtx_open_device(), ret;
	struct kvm_cpuid_entry2 *e0, *e;
	bool kvm_pkru = IS_KVM && host_has_pku();
	struct vtx_vcpu *vcpu;
	struct kvm_xsave *xs;
	uint64_t offered, bv;
	uint32_t size = XSAVE_LEGACY_HDR;
	unsigned int i;

	VTX_REQUIRE_CAP(fd, KVM_CAP_XCRS);
	e0 = cpuid_find(supported_cpuid(), 0xd, 0);
	if (!e0)
		SKIP(return, "no leaf 0DH in the supported CPUID");
	offered = (uint64_t)e0->edx << 32 | e0->eax;
	TH_LOG("%s: leaf 0DH.0 offers %#llx, EBX %u ECX %u", DRIVER,
	       (unsigned long long)offered, e0->ebx, e0->ecx);
	if (!IS_KVM) {
		EXPECT_EQ(0, offered & (1ull << XFEATURE_PKRU_BIT));
		EXPECT_EQ(NULL, cpuid_find(supported_cpuid(), 0xd,
					   XFEATURE_PKRU_BIT));
	}
	EXPECT_EQ(0, offered & XFEATURE_XTILEDATA);
	/* EBX/ECX: the standard-format area of exactly what is offered */
	for (i = 2; i < 64; i++) {
		if (!(offered & (1ull << i)))
			continue;
		e = cpuid_find(supported_cpuid(), 0xd, i);
		ASSERT_NE(NULL, e) TH_LOG("no subleaf %u", i);
		if (e->ebx + e->eax > size)
			size = e->ebx + e->eax;
	}
	EXPECT_EQ(size, e0->ecx);
	EXPECT_EQ(size, e0->ebx);

	vcpu = guest_create(VTX_MODE_LONG64, fpu_xcr_guest, fpu_xcr_guest_end,
			    fpu_xcr_stubs);
	vcpu_set_cpuid_xcr0(vcpu, offered | 1ull << XFEATURE_PKRU_BIT);
	ret = set_xcr0(vcpu, 1, 0, 0, XCR0_FP_SSE_PKRU);
	EXPECT_EQ(kvm_pkru ? 0 : -EINVAL, ret);
	EXPECT_EQ(kvm_pkru ? XCR0_FP_SSE_PKRU : 1, get_xcr0(vcpu));

	/* KVM_SET_XSAVE naming PKRU in XSTATE_BV */
	if (vtx_check_extension(fd, KVM_CAP_XSAVE) > 0) {
		xs = calloc(1, sizeof(*xs));
		ASSERT_NE(NULL, xs);
		ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_GET_XSAVE, xs));
		memcpy(&bv, (uint8_t *)xs->region + XSAVE_BV_OFF, 8);
		if (!kvm_pkru)
			EXPECT_EQ(0, bv & (1ull << XFEATURE_PKRU_BIT))
				TH_LOG("XSTATE_BV %#llx", (unsigned long long)bv);
		bv |= 1ull << XFEATURE_PKRU_BIT;
		memcpy((uint8_t *)xs->region + XSAVE_BV_OFF, &bv, 8);
		EXPECT_EQ(kvm_pkru ? 0 : -EINVAL,
			  __vtx_ioctl(vcpu->fd, KVM_SET_XSAVE, xs));
		free(xs);
	}
	close(fd);
}

/*
 * The host thread's PKRU after KVM_RUN of a guest that tries XCR0.PKRU
 * (vtx: #GP; KVM: allowed, and KVM switches PKRU) and XRSTORs a PKRU value
 * different from the host's (keys 1's bits flipped, key 0 untouched so the
 * test process keeps its memory): the host's PKRU is intact.  Needs a host
 * with PKU.
 */
TEST(host_pkru_intact_after_run)
{
	int fd = vtx_open_device(), runs = 0, gp = 0;
	uint32_t before, after, off, r[4];
	uint8_t *area;
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;
	uint64_t bv = XCR0_PKRU;

	VTX_REQUIRE_CAP(fd, KVM_CAP_XCRS);
	if (!host_has_pku())
		SKIP(return, "the host has no PKU (or the kernel did not enable it)");
	host_cpuid(0xd, XFEATURE_PKRU_BIT, r);
	off = r[1];	/* the PKRU component's standard-format offset */
	ASSERT_LE(off + 4, 4096u);
	vcpu = guest_create(VTX_MODE_LONG64, fpu_pkru_guest, fpu_pkru_guest_end,
			    fpu_pkru_stubs);
	vcpu_set_cpuid_xcr0(vcpu, XFEATURE_FP | XFEATURE_SSE |
			    1ull << XFEATURE_PKRU_BIT);
	before = rdpkru();
	area = vtx_gpa2hva(vcpu->vm, PKRU_AREA_GPA);
	memset(area, 0, 4096);
	memcpy(area + XSAVE_BV_OFF, &bv, 8);
	*(uint32_t *)(area + off) = before ^ 0xc;	/* key 1: AD, WD */
	TH_LOG("%s: host PKRU %#x, the guest's %#x", DRIVER, before,
	       before ^ 0xc);

	for (;;) {
		vtx_run(vcpu);
		after = rdpkru();
		runs++;
		if (after != before)
			wrpkru(before);	/* keep the harness working */
		EXPECT_EQ(before, after) TH_LOG("run %d: host PKRU %#x -> %#x",
						runs, before, after);
		if (vtx_get_ucall(vcpu, &uc) != UCALL_EXC || runs > 4)
			break;
		TH_LOG("%s: %s", DRIVER, describe_exit(vcpu));
		EXPECT_EQ(GP_VECTOR, uc.regs.rbx);
		if (uc.regs.rdx == VTX_BLOB_GPA(fpu_pkru_guest, fpu_pkru_xsetbv))
			gp++;
		else
			EXPECT_EQ(VTX_BLOB_GPA(fpu_pkru_guest, fpu_pkru_xrstor),
				  uc.regs.rdx);
	}
	ASSERT_EQ(UCALL_REPORT, vtx_get_ucall(vcpu, &uc))
		TH_LOG("%s", describe_exit(vcpu));
	/*
	 * vtx refuses XCR0.PKRU (the XRSTOR is then #GP too, its XSTATE_BV
	 * naming a feature XCR0 lacks); KVM takes it on a host with PKU.
	 */
	EXPECT_EQ(IS_KVM ? 0 : 1, gp);
	EXPECT_EQ(IS_KVM ? XCR0_FP_SSE_PKRU : 1, uc.regs.rbx);
	close(fd);
}

/*
 * A vCPU whose CPUID has no XSAVE (leaf 1 ECX.XSAVE clear, no leaf 0DH):
 * the guest's XSETBV is #UD (on KVM because CR4.OSXSAVE cannot be set),
 * and KVM_SET_XCRS takes x87 only.
 */
TEST(xcr0_no_xsave_cpuid)
{
	int fd = vtx_open_device(), runs = 0, ud = 0, gp = 0;
	struct kvm_cpuid2 *sup = supported_cpuid(), *c;
	struct kvm_cpuid_entry2 *e;
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;
	uint32_t i, n = 0;

	VTX_REQUIRE_CAP(fd, KVM_CAP_XCRS);
	vcpu = guest_create(VTX_MODE_LONG64, fpu_noxsave_guest,
			    fpu_noxsave_guest_end, fpu_noxsave_stubs);
	c = cpuid_alloc(sup->nent);
	for (i = 0; i < sup->nent; i++)
		if (sup->entries[i].function != 0xd)
			c->entries[n++] = sup->entries[i];
	c->nent = n;
	e = cpuid_find(c, 1, 0);
	ASSERT_NE(NULL, e);
	e->ecx &= ~((1u << 5) | CPUID1_ECX_XSAVE);	/* VMX, XSAVE */
	vtx_ioctl(vcpu->fd, KVM_SET_CPUID2, c);
	free(c);

	EXPECT_EQ(-EINVAL, set_xcr0(vcpu, 1, 0, 0, 3));
	EXPECT_EQ(0, set_xcr0(vcpu, 1, 0, 0, 1));
	EXPECT_EQ(1, get_xcr0(vcpu));

	for (;;) {
		vtx_run(vcpu);
		if (vtx_get_ucall(vcpu, &uc) != UCALL_EXC || ++runs > 3)
			break;
		TH_LOG("%s: %s", DRIVER, describe_exit(vcpu));
		if (uc.regs.rdx != VTX_BLOB_GPA(fpu_noxsave_guest,
						fpu_noxsave_xsetbv))
			continue;	/* MOV to CR4 (KVM: #GP) */
		ud += uc.regs.rbx == UD_VECTOR;
		gp += uc.regs.rbx == GP_VECTOR;
	}
	ASSERT_EQ(UCALL_REPORT, vtx_get_ucall(vcpu, &uc))
		TH_LOG("%s", describe_exit(vcpu));
	EXPECT_EQ(1, ud);
	EXPECT_EQ(0, gp);
	EXPECT_EQ(1, get_xcr0(vcpu));
	close(fd);
}

VTX_TEST_MAIN
