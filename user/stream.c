// SPDX-License-Identifier: GPL-2.0
#include "stream.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cp_stream_init(struct cp_stream *s)
{
	const char *dir = getenv("TMPDIR");

	*s = (struct cp_stream){ .dir = dir && *dir ? dir : "/tmp" };
}

/* An unnamed file: nothing to clean up, whatever way concprof ends. */
static FILE *spool_file(const char *dir)
{
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	FILE *f;

	if (fd < 0)
		return tmpfile();
	f = fdopen(fd, "w+");
	if (!f)
		close(fd);
	return f;
}

int cp_stream_add(struct cp_stream *s, unsigned int cpu, const struct cp_rec *recs, size_t nr)
{
	struct cp_stream_cpu *c;

	if (cpu >= 65536)
		return -EINVAL;
	if (cpu >= s->nr_cpus) {
		struct cp_stream_cpu *cpus = realloc(s->cpus, (cpu + 1) * sizeof(*cpus));

		if (!cpus)
			return -ENOMEM;
		memset(cpus + s->nr_cpus, 0, (cpu + 1 - s->nr_cpus) * sizeof(*cpus));
		s->cpus = cpus;
		s->nr_cpus = cpu + 1;
	}
	c = &s->cpus[cpu];
	if (!nr)
		return 0;
	if (!c->f && !(c->f = spool_file(s->dir)))
		return -errno;
	if (fwrite(recs, sizeof(*recs), nr, c->f) != nr)
		return errno ? -errno : -EIO;
	c->records += nr;
	s->records += nr;
	return 0;
}

int cp_stream_add_batch(struct cp_stream *s, const void *data, size_t size)
{
	const struct cp_batch *b = data;

	if (size < CP_BATCH_HDR || b->nr > CP_BATCH_RECS ||
	    size < CP_BATCH_HDR + (size_t)b->nr * sizeof(struct cp_rec)) {
		s->bad_batches++;
		return 0;
	}
	return cp_stream_add(s, b->cpu, (const struct cp_rec *)((const char *)data + CP_BATCH_HDR),
			     b->nr);
}

struct head {
	struct cp_rec rec;
	unsigned int cpu;
};

static bool before(const struct head *a, const struct head *b)
{
	return a->rec.ts_ns != b->rec.ts_ns ? a->rec.ts_ns < b->rec.ts_ns : a->cpu < b->cpu;
}

static void sift_down(struct head *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		struct head t;

		if (l < n && before(&h[l], &h[m]))
			m = l;
		if (l + 1 < n && before(&h[l + 1], &h[m]))
			m = l + 1;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

/* The next record of a CPU's file: 1, or 0 at its end, or -errno. */
static int next_rec(struct cp_stream_cpu *c, struct cp_rec *rec)
{
	if (fread(rec, sizeof(*rec), 1, c->f) == 1)
		return 1;
	return ferror(c->f) ? -EIO : 0;
}

int cp_stream_each(struct cp_stream *s, cp_stream_fn fn, void *ctx)
{
	struct head *heap = calloc(s->nr_cpus ? s->nr_cpus : 1, sizeof(*heap));
	size_t n = 0;
	int ret = 0;

	if (!heap)
		return -ENOMEM;
	for (size_t cpu = 0; cpu < s->nr_cpus; cpu++) {
		struct cp_stream_cpu *c = &s->cpus[cpu];

		if (!c->f)
			continue;
		if (fflush(c->f) || fseeko(c->f, 0, SEEK_SET)) {
			ret = -errno;
			goto out;
		}
		ret = next_rec(c, &heap[n].rec);
		if (ret < 0)
			goto out;
		if (ret)
			heap[n++].cpu = cpu;
	}
	for (size_t i = n / 2; i-- > 0;)
		sift_down(heap, n, i);
	ret = 0;
	while (n) {
		unsigned int cpu = heap[0].cpu;

		ret = fn(ctx, cpu, &heap[0].rec);
		if (ret)
			break;
		ret = next_rec(&s->cpus[cpu], &heap[0].rec);
		if (ret < 0)
			break;
		if (!ret)
			heap[0] = heap[--n];
		ret = 0;
		sift_down(heap, n, 0);
	}
out:
	free(heap);
	/* Appending may go on after a pass (not done today, but cheap to allow). */
	for (size_t cpu = 0; cpu < s->nr_cpus; cpu++)
		if (s->cpus[cpu].f)
			fseeko(s->cpus[cpu].f, 0, SEEK_END);
	return ret;
}

void cp_stream_free(struct cp_stream *s)
{
	for (size_t cpu = 0; cpu < s->nr_cpus; cpu++)
		if (s->cpus[cpu].f)
			fclose(s->cpus[cpu].f);
	free(s->cpus);
	s->cpus = NULL;
	s->nr_cpus = 0;
}
