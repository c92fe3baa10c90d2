// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_CREATE_IRQCHIP: the in-kernel 8259s and IOAPIC, kvm_intel being the
 * reference (the same binary runs on both):
 *
 *   create_rules      KVM_CAP_IRQCHIP, KVM_CREATE_IRQCHIP's errnos (twice,
 *                     after a vCPU, after KVM_CAP_SPLIT_IRQCHIP), and
 *                     KVM_GET/SET_IRQCHIP's without it
 *   get_set_irqchip   the chips' state at creation, KVM_GET/SET_IRQCHIP
 *                     round trips, a bad chip id
 *   line_status       KVM_IRQ_LINE_STATUS through the default routing
 *                     (PIC and IOAPIC routes of a GSI summed): delivery,
 *                     masked, coalesced edges, lowered lines
 *   pic_extint        a guest programs the 8259s as Linux does (its ports
 *                     answered in the kernel) and takes IRQ3, raised by
 *                     KVM_IRQ_LINE, through LINT0 in ExtINT mode
 *   ioapic_level      a guest programs a level-triggered IOAPIC entry
 *                     (MMIO at 0xfec00000): KVM_IRQ_LINE on GSI 10 reaches
 *                     it through its local APIC, remote IRR holds further
 *                     messages until the EOI; then a resample irqfd's
 *                     interrupt, whose EOI lowers the line and signals
 *                     the resample fd
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vcpu_test.h"
#include "irqchip.h"

extern const uint8_t pic_guest[], pic_guest_end[], pic_guest_stubs[];
extern const uint8_t ioapic_guest[], ioapic_guest_end[],
	ioapic_guest_stubs[];

#define SPLIT_PINS		24
#define RTE_MASKED		(1ull << 16)
#define IOAPIC_NUM_PINS		24
#define ELCR_MASK_MASTER	0xf8
#define ELCR_MASK_SLAVE		0xde
#define STATUS_NOT_DELIVERED	(-1)
#define CPUID1_X2APIC		(1u << 21)
#define PTE_P			(1ull << 0)
#define PTE_RW			(1ull << 1)
#define PTE_PS			(1ull << 7)
#define PTE_PCD			(1ull << 4)
/* A 32-bit register of the LAPIC page (ISR, IRR, TMR: 8 words) */
#define LAPIC_REG(s, off)	(*(uint32_t *)&(s)->regs[off])

static long create_irqchip(struct vtx_vm *vm)
{
	return __vtx_ioctl_raw(vm->fd, KVM_CREATE_IRQCHIP, 0);
}

static long get_chip(struct vtx_vm *vm, uint32_t id, struct kvm_irqchip *c)
{
	memset(c, 0, sizeof(*c));
	c->chip_id = id;
	return __vtx_ioctl(vm->fd, KVM_GET_IRQCHIP, c);
}

static long irq_line_status(struct vtx_vm *vm, uint32_t gsi, uint32_t level,
			    int32_t *status)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };
	long r = __vtx_ioctl(vm->fd, KVM_IRQ_LINE_STATUS, &l);

	*status = l.status;
	return r;
}

/* The VM with an irqchip and RAM, no vCPU yet. */
static struct vtx_vm *irqchip_vm(void)
{
	struct vtx_vm *vm = vtx_vm_create_default();

	VTX_ASSERT(!create_irqchip(vm), "KVM_CREATE_IRQCHIP: %s",
		   strerror(errno));
	return vm;
}

