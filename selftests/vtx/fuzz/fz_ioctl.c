// SPDX-License-Identifier: GPL-2.0
/*
 * vtx-ioctl-fuzz: random KVM ioctls on the system, VM and vCPU file
 * descriptors of /dev/vtx (or /dev/kvm), with hostile arguments, random
 * memslot layouts and host memory changes under live slots, and KVM_RUN
 * after random state.  Any errno or defined exit is fine; a kernel log
 * line of the dmesg_check kind (BUG, WARNING, Oops, ...) is a failure,
 * reported with the seed of the session that caused it.
 *
 *   vtx-ioctl-fuzz [--device PATH] [--seed N] [--count CALLS]
 *                  [--time SEC] [--session-len N] [--first-session N]
 *                  [--sessions N] [--subset vtx] [--no-avoid] [--trace]
 *
 * The work is split into sessions of --session-len calls.  Each session
 * opens the device afresh, builds VMs, vCPUs and memory from nothing and
 * closes everything at the end; its PRNG seed derives from the run seed
 * and the session index, so "--seed S --first-session K --sessions 1"
 * replays session K alone (threads and timing aside).
 *
 * Guest memory is always filled with HLT (0xf4) and RFLAGS.IF is set
 * before each KVM_RUN: whatever state the fuzzer gives the vCPU, the guest
 * exits quickly or is stopped by a timer (SIGALRM, no SA_RESTART).  A
 * guest spinning with IF = 0 would hang the Bochs test VM.
 *
 * Known vtx defects (Documentation/vtx/fuzzing.rst) are kept out of the
 * random stream unless --no-avoid: their regression tests cover them, and
 * the fuzzer stays useful for new ones.
 *
 * This file: options, sessions and the choice of the next operation;
 * fz_ioctl.h lists the files of the operations themselves.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fz_ioctl.h"

/* ------------------------------------------------------------ options */
const char *dev_path;
uint64_t opt_seed = 1;
static uint64_t opt_count = 50000;
static double opt_time = 1e9;
unsigned int opt_session_len = 400;
static uint64_t opt_first_session;
static uint64_t opt_sessions = ~0ULL;
bool opt_vtx_subset;
bool opt_avoid = true;
bool opt_trace;

/* ------------------------------------------------------------ counters */
uint64_t n_ioctls, n_syscalls, n_runs, n_sessions, n_failures;
uint64_t n_errno[256], n_exit[64], n_odd;
static int failures_seen;

/* ------------------------------------------------------------ state */
uint8_t *reservation;
struct buf bufs[NR_BUFS];
uint8_t *scratch;
bool straddle;
uint8_t *ro_page;
long mmap_size;
uint32_t host_tsc_khz;

/* ------------------------------------------------------------ sessions */

static void session_end(struct session *s)
{
	int i;

	stop_racer(s);
	for (i = 0; i < MAX_VCPUS; i++)
		close_vcpu(s, i);
	for (i = 0; i < MAX_VMS; i++)
		if (s->vms[i] >= 0)
			close(s->vms[i]);
	for (i = 0; i < 2; i++) {
		if (s->dev[i] >= 0)
			close(s->dev[i]);
		if (s->efd[i] >= 0)
			close(s->efd[i]);
	}
	for (i = 0; i < NR_IRQEFDS; i++)
		close(s->irqefd[i]);
	close(s->devnull);
	for (i = 0; i < NR_BUFS; i++)
		buf_unmap(&bufs[i]);
}

static void report_failure(struct session *s, const char *line)
{
	unsigned int i, n = s->ntrace < TRACE_LEN ? s->ntrace : TRACE_LEN;

	n_failures++;
	printf("FAIL: kernel log: %s\n", line);
	printf("FAIL: seed 0x%" PRIx64 " session %" PRIu64
	       " (session seed 0x%" PRIx64 ")%s\n", opt_seed, s->idx, s->seed,
	       s->racing ? ", with the racing vCPU thread" : "");
	printf("FAIL: reproduce: vtx-ioctl-fuzz --device %s --seed 0x%" PRIx64
	       " --first-session %" PRIu64 " --sessions 1 --session-len %u%s%s"
	       " --trace\n", dev_path, opt_seed, s->idx, opt_session_len,
	       opt_avoid ? "" : " --no-avoid",
	       opt_vtx_subset ? " --subset vtx" : "");
	printf("FAIL: last calls of the session:\n");
	for (i = 0; i < n; i++)
		printf("FAIL:   %s\n",
		       s->trace[(s->ntrace - n + i) % TRACE_LEN]);
	fflush(stdout);
}

