// SPDX-License-Identifier: GPL-2.0
/*
 * vtxctl - run a guest image on /dev/vtx (or any KVM-API device, e.g. /dev/kvm).
 *
 *   vtxctl run IMAGE [--device PATH] [--mode real|long] [--load-addr ADDR]
 *                    [--mem SIZE] [--timeout SECONDS] [--quiet]
 *   vtxctl --help
 *
 * "run" creates a VM with one vCPU and RAM at guest-physical 0, copies the
 * flat binary IMAGE to the load address and starts it there, in real mode
 * (CS:IP = 0:ADDR) or in 64-bit long mode (identity-mapped paging, see
 * boot.c).  Port I/O reaches userspace devices: a 16550-style UART at 0x3f8
 * whose output goes to stdout and an exit port at 0xf4 with QEMU
 * isa-debug-exit semantics.  Statistics go to stderr at the end.
 *
 * Exit status (see enum vtx_status): odd = the guest wrote v to port 0xf4
 * and the status is (v << 1) | 1; even = vtxctl's own: 0 guest halted,
 * 2 usage, 4 setup failed, 6 shutdown, 8 failed VM entry, 10 internal error,
 * 12 unhandled exit, 14 KVM_RUN failed, 16 timeout, 130 SIGINT/SIGTERM.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vtxctl.h"

#define DEFAULT_DEVICE		"/dev/vtx"
#define DEFAULT_MEM		(16 * MiB)
#define DEFAULT_LOAD_REAL	0x1000ULL
#define DEFAULT_LOAD_LONG	0x100000ULL
#define MIN_MEM			(64 * KiB)
#define MAX_MEM			(64 * GiB)

#define UART_BASE	0x3f8
#define EXIT_PORT	0xf4

static const char usage_text[] =
"Usage: vtxctl run IMAGE [OPTIONS]\n"
"       vtxctl --help\n"
"\n"
"Run a flat binary guest on one vCPU through the KVM API of /dev/vtx.\n"
"\n"
"Options for run:\n"
"  -d, --device PATH      KVM-API device to use (default " DEFAULT_DEVICE "; /dev/kvm works too)\n"
"  -m, --mode MODE        real: 16-bit real mode, CS:IP = 0:ADDR, SS:SP = 0:ADDR (default)\n"
"                         long: 64-bit mode, paging identity-maps max(1 GiB, RAM) with\n"
"                               2 MiB pages, RIP = ADDR, RSP = top of RAM; vtxctl uses\n"
"                               guest RAM 0x8000-0xbfff (+4 KiB per GiB above 1) for\n"
"                               the GDT, TSS and page tables\n"
"  -a, --load-addr ADDR   where IMAGE is copied and starts (default 0x1000 for real,\n"
"                         0x100000 for long)\n"
"  -M, --mem SIZE         guest RAM at guest-physical 0, with an optional K, M or G suffix\n"
"                         (default 16M)\n"
"  -t, --timeout SECONDS  stop the guest after SECONDS of wall time (default: none)\n"
"  -q, --quiet            do not print the exit statistics\n"
"  -h, --help             show this help\n"
"\n"
"Guest devices (port I/O):\n"
"  0x3f8-0x3ff  16550-style UART: THR writes go to stdout, LSR reads 0x60 (THRE|TEMT)\n"
"  0xf4         exit port (QEMU isa-debug-exit): writing V ends the run, status (V<<1)|1\n"
"  other ports  reads return all ones, writes are ignored\n"
"\n"
"At the end, unless --quiet, stderr gets the stop reason, the number of KVM_RUN calls,\n"
"the exits seen in userspace by reason, the UART output bytes and the wall time.\n"
"\n"
"Exit status:\n"
"  odd       the guest wrote V to port 0xf4: status (V << 1) | 1; by the kvm-unit-tests\n"
"            convention 1 (V = 0) means the guest passed\n"
"  0         the guest executed HLT\n"
"  2         usage error              4  setup failed (device, VM, RAM, image, vCPU)\n"
"  6         KVM_EXIT_SHUTDOWN        8  KVM_EXIT_FAIL_ENTRY\n"
"  10        KVM_EXIT_INTERNAL_ERROR  12 an exit reason vtxctl does not handle\n"
"  14        KVM_RUN failed           16 --timeout expired\n"
"  130       interrupted (SIGINT, SIGTERM)\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "vtxctl: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'vtxctl --help'.\n");
	return ST_USAGE;
}

/* A number in C syntax (0x.., 0.., decimal), optionally followed by K, M or G. */
static int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *s == '-')
		return -1;
	switch (*end) {
	case 'k': case 'K':
		shift = 10;
		end++;
		break;
	case 'm': case 'M':
		shift = 20;
		end++;
		break;
	case 'g': case 'G':
		shift = 30;
		end++;
		break;
	}
	if (*end == 'i' && shift && end[1] == 'B')
		end += 2;
	if (*end || (shift && v > (~0ULL >> shift)))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

