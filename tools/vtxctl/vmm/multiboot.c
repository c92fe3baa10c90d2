// SPDX-License-Identifier: GPL-2.0
/*
 * The Multiboot (version 1) loader.
 *
 * The header is the first 4-byte aligned place in the first 8 KiB of the
 * image where magic 1BADB002H is followed by flags and a checksum that
 * make the three add up to 0.  Flag bit 16 (the "a.out kludge") gives the
 * load addresses in the header; without it the image must be ELF and is
 * loaded by its program headers (elf.c).  Required-feature bits: 0 (page
 * align modules: vtxctl always does) and 1 (memory information: always
 * given) are honoured, 2 (video mode) is ignored with a warning, and any
 * of bits 3-15 makes vtxctl refuse the image, as the specification asks.
 *
 * The guest starts in 32-bit protected mode (boot.c) with EAX = 2BADB002H
 * and EBX = the guest-physical address of the Multiboot information, which
 * has: mem_lower/mem_upper, the command line ("IMAGE --cmdline", the path
 * as given and the string, as QEMU's -kernel/-append make it), the modules
 * (--module, each loaded page-aligned after the image), a memory map
 * (mmap) and the boot loader name "vtxctl".  The information, its strings
 * and the memory map live in the boot area, from BOOT_INFO_START.
 *
 * Memory map given to the guest (RAM is one block from 0):
 *   0        - 9FC00H  available
 *   9FC00H   - A0000H  reserved (where a PC has its EBDA)
 *   F0000H   - 100000H reserved (where a PC has its BIOS)
 *   100000H  - RAM end available
 */
#include <string.h>
#include <stdlib.h>

#include "vmm.h"

#define MB_MAGIC		0x1badb002U
#define MB_BOOT_MAGIC		0x2badb002U
#define MB_SEARCH		8192

#define MB_FLAG_PAGE_ALIGN	(1U << 0)
#define MB_FLAG_MEMORY_INFO	(1U << 1)
#define MB_FLAG_VIDEO_MODE	(1U << 2)
#define MB_FLAG_AOUT_KLUDGE	(1U << 16)
#define MB_REQUIRED_UNKNOWN	0x0000fff8U

/* struct multiboot_info flags and offsets */
#define MBI_MEM			(1U << 0)
#define MBI_CMDLINE		(1U << 2)
#define MBI_MODS		(1U << 3)
#define MBI_MMAP		(1U << 6)
#define MBI_LOADER_NAME		(1U << 9)
#define MBI_SIZE		120
#define MBI_FLAGS		0
#define MBI_MEM_LOWER		4
#define MBI_MEM_UPPER		8
#define MBI_CMDLINE_PTR		16
#define MBI_MODS_COUNT		20
#define MBI_MODS_ADDR		24
#define MBI_MMAP_LENGTH		44
#define MBI_MMAP_ADDR		48
#define MBI_LOADER_NAME_PTR	64

#define MB_MMAP_AVAILABLE	1
#define MB_MMAP_RESERVED	2

#define LOW_RAM_END		0x9fc00ULL
#define EBDA_END		0xa0000ULL
#define BIOS_START		0xf0000ULL
#define HIGH_RAM_START		0x100000ULL

static uint32_t get32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static void put64(unsigned char *p, uint64_t v)
{
	put32(p, v);
	put32(p + 4, v >> 32);
}

