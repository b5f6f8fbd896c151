// SPDX-License-Identifier: GPL-2.0
#include "analyze.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A non-waiter blocked on locks for this share of its life counts as one of the lock's threads. */
#define LOCK_THREAD_MIN_FRAC 0.1
/* Distinct "other" syscalls tallied; any beyond are rare enough to leave unnamed. */
#define MAX_OTHER_SYSCALLS 16

uint64_t cp_thread_lifetime_ns(const struct cp_thread *t)
{
	return t->end_ns > t->start_ns ? t->end_ns - t->start_ns : 0;
}

uint64_t cp_process_lifetime_ns(const struct cp_process *p)
{
	return p->end_ns > p->start_ns ? p->end_ns - p->start_ns : 0;
}

static double ratio(double part, double whole)
{
	return whole > 0 ? part / whole : 0;
}

/*
 * A thread's lifetime by construction is user + sys + runnable + blocked; the collector's
 * start/end stamps should agree, but the sum is what every figure here is made of.
 */
static uint64_t thread_accounted_ns(const struct cp_thread *t)
{
	return t->user_ns + t->sys_ns + cp_thread_runnable_ns(t) + cp_thread_blocked_ns(t);
}

/*
 * Both ends of the pipes traced: about as many bytes read as written. Bytes read from a pipe that
 * an outside process fills (`gen | concprof prog`) have no traced writer: that is real input.
 */
static bool pipes_internal(const struct cp_totals *t)
{
	uint64_t rd = t->pipe_read_bytes, wr = t->pipe_write_bytes;

	return rd && wr && (rd < wr ? rd >= wr / 2 : wr >= rd / 2);
}

/*
 * Waits for the rest of the program: joins and other futex waits, wait4, and reads of pipes that
 * traced processes write (a parent collecting its workers' results).
 */
static uint64_t program_waits_ns(const struct cp_thread *t, bool pipes_internal)
{
	return t->blocked_ns[CP_REASON_LOCK] + t->blocked_ns[CP_REASON_CHILD] +
	       (pipes_internal ? t->blocked_ns[CP_REASON_PIPE] : 0);
}

static bool is_waiter(const struct cp_run *run, const struct cp_thread *t, bool pipes_internal)
{
	uint64_t life = thread_accounted_ns(t);
	uint64_t waits = program_waits_ns(t, pipes_internal);

	if (run->nr_threads < 2 || life == 0)
		return false;
	return waits >= CP_WAITER_MIN_WAIT_FRAC * life &&
	       t->user_ns + t->sys_ns <= CP_WAITER_MAX_CPU_FRAC * life;
}

/*
 * A thread's activity, the tables' first sort key: the time it spent working or waiting for a
 * resource, i.e. its lifetime less its waits for the rest of the program (wait4 always; all of
 * program_waits_ns() for a waiter thread). Sorting by plain lifetime would put first a shell or a
 * main thread that only waited for the children and workers listed below it; sorting by CPU time
 * alone would bury an I/O-bound thread that explains the wall time. CPU time breaks ties (see
 * CP_SORT_STEP_FRAC).
 */
static uint64_t thread_activity_ns(const struct cp_thread *t, bool waiter, bool pipes_internal)
{
	if (waiter)
		return thread_accounted_ns(t) - program_waits_ns(t, pipes_internal);
	return thread_accounted_ns(t) - t->blocked_ns[CP_REASON_CHILD];
}

