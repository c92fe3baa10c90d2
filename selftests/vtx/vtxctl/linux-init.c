// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the Linux guest that "vtxctl run --kernel" boots in the suite's
 * linux-smp2 test (linux-init.cpio.gz, made by linux-prepare.sh): a static
 * program, so that the initramfs holds nothing else.  It mounts devtmpfs
 * (for /dev/console), proc and sysfs, prints one line
 *
 *   VTXCTL-LINUX-INIT nproc=N online=LIST uptime=S
 *
 * (N: the CPUs online, as nproc counts them; LIST: sysfs's
 * /sys/devices/system/cpu/online, e.g. 0-1), then
 *
 *   VTXCTL-LINUX-READY
 *
 * and waits up to READ_TIMEOUT_MS for a line on the console (the UART's
 * receive interrupt, IRQ 4), which it prints back as
 *
 *   VTXCTL-LINUX-ECHO <line>      (or "VTXCTL-LINUX-ECHO-NONE")
 *
 * With virtio PCI functions (vendor 1af4 in /sys/bus/pci: vtxctl's
 * --virtio pci) or "virtio_mmio.device=" words on the kernel command line
 * (--virtio mmio) it first tests the virtio devices of --disk and --rng (virtio_tests()):
 * it loads the modules in /lib/vtx (Debian builds virtio, virtio_pci,
 * virtio_mmio, virtio_blk and virtio-rng as modules; a module that is not
 * there is built in), for PCI virtio_pci, which finds the devices on its
 * own; for virtio-mmio, without CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES,
 * vtxctl_mmio_devs.ko creates the platform devices from those words.  Then
 * it prints
 *
 *   VTXCTL-VIRTIO-PCI <bdf>              (each virtio PCI function seen)
 *   VTXCTL-VIRTIO-MOD <name> ok|<error>|built in
 *   VTXCTL-VIRTIO-VDA cksum=C size=N serial=S ro=R    (POSIX cksum of vda)
 *   VTXCTL-VIRTIO-VDA-DIRECT reads=N same=M seconds=S  (O_DIRECT 4 KiB reads
 *                                of the whole disk, one request each, compared
 *                                with the buffered read)
 *   VTXCTL-VIRTIO-VDA-WRITE ok|<error>   (WRITE_BLOCK at WRITE_OFFSET, fsync)
 *   VTXCTL-VIRTIO-VDB cksum=C size=N serial=S ro=R
 *   VTXCTL-VIRTIO-VDB-WRITE refused <errno name>|accepted
 *   VTXCTL-VIRTIO-RNG current=NAME read=N distinct=D
 *   VTXCTL-MSIX-HOSTILE ...   (virtio-pci: msix_hostile() on the rng)
 *   VTXCTL-MSIX-REBIND current=NAME read=N distinct=D
 *   VTXCTL-IRQ <irq> count=N <chip> <hwirq> <name>   (/proc/interrupts'
 *                                virtio lines, e.g. PCI-MSI ... virtio0-config)
 *   VTXCTL-VIRTIO-DONE
 *
 * With virtio-net PCI functions (vtxctl's --net) it loads failover,
 * net_failover and virtio_net and tests each interface whose MAC is
 * 52:54:00:12:34:NN (vtxctl's default for the NNth --net; net_tests()):
 * address 10.0.NN.2/24, the test VM's tap at 10.0.NN.1, and prints
 *
 *   VTXCTL-NET-IF <ifname> mac=M addr=10.0.NN.2 peer=10.0.NN.1
 *   VTXCTL-NET-PING <ifname> sent=3 received=R rtt_us=T
 *   VTXCTL-NET-TCP <ifname> bytes=N cksum=C server_bytes=N server_cksum=C
 *                  seconds=S mb_s=R     (NET_BYTES of a pseudo-random stream
 *                  sent to the suite's vtxnet server on 10.0.NN.1:NET_PORT;
 *                  cksum: POSIX cksum of the stream; the server's reply says
 *                  what it received)
 *   VTXCTL-NET-STATS <ifname> rx_kicks=K tx_kicks=K rx_packets=P tx_packets=P
 *                  (virtio_net's own ethtool counters: the driver's kicks)
 *   VTXCTL-NET-DONE
 *
 * "vtxnet.bytes=N" on the command line changes NET_BYTES.
 *
 * With "vtxext4=DISK" it also writes a file on that ext4 disk (ext4_test():
 * VTXCTL-EXT4-WRITE); a boot with "vtxext4.phase=read" boots with that
 * disk as its root (ext4_switch_root(), then this program as the disk's
 * /sbin/init: ext4_root_main()), only reads the file back
 * (VTXCTL-EXT4-READ), writes one on the root (VTXCTL-EXT4-ROOT-WRITE),
 * with "vtxuart.rx=1" does the READY/ECHO exchange on the UART (the first
 * boot's went through hvc0), and reboots.
 *
 * With "vtxconsole=hvc0" (vtxctl's --console virtio) it then loads
 * virtio_console, makes /dev/hvc0 its controlling terminal, stdin, stdout
 * and stderr (console_hvc()), prints
 *
 *   VTXCTL-CONSOLE hvc0 tty=<ttyname of fd 0> dev=<its virtio device>
 *
 * there, and READY, the line read and ECHO go through hvc0 instead of the
 * UART.  After the echo it runs the initramfs's shell (busybox sh, as
 * /bin/sh) on hvc0, interactive, with a prompt, and prints
 *
 *   VTXCTL-SHELL-START             (then the shell reads hvc0 until "exit")
 *   VTXCTL-SHELL-EXIT status=N     (or VTXCTL-SHELL-TIMEOUT after SHELL_WAIT_S)
 *
 * then reboots: vtxctl's guest has no ACPI to power off, and ends the run
 * on the keyboard controller's reset (status 0).
 */
#define _GNU_SOURCE		/* O_DIRECT */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/fs.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cksum.h"

#define READ_TIMEOUT_MS	20000
#define SHELL_WAIT_S	120
#define DEVICE_WAIT_S	20
/* The block the test writes on vda (the suite checks it in the image). */
#define WRITE_OFFSET	65536
#define WRITE_LINE	"vtxctl virtio-blk block 0123456\n"
#define WRITE_BLOCK	4096
#define RNG_BYTES	64
#define DIRECT_BLOCK	4096
#define MOD_DIR		"/lib/vtx/"
/* virtio-net: vtxctl's MACs, the suite's addresses and server */
#define NET_MAC_PREFIX	"52:54:00:12:34:"
#define NET_PORT	5001
#define NET_BYTES	(10 * 1024 * 1024)
#define NET_CHUNK	65536
#define NET_PINGS	3
#define NET_PING_WAIT_MS 5000
#define NET_IO_TIMEOUT_S 120
#define NET_LINK_WAIT_S	10
#define NET_ID		0x7674	/* ICMP echo identifier */
/* The ext4 test's file */
#define EXT4_NAME	"vtxctl-ext4-test"
#define EXT4_FILE	"/mnt/" EXT4_NAME
#define EXT4_BYTES	(256 * 1024)
/* The ext4 root's boot: where the initramfs mounts it, its init, its file */
#define ROOT_MNT	"/root"
#define ROOT_INIT	"/sbin/init"
#define ROOT_ARG	"ext4-root"
#define ROOT_FILE	"/vtxctl-root-test"
#define ROOT_LINE	"vtxctl-ext4-root %08x %05u\n"	/* 32 bytes */
#define ROOT_LINE_LEN	32
#define ROOT_LINES	2048		/* 64 KiB */
#define EXT4_MAGIC	0xef53
#define ARRAY_SIZE_(a)	(sizeof(a) / sizeof((a)[0]))

static void read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = 0;
	if (f) {
		if (!fgets(buf, len, f))
			buf[0] = 0;
		fclose(f);
	}
	buf[strcspn(buf, " \n")] = 0;
	if (!buf[0])
		snprintf(buf, len, "?");
}


static uint32_t cksum_fd(int fd, unsigned long long *size)
{
	static unsigned char buf[65536];
	unsigned long long len = 0;
	uint32_t crc = 0;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		crc = crc_update(crc, buf, n);
		len += n;
	}
	*size = len;
	return crc_finish(crc, len);
}

static int load_module(const char *name, const char *params)
{
	char path[128];
	int fd, r;

	snprintf(path, sizeof(path), MOD_DIR "%s.ko", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		printf("VTXCTL-VIRTIO-MOD %s open: %s\n", name, strerror(errno));
		return -1;
	}
	r = syscall(SYS_finit_module, fd, params, 0);
	printf("VTXCTL-VIRTIO-MOD %s %s\n", name, r && errno != EEXIST ? strerror(errno) : "ok");
	close(fd);
	return r;
}

static int wait_path(const char *path)
{
	int i;

	for (i = 0; i < DEVICE_WAIT_S * 10; i++) {
		if (!access(path, F_OK))
			return 0;
		usleep(100000);
	}
	printf("VTXCTL-VIRTIO-MISSING %s\n", path);
	return -1;
}

/* The kernel's log lines that mention virtio, after a failure. */
static void dump_virtio_log(void)
{
	static char log[65536];
	char *line, *save;
	int n = klogctl(3, log, sizeof(log) - 1);	/* SYSLOG_ACTION_READ_ALL */

	if (n <= 0)
		return;
	log[n] = 0;
	for (line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strstr(line, "virtio") || strstr(line, "vtxctl"))
			printf("VTXCTL-VIRTIO-LOG %s\n", line);
}

static void blk_report(const char *tag, const char *name)
{
	char path[64], serial[64], ro[16];
	unsigned long long size = 0;
	uint32_t crc;
	int fd;

	snprintf(path, sizeof(path), "/dev/%s", name);
	if (wait_path(path))
		return;
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("VTXCTL-VIRTIO-%s open: %s\n", tag, strerror(errno));
		return;
	}
	crc = cksum_fd(fd, &size);
	close(fd);
	snprintf(path, sizeof(path), "/sys/block/%s/serial", name);
	read_line(path, serial, sizeof(serial));
	snprintf(path, sizeof(path), "/sys/block/%s/ro", name);
	read_line(path, ro, sizeof(ro));
	printf("VTXCTL-VIRTIO-%s cksum=%u size=%llu serial=%s ro=%s\n", tag, crc, size, serial, ro);
}

