/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host-side unit test of module/emulate.c: shared declarations.
 */
#ifndef EMULATOR_TEST_H
#define EMULATOR_TEST_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include "../../module/x86/emulate.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif
#define __printf(a, b)	__attribute__((format(printf, a, b)))

/* TAP: one result; the name is printf-style. */
__printf(2, 3) void tap(bool ok, const char *fmt, ...);
/* TAP: a skipped test, counted apart. */
void tap_skip(const char *name, const char *why);
/* A "# ..." diagnostic line. */
__printf(1, 2) void diag(const char *fmt, ...);
/* Counting results by class for the closing summary. */
void class_begin(const char *name);

/* Deterministic pseudo-random numbers (xorshift64*). */
void rnd_seed(u64 seed);
u64 rnd(void);
u64 rnd_below(u64 n);

/* Hex dump of @n bytes into @buf (3 chars a byte). */
char *hexstr(char *buf, const u8 *b, unsigned int n);

/* The test classes. */
void test_native64(void);
void test_native_legacy(void);
void test_hand(void);
void test_negative(void);
void test_walk(void);

#endif
