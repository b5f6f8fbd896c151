/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The recording model: what one traced run was, as plain data. Everything that interprets a run
 * (analyze, explain, render, export) reads only these types, so it is testable without root on
 * hand-made runs. collect.c fills them from the kernel's totals and the event stream.
 */
#ifndef CONCPROF_MODEL_H
#define CONCPROF_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CP_COMM_LEN 16

/* Why a thread was asleep. The order is the JSON order and the report's legend order. */
enum cp_reason {
	CP_REASON_LOCK,	  /* futex: mutexes, condition variables, joins, CPython's GIL */
	CP_REASON_SLEEP,  /* nanosleep, clock_nanosleep */
	CP_REASON_CHILD,  /* wait4, waitid */
	CP_REASON_NET,	  /* socket I/O; poll/select/epoll on sockets */
	CP_REASON_PIPE,	  /* pipe/FIFO I/O */
	CP_REASON_DISK,	  /* regular-file I/O */
	CP_REASON_PAGING, /* uninterruptible sleep outside any syscall: page faults */
	CP_REASON_OTHER,  /* anything else; the syscall is kept in other_syscall */
	CP_NR_REASONS,
};

/* Lower-case names as used in JSON keys: "lock", "sleep", ... */
const char *cp_reason_name(enum cp_reason reason);

struct cp_thread {
	int32_t tid; /* as the workload sees it (gettid) */
	int32_t pid; /* its process (getpid) */
	char comm[CP_COMM_LEN];
	uint64_t start_ns; /* from the workload's exec; clone/fork for later threads */
	uint64_t end_ns;   /* its last switch-out; the end of tracing if still alive */
	bool exited;	   /* false: still alive when tracing stopped (attach mode, Ctrl-C) */
	/* From its creation to its first run on a CPU: the start-up cost the scheduler adds.
	 * 0 for the launched thread (it starts on a CPU) and threads that never ran. */
	uint64_t first_run_ns;
	/* Its stack: the mapping's size, and how deep it was seen used (the lowest user stack
	 * pointer at a switch-out, a lower bound on what is resident). 0 if unknown (alive). */
	uint64_t stack_reserved_bytes, stack_used_bytes;

	uint64_t user_ns;
	uint64_t sys_ns;
	uint64_t runnable_preempted_ns; /* lost the CPU while still runnable */
	uint64_t runnable_woken_ns;	/* woken, waiting for a CPU */
	uint64_t blocked_ns[CP_NR_REASONS];
	int32_t other_syscall; /* the syscall of the latest "other" block, -1 if none */

	uint64_t voluntary_switches;
	uint64_t involuntary_switches;
	uint64_t migrations;
	uint64_t syscalls;

	uint64_t net_rx_bytes, net_tx_bytes;
	uint64_t disk_read_bytes, disk_write_bytes;
	uint64_t pipe_read_bytes, pipe_write_bytes;
};

struct cp_process {
	int32_t pid;
	int32_t ppid;
	char comm[CP_COMM_LEN]; /* after its last exec */
	uint64_t start_ns;
	uint64_t end_ns;
	bool exited;
	int32_t exit_code;   /* exit status 0..255, or 128+N if killed by signal N; -1 unknown */
	int32_t term_signal; /* N if killed by signal N, else 0 */
	uint64_t peak_rss_bytes; /* resident memory at its most; 0 if unknown (still alive) */
};

/* Where a lock lies in its process's memory (enum cp_lock_where on the BPF side). */
enum cp_lock_kind {
	CP_LOCK_UNKNOWN = 0,
	CP_LOCK_EXE,   /* the program's data/bss: `path` and `symbol` tell which */
	CP_LOCK_FILE,  /* a library's data */
	CP_LOCK_HEAP,  /* the brk heap */
	CP_LOCK_ANON,  /* anonymous memory: malloc's mmap'd arenas, thread stacks */
	CP_LOCK_STACK, /* the main thread's stack */
};

#define CP_LOCK_MAX_IDS 8

