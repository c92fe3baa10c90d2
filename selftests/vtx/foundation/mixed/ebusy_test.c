// SPDX-License-Identifier: GPL-2.0
/*
 * vtx and kvm_intel loaded together: only one of them may have VMX on
 * (CR4.VMXE, VMXON) at a time.  Each turns VMX on when its first VM is
 * created and off when its last VM goes, so whichever has a VM makes the
 * other's KVM_CREATE_VM fail with EBUSY (KVM 6.1's vmx_hardware_enable()
 * refuses when CR4.VMXE is already set).  The VM that exists must keep
 * running, and once it is gone the other driver must work again.
 *
 * Devices: --kvm PATH (or $KVM_DEVICE, default /dev/kvm) and --vtx PATH
 * (or --device PATH, $VTX_DEVICE, default /dev/vtx).
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "vtx_test.h"

extern const uint8_t ebusy_guest[], ebusy_guest_end[];

static const char *kvm_path = "/dev/kvm";

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

/* KVM_CREATE_VM on @path must fail with EBUSY. */
static void expect_busy(struct __test_metadata *_metadata, const char *path)
{
	int fd = vtx_open_path(path);
	long ret = __vtx_ioctl(fd, KVM_CREATE_VM, 0);

	EXPECT_EQ(-EBUSY, ret) TH_LOG("KVM_CREATE_VM on %s", path);
	if (ret >= 0)
		close(ret);
	close(fd);
}

TEST(kvm_vm_makes_vtx_busy)
{
	struct vtx_vcpu *kvm = create_guest_on(kvm_path);

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
	struct vtx_vcpu *vtx = create_guest_on(vtx_device_path());

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
	struct vtx_vcpu *a = create_guest_on(vtx_device_path());
	struct vtx_vcpu *b = create_guest_on(vtx_device_path());

	destroy_guest(a);
	expect_busy(_metadata, kvm_path);
	run_guest(_metadata, b);
	destroy_guest(b);

	a = create_guest_on(kvm_path);
	run_guest(_metadata, a);
	destroy_guest(a);
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
	return test_harness_run(argc, argv);
}
