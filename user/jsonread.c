// SPDX-License-Identifier: GPL-2.0
/*
 * A concprof/1 document back into a struct cp_run (jsonread.h). The whole file is read into
 * memory and parsed by json-c in strict mode; then every field is looked up by name, checked for
 * its type and range, and copied. The first problem found is the one reported, naming the field
 * the way a reader of the file would look for it: "threads[3].blocked.net".
 */
#include "jsonread.h"

#include "i18n.h"
#include "json.h"
#include "syscalls.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Syscall numbers searched for a name: x86_64's go up to about 460. */
#define SYSCALL_LOOKUP_MAX 1024
/* Room for a field's full name, "locks[12345].waiters[7]". */
#define FIELD_LEN 96

struct reader {
	char *err;
	size_t errlen;
	int ret; /* the first error, 0 while there is none */
};

static int __attribute__((format(printf, 3, 4)))
fail(struct reader *r, int ret, const char *fmt, ...)
{
	va_list ap;

	if (r->ret)
		return r->ret;
	r->ret = ret;
	if (r->err && r->errlen) {
		va_start(ap, fmt);
		vsnprintf(r->err, r->errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* "threads[3]" + "user_ns" -> "threads[3].user_ns"; "" + "wall_ns" -> "wall_ns". */
static const char *field_name(char *buf, size_t len, const char *where, const char *key)
{
	/* A name cut short still points at the field: no need to handle truncation. */
	if (snprintf(buf, len, "%s%s%s", where, *where ? "." : "", key) < 0)
		buf[0] = '\0';
	return buf;
}

static void missing(struct reader *r, const char *where, const char *key)
{
	char name[FIELD_LEN];

	fail(r, -EBADMSG, _("malformed concprof/1 file: %s is missing"),
	     field_name(name, sizeof(name), where, key));
}

static void wrong(struct reader *r, const char *where, const char *key, const char *what)
{
	char name[FIELD_LEN];

	/* TRANSLATORS: the second %s is what it should be: "a whole number of 0 or more". */
	fail(r, -EBADMSG, _("malformed concprof/1 file: %s is not %s"),
	     field_name(name, sizeof(name), where, key), what);
}

/*
 * obj[key], or NULL: when it is absent (an error if required) or null (an error unless
 * null_what is NULL: a null is then allowed; otherwise it names what was expected instead).
 */
static json_object *member(struct reader *r, json_object *obj, const char *where, const char *key,
			   bool required, const char *null_what)
{
	json_object *v = NULL;

	/* json-c reads a JSON null as a NULL object: present, but no object. */
	if (!json_object_object_get_ex(obj, key, &v)) {
		if (required)
			missing(r, where, key);
		return NULL;
	}
	if (!v && null_what)
		wrong(r, where, key, null_what);
	return v;
}

/* obj[key] as a whole number >= 0; *out unchanged when an optional one is absent. */
static void read_u64(struct reader *r, json_object *obj, const char *where, const char *key,
		     uint64_t *out, bool required)
{
	const char *what = _("a whole number of 0 or more");
	json_object *v = member(r, obj, where, key, required, what);

	if (!v)
		return;
	/* json-c keeps integers past INT64_MAX as unsigned: get_int64 then says INT64_MAX. */
	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0) {
		wrong(r, where, key, what);
		return;
	}
	*out = json_object_get_uint64(v);
}

static void read_i32(struct reader *r, json_object *obj, const char *where, const char *key,
		     int32_t *out)
{
	const char *what = _("a 32-bit integer");
	json_object *v = member(r, obj, where, key, true, what);
	int64_t n;

	if (!v)
		return;
	n = json_object_get_int64(v);
	if (!json_object_is_type(v, json_type_int) || n < INT32_MIN || n > INT32_MAX) {
		wrong(r, where, key, what);
		return;
	}
	*out = (int32_t)n;
}

static void read_bool(struct reader *r, json_object *obj, const char *where, const char *key,
		      bool *out, bool required)
{
	const char *what = _("true or false");
	json_object *v = member(r, obj, where, key, required, what);

	if (!v)
		return;
	if (!json_object_is_type(v, json_type_boolean)) {
		wrong(r, where, key, what);
		return;
	}
	*out = json_object_get_boolean(v);
}

/* obj[key] as a string, or NULL; with null_ok, a JSON null is NULL without an error. */
static const char *read_string(struct reader *r, json_object *obj, const char *where,
			       const char *key, bool null_ok)
{
	const char *what = null_ok ? _("a string or null") : _("a string");
	json_object *v = member(r, obj, where, key, true, null_ok ? NULL : what);

	if (!v)
		return NULL;
	if (!json_object_is_type(v, json_type_string)) {
		wrong(r, where, key, what);
		return NULL;
	}
	return json_object_get_string(v);
}

/* A member that is an array (or, optionally, absent: NULL without an error). */
static json_object *read_array(struct reader *r, json_object *obj, const char *where,
			       const char *key, bool required)
{
	const char *what = _("an array");
	json_object *v = member(r, obj, where, key, required, what);

	if (v && !json_object_is_type(v, json_type_array)) {
		wrong(r, where, key, what);
		return NULL;
	}
	return v;
}

static json_object *read_object(struct reader *r, json_object *obj, const char *where,
				const char *key)
{
	const char *what = _("an object");
	json_object *v = member(r, obj, where, key, true, what);

	if (v && !json_object_is_type(v, json_type_object)) {
		wrong(r, where, key, what);
		return NULL;
	}
	return v;
}

/* An array's item i, which must be an object (processes, threads, locks). */
static json_object *item_object(struct reader *r, json_object *array, const char *key, size_t i,
				char *where, size_t where_len)
{
	json_object *v = json_object_array_get_idx(array, i);

	snprintf(where, where_len, "%s[%zu]", key, i);
	if (!json_object_is_type(v, json_type_object)) {
		fail(r, -EBADMSG, _("malformed concprof/1 file: %s is not an object"), where);
		return NULL;
	}
	return v;
}

/*
 * comm: at most CP_COMM_LEN - 1 bytes. The writer turned bytes that were not UTF-8 into U+FFFD,
 * three bytes each, so a name may come back longer than it was: cut it between characters.
 */
static void copy_comm(char dst[CP_COMM_LEN], const char *src)
{
	size_t len = src ? strlen(src) : 0;

	if (len > CP_COMM_LEN - 1) {
		len = CP_COMM_LEN - 1;
		while (len > 0 && ((unsigned char)src[len] & 0xc0) == 0x80)
			len--;
	}
	memset(dst, 0, CP_COMM_LEN);
	if (len)
		memcpy(dst, src, len);
}

static int32_t syscall_number(const char *name)
{
	int nr, end = 0;

	if (!name)
		return -1;
	if (sscanf(name, "syscall %d%n", &nr, &end) == 1 && name[end] == '\0')
		return nr;
	for (nr = 0; nr < SYSCALL_LOOKUP_MAX; nr++) {
		const char *known = cp_syscall_name(nr);

		if (known && strcmp(known, name) == 0)
			return nr;
	}
	return -1;
}

static void read_blocked(struct reader *r, json_object *obj, const char *where,
			 uint64_t blocked_ns[CP_NR_REASONS])
{
	char inner[FIELD_LEN];
	json_object *b = read_object(r, obj, where, "blocked");

	if (!b)
		return;
	field_name(inner, sizeof(inner), where, "blocked");
	for (int reason = 0; reason < CP_NR_REASONS && !r->ret; reason++)
		read_u64(r, b, inner, cp_reason_name(reason), &blocked_ns[reason], true);
}

static void read_process(struct reader *r, json_object *o, const char *where, struct cp_process *p)
{
	read_i32(r, o, where, "pid", &p->pid);
	read_i32(r, o, where, "ppid", &p->ppid);
	copy_comm(p->comm, read_string(r, o, where, "comm", false));
	read_u64(r, o, where, "start_ns", &p->start_ns, true);
	read_u64(r, o, where, "end_ns", &p->end_ns, true);
	read_bool(r, o, where, "exited", &p->exited, true);
	read_i32(r, o, where, "exit_code", &p->exit_code);
	read_i32(r, o, where, "signal", &p->term_signal);
	read_u64(r, o, where, "peak_rss_bytes", &p->peak_rss_bytes, false);
}

static void read_thread(struct reader *r, json_object *o, const char *where, struct cp_thread *t)
{
	t->other_syscall = -1;
	read_i32(r, o, where, "tid", &t->tid);
	read_i32(r, o, where, "pid", &t->pid);
	copy_comm(t->comm, read_string(r, o, where, "comm", false));
	read_u64(r, o, where, "start_ns", &t->start_ns, true);
	read_u64(r, o, where, "end_ns", &t->end_ns, true);
	read_bool(r, o, where, "exited", &t->exited, true);
	read_u64(r, o, where, "first_run_ns", &t->first_run_ns, false);
	read_u64(r, o, where, "stack_reserved_bytes", &t->stack_reserved_bytes, false);
	read_u64(r, o, where, "stack_used_bytes", &t->stack_used_bytes, false);
	read_u64(r, o, where, "user_ns", &t->user_ns, true);
	read_u64(r, o, where, "sys_ns", &t->sys_ns, true);
	read_u64(r, o, where, "runnable_preempted_ns", &t->runnable_preempted_ns, true);
	read_u64(r, o, where, "runnable_woken_ns", &t->runnable_woken_ns, true);
	read_blocked(r, o, where, t->blocked_ns);
	t->other_syscall = syscall_number(read_string(r, o, where, "other_syscall", true));
	read_u64(r, o, where, "voluntary_switches", &t->voluntary_switches, true);
	read_u64(r, o, where, "involuntary_switches", &t->involuntary_switches, true);
	read_u64(r, o, where, "migrations", &t->migrations, true);
	read_u64(r, o, where, "syscalls", &t->syscalls, false);
	read_u64(r, o, where, "net_rx_bytes", &t->net_rx_bytes, true);
	read_u64(r, o, where, "net_tx_bytes", &t->net_tx_bytes, true);
	read_u64(r, o, where, "disk_read_bytes", &t->disk_read_bytes, true);
	read_u64(r, o, where, "disk_write_bytes", &t->disk_write_bytes, true);
	read_u64(r, o, where, "pipe_read_bytes", &t->pipe_read_bytes, true);
	read_u64(r, o, where, "pipe_write_bytes", &t->pipe_write_bytes, true);
}

/* "waiters": [tid, ...]: the first CP_LOCK_MAX_IDS; any beyond set *more. */
static void read_ids(struct reader *r, json_object *o, const char *where, const char *key,
		     int32_t ids[CP_LOCK_MAX_IDS], uint8_t *nr, bool *more)
{
	json_object *a = read_array(r, o, where, key, true);
	char inner[FIELD_LEN];
	size_t n;

	if (!a)
		return;
	n = json_object_array_length(a);
	for (size_t i = 0; i < n && i < CP_LOCK_MAX_IDS && !r->ret; i++) {
		json_object *v = json_object_array_get_idx(a, i);
		int64_t id = json_object_get_int64(v);

		if (!json_object_is_type(v, json_type_int) || id < INT32_MIN || id > INT32_MAX) {
			snprintf(inner, sizeof(inner), "%s[%zu]", key, i);
			wrong(r, where, inner, _("a 32-bit integer"));
			return;
		}
		ids[i] = (int32_t)id;
	}
	*nr = (uint8_t)(n < CP_LOCK_MAX_IDS ? n : CP_LOCK_MAX_IDS);
	if (n > CP_LOCK_MAX_IDS)
		*more = true;
}

static char *dup_or_null(struct reader *r, const char *s)
{
	char *copy;

	if (!s)
		return NULL;
	copy = strdup(s);
	if (!copy)
		fail(r, -ENOMEM, _("out of memory"));
	return copy;
}

static void read_lock(struct reader *r, json_object *o, const char *where, struct cp_lock *l)
{
	static const char *const kinds[] = {
		[CP_LOCK_UNKNOWN] = "unknown", [CP_LOCK_EXE] = "program",
		[CP_LOCK_FILE] = "library",    [CP_LOCK_HEAP] = "heap",
		[CP_LOCK_ANON] = "anonymous",  [CP_LOCK_STACK] = "stack",
	};
	const char *kind;

	read_i32(r, o, where, "pid", &l->pid);
	read_u64(r, o, where, "address", &l->addr, true);
	kind = read_string(r, o, where, "where", false);
	l->kind = CP_LOCK_UNKNOWN;
	for (size_t k = 0; kind && k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (strcmp(kind, kinds[k]) == 0)
			l->kind = (uint8_t)k;
	/* The strings are copied at once: json-c's live only as long as the document. */
	l->path = dup_or_null(r, read_string(r, o, where, "file", true));
	l->symbol = dup_or_null(r, read_string(r, o, where, "symbol", true));
	read_u64(r, o, where, "symbol_offset", &l->symbol_offset, true);
	read_bool(r, o, where, "gil", &l->gil, true);
	read_u64(r, o, where, "wait_ns", &l->wait_ns, true);
	read_u64(r, o, where, "max_wait_ns", &l->max_wait_ns, true);
	read_u64(r, o, where, "waits", &l->waits, true);
	read_ids(r, o, where, "waiters", l->waiters, &l->nr_waiters, &l->more_waiters);
	read_bool(r, o, where, "more_waiters", &l->more_waiters, true);
	read_ids(r, o, where, "wakers", l->wakers, &l->nr_wakers, &l->more_wakers);
	read_bool(r, o, where, "more_wakers", &l->more_wakers, true);
}

/* calloc for n items of an array in the file (at least one, so that NULL means no memory). */
static void *alloc_items(struct reader *r, size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		fail(r, -ENOMEM, _("out of memory"));
	return p;
}

static void read_command(struct reader *r, json_object *doc, struct cp_run *run)
{
	json_object *a = read_array(r, doc, "", "command", true);
	size_t n;

	if (!a)
		return;
	n = json_object_array_length(a);
	if (n > INT32_MAX - 1) {
		wrong(r, "", "command", _("an array of strings"));
		return;
	}
	run->argv = alloc_items(r, n + 1, sizeof(*run->argv));
	for (size_t i = 0; run->argv && i < n && !r->ret; i++) {
		json_object *v = json_object_array_get_idx(a, i);

		if (!json_object_is_type(v, json_type_string)) {
			wrong(r, "", "command", _("an array of strings"));
			return;
		}
		run->argv[i] = dup_or_null(r, json_object_get_string(v));
		if (run->argv[i])
			run->argc = (int)i + 1;
	}
}

static void read_concurrency(struct reader *r, json_object *doc, struct cp_run *run)
{
	json_object *c = read_object(r, doc, "", "concurrency"), *a;
	size_t n;

	if (!c)
		return;
	a = read_array(r, c, "concurrency", "ns_at", true);
	read_bool(r, c, "concurrency", "complete", &run->concurrency.complete, true);
	if (!a || r->ret)
		return;
	n = json_object_array_length(a);
	if (n == 0)
		return;
	run->concurrency.ns_at = alloc_items(r, n, sizeof(uint64_t));
	if (!run->concurrency.ns_at)
		return;
	run->concurrency.nr_levels = n;
	for (size_t k = 0; k < n && !r->ret; k++) {
		json_object *v = json_object_array_get_idx(a, k);
		char key[32];

		if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0) {
			snprintf(key, sizeof(key), "ns_at[%zu]", k);
			wrong(r, "concurrency", key, _("a whole number of 0 or more"));
			return;
		}
		run->concurrency.ns_at[k] = json_object_get_uint64(v);
	}
}

static void read_tables(struct reader *r, json_object *doc, struct cp_run *run)
{
	json_object *procs = read_array(r, doc, "", "processes", true);
	json_object *threads = read_array(r, doc, "", "threads", true);
	json_object *locks = read_array(r, doc, "", "locks", false);
	char where[FIELD_LEN];
	size_t n;

	if (r->ret)
		return;
	n = json_object_array_length(procs);
	run->procs = alloc_items(r, n, sizeof(*run->procs));
	for (size_t i = 0; run->procs && i < n && !r->ret; i++) {
		json_object *o = item_object(r, procs, "processes", i, where, sizeof(where));

		if (o)
			read_process(r, o, where, &run->procs[i]);
		run->nr_procs = i + 1;
	}
	n = json_object_array_length(threads);
	run->threads = alloc_items(r, n, sizeof(*run->threads));
	for (size_t i = 0; run->threads && i < n && !r->ret; i++) {
		json_object *o = item_object(r, threads, "threads", i, where, sizeof(where));

		if (o)
			read_thread(r, o, where, &run->threads[i]);
		run->nr_threads = i + 1;
	}
	read_u64(r, doc, "", "lost_locks", &run->lost_locks, false);
	if (!locks || r->ret)
		return;
	n = json_object_array_length(locks);
	if (n == 0)
		return;
	run->locks = alloc_items(r, n, sizeof(*run->locks));
	for (size_t i = 0; run->locks && i < n && !r->ret; i++) {
		json_object *o = item_object(r, locks, "locks", i, where, sizeof(where));

		/* Counted first: cp_run_free frees the strings of the ones read so far. */
		run->nr_locks = i + 1;
		if (o)
			read_lock(r, o, where, &run->locks[i]);
	}
}

static void read_run(struct reader *r, json_object *doc, struct cp_run *run)
{
	json_object *format, *rusage;

	if (!json_object_is_type(doc, json_type_object)) {
		fail(r, -EBADMSG, _("not a concprof/1 file: it is JSON, but not an object"));
		return;
	}
	if (!json_object_object_get_ex(doc, "format", &format)) {
		fail(r, -EBADMSG, _("not a concprof/1 file: it has no \"format\""));
		return;
	}
	if (!json_object_is_type(format, json_type_string) ||
	    strcmp(json_object_get_string(format), CP_JSON_FORMAT) != 0) {
		char shown[48];
		const char *s = json_object_is_type(format, json_type_string)
					? json_object_get_string(format)
					: json_object_to_json_string(format);

		cp_fmt_sanitize(shown, sizeof(shown), s, strlen(s));
		fail(r, -EBADMSG, _("not a concprof/1 file: its format is \"%s\""), shown);
		return;
	}
	read_command(r, doc, run);
	read_i32(r, doc, "", "exit_code", &run->exit_code);
	read_i32(r, doc, "", "signal", &run->term_signal);
	read_bool(r, doc, "", "attached", &run->attached, true);
	read_i32(r, doc, "", "root_pid", &run->root_pid);
	read_u64(r, doc, "", "wall_ns", &run->wall_ns, true);
	{
		int32_t cpus = 0;

		read_i32(r, doc, "", "cpus", &cpus);
		run->cpus = cpus;
	}
	read_u64(r, doc, "", "lost_events", &run->lost_events, true);
	read_u64(r, doc, "", "stream_records", &run->stream_records, false);
	read_u64(r, doc, "", "lost_threads", &run->lost_threads, true);
	read_u64(r, doc, "", "repaired_switches", &run->repaired_switches, false);
	read_u64(r, doc, "", "repaired_wakeups", &run->repaired_wakeups, false);
	/* null when attached: the kernel's figures then belong to another parent */
	rusage = member(r, doc, "", "rusage", true, NULL);
	if (rusage && !json_object_is_type(rusage, json_type_object)) {
		wrong(r, "", "rusage", _("an object or null"));
	} else if (rusage) {
		run->have_rusage = true;
		read_u64(r, rusage, "rusage", "user_ns", &run->rusage_user_ns, true);
		read_u64(r, rusage, "rusage", "sys_ns", &run->rusage_sys_ns, true);
	}
	read_concurrency(r, doc, run);
	read_tables(r, doc, run);
}

/* The whole stream into memory, NUL-terminated; *len its bytes. */
static char *slurp(struct reader *r, FILE *in, size_t *len)
{
	size_t cap = 1 << 16, used = 0, got;
	char *buf = malloc(cap), *bigger;

	if (!buf) {
		fail(r, -ENOMEM, _("out of memory"));
		return NULL;
	}
	errno = 0;
	do {
		if (used + 1 == cap) {
			if (cap >= CP_JSON_READ_MAX_BYTES) {
				fail(r, -EFBIG, _("too large for a concprof/1 file (over %s)"),
				     cp_fmt_bytes(CP_JSON_READ_MAX_BYTES).s);
				free(buf);
				return NULL;
			}
			bigger = realloc(buf, cap * 2);
			if (!bigger) {
				fail(r, -ENOMEM, _("out of memory"));
				free(buf);
				return NULL;
			}
			buf = bigger;
			cap *= 2;
		}
		got = fread(buf + used, 1, cap - used - 1, in);
		used += got;
	} while (got > 0);
	if (ferror(in)) {
		int err = errno ? errno : EIO;

		fail(r, -err, _("cannot read it: %s"), strerror(err));
		free(buf);
		return NULL;
	}
	buf[used] = '\0';
	*len = used;
	return buf;
}

static int line_of(const char *text, size_t offset)
{
	int line = 1;

	for (size_t i = 0; i < offset; i++)
		line += text[i] == '\n';
	return line;
}

static json_object *parse(struct reader *r, const char *text, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	enum json_tokener_error jerr;
	json_object *doc;
	size_t end;

	if (!tok) {
		fail(r, -ENOMEM, _("out of memory"));
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	doc = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (!doc && (jerr == json_tokener_continue || jerr == json_tokener_success)) {
		if (strspn(text, " \t\r\n") == len)
			fail(r, -EBADMSG, _("not JSON: the file is empty"));
		else
			fail(r, -EBADMSG,
			     _("not JSON: it ends in the middle of a value (cut short?)"));
	} else if (!doc) {
		/* json-c's own words, in English: "unexpected character", "invalid UTF-8", ... */
		fail(r, -EBADMSG, _("not JSON: %s at line %d"), json_tokener_error_desc(jerr),
		     line_of(text, end < len ? end : len));
	} else if (end < len && strspn(text + end, " \t\r\n") != len - end) {
		json_object_put(doc);
		doc = NULL;
		fail(r, -EBADMSG, _("not JSON: something follows the document at line %d"),
		     line_of(text, end));
	}
	json_tokener_free(tok);
	return doc;
}

int cp_json_read(FILE *in, struct cp_run *run, char *err, size_t errlen)
{
	struct reader r = { .err = err, .errlen = errlen };
	json_object *doc = NULL;
	size_t len = 0;
	char *text;

	*run = (struct cp_run){ 0 };
	if (err && errlen)
		err[0] = '\0';
	text = slurp(&r, in, &len);
	if (text)
		doc = parse(&r, text, len);
	if (doc)
		read_run(&r, doc, run);
	json_object_put(doc);
	free(text);
	if (r.ret)
		cp_run_free(run);
	return r.ret;
}
