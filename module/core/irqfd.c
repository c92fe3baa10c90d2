// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - KVM_IRQFD: an eventfd that raises a GSI when signalled, without a
 * trip through the VMM's thread; with KVM_IRQFD_FLAG_RESAMPLE, a level-
 * triggered GSI that stays raised until the guest acknowledges it, when
 * the line is lowered and the resample eventfd is signalled.  The ABI and
 * errors are KVM's (Documentation/vtx/api.rst).
 *
 * Lifetime, as KVM's virt/kvm/eventfd.c: an irqfd is active while it is on
 * vm->irqfds.items.  Deassignment, the eventfd's EPOLLHUP (its last close)
 * and the VM fd's release take it off under vm->irqfds.lock and queue its
 * shutdown on irqfd_cleanup_wq; the shutdown unhooks it from the eventfd's
 * wait queue, waits for its injection work, leaves its resampler and
 * frees it.  Deassignment and release flush that workqueue, so nothing of
 * an irqfd runs after they return; an irqfd holds no VM reference.
 *
 * Locking (Documentation/vtx/design.rst, "Interrupt routing and irqfds"):
 *   vm->irqfds.lock (spinlock, IRQs off): the active list and every
 *     irqfd's routing snapshot (written under it, read by the wake-up
 *     through the seqcount);
 *   vm->irqfds.resampler_lock (mutex): the resamplers and their irqfd
 *     lists, read under vm->irq_srcu;
 *   order: vm->irq_lock -> vm->irqfds.lock (a routing update refreshes the
 *     snapshots under both); resampler_lock -> vm->irq_lock.
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/rculist.h>
#include <linux/seqlock.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include "core/vtx.h"
#include "x86/irq_routing.h"

#define IRQFD_FLAGS	(KVM_IRQFD_FLAG_DEASSIGN | KVM_IRQFD_FLAG_RESAMPLE)

/* Shutdowns of all VMs' irqfds; flushed by deassignment and release. */
static struct workqueue_struct *irqfd_cleanup_wq;

/**
 * struct vtx_irqfd_resampler - the resample irqfds of one GSI: they share
 * VTX_IRQFD_RESAMPLE_IRQ_SOURCE_ID, so the line is lowered once per
 * acknowledgment and every resample eventfd is signalled.
 * @vm:		the VM
 * @irqfds:	its irqfds (resample_link); [resampler_lock] to change,
 *		vm->irq_srcu to read
 * @link:	on vm->irqfds.resamplers [resampler_lock]
 * @notifier:	the ack notifier of the GSI
 */
struct vtx_irqfd_resampler {
	struct vtx_vm *vm;
	struct list_head irqfds;
	struct list_head link;
	struct vtx_irq_ack_notifier notifier;
};

/**
 * struct vtx_irqfd - one KVM_IRQFD assignment.
 * @vm:		the VM (no reference: release waits for the shutdown)
 * @wait:	on the eventfd's wait queue
 * @pt:		registers @wait through vfs_poll()
 * @route:	snapshot of the GSI's routes when it is a single one (type 0
 *		otherwise), for injection from the wake-up; [vm->irqfds.lock]
 *		to write, @route_sc to read
 * @route_sc:	seqcount of @route
 * @gsi:	the GSI
 * @inject:	injection from process context (irqchip pins)
 * @resampler:	its resampler, with KVM_IRQFD_FLAG_RESAMPLE
 * @resamplefd:	the eventfd signalled when the guest acknowledges
 * @resample_link: on @resampler's list
 * @eventfd:	the eventfd that raises the GSI
 * @list:	on vm->irqfds.items while active, empty after
 * @shutdown:	the teardown, on irqfd_cleanup_wq
 */
struct vtx_irqfd {
	struct vtx_vm *vm;
	wait_queue_entry_t wait;
	poll_table pt;
	struct vtx_irq_route route;
	seqcount_spinlock_t route_sc;
	u32 gsi;
	struct work_struct inject;
	struct vtx_irqfd_resampler *resampler;
	struct eventfd_ctx *resamplefd;
	struct list_head resample_link;
	struct eventfd_ctx *eventfd;
	struct list_head list;
	struct work_struct shutdown;
};

