/* SPDX-License-Identifier: GPL-2.0 */
/* bench report: see report.c */
#ifndef VTX_BENCH_REPORT_H
#define VTX_BENCH_REPORT_H

int cmd_report(int argc, char **argv);

#endif
