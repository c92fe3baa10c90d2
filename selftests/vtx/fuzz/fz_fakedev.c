// SPDX-License-Identifier: GPL-2.0
/*
 * A fake /dev/kvm for running vtx-ioctl-fuzz on a host without VMX, so
 * that its call sequence for a seed can be printed (--trace) and compared
 * between two builds of the fuzzer: a refactoring of the fuzzer must not
 * change the sequence a FUZZ_SEED produces.
 *
 * Linked with -Wl,--wrap=xioctl,--wrap=fz_open_dev,--wrap=kmsg_open,
 * --wrap=kmsg_check (Makefile target ioctl-trace-host).  Every answer is
 * a function of the request and of how many calls the main thread made
 * before: no clock, no address, no host state.  The fuzzer's racing vCPU
 * thread and its forked children get -EINTR / -EIO and change nothing
 * the main thread sees.  The device and VM fds are /dev/null; a vCPU fd
 * is a memfd of two pages, so that its kvm_run page can be mapped and
 * KVM_RUN can write an exit into it.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fz.h"

#define FAKE_RUN_SIZE	(2 * PAGE_SIZE)
#define FAKE_TSC_KHZ	2000000
#define FAKE_MAX_VCPU_ID	8

static pid_t main_tid;
static uint64_t calls;		/* main thread's calls so far */

static uint64_t mix(uint64_t x)
{
	return splitmix64(&x);
}

int __wrap_fz_open_dev(const char *path)
{
	(void)path;
	if (!main_tid)
		main_tid = syscall(SYS_gettid);
	return open("/dev/null", O_RDWR | O_CLOEXEC);
}

int __wrap_kmsg_open(void)
{
	return 0;
}

const char *__wrap_kmsg_check(void)
{
	return NULL;
}

static long fake_vcpu(unsigned long id)
{
	int fd;

	if (id >= FAKE_MAX_VCPU_ID)
		return -EINVAL;
	fd = syscall(SYS_memfd_create, "fake-vcpu", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, FAKE_RUN_SIZE)) {
		close(fd);
		return -ENOMEM;
	}
	return fd;
}

/* An exit of a kind chosen by @h into the run page of vCPU fd @fd. */
static long fake_run(int fd, uint64_t h)
{
	static const uint32_t reasons[] = {
		KVM_EXIT_IO, KVM_EXIT_MMIO, KVM_EXIT_HLT, KVM_EXIT_HYPERCALL,
		KVM_EXIT_SHUTDOWN, KVM_EXIT_INTR, 60,
	};
	struct kvm_run *run;

	run = mmap(NULL, FAKE_RUN_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, 0);
	if (run == MAP_FAILED)
		return -ENOTTY;
	memset(run, 0, sizeof(*run));
	run->exit_reason = reasons[h % ARRAY_SIZE(reasons)];
	run->io.direction = (h >> 8) & 1;
	run->io.size = 1 << ((h >> 9) % 3);
	run->io.count = 1 + (h >> 12) % 4;
	run->io.data_offset = PAGE_SIZE;
	run->mmio.is_write = (h >> 16) & 1;
	munmap(run, FAKE_RUN_SIZE);
	return 0;
}

long __wrap_xioctl(int fd, unsigned long req, unsigned long arg)
{
	static const int errs[] = { EINVAL, EFAULT, ENOTTY, EBADF, E2BIG };
	uint64_t h;

	if (syscall(SYS_gettid) != main_tid)
		return getpid() == main_tid ? -EINTR : -EIO;
	h = mix(req ^ mix(++calls));
	switch (req) {
	case KVM_GET_VCPU_MMAP_SIZE:
		return FAKE_RUN_SIZE;
	case KVM_GET_TSC_KHZ:
		return FAKE_TSC_KHZ;
	case KVM_CREATE_VM:
		return arg ? -EINVAL : open("/dev/null", O_RDWR | O_CLOEXEC);
	case KVM_CREATE_VCPU:
		return fake_vcpu(arg);
	case KVM_RUN:
		return h % 8 ? fake_run(fd, h >> 3) : -EINTR;
	case KVM_GET_STATS_FD:
		return -ENOTTY;
	}
	return h % 3 ? 0 : -errs[(h >> 2) % ARRAY_SIZE(errs)];
}
