// SPDX-License-Identifier: GPL-2.0
/*
 * The Linux x86 boot protocol (Documentation/arch/x86/boot.rst): a bzImage,
 * an optional initrd and a command line, entered at the 64-bit entry.
 *
 * A bzImage is the real-mode setup code ((setup_sects + 1) * 512 bytes,
 * setup_sects 0 meaning 4) followed by the protected-mode kernel (the
 * self-decompressing one), syssize * 16 bytes.  vtxctl checks the setup
 * header ("HdrS" at 0x202, boot_flag AA55H, protocol 2.12 or later with
 * XLF_KERNEL_64), skips the setup code (no BIOS, so nothing in it could
 * run) and loads the protected-mode kernel at 1 MiB as QEMU does when the
 * kernel is relocatable (it moves itself to where it decompresses, at
 * least pref_address), else at pref_address.
 *
 * Why the 64-bit entry (load address + 0x200, boot.rst "64-bit Boot
 * Protocol"): vtxctl already builds long mode (GDT, identity page tables,
 * boot.c) and the 64-bit entry is what the kernel documents for a loader
 * that does not run the setup code; the 32-bit entry would only add a
 * mode switch inside the guest.  The protocol's state: 64-bit mode with
 * paging, [load, load + init_size), the zero page and the command line
 * identity mapped (vtxctl maps all RAM), __BOOT_CS = 0x10 and
 * __BOOT_DS = 0x18 flat, interrupts off, RSI = the zero page.
 *
 * Guest-physical layout:
 *   0x8000-0x4ffff   boot.c's GDT, TSS and page tables
 *   0x50000          the zero page (struct boot_params)
 *   0x51000          the command line (up to the kernel's cmdline_size)
 *   0xf0000          the MP floating pointer and configuration table
 *   0x100000         the protected-mode kernel
 *   top of RAM       the initrd, page aligned, below initrd_addr_max
 * and the e820 map in the zero page says: RAM 0-9FC00H, reserved
 * 9FC00H-A0000H (the EBDA) and F0000H-100000H (the BIOS area, with the MP
 * table), RAM 1 MiB to the end, and reserved the identity-map page and
 * TSS that KVM_SET_IDENTITY_MAP_ADDR / KVM_SET_TSS_ADDR took (vm.c).
 *
 * Why an MP table and not ACPI: the Intel MultiProcessor table is one
 * checksummed structure that Linux finds by scanning F0000H-FFFFFH when
 * there is no ACPI; it lists the processors (APIC id = vCPU index, as
 * KVM's LAPIC ids), the IOAPIC and the 16 ISA interrupts, all that an SMP
 * boot needs.  ACPI would need an RSDP, an RSDT/XSDT, a MADT and, to be
 * worth it, a FADT with a DSDT (AML) for poweroff: that belongs with the
 * virtio devices, not here.
 */
#include <asm/bootparam.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vmm.h"

#define ZERO_PAGE		0x50000ULL
#define CMDLINE_ADDR		0x51000ULL
#define CMDLINE_END		BOOT_AREA_END
#define MPTABLE_ADDR		0xf0000ULL
#define EBDA_START		0x9fc00ULL
#define BIOS_START		0xf0000ULL
#define HIGH_START		(1 * MiB)
#define KERNEL_ADDR		HIGH_START

#define SETUP_HDR_OFFSET	0x1f1
#define SETUP_HDR_MAGIC		0x53726448	/* "HdrS" */
#define SETUP_BOOT_FLAG		0xaa55
#define SETUP_SECTS_DEFAULT	4
#define SECTOR			512
#define MIN_PROTOCOL		0x020c		/* 2.12: xloadflags, XLF_KERNEL_64 */
#define ENTRY64_OFFSET		0x200
#define LOADER_UNDEFINED	0xff		/* type_of_loader: no assigned id */
#define E820_TYPE_RAM		1
#define E820_TYPE_RESERVED	2
#define INITRD_ALIGN		(4 * KiB)

