// SPDX-License-Identifier: GPL-2.0
/*
 * A guest's own page tables, changed under it: what the processor's
 * paging gives with EPT and what vtx's shadow page tables must give
 * without it (vtx ept=0, Documentation/vtx/design.rst section 8.2).
 * A 4 KiB window at 1 GiB whose PTEs the guest rewrites: INVLPG after a
 * change, a not-present entry made present (no invalidation needed), the
 * accessed and dirty bits, a read-only page under CR0.WP=0 and =1, CR3
 * switches between two address spaces (and MOV from CR3), a PTE to a frame
 * in no memslot (MMIO exit), a reserved bit (#PF with RSVD).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vcpu_test.h"
#include "paging.h"

extern const uint8_t paging_guest[], paging_guest_end[], paging_stubs[],
	paging_np[], paging_ro[], paging_rsvd[], paging_real_guest[],
	paging_real_guest_end[], maxphy_guest[], maxphy_guest_end[],
	maxphy_stubs[], maxphy_movs_rsvd[], maxphy_movs_xd[],
	maxphy_movs_ps[], maxphy_read_start[], maxphy_read_rsvd[],
	maxphy32_guest[], maxphy32_guest_end[], maxphy32_stubs[],
	maxphy32_movs[], maxphyp_guest[], maxphyp_guest_end[],
	maxphyp_stubs[], maxphyp_movs55[], maxphyp_movs37[],
	maxphyp_read37[], pg32_guest[], pg32_guest_end[], pg32_stubs[],
	pg32_guest_np[], pg32_guest_ro[], pg32_guest_rsvd[], pg32_guest_big[],
	pgpae_guest[], pgpae_guest_end[], pgpae_stubs[], pgpae_guest_np[],
	pgpae_guest_ro[], pgpae_guest_rsvd[], pgpae_guest_big[],
	pgpae_guest_badcr3[];

#define PF_VECTOR		14
#define PF_PROT			0x1
#define PF_WRITE		0x2
#define PF_USER			0x4
#define PF_RSVD			0x8
#define PF_INSTR		0x10
#define GP_VEC			13
#define PG_US			0x4
#define CPUID_7_EBX_SMEP	7
#define CPUID_EXT_BASE		0x80000000u
#define CPUID_ADDR_SIZES	0x80000008u
#define MSR_MTRR_PHYSBASE0	0x200
#define APIC_BASE_DEFAULT	0xfee00900ull	/* xAPIC enabled, BSP */

static uint64_t *table(struct vtx_vm *vm, uint64_t gpa)
{
	uint64_t *t = vtx_gpa2hva(vm, gpa);

	memset(t, 0, 4096);
	return t;
}

static void setup_tables(struct vtx_vcpu *vcpu)
{
	struct vtx_vm *vm = vcpu->vm;
	uint64_t *pdpt = vtx_gpa2hva(vm, VTX_PDPT_GPA);
	uint64_t *pd = table(vm, PG_PD_GPA), *pt = table(vm, PG_PT_GPA);
	uint64_t *pml4b = table(vm, PG_PML4B_GPA);
	uint64_t *pdptb = table(vm, PG_PDPTB_GPA);
	uint64_t *pdb = table(vm, PG_PDB_GPA), *ptb = table(vm, PG_PTB_GPA);
	const uint64_t rw = PG_P | PG_RW;

	pdpt[1] = PG_PD_GPA | rw;
	pd[0] = PG_PT_GPA | rw;
	pt[0] = PG_DATA_A | rw;
	pt[2] = PG_DATA_C | PG_P;
	pt[3] = PG_MMIO_GPA | rw;
	pt[4] = PG_DATA_A | rw | 1ull << PG_RSVD_BIT;
	*(uint64_t *)vtx_gpa2hva(vm, PG_DATA_A) = PG_MARK_A;
	*(uint64_t *)vtx_gpa2hva(vm, PG_DATA_B) = PG_MARK_B;
	*(uint64_t *)vtx_gpa2hva(vm, PG_DATA_C) = PG_MARK_C;

	pml4b[0] = PG_PDPTB_GPA | rw;
	pdptb[0] = VTX_PD_GPA | rw;
	pdptb[1] = PG_PDB_GPA | rw;
	pdb[0] = PG_PTB_GPA | rw;
	ptb[0] = PG_DATA_A | rw;
}

#define REPORTS(want, what) do {					\
	RUN_UCALL(vcpu, UCALL_REPORT, &uc);				\
	EXPECT_EQ((uint64_t)(want), uc.regs.rbx) TH_LOG("%s", what);	\
} while (0)

