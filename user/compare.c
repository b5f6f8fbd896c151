// SPDX-License-Identifier: GPL-2.0
/*
 * `concprof compare` (compare.h): the figures of each run, then one table of rows (a label, a
 * cell per run) built once and printed as text or Markdown; the figures as JSON are
 * compare_json.c's.
 */
#include "compare.h"
#include "compare_priv.h"
#include "paint.h"

#include "analyze.h"
#include "fmt.h"
#include "i18n.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_WIDTH 100
/* A run's label in a column header: longer ones are cut with "…" if the table is too wide. */
#define HEADER_MIN_COLS 8
/* The first run's label in "speed-up vs seq" is cut after this many columns. */
#define BASE_LABEL_COLS 16
#define COMMAND_LEN	400
#define SUMMARY_LEN	300
/* The legend of the runs lines up their commands after labels up to this wide. */
#define LEGEND_MAX_COLS 24

static const char *const verdict_names[] = {
	[CP_VERDICT_BASELINE] = "baseline",   [CP_VERDICT_UNKNOWN] = "unknown",
	[CP_VERDICT_OVERLAP] = "overlap",     [CP_VERDICT_PARALLEL] = "parallel",
	[CP_VERDICT_FASTER] = "faster",	      [CP_VERDICT_TURNS] = "turns",
	[CP_VERDICT_CPU_WAIT] = "cpu_wait",   [CP_VERDICT_IDLE] = "idle",
	[CP_VERDICT_NO_FASTER] = "no_faster",
};

const char *cp_verdict_kind_name(enum cp_verdict_kind kind)
{
	return (unsigned)kind < sizeof(verdict_names) / sizeof(verdict_names[0])
		       ? verdict_names[kind]
		       : "?";
}

static double ratio(double part, double whole)
{
	return whole > 0 ? part / whole : 0;
}

/* --- figures -------------------------------------------------------------------------------- */

/*
 * Created by the program, as opposed to launched (the root process and its first thread) or
 * found at an attach (at time zero: they were there before).
 */
static bool created(const struct cp_run *run, uint64_t start_ns)
{
	return !run->attached || start_ns > 0;
}

static void startup_figures(const struct cp_run *run, struct cp_compare_figures *f)
{
	uint64_t proc_sum = 0, thread_sum = 0;

	for (size_t i = 0; i < run->nr_procs; i++)
		if (run->procs[i].pid != run->root_pid && created(run, run->procs[i].start_ns))
			f->procs_created++;
	for (size_t i = 0; i < run->nr_threads; i++) {
		const struct cp_thread *t = &run->threads[i];
		bool process_main = t->tid == t->pid;

		if ((process_main && t->pid == run->root_pid) || !created(run, t->start_ns))
			continue;
		if (!process_main)
			f->threads_created++;
		/* 0: it never ran (or its start-up was not measured) */
		if (!t->first_run_ns)
			continue;
		if (process_main) {
			f->nr_proc_first_runs++;
			proc_sum += t->first_run_ns;
			if (t->first_run_ns > f->proc_first_run_max_ns)
				f->proc_first_run_max_ns = t->first_run_ns;
		} else {
			f->nr_thread_first_runs++;
			thread_sum += t->first_run_ns;
			if (t->first_run_ns > f->thread_first_run_max_ns)
				f->thread_first_run_max_ns = t->first_run_ns;
		}
	}
	if (f->nr_proc_first_runs)
		f->proc_first_run_mean_ns = proc_sum / f->nr_proc_first_runs;
	if (f->nr_thread_first_runs)
		f->thread_first_run_mean_ns = thread_sum / f->nr_thread_first_runs;
}

void cp_compare_figures(const struct cp_run *run, const struct cp_run *first,
			struct cp_compare_figures *f)
{
	const struct cp_concurrency *c = &run->concurrency;
	struct cp_analysis a;
	uint64_t busy_ns = 0;

	*f = (struct cp_compare_figures){ .dominant_reason = -1 };
	/* Only its figures are used: they are filled even when its table rows found no memory. */
	cp_analyze(run, &a);
	cp_analysis_free(&a);

	f->wall_ns = run->wall_ns;
	f->user_ns = a.totals.user_ns;
	f->sys_ns = a.totals.sys_ns;
	f->cpu_ns = a.cpu_ns;
	f->cpu_pct_of_wall = a.cpu_pct_of_wall;
	f->cores_busy = a.cores_busy;
	if (first && first->wall_ns && run->wall_ns)
		f->speedup = (double)first->wall_ns / (double)run->wall_ns;
	f->nr_procs = run->nr_procs;
	f->nr_threads = run->nr_threads;

	f->runnable_ns = a.runnable_ns;
	f->blocked_ns = a.blocked_ns;
	memcpy(f->blocked_by, a.totals.blocked_ns, sizeof(f->blocked_by));

	f->net_bytes = a.net_bytes;
	f->disk_bytes = a.disk_bytes;
	f->pipe_bytes = a.pipe_bytes;
	f->net_per_s = ratio((double)a.net_bytes, (double)run->wall_ns / 1e9);

	f->have_profile = a.have_concurrency;
	f->mean_parallelism = a.mean_parallelism;
	f->max_parallelism = a.max_parallelism;
	f->idle_frac = a.idle_frac;
	for (size_t k = 1; c->ns_at && k < c->nr_levels; k++)
		busy_ns += c->ns_at[k];
	if (a.have_concurrency && c->nr_levels > 1)
		f->one_at_a_time_frac = ratio((double)c->ns_at[1], (double)busy_ns);

	for (size_t i = 0; i < run->nr_procs; i++) {
		uint64_t rss = run->procs[i].peak_rss_bytes;

		if (!rss)
			continue;
		f->nr_rss_known++;
		f->peak_rss_sum += rss;
		if (rss > f->peak_rss_max)
			f->peak_rss_max = rss;
	}

	for (size_t i = 0; i < run->nr_threads; i++) {
		const struct cp_thread *t = &run->threads[i];

		if (t->tid == t->pid || !t->stack_reserved_bytes)
			continue;
		f->nr_stacks_known++;
		f->stack_reserved_sum += t->stack_reserved_bytes;
		f->stack_used_sum += t->stack_used_bytes;
		if (t->stack_used_bytes > f->stack_used_max)
			f->stack_used_max = t->stack_used_bytes;
	}

