// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk (virtio 1.2, 5.2) on a raw image file: "--disk FILE[,ro]".
 *
 * One request queue.  Requests: IN (read), OUT (write), FLUSH (fdatasync;
 * VIRTIO_BLK_F_FLUSH is offered, so the guest's cache flushes reach the
 * file) and GET_ID (the serial "vtxctl-blkN", in /sys/block/vdX/serial);
 * others get VIRTIO_BLK_S_UNSUPP.  With ",ro" the file is opened read-only,
 * VIRTIO_BLK_F_RO is offered and an OUT that comes anyway gets
 * VIRTIO_BLK_S_IOERR.  The capacity is the file's size in 512-byte sectors
 * (a partial last sector is left out); an access beyond it, or of a length
 * that is not a whole number of sectors, is an IOERR.  VIRTIO_BLK_F_SEG_MAX
 * lets the guest use up to VIRTIO_QUEUE_MAX - 2 data buffers per request.
 *
 * The image is locked (flock: exclusive, shared with ",ro") so that two
 * VMs do not write one file, and fsync'd at the end of the run.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "virtio.h"

#define SECTOR_SIZE		512
#define VIRTIO_BLK_F_SEG_MAX	2
#define VIRTIO_BLK_F_RO		5
#define VIRTIO_BLK_F_FLUSH	9

/* The config space fields vtxctl fills (the layout of virtio_blk_config). */
struct virtio_blk_config {
	uint64_t capacity;
	uint32_t size_max;
	uint32_t seg_max;
};

struct blk {
	struct virtio_dev dev;
	const char *path;
	int fd;
	bool ro;
	uint64_t sectors;
	char id[VIRTIO_BLK_ID_BYTES];
	/* Written by the queue's I/O thread, read after it ended. */
	uint64_t reads, writes, flushes, bytes_read, bytes_written, errors;
};

static unsigned int nr_blk;

static bool blk_config_read(struct virtio_dev *dev, uint64_t offset, void *data,
			    unsigned int size)
{
	struct blk *b = dev->priv;
	struct virtio_blk_config cfg = {
		.capacity = b->sectors,
		.seg_max = VIRTIO_QUEUE_MAX - 2,
	};

	if (offset > sizeof(cfg) || size > sizeof(cfg) - offset)
		return false;
	memcpy(data, (char *)&cfg + offset, size);
	return true;
}

/* Copy @len bytes into the iovecs @iov, @niov of them; returns bytes copied. */
static size_t copy_to_iov(const struct iovec *iov, int niov, const void *src, size_t len)
{
	size_t done = 0;
	int i;

	for (i = 0; i < niov && done < len; i++) {
		size_t n = iov[i].iov_len < len - done ? iov[i].iov_len : len - done;

		memcpy(iov[i].iov_base, (const char *)src + done, n);
		done += n;
	}
	return done;
}

static uint64_t iov_bytes(const struct iovec *iov, int niov)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < niov; i++)
		n += iov[i].iov_len;
	return n;
}

/* Is [sector, sector + bytes) a whole number of sectors inside the disk? */
static bool in_range(struct blk *b, uint64_t sector, uint64_t bytes)
{
	return !(bytes % SECTOR_SIZE) && sector <= b->sectors &&
	       bytes / SECTOR_SIZE <= b->sectors - sector;
}

/* preadv/pwritev of all of @iov at @off; true if every byte moved. */
static bool do_io(struct blk *b, bool write_it, struct iovec *iov, int niov, uint64_t off)
{
	uint64_t want = iov_bytes(iov, niov);
	ssize_t r;

	do {
		r = write_it ? pwritev(b->fd, iov, niov, off) : preadv(b->fd, iov, niov, off);
	} while (r < 0 && errno == EINTR);
	return r >= 0 && (uint64_t)r == want;
}

