// SPDX-License-Identifier: GPL-2.0
/*
 * Ground truth: thread stacks. `stacks [THREADS] [KIB]` (defaults 100, 1024): THREADS threads
 * each touch KIB KiB of their own stack (a local array, every page written), then wait at a
 * barrier with that frame still live, so they block in futex at their deepest. Each reports
 * the size of its stack's mapping as the kernel sees it in /proc/self/maps (the line holding
 * its stack pointer) and the bytes it touched.
 */
#include <pthread.h>
#include <string.h>

#include "gt.h"

static pthread_barrier_t barrier;
static long kib;

/* The mapping containing addr, from /proc/self/maps: its size, or 0. */
static unsigned long long mapping_size(unsigned long addr)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "re");
	unsigned long long size = 0;

	if (!f)
		gt_die("/proc/self/maps");
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && lo <= addr && addr < hi) {
			size = hi - lo;
			break;
		}
	}
	fclose(f);
	return size;
}

static __attribute__((noinline)) unsigned long deep(void)
{
	size_t n = (size_t)kib * 1024;
	volatile char *buf = __builtin_alloca(n);
	unsigned long sum = 0;

	for (size_t i = 0; i < n; i += 4096)
		buf[i] = (char)i;
	buf[n - 1] = 1;
	pthread_barrier_wait(&barrier); /* asleep here, at its deepest */
	for (size_t i = 0; i < n; i += 4096)
		sum += buf[i];
	return sum;
}

static void *worker(void *arg)
{
	unsigned long long map;
	int here;

	(void)arg;
	gt_thread_start();
	map = mapping_size((unsigned long)&here);
	deep();
	gt_report("worker", ",\"touched_bytes\":%llu,\"stack_mapping_bytes\":%llu",
		  (unsigned long long)kib * 1024, map);
	return NULL;
}

int main(int argc, char **argv)
{
	long nthreads = gt_arg(argc, argv, 1, 100);
	pthread_t *threads;

	gt_thread_start();
	kib = gt_arg(argc, argv, 2, 1024);
	threads = calloc(nthreads, sizeof(*threads));
	if (!threads || pthread_barrier_init(&barrier, NULL, nthreads + 1))
		gt_die("setup");
	for (long i = 0; i < nthreads; i++) {
		errno = pthread_create(&threads[i], NULL, worker, NULL);
		if (errno)
			gt_die("pthread_create");
	}
	pthread_barrier_wait(&barrier);
	for (long i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	gt_report("main", ",\"threads\":%ld", nthreads);
	return 0;
}
