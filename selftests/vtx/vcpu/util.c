// SPDX-License-Identifier: GPL-2.0
/* Host-side helpers of the "vcpu" suite (util.h). */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* run_until_ucall(): interrupt reports it goes through at most */
#define RUN_UNTIL_MAX_REPORTS	1000
/* the first vector that is not an exception */
#define FIRST_EXTERNAL_VECTOR	32
/* local APIC registers (offsets in struct kvm_lapic_state) */
#define APIC_REG_PPR		0xa0
#define APIC_REG_ISR1		0x110
#define APIC_REG_TMR1		0x190
#define APIC_REG_IRR1		0x210

/* Test output goes through a pipe to the serial console: one line at once. */
static void __attribute__((constructor)) line_buffered_stdout(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}

#define CPUID_MAX_ENTRIES	256

struct kvm_cpuid2 *cpuid_alloc(uint32_t nent)
{
	struct kvm_cpuid2 *c;

	c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));
	VTX_ASSERT(c, "out of memory");
	c->nent = nent;
	return c;
}

struct kvm_cpuid2 *supported_cpuid(void)
{
	static struct kvm_cpuid2 *cached;
	int fd;

	if (cached)
		return cached;
	cached = cpuid_alloc(CPUID_MAX_ENTRIES);
	fd = vtx_open_device();
	vtx_ioctl(fd, KVM_GET_SUPPORTED_CPUID, cached);
	close(fd);
	return cached;
}

struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *cpuid, uint32_t fn,
				    uint32_t index)
{
	uint32_t i;

	for (i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		if (e->function == fn &&
		    (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ||
		     e->index == index))
			return e;
	}
	return NULL;
}

bool cpu_has(uint32_t fn, int reg, int bit)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(supported_cpuid(), fn, 0);
	uint32_t r;

	if (!e)
		return false;
	switch (reg) {
	case CPUID_EAX:
		r = e->eax;
		break;
	case CPUID_EBX:
		r = e->ebx;
		break;
	case CPUID_ECX:
		r = e->ecx;
		break;
	default:
		r = e->edx;
		break;
	}
	return r & (1u << bit);
}

struct kvm_cpuid2 *guest_cpuid_copy(void)
{
	struct kvm_cpuid2 *sup = supported_cpuid();
	struct kvm_cpuid2 *c = cpuid_alloc(sup->nent);
	struct kvm_cpuid_entry2 *e;

	memcpy(c->entries, sup->entries, sup->nent * sizeof(c->entries[0]));
	e = cpuid_find(c, 1, 0);
	if (e)
		e->ecx &= ~(1u << 5);	/* VMX */
	return c;
}

void vcpu_set_supported_cpuid(struct vtx_vcpu *vcpu)
{
	struct kvm_cpuid2 *c = guest_cpuid_copy();

	vtx_ioctl(vcpu->fd, KVM_SET_CPUID2, c);
	free(c);
}

void guest_idt_setup(struct vtx_vcpu *vcpu, enum vtx_mode mode,
		     uint64_t stubs_gpa)
{
	struct vtx_vm *vm = vcpu->vm;
	struct kvm_sregs sregs;
	unsigned int v;

	memset(vtx_gpa2hva(vm, IDT_GPA), 0, VTX_PAGE_SIZE);
	memset(vtx_gpa2hva(vm, EXC_GPA), 0, VTX_PAGE_SIZE);
	for (v = 0; v < IDT_VECTORS; v++) {
		uint64_t handler = stubs_gpa + 16 * v;

		if (mode == VTX_MODE_LONG64) {
			uint64_t *gate = vtx_gpa2hva(vm, IDT_GPA + 16 * v);

			/* present, DPL 0, 64-bit interrupt gate (0xe) */
			gate[0] = (handler & 0xffff) |
				  ((uint64_t)VTX_SEL_CODE64 << 16) |
				  (0x8eULL << 40) |
				  ((handler >> 16 & 0xffff) << 48);
			gate[1] = handler >> 32;
		} else {
			uint64_t *gate = vtx_gpa2hva(vm, IDT_GPA + 8 * v);

			/* present, DPL 0, 32-bit interrupt gate (0xe) */
			gate[0] = (handler & 0xffff) |
				  ((uint64_t)VTX_SEL_CODE32 << 16) |
				  (0x8eULL << 40) |
				  ((handler >> 16 & 0xffff) << 48);
		}
	}
	vtx_get_sregs(vcpu, &sregs);
	sregs.idt.base = IDT_GPA;
	sregs.idt.limit = IDT_VECTORS * (mode == VTX_MODE_LONG64 ? 16 : 8) - 1;
	vtx_set_sregs(vcpu, &sregs);
}

