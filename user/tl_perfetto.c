// SPDX-License-Identifier: GPL-2.0
/*
 * `--perfetto FILE`: the timeline as the text the kernel's ftrace writes (`cat
 * /sys/kernel/tracing/trace` with the record-tgid option), which ui.perfetto.dev and
 * trace_processor import as a Linux system trace. From sched_switch lines they build what
 * Chrome's JSON format cannot express: per-CPU tracks, and per-thread state tracks (Running,
 * Runnable, Runnable (Preempted), Sleeping, Uninterruptible Sleep) with the waker of each
 * wakeup. What trace_processor's text importer reads (src/trace_processor/importers/systrace/
 * systrace_line_parser.cc) decides what is written:
 *  - sched_switch, per CPU: where each thread ran, and, through prev_state, what it did next;
 *  - sched_waking, written by the waker (the line's task): the wakeup's arrow, and "R" from the
 *    wakeup to the switch-in; it is ignored unless the wakee's state is a sleep;
 *  - sched_blocked_reason: the reason and syscall as the sleep's "blocked function";
 *  - tracing_mark_write B/E (atrace): a slice over each sleep on the thread's own track, named
 *    after its reason and syscall, so the timeline shows why without a click.
 * The importer ignores task_newtask, task_rename and sched_process_exit in text, and takes
 * process names only from the "PROCESS DUMP" of Catapult's HTML wrapping: threads are grouped
 * into their processes by the TGID column, but a process shows as "Process <pid>" with its
 * threads named inside.
 *
 * Timestamps are seconds with nine decimals where ftrace prints six: the importer reads them
 * as a double and scales them to nanoseconds, so they keep the timeline's precision and a span
 * shorter than a microsecond does not collapse to nothing. The flags column is "....": the
 * importer's pattern takes at most four characters, not the five of recent kernels.
 */
#include "timeline.h"

#include "fmt.h"
#include "syscalls.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NONE SIZE_MAX
/* Every task at the default nice level: the importer needs a number, the UI does not show it. */
#define PRIO 120
#define NAME_LEN (CP_COMM_LEN * 3 + 1)

/*
 * What happens at one instant, in this order: a sleep's slice ends, a sleeper is woken, CPUs
 * switch, the thread that switched out says why it sleeps, its sleep's slice begins.
 */
enum ev_kind {
	EV_END,
	EV_WAKING,
	EV_SWITCH,
	EV_BLOCKED_REASON,
	EV_BEGIN,
};

struct event {
	uint64_t ts;
	uint32_t seq; /* generation order: keeps each CPU's switches in order */
	uint16_t cpu;
	uint8_t kind;
	char prev_state[3]; /* EV_SWITCH */
	size_t span;	    /* EV_SWITCH: the span switched out (NONE: idle); else the span */
	size_t next;	    /* EV_SWITCH: the span switched in (NONE: idle) */
};

struct tid_index {
	int32_t tid;
	uint32_t thread;
};

struct writer {
	FILE *out;
	const struct cp_run *run;
	const struct cp_timeline *tl;
	struct event *events;
	size_t nr_events;
	struct tid_index *tids; /* run->threads by tid */
	char (*names)[NAME_LEN]; /* each thread's name as written */
};