/* Raise the GSI from process context: every route of the GSI. */
static void irqfd_inject(struct work_struct *work)
{
	struct vtx_irqfd *irqfd = container_of(work, struct vtx_irqfd, inject);
	struct vtx_vm *vm = irqfd->vm;

	if (!irqfd->resampler) {
		/* An edge: raised and lowered again. */
		vtx_irq_set(vm, VTX_USERSPACE_IRQ_SOURCE_ID, irqfd->gsi, true);
		vtx_irq_set(vm, VTX_USERSPACE_IRQ_SOURCE_ID, irqfd->gsi, false);
	} else {
		/* A level, lowered when the guest acknowledges it. */
		vtx_irq_set(vm, VTX_IRQFD_RESAMPLE_IRQ_SOURCE_ID, irqfd->gsi,
			    true);
	}
}

/*
 * The guest acknowledged the GSI's interrupt: lower the shared line once,
 * then tell every resample eventfd (the device re-raises if it still
 * needs service).  In a vm->irq_srcu read section.
 */
static void irqfd_resampler_ack(struct vtx_irq_ack_notifier *ian)
{
	struct vtx_irqfd_resampler *resampler =
		container_of(ian, struct vtx_irqfd_resampler, notifier);
	struct vtx_vm *vm = resampler->vm;
	struct vtx_irqfd *irqfd;
	int idx;

	vtx_irq_set(vm, VTX_IRQFD_RESAMPLE_IRQ_SOURCE_ID, ian->gsi, false);
	idx = srcu_read_lock(&vm->irq_srcu);
	list_for_each_entry_srcu(irqfd, &resampler->irqfds, resample_link,
				 srcu_read_lock_held(&vm->irq_srcu))
		vtx_eventfd_signal(irqfd->resamplefd);
	srcu_read_unlock(&vm->irq_srcu, idx);
}

/* Leave the resampler; the last one out lowers the line and frees it. */
static void irqfd_resampler_shutdown(struct vtx_irqfd *irqfd)
{
	struct vtx_irqfd_resampler *resampler = irqfd->resampler;
	struct vtx_vm *vm = resampler->vm;

	mutex_lock(&vm->irqfds.resampler_lock);
	list_del_rcu(&irqfd->resample_link);
	synchronize_srcu(&vm->irq_srcu);
	if (list_empty(&resampler->irqfds)) {
		list_del(&resampler->link);
		vtx_unregister_irq_ack_notifier(vm, &resampler->notifier);
		vtx_irq_set(vm, VTX_IRQFD_RESAMPLE_IRQ_SOURCE_ID,
			    resampler->notifier.gsi, false);
		kfree(resampler);
		vtx_alloc_dec(VTX_ALLOC_IRQFD);
	}
	mutex_unlock(&vm->irqfds.resampler_lock);
}

/* The teardown of an inactive irqfd, on irqfd_cleanup_wq; the order matters. */
static void irqfd_shutdown(struct work_struct *work)
{
	struct vtx_irqfd *irqfd = container_of(work, struct vtx_irqfd,
					       shutdown);
	struct vtx_vm *vm = irqfd->vm;
	u64 cnt;

	/* The assignment that made it has finished (it holds irq_srcu). */
	synchronize_srcu(&vm->irq_srcu);
	/* No wake-up runs or will run after this... */
	eventfd_ctx_remove_wait_queue(irqfd->eventfd, &irqfd->wait, &cnt);
	/* ... so none can queue an injection after this one ends. */
	flush_work(&irqfd->inject);
	if (irqfd->resampler) {
		irqfd_resampler_shutdown(irqfd);
		eventfd_ctx_put(irqfd->resamplefd);
	}
	eventfd_ctx_put(irqfd->eventfd);
	kfree(irqfd);
	vtx_alloc_dec(VTX_ALLOC_IRQFD);
}

/* Active: on vm->irqfds.items (irqfds.lock held, or in irq_srcu). */
static bool irqfd_is_active(struct vtx_irqfd *irqfd)
{
	return !list_empty(&irqfd->list);
}

