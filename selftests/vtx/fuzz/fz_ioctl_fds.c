// SPDX-License-Identifier: GPL-2.0
/*
 * vtx-ioctl-fuzz: the device, VM and vCPU file descriptors of a session:
 * picked, created, closed, mapped at odd offsets, inherited by a child.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fz_ioctl.h"

int pick_vm(struct session *s)
{
	int i, n = 0, c[MAX_VMS];

	for (i = 0; i < MAX_VMS; i++)
		if (s->vms[i] >= 0)
			c[n++] = i;
	return n ? c[rnd(&s->r, n)] : -1;
}

int pick_vcpu(struct session *s)
{
	int i, n = 0, c[MAX_VCPUS];

	for (i = 0; i < MAX_VCPUS; i++)
		if (s->vcpus[i].fd >= 0)
			c[n++] = i;
	return n ? c[rnd(&s->r, n)] : -1;
}

int pick_dev(struct session *s)
{
	int d = s->dev[rnd(&s->r, 2)];

	return d >= 0 ? d : s->dev[0] >= 0 ? s->dev[0] : s->dev[1];
}

void create_vm(struct session *s)
{
	int i, d = pick_dev(s);
	long r;

	if (d < 0) {
		s->dev[0] = fz_open_dev(dev_path);
		n_syscalls++;
		return;
	}
	for (i = 0; i < MAX_VMS; i++)
		if (s->vms[i] < 0)
			break;
	if (i == MAX_VMS)
		return;
	r = fz_ioctl(s, d, KVM_CREATE_VM,
		     chance(&s->r, 9, 10) ? 0 : rnd_interesting(&s->r),
		     "KVM_CREATE_VM");
	if (r >= 0) {
		s->vms[i] = r;
		s->irqchip[i] = false;
	}
}

void create_vcpu(struct session *s)
{
	int i, vm = pick_vm(s);
	unsigned long id;
	long r;
	void *run;

	if (vm < 0) {
		create_vm(s);
		return;
	}
	for (i = 0; i < MAX_VCPUS; i++)
		if (s->vcpus[i].fd < 0)
			break;
	if (i == MAX_VCPUS)
		return;
	id = chance(&s->r, 7, 8) ? rnd(&s->r, 8) : rnd_interesting(&s->r);
	r = fz_ioctl(s, s->vms[vm], KVM_CREATE_VCPU, id, "KVM_CREATE_VCPU");
	if (r < 0)
		return;
	run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, r, 0);
	n_syscalls++;
	if (run == MAP_FAILED) {
		close(r);
		return;
	}
	s->vcpus[i].fd = r;
	s->vcpus[i].vm = vm;
	s->vcpus[i].run = run;
	s->vcpus[i].run_size = mmap_size;
}

void close_vcpu(struct session *s, int i)
{
	struct fvcpu *v = &s->vcpus[i];

	if (v->fd < 0)
		return;
	/* either order: the mapping keeps the vCPU file alive */
	if (chance(&s->r, 1, 2)) {
		munmap(v->run, v->run_size);
		close(v->fd);
	} else {
		close(v->fd);
		munmap(v->run, v->run_size);
	}
	n_syscalls += 2;
	v->fd = -1;
	v->run = NULL;
}

void close_something(struct session *s)
{
	int i;

	switch (rnd(&s->r, 4)) {
	case 0:
		i = pick_vm(s);
		if (i >= 0) {
			trace(s, "close vm %d", s->vms[i]);
			close(s->vms[i]);
			n_syscalls++;
			s->vms[i] = -1;
		}
		break;
	case 1:
	case 2:
		i = pick_vcpu(s);
		if (i >= 0) {
			trace(s, "close vcpu %d", s->vcpus[i].fd);
			close_vcpu(s, i);
		}
		break;
	default:
		i = rnd(&s->r, 2);
		if (s->dev[i] >= 0) {
			trace(s, "close dev %d", s->dev[i]);
			close(s->dev[i]);
			n_syscalls++;
			s->dev[i] = -1;
		}
		break;
	}
}

/* The run page of a vCPU mapped at other offsets, read from the kernel. */
void mmap_op(struct session *s)
{
	int i = pick_vcpu(s);
	void *m;
	off_t off = rnd(&s->r, 4) * PAGE_SIZE;
	size_t len = (1 + rnd(&s->r, 4)) * PAGE_SIZE;

	if (i < 0)
		return;
	m = mmap(NULL, len, PROT_READ | (chance(&s->r, 1, 2) ? PROT_WRITE : 0),
		 chance(&s->r, 3, 4) ? MAP_SHARED : MAP_PRIVATE,
		 s->vcpus[i].fd, off);
	n_syscalls++;
	if (m == MAP_FAILED)
		return;
	trace(s, "mmap vcpu %d off 0x%lx len 0x%zx", s->vcpus[i].fd,
	      (long)off, len);
	/* fault every page from kernel context: SIGBUS becomes EFAULT */
	if (write(s->devnull, m, len) < 0)
		n_syscalls++;
	n_syscalls++;
	munmap(m, len);
	n_syscalls++;
}

/* A child that tries to use the parent's VM: -EIO, then closes it all. */
void fork_op(struct session *s)
{
	pid_t pid;
	int i;

	pid = fork();
	n_syscalls++;
	if (pid < 0)
		return;
	if (pid == 0) {
		int bad = 0;

		for (i = 0; i < MAX_VMS; i++)
			if (s->vms[i] >= 0 &&
			    xioctl(s->vms[i], KVM_CREATE_VCPU, 7) != -EIO)
				bad = 1;
		for (i = 0; i < MAX_VCPUS; i++)
			if (s->vcpus[i].fd >= 0) {
				if (xioctl(s->vcpus[i].fd, KVM_RUN, 0) != -EIO)
					bad = 1;
				(void)*(volatile uint32_t *)&s->vcpus[i].run->exit_reason;
				close(s->vcpus[i].fd);
			}
		for (i = 0; i < MAX_VMS; i++)
			if (s->vms[i] >= 0)
				close(s->vms[i]);
		_exit(bad ? 3 : 0);
	}
	trace(s, "fork child %d", pid);
	if (waitpid(pid, &i, 0) == pid && WIFEXITED(i) && WEXITSTATUS(i) == 3) {
		n_odd++;
		printf("# a forked child could use its parent's VM (session %"
		       PRIu64 ")\n", s->idx);
	}
}
