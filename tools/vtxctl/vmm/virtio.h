/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio 1.x devices over virtio-mmio (virtio.c: the transport, the split
 * virtqueues and their I/O threads; virtio_blk.c, virtio_rng.c: devices).
 */
#ifndef VTXCTL_VIRTIO_H
#define VTXCTL_VIRTIO_H

#include <stdatomic.h>
#include <sys/uio.h>

#include "vmm.h"

#define VIRTIO_ID_BLOCK		2
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
	/* At the end of the run, after the I/O threads stopped. */
	void (*shutdown)(struct virtio_dev *dev);
	/* Statistics line for the summary. */
	void (*print_stats)(struct virtio_dev *dev);
};

struct virtio_dev {
	const struct virtio_ops *ops;
	char name[16];			/* "blk0", "rng0" */
	struct io_dev io;
	struct vm *vm;
	unsigned int irq;		/* ISA line and GSI */
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
	void *priv;
};

/* virtio.c */
int virtio_add(struct virtio_dev *dev);
int virtio_start(struct vm *vm);
void virtio_stop(void);
void virtio_print_stats(void);
/* Append the devices' "virtio_mmio.device=" words to @buf. */
int virtio_cmdline(char *buf, size_t len);
unsigned int virtio_nr_devices(void);
void virtio_set_needs_reset(struct virtio_dev *dev, const char *why);

/* virtio_blk.c, virtio_rng.c */
int virtio_blk_add(const char *spec);
int virtio_rng_add(void);

#endif /* VTXCTL_VIRTIO_H */
