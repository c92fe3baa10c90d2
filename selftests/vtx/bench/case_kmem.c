// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel memory per VM and per vCPU: deltas of /proc/meminfo and
 * /proc/slabinfo around creating MEM_VMS VMs and their vCPUs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "harness.h"
#include "cases.h"

struct mem_snap {
	long long kib[NR_MEM_FIELDS];	/* MemUsed is -(MemFree + pcp) */
	int nr_slabs;
	struct slab_snap {
		char name[64];
		long long bytes;
	} slab[512];
};

static void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		return;
	if (write(fd, s, strlen(s)) < 0)
		fprintf(stderr, "# %s: %s\n", path, strerror(errno));
	close(fd);
}

/* Pages on the per-CPU free lists (not counted in MemFree), in KiB. */
static long long pcp_kib(void)
{
	FILE *f = fopen("/proc/zoneinfo", "r");
	char line[256];
	long long pages = 0, c;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %lld", &c) == 1)
			pages += c;
	fclose(f);
	return pages * (sysconf(_SC_PAGESIZE) / 1024);
}

static void mem_snapshot(struct mem_snap *s)
{
	char line[512], name[64];
	long long val, free_kib = 0;
	unsigned int i;
	FILE *f;

	memset(s, 0, sizeof(*s));
	/* Let RCU callbacks run, then fold the per-CPU vmstat deltas. */
	usleep(100000);
	write_file("/proc/sys/vm/stat_refresh", "1\n");
	f = fopen("/proc/meminfo", "r");
	VTX_ASSERT(f, "/proc/meminfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63[^:]: %lld", name, &val) != 2)
			continue;
		if (!strcmp(name, "MemFree"))
			free_kib = val;
		for (i = 1; i < MEM_SLABOBJ; i++)
			if (!strcmp(name, mem_fields[i]))
				s->kib[i] = val;
	}
	fclose(f);
	s->kib[0] = -(free_kib + pcp_kib());

	f = fopen("/proc/slabinfo", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && s->nr_slabs < 512) {
		long long active, num, size;

		if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
			continue;
		if (sscanf(line, "%63s %lld %lld %lld", name, &active, &num,
			   &size) != 4)
			continue;
		snprintf(s->slab[s->nr_slabs].name,
			 sizeof(s->slab[0].name), "%s", name);
		s->slab[s->nr_slabs++].bytes = active * size;
		s->kib[MEM_SLABOBJ] += active * size;
	}
	fclose(f);
	s->kib[MEM_SLABOBJ] /= 1024;
	/*
	 * Pages taken from the free pool minus slab pages, plus the bytes of
	 * the slab objects themselves: independent of whether new objects
	 * needed new slab pages (empty slabs are kept and reused).
	 */
	s->kib[MEM_ESTIMATE] = s->kib[0] - s->kib[1] + s->kib[MEM_SLABOBJ];
}

static long long slab_bytes(const struct mem_snap *s, const char *name)
{
	int i;

	for (i = 0; i < s->nr_slabs; i++)
		if (!strcmp(s->slab[i].name, name))
			return s->slab[i].bytes;
	return 0;
}

static struct mem_snap snap[4];

/*
 * MEM_VMS VMs, then MEM_VCPUS_PER_VM vCPUs in each, then close all:
 * per-VM and per-vCPU kernel memory from the deltas.
 */
void case_memory(void)
{
	int vm_fd[MEM_VMS], vcpu_fd[MEM_VMS][MEM_VCPUS_PER_VM];
	const int nr_vcpus = MEM_VMS * MEM_VCPUS_PER_VM;
	int round, i, j;

	/* Grow the fd table now, not while measuring. */
	if (dup2(sys_fd, 250) >= 0)
		close(250);
	for (round = 0; round < MEM_ROUNDS; round++) {
		mem_snapshot(&snap[0]);
		for (i = 0; i < MEM_VMS; i++) {
			vm_fd[i] = ioctl(sys_fd, KVM_CREATE_VM, 0);
			VTX_ASSERT(vm_fd[i] >= 0, "KVM_CREATE_VM: %s",
				   strerror(errno));
		}
		mem_snapshot(&snap[1]);
		for (i = 0; i < MEM_VMS; i++)
			for (j = 0; j < MEM_VCPUS_PER_VM; j++) {
				vcpu_fd[i][j] = ioctl(vm_fd[i],
						      KVM_CREATE_VCPU, j);
				VTX_ASSERT(vcpu_fd[i][j] >= 0,
					   "KVM_CREATE_VCPU: %s",
					   strerror(errno));
			}
		mem_snapshot(&snap[2]);
		for (i = 0; i < MEM_VMS; i++) {
			for (j = 0; j < MEM_VCPUS_PER_VM; j++)
				close(vcpu_fd[i][j]);
			close(vm_fd[i]);
		}
		mem_snapshot(&snap[3]);

		for (i = 0; i < (int)NR_MEM_FIELDS; i++)
			printf("@@M %s %d %d %s %.2f %.2f %lld\n", driver, pass,
			       round, mem_fields[i],
			       (double)(snap[1].kib[i] - snap[0].kib[i]) /
			       MEM_VMS,
			       (double)(snap[2].kib[i] - snap[1].kib[i]) /
			       nr_vcpus,
			       snap[3].kib[i] - snap[0].kib[i]);
		if (round)
			continue;
		/* Slab caches that grew, from the first round. */
		for (i = 0; i < snap[2].nr_slabs; i++) {
			const char *name = snap[2].slab[i].name;
			long long d_vm = slab_bytes(&snap[1], name) -
					 slab_bytes(&snap[0], name);
			long long d_vcpu = snap[2].slab[i].bytes -
					   slab_bytes(&snap[1], name);

			if (d_vm / MEM_VMS >= 64 || d_vcpu / nr_vcpus >= 64)
				printf("@@S %s %d %s %lld %lld\n", driver,
				       pass, name, d_vm / MEM_VMS,
				       d_vcpu / nr_vcpus);
		}
	}
}
