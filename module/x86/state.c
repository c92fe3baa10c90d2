// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - vCPU state ioctls beyond registers: FPU/XSAVE/XCRs, debug
 * registers, pending events, MP state and the TSC frequency.
 *
 * All run with vcpu->mutex held and the vCPU loaded, outside KVM_RUN, so
 * the guest FPU state is in its fpstate buffer, not in registers.
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>
#include <asm/fpu/xstate.h>
#include <asm/irq_vectors.h>
#include <asm/tsc.h>
#include "x86/x86.h"

/* KVM accepts a TSC rate within 250 ppm of the host's. */
#define VTX_TSC_TOLERANCE_PPM	250

static struct fxregs_state *guest_fxsave(struct vtx_vcpu *vcpu)
{
	return &vcpu->guest_fpu.fpstate->regs.fxsave;
}

static long get_fpu(struct vtx_vcpu *vcpu, struct kvm_fpu __user *argp)
{
	struct fxregs_state *fx = guest_fxsave(vcpu);
	struct kvm_fpu fpu;

	memset(&fpu, 0, sizeof(fpu));
	memcpy(fpu.fpr, fx->st_space, sizeof(fpu.fpr));
	fpu.fcw = fx->cwd;
	fpu.fsw = fx->swd;
	fpu.ftwx = fx->twd;
	fpu.last_opcode = fx->fop;
	fpu.last_ip = fx->rip;
	fpu.last_dp = fx->rdp;
	memcpy(fpu.xmm, fx->xmm_space, sizeof(fpu.xmm));
	fpu.mxcsr = fx->mxcsr;
	return copy_to_user(argp, &fpu, sizeof(fpu)) ? -EFAULT : 0;
}

/* MXCSR_MASK when FXSAVE leaves it 0 (SDM vol. 1, 11.6.6) */
#define VTX_MXCSR_MASK_DEFAULT	0xffbfu

/**
 * host_mxcsr_mask() - the MXCSR bits this processor accepts.
 *
 * What FXSAVE reports in MXCSR_MASK; XRSTOR and FXRSTOR fault on any
 * other bit.  Computed once (the kernel's mxcsr_feature_mask is not
 * exported to modules).
 *
 * Return: the mask.
 */
static u32 host_mxcsr_mask(void)
{
	static u32 mask;
	struct fxregs_state *fx;

	if (READ_ONCE(mask))
		return mask;
	fx = kzalloc(sizeof(*fx), GFP_KERNEL);
	if (!fx)
		return VTX_MXCSR_MASK_DEFAULT;
	/* Only stores the registers: the task's FPU state is untouched. */
	asm volatile("fxsave %0" : "=m" (*fx));
	WRITE_ONCE(mask, fx->mxcsr_mask ? fx->mxcsr_mask :
		   VTX_MXCSR_MASK_DEFAULT);
	kfree(fx);
	return mask;
}

/*
 * KVM_SET_FPU.  MXCSR is taken (KVM 6.1 ignores it) but, as KVM_SET_XSAVE
 * does, refused with reserved bits: the host's XRSTOR at the next KVM_RUN
 * would fault on them and the kernel WARN.
 */
static long set_fpu(struct vtx_vcpu *vcpu, struct kvm_fpu __user *argp)
{
	struct fxregs_state *fx = guest_fxsave(vcpu);
	struct kvm_fpu fpu;

	if (copy_from_user(&fpu, argp, sizeof(fpu)))
		return -EFAULT;
	if (fpu.mxcsr & ~host_mxcsr_mask())
		return -EINVAL;
	memcpy(fx->st_space, fpu.fpr, sizeof(fpu.fpr));
	fx->cwd = fpu.fcw;
	fx->swd = fpu.fsw;
	fx->twd = fpu.ftwx;
	fx->fop = fpu.last_opcode;
	fx->rip = fpu.last_ip;
	fx->rdp = fpu.last_dp;
	memcpy(fx->xmm_space, fpu.xmm, sizeof(fpu.xmm));
	fx->mxcsr = fpu.mxcsr;
	/* The legacy area is live only if the XSAVE header says so. */
	if (boot_cpu_has(X86_FEATURE_XSAVE))
		vcpu->guest_fpu.fpstate->regs.xsave.header.xfeatures |=
			XFEATURE_MASK_FPSSE;
	return 0;
}

