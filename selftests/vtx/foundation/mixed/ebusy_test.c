// SPDX-License-Identifier: GPL-2.0
/*
 * vtx and kvm_intel loaded together: only one of them may have VMX on
 * (CR4.VMXE, VMXON) at a time.  Each turns VMX on when its first VM is
 * created and off when its last VM goes, so whichever has a VM makes the
 * other's KVM_CREATE_VM fail with EBUSY (KVM 6.1's vmx_hardware_enable()
 * refuses when CR4.VMXE is already set).  The VM that exists must keep
 * running, and once it is gone the other driver must work again.
 *
 * What kvm_intel does differs by kernel (Documentation/vtx/design.rst,
 * "Supported kernels"); the tests assert each kernel's behaviour:
 * - 6.1: as above; kvm_intel's KVM_CREATE_VM fails with EBUSY.
 * - 6.12: kvm_intel holds VMX from the moment it loads while the kvm
 *   module's enable_virt_at_load is Y (the default): vtx's KVM_CREATE_VM
 *   fails with EBUSY as long as kvm_intel is loaded.  With it N, VMX is
 *   taken per VM as in 6.1, but kvm_intel's KVM_CREATE_VM fails with EIO
 *   (its CPU hotplug callback's error) while vtx holds VMX.
 * - 7.x: the kernel's x86/virt code owns VMX and lends it to KVM only;
 *   vtx refuses every VM with EBUSY, whether kvm_intel is loaded or not,
 *   and kvm_intel works beside it.
 *
 * Devices: --kvm PATH (or $KVM_DEVICE, default /dev/kvm) and --vtx PATH
 * (or --device PATH, $VTX_DEVICE, default /dev/vtx).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "vtx_test.h"

extern const uint8_t ebusy_guest[], ebusy_guest_end[];

static const char *kvm_path = "/dev/kvm";

/* This kernel's behaviour (see the top of the file), found in main(). */
static bool kernel_owns_vmx;	/* 7.x: vtx never gets VMX */
static bool kvm_holds_from_load;	/* 6.12: enable_virt_at_load=Y */
static long kvm_busy_err = -EBUSY;	/* kvm_intel's KVM_CREATE_VM while vtx has VMX */

static bool kvm_param_yes(const char *name)
{
	char path[128], c = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/kvm/parameters/%s", name);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fread(&c, 1, 1, f) != 1)
		c = 0;
	fclose(f);
	return c == 'Y' || c == '1';
}

static void find_kernel_behaviour(void)
{
	unsigned int major = 0, minor = 0;
	struct utsname u;

	if (!uname(&u))
		sscanf(u.release, "%u.%u", &major, &minor);
	kernel_owns_vmx = major >= 7;
	kvm_holds_from_load = kvm_param_yes("enable_virt_at_load");
	if (major > 6 || (major == 6 && minor >= 12))
		kvm_busy_err = -EIO;
}

/* SKIP unless vtx can have VMX at all while kvm_intel is loaded. */
#define REQUIRE_VMX_PER_VM() do {					\
	if (kernel_owns_vmx)						\
		SKIP(return, "this kernel owns VMX (7.x): vtx_refused");	\
	if (kvm_holds_from_load)					\
		SKIP(return, "kvm_intel holds VMX from load: kvm_loaded_makes_vtx_busy"); \
} while (0)

/* A VM with a vCPU ready to run ebusy_guest in real mode */
static struct vtx_vcpu *create_guest_on(const char *path)
{
	struct vtx_vm *vm = vtx_vm_create_on(vtx_open_path(path));
	struct vtx_vcpu *vcpu;

	vtx_vm_add_mem(vm, 0, 0, VTX_RAM_SIZE);
	vtx_load_code(vm, VTX_CODE_GPA, ebusy_guest, ebusy_guest_end);
	vcpu = vtx_vcpu_add(vm, 0);
	vtx_setup_mode(vcpu, VTX_MODE_REAL, VTX_CODE_GPA);
	return vcpu;
}

static void run_guest(struct __test_metadata *_metadata,
		      struct vtx_vcpu *vcpu)
{
	struct vtx_ucall uc;

	vtx_run(vcpu);
	ASSERT_EQ(UCALL_DONE, vtx_get_ucall(vcpu, &uc))
		TH_LOG("exit %s", vtx_exit_reason_str(vcpu->run->exit_reason));
	EXPECT_EQ(0x1234, uc.regs.rbx);
	vtx_run(vcpu);
	ASSERT_EXIT(vcpu, KVM_EXIT_HLT);
}