/*
 * Read all of /dev/@name again with O_DIRECT, DIRECT_BLOCK bytes at a time:
 * one virtio request (and one notification) each, past the page cache.
 */
static void blk_direct(const char *tag, const char *name)
{
	static unsigned char buf[DIRECT_BLOCK] __attribute__((aligned(DIRECT_BLOCK)));
	static unsigned char cached[DIRECT_BLOCK];
	unsigned int reads = 0, same = 0;
	struct timespec t0, t1;
	char path[64];
	int fd, cfd;
	off_t off;

	snprintf(path, sizeof(path), "/dev/%s", name);
	fd = open(path, O_RDONLY | O_DIRECT);
	cfd = open(path, O_RDONLY);
	if (fd < 0 || cfd < 0) {
		printf("VTXCTL-VIRTIO-%s-DIRECT open: %s\n", tag, strerror(errno));
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (off = 0; pread(fd, buf, sizeof(buf), off) == sizeof(buf); off += sizeof(buf)) {
		reads++;
		if (pread(cfd, cached, sizeof(cached), off) == sizeof(cached) &&
		    !memcmp(buf, cached, sizeof(buf)))
			same++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	close(fd);
	close(cfd);
	printf("VTXCTL-VIRTIO-%s-DIRECT reads=%u same=%u seconds=%.3f\n", tag, reads, same,
	       t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9);
}

/* Write WRITE_BLOCK bytes at WRITE_OFFSET of @name and fsync; 0 or errno. */
static int blk_write(const char *name)
{
	char path[64], block[WRITE_BLOCK];
	size_t i, l = strlen(WRITE_LINE);
	int fd, err = 0;

	for (i = 0; i < sizeof(block); i++)
		block[i] = WRITE_LINE[i % l];
	snprintf(path, sizeof(path), "/dev/%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return errno;
	if (pwrite(fd, block, sizeof(block), WRITE_OFFSET) != sizeof(block))
		err = errno ? errno : EIO;
	else if (fsync(fd))
		err = errno;
	close(fd);
	return err;
}

static void rng_report(const char *tag)
{
	unsigned char buf[RNG_BYTES], seen[256] = { 0 };
	char current[64];
	int fd, distinct = 0, tries = 0;
	ssize_t n = -1, i;

	if (wait_path("/dev/hwrng"))
		return;
	/* after a rebind: until the driver registered again */
	do {
		read_line("/sys/class/misc/hw_random/rng_current", current, sizeof(current));
	} while (strncmp(current, "virtio", 6) && tries++ < DEVICE_WAIT_S * 10 &&
		 !usleep(100000));
	fd = open("/dev/hwrng", O_RDONLY);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf));
		close(fd);
	}
	for (i = 0; i < n; i++) {
		distinct += !seen[buf[i]];
		seen[buf[i]] = 1;
	}
	printf("VTXCTL-%s current=%s read=%zd distinct=%d\n", tag, current, n, distinct);
}

