// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the recording reader (tests/fuzz/run builds and runs it). Whatever the
 * bytes, reading must fail with a sentence or give a run that the JSON export writes and the
 * writer writes again: what the reader accepts, the writer must be able to write, and the
 * rewritten file must read back to the same JSON.
 *
 * Built with FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, which makes the reader skip its CRC
 * checks: mutated bytes then reach the parsers instead of stopping at the first checksum.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "recfile.h"
#include "stream.h"

static FILE *open_bytes(const uint8_t *data, size_t size)
{
	/* fmemopen refuses a size of 0 */
	return size ? fmemopen((void *)data, size, "r") : fopen("/dev/null", "r");
}

static char *export(const struct cp_run *run)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f || cp_json_write(f, run) || fclose(f))
		__builtin_trap();
	return text;
}

static int count(void *ctx, unsigned int cpu, const struct cp_rec *rec)
{
	(void)cpu;
	(void)rec;
	++*(uint64_t *)ctx;
	return 0;
}

/* Writes what was read, reads it again: the same JSON, the same number of records. */
static void rewrite(const struct cp_run *run, struct cp_stream *s,
		    const struct cp_recfile_meta *meta, const char *json)
{
	struct cp_recfile_meta meta2;
	struct cp_stream s2;
	struct cp_run run2;
	char err[256], *buf = NULL, *json2;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f || cp_recfile_write(f, run, meta->has_stream ? s : NULL, meta) || fclose(f))
		__builtin_trap();
	f = open_bytes((const uint8_t *)buf, len);
	cp_stream_init(&s2);
	if (!f || cp_recfile_read(f, &run2, &s2, &meta2, err, sizeof(err))) {
		fprintf(stderr, "rewritten recording unreadable: %s\n", err);
		__builtin_trap();
	}
	fclose(f);
	json2 = export(&run2);
	if (strcmp(json, json2) || s2.records != s->records || meta2.origin_ns != meta->origin_ns)
		__builtin_trap();
	free(json2);
	free(buf);
	cp_run_free(&run2);
	cp_stream_free(&s2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cp_recfile_meta meta;
	struct cp_stream s;
	struct cp_run run;
	uint64_t seen = 0;
	char err[256];
	FILE *f = open_bytes(data, size);
	int ret;

	if (!f)
		return 0;
	cp_stream_init(&s);
	ret = cp_recfile_read(f, &run, &s, &meta, err, sizeof(err));
	fclose(f);
	if (ret) {
		/* a failure says why, and leaves nothing behind */
		if (!err[0] || strchr(err, '\n') || run.threads || run.argv)
			__builtin_trap();
	} else {
		char *json = export(&run);

		if (cp_stream_each(&s, count, &seen) || seen != s.records)
			__builtin_trap();
		rewrite(&run, &s, &meta, json);
		free(json);
	}
	cp_run_free(&run);
	cp_stream_free(&s);
	return 0;
}
