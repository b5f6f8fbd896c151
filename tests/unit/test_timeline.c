// SPDX-License-Identifier: GPL-2.0
/* The event stream (per-CPU spool, merge by time) and the spans built from hand-made streams. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "classify.h"
#include "runs.h"
#include "stream.h"
#include "timeline.h"

#define US 1000ull
#define T0 (1000 * SEC) /* the run's origin on the stream's clock */

static struct cp_rec rec(uint64_t t, uint8_t type, uint32_t tid, uint8_t state, int syscall,
			 uint32_t a, uint32_t b)
{
	return (struct cp_rec){ .ts_ns = T0 + t,
				.tid = tid,
				.type = type,
				.state = state,
				.syscall = syscall < 0 ? CP_NO_SYSCALL : syscall,
				.a = a,
				.b = b };
}

static struct cp_rec out(uint64_t t, uint32_t tid, uint8_t kstate, uint8_t reason, int syscall,
			 uint64_t sys, int32_t shift)
{
	return rec(t, EV_OUT, tid, kstate | reason << 4, syscall, cp_dur32(sys), (uint32_t)shift);
}

static struct cp_rec in(uint64_t t, uint32_t tid, uint8_t waited, uint64_t wait, uint32_t waker)
{
	return rec(t, EV_IN, tid, waited, -1, waker, cp_dur32(wait));
}

static void add(struct cp_stream *s, unsigned int cpu, struct cp_rec r)
{
	assert_int_equal(cp_stream_add(s, cpu, &r, 1), 0);
}

static const struct cp_tl_span *span(const struct cp_timeline *tl, const struct cp_run *run,
				     size_t thread, size_t k)
{
	size_t first, count;

	cp_tl_thread_spans(tl, run, thread, &first, &count);
	assert_true(k < count);
	return &tl->spans[first + k];
}

static void assert_span(const struct cp_tl_span *sp, uint8_t state, uint64_t start, uint64_t end)
{
	assert_int_equal(sp->state, state);
	assert_int_equal(sp->start_ns, start);
	assert_int_equal(sp->end_ns, end);
}

/* Spans of each thread tile its life: no gap, no overlap. */
static void assert_tiles(const struct cp_timeline *tl, const struct cp_run *run)
{
	for (size_t i = 0; i < run->nr_threads; i++) {
		size_t first, count;

		cp_tl_thread_spans(tl, run, i, &first, &count);
		assert_true(count > 0);
		assert_int_equal(tl->spans[first].start_ns, run->threads[i].start_ns);
		assert_int_equal(tl->spans[first + count - 1].end_ns, run->threads[i].end_ns);
		for (size_t k = first + 1; k < first + count; k++)
			assert_int_equal(tl->spans[k].start_ns, tl->spans[k - 1].end_ns);
	}
}

static const char *const argv_w[] = { "w", NULL };

struct seen {
	uint64_t t[8];
	unsigned int cpu[8];
	size_t n;
};

static int note(void *ctx, unsigned int cpu, const struct cp_rec *r)
{
	struct seen *seen = ctx;

	assert_true(seen->n < 8);
	seen->cpu[seen->n] = cpu;
	seen->t[seen->n++] = r->ts_ns - T0;
	return 0;
}

static void test_merge_by_time_keeps_each_cpu_order(void **state)
{
	struct cp_stream s;
	struct seen seen = { 0 };

	(void)state;
	cp_stream_init(&s);
	add(&s, 1, in(5, 1, KS_RQ_WOKEN, 0, 0));
	add(&s, 0, in(1, 2, KS_RQ_WOKEN, 0, 0));
	add(&s, 0, in(5, 3, KS_RQ_WOKEN, 0, 0));
	add(&s, 3, in(2, 4, KS_RQ_WOKEN, 0, 0));
	/* A repair dates a record back: it stays after its CPU's earlier ones. */
	add(&s, 0, in(3, 5, KS_RQ_WOKEN, 0, 0));
	add(&s, 1, in(9, 6, KS_RQ_WOKEN, 0, 0));
	assert_int_equal(s.records, 6);
	assert_int_equal(cp_stream_each(&s, note, &seen), 0);
	assert_int_equal(seen.n, 6);
	/* cpu0: 1, 5, 3 in its order; merged with cpu1's 5, 9 and cpu3's 2; ties by CPU. */
	uint64_t want_t[] = { 1, 2, 5, 3, 5, 9 };
	unsigned int want_c[] = { 0, 3, 0, 0, 1, 1 };
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(seen.t[i], want_t[i]);
		assert_int_equal(seen.cpu[i], want_c[i]);
	}
	/* A second pass sees the same. */
	seen.n = 0;
	assert_int_equal(cp_stream_each(&s, note, &seen), 0);
	assert_int_equal(seen.n, 6);
	cp_stream_free(&s);
}

