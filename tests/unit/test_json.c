// SPDX-License-Identifier: GPL-2.0
/* The concprof/1 export, read back: well-formed, every value right, any bytes escaped safely. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "json.h"
#include "jsmini.h"
#include "runs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* The document cp_json_write() makes of run, as a string (the caller frees it). */
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

static void parse_or_fail(const char *text, struct js *doc)
{
	const char *error = js_parse(text, doc);

	if (error)
		fail_msg("not JSON (%s):\n%s", error, text);
}

static uint64_t u64_at(const struct js *obj, const char *key)
{
	bool ok;
	uint64_t v = js_u64(js_get(obj, key), &ok);

	if (!ok)
		fail_msg("\"%s\" is not a whole number", key);
	return v;
}

static int64_t i64_at(const struct js *obj, const char *key)
{
	bool ok;
	int64_t v = js_i64(js_get(obj, key), &ok);

	if (!ok)
		fail_msg("\"%s\" is not an integer", key);
	return v;
}

static const char *string_at(const struct js *obj, const char *key)
{
	const struct js *v = js_get(obj, key);

	if (!v || v->type != JS_STRING)
		fail_msg("\"%s\" is not a string", key);
	return v->text;
}

static bool bool_at(const struct js *obj, const char *key)
{
	const struct js *v = js_get(obj, key);

	if (!v || v->type != JS_BOOL)
		fail_msg("\"%s\" is not a boolean", key);
	return v->boolean;
}

static void test_lecture_values(void **state)
{
	struct cp_run run;
	struct js doc;
	const struct js *totals, *blocked, *threads, *thread, *procs, *conc, *command;
	char *text;
	bool ok;

	(void)state;
	run_lecture_sequential(&run);
	text = export(&run);
	parse_or_fail(text, &doc);

	assert_string_equal(string_at(&doc, "format"), "concprof/1");
	command = js_get(&doc, "command");
	assert_non_null(command);
	assert_int_equal(command->nr_items, 2);
	assert_string_equal(js_at(command, 0)->text, "python3");
	assert_string_equal(js_at(command, 1)->text, "download.py");
	assert_int_equal(i64_at(&doc, "exit_code"), 0);
	assert_int_equal(i64_at(&doc, "signal"), 0);
	assert_false(bool_at(&doc, "attached"));
	assert_int_equal(i64_at(&doc, "root_pid"), 1000);
	assert_int_equal(u64_at(&doc, "wall_ns"), 16400 * MS);
	assert_int_equal(i64_at(&doc, "cpus"), 2);
	assert_int_equal(u64_at(&doc, "lost_events"), 0);
	assert_int_equal(u64_at(&doc, "lost_threads"), 0);
	assert_int_equal(u64_at(js_get(&doc, "rusage"), "user_ns"), 740 * MS);
	assert_int_equal(u64_at(js_get(&doc, "rusage"), "sys_ns"), 252 * MS);

	totals = js_get(&doc, "totals");
	assert_int_equal(u64_at(totals, "user_ns"), 732 * MS);
	assert_int_equal(u64_at(totals, "sys_ns"), 262 * MS);
	assert_int_equal(u64_at(totals, "runnable_ns"), 6 * MS);
	assert_int_equal(u64_at(totals, "runnable_woken_ns"), 6 * MS);
	assert_int_equal(u64_at(totals, "runnable_preempted_ns"), 0);
	assert_int_equal(u64_at(totals, "blocked_ns"), 15400 * MS);
	assert_int_equal(u64_at(totals, "net_rx_bytes"), 19955565);
	assert_int_equal(u64_at(totals, "voluntary_switches"), 2400);
	blocked = js_get(totals, "blocked");
	assert_non_null(blocked);
	/* all 8 reasons, in the model's order */
	assert_int_equal(blocked->nr_items, CP_NR_REASONS);
	for (int r = 0; r < CP_NR_REASONS; r++)
		assert_string_equal(blocked->keys[r], cp_reason_name(r));
	assert_int_equal(u64_at(blocked, "net"), 15400 * MS);
	assert_int_equal(u64_at(blocked, "lock"), 0);

	conc = js_get(&doc, "concurrency");
	assert_true(bool_at(conc, "complete"));
	assert_int_equal(js_get(conc, "ns_at")->nr_items, 2);
	assert_int_equal(js_u64(js_at(js_get(conc, "ns_at"), 0), &ok), 15406 * MS);
	assert_true(ok);

	procs = js_get(&doc, "processes");
	assert_int_equal(procs->nr_items, 1);
	assert_int_equal(i64_at(js_at(procs, 0), "pid"), 1000);
	assert_int_equal(i64_at(js_at(procs, 0), "ppid"), 999);
	assert_string_equal(string_at(js_at(procs, 0), "comm"), "python3");
	assert_true(bool_at(js_at(procs, 0), "exited"));

	threads = js_get(&doc, "threads");
	assert_int_equal(threads->nr_items, 1);
	thread = js_at(threads, 0);
	assert_int_equal(i64_at(thread, "tid"), 1000);
	assert_int_equal(u64_at(thread, "end_ns") - u64_at(thread, "start_ns"),
			 u64_at(thread, "user_ns") + u64_at(thread, "sys_ns") +
				 u64_at(thread, "runnable_ns") + u64_at(thread, "blocked_ns"));
	assert_int_equal(js_get(thread, "other_syscall")->type, JS_NULL);
	assert_int_equal(u64_at(thread, "net_tx_bytes"), 48000);
	assert_int_equal(u64_at(thread, "pipe_read_bytes"), 0);

	js_free(&doc);
	free(text);
	cp_run_free(&run);
}