/* MP specification 1.4 structures (Intel, "MultiProcessor Specification"). */
#define MPF_SIGNATURE		"_MP_"
#define MPC_SIGNATURE		"PCMP"
#define MP_SPEC_REV		4
#define MP_ENTRY_CPU		0
#define MP_ENTRY_BUS		1
#define MP_ENTRY_IOAPIC		2
#define MP_ENTRY_INTSRC		3
#define MP_ENTRY_LINTSRC	4
#define MP_CPU_ENABLED		0x01
#define MP_CPU_BSP		0x02
#define MP_IRQ_INT		0
#define MP_IRQ_NMI		1
#define MP_IRQ_EXTINT		3
#define MP_IRQFLAG_DEFAULT	0		/* conforms to the bus */
#define MP_APIC_ALL		0xff
#define MP_BUS_PCI		0	/* the PCI bus number: Linux matches them */
#define MP_IRQFLAG_HIGH_LEVEL	0x0d	/* active high, level triggered */
#define MP_ISA_IRQS		16
#define LAPIC_VERSION		0x14
#define IOAPIC_VERSION		0x11
#define LAPIC_ADDR		0xfee00000U
#define IOAPIC_ADDR		0xfec00000U
#define CPUID_FEATURE_FPU	(1U << 0)
#define CPUID_FEATURE_APIC	(1U << 9)
#define MP_CPU_SIGNATURE	0x600		/* family 6 */

struct mpf_intel {
	char signature[4];
	uint32_t physptr;
	uint8_t length;			/* in 16-byte units */
	uint8_t specification;
	uint8_t checksum;
	uint8_t feature1;		/* 0: a configuration table follows */
	uint8_t feature2;		/* bit 7: IMCR present (not here) */
	uint8_t feature3, feature4, feature5;
} __attribute__((packed));

struct mpc_table {
	char signature[4];
	uint16_t length;
	uint8_t spec;
	uint8_t checksum;
	char oem[8];
	char productid[12];
	uint32_t oemptr;
	uint16_t oemsize;
	uint16_t oemcount;		/* number of entries */
	uint32_t lapic;
	uint32_t reserved;
} __attribute__((packed));

struct mpc_cpu {
	uint8_t type;
	uint8_t apicid;
	uint8_t apicver;
	uint8_t cpuflag;
	uint32_t cpufeature;
	uint32_t featureflag;
	uint32_t reserved[2];
} __attribute__((packed));

struct mpc_bus {
	uint8_t type;
	uint8_t busid;
	char bustype[6];
} __attribute__((packed));

struct mpc_ioapic {
	uint8_t type;
	uint8_t apicid;
	uint8_t apicver;
	uint8_t flags;
	uint32_t apicaddr;
} __attribute__((packed));

struct mpc_intsrc {
	uint8_t type;
	uint8_t irqtype;
	uint16_t irqflag;
	uint8_t srcbus;
	uint8_t srcbusirq;
	uint8_t dstapic;
	uint8_t dstirq;
} __attribute__((packed));

/* Also the layout of an MP_ENTRY_LINTSRC entry. */
_Static_assert(sizeof(struct mpc_intsrc) == 8, "MP interrupt entry");
_Static_assert(sizeof(struct mpc_cpu) == 20, "MP processor entry");
_Static_assert(sizeof(struct mpc_table) == 44, "MP table header");
_Static_assert(sizeof(struct boot_params) == 4096, "zero page");

static uint8_t checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return (uint8_t)-sum;
}

/* The size of the MP table for @nr_cpus processors. */
static size_t mptable_size(unsigned int nr_cpus)
{
	return sizeof(struct mpf_intel) + sizeof(struct mpc_table) +
	       nr_cpus * sizeof(struct mpc_cpu) + sizeof(struct mpc_bus) +
	       sizeof(struct mpc_ioapic) +
	       (MP_ISA_IRQS + 2) * sizeof(struct mpc_intsrc) +
	       (pci_present() ? sizeof(struct mpc_bus) +
		pci_nr_devs() * sizeof(struct mpc_intsrc) : 0);
}

