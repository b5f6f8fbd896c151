// SPDX-License-Identifier: GPL-2.0
#include "locks.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "i18n.h"

static bool traced_in(const struct cp_run *run, int32_t tid, int32_t pid)
{
	for (size_t i = 0; i < run->nr_threads; i++)
		if (run->threads[i].tid == tid && run->threads[i].pid == pid)
			return true;
	return false;
}

static void add_unique(int32_t *ids, size_t *n, size_t max, int32_t id)
{
	for (size_t i = 0; i < *n; i++)
		if (ids[i] == id)
			return;
	if (*n < max)
		ids[(*n)++] = id;
}

static int cmp_row(const void *a, const void *b)
{
	const struct cp_lock_row *x = a, *y = b;

	return (x->wait_ns < y->wait_ns) - (x->wait_ns > y->wait_ns);
}

size_t cp_lock_rows(const struct cp_run *run, struct cp_lock_row *rows, size_t max)
{
	struct cp_lock_row *all;
	size_t n = 0;

	if (!run->nr_locks || !max)
		return 0;
	all = calloc(run->nr_locks, sizeof(*all));
	if (!all)
		return 0;
	for (size_t i = 0; i < run->nr_locks; i++) {
		const struct cp_lock *l = &run->locks[i];
		struct cp_lock_row *r = NULL;
		int32_t waiters[2 * CP_LOCK_MAX_IDS];
		size_t nw = 0;

		if (!l->waits)
			continue;
		/* The GIL's two words (its mutex, its condition variable) are one lock. */
		for (size_t k = 0; l->gil && k < n; k++)
			if (all[k].gil && all[k].lock->pid == l->pid)
				r = &all[k];
		if (!r) {
			r = &all[n++];
			r->lock = l;
			r->gil = l->gil;
		}
		r->wait_ns += l->wait_ns;
		r->waits += l->waits;
		if (l->max_wait_ns > r->max_wait_ns)
			r->max_wait_ns = l->max_wait_ns;
		r->more_waiters |= l->more_waiters;
		/* Waiters of merged words: count each thread once (the first word's are kept). */
		for (size_t k = 0; k < l->nr_waiters; k++)
			add_unique(waiters, &nw, 2 * CP_LOCK_MAX_IDS, l->waiters[k]);
		if (nw > r->nr_waiters)
			r->nr_waiters = nw;
		/* Wakers from an interrupt are whatever task it interrupted: keep the process's. */
		for (size_t k = 0; k < l->nr_wakers; k++)
			if (traced_in(run, l->wakers[k], l->pid))
				add_unique(r->wakers, &r->nr_wakers, CP_LOCK_MAX_IDS, l->wakers[k]);
	}
	qsort(all, n, sizeof(*all), cmp_row);
	if (n > max)
		n = max;
	memcpy(rows, all, n * sizeof(*rows));
	free(all);
	return n;
}

static const char *comm_of(const struct cp_run *run, int32_t pid)
{
	for (size_t i = 0; i < run->nr_procs; i++)
		if (run->procs[i].pid == pid)
			return run->procs[i].comm;
	return "?";
}

/* The lock's name for the table: "the GIL: _PyRuntime (python3.11)", "contended_lock (mutex)". */
static void row_name(const struct cp_lock_row *r, char *buf, size_t len)
{
	char name[200];

	cp_lock_name(r->lock, name, sizeof(name));
	if (r->gil && r->lock->symbol && strcmp(r->lock->symbol, "_PyRuntime") == 0)
		snprintf(buf, len, _("the GIL, in _PyRuntime (%s)"),
			 r->lock->path ? strrchr(r->lock->path, '/') + 1 : "python");
	else if (r->gil)
		snprintf(buf, len, _("%s: a GIL"), name);
	else
		snprintf(buf, len, "%s", name);
}

