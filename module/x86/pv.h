/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtx - the KVM paravirtual interface (x86/pv.c): CPUID leaves 4000000xH,
 * kvmclock, steal time and KVM_CAP_ENFORCE_PV_FEATURE_CPUID.  Included by
 * core/vtx.h for the state kept in struct vtx_vm and struct vtx_vcpu.
 */
#ifndef VTX_X86_PV_H
#define VTX_X86_PV_H

#include <linux/rcupdate.h>
#include <linux/seqlock.h>
#include <linux/types.h>

struct vtx_vm;
struct vtx_vcpu;
struct kvm_cpuid_entry2;
struct kvm_enable_cap;
struct pid;

/**
 * struct vtx_kvmclock_ref - the VM's reference point of kvmclock: the
 * kvmclock read @ns when the host's TSC read @tsc; from there on kvmclock
 * runs at the TSC's rate, scaled by @mul and @shift as pvclock does.
 * @ns:		kvmclock at @tsc (vm->kvmclock_offset included)
 * @tsc:	the host's TSC
 * @mul:	pvclock's tsc_to_system_mul for the TSC's rate (tsc_khz)
 * @shift:	pvclock's tsc_shift
 * @stable:	the host's clocksource is the TSC: every vCPU shares this
 *		point (PVCLOCK_TSC_STABLE_BIT); else each update takes a new
 *		one
 */
struct vtx_kvmclock_ref {
	u64 ns;
	u64 tsc;
	u32 mul;
	s8 shift;
	bool stable;
};

/**
 * struct vtx_pv_vm - the VM's part of kvmclock.
 * @lock:	writers: KVM_SET_CLOCK, VM creation; readers: KVM_GET_CLOCK
 *		and the vCPUs' pvclock updates; protects @raw_ns, @raw_tsc
 *		and vm->kvmclock_offset's writes
 * @raw_ns:	CLOCK_MONOTONIC_RAW when the host's TSC read @raw_tsc
 * @raw_tsc:	the host's TSC
 * @wall_clock:	[o] the guest-physical address MSR_KVM_WALL_CLOCK(_NEW)
 *		last took (KVM keeps it per VM too)
 */
struct vtx_pv_vm {
	seqlock_t lock;
	u64 raw_ns;
	u64 raw_tsc;
	u64 wall_clock;
};

/**
 * struct vtx_pv - a vCPU's paravirtual state, [v] (vcpu->mutex).
 * @features:	EAX of leaf 40000001H of the vCPU's CPUID (found through
 *		the "KVMKVMKVM" signature leaf), 0 without one
 * @enforce:	KVM_CAP_ENFORCE_PV_FEATURE_CPUID: the MSRs and hypercalls of
 *		a feature @features lacks are refused
 * @system_time: MSR_KVM_SYSTEM_TIME(_NEW) as written: GPA | enable bit
 * @system_time_old: ... through the old MSR (no PVCLOCK_TSC_STABLE_BIT)
 * @steal_msr:	MSR_KVM_STEAL_TIME as written
 * @last_steal:	the thread's sched_info.run_delay at the last steal update
 * @preempted:	KVM_VCPU_PREEMPTED was written to the guest's steal-time
 *		"preempted" byte since the last steal update (sched-out)
 * @at_boundary: the last exit came between two guest instructions for a
 *		host interrupt or tick (vmx/exit.c): the guest may be told it
 *		was preempted (KVM's at_instruction_boundary)
 * @ready:	[o] scheduled out while runnable, or woken and not yet
 *		running: a vCPU worth yielding to (KVM's vcpu->ready)
 * @pid:	[o] RCU: the thread of the last KVM_RUN, for directed yield
 */
struct vtx_pv {
	u32 features;
	bool enforce;
	u64 system_time;
	bool system_time_old;
	u64 steal_msr;
	u64 last_steal;
	u8 preempted;
	bool at_boundary;
	bool ready;
	struct pid __rcu *pid;
};

/* pv.c */
bool vtx_pv_msr(u32 index);
bool vtx_pv_has(struct vtx_vcpu *vcpu, unsigned int feature);
int vtx_pv_get_msr(struct vtx_vcpu *vcpu, u32 index, u64 *data, bool host);
int vtx_pv_set_msr(struct vtx_vcpu *vcpu, u32 index, u64 data, bool host);
int vtx_pv_supported_cpuid(struct kvm_cpuid_entry2 *out, int n, int max);
void vtx_pv_update_cpuid(struct vtx_vcpu *vcpu);
long vtx_pv_enable_cap(struct vtx_vcpu *vcpu, struct kvm_enable_cap __user *argp);
void vtx_pv_vcpu_load(struct vtx_vcpu *vcpu);
void vtx_pv_clock_update(struct vtx_vcpu *vcpu);
void vtx_pv_steal_update(struct vtx_vcpu *vcpu);
void vtx_pv_sched_out(struct vtx_vcpu *vcpu);
void vtx_pv_sched_in(struct vtx_vcpu *vcpu);
void vtx_pv_set_thread(struct vtx_vcpu *vcpu);
void vtx_pv_vcpu_free(struct vtx_vcpu *vcpu);
long vtx_pv_hypercall(struct vtx_vcpu *vcpu, unsigned long nr,
		      const unsigned long *args, bool op_64bit);

/* clock.c */
void vtx_clock_ref(struct vtx_vm *vm, struct vtx_kvmclock_ref *ref);
u64 vtx_clock_now(struct vtx_vm *vm);
bool vtx_clock_stable(void);

#endif /* VTX_X86_PV_H */
