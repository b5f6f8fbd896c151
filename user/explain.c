// SPDX-License-Identifier: GPL-2.0
#include "explain.h"

#include "fmt.h"
#include "i18n.h"
#include "locks.h"
#include "syscalls.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* A second reason is named when it took at least this share of the first one's time. */
#define SECOND_REASON_MIN_FRAC 0.25

static const char *const kind_names[CP_NR_FINDING_KINDS] = {
	[CP_FIND_DATA_LOSS] = "data_loss",
	[CP_FIND_MEANING] = "meaning",
	[CP_FIND_IO_BOUND] = "io_bound",
	[CP_FIND_CPU_BOUND] = "cpu_bound",
	[CP_FIND_MOSTLY_WAITING] = "mostly_waiting",
	[CP_FIND_MIXED] = "mixed",
	[CP_FIND_PARALLEL] = "parallel",
	[CP_FIND_CPU_WAIT] = "cpu_wait",
	[CP_FIND_LOCK] = "lock",
	[CP_FIND_GIL] = "gil",
	[CP_FIND_THROUGHPUT] = "throughput",
	[CP_FIND_RUSAGE] = "rusage",
	[CP_FIND_KILLED] = "killed",
};

const char *cp_finding_kind_name(int kind)
{
	return kind >= 0 && kind < CP_NR_FINDING_KINDS ? kind_names[kind] : "?";
}

/* A sentence being built; text past the end is dropped, the NUL always kept. */
struct text {
	char buf[CP_FINDING_LEN];
	size_t len;
};

static void __attribute__((format(printf, 2, 3))) text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->len + 1 >= sizeof(t->buf))
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, sizeof(t->buf) - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len += (size_t)n < sizeof(t->buf) - t->len ? (size_t)n
							      : sizeof(t->buf) - t->len - 1;
}

/* A part of a sentence ("3.57 of 8 cores", "for the network"), translated on its own. */
struct phrase {
	char s[160];
};

static struct phrase __attribute__((format(printf, 1, 2))) phrase(const char *fmt, ...)
{
	struct phrase p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p.s, sizeof(p.s), fmt, ap);
	va_end(ap);
	return p;
}

struct explainer {
	const struct cp_run *run;
	const struct cp_analysis *a;
	struct cp_finding *out;
	size_t max, nr;
};

static void emit(struct explainer *e, int kind, const struct text *t)
{
	struct cp_finding *f;

	if (e->nr >= e->max)
		return;
	f = &e->out[e->nr++];
	f->kind = kind;
	snprintf(f->text, sizeof(f->text), "%s", t->buf);
}

/* Numbers as the report's language writes them ("16.4 s", "16,4 s"). */
static struct cp_fmt duration(uint64_t ns)
{
	return cp_l10n(cp_fmt_duration(ns));
}

static struct cp_fmt pct(double pct)
{
	return cp_l10n(cp_fmt_pct(pct));
}

static struct cp_fmt bytes_approx(double bytes)
{
	return cp_l10n(cp_fmt_bytes_approx(bytes));
}

/* "1.98 of 2 cores", or "1.98 cores" when the CPU count is unknown. */
static struct phrase cores(double busy, int cpus)
{
	if (cpus > 0)
		/* TRANSLATORS: on average this many of the machine's cores: "1.98 of 2 cores". */
		return phrase(ngettext("%s of %d core", "%s of %d cores", cpus),
			      cp_l10n_fixed(busy, 2).s, cpus);
	return phrase(_("%s cores"), cp_l10n_fixed(busy, 2).s);
}

static bool is_io_reason(int reason)
{
	return reason == CP_REASON_NET || reason == CP_REASON_DISK || reason == CP_REASON_PIPE ||
	       reason == CP_REASON_PAGING;
}

/*
 * What blocked threads waited for, with its preposition, to follow "waited" or "waiting": "for
 * the network", "on pipes", "in the syscall ppoll".
 */
static struct phrase reason_object(const struct cp_analysis *a, int reason)
{
	char name[32];