/*
 * Bytes KVM_GET_XSAVE2 needs: the standard-format XSAVE area of what vtx
 * offers (vtx_supported_xcr0()), at least struct kvm_xsave.
 */
unsigned int vtx_xsave_size(void)
{
	if (!boot_cpu_has(X86_FEATURE_XSAVE))
		return sizeof(struct kvm_xsave);
	return max_t(u32, vtx_xstate_size(vtx_supported_xcr0(), false),
		     sizeof(struct kvm_xsave));
}

static long get_xsave(struct vtx_vcpu *vcpu, void __user *argp,
		      unsigned int size)
{
	void *buf = kzalloc(size, GFP_KERNEL);
	long r = 0;

	if (!buf)
		return -ENOMEM;
	/*
	 * Only what the guest's CPUID offers, plus x87/SSE, as KVM: never
	 * PKRU (vtx refuses it, and the area would hold the host's value).
	 */
	fpu_copy_guest_fpstate_to_uabi(&vcpu->guest_fpu, buf, size,
				       vtx_guest_supported_xcr0(vcpu) |
				       XFEATURE_MASK_FPSSE, 0);
	if (copy_to_user(argp, buf, size))
		r = -EFAULT;
	kfree(buf);
	return r;
}

static long set_xsave(struct vtx_vcpu *vcpu, void __user *argp)
{
	unsigned int size = vtx_xsave_size();
	u32 pkru = 0;
	void *buf;
	long r;

	buf = memdup_user(argp, size);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	/*
	 * XSTATE_BV may name only what vtx offers: no PKRU, no AMX tile
	 * state (EINVAL), so nothing vtx does not switch enters the guest's
	 * FPU buffer.  KVM checks against its supported XCR0 the same way.
	 */
	r = fpu_copy_uabi_to_guest_fpstate(&vcpu->guest_fpu, buf,
					   vtx_supported_xcr0() |
					   XFEATURE_MASK_FPSSE, &pkru);
	kfree(buf);
	return r;
}

/**
 * vtx_xcr0_valid() - the XSETBV rules for XCR0, against what the vCPU has.
 * @vcpu:	the vCPU
 * @val:	proposed XCR0
 *
 * As KVM's __kvm_set_xcr(): x87 always set; nothing outside the vCPU's
 * CPUID leaf 0DH (subleaf 0, EDX:EAX) and what vtx offers (x87 is always
 * allowed); AVX needs SSE; the AVX-512 triple together and with AVX; MPX's
 * pair together; AMX's pair together.  Every value accepted here is one
 * the host's XSETBV takes: vtx_supported_xcr0() is part of the host's
 * XCR0 and the pairs are whole.
 *
 * Return: true if XSETBV may load @val.
 */
bool vtx_xcr0_valid(struct vtx_vcpu *vcpu, u64 val)
{
	u64 valid = vtx_guest_supported_xcr0(vcpu) | XFEATURE_MASK_FP;
	u64 avx512 = XFEATURE_MASK_OPMASK | XFEATURE_MASK_ZMM_Hi256 |
		     XFEATURE_MASK_Hi16_ZMM;
	u64 xtile = XFEATURE_MASK_XTILE_CFG | XFEATURE_MASK_XTILE_DATA;

	if (!(val & XFEATURE_MASK_FP) || (val & ~valid))
		return false;
	if ((val & XFEATURE_MASK_YMM) && !(val & XFEATURE_MASK_SSE))
		return false;
	if ((val & avx512) &&
	    ((val & avx512) != avx512 || !(val & XFEATURE_MASK_YMM)))
		return false;
	if (!(val & XFEATURE_MASK_BNDREGS) != !(val & XFEATURE_MASK_BNDCSR))
		return false;
	if ((val & xtile) && (val & xtile) != xtile)
		return false;
	return true;
}

