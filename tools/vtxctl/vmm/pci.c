// SPDX-License-Identifier: GPL-2.0
/*
 * PCI bus 0 on configuration mechanism #1 (--kernel with --virtio pci).
 *
 * Ports 0xcf8-0xcff: CONFIG_ADDRESS (0xcf8, dword only: enable bit 31, bus
 * 23:16, device 15:11, function 10:8, register 7:2) and CONFIG_DATA
 * (0xcfc-0xcff, byte, word or dword, at register + port offset).  Bus 0
 * holds the host bridge at 00:00.0 (8086:1237, class 060000H, which is
 * what Linux's pci_sanity_check() looks for without ACPI) and one
 * single-function device per slot from 1 on; any other bus, slot or
 * function, and a disabled CONFIG_ADDRESS, read all ones, and writes to
 * them are dropped (a master abort).
 *
 * A config space is bytes plus a write mask: a write changes only the
 * masked bits, which gives BAR sizing for free (the mask of a memory BAR of
 * size S is ~(S - 1) above the type bits, so writing all ones reads back
 * ~(S - 1) | type).  Only 32-bit non-prefetchable memory BARs exist; no
 * I/O BARs, no expansion ROM (reads 0).  vtxctl programs each BAR at
 * pci_add() the way firmware would, in the PCI hole [PCI_MMIO_BASE,
 * PCI_MMIO_END) that the e820 map leaves unclaimed, and the guest may move
 * it: a BAR decodes only while the command register's memory enable is
 * set and the whole BAR is inside the hole, naturally aligned; otherwise
 * its accesses go nowhere (the device's bar_moved() hears of each change,
 * for its KVM_IOEVENTFD).
 *
 * The hole is one MMIO range on io.c's bus; an access inside it goes to the
 * BAR that decodes it, or reads all ones.
 *
 * INTx: each device's INTA# gets IOAPIC pin PCI_INTX_GSI_BASE + n (its
 * interrupt line register preset to that); linux.c's MP table says so
 * (a PCI bus, one I/O interrupt entry per slot, level, active high).
 *
 * pci.lock protects CONFIG_ADDRESS, every config space and BAR address.
 */
#include <string.h>

#include "vmm.h"

#define PCI_CONF1_ADDR		0xcf8
#define PCI_CONF1_PORTS		8
#define PCI_CONF1_DATA_OFF	4
#define PCI_CONF1_ENABLE	0x80000000U
#define PCI_CONF1_ADDR_MASK	0x80fffffcU	/* enable, bus, devfn, register */

#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define PCI_COMMAND_IO		0x1
#define PCI_COMMAND_MEMORY	0x2
#define PCI_COMMAND_MASTER	0x4
#define PCI_CLASS_REVISION	0x08
#define PCI_HEADER_TYPE		0x0e
#define PCI_BASE_ADDRESS_0	0x10
#define PCI_BAR_END		(PCI_BASE_ADDRESS_0 + 4 * PCI_MAX_BARS)
#define PCI_BAR_TYPE_BITS	0xf
#define PCI_INTERRUPT_LINE	0x3c

#define HOST_BRIDGE_VENDOR	0x8086
#define HOST_BRIDGE_DEVICE	0x1237
#define PCI_CLASS_HOST_BRIDGE	0x060000

static struct pci_state {
	pthread_mutex_t lock;
	uint32_t conf1_addr;
	struct pci_dev *slots[PCI_MAX_SLOTS];
	unsigned int nr_slots;		/* slots used, the host bridge's included */
	uint64_t next_bar;		/* firmware's next BAR address */
	bool present;
} pci = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.next_bar = PCI_MMIO_BASE,
};

static struct pci_dev host_bridge = {
	.name = "host bridge",
};

