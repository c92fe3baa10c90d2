/* SPDX-License-Identifier: GPL-2.0 */
/* What pv_guest.S and pv_test.c agree on */
#ifndef VTX_VCPU_PV_H
#define VTX_VCPU_PV_H

/* The KVM paravirtual MSRs (Documentation/virt/kvm/x86/msr.rst) */
#define PV_MSR_WALL_CLOCK_NEW	0x4b564d00
#define PV_MSR_SYSTEM_TIME_NEW	0x4b564d01

/* struct pvclock_vcpu_time_info, 32 bytes, in the guest's scratch page */
#define PVTI_GPA		(SCRATCH_GPA + 0x1000)
#define PVTI_VERSION		0
#define PVTI_TSC_TIMESTAMP	8
#define PVTI_SYSTEM_TIME	16
#define PVTI_MUL		24
#define PVTI_SHIFT		28
/* struct pvclock_wall_clock, 12 bytes */
#define WALL_GPA		(SCRATCH_GPA + 0x2000)
/* struct kvm_steal_time, 64 bytes, 64-byte aligned */
#define STEAL_GPA		(SCRATCH_GPA + 0x3000)

/* The PV hypercalls (include/uapi/linux/kvm_para.h) */
#define PV_HC_KICK_CPU		5
#define PV_HC_SEND_IPI		10
#define PV_HC_SCHED_YIELD	11

/* Two- and three-vCPU guests: how many of the others are ready */
#define PV_READY_GPA		(SCRATCH_GPA + 0x100)
/* pv_spin_guest's counter, u64 */
#define PV_COUNTER_GPA		(SCRATCH_GPA + 0x200)
#define PV_IPI_VEC		0x31
#define PV_NMI_VEC		2
/* ICR bits of KVM_HC_SEND_IPI's last argument (SDM 10.6.1) */
#define PV_ICR_NMI		0x400
#define PV_ICR_LOGICAL		0x800
#define PV_ICR_ASSERT		0x4000
#define PV_ICR_ALLBUT		0xc0000

#endif
