// SPDX-License-Identifier: GPL-2.0
/* Formatting helpers at their boundaries: units switch where rounding says, not before. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fmt.h"

#include <string.h>

#define MS  1000000ULL
#define SEC 1000000000ULL

static void test_duration_units(void **state)
{
	(void)state;
	assert_string_equal(cp_fmt_duration(0).s, "0 s");
	assert_string_equal(cp_fmt_duration(1).s, "1 ns");
	assert_string_equal(cp_fmt_duration(999).s, "999 ns");
	assert_string_equal(cp_fmt_duration(1000).s, "1.00 µs");
	assert_string_equal(cp_fmt_duration(1234).s, "1.23 µs");
	assert_string_equal(cp_fmt_duration(12345).s, "12.3 µs");
	assert_string_equal(cp_fmt_duration(812000).s, "812 µs");
	assert_string_equal(cp_fmt_duration(16400000).s, "16.4 ms");
	assert_string_equal(cp_fmt_duration(732 * MS).s, "732 ms");
	assert_string_equal(cp_fmt_duration(2670 * MS).s, "2.67 s");
	assert_string_equal(cp_fmt_duration(16400 * MS).s, "16.4 s");
}

static void test_duration_rounding_carries_to_next_unit(void **state)
{
	(void)state;
	/* 999.5 µs rounds to 1000 µs, which is written 1.00 ms. */
	assert_string_equal(cp_fmt_duration(999499).s, "999 µs");
	assert_string_equal(cp_fmt_duration(999500).s, "1.00 ms");
	assert_string_equal(cp_fmt_duration(9994999).s, "9.99 ms");
	assert_string_equal(cp_fmt_duration(9995000).s, "10.0 ms");
	assert_string_equal(cp_fmt_duration(99949999).s, "99.9 ms");
	assert_string_equal(cp_fmt_duration(99950000).s, "100 ms");
	assert_string_equal(cp_fmt_duration(999499999).s, "999 ms");
	assert_string_equal(cp_fmt_duration(999500000).s, "1.00 s");
}

static void test_duration_minutes_and_hours(void **state)
{
	(void)state;
	assert_string_equal(cp_fmt_duration(59940 * MS).s, "59.9 s");
	assert_string_equal(cp_fmt_duration(59950 * MS).s, "1 min 00 s");
	assert_string_equal(cp_fmt_duration(63 * SEC).s, "1 min 03 s");
	assert_string_equal(cp_fmt_duration(63 * SEC + 499 * MS).s, "1 min 03 s");
	assert_string_equal(cp_fmt_duration(63 * SEC + 500 * MS).s, "1 min 04 s");
	assert_string_equal(cp_fmt_duration(3599 * SEC + 499 * MS).s, "59 min 59 s");
	assert_string_equal(cp_fmt_duration(3599 * SEC + 500 * MS).s, "1 h 00 min");
	assert_string_equal(cp_fmt_duration(2 * 3600 * SEC + 5 * 60 * SEC).s, "2 h 05 min");
	assert_string_equal(cp_fmt_duration(UINT64_MAX).s, "5124095 h 35 min");
	assert_string_equal(cp_fmt_duration_short(63 * SEC).s, "1m03s");
	assert_string_equal(cp_fmt_duration_short(2 * 3600 * SEC + 5 * 60 * SEC).s, "2h05m");
	assert_string_equal(cp_fmt_duration_short(16400 * MS).s, "16.4 s");
}

static void test_bytes(void **state)
{
	(void)state;
	assert_string_equal(cp_fmt_bytes(0).s, "0 B");
	assert_string_equal(cp_fmt_bytes(999).s, "999 B");
	assert_string_equal(cp_fmt_bytes(1000).s, "1.00 kB");
	assert_string_equal(cp_fmt_bytes(1500).s, "1.50 kB");
	assert_string_equal(cp_fmt_bytes(19955565).s, "19.96 MB");
	assert_string_equal(cp_fmt_bytes(199555650).s, "199.6 MB");
	assert_string_equal(cp_fmt_bytes(999949).s, "999.9 kB");
	assert_string_equal(cp_fmt_bytes(999950).s, "1.00 MB");
	assert_string_equal(cp_fmt_bytes(UINT64_MAX).s, "18447 PB");
}

static void test_bytes_approx(void **state)
{
	(void)state;
	assert_string_equal(cp_fmt_bytes_approx(19955565).s, "20 MB");
	assert_string_equal(cp_fmt_bytes_approx(19955565 / 16.4).s, "1.2 MB");
	assert_string_equal(cp_fmt_bytes_approx(19950522 / 2.67).s, "7.5 MB");
	assert_string_equal(cp_fmt_bytes_approx(512).s, "512 B");
	assert_string_equal(cp_fmt_bytes_approx(1000).s, "1.0 kB");
	assert_string_equal(cp_fmt_bytes_approx(9949).s, "9.9 kB");
	assert_string_equal(cp_fmt_bytes_approx(9950).s, "10 kB");
	assert_string_equal(cp_fmt_bytes_approx(156000).s, "160 kB");
	assert_string_equal(cp_fmt_bytes_approx(994999).s, "990 kB");
	assert_string_equal(cp_fmt_bytes_approx(995000).s, "1.0 MB");
	assert_string_equal(cp_fmt_bytes_approx(-5).s, "0 B");
	assert_string_equal(cp_fmt_bytes_approx(0.0 / 0.0).s, "0 B");
}

