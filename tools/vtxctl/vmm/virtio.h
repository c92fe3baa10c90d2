/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio 1.x devices (virtio.c: the registers' meaning, the split
 * virtqueues and their I/O threads, the virtio-mmio transport;
 * virtio_pci.c: the virtio-pci transport; virtio_blk.c, virtio_rng.c,
 * virtio_net.c, virtio_console.c: devices).
 */
#ifndef VTXCTL_VIRTIO_H
#define VTXCTL_VIRTIO_H

#include <stdatomic.h>
#include <sys/uio.h>

#include "vmm.h"

#define VIRTIO_ID_NET		1
#define VIRTIO_ID_BLOCK		2
#define VIRTIO_ID_CONSOLE	3
#define VIRTIO_ID_RNG		4

#define VIRTIO_F_VERSION_1	32

/* virtio-blk requests (virtio 1.2, 5.2.6): the header, types, statuses. */
struct virtio_blk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

#define VIRTIO_BLK_T_IN		0
#define VIRTIO_BLK_T_OUT	1
#define VIRTIO_BLK_T_FLUSH	4
#define VIRTIO_BLK_T_GET_ID	8
#define VIRTIO_BLK_ID_BYTES	20

#define VIRTIO_BLK_S_OK		0
#define VIRTIO_BLK_S_IOERR	1
#define VIRTIO_BLK_S_UNSUPP	2

#define VIRTIO_MAX_QUEUES	2
/* QueueNumMax: the longest split ring a driver may set up. */
#define VIRTIO_QUEUE_MAX	128

/* One element of a descriptor chain, checked against guest RAM. */
struct virtio_buf {
	void *hva;
	uint32_t len;
	bool writable;			/* device writes it (VIRTQ_DESC_F_WRITE) */
};

struct virtio_dev;

/* A split virtqueue and its I/O thread. */
struct virtio_queue {
	struct virtio_dev *dev;
	unsigned int index;
	/* Registers the driver writes (under dev->lock and queue_lock[index]). */
	uint16_t num;
	bool ready;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	/* Validated host addresses, set when the driver writes QueueReady = 1. */
	struct virtq_desc *desc;
	uint16_t *avail;		/* flags, idx, ring[num] */
	uint8_t *used;			/* flags, idx, ring[num] of {id, len} */
	uint16_t last_avail;		/* the next avail entry the device takes */
	uint16_t used_idx;
	int kick_fd;			/* eventfd: KVM_IOEVENTFD on QueueNotify */
	pthread_t thread;
	bool thread_started;
	uint64_t kicks;			/* eventfd wake-ups (notifications seen) */
	uint64_t kicks_by_exit;		/* QueueNotify writes that reached vtxctl */
	uint64_t requests;		/* chains completed */
	bool in_kernel;			/* served by vhost: no I/O thread reads kick_fd */
	struct virtio_buf bufs[VIRTIO_QUEUE_MAX];
};

/* A device model: its identity, feature bits, config space and requests. */
struct virtio_ops {
	uint32_t device_id;
	unsigned int nr_queues;
	uint64_t features;		/* device-specific bits, VERSION_1 is added */
	/* Config space read of @size bytes at @offset; false if outside it. */
	bool (*config_read)(struct virtio_dev *dev, uint64_t offset, void *data,
			    unsigned int size);
	/*
	 * Handle one chain of @nbufs buffers on queue @q (called on the
	 * queue's I/O thread with dev->lock held).  Returns the bytes written
	 * into the chain's writable buffers (the used element's len).
	 */
	uint32_t (*request)(struct virtio_dev *dev, struct virtio_queue *q,
			    struct virtio_buf *bufs, unsigned int nbufs);
	/*
	 * Optional: start the device's own threads (in q->thread, joined by
	 * virtio_stop()) instead of virtio.c's queue threads, which then call
	 * no request().  After the eventfds and KVM bindings exist.
	 */
	int (*start)(struct virtio_dev *dev);
	/*
	 * Optional: the driver wrote Status (@val; 0 is a reset, called before
	 * the queues are forgotten), with dev->lock held.
	 */
	void (*status)(struct virtio_dev *dev, uint32_t old, uint32_t val);
	/* At the end of the run, after the I/O threads stopped. */
	void (*shutdown)(struct virtio_dev *dev);
	/* Statistics line for the summary. */
	void (*print_stats)(struct virtio_dev *dev);
	/*
	 * Optional: MSI-X was enabled or disabled, or a queue's vector changed
	 * (virtio_pci.c; dev->lock held): vhost-net's calls follow it.
	 */
	void (*irq_changed)(struct virtio_dev *dev);
};

