// SPDX-License-Identifier: GPL-2.0
/*
 * The control-plane commands, over vtx's generic-netlink family
 * (Documentation/vtx/netlink.rst):
 *
 *   list [--json]                 VTX_CMD_VM_GET dump
 *   stats VM [--json] | --reset   VTX_CMD_STATS_GET / VTX_CMD_STATS_RESET
 *   top [--interval S] [--once] [--count N]
 *                                 VM_GET dump + STATS_GET per VM, as rates
 *   events [--count N] [--timeout S]
 *                                 the "events" multicast group
 *
 * Exit status: 0, ST_USAGE, ST_NETLINK (kernel or socket error, printed
 * with the extended-ACK message), ST_TIMEOUT (events: --timeout expired).
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "ctl.h"
#include "genl.h"

#define MAX_REASONS	128

struct vm_info {
	uint32_t id, pid, nr_vcpus;
	uint64_t mem;
	char comm[32];
};

struct vcpu_info {
	uint32_t id;
	uint64_t exits, user_exits, guest_tsc, host_tsc;
	uint64_t reason[MAX_REASONS];
	uint64_t lat[VTX_LAT_BUCKETS];
};

struct vm_stats {
	struct vm_info vm;
	unsigned int nr;
	struct vcpu_info *vcpus;
};

struct vm_list {
	unsigned int nr;
	struct vm_info *vms;
};

static volatile sig_atomic_t ctl_stop;

static void on_ctl_signal(int sig)
{
	(void)sig;
	ctl_stop = 1;
}

static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_ctl_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static uint64_t attr_u64(struct nlattr *a)
{
	return nla_len(a) >= 8 ? nla_get_u64(a) : nla_len(a) >= 4 ? nla_get_u32(a) : 0;
}

static uint32_t attr_u32(struct nlattr *a)
{
	return nla_len(a) >= 4 ? nla_get_u32(a) : 0;
}

/* Top-level VM attributes into @vm; returns whether it saw VTX_A_VM_ID. */
static bool parse_vm_attr(struct nlattr *a, struct vm_info *vm, bool *seen)
{
	switch (nla_type(a)) {
	case VTX_A_VM_ID:
		vm->id = attr_u32(a);
		*seen = true;
		return true;
	case VTX_A_VM_PID:
		vm->pid = attr_u32(a);
		return true;
	case VTX_A_VM_COMM:
		snprintf(vm->comm, sizeof(vm->comm), "%.*s", nla_len(a),
			 (const char *)nla_data(a));
		vm->comm[strcspn(vm->comm, "\n")] = 0;
		return true;
	case VTX_A_VM_NR_VCPUS:
		vm->nr_vcpus = attr_u32(a);
		return true;
	case VTX_A_VM_MEM_BYTES:
		vm->mem = attr_u64(a);
		return true;
	}
	return false;
}

static int list_reply(struct genlmsghdr *gh, struct nlattr *attrs, int len, void *arg)
{
	struct vm_list *l = arg;
	struct vm_info vm, *n;
	struct nlattr *a;
	bool seen = false;
	int rem;

	(void)gh;
	memset(&vm, 0, sizeof(vm));
	nla_for_each_attr(a, attrs, len, rem)
		parse_vm_attr(a, &vm, &seen);
	if (!seen)
		return 0;
	n = realloc(l->vms, (l->nr + 1) * sizeof(*n));
	if (!n)
		return -1;
	l->vms = n;
	l->vms[l->nr++] = vm;
	return 0;
}

