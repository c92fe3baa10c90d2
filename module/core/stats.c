// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - binary statistics (KVM_GET_STATS_FD, KVM_CAP_BINARY_STATS_FD): a
 * read-only fd per VM or vCPU whose contents are KVM's format: struct
 * kvm_stats_header, the id string, the descriptors (struct
 * kvm_stats_desc, each followed by its name) and the values, u64 each.
 *
 * The values are the counters the netlink family reports (netlink.c),
 * since its last reset: each vCPU's exits, exits to userspace, cycles in
 * the guest and in the kernel between exit and entry, exits per reason
 * and the exit-to-entry latency; the VM's are the sums over its vCPUs.
 * They are read racily, as netlink reads them: each counter is a
 * naturally aligned u64 written by the vCPU's thread alone.  Every read()
 * builds the file anew under vm->stats_lock (never held across a user
 * fault) and copies the asked-for range out after dropping it.
 *
 * The fd holds a reference on the VM (and so on its vCPUs).
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include "core/vtx.h"

/* KVM's name_size: the id and each descriptor's name, NUL included */
#define VTX_STATS_NAME_SIZE	48

/* KVM's descriptor: struct kvm_stats_desc and its name of name_size */
struct vtx_stats_desc {
	struct kvm_stats_desc desc;
	char name[VTX_STATS_NAME_SIZE];
};

/* Buckets of the log histogram: [0, 1), then vtx's VTX_NR_LAT_BUCKETS. */
#define LAT_HIST_SIZE		(VTX_NR_LAT_BUCKETS + 1)

/* The vCPU's values, in this order: */
enum {
	VS_EXITS, VS_USER_EXITS, VS_GUEST_TSC, VS_HOST_TSC,
	VS_REASON,				/* VTX_NR_EXIT_REASONS */
	VS_LATENCY = VS_REASON + VTX_NR_EXIT_REASONS,	/* LAT_HIST_SIZE */
	VS_NR = VS_LATENCY + LAT_HIST_SIZE
};

#define STAT(nm, fl, n, off, bs) {					\
	.desc = { .flags = (fl), .size = (n),				\
		  .offset = (off) * sizeof(u64), .bucket_size = (bs) },	\
	.name = nm,							\
}

#define COUNT		(KVM_STATS_TYPE_CUMULATIVE | KVM_STATS_UNIT_NONE | \
			 KVM_STATS_BASE_POW10)
#define CYCLES		(KVM_STATS_TYPE_CUMULATIVE | KVM_STATS_UNIT_CYCLES | \
			 KVM_STATS_BASE_POW10)

static const struct vtx_stats_desc vcpu_descs[] = {
	STAT("exits", COUNT, 1, VS_EXITS, 0),
	STAT("user_exits", COUNT, 1, VS_USER_EXITS, 0),
	STAT("guest_cycles", CYCLES, 1, VS_GUEST_TSC, 0),
	STAT("exit_cycles", CYCLES, 1, VS_HOST_TSC, 0),
	/* how many exits had each basic exit reason; the last: that or more */
	STAT("exit_reasons", KVM_STATS_TYPE_LINEAR_HIST | KVM_STATS_UNIT_NONE,
	     VTX_NR_EXIT_REASONS, VS_REASON, 1),
	/* cycles from an exit handled in the kernel to the next entry */
	STAT("exit_latency", KVM_STATS_TYPE_LOG_HIST | KVM_STATS_UNIT_CYCLES,
	     LAT_HIST_SIZE, VS_LATENCY, 0),
};

/* The VM's values: sums over its vCPUs, and their number. */
enum { VMS_EXITS, VMS_USER_EXITS, VMS_VCPUS, VMS_NR };

static const struct vtx_stats_desc vm_descs[] = {
	STAT("exits", COUNT, 1, VMS_EXITS, 0),
	STAT("user_exits", COUNT, 1, VMS_USER_EXITS, 0),
	STAT("vcpus", KVM_STATS_TYPE_INSTANT | KVM_STATS_UNIT_NONE,
	     1, VMS_VCPUS, 0),
};

/* A counter since the last netlink reset; vm->stats_lock held. */
static u64 since(const u64 *now, const u64 *base)
{
	return READ_ONCE(*now) - *base;
}

static void vcpu_values(struct vtx_vcpu *vcpu, u64 *v)
{
	const struct vtx_vcpu_stats *s = &vcpu->stats, *b = &vcpu->stats_base;
	int i;

	v[VS_EXITS] = since(&s->exits, &b->exits);
	v[VS_USER_EXITS] = since(&s->user_exits, &b->user_exits);
	v[VS_GUEST_TSC] = since(&s->guest_tsc, &b->guest_tsc);
	v[VS_HOST_TSC] = since(&s->host_tsc, &b->host_tsc);
	for (i = 0; i < VTX_NR_EXIT_REASONS; i++)
		v[VS_REASON + i] = since(&s->reason[i], &b->reason[i]);
	/*
	 * vtx's bucket i holds [2^i, 2^(i+1)) cycles (a latency is never 0:
	 * the TSC moved between exit and entry); KVM's bucket 0 is [0, 1).
	 */
	v[VS_LATENCY] = 0;
	for (i = 0; i < VTX_NR_LAT_BUCKETS; i++)
		v[VS_LATENCY + 1 + i] = since(&s->latency[i], &b->latency[i]);
}

