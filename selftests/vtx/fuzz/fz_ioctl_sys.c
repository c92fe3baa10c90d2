// SPDX-License-Identifier: GPL-2.0
/*
 * vtx-ioctl-fuzz: the ioctls of the system fd, and random ioctl numbers on
 * any fd.
 */
#include <sys/ioctl.h>

#include "fz_ioctl.h"

static void api_version(struct session *s, int d)
{
	fz_ioctl(s, d, KVM_GET_API_VERSION,
		 chance(&s->r, 3, 4) ? 0 : rnd_interesting(&s->r),
		 "KVM_GET_API_VERSION");
}

static void check_extension(struct session *s, int d)
{
	fz_ioctl(s, d, KVM_CHECK_EXTENSION,
		 chance(&s->r, 3, 4) ? rnd(&s->r, 260) :
		 rnd_interesting(&s->r), "KVM_CHECK_EXTENSION");
}

static void vcpu_mmap_size(struct session *s, int d)
{
	fz_ioctl(s, d, KVM_GET_VCPU_MMAP_SIZE,
		 chance(&s->r, 3, 4) ? 0 : rnd_interesting(&s->r),
		 "KVM_GET_VCPU_MMAP_SIZE");
}

static void supported_cpuid(struct session *s, int d)
{
	bool w;
	void *p;
	unsigned int n;
	struct kvm_cpuid2 *c;

	n = chance(&s->r, 3, 4) ? rnd(&s->r, 300) :
	    rnd_interesting(&s->r);
	p = arg_ptr(s, sizeof(*c) + (n < 300 ? n : 4) *
		    sizeof(c->entries[0]), &w);
	if (w) {
		c = p;
		c->nent = n;
	}
	fz_ioctl(s, d, chance(&s->r, 4, 5) ? KVM_GET_SUPPORTED_CPUID :
		 KVM_GET_EMULATED_CPUID, (unsigned long)p,
		 "KVM_GET_SUPPORTED_CPUID");
}

static void msr_index_list(struct session *s, int d)
{
	bool w;
	void *p;
	unsigned int n;
	struct kvm_msr_list *l;

	n = chance(&s->r, 3, 4) ? rnd(&s->r, 80) :
	    rnd_interesting(&s->r);
	p = arg_ptr(s, sizeof(*l) + (n < 80 ? n : 4) * 4, &w);
	if (w) {
		l = p;
		l->nmsrs = n;
	}
	fz_ioctl(s, d, chance(&s->r, 1, 2) ? KVM_GET_MSR_INDEX_LIST :
		 KVM_GET_MSR_FEATURE_INDEX_LIST, (unsigned long)p,
		 "KVM_GET_MSR_*_INDEX_LIST");
}

static void sys_get_msrs(struct session *s, int d)
{
	bool w;
	void *p;
	unsigned int n;
	struct kvm_msrs *m;
	unsigned int i;

	n = chance(&s->r, 3, 4) ? rnd(&s->r, 8) :
	    rnd_interesting(&s->r);
	p = arg_ptr(s, sizeof(*m) + (n < 8 ? n : 2) * 16, &w);
	if (w) {
		m = p;
		m->nmsrs = n;
		for (i = 0; i < (n < 8 ? n : 2); i++)
			m->entries[i].index = chance(&s->r, 1, 2) ?
					      0x8b : rnd_msr(s);
	}
	fz_ioctl(s, d, KVM_GET_MSRS, (unsigned long)p, "KVM_GET_MSRS(sys)");
}

static void sys_create_vm(struct session *s, int d)
{
	create_vm(s);
}

static void other_sys_ioctl(struct session *s, int d)
{
	bool w;
	void *p;

	if (opt_vtx_subset)
		return;
	p = arg_ptr(s, 512, &w);
	if (w)
		rnd_fill(&s->r, p, 64);
	switch (rnd(&s->r, 3)) {
	case 0:
		fz_ioctl(s, d, KVM_X86_GET_MCE_CAP_SUPPORTED,
			 (unsigned long)p, "MCE_CAP");
		break;
	case 1:
		fz_ioctl(s, d, KVM_GET_DEVICE_ATTR, (unsigned long)p,
			 "KVM_GET_DEVICE_ATTR");
		break;
	default:
		fz_ioctl(s, d, KVM_GET_STATS_FD, (unsigned long)p,
			 "KVM_GET_STATS_FD");
		break;
	}
}

/*
 * One ioctl of the system fd, drawn from this table (rows repeat to weigh
 * them: a seed's call sequence depends on the order and the count).
 */
static void (*const sys_ops[])(struct session *s, int d) = {
	api_version, check_extension, vcpu_mmap_size, supported_cpuid,
	supported_cpuid, msr_index_list, msr_index_list, sys_get_msrs,
	sys_create_vm, other_sys_ioctl, other_sys_ioctl,
};

void sys_ioctl(struct session *s)
{
	int d = pick_dev(s);

	if (d < 0) {
		s->dev[0] = fz_open_dev(dev_path);
		n_syscalls++;
		return;
	}
	sys_ops[rnd(&s->r, ARRAY_SIZE(sys_ops))](s, d);
}

void rand_ioctl(struct session *s)
{
	unsigned long req;
	int fd;
	bool w;
	void *p;

	switch (rnd(&s->r, 5)) {
	case 0: fd = pick_dev(s); break;
	case 1: fd = pick_vm(s) >= 0 ? s->vms[pick_vm(s)] : -1; break;
	case 2: fd = pick_vcpu(s) >= 0 ? s->vcpus[pick_vcpu(s)].fd : -1; break;
	case 3: fd = s->efd[0]; break;
	/* any fd number, stale ones too, but never the console (0-2) */
	default: fd = 3 + rnd(&s->r, 37); break;
	}
	if (fd < 0)
		return;
	if (chance(&s->r, 3, 4))	/* KVM's type, random number/size */
		req = _IOC(rnd(&s->r, 4), KVMIO, rnd(&s->r, 256),
			   rnd(&s->r, 4) ? rnd(&s->r, 512) : rnd(&s->r, 1 << 14));
	else
		req = (uint32_t)rng_next(&s->r);
	/* never KVM_RUN this way: it has its own path with the timer */
	if (req == KVM_RUN)
		return;
	/* nor anything that may block (eventfd read is not an ioctl) */
	p = arg_ptr(s, 4096, &w);
	if (w)
		rnd_fill(&s->r, p, 512);
	if (opt_vtx_subset && fd != s->efd[0])
		return;
	fz_ioctl(s, fd, req, chance(&s->r, 1, 4) ? rnd_interesting(&s->r) :
		 (unsigned long)p, "random");
}
