// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - the vCPU object: its file descriptor, the kvm_run page, register
 * ioctls and the KVM_RUN loop.
 *
 * Every vCPU ioctl runs with vcpu->mutex held and the vCPU "loaded": its
 * VMCS is current on this CPU, and a preempt notifier moves it along if the
 * thread is scheduled elsewhere (sched_in) and restores host state the
 * guest may have changed when the thread is scheduled out.
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
#include <asm/apicdef.h>
#include <asm/debugreg.h>
#include <asm/fpu/xcr.h>
#include <asm/hw_breakpoint.h>
#include <asm/special_insns.h>
#include <uapi/linux/vtx.h>
#include "vmcs.h"

bool vtx_dump_invalid_vmcs;
module_param_named(dump_invalid_vmcs, vtx_dump_invalid_vmcs, bool, 0644);
MODULE_PARM_DESC(dump_invalid_vmcs, "Log the VMCS when a VM entry fails");

/* KVM's reset value of RDX when no CPUID was set: family 6. */
#define RESET_RDX		0x600

static inline struct vtx_vcpu *preempt_to_vcpu(struct preempt_notifier *pn)
{
	return container_of(pn, struct vtx_vcpu, preempt);
}

static void vtx_sched_in(struct preempt_notifier *pn, int cpu)
{
	vtx_vcpu_load(preempt_to_vcpu(pn), cpu);
}

static void vtx_sched_out(struct preempt_notifier *pn,
			  struct task_struct *next)
{
	vtx_put_host_state(preempt_to_vcpu(pn));
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
	vtx_vcpu_load(vcpu, cpu);
	put_cpu();
}

static void vcpu_put(struct vtx_vcpu *vcpu)
{
	preempt_disable();
	vtx_put_host_state(vcpu);
	preempt_notifier_unregister(&vcpu->preempt);
	preempt_enable();
}

/*
 * The guest's XCR0 goes into the processor around the entry, interrupts
 * off, when it differs from the host's.  It was set only through
 * vtx_xcr0_valid() (XSETBV exit, KVM_SET_XCRS), so it is a valid subset of
 * the host's XCR0 without PKRU or AMX and the XSETBV cannot fault; should
 * that ever not hold, the guest keeps the host's XCR0 instead.  host_xcr0
 * is 0 when the host kernel runs without XSAVE.
 */
static bool guest_xcr0_live(struct vtx_vcpu *vcpu)
{
	/* A host kernel without XSAVE (CR4.OSXSAVE clear): no XSETBV at all */
	if (!vcpu->host_xcr0)
		return false;
	if (WARN_ON_ONCE(vcpu->xcr0 & ~vcpu->host_xcr0))
		return false;
	return (vcpu->cr4 & X86_CR4_OSXSAVE) && vcpu->xcr0 != vcpu->host_xcr0;
}

/* Per-exit statistics: plain per-vCPU counters, no locks or atomics. */
static void account_exit(struct vtx_vcpu *vcpu, u64 t_entry, u64 t_exit)
{
	struct vtx_vcpu_stats *s = &vcpu->stats;
	u16 basic = (u16)vcpu->exit_reason;

	s->exits++;
	s->guest_tsc += t_exit - t_entry;
	if (vcpu->exit_tsc) {
		u64 lat = t_entry - vcpu->exit_tsc;

		s->host_tsc += lat;
		s->latency[min_t(unsigned int, lat ? ilog2(lat) : 0,
				 VTX_NR_LAT_BUCKETS - 1)]++;
	}
	vcpu->exit_tsc = t_exit;
	s->reason[min_t(u16, basic, VTX_NR_EXIT_REASONS - 1)]++;
}

