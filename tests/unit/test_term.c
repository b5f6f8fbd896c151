// SPDX-License-Identifier: GPL-2.0
/* The terminal the text views print to: --color's words, NO_COLOR and TERM, and the width, on a
 * pipe and on a real pseudo-terminal whose size the test sets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "term.h"

#include <pty.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int pipe_fd[2] = { -1, -1 };
static int pty_fd[2] = { -1, -1 }; /* master, slave */

static int setup(void **state)
{
	struct winsize ws = { .ws_row = 24, .ws_col = 132 };

	(void)state;
	if (pipe(pipe_fd) || openpty(&pty_fd[0], &pty_fd[1], NULL, NULL, &ws))
		return -1;
	unsetenv("NO_COLOR");
	unsetenv("COLUMNS");
	setenv("TERM", "xterm", 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < 2; i++) {
		close(pipe_fd[i]);
		close(pty_fd[i]);
	}
	return 0;
}

static void test_parse(void **state)
{
	enum cp_color c = CP_COLOR_NEVER;

	(void)state;
	assert_int_equal(cp_color_parse("auto", &c), 0);
	assert_int_equal(c, CP_COLOR_AUTO);
	assert_int_equal(cp_color_parse("always", &c), 0);
	assert_int_equal(c, CP_COLOR_ALWAYS);
	assert_int_equal(cp_color_parse("never", &c), 0);
	assert_int_equal(c, CP_COLOR_NEVER);
	assert_int_equal(cp_color_parse("sometimes", &c), -1);
	assert_int_equal(cp_color_parse("", &c), -1);
	assert_int_equal(cp_color_parse("Always", &c), -1);
	assert_int_equal(c, CP_COLOR_NEVER); /* untouched by a bad word */
}

static void test_color_auto_follows_the_terminal(void **state)
{
	int tty = pty_fd[1], pipe_w = pipe_fd[1];

	(void)state;
	assert_true(cp_color_wanted(CP_COLOR_AUTO, tty, false));
	assert_false(cp_color_wanted(CP_COLOR_AUTO, pipe_w, false));
	/* -o FILE that happens to be a terminal: still plain */
	assert_false(cp_color_wanted(CP_COLOR_AUTO, tty, true));
	/* the user's word wins either way */
	assert_true(cp_color_wanted(CP_COLOR_ALWAYS, pipe_w, true));
	assert_false(cp_color_wanted(CP_COLOR_NEVER, tty, false));

	setenv("NO_COLOR", "1", 1);
	assert_false(cp_color_wanted(CP_COLOR_AUTO, tty, false));
	assert_true(cp_color_wanted(CP_COLOR_ALWAYS, tty, false));
	setenv("NO_COLOR", "", 1); /* set but empty: no effect (no-color.org) */
	assert_true(cp_color_wanted(CP_COLOR_AUTO, tty, false));
	unsetenv("NO_COLOR");

	setenv("TERM", "dumb", 1);
	assert_false(cp_color_wanted(CP_COLOR_AUTO, tty, false));
	unsetenv("TERM");
	assert_false(cp_color_wanted(CP_COLOR_AUTO, tty, false));
	setenv("TERM", "xterm", 1);
}

static void test_width(void **state)
{
	struct winsize narrow = { .ws_row = 24, .ws_col = 30 };

	(void)state;
	/* a terminal's own size, whatever COLUMNS says */
	setenv("COLUMNS", "77", 1);
	assert_int_equal(cp_term_width(pty_fd[1], 40), 132);
	/* elsewhere COLUMNS, then 100 */
	assert_int_equal(cp_term_width(pipe_fd[1], 40), 77);
	setenv("COLUMNS", "junk", 1);
	assert_int_equal(cp_term_width(pipe_fd[1], 40), 100);
	unsetenv("COLUMNS");
	assert_int_equal(cp_term_width(pipe_fd[1], 40), 100);
	/* never below the view's minimum */
	setenv("COLUMNS", "20", 1);
	assert_int_equal(cp_term_width(pipe_fd[1], 60), 60);
	unsetenv("COLUMNS");
	assert_int_equal(ioctl(pty_fd[0], TIOCSWINSZ, &narrow), 0);
	assert_int_equal(cp_term_width(pty_fd[1], 40), 40);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_color_auto_follows_the_terminal),
		cmocka_unit_test(test_width),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
