// SPDX-License-Identifier: GPL-2.0
/*
 * The HTML report (`--html`): one self-contained document, every thread and process in its data,
 * the spans read back exactly, hostile names escaped, nothing fetched from outside.
 *
 * With TL_HTML_WRITE=PATH set, this binary writes the page of a large hand-made timeline (50
 * threads, 100,000 spans: big_fixture()) to PATH and exits: tests/integration/test_html.py
 * loads it in Chromium.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "analyze.h"
#include "fmt.h"
#include "jsmini.h"
#include "runs.h"
#include "timeline.h"
#include "tl_fixture.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DATA_OPEN  "<script type=\"application/json\" id=\"cp-data\">"
#define DATA_CLOSE "</script>"

/* The page for run and tl (analysed here, or not when analyse is false), as a string. */
static char *page(const struct cp_run *run, const struct cp_timeline *tl, bool analyse,
		  size_t *len_out)
{
	struct cp_analysis a;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	if (analyse)
		assert_int_equal(cp_analyze(run, &a), 0);
	assert_int_equal(cp_tl_write_html(f, run, analyse ? &a : NULL, tl), 0);
	assert_int_equal(fclose(f), 0);
	if (analyse)
		cp_analysis_free(&a);
	if (getenv("CONCPROF_TEST_SHOW"))
		fputs(text, stderr);
	if (len_out)
		*len_out = len;
	return text;
}

static void assert_contains(const char *text, const char *part)
{
	if (!strstr(text, part))
		fail_msg("\"%s\" not in the page", part);
}

static size_t count_nocase(const char *text, const char *part)
{
	size_t n = 0, len = strlen(part);

	for (const char *p = text; *p; p++)
		if (strncasecmp(p, part, len) == 0)
			n++;
	return n;
}

/* The data's span arrays, read without building a tree: a big page has millions of numbers. */
struct span_arrays {
	int64_t **v;
	size_t *len;
	size_t nr;
};

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\n')
		p++;
	return p;
}

/* Reads the "spans" array of arrays of integers at p; returns the position past it. */
static const char *read_span_arrays(const char *p, struct span_arrays *out)
{
	*out = (struct span_arrays){ 0 };
	assert_true(*p == '[');
	p = skip_space(p + 1);
	while (*p == '[') {
		size_t cap = 0, n = 0;
		int64_t *v = NULL;

		p++;
		while (*p != ']') {
			char *end;
			long long x = strtoll(p, &end, 10);

			if (end == p)
				fail_msg("not an integer in the spans: \"%.20s\"", p);
			if (n == cap) {
				cap = cap ? 2 * cap : 64;
				v = test_xrealloc(v, cap * sizeof(*v));
			}
			v[n++] = x;
			p = end;
			if (*p == ',')
				p++;
			else if (*p != ']')
				fail_msg("bad separator in the spans: \"%.20s\"", p);
		}
		out->v = test_xrealloc(out->v, (out->nr + 1) * sizeof(*out->v));
		out->len = test_xrealloc(out->len, (out->nr + 1) * sizeof(*out->len));
		out->v[out->nr] = v;
		out->len[out->nr++] = n;
		p = skip_space(p + 1);
		if (*p == ',')
			p = skip_space(p + 1);
		else if (*p != ']')
			fail_msg("bad separator between threads: \"%.20s\"", p);
	}
	assert_true(*p == ']');
	return p + 1;
}

static void free_span_arrays(struct span_arrays *sa)
{
	for (size_t i = 0; i < sa->nr; i++)
		free(sa->v[i]);
	free(sa->v);
	free(sa->len);
}

/*
 * The data element's JSON: its spans into *spans, the rest parsed into *doc (strict: see
 * jsmini.h), with "spans" an empty array there. With whole, the whole document must parse too.
 */
