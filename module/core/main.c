// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - an Intel VMX hypervisor with a KVM-compatible device, /dev/vtx.
 *
 * This file: module load/unload, the misc device and its system ioctls.
 * The ioctl numbers, structures and kvm_run layout are those of
 * <linux/kvm.h>, so a program written for /dev/kvm runs on /dev/vtx.
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/cpumask.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/sysfs.h>
#include "x86/x86.h"
#include "x86/irq_routing.h"

DEFINE_MUTEX(vtx_vms_lock);	/* protects vtx_vms */
LIST_HEAD(vtx_vms);		/* every live VM, for observability */

/* lockless: see enum vtx_alloc_kind; read through the parameters below */
atomic_long_t vtx_allocs[VTX_NR_ALLOC];

static const char * const vtx_alloc_names[VTX_NR_ALLOC] = {
	[VTX_ALLOC_VM] = "vm",
	[VTX_ALLOC_VCPU] = "vcpu",
	[VTX_ALLOC_VMCS] = "vmcs",
	[VTX_ALLOC_EPT] = "ept",
	[VTX_ALLOC_BITMAP] = "bitmap",
	[VTX_ALLOC_CPUID] = "cpuid",
	[VTX_ALLOC_IOEVENTFD] = "ioeventfd",
	[VTX_ALLOC_PIN] = "pin",
	[VTX_ALLOC_IRQ_ROUTING] = "irq_routing",
	[VTX_ALLOC_IRQFD] = "irqfd",
	[VTX_ALLOC_PIT] = "pit",
	[VTX_ALLOC_COALESCED] = "coalesced",
};

/* /sys/module/vtx/parameters/allocs: the sum of every kind */
static int allocs_get(char *buf, const struct kernel_param *kp)
{
	long sum = 0;
	int i;

	for (i = 0; i < VTX_NR_ALLOC; i++)
		sum += atomic_long_read(&vtx_allocs[i]);
	return sysfs_emit(buf, "%ld\n", sum);
}

/* /sys/module/vtx/parameters/allocs_detail: "vm 1 vcpu 2 ..." */
static int allocs_detail_get(char *buf, const struct kernel_param *kp)
{
	int i, n = 0;

	for (i = 0; i < VTX_NR_ALLOC; i++)
		n += sysfs_emit_at(buf, n, "%s%s %ld", i ? " " : "",
				   vtx_alloc_names[i],
				   atomic_long_read(&vtx_allocs[i]));
	return n + sysfs_emit_at(buf, n, "\n");
}

static const struct kernel_param_ops allocs_ops = {
	.get = allocs_get,
};

static const struct kernel_param_ops allocs_detail_ops = {
	.get = allocs_detail_get,
};

module_param_cb(allocs, &allocs_ops, NULL, 0444);
MODULE_PARM_DESC(allocs, "objects vtx allocated for VMs and not yet freed");
module_param_cb(allocs_detail, &allocs_detail_ops, NULL, 0444);
MODULE_PARM_DESC(allocs_detail, "the same, per kind");

/**
 * vtx_check_extension() - KVM_CHECK_EXTENSION on the system or a VM fd.
 * @cap:	KVM_CAP_* number
 *
 * Only what vtx implements answers non-zero; everything else is 0, so a
 * KVM program takes its fallback path.
 *
 * Return: 0 when unsupported, else 1 or the capability's value.
 */