static void analyze_concurrency(const struct cp_run *run, struct cp_analysis *a)
{
	const struct cp_concurrency *c = &run->concurrency;
	uint64_t profiled_ns = 0, busy_ns = 0, weighted_ns = 0, parallel_ns = 0;
	double wall;

	for (size_t k = 0; c->ns_at && k < c->nr_levels; k++) {
		profiled_ns += c->ns_at[k];
		if (k >= 1 && c->ns_at[k]) {
			busy_ns += c->ns_at[k];
			/* k * ns_at[k] fits: k is at most the CPU count, ns_at[k] <= wall. */
			weighted_ns += k * c->ns_at[k];
			a->max_parallelism = k;
		}
		if (k >= 2)
			parallel_ns += c->ns_at[k];
	}
	/* The wall time is the denominator; a profile that lost events covers less of it. */
	wall = run->wall_ns ? (double)run->wall_ns : (double)profiled_ns;
	if (profiled_ns == 0) {
		/*
		 * No profile: threads were on a CPU during at most cpu_ns of the wall time (exactly
		 * that if they ran one at a time), so 1 - cpu / wall is a lower bound on the idle
		 * share.
		 */
		a->have_concurrency = false;
		a->idle_frac = a->cores_busy < 1 ? 1 - a->cores_busy : 0;
		a->idle_ns = (uint64_t)(a->idle_frac * wall);
		a->busy_frac = 1 - a->idle_frac;
		a->mean_parallelism = ratio(a->cores_busy, a->busy_frac);
		return;
	}
	a->have_concurrency = true;
	a->concurrency_complete = c->complete;
	a->idle_ns = c->ns_at[0];
	a->idle_frac = ratio((double)a->idle_ns, wall);
	a->busy_frac = ratio((double)busy_ns, wall);
	a->parallel_frac = ratio((double)parallel_ns, wall);
	a->mean_parallelism = ratio((double)weighted_ns, (double)busy_ns);
	if (a->idle_frac > 1)
		a->idle_frac = 1;
	if (a->busy_frac > 1)
		a->busy_frac = 1;
	if (a->parallel_frac > 1)
		a->parallel_frac = 1;
}

static void tally_other_syscall(int32_t nr, uint64_t ns, int32_t *nrs, uint64_t *sums,
				size_t *count)
{
	for (size_t i = 0; i < *count; i++) {
		if (nrs[i] == nr) {
			sums[i] += ns;
			return;
		}
	}
	if (*count < MAX_OTHER_SYSCALLS) {
		nrs[*count] = nr;
		sums[*count] = ns;
		(*count)++;
	}
}

static void analyze_threads(const struct cp_run *run, struct cp_analysis *a)
{
	int32_t other_nrs[MAX_OTHER_SYSCALLS];
	uint64_t other_sums[MAX_OTHER_SYSCALLS];
	size_t nr_other = 0;
	uint64_t best = 0, second = 0;

	for (size_t i = 0; i < run->nr_threads; i++) {
		const struct cp_thread *t = &run->threads[i];
		uint64_t life = thread_accounted_ns(t);
		uint64_t cpu = t->user_ns + t->sys_ns;

		if (is_waiter(run, t, a->pipes_internal)) {
			a->nr_waiters++;
		} else {
			a->cause_lifetime_ns += life;
			a->cause_cpu_ns += cpu;
			a->cause_runnable_ns += cp_thread_runnable_ns(t);
			for (int r = 0; r < CP_NR_REASONS; r++)
				a->cause_blocked_ns[r] += t->blocked_ns[r];
			if (life && t->blocked_ns[CP_REASON_LOCK] >= LOCK_THREAD_MIN_FRAC * life)
				a->nr_lock_threads++;
		}
		/* Busy threads name who kept the cores busy: short-lived ones are not "who". */
		if (life && cpu + cp_thread_runnable_ns(t) >= CP_BUSY_THREAD_MIN_FRAC * life &&
		    cp_thread_lifetime_ns(t) >= CP_SHORT_LIVED_FRAC * run->wall_ns)
			a->nr_busy_threads++;
		if (t->blocked_ns[CP_REASON_OTHER] && t->other_syscall >= 0)
			tally_other_syscall(t->other_syscall, t->blocked_ns[CP_REASON_OTHER],
					    other_nrs, other_sums, &nr_other);
	}
	/*
	 * Waiting for the program's own processes explains nothing by itself: the children's own
	 * time does, and so does the time of the process at the other end of a pipe when both ends
	 * are traced (`dd | md5sum`: dd waits while md5sum computes). Such waits stay in
	 * cause_blocked_ns (the totals show them) but lead only when nothing else was waited on.
	 */
	a->dominant_reason = a->second_reason = -1;
	for (int r = 0; r < CP_NR_REASONS; r++) {
		uint64_t ns = a->cause_blocked_ns[r];

		if (r == CP_REASON_CHILD || (r == CP_REASON_PIPE && a->pipes_internal) || ns == 0)
			continue;
		if (ns > best) {
			a->second_reason = a->dominant_reason, second = best;
			a->dominant_reason = r, best = ns;
		} else if (ns > second) {
			a->second_reason = r, second = ns;
		}
	}
	if (a->dominant_reason < 0 && a->pipes_internal && a->cause_blocked_ns[CP_REASON_PIPE])
		a->dominant_reason = CP_REASON_PIPE;
	if (a->dominant_reason < 0 && a->cause_blocked_ns[CP_REASON_CHILD])
		a->dominant_reason = CP_REASON_CHILD;

	a->runnable_share = ratio((double)a->cause_runnable_ns, (double)a->cause_lifetime_ns);
	a->lock_share =
		ratio((double)a->cause_blocked_ns[CP_REASON_LOCK], (double)a->cause_lifetime_ns);

	/* The few "other" syscalls with the most blocked time, for naming them. */
	for (size_t n = 0; n < sizeof(a->other_syscalls) / sizeof(a->other_syscalls[0]); n++) {
		size_t top = nr_other;

		for (size_t i = 0; i < nr_other; i++)
			if (other_sums[i] && (top == nr_other || other_sums[i] > other_sums[top]))
				top = i;
		if (top == nr_other)
			break;
		a->other_syscalls[a->nr_other_syscalls++] = other_nrs[top];
		other_sums[top] = 0;
	}
}