/**
 * mptable_write() - the MP floating pointer and configuration table.
 * @vm:		the VM, its RAM allocated
 * @nr_cpus:	processors, APIC ids 0..@nr_cpus - 1 (the vCPU indexes)
 *
 * One ISA bus; the IOAPIC (id @nr_cpus) at FEC00000H; ISA IRQ n on IOAPIC
 * pin n for every n < 16, as the in-kernel irqchip's default routing
 * connects them (KVM_IRQ_LINE n reaches PIC input n and IOAPIC pin n, and
 * the in-kernel PIT raises line 0); LINT0 of every LAPIC ExtINT (the
 * 8259s) and LINT1 NMI.  With pci.c's bus: the PCI bus 0 (the ISA bus is
 * then 1, its number must not be taken by a PCI bus) and, per device, an
 * I/O interrupt entry INTA# of its slot -> its IOAPIC pin, level
 * triggered, active high (the in-kernel IOAPIC's "asserted" is 1 whatever
 * the polarity, as KVM's).
 *
 * Return: 0, or -1 if RAM does not hold F0000H-FFFFFH.
 */
static int mptable_write(struct vm *vm, unsigned int nr_cpus)
{
	size_t size = mptable_size(nr_cpus);
	uint8_t *base = gpa_to_hva(vm, MPTABLE_ADDR, size);
	struct mpf_intel *mpf = (void *)base;
	struct mpc_table *mpc = (void *)(mpf + 1);
	uint8_t *p = (uint8_t *)(mpc + 1);
	unsigned int i, entries = 0, isa = pci_present() ? MP_BUS_PCI + 1 : 0;
	struct mpc_ioapic *ioapic;
	struct mpc_bus *bus;

	if (!base)
		return -1;
	memset(base, 0, size);

	for (i = 0; i < nr_cpus; i++) {
		struct mpc_cpu *cpu = (void *)p;

		cpu->type = MP_ENTRY_CPU;
		cpu->apicid = i;
		cpu->apicver = LAPIC_VERSION;
		cpu->cpuflag = MP_CPU_ENABLED | (i == 0 ? MP_CPU_BSP : 0);
		cpu->cpufeature = MP_CPU_SIGNATURE;
		cpu->featureflag = CPUID_FEATURE_APIC | CPUID_FEATURE_FPU;
		p += sizeof(*cpu);
		entries++;
	}
	if (pci_present()) {
		bus = (void *)p;
		bus->type = MP_ENTRY_BUS;
		bus->busid = MP_BUS_PCI;
		memcpy(bus->bustype, "PCI   ", sizeof(bus->bustype));
		p += sizeof(*bus);
		entries++;
	}
	bus = (void *)p;
	bus->type = MP_ENTRY_BUS;
	bus->busid = isa;
	memcpy(bus->bustype, "ISA   ", sizeof(bus->bustype));
	p += sizeof(*bus);
	entries++;

	ioapic = (void *)p;
	ioapic->type = MP_ENTRY_IOAPIC;
	ioapic->apicid = nr_cpus;
	ioapic->apicver = IOAPIC_VERSION;
	ioapic->flags = 1;		/* usable */
	ioapic->apicaddr = IOAPIC_ADDR;
	p += sizeof(*ioapic);
	entries++;

	for (i = 0; i < MP_ISA_IRQS; i++) {
		struct mpc_intsrc *src = (void *)p;

		src->type = MP_ENTRY_INTSRC;
		src->irqtype = MP_IRQ_INT;
		src->irqflag = MP_IRQFLAG_DEFAULT;
		src->srcbus = isa;
		src->srcbusirq = i;
		src->dstapic = ioapic->apicid;
		src->dstirq = i;
		p += sizeof(*src);
		entries++;
	}
	for (i = 0; i < pci_nr_devs(); i++) {
		const struct pci_dev *pdev = pci_dev_get(i);
		struct mpc_intsrc *src = (void *)p;

		if (!pdev->gsi)
			continue;
		src->type = MP_ENTRY_INTSRC;
		src->irqtype = MP_IRQ_INT;
		src->irqflag = MP_IRQFLAG_HIGH_LEVEL;
		src->srcbus = MP_BUS_PCI;
		src->srcbusirq = pdev->slot << 2;	/* INTA# */
		src->dstapic = ioapic->apicid;
		src->dstirq = pdev->gsi;
		p += sizeof(*src);
		entries++;
	}
	for (i = 0; i < 2; i++) {
		struct mpc_intsrc *lint = (void *)p;	/* same layout */

		lint->type = MP_ENTRY_LINTSRC;
		lint->irqtype = i == 0 ? MP_IRQ_EXTINT : MP_IRQ_NMI;
		lint->irqflag = MP_IRQFLAG_DEFAULT;
		lint->srcbus = isa;
		lint->srcbusirq = 0;
		lint->dstapic = MP_APIC_ALL;
		lint->dstirq = i;		/* LINT0, LINT1 */
		p += sizeof(*lint);
		entries++;
	}

	memcpy(mpc->signature, MPC_SIGNATURE, 4);
	mpc->length = p - (uint8_t *)mpc;
	mpc->spec = MP_SPEC_REV;
	memcpy(mpc->oem, "VTX     ", sizeof(mpc->oem));
	memcpy(mpc->productid, "vtxctl      ", sizeof(mpc->productid));
	mpc->oemcount = entries;
	mpc->lapic = LAPIC_ADDR;
	mpc->checksum = checksum(mpc, mpc->length);

	memcpy(mpf->signature, MPF_SIGNATURE, 4);
	mpf->physptr = MPTABLE_ADDR + sizeof(*mpf);
	mpf->length = 1;
	mpf->specification = MP_SPEC_REV;
	mpf->checksum = checksum(mpf, sizeof(*mpf));
	return 0;
}

