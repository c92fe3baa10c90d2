// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - VMX lifecycle: capability probe, control masks and VMXON/VMXOFF.
 *
 * VMX is on, on every online CPU, exactly while at least one VM exists
 * (vtx_vmx_get()/vtx_vmx_put()).  If another hypervisor already holds VMX
 * on a CPU (CR4.VMXE set), turning it on fails with -EBUSY and every CPU
 * that had been turned on is turned off again.
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/gfp.h>
#include <linux/idr.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/namei.h>
#include <linux/percpu.h>
#include <linux/reboot.h>
#include <linux/slab.h>
#include <asm/cpufeature.h>
#include <asm/hardirq.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/processor.h>
#include <asm/tsc.h>
#include <asm/reboot.h>
#include <asm/tlbflush.h>
#include "vmx/vmx.h"

struct vtx_vmx_caps vtx_caps;

/*
 * Per-CPU state, only touched on its own CPU with interrupts disabled
 * (or, for vmxon_region, while usage changes under vtx_vmx_lock).
 */
static DEFINE_PER_CPU(struct vmcs *, vmxon_region);
static DEFINE_PER_CPU(bool, vmx_on);

static DEFINE_MUTEX(vtx_vmx_lock);	/* protects vmx_usage, emergency */
static unsigned int vmx_usage;		/* VMs alive */
static bool emergency_registered;
static enum cpuhp_state vtx_cpuhp_state;

static DEFINE_IDA(vtx_vpid_ida);
#define VTX_VPID_MAX	(VMX_NR_VPIDS - 1)

/* Controls vtx needs, and those it uses when offered. */
#define VTX_PIN_REQUIRED	(PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING)
#define VTX_PIN_OPTIONAL	(PIN_BASED_VIRTUAL_NMIS |		\
				 PIN_BASED_VMX_PREEMPTION_TIMER)
#define VTX_PROC_REQUIRED	(CPU_BASED_HLT_EXITING |		\
				 CPU_BASED_UNCOND_IO_EXITING |		\
				 CPU_BASED_MOV_DR_EXITING |		\
				 CPU_BASED_MWAIT_EXITING |		\
				 CPU_BASED_MONITOR_EXITING |		\
				 CPU_BASED_RDPMC_EXITING |		\
				 CPU_BASED_CR8_LOAD_EXITING |		\
				 CPU_BASED_CR8_STORE_EXITING |		\
				 CPU_BASED_USE_MSR_BITMAPS |		\
				 CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)
#define VTX_PROC_OPTIONAL	(CPU_BASED_USE_TSC_OFFSETTING |		\
				 CPU_BASED_TPR_SHADOW)
#define VTX_PROC2_REQUIRED	(SECONDARY_EXEC_ENABLE_EPT |		\
				 SECONDARY_EXEC_UNRESTRICTED_GUEST)
#define VTX_PROC2_OPTIONAL	(SECONDARY_EXEC_ENABLE_VPID |		\
				 SECONDARY_EXEC_ENABLE_RDTSCP |		\
				 SECONDARY_EXEC_ENABLE_INVPCID |	\
				 SECONDARY_EXEC_ENABLE_XSAVES |		\
				 SECONDARY_EXEC_DESC |			\
				 SECONDARY_EXEC_WBINVD_EXITING |	\
				 VTX_PROC2_APICV)
#define VTX_EXIT_REQUIRED	(VM_EXIT_HOST_ADDR_SPACE_SIZE |		\
				 VM_EXIT_SAVE_IA32_EFER |		\
				 VM_EXIT_LOAD_IA32_EFER |		\
				 VM_EXIT_SAVE_IA32_PAT |		\
				 VM_EXIT_LOAD_IA32_PAT |		\
				 VM_EXIT_SAVE_DEBUG_CONTROLS)
#define VTX_EXIT_OPTIONAL	VM_EXIT_SAVE_VMX_PREEMPTION_TIMER
#define VTX_ENTRY_REQUIRED	(VM_ENTRY_LOAD_IA32_EFER |		\
				 VM_ENTRY_LOAD_IA32_PAT |		\
				 VM_ENTRY_LOAD_DEBUG_CONTROLS)
#define VTX_ENTRY_OPTIONAL	0

