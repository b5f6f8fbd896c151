// SPDX-License-Identifier: GPL-2.0
/* `--timeline` in the terminal: cells, dominant states, rows kept and summarised, width, colour. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "timeline.h"
#include "tl_fixture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The label column of the demo: "1001 demo-worker" and the indent. */
#define DEMO_LABEL 18

static char *render(const struct cp_run *run, const struct cp_timeline *tl, int width,
		    int max_threads, bool color)
{
	struct cp_tl_term_opts opts = {
		.color = color, .width = width, .max_threads = max_threads
	};
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(cp_tl_render_term(f, run, tl, &opts), 0);
	assert_int_equal(fclose(f), 0);
	if (getenv("CONCPROF_TEST_SHOW"))
		fputs(text, stderr);
	return text;
}

static void assert_contains(const char *text, const char *part)
{
	if (!strstr(text, part))
		fail_msg("\"%s\" not in the timeline:\n%s", part, text);
}

/*
 * The cells of the row whose label starts with `label`, between the '|': a thread's under its
 * process's line (indented), or a one-thread process's (not).
 */
static char *row_cells(const char *text, const char *label)
{
	char needle[64];
	const char *line, *bar, *end;
	char *cells;

	snprintf(needle, sizeof(needle), "\n  %s", label);
	line = strstr(text, needle);
	snprintf(needle, sizeof(needle), "\n%s", label);
	if (!line)
		line = strstr(text, needle);
	if (!line)
		fail_msg("no row \"%s\" in:\n%s", label, text);
	bar = strchr(line + 1, '|');
	end = strchr(bar + 1, '|');
	assert_non_null(bar);
	assert_non_null(end);
	cells = strndup(bar + 1, (size_t)(end - bar - 1));
	assert_non_null(cells);
	return cells;
}

static void assert_row(const char *text, const char *label, const char *expected)
{
	char *cells = row_cells(text, label);

	if (strcmp(cells, expected) != 0)
		fail_msg("row \"%s\":\n  got      |%s|\n  expected |%s|", label, cells, expected);
	free(cells);
}

/* Every line within width columns, and nothing but printable ASCII (and escapes if allowed). */
static void assert_fits(const char *text, size_t width, bool escapes)
{
	size_t col = 0;

	for (const char *s = text; *s; s++) {
		if (*s == '\n') {
			col = 0;
			continue;
		}
		if (*s == '\033' && escapes) {
			s += 1 + strspn(s + 1, "[0123456789;");
			assert_true(*s == 'm');
			continue;
		}
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			fail_msg("byte 0x%02x in the timeline:\n%s", (unsigned char)*s, text);
		if (++col > width)
			fail_msg("a line wider than %zu columns:\n%s", width, text);
	}
}

/* head, then fill up to n cells: an expected row. */
static const char *cells_of(char *buf, const char *head, char fill, size_t n)
{
	size_t len = strlen(head);

	memcpy(buf, head, len);
	memset(buf + len, fill, n - len);
	buf[n] = '\0';
	return buf;
}

/* At the narrowest width, a label column of its minimum (12) leaves 45 cells. */
#define NARROW	     60
#define NARROW_CELLS 45

static size_t count(const char *text, const char *part)
{
	size_t n = 0;

	for (const char *s = strstr(text, part); s; s = strstr(s + 1, part))
		n++;
	return n;
}

