// SPDX-License-Identifier: GPL-2.0
/* Derived figures on hand-made runs: totals, parallelism, waiters, table order and grouping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "analyze.h"
#include "runs.h"

#include <math.h>

/* Every figure that is a sum must equal the sum of its parts. */
static void check_invariants(const struct cp_run *run, const struct cp_analysis *a)
{
	uint64_t user = 0, sys = 0, runnable = 0, blocked = 0, life = 0, row_user = 0;
	uint64_t proc_user = 0, reason_sum = 0;
	size_t row_threads = 0, row_procs = 0;

	for (size_t i = 0; i < run->nr_threads; i++) {
		const struct cp_thread *t = &run->threads[i];

		user += t->user_ns;
		sys += t->sys_ns;
		runnable += cp_thread_runnable_ns(t);
		blocked += cp_thread_blocked_ns(t);
		life += cp_thread_lifetime_ns(t);
	}
	for (int r = 0; r < CP_NR_REASONS; r++)
		reason_sum += a->totals.blocked_ns[r];
	assert_int_equal(a->totals.user_ns, user);
	assert_int_equal(a->totals.sys_ns, sys);
	assert_int_equal(a->cpu_ns, user + sys);
	assert_int_equal(a->runnable_ns, runnable);
	assert_int_equal(a->blocked_ns, blocked);
	assert_int_equal(a->blocked_ns, reason_sum);
	assert_int_equal(a->lifetime_ns, life); /* the runs are sealed: states sum to lifetime */
	assert_int_equal(a->lifetime_ns, a->cpu_ns + a->runnable_ns + a->blocked_ns);

	for (size_t i = 0; i < a->nr_thread_rows; i++) {
		row_threads += a->thread_rows[i].count;
		row_user += a->thread_rows[i].sum.user_ns;
		if (i > 0)
			assert_true(a->thread_rows[i - 1].sort_bucket >=
				    a->thread_rows[i].sort_bucket);
	}
	assert_int_equal(row_threads, run->nr_threads);
	assert_int_equal(row_user, user);
	for (size_t i = 0; i < a->nr_process_rows; i++) {
		row_procs += a->process_rows[i].count;
		proc_user += a->process_rows[i].user_ns;
	}
	assert_int_equal(row_procs, run->nr_procs);
	assert_int_equal(proc_user, user);
}

static void test_lecture_sequential_figures(void **state)
{
	struct cp_run run;
	struct cp_analysis a;

	(void)state;
	run_lecture_sequential(&run);
	assert_int_equal(cp_analyze(&run, &a), 0);
	check_invariants(&run, &a);
	assert_int_equal(a.cpu_ns, 994 * MS);
	assert_true(fabs(a.cpu_pct_of_wall - 6.06) < 0.01);
	assert_true(fabs(a.cores_busy - 0.0606) < 0.001);
	assert_true(a.have_concurrency);
	assert_true(fabs(a.idle_frac - 0.9394) < 0.001);
	assert_true(fabs(a.mean_parallelism - 1.0) < 1e-9);
	assert_int_equal(a.max_parallelism, 1);
	assert_int_equal(a.dominant_reason, CP_REASON_NET);
	assert_int_equal(a.nr_waiters, 0); /* one thread waits for nobody but the network */
	assert_true(fabs(a.net_rx_per_s - 19955565 / 16.4) < 1);
	assert_int_equal(a.nr_thread_rows, 1);
	assert_int_equal(a.thread_rows[0].sum.tid, 1000);
	cp_analysis_free(&a);
	cp_run_free(&run);
}

static void test_spinners_parallelism_and_waiter(void **state)
{
	struct cp_run run;
	struct cp_analysis a;

	(void)state;
	run_spinners(&run);
	assert_int_equal(cp_analyze(&run, &a), 0);
	check_invariants(&run, &a);
	assert_true(fabs(a.cores_busy - 7.981 / 4) < 1e-6);
	assert_true(fabs(a.cpu_demand - 4.0) < 0.01);
	assert_int_equal(a.max_parallelism, 2);
	assert_true(a.parallel_frac > 0.99);
	assert_true(a.idle_frac == 0);
	/* main only joined: its lock time is not contention */
	assert_int_equal(a.nr_waiters, 1);
	assert_int_equal(a.cause_blocked_ns[CP_REASON_LOCK], 0);
	assert_int_equal(a.nr_busy_threads, 4);
	assert_true(fabs(a.runnable_share - 0.5) < 0.01);
	/* the joiner sorts last: it did nothing but wait for the others */
	assert_int_equal(a.thread_rows[a.nr_thread_rows - 1].sum.tid, 1000);
	cp_analysis_free(&a);
	cp_run_free(&run);
}

