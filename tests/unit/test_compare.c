// SPDX-License-Identifier: GPL-2.0
/*
 * `concprof compare` (compare.h) on hand-made runs of known shape: the lecture's sequential and
 * threaded downloads, and the primes in seq, procs, threads and gil modes. Every figure of the
 * tables, the verdicts, and the three outputs: text that fits its width, Markdown tables with
 * as many cells in every row, JSON that parses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "compare.h"
#include "jsmini.h"
#include "runs.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define US 1000ULL

/* --- the primes, by mode, on 2 CPUs ------------------------------------------------------ */

/* One thread checking the numbers: 4.5 s on one core, 2 MB resident. */
static void run_primes_seq(struct cp_run *run)
{
	static const char *const argv[] = { "./primes", "--mode", "seq", NULL };
	struct cp_thread *t;

	run_init(run, 4500 * MS, 2, argv);
	run_add_process(run, 1000, 999, "primes", 0, 4500 * MS)->peak_rss_bytes = 2000000;
	t = run_add_thread(run, 1000, 1000, "primes", 0);
	t->user_ns = 4485 * MS;
	t->sys_ns = 5 * MS;
	t->runnable_preempted_ns = 10 * MS;
	thread_seal(t);
	run_set_concurrency(run, true, 2, 10 * MS, 4490 * MS);
}

/*
 * A parent feeding 2 forked workers through a pipe and reading their results from another:
 * 2.4 s, both cores busy 2.1 s of it. Each process peaks at 12 MB. The children first ran 200
 * and 400 µs after their fork.
 */
static void run_primes_procs(struct cp_run *run)
{
	static const char *const argv[] = { "./primes", "--mode", "procs", NULL };
	struct cp_thread *t;

	run_init(run, 2400 * MS, 2, argv);
	run_add_process(run, 1000, 999, "primes", 0, 2400 * MS)->peak_rss_bytes = 12000000;
	t = run_add_thread(run, 1000, 1000, "primes", 0);
	t->user_ns = 15 * MS;
	t->sys_ns = 5 * MS;
	t->blocked_ns[CP_REASON_PIPE] = 2380 * MS;
	t->pipe_read_bytes = 600;
	t->pipe_write_bytes = 600;
	thread_seal(t);
	for (int i = 1; i <= 2; i++) {
		uint64_t start = 10 * MS;

		run_add_process(run, 1000 + i, 1000, "primes", start, 2390 * MS)->peak_rss_bytes =
			12000000;
		t = run_add_thread(run, 1000 + i, 1000 + i, "primes", start);
		t->first_run_ns = (uint64_t)i * 200 * US;
		t->user_ns = 2250 * MS;
		t->sys_ns = 10 * MS;
		t->runnable_woken_ns = 50 * MS;
		t->blocked_ns[CP_REASON_PIPE] = 70 * MS;
		t->pipe_read_bytes = 300;
		t->pipe_write_bytes = 300;
		thread_seal(t);
	}
	run_set_concurrency(run, true, 3, 100 * MS, 200 * MS, 2100 * MS);
}

/* Main and 2 worker threads, one process: 2.35 s, both cores busy. */
static void run_primes_threads(struct cp_run *run)
{
	static const char *const argv[] = { "./primes", "--mode", "threads", NULL };
	struct cp_thread *t;

	run_init(run, 2350 * MS, 2, argv);
	run_add_process(run, 1000, 999, "primes", 0, 2350 * MS)->peak_rss_bytes = 2200000;
	t = run_add_thread(run, 1000, 1000, "primes", 0);
	t->user_ns = MS;
	t->blocked_ns[CP_REASON_LOCK] = 2349 * MS; /* joins */
	thread_seal(t);
	for (int i = 1; i <= 2; i++) {
		t = run_add_thread(run, 1000 + i, 1000, "primes", MS);
		t->first_run_ns = i == 1 ? 50 * US : 80 * US;
		t->user_ns = 2250 * MS;
		t->sys_ns = 4 * MS;
		t->runnable_preempted_ns = 90 * MS;
		t->blocked_ns[CP_REASON_LOCK] = 5 * MS;
		thread_seal(t);
	}
	run_set_concurrency(run, true, 3, 50 * MS, 100 * MS, 2200 * MS);
}

