// SPDX-License-Identifier: GPL-2.0
/*
 * Writes the fuzzer's seed recordings into a directory (`tests/fuzz/run --seeds` rebuilds
 * tests/fuzz/corpus/ with it): small, valid, and between them every section and field kind,
 * so mutations start from files that reach deep into the parsers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "recfile.h"
#include "runs.h"
#include "stream.h"

#define US 1000ULL
#define T0 (86400 * SEC)

static void add(struct cp_stream *s, unsigned int cpu, uint64_t ts, uint8_t type, uint32_t tid,
		uint8_t state, uint16_t syscall, uint32_t a, uint32_t b)
{
	struct cp_rec r = { .ts_ns = ts,
			    .tid = tid,
			    .type = type,
			    .state = state,
			    .syscall = syscall,
			    .a = a,
			    .b = b };

	if (cp_stream_add(s, cpu, &r, 1))
		abort();
}

static int save(const char *dir, const char *name, const struct cp_run *run, struct cp_stream *s)
{
	struct cp_recfile_meta meta = { .start_epoch_ns = 1700000000 * SEC,
					.origin_ns = T0,
					.clock_id = CLOCK_MONOTONIC };
	char path[4096];
	FILE *f;
	int err;

	strcpy(meta.kernel, "6.1.0-18-amd64");
	strcpy(meta.machine, "x86_64");
	strcpy(meta.concprof_version, "0.1.0");
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		return 1;
	}
	err = cp_recfile_write(f, run, s, &meta);
	if (fclose(f) || err) {
		fprintf(stderr, "%s: %s\n", path, strerror(err ? -err : errno));
		return 1;
	}
	return 0;
}

/* Two threads taking turns on 3 CPUs, with a fork, an exec, repairs and a late record. */
static void pingpong(struct cp_run *run, struct cp_stream *s, int switches)
{
	static const char *const argv[] = { "./pingpong", "--rounds", "60", NULL };
	struct cp_thread *t;
	uint64_t ts = T0;

	run_init(run, 2 * SEC, 4, argv);
	run_add_process(run, 1000, 999, "pingpong", 0, 2 * SEC);
	t = run_add_thread(run, 1000, 1000, "pingpong", 0);
	t->user_ns = SEC / 2;
	t->blocked_ns[CP_REASON_PIPE] = 3 * SEC / 2;
	t->pipe_read_bytes = 60;
	thread_seal(t);
	t = run_add_thread(run, 1001, 1000, "pingpong", 10 * MS);
	t->user_ns = SEC / 2;
	t->blocked_ns[CP_REASON_PIPE] = 3 * SEC / 2 - 10 * MS;
	t->other_syscall = 7;
	thread_seal(t);
	run_set_concurrency(run, true, 2, SEC, SEC);
	add(s, 0, ts, EV_EXEC, 1000, 1, 59, 0, 0);
	add(s, 0, ts + 10 * MS, EV_FORK, 1000, 0, CP_NO_SYSCALL, 1001, 1000);
	ts += 10 * MS;
	for (int i = 0; i < switches; i++) {
		uint32_t from = i & 1 ? 1001 : 1000, to = i & 1 ? 1000 : 1001;
		unsigned int cpu = i % 3;

		ts += 47 * US + (uint64_t)(i % 13) * 7 * US;
		add(s, cpu, ts, EV_OUT, from,
		    KS_BLOCKED | CP_REASON_PIPE << 4 | (i % 17 == 3 ? CP_REC_REPAIRED : 0), 0,
		    cp_dur32(3 * US), (uint32_t)(i % 7 - 3));
		add(s, cpu, i % 11 == 5 ? ts - 2 * US : ts, EV_IN, to, KS_RQ_WOKEN, 0, from,
		    cp_dur32(50 * US));
	}
	add(s, 1, ts + MS, EV_OUT, 1001, KS_DEAD, CP_NO_SYSCALL, 0, 0);
	run->stream_records = s->records;
}

/* Attached, no rusage, odd bytes, locks of every kind. */
static void odd(struct cp_run *run)
{
	static const char *const argv[] = { "/usr/bin/python3", "", "caf\xc3\xa9 \xff\"\\\n",
					    NULL };
	struct cp_thread *t;
	struct cp_process *p;

	run_init(run, 5 * SEC, 64, argv);
	run->attached = true;
	run->exit_code = -1;
	run->lost_events = 12;
	run->lost_threads = 1;
	run->repaired_switches = 3;
	run->repaired_wakeups = 2;
	p = run_add_process(run, 4242, 1, "python3", 0, 5 * SEC);
	p->exited = false;
	p = run_add_process(run, 4300, 4242, "sixteen-chars-xx", SEC, 2 * SEC);
	memcpy(p->comm, "sixteen-chars-xx", CP_COMM_LEN);
	p->exit_code = 137;
	p->term_signal = 9;
	t = run_add_thread(run, 4242, 4242, "python3", 0);
	t->exited = false;
	t->user_ns = 3 * SEC;
	t->blocked_ns[CP_REASON_LOCK] = 2 * SEC;
	t->other_syscall = 999;
	thread_seal(t);
	t = run_add_thread(run, 4243, 4242, "\x01worker", 0);
	t->sys_ns = UINT64_MAX / 2;
	t->migrations = 1ULL << 40;
	run_set_concurrency(run, false, 4, SEC, 2 * SEC, SEC, SEC);
	run->lost_locks = 5;
	run->nr_locks = 2;
	run->locks = calloc(2, sizeof(*run->locks));
	run->locks[0] = (struct cp_lock){ .pid = 4242,
					  .addr = 0x55d0c0de1000,
					  .wait_ns = 2 * SEC,
					  .max_wait_ns = SEC,
					  .waits = 40,
					  .nr_waiters = 2,
					  .waiters = { 4242, 4243 },
					  .nr_wakers = 1,
					  .wakers = { 4243 },
					  .kind = CP_LOCK_EXE,
					  .path = strdup("/usr/bin/python3.11"),
					  .symbol = strdup("_PyRuntime"),
					  .symbol_offset = 264,
					  .gil = true };
	run->locks[1] = (struct cp_lock){ .pid = 4242,
					  .addr = 0x7ffd00000010,
					  .waits = 1,
					  .more_waiters = true,
					  .kind = CP_LOCK_STACK };
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "tests/fuzz/corpus";
	struct cp_stream s, none;
	struct cp_run run = { 0 };
	int bad = 0;

	bad |= save(dir, "empty.rec", &run, NULL);

	run_lecture_sequential(&run);
	bad |= save(dir, "lecture-no-stream.rec", &run, NULL);
	cp_run_free(&run);

	run_shell_loop(&run, 5);
	cp_stream_init(&none);
	bad |= save(dir, "shell-empty-stream.rec", &run, &none);
	cp_stream_free(&none);
	cp_run_free(&run);

	odd(&run);
	bad |= save(dir, "attached-locks.rec", &run, NULL);
	cp_run_free(&run);

	cp_stream_init(&s);
	pingpong(&run, &s, 60);
	bad |= save(dir, "pingpong-3cpus.rec", &run, &s);
	cp_stream_free(&s);
	cp_run_free(&run);
	return bad;
}
