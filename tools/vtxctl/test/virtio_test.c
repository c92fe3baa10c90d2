// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of vtxctl's virtio-mmio transport and virtio-blk with a
 * hostile driver: no VM, no KVM.  Guest RAM is mem_alloc()'s mapping,
 * the driver's register accesses go through io.c's MMIO bus as a vCPU's
 * would, and process_queue() (included from virtio.c) is called directly
 * instead of waking the I/O thread.
 *
 *   make -C tools/vtxctl test
 *
 * Checks: a valid read, write and flush on a raw file; a write on a ,ro
 * disk (IOERR, file unchanged); a read past the end (IOERR); and rings that
 * break the rules, each of which must set DEVICE_NEEDS_RESET without any
 * access outside guest RAM: a descriptor loop, a next index outside the
 * ring, a buffer outside RAM, a buffer straddling RAM's end, an available
 * index more than a ring ahead, an indirect descriptor, a ring outside RAM
 * at QueueReady, a queue size that is not a power of two; and that a reset
 * (status 0) clears DEVICE_NEEDS_RESET.  Then virtio-pci (pci_tests()),
 * and virtio-net (net_tests()) on one end of an AF_UNIX datagram socketpair
 * standing in for the tap (frames keep their boundaries, as on a tap), and
 * virtio-console (console_tests()) on pipes and a regular file.
 */
#include "../vmm/virtio.c"
#include "../vmm/virtio_net.c"
#include "../vmm/virtio_console.c"
#include "../vmm/virtio_pci.c"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

struct run_stats stats;		/* io.c counts unclaimed accesses here */

#define RAM_SIZE	(1 * MiB)
#define BASE0		VIRTIO_MMIO_BASE
#define BASE1		(VIRTIO_MMIO_BASE + VIRTIO_MMIO_STRIDE)
#define QSIZE		8
#define DESC		0x1000
#define AVAIL		0x2000
#define USED		0x3000
#define HDR		0x4000
#define DATA		0x5000
#define STATUS		0x6000

static struct vm vm;
static int failures;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		failures++;						\
		printf("FAIL %s:%d: ", __FILE__, __LINE__);		\
		printf(__VA_ARGS__);					\
		printf("\n");						\
	}								\
} while (0)

static uint8_t *ram(uint64_t gpa)
{
	return gpa_to_hva(&vm, gpa, 1);
}

static void wr(uint64_t base, uint64_t off, uint32_t val)
{
	io_access(IO_MMIO, base + off, &val, 4, true);
}

static uint32_t rd(uint64_t base, uint64_t off)
{
	uint32_t val;

	io_access(IO_MMIO, base + off, &val, 4, false);
	return val;
}

