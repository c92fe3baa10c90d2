// SPDX-License-Identifier: GPL-2.0
/*
 * The VM ioctls of interrupt routing and injection, at the ioctl level
 * (no guest runs): KVM_SET_GSI_ROUTING, KVM_IRQ_LINE, KVM_IRQ_LINE_STATUS,
 * KVM_SIGNAL_MSI and KVM_IRQFD, their errors and what they do that
 * userspace can see without a vCPU, KVM (kvm_intel) being the reference:
 *
 *   no_irqchip      a VM without an in-kernel irqchip: every one of them
 *                   refused with KVM's errno (bad pointers: EFAULT first)
 *   split_routing   KVM_CAP_SPLIT_IRQCHIP: the empty table, MSI routes
 *                   only, the table's limits and duplicate rules; the
 *                   status of KVM_IRQ_LINE_STATUS and KVM_SIGNAL_MSI with
 *                   nobody to deliver to
 *   split_irqfd     irqfds with a split irqchip: EBUSY for an eventfd
 *                   assigned twice, deassignment by eventfd and GSI, bad
 *                   fds, resample refused; an assigned irqfd consumes the
 *                   eventfd's count (its wake-up reads it), a deassigned
 *                   one no longer does, a closed eventfd goes away
 *   kernel_irqchip  KVM_CREATE_IRQCHIP: irqchip routes (pin ranges per
 *                   chip, one route per chip and GSI, no MSI beside them),
 *                   resample irqfds
 *   x2apic_msi      KVM_CAP_X2APIC_API's 32-bit IDs: an MSI with the low
 *                   byte of address_hi set is refused
 *
 * On vtx, split_routing, split_irqfd, kernel_irqchip and x2apic_msi need
 * the in-kernel irqchip (KVM_CAP_SPLIT_IRQCHIP, KVM_CREATE_IRQCHIP,
 * KVM_CAP_X2APIC_API; issue 16).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vcpu_test.h"

#define SPLIT_IOAPIC_PINS	24	/* what QEMU reserves */
#define MAX_IRQ_ROUTES		4096	/* KVM_MAX_IRQ_ROUTES (KVM_CAP_IRQ_ROUTING) */
#define MSI_ADDR		0xfee00000u	/* to APIC ID 0, physical */
#define MSI_DATA		0x30		/* fixed, edge, vector 0x30 */
/* kvm_set_irq()'s "nobody took it", as KVM_IRQ_LINE_STATUS reports it */
#define STATUS_NOT_DELIVERED	(-1)
/* flags no ioctl here knows */
#define BAD_FLAG		(1u << 7)

static long set_routing(int vm_fd, const struct kvm_irq_routing_entry *e,
			uint32_t nr, uint32_t flags)
{
	struct kvm_irq_routing *r;
	long ret;

	r = calloc(1, sizeof(*r) + (size_t)nr * sizeof(*e));
	if (!r)
		vtx_die("out of memory");
	r->nr = nr;
	r->flags = flags;
	if (e)
		memcpy(r->entries, e, (size_t)nr * sizeof(*e));
	ret = __vtx_ioctl_raw(vm_fd, KVM_SET_GSI_ROUTING, (unsigned long)r);
	free(r);
	return ret;
}

static struct kvm_irq_routing_entry msi_route(uint32_t gsi, uint32_t hi)
{
	struct kvm_irq_routing_entry e = {
		.gsi = gsi,
		.type = KVM_IRQ_ROUTING_MSI,
		.u.msi = { .address_lo = MSI_ADDR, .address_hi = hi,
			   .data = MSI_DATA },
	};
	return e;
}

static struct kvm_irq_routing_entry chip_route(uint32_t gsi, uint32_t chip,
					       uint32_t pin)
{
	struct kvm_irq_routing_entry e = {
		.gsi = gsi,
		.type = KVM_IRQ_ROUTING_IRQCHIP,
		.u.irqchip = { .irqchip = chip, .pin = pin },
	};
	return e;
}

/* One entry alone. */
static long set_one(int vm_fd, struct kvm_irq_routing_entry e)
{
	return set_routing(vm_fd, &e, 1, 0);
}

