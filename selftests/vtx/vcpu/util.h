/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host-side helpers of the "vcpu" suite, shared by its tests.  They die
 * through vtx_die() (an abort the harness reports) on unexpected errors,
 * since the harness's ASSERT_* only work in the test's own function.
 */
#ifndef VTX_VCPU_UTIL_H
#define VTX_VCPU_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "vtx.h"
#include "vtx_exits.h"
#include "vtx_ident.h"
#include "vcpu.h"

/* CPUID register indexes for cpu_has() */
enum { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX };

/* KVM_GET_SUPPORTED_CPUID of the device (fetched once, then cached). */
struct kvm_cpuid2 *supported_cpuid(void);
struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *cpuid, uint32_t fn,
				    uint32_t index);
/* Bit @bit of register @reg of leaf @fn (subleaf 0) in the supported set */
bool cpu_has(uint32_t fn, int reg, int bit);
/* Allocate a struct kvm_cpuid2 with room for @nent entries. */
struct kvm_cpuid2 *cpuid_alloc(uint32_t nent);
/*
 * Give the vCPU the supported CPUID, as a VMM does, minus VMX (leaf 1 ECX
 * bit 5): KVM with nested=1 offers VMX, vtx does not, and without it both
 * refuse CR4.VMXE.  KVM derives what the guest may use (XCR0 bits, CR4
 * bits, RDTSCP, ...) from this table.
 */
/* A copy of the supported CPUID without VMX, to free(): a VMM's table. */
struct kvm_cpuid2 *guest_cpuid_copy(void);
void vcpu_set_supported_cpuid(struct vtx_vcpu *vcpu);

/*
 * Build the guest's IDT at IDT_GPA: IDT_VECTORS interrupt gates pointing at
 * the 16-byte stubs that start at @stubs_gpa (EXC_STUBS32/64), 8-byte gates
 * with CS = VTX_SEL_CODE32 in VTX_MODE_PROT32, 16-byte ones with CS =
 * VTX_SEL_CODE64 in VTX_MODE_LONG64; load IDTR, clear the exception record.
 */
void guest_idt_setup(struct vtx_vcpu *vcpu, enum vtx_mode mode,
		     uint64_t stubs_gpa);
/*
 * vCPU @id of @vm in long mode at VTX_CODE_GPA with @cpuid, RDI = @id, its
 * own stack in STACKS_GPA, the IDT's gates at @stubs (none when NULL),
 * RFLAGS.IF as @irq_on says.
 */
struct vtx_vcpu *long_vcpu_add(struct vtx_vm *vm, unsigned int id,
			       const uint8_t *start, const uint8_t *stubs,
			       const struct kvm_cpuid2 *cpuid, bool irq_on);
/* A default VM with one vCPU in @mode running [start, end), IDT set up. */
struct vtx_vcpu *guest_create(enum vtx_mode mode, const void *start,
			      const void *end, const void *stubs);
/* Deliveries of @vector the guest's handler counted */
uint32_t guest_exc_count(struct vtx_vcpu *vcpu, unsigned int vector);
/* RFLAGS.IF = 1 (see the Bochs note in util.c) */
void guest_enable_if(struct vtx_vcpu *vcpu);

/* Raw KVM_GET_MSRS / KVM_SET_MSRS of @n MSRs on @fd: the ioctl's result. */
long msrs_io(int fd, unsigned long req, unsigned int n, const uint32_t *index,
	     uint64_t *data);
uint64_t vcpu_get_msr(struct vtx_vcpu *vcpu, uint32_t index);	/* asserting */
void vcpu_set_msr(struct vtx_vcpu *vcpu, uint32_t index, uint64_t data);

/*
 * The current exit in words, for failure messages: the exit reason, RIP,
 * and for a ucall its code and RBX (for UCALL_EXC: vector, error code,
 * RIP and CR2 of the guest's exception).  A static buffer.
 */
const char *describe_exit(struct vtx_vcpu *vcpu);

/*
 * The driver behind the test's device (vtx_ident.h, on a system fd opened
 * once): "vtx" or "kvm", and whether it is upstream KVM, the reference.
 */
const char *driver(void);
bool driver_is_kvm(void);
bool driver_uses_ept(void);

/*
 * vtx's count of one allocation kind (module parameter allocs_detail:
 * "vm 0 vcpu 0 ..."); -1 on KVM or for a kind the module lacks.
 */
long vtx_allocs(const char *kind);

/* Online CPUs (sysconf) */
int online_cpus(void);

/* A KVM_RUN that sleeps this long waits for nothing (run_until_ucall()) */
#define RUN_UNTIL_TIMEOUT_S	10
/* run_until_ucall()'s @vec: go through the reports of any vector >= 32 */
#define RUN_ANY_IRQ		(-1)
/*
 * KVM_RUN until ucall @code, going through the guest handler's reports
 * (UCALL_EXC) of interrupt @vec (RUN_ANY_IRQ: of any external vector);
 * the ucall's RBX in @rbx unless NULL.  0, or -1 with the reason in @err:
 * another exit, a failed KVM_RUN, or one that did not return within
 * RUN_UNTIL_TIMEOUT_S (the guest's RIP and local APIC then described).
 */
int run_until_ucall(struct vtx_vcpu *vcpu, uint32_t code, int vec,
		    uint64_t *rbx, char *err, size_t errlen);
/* Pin the calling thread to @cpu; 0 or -errno. */
int pin_to_cpu(int cpu);

/* Seconds of CLOCK_MONOTONIC */
double now_sec(void);

#endif /* VTX_VCPU_UTIL_H */