	f->pipe_blocked_ns = a.totals.blocked_ns[CP_REASON_PIPE];
	f->lock_blocked_ns = a.totals.blocked_ns[CP_REASON_LOCK];
	startup_figures(run, f);

	f->nr_workers = run->nr_threads - a.nr_waiters;
	f->dominant_reason = a.dominant_reason;
	if (a.dominant_reason >= 0)
		f->waiting_at_once =
			ratio((double)a.cause_blocked_ns[a.dominant_reason], (double)run->wall_ns);
	f->runnable_share = a.runnable_share;
	f->lock_share = a.lock_share;
}

/* --- words ---------------------------------------------------------------------------------- */

/* Numbers as the report's language writes them. */
static struct cp_fmt duration(uint64_t ns)
{
	return cp_l10n(cp_fmt_duration(ns));
}

static struct cp_fmt bytes(uint64_t n)
{
	return cp_l10n(cp_fmt_bytes(n));
}

static struct cp_fmt pct(double percent)
{
	return cp_l10n(cp_fmt_pct(percent));
}

/*
 * A speed-up in a sentence: two significant digits ("6.1×", "0.98×", "12×"), or with two
 * decimals ("1.02×") where that is the whole point.
 */
static struct cp_fmt times(double x, bool decimals)
{
	struct cp_fmt f, n = cp_l10n_fixed(x, decimals ? 2 : x >= 10 ? 0 : x >= 1 ? 1 : 2);

	/* A number of at most 29 bytes leaves room for the sign's two. */
	n.s[sizeof(n.s) - 3] = '\0';
	if (snprintf(f.s, sizeof(f.s), "%s×", n.s) < 0)
		f.s[0] = '\0';
	return f;
}

/* s cut to at most cols columns, with "…" where it was cut. */
static void cut(char *dst, size_t len, const char *s, size_t cols)
{
	size_t used = 0, width = 0, total = cp_utf8_width(s);

	for (const char *p = s; *p; p++) {
		bool starts = ((unsigned char)*p & 0xc0) != 0x80;

		if (starts && total > cols && width + 1 >= cols)
			break;
		if (starts && width >= cols)
			break;
		if (used + 1 >= len)
			break;
		dst[used++] = *p;
		width += starts;
	}
	/* Never end inside a character. */
	while (used > 0 && ((unsigned char)dst[used - 1] & 0xc0) == 0xc0)
		used--;
	dst[used] = '\0';
	if (total > cols && used + strlen("…") < len)
		strcat(dst, "…");
}

static void label_of(char *dst, size_t len, const struct cp_compare_run *r)
{
	const char *label = r->label ? r->label : "";

	cp_fmt_sanitize(dst, len, label, strlen(label));
}

/* Whom the threads waited for, in a sentence: "waited for the network". */
static const char *reason_waited_for(int reason)
{
	/* TRANSLATORS: what threads waited for: "... waited for the network at once". */
	static const char *const words[CP_NR_REASONS] = {
		[CP_REASON_LOCK] = N_("locks"),
		[CP_REASON_SLEEP] = N_("sleeps"),
		[CP_REASON_CHILD] = N_("child processes"),
		[CP_REASON_NET] = N_("the network"),
		[CP_REASON_PIPE] = N_("pipes"),
		[CP_REASON_DISK] = N_("the disk"),
		[CP_REASON_PAGING] = N_("page faults"),
		[CP_REASON_OTHER] = N_("other syscalls"),
	};

	return reason >= 0 && reason < CP_NR_REASONS ? _(words[reason]) : "?";
}

