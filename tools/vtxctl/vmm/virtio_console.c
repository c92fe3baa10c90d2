// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-console (virtio 1.2, 5.3): "--console virtio", the guest's hvc0
 * on vtxctl's stdin and stdout.
 *
 * One port, no features: without VIRTIO_CONSOLE_F_MULTIPORT the device
 * has two queues, receiveq (0: input to the guest) and transmitq (1: its
 * output), and Linux's virtio_console makes that port a console, hvc0.
 * VIRTIO_CONSOLE_F_SIZE is not offered (the guest's own "stty cols/rows"
 * rules its hvc0), nor F_EMERG_WRITE (Linux does not use it); the config
 * space reads as its 12 bytes of zeros.
 *
 * The datapath, each queue on an I/O thread of its own, as virtio-net's:
 *   - transmit: woken by the queue's KVM_IOEVENTFD; each chain (device-
 *     readable buffers only) is written to stdout as it is, then used with
 *     length 0, one KVM_IRQFD interrupt per batch if wanted.  A write
 *     waits for stdout (poll POLLOUT, then at most PIPE_BUF bytes, which a
 *     pipe with room takes without blocking) and for nothing else: a
 *     reader that stops reading stops the guest's output, as a serial line
 *     with flow control would, and the end of the run (the stop eventfd)
 *     ends the wait, dropping what is left.
 *   - receive: poll()s stdin and the queue's KVM_IOEVENTFD.  What read()
 *     returns (at most CON_RX_CHUNK bytes) is held in a buffer of the
 *     device's, outside the queue's lock, and copied into the next chains
 *     (device-writable buffers only) under it; stdin is polled again only
 *     when that buffer is empty, so a guest that posts no buffers leaves
 *     the input in the host's pipe or terminal, and nothing read is lost.
 *     The end of stdin (read() returns 0: a file or a pipe whose writer
 *     closed it) ends the input; the guest's hvc0 just gets no more.
 * stdin may be anything readable: a terminal (switched to raw mode by
 * run.c, restored at the end), a pipe, a regular file, /dev/null.  A
 * terminal of which vtxctl is not the foreground process, or --no-stdin,
 * gives the console no input.
 *
 * The rings get the rules of virtio.c (virtio_pop()), and here also: a
 * transmit chain with a writable buffer or a receive chain with a readable
 * one sets DEVICE_NEEDS_RESET.  The 16550 UART stays: the kernel's early
 * output (earlyprintk, console=ttyS0 before virtio_console is up) goes to
 * stdout through it, but stdin goes to hvc0 only.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "virtio.h"

#define CON_RXQ			0
#define CON_TXQ			1
#define CON_QUEUES		2
#define CON_RX_CHUNK		4096
/* struct virtio_console_config: cols, rows, max_nr_ports, emerg_wr. */
#define CON_CONFIG_SIZE		12

struct con {
	struct virtio_dev dev;
	int in_fd;			/* stdin, or -1: no input */
	int out_fd;			/* stdout */
	/* Input read but not yet in the guest's buffers (the receive thread). */
	unsigned char pend[CON_RX_CHUNK];
	size_t pend_off, pend_len;
	bool in_eof;
	/* Written by the I/O threads, read after they ended. */
	uint64_t rx_bytes, tx_bytes, rx_chains, tx_chains, tx_errors, tx_dropped;
	uint64_t rx_waits;		/* input waited for the driver's buffers */
};

static struct con *the_console;

static bool con_config_read(struct virtio_dev *dev, uint64_t offset, void *data,
			    unsigned int size)
{
	(void)dev;
	if (offset > CON_CONFIG_SIZE || size > CON_CONFIG_SIZE - offset)
		return false;
	memset(data, 0, size);
	return true;
}

/*
 * The chain in q->bufs: all device-readable (@writable false: transmit)
 * or all device-writable (receive).  False after virtio_set_needs_reset().
 */