/**
 * pci_conf1_decode() - the config space access CONFIG_ADDRESS selects.
 * @addr:	CONFIG_ADDRESS
 * @port_off:	the CONFIG_DATA port accessed, 0 to 3 (0xcfc + @port_off)
 * @size:	1, 2 or 4 bytes
 * @devfn:	device << 3 | function, on bus 0
 * @reg:	the register offset, @reg + @size <= PCI_CFG_SIZE
 *
 * Return: true for an access to bus 0 with the enable bit set and @size
 * bytes inside the dword; false for anything else (all ones, dropped).
 */
bool pci_conf1_decode(uint32_t addr, unsigned int port_off, unsigned int size,
		      unsigned int *devfn, unsigned int *reg)
{
	if (!(addr & PCI_CONF1_ENABLE) || (addr >> 16 & 0xff))
		return false;
	if ((size != 1 && size != 2 && size != 4) || port_off + size > 4 ||
	    (port_off & (size - 1)))
		return false;
	*devfn = addr >> 8 & 0xff;
	*reg = (addr & 0xfc) + port_off;
	return true;
}

/* With pci.lock held: recompute where BAR @bar decodes, tell the device. */
static void bar_update(struct pci_dev *pdev, unsigned int bar)
{
	uint64_t size = pdev->bar_size[bar], addr;
	uint32_t v;

	if (!size)
		return;
	memcpy(&v, &pdev->cfg[PCI_BASE_ADDRESS_0 + 4 * bar], sizeof(v));
	addr = v & ~(uint32_t)PCI_BAR_TYPE_BITS;
	if (!(pdev->cfg[PCI_COMMAND] & PCI_COMMAND_MEMORY) || addr < PCI_MMIO_BASE ||
	    addr > PCI_MMIO_END - size || (addr & (size - 1)))
		addr = 0;
	if (addr == pdev->bar_addr[bar])
		return;
	pdev->bar_addr[bar] = addr;
	if (pdev->bar_moved)
		pdev->bar_moved(pdev, bar, addr);
}

/**
 * pci_cfg_read() - read @size bytes of @pdev's config space at @reg.
 * @pdev:	the function
 * @reg:	register offset, @reg + @size <= PCI_CFG_SIZE
 * @size:	1, 2 or 4
 *
 * With pci.lock held (or no vCPU running).  Return: the value, little endian.
 */
uint32_t pci_cfg_read(struct pci_dev *pdev, unsigned int reg, unsigned int size)
{
	uint32_t v = 0;
	unsigned int i;

	for (i = 0; i < size && reg + i < PCI_CFG_SIZE; i++)
		v |= (uint32_t)pdev->cfg[reg + i] << (8 * i);
	return v;
}

/**
 * pci_cfg_write() - write @size bytes of @val to @pdev's config space.
 * @pdev:	the function
 * @reg:	register offset, @reg + @size <= PCI_CFG_SIZE
 * @val:	the value, little endian
 * @size:	1, 2 or 4
 *
 * Only the bits of the write mask change.  A write to the command
 * register or a BAR recomputes where the BARs decode; then the device's
 * cfg_written() hears of it (its capabilities).  With pci.lock held (or no
 * vCPU running).
 */
void pci_cfg_write(struct pci_dev *pdev, unsigned int reg, uint32_t val, unsigned int size)
{
	unsigned int i;

	for (i = 0; i < size && reg + i < PCI_CFG_SIZE; i++) {
		uint8_t m = pdev->wmask[reg + i];

		pdev->cfg[reg + i] = (pdev->cfg[reg + i] & ~m) | ((val >> (8 * i)) & m);
	}
	if (reg + size > PCI_COMMAND && reg < PCI_BAR_END)
		for (i = 0; i < PCI_MAX_BARS; i++)
			bar_update(pdev, i);
	if (pdev->cfg_written)
		pdev->cfg_written(pdev, reg, size);
}

