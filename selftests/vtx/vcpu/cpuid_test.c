// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID: KVM_GET_SUPPORTED_CPUID, KVM_SET_CPUID2/KVM_GET_CPUID2, and what
 * the guest's CPUID instruction returns for a distinctive table, for leaves
 * outside it, and without any table.
 *
 * The expected guest values come from a model of KVM 6.1's lookup
 * (arch/x86/kvm/cpuid.c, kvm_cpuid()): an exact entry (index compared only
 * with KVM_CPUID_FLAG_SIGNIFCANT_INDEX); else, for a leaf above the
 * maximum of its class (basic, 4000xxxxH, 8000xxxxH or C000xxxxH), the
 * entry of the maximum basic leaf with the same index (Intel behaviour);
 * else zeros.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vcpu_test.h"
#include "cpuid.h"

extern const uint8_t cpuid_guest[], cpuid_guest_end[];
extern const uint8_t cpuid_osx_guest[], cpuid_osx_guest_end[];

#define ECX_VMX			(1u << 5)
#define ECX_MWAIT		(1u << 3)
#define ECX_XSAVE		(1u << 26)
#define ECX_OSXSAVE		(1u << 27)
#define EDX_APIC		(1u << 9)
#define SIG			KVM_CPUID_FLAG_SIGNIFCANT_INDEX

/*
 * A table no real processor has.  Leaf 1 is consistent with what KVM
 * rewrites at run time (kvm_update_cpuid_runtime(): APIC follows
 * IA32_APIC_BASE.EN, set at reset; OSXSAVE follows CR4; MWAIT follows
 * MISC_ENABLE, clear at reset), so the guest must see every bit as given.
 * The vendor is not AMD's or Hygon's, so out-of-range leaves behave as on
 * Intel.
 */
static const struct kvm_cpuid_entry2 table[] = {
	{ .function = 0, .eax = 4, .ebx = 0x54787456, .ecx = 0x44495550,
	  .edx = 0x43747365 },
	{ .function = 1, .eax = 0x000a0655, .ebx = 0x5a010800,
	  .ecx = 0x76543210, .edx = 0x178bfbff },
	{ .function = 2, .eax = 0x11112222, .ebx = 0x33334444,
	  .ecx = 0x55556666, .edx = 0x77778888 },
	{ .function = 4, .index = 0, .flags = SIG, .eax = 0x1c004121,
	  .ebx = 0x01c0003f, .ecx = 0x3f, .edx = 0 },
	{ .function = 4, .index = 1, .flags = SIG, .eax = 0x1c004122,
	  .ebx = 0x01c0003f, .ecx = 0x3f, .edx = 1 },
	{ .function = 0x80000000, .eax = 0x80000001, .ebx = 0xa1a2a3a4,
	  .ecx = 0xb1b2b3b4, .edx = 0xc1c2c3c4 },
	{ .function = 0x80000001, .eax = 0x12, .ebx = 0x34, .ecx = 0x121,
	  .edx = 0x2c100800 },
	{ .function = 0xc0000000, .eax = 0xc0000002, .ebx = 0xd1, .ecx = 0xd2,
	  .edx = 0xd3 },
	{ .function = 0xc0000002, .eax = 0xe1, .ebx = 0xe2, .ecx = 0xe3,
	  .edx = 0xe4 },
};
#define TABLE_NENT	(sizeof(table) / sizeof(table[0]))

static struct kvm_cpuid2 *distinctive_table(void)
{
	struct kvm_cpuid2 *c = cpuid_alloc(TABLE_NENT);

	memcpy(c->entries, table, sizeof(table));
	return c;
}

/* KVM 6.1's guest CPUID lookup, for a vCPU whose table is @t */
static void model_cpuid(struct kvm_cpuid2 *t, uint32_t leaf, uint32_t index,
			uint32_t out[4])
{
	struct kvm_cpuid_entry2 *e = t ? cpuid_find(t, leaf, index) : NULL;
	struct kvm_cpuid_entry2 *basic, *class;

	if (!e && t && (basic = cpuid_find(t, 0, 0))) {
		if (leaf >= 0x40000000 && leaf <= 0x4fffffff)
			class = cpuid_find(t, leaf & 0xffffff00, 0);
		else if (leaf >= 0xc0000000)
			class = cpuid_find(t, 0xc0000000, 0);
		else
			class = cpuid_find(t, leaf & 0x80000000, 0);
		if (!class || leaf > class->eax)
			e = cpuid_find(t, basic->eax, index);
	}
	memset(out, 0, 4 * sizeof(*out));
	if (e) {
		out[0] = e->eax;
		out[1] = e->ebx;
		out[2] = e->ecx;
		out[3] = e->edx;
	}
}

