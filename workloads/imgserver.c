// SPDX-License-Identifier: MIT
/*
 * imgserver: a small HTTP server that plays "Wikipedia" for the download demo.
 *
 * The lecture downloads about 20 MB of images from Wikipedia: sequentially that takes 16 s
 * with the CPU busy 6% of the time, with threads 2.7 s. To show the same thing on a machine
 * without internet, imgserver serves a deterministic set of real PNG files and emulates the
 * two things that make the real download I/O bound: a delay before each response (latency)
 * and a bandwidth limit per connection. As on a real server, the limit is per connection, so
 * clients that open several connections get more in all.
 *
 * libmicrohttpd runs one thread per connection here, so pacing is just sleeping in the
 * content reader callback. Sleeps wait on a condition variable, so that SIGINT or SIGTERM
 * ends them at once and the server stops cleanly even in the middle of slow transfers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"
#include "images.h"

#define DEFAULT_PORT 8000
#define DEFAULT_LATENCY_MS 80
#define DEFAULT_RATE 1500000	/* bytes per second per connection */
#define DEFAULT_SEED 1
#define MAX_CONNECTIONS 1000
/* Pace in steps of at most 1/50 s of data, so that a transfer flows rather than jumps. */
#define PACE_STEPS_PER_SECOND 50

static struct config {
	struct in_addr bind;
	unsigned port;
	double latency;		/* seconds */
	double rate;		/* bytes per second per connection, 0 = unlimited */
	double error_rate;
	uint64_t seed;
	unsigned count;
	uint64_t total_bytes;
	bool verbose;
} cfg;

static struct image_set set;
/* How many times each image was asked for: the error decision depends on it, not on timing. */
static atomic_uint_fast64_t *image_requests;

static struct {
	atomic_uint_fast64_t requests, images, errors, not_found, bytes;
} stats;

static struct MHD_Response *manifest_response, *sums_response, *index_response;

/* Set on SIGINT/SIGTERM; every sleep waits on stop_cond so that it ends at once. */
static pthread_mutex_t stop_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stop_cond;
static bool stopping;

/* Sleeps until the CLOCK_MONOTONIC time deadline. Returns false if the server is stopping. */
static bool sleep_until(double deadline)
{
	struct timespec ts;
	bool stop;

	ts.tv_sec = (time_t)deadline;
	ts.tv_nsec = (long)((deadline - (double)ts.tv_sec) * 1e9);
	pthread_mutex_lock(&stop_lock);
	while (!stopping && mono_now() < deadline)
		if (pthread_cond_timedwait(&stop_cond, &stop_lock, &ts) == ETIMEDOUT)
			break;
	stop = stopping;
	pthread_mutex_unlock(&stop_lock);
	return !stop;
}

/*
 * Whether the k-th request for image i gets an error. A hash of (seed, image, k) rather
 * than a shared random stream, so that the same files fail whatever order concurrent
 * clients ask in: a sequential and a threaded download see the same failures.
 */
static bool inject_error(unsigned i, uint64_t k)
{
	uint64_t z = cfg.seed * 0x9e3779b97f4a7c15ULL ^ ((uint64_t)(i + 1) << 40) ^ k;

	if (cfg.error_rate <= 0)
		return false;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (double)(z >> 11) * 0x1.0p-53 < cfg.error_rate;
}

struct transfer {
	const struct image *img;
	double start;		/* when the first byte was asked for; 0 before */
};

/*
 * MHD calls this whenever the socket can take more of the body. The bytes up to pos + n are
 * handed over no earlier than start + (pos + n) / rate, so a file of S bytes takes S / rate
 * seconds on its connection, whatever the size of MHD's buffers.
 */
