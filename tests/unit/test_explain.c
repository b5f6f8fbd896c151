// SPDX-License-Identifier: GPL-2.0
/* The findings for known situations: each applies where it should, and only there. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "analyze.h"
#include "explain.h"
#include "runs.h"

#include <string.h>

struct explained {
	struct cp_finding findings[CP_MAX_FINDINGS];
	size_t nr;
};

static void explain(const struct cp_run *run, struct explained *e)
{
	struct cp_analysis a;

	assert_int_equal(cp_analyze(run, &a), 0);
	e->nr = cp_explain(run, &a, e->findings, CP_MAX_FINDINGS);
	cp_analysis_free(&a);
	for (size_t i = 0; i < e->nr; i++) {
		size_t len = strlen(e->findings[i].text);

		/* one sentence each, ending like one, well within the buffer */
		assert_true(len > 10 && len < CP_FINDING_LEN - 1);
		assert_true(e->findings[i].text[len - 1] == '.');
	}
}

/* The (first) finding of a kind, or NULL. */
static const char *finding(const struct explained *e, int kind)
{
	for (size_t i = 0; i < e->nr; i++)
		if (e->findings[i].kind == kind)
			return e->findings[i].text;
	return NULL;
}

static void assert_contains(const char *text, const char *part)
{
	if (!text)
		fail_msg("no such finding (wanted \"%s\")", part);
	if (!strstr(text, part))
		fail_msg("\"%s\" not in: %s", part, text);
}

static void assert_not_contains(const char *text, const char *part)
{
	if (!text)
		fail_msg("no such finding (wanted one without \"%s\")", part);
	if (strstr(text, part))
		fail_msg("\"%s\" should not be in: %s", part, text);
}

/* Bytes nobody waited for (a program reading its modules from the page cache) are no finding. */
static void test_throughput_only_when_waited_for(void **state)
{
	struct cp_run run;
	struct explained e;
	size_t found = 0;

	(void)state;
	run_lecture_sequential(&run);
	run.threads[0].disk_read_bytes = 1200000;
	explain(&run, &e);
	for (size_t i = 0; i < e.nr; i++)
		if (e.findings[i].kind == CP_FIND_THROUGHPUT) {
			found++;
			assert_null(strstr(e.findings[i].text, "from disk"));
		}
	assert_int_equal(found, 1); /* the network's */

	/* the same bytes, with the thread blocked on the disk 20% of the wall time */
	run.threads[0].blocked_ns[CP_REASON_DISK] = run.wall_ns / 5;
	run.threads[0].blocked_ns[CP_REASON_NET] -= run.wall_ns / 5;
	explain(&run, &e);
	found = 0;
	for (size_t i = 0; i < e.nr; i++)
		if (e.findings[i].kind == CP_FIND_THROUGHPUT && strstr(e.findings[i].text, "from disk"))
			found++;
	assert_int_equal(found, 1);
	cp_run_free(&run);
}

static void test_lecture_sequential_is_io_bound(void **state)
{
	struct cp_run run;
	struct explained e;

	(void)state;
	run_lecture_sequential(&run);
	explain(&run, &e);
	/* the lecture: "A CPU trabalhou por 0.994 s (6% do total)... 94% do tempo ... I/O bound" */
	assert_contains(finding(&e, CP_FIND_IO_BOUND),
			"CPU worked 994 ms of 16.4 s (6%): 94% of the time no thread was on a CPU, "
			"as they waited for the network — I/O bound.");
	/* "Baixou ≈ 20 MB em 16.4 s: ≈ 1.2 MB/s" */
	assert_contains(finding(&e, CP_FIND_THROUGHPUT),
			"≈ 20 MB from the network in 16.4 s: ≈ 1.2 MB/s.");
	assert_contains(finding(&e, CP_FIND_MEANING), "user 732 ms");
	assert_contains(finding(&e, CP_FIND_MEANING), "sys 262 ms");
	assert_contains(finding(&e, CP_FIND_MEANING), "wall 16.4 s");
	/* the meaning comes first; nothing that does not apply */
	assert_int_equal(e.findings[0].kind, CP_FIND_MEANING);
	assert_null(finding(&e, CP_FIND_CPU_BOUND));
	assert_null(finding(&e, CP_FIND_LOCK));
	assert_null(finding(&e, CP_FIND_CPU_WAIT));
	assert_null(finding(&e, CP_FIND_PARALLEL));
	assert_null(finding(&e, CP_FIND_DATA_LOSS));
	assert_null(finding(&e, CP_FIND_KILLED));
	/* 48 kB sent is below CP_THROUGHPUT_MIN_BYTES; rusage agrees within its tolerance */
	assert_null(strstr(finding(&e, CP_FIND_THROUGHPUT), "to the network"));
	assert_null(finding(&e, CP_FIND_RUSAGE));
	cp_run_free(&run);
}