int cp_render_locks(FILE *out, const struct cp_run *run, bool color, int width)
{
	struct cp_lock_row rows[CP_LOCKS_SHOWN];
	size_t n = cp_lock_rows(run, rows, CP_LOCKS_SHOWN);
	const char *bold = color ? "\033[1m" : "", *reset = color ? "\033[0m" : "";
	char title[64];
	int rule;

	if (!n)
		return 0;
	snprintf(title, sizeof(title), "── %s ", _("Locks"));
	rule = width - (int)strlen(title) + 4; /* "──" is 2 columns in 6 bytes */
	fprintf(out, "\n%s%s", bold, title);
	for (int i = 0; i < rule; i++)
		fputs("─", out);
	fprintf(out, "%s\n", reset);
	fprintf(out, "  %s\n", _("The futex words threads slept on, hottest first (named from the "
				 "program's symbols):"));
	fprintf(out, "  %-7s %-8s %8s %10s %7s %10s  %s\n", _("PID"), _("PROCESS"), _("WAITERS"),
		_("WAITED"), _("WAITS"), _("LONGEST"), _("LOCK"));
	for (size_t i = 0; i < n; i++) {
		const struct cp_lock_row *r = &rows[i];
		char name[256], comm[CP_COMM_LEN * 4], waiters[16];

		row_name(r, name, sizeof(name));
		cp_fmt_sanitize(comm, sizeof(comm), comm_of(run, r->lock->pid), CP_COMM_LEN);
		snprintf(waiters, sizeof(waiters), "%zu%s", r->nr_waiters, r->more_waiters ? "+" : "");
		fprintf(out, "  %-7d %-8.8s %8s %10s %7s %10s  %s\n", r->lock->pid, comm, waiters,
			cp_l10n(cp_fmt_duration(r->wait_ns)).s, cp_l10n_count(r->waits).s,
			cp_l10n(cp_fmt_duration(r->max_wait_ns)).s, name);
		if (r->nr_wakers) {
			fprintf(out, "  %-7s %s", "", _("released by threads"));
			for (size_t k = 0; k < r->nr_wakers; k++)
				fprintf(out, "%s %d", k ? "," : "", r->wakers[k]);
			fputc('\n', out);
		}
	}
	if (run->nr_locks > n)
		fprintf(out, "  %s\n", _("(only the hottest are shown; --json lists them all)"));
	if (run->lost_locks)
		fprintf(out, "  %s %" PRIu64 "\n", _("lock waits not attributed (too many locks):"),
			run->lost_locks);
	return ferror(out) ? -EIO : 0;
}

bool cp_gil_finding(const struct cp_run *run, const struct cp_analysis *a, char *buf, size_t len)
{
	struct cp_lock_row rows[1];
	const struct cp_lock_row *r = rows;
	uint64_t lock_ns = a->cause_blocked_ns[CP_REASON_LOCK];
	bool python;

	/* The hottest lock must be a GIL, and hold at least half of the threads' lock waits. */
	if (cp_lock_rows(run, rows, 1) != 1 || !r->gil || !lock_ns || r->wait_ns * 2 < lock_ns ||
	    r->nr_waiters < 2)
		return false;
	python = r->lock->symbol && strcmp(r->lock->symbol, "_PyRuntime") == 0;
	if (python)
		snprintf(buf, len,
			 _("The threads took turns on CPython's GIL (the global interpreter lock, in "
			   "_PyRuntime): %zu threads waited %s for it, %s times (the longest %s), so "
			   "only one ran Python at a time — on average %s of %d cores were busy. A "
			   "thread holds the GIL while it runs bytecode and must offer it to a waiting "
			   "thread after the switch interval (5 ms, sys.getswitchinterval()); it lets "
			   "go while it blocks on I/O, which is why threads still speed up downloads "
			   "but not computing. For CPU-bound Python use processes (multiprocessing, "
			   "ProcessPoolExecutor) or native code that releases the GIL."),
			 r->nr_waiters, cp_l10n(cp_fmt_duration(r->wait_ns)).s,
			 cp_l10n_count(r->waits).s, cp_l10n(cp_fmt_duration(r->max_wait_ns)).s,
			 cp_l10n_fixed(a->cores_busy, 2).s, run->cpus);
	else
		snprintf(buf, len,
			 _("The threads took turns on %s, a global lock that works like CPython's "
			   "GIL: %zu threads waited %s for it, %s times (the longest %s), so only one "
			   "computed at a time — on average %s of %d cores were busy. Processes, or "
			   "finer-grained locks, would let them run at once."),
			 r->lock->symbol, r->nr_waiters, cp_l10n(cp_fmt_duration(r->wait_ns)).s,
			 cp_l10n_count(r->waits).s, cp_l10n(cp_fmt_duration(r->max_wait_ns)).s,
			 cp_l10n_fixed(a->cores_busy, 2).s, run->cpus);
	return true;
}
