// SPDX-License-Identifier: GPL-2.0
/*
 * vtx-ioctl-fuzz: the ioctls of the in-kernel interrupt controllers, with
 * random and boundary-crafted arguments:
 *
 *   VM fd    KVM_CREATE_IRQCHIP, KVM_GET/SET_IRQCHIP, KVM_IRQ_LINE(_STATUS),
 *            KVM_SET_GSI_ROUTING, KVM_SIGNAL_MSI, KVM_IRQFD (with and
 *            without resample, deassign, bogus fds; the eventfds written),
 *            KVM_CREATE_PIT(2), KVM_GET/SET_PIT(2), KVM_REINJECT_CONTROL,
 *            KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP, KVM_CAP_X2APIC_API)
 *   vCPU fd  KVM_GET/SET_LAPIC (real state with crafted registers: short
 *            periodic timers, ICR, LVTs), KVM_GET/SET_MP_STATE,
 *            KVM_SET_VAPIC_ADDR, KVM_TPR_ACCESS_REPORTING, KVM_INTERRUPT,
 *            KVM_NMI
 *
 * A VM whose KVM_CREATE_IRQCHIP (or split irqchip) succeeded is marked in
 * s->irqchip[]: its HLT sleeps in the kernel, so run_op() gives its
 * KVM_RUN a short timer.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fz_ioctl.h"

/* KVM's limits (include/linux/kvm_host.h), as boundaries to aim at */
#define FZ_MAX_IRQ_ROUTES	4096
#define FZ_IOAPIC_PINS		24
#define FZ_NR_GSI		32

uint64_t n_irq_ioctls, n_irq_ok;

/* fz_ioctl(), counted among the interrupt controllers' ioctls */
static long irq_call(struct session *s, int fd, unsigned long req,
		     unsigned long arg, const char *name)
{
	long r = fz_ioctl(s, fd, req, arg, name);

	n_irq_ioctls++;
	if (r >= 0)
		n_irq_ok++;
	return r;
}

/* ------------------------------------------------------------ VM fd */

static int irq_vm_index(struct session *s, int fd)
{
	int i;

	for (i = 0; i < MAX_VMS; i++)
		if (s->vms[i] == fd)
			return i;
	return -1;
}

static void create_irqchip(struct session *s, int fd)
{
	long r;
	int i;

	r = irq_call(s, fd, KVM_CREATE_IRQCHIP, chance(&s->r, 7, 8) ? 0 :
		     rnd_interesting(&s->r), "KVM_CREATE_IRQCHIP");
	i = irq_vm_index(s, fd);
	if (!r && i >= 0)
		s->irqchip[i] = true;
}

static void enable_irq_cap(struct session *s, int fd)
{
	struct kvm_enable_cap *c;
	bool w, split = chance(&s->r, 1, 2);
	void *p;
	long r;
	int i;

	p = arg_ptr(s, sizeof(*c), &w);
	if (w) {
		c = p;
		memset(c, 0, sizeof(*c));
		c->cap = split ? KVM_CAP_SPLIT_IRQCHIP : KVM_CAP_X2APIC_API;
		if (split)
			c->args[0] = chance(&s->r, 3, 4) ?
				     rnd(&s->r, FZ_IOAPIC_PINS + 2) :
				     rnd_interesting(&s->r);
		else
			c->args[0] = chance(&s->r, 3, 4) ? rnd(&s->r, 4) :
				     rnd_interesting(&s->r);
		if (chance(&s->r, 1, 8))
			c->flags = rng_next(&s->r);
		if (chance(&s->r, 1, 8))
			c->args[1 + rnd(&s->r, 3)] = rnd_interesting(&s->r);
	}
	r = irq_call(s, fd, KVM_ENABLE_CAP, (unsigned long)p, split ?
		     "KVM_ENABLE_CAP(SPLIT_IRQCHIP)" :
		     "KVM_ENABLE_CAP(X2APIC_API)");
	i = irq_vm_index(s, fd);
	if (!r && split && i >= 0)
		s->irqchip[i] = true;
}

static uint32_t rnd_chip_id(struct session *s)
{
	return chance(&s->r, 7, 8) ? rnd(&s->r, 4) : rnd_interesting(&s->r);
}