static void test_demo_cells(void **state)
{
	struct cp_timeline tl;
	struct cp_run run;
	char *text;

	(void)state;
	tl_demo(&run, &tl);
	/* 100 columns for 100 ms: one cell per millisecond, every span a whole number of cells */
	text = render(&run, &tl, DEMO_LABEL + 3 + 100, 0, false);
	assert_contains(text,
			"Timeline: 100 ms, 3 threads in 2 processes; one column is 1.00 ms\n");
	assert_contains(text, "\nPID 1000 demo, 2 threads\n");
	assert_null(strstr(text, "PID 2000")); /* a one-thread process is its thread's row */
	assert_contains(text, "\n2000 child         |");
	assert_row(text, "1000 demo ",
		   "###############LLLLLLLLLL^##########++##cccccccccccccccccccccccccccccc^"
		   "#############################");
	assert_row(text, "1001 demo-worker",
		   "          ^##############nnnnnnnnnnnnnnnnnnnn^^#######################+++++"
		   "#####?????#####          ");
	assert_row(text, "2000 child",
		   "                                        ^#########dddddddddd=========="
		   "                              ");
	/* processes in order of start, each thread under its own */
	assert_true(strstr(text, "PID 1000") < strstr(text, "1001 demo-worker"));
	assert_true(strstr(text, "1001 demo-worker") < strstr(text, "\n2000 child"));
	/* the axis: ticks every 10 ms at this width */
	assert_contains(text, "|0        |10 ms    |20 ms");
	assert_contains(text, "|90 ms");
	/* a legend of what was drawn, and only that */
	assert_contains(text, "on CPU: # user  = sys");
	assert_contains(text, "runnable: + preempted  ^ woken");
	assert_contains(text, "blocked: L lock  c child  n net  d disk");
	assert_contains(text, "? unknown: records were lost");
	assert_null(strstr(text, "z sleep"));
	assert_null(strstr(text, "p pipe"));
	assert_contains(text, "! 2 spans (10.0 ms in all) have an uncertain start or end: 42 "
			      "records of the event stream were lost.");
	assert_fits(text, DEMO_LABEL + 3 + 100, false);
	free(text);
	cp_timeline_free(&tl);
	cp_run_free(&run);
}

/* One thread, 45 cells of 1 ms: a cell shows what covered most of it. */
static void test_dominant_state_by_time(void **state)
{
	static const char *const argv[] = { "./t", NULL };
	struct cp_timeline tl;
	struct cp_run run;
	struct tl_cursor c;
	char *text, expected[NARROW_CELLS + 1];

	(void)state;
	run_init(&run, NARROW_CELLS * MS, 1, argv);
	run_add_process(&run, 1000, 1, "t", 0, NARROW_CELLS * MS);
	run_add_thread(&run, 1000, 1000, "t", 0);
	tl_init(&tl, NARROW_CELLS * MS);
	c = tl_thread_at(&tl, &run, 0, 0);
	tl_cpu(&c, MS * 3 / 10, 0, 0);			  /* cell 0: 0.3 on CPU... */
	tl_blocked(&c, MS * 7 / 10, CP_REASON_LOCK, 202); /* ...0.7 lock: L */
	tl_cpu(&c, MS * 6 / 10, 0, MS * 4 / 10);	  /* cell 1: 0.6 CPU, mostly sys... */
	tl_blocked(&c, MS * 4 / 10, CP_REASON_NET, 45);   /* ...0.4 net: = */
	tl_blocked(&c, MS * 3 / 10, CP_REASON_SLEEP, 35); /* cell 2: 0.3 sleep, 0.3 pipe, */
	tl_blocked(&c, MS * 3 / 10, CP_REASON_PIPE, 0);   /* 0.4 CPU: blocked 0.6 wins, */
	tl_cpu(&c, MS * 4 / 10, 0, 0);			  /* the first reason of the tie */
	tl_preempted(&c, MS * 2 / 10);			  /* cell 3: 0.2 preempted, */
	tl_woken(&c, MS * 3 / 10, 0);			  /* 0.3 woken, 0.5 CPU */
	tl_cpu(&c, MS * 5 / 10 + 3 * MS, 0, 0);		  /* cells 4-6: a span over cells */
	tl_blocked(&c, (NARROW_CELLS - 7) * MS, CP_REASON_PAGING, -1);
	tl_sort(&tl);
	tl_fill_run(&run, &tl);
	text = render(&run, &tl, NARROW, 0, false);
	assert_row(text, "1000 t", cells_of(expected, "L=z####", 'f', NARROW_CELLS));
	free(text);
	cp_timeline_free(&tl);
	cp_run_free(&run);
}

