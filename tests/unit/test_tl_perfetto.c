// SPDX-License-Identifier: GPL-2.0
/*
 * `--perfetto FILE`: ftrace's text as Perfetto imports it. Each CPU's switches chain (prev_pid
 * is the previous next_pid), time never goes back, sleeps are slices, wakeups come from their
 * wakers.
 *
 * With CONCPROF_PERFETTO_FIXTURES=DIR, writes the traces of the timelines below to DIR/NAME.trace
 * and exits, for tests/integration/test_perfetto_format.py to run tools/perfetto-check.py (and
 * trace_processor, where installed) on them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "timeline.h"
#include "tl_fixture.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NR_CHECKED_CPUS 64

static char *write_trace(const struct cp_run *run, const struct cp_timeline *tl)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(cp_tl_write_perfetto(f, run, tl), 0);
	assert_int_equal(fclose(f), 0);
	if (getenv("CONCPROF_TEST_SHOW"))
		fputs(text, stderr);
	return text;
}

static void assert_contains(const char *text, const char *part)
{
	if (!strstr(text, part))
		fail_msg("\"%s\" not in the trace:\n%s", part, text);
}

static size_t count(const char *text, const char *part)
{
	size_t n = 0;

	for (const char *s = strstr(text, part); s; s = strstr(s + 1, part))
		n++;
	return n;
}

struct trace_stats {
	size_t lines, switches, wakeups, begins, ends;
};

/*
 * The checks of tools/perfetto-check.py that matter most, in C so that every unit run makes
 * them: time never goes back; on each CPU, a switch's prev_pid is the last switch's next_pid and
 * the line is the prev task's; B and E alternate on each thread (a thread is in one sleep at a
 * time).
 */
static struct trace_stats check_trace(const char *text)
{
	int32_t current[NR_CHECKED_CPUS];
	bool seen[NR_CHECKED_CPUS] = { false };
	int32_t open_pid[256];
	size_t nr_open = 0;
	struct trace_stats st = { 0 };
	uint64_t last_ts = 0;

	assert_true(strncmp(text, "# tracer: nop\n", 14) == 0);
	for (const char *line = text; *line; line = strchr(line, '\n') + 1) {
		unsigned long long sec, frac;
		int32_t pid, prev, next;
		unsigned cpu;
		const char *p, *event;
		uint64_t ts;

		assert_non_null(strchr(line, '\n'));
		if (*line == '#')
			continue;
		st.lines++;
		/* "<task>-<pid> (<tgid>) [<cpu>] .... <sec>.<ns>: <event>: <args>" */
		p = strstr(line, ") [");
		assert_non_null(p);
		assert_int_equal(sscanf(p, ") [%u] .... %llu.%llu: ", &cpu, &sec, &frac), 3);
		assert_true(cpu < NR_CHECKED_CPUS);
		assert_true(frac < 1000000000);
		ts = sec * 1000000000 + frac;
		assert_true(ts >= last_ts);
		last_ts = ts;
		for (p = strstr(line, " ("); p > line && p[-1] != '-'; p--)
			;
		assert_int_equal(sscanf(p, "%d", &pid), 1);
		event = strstr(line, "....");
		event = strstr(event, ": ") + 2;
		if (strncmp(event, "sched_switch: ", 14) == 0) {
			st.switches++;
			p = strstr(event, "prev_pid=");
			assert_int_equal(sscanf(p, "prev_pid=%d", &prev), 1);
			p = strstr(event, "next_pid=");
			assert_int_equal(sscanf(p, "next_pid=%d", &next), 1);
			assert_int_equal(pid, prev);
			assert_int_not_equal(prev, next);
			if (seen[cpu] && current[cpu] != prev)
				fail_msg("CPU %u: switch from %d after one to %d:\n%.*s", cpu, prev,
					 current[cpu], (int)(strchr(line, '\n') - line), line);
			seen[cpu] = true;
			current[cpu] = next;
		} else if (strncmp(event, "sched_waking: ", 14) == 0) {
			st.wakeups++;
		} else if (strncmp(event, "tracing_mark_write: B|", 22) == 0) {
			for (size_t i = 0; i < nr_open; i++)
				assert_int_not_equal(open_pid[i], pid);
			assert_true(nr_open < 256);
			open_pid[nr_open++] = pid;
			st.begins++;
		} else if (strncmp(event, "tracing_mark_write: E|", 22) == 0) {
			size_t i = 0;

			while (i < nr_open && open_pid[i] != pid)
				i++;
			assert_true(i < nr_open);
			open_pid[i] = open_pid[--nr_open];
			st.ends++;
		} else {
			assert_true(strncmp(event, "sched_blocked_reason: pid=", 26) == 0);
		}
	}
	assert_int_equal(nr_open, 0);
	assert_int_equal(st.begins, st.ends);
	return st;
}

