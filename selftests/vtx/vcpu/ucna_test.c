// SPDX-License-Identifier: GPL-2.0
/*
 * Uncorrected errors needing no action (UCNA) and the corrected machine
 * check interrupt (CMCI), as KVM has them with MCG_CMCI_P (KVM 6.1's
 * ucna_injection_test covers the same from another angle), on vtx and on
 * kvm_intel:
 *
 *   - KVM_X86_GET_MCE_CAP_SUPPORTED offers MCG_CMCI_P;
 *   - without MCG_CMCI_P: the guest's RDMSR/WRMSR of MCi_CTL2 #GP;
 *     userspace reads it (0) and may write 0, nothing else;
 *   - with MCG_CMCI_P: KVM_X86_SETUP_MCE clears MCi_CTL2; CMCI_EN and the
 *     threshold are writable, a reserved bit #GPs (and fails
 *     KVM_SET_MSRS); a bank beyond MCG_CAP's count #GPs;
 *   - the local APIC has the CMCI LVT (LVR's max-LVT field, masked);
 *     KVM_X86_SET_MCE of a UCNA records STATUS/ADDR/MISC, raises no #MC,
 *     and signals the LVT's vector once when CMCI_EN is set, not when it
 *     is clear or the LVT is masked.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vcpu_test.h"
#include "ucna.h"

extern const uint8_t ucna_guest[], ucna_guest_end[], ucna_guest_stubs[];
extern const uint8_t ucna_nocmci_entry[], ucna_ctl2_entry[],
	ucna_cmci_entry[];

/* MCG_CAP (SDM vol. 3B 16.3.1.1) */
#define MCG_CTL_P		(1ull << 8)
#define MCG_CMCI_P		(1ull << 10)
#define MCG_BANKCNT_MASK	0xffull
/* MCi_STATUS */
#define MCI_STATUS_VAL		(1ull << 63)
#define MCI_STATUS_UC		(1ull << 61)
#define MCI_STATUS_EN		(1ull << 60)
#define MCI_STATUS_MISCV	(1ull << 59)
#define MCI_STATUS_ADDRV	(1ull << 58)
/* A memory read error (MSCOD 1, MCACOD 0x0090), as ucna_injection_test */
#define UCNA_CODE		0x10090ull
#define UCNA_STATUS		(MCI_STATUS_VAL | MCI_STATUS_UC | \
				 MCI_STATUS_EN | MCI_STATUS_MISCV | \
				 MCI_STATUS_ADDRV | UCNA_CODE)
/* MCi_MISC: physical address mode, LSB 12 (a 4 KiB granule) */
#define UCNA_MISC		((2ull << 6) | 0xc)
#define UCNA_ADDR(n)		(0xdead0000ull + 0x1000 * (n))

#define PTE_P			(1ull << 0)
#define PTE_RW			(1ull << 1)
#define PTE_PCD			(1ull << 4)
#define PTE_PS			(1ull << 7)
#define PAGE_2M			(1ull << 21)
#define LAPIC_REG(s, off)	(*(uint32_t *)&(s)->regs[off])
#define LVR_MAX_LVT(v)		(((v) >> 16) & 0xff)
#define VEC_BIT(v)		(1u << ((v) % 32))
#define APIC_IRR		0x200
static uint64_t mce_cap_supported(struct vtx_vm *vm)
{
	uint64_t cap = 0;

	vtx_ioctl(vm->dev_fd, KVM_X86_GET_MCE_CAP_SUPPORTED, &cap);
	return cap;
}

static long setup_mce(struct vtx_vcpu *vcpu, uint64_t cap)
{
	return __vtx_ioctl(vcpu->fd, KVM_X86_SETUP_MCE, &cap);
}

/* A long-mode vCPU 0 at @entry of the blob, IF = 1, the IDT's stubs. */
static struct vtx_vcpu *ucna_vcpu(struct vtx_vm *vm, const uint8_t *entry)
{
	struct vtx_vcpu *vcpu;
	struct kvm_regs regs;

	vtx_load_code(vm, VTX_CODE_GPA, ucna_guest, ucna_guest_end);
	vcpu = vtx_vcpu_add(vm, 0);
	vtx_setup_mode(vcpu, VTX_MODE_LONG64, VTX_BLOB_GPA(ucna_guest, entry));
	vcpu_set_supported_cpuid(vcpu);
	guest_idt_setup(vcpu, VTX_MODE_LONG64,
			VTX_BLOB_GPA(ucna_guest, ucna_guest_stubs));
	vtx_get_regs(vcpu, &regs);
	regs.rsp = STACKS_GPA + STACK_SIZE;
	regs.rflags |= RFLAGS_IF;
	vtx_set_regs(vcpu, &regs);
	return vcpu;
}

static long get_msr(struct vtx_vcpu *vcpu, uint32_t index, uint64_t *data)
{
	*data = ~0ull;
	return msrs_io(vcpu->fd, KVM_GET_MSRS, 1, &index, data);
}

