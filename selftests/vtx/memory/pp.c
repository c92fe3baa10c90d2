// SPDX-License-Identifier: GPL-2.0
/*
 * Host side of the peek/poke guest (pp.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vtx.h"
#include "vtx_exits.h"
#include "pp.h"

extern const uint8_t pp_guest[], pp_guest_end[];

void *pp_mmap(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	VTX_ASSERT(p != MAP_FAILED, "mmap %zu bytes: %s", size, strerror(errno));
	return p;
}

void pp_fill_host(void *hva, uint32_t gpa, size_t size, uint32_t seed)
{
	uint32_t *p = hva;
	size_t i;

	for (i = 0; i < size / 4; i++)
		p[i] = pp_pattern(gpa + 4 * i, seed);
}

size_t pp_check_host(const void *hva, uint32_t gpa, size_t size,
		     uint32_t seed)
{
	const uint32_t *p = hva;
	size_t i, bad = 0;

	for (i = 0; i < size / 4; i++)
		bad += p[i] != pp_pattern(gpa + 4 * i, seed);
	return bad;
}

static int pp_loop(struct pp_vm *p, struct pp_res *res)
{
	struct kvm_run *run = p->vcpu->run;
	struct vtx_ucall uc;
	long r;

	for (;;) {
		r = __vtx_run(p->vcpu);
		if (r < 0) {
			res->err = r;
			return -1;
		}
		res->exit_reason = run->exit_reason;
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			if (run->io.port == PP_PORT_CMD &&
			    run->io.direction == KVM_EXIT_IO_OUT)
				return 0;
			if (run->io.port == PP_PORT_DATA &&
			    run->io.direction == KVM_EXIT_IO_IN &&
			    run->io.size == 1) {
				uint8_t *d = vtx_io_data(p->vcpu);
				unsigned int i;

				for (i = 0; i < run->io.count; i++)
					d[i] = pp_in_byte(res->nin++);
				continue;
			}
			if (vtx_get_ucall(p->vcpu, &uc) == UCALL_REPORT) {
				res->reported = true;
				res->value = (uint32_t)uc.regs.rbx;
				continue;
			}
			return -1;
		case KVM_EXIT_MMIO:
			if (res->nmmio < PP_MAX_MMIO) {
				struct pp_mmio *m = &res->mmio[res->nmmio];

				m->addr = run->mmio.phys_addr;
				m->len = run->mmio.len;
				m->is_write = run->mmio.is_write;
				memcpy(m->data, run->mmio.data, sizeof(m->data));
			}
			res->nmmio++;
			if (!run->mmio.is_write) {
				memset(run->mmio.data, 0, sizeof(run->mmio.data));
				memcpy(run->mmio.data, &p->mmio_read_value,
				       run->mmio.len <= 8 ? run->mmio.len : 8);
			}
			continue;
		case KVM_EXIT_HLT:
			res->halted = true;
			continue;
		default:
			return -1;
		}
	}
}

int pp_exec(struct pp_vm *p, uint32_t op, uint32_t addr, uint32_t value,
	    uint32_t count, uint32_t stride, struct pp_res *res)
{
	uint32_t *mbox = (uint32_t *)(p->ram + PP_MBOX_GPA);

	memset(res, 0, sizeof(*res));
	mbox[0] = op;
	mbox[1] = addr;
	mbox[2] = value;
	mbox[3] = count;
	mbox[4] = stride;
	if (pp_loop(p, res))
		return -1;
	/* the commands that report must have */
	switch (op) {
	case PP_READ8:
	case PP_READ16:
	case PP_READ32:
	case PP_CHECK:
	case PP_SUM:
		return res->reported ? 0 : -1;
	}
	return res->reported ? -1 : 0;
}

int pp_resume(struct pp_vm *p, struct pp_res *res)
{
	memset(res, 0, sizeof(*res));
	return pp_loop(p, res);
}

int64_t pp_read_pages_exits(struct pp_vm *p, uint32_t gpa,
			    unsigned int pages)
{
	int64_t e0 = vtx_vcpu_exits(p->vcpu), e1;
	struct pp_res res;

	if (pp_exec(p, PP_SUM, gpa, 0, pages, VTX_PAGE_SIZE, &res) ||
	    res.nmmio)
		vtx_die("PP_SUM of %u pages at %#x: %s", pages, gpa,
			pp_res_str(&res));
	e1 = vtx_vcpu_exits(p->vcpu);
	return e0 < 0 || e1 < 0 ? -1 : e1 - e0;
}

const char *pp_res_str(const struct pp_res *res)
{
	static char buf[256];

	snprintf(buf, sizeof(buf),
		 "err %ld (%s), last exit %s (%u), reported %d value %#x, %u MMIO exits%s",
		 res->err, res->err ? strerror((int)-res->err) : "none",
		 vtx_exit_reason_str(res->exit_reason), res->exit_reason,
		 res->reported, res->value, res->nmmio,
		 res->halted ? ", halted" : "");
	return buf;
}

struct pp_vm *pp_create(void)
{
	struct pp_vm *p = calloc(1, sizeof(*p));
	struct pp_res res;

	VTX_ASSERT(p, "out of memory");
	p->vm = vtx_vm_create();
	p->ram = vtx_vm_add_mem(p->vm, 0, 0, PP_RAM_SIZE);
	p->vcpu = vtx_vcpu_add(p->vm, 0);
	vtx_load_code(p->vm, VTX_CODE_GPA, pp_guest, pp_guest_end);
	vtx_setup_mode(p->vcpu, VTX_MODE_PROT32, VTX_CODE_GPA);
	p->mmio_read_value = 0xdeadbeefcafef00dull;
	memset(&res, 0, sizeof(res));
	/* run to the first command point */
	if (pp_loop(p, &res))
		vtx_die("pp guest did not reach its command port: %s",
			pp_res_str(&res));
	return p;
}

void pp_free(struct pp_vm *p)
{
	if (!p)
		return;
	vtx_vcpu_free(p->vcpu);
	vtx_vm_free(p->vm);
	free(p);
}

long pp_anon_huge_kb(void *addr)
{
	unsigned long a = (unsigned long)addr, lo, hi;
	bool in = false;
	char line[256];
	long kb = -1;
	FILE *f;

	f = fopen("/proc/self/smaps", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		/* a mapping's first line: "lo-hi perms ..." */
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
			in = a >= lo && a < hi;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

int pp_thp_mode(char *buf, size_t size)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

	if (!f) {
		snprintf(buf, size, "no sysfs file");
		return -1;
	}
	if (!fgets(buf, size, f))
		buf[0] = 0;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return strstr(buf, "[never]") ? 0 : 1;
}