/* 4 workers that must hold one global lock to compute (primes --mode gil): 4.6 s. */
static void run_primes_gil(struct cp_run *run)
{
	static const char *const argv[] = { "./primes", "--mode", "gil", "-n", "4", NULL };
	struct cp_thread *t;

	run_init(run, 4600 * MS, 2, argv);
	run_add_process(run, 1000, 999, "primes", 0, 4600 * MS)->peak_rss_bytes = 2300000;
	t = run_add_thread(run, 1000, 1000, "primes", 0);
	t->user_ns = MS;
	t->blocked_ns[CP_REASON_LOCK] = 4599 * MS;
	thread_seal(t);
	for (int i = 1; i <= 4; i++) {
		t = run_add_thread(run, 1000 + i, 1000, "primes", MS);
		t->first_run_ns = 100 * US;
		t->user_ns = 1120 * MS;
		t->sys_ns = 10 * MS;
		t->runnable_woken_ns = 100 * MS;
		t->blocked_ns[CP_REASON_LOCK] = 3350 * MS;
		thread_seal(t);
	}
	run_set_concurrency(run, true, 3, 50 * MS, 4450 * MS, 100 * MS);
}

/* --- helpers ------------------------------------------------------------------------------ */

static char *render(const struct cp_compare_run *runs, size_t n, enum cp_compare_format fmt,
		    const struct cp_compare_opts *opts)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(cp_compare_render(f, runs, n, fmt, opts), 0);
	assert_int_equal(fclose(f), 0);
	return text;
}

static void expect_in(const char *text, const char *needle)
{
	if (!strstr(text, needle))
		fail_msg("expected \"%s\" in:\n%s", needle, text);
}

/* needle in text once its wrapped lines are joined again (a newline and its indent: one space) */
static void expect_in_flat(const char *text, const char *needle)
{
	char *flat = malloc(strlen(text) + 1), *out = flat;

	assert_non_null(flat);
	for (const char *p = text; *p; p++) {
		if (*p == '\n' && p[1] == ' ') {
			*out++ = ' ';
			p += strspn(p + 1, " ");
		} else {
			*out++ = *p;
		}
	}
	*out = '\0';
	expect_in(flat, needle);
	free(flat);
}

