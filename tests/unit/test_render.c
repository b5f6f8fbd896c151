// SPDX-License-Identifier: GPL-2.0
/* The text report: its sections, its limits (width, rows), colour only when asked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "analyze.h"
#include "fmt.h"
#include "render.h"
#include "runs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *render(const struct cp_run *run, const struct cp_render_opts *opts)
{
	struct cp_analysis a;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(cp_analyze(run, &a), 0);
	assert_int_equal(cp_render_report(f, run, &a, opts), 0);
	assert_int_equal(fclose(f), 0);
	cp_analysis_free(&a);
	if (getenv("CONCPROF_TEST_SHOW"))
		fputs(text, stderr);
	return text;
}

static void assert_contains(const char *text, const char *part)
{
	if (!strstr(text, part))
		fail_msg("\"%s\" not in the report:\n%s", part, text);
}

/* Lines between the line containing `from` and the next blank line or "…" line. */
static size_t table_rows(const char *text, const char *from)
{
	const char *line = strstr(text, from);
	size_t rows = 0;

	assert_non_null(line);
	line = strchr(line, '\n') + 1; /* past the heading */
	line = strchr(line, '\n') + 1; /* past the column titles */
	while (*line && *line != '\n') {
		const char *end = strchr(line, '\n');

		/* the summary line and the legends end the rows */
		if (strncmp(line, "  … ", strlen("  … ")) == 0 ||
		    strncmp(line, "  RUNNABLE:", strlen("  RUNNABLE:")) == 0 ||
		    strncmp(line, "  ×N:", strlen("  ×N:")) == 0)
			break;
		rows++;
		line = end + 1;
	}
	return rows;
}

static void assert_fits(const char *text, int width)
{
	const char *line = text;

	while (*line) {
		const char *end = strchr(line, '\n');
		char buf[1024];
		size_t len = end ? (size_t)(end - line) : strlen(line);

		assert_true(len < sizeof(buf));
		memcpy(buf, line, len);
		buf[len] = '\0';
		if (cp_utf8_width(buf) > (size_t)width)
			fail_msg("line wider than %d columns:\n%s", width, buf);
		line = end ? end + 1 : line + len;
	}
}

static void test_lecture_report_sections(void **state)
{
	struct cp_run run;
	char *text;

	(void)state;
	run_lecture_sequential(&run);
	text = render(&run, NULL);
	assert_contains(text, "concprof: python3 download.py");
	assert_contains(text, "exit status 0 · 1 process, 1 thread · 2 CPUs");
	/* time-like summary: both sources, CPU share, cores */
	assert_contains(text, "16.4 s");
	assert_contains(text, "concprof              732 ms    262 ms    994 ms");
	assert_contains(text, "kernel (rusage)       740 ms    252 ms    992 ms");
	assert_contains(text, "6% of the wall time: on average 0.06 of 2 cores busy");
	/* where the wall time went */
	assert_contains(text, "Threads on a CPU at once");
	assert_contains(text, "94%");
	assert_contains(text, "blocked");
	assert_contains(text, "net");
	assert_null(strstr(text, "  lock ")); /* zero reasons are left out */
	/* tables */
	assert_contains(text, "Processes (1)");
	assert_contains(text, "Threads (1)");
	assert_contains(text, "15.4 s (net)");
	assert_contains(text, "2400/12");
	/* why */
	assert_contains(text, "── Why");
	assert_contains(text, "I/O bound.");
	assert_contains(text, "≈ 1.2 MB/s");
	assert_null(strstr(text, "WARNING"));
	assert_fits(text, 100);
	free(text);
	cp_run_free(&run);
}

static void test_no_escape_codes_without_color(void **state)
{
	struct cp_render_opts opts = CP_RENDER_OPTS_DEFAULT;
	struct cp_run run;
	char *text;

	(void)state;
	run_mutex_contention(&run);
	/* a hostile thread name must not reach the terminal raw either */
	memcpy(run.threads[1].comm, "\033[2J\033]0;x\007", 11);
	opts.color = false;
	text = render(&run, &opts);
	assert_null(strchr(text, '\033'));
	assert_null(strchr(text, '\007'));
	free(text);

	opts.color = true;
	text = render(&run, &opts);
	assert_non_null(strchr(text, '\033'));
	assert_contains(text, "\033[1m");      /* headings bold */
	assert_contains(text, "\033[32muser"); /* states coloured */
	assert_contains(text, "\033[31msys");
	assert_contains(text, "\033[33mrunnable");
	assert_contains(text, "\033[36mblocked");
	assert_null(strstr(text, "\033[2J")); /* but the thread name's codes are gone */
	free(text);
	cp_run_free(&run);
}

