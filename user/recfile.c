// SPDX-License-Identifier: GPL-2.0
/*
 * The recording file (layout in recfile.h): a writer that serialises a run and its stream field
 * by field, and a reader that trusts nothing it reads. Every payload is read whole into memory,
 * checked against its CRC, then parsed with a cursor that cannot run past its end; every count
 * is bounded by the bytes left in its payload, and every payload by the bytes the file really
 * holds, so a damaged or hostile file costs at most its own size in memory.
 */
#include "recfile.h"

#include "concprof.h"
#include "stream.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#ifndef CONCPROF_VERSION
#define CONCPROF_VERSION "unknown"
#endif

/* A fuzzer could never make a matching CRC, and would test nothing past it (tests/fuzz/). */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define CHECK_CRC false
#else
#define CHECK_CRC true
#endif

#define HEADER_BYTES	 16
#define FRAME_BYTES	 8	    /* tag and length, before a payload */
#define MAX_SECTION	 (1u << 30) /* bytes of payload */
#define MAX_CHUNK_RECS	 65536	    /* records in one EVTS section */
#define WRITE_CHUNK_RECS 4096
#define MAX_CPU		 65536 /* as cp_stream_add allows */
#define MAX_LOCK_STRING	 65536 /* a lock's path or symbol name */
/* The fewest bytes an item can take, a byte a field: what bounds a count by its payload. */
#define MIN_PROCESS_BYTES 9
#define MIN_THREAD_BYTES  (22 + CP_NR_REASONS)
#define MIN_LOCK_BYTES	  14
#define MIN_REC_BYTES	  7

