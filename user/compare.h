/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `concprof compare`: two or more runs side by side, the first being the baseline. Pure: reads
 * struct cp_run (saved with --json or recorded, then read back), prints text for a terminal,
 * GitHub Markdown tables for slides, or a "concprof-compare/1" JSON document.
 *
 * What it shows, for each run:
 *  - time: wall, user, sys, CPU as a share of the wall, cores busy on average, the speed-up
 *    against the first run (first wall / this wall), processes, threads;
 *  - time by state, summed over the threads (each blocked reason that any run has);
 *  - bytes moved (network, disk, pipes) and network throughput;
 *  - the lecture's "threads x processes" table, measured: CPU use (threads on a CPU at once,
 *    on average while any was, and at most), memory (peak resident memory per process),
 *    communication (time blocked on pipes and locks, bytes through pipes), start-up cost
 *    (processes and threads created, and their wait from fork/clone to their first run);
 *  - a verdict in words for each run after the first, from the thresholds below.
 * The text is in the language cp_i18n_init() chose; the JSON is not translated.
 */
#ifndef CONCPROF_COMPARE_H
#define CONCPROF_COMPARE_H

#include "model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CP_COMPARE_FORMAT "concprof-compare/1"

/* Faster: a speed-up of at least this; slower: at most its inverse; else "no faster". */
#define CP_COMPARE_FASTER 1.1
/* "The waits overlapped": the baseline had no thread on a CPU for at least this share of the
 * wall time, and this run had on average at least this many threads waiting at once. */
#define CP_COMPARE_IDLE_MIN_FRAC       0.5
#define CP_COMPARE_OVERLAP_MIN_WAITING 1.5
/* "N cores computed at once": at least this many threads on a CPU on average while any was,
 * and at least this many times the baseline's cores busy. */
#define CP_COMPARE_PARALLEL_MIN	     1.5
#define CP_COMPARE_PARALLEL_MIN_GAIN 1.3
/* "The threads took turns": two or more working threads, and only one of them on a CPU for
 * at least this share of the time any was. */
#define CP_COMPARE_TURNS_MIN_FRAC 0.8
/* "Waited for a CPU": the working threads were runnable for this share of their lives. */
#define CP_COMPARE_CPU_WAIT_MIN_FRAC 0.1
/* Locks are worth a second sentence from this share of the working threads' lives on. */
#define CP_COMPARE_LOCK_MIN_FRAC 0.2
/* Room for the longest verdict in any language. */
#define CP_COMPARE_VERDICT_LEN 1024

enum cp_compare_format {
	CP_COMPARE_TEXT,     /* for a terminal: opts->width columns, ANSI colour if opts->color */
	CP_COMPARE_MARKDOWN, /* GitHub tables: every row of a table has the same number of cells */
	CP_COMPARE_JSON,     /* "concprof-compare/1": the figures below, untranslated */
};

struct cp_compare_run {
	const char *label; /* "seq", "seq.json", the command: any bytes (shown sanitised) */
	const struct cp_run *run;
};

struct cp_compare_opts {
	bool color; /* text only; never any escape code when false */
	int width;  /* text only: terminal columns; <= 0: 100 */
};

/* One run's figures, as the tables show them. */
struct cp_compare_figures {
	/* time */
	uint64_t wall_ns, user_ns, sys_ns, cpu_ns; /* user, sys summed over the threads */
	double cpu_pct_of_wall;			   /* 100 * cpu / wall */
	double cores_busy;			   /* cpu / wall */
	double speedup;				   /* first wall / this wall; 0 if either is 0 */
	size_t nr_procs, nr_threads;

	/* time by state, summed over the threads */
	uint64_t runnable_ns, blocked_ns;
	uint64_t blocked_by[CP_NR_REASONS];

	/* bytes moved */
	uint64_t net_bytes, disk_bytes; /* received + sent; read + written */
	uint64_t pipe_bytes;		/* the larger of read and written: one pipe counts once */
	double net_per_s;

