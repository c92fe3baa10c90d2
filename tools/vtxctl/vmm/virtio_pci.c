// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-pci transport, modern only (virtio 1.2, 4.1): each device is
 * a PCI function 1af4:(1040 + device id) on pci.c's bus 0, what Debian's
 * CONFIG_VIRTIO_PCI (virtio_pci.ko, virtio_pci_modern_dev.ko) drives with
 * no command-line words and no ACPI.
 *
 * Config space: revision 1, subsystem 1af4:<device id>, INTA#, and a
 * capability list of the four virtio vendor capabilities, all in BAR0 (a
 * 32-bit memory BAR of VPCI_BAR_SIZE):
 *
 *   0x0000  common configuration (struct virtio_pci_common_cfg, 0x38 bytes)
 *   0x1000  ISR status (1 byte; a read returns and clears it)
 *   0x2000  device configuration (the device's config_read)
 *   0x3000  notifications: queue n at 0x3000 + 4 n (queue_notify_off = n,
 *           notify_off_multiplier = 4); the driver writes the queue index,
 *           16 bits, which is a KVM_IOEVENTFD (len 2, datamatch n) on the
 *           BAR's current address: moved with the BAR (virtio_notify_move())
 *
 * The registers mean what virtio.c's common ones mean (virtio_reg_read(),
 * virtio_reg_write()); this file only maps offsets and widths on them.  An
 * access must have its field's width (32-bit halves for the 64-bit queue
 * addresses) or it reads 0 and is dropped; outside the structures reads
 * are 0.
 *
 * Interrupts: MSI-X, with INTx for a driver that does not enable it.
 *
 * MSI-X (PCI 3.0, 6.8.2): a capability after the virtio ones, a table of
 * VPCI_MSIX_VECTORS entries (the queues' and one for configuration
 * changes; fewer for a device with fewer queues) at offset 0 of BAR1 and
 * the pending bit array at VPCI_MSIX_PBA_OFF of it, a 4 KiB 32-bit memory
 * BAR of their own (the PCI spec wants the table apart from other
 * registers, page aligned).  Entries reset masked; the function mask and
 * the enable bit are the message control's writable bits.  The common
 * configuration's msix_config and queue_msix_vector map the events on
 * vectors: a value past the table reads back VIRTIO_MSI_NO_VECTOR (virtio
 * 1.2, 4.1.5.1.2), and so do they all after a device reset.
 *
 * Delivery is KVM's: vector v of a device has an eventfd (struct
 * vpci_msix) and GSI gsi_base + v, above the IOAPIC's pins.  While the
 * vector is live (MSI-X enabled, the function and the entry unmasked, an
 * event mapped on it, a message to the local APICs: address 0xfeexxxxx)
 * its GSI has a KVM_IRQ_ROUTING_MSI route with the entry's address and
 * data in the table KVM_SET_GSI_ROUTING installs (the irqchip's default
 * routes and every live vector of every device), and the eventfd is a
 * KVM_IRQFD on it: an I/O thread's write, or vhost-net's call (the same
 * eventfd is its VHOST_SET_VRING_CALL), reaches the guest's local APIC
 * without vtxctl.  A masked vector has no irqfd: writes add up in the
 * eventfd, which is the pending bit (a PBA read polls it), and unmasking
 * assigns the irqfd again, which injects the waiting count (KVM_IRQFD
 * checks the eventfd when it is assigned).  The route changes with the
 * table: an entry written while unmasked (Linux masks it first) or
 * unmasked after a write.
 *
 * The fallback: a live vector whose irqfd cannot be made (KVM refused
 * KVM_IRQFD, a KVM without KVM_CAP_IRQFD, or KVM_SET_GSI_ROUTING failed,
 * so that no route would carry it) is "direct": vtxctl's signal sends the
 * entry's message itself with KVM_SIGNAL_MSI (one ioctl per interrupt,
 * from the I/O thread, still no vCPU exit), and what waited in the
 * eventfd while it was masked is sent once when it becomes live.  With
 * KVM_CAP_IRQFD or KVM_CAP_IRQ_ROUTING absent, or VTXCTL_NO_IRQFD in the
 * environment (the suite's way to test this on a KVM that has them),
 * every vector is direct and vhost-net's calls are relayed by vtxctl
 * (virtio_pci_call_fd() gives none), since vhost only writes an eventfd.
 *
 * INTx (MSI-X disabled, e.g. "pci=nomsi" in the guest): INTA# is level
 * triggered on an IOAPIC pin of its own (pci.c, the MP table's I/O
 * interrupt entry), raised through a KVM_IRQFD with a resample fd: the
 * line stays up until the guest's EOI, then the kernel lowers it and
 * signals the resample fd, and the device raises it again if the ISR
 * still has bits the driver has not read.  The driver's ISR read (an MMIO
 * exit) clears them.  Under MSI-X the driver reads no ISR: queue
 * interrupts set no ISR bit, configuration changes set theirs (virtio
 * 1.2, 4.1.4.5.1).
 *
 * VIRTIO_PCI_CAP_PCI_CFG (the config-space window onto the BARs) is not
 * offered: Linux never uses it.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "virtio.h"