/* Two entries in one table. */
static long set_two(int vm_fd, struct kvm_irq_routing_entry a,
		    struct kvm_irq_routing_entry b)
{
	struct kvm_irq_routing_entry e[2] = { a, b };

	return set_routing(vm_fd, e, 2, 0);
}

static long irq_line(int vm_fd, unsigned long req, uint32_t irq,
		     uint32_t level, int32_t *status)
{
	struct kvm_irq_level l = { .irq = irq, .level = level };
	long ret = __vtx_ioctl_raw(vm_fd, req, (unsigned long)&l);

	if (status)
		*status = l.status;
	return ret;
}

static long signal_msi(int vm_fd, uint32_t hi, uint32_t flags)
{
	struct kvm_msi msi = {
		.address_lo = MSI_ADDR, .address_hi = hi, .data = MSI_DATA,
		.flags = flags,
	};

	return __vtx_ioctl_raw(vm_fd, KVM_SIGNAL_MSI, (unsigned long)&msi);
}

static long irqfd(int vm_fd, int fd, uint32_t gsi, uint32_t flags,
		  int resamplefd)
{
	struct kvm_irqfd a = {
		.fd = fd, .gsi = gsi, .flags = flags, .resamplefd = resamplefd,
	};

	return __vtx_ioctl_raw(vm_fd, KVM_IRQFD, (unsigned long)&a);
}

static long enable_cap(int vm_fd, uint32_t cap, uint64_t arg0)
{
	struct kvm_enable_cap c = { .cap = cap, .args[0] = arg0 };

	return __vtx_ioctl_raw(vm_fd, KVM_ENABLE_CAP, (unsigned long)&c);
}

static int new_eventfd(void)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	if (fd < 0)
		vtx_die("eventfd: %s", strerror(errno));
	return fd;
}

/* Signal the eventfd; then what a read finds: the count, or -errno. */
static long signal_then_read(int efd)
{
	uint64_t one = 1, cnt = 0;

	if (write(efd, &one, sizeof(one)) != sizeof(one))
		return -1000 - errno;
	if (read(efd, &cnt, sizeof(cnt)) != sizeof(cnt))
		return -errno;
	return (long)cnt;
}

TEST(no_irqchip)
{
	struct vtx_vm *vm = vtx_vm_create();
	struct kvm_irq_routing_entry e = msi_route(0, 0);
	int efd = new_eventfd(), pipefd[2];

	ASSERT_EQ(0, pipe(pipefd));

	/* Bad pointers: EFAULT before anything else, as KVM copies first. */
	EXPECT_EQ(-EFAULT, __vtx_ioctl_raw(vm->fd, KVM_SET_GSI_ROUTING, 0));
	EXPECT_EQ(-EFAULT, __vtx_ioctl_raw(vm->fd, KVM_IRQ_LINE, 0));
	EXPECT_EQ(-EFAULT, __vtx_ioctl_raw(vm->fd, KVM_IRQ_LINE_STATUS, 0));
	EXPECT_EQ(-EFAULT, __vtx_ioctl_raw(vm->fd, KVM_SIGNAL_MSI, 0));
	EXPECT_EQ(-EFAULT, __vtx_ioctl_raw(vm->fd, KVM_IRQFD, 0));

	/* KVM_SET_GSI_ROUTING: EINVAL without an in-kernel irqchip. */
	EXPECT_EQ(-EINVAL, set_routing(vm->fd, NULL, 0, 0));
	EXPECT_EQ(-EINVAL, set_routing(vm->fd, &e, 1, 0));
	/* KVM_IRQ_LINE(_STATUS): ENXIO. */
	EXPECT_EQ(-ENXIO, irq_line(vm->fd, KVM_IRQ_LINE, 0, 1, NULL));
	EXPECT_EQ(-ENXIO, irq_line(vm->fd, KVM_IRQ_LINE_STATUS, 0, 1, NULL));
	/* KVM_SIGNAL_MSI: EINVAL. */
	EXPECT_EQ(-EINVAL, signal_msi(vm->fd, 0, 0));

	/* KVM_IRQFD: unknown flags first, then the irqchip, then the fds. */
	EXPECT_EQ(-EINVAL, irqfd(vm->fd, efd, 0, BAD_FLAG, 0));
	EXPECT_EQ(-EINVAL, irqfd(vm->fd, efd, 0,
				 BAD_FLAG | KVM_IRQFD_FLAG_DEASSIGN, 0));
	EXPECT_EQ(-EINVAL, irqfd(vm->fd, efd, 0, 0, 0));
	EXPECT_EQ(-EINVAL, irqfd(vm->fd, -1, 0, 0, 0));
	EXPECT_EQ(-EINVAL, irqfd(vm->fd, efd, 0, KVM_IRQFD_FLAG_RESAMPLE, efd));
	/* Deassignment looks only at the eventfd: nothing to remove is 0. */
	EXPECT_EQ(0, irqfd(vm->fd, efd, 0, KVM_IRQFD_FLAG_DEASSIGN, 0));
	EXPECT_EQ(-EBADF, irqfd(vm->fd, -1, 0, KVM_IRQFD_FLAG_DEASSIGN, 0));
	EXPECT_EQ(-EINVAL, irqfd(vm->fd, pipefd[0], 0,
				 KVM_IRQFD_FLAG_DEASSIGN, 0));
	/* The eventfd is untouched: its count is its own. */
	EXPECT_EQ(1, signal_then_read(efd));

	close(pipefd[0]);
	close(pipefd[1]);
	close(efd);
	vtx_vm_free(vm);
}

