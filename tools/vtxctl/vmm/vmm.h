/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The virtual machine monitor of vtxctl ("vtxctl run"), split by concern:
 *   cmd_run.c   the command line of "run", and the VM it builds and runs
 *   vm.c        the device, VM and vCPU file descriptors, guest RAM, CPUID
 *   boot.c      initial vCPU state for each CPU mode (real, 32-bit
 *               protected, 64-bit long: GDT, page tables)
 *   loader.c    image format detection and the flat-binary loader
 *   elf.c       the ELF loader (32- and 64-bit)
 *   multiboot.c the Multiboot v1 loader and boot information
 *   linux.c     the Linux x86 boot protocol (bzImage, zero page, e820,
 *               initrd, command line) and the MP table
 *   run.c       vCPU threads, the KVM_RUN loop, signals, stop reasons
 *   io.c        port I/O and MMIO buses that devices register on
 *   uart.c      a 16550 UART at 0x3f8 (stdin into the guest)
 *   exitport.c  QEMU isa-debug-exit compatible exit port at 0xf4
 *   fwcfg.c     QEMU fw_cfg (legacy port interface) at 0x510/0x511
 *   pc.c        the PC's odds and ends a Linux guest touches: a keyboard
 *               controller stub (reset), the CMOS clock
 *   pci.c       a PCI bus 0 on configuration mechanism #1 (0xcf8/0xcfc): the
 *               host bridge, devices' config spaces, BARs in the PCI hole
 *   virtio.c    virtio devices (virtio.h): the registers' meaning, split
 *               virtqueues served by I/O threads (KVM_IOEVENTFD, KVM_IRQFD),
 *               and the virtio-mmio transport
 *   virtio_pci.c  the virtio-pci (modern) transport on pci.c
 *   virtio_blk.c, virtio_rng.c  the devices of --disk and --rng
 *   stats.c     counters and the summary printed at the end of a run
 */
#ifndef VTXCTL_VMM_H
#define VTXCTL_VMM_H

#include <pthread.h>
#include <linux/kvm.h>

#include "../vtxctl.h"

/* CPU mode a guest starts in. */
enum boot_mode {
	MODE_REAL,
	MODE_PROT32,		/* 32-bit protected mode, paging off */
	MODE_LONG,		/* 64-bit mode, identity paging */
};

enum image_format {
	FMT_AUTO,
	FMT_FLAT,
	FMT_ELF,
	FMT_MULTIBOOT,
	FMT_LINUX,		/* --kernel: a bzImage */
};

/* One KVM memory slot backed by anonymous memory in this process. */
struct mem_region {
	uint32_t slot;
	uint64_t gpa;
	uint64_t size;
	void *hva;
};

#define MAX_REGIONS	8
#define MAX_VCPUS	64

struct vcpu;

struct vm {
	const char *dev_path;
	int sys_fd;			/* the opened device (/dev/vtx, /dev/kvm) */
	int fd;				/* KVM_CREATE_VM */
	uint64_t ram_size;
	struct mem_region regions[MAX_REGIONS];
	unsigned int nr_regions;
	unsigned int nr_vcpus;
	struct vcpu *vcpus;
	bool irqchip;			/* in-kernel PIC, IOAPIC, LAPICs and PIT */
};

/*
 * Where vtxctl puts KVM's identity-map page (KVM_SET_IDENTITY_MAP_ADDR)
 * and the three pages of the real-mode TSS (KVM_SET_TSS_ADDR) that
 * kvm_intel needs without "unrestricted guest": QEMU's addresses, below
 * the BIOS ROM, outside RAM (--mem stays below 3 GiB with --kernel) and
 * reserved in a Linux guest's e820 map.
 */
#define KVM_IDENTITY_BASE	0xfeffc000ULL
#define KVM_TSS_BASE		(KVM_IDENTITY_BASE + 0x1000)
#define KVM_IDENTITY_SIZE	0x4000ULL

/* Per-vCPU counters of one run (written by the vCPU's own thread). */
struct vcpu_stats {
	uint64_t runs;			/* KVM_RUN calls */
	uint64_t exits[64];		/* userspace exits by KVM_EXIT_* reason */
	uint64_t exits_other;		/* reasons >= ARRAY_SIZE(exits) */
};

struct vcpu {
	struct vm *vm;
	int id;
	int fd;				/* KVM_CREATE_VCPU */
	struct kvm_run *run;		/* the shared kvm_run page(s) */
	size_t run_size;
	pthread_t thread;
	bool thread_started;
	bool parked;			/* an AP that never enters the guest */
	bool halted;			/* stopped on HLT */
	struct vcpu_stats stats;
};

