// SPDX-License-Identifier: GPL-2.0
/*
 * The ELF loader, for 32- and 64-bit little-endian x86 executables.
 *
 * Every PT_LOAD segment is copied to its physical address (p_paddr) and
 * zero-filled up to p_memsz.  The entry point e_entry is a virtual address;
 * it is translated through the segment that holds it.
 *
 * A 32-bit image starts in 32-bit protected mode without paging, at the
 * physical entry.  A 64-bit image starts in long mode (boot.c) at e_entry:
 * the identity map covers images whose virtual and physical addresses are
 * equal; when every segment has vaddr = paddr + K with one K that is a
 * multiple of 1 GiB (a "higher half" kernel, e.g. K = 0xffffffff80000000),
 * the page tables map [K, K + RAM) onto physical 0 as well.
 *
 * For Multiboot (multiboot.c calls this with @for_multiboot) every image
 * starts in 32-bit protected mode at the physical entry, as the
 * specification requires.
 */
#include <elf.h>
#include <string.h>

#include "vmm.h"

/* The fields we use, from either class. */
struct elf_info {
	bool is64;
	uint16_t type, machine, phnum, phentsize;
	uint64_t entry, phoff;
};

struct elf_seg {
	uint32_t type;
	uint64_t offset, vaddr, paddr, filesz, memsz;
};

bool elf_detect(const struct image *img)
{
	return img->size >= EI_NIDENT && !memcmp(img->data, ELFMAG, SELFMAG);
}

static int elf_header(const struct image *img, struct elf_info *ei)
{
	const unsigned char *id = img->data;

	if (id[EI_CLASS] != ELFCLASS32 && id[EI_CLASS] != ELFCLASS64) {
		fprintf(stderr, "vtxctl: %s: unknown ELF class %u\n", img->path, id[EI_CLASS]);
		return -1;
	}
	if (id[EI_DATA] != ELFDATA2LSB) {
		fprintf(stderr, "vtxctl: %s: not a little-endian ELF file\n", img->path);
		return -1;
	}
	ei->is64 = id[EI_CLASS] == ELFCLASS64;
	if (ei->is64) {
		Elf64_Ehdr eh;

		if (img->size < sizeof(eh))
			goto short_file;
		memcpy(&eh, img->data, sizeof(eh));
		ei->type = eh.e_type;
		ei->machine = eh.e_machine;
		ei->entry = eh.e_entry;
		ei->phoff = eh.e_phoff;
		ei->phnum = eh.e_phnum;
		ei->phentsize = eh.e_phentsize;
		if (ei->phnum && ei->phentsize < sizeof(Elf64_Phdr))
			goto bad_phdr;
	} else {
		Elf32_Ehdr eh;

		if (img->size < sizeof(eh))
			goto short_file;
		memcpy(&eh, img->data, sizeof(eh));
		ei->type = eh.e_type;
		ei->machine = eh.e_machine;
		ei->entry = eh.e_entry;
		ei->phoff = eh.e_phoff;
		ei->phnum = eh.e_phnum;
		ei->phentsize = eh.e_phentsize;
		if (ei->phnum && ei->phentsize < sizeof(Elf32_Phdr))
			goto bad_phdr;
	}
	if (ei->type != ET_EXEC && ei->type != ET_DYN) {
		fprintf(stderr, "vtxctl: %s: ELF type %u is not an executable\n",
			img->path, ei->type);
		return -1;
	}
	if ((ei->is64 && ei->machine != EM_X86_64) ||
	    (!ei->is64 && ei->machine != EM_386)) {
		fprintf(stderr, "vtxctl: %s: ELF%s for machine %u, not %s\n", img->path,
			ei->is64 ? "64" : "32", ei->machine,
			ei->is64 ? "x86-64 (62)" : "i386 (3)");
		return -1;
	}
	if (!ei->phnum || ei->phoff > img->size ||
	    (uint64_t)ei->phnum * ei->phentsize > img->size - ei->phoff)
		goto bad_phdr;
	return 0;

short_file:
	fprintf(stderr, "vtxctl: %s: truncated ELF header\n", img->path);
	return -1;
bad_phdr:
	fprintf(stderr, "vtxctl: %s: no program headers, or they lie outside the file\n",
		img->path);
	return -1;
}

