// SPDX-License-Identifier: GPL-2.0
/*
 * Put a guest image into guest RAM: format detection and flat binaries.
 *
 * Detection (--format auto): a valid Multiboot v1 header in the first
 * 8 KiB makes the image Multiboot (as QEMU's -kernel does), else the ELF
 * magic makes it ELF, else it is a flat binary, copied byte for byte to
 * the load address, which is also the entry point; its CPU mode comes from
 * --mode (default real).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm.h"

#define DEFAULT_LOAD_REAL	0x1000ULL
#define DEFAULT_LOAD_HIGH	0x100000ULL
#define MAX_IMAGE_SIZE		(1 * GiB)

int image_read(const char *path, struct image *img)
{
	struct stat st;
	size_t done = 0;
	int fd;

	memset(img, 0, sizeof(*img));
	img->path = path;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "vtxctl: open %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "vtxctl: %s: not a regular file\n", path);
		goto fail;
	}
	if (st.st_size == 0) {
		fprintf(stderr, "vtxctl: %s: empty file\n", path);
		goto fail;
	}
	if ((unsigned long long)st.st_size > MAX_IMAGE_SIZE) {
		fprintf(stderr, "vtxctl: %s: larger than 1 GiB\n", path);
		goto fail;
	}
	img->size = st.st_size;
	img->data = malloc(img->size);
	if (!img->data) {
		fprintf(stderr, "vtxctl: %s: out of memory\n", path);
		goto fail;
	}
	while (done < img->size) {
		ssize_t n = read(fd, img->data + done, img->size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "vtxctl: read %s: %s\n", path,
				n < 0 ? strerror(errno) : "unexpected end of file");
			goto fail;
		}
		done += n;
	}
	close(fd);
	return 0;

fail:
	close(fd);
	image_free(img);
	return -1;
}

void image_free(struct image *img)
{
	free(img->data);
	img->data = NULL;
	img->size = 0;
}

int guest_write(struct vm *vm, const char *what, uint64_t gpa, const void *src,
		uint64_t len, uint64_t memsz)
{
	char *dst;

	if (memsz < len)
		memsz = len;
	dst = memsz ? gpa_to_hva(vm, gpa, memsz) : NULL;
	if (!dst) {
		fprintf(stderr, "vtxctl: %s: 0x%llx bytes at guest-physical 0x%llx do not fit in guest RAM (0x%llx bytes)\n",
			what, (unsigned long long)memsz, (unsigned long long)gpa,
			(unsigned long long)vm->ram_size);
		return -1;
	}
	memcpy(dst, src, len);
	memset(dst + len, 0, memsz - len);
	return 0;
}

int load_flat(struct vm *vm, const struct image *img, const struct load_options *lo,
	      struct boot_plan *plan)
{
	enum boot_mode mode = lo->have_mode ? lo->mode : MODE_REAL;
	uint64_t addr;

	if (lo->have_load_addr)
		addr = lo->load_addr;
	else
		addr = mode == MODE_REAL ? DEFAULT_LOAD_REAL : DEFAULT_LOAD_HIGH;
	if (guest_write(vm, img->path, addr, img->data, img->size, img->size))
		return -1;
	plan->format = FMT_FLAT;
	plan->mode = mode;
	plan->entry = addr;
	plan->image_start = addr;
	plan->image_end = addr + img->size;
	snprintf(plan->summary, sizeof(plan->summary),
		 "flat binary, %zu bytes at 0x%llx, %s mode, entry 0x%llx",
		 img->size, (unsigned long long)addr, boot_mode_name(mode),
		 (unsigned long long)addr);
	return 0;
}

static const char *const format_names[] = {
	[FMT_AUTO] = "auto",
	[FMT_FLAT] = "flat",
	[FMT_ELF] = "ELF",
	[FMT_MULTIBOOT] = "Multiboot",
};

/*
 * Load @path according to @lo.  Returns 0, -1 for a bad image (status
 * ST_SETUP) or -2 for options that do not fit the image (ST_USAGE).
 */
int load_image(struct vm *vm, const char *path, const struct load_options *lo,
	       struct boot_plan *plan)
{
	enum image_format fmt = lo->format;
	struct image img;
	long mb = -1;
	int r;

	memset(plan, 0, sizeof(*plan));
	if (image_read(path, &img))
		return -1;

	if (fmt == FMT_AUTO || fmt == FMT_MULTIBOOT)
		mb = multiboot_find_header(&img);
	if (fmt == FMT_AUTO)
		fmt = mb >= 0 ? FMT_MULTIBOOT : elf_detect(&img) ? FMT_ELF : FMT_FLAT;

	r = -2;
	if (fmt != FMT_FLAT && (lo->have_mode || lo->have_load_addr)) {
		fprintf(stderr, "vtxctl: %s is a%s %s image: --mode and --load-addr apply to flat binaries only\n",
			path, fmt == FMT_ELF ? "n" : "", format_names[fmt]);
		goto out;
	}
	if (fmt != FMT_MULTIBOOT && lo->nr_modules) {
		fprintf(stderr, "vtxctl: %s is not a Multiboot image: --module needs one\n", path);
		goto out;
	}

	r = -1;
	switch (fmt) {
	case FMT_MULTIBOOT:
		if (mb < 0) {
			fprintf(stderr, "vtxctl: %s: no valid Multiboot header in the first 8 KiB\n",
				path);
			break;
		}
		r = load_multiboot(vm, &img, mb, lo, plan);
		break;
	case FMT_ELF:
		if (!elf_detect(&img)) {
			fprintf(stderr, "vtxctl: %s: not an ELF file\n", path);
			break;
		}
		r = load_elf(vm, &img, plan, false);
		break;
	default:
		r = load_flat(vm, &img, lo, plan);
		break;
	}
out:
	image_free(&img);
	return r;
}
