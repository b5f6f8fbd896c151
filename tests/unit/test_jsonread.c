// SPDX-License-Identifier: GPL-2.0
/*
 * concprof/1 read back (jsonread.h): every hand-made run written, read and written again gives
 * the same document; what is not a concprof/1 file is refused with one sentence naming why.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "json.h"
#include "jsonread.h"
#include "runs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The document cp_json_write() makes of run (the caller frees it). */
static char *export(const struct cp_run *run)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(cp_json_write(f, run), 0);
	assert_int_equal(fclose(f), 0);
	return text;
}

/* cp_json_read() of text; err gets its sentence. */
static int import(const char *text, struct cp_run *run, char *err, size_t errlen)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int ret;

	assert_non_null(f);
	ret = cp_json_read(f, run, err, errlen);
	fclose(f);
	return ret;
}

static void round_trip(struct cp_run *run)
{
	struct cp_run back;
	char err[256] = "";
	char *first = export(run), *second;
	int ret = import(first, &back, err, sizeof(err));

	if (ret)
		fail_msg("read back failed (%d): %s\n%s", ret, err, first);
	second = export(&back);
	if (strcmp(first, second) != 0) {
		size_t at = 0, line = 1;

		while (first[at] == second[at])
			line += first[at++] == '\n';
		fail_msg("written again, the document differs from line %zu:\n%.200s\n---\n%.200s",
			 line, first + at, second + at);
	}
	/* What the format does not hold reads as nothing, and what it holds as it was. */
	assert_int_equal(back.kernel_hz, 0);
	assert_int_equal(back.nr_threads, run->nr_threads);
	assert_int_equal(back.nr_procs, run->nr_procs);
	assert_int_equal(back.argc, run->argc);
	assert_null(back.argv[back.argc]);
	for (size_t i = 0; i < run->nr_threads; i++) {
		assert_int_equal(back.threads[i].first_run_ns, run->threads[i].first_run_ns);
		assert_int_equal(back.threads[i].runnable_woken_ns,
				 run->threads[i].runnable_woken_ns);
		assert_int_equal(back.threads[i].other_syscall, run->threads[i].other_syscall);
	}
	for (size_t i = 0; i < run->nr_procs; i++)
		assert_int_equal(back.procs[i].peak_rss_bytes, run->procs[i].peak_rss_bytes);
	free(first);
	free(second);
	cp_run_free(&back);
	cp_run_free(run);
}

static void test_round_trip_hand_made_runs(void **state)
{
	struct cp_run run;

	(void)state;
	run_lecture_sequential(&run);
	round_trip(&run);
	run_lecture_threads(&run);
	round_trip(&run);
	run_spinners(&run);
	round_trip(&run);
	run_mutex_contention(&run);
	round_trip(&run);
	run_single_spinner(&run);
	round_trip(&run);
	run_shell_loop(&run, 12);
	round_trip(&run);
	run_many_threads(&run, 40);
	round_trip(&run);
}

/* Every newer field set, locks, odd names, numbers at their limits, an attach. */
static void test_round_trip_every_field(void **state)
{
	static const char *const argv[] = { "./prog", "a \"quoted\" arg", "tab\there", "ü", NULL };
	struct cp_run run;
	struct cp_thread *t;
	struct cp_process *p;
	struct cp_lock *l;

	(void)state;
	run_init(&run, 5 * SEC, 4, argv);
	run.attached = true;
	run.exit_code = -1;
	run.have_rusage = false; /* "rusage": null */
	run.lost_events = 3;
	run.stream_records = 123456;
	run.lost_threads = 1;
	run.repaired_switches = 7;
	run.repaired_wakeups = 9;
	run.lost_locks = 2;
	p = run_add_process(&run, 1000, 1, "server", 0, 5 * SEC);
	p->peak_rss_bytes = 64ULL << 20;
	p->exited = false;
	p->exit_code = -1;
	p = run_add_process(&run, 1001, 1000, "worker", 1 * SEC, 2 * SEC);
	p->peak_rss_bytes = 0; /* unknown */
	p->term_signal = 9;
	p->exit_code = 137;
	t = run_add_thread(&run, 1000, 1000, "server", 0);
	t->user_ns = UINT64_MAX / 4;
	t->blocked_ns[CP_REASON_OTHER] = 5;
	t->other_syscall = 7; /* poll */
	t->syscalls = 99;
	thread_seal(t);
	/* bytes that are not UTF-8 cannot come back as they were: see the next test */
	t = run_add_thread(&run, 1002, 1000, "w\x01rk\"ü", 100);
	t->first_run_ns = 12345;
	t->other_syscall = 999; /* "syscall 999" */
	t->blocked_ns[CP_REASON_OTHER] = 1;
	t->exited = false;
	t->pipe_write_bytes = UINT64_MAX; /* beyond int64: json-c keeps it unsigned */
	thread_seal(t);
	t = run_add_thread(&run, 1001, 1001, "worker", 1 * SEC);
	t->first_run_ns = 40000;
	thread_seal(t);
	run_set_concurrency(&run, false, 3, 1ULL, 2ULL, 3ULL);
	run.locks = calloc(2, sizeof(*run.locks));
	run.nr_locks = 2;
	l = &run.locks[0];
	*l = (struct cp_lock){ .pid = 1000,
			       .addr = 0x7fff12345678,
			       .wait_ns = 10,
			       .max_wait_ns = 4,
			       .waits = 3,
			       .kind = CP_LOCK_EXE,
			       .symbol_offset = 8,
			       .gil = true,
			       .nr_waiters = 2,
			       .nr_wakers = 1,
			       .more_waiters = true };
	l->waiters[0] = 1000;
	l->waiters[1] = 1002;
	l->wakers[0] = 1002;
	l->path = strdup("/usr/bin/python3.11");
	l->symbol = strdup("_PyRuntime");
	l = &run.locks[1];
	*l = (struct cp_lock){ .pid = 1000, .addr = 1, .kind = CP_LOCK_ANON };
	round_trip(&run);
}

