/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Derived figures of one run: CPU use against wall time, the parallelism profile, what the
 * threads waited for, bytes moved, and the order (and grouping) of the report's tables. Pure:
 * reads a struct cp_run, writes a struct cp_analysis, prints nothing.
 */
#ifndef CONCPROF_ANALYZE_H
#define CONCPROF_ANALYZE_H

#include "model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A thread is "short-lived" when it lived less than this share of the wall time. Short-lived
 * threads alike in name and role (see below) are shown as one table row.
 */
#define CP_SHORT_LIVED_FRAC 0.2
/* Fewer alike short-lived threads than this stay separate rows: 3 shells are still readable. */
#define CP_GROUP_MIN_THREADS 4

/*
 * A "waiter" thread spent its life waiting for the rest of the program: at least this share of
 * its lifetime blocked on locks, children, or pipes that traced processes write (pthread_join,
 * wait4 and a parent reading its workers' results all look like that)...
 */
#define CP_WAITER_MIN_WAIT_FRAC 0.8
/*
 * ...and almost never ran. Its waits say what the others took, not why, so they are left out of
 * the "why" figures (cause_blocked_ns): otherwise a main thread joining its workers would make
 * every threaded program look lock-bound.
 */
#define CP_WAITER_MAX_CPU_FRAC 0.05
/*
 * Table order: by activity (see analyze.c) in steps of this share of the wall time, then by CPU
 * time. Threads that lived the whole run are equally active give or take microseconds; within a
 * step they count as equal, and the one that used more CPU leads.
 */
#define CP_SORT_STEP_FRAC 0.01
/* A thread that mostly wanted a CPU: on a CPU or runnable for at least this share of its life. */
#define CP_BUSY_THREAD_MIN_FRAC 0.5

/* One row of the thread table: a thread, or a group of alike short-lived threads. */
struct cp_thread_row {
	/*
	 * The thread itself; for a group, the first member's identity with every time, count and
	 * byte figure summed over the members, start_ns the earliest and end_ns the latest.
	 */
	struct cp_thread sum;
	size_t count;	      /* 1, or the number of threads in the group */
	bool process_main;    /* tid == pid: each is its process's first thread */
	uint64_t lifetime_ns; /* summed over members: user + sys + runnable + blocked */
	uint64_t activity_ns; /* see thread_activity_ns() in analyze.c */
	uint64_t sort_bucket; /* activity in steps of CP_SORT_STEP_FRAC of the wall: 1st sort key */
};

/* One row of the process table: a process, or a group of alike short-lived processes. */
struct cp_process_row {
	struct cp_process proc; /* for a group: the first member, with start/end widened */
	size_t count;		/* 1, or the number of processes in the group */
	size_t nr_threads;	/* summed over members */
	uint64_t lifetime_ns;	/* summed over members */
	uint64_t user_ns, sys_ns;
	uint64_t activity_ns; /* its threads' activity */
	uint64_t sort_bucket; /* as for threads */
	bool same_exit;	      /* every member exited with proc's exit_code and term_signal */
	size_t nr_alive;      /* members still running when tracing stopped */
};

struct cp_analysis {
	struct cp_totals totals;
	uint64_t cpu_ns;	/* user + sys, exact */
	uint64_t runnable_ns;	/* preempted + woken */
	uint64_t blocked_ns;	/* all reasons */
	uint64_t lifetime_ns;	/* sum of thread lifetimes: cpu + runnable + blocked */
	double cpu_pct_of_wall; /* 100 * cpu / wall */
	double cores_busy;	/* cpu_ns / wall_ns: average number of cores busy */
	double cpu_demand;	/* (cpu + runnable) / wall: threads that wanted a CPU, on average */

	/* The parallelism profile, from run->concurrency. */
	bool have_concurrency; /* false: no profile, idle_frac estimated from the CPU time */
	bool concurrency_complete;
	uint64_t idle_ns;	 /* wall time with no thread on a CPU */
	double idle_frac;	 /* idle_ns / wall (a lower bound when incomplete or estimated) */
	double busy_frac;	 /* >= 1 thread on a CPU, share of wall */
	double parallel_frac;	 /* >= 2 threads on a CPU at once, share of wall */
	double mean_parallelism; /* threads on a CPU, on average while at least one was */
	size_t max_parallelism;	 /* most threads ever on a CPU at once */

	/*
	 * What the threads waited for, leaving out the waiter threads (their waits are for the
	 * program itself). Waits for children stay in, but never lead (dominant_reason) unless
	 * nothing else was waited for: the children's own time says why they took long.
	 */
	uint64_t cause_blocked_ns[CP_NR_REASONS];
	uint64_t cause_lifetime_ns; /* lifetimes of the threads that are not waiters */
	uint64_t cause_cpu_ns;	    /* their CPU time */
	uint64_t cause_runnable_ns; /* their runnable time */
	size_t nr_waiters;
	bool pipes_internal;	   /* traced processes wrote about what traced processes read */
	int dominant_reason;	   /* enum cp_reason with the most cause_blocked_ns, -1 if none */
	int second_reason;	   /* the runner-up, -1 if none */
	double runnable_share;	   /* runnable_ns / cause_lifetime_ns */
	double lock_share;	   /* cause_blocked_ns[LOCK] / cause_lifetime_ns */
	size_t nr_busy_threads;	   /* threads that mostly wanted a CPU (CP_BUSY_THREAD_MIN_FRAC) */
	size_t nr_lock_threads;	   /* non-waiters blocked on locks >= 10% of their lives */
	int32_t other_syscalls[3]; /* syscalls of "other" blocks, most blocked time first */
	size_t nr_other_syscalls;

	/* Bytes moved, and per second of wall time. */
	uint64_t net_bytes, disk_bytes;
	/* A pipe write by one traced process is read by another: count the larger side once. */
	uint64_t pipe_bytes;
	double net_rx_per_s, net_tx_per_s, disk_read_per_s, disk_write_per_s, pipe_per_s;

	/* Table rows, most active first (see cp_analyze()). NULL when out of memory. */
	struct cp_thread_row *thread_rows;
	size_t nr_thread_rows;
	struct cp_process_row *process_rows;
	size_t nr_process_rows;
};

/* Lifetime of a thread or process, 0 if the clock went backwards. */
uint64_t cp_thread_lifetime_ns(const struct cp_thread *t);
uint64_t cp_process_lifetime_ns(const struct cp_process *p);

/*
 * Fills *out from run. Allocates the table rows: release them with cp_analysis_free(). Returns 0,
 * or -ENOMEM with every figure filled but no rows.
 */
int cp_analyze(const struct cp_run *run, struct cp_analysis *out);
void cp_analysis_free(struct cp_analysis *a);

#endif
