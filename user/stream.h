/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The event stream as it leaves the kernel: per-CPU batches of 24-byte records (struct cp_rec).
 * Each CPU's records are appended to a temporary file of its own while the workload runs, so
 * memory stays bounded however long the run; reading merges the CPUs' files into one stream
 * in time order. No BPF here: the tests feed it hand-made batches.
 */
#ifndef CONCPROF_STREAM_H
#define CONCPROF_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "concprof.h"

struct cp_stream_cpu {
	FILE *f;	  /* NULL until the CPU's first record */
	uint64_t records; /* records in f */
};

struct cp_stream {
	struct cp_stream_cpu *cpus;
	size_t nr_cpus;
	uint64_t records;
	uint64_t bad_batches; /* malformed batches dropped (never seen from a sane kernel) */
	const char *dir;      /* where the temporary files go: $TMPDIR or /tmp */
};

void cp_stream_init(struct cp_stream *s);
/* One ring buffer record: a cp_batch's header and `nr` records. Returns 0 or -errno. */
int cp_stream_add_batch(struct cp_stream *s, const void *data, size_t size);
/* Records of one CPU, in the order that CPU produced them. */
int cp_stream_add(struct cp_stream *s, unsigned int cpu, const struct cp_rec *recs, size_t nr);

/* Calls fn for each record of all CPUs, merged by time (a CPU's own order kept); stops at
 * the first non-zero return, which it returns. -errno if reading the files fails.
 */
typedef int (*cp_stream_fn)(void *ctx, unsigned int cpu, const struct cp_rec *rec);
int cp_stream_each(struct cp_stream *s, cp_stream_fn fn, void *ctx);
void cp_stream_free(struct cp_stream *s);

#endif
