// SPDX-License-Identifier: GPL-2.0
#include "concurrency.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void cp_conc_init(struct cp_conc_builder *b)
{
	*b = (struct cp_conc_builder){ .complete = true };
}

void cp_conc_start(struct cp_conc_builder *b, uint64_t start_ns)
{
	b->last_ns = start_ns;
}

static int grow(void **array, size_t *cap, size_t need, size_t size)
{
	size_t new_cap = *cap ? *cap : 8;
	void *grown;

	if (need <= *cap)
		return 0;
	while (new_cap < need)
		new_cap *= 2;
	grown = realloc(*array, new_cap * size);
	if (!grown)
		return -ENOMEM;
	*array = grown;
	*cap = new_cap;
	return 0;
}

static int grow_levels(struct cp_conc_builder *b, size_t level)
{
	size_t old = b->cap;
	int err = grow((void **)&b->ns_at, &b->cap, level + 1, sizeof(*b->ns_at));

	if (!err)
		memset(b->ns_at + old, 0, (b->cap - old) * sizeof(*b->ns_at));
	return err;
}

/* Credit the time since last_ns to the current level, then move to ts_ns. */
static int advance(struct cp_conc_builder *b, uint64_t ts_ns)
{
	int err;

	if (!b->last_ns) { /* the first change starts the clock */
		b->last_ns = ts_ns;
		return 0;
	}
	if (ts_ns < b->last_ns) {
		b->anomalies++;
		b->complete = false;
		return 0;
	}
	err = grow_levels(b, b->level);
	if (err)
		return err;
	b->ns_at[b->level] += ts_ns - b->last_ns;
	if (ts_ns > b->last_ns && (size_t)b->level > b->max_level)
		b->max_level = b->level;
	b->last_ns = ts_ns;
	return 0;
}

static int apply(struct cp_conc_builder *b, const struct cp_conc_change *c)
{
	int err = advance(b, c->ts_ns);

	if (err)
		return err;
	b->level += c->delta;
	if (b->level < 0) {
		b->level = 0;
		b->anomalies++;
		b->complete = false;
	}
	return 0;
}

/* Earlier first; at the same instant, a thread leaving before one arriving. */
static bool before(const struct cp_conc_change *a, const struct cp_conc_change *b)
{
	return a->ts_ns < b->ts_ns || (a->ts_ns == b->ts_ns && a->delta < b->delta);
}

static void sift_down(struct cp_conc_change *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct cp_conc_change tmp;

		if (l < n && before(&h[l], &h[m]))
			m = l;
		if (r < n && before(&h[r], &h[m]))
			m = r;
		if (m == i)
			return;
		tmp = h[i];
		h[i] = h[m];
		h[m] = tmp;
		i = m;
	}
}

static int push(struct cp_conc_builder *b, uint64_t ts_ns, int delta)
{
	size_t i;
	int err = grow((void **)&b->heap, &b->heap_cap, b->heap_len + 1, sizeof(*b->heap));

	if (err)
		return err;
	i = b->heap_len++;
	b->heap[i] = (struct cp_conc_change){ .ts_ns = ts_ns, .delta = delta };
	while (i > 0 && before(&b->heap[i], &b->heap[(i - 1) / 2])) {
		struct cp_conc_change tmp = b->heap[i];

		b->heap[i] = b->heap[(i - 1) / 2];
		b->heap[(i - 1) / 2] = tmp;
		i = (i - 1) / 2;
	}
	return 0;
}

/* Apply every change at or before `until`. */
static int drain(struct cp_conc_builder *b, uint64_t until)
{
	while (b->heap_len && b->heap[0].ts_ns <= until) {
		struct cp_conc_change min = b->heap[0];
		int err;

		b->heap[0] = b->heap[--b->heap_len];
		sift_down(b->heap, b->heap_len, 0);
		err = apply(b, &min);
		if (err)
			return err;
	}
	return 0;
}

/* Nothing still to come can change the profile before this time. */
static int drain_settled(struct cp_conc_builder *b)
{
	uint64_t settled = b->newest_ns > CP_CONC_REORDER_NS ? b->newest_ns - CP_CONC_REORDER_NS : 0;

	for (size_t i = 0; i < b->open_len; i++) {
		uint64_t earliest = b->open[i].in_ns > CP_CONC_MAX_SHIFT_NS
					    ? b->open[i].in_ns - CP_CONC_MAX_SHIFT_NS
					    : 0;

		if (earliest < settled)
			settled = earliest;
	}
	return drain(b, settled);
}

static void saw(struct cp_conc_builder *b, uint64_t ts_ns)
{
	if (ts_ns > b->newest_ns)
		b->newest_ns = ts_ns;
}