static void test_batches_checked(void **state)
{
	struct cp_stream s;
	struct cp_batch *b = calloc(1, sizeof(*b));

	(void)state;
	cp_stream_init(&s);
	b->cpu = 2;
	b->nr = 2;
	b->rec[0] = in(1, 1, KS_RQ_WOKEN, 0, 0);
	b->rec[1] = out(2, 1, KS_BLOCKED, CP_REASON_SLEEP, -1, 0, 0);
	assert_int_equal(cp_stream_add_batch(&s, b, CP_BATCH_HDR + 2 * sizeof(struct cp_rec)), 0);
	assert_int_equal(s.records, 2);
	assert_int_equal(s.nr_cpus, 3);
	/* Shorter than its count says, a count past the batch, no header: dropped, counted. */
	assert_int_equal(cp_stream_add_batch(&s, b, CP_BATCH_HDR + sizeof(struct cp_rec)), 0);
	b->nr = CP_BATCH_RECS + 1;
	assert_int_equal(cp_stream_add_batch(&s, b, sizeof(*b)), 0);
	assert_int_equal(cp_stream_add_batch(&s, b, 4), 0);
	assert_int_equal(s.bad_batches, 3);
	assert_int_equal(s.records, 2);
	free(b);
	cp_stream_free(&s);
}

static void test_dur32(void **state)
{
	(void)state;
	assert_int_equal(cp_dur32_ns(cp_dur32(0)), 0);
	assert_int_equal(cp_dur32_ns(cp_dur32(2147483647ull)), 2147483647ull);
	/* Past 2^31 ns, µs: exact to the µs. */
	assert_int_equal(cp_dur32_ns(cp_dur32(5 * SEC + 1234)), 5 * SEC + 1000);
	/* Saturates at 35 minutes rather than wrapping. */
	assert_int_equal(cp_dur32_ns(cp_dur32(100000 * SEC)), (uint64_t)(CP_DUR32_US - 1) * 1000);
}

/*
 * The launched program: on a CPU from exec, blocks in nanosleep at 10 ms (2 ms of it sys),
 * is woken by tid 77 at 25 ms, runs from 30 ms (its slice 1 µs earlier, as the kernel saw
 * it), exits at 40 ms.
 */
static void test_sleep_wake_run_exit(void **state)
{
	struct cp_run run;
	struct cp_stream s;
	struct cp_timeline tl;
	struct cp_thread *t;
	const struct cp_tl_span *sp;

	(void)state;
	run_init(&run, 40 * MS, 2, argv_w);
	t = run_add_thread(&run, 100, 100, "w", 0);
	t->end_ns = 40 * MS;
	cp_stream_init(&s);
	add(&s, 0, rec(0, EV_EXEC, 100, 1, CP_NR_execve, 0, 0));
	add(&s, 0, out(10 * MS, 100, KS_BLOCKED, CP_REASON_SLEEP, CP_NR_nanosleep, 2 * MS, 0));
	add(&s, 1, in(30 * MS, 100, KS_RQ_WOKEN, 5 * MS, 77));
	add(&s, 1, out(40 * MS, 100, KS_DEAD, 0, 231, 3 * MS, 1000));

	assert_int_equal(cp_timeline_build(&tl, &run, &s, T0), 0);
	assert_int_equal(tl.nr_spans, 4);
	assert_tiles(&tl, &run);
	sp = span(&tl, &run, 0, 0);
	assert_span(sp, CP_TL_CPU, 0, 10 * MS);
	assert_int_equal(sp->sys_ns, 2 * MS);
	assert_int_equal(sp->cpu, 0);
	assert_int_equal(sp->syscall, CP_NR_execve);
	sp = span(&tl, &run, 0, 1);
	assert_span(sp, CP_TL_BLOCKED, 10 * MS, 25 * MS);
	assert_int_equal(sp->reason, CP_REASON_SLEEP);
	assert_int_equal(sp->syscall, CP_NR_nanosleep);
	sp = span(&tl, &run, 0, 2);
	assert_span(sp, CP_TL_WOKEN, 25 * MS, 30 * MS - 1000);
	assert_int_equal(sp->waker, 77);
	sp = span(&tl, &run, 0, 3);
	assert_span(sp, CP_TL_CPU, 30 * MS - 1000, 40 * MS);
	assert_int_equal(sp->sys_ns, 3 * MS);
	assert_int_equal(sp->cpu, 1);
	assert_int_equal(tl.nr_marks, 2);
	assert_int_equal(tl.marks[0].kind, CP_TL_EXEC);
	assert_int_equal(tl.marks[1].kind, CP_TL_EXIT);
	assert_int_equal(tl.marks[1].ts_ns, 40 * MS);
	assert_int_equal(tl.transitions, 3);
	assert_int_equal(tl.nr_incomplete, 0);
	assert_int_equal(tl.unmatched, 0);
	cp_timeline_free(&tl);
	cp_stream_free(&s);
	cp_run_free(&run);
}