	switch (reason) {
	case CP_REASON_LOCK:
		/* TRANSLATORS: these reasons follow "(they) waited" (esperavam). */
		return phrase("%s", _("for locks"));
	case CP_REASON_SLEEP:
		return phrase("%s", _("for a timer (sleeping)"));
	case CP_REASON_CHILD:
		return phrase("%s", _("for child processes"));
	case CP_REASON_NET:
		return phrase("%s", _("for the network"));
	case CP_REASON_PIPE:
		return phrase("%s", _("on pipes"));
	case CP_REASON_DISK:
		return phrase("%s", _("for the disk"));
	case CP_REASON_PAGING:
		return phrase("%s", _("for page faults (memory read from disk)"));
	default:
		if (a->nr_other_syscalls)
			/* TRANSLATORS: %s is a system call's name: "in the syscall pause". */
			return phrase(_("in the syscall %s"),
				      cp_syscall_describe(a->other_syscalls[0], name,
							  sizeof(name)));
		return phrase("%s", _("in other syscalls"));
	}
}

/* "for the network", "for the network and for the disk": the working threads' leading reasons. */
static struct phrase waited_for(const struct cp_analysis *a)
{
	int first = a->dominant_reason, second = a->second_reason;

	if (second >= 0 &&
	    a->cause_blocked_ns[second] >= SECOND_REASON_MIN_FRAC * a->cause_blocked_ns[first])
		/* TRANSLATORS: two reasons: "for the network and for the disk". */
		return phrase(_("%s and %s"), reason_object(a, first).s,
			      reason_object(a, second).s);
	return reason_object(a, first);
}

/* "CPU worked 994 ms of 16.4 s (6%)", or "... 9.52 s in 2.67 s (357%)" past the wall time. */
static struct phrase cpu_worked(const struct cp_run *run, const struct cp_analysis *a)
{
	/* TRANSLATORS: CPU time, wall time, CPU time as a share of the wall time. */
	return phrase(a->cpu_ns > run->wall_ns ? _("CPU worked %s in %s (%s)")
					       : _("CPU worked %s of %s (%s)"),
		      duration(a->cpu_ns).s, duration(run->wall_ns).s, pct(a->cpu_pct_of_wall).s);
}

/*
 * "94% of the time"; "at least 94% ..." when the profile is a lower bound or an estimate (but
 * not "at least >99%").
 */
static struct phrase idle_share(const struct cp_analysis *a)
{
	bool lower_bound = !a->have_concurrency || !a->concurrency_complete;
	struct cp_fmt share = pct(100 * a->idle_frac);

	if (lower_bound && share.s[0] != '>')
		return phrase(_("at least %s of the time"), share.s);
	return phrase(_("%s of the time"), share.s);
}

static void explain_data_loss(struct explainer *e)
{
	const struct cp_run *run = e->run;
	struct text t = { 0 };

	if (run->lost_events) {
		text_add(&t,
			 ngettext("%llu event could not be recorded (the ring buffer was full): "
				  "per-thread totals are still exact, but the timeline and the "
				  "count of threads on a CPU at once are lower bounds.",
				  "%llu events could not be recorded (the ring buffer was full): "
				  "per-thread totals are still exact, but the timeline and the "
				  "count of threads on a CPU at once are lower bounds.",
				  run->lost_events),
			 (unsigned long long)run->lost_events);
		emit(e, CP_FIND_DATA_LOSS, &t);
	}
	if (run->lost_threads) {
		t = (struct text){ 0 };
		text_add(&t,
			 ngettext("%llu thread could not be tracked (the kernel's thread table was "
				  "full): its time is missing from every figure here.",
				  "%llu threads could not be tracked (the kernel's thread table "
				  "was full): their time is missing from every figure here.",
				  run->lost_threads),
			 (unsigned long long)run->lost_threads);
		emit(e, CP_FIND_DATA_LOSS, &t);
	}
}

