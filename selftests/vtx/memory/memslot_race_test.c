// SPDX-License-Identifier: GPL-2.0
/*
 * A memslot deleted and added again, or its dirty logging turned on and
 * off, while a vCPU keeps faulting in it.
 *
 * The vCPU thread runs the peek/poke guest (pp.h) in a loop: each command
 * sums one dword of every page of slot 1 (PP_SUM), so that every page is
 * faulted in again after each change.  A second thread, many rounds: delete
 * slot 1, fill the next of three buffers with the round's pattern, and add
 * slot 1 again at the same guest address backed by that buffer.  The two
 * share a sequence count, odd while a round is in progress.  After each
 * round the changing thread waits (yielding) until the vCPU has checked
 * the slot once, then starts the next round while the vCPU is already in
 * its next command: every round races with faults, and every round is
 * checked.
 *
 * A command that ran entirely between two rounds (the count even and the
 * same before and after it) must see only the current buffer: no MMIO
 * exit and the sum of the round's pattern.  A leaf left from an earlier
 * round (a fault that found the old slot installing after the unmap, on a
 * driver that reads memslots without the update lock) shows as a wrong
 * sum.  At the end, with the VM gone, vtx holds no pinned page.
 *
 * log_toggle_while_faulting: the same, but each round turns dirty logging
 * on (which unmaps the slot while it stays visible) and off again, over
 * the same buffer.  A fault that writes its leaf over one that the unmap
 * has cleared but not yet released loses that page's pin: vtx then holds
 * pinned pages after the VM is gone (and WARNs).
 *
 * Passes on kvm_intel the same way.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "memory_test.h"
#include "pp.h"

#define RACE_GPA	0x400000u
#define RACE_PAGES	16
#define RACE_SIZE	(RACE_PAGES * 4096u)
#define RACE_BUFS	3
/*
 * Test-VM seconds per test: 10 since session 14 (about 1,200 rounds each
 * in Bochs, every one checked; 20 gave 2,500 but cost 320 s of make
 * check's Bochs CPU with both tests on both drivers).
 */
#define RACE_SECONDS	10
/* MEMSLOT_RACE_SECONDS=N (1..RACE_SECONDS_MAX) replaces it: the suite's knob */
#define RACE_SECONDS_MAX	600
#define RACE_MAX_ROUNDS	20000
/* Offset of the summed dword in each page. */
#define RACE_OFF	0x124

/* The test's length in test-VM seconds: RACE_SECONDS or the environment's. */
static unsigned int race_seconds(void)
{
	const char *env = getenv("MEMSLOT_RACE_SECONDS");
	char *end;
	unsigned long v;

	if (!env || !*env)
		return RACE_SECONDS;
	v = strtoul(env, &end, 10);
	if (*end || v < 1 || v > RACE_SECONDS_MAX)
		return RACE_SECONDS;
	return v;
}

struct race {
	struct pp_vm *p;
	bool log_toggle;	/* toggle dirty logging, not delete/re-add */
	uint8_t *buf[RACE_BUFS];
	atomic_uint seq;	/* 2 * rounds done, odd during a round */
	atomic_uint checked;	/* the last round the vCPU checked */
	atomic_bool stop;
	long err;		/* first failed ioctl's errno, 0 */
	unsigned int rounds;
};

static uint32_t race_seed(unsigned int round)
{
	return 0x7ace0000u + round * 0x10001u;
}

static uint32_t race_sum(unsigned int round)
{
	uint32_t sum = 0;
	unsigned int i;

	for (i = 0; i < RACE_PAGES; i++)
		sum += pp_pattern(RACE_GPA + i * 4096u + RACE_OFF,
				  race_seed(round));
	return sum;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *race_ctl(void *arg)
{
	struct race *r = arg;
	unsigned int k;

	for (k = 1; k <= RACE_MAX_ROUNDS && !atomic_load(&r->stop); k++) {
		uint8_t *b = r->buf[k % RACE_BUFS];

		atomic_fetch_add(&r->seq, 1);	/* odd: round k runs */
		if (r->log_toggle) {
			b = r->buf[0];
			if (__vtx_set_memslot(r->p->vm->fd, 1,
					      KVM_MEM_LOG_DIRTY_PAGES, RACE_GPA,
					      RACE_SIZE, (uintptr_t)b) ||
			    __vtx_set_memslot(r->p->vm->fd, 1, 0, RACE_GPA,
					      RACE_SIZE, (uintptr_t)b)) {
				r->err = errno;
				break;
			}
			goto done;
		}
		if (__vtx_set_memslot(r->p->vm->fd, 1, 0, RACE_GPA, 0,
				      (uintptr_t)r->buf[(k - 1) % RACE_BUFS])) {
			r->err = errno;
			break;
		}
		pp_fill_host(b, RACE_GPA, RACE_SIZE, race_seed(k));
		if (__vtx_set_memslot(r->p->vm->fd, 1, 0, RACE_GPA, RACE_SIZE,
				      (uintptr_t)b)) {
			r->err = errno;
			break;
		}
done:
		atomic_fetch_add(&r->seq, 1);	/* even: round k done */
		r->rounds = k;
		while (atomic_load(&r->checked) < k && !atomic_load(&r->stop))
			sched_yield();
	}
	atomic_store(&r->stop, true);
	return NULL;
}

/* vtx's count of pinned guest pages (allocs_detail "pin N"); -1 if none. */
static long vtx_pins(void)
{
	FILE *f = fopen("/sys/module/vtx/parameters/allocs_detail", "r");
	char buf[512], *s;
	long n = -1;

	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f)) {
		s = strstr(buf, "pin ");
		if (s)
			n = strtol(s + 4, NULL, 10);
	}
	fclose(f);
	return n;
}