struct query {
	uint32_t leaf, index;
	const char *what;
};

/* Run cpuid_guest for @q on @vcpu; the results land in @out[n][4]. */
static void guest_cpuid(struct vtx_vcpu *vcpu, const struct query *q,
			unsigned int n, uint32_t (*out)[4])
{
	uint32_t *in = vtx_gpa2hva(vcpu->vm, SCRATCH_GPA);
	struct vtx_ucall uc;
	unsigned int i;

	VTX_ASSERT(n <= CPUID_MAX_QUERIES, "too many queries");
	in[0] = n;
	for (i = 0; i < n; i++) {
		in[2 + 2 * i] = q[i].leaf;
		in[3 + 2 * i] = q[i].index;
	}
	vtx_run(vcpu);
	if (vtx_get_ucall(vcpu, &uc) != UCALL_DONE)
		vtx_die("cpuid_guest: %s", describe_exit(vcpu));
	memcpy(out, vtx_gpa2hva(vcpu->vm, CPUID_OUT_GPA), n * 16);
}

/* E2BIG for too little room (nent not written back), then the list. */
TEST(get_supported_cpuid)
{
	struct kvm_cpuid2 *c = cpuid_alloc(256);
	int fd = vtx_open_device();
	uint32_t i, max_basic, max_ext = 0;
	struct kvm_cpuid_entry2 *e;

	c->nent = 0;
	EXPECT_EQ(-E2BIG, __vtx_ioctl(fd, KVM_GET_SUPPORTED_CPUID, c));
	c->nent = 1;
	EXPECT_EQ(-E2BIG, __vtx_ioctl(fd, KVM_GET_SUPPORTED_CPUID, c));
	EXPECT_EQ(1, c->nent);
	c->nent = 256;
	ASSERT_EQ(0, __vtx_ioctl(fd, KVM_GET_SUPPORTED_CPUID, c));
	TH_LOG("%s: %u supported CPUID entries", DRIVER, c->nent);
	ASSERT_GT(c->nent, 2);
	ASSERT_LE(c->nent, 256);

	e = cpuid_find(c, 0, 0);
	ASSERT_NE(NULL, e);
	max_basic = e->eax;
	e = cpuid_find(c, 0x80000000, 0);
	if (e)
		max_ext = e->eax;
	ASSERT_NE(NULL, cpuid_find(c, 1, 0));
	/* every entry is within the ranges leaf 0 and 80000000H announce */
	for (i = 0; i < c->nent; i++) {
		uint32_t fn = c->entries[i].function;

		if (fn < 0x40000000) {
			EXPECT_LE(fn, max_basic) TH_LOG("entry %u", i);
		} else if (fn >= 0x80000000) {
			EXPECT_LE(fn, max_ext) TH_LOG("entry %u", i);
		}
	}
	/* one call with exactly the room it needs works too */
	i = c->nent;
	memset(c->entries, 0, 256 * sizeof(c->entries[0]));
	c->nent = i;
	EXPECT_EQ(0, __vtx_ioctl(fd, KVM_GET_SUPPORTED_CPUID, c));
	EXPECT_EQ(i, c->nent);
	c->nent = i - 1;
	EXPECT_EQ(-E2BIG, __vtx_ioctl(fd, KVM_GET_SUPPORTED_CPUID, c));
	free(c);
	close(fd);
}

/* Is kvm_intel's "nested" parameter on? (KVM then offers VMX.) */
static int kvm_nested(void)
{
	FILE *f = fopen("/sys/module/kvm_intel/parameters/nested", "r");
	int c;

	if (!f)
		return -1;
	c = fgetc(f);
	fclose(f);
	return c == 'Y' || c == '1';
}

/*
 * vtx does not virtualize VMX, so VMX is not in its supported set.  KVM
 * offers VMX when kvm_intel's "nested" parameter is on (the default since
 * 4.20): the test checks KVM against that parameter instead.
 */
TEST(supported_cpuid_no_vmx)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(supported_cpuid(), 1, 0);

	ASSERT_NE(NULL, e);
	if (IS_KVM) {
		int nested = kvm_nested();

		TH_LOG("kvm: leaf 1 ECX %#x, kvm_intel nested=%d", e->ecx,
		       nested);
		if (nested >= 0)
			EXPECT_EQ(!!nested, !!(e->ecx & ECX_VMX));
	} else {
		EXPECT_EQ(0, e->ecx & ECX_VMX);
	}
	/* OSXSAVE is the guest's CR4, never "supported" */
	EXPECT_EQ(0, e->ecx & ECX_OSXSAVE);
}

