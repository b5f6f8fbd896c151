// SPDX-License-Identifier: MIT
/*
 * download: fetch a set of files over HTTP in one of four concurrency models, verify each
 * against a manifest, and report the bytes and the time taken, as in the lecture:
 *
 *   TOTAL BYTES: 19_955_565
 *   CPU times: user 732 ms, sys: 262 ms, total: 994 ms
 *   Wall time: 16.4 s
 *
 * Modes:
 *   seq      one file after the other, on one reused connection
 *   threads  a pool of N pthreads taking files from a shared counter
 *   procs    a pool of N forked processes taking file numbers from a pipe and sending their
 *            results (size, SHA-256, error) back to the parent through another pipe
 *   async    one thread driving N transfers at once with libcurl's multi interface: the
 *            event loop model of asyncio and coroutines
 *
 * Whatever the mode, every result ends up in the parent, which checks each file's size and
 * SHA-256 against the manifest and prints one line per failure on stderr.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "sha256.h"

#define DEFAULT_BASE_URL "http://127.0.0.1:8000"
#define DEFAULT_WORKERS 8
#define DEFAULT_TIMEOUT 30.0
#define MAX_WORKERS 1000
#define MAX_CONNECT_TIMEOUT 10.0
#define USER_AGENT "concprof-download/1.0 (teaching demo; libcurl)"

enum mode { MODE_SEQ, MODE_THREADS, MODE_PROCS, MODE_ASYNC };
static const char *const mode_names[] = { "seq", "threads", "procs", "async" };

static struct {
	enum mode mode;
	unsigned workers;
	char *base_url;		/* without a trailing '/' */
	const char *manifest;	/* URL, file or "-" */
	const char *urls;	/* file or "-" */
	const char *out_dir;
	double timeout;
	bool verbose;
} opt = {
	.mode = MODE_SEQ,
	.workers = DEFAULT_WORKERS,
	.timeout = DEFAULT_TIMEOUT,
};

/* One file to fetch. size < 0 and sha256 "" mean "unknown, do not check". */
struct entry {
	char *url;
	char *name;		/* file name under --out */
	int64_t size;
	char sha256[SHA256_HEX_LEN + 1];
};

static struct entry *entries;
static unsigned n_entries;

/*
 * What a worker found out about one file. Plain data with no pointers, so that worker
 * processes can send it to the parent through a pipe as it is.
 */
struct result {
	bool done;		/* a worker finished with this file */
	bool transferred;	/* HTTP 200 and the whole body arrived */
	uint64_t bytes;
	unsigned char digest[SHA256_DIGEST_LEN];
	double seconds;
	char error[400];
};

static struct result *results;

/* One transfer in flight: where its body goes and how it is doing. */
struct transfer {
	CURL *curl;
	unsigned index;
	struct sha256 sha;
	uint64_t bytes;
	FILE *out;
	char *part_path;	/* --out DIR/NAME.part while downloading */
	bool write_failed;
	int write_errno;
	double start;
	char status_line[128];	/* "HTTP/1.1 503 Service Unavailable" */
	char errbuf[CURL_ERROR_SIZE];
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct transfer *t = userdata;
	size_t len = size * nmemb;
	long code = 0;

	/* With redirects or errors the body is not the file: count only a 200's body. */
	curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200)
		return len;
	if (sha256_update(&t->sha, data, len)) {
		t->write_failed = true;
		t->write_errno = ENOMEM;
		return 0;
	}
	t->bytes += len;
	if (t->out && fwrite(data, 1, len, t->out) != len) {
		t->write_failed = true;
		t->write_errno = errno;
		return 0;	/* makes libcurl abort with CURLE_WRITE_ERROR */
	}
	return len;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct transfer *t = userdata;
	size_t len = size * nmemb, n = len;

	/* Keep the last status line: after a redirect, it is the final response's. */
	if (len > 5 && !memcmp(data, "HTTP/", 5)) {
		while (n && (data[n - 1] == '\r' || data[n - 1] == '\n'))
			n--;
		if (n >= sizeof(t->status_line))
			n = sizeof(t->status_line) - 1;
		memcpy(t->status_line, data, n);
		t->status_line[n] = '\0';
	}
	return len;
}

