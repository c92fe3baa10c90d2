// SPDX-License-Identifier: GPL-2.0
/*
 * vtx-ioctl-fuzz: host memory (buffers mapped, unmapped, protected,
 * zapped and truncated under live memslots) and the memslots themselves.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fz_ioctl.h"

#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 1
#endif

static void buf_fill(struct buf *b)
{
	if (b->state == B_RW)
		memset(b->base, 0xf4, b->size);
}

void buf_unmap(struct buf *b)
{
	/* back to a PROT_NONE placeholder: the window stays ours */
	mmap(b->base, BUF_WINDOW, PROT_NONE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
	n_syscalls++;
	if (b->memfd >= 0) {
		close(b->memfd);
		b->memfd = -1;
	}
	b->state = B_UNMAPPED;
	b->prot_changed = false;
	b->truncated = false;
}

void buf_map(struct session *s, struct buf *b)
{
	static const size_t sizes[] = {
		0x4000, 0x10000, 0x10000, 0x40000, 0x100000, 0x200000,
	};
	void *p;

	buf_unmap(b);
	b->size = sizes[rnd(&s->r, ARRAY_SIZE(sizes))];
	if (chance(&s->r, 1, 5)) {
		b->memfd = syscall(SYS_memfd_create, "fz", MFD_CLOEXEC);
		if (b->memfd < 0 || ftruncate(b->memfd, b->size)) {
			if (b->memfd >= 0)
				close(b->memfd);
			b->memfd = -1;
			return;
		}
		p = mmap(b->base, b->size, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, b->memfd, 0);
	} else {
		p = mmap(b->base, b->size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (p != MAP_FAILED && b->size >= 0x200000 &&
		    chance(&s->r, 1, 2))
			madvise(p, b->size, MADV_HUGEPAGE);
	}
	n_syscalls++;
	if (p == MAP_FAILED)
		return;
	b->state = B_RW;
	buf_fill(b);
	trace(s, "map buf %ld size 0x%zx%s", (long)(b - bufs), b->size,
	      b->memfd >= 0 ? " memfd" : "");
}

static void mem_unmap(struct session *s, struct buf *b, size_t off,
		      size_t len)
{
	trace(s, "munmap buf %ld", (long)(b - bufs));
	buf_unmap(b);
}

/* a hole in the middle, under live slots */
static void mem_hole(struct session *s, struct buf *b, size_t off,
		     size_t len)
{
	trace(s, "munmap buf %ld +0x%zx len 0x%zx", (long)(b - bufs),
	      off, len);
	mmap(b->base + off, len, PROT_NONE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
	     -1, 0);
	n_syscalls++;
	b->prot_changed = true;
}

static void mem_readonly(struct session *s, struct buf *b, size_t off,
			 size_t len)
{
	trace(s, "mprotect RO buf %ld", (long)(b - bufs));
	mprotect(b->base + off, len, PROT_READ);
	n_syscalls++;
	b->prot_changed = true;
}

static void mem_writable(struct session *s, struct buf *b, size_t off,
			 size_t len)
{
	trace(s, "mprotect RW buf %ld", (long)(b - bufs));
	mprotect(b->base, b->size, PROT_READ | PROT_WRITE);
	n_syscalls++;
}

static void mem_dontneed(struct session *s, struct buf *b, size_t off,
			 size_t len)
{
	/*
	 * Zapped pages come back as zeros: refill them with HLT at
	 * once (zeros executed in real mode with IF = 0, after an
	 * exception through a zeroed IVT, would hang the test VM).
	 */
	if (b->prot_changed || b->truncated)
		return;
	trace(s, "DONTNEED buf %ld +0x%zx", (long)(b - bufs), off);
	madvise(b->base + off, len, MADV_DONTNEED);
	memset(b->base + off, 0xf4, len);
	n_syscalls++;
}

static void mem_punch_hole(struct session *s, struct buf *b, size_t off,
			   size_t len)
{
	if (b->memfd < 0 || b->prot_changed || b->truncated)
		return;
	trace(s, "punch hole buf %ld", (long)(b - bufs));
	fallocate(b->memfd, 3 /* KEEP_SIZE | PUNCH_HOLE */, off, len);
	memset(b->base + off, 0xf4, len);
	n_syscalls++;
}

static void mem_truncate(struct session *s, struct buf *b, size_t off,
			 size_t len)
{
	/* the tail then faults (SIGBUS for the host, EFAULT for KVM) */
	if (b->memfd < 0)
		return;
	trace(s, "truncate buf %ld to 0x%zx", (long)(b - bufs), off);
	if (!ftruncate(b->memfd, off))
		b->truncated = true;
	n_syscalls++;
}

static void mem_remap(struct session *s, struct buf *b, size_t off,
		      size_t len)
{
	buf_map(s, b);
}

/*
 * The changes mem_op() makes, drawn from this table (a seed's call sequence
 * depends on the order).
 */
static void (*const mem_ops[])(struct session *s, struct buf *b, size_t off,
			       size_t len) = {
	mem_unmap, mem_hole, mem_readonly, mem_writable, mem_dontneed,
	mem_punch_hole, mem_truncate, mem_remap,
};

/* munmap/mprotect/madvise/truncate a buffer that slots may point into */
void mem_op(struct session *s)
{
	struct buf *b = &bufs[rnd(&s->r, NR_BUFS)];
	size_t off, len;

	if (b->state == B_UNMAPPED) {
		buf_map(s, b);
		return;
	}
	off = rnd(&s->r, b->size / PAGE_SIZE) * PAGE_SIZE;
	len = (1 + rnd(&s->r, (b->size - off) / PAGE_SIZE)) * PAGE_SIZE;
	mem_ops[rnd(&s->r, ARRAY_SIZE(mem_ops))](s, b, off, len);
}

/* ------------------------------------------------------------ memslots */

/* guest-physical address: low, near a boundary, overlapping, huge */
static uint64_t slot_gpa(struct session *s, const struct fslot *sh)
{
	uint64_t gpa;

	switch (rnd(&s->r, 6)) {
	case 0:
	case 1:
		gpa = rnd(&s->r, 0x400) * PAGE_SIZE;
		break;
	case 2:
		gpa = sh->used ? sh->gpa + (rnd(&s->r, 9) - 4) * PAGE_SIZE :
		      0xfffff000;
		break;
	case 3:
		gpa = (1ULL << (20 + rnd(&s->r, 29))) -
		      rnd(&s->r, 4) * PAGE_SIZE;
		break;
	case 4:
		gpa = rnd_interesting(&s->r);
		break;
	default:
		gpa = 0xfffc0000 + rnd(&s->r, 0x40) * PAGE_SIZE;
		break;
	}
	if (chance(&s->r, 1, 10))
		gpa += rnd(&s->r, PAGE_SIZE);
	return gpa;
}

/* size: 0 deletes */
static uint64_t slot_size(struct session *s, const struct fslot *sh,
			  const struct buf *b)
{
	uint64_t size;

	switch (rnd(&s->r, 6)) {
	case 0:
		size = 0;
		break;
	case 1:
	case 2:
		size = (1 + rnd(&s->r, b->size ? b->size / PAGE_SIZE :
				16)) * PAGE_SIZE;
		break;
	case 3:
		size = sh->used ? sh->size : PAGE_SIZE;
		break;
	case 4:
		size = rnd_interesting(&s->r);
		break;
	default:
		size = (1ULL << rnd(&s->r, 44)) & ~(PAGE_SIZE - 1);
		break;
	}
	if (chance(&s->r, 1, 12))
		size += 1 + rnd(&s->r, PAGE_SIZE - 1);
	return size;
}

/* host address: a buffer (maybe too small / unmapped), or hostile */
static uint64_t slot_hva(struct session *s, const struct fslot *sh,
			 const struct buf *b)
{
	uint64_t hva;

	switch (rnd(&s->r, 8)) {
	case 0:
		hva = sh->used ? sh->hva : (uintptr_t)b->base;
		break;
	case 1:
		hva = rnd_interesting(&s->r);
		break;
	case 2:
		hva = (uintptr_t)scratch;
		break;
	case 3:
		hva = (uintptr_t)ro_page;
		break;
	default:
		hva = (uintptr_t)b->base +
		      rnd(&s->r, b->size ? b->size / PAGE_SIZE : 4) * PAGE_SIZE;
		break;
	}
	if (chance(&s->r, 1, 16))
		hva += 1 + rnd(&s->r, 4095);
	return hva;
}

void slot_op(struct session *s)
{
	struct kvm_userspace_memory_region m;
	struct fslot *sh = &s->slots[rnd(&s->r, MAX_SLOTS)];
	struct buf *b = &bufs[rnd(&s->r, NR_BUFS)];
	bool w;
	void *p;
	long r;
	int vm = pick_vm(s);

	if (vm < 0) {
		create_vm(s);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.slot = chance(&s->r, 15, 16) ? rnd(&s->r, 36) :
		 (uint32_t)rnd_interesting(&s->r);
	if (chance(&s->r, 1, 3) && sh->used)
		m.slot = sh->slot;
	if (chance(&s->r, 1, 32))
		m.slot |= 1u << 16;
	m.flags = chance(&s->r, 3, 4) ? rnd(&s->r, 4) :
		  (uint32_t)rnd_interesting(&s->r);

	m.guest_phys_addr = slot_gpa(s, sh);
	m.memory_size = slot_size(s, sh, b);
	m.userspace_addr = slot_hva(s, sh, b);

	/*
	 * Known: a dirty-logged slot allocates its bitmap with vzalloc()
	 * (not memcg-accounted; a large one warns in dmesg).  Keep logged
	 * slots to 1 GiB (a 32 KiB bitmap) unless asked otherwise.
	 */
	if (opt_avoid && (m.flags & KVM_MEM_LOG_DIRTY_PAGES) &&
	    m.memory_size > (1ULL << 30))
		m.memory_size &= (1ULL << 30) - 1;

	p = arg_ptr(s, sizeof(m), &w);
	if (w)
		memcpy(p, &m, sizeof(m));
	r = fz_ioctl(s, s->vms[vm], KVM_SET_USER_MEMORY_REGION,
		     (unsigned long)p, "KVM_SET_USER_MEMORY_REGION");
	trace(s, "  slot %u flags %u gpa 0x%llx size 0x%llx hva 0x%llx -> %ld",
	      m.slot, m.flags, (unsigned long long)m.guest_phys_addr,
	      (unsigned long long)m.memory_size,
	      (unsigned long long)m.userspace_addr, r);
	if (r == 0 && w) {
		sh->used = m.memory_size != 0;
		sh->slot = m.slot;
		sh->flags = m.flags;
		sh->gpa = m.guest_phys_addr;
		sh->size = m.memory_size;
		sh->hva = m.userspace_addr;
	}
}
