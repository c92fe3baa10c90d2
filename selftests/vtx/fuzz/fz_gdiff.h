/* SPDX-License-Identifier: GPL-2.0 */
/* vtx-guest-fuzz --diff (fz_gdiff.c): the MMIO differential. */
#ifndef FZ_GDIFF_H
#define FZ_GDIFF_H

#include <stdbool.h>
#include <stdint.h>

extern uint64_t opt_seed_diff;
extern bool opt_gaps_ok;	/* --diff-gaps-ok: emulation gaps reported only */
int gdiff_run(const char *dev_path, uint64_t count, double secs, int mode,
	      long replay, bool verbose);

#endif /* FZ_GDIFF_H */