static void parse_vcpu(struct nlattr *nest, struct vcpu_info *v)
{
	struct nlattr *a, *b;
	int rem, rem2;

	nla_for_each_nested(a, nest, rem) {
		switch (nla_type(a)) {
		case VTX_VCPU_A_ID:
			v->id = attr_u32(a);
			break;
		case VTX_VCPU_A_EXITS:
			v->exits = attr_u64(a);
			break;
		case VTX_VCPU_A_USER_EXITS:
			v->user_exits = attr_u64(a);
			break;
		case VTX_VCPU_A_GUEST_TSC:
			v->guest_tsc = attr_u64(a);
			break;
		case VTX_VCPU_A_HOST_TSC:
			v->host_tsc = attr_u64(a);
			break;
		case VTX_VCPU_A_LATENCY: {
			size_t n = nla_len(a);

			if (n > sizeof(v->lat))
				n = sizeof(v->lat);
			memcpy(v->lat, nla_data(a), n);
			break;
		}
		case VTX_VCPU_A_EXIT_REASON: {
			uint32_t reason = UINT32_MAX;
			uint64_t count = 0;

			nla_for_each_nested(b, a, rem2) {
				if (nla_type(b) == VTX_EXIT_A_REASON)
					reason = attr_u32(b);
				else if (nla_type(b) == VTX_EXIT_A_COUNT)
					count = attr_u64(b);
			}
			if (reason < MAX_REASONS)
				v->reason[reason] += count;
			break;
		}
		}
	}
}

static int stats_reply(struct genlmsghdr *gh, struct nlattr *attrs, int len, void *arg)
{
	struct vm_stats *s = arg;
	struct nlattr *a;
	bool seen = false;
	int rem;

	(void)gh;
	nla_for_each_attr(a, attrs, len, rem) {
		struct vcpu_info *n;

		if (parse_vm_attr(a, &s->vm, &seen) || nla_type(a) != VTX_A_VCPU)
			continue;
		n = realloc(s->vcpus, (s->nr + 1) * sizeof(*n));
		if (!n)
			return -1;
		s->vcpus = n;
		memset(&s->vcpus[s->nr], 0, sizeof(*n));
		parse_vcpu(a, &s->vcpus[s->nr]);
		s->nr++;
	}
	return 0;
}

static int vm_list_get(struct genl_ctx *c, struct vm_list *l)
{
	memset(l, 0, sizeof(*l));
	return genl_request(c, VTX_CMD_VM_GET, NLM_F_DUMP, NULL, list_reply, l);
}

static int vm_stats_get(struct genl_ctx *c, uint32_t id, struct vm_stats *s)
{
	memset(s, 0, sizeof(*s));
	return genl_request(c, VTX_CMD_STATS_GET, 0, &id, stats_reply, s);
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = *s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void human_size(uint64_t bytes, char *buf, size_t len)
{
	if (bytes >= GiB && !(bytes % GiB))
		snprintf(buf, len, "%lluG", (unsigned long long)(bytes / GiB));
	else if (bytes >= MiB && !(bytes % MiB))
		snprintf(buf, len, "%lluM", (unsigned long long)(bytes / MiB));
	else if (bytes >= KiB && !(bytes % KiB))
		snprintf(buf, len, "%lluK", (unsigned long long)(bytes / KiB));
	else
		snprintf(buf, len, "%llu", (unsigned long long)bytes);
}

static int parse_vm_id(const char *s, uint32_t *id)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > UINT32_MAX)
		return -1;
	*id = v;
	return 0;
}

/* ---- list ---- */

