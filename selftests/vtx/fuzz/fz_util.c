// SPDX-License-Identifier: GPL-2.0
/*
 * Common pieces of the vtx fuzzers (see fz.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fz.h"

/* ------------------------------------------------------------------ PRNG */

uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void rng_seed(struct rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** */
uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s, res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

uint64_t rnd(struct rng *r, uint64_t n)
{
	return n ? rng_next(r) % n : 0;
}

bool chance(struct rng *r, unsigned int num, unsigned int den)
{
	return rnd(r, den) < num;
}

uint64_t rnd_interesting(struct rng *r)
{
	static const uint64_t vals[] = {
		0, 1, 2, 3, 4, 7, 8, 15, 16, 0x7f, 0x80, 0xff, 0x100, 0xfff,
		0x1000, 0x1001, 0xffff, 0x10000, 0x7fffffff, 0x80000000,
		0xffffffff, 0x100000000ULL, 0x7fffffffffffffffULL,
		0x8000000000000000ULL, ~0ULL, ~0ULL - 1, 0xfffff000,
		0xfffffffffffff000ULL, 0x0000800000000000ULL,
		0x00007ffffffff000ULL, 0xffff800000000000ULL,
		0x1000000000000ULL,
	};
	uint64_t v;

	switch (rnd(r, 6)) {
	case 0:
	case 1:
		return vals[rnd(r, ARRAY_SIZE(vals))];
	case 2:
		v = 1ULL << rnd(r, 64);
		return v + (rnd(r, 3) - 1);
	case 3:
		return rnd(r, 64);
	case 4:
		return rng_next(r) & (rnd(r, 2) ? 0xffffffffULL : 0xffffULL);
	default:
		return rng_next(r);
	}
}

void rnd_fill(struct rng *r, void *buf, size_t len)
{
	uint8_t *p = buf;
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (!(i & 7))
			v = rng_next(r);
		p[i] = v;
		v >>= 8;
	}
}

uint64_t unit_seed(uint64_t seed, uint64_t idx)
{
	uint64_t x = seed ^ (idx * 0xd1342543de82ef95ULL);

	splitmix64(&x);
	return splitmix64(&x);
}

/* --------------------------------------------------------- kernel log */

static int kmsg_fd = -1;

static const char *const bad_patterns[] = {
	"BUG:", "WARNING:", "Oops", "general protection", "Call Trace",
	"Bad FPU state", "unchecked MSR access", "list_add corruption",
	"list_del corruption", "refcount_t:", "UBSAN:", "kernel BUG",
	"self-detected stall", "rcu_preempt detected stalls",
	"blocked for more than", "soft lockup", "Kernel panic",
	"page allocation failure", "vmalloc error",
	/* slub_debug, KASAN and KFENCE reports */
	"Poison overwritten", "Redzone overwritten", "Object padding",
	"Padding overwritten", "Freepointer corrupt", "Object already free",
	"KASAN:", "KFENCE:", "double free", "use-after-free",
};

bool kmsg_is_bad(const char *line)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_patterns); i++)
		if (strstr(line, bad_patterns[i]))
			return true;
	return false;
}

int kmsg_open(void)
{
	if (kmsg_fd >= 0)
		return 0;
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg_fd < 0)
		return -1;
	lseek(kmsg_fd, 0, SEEK_END);
	return 0;
}

