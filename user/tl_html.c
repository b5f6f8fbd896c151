// SPDX-License-Identifier: GPL-2.0
/*
 * `--html FILE`: one self-contained page with the summary, the findings in plain words, an
 * interactive per-thread timeline and the text report. Nothing in it refers to anything outside
 * it: the styles and the script (user/html/, embedded at build time by tools/embed.sh) and the
 * run's data are inline, so it opens from file:// on a machine with no network.
 *
 * Every string from the run (comm, argv) is whatever bytes a program chose, so:
 *  - in HTML text and attributes, & < > " ' become entities, and control characters and bytes
 *    that are not UTF-8 become U+FFFD: the page stays valid UTF-8 and no markup gets in;
 *  - in the data (JSON inside <script type="application/json">), strings are pure ASCII with
 *    every < > & ' and non-ASCII character as \uXXXX, so no "</script" or "<!--" can end or
 *    bend the element, whatever the comm.
 *
 * The data is compact on purpose (a run can have millions of spans): per thread one flat array
 * of 5 integers per span, described in user/html/timeline.js, which decodes and draws it.
 */
#include "timeline.h"

#include "analyze.h"
#include "explain.h"
#include "fmt.h"
#include "html_assets.h"
#include "render.h"
#include "syscalls.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#ifndef CONCPROF_VERSION
#define CONCPROF_VERSION "0.0.0"
#endif

/* The command line in the title and heading is cut after this many bytes, like the report's. */
#define COMMAND_LEN 400
/* Syscall numbers below this get their names in the data; x86_64 has fewer than 500. */
#define MAX_NAMED_SYSCALL 1024
/* The text report at the bottom: its width, and table rows before it summarises the rest. */
#define REPORT_WIDTH	   100
#define REPORT_MAX_THREADS 50

/* Span kinds in the data: the state, with a blocked span's reason folded in. */
enum kind {
	KIND_UNKNOWN = 0,
	KIND_CPU = 1,
	KIND_PREEMPTED = 2,
	KIND_WOKEN = 3,
	KIND_BLOCKED = 4, /* + enum cp_reason: 4 (lock) .. 11 (other) */
};
#define FLAGS_SHIFT 4
#define CPU_SHIFT   6

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD, in UTF-8 */

struct page {
	FILE *out;
	const struct cp_run *run;
	const struct cp_analysis *a;
	const struct cp_timeline *tl;
};

/* ---- escaping ----------------------------------------------------------------------------- */

/* At most len bytes of s (stopping at a NUL) as HTML text, fit for an element or a quoted attribute. */
static void put_html_len(FILE *out, const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && s[i]) {
		unsigned char c = (unsigned char)s[i];
		size_t n = 1;
		uint32_t cp;

		switch (c) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		case '\n':
		case '\t':
			putc(c, out);
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				fputs(REPLACEMENT, out);
			} else if (c < 0x80) {
				putc(c, out);
			} else {
				n = cp_utf8_decode(s + i, len - i, &cp);
				if (n == 0 || (cp >= 0x80 && cp < 0xa0)) { /* C1 controls too */
					fputs(REPLACEMENT, out);
					n = n ? n : 1;
				} else {
					fwrite(s + i, 1, n, out);
				}
			}
			break;
		}
		i += n;
	}
}

static void put_html(FILE *out, const char *s)
{
	put_html_len(out, s, strlen(s));
}

/* At most len bytes of s (stopping at a NUL) as a pure-ASCII JSON string: see the top. */
static void put_js_string_len(FILE *out, const char *s, size_t len)
{
	size_t i = 0;

	putc('"', out);
	while (i < len && s[i]) {
		unsigned char c = (unsigned char)s[i];
		size_t n = 1;
		uint32_t cp = c;

		if (c >= 0x80) {
			n = cp_utf8_decode(s + i, len - i, &cp);
			if (n == 0) {
				cp = 0xfffd;
				n = 1;
			}
		}
		if (cp >= 0x20 && cp < 0x7f && !strchr("\"\\<>&'", (int)cp)) {
			putc((int)cp, out);
		} else if (cp < 0x10000) {
			fprintf(out, "\\u%04" PRIx32, cp);
		} else { /* a surrogate pair */
			cp -= 0x10000;
			fprintf(out, "\\u%04" PRIx32 "\\u%04" PRIx32, 0xd800 + (cp >> 10),
				0xdc00 + (cp & 0x3ff));
		}
		i += n;
	}
	putc('"', out);
}

