// SPDX-License-Identifier: GPL-2.0
#include "render.h"

#include "explain.h"
#include "fmt.h"
#include "i18n.h"
#include "locks.h"
#include "paint.h"
#include "syscalls.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define CELL_LEN 128
/* The command line in the header is cut after this many bytes: it is a reminder, not a record. */
#define COMMAND_LEN 400
/* Bars of the state breakdown and of the parallelism profile, at most. */
#define STATE_BAR_CELLS 24
#define LEVEL_BAR_CELLS 40
/* More levels than this (threads on a CPU at once) are lumped into the last row. */
#define MAX_LEVEL_ROWS 16
/* A blocked reason is listed in a thread's row from this share of its blocked time on... */
#define REASON_MIN_FRAC 0.05
/* ...and alone, without its duration, when it is nearly all of it. */
#define REASON_ALONE_FRAC  0.99
#define MAX_REASONS_LISTED 3

/* Colours: paint.h. */

struct report {
	FILE *out;
	const struct cp_run *run;
	const struct cp_analysis *a;
	bool color;
	int width;
	size_t max_rows;
};

static const char *on(const struct report *r, enum cp_paint p)
{
	return r->color ? cp_paint_codes[p] : "";
}

static const char *off(const struct report *r, enum cp_paint p)
{
	return r->color && p != PAINT_NONE ? "\033[0m" : "";
}

static void __attribute__((format(printf, 2, 3))) say(const struct report *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(r->out, fmt, ap);
	va_end(ap);
}

/* Numbers as the report's language writes them ("16.4 s", "16,4 s"). */
static struct cp_fmt duration(uint64_t ns)
{
	return cp_l10n(cp_fmt_duration(ns));
}

static struct cp_fmt duration_short(uint64_t ns)
{
	return cp_l10n(cp_fmt_duration_short(ns));
}

static struct cp_fmt share(uint64_t part, uint64_t whole)
{
	return cp_l10n(cp_fmt_share(part, whole));
}

/* "0.06 of 2 cores", or "0.06 cores" when the CPU count is unknown (as explain.c says it). */
static void cores(char *buf, size_t len, double busy, int cpus)
{
	if (cpus > 0)
		snprintf(buf, len, ngettext("%s of %d core", "%s of %d cores", cpus),
			 cp_l10n_fixed(busy, 2).s, cpus);
	else
		snprintf(buf, len, _("%s cores"), cp_l10n_fixed(busy, 2).s);
}

/* Spaces as wide as prefix: the continuation of a line that began with it. */
static void indent_like(char *buf, size_t len, const char *prefix)
{
	size_t width = cp_utf8_width(prefix);

	if (width >= len)
		width = len - 1;
	memset(buf, ' ', width);
	buf[width] = '\0';
}

/* Columns of the first n bytes of s. */
static size_t width_n(const char *s, size_t n)
{
	size_t width = 0;

	for (size_t i = 0; i < n && s[i]; i++)
		width += ((unsigned char)s[i] & 0xc0) != 0x80;
	return width;
}

static void spaces(const struct report *r, size_t n)
{
	while (n--)
		fputc(' ', r->out);
}

/* s in a column of the given width, painted; right-aligned for numbers. */
static void cell(const struct report *r, const char *s, size_t width, bool right, enum cp_paint p)
{
	size_t w = cp_utf8_width(s), pad = w < width ? width - w : 0;

	if (right)
		spaces(r, pad);
	say(r, "%s%s%s", on(r, p), s, off(r, p));
	if (!right)
		spaces(r, pad);
}

static void heading(const struct report *r, const char *title)
{
	size_t used = 3 + cp_utf8_width(title) + 1;

	say(r, "\n%s── %s ", on(r, PAINT_BOLD), title);
	for (size_t i = used; i < (size_t)r->width; i++)
		fputs("─", r->out);
	say(r, "%s\n", off(r, PAINT_BOLD));
}

/*
 * text, word-wrapped to the report's width: the first line after first_prefix, the others after
 * rest_prefix (both plain spaces or short marks, counted as their display width).
 */
static void wrap(const struct report *r, const char *first_prefix, const char *rest_prefix,
		 const char *text, enum cp_paint p)
{
	size_t col = cp_utf8_width(first_prefix), line_start = col;
	const char *s = text;

	say(r, "%s%s", on(r, p), first_prefix);
	while (*s) {
		size_t len = strcspn(s, " "), w = width_n(s, len);

		if (col > line_start && col + 1 + w > (size_t)r->width) {
			say(r, "%s\n%s%s", off(r, p), on(r, p), rest_prefix);
			col = line_start = cp_utf8_width(rest_prefix);
		} else if (col > line_start) {
			fputc(' ', r->out);
			col++;
		}
		fwrite(s, 1, len, r->out);
		col += w;
		s += len;
		while (*s == ' ')
			s++;
	}
	say(r, "%s\n", off(r, p));
}

