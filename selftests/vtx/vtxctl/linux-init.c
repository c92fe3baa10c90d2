// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the Linux guest that "vtxctl run --kernel" boots in the suite's
 * linux-smp2 test (linux-init.cpio.gz, made by linux-prepare.sh): a static
 * program, so that the initramfs holds nothing else.  It mounts devtmpfs
 * (for /dev/console), proc and sysfs, prints one line
 *
 *   VTXCTL-LINUX-INIT nproc=N online=LIST uptime=S
 *
 * (N: the CPUs online, as nproc counts them; LIST: sysfs's
 * /sys/devices/system/cpu/online, e.g. 0-1), then
 *
 *   VTXCTL-LINUX-READY
 *
 * and waits up to READ_TIMEOUT_MS for a line on the console (the UART's
 * receive interrupt, IRQ 4), which it prints back as
 *
 *   VTXCTL-LINUX-ECHO <line>      (or "VTXCTL-LINUX-ECHO-NONE")
 *
 * then reboots: vtxctl's guest has no ACPI to power off, and ends the run
 * on the keyboard controller's reset (status 0).
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <unistd.h>

#define READ_TIMEOUT_MS	20000

static void read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = 0;
	if (f) {
		if (!fgets(buf, len, f))
			buf[0] = 0;
		fclose(f);
	}
	buf[strcspn(buf, " \n")] = 0;
	if (!buf[0])
		snprintf(buf, len, "?");
}

int main(void)
{
	char online[64], uptime[64], line[128];
	struct pollfd pfd = { .fd = 0, .events = POLLIN };
	ssize_t n = 0;
	int fd;

	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	fd = open("/dev/console", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
	}
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	read_line("/sys/devices/system/cpu/online", online, sizeof(online));
	read_line("/proc/uptime", uptime, sizeof(uptime));
	printf("VTXCTL-LINUX-INIT nproc=%ld online=%s uptime=%s\n",
	       sysconf(_SC_NPROCESSORS_ONLN), online, uptime);
	printf("VTXCTL-LINUX-READY\n");
	fflush(stdout);
	if (poll(&pfd, 1, READ_TIMEOUT_MS) == 1)
		n = read(0, line, sizeof(line) - 1);
	if (n > 0) {
		line[n] = 0;
		line[strcspn(line, "\r\n")] = 0;
		printf("VTXCTL-LINUX-ECHO %s\n", line);
	} else {
		printf("VTXCTL-LINUX-ECHO-NONE\n");
	}
	fflush(stdout);
	sync();
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}
