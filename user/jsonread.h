/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading a "concprof/1" document (json.h) back into a struct cp_run, for `concprof compare` and
 * anything else that works on saved runs without root. Parsed with json-c.
 *
 * What is required: everything the first concprof/1 writer wrote (format, command, exit_code,
 * signal, attached, root_pid, wall_ns, cpus, lost_events, lost_threads, rusage, concurrency,
 * and every process's and thread's fields). What later writers added is optional and reads as
 * 0 (unknown, none) where a file lacks it: stream_records, repaired_switches, repaired_wakeups,
 * per-thread syscalls and first_run_ns, per-process peak_rss_bytes, lost_locks and locks.
 * Figures that are sums of others ("totals", a thread's runnable_ns and blocked_ns, a lock's
 * name) are not read: the model derives them. kernel_hz is not in the format: it reads as 0.
 *
 * A thread's other_syscall comes back as a number when its name is known on this machine
 * (or written "syscall N"); otherwise -1.
 */
#ifndef CONCPROF_JSONREAD_H
#define CONCPROF_JSONREAD_H

#include "model.h"

#include <stddef.h>
#include <stdio.h>

/* A document larger than this is refused rather than read into memory. */
#define CP_JSON_READ_MAX_BYTES (1ULL << 30)

/*
 * Reads one concprof/1 document from in into run, heap-allocated like the collector's
 * (cp_run_free releases it). Returns 0, or:
 *   -EBADMSG  not JSON, not concprof/1, a required field missing or of the wrong type or range
 *   -EFBIG    larger than CP_JSON_READ_MAX_BYTES
 *   -ENOMEM, or the read's -errno
 * with one sentence in err (without the file's name, which the caller knows), like
 * "not a concprof/1 file: its format is \"other/2\"" or "malformed concprof/1 file:
 * threads[3].user_ns is missing". On an error run is left empty ({0}).
 */
int cp_json_read(FILE *in, struct cp_run *run, char *err, size_t errlen);

#endif