/*
 * A bar of up to `cells` columns in eighths of a cell; any non-zero share shows at least a sliver.
 * Returns the columns it took: the caller pads only if something follows.
 */
static size_t bar(const struct report *r, double frac, size_t cells, enum cp_paint p)
{
	static const char *const partial[] = { "", "▏", "▎", "▍", "▌", "▋", "▊", "▉" };
	size_t eighths, used;

	if (!(frac > 0))
		frac = 0;
	if (frac > 1)
		frac = 1;
	eighths = (size_t)(frac * cells * 8 + 0.5);
	if (eighths == 0 && frac > 0)
		eighths = 1;
	say(r, "%s", on(r, p));
	for (size_t i = 0; i < eighths / 8; i++)
		fputs("█", r->out);
	fputs(partial[eighths % 8], r->out);
	say(r, "%s", off(r, p));
	used = eighths / 8 + (eighths % 8 != 0);
	return used < cells ? used : cells;
}

/* ---- header and warnings --------------------------------------------------------------- */

/* An argument a shell takes as it is: no quotes needed (non-ASCII letters are fine too). */
static bool shell_safe(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (!isalnum(c) && !strchr("_./=:,+@%-", c) && c < 0x80)
			return false;
	}
	return true;
}

/* The command as a shell would take it back: args quoted where needed, controls made '?'. */
static void command_line(const struct cp_run *run, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; run->argv && i < run->argc && run->argv[i]; i++) {
		char arg[COMMAND_LEN];
		bool quote;
		int n;

		cp_fmt_sanitize(arg, sizeof(arg), run->argv[i], strlen(run->argv[i]));
		quote = !shell_safe(arg);
		if (quote) {
			/* ' inside '...' is written '\'' by shells; '?' here is plainer. */
			for (char *c = arg; *c; c++)
				if (*c == '\'')
					*c = '?';
		}
		n = snprintf(buf + used, len - used, "%s%s%s%s", i ? " " : "", quote ? "'" : "",
			     arg, quote ? "'" : "");
		if (n < 0 || (size_t)n >= len - used) {
			/* Cut on a character boundary, then mark the cut. */
			used = len > 4 ? len - 4 : 0;
			while (used && ((unsigned char)buf[used] & 0xc0) == 0x80)
				used--;
			snprintf(buf + used, len - used, "…");
			return;
		}
		used += (size_t)n;
	}
}

static void render_header(const struct report *r, const struct cp_finding *findings,
			  size_t nr_findings)
{
	const struct cp_run *run = r->run;
	char command[COMMAND_LEN];
	char title[COMMAND_LEN + 64];

	command_line(run, command, sizeof(command));
	if (run->attached && command[0])
		snprintf(title, sizeof(title), _("concprof: attached to PID %d: %s"), run->root_pid,
			 command);
	else if (run->attached)
		snprintf(title, sizeof(title), _("concprof: attached to PID %d"), run->root_pid);
	else
		snprintf(title, sizeof(title), "concprof: %s",
			 command[0] ? command : _("(no command)"));
	wrap(r, "", "    ", title, PAINT_BOLD);

	say(r, "  ");
	if (run->attached && run->exit_code < 0) {
		say(r, "%s", _("still running when tracing stopped"));
	} else if (run->term_signal > 0) {
		char killed[128];

		/* TRANSLATORS: a signal's name ("SIGKILL"), then the exit status (137). */
		snprintf(killed, sizeof(killed), _("killed by %s (exit status %d)"),
			 cp_fmt_signal(run->term_signal).s, run->exit_code);
		say(r, "%s%s%s", on(r, PAINT_WARN), killed, off(r, PAINT_WARN));
	} else if (run->exit_code < 0) {
		say(r, "%s", _("exit status unknown"));
	} else {
		say(r, _("exit status %d"), run->exit_code);
	}
	say(r, " · ");
	say(r, ngettext("%zu process", "%zu processes", run->nr_procs), run->nr_procs);
	say(r, ", ");
	say(r, ngettext("%zu thread", "%zu threads", run->nr_threads), run->nr_threads);
	if (run->cpus > 0) {
		say(r, " · ");
		say(r, ngettext("%d CPU", "%d CPUs", run->cpus), run->cpus);
	}
	say(r, "\n");

	/* Lost data is never silent: first thing under the title, in red when colours are on. */
	for (size_t i = 0; i < nr_findings; i++)
		if (findings[i].kind == CP_FIND_DATA_LOSS) {
			say(r, "\n");
			wrap(r, _("!! WARNING: "), "   ", findings[i].text, PAINT_WARN);
		}
	/* Not lost, but not seen directly either: say so. */
	if (run->repaired_switches || run->repaired_wakeups) {
		const char *prefix = _("  note: ");
		char switches[64], wakeups[64], text[512], rest[32];

		snprintf(switches, sizeof(switches),
			 ngettext("%llu switch-in", "%llu switch-ins", run->repaired_switches),
			 (unsigned long long)run->repaired_switches);
		snprintf(wakeups, sizeof(wakeups),
			 ngettext("%llu wakeup", "%llu wakeups", run->repaired_wakeups),
			 (unsigned long long)run->repaired_wakeups);
		snprintf(text, sizeof(text),
			 /* TRANSLATORS: "3 switch-ins", "1 wakeup". */
			 _("The kernel's tracepoints did not report %s and %s of these threads; "
			   "concprof rebuilt them from the kernel's own per-thread accounting."),
			 switches, wakeups);
		indent_like(rest, sizeof(rest), prefix);
		wrap(r, prefix, rest, text, PAINT_DIM);
	}
}