/* The row whose label starts the line (after the indent): its text, for checking cells. */
static const char *row_of(const char *text, const char *label)
{
	/* the tables: after the legend of the runs */
	const char *line = strstr(text, "── Time ");

	while (line && *line) {
		const char *start = line + strspn(line, " ");

		if (strncmp(start, label, strlen(label)) == 0 && start[strlen(label)] == ' ')
			return start;
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	fail_msg("no row \"%s\" in:\n%s", label, text);
	return NULL;
}

/* The row's line holds these cells in this order (after its label). */
static void expect_row(const char *text, const char *label, const char *a, const char *b)
{
	const char *row = row_of(text, label);
	const char *end = strchr(row, '\n');
	char line[512];
	const char *at_a, *at_b;

	snprintf(line, sizeof(line), "%.*s", (int)(end ? end - row : (long)strlen(row)), row);
	at_a = strstr(line + strlen(label), a);
	at_b = at_a ? strstr(at_a + strlen(a), b) : NULL;
	if (!at_a || !at_b)
		fail_msg("row \"%s\": expected \"%s\" then \"%s\", got \"%s\"", label, a, b, line);
}

static void figures(const struct cp_run *run, const struct cp_run *first,
		    struct cp_compare_figures *f)
{
	cp_compare_figures(run, first, f);
}

static enum cp_verdict_kind verdict(const struct cp_run *base, const char *base_label,
				    const struct cp_run *run, const char *label, char *buf,
				    size_t len)
{
	struct cp_compare_run b = { base_label, base }, r = { label, run };
	struct cp_compare_figures bf, f;

	figures(base, base, &bf);
	figures(run, base, &f);
	return cp_compare_verdict(buf, len, &b, &bf, &r, &f);
}

/* --- the lecture's download ------------------------------------------------------------------ */

static void test_lecture_figures(void **state)
{
	struct cp_run seq, thr;
	struct cp_compare_figures fs, ft;

	(void)state;
	run_lecture_sequential(&seq);
	run_lecture_threads(&thr);
	figures(&seq, &seq, &fs);
	figures(&thr, &seq, &ft);

	/* 16.4 s / 2.67 s: "6.1 vezes mais rápido que sequencial" */
	assert_true(fabs(fs.speedup - 1) < 1e-12);
	assert_true(fabs(ft.speedup - 16.4 / 2.67) < 1e-9);
	/* CPU 0.994 s (6% of the wall) and 9.52 s (the lecture's 356%: 9.521 / 2.67 here) */
	assert_int_equal(fs.cpu_ns, 994 * MS);
	assert_true(fabs(fs.cpu_pct_of_wall - 100 * 0.994 / 16.4) < 1e-9);
	assert_int_equal(ft.user_ns, 9270 * MS);
	assert_int_equal(ft.sys_ns, 251 * MS);
	assert_true(fabs(ft.cpu_pct_of_wall - 100 * 9.521 / 2.67) < 1e-9);
	assert_true(fabs(ft.cores_busy - 9.521 / 2.67) < 1e-9);
	assert_int_equal(fs.nr_threads, 1);
	assert_int_equal(ft.nr_threads, 21);
	assert_int_equal(ft.nr_procs, 1);
	/* states summed over threads */
	assert_int_equal(fs.blocked_by[CP_REASON_NET], 15400 * MS);
	assert_int_equal(ft.blocked_by[CP_REASON_LOCK], 2670 * MS);
	assert_int_equal(ft.runnable_ns, 20 * 20 * MS);
	/* ≈ 20 MB; 1.2 and 7.5 MB/s in the lecture (received only; sent is counted too here) */
	assert_int_equal(fs.net_bytes, 19955565 + 48000);
	assert_true(fabs(fs.net_per_s - (19955565 + 48000) / 16.4) < 1e-3);
	/* the parallelism profile */
	assert_true(fs.have_profile && ft.have_profile);
	assert_true(fabs(fs.mean_parallelism - 1) < 1e-12);
	assert_int_equal(ft.max_parallelism, 6);
	assert_true(fabs(ft.mean_parallelism - 9520.0 / 2620) < 1e-9);
	assert_true(fabs(ft.one_at_a_time_frac - 250.0 / 2620) < 1e-9);
	assert_true(fabs(fs.idle_frac - 15406.0 / 16400) < 1e-9);
	/* memory not measured in these runs */
	assert_int_equal(fs.nr_rss_known, 0);
	/* 20 threads created, their start-up not measured; no processes */
	assert_int_equal(ft.threads_created, 20);
	assert_int_equal(ft.nr_thread_first_runs, 0);
	assert_int_equal(ft.procs_created, 0);
	assert_int_equal(fs.threads_created, 0);
	/* the workers waited for the network at once: 20 × 2.104 s in 2.67 s */
	assert_int_equal(ft.dominant_reason, CP_REASON_NET);
	assert_true(fabs(ft.waiting_at_once - 20 * 2103.95 / 2670) < 1e-6);
	assert_int_equal(ft.nr_workers, 20); /* main only joins */
	cp_run_free(&seq);
	cp_run_free(&thr);
}

static void test_lecture_text(void **state)
{
	struct cp_run seq, thr;
	struct cp_compare_run runs[2] = { { "seq", &seq }, { "threads", &thr } };
	struct cp_compare_opts opts = { .color = false, .width = 100 };
	char *text;

	(void)state;
	run_lecture_sequential(&seq);
	run_lecture_threads(&thr);
	text = render(runs, 2, CP_COMPARE_TEXT, &opts);
	expect_row(text, "wall", "16.4 s", "2.67 s");
	expect_row(text, "user", "732 ms", "9.27 s");
	expect_row(text, "sys", "262 ms", "251 ms");
	expect_row(text, "CPU, share of the wall time", "6%", "357%");
	expect_row(text, "cores busy on average", "0.06", "3.57");
	expect_row(text, "speed-up vs seq", "1.00×", "6.14×");
	expect_row(text, "processes", "1", "1");
	expect_row(text, "threads", "1", "21");
	expect_row(text, "net", "15.4 s", "42.1 s");
	expect_row(text, "lock", "0 s", "2.67 s");
	expect_row(text, "network throughput", "1.22 MB/s", "7.47 MB/s");
	expect_row(text, "threads on a CPU at once, at most", "1", "6");
	expect_row(text, "peak resident memory, largest process", "unknown", "unknown");
	expect_row(text, "threads created", "0", "20");
	expect_row(text, "clone to first run, mean", "–", "–");
	/* reasons no run has are left out */
	assert_null(strstr(text, "  paging "));
	expect_in_flat(text, "• threads: 6.1× faster than seq, CPU 357% vs 6% of the wall — the "
			     "waits overlapped: on average 15.8 threads waited for the network at "
			     "once.");
	/* the lecture's runs were on different machines */
	expect_in_flat(text, "Note: The runs had different numbers of CPUs (2, 8)");
	/* no colour unless asked */
	assert_null(strchr(text, '\033'));
	free(text);

	opts.color = true;
	text = render(runs, 2, CP_COMPARE_TEXT, &opts);
	expect_in(text, "\033[1m");
	expect_in(text, "\033[1;32m6.14×\033[0m"); /* faster: green */
	free(text);
	cp_run_free(&seq);
	cp_run_free(&thr);
}

/* Every line within the width, long labels cut with "…" in the column headers. */
static void test_text_fits_width(void **state)
{
	struct cp_run a, b, c;
	struct cp_compare_run runs[3] = {
		{ "seq", &a },
		{ "a very long label that names a run in more words than a column can hold", &b },
		{ "gil\033[2J", &c },
	};
	struct cp_compare_opts opts = { .width = 100 };
	char *text, *line;

	(void)state;
	run_primes_seq(&a);
	run_primes_procs(&b);
	run_primes_gil(&c);
	text = render(runs, 3, CP_COMPARE_TEXT, &opts);
	expect_in(text, "…");
	/* a label cannot reach the terminal as an escape sequence */
	assert_null(strchr(text, '\033'));
	expect_in(text, "gil?[2J");
	for (line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
		if (cp_utf8_width(line) > 100)
			fail_msg("line wider than 100 columns (%zu): %s", cp_utf8_width(line),
				 line);
	free(text);
	cp_run_free(&a);
	cp_run_free(&b);
	cp_run_free(&c);
}

/* --- Markdown and JSON --------------------------------------------------------------------- */

/* '|' not escaped by a backslash: cell borders. */
static size_t pipes(const char *line, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (line[i] == '\\')
			i++;
		else if (line[i] == '|')
			n++;
	}
	return n;
}

/* Every table: a header, an alignment row, then rows, all with 1 + runs cells. */
static void expect_markdown_tables(const char *text, size_t nr_runs, size_t nr_tables)
{
	const char *line = text;
	size_t tables = 0, row_in_table = 0;

	while (*line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);

		if (len && line[0] == '|') {
			if (pipes(line, len) != nr_runs + 2)
				fail_msg("a row with %zu borders, not %zu: %.*s", pipes(line, len),
					 nr_runs + 2, (int)len, line);
			if (line[len - 1] != '|')
				fail_msg("a row that does not end with '|': %.*s", (int)len, line);
			if (row_in_table == 1 && strncmp(line, "| :--- |", 8) != 0)
				fail_msg("no alignment row after the header: %.*s", (int)len, line);
			if (row_in_table == 0)
				tables++;
			row_in_table++;
		} else {
			row_in_table = 0;
		}
		line += len + (end != NULL);
	}
	assert_int_equal(tables, nr_tables);
}

