// SPDX-License-Identifier: MIT
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common.h"

const char *prog_name = "workload";
const char *prog_path = "workload";

void set_prog_name(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');

	prog_name = slash ? slash + 1 : argv0;
	prog_path = argv0;
}

void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help' for more information.\n", prog_name);
	exit(EXIT_USAGE);
}

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		die("out of memory (%zu bytes)", size);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		die("out of memory (%zu x %zu bytes)", n, size);
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		die("out of memory");
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		die("out of memory");
	return s;
}

bool parse_number(const char *s, double *out)
{
	char clean[64], *end;
	size_t n = 0;
	const char *p;
	double v;

	/* Drop '_' separators, but only between two digits, as Python's int() does. */
	for (p = s; *p; p++) {
		if (*p == '_') {
			if (p == s || !p[1] || !strchr("0123456789", p[-1]) ||
			    !strchr("0123456789", p[1]))
				return false;
			continue;
		}
		if (n + 1 >= sizeof(clean))
			return false;
		clean[n++] = *p;
	}
	clean[n] = '\0';
	if (!n || clean[0] == ' ' || clean[0] == '\t')
		return false;

	errno = 0;
	v = strtod(clean, &end);
	if (end == clean || errno == ERANGE || !isfinite(v))
		return false;
	/* strtod also takes hex and "inf"; a workload option only ever needs plain decimals. */
	if (strpbrk(clean, "xXnN"))
		return false;
	switch (*end) {
	case '\0':
		break;
	case 'k':
	case 'K':
		v *= 1e3, end++;
		break;
	case 'M':
		v *= 1e6, end++;
		break;
	case 'G':
		v *= 1e9, end++;
		break;
	default:
		return false;
	}
	if (*end)
		return false;
	*out = v;
	return true;
}

bool parse_ranged(const char *s, double min, double max, bool integer, double *out)
{
	double v;

	if (!parse_number(s, &v) || v < min || v > max || (integer && v != floor(v)))
		return false;
	*out = v;
	return true;
}

double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct timespec mono_deadline(double seconds)
{
	struct timespec ts;
	long long ns;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (seconds < 0)
		seconds = 0;
	ns = (long long)ts.tv_nsec + (long long)(seconds * 1e9);
	ts.tv_sec += (time_t)(ns / 1000000000LL);
	ts.tv_nsec = (long)(ns % 1000000000LL);
	return ts;
}

const char *fmt_thousands(uint64_t v, char buf[32])
{
	char digits[24];
	int len = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)v);
	int i, o = 0;

	for (i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			buf[o++] = '_';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

struct cpu_usage cpu_usage_now(void)
{
	struct rusage self, children;
	struct cpu_usage u;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &children);
	u.user = (double)(self.ru_utime.tv_sec + children.ru_utime.tv_sec) +
		 (double)(self.ru_utime.tv_usec + children.ru_utime.tv_usec) / 1e6;
	u.sys = (double)(self.ru_stime.tv_sec + children.ru_stime.tv_sec) +
		(double)(self.ru_stime.tv_usec + children.ru_stime.tv_usec) / 1e6;
	return u;
}

const char *fmt_duration(double s, char buf[32])
{
	static const char *const units[] = { "s", "ms", "us", "ns" };
	static const double scale[] = { 1, 1e3, 1e6, 1e9 };
	int order;

	if (s >= 60) {
		/* IPython: "1min 5s", "2h 3min 4s"; seconds are truncated. */
		long t = (long)s;
		int o = 0;

		if (t >= 3600)
			o += snprintf(buf + o, 32 - o, "%ldh ", t / 3600);
		if (t % 3600 >= 60)
			o += snprintf(buf + o, 32 - o, "%ldmin ", t % 3600 / 60);
		if (t % 60)
			o += snprintf(buf + o, 32 - o, "%lds ", t % 60);
		buf[o - 1] = '\0';
		return buf;
	}
	order = s > 0 ? -(int)floor(floor(log10(s)) / 3) : 3;
	if (order < 0)
		order = 0;
	if (order > 3)
		order = 3;
	snprintf(buf, 32, "%.3g %s", s * scale[order], units[order]);
	return buf;
}

void print_times(FILE *f, struct cpu_usage start, double wall)
{
	struct cpu_usage now = cpu_usage_now();
	double user = now.user - start.user, sys = now.sys - start.sys;
	char u[32], s[32], t[32], w[32];

	fprintf(f, "CPU times: user %s, sys: %s, total: %s\n", fmt_duration(user, u),
		fmt_duration(sys, s), fmt_duration(user + sys, t));
	fprintf(f, "Wall time: %s\n", fmt_duration(wall, w));
}

bool read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n, len -= (size_t)n;
	}
	return true;
}

bool write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return false;
		p += n, len -= (size_t)n;
	}
	return true;
}