static void put_js_string(FILE *out, const char *s)
{
	put_js_string_len(out, s, strlen(s));
}

/* ---- words and figures -------------------------------------------------------------------- */

/* argv joined by spaces, cut at COMMAND_LEN bytes (an attached run may have none). */
static void command_line(const struct cp_run *run, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < run->argc && run->argv && run->argv[i]; i++) {
		int n = snprintf(buf + used, len - used, "%s%s", i ? " " : "", run->argv[i]);

		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
}

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

static void exit_words(const struct cp_run *run, char *buf, size_t len)
{
	if (run->attached && run->exit_code < 0)
		snprintf(buf, len, "still running when tracing stopped");
	else if (run->term_signal > 0)
		snprintf(buf, len, "killed by %s (exit status %d)",
			 cp_fmt_signal(run->term_signal).s, run->exit_code);
	else if (run->exit_code < 0)
		snprintf(buf, len, "exit status unknown");
	else
		snprintf(buf, len, "exit status %d", run->exit_code);
}

/* One figure of the summary: a swatch class (or NULL), a name, the value, what it means. */
static void figure(FILE *out, const char *swatch, const char *name, const char *value,
		   const char *meaning)
{
	fputs("<div class=\"fig\"><div class=\"k\">", out);
	if (swatch)
		fprintf(out, "<i class=\"sw %s\"></i>", swatch);
	put_html(out, name);
	fputs("</div><div class=\"v\">", out);
	put_html(out, value);
	fputs("</div><div class=\"d\">", out);
	put_html(out, meaning);
	fputs("</div></div>\n", out);
}

/* One part of the "each thread's life" bar and its legend entry; nothing for an empty part. */
static void life_part(FILE *out, const char *cls, const char *name, uint64_t ns, uint64_t life_ns,
		      bool legend)
{
	char pct[CP_FMT_LEN];

	if (!ns || !life_ns)
		return;
	snprintf(pct, sizeof(pct), "%s", cp_fmt_share(ns, life_ns).s);
	if (legend) {
		fprintf(out,
			"<li><i class=\"sw %s\"></i>%s <b>%s</b> <span class=\"pct\">%s</span></li>\n",
			cls, name, cp_fmt_duration(ns).s, pct);
		return;
	}
	fprintf(out, "<div class=\"%s\" style=\"flex-grow:%.6f\" title=\"%s %s (%s)\"></div>", cls,
		(double)ns / (double)life_ns, name, cp_fmt_duration(ns).s, pct);
}

static void life_parts(FILE *out, const struct cp_analysis *a, bool legend)
{
	const struct cp_totals *t = &a->totals;

	life_part(out, "user", "user", t->user_ns, a->lifetime_ns, legend);
	life_part(out, "sys", "sys", t->sys_ns, a->lifetime_ns, legend);
	life_part(out, "preempted", "preempted", t->runnable_preempted_ns, a->lifetime_ns, legend);
	life_part(out, "woken", "woken", t->runnable_woken_ns, a->lifetime_ns, legend);
	for (int r = 0; r < CP_NR_REASONS; r++)
		life_part(out, cp_reason_name(r), cp_reason_name(r), t->blocked_ns[r],
			  a->lifetime_ns, legend);
}

/* ---- the page's parts --------------------------------------------------------------------- */

static void write_head(const struct page *p, const char *command)
{
	FILE *out = p->out;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<meta name=\"generator\" content=\"concprof " CONCPROF_VERSION "\">\n"
	      "<title>concprof: ",
	      out);
	put_html(out, command[0] ? command : "(no command)");
	fputs("</title>\n<style>\n", out);
	fwrite(cp_html_timeline_css, 1, sizeof(cp_html_timeline_css), out);
	fputs("</style>\n</head>\n<body>\n", out);
}

