// SPDX-License-Identifier: GPL-2.0
/*
 * vtxnet - the test VM's side of the vtxctl suite's virtio-net tests (a
 * static program: the test VM's busybox has no "ip tuntap").
 *
 *   vtxnet tap NAME ADDR        make the persistent tap NAME (TUNSETPERSIST),
 *                               give it ADDR/24 and bring it up
 *   vtxnet deltap NAME          remove it
 *   vtxnet serve PORT COUNT     accept COUNT TCP connections on PORT, one
 *                               after the other; read each to its end,
 *                               reply "VTXNET bytes=N cksum=C" (C: POSIX
 *                               cksum of what came) and print
 *                               "VTXNET-RECV peer=IP bytes=N cksum=C
 *                               seconds=S mb_s=R" (from accept to EOF)
 *
 * "serve" prints "VTXNET-LISTEN PORT" once it listens.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cksum.h"

#define CHUNK		65536
#define NETMASK_24	0xffffff00U


static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int tap_persist(const char *name, int persist)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		perror("vtxnet: /dev/net/tun");
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%.*s", IFNAMSIZ - 1, name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &ifr) || ioctl(fd, TUNSETPERSIST, persist)) {
		fprintf(stderr, "vtxnet: tap %s: %s\n", name, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int tap_add(const char *name, const char *addr)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct ifreq ifr;
	int sk;

	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		fprintf(stderr, "vtxnet: bad address '%s'\n", addr);
		return -1;
	}
	if (tap_persist(name, 1))
		return -1;
	sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%.*s", IFNAMSIZ - 1, name);
	memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
	if (sk < 0 || ioctl(sk, SIOCSIFADDR, &ifr))
		goto fail;
	sin.sin_addr.s_addr = htonl(NETMASK_24);
	memcpy(&ifr.ifr_netmask, &sin, sizeof(sin));
	if (ioctl(sk, SIOCSIFNETMASK, &ifr) || ioctl(sk, SIOCGIFFLAGS, &ifr))
		goto fail;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(sk, SIOCSIFFLAGS, &ifr))
		goto fail;
	close(sk);
	printf("VTXNET-TAP %s %s/24\n", name, addr);
	return 0;
fail:
	fprintf(stderr, "vtxnet: %s %s: %s\n", name, addr, strerror(errno));
	if (sk >= 0)
		close(sk);
	return -1;
}

static int serve(int port, int count)
{
	static unsigned char buf[CHUNK];
	struct sockaddr_in sin = {
		.sin_family = AF_INET, .sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_ANY),
	};
	int one = 1, ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(ls, (struct sockaddr *)&sin, sizeof(sin)) || listen(ls, 1)) {
		perror("vtxnet: listen");
		return 1;
	}
	printf("VTXNET-LISTEN %d\n", port);
	fflush(stdout);
	while (count-- > 0) {
		struct sockaddr_in peer;
		socklen_t plen = sizeof(peer);
		unsigned long long bytes = 0;
		char reply[96], ip[INET_ADDRSTRLEN];
		uint32_t crc = 0, sum;
		double t0, t;
		ssize_t n;
		int s = accept(ls, (struct sockaddr *)&peer, &plen);

		if (s < 0) {
			perror("vtxnet: accept");
			return 1;
		}
		t0 = now_s();
		while ((n = read(s, buf, sizeof(buf))) > 0) {
			crc = crc_update(crc, buf, n);
			bytes += n;
		}
		t = now_s() - t0;
		sum = crc_finish(crc, bytes);
		snprintf(reply, sizeof(reply), "VTXNET bytes=%llu cksum=%u\n", bytes, sum);
		if (write(s, reply, strlen(reply)) < 0)
			perror("vtxnet: reply");
		close(s);
		inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof(ip));
		printf("VTXNET-RECV peer=%s bytes=%llu cksum=%u seconds=%.3f mb_s=%.3f%s\n", ip,
		       bytes, sum, t, t > 0 ? bytes / t / 1e6 : 0.0,
		       n < 0 ? " (read error)" : "");
		fflush(stdout);
	}
	close(ls);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "tap"))
		return tap_add(argv[2], argv[3]) ? 1 : 0;
	if (argc == 3 && !strcmp(argv[1], "deltap"))
		return tap_persist(argv[2], 0) ? 1 : 0;
	if (argc == 4 && !strcmp(argv[1], "serve"))
		return serve(atoi(argv[2]), atoi(argv[3]));
	fprintf(stderr, "usage: vtxnet tap NAME ADDR | deltap NAME | serve PORT COUNT\n");
	return 2;
}
