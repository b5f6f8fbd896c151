// SPDX-License-Identifier: GPL-2.0
/*
 * Ground truth: CPU-bound threads. `spin [THREADS] [MS]` (defaults: online CPUs, 500) starts
 * THREADS threads that each spin on user-mode arithmetic until they have had MS ms of CPU
 * time, while the main thread joins them. With more threads than CPUs each spinner waits on a
 * run queue about (THREADS / CPUs - 1) times its CPU time: runnable (preempted) in concprof,
 * run_delay in the kernel.
 */
#include <pthread.h>

#include "gt.h"

static uint64_t spin_ns;

static void *spinner(void *arg)
{
	(void)arg;
	gt_thread_start();
	gt_spin_cpu_ns(spin_ns);
	gt_report("spinner", ",\"spin_ns\":%llu", (unsigned long long)spin_ns);
	return NULL;
}

int main(int argc, char **argv)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	long nthreads = gt_arg(argc, argv, 1, cpus);
	pthread_t *threads;

	gt_thread_start();
	spin_ns = (uint64_t)gt_arg(argc, argv, 2, 500) * 1000000ull;
	threads = calloc(nthreads, sizeof(*threads));
	if (!threads)
		gt_die("calloc");
	for (long i = 0; i < nthreads; i++) {
		errno = pthread_create(&threads[i], NULL, spinner, NULL);
		if (errno)
			gt_die("pthread_create");
	}
	for (long i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	gt_report("main", ",\"threads\":%ld,\"cpus\":%ld", nthreads, cpus);
	return 0;
}