TEST(split_routing)
{
	struct vtx_vm *vm = vtx_vm_create();
	struct kvm_irq_routing_entry *many, e;
	struct kvm_irq_level l = { .irq = 5, .level = 1 };
	int32_t status;
	uint32_t i;

	ASSERT_EQ(0, enable_cap(vm->fd, KVM_CAP_SPLIT_IRQCHIP,
				SPLIT_IOAPIC_PINS));
	/* Once only. */
	EXPECT_EQ(-EEXIST, enable_cap(vm->fd, KVM_CAP_SPLIT_IRQCHIP,
				      SPLIT_IOAPIC_PINS));

	/* The empty table: nothing behind any GSI. */
	EXPECT_EQ(0, irq_line(vm->fd, KVM_IRQ_LINE_STATUS, 5, 1, &status));
	EXPECT_EQ(STATUS_NOT_DELIVERED, status);
	EXPECT_EQ(0, irq_line(vm->fd, KVM_IRQ_LINE, 5, 1, NULL));
	EXPECT_EQ(0, irq_line(vm->fd, KVM_IRQ_LINE, MAX_IRQ_ROUTES + 1, 0,
			      NULL));

	/* The table's own checks. */
	EXPECT_EQ(0, set_routing(vm->fd, NULL, 0, 0));
	EXPECT_EQ(-EINVAL, set_routing(vm->fd, NULL, 0, 1));
	EXPECT_EQ(-EINVAL, set_routing(vm->fd, NULL, MAX_IRQ_ROUTES + 1, 0));
	EXPECT_EQ(0, set_one(vm->fd, msi_route(0, 0)));
	EXPECT_EQ(0, set_one(vm->fd, msi_route(MAX_IRQ_ROUTES - 1, 0)));
	EXPECT_EQ(-EINVAL, set_one(vm->fd, msi_route(MAX_IRQ_ROUTES, 0)));
	EXPECT_EQ(-EINVAL, set_one(vm->fd, msi_route(~0u, 0)));
	/* PIC and IOAPIC are in userspace: no irqchip routes. */
	EXPECT_EQ(-EINVAL, set_one(vm->fd, chip_route(0, KVM_IRQCHIP_IOAPIC, 0)));
	EXPECT_EQ(-EINVAL, set_one(vm->fd,
				   chip_route(0, KVM_IRQCHIP_PIC_MASTER, 0)));
	/* One MSI per GSI. */
	EXPECT_EQ(-EINVAL, set_two(vm->fd, msi_route(3, 0), msi_route(3, 0)));
	EXPECT_EQ(0, set_two(vm->fd, msi_route(3, 0), msi_route(4, 0)));
	/* Types: only irqchip and MSI (and Hyper-V/Xen ones vtx lacks). */
	e = msi_route(1, 0);
	e.type = 0;
	EXPECT_EQ(-EINVAL, set_one(vm->fd, e));
	e.type = KVM_IRQ_ROUTING_S390_ADAPTER;
	EXPECT_EQ(-EINVAL, set_one(vm->fd, e));
	e.type = 99;
	EXPECT_EQ(-EINVAL, set_one(vm->fd, e));
	/* Entry flags: MSI knows KVM_MSI_VALID_DEVID, x86 ignores it. */
	e = msi_route(1, 0);
	e.flags = KVM_MSI_VALID_DEVID;
	EXPECT_EQ(0, set_one(vm->fd, e));
	e.flags = BAD_FLAG;
	EXPECT_EQ(-EINVAL, set_one(vm->fd, e));
	/* Without KVM_CAP_X2APIC_API, address_hi is not checked. */
	EXPECT_EQ(0, set_one(vm->fd, msi_route(1, 0xff)));
	/* A full table. */
	many = calloc(MAX_IRQ_ROUTES, sizeof(*many));
	ASSERT_NE(NULL, many);
	for (i = 0; i < MAX_IRQ_ROUTES; i++)
		many[i] = msi_route(i, 0);
	EXPECT_EQ(0, set_routing(vm->fd, many, MAX_IRQ_ROUTES, 0));
	free(many);

	/* An MSI route lowered: nothing (MSIs have no level). */
	ASSERT_EQ(0, set_one(vm->fd, msi_route(5, 0)));
	EXPECT_EQ(0, irq_line(vm->fd, KVM_IRQ_LINE_STATUS, 5, 0, &status));
	EXPECT_EQ(STATUS_NOT_DELIVERED, status);
	/* Raised with no vCPU, so no local APIC to take it. */
	EXPECT_EQ(0, irq_line(vm->fd, KVM_IRQ_LINE_STATUS, 5, 1, &status));
	EXPECT_EQ(STATUS_NOT_DELIVERED, status);
	/* The status overlays the GSI; KVM_IRQ_LINE leaves it alone. */
	EXPECT_EQ(0, __vtx_ioctl_raw(vm->fd, KVM_IRQ_LINE, (unsigned long)&l));
	EXPECT_EQ(5u, l.irq);

	/* KVM_SIGNAL_MSI: flags, then delivery (-1 when nobody took it). */
	EXPECT_EQ(-EINVAL, signal_msi(vm->fd, 0, BAD_FLAG));
	EXPECT_EQ(-EPERM, signal_msi(vm->fd, 0, 0));
	EXPECT_EQ(-EPERM, signal_msi(vm->fd, 0, KVM_MSI_VALID_DEVID));

	vtx_vm_free(vm);
}

