// SPDX-License-Identifier: GPL-2.0
/*
 * The recording file: what is written reads back the same (the JSON export byte for byte, every
 * field, every stream record), and whatever damage a file has, reading it fails with a sentence
 * that says what, never with a crash or an absurd allocation (the -asan twin checks the latter).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "json.h"
#include "recfile.h"
#include "runs.h"
#include "stream.h"
#include "timeline.h"

#include <errno.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#define US 1000ULL
#define T0 (86400 * SEC) /* the stream clock at the run's time zero: a day after boot */

/* --- helpers ------------------------------------------------------------------------------ */

struct bytes {
	uint8_t *p;
	size_t len;
};

static void meta_fill(struct cp_recfile_meta *meta)
{
	*meta = (struct cp_recfile_meta){ .start_epoch_ns = 1700000000 * SEC + 123456789,
					  .origin_ns = T0,
					  .clock_id = CLOCK_MONOTONIC };
	strcpy(meta->kernel, "6.1.0-18-amd64");
	strcpy(meta->machine, "x86_64");
	strcpy(meta->concprof_version, "0.1.0");
}

static struct bytes record(const struct cp_run *run, struct cp_stream *s,
			   const struct cp_recfile_meta *meta)
{
	struct bytes b = { 0 };
	FILE *f = open_memstream((char **)&b.p, &b.len);

	assert_non_null(f);
	assert_int_equal(cp_recfile_write(f, run, s, meta), 0);
	assert_int_equal(fclose(f), 0);
	return b;
}

/* A read-only FILE over the bytes (fmemopen refuses zero bytes: /dev/null stands in). */
static FILE *open_bytes(const uint8_t *p, size_t len)
{
	FILE *f = len ? fmemopen((void *)p, len, "r") : fopen("/dev/null", "r");

	assert_non_null(f);
	return f;
}

static int read_bytes(const uint8_t *p, size_t len, struct cp_run *run, struct cp_stream *s,
		      struct cp_recfile_meta *meta, char *err, size_t errlen)
{
	FILE *f = open_bytes(p, len);
	int ret = cp_recfile_read(f, run, s, meta, err, errlen);

	fclose(f);
	return ret;
}

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

static void assert_run_equal(const struct cp_run *a, const struct cp_run *b)
{
	int argc = 0;

	while (a->argv && argc < a->argc && a->argv[argc])
		argc++;
	assert_int_equal(b->argc, argc);
	assert_non_null(b->argv);
	for (int i = 0; i < argc; i++)
		assert_string_equal(b->argv[i], a->argv[i]);
	assert_null(b->argv[argc]);
	assert_int_equal(b->attached, a->attached);
	assert_int_equal(b->root_pid, a->root_pid);
	assert_int_equal(b->exit_code, a->exit_code);
	assert_int_equal(b->term_signal, a->term_signal);
	assert_int_equal(b->wall_ns, a->wall_ns);
	assert_int_equal(b->cpus, a->cpus);
	assert_int_equal(b->kernel_hz, a->kernel_hz);
	assert_int_equal(b->lost_events, a->lost_events);
	assert_int_equal(b->stream_records, a->stream_records);
	assert_int_equal(b->lost_threads, a->lost_threads);
	assert_int_equal(b->repaired_switches, a->repaired_switches);
	assert_int_equal(b->repaired_wakeups, a->repaired_wakeups);
	assert_int_equal(b->have_rusage, a->have_rusage);
	assert_int_equal(b->rusage_user_ns, a->rusage_user_ns);
	assert_int_equal(b->rusage_sys_ns, a->rusage_sys_ns);

	assert_int_equal(b->nr_procs, a->nr_procs);
	for (size_t i = 0; i < a->nr_procs; i++) {
		const struct cp_process *p = &a->procs[i], *q = &b->procs[i];

		assert_int_equal(q->pid, p->pid);
		assert_int_equal(q->ppid, p->ppid);
		assert_memory_equal(q->comm, p->comm, strnlen(p->comm, CP_COMM_LEN));
		assert_int_equal(strnlen(q->comm, CP_COMM_LEN), strnlen(p->comm, CP_COMM_LEN));
		assert_int_equal(q->start_ns, p->start_ns);
		assert_int_equal(q->end_ns, p->end_ns);
		assert_int_equal(q->exited, p->exited);
		assert_int_equal(q->exit_code, p->exit_code);
		assert_int_equal(q->term_signal, p->term_signal);
		assert_int_equal(q->peak_rss_bytes, p->peak_rss_bytes);
	}

	assert_int_equal(b->nr_threads, a->nr_threads);
	for (size_t i = 0; i < a->nr_threads; i++) {
		const struct cp_thread *t = &a->threads[i], *u = &b->threads[i];

		assert_int_equal(u->tid, t->tid);
		assert_int_equal(u->pid, t->pid);
		assert_memory_equal(u->comm, t->comm, strnlen(t->comm, CP_COMM_LEN));
		assert_int_equal(strnlen(u->comm, CP_COMM_LEN), strnlen(t->comm, CP_COMM_LEN));
		assert_int_equal(u->start_ns, t->start_ns);
		assert_int_equal(u->end_ns, t->end_ns);
		assert_int_equal(u->exited, t->exited);
		assert_int_equal(u->first_run_ns, t->first_run_ns);
		assert_int_equal(u->user_ns, t->user_ns);
		assert_int_equal(u->sys_ns, t->sys_ns);
		assert_int_equal(u->runnable_preempted_ns, t->runnable_preempted_ns);
		assert_int_equal(u->runnable_woken_ns, t->runnable_woken_ns);
		for (int r = 0; r < CP_NR_REASONS; r++)
			assert_int_equal(u->blocked_ns[r], t->blocked_ns[r]);
		assert_int_equal(u->other_syscall, t->other_syscall);
		assert_int_equal(u->voluntary_switches, t->voluntary_switches);
		assert_int_equal(u->involuntary_switches, t->involuntary_switches);
		assert_int_equal(u->migrations, t->migrations);
		assert_int_equal(u->syscalls, t->syscalls);
		assert_int_equal(u->net_rx_bytes, t->net_rx_bytes);
		assert_int_equal(u->net_tx_bytes, t->net_tx_bytes);
		assert_int_equal(u->disk_read_bytes, t->disk_read_bytes);
		assert_int_equal(u->disk_write_bytes, t->disk_write_bytes);
		assert_int_equal(u->pipe_read_bytes, t->pipe_read_bytes);
		assert_int_equal(u->pipe_write_bytes, t->pipe_write_bytes);
	}

	assert_int_equal(b->lost_locks, a->lost_locks);
	assert_int_equal(b->nr_locks, a->nr_locks);
	for (size_t i = 0; i < a->nr_locks; i++) {
		const struct cp_lock *l = &a->locks[i], *m = &b->locks[i];

		assert_int_equal(m->pid, l->pid);
		assert_int_equal(m->addr, l->addr);
		assert_int_equal(m->wait_ns, l->wait_ns);
		assert_int_equal(m->max_wait_ns, l->max_wait_ns);
		assert_int_equal(m->waits, l->waits);
		assert_int_equal(m->nr_waiters, l->nr_waiters);
		assert_memory_equal(m->waiters, l->waiters, l->nr_waiters * sizeof(*l->waiters));
		assert_int_equal(m->more_waiters, l->more_waiters);
		assert_int_equal(m->nr_wakers, l->nr_wakers);
		assert_memory_equal(m->wakers, l->wakers, l->nr_wakers * sizeof(*l->wakers));
		assert_int_equal(m->more_wakers, l->more_wakers);
		assert_int_equal(m->kind, l->kind <= CP_LOCK_STACK ? l->kind : CP_LOCK_UNKNOWN);
		if (l->path)
			assert_string_equal(m->path, l->path);
		else
			assert_null(m->path);
		if (l->symbol)
			assert_string_equal(m->symbol, l->symbol);
		else
			assert_null(m->symbol);
		assert_int_equal(m->symbol_offset, l->symbol_offset);
		assert_int_equal(m->gil, l->gil);
	}

	assert_int_equal(b->concurrency.complete, a->concurrency.complete);
	assert_int_equal(b->concurrency.nr_levels,
			 a->concurrency.ns_at ? a->concurrency.nr_levels : 0);
	for (size_t k = 0; k < b->concurrency.nr_levels; k++)
		assert_int_equal(b->concurrency.ns_at[k], a->concurrency.ns_at[k]);
}