static uint32_t blk_request(struct virtio_dev *dev, struct virtio_queue *q,
			    struct virtio_buf *bufs, unsigned int nbufs)
{
	struct iovec out[VIRTIO_QUEUE_MAX], in[VIRTIO_QUEUE_MAX];
	struct virtio_blk_req_hdr hdr;
	struct blk *b = dev->priv;
	size_t got = 0, data_in;
	int nout = 0, nin = 0;
	uint8_t *status, st;
	unsigned int i;

	(void)q;
	/* The status byte: the last byte of the last (writable) buffer. */
	if (!nbufs || !bufs[nbufs - 1].writable || !bufs[nbufs - 1].len) {
		virtio_set_needs_reset(dev, "a block request without a status byte");
		return 0;
	}
	status = (uint8_t *)bufs[nbufs - 1].hva + bufs[nbufs - 1].len - 1;

	for (i = 0; i < nbufs; i++) {
		uint8_t *p = bufs[i].hva;
		size_t len = bufs[i].len;

		if (i == nbufs - 1)
			len--;			/* the status byte */
		if (!bufs[i].writable && got < sizeof(hdr)) {
			size_t n = len < sizeof(hdr) - got ? len : sizeof(hdr) - got;

			memcpy((char *)&hdr + got, p, n);
			got += n;
			p += n;
			len -= n;
		}
		if (!len)
			continue;
		if (bufs[i].writable)
			in[nin++] = (struct iovec){ .iov_base = p, .iov_len = len };
		else
			out[nout++] = (struct iovec){ .iov_base = p, .iov_len = len };
	}
	if (got < sizeof(hdr)) {
		virtio_set_needs_reset(dev, "a block request shorter than its header");
		return 0;
	}