static void conf1_read(struct io_dev *io, uint64_t offset, void *data, unsigned int size)
{
	unsigned int devfn, reg;
	uint32_t v = 0xffffffff;

	(void)io;
	pthread_mutex_lock(&pci.lock);
	if (offset < PCI_CONF1_DATA_OFF) {
		if (!offset && size == 4)
			v = pci.conf1_addr;
	} else if (pci_conf1_decode(pci.conf1_addr, offset - PCI_CONF1_DATA_OFF, size,
				    &devfn, &reg) &&
		   !(devfn & 7) && pci.slots[devfn >> 3]) {
		v = pci_cfg_read(pci.slots[devfn >> 3], reg, size);
	}
	pthread_mutex_unlock(&pci.lock);
	memcpy(data, &v, size);
}

static void conf1_write(struct io_dev *io, uint64_t offset, const void *data, unsigned int size)
{
	unsigned int devfn, reg;
	uint32_t v = 0;

	(void)io;
	memcpy(&v, data, size < sizeof(v) ? size : sizeof(v));
	pthread_mutex_lock(&pci.lock);
	if (offset < PCI_CONF1_DATA_OFF) {
		/* dword only: Linux's probe writes a byte at 0xcfb (ignored) */
		if (!offset && size == 4)
			pci.conf1_addr = v & PCI_CONF1_ADDR_MASK;
	} else if (pci_conf1_decode(pci.conf1_addr, offset - PCI_CONF1_DATA_OFF, size,
				    &devfn, &reg) &&
		   !(devfn & 7) && pci.slots[devfn >> 3]) {
		pci_cfg_write(pci.slots[devfn >> 3], reg, v, size);
	}
	pthread_mutex_unlock(&pci.lock);
}

static struct io_dev conf1_dev = {
	.name = "pci conf1",
	.base = PCI_CONF1_ADDR,
	.len = PCI_CONF1_PORTS,
	.read = conf1_read,
	.write = conf1_write,
};

/* The BAR that decodes @addr; NULL if none. */
static struct pci_dev *hole_find(uint64_t addr, unsigned int *bar, uint64_t *offset)
{
	struct pci_dev *found = NULL;
	unsigned int s, b;

	pthread_mutex_lock(&pci.lock);
	for (s = 0; s < pci.nr_slots && !found; s++) {
		struct pci_dev *pdev = pci.slots[s];

		for (b = 0; b < PCI_MAX_BARS && !found; b++) {
			if (!pdev->bar_addr[b] || addr < pdev->bar_addr[b] ||
			    addr - pdev->bar_addr[b] >= pdev->bar_size[b])
				continue;
			found = pdev;
			*bar = b;
			*offset = addr - pdev->bar_addr[b];
		}
	}
	pthread_mutex_unlock(&pci.lock);
	return found;
}

static void hole_read(struct io_dev *io, uint64_t offset, void *data, unsigned int size)
{
	struct pci_dev *pdev;
	uint64_t off;
	unsigned int bar;

	pdev = hole_find(io->base + offset, &bar, &off);
	memset(data, 0xff, size);
	/* An access that runs past the BAR's end goes nowhere. */
	if (pdev && pdev->bar_read && off + size <= pdev->bar_size[bar])
		pdev->bar_read(pdev, bar, off, data, size);
}

static void hole_write(struct io_dev *io, uint64_t offset, const void *data, unsigned int size)
{
	struct pci_dev *pdev;
	uint64_t off;
	unsigned int bar;

	pdev = hole_find(io->base + offset, &bar, &off);
	if (pdev && pdev->bar_write && off + size <= pdev->bar_size[bar])
		pdev->bar_write(pdev, bar, off, data, size);
}

static struct io_dev hole_dev = {
	.name = "pci hole",
	.base = PCI_MMIO_BASE,
	.len = PCI_MMIO_END - PCI_MMIO_BASE,
	.read = hole_read,
	.write = hole_write,
};

static void put16(struct pci_dev *pdev, unsigned int reg, uint16_t v)
{
	memcpy(&pdev->cfg[reg], &v, sizeof(v));
}