/* A thread is created at 5 ms, first runs at 7 ms, is preempted at 9 and runs again at 12. */
static void test_fork_and_preemption(void **state)
{
	struct cp_run run;
	struct cp_stream s;
	struct cp_timeline tl;
	struct cp_thread *t;

	(void)state;
	run_init(&run, 20 * MS, 2, argv_w);
	t = run_add_thread(&run, 100, 100, "w", 0);
	t->end_ns = 20 * MS;
	t = run_add_thread(&run, 101, 100, "w", 5 * MS);
	t->end_ns = 15 * MS;
	cp_stream_init(&s);
	add(&s, 0, rec(0, EV_EXEC, 100, 1, CP_NR_execve, 0, 0));
	add(&s, 0, rec(5 * MS, EV_FORK, 100, 0, 56, 101, 100));
	add(&s, 1, in(7 * MS, 101, KS_RQ_WOKEN, 2 * MS, 0));
	add(&s, 1, out(9 * MS, 101, KS_RQ_PREEMPTED, 0, -1, 0, 0));
	add(&s, 1, in(12 * MS, 101, KS_RQ_PREEMPTED, 3 * MS, 0));
	add(&s, 1, out(15 * MS, 101, KS_DEAD, 0, 60, 10 * US, 0));
	add(&s, 0, out(20 * MS, 100, KS_DEAD, 0, 231, 0, 0));

	assert_int_equal(cp_timeline_build(&tl, &run, &s, T0), 0);
	assert_tiles(&tl, &run);
	assert_int_equal(tl.nr_spans, 1 + 4);
	/* Its first wait: woken by the thread that created it. */
	assert_span(span(&tl, &run, 1, 0), CP_TL_WOKEN, 5 * MS, 7 * MS);
	assert_int_equal(span(&tl, &run, 1, 0)->waker, 100);
	assert_span(span(&tl, &run, 1, 1), CP_TL_CPU, 7 * MS, 9 * MS);
	assert_span(span(&tl, &run, 1, 2), CP_TL_PREEMPTED, 9 * MS, 12 * MS);
	assert_int_equal(span(&tl, &run, 1, 2)->waker, 0);
	assert_span(span(&tl, &run, 1, 3), CP_TL_CPU, 12 * MS, 15 * MS);
	assert_int_equal(span(&tl, &run, 1, 3)->sys_ns, 10 * US);
	assert_int_equal(tl.nr_marks, 4);
	assert_int_equal(tl.marks[1].kind, CP_TL_FORK);
	assert_int_equal(tl.marks[1].other, 101);
	cp_timeline_free(&tl);
	cp_stream_free(&s);
	cp_run_free(&run);
}