enum cp_verdict_kind cp_compare_verdict(char *buf, size_t len, const struct cp_compare_run *base,
					const struct cp_compare_figures *bf,
					const struct cp_compare_run *run,
					const struct cp_compare_figures *f)
{
	char label[LABEL_LEN], base_label[LABEL_LEN], clause[2 * LABEL_LEN];
	bool faster, slower, turns;
	size_t used;

	buf[0] = '\0';
	if (run == base || run->run == base->run)
		return CP_VERDICT_BASELINE;
	label_of(label, sizeof(label), run);
	label_of(base_label, sizeof(base_label), base);
	if (!(f->speedup > 0)) {
		snprintf(buf, len, _("%s: cannot be compared with %s: a wall time is 0."), label,
			 base_label);
		return CP_VERDICT_UNKNOWN;
	}
	faster = f->speedup >= CP_COMPARE_FASTER;
	slower = f->speedup <= 1 / CP_COMPARE_FASTER;
	if (faster)
		/* TRANSLATORS: "6.1× faster than seq". */
		snprintf(clause, sizeof(clause), _("%s faster than %s"), times(f->speedup, false).s,
			 base_label);
	else if (slower)
		/* TRANSLATORS: "2.0× slower than seq": it took 2.0 times as long. */
		snprintf(clause, sizeof(clause), _("%s slower than %s"),
			 times(1 / f->speedup, false).s, base_label);
	else
		/* TRANSLATORS: "no faster than seq (0.98×)". */
		snprintf(clause, sizeof(clause), _("no faster than %s (%s)"), base_label,
			 times(f->speedup, true).s);

	if (faster && bf->idle_frac >= CP_COMPARE_IDLE_MIN_FRAC && f->dominant_reason >= 0 &&
	    f->waiting_at_once >= CP_COMPARE_OVERLAP_MIN_WAITING) {
		/* TRANSLATORS: label, "6.1× faster than seq", CPU share of the wall of this run and
		 * of the first, a number of threads (1.5 or more), what they waited for. */
		snprintf(buf, len,
			 _("%s: %s, CPU %s vs %s of the wall — the waits overlapped: on average "
			   "%s threads waited for %s at once."),
			 label, clause, pct(f->cpu_pct_of_wall).s, pct(bf->cpu_pct_of_wall).s,
			 cp_l10n_fixed(f->waiting_at_once, 1).s,
			 reason_waited_for(f->dominant_reason));
		return CP_VERDICT_OVERLAP;
	}
	if (faster && f->mean_parallelism >= CP_COMPARE_PARALLEL_MIN &&
	    f->cores_busy >= bf->cores_busy * CP_COMPARE_PARALLEL_MIN_GAIN) {
		int cores = (int)f->max_parallelism;
		const char *mean = cp_l10n_fixed(f->mean_parallelism, 1).s;

		/* TRANSLATORS (three messages): label, "1.9× faster than seq", the most cores at
		 * once (2 or more), threads on a CPU on average while any was; then the number of
		 * processes (2 or more) and their mean peak memory. */
		if (f->nr_procs > bf->nr_procs && f->nr_rss_known == f->nr_procs && f->nr_procs)
			snprintf(buf, len,
				 _("%s: %s: %d cores computed at once (%s on average), at the cost "
				   "of %zu processes of %s each."),
				 label, clause, cores, mean, f->nr_procs,
				 cp_l10n(cp_fmt_bytes_approx((double)f->peak_rss_sum /
							     (double)f->nr_rss_known))
					 .s);
		else if (f->nr_procs > bf->nr_procs)
			snprintf(buf, len,
				 _("%s: %s: %d cores computed at once (%s on average), at the cost "
				   "of %zu processes."),
				 label, clause, cores, mean, f->nr_procs);
		else
			snprintf(buf, len, _("%s: %s: %d cores computed at once (%s on average)."),
				 label, clause, cores, mean);
		return CP_VERDICT_PARALLEL;
	}
	if (faster) {
		snprintf(buf, len, _("%s: %s, CPU %s vs %s of the wall."), label, clause,
			 pct(f->cpu_pct_of_wall).s, pct(bf->cpu_pct_of_wall).s);
		return CP_VERDICT_FASTER;
	}
	turns = f->nr_workers >= 2 && f->have_profile &&
		f->one_at_a_time_frac >= CP_COMPARE_TURNS_MIN_FRAC;
	if (f->runnable_share >= CP_COMPARE_CPU_WAIT_MIN_FRAC &&
	    !(turns && f->lock_share >= CP_COMPARE_LOCK_MIN_FRAC)) {
		int cpus = run->run->cpus;

		/* Fewer threads than CPUs, and still waiting: others had the CPUs. */
		if (cpus > 0 && f->nr_workers <= (size_t)cpus)
			/* TRANSLATORS: label, "no faster than seq (0.95×)", a share of their
			 * lives, a number of CPUs. */
			snprintf(
				buf, len,
				ngettext(
					"%s: %s: its threads waited for a CPU %s of their time, "
					"though there were no more of them than the %d CPU: other "
					"programs were using it.",
					"%s: %s: its threads waited for a CPU %s of their time, "
					"though there were no more of them than the %d CPUs: other "
					"programs were using them.",
					(unsigned long)cpus),
				label, clause, pct(100 * f->runnable_share).s, cpus);
		else
			snprintf(buf, len,
				 ngettext("%s: %s: its threads waited for a CPU %s of their time: "
					  "more wanted to run than the %d CPU could take.",
					  "%s: %s: its threads waited for a CPU %s of their time: "
					  "more wanted to run than the %d CPUs could take.",
					  cpus > 0 ? (unsigned long)cpus : 2),
				 label, clause, pct(100 * f->runnable_share).s, cpus);
		return CP_VERDICT_CPU_WAIT;
	}
	if (turns) {
		/* TRANSLATORS: label, "no faster than seq (0.98×)", a share: "97%". The busy time
		 * is the time at least one thread was on a CPU. */
		snprintf(buf, len,
			 _("%s: %s: the threads took turns — only one ran at a time during %s of "
			   "the busy time."),
			 label, clause, pct(100 * f->one_at_a_time_frac).s);
		used = strlen(buf);
		if (f->lock_share >= CP_COMPARE_LOCK_MIN_FRAC && used + 1 < len) {
			/* TRANSLATORS: a share of the working threads' lives: "74%". */
			snprintf(clause, sizeof(clause),
				 _("They spent %s of their time blocked on locks."),
				 pct(100 * f->lock_share).s);
			snprintf(buf + used, len - used, " %s", clause);
		}
		return CP_VERDICT_TURNS;
	}
	if (f->idle_frac >= CP_COMPARE_IDLE_MIN_FRAC && f->dominant_reason >= 0) {
		/* TRANSLATORS: label, "no faster than seq (1.02×)", a share of the wall time, what
		 * the threads waited for ("the network"). */
		snprintf(buf, len,
			 _("%s: %s: no thread was on a CPU %s of the time, waiting for %s."), label,
			 clause, pct(100 * f->idle_frac).s, reason_waited_for(f->dominant_reason));
		return CP_VERDICT_IDLE;
	}
	snprintf(buf, len, _("%s: %s, CPU %s vs %s of the wall."), label, clause,
		 pct(f->cpu_pct_of_wall).s, pct(bf->cpu_pct_of_wall).s);
	return CP_VERDICT_NO_FASTER;
}

/* --- the table -------------------------------------------------------------------------------- */

static struct row *__attribute__((format(printf, 5, 6)))
add_row(struct table *t, enum row_kind kind, int indent, enum cp_paint paint, const char *fmt, ...)
{
	struct row *row;
	va_list ap;

	if (t->err)
		return NULL;
	if (t->nr_rows == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		struct row *rows = realloc(t->rows, cap * sizeof(*rows));

		if (!rows) {
			t->err = -ENOMEM;
			return NULL;
		}
		t->rows = rows;
		t->cap = cap;
	}
	row = &t->rows[t->nr_rows];
	*row = (struct row){ .kind = kind, .indent = indent, .paint = paint };
	if (kind == ROW_VALUES) {
		row->cells = calloc(t->n, sizeof(*row->cells));
		if (!row->cells) {
			t->err = -ENOMEM;
			return NULL;
		}
	}
	t->nr_rows++;
	va_start(ap, fmt);
	vsnprintf(row->label, sizeof(row->label), fmt, ap);
	va_end(ap);
	return row;
}

static void __attribute__((format(printf, 4, 5)))
set_cell(struct row *row, size_t i, enum cp_paint paint, const char *fmt, ...)
{
	va_list ap;

	if (!row || !row->cells)
		return;
	va_start(ap, fmt);
	vsnprintf(row->cells[i].s, sizeof(row->cells[i].s), fmt, ap);
	va_end(ap);
	row->cells[i].paint = paint;
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->nr_rows; i++)
		free(t->rows[i].cells);
	free(t->rows);
	*t = (struct table){ 0 };
}

