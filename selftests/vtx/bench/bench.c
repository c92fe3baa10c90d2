// SPDX-License-Identifier: GPL-2.0
/*
 * vtx benchmark: the costs of VM exits, EPT faults, VM lifetime and kernel
 * memory, measured the same way on /dev/vtx and on upstream KVM's
 * /dev/kvm by one static binary that speaks <linux/kvm.h>.
 *
 *   bench run --device PATH --driver NAME [--pass N] [--rounds N] [--quick]
 *	Runs every case of the first table on one device and prints raw
 *	results, one line each:
 *	  @@B driver pass case iters value-per-round...   (cycles per op)
 *	  @@M driver pass round field per-vm-KiB per-vcpu-KiB residue-KiB
 *	  @@S driver pass cache per-vm-bytes per-vcpu-bytes
 *	  @@E driver pass key value
 *   bench irq --device PATH --driver LABEL [--pass N] [--rounds N] [--quick]
 *	The interrupt paths (case_irq.c) only, as one column of the report's
 *	second table: LABEL is DRIVER.COLUMN (e.g. vtx.apicv1), the column
 *	being a set of module parameters suite.sh loaded the driver with.
 *   bench shadow --device PATH --driver LABEL [--pass N] [--rounds N] [--quick]
 *	pf_first_touch and cr3_switch (case_ept.c, case_shadow.c) as one
 *	column of the report's shadow-paging table: LABEL is DRIVER.COLUMN,
 *	suite.sh loads the driver with ept=0 for the column ept0.
 *   bench linux --log FILE [--timeout S] -- VMM ARGS...
 *	One timed boot of the nested Linux guest (linux.c, linux-init.c):
 *	prints BENCH-RESULT lines, which suite.sh turns into @@B lines of
 *	the report's Linux table.
 *   bench report FILE...
 *	Reads those lines (from `run`s of both drivers, one or more passes)
 *	and prints the table (median and spread per case, vtx/kvm ratio, how
 *	far pass 2 is from pass 1) and the same data as JSON, each JSON line
 *	prefixed with "@@JSON " so it can be cut out of a serial log.
 *
 * Cycles are what RDTSC returns to this program (or to the guest, for the
 * cases timed inside the guest).  In the Bochs test VM the TSC advances
 * with emulated instructions, so the numbers there are emulated path
 * lengths, not real-hardware times; the same binary on a VMX host reports
 * real cycles.  See Documentation/vtx/performance.rst.
 *
 * This file: the commands and the order of the cases in a run.  The rest:
 *   catalog.[ch]      the cases and memory fields run and report agree on
 *   harness.[ch]      options, TSC, pinning, raw output, guests, run_loop()
 *   case_exits.c      null_ioctl, exits to userspace and in-kernel exits
 *   case_ept.c        first-touch EPT faults of one vCPU
 *   case_lifecycle.c  VM creation and teardown, rcu_sync_ref
 *   case_smp.c        several vCPUs at once: PIO, faults beside memslot churn
 *   case_kmem.c       kernel memory per VM and per vCPU
 *   case_irq.c        interrupt paths with the in-kernel irqchip (irq_guest.S)
 *   case_shadow.c     CR3 switches (with case_ept.c's touch: bench shadow)
 *   linux.[ch]        bench linux (linux-init.c: the nested guest's /init)
 *   trace.[ch]        bench trace
 *   stats.[ch]        median, spread of a case's rounds
 *   report.[ch]       bench report: the table and the JSON
 *   bench_guest.S     the guest loops (bench.h: what both sides share)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "harness.h"
#include "cases.h"
#include "linux.h"
#include "report.h"
#include "trace.h"

/* The options of run and irq, the device, the @@E lines of the run. */
static void run_setup(int argc, char **argv)
{
	const char *s;
	struct utsname u;

	vtx_parse_args(&argc, argv);
	if ((s = vtx_take_arg(&argc, argv, "--driver")))
		driver = s;
	if ((s = vtx_take_arg(&argc, argv, "--pass")))
		pass = atoi(s);
	if ((s = vtx_take_arg(&argc, argv, "--rounds")))
		rounds = atoi(s);
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--quick"))
			quick = 1;
	if (rounds < 1 || rounds > MAX_ROUNDS)
		vtx_die("--rounds must be 1..%d", MAX_ROUNDS);

	sys_fd = vtx_open_device();
	uname(&u);
	printf("@@E %s %d device %s\n", driver, pass, vtx_device_path());
	printf("@@E %s %d kernel %s\n", driver, pass, u.release);
	printf("@@E %s %d cpus %ld\n", driver, pass,
	       sysconf(_SC_NPROCESSORS_ONLN));
	printf("@@E %s %d mem_kib %ld\n", driver, pass,
	       sysconf(_SC_PHYS_PAGES) * (sysconf(_SC_PAGESIZE) / 1024));
	printf("@@E %s %d rounds %d\n", driver, pass, rounds);
	/* Single-threaded cases run on CPU 0 only: no migrations. */
	pin_to_cpu(0);
}

