/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vtx - what vtx adds to the KVM API: the "vtx" generic-netlink family.
 *
 * Every ioctl of /dev/vtx is the one of <linux/kvm.h>; this header only
 * describes the control plane that lists VMs, reports per-vCPU exit
 * statistics and announces events.  See Documentation/vtx/netlink.rst.
 */
#ifndef _UAPI_LINUX_VTX_H
#define _UAPI_LINUX_VTX_H

#define VTX_GENL_NAME		"vtx"
#define VTX_GENL_VERSION	1
#define VTX_GENL_MCGRP_EVENTS	"events"

/* Exit-handling latency histogram: bucket i counts [2^i, 2^(i+1)) TSC. */
#define VTX_LAT_BUCKETS		32

/**
 * enum vtx_cmd - commands of the "vtx" family
 * @VTX_CMD_VM_GET: dump: every VM; do: the VM named by %VTX_A_VM_ID.
 *	Replies carry VM attributes.  Any user may ask.
 * @VTX_CMD_STATS_GET: do: per-vCPU statistics of the VM %VTX_A_VM_ID,
 *	one nested %VTX_A_VCPU per vCPU.  Any user may ask.
 * @VTX_CMD_STATS_RESET: do: zero the statistics of VM %VTX_A_VM_ID.
 *	Needs CAP_NET_ADMIN.
 * @VTX_CMD_EVENT: notification on the "events" multicast group.
 */
enum vtx_cmd {
	VTX_CMD_UNSPEC,
	VTX_CMD_VM_GET,
	VTX_CMD_STATS_GET,
	VTX_CMD_STATS_RESET,
	VTX_CMD_EVENT,

	__VTX_CMD_MAX,
	VTX_CMD_MAX = __VTX_CMD_MAX - 1
};

/**
 * enum vtx_attr - top-level attributes
 * @VTX_A_VM_ID: u32, the VM's id (unique while it lives)
 * @VTX_A_VM_PID: u32, thread-group id of the process that created it
 * @VTX_A_VM_COMM: string, that process's command name
 * @VTX_A_VM_NR_VCPUS: u32
 * @VTX_A_VM_MEM_BYTES: u64, bytes of guest memory in memslots
 * @VTX_A_VCPU: nested, enum vtx_vcpu_attr; repeated once per vCPU
 * @VTX_A_EVENT: u32, enum vtx_event (in %VTX_CMD_EVENT)
 * @VTX_A_EVENT_VCPU: u32, the vCPU id an event is about
 * @VTX_A_EVENT_REASON: u32, hardware exit reason or KVM internal-error
 *	suberror, depending on the event
 * @VTX_A_PAD: padding for 64-bit attributes
 * @VTX_A_VM_SHADOW_PAGES: u64, the VM's shadow page tables below the roots
 *	(ept=0: the shadow MMU's pages, bounded by the guest memory size);
 *	0 with EPT
 */
enum vtx_attr {
	VTX_A_UNSPEC,
	VTX_A_VM_ID,
	VTX_A_VM_PID,
	VTX_A_VM_COMM,
	VTX_A_VM_NR_VCPUS,
	VTX_A_VM_MEM_BYTES,
	VTX_A_VCPU,
	VTX_A_EVENT,
	VTX_A_EVENT_VCPU,
	VTX_A_EVENT_REASON,
	VTX_A_PAD,
	VTX_A_VM_SHADOW_PAGES,

	__VTX_A_MAX,
	VTX_A_MAX = __VTX_A_MAX - 1
};

/**
 * enum vtx_vcpu_attr - one vCPU's statistics (nested in %VTX_A_VCPU)
 * @VTX_VCPU_A_ID: u32, the vCPU id
 * @VTX_VCPU_A_EXITS: u64, VM exits since creation or reset
 * @VTX_VCPU_A_USER_EXITS: u64, returns to userspace with an exit reason
 * @VTX_VCPU_A_EXIT_REASON: nested, enum vtx_exit_attr; one per hardware
 *	exit reason seen
 * @VTX_VCPU_A_GUEST_TSC: u64, TSC cycles spent in the guest
 * @VTX_VCPU_A_HOST_TSC: u64, TSC cycles from VM exit to the next VM entry,
 *	for exits handled in the kernel
 * @VTX_VCPU_A_LATENCY: binary, u64[VTX_LAT_BUCKETS], the histogram of
 *	those exit-to-entry latencies in log2 TSC buckets
 * @VTX_VCPU_A_PAD: padding for 64-bit attributes
 */
enum vtx_vcpu_attr {
	VTX_VCPU_A_UNSPEC,
	VTX_VCPU_A_ID,
	VTX_VCPU_A_EXITS,
	VTX_VCPU_A_USER_EXITS,
	VTX_VCPU_A_EXIT_REASON,
	VTX_VCPU_A_GUEST_TSC,
	VTX_VCPU_A_HOST_TSC,
	VTX_VCPU_A_LATENCY,
	VTX_VCPU_A_PAD,

	__VTX_VCPU_A_MAX,
	VTX_VCPU_A_MAX = __VTX_VCPU_A_MAX - 1
};

/**
 * enum vtx_exit_attr - one exit reason's count (nested)
 * @VTX_EXIT_A_REASON: u32, the basic exit reason (Intel SDM numbering,
 *	EXIT_REASON_* in the kernel's asm/vmx.h)
 * @VTX_EXIT_A_COUNT: u64
 * @VTX_EXIT_A_PAD: padding
 */
enum vtx_exit_attr {
	VTX_EXIT_A_UNSPEC,
	VTX_EXIT_A_REASON,
	VTX_EXIT_A_COUNT,
	VTX_EXIT_A_PAD,

	__VTX_EXIT_A_MAX,
	VTX_EXIT_A_MAX = __VTX_EXIT_A_MAX - 1
};

/**
 * enum vtx_event - what a %VTX_CMD_EVENT announces
 * @VTX_EVENT_VM_CREATE: a VM was created
 * @VTX_EVENT_VM_DESTROY: a VM was destroyed
 * @VTX_EVENT_VCPU_SHUTDOWN: a vCPU triple-faulted (KVM_EXIT_SHUTDOWN)
 * @VTX_EVENT_VCPU_FAIL_ENTRY: a VM entry failed (KVM_EXIT_FAIL_ENTRY);
 *	%VTX_A_EVENT_REASON is the hardware reason
 * @VTX_EVENT_VCPU_INTERNAL_ERROR: KVM_EXIT_INTERNAL_ERROR;
 *	%VTX_A_EVENT_REASON is the suberror
 */
enum vtx_event {
	VTX_EVENT_UNSPEC,
	VTX_EVENT_VM_CREATE,
	VTX_EVENT_VM_DESTROY,
	VTX_EVENT_VCPU_SHUTDOWN,
	VTX_EVENT_VCPU_FAIL_ENTRY,
	VTX_EVENT_VCPU_INTERNAL_ERROR,
};

#endif /* _UAPI_LINUX_VTX_H */
