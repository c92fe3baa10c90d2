// SPDX-License-Identifier: GPL-2.0
/*
 * "vtxctl run IMAGE" and "vtxctl run --kernel bzImage": the command line of
 * the VMM, and the VM it builds.
 *
 * It creates a VM with RAM at guest-physical 0 and --cpus vCPUs, loads
 * IMAGE (flat binary, ELF or Multiboot, detected), gives each vCPU the
 * driver's supported CPUID, and runs each vCPU on its own thread until
 * the guest halts, asks to exit, fails, or is interrupted.  Devices are in
 * userspace: a 16550 UART on COM1, an isa-debug-exit port at 0xf4 and
 * QEMU's fw_cfg at 0x510.  Statistics go to stderr at the end.
 *
 * With --kernel the VM is a small PC for Linux (linux.c): the in-kernel
 * irqchip and PIT, the UART on IRQ 4, the keyboard controller's reset and
 * the CMOS clock (pc.c); vCPU 0 starts at the kernel's 64-bit entry, the
 * others wait in KVM_RUN for the INIT/SIPI of the guest's own SMP boot.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "virtio.h"

#define DEFAULT_DEVICE		"/dev/vtx"
#define DEFAULT_MEM		(16 * MiB)
#define DEFAULT_MEM_LINUX	(256 * MiB)
/* --kernel: RAM stays below the 32-bit PCI hole (IOAPIC, LAPIC, KVM's pages). */
#define MAX_MEM_LINUX		(3 * GiB)
#define DEFAULT_APPEND		"console=ttyS0 reboot=k"
/* --console virtio: the UART until virtio_console is up, then hvc0. */
#define DEFAULT_APPEND_HVC	"console=ttyS0 console=hvc0 reboot=k"
#define HVC_CONSOLE		"console=hvc0"
#define UART_IRQ		4
#define MIN_MEM			(64 * KiB)
#define MAX_MEM			(64 * GiB)
#define MAX_MODULES		32
#define MAX_CMDLINE		4096

#define UART_BASE	0x3f8
#define EXIT_PORT	0xf4