/* Records lost: a switch-in while we think it runs; a switch-out while we think it waits. */
static void test_lost_records_marked_incomplete(void **state)
{
	struct cp_run run;
	struct cp_stream s;
	struct cp_timeline tl;
	struct cp_thread *t;

	(void)state;
	run_init(&run, 50 * MS, 2, argv_w);
	run.lost_events = 170;
	t = run_add_thread(&run, 100, 100, "w", 0);
	t->end_ns = 50 * MS;
	cp_stream_init(&s);
	add(&s, 0, rec(0, EV_EXEC, 100, 1, CP_NR_execve, 0, 0));
	/* Its switch-out (at some time before 18 ms) was lost. */
	add(&s, 0, in(20 * MS, 100, KS_RQ_WOKEN, 2 * MS, 5));
	add(&s, 0, out(30 * MS, 100, KS_BLOCKED, CP_REASON_NET, 45, 0, 0));
	/* Its switch-in was lost: it left the CPU at 45 ms. */
	add(&s, 1, out(45 * MS, 100, KS_RQ_PREEMPTED, 0, -1, 0, 0));

	assert_int_equal(cp_timeline_build(&tl, &run, &s, T0), 0);
	assert_tiles(&tl, &run);
	assert_int_equal(tl.lost_records, 170);
	assert_int_equal(tl.unmatched, 2);
	/* 0..18 on CPU: its start is known, its end is not. */
	assert_span(span(&tl, &run, 0, 0), CP_TL_CPU, 0, 18 * MS);
	assert_true(span(&tl, &run, 0, 0)->flags & CP_TL_F_INCOMPLETE);
	assert_span(span(&tl, &run, 0, 1), CP_TL_WOKEN, 18 * MS, 20 * MS);
	assert_span(span(&tl, &run, 0, 2), CP_TL_CPU, 20 * MS, 30 * MS);
	assert_false(span(&tl, &run, 0, 2)->flags & CP_TL_F_INCOMPLETE);
	/* 30..45: blocked, then running, then ... we do not know when what happened. */
	assert_span(span(&tl, &run, 0, 3), CP_TL_UNKNOWN, 30 * MS, 45 * MS);
	assert_true(span(&tl, &run, 0, 3)->flags & CP_TL_F_INCOMPLETE);
	/* Still waiting for a CPU when tracing stopped. */
	assert_span(span(&tl, &run, 0, 4), CP_TL_PREEMPTED, 45 * MS, 50 * MS);
	assert_int_equal(tl.nr_incomplete, 2);
	assert_int_equal(tl.incomplete_ns, 18 * MS + 15 * MS);
	cp_timeline_free(&tl);
	cp_stream_free(&s);
	cp_run_free(&run);
}

/* Attached at 0 to a thread asleep in recvfrom: its first record's wait covers the time. */
static void test_attached_thread(void **state)
{
	struct cp_run run;
	struct cp_stream s;
	struct cp_timeline tl;
	struct cp_thread *t;

	(void)state;
	run_init(&run, 10 * MS, 2, argv_w);
	run.attached = true;
	t = run_add_thread(&run, 100, 100, "srv", 0);
	t->end_ns = 10 * MS;
	t->exited = false;
	t = run_add_thread(&run, 101, 100, "srv", 0);
	t->end_ns = 10 * MS;
	t->exited = false;
	cp_stream_init(&s);
	add(&s, 0, in(4 * MS, 100, KS_RQ_WOKEN, 1 * MS, 0));
	add(&s, 0, out(6 * MS, 100, KS_BLOCKED, CP_REASON_NET, 45, 0, 0));

	assert_int_equal(cp_timeline_build(&tl, &run, &s, T0), 0);
	assert_tiles(&tl, &run);
	/* Before the wakeup: what it was doing is unknown to the stream (seeded from /proc). */
	assert_span(span(&tl, &run, 0, 0), CP_TL_UNKNOWN, 0, 3 * MS);
	assert_span(span(&tl, &run, 0, 1), CP_TL_WOKEN, 3 * MS, 4 * MS);
	assert_span(span(&tl, &run, 0, 2), CP_TL_CPU, 4 * MS, 6 * MS);
	assert_span(span(&tl, &run, 0, 3), CP_TL_BLOCKED, 6 * MS, 10 * MS);
	/* No record at all: one unknown span over its traced life. */
	assert_span(span(&tl, &run, 1, 0), CP_TL_UNKNOWN, 0, 10 * MS);
	cp_timeline_free(&tl);
	cp_stream_free(&s);
	cp_run_free(&run);
}

/* A tid exits and is reused by a later thread: records go to the one alive then. */
static void test_reused_tid(void **state)
{
	struct cp_run run;
	struct cp_stream s;
	struct cp_timeline tl;
	struct cp_thread *t;

	(void)state;
	run_init(&run, 30 * MS, 2, argv_w);
	t = run_add_thread(&run, 100, 100, "w", 0);
	t->end_ns = 30 * MS;
	t = run_add_thread(&run, 200, 100, "a", 1 * MS);
	t->end_ns = 10 * MS;
	t = run_add_thread(&run, 200, 100, "b", 20 * MS);
	t->end_ns = 25 * MS;
	cp_stream_init(&s);
	add(&s, 0, rec(0, EV_EXEC, 100, 1, CP_NR_execve, 0, 0));
	add(&s, 0, rec(1 * MS, EV_FORK, 100, 0, 56, 200, 100));
	add(&s, 1, in(2 * MS, 200, KS_RQ_WOKEN, 1 * MS, 0));
	add(&s, 1, out(10 * MS, 200, KS_DEAD, 0, 60, 0, 0));
	add(&s, 0, rec(20 * MS, EV_FORK, 100, 0, 56, 200, 100));
	add(&s, 1, in(21 * MS, 200, KS_RQ_WOKEN, 1 * MS, 0));
	add(&s, 1, out(25 * MS, 200, KS_DEAD, 0, 60, 0, 0));
	add(&s, 0, out(30 * MS, 100, KS_DEAD, 0, 231, 0, 0));

	assert_int_equal(cp_timeline_build(&tl, &run, &s, T0), 0);
	assert_tiles(&tl, &run);
	assert_int_equal(tl.unmatched, 0);
	assert_span(span(&tl, &run, 1, 1), CP_TL_CPU, 2 * MS, 10 * MS);
	assert_span(span(&tl, &run, 2, 0), CP_TL_WOKEN, 20 * MS, 21 * MS);
	assert_span(span(&tl, &run, 2, 1), CP_TL_CPU, 21 * MS, 25 * MS);
	cp_timeline_free(&tl);
	cp_stream_free(&s);
	cp_run_free(&run);
}