static ssize_t read_image(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct transfer *t = cls;
	size_t n = t->img->size - pos;

	if (pos >= t->img->size)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (n > max)
		n = max;
	if (cfg.rate > 0) {
		size_t step = (size_t)(cfg.rate / PACE_STEPS_PER_SECOND);

		if (step < 1)
			step = 1;
		if (n > step)
			n = step;
		if (t->start == 0)
			t->start = mono_now();
		if (!sleep_until(t->start + (double)(pos + n) / cfg.rate))
			return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	memcpy(buf, t->img->data + pos, n);
	atomic_fetch_add(&stats.bytes, n);
	return (ssize_t)n;
}

static enum MHD_Result queue_text(struct MHD_Connection *conn, unsigned status, const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
								 MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result queue_image(struct MHD_Connection *conn, unsigned i)
{
	struct transfer *t = xcalloc(1, sizeof(*t));
	struct MHD_Response *r;
	enum MHD_Result ret;

	t->img = &set.images[i];
	r = MHD_create_response_from_callback(t->img->size, 64 * 1024, read_image, t, free);
	if (!r) {
		free(t);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "image/png");
	ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static int find_image(const char *name)
{
	unsigned i;

	for (i = 0; i < set.count; i++)
		if (!strcmp(set.images[i].name, name))
			return (int)i;
	return -1;
}

static enum MHD_Result handle_request(void *cls, struct MHD_Connection *conn, const char *url,
				      const char *method, const char *version,
				      const char *upload_data, size_t *upload_data_size,
				      void **req_cls)
{
	static int headers_seen;
	unsigned status = MHD_HTTP_OK;
	enum MHD_Result ret;
	int i = -1;

	(void)cls, (void)version, (void)upload_data;

	/* The first call only announces the headers; answer on the next one, as MHD advises. */
	if (!*req_cls) {
		*req_cls = &headers_seen;
		return MHD_YES;
	}
	*upload_data_size = 0;	/* a request body, if any, is ignored */
	atomic_fetch_add(&stats.requests, 1);

	if (cfg.latency > 0 && !sleep_until(mono_now() + cfg.latency))
		return MHD_NO;	/* stopping: drop the connection */

	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
		ret = queue_text(conn, status, "405 Method Not Allowed: only GET and HEAD\n");
	} else if (!strcmp(url, "/manifest.txt")) {
		ret = MHD_queue_response(conn, status, manifest_response);
	} else if (!strcmp(url, "/SHA256SUMS")) {
		ret = MHD_queue_response(conn, status, sums_response);
	} else if (!strcmp(url, "/")) {
		ret = MHD_queue_response(conn, status, index_response);
	} else if (!strncmp(url, "/images/", 8) && (i = find_image(url + 8)) >= 0) {
		if (inject_error((unsigned)i, atomic_fetch_add(&image_requests[i], 1))) {
			atomic_fetch_add(&stats.errors, 1);
			status = MHD_HTTP_SERVICE_UNAVAILABLE;
			ret = queue_text(conn, status, "503 Service Unavailable "
				"(injected by imgserver --error-rate)\n");
		} else {
			atomic_fetch_add(&stats.images, 1);
			ret = queue_image(conn, (unsigned)i);
		}
	} else {
		atomic_fetch_add(&stats.not_found, 1);
		status = MHD_HTTP_NOT_FOUND;
		ret = queue_text(conn, status, "404 Not Found: see /manifest.txt\n");
	}
	if (cfg.verbose)
		fprintf(stderr, "imgserver: %s %s -> %u%s\n", method, url, status,
			i >= 0 && status == MHD_HTTP_OK ? " (image)" : "");
	return ret;
}

/* libmicrohttpd's own messages, except the expected ones about connections we drop to stop. */
static void log_mhd(void *cls, const char *fmt, va_list ap)
{
	bool stop;

	(void)cls;
	pthread_mutex_lock(&stop_lock);
	stop = stopping;
	pthread_mutex_unlock(&stop_lock);
	if (stop)
		return;
	fprintf(stderr, "imgserver: libmicrohttpd: ");
	vfprintf(stderr, fmt, ap);
}

static struct MHD_Response *static_response(char *text, const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), text,
								 MHD_RESPMEM_MUST_FREE);

	if (!r)
		die("libmicrohttpd: cannot create a response");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	return r;
}