TEST(guest_page_tables)
{
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;
	struct kvm_run *run;
	uint64_t *pt, *pd, *pdpt;

	vcpu = guest_create(VTX_MODE_LONG64, paging_guest, paging_guest_end,
			    paging_stubs);
	setup_tables(vcpu);
	pt = vtx_gpa2hva(vcpu->vm, PG_PT_GPA);
	pd = vtx_gpa2hva(vcpu->vm, PG_PD_GPA);
	pdpt = vtx_gpa2hva(vcpu->vm, VTX_PDPT_GPA);
	run = vcpu->run;

	REPORTS(PG_MARK_A, "1: the window reads DATA_A");
	EXPECT_EQ(PG_A, pd[0] & PG_A) TH_LOG("1: PDE accessed");
	EXPECT_EQ(PG_A, pdpt[1] & PG_A) TH_LOG("1: PDPTE accessed");
	EXPECT_EQ(PG_A, pt[0] & (PG_A | PG_D)) TH_LOG("1: PTE accessed, clean");

	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	EXPECT_EQ(2, uc.regs.rbx);
	EXPECT_EQ(PG_A | PG_D, pt[0] & (PG_A | PG_D)) TH_LOG("2: PTE dirty");
	EXPECT_EQ(PG_MARK_W, *(uint64_t *)vtx_gpa2hva(vcpu->vm, PG_DATA_A));

	REPORTS(PG_MARK_B, "3: the guest's new PTE, after INVLPG");

	RUN_EXC(vcpu, PF_VECTOR, 0, VTX_BLOB_GPA(paging_guest, paging_np),
		&uc);
	EXPECT_EQ(PG_WIN + 0x1000, uc.regs.rsi) TH_LOG("4: CR2");
	REPORTS(PG_MARK_C, "4: the entry made present");

	REPORTS(PG_MARK_W2, "5: CR0.WP=0: CPL 0 wrote a read-only page");
	EXPECT_EQ(PG_A | PG_D, pt[2] & (PG_A | PG_D)) TH_LOG("5: PTE dirty");
	RUN_EXC(vcpu, PF_VECTOR, PF_PROT | PF_WRITE,
		VTX_BLOB_GPA(paging_guest, paging_ro), &uc);
	EXPECT_EQ(PG_WIN + 0x2000, uc.regs.rsi) TH_LOG("5: CR2");
	REPORTS(PG_MARK_W2, "5: CR0.WP=1: the write faulted");

	REPORTS(PG_MARK_W, "6: the second address space");
	EXPECT_EQ(PG_PML4B_GPA, uc.regs.rcx) TH_LOG("6: MOV from CR3");
	REPORTS(PG_MARK_B, "6: back to the first");
	EXPECT_EQ(VTX_PML4_GPA, uc.regs.rcx) TH_LOG("6: MOV from CR3");
	REPORTS(PG_MARK_W, "6: the second again");

	vtx_run(vcpu);
	ASSERT_EQ(KVM_EXIT_MMIO, run->exit_reason)
		TH_LOG("7: %s", describe_exit(vcpu));
	EXPECT_EQ(PG_MMIO_GPA, run->mmio.phys_addr);
	EXPECT_EQ(8, run->mmio.len);
	EXPECT_EQ(0, run->mmio.is_write);
	*(uint64_t *)run->mmio.data = PG_MMIO_VALUE;
	REPORTS(PG_MMIO_VALUE, "7: the MMIO read's value");

	RUN_EXC(vcpu, PF_VECTOR, PF_PROT | PF_RSVD,
		VTX_BLOB_GPA(paging_guest, paging_rsvd), &uc);
	EXPECT_EQ(PG_WIN + 0x4000, uc.regs.rsi) TH_LOG("8: CR2");
	RUN_UCALL(vcpu, UCALL_DONE, &uc);
	vtx_vm_free(vcpu->vm);
}

/* Does vtx translate with shadow page tables (ept=0)? */
/*
 * A real-mode guest runs on either driver, with EPT (unrestricted guest)
 * or without (vm86: kvm_intel, and vtx since session 16).
 */
TEST(real_mode_guest)
{
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;

	vcpu = vtx_create_guest(VTX_MODE_REAL, paging_real_guest,
				paging_real_guest_end);
	RUN_UCALL(vcpu, UCALL_DONE, &uc);
	vtx_vm_free(vcpu->vm);
}

/* Is the driver's ept parameter off (shadow paging, on either driver)? */
static bool ept_off(void)
{
	return !driver_uses_ept();
}

/*
 * A vCPU whose CPUID offers MAXPHYADDR @bits (the supported table with
 * leaf 80000008H EAX[7:0] changed); the host's width in *@host.  NULL
 * when the table has no leaf 80000008H.
 */
static struct vtx_vcpu *maxphy_vcpu(unsigned int bits, unsigned int *host)
{
	struct vtx_vm *vm = vtx_vm_create_default();
	struct vtx_vcpu *vcpu = vtx_vcpu_add(vm, 0);
	struct kvm_cpuid2 *c = guest_cpuid_copy();
	struct kvm_cpuid_entry2 *ext = cpuid_find(c, CPUID_EXT_BASE, 0);
	struct kvm_cpuid_entry2 *e = cpuid_find(c, CPUID_ADDR_SIZES, 0);

	if (!ext || ext->eax < CPUID_ADDR_SIZES || !e) {
		free(c);
		vtx_vm_free(vm);
		return NULL;
	}
	*host = e->eax & 0xff;
	e->eax = (e->eax & ~0xffu) | bits;
	vtx_ioctl(vcpu->fd, KVM_SET_CPUID2, c);
	free(c);
	return vcpu;
}

/*
 * Issue 19: what holds a guest-physical address is checked against the
 * vCPU's MAXPHYADDR, not the host's: KVM_SET_SREGS's CR3 in long mode,
 * IA32_APIC_BASE (KVM_SET_MSRS and KVM_SET_SREGS), IA32_MTRR_PHYSBASE0.
 */