static void parse_data(const char *html, struct js *doc, struct span_arrays *spans, bool whole)
{
	const char *from = strstr(html, DATA_OPEN), *to, *at, *past;
	struct span_arrays unused;
	const char *error;
	char *json, *rest;

	assert_non_null(from);
	from += strlen(DATA_OPEN);
	to = strstr(from, DATA_CLOSE);
	assert_non_null(to);
	json = strndup(from, (size_t)(to - from));
	assert_non_null(json);
	/* Pure ASCII: nothing in it can be read as markup or as another encoding. */
	for (const char *p = json; *p; p++)
		if ((unsigned char)*p >= 0x80 || *p == '<' || *p == '>' || *p == '&')
			fail_msg("data holds byte 0x%02x at %zu", (unsigned char)*p,
				 (size_t)(p - json));
	if (whole) {
		error = js_parse(json, doc);
		if (error)
			fail_msg("the data is not JSON: %s", error);
		js_free(doc);
	}
	at = strstr(json, "\"spans\":[");
	assert_non_null(at);
	at += strlen("\"spans\":");
	past = read_span_arrays(at, spans ? spans : &unused);
	if (!spans)
		free_span_arrays(&unused);
	assert_true(asprintf(&rest, "%.*s[]%s", (int)(at - json), json, past) > 0);
	error = js_parse(rest, doc);
	if (error)
		fail_msg("the data is not JSON: %s", error);
	free(rest);
	free(json);
}

static int64_t num(const struct js *v)
{
	bool ok;
	int64_t n = js_i64(v, &ok);

	if (!ok)
		fail_msg("not an integer: %s", v ? v->text : "(missing)");
	return n;
}

static const struct js *member(const struct js *obj, const char *key)
{
	const struct js *v = js_get(obj, key);

	if (!v)
		fail_msg("no \"%s\" in the data", key);
	return v;
}

/* The whole page is UTF-8 with no control character but newline and tab. */
static void assert_clean_utf8(const char *text, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)text[i];
		uint32_t cp;
		size_t n = 1;

		if (c >= 0x80) {
			n = cp_utf8_decode(text + i, len - i, &cp);
			if (!n)
				fail_msg("byte 0x%02x at %zu is not UTF-8", c, i);
		} else if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
			fail_msg("control character 0x%02x at %zu", c, i);
		}
		i += n;
	}
}

/* One document: one html, head and body, the two scripts and the style, and nothing after. */
static void assert_one_document(const char *html, size_t len)
{
	const char *end = "</body>\n</html>\n";

	assert_true(strncmp(html, "<!DOCTYPE html>\n", 16) == 0);
	assert_true(len > strlen(end) && strcmp(html + len - strlen(end), end) == 0);
	assert_int_equal(strlen(html), len); /* no NUL inside */
	assert_int_equal(count_nocase(html, "<html"), 1);
	assert_int_equal(count_nocase(html, "<head>"), 1);
	assert_int_equal(count_nocase(html, "<body>"), 1);
	assert_int_equal(count_nocase(html, "</body"), 1);
	assert_int_equal(count_nocase(html, "</html"), 1);
	assert_int_equal(count_nocase(html, "<script"), 2);
	assert_int_equal(count_nocase(html, "</script"), 2);
	assert_int_equal(count_nocase(html, "<style"), 1);
	assert_int_equal(count_nocase(html, "</style"), 1);
	assert_int_equal(count_nocase(html, "<!--"), 0);
	assert_clean_utf8(html, len);
}

/*
 * Every span of the data decoded as timeline.js decodes it, against tl: the bounds, state,
 * reason, flags, CPU, sys time, waker and syscall. Returns the spans read.
 */
