// SPDX-License-Identifier: GPL-2.0
/*
 * virtio 1.x devices for the Linux guests of "vtxctl run --kernel": the
 * registers' meaning, common to the transports (virtio_reg_read(),
 * virtio_reg_write(), virtio_config_read()), the split virtqueues and
 * their I/O threads, and the virtio-mmio transport (the virtio spec 1.2,
 * 4.2).  virtio_pci.c is the other transport (4.1); a transport maps its
 * register layout on the common registers and sets where the queue
 * notifications are written (notify_base, notify_stride, notify_len), and
 * virtio_attach() puts every device on the one --virtio chose.
 *
 * virtio-mmio: each device gets a 4 KiB register window from
 * VIRTIO_MMIO_BASE up and an ISA interrupt line from virtio_irqs[];
 * cmd_run.c appends one "virtio_mmio.device=4K@<base>:<irq>" word per
 * device to the kernel command line, which is how a guest without PCI,
 * ACPI or a device tree learns of them (CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES).
 *
 * The split of the work:
 *   - the registers (features, status, queue set-up, InterruptStatus,
 *     config space) are MMIO exits handled on the vCPU thread, through
 *     io.c, under dev->lock;
 *   - QueueNotify never reaches vtxctl's vCPU thread: a KVM_IOEVENTFD on
 *     its address (4 bytes, datamatch = the queue index) signals the
 *     queue's eventfd inside the kernel, and the queue's I/O thread wakes,
 *     walks the available ring and completes the chains under q->lock;
 *   - the completion interrupt is a KVM_IRQFD on the device's GSI (its ISA
 *     line, which the in-kernel irqchip's default routing connects to PIC
 *     input and IOAPIC pin of the same number), written by the I/O thread.
 *
 * The lines are edge triggered (ISA lines, as the MP table describes
 * them), so the irqfd has no resample fd: each completion batch is one
 * edge (the irqfd raises and lowers the line).  That is safe for virtio:
 * the driver's handler reads and acknowledges InterruptStatus, then takes
 * every used entry there is, and re-checks the used ring after it enables
 * callbacks again; an edge that arrives while the handler runs stays
 * pending in the IOAPIC/LAPIC and runs it once more.  No completion waits
 * for an interrupt that was merged into an earlier one.  InterruptStatus
 * itself keeps its level semantics: bits are set by the device and stay
 * set until the driver writes them to InterruptACK.
 *
 * A device whose work does not come only from the driver's notifications
 * (virtio-net: frames arrive from the tap) runs threads of its own instead
 * (ops->start), taking chains with virtio_pop() and completing them with
 * virtio_push() under the queue's lock, with the same rules; a device
 * served by vhost (q->in_kernel) has no thread reading its kick_fd at all.
 * ops->status sees the driver's status writes (vhost starts at DRIVER_OK
 * and stops at a reset).
 *
 * When a driver lacks KVM_IOEVENTFD or KVM_IRQFD the same threads are used:
 * QueueNotify exits write the queue's eventfd on the vCPU thread (counted
 * as kicks_by_exit), and interrupts are two KVM_IRQ_LINE calls.
 *
 * The guest is hostile: a ring is accepted at QueueReady only when its
 * size is a power of two up to VIRTIO_QUEUE_MAX and its three parts are
 * aligned and inside guest RAM; each descriptor is copied once and its
 * buffer checked against guest RAM before use; a chain is at most the
 * queue size long (which also ends loops); next indexes must be inside the
 * ring, writable buffers come after the readable ones, indirect
 * descriptors are refused (VIRTIO_F_INDIRECT_DESC is not offered), and an
 * available index more than the queue size ahead is refused.  A refused
 * ring sets DEVICE_NEEDS_RESET and the queue stops until the driver resets
 * the device; nothing in vtxctl reads or writes outside guest RAM.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "virtio.h"

#define VIRTIO_MMIO_BASE	0xd0000000ULL
#define VIRTIO_MMIO_STRIDE	0x1000ULL
#define VIRTIO_MAX_DEVS		8

/*
 * ISA lines no other device of vtxctl's PC uses (4 is the UART's, 8 the
 * RTC's; no COM2, PS/2 mouse or IDE here).
 */
static const unsigned int virtio_irqs[VIRTIO_MAX_DEVS] = { 5, 6, 7, 9, 10, 11, 3, 12 };

/* The virtio-mmio registers (version 2). */
#define VIRTIO_MMIO_MAGIC_VALUE		0x000
#define VIRTIO_MMIO_VERSION		0x004
#define VIRTIO_MMIO_DEVICE_ID		0x008
#define VIRTIO_MMIO_VENDOR_ID		0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES	0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL	0x014
#define VIRTIO_MMIO_DRIVER_FEATURES	0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL	0x024
#define VIRTIO_MMIO_QUEUE_SEL		0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX	0x034
#define VIRTIO_MMIO_QUEUE_NUM		0x038
#define VIRTIO_MMIO_QUEUE_READY		0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY	0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS	0x060
#define VIRTIO_MMIO_INTERRUPT_ACK	0x064
#define VIRTIO_MMIO_STATUS		0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW	0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH	0x084
#define VIRTIO_MMIO_QUEUE_AVAIL_LOW	0x090
#define VIRTIO_MMIO_QUEUE_AVAIL_HIGH	0x094
#define VIRTIO_MMIO_QUEUE_USED_LOW	0x0a0
#define VIRTIO_MMIO_QUEUE_USED_HIGH	0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION	0x0fc
#define VIRTIO_MMIO_CONFIG		0x100

#define VIRTIO_MMIO_MAGIC		0x74726976	/* "virt" */
#define VIRTIO_MMIO_VERSION_MODERN	2
#define VIRTIO_VENDOR_VTXCTL		0x43585456	/* "VTXC" */

/* Split virtqueue layout (virtio 1.2, 2.7). */
struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

