// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - guest MSRs.
 *
 * Where each MSR lives while the guest runs:
 *  - EFER, PAT, SYSENTER_*, FS/GS base, DEBUGCTL: the VMCS switches them.
 *  - KERNEL_GS_BASE: loaded by the backend before entry (SWAPGS can't
 *    be intercepted), restored before the thread leaves the kernel or is
 *    scheduled out.
 *  - STAR, LSTAR, CSTAR, SFMASK, TSC_AUX ("user-return" MSRs): the guest's
 *    values are written before entry only when they differ from what the
 *    CPU holds; the host's come back when the thread returns to userspace
 *    (user-return notifier), not on every exit.
 *  - Everything else is emulated from vCPU state, or #GP.
 *
 * Machine-check architecture (MCA): MCG_CAP is what userspace set with
 * KVM_X86_SETUP_MCE (until then KVM's reset value: every bank, no MCG_CTL);
 * MCG_STATUS, MCG_CTL and the banks' CTL/STATUS/ADDR/MISC are vCPU state,
 * filled by KVM_X86_SET_MCE.  With MCG_CMCI_P each bank also has MCi_CTL2
 * (CMCI enable and threshold), and an uncorrected error needing no action
 * (UCNA) is signalled through the in-kernel local APIC's CMCI LVT, as KVM
 * does.  No LMCE: vtx has no IA32_FEATURE_CONTROL to opt in LMCE.
 *
 * The KVM paravirtual MSRs (kvmclock, steal time) are pv.c's.
 * The MSR bitmap lets the guest read and write FS/GS base, KERNEL_GS_BASE
 * and SYSENTER_* without exits, and read the user-return MSRs (not those
 * the VM's MSR filter denies: msr_filter.c gives the vCPU its own bitmap).
 *
 * Emulated as KVM does, whatever the processor has: IA32_TSC_ADJUST (moves
 * with the guest's TSC writes), IA32_ARCH_CAPABILITIES (what the host's
 * vulnerabilities and vtx's own behaviour say the guest need not
 * mitigate; userspace may replace it), and CPUID faulting
 * (MSR_PLATFORM_INFO bit 31, MSR_MISC_FEATURES_ENABLES bit 0: CPUID at
 * CPL > 0 raises #GP, exit.c).
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/user-return-notifier.h>
#include <linux/nospec.h>
#include <asm/kvm_para.h>
#include <asm/mce.h>
#include <asm/msr.h>
#include <asm/mtrr.h>
#include <asm/trapnr.h>
#include "x86/x86.h"

/* KVM's limit on entries in one KVM_GET/SET_MSRS call. */
#define VTX_MAX_IO_MSRS		4096
/* KVM's MSR_IA32_MISC_ENABLE reset value. */
#define VTX_MISC_ENABLE		(MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL | \
				 MSR_IA32_MISC_ENABLE_BTS_UNAVAIL)
#define VTX_UCODE_REV		0x100000000ull
/* MISC_ENABLE bits the guest can't change (they describe the PMU). */
#define MISC_ENABLE_RO		(MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL | \
				 MSR_IA32_MISC_ENABLE_BTS_UNAVAIL)
/* IA32_ARCH_CAPABILITIES bits of the host a guest may be told (KVM's set). */
#define VTX_ARCH_CAP_PASSED	(ARCH_CAP_RDCL_NO | ARCH_CAP_IBRS_ALL |	\
				 ARCH_CAP_RSBA |			\
				 ARCH_CAP_SKIP_VMENTRY_L1DFLUSH |	\
				 ARCH_CAP_SSB_NO | ARCH_CAP_MDS_NO |	\
				 ARCH_CAP_PSCHANGE_MC_NO |		\
				 ARCH_CAP_TSX_CTRL_MSR |		\
				 ARCH_CAP_TAA_NO |			\
				 ARCH_CAP_SBDR_SSDP_NO |		\
				 ARCH_CAP_FBSDP_NO | ARCH_CAP_PSDP_NO |	\
				 ARCH_CAP_FB_CLEAR | ARCH_CAP_RRSBA |	\
				 ARCH_CAP_PBRSB_NO | ARCH_CAP_GDS_NO |	\
				 ARCH_CAP_RFDS_NO | ARCH_CAP_RFDS_CLEAR | \
				 ARCH_CAP_BHI_NO | ARCH_CAP_ITS_NO)
/* MCG_CAP bits KVM_X86_SETUP_MCE accepts besides the counts (KVM: + LMCE). */
#define VTX_MCE_CAP_SUPPORTED	(MCG_CTL_P | MCG_SER_P | MCG_CMCI_P)
/* The bits of MCi_CTL2 software may set; a reserved bit set is a #GP. */
#define MCI_CTL2_VALID		(MCI_CTL2_CMCI_EN | MCI_CTL2_CMCI_THRESHOLD_MASK)
/* Offsets of a bank's MSRs from its MCi_CTL. */
#define MCE_BANK_CTL		0
#define MCE_BANK_STATUS		1
#define MCE_BANK_ADDR		2
#define MCE_BANK_MISC		3
/*
 * MCi_CTL takes 0 or all ones; some guests clear bit 10 (a K8 GART erratum
 * workaround in Linux) or bit 0 (UnixWare), so those may be clear too.
 */
#define MCI_CTL_MAY_CLEAR	(BIT_ULL(10) | BIT_ULL(0))
/* MTRRcap: 8 variable ranges, fixed ranges, write-combining. */
#define VTX_MTRR_CAP		(VTX_NR_VAR_MTRR | BIT(8) | BIT(10))
#define MTRR_DEF_TYPE_VALID	(0xffull | BIT(10) | BIT(11))
#define MTRR_PHYS_MASK_VALID	BIT(11)
/* IA32_MTRR_PHYSBASEn bits 11:8 are reserved */
#define MTRR_PHYS_BASE_RSVD	GENMASK_ULL(11, 8)

/* The MSR bitmap's four 1 KiB quarters. */
#define BITMAP_READ_LOW		0x000
#define BITMAP_READ_HIGH	0x400
#define BITMAP_WRITE_LOW	0x800
#define BITMAP_WRITE_HIGH	0xc00
#define BITMAP_HIGH_BASE	0xc0000000u
#define BITMAP_RANGE		0x2000u