static int cmd_run(int argc, char **argv)
{
	run_setup(argc, argv);
	printf("@@E %s %d touch_mib %d\n", driver, pass,
	       (quick ? BENCH_TOUCH_SIZE / 8 : BENCH_TOUCH_SIZE) >> 20);

	printf("# %s: null_ioctl\n", driver);
	case_null_ioctl();
	printf("# %s: pio_out\n", driver);
	case_user_exit("pio_out", bench_pio, KVM_EXIT_IO, 0,
		       quick ? 500 : 5000);
	printf("# %s: cpuid\n", driver);
	case_guest_timed("cpuid", bench_cpuid, quick ? 500 : 10000);
	printf("# %s: vmcall\n", driver);
	case_guest_timed("vmcall", bench_vmcall, quick ? 500 : 10000);
	printf("# %s: guest_loop\n", driver);
	case_guest_timed("guest_loop", bench_empty, quick ? 500 : 10000);
	printf("# %s: mmio_write\n", driver);
	case_user_exit("mmio_write", bench_mmio_write, KVM_EXIT_MMIO,
		       BENCH_MMIO_GPA, quick ? 300 : 3000);
	printf("# %s: mmio_read\n", driver);
	case_user_exit("mmio_read", bench_mmio_read, KVM_EXIT_MMIO,
		       BENCH_MMIO_GPA, quick ? 300 : 3000);
	printf("# %s: hlt\n", driver);
	case_user_exit("hlt", bench_hlt, KVM_EXIT_HLT, 0, quick ? 500 : 5000);
	printf("# %s: rcu_sync_ref\n", driver);
	case_rcu_sync();
	printf("# %s: vm_lifecycle\n", driver);
	case_lifecycle("vm_lifecycle", false);
	printf("# %s: vm_lifecycle_cold\n", driver);
	case_lifecycle("vm_lifecycle_cold", true);
	printf("# %s: memory\n", driver);
	case_memory();
	printf("# %s: pio_8vcpu\n", driver);
	unpin();
	case_concurrent();
	pin_to_cpu(0);
	/* The longest cases last. */
	printf("# %s: ept_touch_4k\n", driver);
	case_touch("ept_touch_4k", false);
	printf("# %s: ept_touch_thp\n", driver);
	case_touch("ept_touch_thp", true);
	unpin();
	printf("# %s: ept_touch_2vcpu\n", driver);
	case_touch2("ept_touch_2vcpu", false);
	printf("# %s: ept_touch_2vcpu_churn\n", driver);
	case_touch2("ept_touch_2vcpu_churn", true);
	pin_to_cpu(0);
	close(sys_fd);
	printf("# %s: done\n", driver);
	return 0;
}

/* The interrupt paths only: one column of the report's second table. */
static int cmd_irq(int argc, char **argv)
{
	run_setup(argc, argv);
	case_irq();
	unpin();
	close(sys_fd);
	printf("# %s: done\n", driver);
	return 0;
}

/*
 * Shadow paging beside EPT: one column of the report's third table (the
 * driver loaded with ept=0 or not: suite.sh's SHADOW_COLUMNS).
 */
static int cmd_shadow(int argc, char **argv)
{
	run_setup(argc, argv);
	printf("# %s: pf_first_touch\n", driver);
	case_touch_size("pf_first_touch", false,
			quick ? BENCH_SHADOW_TOUCH_SIZE / 8 :
			BENCH_SHADOW_TOUCH_SIZE);
	printf("# %s: cr3_switch\n", driver);
	case_cr3_switch("cr3_switch", quick ? 200 : 2000);
	close(sys_fd);
	printf("# %s: done\n", driver);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "run"))
		return cmd_run(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "irq"))
		return cmd_irq(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "shadow"))
		return cmd_shadow(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "linux"))
		return cmd_linux(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "report"))
		return cmd_report(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "trace"))
		return cmd_trace(argc, argv);
	fprintf(stderr,
		"usage: %s run --device PATH --driver NAME [--pass N] [--rounds N] [--quick]\n"
		"       %s irq --device PATH --driver LABEL [--pass N] [--rounds N] [--quick]\n"
		"       %s shadow --device PATH --driver LABEL [--pass N] [--rounds N] [--quick]\n"
		"       %s linux --log FILE [--timeout S] -- VMM ARGS...\n"
		"       %s report FILE...\n"
		"       %s trace --device PATH\n", argv[0], argv[0], argv[0],
		argv[0], argv[0], argv[0]);
	return 2;
}
