/* SPDX-License-Identifier: GPL-2.0 */
/*
 * "Peek/poke": a 32-bit protected-mode guest (pp_guest.S) that runs
 * commands the host leaves in a mailbox, so that a test can change the
 * VM's memory between two KVM_RUNs and then make the guest look at it.
 *
 * The guest stops at an OUT to PP_PORT_CMD; the host writes the mailbox
 * (op, addr, value, count, stride) and calls KVM_RUN; the guest runs the
 * command, reports a value with a ucall REPORT (RBX) for reads, and comes
 * back to PP_PORT_CMD.  Guest paging is off: an address is a GPA.
 * Memory outside every memslot is MMIO: the host logs each KVM_EXIT_MMIO
 * and answers reads with pp->mmio_read_value.
 *
 * The constants are shared with the guest assembly.
 */
#ifndef VTX_MEMORY_PP_H
#define VTX_MEMORY_PP_H

#include "vtx.h"

/* Slot 0: [0, PP_RAM_SIZE) holds the guest's code, stack and mailbox. */
#define PP_RAM_SIZE	0x100000
#define PP_PORT_CMD	0xf0
#define PP_PORT_DATA	0xf1	/* PP_INS reads it: pp_in_byte() */
#define PP_MBOX_GPA	VTX_DATA_GPA	/* 5 u32: op addr value count stride */

/* Commands (mailbox op) */
#define PP_HALT		0	/* hlt, then wait for the next command */
#define PP_READ8	1	/* report the byte/word/dword at addr */
#define PP_READ16	2
#define PP_READ32	3
#define PP_WRITE8	4	/* store the low byte/word/dword of value */
#define PP_WRITE16	5
#define PP_WRITE32	6
#define PP_FILL		7	/* count dwords from addr: dword at a = a ^ value */
#define PP_CHECK	8	/* report how many of count dwords != a ^ value */
#define PP_SUM		9	/* report the sum of count dwords, stride apart */
#define PP_INS		10	/* rep insb: count bytes from PP_PORT_DATA to addr */
#define PP_MOVS		11	/* rep movsb: count bytes from value to addr */
#define PP_NR_OPS	12

#ifndef __ASSEMBLER__

#define PP_MAX_MMIO	16

struct pp_mmio {
	uint64_t addr;
	uint32_t len;
	uint8_t is_write;
	uint8_t data[8];
};

/* What one command did. */
struct pp_res {
	long err;		/* KVM_RUN's -errno, else 0 */
	uint32_t exit_reason;	/* the last exit seen */
	bool reported;
	uint32_t value;		/* the reported value */
	bool halted;		/* a KVM_EXIT_HLT was seen */
	unsigned int nmmio;	/* KVM_EXIT_MMIO exits seen */
	unsigned int nin;	/* bytes read from PP_PORT_DATA */
	struct pp_mmio mmio[PP_MAX_MMIO];	/* the first PP_MAX_MMIO */
};

struct pp_vm {
	struct vtx_vm *vm;
	struct vtx_vcpu *vcpu;
	uint8_t *ram;			/* slot 0 */
	uint64_t mmio_read_value;	/* data for MMIO reads */
};

/* A VM with slot 0 and the guest waiting for its first command. */
struct pp_vm *pp_create(void);
void pp_free(struct pp_vm *p);

/*
 * Run one command.  Returns 0 when the guest is back waiting for the next
 * one (having reported a value if and only if the command reports one),
 * -1 when KVM_RUN failed (res->err) or an unexpected exit stopped it
 * (res->exit_reason); pp_resume() then goes on with the same command.
 */
int pp_exec(struct pp_vm *p, uint32_t op, uint32_t addr, uint32_t value,
	    uint32_t count, uint32_t stride, struct pp_res *res);
int pp_resume(struct pp_vm *p, struct pp_res *res);

/*
 * The VM exits (vtx_exits.h) of one PP_SUM that reads a dword of each of
 * @pages pages from @gpa, or -1 when the driver counts none; dies when
 * the command fails.  Two in a row: the second has only the command's own
 * exits (the port, the report) and the host's interrupts.
 */
int64_t pp_read_pages_exits(struct pp_vm *p, uint32_t gpa,
			    unsigned int pages);

/* One-line description of @res for logs. */
const char *pp_res_str(const struct pp_res *res);

/* Byte @i that PP_PORT_DATA supplies to one PP_INS */
static inline uint8_t pp_in_byte(unsigned int i)
{
	return (uint8_t)(0xa0 + i * 7);
}

/* mmap @size bytes of private anonymous memory, or die. */
void *pp_mmap(size_t size);
/* The pattern PP_FILL/PP_CHECK use: the dword at GPA @gpa. */
static inline uint32_t pp_pattern(uint32_t gpa, uint32_t seed)
{
	return gpa ^ seed;
}
/* Host side of PP_FILL: @hva backs GPAs [gpa, gpa + size). */
void pp_fill_host(void *hva, uint32_t gpa, size_t size, uint32_t seed);
/* Host side of PP_CHECK: the number of dwords that differ. */
size_t pp_check_host(const void *hva, uint32_t gpa, size_t size,
		     uint32_t seed);
/* AnonHugePages of the mapping that contains @addr, in kB (-1: unknown). */
long pp_anon_huge_kb(void *addr);
/*
 * Is THP on ("always" or "madvise")?  1 yes, 0 "never", -1 no sysfs file;
 * @buf gets the sysfs line (or why there is none).
 */
int pp_thp_mode(char *buf, size_t size);

/*
 * For the tests (after the kselftest harness): run a command that must
 * complete, the result in *@res; a guest read of RAM that must give
 * @want without an MMIO exit.
 */
#define PP(p, res, op, addr, val, count, stride)				\
	ASSERT_EQ(0, pp_exec(p, op, addr, val, count, stride, res))	\
		TH_LOG("%s at %#x: %s", #op, (unsigned int)(addr),	\
		       pp_res_str(res))

#define EXPECT_RAM_READ(p, res, addr, want) do {			\
	PP(p, res, PP_READ32, addr, 0, 0, 0);				\
	EXPECT_EQ(0, (res)->nmmio) TH_LOG("read of %#x", (unsigned int)(addr)); \
	EXPECT_EQ((uint32_t)(want), (res)->value)			\
		TH_LOG("read of %#x", (unsigned int)(addr));		\
} while (0)

#endif /* !__ASSEMBLER__ */
#endif /* VTX_MEMORY_PP_H */
