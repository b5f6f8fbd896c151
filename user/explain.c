// SPDX-License-Identifier: GPL-2.0
#include "explain.h"

#include "fmt.h"
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

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* "1.98 of 2 cores", or "1.98 cores" when the CPU count is unknown. */
static void add_cores(struct text *t, double cores, int cpus)
{
	if (cpus > 0)
		text_add(t, "%.2f of %d core%s", cores, cpus, plural(cpus));
	else
		text_add(t, "%.2f cores", cores);
}

static bool is_io_reason(int reason)
{
	return reason == CP_REASON_NET || reason == CP_REASON_DISK || reason == CP_REASON_PIPE ||
	       reason == CP_REASON_PAGING;
}

/* What a blocked thread waited for, to follow "waiting": "for the network", "in ppoll". */
static void add_reason_object(struct text *t, const struct cp_analysis *a, int reason)
{
	char name[32];

	switch (reason) {
	case CP_REASON_LOCK:
		text_add(t, "for locks");
		break;
	case CP_REASON_SLEEP:
		text_add(t, "for a timer (sleeping)");
		break;
	case CP_REASON_CHILD:
		text_add(t, "for child processes");
		break;
	case CP_REASON_NET:
		text_add(t, "for the network");
		break;
	case CP_REASON_PIPE:
		text_add(t, "on pipes");
		break;
	case CP_REASON_DISK:
		text_add(t, "for the disk");
		break;
	case CP_REASON_PAGING:
		text_add(t, "for page faults");
		break;
	default:
		if (a->nr_other_syscalls)
			text_add(t, "in the syscall %s",
				 cp_syscall_describe(a->other_syscalls[0], name, sizeof(name)));
		else
			text_add(t, "in other syscalls");
		break;
	}
}

/* "waiting for the network and for the disk": the leading reasons of the working threads. */
static void add_waiting(struct text *t, const struct cp_analysis *a)
{
	int first = a->dominant_reason, second = a->second_reason;

	if (first < 0)
		return;
	text_add(t, "waiting ");
	add_reason_object(t, a, first);
	if (second >= 0 &&
	    a->cause_blocked_ns[second] >= SECOND_REASON_MIN_FRAC * a->cause_blocked_ns[first]) {
		text_add(t, " and ");
		add_reason_object(t, a, second);
	}
}

/* "CPU worked 994 ms of 16.4 s (6%)", or "... 9.52 s in 2.67 s (356%)" past the wall time. */
static void add_cpu_worked(struct text *t, const struct cp_run *run, const struct cp_analysis *a)
{
	text_add(t, "CPU worked %s %s %s (%s)", cp_fmt_duration(a->cpu_ns).s,
		 a->cpu_ns > run->wall_ns ? "in" : "of", cp_fmt_duration(run->wall_ns).s,
		 cp_fmt_pct(a->cpu_pct_of_wall).s);
}

/* "94% of the time", "at least 94% ..." when the profile is a lower bound or an estimate. */
static void add_idle_share(struct text *t, const struct cp_analysis *a)
{
	bool lower_bound = !a->have_concurrency || !a->concurrency_complete;

	text_add(t, "%s%s of the time no thread was on a CPU", lower_bound ? "at least " : "",
		 cp_fmt_pct(100 * a->idle_frac).s);
}

static void explain_data_loss(struct explainer *e)
{
	const struct cp_run *run = e->run;
	struct text t = { 0 };

	if (run->lost_events) {
		text_add(&t,
			 "%llu event%s could not be recorded (the ring buffer was full): "
			 "per-thread totals are still exact, but the timeline and the count of "
			 "threads on a CPU at once are lower bounds.",
			 (unsigned long long)run->lost_events, plural(run->lost_events));
		emit(e, CP_FIND_DATA_LOSS, &t);
	}
	if (run->lost_threads) {
		t = (struct text){ 0 };
		text_add(&t,
			 "%llu thread%s could not be tracked (the kernel's thread table was full): "
			 "their time is missing from every figure here.",
			 (unsigned long long)run->lost_threads, plural(run->lost_threads));
		emit(e, CP_FIND_DATA_LOSS, &t);
	}
}

static void explain_meaning(struct explainer *e)
{
	const struct cp_totals *tot = &e->a->totals;
	const char *since = e->run->attached ? " since concprof attached" : "";
	struct text t = { 0 };

	text_add(&t,
		 "user %s is time on a CPU running the program's own code (interpreter, your "
		 "code, libraries); sys %s is time the kernel worked for it (everything that "
		 "touches hardware: storage, network, screen); wall %s is the time that passed on "
		 "the clock on the wall%s, also called real time.",
		 cp_fmt_duration(tot->user_ns).s, cp_fmt_duration(tot->sys_ns).s,
		 cp_fmt_duration(e->run->wall_ns).s, since);
	emit(e, CP_FIND_MEANING, &t);
}

