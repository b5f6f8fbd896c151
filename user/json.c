// SPDX-License-Identifier: GPL-2.0
#include "json.h"

#include "fmt.h"
#include "syscalls.h"

#include <errno.h>
#include <string.h>

static void put(struct cp_json *w, const char *s, size_t len)
{
	if (w->err || len == 0)
		return;
	if (fwrite(s, 1, len, w->out) != len)
		w->err = errno ? -errno : -EIO;
}

static void puts_(struct cp_json *w, const char *s)
{
	put(w, s, strlen(s));
}

static void fail(struct cp_json *w, int err)
{
	if (!w->err)
		w->err = err;
}

static void newline_indent(struct cp_json *w, int depth)
{
	static const char spaces[] = "                                ";

	put(w, "\n", 1);
	for (int n = 2 * depth; n > 0; n -= (int)sizeof(spaces) - 1)
		put(w, spaces, n < (int)sizeof(spaces) - 1 ? (size_t)n : sizeof(spaces) - 1);
}

/* Separators and indentation due before a value (scalar or container) at the current depth. */
static void begin_value(struct cp_json *w)
{
	int d = w->depth;

	if (w->key_pending) {
		w->key_pending = false;
		return;
	}
	if (w->in_object[d]) {
		fail(w, -EINVAL); /* an object's member needs a key first */
		return;
	}
	if (d == 0) {
		if (w->has_items[0])
			fail(w, -EINVAL); /* one document, one value */
		w->has_items[0] = true;
		return;
	}
	if (w->has_items[d])
		put(w, ",", 1);
	if (w->single_line[d]) {
		if (w->has_items[d])
			put(w, " ", 1);
	} else {
		newline_indent(w, d);
	}
	w->has_items[d] = true;
}

void cp_json_init(struct cp_json *w, FILE *out)
{
	*w = (struct cp_json){ .out = out };
}

int cp_json_finish(struct cp_json *w)
{
	if (w->depth != 0 || w->key_pending)
		fail(w, -EINVAL);
	put(w, "\n", 1);
	errno = 0;
	if (fflush(w->out) == EOF || ferror(w->out))
		fail(w, errno ? -errno : -EIO);
	return w->err;
}

static void begin_container(struct cp_json *w, char open, bool object, bool single_line)
{
	begin_value(w);
	if (w->depth >= CP_JSON_MAX_DEPTH) {
		fail(w, -E2BIG);
		return;
	}
	put(w, &open, 1);
	w->depth++;
	w->in_object[w->depth] = object;
	w->has_items[w->depth] = false;
	w->single_line[w->depth] = single_line;
}

static void end_container(struct cp_json *w, char close, bool object)
{
	int d = w->depth;

	if (d == 0 || w->in_object[d] != object || w->key_pending) {
		fail(w, -EINVAL);
		return;
	}
	w->depth--;
	if (w->has_items[d] && !w->single_line[d])
		newline_indent(w, w->depth);
	put(w, &close, 1);
}

void cp_json_begin_object(struct cp_json *w)
{
	begin_container(w, '{', true, false);
}

void cp_json_end_object(struct cp_json *w)
{
	end_container(w, '}', true);
}

void cp_json_begin_array(struct cp_json *w)
{
	begin_container(w, '[', false, false);
}

void cp_json_begin_array_inline(struct cp_json *w)
{
	begin_container(w, '[', false, true);
}

void cp_json_end_array(struct cp_json *w)
{
	end_container(w, ']', false);
}

/*
 * A JSON string from arbitrary bytes (comm and argv are whatever the program chose): quotes,
 * backslashes and control characters escaped, valid UTF-8 kept as is, any other byte replaced
 * by U+FFFD so the document stays valid UTF-8.
 */