/* A fork, one time in twenty: the last twentieth of the choices. */
static void maybe_fork(struct session *s)
{
	if (chance(&s->r, 1, 20))
		fork_op(s);
}

/*
 * The next operation of a session: a draw in [0, 100) picks the first row
 * whose bound is above it.  The bounds are the weights of the operations
 * (kept as they are: a seed's call sequence depends on them).
 */
static const struct {
	unsigned int below;
	void (*op)(struct session *s);
} session_ops[] = {
	{ 14, vm_ioctl },
	{ 44, vcpu_ioctl },
	{ 52, sys_ioctl },
	{ 62, run_op },
	{ 72, slot_op },
	{ 78, mem_op },
	{ 86, rand_ioctl },
	{ 89, close_something },
	{ 93, create_vcpu },
	{ 95, create_vm },
	{ 97, mmap_op },
	{ 100, maybe_fork },
};

static void session_step(struct session *s)
{
	unsigned int a = rnd(&s->r, 100), i;

	if (s->calls == opt_session_len / 4 && chance(&s->r, 1, 8))
		start_racer(s);
	for (i = 0; i < ARRAY_SIZE(session_ops); i++) {
		if (a < session_ops[i].below) {
			session_ops[i].op(s);
			return;
		}
	}
}

static void session_begin(struct session *s, uint64_t idx)
{
	int i;

	s->idx = idx;
	s->seed = unit_seed(opt_seed, idx);
	rng_seed(&s->r, s->seed);
	for (i = 0; i < MAX_VMS; i++)
		s->vms[i] = -1;
	for (i = 0; i < MAX_VCPUS; i++)
		s->vcpus[i].fd = -1;
	s->dev[0] = fz_open_dev(dev_path);
	s->dev[1] = chance(&s->r, 1, 4) ? fz_open_dev(dev_path) : -1;
	s->efd[0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s->efd[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	for (i = 0; i < NR_IRQEFDS; i++)
		s->irqefd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s->devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	for (i = 0; i < NR_BUFS; i++)
		if (chance(&s->r, 1, 3))
			buf_map(s, &bufs[i]);
	create_vm(s);
	/*
	 * One session in eight: the interrupt controllers first (one in
	 * four made the short run's 50,000 calls take twice the time: the
	 * HLT of such a VM sleeps until its run timer).
	 */
	if (chance(&s->r, 1, 8) && s->vms[0] >= 0)
		irq_setup(s, s->vms[0]);
	create_vcpu(s);
}

static void run_session(uint64_t idx)
{
	struct session *s = calloc(1, sizeof(*s));
	const char *bad;

	session_begin(s, idx);
	for (s->calls = 0; s->calls < opt_session_len; s->calls++)
		session_step(s);
	session_end(s);
	n_sessions++;
	bad = kmsg_check();
	if (bad)
		report_failure(s, bad);
	free(s);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: vtx-ioctl-fuzz [--device PATH] [--seed N] [--count CALLS]\n"
		"       [--time SEC] [--session-len N] [--first-session N]\n"
		"       [--sessions N] [--subset vtx] [--no-avoid] [--trace]\n");
	exit(2);
}

static void parse_args(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--seed") && v)
			opt_seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(a, "--count") && v)
			opt_count = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(a, "--time") && v)
			opt_time = strtod(argv[++i], NULL);
		else if (!strcmp(a, "--session-len") && v)
			opt_session_len = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(a, "--first-session") && v)
			opt_first_session = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(a, "--sessions") && v)
			opt_sessions = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(a, "--subset") && v)
			opt_vtx_subset = !strcmp(argv[++i], "vtx");
		else if (!strcmp(a, "--no-avoid"))
			opt_avoid = false;
		else if (!strcmp(a, "--trace"))
			opt_trace = true;
		else
			usage();
	}
}

