// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - the vCPU object: its file descriptor, the kvm_run page, its
 * lifetime and statistics.  The ioctls themselves are x86's
 * (vtx_arch_vcpu_ioctl(), x86/x86.c).
 *
 * Every vCPU ioctl runs with vcpu->mutex held and the vCPU "loaded" by the
 * backend on this CPU (vtx_x86_ops.vcpu_load); a preempt notifier moves it
 * along if the thread is scheduled elsewhere (sched_in) and lets the
 * backend restore host state the guest may have changed when the thread is
 * scheduled out.
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/fpu/api.h>
#include <uapi/linux/vtx.h>
#include "x86/x86.h"

static inline struct vtx_vcpu *preempt_to_vcpu(struct preempt_notifier *pn)
{
	return container_of(pn, struct vtx_vcpu, preempt);
}

static void vtx_sched_in(struct preempt_notifier *pn, int cpu)
{
	vtx_pv_sched_in(preempt_to_vcpu(pn));
	vtx_pv_vcpu_load(preempt_to_vcpu(pn));
	vtx_x86_ops.vcpu_load(preempt_to_vcpu(pn), cpu);
}

static void vtx_sched_out(struct preempt_notifier *pn,
			  struct task_struct *next)
{
	vtx_pv_sched_out(preempt_to_vcpu(pn));
	vtx_x86_ops.vcpu_put(preempt_to_vcpu(pn));
}

static struct preempt_ops vtx_preempt_ops = {
	.sched_in = vtx_sched_in,
	.sched_out = vtx_sched_out,
};

/* Load the vCPU on this CPU for the duration of an ioctl. */
static void vcpu_load(struct vtx_vcpu *vcpu)
{
	int cpu = get_cpu();

	preempt_notifier_register(&vcpu->preempt);
	vtx_x86_ops.vcpu_load(vcpu, cpu);
	put_cpu();
}

static void vcpu_put(struct vtx_vcpu *vcpu)
{
	preempt_disable();
	vtx_x86_ops.vcpu_put(vcpu);
	preempt_notifier_unregister(&vcpu->preempt);
	preempt_enable();
}

/**
 * vtx_vcpu_kick() - make a vCPU that is in the guest leave it now.
 * @vcpu:	the vCPU
 *
 * A vCPU in the guest on another CPU gets an IPI, which the guest takes
 * as an external-interrupt exit; its thread then sees the requests made
 * before the kick.  A vCPU outside the guest needs nothing: its entry
 * path checks for requests after announcing IN_GUEST_MODE, with
 * interrupts off.  A vCPU halted in the kernel (x86/apic.c) is woken; it
 * looks at its requests after it announced itself waiting.  Callable from
 * any context that may send an IPI.
 */
void vtx_vcpu_kick(struct vtx_vcpu *vcpu)
{
	int me, cpu;

	/* the request before the waiter's check; rcuwait_wake_up() pairs */
	if (rcuwait_wake_up(&vcpu->wait))
		WRITE_ONCE(vcpu->pv.ready, true);	/* a yield target */
	me = get_cpu();

	/* Only the kick that moves the vCPU out of IN_GUEST_MODE sends. */
	if (cmpxchg(&vcpu->mode, VTX_IN_GUEST_MODE,
		    VTX_EXITING_GUEST_MODE) == VTX_IN_GUEST_MODE) {
		/* Set before the mode (vmx_vcpu_run()), so valid now. */
		cpu = READ_ONCE(vcpu->last_cpu);
		if (cpu != me && cpu >= 0 && cpu < nr_cpu_ids)
			smp_send_reschedule(cpu);
	}
	put_cpu();
}

/**
 * vtx_make_all_vcpus_request() - make @req on every vCPU and kick them.
 * @vm:		the VM
 * @req:	enum vtx_request
 */
void vtx_make_all_vcpus_request(struct vtx_vm *vm, int req)
{
	unsigned int i, n = vtx_vm_nr_vcpus(vm);

	for (i = 0; i < n; i++) {
		vtx_make_request(req, vm->vcpus[i]);
		vtx_vcpu_kick(vm->vcpus[i]);
	}
}

/**
 * vtx_vm_dead() - a VMX instruction failed: the VM's state can't be
 * trusted.  Every ioctl of it fails with EIO from now on, and vCPUs in
 * the guest are kicked out to fail theirs.
 * @vm:		the VM
 */
void vtx_vm_dead(struct vtx_vm *vm)
{
	WRITE_ONCE(vm->dead, true);
	vtx_make_all_vcpus_request(vm, VTX_REQ_VM_DEAD);
}

/* KVM_SET_SIGNAL_MASK: NULL clears; SIGKILL and SIGSTOP stay deliverable. */
static long set_signal_mask(struct vtx_vcpu *vcpu,
			    struct kvm_signal_mask __user *argp)
{
	struct kvm_signal_mask hdr;
	sigset_t set;