/*
 * tick_exits: a guest that neither exits nor takes host interrupts keeps a
 * host CPU.  On real processors an external interrupt always exits
 * (external-interrupt exiting), so the host's tick preempts any guest.
 * Some emulated VMX implementations (Bochs 2.7) deliver that exit only
 * while the guest has RFLAGS.IF set: a guest spinning with interrupts off
 * (firmware waiting for another vCPU) then starves every other thread
 * queued on that CPU, the other vCPU included.  With tick exits the
 * VMX-preemption timer ends guest execution after one host tick of guest
 * time, and the host gets to schedule.  On by default: an emulator does
 * not announce itself (Bochs sets no CPUID hypervisor bit), and on real
 * processors the cost is at most one exit per host tick of guest time.
 */
static bool tick_exits = true;
module_param(tick_exits, bool, 0444);
MODULE_PARM_DESC(tick_exits, "exit after a host tick of guest time");

static void setup_tick_exits(struct vtx_vmx_caps *c)
{
	u64 misc, ticks;

	c->tick_value = 0;
	if (tick_exits && (c->pin & PIN_BASED_VMX_PREEMPTION_TIMER) &&
	    tsc_khz) {
		rdmsrl(MSR_IA32_VMX_MISC, misc);
		ticks = ((u64)tsc_khz * MSEC_PER_SEC / HZ) >>
			vmx_misc_preemption_timer_rate(misc);
		c->tick_value = clamp_t(u64, ticks, 1, U32_MAX);
	}
	if (!c->tick_value) {
		c->pin &= ~PIN_BASED_VMX_PREEMPTION_TIMER;
		c->exit &= ~VM_EXIT_SAVE_VMX_PREEMPTION_TIMER;
	}
}

/*
 * L1TF (CVE-2018-3646): a guest can read, speculatively, whatever the L1
 * data cache holds for any physical address its EPT maps as not present.
 * vtx flushes L1D before VM entry with kvm_intel's vmentry_l1d_flush
 * semantics: "never", "cond" (only after the vCPU thread or an interrupt
 * may have brought host data into L1D since the last entry), "always";
 * "auto" (the default) picks from the host's l1tf= mitigation.  Nothing
 * is flushed on a processor without the L1TF bug or one whose
 * IA32_ARCH_CAPABILITIES says a nested hypervisor's entries need no
 * flush (SKIP_VMENTRY_L1DFLUSH).  The flush is the IA32_FLUSH_CMD MSR
 * where the processor has it, else reading a buffer of twice the L1D
 * size (64 KiB, allocated at load only then).  Set at load only
 * (kvm_intel also lets root change it at run time).
 */
DEFINE_STATIC_KEY_FALSE(vtx_l1d_should_flush);
static DEFINE_STATIC_KEY_FALSE(vtx_l1d_flush_cond);

static enum vmx_l1d_flush_state l1d_flush_param = VMENTER_L1D_FLUSH_AUTO;
/* What is done, set once at load (probe_mitigations()). */
static enum vmx_l1d_flush_state l1d_flush_state = VMENTER_L1D_FLUSH_AUTO;

#define VTX_L1D_FLUSH_ORDER	4	/* 64 KiB: twice a 32 KiB L1D */
static void *l1d_flush_pages;

static const char * const l1d_flush_names[] = {
	[VMENTER_L1D_FLUSH_AUTO]	 = "auto",
	[VMENTER_L1D_FLUSH_NEVER]	 = "never",
	[VMENTER_L1D_FLUSH_COND]	 = "cond",
	[VMENTER_L1D_FLUSH_ALWAYS]	 = "always",
	[VMENTER_L1D_FLUSH_EPT_DISABLED] = "EPT disabled",
	[VMENTER_L1D_FLUSH_NOT_REQUIRED] = "not required",
};

static int l1d_flush_set(const char *val, const struct kernel_param *kp)
{
	int i;

	for (i = VMENTER_L1D_FLUSH_AUTO; i <= VMENTER_L1D_FLUSH_ALWAYS; i++) {
		if (sysfs_streq(val, l1d_flush_names[i])) {
			l1d_flush_param = i;
			return 0;
		}
	}
	return -EINVAL;
}

static int l1d_flush_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", l1d_flush_names[l1d_flush_state]);
}

static const struct kernel_param_ops l1d_flush_ops = {
	.set = l1d_flush_set,
	.get = l1d_flush_get,
};
module_param_cb(vmentry_l1d_flush, &l1d_flush_ops, NULL, 0444);
MODULE_PARM_DESC(vmentry_l1d_flush,
		 "L1D flush before VM entry: auto (default), never, cond, always");