static int cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "device",	required_argument,	NULL, 'd' },
		{ "mode",	required_argument,	NULL, 'm' },
		{ "load-addr",	required_argument,	NULL, 'a' },
		{ "mem",	required_argument,	NULL, 'M' },
		{ "timeout",	required_argument,	NULL, 't' },
		{ "quiet",	no_argument,		NULL, 'q' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *device = DEFAULT_DEVICE, *image;
	struct run_options opts = { 0 };
	enum boot_mode mode = MODE_REAL;
	uint64_t mem = DEFAULT_MEM, load_addr = 0, timeout;
	bool have_load_addr = false, quiet = false;
	struct load_info info;
	char stop_text[512];
	struct vcpu vcpu;
	struct vm vm;
	int c, status;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:m:a:M:t:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			device = optarg;
			break;
		case 'm':
			if (!strcmp(optarg, "real"))
				mode = MODE_REAL;
			else if (!strcmp(optarg, "long"))
				mode = MODE_LONG;
			else
				return usage_error("unknown mode '%s' (real or long)", optarg);
			break;
		case 'a':
			if (parse_size(optarg, &load_addr))
				return usage_error("bad load address '%s'", optarg);
			have_load_addr = true;
			break;
		case 'M':
			if (parse_size(optarg, &mem))
				return usage_error("bad memory size '%s'", optarg);
			break;
		case 't':
			if (parse_size(optarg, &timeout) || timeout > 86400 * 365)
				return usage_error("bad timeout '%s'", optarg);
			opts.timeout = timeout;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "Try 'vtxctl --help'.\n");
			return ST_USAGE;
		}
	}
	if (optind != argc - 1)
		return usage_error("%s", optind >= argc ? "run needs one IMAGE" :
				   "run takes exactly one IMAGE");
	image = argv[optind];

	if (mem < MIN_MEM || mem > MAX_MEM || mem % (4 * KiB))
		return usage_error("%s", "--mem must be a multiple of 4K from 64K to 64G");
	if (!have_load_addr)
		load_addr = mode == MODE_LONG ? DEFAULT_LOAD_LONG : DEFAULT_LOAD_REAL;

	if (vm_open(&vm, device))
		goto fail_vm;
	if (vm_add_ram(&vm, 0, mem))
		goto fail_vm;
	if (uart_init(UART_BASE) || exitport_init(EXIT_PORT))
		goto fail_vm;

	if (load_flat(&vm, image, load_addr, &info))
		goto fail_vm;
	if (boot_area_overlaps(&vm, mode, info.start, info.end)) {
		fprintf(stderr, "vtxctl: image at 0x%llx-0x%llx overlaps the long-mode boot area at 0x8000; use another --load-addr\n",
			(unsigned long long)info.start, (unsigned long long)info.end);
		goto fail_vm;
	}

	if (vcpu_create(&vm, &vcpu, 0))
		goto fail_vm;
	if (vm_setup_cpuid(&vm, &vcpu))
		fprintf(stderr, "vtxctl: warning: guest CPUID left at the driver's default\n");
	if (boot_setup(&vcpu, mode, info.entry))
		goto fail_vcpu;

	status = vcpu_run_loop(&vcpu, &opts, stop_text, sizeof(stop_text));
	if (!quiet)
		stats_print(stop_text, status);

	vcpu_destroy(&vcpu);
	vm_close(&vm);
	return status;

fail_vcpu:
	vcpu_destroy(&vcpu);
fail_vm:
	vm_close(&vm);
	return ST_SETUP;
}

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "run", cmd_run },
};

int main(int argc, char **argv)
{
	unsigned int i;

	/* Guest UART output is line buffered, even into a file or pipe. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (argc < 2) {
		usage(stderr);
		return ST_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		if (!strcmp(argv[1], commands[i].name)) {
			static char prog[64];

			/* getopt names argv[0] in its messages: "vtxctl run: ..." */
			snprintf(prog, sizeof(prog), "vtxctl %s", commands[i].name);
			argv[1] = prog;
			return commands[i].fn(argc - 1, argv + 1);
		}
	}

	return usage_error("unknown command '%s'", argv[1]);
}