static bool con_chain_ok(struct virtio_queue *q, int nbufs, bool writable)
{
	int i;

	for (i = 0; i < nbufs; i++) {
		if (q->bufs[i].writable != writable) {
			virtio_set_needs_reset(q->dev, writable ?
					       "a device-readable buffer in a receive chain" :
					       "a device-writable buffer in a transmit chain");
			return false;
		}
	}
	return true;
}

/*
 * Write @len bytes at @p to the output, waiting for it to take them, but
 * not past the end of the run.  Returns false if the rest was dropped.
 */
static bool con_write(struct con *c, const unsigned char *p, size_t len)
{
	while (len) {
		struct pollfd pfd[2] = {
			{ .fd = c->out_fd, .events = POLLOUT },
			{ .fd = virtio_stop_fd(), .events = POLLIN },
		};
		ssize_t n;

		if (poll(pfd, ARRAY_SIZE(pfd), -1) < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		if (pfd[1].revents)
			return false;		/* the run ends: drop the rest */
		n = write(c->out_fd, p, len < PIPE_BUF ? len : PIPE_BUF);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			c->tx_errors++;		/* stdout is gone (EPIPE...) */
			return false;
		}
		p += n;
		len -= n;
		c->tx_bytes += n;
	}
	return true;
}

/**
 * con_tx() - write every available transmit chain to the output.
 * @arg:	the device (struct con)
 *
 * On the transmit queue's I/O thread (or the unit test).  Return: true if
 * a chain was used and the driver wants an interrupt for it.
 */
static bool con_tx(void *arg)
{
	struct con *c = arg;
	struct virtio_queue *q = &c->dev.queues[CON_TXQ];
	bool done = false;
	uint16_t head;
	int nb, i;

	pthread_mutex_lock(&c->dev.queue_lock[CON_TXQ]);
	while ((nb = virtio_pop(q, &head)) > 0) {
		if (!con_chain_ok(q, nb, false))
			break;
		for (i = 0; i < nb; i++) {
			if (!con_write(c, q->bufs[i].hva, q->bufs[i].len)) {
				c->tx_dropped++;
				break;
			}
		}
		virtio_push(q, head, 0);
		c->tx_chains++;
		done = true;
	}
	/* Under the lock: a reset may take the ring away once it is dropped. */
	done = done && virtio_want_interrupt(q);
	pthread_mutex_unlock(&c->dev.queue_lock[CON_TXQ]);
	return done;
}

/**
 * con_rx() - copy the input held in c->pend into the receive buffers.
 * @c:		the device
 * @no_buffer:	set when input is left and the driver has no buffer for it
 *
 * Return: true if a chain was used and the driver wants an interrupt.
 */
static bool con_rx(struct con *c, bool *no_buffer)
{
	struct virtio_queue *q = &c->dev.queues[CON_RXQ];
	bool done = false;
	uint16_t head;
	int nb, i;

	*no_buffer = false;
	pthread_mutex_lock(&c->dev.queue_lock[CON_RXQ]);
	while (c->pend_len) {
		uint32_t copied = 0;

		nb = virtio_pop(q, &head);
		if (nb <= 0) {
			*no_buffer = !nb;
			break;
		}
		if (!con_chain_ok(q, nb, true))
			break;
		for (i = 0; i < nb && c->pend_len; i++) {
			size_t n = q->bufs[i].len < c->pend_len ? q->bufs[i].len : c->pend_len;

			memcpy(q->bufs[i].hva, c->pend + c->pend_off, n);
			c->pend_off += n;
			c->pend_len -= n;
			copied += n;
		}
		if (!copied) {
			virtio_unpop(q);	/* only empty buffers: wait for others */
			*no_buffer = true;
			break;
		}
		virtio_push(q, head, copied);
		c->rx_bytes += copied;
		c->rx_chains++;
		done = true;
	}
	done = done && virtio_want_interrupt(q);
	pthread_mutex_unlock(&c->dev.queue_lock[CON_RXQ]);
	return done;
}

/* Read the next piece of input into c->pend (it is empty). */
static void con_read_input(struct con *c)
{
	ssize_t n = read(c->in_fd, c->pend, sizeof(c->pend));

	if (n > 0) {
		c->pend_off = 0;
		c->pend_len = n;
	} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		c->in_eof = true;	/* the end of the input, or it failed */
	}
}