/* ---- time summary ---------------------------------------------------------------------- */

#define TIME_LABEL 18
#define TIME_COL   10

/* A dim remark after `used` columns, if the line has room for it; a narrow terminal drops it. */
static void note(const struct report *r, size_t used, const char *text)
{
	if (used + 3 + cp_utf8_width(text) <= (size_t)r->width)
		say(r, "   %s%s%s", on(r, PAINT_DIM), text, off(r, PAINT_DIM));
	say(r, "\n");
}

static void time_row(const struct report *r, const char *label, uint64_t user_ns, uint64_t sys_ns,
		     const char *remark)
{
	say(r, "  ");
	cell(r, label, TIME_LABEL, false, PAINT_NONE);
	cell(r, duration(user_ns).s, TIME_COL, true, PAINT_NONE);
	cell(r, duration(sys_ns).s, TIME_COL, true, PAINT_NONE);
	cell(r, duration(user_ns + sys_ns).s, TIME_COL, true, PAINT_NONE);
	note(r, 2 + TIME_LABEL + 3 * TIME_COL, remark);
}

static void render_time(const struct report *r)
{
	const struct cp_run *run = r->run;
	const struct cp_analysis *a = r->a;
	char busy[128], line[256], label[64], rest[64];
	size_t label_width;

	heading(r, _("Time"));
	say(r, "  ");
	/* TRANSLATORS: the time columns keep the names `time` prints: wall, user, sys. */
	cell(r, C_("time column", "wall"), TIME_LABEL, false, PAINT_BOLD);
	cell(r, duration(run->wall_ns).s, TIME_COL, true, PAINT_BOLD);
	note(r, 2 + TIME_LABEL + TIME_COL,
	     run->attached ? _("from the attach to the end of tracing")
			   : _("from exec to the end of the last thread"));

	say(r, "  ");
	spaces(r, TIME_LABEL);
	cell(r, C_("time column", "user"), TIME_COL, true, PAINT_USER);
	cell(r, C_("time column", "sys"), TIME_COL, true, PAINT_SYS);
	cell(r, C_("time column", "user+sys"), TIME_COL, true, PAINT_NONE);
	say(r, "\n");
	time_row(r, "concprof", a->totals.user_ns, a->totals.sys_ns,
		 _("exact: every switch and syscall timed"));
	if (run->have_rusage) {
		time_row(r, _("kernel (rusage)"), run->rusage_user_ns, run->rusage_sys_ns,
			 _("what `time` says: sampled at each tick"));
	} else {
		say(r, "  ");
		cell(r, _("kernel (rusage)"), TIME_LABEL, false, PAINT_NONE);
		cell(r, _("n/a (attached)"), 3 * TIME_COL, true, PAINT_NONE);
		say(r, "\n");
	}

	/* The label, then the sentence, wrapped under itself on a narrow terminal. */
	label_width = cp_utf8_width(_("CPU time"));
	snprintf(label, sizeof(label), "  %s%*s", _("CPU time"),
		 label_width < TIME_LABEL ? (int)(TIME_LABEL - label_width) : 0, "");
	indent_like(rest, sizeof(rest), label);
	cores(busy, sizeof(busy), a->cores_busy, run->cpus);
	/* TRANSLATORS: CPU time as a share of the wall time, then "0.06 of 2 cores". */
	snprintf(line, sizeof(line), _("%s of the wall time: on average %s busy"),
		 cp_l10n(cp_fmt_pct(a->cpu_pct_of_wall)).s, busy);
	wrap(r, label, rest, line, PAINT_NONE);
}

/* ---- where the wall time went ---------------------------------------------------------- */

