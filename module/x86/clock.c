// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - the VM's clock: KVM_GET_CLOCK and KVM_SET_CLOCK
 * (KVM_CAP_ADJUST_CLOCK).
 *
 * The clock counts nanoseconds: the host's CLOCK_MONOTONIC_RAW plus a
 * per-VM offset, vm->kvmclock_offset, chosen at creation so that a new
 * VM's clock starts near 0 and moved by KVM_SET_CLOCK.  It is the clock
 * userspace saves and restores for the VM, and the guest's kvmclock
 * (x86/pv.c).
 *
 * When the host's clocksource is the TSC, the VM keeps one reference
 * point (vm->pv: CLOCK_MONOTONIC_RAW and the TSC read together, taken at
 * creation and by KVM_SET_CLOCK) and the clock is that point plus the TSC
 * cycles since, scaled as pvclock scales them (tsc_khz) -- KVM's "master
 * clock".  Every vCPU's pvclock is written from the same point, so the
 * guest's kvmclock is the same on all vCPUs, never goes back, and is
 * exactly what KVM_GET_CLOCK reads at the same TSC.  With another
 * clocksource each pvclock update takes a fresh point.
 *
 * Flags of KVM_GET_CLOCK, as KVM's master-clock mode gives them: when the
 * host's clocksource is the TSC, the clock runs at the TSC's rate on
 * every CPU (KVM_CLOCK_TSC_STABLE), and the TSC and CLOCK_REALTIME read
 * together with it are returned (KVM_CLOCK_HOST_TSC, KVM_CLOCK_REALTIME).
 * With another clocksource the flags are 0, as on KVM without a master
 * clock.  Which clocksource the host uses is learnt from the timekeeper's
 * notifier (pvclock_gtod).
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/math64.h>
#include <linux/pvclock_gtod.h>
#include <linux/timekeeper_internal.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <asm/msr.h>
#include <asm/tsc.h>
#include "x86/x86.h"

/* [o] the host's clocksource is the TSC (written by the notifier) */
static bool host_clock_is_tsc;

static int clock_gtod_notify(struct notifier_block *nb, unsigned long unused,
			     void *priv)
{
	struct timekeeper *tk = priv;

	WRITE_ONCE(host_clock_is_tsc, tk->tkr_mono.clock->vdso_clock_mode ==
				      VDSO_CLOCKMODE_TSC);
	return 0;
}

static struct notifier_block clock_gtod_nb = {
	.notifier_call = clock_gtod_notify,
};

/**
 * vtx_clock_init() - follow the host's clocksource (module load).
 *
 * Return: 0 or the notifier's errno.
 */
int __init vtx_clock_init(void)
{
	/* calls clock_gtod_notify() once at once */
	return pvclock_gtod_register_notifier(&clock_gtod_nb);
}

void vtx_clock_exit(void)
{
	pvclock_gtod_unregister_notifier(&clock_gtod_nb);
}

/*
 * pvclock's scale for the TSC's rate: ns = ((cycles << shift) * mul) >> 32
 * (>> -shift for a negative shift), mul in [2^31, 2^32).
 */
static void tsc_scale(u32 khz, u32 *mul, s8 *shift)
{
	u64 num = NSEC_PER_SEC, den = (u64)(khz ? khz : 1) * 1000;
	s8 s = 0;

	while (num >= den) {
		den <<= 1;
		s++;
	}
	while (num * 2 < den) {
		num <<= 1;
		s--;
	}
	/* num < den: the quotient fits 32 bits, num << 32 might not */
	*mul = mul_u64_u64_div_u64(num, 1ull << 32, den);
	*shift = s;
}

/* TSC cycles to nanoseconds as the guest's pvclock reads compute them. */
static u64 pvclock_scale(u64 delta, u32 mul, s8 shift)
{
	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	return mul_u64_u32_shr(delta, mul, 32);
}

/* The VM's reference point: now.  vm->pv.lock held for writing. */
static void take_ref(struct vtx_vm *vm)
{
	vm->pv.raw_tsc = rdtsc_ordered();
	vm->pv.raw_ns = ktime_get_raw_ns();
}

/* A new VM's clock starts at 0, as KVM's. */
void vtx_clock_vm_init(struct vtx_vm *vm)
{
	seqlock_init(&vm->pv.lock);
	write_seqlock(&vm->pv.lock);
	take_ref(vm);
	vm->kvmclock_offset = -vm->pv.raw_ns;
	write_sequnlock(&vm->pv.lock);
}

/* The host's clocksource is the TSC: one reference point serves all. */
bool vtx_clock_stable(void)
{
	return READ_ONCE(host_clock_is_tsc);
}

