// SPDX-License-Identifier: GPL-2.0
/*
 * QEMU's fw_cfg device, legacy port interface (no DMA), at 0x510/0x511.
 *
 * A 16-bit write to the selector port (0x510) picks an item and rewinds
 * it; each read of the data port (0x511) returns the item's next byte, 0
 * past its end or for an item that does not exist.  Multi-byte reads of
 * the data port return consecutive bytes.  Writes to the data port are
 * ignored (they are read-only items).  Items:
 *
 *   0x0000  FW_CFG_SIGNATURE     "QEMU"
 *   0x0001  FW_CFG_ID            u32 1: the traditional interface, no DMA
 *   0x0002  FW_CFG_UUID          16 zero bytes
 *   0x0003  FW_CFG_RAM_SIZE      u64, bytes of guest RAM
 *   0x0004  FW_CFG_NOGRAPHIC     u16 1
 *   0x0005  FW_CFG_NB_CPUS       u16, vCPUs (--cpus)
 *   0x000f  FW_CFG_MAX_CPUS      u16, the same
 *   0x0014  FW_CFG_CMDLINE_SIZE  u32, strlen + 1 (only with --cmdline)
 *   0x0015  FW_CFG_CMDLINE_DATA  the command line, NUL terminated
 *   0x0019  FW_CFG_FILE_DIR      u32 big-endian count 0: no files
 *
 * Numbers are little-endian, except the file directory (big-endian) as in
 * QEMU.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "vmm.h"

#define FW_CFG_PORT_SEL		0x510
#define FW_CFG_PORT_DATA	0x511

#define FW_CFG_SIGNATURE	0x00
#define FW_CFG_ID		0x01
#define FW_CFG_UUID		0x02
#define FW_CFG_RAM_SIZE		0x03
#define FW_CFG_NOGRAPHIC	0x04
#define FW_CFG_NB_CPUS		0x05
#define FW_CFG_MAX_CPUS		0x0f
#define FW_CFG_CMDLINE_SIZE	0x14
#define FW_CFG_CMDLINE_DATA	0x15
#define FW_CFG_FILE_DIR		0x19

#define FW_CFG_VERSION		0x01	/* FW_CFG_ID: traditional interface */

struct fwcfg_item {
	uint16_t key;
	uint32_t len;
	unsigned char *data;
};

#define MAX_ITEMS	16

static struct fwcfg {
	pthread_mutex_t lock;
	struct fwcfg_item items[MAX_ITEMS];
	unsigned int nr;
	struct fwcfg_item *cur;		/* NULL: no such item */
	uint32_t offset;
} fwcfg = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

static int add_item(uint16_t key, const void *data, uint32_t len)
{
	struct fwcfg_item *it;

	if (fwcfg.nr == MAX_ITEMS)
		return -1;
	it = &fwcfg.items[fwcfg.nr];
	it->data = malloc(len ? len : 1);
	if (!it->data)
		return -1;
	memcpy(it->data, data, len);
	it->key = key;
	it->len = len;
	fwcfg.nr++;
	return 0;
}

static int add_le(uint16_t key, uint64_t v, unsigned int bytes)
{
	unsigned char buf[8];
	unsigned int i;

	for (i = 0; i < bytes; i++)
		buf[i] = v >> (8 * i);
	return add_item(key, buf, bytes);
}

static void select_item(uint16_t key)
{
	unsigned int i;

	fwcfg.cur = NULL;
	fwcfg.offset = 0;
	for (i = 0; i < fwcfg.nr; i++) {
		if (fwcfg.items[i].key == key) {
			fwcfg.cur = &fwcfg.items[i];
			break;
		}
	}
}

static void fwcfg_read(struct io_dev *dev, uint64_t offset, void *data, unsigned int size)
{
	unsigned char *out = data;
	unsigned int i;

	(void)dev;
	memset(data, 0, size);
	if (offset != FW_CFG_PORT_DATA - FW_CFG_PORT_SEL)
		return;		/* the selector reads 0 */
	pthread_mutex_lock(&fwcfg.lock);
	for (i = 0; i < size; i++) {
		if (fwcfg.cur && fwcfg.offset < fwcfg.cur->len)
			out[i] = fwcfg.cur->data[fwcfg.offset++];
	}
	pthread_mutex_unlock(&fwcfg.lock);
}

static void fwcfg_write(struct io_dev *dev, uint64_t offset, const void *data,
			unsigned int size)
{
	const unsigned char *in = data;
	uint16_t key;

	(void)dev;
	if (offset != 0)
		return;		/* data port: read-only items */
	key = in[0] | (size > 1 ? in[1] << 8 : 0);
	pthread_mutex_lock(&fwcfg.lock);
	select_item(key);
	pthread_mutex_unlock(&fwcfg.lock);
}

static struct io_dev fwcfg_dev = {
	.name = "fw_cfg",
	.base = FW_CFG_PORT_SEL,
	.len = 2,
	.read = fwcfg_read,
	.write = fwcfg_write,
};

int fwcfg_init(const struct fwcfg_config *cfg)
{
	static const unsigned char uuid[16];
	static const unsigned char no_files[4];
	int r;

	r = add_item(FW_CFG_SIGNATURE, "QEMU", 4) ||
	    add_le(FW_CFG_ID, FW_CFG_VERSION, 4) ||
	    add_item(FW_CFG_UUID, uuid, sizeof(uuid)) ||
	    add_le(FW_CFG_RAM_SIZE, cfg->ram_size, 8) ||
	    add_le(FW_CFG_NOGRAPHIC, 1, 2) ||
	    add_le(FW_CFG_NB_CPUS, cfg->nr_cpus, 2) ||
	    add_le(FW_CFG_MAX_CPUS, cfg->nr_cpus, 2) ||
	    add_item(FW_CFG_FILE_DIR, no_files, sizeof(no_files));
	if (!r && cfg->cmdline) {
		size_t len = strlen(cfg->cmdline) + 1;

		r = add_le(FW_CFG_CMDLINE_SIZE, len, 4) ||
		    add_item(FW_CFG_CMDLINE_DATA, cfg->cmdline, len);
	}
	if (r) {
		fprintf(stderr, "vtxctl: fw_cfg: out of memory\n");
		return -1;
	}
	select_item(FW_CFG_SIGNATURE);
	return io_register(IO_PIO, &fwcfg_dev);
}
