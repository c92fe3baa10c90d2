// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side unit test of module/emulate.c, the MMIO instruction emulator.
 *
 * Classes:
 * Every instruction form emulate.c handles is a template (native.c): MOV,
 * MOVZX/MOVSX, ALU, TEST, XCHG, INC/DEC/NOT/NEG, the eight shifts and
 * rotates by imm8/1/CL, BT* (imm8 and register bit offsets), SETcc, XADD,
 * CMPXCHG, CMPXCHG8B, MOVBE, PUSH/POP/CALL/JMP through memory (the stack
 * in the scratch area), MOVS/STOS/LODS/CMPS/SCAS with REP prefixes.
 * RFLAGS is compared bit for bit with the CPU's (only AF after a logical
 * operation is masked, and only on a CPU that is not Intel).
 *
 *   native64	64-bit encodings generated programmatically, each run on the
 *		real CPU (trampoline.S) and through the emulator against a
 *		copy of the same memory; everything must match (gen64.c).
 *   native32	the same in 32-bit code (compatibility mode) and 16-bit
 *   native16	code (16-bit LDT segment), with random segment bases
 *		(legacy.c, legacy.S).
 *   hand16/32	16- and 32-bit code, hand-checked expectation tables.
 *   negative	what must be refused (-EINVAL/-EFAULT), never emulated.
 *   api	the decode/complete protocol, faults, SMSW/LMSW (negative.c).
 *   walk	module/x86/walk.c, the page walk of the emulator's accesses,
 *		over synthetic guest page tables (walk_test.c).
 *
 * Output is TAP; the last line is "N passed, N failed".  Exit status is 1
 * when anything failed.
 */
#include <stdlib.h>
#include "test.h"

static unsigned int n_pass, n_fail, n_skip, n_test;

#define MAX_CLASSES 12
static struct {
	const char *name;
	unsigned int pass, fail;
} classes[MAX_CLASSES];
static int cur_class = -1;

void class_begin(const char *name)
{
	cur_class++;
	classes[cur_class].name = name;
	printf("# class %s\n", name);
}

void tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	n_test++;
	printf("%sok %u ", ok ? "" : "not ", n_test);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (ok) {
		n_pass++;
		classes[cur_class].pass++;
	} else {
		n_fail++;
		classes[cur_class].fail++;
	}
}

void tap_skip(const char *name, const char *why)
{
	n_test++;
	n_skip++;
	printf("ok %u %s # SKIP %s\n", n_test, name, why);
}

void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static u64 rnd_state;

void rnd_seed(u64 seed)
{
	rnd_state = seed ? seed : 1;
}

u64 rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 0x2545F4914F6CDD1DULL;
}

u64 rnd_below(u64 n)
{
	return n ? rnd() % n : 0;
}

char *hexstr(char *buf, const u8 *b, unsigned int n)
{
	unsigned int i;

	buf[0] = 0;
	for (i = 0; i < n; i++)
		sprintf(buf + (i ? 3 * i - 1 : 0), "%s%02x", i ? " " : "",
			b[i]);
	return buf;
}

int main(void)
{
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	test_native64();
	test_native_legacy();
	test_hand();
	test_negative();
	test_walk();
	printf("1..%u\n", n_test);
	for (i = 0; i <= cur_class; i++)
		printf("# %-10s %5u passed, %u failed\n", classes[i].name,
		       classes[i].pass, classes[i].fail);
	if (n_skip)
		printf("# %u skipped\n", n_skip);
	printf("%u passed, %u failed\n", n_pass, n_fail);
	return n_fail ? 1 : 0;
}