const char *kmsg_check(void)
{
	static char found[512];
	char rec[2048];
	bool have = false;
	ssize_t n;

	if (kmsg_fd < 0)
		return NULL;
	for (;;) {
		char *msg, *nl;

		n = read(kmsg_fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (n <= 0)
			break;
		rec[n] = 0;
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = 0;
		if (!have && kmsg_is_bad(msg)) {
			snprintf(found, sizeof(found), "%.500s", msg);
			have = true;
		}
	}
	return have ? found : NULL;
}

/* ------------------------------------------------------------ timers */

volatile int fz_alarms;
static __thread timer_t thread_timer;
static __thread bool thread_timer_ok;

static void on_alarm(int sig)
{
	(void)sig;
	fz_alarms++;
}

void run_timer_init(void)
{
	struct sigaction sa;
	struct sigevent sev;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART: KVM_RUN gets -EINTR */
	sigaction(SIGALRM, &sa, NULL);
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGALRM;
	sev._sigev_un._tid = syscall(SYS_gettid);
	thread_timer_ok = !timer_create(CLOCK_MONOTONIC, &sev, &thread_timer);
}

/* The calling thread's timer goes (a thread that ends: timers are few). */
void run_timer_fini(void)
{
	if (thread_timer_ok)
		timer_delete(thread_timer);
	thread_timer_ok = false;
}

void run_timer_arm_every(unsigned int ms, unsigned int every_ms)
{
	struct itimerspec its;

	if (!thread_timer_ok)
		return;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (ms % 1000) * 1000000L;
	its.it_interval.tv_sec = every_ms / 1000;
	its.it_interval.tv_nsec = (every_ms % 1000) * 1000000L;
	timer_settime(thread_timer, 0, &its, NULL);
}

void run_timer_arm(unsigned int ms)
{
	/* and again every 50 ms, in case the first one came too early */
	run_timer_arm_every(ms, 50);
}

void run_timer_disarm(void)
{
	struct itimerspec its;

	if (!thread_timer_ok)
		return;
	memset(&its, 0, sizeof(its));
	timer_settime(thread_timer, 0, &its, NULL);
}

/* ------------------------------------------------------------ LAPIC */

/* the registers worth writing; 0x3f0 is x2APIC's SELF_IPI */
const uint16_t fz_lapic_regs[FZ_NR_LAPIC_REGS] = {
	FZ_LAPIC_ID, FZ_LAPIC_TPR, FZ_LAPIC_LDR, FZ_LAPIC_DFR, FZ_LAPIC_SVR,
	FZ_LAPIC_ISR, FZ_LAPIC_IRR, FZ_LAPIC_ESR, FZ_LAPIC_ICR, FZ_LAPIC_ICR2,
	FZ_LAPIC_LVTT, 0x330, 0x340, FZ_LAPIC_LVT0, FZ_LAPIC_LVT1,
	FZ_LAPIC_LVTERR, FZ_LAPIC_TMICT, FZ_LAPIC_TMCCT, FZ_LAPIC_TDCR, 0xb0,
	0x3f0,
};

/*
 * A value for the LAPIC register at @off (KVM_SET_LAPIC in the ioctl
 * fuzzer, the guest's own writes in the guest fuzzer): mostly meaningful,
 * the timer short and often periodic.
 */
uint32_t fz_lapic_val(struct rng *r, unsigned int off)
{
	uint32_t vec = chance(r, 7, 8) ? 16 + rnd(r, 240) : rnd(r, 16);

	if (chance(r, 1, 5))
		return rnd_interesting(r);
	switch (off) {
	case FZ_LAPIC_SVR:
		return 0x100 | vec | (chance(r, 1, 4) ? 0x1000 : 0);
	case FZ_LAPIC_LVTT:	/* one-shot, periodic, TSC deadline */
		return vec | rnd(r, 3) << 17 | (chance(r, 1, 5) ? 0x10000 : 0);
	case FZ_LAPIC_TMICT:
		return chance(r, 3, 4) ? rnd(r, 2000) : rng_next(r);
	case FZ_LAPIC_TDCR:
		return rnd(r, 16);
	case FZ_LAPIC_ICR:		/* delivery mode, level, shorthand */
		return vec | rnd(r, 8) << 8 | rnd(r, 2) << 11 |
		       rnd(r, 2) << 14 | rnd(r, 2) << 15 | rnd(r, 4) << 18;
	case FZ_LAPIC_ICR2:
		return (chance(r, 1, 2) ? 0 : rnd(r, 256)) << 24;
	case FZ_LAPIC_LVT0:
	case FZ_LAPIC_LVT1:
	case FZ_LAPIC_LVTERR:
	case 0x330:
	case 0x340:		/* delivery mode, polarity, level, mask */
		return vec | rnd(r, 8) << 8 | rnd(r, 2) << 13 |
		       rnd(r, 2) << 15 | (chance(r, 1, 3) ? 0x10000 : 0);
	case FZ_LAPIC_TPR:
		return rnd(r, 256);
	case FZ_LAPIC_DFR:
		return chance(r, 1, 2) ? 0xffffffff : 0x0fffffff;
	default:
		return rng_next(r);
	}
}

/* ------------------------------------------------------------ device */

const char *fz_device(int *argc, char **argv)
{
	const char *dev = getenv("VTX_DEVICE");
	int i, j;

	for (i = 1; i < *argc; i++) {
		int drop = 0;

		if (!strcmp(argv[i], "--device") && i + 1 < *argc) {
			dev = argv[i + 1];
			drop = 2;
		} else if (!strncmp(argv[i], "--device=", 9)) {
			dev = argv[i] + 9;
			drop = 1;
		}
		if (drop) {
			for (j = i; j + drop <= *argc; j++)
				argv[j] = argv[j + drop];
			*argc -= drop;
			i--;
		}
	}
	return dev && *dev ? dev : "/dev/vtx";
}

int fz_open_dev(const char *path)
{
	return open(path, O_RDWR | O_CLOEXEC);
}

long xioctl(int fd, unsigned long req, unsigned long arg)
{
	long r = ioctl(fd, req, arg);

	return r < 0 ? -errno : r;
}

double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

const char *errno_name(int err)
{
	static char buf[16];

	switch (err) {
	case 0: return "OK";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case ENXIO: return "ENXIO";
	case E2BIG: return "E2BIG";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case ENODEV: return "ENODEV";
	case EINVAL: return "EINVAL";
	case ENFILE: return "ENFILE";
	case EMFILE: return "EMFILE";
	case ENOTTY: return "ENOTTY";
	case ENOSPC: return "ENOSPC";
	case ERANGE: return "ERANGE";
	case ENOSYS: return "ENOSYS";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EROFS: return "EROFS";
	case EHWPOISON: return "EHWPOISON";
	}
	snprintf(buf, sizeof(buf), "errno%d", err);
	return buf;
}

const char *exit_name(uint32_t reason)
{
	static const char *const names[] = {
		[KVM_EXIT_UNKNOWN] = "UNKNOWN", [KVM_EXIT_EXCEPTION] = "EXCEPTION",
		[KVM_EXIT_IO] = "IO", [KVM_EXIT_HYPERCALL] = "HYPERCALL",
		[KVM_EXIT_DEBUG] = "DEBUG", [KVM_EXIT_HLT] = "HLT",
		[KVM_EXIT_MMIO] = "MMIO",
		[KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
		[KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
		[KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY", [KVM_EXIT_INTR] = "INTR",
		[KVM_EXIT_SET_TPR] = "SET_TPR",
		[KVM_EXIT_TPR_ACCESS] = "TPR_ACCESS", [KVM_EXIT_NMI] = "NMI",
		[KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
		[KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
		[KVM_EXIT_X86_RDMSR] = "X86_RDMSR",
		[KVM_EXIT_X86_WRMSR] = "X86_WRMSR",
	};
	static char buf[16];

	if (reason < ARRAY_SIZE(names) && names[reason])
		return names[reason];
	snprintf(buf, sizeof(buf), "exit%u", reason);
	return buf;
}

/* ------------------------------------------------------ guest setup */

const char *const fz_mode_names[FZ_NR_MODES] = { "real", "prot32", "long64" };

uint64_t fz_gdt_entry(const struct kvm_segment *s)
{
	uint64_t limit = s->g ? s->limit >> 12 : s->limit, d;

	d = limit & 0xffff;
	d |= (s->base & 0xffffffULL) << 16;
	d |= (uint64_t)(s->type & 0xf) << 40;
	d |= (uint64_t)(s->s & 1) << 44;
	d |= (uint64_t)(s->dpl & 3) << 45;
	d |= (uint64_t)(s->present & 1) << 47;
	d |= ((limit >> 16) & 0xf) << 48;
	d |= (uint64_t)(s->avl & 1) << 52;
	d |= (uint64_t)(s->l & 1) << 53;
	d |= (uint64_t)(s->db & 1) << 54;
	d |= (uint64_t)(s->g & 1) << 55;
	d |= ((s->base >> 24) & 0xffULL) << 56;
	return d;
}

void fz_flat_seg(struct kvm_segment *s, uint16_t sel, uint8_t type, int dpl,
		 bool code64)
{
	memset(s, 0, sizeof(*s));
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->dpl = dpl;
	s->s = 1;
	s->g = 1;
	s->l = code64;
	s->db = !code64;
}

static void tss_seg(struct kvm_segment *s, uint16_t sel)
{
	memset(s, 0, sizeof(*s));
	s->base = FZ_TSS_GPA;
	s->limit = 0x68 + 8192;
	s->selector = sel;
	s->type = 0xb;		/* busy 32/64-bit TSS */
	s->present = 1;
}

#define PTE_P	(1ULL << 0)
#define PTE_RW	(1ULL << 1)
#define PTE_US	(1ULL << 2)
#define PTE_A	(1ULL << 5)
#define PTE_D	(1ULL << 6)
#define PTE_PS	(1ULL << 7)
#define PTE_NX	(1ULL << 63)

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static void build_gdt(uint8_t *low)
{
	uint8_t *gdt = low + FZ_GDT_GPA;
	struct kvm_segment s;
	uint64_t tss_lo;

	memset(gdt, 0, FZ_GDT_ENTRIES * 8);
	fz_flat_seg(&s, FZ_SEL_CODE32, 0xb, 0, false);
	put64(gdt + 0x08, fz_gdt_entry(&s));
	fz_flat_seg(&s, FZ_SEL_DATA, 0x3, 0, false);
	put64(gdt + 0x10, fz_gdt_entry(&s));
	fz_flat_seg(&s, FZ_SEL_CODE64, 0xb, 0, true);
	put64(gdt + 0x18, fz_gdt_entry(&s));
	fz_flat_seg(&s, FZ_SEL_UCODE32, 0xb, 3, false);
	put64(gdt + 0x20, fz_gdt_entry(&s));
	fz_flat_seg(&s, FZ_SEL_UDATA, 0x3, 3, false);
	put64(gdt + 0x28, fz_gdt_entry(&s));
	fz_flat_seg(&s, FZ_SEL_UCODE64, 0xb, 3, true);
	put64(gdt + 0x30, fz_gdt_entry(&s));
	tss_seg(&s, FZ_SEL_TSS64);
	tss_lo = fz_gdt_entry(&s);
	put64(gdt + 0x38, tss_lo);
	put64(gdt + 0x40, 0);		/* base 63:32 of the 64-bit TSS */
	tss_seg(&s, FZ_SEL_TSS32);
	put64(gdt + 0x48, fz_gdt_entry(&s));
}

void fz_build_tables(uint8_t *low, uint8_t *ivt, bool nx_data, bool user_x)
{
	uint8_t *idt = low + FZ_IDT_GPA, *tss = low + FZ_TSS_GPA;
	uint64_t *pml4 = (uint64_t *)(low + FZ_PT_GPA);
	uint64_t *pdpt = (uint64_t *)(low + FZ_PT_GPA + 0x1000);
	uint64_t *pd = (uint64_t *)(low + FZ_PT_GPA + 0x2000);
	uint64_t *pt = (uint64_t *)(low + FZ_PT_GPA + 0x6000);
	uint64_t *paepdpt = (uint64_t *)(low + FZ_PT_GPA + 0x7000);
	uint64_t nx = nx_data ? PTE_NX : 0, v, i;

	build_gdt(low);

	/*
	 * IDT: 16-byte gates for long mode at FZ_IDT_GPA.  The 32-bit table
	 * (8-byte gates) would overlap it, so both cannot be there at once:
	 * the caller's mode decides (fz_mode_sregs() points IDTR at the same
	 * address, and the 32-bit gates are written after the 64-bit ones
	 * only for a 32-bit VM -- see fz_build_idt32()).
	 */
	memset(idt, 0, 4096);
	for (v = 0; v < 256; v++) {
		uint64_t off = FZ_HCODE_GPA + FZ_STUB_OFF + v * FZ_STUB_SIZE;
		uint64_t lo;

		lo = (off & 0xffff) | ((uint64_t)FZ_SEL_CODE64 << 16) |
		     (1ULL << 32) |			/* IST1 */
		     (0xfULL << 40) |			/* 64-bit trap gate */
		     (3ULL << 45) | (1ULL << 47) |	/* DPL 3, present */
		     (((off >> 16) & 0xffff) << 48);
		put64(idt + v * 16, lo);
		put64(idt + v * 16 + 8, off >> 32);
	}

	/* TSS: 64-bit layout (RSP0, IST1) and the 32-bit ESP0/SS0 share no
	 * bytes that matter to the other mode; I/O bitmap all open. */
	memset(tss, 0, 0x68 + 8192 + 1);
	put64(tss + 4, FZ_HSTACK_TOP);		/* RSP0 (64) / ESP0 (32) */
	put64(tss + 0x24, FZ_HSTACK_TOP);	/* IST1 */
	tss[8] = FZ_SEL_DATA;			/* SS0 (32-bit) */
	tss[0x66] = 0x68;			/* I/O map base */
	tss[0x68 + 8192] = 0xff;

	/* HLT filler */
	memset(low + FZ_FILL_GPA, 0xf4, FZ_PT_GPA - FZ_FILL_GPA);
	memset(low + FZ_PT_GPA + 0x8000, 0xf4, FZ_LOW_END - FZ_PT_GPA - 0x8000);

	/* Page tables: identity map of [0, 4 GiB), A/D preset (RO pages) */
	memset(low + FZ_PT_GPA, 0, 0x8000);
	pml4[0] = (FZ_PT_GPA + 0x1000) | PTE_P | PTE_RW | PTE_US | PTE_A;
	for (i = 0; i < 4; i++) {
		pdpt[i] = (FZ_PT_GPA + 0x2000 + i * 0x1000) | PTE_P | PTE_RW |
			  PTE_US | PTE_A;
		paepdpt[i] = (FZ_PT_GPA + 0x2000 + i * 0x1000) | PTE_P;
	}
	for (i = 0; i < 2048; i++)
		pd[i] = (i << 21) | PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D |
			PTE_PS | (user_x ? 0 : nx);
	pd[0] = (FZ_PT_GPA + 0x6000) | PTE_P | PTE_RW | PTE_US | PTE_A;
	for (i = 0; i < 512; i++) {
		uint64_t a = i << 12;

		if (a < FZ_HCODE_GPA)		/* tables: supervisor RO */
			v = PTE_P | PTE_A | nx;
		else if (a == FZ_HCODE_GPA)	/* handlers */
			v = PTE_P | PTE_A;
		else if (a == FZ_HDATA_GPA)
			v = PTE_P | PTE_RW | PTE_A | PTE_D | nx;
		else if (a < FZ_STACK_GPA)	/* the fuzzed code: user RO */
			v = PTE_P | PTE_US | PTE_A;
		else if (a == FZ_STACK_GPA)
			v = PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D | nx;
		else if (a < FZ_PT_GPA)		/* HLT filler */
			v = PTE_P | PTE_A;
		else if (a < FZ_LOW_END)	/* page tables */
			v = PTE_P | PTE_A | nx;
		else				/* MMIO holes and RAM */
			v = PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D |
			    (user_x ? 0 : nx);
		pt[i] = a | v;
	}

	/* Real-mode IVT: vector v -> 0000:(FZ_HCODE_GPA + stub) */
	if (ivt)
		for (v = 0; v < 256; v++) {
			uint32_t e = FZ_HCODE_GPA + FZ_STUB_OFF +
				     v * FZ_STUB_SIZE;

			memcpy(ivt + v * 4, &e, 4);	/* offset, segment 0 */
		}
}

/* 32-bit gates replace the 64-bit ones for a protected-mode VM. */
void fz_build_idt32(uint8_t *low)
{
	uint8_t *idt = low + FZ_IDT_GPA;
	uint64_t v;

	memset(idt, 0, 4096);
	for (v = 0; v < 256; v++) {
		uint64_t off = FZ_HCODE_GPA + FZ_STUB_OFF + v * FZ_STUB_SIZE;
		uint64_t g = (off & 0xffff) | ((uint64_t)FZ_SEL_CODE32 << 16) |
			     (0xfULL << 40) | (3ULL << 45) | (1ULL << 47) |
			     (((off >> 16) & 0xffff) << 48);

		put64(idt + v * 8, g);
	}
}

void fz_mode_sregs(struct kvm_sregs *s, enum fz_mode mode, int cpl)
{
	struct kvm_segment data;
	uint16_t dsel;

	memset(s, 0, sizeof(*s));
	s->apic_base = 0xfee00900;
	s->gdt.base = FZ_GDT_GPA;
	s->gdt.limit = FZ_GDT_ENTRIES * 8 - 1;
	s->ldt.unusable = 1;
	s->ldt.type = 2;
	switch (mode) {
	case FZ_REAL:
		memset(&s->cs, 0, sizeof(s->cs));
		s->cs.limit = 0xffff;
		s->cs.type = 0xb;
		s->cs.s = 1;
		s->cs.present = 1;
		/* big real mode: data segments reach all of 4 GiB */
		memset(&data, 0, sizeof(data));
		data.limit = 0xffffffff;
		data.g = 1;
		data.type = 0x3;
		data.s = 1;
		data.present = 1;
		s->ds = s->es = s->fs = s->gs = data;
		data.limit = 0xffff;
		data.g = 0;
		s->ss = data;
		memset(&s->tr, 0, sizeof(s->tr));
		s->tr.limit = 0xffff;
		s->tr.type = 0xb;
		s->tr.present = 1;
		s->idt.base = FZ_IVT_GPA;
		s->idt.limit = 0x3ff;
		s->cr0 = 0x30;			/* ET, NE */
		break;
	case FZ_PROT32:
		fz_flat_seg(&s->cs, cpl ? FZ_SEL_UCODE32 : FZ_SEL_CODE32, 0xb,
			    cpl, false);
		dsel = cpl ? FZ_SEL_UDATA : FZ_SEL_DATA;
		fz_flat_seg(&data, dsel, 0x3, cpl, false);
		s->ds = s->es = s->fs = s->gs = s->ss = data;
		tss_seg(&s->tr, FZ_SEL_TSS32);
		s->idt.base = FZ_IDT_GPA;
		s->idt.limit = 256 * 8 - 1;
		s->cr0 = 0x80010031;		/* PG, WP, NE, ET, PE */
		s->cr3 = FZ_PT_GPA + 0x7000;	/* PAE PDPT */
		s->cr4 = 0x620;			/* OSXMMEXCPT, OSFXSR, PAE */
		s->efer = 0x800;		/* NX */
		break;
	default:
		fz_flat_seg(&s->cs, cpl ? FZ_SEL_UCODE64 : FZ_SEL_CODE64, 0xb,
			    cpl, true);
		dsel = cpl ? FZ_SEL_UDATA : FZ_SEL_DATA;
		fz_flat_seg(&data, dsel, 0x3, cpl, false);
		s->ds = s->es = s->fs = s->gs = s->ss = data;
		tss_seg(&s->tr, FZ_SEL_TSS64);
		s->idt.base = FZ_IDT_GPA;
		s->idt.limit = 256 * 16 - 1;
		s->cr0 = 0x80010031;
		s->cr3 = FZ_PT_GPA;
		s->cr4 = 0x620;
		s->efer = 0xd00;		/* NX, LMA, LME */
		break;
	}
}

void fz_agent_build(uint8_t *low)
{
	uint64_t *pml4 = (uint64_t *)(low + FZ_AGENT_PML4);
	uint64_t *pdpt = (uint64_t *)(low + FZ_AGENT_PML4 + 0x1000);
	uint64_t *pd = (uint64_t *)(low + FZ_AGENT_PML4 + 0x2000);
	uint64_t i;

	build_gdt(low);
	memset(low + FZ_AGENT_PML4, 0, 0x2000 + FZ_AGENT_MAP_GB * 0x1000);
	pml4[0] = (FZ_AGENT_PML4 + 0x1000) | PTE_P | PTE_RW | PTE_A;
	for (i = 0; i < FZ_AGENT_MAP_GB; i++)
		pdpt[i] = (FZ_AGENT_PML4 + 0x2000 + i * 0x1000) | PTE_P |
			  PTE_RW | PTE_A;
	for (i = 0; i < FZ_AGENT_MAP_GB * 512; i++)
		pd[i] = (i << 21) | PTE_P | PTE_RW | PTE_A | PTE_D | PTE_PS;
	memcpy(low + FZ_AGENT_CODE_GPA, fz_agent64,
	       fz_agent64_end - fz_agent64);
}

void fz_agent_sregs(struct kvm_sregs *s)
{
	fz_mode_sregs(s, FZ_LONG64, 0);
	s->cr3 = FZ_AGENT_PML4;
	s->efer = 0x500;		/* LMA, LME */
	s->idt.base = 0;
	s->idt.limit = 0;		/* any exception: triple fault */
	s->tr.limit = 0x67;
}

/* ------------------------------------------------------ TAP / output */

static int tap_n, tap_fails;

void tap_plan(int n)
{
	printf("TAP version 13\n1..%d\n", n);
	fflush(stdout);
}

void tap_result(bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	if (!ok)
		tap_fails++;
	printf("%sok %d %s", ok ? "" : "not ", tap_n, name);
	if (fmt && *fmt) {
		printf(" # ");
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
	}
	printf("\n");
	fflush(stdout);
}

void tap_skip(const char *name, const char *why)
{
	tap_n++;
	printf("ok %d %s # SKIP %s\n", tap_n, name, why);
	fflush(stdout);
}

int tap_failed(void)
{
	return tap_fails;
}

void say(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* ------------------------------------------------------- memory agent */

long fz_set_slot(int vm, uint32_t slot, uint32_t flags, uint64_t gpa,
		 uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region m = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (uintptr_t)hva,
	};

	return xioctl(vm, KVM_SET_USER_MEMORY_REGION, (unsigned long)&m);
}

void fz_agent_reset_vcpu(int vcpu_fd)
{
	struct kvm_sregs s;
	struct kvm_regs r;

	fz_agent_sregs(&s);
	xioctl(vcpu_fd, KVM_SET_SREGS, (unsigned long)&s);
	memset(&r, 0, sizeof(r));
	r.rip = FZ_AGENT_CODE_GPA;
	r.rsp = FZ_AGENT_STACK_TOP;
	r.rflags = 0x202;
	xioctl(vcpu_fd, KVM_SET_REGS, (unsigned long)&r);
}

/*
 * Back to the agent's READY stop from wherever it was cut short (an error
 * or a signal inside a command leaves it in the command's loop, where the
 * next command's registers would be taken for the loop's).
 */
int fz_agent_restart(struct fz_agent *a)
{
	fz_agent_reset_vcpu(a->vcpu);
	return fz_agent_run(a);
}

int fz_agent_add_vcpu(struct fz_agent *a, int dev, unsigned long id,
		      struct kvm_run **run, int *fd)
{
	long sz = xioctl(dev, KVM_GET_VCPU_MMAP_SIZE, 0);
	void *m;

	*fd = xioctl(a->vm, KVM_CREATE_VCPU, id);
	if (*fd < 0)
		return *fd;
	m = mmap(NULL, sz > 0 ? sz : 8192, PROT_READ | PROT_WRITE, MAP_SHARED,
		 *fd, 0);
	if (m == MAP_FAILED) {
		close(*fd);
		return -ENOMEM;
	}
	*run = m;
	fz_agent_reset_vcpu(*fd);
	return 0;
}

int fz_agent_create(struct fz_agent *a, int dev)
{
	long r;

	memset(a, 0, sizeof(*a));
	a->vcpu = -1;
	a->mmio_val = 0x4d4d4d4d4d4d4d4dULL;
	a->vm = xioctl(dev, KVM_CREATE_VM, 0);
	if (a->vm < 0)
		return a->vm;
	a->low = mmap(NULL, 0x100000, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a->low == MAP_FAILED)
		return -ENOMEM;
	fz_agent_build(a->low);
	r = fz_set_slot(a->vm, 0, 0, 0, 0x100000, a->low);
	if (r)
		return r;
	r = xioctl(dev, KVM_GET_VCPU_MMAP_SIZE, 0);
	a->run_size = r > 0 ? r : 8192;
	return fz_agent_add_vcpu(a, dev, 0, &a->run, &a->vcpu);
}

int fz_agent_run(struct fz_agent *a)
{
	int i;
	long r;

	for (i = 0; i < 100000; i++) {
		struct kvm_run *run = a->run;

		run_timer_arm(2000);
		r = xioctl(a->vcpu, KVM_RUN, 0);
		run_timer_disarm();
		if (r < 0)
			return r;
		if (run->exit_reason == KVM_EXIT_IO) {
			uint8_t *d = (uint8_t *)run + run->io.data_offset;
			uint32_t v;

			if (run->io.port == FZ_AGENT_PORT &&
			    run->io.direction == KVM_EXIT_IO_OUT &&
			    run->io.size == 4) {
				memcpy(&v, d, 4);
				if (v == FZ_AGENT_READY)
					return 0;
			}
			a->pio++;
			if (run->io.direction == KVM_EXIT_IO_IN)
				memset(d, 0xff, run->io.size * run->io.count);
			continue;
		}
		if (run->exit_reason == KVM_EXIT_MMIO) {
			a->last_mmio_gpa = run->mmio.phys_addr;
			if (run->mmio.is_write) {
				a->mmio_writes++;
			} else {
				a->mmio_reads++;
				memcpy(run->mmio.data, &a->mmio_val, 8);
			}
			continue;
		}
		return FZ_AGENT_EXIT(run->exit_reason);
	}
	return -ELOOP;
}

int fz_agent_cmd(struct fz_agent *a, uint64_t cmd, uint64_t rbx, uint64_t rcx,
		 uint64_t rdx, uint64_t r8, struct kvm_regs *out)
{
	struct kvm_regs r;
	int ret;

	if (xioctl(a->vcpu, KVM_GET_REGS, (unsigned long)&r))
		return -EIO;
	r.rax = cmd;
	r.rbx = rbx;
	r.rcx = rcx;
	r.rdx = rdx;
	r.r8 = r8;
	r.r9 = 0;
	if (xioctl(a->vcpu, KVM_SET_REGS, (unsigned long)&r))
		return -EIO;
	ret = fz_agent_run(a);
	if (out)
		xioctl(a->vcpu, KVM_GET_REGS, (unsigned long)out);
	return ret;
}

void fz_agent_destroy(struct fz_agent *a)
{
	if (a->run && a->run != MAP_FAILED)
		munmap(a->run, a->run_size);
	if (a->vcpu >= 0)
		close(a->vcpu);
	if (a->vm >= 0)
		close(a->vm);
	if (a->low && a->low != MAP_FAILED)
		munmap(a->low, 0x100000);
	memset(a, 0, sizeof(*a));
	a->vm = a->vcpu = -1;
}