/* The lecture's definitions, with this run's figures. */
static void explain_meaning(struct explainer *e)
{
	const struct cp_totals *tot = &e->a->totals;
	struct text t = { 0 };

	text_add(&t,
		 e->run->attached
			 ? _("user %s is time on a CPU in user mode, running the program's own "
			     "code (interpreter, your code, libraries); sys %s is time in kernel "
			     "mode, the kernel working for it (everything that touches hardware: "
			     "storage, network, screen); wall %s is the time that passed on the "
			     "clock on the wall since concprof attached, also called real time.")
			 : _("user %s is time on a CPU in user mode, running the program's own "
			     "code (interpreter, your code, libraries); sys %s is time in kernel "
			     "mode, the kernel working for it (everything that touches hardware: "
			     "storage, network, screen); wall %s is the time that passed on the "
			     "clock on the wall, also called real time."),
		 duration(tot->user_ns).s, duration(tot->sys_ns).s, duration(e->run->wall_ns).s);
	emit(e, CP_FIND_MEANING, &t);
}

/* Mostly no thread on a CPU: waiting for I/O, for a CPU, or for something else. */
static int explain_idle(const struct cp_analysis *a, const struct phrase *worked,
			const struct phrase *share, struct text *t)
{
	uint64_t top_blocked_ns = a->dominant_reason >= 0 ? a->cause_blocked_ns[a->dominant_reason]
							  : 0;

	if (a->cause_runnable_ns > top_blocked_ns) {
		/* Our threads were runnable but not running: someone else had the CPUs. */
		text_add(t,
			 /* TRANSLATORS: "CPU worked ... (6%)", "94% of the time". */
			 _("%s: %s no thread was on a CPU, as they waited for CPUs that other "
			   "programs were using."),
			 worked->s, share->s);
		return CP_FIND_MOSTLY_WAITING;
	}
	if (a->dominant_reason < 0) {
		text_add(t, _("%s: %s no thread was on a CPU."), worked->s, share->s);
		return CP_FIND_MOSTLY_WAITING;
	}
	if (is_io_reason(a->dominant_reason)) {
		/* TRANSLATORS: "CPU worked ... (6%)", "94% of the time", "for the network". */
		text_add(t, _("%s: %s no thread was on a CPU, as they waited %s — I/O bound."),
			 worked->s, share->s, waited_for(a).s);
		return CP_FIND_IO_BOUND;
	}
	text_add(t,
		 _("%s: %s no thread was on a CPU, as they waited %s — neither computing nor "
		   "doing I/O."),
		 worked->s, share->s, waited_for(a).s);
	return CP_FIND_MOSTLY_WAITING;
}

/* Threads on a CPU or waiting for one nearly all the time. */
static void explain_cpu_bound(const struct cp_run *run, const struct cp_analysis *a, struct text *t)
{
	struct phrase kept;

	if (a->nr_busy_threads)
		kept = phrase(ngettext("%zu thread kept %s busy", "%zu threads kept %s busy",
				       a->nr_busy_threads),
			      a->nr_busy_threads, cores(a->cores_busy, run->cpus).s);
	else
		kept = phrase(_("Threads kept %s busy"), cores(a->cores_busy, run->cpus).s);

	if (run->cpus > 1 && a->nr_busy_threads && a->nr_busy_threads < (size_t)run->cpus &&
	    a->cores_busy < run->cpus - 0.5) {
		size_t idle_cores = (size_t)run->cpus - a->nr_busy_threads;

		text_add(t,
			 /* TRANSLATORS: %s is "1 thread kept 1.00 of 2 cores busy". */
			 ngettext("%s: CPU bound — a thread runs on one core at a time, so %zu "
				  "core had nothing to do.",
				  "%s: CPU bound — a thread runs on one core at a time, so %zu "
				  "cores had nothing to do.",
				  idle_cores),
			 kept.s, idle_cores);
	} else if (run->cpus > 1 && a->have_concurrency && a->max_parallelism <= 1) {
		/* Short-lived threads or processes, one after another: a shell loop. */
		text_add(t,
			 ngettext("%s: CPU bound — they ran one at a time, so %d core had nothing "
				  "to do.",
				  "%s: CPU bound — they ran one at a time, so %d cores had nothing "
				  "to do.",
				  run->cpus - 1),
			 kept.s, run->cpus - 1);
	} else {
		text_add(t, _("%s: CPU bound."), kept.s);
	}
}

