// SPDX-License-Identifier: GPL-2.0
/*
 * vtx-ioctl-fuzz: the ioctls of a vCPU fd that read or change its state.
 */
#include <signal.h>
#include <string.h>

#include "fz_ioctl.h"

static void set_regs(struct session *s, int fd)
{
	bool w;
	void *p;
	struct kvm_regs *rg;

	p = arg_ptr(s, sizeof(*rg), &w);
	if (w)
		rnd_regs(s, p);
	fz_ioctl(s, fd, KVM_SET_REGS, (unsigned long)p, "KVM_SET_REGS");
}

static void get_regs(struct session *s, int fd)
{
	bool w;
	void *p;

	p = arg_ptr(s, sizeof(struct kvm_regs), &w);
	fz_ioctl(s, fd, KVM_GET_REGS, (unsigned long)p, "KVM_GET_REGS");
}

static void set_sregs(struct session *s, int fd)
{
	bool w;
	void *p;

	p = arg_ptr(s, sizeof(struct kvm_sregs), &w);
	if (w)
		rnd_sregs(s, p);
	fz_ioctl(s, fd, KVM_SET_SREGS, (unsigned long)p, "KVM_SET_SREGS");
}

static void get_sregs(struct session *s, int fd)
{
	bool w;
	void *p;

	p = arg_ptr(s, sizeof(struct kvm_sregs), &w);
	fz_ioctl(s, fd, KVM_GET_SREGS, (unsigned long)p, "KVM_GET_SREGS");
}

static void set_fpu(struct session *s, int fd)
{
	bool w;
	void *p;
	struct kvm_fpu *f;

	p = arg_ptr(s, sizeof(*f), &w);
	if (w) {
		f = p;
		rnd_fill(&s->r, f, sizeof(*f));
		/*
		 * Known (set_fpu_mxcsr): vtx stores any MXCSR and the
		 * host's XRSTOR faults on it at the next KVM_RUN.
		 */
		if (opt_avoid || chance(&s->r, 1, 2))
			f->mxcsr &= 0xffbf;
	}
	fz_ioctl(s, fd, KVM_SET_FPU, (unsigned long)p, "KVM_SET_FPU");
}

static void get_fpu(struct session *s, int fd)
{
	bool w;
	void *p;

	p = arg_ptr(s, sizeof(struct kvm_fpu), &w);
	fz_ioctl(s, fd, KVM_GET_FPU, (unsigned long)p, "KVM_GET_FPU");
}

static void set_xsave(struct session *s, int fd)
{
	bool w;
	void *p;
	size_t sz = sizeof(struct kvm_xsave) + 8192;
	struct kvm_xsave *x;

	p = arg_ptr(s, sz, &w);
	if (w) {
		x = p;
		/* start from the real state, then damage it */
		if (chance(&s->r, 1, 2) &&
		    xioctl(fd, KVM_GET_XSAVE, (unsigned long)x) == 0) {
			n_ioctls++;
			if (chance(&s->r, 1, 2))
				((uint64_t *)x->region)[64] =
					rnd(&s->r, 8);	/* XSTATE_BV */
			if (chance(&s->r, 1, 3))
				((uint64_t *)x->region)[65] =
					rnd_interesting(&s->r);
			if (chance(&s->r, 1, 3))
				x->region[6] = rnd_interesting(&s->r);
			if (chance(&s->r, 1, 4))
				rnd_fill(&s->r, x->region,
					 rnd(&s->r, 160));
		} else {
			rnd_fill(&s->r, x, sizeof(*x));
		}
	}
	fz_ioctl(s, fd, KVM_SET_XSAVE, (unsigned long)p, "KVM_SET_XSAVE");
}

static void get_xsave(struct session *s, int fd)
{
	bool w;
	void *p;

	p = arg_ptr(s, sizeof(struct kvm_xsave) + 8192, &w);
	fz_ioctl(s, fd, chance(&s->r, 1, 2) ? KVM_GET_XSAVE :
		 KVM_GET_XSAVE2, (unsigned long)p, "KVM_GET_XSAVE*");
}