/* A figure of struct cp_compare_figures by its offset: rows of one kind in one loop. */
static uint64_t figure_u64(const struct cp_compare_figures *f, size_t offset)
{
	uint64_t v;

	memcpy(&v, (const char *)f + offset, sizeof(v));
	return v;
}

static void duration_row(struct compare *c, int indent, enum cp_paint paint, const char *label,
			 size_t offset)
{
	struct row *row = add_row(&c->table, ROW_VALUES, indent, paint, "%s", label);

	for (size_t i = 0; i < c->n; i++)
		set_cell(row, i, PAINT_NONE, "%s", duration(figure_u64(&c->f[i], offset)).s);
}

static void bytes_row(struct compare *c, int indent, const char *label, size_t offset)
{
	struct row *row = add_row(&c->table, ROW_VALUES, indent, PAINT_NONE, "%s", label);

	for (size_t i = 0; i < c->n; i++)
		set_cell(row, i, PAINT_NONE, "%s", bytes(figure_u64(&c->f[i], offset)).s);
}

static void count_row(struct compare *c, int indent, const char *label, const size_t *counts,
		      size_t stride)
{
	struct row *row = add_row(&c->table, ROW_VALUES, indent, PAINT_NONE, "%s", label);

	for (size_t i = 0; i < c->n; i++) {
		size_t v = *(const size_t *)((const char *)counts + i * stride);

		set_cell(row, i, PAINT_NONE, "%s", cp_l10n_count(v).s);
	}
}

#define FIG(field)	 offsetof(struct cp_compare_figures, field)
#define COUNTS(c, field) (&(c)->f[0].field), sizeof(struct cp_compare_figures)

static void time_rows(struct compare *c)
{
	struct table *t = &c->table;
	char base[LABEL_LEN];
	struct row *row;

	add_row(t, ROW_HEADING, 0, PAINT_BOLD, "%s", _("Time"));
	duration_row(c, 0, PAINT_BOLD, C_("time column", "wall"), FIG(wall_ns));
	duration_row(c, 0, PAINT_USER, C_("time column", "user"), FIG(user_ns));
	duration_row(c, 0, PAINT_SYS, C_("time column", "sys"), FIG(sys_ns));
	row = add_row(t, ROW_VALUES, 0, PAINT_NONE, "%s", _("CPU, share of the wall time"));
	for (size_t i = 0; i < c->n; i++)
		set_cell(row, i, PAINT_NONE, "%s", pct(c->f[i].cpu_pct_of_wall).s);
	/* TRANSLATORS: user + sys divided by the wall time: how many cores worked, on average. */
	row = add_row(t, ROW_VALUES, 0, PAINT_NONE, "%s", _("cores busy on average"));
	for (size_t i = 0; i < c->n; i++)
		set_cell(row, i, PAINT_NONE, "%s", cp_l10n_fixed(c->f[i].cores_busy, 2).s);
	cut(base, sizeof(base), c->labels[0], BASE_LABEL_COLS);
	/* TRANSLATORS: the first run's wall time divided by each run's: "speed-up vs seq". */
	row = add_row(t, ROW_VALUES, 0, PAINT_BOLD, _("speed-up vs %s"), base);
	for (size_t i = 0; i < c->n; i++) {
		double s = c->f[i].speedup;
		enum cp_paint p = i == 0			    ? PAINT_NONE
			       : s >= CP_COMPARE_FASTER	    ? PAINT_GOOD
			       : s <= 1 / CP_COMPARE_FASTER ? PAINT_WARN
							    : PAINT_NONE;

		if (s > 0)
			set_cell(row, i, p, "%s×", cp_l10n_fixed(s, 2).s);
		else
			set_cell(row, i, PAINT_DIM, "–");
	}
	count_row(c, 0, _("processes"), COUNTS(c, nr_procs));
	count_row(c, 0, _("threads"), COUNTS(c, nr_threads));
}

static void state_rows(struct compare *c)
{
	add_row(&c->table, ROW_HEADING, 0, PAINT_BOLD, "%s",
		_("Time by state, summed over the threads"));
	duration_row(c, 0, PAINT_USER, C_("state", "user"), FIG(user_ns));
	duration_row(c, 0, PAINT_SYS, C_("state", "sys"), FIG(sys_ns));
	duration_row(c, 0, PAINT_RUNNABLE, C_("state", "runnable"), FIG(runnable_ns));
	duration_row(c, 0, PAINT_BLOCKED, C_("state", "blocked"), FIG(blocked_ns));
	for (int r = 0; r < CP_NR_REASONS; r++) {
		bool any = false;
		const char *word;

		for (size_t i = 0; i < c->n; i++)
			any = any || c->f[i].blocked_by[r];
		if (!any)
			continue;
		/* The same words as the report's (render.c), through the same contexts. */
		switch (r) {
		case CP_REASON_LOCK:
			word = C_("blocked reason", "lock");
			break;
		case CP_REASON_SLEEP:
			word = C_("blocked reason", "sleep");
			break;
		case CP_REASON_CHILD:
			word = C_("blocked reason", "child");
			break;
		case CP_REASON_NET:
			word = C_("blocked reason", "net");
			break;
		case CP_REASON_PIPE:
			word = C_("blocked reason", "pipe");
			break;
		case CP_REASON_DISK:
			word = C_("blocked reason", "disk");
			break;
		case CP_REASON_PAGING:
			word = C_("blocked reason", "paging");
			break;
		default:
			word = C_("blocked reason", "other");
			break;
		}
		duration_row(c, 1, PAINT_BLOCKED, word,
			     FIG(blocked_by) + (size_t)r * sizeof(uint64_t));
	}
}