TEST(maxphyaddr_state)
{
	uint32_t idx[] = { MSR_MTRR_PHYSBASE0, MSR_IA32_APICBASE };
	uint64_t rsvd = 1ull << MP_RSVD_BIT, data;
	struct kvm_sregs sregs, good;
	struct vtx_vcpu *vcpu;
	unsigned int host;

	vcpu = maxphy_vcpu(MP_MAXPHYADDR, &host);
	if (!vcpu)
		SKIP(return, "no CPUID leaf 80000008H");
	if (host <= MP_RSVD_BIT) {
		vtx_vm_free(vcpu->vm);
		SKIP(return, "host MAXPHYADDR %u", host);
	}
	vtx_setup_mode(vcpu, VTX_MODE_LONG64, VTX_CODE_GPA);
	vtx_get_sregs(vcpu, &good);

	sregs = good;
	sregs.cr3 = rsvd | VTX_PML4_GPA;
	EXPECT_EQ(-EINVAL, __vtx_ioctl(vcpu->fd, KVM_SET_SREGS, &sregs))
		TH_LOG("CR3 with bit %d, MAXPHYADDR %d", MP_RSVD_BIT,
		       MP_MAXPHYADDR);
	sregs = good;
	sregs.apic_base = APIC_BASE_DEFAULT | rsvd;
	EXPECT_EQ(-EINVAL, __vtx_ioctl(vcpu->fd, KVM_SET_SREGS, &sregs))
		TH_LOG("SREGS' APIC base with bit %d", MP_RSVD_BIT);
	/* below MAXPHYADDR: accepted */
	sregs = good;
	sregs.cr3 = VTX_PML4_GPA | 1ull << (MP_MAXPHYADDR - 1);
	EXPECT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_SET_SREGS, &sregs));
	vtx_set_sregs(vcpu, &good);

	data = rsvd | 6;	/* write-back */
	EXPECT_EQ(0, msrs_io(vcpu->fd, KVM_SET_MSRS, 1, &idx[0], &data))
		TH_LOG("MTRR base with bit %d", MP_RSVD_BIT);
	data = 1ull << (MP_MAXPHYADDR - 1) | 6;
	EXPECT_EQ(1, msrs_io(vcpu->fd, KVM_SET_MSRS, 1, &idx[0], &data));
	data = APIC_BASE_DEFAULT | rsvd;
	EXPECT_EQ(0, msrs_io(vcpu->fd, KVM_SET_MSRS, 1, &idx[1], &data))
		TH_LOG("APIC base with bit %d", MP_RSVD_BIT);
	data = APIC_BASE_DEFAULT;
	EXPECT_EQ(1, msrs_io(vcpu->fd, KVM_SET_MSRS, 1, &idx[1], &data));
	vtx_vm_free(vcpu->vm);
}

/*
 * KVM_RUN, then through KVM_EXIT_MMIO exits (reads get @value) to the
 * next other exit (at most 4); in *@last the first MMIO address that was
 * not @device, else the last one (~0: none).  Return: whether any was
 * not @device.
 */
static bool run_past_mmio(struct vtx_vcpu *vcpu, uint64_t device,
			  uint64_t value, uint64_t *last)
{
	struct kvm_run *run = vcpu->run;
	bool other = false;
	int i;

	*last = ~0ull;
	for (i = 0; i < 4; i++) {
		vtx_run(vcpu);
		if (run->exit_reason != KVM_EXIT_MMIO)
			break;
		if (!other)
			*last = run->mmio.phys_addr;
		other |= run->mmio.phys_addr != device;
		if (!run->mmio.is_write)
			memcpy(run->mmio.data, &value, sizeof(value));
	}
	return other;
}

#define MP_EXPECT_PF(err, rip, cr2, what) do {				\
	EXPECT_FALSE(run_past_mmio(vcpu, PG_MMIO_GPA, PG_MMIO_VALUE,	\
				   &mmio))				\
		TH_LOG("%s: MMIO at 0x%llx", what,			\
		       (unsigned long long)mmio);			\
	ASSERT_EQ(UCALL_EXC, vtx_get_ucall(vcpu, &uc))			\
		TH_LOG("%s: %s", what, describe_exit(vcpu));		\
	EXPECT_EQ(PF_VECTOR, uc.regs.rbx) TH_LOG("%s", what);		\
	EXPECT_EQ((uint64_t)(err), uc.regs.rcx) TH_LOG("%s", what);	\
	EXPECT_EQ(VTX_BLOB_GPA(maxphy_guest, rip), uc.regs.rdx)	\
		TH_LOG("%s", what);					\
	EXPECT_EQ((uint64_t)(cr2), uc.regs.rsi) TH_LOG("%s: CR2", what); \
} while (0)

/*
 * The guest of the two tests below, with MAXPHYADDR 36 in its CPUID, its
 * window's PTEs set (PG_WIN: a device page, then frames with bit 37, with
 * XD, a good one; PML4[1] with PS), starting at @start.  NULL, with the
 * reason in @why, when the host's width leaves no bit between.
 */
