// SPDX-License-Identifier: GPL-2.0
/*
 * vtx-fdrace: the regression test fd_install_race.
 *
 *   vtx-fdrace [--device PATH] [--seed N] [--time SEC] [--rounds N]
 *	      [--hold N]
 *
 * The defect: KVM_CREATE_VM installed the VM's fd before it linked the VM
 * on vtx's global list (walked by the netlink VM dump) and announced it on
 * the "events" group.  Another thread of the process can close an fd
 * number as soon as it is installed; its release then dropped the VM's
 * only reference and freed the VM, which the creating thread went on to
 * link on the list (a write to freed memory, and a freed VM that every
 * later dump walks) and to announce (a read of freed memory).  The rule
 * (Documentation/vtx/design.rst, "Publishing objects: fd install last"):
 * an fd is installed only after the object is complete and published.
 *
 * The test: creator threads make VMs, vCPUs and ioeventfds in rounds while
 * closer threads close, in tight loops, the fd numbers the creators get
 * next (every number from the lowest free one up), and, on vtx, lister
 * threads dump the VM list over netlink and a reader takes the VM events.
 * The window is widened with --hold N VMs kept open: every dump then holds
 * vtx's list lock for N VMs, so a creator waits for it inside the window
 * while a closer's release (which takes the same lock) gets there first.
 *
 * It fails on: a kernel log line of the dmesg_check kind (slub_debug's
 * "Poison overwritten", an oops, ...), a listed VM or an event whose id or
 * pid is not a plausible number (freed memory: slub_debug=P fills it with
 * 0x6b), a VM left on the list after every fd of this process is closed
 * (the freed VM that was linked), vtx's allocation count not back to 0, or
 * a VM that cannot be created and run-free closed afterwards.  On
 * /dev/kvm there is no netlink family: the same creators and closers run
 * (kvm_intel must survive them) without the list checks.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "../../../uapi/linux/vtx.h"
#include "fz.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif

#define NR_CREATORS	2
#define NR_CLOSERS	2
#define NR_LISTERS	2
/* fd numbers the closers try, from the lowest the creators get */
#define CLOSE_SPAN	8
/* the creators' fds are all below base + FD_SPAN (closed at the end) */
#define FD_SPAN		64
/* larger than any VM id or pid (pid_max is at most 2^22) */
#define PLAUSIBLE_MAX	(1u << 22)
#define NL_BUF		65536
#define ALLOCS_PATH	"/sys/module/vtx/parameters/allocs"

static const char *dev_path;
static uint64_t opt_seed = 1;
static int dev, fd_base;
static uint32_t my_pid;
static atomic_bool stop;
static atomic_uint_fast64_t rounds, vms, vcpus, ioeventfds, closed;
static atomic_uint_fast64_t dumps, listed, events, bogus;
static atomic_uint_fast64_t failures;
static uint16_t family;
static uint32_t events_group;
static char bogus_what[256];

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;

	failures++;
	printf("FAIL: fd_install_race: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" (seed 0x%" PRIx64 ")\n", opt_seed);
}

static void msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------ netlink */

struct nlreq {
	struct nlmsghdr n;
	struct genlmsghdr g;
	char buf[64];
};

static int nl_socket(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int nl_send(int fd, uint16_t type, uint8_t cmd, uint16_t flags,
		   const char *name)
{
	struct nlreq q;

	memset(&q, 0, sizeof(q));
	q.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	q.n.nlmsg_type = type;
	q.n.nlmsg_flags = NLM_F_REQUEST | flags;
	q.g.cmd = cmd;
	q.g.version = 1;
	if (name) {
		struct nlattr *a = (struct nlattr *)((char *)&q +
						      q.n.nlmsg_len);

		a->nla_type = CTRL_ATTR_FAMILY_NAME;
		a->nla_len = NLA_HDRLEN + strlen(name) + 1;
		memcpy((char *)a + NLA_HDRLEN, name, strlen(name) + 1);
		q.n.nlmsg_len += NLA_ALIGN(a->nla_len);
	}
	return send(fd, &q, q.n.nlmsg_len, 0) < 0 ? -errno : 0;
}

#define for_each_attr(a, start, len)					\
	for (a = (struct nlattr *)(start);				\
	     (char *)a + NLA_HDRLEN <= (char *)(start) + (len) &&	\
	     a->nla_len >= NLA_HDRLEN &&				\
	     (char *)a + a->nla_len <= (char *)(start) + (len);		\
	     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len)))