/* Totals are the sums over threads, key by key. */
static void test_totals_are_sums(void **state)
{
	static const char *const keys[] = {
		"user_ns",	     "sys_ns",	     "runnable_ns",	   "runnable_preempted_ns",
		"runnable_woken_ns", "blocked_ns",   "voluntary_switches", "involuntary_switches",
		"migrations",	     "net_rx_bytes", "disk_read_bytes",	   "pipe_write_bytes",
	};
	struct cp_run run;
	struct js doc;
	const struct js *threads, *totals;
	char *text;

	(void)state;
	run_shell_loop(&run, 12);
	text = export(&run);
	parse_or_fail(text, &doc);
	threads = js_get(&doc, "threads");
	totals = js_get(&doc, "totals");
	assert_int_equal(threads->nr_items, 13);
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		uint64_t sum = 0;

		for (size_t i = 0; i < threads->nr_items; i++)
			sum += u64_at(js_at(threads, i), keys[k]);
		assert_int_equal(u64_at(totals, keys[k]), sum);
	}
	for (int r = 0; r < CP_NR_REASONS; r++) {
		uint64_t sum = 0;

		for (size_t i = 0; i < threads->nr_items; i++)
			sum += u64_at(js_get(js_at(threads, i), "blocked"), cp_reason_name(r));
		assert_int_equal(u64_at(js_get(totals, "blocked"), cp_reason_name(r)), sum);
	}
	js_free(&doc);
	free(text);
	cp_run_free(&run);
}

