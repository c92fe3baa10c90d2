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
 *   IOCTL_COUNTS=FILE     at exit, write the counts there in ioctls.awk's
 *                         output format ("I COUNT NAME errors=N ERRNO:N..."
 *                         and "C COUNT REQUEST CAP = RET"), so that nobody
 *                         has to parse a long record in the emulated VM
 *   IOCTL_FAKE_CAPS=N=V,...  DIAGNOSTICS ONLY: answer KVM_CHECK_EXTENSION
 *                         of capability N with V without asking the kernel,
 *                         to see what fails after a missing capability;
 *                         such calls are logged with "(faked)"
 *   IOCTL_DROP_MSRS=I,J-K,... DIAGNOSTICS ONLY: leave MSRs I, J to K... out of every
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
#include <pthread.h>
#include <linux/kvm.h>

struct name { unsigned long nr; const char *name; };
#include "ioctl-names.h"	/* ioctl_names[], cap_names[] */

#define MAX_FAKES 16
#define MAX_DROPS 16

static int (*real_ioctl)(int, unsigned long, ...);
static int log_fd = -1;
static int nr_fakes;
static long fake_cap[MAX_FAKES], fake_val[MAX_FAKES];
/* Counts: one slot per (request, errno or 0, cap, ret for cap queries). */
#define MAX_SLOTS 1024
struct slot {
	unsigned int req;
	int err;		/* 0: success */
	int is_cap;		/* KVM_CHECK_EXTENSION / KVM_ENABLE_CAP */
	unsigned long cap;
	int ret;
	int faked;
	unsigned long count;
};
static struct slot slots[MAX_SLOTS];
static int nr_slots;
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *counts_path;
static int nr_drops;
static unsigned long drop_lo[MAX_DROPS], drop_hi[MAX_DROPS];

__attribute__((constructor)) static void ioctl_log_init(void)
{
	const char *path = getenv("IOCTL_LOG");
	const char *f = getenv("IOCTL_FAKE_CAPS");
	const char *d = getenv("IOCTL_DROP_MSRS");

	real_ioctl = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	if (path && *path)
		log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	counts_path = getenv("IOCTL_COUNTS");
	if (counts_path && !*counts_path)
		counts_path = NULL;
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

		drop_lo[nr_drops] = strtoul(d, &end, 0);
		drop_hi[nr_drops] = drop_lo[nr_drops];
		if (*end == '-')
			drop_hi[nr_drops] = strtoul(end + 1, &end, 0);
		nr_drops++;
		d = (*end == ',') ? end + 1 : "";
	}
}