static size_t assert_spans_read_back(const struct js *doc, const struct span_arrays *spans,
				     const struct cp_run *run, const struct cp_timeline *tl)
{
	const struct js *threads = member(doc, "threads");
	size_t total = 0;

	assert_int_equal(spans->nr, run->nr_threads);
	for (size_t i = 0; i < run->nr_threads; i++) {
		const int64_t *a = spans->v[i];
		size_t first, count;
		int64_t at = 0;

		cp_tl_thread_spans(tl, run, i, &first, &count);
		assert_int_equal(num(member(js_at(threads, i), "spans")), count);
		assert_int_equal(spans->len[i], 5 * count);
		for (size_t k = 0; k < count; k++) {
			const struct cp_tl_span *s = &tl->spans[first + k];
			int64_t start = at + a[5 * k], dur = a[5 * k + 1], code = a[5 * k + 2];
			int64_t x = a[5 * k + 3], sc = a[5 * k + 4], kind = code & 15;

			assert_int_equal(start, s->start_ns);
			assert_int_equal(start + dur, s->end_ns);
			assert_int_equal((code >> 4) & 3, s->flags);
			switch (s->state) {
			case CP_TL_CPU:
				assert_int_equal(kind, 1);
				assert_int_equal(code >> 6, s->cpu);
				assert_int_equal(x, s->sys_ns);
				assert_int_equal(sc, s->syscall);
				break;
			case CP_TL_PREEMPTED:
				assert_int_equal(kind, 2);
				break;
			case CP_TL_WOKEN:
				assert_int_equal(kind, 3);
				assert_int_equal(x, s->waker);
				break;
			case CP_TL_BLOCKED:
				assert_int_equal(kind, 4 + s->reason);
				assert_int_equal(sc, s->syscall);
				break;
			default:
				assert_int_equal(kind, 0);
			}
			at = start + dur;
		}
		total += count;
	}
	return total;
}

static void test_one_document(void **state)
{
	struct cp_timeline tl;
	struct cp_run run;
	size_t len;
	char *html;

	(void)state;
	tl_demo(&run, &tl);
	run.repaired_switches = 1;
	html = page(&run, &tl, true, &len);
	assert_one_document(html, len);
	assert_contains(html, "did not report 1 switch-in; concprof rebuilt");
	assert_contains(html, "<meta charset=\"utf-8\">");
	assert_contains(html, "<title>concprof: ./demo</title>");
	/* the script and the styles are inside, not referred to */
	assert_contains(html, "window.concprof");
	assert_contains(html, "--user:");
	free(html);
	cp_timeline_free(&tl);
	cp_run_free(&run);
}

static void test_every_thread_and_process(void **state)
{
	struct cp_timeline tl;
	struct cp_run run;
	struct span_arrays spans;
	struct js doc;
	char *html;

	(void)state;
	tl_demo(&run, &tl);
	html = page(&run, &tl, true, NULL);
	parse_data(html, &doc, &spans, true);

	const struct js *procs = member(&doc, "procs"), *threads = member(&doc, "threads");

	assert_int_equal(procs->nr_items, run.nr_procs);
	for (size_t i = 0; i < run.nr_procs; i++) {
		assert_int_equal(num(member(js_at(procs, i), "pid")), run.procs[i].pid);
		assert_int_equal(num(member(js_at(procs, i), "ppid")), run.procs[i].ppid);
		assert_string_equal(member(js_at(procs, i), "comm")->text, run.procs[i].comm);
	}
	assert_int_equal(threads->nr_items, run.nr_threads);
	for (size_t i = 0; i < run.nr_threads; i++) {
		assert_int_equal(num(member(js_at(threads, i), "tid")), run.threads[i].tid);
		assert_int_equal(num(member(js_at(threads, i), "pid")), run.threads[i].pid);
		assert_string_equal(member(js_at(threads, i), "comm")->text, run.threads[i].comm);
	}
	assert_int_equal(assert_spans_read_back(&doc, &spans, &run, &tl), tl.nr_spans);
	assert_int_equal(member(&doc, "marks")->nr_items, 5 * tl.nr_marks);
	assert_int_equal(num(member(&doc, "end_ns")), 100 * MS);
	assert_int_equal(num(member(&doc, "nr_incomplete")), tl.nr_incomplete);

	/* The syscalls the spans were in are named; the note on lost records is there. */
	const struct js *names = member(&doc, "syscalls");

	assert_string_equal(member(names, "45")->text, "recvfrom");
	assert_string_equal(member(names, "202")->text, "futex");
	assert_string_equal(member(names, "61")->text, "wait4");
	assert_string_equal(member(names, "1")->text, "write");
	assert_contains(html, "id=\"tl-incomplete\"");
	assert_contains(html, "2 spans (10.0 ms in all) have uncertain bounds");
	free_span_arrays(&spans);
	js_free(&doc);
	free(html);
	cp_timeline_free(&tl);
	cp_run_free(&run);
}