static long get_xcrs(struct vtx_vcpu *vcpu, struct kvm_xcrs __user *argp)
{
	struct kvm_xcrs xcrs;

	memset(&xcrs, 0, sizeof(xcrs));
	if (boot_cpu_has(X86_FEATURE_XSAVE)) {
		xcrs.nr_xcrs = 1;
		xcrs.xcrs[0].xcr = XCR_XFEATURE_ENABLED_MASK;
		xcrs.xcrs[0].value = vcpu->xcr0;
	}
	return copy_to_user(argp, &xcrs, sizeof(xcrs)) ? -EFAULT : 0;
}

static long set_xcrs(struct vtx_vcpu *vcpu, struct kvm_xcrs __user *argp)
{
	struct kvm_xcrs xcrs;
	u32 i;

	if (copy_from_user(&xcrs, argp, sizeof(xcrs)))
		return -EFAULT;
	if (!boot_cpu_has(X86_FEATURE_XSAVE))
		return -EINVAL;
	if (xcrs.nr_xcrs > KVM_MAX_XCRS || xcrs.flags)
		return -EINVAL;
	for (i = 0; i < xcrs.nr_xcrs; i++) {
		if (xcrs.xcrs[i].xcr != XCR_XFEATURE_ENABLED_MASK ||
		    !vtx_xcr0_valid(vcpu, xcrs.xcrs[i].value))
			return -EINVAL;
		vcpu->xcr0 = xcrs.xcrs[i].value;
	}
	return 0;
}

static long get_debugregs(struct vtx_vcpu *vcpu,
			  struct kvm_debugregs __user *argp)
{
	struct kvm_debugregs dbg;

	memset(&dbg, 0, sizeof(dbg));
	memcpy(dbg.db, vcpu->dr, sizeof(dbg.db));
	dbg.dr6 = vcpu->dr6;
	dbg.dr7 = vtx_x86_ops.get_dr7(vcpu);
	return copy_to_user(argp, &dbg, sizeof(dbg)) ? -EFAULT : 0;
}

static long set_debugregs(struct vtx_vcpu *vcpu,
			  struct kvm_debugregs __user *argp)
{
	struct kvm_debugregs dbg;

	if (copy_from_user(&dbg, argp, sizeof(dbg)))
		return -EFAULT;
	if (dbg.flags || (dbg.dr6 >> 32) || (dbg.dr7 >> 32))
		return -EINVAL;
	memcpy(vcpu->dr, dbg.db, sizeof(vcpu->dr));
	vcpu->dr6 = dbg.dr6 | DR6_FIXED_1;
	vtx_x86_ops.set_dr7(vcpu, dbg.dr7 | DR7_FIXED_1);
	return 0;
}

static int event_type(struct vtx_vcpu *vcpu)
{
	return vcpu->event.valid ? vcpu->event.type : -1;
}

/**
 * vtx_get_vcpu_events() - KVM_GET_VCPU_EVENTS into a kernel buffer (also
 * for KVM_SYNC_X86_EVENTS).
 * @vcpu:	the loaded vCPU
 * @ep:		filled
 */