TEST(set_get_cpuid2)
{
	struct kvm_cpuid2 *set = distinctive_table(), *get = cpuid_alloc(256);
	struct vtx_vm *vm = vtx_vm_create_default();
	struct vtx_vcpu *vcpu = vtx_vcpu_add(vm, 0);
	uint32_t i;

	/* no table yet: an empty one */
	get->nent = 0;
	EXPECT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_GET_CPUID2, get));
	EXPECT_EQ(0, get->nent);

	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_SET_CPUID2, set));

	/* too little room: E2BIG, nent not written back */
	get->nent = TABLE_NENT - 1;
	EXPECT_EQ(-E2BIG, __vtx_ioctl(vcpu->fd, KVM_GET_CPUID2, get));
	EXPECT_EQ(TABLE_NENT - 1, get->nent);
	get->nent = 0;
	EXPECT_EQ(-E2BIG, __vtx_ioctl(vcpu->fd, KVM_GET_CPUID2, get));

	/*
	 * Enough room: the table.  vtx writes back nent = the table's size;
	 * KVM 6.1 leaves the caller's nent on success
	 * (kvm_vcpu_ioctl_get_cpuid2() sets it only on its error path, which
	 * does not copy it out), so there the entries must do.
	 */
	get->nent = 256;
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_GET_CPUID2, get));
	if (IS_KVM) {
		TH_LOG("kvm: nent after KVM_GET_CPUID2: %u", get->nent);
		EXPECT_EQ(256, get->nent);
	} else {
		ASSERT_EQ(TABLE_NENT, get->nent);
	}
	for (i = 0; i < TABLE_NENT; i++) {
		struct kvm_cpuid_entry2 *g = &get->entries[i];
		const struct kvm_cpuid_entry2 *s = &table[i];

		EXPECT_EQ(s->function, g->function) TH_LOG("entry %u", i);
		EXPECT_EQ(s->index, g->index) TH_LOG("entry %u", i);
		EXPECT_EQ(s->flags, g->flags) TH_LOG("entry %u", i);
		EXPECT_EQ(s->eax, g->eax) TH_LOG("entry %u", i);
		EXPECT_EQ(s->ebx, g->ebx) TH_LOG("entry %u", i);
		EXPECT_EQ(s->ecx, g->ecx) TH_LOG("entry %u", i);
		EXPECT_EQ(s->edx, g->edx) TH_LOG("entry %u", i);
	}

	/* more than 256 entries: E2BIG */
	set->nent = 257;
	EXPECT_EQ(-E2BIG, __vtx_ioctl(vcpu->fd, KVM_SET_CPUID2, set));
	/* the table is unchanged: still TABLE_NENT entries */
	get->nent = TABLE_NENT - 1;
	EXPECT_EQ(-E2BIG, __vtx_ioctl(vcpu->fd, KVM_GET_CPUID2, get));
	get->nent = TABLE_NENT;
	EXPECT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_GET_CPUID2, get));
	EXPECT_EQ(table[8].function, get->entries[8].function);
	free(set);
	free(get);
}

static const struct query queries[] = {
	{ 0, 0, "leaf 0" },
	{ 1, 0, "leaf 1" },
	{ 2, 0, "leaf 2" },
	{ 2, 5, "leaf 2, index not significant" },
	{ 3, 0, "leaf 3: in range, no entry: zeros" },
	{ 4, 0, "leaf 4.0" },
	{ 4, 1, "leaf 4.1" },
	{ 4, 2, "leaf 4.2: no such subleaf: zeros" },
	{ 5, 0, "leaf 5: above the max basic leaf: leaf 4.0" },
	{ 0x10, 1, "leaf 10H.1: leaf 4.1" },
	{ 0x40000000, 0, "leaf 40000000H: no hypervisor range: leaf 4.0" },
	{ 0x80000000, 0, "leaf 80000000H" },
	{ 0x80000001, 0, "leaf 80000001H" },
	{ 0x80000002, 0, "leaf 80000002H: above 80000001H: leaf 4.0" },
	{ 0x80000008, 1, "leaf 80000008H.1: leaf 4.1" },
	{ 0xc0000000, 0, "leaf C0000000H" },
	{ 0xc0000001, 0, "leaf C0000001H: in the C000xxxxH range, no entry: zeros" },
	{ 0xc0000002, 0, "leaf C0000002H" },
	{ 0xc0000003, 0, "leaf C0000003H: above C0000002H: leaf 4.0" },
	{ 0xb, 0, "leaf 0BH: above the max basic leaf: leaf 4.0" },
};
#define NR_QUERIES	(sizeof(queries) / sizeof(queries[0]))