	/* CPU use */
	bool have_profile;	   /* a concurrency profile; false: the two below are estimates */
	double mean_parallelism;   /* threads on a CPU, on average while at least one was */
	size_t max_parallelism;	   /* at most, at once */
	double idle_frac;	   /* no thread on a CPU, share of the wall */
	double one_at_a_time_frac; /* exactly one on a CPU, share of the time any was */

	/* memory: peak resident memory of each process; 0 = unknown (still alive at the end) */
	size_t nr_rss_known;
	uint64_t peak_rss_max, peak_rss_sum; /* over the processes where it is known */
	/* Stacks of the threads a process created (not its main thread), where known. */
	size_t nr_stacks_known;
	uint64_t stack_reserved_sum, stack_used_sum, stack_used_max;

	/* communication, summed over the threads */
	uint64_t pipe_blocked_ns, lock_blocked_ns;

	/* start-up: processes (other than the launched one) and threads the program created */
	size_t procs_created, threads_created;
	/* from fork (clone) to the new process's main thread's (new thread's) first run, over
	 * those that ran */
	size_t nr_proc_first_runs, nr_thread_first_runs;
	uint64_t proc_first_run_mean_ns, proc_first_run_max_ns;
	uint64_t thread_first_run_mean_ns, thread_first_run_max_ns;

	/* for the verdicts (analyze.h: the threads that are not waiters, "cause") */
	size_t nr_workers;	/* threads that are not waiters */
	int dominant_reason;	/* enum cp_reason, -1 if none */
	double waiting_at_once; /* workers blocked on dominant_reason, on average over the wall */
	double runnable_share;	/* workers' runnable time, share of their lives */
	double lock_share;	/* workers' time blocked on locks, share of their lives */
};

/* Which explanation a verdict gives: stable names for tests and scripts. */
enum cp_verdict_kind {
	CP_VERDICT_BASELINE,  /* the first run: none */
	CP_VERDICT_UNKNOWN,   /* a wall time is 0: no comparison */
	CP_VERDICT_OVERLAP,   /* faster: the waits of an idle baseline overlapped */
	CP_VERDICT_PARALLEL,  /* faster: several cores computed at once */
	CP_VERDICT_FASTER,    /* faster, none of the above */
	CP_VERDICT_TURNS,     /* not faster: the threads took turns on one CPU */
	CP_VERDICT_CPU_WAIT,  /* not faster: threads waited for a CPU */
	CP_VERDICT_IDLE,      /* not faster: no thread on a CPU most of the time */
	CP_VERDICT_NO_FASTER, /* not faster, none of the above */
};

/* "overlap", "parallel", ...: the kind's stable name. */
const char *cp_verdict_kind_name(enum cp_verdict_kind kind);

/* Fills *out for run, with first as the baseline of the speed-up (run itself for the first). */
void cp_compare_figures(const struct cp_run *run, const struct cp_run *first,
			struct cp_compare_figures *out);

/*
 * The verdict on run (figures f) against the baseline (figures base): one or two sentences with
 * their numbers, each ending with a full stop, in buf (empty for the baseline). Returns its kind.
 */
enum cp_verdict_kind cp_compare_verdict(char *buf, size_t len, const struct cp_compare_run *base,
					const struct cp_compare_figures *base_f,
					const struct cp_compare_run *run,
					const struct cp_compare_figures *f);

/*
 * Writes the comparison of runs[0..n-1] (n >= 2; runs[0] is the baseline) to out in format
 * fmt. opts may be NULL (no colour, 100 columns). Returns 0, or -EINVAL (n < 2, a NULL run),
 * -ENOMEM, or -errno if writing failed.
 */
int cp_compare_render(FILE *out, const struct cp_compare_run *runs, size_t n,
		      enum cp_compare_format fmt, const struct cp_compare_opts *opts);

/*
 * `concprof compare ...` (compare_cli.c), for main() to call with argv[0] == "compare": reads
 * the files, or runs the commands under concprof, and prints the comparison. Returns the exit
 * status: 0, 1 (an input unreadable, a run failed, an output unwritable) or 2 (bad usage).
 */
int cp_compare_main(int argc, char **argv);

#endif
