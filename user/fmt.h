/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Numbers for humans: durations, byte counts, rates and percentages with no false precision, and
 * text made safe for a terminal. Each formatter returns a small struct holding the text, so calls
 * can sit inside a printf's arguments without a caller-side buffer:
 *
 *	printf("wall %s\n", cp_fmt_duration(wall_ns).s);
 *
 * (C11 gives a returned struct's array member a lifetime up to the end of the full expression.)
 */
#ifndef CONCPROF_FMT_H
#define CONCPROF_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CP_FMT_LEN 32

struct cp_fmt {
	char s[CP_FMT_LEN];
};

/*
 * Three significant digits in the largest unit that keeps the value at or above 1:
 * "0 s", "999 ns", "1.00 µs", "812 µs", "16.4 ms", "2.67 s", "59.9 s", then "1 min 03 s" and
 * "2 h 05 min" (rounded to the second, the minute).
 */
struct cp_fmt cp_fmt_duration(uint64_t ns);

/* The same, but "1m03s" and "2h05m" past a minute: for table columns. */
struct cp_fmt cp_fmt_duration_short(uint64_t ns);

/*
 * SI units (1 kB = 1000 B, as the lecture's "≈ 20 MB" is), at most two decimals and four
 * significant digits: "512 B", "1.50 kB", "19.96 MB", "199.6 MB".
 */
struct cp_fmt cp_fmt_bytes(uint64_t bytes);

/* Two significant digits, for "≈" figures in sentences: "20 MB", "1.2 MB", "160 kB". */
struct cp_fmt cp_fmt_bytes_approx(double bytes);

/*
 * A whole percentage, never rounded to a claim it does not make: "0%" only for zero, "<1%" for
 * a little, ">99%" for almost all, "100%" only for all; above 100 as it is ("356%").
 */
struct cp_fmt cp_fmt_pct(double pct);

/* 100 * part / whole through cp_fmt_pct; "-" when whole is 0. */
struct cp_fmt cp_fmt_share(uint64_t part, uint64_t whole);

/* A count in words: "812", "48,213", "2.1 million", "3.4 billion". */
struct cp_fmt cp_fmt_count(uint64_t n);

/* "SIGKILL" for 9, "signal 99" for a number without a name. */
struct cp_fmt cp_fmt_signal(int sig);

/*
 * Decodes one UTF-8 character at s (len > 0 bytes available). Returns its length in bytes and
 * stores the code point, or returns 0 if the bytes there are not valid UTF-8 (overlong forms,
 * surrogates, beyond U+10FFFF and truncated sequences included).
 */
size_t cp_utf8_decode(const char *s, size_t len, uint32_t *code_point);

/* Columns a UTF-8 string takes on a terminal, counting every character as one column. */
size_t cp_utf8_width(const char *s);

/*
 * Copies at most src_len bytes of src (stopping at a NUL) into dst for printing on a terminal:
 * control characters and bytes that are not valid UTF-8 become '?', so a thread named
 * "\e[2J" cannot clear the student's screen. Always NUL-terminates (dst_len > 0).
 */
void cp_fmt_sanitize(char *dst, size_t dst_len, const char *src, size_t src_len);

#endif
