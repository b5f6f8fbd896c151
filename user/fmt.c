// SPDX-License-Identifier: GPL-2.0
#include "fmt.h"

#include <math.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define NSEC_PER_USEC 1000ULL
#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_SEC  1000000000ULL
#define NSEC_PER_MIN  (60 * NSEC_PER_SEC)

/* n / d rounded half up, without the overflow of (n + d / 2) / d near UINT64_MAX. */
static uint64_t div_round(uint64_t n, uint64_t d)
{
	return n / d + (n % d >= d - d / 2);
}

struct unit {
	uint64_t scale;
	const char *name;
};

static uint64_t pow10u(int exp)
{
	uint64_t p = 1;

	while (exp-- > 0)
		p *= 10;
	return p;
}

/*
 * Prints n / scale with `sig` significant digits, trying from max_decimals decimals down to
 * min_decimals (-1: rounded to tens). Fails when rounding carries the value to 1000 or more,
 * which belongs to the next unit ("999.6 µs" is "1.00 ms", not "1000 µs"). 128-bit products
 * because n * 100 overflows 64 bits for byte counts in the exabytes.
 */
static bool fmt_scaled(struct cp_fmt *f, uint64_t n, uint64_t scale, int sig, int max_decimals,
		       int min_decimals, const char *unit)
{
	for (int d = max_decimals; d >= min_decimals; d--) {
		unsigned __int128 q;
		uint64_t limit = pow10u(sig);

		if (d >= 0) {
			uint64_t p = pow10u(d);

			q = ((unsigned __int128)n * p + scale / 2) / scale;
			if (1000 * p < limit)
				limit = 1000 * p;
			if (q >= limit)
				continue;
			/* q < limit <= 10^sig: small enough for unsigned int. */
			if (d == 0)
				snprintf(f->s, sizeof(f->s), "%u %s", (unsigned)q, unit);
			else
				snprintf(f->s, sizeof(f->s), "%u.%0*u %s", (unsigned)(q / p), d,
					 (unsigned)(q % p), unit);
			return true;
		}
		/* Tens: the third digit of "160 kB" is not significant at two digits. */
		q = ((unsigned __int128)n + 5 * (unsigned __int128)scale) /
		    (10 * (unsigned __int128)scale);
		if (q >= 100 || q >= limit)
			continue;
		snprintf(f->s, sizeof(f->s), "%u %s", (unsigned)q * 10, unit);
		return true;
	}
	return false;
}

/* Walks units from small to large, using the first one where the rounded value is below 1000. */
static struct cp_fmt fmt_units(uint64_t n, const struct unit *units, size_t nr_units, int sig,
			       int max_decimals, int min_decimals)
{
	struct cp_fmt f;

	for (size_t u = 0; u < nr_units; u++) {
		bool last = u + 1 == nr_units;

		if (!last && n >= units[u + 1].scale)
			continue;
		if (units[u].scale == 1) {
			/* Whole bytes or nanoseconds: no decimals to speak of. */
			if (n < 1000 || last) {
				snprintf(f.s, sizeof(f.s), "%llu %s", (unsigned long long)n,
					 units[u].name);
				return f;
			}
			continue;
		}
		if (fmt_scaled(&f, n, units[u].scale, sig, max_decimals, min_decimals,
			       units[u].name))
			return f;
		if (last)
			break;
	}
	/* Beyond the largest unit: as many digits as it takes. */
	snprintf(f.s, sizeof(f.s), "%llu %s",
		 (unsigned long long)div_round(n, units[nr_units - 1].scale),
		 units[nr_units - 1].name);
	return f;
}

static struct cp_fmt fmt_duration(uint64_t ns, bool short_form)
{
	static const struct unit units[] = {
		{ 1, "ns" },
		{ NSEC_PER_USEC, "µs" },
		{ NSEC_PER_MSEC, "ms" },
		{ NSEC_PER_SEC, "s" },
	};
	/* "59.95 s" would print as "60.0 s": from there on, minutes and seconds read better. */
	const uint64_t minutes_from = 59 * NSEC_PER_SEC + 950 * NSEC_PER_MSEC;
	struct cp_fmt f;

	if (ns == 0) {
		snprintf(f.s, sizeof(f.s), "0 s");
		return f;
	}
	if (ns < minutes_from)
		return fmt_units(ns, units, sizeof(units) / sizeof(units[0]), 3, 2, 0);

	uint64_t total_s = div_round(ns, NSEC_PER_SEC);

	if (total_s < 3600) {
		unsigned long long min = total_s / 60, sec = total_s % 60;

		snprintf(f.s, sizeof(f.s), short_form ? "%llum%02llus" : "%llu min %02llu s", min,
			 sec);
	} else {
		uint64_t total_min = div_round(ns, NSEC_PER_MIN);
		unsigned long long hours = total_min / 60, min = total_min % 60;

		snprintf(f.s, sizeof(f.s), short_form ? "%lluh%02llum" : "%llu h %02llu min", hours,
			 min);
	}
	return f;
}

struct cp_fmt cp_fmt_duration(uint64_t ns)
{
	return fmt_duration(ns, false);
}

struct cp_fmt cp_fmt_duration_short(uint64_t ns)
{
	return fmt_duration(ns, true);
}

