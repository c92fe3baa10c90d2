// SPDX-License-Identifier: GPL-2.0
/*
 * vtxctl - run a guest image on /dev/vtx (or any KVM-API device, e.g.
 * /dev/kvm), and observe vtx's VMs through its generic-netlink family.
 *
 *   vtxctl run IMAGE [OPTIONS]      (vtxctl run --help; vmm/cmd_run.c)
 *   vtxctl list | stats | top | events ...    (ctl/ctl.c)
 *   vtxctl --help
 *
 * This file: the general help, the dispatch to the sub-commands, and the
 * helpers every command uses (usage errors, sizes).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "vtxctl.h"

static const char usage_text[] =
"Usage: vtxctl COMMAND [ARGS]\n"
"\n"
"Commands:\n"
"  run IMAGE [OPTIONS]      run a guest on /dev/vtx (or any KVM-API device)\n"
"  list [--json]            the VMs vtx has now: id, pid, command, vCPUs, memory\n"
"  stats VM [--json]        per-vCPU exit statistics of VM (an id from list)\n"
"  stats VM --reset         start VM's statistics again from zero (CAP_NET_ADMIN)\n"
"  top [--interval S] [--once] [--count N]\n"
"                           exit rates of every VM, refreshed\n"
"  events [--count N] [--timeout S]\n"
"                           print vtx's VM events (create, destroy, shutdown,\n"
"                           failed entry, internal error) as they happen\n"
"  help                     this text\n"
"\n"
"'vtxctl COMMAND --help' describes each.  list, stats, top and events use vtx's\n"
"generic-netlink family \"vtx\" (vtx only, not /dev/kvm).\n"
"\n"
"Exit status of run:\n"
"  odd       the guest wrote V to port 0xf4: status (V << 1) | 1; by the\n"
"            kvm-unit-tests convention 1 (V = 0) means the guest passed\n"
"  0         every running vCPU executed HLT\n"
"  2         usage error              4  setup failed (device, VM, RAM, image, vCPU)\n"
"  6         KVM_EXIT_SHUTDOWN        8  KVM_EXIT_FAIL_ENTRY\n"
"  10        KVM_EXIT_INTERNAL_ERROR  12 an exit reason vtxctl does not handle\n"
"  14        KVM_RUN failed           16 --timeout expired\n"
"  18        unclaimed MMIO access with --strict-mmio\n"
"  130       interrupted (SIGINT, SIGTERM)\n"
"Exit status of list, stats, top, events: 0 done, 2 usage error, 20 netlink\n"
"or kernel error (the kernel's extended-ACK message is printed).\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vtxctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'vtxctl --help'.\n");
	return ST_USAGE;
}

/* A number in C syntax (0x.., 0.., decimal), optionally followed by K, M or G. */
int parse_size(const char *s, uint64_t *out)
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

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "run", cmd_run },
	{ "list", cmd_list },
	{ "stats", cmd_stats },
	{ "top", cmd_top },
	{ "events", cmd_events },
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