static void test_mutex_lock_share(void **state)
{
	struct cp_run run;
	struct cp_analysis a;

	(void)state;
	run_mutex_contention(&run);
	assert_int_equal(cp_analyze(&run, &a), 0);
	check_invariants(&run, &a);
	assert_int_equal(a.dominant_reason, CP_REASON_LOCK);
	assert_int_equal(a.nr_lock_threads, 4);
	assert_true(fabs(a.lock_share - 0.8) < 0.001);
	cp_analysis_free(&a);
	cp_run_free(&run);
}

static void test_child_waits_never_lead(void **state)
{
	struct cp_run run;
	struct cp_analysis a;

	(void)state;
	run_shell_loop(&run, 5);
	assert_int_equal(cp_analyze(&run, &a), 0);
	check_invariants(&run, &a);
	/* sh waited for its children far longer than they read the disk; the disk is the cause */
	assert_true(a.totals.blocked_ns[CP_REASON_CHILD] > a.totals.blocked_ns[CP_REASON_DISK]);
	assert_int_equal(a.dominant_reason, CP_REASON_DISK);
	cp_analysis_free(&a);
	cp_run_free(&run);
}

/* `dd | md5sum`: dd waits on the pipe while md5sum computes; the sleep is why nothing ran. */
static void test_pipe_between_traced_processes_never_leads(void **state)
{
	struct cp_run run;
	struct cp_analysis a;
	struct cp_thread *t;

	(void)state;
	run_init(&run, 700 * MS, 2,
		 (const char *const[]){ "sh", "-c", "dd | md5sum; sleep", NULL });
	t = run_add_thread(&run, 1001, 1001, "dd", 0);
	t->sys_ns = 40 * MS;
	t->blocked_ns[CP_REASON_PIPE] = 330 * MS;
	t->pipe_write_bytes = 200000000;
	thread_seal(t);
	t = run_add_thread(&run, 1002, 1002, "md5sum", 0);
	t->user_ns = 360 * MS;
	t->blocked_ns[CP_REASON_PIPE] = 10 * MS;
	t->pipe_read_bytes = 200000000;
	thread_seal(t);
	t = run_add_thread(&run, 1003, 1003, "sleep", 380 * MS);
	t->blocked_ns[CP_REASON_SLEEP] = 300 * MS;
	thread_seal(t);
	assert_int_equal(cp_analyze(&run, &a), 0);
	assert_true(a.pipes_internal);
	assert_int_equal(a.dominant_reason, CP_REASON_SLEEP);
	assert_int_equal(a.pipe_bytes, 200000000);
	cp_analysis_free(&a);

	/* only read: the writer is outside, so the pipe is the program's input, and may lead */
	run.threads[0].pipe_write_bytes = 0;
	assert_int_equal(cp_analyze(&run, &a), 0);
	assert_false(a.pipes_internal);
	assert_int_equal(a.dominant_reason, CP_REASON_PIPE);
	cp_analysis_free(&a);
	cp_run_free(&run);
}

static void test_short_lived_alike_are_grouped(void **state)
{
	struct cp_run run;
	struct cp_analysis a;

	(void)state;
	run_shell_loop(&run, 200);
	assert_int_equal(cp_analyze(&run, &a), 0);
	check_invariants(&run, &a);
	/* sh itself, and one row for the 200 workers */
	assert_int_equal(a.nr_thread_rows, 2);
	assert_int_equal(a.nr_process_rows, 2);
	for (size_t i = 0; i < 2; i++) {
		const struct cp_thread_row *row = &a.thread_rows[i];

		if (row->sum.tid == 1000) {
			assert_int_equal(row->count, 1);
			continue;
		}
		assert_int_equal(row->count, 200);
		assert_string_equal(row->sum.comm, "worker");
		assert_int_equal(row->sum.user_ns, 200 * 7 * MS);
		assert_int_equal(row->lifetime_ns, 200 * 11 * MS);
		assert_true(row->process_main);
	}
	for (size_t i = 0; i < 2; i++) {
		const struct cp_process_row *row = &a.process_rows[i];

		if (row->proc.pid == 1000)
			continue;
		assert_int_equal(row->count, 200);
		assert_int_equal(row->nr_threads, 200);
		assert_false(row->same_exit); /* worker 7 exited with 1 */
	}
	cp_analysis_free(&a);
	cp_run_free(&run);
}

