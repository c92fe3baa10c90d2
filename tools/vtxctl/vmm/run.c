// SPDX-License-Identifier: GPL-2.0
/*
 * Running the VM: one thread per vCPU, the KVM_RUN loop, and the main
 * thread that waits for the end.
 *
 * Each vCPU thread runs KVM_RUN in a loop.  Each exit that reaches
 * userspace is counted, then handled: port I/O and MMIO go to the buses
 * in io.c, HLT stops that vCPU, every other reason stops the VM with an
 * error status (enum vtx_status).  An AP that is "parked" (the default for
 * vCPUs 1..N-1) never enters the guest: vtxctl has no local APIC to send it
 * INIT/SIPI, so its thread only waits for the end of the run.
 *
 * The run ends when every running vCPU has halted (status 0), when a
 * device or an exit asks for it (run_request_stop(): the first request
 * sets the status), at --timeout, or on SIGINT/SIGTERM.  Stopping sets
 * kvm_run->immediate_exit of every vCPU and sends its thread SIG_KICK, so
 * a thread inside KVM_RUN or about to enter it comes back with EINTR.
 *
 * Signals: SIGINT, SIGTERM and SIG_KICK are blocked in every thread; the
 * main thread reads SIGINT/SIGTERM from a signalfd, and only the vCPU
 * threads unblock SIG_KICK (a handler that does nothing, without
 * SA_RESTART).  vCPU threads tell the main thread they ended through an
 * eventfd.  The main thread also copies stdin into the UART's receive
 * FIFO when stdin is a terminal (switched to non-canonical mode without
 * echo; ^C still raises SIGINT) or a pipe.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "vmm.h"

#define SIG_KICK	SIGUSR1

static struct run_state {
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* parked APs wait for the end here */
	bool stopping;
	int status;
	int culprit;			/* vCPU whose exit stopped the VM, or -1 */
	char text[512];
	unsigned int running;		/* vCPUs in the guest, not halted */
	int event_fd;
	struct vm *vm;
	const struct run_options *opts;
} rs = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
	.culprit = -1,
	.event_fd = -1,
};

static void on_kick(int sig)
{
	(void)sig;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool stopping(void)
{
	return __atomic_load_n(&rs.stopping, __ATOMIC_ACQUIRE);
}

/* With rs.lock held.  Sends every running vCPU back from KVM_RUN. */
static void kick_all(void)
{
	unsigned int i;

	for (i = 0; i < rs.vm->nr_vcpus; i++) {
		struct vcpu *v = &rs.vm->vcpus[i];

		if (!v->thread_started || v->parked)
			continue;
		__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_RELEASE);
		pthread_kill(v->thread, SIG_KICK);
	}
	pthread_cond_broadcast(&rs.cond);
}

static void stop_locked(int vcpu_id, int status, const char *fmt, va_list ap)
{
	int n = 0;

	if (rs.stopping)
		return;
	if (vcpu_id >= 0 && rs.vm->nr_vcpus > 1)
		n = snprintf(rs.text, sizeof(rs.text), "vCPU %d: ", vcpu_id);
	vsnprintf(rs.text + n, sizeof(rs.text) - n, fmt, ap);
	rs.status = status;
	rs.culprit = vcpu_id;
	__atomic_store_n(&rs.stopping, true, __ATOMIC_RELEASE);
	kick_all();
}

static void __attribute__((format(printf, 3, 4)))
vcpu_stop(struct vcpu *vcpu, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pthread_mutex_lock(&rs.lock);
	stop_locked(vcpu ? vcpu->id : -1, status, fmt, ap);
	pthread_mutex_unlock(&rs.lock);
	va_end(ap);
}