static void test_percent_no_false_precision(void **state)
{
	(void)state;
	assert_string_equal(cp_fmt_pct(0).s, "0%");
	assert_string_equal(cp_fmt_pct(0.3).s, "<1%");
	assert_string_equal(cp_fmt_pct(0.5).s, "1%");
	assert_string_equal(cp_fmt_pct(6.06).s, "6%");
	assert_string_equal(cp_fmt_pct(93.94).s, "94%");
	assert_string_equal(cp_fmt_pct(99.6).s, ">99%");
	assert_string_equal(cp_fmt_pct(100).s, "100%");
	assert_string_equal(cp_fmt_pct(356.5).s, "357%");
	assert_string_equal(cp_fmt_share(994, 16400).s, "6%");
	assert_string_equal(cp_fmt_share(5, 0).s, "-");
}

static void test_signal_names(void **state)
{
	(void)state;
	assert_string_equal(cp_fmt_signal(9).s, "SIGKILL");
	assert_string_equal(cp_fmt_signal(2).s, "SIGINT");
	assert_string_equal(cp_fmt_signal(0).s, "signal 0");
	assert_string_equal(cp_fmt_signal(1000).s, "signal 1000");
}

static void test_counts(void **state)
{
	(void)state;
	assert_string_equal(cp_fmt_count(0).s, "0");
	assert_string_equal(cp_fmt_count(999).s, "999");
	assert_string_equal(cp_fmt_count(1000).s, "1,000");
	assert_string_equal(cp_fmt_count(48213).s, "48,213");
	assert_string_equal(cp_fmt_count(999999).s, "999,999");
	assert_string_equal(cp_fmt_count(2140000).s, "2.1 million");
	assert_string_equal(cp_fmt_count(3400000000ULL).s, "3.4 billion");
}

static void test_utf8_decode(void **state)
{
	uint32_t cp = 0;

	(void)state;
	assert_int_equal(cp_utf8_decode("A", 1, &cp), 1);
	assert_int_equal(cp, 'A');
	assert_int_equal(cp_utf8_decode("\xc3\xa9", 2, &cp), 2);
	assert_int_equal(cp, 0xe9);
	assert_int_equal(cp_utf8_decode("\xe2\x89\x88", 3, &cp), 3); /* ≈ */
	assert_int_equal(cp, 0x2248);
	assert_int_equal(cp_utf8_decode("\xf0\x9f\x98\x80", 4, &cp), 4);
	assert_int_equal(cp, 0x1f600);
	/* Invalid: lone continuation, overlong, surrogate, beyond U+10FFFF, truncated. */
	assert_int_equal(cp_utf8_decode("\x80", 1, &cp), 0);
	assert_int_equal(cp_utf8_decode("\xc0\xaf", 2, &cp), 0);
	assert_int_equal(cp_utf8_decode("\xe0\x80\xaf", 3, &cp), 0);
	assert_int_equal(cp_utf8_decode("\xed\xa0\x80", 3, &cp), 0);
	assert_int_equal(cp_utf8_decode("\xf4\x90\x80\x80", 4, &cp), 0);
	assert_int_equal(cp_utf8_decode("\xe2\x89", 2, &cp), 0);
	assert_int_equal(cp_utf8_decode("\xff", 1, &cp), 0);
	assert_int_equal(cp_utf8_width("16.4 µs ≈"), 9);
}

static void test_sanitize_for_terminal(void **state)
{
	char out[64];

	(void)state;
	cp_fmt_sanitize(out, sizeof(out), "\033[2Jevil\n", 16);
	assert_string_equal(out, "?[2Jevil?");
	cp_fmt_sanitize(out, sizeof(out), "caf\xc3\xa9 \xff\xc2\x9b.", 16);
	assert_string_equal(out, "café ??."); /* invalid byte, then a C1 CSI */
	/* No NUL within src_len: stops at src_len. */
	cp_fmt_sanitize(out, sizeof(out), "abcdefgh", 3);
	assert_string_equal(out, "abc");
	/* Too small: cut, never in the middle of a character, always terminated. */
	cp_fmt_sanitize(out, 5, "ab\xc3\xa9\xc3\xa9", 16);
	assert_string_equal(out, "abé");
	cp_fmt_sanitize(out, 1, "abc", 3);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_units),
		cmocka_unit_test(test_duration_rounding_carries_to_next_unit),
		cmocka_unit_test(test_duration_minutes_and_hours),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_bytes_approx),
		cmocka_unit_test(test_percent_no_false_precision),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_signal_names),
		cmocka_unit_test(test_utf8_decode),
		cmocka_unit_test(test_sanitize_for_terminal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