#define VIRTQ_DESC_F_NEXT		1
#define VIRTQ_DESC_F_WRITE		2
#define VIRTQ_DESC_F_INDIRECT		4
#define VIRTQ_AVAIL_F_NO_INTERRUPT	1
#define VIRTQ_DESC_ALIGN		16
#define VIRTQ_AVAIL_ALIGN		2
#define VIRTQ_USED_ALIGN		4
#define VIRTQ_USED_ELEM_SIZE		8
#define VIRTQ_RING_HDR			4	/* flags and idx */

static struct virtio_state {
	struct virtio_dev *devs[VIRTIO_MAX_DEVS];
	unsigned int nr;
	int stop_fd;			/* eventfd: written once, ends the I/O threads */
	bool started;
	enum virtio_transport transport;
} vs = {
	.stop_fd = -1,
};

unsigned int virtio_nr_devices(void)
{
	return vs.nr;
}

static uint32_t dev_status(struct virtio_dev *dev)
{
	return __atomic_load_n(&dev->status, __ATOMIC_ACQUIRE);
}

/* INTx (virtio-pci without MSI-X) or virtio-mmio's line: ISR bits, then the line. */
static void raise_line(struct virtio_dev *dev, uint32_t bits)
{
	uint64_t one = 1;

	atomic_fetch_or(&dev->isr, bits);
	if (dev->irq_fd >= 0) {
		if (write(dev->irq_fd, &one, sizeof(one)) != sizeof(one))
			perror("vtxctl: virtio irqfd");
		return;
	}
	vm_irq_line(dev->vm, dev->irq, true);
	if (!dev->level)
		vm_irq_line(dev->vm, dev->irq, false);
}

/**
 * virtio_interrupt() - a configuration change interrupt.
 * @dev:	the device
 * @bits:	VIRTIO_INT_CONFIG (VIRTIO_INT_USED: see virtio_queue_interrupt())
 *
 * Sets @bits in InterruptStatus, then the vector mapped to configuration
 * changes (virtio-pci with MSI-X enabled), or one edge (virtio-mmio), or
 * asserts INTx until the guest's EOI (KVM_IRQFD with a resample fd) or its
 * ISR read (KVM_IRQ_LINE).
 */
void virtio_interrupt(struct virtio_dev *dev, uint32_t bits)
{
	__atomic_add_fetch(&dev->interrupts, 1, __ATOMIC_RELAXED);
	atomic_fetch_or(&dev->isr, bits & VIRTIO_INT_CONFIG);
	if (!(bits & VIRTIO_INT_CONFIG) || !virtio_pci_msix_signal(dev, -1))
		raise_line(dev, bits);
}

/**
 * virtio_queue_interrupt() - queue @q used buffers: interrupt the driver.
 * @q:	the queue
 *
 * Its MSI-X vector with MSI-X enabled (no ISR bit: the driver reads none),
 * else VIRTIO_INT_USED in the ISR and the line.
 */
void virtio_queue_interrupt(struct virtio_queue *q)
{
	__atomic_add_fetch(&q->dev->interrupts, 1, __ATOMIC_RELAXED);
	if (!virtio_pci_msix_signal(q->dev, q->index))
		raise_line(q->dev, VIRTIO_INT_USED);
}

/**
 * virtio_resample() - the guest's EOI lowered the INTx line.
 * @dev:	the device, whose resample_fd is readable (KVM_IRQFD_FLAG_RESAMPLE)
 *
 * Raises the line again while InterruptStatus has bits the driver has not
 * read.  The thread that polls resample_fd calls it.
 */
void virtio_resample(struct virtio_dev *dev)
{
	uint64_t n, one = 1;

	if (read(dev->resample_fd, &n, sizeof(n)) != sizeof(n))
		return;
	__atomic_add_fetch(&dev->resamples, 1, __ATOMIC_RELAXED);
	if (atomic_load(&dev->isr) && write(dev->irq_fd, &one, sizeof(one)) != sizeof(one))
		perror("vtxctl: virtio irqfd");
}

/**
 * virtio_set_needs_reset() - the driver broke the device's rules.
 * @dev:	the device
 * @why:	what it did, for a one-line warning
 *
 * Sets DEVICE_NEEDS_RESET and signals a configuration change, as the spec
 * asks; the queues stop processing until the driver writes status 0.
 */
void virtio_set_needs_reset(struct virtio_dev *dev, const char *why)
{
	uint32_t old = __atomic_fetch_or(&dev->status, VIRTIO_STATUS_NEEDS_RESET,
					 __ATOMIC_ACQ_REL);

	if (old & VIRTIO_STATUS_NEEDS_RESET)
		return;
	fprintf(stderr, "vtxctl: virtio %s: %s; the device needs a reset\n", dev->name, why);
	if (old & VIRTIO_STATUS_DRIVER_OK)
		virtio_interrupt(dev, VIRTIO_INT_CONFIG);
}

/* Copy descriptor @i of @q (the guest may change it under us: read once). */
static struct virtq_desc read_desc(struct virtio_queue *q, unsigned int i)
{
	struct virtq_desc d;

	memcpy(&d, (const void *)&q->desc[i], sizeof(d));
	return d;
}

/*
 * Collect the chain that starts at @head into q->bufs.  Returns the number
 * of buffers, or -1 (with @why set) if the chain breaks a rule.
 */
static int walk_chain(struct virtio_queue *q, unsigned int head, const char **why)
{
	unsigned int i = head, n = 0;
	bool seen_writable = false;

	for (;;) {
		struct virtq_desc d;
		void *hva;

		if (i >= q->num) {
			*why = "a descriptor index outside the ring";
			return -1;
		}
		if (n == q->num) {
			*why = "a descriptor chain longer than the ring (a loop)";
			return -1;
		}
		d = read_desc(q, i);
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			*why = "an indirect descriptor (not negotiated)";
			return -1;
		}
		hva = gpa_to_hva(q->dev->vm, d.addr, d.len);
		if (!hva) {
			*why = "a buffer outside guest RAM";
			return -1;
		}
		if (!(d.flags & VIRTQ_DESC_F_WRITE) && seen_writable) {
			*why = "a readable buffer after a writable one";
			return -1;
		}
		seen_writable |= d.flags & VIRTQ_DESC_F_WRITE;
		q->bufs[n].hva = hva;
		q->bufs[n].len = d.len;
		q->bufs[n].writable = d.flags & VIRTQ_DESC_F_WRITE;
		n++;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return n;
		i = d.next;
	}
}

