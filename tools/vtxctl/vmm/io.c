// SPDX-License-Identifier: GPL-2.0
/*
 * The port I/O and MMIO buses.
 *
 * Devices register an address range in one space; an access is routed to
 * the device whose range holds its first byte.  Nobody home: port reads
 * return all ones (like a floating ISA bus), MMIO reads return zero, writes
 * are dropped, and the access is counted in the run statistics.
 *
 * Devices are registered before the vCPU threads start and never after, so
 * the buses are read without a lock; each device locks its own state.
 */
#include <stdio.h>
#include <string.h>

#include "vmm.h"

#define MAX_IO_DEVS	16

static struct io_bus {
	struct io_dev *devs[MAX_IO_DEVS];
	unsigned int nr;
} buses[2];

int io_register(enum io_space space, struct io_dev *dev)
{
	struct io_bus *bus = &buses[space];
	unsigned int i;

	for (i = 0; i < bus->nr; i++) {
		struct io_dev *d = bus->devs[i];

		if (dev->base < d->base + d->len && d->base < dev->base + dev->len) {
			fprintf(stderr, "vtxctl: %s at 0x%llx overlaps %s\n", dev->name,
				(unsigned long long)dev->base, d->name);
			return -1;
		}
	}
	if (bus->nr == MAX_IO_DEVS) {
		fprintf(stderr, "vtxctl: too many devices\n");
		return -1;
	}
	bus->devs[bus->nr++] = dev;
	return 0;
}

bool io_access(enum io_space space, uint64_t addr, void *data,
	       unsigned int size, bool is_write)
{
	struct io_bus *bus = &buses[space];
	unsigned int i;

	for (i = 0; i < bus->nr; i++) {
		struct io_dev *d = bus->devs[i];

		if (addr < d->base || addr - d->base >= d->len)
			continue;
		if (is_write) {
			if (d->write)
				d->write(d, addr - d->base, data, size);
		} else if (d->read) {
			d->read(d, addr - d->base, data, size);
		} else {
			memset(data, 0xff, size);
		}
		return true;
	}

	if (space == IO_PIO) {
		if (!is_write)
			memset(data, 0xff, size);
		__atomic_add_fetch(&stats.unclaimed_pio, 1, __ATOMIC_RELAXED);
	} else if (is_write) {
		__atomic_add_fetch(&stats.unclaimed_mmio_writes, 1, __ATOMIC_RELAXED);
	} else {
		memset(data, 0, size);
		__atomic_add_fetch(&stats.unclaimed_mmio_reads, 1, __ATOMIC_RELAXED);
	}
	return false;
}
