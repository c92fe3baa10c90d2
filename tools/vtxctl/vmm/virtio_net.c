// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net (virtio 1.2, 5.1) on a host tap interface:
 * "--net tap=NAME[,vhost=on|off][,mac=XX:XX:XX:XX:XX:XX]".
 *
 * The tap must exist already (made by "ip tuntap add NAME mode tap", with
 * its address or bridge set up by the host's administrator): vtxctl checks
 * the name with if_nametoindex() before it attaches, and after TUNSETIFF
 * that the interface is persistent (IFF_PERSIST in TUNGETIFF), so that it
 * never creates a tap of its own (TUNSETIFF creates one for a name that is
 * free, and that tap would vanish with vtxctl, unconnected to anything).
 * A missing tap, a name that is not a tap, or no permission on it is an
 * error before the VM exists (status 4).
 *
 * The tap is opened with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR and
 * TUNSETVNETHDRSZ = 12, the size of struct virtio_net_hdr with num_buffers
 * that a VIRTIO_F_VERSION_1 driver puts before every frame: the guest's
 * header goes to the tap as it is and the tap's header lands in the guest's
 * buffer, so each frame is one writev() from / readv() into guest memory,
 * no copy in vtxctl; and vhost-net (vhost=on) takes the same tap with the
 * same header (its sock_hlen = 12, vhost_hlen = 0).  No offloads are
 * offered (no CSUM, no GSO: TUNSETOFFLOAD stays 0), so the tap's header is
 * all zeros but for num_buffers, which vtxctl sets to 1.
 *
 * Features: VIRTIO_F_VERSION_1, VIRTIO_NET_F_MAC (the config space's mac,
 * 52:54:00:12:34:NN for the NNth --net unless mac= says otherwise) and
 * VIRTIO_NET_F_STATUS (link up).  No VIRTIO_NET_F_MRG_RXBUF: without GSO a
 * received frame is at most 1514 bytes plus the header, which fits the one
 * 1530-byte buffer Linux posts per receive entry ("small" buffers), so
 * merging buffers would only add a second way to fill a chain; mergeable
 * buffers pay off with GUEST_TSO's 64 KiB frames, which vtxctl does not
 * offer.  No control queue (VIRTIO_NET_F_CTRL_VQ): no filtering, no
 * multiqueue, so the device has two queues, receiveq1 (0) and transmitq1 (1).
 *
 * The datapath without vhost, each queue on an I/O thread of its own:
 *   - transmit: woken by the queue's KVM_IOEVENTFD; each chain (device-
 *     readable buffers only, header first) is one writev() to the tap, then
 *     used with length 0; one KVM_IRQFD interrupt per batch if wanted;
 *   - receive: poll()s the tap (POLLIN) and the receive queue's
 *     KVM_IOEVENTFD (the driver added buffers); each frame is one readv()
 *     into a popped chain (device-writable buffers only) and used with the
 *     length read.  With no buffer available the thread stops polling the
 *     tap until the driver's next notification, so a guest that posts no
 *     buffers costs nothing: the frames wait in (and then drop from) the
 *     tap's queue.  Queue 0's thread also serves the INTx resample fd.
 * The rings get the rules of virtio.c (virtio_pop()): bounds, descriptors
 * read once, chain length, and here also: a transmit chain with a writable
 * buffer or a receive chain with a readable one, or a chain shorter than
 * the header, sets DEVICE_NEEDS_RESET.
 *
 * With vhost=on the host kernel's vhost-net moves the frames:
 * /dev/vhost-net is opened and owned (VHOST_SET_OWNER) with the options;
 * when the driver sets DRIVER_OK vtxctl gives it the negotiated features
 * (VHOST_SET_FEATURES: VERSION_1), guest RAM (VHOST_SET_MEM_TABLE: each
 * memory slot's guest-physical address, size and address in vtxctl), per
 * queue the ring (VHOST_SET_VRING_NUM, _BASE 0, _ADDR with the ring's
 * addresses in vtxctl, validated at QueueReady), the kick
 * (VHOST_SET_VRING_KICK = the eventfd of the queue's KVM_IOEVENTFD: the
 * guest's notification reaches vhost's worker without leaving the kernel),
 * the call, an error eventfd, and the tap (VHOST_NET_SET_BACKEND).  A reset
 * (status 0) takes the backend away and reads the ring base back.
 *
 * The call under MSI-X (virtio_pci.c) is the eventfd of the queue's
 * vector, a KVM_IRQFD on the vector's GSI while the vector is unmasked:
 * vhost's signal goes to the guest's local APIC with no thread of vtxctl
 * woken and no ISR read by the guest.  When the driver enables or
 * disables MSI-X or maps a queue on another vector, the calls follow
 * (net_irq_changed()).
 *
 * The call with INTx: virtio-pci's INTx handler in Linux (vp_interrupt())
 * reads the ISR register first and returns IRQ_NONE, looking at no queue,
 * when it is 0; so the ISR bit must be set whenever the line is raised.
 * vhost only writes an eventfd.  Were that eventfd the KVM_IRQFD's, the
 * line would go up with ISR still 0 (an interrupt the guest ignores), and
 * a call that comes after the handler read the ISR but before its EOI
 * would be merged into the level already asserted and dropped by the
 * resample at the EOI (the lost-interrupt race of level irqfds, which VFIO
 * avoids by re-asserting from the device's own state).  So with INTx each
 * queue's VHOST_SET_VRING_CALL eventfd is vtxctl's: one relay thread polls
 * the two calls (and the error eventfds, the resample fd and the stop fd),
 * and on a call does what the userspace datapath does: set
 * VIRTIO_INT_USED in the ISR and write the KVM_IRQFD
 * (virtio_queue_interrupt()); at the EOI the resample raises the line
 * again while the ISR holds bits the driver has not read.  The cost is
 * one wake-up of that thread per interrupt (not per frame, not per kick,
 * and no vCPU exit) and the guest's ISR read (an MMIO exit).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/vhost.h>
#include <net/if.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "virtio.h"

#define VIRTIO_NET_F_MAC	5
#define VIRTIO_NET_F_STATUS	16
#define VIRTIO_NET_S_LINK_UP	1

#define NET_RXQ			0
#define NET_TXQ			1
#define NET_QUEUES		2
#define ETH_ALEN		6

/* struct virtio_net_hdr with num_buffers: what a VERSION_1 driver uses. */
#define NET_HDR_LEN		12
#define NET_HDR_NUM_BUFFERS	10	/* offset of le16 num_buffers */
/* The largest frame the tap takes (IP's 64 KiB plus Ethernet), with the header. */
#define NET_MAX_FRAME		(NET_HDR_LEN + 65550)

static const uint8_t default_mac[ETH_ALEN] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x00 };

/* struct virtio_net_config: the fields of the offered features. */
struct virtio_net_config {
	uint8_t mac[ETH_ALEN];
	uint16_t status;
} __attribute__((packed));

struct net {
	struct virtio_dev dev;
	char ifname[IFNAMSIZ];
	int tap_fd;
	uint8_t mac[ETH_ALEN];
	/* vhost=on */
	int vhost_fd;			/* /dev/vhost-net, or -1 */
	int call_fd[NET_QUEUES];	/* vhost's VRING_CALL with INTx, relayed */
	int call_set[NET_QUEUES];	/* the VRING_CALL vhost has (under dev.lock) */
	int err_fd[NET_QUEUES];		/* vhost's VRING_ERR */
	bool vhost_running;		/* the backend is set (under dev.lock) */
	uint64_t calls;			/* relayed by the relay thread */
	uint64_t call_changes;		/* VHOST_SET_VRING_CALL after the start */
	uint64_t calls_msix, calls_relay;	/* VRING_CALLs set: a vector's, the relay's */
	uint64_t vhost_err;
	/* Written by the I/O threads, read after they ended. */
	uint64_t rx_frames, rx_bytes, tx_frames, tx_bytes, tx_errors, rx_errors;
	uint64_t rx_no_buffer;		/* a frame waited for the driver's buffers */
};

static unsigned int nr_net;

static bool net_config_read(struct virtio_dev *dev, uint64_t offset, void *data,
			    unsigned int size)
{
	struct net *n = dev->priv;
	struct virtio_net_config cfg = { .status = VIRTIO_NET_S_LINK_UP };

	memcpy(cfg.mac, n->mac, ETH_ALEN);
	if (offset > sizeof(cfg) || size > sizeof(cfg) - offset)
		return false;
	memcpy(data, (char *)&cfg + offset, size);
	return true;
}

/*
 * The chain in q->bufs as iovecs, all of them device-readable (@writable
 * false: transmit) or all device-writable (receive), holding at least the
 * header.  Returns the count, or -1 after virtio_set_needs_reset().
 */
static int chain_iov(struct virtio_queue *q, int nbufs, bool writable, struct iovec *iov)
{
	uint64_t total = 0;
	int i;

	for (i = 0; i < nbufs; i++) {
		if (q->bufs[i].writable != writable) {
			virtio_set_needs_reset(q->dev, writable ?
					       "a device-readable buffer in a receive chain" :
					       "a device-writable buffer in a transmit chain");
			return -1;
		}
		iov[i].iov_base = q->bufs[i].hva;
		iov[i].iov_len = q->bufs[i].len;
		total += q->bufs[i].len;
	}
	if (total < NET_HDR_LEN) {
		virtio_set_needs_reset(q->dev, "a chain shorter than the virtio-net header");
		return -1;
	}
	return nbufs;
}

/* Write @val at byte @off of the iovecs (the header may be split). */
static void iov_put_le16(const struct iovec *iov, int niov, size_t off, uint16_t val)
{
	uint8_t b[sizeof(val)] = { val & 0xff, val >> 8 };
	size_t i = 0;
	int k;

	for (k = 0; k < niov && i < sizeof(b); k++) {
		if (off >= iov[k].iov_len) {
			off -= iov[k].iov_len;
			continue;
		}
		while (i < sizeof(b) && off < iov[k].iov_len)
			((uint8_t *)iov[k].iov_base)[off++] = b[i++];
		off = 0;
	}
}

/**
 * net_tx() - send every available transmit chain to the tap.
 * @arg:	the device (struct net)
 *
 * On the transmit queue's I/O thread (or the unit test).  Return: true if
 * a chain was used and the driver wants an interrupt for it.
 */
static bool net_tx(void *arg)
{
	struct net *n = arg;
	struct virtio_queue *q = &n->dev.queues[NET_TXQ];
	struct iovec iov[VIRTIO_QUEUE_MAX];
	bool done = false;
	uint16_t head;
	int nb;

	pthread_mutex_lock(&n->dev.queue_lock[NET_TXQ]);
	while ((nb = virtio_pop(q, &head)) > 0) {
		ssize_t r;

		if (chain_iov(q, nb, false, iov) < 0)
			break;
		do {
			r = writev(n->tap_fd, iov, nb);
		} while (r < 0 && errno == EINTR);
		if (r < 0) {
			n->tx_errors++;		/* dropped, as a full link would */
		} else {
			n->tx_frames++;
			n->tx_bytes += r > NET_HDR_LEN ? r - NET_HDR_LEN : 0;
		}
		virtio_push(q, head, 0);
		done = true;
	}
	/* Under the lock: a reset may take the ring away once it is dropped. */
	done = done && virtio_want_interrupt(q);
	pthread_mutex_unlock(&n->dev.queue_lock[NET_TXQ]);
	return done;
}

/**
 * net_rx() - move frames from the tap into the driver's receive buffers.
 * @n:		the device
 * @no_buffer:	set when the driver has no buffer left (the caller then
 *		waits for its notification instead of the tap)
 *
 * Return: true if a chain was used and the driver wants an interrupt.
 */
static bool net_rx(struct net *n, bool *no_buffer)
{
	struct virtio_queue *q = &n->dev.queues[NET_RXQ];
	struct iovec iov[VIRTIO_QUEUE_MAX];
	bool done = false;
	uint16_t head;
	int nb;

	*no_buffer = false;
	pthread_mutex_lock(&n->dev.queue_lock[NET_RXQ]);
	for (;;) {
		ssize_t r;

		nb = virtio_pop(q, &head);
		if (nb <= 0) {
			*no_buffer = !nb;
			break;
		}
		if (chain_iov(q, nb, true, iov) < 0)
			break;
		do {
			r = readv(n->tap_fd, iov, nb);
		} while (r < 0 && errno == EINTR);
		if (r < NET_HDR_LEN) {
			virtio_unpop(q);	/* no frame (EAGAIN), or an error */
			if (r >= 0 || errno != EAGAIN)
				n->rx_errors++;
			break;
		}
		/* Without MRG_RXBUF a frame is one buffer chain: num_buffers = 1. */
		iov_put_le16(iov, nb, NET_HDR_NUM_BUFFERS, 1);
		n->rx_frames++;
		n->rx_bytes += r - NET_HDR_LEN;
		virtio_push(q, head, r);
		done = true;
	}
	done = done && virtio_want_interrupt(q);
	pthread_mutex_unlock(&n->dev.queue_lock[NET_RXQ]);
	return done;
}

static void *net_tx_thread(void *arg)
{
	struct net *n = arg;

	virtio_serve_kicks(&n->dev.queues[NET_TXQ], "vtxctl: virtio-net poll",
			   net_tx, n);
	return NULL;
}

static void *net_rx_thread(void *arg)
{
	struct net *n = arg;
	struct virtio_queue *q = &n->dev.queues[NET_RXQ];
	bool no_buffer = false;

	for (;;) {
		struct pollfd pfd[4] = {
			{ .fd = q->kick_fd, .events = POLLIN },
			{ .fd = virtio_stop_fd(), .events = POLLIN },
			{ .fd = n->dev.resample_fd, .events = POLLIN },
			/* the tap only while the driver has buffers for it */
			{ .fd = no_buffer ? -1 : n->tap_fd, .events = POLLIN },
		};
		uint64_t k;

		if (poll(pfd, ARRAY_SIZE(pfd), -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("vtxctl: virtio-net poll");
			break;
		}
		if (pfd[1].revents)
			break;
		if (pfd[2].revents & POLLIN)
			virtio_resample(&n->dev);
		if ((pfd[0].revents & POLLIN) && read(q->kick_fd, &k, sizeof(k)) == sizeof(k))
			q->kicks += k;
		else if (!(pfd[3].revents & POLLIN))
			continue;
		if (net_rx(n, &no_buffer))
			virtio_queue_interrupt(q);
		n->rx_no_buffer += no_buffer;
	}
	return NULL;
}

/* vhost=on: the calls of vhost-net become ISR bits and KVM_IRQFD writes. */
static void *net_relay_thread(void *arg)
{
	struct net *n = arg;

	for (;;) {
		struct pollfd pfd[6] = {
			{ .fd = n->call_fd[NET_RXQ], .events = POLLIN },
			{ .fd = n->call_fd[NET_TXQ], .events = POLLIN },
			{ .fd = n->err_fd[NET_RXQ], .events = POLLIN },
			{ .fd = n->err_fd[NET_TXQ], .events = POLLIN },
			{ .fd = n->dev.resample_fd, .events = POLLIN },
			{ .fd = virtio_stop_fd(), .events = POLLIN },
		};
		bool call[NET_QUEUES] = { false };
		uint64_t k;
		int i;

		if (poll(pfd, ARRAY_SIZE(pfd), -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("vtxctl: vhost-net relay poll");
			break;
		}
		if (pfd[5].revents)
			break;
		for (i = 0; i < NET_QUEUES; i++) {
			if ((pfd[i].revents & POLLIN) &&
			    read(n->call_fd[i], &k, sizeof(k)) == sizeof(k)) {
				n->calls += k;
				call[i] = true;
			}
			if ((pfd[2 + i].revents & POLLIN) &&
			    read(n->err_fd[i], &k, sizeof(k)) == sizeof(k)) {
				n->vhost_err += k;
				virtio_set_needs_reset(&n->dev, "vhost-net refused a ring");
			}
		}
		for (i = 0; i < NET_QUEUES; i++)
			if (call[i])
				virtio_queue_interrupt(&n->dev.queues[i]);
		if (pfd[4].revents & POLLIN)
			virtio_resample(&n->dev);
	}
	return NULL;
}

/* VHOST_SET_MEM_TABLE: every memory slot as it is in vtxctl. */
static int vhost_set_mem(struct net *n)
{
	struct vm *vm = n->dev.vm;
	struct vhost_memory *mem;
	unsigned int i;
	int r;

	mem = calloc(1, sizeof(*mem) + vm->nr_regions * sizeof(mem->regions[0]));
	if (!mem)
		return -1;
	mem->nregions = vm->nr_regions;
	for (i = 0; i < vm->nr_regions; i++) {
		mem->regions[i].guest_phys_addr = vm->regions[i].gpa;
		mem->regions[i].memory_size = vm->regions[i].size;
		mem->regions[i].userspace_addr = (uintptr_t)vm->regions[i].hva;
	}
	r = ioctl(n->vhost_fd, VHOST_SET_MEM_TABLE, mem);
	free(mem);
	return r;
}

/* The call of queue @i: its MSI-X vector's eventfd, or the relay's. */
static int net_call_fd(struct net *n, unsigned int i)
{
	int fd = virtio_pci_call_fd(&n->dev, i);

	return fd >= 0 ? fd : n->call_fd[i];
}

static void net_count_call(struct net *n, int fd)
{
	if (fd == n->call_fd[NET_RXQ] || fd == n->call_fd[NET_TXQ])
		n->calls_relay++;
	else
		n->calls_msix++;
}

/* MSI-X enabled, disabled or remapped (dev.lock held): move vhost's calls. */
static void net_irq_changed(struct virtio_dev *dev)
{
	struct net *n = dev->priv;
	unsigned int i;

	if (!n->vhost_running)
		return;
	for (i = 0; i < NET_QUEUES; i++) {
		struct vhost_vring_file call = { .index = i, .fd = net_call_fd(n, i) };

		if (call.fd == n->call_set[i])
			continue;
		if (ioctl(n->vhost_fd, VHOST_SET_VRING_CALL, &call)) {
			perror("vtxctl: VHOST_SET_VRING_CALL");
			continue;
		}
		n->call_set[i] = call.fd;
		n->call_changes++;
		net_count_call(n, call.fd);
	}
}

/* Give vhost-net queue @i's ring, eventfds and the tap. */
static int vhost_start_queue(struct net *n, unsigned int i, const char **what)
{
	struct virtio_queue *q = &n->dev.queues[i];
	struct vhost_vring_state num = { .index = i, .num = q->num };
	struct vhost_vring_state base = { .index = i, .num = 0 };
	struct vhost_vring_addr addr = {
		.index = i,
		.desc_user_addr = (uintptr_t)q->desc,
		.avail_user_addr = (uintptr_t)q->avail,
		.used_user_addr = (uintptr_t)q->used,
	};
	struct vhost_vring_file kick = { .index = i, .fd = q->kick_fd };
	struct vhost_vring_file call = { .index = i, .fd = net_call_fd(n, i) };
	struct vhost_vring_file err = { .index = i, .fd = n->err_fd[i] };
	struct vhost_vring_file backend = { .index = i, .fd = n->tap_fd };

	if (!q->ready) {
		*what = "a queue not enabled at DRIVER_OK";
		return -1;
	}
	*what = "VHOST_SET_VRING_NUM";
	if (ioctl(n->vhost_fd, VHOST_SET_VRING_NUM, &num))
		return -1;
	*what = "VHOST_SET_VRING_BASE";
	if (ioctl(n->vhost_fd, VHOST_SET_VRING_BASE, &base))
		return -1;
	*what = "VHOST_SET_VRING_ADDR";
	if (ioctl(n->vhost_fd, VHOST_SET_VRING_ADDR, &addr))
		return -1;
	*what = "VHOST_SET_VRING_KICK";
	if (ioctl(n->vhost_fd, VHOST_SET_VRING_KICK, &kick))
		return -1;
	*what = "VHOST_SET_VRING_CALL";
	if (ioctl(n->vhost_fd, VHOST_SET_VRING_CALL, &call))
		return -1;
	n->call_set[i] = call.fd;
	net_count_call(n, call.fd);
	*what = "VHOST_SET_VRING_ERR";
	if (ioctl(n->vhost_fd, VHOST_SET_VRING_ERR, &err))
		return -1;
	*what = "VHOST_NET_SET_BACKEND";
	return ioctl(n->vhost_fd, VHOST_NET_SET_BACKEND, &backend);
}

/* Take the tap away from vhost-net's queues (a reset, the end). */
static void vhost_stop(struct net *n)
{
	unsigned int i;

	if (!n->vhost_running)
		return;
	for (i = 0; i < NET_QUEUES; i++) {
		struct vhost_vring_file backend = { .index = i, .fd = -1 };
		struct vhost_vring_state base = { .index = i };

		if (ioctl(n->vhost_fd, VHOST_NET_SET_BACKEND, &backend))
			perror("vtxctl: VHOST_NET_SET_BACKEND -1");
		if (!ioctl(n->vhost_fd, VHOST_GET_VRING_BASE, &base))
			n->dev.queues[i].requests += base.num;	/* mod 2^16 */
	}
	n->vhost_running = false;
}

/* vhost=on: the driver's status (dev.lock held). */
static void net_vhost_status(struct virtio_dev *dev, uint32_t old, uint32_t val)
{
	struct net *n = dev->priv;
	uint64_t features = 1ULL << VIRTIO_F_VERSION_1;
	const char *what = "VHOST_SET_FEATURES";
	unsigned int i;

	if (!val || (val & VIRTIO_STATUS_NEEDS_RESET)) {
		vhost_stop(n);
		return;
	}
	if (!(val & VIRTIO_STATUS_DRIVER_OK) || (old & VIRTIO_STATUS_DRIVER_OK) ||
	    n->vhost_running)
		return;
	if (ioctl(n->vhost_fd, VHOST_SET_FEATURES, &features))
		goto fail;
	what = "VHOST_SET_MEM_TABLE";
	if (vhost_set_mem(n))
		goto fail;
	for (i = 0; i < NET_QUEUES; i++) {
		pthread_mutex_lock(&dev->queue_lock[i]);
		if (vhost_start_queue(n, i, &what)) {
			pthread_mutex_unlock(&dev->queue_lock[i]);
			n->vhost_running = true;	/* undo the queues started */
			goto fail;
		}
		pthread_mutex_unlock(&dev->queue_lock[i]);
	}
	n->vhost_running = true;
	return;
fail:
	fprintf(stderr, "vtxctl: virtio %s: vhost-net: %s: %s\n", dev->name, what,
		strerror(errno));
	vhost_stop(n);
	virtio_set_needs_reset(dev, "vhost-net could not take the queues");
}

static int net_start_thread(struct virtio_queue *q, void *(*fn)(void *), struct net *n)
{
	int r = pthread_create(&q->thread, NULL, fn, n);

	if (r) {
		fprintf(stderr, "vtxctl: virtio %s: thread: %s\n", n->dev.name, strerror(r));
		return -1;
	}
	q->thread_started = true;
	return 0;
}

static int net_start(struct virtio_dev *dev)
{
	struct net *n = dev->priv;
	unsigned int i;

	if (n->vhost_fd < 0)
		return net_start_thread(&dev->queues[NET_RXQ], net_rx_thread, n) ||
		       net_start_thread(&dev->queues[NET_TXQ], net_tx_thread, n) ? -1 : 0;
	for (i = 0; i < NET_QUEUES; i++) {
		n->call_fd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		n->err_fd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (n->call_fd[i] < 0 || n->err_fd[i] < 0) {
			perror("vtxctl: eventfd");
			return -1;
		}
		dev->queues[i].in_kernel = true;
	}
	return net_start_thread(&dev->queues[NET_RXQ], net_relay_thread, n);
}

static void net_shutdown(struct virtio_dev *dev)
{
	struct net *n = dev->priv;
	unsigned int i;

	pthread_mutex_lock(&dev->lock);
	if (n->vhost_fd >= 0)
		vhost_stop(n);
	pthread_mutex_unlock(&dev->lock);
	for (i = 0; i < NET_QUEUES; i++) {
		if (n->call_fd[i] >= 0)
			close(n->call_fd[i]);
		if (n->err_fd[i] >= 0)
			close(n->err_fd[i]);
		n->call_fd[i] = -1;
		n->err_fd[i] = -1;
	}
}

static void net_print_stats(struct virtio_dev *dev)
{
	struct net *n = dev->priv;

	if (n->vhost_fd >= 0) {
		fprintf(stderr,
			"virtio %s:     tap %s, vhost-net: VRING_CALL %llu times a vector's eventfd (MSI-X), %llu times the relay's (INTx), %llu moves; %llu calls relayed to the ISR and KVM_IRQFD, %llu ring errors\n",
			dev->name, n->ifname, (unsigned long long)n->calls_msix,
			(unsigned long long)n->calls_relay, (unsigned long long)n->call_changes,
			(unsigned long long)n->calls, (unsigned long long)n->vhost_err);
		return;
	}
	fprintf(stderr,
		"virtio %s:     tap %s: rx %llu frames %llu bytes, tx %llu frames %llu bytes, %llu tx errors, %llu rx errors, %llu waits for rx buffers\n",
		dev->name, n->ifname, (unsigned long long)n->rx_frames,
		(unsigned long long)n->rx_bytes, (unsigned long long)n->tx_frames,
		(unsigned long long)n->tx_bytes, (unsigned long long)n->tx_errors,
		(unsigned long long)n->rx_errors, (unsigned long long)n->rx_no_buffer);
}

static const struct virtio_ops net_ops = {
	.device_id = VIRTIO_ID_NET,
	.nr_queues = NET_QUEUES,
	.features = 1ULL << VIRTIO_NET_F_MAC | 1ULL << VIRTIO_NET_F_STATUS,
	.config_read = net_config_read,
	.start = net_start,
	.shutdown = net_shutdown,
	.print_stats = net_print_stats,
};

static const struct virtio_ops net_vhost_ops = {
	.device_id = VIRTIO_ID_NET,
	.nr_queues = NET_QUEUES,
	.features = 1ULL << VIRTIO_NET_F_MAC | 1ULL << VIRTIO_NET_F_STATUS,
	.config_read = net_config_read,
	.start = net_start,
	.status = net_vhost_status,
	.shutdown = net_shutdown,
	.print_stats = net_print_stats,
	.irq_changed = net_irq_changed,
};

/* Attach to the existing tap @name; the fd, or -1 after printing why not. */
static int tap_open(const char *name)
{
	struct ifreq ifr;
	int fd, hdr = NET_HDR_LEN;

	if (!if_nametoindex(name)) {
		fprintf(stderr,
			"vtxctl: --net: no network interface '%s' (create the tap first: ip tuntap add %s mode tap)\n",
			name, name);
		return -1;
	}
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "vtxctl: --net: open /dev/net/tun: %s\n", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		fprintf(stderr, "vtxctl: --net: tap '%s': TUNSETIFF: %s%s\n", name,
			strerror(errno),
			errno == EINVAL ? " (not a tap interface?)" :
			errno == EPERM ? " (not the tap's owner or group, nor CAP_NET_ADMIN)" :
			errno == EBUSY ? " (in use)" : "");
		goto fail;
	}
	if (ioctl(fd, TUNGETIFF, &ifr) < 0 || !(ifr.ifr_flags & IFF_PERSIST)) {
		/* It vanished between the two checks and TUNSETIFF made a new one. */
		fprintf(stderr, "vtxctl: --net: '%s' is not a persistent tap\n", name);
		goto fail;
	}
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0 || ioctl(fd, TUNSETOFFLOAD, 0) < 0) {
		fprintf(stderr, "vtxctl: --net: tap '%s': TUNSETVNETHDRSZ: %s\n", name,
			strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/* /dev/vhost-net, owned by this process and with VERSION_1; fd or -1. */
static int vhost_open(void)
{
	uint64_t features = 0;
	int fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "vtxctl: --net vhost=on: open /dev/vhost-net: %s%s\n",
			strerror(errno), errno == ENOENT ? " (modprobe vhost_net)" : "");
		return -1;
	}
	if (ioctl(fd, VHOST_SET_OWNER) < 0 || ioctl(fd, VHOST_GET_FEATURES, &features) < 0) {
		fprintf(stderr, "vtxctl: --net vhost=on: VHOST_SET_OWNER: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	if (!(features & (1ULL << VIRTIO_F_VERSION_1))) {
		fprintf(stderr, "vtxctl: --net vhost=on: %s\n",
			"this vhost-net lacks VIRTIO_F_VERSION_1");
		close(fd);
		return -1;
	}
	return fd;
}

static int parse_mac(const char *s, uint8_t *mac)
{
	unsigned int b[ETH_ALEN], i;
	char end;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &end) != ETH_ALEN)
		return -1;
	for (i = 0; i < ETH_ALEN; i++)
		mac[i] = b[i];
	return mac[0] & 1 ? -1 : 0;	/* not a multicast address */
}

/**
 * virtio_net_add() - "--net tap=NAME[,vhost=on|off][,mac=MAC]".
 * @spec:	the option's argument
 *
 * Return: 0; -2 for a malformed @spec (a usage error); -1 after printing
 * why the tap or vhost-net cannot be used.
 */
int virtio_net_add(const char *spec)
{
	char buf[128], *w, *save;
	bool vhost = false;
	struct net *n;
	unsigned int i;

	if (strlen(spec) >= sizeof(buf))
		return -2;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -1;
	n->tap_fd = -1;
	n->vhost_fd = -1;
	for (i = 0; i < NET_QUEUES; i++) {
		n->call_fd[i] = -1;
		n->call_set[i] = -1;
		n->err_fd[i] = -1;
	}
	memcpy(n->mac, default_mac, ETH_ALEN);
	n->mac[ETH_ALEN - 1] = nr_net;
	strcpy(buf, spec);
	for (w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (!strncmp(w, "tap=", 4) && w[4] && strlen(w + 4) < IFNAMSIZ)
			snprintf(n->ifname, sizeof(n->ifname), "%s", w + 4);
		else if (!strcmp(w, "vhost=on"))
			vhost = true;
		else if (!strcmp(w, "vhost=off"))
			vhost = false;
		else if (strncmp(w, "mac=", 4) || parse_mac(w + 4, n->mac))
			goto usage;
	}
	if (!n->ifname[0])
		goto usage;
	n->tap_fd = tap_open(n->ifname);
	if (n->tap_fd < 0)
		goto fail;
	if (vhost) {
		n->vhost_fd = vhost_open();
		if (n->vhost_fd < 0)
			goto fail;
	}
	snprintf(n->dev.name, sizeof(n->dev.name), "net%u", nr_net);
	n->dev.ops = vhost ? &net_vhost_ops : &net_ops;
	n->dev.priv = n;
	if (virtio_add(&n->dev))
		goto fail;
	nr_net++;
	return 0;
usage:
	free(n);
	return -2;
fail:
	if (n->tap_fd >= 0)
		close(n->tap_fd);
	if (n->vhost_fd >= 0)
		close(n->vhost_fd);
	free(n);
	return -1;
}