	if (!argp) {
		vcpu->sigset_active = false;
		return 0;
	}
	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.len != sizeof(set))
		return -EINVAL;
	if (copy_from_user(&set, argp->sigset, sizeof(set)))
		return -EFAULT;
	sigdelsetmask(&set, sigmask(SIGKILL) | sigmask(SIGSTOP));
	vcpu->sigset = set;
	vcpu->sigset_active = true;
	return 0;
}

static long vcpu_ioctl_locked(struct vtx_vcpu *vcpu, unsigned int ioctl,
			      unsigned long arg)
{
	void __user *argp = (void __user *)arg;
	long r;

	/* the hot one first */
	if (ioctl == KVM_RUN)
		return arg ? -EINVAL : vtx_arch_vcpu_run(vcpu);
	r = vtx_arch_vcpu_ioctl(vcpu, ioctl, argp);
	if (r != -ENOIOCTLCMD)
		return r;
	if (ioctl == KVM_SET_SIGNAL_MASK)
		return set_signal_mask(vcpu, argp);
	if (ioctl == KVM_GET_STATS_FD)
		return vtx_vcpu_stats_fd(vcpu);
	/* KVM's answer for a vCPU ioctl it does not know. */
	return -EINVAL;
}

static long vtx_vcpu_ioctl(struct file *filp, unsigned int ioctl,
			   unsigned long arg)
{
	struct vtx_vcpu *vcpu = filp->private_data;
	long r;

	if (vcpu->vm->mm != current->mm || READ_ONCE(vcpu->vm->dead))
		return -EIO;
	if (mutex_lock_killable(&vcpu->mutex))
		return -EINTR;
	vtx_prof(vcpu, IOCTL);
	vcpu_load(vcpu);
	vtx_prof(vcpu, LOADED);
	r = vcpu_ioctl_locked(vcpu, ioctl, arg);
	vtx_prof(vcpu, DONE);
	vcpu_put(vcpu);
	vtx_prof(vcpu, PUT);
	mutex_unlock(&vcpu->mutex);
	return r;
}