static void bytes_rows(struct compare *c)
{
	struct row *row;

	add_row(&c->table, ROW_HEADING, 0, PAINT_BOLD, "%s", _("Bytes moved"));
	bytes_row(c, 0, _("network, received + sent"), FIG(net_bytes));
	bytes_row(c, 0, _("disk, read + written"), FIG(disk_bytes));
	bytes_row(c, 0, _("pipes"), FIG(pipe_bytes));
	row = add_row(&c->table, ROW_VALUES, 0, PAINT_NONE, "%s", _("network throughput"));
	for (size_t i = 0; i < c->n; i++)
		/* TRANSLATORS: bytes per second: "7.49 MB/s". */
		set_cell(row, i, PAINT_NONE, _("%s/s"),
			 bytes((uint64_t)llround(c->f[i].net_per_s)).s);
}

/* "–" where a figure does not apply or was not measured. */
static void none(struct row *row, size_t i)
{
	set_cell(row, i, PAINT_DIM, "–");
}

static void unknown(struct row *row, size_t i)
{
	/* TRANSLATORS: memory that was not measured (a process still alive at the end). */
	set_cell(row, i, PAINT_DIM, "%s", _("unknown"));
}

static void cpu_use_rows(struct compare *c)
{
	struct table *t = &c->table;
	struct row *row;

	add_row(t, ROW_GROUP, 0, PAINT_BOLD, "%s", _("CPU use"));
	/* TRANSLATORS: the busy time is the time at least one thread was on a CPU. */
	row = add_row(t, ROW_VALUES, 1, PAINT_NONE, "%s",
		      _("threads on a CPU at once, mean while busy"));
	for (size_t i = 0; i < c->n; i++)
		/* an estimate from the CPU time without a concurrency profile */
		set_cell(row, i, PAINT_NONE, "%s%s", c->f[i].have_profile ? "" : "≈",
			 cp_l10n_fixed(c->f[i].mean_parallelism, 2).s);
	row = add_row(t, ROW_VALUES, 1, PAINT_NONE, "%s", _("threads on a CPU at once, at most"));
	for (size_t i = 0; i < c->n; i++) {
		if (c->f[i].have_profile)
			set_cell(row, i, PAINT_NONE, "%zu", c->f[i].max_parallelism);
		else
			none(row, i);
	}
	row = add_row(t, ROW_VALUES, 1, PAINT_NONE, "%s",
		      _("only one on a CPU, share of the busy time"));
	for (size_t i = 0; i < c->n; i++) {
		if (c->f[i].have_profile && c->f[i].max_parallelism)
			set_cell(row, i, PAINT_NONE, "%s", pct(100 * c->f[i].one_at_a_time_frac).s);
		else
			none(row, i);
	}
	row = add_row(t, ROW_VALUES, 1, PAINT_NONE, "%s", _("cores busy on average"));
	for (size_t i = 0; i < c->n; i++)
		set_cell(row, i, PAINT_NONE, "%s", cp_l10n_fixed(c->f[i].cores_busy, 2).s);
}

static void memory_rows(struct compare *c)
{
	struct table *t = &c->table;
	struct row *largest, *mean, *all, *reserved, *used;

	add_row(t, ROW_GROUP, 0, PAINT_BOLD, "%s", _("memory"));
	largest = add_row(t, ROW_VALUES, 1, PAINT_NONE, "%s",
			  _("peak resident memory, largest process"));
	mean = add_row(t, ROW_VALUES, 1, PAINT_NONE, "%s",
		       _("peak resident memory, mean per process"));
	all = add_row(t, ROW_VALUES, 1, PAINT_NONE, "%s", _("peak resident memory, all processes"));
	for (size_t i = 0; i < c->n; i++) {
		const struct cp_compare_figures *f = &c->f[i];

		if (!f->nr_rss_known) {
			unknown(largest, i);
			unknown(mean, i);
			unknown(all, i);
			continue;
		}
		/* With some processes unknown, the figures are of the known ones: at least. */
		set_cell(largest, i, PAINT_NONE, "%s%s", f->nr_rss_known < f->nr_procs ? "≥ " : "",
			 bytes(f->peak_rss_max).s);
		set_cell(mean, i, PAINT_NONE, "%s", bytes(f->peak_rss_sum / f->nr_rss_known).s);
		set_cell(all, i, PAINT_NONE, "%s%s", f->nr_rss_known < f->nr_procs ? "≥ " : "",
			 bytes(f->peak_rss_sum).s);
	}
	reserved = add_row(t, ROW_VALUES, 1, PAINT_NONE, "%s",
			   _("thread stack reserved, mean per thread"));
	used = add_row(t, ROW_VALUES, 1, PAINT_NONE, "%s",
		       _("thread stack used, mean (deepest seen)"));
	for (size_t i = 0; i < c->n; i++) {
		const struct cp_compare_figures *f = &c->f[i];

		if (!f->nr_stacks_known) {
			set_cell(reserved, i, PAINT_DIM, "–");
			set_cell(used, i, PAINT_DIM, "–");
			continue;
		}
		set_cell(reserved, i, PAINT_NONE, "%s",
			 bytes(f->stack_reserved_sum / f->nr_stacks_known).s);
		set_cell(used, i, PAINT_NONE, "%s", bytes(f->stack_used_sum / f->nr_stacks_known).s);
	}
}

static void startup_rows(struct compare *c, const char *created, const char *mean, const char *max,
			 const size_t *count, const size_t *runs, size_t mean_offset,
			 size_t max_offset)
{
	struct table *t = &c->table;
	struct row *row;

	count_row(c, 1, created, count, sizeof(struct cp_compare_figures));
	for (int which = 0; which < 2; which++) {
		row = add_row(t, ROW_VALUES, 1, PAINT_NONE, "%s", which ? max : mean);
		for (size_t i = 0; i < c->n; i++) {
			size_t measured = *(const size_t *)((const char *)runs +
							    i * sizeof(struct cp_compare_figures));

			if (measured)
				set_cell(row, i, PAINT_NONE, "%s",
					 duration(figure_u64(&c->f[i],
							     which ? max_offset : mean_offset))
						 .s);
			else
				none(row, i);
		}
	}
}