/**
 * virtio_push() - complete chain @head with @len bytes written into it.
 * @q:		the queue, its lock held
 * @head:	the head index virtio_pop() gave
 * @len:	bytes the device wrote (the used element's len)
 */
void virtio_push(struct virtio_queue *q, uint16_t head, uint32_t len)
{
	uint8_t *elem = q->used + VIRTQ_RING_HDR +
			(size_t)(q->used_idx % q->num) * VIRTQ_USED_ELEM_SIZE;
	uint32_t id = head;

	memcpy(elem, &id, sizeof(id));
	memcpy(elem + sizeof(id), &len, sizeof(len));
	q->used_idx++;
	q->requests++;
	/* The element before the index that publishes it. */
	__atomic_store_n((uint16_t *)(q->used + 2), q->used_idx, __ATOMIC_RELEASE);
}

/**
 * virtio_pop() - take the next available chain of @q into q->bufs.
 * @q:		the queue, its lock held
 * @head:	its head index, for virtio_push()
 *
 * Return: the number of buffers (at most q->num), 0 if there is no chain
 * (or the queue is not running), -1 if the ring broke a rule: the device
 * then needs a reset (virtio_set_needs_reset() was called).
 */
int virtio_pop(struct virtio_queue *q, uint16_t *head)
{
	struct virtio_dev *dev = q->dev;
	const char *why = NULL;
	uint32_t st = dev_status(dev);
	uint16_t avail_idx;
	int n;

	if (!q->ready || !(st & VIRTIO_STATUS_DRIVER_OK) || (st & VIRTIO_STATUS_NEEDS_RESET))
		return 0;
	avail_idx = __atomic_load_n(&q->avail[1], __ATOMIC_ACQUIRE);
	if ((uint16_t)(avail_idx - q->last_avail) > q->num) {
		virtio_set_needs_reset(dev, "an available index more than the ring size ahead");
		return -1;
	}
	if (q->last_avail == avail_idx)
		return 0;
	*head = __atomic_load_n(&q->avail[2 + q->last_avail % q->num], __ATOMIC_RELAXED);
	n = walk_chain(q, *head, &why);
	if (n < 0) {
		virtio_set_needs_reset(dev, why);
		return -1;
	}
	q->last_avail++;
	return n;
}

/**
 * virtio_unpop() - give back the chain virtio_pop() just took.
 * @q:	the queue, its lock still held since that virtio_pop()
 *
 * For a device that found nothing to put in it (virtio-net's receive
 * queue when the tap had no packet after all).
 */
void virtio_unpop(struct virtio_queue *q)
{
	q->last_avail--;
}

/* With q->lock held: complete every available chain; true if any. */
static bool process_queue(struct virtio_queue *q)
{
	struct virtio_dev *dev = q->dev;
	bool done = false;
	uint16_t head;
	int n;

	while ((n = virtio_pop(q, &head)) > 0) {
		virtio_push(q, head, dev->ops->request(dev, q, q->bufs, n));
		done = true;
	}
	return done;
}

/**
 * virtio_want_interrupt() - does the driver want an interrupt for the
 * used entries just pushed (VIRTQ_AVAIL_F_NO_INTERRUPT clear)?
 * @q:	the queue
 */
bool virtio_want_interrupt(struct virtio_queue *q)
{
	/* The used index written before the flags are read. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return !(__atomic_load_n(&q->avail[0], __ATOMIC_RELAXED) & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

/* The eventfd that virtio_stop() writes once: every I/O thread polls it. */
int virtio_stop_fd(void)
{
	return vs.stop_fd;
}

/*
 * Wait for a queue's kick (its ioeventfd) or the stop of every device.
 * @q:		the queue
 * @who:	the perror() prefix when poll() fails
 *
 * Return: 1 after a kick (counted in @q->kicks), 0 after a wakeup without
 * one (a signal), -1 when the thread must end (stop, or poll() failed).
 */
static int wait_kick(struct virtio_queue *q, const char *who)
{
	struct pollfd pfd[2] = {
		{ .fd = q->kick_fd, .events = POLLIN },
		{ .fd = vs.stop_fd, .events = POLLIN },
	};
	uint64_t k;

	if (poll(pfd, ARRAY_SIZE(pfd), -1) < 0) {
		if (errno == EINTR)
			return 0;
		perror(who);
		return -1;
	}
	if (pfd[1].revents)
		return -1;
	if (!(pfd[0].revents & POLLIN) || read(q->kick_fd, &k, sizeof(k)) != sizeof(k))
		return 0;
	q->kicks += k;
	return 1;
}

/**
 * virtio_serve_kicks() - the loop of an I/O thread that serves one queue
 * alone: after each kick (its ioeventfd), @serve; the queue's interrupt
 * when @serve says the driver wants one.  Returns at the stop of every
 * device (or when poll() fails).
 * @q:		the queue
 * @who:	the perror() prefix when poll() fails
 * @serve:	serves @q; true when used buffers want an interrupt
 * @arg:	@serve's argument
 */
void virtio_serve_kicks(struct virtio_queue *q, const char *who,
			bool (*serve)(void *arg), void *arg)
{
	for (;;) {
		int r = wait_kick(q, who);

		if (r < 0)
			break;
		if (r && serve(arg))
			virtio_queue_interrupt(q);
	}
}

static void *queue_thread(void *arg)
{
	struct virtio_queue *q = arg;

	for (;;) {
		/* Queue 0's thread also serves the INTx resample fd. */
		struct pollfd pfd[3] = {
			{ .fd = q->kick_fd, .events = POLLIN },
			{ .fd = vs.stop_fd, .events = POLLIN },
			{ .fd = q->index ? -1 : q->dev->resample_fd, .events = POLLIN },
		};
		bool irq = false;
		uint64_t n;

		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("vtxctl: virtio poll");
			break;
		}
		if (pfd[1].revents)
			break;
		if (pfd[2].revents & POLLIN)
			virtio_resample(q->dev);
		if (!(pfd[0].revents & POLLIN) || read(q->kick_fd, &n, sizeof(n)) != sizeof(n))
			continue;
		q->kicks += n;
		pthread_mutex_lock(&q->dev->queue_lock[q->index]);
		if (process_queue(q))
			irq = virtio_want_interrupt(q);
		pthread_mutex_unlock(&q->dev->queue_lock[q->index]);
		if (irq)
			virtio_queue_interrupt(q);
	}
	return NULL;
}