static unsigned long *vtx_msr_bitmap;

/* User-return MSRs, indexed by enum vtx_uret. */
static const u32 uret_msrs[VTX_NR_URET] = {
	[VTX_URET_STAR] = MSR_STAR,
	[VTX_URET_LSTAR] = MSR_LSTAR,
	[VTX_URET_CSTAR] = MSR_CSTAR,
	[VTX_URET_SFMASK] = MSR_SYSCALL_MASK,
	[VTX_URET_TSC_AUX] = MSR_TSC_AUX,
};

/* Per CPU, touched only on that CPU with preemption or IRQs disabled. */
struct uret_state {
	struct user_return_notifier urn;
	bool registered;
	bool initialized;
	u64 host[VTX_NR_URET];
	u64 curr[VTX_NR_URET];
	u64 token;	/* the vCPU values curr[] holds, while registered */
};

/* Source of vcpu->uret_token: unique, so a freed vCPU's never matches. */
static atomic64_t uret_tokens = ATOMIC64_INIT(0);

static DEFINE_PER_CPU(struct uret_state, uret_state);

/* MSRs userspace saves and restores (KVM_GET_MSR_INDEX_LIST). */
static const u32 msrs_to_save[] = {
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
	MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK, MSR_KERNEL_GS_BASE,
	MSR_IA32_TSC, MSR_TSC_AUX, MSR_IA32_CR_PAT, MSR_IA32_MISC_ENABLE,
	MSR_IA32_APICBASE, MSR_IA32_UCODE_REV, MSR_MTRRcap, MSR_MTRRdefType,
	MSR_MTRRfix64K_00000, MSR_MTRRfix16K_80000, MSR_MTRRfix16K_A0000,
	MSR_MTRRfix4K_C0000, MSR_MTRRfix4K_C8000, MSR_MTRRfix4K_D0000,
	MSR_MTRRfix4K_D8000, MSR_MTRRfix4K_E0000, MSR_MTRRfix4K_E8000,
	MSR_MTRRfix4K_F0000, MSR_MTRRfix4K_F8000,
	0x200, 0x201, 0x202, 0x203, 0x204, 0x205, 0x206, 0x207,
	0x208, 0x209, 0x20a, 0x20b, 0x20c, 0x20d, 0x20e, 0x20f,
	MSR_IA32_MCG_STATUS, MSR_IA32_MCG_CTL,
	MSR_IA32_TSC_ADJUST, MSR_IA32_ARCH_CAPABILITIES, MSR_PLATFORM_INFO,
	MSR_MISC_FEATURES_ENABLES, MSR_IA32_PERF_CAPABILITIES,
	MSR_IA32_POWER_CTL, MSR_IA32_SMBASE,
};

/* MSRs describing host features (KVM_GET_MSR_FEATURE_INDEX_LIST). */
static const u32 feature_msrs[] = {
	MSR_IA32_UCODE_REV, MSR_IA32_ARCH_CAPABILITIES,
	MSR_IA32_PERF_CAPABILITIES,
};

/*
 * IA32_PERF_CAPABILITIES: vtx offers no PMU (no LBR, no PEBS, no
 * full-width counter writes), so no capability bit; KVM answers the same
 * without a PMU.  Guests read it only when their CPUID offers PDCM.
 */
#define VTX_PERF_CAPABILITIES	0

/*
 * IA32_XSS: the supervisor states a guest may enable.  None, as KVM 6.1
 * (kvm_caps.supported_xss is 0: no CET, no PT or LBR through XSAVES), so
 * the MSR always reads 0 and takes only 0; it is not on the list of MSRs
 * to save (KVM lists it only when some bit is supported).  The guest has
 * it when its CPUID offers XSAVES; userspace always.
 */
#define VTX_SUPPORTED_XSS	0

/**
 * vtx_arch_capabilities() - the IA32_ARCH_CAPABILITIES a guest gets.
 *
 * The host's bits of VTX_ARCH_CAP_PASSED, plus a "not affected" bit for
 * each issue the host kernel found its processor free of.  Two describe
 * vtx itself: SKIP_VMENTRY_L1DFLUSH unless vtx's vmentry_l1d_flush is
 * "never" on an L1TF host (vmx.c; a guest hypervisor would then have to
 * flush itself, as on KVM), and
 * PSCHANGE_MC_NO always (the iTLB-multihit issue concerns a guest's own
 * guests, and vtx offers no VMX to guests).  TAA_NO is left out when RTM is
 * off: the guest sees no RTM and needs no TAA answer.
 */
static u64 vtx_arch_capabilities(void)
{
	u64 data = 0;

	if (boot_cpu_has(X86_FEATURE_ARCH_CAPABILITIES)) {
		rdmsrl(MSR_IA32_ARCH_CAPABILITIES, data);
		data &= VTX_ARCH_CAP_PASSED;
	}
	data |= ARCH_CAP_PSCHANGE_MC_NO;
	if (vtx_x86_caps.l1d_flush_not_needed)
		data |= ARCH_CAP_SKIP_VMENTRY_L1DFLUSH;
	if (!boot_cpu_has_bug(X86_BUG_CPU_MELTDOWN))
		data |= ARCH_CAP_RDCL_NO;
	if (!boot_cpu_has_bug(X86_BUG_SPEC_STORE_BYPASS))
		data |= ARCH_CAP_SSB_NO;
	if (!boot_cpu_has_bug(X86_BUG_MDS))
		data |= ARCH_CAP_MDS_NO;
	if (!boot_cpu_has_bug(X86_BUG_RFDS))
		data |= ARCH_CAP_RFDS_NO;
	if (!boot_cpu_has_bug(X86_BUG_ITS))
		data |= ARCH_CAP_ITS_NO;
	if (!boot_cpu_has(X86_FEATURE_RTM))
		data &= ~ARCH_CAP_TAA_NO;
	else if (!boot_cpu_has_bug(X86_BUG_TAA))
		data |= ARCH_CAP_TAA_NO;
	if (!boot_cpu_has_bug(X86_BUG_GDS) || gds_ucode_mitigated())
		data |= ARCH_CAP_GDS_NO;
	return data;
}

