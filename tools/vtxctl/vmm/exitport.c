// SPDX-License-Identifier: GPL-2.0
/*
 * The exit port, with QEMU's isa-debug-exit semantics.
 *
 * A guest write of value v (1, 2 or 4 bytes) ends the run and vtxctl exits
 * with status (v << 1) | 1 (the low 8 bits of it), so a guest-requested
 * status is always odd.  The kvm-unit-tests convention reads status 1
 * (v = 0) as "pass".  Reads return all ones.
 */
#include <string.h>

#include "vmm.h"

static void exitport_write(struct io_dev *dev, uint64_t offset, const void *data,
			   unsigned int size)
{
	uint32_t v = 0;

	(void)offset;
	memcpy(&v, data, size < sizeof(v) ? size : sizeof(v));
	run_request_stop(((v << 1) | 1) & 0xff, "guest wrote 0x%x to exit port 0x%llx",
			 v, (unsigned long long)dev->base);
}

static struct io_dev exitport_dev = {
	.name = "exit-port",
	.len = 1,
	.write = exitport_write,
};

int exitport_init(uint16_t port)
{
	exitport_dev.base = port;
	return io_register(IO_PIO, &exitport_dev);
}