/* Builds the text of a document line by line; dies when out of memory. */
struct text {
	char *buf;
	size_t len, cap;
};

__attribute__((format(printf, 2, 3))) static void append(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			die("cannot format text");
		if ((size_t)n < t->cap - t->len)
			break;
		t->cap = 2 * t->cap + (size_t)n + 1;
		t->buf = realloc(t->buf, t->cap);
		if (!t->buf)
			die("out of memory");
	}
	t->len += (size_t)n;
}

static void build_documents(void)
{
	struct text manifest = { xstrdup(""), 0, 1 }, sums = { xstrdup(""), 0, 1 };
	struct text index = { xstrdup(""), 0, 1 };
	char total[32];
	unsigned i;

	append(&manifest, "# concprof imgserver manifest: %u images, %s bytes in all\n"
		"# path size sha256 (path is relative to the server's base URL)\n",
		set.count, fmt_thousands(set.total, total));
	append(&index, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
		"<title>imgserver</title></head>\n<body><h1>imgserver</h1>\n"
		"<p>%u images, %s bytes. <a href=\"/manifest.txt\">manifest.txt</a> "
		"<a href=\"/SHA256SUMS\">SHA256SUMS</a></p>\n<ul>\n",
		set.count, total);
	for (i = 0; i < set.count; i++) {
		const struct image *img = &set.images[i];
		char size[32];

		append(&manifest, "images/%s %zu %s\n", img->name, img->size, img->sha256);
		append(&sums, "%s  %s\n", img->sha256, img->name);
		append(&index, "<li><a href=\"/images/%s\">%s</a> %ux%u, %s bytes</li>\n",
		       img->name, img->name, img->width, img->height,
		       fmt_thousands(img->size, size));
	}
	append(&index, "</ul></body></html>\n");

	manifest_response = static_response(manifest.buf, "text/plain; charset=utf-8");
	sums_response = static_response(sums.buf, "text/plain; charset=utf-8");
	index_response = static_response(index.buf, "text/html; charset=utf-8");
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [OPTION]...\n"
		"Serve a set of PNG images over HTTP with emulated latency, per-connection\n"
		"bandwidth and errors: the remote end of the download demo.\n"
		"\n"
		"  -p, --port PORT         TCP port (default %d); 0 picks a free one\n"
		"  -b, --bind ADDR         IPv4 address to listen on (default 127.0.0.1)\n"
		"  -l, --latency MS        delay before each response, in ms (default %d)\n"
		"  -r, --rate BYTES        bandwidth of each connection, bytes per second\n"
		"                          (default %d; suffixes k, M; 0 = unlimited)\n"
		"  -e, --error-rate F      fraction of image requests answered with\n"
		"                          '503 Service Unavailable' (0 to 1, default 0)\n"
		"  -s, --seed N            seed of the error choices (default %d): the same seed\n"
		"                          fails the same requests of each file\n"
		"  -c, --count N           number of images (default %d, at most %d)\n"
		"  -t, --total-bytes N     total size of the images, about (default %llu)\n"
		"  -v, --verbose           log each request on stderr\n"
		"  -h, --help              show this help\n"
		"\n"
		"Once listening it prints its URL, e.g. http://127.0.0.1:8000, on one line of\n"
		"stdout, and serves:\n"
		"  /                   an HTML index\n"
		"  /manifest.txt       one line per image: PATH SIZE SHA256 ('#': comment)\n"
		"  /SHA256SUMS         the checksums in sha256sum(1) format\n"
		"  /images/NAME.png    the images, generated at start-up: the same options always\n"
		"                      give the same files\n"
		"SIGINT or SIGTERM stops it; the exit status is then 0.\n"
		"\n"
		"Examples:\n"
		"  %s                         # the lecture's setting, ~15 s sequential\n"
		"  %s --port 0 &              # free port; read the URL from stdout\n"
		"  %s --latency 0 --rate 0    # as fast as loopback allows\n"
		"  %s --count 5 --total-bytes 2M --error-rate 0.2 --seed 7\n"
		"  curl -s http://127.0.0.1:8000/manifest.txt\n",
		prog_path, DEFAULT_PORT, DEFAULT_LATENCY_MS, DEFAULT_RATE, DEFAULT_SEED,
		IMAGES_DEFAULT_COUNT, IMAGES_MAX_COUNT, (unsigned long long)IMAGES_DEFAULT_TOTAL,
		prog_path, prog_path, prog_path, prog_path);
}