/* Set the guest's TSC offset; a guest's own change shows in TSC_ADJUST. */
static void set_tsc_offset(struct vtx_vcpu *vcpu, u64 offset, bool host)
{
	if (!host)
		vcpu->tsc_adjust += offset - vtx_x86_ops.get_tsc_offset(vcpu);
	vtx_x86_ops.write_tsc_offset(vcpu, offset);
	/* the kvmclock's tsc_timestamp is in the guest's TSC (pv.c) */
	vtx_make_request(VTX_REQ_CLOCK_UPDATE, vcpu);
}

static void uret_on_user_return(struct user_return_notifier *urn)
{
	struct uret_state *st = container_of(urn, struct uret_state, urn);
	unsigned long flags;
	int i;

	local_irq_save(flags);
	user_return_notifier_unregister(urn);
	st->registered = false;
	for (i = 0; i < VTX_NR_URET; i++)
		if (st->curr[i] != st->host[i]) {
			wrmsrl(uret_msrs[i], st->host[i]);
			st->curr[i] = st->host[i];
		}
	local_irq_restore(flags);
}

/**
 * vtx_drop_uret_msrs() - restore the host's values on this CPU now.
 *
 * Called on each CPU when VMX goes off (no VM left), so that no notifier
 * of vtx stays registered once the module may be unloaded.  Interrupts
 * disabled.
 */
void vtx_drop_uret_msrs(void)
{
	struct uret_state *st = this_cpu_ptr(&uret_state);

	if (st->registered)
		uret_on_user_return(&st->urn);
}

/**
 * vtx_load_guest_uret_msrs() - give the CPU the guest's user-return MSRs.
 * @vcpu:	the vCPU about to enter; preemption disabled
 *
 * Writes only the MSRs whose value on the CPU differs.  Between two entries
 * of the same vCPU on the same CPU, with no return to user mode in between
 * (the notifier still registered) and no change of the vCPU's values
 * (set_uret() clears its token), there is nothing to compare.
 */
void vtx_load_guest_uret_msrs(struct vtx_vcpu *vcpu)
{
	struct uret_state *st = this_cpu_ptr(&uret_state);
	int i, n = vcpu->has_tsc_aux ? VTX_NR_URET : VTX_URET_TSC_AUX;

	/* Nothing changed since this vCPU's last entry on this CPU. */
	if (st->registered && st->token == vcpu->uret_token)
		return;
	if (unlikely(!st->initialized)) {
		for (i = 0; i < VTX_NR_URET; i++) {
			if (i == VTX_URET_TSC_AUX &&
			    !boot_cpu_has(X86_FEATURE_RDTSCP))
				continue;
			rdmsrl(uret_msrs[i], st->host[i]);
			st->curr[i] = st->host[i];
		}
		st->urn.on_user_return = uret_on_user_return;
		st->initialized = true;
	}
	for (i = 0; i < n; i++) {
		if (st->curr[i] == vcpu->uret[i])
			continue;
		wrmsrl(uret_msrs[i], vcpu->uret[i]);
		st->curr[i] = vcpu->uret[i];
		if (!st->registered) {
			user_return_notifier_register(&st->urn);
			st->registered = true;
		}
	}
	if (!vcpu->uret_token)
		vcpu->uret_token = atomic64_inc_return(&uret_tokens);
	st->token = vcpu->uret_token;
}

/* A guest write to a user-return MSR: keep the vCPU and the CPU in sync. */
static void set_uret(struct vtx_vcpu *vcpu, int slot, u64 data)
{
	struct uret_state *st;

	vcpu->uret[slot] = data;
	/* Whatever CPU held the old values, the next entry compares again. */
	vcpu->uret_token = 0;
	preempt_disable();
	st = this_cpu_ptr(&uret_state);
	if (vcpu->guest_state_loaded && st->initialized &&
	    st->curr[slot] != data) {
		wrmsrl(uret_msrs[slot], data);
		st->curr[slot] = data;
		if (!st->registered) {
			user_return_notifier_register(&st->urn);
			st->registered = true;
		}
	}
	preempt_enable();
}

static bool mtrr_type_valid(u64 t)
{
	return t < 8 && (BIT(t) & (BIT(0) | BIT(1) | BIT(4) | BIT(5) | BIT(6)));
}

static bool mtrr_fixed_valid(u64 data)
{
	int i;

	for (i = 0; i < 8; i++)
		if (!mtrr_type_valid((data >> (i * 8)) & 0xff))
			return false;
	return true;
}

/* Fixed-range MTRR MSR → slot in vcpu->mtrr_fixed, or -1. */
static int mtrr_fixed_index(u32 index)
{
	switch (index) {
	case MSR_MTRRfix64K_00000:
		return 0;
	case MSR_MTRRfix16K_80000:
	case MSR_MTRRfix16K_A0000:
		return 1 + index - MSR_MTRRfix16K_80000;
	case MSR_MTRRfix4K_C0000 ... MSR_MTRRfix4K_F8000:
		return 3 + index - MSR_MTRRfix4K_C0000;
	}
	return -1;
}

/* Machine-check MSRs: -ENOENT for the others. */
static int get_mce_msr(struct vtx_vcpu *vcpu, u32 index, u64 *data, bool host)
{
	u32 end = MSR_IA32_MCx_CTL(vcpu->mcg_cap & MCG_BANKCNT_MASK);
	u32 end2 = MSR_IA32_MCx_CTL2(vcpu->mcg_cap & MCG_BANKCNT_MASK);

	switch (index) {
	case MSR_IA32_P5_MC_ADDR:
	case MSR_IA32_P5_MC_TYPE:
		*data = 0;
		break;
	case MSR_IA32_MCG_CAP:
		*data = vcpu->mcg_cap;
		break;
	case MSR_IA32_MCG_STATUS:
		*data = vcpu->mcg_status;
		break;
	case MSR_IA32_MCG_CTL:
		if (!(vcpu->mcg_cap & MCG_CTL_P) && !host)
			return -ENOENT;
		*data = vcpu->mcg_ctl;
		break;
	case MSR_IA32_MC0_CTL ... MSR_IA32_MCx_CTL(VTX_MAX_MCE_BANKS) - 1:
		if (index >= end)
			return -ENOENT;
		*data = vcpu->mce_banks[array_index_nospec(index - MSR_IA32_MC0_CTL,
							   end - MSR_IA32_MC0_CTL)];
		break;
	case MSR_IA32_MC0_CTL2 ... MSR_IA32_MCx_CTL2(VTX_MAX_MCE_BANKS) - 1:
		/* Without MCG_CMCI_P only userspace sees them (KVM). */
		if (index >= end2 || (!(vcpu->mcg_cap & MCG_CMCI_P) && !host))
			return -ENOENT;
		*data = vcpu->mci_ctl2[array_index_nospec(index - MSR_IA32_MC0_CTL2,
							  end2 - MSR_IA32_MC0_CTL2)];
		break;
	default:
		return -ENOENT;
	}
	return 0;
}