/* With dev->lock and q's lock held. */
static void queue_reset(struct virtio_queue *q)
{
	q->num = 0;
	q->ready = false;
	q->desc_gpa = 0;
	q->avail_gpa = 0;
	q->used_gpa = 0;
	q->desc = NULL;
	q->avail = NULL;
	q->used = NULL;
	q->last_avail = 0;
	q->used_idx = 0;
}

static bool aligned(uint64_t v, uint64_t a)
{
	return !(v & (a - 1));
}

/* With dev->lock and q's lock held: QueueReady = 1. */
static void queue_enable(struct virtio_dev *dev, struct virtio_queue *q)
{
	uint64_t num = q->num;
	void *desc, *avail, *used;

	if (!num || num > VIRTIO_QUEUE_MAX || (num & (num - 1))) {
		virtio_set_needs_reset(dev, "a queue size that is not a power of two up to 128");
		return;
	}
	if (!aligned(q->desc_gpa, VIRTQ_DESC_ALIGN) || !aligned(q->avail_gpa, VIRTQ_AVAIL_ALIGN) ||
	    !aligned(q->used_gpa, VIRTQ_USED_ALIGN)) {
		virtio_set_needs_reset(dev, "a misaligned ring");
		return;
	}
	desc = gpa_to_hva(dev->vm, q->desc_gpa, num * sizeof(struct virtq_desc));
	/* flags, idx, ring[num], used_event */
	avail = gpa_to_hva(dev->vm, q->avail_gpa, VIRTQ_RING_HDR + 2 * num + 2);
	/* flags, idx, ring[num], avail_event */
	used = gpa_to_hva(dev->vm, q->used_gpa, VIRTQ_RING_HDR + VIRTQ_USED_ELEM_SIZE * num + 2);
	if (!desc || !avail || !used) {
		virtio_set_needs_reset(dev, "a ring outside guest RAM");
		return;
	}
	q->desc = desc;
	q->avail = avail;
	q->used = used;
	q->last_avail = 0;
	q->used_idx = 0;
	q->ready = true;
}

/* With dev->lock held: status 0, every queue idle (waits for the I/O threads). */
static void device_reset(struct virtio_dev *dev)
{
	unsigned int i;

	if (dev->ops->status)
		dev->ops->status(dev, dev_status(dev), 0);
	for (i = 0; i < dev->ops->nr_queues; i++) {
		pthread_mutex_lock(&dev->queue_lock[i]);
		queue_reset(&dev->queues[i]);
		pthread_mutex_unlock(&dev->queue_lock[i]);
	}
	__atomic_store_n(&dev->status, 0, __ATOMIC_RELEASE);
	dev->dev_features_sel = 0;
	dev->drv_features_sel = 0;
	dev->queue_sel = 0;
	dev->drv_features = 0;
	atomic_store(&dev->isr, 0);
}

static uint64_t device_features(struct virtio_dev *dev)
{
	return dev->ops->features | (1ULL << VIRTIO_F_VERSION_1);
}

static struct virtio_queue *selected_queue(struct virtio_dev *dev)
{
	return dev->queue_sel < dev->ops->nr_queues ? &dev->queues[dev->queue_sel] : NULL;
}

static void set_half(uint64_t *v, bool high, uint32_t val)
{
	if (high)
		*v = (*v & 0xffffffffULL) | (uint64_t)val << 32;
	else
		*v = (*v & ~0xffffffffULL) | val;
}

/* With dev->lock held: the Status register. */
static void write_status(struct virtio_dev *dev, uint32_t val)
{
	uint32_t old = dev_status(dev);

	if (!val) {
		device_reset(dev);
		return;
	}
	if ((val & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK) &&
	    ((dev->drv_features & ~device_features(dev)) ||
	     !(dev->drv_features & (1ULL << VIRTIO_F_VERSION_1))))
		val &= ~VIRTIO_STATUS_FEATURES_OK;	/* the driver reads it back */
	val |= old & VIRTIO_STATUS_NEEDS_RESET;
	__atomic_store_n(&dev->status, val, __ATOMIC_RELEASE);
	if (dev->ops->status)
		dev->ops->status(dev, old, val);
}

/**
 * virtio_reg_read() - a register common to the transports.
 * @dev:	the device
 * @reg:	which
 *
 * Return: its value (0 for a queue register while no queue is selected).
 */