static long set_msr(struct vtx_vcpu *vcpu, uint32_t index, uint64_t data)
{
	return msrs_io(vcpu->fd, KVM_SET_MSRS, 1, &index, &data);
}

static void inject_ucna(struct vtx_vcpu *vcpu, unsigned int n)
{
	struct kvm_x86_mce m = {
		.status = UCNA_STATUS,
		.addr = UCNA_ADDR(n),
		.misc = UCNA_MISC,
		.bank = UCNA_BANK,
	};

	vtx_ioctl(vcpu->fd, KVM_X86_SET_MCE, &m);
}

TEST(cmci_p_supported)
{
	struct vtx_vm *vm = vtx_vm_create_default();

	EXPECT_TRUE(mce_cap_supported(vm) & MCG_CMCI_P)
		TH_LOG("KVM_X86_GET_MCE_CAP_SUPPORTED: %#llx",
		       (unsigned long long)mce_cap_supported(vm));
	vtx_vm_free(vm);
}

TEST(ctl2_without_cmci_p)
{
	struct vtx_vm *vm = vtx_vm_create_default();
	struct vtx_vcpu *vcpu = ucna_vcpu(vm, ucna_nocmci_entry);
	struct vtx_ucall uc;
	uint64_t v;

	ASSERT_EQ(0, setup_mce(vcpu, MCG_CTL_P | UCNA_NBANKS));
	RUN_EXC(vcpu, GP_VECTOR, 0, ~0ull, &uc);
	RUN_EXC(vcpu, GP_VECTOR, 0, ~0ull, &uc);
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	EXPECT_EQ(1, uc.regs.rbx);
	/* userspace, as KVM: reads 0, may write 0 and nothing else */
	EXPECT_EQ(1, get_msr(vcpu, MC_CTL2(UCNA_BANK), &v));
	EXPECT_EQ(0, v);
	EXPECT_EQ(1, set_msr(vcpu, MC_CTL2(UCNA_BANK), 0));
	EXPECT_EQ(0, set_msr(vcpu, MC_CTL2(UCNA_BANK), CTL2_CMCI_EN));
	/* beyond the banks: not even userspace */
	EXPECT_EQ(0, get_msr(vcpu, MC_CTL2(UCNA_NBANKS), &v));
	vtx_vm_free(vm);
}

TEST(ctl2_with_cmci_p)
{
	struct vtx_vm *vm = vtx_vm_create_default();
	struct vtx_vcpu *vcpu = ucna_vcpu(vm, ucna_ctl2_entry);
	uint64_t cap = MCG_CTL_P | MCG_CMCI_P | UCNA_NBANKS, v;
	struct vtx_ucall uc;

	ASSERT_EQ(0, setup_mce(vcpu, cap)) TH_LOG("KVM_X86_SETUP_MCE: %s",
						  strerror(errno));
	/* userspace's value goes away with the next KVM_X86_SETUP_MCE */
	EXPECT_EQ(1, set_msr(vcpu, MC_CTL2(UCNA_BANK), CTL2_CMCI_EN | 5));
	EXPECT_EQ(1, get_msr(vcpu, MC_CTL2(UCNA_BANK), &v));
	EXPECT_EQ(CTL2_CMCI_EN | 5, v);
	EXPECT_EQ(0, set_msr(vcpu, MC_CTL2(UCNA_BANK),
			     CTL2_CMCI_EN | CTL2_RESERVED));
	ASSERT_EQ(0, setup_mce(vcpu, cap));
	EXPECT_EQ(1, get_msr(vcpu, MSR_IA32_MCG_CAP, &v));
	EXPECT_EQ(cap, v);

	REPORT(vcpu, 0, "MCi_CTL2 after KVM_X86_SETUP_MCE");
	REPORT(vcpu, CTL2_CMCI_EN | CTL2_THRESHOLD, "MCi_CTL2 written");
	RUN_EXC(vcpu, GP_VECTOR, 0, ~0ull, &uc);	/* reserved bit 29 */
	RUN_EXC(vcpu, GP_VECTOR, 0, ~0ull, &uc);	/* reserved bit 32 */
	REPORT(vcpu, CTL2_CMCI_EN | CTL2_THRESHOLD, "MCi_CTL2 unchanged");
	RUN_EXC(vcpu, GP_VECTOR, 0, ~0ull, &uc);	/* no such bank */
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	EXPECT_EQ(1, uc.regs.rbx);
	EXPECT_EQ(1, get_msr(vcpu, MC_CTL2(UCNA_BANK), &v));
	EXPECT_EQ(CTL2_CMCI_EN | CTL2_THRESHOLD, v);
	vtx_vm_free(vm);
}