static void render_levels(const struct report *r)
{
	const struct cp_run *run = r->run;
	const struct cp_analysis *a = r->a;
	const struct cp_concurrency *c = &run->concurrency;
	size_t rows = c->nr_levels < MAX_LEVEL_ROWS ? c->nr_levels : MAX_LEVEL_ROWS;
	uint64_t wall = run->wall_ns;
	size_t bar_cells = (size_t)r->width > 40 + 30 ? LEVEL_BAR_CELLS : (size_t)r->width - 30;
	char text[256];

	if (!a->have_concurrency) {
		wrap(r, "  ", "  ",
		     _("No profile of how many threads were on a CPU at once was recorded."),
		     PAINT_DIM);
		return;
	}
	if (wall == 0)
		for (size_t k = 0; k < c->nr_levels; k++)
			wall += c->ns_at[k];
	snprintf(text, sizeof(text),
		 /* TRANSLATORS: the wall time; a table follows (threads, bar, share, time). */
		 c->complete	    ? _("Threads on a CPU at once, as a share of the %s wall time:")
		 : run->lost_events ? _("Threads on a CPU at once, as a share of the %s wall time "
					"(lower bounds: events were lost):")
				    : _("Threads on a CPU at once, as a share of the %s wall time "
					"(approximate: threads running at the attach are not "
					"known):"),
		 duration(run->wall_ns).s);
	wrap(r, "  ", "  ", text, PAINT_NONE);
	for (size_t k = 0; k < rows; k++) {
		bool lumped = k + 1 == rows && rows < c->nr_levels;
		uint64_t ns = 0;
		char label[16];

		for (size_t j = k; j < (lumped ? c->nr_levels : k + 1); j++)
			ns += c->ns_at[j];
		snprintf(label, sizeof(label), lumped ? "%zu+" : "%zu", k);
		say(r, "  ");
		cell(r, label, 5, true, PAINT_NONE);
		say(r, "  ");
		spaces(r, bar_cells - bar(r, (double)ns / wall, bar_cells,
					  k == 0 ? PAINT_NONE : PAINT_USER));
		say(r, " ");
		cell(r, share(ns, wall).s, 5, true, PAINT_NONE);
		say(r, "  ");
		cell(r, duration(ns).s, 9, true, PAINT_NONE);
		say(r, "\n");
	}
	if (a->max_parallelism > 0) {
		snprintf(
			text, sizeof(text),
			/* TRANSLATORS: an average ("1.00"), then the most at once. */
			ngettext(
				"While at least one thread was on a CPU, there were %s on average, "
				"and at most %zu at once.",
				"While at least one thread was on a CPU, there were %s on average, "
				"and at most %zu at once.",
				a->max_parallelism),
			cp_l10n_fixed(a->mean_parallelism, 2).s, a->max_parallelism);
		wrap(r, "  ", "  ", text, PAINT_NONE);
	}
}

struct state_line {
	const char *label;
	uint64_t ns;
	enum cp_paint paint;
	int indent; /* 1: a part of the line above */
	const char *meaning;
};

/* Columns before a state's bar: indent, label, duration, share. */
#define STATE_LEAD (2 + 2 + 12 + 10 + 2 + 5 + 2)
/* A bar shorter than this says too little: drop the notes instead. */
#define STATE_MIN_BAR_CELLS 12

static void state_row(const struct report *r, const struct state_line *l, uint64_t whole,
		      size_t bar_cells, bool with_note)
{
	say(r, "  ");
	spaces(r, 2 + 2 * l->indent);
	cell(r, l->label, 12 - 2 * l->indent, false, l->indent ? PAINT_NONE : l->paint);
	cell(r, duration(l->ns).s, 10, true, PAINT_NONE);
	say(r, "  ");
	cell(r, share(l->ns, whole).s, 5, true, PAINT_NONE);
	say(r, "  ");
	if (with_note) {
		spaces(r,
		       bar_cells - bar(r, whole ? (double)l->ns / whole : 0, bar_cells, l->paint));
		say(r, "   %s%s%s", on(r, PAINT_DIM), l->meaning, off(r, PAINT_DIM));
	} else {
		bar(r, whole ? (double)l->ns / whole : 0, bar_cells, l->paint);
	}
	say(r, "\n");
}

/* A blocked reason's name in the report's language: JSON keeps cp_reason_name()'s. */
static const char *reason_word(int reason)
{
	switch (reason) {
	case CP_REASON_LOCK:
		/* TRANSLATORS: short names of why a thread was blocked, in a table column. */
		return C_("blocked reason", "lock");
	case CP_REASON_SLEEP:
		return C_("blocked reason", "sleep");
	case CP_REASON_CHILD:
		return C_("blocked reason", "child");
	case CP_REASON_NET:
		return C_("blocked reason", "net");
	case CP_REASON_PIPE:
		return C_("blocked reason", "pipe");
	case CP_REASON_DISK:
		return C_("blocked reason", "disk");
	case CP_REASON_PAGING:
		return C_("blocked reason", "paging");
	case CP_REASON_OTHER:
		return C_("blocked reason", "other");
	default:
		return "?";
	}
}

/* "poll, select": the syscalls behind "other", most blocked time first. */
static void other_syscalls(const struct cp_analysis *a, char *buf, size_t len)
{
	size_t used = 0;

	snprintf(buf, len, "%s", _("other syscalls"));
	for (size_t i = 0; i < a->nr_other_syscalls && used < len; i++) {
		char name[32];
		int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
				 cp_syscall_describe(a->other_syscalls[i], name, sizeof(name)));

		if (n > 0)
			used += (size_t)n;
	}
}

