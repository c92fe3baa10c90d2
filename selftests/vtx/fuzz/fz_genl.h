/* SPDX-License-Identifier: GPL-2.0 */
/* A minimal client of vtx's generic-netlink family (fz_genl.c). */
#ifndef FZ_GENL_H
#define FZ_GENL_H

#include <stdbool.h>
#include <stdint.h>

struct genl_vtx {
	int fd;
	uint16_t family;
};

/* 0, or -errno (-ENOENT: no "vtx" family, e.g. on kvm_intel) */
int genl_vtx_open(struct genl_vtx *g);
/* VTX_CMD_VM_GET dump: the number of VMs listed, or -errno; *@my_vm (if
 * not NULL) gets the id of the newest VM of this process */
int genl_vtx_list(struct genl_vtx *g, uint32_t *my_vm);
/* VTX_CMD_STATS_GET (or _RESET) of VM @vm_id: messages, or -errno */
int genl_vtx_stats(struct genl_vtx *g, uint32_t vm_id, bool reset);
void genl_vtx_close(struct genl_vtx *g);

#endif /* FZ_GENL_H */