/*
 * /proc/interrupts' lines of virtio devices, one VTXCTL-IRQ line each:
 * the IRQ, the count summed over the CPUs, the chip (PCI-MSI with MSI-X,
 * IO-APIC with INTx), the hardware IRQ and the name.  @tag: the line's
 * first word; @need: only the lines that contain it (NULL: all).
 */
static void irq_report_as(const char *tag, const char *need)
{
	char line[512], *p, *end;
	FILE *f = fopen("/proc/interrupts", "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long count = 0;
		char irq[16];

		if (!strstr(line, "virtio") || (need && !strstr(line, need)))
			continue;
		p = line + strspn(line, " ");
		snprintf(irq, sizeof(irq), "%.*s", (int)strcspn(p, ":"), p);
		p += strcspn(p, ":");
		if (*p)
			p++;
		for (;;) {
			unsigned long long v = strtoull(p, &end, 10);

			if (end == p)
				break;
			count += v;
			p = end;
		}
		p += strspn(p, " ");
		p[strcspn(p, "\n")] = 0;
		for (end = p; *end; )		/* one space between the words */
			if (*end == ' ' && end[1] == ' ')
				memmove(end, end + 1, strlen(end));
			else
				end++;
		printf("%s %s count=%llu %s\n", tag, irq, count, p);
	}
	fclose(f);
}

static void irq_report(void)
{
	irq_report_as("VTXCTL-IRQ", NULL);
}

/* sysfs file @name of PCI function @bdf: write @val. */
static int pci_sysfs_write(const char *bdf, const char *name, const char *val)
{
	char path[160];
	int fd, r;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	r = write(fd, val, strlen(val)) == (ssize_t)strlen(val) ? 0 : -1;
	close(fd);
	return r;
}

/* mmap BAR @bar of @bdf (sysfs resourceN), @len bytes; NULL if not. */
static volatile uint32_t *pci_map_bar(const char *bdf, int bar, size_t len)
{
	char path[160];
	void *p;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource%d", bdf, bar);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0)
		return NULL;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

/* The virtio-rng PCI function (1af4:1044), into @bdf; 0 if found. */
static int find_rng(char *bdf, size_t len)
{
	char path[320], buf[16];
	struct dirent *d;
	DIR *dir = opendir("/sys/bus/pci/devices");
	int r = -1;

	if (!dir)
		return -1;
	while (r && (d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", d->d_name);
		read_line(path, buf, sizeof(buf));
		if (!strcmp(buf, "0x1044")) {
			snprintf(bdf, len, "%.63s", d->d_name);
			r = 0;
		}
	}
	closedir(dir);
	return r;
}

#define MSIX_CAP_ID	0x11
#define MSIX_TOGGLES	200
#define RNG_COMMON_VEC	(0x10 / 2)	/* msix_config, in 16-bit words */
#define RNG_QUEUE_SEL	(0x16 / 2)
#define RNG_QUEUE_VEC	(0x1a / 2)
#define RNG_STATUS_OFF	0x14

/*
 * A hostile driver of vtxctl's MSI-X from the guest's user space, on the
 * virtio-rng function after its driver was unbound: MSI-X enabled by a
 * config-space write, table entries with addresses that are no interrupt
 * (not 0xfeexxxxx, above 4 GiB) unmasked, all ones over the whole of BAR1
 * (entries, past the table, the read-only PBA), vector numbers past the
 * table in queue_msix_vector and msix_config (they must read back
 * VIRTIO_MSI_NO_VECTOR), a queue that does not exist, and a storm of
 * function mask and enable toggles with a mapped, valid entry (each a
 * routing update and an irqfd change in vtxctl).
 * Then a reset, MSI-X off, and the driver bound again: the rng must work
 * (msix_hostile()'s caller reads it).  Prints
 *
 *   VTXCTL-MSIX-HOSTILE cap=C big=Q,Q,Q cfg=V good=V pba=P entry0=A,D,M
 */
static void msix_hostile(void)
{
	volatile uint32_t *tbl, *bar0;
	volatile uint16_t *common;
	char bdf[64], path[160];
	uint16_t big[3], cfgv, good;
	unsigned int cap, i, n = 0;
	uint8_t cfg[256];
	int fd;

	if (find_rng(bdf, sizeof(bdf))) {
		printf("VTXCTL-MSIX-HOSTILE no virtio-rng function\n");
		return;
	}
	if (pci_sysfs_write(bdf, "driver/unbind", bdf)) {
		printf("VTXCTL-MSIX-HOSTILE unbind %s: %s\n", bdf, strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_RDWR);
	if (fd < 0 || pread(fd, cfg, sizeof(cfg), 0) != sizeof(cfg)) {
		printf("VTXCTL-MSIX-HOSTILE config: %s\n", strerror(errno));
		goto rebind;
	}
	for (cap = cfg[0x34]; cap && cap < 0xff && cfg[cap] != MSIX_CAP_ID && n++ < 48;
	     cap = cfg[cap + 1])
		;
	tbl = pci_map_bar(bdf, 1, 4096);
	bar0 = pci_map_bar(bdf, 0, 16384);
	if (!cap || cfg[cap] != MSIX_CAP_ID || !tbl || !bar0) {
		printf("VTXCTL-MSIX-HOSTILE cap=%#x bar1=%p bar0=%p: %s\n", cap,
		       (void *)tbl, (void *)bar0, strerror(errno));
		goto rebind;
	}
	common = (volatile uint16_t *)bar0;
	cfg[4] |= 0x6;				/* memory space, bus master */
	if (pwrite(fd, &cfg[4], 1, 4) != 1 || pwrite(fd, (uint8_t[]){ 0x80 }, 1, cap + 3) != 1)
		printf("VTXCTL-MSIX-HOSTILE config write: %s\n", strerror(errno));
	/* Bad messages, unmasked, and mapped. */
	tbl[0] = 0x12345678;
	tbl[1] = 0;
	tbl[2] = 0x30;
	tbl[3] = 0;
	tbl[4] = 0xfee00000;
	tbl[5] = 0xffffffff;
	tbl[6] = 0xffff;
	tbl[7] = 0;
	common[RNG_QUEUE_SEL] = 0;
	common[RNG_QUEUE_VEC] = 1;
	good = common[RNG_QUEUE_VEC];
	common[RNG_COMMON_VEC] = 0;
	common[RNG_QUEUE_VEC] = 0x7fff;
	big[0] = common[RNG_QUEUE_VEC];
	common[RNG_QUEUE_VEC] = 2;		/* one past the 2-entry table */
	big[1] = common[RNG_QUEUE_VEC];
	common[RNG_QUEUE_VEC] = 0xfffe;
	big[2] = common[RNG_QUEUE_VEC];
	common[RNG_COMMON_VEC] = 5;
	cfgv = common[RNG_COMMON_VEC];
	common[RNG_QUEUE_SEL] = 9;		/* no such queue */
	common[RNG_QUEUE_VEC] = 0;
	common[RNG_QUEUE_SEL] = 0;
	common[RNG_QUEUE_VEC] = 1;
	common[RNG_COMMON_VEC] = 0;
	/* A valid address with a junk vector, then ones over the whole BAR. */
	tbl[0] = 0xfee00000;
	tbl[2] = 0;
	for (i = 0; i < 1024; i++)
		tbl[i] = 0xffffffff;
	/* Entry 1 a message again, mapped: each toggle changes its route. */
	tbl[4] = 0xfee00000;
	tbl[5] = 0;
	tbl[6] = 0xef;
	tbl[7] = 0;
	for (i = 0; i < MSIX_TOGGLES; i++) {
		static const uint8_t ctrl[] = { 0x80, 0xc0, 0x00, 0x40 };

		if (pwrite(fd, &ctrl[i % 4], 1, cap + 3) != 1)
			break;
	}
	pwrite(fd, (uint8_t[]){ 0x80 }, 1, cap + 3);
	printf("VTXCTL-MSIX-HOSTILE cap=%#x big=%#x,%#x,%#x cfg=%#x good=%#x pba=%#x entry0=%#x,%#x,%#x\n",
	       cap, big[0], big[1], big[2], cfgv, good, tbl[512], tbl[0], tbl[2], tbl[3]);
	((volatile uint8_t *)bar0)[RNG_STATUS_OFF] = 0;	/* reset */
	pwrite(fd, (uint8_t[]){ 0 }, 1, cap + 3);	/* MSI-X off */
	for (i = 0; i < 8; i++)
		tbl[i] = i & 3 ? 0 : 1;			/* entries masked again */
rebind:
	if (fd >= 0)
		close(fd);
	fd = open("/sys/bus/pci/drivers/virtio-pci/bind", O_WRONLY);
	if (fd < 0 || write(fd, bdf, strlen(bdf)) != (ssize_t)strlen(bdf))
		printf("VTXCTL-MSIX-HOSTILE bind: %s\n", strerror(errno));
	if (fd >= 0)
		close(fd);
	fflush(stdout);
}

/* The "virtio_mmio.device=" words of /proc/cmdline, joined by commas. */
static int mmio_devices(char *out, size_t len)
{
	static const char key[] = "virtio_mmio.device=";
	char cmdline[4096], *w, *save;
	size_t n = 0;
	FILE *f = fopen("/proc/cmdline", "r");

	out[0] = 0;
	if (!f)
		return 0;
	if (!fgets(cmdline, sizeof(cmdline), f))
		cmdline[0] = 0;
	fclose(f);
	for (w = strtok_r(cmdline, " \n", &save); w; w = strtok_r(NULL, " \n", &save))
		if (!strncmp(w, key, strlen(key)) && n < len)
			n += snprintf(out + n, len - n, "%s%s", n ? "," : "", w + strlen(key));
	return n > 0;
}

/* Load /lib/vtx/@name.ko if it is there (else it is built in). */
static int load_if_module(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), MOD_DIR "%s.ko", name);
	if (access(path, F_OK)) {
		printf("VTXCTL-VIRTIO-MOD %s built in\n", name);
		return 0;
	}
	return load_module(name, "");
}

/* Is there a virtio PCI function (vendor 1af4) in sysfs? */
static int virtio_pci_devices(void)
{
	char path[320], buf[16];
	struct dirent *d;
	int n = 0;
	DIR *dir = opendir("/sys/bus/pci/devices");

	if (!dir)
		return 0;
	while ((d = readdir(dir))) {
		FILE *f;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) && !strncmp(buf, "0x1af4", 6)) {
			printf("VTXCTL-VIRTIO-PCI %s\n", d->d_name);
			n++;
		}
		fclose(f);
	}
	closedir(dir);
	return n;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* A number from "KEY=N" on /proc/cmdline, else @def. */