/* The headline: I/O bound, CPU bound, mostly waiting for something else, or a mix. */
static void explain_bound(struct explainer *e)
{
	const struct cp_run *run = e->run;
	const struct cp_analysis *a = e->a;
	uint64_t working_ns = a->cause_cpu_ns + a->cause_runnable_ns;
	uint64_t waiting_ns = 0;
	double demand_frac;
	uint64_t top_blocked_ns =
		a->dominant_reason >= 0 ? a->cause_blocked_ns[a->dominant_reason] : 0;
	struct text t = { 0 };

	if (run->wall_ns == 0 || a->lifetime_ns == 0)
		return;
	/* A shell waiting for its compiler is not why the work waited: children's waits are out. */
	for (int r = 0; r < CP_NR_REASONS; r++)
		if (r != CP_REASON_CHILD)
			waiting_ns += a->cause_blocked_ns[r];
	demand_frac = working_ns + waiting_ns ? (double)working_ns / (working_ns + waiting_ns) : 0;

	if (a->idle_frac >= CP_IO_BOUND_MIN_IDLE_FRAC) {
		int kind = CP_FIND_MOSTLY_WAITING;

		add_cpu_worked(&t, run, a);
		text_add(&t, ": ");
		add_idle_share(&t, a);
		if (a->cause_runnable_ns > top_blocked_ns) {
			/* Our threads were runnable but not running: someone else had the CPUs. */
			text_add(&t, ", waiting for a CPU that other programs were using.");
		} else if (a->dominant_reason >= 0 && is_io_reason(a->dominant_reason)) {
			text_add(&t, ", ");
			add_waiting(&t, a);
			text_add(&t, " — I/O bound.");
			kind = CP_FIND_IO_BOUND;
		} else if (a->dominant_reason >= 0) {
			text_add(&t, ", ");
			add_waiting(&t, a);
			text_add(&t,
				 ": the program mostly waited, neither computing nor doing I/O.");
		} else {
			text_add(&t, ".");
		}
		emit(e, kind, &t);
		return;
	}

	if (a->idle_frac <= CP_CPU_BOUND_MAX_IDLE_FRAC &&
	    demand_frac >= CP_CPU_BOUND_MIN_DEMAND_FRAC) {
		if (a->nr_busy_threads)
			text_add(&t, "%zu thread%s kept ", a->nr_busy_threads,
				 plural(a->nr_busy_threads));
		else
			text_add(&t, "Threads kept ");
		add_cores(&t, a->cores_busy, run->cpus);
		text_add(&t, " busy: CPU bound");
		if (run->cpus > 1 && a->nr_busy_threads && a->nr_busy_threads < (size_t)run->cpus &&
		    a->cores_busy < run->cpus - 0.5) {
			size_t idle_cores = (size_t)run->cpus - a->nr_busy_threads;

			text_add(&t,
				 " — a thread runs on one core at a time, so %zu core%s had "
				 "nothing to do",
				 idle_cores, plural(idle_cores));
		} else if (run->cpus > 1 && a->have_concurrency && a->max_parallelism <= 1) {
			/* Short-lived threads or processes, one after another: a shell loop. */
			text_add(&t, " — they ran one at a time, so %d core%s had nothing to do",
				 run->cpus - 1, plural(run->cpus - 1));
		}
		text_add(&t, ".");
		emit(e, CP_FIND_CPU_BOUND, &t);
		return;
	}

	add_cpu_worked(&t, run, a);
	if (a->idle_frac <= CP_CPU_BOUND_MAX_IDLE_FRAC) {
		/* Some thread always ran, but the working threads also waited a lot: overlap. */
		text_add(&t, ": some thread was on a CPU %s of the time",
			 cp_fmt_pct(100 * a->busy_frac).s);
		if (a->dominant_reason >= 0) {
			text_add(&t, " while others were ");
			add_waiting(&t, a);
		}
		/* A lock in the lead: the overlap is turn-taking (a GIL), not parallel work. */
		if (a->dominant_reason == CP_REASON_LOCK)
			text_add(&t, " — they took turns.");
		else
			text_add(&t, " — waiting overlapped with work.");
	} else {
		text_add(&t, ": ");
		add_idle_share(&t, a);
		if (a->dominant_reason >= 0) {
			text_add(&t, ", ");
			add_waiting(&t, a);
		}
		text_add(&t, " — partly computing, partly waiting.");
	}
	emit(e, CP_FIND_MIXED, &t);
}