void vtx_get_vcpu_events(struct vtx_vcpu *vcpu, struct kvm_vcpu_events *ep)
{
	struct vtx_pending_event *ev = &vcpu->event;
	int type = event_type(vcpu);
	struct kvm_vcpu_events e;

	memset(&e, 0, sizeof(e));
	if (type == VTX_EVENT_EXCEPTION || type == VTX_EVENT_SOFT_EXC) {
		e.exception.injected = 1;
		e.exception.nr = ev->vector;
		e.exception.has_error_code = ev->has_error;
		e.exception.error_code = ev->error_code;
	}
	if (type == VTX_EVENT_EXTINT || type == VTX_EVENT_SOFT_INT) {
		e.interrupt.injected = 1;
		e.interrupt.nr = ev->vector;
		e.interrupt.soft = type == VTX_EVENT_SOFT_INT;
	} else if (vcpu->irq_pending) {
		e.interrupt.injected = 1;
		e.interrupt.nr = vcpu->irq_vector;
	}
	/* VTX_SHADOW_INT_* are KVM's KVM_X86_SHADOW_INT_* */
	e.interrupt.shadow = vtx_x86_ops.get_interrupt_shadow(vcpu);
	e.nmi.injected = type == VTX_EVENT_NMI;
	/* as KVM: a flag, though two NMIs may wait */
	e.nmi.pending = !!vcpu->nmi_pending;
	e.nmi.masked = vtx_x86_ops.get_nmi_mask(vcpu);
	e.sipi_vector = vcpu->sipi_vector;
	/* an SMI that arrived is pending (KVM's process_smi()) */
	if (vtx_check_request(VTX_REQ_SMI, vcpu))
		vcpu->smi_pending = true;
	e.smi.smm = vcpu->smm;
	e.smi.pending = vcpu->smi_pending;
	e.smi.smm_inside_nmi = vcpu->smm_inside_nmi;
	e.smi.latched_init = vcpu->apic && vtx_apic_latched_init(vcpu);
	e.flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW |
		  KVM_VCPUEVENT_VALID_SMM;
	*ep = e;
}

static long get_events(struct vtx_vcpu *vcpu,
		       struct kvm_vcpu_events __user *argp)
{
	struct kvm_vcpu_events e;

	vtx_get_vcpu_events(vcpu, &e);
	return copy_to_user(argp, &e, sizeof(e)) ? -EFAULT : 0;
}

/**
 * vtx_set_vcpu_events() - KVM_SET_VCPU_EVENTS from a kernel copy (also
 * for KVM_SYNC_X86_EVENTS).
 * @vcpu:	the loaded vCPU
 * @ep:		the events, already copied out of user memory
 *
 * Return: 0 or -EINVAL.
 */
int vtx_set_vcpu_events(struct vtx_vcpu *vcpu,
			const struct kvm_vcpu_events *ep)
{
	struct kvm_vcpu_events e = *ep;

	if (e.flags & ~(KVM_VCPUEVENT_VALID_NMI_PENDING |
			KVM_VCPUEVENT_VALID_SIPI_VECTOR |
			KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_SMM))
		return -EINVAL;
	if ((e.exception.injected || e.exception.pending) &&
	    (e.exception.nr > 31 || e.exception.nr == NMI_VECTOR))
		return -EINVAL;
	/* INITs are latched in SMM: not while one is being taken (KVM) */
	if ((e.flags & KVM_VCPUEVENT_VALID_SMM) &&
	    (e.smi.smm || e.smi.pending) && vcpu->apic &&
	    vcpu->apic->mp_state == KVM_MP_STATE_INIT_RECEIVED)
		return -EINVAL;

	vcpu->event.valid = false;
	vcpu->irq_pending = false;
	if (e.exception.injected || e.exception.pending) {
		vtx_queue_exception(vcpu, e.exception.nr,
				    e.exception.has_error_code,
				    e.exception.error_code);
	} else if (e.nmi.injected) {
		vcpu->event = (struct vtx_pending_event) {
			.valid = true, .type = VTX_EVENT_NMI,
			.vector = NMI_VECTOR,
		};
	}
	/* A soft interrupt (INTn) is dropped: the guest re-executes it. */
	if (e.interrupt.injected && !e.interrupt.soft) {
		vcpu->irq_pending = true;
		vcpu->irq_vector = e.interrupt.nr;
	}
	if (e.flags & KVM_VCPUEVENT_VALID_NMI_PENDING)
		vcpu->nmi_pending = min_t(u8, e.nmi.pending, 2);
	if (e.flags & KVM_VCPUEVENT_VALID_SIPI_VECTOR)
		vcpu->sipi_vector = e.sipi_vector;

	if (e.flags & KVM_VCPUEVENT_VALID_SHADOW) {
		/* MOV SS wins over STI, as one instruction has only one. */
		if (e.interrupt.shadow & VTX_SHADOW_INT_MOV_SS)
			vtx_x86_ops.set_interrupt_shadow(vcpu,
							 VTX_SHADOW_INT_MOV_SS);
		else
			vtx_x86_ops.set_interrupt_shadow(vcpu,
				e.interrupt.shadow & VTX_SHADOW_INT_STI);
	}
	vtx_x86_ops.set_nmi_mask(vcpu, e.nmi.masked);

	if (e.flags & KVM_VCPUEVENT_VALID_SMM) {
		if (vcpu->smm != !!e.smi.smm)
			vtx_smm_changed(vcpu, e.smi.smm);
		vcpu->smi_pending = e.smi.pending;
		if (e.smi.smm)
			vcpu->smm_inside_nmi = e.smi.smm_inside_nmi;
		if (vcpu->apic)
			vtx_apic_set_latched_init(vcpu, e.smi.latched_init);
	}
	return 0;
}