static int event_order(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static struct event *add_event(struct writer *w, enum ev_kind kind, uint64_t ts, uint16_t cpu,
			       size_t span)
{
	struct event *e = &w->events[w->nr_events];

	*e = (struct event){ .ts = ts,
			     .seq = (uint32_t)w->nr_events,
			     .cpu = cpu,
			     .kind = (uint8_t)kind,
			     .span = span,
			     .next = NONE };
	w->nr_events++;
	return e;
}

/*
 * A task name as ftrace prints it, kept whole by the importer, which splits arguments at
 * spaces and '=': those become '_' (and controls and invalid UTF-8 '?').
 */
static void task_name(char *dst, size_t len, const char *comm)
{
	cp_fmt_sanitize(dst, len, comm, CP_COMM_LEN);
	for (char *c = dst; *c; c++)
		if (*c == ' ' || *c == '=')
			*c = '_';
	if (!*dst)
		snprintf(dst, len, "<...>");
}

/* ---- spans around a span --------------------------------------------------------------- */

static bool same_thread(const struct writer *w, size_t a, size_t b)
{
	return w->tl->spans[a].thread == w->tl->spans[b].thread;
}

static bool empty(const struct cp_tl_span *s)
{
	return s->end_ns <= s->start_ns;
}

/* The thread's first span after i that takes time, or NONE. */
static size_t next_span(const struct writer *w, size_t i)
{
	for (size_t j = i + 1; j < w->tl->nr_spans && same_thread(w, i, j); j++)
		if (!empty(&w->tl->spans[j]))
			return j;
	return NONE;
}

static size_t prev_span(const struct writer *w, size_t i)
{
	for (size_t j = i; j-- > 0 && same_thread(w, i, j);)
		if (!empty(&w->tl->spans[j]))
			return j;
	return NONE;
}

/* The CPU of the thread's nearest CPU span before i, else after it, else 0. */
static uint16_t thread_cpu(const struct writer *w, size_t i)
{
	for (size_t j = i + 1; j-- > 0 && same_thread(w, i, j);)
		if (w->tl->spans[j].state == CP_TL_CPU)
			return w->tl->spans[j].cpu;
	for (size_t j = i + 1; j < w->tl->nr_spans && same_thread(w, i, j); j++)
		if (w->tl->spans[j].state == CP_TL_CPU)
			return w->tl->spans[j].cpu;
	return 0;
}

static bool sleeps_in_disk(const struct cp_tl_span *s)
{
	return s->reason == CP_REASON_DISK || s->reason == CP_REASON_PAGING;
}

/*
 * The state a thread leaves its CPU in at the end of span i, as sched_switch prints it: what
 * its next span is. "R+" is preempted; unknown (records lost) is written as a sleep, with a
 * slice saying so.
 */
static const char *switch_out_state(const struct writer *w, size_t i)
{
	size_t next = next_span(w, i);

	if (next == NONE)
		return w->run->threads[w->tl->spans[i].thread].exited ? "X" : "R+";
	switch (w->tl->spans[next].state) {
	case CP_TL_CPU: /* on another CPU at once: a migration whose wait was too short to see */
	case CP_TL_PREEMPTED:
		return "R+";
	case CP_TL_WOKEN:
		return "R";
	case CP_TL_BLOCKED:
		return sleeps_in_disk(&w->tl->spans[next]) ? "D" : "S";
	default:
		return "S";
	}
}

/* ---- events ---------------------------------------------------------------------------- */

struct cpu_span {
	uint16_t cpu;
	uint64_t start, end;
	size_t span;
};

static int cpu_span_order(const void *a, const void *b)
{
	const struct cpu_span *x = a, *y = b;

	if (x->cpu != y->cpu)
		return x->cpu < y->cpu ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (x->end > y->end) - (x->end < y->end);
}

static void add_switch(struct writer *w, uint64_t ts, uint16_t cpu, size_t prev, size_t next)
{
	struct event *e = add_event(w, EV_SWITCH, ts, cpu, prev);

	e->next = next;
	snprintf(e->prev_state, sizeof(e->prev_state), "%s",
		 prev == NONE ? "R" : switch_out_state(w, prev));
}

/*
 * Each CPU's switches, from its CPU spans in time order. Between two spans that do not touch,
 * the CPU is idle: tasks the run did not trace show as idle too. A thread's spans that follow
 * each other on one CPU (split at a syscall, say) are one stay. Spans that overlap (a bound
 * rebuilt from the kernel's accounting) hand the CPU over where the later one starts.
 */
static int cpu_switches(struct writer *w)
{
	const struct cp_timeline *tl = w->tl;
	struct cpu_span *spans = calloc(tl->nr_spans ? tl->nr_spans : 1, sizeof(*spans));
	size_t nr = 0;

	if (!spans)
		return -ENOMEM;
	for (size_t i = 0; i < tl->nr_spans; i++)
		if (tl->spans[i].state == CP_TL_CPU && !empty(&tl->spans[i]))
			spans[nr++] = (struct cpu_span){ .cpu = tl->spans[i].cpu,
							 .start = tl->spans[i].start_ns,
							 .end = tl->spans[i].end_ns,
							 .span = i };
	qsort(spans, nr, sizeof(*spans), cpu_span_order);
	for (size_t k = 0; k < nr; k++) {
		const struct cpu_span *s = &spans[k];
		const struct cpu_span *on = k && spans[k - 1].cpu == s->cpu ? &spans[k - 1] : NULL;

		/* on: the span before on this CPU, still the CPU's until it ends */
		if (!on) {
			add_switch(w, s->start, s->cpu, NONE, s->span);
		} else if (on->end < s->start) {
			add_switch(w, on->end, s->cpu, on->span, NONE);
			add_switch(w, s->start, s->cpu, NONE, s->span);
		} else if (!same_thread(w, on->span, s->span)) {
			add_switch(w, s->start, s->cpu, on->span, s->span);
		}
		if (k + 1 == nr || spans[k + 1].cpu != s->cpu)
			add_switch(w, s->end, s->cpu, s->span, NONE);
	}
	free(spans);
	return 0;
}

static int tid_order(const void *a, const void *b)
{
	const struct tid_index *x = a, *y = b;

	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	return (x->thread > y->thread) - (x->thread < y->thread);
}

/* The traced thread with this tid alive at ts (a tid can be reused), or NONE. */
static size_t thread_of(const struct writer *w, int32_t tid, uint64_t ts)
{
	size_t lo = 0, hi = w->run->nr_threads, found = NONE;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (w->tids[mid].tid < tid)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < w->run->nr_threads && w->tids[lo].tid == tid; lo++) {
		const struct cp_thread *t = &w->run->threads[w->tids[lo].thread];

		found = w->tids[lo].thread;
		if (t->start_ns <= ts && ts <= t->end_ns)
			break;
	}
	return found;
}