/* The headline: I/O bound, CPU bound, mostly waiting for something else, or a mix. */
static void explain_bound(struct explainer *e)
{
	const struct cp_run *run = e->run;
	const struct cp_analysis *a = e->a;
	uint64_t working_ns = a->cause_cpu_ns + a->cause_runnable_ns;
	uint64_t waiting_ns = 0;
	struct phrase worked, share;
	double demand_frac;
	struct text t = { 0 };

	if (run->wall_ns == 0 || a->lifetime_ns == 0)
		return;
	/* A shell waiting for its compiler is not why the work waited: children's waits are out. */
	for (int r = 0; r < CP_NR_REASONS; r++)
		if (r != CP_REASON_CHILD)
			waiting_ns += a->cause_blocked_ns[r];
	demand_frac = working_ns + waiting_ns ? (double)working_ns / (working_ns + waiting_ns) : 0;
	worked = cpu_worked(run, a);
	share = idle_share(a);

	if (a->idle_frac >= CP_IO_BOUND_MIN_IDLE_FRAC) {
		int kind = explain_idle(a, &worked, &share, &t);

		emit(e, kind, &t);
		return;
	}
	if (a->idle_frac <= CP_CPU_BOUND_MAX_IDLE_FRAC &&
	    demand_frac >= CP_CPU_BOUND_MIN_DEMAND_FRAC) {
		explain_cpu_bound(run, a, &t);
		emit(e, CP_FIND_CPU_BOUND, &t);
		return;
	}

	if (a->idle_frac <= CP_CPU_BOUND_MAX_IDLE_FRAC) {
		/* Some thread always ran, but the working threads also waited a lot: overlap. */
		struct cp_fmt busy = pct(100 * a->busy_frac);

		if (a->dominant_reason < 0)
			text_add(&t, _("%s: some thread was on a CPU %s of the time."), worked.s,
				 busy.s);
		else if (a->dominant_reason == CP_REASON_LOCK)
			/* A lock in the lead: turn-taking (a GIL), not parallel work. */
			text_add(&t,
				 _("%s: some thread was on a CPU %s of the time, while others "
				   "waited %s — they took turns."),
				 worked.s, busy.s, waited_for(a).s);
		else
			text_add(&t,
				 _("%s: some thread was on a CPU %s of the time, while others "
				   "waited %s — the waits overlapped with work."),
				 worked.s, busy.s, waited_for(a).s);
	} else if (a->dominant_reason < 0) {
		text_add(&t, _("%s: %s no thread was on a CPU — partly computing, partly waiting."),
			 worked.s, share.s);
	} else {
		text_add(&t,
			 _("%s: %s no thread was on a CPU, as they waited %s — partly computing, "
			   "partly waiting."),
			 worked.s, share.s, waited_for(a).s);
	}
	emit(e, CP_FIND_MIXED, &t);
}

static void explain_parallel(struct explainer *e)
{
	const struct cp_analysis *a = e->a;
	struct text t = { 0 };

	if (e->run->wall_ns == 0 || a->cores_busy < CP_PARALLEL_MIN_CORES)
		return;
	if (a->have_concurrency)
		text_add(&t,
			 /* TRANSLATORS: CPU, wall, "3.57 of 8 cores"[, share of the wall]. */
			 _("user + sys (%s) is more than wall (%s) because threads ran on several "
			   "cores at once: %s busy on average, and 2 or more threads were on a "
			   "CPU %s of the time."),
			 duration(a->cpu_ns).s, duration(e->run->wall_ns).s,
			 cores(a->cores_busy, e->run->cpus).s, pct(100 * a->parallel_frac).s);
	else
		text_add(&t,
			 _("user + sys (%s) is more than wall (%s) because threads ran on several "
			   "cores at once: %s busy on average."),
			 duration(a->cpu_ns).s, duration(e->run->wall_ns).s,
			 cores(a->cores_busy, e->run->cpus).s);
	emit(e, CP_FIND_PARALLEL, &t);
}