static void assert_meta_equal(const struct cp_recfile_meta *a, const struct cp_recfile_meta *b)
{
	assert_string_equal(b->kernel, a->kernel);
	assert_string_equal(b->machine, a->machine);
	assert_string_equal(b->concprof_version, a->concprof_version);
	assert_int_equal(b->start_epoch_ns, a->start_epoch_ns);
	assert_int_equal(b->origin_ns, a->origin_ns);
	assert_int_equal(b->clock_id, a->clock_id);
	assert_int_equal(b->format_version, CP_RECFILE_VERSION);
}

/* Every record of a stream in merged order, with its CPU. */
struct recs {
	struct cp_rec *rec;
	unsigned int *cpu;
	size_t n, cap;
};

static int collect(void *ctx, unsigned int cpu, const struct cp_rec *r)
{
	struct recs *all = ctx;

	if (all->n == all->cap) {
		all->cap = all->cap ? 2 * all->cap : 1024;
		all->rec = test_xrealloc(all->rec, all->cap * sizeof(*all->rec));
		all->cpu = test_xrealloc(all->cpu, all->cap * sizeof(*all->cpu));
	}
	all->rec[all->n] = *r;
	all->cpu[all->n++] = cpu;
	return 0;
}

static struct recs stream_records(struct cp_stream *s)
{
	struct recs all = { 0 };

	assert_int_equal(cp_stream_each(s, collect, &all), 0);
	return all;
}

static void assert_streams_equal(struct cp_stream *a, struct cp_stream *b)
{
	struct recs x = stream_records(a), y = stream_records(b);

	assert_int_equal(b->records, a->records);
	assert_int_equal(y.n, x.n);
	for (size_t i = 0; i < x.n; i++) {
		assert_int_equal(y.cpu[i], x.cpu[i]);
		assert_int_equal(y.rec[i].ts_ns, x.rec[i].ts_ns);
		assert_int_equal(y.rec[i].tid, x.rec[i].tid);
		assert_int_equal(y.rec[i].type, x.rec[i].type);
		assert_int_equal(y.rec[i].state, x.rec[i].state);
		assert_int_equal(y.rec[i].syscall, x.rec[i].syscall);
		assert_int_equal(y.rec[i].a, x.rec[i].a);
		assert_int_equal(y.rec[i].b, x.rec[i].b);
	}
	free(x.rec);
	free(x.cpu);
	free(y.rec);
	free(y.cpu);
}

/*
 * Writes run (and s), reads it back, and checks that the two agree: every field, the JSON
 * export byte for byte, the meta, the stream. Returns the file for further abuse.
 */
static struct bytes round_trip(const struct cp_run *run, struct cp_stream *s)
{
	struct cp_recfile_meta meta, back_meta;
	struct cp_stream back_stream;
	struct cp_run back;
	char err[256] = "";
	char *want, *got;
	struct bytes b;

	meta_fill(&meta);
	b = record(run, s, &meta);
	cp_stream_init(&back_stream);
	if (read_bytes(b.p, b.len, &back, &back_stream, &back_meta, err, sizeof(err)))
		fail_msg("reading back failed: %s", err);
	assert_string_equal(err, "");
	assert_run_equal(run, &back);
	assert_meta_equal(&meta, &back_meta);
	assert_int_equal(back_meta.has_stream, s != NULL);
	want = export(run);
	got = export(&back);
	assert_string_equal(got, want);
	if (s)
		assert_streams_equal(s, &back_stream);
	else
		assert_int_equal(back_stream.records, 0);
	free(want);
	free(got);
	cp_run_free(&back);
	cp_stream_free(&back_stream);
	return b;
}

