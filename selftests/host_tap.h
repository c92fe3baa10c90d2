/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The TAP output shared by the host-side unit tests of the register
 * models (selftests/lapic, selftests/irqchip, selftests/pit): one line per
 * check, "# class NAME" between groups, counts for the closing line.
 */
#ifndef VTX_HOST_TAP_H
#define VTX_HOST_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static unsigned int n_pass, n_fail, n_test;

static void __attribute__((format(printf, 2, 3))) tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	n_test++;
	printf("%sok %u ", ok ? "" : "not ", n_test);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (ok)
		n_pass++;
	else
		n_fail++;
}

#define EQ(got, want, fmt, ...) do {					\
	unsigned long long g_ = (got), w_ = (want);			\
	tap(g_ == w_, fmt " (got %#llx want %#llx)", ##__VA_ARGS__, g_, w_); \
} while (0)

static void class(const char *name)
{
	printf("# class %s\n", name);
}

#endif /* VTX_HOST_TAP_H */
