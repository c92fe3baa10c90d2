// SPDX-License-Identifier: GPL-2.0
/*
 * A classic, minimal KVM program, written only for /dev/kvm: it opens
 * "/dev/kvm" by name and uses nothing but <linux/kvm.h>.  A real-mode guest
 * writes "Hello\n" to the serial port 0x3f8 one byte at a time and halts.
 * The test suite runs it with /dev/kvm pointing at vtx.
 *
 * Exit status: 0 if the guest said exactly "Hello\n" and halted, 1 if not.
 */
#include <err.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#define GUEST_MEM_SIZE	0x10000
#define GUEST_CODE	0x1000

/*
 *	mov  $0x3f8, %dx
 *	mov  $msg, %si
 * 1:	lodsb
 *	test %al, %al
 *	jz   2f
 *	out  %al, (%dx)
 *	jmp  1b
 * 2:	hlt
 * msg:	.asciz "Hello\n"
 */
static const uint8_t guest_code[] = {
	0xba, 0xf8, 0x03,		/* mov $0x3f8, %dx */
	0xbe, 0x10, 0x10,		/* mov $0x1010, %si */
	0xac,				/* lodsb */
	0x84, 0xc0,			/* test %al, %al */
	0x74, 0x03,			/* jz 2f */
	0xee,				/* out %al, (%dx) */
	0xeb, 0xf8,			/* jmp 1b */
	0xf4,				/* hlt */
	0x90,				/* nop (pad) */
	'H', 'e', 'l', 'l', 'o', '\n', 0,	/* msg, at 0x1010 */
};

int main(void)
{
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	char out[64];
	size_t len = 0;
	int kvm, vm, vcpu, mmap_size, i;
	uint8_t *mem;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		err(1, "open /dev/kvm");
	if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		errx(1, "KVM_GET_API_VERSION is not %d", KVM_API_VERSION);
	if (ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY) <= 0)
		errx(1, "KVM_CAP_USER_MEMORY missing");

	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		err(1, "KVM_CREATE_VM");

	mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		err(1, "mmap guest memory");
	memcpy(mem + GUEST_CODE, guest_code, sizeof(guest_code));
	region = (struct kvm_userspace_memory_region) {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = GUEST_MEM_SIZE,
		.userspace_addr = (uintptr_t)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		err(1, "KVM_SET_USER_MEMORY_REGION");

	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		err(1, "KVM_CREATE_VCPU");
	mmap_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size < (int)sizeof(*run))
		err(1, "KVM_GET_VCPU_MMAP_SIZE");
	run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   vcpu, 0);
	if (run == MAP_FAILED)
		err(1, "mmap kvm_run");

	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		err(1, "KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		err(1, "KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = GUEST_CODE;
	regs.rflags = 0x2;
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		err(1, "KVM_SET_REGS");

	for (i = 0; i < 100; i++) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0)
			err(1, "KVM_RUN");
		switch (run->exit_reason) {
		case KVM_EXIT_HLT:
			out[len] = '\0';
			fputs(out, stdout);
			if (strcmp(out, "Hello\n")) {
				fprintf(stderr, "guest said \"%s\"\n", out);
				return 1;
			}
			printf("hello_kvm: ok\n");
			return 0;
		case KVM_EXIT_IO:
			if (run->io.direction != KVM_EXIT_IO_OUT ||
			    run->io.port != 0x3f8 || run->io.size != 1 ||
			    run->io.count != 1)
				errx(1, "unexpected I/O: dir %d port %#x size %d count %u",
				     run->io.direction, run->io.port,
				     run->io.size, run->io.count);
			if (len + 1 >= sizeof(out))
				errx(1, "guest says too much");
			out[len++] = *((char *)run + run->io.data_offset);
			break;
		default:
			errx(1, "unexpected exit reason %u", run->exit_reason);
		}
	}
	errx(1, "guest did not halt");
}
