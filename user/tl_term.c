// SPDX-License-Identifier: GPL-2.0
/*
 * `--timeline`: each thread's life as a row of characters, time running left to right. A cell
 * covers 1/Nth of the run and shows what the thread did most of that time, so a 20 ms lock wait
 * in a 3 s run vanishes while a thread that spent the second half blocked on the network shows
 * as a row of 'n'. ASCII only: it must survive any terminal, pager, log file or e-mail.
 */
#include "timeline.h"

#include "fmt.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_WIDTH	 80
#define MIN_WIDTH	 60
#define DEFAULT_MAX_ROWS 20
/* Thread rows are indented under their process's line. */
#define INDENT 2
/* The label column (indent included) fits the longest label, within these bounds and a third
 * of the width: names are cut rather than the bars. */
#define MIN_LABEL 12
#define MAX_LABEL 26
/* Columns between the label and the first cell: " |". */
#define BAR_LEAD 2

/* What a cell can show: a state, blocked ones by reason. */
enum glyph_class {
	G_USER,
	G_SYS,
	G_PREEMPTED,
	G_WOKEN,
	G_UNKNOWN,
	G_BLOCKED, /* + enum cp_reason */
	G_NR = G_BLOCKED + CP_NR_REASONS,
};

static const char glyphs[G_NR] = {
	[G_USER] = '#',
	[G_SYS] = '=',
	[G_PREEMPTED] = '+',
	[G_WOKEN] = '^',
	[G_UNKNOWN] = '?',
	[G_BLOCKED + CP_REASON_LOCK] = 'L',
	[G_BLOCKED + CP_REASON_SLEEP] = 'z',
	[G_BLOCKED + CP_REASON_CHILD] = 'c',
	[G_BLOCKED + CP_REASON_NET] = 'n',
	[G_BLOCKED + CP_REASON_PIPE] = 'p',
	[G_BLOCKED + CP_REASON_DISK] = 'd',
	[G_BLOCKED + CP_REASON_PAGING] = 'f',
	[G_BLOCKED + CP_REASON_OTHER] = 'o',
};

/* The report's colours (render.c): user green, sys red, runnable yellow, blocked cyan. */
#define PAINT_BOLD "\033[1m"
#define PAINT_DIM  "\033[2m"
#define PAINT_OFF  "\033[0m"

static const char *glyph_paint(int g)
{
	switch (g) {
	case G_USER:
		return "\033[32m";
	case G_SYS:
		return "\033[31m";
	case G_PREEMPTED:
	case G_WOKEN:
		return "\033[33m";
	case G_UNKNOWN:
		return PAINT_DIM;
	default:
		return "\033[36m";
	}
}

/* Time a row spent in each glyph's state during one cell. */
struct bucket {
	uint64_t ns[G_NR];
};

struct term {
	FILE *out;
	const struct cp_run *run;
	const struct cp_timeline *tl;
	bool color;
	size_t width;
	size_t label_w;	 /* the label column, indent included */
	size_t cols;	 /* cells per row */
	uint64_t run_ns; /* the chart covers [0, run_ns) */
	bool used[G_NR];  /* glyphs drawn, for the legend */
	bool used_counts; /* digits drawn in a summary row */
	struct bucket *row; /* cols buckets: scratch for one thread */
	const struct cp_process **procs; /* run->procs by pid */
	size_t nr_procs;
};

static void __attribute__((format(printf, 2, 3))) say(const struct term *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(t->out, fmt, ap);
	va_end(ap);
}

static const char *on(const struct term *t, const char *paint)
{
	return t->color ? paint : "";
}

static const char *off(const struct term *t)
{
	return t->color ? PAINT_OFF : "";
}

static void spaces(const struct term *t, size_t n)
{
	while (n--)
		fputc(' ', t->out);
}