static void test_markdown(void **state)
{
	struct cp_run seq, procs, gil;
	struct cp_compare_run runs[3] = { { "seq", &seq },
					  { "procs|pipes", &procs },
					  { "gil", &gil } };
	char *text;

	(void)state;
	run_primes_seq(&seq);
	run_primes_procs(&procs);
	run_primes_gil(&gil);
	text = render(runs, 3, CP_COMPARE_MARKDOWN, NULL);
	/* Time, states, bytes, the lecture's table */
	expect_markdown_tables(text, 3, 4);
	expect_in(text, "|  | seq | procs\\|pipes | gil |");
	expect_in(text, "| wall | 4.50 s | 2.40 s | 4.60 s |");
	expect_in(text, "| speed-up vs seq | 1.00× | 1.88× | 0.98× |");
	expect_in(text, "| **memory** |  |  |  |");
	expect_in(text, "### Verdict");
	expect_in(text, "- procs\\|pipes: 1.9× faster than seq: 2 cores computed at once");
	assert_null(strchr(text, '\033'));
	free(text);
	cp_run_free(&seq);
	cp_run_free(&procs);
	cp_run_free(&gil);
}

static double number_at(const struct js *obj, const char *key)
{
	const struct js *v = js_get(obj, key);

	if (!v || v->type != JS_NUMBER)
		fail_msg("\"%s\" is not a number", key);
	return strtod(v->text, NULL);
}

