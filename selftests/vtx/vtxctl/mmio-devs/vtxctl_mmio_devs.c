// SPDX-License-Identifier: GPL-2.0
/*
 * vtxctl_mmio_devs - the virtio-mmio platform devices of a vtxctl guest,
 * for kernels built without CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES (Debian's).
 *
 *   insmod vtxctl_mmio_devs.ko device=4K@0xd0000000:5,4K@0xd0001000:6
 *
 * takes the words vtxctl puts on the kernel command line
 * ("virtio_mmio.device=<size>@<base>:<irq>", the syntax of
 * virtio_mmio.c's own parameter) and registers one "virtio-mmio" platform
 * device for each, which virtio_mmio.ko then binds.  A test aid of the
 * vtxctl suite: the nested guest's /init loads it; a kernel with
 * CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES needs nothing of this.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ioport.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/platform_device.h>

#define MAX_DEVICES	8
#define FIRST_ID	1000	/* platform ids clear of virtio_mmio's own */

static char *device[MAX_DEVICES];
static int nr_device;
module_param_array(device, charp, &nr_device, 0444);
MODULE_PARM_DESC(device, "<size>@<base>:<irq>[,...] as virtio_mmio.device=");

static struct platform_device *pdevs[MAX_DEVICES];

/* "<size>@<base>:<irq>": sizes and bases with memparse's K/M/G suffixes. */
static int parse_device(const char *s, struct resource *res)
{
	unsigned long long size, base;
	unsigned int irq;
	char *end;

	size = memparse(s, &end);
	if (!size || *end != '@')
		return -EINVAL;
	base = memparse(end + 1, &end);
	if (*end != ':' || kstrtouint(end + 1, 0, &irq) || !irq)
		return -EINVAL;
	res[0] = (struct resource)DEFINE_RES_MEM(base, size);
	res[1] = (struct resource)DEFINE_RES_IRQ(irq);
	return 0;
}

static void unregister_all(void)
{
	int i;

	for (i = 0; i < MAX_DEVICES; i++) {
		if (!IS_ERR_OR_NULL(pdevs[i]))
			platform_device_unregister(pdevs[i]);
		pdevs[i] = NULL;
	}
}

static int __init mmio_devs_init(void)
{
	struct resource res[2];
	int i, r;

	for (i = 0; i < nr_device; i++) {
		r = parse_device(device[i], res);
		if (r) {
			pr_err("bad device '%s' (<size>@<base>:<irq>)\n", device[i]);
			goto fail;
		}
		pdevs[i] = platform_device_register_resndata(NULL, "virtio-mmio", FIRST_ID + i,
							     res, ARRAY_SIZE(res), NULL, 0);
		if (IS_ERR(pdevs[i])) {
			r = PTR_ERR(pdevs[i]);
			pr_err("device '%s': %d\n", device[i], r);
			goto fail;
		}
		pr_info("virtio-mmio at %pR, irq %u\n", &res[0], (unsigned int)res[1].start);
	}
	return 0;

fail:
	unregister_all();
	return r;
}

static void __exit mmio_devs_exit(void)
{
	unregister_all();
}

module_init(mmio_devs_init);
module_exit(mmio_devs_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("virtio-mmio platform devices from vtxctl's command line words");