static int dropped(unsigned long index)
{
	int i;

	for (i = 0; i < nr_drops; i++)
		if (index >= drop_lo[i] && index <= drop_hi[i])
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
	__u32 n = m->nmsrs, i, k = 0, *orig;
	int ret;

	save = malloc(n * sizeof(*save));
	orig = malloc(n * sizeof(*orig));
	if (!save || !orig) {
		free(save);
		free(orig);
		return real_ioctl(fd, req, m);
	}
	memcpy(save, m->entries, n * sizeof(*save));
	for (i = 0; i < n; i++) {
		if (!dropped(save[i].index)) {
			orig[k] = i;
			m->entries[k++] = save[i];
		}
	}
	*nd = n - k;
	m->nmsrs = k;
	ret = real_ioctl(fd, req, m);
	memcpy(m->entries, save, n * sizeof(*save));
	m->nmsrs = n;
	if (ret == (int)k)
		ret = n;		/* all written */
	else if (ret >= 0 && ret < (int)k)
		ret = orig[ret];	/* the index of the refused MSR in the caller's list */
	free(save);
	free(orig);
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

static void count(unsigned long req, void *arg, int ret, int err, int faked)
{
	unsigned int r = (unsigned int)req;
	int is_cap = 0, i;
	unsigned long cap = 0;

	if (r == KVM_CHECK_EXTENSION) {
		is_cap = 1;
		cap = (unsigned long)arg;
	} else if (r == KVM_ENABLE_CAP && arg) {
		is_cap = 1;
		cap = ((const struct kvm_enable_cap *)arg)->cap;
	}
	if (ret >= 0)
		err = 0;
	if (!is_cap)
		ret = 0;
	pthread_mutex_lock(&slots_lock);
	for (i = 0; i < nr_slots; i++) {
		struct slot *sl = &slots[i];

		if (sl->req == r && sl->err == err && sl->is_cap == is_cap &&
		    sl->cap == cap && sl->ret == ret && sl->faked == faked)
			break;
	}
	if (i == nr_slots && nr_slots < MAX_SLOTS) {
		slots[i] = (struct slot){ .req = r, .err = err, .is_cap = is_cap,
					  .cap = cap, .ret = ret, .faked = faked };
		nr_slots++;
	}
	if (i < nr_slots)
		slots[i].count++;
	pthread_mutex_unlock(&slots_lock);
}

static const char *req_name(unsigned int r, char *buf, size_t len)
{
	const char *n = lookup(ioctl_names, sizeof(ioctl_names) / sizeof(ioctl_names[0]), r);

	if (n)
		return n;
	snprintf(buf, len, "_IOC(%#x)", r);
	return buf;
}

/* ioctls.awk's output: "I COUNT NAME errors=N ERRNO:N...", "C ..." lines. */
__attribute__((destructor)) static void ioctl_counts_write(void)
{
	unsigned int done[MAX_SLOTS] = { 0 };
	char nb[64], cb[160];
	FILE *f;
	int i, j;

	if (!counts_path)
		return;
	f = fopen(counts_path, "w");
	if (!f)
		return;
	pthread_mutex_lock(&slots_lock);
	for (i = 0; i < nr_slots; i++) {
		unsigned long total = 0, errs = 0;

		if (done[i])
			continue;
		for (j = i; j < nr_slots; j++) {
			if (slots[j].req != slots[i].req)
				continue;
			done[j] = 1;
			total += slots[j].count;
			if (slots[j].err)
				errs += slots[j].count;
		}
		fprintf(f, "I %lu %s errors=%lu", total, req_name(slots[i].req, nb, sizeof(nb)),
			errs);
		/* per errno, summed over the slots of this request */
		for (j = i; j < nr_slots; j++) {
			unsigned long n = 0;
			int k, seen = 0;

			if (slots[j].req != slots[i].req || !slots[j].err)
				continue;
			for (k = i; k < j; k++)
				if (slots[k].req == slots[i].req && slots[k].err == slots[j].err)
					seen = 1;
			if (seen)
				continue;
			for (k = j; k < nr_slots; k++)
				if (slots[k].req == slots[i].req && slots[k].err == slots[j].err)
					n += slots[k].count;
			fprintf(f, " %s:%lu", strerrorname_np(slots[j].err) ?: "E?", n);
		}
		fputc('\n', f);
	}
	for (i = 0; i < nr_slots; i++) {
		if (!slots[i].is_cap)
			continue;
		cap_str(cb, sizeof(cb), slots[i].cap);
		if (slots[i].err)
			fprintf(f, "C %lu %s %s%s = -1\n", slots[i].count,
				req_name(slots[i].req, nb, sizeof(nb)),
				slots[i].req == (unsigned int)KVM_ENABLE_CAP ? "cap=" : "", cb);
		else
			fprintf(f, "C %lu %s %s%s = %d%s\n", slots[i].count,
				req_name(slots[i].req, nb, sizeof(nb)),
				slots[i].req == (unsigned int)KVM_ENABLE_CAP ? "cap=" : "", cb,
				slots[i].ret, slots[i].faked ? " (faked)" : "");
	}
	pthread_mutex_unlock(&slots_lock);
	fclose(f);
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
				if (counts_path)
					count(req, arg, (int)fake_val[i], 0, 1);
				return (int)fake_val[i];
			}
		}
	}
	if (nr_drops && (unsigned int)req == KVM_SET_MSRS && arg)
		ret = set_msrs_dropping(fd, req, arg, &nd);
	else
		ret = real_ioctl(fd, req, arg);
	if (log_fd >= 0 || counts_path) {
		err = errno;
		if (log_fd >= 0)
			log_call(fd, req, arg, ret, err, 0, nd);
		if (counts_path)
			count(req, arg, ret, err, 0);
		errno = err;
	}
	return ret;
}