static void add_rec(struct cp_stream *s, unsigned int cpu, uint64_t ts, uint8_t type, uint32_t tid,
		    uint8_t state, uint16_t syscall, uint32_t a, uint32_t b)
{
	struct cp_rec r = { .ts_ns = ts,
			    .tid = tid,
			    .type = type,
			    .state = state,
			    .syscall = syscall,
			    .a = a,
			    .b = b };

	assert_int_equal(cp_stream_add(s, cpu, &r, 1), 0);
}

/* A run of two threads ping-ponging over a pipe on CPUs 0 and 3, and its stream. */
static void pingpong(struct cp_run *run, struct cp_stream *s, int switches)
{
	static const char *const argv[] = { "./pingpong", NULL };
	struct cp_thread *t;
	uint64_t ts = T0;

	run_init(run, 2 * SEC, 4, argv);
	run_add_process(run, 1000, 999, "pingpong", 0, 2 * SEC);
	t = run_add_thread(run, 1000, 1000, "pingpong", 0);
	t->user_ns = SEC / 2;
	t->blocked_ns[CP_REASON_PIPE] = 3 * SEC / 2;
	thread_seal(t);
	t = run_add_thread(run, 1001, 1000, "pingpong", 10 * MS);
	t->user_ns = SEC / 2;
	t->blocked_ns[CP_REASON_PIPE] = 3 * SEC / 2 - 10 * MS;
	thread_seal(t);
	run_set_concurrency(run, true, 2, SEC, SEC);
	cp_stream_init(s);
	add_rec(s, 0, ts, EV_EXEC, 1000, 1, 59, 0, 0);
	add_rec(s, 0, ts + 10 * MS, EV_FORK, 1000, 0, CP_NO_SYSCALL, 1001, 1000);
	ts += 10 * MS;
	for (int i = 0; i < switches; i++) {
		uint32_t from = i & 1 ? 1001 : 1000, to = i & 1 ? 1000 : 1001;
		unsigned int cpu = i % 3 ? 0 : 3;

		ts += 47 * US + (uint64_t)(i % 13) * 7 * US;
		add_rec(s, cpu, ts, EV_OUT, from, KS_BLOCKED | CP_REASON_PIPE << 4, 0,
			cp_dur32(3 * US + (uint64_t)(i % 5) * US), (uint32_t)(i % 7 - 3));
		add_rec(s, cpu, ts, EV_IN, to, KS_RQ_WOKEN, 1, from, cp_dur32(50 * US));
	}
	run->stream_records = s->records;
}

/* --- round trips --------------------------------------------------------------------------- */

static void test_crc32(void **state)
{
	(void)state;
	/* zlib's check value, and chaining across calls */
	assert_int_equal(cp_crc32(0, "123456789", 9), 0xcbf43926);
	assert_int_equal(cp_crc32(cp_crc32(0, "1234", 4), "56789", 5), 0xcbf43926);
	assert_int_equal(cp_crc32(0, "", 0), 0);
}

static void test_hand_made_runs_round_trip(void **state)
{
	void (*const builders[])(struct cp_run *) = {
		run_lecture_sequential, run_lecture_threads, run_spinners,
		run_mutex_contention,	run_single_spinner,
	};
	struct cp_run run;
	struct bytes b;

	(void)state;
	for (size_t i = 0; i < sizeof(builders) / sizeof(builders[0]); i++) {
		builders[i](&run);
		free(round_trip(&run, NULL).p);
		cp_run_free(&run);
	}
	run_shell_loop(&run, 40);
	free(round_trip(&run, NULL).p);
	cp_run_free(&run);
	run_many_threads(&run, 300);
	b = round_trip(&run, NULL);
	/* Varints: 300 threads of mostly small numbers take far less than their 232 bytes each. */
	assert_true(b.len < 300 * 80);
	free(b.p);
	cp_run_free(&run);
}

