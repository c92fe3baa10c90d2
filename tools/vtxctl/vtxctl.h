/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtxctl - a small KVM-API virtual machine monitor for /dev/vtx (and /dev/kvm).
 *
 * Shared declarations.  The program is split by concern:
 *   main.c     command line, sub-command dispatch
 *   vm.c       the device, VM and vCPU file descriptors, guest RAM and memslots
 *   boot.c     initial vCPU state for each --mode (real, long: GDT, page tables)
 *   loader.c   guest image loaders (flat binary today)
 *   run.c      the KVM_RUN loop, exit dispatch, signals, stop reasons
 *   io.c       port I/O and MMIO buses that devices register on
 *   uart.c     a 16550-style UART (transmit only) at 0x3f8
 *   exitport.c QEMU isa-debug-exit compatible exit port at 0xf4
 *   stats.c    exit counters and the summary printed at the end of a run
 *
 * All KVM structures and constants come from the system <linux/kvm.h>.
 */
#ifndef VTXCTL_H
#define VTXCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define KiB	(1ULL << 10)
#define MiB	(1ULL << 20)
#define GiB	(1ULL << 30)

/*
 * Exit status of vtxctl.  A guest-requested exit through the exit port
 * (QEMU isa-debug-exit semantics) is always odd: (code << 1) | 1.  Every
 * status that vtxctl chooses on its own is even, so the two never collide.
 */
enum vtx_status {
	ST_HALT		= 0,	/* the guest executed HLT */
	ST_USAGE	= 2,	/* bad command line */
	ST_SETUP	= 4,	/* device, VM, memory, image or vCPU setup failed */
	ST_SHUTDOWN	= 6,	/* KVM_EXIT_SHUTDOWN (e.g. triple fault) */
	ST_FAIL_ENTRY	= 8,	/* KVM_EXIT_FAIL_ENTRY */
	ST_INTERNAL	= 10,	/* KVM_EXIT_INTERNAL_ERROR */
	ST_UNHANDLED	= 12,	/* an exit reason vtxctl does not handle */
	ST_RUN_ERROR	= 14,	/* the KVM_RUN ioctl itself failed */
	ST_TIMEOUT	= 16,	/* --timeout expired */
	ST_INTERRUPTED	= 130,	/* SIGINT or SIGTERM */
};

enum boot_mode {
	MODE_REAL,
	MODE_LONG,
};

/* One KVM memory slot backed by anonymous memory in this process. */
struct mem_region {
	uint32_t slot;
	uint64_t gpa;
	uint64_t size;
	void *hva;
};

#define MAX_REGIONS	8

struct vm {
	const char *dev_path;
	int sys_fd;			/* the opened device (/dev/vtx, /dev/kvm) */
	int fd;				/* KVM_CREATE_VM */
	uint64_t ram_size;
	struct mem_region regions[MAX_REGIONS];
	unsigned int nr_regions;
};

struct vcpu {
	struct vm *vm;
	int id;
	int fd;				/* KVM_CREATE_VCPU */
	struct kvm_run *run;		/* the shared kvm_run page(s) */
	size_t run_size;
};

/* vm.c */
int vm_open(struct vm *vm, const char *dev_path);
int vm_add_ram(struct vm *vm, uint64_t gpa, uint64_t size);
void *gpa_to_hva(struct vm *vm, uint64_t gpa, uint64_t len);
int vm_setup_cpuid(struct vm *vm, struct vcpu *vcpu);
int vcpu_create(struct vm *vm, struct vcpu *vcpu, int id);
void vcpu_dump(struct vcpu *vcpu);
void vcpu_destroy(struct vcpu *vcpu);
void vm_close(struct vm *vm);

/* boot.c */
int boot_setup(struct vcpu *vcpu, enum boot_mode mode, uint64_t entry);
bool boot_area_overlaps(struct vm *vm, enum boot_mode mode, uint64_t start,
			uint64_t end);
uint64_t boot_identity_map_size(struct vm *vm, enum boot_mode mode);

/* loader.c */
struct load_info {
	uint64_t start;		/* first guest-physical byte written */
	uint64_t end;		/* one past the last */
	uint64_t entry;		/* where execution starts */
};
int load_flat(struct vm *vm, const char *path, uint64_t addr,
	      struct load_info *info);

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
/* Returns true if a device claimed the access; unclaimed reads are all ones. */
bool io_access(enum io_space space, uint64_t addr, void *data,
	       unsigned int size, bool is_write);

/* Set by a device to end the run (exit port); read by run.c. */
struct stop_request {
	bool requested;
	int status;
	uint64_t code;
};
extern struct stop_request stop_request;

/* uart.c, exitport.c */
int uart_init(uint16_t base);
uint64_t uart_tx_bytes(void);
void uart_flush(void);
int exitport_init(uint16_t port);

/* stats.c */
struct run_stats {
	uint64_t runs;			/* KVM_RUN calls */
	uint64_t exits[64];		/* userspace exits by KVM_EXIT_* reason */
	uint64_t exits_other;		/* reasons >= ARRAY_SIZE(exits) */
	uint64_t unclaimed_pio;
	uint64_t unclaimed_mmio;
	double wall_seconds;
};
extern struct run_stats stats;

const char *exit_reason_name(uint32_t reason);
void stats_count_exit(uint32_t reason);
void stats_print(const char *stop_text, int status);

/* run.c */
struct run_options {
	unsigned int timeout;		/* seconds, 0 = none */
};
int vcpu_run_loop(struct vcpu *vcpu, const struct run_options *opts,
		  char *stop_text, size_t stop_len);

#endif /* VTXCTL_H */