/* The L1TF flush mode from the parameter and the host's state. */
static enum vmx_l1d_flush_state l1d_flush_mode(void)
{
	u64 arch_cap;

	if (!boot_cpu_has_bug(X86_BUG_L1TF))
		return VMENTER_L1D_FLUSH_NOT_REQUIRED;
	if (boot_cpu_has(X86_FEATURE_ARCH_CAPABILITIES)) {
		rdmsrl(MSR_IA32_ARCH_CAPABILITIES, arch_cap);
		if (arch_cap & ARCH_CAP_SKIP_VMENTRY_L1DFLUSH)
			return VMENTER_L1D_FLUSH_NOT_REQUIRED;
	}
	if (l1tf_mitigation == L1TF_MITIGATION_FULL_FORCE)
		return VMENTER_L1D_FLUSH_ALWAYS;
	if (l1d_flush_param != VMENTER_L1D_FLUSH_AUTO)
		return l1d_flush_param;
	switch (l1tf_mitigation) {
	case L1TF_MITIGATION_OFF:
		return VMENTER_L1D_FLUSH_NEVER;
	case L1TF_MITIGATION_FULL:
		return VMENTER_L1D_FLUSH_ALWAYS;
	default:	/* flush, flush,nowarn, flush,nosmt */
		return VMENTER_L1D_FLUSH_COND;
	}
}

static int setup_l1d_flush(void)
{
	enum vmx_l1d_flush_state mode = l1d_flush_mode();
	struct page *page;
	unsigned int i;

	if ((mode == VMENTER_L1D_FLUSH_COND ||
	     mode == VMENTER_L1D_FLUSH_ALWAYS) &&
	    !boot_cpu_has(X86_FEATURE_FLUSH_L1D)) {
		page = alloc_pages(GFP_KERNEL, VTX_L1D_FLUSH_ORDER);
		if (!page)
			return -ENOMEM;
		l1d_flush_pages = page_address(page);
		/* Distinct contents: no page of it may be merged (KSM). */
		for (i = 0; i < 1U << VTX_L1D_FLUSH_ORDER; i++)
			memset(l1d_flush_pages + i * PAGE_SIZE, i + 1,
			       PAGE_SIZE);
	}
	l1d_flush_state = mode;
	if (mode == VMENTER_L1D_FLUSH_COND || mode == VMENTER_L1D_FLUSH_ALWAYS)
		static_branch_enable(&vtx_l1d_should_flush);
	if (mode == VMENTER_L1D_FLUSH_COND)
		static_branch_enable(&vtx_l1d_flush_cond);
	return 0;
}

static void cleanup_l1d_flush(void)
{
	static_branch_disable(&vtx_l1d_flush_cond);
	static_branch_disable(&vtx_l1d_should_flush);
	if (l1d_flush_pages)
		free_pages((unsigned long)l1d_flush_pages, VTX_L1D_FLUSH_ORDER);
	l1d_flush_pages = NULL;
	l1d_flush_state = VMENTER_L1D_FLUSH_AUTO;
}

/**
 * vtx_l1d_flush_not_needed_nested() - may a guest hypervisor skip its own
 * L1D flush (IA32_ARCH_CAPABILITIES.SKIP_VMENTRY_L1DFLUSH)?
 *
 * Return: true unless L1TF matters and vtx does not flush ("never"),
 * KVM's rule.
 */
bool vtx_l1d_flush_not_needed_nested(void)
{
	return l1d_flush_state != VMENTER_L1D_FLUSH_NEVER;
}

/* Interrupt handlers since the last entry on this CPU (asm/hardirq.h). */
static bool l1d_cpu_flag_test_and_clear(void)
{
#if IS_ENABLED(CONFIG_KVM_INTEL)
	bool was = kvm_get_cpu_l1tf_flush_l1d();

	kvm_clear_cpu_l1tf_flush_l1d();
	return was;
#else
	return true;	/* the kernel does not track it: assume so */
#endif
}

/**
 * vtx_l1d_flush() - flush L1D before VM entry (L1TF), if needed.
 * @vcpu:	the vCPU about to enter; interrupts are disabled
 *
 * Called only while vtx_l1d_should_flush is on.  In "cond" mode it flushes
 * only when @to_vmx(vcpu)->l1tf_flush_l1d (set on KVM_RUN, sched-in and exits
 * handled with host data, exit.c) or this CPU's interrupt flag is set.
 */