/* Tell the events group about exits that mean trouble. */
static void announce_exit(struct vtx_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	switch (run->exit_reason) {
	case KVM_EXIT_SHUTDOWN:
		vtx_nl_event(vcpu->vm, VTX_EVENT_VCPU_SHUTDOWN, vcpu->id, 0);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		vtx_nl_event(vcpu->vm, VTX_EVENT_VCPU_FAIL_ENTRY, vcpu->id,
			     run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		vtx_nl_event(vcpu->vm, VTX_EVENT_VCPU_INTERNAL_ERROR, vcpu->id,
			     run->internal.suberror);
		break;
	}
}

/* The VMCS of a failed entry may be in an unknown launch state. */
static void reset_launch_state(struct vtx_vcpu *vcpu)
{
	if (vtx_vmclear(__pa(vcpu->vmcs)) || vtx_vmptrld(__pa(vcpu->vmcs)))
		WRITE_ONCE(vcpu->vm->dead, true);
	vcpu->launched = false;
}

/*
 * One entry into the guest and back.  Returns like an exit handler: 1 to
 * re-enter, 0 with kvm_run filled for userspace, or a negative errno.
 */
static int vcpu_enter_guest(struct vtx_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	u64 t_entry, t_exit;
	int r;

	preempt_disable();
	vtx_prepare_switch_to_guest(vcpu);
	local_irq_disable();
	if (need_resched() || signal_pending(current)) {
		local_irq_enable();
		preempt_enable();
		if (signal_pending(current)) {
			run->exit_reason = KVM_EXIT_INTR;
			return -EINTR;
		}
		return 1;	/* cond_resched() in the loop */
	}
	/*
	 * Preemption (or kernel_fpu_begin() in an interrupt) saved the
	 * guest's FPU registers into its fpstate and left others in the CPU:
	 * load them again before the guest runs.
	 */
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	vtx_update_host_cr(vcpu);
	vtx_load_guest_uret_msrs(vcpu);
	vtx_inject_pending_event(vcpu);
	if (guest_xcr0_live(vcpu))
		xsetbv(XCR_XFEATURE_ENABLED_MASK, vcpu->xcr0);
	if (native_read_cr2() != vcpu->cr2)
		native_write_cr2(vcpu->cr2);
	/*
	 * The guest's breakpoint addresses, when its DR7 enables any (the
	 * VMCS switches DR7 only).  After the exit the host's come back if
	 * it uses breakpoints; if not, its DR7 is 0 and DR0-DR3 are unused.
	 */
	if (unlikely(vcpu->guest_bp_enabled)) {
		set_debugreg(vcpu->dr[0], 0);
		set_debugreg(vcpu->dr[1], 1);
		set_debugreg(vcpu->dr[2], 2);
		set_debugreg(vcpu->dr[3], 3);
	}

	/* Without "save VMX-preemption timer value", a full tick each entry. */
	if (unlikely(vtx_caps.tick_value) &&
	    !(vtx_caps.exit & VM_EXIT_SAVE_VMX_PREEMPTION_TIMER))
		vtx_tick_reload();
	/* L1TF: after everything else the host does before the entry. */
	if (static_branch_unlikely(&vtx_l1d_should_flush))
		vtx_l1d_flush(vcpu);
	vcpu->last_cpu = smp_processor_id();
	vcpu->ran = true;
	vtx_prof(vcpu, ENTRY);
	t_entry = rdtsc();
	r = vtx_vmenter(vcpu, vcpu->launched);
	t_exit = rdtsc();
	vtx_prof(vcpu, EXIT);
	vcpu->cached = 0;

	vcpu->cr2 = native_read_cr2();
	/* A VM exit clears DEBUGCTL and sets DR7 to 0x400: restore the host's. */
	if (vcpu->host_debugctl)
		update_debugctlmsr(vcpu->host_debugctl);
	if (hw_breakpoint_active())
		hw_breakpoint_restore();
	if (guest_xcr0_live(vcpu))
		xsetbv(XCR_XFEATURE_ENABLED_MASK, vcpu->host_xcr0);
	if (likely(r == VTX_ENTER_EXIT)) {
		vcpu->exit_reason = vmcs_read32(VM_EXIT_REASON);
		vcpu->entry_failed = vcpu->exit_reason &
				     VMX_EXIT_REASONS_FAILED_VMENTRY;
		if (unlikely(vcpu->entry_failed))
			reset_launch_state(vcpu);
		else
			vcpu->launched = true;
		vtx_handle_exit_irqoff(vcpu);
	}
	local_irq_enable();
	preempt_enable();

	if (unlikely(r == VTX_ENTER_FAIL_VALID)) {
		u32 err = vmcs_read32(VM_INSTRUCTION_ERROR);

		pr_err_ratelimited("VM entry failed: VM-instruction error %u\n",
				   err);
		/*
		 * A refused entry leaves the event it was to inject valid:
		 * drop it, or every later entry fails the same way.
		 */
		vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, 0);
		if (vtx_dump_invalid_vmcs)
			vtx_dump_vmcs();
		run->exit_reason = KVM_EXIT_FAIL_ENTRY;
		run->fail_entry.hardware_entry_failure_reason = err;
		run->fail_entry.cpu = vcpu->last_cpu;
		return 0;
	}
	if (unlikely(r != VTX_ENTER_EXIT)) {
		pr_err_ratelimited("VM entry failed: no current VMCS\n");
		WRITE_ONCE(vcpu->vm->dead, true);
		return -EIO;
	}
	account_exit(vcpu, t_entry, t_exit);
	return vtx_handle_exit(vcpu);
}