/* --- table rows ------------------------------------------------------------------------ */

/* Everything a sort needs, so that qsort needs no context (and no global state). */
struct thread_info {
	size_t index;	  /* into run->threads */
	const char *comm; /* CP_COMM_LEN bytes, maybe without a NUL */
	bool groupable;
	bool process_main;
	uint64_t activity_ns;
};

/* Groupable threads first, then by name and role, then in recording order. */
static int compare_thread_group_key(const void *x, const void *y)
{
	const struct thread_info *a = x, *b = y;
	int cmp;

	if (a->groupable != b->groupable)
		return a->groupable ? -1 : 1;
	if (a->groupable) {
		cmp = strncmp(a->comm, b->comm, CP_COMM_LEN);
		if (cmp)
			return cmp;
		if (a->process_main != b->process_main)
			return a->process_main ? -1 : 1;
	}
	return (a->index > b->index) - (a->index < b->index);
}

static void add_thread_to_row(struct cp_thread_row *row, const struct cp_thread *t,
			      uint64_t activity_ns)
{
	struct cp_thread *s = &row->sum;

	if (row->count == 0) {
		*s = *t;
	} else {
		if (t->start_ns < s->start_ns)
			s->start_ns = t->start_ns;
		if (t->end_ns > s->end_ns)
			s->end_ns = t->end_ns;
		s->exited = s->exited && t->exited;
		s->user_ns += t->user_ns;
		s->sys_ns += t->sys_ns;
		s->runnable_preempted_ns += t->runnable_preempted_ns;
		s->runnable_woken_ns += t->runnable_woken_ns;
		for (int r = 0; r < CP_NR_REASONS; r++)
			s->blocked_ns[r] += t->blocked_ns[r];
		if (t->blocked_ns[CP_REASON_OTHER] && t->other_syscall >= 0)
			s->other_syscall = t->other_syscall;
		s->voluntary_switches += t->voluntary_switches;
		s->involuntary_switches += t->involuntary_switches;
		s->migrations += t->migrations;
		s->net_rx_bytes += t->net_rx_bytes;
		s->net_tx_bytes += t->net_tx_bytes;
		s->disk_read_bytes += t->disk_read_bytes;
		s->disk_write_bytes += t->disk_write_bytes;
		s->pipe_read_bytes += t->pipe_read_bytes;
		s->pipe_write_bytes += t->pipe_write_bytes;
	}
	row->count++;
	row->lifetime_ns += thread_accounted_ns(t);
	row->activity_ns += activity_ns;
}

