/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control plane of vtxctl: vtx's generic-netlink family.
 *   ctl.c       the commands: list, stats, top, events
 *   genl.c      the libnl-genl socket, requests, extended-ACK errors (genl.h)
 *   exitname.c  VMX basic exit reason names
 */
#ifndef VTXCTL_CTL_H
#define VTXCTL_CTL_H

#include <stdint.h>

#include "../vtxctl.h"

/* exitname.c: VMX basic exit reasons (SDM numbering) */
const char *vmx_exit_name(uint32_t reason);

#endif /* VTXCTL_CTL_H */
