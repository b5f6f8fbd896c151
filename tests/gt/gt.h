/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Ground truth for the integration tests: every thread of a tests/gt/ program calls gt_report()
 * as the last thing it does, which appends one JSON line with the kernel's own accounting of
 * that thread to the file named by $GT_OUT. The tests then compare concprof's JSON against it.
 *
 * Mandatory keys: tid, pid, cpu_ns, run_delay_ns, role. Extra keys (diagnostics and expectations
 * the tests use): ppid, utime_ticks, stime_ticks, nvcsw, nivcsw (voluntary and involuntary
 * context switches), migrations, and, when the thread
 * called gt_thread_start(), the same counters at that moment (start_cpu_ns, start_run_delay_ns,
 * start_nvcsw, ...), start_mono_ns (CLOCK_MONOTONIC) and life_ns (from gt_thread_start() to the
 * report). A process that reaps children adds "children": the kernel's final figures for each
 * of them (see gt_reap()).
 *
 * cpu_ns is CLOCK_THREAD_CPUTIME_ID: the scheduler's sum_exec_runtime brought up to date, exact
 * (the first field of /proc/.../schedstat lags for a running thread). run_delay_ns is the second
 * field of /proc/self/task/TID/schedstat: time spent on a run queue (CONFIG_SCHED_INFO), current
 * for a thread that reads it about itself, since it is not waiting while it reads.
 *
 * Three limits of measuring a thread from inside, and what the tests do about them:
 *  - The thread concprof exec()s: the kernel counts its time from the fork() inside concprof,
 *    concprof from the exec, which happened before main(). For it the truth lies between
 *    (value - start_value) and value.
 *  - What a thread does after its report (the write, its exit path) the report cannot include.
 *    For a thread that is short; for a process the exit path tears down the address space
 *    (about 1 ms here), so a parent gets its child's final figures, exit included, from the
 *    zombie with gt_reap().
 *  - The kernel's split between CPU time and run delay is skewed when a thread is preempted
 *    while it runs in the kernel on this PREEMPT_NONE kernel: the wakeup that asked for the
 *    preemption also asked __schedule() to skip its run-queue clock update (RQCF_REQ_SKIP), so
 *    the clock it charges the switch with is stale, by up to a tick: sum_exec_runtime misses
 *    that stretch and run_delay gains it (their sum stays exact). Threads that run long
 *    stretches in the kernel (disk.c, exec in forkmany.c) run SCHED_FIFO, which CFS wakeups do
 *    not preempt.
 *
 * Header-only: each program is one .c file built by the Makefile's tests/gt/bin/% rule.
 */
#ifndef CONCPROF_GT_H
#define CONCPROF_GT_H

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Lines can carry a process's list of reaped children: room for a few thousand. */
#define GT_LINE_MAX (1024 * 1024)

static __thread uint64_t gt_start_mono_ns;
static __thread uint64_t gt_start_cpu_ns;
static __thread uint64_t gt_start_run_delay_ns;
static __thread long long gt_start_nvcsw, gt_start_nivcsw, gt_start_migrations;
static __thread int gt_started;

__attribute__((noreturn)) static inline void gt_die(const char *what)
{
	fprintf(stderr, "gt: %s: %s\n", what, strerror(errno));
	exit(99);
}