static int set_mce_msr(struct vtx_vcpu *vcpu, u32 index, u64 data, bool host)
{
	u32 end = MSR_IA32_MCx_CTL(vcpu->mcg_cap & MCG_BANKCNT_MASK), off;
	u32 end2 = MSR_IA32_MCx_CTL2(vcpu->mcg_cap & MCG_BANKCNT_MASK);

	switch (index) {
	case MSR_IA32_MCG_STATUS:
		vcpu->mcg_status = data;
		break;
	case MSR_IA32_MCG_CTL:
		if (!(vcpu->mcg_cap & MCG_CTL_P) && (data || !host))
			return -ENOENT;
		if (data && data != ~0ull)
			return -EINVAL;
		vcpu->mcg_ctl = data;
		break;
	case MSR_IA32_MC0_CTL ... MSR_IA32_MCx_CTL(VTX_MAX_MCE_BANKS) - 1:
		if (index >= end)
			return -ENOENT;
		off = array_index_nospec(index - MSR_IA32_MC0_CTL,
					 end - MSR_IA32_MC0_CTL);
		if (off % VTX_MCE_BANK_MSRS == MCE_BANK_CTL && data &&
		    (data | MCI_CTL_MAY_CLEAR) != ~0ull)
			return -EINVAL;
		/* The guest may only clear a status; userspace may set one. */
		if (off % VTX_MCE_BANK_MSRS == MCE_BANK_STATUS && data && !host)
			return -EINVAL;
		vcpu->mce_banks[off] = data;
		break;
	case MSR_IA32_MC0_CTL2 ... MSR_IA32_MCx_CTL2(VTX_MAX_MCE_BANKS) - 1:
		if (index >= end2)
			return -ENOENT;
		/* Without MCG_CMCI_P userspace may only restore a 0 (KVM). */
		if (!(vcpu->mcg_cap & MCG_CMCI_P) && (data || !host))
			return -ENOENT;
		if (data & ~MCI_CTL2_VALID)
			return -EINVAL;
		vcpu->mci_ctl2[array_index_nospec(index - MSR_IA32_MC0_CTL2,
						  end2 - MSR_IA32_MC0_CTL2)] = data;
		break;
	default:
		return -ENOENT;
	}
	return 0;
}

static int get_msr(struct vtx_vcpu *vcpu, u32 index, u64 *data, bool host)
{
	int i;

	if (vcpu->apic && vtx_apic_msr(index))
		return vtx_apic_get_msr(vcpu, index, data);
	switch (index) {
	case MSR_EFER:
		*data = vcpu->efer;
		break;
	case MSR_IA32_APICBASE:
		*data = vcpu->apic_base;
		break;
	case MSR_IA32_TSC:
		*data = rdtsc() + vtx_x86_ops.get_tsc_offset(vcpu);
		break;
	case MSR_IA32_SYSENTER_CS:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_IA32_CR_PAT:
	case MSR_IA32_DEBUGCTLMSR:
		/* held by the backend (the VMCS's guest-state area) */
		*data = vtx_x86_ops.get_msr(vcpu, index);
		break;
	case MSR_KERNEL_GS_BASE:
		preempt_disable();
		if (vcpu->guest_state_loaded)
			rdmsrl(MSR_KERNEL_GS_BASE, vcpu->kernel_gs_base);
		*data = vcpu->kernel_gs_base;
		preempt_enable();
		break;
	case MSR_IA32_MISC_ENABLE:
		*data = vcpu->misc_enable;
		break;
	case MSR_IA32_UCODE_REV:
		*data = vcpu->ucode_rev;
		break;
	case MSR_IA32_PERF_CAPABILITIES:
		if (!host && !vtx_guest_cpuid_has(vcpu, X86_FEATURE_PDCM))
			return -ENOENT;
		*data = VTX_PERF_CAPABILITIES;
		break;
	case MSR_IA32_XSS:
		if (!host && !vtx_guest_cpuid_has(vcpu, X86_FEATURE_XSAVES))
			return -EINVAL;
		*data = VTX_SUPPORTED_XSS;
		break;
	case MSR_IA32_TSC_ADJUST:
		*data = vcpu->tsc_adjust;
		break;
	case MSR_IA32_SMBASE:
		/* userspace's only, as on KVM: the guest's RDMSR #GPs */
		if (!host)
			return -EINVAL;
		*data = vcpu->smbase;
		break;
	case MSR_IA32_ARCH_CAPABILITIES:
		if (!host && !vtx_guest_cpuid_has(vcpu,
						  X86_FEATURE_ARCH_CAPABILITIES))
			return -ENOENT;
		*data = vcpu->arch_capabilities;
		break;
	case MSR_PLATFORM_INFO:
		/* KVM_CAP_MSR_PLATFORM_INFO turned the guest's reads off */
		if (!host && READ_ONCE(vcpu->vm->platform_info_hidden))
			return -ENOENT;
		*data = vcpu->platform_info;
		break;
	case MSR_MISC_FEATURES_ENABLES:
		*data = vcpu->misc_features;
		break;
	case MSR_IA32_POWER_CTL:
		*data = vcpu->power_ctl;
		break;
	case MSR_MTRRcap:
		*data = VTX_MTRR_CAP;
		break;
	case MSR_MTRRdefType:
		*data = vcpu->mtrr_def_type;
		break;
	case MSR_MTRRfix64K_00000 ... MSR_MTRRfix4K_F8000:
		i = mtrr_fixed_index(index);
		if (i < 0)
			return -ENOENT;
		*data = vcpu->mtrr_fixed[i];
		break;
	case MTRRphysBase_MSR(0) ... MTRRphysMask_MSR(VTX_NR_VAR_MTRR - 1):
		*data = vcpu->mtrr_var[index - MTRRphysBase_MSR(0)];
		break;
	default:
		for (i = 0; i < VTX_NR_URET; i++)
			if (index == uret_msrs[i] &&
			    (i != VTX_URET_TSC_AUX || vcpu->has_tsc_aux)) {
				*data = vcpu->uret[i];
				return 0;
			}
		if (vtx_pv_msr(index))
			return vtx_pv_get_msr(vcpu, index, data, host);
		return get_mce_msr(vcpu, index, data, host);
	}
	return 0;
}