#define PCI_VENDOR_ID_REDHAT_QUMRANET	0x1af4
#define VIRTIO_PCI_DEVICE_ID_BASE	0x1040
#define VPCI_REVISION			1
#define PCI_STATUS_CAP_LIST		0x10
#define PCI_CAP_ID_VNDR			0x09
#define PCI_INTERRUPT_PIN_A		1

/* Config space offsets (pci.c keeps its own copies of the generic ones). */
#define CFG_VENDOR	0x00
#define CFG_DEVICE	0x02
#define CFG_STATUS	0x06
#define CFG_REVISION	0x08
#define CFG_CLASS	0x09
#define CFG_SUBVENDOR	0x2c
#define CFG_SUBSYSTEM	0x2e
#define CFG_CAP_PTR	0x34
#define CFG_INT_PIN	0x3d
#define CFG_CAPS	0x40

/* virtio_pci_cap cfg_type */
#define VIRTIO_PCI_CAP_COMMON_CFG	1
#define VIRTIO_PCI_CAP_NOTIFY_CFG	2
#define VIRTIO_PCI_CAP_ISR_CFG		3
#define VIRTIO_PCI_CAP_DEVICE_CFG	4

#define VPCI_BAR_SIZE		0x4000
#define VPCI_COMMON_OFF		0x0000
#define VPCI_COMMON_LEN		0x38
#define VPCI_ISR_OFF		0x1000
#define VPCI_ISR_LEN		1
#define VPCI_DEVICE_OFF		0x2000
#define VPCI_DEVICE_LEN		0x1000
#define VPCI_NOTIFY_OFF		0x3000
#define VPCI_NOTIFY_MULT	4
#define VPCI_NOTIFY_WIDTH	2	/* the driver's 16-bit queue index */
#define PCI_CAP_ID_MSIX		0x11

/* The MSI-X capability (PCI 3.0, 6.8.2), in BAR1. */
#define MSIX_CAP_LEN		12
#define MSIX_CAP_CTRL		2	/* message control */
#define MSIX_CAP_TABLE		4	/* table offset | BIR */
#define MSIX_CAP_PBA		8	/* PBA offset | BIR */
#define MSIX_CTRL_ENABLE	0x8000
#define MSIX_CTRL_FMASK		0x4000
#define MSIX_ENTRY_SIZE		16
#define MSIX_ENTRY_ADDR_LO	0
#define MSIX_ENTRY_ADDR_HI	4
#define MSIX_ENTRY_DATA		8
#define MSIX_ENTRY_CTRL		12
#define MSIX_ENTRY_MASKED	0x1
#define MSIX_ADDR_LO_RSVD	0x3	/* DWORD aligned: bits 1:0 read 0 */
#define VPCI_MSIX_BAR		1
#define VPCI_MSIX_BAR_SIZE	0x1000
#define VPCI_MSIX_TABLE_OFF	0x000
#define VPCI_MSIX_PBA_OFF	0x800
/* An MSI goes to the local APICs: address 0xfeexxxxx, high dword 0. */
#define MSI_ADDR_MASK		0xfff00000U
#define MSI_ADDR_BASE		0xfee00000U
/* The irqchip's pins: GSIs 0-23 IOAPIC, 0-15 also the PICs (8 each). */
#define IOAPIC_PINS		24
#define PIC_GSIS		16
#define PIC_PINS		8

/* struct virtio_pci_cap (virtio 1.2, 4.1.4), and the notify one's tail. */
struct vpci_cap {
	uint8_t cap_vndr;
	uint8_t cap_next;
	uint8_t cap_len;
	uint8_t cfg_type;
	uint8_t bar;
	uint8_t id;
	uint8_t padding[2];
	uint32_t offset;
	uint32_t length;
} __attribute__((packed));

_Static_assert(sizeof(struct vpci_cap) == 16, "virtio_pci_cap");

/* The common configuration structure: offset, width, register. */
static const struct common_field {
	uint8_t offset;
	uint8_t width;
	enum virtio_reg reg;
} common_fields[] = {
	{ 0x00, 4, VREG_DEV_FEATURES_SEL },
	{ 0x04, 4, VREG_DEV_FEATURES },
	{ 0x08, 4, VREG_DRV_FEATURES_SEL },
	{ 0x0c, 4, VREG_DRV_FEATURES },
	{ 0x10, 2, VREG_NONE },		/* config_msix_vector */
	{ 0x12, 2, VREG_NUM_QUEUES },
	{ 0x14, 1, VREG_STATUS },
	{ 0x15, 1, VREG_CONFIG_GEN },
	{ 0x16, 2, VREG_QUEUE_SEL },
	{ 0x18, 2, VREG_QUEUE_NUM },
	{ 0x1a, 2, VREG_NONE },		/* queue_msix_vector */
	{ 0x1c, 2, VREG_QUEUE_READY },
	{ 0x1e, 2, VREG_QUEUE_SEL },	/* queue_notify_off: the queue's index */
	{ 0x20, 4, VREG_QUEUE_DESC_LO },
	{ 0x24, 4, VREG_QUEUE_DESC_HI },
	{ 0x28, 4, VREG_QUEUE_AVAIL_LO },
	{ 0x2c, 4, VREG_QUEUE_AVAIL_HI },
	{ 0x30, 4, VREG_QUEUE_USED_LO },
	{ 0x34, 4, VREG_QUEUE_USED_HI },
};