/* The buffer windows, the scratch area and the read-only HLT page. */
static int map_areas(void)
{
	int i;

	reservation = mmap(NULL, NR_BUFS * BUF_WINDOW, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	scratch = mmap(NULL, 2 * SCRATCH_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro_page = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (reservation == MAP_FAILED || scratch == MAP_FAILED ||
	    ro_page == MAP_FAILED) {
		perror("mmap");
		return -1;
	}
	memset(ro_page, 0xf4, PAGE_SIZE);
	mprotect(ro_page, PAGE_SIZE, PROT_READ);
	for (i = 0; i < NR_BUFS; i++) {
		bufs[i].base = reservation + i * BUF_WINDOW;
		bufs[i].memfd = -1;
		bufs[i].state = B_UNMAPPED;
	}
	return 0;
}

static void run_sessions(void)
{
	double t0, last = 0;
	uint64_t idx;

	printf("# vtx-ioctl-fuzz: device %s seed 0x%" PRIx64 " count %" PRIu64
	       " session-len %u%s%s\n", dev_path, opt_seed, opt_count,
	       opt_session_len, opt_avoid ? "" : " no-avoid",
	       opt_vtx_subset ? " subset=vtx" : "");
	t0 = now_sec();
	for (idx = opt_first_session;
	     idx - opt_first_session < opt_sessions && n_ioctls < opt_count &&
	     now_sec() - t0 < opt_time; idx++) {
		run_session(idx);
		if (now_sec() - last > 30) {
			last = now_sec();
			printf("# progress: session %" PRIu64 " ioctls %" PRIu64
			       " runs %" PRIu64 " %.0fs\n", idx, n_ioctls,
			       n_runs, last - t0);
		}
		if (n_failures >= 3)
			break;
	}
	printf("# ioctls %" PRIu64 " syscalls %" PRIu64 " KVM_RUN %" PRIu64
	       " sessions %" PRIu64 " in %.1fs\n", n_ioctls, n_syscalls,
	       n_runs, n_sessions, now_sec() - t0);
}

static void print_summary(void)
{
	int i;

	printf("# results:");
	for (i = 0; i < 256; i++)
		if (n_errno[i])
			printf(" %s=%" PRIu64, errno_name(i), n_errno[i]);
	printf("\n# exits:");
	for (i = 0; i < 64; i++)
		if (n_exit[i])
			printf(" %s=%" PRIu64, exit_name(i), n_exit[i]);
	printf("\n# odd results %" PRIu64 "\n", n_odd);
	printf("# interrupt-controller ioctls %" PRIu64 " (%" PRIu64
	       " succeeded)\n", n_irq_ioctls, n_irq_ok);
	/* a run that stopped on --time before --count says so */
	if (!n_failures && n_ioctls < opt_count && opt_sessions == ~0ULL)
		printf("SHORT: ioctl-fuzz seed=0x%" PRIx64 " ioctls=%" PRIu64
		       " of %" PRIu64 " in the time limit\n", opt_seed,
		       n_ioctls, opt_count);
	printf("%s: ioctl-fuzz seed=0x%" PRIx64 " ioctls=%" PRIu64 " runs=%"
	       PRIu64 " failures=%" PRIu64 "\n",
	       n_failures ? "FAIL" : "PASS", opt_seed, n_ioctls, n_runs,
	       n_failures);
}

int main(int argc, char **argv)
{
	int fd;

	dev_path = fz_device(&argc, argv);
	parse_args(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	kmsg_open();
	run_timer_init();

	fd = fz_open_dev(dev_path);
	if (fd < 0) {
		printf("vtx-ioctl-fuzz: cannot open %s: %s\n", dev_path,
		       strerror(errno));
		return 4;
	}
	mmap_size = xioctl(fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	host_tsc_khz = 0;
	close(fd);
	if (mmap_size <= 0)
		mmap_size = 2 * PAGE_SIZE;
	if (map_areas())
		return 1;
	run_sessions();
	print_summary();
	(void)failures_seen;
	return n_failures ? 1 : 0;
}
