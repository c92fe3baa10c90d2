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
 * (status 0) clears DEVICE_NEEDS_RESET.
 */
#include "../vmm/virtio.c"

#include <fcntl.h>

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
