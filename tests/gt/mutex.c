// SPDX-License-Identifier: GPL-2.0
/*
 * Ground truth: lock contention. `mutex [THREADS] [ROUNDS] [HOLD_US] [heap]` (defaults 4, 40,
 * 1000): THREADS threads each take one shared pthread mutex ROUNDS times, spin HOLD_US of CPU time
 * holding it, and release it. Only one thread can make progress at a time, so the others sleep
 * in futex: concprof's blocked "lock". The main thread joins them (a futex too). Each worker
 * also times its pthread_mutex_lock() calls on the wall clock (lock_wait_ns): inside them it is
 * asleep on the futex, waiting for a CPU after the wakeup, or briefly spinning.
 */
#include <pthread.h>
#include <string.h>

#include "gt.h"

/* The global `contended_lock`, or with "heap" one from malloc: concprof names either. */
static pthread_mutex_t contended_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t *lock = &contended_lock;
static long rounds;
static uint64_t hold_ns;

static void *worker(void *arg)
{
	uint64_t held = 0, lock_wait = 0;

	(void)arg;
	gt_thread_start();
	for (long i = 0; i < rounds; i++) {
		uint64_t t0 = gt_mono_ns();

		pthread_mutex_lock(lock);
		lock_wait += gt_mono_ns() - t0;
		t0 = gt_thread_cpu_ns();
		gt_spin_cpu_ns(hold_ns);
		held += gt_thread_cpu_ns() - t0;
		pthread_mutex_unlock(lock);
	}
	gt_report("worker", ",\"rounds\":%ld,\"held_cpu_ns\":%llu,\"lock_wait_ns\":%llu", rounds,
		  (unsigned long long)held, (unsigned long long)lock_wait);
	return NULL;
}

int main(int argc, char **argv)
{
	long nthreads = gt_arg(argc, argv, 1, 4);
	pthread_t *threads;

	gt_thread_start();
	rounds = gt_arg(argc, argv, 2, 40);
	hold_ns = (uint64_t)gt_arg(argc, argv, 3, 1000) * 1000ull;
	if (argc > 4 && strcmp(argv[4], "heap") == 0) {
		lock = malloc(sizeof(*lock));
		if (!lock || pthread_mutex_init(lock, NULL))
			gt_die("heap mutex");
	}
	threads = calloc(nthreads, sizeof(*threads));
	if (!threads)
		gt_die("calloc");
	for (long i = 0; i < nthreads; i++) {
		errno = pthread_create(&threads[i], NULL, worker, NULL);
		if (errno)
			gt_die("pthread_create");
	}
	for (long i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	gt_report("main", ",\"threads\":%ld", nthreads);
	return 0;
}
