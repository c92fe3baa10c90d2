// SPDX-License-Identifier: GPL-2.0
/*
 * vtx-ioctl-fuzz: the ioctls of a VM fd.
 */
#include <string.h>
#include <unistd.h>

#include "fz_ioctl.h"

static void vm_create_vcpu(struct session *s, int fd)
{
	create_vcpu(s);
}

static void vm_slot_op(struct session *s, int fd)
{
	slot_op(s);
}

static void dirty_log(struct session *s, int fd)
{
	bool w;
	void *p;
	struct kvm_dirty_log *l;
	struct fslot *sh = &s->slots[rnd(&s->r, MAX_SLOTS)];

	p = arg_ptr(s, sizeof(*l), &w);
	if (w) {
		l = p;
		memset(l, 0, sizeof(*l));
		l->slot = sh->used && chance(&s->r, 3, 4) ? sh->slot :
			  rnd(&s->r, 40);
		l->dirty_bitmap = chance(&s->r, 3, 4) ? scratch :
				  (void *)(uintptr_t)rnd_interesting(&s->r);
		/* 64 KiB of bitmap covers 2 GiB: big slots fault */
	}
	fz_ioctl(s, fd, KVM_GET_DIRTY_LOG, (unsigned long)p,
		 "KVM_GET_DIRTY_LOG");
}

static void ioeventfd(struct session *s, int fd)
{
	bool w;
	void *p;
	struct kvm_ioeventfd *e;

	p = arg_ptr(s, sizeof(*e), &w);
	if (w) {
		e = p;
		memset(e, 0, sizeof(*e));
		e->datamatch = rnd_interesting(&s->r);
		e->addr = chance(&s->r, 1, 2) ? rnd(&s->r, 0x10000) :
			  rnd_interesting(&s->r);
		e->len = chance(&s->r, 3, 4) ? 1 << rnd(&s->r, 4) :
			 rnd(&s->r, 16);
		e->fd = chance(&s->r, 3, 4) ? s->efd[rnd(&s->r, 2)] :
			rnd_interesting(&s->r);
		e->flags = chance(&s->r, 3, 4) ? rnd(&s->r, 8) :
			   rnd_interesting(&s->r);
	}
	fz_ioctl(s, fd, KVM_IOEVENTFD, (unsigned long)p, "KVM_IOEVENTFD");
}

static void tss_addr(struct session *s, int fd)
{
	fz_ioctl(s, fd, KVM_SET_TSS_ADDR,
		 chance(&s->r, 1, 2) ? 0xfffbd000 : rnd_interesting(&s->r),
		 "KVM_SET_TSS_ADDR");
}

static void identity_map_addr(struct session *s, int fd)
{
	bool w;
	void *p;

	p = arg_ptr(s, 8, &w);
	if (w)
		*(uint64_t *)p = chance(&s->r, 1, 2) ? 0xfeffc000 :
				 rnd_interesting(&s->r);
	fz_ioctl(s, fd, KVM_SET_IDENTITY_MAP_ADDR, (unsigned long)p,
		 "KVM_SET_IDENTITY_MAP_ADDR");
}

static void vm_check_extension(struct session *s, int fd)
{
	fz_ioctl(s, fd, KVM_CHECK_EXTENSION, rnd(&s->r, 260),
		 "KVM_CHECK_EXTENSION(vm)");
}

static void enable_cap(struct session *s, int fd)
{
	bool w;
	void *p;
	struct kvm_enable_cap *c;

	p = arg_ptr(s, sizeof(*c), &w);
	if (w) {
		c = p;
		rnd_fill(&s->r, c, sizeof(*c));
		if (chance(&s->r, 3, 4))
			c->cap = chance(&s->r, 1, 2) ?
				 KVM_CAP_EXIT_HYPERCALL : rnd(&s->r, 260);
		if (chance(&s->r, 3, 4))
			c->flags = 0;
		if (chance(&s->r, 1, 2))
			c->args[0] &= 0x7fffffff;
	}
	fz_ioctl(s, fd, KVM_ENABLE_CAP, (unsigned long)p, "KVM_ENABLE_CAP");
}

static void create_vcpu_nommap(struct session *s, int fd)
{
	long r;

	r = fz_ioctl(s, fd, KVM_CREATE_VCPU, rnd(&s->r, 70),
		     "KVM_CREATE_VCPU(nommap)");
	if (r >= 0) {
		close(r);
		n_syscalls++;
	}
}

static void other_vm_ioctl(struct session *s, int fd)
{
	bool w;
	void *p;
	long r;
	static const struct { unsigned long req; const char *n; } vmo[] = {
		{ KVM_CREATE_IRQCHIP, "KVM_CREATE_IRQCHIP" },
		{ KVM_IRQ_LINE, "KVM_IRQ_LINE" },
		{ KVM_IRQ_LINE_STATUS, "KVM_IRQ_LINE_STATUS" },
		{ KVM_GET_CLOCK, "KVM_GET_CLOCK" },
		{ KVM_SET_CLOCK, "KVM_SET_CLOCK" },
		{ KVM_SET_NR_MMU_PAGES, "KVM_SET_NR_MMU_PAGES" },
		{ KVM_IRQFD, "KVM_IRQFD" },
		{ KVM_SET_GSI_ROUTING, "KVM_SET_GSI_ROUTING" },
		{ KVM_REGISTER_COALESCED_MMIO, "COALESCED_MMIO" },
		{ KVM_SET_BOOT_CPU_ID, "KVM_SET_BOOT_CPU_ID" },
		{ KVM_CLEAR_DIRTY_LOG, "KVM_CLEAR_DIRTY_LOG" },
		{ KVM_SIGNAL_MSI, "KVM_SIGNAL_MSI" },
		{ KVM_GET_STATS_FD, "KVM_GET_STATS_FD" },
	};
	int k;

	if (opt_vtx_subset)
		return;
	k = rnd(&s->r, ARRAY_SIZE(vmo));
	p = arg_ptr(s, 1024, &w);
	if (w)
		rnd_fill(&s->r, p, 256);
	r = fz_ioctl(s, fd, vmo[k].req, chance(&s->r, 1, 4) ?
		     rnd_interesting(&s->r) : (unsigned long)p, vmo[k].n);
	if (!r && vmo[k].req == KVM_CREATE_IRQCHIP) {
		for (k = 0; k < MAX_VMS; k++)
			if (s->vms[k] == fd)
				s->irqchip[k] = true;
	} else if (r > 2 && (vmo[k].req == KVM_GET_STATS_FD)) {
		close(r);
		n_syscalls++;
	}
}

/*
 * One ioctl of a VM fd, drawn from this table (rows repeat to weigh them:
 * a seed's call sequence depends on the order and the count).
 */
static void (*const vm_ops[])(struct session *s, int fd) = {
	vm_create_vcpu, vm_slot_op, vm_slot_op, dirty_log, ioeventfd,
	tss_addr, identity_map_addr, vm_check_extension, enable_cap,
	create_vcpu_nommap, other_vm_ioctl, other_vm_ioctl,
	irq_vm_ioctl, irq_vm_ioctl, irq_vm_ioctl, irq_vm_ioctl,
};

void vm_ioctl(struct session *s)
{
	int vm = pick_vm(s);

	if (vm < 0) {
		create_vm(s);
		return;
	}
	vm_ops[rnd(&s->r, ARRAY_SIZE(vm_ops))](s, s->vms[vm]);
}