/* GET_IRQCHIP, or SET_IRQCHIP of the real state with some damage. */
static void irqchip_state(struct session *s, int fd)
{
	struct kvm_irqchip *c;
	bool w, set = chance(&s->r, 1, 2);
	void *p;

	p = arg_ptr(s, sizeof(*c), &w);
	if (w) {
		c = p;
		memset(c, 0, sizeof(*c));
		c->chip_id = rnd_chip_id(s);
		if (set && chance(&s->r, 3, 4)) {
			c->chip_id = rnd(&s->r, 3);
			if (!xioctl(fd, KVM_GET_IRQCHIP, (unsigned long)c))
				n_ioctls++;
			/* a few random bytes of the PIC or IOAPIC state */
			if (chance(&s->r, 3, 4))
				rnd_fill(&s->r, c->chip.dummy + rnd(&s->r, 200),
					 1 + rnd(&s->r, 8));
			if (chance(&s->r, 1, 8))
				c->chip_id = rnd_chip_id(s);
		} else if (set) {
			rnd_fill(&s->r, &c->chip, sizeof(c->chip));
		}
		if (chance(&s->r, 1, 16))
			c->pad = rng_next(&s->r);
	}
	irq_call(s, fd, set ? KVM_SET_IRQCHIP : KVM_GET_IRQCHIP,
		 (unsigned long)p, set ? "KVM_SET_IRQCHIP" : "KVM_GET_IRQCHIP");
}

static uint32_t rnd_gsi(struct session *s)
{
	return chance(&s->r, 7, 8) ? rnd(&s->r, FZ_NR_GSI) :
	       chance(&s->r, 1, 2) ? FZ_MAX_IRQ_ROUTES - 1 + rnd(&s->r, 3) :
	       rnd_interesting(&s->r);
}

static void irq_line(struct session *s, int fd)
{
	struct kvm_irq_level *l;
	bool w, status = chance(&s->r, 1, 2);
	void *p;
	int n = 1 + rnd(&s->r, 4);

	while (n--) {
		p = arg_ptr(s, sizeof(*l), &w);
		if (w) {
			l = p;
			l->irq = rnd_gsi(s);
			l->level = chance(&s->r, 7, 8) ? rnd(&s->r, 2) :
				   rnd_interesting(&s->r);
		}
		irq_call(s, fd, status ? KVM_IRQ_LINE_STATUS : KVM_IRQ_LINE,
			 (unsigned long)p, status ? "KVM_IRQ_LINE_STATUS" :
			 "KVM_IRQ_LINE");
	}
}

/* An MSI message: mostly to the LAPIC window, any delivery mode. */
static void rnd_msi(struct session *s, uint32_t *lo, uint32_t *hi,
		    uint32_t *data)
{
	*lo = 0xfee00000 | rnd(&s->r, 256) << 12 | rnd(&s->r, 4) << 2;
	if (chance(&s->r, 1, 6))
		*lo = rnd_interesting(&s->r);
	*hi = chance(&s->r, 3, 4) ? 0 : chance(&s->r, 1, 2) ?
	      rnd(&s->r, 0x1000000) << 8 : rnd_interesting(&s->r);
	*data = rnd(&s->r, 256) | rnd(&s->r, 8) << 8 | rnd(&s->r, 2) << 14 |
		rnd(&s->r, 2) << 15;
	if (chance(&s->r, 1, 8))
		*data = rnd_interesting(&s->r);
}

