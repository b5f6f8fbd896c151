/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Builds the concurrency profile (wall time with 0, 1, 2, ... traced threads on a CPU) from
 * the switch stream. Records reach userspace almost but not exactly in time order (each CPU
 * takes its timestamp before it reserves its slot), so they pass through a small reorder heap.
 */
#ifndef CONCPROF_CONCURRENCY_H
#define CONCPROF_CONCURRENCY_H

#include "model.h"

struct cp_conc_change {
	uint64_t ts_ns;
	int delta; /* threads that took a CPU minus threads that left one */
};

struct cp_conc_builder {
	uint64_t last_ns; /* time up to which ns_at is filled in; 0 before the start */
	int level;
	uint64_t *ns_at;
	size_t cap;
	size_t max_level;
	bool complete;
	uint64_t anomalies; /* out-of-order beyond the window, or a level below zero */
	struct cp_conc_change *heap;
	size_t heap_len, window;
};

void cp_conc_init(struct cp_conc_builder *b, size_t window);
/* Start counting at start_ns with `level` threads already on a CPU. */
void cp_conc_start(struct cp_conc_builder *b, uint64_t start_ns, int level);
int cp_conc_push(struct cp_conc_builder *b, uint64_t ts_ns, int delta);
/* Everything up to end_ns; the profile moves into out (caller frees out->ns_at). */
int cp_conc_finish(struct cp_conc_builder *b, uint64_t end_ns, struct cp_concurrency *out);
void cp_conc_free(struct cp_conc_builder *b);

#endif