/* ---- timelines ------------------------------------------------------------------------- */

/* Thread i: on CPU i % 2 for its user + sys time from its start, then blocked on its main
 * reason; threads that would overlap on a CPU wait their turn (preempted) instead. */
static void simple_timeline(const struct cp_run *run, struct cp_timeline *tl)
{
	uint64_t free_at[2] = { 0, 0 };

	tl_init(tl, run->wall_ns);
	for (size_t i = 0; i < run->nr_threads; i++) {
		const struct cp_thread *th = &run->threads[i];
		struct tl_cursor c = tl_thread_at(tl, run, i, th->start_ns);
		uint64_t cpu = th->user_ns + th->sys_ns, wait = 0, end = th->end_ns;
		int reason = 0;

		for (int r = 0; r < CP_NR_REASONS; r++)
			if (th->blocked_ns[r] > th->blocked_ns[reason])
				reason = r;
		if (free_at[i % 2] > th->start_ns)
			wait = free_at[i % 2] - th->start_ns;
		if (wait + cpu > end - th->start_ns)
			continue; /* no room: left out */
		if (wait)
			tl_preempted(&c, wait);
		tl_cpu(&c, cpu, (uint16_t)(i % 2), th->sys_ns);
		free_at[i % 2] = c.at;
		tl_blocked(&c, end - c.at, reason, reason == CP_REASON_NET ? 45 : 202);
	}
	tl_sort(tl);
}

/*
 * Spans the builder may produce at the edges: a thread's CPU spans split at a syscall on one
 * CPU (one stay), zero-length spans (no switch), sub-microsecond spans, two threads' spans
 * that overlap on a CPU (a repaired bound), a thread still running when tracing stopped.
 */
static void edge_timeline(struct cp_run *run, struct cp_timeline *tl)
{
	static const char *const argv[] = { "./edge", NULL };
	struct tl_cursor c;

	run_init(run, 10 * MS, 2, argv);
	run_add_process(run, 1000, 1, "edge", 0, 10 * MS);
	run_add_thread(run, 1000, 1000, "edge", 0);
	run_add_thread(run, 1001, 1000, "a b=c\n", 0)->exited = false;
	run_add_thread(run, 1002, 1000, "", 0);
	tl_init(tl, 10 * MS);

	c = tl_thread_at(tl, run, 0, 0);
	tl_cpu(&c, 1 * MS, 0, 0);
	tl_cpu(&c, 1 * MS, 0, MS / 2)->syscall = 0; /* split at a read: one stay on CPU 0 */
	tl_cpu(&c, 0, 0, 0);			    /* nothing at all */
	tl_blocked(&c, 0, CP_REASON_LOCK, 202);	    /* a zero-length sleep: no slice */
	tl_preempted(&c, 250);			    /* 250 ns */
	tl_cpu(&c, 300, 0, 0);			    /* 300 ns: 2.000250 to 2.000550 ms */
	tl_blocked(&c, 3 * MS - 550, CP_REASON_SLEEP, 230);
	tl_woken(&c, 0, 1001);
	tl_cpu(&c, 5 * MS, 0, 0); /* 5 to 10 ms */

	/* 1001 on CPU 1 from 0 to 6 ms, but 1002's span there starts at 5 ms: 1002 takes over */
	c = tl_thread_at(tl, run, 1, 0);
	tl_cpu(&c, 6 * MS, 1, 0)->flags = CP_TL_F_REPAIRED;
	tl_preempted(&c, 1 * MS);
	tl_cpu(&c, 3 * MS, 1, 0); /* 7 to 10 ms: still running at the end */

	c = tl_thread_at(tl, run, 2, 0);
	tl_blocked(&c, 5 * MS, CP_REASON_PIPE, 0);
	tl_cpu(&c, 1 * MS + 500, 1, 0); /* 5 to 6.0005 ms */
	tl_blocked(&c, MS / 2 - 500, CP_REASON_OTHER, 999); /* to 6.5 ms */
	tl_cpu(&c, 400 * 1000, 1, 0);			     /* to 6.9 ms */
	tl_blocked(&c, 3100 * 1000, CP_REASON_PAGING, -1);   /* to 10 ms */
	tl_sort(tl);
}