static const struct unit byte_units[] = {
	{ 1, "B" },
	{ 1000ULL, "kB" },
	{ 1000000ULL, "MB" },
	{ 1000000000ULL, "GB" },
	{ 1000000000000ULL, "TB" },
	{ 1000000000000000ULL, "PB" },
};

struct cp_fmt cp_fmt_bytes(uint64_t bytes)
{
	return fmt_units(bytes, byte_units, sizeof(byte_units) / sizeof(byte_units[0]), 4, 2, 0);
}

struct cp_fmt cp_fmt_bytes_approx(double bytes)
{
	uint64_t n;
	struct cp_fmt f;

	if (!(bytes > 0)) /* also NaN */
		n = 0;
	else if (bytes >= 1.8e19)
		n = UINT64_MAX;
	else
		n = (uint64_t)llround(bytes);
	/* Bytes themselves stay whole: "512 B", not "510 B". */
	if (n < 1000) {
		snprintf(f.s, sizeof(f.s), "%llu B", (unsigned long long)n);
		return f;
	}
	return fmt_units(n, byte_units, sizeof(byte_units) / sizeof(byte_units[0]), 2, 1, -1);
}

struct cp_fmt cp_fmt_pct(double pct)
{
	struct cp_fmt f;
	double rounded;

	if (!(pct > 0)) {
		snprintf(f.s, sizeof(f.s), "0%%");
		return f;
	}
	rounded = round(pct);
	if (rounded < 1)
		snprintf(f.s, sizeof(f.s), "<1%%");
	else if (rounded >= 100 && pct < 100)
		snprintf(f.s, sizeof(f.s), ">99%%");
	else if (rounded > 1e9)
		snprintf(f.s, sizeof(f.s), ">1e9%%");
	else
		snprintf(f.s, sizeof(f.s), "%.0f%%", rounded);
	return f;
}

struct cp_fmt cp_fmt_share(uint64_t part, uint64_t whole)
{
	struct cp_fmt f;

	if (whole == 0) {
		snprintf(f.s, sizeof(f.s), "-");
		return f;
	}
	return cp_fmt_pct(100.0 * (double)part / (double)whole);
}

struct cp_fmt cp_fmt_count(uint64_t n)
{
	struct cp_fmt f;

	if (n < 1000)
		snprintf(f.s, sizeof(f.s), "%" PRIu64, n);
	else if (n < 1000000)
		snprintf(f.s, sizeof(f.s), "%" PRIu64 ",%03" PRIu64, n / 1000, n % 1000);
	else if (n < 1000000000)
		snprintf(f.s, sizeof(f.s), "%.1f million", n / 1e6);
	else
		snprintf(f.s, sizeof(f.s), "%.1f billion", n / 1e9);
	return f;
}

struct cp_fmt cp_fmt_signal(int sig)
{
	/* glibc >= 2.32; the abbreviation has no "SIG" prefix. */
	const char *abbrev = sig > 0 ? sigabbrev_np(sig) : NULL;
	struct cp_fmt f;

	if (abbrev)
		snprintf(f.s, sizeof(f.s), "SIG%s", abbrev);
	else
		snprintf(f.s, sizeof(f.s), "signal %d", sig);
	return f;
}

size_t cp_utf8_decode(const char *s, size_t len, uint32_t *code_point)
{
	const unsigned char *b = (const unsigned char *)s;
	uint32_t cp, min;
	size_t n;

	if (len == 0)
		return 0;
	if (b[0] < 0x80) {
		*code_point = b[0];
		return 1;
	}
	if (b[0] >= 0xc2 && b[0] <= 0xdf) {
		n = 2, cp = b[0] & 0x1f, min = 0x80;
	} else if (b[0] >= 0xe0 && b[0] <= 0xef) {
		n = 3, cp = b[0] & 0x0f, min = 0x800;
	} else if (b[0] >= 0xf0 && b[0] <= 0xf4) {
		n = 4, cp = b[0] & 0x07, min = 0x10000;
	} else {
		return 0; /* a continuation byte, 0xc0/0xc1 (always overlong) or 0xf5.. */
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((b[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (b[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*code_point = cp;
	return n;
}

size_t cp_utf8_width(const char *s)
{
	size_t width = 0;

	/* Every byte that does not continue a character starts one. */
	for (; *s; s++)
		width += ((unsigned char)*s & 0xc0) != 0x80;
	return width;
}

void cp_fmt_sanitize(char *dst, size_t dst_len, const char *src, size_t src_len)
{
	size_t in = 0, out = 0;

	if (dst_len == 0)
		return;
	src_len = strnlen(src, src_len);
	while (in < src_len) {
		uint32_t cp;
		size_t n = cp_utf8_decode(src + in, src_len - in, &cp);
		/* C0, DEL and C1 controls: some terminals act on C1 (0x9b is a CSI) too. */
		bool printable = n > 0 && cp >= 0x20 && !(cp >= 0x7f && cp <= 0x9f);

		if (!printable) {
			if (out + 1 >= dst_len)
				break;
			dst[out++] = '?';
			in += n ? n : 1;
			continue;
		}
		if (out + n >= dst_len)
			break;
		memcpy(dst + out, src + in, n);
		out += n;
		in += n;
	}
	dst[out] = '\0';
}
