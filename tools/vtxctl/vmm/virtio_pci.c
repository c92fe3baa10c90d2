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
 * Interrupts: INTx, not MSI-X.  INTA# is level triggered on an IOAPIC pin
 * of its own (pci.c, the MP table's I/O interrupt entry), raised through a
 * KVM_IRQFD with a resample fd: the line stays up until the guest's EOI,
 * then the kernel lowers it and signals the resample fd, and the device
 * raises it again if the ISR still has bits the driver has not read.  The
 * driver's ISR read clears them.  MSI-X would need a table and PBA in the
 * BAR, KVM_SET_GSI_ROUTING entries rewritten on every vector change and
 * mask/pending emulation; one shared line per device is the smaller
 * model for two queues per device, and the datapath stays in the kernel
 * (ioeventfd in, irqfd out) either way.  VIRTIO_PCI_CAP_PCI_CFG (the
 * config-space window onto the BARs) is not offered: Linux never uses it.
 */
#include <string.h>

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
#define VIRTIO_MSI_NO_VECTOR	0xffff

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
	if (offset == COMMON_MSIX_CONFIG || offset == COMMON_QUEUE_MSIX)
		return VIRTIO_MSI_NO_VECTOR;	/* no MSI-X: INTx */
	if (offset == COMMON_QUEUE_NOTIFY_OFF)
		return virtio_reg_read(dev, VREG_QUEUE_NUM_MAX) ?
		       virtio_reg_read(dev, VREG_QUEUE_SEL) : 0;
	return virtio_reg_read(dev, f->reg);
}

static void common_write(struct virtio_dev *dev, uint64_t offset, uint32_t val,
			 unsigned int size)
{
	const struct common_field *f = common_field(offset, size);

	/* msix vectors and queue_notify_off are read-only here */
	if (!f || f->reg == VREG_NONE || offset == COMMON_QUEUE_NOTIFY_OFF)
		return;
	virtio_reg_write(dev, f->reg, val);
}

static void vpci_bar_read(struct pci_dev *pdev, unsigned int bar, uint64_t offset,
			  void *data, unsigned int size)
{
	struct virtio_dev *dev = pdev->priv;
	uint32_t val = 0;

	(void)bar;
	memset(data, 0, size);
	if (size > sizeof(val))
		return;
	if (offset >= VPCI_DEVICE_OFF && offset < VPCI_DEVICE_OFF + VPCI_DEVICE_LEN) {
		virtio_config_read(dev, offset - VPCI_DEVICE_OFF, data, size);
		return;
	}
	if (offset < VPCI_COMMON_OFF + VPCI_COMMON_LEN)
		val = common_read(dev, offset - VPCI_COMMON_OFF, size);
	else if (offset == VPCI_ISR_OFF && size == VPCI_ISR_LEN)
		val = virtio_reg_read(dev, VREG_ISR_TAKE);
	memcpy(data, &val, size);
}

static void vpci_bar_write(struct pci_dev *pdev, unsigned int bar, uint64_t offset,
			   const void *data, unsigned int size)
{
	struct virtio_dev *dev = pdev->priv;
	uint64_t notify_end = VPCI_NOTIFY_OFF + dev->ops->nr_queues * VPCI_NOTIFY_MULT;
	uint32_t val = 0;

	(void)bar;
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
	add_cap(pdev, &at, &cap->cap_next, VIRTIO_PCI_CAP_DEVICE_CFG, VPCI_DEVICE_OFF,
		VPCI_DEVICE_LEN, sizeof(*cap));

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