#define COMMON_MSIX_CONFIG	0x10
#define COMMON_QUEUE_MSIX	0x1a
#define COMMON_QUEUE_NOTIFY_OFF	0x1e

/*
 * msix_lock: every device's MSI-X table, masks and live vectors, and the
 * routing table KVM has (msix_state); after pci.lock and a device's lock.
 */
static pthread_mutex_t msix_lock = PTHREAD_MUTEX_INITIALIZER;

static struct msix_state {
	struct virtio_dev *devs[PCI_MAX_SLOTS];
	unsigned int nr;
	struct vm *vm;			/* set by virtio_pci_msix_start() */
	uint64_t route_sets;		/* KVM_SET_GSI_ROUTING calls */
	bool route_error;		/* warned once */
	bool routes_ok;			/* KVM has the last routing table */
	bool no_irqfd;			/* no irqfds: every live vector is direct */
} msix_state;

/* A message the local APICs take: 0xfeexxxxx, nothing above 4 GiB. */
static bool msix_message_ok(const struct msix_entry *e)
{
	return !e->addr_hi && (e->addr_lo & MSI_ADDR_MASK) == MSI_ADDR_BASE;
}

static bool msix_vector_used(struct vpci_msix *m, unsigned int nr_queues, uint16_t v)
{
	unsigned int q;

	if (atomic_load(&m->config_vector) == v)
		return true;
	for (q = 0; q < nr_queues; q++)
		if (atomic_load(&m->queue_vector[q]) == v)
			return true;
	return false;
}

/* The vector cannot interrupt now: its messages wait (msix_lock held). */
static bool msix_masked(struct vpci_msix *m, unsigned int v)
{
	return !atomic_load(&m->enabled) || m->function_mask ||
	       (m->table[v].ctrl & MSIX_ENTRY_MASKED);
}

/**
 * virtio_pci_msix_routes() - the GSI routing table vtxctl wants now.
 * @e:		room for @max entries
 * @max:	its size
 *
 * The in-kernel irqchip's default routes (KVM's: GSI n to IOAPIC pin n,
 * GSIs 0-15 to the PICs too), then one KVM_IRQ_ROUTING_MSI entry per live
 * vector of every virtio-pci device.  With msix_lock held.
 *
 * Return: the number of entries (at most @max).
 */
