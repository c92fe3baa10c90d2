// SPDX-License-Identifier: GPL-2.0
/*
 * vtxpty - the vtxctl suite's terminal: runs a command on a new
 * pseudo-terminal, as a shell runs it on the user's terminal, and checks
 * what it does to that terminal (the test VM has no expect or script).
 *
 *   vtxpty SECONDS COMMAND [ARGS...]
 *
 * COMMAND runs in a session of its own with the pty's slave as its
 * controlling terminal, stdin, stdout and stderr (so it is the foreground
 * process group).  vtxpty copies everything the command writes to its own
 * stdout, waits up to SECONDS for the slave to leave canonical mode (vtxctl
 * --console virtio puts a terminal in raw mode), records the modes, types
 * ^C on the master one second later (the line discipline sends SIGINT, as
 * the user's ^C would), waits up to SECONDS for the command to end, and
 * compares the slave's modes then with the ones before the command.  Last
 * line:
 *
 *   VTXPTY raw=R icanon=0 echo=0 icrnl=0 ixon=0 isig=1 vquit=off status=S restored=1
 *
 * raw=1 when the slave left canonical mode within SECONDS; the flags are
 * the slave's then; status: the command's exit status (or 128 + its
 * signal); restored=1 when every mode is as it was before.  Exit status 0
 * when R is 1, the command ended and the modes were restored, else 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define CTRL_C	0x03

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Copy what the command wrote so far (waiting up to @ms) to stdout. */
static void drain(int master, int ms)
{
	struct pollfd pfd = { .fd = master, .events = POLLIN };
	char buf[4096];
	ssize_t n;

	while (poll(&pfd, 1, ms) == 1) {
		n = read(master, buf, sizeof(buf));
		if (n <= 0)
			return;
		if (write(STDOUT_FILENO, buf, n) != n)
			return;
		ms = 0;
	}
}

static bool same_modes(const struct termios *a, const struct termios *b)
{
	return a->c_iflag == b->c_iflag && a->c_oflag == b->c_oflag &&
	       a->c_cflag == b->c_cflag && a->c_lflag == b->c_lflag &&
	       !memcmp(a->c_cc, b->c_cc, sizeof(a->c_cc));
}

int main(int argc, char **argv)
{
	struct termios before, during, after;
	int master, slave, st = 0, secs, status = -1;
	bool raw = false, ended = false, restored;
	char *name;
	double end;
	pid_t pid;

	secs = argc < 3 ? 0 : atoi(argv[1]);
	if (secs <= 0) {
		fprintf(stderr, "usage: vtxpty SECONDS COMMAND [ARGS...]\n");
		return 2;
	}
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	name = master < 0 || grantpt(master) || unlockpt(master) ? NULL : ptsname(master);
	if (!name) {
		perror("vtxpty: pty");
		return 1;
	}
	slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0 || tcgetattr(slave, &before)) {
		perror("vtxpty: slave");
		return 1;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int fd;

		setsid();
		fd = open(name, O_RDWR);	/* the session's controlling terminal */
		if (fd < 0 || ioctl(fd, TIOCSCTTY, 0)) {
			perror("vtxpty: controlling terminal");
			_exit(127);
		}
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
		execvp(argv[2], argv + 2);
		perror("vtxpty: exec");
		_exit(127);
	}
	if (pid < 0) {
		perror("vtxpty: fork");
		return 1;
	}
	end = now() + secs;
	while (now() < end && !raw) {
		drain(master, 100);
		if (!tcgetattr(slave, &during) && !(during.c_lflag & ICANON))
			raw = true;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			ended = true;
			break;
		}
	}
	if (raw) {
		drain(master, 1000);
		if (write(master, "\003", 1) != 1)
			perror("vtxpty: ^C");
	}
	end = now() + secs;
	while (!ended && now() < end) {
		drain(master, 100);
		if (waitpid(pid, &st, WNOHANG) == pid)
			ended = true;
	}
	if (!ended) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		printf("\nvtxpty: the command did not end within %d s of ^C: killed\n", secs);
	}
	drain(master, 100);
	if (WIFEXITED(st))
		status = WEXITSTATUS(st);
	else if (WIFSIGNALED(st))
		status = 128 + WTERMSIG(st);
	restored = !tcgetattr(slave, &after) && same_modes(&before, &after);
	if (!raw)
		during = before;
	printf("\nVTXPTY raw=%d icanon=%d echo=%d icrnl=%d ixon=%d isig=%d vquit=%s",
	       raw, !!(during.c_lflag & ICANON), !!(during.c_lflag & ECHO),
	       !!(during.c_iflag & ICRNL), !!(during.c_iflag & IXON), !!(during.c_lflag & ISIG),
	       during.c_cc[VQUIT] == _POSIX_VDISABLE ? "off" : "on");
	printf(" status=%d restored=%d\n", status, restored);
	return raw && ended && restored ? 0 : 1;
}