/* A name for a terminal in ASCII: anything else (controls, UTF-8 bytes) becomes '?'. */
static void ascii_name(char *dst, size_t dst_len, const char *src, size_t src_len)
{
	size_t i;

	for (i = 0; i + 1 < dst_len && i < src_len && src[i]; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
	dst[i] = '\0';
}

/* cp_fmt_duration() in ASCII: "µs" becomes "us". */
static struct cp_fmt ascii_duration(uint64_t ns)
{
	struct cp_fmt f = cp_fmt_duration(ns);
	char *mu = strstr(f.s, "µ");

	if (mu) {
		*mu = 'u';
		memmove(mu + 1, mu + strlen("µ"), strlen(mu + strlen("µ")) + 1);
	}
	return f;
}

/* ---- cells ---------------------------------------------------------------------------- */

static uint64_t cell_start(const struct term *t, size_t k)
{
	return (uint64_t)((unsigned __int128)t->run_ns * k / t->cols);
}

static void add_time(struct bucket *b, const struct cp_tl_span *s, uint64_t ns)
{
	uint64_t len = s->end_ns - s->start_ns, sys;

	switch (s->state) {
	case CP_TL_CPU:
		/* The kernel's share of the span, spread evenly over it. */
		sys = s->sys_ns >= len ? ns : (uint64_t)((unsigned __int128)ns * s->sys_ns / len);
		b->ns[G_SYS] += sys;
		b->ns[G_USER] += ns - sys;
		break;
	case CP_TL_PREEMPTED:
		b->ns[G_PREEMPTED] += ns;
		break;
	case CP_TL_WOKEN:
		b->ns[G_WOKEN] += ns;
		break;
	case CP_TL_BLOCKED:
		b->ns[G_BLOCKED + (s->reason < CP_NR_REASONS ? s->reason : CP_REASON_OTHER)] += ns;
		break;
	default:
		b->ns[G_UNKNOWN] += ns;
		break;
	}
}

/* Spreads a span over the cells it overlaps, by the time it covers in each. */
static void add_span(const struct term *t, struct bucket *row, const struct cp_tl_span *s)
{
	uint64_t end = s->end_ns < t->run_ns ? s->end_ns : t->run_ns;
	size_t k;

	if (s->start_ns >= end)
		return;
	k = (size_t)((unsigned __int128)s->start_ns * t->cols / t->run_ns);
	for (; k < t->cols && cell_start(t, k) < end; k++) {
		uint64_t lo = cell_start(t, k), hi = cell_start(t, k + 1);

		lo = lo > s->start_ns ? lo : s->start_ns;
		hi = hi < end ? hi : end;
		if (hi > lo)
			add_time(&row[k], s, hi - lo);
	}
}

/* Thread i's time per cell; a thread the timeline has no spans for is unknown all its life. */
static void thread_cells(const struct term *t, size_t i, struct bucket *row)
{
	size_t first, count;

	memset(row, 0, t->cols * sizeof(*row));
	cp_tl_thread_spans(t->tl, t->run, i, &first, &count);
	for (size_t k = first; k < first + count; k++)
		add_span(t, row, &t->tl->spans[k]);
	if (count == 0) {
		const struct cp_thread *th = &t->run->threads[i];
		struct cp_tl_span lost = { .start_ns = th->start_ns,
					   .end_ns = th->end_ns,
					   .state = CP_TL_UNKNOWN };

		add_span(t, row, &lost);
	}
}

static uint64_t alive_ns(const struct bucket *b)
{
	uint64_t sum = 0;

	for (int g = 0; g < G_NR; g++)
		sum += b->ns[g];
	return sum;
}

/*
 * The state that covers most of the cell: on a CPU (then user or sys, whichever is more),
 * blocked (then its main reason), preempted, woken or unknown; ties go to the first of these.
 * -1: none at all.
 */
static int dominant(const struct bucket *b)
{
	uint64_t cpu = b->ns[G_USER] + b->ns[G_SYS], blocked = 0;
	int reason = 0, best = -1;
	uint64_t best_ns = 0;

	for (int r = 0; r < CP_NR_REASONS; r++) {
		blocked += b->ns[G_BLOCKED + r];
		if (b->ns[G_BLOCKED + r] > b->ns[G_BLOCKED + reason])
			reason = r;
	}
	if (cpu > best_ns) {
		best = b->ns[G_USER] >= b->ns[G_SYS] ? G_USER : G_SYS;
		best_ns = cpu;
	}
	if (blocked > best_ns) {
		best = G_BLOCKED + reason;
		best_ns = blocked;
	}
	if (b->ns[G_PREEMPTED] > best_ns) {
		best = G_PREEMPTED;
		best_ns = b->ns[G_PREEMPTED];
	}
	if (b->ns[G_WOKEN] > best_ns) {
		best = G_WOKEN;
		best_ns = b->ns[G_WOKEN];
	}
	if (b->ns[G_UNKNOWN] > best_ns)
		best = G_UNKNOWN;
	return best;
}

/*
 * A thread's cells: blank where it was alive less than half the cell (not yet started, or
 * gone), else its dominant state. A thread shorter than half a cell would then not show at
 * all: it gets the cell where it lived longest.
 */
static void thread_glyphs(const struct term *t, const struct bucket *row, int *out)
{
	size_t visible = 0, longest = 0;

	for (size_t k = 0; k < t->cols; k++) {
		uint64_t len = cell_start(t, k + 1) - cell_start(t, k), alive = alive_ns(&row[k]);

		out[k] = alive && alive * 2 >= len ? dominant(&row[k]) : -1;
		visible += out[k] >= 0;
		if (alive > alive_ns(&row[longest]))
			longest = k;
	}
	if (!visible && alive_ns(&row[longest]))
		out[longest] = dominant(&row[longest]);
}

/* Writes a row's cells between two '|', painting runs of the same colour at once. */
static void print_cells(struct term *t, const int *cells, const char *counts)
{
	const char *painted = NULL;

	say(t, " |");
	for (size_t k = 0; k < t->cols; k++) {
		const char *paint = NULL;
		char c = ' ';

		if (counts && counts[k]) {
			c = counts[k];
			paint = glyph_paint(G_USER);
			t->used_counts = true;
		} else if (cells[k] >= 0) {
			c = glyphs[cells[k]];
			paint = glyph_paint(cells[k]);
			t->used[cells[k]] = true;
		}
		if (t->color && paint != painted) {
			say(t, "%s%s", painted ? PAINT_OFF : "", paint ? paint : "");
			painted = paint;
		}
		fputc(c, t->out);
	}
	say(t, "%s|\n", painted ? off(t) : "");
}

static void print_label(const struct term *t, size_t indent, const char *label)
{
	size_t room = t->label_w - indent, len = strlen(label);

	spaces(t, indent);
	fwrite(label, 1, len < room ? len : room, t->out);
	spaces(t, len < room ? room - len : 0);
}

/* A thread's row: under its process's line, or alone (indent 0) for a one-thread process. */
static void thread_row(struct term *t, size_t i, size_t indent, int *cells)
{
	const struct cp_thread *th = &t->run->threads[i];
	char comm[CP_COMM_LEN + 1], label[CP_COMM_LEN + 16];

	ascii_name(comm, sizeof(comm), th->comm, CP_COMM_LEN);
	snprintf(label, sizeof(label), "%d %s", th->tid, comm);
	thread_cells(t, i, t->row);
	thread_glyphs(t, t->row, cells);
	print_label(t, indent, label);
	print_cells(t, cells, NULL);
}

/*
 * A row standing for several threads: per cell, how many of them were on a CPU on average (a
 * digit, '*' for 10 or more) where that rounds to at least one; else their dominant state,
 * blank where together they were alive less than half the cell.
 */
static void summary_row(struct term *t, const struct bucket *sum, const char *label, int *cells,
			char *counts)
{
	for (size_t k = 0; k < t->cols; k++) {
		const struct bucket *b = &sum[k];
		uint64_t len = cell_start(t, k + 1) - cell_start(t, k), alive = alive_ns(b);
		uint64_t on_cpu = (b->ns[G_USER] + b->ns[G_SYS] + len / 2) / len;

		cells[k] = alive && alive * 2 >= len ? dominant(b) : -1;
		counts[k] = on_cpu == 0 ? '\0' : on_cpu < 10 ? (char)('0' + on_cpu) : '*';
	}
	print_label(t, INDENT, label);
	print_cells(t, cells, counts);
}

/* Adds thread i's time to a summary row's. */
static void add_to_sum(struct term *t, size_t i, struct bucket *sum)
{
	thread_cells(t, i, t->row);
	for (size_t k = 0; k < t->cols; k++)
		for (int g = 0; g < G_NR; g++)
			sum[k].ns[g] += t->row[k].ns[g];
}

/* ---- which rows ----------------------------------------------------------------------- */

static int pid_order(const void *a, const void *b)
{
	const struct cp_process *x = *(const struct cp_process *const *)a;
	const struct cp_process *y = *(const struct cp_process *const *)b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

static const struct cp_process *find_process(const struct term *t, int32_t pid)
{
	struct cp_process key = { .pid = pid };
	const struct cp_process *k = &key, *const *found;

	if (!t->nr_procs)
		return NULL;
	found = bsearch(&k, t->procs, t->nr_procs, sizeof(*t->procs), pid_order);
	return found ? *found : NULL;
}

/* Where a thread goes: processes by start, each one's main thread first, then by start. */
struct place {
	size_t thread;
	uint64_t proc_start;
	int32_t pid;
	bool main;
	uint64_t start;
	int32_t tid;
};

static int place_order(const void *a, const void *b)
{
	const struct place *x = a, *y = b;

	if (x->proc_start != y->proc_start)
		return x->proc_start < y->proc_start ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->main != y->main)
		return x->main ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (x->tid > y->tid) - (x->tid < y->tid);
}

static int place_pid_order(const void *a, const void *b)
{
	const struct place *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return (x->start > y->start) - (x->start < y->start);
}

static struct place *place_threads(const struct term *t)
{
	const struct cp_run *run = t->run;
	size_t n = run->nr_threads;
	struct place *order = calloc(n ? n : 1, sizeof(*order));

	if (!order)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const struct cp_thread *th = &run->threads[i];
		const struct cp_process *p = find_process(t, th->pid);

		order[i] = (struct place){ .thread = i,
					   .proc_start = p ? p->start_ns : UINT64_MAX,
					   .pid = th->pid,
					   .main = th->tid == th->pid,
					   .start = th->start_ns,
					   .tid = th->tid };
	}
	/* A process the model does not list starts with its first thread. */
	qsort(order, n, sizeof(*order), place_pid_order);
	for (size_t i = 0; i < n; i++)
		if (order[i].proc_start == UINT64_MAX)
			order[i].proc_start = i && order[i - 1].pid == order[i].pid
						      ? order[i - 1].proc_start
						      : order[i].start;
	qsort(order, n, sizeof(*order), place_order);
	return order;
}