static int cmp_vm(const void *a, const void *b)
{
	const struct vm_info *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

int cmd_list(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct genl_ctx c;
	struct vm_list l;
	bool json = false;
	unsigned int i;
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = true;
			break;
		case 'h':
			printf("Usage: vtxctl list [--json]\n\n"
			       "One line per VM of vtx: its id, the pid and command name of the process\n"
			       "that created it, its vCPUs and the memory in its memslots.\n");
			return 0;
		default:
			fprintf(stderr, "Try 'vtxctl list --help'.\n");
			return ST_USAGE;
		}
	}
	if (optind != argc)
		return usage_error("list takes no arguments");
	if (genl_open(&c, "list"))
		return ST_NETLINK;
	if (vm_list_get(&c, &l)) {
		genl_close(&c);
		return ST_NETLINK;
	}
	genl_close(&c);
	qsort(l.vms, l.nr, sizeof(*l.vms), cmp_vm);

	if (json) {
		printf("[");
		for (i = 0; i < l.nr; i++) {
			printf("%s\n  {\"id\": %u, \"pid\": %u, \"comm\": ", i ? "," : "",
			       l.vms[i].id, l.vms[i].pid);
			json_string(stdout, l.vms[i].comm);
			printf(", \"vcpus\": %u, \"mem_bytes\": %llu}", l.vms[i].nr_vcpus,
			       (unsigned long long)l.vms[i].mem);
		}
		printf("%s]\n", l.nr ? "\n" : "");
	} else {
		printf("%6s %8s %-16s %5s %8s\n", "ID", "PID", "COMM", "VCPUS", "MEMORY");
		for (i = 0; i < l.nr; i++) {
			char mem[32];

			human_size(l.vms[i].mem, mem, sizeof(mem));
			printf("%6u %8u %-16s %5u %8s\n", l.vms[i].id, l.vms[i].pid,
			       l.vms[i].comm, l.vms[i].nr_vcpus, mem);
		}
	}
	free(l.vms);
	return ST_OK;
}

/* ---- stats ---- */

static void print_stats_json(const struct vm_stats *s)
{
	unsigned int i, r, b;

	printf("{\n  \"vm\": {\"id\": %u, \"pid\": %u, \"comm\": ", s->vm.id, s->vm.pid);
	json_string(stdout, s->vm.comm);
	printf(", \"vcpus\": %u, \"mem_bytes\": %llu},\n  \"vcpus\": [",
	       s->vm.nr_vcpus, (unsigned long long)s->vm.mem);
	for (i = 0; i < s->nr; i++) {
		const struct vcpu_info *v = &s->vcpus[i];
		const char *sep = "";

		printf("%s\n    {\n", i ? "," : "");
		printf("      \"id\": %u,\n", v->id);
		printf("      \"exits\": %llu,\n", (unsigned long long)v->exits);
		printf("      \"user_exits\": %llu,\n", (unsigned long long)v->user_exits);
		printf("      \"guest_tsc\": %llu,\n", (unsigned long long)v->guest_tsc);
		printf("      \"host_tsc\": %llu,\n", (unsigned long long)v->host_tsc);
		printf("      \"exit_reasons\": [");
		for (r = 0; r < MAX_REASONS; r++) {
			if (!v->reason[r])
				continue;
			printf("%s\n        {\"reason\": %u, \"name\": \"%s\", \"count\": %llu}",
			       sep, r, vmx_exit_name(r), (unsigned long long)v->reason[r]);
			sep = ",";
		}
		printf("%s],\n", *sep ? "\n      " : "");
		printf("      \"latency_log2\": [");
		for (b = 0; b < VTX_LAT_BUCKETS; b++)
			printf("%s%llu", b ? ", " : "", (unsigned long long)v->lat[b]);
		printf("]\n    }");
	}
	printf("%s]\n}\n", s->nr ? "\n  " : "");
}

static void bucket_label(unsigned int b, char *buf, size_t len)
{
	char lo[16], hi[16];
	uint64_t l = b ? 1ULL << b : 0, h = 1ULL << (b + 1);

	snprintf(lo, sizeof(lo), l >= (1 << 20) ? "%lluM" : l >= 1024 ? "%lluK" : "%llu",
		 (unsigned long long)(l >= (1 << 20) ? l >> 20 : l >= 1024 ? l >> 10 : l));
	snprintf(hi, sizeof(hi), h >= (1 << 20) ? "%lluM" : h >= 1024 ? "%lluK" : "%llu",
		 (unsigned long long)(h >= (1 << 20) ? h >> 20 : h >= 1024 ? h >> 10 : h));
	if (b == VTX_LAT_BUCKETS - 1)
		snprintf(buf, len, ">= %s", lo);
	else
		snprintf(buf, len, "%s-%s", lo, hi);
}

