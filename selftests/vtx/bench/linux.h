/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VTX_BENCH_LINUX_H
#define VTX_BENCH_LINUX_H

/* bench linux: one timed boot of the nested Linux guest (linux.c) */
int cmd_linux(int argc, char **argv);

#endif