/**
 * vtx_get_msr() - read a guest MSR for the guest (RDMSR).
 * @vcpu:	the loaded vCPU
 * @index:	MSR number
 * @data:	value out
 *
 * Return: 0, or -ENOENT for an MSR vtx does not implement (#GP).
 */
int vtx_get_msr(struct vtx_vcpu *vcpu, u32 index, u64 *data)
{
	return get_msr(vcpu, index, data, false);
}

static bool efer_valid(struct vtx_vcpu *vcpu, u64 efer)
{
	if (efer & ~(u64)(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX))
		return false;
	/* LME can't change while paging is on. */
	if ((vcpu->cr0 & X86_CR0_PG) && ((efer ^ vcpu->efer) & EFER_LME))
		return false;
	return true;
}

static bool pat_valid(u64 pat)
{
	int i;

	for (i = 0; i < 8; i++) {
		u64 t = (pat >> (i * 8)) & 0xff;

		if (t > 7 || t == 2 || t == 3)
			return false;
	}
	return true;
}

/**
 * vtx_set_msr() - write a guest MSR.
 * @vcpu:	the loaded vCPU
 * @index:	MSR number
 * @data:	value
 * @host:	written by userspace (KVM_SET_MSRS), not by the guest
 *
 * Return: 0, -ENOENT for an unknown MSR, -EINVAL for a bad value; both
 * become #GP for the guest.
 */
int vtx_set_msr(struct vtx_vcpu *vcpu, u32 index, u64 data, bool host)
{
	int i;

	if (vcpu->apic && vtx_apic_msr(index))
		return vtx_apic_set_msr(vcpu, index, data, host);
	switch (index) {
	case MSR_EFER:
		if (!efer_valid(vcpu, data))
			return -EINVAL;
		/* LMA is the processor's, not the writer's. */
		vtx_x86_ops.set_efer(vcpu, (data & ~EFER_LMA) |
					   (vcpu->efer & EFER_LMA));
		break;
	case MSR_IA32_APICBASE:
		if (vcpu->apic)
			return vtx_apic_set_base(vcpu, data, host);
		if (data & vtx_apic_base_reserved(vcpu))
			return -EINVAL;
		vcpu->apic_base = data;
		break;
	case MSR_IA32_TSC:
		set_tsc_offset(vcpu, data - rdtsc(), host);
		break;
	case MSR_IA32_SMBASE:
		if (!host)
			return -EINVAL;
		vcpu->smbase = data;
		break;
	case MSR_IA32_TSC_ADJUST:
		/* Ignored when the guest's CPUID lacks it, as in KVM. */
		if (!vtx_guest_cpuid_has(vcpu, X86_FEATURE_TSC_ADJUST))
			break;
		if (!host) {
			vtx_x86_ops.write_tsc_offset(vcpu,
				vtx_x86_ops.get_tsc_offset(vcpu) +
				data - vcpu->tsc_adjust);
			vtx_make_request(VTX_REQ_CLOCK_UPDATE, vcpu);
		}
		vcpu->tsc_adjust = data;
		break;
	case MSR_IA32_ARCH_CAPABILITIES:
		if (!host)
			return -EINVAL;
		vcpu->arch_capabilities = data;
		break;
	case MSR_PLATFORM_INFO:
		/*
		 * Userspace sets any value (KVM's selftest platform_info_test
		 * sets the non-turbo ratio), but may take CPUID faulting away
		 * only while it is off.
		 */
		if (!host ||
		    (!(data & MSR_PLATFORM_INFO_CPUID_FAULT) &&
		     vcpu->misc_features))
			return -EINVAL;
		vcpu->platform_info = data;
		break;
	case MSR_MISC_FEATURES_ENABLES:
		if ((data & ~MSR_MISC_FEATURES_ENABLES_CPUID_FAULT) ||
		    (data && !(vcpu->platform_info &
			       MSR_PLATFORM_INFO_CPUID_FAULT)))
			return -EINVAL;
		vcpu->misc_features = data;
		break;
	case MSR_IA32_SYSENTER_CS:
		vtx_x86_ops.set_msr(vcpu, index, data);
		break;
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		/* As KVM: made canonical (VM entry would refuse it), no #GP. */
		vtx_x86_ops.set_msr(vcpu, index,
				    __canonical_address(data, VTX_VADDR_BITS));
		break;
	case MSR_FS_BASE:
	case MSR_GS_BASE:
		if (!__is_canonical_address(data, VTX_VADDR_BITS))
			return -EINVAL;
		vtx_x86_ops.set_msr(vcpu, index, data);
		break;
	case MSR_KERNEL_GS_BASE:
		if (!__is_canonical_address(data, VTX_VADDR_BITS))
			return -EINVAL;
		preempt_disable();
		vcpu->kernel_gs_base = data;
		if (vcpu->guest_state_loaded)
			wrmsrl(MSR_KERNEL_GS_BASE, data);
		preempt_enable();
		break;
	case MSR_IA32_CR_PAT:
		if (!pat_valid(data))
			return -EINVAL;
		vtx_x86_ops.set_msr(vcpu, index, data);
		break;
	case MSR_IA32_DEBUGCTLMSR:
		/* No LBR or BTF virtualization: only 0 is accepted. */
		if (data)
			return -EINVAL;
		break;
	case MSR_IA32_MISC_ENABLE:
		if (!host) {
			if ((data ^ vcpu->misc_enable) & MISC_ENABLE_RO)
				return -EINVAL;
			/* EMON is read-only for the guest, writes ignored. */
			data = (data & ~MSR_IA32_MISC_ENABLE_EMON) |
			       (vcpu->misc_enable & MSR_IA32_MISC_ENABLE_EMON);
		}
		/*
		 * KVM_X86_QUIRK_MISC_ENABLE_NO_MWAIT off: the MWAIT bit is
		 * CPUID.01H:ECX.MONITOR's, which needs SSE3 (as KVM).
		 */
		if (!vtx_has_quirk(vcpu->vm, KVM_X86_QUIRK_MISC_ENABLE_NO_MWAIT) &&
		    ((data ^ vcpu->misc_enable) & MSR_IA32_MISC_ENABLE_MWAIT)) {
			if (!vtx_guest_cpuid_has(vcpu, X86_FEATURE_XMM3))
				return -EINVAL;
			vcpu->misc_enable = data;
			vtx_cpuid_update_mwait(vcpu);
			break;
		}
		vcpu->misc_enable = data;
		break;
	case MSR_IA32_POWER_CTL:
		/* kept, no effect: as KVM */
		vcpu->power_ctl = data;
		break;
	case MSR_IA32_UCODE_REV:
		/*
		 * The guest writes 0 before CPUID to read the revision: the
		 * write is accepted and changes nothing, as on hardware.
		 */
		if (host)
			vcpu->ucode_rev = data;
		break;
	case MSR_IA32_PERF_CAPABILITIES:
		/* as KVM: userspace only, and only what is supported */
		if (!host || (data & ~(u64)VTX_PERF_CAPABILITIES))
			return -EINVAL;
		break;
	case MSR_IA32_XSS:
		/* the guest's CPUID must offer XSAVES; userspace may always */
		if (!host && !vtx_guest_cpuid_has(vcpu, X86_FEATURE_XSAVES))
			return -EINVAL;
		if (data & ~(u64)VTX_SUPPORTED_XSS)
			return -EINVAL;
		break;
	case MSR_MTRRcap:
		if (!host || data != VTX_MTRR_CAP)
			return -EINVAL;
		break;
	case MSR_MTRRdefType:
		if ((data & ~MTRR_DEF_TYPE_VALID) ||
		    !mtrr_type_valid(data & 0xff))
			return -EINVAL;
		vcpu->mtrr_def_type = data;
		break;
	case MSR_MTRRfix64K_00000 ... MSR_MTRRfix4K_F8000:
		i = mtrr_fixed_index(index);
		if (i < 0)
			return -ENOENT;
		if (!mtrr_fixed_valid(data))
			return -EINVAL;
		vcpu->mtrr_fixed[i] = data;
		break;
	case MTRRphysBase_MSR(0) ... MTRRphysMask_MSR(VTX_NR_VAR_MTRR - 1):
		i = index - MTRRphysBase_MSR(0);
		/* address bits from the vCPU's MAXPHYADDR up, as KVM's */
		if (data & vtx_rsvd_gpa_bits(vcpu))
			return -EINVAL;
		if (!(i & 1) && (!mtrr_type_valid(data & 0xff) ||
				 (data & MTRR_PHYS_BASE_RSVD)))
			return -EINVAL;
		if ((i & 1) && (data & 0x7ff))
			return -EINVAL;
		vcpu->mtrr_var[i] = data;
		break;
	default:
		for (i = 0; i < VTX_NR_URET; i++) {
			if (index != uret_msrs[i] ||
			    (i == VTX_URET_TSC_AUX && !vcpu->has_tsc_aux))
				continue;
			/*
			 * Bits 63:32 of TSC_AUX and SFMASK are reserved: the
			 * wrmsrl() before the next entry would fault.
			 */
			if ((i == VTX_URET_TSC_AUX || i == VTX_URET_SFMASK) &&
			    (data >> 32))
				return -EINVAL;
			if (i != VTX_URET_TSC_AUX && i != VTX_URET_STAR &&
			    i != VTX_URET_SFMASK &&
			    !__is_canonical_address(data, VTX_VADDR_BITS))
				return -EINVAL;
			set_uret(vcpu, i, data);
			return 0;
		}
		if (vtx_pv_msr(index))
			return vtx_pv_set_msr(vcpu, index, data, host);
		return set_mce_msr(vcpu, index, data, host);
	}
	return 0;
}