/* One routing entry: irqchip pins and MSIs, and types KVM has elsewhere. */
static void rnd_route(struct session *s, struct kvm_irq_routing_entry *e)
{
	static const uint32_t types[] = {
		KVM_IRQ_ROUTING_IRQCHIP, KVM_IRQ_ROUTING_MSI,
		KVM_IRQ_ROUTING_S390_ADAPTER, KVM_IRQ_ROUTING_HV_SINT,
		KVM_IRQ_ROUTING_XEN_EVTCHN,
	};

	memset(e, 0, sizeof(*e));
	e->gsi = rnd_gsi(s);
	e->type = chance(&s->r, 3, 4) ? types[rnd(&s->r, 2)] :
		  chance(&s->r, 1, 2) ? types[rnd(&s->r, ARRAY_SIZE(types))] :
		  rnd_interesting(&s->r);
	e->flags = chance(&s->r, 7, 8) ? 0 : chance(&s->r, 1, 2) ?
		   KVM_MSI_VALID_DEVID : rng_next(&s->r);
	if (e->type == KVM_IRQ_ROUTING_IRQCHIP) {
		e->u.irqchip.irqchip = chance(&s->r, 7, 8) ? rnd(&s->r, 3) :
				       rnd_interesting(&s->r);
		e->u.irqchip.pin = chance(&s->r, 7, 8) ?
				   rnd(&s->r, FZ_IOAPIC_PINS + 1) :
				   rnd_interesting(&s->r);
	} else if (e->type == KVM_IRQ_ROUTING_MSI) {
		rnd_msi(s, &e->u.msi.address_lo, &e->u.msi.address_hi,
			&e->u.msi.data);
	} else {
		rnd_fill(&s->r, &e->u, sizeof(e->u));
	}
	if (chance(&s->r, 1, 16))
		e->pad = rng_next(&s->r);
}

/* KVM_SET_GSI_ROUTING with 0 .. a few entries, or at and past the limit */
static void gsi_routing(struct session *s, int fd)
{
	static struct kvm_irq_routing *big;
	size_t bigsz = sizeof(*big) + (FZ_MAX_IRQ_ROUTES + 2) *
		       sizeof(struct kvm_irq_routing_entry);
	struct kvm_irq_routing *t;
	uint32_t nr, fill, i;
	bool w = true;
	void *p;

	switch (rnd(&s->r, 8)) {
	case 0:
		nr = FZ_MAX_IRQ_ROUTES - 1 + rnd(&s->r, 3);
		break;
	case 1:
		nr = rnd_interesting(&s->r);
		break;
	case 2:
		nr = 0;
		break;
	default:
		nr = 1 + rnd(&s->r, 40);
	}
	fill = nr <= FZ_MAX_IRQ_ROUTES + 2 ? nr : 8;
	if (fill > 64) {
		/* too big for the scratch area: a buffer of its own */
		if (!big)
			big = malloc(bigsz);
		p = big;
		if (!p)
			return;
	} else {
		p = arg_ptr(s, sizeof(*t) + fill * sizeof(t->entries[0]), &w);
	}
	if (w) {
		t = p;
		t->nr = nr;
		t->flags = chance(&s->r, 7, 8) ? 0 : rng_next(&s->r);
		for (i = 0; i < fill; i++) {
			rnd_route(s, &t->entries[i]);
			/* big tables: mostly the plain pins of GSI i */
			if (fill > 64 && chance(&s->r, 7, 8)) {
				t->entries[i].gsi = i;
				t->entries[i].type = KVM_IRQ_ROUTING_IRQCHIP;
				t->entries[i].flags = 0;
				t->entries[i].u.irqchip.irqchip = 2;
				t->entries[i].u.irqchip.pin =
					i % FZ_IOAPIC_PINS;
			}
		}
	}
	irq_call(s, fd, KVM_SET_GSI_ROUTING, (unsigned long)p,
		 "KVM_SET_GSI_ROUTING");
}

static void signal_msi(struct session *s, int fd)
{
	struct kvm_msi *m;
	bool w;
	void *p;

	p = arg_ptr(s, sizeof(*m), &w);
	if (w) {
		m = p;
		memset(m, 0, sizeof(*m));
		rnd_msi(s, &m->address_lo, &m->address_hi, &m->data);
		m->flags = chance(&s->r, 7, 8) ? 0 : chance(&s->r, 1, 2) ?
			   KVM_MSI_VALID_DEVID : rng_next(&s->r);
		m->devid = chance(&s->r, 3, 4) ? 0 : rng_next(&s->r);
		if (chance(&s->r, 1, 16))
			m->pad[rnd(&s->r, 12)] = rng_next(&s->r);
	}
	irq_call(s, fd, KVM_SIGNAL_MSI, (unsigned long)p, "KVM_SIGNAL_MSI");
}