static struct cp_conc_open *find_open(struct cp_conc_builder *b, uint32_t tid)
{
	for (size_t i = 0; i < b->open_len; i++)
		if (b->open[i].tid == tid)
			return &b->open[i];
	return NULL;
}

static int open_slice(struct cp_conc_builder *b, uint32_t tid, uint64_t in_ns, uint64_t handover_ns,
		      uint64_t handover_start_ns)
{
	struct cp_conc_open *o = find_open(b, tid);
	int err;

	if (o) { /* its switch-out was lost: keep the later start */
		b->anomalies++;
		b->complete = false;
	} else {
		err = grow((void **)&b->open, &b->open_cap, b->open_len + 1, sizeof(*b->open));
		if (err)
			return err;
		o = &b->open[b->open_len++];
	}
	*o = (struct cp_conc_open){ .tid = tid,
				    .in_ns = in_ns,
				    .handover_ns = handover_ns,
				    .handover_start_ns = handover_start_ns };
	return 0;
}

int cp_conc_switch_in(struct cp_conc_builder *b, uint32_t tid, uint64_t in_ns)
{
	saw(b, in_ns);
	return open_slice(b, tid, in_ns, 0, 0);
}

static int ensure_cpu(struct cp_conc_builder *b, unsigned int cpu)
{
	size_t old = b->nr_cpus;
	int err;

	if (cpu < b->nr_cpus)
		return 0;
	err = grow((void **)&b->cpu_free_ns, &b->nr_cpus, cpu + 1, sizeof(*b->cpu_free_ns));
	if (!err)
		memset(b->cpu_free_ns + old, 0, (b->nr_cpus - old) * sizeof(*b->cpu_free_ns));
	return err;
}

/* The end of the slice this one took the CPU over from: not after this one's start. */
static int close_handover(struct cp_conc_builder *b, const struct cp_conc_open *o, uint64_t start)
{
	uint64_t end = o->handover_ns;

	if (!end)
		return 0;
	if (start < end)
		end = start > o->handover_start_ns ? start : o->handover_start_ns;
	return push(b, end, -1);
}

int cp_conc_switch(struct cp_conc_builder *b, uint32_t tid, int32_t shift_ns, uint32_t next_tid,
		   uint64_t ts_ns, unsigned int cpu)
{
	uint64_t start = 0, handover = 0;
	struct cp_conc_open *o;
	int err;

	saw(b, ts_ns);
	err = ensure_cpu(b, cpu);
	if (err)
		return err;
	o = tid ? find_open(b, tid) : NULL;
	if (o) {
		start = o->in_ns - shift_ns;
		if (start < b->cpu_free_ns[cpu])
			start = b->cpu_free_ns[cpu];
		err = close_handover(b, o, start);
		if (!err)
			err = push(b, start, +1);
		*o = b->open[--b->open_len];
		if (err)
			return err;
		/* Its end waits for the next one's start when the CPU goes to one of ours. */
		if (next_tid)
			handover = ts_ns;
		else
			err = push(b, ts_ns, -1);
		b->cpu_free_ns[cpu] = ts_ns;
	} else if (tid) { /* a slice whose start we never saw: its time is missing */
		b->anomalies++;
		b->complete = false;
	}
	if (!err && next_tid)
		err = open_slice(b, next_tid, ts_ns, handover, start);
	return err ? err : drain_settled(b);
}

int cp_conc_finish(struct cp_conc_builder *b, uint64_t end_ns, struct cp_concurrency *out)
{
	int err = 0;

	/* Slices still open at the end: threads alive when tracing stopped. */
	for (size_t i = 0; i < b->open_len && !err; i++) {
		err = close_handover(b, &b->open[i], b->open[i].in_ns);
		if (!err)
			err = push(b, b->open[i].in_ns, +1);
		if (!err)
			err = push(b, end_ns, -1);
	}
	b->open_len = 0;
	if (!err)
		err = drain(b, UINT64_MAX);
	if (!err && b->last_ns)
		err = advance(b, end_ns);
	if (!err && b->ns_at)
		err = grow_levels(b, b->max_level);
	if (err)
		return err;
	out->ns_at = b->ns_at;
	out->nr_levels = b->ns_at ? b->max_level + 1 : 0;
	out->complete = b->complete;
	b->ns_at = NULL;
	b->cap = 0;
	return 0;
}

void cp_conc_free(struct cp_conc_builder *b)
{
	free(b->ns_at);
	free(b->heap);
	free(b->open);
	free(b->cpu_free_ns);
	*b = (struct cp_conc_builder){ 0 };
}
