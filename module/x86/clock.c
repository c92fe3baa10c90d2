// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - the VM's clock: KVM_GET_CLOCK and KVM_SET_CLOCK
 * (KVM_CAP_ADJUST_CLOCK).
 *
 * The clock counts nanoseconds: the host's CLOCK_MONOTONIC_RAW plus a
 * per-VM offset, vm->kvmclock_offset, chosen at creation so that a new
 * VM's clock starts near 0 and moved by KVM_SET_CLOCK.  vtx offers no
 * kvmclock to the guest (msr.c), so this clock is what userspace saves
 * and restores for the VM, as QEMU does across migration.
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

#include <linux/pvclock_gtod.h>
#include <linux/timekeeper_internal.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <asm/msr.h>
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

/* A new VM's clock starts at 0, as KVM's. */
void vtx_clock_vm_init(struct vtx_vm *vm)
{
	vm->kvmclock_offset = -ktime_get_raw_ns();
}

static void get_clock(struct vtx_vm *vm, struct kvm_clock_data *data)
{
	bool tsc = READ_ONCE(host_clock_is_tsc);
	u64 raw, real, cycles;

	memset(data, 0, sizeof(*data));
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
	data->clock = raw + READ_ONCE(vm->kvmclock_offset);
	if (tsc) {
		data->flags = KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME |
			      KVM_CLOCK_HOST_TSC;
		data->realtime = real;
		data->host_tsc = cycles;
	}
}

/*
 * KVM_SET_CLOCK: the clock reads data->clock now.  With
 * KVM_CLOCK_REALTIME, the time since data->realtime (CLOCK_REALTIME) is
 * added, never subtracted, as KVM.  The other flags are accepted so that
 * KVM_GET_CLOCK's result can be passed back; the pads are ignored.
 */
static int set_clock(struct vtx_vm *vm, struct kvm_clock_data *data)
{
	u64 now_real, now_raw;

	if (data->flags & ~VTX_CLOCK_VALID_FLAGS)
		return -EINVAL;
	if (data->flags & KVM_CLOCK_REALTIME) {
		now_real = ktime_get_real_ns();
		if (now_real > data->realtime)
			data->clock += now_real - data->realtime;
	}
	now_raw = ktime_get_raw_ns();
	WRITE_ONCE(vm->kvmclock_offset, data->clock - now_raw);
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