/* vCPU 0 running @start in long mode with interrupts counted. */
static struct vtx_vcpu *irq_vcpu(struct vtx_vm *vm, const uint8_t *start,
				 const uint8_t *end, const uint8_t *stubs)
{
	struct kvm_cpuid2 *cpuid = guest_cpuid_copy();
	struct kvm_cpuid_entry2 *e = cpuid_find(cpuid, 1, 0);
	struct vtx_vcpu *vcpu;
	struct kvm_regs regs;

	vtx_load_code(vm, VTX_CODE_GPA, start, end);
	vcpu = vtx_vcpu_add(vm, 0);
	vtx_setup_mode(vcpu, VTX_MODE_LONG64, VTX_CODE_GPA);
	if (e)
		e->ecx |= CPUID1_X2APIC;
	vtx_ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid);
	free(cpuid);
	guest_idt_setup(vcpu, VTX_MODE_LONG64, VTX_BLOB_GPA(start, stubs));
	vtx_get_regs(vcpu, &regs);
	regs.rsp = STACKS_GPA + STACK_SIZE;
	vtx_set_regs(vcpu, &regs);
	return vcpu;
}

TEST(create_rules)
{
	struct vtx_vm *vm = vtx_vm_create_default();
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_SPLIT_IRQCHIP, .args = { SPLIT_PINS },
	};
	struct kvm_irqchip chip;

	EXPECT_EQ(1, vtx_check_extension(vm->dev_fd, KVM_CAP_IRQCHIP));
	/* no irqchip: ENXIO, after the copy (a bad pointer: EFAULT) */
	EXPECT_EQ(-ENXIO, get_chip(vm, KVM_IRQCHIP_PIC_MASTER, &chip));
	EXPECT_EQ(-ENXIO, __vtx_ioctl(vm->fd, KVM_SET_IRQCHIP, &chip));
	EXPECT_EQ(-EFAULT, __vtx_ioctl_raw(vm->fd, KVM_GET_IRQCHIP, 0));
	EXPECT_EQ(0, create_irqchip(vm));
	EXPECT_EQ(-EEXIST, create_irqchip(vm));
	EXPECT_EQ(-EEXIST, __vtx_ioctl(vm->fd, KVM_ENABLE_CAP, &cap));
	vtx_vm_free(vm);

	/* not once a vCPU exists (KVM: EINVAL) */
	vm = vtx_vm_create_default();
	vtx_vcpu_add(vm, 0);
	EXPECT_EQ(-EINVAL, create_irqchip(vm));
	vtx_vm_free(vm);

	/* a split irqchip is an irqchip already */
	vm = vtx_vm_create_default();
	ASSERT_EQ(0, __vtx_ioctl(vm->fd, KVM_ENABLE_CAP, &cap));
	EXPECT_EQ(-EEXIST, create_irqchip(vm));
	EXPECT_EQ(-ENXIO, get_chip(vm, KVM_IRQCHIP_IOAPIC, &chip));
	vtx_vm_free(vm);
}