uint32_t virtio_reg_read(struct virtio_dev *dev, enum virtio_reg reg)
{
	struct virtio_queue *q;
	uint32_t val = 0;

	if (reg == VREG_ISR)
		return atomic_load(&dev->isr);
	if (reg == VREG_ISR_TAKE) {
		val = atomic_exchange(&dev->isr, 0);
		/* Without KVM_IRQFD the read lowers the INTx line. */
		if (dev->level && dev->irq_fd < 0 && dev->vm)
			vm_irq_line(dev->vm, dev->irq, false);
		return val;
	}
	pthread_mutex_lock(&dev->lock);
	q = selected_queue(dev);
	switch (reg) {
	case VREG_DEV_FEATURES_SEL:
		val = dev->dev_features_sel;
		break;
	case VREG_DEV_FEATURES:
		if (dev->dev_features_sel < 2)
			val = device_features(dev) >> (32 * dev->dev_features_sel);
		break;
	case VREG_DRV_FEATURES_SEL:
		val = dev->drv_features_sel;
		break;
	case VREG_DRV_FEATURES:
		if (dev->drv_features_sel < 2)
			val = dev->drv_features >> (32 * dev->drv_features_sel);
		break;
	case VREG_NUM_QUEUES:
		val = dev->ops->nr_queues;
		break;
	case VREG_STATUS:
		val = dev_status(dev);
		break;
	case VREG_QUEUE_SEL:
		val = dev->queue_sel;
		break;
	case VREG_QUEUE_NUM_MAX:
		val = q ? VIRTIO_QUEUE_MAX : 0;
		break;
	case VREG_QUEUE_NUM:
		val = q ? (q->num ? q->num : VIRTIO_QUEUE_MAX) : 0;
		break;
	case VREG_QUEUE_READY:
		val = q && q->ready;
		break;
	case VREG_QUEUE_DESC_LO:
	case VREG_QUEUE_DESC_HI:
		val = q ? q->desc_gpa >> (reg == VREG_QUEUE_DESC_HI ? 32 : 0) : 0;
		break;
	case VREG_QUEUE_AVAIL_LO:
	case VREG_QUEUE_AVAIL_HI:
		val = q ? q->avail_gpa >> (reg == VREG_QUEUE_AVAIL_HI ? 32 : 0) : 0;
		break;
	case VREG_QUEUE_USED_LO:
	case VREG_QUEUE_USED_HI:
		val = q ? q->used_gpa >> (reg == VREG_QUEUE_USED_HI ? 32 : 0) : 0;
		break;
	default:
		break;		/* CONFIG_GEN: the config space never changes */
	}
	pthread_mutex_unlock(&dev->lock);
	return val;
}

/* With dev->lock and q's lock held: a queue register. */
static void queue_reg_write(struct virtio_dev *dev, struct virtio_queue *q,
			    enum virtio_reg reg, uint32_t val)
{
	if (reg == VREG_QUEUE_READY) {
		if (val && !q->ready) {
			if (!q->num)
				q->num = VIRTIO_QUEUE_MAX;	/* virtio-pci's default */
			queue_enable(dev, q);
		} else if (!val) {
			q->ready = false;
		}
		return;
	}
	if (q->ready)
		return;		/* the rest is fixed while the queue is enabled */
	switch (reg) {
	case VREG_QUEUE_NUM:
		q->num = val;
		break;
	case VREG_QUEUE_DESC_LO:
	case VREG_QUEUE_DESC_HI:
		set_half(&q->desc_gpa, reg == VREG_QUEUE_DESC_HI, val);
		break;
	case VREG_QUEUE_AVAIL_LO:
	case VREG_QUEUE_AVAIL_HI:
		set_half(&q->avail_gpa, reg == VREG_QUEUE_AVAIL_HI, val);
		break;
	case VREG_QUEUE_USED_LO:
	case VREG_QUEUE_USED_HI:
		set_half(&q->used_gpa, reg == VREG_QUEUE_USED_HI, val);
		break;
	default:
		break;
	}
}

/**
 * virtio_reg_write() - a register common to the transports.
 * @dev:	the device
 * @reg:	which (the read-only ones ignore the write)
 * @val:	the value
 */
void virtio_reg_write(struct virtio_dev *dev, enum virtio_reg reg, uint32_t val)
{
	struct virtio_queue *q;

	if (reg == VREG_QUEUE_NOTIFY) {
		uint64_t one = 1;

		/* Only without KVM_IOEVENTFD, or a write no ioeventfd matches. */
		if (val < dev->ops->nr_queues) {
			__atomic_add_fetch(&dev->queues[val].kicks_by_exit, 1, __ATOMIC_RELAXED);
			if (write(dev->queues[val].kick_fd, &one, sizeof(one)) != sizeof(one))
				perror("vtxctl: virtio kick");
		}
		return;
	}
	if (reg == VREG_ISR_ACK) {
		atomic_fetch_and(&dev->isr, ~val);
		return;
	}

	pthread_mutex_lock(&dev->lock);
	q = selected_queue(dev);
	switch (reg) {
	case VREG_DEV_FEATURES_SEL:
		dev->dev_features_sel = val;
		break;
	case VREG_DRV_FEATURES_SEL:
		dev->drv_features_sel = val;
		break;
	case VREG_DRV_FEATURES:
		if (dev->drv_features_sel < 2 &&
		    !(dev_status(dev) & VIRTIO_STATUS_FEATURES_OK))
			set_half(&dev->drv_features, dev->drv_features_sel, val);
		break;
	case VREG_QUEUE_SEL:
		dev->queue_sel = val;
		break;
	case VREG_STATUS:
		write_status(dev, val);
		break;
	case VREG_QUEUE_NUM:
	case VREG_QUEUE_READY:
	case VREG_QUEUE_DESC_LO:
	case VREG_QUEUE_DESC_HI:
	case VREG_QUEUE_AVAIL_LO:
	case VREG_QUEUE_AVAIL_HI:
	case VREG_QUEUE_USED_LO:
	case VREG_QUEUE_USED_HI:
		if (!q)
			break;
		pthread_mutex_lock(&dev->queue_lock[q->index]);
		queue_reg_write(dev, q, reg, val);
		pthread_mutex_unlock(&dev->queue_lock[q->index]);
		break;
	default:
		break;
	}
	pthread_mutex_unlock(&dev->lock);
}

/* The device's config space: @size bytes at @offset, zeros outside it. */
void virtio_config_read(struct virtio_dev *dev, uint64_t offset, void *data, unsigned int size)
{
	memset(data, 0, size);
	pthread_mutex_lock(&dev->lock);
	if (dev->ops->config_read)
		dev->ops->config_read(dev, offset, data, size);
	pthread_mutex_unlock(&dev->lock);
}