static void explain_parallel(struct explainer *e)
{
	const struct cp_analysis *a = e->a;
	struct text t = { 0 };

	if (e->run->wall_ns == 0 || a->cores_busy < CP_PARALLEL_MIN_CORES)
		return;
	text_add(&t,
		 "user + sys (%s) is more than wall (%s) because threads ran on several cores at "
		 "once: ",
		 cp_fmt_duration(a->cpu_ns).s, cp_fmt_duration(e->run->wall_ns).s);
	add_cores(&t, a->cores_busy, e->run->cpus);
	text_add(&t, " busy on average");
	if (a->have_concurrency)
		text_add(&t, ", and 2 or more threads were on a CPU %s of the time",
			 cp_fmt_pct(100 * a->parallel_frac).s);
	text_add(&t, ".");
	emit(e, CP_FIND_PARALLEL, &t);
}

static void explain_cpu_wait(struct explainer *e)
{
	const struct cp_run *run = e->run;
	const struct cp_analysis *a = e->a;
	double demand = a->cpu_demand;
	/* "4 runnable threads", but "2.6 runnable threads" when the average is not whole. */
	int decimals = fabs(demand - round(demand)) < 0.05 ? 0 : 1;
	/* More threads wanted a CPU than there are cores... */
	bool oversubscribed = demand > run->cpus + 0.5;
	/* ...or the cores they could have had were not theirs. */
	bool others = a->cores_busy < fmin(demand, run->cpus) - 0.5;
	struct text t = { 0 };

	if (a->runnable_ns < CP_FINDING_MIN_NS || a->runnable_share < CP_CPU_WAIT_MIN_FRAC)
		return;
	text_add(&t, "Threads waited %s for a CPU (%s of their lives): ",
		 cp_fmt_duration(a->runnable_ns).s, cp_fmt_pct(100 * a->runnable_share).s);
	if (run->cpus <= 0) {
		text_add(&t, "on average %.*f threads wanted a CPU.", decimals, demand);
	} else if (oversubscribed && others) {
		/* Wanting more cores than there are, yet not using them all: someone else did. */
		text_add(&t,
			 "on average %.*f runnable threads shared %d core%s, and as they kept only "
			 "%.2f busy, other programs were using the rest.",
			 decimals, demand, run->cpus, plural(run->cpus), a->cores_busy);
	} else if (oversubscribed) {
		text_add(&t, "on average %.*f runnable threads shared %d core%s.", decimals, demand,
			 run->cpus, plural(run->cpus));
	} else if (others) {
		text_add(
			&t,
			"on average %.*f threads wanted a CPU, yet only %.2f of %d core%s ran them: "
			"other programs were using the rest.",
			decimals, demand, a->cores_busy, run->cpus, plural(run->cpus));
	} else {
		/* Enough cores on average: the waits came from moments with more, or wakeups. */
		text_add(&t,
			 "on average %.*f threads wanted a CPU, fewer than the %d core%s, so they "
			 "waited when more of them wanted one at the same moment, or for the "
			 "scheduler after a wakeup.",
			 decimals, demand, run->cpus, plural(run->cpus));
	}
	emit(e, CP_FIND_CPU_WAIT, &t);
}

static void explain_lock(struct explainer *e)
{
	const struct cp_run *run = e->run;
	const struct cp_analysis *a = e->a;
	uint64_t lock_ns = a->cause_blocked_ns[CP_REASON_LOCK];
	struct text t = { 0 };

	if (lock_ns < CP_FINDING_MIN_NS || a->lock_share < CP_LOCK_MIN_FRAC)
		return;
	text_add(&t,
		 "%zu thread%s spent %s (%s of their lives) blocked on locks (futex: mutexes, "
		 "condition variables, an interpreter lock like CPython's GIL)",
		 a->nr_lock_threads, plural(a->nr_lock_threads), cp_fmt_duration(lock_ns).s,
		 cp_fmt_pct(100 * a->lock_share).s);
	if (run->cpus > 1 && a->cores_busy < 0.75 * run->cpus) {
		text_add(&t, ": on average only ");
		add_cores(&t, a->cores_busy, run->cpus);
		text_add(&t, " were busy");
	}
	text_add(&t, ".");
	emit(e, CP_FIND_LOCK, &t);
}