static void test_few_alike_stay_separate(void **state)
{
	struct cp_run run;
	struct cp_analysis a;

	(void)state;
	/* 3 short children: fewer than CP_GROUP_MIN_THREADS, still readable one by one */
	run_shell_loop(&run, 200);
	run.nr_threads = 1 + CP_GROUP_MIN_THREADS - 1;
	run.nr_procs = 1 + CP_GROUP_MIN_THREADS - 1;
	assert_int_equal(cp_analyze(&run, &a), 0);
	assert_int_equal(a.nr_thread_rows, CP_GROUP_MIN_THREADS);
	assert_int_equal(a.nr_process_rows, CP_GROUP_MIN_THREADS);
	for (size_t i = 0; i < a.nr_thread_rows; i++)
		assert_int_equal(a.thread_rows[i].count, 1);
	cp_analysis_free(&a);
	cp_run_free(&run);
}

static void test_rows_most_active_first(void **state)
{
	struct cp_run run;
	struct cp_analysis a;

	(void)state;
	run_many_threads(&run, 30);
	assert_int_equal(cp_analyze(&run, &a), 0);
	check_invariants(&run, &a);
	assert_int_equal(a.nr_thread_rows, 30);
	/* workers are all alive the whole time, blocked on the network; the busiest lead */
	assert_int_equal(a.thread_rows[0].sum.tid, 1029);
	assert_int_equal(a.thread_rows[1].sum.tid, 1028);
	/* no profile recorded: the idle share is estimated from the CPU time */
	assert_false(a.have_concurrency);
	assert_true(a.idle_frac > 0.9);
	cp_analysis_free(&a);
	cp_run_free(&run);
}

/* A thread that waited on the network all run explains more of the wall than a short burst. */
static void test_activity_before_cpu(void **state)
{
	struct cp_run run;
	struct cp_analysis a;
	struct cp_thread *t;

	(void)state;
	run_init(&run, 10 * SEC, 2, (const char *const[]){ "./mixed", NULL });
	run_add_process(&run, 1000, 999, "mixed", 0, 10 * SEC);
	t = run_add_thread(&run, 1000, 1000, "main", 0);
	t->user_ns = 5 * MS;
	t->blocked_ns[CP_REASON_LOCK] = 10 * SEC - 5 * MS; /* joins the other two */
	thread_seal(t);
	t = run_add_thread(&run, 1001, 1000, "burst", 2 * SEC);
	t->user_ns = 900 * MS;
	t->blocked_ns[CP_REASON_DISK] = 100 * MS;
	thread_seal(t);
	t = run_add_thread(&run, 1002, 1000, "fetch", 0);
	t->user_ns = 10 * MS;
	t->sys_ns = 10 * MS;
	t->blocked_ns[CP_REASON_NET] = 10 * SEC - 20 * MS;
	thread_seal(t);
	assert_int_equal(cp_analyze(&run, &a), 0);
	check_invariants(&run, &a);
	assert_int_equal(a.nr_thread_rows, 3);
	assert_string_equal(a.thread_rows[0].sum.comm, "fetch");
	assert_string_equal(a.thread_rows[1].sum.comm, "burst");
	assert_string_equal(a.thread_rows[2].sum.comm, "main");
	assert_int_equal(a.nr_waiters, 1);
	cp_analysis_free(&a);
	cp_run_free(&run);
}

static void test_empty_and_degenerate_runs(void **state)
{
	struct cp_run run;
	struct cp_analysis a;
	struct cp_thread *t;

	(void)state;
	run_init(&run, 0, 0, NULL);
	assert_int_equal(cp_analyze(&run, &a), 0);
	assert_int_equal(a.nr_thread_rows, 0);
	assert_int_equal(a.cpu_pct_of_wall, 0);
	assert_int_equal(a.dominant_reason, -1);
	cp_analysis_free(&a);
	cp_analysis_free(&a); /* idempotent */

	/* a clock that went backwards must not wrap around */
	t = run_add_thread(&run, 1, 1, "x", 100);
	t->end_ns = 50;
	assert_int_equal(cp_thread_lifetime_ns(t), 0);
	assert_int_equal(cp_analyze(&run, &a), 0);
	assert_int_equal(a.nr_thread_rows, 1);
	cp_analysis_free(&a);
	cp_run_free(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lecture_sequential_figures),
		cmocka_unit_test(test_spinners_parallelism_and_waiter),
		cmocka_unit_test(test_mutex_lock_share),
		cmocka_unit_test(test_child_waits_never_lead),
		cmocka_unit_test(test_pipe_between_traced_processes_never_leads),
		cmocka_unit_test(test_short_lived_alike_are_grouped),
		cmocka_unit_test(test_few_alike_stay_separate),
		cmocka_unit_test(test_rows_most_active_first),
		cmocka_unit_test(test_activity_before_cpu),
		cmocka_unit_test(test_empty_and_degenerate_runs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