void run_request_stop(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pthread_mutex_lock(&rs.lock);
	stop_locked(-1, status, fmt, ap);
	pthread_mutex_unlock(&rs.lock);
	va_end(ap);
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
	if (!(reason & (1ULL << 31)))
		return "VM-instruction error";
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

static void handle_io(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool is_write = run->io.direction == KVM_EXIT_IO_OUT;
	unsigned int size = run->io.size;
	uint32_t i;

	if (size != 1 && size != 2 && size != 4) {
		vcpu_stop(vcpu, ST_UNHANDLED, "bad I/O exit size %u at port 0x%x",
			  size, run->io.port);
		return;
	}
	if (run->io.data_offset >= vcpu->run_size ||
	    (uint64_t)run->io.count * size > vcpu->run_size - run->io.data_offset) {
		vcpu_stop(vcpu, ST_UNHANDLED,
			  "I/O exit data (offset %llu, %u x %u bytes) outside kvm_run",
			  (unsigned long long)run->io.data_offset, run->io.count, size);
		return;
	}
	for (i = 0; i < run->io.count && !stopping(); i++)
		io_access(IO_PIO, run->io.port, data + i * size, size, is_write);
}

static void handle_mmio(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	unsigned int len = run->mmio.len;

	if (len > sizeof(run->mmio.data))
		len = sizeof(run->mmio.data);
	if (!io_access(IO_MMIO, run->mmio.phys_addr, run->mmio.data, len,
		       run->mmio.is_write) && rs.opts->strict_mmio)
		vcpu_stop(vcpu, ST_MMIO, "unclaimed MMIO %s of %u bytes at 0x%llx (--strict-mmio)",
			  run->mmio.is_write ? "write" : "read", len,
			  (unsigned long long)run->mmio.phys_addr);
}

static void handle_internal_error(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	char data[256] = "";
	uint32_t i;
	int n = 0;

	for (i = 0; i < run->internal.ndata && i < ARRAY_SIZE(run->internal.data) &&
		    n >= 0 && (size_t)n < sizeof(data); i++)
		n += snprintf(data + n, sizeof(data) - n, " 0x%llx",
			      (unsigned long long)run->internal.data[i]);
	/*
	 * vtx reports a guest access outside every memslot (MMIO) this way,
	 * with the address in data[0] (Documentation/vtx/api.rst, 7.3).
	 */
	if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION &&
	    run->internal.ndata >= 1 && run->internal.data[0] >= vcpu->vm->ram_size) {
		vcpu_stop(vcpu, ST_INTERNAL,
			  "internal error (KVM_EXIT_INTERNAL_ERROR): suberror 1 (EMULATION), data:%s: an access to guest-physical 0x%llx outside RAM, i.e. MMIO, which %s does not emulate",
			  data, (unsigned long long)run->internal.data[0],
			  vcpu->vm->dev_path);
		return;
	}
	vcpu_stop(vcpu, ST_INTERNAL,
		  "internal error (KVM_EXIT_INTERNAL_ERROR): suberror %u (%s), %u data:%s",
		  run->internal.suberror, internal_error_name(run->internal.suberror),
		  run->internal.ndata, data);
}

static void vcpu_halted(struct vcpu *vcpu)
{
	pthread_mutex_lock(&rs.lock);
	vcpu->halted = true;
	if (--rs.running == 0 && !rs.stopping) {
		snprintf(rs.text, sizeof(rs.text), "%s",
			 rs.vm->nr_vcpus > 1 ? "every running vCPU executed HLT" :
			 "guest executed HLT");
		rs.status = ST_HALT;
		rs.culprit = -1;
		__atomic_store_n(&rs.stopping, true, __ATOMIC_RELEASE);
		kick_all();
	}
	pthread_mutex_unlock(&rs.lock);
}

static void notify_ended(void)
{
	uint64_t one = 1;

	if (write(rs.event_fd, &one, sizeof(one)) != sizeof(one))
		perror("vtxctl: eventfd");
}