/* The guest's CPUID answers from the table, exactly. */
TEST(guest_cpuid_from_table)
{
	struct kvm_cpuid2 *t = distinctive_table();
	uint32_t got[NR_QUERIES][4], want[4];
	struct vtx_vcpu *vcpu;
	unsigned int i, r;

	vcpu = vtx_create_guest(VTX_MODE_LONG64, cpuid_guest, cpuid_guest_end);
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_SET_CPUID2, t));
	guest_cpuid(vcpu, queries, NR_QUERIES, got);
	for (i = 0; i < NR_QUERIES; i++) {
		model_cpuid(t, queries[i].leaf, queries[i].index, want);
		for (r = 0; r < 4; r++) {
			uint32_t w = want[r], g = got[i][r];

			EXPECT_EQ(w, g)
				TH_LOG("CPUID(%#x, %u) %s: register %c: want %#x, got %#x",
				       queries[i].leaf, queries[i].index,
				       queries[i].what, "abcd"[r], w, g);
		}
	}
	/* the bits KVM rewrites at run time are as the table has them */
	EXPECT_EQ(table[1].ecx, got[1][2]);
	EXPECT_EQ(table[1].edx, got[1][3]);
	free(t);
}

/* After KVM_RUN only the same table may be set again (EINVAL otherwise). */
TEST(set_cpuid2_after_run)
{
	struct kvm_cpuid2 *t = distinctive_table();
	struct query q = { 0, 0, "leaf 0" };
	struct vtx_vcpu *vcpu;
	uint32_t got[1][4];

	vcpu = vtx_create_guest(VTX_MODE_LONG64, cpuid_guest, cpuid_guest_end);
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_SET_CPUID2, t));
	guest_cpuid(vcpu, &q, 1, got);
	EXPECT_EQ(4, got[0][0]);
	EXPECT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_SET_CPUID2, t));
	t->entries[2].eax ^= 1;
	EXPECT_EQ(-EINVAL, __vtx_ioctl(vcpu->fd, KVM_SET_CPUID2, t));
	t->entries[2].eax ^= 1;
	t->nent--;
	EXPECT_EQ(-EINVAL, __vtx_ioctl(vcpu->fd, KVM_SET_CPUID2, t));
	free(t);
}

/* Without KVM_SET_CPUID2 every leaf reads as zeros, as on KVM. */
TEST(guest_cpuid_no_table)
{
	static const struct query q[] = {
		{ 0, 0, "leaf 0" }, { 1, 0, "leaf 1" }, { 7, 0, "leaf 7" },
		{ 0xd, 0, "leaf 0DH" }, { 0x40000000, 0, "leaf 40000000H" },
		{ 0x80000000, 0, "leaf 80000000H" },
		{ 0x80000001, 0, "leaf 80000001H" },
	};
	uint32_t got[sizeof(q) / sizeof(q[0])][4];
	struct vtx_vcpu *vcpu;
	unsigned int i, r;

	vcpu = vtx_create_guest(VTX_MODE_LONG64, cpuid_guest, cpuid_guest_end);
	/*
	 * vtx_setup_mode() gave the vCPU a table to enter long mode (6.12
	 * needs one); an empty KVM_SET_CPUID2 takes it away again.
	 */
	vtx_ioctl(vcpu->fd, KVM_SET_CPUID2, &(struct kvm_cpuid2){ .nent = 0 });
	guest_cpuid(vcpu, q, sizeof(q) / sizeof(q[0]), got);
	for (i = 0; i < sizeof(q) / sizeof(q[0]); i++)
		for (r = 0; r < 4; r++) {
			uint32_t g = got[i][r];

			EXPECT_EQ(0, g)
				TH_LOG("CPUID(%#x) register %c = %#x", q[i].leaf,
				       "abcd"[r], g);
		}
}

/* Leaf 1 ECX.OSXSAVE follows the guest's CR4.OSXSAVE. */
TEST(guest_cpuid_osxsave)
{
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;

	if (!cpu_has(1, CPUID_ECX, 26))
		SKIP(return, "no XSAVE in the supported CPUID");
	vcpu = vtx_create_guest(VTX_MODE_LONG64, cpuid_osx_guest,
				cpuid_osx_guest_end);
	vcpu_set_supported_cpuid(vcpu);
	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(0, uc.regs.rbx & ECX_OSXSAVE);
	EXPECT_NE(0, uc.regs.rbx & ECX_XSAVE);
	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	EXPECT_NE(0, uc.regs.rbx & ECX_OSXSAVE);
	RUN_HLT(vcpu);
}

VTX_TEST_MAIN