/*
 * Bytes moved are worth a sentence when waiting for them shaped the wall time, or when there
 * were many: a Python program reading its own modules from the page cache is neither.
 */
static void throughput(struct explainer *e, uint64_t bytes, double per_s, const char *what,
		       uint64_t waited_ns)
{
	uint64_t wall = e->run->wall_ns;
	struct text t = { 0 };

	if (bytes < CP_THROUGHPUT_MIN_BYTES || wall == 0 ||
	    (waited_ns < CP_THROUGHPUT_MIN_WAIT_FRAC * wall && bytes < CP_THROUGHPUT_MANY_BYTES))
		return;
	text_add(&t, "≈ %s %s in %s: ≈ %s/s.", cp_fmt_bytes_approx((double)bytes).s, what,
		 cp_fmt_duration(e->run->wall_ns).s, cp_fmt_bytes_approx(per_s).s);
	emit(e, CP_FIND_THROUGHPUT, &t);
}

static void explain_throughput(struct explainer *e)
{
	const struct cp_totals *tot = &e->a->totals;
	const struct cp_analysis *a = e->a;

	const uint64_t *waited = tot->blocked_ns;

	throughput(e, tot->net_rx_bytes, a->net_rx_per_s, "from the network",
		   waited[CP_REASON_NET]);
	throughput(e, tot->net_tx_bytes, a->net_tx_per_s, "to the network", waited[CP_REASON_NET]);
	throughput(e, tot->disk_read_bytes, a->disk_read_per_s, "read from disk",
		   waited[CP_REASON_DISK]);
	throughput(e, tot->disk_write_bytes, a->disk_write_per_s, "written to disk",
		   waited[CP_REASON_DISK]);
	throughput(e, a->pipe_bytes, a->pipe_per_s, "through pipes", waited[CP_REASON_PIPE]);
}

static bool differs(uint64_t kernel_ns, uint64_t exact_ns)
{
	uint64_t diff = kernel_ns > exact_ns ? kernel_ns - exact_ns : exact_ns - kernel_ns;

	return diff > CP_RUSAGE_TOLERANCE_NS && diff > CP_RUSAGE_TOLERANCE_FRAC * exact_ns;
}

static void explain_rusage(struct explainer *e)
{
	const struct cp_run *run = e->run;
	const struct cp_totals *tot = &e->a->totals;
	uint64_t kernel_cpu = run->rusage_user_ns + run->rusage_sys_ns;
	struct text t = { 0 };
	char tick[48] = "";

	if (run->kernel_hz > 0)
		snprintf(tick, sizeof(tick), " (HZ=%d: every %s)", run->kernel_hz,
			 cp_fmt_duration(1000000000ULL / run->kernel_hz).s);
	if (!run->have_rusage || (!differs(run->rusage_user_ns, tot->user_ns) &&
				  !differs(run->rusage_sys_ns, tot->sys_ns)))
		return;
	text_add(&t,
		 "The kernel's own figures say user %s and sys %s (concprof: %s and %s) because "
		 "the kernel only looks at who is running at each timer tick%s and scales, while "
		 "concprof times each syscall exactly from the kernel's syscall-entry tracepoint to "
		 "its exit tracepoint",
		 cp_fmt_duration(run->rusage_user_ns).s, cp_fmt_duration(run->rusage_sys_ns).s,
		 cp_fmt_duration(tot->user_ns).s, cp_fmt_duration(tot->sys_ns).s, tick);
	if (run->rusage_sys_ns > tot->sys_ns && differs(run->rusage_sys_ns, tot->sys_ns))
		text_add(&t,
			 ", so the kernel's entry and exit path around each of the %s syscalls, "
			 "page faults and interrupts are sys there but user here",
			 cp_fmt_count(tot->syscalls).s);
	if (run->nr_procs > 1 && kernel_cpu < e->a->cpu_ns && differs(kernel_cpu, e->a->cpu_ns))
		text_add(&t, "; and the kernel adds a child's time only once the child has been "
			     "waited for (reaped)");
	if (run->lost_threads)
		text_add(&t, "; and concprof misses the threads it could not track");
	text_add(&t, ".");
	emit(e, CP_FIND_RUSAGE, &t);
}

static void explain_killed(struct explainer *e)
{
	const struct cp_run *run = e->run;
	struct text t = { 0 };

	if (run->attached || run->term_signal <= 0)
		return;
	text_add(&t, "The program was ended by %s (exit status %d): the figures stop there.",
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
	explain_throughput(&e);
	explain_rusage(&e);
	explain_killed(&e);
	return e.nr;
}
