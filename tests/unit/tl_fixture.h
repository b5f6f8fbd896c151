/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hand-made timelines for the views' unit tests (terminal, Perfetto, HTML). Spans are added one
 * after another per thread with a cursor, so they tile its lifetime by construction; tl_sort()
 * then puts them in the order timeline.h promises. Heap-allocated like the builder's, so
 * cp_timeline_free() releases them.
 */
#ifndef CONCPROF_TEST_TL_FIXTURE_H
#define CONCPROF_TEST_TL_FIXTURE_H

#include "runs.h"
#include "timeline.h"

#include <stdlib.h>
#include <string.h>

static inline void tl_init(struct cp_timeline *tl, uint64_t end_ns)
{
	*tl = (struct cp_timeline){ 0 };
	tl->end_ns = end_ns;
}

/*
 * A span of thread index `thread` of run; tid and pid come from the run. The pointer is valid
 * until the next span is added.
 */
static inline struct cp_tl_span *tl_add_span(struct cp_timeline *tl, const struct cp_run *run,
					     size_t thread, enum cp_tl_state state,
					     uint64_t start_ns, uint64_t end_ns)
{
	struct cp_tl_span *s;

	tl->spans = test_xrealloc(tl->spans, (tl->nr_spans + 1) * sizeof(*tl->spans));
	s = &tl->spans[tl->nr_spans++];
	*s = (struct cp_tl_span){
		.start_ns = start_ns,
		.end_ns = end_ns,
		.thread = (uint32_t)thread,
		.tid = run->threads[thread].tid,
		.pid = run->threads[thread].pid,
		.syscall = -1,
		.state = (uint8_t)state,
	};
	return s;
}

static inline void tl_add_mark(struct cp_timeline *tl, enum cp_tl_mark_kind kind, uint64_t ts_ns,
			       int32_t tid, int32_t pid, int32_t other)
{
	tl->marks = test_xrealloc(tl->marks, (tl->nr_marks + 1) * sizeof(*tl->marks));
	tl->marks[tl->nr_marks++] = (struct cp_tl_mark){
		.ts_ns = ts_ns, .tid = tid, .pid = pid, .other = other, .kind = (uint8_t)kind
	};
}

static inline int tl_span_order(const void *a, const void *b)
{
	const struct cp_tl_span *x = a, *y = b;

	if (x->thread != y->thread)
		return x->thread < y->thread ? -1 : 1;
	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	/* a zero-length span before the span that starts where it ends */
	return (x->end_ns > y->end_ns) - (x->end_ns < y->end_ns);
}

static inline int tl_mark_order(const void *a, const void *b)
{
	const struct cp_tl_mark *x = a, *y = b;

	return (x->ts_ns > y->ts_ns) - (x->ts_ns < y->ts_ns);
}

/* The order timeline.h promises, and the incomplete counts recomputed from the flags. */
static inline void tl_sort(struct cp_timeline *tl)
{
	if (tl->nr_spans)
		qsort(tl->spans, tl->nr_spans, sizeof(*tl->spans), tl_span_order);
	if (tl->nr_marks)
		qsort(tl->marks, tl->nr_marks, sizeof(*tl->marks), tl_mark_order);
	tl->nr_incomplete = tl->incomplete_ns = 0;
	for (size_t i = 0; i < tl->nr_spans; i++)
		if (tl->spans[i].flags & CP_TL_F_INCOMPLETE) {
			tl->nr_incomplete++;
			tl->incomplete_ns += tl->spans[i].end_ns - tl->spans[i].start_ns;
		}
}

/* Adds one thread's spans back to back, from `at`. */
struct tl_cursor {
	struct cp_timeline *tl;
	const struct cp_run *run;
	size_t thread;
	uint64_t at;
};

static inline struct tl_cursor tl_thread_at(struct cp_timeline *tl, const struct cp_run *run,
					    size_t thread, uint64_t start_ns)
{
	return (struct tl_cursor){ .tl = tl, .run = run, .thread = thread, .at = start_ns };
}