static void test_json(void **state)
{
	struct cp_run seq, thr;
	struct cp_compare_run runs[2] = { { "seq", &seq }, { "thr\xff", &thr } };
	const struct js *list, *first, *second, *memory, *v;
	struct js doc;
	const char *error;
	char *text;
	bool ok;

	(void)state;
	run_lecture_sequential(&seq);
	run_lecture_threads(&thr);
	text = render(runs, 2, CP_COMPARE_JSON, NULL);
	error = js_parse(text, &doc);
	if (error)
		fail_msg("not JSON (%s):\n%s", error, text);
	assert_string_equal(js_get(&doc, "format")->text, CP_COMPARE_FORMAT);
	list = js_get(&doc, "runs");
	assert_int_equal(list->nr_items, 2);
	first = js_at(list, 0);
	second = js_at(list, 1);
	assert_string_equal(js_get(first, "label")->text, "seq");
	/* a byte that is not UTF-8 is U+FFFD: the document stays valid */
	assert_string_equal(js_get(second, "label")->text, "thr\xef\xbf\xbd");
	assert_int_equal(js_u64(js_get(second, "wall_ns"), &ok), 2670 * MS);
	assert_true(ok);
	assert_true(fabs(number_at(first, "speedup") - 1) < 1e-9);
	assert_true(fabs(number_at(second, "speedup") - 16.4 / 2.67) < 1e-4);
	assert_true(fabs(number_at(second, "cpu_pct_of_wall") - 100 * 9.521 / 2.67) < 1e-3);
	assert_int_equal(js_u64(js_get(js_get(js_get(second, "states"), "blocked"), "net"), &ok),
			 thr.threads[1].blocked_ns[CP_REASON_NET] * 20);
	memory = js_get(second, "memory");
	assert_int_equal(js_get(memory, "peak_rss_max_bytes")->type, JS_NULL);
	assert_int_equal(js_u64(js_get(js_get(second, "startup"), "threads_created"), &ok), 20);
	assert_int_equal(js_get(js_get(second, "startup"), "thread_first_run_mean_ns")->type,
			 JS_NULL);
	assert_int_equal(js_get(first, "verdict")->type, JS_NULL);
	v = js_get(second, "verdict");
	assert_string_equal(js_get(v, "kind")->text, "overlap");
	expect_in(js_get(v, "text")->text, "6.1× faster than seq");
	assert_int_equal(js_get(&doc, "notes")->nr_items, 1);
	js_free(&doc);
	free(text);
	cp_run_free(&seq);
	cp_run_free(&thr);
}

/* --- the lecture's table: memory, start-up ------------------------------------------------- */

static void test_memory_and_startup(void **state)
{
	struct cp_run seq, procs, thr;
	struct cp_compare_figures f;
	struct cp_compare_run runs[3] = { { "seq", &seq },
					  { "procs", &procs },
					  { "threads", &thr } };
	char *text;

	(void)state;
	run_primes_seq(&seq);
	run_primes_procs(&procs);
	run_primes_threads(&thr);

	figures(&procs, &seq, &f);
	assert_int_equal(f.nr_rss_known, 3);
	assert_int_equal(f.peak_rss_max, 12000000);
	assert_int_equal(f.peak_rss_sum, 36000000);
	assert_int_equal(f.procs_created, 2);
	assert_int_equal(f.nr_proc_first_runs, 2);
	assert_int_equal(f.proc_first_run_mean_ns, 300 * US);
	assert_int_equal(f.proc_first_run_max_ns, 400 * US);
	assert_int_equal(f.threads_created, 0);
	assert_int_equal(f.pipe_bytes, 1200);
	assert_int_equal(f.pipe_blocked_ns, 2380 * MS + 2 * 70 * MS);
	figures(&thr, &seq, &f);
	assert_int_equal(f.threads_created, 2);
	assert_int_equal(f.nr_thread_first_runs, 2);
	assert_int_equal(f.thread_first_run_mean_ns, 65 * US);
	assert_int_equal(f.thread_first_run_max_ns, 80 * US);
	assert_int_equal(f.procs_created, 0);
	assert_int_equal(f.lock_blocked_ns, 2349 * MS + 2 * 5 * MS);

	text = render(runs, 3, CP_COMPARE_TEXT, NULL);
	expect_row(text, "peak resident memory, largest process", "2.00 MB", "12.00 MB");
	expect_row(text, "peak resident memory, all processes", "2.00 MB", "36.00 MB");
	expect_row(text, "processes created", "0", "2");
	expect_row(text, "fork to first run, mean", "–", "300 µs");
	expect_row(text, "fork to first run, at most", "–", "400 µs");
	expect_row(text, "clone to first run, at most", "–", "–");
	expect_row(text, "clone to first run, mean", "–", "65.0 µs");
	expect_row(text, "bytes through pipes", "0 B", "1.20 kB");
	assert_null(strstr(text, "unknown"));
	free(text);

	/* a process still alive at the end: its peak is unknown, the others' a lower bound */
	procs.procs[2].peak_rss_bytes = 0;
	seq.procs[0].peak_rss_bytes = 0;
	text = render(runs, 3, CP_COMPARE_TEXT, NULL);
	expect_row(text, "peak resident memory, largest process", "unknown", "≥ 12.00 MB");
	expect_row(text, "peak resident memory, all processes", "unknown", "≥ 24.00 MB");
	expect_row(text, "peak resident memory, mean per process", "unknown", "12.00 MB");
	free(text);
	cp_run_free(&seq);
	cp_run_free(&procs);
	cp_run_free(&thr);
}