/* Every field away from its default, at the edges of its type. */
static void test_every_field_round_trips(void **state)
{
	static const char *const argv[] = { "./prog",
					    "",
					    "quote\" back\\slash",
					    "new\nline\ttab\x01\x7f",
					    "\xff\xfe not utf-8 \xc3",
					    "caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x98\x80",
					    NULL };
	struct cp_thread *t;
	struct cp_process *p;
	struct cp_run run;
	char big[70000];

	(void)state;
	run_init(&run, UINT64_MAX, 65536, argv);
	/* one very long argument, every byte but NUL */
	for (size_t i = 0; i < sizeof(big) - 1; i++)
		big[i] = (char)(1 + i % 255);
	big[sizeof(big) - 1] = '\0';
	run.argv = test_xrealloc(run.argv, (run.argc + 2) * sizeof(*run.argv));
	run.argv[run.argc++] = strdup(big);
	run.argv[run.argc] = NULL;
	run.attached = true;
	run.root_pid = INT32_MAX;
	run.exit_code = -1;
	run.term_signal = 64;
	run.cpus = 1;
	run.kernel_hz = 1000;
	run.lost_events = UINT64_MAX;
	run.stream_records = UINT64_MAX - 1;
	run.lost_threads = 1ULL << 63;
	run.repaired_switches = 127;
	run.repaired_wakeups = 128;
	run.have_rusage = false; /* attached: none, yet what the fields hold survives */
	run.rusage_user_ns = 5;
	run.rusage_sys_ns = 6;

	p = run_add_process(&run, INT32_MAX, 0, "", 0, UINT64_MAX);
	p->exited = false;
	p->exit_code = -1;
	p = run_add_process(&run, 2, INT32_MIN, "", 1, 2);
	memcpy(p->comm, "sixteen-bytes-xx", CP_COMM_LEN); /* no NUL */
	p->exit_code = 137;
	p->term_signal = 9;
	p->peak_rss_bytes = 1ULL << 40;

	t = run_add_thread(&run, INT32_MAX, INT32_MAX, "", UINT64_MAX);
	t->exited = false;
	t->end_ns = 0;
	t = run_add_thread(&run, 1, -1, "x", 0);
	memcpy(t->comm, "\x01\xff\"\\ comm no nul", CP_COMM_LEN);
	t->first_run_ns = 12345678;
	t->user_ns = 1;
	t->sys_ns = UINT64_MAX;
	t->runnable_preempted_ns = 1ULL << 32;
	t->runnable_woken_ns = (1ULL << 32) - 1;
	for (int r = 0; r < CP_NR_REASONS; r++)
		t->blocked_ns[r] = 1000003ULL * (r + 1) << (r * 7);
	t->other_syscall = 999;
	t->voluntary_switches = 1;
	t->involuntary_switches = 2;
	t->migrations = 3;
	t->syscalls = 4;
	t->net_rx_bytes = 5;
	t->net_tx_bytes = 6;
	t->disk_read_bytes = 7;
	t->disk_write_bytes = 8;
	t->pipe_read_bytes = 9;
	t->pipe_write_bytes = UINT64_MAX;
	t->end_ns = 12345;
	t = run_add_thread(&run, 3, 2, "poll", 7);
	t->other_syscall = INT32_MIN;
	run_set_concurrency(&run, false, 5, 0ULL, UINT64_MAX, 1ULL, 1ULL << 35, 127ULL);

	run.lost_locks = 77;
	run.nr_locks = 3;
	run.locks = test_xrealloc(NULL, 3 * sizeof(*run.locks));
	run.locks[0] = (struct cp_lock){ .pid = 2,
					 .addr = UINT64_MAX,
					 .wait_ns = 3 * SEC,
					 .max_wait_ns = SEC,
					 .waits = 1000,
					 .nr_waiters = 8,
					 .more_waiters = true,
					 .nr_wakers = 1,
					 .kind = CP_LOCK_EXE,
					 .path = strdup("/usr/bin/caf\xc3\xa9 \"x\""),
					 .symbol = strdup("_PyRuntime"),
					 .symbol_offset = 264,
					 .gil = true };
	for (int i = 0; i < CP_LOCK_MAX_IDS; i++)
		run.locks[0].waiters[i] = INT32_MAX - i;
	run.locks[0].wakers[0] = -5;
	run.locks[1] =
		(struct cp_lock){ .pid = INT32_MIN, .kind = CP_LOCK_STACK, .more_wakers = true };
	run.locks[2] = (struct cp_lock){ .pid = 1,
					 .addr = 0x7f0000001000,
					 .kind = 9, /* unknown */
					 .path = strdup(""),
					 .nr_wakers = 2 };

	free(round_trip(&run, NULL).p);
	cp_run_free(&run);
}

/* Nothing at all: no argv, no tables, no profile, no stream. */
static void test_empty_run_round_trips(void **state)
{
	struct cp_run run = { 0 };

	(void)state;
	free(round_trip(&run, NULL).p);
	run.argc = 3; /* argv NULL: written as no argument, like the JSON export */
	free(round_trip(&run, NULL).p);
}

static void test_stream_round_trips(void **state)
{
	struct cp_run run;
	struct cp_stream s;
	struct recs before;
	uint64_t ts = 5;

	(void)state;
	pingpong(&run, &s, 200);
	/* CPUs far apart, an empty CPU slot between them, every type, the edges of each field */
	add_rec(&s, 300, UINT64_MAX, EV_OUT, UINT32_MAX, 0xff, 0xfffe, UINT32_MAX, 0x80000000u);
	add_rec(&s, 300, 0, EV_IN, 0, 0, 0, 0, UINT32_MAX);
	add_rec(&s, 300, 1ULL << 63, EV_OUT, 1, KS_DEAD | CP_REC_REPAIRED, 127, 0, (uint32_t)-1);
	add_rec(&s, 300, (1ULL << 63) - 1, EV_EXEC, 1, 1, 128, 1, 1);
	add_rec(&s, 65535, T0, EV_FORK, 2, 1, CP_NO_SYSCALL, 3, 4);
	assert_int_equal(cp_stream_add(&s, 7, NULL, 0), 0); /* a CPU slot with no file */
	/* more than a chunk's worth on one CPU, dated back now and then (repairs) */
	for (int i = 0; i < 10000; i++) {
		ts += i % 100 == 99 ? (uint64_t)-3000 : 1000 + (uint64_t)i;
		add_rec(&s, 1, ts, EV_OUT + i % 2, 100000 + (uint32_t)i % 3, (uint8_t)i,
			(uint16_t)(i * 37), (uint32_t)i * 2654435761u, (uint32_t)(i - 5000));
	}
	run.stream_records = s.records;
	before = stream_records(&s);
	free(round_trip(&run, &s).p);
	/* The live stream is still whole, and still takes records, after being written. */
	add_rec(&s, 1, ts + 1, EV_IN, 7, 0, 0, 0, 0);
	assert_int_equal(s.records, before.n + 1);
	assert_int_equal(s.cpus[1].records, 10001);
	free(round_trip(&run, &s).p);
	free(before.rec);
	free(before.cpu);
	cp_stream_free(&s);
	cp_run_free(&run);
}

/* Timelines built from the recording are the live run's: same spans, same TSV. */
static void test_timeline_from_recording(void **state)
{
	struct cp_recfile_meta meta, back_meta;
	struct cp_stream s, back_s;
	struct cp_run run, back;
	struct cp_timeline tl;
	char *want = NULL, *got = NULL;
	size_t len;
	struct bytes b;
	FILE *f;

	(void)state;
	pingpong(&run, &s, 500);
	meta_fill(&meta);
	b = record(&run, &s, &meta);
	cp_stream_init(&back_s);
	assert_int_equal(read_bytes(b.p, b.len, &back, &back_s, &back_meta, NULL, 0), 0);

	assert_int_equal(cp_timeline_build(&tl, &run, &s, meta.origin_ns), 0);
	assert_true(tl.nr_spans > 500);
	f = open_memstream(&want, &len);
	assert_int_equal(cp_tl_write_tsv(f, &run, &tl), 0);
	fclose(f);
	cp_timeline_free(&tl);
	assert_int_equal(cp_timeline_build(&tl, &back, &back_s, back_meta.origin_ns), 0);
	f = open_memstream(&got, &len);
	assert_int_equal(cp_tl_write_tsv(f, &back, &tl), 0);
	fclose(f);
	cp_timeline_free(&tl);
	assert_string_equal(got, want);

	free(want);
	free(got);
	free(b.p);
	cp_run_free(&back);
	cp_run_free(&run);
	cp_stream_free(&back_s);
	cp_stream_free(&s);
}