static struct vtx_vcpu *maxphy_guest_create(const uint8_t *start,
					    const char **why)
{
	uint64_t *pml4, *pdpt, *pd, *pt, *pdptc, rsvd = 1ull << MP_RSVD_BIT;
	const uint64_t rw = PG_P | PG_RW;
	struct vtx_vcpu *vcpu;
	unsigned int host;

	vcpu = maxphy_vcpu(MP_MAXPHYADDR, &host);
	*why = "no CPUID leaf 80000008H";
	if (!vcpu)
		return NULL;
	*why = "the host's MAXPHYADDR is not above 37";
	if (host <= MP_RSVD_BIT) {
		vtx_vm_free(vcpu->vm);
		return NULL;
	}
	printf("# %s: host MAXPHYADDR %u, the vCPU's %d, ept %s\n", DRIVER,
	       host, MP_MAXPHYADDR, ept_off() ? "off" : "on");
	vtx_load_code(vcpu->vm, VTX_CODE_GPA, maxphy_guest, maxphy_guest_end);
	vtx_setup_mode(vcpu, VTX_MODE_LONG64, VTX_BLOB_GPA(maxphy_guest, start));
	guest_idt_setup(vcpu, VTX_MODE_LONG64,
			VTX_BLOB_GPA(maxphy_guest, maxphy_stubs));

	pml4 = vtx_gpa2hva(vcpu->vm, VTX_PML4_GPA);
	pdpt = vtx_gpa2hva(vcpu->vm, VTX_PDPT_GPA);
	pd = table(vcpu->vm, PG_PD_GPA);
	pt = table(vcpu->vm, PG_PT_GPA);
	pdptc = table(vcpu->vm, MP_PDPTC_GPA);
	pdpt[1] = PG_PD_GPA | rw;
	pd[0] = PG_PT_GPA | rw;
	pt[0] = PG_MMIO_GPA | rw;
	pt[1] = PG_DATA_A | rw | rsvd;
	pt[2] = PG_DATA_A | rw | rsvd;
	pt[3] = PG_DATA_B | rw | 1ull << MP_XD_BIT;
	pt[4] = PG_DATA_C | rw;
	pt[5] = PG_DATA_B | rw;
	pml4[1] = MP_PDPTC_GPA | rw | PG_PS;
	pdptc[0] = PG_PD_GPA | rw;
	*(uint64_t *)vtx_gpa2hva(vcpu->vm, PG_DATA_A) = PG_MARK_A;
	*(uint64_t *)vtx_gpa2hva(vcpu->vm, PG_DATA_B) = PG_MARK_B;
	*(uint64_t *)vtx_gpa2hva(vcpu->vm, PG_DATA_C) = PG_MARK_C;
	return vcpu;
}

/*
 * Issue 20 (and 19): the emulator's page walk as a processor of the
 * vCPU's MAXPHYADDR (36 here, the host's being larger) does it, on the
 * destination of a MOVS from a device page (kvm_intel walks it in its
 * emulator too): #PF with RSVD for a frame bit above the vCPU's
 * MAXPHYADDR, for XD while EFER.NXE = 0 and for PS in a PML4E, nothing
 * written; a good destination gets its accessed and dirty bits set.
 */
TEST(guest_maxphyaddr_emulated)
{
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;
	const char *why;
	uint64_t mmio, *pt;

	vcpu = maxphy_guest_create(maxphy_guest, &why);
	if (!vcpu)
		SKIP(return, "%s", why);
	pt = vtx_gpa2hva(vcpu->vm, PG_PT_GPA);

	MP_EXPECT_PF(PF_PROT | PF_WRITE | PF_RSVD, maxphy_movs_rsvd,
		     PG_WIN + 0x1000, "1: frame bit 37");
	MP_EXPECT_PF(PF_PROT | PF_WRITE | PF_RSVD, maxphy_movs_xd,
		     PG_WIN + 0x3000, "2: XD without EFER.NXE");
	MP_EXPECT_PF(PF_PROT | PF_WRITE | PF_RSVD, maxphy_movs_ps,
		     MP_PS_WIN + 0x5000, "3: PS in a PML4E");
	EXPECT_EQ(PG_MARK_A, *(uint64_t *)vtx_gpa2hva(vcpu->vm, PG_DATA_A));
	EXPECT_EQ(PG_MARK_B, *(uint64_t *)vtx_gpa2hva(vcpu->vm, PG_DATA_B))
		TH_LOG("2, 3: nothing written");

	EXPECT_FALSE(run_past_mmio(vcpu, PG_MMIO_GPA, PG_MMIO_VALUE, &mmio));
	ASSERT_EQ(UCALL_STEP, vtx_get_ucall(vcpu, &uc))
		TH_LOG("4: %s", describe_exit(vcpu));
	EXPECT_EQ(4, uc.regs.rbx);
	EXPECT_EQ(PG_MMIO_VALUE, *(uint64_t *)vtx_gpa2hva(vcpu->vm, PG_DATA_C))
		TH_LOG("4: the MOVS wrote");
	EXPECT_EQ(PG_A | PG_D, pt[4] & (PG_A | PG_D))
		TH_LOG("4: the emulator's walk set accessed and dirty");
	REPORTS(PG_MMIO_VALUE, "4: the guest reads it");
	vtx_vm_free(vcpu->vm);
}

/*
 * Issue 19: a plain read through a frame with bit 37 (reserved for the
 * vCPU, an address bit for the host): #PF with RSVD under shadow paging
 * (ept=0, both drivers: their walkers check the vCPU's MAXPHYADDR).  With
 * EPT the processor walks with its own width and the address reaches the
 * driver: vtx walks again and raises the #PF; kvm_intel exits to
 * userspace with it unless allow_smaller_maxphyaddr is set (logged).
 */
TEST(guest_maxphyaddr_read)
{
	uint64_t mmio, rsvd = 1ull << MP_RSVD_BIT;
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;
	const char *why;

	vcpu = maxphy_guest_create(maxphy_read_start, &why);
	if (!vcpu)
		SKIP(return, "%s", why);
	run_past_mmio(vcpu, PG_MMIO_GPA, PG_MMIO_VALUE, &mmio);
	if (IS_KVM && !ept_off() && mmio == (PG_DATA_A | rsvd)) {
		TH_LOG("kvm_intel, EPT: KVM_EXIT_MMIO at 0x%llx",
		       (unsigned long long)mmio);
		TH_LOG("(allow_smaller_maxphyaddr off: the processor's width)");
		ASSERT_EQ(UCALL_DONE, vtx_get_ucall(vcpu, &uc))
			TH_LOG("%s", describe_exit(vcpu));
	} else {
		EXPECT_EQ(~0ull, mmio) TH_LOG("MMIO at 0x%llx",
					      (unsigned long long)mmio);
		ASSERT_EQ(UCALL_EXC, vtx_get_ucall(vcpu, &uc))
			TH_LOG("%s", describe_exit(vcpu));
		EXPECT_EQ(PF_VECTOR, uc.regs.rbx);
		EXPECT_EQ(PF_PROT | PF_RSVD, uc.regs.rcx);
		EXPECT_EQ(VTX_BLOB_GPA(maxphy_guest, maxphy_read_rsvd),
			  uc.regs.rdx);
		EXPECT_EQ(PG_WIN + 0x2000, uc.regs.rsi) TH_LOG("CR2");
		RUN_UCALL(vcpu, UCALL_DONE, &uc);
	}
	vtx_vm_free(vcpu->vm);
}