/* The summary, the findings and the text report are in the page, as HTML. */
static void test_summary_and_explanation(void **state)
{
	struct cp_timeline tl;
	struct cp_run run;
	struct tl_cursor c;
	size_t len;
	char *html;

	(void)state;
	run_lecture_sequential(&run);
	tl_init(&tl, run.wall_ns);
	c = tl_thread_at(&tl, &run, 0, 0);
	tl_cpu(&c, 994 * MS, 0, 262 * MS);
	tl_woken(&c, 6 * MS, 0);
	tl_blocked(&c, 15400 * MS, CP_REASON_NET, 45);
	tl_sort(&tl);
	html = page(&run, &tl, true, &len);
	assert_one_document(html, len);
	assert_contains(html, "<section id=\"summary\"");
	assert_contains(html, "<div class=\"v\">16.4 s</div>"); /* wall */
	assert_contains(html, "<div class=\"v\">732 ms</div>"); /* user */
	assert_contains(html, "<div class=\"v\">262 ms</div>"); /* sys */
	assert_contains(html, "mostly net");
	assert_contains(html, "<section id=\"why\"");
	assert_contains(html, "<li class=\"f-io_bound\">");
	assert_contains(html, "I/O bound");
	assert_contains(html, "≈ 1.2 MB/s");
	assert_contains(html, "<details id=\"report\"");
	assert_contains(html, "── Time ──");
	assert_contains(html, "what `time` says");
	assert_true(strstr(html, "id=\"tl-incomplete\"") == NULL); /* nothing was lost */
	free(html);
	cp_timeline_free(&tl);
	cp_run_free(&run);
}

/* Names are whatever a program chose: none of them may end an element or add markup. */
static void test_hostile_names_escaped(void **state)
{
	static const char *const argv[] = { "./x",
					    "<img src=x onerror=alert(1)>",
					    "</script><script>alert(1)</script>",
					    "a\"b'c&d",
					    "\xc3\x28\xff",
					    NULL };
	static const char *const comms[] = {
		"</script><b>x",
		"</SCRIPT >\"'&",
		"<!--<script>",
		"\xff\xfe\x1b[2J\x7f",
		"\xe2\x80\xa8\xf0\x9f\x98\x80",
	};
	const size_t nr = sizeof(comms) / sizeof(comms[0]);
	struct cp_timeline tl;
	struct cp_run run;
	struct js doc;
	size_t len;
	char *html;

	(void)state;
	run_init(&run, SEC, 2, argv);
	run_add_process(&run, 1000, 999, "</script><i>", 0, SEC);
	tl_init(&tl, SEC);
	for (size_t i = 0; i < nr; i++)
		run_add_thread(&run, 1000 + (int32_t)i, 1000, comms[i], 0);
	for (size_t i = 0; i < nr; i++) {
		struct tl_cursor c = tl_thread_at(&tl, &run, i, 0);

		tl_cpu(&c, SEC / 2, 0, 0);
		tl_blocked(&c, SEC / 2, CP_REASON_OTHER, 999);
	}
	tl_sort(&tl);
	tl_fill_run(&run, &tl);
	html = page(&run, &tl, true, &len);
	assert_one_document(html, len); /* two <script>s still, UTF-8, no control characters */
	assert_int_equal(count_nocase(html, "<b>x"), 0);
	assert_int_equal(count_nocase(html, "><i>"), 0);
	assert_int_equal(count_nocase(html, "<img"), 0);
	assert_contains(html, "&lt;img src=x onerror=alert(1)&gt;");
	assert_contains(html, "a&quot;b&#39;c&amp;d");

	parse_data(html, &doc, NULL, true);
	const struct js *threads = member(&doc, "threads");

	/* Valid UTF-8 comes back as it was; anything else as U+FFFD. */
	assert_string_equal(member(js_at(threads, 0), "comm")->text, comms[0]);
	assert_string_equal(member(js_at(threads, 1), "comm")->text, comms[1]);
	assert_string_equal(member(js_at(threads, 2), "comm")->text, comms[2]);
	assert_string_equal(member(js_at(threads, 3), "comm")->text,
			    "\xef\xbf\xbd\xef\xbf\xbd\x1b[2J\x7f");
	assert_string_equal(member(js_at(threads, 4), "comm")->text, comms[4]);
	assert_string_equal(member(js_at(member(&doc, "procs"), 0), "comm")->text, "</script><i>");
	assert_string_equal(member(&doc, "command")->text,
			    "./x <img src=x onerror=alert(1)> </script><script>alert(1)</script> "
			    "a\"b'c&d \xef\xbf\xbd(\xef\xbf\xbd");
	/* syscall 999 has no name: timeline.js says "syscall 999" */
	assert_null(js_get(member(&doc, "syscalls"), "999"));
	js_free(&doc);
	free(html);
	cp_timeline_free(&tl);
	cp_run_free(&run);
}

