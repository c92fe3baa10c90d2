// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - stand-ins for the kernel functions that kernels from 7.x on export
 * to the KVM modules only (EXPORT_SYMBOL_FOR_KVM), see compat.h.  On those
 * kernels vtx refuses every VM (vtx_vmx_owned_by_kernel()), and all of
 * these are called only with a VM and VMX on: none is ever reached.  Each
 * warns if it were, and does nothing.  Empty on the kernels before 7.x.
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/bug.h>
#include "core/compat.h"

#if VTX_KERNEL_OWNS_VMX
#include <asm/debugreg.h>
#include <asm/fpu/api.h>
#include <asm/nospec-branch.h>
#include <asm/processor.h>
#include <asm/segment.h>
#include <asm/tlbflush.h>

/* The selector VERW uses to clear CPU buffers: any writable data segment. */
u16 x86_verw_sel = __KERNEL_DS;

unsigned long cr4_read_shadow(void)
{
	WARN_ON_ONCE(1);
	return __read_cr4();
}

void cr4_update_irqsoff(unsigned long set, unsigned long clear)
{
	WARN_ON_ONCE(1);
}

bool fpu_alloc_guest_fpstate(struct fpu_guest *gfpu)
{
	WARN_ON_ONCE(1);
	return false;
}

void fpu_free_guest_fpstate(struct fpu_guest *gfpu)
{
	WARN_ON_ONCE(1);
}

int fpu_swap_kvm_fpstate(struct fpu_guest *gfpu, bool enter_guest)
{
	WARN_ON_ONCE(1);
	return -EOPNOTSUPP;
}

void fpu_copy_guest_fpstate_to_uabi(struct fpu_guest *gfpu, void *buf,
				    unsigned int size, u64 xfeatures, u32 pkru)
{
	WARN_ON_ONCE(1);
}

int fpu_copy_uabi_to_guest_fpstate(struct fpu_guest *gfpu, const void *buf,
				   u64 xcr0, u32 *vpkru)
{
	WARN_ON_ONCE(1);
	return -EOPNOTSUPP;
}

void switch_fpu_return(void)
{
	WARN_ON_ONCE(1);
}

void current_save_fsgs(void)
{
	WARN_ON_ONCE(1);
}

void hw_breakpoint_restore(void)
{
	WARN_ON_ONCE(1);
}

/* Also asked when vtx builds its MSR list: no GDS mitigation claimed. */
bool gds_ucode_mitigated(void)
{
	return false;
}

void clear_bhb_loop(void)
{
	WARN_ON_ONCE(1);
}

/*
 * The host's l1tf= choice, read when vtx picks its L1D flush mode at
 * load: vtx runs no guest here, so it reads as "off".
 */
enum l1tf_mitigations l1tf_mitigation = L1TF_MITIGATION_OFF;

/* The IBPB of indirect_branch_prediction_barrier() (a vCPU switch). */
void write_ibpb(void)
{
	WARN_ON_ONCE(1);
}

void vtx_no_nmi_entry(void)
{
	WARN_ON_ONCE(1);
}

#endif /* VTX_KERNEL_OWNS_VMX */