static const char run_usage_text[] =
"Usage: vtxctl run IMAGE [OPTIONS]\n"
"       vtxctl run --kernel BZIMAGE [--initrd FILE] [--append CMDLINE] [OPTIONS]\n"
"\n"
"Linux (--kernel): boot a bzImage (boot protocol 2.12 or later) at its 64-bit\n"
"entry with the in-kernel irqchip (PIC, IOAPIC, LAPICs) and PIT, an MP table\n"
"listing --cpus processors (the guest starts the others itself), the e820 map,\n"
"the initrd at the top of RAM, and the devices: 16550 UART on COM1 with IRQ 4,\n"
"CMOS clock, keyboard-controller reset.  The guest's reboot (or reset) ends\n"
"the run with status 0; it has no ACPI, so it cannot power off.\n"
"      --kernel BZIMAGE   the Linux kernel (instead of IMAGE)\n"
"      --initrd FILE      initial ramdisk (initramfs cpio, compressed or not)\n"
"      --append CMDLINE   kernel command line (default \"" DEFAULT_APPEND "\";\n"
"                         with --console virtio\n"
"                         \"" DEFAULT_APPEND_HVC "\")\n"
"      --console serial|virtio\n"
"                         where stdin goes and the guest's console is (default\n"
"                         serial): serial: the 16550 UART, ttyS0; virtio: a\n"
"                         virtio-console device, the guest's hvc0 (its\n"
"                         virtio_console driver), stdin to it and its output to\n"
"                         stdout; the UART stays for early output (earlyprintk,\n"
"                         console=ttyS0) and writes to stdout too.  vtxctl adds\n"
"                         \"" HVC_CONSOLE "\" to an --append that names no hvc\n"
"                         console.  A terminal on stdin is put in raw mode (the\n"
"                         guest's tty does the echo and the line editing) and\n"
"                         restored at the end; ^C still stops vtxctl, ^\\ and ^Z\n"
"                         go to the guest\n"
"      --disk FILE[,ro]   a virtio-blk disk on a raw image file (repeat for more);\n"
"                         ,ro: read-only (VIRTIO_BLK_F_RO); the file is locked\n"
"                         and fsync'd at the end of the run\n"
"      --rng              a virtio-rng device fed from the host's getrandom()\n"
"      --net tap=NAME[,vhost=on][,mac=MAC]\n"
"                         a virtio-net device on the host's tap NAME, which must\n"
"                         exist (ip tuntap add NAME mode tap; vtxctl never\n"
"                         creates one); repeat for more.  MAC defaults to\n"
"                         52:54:00:12:34:0N for the Nth --net (from 0).\n"
"                         vhost=on: the host kernel's vhost-net moves the frames\n"
"                         (/dev/vhost-net; the guest's notifications go to it\n"
"                         through KVM_IOEVENTFD), else vtxctl's I/O threads do\n"
"      --virtio pci|mmio  the virtio transport (default pci):\n"
"                         pci: modern virtio-pci functions 1af4:1040+ID on PCI\n"
"                         bus 0 (conf1 ports 0xcf8/0xcfc, host bridge at 00:00.0,\n"
"                         devices from 00:01.0), BAR0 in 0xc0000000-0xfebfffff,\n"
"                         INTA# level on IOAPIC pins 16+ (in the MP table); what\n"
"                         a stock kernel's CONFIG_VIRTIO_PCI finds by itself\n"
"                         mmio: 4K windows from 0xd0000000 on ISA IRQs 5, 6, 7,\n"
"                         9, 10, 11; each adds \"virtio_mmio.device=4K@BASE:IRQ\"\n"
"                         to the command line (the guest needs\n"
"                         CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES, or to create the\n"
"                         platform devices itself)\n"
"  Notifications use KVM_IOEVENTFD, interrupts KVM_IRQFD: each queue is served\n"
"  by an I/O thread of its own.\n"
"  (--mem defaults to 256M with --kernel and stays at most 3G)\n"
"\n"
"Examples:\n"
"  vtxctl run --kernel /boot/vmlinuz-$(uname -r) --initrd initrd.img \\\n"
"             --append 'console=ttyS0 rdinit=/init' --cpus 2 --mem 512M\n"
"  vtxctl run --kernel bzImage --cpus 4 --device /dev/kvm --timeout 60\n"
"  # --console virtio: stdin and stdout on the guest's hvc0, once its\n"
"  # initramfs loaded virtio_console (a module in Debian's kernels) and runs\n"
"  # a shell or getty there; the boot messages come on ttyS0 until then\n"
"  vtxctl run --kernel bzImage --initrd initrd.img --console virtio\n"
"  # a script as the console's input (a pipe or a file works as a terminal)\n"
"  vtxctl run --kernel bzImage --initrd initrd.img --console virtio <cmds.txt\n"
"  # a kernel with CONFIG_VIRTIO_CONSOLE=y: only hvc0, earlyprintk until then\n"
"  vtxctl run --kernel bzImage --disk root.img --console virtio \\\n"
"             --append 'earlyprintk=ttyS0 console=hvc0 root=/dev/vda'\n"
"  ip tuntap add vtxtap0 mode tap user $USER && ip addr add 10.0.0.1/24 dev vtxtap0 &&\n"
"  ip link set vtxtap0 up\n"
"  vtxctl run --kernel bzImage --initrd initrd.img --disk root.img \\\n"
"             --net tap=vtxtap0,vhost=on --append 'console=ttyS0 root=/dev/vda'\n"
"  vtxctl run mbguest.elf --cmdline 'exit=21' --module 'module.txt arg'\n"
"  vtxctl run hello64.bin --mode long\n"
"\n"
"IMAGE:\n"
"Run IMAGE in a new VM through the KVM API of /dev/vtx.  IMAGE is detected:\n"
"  Multiboot v1  a valid Multiboot header in the first 8 KiB (a.out kludge or\n"
"                ELF); entered in 32-bit protected mode, EAX = 0x2BADB002,\n"
"                EBX = Multiboot information (command line, memory map, modules)\n"
"  ELF           32-bit: protected mode, paging off, at the physical entry;\n"
"                64-bit: long mode with page tables vtxctl builds (identity map,\n"
"                plus the higher half when vaddr = paddr + a 1 GiB multiple)\n"
"  flat binary   anything else: copied to --load-addr and started there in\n"
"                --mode (real by default)\n"
"\n"
"Options:\n"
"  -d, --device PATH      KVM-API device (default " DEFAULT_DEVICE "; /dev/kvm works too)\n"
"  -M, --mem SIZE         guest RAM at guest-physical 0, with an optional K, M or G\n"
"                         suffix, 64K to 64G (default 16M)\n"
"  -c, --cpus N           vCPUs, 1 to 64, each on its own thread (default 1)\n"
"      --aps park|entry   park: vCPUs 1..N-1 never run (no APIC to start them; the\n"
"                         default); entry: they start at the entry like vCPU 0,\n"
"                         without the boot protocol's EAX/EBX, their stack 64 KiB\n"
"                         times their index below vCPU 0's.  Every vCPU that\n"
"                         starts gets its index in ESI.\n"
"  -C, --cmdline STR      kernel command line: Multiboot cmdline, and fw_cfg items\n"
"                         FW_CFG_CMDLINE_SIZE/DATA for every format\n"
"  -k, --module 'FILE [ARGS]'\n"
"                         a Multiboot module (repeat for more): FILE is loaded,\n"
"                         page aligned, after the image; the module's string is\n"
"                         the whole argument\n"
"  -f, --format FMT       auto (default), multiboot, elf or flat\n"
"  -m, --mode MODE        flat images: real (CS:IP = 0:ADDR, the default),\n"
"                         protected (32-bit, flat segments, no paging) or long\n"
"                         (64-bit, identity-mapped max(1 GiB, RAM))\n"
"  -a, --load-addr ADDR   flat images: load and entry address (default 0x1000 for\n"
"                         real mode, 0x100000 otherwise)\n"
"  -t, --timeout SECONDS  stop the guest after SECONDS of wall time\n"
"      --strict-mmio      an MMIO access no device claims stops the guest\n"
"                         (status 18); by default reads return 0 and are counted\n"
"      --hold             after the guest stopped, keep the VM (and its vtx\n"
"                         statistics) until SIGINT or SIGTERM; the status stays\n"
"                         the guest's\n"
"      --no-stdin         do not feed stdin to the UART or the virtio console\n"
"  -n, --dry-run          load IMAGE into memory, print what would run, and exit\n"
"                         without opening the device\n"
"  -v, --verbose          print the load plan to stderr before running\n"
"  -q, --quiet            do not print the exit statistics\n"
"  -h, --help             show this help\n"
"\n"
"Guest devices (port I/O):\n"
"  0x3f8-0x3ff  16550 UART (COM1), polled: THR to stdout; RBR/LSR.DR from stdin\n"
"               when stdin is a terminal (non-canonical, no echo; ^C still stops)\n"
"               or a pipe; IER, IIR, LCR, MCR (loopback), MSR, SCR\n"
"  0xf4         exit port (QEMU isa-debug-exit): writing V ends the run, status\n"
"               (V << 1) | 1\n"
"  0x510/0x511  QEMU fw_cfg: selector (16-bit) and data; signature \"QEMU\", id,\n"
"               RAM size, number of CPUs, command line\n"
"  other ports  reads return all ones, writes are ignored (counted)\n"
"  MMIO         no device: reads return 0, writes are dropped (counted); vtx\n"
"               itself cannot emulate MMIO and stops the guest with status 10\n"
"\n"
"At the end, unless --quiet, stderr gets the stop reason, the KVM_RUN calls, the\n"
"exits seen in userspace by reason, unclaimed accesses, UART bytes and the wall\n"
"time.  Exit status: see 'vtxctl --help'.\n";

