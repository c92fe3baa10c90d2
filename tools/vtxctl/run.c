// SPDX-License-Identifier: GPL-2.0
/*
 * The KVM_RUN loop.
 *
 * Each exit that reaches userspace is counted, then handled: port I/O and
 * MMIO go to the buses in io.c, HLT ends the run, every other reason ends
 * it with an error status (see enum vtx_status).  A SIGINT/SIGTERM (or the
 * --timeout alarm) sets kvm_run->immediate_exit, so a signal that lands
 * just before KVM_RUN is not lost; KVM_RUN then fails with EINTR and the
 * loop stops.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "vtxctl.h"

static volatile sig_atomic_t stop_signal;
static struct kvm_run *volatile signal_run;

static void on_signal(int sig)
{
	stop_signal = sig;
	if (signal_run)
		signal_run->immediate_exit = 1;
}

static void install_signals(struct kvm_run *run, unsigned int timeout)
{
	struct sigaction sa;

	signal_run = run;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: KVM_RUN must see EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	if (timeout)
		alarm(timeout);
}

static void restore_signals(void)
{
	alarm(0);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	signal_run = NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *internal_error_name(uint32_t suberror)
{
	switch (suberror) {
	case KVM_INTERNAL_ERROR_EMULATION:
		return "EMULATION";
	case KVM_INTERNAL_ERROR_SIMUL_EX:
		return "SIMUL_EX";
	case KVM_INTERNAL_ERROR_DELIVERY_EV:
		return "DELIVERY_EV";
	case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON:
		return "UNEXPECTED_EXIT_REASON";
	}
	return "?";
}

/* Basic VM-exit reasons that a failed VM entry reports (SDM Vol. 3, App. C). */
static const char *entry_failure_name(uint64_t reason)
{
	switch (reason & 0xffff) {
	case 33:
		return "invalid guest state";
	case 34:
		return "MSR loading";
	case 41:
		return "machine-check event";
	}
	return "?";
}

/* Sets *status when the exit ends the run. */
static void handle_io(struct vcpu *vcpu, char *stop_text, size_t stop_len, int *status)
{
	struct kvm_run *run = vcpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool is_write = run->io.direction == KVM_EXIT_IO_OUT;
	unsigned int size = run->io.size;
	uint32_t i;

	if (size != 1 && size != 2 && size != 4) {
		snprintf(stop_text, stop_len, "bad I/O exit size %u at port 0x%x",
			 size, run->io.port);
		*status = ST_UNHANDLED;
		return;
	}
	if (run->io.data_offset >= vcpu->run_size ||
	    (uint64_t)run->io.count * size > vcpu->run_size - run->io.data_offset) {
		snprintf(stop_text, stop_len, "I/O exit data (offset %llu, %u x %u bytes) outside kvm_run",
			 (unsigned long long)run->io.data_offset, run->io.count, size);
		*status = ST_UNHANDLED;
		return;
	}

	for (i = 0; i < run->io.count && !stop_request.requested; i++)
		io_access(IO_PIO, run->io.port, data + i * size, size, is_write);

	if (stop_request.requested) {
		snprintf(stop_text, stop_len, "guest wrote 0x%llx to exit port 0x%x",
			 (unsigned long long)stop_request.code, run->io.port);
		*status = stop_request.status;
	}
}

static void handle_mmio(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	unsigned int len = run->mmio.len;

	if (len > sizeof(run->mmio.data))
		len = sizeof(run->mmio.data);
	io_access(IO_MMIO, run->mmio.phys_addr, run->mmio.data, len, run->mmio.is_write);
}

int vcpu_run_loop(struct vcpu *vcpu, const struct run_options *opts,
		  char *stop_text, size_t stop_len)
{
	struct kvm_run *run = vcpu->run;
	int status = -1;
	double start;
	uint32_t i;

	install_signals(run, opts->timeout);
	start = now();

	while (status < 0) {
		if (stop_signal) {
			if (stop_signal == SIGALRM) {
				snprintf(stop_text, stop_len, "timeout after %u s", opts->timeout);
				status = ST_TIMEOUT;
			} else {
				snprintf(stop_text, stop_len, "interrupted by %s",
					 stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
				status = ST_INTERRUPTED;
			}
			break;
		}

		stats.runs++;
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR) {
				stats_count_exit(KVM_EXIT_INTR);
				continue;
			}
			if (errno == EAGAIN)
				continue;
			snprintf(stop_text, stop_len, "KVM_RUN failed: %s", strerror(errno));
			status = ST_RUN_ERROR;
			break;
		}

		stats_count_exit(run->exit_reason);
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			handle_io(vcpu, stop_text, stop_len, &status);
			break;
		case KVM_EXIT_MMIO:
			handle_mmio(vcpu);
			break;
		case KVM_EXIT_HLT:
			snprintf(stop_text, stop_len, "guest executed HLT");
			status = ST_HALT;
			break;
		case KVM_EXIT_SHUTDOWN:
			snprintf(stop_text, stop_len, "guest shut down (KVM_EXIT_SHUTDOWN, e.g. a triple fault)");
			status = ST_SHUTDOWN;
			break;
		case KVM_EXIT_FAIL_ENTRY:
			snprintf(stop_text, stop_len,
				 "VM entry failed (KVM_EXIT_FAIL_ENTRY): hardware reason 0x%llx (%s) on CPU %u",
				 (unsigned long long)run->fail_entry.hardware_entry_failure_reason,
				 entry_failure_name(run->fail_entry.hardware_entry_failure_reason),
				 run->fail_entry.cpu);
			status = ST_FAIL_ENTRY;
			break;
		case KVM_EXIT_INTERNAL_ERROR: {
			int n = snprintf(stop_text, stop_len,
					 "internal error (KVM_EXIT_INTERNAL_ERROR): suberror %u (%s), %u data:",
					 run->internal.suberror,
					 internal_error_name(run->internal.suberror),
					 run->internal.ndata);

			for (i = 0; i < run->internal.ndata && i < ARRAY_SIZE(run->internal.data) &&
				    n > 0 && (size_t)n < stop_len; i++)
				n += snprintf(stop_text + n, stop_len - n, " 0x%llx",
					      (unsigned long long)run->internal.data[i]);
			status = ST_INTERNAL;
			break;
		}
		default:
			snprintf(stop_text, stop_len, "unhandled exit reason %u (%s)",
				 run->exit_reason, exit_reason_name(run->exit_reason));
			status = ST_UNHANDLED;
			break;
		}
	}

	stats.wall_seconds = now() - start;
	restore_signals();
	uart_flush();

	/* A guest that stopped on its own or by request needs no post-mortem. */
	if (status != ST_HALT && status != ST_INTERRUPTED && status != ST_TIMEOUT &&
	    !(status & 1)) {
		fprintf(stderr, "vtxctl: %s\n", stop_text);
		vcpu_dump(vcpu);
	}
	return status;
}