/* virtio-mmio's registers in the common terms (0: not one of them). */
static const uint16_t mmio_offsets[VREG_NONE] = {
	[VREG_DEV_FEATURES]	= VIRTIO_MMIO_DEVICE_FEATURES,
	[VREG_DEV_FEATURES_SEL]	= VIRTIO_MMIO_DEVICE_FEATURES_SEL,
	[VREG_DRV_FEATURES]	= VIRTIO_MMIO_DRIVER_FEATURES,
	[VREG_DRV_FEATURES_SEL]	= VIRTIO_MMIO_DRIVER_FEATURES_SEL,
	[VREG_QUEUE_SEL]	= VIRTIO_MMIO_QUEUE_SEL,
	[VREG_QUEUE_NUM_MAX]	= VIRTIO_MMIO_QUEUE_NUM_MAX,
	[VREG_QUEUE_NUM]	= VIRTIO_MMIO_QUEUE_NUM,
	[VREG_QUEUE_READY]	= VIRTIO_MMIO_QUEUE_READY,
	[VREG_QUEUE_NOTIFY]	= VIRTIO_MMIO_QUEUE_NOTIFY,
	[VREG_ISR]		= VIRTIO_MMIO_INTERRUPT_STATUS,
	[VREG_ISR_ACK]		= VIRTIO_MMIO_INTERRUPT_ACK,
	[VREG_STATUS]		= VIRTIO_MMIO_STATUS,
	[VREG_QUEUE_DESC_LO]	= VIRTIO_MMIO_QUEUE_DESC_LOW,
	[VREG_QUEUE_DESC_HI]	= VIRTIO_MMIO_QUEUE_DESC_HIGH,
	[VREG_QUEUE_AVAIL_LO]	= VIRTIO_MMIO_QUEUE_AVAIL_LOW,
	[VREG_QUEUE_AVAIL_HI]	= VIRTIO_MMIO_QUEUE_AVAIL_HIGH,
	[VREG_QUEUE_USED_LO]	= VIRTIO_MMIO_QUEUE_USED_LOW,
	[VREG_QUEUE_USED_HI]	= VIRTIO_MMIO_QUEUE_USED_HIGH,
	[VREG_CONFIG_GEN]	= VIRTIO_MMIO_CONFIG_GENERATION,
};

static enum virtio_reg mmio_reg(uint64_t offset)
{
	unsigned int r;

	for (r = 0; r < VREG_NONE; r++)
		if (mmio_offsets[r] && mmio_offsets[r] == offset)
			return r;
	return VREG_NONE;
}

/* The registers that are write-only on virtio-mmio (they read 0). */
static bool mmio_write_only(enum virtio_reg reg)
{
	return reg == VREG_QUEUE_NUM || reg == VREG_QUEUE_NOTIFY || reg == VREG_ISR_ACK ||
	       reg == VREG_DRV_FEATURES || reg == VREG_DRV_FEATURES_SEL ||
	       reg == VREG_DEV_FEATURES_SEL || reg == VREG_QUEUE_SEL ||
	       (reg >= VREG_QUEUE_DESC_LO && reg <= VREG_QUEUE_USED_HI);
}

static void mmio_read(struct io_dev *io, uint64_t offset, void *data, unsigned int size)
{
	struct virtio_dev *dev = io->priv;
	enum virtio_reg reg = mmio_reg(offset);
	uint32_t val = 0;

	if (offset >= VIRTIO_MMIO_CONFIG) {
		virtio_config_read(dev, offset - VIRTIO_MMIO_CONFIG, data, size);
		return;
	}
	memset(data, 0, size);
	if (size != sizeof(val) || (offset & 3))
		return;			/* the registers are 32-bit only */
	switch (offset) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		val = VIRTIO_MMIO_MAGIC;
		break;
	case VIRTIO_MMIO_VERSION:
		val = VIRTIO_MMIO_VERSION_MODERN;
		break;
	case VIRTIO_MMIO_DEVICE_ID:
		val = dev->ops->device_id;
		break;
	case VIRTIO_MMIO_VENDOR_ID:
		val = VIRTIO_VENDOR_VTXCTL;
		break;
	default:
		if (reg != VREG_NONE && !mmio_write_only(reg))
			val = virtio_reg_read(dev, reg);
		break;
	}
	memcpy(data, &val, sizeof(val));
}

static void mmio_write(struct io_dev *io, uint64_t offset, const void *data, unsigned int size)
{
	enum virtio_reg reg = mmio_reg(offset);
	uint32_t val;

	if (offset >= VIRTIO_MMIO_CONFIG || size != sizeof(val) || (offset & 3) ||
	    reg == VREG_NONE)
		return;			/* no writable config fields */
	memcpy(&val, data, sizeof(val));
	virtio_reg_write(io->priv, reg, val);
}

/**
 * virtio_add() - a new device, put on a transport by virtio_attach().
 * @dev:	the device, with ops, name and priv set
 *
 * Return: 0, or -1 after printing why not.
 */
int virtio_add(struct virtio_dev *dev)
{
	unsigned int i;

	if (vs.nr == VIRTIO_MAX_DEVS) {
		fprintf(stderr, "vtxctl: at most %d virtio devices\n", VIRTIO_MAX_DEVS);
		return -1;
	}
	pthread_mutex_init(&dev->lock, NULL);
	for (i = 0; i < VIRTIO_MAX_QUEUES; i++) {
		pthread_mutex_init(&dev->queue_lock[i], NULL);
		dev->queues[i].dev = dev;
		dev->queues[i].index = i;
		dev->queues[i].kick_fd = -1;
	}
	dev->irq_fd = -1;
	dev->resample_fd = -1;
	vs.devs[vs.nr++] = dev;
	return 0;
}

/* virtio-mmio: a 4 KiB window from VIRTIO_MMIO_BASE and an ISA line. */
static int mmio_attach(struct virtio_dev *dev, unsigned int n)
{
	dev->irq = virtio_irqs[n];
	dev->io.name = dev->name;
	dev->io.base = VIRTIO_MMIO_BASE + n * VIRTIO_MMIO_STRIDE;
	dev->io.len = VIRTIO_MMIO_STRIDE;
	dev->io.read = mmio_read;
	dev->io.write = mmio_write;
	dev->io.priv = dev;
	dev->notify_base = dev->io.base + VIRTIO_MMIO_QUEUE_NOTIFY;
	dev->notify_stride = 0;		/* one register, the value says which queue */
	dev->notify_len = 4;
	return io_register(IO_MMIO, &dev->io);
}