enum {
	OPT_APS = 0x100,
	OPT_STRICT_MMIO,
	OPT_HOLD,
	OPT_NO_STDIN,
	OPT_KERNEL,
	OPT_INITRD,
	OPT_APPEND,
	OPT_DISK,
	OPT_RNG,
	OPT_VIRTIO,
	OPT_NET,
	OPT_CONSOLE,
};

/* The options that only IMAGE guests take, for the --kernel error. */
static const char *image_only_option(const struct load_options *lo, bool have_aps,
				     bool have_format)
{
	if (lo->cmdline)
		return "--cmdline (use --append)";
	if (lo->nr_modules)
		return "--module (use --initrd)";
	if (lo->have_mode)
		return "--mode";
	if (lo->have_load_addr)
		return "--load-addr";
	if (have_aps)
		return "--aps (the guest starts its APs)";
	if (have_format)
		return "--format";
	return NULL;
}

/* A word of @cmdline that starts with @prefix? */
static bool has_word(const char *cmdline, const char *prefix)
{
	const char *p = cmdline;

	while ((p = strstr(p, prefix))) {
		if (p == cmdline || p[-1] == ' ')
			return true;
		p++;
	}
	return false;
}

/* --console virtio: "console=hvc0" unless @buf names an hvc console. */
static int add_hvc_console(char *buf, size_t len)
{
	size_t n = strlen(buf);

	if (has_word(buf, "console=hvc"))
		return 0;
	if (snprintf(buf + n, len - n, "%s" HVC_CONSOLE, n ? " " : "") >= (int)(len - n))
		return -1;
	return 0;
}

int cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "device",	required_argument,	NULL, 'd' },
		{ "mem",	required_argument,	NULL, 'M' },
		{ "cpus",	required_argument,	NULL, 'c' },
		{ "aps",	required_argument,	NULL, OPT_APS },
		{ "cmdline",	required_argument,	NULL, 'C' },
		{ "module",	required_argument,	NULL, 'k' },
		{ "format",	required_argument,	NULL, 'f' },
		{ "mode",	required_argument,	NULL, 'm' },
		{ "load-addr",	required_argument,	NULL, 'a' },
		{ "timeout",	required_argument,	NULL, 't' },
		{ "strict-mmio", no_argument,		NULL, OPT_STRICT_MMIO },
		{ "hold",	no_argument,		NULL, OPT_HOLD },
		{ "no-stdin",	no_argument,		NULL, OPT_NO_STDIN },
		{ "dry-run",	no_argument,		NULL, 'n' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "quiet",	no_argument,		NULL, 'q' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "kernel",	required_argument,	NULL, OPT_KERNEL },
		{ "initrd",	required_argument,	NULL, OPT_INITRD },
		{ "append",	required_argument,	NULL, OPT_APPEND },
		{ "disk",	required_argument,	NULL, OPT_DISK },
		{ "rng",	no_argument,		NULL, OPT_RNG },
		{ "virtio",	required_argument,	NULL, OPT_VIRTIO },
		{ "net",	required_argument,	NULL, OPT_NET },
		{ "console",	required_argument,	NULL, OPT_CONSOLE },
		{ NULL, 0, NULL, 0 },
	};
	const char *device = DEFAULT_DEVICE, *image, *modules[MAX_MODULES];
	struct linux_options lk = { .cmdline = DEFAULT_APPEND };
	const char *kernel = NULL, *bad;
	bool have_mem = false, have_aps = false, have_format = false, have_append = false;
	struct run_options opts = { .stdin_to_uart = true };
	struct load_options lo = { .format = FMT_AUTO, .modules = modules };
	struct vm vm = { .sys_fd = -1, .fd = -1 };
	enum virtio_transport transport = VIRTIO_PCI;
	bool have_virtio = false, have_console = false, console_virtio = false;
	bool quiet = false, dry_run = false, verbose = false, ap_entry = false;
	static char cmdline[MAX_CMDLINE];
	uint64_t mem = DEFAULT_MEM, cpus = 1, timeout;
	struct fwcfg_config fw;
	struct boot_plan plan;
	char stop_text[512];
	unsigned int i;
	int c, r, status;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:M:c:C:k:f:m:a:t:nvqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			device = optarg;
			break;
		case 'M':
			if (parse_size(optarg, &mem))
				return usage_error("bad memory size '%s'", optarg);
			have_mem = true;
			break;
		case 'c':
			if (parse_size(optarg, &cpus) || cpus < 1 || cpus > MAX_VCPUS)
				return usage_error("bad --cpus '%s' (1 to %d)", optarg, MAX_VCPUS);
			break;
		case OPT_APS:
			have_aps = true;
			if (!strcmp(optarg, "park"))
				ap_entry = false;
			else if (!strcmp(optarg, "entry"))
				ap_entry = true;
			else
				return usage_error("unknown --aps '%s' (park or entry)", optarg);
			break;
		case 'C':
			lo.cmdline = optarg;
			break;
		case 'k':
			if (lo.nr_modules == MAX_MODULES)
				return usage_error("more than %d modules", MAX_MODULES);
			modules[lo.nr_modules++] = optarg;
			break;
		case 'f':
			have_format = true;
			if (!strcmp(optarg, "auto"))
				lo.format = FMT_AUTO;
			else if (!strcmp(optarg, "flat"))
				lo.format = FMT_FLAT;
			else if (!strcmp(optarg, "elf"))
				lo.format = FMT_ELF;
			else if (!strcmp(optarg, "multiboot"))
				lo.format = FMT_MULTIBOOT;
			else
				return usage_error("unknown format '%s' (auto, multiboot, elf, flat)",
						   optarg);
			break;
		case 'm':
			if (!strcmp(optarg, "real"))
				lo.mode = MODE_REAL;
			else if (!strcmp(optarg, "protected") || !strcmp(optarg, "prot32"))
				lo.mode = MODE_PROT32;
			else if (!strcmp(optarg, "long"))
				lo.mode = MODE_LONG;
			else
				return usage_error("unknown mode '%s' (real, protected or long)",
						   optarg);
			lo.have_mode = true;
			break;
		case 'a':
			if (parse_size(optarg, &lo.load_addr))
				return usage_error("bad load address '%s'", optarg);
			lo.have_load_addr = true;
			break;
		case 't':
			if (parse_size(optarg, &timeout) || timeout > 86400 * 365)
				return usage_error("bad timeout '%s'", optarg);
			opts.timeout = timeout;
			break;
		case OPT_STRICT_MMIO:
			opts.strict_mmio = true;
			break;
		case OPT_HOLD:
			opts.hold = true;
			break;
		case OPT_NO_STDIN:
			opts.stdin_to_uart = false;
			break;
		case 'n':
			dry_run = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			fputs(run_usage_text, stdout);
			return 0;
		case OPT_KERNEL:
			kernel = optarg;
			break;
		case OPT_INITRD:
			lk.initrd = optarg;
			break;
		case OPT_APPEND:
			lk.cmdline = optarg;
			have_append = true;
			break;
		case OPT_DISK:
			r = virtio_blk_add(optarg);
			if (r == -2)
				return usage_error("bad --disk '%s' (FILE or FILE,ro)", optarg);
			if (r)
				return ST_SETUP;
			break;
		case OPT_RNG:
			if (virtio_rng_add())
				return ST_SETUP;
			break;
		case OPT_NET:
			r = virtio_net_add(optarg);
			if (r == -2)
				return usage_error("bad --net '%s' %s", optarg,
						   "(tap=NAME[,vhost=on|off][,mac=MAC])");
			if (r)
				return ST_SETUP;
			break;
		case OPT_VIRTIO:
			have_virtio = true;
			if (!strcmp(optarg, "pci"))
				transport = VIRTIO_PCI;
			else if (!strcmp(optarg, "mmio"))
				transport = VIRTIO_MMIO;
			else
				return usage_error("unknown --virtio '%s' (pci or mmio)", optarg);
			break;
		case OPT_CONSOLE:
			have_console = true;
			if (!strcmp(optarg, "serial"))
				console_virtio = false;
			else if (!strcmp(optarg, "virtio"))
				console_virtio = true;
			else
				return usage_error("unknown --console '%s' (serial or virtio)",
						   optarg);
			break;
		default:
			fprintf(stderr, "Try 'vtxctl run --help'.\n");
			return ST_USAGE;
		}
	}
	if (kernel) {
		if (optind < argc)
			return usage_error("run takes --kernel or an IMAGE, not both");
		bad = image_only_option(&lo, have_aps, have_format);
		if (bad)
			return usage_error("%s applies to IMAGE guests, not to --kernel", bad);
		image = kernel;
		if (!have_mem)
			mem = DEFAULT_MEM_LINUX;
		if (mem > MAX_MEM_LINUX)
			return usage_error("--mem is at most 3G with --kernel (the PCI hole)");
		lk.nr_cpus = cpus;
		ap_entry = false;
		if (console_virtio) {
			/* stdin: to hvc0, and a terminal in raw mode (run.c) */
			int in = opts.stdin_to_uart && run_stdin_usable() ? STDIN_FILENO : -1;

			opts.console_raw = in >= 0;
			opts.stdin_to_uart = false;
			if (!have_append)
				lk.cmdline = DEFAULT_APPEND_HVC;
			if (virtio_console_add(in, STDOUT_FILENO))
				return ST_SETUP;
		}
		if ((transport == VIRTIO_PCI && pci_init()) || virtio_attach(transport))
			return ST_SETUP;
		snprintf(cmdline, sizeof(cmdline), "%s", lk.cmdline);
		if (strlen(lk.cmdline) >= sizeof(cmdline) - 1 ||
		    (console_virtio && add_hvc_console(cmdline, sizeof(cmdline))) ||
		    virtio_cmdline(cmdline, sizeof(cmdline)))
			return usage_error("--append is too long");
		lk.cmdline = cmdline;
	} else {
		if (lk.initrd || have_append)
			return usage_error("--initrd and --append need --kernel");
		if (virtio_nr_devices() || have_virtio || have_console)
			return usage_error("--disk, --rng and --net need --kernel; %s",
					   "so do --virtio and --console");
		if (optind != argc - 1)
			return usage_error("%s", optind >= argc ? "run needs one IMAGE or --kernel" :
					   "run takes exactly one IMAGE");
		image = argv[optind];
	}
	if (mem < MIN_MEM || mem > MAX_MEM || mem % (4 * KiB))
		return usage_error("--mem must be a multiple of 4K from 64K to 64G");

	if (mem_alloc(&vm, mem))
		goto fail;
	if (kernel)
		r = load_linux(&vm, kernel, &lk, &plan);
	else
		r = load_image(&vm, image, &lo, &plan);
	if (r == -2) {
		vm_close(&vm);
		fprintf(stderr, "Try 'vtxctl run --help'.\n");
		return ST_USAGE;
	}
	if (r || boot_prepare(&vm, &plan))
		goto fail;
	if (dry_run || verbose)
		fprintf(dry_run ? stdout : stderr,
			"%s: %s; %llu MiB RAM, %u vCPU%s%s\n", image, plan.summary,
			(unsigned long long)(mem / MiB), (unsigned int)cpus,
			cpus == 1 ? "" : "s",
			cpus == 1 ? "" : kernel ? " (the guest starts the APs)" :
			ap_entry ? " (APs start at the entry)" : " (APs parked)");
	if ((dry_run || verbose) && kernel)
		fprintf(dry_run ? stdout : stderr, "command line: %s\n", lk.cmdline);
	if (dry_run) {
		vm_close(&vm);
		return 0;
	}

	fw.ram_size = mem;
	fw.nr_cpus = cpus;
	fw.cmdline = kernel ? lk.cmdline : lo.cmdline;
	if (uart_init(UART_BASE) || exitport_init(EXIT_PORT) || fwcfg_init(&fw))
		goto fail;
	if (kernel && pc_init())
		goto fail;
	if (vm_open(&vm, device))
		goto fail;
	if (kernel) {
		if (vm_create_irqchip(&vm))
			goto fail;
		uart_connect_irq(&vm, UART_IRQ);
		if (virtio_start(&vm))
			goto fail;
	}

	vm.vcpus = calloc(cpus, sizeof(*vm.vcpus));
	if (!vm.vcpus)
		goto fail;
	for (i = 0; i < cpus; i++) {
		struct vcpu *v = &vm.vcpus[i];

		vm.nr_vcpus++;
		if (vcpu_create(&vm, v, i) || vcpu_setup_cpuid(v, cpus))
			goto fail;
		v->parked = i > 0 && !ap_entry && !kernel;
		/* Linux: APs keep their reset state until the guest's INIT/SIPI. */
		if (kernel && i > 0)
			continue;
		if (!v->parked && boot_setup_vcpu(v, &plan, i > 0))
			goto fail;
	}

	status = run_vm(&vm, &opts, stop_text, sizeof(stop_text));
	/* The vCPUs have stopped: the I/O threads finish, the disks are synced. */
	virtio_stop();
	if (!quiet) {
		stats_print(&vm, stop_text, status);
		virtio_print_stats();
	}
	vm_close(&vm);
	return status;

fail:
	virtio_stop();
	vm_close(&vm);
	return ST_SETUP;
}