static CURL *new_handle(struct transfer *t)
{
	CURL *c = curl_easy_init();
	double connect = opt.timeout < MAX_CONNECT_TIMEOUT ? opt.timeout : MAX_CONNECT_TIMEOUT;

	if (!c)
		die("libcurl: cannot create a handle");
	memset(t, 0, sizeof(*t));
	t->curl = c;
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);	/* required with threads */
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, USER_AGENT);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(opt.timeout * 1000));
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(connect * 1000));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(c, CURLOPT_PRIVATE, t);
	return c;
}

/* Gets a transfer ready for file i. Returns false, with r filled in, if it cannot start. */
static bool begin_transfer(struct transfer *t, unsigned i, struct result *r)
{
	const struct entry *e = &entries[i];

	t->index = i;
	t->bytes = 0;
	t->write_failed = false;
	t->status_line[0] = '\0';
	t->errbuf[0] = '\0';
	t->start = mono_now();
	if (sha256_init(&t->sha))
		die("out of memory for a SHA-256 context");
	memset(r, 0, sizeof(*r));
	if (opt.out_dir) {
		t->part_path = xasprintf("%s/%s.part", opt.out_dir, e->name);
		t->out = fopen(t->part_path, "wb");
		if (!t->out) {
			snprintf(r->error, sizeof(r->error), "cannot create %s: %s", t->part_path,
				 strerror(errno));
			free(t->part_path);
			t->part_path = NULL;
			r->done = true;
			return false;
		}
	}
	curl_easy_setopt(t->curl, CURLOPT_URL, e->url);
	return true;
}

static void describe_curl_error(CURLcode rc, const struct transfer *t, char *buf, size_t len)
{
	const char *what, *detail = t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc);

	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		what = "cannot connect (is the server running?)";
		break;
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(buf, len, "timed out after %g s (--timeout): %s", opt.timeout, detail);
		return;
	case CURLE_COULDNT_RESOLVE_HOST:
		what = "cannot resolve the host name";
		break;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		what = "bad URL";
		break;
	case CURLE_PARTIAL_FILE:
		what = "the connection closed before the end of the file";
		break;
	case CURLE_GOT_NOTHING:
		what = "the server closed the connection without answering";
		break;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		what = "network error";
		break;
	default:
		what = "transfer failed";
		break;
	}
	snprintf(buf, len, "%s: %s", what, detail);
}

/* Records how the transfer of t ended; rc is libcurl's verdict. */
static void end_transfer(struct transfer *t, CURLcode rc, struct result *r)
{
	const struct entry *e = &entries[t->index];
	long code = 0;

	curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &code);
	r->done = true;
	r->seconds = mono_now() - t->start;
	if (t->write_failed) {
		snprintf(r->error, sizeof(r->error), "cannot write %s: %s",
			 t->part_path ? t->part_path : "the checksum", strerror(t->write_errno));
	} else if (rc != CURLE_OK) {
		describe_curl_error(rc, t, r->error, sizeof(r->error));
	} else if (code != 200) {
		/* The status line has the reason phrase; fall back to the bare code. */
		const char *reason = strchr(t->status_line, ' ');

		if (reason)
			snprintf(r->error, sizeof(r->error), "HTTP%s", reason);
		else
			snprintf(r->error, sizeof(r->error), "HTTP %ld", code);
	} else {
		r->bytes = t->bytes;
		r->transferred = sha256_final(&t->sha, r->digest) == 0;
		if (!r->transferred)
			snprintf(r->error, sizeof(r->error), "cannot compute the SHA-256");
	}
	sha256_discard(&t->sha); /* a no-op after sha256_final */

	if (t->out) {
		if (fclose(t->out) && r->transferred) {
			r->transferred = false;
			snprintf(r->error, sizeof(r->error), "cannot write %s: %s", t->part_path,
				 strerror(errno));
		}
		t->out = NULL;
		if (r->transferred) {
			char *path = xasprintf("%s/%s", opt.out_dir, e->name);

			if (rename(t->part_path, path)) {
				r->transferred = false;
				snprintf(r->error, sizeof(r->error), "cannot rename %s: %s",
					 t->part_path, strerror(errno));
			}
			free(path);
		}
		if (!r->transferred)
			unlink(t->part_path);
		free(t->part_path);
		t->part_path = NULL;
	}
}

