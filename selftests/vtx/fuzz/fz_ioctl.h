/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtx-ioctl-fuzz, shared between its files (fz_ioctl.c says what the
 * program does):
 *
 *   fz_ioctl.c        options, sessions, the choice of the next operation
 *   fz_ioctl_call.c   the traced ioctl call and its argument pointers
 *   fz_ioctl_fds.c    device, VM and vCPU file descriptors: open, close,
 *                     mmap, fork
 *   fz_ioctl_mem.c    host buffers and the changes made under live slots,
 *                     KVM_SET_USER_MEMORY_REGION
 *   fz_ioctl_args.c   random vCPU state: registers, segments, events,
 *                     CPUID entries, MSRs
 *   fz_ioctl_sys.c    ioctls of the system fd, and random ioctls on any fd
 *   fz_ioctl_vm.c     ioctls of a VM fd
 *   fz_ioctl_vcpu.c   ioctls of a vCPU fd (its state)
 *   fz_ioctl_run.c    KVM_RUN, the answer to its exits, the racing thread
 *   fz_ioctl_irq.c    the interrupt controllers' ioctls (VM and vCPU fds)
 *
 * Every operation draws from the session's PRNG only, in a fixed order:
 * for a seed the call sequence is fixed (make ioctl-trace-host prints it
 * on a host without VMX, against a fake device).
 */
#ifndef FZ_IOCTL_H
#define FZ_IOCTL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "fz.h"

/* ------------------------------------------------------------ options */
extern const char *dev_path;
extern uint64_t opt_seed;
extern unsigned int opt_session_len;
extern bool opt_vtx_subset;	/* only the ioctls vtx implements */
extern bool opt_avoid;		/* keep known defects out */
extern bool opt_trace;

/* ------------------------------------------------------------ counters */
extern uint64_t n_ioctls, n_syscalls, n_runs, n_sessions, n_failures;
extern uint64_t n_errno[256], n_exit[64], n_odd;

/* ------------------------------------------------------------ state */
#define NR_BUFS		8
#define BUF_WINDOW	(8UL << 20)	/* each buffer owns 8 MiB of VA */
#define MAX_VMS		3
#define MAX_VCPUS	6
#define MAX_SLOTS	8		/* shadow of slots we registered */
#define SCRATCH_SIZE	(64UL << 10)
#define TRACE_LEN	24
#define NR_IRQEFDS	3		/* eventfds for KVM_IRQFD */

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
	int irqefd[NR_IRQEFDS];
	bool irqchip[MAX_VMS];	/* vms[i] has an in-kernel LAPIC */
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

extern uint8_t *reservation;	/* NR_BUFS windows, PROT_NONE by default */
extern struct buf bufs[NR_BUFS];
/*
 * Arguments live in the scratch area.  After it comes as much again,
 * writable so that the fuzzer can fill an argument that straddles the end;
 * its first page is PROT_NONE only during the ioctl that gets such an
 * argument, so the kernel's copy stops there.
 */
extern uint8_t *scratch;
extern bool straddle;
extern uint8_t *ro_page;	/* PROT_READ, filled with 0xf4 */
extern long mmap_size;
extern uint32_t host_tsc_khz;

/* fz_ioctl_call.c */
void trace(struct session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
long fz_ioctl(struct session *s, int fd, unsigned long req,
	      unsigned long arg, const char *name);
void *arg_ptr(struct session *s, size_t len, bool *writable);

/* fz_ioctl_fds.c */
int pick_vm(struct session *s);
int pick_vcpu(struct session *s);
int pick_dev(struct session *s);
void create_vm(struct session *s);
void create_vcpu(struct session *s);
void close_vcpu(struct session *s, int i);
void close_something(struct session *s);
void mmap_op(struct session *s);
void fork_op(struct session *s);

/* fz_ioctl_mem.c */
void buf_map(struct session *s, struct buf *b);
void buf_unmap(struct buf *b);
void mem_op(struct session *s);
void slot_op(struct session *s);

/* fz_ioctl_args.c */
uint32_t rnd_msr(struct session *s);
uint64_t rnd_msr_val(struct session *s, uint32_t idx);
void rnd_sregs(struct session *s, struct kvm_sregs *sr);
void rnd_regs(struct session *s, struct kvm_regs *rg);
void rnd_events(struct session *s, struct kvm_vcpu_events *e);
void rnd_cpuid(struct session *s, struct kvm_cpuid2 *c, uint32_t nent);

/* fz_ioctl_sys.c, fz_ioctl_vm.c, fz_ioctl_vcpu.c */
void sys_ioctl(struct session *s);
void rand_ioctl(struct session *s);
void vm_ioctl(struct session *s);
void vcpu_state_ioctl(struct session *s, int fd);
void vcpu_ioctl(struct session *s);

/* fz_ioctl_irq.c */
extern uint64_t n_irq_ioctls, n_irq_ok;
void irq_vm_ioctl(struct session *s, int fd);
void irq_setup(struct session *s, int fd);
void irq_vcpu_ioctl(struct session *s, int fd);
bool vcpu_has_irqchip(struct session *s, int i);

/* fz_ioctl_run.c */
void run_op(struct session *s);
void start_racer(struct session *s);
void stop_racer(struct session *s);

#endif /* FZ_IOCTL_H */