static void e820_add(struct boot_params *bp, uint64_t addr, uint64_t size, uint32_t type)
{
	struct boot_e820_entry *e = &bp->e820_table[bp->e820_entries++];

	e->addr = addr;
	e->size = size;
	e->type = type;
}

/**
 * linux_check_header() - is @img a bzImage vtxctl can boot?
 * @img:	the file
 * @hdr:	its setup header, copied out
 *
 * Return: 0, or -1 after printing why not.
 */
static int linux_check_header(const struct image *img, struct setup_header *hdr)
{
	uint64_t setup_size, kernel_size;
	size_t hdr_end;

	if (img->size < SETUP_HDR_OFFSET + sizeof(*hdr)) {
		fprintf(stderr, "vtxctl: %s: not a Linux bzImage (%zu bytes, too short for a setup header)\n",
			img->path, img->size);
		return -1;
	}
	memset(hdr, 0, sizeof(*hdr));
	/* The header ends at 0x202 + the byte at 0x201 (the jump's offset). */
	hdr_end = 0x202 + img->data[0x201];
	if (hdr_end > SETUP_HDR_OFFSET + sizeof(*hdr))
		hdr_end = SETUP_HDR_OFFSET + sizeof(*hdr);
	memcpy(hdr, img->data + SETUP_HDR_OFFSET, hdr_end - SETUP_HDR_OFFSET);
	if (hdr->header != SETUP_HDR_MAGIC || hdr->boot_flag != SETUP_BOOT_FLAG) {
		fprintf(stderr, "vtxctl: %s: not a Linux bzImage (no \"HdrS\" setup header at 0x202%s)\n",
			img->path, hdr->header == SETUP_HDR_MAGIC ? ", or no boot flag AA55H" : "");
		return -1;
	}
	if (hdr->version < MIN_PROTOCOL) {
		fprintf(stderr, "vtxctl: %s: boot protocol %u.%02u is older than 2.12 (no 64-bit entry)\n",
			img->path, hdr->version >> 8, hdr->version & 0xff);
		return -1;
	}
	if (!(hdr->loadflags & LOADED_HIGH) || !(hdr->xloadflags & XLF_KERNEL_64)) {
		fprintf(stderr, "vtxctl: %s: not a 64-bit bzImage (loadflags 0x%x, xloadflags 0x%x)\n",
			img->path, hdr->loadflags, hdr->xloadflags);
		return -1;
	}
	setup_size = (uint64_t)((hdr->setup_sects ? hdr->setup_sects : SETUP_SECTS_DEFAULT) + 1) * SECTOR;
	kernel_size = (uint64_t)hdr->syssize * 16;
	if (!kernel_size || img->size < setup_size + kernel_size) {
		fprintf(stderr, "vtxctl: %s: truncated bzImage: %zu bytes, its setup header says %llu (setup %llu + kernel %llu)\n",
			img->path, img->size, (unsigned long long)(setup_size + kernel_size),
			(unsigned long long)setup_size, (unsigned long long)kernel_size);
		return -1;
	}
	return 0;
}