/* ---- tests ----------------------------------------------------------------------------- */

static void test_demo_trace(void **state)
{
	struct cp_timeline tl;
	struct cp_run run;
	struct trace_stats st;
	char *text;

	(void)state;
	tl_demo(&run, &tl);
	text = write_trace(&run, &tl);
	st = check_trace(text);
	assert_int_equal(st.switches, 20);
	assert_int_equal(st.wakeups, 6);
	assert_int_equal(st.begins, 5); /* 4 sleeps and the records lost */

	assert_contains(text, "# entries-in-buffer/entries-written: 40/40   #P:2\n");
	assert_contains(text, "\n#   process 1000: demo\n#   process 2000: child\n");
	/* the idle task, then main */
	assert_contains(text, "\n                <idle>-0 (  -----) [000] ....     0.000000000: "
			      "sched_switch: prev_comm=swapper/0 prev_pid=0 prev_prio=120 "
			      "prev_state=R ==> next_comm=demo next_pid=1000 next_prio=120\n");
	/* main wakes its new worker from CPU 0 */
	assert_contains(text, "\n               demo-1000 (   1000) [000] ....     0.010000000: "
			      "sched_waking: comm=demo-worker pid=1001 prio=120 target_cpu=001\n");
	/* main blocks on the lock: asleep (S), why, and a slice saying it */
	assert_contains(text, "0.015000000: sched_switch: prev_comm=demo prev_pid=1000 "
			      "prev_prio=120 prev_state=S ==> next_comm=swapper/0 next_pid=0");
	assert_contains(text, "0.015000000: sched_blocked_reason: pid=1000 iowait=0 "
			      "caller=lock/futex\n");
	assert_contains(text, "\n               demo-1000 (   1000) [000] ....     0.015000000: "
			      "tracing_mark_write: B|1000|blocked: lock (futex)\n");
	assert_contains(text, "0.025000000: tracing_mark_write: E|1000\n");
	/* the worker, in the same process, wakes main as it leaves its CPU */
	assert_contains(text, "\n        demo-worker-1001 (   1000) [001] ....     0.025000000: "
			      "sched_waking: comm=demo pid=1000 prio=120 target_cpu=001\n"
			      "        demo-worker-1001 (   1000) [001] ....     0.025000000: "
			      "sched_switch: prev_comm=demo-worker prev_pid=1001");
	assert_contains(text, "tracing_mark_write: B|1000|blocked: net (recvfrom)\n");
	/* preempted: R+ */
	assert_contains(text, "0.036000000: sched_switch: prev_comm=demo prev_pid=1000 "
			      "prev_prio=120 prev_state=R+ ==>");
	/* a disk write is uninterruptible: D, and iowait */
	assert_contains(text, "prev_pid=2000 prev_prio=120 prev_state=D ==>");
	assert_contains(text, "sched_blocked_reason: pid=2000 iowait=1 caller=disk/write\n");
	/* a waker outside the run, and an unknown one */
	assert_contains(text, "\n              <...>-3000 (  -----) [001] ....     0.045000000: "
			      "sched_waking: comm=demo-worker pid=1001");
	assert_contains(text, "\n                <idle>-0 (  -----) [000] ....     0.060000000: "
			      "sched_waking: comm=child pid=2000 prio=120 target_cpu=000\n");
	/* the child's zero-length wait: its wakeup before its switch-in, after its slice's end */
	assert_true(strstr(text, "0.060000000: tracing_mark_write: E|2000") <
		    strstr(text, "0.060000000: sched_waking: comm=child"));
	assert_true(strstr(text, "0.060000000: sched_waking: comm=child") <
		    strstr(text, "0.060000000: sched_switch: prev_comm=swapper/0 prev_pid=0 "
				 "prev_prio=120 prev_state=R ==> next_comm=child"));
	/* records lost: a sleep, said to be unknown */
	assert_contains(text,
			"0.080000000: tracing_mark_write: B|1000|unknown: records were lost\n");
	/* every thread exits: X */
	assert_int_equal(count(text, "prev_state=X"), 3);
	assert_contains(text, "0.100000000: sched_switch: prev_comm=demo prev_pid=1000 "
			      "prev_prio=120 prev_state=X ==> next_comm=swapper/0 next_pid=0");
	free(text);
	cp_timeline_free(&tl);
	cp_run_free(&run);
}