static void put_string(struct cp_json *w, const char *s, size_t len)
{
	size_t i = 0, run_start = 0;

	put(w, "\"", 1);
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];
		const char *rep = NULL;
		size_t n = 1;
		uint32_t cp;

		switch (c) {
		case '"':
			rep = "\\\"";
			break;
		case '\\':
			rep = "\\\\";
			break;
		case '\n':
			rep = "\\n";
			break;
		case '\t':
			rep = "\\t";
			break;
		case '\r':
			rep = "\\r";
			break;
		case '\b':
			rep = "\\b";
			break;
		case '\f':
			rep = "\\f";
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				snprintf(esc, sizeof(esc), "\\u%04x", c);
				rep = esc;
			} else if (c >= 0x80) {
				n = cp_utf8_decode(s + i, len - i, &cp);
				if (n == 0) {
					rep = "\\ufffd";
					n = 1;
				}
			}
			break;
		}
		if (rep) {
			put(w, s + run_start, i - run_start);
			puts_(w, rep);
			run_start = i + n;
		}
		i += n;
	}
	put(w, s + run_start, i - run_start);
	put(w, "\"", 1);
}

void cp_json_key(struct cp_json *w, const char *key)
{
	int d = w->depth;

	if (!w->in_object[d] || w->key_pending) {
		fail(w, -EINVAL);
		return;
	}
	if (w->has_items[d])
		put(w, ",", 1);
	newline_indent(w, d);
	put_string(w, key, strlen(key));
	put(w, ": ", 2);
	w->has_items[d] = true;
	w->key_pending = true;
}

void cp_json_string(struct cp_json *w, const char *s)
{
	begin_value(w);
	put_string(w, s, strlen(s));
}

void cp_json_string_len(struct cp_json *w, const char *s, size_t len)
{
	begin_value(w);
	put_string(w, s, strnlen(s, len));
}

void cp_json_u64(struct cp_json *w, uint64_t v)
{
	char buf[24];

	begin_value(w);
	put(w, buf, (size_t)snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v));
}

void cp_json_i64(struct cp_json *w, int64_t v)
{
	char buf[24];

	begin_value(w);
	put(w, buf, (size_t)snprintf(buf, sizeof(buf), "%lld", (long long)v));
}

void cp_json_bool(struct cp_json *w, bool v)
{
	begin_value(w);
	puts_(w, v ? "true" : "false");
}

void cp_json_null(struct cp_json *w)
{
	begin_value(w);
	puts_(w, "null");
}

void cp_json_kv_string(struct cp_json *w, const char *key, const char *s)
{
	cp_json_key(w, key);
	cp_json_string(w, s);
}

void cp_json_kv_u64(struct cp_json *w, const char *key, uint64_t v)
{
	cp_json_key(w, key);
	cp_json_u64(w, v);
}

void cp_json_kv_i64(struct cp_json *w, const char *key, int64_t v)
{
	cp_json_key(w, key);
	cp_json_i64(w, v);
}

void cp_json_kv_bool(struct cp_json *w, const char *key, bool v)
{
	cp_json_key(w, key);
	cp_json_bool(w, v);
}

/* --- the concprof/1 document ------------------------------------------------------------- */

static void write_blocked(struct cp_json *w, const uint64_t blocked_ns[CP_NR_REASONS])
{
	cp_json_key(w, "blocked");
	cp_json_begin_object(w);
	for (int r = 0; r < CP_NR_REASONS; r++)
		cp_json_kv_u64(w, cp_reason_name(r), blocked_ns[r]);
	cp_json_end_object(w);
}

/* The counters threads and totals share, in the same order in both. */
#define WRITE_COUNTERS(w, x)                                                          \
	do {                                                                          \
		cp_json_kv_u64(w, "voluntary_switches", (x)->voluntary_switches);     \
		cp_json_kv_u64(w, "involuntary_switches", (x)->involuntary_switches); \
		cp_json_kv_u64(w, "migrations", (x)->migrations);                     \
		cp_json_kv_u64(w, "syscalls", (x)->syscalls);                         \
		cp_json_kv_u64(w, "net_rx_bytes", (x)->net_rx_bytes);                 \
		cp_json_kv_u64(w, "net_tx_bytes", (x)->net_tx_bytes);                 \
		cp_json_kv_u64(w, "disk_read_bytes", (x)->disk_read_bytes);           \
		cp_json_kv_u64(w, "disk_write_bytes", (x)->disk_write_bytes);         \
		cp_json_kv_u64(w, "pipe_read_bytes", (x)->pipe_read_bytes);           \
		cp_json_kv_u64(w, "pipe_write_bytes", (x)->pipe_write_bytes);         \
	} while (0)