void vtx_l1d_flush(struct vtx_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	unsigned int size = PAGE_SIZE << VTX_L1D_FLUSH_ORDER;

	if (static_branch_likely(&vtx_l1d_flush_cond)) {
		bool flush = vmx->l1tf_flush_l1d;

		vmx->l1tf_flush_l1d = false;
		flush |= l1d_cpu_flag_test_and_clear();
		if (!flush)
			return;
	}
	if (cpu_feature_enabled(X86_FEATURE_FLUSH_L1D)) {
		native_wrmsrl(MSR_IA32_FLUSH_CMD, L1D_FLUSH);
		return;
	}
	/*
	 * Software flush: touch every page first so that the TLB misses do
	 * not disturb the fill, serialize, then read one byte per cache line
	 * of the whole buffer, which evicts everything else from L1D.
	 */
	asm volatile("xor	%%eax, %%eax\n"
		     "1:	movzbl	(%[buf], %%rax), %%ecx\n"
		     "add	%[page], %%eax\n"
		     "cmp	%%eax, %[size]\n"
		     "jne	1b\n"
		     "xor	%%eax, %%eax\n"
		     "cpuid\n"
		     "xor	%%eax, %%eax\n"
		     "2:	movzbl	(%[buf], %%rax), %%ecx\n"
		     "add	%[line], %%eax\n"
		     "cmp	%%eax, %[size]\n"
		     "jne	2b\n"
		     "lfence\n"
		     : : [buf] "r" (l1d_flush_pages), [size] "r" (size),
		       [page] "i" (PAGE_SIZE), [line] "i" (L1_CACHE_BYTES)
		     : "rax", "rbx", "rcx", "rdx", "memory", "cc");
}

/* Is the host's VERW-before-entry on?  Only for the load message. */
static bool verw_before_entry(void)
{
#ifdef X86_FEATURE_CLEAR_CPU_BUF_VM
	if (boot_cpu_has(X86_FEATURE_CLEAR_CPU_BUF_VM))
		return true;
#endif
	return boot_cpu_has(X86_FEATURE_CLEAR_CPU_BUF);
}

/* ept_2m: whether EPT maps 2 MiB leaves (read-only, decided at load). */
static int ept_2m_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%c\n", vtx_caps.ept_2m ? 'Y' : 'N');
}

static const struct kernel_param_ops ept_2m_ops = {
	.get = ept_2m_get,
};
module_param_cb(ept_2m, &ept_2m_ops, NULL, 0444);
MODULE_PARM_DESC(ept_2m, "EPT maps 2 MiB pages (off on iTLB-multihit hosts)");

/* Choose the mitigations and say which are on, once, at load. */
static int probe_mitigations(struct vtx_vmx_caps *c)
{
	int r = setup_l1d_flush();

	if (r)
		return r;
	/*
	 * iTLB multihit (CVE-2018-12207): on an affected processor a guest
	 * that changes the page size of code it runs, while EPT maps that
	 * code with a large page, can raise a machine check that takes the
	 * host down.  KVM maps large pages without execute permission and
	 * splits them when executed (nx_huge_pages); vtx simply maps no
	 * 2 MiB leaves there, unless the host runs with mitigations=off
	 * (KVM's "auto" rule).
	 */
	if (boot_cpu_has_bug(X86_BUG_ITLB_MULTIHIT) && !cpu_mitigations_off())
		c->ept_2m = false;
	pr_info("mitigations: L1D flush %s%s, IBPB on vCPU switch %s, VERW before entry %s, IBRS after exit %s, WBINVD exiting %s, 2M EPT pages %s\n",
		l1d_flush_names[l1d_flush_state],
		!static_key_enabled(&vtx_l1d_should_flush) ? "" :
		boot_cpu_has(X86_FEATURE_FLUSH_L1D) ? " (FLUSH_CMD)" :
						      " (software)",
		boot_cpu_has(VTX_FEATURE_IBPB_ON_SWITCH) ? "on" : "off",
		verw_before_entry() ? "on" : "off",
		boot_cpu_has(X86_FEATURE_KERNEL_IBRS) ? "on" : "off",
		(c->proc2 & SECONDARY_EXEC_WBINVD_EXITING) ? "on" : "off",
		c->ept_2m ? "on" : "off");
	return 0;
}

