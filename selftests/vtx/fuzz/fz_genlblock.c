// SPDX-License-Identifier: GPL-2.0
/*
 * vtx-genl-block: one user must not be able to block generic netlink for
 * the whole host.  kselftest TAP, one test:
 *
 *   vtx-genl-block [--device PATH]
 *
 * genl_not_blocked_by_user_fault: a VM's KVM_GET_DIRTY_LOG copies the
 * bitmap into a page registered with userfaultfd (missing mode) that this
 * process does not serve, so the ioctl sits in a user fault with the VM's
 * slots_lock held.  Meanwhile other processes run "vtxctl list", "vtxctl
 * stats ID" and a CTRL_CMD_GETFAMILY lookup of "nlctrl" (a family under
 * the global genl_mutex): each must answer within ANSWER_LIMIT_MS.  Before
 * the fix the vtx family ran under genl_mutex and its handlers waited for
 * slots_lock, so all three hung until the fault was served.  Then the
 * fault is served (UFFDIO_ZEROPAGE), the ioctl must return 0, every call
 * must end, and the kernel log must stay clean.
 *
 * On /dev/kvm (no vtx family) only the nlctrl lookup is checked, next to
 * the same blocked dirty-log ioctl.  $VTXCTL names the vtxctl binary
 * (default: "vtxctl" from $PATH).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/userfaultfd.h>

#include "fz.h"
#include "fz_genl.h"
#include "kselftest_harness.h"

/* Bochs is slow: give the test more than the harness's 30 s. */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT	300

/* Each netlink call must answer within this, fault or not. */
#define ANSWER_LIMIT_MS		1000
/* How long a call is watched before it is left blocked (old module). */
#define WATCH_MS		4000
/* How long the dirty-log ioctl may take to reach its fault. */
#define FAULT_WAIT_MS		20000
#define POLL_US			2000
#define SLOT_PAGES		16
#define PAGE			4096
#define GETFAMILY_NAME		"nlctrl"

static const char *dev_path;

struct blocker {
	int vm;
	void *bitmap;		/* on the userfaultfd page */
	long r;
};

static void *dirty_log_thread(void *arg)
{
	struct blocker *b = arg;
	struct kvm_dirty_log log = { .slot = 0, .dirty_bitmap = b->bitmap };

	b->r = xioctl(b->vm, KVM_GET_DIRTY_LOG, (unsigned long)&log);
	return NULL;
}

/* One netlink client process, timed from fork to exit. */
struct call {
	const char *name;
	pid_t pid;
	double t0;
	double ms;		/* -1 while running */
	int status;
	char out[128];		/* its output file */
};

/*
 * CTRL_CMD_GETFAMILY of GETFAMILY_NAME in a child: exit 0 for a reply
 * that carries a family id, 1 otherwise.
 */
static int getfamily_child(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
		struct nlattr a;
		char name[16];
	} q;
	char buf[8192];
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	struct nlattr *a;
	uint16_t id;
	ssize_t n;
	int fd, rem;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return 1;
	memset(&q, 0, sizeof(q));
	q.n.nlmsg_type = GENL_ID_CTRL;
	q.n.nlmsg_flags = NLM_F_REQUEST;
	q.n.nlmsg_seq = 1;
	q.g.cmd = CTRL_CMD_GETFAMILY;
	q.g.version = 1;
	q.a.nla_type = CTRL_ATTR_FAMILY_NAME;
	q.a.nla_len = NLA_HDRLEN + sizeof(GETFAMILY_NAME);
	strcpy(q.name, GETFAMILY_NAME);
	q.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN) + NLA_ALIGN(q.a.nla_len);
	if (send(fd, &q, q.n.nlmsg_len, 0) < 0)
		return 1;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < (ssize_t)NLMSG_LENGTH(GENL_HDRLEN) || !NLMSG_OK(h, (size_t)n) ||
	    h->nlmsg_type != GENL_ID_CTRL)
		return 1;
	a = (struct nlattr *)((char *)NLMSG_DATA(h) + GENL_HDRLEN);
	rem = h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	while (rem >= (int)sizeof(*a) && a->nla_len >= sizeof(*a) &&
	       a->nla_len <= rem) {
		if (a->nla_type == CTRL_ATTR_FAMILY_ID) {
			memcpy(&id, (char *)a + NLA_HDRLEN, sizeof(id));
			printf("family \"%s\": id %u\n", GETFAMILY_NAME, id);
			return 0;
		}
		rem -= NLA_ALIGN(a->nla_len);
		a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
	}
	return 1;
}

