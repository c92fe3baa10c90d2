/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Force-included (gcc -include) into every file of Linux 6.1's KVM selftests
 * when selftests/vtx/kvm-selftests/Makefile builds them from Debian's
 * linux-source-6.1.  Two gaps of that tree, none of the tests' logic:
 *
 * - Debian's linux-libc-dev <asm/kvm.h> declares its flexible arrays with
 *   __DECLARE_FLEX_ARRAY(), which the tests' own tools/include/linux/types.h
 *   does not pull in: take it from the system's <linux/stddef.h>.
 * - dirty_log_test.c of the 6.1 stable series uses TEST_ASSERT_EQ(), which
 *   its test_util.h (6.1) lacks: an equality assertion in its terms.
 */
#include <linux/stddef.h>

#ifndef TEST_ASSERT_EQ
#define TEST_ASSERT_EQ(a, b) \
	TEST_ASSERT((a) == (b), "%s == %s failed", #a, #b)
#endif
