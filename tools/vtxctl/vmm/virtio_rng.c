// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-rng (virtio 1.2, 5.4): "--rng".  One request queue; each chain's
 * writable buffers are filled from the host's getrandom(2), at most
 * RNG_MAX_CHAIN bytes per chain (the used length says how many).  Linux
 * registers it as the hwrng "virtio_rng.0" (/dev/hwrng).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "virtio.h"

#define RNG_MAX_CHAIN	(64 * KiB)

struct rng {
	struct virtio_dev dev;
	uint64_t bytes;			/* by the I/O thread */
	uint64_t errors;
};

/* Fill @len bytes at @p from getrandom; returns the bytes filled. */
static size_t fill_random(void *p, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = getrandom((char *)p + done, len - done, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		done += r;
	}
	return done;
}

static uint32_t rng_request(struct virtio_dev *dev, struct virtio_queue *q,
			    struct virtio_buf *bufs, unsigned int nbufs)
{
	struct rng *rng = dev->priv;
	size_t done = 0, want;
	unsigned int i;

	(void)q;
	for (i = 0; i < nbufs && done < RNG_MAX_CHAIN; i++) {
		size_t n;

		if (!bufs[i].writable)
			continue;
		want = bufs[i].len < RNG_MAX_CHAIN - done ? bufs[i].len : RNG_MAX_CHAIN - done;
		n = fill_random(bufs[i].hva, want);
		done += n;
		if (n < want) {
			rng->errors++;
			break;
		}
	}
	rng->bytes += done;
	return done;
}

static void rng_print_stats(struct virtio_dev *dev)
{
	struct rng *rng = dev->priv;

	fprintf(stderr, "virtio %s:     %llu bytes from getrandom, %llu errors\n", dev->name,
		(unsigned long long)rng->bytes, (unsigned long long)rng->errors);
}

static const struct virtio_ops rng_ops = {
	.device_id = VIRTIO_ID_RNG,
	.nr_queues = 1,
	.request = rng_request,
	.print_stats = rng_print_stats,
};

int virtio_rng_add(void)
{
	static unsigned int nr_rng;
	struct rng *rng = calloc(1, sizeof(*rng));

	if (!rng)
		return -1;
	snprintf(rng->dev.name, sizeof(rng->dev.name), "rng%u", nr_rng);
	rng->dev.ops = &rng_ops;
	rng->dev.priv = rng;
	if (virtio_add(&rng->dev)) {
		free(rng);
		return -1;
	}
	nr_rng++;
	return 0;
}
