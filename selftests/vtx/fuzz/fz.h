/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Common pieces of the vtx fuzzers: a seeded PRNG, the kernel-log watcher,
 * per-thread run timers, guest-state builders and small output helpers.
 *
 * Every fuzzer is deterministic for a given seed as far as the kernel lets
 * it be: all choices come from the PRNG, never from the clock, and work is
 * split into units (sessions, iterations) with seeds derived from the run
 * seed and the unit's index, so one unit can be replayed alone.
 */
#ifndef FZ_H
#define FZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/kvm.h>

#include "fz_layout.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define PAGE_SIZE	4096UL

/* ------------------------------------------------------------------ PRNG */
struct rng {
	uint64_t s[4];
};

uint64_t splitmix64(uint64_t *x);
void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* [0, n) for n > 0 */
uint64_t rnd(struct rng *r, uint64_t n);
/* true with probability num/den */
bool chance(struct rng *r, unsigned int num, unsigned int den);
/* a value that is often a boundary: 0, 1, -1, powers of two +-1, ... */
uint64_t rnd_interesting(struct rng *r);
/* random bytes */
void rnd_fill(struct rng *r, void *buf, size_t len);
/* the seed of unit @idx of a run seeded @seed */
uint64_t unit_seed(uint64_t seed, uint64_t idx);

/* --------------------------------------------------------- kernel log */
/*
 * Watch /dev/kmsg for new lines that mean trouble (the suite's dmesg_check
 * patterns and a few more).  kmsg_open() skips what is already there;
 * kmsg_check() reads what is new and returns the first bad line (static
 * buffer) or NULL.  Without a readable /dev/kmsg both do nothing.
 */
int kmsg_open(void);
const char *kmsg_check(void);
/* Does @line match the bad-line patterns? */
bool kmsg_is_bad(const char *line);

/* ------------------------------------------------------------ timers */
/*
 * A per-thread one-shot timer that sends SIGALRM to the calling thread
 * (SA_RESTART off), so a KVM_RUN that does not return by itself is
 * interrupted with -EINTR.  run_timer_init() once per thread.
 */
void run_timer_init(void);
void run_timer_arm(unsigned int ms);
void run_timer_fini(void);
/* the same, first after @ms and then every @every_ms */
void run_timer_arm_every(unsigned int ms, unsigned int every_ms);
void run_timer_disarm(void);
extern volatile int fz_alarms;

/* ------------------------------------------------------------ LAPIC */
/* xAPIC register offsets (the LAPIC page, KVM_GET/SET_LAPIC's regs[]) */
#define FZ_LAPIC_ID	0x20
#define FZ_LAPIC_TPR	0x80
#define FZ_LAPIC_LDR	0xd0
#define FZ_LAPIC_DFR	0xe0
#define FZ_LAPIC_SVR	0xf0
#define FZ_LAPIC_ISR	0x100
#define FZ_LAPIC_IRR	0x200
#define FZ_LAPIC_ESR	0x280
#define FZ_LAPIC_ICR	0x300
#define FZ_LAPIC_ICR2	0x310
#define FZ_LAPIC_LVTT	0x320
#define FZ_LAPIC_LVT0	0x350
#define FZ_LAPIC_LVT1	0x360
#define FZ_LAPIC_LVTERR	0x370
#define FZ_LAPIC_TMICT	0x380
#define FZ_LAPIC_TMCCT	0x390
#define FZ_LAPIC_TDCR	0x3e0

#define FZ_NR_LAPIC_REGS	21
extern const uint16_t fz_lapic_regs[FZ_NR_LAPIC_REGS];
uint32_t fz_lapic_val(struct rng *r, unsigned int off);

/* ------------------------------------------------------------ device */
const char *fz_device(int *argc, char **argv);	/* --device, $VTX_DEVICE */
int fz_open_dev(const char *path);		/* -1 on error, errno kept */
long xioctl(int fd, unsigned long req, unsigned long arg);	/* -errno */
double now_sec(void);
const char *errno_name(int err);
const char *exit_name(uint32_t reason);