static void write_totals(struct cp_json *w, const struct cp_run *run)
{
	struct cp_totals t;

	cp_run_totals(run, &t);
	cp_json_key(w, "totals");
	cp_json_begin_object(w);
	cp_json_kv_u64(w, "user_ns", t.user_ns);
	cp_json_kv_u64(w, "sys_ns", t.sys_ns);
	cp_json_kv_u64(w, "runnable_ns", t.runnable_preempted_ns + t.runnable_woken_ns);
	cp_json_kv_u64(w, "runnable_preempted_ns", t.runnable_preempted_ns);
	cp_json_kv_u64(w, "runnable_woken_ns", t.runnable_woken_ns);
	cp_json_kv_u64(w, "blocked_ns", cp_totals_blocked_ns(&t));
	write_blocked(w, t.blocked_ns);
	WRITE_COUNTERS(w, &t);
	cp_json_end_object(w);
}

static void write_process(struct cp_json *w, const struct cp_process *p)
{
	cp_json_begin_object(w);
	cp_json_kv_i64(w, "pid", p->pid);
	cp_json_kv_i64(w, "ppid", p->ppid);
	cp_json_key(w, "comm");
	cp_json_string_len(w, p->comm, CP_COMM_LEN);
	cp_json_kv_u64(w, "start_ns", p->start_ns);
	cp_json_kv_u64(w, "end_ns", p->end_ns);
	cp_json_kv_bool(w, "exited", p->exited);
	cp_json_kv_i64(w, "exit_code", p->exit_code);
	cp_json_kv_i64(w, "signal", p->term_signal);
	cp_json_kv_u64(w, "peak_rss_bytes", p->peak_rss_bytes);
	cp_json_end_object(w);
}

static void write_thread(struct cp_json *w, const struct cp_thread *t)
{
	char name[32];

	cp_json_begin_object(w);
	cp_json_kv_i64(w, "tid", t->tid);
	cp_json_kv_i64(w, "pid", t->pid);
	cp_json_key(w, "comm");
	cp_json_string_len(w, t->comm, CP_COMM_LEN);
	cp_json_kv_u64(w, "start_ns", t->start_ns);
	cp_json_kv_u64(w, "end_ns", t->end_ns);
	cp_json_kv_bool(w, "exited", t->exited);
	cp_json_kv_u64(w, "first_run_ns", t->first_run_ns);
	cp_json_kv_u64(w, "stack_reserved_bytes", t->stack_reserved_bytes);
	cp_json_kv_u64(w, "stack_used_bytes", t->stack_used_bytes);
	cp_json_kv_u64(w, "user_ns", t->user_ns);
	cp_json_kv_u64(w, "sys_ns", t->sys_ns);
	cp_json_kv_u64(w, "runnable_ns", cp_thread_runnable_ns(t));
	cp_json_kv_u64(w, "runnable_preempted_ns", t->runnable_preempted_ns);
	cp_json_kv_u64(w, "runnable_woken_ns", t->runnable_woken_ns);
	cp_json_kv_u64(w, "blocked_ns", cp_thread_blocked_ns(t));
	write_blocked(w, t->blocked_ns);
	cp_json_key(w, "other_syscall");
	if (t->other_syscall >= 0)
		cp_json_string(w, cp_syscall_describe(t->other_syscall, name, sizeof(name)));
	else
		cp_json_null(w);
	WRITE_COUNTERS(w, t);
	cp_json_end_object(w);
}

static const char *const lock_kinds[] = {
	[CP_LOCK_UNKNOWN] = "unknown", [CP_LOCK_EXE] = "program", [CP_LOCK_FILE] = "library",
	[CP_LOCK_HEAP] = "heap",       [CP_LOCK_ANON] = "anonymous", [CP_LOCK_STACK] = "stack",
};

static void write_ids(struct cp_json *w, const char *key, const int32_t *ids, size_t n)
{
	cp_json_key(w, key);
	cp_json_begin_array_inline(w);
	for (size_t i = 0; i < n && i < CP_LOCK_MAX_IDS; i++)
		cp_json_i64(w, ids[i]);
	cp_json_end_array(w);
}