static void lecture_rows(struct compare *c)
{
	struct table *t = &c->table;

	/* TRANSLATORS: the closing table of the lecture, "Resumo: threads x processos". */
	add_row(t, ROW_HEADING, 0, PAINT_BOLD, "%s",
		_("Threads or processes: the lecture's table, measured"));
	cpu_use_rows(c);
	memory_rows(c);
	add_row(t, ROW_GROUP, 0, PAINT_BOLD, "%s", _("communication"));
	duration_row(c, 1, PAINT_NONE, _("blocked on pipes, threads' sum"), FIG(pipe_blocked_ns));
	duration_row(c, 1, PAINT_NONE, _("blocked on locks, threads' sum"), FIG(lock_blocked_ns));
	bytes_row(c, 1, _("bytes through pipes"), FIG(pipe_bytes));
	add_row(t, ROW_GROUP, 0, PAINT_BOLD, "%s", _("start-up cost"));
	/* TRANSLATORS: the wait of a new process (thread) from fork (clone) to its first run. */
	startup_rows(c, _("processes created"), _("fork to first run, mean"),
		     _("fork to first run, at most"), &c->f[0].procs_created,
		     &c->f[0].nr_proc_first_runs, FIG(proc_first_run_mean_ns),
		     FIG(proc_first_run_max_ns));
	startup_rows(c, _("threads created"), _("clone to first run, mean"),
		     _("clone to first run, at most"), &c->f[0].threads_created,
		     &c->f[0].nr_thread_first_runs, FIG(thread_first_run_mean_ns),
		     FIG(thread_first_run_max_ns));
}

static void build_table(struct compare *c)
{
	c->table = (struct table){ .n = c->n };
	time_rows(c);
	state_rows(c);
	bytes_rows(c);
	lecture_rows(c);
}

/* Whatever the reader should know before trusting a figure. */
static void build_notes(struct compare *c)
{
	bool cpus_differ = false;
	char list[NOTE_LEN] = "";
	size_t used = 0;

	for (size_t i = 0; i < c->n; i++) {
		const struct cp_run *run = c->runs[i].run;
		char *note = c->notes[c->nr_notes];

		cpus_differ = cpus_differ || run->cpus != c->runs[0].run->cpus;
		if (c->nr_notes + 2 >= sizeof(c->notes) / sizeof(c->notes[0]))
			continue;
		if (run->term_signal > 0) {
			snprintf(note, NOTE_LEN,
				 _("%s was killed by %s: its figures are those of "
				   "an unfinished run."),
				 c->labels[i], cp_fmt_signal(run->term_signal).s);
			c->nr_notes++;
		} else if (!run->attached && run->exit_code != 0) {
			snprintf(note, NOTE_LEN,
				 _("%s exited with status %d: compare it with care."), c->labels[i],
				 run->exit_code);
			c->nr_notes++;
		}
		note = c->notes[c->nr_notes];
		if (run->lost_events || run->lost_threads) {
			snprintf(note, NOTE_LEN,
				 _("%s lost events or threads: its figures are lower bounds."),
				 c->labels[i]);
			c->nr_notes++;
		}
	}
	if (!cpus_differ)
		return;
	for (size_t i = 0; i < c->n && used + 16 < sizeof(list); i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%d", i ? ", " : "",
					 c->runs[i].run->cpus);
	snprintf(c->notes[c->nr_notes++], NOTE_LEN,
		 _("The runs had different numbers of CPUs (%s): a speed-up then compares "
		   "machines too."),
		 list);
}

/* --- what ran ----------------------------------------------------------------------------- */

/* An argument a shell takes as it is: no quotes needed (non-ASCII letters are fine too). */
static bool shell_safe(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (!isalnum(ch) && !strchr("_./=:,+@%-", ch) && ch < 0x80)
			return false;
	}
	return true;
}

/* The command as a shell would take it back, cut after COMMAND_LEN bytes: a reminder. */
static void command_line(const struct cp_run *run, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; run->argv && i < run->argc && run->argv[i] && used + 1 < len; i++) {
		char arg[COMMAND_LEN];
		bool quote;
		int n;

		cp_fmt_sanitize(arg, sizeof(arg), run->argv[i], strlen(run->argv[i]));
		quote = !shell_safe(arg);
		if (quote)
			for (char *p = arg; *p; p++)
				if (*p == '\'')
					*p = '"';
		n = snprintf(buf + used, len - used, "%s%s%s%s", i ? " " : "", quote ? "'" : "",
			     arg, quote ? "'" : "");
		if (n < 0)
			break;
		used += (size_t)n < len - used ? (size_t)n : len - used - 1;
	}
}

/* "exit status 0 · 1 process, 21 threads · 8 CPUs" */
static void run_summary(const struct cp_run *run, char *buf, size_t len)
{
	char status[64], procs[64], threads[64], cpus[64];

	if (run->attached)
		snprintf(status, sizeof(status), "%s", _("attached"));
	else if (run->term_signal > 0)
		snprintf(status, sizeof(status), _("killed by %s"),
			 cp_fmt_signal(run->term_signal).s);
	else
		snprintf(status, sizeof(status), _("exit status %d"), run->exit_code);
	snprintf(procs, sizeof(procs), ngettext("%zu process", "%zu processes", run->nr_procs),
		 run->nr_procs);
	snprintf(threads, sizeof(threads), ngettext("%zu thread", "%zu threads", run->nr_threads),
		 run->nr_threads);
	snprintf(cpus, sizeof(cpus), ngettext("%d CPU", "%d CPUs", run->cpus > 0 ? run->cpus : 0),
		 run->cpus);
	snprintf(buf, len, "%s · %s, %s · %s", status, procs, threads, cpus);
}

/* --- text ------------------------------------------------------------------------------------- */

struct text {
	FILE *out;
	bool color;
	int width;
};

static const char *on(const struct text *x, enum cp_paint p)
{
	return x->color ? cp_paint_codes[p] : "";
}

static const char *off(const struct text *x, enum cp_paint p)
{
	return x->color && p != PAINT_NONE ? "\033[0m" : "";
}

static void spaces(FILE *out, size_t n)
{
	while (n--)
		fputc(' ', out);
}

/* s in a column of the given width, painted; right-aligned for numbers. */
static void text_cell(const struct text *x, const char *s, size_t width, bool right, enum cp_paint p)
{
	size_t w = cp_utf8_width(s), pad = w < width ? width - w : 0;

	if (right)
		spaces(x->out, pad);
	fprintf(x->out, "%s%s%s", on(x, p), s, off(x, p));
	if (!right)
		spaces(x->out, pad);
}