/* PML4[0] -> PDPT[3] -> a PD with the APIC's 2 MiB page. */
static void map_apic(struct vtx_vm *vm)
{
	uint64_t *pdpt = vtx_gpa2hva(vm, VTX_PDPT_GPA);
	uint64_t *pd = vtx_gpa2hva(vm, UCNA_PD_GPA);

	memset(pd, 0, VTX_PAGE_SIZE);
	pd[APIC_PD_INDEX] = (APIC_GPA & ~(PAGE_2M - 1)) | PTE_P | PTE_RW |
			    PTE_PS | PTE_PCD;
	pdpt[UCNA_PDPT_INDEX] = UCNA_PD_GPA | PTE_P | PTE_RW;
}

/* The bank holds UCNA @n, and no machine check is in progress. */
static int bank_holds(struct vtx_vcpu *vcpu, unsigned int n)
{
	uint32_t index[] = { MC_STATUS(UCNA_BANK), MC_ADDR(UCNA_BANK),
			     MC_MISC(UCNA_BANK), MSR_IA32_MCG_STATUS };
	uint64_t data[4] = {};

	if (msrs_io(vcpu->fd, KVM_GET_MSRS, 4, index, data) != 4)
		return -1;
	if (data[0] != UCNA_STATUS || data[1] != UCNA_ADDR(n) ||
	    data[2] != UCNA_MISC || data[3])
		return 0;
	return 1;
}

TEST(ucna_signals_cmci)
{
	struct vtx_vm *vm = vtx_vm_create_default();
	struct kvm_lapic_state s;
	struct vtx_vcpu *vcpu;
	uint32_t lvr;
	uint64_t v;

	ASSERT_EQ(0, __vtx_ioctl_raw(vm->fd, KVM_CREATE_IRQCHIP, 0))
		TH_LOG("KVM_CREATE_IRQCHIP: %s", strerror(errno));
	vcpu = ucna_vcpu(vm, ucna_cmci_entry);
	map_apic(vm);
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_GET_LAPIC, &s));
	lvr = LAPIC_REG(&s, APIC_LVR);
	EXPECT_EQ(5, LVR_MAX_LVT(lvr)) TH_LOG("6 LVTs before MCG_CMCI_P");
	ASSERT_EQ(0, setup_mce(vcpu, MCG_CTL_P | MCG_CMCI_P | UCNA_NBANKS))
		TH_LOG("KVM_X86_SETUP_MCE: %s", strerror(errno));
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_GET_LAPIC, &s));
	EXPECT_EQ(6, LVR_MAX_LVT(LAPIC_REG(&s, APIC_LVR)))
		TH_LOG("LVR %#x: the CMCI LVT is the 7th",
		       LAPIC_REG(&s, APIC_LVR));
	EXPECT_EQ(LVT_MASKED, LAPIC_REG(&s, APIC_LVTCMCI));

	RUN_UNTIL_VEC(vcpu, UCALL_REPORT, RUN_ANY_IRQ, &v);
	EXPECT_EQ(6, LVR_MAX_LVT(v)) TH_LOG("the guest's LVR: %#llx",
					    (unsigned long long)v);
	REPORT(vcpu, LVT_MASKED, "LVT CMCI at reset");

	/* 1: CMCI_EN, the LVT unmasked: one CMCI */
	STEP(vcpu, 1);
	inject_ucna(vcpu, 1);
	EXPECT_EQ(1, bank_holds(vcpu, 1));
	REPORT(vcpu, UCNA_ADDR(1), "MCi_ADDR in the guest");
	EXPECT_EQ(1, guest_exc_count(vcpu, CMCI_VEC));

	/* 2: CMCI_EN clear: recorded, not signalled */
	STEP(vcpu, 2);
	inject_ucna(vcpu, 2);
	EXPECT_EQ(1, bank_holds(vcpu, 2));
	REPORT(vcpu, 1, "CMCIs after a UCNA without CMCI_EN");
	REPORT(vcpu, UCNA_ADDR(2), "MCi_ADDR in the guest");

	/* 3: CMCI_EN, the LVT masked: recorded, not signalled */
	STEP(vcpu, 3);
	inject_ucna(vcpu, 3);
	EXPECT_EQ(1, bank_holds(vcpu, 3));
	REPORT(vcpu, 1, "CMCIs after a UCNA with the LVT masked");
	REPORT(vcpu, UCNA_ADDR(3), "MCi_ADDR in the guest");
	RUN_UNTIL_VEC(vcpu, UCALL_DONE, RUN_ANY_IRQ, &v);
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_GET_LAPIC, &s));
	EXPECT_EQ(0, LAPIC_REG(&s, APIC_IRR + 0x10 * (CMCI_VEC / 32)) &
		     VEC_BIT(CMCI_VEC)) TH_LOG("a CMCI left pending");
	EXPECT_EQ(1, guest_exc_count(vcpu, CMCI_VEC));
	EXPECT_EQ(0, guest_exc_count(vcpu, MC_VEC)) TH_LOG("a UCNA is no #MC");
	vtx_vm_free(vm);
}

VTX_TEST_MAIN