/* Blank before a thread starts and after it ends; a thread shorter than a cell still shows. */
static void test_late_and_short_threads(void **state)
{
	static const char *const argv[] = { "./t", NULL };
	struct cp_timeline tl;
	struct cp_run run;
	struct tl_cursor c;
	char *text, expected[NARROW_CELLS + 1];

	(void)state;
	run_init(&run, NARROW_CELLS * MS, 2, argv);
	run_add_process(&run, 1000, 1, "t", 0, NARROW_CELLS * MS);
	run_add_thread(&run, 1000, 1000, "t", 0);
	run_add_thread(&run, 1001, 1000, "late", 3 * MS);
	run_add_thread(&run, 1002, 1000, "blip", 0);
	run_add_thread(&run, 1003, 1000, "lost", 2 * MS);
	tl_init(&tl, NARROW_CELLS * MS);
	c = tl_thread_at(&tl, &run, 0, 0);
	tl_blocked(&c, NARROW_CELLS * MS, CP_REASON_LOCK, 202);
	c = tl_thread_at(&tl, &run, 1, 3 * MS + MS * 6 / 10); /* from 3.6: cell 3 is blank */
	tl_cpu(&c, 5 * MS, 1, 0);			       /* to 8.6: cell 8 shows */
	c = tl_thread_at(&tl, &run, 2, 6 * MS + MS / 10);      /* 0.2 ms in cell 6 */
	tl_cpu(&c, MS / 5, 0, 0);
	tl_sort(&tl);
	tl_fill_run(&run, &tl);
	/* a thread the timeline lacks spans for is unknown over its life in the model */
	run.threads[3].start_ns = 2 * MS;
	run.threads[3].end_ns = 4 * MS;
	text = render(&run, &tl, NARROW, 0, false);
	assert_row(text, "1000 t", cells_of(expected, "", 'L', NARROW_CELLS));
	assert_row(text, "1001 late", cells_of(expected, "    #####", ' ', NARROW_CELLS));
	assert_row(text, "1002 blip", cells_of(expected, "      #", ' ', NARROW_CELLS));
	assert_row(text, "1003 lost", cells_of(expected, "  ??", ' ', NARROW_CELLS));
	free(text);
	cp_timeline_free(&tl);
	cp_run_free(&run);
}

static void test_colour_only_when_asked(void **state)
{
	struct cp_timeline tl;
	struct cp_run run;
	char *text;

	(void)state;
	tl_demo(&run, &tl);
	/* a hostile name must not reach the terminal raw, nor as UTF-8 */
	memcpy(run.threads[1].comm, "\033[2J\xc3\xa9t\a", 8);
	memcpy(run.procs[0].comm, "\033]0;x\007", 7);
	text = render(&run, &tl, 80, 0, false);
	assert_null(strchr(text, '\033'));
	assert_fits(text, 80, false);
	assert_contains(text, "1001 ?[2J??t?");
	free(text);

	text = render(&run, &tl, 80, 0, true);
	assert_contains(text, "\033[32m#"); /* user green */
	assert_contains(text, "\033[31m=");
	assert_contains(text, "\033[33m^"); /* runnable yellow */
	assert_contains(text, "\033[36mL"); /* blocked cyan */
	assert_contains(text, "\033[1mPID 1000 ?]0;x?, 2 threads");
	assert_null(strstr(text, "\033[2J"));
	assert_null(strstr(text, "\033]0"));
	/* a row ends its colour before its border */
	assert_contains(text, "\033[32m#################\033[0m|\n");
	assert_fits(text, 80, true);
	free(text);
	cp_timeline_free(&tl);
	cp_run_free(&run);
}

/* Thread i of run: on CPU for its user + sys time from its start, blocked on its main reason
 * for the rest of its life. */
static void simple_timeline(const struct cp_run *run, struct cp_timeline *tl)
{
	tl_init(tl, run->wall_ns);
	for (size_t i = 0; i < run->nr_threads; i++) {
		const struct cp_thread *th = &run->threads[i];
		struct tl_cursor c = tl_thread_at(tl, run, i, th->start_ns);
		uint64_t cpu = th->user_ns + th->sys_ns;
		int reason = 0;

		for (int r = 0; r < CP_NR_REASONS; r++)
			if (th->blocked_ns[r] > th->blocked_ns[reason])
				reason = r;
		tl_cpu(&c, cpu, (uint16_t)(i % 2), th->sys_ns);
		tl_blocked(&c, th->end_ns - th->start_ns - cpu, reason, -1);
	}
	tl_sort(tl);
}