static void write_lock(struct cp_json *w, const struct cp_lock *l)
{
	char name[256];

	cp_json_begin_object(w);
	cp_json_kv_i64(w, "pid", l->pid);
	cp_json_kv_u64(w, "address", l->addr);
	cp_json_kv_string(w, "name", cp_lock_name(l, name, sizeof(name)));
	cp_json_kv_string(w, "where", l->kind < sizeof(lock_kinds) / sizeof(*lock_kinds)
					      ? lock_kinds[l->kind] : "unknown");
	cp_json_key(w, "file");
	if (l->path)
		cp_json_string(w, l->path);
	else
		cp_json_null(w);
	cp_json_key(w, "symbol");
	if (l->symbol)
		cp_json_string(w, l->symbol);
	else
		cp_json_null(w);
	cp_json_kv_u64(w, "symbol_offset", l->symbol_offset);
	cp_json_kv_bool(w, "gil", l->gil);
	cp_json_kv_u64(w, "wait_ns", l->wait_ns);
	cp_json_kv_u64(w, "max_wait_ns", l->max_wait_ns);
	cp_json_kv_u64(w, "waits", l->waits);
	write_ids(w, "waiters", l->waiters, l->nr_waiters);
	cp_json_kv_bool(w, "more_waiters", l->more_waiters);
	write_ids(w, "wakers", l->wakers, l->nr_wakers);
	cp_json_kv_bool(w, "more_wakers", l->more_wakers);
	cp_json_end_object(w);
}

int cp_json_write(FILE *out, const struct cp_run *run)
{
	const struct cp_concurrency *c = &run->concurrency;
	struct cp_json w;

	cp_json_init(&w, out);
	cp_json_begin_object(&w);
	cp_json_kv_string(&w, "format", CP_JSON_FORMAT);
	cp_json_key(&w, "command");
	cp_json_begin_array_inline(&w);
	for (int i = 0; run->argv && i < run->argc && run->argv[i]; i++)
		cp_json_string(&w, run->argv[i]);
	cp_json_end_array(&w);
	cp_json_kv_i64(&w, "exit_code", run->exit_code);
	cp_json_kv_i64(&w, "signal", run->term_signal);
	cp_json_kv_bool(&w, "attached", run->attached);
	cp_json_kv_i64(&w, "root_pid", run->root_pid);
	cp_json_kv_u64(&w, "wall_ns", run->wall_ns);
	cp_json_kv_i64(&w, "cpus", run->cpus);
	cp_json_kv_u64(&w, "lost_events", run->lost_events);
	cp_json_kv_u64(&w, "stream_records", run->stream_records);
	cp_json_kv_u64(&w, "lost_threads", run->lost_threads);
	cp_json_kv_u64(&w, "repaired_switches", run->repaired_switches);
	cp_json_kv_u64(&w, "repaired_wakeups", run->repaired_wakeups);

	cp_json_key(&w, "rusage");
	if (run->have_rusage) {
		cp_json_begin_object(&w);
		cp_json_kv_u64(&w, "user_ns", run->rusage_user_ns);
		cp_json_kv_u64(&w, "sys_ns", run->rusage_sys_ns);
		cp_json_end_object(&w);
	} else {
		cp_json_null(&w);
	}

	write_totals(&w, run);

	cp_json_key(&w, "concurrency");
	cp_json_begin_object(&w);
	cp_json_key(&w, "ns_at");
	cp_json_begin_array_inline(&w);
	for (size_t k = 0; c->ns_at && k < c->nr_levels; k++)
		cp_json_u64(&w, c->ns_at[k]);
	cp_json_end_array(&w);
	cp_json_kv_bool(&w, "complete", c->complete);
	cp_json_end_object(&w);

	cp_json_key(&w, "processes");
	cp_json_begin_array(&w);
	for (size_t i = 0; run->procs && i < run->nr_procs; i++)
		write_process(&w, &run->procs[i]);
	cp_json_end_array(&w);

	cp_json_key(&w, "threads");
	cp_json_begin_array(&w);
	for (size_t i = 0; run->threads && i < run->nr_threads; i++)
		write_thread(&w, &run->threads[i]);
	cp_json_end_array(&w);

	cp_json_kv_u64(&w, "lost_locks", run->lost_locks);
	cp_json_key(&w, "locks");
	cp_json_begin_array(&w);
	for (size_t i = 0; run->locks && i < run->nr_locks; i++)
		write_lock(&w, &run->locks[i]);
	cp_json_end_array(&w);

	cp_json_end_object(&w);
	return cp_json_finish(&w);
}
