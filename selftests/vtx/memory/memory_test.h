/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Glue shared by the tests of the "memory" suite: the harness, stdout
 * line-buffered (a test VM that hangs or a harness timeout must not eat
 * the last lines), a log macro, and the "mem" fixture that exists only to
 * give long tests a time limit of their own (TEST_F_TIMEOUT).
 */
#ifndef VTX_MEMORY_TEST_H
#define VTX_MEMORY_TEST_H

#include <stdio.h>

#include "vtx_test.h"
#include "vtx_ident.h"

static void __attribute__((constructor)) memory_test_line_buffered(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}

/* A TAP comment line, for facts worth comparing between the drivers. */
#define LOG(fmt, ...)	printf("# " fmt "\n", ##__VA_ARGS__)

FIXTURE(mem) {
	int unused;
};
FIXTURE_SETUP(mem) { }
FIXTURE_TEARDOWN(mem) { }

#endif /* VTX_MEMORY_TEST_H */