static int compare_thread_rows(const void *x, const void *y)
{
	const struct cp_thread_row *a = x, *b = y;
	uint64_t cpu_a = a->sum.user_ns + a->sum.sys_ns, cpu_b = b->sum.user_ns + b->sum.sys_ns;

	if (a->sort_bucket != b->sort_bucket)
		return a->sort_bucket > b->sort_bucket ? -1 : 1;
	if (cpu_a != cpu_b)
		return cpu_a > cpu_b ? -1 : 1;
	if (a->activity_ns != b->activity_ns)
		return a->activity_ns > b->activity_ns ? -1 : 1;
	return (a->sum.tid > b->sum.tid) - (a->sum.tid < b->sum.tid);
}

/* The size of one sort step (CP_SORT_STEP_FRAC of the wall time), at least 1 ns. */
static uint64_t sort_step_ns(const struct cp_run *run)
{
	uint64_t step = (uint64_t)(CP_SORT_STEP_FRAC * run->wall_ns);

	return step ? step : 1;
}

static bool short_lived(uint64_t lifetime_ns, uint64_t wall_ns)
{
	return wall_ns && lifetime_ns < CP_SHORT_LIVED_FRAC * wall_ns;
}

static int build_thread_rows(const struct cp_run *run, struct cp_analysis *a,
			     uint64_t *activity_out)
{
	size_t n = run->nr_threads, nr_rows = 0;
	struct thread_info *info = calloc(n ? n : 1, sizeof(*info));
	struct cp_thread_row *rows = calloc(n ? n : 1, sizeof(*rows));

	if (!info || !rows) {
		free(info);
		free(rows);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const struct cp_thread *t = &run->threads[i];

		info[i].index = i;
		info[i].comm = t->comm;
		info[i].process_main = t->tid == t->pid;
		info[i].activity_ns = thread_activity_ns(t, is_waiter(run, t, a->pipes_internal),
							 a->pipes_internal);
		/* The launched program's own main thread always keeps its row. */
		info[i].groupable = short_lived(cp_thread_lifetime_ns(t), run->wall_ns) &&
				    t->tid != run->root_pid;
		activity_out[i] = info[i].activity_ns;
	}
	qsort(info, n, sizeof(*info), compare_thread_group_key);
	for (size_t i = 0; i < n;) {
		size_t end = i + 1;

		if (info[i].groupable) {
			while (end < n && info[end].groupable &&
			       strncmp(info[i].comm, info[end].comm, CP_COMM_LEN) == 0 &&
			       info[end].process_main == info[i].process_main)
				end++;
			if (end - i < CP_GROUP_MIN_THREADS)
				end = i + 1;
		}
		for (size_t j = i; j < end; j++)
			add_thread_to_row(&rows[nr_rows], &run->threads[info[j].index],
					  info[j].activity_ns);
		rows[nr_rows].process_main = info[i].process_main;
		nr_rows++;
		i = end;
	}
	for (size_t i = 0; i < nr_rows; i++)
		rows[i].sort_bucket = rows[i].activity_ns / sort_step_ns(run);
	qsort(rows, nr_rows, sizeof(*rows), compare_thread_rows);
	free(info);
	a->thread_rows = rows;
	a->nr_thread_rows = nr_rows;
	return 0;
}

struct process_info {
	size_t index;	  /* into run->procs */
	const char *comm; /* CP_COMM_LEN bytes, maybe without a NUL */
	bool groupable;
	size_t nr_threads;
	uint64_t user_ns, sys_ns, activity_ns;
};