bool linux_detect(const struct image *img)
{
	return img->size >= 0x206 && !memcmp(img->data + 0x202, "HdrS", 4);
}

/**
 * load_linux() - put a bzImage, its initrd and command line into guest RAM.
 * @vm:		the VM, its RAM allocated
 * @kernel:	path of the bzImage
 * @lk:		initrd, command line, vCPU count
 * @plan:	filled in: long mode at the 64-bit entry, RSI = the zero page
 *
 * Return: 0, or -1 after printing why not.
 */
int load_linux(struct vm *vm, const char *kernel, const struct linux_options *lk,
	       struct boot_plan *plan)
{
	struct image img = { 0 }, initrd = { 0 };
	uint64_t setup_size, kernel_size, load, need, initrd_addr = 0, top;
	size_t cmdline_len = strlen(lk->cmdline), cmdline_max;
	struct setup_header hdr;
	struct boot_params *bp;
	char rd[64] = "";
	int r = -1;

	memset(plan, 0, sizeof(*plan));
	if (image_read(kernel, &img))
		return -1;
	if (linux_check_header(&img, &hdr))
		goto out;

	setup_size = (uint64_t)((hdr.setup_sects ? hdr.setup_sects : SETUP_SECTS_DEFAULT) + 1) * SECTOR;
	kernel_size = (uint64_t)hdr.syssize * 16;
	load = hdr.relocatable_kernel ? KERNEL_ADDR : hdr.pref_address;
	/* It decompresses at max(load address, pref_address), init_size bytes. */
	need = (load > hdr.pref_address ? load : hdr.pref_address) + hdr.init_size;
	if (need < load + kernel_size)
		need = load + kernel_size;
	if (need > vm->ram_size) {
		fprintf(stderr, "vtxctl: %s needs at least %llu MiB of RAM (loaded at 0x%llx, decompressed to 0x%llx, init_size 0x%x); --mem is %llu MiB\n",
			kernel, (unsigned long long)((need + MiB - 1) / MiB),
			(unsigned long long)load, (unsigned long long)hdr.pref_address,
			hdr.init_size, (unsigned long long)(vm->ram_size / MiB));
		goto out;
	}
	if (guest_write(vm, kernel, load, img.data + setup_size, kernel_size, kernel_size))
		goto out;

	cmdline_max = hdr.cmdline_size;
	if (cmdline_max > CMDLINE_END - CMDLINE_ADDR - 1)
		cmdline_max = CMDLINE_END - CMDLINE_ADDR - 1;
	if (cmdline_len > cmdline_max) {
		fprintf(stderr, "vtxctl: --append: %zu bytes, longer than the kernel's %u (cmdline_size)\n",
			cmdline_len, hdr.cmdline_size);
		goto out;
	}
	if (guest_write(vm, "command line", CMDLINE_ADDR, lk->cmdline, cmdline_len,
			cmdline_len + 1))
		goto out;