static void text_heading(const struct text *x, const char *title)
{
	size_t used = 3 + cp_utf8_width(title) + 1;

	fprintf(x->out, "\n%s── %s ", on(x, PAINT_BOLD), title);
	for (size_t i = used; i < (size_t)x->width; i++)
		fputs("─", x->out);
	fprintf(x->out, "%s\n", off(x, PAINT_BOLD));
}

/* Columns of the first n bytes of s. */
static size_t width_n(const char *s, size_t n)
{
	size_t width = 0;

	for (size_t i = 0; i < n && s[i]; i++)
		width += ((unsigned char)s[i] & 0xc0) != 0x80;
	return width;
}

/* text word-wrapped to the width: the first line after first_prefix, the others after rest. */
static void text_wrap(const struct text *x, const char *first_prefix, const char *rest_prefix,
		      const char *text, enum cp_paint p)
{
	size_t col = cp_utf8_width(first_prefix), line_start = col;
	const char *s = text;

	fprintf(x->out, "%s%s", on(x, p), first_prefix);
	while (*s) {
		size_t len = strcspn(s, " "), w = width_n(s, len);

		if (col > line_start && col + 1 + w > (size_t)x->width) {
			fprintf(x->out, "%s\n%s%s", off(x, p), on(x, p), rest_prefix);
			col = line_start = cp_utf8_width(rest_prefix);
		} else if (col > line_start) {
			fputc(' ', x->out);
			col++;
		}
		fwrite(s, 1, len, x->out);
		col += w;
		s += len;
		while (*s == ' ')
			s++;
	}
	fprintf(x->out, "%s\n", off(x, p));
}

/*
 * Column widths: each run's the widest of its cells and its label; labels are cut (not below
 * HEADER_MIN_COLS, nor below the cells) while the table is wider than the terminal.
 */
static void text_widths(const struct compare *c, const struct text *x, size_t *label_w,
			size_t *col_w)
{
	const struct table *t = &c->table;
	size_t *cells_w = col_w + c->n, total;
	bool shrunk = true;

	*label_w = 0;
	for (size_t r = 0; r < t->nr_rows; r++) {
		const struct row *row = &t->rows[r];
		size_t w = 2 * (size_t)row->indent + cp_utf8_width(row->label);

		if (row->kind != ROW_HEADING && w > *label_w)
			*label_w = w;
	}
	for (size_t i = 0; i < c->n; i++) {
		cells_w[i] = 1;
		for (size_t r = 0; r < t->nr_rows; r++)
			if (t->rows[r].cells && cp_utf8_width(t->rows[r].cells[i].s) > cells_w[i])
				cells_w[i] = cp_utf8_width(t->rows[r].cells[i].s);
		col_w[i] = cp_utf8_width(c->labels[i]);
		if (col_w[i] < cells_w[i])
			col_w[i] = cells_w[i];
	}
	while (shrunk) {
		size_t widest = c->n;

		total = 2 + *label_w;
		for (size_t i = 0; i < c->n; i++)
			total += 2 + col_w[i];
		if (total <= (size_t)x->width)
			break;
		for (size_t i = 0; i < c->n; i++)
			if (col_w[i] > cells_w[i] && col_w[i] > HEADER_MIN_COLS &&
			    (widest == c->n || col_w[i] > col_w[widest]))
				widest = i;
		shrunk = widest < c->n;
		if (shrunk)
			col_w[widest]--;
	}
}

static void text_header(const struct compare *c, const struct text *x, size_t label_w,
			const size_t *col_w)
{
	spaces(x->out, 2 + label_w);
	for (size_t i = 0; i < c->n; i++) {
		char head[LABEL_LEN];

		cut(head, sizeof(head), c->labels[i], col_w[i]);
		spaces(x->out, 2);
		text_cell(x, head, col_w[i], true, PAINT_BOLD);
	}
	fputc('\n', x->out);
}

static int text_render(const struct compare *c, const struct text *x)
{
	const struct table *t = &c->table;
	size_t label_w, legend_w = 1, *col_w = calloc(2 * c->n, sizeof(*col_w));

	if (!col_w)
		return -ENOMEM;
	text_widths(c, x, &label_w, col_w);

	text_heading(x, _("Runs"));
	for (size_t i = 0; i < c->n; i++) {
		size_t w = cp_utf8_width(c->labels[i]);

		if (w > legend_w)
			legend_w = w < LEGEND_MAX_COLS ? w : LEGEND_MAX_COLS;
	}
	for (size_t i = 0; i < c->n; i++) {
		char label[LABEL_LEN], prefix[LABEL_LEN + LEGEND_MAX_COLS],
			rest[LEGEND_MAX_COLS + 8];
		char command[COMMAND_LEN], summary[SUMMARY_LEN];
		size_t w;

		command_line(c->runs[i].run, command, sizeof(command));
		run_summary(c->runs[i].run, summary, sizeof(summary));
		cut(label, sizeof(label), c->labels[i], legend_w);
		w = cp_utf8_width(label);
		snprintf(prefix, sizeof(prefix), "  %s%*s  ", label, (int)(legend_w - w), "");
		snprintf(rest, sizeof(rest), "%*s", (int)legend_w + 4, "");
		text_wrap(x, prefix, rest, command, PAINT_NONE);
		text_wrap(x, rest, rest, summary, PAINT_DIM);
	}

	for (size_t r = 0; r < t->nr_rows; r++) {
		const struct row *row = &t->rows[r];

		if (row->kind == ROW_HEADING) {
			text_heading(x, row->label);
			text_header(c, x, label_w, col_w);
			continue;
		}
		spaces(x->out, 2 + 2 * (size_t)row->indent);
		if (row->kind == ROW_GROUP) {
			fprintf(x->out, "%s%s%s\n", on(x, row->paint), row->label,
				off(x, row->paint));
			continue;
		}
		text_cell(x, row->label, label_w - 2 * (size_t)row->indent, false, row->paint);
		for (size_t i = 0; i < c->n; i++) {
			spaces(x->out, 2);
			text_cell(x, row->cells[i].s, col_w[i], true, row->cells[i].paint);
		}
		fputc('\n', x->out);
	}

	text_heading(x, _("Verdict"));
	for (size_t i = 1; i < c->n; i++)
		if (c->verdicts[i][0])
			text_wrap(x, "  • ", "    ", c->verdicts[i], PAINT_NONE);
	for (size_t i = 0; i < c->nr_notes; i++) {
		char prefix[64];

		/* TRANSLATORS: before a remark about the figures: "Note: ...". */
		snprintf(prefix, sizeof(prefix), "  %s ", _("Note:"));
		text_wrap(x, prefix, "    ", c->notes[i], PAINT_DIM);
	}
	free(col_w);
	return 0;
}

