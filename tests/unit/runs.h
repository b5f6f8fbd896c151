/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hand-made runs for the unit tests: builders, and the known situations the report must explain
 * (the lecture's sequential download, spinning threads, a contended mutex, ...). Every run is
 * heap-allocated like the collector's, so cp_run_free() releases it.
 */
#ifndef CONCPROF_TEST_RUNS_H
#define CONCPROF_TEST_RUNS_H

#include "model.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS  1000000ULL
#define SEC 1000000000ULL

static inline void *test_xrealloc(void *p, size_t size)
{
	p = realloc(p, size);
	if (!p) {
		fprintf(stderr, "out of memory\n");
		abort();
	}
	return p;
}

/* argv is a NULL-terminated list. */
static inline void run_init(struct cp_run *run, uint64_t wall_ns, int cpus, const char *const *argv)
{
	*run = (struct cp_run){ 0 };
	run->wall_ns = wall_ns;
	run->cpus = cpus;
	run->kernel_hz = 250;
	run->root_pid = 1000;
	while (argv && argv[run->argc])
		run->argc++;
	run->argv = test_xrealloc(NULL, (run->argc + 1) * sizeof(*run->argv));
	for (int i = 0; i < run->argc; i++)
		run->argv[i] = strdup(argv[i]);
	run->argv[run->argc] = NULL;
	run->concurrency.complete = true;
}

static inline struct cp_process *run_add_process(struct cp_run *run, int32_t pid, int32_t ppid,
						 const char *comm, uint64_t start_ns,
						 uint64_t end_ns)
{
	struct cp_process *p;

	run->procs = test_xrealloc(run->procs, (run->nr_procs + 1) * sizeof(*run->procs));
	p = &run->procs[run->nr_procs++];
	*p = (struct cp_process){
		.pid = pid, .ppid = ppid, .start_ns = start_ns, .end_ns = end_ns, .exited = true
	};
	strncpy(p->comm, comm, CP_COMM_LEN - 1);
	return p;
}

/* The pointer is valid until the next run_add_thread(); finish it with thread_seal(). */
static inline struct cp_thread *run_add_thread(struct cp_run *run, int32_t tid, int32_t pid,
					       const char *comm, uint64_t start_ns)
{
	struct cp_thread *t;

	run->threads = test_xrealloc(run->threads, (run->nr_threads + 1) * sizeof(*run->threads));
	t = &run->threads[run->nr_threads++];
	*t = (struct cp_thread){
		.tid = tid, .pid = pid, .start_ns = start_ns, .exited = true, .other_syscall = -1
	};
	strncpy(t->comm, comm, CP_COMM_LEN - 1);
	return t;
}

/* end = start + the states' sum: the model's invariant, by construction. */
static inline void thread_seal(struct cp_thread *t)
{
	t->end_ns = t->start_ns + t->user_ns + t->sys_ns + t->runnable_preempted_ns +
		    t->runnable_woken_ns + cp_thread_blocked_ns(t);
}

/* ns_at[0..nr_levels-1] as given. */
static inline void run_set_concurrency(struct cp_run *run, bool complete, size_t nr_levels, ...)
{
	va_list ap;

	run->concurrency.ns_at = test_xrealloc(NULL, nr_levels * sizeof(uint64_t));
	run->concurrency.nr_levels = nr_levels;
	run->concurrency.complete = complete;
	va_start(ap, nr_levels);
	for (size_t k = 0; k < nr_levels; k++)
		run->concurrency.ns_at[k] = va_arg(ap, uint64_t);
	va_end(ap);
}

/*
 * The lecture's sequential download: one thread, 16.4 s wall, user 732 ms, sys 262 ms, blocked
 * on the network for the rest, 19,955,565 bytes received.
 */
static inline void run_lecture_sequential(struct cp_run *run)
{
	static const char *const argv[] = { "python3", "download.py", NULL };
	struct cp_thread *t;

	run_init(run, 16400 * MS, 2, argv);
	run_add_process(run, 1000, 999, "python3", 0, 16400 * MS);
	t = run_add_thread(run, 1000, 1000, "python3", 0);
	t->user_ns = 732 * MS;
	t->sys_ns = 262 * MS;
	t->runnable_woken_ns = 6 * MS;
	t->blocked_ns[CP_REASON_NET] = 15400 * MS;
	t->voluntary_switches = 2400;
	t->involuntary_switches = 12;
	t->net_rx_bytes = 19955565;
	t->net_tx_bytes = 48000;
	thread_seal(t);
	/* The one thread is on a CPU exactly its user + sys. */
	run_set_concurrency(run, true, 2, 15406 * MS, 994 * MS);
	run->have_rusage = true;
	run->rusage_user_ns = 740 * MS;
	run->rusage_sys_ns = 252 * MS;
}

/*
 * The lecture's download with threads, on 8 CPUs: 20 workers fetch ≈ 20 MB in 2.67 s with 9.52 s
 * of CPU between them (user 9.27 s, sys 251 ms: the libraries use several cores); main joins.
 */
static inline void run_lecture_threads(struct cp_run *run)
{
	static const char *const argv[] = { "python3", "download_threads.py", NULL };
	uint64_t rx_left = 19950522;
	struct cp_thread *t;

	run_init(run, 2670 * MS, 8, argv);
	run_add_process(run, 1000, 999, "python3", 0, 2670 * MS);
	t = run_add_thread(run, 1000, 1000, "python3", 0);
	t->blocked_ns[CP_REASON_LOCK] = 2670 * MS;
	t->voluntary_switches = 21;
	thread_seal(t);
	for (int i = 1; i <= 20; i++) {
		t = run_add_thread(run, 1000 + i, 1000, "python3", 50 * MS);
		t->user_ns = 463500 * 1000ULL;
		t->sys_ns = 12550 * 1000ULL;
		t->runnable_woken_ns = 20 * MS;
		t->blocked_ns[CP_REASON_NET] = 2600 * MS - t->user_ns - t->sys_ns - 20 * MS;
		t->net_rx_bytes = i < 20 ? 997526 : rx_left;
		rx_left -= t->net_rx_bytes;
		t->voluntary_switches = 900;
		t->involuntary_switches = 40;
		thread_seal(t);
	}
	/* 9.52 s of CPU in 2.67 s: 3.57 threads on a CPU on average */
	run_set_concurrency(run, true, 7, 50 * MS, 250 * MS, 250 * MS, 550 * MS, 900 * MS, 500 * MS,
			    170 * MS);
	run->have_rusage = true;
	run->rusage_user_ns = 9280 * MS;
	run->rusage_sys_ns = 248 * MS;
}

/*
 * A main thread that starts 4 spinning threads on 2 CPUs and joins them: 4 s wall. Each spinner
 * gets half a core (1.995 s on a CPU) and waits for one the other half.
 */
static inline void run_spinners(struct cp_run *run)
{
	static const char *const argv[] = { "./spin", "4", NULL };
	struct cp_thread *t;

	run_init(run, 4000 * MS, 2, argv);
	run_add_process(run, 1000, 999, "spin", 0, 4000 * MS);
	t = run_add_thread(run, 1000, 1000, "spin", 0);
	t->user_ns = MS / 2;
	t->sys_ns = MS / 2;
	t->blocked_ns[CP_REASON_LOCK] = 3999 * MS; /* pthread_join */
	t->voluntary_switches = 2;
	thread_seal(t);
	for (int i = 1; i <= 4; i++) {
		t = run_add_thread(run, 1000 + i, 1000, "spin", 0);
		t->user_ns = 1985 * MS;
		t->sys_ns = 10 * MS;
		t->runnable_preempted_ns = 1995 * MS;
		t->runnable_woken_ns = 10 * MS;
		t->involuntary_switches = 1000;
		t->voluntary_switches = 1;
		thread_seal(t);
	}
	/* 2 on a CPU while the spinners ran; 1 for main's own millisecond. */
	run_set_concurrency(run, true, 3, 0ULL, 19 * MS, 3981 * MS);
	run->have_rusage = true;
	run->rusage_user_ns = 7944 * MS;
	run->rusage_sys_ns = 36 * MS;
}

/*
 * 4 threads taking turns on one mutex, 2 CPUs, 4 s wall: each runs 0.5 s (0.2 s of it in futex
 * syscalls), waits 0.3 s for a CPU and 3.2 s for the lock. Main joins them.
 */
static inline void run_mutex_contention(struct cp_run *run)
{
	static const char *const argv[] = { "./counter", "--mutex", NULL };
	struct cp_thread *t;

	run_init(run, 4000 * MS, 2, argv);
	run_add_process(run, 1000, 999, "counter", 0, 4000 * MS);
	t = run_add_thread(run, 1000, 1000, "counter", 0);
	t->user_ns = MS;
	t->blocked_ns[CP_REASON_LOCK] = 3999 * MS;
	t->voluntary_switches = 3;
	thread_seal(t);
	for (int i = 1; i <= 4; i++) {
		t = run_add_thread(run, 1000 + i, 1000, "counter", 0);
		t->user_ns = 300 * MS;
		t->sys_ns = 200 * MS;
		t->runnable_woken_ns = 300 * MS;
		t->blocked_ns[CP_REASON_LOCK] = 3200 * MS;
		t->voluntary_switches = 50000;
		t->involuntary_switches = 20;
		thread_seal(t);
	}
	/* 2.001 s of CPU in 4 s: mostly one thread at a time. */
	run_set_concurrency(run, true, 3, 2199 * MS, 1601 * MS, 200 * MS);
	run->have_rusage = true;
	run->rusage_user_ns = 1204 * MS;
	run->rusage_sys_ns = 796 * MS;
}

/* One thread computing for 3 s on a 2-CPU machine. */
static inline void run_single_spinner(struct cp_run *run)
{
	static const char *const argv[] = { "./primes", NULL };
	struct cp_thread *t;

	run_init(run, 3000 * MS, 2, argv);
	run_add_process(run, 1000, 999, "primes", 0, 3000 * MS);
	t = run_add_thread(run, 1000, 1000, "primes", 0);
	t->user_ns = 2990 * MS;
	t->sys_ns = 5 * MS;
	t->runnable_preempted_ns = 3 * MS;
	t->blocked_ns[CP_REASON_PAGING] = 2 * MS;
	thread_seal(t);
	run_set_concurrency(run, true, 2, 5 * MS, 2995 * MS);
	run->have_rusage = true;
	run->rusage_user_ns = 2992 * MS;
	run->rusage_sys_ns = 4 * MS;
}

/*
 * A shell script: `sh` runs `nr_children` short `worker` children one after another, each
 * 10 ms on a CPU, and waits for each.
 */
static inline void run_shell_loop(struct cp_run *run, int nr_children)
{
	static const char *const argv[] = { "sh", "loop.sh", NULL };
	uint64_t child_life = 10 * MS + MS, wall = (uint64_t)nr_children * (child_life + MS);
	struct cp_thread *t;

	run_init(run, wall, 2, argv);
	run_add_process(run, 1000, 999, "sh", 0, wall);
	t = run_add_thread(run, 1000, 1000, "sh", 0);
	t->user_ns = (uint64_t)nr_children * MS / 2;
	t->sys_ns = (uint64_t)nr_children * MS / 2;
	t->blocked_ns[CP_REASON_CHILD] = wall - (uint64_t)nr_children * MS;
	t->voluntary_switches = nr_children;
	thread_seal(t);
	for (int i = 0; i < nr_children; i++) {
		uint64_t start = (uint64_t)i * (child_life + MS) + MS;
		struct cp_process *p =
			run_add_process(run, 2000 + i, 1000, "worker", start, start + child_life);

		p->exit_code = i == 7 ? 1 : 0;
		t = run_add_thread(run, 2000 + i, 2000 + i, "worker", start);
		t->user_ns = 7 * MS;
		t->sys_ns = 3 * MS;
		t->runnable_woken_ns = MS / 2;
		t->blocked_ns[CP_REASON_DISK] = MS / 2;
		t->disk_read_bytes = 4096;
		t->voluntary_switches = 2;
		thread_seal(t);
	}
	run_set_concurrency(run, true, 2, (uint64_t)nr_children * MS,
			    wall - (uint64_t)nr_children * MS);
	run->have_rusage = true;
	/* Only the children that were reaped... all of them here, but sampled. */
	run->rusage_user_ns = (uint64_t)nr_children * 7 * MS;
	run->rusage_sys_ns = (uint64_t)nr_children * 4 * MS;
}

/* A server process with nr_threads long-lived worker threads mostly waiting on the network. */
static inline void run_many_threads(struct cp_run *run, int nr_threads)
{
	static const char *const argv[] = { "./server", NULL };
	struct cp_thread *t;

	run_init(run, 10 * SEC, 2, argv);
	run_add_process(run, 1000, 999, "server", 0, 10 * SEC);
	t = run_add_thread(run, 1000, 1000, "server", 0);
	t->user_ns = 20 * MS;
	t->blocked_ns[CP_REASON_LOCK] = 10 * SEC - 20 * MS;
	thread_seal(t);
	for (int i = 1; i < nr_threads; i++) {
		/* Different amounts of work, so the order is visible: the higher tid, the busier.
		 */
		uint64_t user = (uint64_t)i * MS;

		t = run_add_thread(run, 1000 + i, 1000, "worker", 0);
		t->user_ns = user;
		t->sys_ns = user / 2;
		t->runnable_woken_ns = MS;
		t->blocked_ns[CP_REASON_NET] = 10 * SEC - user - user / 2 - MS - MS;
		t->blocked_ns[CP_REASON_LOCK] = MS;
		t->net_rx_bytes = 100000;
		thread_seal(t);
	}
	run->have_rusage = true;
	run->rusage_user_ns = 0;
	run->rusage_sys_ns = 0;
}

#endif