static void write_title(const struct page *p, const char *command)
{
	const struct cp_run *run = p->run;
	FILE *out = p->out;
	char words[96];

	fputs("<header class=\"top\">\n<h1><span class=\"brand\">concprof</span> ", out);
	if (run->attached)
		fprintf(out, "<span class=\"att\">attached to PID %d</span> ", run->root_pid);
	fputs("<code class=\"cmd\">", out);
	put_html(out, command[0] ? command : "(no command)");
	fputs("</code></h1>\n<p class=\"meta\">", out);
	exit_words(run, words, sizeof(words));
	fprintf(out, "<span class=\"%s\">%s</span>", run->term_signal > 0 ? "bad" : "ok", words);
	fprintf(out, " · %zu process%s, %zu thread%s", run->nr_procs,
		run->nr_procs == 1 ? "" : "es", run->nr_threads, plural(run->nr_threads));
	if (run->cpus > 0)
		fprintf(out, " · %d CPU%s", run->cpus, plural((uint64_t)run->cpus));
	fprintf(out, " · wall %s</p>\n</header>\n", cp_fmt_duration(run->wall_ns).s);
}

static void write_summary(const struct page *p)
{
	const struct cp_analysis *a = p->a;
	const struct cp_run *run = p->run;
	FILE *out = p->out;
	char value[64], meaning[160];

	fputs("<section id=\"summary\" class=\"card\">\n<h2>Summary</h2>\n<div class=\"figures\">\n",
	      out);
	figure(out, NULL, "wall", cp_fmt_duration(run->wall_ns).s,
	       "from exec to the end of the last thread");
	figure(out, "user", "user", cp_fmt_duration(a->totals.user_ns).s,
	       "on a CPU running the program's own code");
	figure(out, "sys", "sys", cp_fmt_duration(a->totals.sys_ns).s,
	       "the kernel working for it (syscalls)");
	snprintf(meaning, sizeof(meaning),
		 "of the wall time on a CPU: on average %.2f of %d core%s busy", a->cores_busy,
		 run->cpus, plural((uint64_t)run->cpus));
	figure(out, NULL, "CPU time", cp_fmt_pct(a->cpu_pct_of_wall).s, meaning);
	figure(out, "runnable", "runnable", cp_fmt_duration(a->runnable_ns).s,
	       "ready, waiting for a CPU (summed over threads)");
	if (a->dominant_reason >= 0)
		snprintf(meaning, sizeof(meaning), "asleep until something happens; mostly %s",
			 cp_reason_name(a->dominant_reason));
	else
		snprintf(meaning, sizeof(meaning), "asleep until something happens");
	figure(out, "blocked", "blocked", cp_fmt_duration(a->blocked_ns).s, meaning);
	if (a->have_concurrency && a->busy_frac > 0) {
		snprintf(value, sizeof(value), "%.2f", a->mean_parallelism);
		snprintf(meaning, sizeof(meaning),
			 "threads on a CPU on average while any was; at most %zu at once; "
			 "none %s of the time",
			 a->max_parallelism, cp_fmt_pct(100.0 * a->idle_frac).s);
		figure(out, NULL, "parallelism", value, meaning);
	}
	if (run->have_rusage) {
		snprintf(value, sizeof(value), "%s", cp_fmt_duration(run->rusage_user_ns).s);
		snprintf(meaning, sizeof(meaning),
			 "user; sys %s: what `time` says, sampled at each tick",
			 cp_fmt_duration(run->rusage_sys_ns).s);
		figure(out, NULL, "kernel (rusage)", value, meaning);
	}
	fputs("</div>\n", out);

	if (a->lifetime_ns) {
		fprintf(out,
			"<p class=\"life-t\">Each thread's life is user + sys + runnable + blocked; "
			"summed over the %zu thread%s (%s):</p>\n<div class=\"lifebar\">",
			run->nr_threads, plural(run->nr_threads),
			cp_fmt_duration(a->lifetime_ns).s);
		life_parts(out, a, false);
		fputs("</div>\n<ul class=\"legend life-l\">\n", out);
		life_parts(out, a, true);
		fputs("</ul>\n", out);
	}
	fputs("</section>\n", out);
}