static void test_edges(void **state)
{
	struct cp_timeline tl;
	struct cp_run run;
	struct trace_stats st;
	char *text;

	(void)state;
	edge_timeline(&run, &tl);
	text = write_trace(&run, &tl);
	st = check_trace(text);
	/* names Perfetto keeps whole: no space, no '=', no control; none at all is <...> */
	assert_contains(text, " a_b_c?-1001 (   1000) [001]");
	assert_contains(text, "next_comm=a_b_c? next_pid=1001");
	assert_contains(text, " <...>-1002 (   1000) [001]");
	/* main's two spans on CPU 0 are one stay: in at 0, out at 2 ms, nothing at 1 ms */
	assert_null(strstr(text, "0.001000000: sched_switch"));
	assert_contains(text, "0.002000000: sched_switch: prev_comm=edge prev_pid=1000 "
			      "prev_prio=120 prev_state=R+ ==>");
	/* a 300 ns stay keeps its nanoseconds */
	assert_contains(text, "0.002000250: sched_switch: prev_comm=swapper/0 prev_pid=0 "
			      "prev_prio=120 prev_state=R ==> next_comm=edge");
	assert_contains(text, "0.002000550: sched_switch: prev_comm=edge prev_pid=1000 "
			      "prev_prio=120 prev_state=S ==>");
	assert_contains(text, "B|1000|blocked: sleep (clock_nanosleep)\n");
	/* no slice for the zero-length sleep, nor a switch for the zero-length stay */
	assert_int_equal(count(text, "B|1000|blocked: lock"), 0);
	/* a sleep outside any syscall (a page fault) */
	assert_contains(text, "sched_blocked_reason: pid=1002 iowait=1 caller=paging\n");
	assert_contains(text, "B|1000|blocked: paging\n");
	/* the overlap: 1002 takes CPU 1 from 1001 at 5 ms; 1001's own end at 6 ms is not written */
	assert_contains(text, "0.005000000: sched_switch: prev_comm=a_b_c? prev_pid=1001 "
			      "prev_prio=120 prev_state=R+ ==> next_comm=<...> next_pid=1002");
	assert_null(strstr(text, "0.006000000: sched_switch: prev_comm=a_b_c?"));
	/* still running when tracing stopped: R+, not dead */
	assert_contains(text, "0.010000000: sched_switch: prev_comm=a_b_c? prev_pid=1001 "
			      "prev_prio=120 prev_state=R+ ==> next_comm=swapper/1");
	/* an unnamed syscall, kept one argument */
	assert_contains(text, "caller=other/syscall_999\n");
	assert_contains(text, "B|1000|blocked: other (syscall 999)\n");
	/* a thread's first span a sleep: a slice, but no reason (no switch-out before it) */
	assert_contains(text, "0.000000000: tracing_mark_write: B|1000|blocked: pipe (read)\n");
	assert_null(strstr(text, "caller=pipe/read"));
	assert_true(st.switches > 0);
	free(text);
	cp_timeline_free(&tl);
	cp_run_free(&run);
}