static void elf_segment(const struct image *img, const struct elf_info *ei,
			unsigned int i, struct elf_seg *s)
{
	const unsigned char *p = img->data + ei->phoff + (uint64_t)i * ei->phentsize;

	if (ei->is64) {
		Elf64_Phdr ph;

		memcpy(&ph, p, sizeof(ph));
		s->type = ph.p_type;
		s->offset = ph.p_offset;
		s->vaddr = ph.p_vaddr;
		s->paddr = ph.p_paddr;
		s->filesz = ph.p_filesz;
		s->memsz = ph.p_memsz;
	} else {
		Elf32_Phdr ph;

		memcpy(&ph, p, sizeof(ph));
		s->type = ph.p_type;
		s->offset = ph.p_offset;
		s->vaddr = ph.p_vaddr;
		s->paddr = ph.p_paddr;
		s->filesz = ph.p_filesz;
		s->memsz = ph.p_memsz;
	}
}

static bool canonical(uint64_t va)
{
	return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

int load_elf(struct vm *vm, const struct image *img, struct boot_plan *plan,
	     bool for_multiboot)
{
	uint64_t lo = UINT64_MAX, hi = 0, entry_phys = 0, offset = 0;
	bool entry_found = false, one_offset = true;
	unsigned int i, nr_load = 0;
	struct elf_info ei;
	char what[64];

	if (elf_header(img, &ei))
		return -1;

	for (i = 0; i < ei.phnum; i++) {
		struct elf_seg s;

		elf_segment(img, &ei, i, &s);
		if (s.type != PT_LOAD || !s.memsz)
			continue;
		snprintf(what, sizeof(what), "%s segment %u", img->path, i);
		if (s.filesz > s.memsz || s.offset > img->size ||
		    s.filesz > img->size - s.offset) {
			fprintf(stderr, "vtxctl: %s: file size 0x%llx at offset 0x%llx does not fit the file or exceeds its memory size\n",
				what, (unsigned long long)s.filesz,
				(unsigned long long)s.offset);
			return -1;
		}
		if (s.paddr + s.memsz < s.paddr) {
			fprintf(stderr, "vtxctl: %s: wraps around\n", what);
			return -1;
		}
		if (guest_write(vm, what, s.paddr, img->data + s.offset, s.filesz, s.memsz))
			return -1;
		if (s.paddr < lo)
			lo = s.paddr;
		if (s.paddr + s.memsz > hi)
			hi = s.paddr + s.memsz;
		if (nr_load && s.vaddr - s.paddr != offset)
			one_offset = false;
		offset = s.vaddr - s.paddr;
		if (!entry_found && ei.entry >= s.vaddr && ei.entry - s.vaddr < s.memsz) {
			entry_phys = ei.entry - s.vaddr + s.paddr;
			entry_found = true;
		}
		nr_load++;
	}
	if (!nr_load) {
		fprintf(stderr, "vtxctl: %s: no loadable segment\n", img->path);
		return -1;
	}
	if (!entry_found) {
		fprintf(stderr, "vtxctl: %s: entry point 0x%llx is outside every loadable segment\n",
			img->path, (unsigned long long)ei.entry);
		return -1;
	}

	plan->format = for_multiboot ? FMT_MULTIBOOT : FMT_ELF;
	plan->elf64 = ei.is64;
	plan->image_start = lo;
	plan->image_end = hi;
	if (for_multiboot || !ei.is64) {
		if (entry_phys >= 4 * GiB) {
			fprintf(stderr, "vtxctl: %s: 32-bit entry 0x%llx above 4 GiB\n",
				img->path, (unsigned long long)entry_phys);
			return -1;
		}
		plan->mode = MODE_PROT32;
		plan->entry = entry_phys;
	} else {
		plan->mode = MODE_LONG;
		plan->entry = ei.entry;
		if (offset && !one_offset) {
			fprintf(stderr, "vtxctl: %s: segments have different virtual-physical offsets; vtxctl maps one\n",
				img->path);
			return -1;
		}
		if (offset && (offset % GiB || !canonical(offset))) {
			fprintf(stderr, "vtxctl: %s: virtual = physical + 0x%llx: vtxctl maps only offsets that are canonical multiples of 1 GiB\n",
				img->path, (unsigned long long)offset);
			return -1;
		}
		plan->high_offset = offset;
	}
	snprintf(plan->summary, sizeof(plan->summary),
		 "ELF%s, %u loadable segment%s at 0x%llx-0x%llx, %s mode, entry 0x%llx%s",
		 ei.is64 ? "64" : "32", nr_load, nr_load == 1 ? "" : "s",
		 (unsigned long long)lo, (unsigned long long)hi,
		 boot_mode_name(plan->mode), (unsigned long long)plan->entry,
		 plan->high_offset ? " (virtual, higher half mapped)" : "");
	return 0;
}