unsigned int virtio_pci_msix_routes(struct kvm_irq_routing_entry *e, unsigned int max)
{
	unsigned int n = 0, gsi, i, v;

	for (gsi = 0; gsi < IOAPIC_PINS && n < max; gsi++) {
		memset(&e[n], 0, sizeof(e[n]));
		e[n].gsi = gsi;
		e[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		e[n].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		e[n++].u.irqchip.pin = gsi;
		if (gsi >= PIC_GSIS || n == max)
			continue;
		memset(&e[n], 0, sizeof(e[n]));
		e[n].gsi = gsi;
		e[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		e[n].u.irqchip.irqchip = gsi < PIC_PINS ? KVM_IRQCHIP_PIC_MASTER :
				       KVM_IRQCHIP_PIC_SLAVE;
		e[n++].u.irqchip.pin = gsi % PIC_PINS;
	}
	for (i = 0; i < msix_state.nr; i++) {
		struct vpci_msix *m = msix_state.devs[i]->msix;

		for (v = 0; v < m->nr && n < max; v++) {
			if (!m->live[v])
				continue;
			memset(&e[n], 0, sizeof(e[n]));
			e[n].gsi = m->gsi_base + v;
			e[n].type = KVM_IRQ_ROUTING_MSI;
			e[n].u.msi.address_lo = m->table[v].addr_lo;
			e[n].u.msi.address_hi = m->table[v].addr_hi;
			e[n++].u.msi.data = m->table[v].data;
		}
	}
	return n;
}

uint64_t virtio_pci_msix_route_sets(void)
{
	return msix_state.route_sets;
}

/* KVM_SET_GSI_ROUTING with virtio_pci_msix_routes() (msix_lock held). */
static void msix_set_routing(void)
{
	unsigned int max = IOAPIC_PINS + PIC_GSIS + msix_state.nr * VPCI_MSIX_VECTORS;
	struct kvm_irq_routing *r;

	if (!msix_state.vm)
		return;
	r = calloc(1, sizeof(*r) + max * sizeof(r->entries[0]));
	if (!r) {
		perror("vtxctl: MSI-X routes");
		return;
	}
	r->nr = virtio_pci_msix_routes(r->entries, max);
	msix_state.route_sets++;
	msix_state.routes_ok = ioctl(msix_state.vm->fd, KVM_SET_GSI_ROUTING, r) == 0;
	if (!msix_state.routes_ok && !msix_state.route_error) {
		msix_state.route_error = true;
		fprintf(stderr,
			"vtxctl: warning: KVM_SET_GSI_ROUTING: %s; MSI-X by KVM_SIGNAL_MSI\n",
			strerror(errno));
	}
	free(r);
}

/*
 * KVM_IRQFD of vector @v's eventfd on its GSI, or its removal.  A count
 * that waited in the eventfd (the pending bit) is taken before the
 * assignment and written again after it: the irqfd's wake-up injects it
 * and consumes it, so no stale count is left to look pending later.
 */
static void msix_bind(struct vpci_msix *m, unsigned int v, bool assign)
{
	struct kvm_irqfd irqfd = {
		.fd = m->fd[v],
		.gsi = m->gsi_base + v,
		.flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
	};
	uint64_t n = 0, one = 1;
	bool pending;

	if (m->bound[v] == assign || !msix_state.vm)
		return;
	m->bound[v] = false;
	pending = assign && read(m->fd[v], &n, sizeof(n)) == sizeof(n) && n;
	if (ioctl(msix_state.vm->fd, KVM_IRQFD, &irqfd) < 0) {
		if (!m->kvm_errors++)
			fprintf(stderr, "vtxctl: warning: MSI-X KVM_IRQFD%s gsi %u: %s\n",
				assign ? "" : " deassign", irqfd.gsi, strerror(errno));
	} else {
		m->bound[v] = assign;
	}
	if (pending && write(m->fd[v], &one, sizeof(one)) != sizeof(one))
		perror("vtxctl: MSI-X eventfd");
}

/* Send vector @v's message with KVM_SIGNAL_MSI (msix_lock held). */
static bool msix_signal_msi(struct vpci_msix *m, unsigned int v)
{
	struct kvm_msi msi = {
		.address_lo = m->routed[v].addr_lo,
		.address_hi = m->routed[v].addr_hi,
		.data = m->routed[v].data,
	};

	m->direct_signals++;
	if (ioctl(msix_state.vm->fd, KVM_SIGNAL_MSI, &msi) >= 0)
		return true;
	if (!m->direct_errors++)
		fprintf(stderr, "vtxctl: warning: KVM_SIGNAL_MSI (vector %u, gsi %u): %s\n", v,
			m->gsi_base + v, strerror(errno));
	return false;
}

/*
 * A live vector: its irqfd, or if KVM takes none (or has no route for
 * it), direct delivery by KVM_SIGNAL_MSI, which first sends what waited
 * in the eventfd.  With msix_lock held.
 */
static void msix_go_live(struct vpci_msix *m, unsigned int v)
{
	uint64_t n;

	msix_bind(m, v, !msix_state.no_irqfd && msix_state.routes_ok);
	if (m->bound[v]) {
		atomic_store(&m->direct[v], false);
		return;
	}
	/*
	 * Direct before the eventfd is drained: a signal that wrote it
	 * after this read sees direct and sends its count itself.
	 */
	atomic_store(&m->direct[v], true);
	if (read(m->fd[v], &n, sizeof(n)) == sizeof(n) && n)
		msix_signal_msi(m, v);
}

/*
 * Direct vector @v: send it (@drain: what a signal left in its eventfd).
 * Returns false if it is not direct (any more): the eventfd holds it then.
 * A message KVM refuses is lost, counted in direct_errors.
 */
static bool msix_send_direct(struct vpci_msix *m, unsigned int v, bool drain)
{
	bool direct;
	uint64_t n;

	pthread_mutex_lock(&msix_lock);
	direct = atomic_load(&m->direct[v]);
	if (direct && (!drain || (read(m->fd[v], &n, sizeof(n)) == sizeof(n) && n)))
		msix_signal_msi(m, v);
	pthread_mutex_unlock(&msix_lock);
	return direct;
}

/**
 * msix_sync() - make KVM's routes and irqfds follow @dev's MSI-X state.
 * @dev:	a virtio-pci device
 *
 * Each vector is live or not (struct vpci_msix); irqfds of vectors no
 * longer live go first, then the routing table changes if a live vector
 * appeared, went, or has a new message, then the new live vectors' irqfds
 * (which inject what waited in their eventfds).  With msix_lock held.
 */
static void msix_sync(struct virtio_dev *dev)
{
	struct vpci_msix *m = dev->msix;
	bool live[VPCI_MSIX_VECTORS], routes = false;
	unsigned int v;

	for (v = 0; v < m->nr; v++) {
		const struct msix_entry *e = &m->table[v];

		live[v] = !msix_masked(m, v) && msix_message_ok(e) &&
			  msix_vector_used(m, dev->ops->nr_queues, v);
		if (!live[v]) {
			atomic_store(&m->direct[v], false);
			msix_bind(m, v, false);
		}
		if (live[v] != m->live[v] ||
		    (live[v] && memcmp(&m->routed[v], e, sizeof(*e))))
			routes = true;
		m->live[v] = live[v];
		m->routed[v] = *e;
	}
	if (routes)
		msix_set_routing();
	for (v = 0; v < m->nr; v++)
		if (live[v] && msix_state.vm)
			msix_go_live(m, v);
}

/*
 * After a change of MSI-X Enable or a vector mapping (@dev's lock held):
 * sync, then tell the device (vhost-net's calls).
 */
static void msix_changed(struct virtio_dev *dev)
{
	pthread_mutex_lock(&msix_lock);
	msix_sync(dev);
	pthread_mutex_unlock(&msix_lock);
	if (dev->ops->irq_changed)
		dev->ops->irq_changed(dev);
}

/**
 * virtio_pci_msix_signal() - interrupt for queue @queue (-1: a
 * configuration change) by MSI-X, if MSI-X is enabled.
 * @dev:	the device
 * @queue:	a queue index, or -1
 *
 * Writes the mapped vector's eventfd: the irqfd delivers it, or it waits
 * there while the vector is masked; a direct vector (no irqfd) is sent
 * with KVM_SIGNAL_MSI instead.  An event mapped to no vector
 * (VIRTIO_MSI_NO_VECTOR) interrupts nobody (virtio 1.2, 4.1.5.1.2).
 *
 * Return: false if MSI-X is disabled (the caller raises INTx).
 */
bool virtio_pci_msix_signal(struct virtio_dev *dev, int queue)
{
	struct vpci_msix *m = dev->msix;
	uint64_t one = 1;
	uint16_t v;

	if (!m || !atomic_load(&m->enabled))
		return false;
	v = queue < 0 ? atomic_load(&m->config_vector) : atomic_load(&m->queue_vector[queue]);
	if (v >= m->nr) {
		__atomic_add_fetch(&m->no_vector, 1, __ATOMIC_RELAXED);
		return true;
	}
	__atomic_add_fetch(&m->signals, 1, __ATOMIC_RELAXED);
	/* Still direct under the lock, else masked since: then it waits. */
	if (atomic_load(&m->direct[v]) && msix_send_direct(m, v, false))
		return true;
	if (write(m->fd[v], &one, sizeof(one)) != sizeof(one))
		perror("vtxctl: MSI-X eventfd");
	/* Direct since the test above (msix_go_live() drained before it)? */
	if (atomic_load(&m->direct[v]))
		msix_send_direct(m, v, true);
	return true;
}

/**
 * virtio_pci_call_fd() - the eventfd that interrupts for queue @queue.
 * @dev:	the device
 * @queue:	its index
 *
 * Return: the mapped vector's eventfd under MSI-X (vhost-net's call can be
 * it), -1 with INTx, no vector, or no irqfds (the call needs vtxctl then).
 */
int virtio_pci_call_fd(struct virtio_dev *dev, unsigned int queue)
{
	struct vpci_msix *m = dev->msix;
	uint16_t v;

	if (!m || !atomic_load(&m->enabled) || queue >= VIRTIO_MAX_QUEUES)
		return -1;
	v = atomic_load(&m->queue_vector[queue]);
	if (v >= m->nr || msix_state.no_irqfd || atomic_load(&m->direct[v]))
		return -1;
	return m->fd[v];
}

/* The pending bits: masked vectors whose eventfd has a count (msix_lock held). */
static uint64_t msix_pba(struct vpci_msix *m)
{
	uint64_t pba = 0;
	unsigned int v;

	for (v = 0; v < m->nr; v++) {
		struct pollfd pfd = { .fd = m->fd[v], .events = POLLIN };

		if (msix_masked(m, v) && poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN))
			pba |= 1ULL << v;
	}
	return pba;
}

/* A 4- or 8-byte read of BAR1: the table or the PBA; the rest reads 0. */
static void msix_bar_read(struct virtio_dev *dev, uint64_t offset, void *data,
			  unsigned int size)
{
	struct vpci_msix *m = dev->msix;
	uint64_t val = 0;

	__atomic_add_fetch(&m->bar_accesses, 1, __ATOMIC_RELAXED);
	if ((size != 4 && size != 8) || (offset & (size - 1)))
		return;
	pthread_mutex_lock(&msix_lock);
	if (offset < VPCI_MSIX_TABLE_OFF + m->nr * MSIX_ENTRY_SIZE)
		memcpy(&val, (uint8_t *)m->table + offset - VPCI_MSIX_TABLE_OFF, size);
	else if (offset >= VPCI_MSIX_PBA_OFF && offset < VPCI_MSIX_PBA_OFF + sizeof(val))
		val = msix_pba(m) >> (8 * (offset - VPCI_MSIX_PBA_OFF));
	pthread_mutex_unlock(&msix_lock);
	memcpy(data, &val, size);
}

/* A 4-byte write into the table (the PBA is read-only); @offset aligned. */
static void msix_table_write32(struct vpci_msix *m, uint64_t offset, uint32_t val)
{
	struct msix_entry *e = &m->table[offset / MSIX_ENTRY_SIZE];

	switch (offset % MSIX_ENTRY_SIZE) {
	case MSIX_ENTRY_ADDR_LO:
		e->addr_lo = val & ~MSIX_ADDR_LO_RSVD;
		break;
	case MSIX_ENTRY_ADDR_HI:
		e->addr_hi = val;
		break;
	case MSIX_ENTRY_DATA:
		e->data = val;
		break;
	default:
		e->ctrl = val & MSIX_ENTRY_MASKED;	/* the rest is reserved */
		break;
	}
}

static void msix_bar_write(struct virtio_dev *dev, uint64_t offset, const void *data,
			   unsigned int size)
{
	struct vpci_msix *m = dev->msix;
	uint64_t val = 0;
	unsigned int i;

	__atomic_add_fetch(&m->bar_accesses, 1, __ATOMIC_RELAXED);
	if ((size != 4 && size != 8) || (offset & (size - 1)) ||
	    offset >= VPCI_MSIX_TABLE_OFF + m->nr * MSIX_ENTRY_SIZE)
		return;
	memcpy(&val, data, size);
	pthread_mutex_lock(&msix_lock);
	for (i = 0; i < size; i += 4)
		msix_table_write32(m, offset - VPCI_MSIX_TABLE_OFF + i, val >> (8 * i));
	msix_sync(dev);
	pthread_mutex_unlock(&msix_lock);
}

/* Config space written (pci.lock held): the MSI-X message control. */
static void vpci_cfg_written(struct pci_dev *pdev, unsigned int reg, unsigned int size)
{
	struct virtio_dev *dev = pdev->priv;
	struct vpci_msix *m = dev->msix;
	unsigned int ctrl_reg = m->cap + MSIX_CAP_CTRL;
	uint16_t ctrl;

	if (reg + size <= ctrl_reg || reg >= ctrl_reg + 2)
		return;
	ctrl = pci_cfg_read(pdev, ctrl_reg, 2);
	pthread_mutex_lock(&dev->lock);
	pthread_mutex_lock(&msix_lock);
	m->function_mask = ctrl & MSIX_CTRL_FMASK;
	atomic_store(&m->enabled, !!(ctrl & MSIX_CTRL_ENABLE));
	pthread_mutex_unlock(&msix_lock);
	msix_changed(dev);
	pthread_mutex_unlock(&dev->lock);
}

/* msix_config or queue_msix_vector written: a vector past the table is none. */
static void msix_map(struct virtio_dev *dev, unsigned int offset, uint16_t val)
{
	struct vpci_msix *m = dev->msix;
	uint32_t q;

	if (val >= m->nr)
		val = VIRTIO_MSI_NO_VECTOR;
	pthread_mutex_lock(&dev->lock);
	q = dev->queue_sel;
	if (offset == COMMON_MSIX_CONFIG)
		atomic_store(&m->config_vector, val);
	else if (q < dev->ops->nr_queues)
		atomic_store(&m->queue_vector[q], val);
	msix_changed(dev);
	pthread_mutex_unlock(&dev->lock);
}

/* A device reset (status 0): every event unmapped. */
static void msix_reset(struct virtio_dev *dev)
{
	struct vpci_msix *m = dev->msix;
	unsigned int q;

	pthread_mutex_lock(&dev->lock);
	atomic_store(&m->config_vector, VIRTIO_MSI_NO_VECTOR);
	for (q = 0; q < VIRTIO_MAX_QUEUES; q++)
		atomic_store(&m->queue_vector[q], VIRTIO_MSI_NO_VECTOR);
	msix_changed(dev);
	pthread_mutex_unlock(&dev->lock);
}

/**
 * virtio_pci_msix_start() - MSI-X from now on goes through @vm.
 * @vm:	the VM, its irqchip made, before the vCPUs run
 *
 * Without KVM_CAP_IRQFD or KVM_CAP_IRQ_ROUTING (or with VTXCTL_NO_IRQFD
 * set in the environment) every vector is delivered by KVM_SIGNAL_MSI;
 * without KVM_CAP_SIGNAL_MSI either, the capability is still offered but
 * the vectors warn and stay undelivered.
 *
 * Return: 0.
 */
int virtio_pci_msix_start(struct vm *vm)
{
	bool irqfd = ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD) > 0 &&
		     ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING) > 0;
	bool forced = getenv("VTXCTL_NO_IRQFD");

	if (msix_state.nr && (forced || !irqfd))
		fprintf(stderr, "vtxctl: %s: MSI-X by KVM_SIGNAL_MSI%s\n",
			forced ? "VTXCTL_NO_IRQFD" : "no KVM_CAP_IRQFD or KVM_CAP_IRQ_ROUTING",
			ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_SIGNAL_MSI) > 0 ? "" :
			", which is absent too: MSI-X messages are lost");
	pthread_mutex_lock(&msix_lock);
	msix_state.vm = vm;
	msix_state.no_irqfd = forced || !irqfd;
	msix_state.routes_ok = true;	/* no MSI route is needed yet */
	pthread_mutex_unlock(&msix_lock);
	return 0;
}

