/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-thread timelines: what each thread was doing when, as spans that tile its lifetime.
 * Built (timeline.c) from the kernel's event stream, in memory, only when a view asks for it;
 * the views (terminal, Perfetto, HTML) read a struct cp_timeline and the run's model.
 * Pure code: tested without root on hand-made streams and timelines.
 */
#ifndef CONCPROF_TIMELINE_H
#define CONCPROF_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"

enum cp_tl_state {
	CP_TL_UNKNOWN = 0, /* stream records were lost: what the thread did then is not known */
	CP_TL_CPU,	   /* on CPU `cpu`; sys_ns of it in the kernel, the rest in user mode */
	CP_TL_PREEMPTED,   /* runnable: lost its CPU while it could still run */
	CP_TL_WOKEN,	   /* runnable: woken (or new) by `waker`, waiting for a CPU */
	CP_TL_BLOCKED,	   /* asleep for `reason` (enum cp_reason), in `syscall` */
	CP_TL_NR_STATES,
};

enum cp_tl_flags {
	CP_TL_F_REPAIRED = 1,	/* a bound was rebuilt from the kernel's accounting */
	CP_TL_F_INCOMPLETE = 2, /* a bound is uncertain: records were lost around it */
};

struct cp_tl_span {
	uint64_t start_ns, end_ns; /* from the run's start, like cp_thread's start_ns */
	uint64_t sys_ns;	   /* CP_TL_CPU: the part in the kernel (≤ end - start) */
	uint32_t thread;	   /* index of its thread in run->threads */
	int32_t tid, pid;
	int32_t waker;	 /* CP_TL_WOKEN: tid of the task that woke it; 0 if unknown */
	int16_t syscall; /* CP_TL_BLOCKED (and CP_TL_CPU: at its start): x86_64 nr, -1 if none */
	uint16_t cpu;	 /* CP_TL_CPU */
	uint8_t state;	 /* enum cp_tl_state */
	uint8_t reason;	 /* CP_TL_BLOCKED: enum cp_reason */
	uint8_t flags;	 /* enum cp_tl_flags */
	uint8_t pad;
};

enum cp_tl_mark_kind {
	CP_TL_EXEC = 1, /* tid exec'd (at the run's start: the launched program) */
	CP_TL_FORK,	/* tid created `other` (a thread, or a process if other's pid differs) */
	CP_TL_EXIT,	/* tid exited */
};

struct cp_tl_mark {
	uint64_t ts_ns; /* from the run's start */
	int32_t tid, pid;
	int32_t other; /* CP_TL_FORK: the new tid */
	uint8_t kind;  /* enum cp_tl_mark_kind */
	uint8_t pad[3];
};

struct cp_timeline {
	/* Sorted by (thread, start_ns): each thread's spans are contiguous,
	 * in time order, and tile [thread start, thread end] without gaps or overlaps.
	 */
	struct cp_tl_span *spans;
	size_t nr_spans;
	struct cp_tl_mark *marks; /* sorted by ts_ns */
	size_t nr_marks;
	uint64_t end_ns;	 /* the run's wall time: every span ends by then */
	uint64_t lost_records;	 /* stream records lost (the ring buffer was full) */
	uint64_t incomplete_ns;	 /* total length of spans flagged CP_TL_F_INCOMPLETE */
	uint64_t nr_incomplete;	 /* how many spans are flagged CP_TL_F_INCOMPLETE */
	uint64_t stream_records; /* records the stream held */
	uint64_t stream_bytes;	 /* and their size, for bytes per transition */
	uint64_t transitions;	 /* state changes the spans show (boundaries between spans) */
	uint64_t unmatched;	 /* records of no known thread, or out of any sane order */
};

struct cp_stream;
/*
 * Builds the timeline of `run` from its event stream; origin_ns is the run's time zero on the
 * stream's clock. Returns 0 or -errno (-ENOMEM, or the stream's read error).
 */
int cp_timeline_build(struct cp_timeline *tl, const struct cp_run *run, struct cp_stream *s,
		      uint64_t origin_ns);

/* Spans of thread index i of run->threads: [*first, *first + *count). Binary search. */
void cp_tl_thread_spans(const struct cp_timeline *tl, const struct cp_run *run, size_t i,
			size_t *first, size_t *count);
/* Short lower-case names: "cpu", "preempted", "woken", "blocked", "unknown". */
const char *cp_tl_state_name(enum cp_tl_state state);
void cp_timeline_free(struct cp_timeline *tl);

/* ---- views: each returns 0, or -errno if writing failed ---- */

/* `--spans FILE`: a header line, then one tab-separated line per span (for scripts). */
int cp_tl_write_tsv(FILE *out, const struct cp_run *run, const struct cp_timeline *tl);

struct cp_tl_term_opts {
	bool color;	 /* ANSI colours; never an escape code when false */
	int width;	 /* terminal columns, >= 60 */
	int max_threads; /* rows before summarising the rest */
};
/* `--timeline`: one row per thread, grouped by process, with an axis and a legend. */
int cp_tl_render_term(FILE *out, const struct cp_run *run, const struct cp_timeline *tl,
		      const struct cp_tl_term_opts *opts);

/* `--perfetto FILE`: a trace ui.perfetto.dev opens with per-thread state tracks. */
int cp_tl_write_perfetto(FILE *out, const struct cp_run *run, const struct cp_timeline *tl);

struct cp_analysis;
/* `--html FILE`: one self-contained page: summary, explanation, interactive timeline. */
int cp_tl_write_html(FILE *out, const struct cp_run *run, const struct cp_analysis *a,
		     const struct cp_timeline *tl);

#endif
