/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtx - the PIT of a VM (KVM_CREATE_PIT2): the register model of
 * x86/pit.[ch] wired to the guest's port I/O, to time (an hrtimer and a
 * work item for channel 0) and to IRQ0 through the routing table
 * (x86/pit_vm.c, Documentation/vtx/design.rst section 14).
 */
#ifndef VTX_X86_PIT_VM_H
#define VTX_X86_PIT_VM_H

#include <linux/types.h>

struct vtx_vm;
struct vtx_vpit;

/* The VM ioctls of the PIT; -ENOTTY for any other ioctl. */
long vtx_pit_ioctl(struct vtx_vm *vm, unsigned int ioctl, void __user *argp);

bool vtx_pit_pio(struct vtx_vpit *vp, bool in, u16 port, u8 size,
		 void *data, u32 count);

/* VM destroy (core/vm.c): before the vCPUs and the routing go. */
void vtx_pit_vm_destroy(struct vtx_vm *vm);

#endif /* VTX_X86_PIT_VM_H */