/* The end of the run: the irqfds go (the eventfds stay until vtxctl exits). */
void virtio_pci_msix_stop(void)
{
	unsigned int i, v;

	pthread_mutex_lock(&msix_lock);
	for (i = 0; i < msix_state.nr; i++) {
		struct vpci_msix *m = msix_state.devs[i]->msix;

		for (v = 0; v < m->nr; v++) {
			msix_bind(m, v, false);
			m->live[v] = false;
			atomic_store(&m->direct[v], false);
		}
	}
	msix_state.vm = NULL;
	pthread_mutex_unlock(&msix_lock);
}

/* The MSI-X capability, BAR1 and the vectors' eventfds of @dev. */
static int msix_add(struct virtio_dev *dev, unsigned int *at, uint8_t *prev_next)
{
	struct pci_dev *pdev = &dev->pci;
	struct vpci_msix *m = calloc(1, sizeof(*m));
	uint32_t table = VPCI_MSIX_TABLE_OFF | VPCI_MSIX_BAR;
	uint32_t pba = VPCI_MSIX_PBA_OFF | VPCI_MSIX_BAR;
	uint16_t ctrl;
	unsigned int v;

	if (!m || msix_state.nr == PCI_MAX_SLOTS) {
		fprintf(stderr, "vtxctl: %s: no room for MSI-X\n", dev->name);
		free(m);
		return -1;
	}
	m->cap = *at;
	m->nr = dev->ops->nr_queues + 1;
	m->gsi_base = IOAPIC_PINS + msix_state.nr * VPCI_MSIX_VECTORS;
	atomic_store(&m->config_vector, VIRTIO_MSI_NO_VECTOR);
	for (v = 0; v < VIRTIO_MAX_QUEUES; v++)
		atomic_store(&m->queue_vector[v], VIRTIO_MSI_NO_VECTOR);
	for (v = 0; v < VPCI_MSIX_VECTORS; v++) {
		m->table[v].ctrl = MSIX_ENTRY_MASKED;
		m->fd[v] = -1;
	}
	for (v = 0; v < m->nr; v++) {
		m->fd[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (m->fd[v] < 0) {
			perror("vtxctl: eventfd");
			return -1;
		}
	}
	ctrl = m->nr - 1;			/* table size - 1; disabled, unmasked */
	pdev->cfg[*at] = PCI_CAP_ID_MSIX;
	memcpy(&pdev->cfg[*at + MSIX_CAP_CTRL], &ctrl, sizeof(ctrl));
	memcpy(&pdev->cfg[*at + MSIX_CAP_TABLE], &table, sizeof(table));
	memcpy(&pdev->cfg[*at + MSIX_CAP_PBA], &pba, sizeof(pba));
	pdev->wmask[*at + MSIX_CAP_CTRL + 1] = (MSIX_CTRL_ENABLE | MSIX_CTRL_FMASK) >> 8;
	*prev_next = *at;
	*at += MSIX_CAP_LEN;
	pdev->bar_size[VPCI_MSIX_BAR] = VPCI_MSIX_BAR_SIZE;
	pdev->cfg_written = vpci_cfg_written;
	dev->msix = m;
	msix_state.devs[msix_state.nr++] = dev;
	return 0;
}

static const struct common_field *common_field(uint64_t offset, unsigned int size)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(common_fields); i++)
		if (common_fields[i].offset == offset && common_fields[i].width == size)
			return &common_fields[i];
	return NULL;
}

