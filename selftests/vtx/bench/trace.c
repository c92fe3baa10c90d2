// SPDX-License-Identifier: GPL-2.0
/*
 * bench trace --device PATH: every exit of a few short guest loops, for
 * debugging a driver.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "trace.h"

/* Print every exit of a few short loops: for debugging a driver. */
static void trace_loop(const char *name, const uint8_t *label, uint64_t rcx,
		       uint64_t rdi)
{
	struct kvm_regs regs;
	struct guest g;
	int i;

	guest_create(&g, 1);
	enter_at(g.vcpu[0], label, rcx, rdi);
	vtx_get_regs(g.vcpu[0], &regs);
	printf("# trace %s: start rip %#llx rcx %llu rflags %#llx\n", name,
	       (unsigned long long)regs.rip, (unsigned long long)regs.rcx,
	       (unsigned long long)regs.rflags);
	for (i = 0; i < 12; i++) {
		struct kvm_run *run = g.vcpu[0]->run;
		uint32_t reason = vtx_run(g.vcpu[0]);
		uint32_t data = 0;

		vtx_get_regs(g.vcpu[0], &regs);
		if (reason == KVM_EXIT_IO)
			memcpy(&data, vtx_io_data(g.vcpu[0]),
			       run->io.size < 4 ? run->io.size : 4);
		printf("# trace %s: exit %s port %#x size %u count %u "
		       "data %#x mmio %#llx rip %#llx rax %#llx rcx %llu "
		       "rflags %#llx\n", name, vtx_exit_reason_str(reason),
		       reason == KVM_EXIT_IO ? run->io.port : 0,
		       reason == KVM_EXIT_IO ? run->io.size : 0,
		       reason == KVM_EXIT_IO ? run->io.count : 0, data,
		       reason == KVM_EXIT_MMIO ?
		       (unsigned long long)run->mmio.phys_addr : 0ull,
		       (unsigned long long)regs.rip,
		       (unsigned long long)regs.rax,
		       (unsigned long long)regs.rcx,
		       (unsigned long long)regs.rflags);
		if (reason == KVM_EXIT_IO && run->io.port == VTX_UCALL_PORT &&
		    data == UCALL_DONE)
			break;
	}
	guest_destroy(&g);
}

int cmd_trace(int argc, char **argv)
{
	vtx_parse_args(&argc, argv);
	sys_fd = vtx_open_device();
	pin_to_cpu(0);
	trace_loop("pio", bench_pio, 3, 0);
	trace_loop("hlt", bench_hlt, 2, 0);
	trace_loop("mmio_read", bench_mmio_read, 2, BENCH_MMIO_GPA);
	trace_loop("cpuid", bench_cpuid, 3, 0);
	close(sys_fd);
	return 0;
}
