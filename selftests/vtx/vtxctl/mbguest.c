// SPDX-License-Identifier: GPL-2.0
/*
 * The Multiboot v1 test guest, for vtxctl and for QEMU's -kernel.
 *
 * Prints what the loader gave it (magic, command line, memory map,
 * modules, boot loader name) and what fw_cfg says, checks that the two
 * agree, and exits through isa-debug-exit with the code "exit=N" on its
 * command line asks for (default 0), or 1 when a check failed.
 */
#include "guest.h"

#define MB_BOOT_MAGIC	0x2badb002

struct mb_info {
	u32 flags, mem_lower, mem_upper, boot_device, cmdline;
	u32 mods_count, mods_addr, syms[4], mmap_length, mmap_addr;
	u32 drives_length, drives_addr, config_table, boot_loader_name;
};

struct mb_mod {
	u32 start, end, string, reserved;
};

struct mb_mmap {
	u32 size;
	u32 base_lo, base_hi, len_lo, len_hi;
	u32 type;
} __attribute__((packed));

void mb_main(u32 magic, u32 info_addr);

void mb_main(u32 magic, u32 info_addr)
{
	const struct mb_info *mbi = (const struct mb_info *)(uptr)info_addr;
	const char *cmdline = "";
	u64 ram_end = 0, fw_ram = 0;
	u32 i, cpus = 0, bad = 0;

	puts_uart("mbguest: Multiboot guest in 32-bit protected mode\n");
	if (magic != MB_BOOT_MAGIC) {
		puts_uart("FAIL: EAX = ");
		put_hex(magic);
		puts_uart(", not 0x2badb002\n");
		guest_exit(1);
	}
	puts_uart("magic 0x2badb002, info at ");
	put_hex(info_addr);
	puts_uart(", flags ");
	put_hex(mbi->flags);
	putc_uart('\n');
	if (mbi->flags & (1 << 9)) {
		puts_uart("boot loader: ");
		puts_uart((const char *)(uptr)mbi->boot_loader_name);
		putc_uart('\n');
	}
	if (mbi->flags & (1 << 2))
		cmdline = (const char *)(uptr)mbi->cmdline;
	puts_uart("cmdline: \"");
	puts_uart(cmdline);
	puts_uart("\"\n");
	if (mbi->flags & 1) {
		puts_uart("mem_lower ");
		put_dec(mbi->mem_lower);
		puts_uart(" KiB, mem_upper ");
		put_dec(mbi->mem_upper);
		puts_uart(" KiB\n");
	}
	if (mbi->flags & (1 << 6)) {
		uptr p = mbi->mmap_addr, end = p + mbi->mmap_length;

		while (p < end) {
			const struct mb_mmap *e = (const struct mb_mmap *)p;
			u64 base = (u64)e->base_hi << 32 | e->base_lo;
			u64 len = (u64)e->len_hi << 32 | e->len_lo;

			puts_uart("mmap: ");
			put_hex(base);
			puts_uart("-");
			put_hex(base + len);
			puts_uart(" type ");
			put_dec(e->type);
			putc_uart('\n');
			if (e->type == 1 && base + len > ram_end && base + len <= (1ULL << 32))
				ram_end = base + len;
			p += e->size + 4;
		}
	} else {
		puts_uart("FAIL: no memory map\n");
		bad++;
	}
	if (mbi->flags & (1 << 3)) {
		const struct mb_mod *m = (const struct mb_mod *)(uptr)mbi->mods_addr;

		puts_uart("modules: ");
		put_dec(mbi->mods_count);
		putc_uart('\n');
		for (i = 0; i < mbi->mods_count; i++) {
			const char *data = (const char *)(uptr)m[i].start;
			u32 j;

			puts_uart("module ");
			put_dec(i);
			puts_uart(": \"");
			puts_uart((const char *)(uptr)m[i].string);
			puts_uart("\" at ");
			put_hex(m[i].start);
			puts_uart(", ");
			put_dec(m[i].end - m[i].start);
			puts_uart(" bytes: ");
			for (j = 0; j < m[i].end - m[i].start && data[j] != '\n' && j < 60; j++)
				putc_uart(data[j]);
			putc_uart('\n');
			if (m[i].start & 0xfff) {
				puts_uart("FAIL: module not page aligned\n");
				bad++;
			}
		}
	}
	if (fw_cfg_check(&fw_ram, &cpus)) {
		bad++;
	} else if (ram_end > fw_ram || fw_ram - ram_end >= (1 << 20)) {
		/* QEMU's firmware may keep a few pages at the top for itself. */
		puts_uart("FAIL: fw_cfg RAM size does not match the end of the memory map ");
		put_hex(ram_end);
		putc_uart('\n');
		bad++;
	}
	if (bad) {
		puts_uart("self-check FAILED\n");
		guest_exit(1);
	}
	puts_uart("self-check passed\n");
	guest_exit(cmdline_exit_code(cmdline, 0));
}