static uint32_t common_read(struct virtio_dev *dev, uint64_t offset, unsigned int size)
{
	const struct common_field *f = common_field(offset, size);

	if (!f)
		return 0;
	if (offset == COMMON_MSIX_CONFIG)
		return atomic_load(&dev->msix->config_vector);
	if (offset == COMMON_QUEUE_MSIX) {
		uint32_t q = __atomic_load_n(&dev->queue_sel, __ATOMIC_RELAXED);

		return q < dev->ops->nr_queues ? atomic_load(&dev->msix->queue_vector[q]) :
		       VIRTIO_MSI_NO_VECTOR;
	}
	if (offset == COMMON_QUEUE_NOTIFY_OFF)
		return virtio_reg_read(dev, VREG_QUEUE_NUM_MAX) ?
		       virtio_reg_read(dev, VREG_QUEUE_SEL) : 0;
	return virtio_reg_read(dev, f->reg);
}

static void common_write(struct virtio_dev *dev, uint64_t offset, uint32_t val,
			 unsigned int size)
{
	const struct common_field *f = common_field(offset, size);

	if (!f || offset == COMMON_QUEUE_NOTIFY_OFF)
		return;
	if (offset == COMMON_MSIX_CONFIG || offset == COMMON_QUEUE_MSIX) {
		msix_map(dev, offset, val);
		return;
	}
	virtio_reg_write(dev, f->reg, val);
	if (f->reg == VREG_STATUS && !val)
		msix_reset(dev);
}