static void *attr_data(struct nlattr *a)
{
	return (char *)a + NLA_HDRLEN;
}

static uint32_t attr_u32(struct nlattr *a)
{
	uint32_t v = 0;

	memcpy(&v, attr_data(a), a->nla_len >= NLA_HDRLEN + 4 ? 4 : 0);
	return v;
}

/* The "vtx" family's id and its "events" group: 0, or -1 (no vtx). */
static int resolve_family(void)
{
	static char buf[NL_BUF];
	int fd = nl_socket();
	struct nlmsghdr *h;
	ssize_t n;

	if (fd < 0 || nl_send(fd, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0,
			      VTX_GENL_NAME) < 0)
		goto out;
	n = recv(fd, buf, sizeof(buf), 0);
	for (h = (struct nlmsghdr *)buf; n > 0 && NLMSG_OK(h, (size_t)n);
	     h = NLMSG_NEXT(h, n)) {
		struct nlattr *a, *g, *f;
		int len = h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);

		if (h->nlmsg_type != GENL_ID_CTRL)
			continue;
		for_each_attr(a, (char *)NLMSG_DATA(h) + GENL_HDRLEN, len) {
			if (a->nla_type == CTRL_ATTR_FAMILY_ID)
				memcpy(&family, attr_data(a), 2);
			if (a->nla_type != CTRL_ATTR_MCAST_GROUPS)
				continue;
			for_each_attr(g, attr_data(a), a->nla_len - NLA_HDRLEN) {
				uint32_t id = 0;
				bool events = false;

				for_each_attr(f, attr_data(g),
					      g->nla_len - NLA_HDRLEN) {
					if (f->nla_type == CTRL_ATTR_MCAST_GRP_ID)
						id = attr_u32(f);
					if (f->nla_type == CTRL_ATTR_MCAST_GRP_NAME &&
					    !strcmp(attr_data(f),
						    VTX_GENL_MCGRP_EVENTS))
						events = true;
				}
				if (events)
					events_group = id;
			}
		}
	}
out:
	if (fd >= 0)
		close(fd);
	return family ? 0 : -1;
}

/*
 * Look at one VM message (a dump entry or an event): its id and pid must
 * be plausible numbers.  Returns 1 for a VM of this process, else 0.
 */
static int check_vm_msg(struct nlmsghdr *h, const char *what)
{
	int len = h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	uint32_t id = 0, pid = 0;
	struct nlattr *a;

	for_each_attr(a, (char *)NLMSG_DATA(h) + GENL_HDRLEN, len) {
		if (a->nla_type == VTX_A_VM_ID)
			id = attr_u32(a);
		if (a->nla_type == VTX_A_VM_PID)
			pid = attr_u32(a);
	}
	if (id >= PLAUSIBLE_MAX || pid >= PLAUSIBLE_MAX) {
		if (!bogus++)
			snprintf(bogus_what, sizeof(bogus_what),
				 "%s: VM id 0x%x pid 0x%x (freed memory?)",
				 what, id, pid);
		return 0;
	}
	return pid == my_pid;
}

/* One VTX_CMD_VM_GET dump: the number of this process's VMs, or -errno. */
static int dump_vms(int fd, char *buf)
{
	int mine = 0;

	if (nl_send(fd, family, VTX_CMD_VM_GET, NLM_F_DUMP, NULL) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(fd, buf, NL_BUF, 0);
		struct nlmsghdr *h;

		if (n < 0)
			return -errno;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return mine;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				return e->error ? e->error : mine;
			}
			listed++;
			mine += check_vm_msg(h, "VM list");
		}
	}
}

static void *lister(void *p)
{
	char *buf = malloc(NL_BUF);
	int fd = (int)(intptr_t)p;

	while (buf && !stop) {
		int r = dump_vms(fd, buf);

		if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY) {
			fail("netlink VM dump: %s", errno_name(-r));
			break;
		}
		dumps++;
	}
	free(buf);
	return NULL;
}

static void *event_reader(void *p)
{
	char *buf = malloc(NL_BUF);
	int fd = (int)(intptr_t)p;

	while (buf && !stop) {
		ssize_t n = recv(fd, buf, NL_BUF, 0);
		struct nlmsghdr *h;

		for (h = (struct nlmsghdr *)buf; n > 0 && NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type != family)
				continue;
			events++;
			check_vm_msg(h, "VM event");
		}
	}
	free(buf);
	return NULL;
}