/* Switches between two traced threads at the pace of a busy server: well under 48 bytes. */
static void test_bytes_per_switch(void **state)
{
	struct cp_recfile_meta meta;
	struct cp_run run;
	struct cp_stream s, none;
	struct bytes with, without;
	uint64_t x = 88172645463325252ULL, ts = T0;
	double per_switch;
	const int switches = 100000;

	(void)state;
	run_spinners(&run);
	cp_stream_init(&s);
	cp_stream_init(&none);
	for (int i = 0; i < switches; i++) {
		uint32_t from = 2000000 + (uint32_t)(x % 40),
			 to = 2000000 + (uint32_t)(x >> 8) % 40;
		unsigned int cpu = (unsigned int)(x >> 16) % 8;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		ts += 2 * US + x % (200 * US);
		add_rec(&s, cpu, ts, EV_OUT, from, KS_BLOCKED | CP_REASON_LOCK << 4, 202,
			cp_dur32(x % (20 * US)), (uint32_t)(int32_t)(x % 200 - 100));
		add_rec(&s, cpu, ts, EV_IN, to, KS_RQ_WOKEN, 202, from, cp_dur32(x % (2 * MS)));
	}
	meta_fill(&meta);
	with = record(&run, &s, &meta);
	without = record(&run, &none, &meta);
	per_switch = (double)(with.len - without.len) / switches;
	print_message("# stream section: %.2f bytes per context switch (48 in memory)\n", per_switch);
	assert_true(per_switch <= 30);
	free(with.p);
	free(without.p);
	cp_stream_free(&s);
	cp_stream_free(&none);
	cp_run_free(&run);
}

/* --- damage -------------------------------------------------------------------------------- */

static struct bytes sample(void)
{
	struct cp_recfile_meta meta;
	struct cp_stream s;
	struct cp_run run;
	struct bytes b;

	pingpong(&run, &s, 40);
	meta_fill(&meta);
	b = record(&run, &s, &meta);
	cp_stream_free(&s);
	cp_run_free(&run);
	return b;
}

/* A failed read leaves the run empty, and says one sentence (no newline, not empty). */
static int read_fails(const uint8_t *p, size_t len, char *err, size_t errlen)
{
	struct cp_recfile_meta meta;
	struct cp_stream s;
	struct cp_run run;
	int ret;

	cp_stream_init(&s);
	ret = read_bytes(p, len, &run, &s, &meta, err, errlen);
	cp_stream_free(&s);
	if (!ret)
		fail_msg("a damaged recording (%zu bytes) was read as sound", len);
	assert_true(ret < 0);
	assert_null(run.argv);
	assert_null(run.threads);
	assert_null(run.procs);
	assert_null(run.concurrency.ns_at);
	assert_true(strlen(err) > 5);
	assert_null(strchr(err, '\n'));
	return ret;
}

static void test_truncated_at_every_byte(void **state)
{
	struct bytes b = sample();
	char err[256];

	(void)state;
	for (size_t len = 0; len < b.len; len++) {
		int ret = read_fails(b.p, len, err, sizeof(err));

		assert_int_equal(ret, -EBADMSG);
		if (len == 0)
			assert_string_equal(err, "empty file");
		else if (!strstr(err, "recording is truncated: "))
			fail_msg("truncated at %zu of %zu: \"%s\"", len, b.len, err);
	}
	/* where the cut is, is said */
	read_fails(b.p, 10, err, sizeof(err));
	assert_string_equal(err, "recording is truncated: the file header ends early");
	read_fails(b.p, 16, err, sizeof(err));
	assert_string_equal(err, "recording is truncated: it ends before its metadata");
	read_fails(b.p, b.len - 1, err, sizeof(err));
	assert_string_equal(err, "recording is truncated: the end marker ends early");
	free(b.p);
}

/* Named sections of a recording, to take apart and put back with correct CRCs. */
struct sec {
	uint32_t tag;
	uint8_t *p;
	size_t len;
};

static uint32_t le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void put32(uint8_t *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> 8 * i);
}

static uint32_t tag(const char *s)
{
	return le32((const uint8_t *)s);
}

static size_t split(const struct bytes *b, struct sec *secs, size_t max)
{
	size_t n = 0, off = 16;

	while (off + 8 <= b->len && n < max) {
		size_t len = le32(b->p + off + 4);

		assert_true(off + 8 + len + 4 <= b->len);
		secs[n].tag = le32(b->p + off);
		secs[n].len = len;
		secs[n].p = test_xrealloc(NULL, len + 1);
		memcpy(secs[n].p, b->p + off + 8, len);
		n++;
		off += 8 + len + 4;
	}
	assert_int_equal(off, b->len);
	return n;
}

/* The file of these sections, each CRC right; the sections are freed. */
static struct bytes join(uint32_t version, struct sec *secs, size_t n)
{
	struct bytes b = { 0 };
	FILE *f = open_memstream((char **)&b.p, &b.len);
	uint8_t h[16], frame[8];
	uint32_t crc;

	memcpy(h, "CONCPROF", 8);
	put32(h + 8, version);
	put32(h + 12, cp_crc32(0, h, 12));
	fwrite(h, 1, 16, f);
	crc = cp_crc32(0, h, 16);
	for (size_t i = 0; i < n; i++) {
		put32(frame, secs[i].tag);
		put32(frame + 4, (uint32_t)secs[i].len);
		crc = cp_crc32(crc, frame, 8);
		crc = cp_crc32(crc, secs[i].p, secs[i].len);
		fwrite(frame, 1, 8, f);
		fwrite(secs[i].p, 1, secs[i].len, f);
		put32(frame, crc);
		crc = cp_crc32(crc, frame, 4);
		fwrite(frame, 1, 4, f);
		free(secs[i].p);
	}
	fclose(f);
	return b;
}