/* Start @c: "vtxctl ARGS..." (@argv) or, with @argv NULL, the lookup. */
static void call_start(struct call *c, const char *name, char *const argv[])
{
	int fd;

	memset(c, 0, sizeof(*c));
	c->name = name;
	c->ms = -1;
	snprintf(c->out, sizeof(c->out), "/tmp/vtx-genl-block.%d.%s",
		 (int)getpid(), name);
	c->t0 = now_sec();
	c->pid = fork();
	if (c->pid)
		return;
	fd = open(c->out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	if (!argv) {
		int rc = getfamily_child();

		fflush(stdout);
		_exit(rc);
	}
	execvp(argv[0], argv);
	_exit(127);
}

static bool call_reap(struct call *c, int flags)
{
	if (c->ms >= 0)
		return true;
	if (waitpid(c->pid, &c->status, flags) != c->pid)
		return false;
	c->ms = (now_sec() - c->t0) * 1000;
	return true;
}

/* Wait up to @ms for @c to end; false if it is still running. */
static bool call_watch(struct call *c, int ms)
{
	double end = c->t0 + ms / 1000.0;

	while (!call_reap(c, WNOHANG)) {
		if (now_sec() > end)
			return false;
		usleep(POLL_US);
	}
	return true;
}

/* The first line of @c's output, for the log. */
static const char *call_output(struct call *c)
{
	static char line[160];
	FILE *f = fopen(c->out, "r");

	line[0] = 0;
	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = 0;
		fclose(f);
		line[strcspn(line, "\n")] = 0;
	}
	unlink(c->out);
	return line;
}