static void test_lecture_threads_overlap_waits(void **state)
{
	struct cp_run run;
	struct explained e;

	(void)state;
	run_lecture_threads(&run);
	explain(&run, &e);
	/* "Baixou ≈ 20 MB em 2.67 s: ≈ 7.5 MB/s ... A CPU trabalhou por 9.52 s (356% do total)" */
	assert_contains(finding(&e, CP_FIND_THROUGHPUT),
			"≈ 20 MB from the network in 2.67 s: ≈ 7.5 MB/s.");
	assert_contains(finding(&e, CP_FIND_MIXED), "CPU worked 9.52 s in 2.67 s (357%)");
	assert_contains(finding(&e, CP_FIND_MIXED), "while others waited for the network");
	assert_contains(finding(&e, CP_FIND_PARALLEL),
			"user + sys (9.52 s) is more than wall (2.67 s) because threads ran on "
			"several cores at once: 3.57 of 8 cores busy on average");
	/* main joining 20 workers is not lock contention; 8 cores were enough */
	assert_null(finding(&e, CP_FIND_LOCK));
	assert_null(finding(&e, CP_FIND_CPU_WAIT));
	assert_null(finding(&e, CP_FIND_IO_BOUND));
	assert_null(finding(&e, CP_FIND_CPU_BOUND));
	cp_run_free(&run);
}

static void test_spinners_cpu_bound_and_waiting_for_cpu(void **state)
{
	struct cp_run run;
	struct explained e;

	(void)state;
	run_spinners(&run);
	explain(&run, &e);
	assert_contains(finding(&e, CP_FIND_CPU_BOUND),
			"4 threads kept 2.00 of 2 cores busy: CPU bound.");
	assert_contains(finding(&e, CP_FIND_CPU_WAIT),
			"Threads waited 8.02 s for a CPU (50% of their lives): on average 4 "
			"runnable threads shared 2 cores — more threads than cores, so they took "
			"turns.");
	assert_contains(finding(&e, CP_FIND_PARALLEL),
			"user + sys (7.98 s) is more than wall (4.00 s)");
	/* main's pthread_join is not lock contention */
	assert_null(finding(&e, CP_FIND_LOCK));
	assert_null(finding(&e, CP_FIND_IO_BOUND));
	assert_null(finding(&e, CP_FIND_THROUGHPUT));
	cp_run_free(&run);
}

static void test_single_thread_leaves_cores_idle(void **state)
{
	struct cp_run run;
	struct explained e;

	(void)state;
	run_single_spinner(&run);
	explain(&run, &e);
	assert_contains(finding(&e, CP_FIND_CPU_BOUND),
			"1 thread kept 1.00 of 2 cores busy: CPU bound — a thread runs on one core "
			"at a time, so 1 core had nothing to do.");
	assert_null(finding(&e, CP_FIND_CPU_WAIT));
	assert_null(finding(&e, CP_FIND_PARALLEL));
	cp_run_free(&run);
}

static void test_mutex_contention_is_lock_bound(void **state)
{
	struct cp_run run;
	struct explained e;

	(void)state;
	run_mutex_contention(&run);
	explain(&run, &e);
	assert_contains(finding(&e, CP_FIND_LOCK),
			"4 threads spent 12.8 s (80% of their lives) blocked on locks");
	assert_contains(finding(&e, CP_FIND_LOCK), "only 0.50 of 2 cores were busy.");
	/* idle more than half the time, but not for I/O */
	assert_null(finding(&e, CP_FIND_IO_BOUND));
	assert_contains(finding(&e, CP_FIND_MOSTLY_WAITING), "waited for locks");
	assert_null(finding(&e, CP_FIND_CPU_BOUND));
	cp_run_free(&run);
}

/*
 * primes --mode procs: a parent reads its 2 workers' results from pipes while they compute. Its
 * pipe waits are for the program itself, so the run is CPU bound; and the workers got only one
 * of the 2 cores between them.
 */