/**
 * vtx_msr_vcpu_init() - reset values of the MSRs kept in struct vtx_vcpu.
 * @vcpu:	a new vCPU
 */
void vtx_msr_vcpu_init(struct vtx_vcpu *vcpu)
{
	vcpu->misc_enable = VTX_MISC_ENABLE;
	vcpu->ucode_rev = VTX_UCODE_REV;
	vcpu->arch_capabilities = vtx_arch_capabilities();
	vcpu->platform_info = MSR_PLATFORM_INFO_CPUID_FAULT;
	/* KVM's value before KVM_X86_SETUP_MCE: every bank, no MCG_CTL. */
	vcpu->mcg_cap = VTX_MAX_MCE_BANKS;
}

/**
 * vtx_ioctl_mce_cap_supported() - KVM_X86_GET_MCE_CAP_SUPPORTED.
 * @argp:	u64 out: the MCG_CAP bits KVM_X86_SETUP_MCE accepts, and the
 *		largest bank count
 *
 * Return: 0 or -EFAULT.
 */
long vtx_ioctl_mce_cap_supported(u64 __user *argp)
{
	u64 cap = VTX_MCE_CAP_SUPPORTED | VTX_MAX_MCE_BANKS;

	return put_user(cap, argp);
}

/**
 * vtx_ioctl_setup_mce() - KVM_X86_SETUP_MCE: the guest's MCG_CAP.
 * @vcpu:	the loaded vCPU
 * @argp:	u64: bank count (1 to VTX_MAX_MCE_BANKS), the extended
 *		register count and bits of VTX_MCE_CAP_SUPPORTED
 *
 * Sets MCG_CTL (with MCG_CTL_P) and each bank's MCi_CTL to all ones:
 * every error reported; with MCG_CMCI_P each bank's MCi_CTL2 to 0 (no
 * CMCI), and the local APIC gains or loses its CMCI LVT (KVM's
 * kvm_apic_after_set_mcg_cap()).
 *
 * Return: 0, -EFAULT, or -EINVAL for a bank count or a bit vtx lacks.
 */