/*
 * Issue 20, 32-bit paging: in a 4-MByte PDE, bits 20:13 hold address
 * bits 39:32 (PSE-36) up to MAXPHYADDR and the rest to bit 21 are
 * reserved.  With MAXPHYADDR 36, bit 17 (address bit 36) is: the
 * emulator's walk of a MOVS destination through such a PDE faults with
 * RSVD, on vtx as on kvm_intel.
 */
TEST(guest_maxphyaddr_pse36)
{
	uint32_t *pd, *low;
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;
	unsigned int host;
	uint64_t mmio;

	vcpu = maxphy_vcpu(MP_MAXPHYADDR, &host);
	if (!vcpu)
		SKIP(return, "no CPUID leaf 80000008H");
	if (host <= MP_MAXPHYADDR) {
		vtx_vm_free(vcpu->vm);
		SKIP(return, "host MAXPHYADDR %u", host);
	}
	vtx_load_code(vcpu->vm, VTX_CODE_GPA, maxphy32_guest,
		      maxphy32_guest_end);
	vtx_setup_mode(vcpu, VTX_MODE_PROT32, VTX_CODE_GPA);
	guest_idt_setup(vcpu, VTX_MODE_PROT32,
			VTX_BLOB_GPA(maxphy32_guest, maxphy32_stubs));
	pd = vtx_gpa2hva(vcpu->vm, PD32_GPA);
	memset(pd, 0, 4096);
	pd[0] = PG_P | PG_RW | PG_PS;
	pd[MP32_MMIO_WIN >> 22] = PG_MMIO_GPA | PG_P | PG_RW | PG_PS;
	pd[MP32_RSVD_WIN >> 22] = PG_P | PG_RW | PG_PS |
				  1u << MP32_PSE36_BIT;
	low = vtx_gpa2hva(vcpu->vm, 0);
	low[0] = PG_MARK_A;

	EXPECT_FALSE(run_past_mmio(vcpu, PG_MMIO_GPA, PG_MMIO_VALUE, &mmio))
		TH_LOG("MMIO at 0x%llx", (unsigned long long)mmio);
	ASSERT_EQ(UCALL_EXC, vtx_get_ucall(vcpu, &uc))
		TH_LOG("%s", describe_exit(vcpu));
	EXPECT_EQ(PF_VECTOR, uc.regs.rbx);
	EXPECT_EQ(PF_PROT | PF_WRITE | PF_RSVD, uc.regs.rcx);
	EXPECT_EQ(VTX_BLOB_GPA(maxphy32_guest, maxphy32_movs), uc.regs.rdx);
	EXPECT_EQ(MP32_RSVD_WIN, uc.regs.rsi) TH_LOG("CR2");
	EXPECT_EQ(PG_MARK_A, low[0]) TH_LOG("nothing written at frame 0");
	RUN_UCALL(vcpu, UCALL_DONE, &uc);
	vtx_vm_free(vcpu->vm);
}

/*
 * Issue 20, PAE paging outside long mode: bits 62:MAXPHYADDR of an entry
 * are reserved there (in 4-level paging only 51:MAXPHYADDR; 62:52 are
 * ignored).  The emulator's walk of a MOVS destination (the processor
 * faulted on the device source first) through a 2-MByte PDE with bit 55,
 * then with bit 37 (MAXPHYADDR 36): #PF with P, W and RSVD, nothing
 * written, on vtx as on kvm_intel; a good PDE gets A and D.  Then a plain
 * read through the PDE with bit 37: the processor (of a wider MAXPHYADDR)
 * takes it as an address bit, and vtx's walk raises the #PF RSVD of the
 * vCPU's width; kvm_intel without allow_smaller_maxphyaddr exits to
 * userspace with that address (logged, as guest_maxphyaddr_read).
 */
