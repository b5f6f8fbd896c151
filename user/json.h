/* SPDX-License-Identifier: GPL-2.0 */
/*
 * JSON export of a run, and the small writer behind it (after bpftool's json_writer).
 *
 * Format "concprof/1". Times are integer nanoseconds; start_ns/end_ns count from the workload's
 * exec (from the attach in attach mode). Keys are always present, in this order:
 *
 * {
 *   "format": "concprof/1",
 *   "command": ["./prog", "arg"],     argv; bytes that are not UTF-8 become U+FFFD
 *   "exit_code": 0,                   0..255, 128+N if killed by signal N, -1 unknown (attached)
 *   "signal": 0,                      N if killed by signal N, else 0
 *   "attached": false,                true: -p PID rather than a launched command
 *   "root_pid": 1234,
 *   "wall_ns": 0,
 *   "cpus": 2,                        online CPUs
 *   "lost_events": 0,                 stream records dropped: "concurrency" is then a lower bound
 *   "stream_records": 0,              stream records kept (24 bytes each)
 *   "lost_threads": 0,                threads never tracked: missing from every figure
 *   "rusage": {"user_ns": 0, "sys_ns": 0},   the kernel's tick-sampled figures; null if attached
 *   "totals": {                       sums over all threads
 *     "user_ns", "sys_ns", "runnable_ns", "runnable_preempted_ns", "runnable_woken_ns",
 *     "blocked_ns", "blocked": {"lock", "sleep", "child", "net", "pipe", "disk", "paging",
 *     "other"}, "voluntary_switches", "involuntary_switches", "migrations", "net_rx_bytes",
 *     "net_tx_bytes", "disk_read_bytes", "disk_write_bytes", "pipe_read_bytes",
 *     "pipe_write_bytes"
 *   },
 *   "concurrency": {"ns_at": [..], "complete": true},   ns_at[k]: wall time with exactly k
 *                                                        threads on a CPU
 *   "processes": [{"pid", "ppid", "comm", "start_ns", "end_ns", "exited", "exit_code",
 *                  "signal"}],
 *   "threads": [{"tid", "pid", "comm", "start_ns", "end_ns", "exited", "user_ns", "sys_ns",
 *                "runnable_ns", "runnable_preempted_ns", "runnable_woken_ns", "blocked_ns",
 *                "blocked": {all 8 reasons}, "other_syscall": the latest "other" block's syscall:
 *                "poll", "syscall 999" if unnamed, null if none,
 *                "voluntary_switches", "involuntary_switches", "migrations", "net_rx_bytes",
 *                "net_tx_bytes", "disk_read_bytes", "disk_write_bytes", "pipe_read_bytes",
 *                "pipe_write_bytes"}]
 * }
 *
 * Within each thread: user_ns + sys_ns + runnable_ns + blocked_ns = end_ns - start_ns.
 */
#ifndef CONCPROF_JSON_H
#define CONCPROF_JSON_H

#include "model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CP_JSON_FORMAT	  "concprof/1"
#define CP_JSON_MAX_DEPTH 16

/*
 * Pretty-printed (2-space indent) JSON onto a FILE. Misuse (a value where a key is due, too
 * deep, unbalanced ends) and write errors are remembered, not printed: cp_json_finish() reports
 * the first one.
 */
struct cp_json {
	FILE *out;
	int depth;
	bool in_object[CP_JSON_MAX_DEPTH + 1];	 /* false: an array (or the top level) */
	bool has_items[CP_JSON_MAX_DEPTH + 1];	 /* a comma is due before the next item */
	bool single_line[CP_JSON_MAX_DEPTH + 1]; /* an array kept on one line */
	bool key_pending;			 /* a key was written, its value is due */
	int err;				 /* first error, -errno */
};

void cp_json_init(struct cp_json *w, FILE *out);
/* Ends the document with a newline and flushes. Returns 0, or the first error as -errno. */
int cp_json_finish(struct cp_json *w);

void cp_json_begin_object(struct cp_json *w);
void cp_json_end_object(struct cp_json *w);
void cp_json_begin_array(struct cp_json *w);
/* An array of scalars on a single line: "command": ["./prog", "arg"]. */
void cp_json_begin_array_inline(struct cp_json *w);
void cp_json_end_array(struct cp_json *w);

void cp_json_key(struct cp_json *w, const char *key);
void cp_json_string(struct cp_json *w, const char *s);
/* At most len bytes of s, stopping at a NUL: for fixed-size fields like comm. */
void cp_json_string_len(struct cp_json *w, const char *s, size_t len);
void cp_json_u64(struct cp_json *w, uint64_t v);
void cp_json_i64(struct cp_json *w, int64_t v);
void cp_json_bool(struct cp_json *w, bool v);
void cp_json_null(struct cp_json *w);

/* key + value shorthands */
void cp_json_kv_string(struct cp_json *w, const char *key, const char *s);
void cp_json_kv_u64(struct cp_json *w, const char *key, uint64_t v);
void cp_json_kv_i64(struct cp_json *w, const char *key, int64_t v);
void cp_json_kv_bool(struct cp_json *w, const char *key, bool v);

/* Writes run as a "concprof/1" document. Returns 0 or -errno. */
int cp_json_write(FILE *out, const struct cp_run *run);

#endif
