// SPDX-License-Identifier: GPL-2.0
/*
 * vtx selftest library: tell vtx from upstream KVM by device number.
 */
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "vtx_ident.h"

#define VTX_MISC_DEV	"/sys/class/misc/vtx/dev"

enum vtx_driver vtx_driver_of(int dev_fd)
{
	unsigned int major, minor;
	struct stat st;
	FILE *f;
	int n;

	if (fstat(dev_fd, &st) || !S_ISCHR(st.st_mode))
		return VTX_DRIVER_OTHER;
	f = fopen(VTX_MISC_DEV, "r");
	if (!f)
		return VTX_DRIVER_OTHER;	/* vtx not loaded */
	n = fscanf(f, "%u:%u", &major, &minor);
	fclose(f);
	if (n != 2)
		return VTX_DRIVER_OTHER;
	if (major(st.st_rdev) == major && minor(st.st_rdev) == minor)
		return VTX_DRIVER_VTX;
	return VTX_DRIVER_OTHER;
}

bool vtx_is_vtx(int dev_fd)
{
	return vtx_driver_of(dev_fd) == VTX_DRIVER_VTX;
}

const char *vtx_driver_name(int dev_fd)
{
	return vtx_is_vtx(dev_fd) ? "vtx" : "kvm";
}