static void print_stats_text(const struct vm_stats *s)
{
	unsigned int i, r, b;
	char mem[32];

	human_size(s->vm.mem, mem, sizeof(mem));
	printf("VM %u: pid %u, comm %s, %u vCPU%s, memory %s\n", s->vm.id, s->vm.pid,
	       s->vm.comm, s->vm.nr_vcpus, s->vm.nr_vcpus == 1 ? "" : "s", mem);
	for (i = 0; i < s->nr; i++) {
		const struct vcpu_info *v = &s->vcpus[i];
		uint64_t max = 0, total = 0;

		printf("\nvCPU %u: %llu exits, %llu to userspace\n", v->id,
		       (unsigned long long)v->exits, (unsigned long long)v->user_exits);
		printf("  guest TSC %llu cycles, host TSC %llu cycles (exits handled in the kernel)\n",
		       (unsigned long long)v->guest_tsc, (unsigned long long)v->host_tsc);
		printf("  %6s  %-24s %12s\n", "REASON", "NAME", "COUNT");
		for (r = 0; r < MAX_REASONS; r++)
			if (v->reason[r])
				printf("  %6u  %-24s %12llu\n", r, vmx_exit_name(r),
				       (unsigned long long)v->reason[r]);
		for (b = 0; b < VTX_LAT_BUCKETS; b++) {
			total += v->lat[b];
			if (v->lat[b] > max)
				max = v->lat[b];
		}
		if (!total)
			continue;
		printf("  kernel exit-handling latency (TSC cycles, log2 buckets):\n");
		for (b = 0; b < VTX_LAT_BUCKETS; b++) {
			char label[32], bar[41];
			unsigned int w;

			if (!v->lat[b])
				continue;
			bucket_label(b, label, sizeof(label));
			w = (unsigned int)((v->lat[b] * 40 + max - 1) / max);
			memset(bar, '#', w);
			bar[w] = 0;
			printf("  %13s %10llu %s\n", label, (unsigned long long)v->lat[b], bar);
		}
	}
}

int cmd_stats(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "reset", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false, reset = false;
	struct vm_stats s;
	struct genl_ctx c;
	uint32_t id;
	int ch, r;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "jrh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = true;
			break;
		case 'r':
			reset = true;
			break;
		case 'h':
			printf("Usage: vtxctl stats VM [--json]\n"
			       "       vtxctl stats VM --reset\n\n"
			       "Exit statistics of the vtx VM with id VM (see 'vtxctl list'), per vCPU:\n"
			       "VM exits, exits to userspace, the count of each basic exit reason (Intel\n"
			       "SDM numbering; 75 counts 75 and above), TSC cycles in the guest and in\n"
			       "the kernel's exit handling, and the log2 histogram of that latency.\n"
			       "--reset starts them again from zero (needs CAP_NET_ADMIN).\n");
			return 0;
		default:
			fprintf(stderr, "Try 'vtxctl stats --help'.\n");
			return ST_USAGE;
		}
	}
	if (optind != argc - 1)
		return usage_error("stats needs one VM id");
	if (parse_vm_id(argv[optind], &id))
		return usage_error("bad VM id '%s' (a number from 'vtxctl list')", argv[optind]);
	if (reset && json)
		return usage_error("--reset and --json do not go together");

	if (genl_open(&c, reset ? "stats --reset" : "stats"))
		return ST_NETLINK;
	if (reset) {
		r = genl_request(&c, VTX_CMD_STATS_RESET, 0, &id, NULL, NULL);
		genl_close(&c);
		if (r)
			return ST_NETLINK;
		printf("VM %u: statistics reset\n", id);
		return ST_OK;
	}
	r = vm_stats_get(&c, id, &s);
	genl_close(&c);
	if (r) {
		free(s.vcpus);
		return ST_NETLINK;
	}
	if (json)
		print_stats_json(&s);
	else
		print_stats_text(&s);
	free(s.vcpus);
	return ST_OK;
}

/* ---- top ---- */

struct top_sample {
	struct vm_info vm;
	uint64_t exits, user_exits;
	uint64_t reason[MAX_REASONS];
	bool gone;
};