static void render_states(const struct report *r)
{
	static const char *const reason_meaning[CP_NR_REASONS] = {
		[CP_REASON_LOCK] = N_("futex: mutexes, condition variables, joins"),
		[CP_REASON_SLEEP] = N_("sleep calls"),
		[CP_REASON_CHILD] = N_("waiting for child processes"),
		[CP_REASON_NET] = N_("sockets"),
		[CP_REASON_PIPE] = N_("pipes and FIFOs"),
		[CP_REASON_DISK] = N_("file reads and writes"),
		[CP_REASON_PAGING] = N_("page faults: memory read from disk"),
	};
	const struct cp_run *run = r->run;
	const struct cp_analysis *a = r->a;
	const struct cp_totals *t = &a->totals;
	struct state_line lines[6 + CP_NR_REASONS];
	size_t nr = 0, widest_note = 0, bar_cells = STATE_BAR_CELLS, room;
	bool with_notes = true;
	char other[128], text[256];

	/* TRANSLATORS: a thread's states, at most 12 columns (10 for preempted, woken). */
	lines[nr++] = (struct state_line){ C_("state", "user"), t->user_ns, PAINT_USER, 0,
					   _("running the program's own code") };
	lines[nr++] = (struct state_line){ C_("state", "sys"), t->sys_ns, PAINT_SYS, 0,
					   _("the kernel working for it (syscalls)") };
	lines[nr++] = (struct state_line){ C_("state", "runnable"), a->runnable_ns, PAINT_RUNNABLE,
					   0, _("ready, waiting for a CPU") };
	if (t->runnable_preempted_ns)
		lines[nr++] = (struct state_line){ C_("state", "preempted"),
						   t->runnable_preempted_ns, PAINT_RUNNABLE, 1,
						   _("lost the CPU while still able to run") };
	if (t->runnable_woken_ns)
		lines[nr++] = (struct state_line){ C_("state", "woken"), t->runnable_woken_ns,
						   PAINT_RUNNABLE, 1,
						   _("woken up, not running yet") };
	lines[nr++] = (struct state_line){ C_("state", "blocked"), a->blocked_ns, PAINT_BLOCKED, 0,
					   _("asleep until something happens") };
	other_syscalls(a, other, sizeof(other));
	for (int reason = 0; reason < CP_NR_REASONS; reason++)
		if (t->blocked_ns[reason])
			lines[nr++] = (struct state_line){
				reason_word(reason), t->blocked_ns[reason], PAINT_BLOCKED, 1,
				reason == CP_REASON_OTHER ? other : _(reason_meaning[reason])
			};

	/* The notes explain the states to a newcomer: shorten the bars for them, within reason. */
	for (size_t i = 0; i < nr; i++)
		if (cp_utf8_width(lines[i].meaning) > widest_note)
			widest_note = cp_utf8_width(lines[i].meaning);
	room = (size_t)r->width > STATE_LEAD ? (size_t)r->width - STATE_LEAD : 0;
	if (room >= bar_cells + 3 + widest_note) {
		/* as is */
	} else if (room >= STATE_MIN_BAR_CELLS + 3 + widest_note) {
		bar_cells = room - 3 - widest_note;
	} else {
		with_notes = false;
		if (room < bar_cells)
			bar_cells = room;
	}

	snprintf(text, sizeof(text),
		 /* TRANSLATORS: the state names as above; threads; their lives summed. */
		 ngettext("Each thread's life is user + sys + runnable + blocked; summed over the "
			  "%zu thread (%s):",
			  "Each thread's life is user + sys + runnable + blocked; summed over the "
			  "%zu threads (%s):",
			  run->nr_threads),
		 run->nr_threads, duration(a->lifetime_ns).s);
	say(r, "\n");
	wrap(r, "  ", "  ", text, PAINT_NONE);
	for (size_t i = 0; i < nr; i++)
		state_row(r, &lines[i], a->lifetime_ns, bar_cells, with_notes);
}

static void render_wall(const struct report *r)
{
	heading(r, _("Where the wall time went"));
	render_levels(r);
	render_states(r);
}

/* ---- tables ---------------------------------------------------------------------------- */

#define MAX_COLUMNS 12

struct column {
	const char *title;
	bool right;	  /* numbers are right-aligned */
	enum cp_paint paint; /* of the title: a state's colour */
	size_t width;
};

struct table {
	struct column cols[MAX_COLUMNS];
	size_t nr_cols, nr_rows;
	char *cells; /* nr_rows * nr_cols cells of CELL_LEN bytes */
};

static void add_column(struct table *t, const char *title, bool right, enum cp_paint paint)
{
	if (t->nr_cols < MAX_COLUMNS)
		t->cols[t->nr_cols++] =
			(struct column){ .title = title, .right = right, .paint = paint };
}