/* Attached: the threads that were there at the attach were not created by the program. */
static void test_attached_startup(void **state)
{
	struct cp_run run;
	struct cp_compare_figures f;
	struct cp_thread *t;

	(void)state;
	run_lecture_threads(&run);
	run.attached = true;
	for (size_t i = 0; i < run.nr_threads; i++) {
		run.threads[i].start_ns = 0; /* found at the attach */
		thread_seal(&run.threads[i]);
	}
	t = run_add_thread(&run, 2000, 1000, "late", 100 * MS);
	t->first_run_ns = 7 * US;
	thread_seal(t);
	figures(&run, &run, &f);
	assert_int_equal(f.threads_created, 1);
	assert_int_equal(f.thread_first_run_mean_ns, 7 * US);
	cp_run_free(&run);
}

/* --- verdicts ------------------------------------------------------------------------------ */

static void test_verdicts_for_the_primes(void **state)
{
	struct cp_run seq, procs, thr, gil;
	char buf[CP_COMPARE_VERDICT_LEN];

	(void)state;
	run_primes_seq(&seq);
	run_primes_procs(&procs);
	run_primes_threads(&thr);
	run_primes_gil(&gil);

	assert_int_equal(verdict(&seq, "seq", &procs, "procs", buf, sizeof(buf)),
			 CP_VERDICT_PARALLEL);
	assert_string_equal(buf, "procs: 1.9× faster than seq: 2 cores computed at once (1.9 on "
				 "average), at the cost of 3 processes of 12 MB each.");

	assert_int_equal(verdict(&seq, "seq", &thr, "threads", buf, sizeof(buf)),
			 CP_VERDICT_PARALLEL);
	assert_string_equal(buf, "threads: 1.9× faster than seq: 2 cores computed at once (2.0 on "
				 "average).");

	assert_int_equal(verdict(&seq, "seq", &gil, "gil", buf, sizeof(buf)), CP_VERDICT_TURNS);
	assert_string_equal(buf, "gil: no faster than seq (0.98×): the threads took turns — only "
				 "one ran at a time during 98% of the busy time. They spent 73% of "
				 "their time blocked on locks.");

	/* processes whose memory is unknown: the cost without the size */
	for (size_t i = 0; i < procs.nr_procs; i++)
		procs.procs[i].peak_rss_bytes = 0;
	assert_int_equal(verdict(&seq, "seq", &procs, "procs", buf, sizeof(buf)),
			 CP_VERDICT_PARALLEL);
	expect_in(buf, "at the cost of 3 processes.");

	/* the baseline gets none */
	assert_int_equal(verdict(&seq, "seq", &seq, "seq", buf, sizeof(buf)), CP_VERDICT_BASELINE);
	assert_string_equal(buf, "");
	cp_run_free(&seq);
	cp_run_free(&procs);
	cp_run_free(&thr);
	cp_run_free(&gil);
}

