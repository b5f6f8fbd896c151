// SPDX-License-Identifier: GPL-2.0
/* The concurrency profile built from hand-made switch streams. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "concurrency.h"

#define MS 1000000ull

static void build(struct cp_conc_builder *b, uint64_t end, struct cp_concurrency *out)
{
	assert_int_equal(cp_conc_finish(b, end, out), 0);
}

static void test_two_overlapping_threads(void **state)
{
	struct cp_conc_builder b;
	struct cp_concurrency c;

	(void)state;
	cp_conc_init(&b);
	/* A runs 0..30, B runs 10..20: 1 on CPU for 20 ms, 2 for 10 ms, then 0 for 10 ms. */
	assert_int_equal(cp_conc_switch_in(&b, 1, 1000 * MS), 0);
	assert_int_equal(cp_conc_switch_in(&b, 2, 1010 * MS), 0);
	assert_int_equal(cp_conc_switch(&b, 2, 0, 0, 1020 * MS, 1), 0);
	assert_int_equal(cp_conc_switch(&b, 1, 0, 0, 1030 * MS, 0), 0);
	build(&b, 1040 * MS, &c);
	assert_true(c.complete);
	assert_int_equal(c.nr_levels, 3);
	assert_int_equal(c.ns_at[0], 10 * MS);
	assert_int_equal(c.ns_at[1], 20 * MS);
	assert_int_equal(c.ns_at[2], 10 * MS);
	free(c.ns_at);
	cp_conc_free(&b);
}

/* Records from two CPUs arrive slightly out of time order. */
static void test_out_of_order_records(void **state)
{
	struct cp_conc_builder b;
	struct cp_concurrency c;

	(void)state;
	cp_conc_init(&b);
	assert_int_equal(cp_conc_switch_in(&b, 1, 1000 * MS), 0);
	assert_int_equal(cp_conc_switch(&b, 1, 0, 0, 1005 * MS, 0), 0);
	assert_int_equal(cp_conc_switch_in(&b, 2, 1003 * MS), 0); /* earlier than the last */
	assert_int_equal(cp_conc_switch(&b, 2, 0, 0, 1008 * MS, 1), 0);
	build(&b, 1008 * MS, &c);
	assert_true(c.complete);
	assert_int_equal(c.ns_at[1], 6 * MS);
	assert_int_equal(c.ns_at[2], 2 * MS);
	free(c.ns_at);
	cp_conc_free(&b);
}

/* The kernel side moved a slice's start 15 µs earlier: the profile follows. */
static void test_shifted_slice_start(void **state)
{
	struct cp_conc_builder b;
	struct cp_concurrency c;

	(void)state;
	cp_conc_init(&b);
	cp_conc_start(&b, 1000 * MS);
	assert_int_equal(cp_conc_switch_in(&b, 1, 1000 * MS + 15000), 0);
	assert_int_equal(cp_conc_switch(&b, 1, 15000, 0, 1001 * MS, 0), 0);
	build(&b, 1002 * MS, &c);
	assert_true(c.complete);
	assert_int_equal(c.ns_at[1], 1 * MS);
	assert_int_equal(c.ns_at[0], 1 * MS);
	free(c.ns_at);
	cp_conc_free(&b);
}

/* A long slice holds back the changes after its start until it ends. */
static void test_long_slice_holds_back(void **state)
{
	struct cp_conc_builder b;
	struct cp_concurrency c;

	(void)state;
	cp_conc_init(&b);
	assert_int_equal(cp_conc_switch_in(&b, 1, 1000 * MS), 0);
	for (uint64_t t = 1001; t < 1900; t += 2) {
		assert_int_equal(cp_conc_switch_in(&b, 2, t * MS), 0);
		assert_int_equal(cp_conc_switch(&b, 2, 0, 0, (t + 1) * MS, 1), 0);
	}
	assert_int_equal(b.level, 0); /* nothing applied yet: thread 1 could still move */
	assert_int_equal(cp_conc_switch(&b, 1, 10000, 0, 2000 * MS, 0), 0);
	build(&b, 2000 * MS, &c);
	assert_true(c.complete);
	assert_int_equal(c.ns_at[0], 0);
	assert_int_equal(c.ns_at[2], 450 * MS);
	assert_int_equal(c.ns_at[1], 1000 * MS + 10000 - 450 * MS);
	free(c.ns_at);
	cp_conc_free(&b);
}

/* Threads still on a CPU at the end (attached, or left running) count up to the end. */
static void test_open_slices_close_at_end(void **state)
{
	struct cp_conc_builder b;
	struct cp_concurrency c;

	(void)state;
	cp_conc_init(&b);
	cp_conc_start(&b, 1000 * MS);
	assert_int_equal(cp_conc_switch_in(&b, 7, 1004 * MS), 0);
	build(&b, 1010 * MS, &c);
	assert_true(c.complete);
	assert_int_equal(c.ns_at[0], 4 * MS);
	assert_int_equal(c.ns_at[1], 6 * MS);
	free(c.ns_at);
	cp_conc_free(&b);
}

/* A switch-out whose switch-in was lost makes the profile incomplete, never negative. */
static void test_lost_switch_in(void **state)
{
	struct cp_conc_builder b;
	struct cp_concurrency c;

	(void)state;
	cp_conc_init(&b);
	assert_int_equal(cp_conc_switch_in(&b, 1, 1000 * MS), 0);
	assert_int_equal(cp_conc_switch(&b, 9, 0, 0, 1001 * MS, 0), 0);
	assert_int_equal(cp_conc_switch(&b, 1, 0, 0, 1002 * MS, 0), 0);
	build(&b, 1003 * MS, &c);
	assert_false(c.complete);
	assert_int_equal(c.ns_at[1], 2 * MS);
	assert_int_equal(c.ns_at[0], 1 * MS);
	free(c.ns_at);
	cp_conc_free(&b);
}

/* A start moved earlier than the previous slice's end on the same CPU stops at that end. */
static void test_shift_never_overlaps_same_cpu(void **state)
{
	struct cp_conc_builder b;
	struct cp_concurrency c;

	(void)state;
	cp_conc_init(&b);
	assert_int_equal(cp_conc_switch_in(&b, 1, 1000 * MS), 0);
	assert_int_equal(cp_conc_switch(&b, 1, 0, 2, 1002 * MS, 0), 0);
	assert_int_equal(cp_conc_switch(&b, 2, 15000, 0, 1004 * MS, 0), 0);
	build(&b, 1004 * MS, &c);
	assert_true(c.complete);
	assert_int_equal(c.nr_levels, 2);
	assert_int_equal(c.ns_at[1], 4 * MS);
	free(c.ns_at);
	cp_conc_free(&b);
}

static void test_empty_stream(void **state)
{
	struct cp_conc_builder b;
	struct cp_concurrency c;

	(void)state;
	cp_conc_init(&b);
	build(&b, 1000 * MS, &c);
	assert_int_equal(c.nr_levels, 0);
	assert_null(c.ns_at);
	cp_conc_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_overlapping_threads),
		cmocka_unit_test(test_out_of_order_records),
		cmocka_unit_test(test_shifted_slice_start),
		cmocka_unit_test(test_long_slice_holds_back),
		cmocka_unit_test(test_open_slices_close_at_end),
		cmocka_unit_test(test_lost_switch_in),
		cmocka_unit_test(test_shift_never_overlaps_same_cpu),
		cmocka_unit_test(test_empty_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