static void set_xcrs(struct session *s, int fd)
{
	bool w;
	void *p;

	struct kvm_xcrs *x;
	unsigned int i;

	p = arg_ptr(s, sizeof(*x), &w);
	if (w) {
		x = p;
		memset(x, 0, sizeof(*x));
		x->nr_xcrs = chance(&s->r, 3, 4) ? rnd(&s->r, 3) :
			     rnd_interesting(&s->r);
		x->flags = chance(&s->r, 7, 8) ? 0 : rng_next(&s->r);
		for (i = 0; i < KVM_MAX_XCRS; i++) {
			static const uint64_t xv[] = {
				1, 3, 7, 0x1f, 0x207, 0xe7, 0x5, 0,
			};
			x->xcrs[i].xcr = chance(&s->r, 3, 4) ? 0 :
					 rnd(&s->r, 4);
			x->xcrs[i].value = chance(&s->r, 3, 4) ?
				xv[rnd(&s->r, ARRAY_SIZE(xv))] :
				rnd_interesting(&s->r);
		}
	}
	fz_ioctl(s, fd, KVM_SET_XCRS, (unsigned long)p, "KVM_SET_XCRS");
}

static void get_xcrs(struct session *s, int fd)
{
	bool w;
	void *p;

	p = arg_ptr(s, sizeof(struct kvm_xcrs), &w);
	fz_ioctl(s, fd, KVM_GET_XCRS, (unsigned long)p, "KVM_GET_XCRS");
}

static void debugregs(struct session *s, int fd)
{
	bool w;
	void *p;
	struct kvm_debugregs *d;

	p = arg_ptr(s, sizeof(*d), &w);
	if (w) {
		d = p;
		rnd_fill(&s->r, d, sizeof(*d));
		if (chance(&s->r, 3, 4)) {
			d->flags = 0;
			d->dr6 &= 0xffffffff;
			d->dr7 &= 0xffffffff;
		}
	}
	fz_ioctl(s, fd, chance(&s->r, 2, 3) ? KVM_SET_DEBUGREGS :
		 KVM_GET_DEBUGREGS, (unsigned long)p, "KVM_*_DEBUGREGS");
}

static void set_events(struct session *s, int fd)
{
	bool w;
	void *p;

	p = arg_ptr(s, sizeof(struct kvm_vcpu_events), &w);
	if (w)
		rnd_events(s, p);
	fz_ioctl(s, fd, KVM_SET_VCPU_EVENTS, (unsigned long)p,
		 "KVM_SET_VCPU_EVENTS");
}

static void get_events(struct session *s, int fd)
{
	bool w;
	void *p;

	p = arg_ptr(s, sizeof(struct kvm_vcpu_events), &w);
	fz_ioctl(s, fd, KVM_GET_VCPU_EVENTS, (unsigned long)p,
		 "KVM_GET_VCPU_EVENTS");
}

static void mp_state(struct session *s, int fd)
{
	bool w;
	void *p;

	p = arg_ptr(s, sizeof(struct kvm_mp_state), &w);
	if (w)
		*(uint32_t *)p = chance(&s->r, 1, 2) ? 0 : rnd(&s->r, 12);
	fz_ioctl(s, fd, chance(&s->r, 1, 2) ? KVM_SET_MP_STATE :
		 KVM_GET_MP_STATE, (unsigned long)p, "KVM_*_MP_STATE");
}

static void tsc_khz(struct session *s, int fd)
{
	long r;

	r = fz_ioctl(s, fd, KVM_GET_TSC_KHZ, 0, "KVM_GET_TSC_KHZ");
	if (r > 0)
		host_tsc_khz = r;
	fz_ioctl(s, fd, KVM_SET_TSC_KHZ, chance(&s->r, 1, 2) ?
		 host_tsc_khz + rnd(&s->r, 2000) - 1000 :
		 rnd_interesting(&s->r), "KVM_SET_TSC_KHZ");
}

