// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the bench suite's nested Linux guest (`bench.only=linux` and
 * `bench.only=shadow` in suite.sh): the same Debian kernel and initramfs
 * under vtxctl on vtx, vtxctl on kvm_intel and Debian's QEMU on either.
 * A static program, packed by selftests/vtx/vtxctl/linux-prepare.sh with
 * its virtio modules in /lib/vtx.  It prints, on the console:
 *
 *   BENCH-INIT uptime=S      first thing (the host times the boot to this
 *                            line: `bench boot`)
 *   BENCH-DISK bytes=N write_s=S read_s=S write_mb_s=R read_mb_s=R
 *            sum=OK|BAD      with bench.disk=1: the whole of /dev/vda
 *                            written, then read, in O_DIRECT requests of
 *                            REQ_SIZE (the write ends with fdatasync(); the
 *                            read checks the pattern written)
 *   BENCH-NET bytes=N seconds=S mb_s=R server_bytes=N cksum=OK|BAD
 *                            with bench.net=N: N bytes sent over TCP to
 *                            the test VM's vtxnet server at 10.0.0.1:5001
 *                            through the first network interface
 *                            (10.0.0.2/24); timed to the server's reply
 *   BENCH-FORK n=N seconds=S us_per=U
 *                            with bench.forks=N: fork(), _exit(0) in the
 *                            child, waitpid() in the parent, N times
 *   BENCH-DONE
 *
 * then reboots (vtxctl ends on the keyboard controller's reset, QEMU with
 * -no-reboot exits).  Times are the guest's CLOCK_MONOTONIC.
 */
#define _GNU_SOURCE		/* O_DIRECT */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../vtxctl/cksum.h"

#define REQ_SIZE	(1 << 20)	/* one O_DIRECT request */
#define NET_CHUNK	65536
#define NET_PORT	5001
#define NETMASK_24	0xffffff00U
#define WAIT_MS		20000		/* for /dev/vda, the interface */
#define POLL_MS		50

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static char cmdline[4096];

/* The value of "KEY=" on the kernel command line, @def if absent. */
static unsigned long long cmdline_ull(const char *key, unsigned long long def)
{
	size_t n = strlen(key);
	char *p = cmdline;

	while ((p = strstr(p, key))) {
		if (p == cmdline || p[-1] == ' ')
			return strtoull(p + n, NULL, 0);
		p += n;
	}
	return def;
}

static void read_cmdline(void)
{
	int fd = open("/proc/cmdline", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, cmdline, sizeof(cmdline) - 1) : -1;

	cmdline[n > 0 ? n : 0] = 0;
	if (fd >= 0)
		close(fd);
}

/* The modules of /lib/vtx in an order that works: retried until none loads. */
static void load_modules(const char *const *names, int nr)
{
	int done[16] = { 0 }, progress = 1, i;
	char path[128];

	while (progress) {
		progress = 0;
		for (i = 0; i < nr; i++) {
			int fd;
			long r;

			if (done[i])
				continue;
			snprintf(path, sizeof(path), "/lib/vtx/%s.ko", names[i]);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0) {	/* built in */
				done[i] = 1;
				continue;
			}
			r = syscall(SYS_finit_module, fd, "", 0);
			close(fd);
			if (!r || errno == EEXIST) {
				done[i] = 1;
				progress = 1;
			}
		}
	}
	for (i = 0; i < nr; i++)
		if (!done[i])
			printf("BENCH-MOD %s: %s\n", names[i], strerror(errno));
}

static int wait_path(const char *path)
{
	struct stat st;
	int ms;

	for (ms = 0; ms < WAIT_MS; ms += POLL_MS) {
		if (!stat(path, &st))
			return 0;
		usleep(POLL_MS * 1000);
	}
	return -1;
}

static void fill(unsigned char *buf, unsigned long long off)
{
	uint64_t *w = (uint64_t *)buf;
	size_t i;

	for (i = 0; i < REQ_SIZE / sizeof(*w); i++)
		w[i] = (off + i * sizeof(*w)) * 0x9e3779b97f4a7c15ull;
}