TEST(genl_not_blocked_by_user_fault)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct uffdio_zeropage zp = { .mode = 0 };
	struct call calls[3];
	struct blocker b;
	struct uffd_msg msg;
	struct pollfd pfd;
	struct genl_vtx g;
	const char *vtxctl = getenv("VTXCTL");
	char id[16], *list_argv[3], *stats_argv[4];
	uint32_t vm_id = ~0u;
	int dev, vcpu, uffd, ncalls = 0, i;
	bool want_vtx = !strstr(dev_path, "kvm"), have_vtx;
	pthread_t thr;
	double t0;
	void *mem;

	if (!vtxctl || !*vtxctl)
		vtxctl = "vtxctl";
	dev = fz_open_dev(dev_path);
	ASSERT_LE(0, dev) TH_LOG("open %s: %s", dev_path, strerror(errno));
	b.vm = xioctl(dev, KVM_CREATE_VM, 0);
	ASSERT_LE(0, b.vm) TH_LOG("KVM_CREATE_VM: %s", errno_name(-b.vm));
	mem = mmap(NULL, SLOT_PAGES * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, fz_set_slot(b.vm, 0, KVM_MEM_LOG_DIRTY_PAGES, 0,
				 SLOT_PAGES * PAGE, mem));
	vcpu = xioctl(b.vm, KVM_CREATE_VCPU, 0);
	ASSERT_LE(0, vcpu) TH_LOG("KVM_CREATE_VCPU: %s", errno_name(-vcpu));

	/* The VM's id, while nothing blocks yet (a vtx VM only). */
	have_vtx = want_vtx && !genl_vtx_open(&g);
	if (have_vtx) {
		genl_vtx_list(&g, &vm_id);
		genl_vtx_close(&g);
	}
	if (want_vtx) {
		ASSERT_TRUE(have_vtx) TH_LOG("no \"vtx\" generic-netlink family");
		ASSERT_NE(~0u, vm_id) TH_LOG("this VM is not in the list");
	} else {
		TH_LOG("%s: no vtx family, only the %s lookup is checked",
		       dev_path, GETFAMILY_NAME);
	}

	/* A bitmap buffer on a page whose fault nobody serves (yet). */
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	ASSERT_LE(0, uffd) TH_LOG("userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api))
		TH_LOG("UFFDIO_API: %s", strerror(errno));
	b.bitmap = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, b.bitmap);
	reg.range.start = (uintptr_t)b.bitmap;
	reg.range.len = PAGE;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_REGISTER, &reg))
		TH_LOG("UFFDIO_REGISTER: %s", strerror(errno));

	b.r = 1;
	t0 = now_sec();
	ASSERT_EQ(0, pthread_create(&thr, NULL, dirty_log_thread, &b));
	pfd.fd = uffd;
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, FAULT_WAIT_MS))
		TH_LOG("KVM_GET_DIRTY_LOG did not fault on its buffer (r %ld)",
		       b.r);
	ASSERT_EQ((ssize_t)sizeof(msg), read(uffd, &msg, sizeof(msg)));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);
	ASSERT_EQ((uintptr_t)b.bitmap,
		  msg.arg.pagefault.address & ~(uint64_t)(PAGE - 1));
	TH_LOG("KVM_GET_DIRTY_LOG waits in a user fault on its buffer "
	       "(after %.0f ms)", (now_sec() - t0) * 1000);

	/* Netlink from other processes, one after the other. */
	if (have_vtx) {
		snprintf(id, sizeof(id), "%u", vm_id);
		list_argv[0] = (char *)vtxctl;
		list_argv[1] = "list";
		list_argv[2] = NULL;
		stats_argv[0] = (char *)vtxctl;
		stats_argv[1] = "stats";
		stats_argv[2] = id;
		stats_argv[3] = NULL;
		call_start(&calls[ncalls], "vtxctl-list", list_argv);
		call_watch(&calls[ncalls++], WATCH_MS);
		call_start(&calls[ncalls], "vtxctl-stats", stats_argv);
		call_watch(&calls[ncalls++], WATCH_MS);
	}
	call_start(&calls[ncalls], "getfamily-" GETFAMILY_NAME, NULL);
	call_watch(&calls[ncalls++], WATCH_MS);
	for (i = 0; i < ncalls; i++)
		if (calls[i].ms < 0)
			TH_LOG("%s: no answer after %d ms", calls[i].name,
			       WATCH_MS);

	/* The ioctl must still be waiting; serve its fault. */
	EXPECT_EQ(1, b.r) TH_LOG("KVM_GET_DIRTY_LOG returned %ld early", b.r);
	zp.range.start = (uintptr_t)b.bitmap;
	zp.range.len = PAGE;
	EXPECT_EQ(0, ioctl(uffd, UFFDIO_ZEROPAGE, &zp))
		TH_LOG("UFFDIO_ZEROPAGE: %s", strerror(errno));
	/* If that failed, closing the uffd wakes the fault as well. */
	close(uffd);
	pthread_join(thr, NULL);
	EXPECT_EQ(0, b.r) TH_LOG("KVM_GET_DIRTY_LOG: %s", errno_name(-b.r));

	for (i = 0; i < ncalls; i++) {
		struct call *c = &calls[i];
		bool late = c->ms < 0;
		int st;

		call_reap(c, 0);
		st = WIFEXITED(c->status) ? WEXITSTATUS(c->status) :
			128 + WTERMSIG(c->status);
		TH_LOG("%s: %s after %.0f ms, exit %d: %s", c->name,
		       late ? "answered once the fault was served" : "answered",
		       c->ms, st, call_output(c));
		EXPECT_FALSE(late);
		EXPECT_GE(ANSWER_LIMIT_MS, c->ms);
		EXPECT_EQ(0, st);
	}

	close(vcpu);
	close(b.vm);
	close(dev);
	munmap(b.bitmap, PAGE);
	munmap(mem, SLOT_PAGES * PAGE);
	{
		const char *bad = kmsg_check();

		EXPECT_EQ(NULL, bad) TH_LOG("kernel log: %s", bad);
	}
}

int main(int argc, char **argv)
{
	dev_path = fz_device(&argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	kmsg_open();
	return test_harness_run(argc, argv);
}