static void run_loop(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	while (!stopping()) {
		vcpu->stats.runs++;
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR) {
				stats_count_exit(vcpu, KVM_EXIT_INTR);
				continue;
			}
			if (errno == EAGAIN)
				continue;
			vcpu_stop(vcpu, ST_RUN_ERROR, "KVM_RUN failed: %s", strerror(errno));
			return;
		}

		stats_count_exit(vcpu, run->exit_reason);
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			handle_io(vcpu);
			break;
		case KVM_EXIT_MMIO:
			handle_mmio(vcpu);
			break;
		case KVM_EXIT_HLT:
			vcpu_halted(vcpu);
			return;
		case KVM_EXIT_SHUTDOWN:
			vcpu_stop(vcpu, ST_SHUTDOWN,
				  "guest shut down (KVM_EXIT_SHUTDOWN, e.g. a triple fault)");
			break;
		case KVM_EXIT_FAIL_ENTRY:
			vcpu_stop(vcpu, ST_FAIL_ENTRY,
				  "VM entry failed (KVM_EXIT_FAIL_ENTRY): hardware reason 0x%llx (%s) on CPU %u",
				  (unsigned long long)run->fail_entry.hardware_entry_failure_reason,
				  entry_failure_name(run->fail_entry.hardware_entry_failure_reason),
				  run->fail_entry.cpu);
			break;
		case KVM_EXIT_INTERNAL_ERROR:
			handle_internal_error(vcpu);
			break;
		default:
			vcpu_stop(vcpu, ST_UNHANDLED, "unhandled exit reason %u (%s)",
				  run->exit_reason, kvm_exit_name(run->exit_reason));
			break;
		}
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	sigset_t kick;

	if (vcpu->parked) {
		pthread_mutex_lock(&rs.lock);
		while (!rs.stopping)
			pthread_cond_wait(&rs.cond, &rs.lock);
		pthread_mutex_unlock(&rs.lock);
	} else {
		sigemptyset(&kick);
		sigaddset(&kick, SIG_KICK);
		pthread_sigmask(SIG_UNBLOCK, &kick, NULL);
		run_loop(vcpu);
	}
	notify_ended();
	return NULL;
}

/* stdin into the UART: a terminal in non-canonical mode, or a pipe. */
static struct termios saved_tio;
static bool tio_saved;

static void restore_tty(void)
{
	if (tio_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
	tio_saved = false;
}

bool run_stdin_usable(void)
{
	/* Only the foreground process may read the terminal. */
	return !isatty(STDIN_FILENO) || tcgetpgrp(STDIN_FILENO) == getpgrp();
}

/*
 * A terminal on stdin: the UART's non-canonical mode without echo, or
 * (@raw, the virtio console) raw input: no line editing, echo, CR/NL
 * translation, flow control or 8th-bit stripping, every byte as typed to
 * the guest, whose tty does all that; ISIG stays for ^C alone (SIGINT, an
 * orderly stop that restores the terminal), ^\ and ^Z go to the guest
 * instead of killing or stopping vtxctl with the terminal raw.  Output
 * processing stays, for vtxctl's own messages.
 */
static void tty_setup(bool raw)
{
	struct termios tio;

	if (tcgetattr(STDIN_FILENO, &saved_tio))
		return;
	tio = saved_tio;
	tio.c_lflag &= ~(ICANON | ECHO);
	if (raw) {
		tio.c_lflag &= ~(ECHONL | IEXTEN);
		tio.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL |
				 IXON | IXOFF);
		tio.c_cflag = (tio.c_cflag & ~(CSIZE | PARENB)) | CS8;
		tio.c_cc[VQUIT] = _POSIX_VDISABLE;
		tio.c_cc[VSUSP] = _POSIX_VDISABLE;
	}
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &tio) == 0) {
		tio_saved = true;
		atexit(restore_tty);
	}
}

static bool stdin_setup(void)
{
	struct stat st;

	if (isatty(STDIN_FILENO)) {
		if (!run_stdin_usable())
			return false;
		tty_setup(false);
		return true;
	}
	return fstat(STDIN_FILENO, &st) == 0 && S_ISFIFO(st.st_mode);
}