/* Interest: the launched program's main thread, the other main threads, then the rest; each by
 * CPU time, then by lifetime. */
struct rank {
	size_t thread;
	int tier;
	uint64_t cpu_ns, life_ns;
	int32_t tid;
};

static int rank_order(const void *a, const void *b)
{
	const struct rank *x = a, *y = b;

	if (x->tier != y->tier)
		return x->tier - y->tier;
	if (x->cpu_ns != y->cpu_ns)
		return x->cpu_ns > y->cpu_ns ? -1 : 1;
	if (x->life_ns != y->life_ns)
		return x->life_ns > y->life_ns ? -1 : 1;
	return (x->tid > y->tid) - (x->tid < y->tid);
}

/* The end of the process that starts at order[i]. */
static size_t process_end(const struct place *order, size_t n, size_t i)
{
	size_t end = i;

	while (end < n && order[end].pid == order[i].pid)
		end++;
	return end;
}

/*
 * shown[i]: thread i gets a row. All of them when they fit (or one more: a summary of one
 * thread helps nobody), else the max_rows most interesting, plus any thread that would be
 * alone in its summary row.
 */
static int choose_rows(const struct cp_run *run, const struct place *order, size_t max_rows,
		       bool *shown)
{
	size_t n = run->nr_threads, orphans = 0, orphan = 0;
	struct rank *ranks;

	if (n <= max_rows + 1) {
		for (size_t i = 0; i < n; i++)
			shown[i] = true;
		return 0;
	}
	ranks = calloc(n, sizeof(*ranks));
	if (!ranks)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct cp_thread *th = &run->threads[i];

		ranks[i] = (struct rank){
			.thread = i,
			.tier = th->tid != th->pid ? 2 : th->pid == run->root_pid ? 0 : 1,
			.cpu_ns = th->user_ns + th->sys_ns,
			.life_ns = th->end_ns > th->start_ns ? th->end_ns - th->start_ns : 0,
			.tid = th->tid,
		};
	}
	qsort(ranks, n, sizeof(*ranks), rank_order);
	for (size_t i = 0; i < n; i++)
		shown[ranks[i].thread] = i < max_rows;
	free(ranks);

	for (size_t i = 0, end; i < n; i = end) {
		size_t nr_shown = 0, hidden = 0, last_hidden = 0;

		end = process_end(order, n, i);
		for (size_t j = i; j < end; j++) {
			nr_shown += shown[order[j].thread];
			if (!shown[order[j].thread]) {
				hidden++;
				last_hidden = order[j].thread;
			}
		}
		if (nr_shown && hidden == 1)
			shown[last_hidden] = true;
		if (!nr_shown) {
			orphans += hidden;
			orphan = last_hidden;
		}
	}
	if (orphans == 1)
		shown[orphan] = true;
	return 0;
}