static inline uint64_t gt_clock_ns(clockid_t clock)
{
	struct timespec ts;

	if (clock_gettime(clock, &ts))
		gt_die("clock_gettime");
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t gt_thread_cpu_ns(void)
{
	return gt_clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

static inline uint64_t gt_mono_ns(void)
{
	return gt_clock_ns(CLOCK_MONOTONIC);
}

/* Reads a small file into buf; returns its length or -1. */
static inline ssize_t gt_read_file(const char *path, char *buf, size_t size)
{
	ssize_t n, total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((size_t)total < size - 1) {
		n = read(fd, buf + total, size - 1 - total);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		total += n;
	}
	close(fd);
	buf[total] = '\0';
	return total;
}

/* "/proc/self/task/TID" for the calling thread, "/proc/PID" for a (zombie) child. */
static inline void gt_self_dir(char *dir, size_t size)
{
	snprintf(dir, size, "/proc/self/task/%d", gettid());
}

/* Fields 1 and 2 of DIR/schedstat: time on a CPU, time waiting on a run queue. */
static inline int gt_schedstat(const char *dir, uint64_t *on_cpu_ns, uint64_t *run_delay_ns)
{
	unsigned long long on_cpu = 0, run_delay = 0, slices = 0;
	char path[128], buf[128];

	snprintf(path, sizeof(path), "%s/schedstat", dir);
	if (gt_read_file(path, buf, sizeof(buf)) < 0 ||
	    sscanf(buf, "%llu %llu %llu", &on_cpu, &run_delay, &slices) != 3)
		return -1;
	*on_cpu_ns = on_cpu;
	*run_delay_ns = run_delay;
	return 0;
}

static inline uint64_t gt_run_delay_ns(void)
{
	uint64_t on_cpu, run_delay;
	char dir[64];

	gt_self_dir(dir, sizeof(dir));
	if (gt_schedstat(dir, &on_cpu, &run_delay))
		gt_die("reading schedstat");
	return run_delay;
}

/* Value of "key:" in DIR/FILE (status, sched), or -1. */
static inline long long gt_field(const char *dir, const char *file, const char *key)
{
	char path[128], buf[8192], *line;
	size_t key_len = strlen(key);

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (gt_read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	for (line = buf; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (strncmp(line, key, key_len) == 0) {
			char *p = line + key_len;

			while (*p == ' ' || *p == '\t' || *p == ':')
				p++;
			return strtoll(p, NULL, 10);
		}
	}
	return -1;
}

/* Voluntary and involuntary context switches and migrations of DIR's task. */
static inline void gt_switches(const char *dir, long long *nvcsw, long long *nivcsw,
			       long long *migrations)
{
	*nvcsw = gt_field(dir, "status", "voluntary_ctxt_switches");
	*nivcsw = gt_field(dir, "status", "nonvoluntary_ctxt_switches");
	*migrations = gt_field(dir, "sched", "se.nr_migrations");
}

/* utime and stime (fields 14 and 15 of stat), in clock ticks. */
static inline void gt_task_ticks(const char *dir, long long *utime, long long *stime)
{
	char path[128], buf[1024], *p;

	*utime = *stime = -1;
	snprintf(path, sizeof(path), "%s/stat", dir);
	if (gt_read_file(path, buf, sizeof(buf)) < 0)
		return;
	p = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
	if (!p)
		return;
	/* after ")": state(3) ppid(4) pgrp(5) session(6) tty_nr(7) tpgid(8) flags(9) minflt(10)
	 * cminflt(11) majflt(12) cmajflt(13) utime(14) stime(15) */
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lld %lld", utime,
		   stime) != 2)
		*utime = *stime = -1;
}

/* Call first thing in main() and in every thread function, and in a child right after fork. */
static inline void gt_thread_start(void)
{
	char dir[64];

	gt_self_dir(dir, sizeof(dir));
	gt_switches(dir, &gt_start_nvcsw, &gt_start_nivcsw, &gt_start_migrations);
	gt_start_mono_ns = gt_mono_ns();
	gt_start_run_delay_ns = gt_run_delay_ns();
	gt_start_cpu_ns = gt_thread_cpu_ns();
	gt_started = 1;
}

/* SCHED_FIFO for the calling thread, if allowed (root); 1 if it is now. */
static inline int gt_become_fifo(void)
{
	struct sched_param param = { .sched_priority = 1 };

	return sched_setscheduler(0, SCHED_FIFO, &param) == 0;
}

/*
 * Appends this thread's line to $GT_OUT; extra_fmt (may be NULL) formats more keys, starting
 * with a comma: ",\"bytes\":%llu". Call it as the thread's last act: what runs after it (the
 * write itself, thread exit) is concprof's to count and the tests' tolerance to absorb.
 */
static inline void gt_report(const char *role, const char *extra_fmt, ...)
{
	const char *out = getenv("GT_OUT");
	long long utime, stime, nvcsw, nivcsw, migrations;
	uint64_t cpu_ns, run_delay_ns, mono_ns;
	char *line, dir[64];
	int fd, len;

	if (!out || !*out)
		return;
	line = malloc(GT_LINE_MAX);
	if (!line)
		gt_die("malloc");
	fd = open(out, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		gt_die(out);

	/* The slow /proc reads first; the exact clocks last, closest to the thread's end. */
	gt_self_dir(dir, sizeof(dir));
	gt_task_ticks(dir, &utime, &stime);
	gt_switches(dir, &nvcsw, &nivcsw, &migrations);
	run_delay_ns = gt_run_delay_ns();
	mono_ns = gt_mono_ns();
	cpu_ns = gt_thread_cpu_ns();

	len = snprintf(line, GT_LINE_MAX,
		       "{\"tid\":%d,\"pid\":%d,\"ppid\":%d,\"cpu_ns\":%llu,\"run_delay_ns\":%llu,"
		       "\"role\":\"%s\",\"utime_ticks\":%lld,\"stime_ticks\":%lld,\"nvcsw\":%lld,"
		       "\"nivcsw\":%lld,\"migrations\":%lld",
		       gettid(), getpid(), getppid(), (unsigned long long)cpu_ns,
		       (unsigned long long)run_delay_ns, role, utime, stime, nvcsw, nivcsw,
		       migrations);
	if (gt_started)
		len += snprintf(line + len, GT_LINE_MAX - len,
				",\"start_cpu_ns\":%llu,\"start_run_delay_ns\":%llu,"
				"\"start_nvcsw\":%lld,\"start_nivcsw\":%lld,\"start_migrations\":%lld,"
				"\"start_mono_ns\":%llu,\"life_ns\":%llu",
				(unsigned long long)gt_start_cpu_ns,
				(unsigned long long)gt_start_run_delay_ns, gt_start_nvcsw,
				gt_start_nivcsw, gt_start_migrations,
				(unsigned long long)gt_start_mono_ns,
				(unsigned long long)(mono_ns - gt_start_mono_ns));
	if (extra_fmt) {
		va_list ap;

		va_start(ap, extra_fmt);
		len += vsnprintf(line + len, GT_LINE_MAX - len, extra_fmt, ap);
		va_end(ap);
	}
	if (len > GT_LINE_MAX - 3) {
		fprintf(stderr, "gt: line too long\n");
		exit(99);
	}
	len += snprintf(line + len, GT_LINE_MAX - len, "}\n");
	/* One write: O_APPEND makes it atomic against the other processes' lines. */
	if (write(fd, line, len) != len)
		gt_die("write GT_OUT");
	close(fd);
	free(line);
}

/* What the kernel says about a child process once it has exited, exit path included. */
struct gt_reaped {
	int pid, exit_code, signal; /* exit_code as concprof writes it: 0..255, 128+N */
	uint64_t cpu_ns, run_delay_ns;
	long long nvcsw, nivcsw, migrations;
	uint64_t rusage_ns; /* wait4's user+sys: the child and the children it reaped (us) */
};

/*
 * Reaps child pid. First waits for it to be a zombie without reaping it (WNOWAIT): its /proc
 * files then hold the kernel's final figures for its (single) thread, exit path included, which
 * the thread's own report could not.
 */
static inline void gt_reap(pid_t pid, struct gt_reaped *r)
{
	struct rusage ru;
	siginfo_t info;
	char dir[64];
	int status;
	pid_t got;

	memset(r, 0, sizeof(*r));
	while (waitid(P_PID, pid, &info, WEXITED | WNOWAIT) < 0)
		if (errno != EINTR)
			gt_die("waitid");
	snprintf(dir, sizeof(dir), "/proc/%d", pid);
	if (gt_schedstat(dir, &r->cpu_ns, &r->run_delay_ns))
		r->cpu_ns = r->run_delay_ns = 0;
	gt_switches(dir, &r->nvcsw, &r->nivcsw, &r->migrations);
	while ((got = wait4(pid, &status, 0, &ru)) < 0 && errno == EINTR)
		;
	if (got != pid)
		gt_die("wait4");
	r->pid = pid;
	if (WIFSIGNALED(status)) {
		r->signal = WTERMSIG(status);
		r->exit_code = 128 + r->signal;
	} else {
		r->exit_code = WEXITSTATUS(status);
	}
	r->rusage_ns = ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000ull +
		       ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000ull;
}

/* ",\"children\":[{...},...]" for gt_report(); free() the result. */
static inline char *gt_format_reaped(const struct gt_reaped *r, long n)
{
	size_t size = 32 + (size_t)n * 320, len;
	char *s = malloc(size);

	if (!s)
		gt_die("malloc");
	len = snprintf(s, size, ",\"children\":[");
	for (long i = 0; i < n; i++)
		len += snprintf(s + len, size - len,
				"%s{\"pid\":%d,\"exit_code\":%d,\"signal\":%d,\"cpu_ns\":%llu,"
				"\"run_delay_ns\":%llu,\"nvcsw\":%lld,\"nivcsw\":%lld,"
				"\"migrations\":%lld,\"rusage_ns\":%llu}",
				i ? "," : "", r[i].pid, r[i].exit_code, r[i].signal,
				(unsigned long long)r[i].cpu_ns,
				(unsigned long long)r[i].run_delay_ns, r[i].nvcsw, r[i].nivcsw,
				r[i].migrations, (unsigned long long)r[i].rusage_ns);
	snprintf(s + len, size - len, "]");
	return s;
}

/* Spins on user-mode arithmetic until this thread has had ns more of CPU time. */
static inline void gt_spin_cpu_ns(uint64_t ns)
{
	uint64_t end = gt_thread_cpu_ns() + ns;
	uint64_t x = 88172645463325252ull;

	do {
		/* ~50 us of arithmetic between clock reads: the reads are syscalls here. */
		for (int i = 0; i < 50000; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
		}
		__asm__ __volatile__("" : "+r"(x)); /* keep the work: x is "used" */
	} while (gt_thread_cpu_ns() < end);
}

/* argv[i] as a non-negative number, or def when absent. */
static inline long gt_arg(int argc, char **argv, int i, long def)
{
	char *end;
	long v;

	if (i >= argc)
		return def;
	errno = 0;
	v = strtol(argv[i], &end, 0);
	if (errno || *end || v < 0) {
		fprintf(stderr, "%s: bad argument %d: '%s'\n", argv[0], i, argv[i]);
		exit(2);
	}
	return v;
}

/* Sleeps ns; returns how long the nanosleep calls took on the wall clock. */
static inline uint64_t gt_sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000ull, .tv_nsec = ns % 1000000000ull };
	uint64_t t0 = gt_mono_ns();

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
	return gt_mono_ns() - t0;
}

#endif