static int vcpu_run(struct vtx_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	int r;

	run->flags = 0;
	/* No in-kernel local APIC: userspace's owns the TPR (as on KVM). */
	if (run->cr8 & ~X86_CR8_TPR) {
		r = -EINVAL;
		goto out;
	}
	vcpu->cr8 = run->cr8;
	if (vcpu->pio.kind != VTX_IO_NONE) {
		r = vtx_complete_userspace_io(vcpu);
		if (r <= 0)
			goto out;
	}
	vtx_prof(vcpu, COMPLETED);
	if (vtx_run_immediate_exit(run)) {
		r = -EINTR;
		goto out;
	}

	vcpu->host_debugctl = get_debugctlmsr();
	/* KVM_SET_SIGNAL_MASK: the signals blocked while in KVM_RUN. */
	if (vcpu->sigset_active)
		sigprocmask(SIG_SETMASK, &vcpu->sigset, &current->real_blocked);
	fpu_swap_kvm_fpstate(&vcpu->guest_fpu, true);
	vtx_prof(vcpu, FPU_IN);
	for (;;) {
		/* vcpu_enter_guest() looks for signals with IRQs off. */
		cond_resched();
		/* A machine check it could not take (KVM_X86_SET_MCE). */
		if (unlikely(vcpu->triple_fault)) {
			vcpu->triple_fault = false;
			run->exit_reason = KVM_EXIT_SHUTDOWN;
			r = 0;
			break;
		}
		r = vcpu_enter_guest(vcpu);
		vtx_prof(vcpu, HANDLED);
		if (r <= 0)
			break;
		if (unlikely(READ_ONCE(vcpu->vm->dead))) {
			r = -EIO;
			break;
		}
		/* Userspace asked to inject an interrupt: the window is open. */
		if (READ_ONCE(run->request_interrupt_window) &&
		    vtx_ready_for_interrupt(vcpu)) {
			run->exit_reason = KVM_EXIT_IRQ_WINDOW_OPEN;
			r = 0;
			break;
		}
	}
	fpu_swap_kvm_fpstate(&vcpu->guest_fpu, false);
	vtx_prof(vcpu, FPU_OUT);
	if (vcpu->sigset_active) {
		sigprocmask(SIG_SETMASK, &current->real_blocked, NULL);
		sigemptyset(&current->real_blocked);
	}
	/* Time in userspace is not exit-handling latency. */
	vcpu->exit_tsc = 0;
	if (!r) {
		vcpu->stats.user_exits++;
		announce_exit(vcpu);
	}

out:
	/*
	 * On every return, as KVM: QEMU's userspace local APIC takes
	 * apic_base and cr8 back after each KVM_RUN, even one that returned
	 * early (a zero apic_base would disable its APIC for good).
	 */
	run->if_flag = !!(vtx_rflags(vcpu) & X86_EFLAGS_IF);
	run->cr8 = vcpu->cr8;
	run->apic_base = vcpu->apic_base;
	run->ready_for_interrupt_injection = vtx_ready_for_interrupt(vcpu);
	return r;
}

/*
 * struct kvm_regs starts with the 16 GPRs as u64s, in this order (given as
 * enum vtx_reg); get_regs() and set_regs() index it as an array.
 */
static const u8 kvm_regs_order[VTX_NR_GPRS] = {
	VTX_RAX, VTX_RBX, VTX_RCX, VTX_RDX, VTX_RSI, VTX_RDI, VTX_RSP, VTX_RBP,
	VTX_R8, VTX_R9, VTX_R10, VTX_R11, VTX_R12, VTX_R13, VTX_R14, VTX_R15,
};

static_assert(offsetof(struct kvm_regs, rax) == 0 &&
	      offsetof(struct kvm_regs, r15) ==
	      (VTX_NR_GPRS - 1) * sizeof(u64));

static void get_regs(struct vtx_vcpu *vcpu, struct kvm_regs *regs)
{
	int i;

	for (i = 0; i < VTX_NR_GPRS; i++)
		((u64 *)regs)[i] = vcpu->regs[kvm_regs_order[i]];
	/* RSP lives in the VMCS. */
	regs->rsp = vmcs_readl(GUEST_RSP);
	regs->rip = vtx_rip(vcpu);
	regs->rflags = vtx_rflags(vcpu);
}