long vtx_ioctl_setup_mce(struct vtx_vcpu *vcpu, u64 __user *argp)
{
	unsigned int banks, i;
	u64 cap;

	if (get_user(cap, argp))
		return -EFAULT;
	banks = cap & MCG_BANKCNT_MASK;
	if (!banks || banks > VTX_MAX_MCE_BANKS)
		return -EINVAL;
	if (cap & ~(VTX_MCE_CAP_SUPPORTED | MCG_BANKCNT_MASK | MCG_EXT_CNT_MASK))
		return -EINVAL;
	vcpu->mcg_cap = cap;
	if (cap & MCG_CTL_P)
		vcpu->mcg_ctl = ~0ull;
	for (i = 0; i < banks; i++) {
		vcpu->mce_banks[i * VTX_MCE_BANK_MSRS + MCE_BANK_CTL] = ~0ull;
		if (cap & MCG_CMCI_P)
			vcpu->mci_ctl2[i] = 0;
	}
	vtx_apic_update_mcg_cap(vcpu);
	return 0;
}

/*
 * Uncorrected, no action required (UCNA): no machine check in progress,
 * not signalled as #MC, processor context intact (KVM's is_ucna()).
 */
static bool mce_is_ucna(const struct kvm_x86_mce *m)
{
	return !m->mcg_status &&
	       !(m->status & (MCI_STATUS_PCC | MCI_STATUS_S | MCI_STATUS_AR)) &&
	       (m->status & MCI_STATUS_VAL) && (m->status & MCI_STATUS_UC);
}

/**
 * vtx_ioctl_set_mce() - KVM_X86_SET_MCE: report a machine check.
 * @vcpu:	the loaded vCPU
 * @argp:	struct kvm_x86_mce: bank, MCi_STATUS/ADDR/MISC, MCG_STATUS
 *
 * An uncorrected error needing no action (UCNA) replaces what the bank
 * held, as KVM (no OVER), raises no #MC and, with MCG_CMCI_P and the
 * bank's MCi_CTL2.CMCI_EN, is signalled through the local APIC's CMCI LVT
 * (when unmasked).  A corrected error is logged in the bank, OVER set if
 * the bank held a valid error.  An uncorrected error
 * is logged and raises #MC, unless MCG_CTL or the bank's MCi_CTL disable
 * its reporting (dropped); with a machine check in progress or CR4.MCE
 * clear the processor shuts down instead: KVM_EXIT_SHUTDOWN at the next
 * KVM_RUN.
 *
 * Return: 0, -EFAULT, or -EINVAL for a bank out of range or a status
 * without MCI_STATUS_VAL.
 */
long vtx_ioctl_set_mce(struct vtx_vcpu *vcpu, struct kvm_x86_mce __user *argp)
{
	unsigned int nbanks = vcpu->mcg_cap & MCG_BANKCNT_MASK;
	struct kvm_x86_mce m;
	u64 *bank;

	if (copy_from_user(&m, argp, sizeof(m)))
		return -EFAULT;
	if (m.bank >= nbanks || !(m.status & MCI_STATUS_VAL))
		return -EINVAL;
	bank = &vcpu->mce_banks[array_index_nospec(m.bank, nbanks) *
				VTX_MCE_BANK_MSRS];
	if (mce_is_ucna(&m)) {
		bank[MCE_BANK_STATUS] = m.status;
		bank[MCE_BANK_ADDR] = m.addr;
		bank[MCE_BANK_MISC] = m.misc;
		vcpu->mcg_status = m.mcg_status;
		if ((vcpu->mcg_cap & MCG_CMCI_P) &&
		    (vcpu->mci_ctl2[array_index_nospec(m.bank, nbanks)] &
		     MCI_CTL2_CMCI_EN))
			vtx_apic_local_deliver(vcpu, APIC_LVTCMCI);
		return 0;
	}
	if (m.status & MCI_STATUS_UC) {
		if ((vcpu->mcg_cap & MCG_CTL_P) && vcpu->mcg_ctl != ~0ull)
			return 0;
		if (bank[MCE_BANK_CTL] != ~0ull)
			return 0;
		if ((vcpu->mcg_status & MCG_STATUS_MCIP) ||
		    !(vtx_get_cr4(vcpu) & X86_CR4_MCE)) {
			vtx_make_request(VTX_REQ_TRIPLE_FAULT, vcpu);
			return 0;
		}
		if (bank[MCE_BANK_STATUS] & MCI_STATUS_VAL)
			m.status |= MCI_STATUS_OVER;
		bank[MCE_BANK_ADDR] = m.addr;
		bank[MCE_BANK_MISC] = m.misc;
		bank[MCE_BANK_STATUS] = m.status;
		vcpu->mcg_status = m.mcg_status;
		vtx_queue_exception(vcpu, X86_TRAP_MC, false, 0);
	} else if (!(bank[MCE_BANK_STATUS] & MCI_STATUS_VAL) ||
		   !(bank[MCE_BANK_STATUS] & MCI_STATUS_UC)) {
		/* A corrected error does not overwrite an uncorrected one. */
		if (bank[MCE_BANK_STATUS] & MCI_STATUS_VAL)
			m.status |= MCI_STATUS_OVER;
		bank[MCE_BANK_ADDR] = m.addr;
		bank[MCE_BANK_MISC] = m.misc;
		bank[MCE_BANK_STATUS] = m.status;
	} else {
		bank[MCE_BANK_STATUS] |= MCI_STATUS_OVER;
	}
	return 0;
}

static long copy_index_list(struct kvm_msr_list __user *argp, const u32 *list,
			    u32 n)
{
	struct kvm_msr_list hdr;
	u32 room;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	room = hdr.nmsrs;
	hdr.nmsrs = n;
	if (copy_to_user(argp, &hdr, sizeof(hdr)))
		return -EFAULT;
	if (room < n)
		return -E2BIG;
	if (copy_to_user(argp->indices, list, n * sizeof(*list)))
		return -EFAULT;
	return 0;
}

long vtx_ioctl_msr_index_list(struct kvm_msr_list __user *argp)
{
	u32 list[ARRAY_SIZE(msrs_to_save)], n = 0, i;

	/* TSC_AUX exists for the guest only with RDTSCP. */
	for (i = 0; i < ARRAY_SIZE(msrs_to_save); i++)
		if (msrs_to_save[i] != MSR_TSC_AUX ||
		    vtx_x86_caps.rdtscp)
			list[n++] = msrs_to_save[i];
	return copy_index_list(argp, list, n);
}

