// SPDX-License-Identifier: GPL-2.0
/*
 * The ELF test guest, built as ELF32 (protected mode), ELF64 (long mode,
 * identity mapped) and ELF64 linked in the higher half.  Its command line
 * comes from fw_cfg (FW_CFG_CMDLINE_*, vtxctl --cmdline); words in it:
 *
 *   exit=N   exit through isa-debug-exit with N (default 0)
 *   echo     read the UART until a newline, print it back in capitals
 *   mmio     read guest-physical 0x3f000000 (outside RAM, no device):
 *            must read 0
 */
#include "guest.h"

#define MMIO_ADDR	0x3f000000UL

void elf_main(u32 vcpu);

static char cmdline[256];

static void read_cmdline(void)
{
	u32 len = fw_cfg_u64(FW_CFG_CMDLINE_SIZE, 4);

	if (!len || len > sizeof(cmdline))
		return;
	fw_cfg_select(FW_CFG_CMDLINE_DATA);
	fw_cfg_read(cmdline, len);
	cmdline[sizeof(cmdline) - 1] = 0;
}

static void echo(void)
{
	char line[128];
	u32 n = 0;
	int c;

	puts_uart("echo: type a line\n");
	for (;;) {
		c = getc_uart();
		if (c < 0)
			continue;	/* each poll of LSR is an exit: no IF=0 spin */
		if (c == '\n' || c == '\r' || n == sizeof(line) - 1)
			break;
		line[n++] = c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
	}
	line[n] = 0;
	puts_uart("echo: ");
	puts_uart(line);
	putc_uart('\n');
}

/* What KVM_SET_CPUID2 gave us: without a table vtx answers zeros. */
static void print_cpuid(void)
{
	u32 a, b, c, d, vendor[4] = { 0 };

	asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
	vendor[0] = b;
	vendor[1] = d;
	vendor[2] = c;
	puts_uart("cpuid: vendor \"");
	puts_uart((const char *)vendor);
	puts_uart("\", max leaf ");
	put_hex(a);
	asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	puts_uart(", APIC id ");
	put_dec(b >> 24);
	putc_uart('\n');
}

void elf_main(u32 vcpu)
{
	u32 cpus = 0;
	u64 ram = 0;
	uptr here = (uptr)&elf_main;

	asm volatile("sti");
	puts_uart(sizeof(long) == 8 ? "elfguest: ELF64 in long mode" :
		  "elfguest: ELF32 in protected mode");
	puts_uart(", vCPU ");
	put_dec(vcpu);
	puts_uart(", running at ");
	put_hex(here);
	putc_uart('\n');
	print_cpuid();
	if (fw_cfg_check(&ram, &cpus))
		guest_exit(1);
	read_cmdline();
	puts_uart("cmdline: \"");
	puts_uart(cmdline);
	puts_uart("\"\n");
	if (has_word(cmdline, "echo"))
		echo();
	if (has_word(cmdline, "mmio")) {
		u32 v = *(volatile u32 *)MMIO_ADDR;

		puts_uart("mmio: read ");
		put_hex(v);
		puts_uart(" at ");
		put_hex(MMIO_ADDR);
		putc_uart('\n');
		if (v)
			guest_exit(1);
	}
	guest_exit(cmdline_exit_code(cmdline, 0));
}