/*
 * What the loader decided: the CPU mode, the entry point and the
 * registers the boot protocol defines, and what guest RAM holds.
 */
struct boot_plan {
	enum image_format format;
	enum boot_mode mode;
	bool elf64;			/* ELF class of the image, if ELF */
	uint64_t entry;			/* RIP (virtual in long mode) */
	uint64_t rax, rbx, rsp;		/* boot protocol registers */
	bool have_rsp;			/* rsp set by the loader */
	uint64_t rsi;			/* Linux: the zero page */
	bool have_rsi;			/* else RSI = the vCPU index */
	bool linux_gdt;			/* code 0x10, data 0x18 (__BOOT_CS/DS) */
	uint64_t image_start;		/* lowest guest-physical byte written */
	uint64_t image_end;		/* one past the highest (bss included) */
	uint64_t high_offset;		/* long mode: vaddr - paddr of the image, or 0 */
	/* Multiboot */
	uint32_t mb_flags;		/* the header's flags */
	uint64_t mb_info;		/* guest-physical address of the MBI */
	unsigned int nr_modules;
	char summary[256];		/* one line for --verbose / --dry-run */
};

/* vm.c */
int mem_alloc(struct vm *vm, uint64_t size);
int vm_open(struct vm *vm, const char *dev_path);
int vm_create_irqchip(struct vm *vm);
int vm_irq_line(struct vm *vm, unsigned int irq, bool level);
void *gpa_to_hva(struct vm *vm, uint64_t gpa, uint64_t len);
int vcpu_create(struct vm *vm, struct vcpu *vcpu, int id);
int vcpu_setup_cpuid(struct vcpu *vcpu, unsigned int nr_vcpus);
void vcpu_dump(struct vcpu *vcpu);
void vcpu_destroy(struct vcpu *vcpu);
void vm_close(struct vm *vm);

/* boot.c: the boot area in guest RAM that vtxctl writes for some modes */
#define BOOT_AREA_START	0x8000ULL
#define BOOT_AREA_END	0x80000ULL
/* Multiboot information, strings and memory map go here (bump allocated). */
#define BOOT_INFO_START	0x50000ULL
#define BOOT_GDT_ADDR	BOOT_AREA_START
int boot_prepare(struct vm *vm, struct boot_plan *plan);
int boot_setup_vcpu(struct vcpu *vcpu, const struct boot_plan *plan,
		    bool ap_entry);
const char *boot_mode_name(enum boot_mode mode);

/* loader.c, elf.c, multiboot.c */
struct load_options {
	enum image_format format;
	enum boot_mode mode;		/* flat images */
	bool have_mode;
	uint64_t load_addr;		/* flat images */
	bool have_load_addr;
	const char *cmdline;
	const char **modules;
	unsigned int nr_modules;
};

struct image {
	const char *path;
	unsigned char *data;
	size_t size;
};

int image_read(const char *path, struct image *img);
void image_free(struct image *img);
int load_image(struct vm *vm, const char *path, const struct load_options *lo,
	       struct boot_plan *plan);
int load_flat(struct vm *vm, const struct image *img, const struct load_options *lo,
	      struct boot_plan *plan);
bool elf_detect(const struct image *img);
int load_elf(struct vm *vm, const struct image *img, struct boot_plan *plan,
	     bool for_multiboot);
long multiboot_find_header(const struct image *img);
int load_multiboot(struct vm *vm, const struct image *img, long hdr_off,
		   const struct load_options *lo, struct boot_plan *plan);
struct linux_options {
	const char *initrd;		/* NULL: none */
	const char *cmdline;		/* "" for none */
	unsigned int nr_cpus;		/* processors in the MP table */
};
bool linux_detect(const struct image *img);
int load_linux(struct vm *vm, const char *kernel, const struct linux_options *lk,
	       struct boot_plan *plan);
/* Write @len bytes at @gpa, zero-filling up to @memsz; checks RAM bounds. */
int guest_write(struct vm *vm, const char *what, uint64_t gpa, const void *src,
		uint64_t len, uint64_t memsz);

/* io.c: devices claim port or MMIO ranges. */
struct io_dev {
	const char *name;
	uint64_t base;
	uint64_t len;
	/* Access of @size bytes at @offset from @base; @data in guest byte order. */
	void (*read)(struct io_dev *dev, uint64_t offset, void *data, unsigned int size);
	void (*write)(struct io_dev *dev, uint64_t offset, const void *data, unsigned int size);
	void *priv;
};

enum io_space {
	IO_PIO,
	IO_MMIO,
};