static unsigned long long cmdline_ull(const char *key, unsigned long long def)
{
	char cmdline[4096], *p;
	FILE *f = fopen("/proc/cmdline", "r");

	if (!f)
		return def;
	if (!fgets(cmdline, sizeof(cmdline), f))
		cmdline[0] = 0;
	fclose(f);
	p = strstr(cmdline, key);
	return p ? strtoull(p + strlen(key), NULL, 0) : def;
}

/* ifconfig @ifname @addr netmask 255.255.255.0 up */
static int if_up(int sk, const char *ifname, struct in_addr addr)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr = addr };
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%.*s", IFNAMSIZ - 1, ifname);
	memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
	if (ioctl(sk, SIOCSIFADDR, &ifr))
		return -1;
	sin.sin_addr.s_addr = htonl(0xffffff00);
	memcpy(&ifr.ifr_netmask, &sin, sizeof(sin));
	if (ioctl(sk, SIOCSIFNETMASK, &ifr) || ioctl(sk, SIOCGIFFLAGS, &ifr))
		return -1;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	return ioctl(sk, SIOCSIFFLAGS, &ifr);
}

static uint16_t ip_csum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum);
}

/* NET_PINGS ICMP echoes to @peer (a raw socket); prints the result line. */
static void net_ping(const char *ifname, struct in_addr peer)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr = peer };
	unsigned int seq, got = 0;
	double rtt = 0;
	int sk = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);

	for (seq = 1; sk >= 0 && seq <= NET_PINGS; seq++) {
		struct icmphdr req = {
			.type = ICMP_ECHO,
			.un.echo.id = htons(NET_ID),
			.un.echo.sequence = htons(seq),
		};
		struct pollfd pfd = { .fd = sk, .events = POLLIN };
		double t0 = now_s(), left;
		char buf[256];

		req.checksum = ip_csum(&req, sizeof(req));
		if (sendto(sk, &req, sizeof(req), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
			continue;
		while ((left = NET_PING_WAIT_MS - (now_s() - t0) * 1000) > 0 &&
		       poll(&pfd, 1, left) == 1) {
			ssize_t n = recv(sk, buf, sizeof(buf), 0);
			struct iphdr *ip = (struct iphdr *)buf;
			struct icmphdr *r;

			if (n < (ssize_t)sizeof(*ip) || n < ip->ihl * 4 + (ssize_t)sizeof(*r))
				continue;
			r = (struct icmphdr *)(buf + ip->ihl * 4);
			if (r->type == ICMP_ECHOREPLY && r->un.echo.id == htons(NET_ID) &&
			    r->un.echo.sequence == htons(seq)) {
				got++;
				rtt += now_s() - t0;
				break;
			}
		}
	}
	if (sk >= 0)
		close(sk);
	printf("VTXCTL-NET-PING %s sent=%u received=%u rtt_us=%.0f\n", ifname, NET_PINGS, got,
	       got ? rtt / got * 1e6 : 0.0);
	fflush(stdout);
}

/* @bytes of xorshift32 from @seed to @peer:NET_PORT; the result line. */
static void net_tcp(const char *ifname, struct in_addr peer, uint32_t seed,
		    unsigned long long bytes)
{
	static uint32_t buf[NET_CHUNK / sizeof(uint32_t)];
	struct sockaddr_in to = {
		.sin_family = AF_INET, .sin_addr = peer, .sin_port = htons(NET_PORT),
	};
	struct timeval tmo = { .tv_sec = NET_IO_TIMEOUT_S };
	unsigned long long sent = 0, sbytes = 0;
	unsigned long scrc = 0;
	char reply[128] = "";
	uint32_t crc = 0, x = seed;
	double t0, t;
	ssize_t n = 0;
	size_t i, len;
	int sk = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	t0 = now_s();
	if (sk < 0 || setsockopt(sk, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof(tmo)) ||
	    setsockopt(sk, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo)) ||
	    connect(sk, (struct sockaddr *)&to, sizeof(to))) {
		printf("VTXCTL-NET-TCP %s connect: %s\n", ifname, strerror(errno));
		goto out;
	}
	while (sent < bytes) {
		len = bytes - sent < sizeof(buf) ? bytes - sent : sizeof(buf);
		for (i = 0; i < (len + 3) / 4; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			buf[i] = x;
		}
		crc = crc_update(crc, (unsigned char *)buf, len);
		for (i = 0; i < len; i += n) {
			n = send(sk, (char *)buf + i, len - i, MSG_NOSIGNAL);
			if (n <= 0) {
				printf("VTXCTL-NET-TCP %s send after %llu bytes: %s\n", ifname,
				       sent + i, n ? strerror(errno) : "closed");
				goto out;
			}
		}
		sent += len;
	}
	shutdown(sk, SHUT_WR);
	for (i = 0; i < sizeof(reply) - 1; i += n) {
		n = recv(sk, reply + i, sizeof(reply) - 1 - i, 0);
		if (n <= 0)
			break;
	}
	reply[i] = 0;
	t = now_s() - t0;
	if (sscanf(reply, "VTXNET bytes=%llu cksum=%lu", &sbytes, &scrc) != 2)
		printf("VTXCTL-NET-TCP %s no reply from the server: '%s'\n", ifname, reply);
	else
		printf("VTXCTL-NET-TCP %s bytes=%llu cksum=%u server_bytes=%llu server_cksum=%lu seconds=%.3f mb_s=%.3f\n",
		       ifname, sent, crc_finish(crc, sent), sbytes, scrc, t, sent / t / 1e6);
out:
	fflush(stdout);
	if (sk >= 0)
		close(sk);
}