TEST(get_set_irqchip)
{
	struct vtx_vm *vm = irqchip_vm();
	struct kvm_irqchip chip, back;
	unsigned int i;

	/* at creation: nothing programmed, the ELCR masks, entries masked */
	ASSERT_EQ(0, get_chip(vm, KVM_IRQCHIP_PIC_MASTER, &chip));
	EXPECT_EQ(ELCR_MASK_MASTER, chip.chip.pic.elcr_mask);
	EXPECT_EQ(0, chip.chip.pic.imr);
	EXPECT_EQ(0, chip.chip.pic.irq_base);
	ASSERT_EQ(0, get_chip(vm, KVM_IRQCHIP_PIC_SLAVE, &chip));
	EXPECT_EQ(ELCR_MASK_SLAVE, chip.chip.pic.elcr_mask);
	ASSERT_EQ(0, get_chip(vm, KVM_IRQCHIP_IOAPIC, &chip));
	EXPECT_EQ(IOAPIC_GPA, chip.chip.ioapic.base_address);
	EXPECT_EQ(0, chip.chip.ioapic.id);
	EXPECT_EQ(0, chip.chip.ioapic.irr);
	for (i = 0; i < IOAPIC_NUM_PINS; i++)
		EXPECT_EQ(RTE_MASKED, chip.chip.ioapic.redirtbl[i].bits)
			TH_LOG("entry %u", i);

	/* a bad chip id */
	EXPECT_EQ(-EINVAL, get_chip(vm, 3, &chip));
	chip.chip_id = 3;
	EXPECT_EQ(-EINVAL, __vtx_ioctl(vm->fd, KVM_SET_IRQCHIP, &chip));

	/* round trips */
	ASSERT_EQ(0, get_chip(vm, KVM_IRQCHIP_PIC_SLAVE, &chip));
	chip.chip.pic.imr = 0x5a;
	chip.chip.pic.irq_base = 0x70;
	chip.chip.pic.elcr = 0x84;
	chip.chip.pic.auto_eoi = 1;
	ASSERT_EQ(0, __vtx_ioctl(vm->fd, KVM_SET_IRQCHIP, &chip));
	ASSERT_EQ(0, get_chip(vm, KVM_IRQCHIP_PIC_SLAVE, &back));
	EXPECT_EQ(0, memcmp(&chip.chip.pic, &back.chip.pic,
			    sizeof(chip.chip.pic)));
	ASSERT_EQ(0, get_chip(vm, KVM_IRQCHIP_IOAPIC, &chip));
	chip.chip.ioapic.id = 5;
	chip.chip.ioapic.ioregsel = 0x12;
	chip.chip.ioapic.redirtbl[7].bits = 0x0300000000008041ull;
	chip.chip.ioapic.redirtbl[9].bits = RTE_MASKED | 0x42;
	ASSERT_EQ(0, __vtx_ioctl(vm->fd, KVM_SET_IRQCHIP, &chip));
	ASSERT_EQ(0, get_chip(vm, KVM_IRQCHIP_IOAPIC, &back));
	EXPECT_EQ(0, memcmp(&chip.chip.ioapic, &back.chip.ioapic,
			    sizeof(chip.chip.ioapic)));
	vtx_vm_free(vm);
}

/*
 * GSI 3 has a PIC route (master IR3, unmasked at creation: 1 when newly
 * requested, 0 coalesced) and an IOAPIC route (masked: -1, but an edge
 * already in IRR is coalesced, 0; a lowered line 1); KVM sums the
 * non-negative answers.
 */
TEST(line_status)
{
	struct vtx_vm *vm = irqchip_vm();
	struct kvm_irqchip chip;
	int32_t status;

	ASSERT_EQ(0, irq_line_status(vm, PIC_IRQ, 1, &status));
	EXPECT_EQ(1, status);
	ASSERT_EQ(0, irq_line_status(vm, PIC_IRQ, 1, &status));
	EXPECT_EQ(1, status);
	ASSERT_EQ(0, irq_line_status(vm, PIC_IRQ, 0, &status));
	EXPECT_EQ(2, status);
	ASSERT_EQ(0, irq_line_status(vm, PIC_IRQ, 1, &status));
	EXPECT_EQ(0, status);
	ASSERT_EQ(0, get_chip(vm, KVM_IRQCHIP_PIC_MASTER, &chip));
	EXPECT_EQ(1 << PIC_IRQ, chip.chip.pic.irr);
	EXPECT_EQ(1 << PIC_IRQ, chip.chip.pic.last_irr);

	/* masked in the PIC too: nobody takes it */
	chip.chip.pic.imr = 0xff;
	chip.chip.pic.irr = 0;
	chip.chip.pic.last_irr = 0;
	ASSERT_EQ(0, __vtx_ioctl(vm->fd, KVM_SET_IRQCHIP, &chip));
	ASSERT_EQ(0, irq_line_status(vm, 5, 1, &status));
	EXPECT_EQ(STATUS_NOT_DELIVERED, status);
	/* GSI 20: the IOAPIC only, masked; a lowered line is 1 */
	ASSERT_EQ(0, irq_line_status(vm, 20, 1, &status));
	EXPECT_EQ(STATUS_NOT_DELIVERED, status);
	ASSERT_EQ(0, irq_line_status(vm, 20, 0, &status));
	EXPECT_EQ(1, status);
	vtx_vm_free(vm);
}