/* ---- layout, axis, legend ------------------------------------------------------------- */

/*
 * Wide enough for "tid comm" and for a summary row's "+ N threads" if there is one, within a
 * third of the width: names are cut rather than the bars.
 */
static size_t label_width(const struct cp_run *run, size_t width, bool summarising)
{
	size_t widest = MIN_LABEL, cap = width / 3 < MAX_LABEL ? width / 3 : MAX_LABEL;
	char label[64];
	int len;

	for (size_t i = 0; i < run->nr_threads; i++) {
		len = snprintf(label, sizeof(label), "%d %.*s", run->threads[i].tid, CP_COMM_LEN,
			       run->threads[i].comm);
		if (len > 0 && INDENT + (size_t)len > widest)
			widest = INDENT + (size_t)len;
	}
	len = snprintf(label, sizeof(label), "+ %zu threads", run->nr_threads);
	if (summarising && INDENT + (size_t)len > widest)
		widest = INDENT + (size_t)len;
	return widest < cap ? widest : cap;
}

/* text word-wrapped to the width, the lines after the first indented by two. */
static void wrap(const struct term *t, const char *text, const char *paint)
{
	const char *s = text;

	while (*s) {
		size_t room = t->width - (s == text ? 0 : 2), len = strlen(s);

		if (len > room) {
			len = room;
			while (len > 0 && s[len] != ' ')
				len--;
			if (len == 0)
				len = room;
		}
		say(t, "%s%s%.*s%s\n", s == text ? "" : "  ", on(t, paint), (int)len, s, off(t));
		s += len;
		while (*s == ' ')
			s++;
	}
}