static inline struct cp_tl_span *tl_next(struct tl_cursor *c, enum cp_tl_state state, uint64_t ns)
{
	struct cp_tl_span *s = tl_add_span(c->tl, c->run, c->thread, state, c->at, c->at + ns);

	c->at += ns;
	return s;
}

static inline struct cp_tl_span *tl_cpu(struct tl_cursor *c, uint64_t ns, uint16_t cpu,
					uint64_t sys_ns)
{
	struct cp_tl_span *s = tl_next(c, CP_TL_CPU, ns);

	s->cpu = cpu;
	s->sys_ns = sys_ns;
	return s;
}

static inline struct cp_tl_span *tl_preempted(struct tl_cursor *c, uint64_t ns)
{
	return tl_next(c, CP_TL_PREEMPTED, ns);
}

static inline struct cp_tl_span *tl_woken(struct tl_cursor *c, uint64_t ns, int32_t waker)
{
	struct cp_tl_span *s = tl_next(c, CP_TL_WOKEN, ns);

	s->waker = waker;
	return s;
}

static inline struct cp_tl_span *tl_blocked(struct tl_cursor *c, uint64_t ns,
					    enum cp_reason reason, int16_t syscall)
{
	struct cp_tl_span *s = tl_next(c, CP_TL_BLOCKED, ns);

	s->reason = (uint8_t)reason;
	s->syscall = syscall;
	return s;
}

static inline struct cp_tl_span *tl_unknown(struct tl_cursor *c, uint64_t ns)
{
	struct cp_tl_span *s = tl_next(c, CP_TL_UNKNOWN, ns);

	s->flags = CP_TL_F_INCOMPLETE;
	return s;
}

/*
 * Each thread's lifetime and totals from its spans, and the run's wall time from the
 * timeline's: the run then says what the timeline shows. Call after tl_sort().
 */
static inline void tl_fill_run(struct cp_run *run, const struct cp_timeline *tl)
{
	for (size_t i = 0; i < run->nr_threads; i++) {
		struct cp_thread *t = &run->threads[i];
		bool first = true;

		t->user_ns = t->sys_ns = 0;
		t->runnable_preempted_ns = t->runnable_woken_ns = 0;
		memset(t->blocked_ns, 0, sizeof(t->blocked_ns));
		for (size_t k = 0; k < tl->nr_spans; k++) {
			const struct cp_tl_span *s = &tl->spans[k];
			uint64_t len = s->end_ns - s->start_ns;

			if (s->thread != i)
				continue;
			if (first)
				t->start_ns = s->start_ns;
			first = false;
			t->end_ns = s->end_ns;
			switch (s->state) {
			case CP_TL_CPU:
				t->sys_ns += s->sys_ns;
				t->user_ns += len - s->sys_ns;
				break;
			case CP_TL_PREEMPTED:
				t->runnable_preempted_ns += len;
				break;
			case CP_TL_WOKEN:
				t->runnable_woken_ns += len;
				break;
			case CP_TL_BLOCKED:
				t->blocked_ns[s->reason] += len;
				if (s->reason == CP_REASON_OTHER)
					t->other_syscall = s->syscall;
				break;
			default:
				break;
			}
		}
	}
	run->wall_ns = tl->end_ns;
}

/*
 * A small run that uses every state, on 2 CPUs, 100 ms: `demo` (pid 1000) starts a worker
 * thread 1001 at 10 ms; both take turns on a lock and the worker reads a socket; the main
 * thread forks `child` (pid 2000) at 40 ms, which writes a file and exits at 70 ms, and waits
 * for it; records were lost around 80 ms in the worker, which exits at 90 ms; main exits at
 * 100 ms (42 records lost in all). Waker 3000 is a task outside the run (say, the network's
 * softirq).
 */
