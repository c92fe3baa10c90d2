// SPDX-License-Identifier: GPL-2.0
/*
 * UMIP and the CPU features a KVM guest gets whatever the processor has:
 * with CR4.UMIP set, SGDT, SIDT, SLDT and STR raise #GP(0) at CPL 3 and
 * work as before at CPL 0 (vtx, like kvm_intel, emulates UMIP with
 * descriptor-table exits on a processor without it: LGDT, LIDT, LTR and
 * LLDT then exit too and must still do their job); CPUID faulting; the
 * emulated IA32_ARCH_CAPABILITIES and IA32_TSC_ADJUST.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vcpu_test.h"
#include "umip.h"

extern const uint8_t umip_guest[], umip_guest_end[], umip_stubs[],
	umip_sgdt[], umip_sidt[], umip_sldt[], umip_str[], umip_cpuid[],
	umip_lldt_ti[], umip_ltr_ti[];
extern const uint8_t invpcid_guest[], invpcid_guest_end[], invpcid_stubs[],
	invpcid_insn[];

#define CPUID_7_ECX_UMIP	2
#define CPUID_7_EBX_TSC_ADJ	1
#define CPUID_7_EDX_ARCH_CAPS	29
#define CPUID_7_EBX_INVPCID	10
#define PTE_USER		(1ull << 2)
#define DESC_TYPE_BYTE		5
#define TSS_BUSY_TYPE		11
#define LDT_TYPE		2

/* A 16-byte system descriptor (TSS or LDT) of IA-32e mode. */
static void sys_desc(uint64_t *d, uint64_t base, uint32_t limit, int type)
{
	d[0] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
	       ((uint64_t)type << 40) | (1ull << 47) |
	       ((uint64_t)(limit >> 16 & 0xf) << 48) |
	       ((base >> 24 & 0xff) << 56);
	d[1] = base >> 32;
}

/* DPL 3 code and data, a TSS and an LDT; user pages; RSP0. */
static void setup_cpl3(struct vtx_vcpu *vcpu)
{
	struct vtx_vm *vm = vcpu->vm;
	uint64_t *gdt = vtx_gpa2hva(vm, VTX_GDT_GPA);
	uint64_t *pml4 = vtx_gpa2hva(vm, VTX_PML4_GPA);
	uint64_t *pdpt = vtx_gpa2hva(vm, VTX_PDPT_GPA);
	uint64_t *pd = vtx_gpa2hva(vm, VTX_PD_GPA);
	uint8_t *out = vtx_gpa2hva(vm, UMIP_OUT_GPA);
	uint64_t *tss = vtx_gpa2hva(vm, UMIP_TSS_GPA);
	struct kvm_sregs sregs;
	uint16_t limit2 = UMIP_GDT_LIMIT2, ldt_sel = SEL_LDT;
	uint64_t base = VTX_GDT_GPA;
	int i;

	/* 64-bit code (L, P, DPL 3, type b) and data (P, DPL 3, type 3) */
	gdt[SEL_UCODE64 >> 3] = 0x00affb000000ffffull;
	gdt[SEL_UDATA >> 3] = 0x00cff3000000ffffull;
	sys_desc(&gdt[SEL_TSS >> 3], UMIP_TSS_GPA, UMIP_TSS_LIMIT, 9);
	sys_desc(&gdt[SEL_LDT >> 3], UMIP_LDT_GPA, UMIP_LDT_LIMIT, LDT_TYPE);
	memset(tss, 0, UMIP_TSS_LIMIT + 1);
	memcpy((uint8_t *)tss + 4, &(uint64_t){ UMIP_RSP0 }, 8);
	memset(vtx_gpa2hva(vm, UMIP_LDT_GPA), 0, UMIP_LDT_LIMIT + 1);
	pml4[0] |= PTE_USER;
	pdpt[0] |= PTE_USER;
	for (i = 0; i < 512; i++)
		pd[i] |= PTE_USER;
	memset(out, 0, OUT_TSC_ADJ + 8);
	memcpy(out + OUT_LGDT_SRC, &limit2, 2);
	memcpy(out + OUT_LGDT_SRC + 2, &base, 8);
	memcpy(out + OUT_LLDT_SRC, &ldt_sel, 2);

	vtx_get_sregs(vcpu, &sregs);
	sregs.gdt.limit = UMIP_GDT_ENTRIES * 8 - 1;
	vtx_set_sregs(vcpu, &sregs);
}