/* Groupable processes first, then by name, then in recording order. */
static int compare_process_group_key(const void *x, const void *y)
{
	const struct process_info *a = x, *b = y;
	int cmp;

	if (a->groupable != b->groupable)
		return a->groupable ? -1 : 1;
	if (a->groupable) {
		cmp = strncmp(a->comm, b->comm, CP_COMM_LEN);
		if (cmp)
			return cmp;
	}
	return (a->index > b->index) - (a->index < b->index);
}

static int compare_pid(const void *key, const void *elem)
{
	const struct cp_process *p = *(const struct cp_process *const *)elem;
	int32_t pid = *(const int32_t *)key;

	return (pid > p->pid) - (pid < p->pid);
}

static int compare_process_ptr(const void *x, const void *y)
{
	const struct cp_process *a = *(const struct cp_process *const *)x;
	const struct cp_process *b = *(const struct cp_process *const *)y;

	return (a->pid > b->pid) - (a->pid < b->pid);
}

static int compare_process_rows(const void *x, const void *y)
{
	const struct cp_process_row *a = x, *b = y;

	if (a->sort_bucket != b->sort_bucket)
		return a->sort_bucket > b->sort_bucket ? -1 : 1;
	if (a->user_ns + a->sys_ns != b->user_ns + b->sys_ns)
		return a->user_ns + a->sys_ns > b->user_ns + b->sys_ns ? -1 : 1;
	if (a->activity_ns != b->activity_ns)
		return a->activity_ns > b->activity_ns ? -1 : 1;
	return (a->proc.pid > b->proc.pid) - (a->proc.pid < b->proc.pid);
}

static bool same_end(const struct cp_process *x, const struct cp_process *y)
{
	return x->exited == y->exited && x->exit_code == y->exit_code &&
	       x->term_signal == y->term_signal;
}

static void add_process_to_row(struct cp_process_row *row, const struct cp_process *p,
			       const struct process_info *info)
{
	if (row->count == 0) {
		row->proc = *p;
		row->same_exit = true;
	} else {
		if (p->start_ns < row->proc.start_ns)
			row->proc.start_ns = p->start_ns;
		if (p->end_ns > row->proc.end_ns)
			row->proc.end_ns = p->end_ns;
		row->same_exit = row->same_exit && same_end(&row->proc, p);
	}
	row->count++;
	row->nr_alive += !p->exited;
	row->nr_threads += info->nr_threads;
	row->lifetime_ns += cp_process_lifetime_ns(p);
	row->user_ns += info->user_ns;
	row->sys_ns += info->sys_ns;
	row->activity_ns += info->activity_ns;
}

/*
 * Short-lived processes alike in name group the way threads do: 200 `sh -c` children make one
 * row. Threads find their process through a pid-sorted index.
 */