/* Recomputes the header's and every section's CRC in place, as far as the framing holds. */
static void fix_crcs(uint8_t *p, size_t len)
{
	size_t off = 16;
	uint32_t crc;

	if (len < 16)
		return;
	put32(p + 12, cp_crc32(0, p, 12));
	crc = cp_crc32(0, p, 16);
	while (off + 8 <= len) {
		size_t n = le32(p + off + 4);

		if (n > len - off - 8 || len - off - 8 - n < 4)
			return;
		crc = cp_crc32(crc, p + off, 8 + n);
		put32(p + off + 8 + n, crc);
		crc = cp_crc32(crc, p + off + 8 + n, 4);
		off += 8 + n + 4;
	}
}

static void test_every_byte_flipped_is_caught(void **state)
{
	struct bytes b = sample();
	char err[256];

	(void)state;
	/* CRC-32 catches any damage within 32 bits: every flip is an error, none a wrong run */
	for (size_t i = 0; i < b.len; i++) {
		for (int bit = 0; bit < 8; bit += 3) {
			b.p[i] ^= (uint8_t)(1 << bit);
			read_fails(b.p, b.len, err, sizeof(err));
			b.p[i] ^= (uint8_t)(1 << bit);
		}
	}
	b.p[26] ^= 0x40;
	read_fails(b.p, b.len, err, sizeof(err));
	assert_string_equal(err, "recording is corrupted (checksum mismatch in the metadata)");
	b.p[26] ^= 0x40;
	b.p[b.len - 20] ^= 0x40;
	read_fails(b.p, b.len, err, sizeof(err));
	assert_string_equal(err, "recording is corrupted (checksum mismatch in the event stream)");
	free(b.p);
}

/*
 * Random damage with the CRCs made right again, as a buggy writer or a hostile file would have
 * it: the parsers themselves must hold. Reading then fails or gives a run the export can write.
 */
static void test_random_damage_past_the_crcs(void **state)
{
	struct bytes good = sample();
	uint8_t *p = test_xrealloc(NULL, good.len);
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	int sound = 0;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		struct cp_recfile_meta meta;
		struct cp_stream s;
		struct cp_run run;
		int flips = 1 + round % 8;
		char err[256];
		size_t len = good.len;

		memcpy(p, good.p, good.len);
		for (int i = 0; i < flips; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			/* mostly within the tables and the start of the stream, the densest part */
			p[16 + x % (len - 16 < 600 ? len - 16 : 600)] ^= (uint8_t)(x >> 40 | 1);
		}
		if (round % 5 == 0)
			len -= x % 64;
		fix_crcs(p, len);
		cp_stream_init(&s);
		if (read_bytes(p, len, &run, &s, &meta, err, sizeof(err)) == 0) {
			char *text = export(&run);

			sound++;
			free(text);
			cp_run_free(&run);
		} else {
			assert_true(strlen(err) > 5);
			assert_null(run.threads);
		}
		cp_stream_free(&s);
	}
	print_message("# random damage past the CRCs: %d of 20000 still read as a run\n", sound);
	free(p);
	free(good.p);
}

static void test_empty_and_foreign_files(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(read_fails(NULL, 0, err, sizeof(err)), -EBADMSG);
	assert_string_equal(err, "empty file");
	read_fails((const uint8_t *)"hello\n", 6, err, sizeof(err));
	assert_string_equal(err, "not a concprof recording (bad magic)");
	read_fails((const uint8_t *)"{\"format\": \"concprof/1\"}", 24, err, sizeof(err));
	assert_string_equal(err, "not a concprof recording (bad magic)");
	read_fails((const uint8_t *)"CONC", 4, err, sizeof(err));
	assert_string_equal(err, "recording is truncated: the file header ends early");
	/* a short error buffer is cut, never overrun; none at all is allowed */
	read_fails((const uint8_t *)"hello\n", 6, err, 8);
	assert_string_equal(err, "not a c");
	{
		struct cp_recfile_meta meta;
		struct cp_run run;

		assert_int_equal(read_bytes((const uint8_t *)"x", 1, &run, NULL, &meta, NULL, 0),
				 -EBADMSG);
	}
}

static void test_future_version(void **state)
{
	struct bytes b = sample();
	char err[256];

	(void)state;
	put32(b.p + 8, 7);
	put32(b.p + 12, cp_crc32(0, b.p, 12));
	assert_int_equal(read_fails(b.p, b.len, err, sizeof(err)), -EPROTONOSUPPORT);
	assert_string_equal(err,
			    "recording was made by a newer concprof (format 7; this one reads 1)");
	put32(b.p + 8, 0);
	put32(b.p + 12, cp_crc32(0, b.p, 12));
	read_fails(b.p, b.len, err, sizeof(err));
	assert_string_equal(err, "recording is malformed: its format version is 0");
	put32(b.p + 8, 1);
	read_fails(b.p, b.len, err, sizeof(err));
	assert_string_equal(err, "recording is corrupted (checksum mismatch in the file header)");
	free(b.p);
}

/* The sample, with the payload of the section tagged `which` replaced and every CRC right. */
static struct bytes with_payload(const char *which, const uint8_t *payload, size_t len)
{
	struct bytes b = sample(), out;
	struct sec secs[16];
	size_t n = split(&b, secs, 16);
	bool found = false;

	for (size_t i = 0; i < n; i++) {
		if (secs[i].tag != tag(which))
			continue;
		free(secs[i].p);
		secs[i].p = test_xrealloc(NULL, len + 1);
		memcpy(secs[i].p, payload, len);
		secs[i].len = len;
		found = true;
		break;
	}
	assert_true(found);
	out = join(1, secs, n);
	free(b.p);
	return out;
}

static void expect_malformed(const char *which, const uint8_t *payload, size_t len,
			     const char *want)
{
	struct bytes b = with_payload(which, payload, len);
	char err[256];

	assert_int_equal(read_fails(b.p, b.len, err, sizeof(err)), -EBADMSG);
	assert_string_equal(err, want);
	free(b.p);
}