static void expect_dtr(struct __test_metadata *_metadata,
		       struct vtx_vcpu *vcpu, unsigned int off,
		       const struct kvm_dtable *dt)
{
	uint8_t *out = vtx_gpa2hva(vcpu->vm, UMIP_OUT_GPA) + off;
	uint16_t limit;
	uint64_t base;

	memcpy(&limit, out, 2);
	memcpy(&base, out + 2, 8);
	EXPECT_EQ(dt->limit, limit) TH_LOG("stored at +%u", off);
	EXPECT_EQ(dt->base, base) TH_LOG("stored at +%u", off);
}

TEST(umip_cpl0_cpl3)
{
	struct kvm_sregs sregs;
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;
	uint8_t *out, *gdt;
	uint64_t v;

	if (!cpu_has(7, CPUID_ECX, CPUID_7_ECX_UMIP))
		SKIP(return, "%s offers no UMIP", DRIVER);
	vcpu = guest_create(VTX_MODE_LONG64, umip_guest, umip_guest_end,
			    umip_stubs);
	vcpu_set_supported_cpuid(vcpu);
	setup_cpl3(vcpu);
	out = vtx_gpa2hva(vcpu->vm, UMIP_OUT_GPA);
	gdt = vtx_gpa2hva(vcpu->vm, VTX_GDT_GPA);

	vtx_get_sregs(vcpu, &sregs);
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	expect_dtr(_metadata, vcpu, OUT_SGDT, &sregs.gdt);
	expect_dtr(_metadata, vcpu, OUT_SIDT, &sregs.idt);

	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(CR4_UMIP_BIT, uc.regs.rbx & CR4_UMIP_BIT) TH_LOG("CR4.UMIP");
	vtx_get_sregs(vcpu, &sregs);
	EXPECT_EQ(CR4_UMIP_BIT, sregs.cr4 & CR4_UMIP_BIT);

	/* CPL 0 with CR4.UMIP: the loads and stores all work */
	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	vtx_get_sregs(vcpu, &sregs);
	EXPECT_EQ(UMIP_GDT_LIMIT2, sregs.gdt.limit);
	EXPECT_EQ(VTX_GDT_GPA, sregs.gdt.base);
	expect_dtr(_metadata, vcpu, OUT_SGDT2, &sregs.gdt);
	expect_dtr(_metadata, vcpu, OUT_SIDT2, &sregs.idt);
	EXPECT_EQ(SEL_TSS, sregs.tr.selector);
	EXPECT_EQ(UMIP_TSS_GPA, sregs.tr.base);
	EXPECT_EQ(UMIP_TSS_LIMIT, sregs.tr.limit);
	EXPECT_EQ(TSS_BUSY_TYPE, sregs.tr.type);
	EXPECT_EQ(0x80 | TSS_BUSY_TYPE, gdt[SEL_TSS + DESC_TYPE_BYTE])
		TH_LOG("LTR marks the descriptor busy in memory");
	EXPECT_EQ(SEL_LDT, sregs.ldt.selector);
	EXPECT_EQ(UMIP_LDT_GPA, sregs.ldt.base);
	EXPECT_EQ(UMIP_LDT_LIMIT, sregs.ldt.limit);
	EXPECT_EQ(LDT_TYPE, sregs.ldt.type);
	EXPECT_EQ(0, sregs.ldt.unusable);
	EXPECT_EQ(SEL_LDT, out[OUT_SLDT] | out[OUT_SLDT + 1] << 8);
	EXPECT_EQ(0xffffffffffff0000ull | SEL_TSS, uc.regs.rbx) TH_LOG("STR r16");
	EXPECT_EQ(SEL_LDT, uc.regs.rcx) TH_LOG("SLDT r32");
	EXPECT_EQ(SEL_TSS, uc.regs.rdx) TH_LOG("STR r64");

	/* MSRs emulated whatever the processor has */
	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(PLAT_INFO_CPUID_FAULT, uc.regs.rbx & PLAT_INFO_CPUID_FAULT);
	memcpy(&v, out + OUT_ARCH_CAPS, 8);
	EXPECT_EQ(vcpu_get_msr(vcpu, MSR_IA32_ARCH_CAPABILITIES), v);
	memcpy(&v, out + OUT_TSC_ADJ, 8);
	EXPECT_EQ(UMIP_TSC_ADJ, v);
	EXPECT_EQ(UMIP_TSC_ADJ, vcpu_get_msr(vcpu, MSR_IA32_TSC_ADJUST));
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	EXPECT_EQ(1, vcpu_get_msr(vcpu, MSR_MISC_FEATURES_ENABLES));

	/*
	 * LLDT, LTR of a TI=1 selector: #GP(selector) (vtx took a selector
	 * 4..7 for a null one until session 15); KVM 6.1 gives LTR #GP(0).
	 */
	RUN_EXC(vcpu, GP_VECTOR, 4, VTX_BLOB_GPA(umip_guest, umip_lldt_ti),
		&uc);
	RUN_EXC(vcpu, GP_VECTOR, IS_KVM ? 0 : SEL_TSS | 4,
		VTX_BLOB_GPA(umip_guest, umip_ltr_ti), &uc);
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	vtx_get_sregs(vcpu, &sregs);
	EXPECT_EQ(SEL_LDT, sregs.ldt.selector);
	EXPECT_EQ(0, sregs.ldt.unusable);
	EXPECT_EQ(SEL_TSS, sregs.tr.selector);

	/* CPL 3: #GP(0) for each, and nothing stored */
	RUN_EXC(vcpu, GP_VECTOR, 0, VTX_BLOB_GPA(umip_guest, umip_sgdt), &uc);
	RUN_EXC(vcpu, GP_VECTOR, 0, VTX_BLOB_GPA(umip_guest, umip_sidt), &uc);
	RUN_EXC(vcpu, GP_VECTOR, 0, VTX_BLOB_GPA(umip_guest, umip_sldt), &uc);
	RUN_EXC(vcpu, GP_VECTOR, 0, VTX_BLOB_GPA(umip_guest, umip_str), &uc);
	RUN_EXC(vcpu, GP_VECTOR, 0, VTX_BLOB_GPA(umip_guest, umip_cpuid), &uc);
	TH_LOG("CPUID faulting: #GP at CPL 3");
	RUN_UCALL(vcpu, UCALL_DONE, &uc);
	for (v = 0; v < 16; v++)
		EXPECT_EQ(0, out[OUT_USER + v]);
	EXPECT_EQ(7, guest_exc_count(vcpu, GP_VECTOR));
	vtx_vm_free(vcpu->vm);
}

