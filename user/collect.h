/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Loads and attaches the BPF side, drains its event stream while the workload runs, and at the
 * end turns the kernel's exact totals into a struct cp_run. Needs root (or CAP_BPF+CAP_PERFMON).
 */
#ifndef CONCPROF_COLLECT_H
#define CONCPROF_COLLECT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "model.h"

struct cp_collect_opts {
	uint8_t floor_only;	/* CP_FLOOR: probes attached, each stopping after "is it ours?";
				 * CP_FLOOR_CLOCK: and after one clock read (make bench) */
	bool no_stream;		/* no event stream: totals only */
	uint32_t max_threads;	/* threads (and processes) tracked at once */
	uint32_t ringbuf_bytes; /* power of two */
	bool verbose;		/* libbpf's own messages */
};

struct cp_collector;

/*
 * How often userspace drains the ring buffer unasked. The kernel side wakes it sooner only
 * when a quarter of the ring waits: a batch of 170 records (about 100 context switches) is
 * 4 KiB, so a 1 MiB ring wakes it every 6,000 or so switches.
 */
#define CP_DRAIN_MS 100

/*
 * The ring's size for a machine of `ncpus` CPUs: 512 KiB per CPU, at least 1 MiB, at most
 * 16 MiB, a power of two. Small on purpose: the kernel side copies each batch into it, and
 * into a ring that still sits in the cache. With 16 MiB, every line it wrote had to come from
 * memory: on the pinned pipe benchmark, sched_switch's program took 430 ns a call against
 * 315 ns with 1 MiB (kernel.bpf_stats_enabled).
 */
uint32_t cp_ring_bytes(long ncpus);

/* On failure, returns -errno and has printed why. */
int cp_collect_open(struct cp_collector **out, const struct cp_collect_opts *opts);
/* Trace `pid` from its next exec on: the launched program, still waiting at its gate. */
int cp_collect_add_pending(struct cp_collector *c, pid_t pid);
/* Trace a running process's threads from now on, seeding their states from /proc. */
int cp_collect_attach(struct cp_collector *c, pid_t pid);
/* Drain the event stream, waiting up to timeout_ms for records or for `fd` (-1: none) to be
 * readable. Returns 1 if fd is readable, 0 if not, -errno on failure.
 */
int cp_collect_poll(struct cp_collector *c, int fd, int timeout_ms);
/* Stop at end_ns (CLOCK_MONOTONIC) and fill `run`'s measured parts. */
int cp_collect_finish(struct cp_collector *c, uint64_t end_ns, struct cp_run *run);
void cp_collect_close(struct cp_collector *c);
/* After cp_collect_finish: the event stream (NULL with no_stream), and its time zero. */
struct cp_stream *cp_collect_stream(struct cp_collector *c);
uint64_t cp_collect_origin(struct cp_collector *c);

uint64_t cp_now_ns(void);

#endif