/* An fd for KVM_IRQFD: an eventfd of the session, or anything but. */
static uint32_t rnd_irq_efd(struct session *s)
{
	switch (rnd(&s->r, 12)) {
	case 0:
		return -1;
	case 1:
		return s->devnull;		/* not an eventfd */
	case 2:
		return s->vms[rnd(&s->r, MAX_VMS)];	/* nor that */
	case 3:
		return 1000 + rnd(&s->r, 24);	/* nothing there */
	case 4:
		return rnd_interesting(&s->r);
	default:
		return s->irqefd[rnd(&s->r, NR_IRQEFDS)];
	}
}

static void irqfd(struct session *s, int fd)
{
	struct kvm_irqfd *f;
	bool w;
	void *p;

	p = arg_ptr(s, sizeof(*f), &w);
	if (w) {
		f = p;
		memset(f, 0, sizeof(*f));
		f->fd = rnd_irq_efd(s);
		f->gsi = rnd_gsi(s);
		switch (rnd(&s->r, 8)) {
		case 0: case 1: case 2:
			f->flags = 0;
			break;
		case 3: case 4:
			f->flags = KVM_IRQFD_FLAG_RESAMPLE;
			break;
		case 5: case 6:
			f->flags = KVM_IRQFD_FLAG_DEASSIGN |
				   (chance(&s->r, 1, 4) ?
				    KVM_IRQFD_FLAG_RESAMPLE : 0);
			break;
		default:
			f->flags = rng_next(&s->r);
		}
		f->resamplefd = chance(&s->r, 1, 4) ? f->fd : rnd_irq_efd(s);
		if (chance(&s->r, 1, 16))
			f->pad[rnd(&s->r, 16)] = rng_next(&s->r);
	}
	irq_call(s, fd, KVM_IRQFD, (unsigned long)p, "KVM_IRQFD");
}

/* Signal the session's eventfds: the irqfds on them fire, or nothing. */
static void irqfd_kick(struct session *s, int fd)
{
	uint64_t one = 1;
	int n = 1 + rnd(&s->r, 4);

	while (n--) {
		if (write(s->irqefd[rnd(&s->r, NR_IRQEFDS)], &one, 8) != 8)
			one = 1;
		n_syscalls++;
	}
	if (chance(&s->r, 1, 4))
		irq_line(s, fd);
}

static void create_pit(struct session *s, int fd)
{
	struct kvm_pit_config *c;
	bool w;
	void *p;

	if (chance(&s->r, 1, 6)) {
		irq_call(s, fd, KVM_CREATE_PIT, 0, "KVM_CREATE_PIT");
		return;
	}
	p = arg_ptr(s, sizeof(*c), &w);
	if (w) {
		c = p;
		memset(c, 0, sizeof(*c));
		c->flags = chance(&s->r, 3, 4) ?
			   rnd(&s->r, 2) * KVM_PIT_SPEAKER_DUMMY :
			   rng_next(&s->r);
		if (chance(&s->r, 1, 8))
			c->pad[rnd(&s->r, 15)] = rng_next(&s->r);
	}
	irq_call(s, fd, KVM_CREATE_PIT2, (unsigned long)p, "KVM_CREATE_PIT2");
}

/* A PIT channel: counts at 0, 1, 0x10000 and beyond, every mode. */
static void rnd_pit_channel(struct session *s, struct kvm_pit_channel_state *c)
{
	static const uint32_t counts[] = { 0, 1, 2, 3, 0xffff, 0x10000,
					   0x10001, 1193, 11932 };

	if (chance(&s->r, 1, 4))
		c->count = chance(&s->r, 3, 4) ?
			   counts[rnd(&s->r, ARRAY_SIZE(counts))] :
			   rnd_interesting(&s->r);
	if (chance(&s->r, 1, 4))
		c->mode = chance(&s->r, 3, 4) ? rnd(&s->r, 8) : rng_next(&s->r);
	if (chance(&s->r, 1, 4))
		c->rw_mode = rnd(&s->r, 5);
	if (chance(&s->r, 1, 4)) {
		c->read_state = rnd(&s->r, 6);
		c->write_state = rnd(&s->r, 6);
	}
	if (chance(&s->r, 1, 6)) {
		c->count_latched = rng_next(&s->r);
		c->status_latched = rng_next(&s->r);
		c->latched_count = rng_next(&s->r);
	}
	if (chance(&s->r, 1, 6))
		c->gate = rng_next(&s->r);
	if (chance(&s->r, 1, 6))
		c->bcd = rng_next(&s->r);
	if (chance(&s->r, 1, 8))
		c->count_load_time = rnd_interesting(&s->r);
}