/* virtio_net's ethtool counters of queue 0: the driver's kicks. */
static void net_stats(int sk, const char *ifname)
{
	static const char *const want[] = {
		"rx_queue_0_kicks", "tx_queue_0_kicks", "rx_queue_0_packets", "tx_queue_0_packets",
	};
	unsigned long long val[ARRAY_SIZE_(want)] = { 0 };
	struct {
		struct ethtool_sset_info hdr;
		uint32_t len;
	} info = { .hdr = { .cmd = ETHTOOL_GSSET_INFO, .sset_mask = 1ULL << ETH_SS_STATS } };
	struct ethtool_gstrings *names = NULL;
	struct ethtool_stats *st = NULL;
	struct ifreq ifr;
	unsigned int i, j, n;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%.*s", IFNAMSIZ - 1, ifname);
	ifr.ifr_data = (void *)&info;
	if (ioctl(sk, SIOCETHTOOL, &ifr) || !info.hdr.sset_mask)
		goto out;
	n = info.len;
	names = calloc(1, sizeof(*names) + n * ETH_GSTRING_LEN);
	st = calloc(1, sizeof(*st) + n * sizeof(uint64_t));
	if (!names || !st)
		goto out;
	names->cmd = ETHTOOL_GSTRINGS;
	names->string_set = ETH_SS_STATS;
	names->len = n;
	ifr.ifr_data = (void *)names;
	if (ioctl(sk, SIOCETHTOOL, &ifr))
		goto out;
	st->cmd = ETHTOOL_GSTATS;
	st->n_stats = n;
	ifr.ifr_data = (void *)st;
	if (ioctl(sk, SIOCETHTOOL, &ifr))
		goto out;
	for (i = 0; i < n; i++)
		for (j = 0; j < ARRAY_SIZE_(want); j++)
			if (!strncmp((char *)names->data + i * ETH_GSTRING_LEN, want[j],
				     ETH_GSTRING_LEN))
				val[j] = st->data[i];
out:
	printf("VTXCTL-NET-STATS %s rx_kicks=%llu tx_kicks=%llu rx_packets=%llu tx_packets=%llu\n",
	       ifname, val[0], val[1], val[2], val[3]);
	free(names);
	free(st);
}