/* Records of threads the model does not have (a full map) are counted, not drawn. */
static void test_unknown_thread_and_empty_stream(void **state)
{
	struct cp_run run;
	struct cp_stream s;
	struct cp_timeline tl;
	struct cp_thread *t;

	(void)state;
	run_init(&run, 10 * MS, 2, argv_w);
	t = run_add_thread(&run, 100, 100, "w", 0);
	t->end_ns = 10 * MS;
	cp_stream_init(&s);
	assert_int_equal(cp_timeline_build(&tl, &run, &s, T0), 0);
	assert_int_equal(tl.nr_spans, 1); /* nothing known: one unknown span */
	cp_timeline_free(&tl);
	add(&s, 0, in(1 * MS, 999, KS_RQ_WOKEN, 0, 0));
	assert_int_equal(cp_timeline_build(&tl, &run, &s, T0), 0);
	assert_int_equal(tl.unmatched, 1);
	cp_timeline_free(&tl);
	/* No stream at all (--no-stream): still one span per thread. */
	assert_int_equal(cp_timeline_build(&tl, &run, NULL, T0), 0);
	assert_int_equal(tl.nr_spans, 1);
	cp_timeline_free(&tl);
	cp_stream_free(&s);
	cp_run_free(&run);
}

static void test_tsv(void **state)
{
	struct cp_run run;
	struct cp_stream s;
	struct cp_timeline tl;
	struct cp_thread *t;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	run_init(&run, 10 * MS, 2, argv_w);
	t = run_add_thread(&run, 100, 100, "w", 0);
	t->end_ns = 10 * MS;
	cp_stream_init(&s);
	add(&s, 0, rec(0, EV_EXEC, 100, 1, CP_NR_execve, 0, 0));
	add(&s, 0, out(4 * MS, 100, KS_BLOCKED, CP_REASON_PIPE, 0, 1 * MS, 0));
	add(&s, 0, in(8 * MS, 100, KS_RQ_WOKEN, 1 * MS, 42));
	assert_int_equal(cp_timeline_build(&tl, &run, &s, T0), 0);
	f = open_memstream(&buf, &len);
	assert_int_equal(cp_tl_write_tsv(f, &run, &tl), 0);
	fclose(f);
	assert_string_equal(buf, "tid\tpid\tstart_ns\tend_ns\tstate\treason\tsyscall\tcpu\tuser_ns"
				 "\tsys_ns\twaker\tflags\n"
				 "100\t100\t0\t4000000\tcpu\t-\t59\t0\t3000000\t1000000\t0\t\n"
				 "100\t100\t4000000\t7000000\tblocked\tpipe\t0\t-1\t0\t0\t0\t\n"
				 "100\t100\t7000000\t8000000\twoken\t-\t-1\t-1\t0\t0\t42\t\n"
				 "100\t100\t8000000\t10000000\tcpu\t-\t-1\t0\t2000000\t0\t0\t\n");
	free(buf);
	cp_timeline_free(&tl);
	cp_stream_free(&s);
	cp_run_free(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_by_time_keeps_each_cpu_order),
		cmocka_unit_test(test_batches_checked),
		cmocka_unit_test(test_dur32),
		cmocka_unit_test(test_sleep_wake_run_exit),
		cmocka_unit_test(test_fork_and_preemption),
		cmocka_unit_test(test_lost_records_marked_incomplete),
		cmocka_unit_test(test_attached_thread),
		cmocka_unit_test(test_reused_tid),
		cmocka_unit_test(test_unknown_thread_and_empty_stream),
		cmocka_unit_test(test_tsv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
