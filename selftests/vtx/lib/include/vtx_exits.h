/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How many VM exits a vCPU took, read the same way on both drivers' terms:
 *
 *  - vtx: the "vtx" generic-netlink family (VTX_CMD_STATS_GET, the per-vCPU
 *    VTX_VCPU_A_EXITS counter; Documentation/vtx/netlink.rst);
 *  - kvm: the vCPU's binary statistics (KVM_GET_STATS_FD, counter "exits").
 *
 * Both count every VM exit, including the ones handled in the kernel (host
 * interrupts, EPT faults), so a test compares a count taken before and one
 * taken after a stretch of guest code and allows for a little noise.
 *
 * Kept apart from vtx.h so that existing users of the library see no
 * change; build exits.c and ident.c (vtx_ident.h tells the drivers apart)
 * along with the library to use it.
 */
#ifndef VTX_EXITS_H
#define VTX_EXITS_H

#include <stdint.h>

#include "vtx.h"

/*
 * VM exits of @vcpu since it was created (vtx: since the last
 * VTX_CMD_STATS_RESET), or -errno when the driver does not say.
 * vtx: the VM is found among the VMs of this process (VTX_A_VM_PID)
 * with the memory size of @vcpu's VM; -EEXIST if that is ambiguous.
 */
int64_t vtx_vcpu_exits(struct vtx_vcpu *vcpu);

/*
 * vtx: the shadow page tables of @vcpu's VM (VTX_A_VM_SHADOW_PAGES; 0
 * with EPT), found as above; -EOPNOTSUPP on kvm, -ENOENT from a vtx
 * without the attribute.
 */
int64_t vtx_vm_shadow_pages(struct vtx_vcpu *vcpu);

#endif /* VTX_EXITS_H */