enum virtio_transport {
	VIRTIO_PCI,
	VIRTIO_MMIO,
};

/*
 * The registers common to the transports, which map their own layout on
 * these (virtio_reg_read(), virtio_reg_write()).
 */
enum virtio_reg {
	VREG_DEV_FEATURES_SEL,
	VREG_DEV_FEATURES,
	VREG_DRV_FEATURES_SEL,
	VREG_DRV_FEATURES,
	VREG_NUM_QUEUES,
	VREG_STATUS,
	VREG_CONFIG_GEN,
	VREG_QUEUE_SEL,
	VREG_QUEUE_NUM_MAX,
	VREG_QUEUE_NUM,			/* PCI reads it: the size, max until set */
	VREG_QUEUE_READY,
	VREG_QUEUE_NOTIFY,		/* the value: a queue index */
	VREG_QUEUE_DESC_LO,
	VREG_QUEUE_DESC_HI,
	VREG_QUEUE_AVAIL_LO,
	VREG_QUEUE_AVAIL_HI,
	VREG_QUEUE_USED_LO,
	VREG_QUEUE_USED_HI,
	VREG_ISR,			/* virtio-mmio: read */
	VREG_ISR_ACK,			/* virtio-mmio: write 1s to clear */
	VREG_ISR_TAKE,			/* virtio-pci: read and clear */
	VREG_NONE,
};

/* MSI-X of virtio-pci: a vector per queue and one for configuration changes. */
#define VPCI_MSIX_VECTORS	(VIRTIO_MAX_QUEUES + 1)
#define VIRTIO_MSI_NO_VECTOR	0xffff

/* One MSI-X table entry, as the guest sees it (PCI 3.0, 6.8.2.8). */
struct msix_entry {
	uint32_t addr_lo;
	uint32_t addr_hi;
	uint32_t data;
	uint32_t ctrl;			/* bit 0: the vector is masked */
};

/*
 * A virtio-pci function's MSI-X (virtio_pci.c).  Each vector has an
 * eventfd, which the I/O threads or vhost-net write; while the vector is
 * live (MSI-X enabled, the function and the entry unmasked, the vector
 * mapped to a queue or to configuration changes, a message to the local
 * APICs) that eventfd is a KVM_IRQFD on the vector's GSI, routed by
 * KVM_SET_GSI_ROUTING to the table's message.  Otherwise the irqfd is gone
 * and the count waits in the eventfd: the pending bit.
 */
struct vpci_msix {
	unsigned int cap;		/* the capability's config-space offset */
	unsigned int nr;		/* table size: the device's queues + 1 */
	unsigned int gsi_base;		/* vector v's GSI: gsi_base + v */
	int fd[VPCI_MSIX_VECTORS];	/* eventfds, one per vector */
	/* The interrupt path reads these without a lock. */
	_Atomic bool enabled;		/* MSI-X Enable: MSI-X, not INTx */
	_Atomic uint16_t config_vector;	/* msix_config */
	_Atomic uint16_t queue_vector[VIRTIO_MAX_QUEUES];	/* queue_msix_vector */
	/* Under virtio_pci.c's msix_lock: */
	bool function_mask;
	struct msix_entry table[VPCI_MSIX_VECTORS];
	struct msix_entry routed[VPCI_MSIX_VECTORS];	/* the live ones' routes */
	bool live[VPCI_MSIX_VECTORS];	/* routed, the irqfd assigned */
	bool bound[VPCI_MSIX_VECTORS];	/* KVM took the irqfd */
	/* Live without an irqfd: delivered by KVM_SIGNAL_MSI (read unlocked). */
	_Atomic bool direct[VPCI_MSIX_VECTORS];
	/* Counters (atomic). */
	uint64_t signals;		/* eventfd writes by vtxctl's threads */
	uint64_t no_vector;		/* interrupts of an unmapped queue: dropped */
	uint64_t kvm_errors;		/* KVM_IRQFD refusals */
	uint64_t direct_signals;	/* KVM_SIGNAL_MSI calls (msix_lock) */
	uint64_t direct_errors;		/* KVM_SIGNAL_MSI refusals (msix_lock) */
	uint64_t bar_accesses;		/* BAR1 (table, PBA) accesses: MMIO exits */
};

