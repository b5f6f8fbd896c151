// SPDX-License-Identifier: GPL-2.0
#include "timeline.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/types.h>

#include "concprof.h"
#include "stream.h"

const char *cp_tl_state_name(enum cp_tl_state state)
{
	switch (state) {
	case CP_TL_CPU:
		return "cpu";
	case CP_TL_PREEMPTED:
		return "preempted";
	case CP_TL_WOKEN:
		return "woken";
	case CP_TL_BLOCKED:
		return "blocked";
	default:
		return "unknown";
	}
}

void cp_tl_thread_spans(const struct cp_timeline *tl, const struct cp_run *run, size_t i,
			size_t *first, size_t *count)
{
	size_t lo = 0, hi = tl->nr_spans, end;

	(void)run;
	while (lo < hi) { /* the first span of a thread at or after i */
		size_t mid = lo + (hi - lo) / 2;

		if (tl->spans[mid].thread < i)
			lo = mid + 1;
		else
			hi = mid;
	}
	end = lo;
	while (end < tl->nr_spans && tl->spans[end].thread == i)
		end++;
	*first = lo;
	*count = end - lo;
}

void cp_timeline_free(struct cp_timeline *tl)
{
	free(tl->spans);
	free(tl->marks);
	tl->spans = NULL;
	tl->marks = NULL;
	tl->nr_spans = tl->nr_marks = 0;
}

/* ---- building spans from the stream ---- */

/* What the builder knows of one thread as the stream goes by. */
struct tl_thread {
	bool on_cpu;
	bool seen;	    /* has had a record: its state is known, not seeded */
	uint8_t state;	    /* off CPU: enum cp_tl_state since `since` */
	uint8_t reason;
	uint8_t flags;
	int16_t syscall;
	int32_t waker;
	int32_t parent; /* the tid that forked it: its first waker */
	uint64_t since;
	/* On CPU: the wait that its switch-in closed, whose end the switch-out settles. */
	uint64_t in_ns;
	uint16_t cpu;
	int16_t in_syscall;
	uint8_t in_flags;
	bool have_wait;
	uint64_t wait_start;
	uint8_t wait_state, wait_reason;
	int32_t wait_waker;
	uint8_t wait_flags;
	bool dead;
};

