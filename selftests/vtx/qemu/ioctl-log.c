// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl-log.so - an LD_PRELOAD record of the ioctls a program issues, for the
 * "qemu" suite: QEMU stays Debian's unmodified binary, this library only
 * wraps libc's ioctl() and writes one line per call, in strace's format
 * ("TID ioctl(FD, NAME, ARG) = RET" or "= -1 ERRNO (text)"), so that
 * ioctls.awk counts it like an `strace -f -e trace=ioctl` record.
 *
 * Why not strace itself: under strace every ioctl (each KVM_RUN, one per
 * exit to userspace) is a ptrace round trip through the emulated CPU of the
 * test VM, and the timed boots would carry it. This costs one write() per
 * ioctl, and every line is written at once, so a killed QEMU loses nothing.
 *
 * Environment:
 *   IOCTL_LOG=FILE        where to write (appends); unset: the library does
 *                         nothing at all
 *   IOCTL_FAKE_CAPS=N=V,...  DIAGNOSTICS ONLY: answer KVM_CHECK_EXTENSION
 *                         of capability N with V without asking the kernel,
 *                         to see what fails after a missing capability;
 *                         such calls are logged with "(faked)"
 *   IOCTL_DROP_MSRS=I,... DIAGNOSTICS ONLY: leave MSRs I,... out of every
 *                         vCPU KVM_SET_MSRS and count them as written, to
 *                         see what fails after an MSR vtx refuses; logged
 *                         with "(dropped)"
 *
 * Built by the suite's Makefile: ioctl-names.h is generated from the
 * system's <linux/kvm.h> (names of KVM ioctls and capabilities).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/kvm.h>

struct name { unsigned long nr; const char *name; };
#include "ioctl-names.h"	/* ioctl_names[], cap_names[] */

#define MAX_FAKES 16
#define MAX_DROPS 16

static int (*real_ioctl)(int, unsigned long, ...);
static int log_fd = -1;
static int nr_fakes;
static long fake_cap[MAX_FAKES], fake_val[MAX_FAKES];
static int nr_drops;
static unsigned long drop_msr[MAX_DROPS];

__attribute__((constructor)) static void ioctl_log_init(void)
{
	const char *path = getenv("IOCTL_LOG");
	const char *f = getenv("IOCTL_FAKE_CAPS");
	const char *d = getenv("IOCTL_DROP_MSRS");

	real_ioctl = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	if (path && *path)
		log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	while (f && *f && nr_fakes < MAX_FAKES) {
		char *end;
		long cap = strtol(f, &end, 0), val;

		if (*end != '=')
			break;
		val = strtol(end + 1, &end, 0);
		fake_cap[nr_fakes] = cap;
		fake_val[nr_fakes++] = val;
		f = (*end == ',') ? end + 1 : "";
	}
	while (d && *d && nr_drops < MAX_DROPS) {
		char *end;

		drop_msr[nr_drops++] = strtoul(d, &end, 0);
		d = (*end == ',') ? end + 1 : "";
	}
}

static int dropped(unsigned long index)
{
	int i;

	for (i = 0; i < nr_drops; i++)
		if (drop_msr[i] == index)
			return 1;
	return 0;
}

/*
 * KVM_SET_MSRS without the MSRs in IOCTL_DROP_MSRS: compact the entries in
 * place, call, put them back; a full success counts the dropped ones too.
 */
static int set_msrs_dropping(int fd, unsigned long req, struct kvm_msrs *m, int *nd)
{
	struct kvm_msr_entry *save;
	__u32 n = m->nmsrs, i, k = 0;
	int ret;

	save = malloc(n * sizeof(*save));
	if (!save)
		return real_ioctl(fd, req, m);
	memcpy(save, m->entries, n * sizeof(*save));
	for (i = 0; i < n; i++)
		if (!dropped(save[i].index))
			m->entries[k++] = save[i];
	*nd = n - k;
	m->nmsrs = k;
	ret = real_ioctl(fd, req, m);
	memcpy(m->entries, save, n * sizeof(*save));
	m->nmsrs = n;
	free(save);
	if (ret == (int)k)
		ret = n;
	return ret;
}

static const char *lookup(const struct name *t, size_t n, unsigned long nr)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned int)t[i].nr == (unsigned int)nr)
			return t[i].name;
	return NULL;
}

static int cap_str(char *buf, size_t len, unsigned long cap)
{
	const char *c = lookup(cap_names, sizeof(cap_names) / sizeof(cap_names[0]), cap);

	return c ? snprintf(buf, len, "%s", c) : snprintf(buf, len, "%lu", cap);
}

static void log_call(int fd, unsigned long req, void *arg, int ret, int err, int faked,
		     int nd)
{
	char buf[512], a[160];
	const char *n = lookup(ioctl_names, sizeof(ioctl_names) / sizeof(ioctl_names[0]), req);
	int len;

	/* the kernel takes the request as 32 bits; QEMU passes an int */
	req = (unsigned int)req;
	if (req == KVM_CHECK_EXTENSION) {
		cap_str(a, sizeof(a), (unsigned long)arg);
	} else if (req == KVM_ENABLE_CAP && arg && ret >= 0) {
		const struct kvm_enable_cap *c = arg;
		int k = snprintf(a, sizeof(a), "{cap=");

		k += cap_str(a + k, sizeof(a) - k, c->cap);
		snprintf(a + k, sizeof(a) - k, ", args=[%#llx]}", (unsigned long long)c->args[0]);
	} else if (req == KVM_ENABLE_CAP && arg) {
		const struct kvm_enable_cap *c = arg;
		int k = snprintf(a, sizeof(a), "{cap=");

		k += cap_str(a + k, sizeof(a) - k, c->cap);
		snprintf(a + k, sizeof(a) - k, "}");
	} else {
		snprintf(a, sizeof(a), "%p", arg);
	}
	if (n)
		len = snprintf(buf, sizeof(buf), "%ld ioctl(%d, %s, %s)", (long)syscall(SYS_gettid),
			       fd, n, a);
	else
		len = snprintf(buf, sizeof(buf), "%ld ioctl(%d, _IOC(%#lx), %s)",
			       (long)syscall(SYS_gettid), fd, req, a);
	if (ret < 0)
		len += snprintf(buf + len, sizeof(buf) - len, " = -1 %s (%s)\n",
				strerrorname_np(err) ?: "E?", strerror(err));
	else
		len += snprintf(buf + len, sizeof(buf) - len, " = %d%s\n", ret,
				faked ? " (faked)" : nd ? " (dropped)" : "");
	if (len > (int)sizeof(buf))
		len = sizeof(buf);
	if (write(log_fd, buf, len) < 0)
		return;
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	int ret, err, i, nd = 0;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!real_ioctl)
		ioctl_log_init();
	if ((unsigned int)req == KVM_CHECK_EXTENSION) {
		for (i = 0; i < nr_fakes; i++) {
			if (fake_cap[i] == (long)arg) {
				if (log_fd >= 0)
					log_call(fd, req, arg, (int)fake_val[i], 0, 1, 0);
				return (int)fake_val[i];
			}
		}
	}
	if (nr_drops && (unsigned int)req == KVM_SET_MSRS && arg)
		ret = set_msrs_dropping(fd, req, arg, &nd);
	else
		ret = real_ioctl(fd, req, arg);
	if (log_fd >= 0) {
		err = errno;
		log_call(fd, req, arg, ret, err, 0, nd);
		errno = err;
	}
	return ret;
}