/* Close everything of the VM, so its driver turns VMX off. */
static void destroy_guest(struct vtx_vcpu *vcpu)
{
	struct vtx_vm *vm = vcpu->vm;
	int dev_fd = vm->dev_fd;

	vtx_vcpu_free(vcpu);
	vtx_vm_free(vm);
	close(dev_fd);
}

/* KVM_CREATE_VM on @path must fail: vtx with EBUSY, kvm_intel as documented. */
static void expect_busy(struct __test_metadata *_metadata, const char *path)
{
	int fd = vtx_open_path(path);
	long ret = __vtx_ioctl(fd, KVM_CREATE_VM, 0);
	long err = path == kvm_path ? kvm_busy_err : -EBUSY;

	EXPECT_EQ(err, ret) TH_LOG("KVM_CREATE_VM on %s", path);
	if (ret >= 0)
		close(ret);
	close(fd);
}

TEST(kvm_vm_makes_vtx_busy)
{
	struct vtx_vcpu *kvm;

	REQUIRE_VMX_PER_VM();
	kvm = create_guest_on(kvm_path);

	expect_busy(_metadata, vtx_device_path());
	run_guest(_metadata, kvm);
	destroy_guest(kvm);

	/* kvm_intel is done with VMX: vtx can have it now */
	kvm = create_guest_on(vtx_device_path());
	run_guest(_metadata, kvm);
	destroy_guest(kvm);
}

TEST(vtx_vm_makes_kvm_busy)
{
	struct vtx_vcpu *vtx;

	REQUIRE_VMX_PER_VM();
	vtx = create_guest_on(vtx_device_path());

	expect_busy(_metadata, kvm_path);
	run_guest(_metadata, vtx);
	destroy_guest(vtx);

	vtx = create_guest_on(kvm_path);
	run_guest(_metadata, vtx);
	destroy_guest(vtx);
}

/* Several VMs of one driver: VMX stays on until the last one goes. */
TEST(vmx_off_only_after_last_vm)
{
	struct vtx_vcpu *a, *b;

	REQUIRE_VMX_PER_VM();
	a = create_guest_on(vtx_device_path());
	b = create_guest_on(vtx_device_path());

	destroy_guest(a);
	expect_busy(_metadata, kvm_path);
	run_guest(_metadata, b);
	destroy_guest(b);

	a = create_guest_on(kvm_path);
	run_guest(_metadata, a);
	destroy_guest(a);
}

/* 6.12, enable_virt_at_load=Y: vtx is busy with or without a KVM VM. */
TEST(kvm_loaded_makes_vtx_busy)
{
	struct vtx_vcpu *kvm;

	if (kernel_owns_vmx || !kvm_holds_from_load)
		SKIP(return, "kvm_intel does not hold VMX from load here");
	expect_busy(_metadata, vtx_device_path());
	kvm = create_guest_on(kvm_path);
	expect_busy(_metadata, vtx_device_path());
	run_guest(_metadata, kvm);
	destroy_guest(kvm);
	expect_busy(_metadata, vtx_device_path());
}

/*
 * 7.x: vtx refuses every VM, kvm_intel loaded or not (--kvm none: not
 * loaded); a KVM VM runs beside it.
 */
TEST(vtx_refused)
{
	struct vtx_vcpu *kvm;

	if (!kernel_owns_vmx)
		SKIP(return, "vtx may own VMX on this kernel");
	expect_busy(_metadata, vtx_device_path());
	if (!strcmp(kvm_path, "none"))
		return;
	kvm = create_guest_on(kvm_path);
	expect_busy(_metadata, vtx_device_path());
	run_guest(_metadata, kvm);
	destroy_guest(kvm);
	expect_busy(_metadata, vtx_device_path());
}

static void __attribute__((constructor)) __constructor_order_last(void)
{
	if (!__constructor_order)
		__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD;
}

int main(int argc, char **argv)
{
	const char *path;

	vtx_parse_args(&argc, argv);
	path = vtx_take_arg(&argc, argv, "--vtx");
	if (path)
		vtx_set_device_path(path);
	path = getenv("KVM_DEVICE");
	if (path && *path)
		kvm_path = path;
	path = vtx_take_arg(&argc, argv, "--kvm");
	if (path)
		kvm_path = path;
	find_kernel_behaviour();
	return test_harness_run(argc, argv);
}