TEST(guest_maxphyaddr_pae)
{
	const uint64_t rw = PG_P | PG_RW, r37 = 1ull << MP_RSVD_BIT;
	uint64_t *pdpt, *pd, *pt, mmio;
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;
	unsigned int host;
	uint32_t *low;

	vcpu = maxphy_vcpu(MP_MAXPHYADDR, &host);
	if (!vcpu)
		SKIP(return, "no CPUID leaf 80000008H");
	if (host <= MP_RSVD_BIT) {
		vtx_vm_free(vcpu->vm);
		SKIP(return, "host MAXPHYADDR %u", host);
	}
	vtx_load_code(vcpu->vm, VTX_CODE_GPA, maxphyp_guest,
		      maxphyp_guest_end);
	vtx_setup_mode(vcpu, VTX_MODE_PROT32, VTX_CODE_GPA);
	guest_idt_setup(vcpu, VTX_MODE_PROT32,
			VTX_BLOB_GPA(maxphyp_guest, maxphyp_stubs));
	pdpt = table(vcpu->vm, MPP_PDPT_GPA);
	pd = table(vcpu->vm, MPP_PD_GPA);
	pt = table(vcpu->vm, MPP_PT_GPA);
	pdpt[0] = MPP_PD_GPA | PG_P;
	pd[0] = rw | PG_PS;
	pd[MPP_MMIO_WIN >> 21] = MPP_PT_GPA | rw;
	pt[0] = PG_MMIO_GPA | rw;
	pd[MPP_R55_WIN >> 21] = rw | PG_PS | 1ull << MPP_R55_BIT;
	pd[MPP_R37_WIN >> 21] = rw | PG_PS | r37;
	pd[MPP_GOOD_WIN >> 21] = rw | PG_PS;
	low = vtx_gpa2hva(vcpu->vm, 0);
	low[0] = PG_MARK_A;
	low[4] = PG_MARK_B;

	EXPECT_FALSE(run_past_mmio(vcpu, PG_MMIO_GPA, PG_MMIO_VALUE, &mmio))
		TH_LOG("1: MMIO at 0x%llx", (unsigned long long)mmio);
	ASSERT_EQ(UCALL_EXC, vtx_get_ucall(vcpu, &uc))
		TH_LOG("1: %s", describe_exit(vcpu));
	EXPECT_EQ(PF_VECTOR, uc.regs.rbx);
	EXPECT_EQ(PF_PROT | PF_WRITE | PF_RSVD, uc.regs.rcx)
		TH_LOG("1: PDE bit 55");
	EXPECT_EQ(VTX_BLOB_GPA(maxphyp_guest, maxphyp_movs55), uc.regs.rdx);
	EXPECT_EQ(MPP_R55_WIN, uc.regs.rsi) TH_LOG("1: CR2");

	EXPECT_FALSE(run_past_mmio(vcpu, PG_MMIO_GPA, PG_MMIO_VALUE, &mmio))
		TH_LOG("2: MMIO at 0x%llx", (unsigned long long)mmio);
	ASSERT_EQ(UCALL_EXC, vtx_get_ucall(vcpu, &uc))
		TH_LOG("2: %s", describe_exit(vcpu));
	EXPECT_EQ(PF_VECTOR, uc.regs.rbx);
	EXPECT_EQ(PF_PROT | PF_WRITE | PF_RSVD, uc.regs.rcx)
		TH_LOG("2: PDE bit 37, MAXPHYADDR 36");
	EXPECT_EQ(VTX_BLOB_GPA(maxphyp_guest, maxphyp_movs37), uc.regs.rdx);
	EXPECT_EQ(MPP_R37_WIN, uc.regs.rsi) TH_LOG("2: CR2");
	EXPECT_EQ(PG_MARK_A, low[0]) TH_LOG("1, 2: nothing written");

	EXPECT_FALSE(run_past_mmio(vcpu, PG_MMIO_GPA, PG_MMIO_VALUE, &mmio));
	ASSERT_EQ(UCALL_STEP, vtx_get_ucall(vcpu, &uc))
		TH_LOG("3: %s", describe_exit(vcpu));
	EXPECT_EQ(3, uc.regs.rbx);
	EXPECT_EQ(PG_MMIO_VALUE, low[4]) TH_LOG("3: the MOVS wrote");
	EXPECT_EQ(PG_A | PG_D, pd[MPP_GOOD_WIN >> 21] & (PG_A | PG_D))
		TH_LOG("3: the emulator's walk set accessed and dirty");

	run_past_mmio(vcpu, PG_MMIO_GPA, PG_MMIO_VALUE, &mmio);
	if (IS_KVM && !ept_off() && mmio == (r37 | 0x40)) {
		TH_LOG("kvm_intel, EPT: KVM_EXIT_MMIO at 0x%llx",
		       (unsigned long long)mmio);
		TH_LOG("(allow_smaller_maxphyaddr off: the processor's width)");
		ASSERT_EQ(UCALL_DONE, vtx_get_ucall(vcpu, &uc))
			TH_LOG("%s", describe_exit(vcpu));
	} else {
		EXPECT_EQ(~0ull, mmio) TH_LOG("4: MMIO at 0x%llx",
					      (unsigned long long)mmio);
		ASSERT_EQ(UCALL_EXC, vtx_get_ucall(vcpu, &uc))
			TH_LOG("4: %s", describe_exit(vcpu));
		EXPECT_EQ(PF_VECTOR, uc.regs.rbx);
		EXPECT_EQ(PF_PROT | PF_RSVD, uc.regs.rcx);
		EXPECT_EQ(VTX_BLOB_GPA(maxphyp_guest, maxphyp_read37),
			  uc.regs.rdx);
		EXPECT_EQ(MPP_R37_WIN + 0x40, uc.regs.rsi) TH_LOG("4: CR2");
		RUN_UCALL(vcpu, UCALL_DONE, &uc);
	}
	vtx_vm_free(vcpu->vm);
}

/* Entry @i of a 32-bit (@pae false) or PAE table at @gpa. */
static void set_entry(struct vtx_vm *vm, uint64_t gpa, bool pae,
		      unsigned int i, uint64_t e)
{
	if (pae)
		((uint64_t *)vtx_gpa2hva(vm, gpa))[i] = e;
	else
		((uint32_t *)vtx_gpa2hva(vm, gpa))[i] = (uint32_t)e;
}

static uint64_t get_entry(struct vtx_vm *vm, uint64_t gpa, bool pae,
			  unsigned int i)
{
	if (pae)
		return ((uint64_t *)vtx_gpa2hva(vm, gpa))[i];
	return ((uint32_t *)vtx_gpa2hva(vm, gpa))[i];
}