/* ------------------------------------------------------ guest setup */
enum fz_mode { FZ_REAL, FZ_PROT32, FZ_LONG64, FZ_NR_MODES };
extern const char *const fz_mode_names[FZ_NR_MODES];

/* GDT entry from base/limit/type/flags (kvm_segment-style fields) */
uint64_t fz_gdt_entry(const struct kvm_segment *s);
void fz_flat_seg(struct kvm_segment *s, uint16_t sel, uint8_t type, int dpl,
		 bool code64);

/*
 * Build the guest fuzzer's system tables into @low (host view of guest
 * [0, FZ_LOW_END)): GDT, IDT (256 trap gates to the stubs), TSS with an
 * all-open I/O bitmap, page tables (PAE/long mode, NX on writable pages
 * when @nx_data), the HLT filler, and the real-mode IVT into @ivt.
 */
void fz_build_tables(uint8_t *low, uint8_t *ivt, bool nx_data, bool user_x);
/* The IDT with 32-bit gates, for a protected-mode VM (after the above). */
void fz_build_idt32(uint8_t *low);
/* SREGS for @mode at CPL @cpl */
void fz_mode_sregs(struct kvm_sregs *s, enum fz_mode mode, int cpl);

/* The memory agent: a VM layout with [0, 1 MiB) of RAM holding its code,
 * GDT and an identity map of [0, 8 GiB) with 2 MiB pages. */
void fz_agent_build(uint8_t *low);
void fz_agent_sregs(struct kvm_sregs *s);

/*
 * A running memory agent (fz_guest.S): slot 0 = [0, 1 MiB) of RAM with its
 * code and page tables, vCPU 0 in long mode with IF = 1.  fz_agent_run()
 * runs it to its next stop, answering MMIO (reads get @mmio_val) and I/O;
 * fz_agent_cmd() gives it a command and runs it.  Both return 0 at the
 * stop, -errno for a KVM_RUN error, or FZ_AGENT_EXIT(reason) for another
 * exit.  Uses the calling thread's run timer (2 s per KVM_RUN).
 */
#define FZ_AGENT_EXIT(reason)	(-10000 - (int)(reason))
struct fz_agent {
	int vm, vcpu;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *low;			/* host view of [0, 1 MiB) */
	uint64_t mmio_reads, mmio_writes, last_mmio_gpa, mmio_val;
	uint64_t pio;
};
int fz_agent_create(struct fz_agent *a, int dev);
int fz_agent_add_vcpu(struct fz_agent *a, int dev, unsigned long id,
		      struct kvm_run **run, int *fd);
void fz_agent_reset_vcpu(int vcpu_fd);
int fz_agent_run(struct fz_agent *a);
/* fz_agent_reset_vcpu() and run to the READY stop */
int fz_agent_restart(struct fz_agent *a);
int fz_agent_cmd(struct fz_agent *a, uint64_t cmd, uint64_t rbx, uint64_t rcx,
		 uint64_t rdx, uint64_t r8, struct kvm_regs *out);
void fz_agent_destroy(struct fz_agent *a);
long fz_set_slot(int vm, uint32_t slot, uint32_t flags, uint64_t gpa,
		 uint64_t size, void *hva);

/* Guest blobs (fz_guest.S) */
extern const uint8_t fz_h16[], fz_h16_end[];
extern const uint8_t fz_h32[], fz_h32_end[];
extern const uint8_t fz_h64[], fz_h64_end[];
extern const uint8_t fz_agent64[], fz_agent64_end[];

/* ------------------------------------------------------ TAP / output */
void tap_plan(int n);
void tap_result(bool ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void tap_skip(const char *name, const char *why);
int tap_failed(void);
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* FZ_H */