static void test_long_thread_list_summarised(void **state)
{
	struct cp_render_opts opts = CP_RENDER_OPTS_DEFAULT;
	struct cp_run run;
	char *text;

	(void)state;
	run_many_threads(&run, 50);
	opts.max_threads = 10;
	text = render(&run, &opts);
	assert_int_equal(table_rows(text, "── Threads (50)"), 10);
	/* the 40 hidden threads, their sums in one line: workers 1001..1040, and main */
	assert_contains(text, "… 40 more threads: user 800 ms, sys 390 ms");
	/* the busiest worker first */
	assert_contains(text, "1049  worker");
	assert_null(strstr(text, "1001  worker"));
	free(text);

	/* one more than the cap is shown rather than summarised */
	opts.max_threads = 49;
	text = render(&run, &opts);
	assert_int_equal(table_rows(text, "── Threads (50)"), 50);
	assert_null(strstr(text, "more threads"));
	free(text);
	cp_run_free(&run);
}

static void test_alike_children_grouped(void **state)
{
	struct cp_run run;
	char *text;

	(void)state;
	run_shell_loop(&run, 200);
	text = render(&run, NULL);
	assert_contains(text, "Processes (201)");
	assert_contains(text, "worker ×200");
	assert_contains(text, "Threads (201)");
	assert_int_equal(table_rows(text, "── Threads (201)"), 2);
	assert_int_equal(table_rows(text, "── Processes (201)"), 2);
	assert_contains(text, "mixed"); /* one worker exited with 1 */
	assert_contains(text, "×N: N short-lived");
	assert_fits(text, 100);
	free(text);
	cp_run_free(&run);
}

static void test_lost_events_warned_at_top(void **state)
{
	struct cp_run run;
	char *text, *warning, *time;

	(void)state;
	run_lecture_sequential(&run);
	run.lost_events = 1234;
	run.concurrency.complete = false;
	text = render(&run, NULL);
	warning = strstr(text, "!! WARNING: 1234 events could not be recorded");
	time = strstr(text, "── Time");
	assert_non_null(warning);
	assert_non_null(time);
	assert_true(warning < time);
	assert_contains(text, "lower bounds: events were lost");
	free(text);
	cp_run_free(&run);
}

static void test_repaired_events_noted(void **state)
{
	struct cp_run run;
	char *text;

	(void)state;
	run_lecture_sequential(&run);
	text = render(&run, NULL);
	assert_null(strstr(text, "did not report"));
	free(text);
	run.repaired_switches = 3;
	run.repaired_wakeups = 1;
	text = render(&run, NULL);
	assert_contains(text, "did not report 3 switch-ins and 1 wakeup of these threads");
	assert_null(strstr(text, "WARNING"));
	free(text);
	cp_run_free(&run);
}

static void test_attached_has_no_rusage(void **state)
{
	struct cp_run run;
	char *text;

	(void)state;
	run_lecture_sequential(&run);
	run.attached = true;
	run.have_rusage = false;
	run.exit_code = -1;
	text = render(&run, NULL);
	assert_contains(text, "attached to PID 1000");
	assert_contains(text, "n/a (attached)");
	assert_contains(text, "still running when tracing stopped");
	free(text);
	cp_run_free(&run);
}

static void test_narrow_terminal(void **state)
{
	struct cp_render_opts opts = CP_RENDER_OPTS_DEFAULT;
	struct cp_run run;
	char *text;

	(void)state;
	run_many_threads(&run, 12);
	opts.width = 80;
	text = render(&run, &opts);
	assert_fits(text, 80);
	free(text);
	cp_run_free(&run);
}

static void test_write_error_reported(void **state)
{
	struct cp_run run;
	struct cp_analysis a;
	FILE *full = fopen("/dev/full", "w");

	(void)state;
	if (!full)
		skip();
	run_lecture_sequential(&run);
	assert_int_equal(cp_analyze(&run, &a), 0);
	assert_int_equal(cp_render_report(full, &run, &a, NULL), -ENOSPC);
	fclose(full);
	cp_analysis_free(&a);
	cp_run_free(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lecture_report_sections),
		cmocka_unit_test(test_no_escape_codes_without_color),
		cmocka_unit_test(test_long_thread_list_summarised),
		cmocka_unit_test(test_alike_children_grouped),
		cmocka_unit_test(test_lost_events_warned_at_top),
		cmocka_unit_test(test_repaired_events_noted),
		cmocka_unit_test(test_attached_has_no_rusage),
		cmocka_unit_test(test_narrow_terminal),
		cmocka_unit_test(test_write_error_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