static char *table_cell(struct table *t, size_t row, size_t col)
{
	return t->cells + (row * t->nr_cols + col) * CELL_LEN;
}

static void __attribute__((format(printf, 4, 5)))
set_cell(struct table *t, size_t row, size_t col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(table_cell(t, row, col), CELL_LEN, fmt, ap);
	va_end(ap);
}

/* Column widths from headings and cells, except the last column's: it gets what is left. */
static size_t table_measure(struct table *t, const struct report *r)
{
	size_t used = 2; /* the indent */

	for (size_t col = 0; col + 1 < t->nr_cols; col++) {
		t->cols[col].width = cp_utf8_width(t->cols[col].title);
		for (size_t row = 0; row < t->nr_rows; row++) {
			size_t w = cp_utf8_width(table_cell(t, row, col));

			if (w > t->cols[col].width)
				t->cols[col].width = w;
		}
		used += t->cols[col].width + 2;
	}
	return used < (size_t)r->width ? (size_t)r->width - used : 0;
}

static void table_print(struct table *t, const struct report *r)
{
	table_measure(t, r);
	say(r, "  ");
	for (size_t col = 0; col < t->nr_cols; col++) {
		bool last = col + 1 == t->nr_cols;

		say(r, "%s", on(r, PAINT_BOLD));
		cell(r, t->cols[col].title, last ? 0 : t->cols[col].width, t->cols[col].right,
		     t->cols[col].paint);
		say(r, "%s%s", off(r, PAINT_BOLD), last ? "\n" : "  ");
	}
	for (size_t row = 0; row < t->nr_rows; row++) {
		say(r, "  ");
		for (size_t col = 0; col < t->nr_cols; col++) {
			bool last = col + 1 == t->nr_cols;

			cell(r, table_cell(t, row, col), last ? 0 : t->cols[col].width,
			     t->cols[col].right, PAINT_NONE);
			say(r, "%s", last ? "\n" : "  ");
		}
	}
}

static int table_alloc(struct table *t, size_t nr_rows)
{
	t->nr_rows = nr_rows;
	t->cells = calloc(nr_rows ? nr_rows * t->nr_cols : 1, CELL_LEN);
	return t->cells ? 0 : -ENOMEM;
}

/* A duration in a table: "-" rather than "0 s", so the eye finds the figures that matter. */
static struct cp_fmt table_duration(uint64_t ns)
{
	struct cp_fmt f = { "-" };

	return ns ? duration_short(ns) : f;
}

/* Rows shown: the cap, unless only one more would be left ("… 1 more" helps nobody). */
static size_t rows_shown(const struct report *r, size_t nr_rows)
{
	return nr_rows <= r->max_rows + 1 ? nr_rows : r->max_rows;
}

static const char *reason_label(const struct cp_thread *t, int reason, char *buf, size_t len)
{
	if (reason == CP_REASON_OTHER && t->other_syscall >= 0)
		return cp_syscall_describe(t->other_syscall, buf, len);
	return reason_word(reason);
}

/*
 * "1.20 s (net 1.10 s, lock 100 ms)": the blocked time and its main reasons, as many as fit in
 * max_width columns; "15.4 s (net)" when one reason is nearly all of it.
 */
static void blocked_cell(char *buf, size_t len, const struct cp_thread *t, size_t max_width)
{
	uint64_t total = cp_thread_blocked_ns(t);
	int order[CP_NR_REASONS], nr = 0;

	if (total == 0) {
		snprintf(buf, len, "-");
		return;
	}
	for (int reason = 0; reason < CP_NR_REASONS; reason++)
		if (t->blocked_ns[reason] >= REASON_MIN_FRAC * total)
			order[nr++] = reason;
	for (int i = 1; i < nr; i++)
		for (int j = i; j > 0 && t->blocked_ns[order[j]] > t->blocked_ns[order[j - 1]];
		     j--) {
			int tmp = order[j];

			order[j] = order[j - 1];
			order[j - 1] = tmp;
		}
	if (nr > MAX_REASONS_LISTED)
		nr = MAX_REASONS_LISTED;
	for (int shown = nr; shown >= 0; shown--) {
		size_t used = 0;
		char name[32];

		used += snprintf(buf + used, len - used, "%s", duration_short(total).s);
		if (shown == 1 && t->blocked_ns[order[0]] >= REASON_ALONE_FRAC * total) {
			snprintf(buf + used, len - used, " (%s)",
				 reason_label(t, order[0], name, sizeof(name)));
		} else {
			for (int i = 0; i < shown && used < len; i++)
				used += snprintf(buf + used, len - used, "%s%s %s", i ? ", " : " (",
						 reason_label(t, order[i], name, sizeof(name)),
						 duration_short(t->blocked_ns[order[i]]).s);
			if (shown && used < len)
				snprintf(buf + used, len - used, "%s)", shown < nr ? ", …" : "");
		}
		if (cp_utf8_width(buf) <= max_width)
			return;
	}
}