static void test_verdicts_other_shapes(void **state)
{
	struct cp_run one, four, seq, seq2, thr, zero;
	char buf[CP_COMPARE_VERDICT_LEN];
	static const char *const argv[] = { "true", NULL };

	(void)state;
	/* 4 spinners on 2 CPUs, against 1: slower, waiting for a CPU */
	run_single_spinner(&one);
	run_spinners(&four);
	assert_int_equal(verdict(&one, "one", &four, "four", buf, sizeof(buf)),
			 CP_VERDICT_CPU_WAIT);
	assert_string_equal(buf, "four: 1.3× slower than one: its threads waited for a CPU 50% of "
				 "their time: more wanted to run than the 2 CPUs could take.");

	/* 2 workers on 2 CPUs that waited for one all the same: someone else had them */
	run_primes_seq(&seq);
	run_primes_threads(&thr);
	thr.wall_ns = 4400 * MS;
	for (size_t i = 1; i < thr.nr_threads; i++) {
		thr.threads[i].runnable_preempted_ns = 2000 * MS;
		thread_seal(&thr.threads[i]);
	}
	assert_int_equal(verdict(&seq, "seq", &thr, "threads", buf, sizeof(buf)),
			 CP_VERDICT_CPU_WAIT);
	expect_in(buf, "threads: no faster than seq (1.02×): its threads waited for a CPU 47% of "
		       "their time, though there were no more of them than the 2 CPUs: other "
		       "programs were using them.");

	/* the same download twice: no faster, and both mostly waited for the network */
	run_lecture_sequential(&seq2);
	assert_int_equal(verdict(&seq2, "a", &seq2, "b", buf, sizeof(buf)), CP_VERDICT_BASELINE);
	{
		struct cp_run again;

		run_lecture_sequential(&again);
		again.wall_ns = 16000 * MS;
		assert_int_equal(verdict(&seq2, "a", &again, "b", buf, sizeof(buf)),
				 CP_VERDICT_IDLE);
		assert_string_equal(buf, "b: no faster than a (1.02×): no thread was on a CPU 96% "
					 "of the time, waiting for the network.");
		cp_run_free(&again);
	}

	/* faster, but by none of the known ways */
	assert_int_equal(verdict(&four, "four", &one, "one", buf, sizeof(buf)), CP_VERDICT_FASTER);
	assert_string_equal(buf, "one: 1.3× faster than four, CPU >99% vs 200% of the wall.");

	/* no wall time: no comparison */
	run_init(&zero, 0, 2, argv);
	assert_int_equal(verdict(&seq, "seq", &zero, "zero", buf, sizeof(buf)), CP_VERDICT_UNKNOWN);
	expect_in(buf, "cannot be compared");
	assert_string_equal(cp_verdict_kind_name(CP_VERDICT_TURNS), "turns");
	cp_run_free(&one);
	cp_run_free(&four);
	cp_run_free(&seq);
	cp_run_free(&seq2);
	cp_run_free(&thr);
	cp_run_free(&zero);
}

/* --- errors -------------------------------------------------------------------------------- */

static void test_errors(void **state)
{
	struct cp_run seq, thr;
	struct cp_compare_run runs[2] = { { "seq", &seq }, { "threads", &thr } };
	struct cp_compare_run missing[2] = { { "seq", &seq }, { "nothing", NULL } };
	FILE *full;

	(void)state;
	run_lecture_sequential(&seq);
	run_lecture_threads(&thr);
	assert_int_equal(cp_compare_render(stdout, runs, 1, CP_COMPARE_TEXT, NULL), -EINVAL);
	assert_int_equal(cp_compare_render(stdout, missing, 2, CP_COMPARE_TEXT, NULL), -EINVAL);
	full = fopen("/dev/full", "w");
	if (full) {
		assert_int_equal(cp_compare_render(full, runs, 2, CP_COMPARE_TEXT, NULL), -ENOSPC);
		fclose(full);
	}
	cp_run_free(&seq);
	cp_run_free(&thr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lecture_figures),
		cmocka_unit_test(test_lecture_text),
		cmocka_unit_test(test_text_fits_width),
		cmocka_unit_test(test_markdown),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_memory_and_startup),
		cmocka_unit_test(test_attached_startup),
		cmocka_unit_test(test_verdicts_for_the_primes),
		cmocka_unit_test(test_verdicts_other_shapes),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