static void explain_cpu_wait(struct explainer *e)
{
	const struct cp_run *run = e->run;
	const struct cp_analysis *a = e->a;
	double demand = a->cpu_demand;
	/* "4 runnable threads", but "2.6 runnable threads" when the average is not whole. */
	int decimals = fabs(demand - round(demand)) < 0.05 ? 0 : 1;
	/* ngettext's n for "1 thread", "1.5 threads", "4 threads". */
	unsigned long demand_n = decimals ? 2 : (unsigned long)round(demand);
	/* More threads wanted a CPU than there are cores... */
	bool oversubscribed = demand > run->cpus + 0.5;
	/* ...or the cores they could have had were not theirs. */
	bool others = a->cores_busy < fmin(demand, run->cpus) - 0.5;
	struct cp_fmt waited = duration(a->runnable_ns), share = pct(100 * a->runnable_share);
	struct cp_fmt wanting = cp_l10n_fixed(demand, decimals);
	struct phrase machine_cores = phrase(ngettext("%d core", "%d cores", run->cpus), run->cpus);
	struct text t = { 0 };

	if (a->runnable_ns < CP_FINDING_MIN_NS || a->runnable_share < CP_CPU_WAIT_MIN_FRAC)
		return;
	if (run->cpus <= 0) {
		text_add(&t,
			 /* TRANSLATORS: time, share of lives, threads wanting a CPU ("2.6"). */
			 ngettext("Threads waited %s for a CPU (%s of their lives): on average %s "
				  "thread wanted a CPU.",
				  "Threads waited %s for a CPU (%s of their lives): on average %s "
				  "threads wanted a CPU.",
				  demand_n),
			 waited.s, share.s, wanting.s);
	} else if (oversubscribed && others) {
		/* Wanting more cores than there are, yet not using them all: someone else did. */
		text_add(&t,
			 _("Threads waited %s for a CPU (%s of their lives): on average %s "
			   "runnable threads shared %s, and as they kept only %s busy, other "
			   "programs were using the rest."),
			 waited.s, share.s, wanting.s, machine_cores.s,
			 cp_l10n_fixed(a->cores_busy, 2).s);
	} else if (oversubscribed) {
		text_add(&t,
			 _("Threads waited %s for a CPU (%s of their lives): on average %s "
			   "runnable threads shared %s — more threads than cores, so they took "
			   "turns."),
			 waited.s, share.s, wanting.s, machine_cores.s);
	} else if (others) {
		text_add(&t,
			 ngettext("Threads waited %s for a CPU (%s of their lives): on average %s "
				  "thread wanted a CPU, yet only %s ran it: other programs were "
				  "using the rest.",
				  "Threads waited %s for a CPU (%s of their lives): on average %s "
				  "threads wanted a CPU, yet only %s ran them: other programs were "
				  "using the rest.",
				  demand_n),
			 waited.s, share.s, wanting.s, cores(a->cores_busy, run->cpus).s);
	} else {
		/* Enough cores on average: the waits came from moments with more, or wakeups. */
		text_add(&t,
			 ngettext("Threads waited %s for a CPU (%s of their lives): on average %s "
				  "thread wanted a CPU, fewer than the %s: the waits came from "
				  "moments when more wanted one at once, or from the scheduler's "
				  "delay after a wakeup.",
				  "Threads waited %s for a CPU (%s of their lives): on average %s "
				  "threads wanted a CPU, fewer than the %s: the waits came from "
				  "moments when more wanted one at once, or from the scheduler's "
				  "delay after a wakeup.",
				  demand_n),
			 waited.s, share.s, wanting.s, machine_cores.s);
	}
	emit(e, CP_FIND_CPU_WAIT, &t);
}