/* One futex word of one process that threads were blocked on. */
struct cp_lock {
	int32_t pid;
	uint64_t addr;
	uint64_t wait_ns;     /* blocked on it, all waits added */
	uint64_t max_wait_ns; /* the longest single wait */
	uint64_t waits;
	int32_t waiters[CP_LOCK_MAX_IDS]; /* the first distinct threads that waited */
	int32_t wakers[CP_LOCK_MAX_IDS];  /* the first distinct threads that woke a waiter */
	uint8_t nr_waiters, nr_wakers;
	bool more_waiters, more_wakers; /* there were more than CP_LOCK_MAX_IDS */
	uint8_t kind;			/* enum cp_lock_kind */
	char *path;			/* the file it lies in (EXE, FILE); NULL if none */
	char *symbol;			/* the data symbol that contains it; NULL if none */
	uint64_t symbol_offset;		/* its offset inside that symbol */
	bool gil;			/* CPython's GIL (inside _PyRuntime) */
};

/* "primes_gil+8 in /usr/bin/foo", "heap", ...: the best name of a lock, into buf. */
const char *cp_lock_name(const struct cp_lock *l, char *buf, size_t len);

/* How many of the run's threads were on a CPU at once, over the wall time. */
struct cp_concurrency {
	uint64_t *ns_at;  /* ns_at[k]: wall time with exactly k traced threads on a CPU */
	size_t nr_levels; /* entries in ns_at: max level seen + 1 */
	bool complete;	  /* false if events were lost: then ns_at is a lower bound */
};

struct cp_run {
	char **argv; /* the command; NULL-terminated */
	int argc;
	bool attached;	   /* -p PID rather than a launched command */
	int32_t root_pid;  /* the launched (or attached) process */
	int32_t exit_code; /* the workload's: 0..255, 128+N for signal N, -1 unknown (attached) */
	int32_t term_signal;
	uint64_t wall_ns; /* exec (or attach) to the end of the last traced thread */
	int cpus;	  /* online CPUs */
	int kernel_hz;	  /* the kernel's timer tick (CONFIG_HZ); 0 if unknown */
	uint64_t lost_events;  /* stream records the ring buffer could not take */
	uint64_t stream_records; /* stream records kept (24 bytes each); 0 with --no-stream */
	uint64_t lost_threads; /* threads the kernel could not track (map full): not in totals */
	/* Switch-ins the kernel's tracepoint did not report, rebuilt from its own accounting. */
	uint64_t repaired_switches;
	uint64_t repaired_wakeups; /* likewise for wakeups */

	bool have_rusage; /* false when attached: the kernel's figures belong to another parent */
	uint64_t rusage_user_ns;
	uint64_t rusage_sys_ns;

	struct cp_process *procs;
	size_t nr_procs;
	struct cp_thread *threads;
	size_t nr_threads;
	struct cp_lock *locks; /* sorted by wait_ns, most first */
	size_t nr_locks;
	uint64_t lost_locks; /* lock waits the kernel could not attribute (map full) */

	struct cp_concurrency concurrency;
};

/* Sums over all threads. */
struct cp_totals {
	uint64_t user_ns, sys_ns;
	uint64_t runnable_preempted_ns, runnable_woken_ns;
	uint64_t blocked_ns[CP_NR_REASONS];
	uint64_t voluntary_switches, involuntary_switches, migrations;
	uint64_t syscalls;
	uint64_t net_rx_bytes, net_tx_bytes;
	uint64_t disk_read_bytes, disk_write_bytes;
	uint64_t pipe_read_bytes, pipe_write_bytes;
};

static inline uint64_t cp_thread_runnable_ns(const struct cp_thread *t)
{
	return t->runnable_preempted_ns + t->runnable_woken_ns;
}

uint64_t cp_thread_blocked_ns(const struct cp_thread *t);
void cp_run_totals(const struct cp_run *run, struct cp_totals *out);
uint64_t cp_totals_blocked_ns(const struct cp_totals *t);
void cp_run_free(struct cp_run *run);

#endif