/* "0", "500 ms", "1.5 s": in the largest unit whose tenths hold the step exactly. */
static void tick_label(char *buf, size_t len, uint64_t v, uint64_t step)
{
	static const struct {
		uint64_t ns;
		const char *name;
	} units[] = { { 1000000000, "s" }, { 1000000, "ms" }, { 1000, "us" }, { 1, "ns" } };
	size_t u = 0;

	if (v == 0) {
		snprintf(buf, len, "0");
		return;
	}
	while (u + 1 < sizeof(units) / sizeof(units[0]) && step < units[u].ns / 10)
		u++;
	if (v % units[u].ns == 0)
		snprintf(buf, len, "%llu %s", (unsigned long long)(v / units[u].ns), units[u].name);
	else
		snprintf(buf, len, "%llu.%u %s", (unsigned long long)(v / units[u].ns),
			 (unsigned)(v % units[u].ns * 10 / units[u].ns), units[u].name);
}

/* Ticks 1, 2 or 5 times a power of ten apart: the closest their labels allow. */
static uint64_t tick_step(const struct term *t)
{
	static const uint64_t mult[] = { 1, 2, 5 };
	uint64_t pow = 1, step = 1;

	/* 5e18 ns is the last candidate that fits in 64 bits */
	for (int i = 0; i < 3 * 19; i++, pow *= i % 3 == 0 ? 10 : 1) {
		size_t gap, widest = 0;

		step = mult[i % 3] * pow;
		gap = (size_t)((unsigned __int128)step * t->cols / t->run_ns);
		if (gap < 3)
			continue; /* too many ticks to even look at their labels */
		for (uint64_t v = step; v <= t->run_ns && v >= step; v += step) {
			char label[48];

			tick_label(label, sizeof(label), v, step);
			if (strlen(label) > widest)
				widest = strlen(label);
		}
		/* the '|', the label, a space */
		if (gap >= widest + 2)
			break;
	}
	return step;
}