static void test_many_threads_summarised(void **state)
{
	struct cp_timeline tl;
	struct cp_run run;
	char *text, *sum;

	(void)state;
	run_many_threads(&run, 50);
	simple_timeline(&run, &tl);
	text = render(&run, &tl, 80, 10, false);
	/* main first, then the 9 busiest workers; the 40 others in one row */
	assert_int_equal(count(text, "\n  10"), 10);
	assert_contains(text, "\n  1000 server");
	assert_contains(text, "\n  1049 worker");
	assert_contains(text, "\n  1041 worker");
	assert_null(strstr(text, "\n  1040 worker"));
	assert_contains(text, "\n  + 40 more    |");
	/* at the start, 1.5 * (1 + ... + 40) ms = 1.23 s on CPU in a 10 s / 65 cell: 8 at once */
	sum = row_cells(text, "+ 40 more");
	assert_int_equal(sum[0], '8');
	assert_int_equal(sum[1], 'n');
	free(sum);
	assert_contains(text, "3 in a \"+ N\" row: 3 of them on a CPU (* 10 or more)");
	assert_fits(text, 80, false);
	free(text);

	/* one more than the cap is shown rather than summarised */
	text = render(&run, &tl, 80, 49, false);
	assert_int_equal(count(text, "\n  10"), 50);
	assert_null(strstr(text, "more"));
	free(text);
	cp_timeline_free(&tl);
	cp_run_free(&run);
}

static void test_many_processes_summarised(void **state)
{
	struct cp_timeline tl;
	struct cp_run run;
	char *text;

	(void)state;
	run_shell_loop(&run, 200);
	simple_timeline(&run, &tl);
	text = render(&run, &tl, 60, 20, false);
	assert_contains(text, "201 threads in 201 processes");
	/* the script, then 19 of its children with a row each, in order of start */
	assert_contains(text, "\n1000 sh         |####c");
	assert_contains(text, "\n2000 worker     |#  ");
	assert_contains(text, "\n2018 worker     |");
	assert_null(strstr(text, "2019"));
	assert_null(strstr(text, "PID"));
	assert_contains(text, "\n181 more processes\n  + 181 threads |");
	assert_fits(text, 60, false);
	free(text);
	cp_timeline_free(&tl);
	cp_run_free(&run);
}

static void test_widths(void **state)
{
	static const int widths[] = { 0, 10, 60, 61, 79, 80, 100, 132, 250 };
	struct cp_timeline tl;
	struct cp_run run;

	(void)state;
	tl_demo(&run, &tl);
	for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
		int w = widths[i] < 60 ? widths[i] ? 60 : 80 : widths[i];
		char *text = render(&run, &tl, widths[i], 0, i % 2);

		assert_fits(text, (size_t)w, i % 2);
		free(text);
	}
	/* at 60 columns, the label column is 20 at most: names are cut rather than the bars */
	memcpy(run.threads[1].comm, "abcdefghijklmno", 16);
	for (size_t i = 0; i < 2; i++) {
		char *text = render(&run, &tl, 60 + 40 * (int)i, 0, false);

		assert_contains(text,
				i ? "\n  1001 abcdefghijklmno |" : "\n  1001 abcdefghijklm |");
		free(text);
	}
	cp_timeline_free(&tl);
	cp_run_free(&run);
}

