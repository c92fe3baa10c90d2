// SPDX-License-Identifier: GPL-2.0
/*
 * vtx-ioctl-fuzz: the traced ioctl call (counted, errno classified) and
 * the user pointers its arguments live at.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/mman.h>

#include "fz_ioctl.h"

void trace(struct session *s, const char *fmt, ...)
{
	va_list ap;
	char *t = s->trace[s->ntrace++ % TRACE_LEN];

	va_start(ap, fmt);
	vsnprintf(t, sizeof(s->trace[0]), fmt, ap);
	va_end(ap);
	if (opt_trace)
		printf("#   %s\n", t);
}

static void count_errno(long r)
{
	if (r >= 0)
		n_errno[0]++;
	else if (-r < 256)
		n_errno[-r]++;
}

/* An ioctl of the fuzzer: counted, traced, errno classified. */
long fz_ioctl(struct session *s, int fd, unsigned long req,
		     unsigned long arg, const char *name)
{
	long r;

	trace(s, "ioctl(%d, %s 0x%lx, 0x%lx)", fd, name, req, arg);
	if (straddle)
		mprotect(scratch + SCRATCH_SIZE, PAGE_SIZE, PROT_NONE);
	r = xioctl(fd, req, arg);
	if (straddle) {
		mprotect(scratch + SCRATCH_SIZE, PAGE_SIZE,
			 PROT_READ | PROT_WRITE);
		straddle = false;
	}
	n_ioctls++;
	n_syscalls++;
	count_errno(r);
	switch ((int)-r) {
	case 0: case EPERM: case ENOENT: case EINTR: case EIO: case ENXIO:
	case E2BIG: case EBADF: case EAGAIN: case ENOMEM: case EACCES:
	case EFAULT: case EBUSY: case EEXIST: case ENODEV: case EINVAL:
	case ENFILE: case EMFILE: case ENOTTY: case ENOSPC: case ERANGE:
	case ENOSYS: case EOPNOTSUPP: case EROFS:
		break;
	default:
		if (r < 0 && n_odd++ < 20) {
			printf("# odd errno %ld from %s (session %" PRIu64 ")\n",
			       r, name, s->idx);
		}
	}
	return r;
}

/* ------------------------------------------------------------ pointers */

/*
 * A user pointer for an ioctl argument of @len bytes.  Mostly valid (in
 * the scratch area, contents to be filled by the caller through the
 * returned pointer), else hostile.  *@writable tells whether the caller
 * may write the contents.
 */
void *arg_ptr(struct session *s, size_t len, bool *writable)
{
	uint64_t off;

	*writable = false;
	if (len > SCRATCH_SIZE)
		len = SCRATCH_SIZE;
	switch (rnd(&s->r, 40)) {
	case 0:
		return NULL;
	case 1:		/* straddles the guard page after the scratch area */
		*writable = true;
		straddle = true;
		return scratch + SCRATCH_SIZE - (len ? rnd(&s->r, len) + 1 : 1);
	case 2:
		return ro_page;
	case 3:
		return (void *)0xffffffff81000000UL;
	case 4:
		return (void *)0xffff888000000000UL;
	case 5:
		return (void *)0x8000000000000000UL;
	case 6:
		return (void *)(uintptr_t)rnd_interesting(&s->r);
	case 7:		/* a buffer window, maybe unmapped or read-only */
		return bufs[rnd(&s->r, NR_BUFS)].base +
		       rnd(&s->r, 0x400000);
	case 8: {	/* a vCPU's kvm_run page */
		struct fvcpu *v = &s->vcpus[rnd(&s->r, MAX_VCPUS)];

		if (v->run)
			return (uint8_t *)v->run + rnd(&s->r, 2) * PAGE_SIZE;
		break;
	}
	}
	*writable = true;
	off = rnd(&s->r, SCRATCH_SIZE - len + 1);
	if (chance(&s->r, 3, 4))
		off &= ~7ULL;
	return scratch + off;
}
