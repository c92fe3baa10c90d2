/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtx selftest library: open the device, create VMs, memslots and vCPUs,
 * put a vCPU into real, 32-bit protected or 64-bit long mode, load guest
 * code and talk to it through a "ucall" port.
 *
 * Everything here speaks the plain <linux/kvm.h> ABI, so the same binaries
 * run against /dev/vtx and /dev/kvm.  This header does not include the
 * kselftest harness (the harness can only be included by one translation
 * unit); vtx_test.h glues the two together for test files.  The constants
 * at the top are also usable from guest assembly (.S files).
 *
 * Conventions:
 *   __vtx_*()  raw wrappers: return the ioctl's value (>= 0) or -errno.
 *   vtx_*()    asserting wrappers: on failure print where and why, then
 *              abort(), which the harness reports as a failed test.
 */
#ifndef VTX_SELFTEST_H
#define VTX_SELFTEST_H

#define VTX_PAGE_SIZE		0x1000

/*
 * Guest-physical layout used by vtx_vm_create_default() and the mode setup
 * helpers.  Everything lives below 64 KiB so real-mode code with CS = 0 can
 * reach it.  Plain numbers (no suffix) so guest assembly can use them.
 */
#define VTX_RAM_SIZE		0x200000	/* slot 0: [0, 2 MiB) */
#define VTX_GDT_GPA		0x1000
#define VTX_PML4_GPA		0x2000
#define VTX_PDPT_GPA		0x3000
#define VTX_PD_GPA		0x4000
#define VTX_STACK_TOP		0x8000	/* stack grows down from here */
#define VTX_CODE_GPA		0x8000	/* guest code is loaded here */
#define VTX_CODE_MAX		0x4000
#define VTX_DATA_GPA		0xc000	/* scratch data for the guest */
#define VTX_DATA_SIZE		0x4000

/* GDT built by vtx_setup_mode() */
#define VTX_SEL_CODE32		0x08
#define VTX_SEL_DATA		0x10
#define VTX_SEL_CODE64		0x18
#define VTX_GDT_ENTRIES		4

/* Reset vector: the vCPU starts at CS.base 0xffff0000 + IP 0xfff0 */
#define VTX_RESET_PAGE_GPA	0xfffff000
#define VTX_RESET_VECTOR_GPA	0xfffffff0

/*
 * ucall: the guest executes "out %eax, $VTX_UCALL_PORT" with the call code
 * in EAX and arguments in RBX, RCX, RDX, RSI, RDI.  The same instruction
 * bytes work in all three modes.
 */
#define VTX_UCALL_PORT		0xf4

/* ucall codes (in EAX) */
#define UCALL_NONE		0
#define UCALL_REPORT		1	/* a value for the host: RBX */
#define UCALL_STEP		2	/* a checkpoint: RBX is its number */
#define UCALL_DONE		3
#define UCALL_FAIL		4	/* a guest-side check failed: RBX = its id */

#ifndef __ASSEMBLER__

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

enum vtx_mode {
	VTX_MODE_REAL,
	VTX_MODE_PROT32,
	VTX_MODE_LONG64,
};

/* CR0/CR4/EFER bits the mode setup uses */
#define VTX_CR0_PE		(1UL << 0)
#define VTX_CR0_ET		(1UL << 4)
#define VTX_CR0_NE		(1UL << 5)
#define VTX_CR0_NW		(1UL << 29)
#define VTX_CR0_CD		(1UL << 30)
#define VTX_CR0_PG		(1UL << 31)
#define VTX_CR4_PAE		(1UL << 5)
#define VTX_EFER_LME		(1UL << 8)
#define VTX_EFER_LMA		(1UL << 10)

#define VTX_MAX_MEM		8

struct vtx_mem {
	uint32_t slot;
	uint64_t gpa;
	uint64_t size;
	void *hva;
};

struct vtx_vm {
	int dev_fd;		/* the device (/dev/vtx or /dev/kvm) */
	int fd;			/* the VM */
	int nr_mem;
	struct vtx_mem mem[VTX_MAX_MEM];
};

struct vtx_vcpu {
	struct vtx_vm *vm;
	int fd;
	unsigned int id;
	struct kvm_run *run;
	size_t run_size;
};

struct vtx_ucall {
	uint32_t code;
	struct kvm_regs regs;	/* the guest's registers at the call */
};

/* Device selection: --device PATH, else $VTX_DEVICE, else /dev/vtx */
#define VTX_DEFAULT_DEVICE	"/dev/vtx"
const char *vtx_device_path(void);
void vtx_set_device_path(const char *path);
/*
 * Remove "--device PATH" / "--device=PATH" from argv (updating *argc) and
 * remember PATH.  Other arguments are left for the harness.
 */
void vtx_parse_args(int *argc, char **argv);
/* Same, for any "--NAME PATH" option; returns the value or NULL. */
const char *vtx_take_arg(int *argc, char **argv, const char *name);