/* Each interface with one of vtxctl's MACs: address, ping, TCP, counters. */
static void net_tests(void)
{
	unsigned long long bytes = cmdline_ull("vtxnet.bytes=", NET_BYTES);
	struct dirent **list;
	int i, nr, sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	nr = scandir("/sys/class/net", &list, NULL, alphasort);
	for (i = 0; i < nr; i++) {
		const char *ifname = list[i]->d_name;
		char path[320], mac[64], state[32];
		struct in_addr addr, peer;
		unsigned int nn, t;

		snprintf(path, sizeof(path), "/sys/class/net/%s/address", ifname);
		read_line(path, mac, sizeof(mac));
		if (strncmp(mac, NET_MAC_PREFIX, strlen(NET_MAC_PREFIX)) ||
		    sscanf(mac + strlen(NET_MAC_PREFIX), "%x", &nn) != 1)
			continue;
		addr.s_addr = htonl(10U << 24 | nn << 8 | 2);
		peer.s_addr = htonl(10U << 24 | nn << 8 | 1);
		printf("VTXCTL-NET-IF %s mac=%s addr=10.0.%u.2 peer=10.0.%u.1%s\n", ifname, mac,
		       nn, nn, if_up(sk, ifname, addr) ? " (configuration failed)" : "");
		snprintf(path, sizeof(path), "/sys/class/net/%s/operstate", ifname);
		for (t = 0; t < NET_LINK_WAIT_S * 10; t++) {
			read_line(path, state, sizeof(state));
			if (!strcmp(state, "up"))
				break;
			usleep(100000);
		}
		fflush(stdout);
		net_ping(ifname, peer);
		net_tcp(ifname, peer, 0x9e3779b9U * (nn + 1), bytes);
		net_stats(sk, ifname);
	}
	while (nr > 0)
		free(list[--nr]);
	if (nr >= 0)
		free(list);
	if (sk >= 0)
		close(sk);
	printf("VTXCTL-NET-DONE\n");
	fflush(stdout);
}

/*
 * The transport's modules (virtio-mmio: with vtxctl_mmio_devs.ko for the
 * command line's devices) and virtio_blk.  Returns -1 if there is no
 * virtio device, else whether a module failed.
 */
static int virtio_load(void)
{
	static const char *const mmio_mods[] = { "virtio_ring", "virtio", "virtio_mmio" };
	static const char *const pci_mods[] = {
		"virtio_ring", "virtio", "virtio_pci_modern_dev", "virtio_pci_legacy_dev",
		"virtio_pci",
	};
	char devs[512], params[600];
	unsigned int i;
	int bad = 0;

	if (mmio_devices(devs, sizeof(devs))) {
		for (i = 0; i < ARRAY_SIZE_(mmio_mods); i++)
			bad |= load_module(mmio_mods[i], "") != 0;
		snprintf(params, sizeof(params), "device=%s", devs);
		bad |= load_module("vtxctl_mmio_devs", params) != 0;
	} else if (virtio_pci_devices()) {
		for (i = 0; i < ARRAY_SIZE_(pci_mods); i++)
			bad |= load_if_module(pci_mods[i]) != 0;
	} else {
		return -1;
	}
	bad |= load_module("virtio_blk", "") != 0;
	return bad;
}

/* A word "KEY=VALUE" of /proc/cmdline: VALUE into @buf, or "". */
static void cmdline_str(const char *key, char *buf, size_t len)
{
	char cmdline[4096], *p;
	FILE *f = fopen("/proc/cmdline", "r");

	buf[0] = 0;
	if (!f)
		return;
	if (!fgets(cmdline, sizeof(cmdline), f))
		cmdline[0] = 0;
	fclose(f);
	p = strstr(cmdline, key);
	if (p)
		snprintf(buf, len, "%.*s", (int)strcspn(p + strlen(key), " \n"), p + strlen(key));
}

/* VTXCTL-EXT4-READ cksum=C bytes=N: the POSIX cksum of @path */
static void ext4_read(const char *path)
{
	unsigned long long size = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		printf("VTXCTL-EXT4-READ %s: %s\n", path, strerror(errno));
		return;
	}
	printf("VTXCTL-EXT4-READ cksum=%u", cksum_fd(fd, &size));
	printf(" bytes=%llu\n", size);
	close(fd);
}

/*
 * The ext4 test ("vtxext4=DISK" on the command line, e.g. vdc): mount
 * /dev/DISK (ext4, made by linux-prepare.sh with mke2fs) on /mnt.  Phase
 * "write" (the first boot) writes EXT4_BYTES of random bytes (from
 * getrandom: a file left by an earlier run cannot pass) to EXT4_FILE,
 * fsyncs it, syncs, and leaves it mounted: the reboot follows.  Phase
 * "read" ("vtxext4.phase=read", the next vtxctl run on the same image)
 * reads it back.  Each prints
 *
 *   VTXCTL-EXT4-WRITE bytes=N cksum=C | VTXCTL-EXT4-READ bytes=N cksum=C
 */
static void ext4_modules(void)
{
	static const char *const mods[] = { "crc16", "mbcache", "jbd2", "crc32c_generic", "ext4" };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE_(mods); i++)
		load_if_module(mods[i]);
}

static void ext4_test(const char *disk, bool write_it)
{
	static unsigned char buf[EXT4_BYTES];
	unsigned int i;
	ssize_t n = 0;
	char dev[64];
	int fd;

	ext4_modules();
	snprintf(dev, sizeof(dev), "/dev/%s", disk);
	mkdir("/mnt", 0755);
	if (wait_path(dev) || mount(dev, "/mnt", "ext4", 0, NULL)) {
		printf("VTXCTL-EXT4-%s mount %s: %s\n", write_it ? "WRITE" : "READ", dev,
		       strerror(errno));
		dump_virtio_log();
		goto out;
	}
	if (write_it) {
		for (i = 0; i < sizeof(buf); i += n) {
			n = getrandom(buf + i, sizeof(buf) - i, 0);
			if (n <= 0)
				break;
		}
		fd = open(EXT4_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, buf, sizeof(buf)) != sizeof(buf) || fsync(fd)) {
			printf("VTXCTL-EXT4-WRITE %s: %s\n", EXT4_FILE, strerror(errno));
			goto out;
		}
		close(fd);
		sync();
		printf("VTXCTL-EXT4-WRITE bytes=%zu cksum=%u\n", sizeof(buf),
		       crc_finish(crc_update(0, buf, sizeof(buf)), sizeof(buf)));
		goto out;
	}
	ext4_read(EXT4_FILE);
out:
	fflush(stdout);
}

/*
 * The ext4 root ("vtxext4=DISK vtxext4.phase=read"): the initramfs's
 * part, as Debian's initramfs-tools and switch_root(8) do it.  Load the
 * virtio and ext4 modules (Debian's kernel has ext4, jbd2 and virtio_blk
 * as modules: the kernel cannot mount such a root itself), mount /dev/DISK
 * on ROOT_MNT, move /dev, /proc and /sys under it, make it / (chdir,
 * MS_MOVE onto /, chroot) and exec its ROOT_INIT (linux-prepare.sh put
 * this program there) with ROOT_ARG: ext4_root_main() goes on.  The
 * initramfs's files stay in the hidden rootfs (nothing there is deleted:
 * the guest reboots soon).  Returns only on a failure, after printing
 *
 *   VTXCTL-EXT4-ROOT <step>: <error>
 */
