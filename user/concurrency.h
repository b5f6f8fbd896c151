/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Builds the concurrency profile (wall time with 0, 1, 2, ... traced threads on a CPU) from
 * the switch stream. Two things keep it from being a running count:
 *  - records reach userspace almost but not exactly in time order (each CPU takes its
 *    timestamp before it reserves its slot in the shared ring);
 *  - a slice's start is only final at its end: the kernel side moves it (by at most
 *    CP_CONC_MAX_SHIFT_NS) to give the slice the kernel's own length.
 * So changes wait in a min-heap until no record still to come can precede them: until the
 * earliest start of a slice still open, and a reorder margin behind the newest record.
 * Moving a start can make it overlap the end of the previous slice on the same CPU, by the
 * difference of two switches' tracepoint delays. When one traced thread hands the CPU to
 * another, the first one's end waits for the second one's start and ends there: the CPU is
 * never counted twice, and the profile can differ from the threads' totals by that skew, at
 * most a few µs a switch.
 */
#ifndef CONCPROF_CONCURRENCY_H
#define CONCPROF_CONCURRENCY_H

#include "model.h"

#define CP_CONC_MAX_SHIFT_NS 10000000ull /* MAX_REPAIR_SKEW_NS on the BPF side */
#define CP_CONC_REORDER_NS 10000000ull /* 10 ms: far more than any CPU's reservation lag */

struct cp_conc_change {
	uint64_t ts_ns;
	int delta;
};

struct cp_conc_open {
	uint32_t tid;
	uint64_t in_ns;	      /* its switch-in record's time */
	uint64_t handover_ns; /* the thread it took the CPU from ended then; 0 if none */
	uint64_t handover_start_ns; /* and had started then */
};

struct cp_conc_builder {
	uint64_t last_ns; /* time up to which ns_at is filled in; 0 before the start */
	uint64_t newest_ns;
	int level;
	uint64_t *ns_at;
	size_t cap;
	size_t max_level;
	bool complete;
	uint64_t anomalies; /* a record before the applied time, a slice end with no start */
	struct cp_conc_change *heap;
	size_t heap_len, heap_cap;
	struct cp_conc_open *open; /* slices begun, not yet ended: at most a few per CPU */
	size_t open_len, open_cap;
	uint64_t *cpu_free_ns; /* per CPU: when its latest slice ended */
	size_t nr_cpus;
};

void cp_conc_init(struct cp_conc_builder *b);
/* Start counting at start_ns (attach); otherwise the first switch-in starts the clock. */
void cp_conc_start(struct cp_conc_builder *b, uint64_t start_ns);
/* Thread tid took a CPU at in_ns. */
int cp_conc_switch_in(struct cp_conc_builder *b, uint32_t tid, uint64_t in_ns);
/*
 * Thread tid left CPU `cpu` at ts_ns; its slice started shift_ns before its switch-in record.
 * next_tid (0 if none of ours) took the CPU at the same instant.
 */
int cp_conc_switch(struct cp_conc_builder *b, uint32_t tid, int32_t shift_ns, uint32_t next_tid,
		   uint64_t ts_ns, unsigned int cpu);
/* Everything up to end_ns, slices still open included; the profile moves into out. */
int cp_conc_finish(struct cp_conc_builder *b, uint64_t end_ns, struct cp_concurrency *out);
void cp_conc_free(struct cp_conc_builder *b);

#endif