/* A thread's name written with U+FFFD for bad bytes comes back at most 15 bytes, whole. */
static void test_long_names_cut_between_characters(void **state)
{
	struct cp_run run, back;
	char err[256], *text;

	(void)state;
	run_lecture_sequential(&run);
	memcpy(run.threads[0].comm, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff",
	       15);
	text = export(&run);
	assert_int_equal(import(text, &back, err, sizeof(err)), 0);
	/* five U+FFFD, three bytes each */
	assert_int_equal(strlen(back.threads[0].comm), 15);
	assert_memory_equal(back.threads[0].comm, "\xef\xbf\xbd", 3);
	free(text);
	cp_run_free(&back);
	cp_run_free(&run);
}

/* replace the first "from" in text by "to" (the caller frees the result) */
static char *edit(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	char *out;

	if (!at)
		fail_msg("\"%s\" is not in the document", from);
	out = malloc(strlen(text) - strlen(from) + strlen(to) + 1);
	assert_non_null(out);
	memcpy(out, text, (size_t)(at - text));
	strcpy(out + (at - text), to);
	strcat(out, at + strlen(from));
	return out;
}

static void expect_refused(const char *text, const char *why)
{
	struct cp_run run;
	char err[256] = "";
	int ret;

	memset(&run, 0xa5, sizeof(run));
	ret = import(text, &run, err, sizeof(err));
	assert_int_equal(ret, -EBADMSG);
	if (!strstr(err, why))
		fail_msg("expected \"%s\" in the message, got \"%s\"", why, err);
	/* one sentence, no file name, no newline */
	assert_null(strchr(err, '\n'));
	/* left empty */
	assert_null(run.threads);
	assert_null(run.argv);
	assert_int_equal(run.nr_threads, 0);
}

static void test_refuses_what_is_not_concprof_1(void **state)
{
	struct cp_run run;
	char *text, *bad;

	(void)state;
	expect_refused("", "not JSON: the file is empty");
	expect_refused("  \n", "not JSON: the file is empty");
	expect_refused("root:x:0:0:root:/root:/bin/bash\n", "not JSON");
	expect_refused("{\"format\": \"concprof/1\",", "not JSON: it ends in the middle");
	/* json-c says it, in strict mode */
	expect_refused("{\"format\": \"concprof/1\"} {}", "not JSON: unexpected character");
	expect_refused("{\"a\": 1,}", "not JSON");
	expect_refused("[1, 2]", "not a concprof/1 file: it is JSON, but not an object");
	expect_refused("{\"wall_ns\": 1}", "not a concprof/1 file: it has no \"format\"");
	expect_refused("{\"format\": \"concprof-compare/1\"}",
		       "not a concprof/1 file: its format is \"concprof-compare/1\"");
	expect_refused("{\"format\": 1}", "its format is \"1\"");

	run_lecture_threads(&run);
	text = export(&run);
	cp_run_free(&run);
	bad = edit(text, "\"wall_ns\": 2670000000,\n", "");
	expect_refused(bad, "malformed concprof/1 file: wall_ns is missing");
	free(bad);
	bad = edit(text, "\"wall_ns\": 2670000000", "\"wall_ns\": \"2.67 s\"");
	expect_refused(bad, "wall_ns is not a whole number of 0 or more");
	free(bad);
	bad = edit(text, "\"wall_ns\": 2670000000", "\"wall_ns\": -1");
	expect_refused(bad, "wall_ns is not a whole number");
	free(bad);
	bad = edit(text, "\"wall_ns\": 2670000000", "\"wall_ns\": 2.67e9");
	expect_refused(bad, "wall_ns is not a whole number");
	free(bad);
	bad = edit(text, "\"wall_ns\": 2670000000", "\"wall_ns\": null");
	expect_refused(bad, "wall_ns is not a whole number");
	free(bad);
	bad = edit(text, "\"root_pid\": 1000", "\"root_pid\": 4294967296");
	expect_refused(bad, "root_pid is not a 32-bit integer");
	free(bad);
	bad = edit(text, "\"attached\": false", "\"attached\": 0");
	expect_refused(bad, "attached is not true or false");
	free(bad);
	bad = edit(text, "\"ns_at\": [", "\"ns_at\": [\"x\", ");
	expect_refused(bad, "concurrency.ns_at[0] is not a whole number");
	free(bad);
	bad = edit(text, "\"command\": [\"python3\"", "\"command\": [3");
	expect_refused(bad, "command is not an array of strings");
	free(bad);
	bad = edit(text, "\"threads\": [", "\"threads\": [7, ");
	expect_refused(bad, "threads[0] is not an object");
	free(bad);
	/* the second thread's first reason */
	{
		const char *second = strstr(text, "\"tid\": 1001");
		const char *lock = strstr(second, "\"lock\": 0,\n");
		size_t head = (size_t)(lock - text);
		char *cut = malloc(strlen(text) + 1);

		assert_non_null(lock);
		memcpy(cut, text, head);
		strcpy(cut + head, lock + strlen("\"lock\": 0,\n"));
		expect_refused(cut,
			       "malformed concprof/1 file: threads[1].blocked.lock is missing");
		free(cut);
	}
	bad = edit(text, "\"rusage\": {", "\"rusage\": [], \"x\": {");
	expect_refused(bad, "rusage is not an object or null");
	free(bad);
	free(text);
}