static void vm_values(struct vtx_vm *vm, u64 *v)
{
	unsigned int i, n = vtx_vm_nr_vcpus(vm);

	v[VMS_EXITS] = 0;
	v[VMS_USER_EXITS] = 0;
	for (i = 0; i < n; i++) {
		const struct vtx_vcpu *vcpu = vm->vcpus[i];

		v[VMS_EXITS] += since(&vcpu->stats.exits,
				      &vcpu->stats_base.exits);
		v[VMS_USER_EXITS] += since(&vcpu->stats.user_exits,
					   &vcpu->stats_base.user_exits);
	}
	v[VMS_VCPUS] = n;
}

/**
 * stats_image() - the whole stats file of a VM (@vcpu NULL) or a vCPU.
 * @vm:		the VM
 * @vcpu:	the vCPU, or NULL
 * @len:	its length
 *
 * Return: a kmalloc'ed image, or NULL without memory.
 */
static void *stats_image(struct vtx_vm *vm, struct vtx_vcpu *vcpu,
			 size_t *len)
{
	const struct vtx_stats_desc *descs = vcpu ? vcpu_descs : vm_descs;
	u32 ndesc = vcpu ? ARRAY_SIZE(vcpu_descs) : ARRAY_SIZE(vm_descs);
	size_t nvals = vcpu ? VS_NR : VMS_NR;
	struct kvm_stats_header *h;
	char *img;

	BUILD_BUG_ON(sizeof(struct vtx_stats_desc) !=
		     sizeof(struct kvm_stats_desc) + VTX_STATS_NAME_SIZE);
	*len = sizeof(*h) + VTX_STATS_NAME_SIZE + ndesc * sizeof(*descs) +
	       nvals * sizeof(u64);
	img = kzalloc(*len, GFP_KERNEL_ACCOUNT);
	if (!img)
		return NULL;
	h = (struct kvm_stats_header *)img;
	h->name_size = VTX_STATS_NAME_SIZE;
	h->num_desc = ndesc;
	h->id_offset = sizeof(*h);
	h->desc_offset = h->id_offset + VTX_STATS_NAME_SIZE;
	h->data_offset = h->desc_offset + ndesc * sizeof(*descs);
	/* KVM's ids, with the VM owner's pid */
	if (vcpu)
		snprintf(img + h->id_offset, VTX_STATS_NAME_SIZE,
			 "kvm-%d/vcpu-%u", vm->owner_pid, vcpu->id);
	else
		snprintf(img + h->id_offset, VTX_STATS_NAME_SIZE, "kvm-%d",
			 vm->owner_pid);
	memcpy(img + h->desc_offset, descs, ndesc * sizeof(*descs));
	mutex_lock(&vm->stats_lock);
	if (vcpu)
		vcpu_values(vcpu, (u64 *)(img + h->data_offset));
	else
		vm_values(vm, (u64 *)(img + h->data_offset));
	mutex_unlock(&vm->stats_lock);
	return img;
}

static ssize_t stats_read(struct file *file, char __user *buf, size_t size,
			  loff_t *pos, struct vtx_vm *vm,
			  struct vtx_vcpu *vcpu)
{
	ssize_t r;
	size_t len;
	void *img;

	img = stats_image(vm, vcpu, &len);
	if (!img)
		return -ENOMEM;
	r = simple_read_from_buffer(buf, size, pos, img, len);
	kfree(img);
	return r;
}

static ssize_t vm_stats_read(struct file *file, char __user *buf,
			     size_t size, loff_t *pos)
{
	return stats_read(file, buf, size, pos, file->private_data, NULL);
}

static ssize_t vcpu_stats_read(struct file *file, char __user *buf,
			       size_t size, loff_t *pos)
{
	struct vtx_vcpu *vcpu = file->private_data;

	return stats_read(file, buf, size, pos, vcpu->vm, vcpu);
}

static int vm_stats_release(struct inode *inode, struct file *file)
{
	vtx_vm_put(file->private_data);
	return 0;
}

static int vcpu_stats_release(struct inode *inode, struct file *file)
{
	struct vtx_vcpu *vcpu = file->private_data;

	vtx_vm_put(vcpu->vm);
	return 0;
}

static const struct file_operations vm_stats_fops = {
	.owner		= THIS_MODULE,
	.read		= vm_stats_read,
	.release	= vm_stats_release,
	.llseek		= noop_llseek,
};

static const struct file_operations vcpu_stats_fops = {
	.owner		= THIS_MODULE,
	.read		= vcpu_stats_read,
	.release	= vcpu_stats_release,
	.llseek		= noop_llseek,
};

static int stats_fd(struct vtx_vm *vm, const struct file_operations *fops,
		    const char *name, void *priv)
{
	struct file *file;
	int fd;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	file = anon_inode_getfile(name, fops, priv, O_RDONLY);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	/* the file's reference, put by its release */
	kref_get(&vm->kref);
	/* pread() at any offset, as KVM's */
	file->f_mode |= FMODE_PREAD;
	fd_install(fd, file);
	return fd;
}

/**
 * vtx_vm_stats_fd() - KVM_GET_STATS_FD on a VM fd.
 * @vm:		the VM
 *
 * Return: the new fd, or an errno (-EMFILE, -ENOMEM).
 */
int vtx_vm_stats_fd(struct vtx_vm *vm)
{
	return stats_fd(vm, &vm_stats_fops, "vtx-vm-stats", vm);
}

/**
 * vtx_vcpu_stats_fd() - KVM_GET_STATS_FD on a vCPU fd.
 * @vcpu:	the vCPU
 *
 * Return: the new fd, or an errno.
 */
int vtx_vcpu_stats_fd(struct vtx_vcpu *vcpu)
{
	return stats_fd(vcpu->vm, &vcpu_stats_fops, "vtx-vcpu-stats", vcpu);
}