/* Opens from file:// with no network: nothing refers to anything outside the page. */
static void test_nothing_from_outside(void **state)
{
	static const char *const outside[] = {
		"http:", "https:",  "//cdn", "src=",   "href=",		 "@import", "url(",
		"<link", "<iframe", "<img",  "fetch(", "XMLHttpRequest", "import(",
	};
	struct cp_timeline tl;
	struct cp_run run;
	char *html;

	(void)state;
	tl_demo(&run, &tl);
	html = page(&run, &tl, true, NULL);
	for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++)
		if (count_nocase(html, outside[i]))
			fail_msg("the page has \"%s\"", outside[i]);
	free(html);
	cp_timeline_free(&tl);
	cp_run_free(&run);
}

/* No timeline and no analysis: still a page, with the figures, saying there is no timeline. */
static void test_without_timeline(void **state)
{
	struct span_arrays spans;
	struct cp_run run;
	struct js doc;
	size_t len;
	char *html;

	(void)state;
	run_mutex_contention(&run);
	html = page(&run, NULL, false, &len);
	assert_one_document(html, len);
	assert_contains(html, "No timeline was recorded");
	assert_contains(html, "<li class=\"f-lock\">");
	parse_data(html, &doc, &spans, true);
	assert_int_equal(member(&doc, "threads")->nr_items, 5);
	assert_int_equal(spans.nr, 5);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(spans.len[i], 0);
	free_span_arrays(&spans);
	js_free(&doc);
	free(html);

	cp_run_free(&run);
	run_init(&run, 0, 1, NULL); /* attached, nothing seen at all */
	run.attached = true;
	run.exit_code = -1;
	html = page(&run, NULL, true, &len);
	assert_one_document(html, len);
	assert_contains(html, "still running when tracing stopped");
	free(html);
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
	assert_int_equal(cp_tl_write_html(full, &run, NULL, &tl), -ENOSPC);
	fclose(full);
	cp_timeline_free(&tl);
	cp_run_free(&run);
}

/* ---- the large fixture ---- */

#define BIG_THREADS  50
#define BIG_PER_PROC 10
#define BIG_SPANS    2000
#define BIG_WALL     (10 * SEC)
/* Thread k is blocked for reason k % 8 over [5.0 s, 5.4 s), then woken by thread k + 1. */
#define BIG_MARK_START	 (5 * SEC)
#define BIG_MARK_BLOCKED (400 * MS)
#define BIG_MARK_WOKEN	 (100 * 1000ULL)

static const int16_t reason_syscall[CP_NR_REASONS] = {
	[CP_REASON_LOCK] = 202,	 [CP_REASON_SLEEP] = 230, [CP_REASON_CHILD] = 61,
	[CP_REASON_NET] = 45,	 [CP_REASON_PIPE] = 0,	  [CP_REASON_DISK] = 1,
	[CP_REASON_PAGING] = -1, [CP_REASON_OTHER] = 7,
};

static uint32_t big_random(uint64_t *seed)
{
	*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(*seed >> 33);
}

/*
 * The next span of the cursor's thread, in room made beforehand: tl_add_span() grows the array
 * a span at a time, which is quadratic in an ASan build (its realloc always moves).
 */