static inline void tl_demo(struct cp_run *run, struct cp_timeline *tl)
{
	static const char *const argv[] = { "./demo", NULL };
	struct tl_cursor c;

	run_init(run, 100 * MS, 2, argv);
	run_add_process(run, 1000, 999, "demo", 0, 100 * MS);
	run_add_process(run, 2000, 1000, "child", 40 * MS, 70 * MS);
	run_add_thread(run, 1000, 1000, "demo", 0);
	run_add_thread(run, 1001, 1000, "demo-worker", 10 * MS);
	run_add_thread(run, 2000, 2000, "child", 40 * MS);
	tl_init(tl, 100 * MS);

	/* main: runs, starts the worker, contends, forks the child, waits for it, finishes */
	c = tl_thread_at(tl, run, 0, 0);
	tl_cpu(&c, 10 * MS, 0, 2 * MS);			   /* 0-10: exec, clone */
	tl_cpu(&c, 5 * MS, 0, 0);			   /* 10-15 */
	tl_blocked(&c, 10 * MS, CP_REASON_LOCK, 202);	   /* 15-25: futex */
	tl_woken(&c, 1 * MS, 1001);			   /* 25-26 */
	tl_cpu(&c, 10 * MS, 1, 1 * MS);			   /* 26-36 */
	tl_preempted(&c, 2 * MS);			   /* 36-38 */
	tl_cpu(&c, 2 * MS, 1, 1 * MS)->flags = CP_TL_F_REPAIRED; /* 38-40: fork */
	tl_blocked(&c, 30 * MS, CP_REASON_CHILD, 61);	   /* 40-70: wait4 */
	tl_woken(&c, 1 * MS, 2000);			   /* 70-71 */
	tl_cpu(&c, 29 * MS, 0, 0);			   /* 71-100 */

	/* worker: new at 10 (woken by main), on CPU 1, takes the lock from main, reads a socket */
	c = tl_thread_at(tl, run, 1, 10 * MS);
	tl_woken(&c, 1 * MS, 1000);		      /* 10-11 */
	tl_cpu(&c, 14 * MS, 1, 4 * MS);		      /* 11-25: releases the lock at 25 */
	tl_blocked(&c, 20 * MS, CP_REASON_NET, 45);   /* 25-45: recvfrom */
	tl_woken(&c, 2 * MS, 3000);		      /* 45-47 */
	tl_cpu(&c, 23 * MS, 1, 3 * MS);		      /* 47-70 */
	tl_preempted(&c, 5 * MS);		      /* 70-75: main takes CPU 0, child CPU 1 */
	tl_cpu(&c, 5 * MS, 1, 0);		      /* 75-80 */
	tl_unknown(&c, 5 * MS);			      /* 80-85: records lost */
	tl_cpu(&c, 5 * MS, 1, 1 * MS)->flags = CP_TL_F_INCOMPLETE; /* 85-90: exits */

	/* child: new at 40, writes a file, exits at 70 */
	c = tl_thread_at(tl, run, 2, 40 * MS);
	tl_woken(&c, 1 * MS, 1000);		     /* 40-41 */
	tl_cpu(&c, 9 * MS, 0, 3 * MS);		     /* 41-50 */
	tl_blocked(&c, 10 * MS, CP_REASON_DISK, 1);  /* 50-60: write */
	tl_woken(&c, 0, 0);			     /* 60: a zero-length span, waker unknown */
	tl_cpu(&c, 10 * MS, 0, 6 * MS);		     /* 60-70: in the kernel, exits */

	tl_add_mark(tl, CP_TL_EXEC, 0, 1000, 1000, 0);
	tl_add_mark(tl, CP_TL_FORK, 10 * MS, 1000, 1000, 1001);
	tl_add_mark(tl, CP_TL_FORK, 40 * MS, 1000, 1000, 2000);
	tl_add_mark(tl, CP_TL_EXIT, 70 * MS, 2000, 2000, 0);
	tl_add_mark(tl, CP_TL_EXIT, 90 * MS, 1001, 1000, 0);
	tl_add_mark(tl, CP_TL_EXIT, 100 * MS, 1000, 1000, 0);
	tl_sort(tl);
	tl_fill_run(run, tl);
	tl->lost_records = 42;
	run->lost_events = 42;
}

#endif