/* MSR_PLATFORM_INFO bits 15:8: the maximum non-turbo ratio */
#define PLAT_INFO_RATIO		0xff00

/*
 * The supported CPUID and the MSR lists offer what is emulated: TSC_ADJUST
 * and ARCH_CAPABILITIES (a feature MSR too, readable on the system fd,
 * the same value a new vCPU has), which only userspace may write; CPUID
 * faulting can't be taken away from a vCPU that has it on.
 */
TEST(emulated_feature_msrs)
{
	uint32_t idx = MSR_IA32_ARCH_CAPABILITIES;
	struct vtx_vcpu *vcpu;
	uint64_t sys = 0, zero = 0, plat_ratio = PLAT_INFO_CPUID_FAULT | PLAT_INFO_RATIO;
	int fd = vtx_open_device();

	EXPECT_TRUE(cpu_has(7, CPUID_EBX, CPUID_7_EBX_TSC_ADJ));
	EXPECT_TRUE(cpu_has(7, CPUID_EDX, CPUID_7_EDX_ARCH_CAPS));
	ASSERT_EQ(1, msrs_io(fd, KVM_GET_MSRS, 1, &idx, &sys));
	close(fd);

	vcpu = vtx_create_guest(VTX_MODE_LONG64, umip_guest, umip_guest_end);
	vcpu_set_supported_cpuid(vcpu);
	EXPECT_EQ(sys, vcpu_get_msr(vcpu, MSR_IA32_ARCH_CAPABILITIES));
	vcpu_set_msr(vcpu, MSR_IA32_ARCH_CAPABILITIES, 0);
	EXPECT_EQ(0, vcpu_get_msr(vcpu, MSR_IA32_ARCH_CAPABILITIES));
	EXPECT_EQ(0, vcpu_get_msr(vcpu, MSR_IA32_TSC_ADJUST));
	vcpu_set_msr(vcpu, MSR_IA32_TSC_ADJUST, 12345);
	EXPECT_EQ(12345, vcpu_get_msr(vcpu, MSR_IA32_TSC_ADJUST));
	EXPECT_EQ(PLAT_INFO_CPUID_FAULT, vcpu_get_msr(vcpu, MSR_PLATFORM_INFO));
	vcpu_set_msr(vcpu, MSR_MISC_FEATURES_ENABLES, 1);
	idx = MSR_PLATFORM_INFO;
	EXPECT_EQ(0, msrs_io(vcpu->fd, KVM_SET_MSRS, 1, &idx, &zero))
		TH_LOG("PLATFORM_INFO without CPUID faulting while it is on");
	vcpu_set_msr(vcpu, MSR_MISC_FEATURES_ENABLES, 0);
	EXPECT_EQ(1, msrs_io(vcpu->fd, KVM_SET_MSRS, 1, &idx, &zero));
	EXPECT_EQ(0, vcpu_get_msr(vcpu, MSR_PLATFORM_INFO));
	/* any other bits too, as KVM (the non-turbo ratio, bits 15:8) */
	EXPECT_EQ(1, msrs_io(vcpu->fd, KVM_SET_MSRS, 1, &idx, &plat_ratio));
	EXPECT_EQ(plat_ratio, vcpu_get_msr(vcpu, MSR_PLATFORM_INFO));
	vtx_vm_free(vcpu->vm);
}