static void write_findings(const struct page *p)
{
	struct cp_finding findings[CP_MAX_FINDINGS];
	size_t n = cp_explain(p->run, p->a, findings, CP_MAX_FINDINGS);
	FILE *out = p->out;

	fputs("<section id=\"why\" class=\"card\">\n<h2>Why</h2>\n<ul class=\"findings\">\n", out);
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "<li class=\"f-%s\">", cp_finding_kind_name(findings[i].kind));
		put_html_len(out, findings[i].text, sizeof(findings[i].text));
		fputs("</li>\n", out);
	}
	if (!n)
		fputs("<li>Nothing to say about this run.</li>\n", out);
	fputs("</ul>\n</section>\n", out);
}

static void write_timeline_section(const struct page *p)
{
	const struct cp_timeline *tl = p->tl;
	const struct cp_run *run = p->run;
	FILE *out = p->out;

	fputs("<section id=\"timeline\" class=\"card\">\n<h2>Timeline</h2>\n", out);
	if (!tl->nr_spans)
		fputs("<p class=\"note\">No timeline was recorded for this run: only the totals "
		      "above are known.</p>\n",
		      out);
	if (tl->lost_records || tl->nr_incomplete) {
		fprintf(out, "<p class=\"note warn\" id=\"tl-incomplete\">");
		if (tl->lost_records)
			fprintf(out, "The kernel's ring buffer was full: %s stream record%s lost. ",
				cp_fmt_count(tl->lost_records).s,
				tl->lost_records == 1 ? " was" : "s were");
		fprintf(out,
			"%s span%s (%s in all) %s uncertain bounds; hatched grey stretches are "
			"unknown: what the thread did then was not recorded.</p>\n",
			cp_fmt_count(tl->nr_incomplete).s, plural(tl->nr_incomplete),
			cp_fmt_duration(tl->incomplete_ns).s,
			tl->nr_incomplete == 1 ? "has" : "have");
	}
	if (run->repaired_switches || run->repaired_wakeups) {
		fputs("<p class=\"note\">The kernel's tracepoints did not report ", out);
		if (run->repaired_switches)
			fprintf(out, "%s switch-in%s%s", cp_fmt_count(run->repaired_switches).s,
				plural(run->repaired_switches),
				run->repaired_wakeups ? " and " : "");
		if (run->repaired_wakeups)
			fprintf(out, "%s wakeup%s", cp_fmt_count(run->repaired_wakeups).s,
				plural(run->repaired_wakeups));
		fputs("; concprof rebuilt them from the kernel's own accounting (hover a span: "
		      "\"repaired\").</p>\n",
		      out);
	}
	fputs("<div id=\"tl\" class=\"tl\"></div>\n<noscript><p class=\"note\">The timeline "
	      "needs JavaScript.</p></noscript>\n</section>\n",
	      out);
}

static void write_report(const struct page *p)
{
	struct cp_render_opts opts = { .color = false,
				       .width = REPORT_WIDTH,
				       .max_threads = REPORT_MAX_THREADS };
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	int err;

	if (!mem)
		return;
	err = cp_render_report(mem, p->run, p->a, &opts);
	if (fclose(mem) == 0 && !err && text) {
		fputs("<details id=\"report\" class=\"card\">\n<summary>The text report "
		      "(as <code>concprof</code> prints it)</summary>\n<pre>",
		      p->out);
		put_html_len(p->out, text, len);
		fputs("</pre>\n</details>\n", p->out);
	}
	free(text);
}

/* ---- the data ----------------------------------------------------------------------------- */