/* The CPU thread i was on at ts, if it was: a span that ends at ts counts (the waker is about
 * to sleep, its wakee's wakeup the last thing it did). */
static bool cpu_at(const struct writer *w, size_t thread, uint64_t ts, uint16_t *cpu)
{
	size_t first, count;
	bool found = false;

	cp_tl_thread_spans(w->tl, w->run, thread, &first, &count);
	for (size_t lo = first, hi = first + count; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;
		const struct cp_tl_span *s = &w->tl->spans[mid];

		if (s->end_ns < ts) {
			lo = mid + 1;
		} else if (s->start_ns > ts) {
			hi = mid;
		} else {
			/* a span covering ts: look around it for one on a CPU */
			size_t end = mid + 2 < first + count ? mid + 2 : first + count;

			for (size_t j = mid > first ? mid - 1 : mid; j < end; j++) {
				s = &w->tl->spans[j];
				if (s->state == CP_TL_CPU && s->start_ns <= ts && ts <= s->end_ns) {
					*cpu = s->cpu;
					found = true;
					if (ts < s->end_ns)
						break;
				}
			}
			break;
		}
	}
	return found;
}

/* The CPU a woken thread goes to: that of its next CPU span. */
static uint16_t target_cpu(const struct writer *w, size_t i)
{
	for (size_t j = i; j < w->tl->nr_spans && same_thread(w, i, j); j++)
		if (w->tl->spans[j].state == CP_TL_CPU)
			return w->tl->spans[j].cpu;
	return thread_cpu(w, i);
}

static void thread_events(struct writer *w)
{
	const struct cp_timeline *tl = w->tl;

	for (size_t i = 0; i < tl->nr_spans; i++) {
		const struct cp_tl_span *s = &tl->spans[i];
		size_t prev;

		switch (s->state) {
		case CP_TL_WOKEN: {
			/* even a zero-length wait: the wakeup and its waker are worth an arrow */
			size_t waker = s->waker ? thread_of(w, s->waker, s->start_ns) : NONE;
			uint16_t cpu = target_cpu(w, i);

			if (waker != NONE)
				cpu_at(w, waker, s->start_ns, &cpu);
			add_event(w, EV_WAKING, s->start_ns, cpu, i);
			break;
		}
		case CP_TL_BLOCKED:
		case CP_TL_UNKNOWN:
			if (empty(s))
				break;
			add_event(w, EV_BEGIN, s->start_ns, thread_cpu(w, i), i);
			add_event(w, EV_END, s->end_ns, thread_cpu(w, i), i);
			/* only right after its switch-out: the importer gives the reason to the
			 * thread's latest sleep, whichever it was */
			prev = prev_span(w, i);
			if (s->state == CP_TL_BLOCKED && prev != NONE &&
			    tl->spans[prev].state == CP_TL_CPU &&
			    tl->spans[prev].end_ns == s->start_ns)
				add_event(w, EV_BLOCKED_REASON, s->start_ns, tl->spans[prev].cpu,
					  i);
			break;
		default:
			break;
		}
	}
}