long vtx_ioctl_msr_feature_list(struct kvm_msr_list __user *argp)
{
	return copy_index_list(argp, feature_msrs, ARRAY_SIZE(feature_msrs));
}

/**
 * vtx_ioctl_msrs() - KVM_GET_MSRS / KVM_SET_MSRS on a vCPU, or KVM_GET_MSRS
 * of feature MSRs on the system fd (@vcpu NULL).
 * @vcpu:	the loaded vCPU, or NULL
 * @argp:	struct kvm_msrs
 * @set:	write instead of read
 *
 * Return: the number of entries done (stops at the first failure), or an
 * errno for a bad header.
 */
long vtx_ioctl_msrs(struct vtx_vcpu *vcpu, struct kvm_msrs __user *argp,
		    bool set)
{
	struct kvm_msr_entry *entries;
	struct kvm_msrs hdr;
	size_t size;
	u32 i;
	long r;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nmsrs >= VTX_MAX_IO_MSRS)
		return -E2BIG;
	size = sizeof(*entries) * hdr.nmsrs;
	entries = memdup_user(argp->entries, size);
	if (IS_ERR(entries))
		return PTR_ERR(entries);
	for (i = 0; i < hdr.nmsrs; i++) {
		struct kvm_msr_entry *e = &entries[i];

		if (!vcpu) {
			if (set)
				break;
			if (e->index == MSR_IA32_UCODE_REV)
				e->data = VTX_UCODE_REV;
			else if (e->index == MSR_IA32_ARCH_CAPABILITIES)
				e->data = vtx_arch_capabilities();
			else if (e->index == MSR_IA32_PERF_CAPABILITIES)
				e->data = VTX_PERF_CAPABILITIES;
			else
				break;
		} else if (set ? vtx_set_msr(vcpu, e->index, e->data, true) :
				 get_msr(vcpu, e->index, &e->data, true)) {
			break;
		}
	}
	r = i;
	if (!set && copy_to_user(argp->entries, entries, size))
		r = -EFAULT;
	kfree(entries);
	return r;
}

/*
 * The MSRs the guest reaches without an exit: reads (and writes) of these
 * pass the module's bitmap, unless the VM's MSR filter denies them
 * (msr_filter.c).
 */
static const struct {
	u32 msr;
	bool write;
} bitmap_passed[] = {
	{ MSR_FS_BASE, true }, { MSR_GS_BASE, true },
	{ MSR_KERNEL_GS_BASE, true }, { MSR_IA32_SYSENTER_CS, true },
	{ MSR_IA32_SYSENTER_ESP, true }, { MSR_IA32_SYSENTER_EIP, true },
	/* the user-return MSRs but TSC_AUX, for reading */
	{ MSR_STAR, false }, { MSR_LSTAR, false }, { MSR_CSTAR, false },
	{ MSR_SYSCALL_MASK, false },
};

/* The bit of @msr in @map's read or write half; NULL outside its ranges. */
static unsigned long *bitmap_word(unsigned long *map, u32 msr, bool write,
				  u32 *bit)
{
	u32 base = msr >= BITMAP_HIGH_BASE ? BITMAP_HIGH_BASE : 0;
	u32 off;

	*bit = msr - base;
	if (*bit >= BITMAP_RANGE)
		return NULL;
	if (write)
		off = base ? BITMAP_WRITE_HIGH : BITMAP_WRITE_LOW;
	else
		off = base ? BITMAP_READ_HIGH : BITMAP_READ_LOW;
	return (unsigned long *)((u8 *)map + off);
}

static void bitmap_set_exit(unsigned long *map, u32 msr, bool write,
			    bool exit)
{
	unsigned long *half;
	u32 bit;

	half = bitmap_word(map, msr, write, &bit);
	if (!half)
		return;
	if (exit)
		__set_bit(bit, half);
	else
		__clear_bit(bit, half);
}

/**
 * vtx_msr_bitmap_fill() - the module's MSR bitmap with the accesses the
 * VM's MSR filter denies made to exit.
 * @vcpu:	the vCPU whose filter applies
 * @map:	a page to fill
 */
void vtx_msr_bitmap_fill(struct vtx_vcpu *vcpu, unsigned long *map)
{
	unsigned int i;

	memcpy(map, vtx_msr_bitmap, PAGE_SIZE);
	for (i = 0; i < ARRAY_SIZE(bitmap_passed); i++) {
		u32 msr = bitmap_passed[i].msr;

		if (!vtx_msr_allowed(vcpu, msr, KVM_MSR_FILTER_READ))
			bitmap_set_exit(map, msr, false, true);
		if (bitmap_passed[i].write &&
		    !vtx_msr_allowed(vcpu, msr, KVM_MSR_FILTER_WRITE))
			bitmap_set_exit(map, msr, true, true);
	}
}

int vtx_msr_init(void)
{
	unsigned int i;

	vtx_msr_bitmap = (unsigned long *)__get_free_page(GFP_KERNEL);
	if (!vtx_msr_bitmap)
		return -ENOMEM;
	memset(vtx_msr_bitmap, 0xff, PAGE_SIZE);
	for (i = 0; i < ARRAY_SIZE(bitmap_passed); i++) {
		bitmap_set_exit(vtx_msr_bitmap, bitmap_passed[i].msr, false,
				false);
		if (bitmap_passed[i].write)
			bitmap_set_exit(vtx_msr_bitmap, bitmap_passed[i].msr,
					true, false);
	}
	return 0;
}

void vtx_msr_exit(void)
{
	free_page((unsigned long)vtx_msr_bitmap);
}

/**
 * vtx_msr_bitmap_pa() - the MSR bitmap a vCPU uses outside x2APIC
 * virtualization: its own once its VM had a filter (msr_filter.c), else
 * the module's.
 * @vcpu:	the vCPU
 */
u64 vtx_msr_bitmap_pa(struct vtx_vcpu *vcpu)
{
	return __pa(vcpu->msr_bitmap ? vcpu->msr_bitmap : vtx_msr_bitmap);
}