TEST(split_irqfd)
{
	struct vtx_vm *vm = vtx_vm_create();
	int efd = new_eventfd(), efd2 = new_eventfd(), pipefd[2], closed;

	ASSERT_EQ(0, pipe(pipefd));
	ASSERT_EQ(0, enable_cap(vm->fd, KVM_CAP_SPLIT_IRQCHIP,
				SPLIT_IOAPIC_PINS));

	/* Resample needs KVM_CREATE_IRQCHIP's irqchip. */
	EXPECT_EQ(-EINVAL, irqfd(vm->fd, efd, 5, KVM_IRQFD_FLAG_RESAMPLE,
				 efd2));
	EXPECT_EQ(-EINVAL, irqfd(vm->fd, efd, 5, BAD_FLAG, 0));
	/* Bad fds. */
	EXPECT_EQ(-EBADF, irqfd(vm->fd, -1, 5, 0, 0));
	closed = new_eventfd();
	close(closed);
	EXPECT_EQ(-EBADF, irqfd(vm->fd, closed, 5, 0, 0));
	EXPECT_EQ(-EINVAL, irqfd(vm->fd, pipefd[0], 5, 0, 0));

	/* Before: the count stays in the eventfd. */
	EXPECT_EQ(1, signal_then_read(efd));
	ASSERT_EQ(0, irqfd(vm->fd, efd, 5, 0, 0));
	/* Assigned: the irqfd's wake-up takes the count. */
	EXPECT_EQ(-EAGAIN, signal_then_read(efd));
	/* The same eventfd again, on any GSI. */
	EXPECT_EQ(-EBUSY, irqfd(vm->fd, efd, 5, 0, 0));
	EXPECT_EQ(-EBUSY, irqfd(vm->fd, efd, 6, 0, 0));
	/* Another eventfd on the same GSI is fine. */
	EXPECT_EQ(0, irqfd(vm->fd, efd2, 5, 0, 0));
	/* Deassignment needs eventfd and GSI: this one removes nothing. */
	EXPECT_EQ(0, irqfd(vm->fd, efd, 6, KVM_IRQFD_FLAG_DEASSIGN, 0));
	EXPECT_EQ(-EAGAIN, signal_then_read(efd));
	/* A routing change while assigned: the irqfd follows it. */
	EXPECT_EQ(0, set_one(vm->fd, msi_route(5, 0)));
	EXPECT_EQ(-EAGAIN, signal_then_read(efd));
	EXPECT_EQ(0, set_routing(vm->fd, NULL, 0, 0));
	/* Deassigned: the count is the eventfd's again. */
	EXPECT_EQ(0, irqfd(vm->fd, efd, 5, KVM_IRQFD_FLAG_DEASSIGN, 0));
	EXPECT_EQ(1, signal_then_read(efd));
	EXPECT_EQ(0, irqfd(vm->fd, efd, 5, KVM_IRQFD_FLAG_DEASSIGN, 0));
	/* And it can be assigned again, to another GSI. */
	EXPECT_EQ(0, irqfd(vm->fd, efd, 7, 0, 0));
	EXPECT_EQ(-EAGAIN, signal_then_read(efd));
	/* Closing an assigned eventfd removes the irqfd (EPOLLHUP). */
	close(efd);
	efd = new_eventfd();
	EXPECT_EQ(0, irqfd(vm->fd, efd, 7, 0, 0));

	close(pipefd[0]);
	close(pipefd[1]);
	/* The VM goes first, with live irqfds; the eventfds still work. */
	vtx_vm_free(vm);
	EXPECT_EQ(1, signal_then_read(efd));
	EXPECT_EQ(1, signal_then_read(efd2));
	close(efd);
	close(efd2);
}