static void vpci_bar_read(struct pci_dev *pdev, unsigned int bar, uint64_t offset,
			  void *data, unsigned int size)
{
	struct virtio_dev *dev = pdev->priv;
	uint32_t val = 0;

	memset(data, 0, size);
	if (bar == VPCI_MSIX_BAR) {
		msix_bar_read(dev, offset, data, size);
		return;
	}
	if (size > sizeof(val))
		return;
	if (offset >= VPCI_DEVICE_OFF && offset < VPCI_DEVICE_OFF + VPCI_DEVICE_LEN) {
		virtio_config_read(dev, offset - VPCI_DEVICE_OFF, data, size);
		return;
	}
	if (offset < VPCI_COMMON_OFF + VPCI_COMMON_LEN) {
		val = common_read(dev, offset - VPCI_COMMON_OFF, size);
	} else if (offset == VPCI_ISR_OFF && size == VPCI_ISR_LEN) {
		__atomic_add_fetch(&dev->isr_reads, 1, __ATOMIC_RELAXED);
		val = virtio_reg_read(dev, VREG_ISR_TAKE);
	}
	memcpy(data, &val, size);
}

static void vpci_bar_write(struct pci_dev *pdev, unsigned int bar, uint64_t offset,
			   const void *data, unsigned int size)
{
	struct virtio_dev *dev = pdev->priv;
	uint64_t notify_end = VPCI_NOTIFY_OFF + dev->ops->nr_queues * VPCI_NOTIFY_MULT;
	uint32_t val = 0;

	if (bar == VPCI_MSIX_BAR) {
		msix_bar_write(dev, offset, data, size);
		return;
	}
	if (size > sizeof(val))
		return;
	memcpy(&val, data, size);
	if (offset < VPCI_COMMON_OFF + VPCI_COMMON_LEN) {
		common_write(dev, offset - VPCI_COMMON_OFF, val, size);
	} else if (offset >= VPCI_NOTIFY_OFF && offset < notify_end &&
		   !(offset % VPCI_NOTIFY_MULT)) {
		/* A notification that no KVM_IOEVENTFD took: the address says which. */
		virtio_reg_write(dev, VREG_QUEUE_NOTIFY,
				 (offset - VPCI_NOTIFY_OFF) / VPCI_NOTIFY_MULT);
	}
}