static struct cp_tl_span *big_span(struct tl_cursor *c, enum cp_tl_state state, uint64_t ns)
{
	const struct cp_thread *t = &c->run->threads[c->thread];
	struct cp_tl_span *s = &c->tl->spans[c->tl->nr_spans++];

	assert_true(c->tl->nr_spans <= BIG_THREADS * BIG_SPANS);
	*s = (struct cp_tl_span){ .start_ns = c->at,
				  .end_ns = c->at + ns,
				  .thread = (uint32_t)c->thread,
				  .tid = t->tid,
				  .pid = t->pid,
				  .syscall = -1,
				  .state = (uint8_t)state };
	c->at += ns;
	return s;
}

static void big_blocked(struct tl_cursor *c, uint64_t ns, enum cp_reason r)
{
	struct cp_tl_span *s = big_span(c, CP_TL_BLOCKED, ns);

	s->reason = (uint8_t)r;
	s->syscall = reason_syscall[r];
}

/* nr spans of random states tiling [from, to) of the cursor's thread. */
static void big_fill(struct tl_cursor *c, uint64_t *seed, uint64_t to, int nr)
{
	uint64_t from = c->at, step = (to - from) / (uint64_t)nr;

	for (int j = 0; j < nr; j++) {
		/* cut points: evenly spaced, each moved by up to 40% of the step */
		uint64_t jitter = step * (big_random(seed) % 80) / 100;
		uint64_t end =
			j == nr - 1 ? to : from + step * (uint64_t)(j + 1) - step * 4 / 10 + jitter;
		uint64_t len = end - c->at;
		uint32_t dice = big_random(seed) % 100;
		struct cp_tl_span *s;

		/* about 8 threads on a CPU at once, of 50, on 8 CPUs */
		if (dice < 16) {
			s = big_span(c, CP_TL_CPU, len);
			s->cpu = (uint16_t)(big_random(seed) % 8);
			s->sys_ns = len * (dice % 5) / 10;
		} else if (dice < 22) {
			big_span(c, CP_TL_PREEMPTED, len);
		} else if (dice < 32) {
			s = big_span(c, CP_TL_WOKEN, len);
			s->waker = 2000 + (int32_t)(big_random(seed) % 500);
		} else if (dice < 96) {
			big_blocked(c, len, big_random(seed) % CP_NR_REASONS);
		} else {
			big_span(c, CP_TL_UNKNOWN, len)->flags = CP_TL_F_INCOMPLETE;
		}
	}
}

static int32_t big_tid(int k)
{
	return 2000 + 100 * (k / BIG_PER_PROC) + k % BIG_PER_PROC;
}

/*
 * 5 processes of 10 threads, 2,000 spans each over 10 s: 100,000 spans. Thread k (tid
 * big_tid(k)) starts at k × 20 ms within its process; see BIG_MARK_* for the span a test can
 * find. One thread's name would end the data's <script> element if it were not escaped.
 */