/* ---- text ------------------------------------------------------------------------------ */

/*
 * "       python3-1000    (   1000) [001] .... 12.345678901: ": the task the line belongs to,
 * its process, its CPU, flags the importer skips, the time. A task outside the run is "<...>"
 * (ftrace's own word for a task it has no name for) with its tid; none at all is the idle task.
 */
static void line_start(const struct writer *w, size_t thread, int32_t tid, const struct event *e)
{
	char tgid[16] = "-----", task[NAME_LEN + 16];

	if (thread != NONE) {
		snprintf(task, sizeof(task), "%s-%d", w->names[thread],
			 w->run->threads[thread].tid);
		snprintf(tgid, sizeof(tgid), "%d", w->run->threads[thread].pid);
	} else {
		snprintf(task, sizeof(task), "%s-%d", tid ? "<...>" : "<idle>", tid);
	}
	fprintf(w->out, "%24s (%7s) [%03u] .... %5llu.%09llu: ", task, tgid, e->cpu,
		(unsigned long long)(e->ts / 1000000000), (unsigned long long)(e->ts % 1000000000));
}

/* "prev_comm=python3 prev_pid=1000 prev_prio=120": a span's thread, or the CPU's idle task. */
static void task_fields(const struct writer *w, const char *prefix, size_t span, uint16_t cpu)
{
	if (span == NONE) {
		fprintf(w->out, "%scomm=swapper/%u %spid=0 %sprio=%d", prefix, cpu, prefix, prefix,
			PRIO);
	} else {
		uint32_t t = w->tl->spans[span].thread;

		fprintf(w->out, "%scomm=%s %spid=%d %sprio=%d", prefix, w->names[t], prefix,
			w->run->threads[t].tid, prefix, PRIO);
	}
}

/* "net (recvfrom)" for a slice, "net/recvfrom" for an argument; "paging"; "records lost". */
static void sleep_name(const struct cp_tl_span *s, char *buf, size_t len, bool argument)
{
	char name[32];

	if (s->state != CP_TL_BLOCKED)
		snprintf(buf, len, "unknown: records were lost");
	else if (s->syscall < 0)
		snprintf(buf, len, "%s%s", argument ? "" : "blocked: ", cp_reason_name(s->reason));
	else if (argument)
		snprintf(buf, len, "%s/%s", cp_reason_name(s->reason),
			 cp_syscall_describe(s->syscall, name, sizeof(name)));
	else
		snprintf(buf, len, "blocked: %s (%s)", cp_reason_name(s->reason),
			 cp_syscall_describe(s->syscall, name, sizeof(name)));
	for (char *c = buf; argument && *c; c++)
		if (*c == ' ')
			*c = '_'; /* "syscall 999" */
}

