/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtx - the differences between kernels in what the VMX backend uses
 * (asm/vmx.h, VMXON ownership, the NMI entry for VM exits).  The rest is in
 * core/compat.h; Documentation/vtx/design.rst, "Supported kernels", lists
 * them all.  Included by module/vmx/ only.
 */
#ifndef VTX_VMX_COMPAT_H
#define VTX_VMX_COMPAT_H

#include "core/compat.h"

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

#include <asm/vmx.h>

/* The "enable XSAVES/XRSTORS" control: its name in 6.12's asm/vmx.h on. */
#ifndef SECONDARY_EXEC_ENABLE_XSAVES
#define SECONDARY_EXEC_ENABLE_XSAVES	SECONDARY_EXEC_XSAVES
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
#else
static inline bool vtx_vmx_owned_by_kernel(void)
{
	return false;
}
#endif

#endif /* __ASSEMBLY__ */
#endif /* VTX_VMX_COMPAT_H */