static void ext4_switch_root(const char *disk)
{
	static const char *const moved[] = { "/dev", "/proc", "/sys" };
	char *const argv[] = { ROOT_INIT, ROOT_ARG, NULL };
	char *const envp[] = { "HOME=/", "TERM=linux", NULL };
	char dev[64], to[64];
	const char *step;
	unsigned int i;

	ext4_modules();
	snprintf(dev, sizeof(dev), "/dev/%s", disk);
	mkdir(ROOT_MNT, 0755);
	step = "mount";
	if (wait_path(dev) || mount(dev, ROOT_MNT, "ext4", 0, NULL))
		goto fail;
	step = ROOT_MNT ROOT_INIT;
	if (access(ROOT_MNT ROOT_INIT, X_OK))
		goto fail;
	for (i = 0; i < ARRAY_SIZE_(moved); i++) {
		snprintf(to, sizeof(to), ROOT_MNT "%s", moved[i]);
		step = to;
		if (mount(moved[i], to, NULL, MS_MOVE, NULL))
			goto fail;
	}
	step = "chdir";
	if (chdir(ROOT_MNT))
		goto fail;
	step = "move to /";
	if (mount(".", "/", NULL, MS_MOVE, NULL))
		goto fail;
	step = "chroot";
	if (chroot(".") || chdir("/"))
		goto fail;
	fflush(stdout);
	execve(ROOT_INIT, argv, envp);
	step = "exec " ROOT_INIT;
fail:
	printf("VTXCTL-EXT4-ROOT %s: %s\n", step, strerror(errno));
	dump_virtio_log();
	fflush(stdout);
}

/*
 * The last mount on "/" in /proc/mounts (the ext4 root over the hidden
 * rootfs): its device, type and options into @buf.
 */
static void root_mount(char *buf, size_t len)
{
	char line[256], dev[96], dir[96], type[32], opts[128];
	FILE *f = fopen("/proc/mounts", "r");

	snprintf(buf, len, "?");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%95s %95s %31s %127s", dev, dir, type, opts) == 4 &&
		    !strcmp(dir, "/"))
			snprintf(buf, len, "%s,%s,%s", dev, type, opts);
	if (f)
		fclose(f);
}

static void virtio_tests(void)
{
	struct timespec t0, t1;
	char ext4[16], devs[512];
	int err, bad;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	bad = virtio_load();
	if (bad < 0)
		return;
	bad |= load_module("virtio-rng", "") != 0;
	fflush(stdout);

	blk_report("VDA", "vda");
	blk_direct("VDA", "vda");
	err = blk_write("vda");
	printf("VTXCTL-VIRTIO-VDA-WRITE %s\n", err ? strerror(err) : "ok");
	blk_report("VDB", "vdb");
	err = blk_write("vdb");
	if (err)
		printf("VTXCTL-VIRTIO-VDB-WRITE refused %s\n",
		       err == EPERM ? "EPERM" : err == EROFS ? "EROFS" :
		       err == EACCES ? "EACCES" : err == EIO ? "EIO" : strerror(err));
	else
		printf("VTXCTL-VIRTIO-VDB-WRITE accepted\n");
	rng_report("VIRTIO-RNG");
	if (!mmio_devices(devs, sizeof(devs))) {
		msix_hostile();
		rng_report("MSIX-REBIND");
	}
	cmdline_str("vtxext4=", ext4, sizeof(ext4));
	if (ext4[0])
		ext4_test(ext4, true);
	if (!access(MOD_DIR "virtio_net.ko", F_OK)) {
		load_if_module("failover");
		load_if_module("net_failover");
		if (!load_module("virtio_net", ""))
			net_tests();
	}
	irq_report();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (bad || access("/dev/vda", F_OK) || access("/dev/hwrng", F_OK))
		dump_virtio_log();
	printf("VTXCTL-VIRTIO-DONE %.3f s\n",
	       t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	fflush(stdout);
}

/* The console's virtio device ("virtioN"), for its /proc/interrupts names. */
static char console_dev[32] = "?";

static void find_console_dev(void)
{
	DIR *d = opendir("/sys/bus/virtio/drivers/virtio_console");
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (!strncmp(e->d_name, "virtio", 6))
			snprintf(console_dev, sizeof(console_dev), "%.*s",
				 (int)sizeof(console_dev) - 1, e->d_name);
	if (d)
		closedir(d);
}

/*
 * vtxctl's --console virtio: hvc0 (virtio_console, a module in Debian's
 * kernels) becomes the controlling terminal and stdin, stdout, stderr.
 */
static int console_hvc(void)
{
	char name[64] = "?";
	int fd;

	load_if_module("virtio_console");
	fflush(stdout);
	if (wait_path("/dev/hvc0")) {
		dump_virtio_log();
		return -1;
	}
	setsid();
	fd = open("/dev/hvc0", O_RDWR);
	if (fd < 0) {
		printf("VTXCTL-CONSOLE hvc0 open: %s\n", strerror(errno));
		return -1;
	}
	ioctl(fd, TIOCSCTTY, 0);
	/*
	 * The UART's driver sends from its buffer by interrupt, after the
	 * write returned: wait until it has, so that its last line is not
	 * cut by hvc0's first one on vtxctl's stdout.
	 */
	fflush(stdout);
	tcdrain(1);
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
	if (ttyname_r(0, name, sizeof(name)))
		snprintf(name, sizeof(name), "?");
	find_console_dev();
	printf("VTXCTL-CONSOLE hvc0 tty=%s dev=%s\n", name, console_dev);
	fflush(stdout);
	return 0;
}

/* An interactive shell on the console (hvc0) until it exits. */
static void console_shell(void)
{
	char name[40];
	int st = 0, i;
	pid_t pid;

	printf("VTXCTL-SHELL-START\n");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char *const argv[] = { "sh", "-i", NULL };
		char *const envp[] = { "PATH=/bin", "HOME=/", "TERM=dumb", "PS1=vtx$ ", NULL };

		execve("/bin/sh", argv, envp);
		printf("VTXCTL-SHELL-EXEC %s\n", strerror(errno));
		_exit(127);
	}
	for (i = 0; pid > 0 && i < SHELL_WAIT_S * 10; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		usleep(100000);
	}
	if (pid > 0 && i == SHELL_WAIT_S * 10) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		printf("VTXCTL-SHELL-TIMEOUT\n");
	}
	printf("VTXCTL-SHELL-EXIT status=%d\n", pid > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	/* virtio_console's vectors ("virtioN-input", "-output"), after the use */
	snprintf(name, sizeof(name), " %s-", console_dev);
	irq_report_as("VTXCTL-CON-IRQ", name);
	fflush(stdout);
}

