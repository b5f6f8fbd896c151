// SPDX-License-Identifier: GPL-2.0
#include "concurrency.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void cp_conc_init(struct cp_conc_builder *b, size_t window)
{
	*b = (struct cp_conc_builder){ .complete = true, .window = window ? window : 1 };
}

void cp_conc_start(struct cp_conc_builder *b, uint64_t start_ns, int level)
{
	b->last_ns = start_ns;
	b->level = level;
}

static int grow_levels(struct cp_conc_builder *b, size_t level)
{
	size_t cap = b->cap ? b->cap : 8;
	uint64_t *ns_at;

	if (level < b->cap)
		return 0;
	while (cap <= level)
		cap *= 2;
	ns_at = realloc(b->ns_at, cap * sizeof(*ns_at));
	if (!ns_at)
		return -ENOMEM;
	memset(ns_at + b->cap, 0, (cap - b->cap) * sizeof(*ns_at));
	b->ns_at = ns_at;
	b->cap = cap;
	return 0;
}

/* Credit the time since last_ns to the current level, then move to ts_ns. */
static int advance(struct cp_conc_builder *b, uint64_t ts_ns)
{
	int err;

	if (!b->last_ns) { /* the first record starts the clock */
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
	if ((size_t)b->level > b->max_level)
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

static void heap_sift_down(struct cp_conc_change *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct cp_conc_change tmp;

		if (l < n && h[l].ts_ns < h[m].ts_ns)
			m = l;
		if (r < n && h[r].ts_ns < h[m].ts_ns)
			m = r;
		if (m == i)
			return;
		tmp = h[i];
		h[i] = h[m];
		h[m] = tmp;
		i = m;
	}
}

static int pop_apply(struct cp_conc_builder *b)
{
	struct cp_conc_change min = b->heap[0];

	b->heap[0] = b->heap[--b->heap_len];
	heap_sift_down(b->heap, b->heap_len, 0);
	return apply(b, &min);
}

int cp_conc_push(struct cp_conc_builder *b, uint64_t ts_ns, int delta)
{
	size_t i;

	if (!b->heap) {
		b->heap = calloc(b->window, sizeof(*b->heap));
		if (!b->heap)
			return -ENOMEM;
	}
	if (b->heap_len == b->window) {
		int err = pop_apply(b);

		if (err)
			return err;
	}
	i = b->heap_len++;
	b->heap[i] = (struct cp_conc_change){ .ts_ns = ts_ns, .delta = delta };
	while (i > 0 && b->heap[(i - 1) / 2].ts_ns > b->heap[i].ts_ns) {
		struct cp_conc_change tmp = b->heap[i];

		b->heap[i] = b->heap[(i - 1) / 2];
		b->heap[(i - 1) / 2] = tmp;
		i = (i - 1) / 2;
	}
	return 0;
}

int cp_conc_finish(struct cp_conc_builder *b, uint64_t end_ns, struct cp_concurrency *out)
{
	int err = 0;

	while (b->heap_len && !err)
		err = pop_apply(b);
	if (!err && b->last_ns)
		err = advance(b, end_ns);
	if (!err)
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
	*b = (struct cp_conc_builder){ 0 };
}
