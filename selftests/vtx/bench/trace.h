/* SPDX-License-Identifier: GPL-2.0 */
/* bench trace: see trace.c */
#ifndef VTX_BENCH_TRACE_H
#define VTX_BENCH_TRACE_H

int cmd_trace(int argc, char **argv);

#endif