long vtx_check_extension(unsigned long cap)
{
	switch (cap) {
	case KVM_CAP_USER_MEMORY:
	case KVM_CAP_SET_TSS_ADDR:
	case KVM_CAP_DESTROY_MEMORY_REGION_WORKS:
	case KVM_CAP_JOIN_MEMORY_REGIONS_WORKS:
	case KVM_CAP_SET_IDENTITY_MAP_ADDR:
	case KVM_CAP_IMMEDIATE_EXIT:
	case KVM_CAP_CHECK_EXTENSION_VM:
	case KVM_CAP_INTERNAL_ERROR_DATA:
	case KVM_CAP_EXT_CPUID:
	case KVM_CAP_GET_MSR_FEATURES:
	case KVM_CAP_DEBUGREGS:
	case KVM_CAP_GET_TSC_KHZ:
	case KVM_CAP_VCPU_EVENTS:
	case KVM_CAP_MP_STATE:
	case KVM_CAP_USER_NMI:
	case KVM_CAP_ENABLE_CAP_VM:
	case KVM_CAP_READONLY_MEM:
	case KVM_CAP_SYNC_MMU:
	case KVM_CAP_IOEVENTFD:
	case KVM_CAP_IOEVENTFD_NO_LENGTH:
	case KVM_CAP_SPLIT_IRQCHIP:
	case KVM_CAP_VAPIC:
	case KVM_CAP_IRQCHIP:
	case KVM_CAP_TSC_DEADLINE_TIMER:
	case KVM_CAP_PIT:
	case KVM_CAP_PIT2:
	case KVM_CAP_PIT_STATE2:
	case KVM_CAP_REINJECT_CONTROL:
	case KVM_CAP_MSR_PLATFORM_INFO:
	case KVM_CAP_SET_BOOT_CPU_ID:
	case KVM_CAP_SET_GUEST_DEBUG:
	case KVM_CAP_X86_ROBUST_SINGLESTEP:
	case KVM_CAP_BINARY_STATS_FD:
	case KVM_CAP_HLT:
	case KVM_CAP_IOEVENTFD_ANY_LENGTH:
	case KVM_CAP_COALESCED_PIO:
	case KVM_CAP_ENABLE_CAP:
	case KVM_CAP_ENFORCE_PV_FEATURE_CPUID:
	case KVM_CAP_DISABLE_QUIRKS:
	case KVM_CAP_X86_USER_SPACE_MSR:
	case KVM_CAP_X86_MSR_FILTER:
	case KVM_CAP_VCPU_ATTRIBUTES:
	case KVM_CAP_X86_SMM:
		return 1;
	case KVM_CAP_DISABLE_QUIRKS2:
		return VTX_VALID_QUIRKS;
	case KVM_CAP_COALESCED_MMIO:
		return VTX_COALESCED_PAGE_OFFSET;
	case KVM_CAP_ADJUST_CLOCK:
		return VTX_CLOCK_VALID_FLAGS;
	case KVM_CAP_SYNC_REGS:
		return VTX_SYNC_REGS_VALID;
	case KVM_CAP_X2APIC_API:
		return KVM_X2APIC_API_VALID_FLAGS;
	case KVM_CAP_SET_GUEST_DEBUG2:
		return VTX_GUESTDBG_VALID;
	case KVM_CAP_XSAVE:
	case KVM_CAP_XCRS:
		return boot_cpu_has(X86_FEATURE_XSAVE);
	case KVM_CAP_XSAVE2:
		return vtx_xsave_size();
	case KVM_CAP_EXIT_HYPERCALL:
		return VTX_EXIT_HYPERCALL_MASK;
	case KVM_CAP_IRQFD:
	case KVM_CAP_IRQFD_RESAMPLE:
	case KVM_CAP_SIGNAL_MSI:
	case KVM_CAP_IRQ_INJECT_STATUS:
		/* KVM's answer, once interrupts reach the guest (issue 16). */
		return VTX_IRQ_DELIVERY;
	case KVM_CAP_IRQ_ROUTING:
		/*
		 * KVM answers this for every VM and then refuses
		 * KVM_SET_GSI_ROUTING with EINVAL when the VM has no in-kernel
		 * irqchip.  QEMU requires the capability even with
		 * kernel-irqchip=off.
		 */
		return VTX_MAX_IRQ_ROUTES;
	case KVM_CAP_NR_VCPUS:
		return min_t(unsigned int, num_online_cpus(), VTX_MAX_VCPUS);
	case KVM_CAP_MAX_VCPUS:
		return VTX_MAX_VCPUS;
	case KVM_CAP_MAX_VCPU_ID:
		return VTX_MAX_VCPU_ID;
	case KVM_CAP_NR_MEMSLOTS:
		return VTX_MAX_MEMSLOTS;
	case KVM_CAP_MULTI_ADDRESS_SPACE:
		return VTX_ADDRESS_SPACES;
	case KVM_CAP_MCE:
		return VTX_MAX_MCE_BANKS;
	default:
		return 0;
	}
}

static long vtx_dev_ioctl(struct file *filp, unsigned int ioctl,
			  unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (ioctl) {
	case KVM_GET_API_VERSION:
		return arg ? -EINVAL : KVM_API_VERSION;
	case KVM_CREATE_VM:
		return vtx_create_vm(arg);
	case KVM_CHECK_EXTENSION:
		return vtx_check_extension(arg);
	case KVM_GET_VCPU_MMAP_SIZE:
		return arg ? -EINVAL : VTX_VCPU_MMAP_PAGES * PAGE_SIZE;
	case KVM_GET_SUPPORTED_CPUID:
		return vtx_ioctl_get_supported_cpuid(argp);
	case KVM_GET_MSR_INDEX_LIST:
		return vtx_ioctl_msr_index_list(argp);
	case KVM_GET_MSR_FEATURE_INDEX_LIST:
		return vtx_ioctl_msr_feature_list(argp);
	case KVM_GET_MSRS:
		return vtx_ioctl_msrs(NULL, argp, false);
	case KVM_X86_GET_MCE_CAP_SUPPORTED:
		return vtx_ioctl_mce_cap_supported(argp);
	default:
		/* KVM's answer for a system ioctl it does not know. */
		return -EINVAL;
	}
}

static const struct file_operations vtx_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= vtx_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice vtx_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "vtx",
	.fops	= &vtx_dev_fops,
	.mode	= 0660,
};

static int __init vtx_init(void)
{
	int r;

	r = vtx_x86_init();
	if (r) {
		pr_err("not loading: VMX is unusable on this machine\n");
		return r;
	}
	r = vtx_msr_init();
	if (r) {
		vtx_x86_exit();
		return r;
	}
	r = vtx_netlink_init();
	if (r) {
		vtx_msr_exit();
		vtx_x86_exit();
		return r;
	}
	r = vtx_irqfd_init();
	if (r) {
		vtx_netlink_exit();
		vtx_msr_exit();
		vtx_x86_exit();
		return r;
	}
	preempt_notifier_inc();
	r = misc_register(&vtx_dev);
	if (r) {
		preempt_notifier_dec();
		vtx_irqfd_exit();
		vtx_netlink_exit();
		vtx_msr_exit();
		vtx_x86_exit();
		return r;
	}
	pr_info("loaded, /dev/vtx ready\n");
	return 0;
}

static void __exit vtx_exit(void)
{
	misc_deregister(&vtx_dev);
	/* ioeventfd entries are freed by RCU callbacks in this module */
	rcu_barrier();
	preempt_notifier_dec();
	vtx_irqfd_exit();
	vtx_netlink_exit();
	vtx_msr_exit();
	vtx_x86_exit();
	pr_info("unloaded\n");
}

module_init(vtx_init);
module_exit(vtx_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vtx: Intel VMX hypervisor with a KVM-compatible API");