static void test_parent_collecting_through_pipes(void **state)
{
	struct cp_run run;
	struct cp_thread *t;
	struct explained e;

	(void)state;
	run_init(&run, 1450 * MS, 2, (const char *const[]){ "./primes", "-m", "procs", NULL });
	run_add_process(&run, 1000, 999, "primes", 0, 1450 * MS);
	run_add_process(&run, 1001, 1000, "primes", 5 * MS, 1445 * MS);
	run_add_process(&run, 1002, 1000, "primes", 5 * MS, 1255 * MS);
	t = run_add_thread(&run, 1000, 1000, "primes", 0);
	t->user_ns = 4 * MS;
	t->sys_ns = 2 * MS;
	t->runnable_woken_ns = 9 * MS;
	t->blocked_ns[CP_REASON_PIPE] = 1435 * MS;
	t->pipe_read_bytes = 2000;
	thread_seal(t);
	t = run_add_thread(&run, 1001, 1001, "primes", 5 * MS);
	t->user_ns = 814 * MS;
	t->sys_ns = MS;
	t->runnable_preempted_ns = 625 * MS;
	t->pipe_write_bytes = 1000;
	thread_seal(t);
	t = run_add_thread(&run, 1002, 1002, "primes", 5 * MS);
	t->user_ns = 620 * MS;
	t->sys_ns = MS;
	t->runnable_preempted_ns = 629 * MS;
	t->pipe_write_bytes = 1000;
	thread_seal(t);
	run_set_concurrency(&run, true, 3, 10 * MS, 1430 * MS, 10 * MS);
	explain(&run, &e);
	assert_contains(finding(&e, CP_FIND_CPU_BOUND),
			"2 threads kept 0.99 of 2 cores busy: CPU bound.");
	assert_contains(finding(&e, CP_FIND_CPU_WAIT),
			"on average 1.9 threads wanted a CPU, yet only 0.99 of 2 cores ran them: "
			"other programs were using the rest.");
	cp_run_free(&run);
}

/* 4 spinners wanted 2 cores but got only one: another program had the other. */
static void test_other_programs_took_cores(void **state)
{
	struct cp_run run;
	struct explained e;

	(void)state;
	run_spinners(&run);
	for (size_t i = 1; i < run.nr_threads; i++) {
		run.threads[i].user_ns /= 2;
		run.threads[i].runnable_preempted_ns += run.threads[i].user_ns;
	}
	run.concurrency.ns_at[1] = 3981 * MS;
	run.concurrency.ns_at[2] = 19 * MS;
	explain(&run, &e);
	assert_contains(finding(&e, CP_FIND_CPU_WAIT),
			"on average 4 runnable threads shared 2 cores, and as they kept only 1.00 "
			"busy, other programs were using the rest.");
	cp_run_free(&run);
}

/* A GIL: always someone on a CPU, never two, everyone else waiting for the one lock. */
static void test_gil_takes_turns(void **state)
{
	struct cp_run run;
	struct explained e;

	(void)state;
	run_spinners(&run);
	for (size_t i = 1; i < run.nr_threads; i++) {
		struct cp_thread *t = &run.threads[i];

		t->user_ns = 990 * MS;
		t->sys_ns = 5 * MS;
		t->runnable_preempted_ns = 5 * MS;
		t->runnable_woken_ns = 200 * MS;
		t->blocked_ns[CP_REASON_LOCK] = 2800 * MS;
		t->voluntary_switches = 400;
	}
	run.concurrency.ns_at[0] = 19 * MS;
	run.concurrency.ns_at[1] = 3981 * MS;
	run.concurrency.ns_at[2] = 0;
	explain(&run, &e);
	assert_contains(finding(&e, CP_FIND_MIXED),
			"some thread was on a CPU >99% of the time, while others waited for locks "
			"— they took turns.");
	assert_contains(finding(&e, CP_FIND_LOCK), "4 threads spent 11.2 s (70% of their lives)");
	assert_contains(finding(&e, CP_FIND_LOCK), "only 1.00 of 2 cores were busy.");
	cp_run_free(&run);
}

static void test_lost_data_warned_first(void **state)
{
	struct cp_run run;
	struct explained e;

	(void)state;
	run_lecture_sequential(&run);
	run.lost_events = 1234;
	run.lost_threads = 3;
	run.concurrency.complete = false;
	explain(&run, &e);
	assert_int_equal(e.findings[0].kind, CP_FIND_DATA_LOSS);
	assert_contains(e.findings[0].text, "1234 events could not be recorded");
	assert_int_equal(e.findings[1].kind, CP_FIND_DATA_LOSS);
	assert_contains(e.findings[1].text, "3 threads could not be tracked");
	/* an incomplete profile gives lower bounds, and says so */
	assert_contains(finding(&e, CP_FIND_IO_BOUND), "at least 94% of the time");
	cp_run_free(&run);
}