TEST(pic_extint)
{
	struct vtx_vm *vm = irqchip_vm();
	struct vtx_vcpu *vcpu = irq_vcpu(vm, pic_guest, pic_guest_end,
					 pic_guest_stubs);
	struct kvm_irqchip chip;
	uint64_t imr;
	int32_t status;

	/* the 8259s' ports never reach userspace */
	RUN_UNTIL_VEC(vcpu, UCALL_REPORT, PIC_VEC, &imr);
	EXPECT_EQ(PIC1_IMR, imr);
	RUN_UNTIL_VEC(vcpu, UCALL_STEP, PIC_VEC, NULL);
	ASSERT_EQ(0, get_chip(vm, KVM_IRQCHIP_PIC_MASTER, &chip));
	EXPECT_EQ(PIC_BASE, chip.chip.pic.irq_base);
	EXPECT_EQ(PIC1_IMR, chip.chip.pic.imr);
	EXPECT_EQ(0, chip.chip.pic.init_state);
	ASSERT_EQ(0, get_chip(vm, KVM_IRQCHIP_PIC_SLAVE, &chip));
	EXPECT_EQ(PIC2_BASE, chip.chip.pic.irq_base);
	EXPECT_EQ(0xff, chip.chip.pic.imr);

	/* an edge on GSI 3: the PIC takes it, the IOAPIC's entry is masked */
	ASSERT_EQ(0, irq_line_status(vm, PIC_IRQ, 1, &status));
	EXPECT_EQ(1, status);
	ASSERT_EQ(0, irq_line_status(vm, PIC_IRQ, 0, &status));
	RUN_UNTIL_VEC(vcpu, UCALL_STEP, PIC_VEC, NULL);
	EXPECT_EQ(1, guest_exc_count(vcpu, PIC_VEC));
	ASSERT_EQ(0, get_chip(vm, KVM_IRQCHIP_PIC_MASTER, &chip));
	EXPECT_EQ(0, chip.chip.pic.isr) TH_LOG("EOI by OCW2");
	EXPECT_EQ(0, chip.chip.pic.irr);
	vtx_vm_free(vm);
}

/* PML4[0] -> PDPT[3] -> a PD with the IOAPIC's 2 MiB page, uncached. */
static void map_ioapic(struct vtx_vm *vm)
{
	uint64_t *pdpt = vtx_gpa2hva(vm, VTX_PDPT_GPA);
	uint64_t *pd = vtx_gpa2hva(vm, IOAPIC_PD_GPA);

	memset(pd, 0, VTX_PAGE_SIZE);
	pd[IOAPIC_PD_INDEX] = (IOAPIC_GPA & ~((1ull << 21) - 1)) | PTE_P |
			      PTE_RW | PTE_PS | PTE_PCD;
	pdpt[IOAPIC_PDPT_INDEX] = IOAPIC_PD_GPA | PTE_P | PTE_RW;
}