static void test_many_threads(void **state)
{
	struct cp_timeline tl;
	struct cp_run run;
	struct trace_stats st;
	char *text;

	(void)state;
	run_many_threads(&run, 50);
	simple_timeline(&run, &tl);
	text = write_trace(&run, &tl);
	st = check_trace(text);
	/* each thread on a CPU once, one after another on each CPU: a switch each, and one more */
	assert_int_equal(st.switches, run.nr_threads + 2);
	assert_int_equal(st.begins, run.nr_threads);
	free(text);
	cp_timeline_free(&tl);
	cp_run_free(&run);
}

static void test_empty(void **state)
{
	static const char *const argv[] = { "./t", NULL };
	struct cp_timeline tl;
	struct cp_run run;
	char *text;

	(void)state;
	run_init(&run, 0, 1, argv);
	tl_init(&tl, 0);
	text = write_trace(&run, &tl);
	assert_int_equal(check_trace(text).lines, 0);
	free(text);
	cp_timeline_free(&tl);
	cp_run_free(&run);
}

static void test_write_error_reported(void **state)
{
	struct cp_timeline tl;
	struct cp_run run;
	FILE *full = fopen("/dev/full", "w");

	(void)state;
	if (!full)
		skip();
	tl_demo(&run, &tl);
	assert_int_equal(cp_tl_write_perfetto(full, &run, &tl), -ENOSPC);
	fclose(full);
	cp_timeline_free(&tl);
	cp_run_free(&run);
}

/* ---- fixtures for the format test ------------------------------------------------------ */

static int write_fixture(const char *dir, const char *name, const struct cp_run *run,
			 const struct cp_timeline *tl)
{
	char path[4096];
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "%s/%s.trace", dir, name);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	err = cp_tl_write_perfetto(f, run, tl);
	if (fclose(f) || err) {
		fprintf(stderr, "%s: %s\n", path, strerror(err ? -err : errno));
		return 1;
	}
	return 0;
}

static int write_fixtures(const char *dir)
{
	struct cp_timeline tl;
	struct cp_run run;
	int failed = 0;

	tl_demo(&run, &tl);
	failed |= write_fixture(dir, "demo", &run, &tl);
	cp_timeline_free(&tl);
	cp_run_free(&run);

	edge_timeline(&run, &tl);
	failed |= write_fixture(dir, "edges", &run, &tl);
	cp_timeline_free(&tl);
	cp_run_free(&run);

	run_many_threads(&run, 50);
	simple_timeline(&run, &tl);
	failed |= write_fixture(dir, "many-threads", &run, &tl);
	cp_timeline_free(&tl);
	cp_run_free(&run);

	run_shell_loop(&run, 50);
	simple_timeline(&run, &tl);
	failed |= write_fixture(dir, "shell-loop", &run, &tl);
	cp_timeline_free(&tl);
	cp_run_free(&run);
	return failed;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demo_trace),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_many_threads),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_write_error_reported),
	};
	const char *fixtures = getenv("CONCPROF_PERFETTO_FIXTURES");

	if (fixtures)
		return write_fixtures(fixtures);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