/* Take it off the active list and queue its shutdown; irqfds.lock held. */
static void irqfd_deactivate(struct vtx_irqfd *irqfd)
{
	lockdep_assert_held(&irqfd->vm->irqfds.lock);
	list_del_init(&irqfd->list);
	queue_work(irqfd_cleanup_wq, &irqfd->shutdown);
}

/*
 * The eventfd's wake-up: with its wait-queue lock held, interrupts off.
 * EPOLLIN: the eventfd was signalled: consume the count and inject (an
 * MSI directly, anything else from the work).  EPOLLHUP: the eventfd's
 * last reference is going: deactivate, unless that already happened.
 */
static int irqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode,
			int sync, void *key)
{
	struct vtx_irqfd *irqfd = container_of(wait, struct vtx_irqfd, wait);
	__poll_t flags = key_to_poll(key);
	struct vtx_vm *vm = irqfd->vm;
	struct vtx_irq_route route;
	unsigned long iflags;
	unsigned int seq;
	int idx, ret = 0;
	u64 cnt;

	if (flags & EPOLLIN) {
		eventfd_ctx_do_read(irqfd->eventfd, &cnt);
		idx = srcu_read_lock(&vm->irq_srcu);
		do {
			seq = read_seqcount_begin(&irqfd->route_sc);
			route = irqfd->route;
		} while (read_seqcount_retry(&irqfd->route_sc, seq));
		/*
		 * A deassigned irqfd no longer follows routing updates: its
		 * snapshot may be stale, so it goes through the table.
		 */
		if (!irqfd_is_active(irqfd) ||
		    vtx_irq_route_inject_atomic(vm, &route) == -EWOULDBLOCK)
			schedule_work(&irqfd->inject);
		srcu_read_unlock(&vm->irq_srcu, idx);
		ret = 1;
	}

	if (flags & EPOLLHUP) {
		/*
		 * Deactivation from the VM side happens before the unhooking
		 * from this wait queue, whose lock is held here: the irqfd
		 * cannot go away under us, but may be inactive already.
		 */
		spin_lock_irqsave(&vm->irqfds.lock, iflags);
		if (irqfd_is_active(irqfd))
			irqfd_deactivate(irqfd);
		spin_unlock_irqrestore(&vm->irqfds.lock, iflags);
	}
	return ret;
}

static void irqfd_ptable_queue_proc(struct file *file, wait_queue_head_t *wqh,
				    poll_table *pt)
{
	struct vtx_irqfd *irqfd = container_of(pt, struct vtx_irqfd, pt);

	/* First on the queue, so that its wake-up consumes the count. */
	add_wait_queue_priority(wqh, &irqfd->wait);
}

/*
 * Refresh the routing snapshot: vm->irqfds.lock held, and vm->irq_lock or
 * a vm->irq_srcu read section for the table.
 */
static void irqfd_update(struct vtx_vm *vm, struct vtx_irqfd *irqfd)
{
	struct vtx_irq_route routes[VTX_MAX_GSI_ROUTES];
	int n = vtx_irq_map_gsi(vm, routes, irqfd->gsi);

	write_seqcount_begin(&irqfd->route_sc);
	if (n == 1)
		irqfd->route = routes[0];
	else
		irqfd->route.type = 0;
	write_seqcount_end(&irqfd->route_sc);
}

/**
 * vtx_irqfd_routing_update() - the routing table changed: refresh every
 * irqfd's snapshot.
 * @vm:		the VM; vm->irq_lock held, the new table published (the
 *		caller waits for vm->irq_srcu readers afterwards)
 */
void vtx_irqfd_routing_update(struct vtx_vm *vm)
{
	struct vtx_irqfd *irqfd;

	lockdep_assert_held(&vm->irq_lock);
	spin_lock_irq(&vm->irqfds.lock);
	list_for_each_entry(irqfd, &vm->irqfds.items, list)
		irqfd_update(vm, irqfd);
	spin_unlock_irq(&vm->irqfds.lock);
}

