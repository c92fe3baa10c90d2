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
 *   VTXCTL-VIRTIO-DONE
 *
 * then reboots: vtxctl's guest has no ACPI to power off, and ends the run
 * on the keyboard controller's reset (status 0).
 */
#define _GNU_SOURCE		/* O_DIRECT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define READ_TIMEOUT_MS	20000
#define DEVICE_WAIT_S	20
/* The block the test writes on vda (the suite checks it in the image). */
#define WRITE_OFFSET	65536
#define WRITE_LINE	"vtxctl virtio-blk block 0123456\n"
#define WRITE_BLOCK	4096
#define RNG_BYTES	64
#define DIRECT_BLOCK	4096
#define MOD_DIR		"/lib/vtx/"

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

/* POSIX cksum (the CRC of cksum(1): polynomial 04C11DB7H, then the length). */
static uint32_t crc_update(uint32_t crc, const unsigned char *p, size_t n)
{
	int i;

	while (n--) {
		crc ^= (uint32_t)*p++ << 24;
		for (i = 0; i < 8; i++)
			crc = crc & 0x80000000U ? (crc << 1) ^ 0x04c11db7U : crc << 1;
	}
	return crc;
}

static uint32_t cksum_fd(int fd, unsigned long long *size)
{
	static unsigned char buf[65536];
	unsigned long long len = 0, l;
	unsigned char b;
	uint32_t crc = 0;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		crc = crc_update(crc, buf, n);
		len += n;
	}
	for (l = len; l; l >>= 8) {
		b = l & 0xff;
		crc = crc_update(crc, &b, 1);
	}
	*size = len;
	return ~crc;
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

static void rng_report(void)
{
	unsigned char buf[RNG_BYTES], seen[256] = { 0 };
	char current[64];
	int fd, distinct = 0;
	ssize_t n = -1, i;

	if (wait_path("/dev/hwrng"))
		return;
	read_line("/sys/class/misc/hw_random/rng_current", current, sizeof(current));
	fd = open("/dev/hwrng", O_RDONLY);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf));
		close(fd);
	}
	for (i = 0; i < n; i++) {
		distinct += !seen[buf[i]];
		seen[buf[i]] = 1;
	}
	printf("VTXCTL-VIRTIO-RNG current=%s read=%zd distinct=%d\n", current, n, distinct);
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

static void virtio_tests(void)
{
	static const char *const mmio_mods[] = { "virtio_ring", "virtio", "virtio_mmio" };
	static const char *const pci_mods[] = {
		"virtio_ring", "virtio", "virtio_pci_modern_dev", "virtio_pci_legacy_dev",
		"virtio_pci",
	};
	char devs[512], params[600];
	struct timespec t0, t1;
	unsigned int i;
	int err, bad = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (mmio_devices(devs, sizeof(devs))) {
		for (i = 0; i < sizeof(mmio_mods) / sizeof(mmio_mods[0]); i++)
			bad |= load_module(mmio_mods[i], "") != 0;
		snprintf(params, sizeof(params), "device=%s", devs);
		bad |= load_module("vtxctl_mmio_devs", params) != 0;
	} else if (virtio_pci_devices()) {
		for (i = 0; i < sizeof(pci_mods) / sizeof(pci_mods[0]); i++)
			bad |= load_if_module(pci_mods[i]) != 0;
	} else {
		return;
	}
	bad |= load_module("virtio_blk", "") != 0;
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
	rng_report();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (bad || access("/dev/vda", F_OK) || access("/dev/hwrng", F_OK))
		dump_virtio_log();
	printf("VTXCTL-VIRTIO-DONE %.3f s\n",
	       t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	fflush(stdout);
}

int main(void)
{
	char online[64], uptime[64], line[128];
	struct pollfd pfd = { .fd = 0, .events = POLLIN };
	ssize_t n = 0;
	int fd;

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
	virtio_tests();
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
	sync();
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}