static void write_event(const struct writer *w, const struct event *e)
{
	const struct cp_tl_span *s = e->span == NONE ? NULL : &w->tl->spans[e->span];
	size_t thread = s ? s->thread : NONE;
	char what[64];

	switch (e->kind) {
	case EV_SWITCH:
		line_start(w, thread, 0, e);
		fputs("sched_switch: ", w->out);
		task_fields(w, "prev_", e->span, e->cpu);
		fprintf(w->out, " prev_state=%s ==> ", e->prev_state);
		task_fields(w, "next_", e->next, e->cpu);
		break;
	case EV_WAKING:
		line_start(w, s->waker ? thread_of(w, s->waker, e->ts) : NONE, s->waker, e);
		fputs("sched_waking: ", w->out);
		task_fields(w, "", e->span, e->cpu);
		fprintf(w->out, " target_cpu=%03u", target_cpu(w, e->span));
		break;
	case EV_BLOCKED_REASON:
		sleep_name(s, what, sizeof(what), true);
		line_start(w, thread, 0, e);
		fprintf(w->out, "sched_blocked_reason: pid=%d iowait=%d caller=%s",
			w->run->threads[thread].tid, sleeps_in_disk(s), what);
		break;
	case EV_BEGIN:
		sleep_name(s, what, sizeof(what), false);
		line_start(w, thread, 0, e);
		fprintf(w->out, "tracing_mark_write: B|%d|%s", w->run->threads[thread].pid, what);
		break;
	default:
		line_start(w, thread, 0, e);
		fprintf(w->out, "tracing_mark_write: E|%d", w->run->threads[thread].pid);
		break;
	}
	fputc('\n', w->out);
}

/* What ftrace prints before its events with record-tgid on, and what concprof adds. */
static void write_header(const struct writer *w)
{
	int cpus = w->run->cpus;

	for (size_t i = 0; i < w->tl->nr_spans; i++)
		if (w->tl->spans[i].state == CP_TL_CPU && w->tl->spans[i].cpu >= cpus)
			cpus = w->tl->spans[i].cpu + 1;
	fprintf(w->out,
		"# tracer: nop\n"
		"#\n"
		"# entries-in-buffer/entries-written: %zu/%zu   #P:%d\n"
		"#\n"
		"# Written by concprof " CONCPROF_VERSION " for https://ui.perfetto.dev.\n"
		"# A CPU's time with tasks it did not trace shows as idle (swapper).\n"
		"# A slice \"blocked: <reason> (<syscall>)\" covers each sleep of a thread.\n"
		"# Perfetto names processes \"Process <pid>\": their names are these.\n",
		w->nr_events, w->nr_events, cpus);
	for (size_t i = 0; i < w->run->nr_procs; i++) {
		char name[NAME_LEN];

		task_name(name, sizeof(name), w->run->procs[i].comm);
		fprintf(w->out, "#   process %d: %s\n", w->run->procs[i].pid, name);
	}
	fprintf(w->out,
		"#\n"
		"#                                        _-----=> irqs-off\n"
		"#                                       / _----=> need-resched\n"
		"#                                      | / _---=> hardirq/softirq\n"
		"#                                      || / _--=> preempt-depth\n"
		"#                                      ||| /     delay\n"
		"#                   TASK-PID      TGID  CPU#  ||||    TIMESTAMP  FUNCTION\n"
		"#                      | |          |     |   ||||       |         |\n");
}

int cp_tl_write_perfetto(FILE *out, const struct cp_run *run, const struct cp_timeline *tl)
{
	struct writer w = { .out = out, .run = run, .tl = tl };
	int err = -ENOMEM;

	/* at most 2 switches per CPU span; a waking, or a begin, end and reason, per other span */
	w.events = calloc(3 * tl->nr_spans + 1, sizeof(*w.events));
	w.tids = calloc(run->nr_threads + 1, sizeof(*w.tids));
	w.names = calloc(run->nr_threads + 1, sizeof(*w.names));
	if (!w.events || !w.tids || !w.names)
		goto out;
	for (size_t i = 0; i < run->nr_threads; i++) {
		w.tids[i] = (struct tid_index){ .tid = run->threads[i].tid, .thread = (uint32_t)i };
		task_name(w.names[i], sizeof(w.names[i]), run->threads[i].comm);
	}
	qsort(w.tids, run->nr_threads, sizeof(*w.tids), tid_order);

	err = cpu_switches(&w);
	if (err)
		goto out;
	thread_events(&w);
	qsort(w.events, w.nr_events, sizeof(*w.events), event_order);

	write_header(&w);
	for (size_t i = 0; i < w.nr_events; i++)
		write_event(&w, &w.events[i]);
	errno = 0;
	if (fflush(out) == EOF || ferror(out))
		err = errno ? -errno : -EIO;
out:
	free(w.names);
	free(w.tids);
	free(w.events);
	return err;
}