/* Resample: join the GSI's resampler, making it if it is the first. */
static int irqfd_resampler_join(struct vtx_vm *vm, struct vtx_irqfd *irqfd)
{
	struct vtx_irqfd_resampler *resampler;

	mutex_lock(&vm->irqfds.resampler_lock);
	list_for_each_entry(resampler, &vm->irqfds.resamplers, link) {
		if (resampler->notifier.gsi == irqfd->gsi) {
			irqfd->resampler = resampler;
			break;
		}
	}
	if (!irqfd->resampler) {
		resampler = kzalloc(sizeof(*resampler), GFP_KERNEL_ACCOUNT);
		if (!resampler) {
			mutex_unlock(&vm->irqfds.resampler_lock);
			return -ENOMEM;
		}
		vtx_alloc_inc(VTX_ALLOC_IRQFD);
		resampler->vm = vm;
		INIT_LIST_HEAD(&resampler->irqfds);
		resampler->notifier.gsi = irqfd->gsi;
		resampler->notifier.irq_acked = irqfd_resampler_ack;
		list_add(&resampler->link, &vm->irqfds.resamplers);
		vtx_register_irq_ack_notifier(vm, &resampler->notifier);
		irqfd->resampler = resampler;
	}
	list_add_rcu(&irqfd->resample_link, &irqfd->resampler->irqfds);
	synchronize_srcu(&vm->irq_srcu);
	mutex_unlock(&vm->irqfds.resampler_lock);
	return 0;
}

/* Resample needs the PICs and IOAPIC in the kernel; any irqfd a LAPIC. */
static bool irqfd_allowed(struct vtx_vm *vm, const struct kvm_irqfd *args)
{
	/* Pairs with the release of the writer (KVM_CREATE_IRQCHIP, ...). */
	enum vtx_irqchip_mode mode = smp_load_acquire(&vm->irqchip_mode);

	if (args->flags & KVM_IRQFD_FLAG_RESAMPLE)
		return mode == VTX_IRQCHIP_KERNEL;
	return vtx_irqchip_in_kernel(mode);
}

static int irqfd_assign(struct vtx_vm *vm, const struct kvm_irqfd *args)
{
	struct vtx_irqfd *irqfd, *tmp;
	struct eventfd_ctx *eventfd;
	struct file *file;
	__poll_t events;
	int idx, r;

	if (!irqfd_allowed(vm, args))
		return -EINVAL;

	irqfd = kzalloc(sizeof(*irqfd), GFP_KERNEL_ACCOUNT);
	if (!irqfd)
		return -ENOMEM;
	vtx_alloc_inc(VTX_ALLOC_IRQFD);
	irqfd->vm = vm;
	irqfd->gsi = args->gsi;
	INIT_LIST_HEAD(&irqfd->list);
	INIT_WORK(&irqfd->inject, irqfd_inject);
	INIT_WORK(&irqfd->shutdown, irqfd_shutdown);
	seqcount_spinlock_init(&irqfd->route_sc, &vm->irqfds.lock);

	/* The file is held until the irqfd is complete: no EPOLLHUP before. */
	file = fget(args->fd);
	if (!file) {
		r = -EBADF;
		goto out;
	}
	eventfd = eventfd_ctx_fileget(file);
	if (IS_ERR(eventfd)) {
		r = PTR_ERR(eventfd);
		goto put_file;
	}
	irqfd->eventfd = eventfd;

	if (args->flags & KVM_IRQFD_FLAG_RESAMPLE) {
		irqfd->resamplefd = eventfd_ctx_fdget(args->resamplefd);
		if (IS_ERR(irqfd->resamplefd)) {
			r = PTR_ERR(irqfd->resamplefd);
			irqfd->resamplefd = NULL;
			goto put_eventfd;
		}
		INIT_LIST_HEAD(&irqfd->resample_link);
		r = irqfd_resampler_join(vm, irqfd);
		if (r)
			goto put_eventfd;
	}

	init_waitqueue_func_entry(&irqfd->wait, irqfd_wakeup);
	init_poll_funcptr(&irqfd->pt, irqfd_ptable_queue_proc);

	spin_lock_irq(&vm->irqfds.lock);
	list_for_each_entry(tmp, &vm->irqfds.items, list) {
		if (tmp->eventfd == irqfd->eventfd) {
			/* The eventfd already raises a GSI of this VM. */
			spin_unlock_irq(&vm->irqfds.lock);
			r = -EBUSY;
			goto put_eventfd;
		}
	}
	idx = srcu_read_lock(&vm->irq_srcu);
	irqfd_update(vm, irqfd);
	list_add_tail(&irqfd->list, &vm->irqfds.items);
	spin_unlock_irq(&vm->irqfds.lock);

	/* A signal from before the registration is injected now. */
	events = vfs_poll(file, &irqfd->pt);
	if (events & EPOLLIN)
		schedule_work(&irqfd->inject);
	srcu_read_unlock(&vm->irq_srcu, idx);
	fput(file);
	return 0;

put_eventfd:
	if (irqfd->resampler)
		irqfd_resampler_shutdown(irqfd);
	if (irqfd->resamplefd)
		eventfd_ctx_put(irqfd->resamplefd);
	eventfd_ctx_put(eventfd);
put_file:
	fput(file);
out:
	kfree(irqfd);
	vtx_alloc_dec(VTX_ALLOC_IRQFD);
	return r;
}

