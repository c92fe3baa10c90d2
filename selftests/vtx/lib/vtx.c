// SPDX-License-Identifier: GPL-2.0
/*
 * vtx selftest library: device, VMs, memslots, vCPUs, ioctl wrappers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vtx.h"

static const char *device_path;

const char *vtx_device_path(void)
{
	const char *env;

	if (device_path)
		return device_path;
	env = getenv("VTX_DEVICE");
	if (env && *env)
		return env;
	return VTX_DEFAULT_DEVICE;
}

void vtx_set_device_path(const char *path)
{
	device_path = path;
}

const char *vtx_take_arg(int *argc, char **argv, const char *name)
{
	size_t len = strlen(name);
	const char *value = NULL;
	int i, j, drop;

	for (i = 1; i < *argc; ) {
		drop = 0;
		if (!strncmp(argv[i], name, len) && argv[i][len] == '=') {
			value = argv[i] + len + 1;
			drop = 1;
		} else if (!strcmp(argv[i], name)) {
			if (i + 1 >= *argc) {
				fprintf(stderr, "%s needs a value\n", name);
				exit(2);
			}
			value = argv[i + 1];
			drop = 2;
		}
		if (!drop) {
			i++;
			continue;
		}
		for (j = i; j + drop <= *argc; j++)
			argv[j] = argv[j + drop];
		*argc -= drop;
	}
	return value;
}

void vtx_parse_args(int *argc, char **argv)
{
	const char *path = vtx_take_arg(argc, argv, "--device");

	if (path)
		vtx_set_device_path(path);
}

void __vtx_die(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "# %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	fflush(stderr);
	abort();
}

long __vtx_ioctl_raw(int fd, unsigned long req, unsigned long arg)
{
	long ret = ioctl(fd, req, arg);

	return ret < 0 ? -errno : ret;
}

long __vtx_ioctl_ok(int fd, unsigned long req, unsigned long arg,
		    const char *name, const char *file, int line)
{
	long ret = __vtx_ioctl_raw(fd, req, arg);

	if (ret < 0)
		__vtx_die(file, line, "%s failed: %s (%ld)", name,
			  strerror(-ret), ret);
	return ret;
}

int vtx_open_path(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		vtx_die("open %s: %s", path, strerror(errno));
	return fd;
}

int vtx_open_device(void)
{
	return vtx_open_path(vtx_device_path());
}

int vtx_check_extension(int fd, long cap)
{
	return vtx_ioctl(fd, KVM_CHECK_EXTENSION, cap);
}

long vtx_vcpu_mmap_size(int dev_fd)
{
	return vtx_ioctl(dev_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
}

struct vtx_vm *vtx_vm_create_on(int dev_fd)
{
	struct vtx_vm *vm = calloc(1, sizeof(*vm));

	VTX_ASSERT(vm, "out of memory");
	vm->dev_fd = dev_fd;
	vm->fd = vtx_ioctl(dev_fd, KVM_CREATE_VM, 0);
	return vm;
}

struct vtx_vm *vtx_vm_create(void)
{
	return vtx_vm_create_on(vtx_open_device());
}

struct vtx_vm *vtx_vm_create_default(void)
{
	struct vtx_vm *vm = vtx_vm_create();

	vtx_vm_add_mem(vm, 0, 0, VTX_RAM_SIZE);
	return vm;
}

void vtx_vm_free(struct vtx_vm *vm)
{
	int i;

	if (!vm)
		return;
	close(vm->fd);
	for (i = 0; i < vm->nr_mem; i++)
		munmap(vm->mem[i].hva, vm->mem[i].size);
	free(vm);
}

long __vtx_set_memslot(int vm_fd, uint32_t slot, uint32_t flags,
		       uint64_t gpa, uint64_t size, uint64_t hva)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = hva,
	};

	return __vtx_ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region);
}

void *vtx_vm_add_mem(struct vtx_vm *vm, uint32_t slot, uint64_t gpa,
		     uint64_t size)
{
	struct vtx_mem *mem;
	void *hva;
	long ret;

	VTX_ASSERT(vm->nr_mem < VTX_MAX_MEM, "too many memory regions");
	hva = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	VTX_ASSERT(hva != MAP_FAILED, "mmap %#lx bytes: %s",
		   (unsigned long)size, strerror(errno));
	ret = __vtx_set_memslot(vm->fd, slot, 0, gpa, size, (uintptr_t)hva);
	if (ret)
		vtx_die("KVM_SET_USER_MEMORY_REGION slot %u gpa %#lx size %#lx: %s",
			slot, (unsigned long)gpa, (unsigned long)size,
			strerror(-ret));
	mem = &vm->mem[vm->nr_mem++];
	mem->slot = slot;
	mem->gpa = gpa;
	mem->size = size;
	mem->hva = hva;
	return hva;
}

void *vtx_gpa2hva(struct vtx_vm *vm, uint64_t gpa)
{
	int i;

	for (i = 0; i < vm->nr_mem; i++) {
		struct vtx_mem *mem = &vm->mem[i];

		if (gpa >= mem->gpa && gpa - mem->gpa < mem->size)
			return (uint8_t *)mem->hva + (gpa - mem->gpa);
	}
	vtx_die("gpa %#lx is not in any memslot", (unsigned long)gpa);
}

long __vtx_create_vcpu(int vm_fd, unsigned long id)
{
	return __vtx_ioctl(vm_fd, KVM_CREATE_VCPU, id);
}

struct vtx_vcpu *vtx_vcpu_add(struct vtx_vm *vm, unsigned int id)
{
	struct vtx_vcpu *vcpu = calloc(1, sizeof(*vcpu));
	void *run;

	VTX_ASSERT(vcpu, "out of memory");
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = vtx_ioctl(vm->fd, KVM_CREATE_VCPU, (unsigned long)id);
	vcpu->run_size = vtx_vcpu_mmap_size(vm->dev_fd);
	VTX_ASSERT(vcpu->run_size >= sizeof(struct kvm_run),
		   "vCPU mmap size %zu < sizeof(struct kvm_run)",
		   vcpu->run_size);
	run = mmap(NULL, vcpu->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   vcpu->fd, 0);
	VTX_ASSERT(run != MAP_FAILED, "mmap of kvm_run: %s", strerror(errno));
	vcpu->run = run;
	return vcpu;
}

void vtx_vcpu_free(struct vtx_vcpu *vcpu)
{
	if (!vcpu)
		return;
	munmap(vcpu->run, vcpu->run_size);
	close(vcpu->fd);
	free(vcpu);
}

long __vtx_run(struct vtx_vcpu *vcpu)
{
	return __vtx_ioctl(vcpu->fd, KVM_RUN, 0);
}

uint32_t vtx_run(struct vtx_vcpu *vcpu)
{
	vtx_ioctl(vcpu->fd, KVM_RUN, 0);
	return vcpu->run->exit_reason;
}

void vtx_get_regs(struct vtx_vcpu *vcpu, struct kvm_regs *regs)
{
	vtx_ioctl(vcpu->fd, KVM_GET_REGS, regs);
}

void vtx_set_regs(struct vtx_vcpu *vcpu, const struct kvm_regs *regs)
{
	vtx_ioctl(vcpu->fd, KVM_SET_REGS, regs);
}

void vtx_get_sregs(struct vtx_vcpu *vcpu, struct kvm_sregs *sregs)
{
	vtx_ioctl(vcpu->fd, KVM_GET_SREGS, sregs);
}

void vtx_set_sregs(struct vtx_vcpu *vcpu, const struct kvm_sregs *sregs)
{
	vtx_ioctl(vcpu->fd, KVM_SET_SREGS, sregs);
}

void *vtx_io_data(struct vtx_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint64_t len = (uint64_t)run->io.size * run->io.count;

	VTX_ASSERT(run->exit_reason == KVM_EXIT_IO, "exit is %s, not IO",
		   vtx_exit_reason_str(run->exit_reason));
	VTX_ASSERT(run->io.data_offset >= sizeof(struct kvm_run),
		   "io.data_offset %#llx overlaps struct kvm_run",
		   (unsigned long long)run->io.data_offset);
	VTX_ASSERT(run->io.data_offset + len <= vcpu->run_size,
		   "io data [%#llx, +%#llx) is outside the %#zx-byte mmap",
		   (unsigned long long)run->io.data_offset,
		   (unsigned long long)len, vcpu->run_size);
	return (uint8_t *)run + run->io.data_offset;
}

void vtx_load_code(struct vtx_vm *vm, uint64_t gpa, const void *start,
		   const void *end)
{
	size_t len = (const uint8_t *)end - (const uint8_t *)start;

	VTX_ASSERT(end >= start && len <= VTX_CODE_MAX,
		   "guest blob of %zu bytes does not fit", len);
	memcpy(vtx_gpa2hva(vm, gpa), start, len);
}

uint32_t vtx_get_ucall(struct vtx_vcpu *vcpu, struct vtx_ucall *uc)
{
	struct kvm_run *run = vcpu->run;

	memset(uc, 0, sizeof(*uc));
	if (run->exit_reason != KVM_EXIT_IO ||
	    run->io.port != VTX_UCALL_PORT ||
	    run->io.direction != KVM_EXIT_IO_OUT ||
	    run->io.size != 4 || run->io.count != 1)
		return UCALL_NONE;
	memcpy(&uc->code, vtx_io_data(vcpu), 4);
	vtx_get_regs(vcpu, &uc->regs);
	return uc->code;
}

const char *vtx_exit_reason_str(uint32_t reason)
{
	static const char *const names[] = {
		[KVM_EXIT_UNKNOWN]		= "UNKNOWN",
		[KVM_EXIT_EXCEPTION]		= "EXCEPTION",
		[KVM_EXIT_IO]			= "IO",
		[KVM_EXIT_HYPERCALL]		= "HYPERCALL",
		[KVM_EXIT_DEBUG]		= "DEBUG",
		[KVM_EXIT_HLT]			= "HLT",
		[KVM_EXIT_MMIO]			= "MMIO",
		[KVM_EXIT_IRQ_WINDOW_OPEN]	= "IRQ_WINDOW_OPEN",
		[KVM_EXIT_SHUTDOWN]		= "SHUTDOWN",
		[KVM_EXIT_FAIL_ENTRY]		= "FAIL_ENTRY",
		[KVM_EXIT_INTR]			= "INTR",
		[KVM_EXIT_SET_TPR]		= "SET_TPR",
		[KVM_EXIT_TPR_ACCESS]		= "TPR_ACCESS",
		[KVM_EXIT_NMI]			= "NMI",
		[KVM_EXIT_INTERNAL_ERROR]	= "INTERNAL_ERROR",
		[KVM_EXIT_SYSTEM_EVENT]		= "SYSTEM_EVENT",
		[KVM_EXIT_X86_RDMSR]		= "X86_RDMSR",
		[KVM_EXIT_X86_WRMSR]		= "X86_WRMSR",
	};

	if (reason < sizeof(names) / sizeof(names[0]) && names[reason])
		return names[reason];
	return "?";
}

const char *vtx_mode_str(enum vtx_mode mode)
{
	switch (mode) {
	case VTX_MODE_REAL:
		return "real";
	case VTX_MODE_PROT32:
		return "prot32";
	case VTX_MODE_LONG64:
		return "long64";
	}
	return "?";
}