/* Files from before a field existed still read: the field is 0 (unknown). */
static void test_newer_fields_are_optional(void **state)
{
	static const char *const newer[] = {
		"  \"stream_records\": 0,\n",	"  \"repaired_switches\": 0,\n",
		"  \"repaired_wakeups\": 0,\n", "      \"peak_rss_bytes\": 0\n",
		"      \"first_run_ns\": 0,\n", "      \"syscalls\": 0,\n",
		"  \"lost_locks\": 0,\n",
	};
	struct cp_run run, back;
	char err[256] = "", *text;

	(void)state;
	run_lecture_sequential(&run);
	text = export(&run);
	for (size_t i = 0; i < sizeof(newer) / sizeof(newer[0]); i++) {
		char *shorter = edit(text, newer[i], "");

		free(text);
		text = shorter;
	}
	/* peak_rss_bytes was the last member: the one before it loses its comma */
	{
		char *fixed = edit(text, "\"signal\": 0,\n    }", "\"signal\": 0\n    }");

		free(text);
		text = fixed;
	}
	{
		char *fixed = edit(text, ",\n  \"locks\": []", "");

		free(text);
		text = fixed;
	}
	if (import(text, &back, err, sizeof(err)))
		fail_msg("%s\n%s", err, text);
	assert_int_equal(back.nr_locks, 0);
	assert_int_equal(back.procs[0].peak_rss_bytes, 0);
	assert_int_equal(back.threads[0].user_ns, 732 * MS);
	assert_int_equal(back.wall_ns, 16400 * MS);
	assert_true(back.have_rusage);
	assert_int_equal(back.rusage_user_ns, 740 * MS);
	cp_run_free(&back);
	cp_run_free(&run);
	free(text);
}

static void test_syscall_names(void **state)
{
	struct cp_run run, back;
	char err[256], *text, *bad;

	(void)state;
	run_lecture_sequential(&run);
	run.threads[0].other_syscall = 7;
	text = export(&run);
	assert_non_null(strstr(text, "\"other_syscall\": \"poll\""));
	assert_int_equal(import(text, &back, err, sizeof(err)), 0);
	assert_int_equal(back.threads[0].other_syscall, 7);
	cp_run_free(&back);
	/* a name this machine does not know: -1, not an error */
	bad = edit(text, "\"poll\"", "\"frobnicate\"");
	assert_int_equal(import(bad, &back, err, sizeof(err)), 0);
	assert_int_equal(back.threads[0].other_syscall, -1);
	cp_run_free(&back);
	free(bad);
	bad = edit(text, "\"poll\"", "\"syscall 4242\"");
	assert_int_equal(import(bad, &back, err, sizeof(err)), 0);
	assert_int_equal(back.threads[0].other_syscall, 4242);
	cp_run_free(&back);
	free(bad);
	free(text);
	cp_run_free(&run);
}

static void test_read_error(void **state)
{
	struct cp_run run;
	char err[256] = "";
	FILE *f = fopen("/dev/null", "w"); /* not open for reading */

	(void)state;
	assert_non_null(f);
	assert_true(cp_json_read(f, &run, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "cannot read it"));
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_hand_made_runs),
		cmocka_unit_test(test_round_trip_every_field),
		cmocka_unit_test(test_long_names_cut_between_characters),
		cmocka_unit_test(test_refuses_what_is_not_concprof_1),
		cmocka_unit_test(test_newer_fields_are_optional),
		cmocka_unit_test(test_syscall_names),
		cmocka_unit_test(test_read_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