/* 2^32 - 1 as a varint, and more, where counts are: refused before any allocation. */
static void test_absurd_counts(void **state)
{
	static const uint8_t max32[] = { 0xff, 0xff, 0xff, 0xff, 0x0f };
	static const uint8_t max64[] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01
	};
	static const uint8_t over64[] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02
	};
	uint8_t run[64] = { 0, 1 }; /* attached 0, rusage 1, then 13 zero varints */
	struct bytes b;
	char err[256];

	(void)state;
	expect_malformed("THRD", max32, sizeof(max32),
			 "recording is malformed: a count is larger than its section could hold "
			 "in the thread table");
	expect_malformed("PROC", max64, sizeof(max64),
			 "recording is malformed: a count is larger than its section could hold "
			 "in the process table");
	expect_malformed("PROC", over64, sizeof(over64),
			 "recording is malformed: a number is too large for 64 bits in the "
			 "process table");
	memcpy(run + 15, max32, sizeof(max32));
	expect_malformed("RUN ", run, 15 + sizeof(max32),
			 "recording is malformed: a count is larger than its section could hold "
			 "in the run summary");
	{
		uint8_t conc[16] = { 1 };

		memcpy(conc + 1, max32, sizeof(max32));
		expect_malformed("CONC", conc, 1 + sizeof(max32),
				 "recording is malformed: a count is larger than its section "
				 "could hold in the concurrency profile");
	}
	{
		uint8_t chunk[16] = { 0 };

		memcpy(chunk + 1, max32, sizeof(max32));
		expect_malformed("EVTS", chunk, 1 + sizeof(max32),
				 "recording is malformed: a count is larger than its section "
				 "could hold in the event stream");
	}

	/* a section length of 2^32 - 1: refused before reading */
	b = sample();
	put32(b.p + 16 + 4, UINT32_MAX);
	read_fails(b.p, b.len, err, sizeof(err));
	assert_string_equal(
		err, "recording is corrupted: the metadata claims an impossible 4294967295 bytes");
	/* and one just under the limit, in a small file: truncated, after reading what is there */
	put32(b.p + 16 + 4, 1u << 30);
	read_fails(b.p, b.len, err, sizeof(err));
	assert_string_equal(err, "recording is truncated: the metadata ends early");
	free(b.p);
}

static void test_malformed_fields(void **state)
{
	/* clock, start, origin, has_stream, then kernel "a", machine "b", version "c" */
	uint8_t meta[] = { 1, 0, 0, 1, 1, 'a', 1, 'b', 1, 'c' };
	uint8_t conc[] = { 1, 1, 5, 9 }; /* one level, and a stray byte */

	(void)state;
	meta[3] = 2;
	expect_malformed("META", meta, sizeof(meta),
			 "recording is malformed: a flag is neither 0 nor 1 in the metadata");
	meta[3] = 1;
	meta[5] = 0;
	expect_malformed("META", meta, sizeof(meta),
			 "recording is malformed: a string holds a NUL byte in the metadata");
	meta[5] = 'a';
	meta[4] = 65;
	expect_malformed("META", meta, sizeof(meta),
			 "recording is malformed: a string is too long in the metadata");
	meta[4] = 1;
	expect_malformed("META", meta, sizeof(meta) - 1,
			 "recording is malformed: a string runs past the end in the metadata");
	expect_malformed("CONC", conc, 2,
			 "recording is malformed: a count is larger than its section could hold "
			 "in the concurrency profile");
	expect_malformed("CONC", conc, sizeof(conc),
			 "recording is malformed: bytes are left over in the concurrency profile");
}

static void test_malformed_locks(void **state)
{
	/* lost, count 1; pid, addr, wait, max, waits; 0 waiters, more; 0 wakers, more; kind;
	 * no path, no symbol; offset, gil */
	uint8_t lock[] = { 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, CP_LOCK_STACK, 0, 0, 0, 0 };
	uint8_t path[] = { 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 'a', 0, 0, 0, 0 };

	(void)state;
	lock[11] = CP_LOCK_STACK + 1;
	expect_malformed("LOCK", lock, sizeof(lock),
			 "recording is malformed: a lock's kind is unknown in the lock table");
	lock[11] = 0;
	lock[7] = CP_LOCK_MAX_IDS + 1;
	expect_malformed("LOCK", lock, sizeof(lock),
			 "recording is malformed: a lock has too many waiters or wakers in the "
			 "lock table");
	lock[7] = 0;
	lock[8] = 2;
	expect_malformed("LOCK", lock, sizeof(lock),
			 "recording is malformed: a flag is neither 0 nor 1 in the lock table");
	path[15] = 'b'; /* the path "ab", then a symbol flag of 2 */
	path[16] = 2;
	expect_malformed("LOCK", path, sizeof(path),
			 "recording is malformed: a flag is neither 0 nor 1 in the lock table");
	path[16] = 0;
	path[14] = 0;
	expect_malformed("LOCK", path, sizeof(path),
			 "recording is malformed: a string holds a NUL byte in the lock table");
}

static void test_malformed_stream(void **state)
{
	uint8_t chunk[] = { 0, 1, 0, 1, EV_OUT, 0, 0, 0, 0 };
	uint8_t big_cpu[] = { 0x80, 0x80, 0x04, 1, 0, 1, EV_OUT, 0, 0, 0, 0 };
	uint8_t syscall[] = { 0, 1, 0, 1, EV_OUT, 0, 0x80, 0x80, 0x04, 0, 0 };
	uint8_t end[] = { 0, 0 };

	(void)state;
	chunk[4] = 0;
	expect_malformed("EVTS", chunk, sizeof(chunk),
			 "recording is malformed: a stream record has an unknown type in the "
			 "event stream");
	chunk[4] = 5;
	expect_malformed("EVTS", chunk, sizeof(chunk),
			 "recording is malformed: a stream record has an unknown type in the "
			 "event stream");
	chunk[4] = EV_OUT;
	chunk[1] = 0;
	expect_malformed("EVTS", chunk, 2,
			 "recording is malformed: a chunk holds no records, or more than 65536 in "
			 "the event stream");
	chunk[1] = 1;
	expect_malformed(
		"EVTS", big_cpu, sizeof(big_cpu),
		"recording is malformed: a CPU number is 65536 or more in the event stream");
	expect_malformed(
		"EVTS", syscall, sizeof(syscall),
		"recording is malformed: a syscall number is too large in the event stream");
	expect_malformed("END ", end, sizeof(end),
			 "recording is malformed: the counts disagree with the event stream in the "
			 "end marker");
}