/* Section tags: their 4 bytes read as a little-endian u32 (character constants, for case). */
#define TAG(a, b, c, d) \
	((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define TAG_META TAG('M', 'E', 'T', 'A')
#define TAG_RUN	 TAG('R', 'U', 'N', ' ')
#define TAG_PROC TAG('P', 'R', 'O', 'C')
#define TAG_THRD TAG('T', 'H', 'R', 'D')
#define TAG_LOCK TAG('L', 'O', 'C', 'K')
#define TAG_CONC TAG('C', 'O', 'N', 'C')
#define TAG_EVTS TAG('E', 'V', 'T', 'S')
#define TAG_END	 TAG('E', 'N', 'D', ' ')

/* --- CRC-32 ------------------------------------------------------------------------------ */

/*
 * The table of the reflected CRC-32 (zlib's, polynomial 0xedb88320), built by the compiler:
 * an entry is its index shifted through the polynomial eight times. Not zlib itself, so the
 * pure objects (and the unit tests linked from them) need no -lz.
 */
#define CRC_BIT(c) (((c) >> 1) ^ (0xedb88320u & (0u - (c) % 2u)))
#define CRC_BYTE(n) \
	CRC_BIT(CRC_BIT(CRC_BIT(CRC_BIT(CRC_BIT(CRC_BIT(CRC_BIT(CRC_BIT((uint32_t)(n)))))))))
#define CRC_4(n)  CRC_BYTE(n), CRC_BYTE((n) + 1), CRC_BYTE((n) + 2), CRC_BYTE((n) + 3)
#define CRC_16(n) CRC_4(n), CRC_4((n) + 4), CRC_4((n) + 8), CRC_4((n) + 12)
#define CRC_64(n) CRC_16(n), CRC_16((n) + 16), CRC_16((n) + 32), CRC_16((n) + 48)

static const uint32_t crc_table[256] = { CRC_64(0), CRC_64(64), CRC_64(128), CRC_64(192) };

uint32_t cp_crc32(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;

	crc = ~crc;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* --- encoding ---------------------------------------------------------------------------- */

static void put_le32(uint8_t *b, uint32_t v)
{
	b[0] = v;
	b[1] = v >> 8;
	b[2] = v >> 16;
	b[3] = v >> 24;
}

static uint32_t get_le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* Signed to unsigned so that small magnitudes stay short: 0, -1, 1, -2 → 0, 1, 2, 3. */
static uint64_t zigzag64(uint64_t v)
{
	return v << 1 ^ (0 - (v >> 63));
}

static uint64_t unzigzag64(uint64_t v)
{
	return v >> 1 ^ (0 - (v & 1));
}

static uint32_t zigzag32(uint32_t v)
{
	return v << 1 ^ (0 - (v >> 31));
}

static uint32_t unzigzag32(uint32_t v)
{
	return v >> 1 ^ (0 - (v & 1));
}

/* A section's payload while it is built: grows as needed, remembers running out of memory. */
struct wbuf {
	uint8_t *p;
	size_t len, cap;
	bool oom;
};

static uint8_t *wbuf_room(struct wbuf *b, size_t n)
{
	if (b->oom)
		return NULL;
	if (b->cap - b->len < n) {
		size_t cap = b->cap ? b->cap : 4096;
		uint8_t *p;

		while (cap - b->len < n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return NULL;
		}
		b->p = p;
		b->cap = cap;
	}
	return b->p + b->len;
}

static void put_bytes(struct wbuf *b, const void *data, size_t n)
{
	uint8_t *p = wbuf_room(b, n);

	if (!p)
		return;
	memcpy(p, data, n);
	b->len += n;
}

static void put_byte(struct wbuf *b, uint8_t v)
{
	put_bytes(b, &v, 1);
}

static void put_u(struct wbuf *b, uint64_t v)
{
	uint8_t *p = wbuf_room(b, 10), *start = p;

	if (!p)
		return;
	while (v >= 0x80) {
		*p++ = (uint8_t)v | 0x80;
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	b->len += (size_t)(p - start);
}

static void put_s(struct wbuf *b, int32_t v)
{
	put_u(b, zigzag32((uint32_t)v));
}

static void put_bool(struct wbuf *b, bool v)
{
	put_byte(b, v ? 1 : 0);
}

static void put_str(struct wbuf *b, const char *s, size_t len)
{
	put_u(b, len);
	put_bytes(b, s, len);
}

static void put_comm(struct wbuf *b, const char *comm)
{
	size_t len = strnlen(comm, CP_COMM_LEN);

	put_byte(b, (uint8_t)len);
	put_bytes(b, comm, len);
}

/* The type a record may have, in this format version. */
static bool rec_type_known(uint8_t type)
{
	return type >= EV_OUT && type <= EV_EXEC;
}

static void put_rec(struct wbuf *b, const struct cp_rec *r, uint64_t prev_ts)
{
	put_u(b, zigzag64(r->ts_ns - prev_ts));
	put_u(b, r->tid);
	put_byte(b, r->type);
	put_byte(b, r->state);
	put_u(b, (uint16_t)(r->syscall + 1));
	put_u(b, r->a);
	put_u(b, r->type == EV_OUT ? zigzag32(r->b) : r->b);
}

/* --- writer ------------------------------------------------------------------------------ */

/*
 * Every field of the model is in the file, or a report from a recording would differ from the
 * live one. A new field most likely changes its struct's size and stops the build here: write
 * and read it below, describe it in recfile.h, then update the size.
 */
#ifdef __LP64__
_Static_assert(sizeof(struct cp_run) == 192, "cp_run changed: record the new field");
_Static_assert(sizeof(struct cp_process) == 64, "cp_process changed: record the new field");
_Static_assert(sizeof(struct cp_thread) == 256, "cp_thread changed: record the new field");
_Static_assert(sizeof(struct cp_lock) == 144, "cp_lock changed: record the new field");
_Static_assert(sizeof(struct cp_concurrency) == 24, "cp_concurrency changed: record it");
#endif

struct writer {
	FILE *out;
	uint32_t crc; /* of every byte written so far */
	struct wbuf buf;
	int err;
};

static void emit(struct writer *w, const void *data, size_t n)
{
	if (w->err || !n)
		return;
	errno = 0;
	if (fwrite(data, 1, n, w->out) != n) {
		w->err = errno ? -errno : -EIO;
		return;
	}
	w->crc = cp_crc32(w->crc, data, n);
}

/* The payload built in w->buf, framed; the buffer is emptied for the next section. */
static void emit_section(struct writer *w, uint32_t tag)
{
	uint8_t frame[FRAME_BYTES], crc[4];

	if (w->buf.oom && !w->err)
		w->err = -ENOMEM;
	if (w->buf.len > MAX_SECTION && !w->err)
		w->err = -EFBIG;
	put_le32(frame, tag);
	put_le32(frame + 4, (uint32_t)w->buf.len);
	emit(w, frame, sizeof(frame));
	emit(w, w->buf.p, w->buf.len);
	put_le32(crc, w->crc);
	emit(w, crc, sizeof(crc));
	w->buf.len = 0;
}

static void write_meta(struct writer *w, const struct cp_recfile_meta *meta, bool has_stream)
{
	struct wbuf *b = &w->buf;

	put_u(b, meta->clock_id);
	put_u(b, meta->start_epoch_ns);
	put_u(b, meta->origin_ns);
	put_bool(b, has_stream);
	put_str(b, meta->kernel, strnlen(meta->kernel, sizeof(meta->kernel) - 1));
	put_str(b, meta->machine, strnlen(meta->machine, sizeof(meta->machine) - 1));
	put_str(b, meta->concprof_version,
		strnlen(meta->concprof_version, sizeof(meta->concprof_version) - 1));
	emit_section(w, TAG_META);
}

static void write_run(struct writer *w, const struct cp_run *run)
{
	struct wbuf *b = &w->buf;
	int argc = 0;

	put_bool(b, run->attached);
	put_bool(b, run->have_rusage);
	put_s(b, run->root_pid);
	put_s(b, run->exit_code);
	put_s(b, run->term_signal);
	put_s(b, run->cpus);
	put_s(b, run->kernel_hz);
	put_u(b, run->wall_ns);
	put_u(b, run->lost_events);
	put_u(b, run->stream_records);
	put_u(b, run->lost_threads);
	put_u(b, run->repaired_switches);
	put_u(b, run->repaired_wakeups);
	put_u(b, run->rusage_user_ns);
	put_u(b, run->rusage_sys_ns);
	/* As the JSON export reads it: up to argc, or the first NULL. */
	while (run->argv && argc < run->argc && run->argv[argc])
		argc++;
	put_u(b, (uint64_t)argc);
	for (int i = 0; i < argc; i++)
		put_str(b, run->argv[i], strlen(run->argv[i]));
	emit_section(w, TAG_RUN);
}

static void write_procs(struct writer *w, const struct cp_run *run)
{
	struct wbuf *b = &w->buf;
	size_t n = run->procs ? run->nr_procs : 0;

	put_u(b, n);
	for (size_t i = 0; i < n; i++) {
		const struct cp_process *p = &run->procs[i];

		put_s(b, p->pid);
		put_s(b, p->ppid);
		put_comm(b, p->comm);
		put_u(b, p->start_ns);
		put_u(b, p->end_ns);
		put_bool(b, p->exited);
		put_s(b, p->exit_code);
		put_s(b, p->term_signal);
		put_u(b, p->peak_rss_bytes);
	}
	emit_section(w, TAG_PROC);
}

static void write_threads(struct writer *w, const struct cp_run *run)
{
	struct wbuf *b = &w->buf;
	size_t n = run->threads ? run->nr_threads : 0;

	put_u(b, n);
	for (size_t i = 0; i < n; i++) {
		const struct cp_thread *t = &run->threads[i];

		put_s(b, t->tid);
		put_s(b, t->pid);
		put_comm(b, t->comm);
		put_u(b, t->start_ns);
		put_u(b, t->end_ns);
		put_bool(b, t->exited);
		put_u(b, t->first_run_ns);
		put_u(b, t->stack_reserved_bytes);
		put_u(b, t->stack_used_bytes);
		put_u(b, t->user_ns);
		put_u(b, t->sys_ns);
		put_u(b, t->runnable_preempted_ns);
		put_u(b, t->runnable_woken_ns);
		for (int r = 0; r < CP_NR_REASONS; r++)
			put_u(b, t->blocked_ns[r]);
		put_s(b, t->other_syscall);
		put_u(b, t->voluntary_switches);
		put_u(b, t->involuntary_switches);
		put_u(b, t->migrations);
		put_u(b, t->syscalls);
		put_u(b, t->net_rx_bytes);
		put_u(b, t->net_tx_bytes);
		put_u(b, t->disk_read_bytes);
		put_u(b, t->disk_write_bytes);
		put_u(b, t->pipe_read_bytes);
		put_u(b, t->pipe_write_bytes);
	}
	emit_section(w, TAG_THRD);
}

/* An optional string: a flag, then the string if there is one. */
static void put_opt_str(struct wbuf *b, const char *s)
{
	put_bool(b, s != NULL);
	if (s)
		put_str(b, s, strnlen(s, MAX_LOCK_STRING));
}

/* Lock ids: the JSON export shows no more than the array holds, so neither does the file. */
static void put_ids(struct wbuf *b, const int32_t *ids, uint8_t nr, bool more)
{
	size_t n = nr < CP_LOCK_MAX_IDS ? nr : CP_LOCK_MAX_IDS;

	put_byte(b, (uint8_t)n);
	for (size_t i = 0; i < n; i++)
		put_s(b, ids[i]);
	put_bool(b, more);
}

static void write_locks(struct writer *w, const struct cp_run *run)
{
	struct wbuf *b = &w->buf;
	size_t n = run->locks ? run->nr_locks : 0;

	put_u(b, run->lost_locks);
	put_u(b, n);
	for (size_t i = 0; i < n; i++) {
		const struct cp_lock *l = &run->locks[i];

		put_s(b, l->pid);
		put_u(b, l->addr);
		put_u(b, l->wait_ns);
		put_u(b, l->max_wait_ns);
		put_u(b, l->waits);
		put_ids(b, l->waiters, l->nr_waiters, l->more_waiters);
		put_ids(b, l->wakers, l->nr_wakers, l->more_wakers);
		/* Kinds it does not know, the export shows as unknown: so does the file. */
		put_byte(b, l->kind <= CP_LOCK_STACK ? l->kind : CP_LOCK_UNKNOWN);
		put_opt_str(b, l->path);
		put_opt_str(b, l->symbol);
		put_u(b, l->symbol_offset);
		put_bool(b, l->gil);
	}
	emit_section(w, TAG_LOCK);
}

static void write_concurrency(struct writer *w, const struct cp_concurrency *c)
{
	struct wbuf *b = &w->buf;
	size_t n = c->ns_at ? c->nr_levels : 0;

	put_bool(b, c->complete);
	put_u(b, n);
	for (size_t k = 0; k < n; k++)
		put_u(b, c->ns_at[k]);
	emit_section(w, TAG_CONC);
}

static void write_chunk(struct writer *w, unsigned int cpu, const struct cp_rec *recs, size_t nr)
{
	struct wbuf *b = &w->buf;
	uint64_t prev_ts = 0;

	put_u(b, cpu);
	put_u(b, nr);
	for (size_t i = 0; i < nr; i++) {
		if (!rec_type_known(recs[i].type) && !w->err)
			w->err = -EINVAL;
		put_rec(b, &recs[i], prev_ts);
		prev_ts = recs[i].ts_ns;
	}
	emit_section(w, TAG_EVTS);
}

/* One CPU's spool from its start, in chunks; the spool is left at its end for appending. */
static void write_cpu(struct writer *w, struct cp_stream_cpu *c, unsigned int cpu,
		      struct cp_rec *recs, uint64_t *chunks, uint64_t *records)
{
	size_t n;

	if (fflush(c->f) || fseeko(c->f, 0, SEEK_SET)) {
		w->err = errno ? -errno : -EIO;
		return;
	}
	while (!w->err && (n = fread(recs, sizeof(*recs), WRITE_CHUNK_RECS, c->f)) > 0) {
		write_chunk(w, cpu, recs, n);
		(*chunks)++;
		*records += n;
	}
	if (!w->err && ferror(c->f))
		w->err = -EIO;
	if (fseeko(c->f, 0, SEEK_END) && !w->err)
		w->err = errno ? -errno : -EIO;
}

static void write_stream(struct writer *w, struct cp_stream *s)
{
	struct cp_rec *recs = malloc(WRITE_CHUNK_RECS * sizeof(*recs));
	uint64_t chunks = 0, records = 0;

	if (!recs) {
		w->err = -ENOMEM;
		return;
	}
	for (size_t cpu = 0; s && cpu < s->nr_cpus && !w->err; cpu++) {
		if (cpu >= MAX_CPU) {
			w->err = -EINVAL;
			break;
		}
		if (s->cpus[cpu].f)
			write_cpu(w, &s->cpus[cpu], (unsigned int)cpu, recs, &chunks, &records);
	}
	free(recs);
	put_u(&w->buf, chunks);
	put_u(&w->buf, records);
	emit_section(w, TAG_END);
}

int cp_recfile_write(FILE *out, const struct cp_run *run, struct cp_stream *stream,
		     const struct cp_recfile_meta *meta)
{
	struct writer w = { .out = out };
	uint8_t header[HEADER_BYTES];

	if (run->argc < 0)
		return -EINVAL;
	memcpy(header, CP_RECFILE_MAGIC, 8);
	put_le32(header + 8, CP_RECFILE_VERSION);
	put_le32(header + 12, cp_crc32(0, header, 12));
	emit(&w, header, sizeof(header));
	write_meta(&w, meta, stream != NULL);
	write_run(&w, run);
	write_procs(&w, run);
	write_threads(&w, run);
	write_locks(&w, run);
	write_concurrency(&w, &run->concurrency);
	write_stream(&w, stream);
	free(w.buf.p);
	errno = 0;
	if (fflush(out) == EOF && !w.err)
		w.err = errno ? -errno : -EIO;
	return w.err;
}

void cp_recfile_meta_init(struct cp_recfile_meta *meta, uint64_t origin_ns)
{
	struct timespec real, mono;
	struct utsname u;
	int64_t since_origin;

	*meta = (struct cp_recfile_meta){ .origin_ns = origin_ns,
					  .clock_id = CLOCK_MONOTONIC,
					  .format_version = CP_RECFILE_VERSION };
	if (uname(&u) == 0) {
		snprintf(meta->kernel, sizeof(meta->kernel), "%s", u.release);
		snprintf(meta->machine, sizeof(meta->machine), "%s", u.machine);
	}
	snprintf(meta->concprof_version, sizeof(meta->concprof_version), "%s", CONCPROF_VERSION);
	/* Read together, the two clocks date origin_ns on the wall clock. */
	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	since_origin =
		(int64_t)((uint64_t)mono.tv_sec * 1000000000 + (uint64_t)mono.tv_nsec - origin_ns);
	meta->start_epoch_ns = (uint64_t)real.tv_sec * 1000000000 + (uint64_t)real.tv_nsec -
			       (uint64_t)since_origin;
}

/* --- reader ------------------------------------------------------------------------------ */

/*
 * A payload being parsed. The first problem is kept and the cursor jumps to the end, so every
 * later read fails at once and no loop outlives the bytes it has.
 */
struct cursor {
	const uint8_t *p, *end;
	const char *bad; /* what is wrong, completing "recording is malformed: ..." */
};

static void cur_bad(struct cursor *c, const char *why)
{
	if (!c->bad)
		c->bad = why;
	c->p = c->end;
}

static size_t cur_left(const struct cursor *c)
{
	return (size_t)(c->end - c->p);
}

static uint8_t get_byte(struct cursor *c)
{
	if (c->p == c->end) {
		cur_bad(c, "a field runs past the end");
		return 0;
	}
	return *c->p++;
}

static uint64_t get_u(struct cursor *c)
{
	uint64_t v = 0;

	for (unsigned int shift = 0; shift < 64; shift += 7) {
		uint8_t byte;

		if (c->p == c->end) {
			cur_bad(c, "a field runs past the end");
			return 0;
		}
		byte = *c->p++;
		/* The tenth byte holds bit 63 only. */
		if (shift == 63 && byte > 1)
			break;
		v |= (uint64_t)(byte & 0x7f) << shift;
		if (!(byte & 0x80))
			return v;
	}
	cur_bad(c, "a number is too large for 64 bits");
	return 0;
}

static uint32_t get_u32(struct cursor *c)
{
	uint64_t v = get_u(c);

	if (v > UINT32_MAX) {
		cur_bad(c, "a number is too large for its field");
		return 0;
	}
	return (uint32_t)v;
}

static int32_t get_s(struct cursor *c)
{
	return (int32_t)unzigzag32(get_u32(c));
}

static bool get_bool(struct cursor *c)
{
	uint8_t v = get_byte(c);

	if (v > 1)
		cur_bad(c, "a flag is neither 0 nor 1");
	return v == 1;
}

/* A count of items that take at least min_bytes each: no more than the payload can hold. */
static size_t get_count(struct cursor *c, size_t min_bytes)
{
	uint64_t n = get_u(c);

	if (n > cur_left(c) / min_bytes) {
		cur_bad(c, "a count is larger than its section could hold");
		return 0;
	}
	return (size_t)n;
}

/* len bytes, none of them NUL, at most max: a pointer into the payload, NULL if bad. */
static const char *get_str_bytes(struct cursor *c, size_t len, size_t max)
{
	const char *s = (const char *)c->p;

	if (len > max) {
		cur_bad(c, "a string is too long");
		return NULL;
	}
	if (len > cur_left(c)) {
		cur_bad(c, "a string runs past the end");
		return NULL;
	}
	if (memchr(s, 0, len)) {
		cur_bad(c, "a string holds a NUL byte");
		return NULL;
	}
	c->p += len;
	return s;
}

/* A str into a fixed array of size bytes: at most size - 1 bytes, then NUL-padded. */
static void get_str_into(struct cursor *c, char *dst, size_t size)
{
	size_t len = get_u32(c);
	const char *s = get_str_bytes(c, len, size - 1);

	memset(dst, 0, size);
	if (s)
		memcpy(dst, s, len);
}

static void get_comm(struct cursor *c, char comm[CP_COMM_LEN])
{
	size_t len = get_byte(c);
	const char *s = get_str_bytes(c, len, CP_COMM_LEN);

	memset(comm, 0, CP_COMM_LEN);
	if (s)
		memcpy(comm, s, len);
}

struct reader {
	FILE *in;
	uint32_t crc; /* of every byte read so far */
	uint8_t *buf; /* the current section's payload */
	size_t cap;
	struct cp_rec *recs; /* the current chunk, decoded */
	size_t recs_cap;
	char *err;
	size_t errlen;
};

static int fail(struct reader *r, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct reader *r, int code, const char *fmt, ...)
{
	va_list ap;

	if (r->err && r->errlen) {
		va_start(ap, fmt);
		vsnprintf(r->err, r->errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

static int fail_io(struct reader *r, int err)
{
	return fail(r, -err, "reading the recording failed: %s", strerror(err));
}

static int fail_oom(struct reader *r)
{
	return fail(r, -ENOMEM, "out of memory reading the recording");
}

/*
 * Up to n bytes, fewer only at the end of the file; they join the running CRC.
 * *io_err is set if reading failed rather than ended.
 */
static size_t read_bytes(struct reader *r, void *buf, size_t n, int *io_err)
{
	size_t got;

	errno = 0;
	got = fread(buf, 1, n, r->in);
	if (got < n && ferror(r->in))
		*io_err = errno ? errno : EIO;
	r->crc = cp_crc32(r->crc, buf, got);
	return got;
}

static const char *section_name(uint32_t tag)
{
	switch (tag) {
	case TAG_META:
		return "metadata";
	case TAG_RUN:
		return "run summary";
	case TAG_PROC:
		return "process table";
	case TAG_THRD:
		return "thread table";
	case TAG_LOCK:
		return "lock table";
	case TAG_CONC:
		return "concurrency profile";
	case TAG_EVTS:
		return "event stream";
	case TAG_END:
		return "end marker";
	}
	return "unknown section";
}

static int read_header(struct reader *r, struct cp_recfile_meta *meta)
{
	uint8_t h[HEADER_BYTES];
	int io_err = 0;
	size_t got = read_bytes(r, h, sizeof(h), &io_err);
	uint32_t version;

	if (io_err)
		return fail_io(r, io_err);
	if (got == 0)
		return fail(r, -EBADMSG, "empty file");
	if (memcmp(h, CP_RECFILE_MAGIC, got < 8 ? got : 8))
		return fail(r, -EBADMSG, "not a concprof recording (bad magic)");
	if (got < sizeof(h))
		return fail(r, -EBADMSG, "recording is truncated: the file header ends early");
	if (CHECK_CRC && get_le32(h + 12) != cp_crc32(0, h, 12))
		return fail(r, -EBADMSG,
			    "recording is corrupted (checksum mismatch in the file header)");
	version = get_le32(h + 8);
	if (version > CP_RECFILE_VERSION)
		return fail(r, -EPROTONOSUPPORT,
			    "recording was made by a newer concprof (format %u; this one reads %u)",
			    version, CP_RECFILE_VERSION);
	if (version == 0)
		return fail(r, -EBADMSG, "recording is malformed: its format version is 0");
	meta->format_version = version;
	return 0;
}

/*
 * The next section: its tag, and its payload in r->buf (*len bytes), CRC checked. `expect`
 * names what should come, for a file that ends here. The buffer grows as bytes arrive, never
 * to what a length field merely claims.
 */
static int read_section(struct reader *r, const char *expect, uint32_t *tag, uint32_t *len)
{
	uint8_t frame[FRAME_BYTES], crc[4];
	int io_err = 0;
	size_t got = read_bytes(r, frame, sizeof(frame), &io_err);
	uint32_t want_crc;

	if (io_err)
		return fail_io(r, io_err);
	if (got == 0)
		return fail(r, -EBADMSG, "recording is truncated: it ends before %s", expect);
	if (got < sizeof(frame))
		return fail(r, -EBADMSG, "recording is truncated: %s ends early", expect);
	*tag = get_le32(frame);
	*len = get_le32(frame + 4);
	if (*len > MAX_SECTION)
		return fail(r, -EBADMSG,
			    "recording is corrupted: the %s claims an impossible %u bytes",
			    section_name(*tag), *len);
	for (got = 0; got < *len;) {
		size_t n;

		if (got == r->cap) {
			size_t cap = r->cap ? 2 * r->cap : 65536;
			uint8_t *buf;

			if (cap > *len)
				cap = *len;
			buf = realloc(r->buf, cap);
			if (!buf)
				return fail_oom(r);
			r->buf = buf;
			r->cap = cap;
		}
		n = read_bytes(r, r->buf + got, (r->cap < *len ? r->cap : *len) - got, &io_err);
		if (io_err)
			return fail_io(r, io_err);
		if (!n)
			return fail(r, -EBADMSG, "recording is truncated: the %s ends early",
				    section_name(*tag));
		got += n;
	}
	want_crc = r->crc;
	got = read_bytes(r, crc, sizeof(crc), &io_err);
	if (io_err)
		return fail_io(r, io_err);
	if (got < sizeof(crc))
		return fail(r, -EBADMSG, "recording is truncated: the %s ends early",
			    section_name(*tag));
	if (CHECK_CRC && get_le32(crc) != want_crc)
		return fail(r, -EBADMSG, "recording is corrupted (checksum mismatch in the %s)",
			    section_name(*tag));
	return 0;
}

static void parse_meta(struct cursor *c, struct cp_recfile_meta *meta)
{
	meta->clock_id = get_u32(c);
	meta->start_epoch_ns = get_u(c);
	meta->origin_ns = get_u(c);
	meta->has_stream = get_bool(c);
	get_str_into(c, meta->kernel, sizeof(meta->kernel));
	get_str_into(c, meta->machine, sizeof(meta->machine));
	get_str_into(c, meta->concprof_version, sizeof(meta->concprof_version));
}

/* Returns 0 or -ENOMEM; format problems are left in c->bad. */
static int parse_run(struct cursor *c, struct cp_run *run)
{
	size_t argc;

	run->attached = get_bool(c);
	run->have_rusage = get_bool(c);
	run->root_pid = get_s(c);
	run->exit_code = get_s(c);
	run->term_signal = get_s(c);
	run->cpus = get_s(c);
	run->kernel_hz = get_s(c);
	run->wall_ns = get_u(c);
	run->lost_events = get_u(c);
	run->stream_records = get_u(c);
	run->lost_threads = get_u(c);
	run->repaired_switches = get_u(c);
	run->repaired_wakeups = get_u(c);
	run->rusage_user_ns = get_u(c);
	run->rusage_sys_ns = get_u(c);
	argc = get_count(c, 1); /* each takes its length byte at least */
	run->argv = calloc(argc + 1, sizeof(*run->argv));
	if (!run->argv)
		return -ENOMEM;
	for (size_t i = 0; i < argc && !c->bad; i++) {
		size_t len = get_u32(c);
		const char *s = get_str_bytes(c, len, cur_left(c));
		char *arg;

		if (!s)
			break;
		arg = malloc(len + 1);
		if (!arg)
			return -ENOMEM;
		memcpy(arg, s, len);
		arg[len] = '\0';
		run->argv[run->argc++] = arg;
	}
	return 0;
}

static int parse_procs(struct cursor *c, struct cp_run *run)
{
	size_t n = get_count(c, MIN_PROCESS_BYTES);

	if (!n)
		return 0;
	run->procs = calloc(n, sizeof(*run->procs));
	if (!run->procs)
		return -ENOMEM;
	for (size_t i = 0; i < n && !c->bad; i++) {
		struct cp_process *p = &run->procs[i];

		p->pid = get_s(c);
		p->ppid = get_s(c);
		get_comm(c, p->comm);
		p->start_ns = get_u(c);
		p->end_ns = get_u(c);
		p->exited = get_bool(c);
		p->exit_code = get_s(c);
		p->term_signal = get_s(c);
		p->peak_rss_bytes = get_u(c);
		run->nr_procs++;
	}
	return 0;
}

static int parse_threads(struct cursor *c, struct cp_run *run)
{
	size_t n = get_count(c, MIN_THREAD_BYTES);

	if (!n)
		return 0;
	run->threads = calloc(n, sizeof(*run->threads));
	if (!run->threads)
		return -ENOMEM;
	for (size_t i = 0; i < n && !c->bad; i++) {
		struct cp_thread *t = &run->threads[i];

		t->tid = get_s(c);
		t->pid = get_s(c);
		get_comm(c, t->comm);
		t->start_ns = get_u(c);
		t->end_ns = get_u(c);
		t->exited = get_bool(c);
		t->first_run_ns = get_u(c);
		t->stack_reserved_bytes = get_u(c);
		t->stack_used_bytes = get_u(c);
		t->user_ns = get_u(c);
		t->sys_ns = get_u(c);
		t->runnable_preempted_ns = get_u(c);
		t->runnable_woken_ns = get_u(c);
		for (int r = 0; r < CP_NR_REASONS; r++)
			t->blocked_ns[r] = get_u(c);
		t->other_syscall = get_s(c);
		t->voluntary_switches = get_u(c);
		t->involuntary_switches = get_u(c);
		t->migrations = get_u(c);
		t->syscalls = get_u(c);
		t->net_rx_bytes = get_u(c);
		t->net_tx_bytes = get_u(c);
		t->disk_read_bytes = get_u(c);
		t->disk_write_bytes = get_u(c);
		t->pipe_read_bytes = get_u(c);
		t->pipe_write_bytes = get_u(c);
		run->nr_threads++;
	}
	return 0;
}

/* An optional string, heap-allocated; false if out of memory. */
static bool get_opt_str(struct cursor *c, char **out)
{
	const char *s;
	size_t len;

	*out = NULL;
	if (!get_bool(c))
		return true;
	len = get_u32(c);
	s = get_str_bytes(c, len, MAX_LOCK_STRING);
	if (!s)
		return true;
	*out = strndup(s, len);
	return *out != NULL;
}

static void get_ids(struct cursor *c, int32_t *ids, uint8_t *nr, bool *more)
{
	*nr = get_byte(c);
	if (*nr > CP_LOCK_MAX_IDS) {
		cur_bad(c, "a lock has too many waiters or wakers");
		*nr = 0;
	}
	for (size_t i = 0; i < *nr; i++)
		ids[i] = get_s(c);
	*more = get_bool(c);
}

static int parse_locks(struct cursor *c, struct cp_run *run)
{
	size_t n;

	run->lost_locks = get_u(c);
	n = get_count(c, MIN_LOCK_BYTES);
	if (!n)
		return 0;
	run->locks = calloc(n, sizeof(*run->locks));
	if (!run->locks)
		return -ENOMEM;
	for (size_t i = 0; i < n && !c->bad; i++) {
		/* Counted first, so that cp_run_free frees its strings whatever happens. */
		struct cp_lock *l = &run->locks[run->nr_locks++];

		l->pid = get_s(c);
		l->addr = get_u(c);
		l->wait_ns = get_u(c);
		l->max_wait_ns = get_u(c);
		l->waits = get_u(c);
		get_ids(c, l->waiters, &l->nr_waiters, &l->more_waiters);
		get_ids(c, l->wakers, &l->nr_wakers, &l->more_wakers);
		l->kind = get_byte(c);
		if (l->kind > CP_LOCK_STACK)
			cur_bad(c, "a lock's kind is unknown");
		if (!get_opt_str(c, &l->path) || !get_opt_str(c, &l->symbol))
			return -ENOMEM;
		l->symbol_offset = get_u(c);
		l->gil = get_bool(c);
	}
	return 0;
}

static int parse_concurrency(struct cursor *c, struct cp_concurrency *conc)
{
	size_t n;

	conc->complete = get_bool(c);
	n = get_count(c, 1);
	if (!n)
		return 0;
	conc->ns_at = calloc(n, sizeof(*conc->ns_at));
	if (!conc->ns_at)
		return -ENOMEM;
	for (size_t k = 0; k < n && !c->bad; k++)
		conc->ns_at[k] = get_u(c);
	conc->nr_levels = n;
	return 0;
}

/* One EVTS chunk decoded into r->recs: its cpu and record count, or c->bad. */
static int parse_chunk(struct reader *r, struct cursor *c, unsigned int *cpu, size_t *nr)
{
	uint64_t ts = 0;
	uint64_t v = get_u(c);
	size_t n;

	if (v >= MAX_CPU)
		cur_bad(c, "a CPU number is 65536 or more");
	*cpu = (unsigned int)v;
	n = get_count(c, MIN_REC_BYTES);
	if (!c->bad && (n == 0 || n > MAX_CHUNK_RECS))
		cur_bad(c, "a chunk holds no records, or more than 65536");
	*nr = 0;
	if (c->bad)
		return 0;
	if (n > r->recs_cap) {
		struct cp_rec *recs = realloc(r->recs, n * sizeof(*recs));

		if (!recs)
			return -ENOMEM;
		r->recs = recs;
		r->recs_cap = n;
	}
	for (size_t i = 0; i < n && !c->bad; i++) {
		struct cp_rec *rec = &r->recs[i];
		uint32_t syscall1;

		memset(rec, 0, sizeof(*rec));
		ts += unzigzag64(get_u(c));
		rec->ts_ns = ts;
		rec->tid = get_u32(c);
		rec->type = get_byte(c);
		rec->state = get_byte(c);
		syscall1 = get_u32(c);
		if (syscall1 > 0xffff)
			cur_bad(c, "a syscall number is too large");
		rec->syscall = (uint16_t)(syscall1 - 1);
		rec->a = get_u32(c);
		rec->b = get_u32(c);
		if (rec->type == EV_OUT)
			rec->b = unzigzag32(rec->b);
		if (!c->bad && !rec_type_known(rec->type))
			cur_bad(c, "a stream record has an unknown type");
	}
	*nr = n;
	return 0;
}

/* Where the next section is in the order, and what the reader has seen. */
enum stage { AT_META, AT_RUN, AT_PROC, AT_THRD, AT_LOCK, AT_CONC, AT_STREAM, AT_DONE };

static const uint32_t stage_tag[] = { TAG_META, TAG_RUN, TAG_PROC, TAG_THRD, TAG_LOCK, TAG_CONC };

static const char *stage_expect(enum stage s)
{
	switch (s) {
	case AT_META:
		return "its metadata";
	case AT_RUN:
		return "its run summary";
	case AT_PROC:
		return "its process table";
	case AT_THRD:
		return "its thread table";
	case AT_LOCK:
		return "its lock table";
	case AT_CONC:
		return "its concurrency profile";
	default:
		return "its end marker";
	}
}

static int read_sections(struct reader *r, struct cp_run *run, struct cp_stream *stream,
			 struct cp_recfile_meta *meta)
{
	uint64_t chunks = 0, records = 0;
	enum stage stage = AT_META;

	while (stage != AT_DONE) {
		uint32_t tag = 0, len = 0;
		struct cursor c;
		int err = read_section(r, stage_expect(stage), &tag, &len);
		unsigned int cpu = 0;
		size_t nr = 0;

		if (err)
			return err;
		/* (Not r->buf + 0 while it is still NULL: undefined, even adding nothing.) */
		c.p = len ? r->buf : (const uint8_t *)"";
		c.end = c.p + len;
		c.bad = NULL;
		switch (tag) {
		case TAG_META:
		case TAG_RUN:
		case TAG_PROC:
		case TAG_THRD:
		case TAG_LOCK:
		case TAG_CONC:
			if (stage >= AT_STREAM || tag != stage_tag[stage])
				goto out_of_place;
			break;
		case TAG_EVTS:
		case TAG_END:
			if (stage != AT_STREAM)
				goto out_of_place;
			break;
		default:
			continue; /* a later version's addition: skipped */
		}

		err = 0;
		switch (tag) {
		case TAG_META:
			parse_meta(&c, meta);
			break;
		case TAG_RUN:
			err = parse_run(&c, run);
			break;
		case TAG_PROC:
			err = parse_procs(&c, run);
			break;
		case TAG_THRD:
			err = parse_threads(&c, run);
			break;
		case TAG_LOCK:
			err = parse_locks(&c, run);
			break;
		case TAG_CONC:
			err = parse_concurrency(&c, &run->concurrency);
			break;
		case TAG_EVTS:
			if (!meta->has_stream)
				return fail(r, -EBADMSG,
					    "recording is malformed: it holds an event stream "
					    "but says it was made without one");
			err = parse_chunk(r, &c, &cpu, &nr);
			break;
		case TAG_END:
			if (get_u(&c) != chunks || get_u(&c) != records)
				cur_bad(&c, "the counts disagree with the event stream");
			break;
		}
		if (err)
			return fail_oom(r);
		if (!c.bad && c.p != c.end)
			cur_bad(&c, "bytes are left over");
		if (c.bad)
			return fail(r, -EBADMSG, "recording is malformed: %s in the %s", c.bad,
				    section_name(tag));
		if (tag == TAG_EVTS) {
			chunks++;
			records += nr;
			err = stream ? cp_stream_add(stream, cpu, r->recs, nr) : 0;
			if (err)
				return fail(r, err, "cannot keep the event stream: %s",
					    strerror(-err));
		}
		if (tag == TAG_END)
			stage = AT_DONE;
		else if (tag != TAG_EVTS)
			stage++;
		continue;
out_of_place:
		return fail(r, -EBADMSG, "recording is malformed: the %s is out of place",
			    section_name(tag));
	}
	return 0;
}

int cp_recfile_read(FILE *in, struct cp_run *run, struct cp_stream *stream,
		    struct cp_recfile_meta *meta, char *err, size_t errlen)
{
	struct reader r = { .in = in, .err = err, .errlen = errlen };
	int ret;

	*run = (struct cp_run){ 0 };
	*meta = (struct cp_recfile_meta){ 0 };
	if (err && errlen)
		err[0] = '\0';
	ret = read_header(&r, meta);
	if (!ret)
		ret = read_sections(&r, run, stream, meta);
	if (!ret) {
		uint8_t extra;
		int io_err = 0;

		if (read_bytes(&r, &extra, 1, &io_err))
			ret = fail(&r, -EBADMSG,
				   "recording is corrupted: bytes follow its end marker");
		else if (io_err)
			ret = fail_io(&r, io_err);
	}
	free(r.buf);
	free(r.recs);
	if (ret)
		cp_run_free(run);
	return ret;
}