/* READY, then a line read from the console (stdin), printed back. */
static void echo_line(void)
{
	struct pollfd pfd = { .fd = 0, .events = POLLIN };
	char line[128];
	ssize_t n = 0;

	printf("VTXCTL-LINUX-READY\n");
	fflush(stdout);
	if (poll(&pfd, 1, READ_TIMEOUT_MS) == 1)
		n = read(0, line, sizeof(line) - 1);
	if (n > 0) {
		line[n] = 0;
		line[strcspn(line, "\r\n")] = 0;
		printf("VTXCTL-LINUX-ECHO %s\n", line);
	} else {
		printf("VTXCTL-LINUX-ECHO-NONE\n");
	}
	fflush(stdout);
}

/*
 * Where the file of @fd is on its disk, when it is one run of blocks
 * (FIBMAP, pid 1 has CAP_SYS_RAWIO): "BLOCKxSIZE" into @buf, the first
 * block's number in blocks of SIZE bytes; else "fragmented" or the error.
 */
static const char *file_blocks(int fd, char *buf)
{
	int bs = 0, first = 0, b, i, n;
	struct stat st;

	if (fstat(fd, &st) || ioctl(fd, FIGETBSZ, &bs) || bs <= 0) {
		snprintf(buf, 32, "%s", strerror(errno));
		return buf;
	}
	n = (st.st_size + bs - 1) / bs;
	for (i = 0; i < n; i++) {
		b = i;
		if (ioctl(fd, FIBMAP, &b)) {
			snprintf(buf, 32, "%s", strerror(errno));
			return buf;
		}
		if (!i)
			first = b;
		if (!b || b != first + i) {
			snprintf(buf, 32, "fragmented");
			return buf;
		}
	}
	snprintf(buf, 32, "%dx%d", first, bs);
	return buf;
}

/*
 * The init of the ext4 root (ROOT_INIT ROOT_ARG, exec'd by
 * ext4_switch_root()): check that / is the ext4 of /dev/DISK, read back
 * the file the previous boot wrote (the journal replayed when the
 * initramfs mounted it), write a new file on / (ROOT_LINES lines
 * ROOT_LINE with a random tag; the suite reads its blocks in the image
 * after the run), fsync and sync it, then as the initramfs did: the IRQs, the
 * UART's echo with "vtxuart.rx=1", and reboot.  It prints
 *
 *   VTXCTL-EXT4-ROOT pid=1 magic=0x<statfs f_type> dev=<same|other> mount=<dev,type,opts>
 *                                (dev: stat("/").st_dev against /dev/DISK)
 *   VTXCTL-EXT4-READ cksum=C bytes=N
 *   VTXCTL-EXT4-ROOT-WRITE bytes=N lines=L tag=T cksum=C at=BLOCKxSIZE
 */
static void ext4_root_main(void)
{
	static char buf[ROOT_LINES * ROOT_LINE_LEN + 1];
	char disk[16], dev[64], mnt[256], con[16], at[32];
	struct stat root, blk;
	struct statfs fs;
	uint32_t tag = 0;
	unsigned int i;
	int fd;

	cmdline_str("vtxext4=", disk, sizeof(disk));
	snprintf(dev, sizeof(dev), "/dev/%s", disk);
	memset(&fs, 0, sizeof(fs));
	statfs("/", &fs);
	root_mount(mnt, sizeof(mnt));
	printf("VTXCTL-EXT4-ROOT pid=%d magic=%#lx dev=%s mount=%s\n", getpid(),
	       (unsigned long)fs.f_type,
	       !stat("/", &root) && !stat(dev, &blk) && S_ISBLK(blk.st_mode) &&
	       root.st_dev == blk.st_rdev ? "same" : "other", mnt);
	fflush(stdout);
	ext4_read("/" EXT4_NAME);

	if (getrandom(&tag, sizeof(tag), 0) != sizeof(tag))
		tag = (uint32_t)time(NULL);
	for (i = 0; i < ROOT_LINES; i++)
		snprintf(buf + i * ROOT_LINE_LEN, ROOT_LINE_LEN + 1, ROOT_LINE, tag, i);
	fd = open(ROOT_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, buf, ROOT_LINES * ROOT_LINE_LEN) != ROOT_LINES * ROOT_LINE_LEN ||
	    fsync(fd))
		printf("VTXCTL-EXT4-ROOT-WRITE %s: %s\n", ROOT_FILE, strerror(errno));
	else
		printf("VTXCTL-EXT4-ROOT-WRITE bytes=%u lines=%u tag=%08x cksum=%u at=%s\n",
		       ROOT_LINES * ROOT_LINE_LEN, ROOT_LINES, tag,
		       crc_finish(crc_update(0, (unsigned char *)buf, ROOT_LINES * ROOT_LINE_LEN),
				  ROOT_LINES * ROOT_LINE_LEN), file_blocks(fd, at));
	if (fd >= 0)
		close(fd);
	sync();
	irq_report();
	/* The UART's receive interrupt, when the first boot had hvc0 */
	cmdline_str("vtxuart.rx=", con, sizeof(con));
	if (!strcmp(con, "1"))
		echo_line();
	fflush(stdout);
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	char online[64], uptime[64], phase[16], disk[16], con[16];
	int fd;

	if (argc > 1 && !strcmp(argv[1], ROOT_ARG) && getpid() == 1)
		ext4_root_main();
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	fd = open("/dev/console", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
	}
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	read_line("/sys/devices/system/cpu/online", online, sizeof(online));
	read_line("/proc/uptime", uptime, sizeof(uptime));
	printf("VTXCTL-LINUX-INIT nproc=%ld online=%s uptime=%s\n",
	       sysconf(_SC_NPROCESSORS_ONLN), online, uptime);
	cmdline_str("vtxext4.phase=", phase, sizeof(phase));
	if (!strcmp(phase, "read")) {
		/*
		 * The reboot half of the ext4 test, on that disk as the root:
		 * ext4_root_main() goes on, or the guest reboots on a failure.
		 */
		cmdline_str("vtxext4=", disk, sizeof(disk));
		if (virtio_load() >= 0)
			ext4_switch_root(disk);
		irq_report();
		fflush(stdout);
		reboot(RB_AUTOBOOT);
	}
	virtio_tests();
	cmdline_str("vtxconsole=", con, sizeof(con));
	if (!strcmp(con, "hvc0") && console_hvc())
		con[0] = 0;
	echo_line();
	if (!strcmp(con, "hvc0"))
		console_shell();
	sync();
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}