/**
 * vtx_vmx_insn_failed() - report a failed VMX instruction, rate-limited.
 * @insn:	mnemonic
 * @arg:	field encoding or operand, for the log
 * @how:	enum vtx_insn_fail
 */
void vtx_vmx_insn_failed(const char *insn, unsigned long arg, int how)
{
	if (how == VTX_FAIL_VALID)
		pr_err_ratelimited("%s 0x%lx failed, VM-instruction error %u\n",
				   insn, arg,
				   (u32)__vtx_vmread(VM_INSTRUCTION_ERROR));
	else if (how == VTX_FAIL_FAULT)
		pr_err_ratelimited("%s 0x%lx faulted (VMX off?)\n", insn, arg);
	else
		pr_err_ratelimited("%s 0x%lx failed (no current VMCS)\n",
				   insn, arg);
}

/*
 * adjust_controls() - apply a control MSR's allowed-0/allowed-1 settings.
 * Bits 31:0 of the MSR must be 1, bits 63:32 may be 1.
 */
static int adjust_controls(u32 required, u32 optional, u32 msr, u32 *result)
{
	u32 must, may, ctl;

	rdmsr(msr, must, may);
	ctl = ((required | optional) & may) | must;
	if ((required & ctl) != required) {
		pr_err("MSR 0x%x lacks required controls 0x%x\n", msr,
		       required & ~ctl);
		return -EIO;
	}
	*result = ctl;
	return 0;
}

