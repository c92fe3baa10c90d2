/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Glue between the vtx library and the kselftest harness.  Include this
 * (once, from the test's .c file) instead of kselftest_harness.h, and end
 * the file with VTX_TEST_MAIN.
 */
#ifndef VTX_TEST_H
#define VTX_TEST_H

#include "kselftest_harness.h"
#include "vtx.h"

/*
 * Like TEST_HARNESS_MAIN, but "--device PATH" is taken out of argv first.
 * The constructor keeps the harness's test-ordering detection working.
 */
#define VTX_TEST_MAIN							\
	static void __attribute__((constructor))			\
	__constructor_order_last(void)					\
	{								\
		if (!__constructor_order)				\
			__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD; \
	}								\
	int main(int argc, char **argv)					\
	{								\
		vtx_parse_args(&argc, argv);				\
		return test_harness_run(argc, argv);			\
	}

/* SKIP the test unless KVM_CHECK_EXTENSION(@cap) on @fd is > 0. */
#define VTX_REQUIRE_CAP(fd, cap) do {					\
	if (vtx_check_extension(fd, cap) <= 0)				\
		SKIP(return, "%s not supported by %s", #cap,		\
		     vtx_device_path());				\
} while (0)

/* Assert the vCPU's last exit, naming both reasons on failure. */
#define ASSERT_EXIT(vcpu, reason)					\
	ASSERT_EQ((uint32_t)(reason), (vcpu)->run->exit_reason)		\
		TH_LOG("expected exit %s, got %s (%u)",			\
		       vtx_exit_reason_str(reason),			\
		       vtx_exit_reason_str((vcpu)->run->exit_reason),	\
		       (vcpu)->run->exit_reason)

/* Assert an I/O exit's direction, port, size and count. */
#define ASSERT_IO(vcpu, dir, _port, _size, _count) do {			\
	ASSERT_EXIT(vcpu, KVM_EXIT_IO);					\
	ASSERT_EQ((dir), (vcpu)->run->io.direction);			\
	ASSERT_EQ((_port), (vcpu)->run->io.port);			\
	ASSERT_EQ((_size), (vcpu)->run->io.size);			\
	ASSERT_EQ((_count), (vcpu)->run->io.count);			\
} while (0)

#endif /* VTX_TEST_H */