static void fetch_one(struct transfer *t, unsigned i, struct result *r)
{
	if (begin_transfer(t, i, r))
		end_transfer(t, curl_easy_perform(t->curl), r);
}

/* With --verbose, one line per file as it completes, from whichever thread or process. */
static void report_progress(unsigned i, const struct result *r)
{
	char bytes[32];

	if (!opt.verbose)
		return;
	if (r->transferred)
		fprintf(stderr, "  got  %-30s %12s bytes  %6.2f s\n", entries[i].name,
			fmt_thousands(r->bytes, bytes), r->seconds);
	else
		fprintf(stderr, "  FAIL %-30s %s\n", entries[i].name, r->error);
}

/* ---- the four concurrency models ---------------------------------------------------- */

static void run_seq(void)
{
	struct transfer t;
	unsigned i;

	new_handle(&t);
	for (i = 0; i < n_entries; i++) {
		fetch_one(&t, i, &results[i]);
		report_progress(i, &results[i]);
	}
	curl_easy_cleanup(t.curl);
}

static atomic_uint next_index;

static void *thread_worker(void *arg)
{
	struct transfer t;
	unsigned i;

	(void)arg;
	new_handle(&t);
	while ((i = atomic_fetch_add(&next_index, 1)) < n_entries) {
		fetch_one(&t, i, &results[i]);
		report_progress(i, &results[i]);
	}
	curl_easy_cleanup(t.curl);
	return NULL;
}

static void run_threads(void)
{
	pthread_t *tids = xcalloc(opt.workers, sizeof(*tids));
	unsigned k;
	int err;

	for (k = 0; k < opt.workers; k++) {
		err = pthread_create(&tids[k], NULL, thread_worker, NULL);
		if (err)
			die("cannot create thread %u: %s", k + 1, strerror(err));
	}
	for (k = 0; k < opt.workers; k++)
		pthread_join(tids[k], NULL);
	free(tids);
}

/* What a worker process sends back for each file: small enough for one atomic write. */
struct wire_result {
	uint32_t index;
	struct result r;
};

_Static_assert(sizeof(struct wire_result) <= PIPE_BUF, "results must be written atomically");

static void process_worker(int tasks, int replies)
{
	struct wire_result w;
	struct transfer t;
	uint32_t i;

	new_handle(&t);
	/* Each index was written with its own 4-byte write, so each read gets a whole one. */
	while (read_full(tasks, &i, sizeof(i)) && i < n_entries) {
		memset(&w, 0, sizeof(w));
		w.index = i;
		fetch_one(&t, i, &w.r);
		report_progress(i, &w.r);
		if (!write_full(replies, &w, sizeof(w)))
			_exit(1);	/* the parent is gone */
	}
	curl_easy_cleanup(t.curl);
}

static void run_procs(void)
{
	pid_t *pids = xcalloc(opt.workers, sizeof(*pids));
	int tasks[2], replies[2];
	struct wire_result w;
	unsigned k;
	uint32_t i;

	if (pipe2(tasks, O_CLOEXEC) || pipe2(replies, O_CLOEXEC))
		die("pipe: %m");
	fflush(NULL);	/* or the children would print the parent's buffered output again */
	for (k = 0; k < opt.workers; k++) {
		pids[k] = fork();
		if (pids[k] < 0)
			die("fork: %m");
		if (pids[k] == 0) {
			close(tasks[1]);
			close(replies[0]);
			process_worker(tasks[0], replies[1]);
			fflush(NULL);
			_exit(0);
		}
	}
	close(tasks[0]);
	close(replies[1]);

	for (i = 0; i < n_entries; i++)
		if (!write_full(tasks[1], &i, sizeof(i)))
			break;	/* every worker died; the missing results say so below */
	close(tasks[1]);	/* end of work: each worker's next read returns 0 */

	while (read_full(replies[0], &w, sizeof(w)))
		if (w.index < n_entries && !results[w.index].done)
			results[w.index] = w.r;
	close(replies[0]);

	for (k = 0; k < opt.workers; k++) {
		int status;

		while (waitpid(pids[k], &status, 0) < 0 && errno == EINTR)
			;
		if (WIFSIGNALED(status))
			fprintf(stderr, "%s: worker process %d killed by signal %d (%s)\n",
				prog_name, (int)pids[k], WTERMSIG(status),
				strsignal(WTERMSIG(status)));
		else if (WEXITSTATUS(status))
			fprintf(stderr, "%s: worker process %d exited with status %d\n",
				prog_name, (int)pids[k], WEXITSTATUS(status));
	}
	for (i = 0; i < n_entries; i++)
		if (!results[i].done)
			snprintf(results[i].error, sizeof(results[i].error),
				 "no result: the worker process died");
	free(pids);
}