static void disk_bench(void)
{
	unsigned long long size = 0, off;
	unsigned char *buf, *ref;
	double t0, tw, tr;
	int fd, bad = 0;

	if (wait_path("/dev/vda")) {
		printf("BENCH-DISK error: no /dev/vda\n");
		return;
	}
	fd = open("/dev/vda", O_RDWR | O_DIRECT);
	if (fd < 0 || ioctl(fd, BLKGETSIZE64, &size) || size < REQ_SIZE ||
	    posix_memalign((void **)&buf, 4096, REQ_SIZE) ||
	    posix_memalign((void **)&ref, 4096, REQ_SIZE)) {
		printf("BENCH-DISK error: /dev/vda: %s\n", strerror(errno));
		return;
	}
	size -= size % REQ_SIZE;
	t0 = now_s();
	for (off = 0; off < size; off += REQ_SIZE) {
		fill(buf, off);
		if (pwrite(fd, buf, REQ_SIZE, off) != REQ_SIZE) {
			printf("BENCH-DISK error: write at %llu: %s\n", off,
			       strerror(errno));
			return;
		}
	}
	if (fdatasync(fd))
		printf("BENCH-DISK error: fdatasync: %s\n", strerror(errno));
	tw = now_s() - t0;
	t0 = now_s();
	for (off = 0; off < size; off += REQ_SIZE) {
		if (pread(fd, buf, REQ_SIZE, off) != REQ_SIZE) {
			printf("BENCH-DISK error: read at %llu: %s\n", off,
			       strerror(errno));
			return;
		}
		/* a word per 4 KiB: the check stays out of the timing */
		fill(ref, off);
		for (size_t i = 0; i < REQ_SIZE; i += 4096)
			bad |= memcmp(buf + i, ref + i, 8) != 0;
	}
	tr = now_s() - t0;
	close(fd);
	printf("BENCH-DISK bytes=%llu write_s=%.3f read_s=%.3f write_mb_s=%.3f read_mb_s=%.3f sum=%s\n",
	       size, tw, tr, size / tw / 1e6, size / tr / 1e6,
	       bad ? "BAD" : "OK");
}

/* The first interface that is not lo, up with 10.0.0.2/24. */
static int net_up(char *ifname, size_t len)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct ifreq ifr;
	struct dirent *e;
	int ms, sk;
	DIR *d;

	ifname[0] = 0;
	for (ms = 0; ms < WAIT_MS && !ifname[0]; ms += POLL_MS) {
		d = opendir("/sys/class/net");
		while (d && (e = readdir(d)))
			if (e->d_name[0] != '.' && strcmp(e->d_name, "lo"))
				snprintf(ifname, len, "%.*s", IFNAMSIZ - 1,
					 e->d_name);
		if (d)
			closedir(d);
		if (!ifname[0])
			usleep(POLL_MS * 1000);
	}
	if (!ifname[0])
		return -1;
	sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	inet_pton(AF_INET, "10.0.0.2", &sin.sin_addr);
	memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
	if (sk < 0 || ioctl(sk, SIOCSIFADDR, &ifr))
		return -1;
	sin.sin_addr.s_addr = htonl(NETMASK_24);
	memcpy(&ifr.ifr_netmask, &sin, sizeof(sin));
	if (ioctl(sk, SIOCSIFNETMASK, &ifr) || ioctl(sk, SIOCGIFFLAGS, &ifr))
		return -1;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(sk, SIOCSIFFLAGS, &ifr))
		return -1;
	close(sk);
	return 0;
}