static bool eventfd_ready(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

static uint64_t eventfd_count(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t n = 0;

	if (poll(&p, 1, 1000) == 1 && read(fd, &n, sizeof(n)) != sizeof(n))
		n = 0;
	return n;
}

TEST(ioapic_level)
{
	struct vtx_vm *vm = irqchip_vm();
	struct vtx_vcpu *vcpu;
	int efd = eventfd(0, EFD_CLOEXEC), rfd = eventfd(0, EFD_NONBLOCK);
	struct kvm_irqfd irqfd = {
		.fd = efd, .gsi = IOAPIC_GSI,
		.flags = KVM_IRQFD_FLAG_RESAMPLE, .resamplefd = rfd,
	};
	struct kvm_irqchip chip;
	uint64_t val, one = 1;
	int32_t status;
	int i;

	ASSERT_LE(0, efd);
	ASSERT_LE(0, rfd);
	vcpu = irq_vcpu(vm, ioapic_guest, ioapic_guest_end,
			ioapic_guest_stubs);
	map_ioapic(vm);		/* after the library's page tables */
	RUN_UNTIL_VEC(vcpu, UCALL_REPORT, IOAPIC_VEC, &val);
	EXPECT_EQ(IOAPIC_VERSION, val);
	RUN_UNTIL_VEC(vcpu, UCALL_STEP, IOAPIC_VEC, &val);
	ASSERT_EQ(1, val);
	ASSERT_EQ(0, get_chip(vm, KVM_IRQCHIP_IOAPIC, &chip));
	EXPECT_EQ(IOAPIC_VEC | RTE_LEVEL,
		  chip.chip.ioapic.redirtbl[IOAPIC_GSI].bits);

	/* delivered to one APIC (the PIC's route is masked) */
	ASSERT_EQ(0, irq_line_status(vm, IOAPIC_GSI, 1, &status));
	EXPECT_EQ(1, status);
	/* remote IRR holds the next message until the EOI */
	ASSERT_EQ(0, irq_line_status(vm, IOAPIC_GSI, 1, &status));
	EXPECT_EQ(STATUS_NOT_DELIVERED, status);
	RUN_UNTIL_VEC(vcpu, UCALL_REPORT, IOAPIC_VEC, &val);
	EXPECT_EQ(IOAPIC_VEC | RTE_LEVEL | RTE_REMOTE_IRR, val);
	ASSERT_EQ(0, irq_line_status(vm, IOAPIC_GSI, 0, &status));
	EXPECT_EQ(1, status);
	/* the EOI, the line low: remote IRR clear, nothing sent again */
	RUN_UNTIL_VEC(vcpu, UCALL_REPORT, IOAPIC_VEC, &val);
	EXPECT_EQ(IOAPIC_VEC | RTE_LEVEL, val);
	RUN_UNTIL_VEC(vcpu, UCALL_STEP, IOAPIC_VEC, &val);
	ASSERT_EQ(2, val);
	EXPECT_EQ(1, guest_exc_count(vcpu, IOAPIC_VEC));

	/* a resample irqfd: its EOI lowers the line, signals the fd */
	ASSERT_EQ(0, __vtx_ioctl(vm->fd, KVM_IRQFD, &irqfd));
	ASSERT_EQ(sizeof(one), write(efd, &one, sizeof(one)));
	/* injected by a kernel worker: the message is sent soon */
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(0, get_chip(vm, KVM_IRQCHIP_IOAPIC, &chip));
		if (chip.chip.ioapic.redirtbl[IOAPIC_GSI].bits & RTE_REMOTE_IRR)
			break;
		usleep(10000);
	}
	EXPECT_NE(0, chip.chip.ioapic.redirtbl[IOAPIC_GSI].bits &
		  RTE_REMOTE_IRR)
		TH_LOG("entry %#llx irr %#x",
		       chip.chip.ioapic.redirtbl[IOAPIC_GSI].bits,
		       chip.chip.ioapic.irr);
	RUN_UNTIL_VEC(vcpu, UCALL_REPORT, IOAPIC_VEC, &val);
	EXPECT_EQ(IOAPIC_VEC | RTE_LEVEL | RTE_REMOTE_IRR, val);
	EXPECT_FALSE(eventfd_ready(rfd)) TH_LOG("resample fd before EOI");
	RUN_UNTIL_VEC(vcpu, UCALL_REPORT, IOAPIC_VEC, &val);
	EXPECT_EQ(IOAPIC_VEC | RTE_LEVEL, val) TH_LOG("no second message");
	RUN_UNTIL_VEC(vcpu, UCALL_STEP, IOAPIC_VEC, &val);
	ASSERT_EQ(3, val);
	EXPECT_EQ(2, guest_exc_count(vcpu, IOAPIC_VEC));
	EXPECT_EQ(1, eventfd_count(rfd));
	ASSERT_EQ(0, get_chip(vm, KVM_IRQCHIP_IOAPIC, &chip));
	EXPECT_EQ(0, chip.chip.ioapic.irr & (1 << IOAPIC_GSI));
	vtx_vm_free(vm);
	close(efd);
	close(rfd);
}

VTX_TEST_MAIN