static int render_processes(const struct report *r)
{
	const struct cp_analysis *a = r->a;
	struct table t = { 0 };
	size_t shown = rows_shown(r, a->nr_process_rows);
	char title[64];
	bool grouped = false;

	snprintf(title, sizeof(title), _("Processes (%zu)"), r->run->nr_procs);
	heading(r, title);
	add_column(&t, "PID", true, PAINT_NONE);
	add_column(&t, "PPID", true, PAINT_NONE);
	/* TRANSLATORS: the tables' column titles, in capitals. */
	add_column(&t, C_("column", "COMMAND"), false, PAINT_NONE);
	add_column(&t, C_("column", "LIFETIME"), true, PAINT_NONE);
	add_column(&t, C_("column", "THREADS"), true, PAINT_NONE);
	add_column(&t, C_("column", "USER"), true, PAINT_USER);
	add_column(&t, C_("column", "SYS"), true, PAINT_SYS);
	add_column(&t, C_("column", "EXIT"), false, PAINT_NONE);
	if (table_alloc(&t, shown))
		return -ENOMEM;
	for (size_t i = 0; i < shown; i++) {
		const struct cp_process_row *row = &a->process_rows[i];
		const struct cp_process *p = &row->proc;
		char comm[CP_COMM_LEN * 3 + 1];

		cp_fmt_sanitize(comm, sizeof(comm), p->comm, CP_COMM_LEN);
		if (row->count > 1) {
			grouped = true;
			set_cell(&t, i, 0, "-");
			set_cell(&t, i, 1, "-");
			set_cell(&t, i, 2, "%s ×%zu", comm, row->count);
		} else {
			set_cell(&t, i, 0, "%d", p->pid);
			set_cell(&t, i, 1, "%d", p->ppid);
			set_cell(&t, i, 2, "%s", comm);
		}
		set_cell(&t, i, 3, "%s", duration_short(row->lifetime_ns).s);
		set_cell(&t, i, 4, "%zu", row->nr_threads);
		set_cell(&t, i, 5, "%s", table_duration(row->user_ns).s);
		set_cell(&t, i, 6, "%s", table_duration(row->sys_ns).s);
		if (row->nr_alive == row->count)
			/* TRANSLATORS: the exit column: still running; exited in different ways. */
			set_cell(&t, i, 7, "%s", C_("exit", "running"));
		else if (!row->same_exit)
			set_cell(&t, i, 7, "%s", C_("exit", "mixed"));
		else if (p->term_signal > 0)
			set_cell(&t, i, 7, "%s", cp_fmt_signal(p->term_signal).s);
		else if (p->exit_code < 0)
			set_cell(&t, i, 7, "?");
		else
			set_cell(&t, i, 7, "%d", p->exit_code);
	}
	table_print(&t, r);
	free(t.cells);

	if (shown < a->nr_process_rows) {
		uint64_t user = 0, sys = 0;
		size_t count = 0;
		char text[256];

		for (size_t i = shown; i < a->nr_process_rows; i++) {
			count += a->process_rows[i].count;
			user += a->process_rows[i].user_ns;
			sys += a->process_rows[i].sys_ns;
		}
		snprintf(text, sizeof(text),
			 ngettext("… %zu more process: user %s, sys %s",
				  "… %zu more processes: user %s, sys %s", count),
			 count, duration(user).s, duration(sys).s);
		wrap(r, "  ", "    ", text, PAINT_NONE);
	}
	if (grouped)
		wrap(r, "  ", "  ",
		     _("×N: N short-lived processes of that name, summed (lifetimes too)."),
		     PAINT_DIM);
	return 0;
}