/* Start @vm's vCPUs and wait for the end; returns the exit status. */
int run_vm(struct vm *vm, const struct run_options *opts, char *stop_text,
	   size_t stop_len)
{
	bool use_stdin = false;
	struct sigaction sa;
	sigset_t set, old;
	unsigned int i, started = 0, ended = 0;
	int sfd = -1, status;
	double start, deadline = 0;

	rs.vm = vm;
	rs.opts = opts;
	rs.running = 0;
	for (i = 0; i < vm->nr_vcpus; i++)
		if (!vm->vcpus[i].parked)
			rs.running++;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_kick;	/* no SA_RESTART: KVM_RUN must see EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIG_KICK, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIG_KICK);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	/*
	 * A shell starts background jobs with SIGINT ignored; blocked and
	 * read from the signalfd, it must still stop the run.
	 */
	sa.sa_handler = SIG_DFL;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigdelset(&set, SIG_KICK);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	rs.event_fd = eventfd(0, EFD_CLOEXEC);
	if (sfd < 0 || rs.event_fd < 0) {
		perror("vtxctl: signalfd/eventfd");
		status = ST_SETUP;
		goto out;
	}

	start = now();
	if (opts->timeout)
		deadline = start + opts->timeout;
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		int r = pthread_create(&v->thread, NULL, vcpu_thread, v);

		if (r) {
			vcpu_stop(NULL, ST_SETUP, "cannot start the thread of vCPU %u: %s",
				  i, strerror(r));
			break;
		}
		pthread_mutex_lock(&rs.lock);
		v->thread_started = true;
		/* A stop requested before this thread existed must reach it too. */
		if (rs.stopping && !v->parked) {
			__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_RELEASE);
			pthread_kill(v->thread, SIG_KICK);
		}
		pthread_mutex_unlock(&rs.lock);
		started++;
	}
	use_stdin = opts->stdin_to_uart && stdin_setup();
	/* The virtio console reads stdin itself; SIGINT is blocked from here on. */
	if (opts->console_raw && isatty(STDIN_FILENO) && run_stdin_usable())
		tty_setup(true);

	while (ended < started) {
		unsigned char buf[256];
		struct pollfd pfd[3];
		int timeout_ms = -1, nfds = 2, r;
		bool want_stdin = use_stdin && uart_rx_room() > 0;

		pfd[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = rs.event_fd, .events = POLLIN };
		if (want_stdin)
			pfd[nfds++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
		else if (use_stdin)
			timeout_ms = 20;	/* the FIFO is full: look again soon */
		if (deadline && !stopping()) {
			double left = deadline - now();
			int ms = left > 0 ? (int)(left * 1000) + 1 : 0;

			if (timeout_ms < 0 || ms < timeout_ms)
				timeout_ms = ms;
		}
		r = poll(pfd, nfds, timeout_ms);
		if (r < 0 && errno != EINTR) {
			perror("vtxctl: poll");
			run_request_stop(ST_SETUP, "poll failed");
		}
		if (deadline && now() >= deadline)
			run_request_stop(ST_TIMEOUT, "timeout after %u s", opts->timeout);
		if (r <= 0)
			continue;
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si))
				run_request_stop(ST_INTERRUPTED, "interrupted by %s",
						 si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
		}
		if (pfd[1].revents & POLLIN) {
			uint64_t n;

			if (read(rs.event_fd, &n, sizeof(n)) == sizeof(n))
				ended += n;
		}
		if (nfds > 2 && pfd[2].revents) {
			size_t room = uart_rx_room();
			ssize_t n = read(STDIN_FILENO, buf, room < sizeof(buf) ? room : sizeof(buf));

			if (n > 0)
				uart_rx_push(buf, n);
			else if (n == 0 || errno != EINTR)
				use_stdin = false;	/* end of input */
		}
	}
	for (i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].thread_started)
			pthread_join(vm->vcpus[i].thread, NULL);
	stats.wall_seconds = now() - start;
	restore_tty();
	uart_flush();

	status = rs.status;
	snprintf(stop_text, stop_len, "%s", rs.text);

	/* A guest that stopped on its own or by request needs no post-mortem. */
	if (status != ST_HALT && status != ST_INTERRUPTED && status != ST_TIMEOUT &&
	    !(status & 1)) {
		fprintf(stderr, "vtxctl: %s\n", stop_text);
		if (rs.culprit >= 0)
			vcpu_dump(&vm->vcpus[rs.culprit]);
	}

	if (opts->hold) {
		struct signalfd_siginfo si;

		fprintf(stderr, "vtxctl: guest stopped (status %d); holding the VM, pid %d, until SIGINT or SIGTERM\n",
			status, (int)getpid());
		while (read(sfd, &si, sizeof(si)) < 0 && errno == EINTR)
			;
	}
out:
	if (sfd >= 0)
		close(sfd);
	if (rs.event_fd >= 0)
		close(rs.event_fd);
	rs.event_fd = -1;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return status;
}