/**
 * virtio_attach() - put every device on transport @t.
 * @t:	VIRTIO_MMIO (the window is on the MMIO bus from here on) or
 *	VIRTIO_PCI (a slot on pci.c's bus 0; pci_init() first)
 *
 * After the command line was read (--virtio may come after --disk), before
 * the VM exists; the eventfds and threads come with virtio_start().
 *
 * Return: 0, or -1 after printing why not.
 */
int virtio_attach(enum virtio_transport t)
{
	unsigned int i;

	for (i = 0; i < vs.nr; i++) {
		int r = t == VIRTIO_MMIO ? mmio_attach(vs.devs[i], i) : virtio_pci_add(vs.devs[i]);

		if (r)
			return -1;
	}
	vs.transport = t;
	return 0;
}

int virtio_cmdline(char *buf, size_t len)
{
	size_t n = strlen(buf);
	unsigned int i;

	for (i = 0; i < vs.nr && vs.transport == VIRTIO_MMIO; i++) {
		int r = snprintf(buf + n, len - n, "%svirtio_mmio.device=%lluK@0x%llx:%u",
				 n ? " " : "", (unsigned long long)(VIRTIO_MMIO_STRIDE / KiB),
				 (unsigned long long)vs.devs[i]->io.base, vs.devs[i]->irq);

		if (r < 0 || (size_t)r >= len - n) {
			fprintf(stderr, "vtxctl: the kernel command line is too long\n");
			return -1;
		}
		n += r;
	}
	return 0;
}

/*
 * KVM_IOEVENTFD on queue n's notification address (notify_base + n *
 * notify_stride, notify_len bytes, datamatch n) for every queue, or
 * their removal.  Returns 0, or -1 if one was refused (it warns).
 */
