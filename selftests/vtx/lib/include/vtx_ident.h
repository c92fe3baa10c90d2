/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which driver is behind a device fd: vtx or upstream KVM.
 *
 * Tests assert KVM's behaviour; where vtx differs on purpose (a documented
 * limitation), a test needs to know which one it talks to, whatever the
 * node is called (/dev/kvm may be a vtx node, see vtx_devnode_as_kvm in
 * tools/testvm/vmlib.sh).  The answer compares the character device
 * number of the fd with vtx's misc device (/sys/class/misc/vtx/dev), so it
 * does not depend on any behaviour under test.
 */
#ifndef VTX_IDENT_H
#define VTX_IDENT_H

#include <stdbool.h>

enum vtx_driver {
	VTX_DRIVER_OTHER,	/* not a vtx node: upstream KVM (or unknown) */
	VTX_DRIVER_VTX,
};

/* The driver behind @dev_fd (a system fd from opening the device). */
enum vtx_driver vtx_driver_of(int dev_fd);
/* Shorthand: is @dev_fd a vtx device? */
bool vtx_is_vtx(int dev_fd);
/* "vtx" or "kvm", for log messages */
const char *vtx_driver_name(int dev_fd);

#endif /* VTX_IDENT_H */