TEST(kernel_irqchip)
{
	struct vtx_vm *vm = vtx_vm_create();
	int efd = new_eventfd(), efd2 = new_eventfd(), rfd = new_eventfd();
	struct kvm_irq_routing_entry e = chip_route(0, KVM_IRQCHIP_IOAPIC, 0);
	int pipefd[2];
	int32_t status;

	ASSERT_EQ(0, pipe(pipefd));
	ASSERT_EQ(0, __vtx_ioctl_raw(vm->fd, KVM_CREATE_IRQCHIP, 0));

	/* The default routing is there: GSI 0-23 have routes. */
	EXPECT_EQ(0, irq_line(vm->fd, KVM_IRQ_LINE_STATUS, 4, 0, &status));
	EXPECT_NE(STATUS_NOT_DELIVERED, status);
	EXPECT_EQ(0, irq_line(vm->fd, KVM_IRQ_LINE_STATUS, 23, 0, &status));
	EXPECT_NE(STATUS_NOT_DELIVERED, status);
	EXPECT_EQ(0, irq_line(vm->fd, KVM_IRQ_LINE_STATUS, 24, 0, &status));
	EXPECT_EQ(STATUS_NOT_DELIVERED, status);

	/* Pin ranges per chip. */
	EXPECT_EQ(0, set_one(vm->fd, chip_route(0, KVM_IRQCHIP_IOAPIC, 23)));
	EXPECT_EQ(-EINVAL, set_one(vm->fd, chip_route(0, KVM_IRQCHIP_IOAPIC, 24)));
	EXPECT_EQ(0, set_one(vm->fd, chip_route(0, KVM_IRQCHIP_PIC_MASTER, 7)));
	EXPECT_EQ(-EINVAL, set_one(vm->fd,
				   chip_route(0, KVM_IRQCHIP_PIC_MASTER, 8)));
	EXPECT_EQ(0, set_one(vm->fd, chip_route(0, KVM_IRQCHIP_PIC_SLAVE, 7)));
	EXPECT_EQ(-EINVAL, set_one(vm->fd,
				   chip_route(0, KVM_IRQCHIP_PIC_SLAVE, 8)));
	EXPECT_EQ(-EINVAL, set_one(vm->fd, chip_route(0, 3, 0)));
	e.flags = 1;
	EXPECT_EQ(-EINVAL, set_one(vm->fd, e));
	/* One route per chip and GSI; an MSI only alone. */
	EXPECT_EQ(0, set_two(vm->fd, chip_route(2, KVM_IRQCHIP_PIC_MASTER, 2),
			     chip_route(2, KVM_IRQCHIP_IOAPIC, 2)));
	EXPECT_EQ(0, set_two(vm->fd, chip_route(2, KVM_IRQCHIP_PIC_MASTER, 2),
			     chip_route(2, KVM_IRQCHIP_PIC_SLAVE, 2)));
	EXPECT_EQ(-EINVAL,
		  set_two(vm->fd, chip_route(2, KVM_IRQCHIP_IOAPIC, 2),
			  chip_route(2, KVM_IRQCHIP_IOAPIC, 3)));
	EXPECT_EQ(-EINVAL, set_two(vm->fd, chip_route(2, KVM_IRQCHIP_IOAPIC, 2),
				   msi_route(2, 0)));
	EXPECT_EQ(-EINVAL, set_two(vm->fd, msi_route(2, 0),
				   chip_route(2, KVM_IRQCHIP_IOAPIC, 2)));
	/* The same pin behind two GSIs is fine. */
	EXPECT_EQ(0, set_two(vm->fd, chip_route(2, KVM_IRQCHIP_IOAPIC, 2),
			     chip_route(3, KVM_IRQCHIP_IOAPIC, 2)));
	EXPECT_EQ(0, set_one(vm->fd, msi_route(2, 0)));

	/* Resample irqfds: the resample fd must be an eventfd. */
	EXPECT_EQ(-EBADF, irqfd(vm->fd, efd, 10, KVM_IRQFD_FLAG_RESAMPLE, -1));
	EXPECT_EQ(-EINVAL, irqfd(vm->fd, efd, 10, KVM_IRQFD_FLAG_RESAMPLE,
				 pipefd[0]));
	EXPECT_EQ(0, irqfd(vm->fd, efd, 10, KVM_IRQFD_FLAG_RESAMPLE, rfd));
	/* Two on one GSI share its resampler. */
	EXPECT_EQ(0, irqfd(vm->fd, efd2, 10, KVM_IRQFD_FLAG_RESAMPLE, rfd));
	EXPECT_EQ(-EBUSY, irqfd(vm->fd, efd, 11, 0, 0));
	EXPECT_EQ(-EAGAIN, signal_then_read(efd));
	EXPECT_EQ(0, irqfd(vm->fd, efd, 10, KVM_IRQFD_FLAG_DEASSIGN, 0));
	EXPECT_EQ(1, signal_then_read(efd));
	/* A plain irqfd on the same GSI beside a resample one. */
	EXPECT_EQ(0, irqfd(vm->fd, efd, 10, 0, 0));

	/* KVM_SIGNAL_MSI works here too (nobody to take it). */
	EXPECT_EQ(-EPERM, signal_msi(vm->fd, 0, 0));

	close(pipefd[0]);
	close(pipefd[1]);
	vtx_vm_free(vm);
	close(efd);
	close(efd2);
	close(rfd);
}

TEST(x2apic_msi)
{
	struct vtx_vm *vm = vtx_vm_create();

	ASSERT_EQ(0, enable_cap(vm->fd, KVM_CAP_SPLIT_IRQCHIP,
				SPLIT_IOAPIC_PINS));
	ASSERT_EQ(0, enable_cap(vm->fd, KVM_CAP_X2APIC_API,
				KVM_X2APIC_API_USE_32BIT_IDS));
	/* Bits 32-39 of the address are the destination's upper 24 bits. */
	EXPECT_EQ(0, set_one(vm->fd, msi_route(0, 0x100)));
	EXPECT_EQ(-EINVAL, set_one(vm->fd, msi_route(0, 0x1)));
	EXPECT_EQ(-EINVAL, set_one(vm->fd, msi_route(0, 0x80)));
	EXPECT_EQ(-EINVAL, signal_msi(vm->fd, 0x1, 0));
	EXPECT_EQ(-EPERM, signal_msi(vm->fd, 0x100, 0));
	vtx_vm_free(vm);
}

VTX_TEST_MAIN