struct top_set {
	unsigned int nr;
	struct top_sample *s;
	double t;
};

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int top_take(struct genl_ctx *c, struct top_set *set)
{
	struct vm_list l;
	unsigned int i, j, r;

	memset(set, 0, sizeof(*set));
	if (vm_list_get(c, &l))
		return -1;
	set->t = mono();
	set->s = calloc(l.nr ? l.nr : 1, sizeof(*set->s));
	if (!set->s) {
		free(l.vms);
		return -1;
	}
	qsort(l.vms, l.nr, sizeof(*l.vms), cmp_vm);
	c->quiet_errors = true;		/* a VM may go away between the two */
	for (i = 0; i < l.nr; i++) {
		struct top_sample *t = &set->s[set->nr];
		struct vm_stats st;

		if (vm_stats_get(c, l.vms[i].id, &st)) {
			free(st.vcpus);
			if (c->err == -ENOENT)
				continue;
			genl_print_error(c);
			c->quiet_errors = false;
			free(l.vms);
			return -1;
		}
		t->vm = st.vm;
		for (j = 0; j < st.nr; j++) {
			t->exits += st.vcpus[j].exits;
			t->user_exits += st.vcpus[j].user_exits;
			for (r = 0; r < MAX_REASONS; r++)
				t->reason[r] += st.vcpus[j].reason[r];
		}
		free(st.vcpus);
		set->nr++;
	}
	c->quiet_errors = false;
	free(l.vms);
	return 0;
}

static const struct top_sample *top_find(const struct top_set *set, const struct vm_info *vm)
{
	unsigned int i;

	for (i = 0; i < set->nr; i++)
		if (set->s[i].vm.id == vm->id && set->s[i].vm.pid == vm->pid)
			return &set->s[i];
	return NULL;
}

static uint64_t delta(uint64_t now, uint64_t before)
{
	return now >= before ? now - before : now;	/* a reset in between */
}

static void top_print(const struct top_set *prev, const struct top_set *cur, bool clear)
{
	double dt = cur->t - prev->t;
	char when[32];
	time_t t = time(NULL);
	unsigned int i, r, k;

	if (dt <= 0)
		dt = 1e-9;
	strftime(when, sizeof(when), "%H:%M:%S", localtime(&t));
	if (clear)
		printf("\033[H\033[2J");
	printf("vtxctl top - %s, %.1f s interval, %u VM%s\n", when, dt, cur->nr,
	       cur->nr == 1 ? "" : "s");
	printf("%6s %8s %-16s %5s %10s %10s  %s\n", "ID", "PID", "COMM", "VCPUS",
	       "EXITS/s", "USER/s", "TOP EXIT REASONS (/s)");
	for (i = 0; i < cur->nr; i++) {
		const struct top_sample *c = &cur->s[i];
		const struct top_sample *p = top_find(prev, &c->vm);
		uint64_t d[MAX_REASONS];
		bool used[MAX_REASONS] = { false };
		const char *sep = "";

		for (r = 0; r < MAX_REASONS; r++)
			d[r] = delta(c->reason[r], p ? p->reason[r] : 0);
		printf("%6u %8u %-16s %5u %10.0f %10.0f  ", c->vm.id, c->vm.pid, c->vm.comm,
		       c->vm.nr_vcpus, delta(c->exits, p ? p->exits : 0) / dt,
		       delta(c->user_exits, p ? p->user_exits : 0) / dt);
		for (k = 0; k < 3; k++) {
			unsigned int best = MAX_REASONS;

			for (r = 0; r < MAX_REASONS; r++)
				if (d[r] && !used[r] && (best == MAX_REASONS || d[r] > d[best]))
					best = r;
			if (best == MAX_REASONS)
				break;
			used[best] = true;
			printf("%s%s %.0f", sep, vmx_exit_name(best), d[best] / dt);
			sep = ", ";
		}
		printf("%s\n", *sep ? "" : "-");
	}
	fflush(stdout);
}