static void run_async(void)
{
	unsigned slots = opt.workers < n_entries ? opt.workers : n_entries, k, active = 0;
	struct transfer *t = xcalloc(slots, sizeof(*t));
	CURLM *multi = curl_multi_init();
	unsigned next = 0;

	if (!multi)
		die("libcurl: cannot create a multi handle");

	/* Starts the next file on slot k, skipping files that cannot even start. */
	for (k = 0; k < slots; k++)
		new_handle(&t[k]);
	for (k = 0; k < slots; k++) {
		while (next < n_entries && !begin_transfer(&t[k], next, &results[next])) {
			report_progress(next, &results[next]);
			next++;
		}
		if (next >= n_entries)
			break;
		next++;
		curl_multi_add_handle(multi, t[k].curl);
		active++;
	}

	while (active) {
		struct CURLMsg *msg;
		int running, queued;
		CURLMcode mc = curl_multi_perform(multi, &running);

		if (mc != CURLM_OK)
			die("libcurl: %s", curl_multi_strerror(mc));
		while ((msg = curl_multi_info_read(multi, &queued))) {
			struct transfer *done;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&done);
			end_transfer(done, msg->data.result, &results[done->index]);
			report_progress(done->index, &results[done->index]);
			curl_multi_remove_handle(multi, done->curl);
			active--;
			/* Reuse the handle, and so its connection, for the next file. */
			while (next < n_entries && !begin_transfer(done, next, &results[next])) {
				report_progress(next, &results[next]);
				next++;
			}
			if (next < n_entries) {
				next++;
				curl_multi_add_handle(multi, done->curl);
				active++;
			}
		}
		if (active) {
			mc = curl_multi_poll(multi, NULL, 0, 1000, NULL);
			if (mc != CURLM_OK)
				die("libcurl: %s", curl_multi_strerror(mc));
		}
	}
	for (k = 0; k < slots; k++)
		curl_easy_cleanup(t[k].curl);
	curl_multi_cleanup(multi);
	free(t);
}

/* ---- manifest --------------------------------------------------------------------- */

struct buffer {
	char *data;
	size_t len;
};

static size_t on_manifest(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct buffer *b = userdata;
	size_t len = size * nmemb;

	if (b->len + len > 64 << 20)
		return 0;	/* no manifest is that large: refuse rather than eat memory */
	b->data = realloc(b->data, b->len + len + 1);
	if (!b->data)
		die("out of memory");
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return len;
}

static char *fetch_text(const char *url)
{
	struct buffer b = { xstrdup(""), 0 };
	struct transfer t;
	CURLcode rc;
	long code = 0;
	char why[512];

	new_handle(&t);
	curl_easy_setopt(t.curl, CURLOPT_URL, url);
	curl_easy_setopt(t.curl, CURLOPT_WRITEFUNCTION, on_manifest);
	curl_easy_setopt(t.curl, CURLOPT_WRITEDATA, &b);
	rc = curl_easy_perform(t.curl);
	curl_easy_getinfo(t.curl, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK) {
		describe_curl_error(rc, &t, why, sizeof(why));
		die("cannot fetch the list of files %s: %s%s", url, why,
		    rc == CURLE_COULDNT_CONNECT ?
		    "\n(is imgserver running? Start it first, e.g.: workloads/imgserver &)" : "");
	}
	if (code != 200)
		die("cannot fetch the list of files %s: %s", url,
		    t.status_line[0] ? t.status_line : "no HTTP status");
	curl_easy_cleanup(t.curl);
	return b.data;
}

