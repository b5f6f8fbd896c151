/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hottest locks of a run, for the report: a table (name, process, waiters, total and longest
 * wait, who released them) and the GIL lesson when a GIL is what the threads waited for.
 */
#ifndef CONCPROF_LOCKS_H
#define CONCPROF_LOCKS_H

#include <stdbool.h>
#include <stdio.h>

#include "analyze.h"
#include "model.h"

#define CP_LOCKS_SHOWN 5

/*
 * One row of the table: a lock, or every GIL lock of one process merged (CPython's GIL is a
 * mutex and a condition variable: two futex words, one lock to the reader).
 */
struct cp_lock_row {
	const struct cp_lock *lock; /* the first (the hottest) of the merged ones */
	uint64_t wait_ns, max_wait_ns, waits;
	size_t nr_waiters; /* distinct threads, of the process */
	bool more_waiters;
	int32_t wakers[CP_LOCK_MAX_IDS]; /* traced threads of the process that released it */
	size_t nr_wakers;
	bool gil;
};

/* Rows, most wait first; returns how many (at most max). */
size_t cp_lock_rows(const struct cp_run *run, struct cp_lock_row *rows, size_t max);

/* "── Locks ──" section; nothing if no thread waited on a lock. 0 or -errno. */
int cp_render_locks(FILE *out, const struct cp_run *run, bool color, int width);

/*
 * The GIL finding, when the program's threads waited mostly for a GIL (CPython's, or a lock a
 * program names *_gil): into buf, one paragraph; false if there is no such finding.
 */
bool cp_gil_finding(const struct cp_run *run, const struct cp_analysis *a, char *buf, size_t len);

#endif