	if (lk->initrd) {
		if (image_read(lk->initrd, &initrd))
			goto out;
		top = vm->ram_size;
		if (top > (uint64_t)hdr.initrd_addr_max + 1)
			top = (uint64_t)hdr.initrd_addr_max + 1;
		initrd_addr = top > initrd.size ? (top - initrd.size) & ~(INITRD_ALIGN - 1) : 0;
		if (initrd.size > top || initrd_addr < need) {
			fprintf(stderr, "vtxctl: initrd %s (%zu bytes) does not fit in guest RAM between the kernel's end 0x%llx and 0x%llx (RAM, initrd_addr_max 0x%x): give more --mem\n",
				lk->initrd, initrd.size, (unsigned long long)need,
				(unsigned long long)top, hdr.initrd_addr_max);
			goto out;
		}
		if (guest_write(vm, lk->initrd, initrd_addr, initrd.data, initrd.size,
				initrd.size))
			goto out;
	}

	if (mptable_write(vm, lk->nr_cpus)) {
		fprintf(stderr, "vtxctl: no guest RAM for the MP table at 0x%llx\n",
			(unsigned long long)MPTABLE_ADDR);
		goto out;
	}

	bp = gpa_to_hva(vm, ZERO_PAGE, sizeof(*bp));
	if (!bp)
		goto out;
	memset(bp, 0, sizeof(*bp));
	bp->hdr = hdr;
	bp->hdr.type_of_loader = LOADER_UNDEFINED;
	bp->hdr.cmd_line_ptr = CMDLINE_ADDR;
	bp->hdr.ramdisk_image = initrd_addr;
	bp->hdr.ramdisk_size = initrd.size;
	bp->hdr.code32_start = load;
	e820_add(bp, 0, EBDA_START, E820_TYPE_RAM);
	e820_add(bp, EBDA_START, 0xa0000 - EBDA_START, E820_TYPE_RESERVED);
	e820_add(bp, BIOS_START, HIGH_START - BIOS_START, E820_TYPE_RESERVED);
	e820_add(bp, HIGH_START, vm->ram_size - HIGH_START, E820_TYPE_RAM);
	e820_add(bp, KVM_IDENTITY_BASE, KVM_IDENTITY_SIZE, E820_TYPE_RESERVED);

	plan->format = FMT_LINUX;
	plan->mode = MODE_LONG;
	plan->linux_gdt = true;
	plan->entry = load + ENTRY64_OFFSET;
	plan->rsi = ZERO_PAGE;
	plan->have_rsi = true;
	plan->rsp = BOOT_GDT_ADDR;	/* the decompressor sets its own */
	plan->have_rsp = true;
	plan->image_start = load;
	plan->image_end = load + kernel_size;
	if (lk->initrd)
		snprintf(rd, sizeof(rd), ", initrd %zu KiB at 0x%llx", initrd.size / 1024,
			 (unsigned long long)initrd_addr);
	snprintf(plan->summary, sizeof(plan->summary),
		 "Linux bzImage, boot protocol %u.%02u, %llu KiB kernel at 0x%llx, 64-bit entry 0x%llx, init_size %u KiB%s, zero page 0x%llx, MP table at 0x%llx",
		 hdr.version >> 8, hdr.version & 0xff,
		 (unsigned long long)(kernel_size / KiB), (unsigned long long)load,
		 (unsigned long long)plan->entry, hdr.init_size / 1024, rd,
		 (unsigned long long)ZERO_PAGE, (unsigned long long)MPTABLE_ADDR);
	r = 0;
out:
	image_free(&initrd);
	image_free(&img);
	return r;
}