/*
 * INVPCID runs when the vCPU's CPUID offers it and raises #UD when the
 * table lacks it, whatever the processor has (as kvm_intel).
 */
TEST(invpcid_follows_cpuid)
{
	struct kvm_cpuid_entry2 *e;
	struct kvm_cpuid2 *c;
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;
	int pass;

	if (!cpu_has(7, CPUID_EBX, CPUID_7_EBX_INVPCID))
		SKIP(return, "%s offers no INVPCID", DRIVER);
	for (pass = 0; pass < 2; pass++) {
		vcpu = guest_create(VTX_MODE_LONG64, invpcid_guest,
				    invpcid_guest_end, invpcid_stubs);
		c = cpuid_alloc(supported_cpuid()->nent);
		memcpy(c->entries, supported_cpuid()->entries,
		       c->nent * sizeof(c->entries[0]));
		e = cpuid_find(c, 1, 0);
		if (e)
			e->ecx &= ~(1u << 5);	/* VMX */
		e = cpuid_find(c, 7, 0);
		ASSERT_NE(NULL, e);
		if (pass)
			e->ebx &= ~(1u << CPUID_7_EBX_INVPCID);
		vtx_ioctl(vcpu->fd, KVM_SET_CPUID2, c);
		free(c);
		if (pass)
			RUN_EXC(vcpu, UD_VECTOR, 0,
				VTX_BLOB_GPA(invpcid_guest, invpcid_insn), &uc);
		RUN_UCALL(vcpu, UCALL_DONE, &uc);
		EXPECT_EQ(pass, guest_exc_count(vcpu, UD_VECTOR))
			TH_LOG("CPUID %s INVPCID", pass ? "without" : "with");
		vtx_vm_free(vcpu->vm);
	}
}

VTX_TEST_MAIN