static void explain_lock(struct explainer *e)
{
	const struct cp_run *run = e->run;
	const struct cp_analysis *a = e->a;
	uint64_t lock_ns = a->cause_blocked_ns[CP_REASON_LOCK];
	size_t n = a->nr_lock_threads;
	struct text t = { 0 };

	if (lock_ns < CP_FINDING_MIN_NS || a->lock_share < CP_LOCK_MIN_FRAC)
		return;
	if (run->cpus > 1 && a->cores_busy < 0.75 * run->cpus)
		text_add(&t,
			 /* TRANSLATORS: threads, time, share of lives[, "0.50 of 2 cores"]. */
			 ngettext("%zu thread spent %s (%s of its life) blocked on locks (futex: "
				  "mutexes, condition variables, CPython's GIL) — lock contention: "
				  "a lock lets one thread in at a time, so on average only %s were "
				  "busy.",
				  "%zu threads spent %s (%s of their lives) blocked on locks "
				  "(futex: mutexes, condition variables, CPython's GIL) — lock "
				  "contention: a lock lets one thread in at a time, so on average "
				  "only %s were busy.",
				  n),
			 n, duration(lock_ns).s, pct(100 * a->lock_share).s,
			 cores(a->cores_busy, run->cpus).s);
	else
		text_add(&t,
			 ngettext("%zu thread spent %s (%s of its life) blocked on locks (futex: "
				  "mutexes, condition variables, CPython's GIL) — lock contention.",
				  "%zu threads spent %s (%s of their lives) blocked on locks "
				  "(futex: mutexes, condition variables, CPython's GIL) — lock "
				  "contention.",
				  n),
			 n, duration(lock_ns).s, pct(100 * a->lock_share).s);
	emit(e, CP_FIND_LOCK, &t);
}

/*
 * Bytes moved are worth a sentence when waiting for them shaped the wall time, or when there
 * were many: a Python program reading its own modules from the page cache is neither. sentence
 * takes the bytes, the wall time and the rate.
 */
static void throughput(struct explainer *e, uint64_t bytes, double per_s, const char *sentence,
		       uint64_t waited_ns)
{
	uint64_t wall = e->run->wall_ns;
	struct text t = { 0 };

	if (bytes < CP_THROUGHPUT_MIN_BYTES || wall == 0 ||
	    (waited_ns < CP_THROUGHPUT_MIN_WAIT_FRAC * wall && bytes < CP_THROUGHPUT_MANY_BYTES))
		return;
	text_add(&t, sentence, bytes_approx((double)bytes).s, duration(wall).s,
		 bytes_approx(per_s).s);
	emit(e, CP_FIND_THROUGHPUT, &t);
}

static void explain_throughput(struct explainer *e)
{
	const struct cp_totals *tot = &e->a->totals;
	const struct cp_analysis *a = e->a;
	const uint64_t *waited = tot->blocked_ns;

	throughput(e, tot->net_rx_bytes, a->net_rx_per_s,
		   /* TRANSLATORS: bytes, wall, bytes per second: "≈ 20 MB ... ≈ 1.2 MB/s". */
		   _("≈ %s from the network in %s: ≈ %s/s."), waited[CP_REASON_NET]);
	throughput(e, tot->net_tx_bytes, a->net_tx_per_s, _("≈ %s to the network in %s: ≈ %s/s."),
		   waited[CP_REASON_NET]);
	throughput(e, tot->disk_read_bytes, a->disk_read_per_s,
		   _("≈ %s read from disk in %s: ≈ %s/s."), waited[CP_REASON_DISK]);
	throughput(e, tot->disk_write_bytes, a->disk_write_per_s,
		   _("≈ %s written to disk in %s: ≈ %s/s."), waited[CP_REASON_DISK]);
	throughput(e, a->pipe_bytes, a->pipe_per_s, _("≈ %s through pipes in %s: ≈ %s/s."),
		   waited[CP_REASON_PIPE]);
}

static bool differs(uint64_t kernel_ns, uint64_t exact_ns)
{
	uint64_t diff = kernel_ns > exact_ns ? kernel_ns - exact_ns : exact_ns - kernel_ns;

	return diff > CP_RUSAGE_TOLERANCE_NS && diff > CP_RUSAGE_TOLERANCE_FRAC * exact_ns;
}