static int probe_caps(void)
{
	struct vtx_vmx_caps *c = &vtx_caps;
	bool true_ctls;
	u64 feat;
	int r;

	if (!boot_cpu_has(X86_FEATURE_VMX)) {
		pr_err("the processor does not support VMX\n");
		return -EOPNOTSUPP;
	}
	rdmsrl(MSR_IA32_FEAT_CTL, feat);
	if (!(feat & FEAT_CTL_LOCKED) ||
	    !(feat & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		pr_err("VMX disabled by the firmware (IA32_FEATURE_CONTROL 0x%llx)\n",
		       feat);
		return -EOPNOTSUPP;
	}

	rdmsrl(MSR_IA32_VMX_BASIC, c->basic);
	c->vmcs_size = vmx_basic_vmcs_size(c->basic);
	if (c->vmcs_size > PAGE_SIZE || !c->vmcs_size) {
		pr_err("unexpected VMCS size %u\n", c->vmcs_size);
		return -EIO;
	}
	if (vmx_basic_vmcs_mem_type(c->basic) != VTX_VMX_BASIC_MEM_TYPE_WB) {
		pr_err("VMCS memory type is not write-back\n");
		return -EIO;
	}
	true_ctls = c->basic & VMX_BASIC_TRUE_CTLS;

	r = adjust_controls(VTX_PIN_REQUIRED, VTX_PIN_OPTIONAL,
			    true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS :
					MSR_IA32_VMX_PINBASED_CTLS, &c->pin);
	if (!r)
		r = adjust_controls(VTX_PROC_REQUIRED, VTX_PROC_OPTIONAL,
				    true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
						MSR_IA32_VMX_PROCBASED_CTLS,
				    &c->proc);
	if (!r) {
		u32 must, may;

		/* Without EPT (or with ept=0): shadow paging, spt.c. */
		rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2, must, may);
		vtx_shadow_paging = vtx_spt_wanted(may);
		r = adjust_controls(vtx_shadow_paging ? 0 : VTX_PROC2_REQUIRED,
				    VTX_PROC2_OPTIONAL,
				    MSR_IA32_VMX_PROCBASED_CTLS2, &c->proc2);
	}
	if (!r && vtx_shadow_paging) {
		c->proc2 &= ~VTX_PROC2_EPT;
		r = adjust_controls(VTX_PROC_SPT, c->proc,
				    true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
						MSR_IA32_VMX_PROCBASED_CTLS,
				    &c->proc);
	}
	if (!r)
		r = adjust_controls(VTX_EXIT_REQUIRED, VTX_EXIT_OPTIONAL,
				    true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS :
						MSR_IA32_VMX_EXIT_CTLS, &c->exit);
	if (!r)
		r = adjust_controls(VTX_ENTRY_REQUIRED, VTX_ENTRY_OPTIONAL,
				    true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS :
						MSR_IA32_VMX_ENTRY_CTLS, &c->entry);
	if (r) {
		pr_err("VMX lacks controls vtx needs (EPT, unrestricted guest?)\n");
		return r;
	}
	/* With EPT vtx intercepts CR3 and INVLPG never: EPT makes them harmless. */
	if (!vtx_shadow_paging &&
	    (c->proc & (CPU_BASED_CR3_LOAD_EXITING |
			CPU_BASED_CR3_STORE_EXITING |
			CPU_BASED_INVLPG_EXITING)))
		pr_info("processor forces CR3/INVLPG exits (0x%x)\n", c->proc);

	/* The MSR exists when EPT or VPID may be used. */
	c->ept_vpid = 0;
	if (!vtx_shadow_paging || (c->proc2 & SECONDARY_EXEC_ENABLE_VPID))
		rdmsrl(MSR_IA32_VMX_EPT_VPID_CAP, c->ept_vpid);
	if (vtx_shadow_paging) {
		pr_warn("no EPT: shadow page tables (EXPERIMENTAL; real mode in virtual-8086 mode)\n");
	} else if (!(c->ept_vpid & VMX_EPT_PAGE_WALK_4_BIT) ||
	    !(c->ept_vpid & VMX_EPTP_WB_BIT) ||
	    !(c->ept_vpid & VMX_EPT_INVEPT_BIT) ||
	    !(c->ept_vpid & (VMX_EPT_EXTENT_CONTEXT_BIT |
			     VMX_EPT_EXTENT_GLOBAL_BIT))) {
		pr_err("EPT lacks 4-level walks, WB or INVEPT (cap 0x%llx)\n",
		       c->ept_vpid);
		return -EIO;
	}
	c->ept_single = c->ept_vpid & VMX_EPT_EXTENT_CONTEXT_BIT;
	c->ept_2m = c->ept_vpid & VMX_EPT_2MB_PAGE_BIT;
	c->has_vpid = (c->proc2 & SECONDARY_EXEC_ENABLE_VPID) &&
		      (c->ept_vpid & ((u64)VMX_VPID_INVVPID_BIT << 32)) &&
		      (c->ept_vpid & ((u64)VMX_VPID_EXTENT_SINGLE_CONTEXT_BIT
				      << 32));
	/* Shadow paging flushes every VPID at once (spt.c). */
	if (vtx_shadow_paging &&
	    !(c->ept_vpid & ((u64)VMX_VPID_EXTENT_GLOBAL_CONTEXT_BIT << 32)))
		c->has_vpid = false;
	if (!c->has_vpid)
		c->proc2 &= ~SECONDARY_EXEC_ENABLE_VPID;
	if (!boot_cpu_has(X86_FEATURE_RDTSCP))
		c->proc2 &= ~SECONDARY_EXEC_ENABLE_RDTSCP;
	if (!boot_cpu_has(X86_FEATURE_INVPCID))
		c->proc2 &= ~SECONDARY_EXEC_ENABLE_INVPCID;
	if (!boot_cpu_has(X86_FEATURE_XSAVE) ||
	    !boot_cpu_has(X86_FEATURE_XSAVES))
		c->proc2 &= ~SECONDARY_EXEC_ENABLE_XSAVES;
	/*
	 * INVPCID and XSAVES follow the guest's CPUID and descriptor-table
	 * exiting the guest's CR4.UMIP (vtx_update_proc2()): none is on by
	 * default.
	 */
	c->has_invpcid = c->proc2 & SECONDARY_EXEC_ENABLE_INVPCID;
	c->has_xsaves = c->proc2 & SECONDARY_EXEC_ENABLE_XSAVES;
	if (c->has_xsaves)
		rdmsrl(MSR_IA32_XSS, c->host_xss);
	c->umip_emulated = (c->proc2 & SECONDARY_EXEC_DESC) &&
			   !boot_cpu_has(X86_FEATURE_UMIP);
	c->proc2 &= ~(SECONDARY_EXEC_ENABLE_INVPCID |
		      SECONDARY_EXEC_ENABLE_XSAVES | SECONDARY_EXEC_DESC);

	setup_tick_exits(c);
	/*
	 * Shadow paging (milestone 1) maps no APIC-access page: the xAPIC
	 * page is emulated MMIO, so APICv stays off.
	 */
	if (vtx_shadow_paging)
		c->proc2 &= ~SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES;
	vmx_apicv_probe(c);

	rdmsrl(MSR_IA32_VMX_CR0_FIXED0, c->cr0_fixed0);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED1, c->cr0_fixed1);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED0, c->cr4_fixed0);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED1, c->cr4_fixed1);

	pr_info("VMX rev 0x%x, pin 0x%x proc 0x%x proc2 0x%x exit 0x%x entry 0x%x%s%s%s%s\n",
		(u32)c->basic, c->pin, c->proc, c->proc2, c->exit, c->entry,
		c->has_vpid ? ", VPID" : "", c->has_invpcid ? ", INVPCID" : "",
		c->umip_emulated ? ", UMIP emulated" : "",
		c->tick_value ? ", tick exits" : "");
	return 0;
}