static long set_events(struct vtx_vcpu *vcpu,
		       struct kvm_vcpu_events __user *argp)
{
	struct kvm_vcpu_events e;

	if (copy_from_user(&e, argp, sizeof(e)))
		return -EFAULT;
	return vtx_set_vcpu_events(vcpu, &e);
}

static long get_mp_state(struct vtx_vcpu *vcpu,
			 struct kvm_mp_state __user *argp)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };

	/* Without an in-kernel LAPIC a vCPU is always runnable (as KVM). */
	if (vcpu->apic)
		vtx_apic_get_mp_state(vcpu, &mp);
	return copy_to_user(argp, &mp, sizeof(mp)) ? -EFAULT : 0;
}

static long set_mp_state(struct vtx_vcpu *vcpu,
			 struct kvm_mp_state __user *argp)
{
	struct kvm_mp_state mp;

	if (copy_from_user(&mp, argp, sizeof(mp)))
		return -EFAULT;
	if (vcpu->apic)
		return vtx_apic_set_mp_state(vcpu, &mp);
	return mp.mp_state == KVM_MP_STATE_RUNNABLE ? 0 : -EINVAL;
}

/* KVM_GET_LAPIC, KVM_SET_LAPIC: EINVAL without an in-kernel APIC (KVM). */
static long lapic_state(struct vtx_vcpu *vcpu,
			struct kvm_lapic_state __user *argp, bool set)
{
	struct kvm_lapic_state *s;
	long r;

	if (!vcpu->apic)
		return -EINVAL;
	if (set) {
		s = memdup_user(argp, sizeof(*s));
		if (IS_ERR(s))
			return PTR_ERR(s);
		r = vtx_apic_set_lapic(vcpu, s);
	} else {
		s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
		if (!s)
			return -ENOMEM;
		r = vtx_apic_get_lapic(vcpu, s);
		if (!r && copy_to_user(argp, s, sizeof(*s)))
			r = -EFAULT;
	}
	kfree(s);
	return r;
}

/**
 * vtx_set_tsc_khz() - KVM_SET_TSC_KHZ, on a vCPU fd or (KVM 6.1's
 * KVM_CAP_VM_TSC_CONTROL) on the VM fd for the vCPUs created after.
 * @arg:	the rate in kHz, 32 bits as KVM reads it; 0: the host's
 *
 * vtx does not scale the TSC (nor does KVM where the processor lacks VMX
 * TSC scaling, when it reports neither KVM_CAP_TSC_CONTROL nor
 * KVM_CAP_VM_TSC_CONTROL): every vCPU runs at the host's rate, so only
 * that rate, within KVM's tolerance, is accepted, and the VM's default
 * needs no storing.
 *
 * Return: 0, or -EINVAL for another rate.
 */
long vtx_set_tsc_khz(unsigned long arg)
{
	u32 khz = arg;
	unsigned long slack = (unsigned long)tsc_khz * VTX_TSC_TOLERANCE_PPM /
			      1000000;
	unsigned long diff = khz > tsc_khz ? khz - tsc_khz : tsc_khz - khz;

	if (!khz || diff <= slack)
		return 0;
	return -EINVAL;
}

static long queue_interrupt(struct vtx_vcpu *vcpu,
			    struct kvm_interrupt __user *argp)
{
	struct kvm_interrupt irq;

