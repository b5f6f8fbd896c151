/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The recording file: what `concprof record` writes and `concprof report` reads. It holds the
 * whole measured run (struct cp_run, every field) and its event stream, so a report made from
 * it, without root, is the report the live run would have printed.
 *
 * Layout, format 1. Every integer is little-endian. Inside a section's payload:
 *   u       an unsigned varint (LEB128: 7 bits a byte, low bits first, top bit: more follow),
 *           at most 10 bytes; a value too large for its field (32 bits for most) is an error
 *   s       a signed 32-bit value as a zigzag varint (0, -1, 1, -2, ... as 0, 1, 2, 3, ...)
 *   bool    one byte, 0 or 1
 *   str     u length, then that many bytes, none of them NUL (no terminator)
 *
 *   File header, 16 bytes
 *     magic             8 bytes  "CONCPROF"
 *     version           u32      format version (1); a reader refuses a newer one
 *     crc               u32      CRC-32 of the 12 bytes before it
 *   Then sections, each framed as
 *     tag               4 bytes  ASCII, below
 *     length            u32      bytes of payload (at most 1 GiB)
 *     payload
 *     crc               u32      CRC-32 (zlib's) of the file from its first byte to the end of
 *                                this payload: a chain, so a reordered, dropped or damaged
 *                                section is detected, and the last one checks the whole file
 *   in this order (a reader skips a section whose tag it does not know):
 *   "META"  u clock: clockid_t of the stream's timestamps (1, CLOCK_MONOTONIC);
 *           u start_epoch_ns: wall-clock time (CLOCK_REALTIME) of the run's time zero;
 *           u origin_ns: the stream clock's value at the run's time zero;
 *           bool has_stream: 0 if recorded without the event stream (--no-stream);
 *           str kernel (uname -r, ≤ 64 bytes); str machine (uname -m, ≤ 64);
 *           str concprof_version (≤ 31)
 *   "RUN "  bool attached; bool have_rusage; s root_pid; s exit_code; s term_signal; s cpus;
 *           s kernel_hz; u wall_ns; u lost_events; u stream_records; u lost_threads;
 *           u repaired_switches; u repaired_wakeups; u rusage_user_ns; u rusage_sys_ns;
 *           u argc; argc × str argv[i]
 *   "PROC"  u count; per process: s pid; s ppid; comm; u start_ns; u end_ns; bool exited;
 *           s exit_code; s term_signal; u peak_rss_bytes
 *           (comm: one byte length ≤ 16, then the bytes, none NUL)
 *   "THRD"  u count; per thread: s tid; s pid; comm; u start_ns; u end_ns; bool exited;
 *           u first_run_ns; u stack_reserved_bytes; u stack_used_bytes; u user_ns; u sys_ns; u runnable_preempted_ns; u runnable_woken_ns;
 *           8 × u blocked_ns[reason] (enum cp_reason order); s other_syscall;
 *           u voluntary_switches; u involuntary_switches; u migrations; u syscalls;
 *           u net_rx_bytes; u net_tx_bytes; u disk_read_bytes; u disk_write_bytes;
 *           u pipe_read_bytes; u pipe_write_bytes
 *   "LOCK"  u lost_locks; u count; per lock: s pid; u addr; u wait_ns; u max_wait_ns; u waits;
 *           waiters; wakers; kind (1 byte, enum cp_lock_kind); path; symbol; u symbol_offset;
 *           bool gil
 *           (waiters, wakers: one byte n ≤ 8, n × s tid, bool more;
 *           path, symbol: bool present, then if present a str of at most 65536 bytes)
 *   "CONC"  bool complete; u nr_levels; nr_levels × u ns_at[k]
 *   "EVTS"  zero or more: a chunk of one CPU's records, in that CPU's order (the writer puts
 *           a CPU's chunks one after another). u cpu (< 65536); u count (1 to 65536); per record
 *           (struct cp_rec in bpf/concprof.h):
 *             u ts delta: zigzag of ts_ns minus the previous record's (the chunk's first: minus
 *               0), modulo 2^64; zigzag because a repaired record may be dated back
 *             u tid; type (1 byte, enum cp_rec_type: 1 to 4); state (1 byte);
 *             u (syscall + 1) modulo 2^16, so CP_NO_SYSCALL is one byte;
 *             u a; u b, zigzag (as a signed 32-bit value) when type is EV_OUT, where it may be
 *               negative
 *   "END "  u chunks: EVTS sections before it; u records: their records. Nothing follows.
 *
 * A context switch between two traced threads (an EV_OUT and an EV_IN with the same time,
 * 48 bytes in memory) took 24 to 29 bytes in recordings of the ground-truth workloads; a chunk
 * adds about 20 bytes (its frame, cpu, count, and a first time in full) per 4096 records.
 */
#ifndef CONCPROF_RECFILE_H
#define CONCPROF_RECFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"

struct cp_stream;

#define CP_RECFILE_MAGIC   "CONCPROF"
#define CP_RECFILE_VERSION 1

struct cp_recfile_meta {
	char kernel[65];	   /* uname -r */
	char machine[65];	   /* uname -m */
	char concprof_version[32]; /* of the concprof that recorded it */
	uint64_t start_epoch_ns;   /* CLOCK_REALTIME of the run's time zero */
	uint64_t origin_ns;	   /* the stream clock at the run's time zero (cp_timeline_build) */
	uint32_t clock_id;	   /* the stream's clock: CLOCK_MONOTONIC */
	uint32_t format_version;   /* set by the reader; the writer writes CP_RECFILE_VERSION */
	bool has_stream;	   /* set by the reader; the writer writes stream != NULL */
};

/*
 * Fills meta for a recording made now on this machine: uname, this concprof's version, the
 * stream's clock, origin_ns, and start_epoch_ns as the wall-clock time of origin_ns.
 */
void cp_recfile_meta_init(struct cp_recfile_meta *meta, uint64_t origin_ns);

/*
 * Writes run, its event stream (NULL: recorded without one) and meta onto out, and flushes it.
 * The stream's spool files are read from their start and left at their end, as cp_stream_each
 * leaves them. Returns 0, or -errno: -EINVAL for a stream record of a type the format does not
 * have, -EFBIG for a table past 1 GiB, -ENOMEM, or the write's error; what was written is then
 * no recording (the reader says it is truncated): remove it.
 */
int cp_recfile_write(FILE *out, const struct cp_run *run, struct cp_stream *stream,
		     const struct cp_recfile_meta *meta);

/*
 * Reads a recording. run is filled and heap-allocated like the collector's (cp_run_free
 * releases it); the stream's records are appended to stream (cp_stream_init'ed by the caller,
 * and freed by it whatever the outcome; NULL: checked, then dropped). Returns 0, or:
 *   -EBADMSG          not a recording, truncated, corrupted or malformed
 *   -EPROTONOSUPPORT  made by a newer concprof (a newer format)
 *   -ENOMEM, or the read's or the stream's -errno
 * with one sentence in err saying what is wrong, like "recording is truncated: the thread table
 * ends early". On an error run is left empty ({0}). Memory is bounded by the bytes the file
 * really holds, whatever its counts claim.
 */
int cp_recfile_read(FILE *in, struct cp_run *run, struct cp_stream *stream,
		    struct cp_recfile_meta *meta, char *err, size_t errlen);

/* CRC-32 as zlib's crc32(): crc = cp_crc32(0, data, len), continued across calls. */
uint32_t cp_crc32(uint32_t crc, const void *data, size_t len);

#endif