int io_register(enum io_space space, struct io_dev *dev);
/*
 * Returns true if a device claimed the access.  Unclaimed port reads are
 * all ones (a floating ISA bus), unclaimed MMIO reads are zero; both are
 * counted.
 */
bool io_access(enum io_space space, uint64_t addr, void *data,
	       unsigned int size, bool is_write);

/* pci.c: bus 0 on configuration mechanism #1, BARs in [PCI_MMIO_BASE, PCI_MMIO_END). */
#define PCI_CFG_SIZE		256
#define PCI_MAX_BARS		6
#define PCI_MAX_SLOTS		32
#define PCI_MMIO_BASE		0xc0000000ULL	/* the top of --kernel's largest RAM */
#define PCI_MMIO_END		0xfec00000ULL	/* the IOAPIC */
#define PCI_INTX_GSI_BASE	16		/* IOAPIC pins 16-23: no ISA line */
#define PCI_INTX_GSIS		8

/* A function 0 on bus 0: its config space and memory BARs. */
struct pci_dev {
	const char *name;
	/* Config space and the bits of it the guest may write (under pci.lock). */
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];
	uint32_t bar_size[PCI_MAX_BARS];	/* 0 or a power of two >= 16: 32-bit memory */
	uint64_t bar_addr[PCI_MAX_BARS];	/* where it decodes now, 0: nowhere */
	unsigned int slot;
	unsigned int gsi;			/* INTA#'s IOAPIC pin, or 0 */
	/* An access of @size bytes at @offset into BAR @bar (no lock held). */
	void (*bar_read)(struct pci_dev *pdev, unsigned int bar, uint64_t offset,
			 void *data, unsigned int size);
	void (*bar_write)(struct pci_dev *pdev, unsigned int bar, uint64_t offset,
			  const void *data, unsigned int size);
	/* BAR @bar decodes at @addr now (0: nowhere); with pci.lock held. */
	void (*bar_moved)(struct pci_dev *pdev, unsigned int bar, uint64_t addr);
	/* Optional: @size bytes at @reg were written (after the mask); pci.lock held. */
	void (*cfg_written)(struct pci_dev *pdev, unsigned int reg, unsigned int size);
	void *priv;
};

int pci_init(void);
int pci_add(struct pci_dev *pdev, bool intx);
bool pci_present(void);
unsigned int pci_nr_devs(void);
const struct pci_dev *pci_dev_get(unsigned int i);
bool pci_conf1_decode(uint32_t addr, unsigned int port_off, unsigned int size,
		      unsigned int *devfn, unsigned int *reg);
uint32_t pci_cfg_read(struct pci_dev *pdev, unsigned int reg, unsigned int size);
void pci_cfg_write(struct pci_dev *pdev, unsigned int reg, uint32_t val, unsigned int size);

/* uart.c, exitport.c, fwcfg.c */
int uart_init(uint16_t base);
void uart_connect_irq(struct vm *vm, unsigned int irq);
uint64_t uart_tx_bytes(void);
uint64_t uart_rx_bytes(void);
size_t uart_rx_room(void);
void uart_rx_push(const unsigned char *buf, size_t len);
void uart_flush(void);
int exitport_init(uint16_t port);
struct fwcfg_config {
	uint64_t ram_size;
	unsigned int nr_cpus;
	const char *cmdline;		/* NULL: no FW_CFG_CMDLINE_* items */
};
int fwcfg_init(const struct fwcfg_config *cfg);
int pc_init(void);

/* run.c */
struct run_options {
	unsigned int timeout;		/* seconds, 0 = none */
	bool strict_mmio;
	bool hold;			/* keep the VM after the guest stopped */
	bool stdin_to_uart;
	/* --console virtio: stdin is the console's, a terminal goes raw. */
	bool console_raw;
};
/* stdin can be read: not a terminal, or one of which we are the foreground. */
bool run_stdin_usable(void);
/* Ask every vCPU to stop; the first caller's status and text win. */
void run_request_stop(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int run_vm(struct vm *vm, const struct run_options *opts, char *stop_text,
	   size_t stop_len);

/* stats.c */
struct run_stats {
	uint64_t unclaimed_pio;
	uint64_t unclaimed_mmio_reads;
	uint64_t unclaimed_mmio_writes;
	double wall_seconds;
};
extern struct run_stats stats;

const char *kvm_exit_name(uint32_t reason);
void stats_count_exit(struct vcpu *vcpu, uint32_t reason);
void stats_print(struct vm *vm, const char *stop_text, int status);

#endif /* VTXCTL_VMM_H */