static int render_threads(const struct report *r)
{
	const struct cp_analysis *a = r->a;
	/* PID only when there is more than one process. */
	bool with_pid = r->run->nr_procs > 1;
	struct table t = { 0 };
	size_t shown = rows_shown(r, a->nr_thread_rows), left, c;
	bool grouped = false;
	char title[64];

	snprintf(title, sizeof(title), _("Threads (%zu), most active first"), r->run->nr_threads);
	heading(r, title);
	add_column(&t, "TID", true, PAINT_NONE);
	if (with_pid)
		add_column(&t, "PID", true, PAINT_NONE);
	add_column(&t, C_("column", "NAME"), false, PAINT_NONE);
	add_column(&t, C_("column", "LIFETIME"), true, PAINT_NONE);
	add_column(&t, C_("column", "USER"), true, PAINT_USER);
	add_column(&t, C_("column", "SYS"), true, PAINT_SYS);
	add_column(&t, C_("column", "RUNNABLE"), true, PAINT_RUNNABLE);
	add_column(&t, C_("column", "SWITCHES"), true, PAINT_NONE);
	/* Last, so that it takes whatever width the others leave. */
	add_column(&t, C_("column", "BLOCKED"), false, PAINT_BLOCKED);
	if (table_alloc(&t, shown))
		return -ENOMEM;
	for (size_t i = 0; i < shown; i++) {
		const struct cp_thread_row *row = &a->thread_rows[i];
		const struct cp_thread *th = &row->sum;
		char comm[CP_COMM_LEN * 3 + 1];

		c = 0;
		cp_fmt_sanitize(comm, sizeof(comm), th->comm, CP_COMM_LEN);
		if (row->count > 1) {
			grouped = true;
			set_cell(&t, i, c++, "-");
			if (with_pid)
				set_cell(&t, i, c++, "-");
			set_cell(&t, i, c++, "%s ×%zu", comm, row->count);
		} else {
			set_cell(&t, i, c++, "%d", th->tid);
			if (with_pid)
				set_cell(&t, i, c++, "%d", th->pid);
			set_cell(&t, i, c++, "%s", comm);
		}
		set_cell(&t, i, c++, "%s", duration_short(row->lifetime_ns).s);
		set_cell(&t, i, c++, "%s", table_duration(th->user_ns).s);
		set_cell(&t, i, c++, "%s", table_duration(th->sys_ns).s);
		set_cell(&t, i, c++, "%s", table_duration(cp_thread_runnable_ns(th)).s);
		set_cell(&t, i, c++, "%llu/%llu", (unsigned long long)th->voluntary_switches,
			 (unsigned long long)th->involuntary_switches);
	}
	left = table_measure(&t, r);
	for (size_t i = 0; i < shown; i++)
		blocked_cell(table_cell(&t, i, t.nr_cols - 1), CELL_LEN, &a->thread_rows[i].sum,
			     left);
	table_print(&t, r);
	free(t.cells);

	if (shown < a->nr_thread_rows) {
		uint64_t user = 0, sys = 0, runnable = 0, blocked = 0;
		size_t count = 0;
		char text[256];

		for (size_t i = shown; i < a->nr_thread_rows; i++) {
			const struct cp_thread *th = &a->thread_rows[i].sum;

			count += a->thread_rows[i].count;
			user += th->user_ns;
			sys += th->sys_ns;
			runnable += cp_thread_runnable_ns(th);
			blocked += cp_thread_blocked_ns(th);
		}
		snprintf(text, sizeof(text),
			 ngettext("… %zu more thread: user %s, sys %s, runnable %s, blocked %s",
				  "… %zu more threads: user %s, sys %s, runnable %s, blocked %s",
				  count),
			 count, duration(user).s, duration(sys).s, duration(runnable).s,
			 duration(blocked).s);
		wrap(r, "  ", "    ", text, PAINT_NONE);
	}
	wrap(r, "  ", "  ",
	     /* TRANSLATORS: the legend uses the column titles above. */
	     grouped ? _("RUNNABLE: ready, waiting for a CPU. SWITCHES: voluntary (it blocked) / "
			 "involuntary (it was preempted). ×N: N short-lived threads of that name, "
			 "summed (lifetimes too).")
		     : _("RUNNABLE: ready, waiting for a CPU. SWITCHES: voluntary (it blocked) / "
			 "involuntary (it was preempted)."),
	     PAINT_DIM);
	return 0;
}

/* ---- why ------------------------------------------------------------------------------- */

static void render_why(const struct report *r, const struct cp_finding *findings, size_t nr)
{
	heading(r, _("Why"));
	for (size_t i = 0; i < nr; i++) {
		if (findings[i].kind == CP_FIND_DATA_LOSS)
			continue; /* already at the top, as a warning */
		wrap(r, "  • ", "    ", findings[i].text, PAINT_NONE);
	}
}

int cp_render_report(FILE *out, const struct cp_run *run, const struct cp_analysis *a,
		     const struct cp_render_opts *opts)
{
	struct cp_render_opts o = opts ? *opts : CP_RENDER_OPTS_DEFAULT;
	struct cp_finding findings[CP_MAX_FINDINGS];
	struct report r = { .out = out, .run = run, .a = a, .color = o.color };
	size_t nr_findings;
	int err = 0;

	r.width = o.width > 0 ? o.width : CP_RENDER_DEFAULT_WIDTH;
	if (r.width < CP_RENDER_MIN_WIDTH)
		r.width = CP_RENDER_MIN_WIDTH;
	r.max_rows = o.max_threads > 0 ? (size_t)o.max_threads : CP_RENDER_DEFAULT_MAX_THREADS;

	nr_findings = cp_explain(run, a, findings, CP_MAX_FINDINGS);
	render_header(&r, findings, nr_findings);
	render_time(&r);
	render_wall(&r);
	err = render_processes(&r);
	if (!err)
		err = render_threads(&r);
	if (!err)
		err = cp_render_locks(out, run, r.color, r.width);
	render_why(&r, findings, nr_findings);
	errno = 0;
	if (fflush(out) == EOF || ferror(out))
		return errno ? -errno : -EIO;
	return err;
}
