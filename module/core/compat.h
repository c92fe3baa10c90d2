/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtx - every difference between the kernels vtx builds against, in one
 * place: Debian 12's 6.1, Debian 13's 6.12 and the newest kernel of
 * Debian 13's backports (7.3).  The rest of module/ uses the names defined
 * here and tests no kernel version itself.  The differences of the VMX
 * interfaces (asm/vmx.h, VMXON ownership) are in vmx/vmx_compat.h, which
 * only the VMX backend includes.  Where a kernel feature has a
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
 * vtx_vmx_owned_by_kernel() in vmx/vmx_compat.h.
 */
#define VTX_KERNEL_OWNS_VMX	VTX_KERNEL_AT_LEAST(7, 0)

#ifndef __ASSEMBLY__

#include <linux/eventfd.h>
#include <linux/kvm.h>
#include <asm/msr.h>
#if VTX_KERNEL_AT_LEAST(6, 16)
#include <asm/cpuid/api.h>
#endif

/*
 * hrtimer_setup() (6.13) replaces hrtimer_init() and the assignment of
 * ->function (hrtimer_init() is gone in 7.x).
 */
#if VTX_KERNEL_AT_LEAST(6, 13)
#define vtx_hrtimer_setup(t, fn, clock, mode)	hrtimer_setup(t, fn, clock, mode)
#else
#include <linux/hrtimer.h>
static inline void vtx_hrtimer_setup(struct hrtimer *t,
				     enum hrtimer_restart (*fn)(struct hrtimer *),
				     clockid_t clock, enum hrtimer_mode mode)
{
	hrtimer_init(t, clock, mode);
	t->function = fn;
}
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

/*
 * smp_send_reschedule() (a vCPU kick) traces the IPI from 6.3 on, through
 * the ipi_send_cpu tracepoint, which its user must declare.
 */
#if VTX_KERNEL_AT_LEAST(6, 3)
#include <trace/events/ipi.h>
#endif

#if VTX_KERNEL_OWNS_VMX
/* compat.c: stands in for the NMI entry 7.x exports to KVM only. */
void vtx_no_nmi_entry(void);
#endif

#endif /* __ASSEMBLY__ */
#endif /* VTX_COMPAT_H */
