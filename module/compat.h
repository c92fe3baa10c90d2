/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtx - every difference between the kernels vtx builds against, in one
 * place: Debian 12's 6.1, Debian 13's 6.12 and the newest kernel of
 * Debian 13's backports (7.3).  The rest of module/ uses the names defined
 * here and tests no kernel version itself.  Where a kernel feature has a
 * macro of its own, that macro is tested rather than the version number.
 * Documentation/vtx/design.rst, "Supported kernels", lists the differences.
 */
#ifndef VTX_COMPAT_H
#define VTX_COMPAT_H

#include <linux/version.h>

/*
 * The kernel series a change came with.  Only 6.1, 6.12 and 7.3 are built
 * and tested (make check); the series in between get the same choices.
 */
#define VTX_KERNEL_AT_LEAST(major, minor) \
	(KERNEL_VERSION(LINUX_VERSION_MAJOR, LINUX_VERSION_PATCHLEVEL, 0) >= \
	 KERNEL_VERSION(major, minor, 0))

/*
 * From 7.0 on the kernel's x86/virt code (asm/virt.h) owns VMXON; see
 * vtx_vmx_owned_by_kernel() below.
 */
#define VTX_KERNEL_OWNS_VMX	VTX_KERNEL_AT_LEAST(7, 0)

#ifdef __ASSEMBLY__

/*
 * The kernel's NMI entry that may be called on the kernel stack (no IST),
 * for a VM exit caused by an NMI: asm_exc_nmi_noist in 6.1, exported as
 * asm_exc_nmi_kvm_vmx from 6.12 on.
 */
#if VTX_KERNEL_OWNS_VMX
/* 7.x exports it to KVM only; never called there (compat.c) */
#define VTX_ASM_EXC_NMI		vtx_no_nmi_entry
#elif VTX_KERNEL_AT_LEAST(6, 12)
#define VTX_ASM_EXC_NMI		asm_exc_nmi_kvm_vmx
#else
#define VTX_ASM_EXC_NMI		asm_exc_nmi_noist
#endif

#else /* !__ASSEMBLY__ */

#include <linux/eventfd.h>
#include <linux/kvm.h>
#include <asm/msr.h>
#include <asm/vmx.h>
#if VTX_KERNEL_AT_LEAST(6, 16)
#include <asm/cpuid/api.h>
#endif

/*
 * kvm_run.immediate_exit is kvm_run.immediate_exit__unsafe inside the
 * kernel from 6.12 on (HINT_UNSAFE_IN_KVM: userspace may change it at any
 * time, so it is read once).
 */
#ifdef HINT_UNSAFE_IN_KVM
#define vtx_run_immediate_exit(run)	READ_ONCE((run)->immediate_exit__unsafe)
#else
#define vtx_run_immediate_exit(run)	READ_ONCE((run)->immediate_exit)
#endif

/*
 * KVM_EXIT_HYPERCALL's "longmode" is, from 6.12 on, the flag
 * KVM_EXIT_HYPERCALL_LONG_MODE in "flags" (the same bytes; the old name is
 * hidden from the kernel).
 */
#ifdef KVM_EXIT_HYPERCALL_LONG_MODE
#define vtx_set_hypercall_longmode(run, lm) \
	((run)->hypercall.flags = (lm) ? KVM_EXIT_HYPERCALL_LONG_MODE : 0)
#else
#define vtx_set_hypercall_longmode(run, lm)	((run)->hypercall.longmode = (lm))
#endif

/*
 * IA32_VMX_BASIC's memory type: a helper of asm/vmx.h from 6.12 on (beside
 * vmx_basic_vmcs_size(), which 6.1 has too); 6.1 has shift and mask macros
 * in msr-index.h, which 6.12 dropped.
 */
#ifdef VMX_BASIC_MEM_TYPE_SHIFT
static inline u32 vmx_basic_vmcs_mem_type(u64 vmx_basic)
{
	return (vmx_basic & VMX_BASIC_MEM_TYPE_MASK) >> VMX_BASIC_MEM_TYPE_SHIFT;
}

#define VTX_VMX_BASIC_MEM_TYPE_WB	VMX_BASIC_MEM_TYPE_WB
#else
#define VTX_VMX_BASIC_MEM_TYPE_WB	X86_MEMTYPE_WB
#endif