static void parse_args(int argc, char **argv)
{
	static const struct option options[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "bind", required_argument, NULL, 'b' },
		{ "latency", required_argument, NULL, 'l' },
		{ "rate", required_argument, NULL, 'r' },
		{ "error-rate", required_argument, NULL, 'e' },
		{ "seed", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'c' },
		{ "total-bytes", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	double v;
	int c;

	cfg.bind.s_addr = htonl(INADDR_LOOPBACK);
	cfg.port = DEFAULT_PORT;
	cfg.latency = DEFAULT_LATENCY_MS / 1000.0;
	cfg.rate = DEFAULT_RATE;
	cfg.seed = DEFAULT_SEED;
	cfg.count = IMAGES_DEFAULT_COUNT;
	cfg.total_bytes = IMAGES_DEFAULT_TOTAL;

	opterr = 0;	/* we print our own message, then exit with status 2 */
	while ((c = getopt_long(argc, argv, ":p:b:l:r:e:s:c:t:vh", options, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (!parse_ranged(optarg, 0, 65535, true, &v))
				usage_error("invalid port '%s' (0 to 65535)", optarg);
			cfg.port = (unsigned)v;
			break;
		case 'b':
			if (inet_pton(AF_INET, optarg, &cfg.bind) != 1)
				usage_error("invalid IPv4 address '%s'", optarg);
			break;
		case 'l':
			if (!parse_ranged(optarg, 0, 3600e3, false, &v))
				usage_error("invalid latency '%s' (milliseconds, 0 to 3600000)",
					    optarg);
			cfg.latency = v / 1000;
			break;
		case 'r':
			if (!parse_ranged(optarg, 0, 1e12, false, &v) || (v > 0 && v < 1))
				usage_error("invalid rate '%s' (bytes per second, 0 or >= 1)",
					    optarg);
			cfg.rate = v;
			break;
		case 'e':
			if (!parse_ranged(optarg, 0, 1, false, &v))
				usage_error("invalid error rate '%s' (a fraction, 0 to 1)", optarg);
			cfg.error_rate = v;
			break;
		case 's':
			if (!parse_ranged(optarg, 0, 9007199254740992.0, true, &v))
				usage_error("invalid seed '%s' (a whole number)", optarg);
			cfg.seed = (uint64_t)v;
			break;
		case 'c':
			if (!parse_ranged(optarg, 1, IMAGES_MAX_COUNT, true, &v))
				usage_error("invalid count '%s' (1 to %d)", optarg,
					    IMAGES_MAX_COUNT);
			cfg.count = (unsigned)v;
			break;
		case 't':
			if (!parse_ranged(optarg, 1, 4e9, true, &v))
				usage_error("invalid total size '%s' (bytes, at most 4G)", optarg);
			cfg.total_bytes = (uint64_t)v;
			break;
		case 'v':
			cfg.verbose = true;
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
}

/* Binds the socket ourselves: errors like EADDRINUSE are then reported plainly. */
static int listen_socket(unsigned *port)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t len = sizeof(addr);
	char ip[INET_ADDRSTRLEN];
	int fd, one = 1;

	inet_ntop(AF_INET, &cfg.bind, ip, sizeof(ip));
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %m");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	addr.sin_addr = cfg.bind;
	addr.sin_port = htons((uint16_t)cfg.port);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		die("cannot listen on %s:%u: %m%s", ip, cfg.port,
		    errno == EADDRINUSE ? " (try --port 0 for a free port)" : "");
	if (listen(fd, 256) < 0)
		die("listen: %m");
	if (getsockname(fd, (struct sockaddr *)&addr, &len) < 0)
		die("getsockname: %m");
	*port = ntohs(addr.sin_port);
	return fd;
}

int main(int argc, char **argv)
{
	struct MHD_Daemon *daemon;
	pthread_condattr_t attr;
	char err[128], ip[INET_ADDRSTRLEN], total[32], rate[32];
	sigset_t signals;
	unsigned port;
	int fd, sig;

	set_prog_name(argv[0]);
	parse_args(argc, argv);

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&stop_cond, &attr);
	pthread_condattr_destroy(&attr);

	if (image_set_build(&set, cfg.count, cfg.total_bytes, err, sizeof(err)) < 0)
		usage_error("%s", err);
	image_requests = xcalloc(set.count, sizeof(*image_requests));
	build_documents();

	/*
	 * Block the stop signals in every thread; main collects them with sigwait(). A shell
	 * starts background jobs with SIGINT ignored, and an ignored signal never reaches
	 * sigwait(): restore the default first, so that "kill -INT" stops a background server.
	 */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sigemptyset(&signals);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);

	fd = listen_socket(&port);
	daemon = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
				  MHD_USE_POLL | MHD_USE_ERROR_LOG,
				  0, NULL, NULL, handle_request, NULL,
				  MHD_OPTION_EXTERNAL_LOGGER, log_mhd, NULL,
				  MHD_OPTION_LISTEN_SOCKET, fd,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
				  MHD_OPTION_CONNECTION_TIMEOUT, 60u,
				  MHD_OPTION_END);
	if (!daemon)
		die("libmicrohttpd could not start the server");

	inet_ntop(AF_INET, &cfg.bind, ip, sizeof(ip));
	if (cfg.rate > 0)
		snprintf(rate, sizeof(rate), "%s B/s", fmt_thousands((uint64_t)cfg.rate, err));
	else
		snprintf(rate, sizeof(rate), "unlimited");
	fprintf(stderr, "imgserver: %u images, %s bytes; latency %g ms, rate %s per connection, "
		"error rate %g (seed %llu)\n", set.count, fmt_thousands(set.total, total),
		cfg.latency * 1000, rate, cfg.error_rate, (unsigned long long)cfg.seed);
	/* Last, so that a script that has read the URL also finds the line above. */
	printf("http://%s:%u\n", ip, port);
	fflush(stdout);

	do {
		if (sigwait(&signals, &sig))
			die("sigwait failed");
	} while (sig != SIGINT && sig != SIGTERM);

	pthread_mutex_lock(&stop_lock);
	stopping = true;
	pthread_cond_broadcast(&stop_cond);
	pthread_mutex_unlock(&stop_lock);
	MHD_stop_daemon(daemon);	/* also closes the listening socket */

	fprintf(stderr, "imgserver: %s, stopping: %llu requests, %llu images sent, "
		"%llu errors injected, %llu not found, %s bytes of images\n", strsignal(sig),
		(unsigned long long)stats.requests, (unsigned long long)stats.images,
		(unsigned long long)stats.errors, (unsigned long long)stats.not_found,
		fmt_thousands(stats.bytes, total));
	MHD_destroy_response(manifest_response);
	MHD_destroy_response(sums_response);
	MHD_destroy_response(index_response);
	free(image_requests);
	image_set_free(&set);
	return 0;
}
