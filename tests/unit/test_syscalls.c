// SPDX-License-Identifier: GPL-2.0
/* The generated syscall table names what "other" blocks were in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "syscalls.h"

static void test_known_numbers(void **state)
{
	(void)state;
#if defined(__x86_64__)
	assert_string_equal(cp_syscall_name(0), "read");
	assert_string_equal(cp_syscall_name(7), "poll");
	assert_string_equal(cp_syscall_name(61), "wait4");
	assert_string_equal(cp_syscall_name(202), "futex");
	assert_string_equal(cp_syscall_name(232), "epoll_wait");
	assert_string_equal(cp_syscall_name(435), "clone3");
#else
	skip();
#endif
}

static void test_unknown_numbers(void **state)
{
	char buf[32];

	(void)state;
	assert_null(cp_syscall_name(-1));
	assert_null(cp_syscall_name(100000));
	/* x86_64 leaves 335..423 unused (the gap before the y2038 syscalls). */
	assert_null(cp_syscall_name(400));
	assert_string_equal(cp_syscall_describe(100000, buf, sizeof(buf)), "syscall 100000");
	assert_string_equal(cp_syscall_describe(-1, buf, sizeof(buf)), "syscall -1");
#if defined(__x86_64__)
	assert_string_equal(cp_syscall_describe(7, buf, sizeof(buf)), "poll");
#endif
	/* A short buffer is cut, never overrun. */
	assert_string_equal(cp_syscall_describe(100000, buf, 4), "sys");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_numbers),
		cmocka_unit_test(test_unknown_numbers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