static void pit_state(struct session *s, int fd)
{
	struct kvm_pit_state2 *ps;
	bool w, set = chance(&s->r, 1, 2), two = chance(&s->r, 2, 3);
	void *p;
	int i;

	p = arg_ptr(s, sizeof(*ps), &w);
	if (w && set) {
		ps = p;
		memset(ps, 0, sizeof(*ps));
		if (chance(&s->r, 3, 4)) {
			if (!xioctl(fd, KVM_GET_PIT2, (unsigned long)ps))
				n_ioctls++;
			for (i = 0; i < 3; i++)
				rnd_pit_channel(s, &ps->channels[i]);
		} else {
			rnd_fill(&s->r, ps, sizeof(*ps));
		}
		if (chance(&s->r, 1, 4))
			ps->flags = chance(&s->r, 3, 4) ?
				    rnd(&s->r, 4) : rng_next(&s->r);
		if (chance(&s->r, 1, 16))
			ps->reserved[rnd(&s->r, 9)] = rng_next(&s->r);
	}
	if (two)
		irq_call(s, fd, set ? KVM_SET_PIT2 : KVM_GET_PIT2,
			 (unsigned long)p, set ? "KVM_SET_PIT2" :
			 "KVM_GET_PIT2");
	else
		irq_call(s, fd, set ? KVM_SET_PIT : KVM_GET_PIT,
			 (unsigned long)p, set ? "KVM_SET_PIT" : "KVM_GET_PIT");
}

static void reinject_control(struct session *s, int fd)
{
	struct kvm_reinject_control *c;
	bool w;
	void *p;

	p = arg_ptr(s, sizeof(*c), &w);
	if (w) {
		c = p;
		memset(c, 0, sizeof(*c));
		c->pit_reinject = chance(&s->r, 7, 8) ? rnd(&s->r, 2) :
				  rng_next(&s->r);
		if (chance(&s->r, 1, 8))
			c->reserved[rnd(&s->r, 31)] = rng_next(&s->r);
	}
	irq_call(s, fd, KVM_REINJECT_CONTROL, (unsigned long)p,
		 "KVM_REINJECT_CONTROL");
}

static void (*const irq_vm_ops[])(struct session *s, int fd) = {
	create_irqchip, enable_irq_cap, irqchip_state, irqchip_state,
	irq_line, gsi_routing, gsi_routing, signal_msi, irqfd, irqfd,
	irqfd_kick, create_pit, pit_state, pit_state, reinject_control,
};

void irq_vm_ioctl(struct session *s, int fd)
{
	irq_vm_ops[rnd(&s->r, ARRAY_SIZE(irq_vm_ops))](s, fd);
}

/*
 * A VM with the interrupt controllers, made before its first vCPU (as a
 * VMM does): the full irqchip or the split one, maybe a PIT, a routing
 * table, irqfds.
 */
void irq_setup(struct session *s, int fd)
{
	int n = rnd(&s->r, 4);

	if (chance(&s->r, 1, 4)) {
		enable_irq_cap(s, fd);
	} else {
		create_irqchip(s, fd);
		if (chance(&s->r, 1, 2))
			create_pit(s, fd);
	}
	if (chance(&s->r, 1, 3))
		gsi_routing(s, fd);
	while (n--)
		irqfd(s, fd);
}

/* ------------------------------------------------------------ vCPU fd */

/* KVM_SET_LAPIC: the real state with crafted registers, or noise. */
static void lapic_state(struct session *s, int fd)
{
	struct kvm_lapic_state *l;
	bool w, set = chance(&s->r, 2, 3);
	void *p;
	int n;

	p = arg_ptr(s, sizeof(*l), &w);
	if (w && set) {
		l = p;
		if (chance(&s->r, 7, 8)) {
			memset(l, 0, sizeof(*l));
			if (!xioctl(fd, KVM_GET_LAPIC, (unsigned long)l))
				n_ioctls++;
			for (n = 1 + rnd(&s->r, 6); n; n--) {
				unsigned int off = chance(&s->r, 7, 8) ?
					fz_lapic_regs[rnd(&s->r,
						  FZ_NR_LAPIC_REGS)] :
					rnd(&s->r, 64) * 16;
				uint32_t v = fz_lapic_val(&s->r, off);

				memcpy(l->regs + off, &v, 4);
			}
		} else {
			rnd_fill(&s->r, l, sizeof(*l));
		}
	}
	irq_call(s, fd, set ? KVM_SET_LAPIC : KVM_GET_LAPIC,
		 (unsigned long)p, set ? "KVM_SET_LAPIC" : "KVM_GET_LAPIC");
}