long multiboot_find_header(const struct image *img)
{
	size_t off;

	for (off = 0; off + 12 <= img->size && off + 12 <= MB_SEARCH; off += 4) {
		const unsigned char *p = img->data + off;

		if (get32(p) == MB_MAGIC &&
		    (uint32_t)(get32(p) + get32(p + 4) + get32(p + 8)) == 0)
			return off;
	}
	return -1;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Load with the header's addresses (flag 16). */
static int load_aout_kludge(struct vm *vm, const struct image *img, long hdr,
			    struct boot_plan *plan)
{
	const unsigned char *h = img->data + hdr;
	uint32_t header_addr, load_addr, load_end, bss_end, entry;
	uint64_t file_off, len;

	if ((size_t)hdr + 32 > img->size) {
		fprintf(stderr, "vtxctl: %s: Multiboot header with the a.out kludge is truncated\n",
			img->path);
		return -1;
	}
	header_addr = get32(h + 12);
	load_addr = get32(h + 16);
	load_end = get32(h + 20);
	bss_end = get32(h + 24);
	entry = get32(h + 28);

	if (header_addr < load_addr || header_addr - load_addr > (uint64_t)hdr) {
		fprintf(stderr, "vtxctl: %s: Multiboot header_addr 0x%x and load_addr 0x%x put the load before the start of the file\n",
			img->path, header_addr, load_addr);
		return -1;
	}
	file_off = hdr - (header_addr - load_addr);
	if (!load_end)
		load_end = load_addr + (img->size - file_off);
	len = (uint64_t)load_end - load_addr;
	if (load_end < load_addr || len > img->size - file_off) {
		fprintf(stderr, "vtxctl: %s: Multiboot load_end_addr 0x%x is outside the file\n",
			img->path, load_end);
		return -1;
	}
	if (!bss_end)
		bss_end = load_end;
	if (bss_end < load_end) {
		fprintf(stderr, "vtxctl: %s: Multiboot bss_end_addr 0x%x is below load_end_addr 0x%x\n",
			img->path, bss_end, load_end);
		return -1;
	}
	if (guest_write(vm, img->path, load_addr, img->data + file_off, len,
			(uint64_t)bss_end - load_addr))
		return -1;
	plan->format = FMT_MULTIBOOT;
	plan->mode = MODE_PROT32;
	plan->entry = entry;
	plan->image_start = load_addr;
	plan->image_end = bss_end;
	return 0;
}

/* A bump allocator over the Multiboot information area of guest RAM. */
struct info_area {
	struct vm *vm;
	uint64_t next;
};

static uint64_t info_alloc(struct info_area *ia, const void *src, size_t len)
{
	uint64_t gpa = align_up(ia->next, 8);

	if (gpa + len > BOOT_AREA_END || !gpa_to_hva(ia->vm, gpa, len)) {
		fprintf(stderr, "vtxctl: Multiboot information does not fit in 0x%llx-0x%llx\n",
			(unsigned long long)BOOT_INFO_START,
			(unsigned long long)BOOT_AREA_END);
		return 0;
	}
	if (src)
		memcpy(gpa_to_hva(ia->vm, gpa, len), src, len);
	else
		memset(gpa_to_hva(ia->vm, gpa, len), 0, len);
	ia->next = gpa + len;
	return gpa;
}

static uint64_t info_string(struct info_area *ia, const char *s)
{
	return info_alloc(ia, s, strlen(s) + 1);
}

static int add_mmap(unsigned char *e, unsigned int *n, uint64_t base,
		    uint64_t end, uint32_t type)
{
	if (end <= base)
		return 0;
	e += *n * 24;
	put32(e, 20);			/* size of the entry, without this field */
	put64(e + 4, base);
	put64(e + 12, end - base);
	put32(e + 20, type);
	(*n)++;
	return 0;
}

int load_multiboot(struct vm *vm, const struct image *img, long hdr_off,
		   const struct load_options *lo, struct boot_plan *plan)
{
	uint32_t flags = get32(img->data + hdr_off + 4);
	struct info_area ia = { .vm = vm, .next = BOOT_INFO_START };
	uint64_t ram = vm->ram_size, mbi, mods = 0, mmap, next_mod;
	unsigned char mbi_buf[MBI_SIZE], mmap_buf[4 * 24];
	unsigned int i, nr_mmap = 0;
	char *mods_buf = NULL, cmdline[8192];
	int r = -1;

	if (flags & MB_REQUIRED_UNKNOWN) {
		fprintf(stderr, "vtxctl: %s: Multiboot header requires features 0x%x that vtxctl does not know\n",
			img->path, flags & MB_REQUIRED_UNKNOWN);
		return -1;
	}
	if (flags & MB_FLAG_VIDEO_MODE)
		fprintf(stderr, "vtxctl: warning: %s asks for a video mode; vtxctl has no display and ignores it\n",
			img->path);
	if (lo->cmdline && strlen(lo->cmdline) + strlen(img->path) + 2 > sizeof(cmdline)) {
		fprintf(stderr, "vtxctl: --cmdline longer than %zu bytes\n", sizeof(cmdline) - 2);
		return -1;
	}
	if (ram < 2 * MiB) {
		fprintf(stderr, "vtxctl: a Multiboot guest needs at least 2M of RAM (--mem)\n");
		return -1;
	}

	if (flags & MB_FLAG_AOUT_KLUDGE) {
		if (load_aout_kludge(vm, img, hdr_off, plan))
			return -1;
	} else if (!elf_detect(img)) {
		fprintf(stderr, "vtxctl: %s: Multiboot header without the a.out kludge (flag 16) in a file that is not ELF\n",
			img->path);
		return -1;
	} else if (load_elf(vm, img, plan, true)) {
		return -1;
	}
	if (plan->image_start < BOOT_AREA_END && plan->image_end > BOOT_AREA_START) {
		fprintf(stderr, "vtxctl: %s: image at 0x%llx-0x%llx overlaps vtxctl's boot area 0x%llx-0x%llx\n",
			img->path, (unsigned long long)plan->image_start,
			(unsigned long long)plan->image_end,
			(unsigned long long)BOOT_AREA_START,
			(unsigned long long)BOOT_AREA_END);
		return -1;
	}

	/* Modules, page aligned, after the image and the boot area. */
	next_mod = align_up(plan->image_end > BOOT_AREA_END ? plan->image_end : BOOT_AREA_END,
			    4 * KiB);
	if (lo->nr_modules) {
		mods_buf = calloc(lo->nr_modules, 16);
		if (!mods_buf)
			return -1;
	}
	for (i = 0; i < lo->nr_modules; i++) {
		const char *arg = lo->modules[i];
		size_t plen = strcspn(arg, " \t");
		struct image mod;
		char path[4096];
		uint64_t str;

		if (!plen || plen >= sizeof(path)) {
			fprintf(stderr, "vtxctl: bad --module '%s'\n", arg);
			goto out;
		}
		memcpy(path, arg, plen);
		path[plen] = 0;
		if (image_read(path, &mod))
			goto out;
		if (next_mod + mod.size > 4 * GiB ||
		    guest_write(vm, path, next_mod, mod.data, mod.size, mod.size)) {
			if (next_mod + mod.size > 4 * GiB)
				fprintf(stderr, "vtxctl: module %s does not fit below 4 GiB\n", path);
			image_free(&mod);
			goto out;
		}
		str = info_string(&ia, arg);
		if (!str) {
			image_free(&mod);
			goto out;
		}
		put32((unsigned char *)mods_buf + i * 16, next_mod);
		put32((unsigned char *)mods_buf + i * 16 + 4, next_mod + mod.size);
		put32((unsigned char *)mods_buf + i * 16 + 8, str);
		put32((unsigned char *)mods_buf + i * 16 + 12, 0);
		next_mod = align_up(next_mod + mod.size, 4 * KiB);
		image_free(&mod);
	}
	if (lo->nr_modules) {
		mods = info_alloc(&ia, mods_buf, lo->nr_modules * 16);
		if (!mods)
			goto out;
	}

	add_mmap(mmap_buf, &nr_mmap, 0, ram < LOW_RAM_END ? ram : LOW_RAM_END,
		 MB_MMAP_AVAILABLE);
	add_mmap(mmap_buf, &nr_mmap, LOW_RAM_END, EBDA_END, MB_MMAP_RESERVED);
	add_mmap(mmap_buf, &nr_mmap, BIOS_START, HIGH_RAM_START, MB_MMAP_RESERVED);
	add_mmap(mmap_buf, &nr_mmap, HIGH_RAM_START, ram, MB_MMAP_AVAILABLE);
	mmap = info_alloc(&ia, mmap_buf, nr_mmap * 24);
	if (!mmap)
		goto out;

	memset(mbi_buf, 0, sizeof(mbi_buf));
	put32(mbi_buf + MBI_FLAGS, MBI_MEM | MBI_CMDLINE | MBI_MODS | MBI_MMAP |
	      MBI_LOADER_NAME);
	put32(mbi_buf + MBI_MEM_LOWER, LOW_RAM_END / KiB);
	put32(mbi_buf + MBI_MEM_UPPER, (ram - HIGH_RAM_START) / KiB > UINT32_MAX ?
	      UINT32_MAX : (ram - HIGH_RAM_START) / KiB);
	snprintf(cmdline, sizeof(cmdline), "%s%s%s", img->path, lo->cmdline ? " " : "",
		 lo->cmdline ? lo->cmdline : "");
	put32(mbi_buf + MBI_CMDLINE_PTR, info_string(&ia, cmdline));
	put32(mbi_buf + MBI_MODS_COUNT, lo->nr_modules);
	put32(mbi_buf + MBI_MODS_ADDR, mods);
	put32(mbi_buf + MBI_MMAP_LENGTH, nr_mmap * 24);
	put32(mbi_buf + MBI_MMAP_ADDR, mmap);
	put32(mbi_buf + MBI_LOADER_NAME_PTR, info_string(&ia, "vtxctl"));
	mbi = info_alloc(&ia, mbi_buf, sizeof(mbi_buf));
	if (!mbi || !get32(mbi_buf + MBI_CMDLINE_PTR) ||
	    !get32(mbi_buf + MBI_LOADER_NAME_PTR))
		goto out;

	plan->rax = MB_BOOT_MAGIC;
	plan->rbx = mbi;
	plan->mb_flags = flags;
	plan->mb_info = mbi;
	plan->nr_modules = lo->nr_modules;
	snprintf(plan->summary, sizeof(plan->summary),
		 "Multiboot (%s) at 0x%llx-0x%llx, protected mode, entry 0x%llx, info at 0x%llx, %u module%s",
		 flags & MB_FLAG_AOUT_KLUDGE ? "a.out kludge" :
		 plan->elf64 ? "ELF64" : "ELF32",
		 (unsigned long long)plan->image_start,
		 (unsigned long long)plan->image_end,
		 (unsigned long long)plan->entry, (unsigned long long)mbi,
		 lo->nr_modules, lo->nr_modules == 1 ? "" : "s");
	r = 0;
out:
	free(mods_buf);
	return r;
}