static void *con_tx_thread(void *arg)
{
	struct con *c = arg;

	virtio_serve_kicks(&c->dev.queues[CON_TXQ], "vtxctl: virtio-console poll",
			   con_tx, c);
	return NULL;
}

static void *con_rx_thread(void *arg)
{
	struct con *c = arg;
	struct virtio_queue *q = &c->dev.queues[CON_RXQ];

	for (;;) {
		bool want_input = c->in_fd >= 0 && !c->in_eof && !c->pend_len;
		struct pollfd pfd[4] = {
			{ .fd = q->kick_fd, .events = POLLIN },
			{ .fd = virtio_stop_fd(), .events = POLLIN },
			{ .fd = c->dev.resample_fd, .events = POLLIN },
			/* stdin only while nothing read waits for the guest */
			{ .fd = want_input ? c->in_fd : -1, .events = POLLIN },
		};
		bool no_buffer;
		uint64_t k;

		if (poll(pfd, ARRAY_SIZE(pfd), -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("vtxctl: virtio-console poll");
			break;
		}
		if (pfd[1].revents)
			break;
		if (pfd[2].revents & POLLIN)
			virtio_resample(&c->dev);
		if ((pfd[0].revents & POLLIN) && read(q->kick_fd, &k, sizeof(k)) == sizeof(k))
			q->kicks += k;
		if (pfd[3].revents)
			con_read_input(c);
		if (!c->pend_len)
			continue;
		if (con_rx(c, &no_buffer))
			virtio_queue_interrupt(q);
		c->rx_waits += no_buffer;
	}
	return NULL;
}

static int con_start_thread(struct virtio_queue *q, void *(*fn)(void *), struct con *c)
{
	int r = pthread_create(&q->thread, NULL, fn, c);

	if (r) {
		fprintf(stderr, "vtxctl: virtio %s: thread: %s\n", c->dev.name, strerror(r));
		return -1;
	}
	q->thread_started = true;
	return 0;
}

static int con_start(struct virtio_dev *dev)
{
	struct con *c = dev->priv;

	return con_start_thread(&dev->queues[CON_RXQ], con_rx_thread, c) ||
	       con_start_thread(&dev->queues[CON_TXQ], con_tx_thread, c) ? -1 : 0;
}

static void con_print_stats(struct virtio_dev *dev)
{
	struct con *c = dev->priv;

	fprintf(stderr,
		"virtio %s:     console: in %llu bytes in %llu chains (%s), out %llu bytes in %llu chains, %llu write errors, %llu chains cut short, %llu waits for rx buffers\n",
		dev->name, (unsigned long long)c->rx_bytes, (unsigned long long)c->rx_chains,
		c->in_fd < 0 ? "no input" : c->in_eof ? "input ended" : "input open",
		(unsigned long long)c->tx_bytes, (unsigned long long)c->tx_chains,
		(unsigned long long)c->tx_errors, (unsigned long long)c->tx_dropped,
		(unsigned long long)c->rx_waits);
}

static const struct virtio_ops con_ops = {
	.device_id = VIRTIO_ID_CONSOLE,
	.nr_queues = CON_QUEUES,
	.config_read = con_config_read,
	.start = con_start,
	.print_stats = con_print_stats,
};

/**
 * virtio_console_add() - "--console virtio": the guest's hvc0.
 * @in_fd:	its input (stdin), or -1 for none
 * @out_fd:	its output (stdout)
 *
 * Return: 0, or -1 after printing why not (a second console).
 */
int virtio_console_add(int in_fd, int out_fd)
{
	struct con *c;

	if (the_console) {
		fprintf(stderr, "vtxctl: one virtio console at most\n");
		return -1;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -1;
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	snprintf(c->dev.name, sizeof(c->dev.name), "con0");
	c->dev.ops = &con_ops;
	c->dev.priv = c;
	if (virtio_add(&c->dev)) {
		free(c);
		return -1;
	}
	the_console = c;
	return 0;
}
