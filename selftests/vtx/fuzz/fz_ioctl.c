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
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fz.h"
#include "fz_msr.h"

#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 1
#endif

/* ------------------------------------------------------------ options */
static const char *dev_path;
static uint64_t opt_seed = 1;
static uint64_t opt_count = 50000;
static double opt_time = 1e9;
static unsigned int opt_session_len = 400;
static uint64_t opt_first_session;
static uint64_t opt_sessions = ~0ULL;
static bool opt_vtx_subset;	/* only the ioctls vtx implements */
static bool opt_avoid = true;	/* keep known defects out */
static bool opt_trace;

/* ------------------------------------------------------------ counters */
static uint64_t n_ioctls, n_syscalls, n_runs, n_sessions, n_failures;
static uint64_t n_errno[256], n_exit[64], n_odd;
static int failures_seen;

/* ------------------------------------------------------------ state */
#define NR_BUFS		8
#define BUF_WINDOW	(8UL << 20)	/* each buffer owns 8 MiB of VA */
#define MAX_VMS		3
#define MAX_VCPUS	6
#define MAX_SLOTS	8		/* shadow of slots we registered */
#define SCRATCH_SIZE	(64UL << 10)
#define TRACE_LEN	24

enum buf_state { B_UNMAPPED, B_RW, B_RO, B_NONE };

struct buf {
	uint8_t *base;		/* start (the window is base .. +BUF_WINDOW) */
	size_t size;
	enum buf_state state;
	int memfd;		/* shared memfd backing, or -1 */
	bool prot_changed;	/* part of it was made read-only */
	bool truncated;		/* memfd made shorter: the tail is gone */
};

struct fvcpu {
	int fd;
	int vm;			/* index in vms[] (may be closed) */
	struct kvm_run *run;
	size_t run_size;
};

struct fslot {
	bool used;
	uint32_t slot, flags;
	uint64_t gpa, size, hva;
};

struct session {
	struct rng r;
	uint64_t idx, seed;
	int dev[2];
	int vms[MAX_VMS];
	struct fvcpu vcpus[MAX_VCPUS];
	struct fslot slots[MAX_SLOTS];
	int efd[2];
	int devnull;
	unsigned int calls;
	char trace[TRACE_LEN][120];
	unsigned int ntrace;
	/* the racing vCPU thread */
	pthread_t racer;
	bool racing;
	volatile bool stop_racer;
	int racer_fd;
	struct kvm_run *racer_run;
	size_t racer_run_size;
};

static uint8_t *reservation;	/* NR_BUFS windows, PROT_NONE by default */
static struct buf bufs[NR_BUFS];
/*
 * Arguments live in the scratch area.  After it comes as much again,
 * writable so that the fuzzer can fill an argument that straddles the end;
 * its first page is PROT_NONE only during the ioctl that gets such an
 * argument, so the kernel's copy stops there.
 */
static uint8_t *scratch;
static bool straddle;
static uint8_t *ro_page;	/* PROT_READ, filled with 0xf4 */
static long mmap_size;
static uint32_t host_tsc_khz;