struct tl_build {
	struct cp_timeline *tl;
	const struct cp_run *run;
	struct tl_thread *th;
	uint64_t origin;
	size_t cap_spans, cap_marks;
	/* tid -> thread indexes, sorted by (tid, start_ns): reused tids have several. */
	size_t *by_tid;
	int err;
};

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 256;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	q = realloc(*p, n * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

static uint64_t rel(const struct tl_build *b, uint64_t ts)
{
	uint64_t t = ts > b->origin ? ts - b->origin : 0;

	return t < b->tl->end_ns ? t : b->tl->end_ns;
}

static void add_span(struct tl_build *b, size_t i, uint64_t start, uint64_t end,
		     struct cp_tl_span proto)
{
	const struct cp_thread *t = &b->run->threads[i];
	struct cp_tl_span *sp;

	if (start < t->start_ns)
		start = t->start_ns;
	if (end > t->end_ns)
		end = t->end_ns;
	if (end <= start || b->err)
		return;
	if ((b->err = grow((void **)&b->tl->spans, &b->cap_spans, b->tl->nr_spans + 1,
			   sizeof(*sp))))
		return;
	sp = &b->tl->spans[b->tl->nr_spans++];
	*sp = proto;
	sp->start_ns = start;
	sp->end_ns = end;
	sp->thread = i;
	sp->tid = t->tid;
	sp->pid = t->pid;
	if (sp->state != CP_TL_CPU)
		sp->sys_ns = 0;
	else if (sp->sys_ns > end - start)
		sp->sys_ns = end - start;
}

static void add_mark(struct tl_build *b, uint64_t ts, size_t i, uint8_t kind, int32_t other)
{
	struct cp_tl_mark *m;

	if (b->err || (b->err = grow((void **)&b->tl->marks, &b->cap_marks, b->tl->nr_marks + 1,
				     sizeof(*m))))
		return;
	m = &b->tl->marks[b->tl->nr_marks++];
	*m = (struct cp_tl_mark){ .ts_ns = ts,
				  .tid = b->run->threads[i].tid,
				  .pid = b->run->threads[i].pid,
				  .other = other,
				  .kind = kind };
}

static int cmp_by_tid(const void *pa, const void *pb, void *ctx)
{
	const struct cp_thread *threads = ctx;
	const struct cp_thread *a = &threads[*(const size_t *)pa], *b = &threads[*(const size_t *)pb];

	if (a->tid != b->tid)
		return a->tid < b->tid ? -1 : 1;
	return a->start_ns < b->start_ns ? -1 : a->start_ns > b->start_ns;
}

/* The thread `tid` was at rel time t: of the threads with that tid, the latest to start by t. */
static ssize_t find_thread(const struct tl_build *b, int32_t tid, uint64_t t)
{
	const struct cp_thread *threads = b->run->threads;
	size_t lo = 0, hi = b->run->nr_threads;
	ssize_t found = -1;

	while (lo < hi) { /* first index whose tid is >= tid */
		size_t mid = lo + (hi - lo) / 2;

		if (threads[b->by_tid[mid]].tid < tid)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < b->run->nr_threads && threads[b->by_tid[lo]].tid == tid; lo++) {
		if (found >= 0 && threads[b->by_tid[lo]].start_ns > t)
			break;
		found = b->by_tid[lo];
	}
	return found;
}

static uint8_t tl_state_of(uint8_t kstate)
{
	switch (kstate) {
	case KS_RQ_PREEMPTED:
		return CP_TL_PREEMPTED;
	case KS_RQ_WOKEN:
		return CP_TL_WOKEN;
	case KS_BLOCKED:
		return CP_TL_BLOCKED;
	}
	return CP_TL_UNKNOWN;
}

static int16_t rec_syscall(const struct cp_rec *r)
{
	return r->syscall == CP_NO_SYSCALL || r->syscall > INT16_MAX ? -1 : (int16_t)r->syscall;
}

/* Close the off-CPU state the thread has been in since th->since, up to `end`. */
static void close_off_cpu(struct tl_build *b, size_t i, uint64_t end)
{
	struct tl_thread *th = &b->th[i];

	add_span(b, i, th->since, end,
		 (struct cp_tl_span){ .state = th->state,
				      .reason = th->reason,
				      .syscall = th->syscall,
				      .waker = th->waker,
				      .flags = th->flags });
	th->since = end;
}

/* Close the slice begun at th->in_ns, ended at `end`, started `shift` ns before its record. */
static void close_slice(struct tl_build *b, size_t i, uint64_t end, int64_t shift, uint64_t sys,
			uint8_t flags)
{
	struct tl_thread *th = &b->th[i];
	uint64_t start = th->in_ns;

	if (shift > 0)
		start = (uint64_t)shift < start ? start - shift : 0;
	else
		start += (uint64_t)-shift;
	if (th->have_wait && start < th->wait_start)
		start = th->wait_start;
	if (start > end)
		start = end;
	if (th->have_wait)
		add_span(b, i, th->wait_start, start,
			 (struct cp_tl_span){ .state = th->wait_state,
					      .reason = th->wait_reason,
					      .waker = th->wait_waker,
					      .syscall = -1,
					      .flags = th->wait_flags });
	add_span(b, i, start, end,
		 (struct cp_tl_span){ .state = CP_TL_CPU,
				      .cpu = th->cpu,
				      .sys_ns = sys,
				      .syscall = th->in_syscall,
				      .flags = th->in_flags | flags });
	th->on_cpu = false;
	th->have_wait = false;
	th->since = end;
}

static void on_in(struct tl_build *b, size_t i, unsigned int cpu, const struct cp_rec *r)
{
	struct tl_thread *th = &b->th[i];
	uint64_t t = rel(b, r->ts_ns), wait = cp_dur32_ns(r->b), wait_start;
	uint8_t flags = r->state & CP_REC_REPAIRED ? CP_TL_F_REPAIRED : 0;

	wait_start = wait < t ? t - wait : 0;
	if (th->on_cpu) { /* its switch-out was lost: it ran until some time before the wait */
		b->tl->unmatched++;
		if (wait_start < th->in_ns)
			wait_start = th->in_ns;
		close_slice(b, i, wait_start, 0, 0, CP_TL_F_INCOMPLETE);
	}
	if (wait_start < th->since)
		wait_start = th->since;
	if (!th->seen && th->state == CP_TL_UNKNOWN)
		th->flags = 0; /* attached: the wait covers its time since the attach */
	close_off_cpu(b, i, wait_start);
	th->have_wait = true;
	th->wait_start = wait_start;
	th->wait_state = tl_state_of(r->state & 0xf);
	th->wait_reason = (r->state >> 4) & 7;
	th->wait_waker = r->a ? (int32_t)r->a : th->parent;
	th->wait_flags = flags;
	if (th->wait_state == CP_TL_UNKNOWN)
		th->wait_flags |= CP_TL_F_INCOMPLETE;
	th->parent = 0;
	th->on_cpu = true;
	th->seen = true;
	th->in_ns = t;
	th->cpu = cpu;
	th->in_syscall = rec_syscall(r);
	th->in_flags = flags;
}

static void on_out(struct tl_build *b, size_t i, const struct cp_rec *r)
{
	struct tl_thread *th = &b->th[i];
	uint64_t t = rel(b, r->ts_ns);
	uint8_t kstate = r->state & 0xf;
	uint8_t flags = r->state & CP_REC_REPAIRED ? CP_TL_F_REPAIRED : 0;

	if (!th->on_cpu) { /* its switch-in was lost */
		b->tl->unmatched++;
		th->state = CP_TL_UNKNOWN;
		th->flags = CP_TL_F_INCOMPLETE;
		close_off_cpu(b, i, t);
	} else {
		close_slice(b, i, t, (int32_t)r->b, cp_dur32_ns(r->a), flags);
	}
	th->seen = true;
	th->since = t;
	th->state = tl_state_of(kstate);
	th->reason = (r->state >> 4) & 7;
	th->syscall = th->state == CP_TL_BLOCKED ? rec_syscall(r) : -1;
	th->waker = 0;
	th->flags = flags;
	if (kstate == KS_DEAD) {
		th->dead = true;
		add_mark(b, t, i, CP_TL_EXIT, 0);
	}
}

static int on_record(void *ctx, unsigned int cpu, const struct cp_rec *r)
{
	struct tl_build *b = ctx;
	uint64_t t = rel(b, r->ts_ns);
	ssize_t i = find_thread(b, r->tid, t);
	ssize_t child;

	if (i < 0 || b->th[i].dead) {
		b->tl->unmatched++;
		return 0;
	}
	switch (r->type) {
	case EV_IN:
		on_in(b, i, cpu, r);
		break;
	case EV_OUT:
		on_out(b, i, r);
		break;
	case EV_EXEC:
		if (r->state) { /* the launched program: on a CPU, in execve, from time zero */
			struct tl_thread *th = &b->th[i];

			th->on_cpu = th->seen = true;
			th->in_ns = t;
			th->cpu = cpu;
			th->in_syscall = rec_syscall(r);
		}
		add_mark(b, t, i, CP_TL_EXEC, 0);
		break;
	case EV_FORK:
		add_mark(b, t, i, CP_TL_FORK, (int32_t)r->a);
		child = find_thread(b, r->a, t);
		if (child >= 0) {
			struct tl_thread *ch = &b->th[child];

			/* New tasks wait for their first run as if woken, by their parent. */
			ch->seen = true;
			ch->state = CP_TL_WOKEN;
			ch->flags = 0;
			ch->since = t;
			ch->parent = r->tid;
			ch->waker = r->tid;
		}
		break;
	default:
		b->tl->unmatched++;
	}
	return b->err;
}

static int cmp_span(const void *pa, const void *pb)
{
	const struct cp_tl_span *a = pa, *b = pb;

	if (a->thread != b->thread)
		return a->thread < b->thread ? -1 : 1;
	return a->start_ns < b->start_ns ? -1 : a->start_ns > b->start_ns;
}

static int cmp_mark(const void *pa, const void *pb)
{
	const struct cp_tl_mark *a = pa, *b = pb;

	return a->ts_ns < b->ts_ns ? -1 : a->ts_ns > b->ts_ns;
}

int cp_timeline_build(struct cp_timeline *tl, const struct cp_run *run, struct cp_stream *s,
		      uint64_t origin_ns)
{
	struct tl_build b = { .tl = tl, .run = run, .origin = origin_ns };
	int err = -ENOMEM;

	*tl = (struct cp_timeline){ .end_ns = run->wall_ns,
				    .lost_records = run->lost_events,
				    .stream_records = s ? s->records : 0 };
	tl->stream_bytes = tl->stream_records * sizeof(struct cp_rec);
	b.th = calloc(run->nr_threads ? run->nr_threads : 1, sizeof(*b.th));
	b.by_tid = calloc(run->nr_threads ? run->nr_threads : 1, sizeof(*b.by_tid));
	if (!b.th || !b.by_tid)
		goto out;
	for (size_t i = 0; i < run->nr_threads; i++) {
		b.by_tid[i] = i;
		/* Until a record says otherwise (attached: seeded from /proc). */
		b.th[i] = (struct tl_thread){ .state = CP_TL_UNKNOWN,
					      .flags = CP_TL_F_INCOMPLETE,
					      .syscall = -1,
					      .since = run->threads[i].start_ns };
	}
	if (run->nr_threads)
		qsort_r(b.by_tid, run->nr_threads, sizeof(*b.by_tid), cmp_by_tid, run->threads);
	err = s ? cp_stream_each(s, on_record, &b) : 0;
	if (!err)
		err = b.err;
	if (err)
		goto out;
	/* Threads still alive when tracing stopped: their last state lasts to their end. */
	for (size_t i = 0; i < run->nr_threads; i++) {
		struct tl_thread *th = &b.th[i];
		uint64_t end = run->threads[i].end_ns;

		if (th->dead)
			continue;
		if (th->on_cpu)
			close_slice(&b, i, end, 0, 0, 0);
		else
			close_off_cpu(&b, i, end);
	}
	err = b.err;
	if (err)
		goto out;
	if (tl->nr_spans) /* qsort's pointer must not be NULL, even for nothing */
		qsort(tl->spans, tl->nr_spans, sizeof(*tl->spans), cmp_span);
	if (tl->nr_marks)
		qsort(tl->marks, tl->nr_marks, sizeof(*tl->marks), cmp_mark);
	for (size_t k = 0; k < tl->nr_spans; k++) {
		const struct cp_tl_span *sp = &tl->spans[k];

		if (sp->flags & CP_TL_F_INCOMPLETE) {
			tl->nr_incomplete++;
			tl->incomplete_ns += sp->end_ns - sp->start_ns;
		}
		if (k && tl->spans[k - 1].thread == sp->thread)
			tl->transitions++;
	}
out:
	free(b.th);
	free(b.by_tid);
	if (err)
		cp_timeline_free(tl);
	return err;
}

int cp_tl_write_tsv(FILE *out, const struct cp_run *run, const struct cp_timeline *tl)
{
	(void)run;
	fprintf(out, "tid\tpid\tstart_ns\tend_ns\tstate\treason\tsyscall\tcpu\tuser_ns\tsys_ns"
		     "\twaker\tflags\n");
	for (size_t i = 0; i < tl->nr_spans; i++) {
		const struct cp_tl_span *sp = &tl->spans[i];
		bool cpu = sp->state == CP_TL_CPU;
		uint64_t len = sp->end_ns - sp->start_ns;

		fprintf(out, "%d\t%d\t%" PRIu64 "\t%" PRIu64 "\t%s\t%s\t%d\t%d\t%" PRIu64 "\t%" PRIu64
			     "\t%d\t%s%s\n",
			sp->tid, sp->pid, sp->start_ns, sp->end_ns, cp_tl_state_name(sp->state),
			sp->state == CP_TL_BLOCKED ? cp_reason_name(sp->reason) : "-", sp->syscall,
			cpu ? sp->cpu : -1, cpu ? len - sp->sys_ns : 0, cpu ? sp->sys_ns : 0,
			sp->waker, sp->flags & CP_TL_F_REPAIRED ? "R" : "",
			sp->flags & CP_TL_F_INCOMPLETE ? "I" : "");
	}
	return ferror(out) ? -EIO : 0;
}