struct virtio_dev {
	const struct virtio_ops *ops;
	char name[16];			/* "blk0", "rng0" */
	struct io_dev io;		/* virtio-mmio */
	struct pci_dev pci;		/* virtio-pci */
	struct vm *vm;
	unsigned int irq;		/* GSI: an ISA line (mmio), an IOAPIC pin (pci) */
	/* INTx (virtio-pci): level triggered, KVM_IRQFD with a resample fd. */
	bool level;
	int resample_fd;		/* eventfd, or -1 */
	/*
	 * Where queue n's notification is written: notify_base + n *
	 * notify_stride, notify_len bytes, the queue index (0: nowhere).
	 * Changed with pci.lock held (virtio-pci) or before the vCPUs run.
	 */
	uint64_t notify_base;
	unsigned int notify_stride, notify_len;
	bool notify_bound;		/* the KVM_IOEVENTFDs are at notify_base */
	/*
	 * lock: the registers the driver writes, the queues' rings while an
	 * I/O thread walks them, and the device's own state.
	 */
	pthread_mutex_t lock;
	/* Per queue: its ring state, while the I/O thread walks it (after lock). */
	pthread_mutex_t queue_lock[VIRTIO_MAX_QUEUES];
	uint32_t status;		/* atomic: the I/O threads read it */
	uint32_t dev_features_sel, drv_features_sel, queue_sel;
	uint64_t drv_features;
	_Atomic uint32_t isr;		/* InterruptStatus */
	int irq_fd;			/* eventfd: KVM_IRQFD on @irq, or -1 */
	bool use_irqfd;			/* KVM_IRQFD accepted it */
	bool notify_ioeventfd;		/* QueueNotify is a KVM_IOEVENTFD */
	struct virtio_queue queues[VIRTIO_MAX_QUEUES];
	uint64_t interrupts;
	uint64_t resamples;		/* INTx EOIs seen on resample_fd */
	uint64_t notify_moves;		/* notification address changes */
	uint64_t isr_reads;		/* virtio-pci ISR reads (MMIO exits) */
	struct vpci_msix *msix;		/* virtio-pci, or NULL */
	void *priv;
};

/* virtio.c */
int virtio_add(struct virtio_dev *dev);
/* Put the devices on @t (after the options, before virtio_start()). */
int virtio_attach(enum virtio_transport t);
int virtio_start(struct vm *vm);
uint32_t virtio_reg_read(struct virtio_dev *dev, enum virtio_reg reg);
void virtio_reg_write(struct virtio_dev *dev, enum virtio_reg reg, uint32_t val);
void virtio_config_read(struct virtio_dev *dev, uint64_t offset, void *data,
			unsigned int size);
void virtio_notify_move(struct virtio_dev *dev, uint64_t base);
void virtio_stop(void);
void virtio_print_stats(void);
/* Append the devices' "virtio_mmio.device=" words to @buf. */
int virtio_cmdline(char *buf, size_t len);
unsigned int virtio_nr_devices(void);
void virtio_set_needs_reset(struct virtio_dev *dev, const char *why);
/* For devices with their own threads (ops->start): see virtio.c. */
int virtio_stop_fd(void);
void virtio_serve_kicks(struct virtio_queue *q, const char *who,
			bool (*serve)(void *arg), void *arg);
int virtio_pop(struct virtio_queue *q, uint16_t *head);
void virtio_unpop(struct virtio_queue *q);
void virtio_push(struct virtio_queue *q, uint16_t head, uint32_t len);
bool virtio_want_interrupt(struct virtio_queue *q);
void virtio_interrupt(struct virtio_dev *dev, uint32_t bits);
void virtio_queue_interrupt(struct virtio_queue *q);
void virtio_resample(struct virtio_dev *dev);

#define VIRTIO_STATUS_ACKNOWLEDGE	0x01
#define VIRTIO_STATUS_DRIVER		0x02
#define VIRTIO_STATUS_DRIVER_OK		0x04
#define VIRTIO_STATUS_FEATURES_OK	0x08
#define VIRTIO_STATUS_NEEDS_RESET	0x40
#define VIRTIO_STATUS_FAILED		0x80

#define VIRTIO_INT_USED			0x1
#define VIRTIO_INT_CONFIG		0x2

/* virtio_pci.c */
int virtio_pci_add(struct virtio_dev *dev);
bool virtio_pci_msix_signal(struct virtio_dev *dev, int queue);
int virtio_pci_call_fd(struct virtio_dev *dev, unsigned int queue);
int virtio_pci_msix_start(struct vm *vm);
void virtio_pci_msix_stop(void);
unsigned int virtio_pci_msix_routes(struct kvm_irq_routing_entry *e, unsigned int max);
uint64_t virtio_pci_msix_route_sets(void);

/* virtio_blk.c, virtio_rng.c, virtio_net.c, virtio_console.c */
int virtio_blk_add(const char *spec);
int virtio_rng_add(void);
int virtio_net_add(const char *spec);
int virtio_console_add(int in_fd, int out_fd);

#endif /* VTXCTL_VIRTIO_H */