static void set_regs(struct vtx_vcpu *vcpu, const struct kvm_regs *regs)
{
	int i;

	for (i = 0; i < VTX_NR_GPRS; i++)
		vcpu->regs[kvm_regs_order[i]] = ((const u64 *)regs)[i];
	vmcs_writel(GUEST_RSP, regs->rsp);
	vtx_set_rip(vcpu, regs->rip);
	/* Bit 1 of RFLAGS always reads as 1, as KVM forces it. */
	vtx_set_rflags(vcpu, regs->rflags | X86_EFLAGS_FIXED);
	/* Registers set by userspace cancel an exception vtx queued. */
	vcpu->event.valid = false;
}

static void get_sregs(struct vtx_vcpu *vcpu, struct kvm_sregs *sregs)
{
	memset(sregs, 0, sizeof(*sregs));
	vtx_get_segment(&sregs->es, VTX_SREG_ES);
	vtx_get_segment(&sregs->cs, VTX_SREG_CS);
	vtx_get_segment(&sregs->ss, VTX_SREG_SS);
	vtx_get_segment(&sregs->ds, VTX_SREG_DS);
	vtx_get_segment(&sregs->fs, VTX_SREG_FS);
	vtx_get_segment(&sregs->gs, VTX_SREG_GS);
	vtx_get_segment(&sregs->ldt, VTX_SREG_LDTR);
	vtx_get_segment(&sregs->tr, VTX_SREG_TR);
	sregs->gdt.base = vmcs_readl(GUEST_GDTR_BASE);
	sregs->gdt.limit = vmcs_read32(GUEST_GDTR_LIMIT);
	sregs->idt.base = vmcs_readl(GUEST_IDTR_BASE);
	sregs->idt.limit = vmcs_read32(GUEST_IDTR_LIMIT);
	sregs->cr0 = vtx_get_cr0(vcpu);
	sregs->cr2 = vcpu->cr2;
	sregs->cr3 = vmcs_readl(GUEST_CR3);
	sregs->cr4 = vtx_get_cr4(vcpu);
	sregs->cr8 = vcpu->cr8;
	sregs->efer = vcpu->efer;
	sregs->apic_base = vcpu->apic_base;
}

/* KVM's consistency rules for KVM_SET_SREGS. */
static bool sregs_valid(struct vtx_vcpu *vcpu, const struct kvm_sregs *s)
{
	if ((s->efer & EFER_LME) && (s->cr0 & X86_CR0_PG)) {
		if (!(s->cr4 & X86_CR4_PAE) || !(s->efer & EFER_LMA))
			return false;
		if (s->cr3 >> VTX_GPA_BITS)
			return false;
	} else if ((s->efer & EFER_LMA) || s->cs.l) {
		return false;
	}
	if (s->cr0 >> 32)
		return false;
	if ((s->cr0 & X86_CR0_NW) && !(s->cr0 & X86_CR0_CD))
		return false;
	if ((s->cr0 & X86_CR0_PG) && !(s->cr0 & X86_CR0_PE))
		return false;
	if (s->efer & ~(u64)(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX))
		return false;
	return vtx_cr4_valid(vcpu, s->cr4);
}