/* --- Markdown --------------------------------------------------------------------------------- */

/* s with the characters Markdown would act on escaped, and the table's '|'. */
static void md_escape(char *dst, size_t len, const char *s)
{
	size_t used = 0;

	for (; *s && used + 6 < len; s++) {
		if (strchr("|\\`*_[]<>#", *s))
			dst[used++] = '\\';
		dst[used++] = *s;
	}
	dst[used] = '\0';
}

static void md_row_start(FILE *out, const char *label, int indent)
{
	char escaped[2 * LABEL_LEN];

	md_escape(escaped, sizeof(escaped), label);
	fputs("| ", out);
	/* No-break spaces: Markdown keeps them, so an indented row still looks indented. */
	for (int i = 0; i < indent; i++)
		fputs("\u00a0\u00a0\u00a0\u00a0", out);
	fputs(escaped, out);
	fputs(" |", out);
}

static void md_table_head(const struct compare *c, FILE *out)
{
	char escaped[2 * LABEL_LEN];

	fputs("\n|  |", out);
	for (size_t i = 0; i < c->n; i++) {
		md_escape(escaped, sizeof(escaped), c->labels[i]);
		fprintf(out, " %s |", escaped);
	}
	fputs("\n| :--- |", out);
	for (size_t i = 0; i < c->n; i++)
		fputs(" ---: |", out);
	fputc('\n', out);
}

static int md_render(const struct compare *c, FILE *out)
{
	const struct table *t = &c->table;
	char escaped[2 * CP_COMPARE_VERDICT_LEN];

	fprintf(out, "### %s\n\n", _("Runs"));
	for (size_t i = 0; i < c->n; i++) {
		char command[COMMAND_LEN], summary[SUMMARY_LEN], label[2 * LABEL_LEN];

		command_line(c->runs[i].run, command, sizeof(command));
		run_summary(c->runs[i].run, summary, sizeof(summary));
		md_escape(label, sizeof(label), c->labels[i]);
		/* A code span cannot hold its own backquote: there is none in a command here. */
		for (char *p = command; *p; p++)
			if (*p == '`')
				*p = '\'';
		fprintf(out, "- **%s**: `%s` — %s\n", label, command, summary);
	}
	for (size_t r = 0; r < t->nr_rows; r++) {
		const struct row *row = &t->rows[r];

		if (row->kind == ROW_HEADING) {
			md_escape(escaped, sizeof(escaped), row->label);
			fprintf(out, "\n### %s\n", escaped);
			md_table_head(c, out);
			continue;
		}
		if (row->kind == ROW_GROUP) {
			md_escape(escaped, sizeof(escaped), row->label);
			fprintf(out, "| **%s** |", escaped);
			for (size_t i = 0; i < c->n; i++)
				fputs("  |", out);
			fputc('\n', out);
			continue;
		}
		md_row_start(out, row->label, row->indent);
		for (size_t i = 0; i < c->n; i++) {
			md_escape(escaped, sizeof(escaped), row->cells[i].s);
			fprintf(out, " %s |", escaped);
		}
		fputc('\n', out);
	}
	fprintf(out, "\n### %s\n\n", _("Verdict"));
	for (size_t i = 1; i < c->n; i++) {
		if (!c->verdicts[i][0])
			continue;
		md_escape(escaped, sizeof(escaped), c->verdicts[i]);
		fprintf(out, "- %s\n", escaped);
	}
	for (size_t i = 0; i < c->nr_notes; i++) {
		md_escape(escaped, sizeof(escaped), c->notes[i]);
		fprintf(out, "%s> %s %s\n", i ? "" : "\n", _("Note:"), escaped);
	}
	return 0;
}

/* --- all together ----------------------------------------------------------------------------- */

static void compare_free(struct compare *c)
{
	table_free(&c->table);
	free(c->f);
	free(c->labels);
	free(c->verdicts);
	free(c->kinds);
}

int cp_compare_render(FILE *out, const struct cp_compare_run *runs, size_t n,
		      enum cp_compare_format fmt, const struct cp_compare_opts *opts)
{
	struct compare c = { .runs = runs, .n = n };
	struct text x = {
		.out = out,
		.color = opts && opts->color,
		.width = opts && opts->width > 0 ? opts->width : DEFAULT_WIDTH,
	};
	int err = 0;

	if (n < 2 || !runs)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!runs[i].run)
			return -EINVAL;
	c.f = calloc(n, sizeof(*c.f));
	c.labels = calloc(n, sizeof(*c.labels));
	c.verdicts = calloc(n, sizeof(*c.verdicts));
	c.kinds = calloc(n, sizeof(*c.kinds));
	if (!c.f || !c.labels || !c.verdicts || !c.kinds) {
		compare_free(&c);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		label_of(c.labels[i], sizeof(c.labels[i]), &runs[i]);
		cp_compare_figures(runs[i].run, runs[0].run, &c.f[i]);
	}
	for (size_t i = 0; i < n; i++)
		c.kinds[i] = cp_compare_verdict(c.verdicts[i], sizeof(c.verdicts[i]), &runs[0],
						&c.f[0], &runs[i], &c.f[i]);
	build_notes(&c);
	build_table(&c);
	err = c.table.err;
	if (!err) {
		errno = 0;
		if (fmt == CP_COMPARE_JSON)
			err = cp_compare_json(&c, out);
		else if (fmt == CP_COMPARE_MARKDOWN)
			err = md_render(&c, out);
		else
			err = text_render(&c, &x);
	}
	if (!err && (fflush(out) == EOF || ferror(out)))
		err = errno ? -errno : -EIO;
	compare_free(&c);
	return err;
}