/* "|0        |0.5 s    |1 s": a '|' where each tick falls, its label after it. */
static void print_axis(const struct term *t)
{
	uint64_t step = tick_step(t);
	size_t col = 0;

	spaces(t, t->label_w + 1);
	for (uint64_t v = 0; v <= t->run_ns; v += step) {
		size_t at = (size_t)((unsigned __int128)v * t->cols / t->run_ns);
		char label[48];

		tick_label(label, sizeof(label), v, step);
		if (at < col || t->label_w + 1 + at + 1 + strlen(label) > t->width)
			break;
		spaces(t, at - col);
		say(t, "|%s", label);
		col = at + 1 + strlen(label);
		if (v + step < v)
			break;
	}
	say(t, "\n");
}

/* One legend entry, "L lock", wrapped to the width; a group's name before its first entry. */
static void legend_item(const struct term *t, size_t *col, const char *group, char glyph,
			const char *paint, const char *name)
{
	size_t len = (group ? strlen(group) + 1 : 0) + 2 + strlen(name);
	size_t sep = *col == 0 ? 2 : group ? 4 : 2;

	if (*col && *col + sep + len > t->width) {
		say(t, "\n");
		*col = 0;
		sep = 2;
	}
	spaces(t, sep);
	if (group)
		say(t, "%s ", group);
	say(t, "%s%c%s %s", on(t, paint), glyph, off(t), name);
	*col += sep + len;
}

static void print_legend(const struct term *t)
{
	static const int order[] = {
		G_USER,
		G_SYS,
		G_PREEMPTED,
		G_WOKEN,
		G_BLOCKED + CP_REASON_LOCK,
		G_BLOCKED + CP_REASON_SLEEP,
		G_BLOCKED + CP_REASON_CHILD,
		G_BLOCKED + CP_REASON_NET,
		G_BLOCKED + CP_REASON_PIPE,
		G_BLOCKED + CP_REASON_DISK,
		G_BLOCKED + CP_REASON_PAGING,
		G_BLOCKED + CP_REASON_OTHER,
		G_UNKNOWN, /* last: it is about the data, not the threads */
	};
	static const char *const names[G_BLOCKED] = {
		[G_USER] = "user",	     [G_SYS] = "sys",
		[G_PREEMPTED] = "preempted", [G_WOKEN] = "woken",
		[G_UNKNOWN] = "unknown: records were lost",
	};
	const char *last_group = NULL;
	size_t col = 0;

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		int g = order[i];
		const char *group = g <= G_SYS ? "on CPU:" : g <= G_WOKEN ? "runnable:"
					     : g >= G_BLOCKED ? "blocked:" : "";

		if (!t->used[g])
			continue;
		legend_item(t, &col, group != last_group && *group ? group : NULL, glyphs[g],
			    glyph_paint(g),
			    g >= G_BLOCKED ? cp_reason_name(g - G_BLOCKED) : names[g]);
		last_group = group;
	}
	if (t->used_counts)
		legend_item(t, &col, NULL, '3', glyph_paint(G_USER),
			    "in a \"+ N\" row: 3 of them on a CPU (* 10 or more)");
	if (col)
		say(t, "\n");
}