/* Deactivate every irqfd of this eventfd and GSI, and wait for them. */
static int irqfd_deassign(struct vtx_vm *vm, const struct kvm_irqfd *args)
{
	struct vtx_irqfd *irqfd, *tmp;
	struct eventfd_ctx *eventfd;

	eventfd = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(eventfd))
		return PTR_ERR(eventfd);
	spin_lock_irq(&vm->irqfds.lock);
	list_for_each_entry_safe(irqfd, tmp, &vm->irqfds.items, list)
		if (irqfd->eventfd == eventfd && irqfd->gsi == args->gsi)
			irqfd_deactivate(irqfd);
	spin_unlock_irq(&vm->irqfds.lock);
	eventfd_ctx_put(eventfd);
	/* No interrupt from it once this returns. */
	flush_workqueue(irqfd_cleanup_wq);
	return 0;
}

/**
 * vtx_ioctl_irqfd() - KVM_IRQFD on a VM.
 * @vm:		the VM
 * @argp:	struct kvm_irqfd
 *
 * Return: 0; -EINVAL for unknown flags, no in-kernel irqchip (resample:
 * no KVM_CREATE_IRQCHIP irqchip) or an fd that is not an eventfd; -EBADF
 * for a closed fd; -EBUSY when the eventfd is assigned already; -EFAULT.
 * Deassigning what is not assigned succeeds, as on KVM.
 */
long vtx_ioctl_irqfd(struct vtx_vm *vm, struct kvm_irqfd __user *argp)
{
	struct kvm_irqfd args;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (args.flags & ~IRQFD_FLAGS)
		return -EINVAL;
	if (args.flags & KVM_IRQFD_FLAG_DEASSIGN)
		return irqfd_deassign(vm, &args);
	return irqfd_assign(vm, &args);
}

/**
 * vtx_irqfd_release() - the VM fd is being released: shut every irqfd
 * down and wait until none of their work runs.
 * @vm:		the VM
 */
void vtx_irqfd_release(struct vtx_vm *vm)
{
	struct vtx_irqfd *irqfd, *tmp;

	spin_lock_irq(&vm->irqfds.lock);
	list_for_each_entry_safe(irqfd, tmp, &vm->irqfds.items, list)
		irqfd_deactivate(irqfd);
	spin_unlock_irq(&vm->irqfds.lock);
	flush_workqueue(irqfd_cleanup_wq);
}

/* A new VM: no irqfd. */
void vtx_irqfd_vm_init(struct vtx_vm *vm)
{
	spin_lock_init(&vm->irqfds.lock);
	INIT_LIST_HEAD(&vm->irqfds.items);
	mutex_init(&vm->irqfds.resampler_lock);
	INIT_LIST_HEAD(&vm->irqfds.resamplers);
}

/* Module load: the shutdown workqueue. */
int vtx_irqfd_init(void)
{
	irqfd_cleanup_wq = alloc_workqueue("vtx-irqfd-cleanup", WQ_UNBOUND, 0);
	return irqfd_cleanup_wq ? 0 : -ENOMEM;
}

/* Module unload: every VM, and so every irqfd, is gone. */
void vtx_irqfd_exit(void)
{
	destroy_workqueue(irqfd_cleanup_wq);
}
