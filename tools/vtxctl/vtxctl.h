/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtxctl - a small KVM-API virtual machine monitor for /dev/vtx (and
 * /dev/kvm), and the client of vtx's generic-netlink control plane.
 *
 * The two halves share only this header (exit statuses, size suffixes,
 * usage errors) and main.c's dispatch:
 *   main.c      sub-command dispatch, help, the helpers of every command
 *   vmm/        the virtual machine monitor, "vtxctl run" (vmm/vmm.h)
 *   ctl/        the control plane over vtx's generic-netlink family:
 *               "vtxctl list | stats | top | events" (ctl/ctl.h)
 *
 * All KVM structures and constants come from the system <linux/kvm.h>,
 * the vtx family from the repository's uapi/linux/vtx.h.
 */
#ifndef VTXCTL_H
#define VTXCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define KiB	(1ULL << 10)
#define MiB	(1ULL << 20)
#define GiB	(1ULL << 30)

/*
 * Exit status of vtxctl.  A guest-requested exit through the exit port
 * (QEMU isa-debug-exit semantics) is always odd: (code << 1) | 1.  Every
 * status that vtxctl chooses on its own is even, so the two never collide.
 */
enum vtx_status {
	ST_OK		= 0,	/* control commands: success */
	ST_HALT		= 0,	/* every running vCPU executed HLT */
	ST_USAGE	= 2,	/* bad command line */
	ST_SETUP	= 4,	/* device, VM, memory, image or vCPU setup failed */
	ST_SHUTDOWN	= 6,	/* KVM_EXIT_SHUTDOWN (e.g. triple fault) */
	ST_FAIL_ENTRY	= 8,	/* KVM_EXIT_FAIL_ENTRY */
	ST_INTERNAL	= 10,	/* KVM_EXIT_INTERNAL_ERROR */
	ST_UNHANDLED	= 12,	/* an exit reason vtxctl does not handle */
	ST_RUN_ERROR	= 14,	/* the KVM_RUN ioctl itself failed */
	ST_TIMEOUT	= 16,	/* --timeout expired */
	ST_MMIO		= 18,	/* unclaimed MMIO access with --strict-mmio */
	ST_NETLINK	= 20,	/* control plane: netlink or kernel error */
	ST_INTERRUPTED	= 130,	/* SIGINT or SIGTERM */
};

/* The sub-commands: vmm/ (run) and ctl/ (the others). */
int cmd_run(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_events(int argc, char **argv);

/* main.c */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int parse_size(const char *s, uint64_t *out);

#endif /* VTXCTL_H */