struct vmcs *vtx_alloc_vmcs(void)
{
	struct vmcs *vmcs;

	vmcs = (struct vmcs *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vmcs)
		return NULL;
	vmcs->hdr.revision_id = vmx_basic_vmcs_revision_id(vtx_caps.basic);
	return vmcs;
}

void vtx_free_vmcs(struct vmcs *vmcs)
{
	free_page((unsigned long)vmcs);
}

int vtx_alloc_vpid(void)
{
	int vpid;

	if (!vtx_caps.has_vpid)
		return 0;
	/* VPID 0 belongs to the host; out of VPIDs, run without one. */
	vpid = ida_alloc_range(&vtx_vpid_ida, 1, VTX_VPID_MAX, GFP_KERNEL);
	return vpid < 0 ? 0 : vpid;
}

void vtx_free_vpid(int vpid)
{
	if (vpid > 0)
		ida_free(&vtx_vpid_ida, vpid);
}

/**
 * vtx_vmx_on_this_cpu() - whether vtx holds VMX (VMXON done) here.
 *
 * Preemption must be disabled.
 */
bool vtx_vmx_on_this_cpu(void)
{
	return __this_cpu_read(vmx_on);
}

static void vmxoff_this_cpu(void)
{
	if (!__this_cpu_read(vmx_on))
		return;
	/* Normally none: every vCPU is cleared before VMX goes off. */
	vtx_clear_loaded_vmcss();
	vtx_drop_uret_msrs();
	vtx_vmxoff();
	cr4_clear_bits(X86_CR4_VMXE);
	__this_cpu_write(vmx_on, false);
}

static int vmxon_this_cpu(void)
{
	struct vmcs *region = __this_cpu_read(vmxon_region);
	u64 feat;

	if (__this_cpu_read(vmx_on))
		return 0;
	if (cr4_read_shadow() & X86_CR4_VMXE) {
		pr_warn_ratelimited("VMX already enabled on CPU %d: another hypervisor holds it\n",
				    smp_processor_id());
		return -EBUSY;
	}
	rdmsrl(MSR_IA32_FEAT_CTL, feat);
	if (!(feat & FEAT_CTL_LOCKED) ||
	    !(feat & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX))
		return -EOPNOTSUPP;
	if (!region)
		return -ENOMEM;

	cr4_set_bits(X86_CR4_VMXE);
	if (vtx_vmxon(__pa(region))) {
		cr4_clear_bits(X86_CR4_VMXE);
		pr_err("VMXON failed on CPU %d\n", smp_processor_id());
		return -EIO;
	}
	__this_cpu_write(vmx_on, true);
	return 0;
}

static void vmxon_ipi(void *data)
{
	atomic_t *failed = data;
	int r = vmxon_this_cpu();

	if (r)
		atomic_cmpxchg(failed, 0, r);
}

static void vmxoff_ipi(void *unused)
{
	vmxoff_this_cpu();
}

/* Emergency reboot, kexec, crash: NMI context on each CPU. */
static void vtx_emergency_disable(void)
{
	vmxoff_this_cpu();
}

static int vtx_reboot(struct notifier_block *nb, unsigned long code,
		      void *unused)
{
	mutex_lock(&vtx_vmx_lock);
	if (vmx_usage) {
		pr_info("turning VMX off for reboot\n");
		on_each_cpu(vmxoff_ipi, NULL, 1);
	}
	mutex_unlock(&vtx_vmx_lock);
	return NOTIFY_OK;
}

