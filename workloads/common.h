/* SPDX-License-Identifier: MIT */
/* Small helpers shared by the demo workloads: errors, option parsing, clocks, reports. */
#ifndef WORKLOADS_COMMON_H
#define WORKLOADS_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* Exit status for a bad command line, as for most Unix tools. */
#define EXIT_USAGE 2

/* Name used in messages, and the command as typed for --help examples; from argv[0]. */
extern const char *prog_name;
extern const char *prog_path;

void set_prog_name(const char *argv0);

/* Prints "prog: message" on stderr and exits with status 1. */
__attribute__((format(printf, 1, 2), noreturn)) void die(const char *fmt, ...);

/* Prints "prog: message" and a hint to use --help, and exits with status 2. */
__attribute__((format(printf, 1, 2), noreturn)) void usage_error(const char *fmt, ...);

/* Allocators that die on failure: the workloads have no sensible way to go on without memory. */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
char *xstrdup(const char *s);
__attribute__((format(printf, 1, 2))) char *xasprintf(const char *fmt, ...);

/*
 * Parses a number such as "500000", "1.5M", "20_000_000" or "0.25": decimal, '_' allowed
 * between digits as in Python, an optional suffix k, M or G (powers of 1000). Returns false
 * for anything else, including trailing garbage, NaN and infinities.
 */
bool parse_number(const char *s, double *out);

/* parse_number() plus a range check and, when integer is true, a check for a whole number. */
bool parse_ranged(const char *s, double min, double max, bool integer, double *out);

/* Reads (writes) exactly len bytes, retrying after signals; false at EOF or on error. */
bool read_full(int fd, void *buf, size_t len);
bool write_full(int fd, const void *buf, size_t len);

/* Seconds on the monotonic clock. */
double mono_now(void);

/* A CLOCK_MONOTONIC timespec that lies seconds in the future. */
struct timespec mono_deadline(double seconds);

/* Formats v with '_' between groups of three digits: 19955565 -> "19_955_565". */
const char *fmt_thousands(uint64_t v, char buf[32]);

/* CPU time of this process plus its waited-for children, in seconds. */
struct cpu_usage {
	double user;
	double sys;
};

struct cpu_usage cpu_usage_now(void);

/*
 * Prints, as IPython's %time does in the lecture:
 *   CPU times: user 732 ms, sys: 262 ms, total: 994 ms
 *   Wall time: 16.4 s
 * for the CPU used since start and the given wall time.
 */
void print_times(FILE *f, struct cpu_usage start, double wall);

/* Formats a duration with three significant digits and a unit, as IPython does. */
const char *fmt_duration(double seconds, char buf[32]);

#endif