static char *read_text(const char *path)
{
	struct buffer b = { xstrdup(""), 0 };
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char chunk[65536];
	size_t n;

	if (!f)
		die("cannot open %s: %m", path);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		on_manifest(chunk, 1, n, &b);
	if (ferror(f))
		die("cannot read %s: %m", path);
	if (f != stdin)
		fclose(f);
	return b.data;
}

static bool is_url(const char *s)
{
	return strstr(s, "://") != NULL;
}

/* The last path segment of a URL, without query or fragment, as a safe file name. */
static char *file_name(const char *url, unsigned i)
{
	const char *start = url, *end, *p;
	char *name;

	if (is_url(url))
		start = strchr(strstr(url, "://") + 3, '/');
	if (!start)
		start = "";
	end = start + strcspn(start, "?#");
	for (p = start; p < end; p++)
		if (*p == '/')
			start = p + 1;
	name = strndup(start, (size_t)(end - start));
	if (!name)
		die("out of memory");
	if (!*name || !strcmp(name, ".") || !strcmp(name, "..")) {
		free(name);
		name = xasprintf("file-%u", i + 1);
	}
	return name;
}

static void add_entry(const char *path, int64_t size, const char *sha, unsigned line)
{
	struct entry *e;
	unsigned i;

	if (n_entries % 64 == 0) {
		entries = realloc(entries, (n_entries + 64) * sizeof(*entries));
		if (!entries)
			die("out of memory");
	}
	e = &entries[n_entries];
	memset(e, 0, sizeof(*e));
	e->url = is_url(path) ? xstrdup(path) :
		 xasprintf("%s/%s", opt.base_url, path + (path[0] == '/'));
	e->name = file_name(e->url, n_entries);
	e->size = size;
	if (sha)
		snprintf(e->sha256, sizeof(e->sha256), "%s", sha);
	/* Two URLs may end in the same name; number the later one so that neither is lost. */
	for (i = 0; i < n_entries; i++) {
		if (!strcmp(entries[i].name, e->name)) {
			char *numbered = xasprintf("%u-%s", line, e->name);

			free(e->name);
			e->name = numbered;
			break;
		}
	}
	n_entries++;
}

static bool is_hex_digest(const char *s)
{
	return strlen(s) == SHA256_HEX_LEN && strspn(s, "0123456789abcdef") == SHA256_HEX_LEN;
}

/*
 * A manifest line is "PATH SIZE SHA256": PATH is relative to the base URL or a full URL,
 * SIZE and SHA256 may be '-' for unknown. With urls_only, a line is just a URL or path.
 */
static void parse_list(char *text, const char *source, bool urls_only)
{
	char *save = NULL, *line;
	unsigned lineno = 0;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *fields[4] = { 0 }, *fsave = NULL, *f;
		unsigned n = 0;
		double size = -1;

		lineno++;
		for (f = strtok_r(line, " \t\r", &fsave); f && n < 4;
		     f = strtok_r(NULL, " \t\r", &fsave))
			fields[n++] = f;
		if (!n || fields[0][0] == '#')
			continue;
		if (urls_only) {
			if (n != 1)
				die("%s:%u: expected one URL per line", source, lineno);
			add_entry(fields[0], -1, NULL, lineno);
			continue;
		}
		if (n != 3)
			die("%s:%u: expected 'PATH SIZE SHA256' (see --help)", source, lineno);
		if (strcmp(fields[1], "-") && !parse_ranged(fields[1], 0, 9e15, true, &size))
			die("%s:%u: bad size '%s'", source, lineno, fields[1]);
		if (strcmp(fields[2], "-") && !is_hex_digest(fields[2]))
			die("%s:%u: bad SHA-256 '%s' (64 lower-case hex digits or '-')", source,
			    lineno, fields[2]);
		add_entry(fields[0], (int64_t)size, strcmp(fields[2], "-") ? fields[2] : NULL,
			  lineno);
	}
	if (!n_entries)
		die("%s lists no files", source);
}