static void net_bench(unsigned long long bytes)
{
	static unsigned char buf[NET_CHUNK];
	struct sockaddr_in sin = {
		.sin_family = AF_INET, .sin_port = htons(NET_PORT),
	};
	unsigned long long sent = 0, sbytes = 0;
	unsigned long scrc = 0;
	uint32_t crc = 0, x = 1;
	char ifname[IFNAMSIZ], reply[128];
	double t0, t;
	ssize_t n;
	size_t i;
	int s, tries;

	if (net_up(ifname, sizeof(ifname))) {
		printf("BENCH-NET error: interface %s: %s\n", ifname,
		       strerror(errno));
		return;
	}
	inet_pton(AF_INET, "10.0.0.1", &sin.sin_addr);
	/* the link comes up (and ARP answers) a moment after IFF_UP */
	for (tries = 0;; tries++) {
		s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s >= 0 && !connect(s, (struct sockaddr *)&sin, sizeof(sin)))
			break;
		if (s >= 0)
			close(s);
		if (tries == 20) {
			printf("BENCH-NET error: connect: %s\n",
			       strerror(errno));
			return;
		}
		usleep(200000);
	}
	t0 = now_s();
	while (sent < bytes) {
		size_t len = bytes - sent < NET_CHUNK ? bytes - sent : NET_CHUNK;

		for (i = 0; i < len; i++) {
			x = x * 1103515245 + 12345;
			buf[i] = x >> 16;
		}
		crc = crc_update(crc, buf, len);
		for (i = 0; i < len; i += n) {
			n = write(s, buf + i, len - i);
			if (n <= 0) {
				printf("BENCH-NET error: send: %s\n",
				       strerror(errno));
				return;
			}
		}
		sent += len;
	}
	shutdown(s, SHUT_WR);
	n = read(s, reply, sizeof(reply) - 1);
	t = now_s() - t0;
	reply[n > 0 ? n : 0] = 0;
	close(s);
	if (sscanf(reply, "VTXNET bytes=%llu cksum=%lu", &sbytes, &scrc) != 2)
		printf("BENCH-NET error: server reply '%s'\n", reply);
	printf("BENCH-NET bytes=%llu seconds=%.3f mb_s=%.3f server_bytes=%llu cksum=%s\n",
	       sent, t, sent / t / 1e6, sbytes,
	       sbytes == sent && scrc == crc_finish(crc, sent) ? "OK" : "BAD");
}

static void fork_bench(unsigned long n)
{
	unsigned long i;
	double t0, t;
	int st;

	t0 = now_s();
	for (i = 0; i < n; i++) {
		pid_t p = fork();

		if (!p)
			_exit(0);
		if (p < 0 || waitpid(p, &st, 0) != p) {
			printf("BENCH-FORK error: %s\n", strerror(errno));
			return;
		}
	}
	t = now_s() - t0;
	printf("BENCH-FORK n=%lu seconds=%.3f us_per=%.1f\n", n, t,
	       t * 1e6 / n);
}

int main(void)
{
	static const char *const blk[] = {
		"virtio", "virtio_ring", "virtio_pci_modern_dev",
		"virtio_pci_legacy_dev", "virtio_pci", "virtio_blk",
	};
	static const char *const net[] = { "failover", "net_failover",
					   "virtio_net" };
	unsigned long long disk, bytes, forks;
	char up[64] = "?";
	int fd;

	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	fd = open("/dev/console", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	fd = open("/proc/uptime", O_RDONLY);
	if (fd >= 0) {
		ssize_t n = read(fd, up, sizeof(up) - 1);

		up[n > 0 ? n : 0] = 0;
		up[strcspn(up, " \n")] = 0;
		close(fd);
	}
	printf("BENCH-INIT uptime=%s\n", up);
	read_cmdline();
	disk = cmdline_ull("bench.disk=", 0);
	bytes = cmdline_ull("bench.net=", 0);
	forks = cmdline_ull("bench.forks=", 0);
	if (disk || bytes)
		load_modules(blk, sizeof(blk) / sizeof(blk[0]));
	if (disk)
		disk_bench();
	if (bytes) {
		load_modules(net, sizeof(net) / sizeof(net[0]));
		net_bench(bytes);
	}
	if (forks)
		fork_bench(forks);
	printf("BENCH-DONE\n");
	sync();
	reboot(RB_AUTOBOOT);
	return 0;
}