static void put32(struct pci_dev *pdev, unsigned int reg, uint32_t v)
{
	memcpy(&pdev->cfg[reg], &v, sizeof(v));
}

/**
 * pci_add() - put @pdev in the next free slot of bus 0.
 * @pdev:	cfg filled in (IDs, class, capabilities), bar_size and the
 *		callbacks set; wmask and BAR registers are set here
 * @intx:	give it INTA# on an IOAPIC pin of its own (pdev->gsi)
 *
 * Before the vCPUs run.  The command register, the BARs and the interrupt
 * line become writable; each BAR is programmed at the next free, naturally
 * aligned address of the PCI hole, with memory decoding enabled, as
 * firmware leaves it.
 *
 * Return: 0, or -1 after printing why not.
 */
int pci_add(struct pci_dev *pdev, bool intx)
{
	unsigned int b;

	if (pci.nr_slots == PCI_MAX_SLOTS ||
	    (intx && pci.nr_slots > PCI_INTX_GSIS)) {
		fprintf(stderr, "vtxctl: no PCI slot left for %s\n", pdev->name);
		return -1;
	}
	pdev->slot = pci.nr_slots;
	put16(pdev, PCI_COMMAND, 0);
	pdev->wmask[PCI_COMMAND] = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	pdev->wmask[PCI_INTERRUPT_LINE] = 0xff;
	for (b = 0; b < PCI_MAX_BARS; b++) {
		uint64_t size = pdev->bar_size[b];
		uint32_t mask = ~(uint32_t)(size - 1) & ~(uint32_t)PCI_BAR_TYPE_BITS;

		put32(pdev, PCI_BASE_ADDRESS_0 + 4 * b, 0);
		if (!size)
			continue;
		if (size & (size - 1) || size <= PCI_BAR_TYPE_BITS) {
			fprintf(stderr, "vtxctl: %s: bad BAR size %llu\n", pdev->name,
				(unsigned long long)size);
			return -1;
		}
		pci.next_bar = (pci.next_bar + size - 1) & ~(size - 1);
		if (pci.next_bar > PCI_MMIO_END - size) {
			fprintf(stderr, "vtxctl: %s: the PCI hole is full\n", pdev->name);
			return -1;
		}
		memcpy(&pdev->wmask[PCI_BASE_ADDRESS_0 + 4 * b], &mask, sizeof(mask));
		put32(pdev, PCI_BASE_ADDRESS_0 + 4 * b, pci.next_bar);
		pci.next_bar += size;
	}
	if (intx) {
		pdev->gsi = PCI_INTX_GSI_BASE + pci.nr_slots - 1;
		pdev->cfg[PCI_INTERRUPT_LINE] = pdev->gsi;
	}
	pci_cfg_write(pdev, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	pci.slots[pci.nr_slots++] = pdev;
	return 0;
}

/**
 * pci_init() - the host bridge, CONFIG_ADDRESS/CONFIG_DATA and the hole.
 *
 * Return: 0, or -1 after printing why not.
 */
int pci_init(void)
{
	put16(&host_bridge, PCI_VENDOR_ID, HOST_BRIDGE_VENDOR);
	put16(&host_bridge, PCI_DEVICE_ID, HOST_BRIDGE_DEVICE);
	put32(&host_bridge, PCI_CLASS_REVISION, PCI_CLASS_HOST_BRIDGE << 8);
	if (io_register(IO_PIO, &conf1_dev) || io_register(IO_MMIO, &hole_dev) ||
	    pci_add(&host_bridge, false))
		return -1;
	pci.present = true;
	return 0;
}

bool pci_present(void)
{
	return pci.present;
}

/* The functions on bus 0 after the host bridge. */
unsigned int pci_nr_devs(void)
{
	return pci.nr_slots ? pci.nr_slots - 1 : 0;
}

const struct pci_dev *pci_dev_get(unsigned int i)
{
	return i + 1 < pci.nr_slots ? pci.slots[i + 1] : NULL;
}