struct vtx_vcpu *long_vcpu_add(struct vtx_vm *vm, unsigned int id,
			       const uint8_t *start, const uint8_t *stubs,
			       const struct kvm_cpuid2 *cpuid, bool irq_on)
{
	struct vtx_vcpu *vcpu = vtx_vcpu_add(vm, id);
	struct kvm_regs regs;

	vtx_setup_mode(vcpu, VTX_MODE_LONG64, VTX_CODE_GPA);
	vtx_ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid);
	if (stubs)
		guest_idt_setup(vcpu, VTX_MODE_LONG64,
				VTX_BLOB_GPA(start, stubs));
	vtx_get_regs(vcpu, &regs);
	regs.rsp = STACKS_GPA + (id + 1) * STACK_SIZE;
	regs.rdi = id;
	if (irq_on)
		regs.rflags |= RFLAGS_IF;
	vtx_set_regs(vcpu, &regs);
	return vcpu;
}

struct vtx_vcpu *guest_create(enum vtx_mode mode, const void *start,
			      const void *end, const void *stubs)
{
	struct vtx_vcpu *vcpu = vtx_create_guest(mode, start, end);

	if (stubs)
		guest_idt_setup(vcpu, mode, VTX_BLOB_GPA(start, stubs));
	return vcpu;
}

uint32_t guest_exc_count(struct vtx_vcpu *vcpu, unsigned int vector)
{
	uint32_t *count = vtx_gpa2hva(vcpu->vm, EXC_COUNT_GPA);

	VTX_ASSERT(vector < IDT_VECTORS, "vector %u has no gate", vector);
	return count[vector];
}

/*
 * Bochs (the test VM) does not turn a host interrupt into a VM exit while
 * the nested guest runs with IF = 0, so a guest that spins with IF = 0
 * hangs the whole test VM.  Every guest that may spin runs with IF = 1.
 */
void guest_enable_if(struct vtx_vcpu *vcpu)
{
	struct kvm_regs regs;

	vtx_get_regs(vcpu, &regs);
	regs.rflags |= RFLAGS_IF;
	vtx_set_regs(vcpu, &regs);
}

long msrs_io(int fd, unsigned long req, unsigned int n, const uint32_t *index,
	     uint64_t *data)
{
	struct kvm_msrs *msrs;
	unsigned int i;
	long r;

	msrs = calloc(1, sizeof(*msrs) + n * sizeof(msrs->entries[0]));
	VTX_ASSERT(msrs, "out of memory");
	msrs->nmsrs = n;
	for (i = 0; i < n; i++) {
		msrs->entries[i].index = index[i];
		msrs->entries[i].data = data[i];
	}
	r = __vtx_ioctl(fd, req, msrs);
	if (req == KVM_GET_MSRS)
		for (i = 0; i < n; i++)
			data[i] = msrs->entries[i].data;
	free(msrs);
	return r;
}

uint64_t vcpu_get_msr(struct vtx_vcpu *vcpu, uint32_t index)
{
	uint64_t data = 0;
	long r = msrs_io(vcpu->fd, KVM_GET_MSRS, 1, &index, &data);

	if (r != 1)
		vtx_die("KVM_GET_MSRS of MSR %#x: %ld", index, r);
	return data;
}

void vcpu_set_msr(struct vtx_vcpu *vcpu, uint32_t index, uint64_t data)
{
	long r = msrs_io(vcpu->fd, KVM_SET_MSRS, 1, &index, &data);

	if (r != 1)
		vtx_die("KVM_SET_MSRS of MSR %#x = %#llx: %ld", index,
			(unsigned long long)data, r);
}

/* SIGALRM only interrupts KVM_RUN (no SA_RESTART) */
static void run_alarm(int sig)
{
}

/* A KVM_RUN that timed out: where the guest is, its APIC's ISR/IRR/PPR */
static void describe_stuck(struct vtx_vcpu *vcpu, char *err, size_t errlen)
{
	struct kvm_lapic_state l;
	struct kvm_regs regs;

	vtx_get_regs(vcpu, &regs);
	memset(&l, 0, sizeof(l));
	__vtx_ioctl(vcpu->fd, KVM_GET_LAPIC, &l);	/* zeros without one */
	snprintf(err, errlen,
		 "KVM_RUN: no exit in %us, guest at %#llx rflags %#llx, APIC ISR1 %#x IRR1 %#x TMR1 %#x PPR %#x",
		 RUN_UNTIL_TIMEOUT_S, (unsigned long long)regs.rip,
		 (unsigned long long)regs.rflags,
		 *(uint32_t *)&l.regs[APIC_REG_ISR1],
		 *(uint32_t *)&l.regs[APIC_REG_IRR1],
		 *(uint32_t *)&l.regs[APIC_REG_TMR1],
		 *(uint32_t *)&l.regs[APIC_REG_PPR]);
}