/*
 * The VMCS region (only its header is architectural): in asm/vmx.h from
 * the kernels whose core code owns VMXON (7.x), vtx's own before, with
 * the same layout.
 */
#if VTX_KERNEL_OWNS_VMX
#include <asm/virt.h>
#else
struct vmcs_hdr {
	u32 revision_id:31;
	u32 shadow_vmcs:1;
};

struct vmcs {
	struct vmcs_hdr hdr;
	u32 abort;
	char data[];
};
#endif

/*
 * MSR accessors: rdmsrl()/wrmsrl() were renamed rdmsrq()/wrmsrq() in 6.16;
 * vtx keeps the old names (macros in both series).
 */
#ifndef rdmsrl
#define rdmsrl(msr, val)		rdmsrq(msr, val)
#define wrmsrl(msr, val)		wrmsrq(msr, val)
#endif

/*
 * cpuid()/cpuid_count() moved to asm/cpuid/api.h (included above) in
 * 6.16, where CPUID leaf 0xd is CPUID_LEAF_XSTATE.
 */
#if VTX_KERNEL_AT_LEAST(6, 16)
#define XSTATE_CPUID			CPUID_LEAF_XSTATE
#endif

/*
 * Who turns VMX on.  Up to 6.x each hypervisor module does VMXON itself,
 * and vtx refuses (-EBUSY) while another one holds VMX (CR4.VMXE set).
 * From 7.0 on (asm/virt.h) the kernel's x86/virt code owns VMXON, with a
 * per-CPU reference count (x86_virt_get_ref(X86_FEATURE_VMX)) and the
 * emergency-disable callback; both, like cr4_read_shadow() and
 * cr4_update_irqsoff() (cr4_set_bits()) and the NMI entry for VM exits,
 * are exported to the KVM modules only (EXPORT_SYMBOL_FOR_KVM).  vtx, not
 * being KVM, may neither take a reference nor turn VMX on behind the
 * kernel's back, so it refuses every VM with -EBUSY and says why.  The
 * stubs below and in compat.c keep the 6.x code building and linking;
 * without a VM none of them is reached.
 */
#if VTX_KERNEL_OWNS_VMX
static inline bool vtx_vmx_owned_by_kernel(void)
{
	pr_warn_ratelimited("VMX is owned by this kernel's x86/virt code, whose API (x86_virt_get_ref) only KVM may use: no VMs\n");
	return true;
}

static inline void vtx_no_emergency_callback(cpu_emergency_virt_cb *cb)
{
	WARN_ON_ONCE(1);
}

#define cpu_emergency_register_virt_callback(cb)	vtx_no_emergency_callback(cb)
#define cpu_emergency_unregister_virt_callback(cb)	vtx_no_emergency_callback(cb)
void vtx_no_nmi_entry(void);
#else
static inline bool vtx_vmx_owned_by_kernel(void)
{
	return false;
}
#endif

/*
 * native_wrmsrl() became native_wrmsrq() in 6.16 (macros in 6.1 and
 * 6.12, so the name is tested).
 */
#ifndef native_wrmsrl
#define native_wrmsrl(msr, val)		native_wrmsrq(msr, val)
#endif

/*
 * The feature that makes indirect_branch_prediction_barrier() an IBPB:
 * X86_FEATURE_USE_IBPB (the host's spectre_v2_user choice) up to 6.14,
 * X86_FEATURE_IBPB itself after (the barrier's alternative tests it).
 */
#ifdef X86_FEATURE_USE_IBPB
#define VTX_FEATURE_IBPB_ON_SWITCH	X86_FEATURE_USE_IBPB
#else
#define VTX_FEATURE_IBPB_ON_SWITCH	X86_FEATURE_IBPB
#endif

/* DR7's always-1 bit: asm/debugreg.h has it from 6.12 on. */
#include <asm/debugreg.h>
#ifndef DR7_FIXED_1
#define DR7_FIXED_1			0x400ul
#endif

/* eventfd_signal() lost its count argument (always 1) in 6.8. */
#if VTX_KERNEL_AT_LEAST(6, 8)
#define vtx_eventfd_signal(ctx)		eventfd_signal(ctx)
#else
#define vtx_eventfd_signal(ctx)		eventfd_signal(ctx, 1)
#endif

#endif /* __ASSEMBLY__ */
#endif /* VTX_COMPAT_H */