static unsigned int span_kind(const struct cp_tl_span *s)
{
	switch (s->state) {
	case CP_TL_CPU:
		return KIND_CPU;
	case CP_TL_PREEMPTED:
		return KIND_PREEMPTED;
	case CP_TL_WOKEN:
		return KIND_WOKEN;
	case CP_TL_BLOCKED:
		/* A reason from a newer kernel side than this page knows is still a block. */
		return KIND_BLOCKED + (s->reason < CP_NR_REASONS ? s->reason : CP_REASON_OTHER);
	default:
		return KIND_UNKNOWN;
	}
}

/*
 * One thread's spans: [gap, dur, code, x, sc] each. gap is from the previous span's end (the
 * first's from 0), so spans that tile the thread cost a "0" each; code = kind | flags << 4 |
 * cpu << 6; x is sys_ns (cpu) or the waker's tid (woken); sc the syscall nr or -1.
 */
static void write_thread_spans(FILE *out, const struct cp_tl_span *spans, size_t count, bool *named)
{
	uint64_t prev_end = 0;

	putc('[', out);
	for (size_t i = 0; i < count; i++) {
		const struct cp_tl_span *s = &spans[i];
		uint64_t dur = s->end_ns > s->start_ns ? s->end_ns - s->start_ns : 0;
		int64_t gap = (int64_t)(s->start_ns - prev_end);
		unsigned int kind = span_kind(s);
		uint64_t code = kind | (uint64_t)(s->flags & 3) << FLAGS_SHIFT;
		int64_t x = 0, sc = -1;

		if (kind == KIND_CPU) {
			code |= (uint64_t)s->cpu << CPU_SHIFT;
			x = (int64_t)(s->sys_ns < dur ? s->sys_ns : dur);
		} else if (kind == KIND_WOKEN) {
			x = s->waker;
		}
		if (kind == KIND_CPU || kind >= KIND_BLOCKED) {
			sc = s->syscall < 0 ? -1 : s->syscall;
			if (sc >= 0 && sc < MAX_NAMED_SYSCALL)
				named[sc] = true;
		}
		fprintf(out, "%s%" PRId64 ",%" PRIu64 ",%" PRIu64 ",%" PRId64 ",%" PRId64,
			i ? "," : "", gap, dur, code, x, sc);
		prev_end = s->start_ns + dur;
	}
	putc(']', out);
}