static void big_fixture(struct cp_run *run, struct cp_timeline *tl)
{
	static const char *const argv[] = { "./server", "--threads", "50", NULL };
	uint64_t seed = 42;

	run_init(run, BIG_WALL, 8, argv);
	tl_init(tl, BIG_WALL);
	tl->spans = test_xrealloc(NULL, BIG_THREADS * BIG_SPANS * sizeof(*tl->spans));
	for (int p = 0; p < BIG_THREADS / BIG_PER_PROC; p++) {
		struct cp_process *pr = run_add_process(run, big_tid(p * BIG_PER_PROC),
							p ? 2000 : 1999, "", 0, BIG_WALL);

		snprintf(pr->comm, sizeof(pr->comm), p ? "shard-%d" : "server", p);
	}
	for (int k = 0; k < BIG_THREADS; k++) {
		struct cp_thread *t = run_add_thread(run, big_tid(k), big_tid(k - k % BIG_PER_PROC),
						     k == 7 ? "</script>\"&x" : "",
						     (uint64_t)(k % BIG_PER_PROC) * 20 * MS);

		if (k != 7)
			snprintf(t->comm, sizeof(t->comm), "worker-%d", k);
	}
	for (int k = 0; k < BIG_THREADS; k++) {
		uint64_t start = (uint64_t)(k % BIG_PER_PROC) * 20 * MS;
		struct tl_cursor c = tl_thread_at(tl, run, (size_t)k, start);
		enum cp_reason r = (enum cp_reason)(k % CP_NR_REASONS);

		big_fill(&c, &seed, BIG_MARK_START, BIG_SPANS / 2);
		big_blocked(&c, BIG_MARK_BLOCKED, r);
		big_span(&c, CP_TL_WOKEN, BIG_MARK_WOKEN)->waker = big_tid((k + 1) % BIG_THREADS);
		big_fill(&c, &seed, BIG_WALL, BIG_SPANS / 2 - 2);
		if (k % BIG_PER_PROC)
			tl_add_mark(tl, CP_TL_FORK, start, big_tid(k - k % BIG_PER_PROC),
				    big_tid(k - k % BIG_PER_PROC), big_tid(k));
		else
			tl_add_mark(tl, CP_TL_EXEC, 0, big_tid(k), big_tid(k), 0);
		tl_add_mark(tl, CP_TL_EXIT, BIG_WALL, big_tid(k), big_tid(k - k % BIG_PER_PROC), 0);
	}
	tl_sort(tl);
	tl_fill_run(run, tl);
	tl->lost_records = 12;
}

static void test_many_spans(void **state)
{
	struct span_arrays spans;
	struct cp_timeline tl;
	struct cp_run run;
	struct js doc;
	size_t len;
	char *html;

	(void)state;
	big_fixture(&run, &tl);
	assert_int_equal(tl.nr_spans, BIG_THREADS * BIG_SPANS);
	html = page(&run, &tl, true, &len);
	assert_one_document(html, len);
	/* compact: about 20 bytes a span */
	assert_true(len < 40 * tl.nr_spans);
	parse_data(html, &doc, &spans, false); /* a tree of 500,000 numbers would be slow */
	assert_int_equal(member(&doc, "threads")->nr_items, BIG_THREADS);
	assert_int_equal(member(&doc, "procs")->nr_items, BIG_THREADS / BIG_PER_PROC);
	assert_int_equal(assert_spans_read_back(&doc, &spans, &run, &tl), BIG_THREADS * BIG_SPANS);
	assert_string_equal(member(js_at(member(&doc, "threads"), 7), "comm")->text,
			    "</script>\"&x");
	assert_int_equal(num(member(&doc, "lost_records")), 12);
	free_span_arrays(&spans);
	js_free(&doc);
	free(html);
	cp_timeline_free(&tl);
	cp_run_free(&run);
}

/* TL_HTML_WRITE=PATH: the large fixture's page, for the browser test. */
static int write_big_page(const char *path)
{
	struct cp_timeline tl;
	struct cp_analysis a;
	struct cp_run run;
	FILE *f = fopen(path, "w");
	int err;

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	big_fixture(&run, &tl);
	cp_analyze(&run, &a);
	err = cp_tl_write_html(f, &run, &a, &tl);
	if (fclose(f) && !err)
		err = -errno;
	if (err)
		fprintf(stderr, "%s: %s\n", path, strerror(-err));
	else
		printf("wrote %s: %zu threads, %zu spans\n", path, run.nr_threads, tl.nr_spans);
	cp_analysis_free(&a);
	cp_timeline_free(&tl);
	cp_run_free(&run);
	return err ? 1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_document),
		cmocka_unit_test(test_every_thread_and_process),
		cmocka_unit_test(test_summary_and_explanation),
		cmocka_unit_test(test_hostile_names_escaped),
		cmocka_unit_test(test_nothing_from_outside),
		cmocka_unit_test(test_without_timeline),
		cmocka_unit_test(test_write_error_reported),
		cmocka_unit_test(test_many_spans),
	};
	const char *write_path = getenv("TL_HTML_WRITE");

	if (write_path && *write_path)
		return write_big_page(write_path);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