/* The slot's pattern in round @k: delete/re-add changes it, toggling not. */
static unsigned int race_round(const struct race *r, unsigned int k)
{
	return r->log_toggle ? 0 : k;
}

static void race_run(struct __test_metadata *_metadata, bool log_toggle)
{
	struct race r = { .log_toggle = log_toggle };
	unsigned long cmds = 0, checked = 0, busy = 0, bad = 0;
	struct pp_res res;
	pthread_t ctl;
	bool is_vtx;
	double end;
	int i;

	r.p = pp_create();
	is_vtx = vtx_is_vtx(r.p->vm->dev_fd);
	for (i = 0; i < RACE_BUFS; i++)
		r.buf[i] = pp_mmap(RACE_SIZE);
	pp_fill_host(r.buf[0], RACE_GPA, RACE_SIZE, race_seed(0));
	ASSERT_EQ(0, __vtx_set_memslot(r.p->vm->fd, 1, 0, RACE_GPA, RACE_SIZE,
				       (uintptr_t)r.buf[0]));
	PP(r.p, &res, PP_SUM, RACE_GPA + RACE_OFF, 0, RACE_PAGES, 4096);
	ASSERT_EQ(race_sum(0), res.value);

	ASSERT_EQ(0, pthread_create(&ctl, NULL, race_ctl, &r));
	end = now() + race_seconds();
	while (!atomic_load(&r.stop)) {
		unsigned int s1 = atomic_load(&r.seq), s2;

		if (now() > end)
			break;
		if (pp_exec(r.p, PP_SUM, RACE_GPA + RACE_OFF, 0, RACE_PAGES,
			    4096, &res)) {
			TH_LOG("command %lu: %s", cmds, pp_res_str(&res));
			bad++;
			break;
		}
		cmds++;
		s2 = atomic_load(&r.seq);
		if (s1 != s2 || (s1 & 1)) {
			busy++;
			continue;
		}
		checked++;
		atomic_store(&r.checked, s1 / 2);
		if (res.nmmio || res.value != race_sum(race_round(&r, s1 / 2))) {
			if (bad++ < 5)
				TH_LOG("round %u: %u MMIO exits, sum %#x, want %#x",
				       s1 / 2, res.nmmio, res.value,
				       race_sum(race_round(&r, s1 / 2)));
		}
	}
	atomic_store(&r.stop, true);
	pthread_join(ctl, NULL);
	LOG("%u rounds, %lu commands: %lu between rounds, %lu during one",
	    r.rounds, cmds, checked, busy);
	EXPECT_EQ(0, r.err);
	EXPECT_EQ(0, bad);
	EXPECT_LT(0, r.rounds);
	/* Each round was checked; the last one may have been cut short. */
	EXPECT_LE(r.rounds, checked + 1);

	/* After the last round: the current buffer only. */
	PP(r.p, &res, PP_SUM, RACE_GPA + RACE_OFF, 0, RACE_PAGES, 4096);
	EXPECT_EQ(0, res.nmmio);
	EXPECT_EQ(race_sum(race_round(&r, r.rounds)), res.value);
	pp_free(r.p);
	if (is_vtx)
		EXPECT_EQ(0, vtx_pins());
}

TEST_F_TIMEOUT(mem, delete_readd_while_faulting, 600)
{
	race_run(_metadata, false);
}

TEST_F_TIMEOUT(mem, log_toggle_while_faulting, 600)
{
	race_run(_metadata, true);
}

VTX_TEST_MAIN