static vm_fault_t vtx_vcpu_fault(struct vm_fault *vmf)
{
	struct vtx_vcpu *vcpu = vmf->vma->vm_file->private_data;
	struct page *page;

	if (vmf->pgoff == 0)
		page = virt_to_page(vcpu->run);
	else if (vmf->pgoff == VTX_PIO_PAGE_OFFSET)
		page = virt_to_page(vcpu->pio_data);
	else if (vmf->pgoff == VTX_COALESCED_PAGE_OFFSET)
		page = virt_to_page(vcpu->vm->coalesced_ring);
	else
		return VM_FAULT_SIGBUS;
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct vtx_vcpu_vm_ops = {
	.fault = vtx_vcpu_fault,
};

static int vtx_vcpu_mmap(struct file *filp, struct vm_area_struct *vma)
{
	vma->vm_ops = &vtx_vcpu_vm_ops;
	return 0;
}

static int vtx_vcpu_release(struct inode *inode, struct file *filp)
{
	struct vtx_vcpu *vcpu = filp->private_data;

	vtx_vm_put(vcpu->vm);
	return 0;
}

static const struct file_operations vtx_vcpu_fops = {
	.owner		= THIS_MODULE,
	.release	= vtx_vcpu_release,
	.unlocked_ioctl	= vtx_vcpu_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= vtx_vcpu_mmap,
	.llseek		= noop_llseek,
};

#ifdef VTX_PROFILE
static const char * const vtx_prof_names[VTX_NR_PROF] = {
	[VTX_PROF_IOCTL] = "user+syscall",
	[VTX_PROF_LOADED] = "lock+load",
	[VTX_PROF_COMPLETED] = "complete-io",
	[VTX_PROF_FPU_IN] = "fpu-in",
	[VTX_PROF_ENTRY] = "pre-entry",
	[VTX_PROF_EXIT] = "guest",
	[VTX_PROF_HANDLED] = "handle-exit",
	[VTX_PROF_FPU_OUT] = "fpu-out",
	[VTX_PROF_DONE] = "fill-run",
	[VTX_PROF_PUT] = "put+unlock",
};

/**
 * vtx_prof_dump_vcpu() - print a vCPU's profile (VTX_PROFILE builds only).
 * @vcpu:	the vCPU
 */
void vtx_prof_dump_vcpu(struct vtx_vcpu *vcpu)
{
	const struct vtx_prof *p = &vcpu->prof;
	int i;

	for (i = 0; i < VTX_NR_PROF; i++)
		if (p->n[i])
			pr_info("prof vcpu%u %-12s n %llu avg %llu\n", vcpu->id,
				vtx_prof_names[i], p->n[i],
				div64_u64(p->sum[i], p->n[i]));
}
#endif

/**
 * vtx_vcpu_free() - free a vCPU of a VM that is being destroyed.
 * @vcpu:	the vCPU; its fd is closed
 */
void vtx_vcpu_free(struct vtx_vcpu *vcpu)
{
	vtx_prof_dump_vcpu(vcpu);
	vtx_apic_vcpu_free(vcpu);
	vtx_x86_ops.vcpu_free(vcpu);
	vtx_msr_vcpu_free(vcpu);
	vtx_pv_vcpu_free(vcpu);
	if (vcpu->cpuid)
		vtx_alloc_dec(VTX_ALLOC_CPUID);
	kfree(vcpu->cpuid);
	fpu_free_guest_fpstate(&vcpu->guest_fpu);
	free_page((unsigned long)vcpu->pio_data);
	free_page((unsigned long)vcpu->run);
	kfree(vcpu);
	vtx_alloc_dec(VTX_ALLOC_VCPU);
}

static struct vtx_vcpu *vcpu_alloc(struct vtx_vm *vm, u32 id)
{
	struct vtx_vcpu *vcpu;

	/* The backend's vCPU, which starts with the generic one. */
	vcpu = kzalloc(vtx_x86_ops.vcpu_size, GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		return NULL;
	vcpu->vm = vm;
	vcpu->id = id;
	mutex_init(&vcpu->mutex);
	rcuwait_init(&vcpu->wait);
	preempt_notifier_init(&vcpu->preempt, &vtx_preempt_ops);
	vcpu->run = (struct kvm_run *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	vcpu->pio_data = (u8 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vcpu->run || !vcpu->pio_data ||
	    !fpu_alloc_guest_fpstate(&vcpu->guest_fpu))
		goto fail;
	vtx_arch_vcpu_init(vcpu);
	if (vtx_apic_vcpu_create(vcpu)) {
		fpu_free_guest_fpstate(&vcpu->guest_fpu);
		goto fail;
	}
	if (vtx_x86_ops.vcpu_create(vcpu)) {
		vtx_apic_vcpu_free(vcpu);
		fpu_free_guest_fpstate(&vcpu->guest_fpu);
		goto fail;
	}
	vtx_alloc_inc(VTX_ALLOC_VCPU);
	return vcpu;

fail:
	free_page((unsigned long)vcpu->pio_data);
	free_page((unsigned long)vcpu->run);
	kfree(vcpu);
	return NULL;
}

/**
 * vtx_create_vcpu() - KVM_CREATE_VCPU.
 * @vm:	the VM
 * @id:	the vCPU id (the APIC id)
 *
 * The vCPU is on vm->vcpus (which frees it with the VM) before its fd is
 * installed, and the fd is installed last, as for the VM (vtx_create_vm()):
 * once the file exists it owns the VM reference taken for it, so nothing
 * may fail after anon_inode_getfile().
 *
 * Return: the vCPU fd, -EINVAL for an id out of range or too many vCPUs,
 * -EEXIST for a duplicate id, or another errno.
 */
int vtx_create_vcpu(struct vtx_vm *vm, unsigned long id)
{
	struct vtx_vcpu *vcpu;
	struct file *file;
	unsigned int i;
	int fd;

	if (id >= VTX_MAX_VCPU_ID)
		return -EINVAL;
	/*
	 * Counted first, under slots_lock, as KVM's created_vcpus: an
	 * in-kernel irqchip can no longer be made once a vCPU may exist
	 * without its APIC (x86/apic.c, vtx_irqchip_enable_split()).
	 */
	mutex_lock(&vm->slots_lock);
	if (vm->created_vcpus >= VTX_MAX_VCPUS) {
		mutex_unlock(&vm->slots_lock);
		return -EINVAL;
	}
	vm->created_vcpus++;
	mutex_unlock(&vm->slots_lock);
	vcpu = vcpu_alloc(vm, id);
	if (!vcpu) {
		fd = -ENOMEM;
		goto uncount;
	}

	mutex_lock(&vm->slots_lock);
	fd = -EINVAL;
	if (vm->nr_vcpus >= VTX_MAX_VCPUS ||
	    (vm->max_vcpu_id && id >= vm->max_vcpu_id))
		goto fail;
	fd = -EEXIST;
	for (i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i]->id == id)
			goto fail;
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		goto fail;
	file = anon_inode_getfile("vtx-vcpu", &vtx_vcpu_fops, vcpu, O_RDWR);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		fd = PTR_ERR(file);
		goto fail;
	}
	/* The file's reference, put by vtx_vcpu_release(); no error below. */
	kref_get(&vm->kref);
	vm->vcpus[vm->nr_vcpus] = vcpu;
	/* The entry before the count: netlink reads them without slots_lock. */
	smp_store_release(&vm->nr_vcpus, vm->nr_vcpus + 1);
	mutex_unlock(&vm->slots_lock);
	/* Userspace can reach (and close) the vCPU from here on. */
	fd_install(fd, file);
	return fd;

fail:
	mutex_unlock(&vm->slots_lock);
	vtx_vcpu_free(vcpu);
uncount:
	mutex_lock(&vm->slots_lock);
	vm->created_vcpus--;
	mutex_unlock(&vm->slots_lock);
	return fd;
}