static void interrupt(struct session *s, int fd)
{
	bool w;
	void *p;

	p = arg_ptr(s, 4, &w);
	if (w)
		*(uint32_t *)p = chance(&s->r, 3, 4) ? rnd(&s->r, 260) :
				 rnd_interesting(&s->r);
	fz_ioctl(s, fd, KVM_INTERRUPT, (unsigned long)p, "KVM_INTERRUPT");
}

static void nmi(struct session *s, int fd)
{
	fz_ioctl(s, fd, KVM_NMI, 0, "KVM_NMI");
}

static void set_cpuid2(struct session *s, int fd)
{
	bool w;
	void *p;
	struct kvm_cpuid2 *c;
	uint32_t n = chance(&s->r, 7, 8) ? rnd(&s->r, 64) :
		     (chance(&s->r, 1, 2) ? 255 + rnd(&s->r, 3) :
		      rnd_interesting(&s->r));
	size_t sz = sizeof(*c) + (n <= 300 && n > 100 ? n : 100) *
		    sizeof(struct kvm_cpuid_entry2);

	p = arg_ptr(s, sz, &w);
	if (w && sz <= SCRATCH_SIZE) {
		c = p;
		if (chance(&s->r, 1, 3) && pick_dev(s) >= 0) {
			c->nent = 100;
			n_ioctls++;
			if (xioctl(pick_dev(s), KVM_GET_SUPPORTED_CPUID,
				   (unsigned long)c) == 0 &&
			    c->nent && chance(&s->r, 1, 2))
				rnd_fill(&s->r, &c->entries[rnd(&s->r,
					 c->nent)], 8);
		} else {
			rnd_cpuid(s, c, n <= 300 ? n : 2);
			c->nent = n;
		}
	}
	fz_ioctl(s, fd, KVM_SET_CPUID2, (unsigned long)p, "KVM_SET_CPUID2");
}

static void get_cpuid2(struct session *s, int fd)
{
	bool w;
	void *p;
	struct kvm_cpuid2 *c;
	uint32_t n = rnd(&s->r, 80);

	p = arg_ptr(s, sizeof(*c) + n * sizeof(c->entries[0]), &w);
	if (w) {
		c = p;
		c->nent = chance(&s->r, 3, 4) ? n : rnd_interesting(&s->r);
	}
	fz_ioctl(s, fd, KVM_GET_CPUID2, (unsigned long)p, "KVM_GET_CPUID2");
}

static void msrs(struct session *s, int fd)
{
	bool w;
	void *p;
	struct kvm_msrs *m;
	uint32_t n = chance(&s->r, 7, 8) ? rnd(&s->r, 40) :
		     (chance(&s->r, 1, 2) ? 4095 + rnd(&s->r, 3) :
		      rnd_interesting(&s->r));
	uint32_t i, fill = n <= 4000 ? n : 2;
	bool set = chance(&s->r, 1, 2);

	p = arg_ptr(s, sizeof(*m) + fill * 16, &w);
	if (w && sizeof(*m) + fill * 16 <= SCRATCH_SIZE) {
		m = p;
		m->nmsrs = n;
		m->pad = chance(&s->r, 7, 8) ? 0 : rng_next(&s->r);
		for (i = 0; i < fill; i++) {
			m->entries[i].index = rnd_msr(s);
			m->entries[i].reserved = 0;
			m->entries[i].data =
				rnd_msr_val(s, m->entries[i].index);
		}
	}
	fz_ioctl(s, fd, set ? KVM_SET_MSRS : KVM_GET_MSRS,
		 (unsigned long)p, set ? "KVM_SET_MSRS" : "KVM_GET_MSRS");
}