static int set_sregs(struct vtx_vcpu *vcpu, const struct kvm_sregs *sregs)
{
	if (!sregs_valid(vcpu, sregs))
		return -EINVAL;

	vtx_set_segment(&sregs->es, VTX_SREG_ES);
	vtx_set_segment(&sregs->cs, VTX_SREG_CS);
	vcpu->cached &= ~BIT(VTX_CACHE_CS_AR);
	vtx_set_segment(&sregs->ss, VTX_SREG_SS);
	vtx_set_segment(&sregs->ds, VTX_SREG_DS);
	vtx_set_segment(&sregs->fs, VTX_SREG_FS);
	vtx_set_segment(&sregs->gs, VTX_SREG_GS);
	vtx_set_segment(&sregs->ldt, VTX_SREG_LDTR);
	vtx_set_segment(&sregs->tr, VTX_SREG_TR);
	vmcs_writel(GUEST_GDTR_BASE, sregs->gdt.base);
	vmcs_write32(GUEST_GDTR_LIMIT, sregs->gdt.limit);
	vmcs_writel(GUEST_IDTR_BASE, sregs->idt.base);
	vmcs_write32(GUEST_IDTR_LIMIT, sregs->idt.limit);
	vcpu->cr2 = sregs->cr2;
	vmcs_writel(GUEST_CR3, sregs->cr3);
	vcpu->cr8 = sregs->cr8;
	vcpu->apic_base = sregs->apic_base;
	vtx_set_efer(vcpu, sregs->efer);
	vtx_set_cr4(vcpu, sregs->cr4);
	vtx_set_cr0(vcpu, sregs->cr0);
	/* PAE paging outside long mode: the PDPTEs come from guest memory. */
	if ((sregs->cr0 & X86_CR0_PG) && (sregs->cr4 & X86_CR4_PAE) &&
	    !(sregs->efer & EFER_LMA))
		vtx_load_pdptrs(vcpu);
	vtx_flush_guest_tlb(vcpu);
	vcpu->event.valid = false;
	return 0;
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

	r = vtx_vcpu_state_ioctl(vcpu, ioctl, argp);
	if (r != -ENOIOCTLCMD)
		return r;

	switch (ioctl) {
	case KVM_RUN:
		if (arg)
			return -EINVAL;
		return vcpu_run(vcpu);
	case KVM_SET_SIGNAL_MASK:
		return set_signal_mask(vcpu, argp);
	case KVM_X86_SETUP_MCE:
		return vtx_ioctl_setup_mce(vcpu, argp);
	case KVM_X86_SET_MCE:
		return vtx_ioctl_set_mce(vcpu, argp);
	case KVM_GET_REGS: {
		struct kvm_regs regs;

		get_regs(vcpu, &regs);
		return copy_to_user(argp, &regs, sizeof(regs)) ? -EFAULT : 0;
	}
	case KVM_SET_REGS: {
		struct kvm_regs regs;

		if (copy_from_user(&regs, argp, sizeof(regs)))
			return -EFAULT;
		set_regs(vcpu, &regs);
		return 0;
	}
	case KVM_GET_SREGS: {
		struct kvm_sregs sregs;

		get_sregs(vcpu, &sregs);
		return copy_to_user(argp, &sregs, sizeof(sregs)) ? -EFAULT : 0;
	}
	case KVM_SET_SREGS: {
		struct kvm_sregs sregs;

		if (copy_from_user(&sregs, argp, sizeof(sregs)))
			return -EFAULT;
		return set_sregs(vcpu, &sregs);
	}
	default:
		/* KVM's answer for a vCPU ioctl it does not know. */
		return -EINVAL;
	}
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
	vtx_vmcs_clear(vcpu);
	vtx_free_vmcs(vcpu->vmcs);
	vtx_alloc_dec(VTX_ALLOC_VMCS);
	vtx_free_vpid(vcpu->vpid);
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

	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		return NULL;
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->cpu = -1;
	mutex_init(&vcpu->mutex);
	INIT_LIST_HEAD(&vcpu->loaded_link);
	preempt_notifier_init(&vcpu->preempt, &vtx_preempt_ops);
	vcpu->run = (struct kvm_run *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	vcpu->pio_data = (u8 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	vcpu->vmcs = vtx_alloc_vmcs();
	if (!vcpu->run || !vcpu->pio_data || !vcpu->vmcs ||
	    !fpu_alloc_guest_fpstate(&vcpu->guest_fpu)) {
		vtx_free_vmcs(vcpu->vmcs);
		free_page((unsigned long)vcpu->pio_data);
		free_page((unsigned long)vcpu->run);
		kfree(vcpu);
		return NULL;
	}
	vtx_alloc_inc(VTX_ALLOC_VCPU);
	vtx_alloc_inc(VTX_ALLOC_VMCS);
	vcpu->vpid = vtx_alloc_vpid();
	/* XGETBV is #UD unless the kernel set CR4.OSXSAVE. */
	if (boot_cpu_has(X86_FEATURE_OSXSAVE))
		vcpu->host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
	vcpu->xcr0 = XFEATURE_MASK_FP;
	vcpu->has_tsc_aux = vtx_caps.proc2 & SECONDARY_EXEC_ENABLE_RDTSCP;
	vcpu->regs[VTX_RDX] = RESET_RDX;
	vtx_msr_vcpu_init(vcpu);
	/* KVM's reset APIC base: enabled, BSP for vCPU 0. */
	vcpu->apic_base = APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE |
			  (id == 0 ? MSR_IA32_APICBASE_BSP : 0);
	return vcpu;
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
	int fd, cpu;

	if (id >= VTX_MAX_VCPU_ID)
		return -EINVAL;
	vcpu = vcpu_alloc(vm, id);
	if (!vcpu)
		return -ENOMEM;

	cpu = get_cpu();
	vtx_vcpu_load(vcpu, cpu);
	vtx_vmcs_init(vcpu);
	put_cpu();

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
	return fd;
}