int cmd_top(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "once", no_argument, NULL, 'o' },
		{ "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct top_set prev, cur;
	double interval = 1.0;
	unsigned long count = 0, done = 0;
	bool clear;
	struct genl_ctx c;
	int ch, status = ST_OK;
	char *end;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "i:on:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'i':
			interval = strtod(optarg, &end);
			if (*end || end == optarg || !(interval >= 0.01 && interval <= 3600))
				return usage_error("bad interval '%s' (0.01 to 3600 seconds)", optarg);
			break;
		case 'o':
			count = 1;
			break;
		case 'n':
			count = strtoul(optarg, &end, 10);
			if (*end || end == optarg || !count || *optarg == '-')
				return usage_error("bad count '%s'", optarg);
			break;
		case 'h':
			printf("Usage: vtxctl top [--interval SECONDS] [--once | --count N]\n\n"
			       "Every SECONDS (default 1), the VM exits per second of each vtx VM, the\n"
			       "exits to userspace per second and the three most frequent exit reasons.\n"
			       "--once prints one report (two samples an interval apart) and exits;\n"
			       "--count N prints N. Without them it runs until interrupted, redrawing\n"
			       "the screen when stdout is a terminal.\n");
			return 0;
		default:
			fprintf(stderr, "Try 'vtxctl top --help'.\n");
			return ST_USAGE;
		}
	}
	if (optind != argc)
		return usage_error("top takes no arguments");
	clear = isatty(STDOUT_FILENO) && count != 1;
	catch_signals();
	if (genl_open(&c, "top"))
		return ST_NETLINK;
	if (top_take(&c, &prev)) {
		genl_close(&c);
		return ST_NETLINK;
	}
	while (!ctl_stop && (!count || done < count)) {
		struct timespec ts = {
			.tv_sec = (time_t)interval,
			.tv_nsec = (long)((interval - (time_t)interval) * 1e9),
		};

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !ctl_stop)
			;
		if (ctl_stop)
			break;
		if (top_take(&c, &cur)) {
			status = ST_NETLINK;
			break;
		}
		top_print(&prev, &cur, clear);
		free(prev.s);
		prev = cur;
		done++;
	}
	free(prev.s);
	genl_close(&c);
	return status;
}

/* ---- events ---- */

static const char *event_name(uint32_t ev)
{
	switch (ev) {
	case VTX_EVENT_VM_CREATE:
		return "vm-create";
	case VTX_EVENT_VM_DESTROY:
		return "vm-destroy";
	case VTX_EVENT_VCPU_SHUTDOWN:
		return "vcpu-shutdown";
	case VTX_EVENT_VCPU_FAIL_ENTRY:
		return "vcpu-fail-entry";
	case VTX_EVENT_VCPU_INTERNAL_ERROR:
		return "vcpu-internal-error";
	}
	return "unknown";
}

/* Events carry sequence number 0: accept them whatever ours is. */
static int no_seq_check(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

struct event_state {
	unsigned long seen;
	bool timestamps;
};

static int event_msg(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct event_state *es = arg;
	struct genlmsghdr *gh;
	struct nlattr *a;
	uint32_t ev = 0, vm = 0, pid = 0, vcpu = 0, reason = 0;
	bool have_vcpu = false;
	int rem;

	if (!genlmsg_valid_hdr(nlh, 0))
		return NL_SKIP;
	gh = nlmsg_data(nlh);
	if (gh->cmd != VTX_CMD_EVENT)
		return NL_SKIP;
	nla_for_each_attr(a, genlmsg_attrdata(gh, 0), genlmsg_attrlen(gh, 0), rem) {
		switch (nla_type(a)) {
		case VTX_A_EVENT:
			ev = attr_u32(a);
			break;
		case VTX_A_VM_ID:
			vm = attr_u32(a);
			break;
		case VTX_A_VM_PID:
			pid = attr_u32(a);
			break;
		case VTX_A_EVENT_VCPU:
			vcpu = attr_u32(a);
			have_vcpu = true;
			break;
		case VTX_A_EVENT_REASON:
			reason = attr_u32(a);
			break;
		}
	}
	if (es->timestamps) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		printf("%lld.%06ld ", (long long)ts.tv_sec, ts.tv_nsec / 1000);
	}
	printf("%s vm=%u pid=%u", event_name(ev), vm, pid);
	if (have_vcpu)
		printf(" vcpu=%u reason=0x%x", vcpu, reason);
	printf("\n");
	fflush(stdout);
	es->seen++;
	return NL_OK;
}