/* Failure reporting for the asserting wrappers. */
void __attribute__((noreturn, format(printf, 3, 4)))
__vtx_die(const char *file, int line, const char *fmt, ...);
#define vtx_die(fmt, ...) __vtx_die(__FILE__, __LINE__, fmt, ##__VA_ARGS__)
#define VTX_ASSERT(cond, fmt, ...) do {					\
	if (!(cond))							\
		vtx_die("assertion '%s' failed: " fmt, #cond, ##__VA_ARGS__); \
} while (0)

/* Raw ioctl: result (>= 0) or -errno. */
long __vtx_ioctl_raw(int fd, unsigned long req, unsigned long arg);
#define __vtx_ioctl(fd, req, arg) __vtx_ioctl_raw(fd, req, (unsigned long)(arg))

/* Asserting ioctl: dies unless the result is >= 0, returns it. */
long __vtx_ioctl_ok(int fd, unsigned long req, unsigned long arg,
		    const char *name, const char *file, int line);
#define vtx_ioctl(fd, req, arg) \
	__vtx_ioctl_ok(fd, req, (unsigned long)(arg), #req, __FILE__, __LINE__)

int vtx_open_path(const char *path);		/* asserting */
int vtx_open_device(void);			/* vtx_open_path(vtx_device_path()) */
int vtx_check_extension(int fd, long cap);	/* asserting; fd: system or VM */
long vtx_vcpu_mmap_size(int dev_fd);		/* asserting */

/* VMs */
struct vtx_vm *vtx_vm_create_on(int dev_fd);	/* asserting; owns nothing of dev_fd */
struct vtx_vm *vtx_vm_create(void);		/* opens the device too */
/* A VM with slot 0 = [0, VTX_RAM_SIZE) of zeroed anonymous memory. */
struct vtx_vm *vtx_vm_create_default(void);
void vtx_vm_free(struct vtx_vm *vm);

/* Memslots */
long __vtx_set_memslot(int vm_fd, uint32_t slot, uint32_t flags,
		       uint64_t gpa, uint64_t size, uint64_t hva);
/* mmap zeroed anonymous memory of @size and register it as @slot at @gpa. */
void *vtx_vm_add_mem(struct vtx_vm *vm, uint32_t slot, uint64_t gpa,
		     uint64_t size);
/* Host address of @gpa in one of the VM's slots; dies if unmapped. */
void *vtx_gpa2hva(struct vtx_vm *vm, uint64_t gpa);

/* vCPUs */
long __vtx_create_vcpu(int vm_fd, unsigned long id);
struct vtx_vcpu *vtx_vcpu_add(struct vtx_vm *vm, unsigned int id);
void vtx_vcpu_free(struct vtx_vcpu *vcpu);
long __vtx_run(struct vtx_vcpu *vcpu);		/* raw KVM_RUN */
uint32_t vtx_run(struct vtx_vcpu *vcpu);	/* asserting; returns exit_reason */
void vtx_get_regs(struct vtx_vcpu *vcpu, struct kvm_regs *regs);
void vtx_set_regs(struct vtx_vcpu *vcpu, const struct kvm_regs *regs);
void vtx_get_sregs(struct vtx_vcpu *vcpu, struct kvm_sregs *sregs);
void vtx_set_sregs(struct vtx_vcpu *vcpu, const struct kvm_sregs *sregs);
/* The I/O data of the current KVM_EXIT_IO, bounds-checked against the mmap. */
void *vtx_io_data(struct vtx_vcpu *vcpu);

/* Guest code */
void vtx_load_code(struct vtx_vm *vm, uint64_t gpa, const void *start,
		   const void *end);
/*
 * Put @vcpu into @mode with RIP = @entry, RSP = VTX_STACK_TOP and
 * RFLAGS = 0x2, building the GDT (and for long mode the identity-mapped page
 * tables for the first 1 GiB, 2 MiB pages) in the VM's memory.  Real mode
 * keeps the reset state except CS = 0 (base 0).
 */
void vtx_setup_mode(struct vtx_vcpu *vcpu, enum vtx_mode mode, uint64_t entry);
/* A default VM with one vCPU in @mode, running the blob [start, end). */
struct vtx_vcpu *vtx_create_guest(enum vtx_mode mode, const void *start,
				  const void *end);
/* GPA of @sym inside a blob [start, ...) loaded at VTX_CODE_GPA */
#define VTX_BLOB_GPA(start, sym) \
	(VTX_CODE_GPA + (uint64_t)((const uint8_t *)(sym) - (const uint8_t *)(start)))

/* ucall: if the current exit is a ucall, fill @uc and return its code. */
uint32_t vtx_get_ucall(struct vtx_vcpu *vcpu, struct vtx_ucall *uc);

const char *vtx_exit_reason_str(uint32_t reason);
const char *vtx_mode_str(enum vtx_mode mode);

/* Helpers to embed guest code: stringify a constant into asm text. */
#define __VTX_STR(x)	#x
#define VTX_STR(x)	__VTX_STR(x)

#endif /* !__ASSEMBLER__ */
#endif /* VTX_SELFTEST_H */
