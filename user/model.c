// SPDX-License-Identifier: GPL-2.0
#include "model.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const reason_names[CP_NR_REASONS] = {
	[CP_REASON_LOCK] = "lock", [CP_REASON_SLEEP] = "sleep",	  [CP_REASON_CHILD] = "child",
	[CP_REASON_NET] = "net",   [CP_REASON_PIPE] = "pipe",	  [CP_REASON_DISK] = "disk",
	[CP_REASON_PAGING] = "paging", [CP_REASON_OTHER] = "other",
};

const char *cp_reason_name(enum cp_reason reason)
{
	return (unsigned)reason < CP_NR_REASONS ? reason_names[reason] : "?";
}

uint64_t cp_thread_blocked_ns(const struct cp_thread *t)
{
	uint64_t sum = 0;

	for (int r = 0; r < CP_NR_REASONS; r++)
		sum += t->blocked_ns[r];
	return sum;
}

uint64_t cp_totals_blocked_ns(const struct cp_totals *t)
{
	uint64_t sum = 0;

	for (int r = 0; r < CP_NR_REASONS; r++)
		sum += t->blocked_ns[r];
	return sum;
}

void cp_run_totals(const struct cp_run *run, struct cp_totals *out)
{
	*out = (struct cp_totals){ 0 };
	for (size_t i = 0; i < run->nr_threads; i++) {
		const struct cp_thread *t = &run->threads[i];

		out->user_ns += t->user_ns;
		out->sys_ns += t->sys_ns;
		out->runnable_preempted_ns += t->runnable_preempted_ns;
		out->runnable_woken_ns += t->runnable_woken_ns;
		for (int r = 0; r < CP_NR_REASONS; r++)
			out->blocked_ns[r] += t->blocked_ns[r];
		out->voluntary_switches += t->voluntary_switches;
		out->involuntary_switches += t->involuntary_switches;
		out->migrations += t->migrations;
		out->syscalls += t->syscalls;
		out->net_rx_bytes += t->net_rx_bytes;
		out->net_tx_bytes += t->net_tx_bytes;
		out->disk_read_bytes += t->disk_read_bytes;
		out->disk_write_bytes += t->disk_write_bytes;
		out->pipe_read_bytes += t->pipe_read_bytes;
		out->pipe_write_bytes += t->pipe_write_bytes;
	}
}

void cp_run_free(struct cp_run *run)
{
	if (!run)
		return;
	if (run->argv) {
		for (int i = 0; i < run->argc; i++)
			free(run->argv[i]);
		free(run->argv);
	}
	free(run->procs);
	free(run->threads);
	for (size_t i = 0; i < run->nr_locks; i++) {
		free(run->locks[i].path);
		free(run->locks[i].symbol);
	}
	free(run->locks);
	free(run->concurrency.ns_at);
	*run = (struct cp_run){ 0 };
}

const char *cp_lock_name(const struct cp_lock *l, char *buf, size_t len)
{
	const char *base = l->path ? strrchr(l->path, '/') : NULL;

	base = base ? base + 1 : l->path;
	if (l->symbol && l->symbol_offset)
		snprintf(buf, len, "%s+%" PRIu64 " (%s)", l->symbol, l->symbol_offset, base);
	else if (l->symbol)
		snprintf(buf, len, "%s (%s)", l->symbol, base);
	else if (l->path)
		snprintf(buf, len, "%s+%#" PRIx64, base, l->addr);
	else
		snprintf(buf, len, "%s %#" PRIx64,
			 l->kind == CP_LOCK_HEAP    ? "heap"
			 : l->kind == CP_LOCK_ANON  ? "heap (mmap)"
			 : l->kind == CP_LOCK_STACK ? "stack"
						    : "lock",
			 l->addr);
	return buf;
}