/* ------------------------------------------------------- create, close */

static void *creator(void *p)
{
	struct rng r;

	rng_seed(&r, unit_seed(opt_seed, (uintptr_t)p));
	while (!stop) {
		struct kvm_ioeventfd io = { .len = 4 };
		long vm, vcpu = -1, efd = -1;

		vm = xioctl(dev, KVM_CREATE_VM, 0);
		if (vm < 0) {
			if (vm != -ENOMEM && vm != -EMFILE && vm != -EBUSY)
				fail("KVM_CREATE_VM: %s", errno_name(-vm));
			continue;
		}
		vms++;
		/* vm may be closed (and reused) by now: any answer will do */
		vcpu = xioctl(vm, KVM_CREATE_VCPU, rnd(&r, 4));
		if (vcpu >= 0)
			vcpus++;
		efd = eventfd(0, EFD_CLOEXEC);
		if (efd >= 0) {
			io.fd = efd;
			io.addr = 0x1000 + 4 * rnd(&r, 16);
			io.flags = chance(&r, 1, 2) ? KVM_IOEVENTFD_FLAG_PIO : 0;
			if (!xioctl(vm, KVM_IOEVENTFD, (unsigned long)&io))
				ioeventfds++;
		}
		/* EBADF when a closer was first; another thread's fd is fair */
		if (efd >= 0)
			close(efd);
		if (vcpu >= 0)
			close(vcpu);
		close(vm);
		rounds++;
	}
	return NULL;
}

static void *closer(void *p)
{
	unsigned int i = (uintptr_t)p;

	while (!stop) {
		/* from the lowest free number up: the next fd a creator gets */
		if (!close(fd_base + i++ % CLOSE_SPAN))
			closed++;
	}
	return NULL;
}

static long read_allocs(void)
{
	char s[32] = "";
	int fd = open(ALLOCS_PATH, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, s, sizeof(s) - 1);
	close(fd);
	return n > 0 ? strtol(s, NULL, 10) : -1;
}

