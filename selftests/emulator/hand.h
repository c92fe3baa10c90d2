/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hand-written cases (hand.c, negative.c): a tiny state language and the
 * RAM behind vtx_emu_ops.
 */
#ifndef EMULATOR_HAND_H
#define EMULATOR_HAND_H

#include "test.h"

/**
 * struct hand - one hand-checked instruction.
 * @mode:	16, 32 or 64.
 * @insn:	the instruction bytes, in hex ("66 89 07").
 * @setup:	state before, "key=value ..." (see hand.c).
 * @len:	expected length.
 * @bytes:	expected access size.
 * @acc:	'r' read, 'w' write, 'm' read then write of @wval.
 * @linear:	expected linear address of the access.
 * @data:	what the read returns.
 * @wval:	expected value written.
 * @expect:	state after, "key=value ..." and memN@ADDR=VAL.
 */
struct hand {
	unsigned int mode;
	const char *insn;
	const char *setup;
	unsigned int len, bytes;
	char acc;
	u64 linear, data, wval;
	const char *expect;
};

extern const struct vtx_emu_ops hand_ram_ops;
void hand_ram_reset(void);
unsigned int parse_hex(const char *s, u8 *b);
/* @e from scratch: defaults, @insn, then @setup; false on a bad @setup. */
bool hand_setup(struct vtx_emu *e, unsigned int mode, const char *insn,
		const char *setup, char *why, size_t whysz);

#endif
