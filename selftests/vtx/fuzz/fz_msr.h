/* SPDX-License-Identifier: GPL-2.0 */
/*
 * MSR numbers in the fuzzers' tables.  The kernel's names come from
 * msr-numbers.h (generated from the kernel's msr-index.h at build time by
 * ../ksft.mk), <asm/mtrr.h> and <asm/kvm_para.h>; the few below are ones
 * that no header the kernel exports names.
 */
#ifndef FZ_MSR_H
#define FZ_MSR_H

#include <asm/kvm_para.h>
#include <asm/mtrr.h>

#include "msr-numbers.h"

/* x2APIC registers: 800H + the xAPIC register's offset / 16 */
#define FZ_X2APIC_MSR_TPR	0x808
#define FZ_X2APIC_MSR_EOI	0x80b
#define FZ_X2APIC_MSR_BASE	0x800

/* Hyper-V's guest OS identity, the first of its synthetic MSRs */
#define FZ_HV_MSR_GUEST_OS_ID	0x40000000

/* The edges of the two ranges of the VMX MSR bitmap: last MSR in, first out */
#define FZ_MSR_LOW_LAST		0x00001fff
#define FZ_MSR_LOW_END		0x00002000
#define FZ_MSR_HIGH_LAST	0xc0001fff
#define FZ_MSR_HIGH_END		0xc0002000

/* No such MSR */
#define FZ_MSR_ALL_ONES		0xffffffff
#define FZ_MSR_BOGUS		0xdeadbeef

#endif /* FZ_MSR_H */