/* ---- the chart ------------------------------------------------------------------------ */

static void print_header(const struct term *t, size_t nr_procs)
{
	char what[128], scale[64];

	snprintf(what, sizeof(what), "Timeline: %s, %zu thread%s in %zu process%s",
		 ascii_duration(t->run_ns).s, t->run->nr_threads,
		 t->run->nr_threads == 1 ? "" : "s", nr_procs, nr_procs == 1 ? "" : "es");
	snprintf(scale, sizeof(scale), "one column is %s", ascii_duration(t->run_ns / t->cols).s);
	if (strlen(what) + 2 + strlen(scale) <= t->width)
		say(t, "%s%s; %s%s\n", on(t, PAINT_BOLD), what, scale, off(t));
	else
		say(t, "%s%s;%s\n  %s%s%s\n", on(t, PAINT_BOLD), what, off(t), on(t, PAINT_BOLD),
		    scale, off(t));
}

/* "PID 1000 server, 50 threads" above the rows of its threads. */
static void process_line(const struct term *t, const struct place *first, size_t nr_threads)
{
	const struct cp_process *p = find_process(t, first->pid);
	const char *comm = p ? p->comm : t->run->threads[first->thread].comm;
	char name[CP_COMM_LEN + 1], line[96];

	ascii_name(name, sizeof(name), comm, CP_COMM_LEN);
	snprintf(line, sizeof(line), "PID %d %s, %zu threads", first->pid, name, nr_threads);
	wrap(t, line, PAINT_BOLD);
}

static int chart(struct term *t, size_t max_rows)
{
	size_t n = t->run->nr_threads, nr_procs = 0, orphan_threads = 0, orphan_procs = 0;
	struct place *order = place_threads(t);
	bool *shown = calloc(n, sizeof(*shown));
	int *cells = calloc(t->cols, sizeof(*cells));
	char *counts = calloc(t->cols, 1);
	/* the time of a process's threads without a row, and of the processes without one */
	struct bucket *hidden = calloc(t->cols, sizeof(*hidden));
	struct bucket *orphans = calloc(t->cols, sizeof(*orphans));
	int err = -ENOMEM;

	t->row = calloc(t->cols, sizeof(*t->row));
	if (!order || !shown || !cells || !counts || !hidden || !orphans || !t->row)
		goto out;
	err = choose_rows(t->run, order, max_rows, shown);
	if (err)
		goto out;
	for (size_t i = 0; i < n; i = process_end(order, n, i))
		nr_procs++;

	print_header(t, nr_procs);
	for (size_t i = 0, end; i < n; i = end) {
		size_t nr_shown = 0;

		end = process_end(order, n, i);
		for (size_t j = i; j < end; j++)
			nr_shown += shown[order[j].thread];
		if (!nr_shown) { /* summed with the other processes without a row, at the end */
			orphan_procs++;
			orphan_threads += end - i;
			for (size_t j = i; j < end; j++)
				add_to_sum(t, order[j].thread, orphans);
			continue;
		}
		if (end - i == 1) { /* "1234 sh" says it all: its process is that thread */
			thread_row(t, order[i].thread, 0, cells);
			continue;
		}
		process_line(t, &order[i], end - i);
		memset(hidden, 0, t->cols * sizeof(*hidden));
		for (size_t j = i; j < end; j++)
			if (shown[order[j].thread])
				thread_row(t, order[j].thread, INDENT, cells);
			else
				add_to_sum(t, order[j].thread, hidden);
		if (nr_shown < end - i) {
			char label[48];
			int len = snprintf(label, sizeof(label), "+ %zu more threads",
					   end - i - nr_shown);

			if (len > 0 && (size_t)len > t->label_w - INDENT)
				label[len - strlen(" threads")] = '\0';
			summary_row(t, hidden, label, cells, counts);
		}
	}
	if (orphan_procs) {
		char line[64], label[48];

		snprintf(line, sizeof(line), "%zu more process%s", orphan_procs,
			 orphan_procs == 1 ? "" : "es");
		wrap(t, line, PAINT_BOLD);
		snprintf(label, sizeof(label), "+ %zu thread%s", orphan_threads,
			 orphan_threads == 1 ? "" : "s");
		summary_row(t, orphans, label, cells, counts);
	}
	print_axis(t);
	print_legend(t);
	err = 0;
out:
	free(t->row);
	free(orphans);
	free(hidden);
	free(counts);
	free(cells);
	free(shown);
	free(order);
	return err;
}