static void mp_state2(struct session *s, int fd)
{
	bool w, set = chance(&s->r, 1, 2);
	void *p;

	p = arg_ptr(s, sizeof(struct kvm_mp_state), &w);
	if (w && set)
		*(uint32_t *)p = chance(&s->r, 7, 8) ? rnd(&s->r, 10) :
				 rnd_interesting(&s->r);
	irq_call(s, fd, set ? KVM_SET_MP_STATE : KVM_GET_MP_STATE,
		 (unsigned long)p, set ? "KVM_SET_MP_STATE" :
		 "KVM_GET_MP_STATE");
}

static void vapic_addr(struct session *s, int fd)
{
	struct kvm_vapic_addr *a;
	struct fslot *sh = &s->slots[rnd(&s->r, MAX_SLOTS)];
	bool w;
	void *p;

	p = arg_ptr(s, sizeof(*a), &w);
	if (w) {
		a = p;
		switch (rnd(&s->r, 5)) {
		case 0:
			a->vapic_addr = 0;
			break;
		case 1:		/* in a slot, maybe its last bytes */
		case 2:
			a->vapic_addr = sh->used && sh->size ?
				sh->gpa + (chance(&s->r, 1, 2) ?
				rnd(&s->r, sh->size) : sh->size - 1 -
				rnd(&s->r, 4)) : rnd(&s->r, 0x100000);
			break;
		case 3:
			a->vapic_addr = 0xfee00000 + rnd(&s->r, 0x1000);
			break;
		default:
			a->vapic_addr = rnd_interesting(&s->r);
		}
	}
	irq_call(s, fd, KVM_SET_VAPIC_ADDR, (unsigned long)p,
		 "KVM_SET_VAPIC_ADDR");
}

static void tpr_access(struct session *s, int fd)
{
	struct kvm_tpr_access_ctl *t;
	bool w;
	void *p;

	p = arg_ptr(s, sizeof(*t), &w);
	if (w) {
		t = p;
		memset(t, 0, sizeof(*t));
		t->enabled = chance(&s->r, 7, 8) ? rnd(&s->r, 2) :
			     rng_next(&s->r);
		if (chance(&s->r, 1, 8))
			t->flags = rng_next(&s->r);
		if (chance(&s->r, 1, 8))
			t->reserved[rnd(&s->r, 8)] = rng_next(&s->r);
	}
	irq_call(s, fd, KVM_TPR_ACCESS_REPORTING, (unsigned long)p,
		 "KVM_TPR_ACCESS_REPORTING");
}

static void interrupt_nmi(struct session *s, int fd)
{
	bool w;
	void *p;

	if (chance(&s->r, 1, 3)) {
		irq_call(s, fd, KVM_NMI, 0, "KVM_NMI");
		return;
	}
	p = arg_ptr(s, 4, &w);
	if (w)
		*(uint32_t *)p = chance(&s->r, 7, 8) ? rnd(&s->r, 256) :
				 rnd_interesting(&s->r);
	irq_call(s, fd, KVM_INTERRUPT, (unsigned long)p, "KVM_INTERRUPT");
}

static void (*const irq_vcpu_ops[])(struct session *s, int fd) = {
	lapic_state, lapic_state, lapic_state, mp_state2, vapic_addr,
	tpr_access, interrupt_nmi,
};

void irq_vcpu_ioctl(struct session *s, int fd)
{
	irq_vcpu_ops[rnd(&s->r, ARRAY_SIZE(irq_vcpu_ops))](s, fd);
}

/* Does vCPU @i belong to a VM with an in-kernel LAPIC? */
bool vcpu_has_irqchip(struct session *s, int i)
{
	int vm = s->vcpus[i].vm;

	return vm >= 0 && vm < MAX_VMS && s->irqchip[vm];
}