/**
 * vtx_clock_ref() - where the VM's clock is, for a pvclock.
 * @vm:		the VM
 * @ref:	out: the reference point and scale
 *
 * With the TSC as the host's clocksource, the VM's shared point; else
 * the clock now.  Never sleeps.
 */
void vtx_clock_ref(struct vtx_vm *vm, struct vtx_kvmclock_ref *ref)
{
	unsigned int seq;

	tsc_scale(READ_ONCE(tsc_khz), &ref->mul, &ref->shift);
	ref->stable = vtx_clock_stable();
	if (!ref->stable) {
		preempt_disable();
		ref->tsc = rdtsc_ordered();
		ref->ns = ktime_get_raw_ns() + READ_ONCE(vm->kvmclock_offset);
		preempt_enable();
		return;
	}
	do {
		seq = read_seqbegin(&vm->pv.lock);
		ref->tsc = vm->pv.raw_tsc;
		ref->ns = vm->pv.raw_ns + vm->kvmclock_offset;
	} while (read_seqretry(&vm->pv.lock, seq));
}

/* The VM's clock at the host's TSC @cycles (at or after the point). */
static u64 clock_at(struct vtx_kvmclock_ref *ref, u64 cycles)
{
	u64 delta = cycles > ref->tsc ? cycles - ref->tsc : 0;

	return ref->ns + pvclock_scale(delta, ref->mul, ref->shift);
}

static void get_clock(struct vtx_vm *vm, struct kvm_clock_data *data)
{
	struct vtx_kvmclock_ref ref;
	u64 raw, real, cycles;
	bool tsc;

	memset(data, 0, sizeof(*data));
	vtx_clock_ref(vm, &ref);
	tsc = ref.stable;
	/*
	 * The three reads back to back, without preemption in between (one
	 * kernel's ktime_get_snapshot() is not another's): tens of
	 * nanoseconds apart at most.
	 */
	preempt_disable();
	cycles = rdtsc_ordered();
	raw = ktime_get_raw_ns();
	real = ktime_get_real_ns();
	preempt_enable();
	if (tsc)
		data->clock = clock_at(&ref, cycles);
	else
		data->clock = raw + READ_ONCE(vm->kvmclock_offset);
	if (tsc) {
		data->flags = KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME |
			      KVM_CLOCK_HOST_TSC;
		data->realtime = real;
		data->host_tsc = cycles;
	}
}

/**
 * vtx_clock_now() - the VM's clock now, as KVM_GET_CLOCK reads it.
 * @vm:		the VM
 *
 * Return: nanoseconds.
 */
u64 vtx_clock_now(struct vtx_vm *vm)
{
	struct kvm_clock_data data;

	get_clock(vm, &data);
	return data.clock;
}

/*
 * KVM_SET_CLOCK: the clock reads data->clock now.  With
 * KVM_CLOCK_REALTIME, the time since data->realtime (CLOCK_REALTIME) is
 * added, never subtracted, as KVM.  The other flags are accepted so that
 * KVM_GET_CLOCK's result can be passed back; the pads are ignored.
 */
static int set_clock(struct vtx_vm *vm, struct kvm_clock_data *data)
{
	u64 now_real;

	if (data->flags & ~VTX_CLOCK_VALID_FLAGS)
		return -EINVAL;
	write_seqlock(&vm->pv.lock);
	if (data->flags & KVM_CLOCK_REALTIME) {
		now_real = ktime_get_real_ns();
		if (now_real > data->realtime)
			data->clock += now_real - data->realtime;
	}
	/* a new reference point: the clock reads data->clock there */
	take_ref(vm);
	WRITE_ONCE(vm->kvmclock_offset, data->clock - vm->pv.raw_ns);
	write_sequnlock(&vm->pv.lock);
	/* every pvclock from the new point before the guest runs again */
	vtx_make_all_vcpus_request(vm, VTX_REQ_CLOCK_UPDATE);
	return 0;
}

/**
 * vtx_clock_ioctl() - KVM_GET_CLOCK, KVM_SET_CLOCK on a VM.
 * @vm:		the VM
 * @ioctl:	which
 * @argp:	struct kvm_clock_data
 *
 * Return: 0, -EFAULT, or -EINVAL for flags KVM does not know.
 */
long vtx_clock_ioctl(struct vtx_vm *vm, unsigned int ioctl,
		     void __user *argp)
{
	struct kvm_clock_data data;

	if (ioctl == KVM_GET_CLOCK) {
		get_clock(vm, &data);
		return copy_to_user(argp, &data, sizeof(data)) ? -EFAULT : 0;
	}
	if (copy_from_user(&data, argp, sizeof(data)))
		return -EFAULT;
	return set_clock(vm, &data);
}