int main(int argc, char **argv)
{
	pthread_t t[NR_CREATORS + NR_CLOSERS + NR_LISTERS + 1];
	int nt = 0, i, nhold = 0, evfd = -1, mine = -1;
	int lfd[NR_LISTERS] = { -1, -1 };
	uint64_t opt_rounds = 2000, opt_hold = 128;
	double secs = 20, t0;
	int *held;
	char *buf;
	long a;

	dev_path = fz_device(&argc, argv);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			opt_seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			opt_rounds = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--hold") && i + 1 < argc)
			opt_hold = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--time") && i + 1 < argc)
			secs = strtod(argv[++i], NULL);
		else {
			fprintf(stderr, "usage: vtx-fdrace [--device PATH] "
				"[--seed N] [--time SEC] [--rounds N] "
				"[--hold N]\n");
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	kmsg_open();
	my_pid = getpid();
	printf("# vtx-fdrace: device %s seed 0x%" PRIx64 "\n", dev_path,
	       opt_seed);
	dev = fz_open_dev(dev_path);
	if (dev < 0)
		return 1;
	buf = malloc(NL_BUF);
	held = calloc(opt_hold + 1, sizeof(*held));
	if (!buf || !held)
		return 1;

	/* Every fd but the creators' first, so that those are the highest. */
	if (!strstr(dev_path, "kvm") && !resolve_family()) {
		for (i = 0; i < NR_LISTERS; i++)
			lfd[i] = nl_socket();
		evfd = nl_socket();
		if (evfd >= 0 && events_group) {
			int one = 1, sz = 1 << 20;

			setsockopt(evfd, SOL_SOCKET, SO_RCVBUFFORCE, &sz,
				   sizeof(sz));
			setsockopt(evfd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one,
				   sizeof(one));
			if (setsockopt(evfd, SOL_NETLINK,
				       NETLINK_ADD_MEMBERSHIP, &events_group,
				       sizeof(events_group)))
				fail("cannot join the events group: %s",
				     errno_name(errno));
		}
		/* each dump then holds vtx's list lock for opt_hold VMs */
		for (nhold = 0; nhold < (int)opt_hold; nhold++) {
			held[nhold] = xioctl(dev, KVM_CREATE_VM, 0);
			if (held[nhold] < 0)
				break;
		}
		mine = dump_vms(lfd[0], buf);
		if (mine != nhold)
			fail("%d VMs held, %d listed before the race", nhold,
			     mine);
	} else {
		family = 0;
		printf("# no vtx netlink family (kvm_intel?): no list walks\n");
	}
	fd_base = dup(0);
	close(fd_base);
	printf("# %d VMs held; creators' fds from %d; closers close %d..%d\n",
	       nhold, fd_base, fd_base, fd_base + CLOSE_SPAN - 1);

	t0 = now_sec();
	for (i = 0; i < NR_CREATORS; i++)
		pthread_create(&t[nt++], NULL, creator, (void *)(uintptr_t)i);
	for (i = 0; i < NR_CLOSERS; i++)
		pthread_create(&t[nt++], NULL, closer,
			       (void *)(uintptr_t)(i * CLOSE_SPAN / 2));
	if (family) {
		for (i = 0; i < NR_LISTERS; i++)
			pthread_create(&t[nt++], NULL, lister,
				       (void *)(intptr_t)lfd[i]);
		pthread_create(&t[nt++], NULL, event_reader,
			       (void *)(intptr_t)evfd);
	}
	/* watch the kernel log while it runs: an oops may hang the threads */
	while (rounds < opt_rounds && now_sec() - t0 < secs && !failures) {
		const char *bad = kmsg_check();

		if (bad) {
			fail("kernel log during the race: %s", bad);
			break;
		}
		msleep(100);
	}
	stop = true;
	/* an oops may have left a lock held and the threads stuck: say it now */
	if (failures)
		printf("FAIL: fd_install_race seed=0x%" PRIx64 " rounds=%" PRIu64
		       " failures=%" PRIu64 " (during the race)\n", opt_seed,
		       (uint64_t)rounds, (uint64_t)failures);
	for (i = 0; i < nt; i++)
		pthread_join(t[i], NULL);
	printf("# fd_install_race: %" PRIu64 " rounds in %.1fs: %" PRIu64
	       " VMs, %" PRIu64 " vCPUs, %" PRIu64 " ioeventfds created, %"
	       PRIu64 " fds closed by other threads; %" PRIu64 " dumps (%"
	       PRIu64 " VMs listed), %" PRIu64 " events\n", (uint64_t)rounds,
	       now_sec() - t0, (uint64_t)vms, (uint64_t)vcpus,
	       (uint64_t)ioeventfds, (uint64_t)closed, (uint64_t)dumps,
	       (uint64_t)listed, (uint64_t)events);
	if (!rounds)
		fail("no round completed");
	if (bogus)
		fail("%" PRIu64 " implausible VM messages, first %s",
		     (uint64_t)bogus, bogus_what);

	/* Every fd the creators may have left; then only the held VMs. */
	for (i = fd_base; i < fd_base + FD_SPAN; i++)
		close(i);
	if (family) {
		mine = dump_vms(lfd[0], buf);
		if (mine != nhold)
			fail("%d VMs of this process listed with %d held: a "
			     "VM whose fds are all closed is still listed",
			     mine, nhold);
	}
	for (i = 0; i < nhold; i++)
		close(held[i]);
	if (family) {
		mine = dump_vms(lfd[0], buf);
		if (mine)
			fail("%d VMs of this process listed with none open",
			     mine);
	}
	/* a VM can still be made and closed */
	a = xioctl(dev, KVM_CREATE_VM, 0);
	if (a < 0)
		fail("KVM_CREATE_VM afterwards: %s", errno_name(-a));
	else
		close(a);
	if (!strstr(dev_path, "kvm")) {
		for (i = 0; i < 100 && (a = read_allocs()) > 0; i++)
			msleep(100);
		if (a > 0)
			fail("vtx allocs %ld with no VM left", a);
	}
	{
		const char *bad = kmsg_check();

		if (bad)
			fail("kernel log: %s", bad);
	}
	printf("%s: fd_install_race seed=0x%" PRIx64 " rounds=%" PRIu64
	       " failures=%" PRIu64 "\n", failures ? "FAIL" : "PASS",
	       opt_seed, (uint64_t)rounds, (uint64_t)failures);
	return failures ? 1 : 0;
}