/* Why `time` (the kernel's sampled user/sys) and concprof (exact) disagree. */
static void explain_rusage(struct explainer *e)
{
	const struct cp_run *run = e->run;
	const struct cp_totals *tot = &e->a->totals;
	uint64_t kernel_cpu = run->rusage_user_ns + run->rusage_sys_ns;
	struct phrase tick = { "" };
	struct text t = { 0 };

	if (!run->have_rusage || (!differs(run->rusage_user_ns, tot->user_ns) &&
				  !differs(run->rusage_sys_ns, tot->sys_ns)))
		return;
	if (run->kernel_hz > 0)
		/* TRANSLATORS: follows "at each timer tick": HZ, then the tick ("4.00 ms"). */
		tick = phrase(_(" (HZ=%d: every %s)"), run->kernel_hz,
			      duration(1000000000ULL / run->kernel_hz).s);
	text_add(&t,
		 /* TRANSLATORS: the kernel's user and sys, concprof's, then " (HZ=250: ...)". */
		 _("The kernel's own figures, the ones `time` shows, are user %s and sys %s "
		   "(concprof: %s and %s): the kernel samples who is running at each timer tick%s "
		   "and scales, while concprof times every switch and syscall exactly"),
		 duration(run->rusage_user_ns).s, duration(run->rusage_sys_ns).s,
		 duration(tot->user_ns).s, duration(tot->sys_ns).s, tick.s);
	/* The kernel's syscall entry and exit code runs outside the tracepoints concprof times. */
	if (run->rusage_sys_ns > tot->sys_ns && differs(run->rusage_sys_ns, tot->sys_ns)) {
		if (tot->syscalls)
			text_add(
				&t,
				ngettext(
					"; page faults, interrupts and the kernel's entry and exit "
					"code around the %s syscall count as sys for the kernel "
					"but as user for concprof",
					"; page faults, interrupts and the kernel's entry and exit "
					"code around each of the %s syscalls count as sys for the "
					"kernel but as user for concprof",
					tot->syscalls),
				cp_l10n_count(tot->syscalls).s);
		else
			text_add(&t, "%s",
				 _("; page faults, interrupts and the kernel's entry and exit code "
				   "around each syscall count as sys for the kernel but as user "
				   "for concprof"));
	}
	if (run->nr_procs > 1 && kernel_cpu < e->a->cpu_ns && differs(kernel_cpu, e->a->cpu_ns))
		text_add(&t, "%s",
			 _("; and the kernel adds a child's time only once the child has been "
			   "waited for (reaped)"));
	if (run->lost_threads)
		text_add(&t, "%s", _("; and concprof misses the threads it could not track"));
	text_add(&t, ".");
	emit(e, CP_FIND_RUSAGE, &t);
}

static void explain_killed(struct explainer *e)
{
	const struct cp_run *run = e->run;
	struct text t = { 0 };

	if (run->attached || run->term_signal <= 0)
		return;
	/* TRANSLATORS: a signal's name ("SIGINT"), then the exit status (130). */
	text_add(&t, _("The program was ended by %s (exit status %d): the figures stop there."),
		 cp_fmt_signal(run->term_signal).s, run->exit_code);
	emit(e, CP_FIND_KILLED, &t);
}

size_t cp_explain(const struct cp_run *run, const struct cp_analysis *a, struct cp_finding *out,
		  size_t max)
{
	struct explainer e = { .run = run, .a = a, .out = out, .max = max };

	explain_data_loss(&e);
	explain_meaning(&e);
	explain_bound(&e);
	explain_parallel(&e);
	explain_cpu_wait(&e);
	explain_lock(&e);
	if (e.nr < e.max && cp_gil_finding(run, a, e.out[e.nr].text, sizeof(e.out[e.nr].text)))
		e.out[e.nr++].kind = CP_FIND_GIL;
	explain_throughput(&e);
	explain_rusage(&e);
	explain_killed(&e);
	return e.nr;
}