/* BAR0 moved (pci.lock held): so do the notification registers. */
static void vpci_bar_moved(struct pci_dev *pdev, unsigned int bar, uint64_t addr)
{
	if (bar == 0)
		virtio_notify_move(pdev->priv, addr ? addr + VPCI_NOTIFY_OFF : 0);
}

/* Append capability @type at *@at, linked from @prev_next; returns it. */
static struct vpci_cap *add_cap(struct pci_dev *pdev, unsigned int *at, uint8_t *prev_next,
				uint8_t type, uint32_t offset, uint32_t length, unsigned int len)
{
	struct vpci_cap cap = {
		.cap_vndr = PCI_CAP_ID_VNDR,
		.cap_len = len,
		.cfg_type = type,
		.bar = 0,
		.offset = offset,
		.length = length,
	};
	struct vpci_cap *p = (void *)&pdev->cfg[*at];

	memcpy(p, &cap, sizeof(cap));
	*prev_next = *at;
	*at += len;
	return p;
}

/* The PCI class of a virtio device: storage for blk, "other" otherwise. */
static uint32_t vpci_class(uint32_t device_id)
{
	return device_id == VIRTIO_ID_BLOCK ? 0x018000 : 0xff0000;
}

/**
 * virtio_pci_add() - put @dev in the next PCI slot, modern virtio-pci.
 * @dev:	a device from virtio_add()
 *
 * After pci_init().  Return: 0, or -1 after printing why not.
 */
int virtio_pci_add(struct virtio_dev *dev)
{
	struct pci_dev *pdev = &dev->pci;
	uint16_t id16 = VIRTIO_PCI_DEVICE_ID_BASE + dev->ops->device_id;
	uint16_t vendor = PCI_VENDOR_ID_REDHAT_QUMRANET, sub = dev->ops->device_id;
	uint32_t mult = VPCI_NOTIFY_MULT, cls = vpci_class(dev->ops->device_id);
	unsigned int at = CFG_CAPS;
	struct vpci_cap *cap;
	uint8_t *link;

	pdev->name = dev->name;
	memcpy(&pdev->cfg[CFG_VENDOR], &vendor, 2);
	memcpy(&pdev->cfg[CFG_DEVICE], &id16, 2);
	pdev->cfg[CFG_STATUS] = PCI_STATUS_CAP_LIST;
	pdev->cfg[CFG_REVISION] = VPCI_REVISION;
	memcpy(&pdev->cfg[CFG_CLASS], &cls, 3);
	memcpy(&pdev->cfg[CFG_SUBVENDOR], &vendor, 2);
	memcpy(&pdev->cfg[CFG_SUBSYSTEM], &sub, 2);
	pdev->cfg[CFG_INT_PIN] = PCI_INTERRUPT_PIN_A;

	link = &pdev->cfg[CFG_CAP_PTR];
	cap = add_cap(pdev, &at, link, VIRTIO_PCI_CAP_COMMON_CFG, VPCI_COMMON_OFF,
		      VPCI_COMMON_LEN, sizeof(*cap));
	cap = add_cap(pdev, &at, &cap->cap_next, VIRTIO_PCI_CAP_NOTIFY_CFG, VPCI_NOTIFY_OFF,
		      dev->ops->nr_queues * VPCI_NOTIFY_MULT, sizeof(*cap) + sizeof(mult));
	memcpy(cap + 1, &mult, sizeof(mult));	/* notify_off_multiplier */
	cap = add_cap(pdev, &at, &cap->cap_next, VIRTIO_PCI_CAP_ISR_CFG, VPCI_ISR_OFF,
		      VPCI_ISR_LEN, sizeof(*cap));
	cap = add_cap(pdev, &at, &cap->cap_next, VIRTIO_PCI_CAP_DEVICE_CFG, VPCI_DEVICE_OFF,
		      VPCI_DEVICE_LEN, sizeof(*cap));
	if (msix_add(dev, &at, &cap->cap_next))
		return -1;

	pdev->bar_size[0] = VPCI_BAR_SIZE;
	pdev->bar_read = vpci_bar_read;
	pdev->bar_write = vpci_bar_write;
	pdev->bar_moved = vpci_bar_moved;
	pdev->priv = dev;
	dev->notify_stride = VPCI_NOTIFY_MULT;
	dev->notify_len = VPCI_NOTIFY_WIDTH;
	dev->level = true;
	if (pci_add(pdev, true))
		return -1;
	dev->irq = pdev->gsi;
	return 0;
}