static void test_rusage_difference_explained(void **state)
{
	struct cp_run run;
	struct explained e;

	(void)state;
	run_shell_loop(&run, 50);
	/* the kernel saw only half the children (reaped) and put page faults into sys */
	run.rusage_user_ns = 100 * MS;
	run.rusage_sys_ns = 250 * MS;
	explain(&run, &e);
	assert_contains(finding(&e, CP_FIND_RUSAGE), "user 100 ms and sys 250 ms");
	assert_contains(finding(&e, CP_FIND_RUSAGE), "(concprof: 375 ms and 175 ms)");
	assert_contains(finding(&e, CP_FIND_RUSAGE), "HZ=250: every 4.00 ms");
	assert_contains(finding(&e, CP_FIND_RUSAGE), "reaped");
	assert_contains(finding(&e, CP_FIND_RUSAGE), "page faults");

	/* a kernel whose tick libbpf could not read: no made-up HZ */
	run.kernel_hz = 0;
	explain(&run, &e);
	assert_not_contains(finding(&e, CP_FIND_RUSAGE), "HZ=");
	assert_contains(finding(&e, CP_FIND_RUSAGE), "at each timer tick and scales");
	run.kernel_hz = 250;

	/* attached: no kernel figures to compare */
	run.have_rusage = false;
	explain(&run, &e);
	assert_null(finding(&e, CP_FIND_RUSAGE));
	cp_run_free(&run);
}

static void test_killed_and_sleeping(void **state)
{
	struct cp_run run;
	struct cp_thread *t;
	struct explained e;

	(void)state;
	run_init(&run, 5 * SEC, 2, (const char *const[]){ "sleep", "5", NULL });
	run.term_signal = 2;
	run.exit_code = 130;
	run_add_process(&run, 1000, 999, "sleep", 0, 5 * SEC);
	t = run_add_thread(&run, 1000, 1000, "sleep", 0);
	t->user_ns = MS;
	t->sys_ns = MS;
	t->blocked_ns[CP_REASON_SLEEP] = 5 * SEC - 2 * MS;
	thread_seal(t);
	run_set_concurrency(&run, true, 2, 5 * SEC - 2 * MS, 2 * MS);
	explain(&run, &e);
	assert_contains(finding(&e, CP_FIND_KILLED), "ended by SIGINT (exit status 130)");
	assert_contains(finding(&e, CP_FIND_MOSTLY_WAITING), "waited for a timer (sleeping)");
	assert_null(finding(&e, CP_FIND_IO_BOUND));
	cp_run_free(&run);
}

static void test_other_syscall_named(void **state)
{
	struct cp_run run;
	struct cp_thread *t;
	struct explained e;

	(void)state;
	run_init(&run, 5 * SEC, 2, (const char *const[]){ "./wait", NULL });
	run_add_process(&run, 1000, 999, "wait", 0, 5 * SEC);
	t = run_add_thread(&run, 1000, 1000, "wait", 0);
	t->user_ns = MS;
	t->blocked_ns[CP_REASON_OTHER] = 5 * SEC - MS;
	t->other_syscall = 34; /* pause */
	thread_seal(t);
	explain(&run, &e);
	assert_contains(finding(&e, CP_FIND_MOSTLY_WAITING), "waited in the syscall pause");
	/* no profile: a lower bound, but never "at least >99%" */
	assert_not_contains(finding(&e, CP_FIND_MOSTLY_WAITING), "at least >");
	assert_contains(finding(&e, CP_FIND_MOSTLY_WAITING), ">99% of the time");
	cp_run_free(&run);
}

static void test_max_findings_respected(void **state)
{
	struct cp_run run;
	struct cp_analysis a;
	struct cp_finding two[2];

	(void)state;
	run_spinners(&run);
	assert_int_equal(cp_analyze(&run, &a), 0);
	assert_int_equal(cp_explain(&run, &a, two, 2), 2);
	assert_int_equal(cp_explain(&run, &a, two, 0), 0);
	assert_string_equal(cp_finding_kind_name(CP_FIND_IO_BOUND), "io_bound");
	assert_string_equal(cp_finding_kind_name(-1), "?");
	cp_analysis_free(&a);
	cp_run_free(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lecture_sequential_is_io_bound),
		cmocka_unit_test(test_throughput_only_when_waited_for),
		cmocka_unit_test(test_lecture_threads_overlap_waits),
		cmocka_unit_test(test_spinners_cpu_bound_and_waiting_for_cpu),
		cmocka_unit_test(test_single_thread_leaves_cores_idle),
		cmocka_unit_test(test_mutex_contention_is_lock_bound),
		cmocka_unit_test(test_parent_collecting_through_pipes),
		cmocka_unit_test(test_other_programs_took_cores),
		cmocka_unit_test(test_gil_takes_turns),
		cmocka_unit_test(test_lost_data_warned_first),
		cmocka_unit_test(test_rusage_difference_explained),
		cmocka_unit_test(test_killed_and_sleeping),
		cmocka_unit_test(test_other_syscall_named),
		cmocka_unit_test(test_max_findings_respected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
