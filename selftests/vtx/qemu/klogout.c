// SPDX-License-Identifier: GPL-2.0
/*
 * klogout FILE - the nested guest's /init (selftests/vtx/qemu) copies its
 * standard input into the memory-mapped FILE: the BAR of QEMU's
 * ivshmem-plain device (/sys/bus/pci/devices/.../resource2), which QEMU
 * backs with a shared file in the test VM.  The log costs no exit to QEMU
 * and no driver: the guest's stores land in that file through the
 * hypervisor's EPT mapping of a file-backed memslot.  (An I/O port was
 * tried first: kvm_intel emulates OUTS one byte per exit to userspace.)
 *
 * Freestanding (no libc): the nested initramfs holds only busybox.
 * Exit status 0; else the failed step: 1 usage, 2 open, 3 size, 4 mmap,
 * 5 read (with -errno as the first bytes of the mapping after 4).
 */
#include <asm/unistd.h>
#include <linux/mman.h>
#include <asm/fcntl.h>
#include <asm/stat.h>

static long sys6(long nr, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
			   "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

static long sys3(long nr, long a, long b, long c)
{
	return sys6(nr, a, b, c, 0, 0, 0);
}

/* A failed system call returns -errno, in [-4095, -1]. */
static int failed(long ret)
{
	return ret < 0 && ret > -4096;
}

static int run(int argc, char **argv)
{
	long fd, size, map, off = 0, n = 0;
	struct stat st;

	if (argc != 2)
		return 1;
	fd = sys3(__NR_open, (long)argv[1], O_RDWR, 0);
	if (failed(fd))
		return 2;
	/* the BAR size (on 6.1 lseek(SEEK_END) does not give it here) */
	if (failed(sys3(__NR_fstat, fd, (long)&st, 0)) || st.st_size <= 0)
		return 3;
	size = st.st_size;
	map = sys6(__NR_mmap, 0, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, 0);
	if (failed(map))
		return 4;
	while (off < size) {
		n = sys3(__NR_read, 0, map + off, size - off);
		if (n <= 0)
			break;
		off += n;
	}
	return n < 0 ? 5 : 0;
}

void klogout_start(long *sp);

void klogout_start(long *sp)
{
	sys3(__NR_exit_group, run((int)sp[0], (char **)(sp + 1)), 0, 0);
}

__asm__(".globl _start\n"
	"_start:\n"
	"	mov %rsp, %rdi\n"
	"	and $-16, %rsp\n"
	"	call klogout_start\n"
	"	hlt\n");
