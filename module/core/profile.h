/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtx - where the cycles of KVM_RUN go: a build-time profiler.
 *
 * Built with "make module VTX_PROFILE=1" only (Kbuild defines VTX_PROFILE);
 * otherwise every vtx_prof() compiles to nothing.  Each call reads the TSC
 * and adds the time since the previous call to its point's sum, so a
 * point's average is the cost of the code between the point before it and
 * itself.  vtx_prof_dump() prints the table when the vCPU is freed.  The
 * counters belong to the vCPU thread (vcpu->mutex held), like the stats.
 */
#ifndef VTX_PROFILE_H
#define VTX_PROFILE_H

#include <linux/types.h>

struct vtx_vcpu;

/* The points, in the order a KVM_RUN passes them. */
enum vtx_prof_point {
	VTX_PROF_IOCTL,		/* ioctl entry: userspace since the last return */
	VTX_PROF_LOADED,	/* mutex taken, vCPU loaded */
	VTX_PROF_COMPLETED,	/* the last exit's I/O completed */
	VTX_PROF_FPU_IN,	/* guest FPU loaded */
	VTX_PROF_ENTRY,		/* just before VMLAUNCH/VMRESUME */
	VTX_PROF_EXIT,		/* just after the VM exit: guest time */
	VTX_PROF_HANDLED,	/* the exit handler returned */
	VTX_PROF_FPU_OUT,	/* host FPU back */
	VTX_PROF_DONE,		/* kvm_run filled */
	VTX_PROF_PUT,		/* vCPU put, mutex released */
	VTX_NR_PROF,
};

struct vtx_prof {
	u64 last;
	u64 sum[VTX_NR_PROF];
	u64 n[VTX_NR_PROF];
};

#ifdef VTX_PROFILE
#include <asm/msr.h>

static __always_inline void __vtx_prof(struct vtx_prof *p,
				       enum vtx_prof_point point)
{
	u64 t = rdtsc();

	if (p->last) {
		p->sum[point] += t - p->last;
		p->n[point]++;
	}
	p->last = t;
}

#define vtx_prof(vcpu, point)	__vtx_prof(&(vcpu)->prof, VTX_PROF_##point)
void vtx_prof_dump_vcpu(struct vtx_vcpu *vcpu);
#else
#define vtx_prof(vcpu, point)		do { } while (0)
static inline void vtx_prof_dump_vcpu(struct vtx_vcpu *vcpu) { }
#endif

#endif /* VTX_PROFILE_H */