static int notify_bind(struct virtio_dev *dev, bool assign)
{
	unsigned int i;
	int r = 0;

	for (i = 0; i < dev->ops->nr_queues; i++) {
		struct kvm_ioeventfd io = {
			.datamatch = i,
			.addr = dev->notify_base + i * dev->notify_stride,
			.len = dev->notify_len,
			.fd = dev->queues[i].kick_fd,
			.flags = KVM_IOEVENTFD_FLAG_DATAMATCH |
				 (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
		};

		if (ioctl(dev->vm->fd, KVM_IOEVENTFD, &io) < 0) {
			fprintf(stderr,
				"vtxctl: warning: virtio %s: KVM_IOEVENTFD%s at 0x%llx: %s; QueueNotify exits to vtxctl\n",
				dev->name, assign ? "" : " deassign",
				(unsigned long long)io.addr, strerror(errno));
			r = -1;
		}
	}
	return r;
}

/**
 * virtio_notify_move() - the notification registers moved (a BAR write).
 * @dev:	the device
 * @base:	queue 0's notification address now, 0 for nowhere
 *
 * Once the VM exists, the KVM_IOEVENTFDs at the old address are removed
 * and new ones put at @base.  With pci.lock held (the only caller, so
 * moves are serialised), or before the vCPUs run.
 */
void virtio_notify_move(struct virtio_dev *dev, uint64_t base)
{
	if (base == dev->notify_base)
		return;
	if (dev->notify_bound)
		notify_bind(dev, false);
	dev->notify_bound = false;
	dev->notify_base = base;
	if (dev->vm && dev->notify_ioeventfd && base) {
		dev->notify_bound = !notify_bind(dev, true);
		dev->notify_ioeventfd = dev->notify_bound;
	}
	__atomic_add_fetch(&dev->notify_moves, 1, __ATOMIC_RELAXED);
}

/* KVM_IRQFD on @dev's GSI: edge (mmio), or level with a resample fd (pci). */
static void irqfd_start(struct vm *vm, struct virtio_dev *dev)
{
	struct kvm_irqfd irqfd;

	dev->irq_fd = eventfd(0, EFD_CLOEXEC);
	if (dev->level)
		dev->resample_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (dev->irq_fd < 0 || (dev->level && dev->resample_fd < 0)) {
		perror("vtxctl: eventfd");
		goto fail;
	}
	memset(&irqfd, 0, sizeof(irqfd));
	irqfd.fd = dev->irq_fd;
	irqfd.gsi = dev->irq;
	if (dev->level) {
		irqfd.flags = KVM_IRQFD_FLAG_RESAMPLE;
		irqfd.resamplefd = dev->resample_fd;
	}
	if (ioctl(vm->fd, KVM_IRQFD, &irqfd) < 0) {
		fprintf(stderr,
			"vtxctl: warning: virtio %s: KVM_IRQFD%s: %s; interrupts by KVM_IRQ_LINE\n",
			dev->name, dev->level ? " (resample)" : "", strerror(errno));
		goto fail;
	}
	dev->use_irqfd = true;
	return;
fail:
	if (dev->irq_fd >= 0)
		close(dev->irq_fd);
	if (dev->resample_fd >= 0)
		close(dev->resample_fd);
	dev->irq_fd = -1;
	dev->resample_fd = -1;
}

/* The eventfds of @dev's queue and interrupt, with their KVM bindings. */
static int device_start(struct vm *vm, struct virtio_dev *dev)
{
	unsigned int i;

	dev->vm = vm;
	dev->notify_ioeventfd = true;
	for (i = 0; i < dev->ops->nr_queues; i++) {
		dev->queues[i].kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (dev->queues[i].kick_fd < 0) {
			perror("vtxctl: eventfd");
			return -1;
		}
	}
	if (dev->notify_base) {
		dev->notify_bound = !notify_bind(dev, true);
		dev->notify_ioeventfd = dev->notify_bound;
	}
	irqfd_start(vm, dev);
	if (dev->ops->start)
		return dev->ops->start(dev);
	for (i = 0; i < dev->ops->nr_queues; i++) {
		struct virtio_queue *q = &dev->queues[i];
		int r = pthread_create(&q->thread, NULL, queue_thread, q);

		if (r) {
			fprintf(stderr, "vtxctl: virtio %s: thread: %s\n", dev->name, strerror(r));
			return -1;
		}
		q->thread_started = true;
	}
	return 0;
}

/**
 * virtio_start() - eventfds, KVM_IOEVENTFD/KVM_IRQFD and I/O threads.
 * @vm:	the VM, after KVM_CREATE_IRQCHIP and before its vCPUs run
 *
 * The I/O threads start with every signal blocked: run.c's SIGINT,
 * SIGTERM and its vCPU kick signal are for the threads it owns.
 *
 * Return: 0, or -1 after printing why not (virtio_stop() cleans up).
 */
int virtio_start(struct vm *vm)
{
	sigset_t all, old;
	unsigned int i;
	int r = 0;

	if (!vs.nr)
		return 0;
	vs.stop_fd = eventfd(0, EFD_CLOEXEC);
	if (vs.stop_fd < 0) {
		perror("vtxctl: eventfd");
		return -1;
	}
	vs.started = true;
	if (vs.transport == VIRTIO_PCI)
		virtio_pci_msix_start(vm);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < vs.nr && !r; i++)
		r = device_start(vm, vs.devs[i]);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

/**
 * virtio_stop() - the end of the run: stop the I/O threads, then let each
 * device finish (virtio-blk: fsync), and close the eventfds.
 *
 * After the vCPU threads ended; a request in progress completes first.
 */
void virtio_stop(void)
{
	uint64_t one = 1;
	unsigned int i, j;

	if (!vs.started)
		return;
	if (write(vs.stop_fd, &one, sizeof(one)) != sizeof(one))
		perror("vtxctl: virtio stop");
	if (vs.transport == VIRTIO_PCI)
		virtio_pci_msix_stop();
	for (i = 0; i < vs.nr; i++) {
		struct virtio_dev *dev = vs.devs[i];

		for (j = 0; j < dev->ops->nr_queues; j++) {
			struct virtio_queue *q = &dev->queues[j];

			if (q->thread_started)
				pthread_join(q->thread, NULL);
			q->thread_started = false;
		}
		if (dev->ops->shutdown)
			dev->ops->shutdown(dev);
		for (j = 0; j < dev->ops->nr_queues; j++) {
			if (dev->queues[j].kick_fd >= 0)
				close(dev->queues[j].kick_fd);
			dev->queues[j].kick_fd = -1;
		}
		if (dev->irq_fd >= 0)
			close(dev->irq_fd);
		dev->irq_fd = -1;
		if (dev->resample_fd >= 0)
			close(dev->resample_fd);
		dev->resample_fd = -1;
	}
	close(vs.stop_fd);
	vs.stop_fd = -1;
	vs.started = false;
}

void virtio_print_stats(void)
{
	unsigned int i, j;

	if (vs.nr && vs.transport == VIRTIO_PCI)
		fprintf(stderr, "virtio: MSI-X routing: %llu KVM_SET_GSI_ROUTING\n",
			(unsigned long long)virtio_pci_msix_route_sets());
	for (i = 0; i < vs.nr; i++) {
		struct virtio_dev *dev = vs.devs[i];

		for (j = 0; j < dev->ops->nr_queues; j++) {
			struct virtio_queue *q = &dev->queues[j];

			if (q->in_kernel) {
				fprintf(stderr,
					"virtio %s q%u:  served by vhost-net (%llu by MMIO exit), %s\n",
					dev->name, j, (unsigned long long)q->kicks_by_exit,
					dev->notify_ioeventfd ? "KVM_IOEVENTFD" :
					"no KVM_IOEVENTFD");
				continue;
			}
			fprintf(stderr,
				"virtio %s q%u:  %llu requests, %llu notifications (%llu by ioeventfd, %llu by MMIO exit), %s\n",
				dev->name, j, (unsigned long long)q->requests,
				(unsigned long long)q->kicks,
				(unsigned long long)(q->kicks - q->kicks_by_exit),
				(unsigned long long)q->kicks_by_exit,
				dev->notify_ioeventfd ? "KVM_IOEVENTFD" : "no KVM_IOEVENTFD");
		}
		if (vs.transport == VIRTIO_PCI) {
			struct vpci_msix *m = dev->msix;

			fprintf(stderr,
				"virtio %s:     pci 00:%02x.0, BAR0 0x%llx (%llu moves), %llu interrupts, %llu ISR reads; INTx irq %u, %llu resamples (%s)\n",
				dev->name, dev->pci.slot, (unsigned long long)dev->pci.bar_addr[0],
				(unsigned long long)dev->notify_moves,
				(unsigned long long)dev->interrupts,
				(unsigned long long)dev->isr_reads, dev->irq,
				(unsigned long long)dev->resamples,
				dev->use_irqfd ? "KVM_IRQFD, level, resample" :
				"KVM_IRQ_LINE level");
			fprintf(stderr,
				"virtio %s:     MSI-X %s, %u vectors, GSIs %u-%u, %llu by MSI-X (%llu KVM_SIGNAL_MSI), %llu without a vector, %llu table/PBA accesses, %llu KVM errors\n",
				dev->name, atomic_load(&m->enabled) ? "enabled" : "disabled",
				m->nr, m->gsi_base, m->gsi_base + m->nr - 1,
				(unsigned long long)m->signals,
				(unsigned long long)m->direct_signals,
				(unsigned long long)m->no_vector,
				(unsigned long long)m->bar_accesses,
				(unsigned long long)(m->kvm_errors + m->direct_errors));
		} else {
			fprintf(stderr, "virtio %s:     irq %u, %llu interrupts (%s)\n", dev->name,
				dev->irq, (unsigned long long)dev->interrupts,
				dev->use_irqfd ? "KVM_IRQFD, edge" : "KVM_IRQ_LINE pulses");
		}
		if (dev->ops->print_stats)
			dev->ops->print_stats(dev);
	}
}