	data_in = 0;
	switch (hdr.type) {
	case VIRTIO_BLK_T_IN:
		data_in = iov_bytes(in, nin);
		st = VIRTIO_BLK_S_IOERR;
		if (!nout && in_range(b, hdr.sector, data_in) &&
		    do_io(b, false, in, nin, hdr.sector * SECTOR_SIZE)) {
			st = VIRTIO_BLK_S_OK;
			b->bytes_read += data_in;
		} else {
			data_in = 0;
		}
		b->reads++;
		break;
	case VIRTIO_BLK_T_OUT:
		st = VIRTIO_BLK_S_IOERR;
		if (!b->ro && !nin && in_range(b, hdr.sector, iov_bytes(out, nout)) &&
		    do_io(b, true, out, nout, hdr.sector * SECTOR_SIZE)) {
			st = VIRTIO_BLK_S_OK;
			b->bytes_written += iov_bytes(out, nout);
		}
		b->writes++;
		break;
	case VIRTIO_BLK_T_FLUSH:
		st = b->ro || !fdatasync(b->fd) ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
		b->flushes++;
		break;
	case VIRTIO_BLK_T_GET_ID:
		data_in = copy_to_iov(in, nin, b->id, sizeof(b->id));
		st = VIRTIO_BLK_S_OK;
		break;
	default:
		st = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	if (st == VIRTIO_BLK_S_IOERR)
		b->errors++;
	*status = st;
	return data_in + 1;
}

static void blk_shutdown(struct virtio_dev *dev)
{
	struct blk *b = dev->priv;

	if (b->fd < 0)
		return;
	if (!b->ro && fsync(b->fd))
		fprintf(stderr, "vtxctl: virtio %s: fsync %s: %s\n", dev->name, b->path,
			strerror(errno));
	close(b->fd);
	b->fd = -1;
}

static void blk_print_stats(struct virtio_dev *dev)
{
	struct blk *b = dev->priv;

	fprintf(stderr,
		"virtio %s:     %s%s, %llu sectors; %llu reads (%llu bytes), %llu writes (%llu bytes), %llu flushes, %llu errors\n",
		dev->name, b->path, b->ro ? " (ro)" : "", (unsigned long long)b->sectors,
		(unsigned long long)b->reads, (unsigned long long)b->bytes_read,
		(unsigned long long)b->writes, (unsigned long long)b->bytes_written,
		(unsigned long long)b->flushes, (unsigned long long)b->errors);
}

static const struct virtio_ops blk_ops = {
	.device_id = VIRTIO_ID_BLOCK,
	.nr_queues = 1,
	.features = 1ULL << VIRTIO_BLK_F_SEG_MAX | 1ULL << VIRTIO_BLK_F_FLUSH,
	.config_read = blk_config_read,
	.request = blk_request,
	.shutdown = blk_shutdown,
	.print_stats = blk_print_stats,
};

static const struct virtio_ops blk_ro_ops = {
	.device_id = VIRTIO_ID_BLOCK,
	.nr_queues = 1,
	.features = 1ULL << VIRTIO_BLK_F_SEG_MAX | 1ULL << VIRTIO_BLK_F_FLUSH |
		    1ULL << VIRTIO_BLK_F_RO,
	.config_read = blk_config_read,
	.request = blk_request,
	.shutdown = blk_shutdown,
	.print_stats = blk_print_stats,
};

/**
 * virtio_blk_add() - "--disk FILE[,ro]": open and lock the image, add the
 * device.
 * @spec:	the option's argument
 *
 * Return: 0; -2 for a bad option; -1 when the file cannot be used (after
 * printing why).
 */
int virtio_blk_add(const char *spec)
{
	const char *comma = strrchr(spec, ',');
	struct blk *b;
	struct stat st;
	uint64_t size;
	char *path;

	b = calloc(1, sizeof(*b));
	if (!b)
		return -1;
	if (comma && !strcmp(comma, ",ro")) {
		b->ro = true;
		path = strndup(spec, comma - spec);
	} else {
		path = strdup(spec);
	}
	if (!path || !*path) {
		fprintf(stderr, "vtxctl: --disk needs FILE[,ro]\n");
		free(path);
		free(b);
		return -2;
	}
	b->path = path;
	b->fd = open(path, (b->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (b->fd < 0) {
		fprintf(stderr, "vtxctl: --disk: open %s: %s\n", path, strerror(errno));
		goto fail;
	}
	if (flock(b->fd, (b->ro ? LOCK_SH : LOCK_EX) | LOCK_NB)) {
		fprintf(stderr, "vtxctl: --disk: %s: %s\n", path,
			errno == EWOULDBLOCK ? "in use by another process (locked)" :
			strerror(errno));
		goto fail;
	}
	if (fstat(b->fd, &st)) {
		fprintf(stderr, "vtxctl: --disk: stat %s: %s\n", path, strerror(errno));
		goto fail;
	}
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(b->fd, BLKGETSIZE64, &size)) {
			fprintf(stderr, "vtxctl: --disk: %s: BLKGETSIZE64: %s\n", path,
				strerror(errno));
			goto fail;
		}
	} else if (S_ISREG(st.st_mode)) {
		size = st.st_size;
	} else {
		fprintf(stderr, "vtxctl: --disk: %s is not a regular file or a block device\n",
			path);
		goto fail;
	}
	b->sectors = size / SECTOR_SIZE;
	if (size % SECTOR_SIZE)
		fprintf(stderr,
			"vtxctl: warning: --disk %s: %llu bytes, not whole sectors; the last %llu are not on the disk\n",
			path, (unsigned long long)size,
			(unsigned long long)(size % SECTOR_SIZE));
	snprintf(b->dev.name, sizeof(b->dev.name), "blk%u", nr_blk);
	/* "vtxctl-blkN": shorter than 20 bytes, so NUL terminated. */
	snprintf(b->id, sizeof(b->id), "vtxctl-blk%u", nr_blk % 1000);
	b->dev.ops = b->ro ? &blk_ro_ops : &blk_ops;
	b->dev.priv = b;
	if (virtio_add(&b->dev))
		goto fail;
	nr_blk++;
	return 0;

fail:
	if (b->fd >= 0)
		close(b->fd);
	free(path);
	free(b);
	return -1;
}