static void signal_mask(struct session *s, int fd)
{
	bool w;
	void *p;
	struct kvm_signal_mask *m;

	if (chance(&s->r, 1, 3)) {
		fz_ioctl(s, fd, KVM_SET_SIGNAL_MASK, 0,
			 "KVM_SET_SIGNAL_MASK(NULL)");
		return;
	}
	p = arg_ptr(s, sizeof(*m) + 8, &w);
	if (w) {
		uint64_t set = rng_next(&s->r);

		m = p;
		m->len = chance(&s->r, 3, 4) ? 8 : rnd_interesting(&s->r);
		/* never block the run timer's signal */
		set &= ~(1ULL << (SIGALRM - 1));
		memcpy(m->sigset, &set, 8);
	}
	fz_ioctl(s, fd, KVM_SET_SIGNAL_MASK, (unsigned long)p,
		 "KVM_SET_SIGNAL_MASK");
}

static void other_vcpu_ioctl(struct session *s, int fd)
{
	bool w;
	void *p;
	static const struct { unsigned long req; const char *n; } vo[] = {
		{ KVM_TRANSLATE, "KVM_TRANSLATE" },
		{ KVM_GET_LAPIC, "KVM_GET_LAPIC" },
		{ KVM_SET_LAPIC, "KVM_SET_LAPIC" },
		{ KVM_SET_GUEST_DEBUG, "KVM_SET_GUEST_DEBUG" },
		{ KVM_SMI, "KVM_SMI" },
		{ KVM_X86_SETUP_MCE, "KVM_X86_SETUP_MCE" },
		{ KVM_ENABLE_CAP, "KVM_ENABLE_CAP(vcpu)" },
		{ KVM_KVMCLOCK_CTRL, "KVM_KVMCLOCK_CTRL" },
		{ KVM_GET_ONE_REG, "KVM_GET_ONE_REG" },
		{ KVM_SET_CPUID, "KVM_SET_CPUID" },
		{ KVM_GET_SREGS2, "KVM_GET_SREGS2" },
		{ KVM_TPR_ACCESS_REPORTING, "TPR_ACCESS_REPORTING" },
		{ KVM_SET_VAPIC_ADDR, "KVM_SET_VAPIC_ADDR" },
		{ KVM_GET_SUPPORTED_HV_CPUID, "GET_SUPPORTED_HV_CPUID" },
	};
	int k;

	if (opt_vtx_subset)
		return;
	k = rnd(&s->r, ARRAY_SIZE(vo));
	p = arg_ptr(s, 2048, &w);
	if (w)
		rnd_fill(&s->r, p, 2048);
	fz_ioctl(s, fd, vo[k].req, (unsigned long)p, vo[k].n);
}

/*
 * One vCPU-state ioctl, drawn from this table (rows repeat to weigh them:
 * a seed's call sequence depends on the order and the count).
 */
static void (*const vcpu_state_ops[])(struct session *s, int fd) = {
	set_regs, get_regs, set_sregs, set_sregs, get_sregs,
	set_fpu, get_fpu, set_xsave, get_xsave, set_xcrs,
	get_xcrs, debugregs, set_events, set_events, get_events,
	mp_state, tsc_khz, interrupt, nmi, set_cpuid2,
	set_cpuid2, get_cpuid2, msrs, msrs, msrs,
	signal_mask, other_vcpu_ioctl, other_vcpu_ioctl, other_vcpu_ioctl,
	other_vcpu_ioctl, irq_vcpu_ioctl, irq_vcpu_ioctl, irq_vcpu_ioctl,
	irq_vcpu_ioctl,
};

void vcpu_state_ioctl(struct session *s, int fd)
{
	vcpu_state_ops[rnd(&s->r, ARRAY_SIZE(vcpu_state_ops))](s, fd);
}

void vcpu_ioctl(struct session *s)
{
	int i = pick_vcpu(s);

	if (i < 0) {
		create_vcpu(s);
		return;
	}
	vcpu_state_ioctl(s, s->vcpus[i].fd);
}