/* The driver's set-up of queue 0 with the rings at DESC, AVAIL, USED. */
static void driver_init(uint64_t base, uint32_t num, uint64_t desc)
{
	wr(base, VIRTIO_MMIO_STATUS, 0);
	wr(base, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(base, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(base, VIRTIO_MMIO_DRIVER_FEATURES, 1);	/* VERSION_1 */
	wr(base, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
	   VIRTIO_STATUS_FEATURES_OK);
	wr(base, VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(base, VIRTIO_MMIO_QUEUE_NUM, num);
	wr(base, VIRTIO_MMIO_QUEUE_DESC_LOW, desc);
	wr(base, VIRTIO_MMIO_QUEUE_DESC_HIGH, desc >> 32);
	wr(base, VIRTIO_MMIO_QUEUE_AVAIL_LOW, AVAIL);
	wr(base, VIRTIO_MMIO_QUEUE_USED_LOW, USED);
	wr(base, VIRTIO_MMIO_QUEUE_READY, 1);
	wr(base, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
	   VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	memset(ram(AVAIL), 0, 0x1000);
	memset(ram(USED), 0, 0x1000);
}

static void set_desc(unsigned int i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	struct virtq_desc d = { .addr = addr, .len = len, .flags = flags, .next = next };

	memcpy(ram(DESC) + i * sizeof(d), &d, sizeof(d));
}

/* Offer chain @head as the next available entry. */
static void offer(uint16_t head)
{
	uint16_t *avail = (uint16_t *)ram(AVAIL);

	avail[2 + avail[1] % QSIZE] = head;
	avail[1]++;
}

static uint16_t used_idx(void)
{
	return ((uint16_t *)ram(USED))[1];
}

static uint32_t used_len(unsigned int i)
{
	uint32_t len;

	memcpy(&len, ram(USED) + 4 + (i % QSIZE) * 8 + 4, sizeof(len));
	return len;
}

/* A block request: header, one data buffer of @len, the status byte. */
static void blk_req(uint32_t type, uint64_t sector, uint32_t len, bool data_writable)
{
	struct virtio_blk_req_hdr hdr = { .type = type, .sector = sector };

	memcpy(ram(HDR), &hdr, sizeof(hdr));
	set_desc(0, HDR, sizeof(hdr), VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, DATA, len, VIRTQ_DESC_F_NEXT | (data_writable ? VIRTQ_DESC_F_WRITE : 0), 2);
	set_desc(2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	*ram(STATUS) = 0xff;
	offer(0);
}

static bool needs_reset(uint64_t base)
{
	return rd(base, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET;
}

static struct virtio_queue *queue(unsigned int dev)
{
	return &vs.devs[dev]->queues[0];
}

/* A hostile ring on device 0: process it, expect NEEDS_RESET, no completion. */
static void expect_refused(const char *what)
{
	uint16_t before = used_idx();

	process_queue(queue(0));
	CHECK(needs_reset(BASE0), "%s: no DEVICE_NEEDS_RESET", what);
	CHECK(used_idx() == before, "%s: completed anyway", what);
	driver_init(BASE0, QSIZE, DESC);
	CHECK(!needs_reset(BASE0), "%s: a reset left DEVICE_NEEDS_RESET", what);
}

/* Config space through conf1, as a guest's in/out would do it. */
static uint32_t cfg_rd(unsigned int slot, unsigned int reg, unsigned int size)
{
	uint32_t addr = 0x80000000U | slot << 11 | (reg & 0xfc), val = 0;

	io_access(IO_PIO, 0xcf8, &addr, 4, true);
	io_access(IO_PIO, 0xcfc + (reg & 3), &val, size, false);
	return size == 4 ? val : val & ((1U << (8 * size)) - 1);
}

static void cfg_wr(unsigned int slot, unsigned int reg, uint32_t val, unsigned int size)
{
	uint32_t addr = 0x80000000U | slot << 11 | (reg & 0xfc);

	io_access(IO_PIO, 0xcf8, &addr, 4, true);
	io_access(IO_PIO, 0xcfc + (reg & 3), &val, size, true);
}

static uint32_t bar_rd(uint64_t addr, unsigned int size)
{
	uint32_t val = 0;

	io_access(IO_MMIO, addr, &val, size, false);
	return size == 4 ? val : val & ((1U << (8 * size)) - 1);
}

static void bar_wr(uint64_t addr, uint32_t val, unsigned int size)
{
	io_access(IO_MMIO, addr, &val, size, true);
}

/* The offset in BAR0 of the virtio capability of @type, -1 if none. */
static long find_cap(unsigned int slot, unsigned int type, uint32_t *mult)
{
	unsigned int at = cfg_rd(slot, 0x34, 1), n = 0;

	while (at && n++ < 48) {
		if (cfg_rd(slot, at, 1) == 0x09 && cfg_rd(slot, at + 3, 1) == type &&
		    cfg_rd(slot, at + 4, 1) == 0) {
			if (mult)
				*mult = cfg_rd(slot, at + 16, 4);
			return cfg_rd(slot, at + 8, 4);
		}
		at = cfg_rd(slot, at + 1, 1);
	}
	return -1;
}

/* The config-space offset of the MSI-X capability, 0 if none. */
static unsigned int find_msix(unsigned int slot)
{
	unsigned int at = cfg_rd(slot, 0x34, 1), n = 0;

	while (at && n++ < 48) {
		if (cfg_rd(slot, at, 1) == 0x11)
			return at;
		at = cfg_rd(slot, at + 1, 1);
	}
	return 0;
}

/* The eventfd of vector @v has a count (and keeps it). */
static bool vector_count(struct vpci_msix *m, unsigned int v)
{
	struct pollfd pfd = { .fd = m->fd[v], .events = POLLIN };

	return poll(&pfd, 1, 0) == 1;
}

/* The route of GSI @gsi in the table vtxctl would install; NULL if none. */
static bool msi_route(unsigned int gsi, uint32_t addr, uint32_t data)
{
	struct kvm_irq_routing_entry e[64];
	unsigned int n = virtio_pci_msix_routes(e, 64), i, found = 0;

	for (i = 0; i < n; i++)
		if (e[i].gsi == gsi && e[i].type == KVM_IRQ_ROUTING_MSI &&
		    e[i].u.msi.address_lo == addr && !e[i].u.msi.address_hi &&
		    e[i].u.msi.data == data)
			found++;
	return found == 1;
}

/*
 * virtio_pci.c's MSI-X with a hostile driver: the capability, BAR1,
 * the vector registers (a vector past the table reads NO_VECTOR), masked
 * vectors pending in the PBA and live (routed) when unmasked, the function
 * mask, bad message addresses, accesses of wrong widths or outside the
 * table, INTx again with MSI-X disabled, and a reset unmapping the events.
 * No VM: the routes are the table virtio_pci_msix_routes() builds, the
 * pending count is the vector's eventfd.
 */
static void msix_tests(struct virtio_dev *dev, unsigned int slot, uint64_t common)
{
	struct vm fvm = { .fd = -1 };
	struct vpci_msix *m = dev->msix;
	struct kvm_irq_routing_entry routes[64];
	unsigned int cap = find_msix(slot), gsi;
	uint32_t bar1;
	uint64_t tbl, n;

	CHECK(cap && m, "no MSI-X capability");
	if (!cap || !m)
		return;
	CHECK(cfg_rd(slot, cap + 2, 2) == 1, "message control %#x: want 2 vectors, disabled",
	      cfg_rd(slot, cap + 2, 2));
	CHECK(cfg_rd(slot, cap + 4, 4) == 1 && cfg_rd(slot, cap + 8, 4) == 0x801,
	      "table %#x PBA %#x: want BAR1 0 and 0x800", cfg_rd(slot, cap + 4, 4),
	      cfg_rd(slot, cap + 8, 4));
	cfg_wr(slot, cap + 2, 0x3fff, 2);	/* only enable and mask are writable */
	CHECK(cfg_rd(slot, cap + 2, 2) == 1, "table size writable");
	bar1 = cfg_rd(slot, 0x14, 4);
	CHECK(bar1 >= PCI_MMIO_BASE && !(bar1 & 0xfff) && dev->pci.bar_addr[1] == bar1,
	      "BAR1 %#x", bar1);
	cfg_wr(slot, 0x14, 0xffffffff, 4);
	CHECK(cfg_rd(slot, 0x14, 4) == 0xfffff000, "BAR1 sizing %#x", cfg_rd(slot, 0x14, 4));
	cfg_wr(slot, 0x14, bar1, 4);
	tbl = bar1;
	gsi = m->gsi_base;
	CHECK(gsi >= 24, "MSI-X GSI %u on an IOAPIC pin", gsi);

	/* Entries reset masked; 1- and 2-byte, misaligned, past-the-table accesses. */
	CHECK(bar_rd(tbl + 12, 4) == 1 && bar_rd(tbl + 28, 4) == 1, "entries not masked");
	CHECK(bar_rd(tbl + 12, 1) == 0 && bar_rd(tbl + 14, 2) == 0, "a narrow table read");
	bar_wr(tbl + 0, 0xfee00000, 2);
	bar_wr(tbl + 2, 0xfee0, 2);
	bar_wr(tbl + 6, 1, 4);
	CHECK(bar_rd(tbl, 4) == 0 && bar_rd(tbl + 4, 4) == 0, "a narrow or misaligned write");
	bar_wr(tbl + 32, 0xfee00000, 4);	/* entry 2 of 2 */
	bar_wr(tbl + 0x7f0, 0xfee00000, 4);
	CHECK(bar_rd(tbl + 32, 4) == 0 && bar_rd(tbl + 0x7f0, 4) == 0,
	      "a write past the table stuck");
	bar_wr(tbl + 0x800, 0xffffffff, 4);	/* the PBA is read-only */
	CHECK(bar_rd(tbl + 0x800, 4) == 0, "PBA %#x after a write", bar_rd(tbl + 0x800, 4));
	CHECK(bar_rd(tbl + 0xffc, 4) == 0 && bar_rd(tbl + 0x1000, 4) == 0xffffffff,
	      "BAR1's end");

	/* The vector registers. */
	bar_wr(common + 0x14, 0, 1);		/* reset: out of NEEDS_RESET */
	bar_wr(common + 0x16, 0, 2);
	bar_wr(common + 0x1a, 1, 2);
	CHECK(bar_rd(common + 0x1a, 2) == 1, "queue 0 vector %#x", bar_rd(common + 0x1a, 2));
	bar_wr(common + 0x1a, 2, 2);		/* past the table */
	CHECK(bar_rd(common + 0x1a, 2) == 0xffff, "vector 2 of 2 reads %#x",
	      bar_rd(common + 0x1a, 2));
	bar_wr(common + 0x1a, 0xfffe, 2);
	CHECK(bar_rd(common + 0x1a, 2) == 0xffff, "vector 0xfffe accepted");
	bar_wr(common + 0x1a, 1, 4);		/* a dword write of a 16-bit field */
	CHECK(bar_rd(common + 0x1a, 2) == 0xffff, "a dword vector write");
	bar_wr(common + 0x16, 7, 2);		/* no queue 7: dropped */
	bar_wr(common + 0x1a, 0, 2);
	CHECK(bar_rd(common + 0x1a, 2) == 0xffff, "queue 7 has a vector");
	bar_wr(common + 0x16, 0, 2);
	bar_wr(common + 0x1a, 1, 2);
	bar_wr(common + 0x10, 0, 2);
	CHECK(bar_rd(common + 0x10, 2) == 0, "msix_config %#x", bar_rd(common + 0x10, 2));

	/* MSI-X disabled: INTx, the ISR bit. */
	atomic_store(&dev->isr, 0);
	virtio_queue_interrupt(&dev->queues[0]);
	CHECK(atomic_load(&dev->isr) == VIRTIO_INT_USED && !vector_count(m, 1),
	      "INTx with MSI-X disabled: isr %u", atomic_load(&dev->isr));
	CHECK(virtio_pci_call_fd(dev, 0) == -1, "a call fd without MSI-X");

	/* Enabled, the entries masked: pending, no route, no ISR bit. */
	atomic_store(&dev->isr, 0);
	cfg_wr(slot, cap + 2, 0x8000, 2);
	CHECK(atomic_load(&m->enabled) && virtio_pci_call_fd(dev, 0) == m->fd[1],
	      "MSI-X enable");
	virtio_queue_interrupt(&dev->queues[0]);
	CHECK(atomic_load(&dev->isr) == 0 && vector_count(m, 1) && bar_rd(tbl + 0x800, 4) == 2,
	      "masked vector 1: isr %u PBA %#x", atomic_load(&dev->isr), bar_rd(tbl + 0x800, 4));
	CHECK(!m->live[1] && !msi_route(gsi + 1, 0xfee00000, 0x4041), "a masked vector routed");

	/* The message, then unmask: live, routed, nothing pending in the PBA. */
	bar_wr(tbl + 16, 0xfee00003, 4);	/* bits 1:0 read 0 */
	bar_wr(tbl + 20, 0, 4);
	bar_wr(tbl + 24, 0x4041, 4);
	CHECK(bar_rd(tbl + 16, 4) == 0xfee00000 && bar_rd(tbl + 24, 4) == 0x4041, "entry 1");
	bar_wr(tbl + 28, 0xfffffffe, 4);	/* reserved bits, unmasked */
	CHECK(bar_rd(tbl + 28, 4) == 0 && m->live[1] && msi_route(gsi + 1, 0xfee00000, 0x4041) &&
	      bar_rd(tbl + 0x800, 4) == 0, "unmasked vector 1: live %d PBA %#x", m->live[1],
	      bar_rd(tbl + 0x800, 4));
	CHECK(!m->live[0] && !msi_route(gsi, 0, 0), "vector 0 is masked but routed");
	CHECK(virtio_pci_msix_routes(routes, ARRAY_SIZE(routes)) == 24 + 16 + 1,
	      "the irqchip's default routes and one MSI");

	/* The function mask holds it; clearing it routes again. */
	cfg_wr(slot, cap + 3, 0xc0, 1);
	CHECK(!m->live[1] && bar_rd(tbl + 0x800, 4) == 2, "function mask: live %d PBA %#x",
	      m->live[1], bar_rd(tbl + 0x800, 4));
	cfg_wr(slot, cap + 3, 0x80, 1);
	CHECK(m->live[1], "function unmask");
	/* An unmasked 64-bit write of the message: the route follows. */
	bar_wr(tbl + 24, 0x4051, 4);
	CHECK(msi_route(gsi + 1, 0xfee00000, 0x4051) && !msi_route(gsi + 1, 0xfee00000, 0x4041),
	      "the route kept the old data");

	/* Messages that are no interrupt: held, never routed. */
	bar_wr(tbl + 16, 0x12345678, 4);
	CHECK(!m->live[1] && !msi_route(gsi + 1, 0x12345678, 0x4051), "address 0x12345678 routed");
	bar_wr(tbl + 16, 0xfee00000, 4);
	bar_wr(tbl + 20, 1, 4);
	CHECK(!m->live[1], "a message above 4 GiB routed");
	bar_wr(tbl + 20, 0, 4);
	CHECK(m->live[1], "back to a good message");

	/* Unmapped: no vector, no interrupt at all. */
	while (read(m->fd[1], &n, sizeof(n)) == sizeof(n))
		;
	bar_wr(common + 0x1a, 0xffff, 2);
	CHECK(!m->live[1] && virtio_pci_call_fd(dev, 0) == -1, "an unmapped vector is live");
	virtio_queue_interrupt(&dev->queues[0]);
	CHECK(!vector_count(m, 1) && !vector_count(m, 0) && m->no_vector == 1 &&
	      atomic_load(&dev->isr) == 0, "an unmapped queue interrupted");

	/* A configuration change on msix_config's vector 0 (masked: pending). */
	virtio_interrupt(dev, VIRTIO_INT_CONFIG);
	CHECK(vector_count(m, 0) && (bar_rd(tbl + 0x800, 4) & 1) &&
	      atomic_load(&dev->isr) == VIRTIO_INT_CONFIG, "config change: PBA %#x isr %u",
	      bar_rd(tbl + 0x800, 4), atomic_load(&dev->isr));

	/* A reset unmaps every event; MSI-X disabled is INTx again. */
	bar_wr(common + 0x1a, 1, 2);
	bar_wr(common + 0x14, 0, 1);
	CHECK(bar_rd(common + 0x10, 2) == 0xffff && bar_rd(common + 0x1a, 2) == 0xffff &&
	      !m->live[1], "a reset kept the vectors");
	cfg_wr(slot, cap + 2, 0, 2);
	atomic_store(&dev->isr, 0);
	virtio_queue_interrupt(&dev->queues[0]);
	CHECK(!atomic_load(&m->enabled) && atomic_load(&dev->isr) == VIRTIO_INT_USED,
	      "MSI-X disable: isr %u", atomic_load(&dev->isr));
	CHECK(bar_rd(tbl + 0x800, 4) == 1, "pending vector 0 lost: PBA %#x",
	      bar_rd(tbl + 0x800, 4));

	/*
	 * The fallback: a "KVM" (/dev/null) that refuses KVM_IRQFD.  A vector
	 * that goes live is direct: what waited is taken from the eventfd and
	 * sent by KVM_SIGNAL_MSI (refused here too: counted, never left
	 * pending), so is each signal after it, vhost gets no call fd of it;
	 * masked again, it waits in the eventfd as before.
	 */
	fvm.fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	msix_state.vm = &fvm;
	bar_wr(common + 0x14, 0, 1);
	cfg_wr(slot, cap + 2, 0x8000, 2);
	bar_wr(common + 0x16, 0, 2);
	bar_wr(common + 0x1a, 1, 2);
	bar_wr(tbl + 28, 1, 4);
	while (read(m->fd[1], &n, sizeof(n)) == sizeof(n))
		;
	virtio_queue_interrupt(&dev->queues[0]);
	CHECK(vector_count(m, 1) && !m->direct[1], "fallback: masked vector 1 not pending");
	bar_wr(tbl + 28, 0, 4);
	CHECK(m->live[1] && !m->bound[1] && m->direct[1] &&
	      m->direct_signals == 1 && !vector_count(m, 1),
	      "fallback: live %d bound %d direct %d, %llu KVM_SIGNAL_MSI, pending %d", m->live[1],
	      m->bound[1], m->direct[1], (unsigned long long)m->direct_signals,
	      vector_count(m, 1));
	CHECK(virtio_pci_call_fd(dev, 0) == -1, "fallback: a call fd of a direct vector");
	virtio_queue_interrupt(&dev->queues[0]);
	CHECK(m->direct_signals == 2 && m->direct_errors == 2 && !vector_count(m, 1),
	      "fallback: a signal not sent directly (%llu)", (unsigned long long)m->direct_signals);
	bar_wr(tbl + 28, 1, 4);
	virtio_queue_interrupt(&dev->queues[0]);
	CHECK(!m->direct[1] && vector_count(m, 1) && m->direct_signals == 2 &&
	      virtio_pci_call_fd(dev, 0) == m->fd[1], "fallback: masked again, not pending");
	msix_state.vm = NULL;
	close(fvm.fd);
}

/*
 * pci.c and virtio_pci.c: conf1 decoding, absent functions, BAR sizing and
 * moves (with the notification address), the capability list, the common
 * configuration, ISR read-to-clear, a virtio-rng request over PCI, and a
 * ring outside RAM refused.
 */
static void pci_tests(void)
{
	unsigned int devfn, reg, slot;
	struct virtio_dev *dev;
	uint32_t mult = 0, bar, v;
	long common, notify, isr, devcfg;
	uint64_t base, n;

	CHECK(pci_conf1_decode(0x80000810, 0, 4, &devfn, &reg) && devfn == 8 && reg == 0x10,
	      "conf1 00:01.0 reg 0x10");
	CHECK(pci_conf1_decode(0x80001a3f, 2, 2, &devfn, &reg) && devfn == 0x1a &&
	      reg == 0x3e, "conf1 word at 0xcfe: devfn %#x reg %#x", devfn, reg);
	CHECK(pci_conf1_decode(0x800000fc, 3, 1, &devfn, &reg) && reg == 0xff,
	      "conf1 byte at 0xcff of reg 0xfc");
	CHECK(!pci_conf1_decode(0x00000810, 0, 4, &devfn, &reg), "conf1 without enable");
	CHECK(!pci_conf1_decode(0x80010000, 0, 4, &devfn, &reg), "conf1 bus 1");
	CHECK(!pci_conf1_decode(0x80000000, 1, 2, &devfn, &reg), "conf1 misaligned word");
	CHECK(!pci_conf1_decode(0x80000000, 2, 4, &devfn, &reg), "conf1 dword past 0xcff");

	if (pci_init() || virtio_rng_add()) {
		CHECK(0, "pci_init or virtio_rng_add");
		return;
	}
	dev = vs.devs[vs.nr - 1];
	if (virtio_pci_add(dev)) {
		CHECK(0, "virtio_pci_add");
		return;
	}
	dev->vm = &vm;
	dev->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	dev->queues[0].kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	slot = dev->pci.slot;
	CHECK(slot == 1, "rng in slot %u", slot);

	/* CONFIG_ADDRESS reads back (Linux's pci_check_type1()). */
	v = 0x80000000;
	io_access(IO_PIO, 0xcf8, &v, 4, true);
	v = 0;
	io_access(IO_PIO, 0xcf8, &v, 4, false);
	CHECK(v == 0x80000000, "CONFIG_ADDRESS reads %#x", v);
	CHECK(cfg_rd(0, 0, 4) == 0x12378086, "host bridge id %#x", cfg_rd(0, 0, 4));
	CHECK(cfg_rd(0, 0x08, 4) >> 8 == 0x060000, "host bridge class");
	CHECK(cfg_rd(slot, 0, 4) == 0x10441af4, "virtio-rng id %#x", cfg_rd(slot, 0, 4));
	CHECK(cfg_rd(slot, 2, 2) == 0x1044 && cfg_rd(slot, 3, 1) == 0x10, "word/byte reads");
	CHECK(cfg_rd(slot, 0x2c, 4) == 0x00041af4, "subsystem %#x", cfg_rd(slot, 0x2c, 4));
	CHECK(cfg_rd(slot, 0x08, 1) == 1, "revision 1 (modern)");
	CHECK(cfg_rd(slot, 0x06, 2) & 0x10, "status without the capability list bit");
	CHECK(cfg_rd(slot, 0x3d, 1) == 1 && cfg_rd(slot, 0x3c, 1) == dev->irq && dev->irq == 16,
	      "INTA# line %u irq %u", cfg_rd(slot, 0x3c, 1), dev->irq);
	CHECK(cfg_rd(5, 0, 4) == 0xffffffff, "an absent slot reads %#x", cfg_rd(5, 0, 4));
	v = 0x80000000U | slot << 11 | 1 << 8;	/* function 1 */
	io_access(IO_PIO, 0xcf8, &v, 4, true);
	io_access(IO_PIO, 0xcfc, &v, 4, false);
	CHECK(v == 0xffffffff, "function 1 reads %#x", v);
	cfg_wr(slot, 0x00, 0, 4);
	CHECK(cfg_rd(slot, 0, 4) == 0x10441af4, "the IDs were writable");
	cfg_wr(5, 0x04, 0xffff, 2);		/* dropped, no crash */

	/* BAR0: firmware's address, sizing, a move, and moves out of the hole. */
	bar = cfg_rd(slot, 0x10, 4);
	CHECK(bar >= PCI_MMIO_BASE && !(bar & 0x3fff) && dev->pci.bar_addr[0] == bar,
	      "BAR0 %#x", bar);
	CHECK(dev->notify_base == bar + 0x3000, "notify base %#llx",
	      (unsigned long long)dev->notify_base);
	cfg_wr(slot, 0x10, 0xffffffff, 4);
	CHECK(cfg_rd(slot, 0x10, 4) == 0xffffc000, "sizing reads %#x", cfg_rd(slot, 0x10, 4));
	CHECK(cfg_rd(slot, 0x18, 4) == 0 && cfg_rd(slot, 0x30, 4) == 0,
	      "BAR2 or the ROM BAR is implemented");
	cfg_wr(slot, 0x18, 0xffffffff, 4);
	CHECK(cfg_rd(slot, 0x18, 4) == 0, "BAR2 took a write");
	CHECK(dev->pci.bar_addr[0] == 0 && dev->notify_base == 0,
	      "the all-ones BAR decodes at %#llx", (unsigned long long)dev->pci.bar_addr[0]);
	cfg_wr(slot, 0x10, 0xe0004123, 4);	/* the low bits are read-only */
	base = 0xe0004000;
	CHECK(cfg_rd(slot, 0x10, 4) == base && dev->pci.bar_addr[0] == base &&
	      dev->notify_base == base + 0x3000, "BAR0 moved to %#x",
	      cfg_rd(slot, 0x10, 4));
	cfg_wr(slot, 0x04, 0, 2);		/* memory decoding off */
	CHECK(dev->pci.bar_addr[0] == 0 && bar_rd(base, 4) == 0xffffffff,
	      "BAR0 decodes with memory space disabled");
	cfg_wr(slot, 0x04, 0x6, 2);
	CHECK(dev->pci.bar_addr[0] == base, "memory space enable");
	cfg_wr(slot, 0x10, 0x10000000, 4);	/* over guest RAM: refused */
	CHECK(dev->pci.bar_addr[0] == 0, "a BAR over RAM decodes");
	cfg_wr(slot, 0x10, 0xfebfc000, 4);	/* the last fit below the IOAPIC */
	CHECK(dev->pci.bar_addr[0] == 0xfebfc000, "BAR0 at the hole's end");
	cfg_wr(slot, 0x10, 0xfec00000, 4);	/* the IOAPIC */
	CHECK(dev->pci.bar_addr[0] == 0, "a BAR over the IOAPIC decodes");
	cfg_wr(slot, 0x10, base, 4);

	/* The capabilities, all in BAR0, and the common configuration. */
	common = find_cap(slot, 1, NULL);
	notify = find_cap(slot, 2, &mult);
	isr = find_cap(slot, 3, NULL);
	devcfg = find_cap(slot, 4, NULL);
	CHECK(common >= 0 && notify >= 0 && isr >= 0 && devcfg >= 0 && mult == 4,
	      "caps: common %ld notify %ld (x%u) isr %ld device %ld", common, notify, mult,
	      isr, devcfg);
	if (common < 0 || notify < 0 || isr < 0)
		return;
	CHECK(bar_rd(base + common + 0x12, 2) == 1, "num_queues");
	CHECK(bar_rd(base + common + 0x12, 4) == 0, "a dword read of a 16-bit field");
	bar_wr(base + common + 0x00, 1, 4);
	CHECK(bar_rd(base + common + 0x04, 4) & 1, "no VERSION_1");
	bar_wr(base + common + 0x14, 0, 1);
	bar_wr(base + common + 0x14, 3, 1);
	bar_wr(base + common + 0x08, 1, 4);
	bar_wr(base + common + 0x0c, 1, 4);
	bar_wr(base + common + 0x14, 0xb, 1);
	CHECK(bar_rd(base + common + 0x14, 1) == 0xb, "FEATURES_OK refused");
	bar_wr(base + common + 0x16, 0, 2);
	CHECK(bar_rd(base + common + 0x18, 2) == VIRTIO_QUEUE_MAX, "queue_size %u",
	      bar_rd(base + common + 0x18, 2));
	CHECK(bar_rd(base + common + 0x1e, 2) == 0 && bar_rd(base + common + 0x1a, 2) == 0xffff,
	      "queue_notify_off / msix vector");
	bar_wr(base + common + 0x18, QSIZE, 2);
	bar_wr(base + common + 0x20, DESC, 4);
	bar_wr(base + common + 0x24, 0, 4);
	bar_wr(base + common + 0x28, AVAIL, 4);
	bar_wr(base + common + 0x30, USED, 4);
	memset(ram(AVAIL), 0, 0x1000);
	memset(ram(USED), 0, 0x1000);
	bar_wr(base + common + 0x1c, 1, 2);
	bar_wr(base + common + 0x14, 0xf, 1);
	CHECK(bar_rd(base + common + 0x1c, 2) == 1 && bar_rd(base + common + 0x20, 4) == DESC,
	      "queue not enabled");
	bar_wr(base + common + 0x20, DATA, 4);	/* ignored while enabled */
	CHECK(bar_rd(base + common + 0x20, 4) == DESC, "queue_desc changed while enabled");

	/* A virtio-rng request; the notification by exit; the ISR. */
	memset(ram(DATA), 0, 64);
	set_desc(0, DATA, 64, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	bar_wr(base + notify, 0, 2);
	CHECK(dev->queues[0].kicks_by_exit == 1 &&
	      read(dev->queues[0].kick_fd, &n, sizeof(n)) == sizeof(n),
	      "a notify write by exit did not kick");
	bar_wr(base + notify + 4, 0, 2);	/* past the only queue: nothing */
	CHECK(dev->queues[0].kicks_by_exit == 1, "a kick of a queue that does not exist");
	CHECK(process_queue(&dev->queues[0]) && used_idx() == 1 && used_len(0) == 64,
	      "rng request over PCI: used %u len %u", used_idx(), used_len(0));
	atomic_store(&dev->isr, VIRTIO_INT_USED);
	CHECK(bar_rd(base + isr, 1) == 1 && bar_rd(base + isr, 1) == 0,
	      "the ISR read does not clear");

	/* A ring outside RAM: refused at queue_enable, the device needs a reset. */
	bar_wr(base + common + 0x14, 0, 1);
	bar_wr(base + common + 0x16, 0, 2);
	bar_wr(base + common + 0x20, RAM_SIZE - 64, 4);
	bar_wr(base + common + 0x28, AVAIL, 4);
	bar_wr(base + common + 0x30, USED, 4);
	bar_wr(base + common + 0x1c, 1, 2);
	CHECK(bar_rd(base + common + 0x1c, 2) == 0 &&
	      (bar_rd(base + common + 0x14, 1) & VIRTIO_STATUS_NEEDS_RESET),
	      "a descriptor table outside RAM was accepted over PCI");
	bar_wr(base + common + 0x16, 7, 2);	/* a queue that does not exist */
	CHECK(bar_rd(base + common + 0x18, 2) == 0, "queue 7 has a size");
	CHECK(bar_rd(base + 0x3ffc, 4) == 0 && bar_rd(base + 0x4000, 4) == 0xffffffff,
	      "BAR0's end");
	msix_tests(dev, slot, base + common);
}

/*
 * pci_tests() in a child process: the PCI hole and the virtio-mmio windows
 * are never on the bus together (--virtio picks one).  Returns its failures.
 */
static int pci_child(void)
{
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		pci_tests();
		exit(failures);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return 1;
	return WEXITSTATUS(st);
}

/* virtio-net's second queue (transmit) and the frames' buffers. */
#define TX_DESC		0x7000
#define TX_AVAIL	0x8000
#define TX_USED		0x9000
#define NET_BUF		0xa000
#define NET_BUF2	0xb000
#define RX_BUF_LEN	1530	/* Linux's small receive buffer: header + 1518 */
#define FRAME_LEN	100

static struct net *tnet;
static int peer_fd;

/* The driver's set-up of both queues: receive at DESC, transmit at TX_DESC. */
static void net_driver_init(uint64_t base)
{
	static const uint64_t rings[2][3] = {
		{ DESC, AVAIL, USED }, { TX_DESC, TX_AVAIL, TX_USED },
	};
	unsigned int q;

	wr(base, VIRTIO_MMIO_STATUS, 0);
	wr(base, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(base, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(base, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	wr(base, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
	   VIRTIO_STATUS_FEATURES_OK);
	for (q = 0; q < 2; q++) {
		wr(base, VIRTIO_MMIO_QUEUE_SEL, q);
		wr(base, VIRTIO_MMIO_QUEUE_NUM, QSIZE);
		wr(base, VIRTIO_MMIO_QUEUE_DESC_LOW, rings[q][0]);
		wr(base, VIRTIO_MMIO_QUEUE_AVAIL_LOW, rings[q][1]);
		wr(base, VIRTIO_MMIO_QUEUE_USED_LOW, rings[q][2]);
		wr(base, VIRTIO_MMIO_QUEUE_READY, 1);
		memset(ram(rings[q][0]), 0, 0x1000);
		memset(ram(rings[q][1]), 0, 0x1000);
		memset(ram(rings[q][2]), 0, 0x1000);
	}
	wr(base, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
	   VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
}

static void set_desc_at(uint64_t table, unsigned int i, uint64_t addr, uint32_t len,
			uint16_t flags, uint16_t next)
{
	struct virtq_desc d = { .addr = addr, .len = len, .flags = flags, .next = next };

	memcpy(ram(table) + i * sizeof(d), &d, sizeof(d));
}

static void offer_at(uint64_t avail_gpa, uint16_t head)
{
	uint16_t *avail = (uint16_t *)ram(avail_gpa);

	avail[2 + avail[1] % QSIZE] = head;
	avail[1]++;
}

static uint16_t used_idx_at(uint64_t used)
{
	return ((uint16_t *)ram(used))[1];
}

/* A hostile chain on @q: expect NEEDS_RESET, no completion, then recover. */
static void net_expect_refused(uint64_t base, bool tx, const char *what)
{
	uint64_t used = tx ? TX_USED : USED;
	uint16_t before = used_idx_at(used);
	bool no_buffer;
	char junk[64];

	if (tx)
		net_tx(tnet);
	else
		net_rx(tnet, &no_buffer);
	CHECK(needs_reset(base), "net %s: no DEVICE_NEEDS_RESET", what);
	CHECK(used_idx_at(used) == before, "net %s: completed anyway", what);
	while (read(peer_fd, junk, sizeof(junk)) > 0)
		;
	net_driver_init(base);
	CHECK(!needs_reset(base), "net %s: a reset left DEVICE_NEEDS_RESET", what);
}

/*
 * virtio-net with a hostile driver: features and config space, a frame
 * each way (the header passed as it is, num_buffers set, even when it is
 * split between two buffers), no buffer and no frame, and chains that break
 * the rules.
 */
static void net_tests(void)
{
	uint64_t base = VIRTIO_MMIO_BASE + 2 * VIRTIO_MMIO_STRIDE;
	unsigned char frame[NET_HDR_LEN + FRAME_LEN], got[sizeof(frame) + 16];
	int sv[2], i;
	bool no_buffer;
	uint16_t nb;

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv)) {
		CHECK(0, "socketpair");
		return;
	}
	tnet = calloc(1, sizeof(*tnet));
	tnet->tap_fd = sv[0];
	tnet->vhost_fd = -1;
	peer_fd = sv[1];
	memcpy(tnet->mac, default_mac, ETH_ALEN);
	tnet->mac[ETH_ALEN - 1] = 7;
	snprintf(tnet->ifname, sizeof(tnet->ifname), "socketpair");
	snprintf(tnet->dev.name, sizeof(tnet->dev.name), "net0");
	tnet->dev.ops = &net_ops;
	tnet->dev.priv = tnet;
	if (virtio_add(&tnet->dev) || virtio_attach(VIRTIO_MMIO)) {
		CHECK(0, "virtio_add / attach");
		return;
	}
	tnet->dev.vm = &vm;
	tnet->dev.irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	CHECK(rd(base, VIRTIO_MMIO_DEVICE_ID) == VIRTIO_ID_NET, "net device id");
	wr(base, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	CHECK(rd(base, VIRTIO_MMIO_DEVICE_FEATURES) ==
	      (1U << VIRTIO_NET_F_MAC | 1U << VIRTIO_NET_F_STATUS), "net features %#x",
	      rd(base, VIRTIO_MMIO_DEVICE_FEATURES));
	CHECK(rd(base, VIRTIO_MMIO_CONFIG) == 0x12005452 &&
	      rd(base, VIRTIO_MMIO_CONFIG + 4) == (0x0734 | VIRTIO_NET_S_LINK_UP << 16),
	      "net config %#x %#x", rd(base, VIRTIO_MMIO_CONFIG),
	      rd(base, VIRTIO_MMIO_CONFIG + 4));
	net_driver_init(base);

	/* Transmit: header + frame in two readable buffers, one datagram out. */
	for (i = 0; i < (int)sizeof(frame); i++)
		frame[i] = i * 13 + 1;
	memcpy(ram(NET_BUF), frame, NET_HDR_LEN);
	memcpy(ram(NET_BUF2), frame + NET_HDR_LEN, FRAME_LEN);
	set_desc_at(TX_DESC, 0, NET_BUF, NET_HDR_LEN, VIRTQ_DESC_F_NEXT, 1);
	set_desc_at(TX_DESC, 1, NET_BUF2, FRAME_LEN, 0, 0);
	offer_at(TX_AVAIL, 0);
	CHECK(net_tx(tnet), "tx: no interrupt wanted");
	CHECK(used_idx_at(TX_USED) == 1, "tx: used idx %u", used_idx_at(TX_USED));
	CHECK(read(peer_fd, got, sizeof(got)) == sizeof(frame) && !memcmp(got, frame, sizeof(frame)),
	      "tx: the tap did not get the frame as it was");

	/* Receive: one frame into one 1530-byte buffer; num_buffers = 1. */
	memset(ram(NET_BUF), 0xee, RX_BUF_LEN);
	set_desc(0, NET_BUF, RX_BUF_LEN, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	frame[NET_HDR_NUM_BUFFERS] = 0;
	frame[NET_HDR_NUM_BUFFERS + 1] = 0;
	CHECK(write(peer_fd, frame, sizeof(frame)) == sizeof(frame), "peer write");
	CHECK(net_rx(tnet, &no_buffer) && no_buffer, "rx: no interrupt, or buffers left");
	CHECK(used_idx() == 1 && used_len(0) == sizeof(frame), "rx: used %u len %u", used_idx(),
	      used_len(0));
	memcpy(&nb, ram(NET_BUF) + NET_HDR_NUM_BUFFERS, sizeof(nb));
	CHECK(nb == 1, "rx: num_buffers %u", nb);
	CHECK(!memcmp(ram(NET_BUF), frame, NET_HDR_NUM_BUFFERS) &&
	      !memcmp(ram(NET_BUF) + NET_HDR_LEN, frame + NET_HDR_LEN, FRAME_LEN),
	      "rx: the frame is not in the buffer");

	/* A frame and no buffer: it waits in the tap (no_buffer). */
	CHECK(write(peer_fd, frame, sizeof(frame)) == sizeof(frame), "peer write");
	CHECK(!net_rx(tnet, &no_buffer) && no_buffer && used_idx() == 1, "rx without a buffer");
	/* The header split 8 + 4 between two buffers; num_buffers across them. */
	set_desc(1, NET_BUF, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2);
	set_desc(2, NET_BUF2, RX_BUF_LEN, VIRTQ_DESC_F_WRITE, 0);
	offer(1);
	CHECK(net_rx(tnet, &no_buffer) && used_idx() == 2 && used_len(1) == sizeof(frame),
	      "rx into a split header: used %u", used_idx());
	CHECK(ram(NET_BUF2)[NET_HDR_NUM_BUFFERS - 8] == 1 &&
	      ram(NET_BUF2)[NET_HDR_NUM_BUFFERS - 7] == 0, "rx: split num_buffers");
	/* A buffer and no frame: taken back (the next pop sees it again). */
	set_desc(3, NET_BUF, RX_BUF_LEN, VIRTQ_DESC_F_WRITE, 0);
	offer(3);
	CHECK(!net_rx(tnet, &no_buffer) && !no_buffer && used_idx() == 2 &&
	      tnet->dev.queues[NET_RXQ].last_avail == 2, "rx without a frame: last_avail %u",
	      tnet->dev.queues[NET_RXQ].last_avail);

	/* Hostile chains. */
	set_desc_at(TX_DESC, 0, NET_BUF, NET_HDR_LEN + FRAME_LEN, VIRTQ_DESC_F_WRITE, 0);
	offer_at(TX_AVAIL, 0);
	net_expect_refused(base, true, "a writable buffer in a transmit chain");
	set_desc_at(TX_DESC, 0, NET_BUF, NET_HDR_LEN - 1, 0, 0);
	offer_at(TX_AVAIL, 0);
	net_expect_refused(base, true, "a transmit chain shorter than the header");
	set_desc_at(TX_DESC, 0, NET_BUF, NET_HDR_LEN, VIRTQ_DESC_F_NEXT, 1);
	set_desc_at(TX_DESC, 1, NET_BUF2, FRAME_LEN, VIRTQ_DESC_F_NEXT, 0);
	offer_at(TX_AVAIL, 0);
	net_expect_refused(base, true, "a transmit descriptor loop");
	set_desc_at(TX_DESC, 0, RAM_SIZE - 16, NET_HDR_LEN + FRAME_LEN, 0, 0);
	offer_at(TX_AVAIL, 0);
	net_expect_refused(base, true, "a transmit buffer across RAM's end");

	CHECK(write(peer_fd, frame, sizeof(frame)) == sizeof(frame), "peer write");
	set_desc(0, NET_BUF, RX_BUF_LEN, 0, 0);
	offer(0);
	net_expect_refused(base, false, "a readable buffer in a receive chain");
	CHECK(write(peer_fd, frame, sizeof(frame)) == sizeof(frame), "peer write");
	set_desc(0, RAM_SIZE + 0x1000, RX_BUF_LEN, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	net_expect_refused(base, false, "a receive buffer outside RAM");
	CHECK(write(peer_fd, frame, sizeof(frame)) == sizeof(frame), "peer write");
	set_desc(0, NET_BUF, 4, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	net_expect_refused(base, false, "a receive chain shorter than the header");
	((uint16_t *)ram(AVAIL))[1] = QSIZE + 1;
	net_expect_refused(base, false, "a receive index a ring ahead");

	/* After all that, a frame still goes through. */
	CHECK(write(peer_fd, frame, sizeof(frame)) == sizeof(frame), "peer write");
	set_desc(0, NET_BUF, RX_BUF_LEN, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	CHECK(net_rx(tnet, &no_buffer) && used_idx() == 1, "rx after the resets");
}

/* net_tests() in a child: its device takes the third virtio-mmio window. */
static int net_child(void)
{
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		net_tests();
		exit(failures);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return 1;
	return WEXITSTATUS(st);
}

static struct con *tcon;

/* A console chain on @q's rings: buffers at DATA + 0x100 * i. */
static void con_chain(uint64_t table, uint64_t avail, unsigned int n, const uint32_t *lens,
		      uint16_t flags)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		set_desc_at(table, i, DATA + 0x100 * i, lens[i],
			    flags | (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0), i + 1);
	offer_at(avail, 0);
}

/* A hostile chain: expect NEEDS_RESET, nothing completed, then recover. */
static void con_expect_refused(uint64_t base, bool tx, const char *what)
{
	uint64_t used = tx ? TX_USED : USED;
	uint16_t before = used_idx_at(used);
	bool no_buffer;

	if (tx)
		con_tx(tcon);
	else
		con_rx(tcon, &no_buffer);
	CHECK(needs_reset(base), "console %s: no DEVICE_NEEDS_RESET", what);
	CHECK(used_idx_at(used) == before, "console %s: completed anyway", what);
	net_driver_init(base);
	CHECK(!needs_reset(base), "console %s: a reset left DEVICE_NEEDS_RESET", what);
}

/*
 * virtio-console with a hostile driver: identity and config space, output
 * in two buffers, input split over chains, input that waits for a buffer
 * (nothing lost), a regular file as the input and its end, an output that
 * takes nothing (the end of the run ends the wait), a closed output, and
 * chains that break the rules.
 */
static void console_tests(void)
{
	uint64_t base = VIRTIO_MMIO_BASE + 2 * VIRTIO_MMIO_STRIDE;
	char path[] = "/tmp/vtxctl-console-test-XXXXXX";
	int in[2], out[2], ffd, n, stop;
	uint32_t lens[3];
	char got[64];
	bool no_buffer;
	uint64_t one = 1;

	signal(SIGPIPE, SIG_IGN);	/* vtxctl's I/O threads block every signal */
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC | O_NONBLOCK)) {
		CHECK(0, "pipe");
		return;
	}
	if (virtio_console_add(in[0], out[1]) || virtio_attach(VIRTIO_MMIO)) {
		CHECK(0, "virtio_console_add / attach");
		return;
	}
	tcon = the_console;
	CHECK(virtio_console_add(0, 1) == -1, "a second console was accepted");
	tcon->dev.vm = &vm;
	tcon->dev.irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	CHECK(rd(base, VIRTIO_MMIO_DEVICE_ID) == VIRTIO_ID_CONSOLE, "console device id");
	wr(base, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	CHECK(rd(base, VIRTIO_MMIO_DEVICE_FEATURES) == 0, "console features %#x",
	      rd(base, VIRTIO_MMIO_DEVICE_FEATURES));
	wr(base, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	CHECK(rd(base, VIRTIO_MMIO_DEVICE_FEATURES) == 1, "console: no VERSION_1");
	CHECK(rd(base, VIRTIO_MMIO_CONFIG) == 0 && rd(base, VIRTIO_MMIO_CONFIG + 8) == 0,
	      "console config not zero");
	net_driver_init(base);

	/* Output: two readable buffers, written as they are, used with len 0. */
	memcpy(ram(DATA), "hello ", 6);
	memcpy(ram(DATA + 0x100), "hvc0\n", 5);
	lens[0] = 6;
	lens[1] = 5;
	con_chain(TX_DESC, TX_AVAIL, 2, lens, 0);
	CHECK(con_tx(tcon), "tx: no interrupt wanted");
	n = read(out[0], got, sizeof(got));
	CHECK(n == 11 && !memcmp(got, "hello hvc0\n", 11), "tx: stdout got %d bytes", n);
	CHECK(used_idx_at(TX_USED) == 1 && tcon->tx_bytes == 11, "tx: used %u, %llu bytes",
	      used_idx_at(TX_USED), (unsigned long long)tcon->tx_bytes);

	/* Input: 5 bytes over a 2-byte chain, then a 3 + 8-byte chain. */
	CHECK(write(in[1], "abcde", 5) == 5, "pipe write");
	con_read_input(tcon);
	CHECK(tcon->pend_len == 5, "rx: read %zu", tcon->pend_len);
	lens[0] = 2;
	con_chain(DESC, AVAIL, 1, lens, VIRTQ_DESC_F_WRITE);
	CHECK(con_rx(tcon, &no_buffer) && no_buffer && used_idx() == 1 &&
	      used_len(0) == 2 && !memcmp(ram(DATA), "ab", 2), "rx: first chain (used %u)",
	      used_idx());
	CHECK(tcon->pend_len == 3, "rx: %zu bytes should wait for a buffer", tcon->pend_len);
	lens[0] = 3;
	lens[1] = 8;
	memset(ram(DATA), 0, 0x200);
	con_chain(DESC, AVAIL, 2, lens, VIRTQ_DESC_F_WRITE);
	CHECK(con_rx(tcon, &no_buffer) && !no_buffer && used_idx() == 2 && used_len(1) == 3 &&
	      !memcmp(ram(DATA), "cde", 3) && !tcon->pend_len, "rx: second chain (used %u)",
	      used_idx());
	/* A chain of empty buffers takes nothing: given back, the input waits. */
	CHECK(write(in[1], "f", 1) == 1, "pipe write");
	con_read_input(tcon);
	lens[0] = 0;
	con_chain(DESC, AVAIL, 1, lens, VIRTQ_DESC_F_WRITE);
	CHECK(!con_rx(tcon, &no_buffer) && no_buffer && used_idx() == 2 && tcon->pend_len == 1,
	      "rx into an empty buffer");
	lens[0] = 1;
	con_chain(DESC, AVAIL, 1, lens, VIRTQ_DESC_F_WRITE);
	CHECK(con_rx(tcon, &no_buffer) && used_idx() == 3 && *ram(DATA) == 'f',
	      "rx after the empty buffer");
	/* The end of a pipe's input. */
	close(in[1]);
	con_read_input(tcon);
	CHECK(tcon->in_eof && !tcon->pend_len, "rx: no end of input on a closed pipe");

	/* A regular file as the input: its bytes, then its end. */
	ffd = mkstemp(path);
	CHECK(ffd >= 0 && write(ffd, "from a file\n", 12) == 12 && !lseek(ffd, 0, SEEK_SET),
	      "temp file");
	unlink(path);
	tcon->in_fd = ffd;
	tcon->in_eof = false;
	con_read_input(tcon);
	lens[0] = 64;
	con_chain(DESC, AVAIL, 1, lens, VIRTQ_DESC_F_WRITE);
	CHECK(con_rx(tcon, &no_buffer) && used_len(3) == 12 &&
	      !memcmp(ram(DATA), "from a file\n", 12), "rx from a file: len %u", used_len(3));
	con_read_input(tcon);
	CHECK(tcon->in_eof, "rx: no end of the file");

	/* Hostile chains; input read before them is not lost. */
	CHECK(pipe2(in, O_CLOEXEC) == 0 && write(in[1], "kept", 4) == 4, "pipe");
	tcon->in_fd = in[0];
	tcon->in_eof = false;
	con_read_input(tcon);
	lens[0] = 8;
	con_chain(DESC, AVAIL, 1, lens, 0);
	con_expect_refused(base, false, "a readable buffer in a receive chain");
	lens[0] = 8;
	con_chain(TX_DESC, TX_AVAIL, 1, lens, VIRTQ_DESC_F_WRITE);
	con_expect_refused(base, true, "a writable buffer in a transmit chain");
	CHECK(read(out[0], got, sizeof(got)) < 0, "a refused chain was written");
	set_desc_at(TX_DESC, 0, DATA, 4, VIRTQ_DESC_F_NEXT, 1);
	set_desc_at(TX_DESC, 1, DATA, 4, VIRTQ_DESC_F_NEXT, 0);
	offer_at(TX_AVAIL, 0);
	con_expect_refused(base, true, "a transmit descriptor loop");
	set_desc_at(TX_DESC, 0, RAM_SIZE - 2, 4, 0, 0);
	offer_at(TX_AVAIL, 0);
	con_expect_refused(base, true, "a transmit buffer across RAM's end");
	set_desc(0, RAM_SIZE + 0x1000, 8, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	con_expect_refused(base, false, "a receive buffer outside RAM");
	((uint16_t *)ram(AVAIL))[1] = QSIZE + 1;
	con_expect_refused(base, false, "a receive index a ring ahead");
	memset(ram(DATA), 0, 8);
	lens[0] = 8;
	con_chain(DESC, AVAIL, 1, lens, VIRTQ_DESC_F_WRITE);
	CHECK(con_rx(tcon, &no_buffer) && used_idx() == 1 && used_len(0) == 4 &&
	      !memcmp(ram(DATA), "kept", 4), "rx after the resets: the input was lost");

	/* An output that takes nothing: the end of the run ends the wait. */
	while (write(out[1], got, sizeof(got)) > 0)
		;
	stop = eventfd(0, EFD_CLOEXEC);
	vs.stop_fd = stop;
	CHECK(write(stop, &one, sizeof(one)) == sizeof(one), "stop");
	lens[0] = 5;
	con_chain(TX_DESC, TX_AVAIL, 1, lens, 0);
	CHECK(con_tx(tcon) && used_idx_at(TX_USED) == 1 && tcon->tx_dropped == 1,
	      "tx to a full pipe at the end: used %u, dropped %llu", used_idx_at(TX_USED),
	      (unsigned long long)tcon->tx_dropped);
	vs.stop_fd = -1;
	close(stop);
	/* A closed output: EPIPE, counted, the chain used all the same. */
	close(out[0]);
	con_chain(TX_DESC, TX_AVAIL, 1, lens, 0);
	CHECK(con_tx(tcon) && used_idx_at(TX_USED) == 2 && tcon->tx_errors == 1,
	      "tx to a closed pipe: used %u, %llu errors", used_idx_at(TX_USED),
	      (unsigned long long)tcon->tx_errors);
}

/* console_tests() in a child: its device takes the third virtio-mmio window. */
static int console_child(void)
{
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		alarm(20);		/* a wait that never ends fails the test */
		console_tests();
		exit(failures);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return 1;
	return WEXITSTATUS(st);
}

int main(void)
{
	char path[] = "/tmp/vtxctl-virtio-test-XXXXXX", ro_path[] = "/tmp/vtxctl-virtio-ro-XXXXXX";
	char ro_spec[64];
	unsigned char sector[512], back[512];
	unsigned int i;
	int fd, ro_fd;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (mem_alloc(&vm, RAM_SIZE))
		return 1;
	fd = mkstemp(path);
	for (i = 0; i < sizeof(sector); i++)
		sector[i] = i * 7 + 3;
	if (fd < 0 || ftruncate(fd, 8 * 512) || pwrite(fd, sector, 512, 512) != 512)
		return 1;
	ro_fd = mkstemp(ro_path);
	if (ro_fd < 0 || ftruncate(ro_fd, 8 * 512))
		return 1;
	snprintf(ro_spec, sizeof(ro_spec), "%s,ro", ro_path);
	if (virtio_blk_add(path) || virtio_blk_add(ro_spec))
		return 1;
	failures += pci_child();
	failures += net_child();
	failures += console_child();
	if (virtio_attach(VIRTIO_MMIO))
		return 1;
	for (i = 0; i < vs.nr; i++) {
		vs.devs[i]->vm = &vm;
		vs.devs[i]->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	}

	CHECK(rd(BASE0, VIRTIO_MMIO_MAGIC_VALUE) == VIRTIO_MMIO_MAGIC, "magic");
	CHECK(rd(BASE0, VIRTIO_MMIO_DEVICE_ID) == VIRTIO_ID_BLOCK, "device id");
	wr(BASE1, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	CHECK(rd(BASE1, VIRTIO_MMIO_DEVICE_FEATURES) & (1 << 5), "ro disk without VIRTIO_BLK_F_RO");

	/* A valid read of sector 1. */
	driver_init(BASE0, QSIZE, DESC);
	CHECK(rd(BASE0, VIRTIO_MMIO_QUEUE_READY) == 1, "queue not ready");
	blk_req(VIRTIO_BLK_T_IN, 1, 512, true);
	process_queue(queue(0));
	CHECK(used_idx() == 1 && used_len(0) == 513, "read: used idx %u len %u", used_idx(),
	      used_len(0));
	CHECK(*ram(STATUS) == VIRTIO_BLK_S_OK, "read: status %u", *ram(STATUS));
	CHECK(!memcmp(ram(DATA), sector, 512), "read: wrong data");

	/* A write of sector 2, then a flush. */
	memset(ram(DATA), 0x5a, 512);
	blk_req(VIRTIO_BLK_T_OUT, 2, 512, false);
	process_queue(queue(0));
	CHECK(*ram(STATUS) == VIRTIO_BLK_S_OK && used_len(1) == 1, "write: status %u",
	      *ram(STATUS));
	CHECK(pread(fd, back, 512, 1024) == 512 && back[0] == 0x5a && back[511] == 0x5a,
	      "write: not in the file");
	blk_req(VIRTIO_BLK_T_FLUSH, 0, 0, false);
	set_desc(0, HDR, 16, VIRTQ_DESC_F_NEXT, 2);	/* header, status */
	process_queue(queue(0));
	CHECK(*ram(STATUS) == VIRTIO_BLK_S_OK, "flush: status %u", *ram(STATUS));

	/* Past the end: sector 7 + 2 sectors, and a huge sector number. */
	blk_req(VIRTIO_BLK_T_IN, 7, 1024, true);
	process_queue(queue(0));
	CHECK(*ram(STATUS) == VIRTIO_BLK_S_IOERR, "read past the end: status %u", *ram(STATUS));
	blk_req(VIRTIO_BLK_T_OUT, ~0ULL / 512, 512, false);
	process_queue(queue(0));
	CHECK(*ram(STATUS) == VIRTIO_BLK_S_IOERR, "write at 2^55: status %u", *ram(STATUS));
	CHECK(atomic_load(&vs.devs[0]->isr) == 0, "interrupt status set without a thread");

	/* Hostile rings. */
	set_desc(0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, DATA, 512, VIRTQ_DESC_F_NEXT, 0);
	offer(0);
	expect_refused("a descriptor loop");

	set_desc(0, DATA, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	set_desc(1, HDR, 16, 0, 0);
	offer(0);
	expect_refused("a readable buffer after a writable one");

	set_desc(0, HDR, 16, VIRTQ_DESC_F_NEXT, QSIZE);
	offer(0);
	expect_refused("next index outside the ring");

	set_desc(0, RAM_SIZE + 0x1000, 16, 0, 0);
	offer(0);
	expect_refused("a buffer outside RAM");

	set_desc(0, RAM_SIZE - 8, 16, 0, 0);
	offer(0);
	expect_refused("a buffer across RAM's end");

	set_desc(0, HDR, 0xffffffff, 0, 0);
	offer(0);
	expect_refused("a 4 GiB buffer");

	set_desc(0, HDR, 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_refused("an indirect descriptor");

	((uint16_t *)ram(AVAIL))[1] = QSIZE + 1;
	expect_refused("an available index a ring ahead");

	driver_init(BASE0, QSIZE, RAM_SIZE - 64);	/* the table runs past RAM */
	CHECK(rd(BASE0, VIRTIO_MMIO_QUEUE_READY) == 0 && needs_reset(BASE0),
	      "a descriptor table outside RAM was accepted");
	driver_init(BASE0, 6, DESC);
	CHECK(rd(BASE0, VIRTIO_MMIO_QUEUE_READY) == 0 && needs_reset(BASE0),
	      "queue size 6 was accepted");
	driver_init(BASE0, QSIZE, DESC);
	CHECK(!needs_reset(BASE0) && rd(BASE0, VIRTIO_MMIO_QUEUE_READY) == 1,
	      "no recovery after a reset");

	/* The ro disk: a write is IOERR and the file stays as it was. */
	driver_init(BASE1, QSIZE, DESC);
	memset(ram(DATA), 0xa5, 512);
	blk_req(VIRTIO_BLK_T_OUT, 3, 512, false);
	process_queue(queue(1));
	CHECK(*ram(STATUS) == VIRTIO_BLK_S_IOERR, "ro write: status %u", *ram(STATUS));
	CHECK(pread(ro_fd, back, 512, 3 * 512) == 512 && back[0] == 0, "ro write reached the file");

	virtio_stop();
	unlink(path);
	unlink(ro_path);
	printf("%s: %d failure%s\n", failures ? "FAIL" : "ok", failures, failures == 1 ? "" : "s");
	return failures ? 1 : 0;
}
