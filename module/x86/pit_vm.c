// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - the PIT of a VM: KVM_CREATE_PIT2 (and the older KVM_CREATE_PIT),
 * KVM_GET/SET_PIT2, KVM_GET/SET_PIT and KVM_REINJECT_CONTROL with KVM
 * 6.1's ABI and errnos, ports 0x40-0x43 and 0x61 (KVM_PIT_SPEAKER_DUMMY)
 * handled in the kernel, channel 0 on an hrtimer, IRQ0 pulsed through the
 * routing table (GSI 0) with the PIT's own irq source id.  The 8254 itself
 * is the register model of x86/pit.[ch]; this file gives it a lock, a
 * clock, a timer and an interrupt line.
 *
 * Locking and contexts (Documentation/vtx/design.rst, "The PIT glue"):
 *
 *   vp->lock  (spinlock, irqsave) protects the model and the fields
 *             marked [l].  Every model call is made under it, and so is
 *             every hrtimer_start()/hrtimer_try_to_cancel() of channel 0's
 *             timer, so the timer always follows the model's last word.
 *             Taken by the vCPU's port I/O, the PIT ioctls, the work item
 *             and the ack notifier (nothing calls into an interrupt
 *             controller with vp->lock held, so a controller may call the
 *             PIT's notifiers under its own lock).
 *
 *   The hrtimer callback (hard irq) takes no lock and calls no model
 *   function: it only queues the work item.  So cancelling the timer with
 *   vp->lock held never waits for a callback that waits for vp->lock.
 *
 *   The work item (process context, system_highpri_wq, KVM's pit_do_work
 *   on its kthread worker) runs the model's expiry, re-arms the timer and
 *   pulses IRQ0 with no lock held: vtx_irq_set() walks the routing table
 *   and drives the PIC and IOAPIC, which must not be entered from under
 *   vp->lock nor, for an acknowledgment, from inside their own EOI path.
 *   A stale run is harmless: the model ignores an expiry that is not due
 *   and a timer that is not armed.
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/hrtimer.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include "x86/x86.h"
#include "x86/irq_routing.h"
#include "x86/irqchip.h"
#include "x86/pit.h"
#include "x86/pit_vm.h"

/**
 * struct vtx_vpit - KVM_CREATE_PIT2's PIT (vm->pit).
 * @vm:		the VM (the PIT goes first when it is destroyed)
 * @lock:	protects @pit, @pulse and @dying; see the top of the file
 * @pit:	[l] the 8254 (x86/pit.h); count_load_time in ktime_get_ns()
 * @pulse:	[l] an IRQ0 pulse the work item owes the guest
 * @dying:	[l] VM destroy: the timer is not armed again
 * @timer:	channel 0 (CLOCK_MONOTONIC, absolute deadlines)
 * @work:	the expiry and IRQ0 pulses, in process context
 * @ack:	IRQ0 acknowledged (GSI 0): reinjection's next tick
 *
 * KVM's mask notifier (IRQ0 unmasked: reinjection's backlog dropped,
 * vtx_pit_irq_unmasked()) is registered once the controllers have mask
 * notifiers (x86/irqchip.c, KVM_CREATE_IRQCHIP).
 */
struct vtx_vpit {
	struct vtx_vm *vm;
	spinlock_t lock;	/* protects pit, pulse, dying */
	struct vtx_pit pit;
	bool pulse;
	bool dying;
	struct hrtimer timer;
	struct work_struct work;
	struct vtx_irq_ack_notifier ack;
	struct vtx_irq_mask_notifier mask;
};

static u64 pit_now(void)
{
	return ktime_get_ns();
}

/*
 * Under vp->lock, before a model call: whether the VM has the in-kernel
 * IOAPIC (KVM arms no PIT timer without one; KVM_CREATE_IRQCHIP may come
 * after KVM_CREATE_PIT2), and the time.
 */
static u64 pit_begin(struct vtx_vpit *vp)
{
	u8 mode = smp_load_acquire(&vp->vm->irqchip_mode); /* its writer's */

	vp->pit.irqchip_kernel = mode == VTX_IRQCHIP_KERNEL;
	return pit_now();
}

/*
 * Under vp->lock, after a model call: program the timer as the model
 * says.  A callback already running only queues the work item, which
 * finds nothing due, so try_to_cancel is enough.
 *
 * Return: true when the work item must run (an IRQ0 pulse is owed).
 */
static bool pit_apply(struct vtx_vpit *vp, const struct vtx_pit_fx *fx)
{
	if (fx->flags & VTX_PIT_FX_ARM) {
		if (!vp->dying)
			hrtimer_start(&vp->timer, ns_to_ktime(fx->deadline),
				      HRTIMER_MODE_ABS);
	} else if (fx->flags & VTX_PIT_FX_CANCEL) {
		hrtimer_try_to_cancel(&vp->timer);
	}
	if (fx->flags & VTX_PIT_FX_IRQ0) {
		vp->pulse = true;
		return true;
	}
	return false;
}

static enum hrtimer_restart pit_timer_fn(struct hrtimer *t)
{
	struct vtx_vpit *vp = container_of(t, struct vtx_vpit, timer);

	queue_work(system_highpri_wq, &vp->work);
	return HRTIMER_NORESTART;
}

/* Channel 0's expiry if due, the next deadline, then the pulse owed. */
static void pit_work(struct work_struct *work)
{
	struct vtx_vpit *vp = container_of(work, struct vtx_vpit, work);
	struct vtx_pit_fx fx = {};
	unsigned long flags;
	u64 now, when;
	bool pulse;

	spin_lock_irqsave(&vp->lock, flags);
	now = pit_begin(vp);
	if (vtx_pit_timer_deadline(&vp->pit, &when) && (s64)(now - when) >= 0)
		vtx_pit_timer_expire(&vp->pit, now, &fx);
	pit_apply(vp, &fx);
	pulse = vp->pulse && !vp->dying;
	vp->pulse = false;
	spin_unlock_irqrestore(&vp->lock, flags);

	if (pulse) {
		/* An edge on GSI 0, as KVM's pair of kvm_set_irq() calls. */
		vtx_irq_set(vp->vm, VTX_PIT_IRQ_SOURCE_ID, VTX_PIT_CHANNEL_IRQ,
			    true);
		vtx_irq_set(vp->vm, VTX_PIT_IRQ_SOURCE_ID, VTX_PIT_CHANNEL_IRQ,
			    false);
	}
}

/*
 * IRQ0 was acknowledged (PIC or IOAPIC EOI): with reinjection the next
 * counted tick is pulsed (from the work item, not from inside the
 * controller's EOI path).  Any context, in a vm->irq_srcu read section.
 */
static void pit_irq_acked(struct vtx_irq_ack_notifier *ian)
{
	struct vtx_vpit *vp = container_of(ian, struct vtx_vpit, ack);
	struct vtx_pit_fx fx = {};
	unsigned long flags;
	bool run;

	spin_lock_irqsave(&vp->lock, flags);
	pit_begin(vp);
	vtx_pit_ack(&vp->pit, &fx);
	run = pit_apply(vp, &fx);
	spin_unlock_irqrestore(&vp->lock, flags);
	if (run)
		queue_work(system_highpri_wq, &vp->work);
}

/* IRQ0 unmasked: with reinjection the ticks counted so far are dropped. */
static void pit_irq_masked(struct vtx_irq_mask_notifier *imn, bool masked)
{
	struct vtx_vpit *vp = container_of(imn, struct vtx_vpit, mask);
	unsigned long flags;

	if (masked)
		return;
	spin_lock_irqsave(&vp->lock, flags);
	vtx_pit_irq_unmasked(&vp->pit);
	spin_unlock_irqrestore(&vp->lock, flags);
}

/*
 * Does the PIT take an access of @size bytes at @port?  As KVM's PIO bus:
 * a device takes an access that lies within its range (0x40-0x43, and
 * 0x61-0x64 for the speaker, whose handler takes 0x61 only).
 */
static bool pit_port(const struct vtx_vpit *vp, u16 port, u8 size)
{
	if (port >= VTX_PIT_PORT_BASE &&
	    port + size <= VTX_PIT_PORT_BASE + VTX_PIT_NR_PORTS)
		return true;
	/* cfg is written once at creation */
	return port == VTX_PIT_PORT_SPEAKER &&
	       (vp->pit.cfg.flags & KVM_PIT_SPEAKER_DUMMY);
}

/**
 * vtx_pit_pio - port I/O the PIT may take (x86/pio.c)
 * @vp:		the VM's PIT
 * @in:		IN/INS
 * @port:	the port
 * @size:	1, 2 or 4 bytes per element
 * @data:	@count elements of @size bytes: written for OUT; for IN the
 *		caller fills it with what an element keeps when the PIT
 *		leaves it as it is (the command port, as KVM)
 * @count:	elements (INS/OUTS), 1 otherwise
 *
 * An OUT gives the PIT the low byte; an IN returns its byte zero-extended
 * to @size, as KVM's PIT and speaker devices.
 *
 * Return: true when the PIT took the access; false leaves it to userspace.
 */
bool vtx_pit_pio(struct vtx_vpit *vp, bool in, u16 port, u8 size,
		 void *data, u32 count)
{
	unsigned long flags;
	u8 *p = data;
	bool run = false;
	u32 i;
	u8 val;

	if (!pit_port(vp, port, size))
		return false;
	/* One element per lock hold: a long REP string keeps no lock long. */
	for (i = 0; i < count; i++, p += size) {
		struct vtx_pit_fx fx = {};
		u64 now;

		spin_lock_irqsave(&vp->lock, flags);
		now = pit_begin(vp);
		if (!in) {
			vtx_pit_write(&vp->pit, port, p[0], now, &fx);
			run |= pit_apply(vp, &fx);
		} else if (port != VTX_PIT_PORT_CMD) {
			vtx_pit_read(&vp->pit, port, now, &val);
			memset(p, 0, size);
			p[0] = val;
		}
		spin_unlock_irqrestore(&vp->lock, flags);
	}
	if (run)
		queue_work(system_highpri_wq, &vp->work);
	return true;
}

/* KVM_CREATE_PIT2, and KVM_CREATE_PIT (flags KVM_PIT_SPEAKER_DUMMY). */
static long pit_create(struct vtx_vm *vm, u32 flags)
{
	struct vtx_pit_config cfg = {
		.flags = flags,	/* not checked, as KVM */
		.min_period = VTX_PIT_MIN_PERIOD_NS,
	};
	struct vtx_pit_fx fx = {};
	struct vtx_vpit *vp;
	long r = 0;

	mutex_lock(&vm->slots_lock);
	if (vm->pit) {
		r = -EEXIST;
		goto out;
	}
	vp = kzalloc(sizeof(*vp), GFP_KERNEL_ACCOUNT);
	if (!vp) {
		r = -ENOMEM;
		goto out;
	}
	vtx_alloc_inc(VTX_ALLOC_PIT);
	vp->vm = vm;
	spin_lock_init(&vp->lock);
	vtx_hrtimer_setup(&vp->timer, pit_timer_fn, CLOCK_MONOTONIC,
			  HRTIMER_MODE_ABS);
	INIT_WORK(&vp->work, pit_work);
	/* No timer runs yet: the reset's cancel has nothing to do. */
	vtx_pit_init(&vp->pit, &cfg, pit_now(), &fx);
	/*
	 * KVM registers it while reinjection is on; here it stays for the
	 * PIT's life and the model ignores it while reinjection is off.
	 */
	vp->ack.gsi = VTX_PIT_CHANNEL_IRQ;
	vp->ack.irq_acked = pit_irq_acked;
	vtx_register_irq_ack_notifier(vm, &vp->ack);
	vp->mask.func = pit_irq_masked;
	vtx_register_irq_mask_notifier(vm, VTX_PIT_CHANNEL_IRQ, &vp->mask);
	/* The vCPUs' port I/O sees a complete PIT. */
	smp_store_release(&vm->pit, vp);
out:
	mutex_unlock(&vm->slots_lock);
	return r;
}

static long pit_get_state(struct vtx_vpit *vp, struct kvm_pit_state __user *argp)
{
	struct kvm_pit_state ps;
	unsigned long flags;

	/* KVM reads the argument first: EFAULT before ENXIO */
	if (copy_from_user(&ps, argp, sizeof(ps)))
		return -EFAULT;
	if (!vp)
		return -ENXIO;
	spin_lock_irqsave(&vp->lock, flags);
	vtx_pit_get_state(&vp->pit, &ps);
	spin_unlock_irqrestore(&vp->lock, flags);
	return copy_to_user(argp, &ps, sizeof(ps)) ? -EFAULT : 0;
}

static long pit_set_state(struct vtx_vpit *vp, struct kvm_pit_state __user *argp)
{
	struct kvm_pit_state ps;
	struct vtx_pit_fx fx = {};
	unsigned long flags;
	bool run;

	if (copy_from_user(&ps, argp, sizeof(ps)))
		return -EFAULT;
	if (!vp)
		return -ENXIO;
	spin_lock_irqsave(&vp->lock, flags);
	vtx_pit_set_state(&vp->pit, &ps, pit_begin(vp), &fx);
	run = pit_apply(vp, &fx);
	spin_unlock_irqrestore(&vp->lock, flags);
	if (run)
		queue_work(system_highpri_wq, &vp->work);
	return 0;
}

static long pit_get_state2(struct vtx_vpit *vp,
			   struct kvm_pit_state2 __user *argp)
{
	struct kvm_pit_state2 ps;
	unsigned long flags;

	if (!vp)
		return -ENXIO;
	spin_lock_irqsave(&vp->lock, flags);
	vtx_pit_get_state2(&vp->pit, &ps);
	spin_unlock_irqrestore(&vp->lock, flags);
	return copy_to_user(argp, &ps, sizeof(ps)) ? -EFAULT : 0;
}

static long pit_set_state2(struct vtx_vpit *vp,
			   struct kvm_pit_state2 __user *argp)
{
	struct kvm_pit_state2 ps;
	struct vtx_pit_fx fx = {};
	unsigned long flags;
	bool run;

	if (copy_from_user(&ps, argp, sizeof(ps)))
		return -EFAULT;
	if (!vp)
		return -ENXIO;
	spin_lock_irqsave(&vp->lock, flags);
	vtx_pit_set_state2(&vp->pit, &ps, pit_begin(vp), &fx);
	run = pit_apply(vp, &fx);
	spin_unlock_irqrestore(&vp->lock, flags);
	if (run)
		queue_work(system_highpri_wq, &vp->work);
	return 0;
}

static long pit_reinject(struct vtx_vpit *vp,
			 struct kvm_reinject_control __user *argp)
{
	struct kvm_reinject_control control;
	unsigned long flags;

	if (copy_from_user(&control, argp, sizeof(control)))
		return -EFAULT;
	if (!vp)
		return -ENXIO;
	spin_lock_irqsave(&vp->lock, flags);
	vtx_pit_set_reinject(&vp->pit, control.pit_reinject);
	spin_unlock_irqrestore(&vp->lock, flags);
	return 0;
}

/**
 * vtx_pit_ioctl - the VM ioctls of the PIT
 * @vm:		the VM
 * @ioctl:	KVM_CREATE_PIT, KVM_CREATE_PIT2, KVM_GET/SET_PIT,
 *		KVM_GET/SET_PIT2 or KVM_REINJECT_CONTROL
 * @argp:	its argument
 *
 * KVM 6.1's errnos: EEXIST for a second PIT, ENXIO without one, EFAULT
 * for a bad argument (checked before ENXIO where KVM reads it first).  A
 * PIT needs no irqchip, but channel 0 arms no timer (and raises no IRQ0)
 * while the VM has no KVM_CREATE_IRQCHIP IOAPIC, as KVM.
 *
 * Return: the ioctl's result; -ENOTTY for an ioctl not handled here.
 */
long vtx_pit_ioctl(struct vtx_vm *vm, unsigned int ioctl, void __user *argp)
{
	/* Pairs with the release in pit_create(): a complete PIT. */
	struct vtx_vpit *vp = smp_load_acquire(&vm->pit);
	struct kvm_pit_config config;

	switch (ioctl) {
	case KVM_CREATE_PIT:
		return pit_create(vm, KVM_PIT_SPEAKER_DUMMY);
	case KVM_CREATE_PIT2:
		if (copy_from_user(&config, argp, sizeof(config)))
			return -EFAULT;
		return pit_create(vm, config.flags);
	case KVM_GET_PIT:
		return pit_get_state(vp, argp);
	case KVM_SET_PIT:
		return pit_set_state(vp, argp);
	case KVM_GET_PIT2:
		return pit_get_state2(vp, argp);
	case KVM_SET_PIT2:
		return pit_set_state2(vp, argp);
	case KVM_REINJECT_CONTROL:
		return pit_reinject(vp, argp);
	}
	return -ENOTTY;
}

/**
 * vtx_pit_vm_destroy - free the PIT of a VM nobody can reach any more
 * @vm:		the VM: no fd, no vCPU run; its vCPUs and routing still exist
 *
 * The ack notifier goes first (after its synchronize_srcu no call is
 * running), then @dying stops the work item from arming the timer again,
 * then the timer is cancelled (its callback finished; only the work item
 * could arm it) and the work item cancelled (finished, and nothing is
 * left to queue it).  No timer or work runs after the free.
 */
void vtx_pit_vm_destroy(struct vtx_vm *vm)
{
	struct vtx_vpit *vp = vm->pit;
	unsigned long flags;

	if (!vp)
		return;
	vtx_unregister_irq_mask_notifier(vm, &vp->mask);
	vtx_unregister_irq_ack_notifier(vm, &vp->ack);
	spin_lock_irqsave(&vp->lock, flags);
	vp->dying = true;
	spin_unlock_irqrestore(&vp->lock, flags);
	hrtimer_cancel(&vp->timer);
	cancel_work_sync(&vp->work);
	vm->pit = NULL;
	kfree(vp);
	vtx_alloc_dec(VTX_ALLOC_PIT);
}
