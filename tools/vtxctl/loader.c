// SPDX-License-Identifier: GPL-2.0
/*
 * Put a guest image into guest RAM.
 *
 * Only flat binaries for now: the file is copied byte for byte to the load
 * address, which is also the entry point.  ELF and multiboot loaders belong
 * here too, filling the same struct load_info.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vtxctl.h"

int load_flat(struct vm *vm, const char *path, uint64_t addr,
	      struct load_info *info)
{
	struct stat st;
	size_t done = 0;
	char *dst;
	int fd;

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
		fprintf(stderr, "vtxctl: %s: empty image\n", path);
		goto fail;
	}

	dst = gpa_to_hva(vm, addr, st.st_size);
	if (!dst) {
		fprintf(stderr, "vtxctl: %s: %lld bytes at 0x%llx do not fit in guest RAM (%llu bytes)\n",
			path, (long long)st.st_size, (unsigned long long)addr,
			(unsigned long long)vm->ram_size);
		goto fail;
	}

	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, dst + done, st.st_size - done);

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

	info->start = addr;
	info->end = addr + st.st_size;
	info->entry = addr;
	return 0;

fail:
	close(fd);
	return -1;
}