/* The tables of paging.h's guest_page_tables_32 / _pae. */
static void pg32_setup(struct vtx_vcpu *vcpu, bool pae)
{
	struct vtx_vm *vm = vcpu->vm;
	const uint64_t rw = PG_P | PG_RW, large = rw | PG_PS;
	unsigned int shift = pae ? 21 : 22, i;
	uint64_t pd, off;

	table(vm, P32_PD_GPA);
	table(vm, P32_PT_GPA);
	table(vm, P32_PDPT_GPA);
	table(vm, P32_PDB_GPA);
	table(vm, P32_PTB_GPA);
	vtx_vm_add_mem(vm, 1, P32_BIG, P32_BIG_SIZE);
	for (off = 0; off < P32_BIG_SIZE; off += 0x1000)
		*(uint32_t *)vtx_gpa2hva(vm, P32_BIG + off) =
			P32_BIG_MARK(off);
	for (pd = P32_PD_GPA; pd; pd = pd == P32_PD_GPA ? P32_PDB_GPA : 0) {
		for (i = 0; i < (P32_WIN >> shift); i++)
			set_entry(vm, pd, pae, i, ((uint64_t)i << shift) | large);
		/* user: PT[P32_USER_PTE] is a user page (U/S of both levels) */
		set_entry(vm, pd, pae, P32_WIN >> shift,
			  (pd == P32_PD_GPA ? P32_PT_GPA : P32_PTB_GPA) | rw |
			  PG_US);
	}
	for (i = 0; i < P32_BIG_SIZE >> shift; i++)
		set_entry(vm, P32_PD_GPA, pae, (P32_BIG >> shift) + i,
			  (P32_BIG + ((uint64_t)i << shift)) | large);
	set_entry(vm, P32_PT_GPA, pae, 0, PG_DATA_A | rw);
	set_entry(vm, P32_PT_GPA, pae, 2, PG_DATA_C | PG_P);
	set_entry(vm, P32_PT_GPA, pae, 3, PG_MMIO_GPA | rw);
	set_entry(vm, P32_PTB_GPA, pae, 0, PG_DATA_A | rw);
	if (pae) {
		set_entry(vm, P32_PT_GPA, pae, 4,
			  PG_DATA_A | rw | 1ull << PG_RSVD_BIT);
		set_entry(vm, P32_PT_GPA, pae, 5,
			  PG_DATA_A | rw | 1ull << P32_XD_BIT);
		set_entry(vm, P32_PDPT_GPA, pae, 0, P32_PD_GPA | PG_P);
		set_entry(vm, P32_PDPTB_GPA, pae, 0, P32_PDB_GPA | PG_P);
		set_entry(vm, P32_PDPTBAD_GPA, pae, 0, P32_PDB_GPA | rw);
	} else {
		set_entry(vm, P32_PD_GPA, pae, P32_RSVD_WIN >> shift,
			  large | 1u << P32_RSVD_BIT);
	}
	set_entry(vm, P32_PT_GPA, pae, P32_USER_PTE, PG_DATA_C | rw | PG_US);
	*(uint32_t *)vtx_gpa2hva(vm, PG_DATA_A) = PG_MARK_A;
	*(uint32_t *)vtx_gpa2hva(vm, PG_DATA_B) = PG_MARK_B;
	*(uint32_t *)vtx_gpa2hva(vm, PG_DATA_C) = PG_MARK_C;
	*(uint32_t *)vtx_gpa2hva(vm, P32_SMEP_FLAG) =
		cpu_has(7, CPUID_EBX, CPUID_7_EBX_SMEP);
}

struct pg32_blob {
	const uint8_t *start, *end, *stubs, *np, *ro, *rsvd, *big, *badcr3;
};

#define PG32_GPA(b, l)	(VTX_CODE_GPA + ((b)->l - (b)->start))

/*
 * guest_page_tables' steps under 32-bit or PAE paging, which a
 * protected-mode guest turns on itself; under vtx ept=0 the processor
 * runs them with PAE paging from the shadow PAE root.  32-bit: PSE
 * 4-MByte pages, a reserved bit 21 in a 4-MByte PDE; INVLPG of an
 * address in the first 2 MiB of a 4-MByte page drops the second 2 MiB's
 * translation too.  PAE: the PDPTEs from CR3, XD with EFER.NXE, a MOV to
 * CR3 whose PDPTE has a reserved bit (#GP(0), CR3 unchanged).  With
 * SMEP in CPUID: a supervisor fetch from a user page (#PF P|I/D, in
 * 32-bit paging too).
 */