static void load_list(void)
{
	const char *source = opt.urls ? opt.urls : opt.manifest;
	char *default_manifest = NULL, *text;

	if (!source)
		source = default_manifest = xasprintf("%s/manifest.txt", opt.base_url);
	text = is_url(source) ? fetch_text(source) : read_text(source);
	parse_list(text, source, opt.urls != NULL);
	free(text);
	free(default_manifest);
}

/* ---- verification and report --------------------------------------------------------- */

/* Checks file i against the manifest. Returns false, after saying why on stderr, if bad. */
static bool verify(unsigned i)
{
	const struct entry *e = &entries[i];
	const struct result *r = &results[i];
	char why[600], hex[SHA256_HEX_LEN + 1], got[32], want[32];

	why[0] = '\0';
	sha256_hex(r->digest, hex);
	if (!r->transferred)
		snprintf(why, sizeof(why), "%s", r->error[0] ? r->error : "not downloaded");
	else if (e->size >= 0 && r->bytes != (uint64_t)e->size)
		snprintf(why, sizeof(why), "got %s bytes, the manifest says %s",
			 fmt_thousands(r->bytes, got), fmt_thousands((uint64_t)e->size, want));
	else if (e->sha256[0] && strcmp(hex, e->sha256))
		snprintf(why, sizeof(why), "SHA-256 %s, the manifest says %s", hex, e->sha256);
	if (!why[0])
		return true;

	fprintf(stderr, "%s: FAILED %s: %s\n", prog_name, e->url, why);
	if (r->transferred && opt.out_dir) {
		/* Do not leave a corrupt file where a good one is expected. */
		char *path = xasprintf("%s/%s", opt.out_dir, e->name);

		unlink(path);
		free(path);
	}
	return false;
}