/* Ticks at round values in a unit that fits the run. */
static void test_axis(void **state)
{
	static const struct {
		uint64_t wall;
		const char *ticks;
	} cases[] = {
		{ 2 * SEC, "|0              |0.5 s          |1 s            |1.5 s\n" },
		{ 3 * SEC + 7 * MS,
		  "|0        |0.5 s     |1 s       |1.5 s     |2 s       |2.5 s\n" },
		{ 16400 * MS, "|0     |2 s    |4 s    |6 s    |8 s    |10 s   |12 s   |14 s\n" },
		{ 40 * MS, "|0      |5 ms   |10 ms  |15 ms  |20 ms  |25 ms  |30 ms  |35 ms\n" },
		{ 700 * 1000, "|0       |0.1 ms  |0.2 ms  |0.3 ms   |0.4 ms  |0.5 ms  |0.6 ms\n" },
		{ 100, "|0           |20 ns       |40 ns       |60 ns       |80 ns\n" },
		{ 3 * 3600 * SEC, "|0          |2000 s     |4000 s     |6000 s     |8000 s\n" },
	};
	static const char *const argv[] = { "./t", NULL };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cp_timeline tl;
		struct cp_run run;
		struct tl_cursor c;
		char *text;

		run_init(&run, cases[i].wall, 1, argv);
		run_add_process(&run, 1000, 1, "t", 0, cases[i].wall);
		run_add_thread(&run, 1000, 1000, "t", 0);
		tl_init(&tl, cases[i].wall);
		c = tl_thread_at(&tl, &run, 0, 0);
		tl_cpu(&c, cases[i].wall, 0, 0);
		tl_sort(&tl);
		tl_fill_run(&run, &tl);
		text = render(&run, &tl, 80, 0, false);
		assert_contains(text, cases[i].ticks);
		assert_contains(text, "  on CPU: # user\n");
		assert_null(strstr(text, "blocked:"));
		assert_fits(text, 80, false);
		free(text);
		cp_timeline_free(&tl);
		cp_run_free(&run);
	}
}

static void test_empty_runs(void **state)
{
	static const char *const argv[] = { "./t", NULL };
	struct cp_timeline tl;
	struct cp_run run;
	char *text;

	(void)state;
	run_init(&run, 0, 1, argv);
	tl_init(&tl, 0);
	text = render(&run, &tl, 80, 0, false);
	assert_contains(text, "no thread was traced");
	free(text);

	run_add_process(&run, 1000, 1, "t", 0, 0);
	run_add_thread(&run, 1000, 1000, "t", 0);
	tl_add_span(&tl, &run, 0, CP_TL_CPU, 0, 0);
	tl_sort(&tl);
	text = render(&run, &tl, 80, 0, false);
	assert_contains(text, "the run took no measurable time");
	free(text);
	cp_timeline_free(&tl);
	cp_run_free(&run);
}

/* A run shorter than the row is wide: a cell per nanosecond, no empty cells. */
static void test_tiny_run(void **state)
{
	static const char *const argv[] = { "./t", NULL };
	struct cp_timeline tl;
	struct cp_run run;
	struct tl_cursor c;
	char *text;

	(void)state;
	run_init(&run, 5, 1, argv);
	/* 5 ns: 5 cells */
	run_add_process(&run, 1000, 1, "t", 0, 5);
	run_add_thread(&run, 1000, 1000, "t", 0);
	tl_init(&tl, 5);
	c = tl_thread_at(&tl, &run, 0, 0);
	tl_cpu(&c, 2, 0, 0);
	tl_blocked(&c, 3, CP_REASON_SLEEP, 35);
	tl_sort(&tl);
	text = render(&run, &tl, 80, 0, false);
	assert_row(text, "1000 t", "##zzz");
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
	assert_int_equal(cp_tl_render_term(full, &run, &tl, NULL), -ENOSPC);
	fclose(full);
	cp_timeline_free(&tl);
	cp_run_free(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demo_cells),
		cmocka_unit_test(test_dominant_state_by_time),
		cmocka_unit_test(test_late_and_short_threads),
		cmocka_unit_test(test_colour_only_when_asked),
		cmocka_unit_test(test_many_threads_summarised),
		cmocka_unit_test(test_many_processes_summarised),
		cmocka_unit_test(test_widths),
		cmocka_unit_test(test_axis),
		cmocka_unit_test(test_empty_runs),
		cmocka_unit_test(test_tiny_run),
		cmocka_unit_test(test_write_error_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