static void pg32_run(struct __test_metadata *_metadata, bool pae,
		     const struct pg32_blob *b)
{
	uint64_t root = pae ? P32_PDPT_GPA : P32_PD_GPA;
	uint64_t rootb = pae ? P32_PDPTB_GPA : P32_PDB_GPA;
	unsigned int win = P32_WIN >> (pae ? 21 : 22);
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;
	struct kvm_run *run;
	struct vtx_vm *vm;

	vcpu = guest_create(VTX_MODE_PROT32, b->start, b->end, b->stubs);
	vcpu_set_supported_cpuid(vcpu);
	vm = vcpu->vm;
	run = vcpu->run;
	pg32_setup(vcpu, pae);

	REPORTS(PG_MARK_A, "1: the window reads DATA_A");
	EXPECT_EQ(PG_A, get_entry(vm, P32_PD_GPA, pae, win) & PG_A)
		TH_LOG("1: PDE accessed");
	EXPECT_EQ(PG_A, get_entry(vm, P32_PT_GPA, pae, 0) & (PG_A | PG_D))
		TH_LOG("1: PTE accessed, clean");
	if (pae)
		EXPECT_EQ(P32_PD_GPA | PG_P,
			  get_entry(vm, P32_PDPT_GPA, pae, 0))
			TH_LOG("1: the PDPTE has no accessed bit");

	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	EXPECT_EQ(2, uc.regs.rbx);
	EXPECT_EQ(PG_A | PG_D, get_entry(vm, P32_PT_GPA, pae, 0) &
			       (PG_A | PG_D)) TH_LOG("2: PTE dirty");
	EXPECT_EQ(PG_MARK_W, *(uint32_t *)vtx_gpa2hva(vm, PG_DATA_A));

	REPORTS(PG_MARK_B, "3: the guest's new PTE, after INVLPG");

	RUN_EXC(vcpu, PF_VECTOR, 0, PG32_GPA(b, np), &uc);
	EXPECT_EQ(P32_WIN + 0x1000, uc.regs.rsi) TH_LOG("4: CR2");
	REPORTS(PG_MARK_C, "4: the entry made present");

	REPORTS(PG_MARK_W2, "5: CR0.WP=0: CPL 0 wrote a read-only page");
	EXPECT_EQ(PG_A | PG_D, get_entry(vm, P32_PT_GPA, pae, 2) &
			       (PG_A | PG_D)) TH_LOG("5: PTE dirty");
	RUN_EXC(vcpu, PF_VECTOR, PF_PROT | PF_WRITE, PG32_GPA(b, ro), &uc);
	EXPECT_EQ(P32_WIN + 0x2000, uc.regs.rsi) TH_LOG("5: CR2");
	REPORTS(PG_MARK_W2, "5: CR0.WP=1: the write faulted");

	REPORTS(PG_MARK_W, "6: the second address space");
	EXPECT_EQ(rootb, uc.regs.rcx) TH_LOG("6: MOV from CR3");
	REPORTS(PG_MARK_B, "6: back to the first");
	EXPECT_EQ(root, uc.regs.rcx) TH_LOG("6: MOV from CR3");
	REPORTS(PG_MARK_W, "6: the second again");

	vtx_run(vcpu);
	ASSERT_EQ(KVM_EXIT_MMIO, run->exit_reason)
		TH_LOG("7: %s", describe_exit(vcpu));
	EXPECT_EQ(PG_MMIO_GPA, run->mmio.phys_addr);
	EXPECT_EQ(4, run->mmio.len);
	EXPECT_EQ(0, run->mmio.is_write);
	*(uint32_t *)run->mmio.data = PG_MMIO_VALUE;
	REPORTS(PG_MMIO_VALUE, "7: the MMIO read's value");

	RUN_EXC(vcpu, PF_VECTOR, PF_PROT | PF_RSVD, PG32_GPA(b, rsvd), &uc);
	EXPECT_EQ(pae ? P32_WIN + 0x4000 : P32_RSVD_WIN, uc.regs.rsi)
		TH_LOG("8: CR2");

	if (pae) {
		RUN_EXC(vcpu, PF_VECTOR, PF_PROT | PF_INSTR, P32_WIN + 0x5000,
			&uc);
		EXPECT_EQ(P32_WIN + 0x5000, uc.regs.rsi) TH_LOG("9: CR2");
	}

	REPORTS(P32_BIG_MARK(0x203000), "10: the large page's second 2 MiB");
	REPORTS(P32_BIG_MARK(0x1000), "10: its first 2 MiB");
	RUN_EXC(vcpu, PF_VECTOR, 0, PG32_GPA(b, big), &uc);
	EXPECT_EQ(P32_BIG + (pae ? 0x1000 : 0x203000), uc.regs.rsi)
		TH_LOG("10: CR2: the large page went with INVLPG");

	if (pae) {
		RUN_EXC(vcpu, GP_VEC, 0, PG32_GPA(b, badcr3), &uc);
		REPORTS(PG_MARK_B, "11: the window after the refused CR3");
		EXPECT_EQ(root, uc.regs.rcx) TH_LOG("11: CR3 unchanged");
	}
	if (cpu_has(7, CPUID_EBX, CPUID_7_EBX_SMEP)) {
		REPORTS(PG_MARK_W2, "12: a supervisor read of a user page");
		RUN_EXC(vcpu, PF_VECTOR, PF_PROT | PF_INSTR,
			P32_WIN + P32_USER_PTE * 0x1000, &uc);
		EXPECT_EQ(P32_WIN + P32_USER_PTE * 0x1000, uc.regs.rsi)
			TH_LOG("12: CR2 of the SMEP fault");
	} else {
		TH_LOG("12: no SMEP in CPUID: not run");
	}
	RUN_UCALL(vcpu, UCALL_DONE, &uc);
	vtx_vm_free(vm);
}

TEST(guest_page_tables_32)
{
	const struct pg32_blob b = {
		pg32_guest, pg32_guest_end, pg32_stubs, pg32_guest_np,
		pg32_guest_ro, pg32_guest_rsvd, pg32_guest_big, NULL,
	};

	pg32_run(_metadata, false, &b);
}

TEST(guest_page_tables_pae)
{
	const struct pg32_blob b = {
		pgpae_guest, pgpae_guest_end, pgpae_stubs, pgpae_guest_np,
		pgpae_guest_ro, pgpae_guest_rsvd, pgpae_guest_big,
		pgpae_guest_badcr3,
	};

	pg32_run(_metadata, true, &b);
}

VTX_TEST_MAIN