static void write_data(const struct page *p, const char *command)
{
	const struct cp_timeline *tl = p->tl;
	const struct cp_run *run = p->run;
	bool named[MAX_NAMED_SYSCALL] = { false };
	FILE *out = p->out;
	uint64_t end_ns = run->wall_ns > tl->end_ns ? run->wall_ns : tl->end_ns;
	bool first = true;

	for (size_t i = 0; i < tl->nr_spans; i++)
		if (tl->spans[i].end_ns > end_ns)
			end_ns = tl->spans[i].end_ns;

	fputs("<script type=\"application/json\" id=\"cp-data\">\n{\"v\":1,\"command\":", out);
	put_js_string(out, command);
	fprintf(out,
		",\"attached\":%s,\"cpus\":%d,\"wall_ns\":%" PRIu64 ",\"end_ns\":%" PRIu64
		",\"lost_records\":%" PRIu64 ",\"nr_incomplete\":%" PRIu64
		",\"incomplete_ns\":%" PRIu64 ",\n\"reasons\":[",
		run->attached ? "true" : "false", run->cpus, run->wall_ns, end_ns, tl->lost_records,
		tl->nr_incomplete, tl->incomplete_ns);
	for (int r = 0; r < CP_NR_REASONS; r++)
		fprintf(out, "%s\"%s\"", r ? "," : "", cp_reason_name(r));

	fputs("],\n\"procs\":[", out);
	for (size_t i = 0; i < run->nr_procs; i++) {
		const struct cp_process *pr = &run->procs[i];

		fprintf(out,
			"%s\n{\"pid\":%" PRId32 ",\"ppid\":%" PRId32 ",\"comm\":", i ? "," : "",
			pr->pid, pr->ppid);
		put_js_string_len(out, pr->comm, sizeof(pr->comm));
		fprintf(out,
			",\"start\":%" PRIu64 ",\"end\":%" PRIu64
			",\"exited\":%s,\"exit_code\":%" PRId32 ",\"signal\":%" PRId32 "}",
			pr->start_ns, pr->end_ns, pr->exited ? "true" : "false", pr->exit_code,
			pr->term_signal);
	}

	fputs("],\n\"threads\":[", out);
	for (size_t i = 0; i < run->nr_threads; i++) {
		const struct cp_thread *t = &run->threads[i];
		size_t from = 0, count = 0;

		if (tl->nr_spans)
			cp_tl_thread_spans(tl, run, i, &from, &count);
		fprintf(out, "%s\n{\"tid\":%" PRId32 ",\"pid\":%" PRId32 ",\"comm\":", i ? "," : "",
			t->tid, t->pid);
		put_js_string_len(out, t->comm, sizeof(t->comm));
		fprintf(out,
			",\"start\":%" PRIu64 ",\"end\":%" PRIu64 ",\"exited\":%s,\"user\":%" PRIu64
			",\"sys\":%" PRIu64 ",\"runnable\":%" PRIu64 ",\"blocked\":%" PRIu64
			",\"spans\":%zu}",
			t->start_ns, t->end_ns, t->exited ? "true" : "false", t->user_ns, t->sys_ns,
			cp_thread_runnable_ns(t), cp_thread_blocked_ns(t), count);
	}

	fputs("],\n\"spans\":[", out);
	for (size_t i = 0; i < run->nr_threads; i++) {
		size_t from = 0, count = 0;

		if (tl->nr_spans)
			cp_tl_thread_spans(tl, run, i, &from, &count);
		fputs(i ? ",\n" : "\n", out);
		write_thread_spans(out, tl->spans + from, count, named);
	}

	/* [ts, tid, pid, other, kind] each, in time order. */
	fputs("],\n\"marks\":[", out);
	for (size_t i = 0; i < tl->nr_marks; i++) {
		const struct cp_tl_mark *m = &tl->marks[i];

		if (m->kind < CP_TL_EXEC || m->kind > CP_TL_EXIT)
			continue;
		fprintf(out, "%s%" PRIu64 ",%" PRId32 ",%" PRId32 ",%" PRId32 ",%u",
			first ? "" : ",", m->ts_ns, m->tid, m->pid, m->other, m->kind);
		first = false;
	}

	fputs("],\n\"syscalls\":{", out);
	first = true;
	for (int nr = 0; nr < MAX_NAMED_SYSCALL; nr++) {
		const char *name = named[nr] ? cp_syscall_name(nr) : NULL;

		if (!name)
			continue;
		fprintf(out, "%s\"%d\":", first ? "" : ",", nr);
		put_js_string(out, name);
		first = false;
	}
	fputs("}}\n</script>\n", out);
}

static void write_script(const struct page *p)
{
	fputs("<script>\n", p->out);
	fwrite(cp_html_timeline_js, 1, sizeof(cp_html_timeline_js), p->out);
	fputs("</script>\n", p->out);
}

int cp_tl_write_html(FILE *out, const struct cp_run *run, const struct cp_analysis *a,
		     const struct cp_timeline *tl)
{
	static const struct cp_timeline no_timeline;
	struct page p = { .out = out, .run = run, .a = a, .tl = tl ? tl : &no_timeline };
	struct cp_analysis own;
	char command[COMMAND_LEN];

	if (!a) { /* figures only: without memory for the table rows the report still reads */
		cp_analyze(run, &own);
		p.a = &own;
	}
	command_line(run, command, sizeof(command));

	write_head(&p, command);
	fputs("<main>\n", out);
	write_title(&p, command);
	write_summary(&p);
	write_findings(&p);
	write_timeline_section(&p);
	write_report(&p);
	fputs("<footer>Made by concprof " CONCPROF_VERSION
	      ". This page is self-contained: it needs no network.</footer>\n</main>\n",
	      out);
	write_data(&p, command);
	write_script(&p);
	fputs("</body>\n</html>\n", out);

	if (!a)
		cp_analysis_free(&own);
	errno = 0;
	if (fflush(out) == EOF || ferror(out))
		return errno ? -errno : -EIO;
	return 0;
}