	if (copy_from_user(&irq, argp, sizeof(irq)))
		return -EFAULT;
	if (irq.irq >= KVM_NR_INTERRUPTS)
		return -EINVAL;
	/* As KVM: the 8259 of KVM_CREATE_IRQCHIP is the kernel's own. */
	if (vcpu->vm->irqchip_mode == VTX_IRQCHIP_KERNEL)
		return -ENXIO;
	if (vcpu->apic)
		return vtx_apic_set_ext_interrupt(vcpu, irq.irq);
	vcpu->irq_pending = true;
	vcpu->irq_vector = irq.irq;
	return 0;
}

/*
 * As KVM: two NMIs may wait, but only one while NMIs are blocked or one is
 * being injected (the second would be lost on real hardware too).
 */
void vtx_queue_nmi(struct vtx_vcpu *vcpu)
{
	u8 limit = 2;

	if (vtx_x86_ops.get_nmi_mask(vcpu) ||
	    event_type(vcpu) == VTX_EVENT_NMI)
		limit = 1;
	vcpu->nmi_pending = min_t(u8, vcpu->nmi_pending + 1, limit);
}

/**
 * vtx_vcpu_state_ioctl() - the state ioctls of a vCPU.
 * @vcpu:	the loaded vCPU, vcpu->mutex held
 * @ioctl:	the request
 * @argp:	its argument
 *
 * Return: the ioctl's result, or -ENOIOCTLCMD when @ioctl is not one of
 * these.
 */
long vtx_vcpu_state_ioctl(struct vtx_vcpu *vcpu, unsigned int ioctl,
			  void __user *argp)
{
	switch (ioctl) {
	case KVM_GET_FPU:
		return get_fpu(vcpu, argp);
	case KVM_SET_FPU:
		return set_fpu(vcpu, argp);
	case KVM_GET_XSAVE:
		return get_xsave(vcpu, argp, sizeof(struct kvm_xsave));
	case KVM_GET_XSAVE2:
		return get_xsave(vcpu, argp, vtx_xsave_size());
	case KVM_SET_XSAVE:
		return set_xsave(vcpu, argp);
	case KVM_GET_XCRS:
		return get_xcrs(vcpu, argp);
	case KVM_SET_XCRS:
		return set_xcrs(vcpu, argp);
	case KVM_GET_DEBUGREGS:
		return get_debugregs(vcpu, argp);
	case KVM_SET_DEBUGREGS:
		return set_debugregs(vcpu, argp);
	case KVM_GET_VCPU_EVENTS:
		return get_events(vcpu, argp);
	case KVM_SET_VCPU_EVENTS:
		return set_events(vcpu, argp);
	case KVM_GET_LAPIC:
		return lapic_state(vcpu, argp, false);
	case KVM_SET_LAPIC:
		return lapic_state(vcpu, argp, true);
	case KVM_GET_MP_STATE:
		return get_mp_state(vcpu, argp);
	case KVM_SET_MP_STATE:
		return set_mp_state(vcpu, argp);
	case KVM_GET_TSC_KHZ:
		return tsc_khz;
	case KVM_SET_TSC_KHZ:
		return vtx_set_tsc_khz((unsigned long)argp);
	case KVM_INTERRUPT:
		return queue_interrupt(vcpu, argp);
	case KVM_NMI:
		vtx_queue_nmi(vcpu);
		return 0;
	case KVM_SMI:
		/* as KVM: the SMI waits for the vCPU's next entry */
		vtx_make_request(VTX_REQ_SMI, vcpu);
		return 0;
	case KVM_SET_CPUID2:
		return vtx_ioctl_set_cpuid2(vcpu, argp);
	case KVM_GET_CPUID2:
		return vtx_ioctl_get_cpuid2(vcpu, argp);
	case KVM_GET_MSRS:
		return vtx_ioctl_msrs(vcpu, argp, false);
	case KVM_SET_MSRS:
		return vtx_ioctl_msrs(vcpu, argp, true);
	}
	return -ENOIOCTLCMD;
}