int run_until_ucall(struct vtx_vcpu *vcpu, uint32_t code, int vec,
		    uint64_t *rbx, char *err, size_t errlen)
{
	struct sigaction sa = { .sa_handler = run_alarm };
	struct vtx_ucall uc;
	uint32_t got;
	int i, r;

	sigaction(SIGALRM, &sa, NULL);
	for (i = 0; i < RUN_UNTIL_MAX_REPORTS; i++) {
		alarm(RUN_UNTIL_TIMEOUT_S);
		r = __vtx_run(vcpu);
		alarm(0);
		if (r && errno == EINTR) {
			describe_stuck(vcpu, err, errlen);
			return -1;
		}
		if (r) {
			snprintf(err, errlen, "KVM_RUN: %s", strerror(errno));
			return -1;
		}
		got = vtx_get_ucall(vcpu, &uc);
		if (got == UCALL_EXC &&
		    (vec == RUN_ANY_IRQ ? uc.regs.rbx >= FIRST_EXTERNAL_VECTOR :
		     uc.regs.rbx == (uint64_t)vec))
			continue;
		if (got != code) {
			snprintf(err, errlen, "expected ucall %u: %s", code,
				 describe_exit(vcpu));
			return -1;
		}
		if (rbx)
			*rbx = uc.regs.rbx;
		return 0;
	}
	snprintf(err, errlen, "no ucall %u after %d interrupts", code,
		 RUN_UNTIL_MAX_REPORTS);
	return -1;
}

const char *describe_exit(struct vtx_vcpu *vcpu)
{
	static char buf[256];
	struct kvm_run *run = vcpu->run;
	struct vtx_ucall uc;
	struct kvm_regs regs;
	uint32_t code;

	vtx_get_regs(vcpu, &regs);
	code = vtx_get_ucall(vcpu, &uc);
	if (code == UCALL_EXC)
		snprintf(buf, sizeof(buf),
			 "guest exception: vector %llu, error code %#llx, RIP %#llx, CR2 %#llx",
			 (unsigned long long)uc.regs.rbx,
			 (unsigned long long)uc.regs.rcx,
			 (unsigned long long)uc.regs.rdx,
			 (unsigned long long)uc.regs.rsi);
	else if (code != UCALL_NONE)
		snprintf(buf, sizeof(buf), "ucall %u, RBX %#llx, RIP %#llx",
			 code, (unsigned long long)uc.regs.rbx,
			 (unsigned long long)regs.rip);
	else if (run->exit_reason == KVM_EXIT_IO)
		snprintf(buf, sizeof(buf),
			 "exit IO: %s port %#x size %u count %u, RIP %#llx",
			 run->io.direction == KVM_EXIT_IO_IN ? "in" : "out",
			 run->io.port, run->io.size, run->io.count,
			 (unsigned long long)regs.rip);
	else if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
		snprintf(buf, sizeof(buf),
			 "exit INTERNAL_ERROR: suberror %u, data[0] %#llx, RIP %#llx",
			 run->internal.suberror,
			 (unsigned long long)run->internal.data[0],
			 (unsigned long long)regs.rip);
	else if (run->exit_reason == KVM_EXIT_FAIL_ENTRY)
		snprintf(buf, sizeof(buf),
			 "exit FAIL_ENTRY: reason %#llx, RIP %#llx",
			 (unsigned long long)
			 run->fail_entry.hardware_entry_failure_reason,
			 (unsigned long long)regs.rip);
	else
		snprintf(buf, sizeof(buf), "exit %s (%u), RIP %#llx",
			 vtx_exit_reason_str(run->exit_reason),
			 run->exit_reason, (unsigned long long)regs.rip);
	return buf;
}

static int ident_fd(void)
{
	static int fd = -1;

	if (fd < 0)
		fd = vtx_open_device();
	return fd;
}

const char *driver(void)
{
	return vtx_driver_name(ident_fd());
}

bool driver_is_kvm(void)
{
	return !vtx_is_vtx(ident_fd());
}

/*
 * Does the driver translate guest memory with EPT?  Its module parameter
 * "ept" (vtx and kvm_intel alike); 'N' or '0' is shadow paging.
 */
bool driver_uses_ept(void)
{
	char path[64], c = 'Y';
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/%s/parameters/ept",
		 driver_is_kvm() ? "kvm_intel" : "vtx");
	f = fopen(path, "r");
	if (!f)
		return true;
	if (fread(&c, 1, 1, f) != 1)
		c = 'Y';
	fclose(f);
	return c != 'N' && c != '0';
}

int online_cpus(void)
{
	return (int)sysconf(_SC_NPROCESSORS_ONLN);
}

int pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#define ALLOCS_DETAIL	"/sys/module/vtx/parameters/allocs_detail"

long vtx_allocs(const char *kind)
{
	char buf[1024], *p;
	size_t len = strlen(kind);
	long n = -1;
	FILE *f;

	if (driver_is_kvm())
		return -1;
	f = fopen(ALLOCS_DETAIL, "r");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f)) {
		for (p = strtok(buf, " \n"); p; p = strtok(NULL, " \n")) {
			if (strlen(p) == len && !strncmp(p, kind, len)) {
				p = strtok(NULL, " \n");
				n = p ? atol(p) : -1;
				break;
			}
		}
	}
	fclose(f);
	return n;
}