/* ---- command line ------------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [OPTION]...\n"
		"Download a set of files over HTTP one after the other or concurrently,\n"
		"check each one's size and SHA-256 against a manifest, and print the total\n"
		"bytes and the time taken, as the lecture does.\n"
		"\n"
		"  -m, --mode MODE      seq      one file after the other (default)\n"
		"                       threads  a pool of WORKERS threads\n"
		"                       procs    a pool of WORKERS processes (fork)\n"
		"                       async    one thread, WORKERS transfers at once with\n"
		"                                libcurl's multi interface (an event loop)\n"
		"  -n, --workers N      threads, processes or simultaneous transfers (default %d)\n"
		"  -u, --base-url URL   server to download from (default %s)\n"
		"  -M, --manifest SRC   manifest URL or file ('-' = stdin) (default\n"
		"                       BASE-URL/manifest.txt). Lines: PATH SIZE SHA256,\n"
		"                       where PATH is relative to BASE-URL or a full URL;\n"
		"                       SIZE and SHA256 may be '-' (not checked); '#' starts\n"
		"                       a comment line\n"
		"  -U, --urls FILE      instead of a manifest, a plain list of URLs, one per\n"
		"                       line: only the HTTP status is checked\n"
		"  -o, --out DIR        save the files in DIR (default: discard them)\n"
		"  -t, --timeout S      give up on a file after S seconds (default %g)\n"
		"  -v, --verbose        one line per file on stderr as it completes\n"
		"  -h, --help           show this help\n"
		"\n"
		"Prints TOTAL BYTES (of the files that arrived intact) and the CPU and wall time\n"
		"of the downloads; each failed file (HTTP error, timeout, refused connection, bad\n"
		"size or checksum) gets a line on stderr. Exit status: 0 if every file arrived\n"
		"intact, 1 if any failed, 2 for a bad command line.\n"
		"\n"
		"Examples (start the server first, outside the program being measured):\n"
		"  workloads/imgserver &\n"
		"  %s                          # sequential, ~15 s\n"
		"  %s --mode threads -n 16\n"
		"  %s --mode async --out /tmp/imgs\n"
		"  sudo ./concprof -- %s --mode procs -n 4\n"
		"  %s --urls wikimedia-urls.txt --mode threads   # real servers, with internet\n",
		prog_path, DEFAULT_WORKERS, DEFAULT_BASE_URL, DEFAULT_TIMEOUT, prog_path,
		prog_path, prog_path, prog_path, prog_path);
}

static void parse_args(int argc, char **argv)
{
	static const struct option options[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "workers", required_argument, NULL, 'n' },
		{ "base-url", required_argument, NULL, 'u' },
		{ "manifest", required_argument, NULL, 'M' },
		{ "urls", required_argument, NULL, 'U' },
		{ "out", required_argument, NULL, 'o' },
		{ "timeout", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *base = DEFAULT_BASE_URL;
	struct stat st;
	size_t len;
	double v;
	int c;
	unsigned m;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":m:n:u:M:U:o:t:vh", options, NULL)) != -1) {
		switch (c) {
		case 'm':
			for (m = 0; m < 4 && strcmp(optarg, mode_names[m]); m++)
				;
			if (m == 4)
				usage_error("unknown mode '%s' (seq, threads, procs or async)",
					    optarg);
			opt.mode = (enum mode)m;
			break;
		case 'n':
			if (!parse_ranged(optarg, 1, MAX_WORKERS, true, &v))
				usage_error("invalid number of workers '%s' (1 to %d)", optarg,
					    MAX_WORKERS);
			opt.workers = (unsigned)v;
			break;
		case 'u':
			base = optarg;
			break;
		case 'M':
			opt.manifest = optarg;
			break;
		case 'U':
			opt.urls = optarg;
			break;
		case 'o':
			opt.out_dir = optarg;
			break;
		case 't':
			if (!parse_ranged(optarg, 0.001, 86400, false, &v))
				usage_error("invalid timeout '%s' (seconds, 0.001 to 86400)",
					    optarg);
			opt.timeout = v;
			break;
		case 'v':
			opt.verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			usage_error("option '%s' needs an argument", argv[optind - 1]);
		default:
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (opt.manifest && opt.urls)
		usage_error("--manifest and --urls exclude each other");
	if (strncmp(base, "http://", 7) && strncmp(base, "https://", 8))
		usage_error("the base URL must start with http:// or https://, not '%s'", base);
	if (opt.out_dir && (stat(opt.out_dir, &st) || !S_ISDIR(st.st_mode)))
		usage_error("--out %s: not a directory", opt.out_dir);

	opt.base_url = xstrdup(base);
	len = strlen(opt.base_url);
	while (len > 8 && opt.base_url[len - 1] == '/')
		opt.base_url[--len] = '\0';
	if (opt.mode == MODE_SEQ)
		opt.workers = 1;
}

int main(int argc, char **argv)
{
	unsigned i, ok = 0, workers;
	uint64_t total = 0;
	struct cpu_usage cpu;
	double start, wall;
	char bytes[32];

	set_prog_name(argv[0]);
	parse_args(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		die("libcurl: global initialisation failed");

	load_list();
	results = xcalloc(n_entries, sizeof(*results));
	workers = opt.workers < n_entries ? opt.workers : n_entries;
	opt.workers = workers;

	/* Measure the downloads only, as %time does around the download function. */
	cpu = cpu_usage_now();
	start = mono_now();
	switch (opt.mode) {
	case MODE_SEQ:
		run_seq();
		break;
	case MODE_THREADS:
		run_threads();
		break;
	case MODE_PROCS:
		run_procs();
		break;
	case MODE_ASYNC:
		run_async();
		break;
	}
	wall = mono_now() - start;

	for (i = 0; i < n_entries; i++) {
		if (verify(i)) {
			ok++;
			total += results[i].bytes;
		}
	}
	printf("%u files: %u ok, %u failed (mode %s, %u worker%s)\n", n_entries, ok,
	       n_entries - ok, mode_names[opt.mode], workers, workers == 1 ? "" : "s");
	printf("TOTAL BYTES: %s\n", fmt_thousands(total, bytes));
	print_times(stdout, cpu, wall);
	fflush(stdout);
	if (ok < n_entries)
		fprintf(stderr, "%s: %u of %u files failed\n", prog_name, n_entries - ok,
			n_entries);

	for (i = 0; i < n_entries; i++) {
		free(entries[i].url);
		free(entries[i].name);
	}
	free(entries);
	free(results);
	free(opt.base_url);
	curl_global_cleanup();
	return ok == n_entries ? 0 : 1;
}