int cmd_events(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "timestamps", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct event_state es = { 0 };
	unsigned long count = 0;
	uint64_t timeout = 0;
	double deadline = 0;
	struct genl_ctx c;
	struct nl_cb *cb;
	int ch, status = ST_OK;
	char *end;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "n:t:Th", longopts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			count = strtoul(optarg, &end, 10);
			if (*end || end == optarg || !count || *optarg == '-')
				return usage_error("bad count '%s'", optarg);
			break;
		case 't':
			if (parse_size(optarg, &timeout) || !timeout || timeout > 86400 * 365)
				return usage_error("bad timeout '%s'", optarg);
			break;
		case 'T':
			es.timestamps = true;
			break;
		case 'h':
			printf("Usage: vtxctl events [--count N] [--timeout SECONDS] [--timestamps]\n\n"
			       "Joins the \"events\" multicast group of the vtx family and prints one line\n"
			       "per event:\n"
			       "  vm-create vm=ID pid=PID          KVM_CREATE_VM succeeded\n"
			       "  vm-destroy vm=ID pid=PID         the VM's last reference went\n"
			       "  vcpu-shutdown vm=ID pid=PID vcpu=N reason=0x0   triple fault\n"
			       "  vcpu-fail-entry ... reason=R     failed VM entry, hardware reason\n"
			       "  vcpu-internal-error ... reason=S KVM_EXIT_INTERNAL_ERROR, suberror\n"
			       "\"listening\" goes to stderr once subscribed.  Stops after N events, at\n"
			       "the timeout (status 16) or on SIGINT/SIGTERM (status 0).\n");
			return 0;
		default:
			fprintf(stderr, "Try 'vtxctl events --help'.\n");
			return ST_USAGE;
		}
	}
	if (optind != argc)
		return usage_error("events takes no arguments");
	catch_signals();
	if (genl_open(&c, "events"))
		return ST_NETLINK;
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb || genl_subscribe(&c, VTX_GENL_MCGRP_EVENTS)) {
		nl_cb_put(cb);
		genl_close(&c);
		return ST_NETLINK;
	}
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, no_seq_check, NULL);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, event_msg, &es);
	fprintf(stderr, "vtxctl: listening for vtx events\n");
	if (timeout)
		deadline = mono() + timeout;

	while (!ctl_stop && (!count || es.seen < count)) {
		struct pollfd pfd = { .fd = nl_socket_get_fd(c.sk), .events = POLLIN };
		int ms = -1, r;

		if (deadline) {
			double left = deadline - mono();

			if (left <= 0) {
				fprintf(stderr, "vtxctl: events: timeout after %llu s, %lu event%s seen\n",
					(unsigned long long)timeout, es.seen, es.seen == 1 ? "" : "s");
				status = ST_TIMEOUT;
				break;
			}
			ms = (int)(left * 1000) + 1;
		}
		r = poll(&pfd, 1, ms);
		if (r < 0 && errno != EINTR) {
			perror("vtxctl: events: poll");
			status = ST_NETLINK;
			break;
		}
		if (r <= 0)
			continue;
		r = nl_recvmsgs(c.sk, cb);
		if (r < 0 && r != -NLE_INTR && r != -NLE_AGAIN) {
			fprintf(stderr, "vtxctl: events: receive: %s\n", nl_geterror(r));
			status = ST_NETLINK;
			break;
		}
	}
	nl_cb_put(cb);
	genl_close(&c);
	return status;
}