static void print_incomplete(const struct term *t)
{
	const struct cp_timeline *tl = t->tl;
	char text[256], lost[96] = "";

	if (tl->lost_records)
		snprintf(lost, sizeof(lost), ": %llu record%s of the event stream %s lost",
			 (unsigned long long)tl->lost_records, tl->lost_records == 1 ? "" : "s",
			 tl->lost_records == 1 ? "was" : "were");
	snprintf(text, sizeof(text), "! %llu span%s (%s in all) %s an uncertain start or end%s.",
		 (unsigned long long)tl->nr_incomplete, tl->nr_incomplete == 1 ? "" : "s",
		 ascii_duration(tl->incomplete_ns).s, tl->nr_incomplete == 1 ? "has" : "have",
		 lost);
	wrap(t, text, "\033[1;31m");
}

int cp_tl_render_term(FILE *out, const struct cp_run *run, const struct cp_timeline *tl,
		      const struct cp_tl_term_opts *opts)
{
	struct term t = { .out = out, .run = run, .tl = tl, .width = DEFAULT_WIDTH };
	size_t max_rows = DEFAULT_MAX_ROWS;
	int err = 0;

	if (opts) {
		t.color = opts->color;
		if (opts->width > 0)
			t.width = (size_t)opts->width;
		if (opts->max_threads > 0)
			max_rows = (size_t)opts->max_threads;
	}
	if (t.width < MIN_WIDTH)
		t.width = MIN_WIDTH;
	/* Every span ends by tl->end_ns; the model's wall time is the fallback. */
	t.run_ns = tl->end_ns ? tl->end_ns : run->wall_ns;
	t.label_w = label_width(run, t.width, run->nr_threads > max_rows + 1);
	t.cols = t.width - t.label_w - BAR_LEAD - 1;
	if (t.run_ns && t.run_ns < t.cols)
		t.cols = (size_t)t.run_ns; /* no cell shorter than a nanosecond */

	t.nr_procs = run->nr_procs;
	t.procs = calloc(t.nr_procs ? t.nr_procs : 1, sizeof(*t.procs));
	if (!t.procs)
		return -ENOMEM;
	for (size_t i = 0; i < t.nr_procs; i++)
		t.procs[i] = &run->procs[i];
	if (t.nr_procs)
		qsort(t.procs, t.nr_procs, sizeof(*t.procs), pid_order);

	if (run->nr_threads == 0)
		wrap(&t, "Timeline: no thread was traced.", PAINT_BOLD);
	else if (t.run_ns == 0)
		wrap(&t, "Timeline: the run took no measurable time.", PAINT_BOLD);
	else
		err = chart(&t, max_rows);
	if (tl->nr_incomplete)
		print_incomplete(&t);
	free(t.procs);

	errno = 0;
	if (fflush(out) == EOF || ferror(out))
		return errno ? -errno : -EIO;
	return err;
}
