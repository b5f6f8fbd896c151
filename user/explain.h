/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The words: a few findings about one run, each one plain sentence with its numbers, modelled on
 * the lecture's "Análise" slides ("Baixou ≈ 20 MB em 16.4 s: ≈ 1.2 MB/s ... I/O bound"). Only
 * findings that apply are made; the thresholds that decide are below. The sentences are in the
 * language cp_i18n_init() chose (i18n.h), English by default.
 */
#ifndef CONCPROF_EXPLAIN_H
#define CONCPROF_EXPLAIN_H

#include "analyze.h"
#include "model.h"

#include <stddef.h>

/* I/O bound: no thread on a CPU for at least this share of the wall time, waiting for I/O. */
#define CP_IO_BOUND_MIN_IDLE_FRAC 0.5
/* CPU bound: some thread on a CPU all but this share of the wall time... */
#define CP_CPU_BOUND_MAX_IDLE_FRAC 0.1
/* ...and the working threads on a CPU or runnable for at least this share of their lives. */
#define CP_CPU_BOUND_MIN_DEMAND_FRAC 0.8
/* "Several cores at once": user + sys above this many times the wall time. */
#define CP_PARALLEL_MIN_CORES 1.1
/* Waiting for a CPU is worth a sentence from this share of the working threads' lives on. */
#define CP_CPU_WAIT_MIN_FRAC 0.1
/* Lock contention: working threads blocked on futexes for this share of their lives. */
#define CP_LOCK_MIN_FRAC 0.2
/* Below this, a figure is noise for any finding built on it. */
#define CP_FINDING_MIN_NS 1000000ULL
/* Bytes moved worth a throughput sentence (100 kB). */
#define CP_THROUGHPUT_MIN_BYTES 100000ULL
/* ... and only if its threads waited for that I/O this share of the wall time, or moved
 * at least CP_THROUGHPUT_MANY_BYTES.
 */
#define CP_THROUGHPUT_MIN_WAIT_FRAC 0.05
#define CP_THROUGHPUT_MANY_BYTES 10000000ULL
/*
 * The kernel's user/sys (rusage) differ "really" from concprof's beyond both of these: two and a
 * half ticks at HZ=250, and a tenth.
 */
#define CP_RUSAGE_TOLERANCE_NS	 10000000ULL
#define CP_RUSAGE_TOLERANCE_FRAC 0.1
/* Enough for every finding that can apply at once. */
#define CP_MAX_FINDINGS 16
/* Room for the longest finding in any language (Portuguese runs a fifth longer). */
#define CP_FINDING_LEN	1024

enum cp_finding_kind {
	CP_FIND_DATA_LOSS,	/* events or threads lost, and what is still exact */
	CP_FIND_MEANING,	/* what user, sys and wall mean (the lecture's definitions) */
	CP_FIND_IO_BOUND,	/* mostly no thread on a CPU, waiting for I/O */
	CP_FIND_CPU_BOUND,	/* threads on a CPU or waiting for one nearly all the time */
	CP_FIND_MOSTLY_WAITING, /* mostly no thread on a CPU, but not for I/O: sleep, lock, ... */
	CP_FIND_MIXED,		/* neither: the CPU worked part of the time */
	CP_FIND_PARALLEL,	/* user + sys above wall: several cores at once */
	CP_FIND_CPU_WAIT,	/* threads waited for a CPU */
	CP_FIND_LOCK,		/* threads blocked on locks */
	CP_FIND_GIL,		/* ... taking turns on a GIL: CPython's, or a program's *_gil */
	CP_FIND_THROUGHPUT,	/* bytes moved per second (one finding per kind of I/O) */
	CP_FIND_RUSAGE,		/* why the kernel's user/sys differ from concprof's */
	CP_FIND_KILLED,		/* the program died of a signal */
	CP_NR_FINDING_KINDS,
};

struct cp_finding {
	/* one sentence, ending with a full stop, in the language cp_i18n_init() chose */
	char text[CP_FINDING_LEN];
	int kind;		   /* enum cp_finding_kind */
};

/* "io_bound", "cpu_bound", ...: stable names for scripts and tests. */
const char *cp_finding_kind_name(int kind);

/*
 * Writes the findings that apply to run (analysed into a) into out, most important first, at most
 * max of them; returns how many.
 */
size_t cp_explain(const struct cp_run *run, const struct cp_analysis *a, struct cp_finding *out,
		  size_t max);

#endif