static int build_process_rows(const struct cp_run *run, struct cp_analysis *a,
			      const uint64_t *activity)
{
	size_t n = run->nr_procs, nr_rows = 0;
	const struct cp_process **by_pid = calloc(n ? n : 1, sizeof(*by_pid));
	struct process_info *info = calloc(n ? n : 1, sizeof(*info));
	struct process_info *sorted = calloc(n ? n : 1, sizeof(*sorted));
	struct cp_process_row *rows = calloc(n ? n : 1, sizeof(*rows));
	int err = -ENOMEM;

	if (!by_pid || !info || !sorted || !rows)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct cp_process *p = &run->procs[i];

		by_pid[i] = p;
		info[i].index = i;
		info[i].comm = p->comm;
		info[i].groupable = short_lived(cp_process_lifetime_ns(p), run->wall_ns) &&
				    p->pid != run->root_pid;
	}
	qsort(by_pid, n, sizeof(*by_pid), compare_process_ptr);
	for (size_t i = 0; i < run->nr_threads; i++) {
		const struct cp_thread *t = &run->threads[i];
		const struct cp_process **found =
			bsearch(&t->pid, by_pid, n, sizeof(*by_pid), compare_pid);
		struct process_info *pi;

		if (!found)
			continue; /* a thread of a process the collector did not record */
		pi = &info[*found - run->procs];
		pi->nr_threads++;
		pi->user_ns += t->user_ns;
		pi->sys_ns += t->sys_ns;
		pi->activity_ns += activity[i];
	}
	memcpy(sorted, info, n * sizeof(*info));
	qsort(sorted, n, sizeof(*sorted), compare_process_group_key);
	for (size_t i = 0; i < n;) {
		size_t end = i + 1;

		if (sorted[i].groupable) {
			while (end < n && sorted[end].groupable &&
			       strncmp(sorted[i].comm, sorted[end].comm, CP_COMM_LEN) == 0)
				end++;
			if (end - i < CP_GROUP_MIN_THREADS)
				end = i + 1;
		}
		for (size_t j = i; j < end; j++)
			add_process_to_row(&rows[nr_rows], &run->procs[sorted[j].index],
					   &sorted[j]);
		nr_rows++;
		i = end;
	}
	for (size_t i = 0; i < nr_rows; i++)
		rows[i].sort_bucket = rows[i].activity_ns / sort_step_ns(run);
	qsort(rows, nr_rows, sizeof(*rows), compare_process_rows);
	a->process_rows = rows;
	a->nr_process_rows = nr_rows;
	rows = NULL;
	err = 0;
out:
	free(by_pid);
	free(info);
	free(sorted);
	free(rows);
	return err;
}

int cp_analyze(const struct cp_run *run, struct cp_analysis *out)
{
	struct cp_analysis *a = out;
	const struct cp_totals *t = &a->totals;
	double wall_s = (double)run->wall_ns / 1e9;
	uint64_t *activity;
	int err;

	*a = (struct cp_analysis){ 0 };
	cp_run_totals(run, &a->totals);
	a->cpu_ns = t->user_ns + t->sys_ns;
	a->runnable_ns = t->runnable_preempted_ns + t->runnable_woken_ns;
	a->blocked_ns = cp_totals_blocked_ns(t);
	a->lifetime_ns = a->cpu_ns + a->runnable_ns + a->blocked_ns;
	a->cpu_pct_of_wall = 100 * ratio((double)a->cpu_ns, (double)run->wall_ns);
	a->cores_busy = ratio((double)a->cpu_ns, (double)run->wall_ns);
	a->cpu_demand = ratio((double)(a->cpu_ns + a->runnable_ns), (double)run->wall_ns);

	a->pipes_internal = pipes_internal(t);
	analyze_concurrency(run, a);
	analyze_threads(run, a);

	a->net_bytes = t->net_rx_bytes + t->net_tx_bytes;
	a->disk_bytes = t->disk_read_bytes + t->disk_write_bytes;
	a->pipe_bytes =
		t->pipe_read_bytes > t->pipe_write_bytes ? t->pipe_read_bytes : t->pipe_write_bytes;
	a->net_rx_per_s = ratio((double)t->net_rx_bytes, wall_s);
	a->net_tx_per_s = ratio((double)t->net_tx_bytes, wall_s);
	a->disk_read_per_s = ratio((double)t->disk_read_bytes, wall_s);
	a->disk_write_per_s = ratio((double)t->disk_write_bytes, wall_s);
	a->pipe_per_s = ratio((double)a->pipe_bytes, wall_s);

	activity = calloc(run->nr_threads ? run->nr_threads : 1, sizeof(*activity));
	if (!activity)
		return -ENOMEM;
	err = build_thread_rows(run, a, activity);
	if (!err)
		err = build_process_rows(run, a, activity);
	free(activity);
	if (err)
		cp_analysis_free(a);
	return err;
}

void cp_analysis_free(struct cp_analysis *a)
{
	if (!a)
		return;
	free(a->thread_rows);
	free(a->process_rows);
	a->thread_rows = NULL;
	a->process_rows = NULL;
	a->nr_thread_rows = 0;
	a->nr_process_rows = 0;
}
