// SPDX-License-Identifier: GPL-2.0
/*
 * bench linux --log FILE --timeout S -- VMM ARGS...: one boot of the nested
 * Linux guest (linux-init.c as its /init) under a VMM (vtxctl or QEMU),
 * timed from here.  The VMM runs with stdin from /dev/null and its stdout
 * and stderr (the guest's console, the VMM's own words) into a pipe this
 * program reads: every byte goes to FILE, and the arrival of the guest's
 * "BENCH-INIT" line is the boot time (CLOCK_MONOTONIC of this machine,
 * from just before fork(): the VMM's own start-up, the kernel's
 * decompression and boot, the initramfs).  At the end it prints, for
 * suite.sh, one line per measured value of the guest's lines:
 *
 *   BENCH-RESULT linux_boot MS
 *   BENCH-RESULT disk_write MB_S      (from BENCH-DISK, if sum=OK)
 *   BENCH-RESULT disk_read MB_S
 *   BENCH-RESULT net_tx MB_S          (from BENCH-NET, if cksum=OK)
 *   BENCH-RESULT fork_exit US
 *   BENCH-STATUS rc=N done=0|1
 *
 * Each console line is also printed as it comes, as "  | LINE", the words
 * the test VM's runner scans its console for given a '~' (they are the
 * nested kernel's).  The VMM is killed (SIGKILL) after S seconds.  Exit
 * status 0 when the guest printed BENCH-DONE.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "linux.h"

#define LINE_MAX_LEN	1024

static double mono_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* What the guest's lines said. */
struct linux_result {
	double boot_ms;
	double disk_w, disk_r, net, fork_us;
	int done;
};

/*
 * Print a console line, "~" after the first letters of the words the
 * runner takes for the test VM's own trouble (BUG:, Oops, Kernel panic...).
 */
static void show_line(const char *line)
{
	static const struct { const char *word; int keep; } alarms[] = {
		{ "BUG:", 3 }, { "WARNING:", 7 }, { "Oops", 2 },
		{ "Call Trace", 4 }, { "Kernel panic", 6 },
		{ "general protection", 7 },
	};
	const char *p = line;
	unsigned int i;

	fputs("  | ", stdout);
	while (*p) {
		for (i = 0; i < sizeof(alarms) / sizeof(alarms[0]); i++)
			if (!strncmp(p, alarms[i].word, strlen(alarms[i].word)))
				break;
		if (i < sizeof(alarms) / sizeof(alarms[0])) {
			fwrite(p, 1, alarms[i].keep, stdout);
			putchar('~');
			p += alarms[i].keep;
		} else if ((unsigned char)*p < ' ' && *p != '\t') {
			p++;	/* ESC and the like: the firmware's screen control */
		} else {
			putchar(*p++);
		}
	}
	putchar('\n');
	fflush(stdout);
}

/* One line of the console (CR and the VMM's prefixes allowed). */
static void parse_console_line(char *line, struct linux_result *r,
			       double t0)
{
	char sum[8], ck[8];
	double a, b, c;
	char *p;

	if ((p = strstr(line, "BENCH-INIT")) && r->boot_ms < 0)
		r->boot_ms = (mono_s() - t0) * 1e3;
	if ((p = strstr(line, "BENCH-DISK bytes=")) &&
	    sscanf(p, "BENCH-DISK bytes=%*u write_s=%*f read_s=%*f write_mb_s=%lf read_mb_s=%lf sum=%7s",
		   &a, &b, sum) == 3 && !strcmp(sum, "OK")) {
		r->disk_w = a;
		r->disk_r = b;
	}
	if ((p = strstr(line, "BENCH-NET bytes=")) &&
	    sscanf(p, "BENCH-NET bytes=%*u seconds=%*f mb_s=%lf server_bytes=%*u cksum=%7s",
		   &c, ck) == 2 && !strcmp(ck, "OK"))
		r->net = c;
	if ((p = strstr(line, "BENCH-FORK n=")) &&
	    sscanf(p, "BENCH-FORK n=%*u seconds=%*f us_per=%lf", &a) == 1)
		r->fork_us = a;
	if (strstr(line, "BENCH-DONE"))
		r->done = 1;
}

int cmd_linux(int argc, char **argv)
{
	struct linux_result r = { -1, -1, -1, -1, -1, 0 };
	const char *logname = NULL;
	char buf[4096], line[LINE_MAX_LEN];
	size_t ll = 0;
	int pfd[2], i, first = 0, st = 0, killed = 0;
	double t0, deadline, timeout = 1200;
	pid_t pid;
	FILE *log;

	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--log") && i + 1 < argc)
			logname = argv[++i];
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
			timeout = atof(argv[++i]);
		else if (!strcmp(argv[i], "--")) {
			first = i + 1;
			break;
		}
	}
	if (!logname || !first || first >= argc) {
		fprintf(stderr, "usage: bench linux --log FILE [--timeout S] -- VMM ARGS...\n");
		return 2;
	}
	log = fopen(logname, "w");
	if (!log || pipe(pfd)) {
		perror(logname);
		return 2;
	}
	t0 = mono_s();
	deadline = t0 + timeout;
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 2;
	}
	if (!pid) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		execvp(argv[first], argv + first);
		fprintf(stderr, "bench linux: exec %s: %s\n", argv[first],
			strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		double left = deadline - mono_s();
		ssize_t n;

		if (left <= 0 && !killed) {
			kill(pid, SIGKILL);
			killed = 1;
			fprintf(log, "\nbench linux: killed after %.0f s\n",
				timeout);
		}
		if (poll(&p, 1, left > 0 ? (int)(left * 1e3) + 1 : 1000) < 0 &&
		    errno != EINTR)
			break;
		if (!(p.revents & (POLLIN | POLLHUP)))
			continue;
		n = read(pfd[0], buf, sizeof(buf));
		if (n <= 0)
			break;
		fwrite(buf, 1, n, log);
		for (i = 0; i < n; i++) {
			if (buf[i] == '\n' || ll == sizeof(line) - 1) {
				line[ll] = 0;
				parse_console_line(line, &r, t0);
				show_line(line);
				ll = 0;
			} else if (buf[i] != '\r') {
				line[ll++] = buf[i];
			}
		}
	}
	line[ll] = 0;
	if (ll) {
		parse_console_line(line, &r, t0);
		show_line(line);
	}
	waitpid(pid, &st, 0);
	fclose(log);
	if (r.boot_ms >= 0)
		printf("BENCH-RESULT linux_boot %.1f\n", r.boot_ms);
	if (r.disk_w >= 0) {
		printf("BENCH-RESULT disk_write %.3f\n", r.disk_w);
		printf("BENCH-RESULT disk_read %.3f\n", r.disk_r);
	}
	if (r.net >= 0)
		printf("BENCH-RESULT net_tx %.3f\n", r.net);
	if (r.fork_us >= 0)
		printf("BENCH-RESULT fork_exit %.1f\n", r.fork_us);
	printf("BENCH-STATUS rc=%d done=%d%s\n",
	       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), r.done,
	       killed ? " (killed on timeout)" : "");
	return r.done ? 0 : 1;
}