static void test_nasty_strings_escaped(void **state)
{
	static const char *const argv[] = {
		"./prog",
		"quote\" back\\slash",
		"ctl\x01\x1f\x7f tab\t nl\n",
		"caf\xc3\xa9 \xe2\x89\x88", /* valid UTF-8 stays */
		"bad\xff\xc0\xaf end",	    /* invalid bytes become U+FFFD */
		"\xed\xa0\x80",		    /* an encoded surrogate is invalid too */
		"",
		NULL,
	};
	struct cp_run run;
	struct cp_thread *t;
	struct js doc;
	const struct js *command, *thread;
	char *text;

	(void)state;
	run_init(&run, SEC, 1, argv);
	run.attached = true;
	run.exit_code = -1;
	run_add_process(&run, 1000, 1, "p\"q", 0, SEC);
	t = run_add_thread(&run, 1000, 1000, "", 0);
	/* 16 bytes, no NUL: the writer must stop at CP_COMM_LEN */
	memcpy(t->comm, "\x1b[2J\xffxxxxxxxxxxx", CP_COMM_LEN);
	t->blocked_ns[CP_REASON_OTHER] = SEC;
	t->other_syscall = 7;
	thread_seal(t);
	t = run_add_thread(&run, 1001, 1000, "w", 0);
	t->blocked_ns[CP_REASON_OTHER] = SEC;
	t->other_syscall = 99999;
	thread_seal(t);

	text = export(&run);
	/* the raw text holds no control character but newlines, and no invalid UTF-8 */
	for (const char *c = text; *c; c++)
		assert_true((unsigned char)*c >= 0x20 || *c == '\n');
	assert_non_null(strstr(text, "\\u0001\\u001f\\u007f tab\\t nl\\n"));
	assert_non_null(strstr(text, "\"quote\\\" back\\\\slash\""));
	parse_or_fail(text, &doc);

	command = js_get(&doc, "command");
	assert_int_equal(command->nr_items, 7);
	assert_string_equal(js_at(command, 1)->text, "quote\" back\\slash");
	assert_string_equal(js_at(command, 2)->text, "ctl\x01\x1f\x7f tab\t nl\n");
	assert_string_equal(js_at(command, 3)->text, "caf\xc3\xa9 \xe2\x89\x88");
	assert_string_equal(js_at(command, 4)->text, "bad\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd end");
	assert_string_equal(js_at(command, 5)->text, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(js_at(command, 6)->text, "");
	assert_true(bool_at(&doc, "attached"));
	assert_int_equal(i64_at(&doc, "exit_code"), -1);
	assert_int_equal(js_get(&doc, "rusage")->type, JS_NULL);
	assert_string_equal(string_at(js_at(js_get(&doc, "processes"), 0), "comm"), "p\"q");

	thread = js_at(js_get(&doc, "threads"), 0);
	assert_string_equal(string_at(thread, "comm"), "\x1b[2J\xef\xbf\xbdxxxxxxxxxxx");
	assert_string_equal(string_at(thread, "other_syscall"), "poll");
	thread = js_at(js_get(&doc, "threads"), 1);
	assert_string_equal(string_at(thread, "other_syscall"), "syscall 99999");
	js_free(&doc);
	free(text);
	cp_run_free(&run);
}

static void test_empty_run(void **state)
{
	struct cp_run run;
	struct js doc;
	char *text;

	(void)state;
	run_init(&run, 0, 0, NULL);
	text = export(&run);
	parse_or_fail(text, &doc);
	assert_int_equal(js_get(&doc, "command")->nr_items, 0);
	assert_int_equal(js_get(&doc, "threads")->type, JS_ARRAY);
	assert_int_equal(js_get(&doc, "threads")->nr_items, 0);
	assert_int_equal(js_get(js_get(&doc, "concurrency"), "ns_at")->nr_items, 0);
	js_free(&doc);
	free(text);
	cp_run_free(&run);
}

/* Another parser agrees, where python3 is installed. */
static void test_python_agrees(void **state)
{
	static const char *const check =
		"python3 -c 'import json, sys; d = json.load(sys.stdin); "
		"assert d[\"format\"] == \"concprof/1\"; "
		"assert d[\"totals\"][\"user_ns\"] == sum(t[\"user_ns\"] for t in d[\"threads\"]); "
		"assert d[\"command\"][4] == \"bad\\ufffd\\ufffd\\ufffd end\"' 2>&1";
	static const char *const argv[] = { "a", "\"", "\x01", "\xc3\xa9", "bad\xff\xc0\xaf end",
					    NULL };
	struct cp_run run;
	char *text;
	FILE *pipe;
	int status;

	(void)state;
	if (system("command -v python3 >/dev/null 2>&1") != 0)
		skip();
	run_shell_loop(&run, 5);
	for (int i = 0; i < run.argc; i++)
		free(run.argv[i]);
	free(run.argv);
	run.argc = 5;
	run.argv = calloc(6, sizeof(*run.argv));
	for (int i = 0; i < 5; i++)
		run.argv[i] = strdup(argv[i]);
	text = export(&run);
	pipe = popen(check, "w");
	assert_non_null(pipe);
	fputs(text, pipe);
	status = pclose(pipe);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	free(text);
	cp_run_free(&run);
}

static void test_writer_layout_and_misuse(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct cp_json w;

	(void)state;
	cp_json_init(&w, f);
	cp_json_begin_object(&w);
	cp_json_kv_u64(&w, "a", 18446744073709551615ULL);
	cp_json_kv_i64(&w, "b", -9223372036854775807LL - 1);
	cp_json_key(&w, "c");
	cp_json_begin_array_inline(&w);
	cp_json_u64(&w, 1);
	cp_json_u64(&w, 2);
	cp_json_end_array(&w);
	cp_json_key(&w, "d");
	cp_json_begin_array(&w);
	cp_json_end_array(&w);
	cp_json_key(&w, "e");
	cp_json_begin_object(&w);
	cp_json_key(&w, "f");
	cp_json_null(&w);
	cp_json_end_object(&w);
	cp_json_end_object(&w);
	assert_int_equal(cp_json_finish(&w), 0);
	fclose(f);
	assert_string_equal(text, "{\n"
				  "  \"a\": 18446744073709551615,\n"
				  "  \"b\": -9223372036854775808,\n"
				  "  \"c\": [1, 2],\n"
				  "  \"d\": [],\n"
				  "  \"e\": {\n"
				  "    \"f\": null\n"
				  "  }\n"
				  "}\n");
	free(text);

	/* a value where a key is due, and an unbalanced end, are reported, not written silently */
	f = open_memstream(&text, &len);
	cp_json_init(&w, f);
	cp_json_begin_object(&w);
	cp_json_u64(&w, 1);
	assert_int_equal(cp_json_finish(&w), -EINVAL);
	fclose(f);
	free(text);

	f = open_memstream(&text, &len);
	cp_json_init(&w, f);
	cp_json_begin_array(&w);
	cp_json_end_object(&w);
	assert_int_equal(cp_json_finish(&w), -EINVAL);
	fclose(f);
	free(text);

	f = open_memstream(&text, &len);
	cp_json_init(&w, f);
	for (int i = 0; i <= CP_JSON_MAX_DEPTH; i++)
		cp_json_begin_array(&w);
	assert_int_equal(cp_json_finish(&w), -E2BIG);
	fclose(f);
	free(text);
}

static void test_write_error_reported(void **state)
{
	struct cp_run run;
	FILE *full = fopen("/dev/full", "w");

	(void)state;
	if (!full)
		skip();
	run_many_threads(&run, 50); /* more than a stdio buffer, so writes fail midway too */
	assert_int_equal(cp_json_write(full, &run), -ENOSPC);
	fclose(full);
	cp_run_free(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lecture_values),
		cmocka_unit_test(test_totals_are_sums),
		cmocka_unit_test(test_nasty_strings_escaped),
		cmocka_unit_test(test_empty_run),
		cmocka_unit_test(test_python_agrees),
		cmocka_unit_test(test_writer_layout_and_misuse),
		cmocka_unit_test(test_write_error_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