static struct notifier_block vtx_reboot_nb = {
	.notifier_call = vtx_reboot,
};

static int vtx_cpu_online(unsigned int cpu)
{
	int r = 0;

	mutex_lock(&vtx_vmx_lock);
	if (vmx_usage) {
		local_irq_disable();
		r = vmxon_this_cpu();
		local_irq_enable();
	}
	mutex_unlock(&vtx_vmx_lock);
	return r;
}

static int vtx_cpu_offline(unsigned int cpu)
{
	local_irq_disable();
	vmxoff_this_cpu();
	local_irq_enable();
	return 0;
}

/*
 * kvm_intel registers the one emergency callback the kernel allows when it
 * loads, and its callback turns VMX off whoever holds it.  vtx registers its
 * own only while it holds VMX and kvm_intel is not loaded, so that neither
 * module's registration trips the kernel's WARN.  (kvm_intel exports no
 * symbol; its sysfs directory is how to tell it is loaded.)
 */
static bool kvm_intel_loaded(void)
{
	struct path path;

	if (kern_path("/sys/module/kvm_intel", LOOKUP_FOLLOW, &path))
		return false;
	path_put(&path);
	return true;
}

static void emergency_register(void)
{
	if (kvm_intel_loaded()) {
		pr_info("kvm_intel is loaded: its emergency callback turns VMX off\n");
		return;
	}
	cpu_emergency_register_virt_callback(vtx_emergency_disable);
	emergency_registered = true;
}

static void emergency_unregister(void)
{
	if (emergency_registered)
		cpu_emergency_unregister_virt_callback(vtx_emergency_disable);
	emergency_registered = false;
}

/**
 * vtx_vmx_get() - enable VMX on all online CPUs for a new VM.
 *
 * Return: 0, -EBUSY if another hypervisor holds VMX on some CPU, or
 * another negative errno; on error nothing is left turned on.
 */
int vtx_vmx_get(void)
{
	atomic_t failed = ATOMIC_INIT(0);
	int r = 0;

	if (vtx_vmx_owned_by_kernel())
		return -EBUSY;
	cpus_read_lock();
	mutex_lock(&vtx_vmx_lock);
	if (vmx_usage++ == 0) {
		on_each_cpu(vmxon_ipi, &failed, 1);
		r = atomic_read(&failed);
		if (r) {
			on_each_cpu(vmxoff_ipi, NULL, 1);
			vmx_usage = 0;
		} else {
			emergency_register();
		}
	}
	mutex_unlock(&vtx_vmx_lock);
	cpus_read_unlock();
	return r;
}

/**
 * vtx_vmx_put() - drop a VM's hold on VMX; the last one turns it off.
 */
void vtx_vmx_put(void)
{
	cpus_read_lock();
	mutex_lock(&vtx_vmx_lock);
	if (!WARN_ON_ONCE(!vmx_usage) && --vmx_usage == 0) {
		emergency_unregister();
		on_each_cpu(vmxoff_ipi, NULL, 1);
	}
	mutex_unlock(&vtx_vmx_lock);
	cpus_read_unlock();
}

static void free_vmxon_regions(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		vtx_free_vmcs(per_cpu(vmxon_region, cpu));
		per_cpu(vmxon_region, cpu) = NULL;
	}
}

int vtx_vmx_init(void)
{
	int cpu, r;

	r = probe_caps();
	if (!r)
		r = probe_mitigations(&vtx_caps);
	if (r)
		return r;

	for_each_possible_cpu(cpu) {
		per_cpu(vmxon_region, cpu) = vtx_alloc_vmcs();
		if (!per_cpu(vmxon_region, cpu)) {
			free_vmxon_regions();
			cleanup_l1d_flush();
			return -ENOMEM;
		}
	}

	r = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "vtx:online",
				      vtx_cpu_online, vtx_cpu_offline);
	if (r < 0) {
		free_vmxon_regions();
		cleanup_l1d_flush();
		return r;
	}
	vtx_cpuhp_state = r;
	register_reboot_notifier(&vtx_reboot_nb);
	return 0;
}

void vtx_vmx_exit(void)
{
	unregister_reboot_notifier(&vtx_reboot_nb);
	cpuhp_remove_state_nocalls(vtx_cpuhp_state);
	free_vmxon_regions();
	cleanup_l1d_flush();
	ida_destroy(&vtx_vpid_ida);
}