static void trace(struct session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void trace(struct session *s, const char *fmt, ...)
{
	va_list ap;
	char *t = s->trace[s->ntrace++ % TRACE_LEN];

	va_start(ap, fmt);
	vsnprintf(t, sizeof(s->trace[0]), fmt, ap);
	va_end(ap);
	if (opt_trace)
		printf("#   %s\n", t);
}

static void count_errno(long r)
{
	if (r >= 0)
		n_errno[0]++;
	else if (-r < 256)
		n_errno[-r]++;
}

/* An ioctl of the fuzzer: counted, traced, errno classified. */
static long fz_ioctl(struct session *s, int fd, unsigned long req,
		     unsigned long arg, const char *name)
{
	long r;

	trace(s, "ioctl(%d, %s 0x%lx, 0x%lx)", fd, name, req, arg);
	if (straddle)
		mprotect(scratch + SCRATCH_SIZE, PAGE_SIZE, PROT_NONE);
	r = xioctl(fd, req, arg);
	if (straddle) {
		mprotect(scratch + SCRATCH_SIZE, PAGE_SIZE,
			 PROT_READ | PROT_WRITE);
		straddle = false;
	}
	n_ioctls++;
	n_syscalls++;
	count_errno(r);
	switch ((int)-r) {
	case 0: case EPERM: case ENOENT: case EINTR: case EIO: case ENXIO:
	case E2BIG: case EBADF: case EAGAIN: case ENOMEM: case EACCES:
	case EFAULT: case EBUSY: case EEXIST: case ENODEV: case EINVAL:
	case ENFILE: case EMFILE: case ENOTTY: case ENOSPC: case ERANGE:
	case ENOSYS: case EOPNOTSUPP: case EROFS:
		break;
	default:
		if (r < 0 && n_odd++ < 20) {
			printf("# odd errno %ld from %s (session %" PRIu64 ")\n",
			       r, name, s->idx);
		}
	}
	return r;
}

/* ------------------------------------------------------------ memory */

static void buf_fill(struct buf *b)
{
	if (b->state == B_RW)
		memset(b->base, 0xf4, b->size);
}

static void buf_unmap(struct buf *b)
{
	/* back to a PROT_NONE placeholder: the window stays ours */
	mmap(b->base, BUF_WINDOW, PROT_NONE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
	n_syscalls++;
	if (b->memfd >= 0) {
		close(b->memfd);
		b->memfd = -1;
	}
	b->state = B_UNMAPPED;
	b->prot_changed = false;
	b->truncated = false;
}

static void buf_map(struct session *s, struct buf *b)
{
	static const size_t sizes[] = {
		0x4000, 0x10000, 0x10000, 0x40000, 0x100000, 0x200000,
	};
	void *p;

	buf_unmap(b);
	b->size = sizes[rnd(&s->r, ARRAY_SIZE(sizes))];
	if (chance(&s->r, 1, 5)) {
		b->memfd = syscall(SYS_memfd_create, "fz", MFD_CLOEXEC);
		if (b->memfd < 0 || ftruncate(b->memfd, b->size)) {
			if (b->memfd >= 0)
				close(b->memfd);
			b->memfd = -1;
			return;
		}
		p = mmap(b->base, b->size, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, b->memfd, 0);
	} else {
		p = mmap(b->base, b->size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (p != MAP_FAILED && b->size >= 0x200000 &&
		    chance(&s->r, 1, 2))
			madvise(p, b->size, MADV_HUGEPAGE);
	}
	n_syscalls++;
	if (p == MAP_FAILED)
		return;
	b->state = B_RW;
	buf_fill(b);
	trace(s, "map buf %ld size 0x%zx%s", (long)(b - bufs), b->size,
	      b->memfd >= 0 ? " memfd" : "");
}

/* munmap/mprotect/madvise/truncate a buffer that slots may point into */
static void mem_op(struct session *s)
{
	struct buf *b = &bufs[rnd(&s->r, NR_BUFS)];
	size_t off, len;

	if (b->state == B_UNMAPPED) {
		buf_map(s, b);
		return;
	}
	off = rnd(&s->r, b->size / PAGE_SIZE) * PAGE_SIZE;
	len = (1 + rnd(&s->r, (b->size - off) / PAGE_SIZE)) * PAGE_SIZE;
	switch (rnd(&s->r, 8)) {
	case 0:
		trace(s, "munmap buf %ld", (long)(b - bufs));
		buf_unmap(b);
		break;
	case 1:		/* a hole in the middle, under live slots */
		trace(s, "munmap buf %ld +0x%zx len 0x%zx", (long)(b - bufs),
		      off, len);
		mmap(b->base + off, len, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
		     -1, 0);
		n_syscalls++;
		b->prot_changed = true;
		break;
	case 2:
		trace(s, "mprotect RO buf %ld", (long)(b - bufs));
		mprotect(b->base + off, len, PROT_READ);
		n_syscalls++;
		b->prot_changed = true;
		break;
	case 3:
		trace(s, "mprotect RW buf %ld", (long)(b - bufs));
		mprotect(b->base, b->size, PROT_READ | PROT_WRITE);
		n_syscalls++;
		break;
	case 4:
		/*
		 * Zapped pages come back as zeros: refill them with HLT at
		 * once (zeros executed in real mode with IF = 0, after an
		 * exception through a zeroed IVT, would hang the test VM).
		 */
		if (b->prot_changed || b->truncated)
			break;
		trace(s, "DONTNEED buf %ld +0x%zx", (long)(b - bufs), off);
		madvise(b->base + off, len, MADV_DONTNEED);
		memset(b->base + off, 0xf4, len);
		n_syscalls++;
		break;
	case 5:
		if (b->memfd < 0 || b->prot_changed || b->truncated)
			break;
		trace(s, "punch hole buf %ld", (long)(b - bufs));
		fallocate(b->memfd, 3 /* KEEP_SIZE | PUNCH_HOLE */, off, len);
		memset(b->base + off, 0xf4, len);
		n_syscalls++;
		break;
	case 6:
		/* the tail then faults (SIGBUS for the host, EFAULT for KVM) */
		if (b->memfd < 0)
			break;
		trace(s, "truncate buf %ld to 0x%zx", (long)(b - bufs), off);
		if (!ftruncate(b->memfd, off))
			b->truncated = true;
		n_syscalls++;
		break;
	default:
		buf_map(s, b);
		break;
	}
}

/* ------------------------------------------------------------ pointers */

/*
 * A user pointer for an ioctl argument of @len bytes.  Mostly valid (in
 * the scratch area, contents to be filled by the caller through the
 * returned pointer), else hostile.  *@writable tells whether the caller
 * may write the contents.
 */
static void *arg_ptr(struct session *s, size_t len, bool *writable)
{
	uint64_t off;

	*writable = false;
	if (len > SCRATCH_SIZE)
		len = SCRATCH_SIZE;
	switch (rnd(&s->r, 40)) {
	case 0:
		return NULL;
	case 1:		/* straddles the guard page after the scratch area */
		*writable = true;
		straddle = true;
		return scratch + SCRATCH_SIZE - (len ? rnd(&s->r, len) + 1 : 1);
	case 2:
		return ro_page;
	case 3:
		return (void *)0xffffffff81000000UL;
	case 4:
		return (void *)0xffff888000000000UL;
	case 5:
		return (void *)0x8000000000000000UL;
	case 6:
		return (void *)(uintptr_t)rnd_interesting(&s->r);
	case 7:		/* a buffer window, maybe unmapped or read-only */
		return bufs[rnd(&s->r, NR_BUFS)].base +
		       rnd(&s->r, 0x400000);
	case 8: {	/* a vCPU's kvm_run page */
		struct fvcpu *v = &s->vcpus[rnd(&s->r, MAX_VCPUS)];

		if (v->run)
			return (uint8_t *)v->run + rnd(&s->r, 2) * PAGE_SIZE;
		break;
	}
	}
	*writable = true;
	off = rnd(&s->r, SCRATCH_SIZE - len + 1);
	if (chance(&s->r, 3, 4))
		off &= ~7ULL;
	return scratch + off;
}

/* ------------------------------------------------------------ fds */

static int pick_vm(struct session *s)
{
	int i, n = 0, c[MAX_VMS];

	for (i = 0; i < MAX_VMS; i++)
		if (s->vms[i] >= 0)
			c[n++] = i;
	return n ? c[rnd(&s->r, n)] : -1;
}

static int pick_vcpu(struct session *s)
{
	int i, n = 0, c[MAX_VCPUS];

	for (i = 0; i < MAX_VCPUS; i++)
		if (s->vcpus[i].fd >= 0)
			c[n++] = i;
	return n ? c[rnd(&s->r, n)] : -1;
}

static int pick_dev(struct session *s)
{
	int d = s->dev[rnd(&s->r, 2)];

	return d >= 0 ? d : s->dev[0] >= 0 ? s->dev[0] : s->dev[1];
}

static void create_vm(struct session *s)
{
	int i, d = pick_dev(s);
	long r;

	if (d < 0) {
		s->dev[0] = fz_open_dev(dev_path);
		n_syscalls++;
		return;
	}
	for (i = 0; i < MAX_VMS; i++)
		if (s->vms[i] < 0)
			break;
	if (i == MAX_VMS)
		return;
	r = fz_ioctl(s, d, KVM_CREATE_VM,
		     chance(&s->r, 9, 10) ? 0 : rnd_interesting(&s->r),
		     "KVM_CREATE_VM");
	if (r >= 0)
		s->vms[i] = r;
}

static void create_vcpu(struct session *s)
{
	int i, vm = pick_vm(s);
	unsigned long id;
	long r;
	void *run;

	if (vm < 0) {
		create_vm(s);
		return;
	}
	for (i = 0; i < MAX_VCPUS; i++)
		if (s->vcpus[i].fd < 0)
			break;
	if (i == MAX_VCPUS)
		return;
	id = chance(&s->r, 7, 8) ? rnd(&s->r, 8) : rnd_interesting(&s->r);
	r = fz_ioctl(s, s->vms[vm], KVM_CREATE_VCPU, id, "KVM_CREATE_VCPU");
	if (r < 0)
		return;
	run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, r, 0);
	n_syscalls++;
	if (run == MAP_FAILED) {
		close(r);
		return;
	}
	s->vcpus[i].fd = r;
	s->vcpus[i].vm = vm;
	s->vcpus[i].run = run;
	s->vcpus[i].run_size = mmap_size;
}

static void close_vcpu(struct session *s, int i)
{
	struct fvcpu *v = &s->vcpus[i];

	if (v->fd < 0)
		return;
	/* either order: the mapping keeps the vCPU file alive */
	if (chance(&s->r, 1, 2)) {
		munmap(v->run, v->run_size);
		close(v->fd);
	} else {
		close(v->fd);
		munmap(v->run, v->run_size);
	}
	n_syscalls += 2;
	v->fd = -1;
	v->run = NULL;
}

static void close_something(struct session *s)
{
	int i;

	switch (rnd(&s->r, 4)) {
	case 0:
		i = pick_vm(s);
		if (i >= 0) {
			trace(s, "close vm %d", s->vms[i]);
			close(s->vms[i]);
			n_syscalls++;
			s->vms[i] = -1;
		}
		break;
	case 1:
	case 2:
		i = pick_vcpu(s);
		if (i >= 0) {
			trace(s, "close vcpu %d", s->vcpus[i].fd);
			close_vcpu(s, i);
		}
		break;
	default:
		i = rnd(&s->r, 2);
		if (s->dev[i] >= 0) {
			trace(s, "close dev %d", s->dev[i]);
			close(s->dev[i]);
			n_syscalls++;
			s->dev[i] = -1;
		}
		break;
	}
}

/* ------------------------------------------------------------ args */

static const uint32_t msr_list[] = {
	MSR_IA32_TSC, MSR_IA32_APICBASE, MSR_IA32_FEAT_CTL,
	MSR_IA32_SPEC_CTRL, MSR_IA32_PRED_CMD, MSR_IA32_UCODE_REV,
	MSR_IA32_MPERF, MSR_IA32_APERF, MSR_MTRRcap, MSR_IA32_SYSENTER_CS,
	MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP, MSR_IA32_MCG_CAP,
	MSR_IA32_MCG_STATUS, MSR_IA32_MISC_ENABLE, MSR_IA32_DEBUGCTLMSR,
	MTRRphysBase_MSR(0), MTRRphysMask_MSR(0), MTRRphysBase_MSR(7),
	MTRRphysMask_MSR(7), MTRRphysBase_MSR(8), MSR_MTRRfix64K_00000,
	MSR_MTRRfix16K_80000, MSR_MTRRfix16K_A0000, MSR_MTRRfix4K_C0000,
	MSR_MTRRfix4K_F8000, MSR_IA32_CR_PAT, MSR_MTRRdefType,
	MSR_IA32_PERF_CAPABILITIES, MSR_CORE_PERF_FIXED_CTR_CTRL,
	MSR_IA32_VMX_BASIC, MSR_IA32_TSC_DEADLINE, FZ_X2APIC_MSR_BASE,
	FZ_X2APIC_MSR_TPR, FZ_X2APIC_MSR_EOI, MSR_EFER, MSR_STAR, MSR_LSTAR,
	MSR_CSTAR, MSR_SYSCALL_MASK, MSR_FS_BASE, MSR_GS_BASE,
	MSR_KERNEL_GS_BASE, MSR_TSC_AUX, MSR_K7_HWCR, FZ_HV_MSR_GUEST_OS_ID,
	MSR_KVM_WALL_CLOCK_NEW, MSR_KVM_SYSTEM_TIME_NEW, MSR_KVM_ASYNC_PF_EN,
	MSR_KVM_ASYNC_PF_INT, FZ_MSR_ALL_ONES, FZ_MSR_LOW_LAST, FZ_MSR_LOW_END,
	FZ_MSR_HIGH_LAST, FZ_MSR_HIGH_END,
};

static uint32_t rnd_msr(struct session *s)
{
	if (chance(&s->r, 4, 5))
		return msr_list[rnd(&s->r, ARRAY_SIZE(msr_list))];
	return rnd_interesting(&s->r);
}

/* MSR values; with avoidance, none that the known SFMASK issue needs. */
static uint64_t rnd_msr_val(struct session *s, uint32_t idx)
{
	uint64_t v = rnd_interesting(&s->r);

	if (opt_avoid && idx == MSR_SYSCALL_MASK)
		v &= 0xffffffff;
	return v;
}

static void rnd_segment(struct session *s, struct kvm_segment *g)
{
	g->base = chance(&s->r, 1, 2) ? rnd(&s->r, 0x100000) :
		  rnd_interesting(&s->r);
	g->limit = chance(&s->r, 1, 2) ? 0xffff : rnd_interesting(&s->r);
	g->selector = rng_next(&s->r);
	g->type = rnd(&s->r, 16);
	g->present = rnd(&s->r, 2);
	g->dpl = rnd(&s->r, 4);
	g->db = rnd(&s->r, 2);
	g->s = rnd(&s->r, 2);
	g->l = chance(&s->r, 1, 4);
	g->g = rnd(&s->r, 2);
	g->avl = rnd(&s->r, 2);
	g->unusable = chance(&s->r, 1, 8);
	g->padding = chance(&s->r, 1, 16) ? rng_next(&s->r) : 0;
}

/* SREGS: a valid mode with a few changes, or anything */
static void rnd_sregs(struct session *s, struct kvm_sregs *sr)
{
	int i, n;

	fz_mode_sregs(sr, rnd(&s->r, FZ_NR_MODES), chance(&s->r, 1, 4) * 3);
	if (chance(&s->r, 1, 4)) {
		rnd_fill(&s->r, sr, sizeof(*sr));
		return;
	}
	n = rnd(&s->r, 4);
	for (i = 0; i < n; i++) {
		switch (rnd(&s->r, 12)) {
		case 0: rnd_segment(s, &sr->cs); break;
		case 1: rnd_segment(s, &sr->ss); break;
		case 2: rnd_segment(s, &sr->tr); break;
		case 3: rnd_segment(s, &sr->ds); break;
		case 4: sr->cr0 ^= 1ULL << rnd(&s->r, 64); break;
		case 5: sr->cr4 ^= 1ULL << rnd(&s->r, 32); break;
		case 6: sr->efer ^= 1ULL << rnd(&s->r, 16); break;
		case 7: sr->cr3 = rnd_interesting(&s->r); break;
		case 8: sr->cr8 = rnd_interesting(&s->r); break;
		case 9: sr->apic_base = rnd_interesting(&s->r); break;
		case 10: sr->gdt.base = rnd_interesting(&s->r);
			 sr->idt.limit = rng_next(&s->r); break;
		default: sr->interrupt_bitmap[rnd(&s->r, 4)] = rng_next(&s->r);
			 break;
		}
	}
}

static void rnd_regs(struct session *s, struct kvm_regs *rg)
{
	uint64_t *p = (uint64_t *)rg;
	size_t i;

	for (i = 0; i < sizeof(*rg) / 8; i++)
		p[i] = chance(&s->r, 1, 2) ? rnd(&s->r, 0x400000) :
		       rnd_interesting(&s->r);
	if (chance(&s->r, 3, 4))
		rg->rflags = 0x202 | (chance(&s->r, 1, 3) ?
				      (1ULL << rnd(&s->r, 22)) : 0);
}

static void rnd_events(struct session *s, struct kvm_vcpu_events *e)
{
	if (chance(&s->r, 1, 6)) {
		rnd_fill(&s->r, e, sizeof(*e));
	} else {
		memset(e, 0, sizeof(*e));
		e->exception.injected = chance(&s->r, 1, 3);
		e->exception.pending = chance(&s->r, 1, 6);
		e->exception.nr = rnd(&s->r, 40);
		e->exception.has_error_code = rnd(&s->r, 2);
		e->exception.error_code = chance(&s->r, 1, 2) ?
					  rnd(&s->r, 0x10000) :
					  rnd_interesting(&s->r);
		e->interrupt.injected = chance(&s->r, 1, 3);
		e->interrupt.nr = rng_next(&s->r);
		e->interrupt.soft = chance(&s->r, 1, 4);
		e->interrupt.shadow = rnd(&s->r, 4);
		e->nmi.injected = chance(&s->r, 1, 4);
		e->nmi.pending = rnd(&s->r, 4);
		e->nmi.masked = rnd(&s->r, 2);
		e->sipi_vector = rnd_interesting(&s->r);
		e->flags = rnd(&s->r, 64);
		e->smi.smm = chance(&s->r, 1, 8);
		e->smi.pending = chance(&s->r, 1, 8);
		e->triple_fault.pending = chance(&s->r, 1, 8);
		e->exception_has_payload = chance(&s->r, 1, 8);
		e->exception_payload = rnd_interesting(&s->r);
	}
	/*
	 * Known: an error code above 0xffff makes vtx's VM entry fail (KVM
	 * drops bits 31:16).  Not a host problem, but it wedges the vCPU:
	 * avoided so that runs reach the guest.
	 */
	if (opt_avoid)
		e->exception.error_code &= 0x7fff;
}

static void rnd_cpuid(struct session *s, struct kvm_cpuid2 *c, uint32_t nent)
{
	static const uint32_t leaves[] = {
		0, 1, 2, 4, 6, 7, 0xa, 0xb, 0xd, 0x14, 0x1f, 0x40000000,
		0x40000001, 0x4fffffff, 0x80000000, 0x80000001, 0x80000007,
		0x80000008, 0x8000001d, 0xffffffff,
	};
	uint32_t i;

	c->nent = nent;
	c->padding = chance(&s->r, 1, 16) ? rng_next(&s->r) : 0;
	for (i = 0; i < nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		rnd_fill(&s->r, e, sizeof(*e));
		if (chance(&s->r, 3, 4))
			e->function = leaves[rnd(&s->r, ARRAY_SIZE(leaves))];
		if (chance(&s->r, 1, 2))
			e->index = rnd(&s->r, 4);
		if (chance(&s->r, 1, 2))
			e->flags &= 1;
		if (e->function == 0 && chance(&s->r, 1, 2))
			e->eax = rnd(&s->r, 0x30);
		if (e->function == 0x80000000 && chance(&s->r, 1, 2))
			e->eax = 0x80000000 + rnd(&s->r, 0x30);
	}
}

/* ------------------------------------------------------------ memslots */

static void slot_op(struct session *s)
{
	struct kvm_userspace_memory_region m;
	struct fslot *sh = &s->slots[rnd(&s->r, MAX_SLOTS)];
	struct buf *b = &bufs[rnd(&s->r, NR_BUFS)];
	bool w;
	void *p;
	long r;
	int vm = pick_vm(s);

	if (vm < 0) {
		create_vm(s);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.slot = chance(&s->r, 15, 16) ? rnd(&s->r, 36) :
		 (uint32_t)rnd_interesting(&s->r);
	if (chance(&s->r, 1, 3) && sh->used)
		m.slot = sh->slot;
	if (chance(&s->r, 1, 32))
		m.slot |= 1u << 16;
	m.flags = chance(&s->r, 3, 4) ? rnd(&s->r, 4) :
		  (uint32_t)rnd_interesting(&s->r);

	/* guest-physical address: low, near a boundary, overlapping, huge */
	switch (rnd(&s->r, 6)) {
	case 0:
	case 1:
		m.guest_phys_addr = rnd(&s->r, 0x400) * PAGE_SIZE;
		break;
	case 2:
		m.guest_phys_addr = sh->used ? sh->gpa + (rnd(&s->r, 9) - 4) *
						PAGE_SIZE : 0xfffff000;
		break;
	case 3:
		m.guest_phys_addr = (1ULL << (20 + rnd(&s->r, 29))) -
				    rnd(&s->r, 4) * PAGE_SIZE;
		break;
	case 4:
		m.guest_phys_addr = rnd_interesting(&s->r);
		break;
	default:
		m.guest_phys_addr = 0xfffc0000 + rnd(&s->r, 0x40) * PAGE_SIZE;
		break;
	}
	if (chance(&s->r, 1, 10))
		m.guest_phys_addr += rnd(&s->r, PAGE_SIZE);

	/* size: 0 deletes */
	switch (rnd(&s->r, 6)) {
	case 0:
		m.memory_size = 0;
		break;
	case 1:
	case 2:
		m.memory_size = (1 + rnd(&s->r, b->size ? b->size / PAGE_SIZE :
					  16)) * PAGE_SIZE;
		break;
	case 3:
		m.memory_size = sh->used ? sh->size : PAGE_SIZE;
		break;
	case 4:
		m.memory_size = rnd_interesting(&s->r);
		break;
	default:
		m.memory_size = (1ULL << rnd(&s->r, 44)) & ~(PAGE_SIZE - 1);
		break;
	}
	if (chance(&s->r, 1, 12))
		m.memory_size += 1 + rnd(&s->r, PAGE_SIZE - 1);

	/* host address: a buffer (maybe too small / unmapped), or hostile */
	switch (rnd(&s->r, 8)) {
	case 0:
		m.userspace_addr = sh->used ? sh->hva : (uintptr_t)b->base;
		break;
	case 1:
		m.userspace_addr = rnd_interesting(&s->r);
		break;
	case 2:
		m.userspace_addr = (uintptr_t)scratch;
		break;
	case 3:
		m.userspace_addr = (uintptr_t)ro_page;
		break;
	default:
		m.userspace_addr = (uintptr_t)b->base +
				   rnd(&s->r, b->size ? b->size / PAGE_SIZE :
				       4) * PAGE_SIZE;
		break;
	}
	if (chance(&s->r, 1, 16))
		m.userspace_addr += 1 + rnd(&s->r, 4095);

	/*
	 * Known: a dirty-logged slot allocates its bitmap with vzalloc()
	 * (not memcg-accounted; a large one warns in dmesg).  Keep logged
	 * slots to 1 GiB (a 32 KiB bitmap) unless asked otherwise.
	 */
	if (opt_avoid && (m.flags & KVM_MEM_LOG_DIRTY_PAGES) &&
	    m.memory_size > (1ULL << 30))
		m.memory_size &= (1ULL << 30) - 1;

	p = arg_ptr(s, sizeof(m), &w);
	if (w)
		memcpy(p, &m, sizeof(m));
	r = fz_ioctl(s, s->vms[vm], KVM_SET_USER_MEMORY_REGION,
		     (unsigned long)p, "KVM_SET_USER_MEMORY_REGION");
	trace(s, "  slot %u flags %u gpa 0x%llx size 0x%llx hva 0x%llx -> %ld",
	      m.slot, m.flags, (unsigned long long)m.guest_phys_addr,
	      (unsigned long long)m.memory_size,
	      (unsigned long long)m.userspace_addr, r);
	if (r == 0 && w) {
		sh->used = m.memory_size != 0;
		sh->slot = m.slot;
		sh->flags = m.flags;
		sh->gpa = m.guest_phys_addr;
		sh->size = m.memory_size;
		sh->hva = m.userspace_addr;
	}
}

/* ------------------------------------------------------------ ioctls */

static void sys_ioctl(struct session *s)
{
	int d = pick_dev(s);
	unsigned int n;
	bool w;
	void *p;

	if (d < 0) {
		s->dev[0] = fz_open_dev(dev_path);
		n_syscalls++;
		return;
	}
	switch (rnd(&s->r, 11)) {
	case 0:
		fz_ioctl(s, d, KVM_GET_API_VERSION,
			 chance(&s->r, 3, 4) ? 0 : rnd_interesting(&s->r),
			 "KVM_GET_API_VERSION");
		break;
	case 1:
		fz_ioctl(s, d, KVM_CHECK_EXTENSION,
			 chance(&s->r, 3, 4) ? rnd(&s->r, 260) :
			 rnd_interesting(&s->r), "KVM_CHECK_EXTENSION");
		break;
	case 2:
		fz_ioctl(s, d, KVM_GET_VCPU_MMAP_SIZE,
			 chance(&s->r, 3, 4) ? 0 : rnd_interesting(&s->r),
			 "KVM_GET_VCPU_MMAP_SIZE");
		break;
	case 3:
	case 4: {
		struct kvm_cpuid2 *c;

		n = chance(&s->r, 3, 4) ? rnd(&s->r, 300) :
		    rnd_interesting(&s->r);
		p = arg_ptr(s, sizeof(*c) + (n < 300 ? n : 4) *
			    sizeof(c->entries[0]), &w);
		if (w) {
			c = p;
			c->nent = n;
		}
		fz_ioctl(s, d, chance(&s->r, 4, 5) ? KVM_GET_SUPPORTED_CPUID :
			 KVM_GET_EMULATED_CPUID, (unsigned long)p,
			 "KVM_GET_SUPPORTED_CPUID");
		break;
	}
	case 5:
	case 6: {
		struct kvm_msr_list *l;

		n = chance(&s->r, 3, 4) ? rnd(&s->r, 80) :
		    rnd_interesting(&s->r);
		p = arg_ptr(s, sizeof(*l) + (n < 80 ? n : 4) * 4, &w);
		if (w) {
			l = p;
			l->nmsrs = n;
		}
		fz_ioctl(s, d, chance(&s->r, 1, 2) ? KVM_GET_MSR_INDEX_LIST :
			 KVM_GET_MSR_FEATURE_INDEX_LIST, (unsigned long)p,
			 "KVM_GET_MSR_*_INDEX_LIST");
		break;
	}
	case 7: {
		struct kvm_msrs *m;
		unsigned int i;

		n = chance(&s->r, 3, 4) ? rnd(&s->r, 8) :
		    rnd_interesting(&s->r);
		p = arg_ptr(s, sizeof(*m) + (n < 8 ? n : 2) * 16, &w);
		if (w) {
			m = p;
			m->nmsrs = n;
			for (i = 0; i < (n < 8 ? n : 2); i++)
				m->entries[i].index = chance(&s->r, 1, 2) ?
						      0x8b : rnd_msr(s);
		}
		fz_ioctl(s, d, KVM_GET_MSRS, (unsigned long)p, "KVM_GET_MSRS(sys)");
		break;
	}
	case 8:
		create_vm(s);
		break;
	default:
		if (opt_vtx_subset)
			break;
		p = arg_ptr(s, 512, &w);
		if (w)
			rnd_fill(&s->r, p, 64);
		switch (rnd(&s->r, 3)) {
		case 0:
			fz_ioctl(s, d, KVM_X86_GET_MCE_CAP_SUPPORTED,
				 (unsigned long)p, "MCE_CAP");
			break;
		case 1:
			fz_ioctl(s, d, KVM_GET_DEVICE_ATTR, (unsigned long)p,
				 "KVM_GET_DEVICE_ATTR");
			break;
		default:
			fz_ioctl(s, d, KVM_GET_STATS_FD, (unsigned long)p,
				 "KVM_GET_STATS_FD");
			break;
		}
		break;
	}
}

static void vm_ioctl(struct session *s)
{
	int vm = pick_vm(s), fd;
	bool w;
	void *p;
	long r;

	if (vm < 0) {
		create_vm(s);
		return;
	}
	fd = s->vms[vm];
	switch (rnd(&s->r, 12)) {
	case 0:
		create_vcpu(s);
		break;
	case 1:
	case 2:
		slot_op(s);
		break;
	case 3: {
		struct kvm_dirty_log *l;
		struct fslot *sh = &s->slots[rnd(&s->r, MAX_SLOTS)];

		p = arg_ptr(s, sizeof(*l), &w);
		if (w) {
			l = p;
			memset(l, 0, sizeof(*l));
			l->slot = sh->used && chance(&s->r, 3, 4) ? sh->slot :
				  rnd(&s->r, 40);
			l->dirty_bitmap = chance(&s->r, 3, 4) ? scratch :
					  (void *)(uintptr_t)rnd_interesting(&s->r);
			/* 64 KiB of bitmap covers 2 GiB: big slots fault */
		}
		fz_ioctl(s, fd, KVM_GET_DIRTY_LOG, (unsigned long)p,
			 "KVM_GET_DIRTY_LOG");
		break;
	}
	case 4: {
		struct kvm_ioeventfd *e;

		p = arg_ptr(s, sizeof(*e), &w);
		if (w) {
			e = p;
			memset(e, 0, sizeof(*e));
			e->datamatch = rnd_interesting(&s->r);
			e->addr = chance(&s->r, 1, 2) ? rnd(&s->r, 0x10000) :
				  rnd_interesting(&s->r);
			e->len = chance(&s->r, 3, 4) ? 1 << rnd(&s->r, 4) :
				 rnd(&s->r, 16);
			e->fd = chance(&s->r, 3, 4) ? s->efd[rnd(&s->r, 2)] :
				rnd_interesting(&s->r);
			e->flags = chance(&s->r, 3, 4) ? rnd(&s->r, 8) :
				   rnd_interesting(&s->r);
		}
		fz_ioctl(s, fd, KVM_IOEVENTFD, (unsigned long)p, "KVM_IOEVENTFD");
		break;
	}
	case 5:
		fz_ioctl(s, fd, KVM_SET_TSS_ADDR,
			 chance(&s->r, 1, 2) ? 0xfffbd000 : rnd_interesting(&s->r),
			 "KVM_SET_TSS_ADDR");
		break;
	case 6:
		p = arg_ptr(s, 8, &w);
		if (w)
			*(uint64_t *)p = chance(&s->r, 1, 2) ? 0xfeffc000 :
					 rnd_interesting(&s->r);
		fz_ioctl(s, fd, KVM_SET_IDENTITY_MAP_ADDR, (unsigned long)p,
			 "KVM_SET_IDENTITY_MAP_ADDR");
		break;
	case 7:
		fz_ioctl(s, fd, KVM_CHECK_EXTENSION, rnd(&s->r, 260),
			 "KVM_CHECK_EXTENSION(vm)");
		break;
	case 8: {
		struct kvm_enable_cap *c;

		p = arg_ptr(s, sizeof(*c), &w);
		if (w) {
			c = p;
			rnd_fill(&s->r, c, sizeof(*c));
			if (chance(&s->r, 3, 4))
				c->cap = chance(&s->r, 1, 2) ?
					 KVM_CAP_EXIT_HYPERCALL : rnd(&s->r, 260);
			if (chance(&s->r, 3, 4))
				c->flags = 0;
			if (chance(&s->r, 1, 2))
				c->args[0] &= 0x7fffffff;
		}
		fz_ioctl(s, fd, KVM_ENABLE_CAP, (unsigned long)p, "KVM_ENABLE_CAP");
		break;
	}
	case 9:
		r = fz_ioctl(s, fd, KVM_CREATE_VCPU, rnd(&s->r, 70),
			     "KVM_CREATE_VCPU(nommap)");
		if (r >= 0) {
			close(r);
			n_syscalls++;
		}
		break;
	default: {
		static const struct { unsigned long req; const char *n; } vmo[] = {
			{ KVM_CREATE_IRQCHIP, "KVM_CREATE_IRQCHIP" },
			{ KVM_IRQ_LINE, "KVM_IRQ_LINE" },
			{ KVM_IRQ_LINE_STATUS, "KVM_IRQ_LINE_STATUS" },
			{ KVM_GET_CLOCK, "KVM_GET_CLOCK" },
			{ KVM_SET_CLOCK, "KVM_SET_CLOCK" },
			{ KVM_SET_NR_MMU_PAGES, "KVM_SET_NR_MMU_PAGES" },
			{ KVM_IRQFD, "KVM_IRQFD" },
			{ KVM_SET_GSI_ROUTING, "KVM_SET_GSI_ROUTING" },
			{ KVM_REGISTER_COALESCED_MMIO, "COALESCED_MMIO" },
			{ KVM_SET_BOOT_CPU_ID, "KVM_SET_BOOT_CPU_ID" },
			{ KVM_CLEAR_DIRTY_LOG, "KVM_CLEAR_DIRTY_LOG" },
			{ KVM_SIGNAL_MSI, "KVM_SIGNAL_MSI" },
			{ KVM_GET_STATS_FD, "KVM_GET_STATS_FD" },
		};
		int k;

		if (opt_vtx_subset)
			break;
		k = rnd(&s->r, ARRAY_SIZE(vmo));
		p = arg_ptr(s, 1024, &w);
		if (w)
			rnd_fill(&s->r, p, 256);
		r = fz_ioctl(s, fd, vmo[k].req, chance(&s->r, 1, 4) ?
			     rnd_interesting(&s->r) : (unsigned long)p, vmo[k].n);
		if (r > 2 && (vmo[k].req == KVM_GET_STATS_FD)) {
			close(r);
			n_syscalls++;
		}
		break;
	}
	}
}

static void vcpu_state_ioctl(struct session *s, int fd)
{
	bool w;
	void *p;
	long r;

	switch (rnd(&s->r, 30)) {
	case 0: {
		struct kvm_regs *rg;

		p = arg_ptr(s, sizeof(*rg), &w);
		if (w)
			rnd_regs(s, p);
		fz_ioctl(s, fd, KVM_SET_REGS, (unsigned long)p, "KVM_SET_REGS");
		break;
	}
	case 1:
		p = arg_ptr(s, sizeof(struct kvm_regs), &w);
		fz_ioctl(s, fd, KVM_GET_REGS, (unsigned long)p, "KVM_GET_REGS");
		break;
	case 2:
	case 3:
		p = arg_ptr(s, sizeof(struct kvm_sregs), &w);
		if (w)
			rnd_sregs(s, p);
		fz_ioctl(s, fd, KVM_SET_SREGS, (unsigned long)p, "KVM_SET_SREGS");
		break;
	case 4:
		p = arg_ptr(s, sizeof(struct kvm_sregs), &w);
		fz_ioctl(s, fd, KVM_GET_SREGS, (unsigned long)p, "KVM_GET_SREGS");
		break;
	case 5: {
		struct kvm_fpu *f;

		p = arg_ptr(s, sizeof(*f), &w);
		if (w) {
			f = p;
			rnd_fill(&s->r, f, sizeof(*f));
			/*
			 * Known (set_fpu_mxcsr): vtx stores any MXCSR and the
			 * host's XRSTOR faults on it at the next KVM_RUN.
			 */
			if (opt_avoid || chance(&s->r, 1, 2))
				f->mxcsr &= 0xffbf;
		}
		fz_ioctl(s, fd, KVM_SET_FPU, (unsigned long)p, "KVM_SET_FPU");
		break;
	}
	case 6:
		p = arg_ptr(s, sizeof(struct kvm_fpu), &w);
		fz_ioctl(s, fd, KVM_GET_FPU, (unsigned long)p, "KVM_GET_FPU");
		break;
	case 7: {
		size_t sz = sizeof(struct kvm_xsave) + 8192;
		struct kvm_xsave *x;

		p = arg_ptr(s, sz, &w);
		if (w) {
			x = p;
			/* start from the real state, then damage it */
			if (chance(&s->r, 1, 2) &&
			    xioctl(fd, KVM_GET_XSAVE, (unsigned long)x) == 0) {
				n_ioctls++;
				if (chance(&s->r, 1, 2))
					((uint64_t *)x->region)[64] =
						rnd(&s->r, 8);	/* XSTATE_BV */
				if (chance(&s->r, 1, 3))
					((uint64_t *)x->region)[65] =
						rnd_interesting(&s->r);
				if (chance(&s->r, 1, 3))
					x->region[6] = rnd_interesting(&s->r);
				if (chance(&s->r, 1, 4))
					rnd_fill(&s->r, x->region,
						 rnd(&s->r, 160));
			} else {
				rnd_fill(&s->r, x, sizeof(*x));
			}
		}
		fz_ioctl(s, fd, KVM_SET_XSAVE, (unsigned long)p, "KVM_SET_XSAVE");
		break;
	}
	case 8:
		p = arg_ptr(s, sizeof(struct kvm_xsave) + 8192, &w);
		fz_ioctl(s, fd, chance(&s->r, 1, 2) ? KVM_GET_XSAVE :
			 KVM_GET_XSAVE2, (unsigned long)p, "KVM_GET_XSAVE*");
		break;
	case 9: {
		struct kvm_xcrs *x;
		unsigned int i;

		p = arg_ptr(s, sizeof(*x), &w);
		if (w) {
			x = p;
			memset(x, 0, sizeof(*x));
			x->nr_xcrs = chance(&s->r, 3, 4) ? rnd(&s->r, 3) :
				     rnd_interesting(&s->r);
			x->flags = chance(&s->r, 7, 8) ? 0 : rng_next(&s->r);
			for (i = 0; i < KVM_MAX_XCRS; i++) {
				static const uint64_t xv[] = {
					1, 3, 7, 0x1f, 0x207, 0xe7, 0x5, 0,
				};
				x->xcrs[i].xcr = chance(&s->r, 3, 4) ? 0 :
						 rnd(&s->r, 4);
				x->xcrs[i].value = chance(&s->r, 3, 4) ?
					xv[rnd(&s->r, ARRAY_SIZE(xv))] :
					rnd_interesting(&s->r);
			}
		}
		fz_ioctl(s, fd, KVM_SET_XCRS, (unsigned long)p, "KVM_SET_XCRS");
		break;
	}
	case 10:
		p = arg_ptr(s, sizeof(struct kvm_xcrs), &w);
		fz_ioctl(s, fd, KVM_GET_XCRS, (unsigned long)p, "KVM_GET_XCRS");
		break;
	case 11: {
		struct kvm_debugregs *d;

		p = arg_ptr(s, sizeof(*d), &w);
		if (w) {
			d = p;
			rnd_fill(&s->r, d, sizeof(*d));
			if (chance(&s->r, 3, 4)) {
				d->flags = 0;
				d->dr6 &= 0xffffffff;
				d->dr7 &= 0xffffffff;
			}
		}
		fz_ioctl(s, fd, chance(&s->r, 2, 3) ? KVM_SET_DEBUGREGS :
			 KVM_GET_DEBUGREGS, (unsigned long)p, "KVM_*_DEBUGREGS");
		break;
	}
	case 12:
	case 13:
		p = arg_ptr(s, sizeof(struct kvm_vcpu_events), &w);
		if (w)
			rnd_events(s, p);
		fz_ioctl(s, fd, KVM_SET_VCPU_EVENTS, (unsigned long)p,
			 "KVM_SET_VCPU_EVENTS");
		break;
	case 14:
		p = arg_ptr(s, sizeof(struct kvm_vcpu_events), &w);
		fz_ioctl(s, fd, KVM_GET_VCPU_EVENTS, (unsigned long)p,
			 "KVM_GET_VCPU_EVENTS");
		break;
	case 15:
		p = arg_ptr(s, sizeof(struct kvm_mp_state), &w);
		if (w)
			*(uint32_t *)p = chance(&s->r, 1, 2) ? 0 : rnd(&s->r, 12);
		fz_ioctl(s, fd, chance(&s->r, 1, 2) ? KVM_SET_MP_STATE :
			 KVM_GET_MP_STATE, (unsigned long)p, "KVM_*_MP_STATE");
		break;
	case 16:
		r = fz_ioctl(s, fd, KVM_GET_TSC_KHZ, 0, "KVM_GET_TSC_KHZ");
		if (r > 0)
			host_tsc_khz = r;
		fz_ioctl(s, fd, KVM_SET_TSC_KHZ, chance(&s->r, 1, 2) ?
			 host_tsc_khz + rnd(&s->r, 2000) - 1000 :
			 rnd_interesting(&s->r), "KVM_SET_TSC_KHZ");
		break;
	case 17:
		p = arg_ptr(s, 4, &w);
		if (w)
			*(uint32_t *)p = chance(&s->r, 3, 4) ? rnd(&s->r, 260) :
					 rnd_interesting(&s->r);
		fz_ioctl(s, fd, KVM_INTERRUPT, (unsigned long)p, "KVM_INTERRUPT");
		break;
	case 18:
		fz_ioctl(s, fd, KVM_NMI, 0, "KVM_NMI");
		break;
	case 19:
	case 20: {
		struct kvm_cpuid2 *c;
		uint32_t n = chance(&s->r, 7, 8) ? rnd(&s->r, 64) :
			     (chance(&s->r, 1, 2) ? 255 + rnd(&s->r, 3) :
			      rnd_interesting(&s->r));
		size_t sz = sizeof(*c) + (n <= 300 && n > 100 ? n : 100) *
			    sizeof(struct kvm_cpuid_entry2);

		p = arg_ptr(s, sz, &w);
		if (w && sz <= SCRATCH_SIZE) {
			c = p;
			if (chance(&s->r, 1, 3) && pick_dev(s) >= 0) {
				c->nent = 100;
				n_ioctls++;
				if (xioctl(pick_dev(s), KVM_GET_SUPPORTED_CPUID,
					   (unsigned long)c) == 0 &&
				    c->nent && chance(&s->r, 1, 2))
					rnd_fill(&s->r, &c->entries[rnd(&s->r,
						 c->nent)], 8);
			} else {
				rnd_cpuid(s, c, n <= 300 ? n : 2);
				c->nent = n;
			}
		}
		fz_ioctl(s, fd, KVM_SET_CPUID2, (unsigned long)p, "KVM_SET_CPUID2");
		break;
	}
	case 21: {
		struct kvm_cpuid2 *c;
		uint32_t n = rnd(&s->r, 80);

		p = arg_ptr(s, sizeof(*c) + n * sizeof(c->entries[0]), &w);
		if (w) {
			c = p;
			c->nent = chance(&s->r, 3, 4) ? n : rnd_interesting(&s->r);
		}
		fz_ioctl(s, fd, KVM_GET_CPUID2, (unsigned long)p, "KVM_GET_CPUID2");
		break;
	}
	case 22:
	case 23:
	case 24: {
		struct kvm_msrs *m;
		uint32_t n = chance(&s->r, 7, 8) ? rnd(&s->r, 40) :
			     (chance(&s->r, 1, 2) ? 4095 + rnd(&s->r, 3) :
			      rnd_interesting(&s->r));
		uint32_t i, fill = n <= 4000 ? n : 2;
		bool set = chance(&s->r, 1, 2);

		p = arg_ptr(s, sizeof(*m) + fill * 16, &w);
		if (w && sizeof(*m) + fill * 16 <= SCRATCH_SIZE) {
			m = p;
			m->nmsrs = n;
			m->pad = chance(&s->r, 7, 8) ? 0 : rng_next(&s->r);
			for (i = 0; i < fill; i++) {
				m->entries[i].index = rnd_msr(s);
				m->entries[i].reserved = 0;
				m->entries[i].data =
					rnd_msr_val(s, m->entries[i].index);
			}
		}
		fz_ioctl(s, fd, set ? KVM_SET_MSRS : KVM_GET_MSRS,
			 (unsigned long)p, set ? "KVM_SET_MSRS" : "KVM_GET_MSRS");
		break;
	}
	case 25: {
		struct kvm_signal_mask *m;

		if (chance(&s->r, 1, 3)) {
			fz_ioctl(s, fd, KVM_SET_SIGNAL_MASK, 0,
				 "KVM_SET_SIGNAL_MASK(NULL)");
			break;
		}
		p = arg_ptr(s, sizeof(*m) + 8, &w);
		if (w) {
			uint64_t set = rng_next(&s->r);

			m = p;
			m->len = chance(&s->r, 3, 4) ? 8 : rnd_interesting(&s->r);
			/* never block the run timer's signal */
			set &= ~(1ULL << (SIGALRM - 1));
			memcpy(m->sigset, &set, 8);
		}
		fz_ioctl(s, fd, KVM_SET_SIGNAL_MASK, (unsigned long)p,
			 "KVM_SET_SIGNAL_MASK");
		break;
	}
	default: {
		static const struct { unsigned long req; const char *n; } vo[] = {
			{ KVM_TRANSLATE, "KVM_TRANSLATE" },
			{ KVM_GET_LAPIC, "KVM_GET_LAPIC" },
			{ KVM_SET_LAPIC, "KVM_SET_LAPIC" },
			{ KVM_SET_GUEST_DEBUG, "KVM_SET_GUEST_DEBUG" },
			{ KVM_SMI, "KVM_SMI" },
			{ KVM_X86_SETUP_MCE, "KVM_X86_SETUP_MCE" },
			{ KVM_ENABLE_CAP, "KVM_ENABLE_CAP(vcpu)" },
			{ KVM_KVMCLOCK_CTRL, "KVM_KVMCLOCK_CTRL" },
			{ KVM_GET_ONE_REG, "KVM_GET_ONE_REG" },
			{ KVM_SET_CPUID, "KVM_SET_CPUID" },
			{ KVM_GET_SREGS2, "KVM_GET_SREGS2" },
			{ KVM_TPR_ACCESS_REPORTING, "TPR_ACCESS_REPORTING" },
			{ KVM_SET_VAPIC_ADDR, "KVM_SET_VAPIC_ADDR" },
			{ KVM_GET_SUPPORTED_HV_CPUID, "GET_SUPPORTED_HV_CPUID" },
		};
		int k;

		if (opt_vtx_subset)
			break;
		k = rnd(&s->r, ARRAY_SIZE(vo));
		p = arg_ptr(s, 2048, &w);
		if (w)
			rnd_fill(&s->r, p, 2048);
		fz_ioctl(s, fd, vo[k].req, (unsigned long)p, vo[k].n);
		break;
	}
	}
}

static void vcpu_ioctl(struct session *s)
{
	int i = pick_vcpu(s);

	if (i < 0) {
		create_vcpu(s);
		return;
	}
	vcpu_state_ioctl(s, s->vcpus[i].fd);
}

/* ------------------------------------------------------------ KVM_RUN */

/* Answer the exit the way a VMM would, with random data. */
static void answer_exit(struct rng *r, struct kvm_run *run, size_t run_size)
{
	if (run->exit_reason == KVM_EXIT_IO &&
	    run->io.direction == KVM_EXIT_IO_IN &&
	    run->io.data_offset >= sizeof(*run) &&
	    run->io.data_offset + (uint64_t)run->io.size * run->io.count <=
	    run_size)
		rnd_fill(r, (uint8_t *)run + run->io.data_offset,
			 run->io.size * run->io.count);
	else if (run->exit_reason == KVM_EXIT_MMIO && !run->mmio.is_write)
		rnd_fill(r, run->mmio.data, sizeof(run->mmio.data));
	else if (run->exit_reason == KVM_EXIT_HYPERCALL)
		run->hypercall.ret = rnd_interesting(r);
}

static void count_exit(uint32_t reason)
{
	n_exit[reason < 63 ? reason : 63]++;
}

static bool known_exit(uint32_t reason)
{
	switch (reason) {
	case KVM_EXIT_IO: case KVM_EXIT_MMIO: case KVM_EXIT_HLT:
	case KVM_EXIT_SHUTDOWN: case KVM_EXIT_FAIL_ENTRY: case KVM_EXIT_INTR:
	case KVM_EXIT_INTERNAL_ERROR: case KVM_EXIT_HYPERCALL:
	case KVM_EXIT_IRQ_WINDOW_OPEN: case KVM_EXIT_SET_TPR:
	case KVM_EXIT_DEBUG: case KVM_EXIT_UNKNOWN: case KVM_EXIT_EXCEPTION:
	case KVM_EXIT_SYSTEM_EVENT: case KVM_EXIT_X86_RDMSR:
	case KVM_EXIT_X86_WRMSR: case KVM_EXIT_TPR_ACCESS:
		return true;
	}
	return false;
}

/* Force RFLAGS.IF = 1 (see the file comment) and maybe a RIP in RAM. */
static void make_runnable(struct session *s, int fd)
{
	struct kvm_regs rg;

	if (xioctl(fd, KVM_GET_REGS, (unsigned long)&rg))
		return;
	n_ioctls += 2;
	rg.rflags |= 0x200;
	rg.rflags &= ~0x100ULL;		/* no single-stepping either */
	if (chance(&s->r, 1, 3)) {
		struct fslot *sh = &s->slots[rnd(&s->r, MAX_SLOTS)];

		if (sh->used && sh->size)
			rg.rip = sh->gpa + rnd(&s->r, sh->size);
	}
	xioctl(fd, KVM_SET_REGS, (unsigned long)&rg);
}

static void run_op(struct session *s)
{
	int i = pick_vcpu(s), n, k;
	struct fvcpu *v;
	long r;

	if (i < 0) {
		create_vcpu(s);
		return;
	}
	v = &s->vcpus[i];
	if (chance(&s->r, 1, 3)) {
		struct kvm_sregs sr;

		fz_mode_sregs(&sr, rnd(&s->r, FZ_NR_MODES),
			      chance(&s->r, 1, 4) * 3);
		sr.cr3 = chance(&s->r, 1, 2) ? sr.cr3 : rnd(&s->r, 0x400) << 12;
		fz_ioctl(s, v->fd, KVM_SET_SREGS, (unsigned long)&sr,
			 "KVM_SET_SREGS(mode)");
	}
	n = 1 + rnd(&s->r, 6);
	run_timer_arm(200);
	for (k = 0; k < n; k++) {
		make_runnable(s, v->fd);
		v->run->immediate_exit = chance(&s->r, 1, 16);
		r = fz_ioctl(s, v->fd, KVM_RUN, chance(&s->r, 31, 32) ? 0 :
			     rnd_interesting(&s->r), "KVM_RUN");
		n_runs++;
		if (r == 0) {
			count_exit(v->run->exit_reason);
			if (!known_exit(v->run->exit_reason)) {
				n_odd++;
				printf("# odd exit reason %u (session %" PRIu64
				       ")\n", v->run->exit_reason, s->idx);
			}
			trace(s, "  exit %s", exit_name(v->run->exit_reason));
			answer_exit(&s->r, v->run, v->run_size);
		}
		/* something else between the exit and its completion */
		if (chance(&s->r, 1, 4))
			vcpu_state_ioctl(s, v->fd);
		if (chance(&s->r, 1, 8))
			slot_op(s);
	}
	run_timer_disarm();
	v->run->immediate_exit = 0;
}

/* ------------------------------------------------------------ misc */

static void rand_ioctl(struct session *s)
{
	unsigned long req;
	int fd;
	bool w;
	void *p;

	switch (rnd(&s->r, 5)) {
	case 0: fd = pick_dev(s); break;
	case 1: fd = pick_vm(s) >= 0 ? s->vms[pick_vm(s)] : -1; break;
	case 2: fd = pick_vcpu(s) >= 0 ? s->vcpus[pick_vcpu(s)].fd : -1; break;
	case 3: fd = s->efd[0]; break;
	/* any fd number, stale ones too, but never the console (0-2) */
	default: fd = 3 + rnd(&s->r, 37); break;
	}
	if (fd < 0)
		return;
	if (chance(&s->r, 3, 4))	/* KVM's type, random number/size */
		req = _IOC(rnd(&s->r, 4), KVMIO, rnd(&s->r, 256),
			   rnd(&s->r, 4) ? rnd(&s->r, 512) : rnd(&s->r, 1 << 14));
	else
		req = (uint32_t)rng_next(&s->r);
	/* never KVM_RUN this way: it has its own path with the timer */
	if (req == KVM_RUN)
		return;
	/* nor anything that may block (eventfd read is not an ioctl) */
	p = arg_ptr(s, 4096, &w);
	if (w)
		rnd_fill(&s->r, p, 512);
	if (opt_vtx_subset && fd != s->efd[0])
		return;
	fz_ioctl(s, fd, req, chance(&s->r, 1, 4) ? rnd_interesting(&s->r) :
		 (unsigned long)p, "random");
}

/* The run page of a vCPU mapped at other offsets, read from the kernel. */
static void mmap_op(struct session *s)
{
	int i = pick_vcpu(s);
	void *m;
	off_t off = rnd(&s->r, 4) * PAGE_SIZE;
	size_t len = (1 + rnd(&s->r, 4)) * PAGE_SIZE;

	if (i < 0)
		return;
	m = mmap(NULL, len, PROT_READ | (chance(&s->r, 1, 2) ? PROT_WRITE : 0),
		 chance(&s->r, 3, 4) ? MAP_SHARED : MAP_PRIVATE,
		 s->vcpus[i].fd, off);
	n_syscalls++;
	if (m == MAP_FAILED)
		return;
	trace(s, "mmap vcpu %d off 0x%lx len 0x%zx", s->vcpus[i].fd,
	      (long)off, len);
	/* fault every page from kernel context: SIGBUS becomes EFAULT */
	if (write(s->devnull, m, len) < 0)
		n_syscalls++;
	n_syscalls++;
	munmap(m, len);
	n_syscalls++;
}

/* A child that tries to use the parent's VM: -EIO, then closes it all. */
static void fork_op(struct session *s)
{
	pid_t pid;
	int i;

	pid = fork();
	n_syscalls++;
	if (pid < 0)
		return;
	if (pid == 0) {
		int bad = 0;

		for (i = 0; i < MAX_VMS; i++)
			if (s->vms[i] >= 0 &&
			    xioctl(s->vms[i], KVM_CREATE_VCPU, 7) != -EIO)
				bad = 1;
		for (i = 0; i < MAX_VCPUS; i++)
			if (s->vcpus[i].fd >= 0) {
				if (xioctl(s->vcpus[i].fd, KVM_RUN, 0) != -EIO)
					bad = 1;
				(void)*(volatile uint32_t *)&s->vcpus[i].run->exit_reason;
				close(s->vcpus[i].fd);
			}
		for (i = 0; i < MAX_VMS; i++)
			if (s->vms[i] >= 0)
				close(s->vms[i]);
		_exit(bad ? 3 : 0);
	}
	trace(s, "fork child %d", pid);
	if (waitpid(pid, &i, 0) == pid && WIFEXITED(i) && WEXITSTATUS(i) == 3) {
		n_odd++;
		printf("# a forked child could use its parent's VM (session %"
		       PRIu64 ")\n", s->idx);
	}
}

/* ------------------------------------------------------------ racer */

static void *racer_main(void *arg)
{
	struct session *s = arg;
	struct rng r;

	rng_seed(&r, s->seed ^ 0x5a5a5a5a);
	run_timer_init();
	while (!s->stop_racer) {
		struct kvm_regs rg;

		if (!xioctl(s->racer_fd, KVM_GET_REGS, (unsigned long)&rg)) {
			rg.rflags = (rg.rflags | 0x200) & ~0x100ULL;
			xioctl(s->racer_fd, KVM_SET_REGS, (unsigned long)&rg);
		}
		run_timer_arm(100);
		if (xioctl(s->racer_fd, KVM_RUN, 0) == 0)
			answer_exit(&r, s->racer_run, s->racer_run_size);
		run_timer_disarm();
		__atomic_add_fetch(&n_runs, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&n_ioctls, 3, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void start_racer(struct session *s)
{
	int i = pick_vcpu(s);

	if (i < 0 || s->racing)
		return;
	s->racer_fd = dup(s->vcpus[i].fd);
	s->racer_run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE,
			    MAP_SHARED, s->racer_fd, 0);
	if (s->racer_run == MAP_FAILED) {
		close(s->racer_fd);
		return;
	}
	s->racer_run_size = mmap_size;
	s->stop_racer = false;
	if (pthread_create(&s->racer, NULL, racer_main, s)) {
		munmap(s->racer_run, mmap_size);
		close(s->racer_fd);
		return;
	}
	s->racing = true;
	trace(s, "racer on vcpu %d", s->vcpus[i].fd);
}

static void stop_racer(struct session *s)
{
	if (!s->racing)
		return;
	s->stop_racer = true;
	pthread_join(s->racer, NULL);
	munmap(s->racer_run, s->racer_run_size);
	close(s->racer_fd);
	s->racing = false;
}

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

static void run_session(uint64_t idx)
{
	struct session *s = calloc(1, sizeof(*s));
	const char *bad;
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
	s->devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	for (i = 0; i < NR_BUFS; i++)
		if (chance(&s->r, 1, 3))
			buf_map(s, &bufs[i]);
	create_vm(s);
	create_vcpu(s);

	for (s->calls = 0; s->calls < opt_session_len; s->calls++) {
		unsigned int a = rnd(&s->r, 100);

		if (s->calls == opt_session_len / 4 && chance(&s->r, 1, 8))
			start_racer(s);
		if (a < 14)
			vm_ioctl(s);
		else if (a < 44)
			vcpu_ioctl(s);
		else if (a < 52)
			sys_ioctl(s);
		else if (a < 62)
			run_op(s);
		else if (a < 72)
			slot_op(s);
		else if (a < 78)
			mem_op(s);
		else if (a < 86)
			rand_ioctl(s);
		else if (a < 89)
			close_something(s);
		else if (a < 93)
			create_vcpu(s);
		else if (a < 95)
			create_vm(s);
		else if (a < 97)
			mmap_op(s);
		else if (chance(&s->r, 1, 20))
			fork_op(s);
	}
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

int main(int argc, char **argv)
{
	double t0, last = 0;
	uint64_t idx;
	int i, fd;

	dev_path = fz_device(&argc, argv);
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

	reservation = mmap(NULL, NR_BUFS * BUF_WINDOW, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	scratch = mmap(NULL, 2 * SCRATCH_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro_page = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (reservation == MAP_FAILED || scratch == MAP_FAILED ||
	    ro_page == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(ro_page, 0xf4, PAGE_SIZE);
	mprotect(ro_page, PAGE_SIZE, PROT_READ);
	for (i = 0; i < NR_BUFS; i++) {
		bufs[i].base = reservation + i * BUF_WINDOW;
		bufs[i].memfd = -1;
		bufs[i].state = B_UNMAPPED;
	}

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
	printf("# results:");
	for (i = 0; i < 256; i++)
		if (n_errno[i])
			printf(" %s=%" PRIu64, errno_name(i), n_errno[i]);
	printf("\n# exits:");
	for (i = 0; i < 64; i++)
		if (n_exit[i])
			printf(" %s=%" PRIu64, exit_name(i), n_exit[i]);
	printf("\n# odd results %" PRIu64 "\n", n_odd);
	/* a run that stopped on --time before --count says so */
	if (!n_failures && n_ioctls < opt_count && opt_sessions == ~0ULL)
		printf("SHORT: ioctl-fuzz seed=0x%" PRIx64 " ioctls=%" PRIu64
		       " of %" PRIu64 " in the time limit\n", opt_seed,
		       n_ioctls, opt_count);
	printf("%s: ioctl-fuzz seed=0x%" PRIx64 " ioctls=%" PRIu64 " runs=%"
	       PRIu64 " failures=%" PRIu64 "\n",
	       n_failures ? "FAIL" : "PASS", opt_seed, n_ioctls, n_runs,
	       n_failures);
	(void)failures_seen;
	return n_failures ? 1 : 0;
}