/* Sections out of order, extra ones, missing ones, bytes after the end. */
static void test_structure(void **state)
{
	struct bytes b = sample(), out;
	struct sec secs[16], t;
	size_t n;
	char err[256];
	struct cp_recfile_meta meta;
	struct cp_run run;

	(void)state;
	n = split(&b, secs, 16);
	assert_int_equal(n, 9); /* META RUN PROC THRD LOCK CONC, EVTS of CPUs 0 and 3, END */
	assert_int_equal(secs[4].tag, tag("LOCK"));
	assert_int_equal(secs[6].tag, tag("EVTS"));
	assert_int_equal(secs[7].tag, tag("EVTS"));
	assert_int_equal(secs[8].tag, tag("END "));
	t = secs[2], secs[2] = secs[3], secs[3] = t;
	out = join(1, secs, n);
	read_fails(out.p, out.len, err, sizeof(err));
	assert_string_equal(err, "recording is malformed: the thread table is out of place");
	free(out.p);

	/* an unknown section is skipped: a later version may add one */
	n = split(&b, secs, 15);
	memmove(secs + 4, secs + 3, (n - 3) * sizeof(*secs));
	secs[3] = (struct sec){ .tag = tag("XTRA"), .p = test_xrealloc(NULL, 3), .len = 3 };
	memcpy(secs[3].p, "abc", 3);
	out = join(1, secs, n + 1);
	assert_int_equal(read_bytes(out.p, out.len, &run, NULL, &meta, err, sizeof(err)), 0);
	assert_int_equal(run.nr_threads, 2);
	cp_run_free(&run);
	free(out.p);

	/* no end marker, and a stream in a recording that says it has none */
	n = split(&b, secs, 16);
	free(secs[8].p);
	out = join(1, secs, 8);
	read_fails(out.p, out.len, err, sizeof(err));
	assert_string_equal(err, "recording is truncated: it ends before its end marker");
	free(out.p);
	n = split(&b, secs, 16);
	/* has_stream, before the strings: 1 + 14, 1 + 6 and 1 + 5 bytes */
	secs[0].p[secs[0].len - 29] = 0;
	out = join(1, secs, n);
	read_fails(out.p, out.len, err, sizeof(err));
	assert_string_equal(err, "recording is malformed: it holds an event stream but says it was "
				 "made without one");
	free(out.p);

	/* anything after the end marker */
	b.p = test_xrealloc(b.p, b.len + 1);
	b.p[b.len] = 0;
	read_fails(b.p, b.len + 1, err, sizeof(err));
	assert_string_equal(err, "recording is corrupted: bytes follow its end marker");
	free(b.p);
}

/* --- the writer's side ---------------------------------------------------------------------- */

static void test_write_errors(void **state)
{
	struct cp_recfile_meta meta;
	struct cp_stream s;
	struct cp_run run;
	char small[100];
	FILE *f;

	(void)state;
	pingpong(&run, &s, 10);
	meta_fill(&meta);
	f = fmemopen(small, sizeof(small), "w");
	assert_non_null(f);
	setvbuf(f, NULL, _IONBF, 0);
	assert_true(cp_recfile_write(f, &run, &s, &meta) < 0);
	fclose(f);

	/* a record of a kind this format does not have is refused, not written unreadable */
	add_rec(&s, 2, T0, 0, 1000, 0, 0, 0, 0);
	f = fopen("/dev/null", "w");
	assert_int_equal(cp_recfile_write(f, &run, &s, &meta), -EINVAL);
	fclose(f);
	cp_stream_free(&s);
	cp_run_free(&run);
}

static void test_meta_init(void **state)
{
	struct cp_recfile_meta meta;
	struct timespec now;
	struct utsname u;
	uint64_t mono, real;

	(void)state;
	assert_int_equal(uname(&u), 0);
	clock_gettime(CLOCK_MONOTONIC, &now);
	mono = (uint64_t)now.tv_sec * SEC + (uint64_t)now.tv_nsec;
	clock_gettime(CLOCK_REALTIME, &now);
	real = (uint64_t)now.tv_sec * SEC + (uint64_t)now.tv_nsec;
	/* a run that started 2 s ago */
	cp_recfile_meta_init(&meta, mono - 2 * SEC);
	assert_string_equal(meta.kernel, u.release);
	assert_string_equal(meta.machine, u.machine);
	assert_true(meta.concprof_version[0]);
	assert_int_equal(meta.clock_id, CLOCK_MONOTONIC);
	assert_int_equal(meta.origin_ns, mono - 2 * SEC);
	assert_true(meta.start_epoch_ns > real - 3 * SEC && meta.start_epoch_ns < real - SEC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_hand_made_runs_round_trip),
		cmocka_unit_test(test_every_field_round_trips),
		cmocka_unit_test(test_empty_run_round_trips),
		cmocka_unit_test(test_stream_round_trips),
		cmocka_unit_test(test_timeline_from_recording),
		cmocka_unit_test(test_bytes_per_switch),
		cmocka_unit_test(test_truncated_at_every_byte),
		cmocka_unit_test(test_every_byte_flipped_is_caught),
		cmocka_unit_test(test_random_damage_past_the_crcs),
		cmocka_unit_test(test_empty_and_foreign_files),
		cmocka_unit_test(test_future_version),
		cmocka_unit_test(test_absurd_counts),
		cmocka_unit_test(test_malformed_fields),
		cmocka_unit_test(test_malformed_locks),
		cmocka_unit_test(test_malformed_stream),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_write_errors),
		cmocka_unit_test(test_meta_init),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
