// SPDX-License-Identifier: MIT
/*
 * primes: check a list of large numbers for primality by trial division, the CPU-bound
 * demo of the lecture (and of Fluent Python, chapter 19), in four ways:
 *
 *   seq      one number after the other
 *   threads  a pool of N pthreads: on N cores about N times faster
 *   procs    a pool of N forked processes: the same speed-up, results sent through a pipe
 *   gil      N pthreads that must hold one global lock to compute, released and taken over
 *            every --switch-interval as CPython's GIL is: no faster than seq
 *
 * The GIL is the pthread mutex primes_gil, a global symbol so that a profiler can name the
 * lock that the threads wait for.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#define DEFAULT_SCALE 6.0
#define DEFAULT_SWITCH_INTERVAL_MS 5.0	/* sys.getswitchinterval() in CPython */
#define MAX_WORKERS 1024
#define MAX_SCALE 40.0			/* keeps every number below 2^64 */
#define MAX_REPEAT 1000
/* Trial divisions between two looks at the GIL's drop request: well under 0.1 ms. */
#define GIL_CHECK_EVERY 4096

/*
 * The numbers of the Python course and of Fluent Python's primes.py: primes, squares of
 * primes (as hard as primes for trial division) and easy composites.
 */
static const uint64_t classic[] = {
	2,
	142702110479723,
	299593572317531,
	3333333333333301,
	3333333333333333,
	3333335652092209,
	4444444488888889,
	4444444444444423,
	5555553133149889,
	5555555555555503,
	7777777536340681,
	7777777777777753,
	9999999999999917,
	9999999999999999,
};
#define N_CLASSIC (sizeof(classic) / sizeof(classic[0]))

enum mode { MODE_SEQ, MODE_THREADS, MODE_PROCS, MODE_GIL };
static const char *const mode_names[] = { "seq", "threads", "procs", "gil" };

static struct {
	enum mode mode;
	unsigned workers;
	double scale;
	unsigned repeat;
	double switch_interval;	/* seconds */
	bool verbose;
} opt = {
	.mode = MODE_SEQ,
	.scale = DEFAULT_SCALE,
	.repeat = 1,
	.switch_interval = DEFAULT_SWITCH_INTERVAL_MS / 1000,
};

static uint64_t *numbers;
static unsigned n_numbers;
static bool *is_prime_result;

/* ---- arithmetic ----------------------------------------------------------------------- */

static uint64_t isqrt64(uint64_t n)
{
	uint64_t r = (uint64_t)sqrtl((long double)n);

	/* sqrtl is close; make it exact without overflowing r * r. */
	while (r && r > n / r)
		r--;
	while (r + 1 <= n / (r + 1))
		r++;
	return r;
}

static uint64_t mulmod(uint64_t a, uint64_t b, uint64_t m)
{
	return (uint64_t)((unsigned __int128)a * b % m);
}

static uint64_t powmod(uint64_t b, uint64_t e, uint64_t m)
{
	uint64_t r = 1;

	for (b %= m; e; e >>= 1) {
		if (e & 1)
			r = mulmod(r, b, m);
		b = mulmod(b, b, m);
	}
	return r;
}

/*
 * Miller-Rabin with the first 12 primes as bases, exact below 3.3e24. Only used to build
 * the numbers for a --scale: the check itself is trial division, the point of the demo.
 */
static bool miller_rabin(uint64_t n)
{
	static const uint64_t bases[] = { 2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37 };
	uint64_t d = n - 1;
	unsigned s = 0, i, r;

	if (n < 2)
		return false;
	for (i = 0; i < 12; i++)
		if (n % bases[i] == 0)
			return n == bases[i];
	while (d % 2 == 0)
		d /= 2, s++;
	for (i = 0; i < 12; i++) {
		uint64_t x = powmod(bases[i], d, n);

		if (x == 1 || x == n - 1)
			continue;
		for (r = 1; r < s; r++) {
			x = mulmod(x, x, n);
			if (x == n - 1)
				break;
		}
		if (r == s)
			return false;
	}
	return true;
}

static uint64_t next_prime(uint64_t n)
{
	if (n <= 2)
		return 2;
	n |= 1;
	while (!miller_rabin(n))
		n += 2;
	return n;
}

static uint64_t smallest_factor(uint64_t n)
{
	uint64_t f;

	for (f = 2; f * f <= n; f++)
		if (n % f == 0)
			return f;
	return n;
}

/*
 * The number that stands for n at scale s: of the same kind, and costing about s times
 * as much trial division, which grows with sqrt(n). workloads/python/primes.py does the
 * same computation, so both check the same numbers at the same scale.
 */
static uint64_t scaled(uint64_t n, double s)
{
	uint64_t target, f, root;

	if (s == 1.0 || n < 1000)
		return n;
	target = (uint64_t)((double)n * (s * s));
	if (miller_rabin(n))
		return next_prime(target);
	root = isqrt64(n);
	if (root * root == n && miller_rabin(root)) {
		root = next_prime((uint64_t)((double)root * s));
		return root * root;
	}
	/* An easy composite: keep its small factor and, like the classic ones, make it odd. */
	f = smallest_factor(n);
	target -= target % f;
	if (f != 2 && target % 2 == 0)
		target -= f;
	return target < 3 * f ? 3 * f : target;
}

/* ---- the GIL ------------------------------------------------------------------------- */

/*
 * A thread computes only while it holds primes_gil. A plain mutex is not enough to make
 * threads take turns: a holder that unlocks and locks again at once almost always wins,
 * since the waiter has first to be woken up. So, like CPython's GIL since 3.2:
 *  - a thread that has waited a whole switch interval sets gil_drop_request;
 *  - the holder sees it within GIL_CHECK_EVERY divisions, unlocks, and then waits until
 *    another thread has taken the lock (gil_switch_number changed) before it asks again.
 */
pthread_mutex_t primes_gil = PTHREAD_MUTEX_INITIALIZER;

static atomic_int gil_drop_request;
static atomic_ulong gil_switch_number;		/* how many times the GIL was taken */
static atomic_ulong gil_forced_switches;	/* how many hand-overs a drop request forced */
static pthread_mutex_t gil_switch_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gil_switch_cond = PTHREAD_COND_INITIALIZER;

static void gil_acquire(void)
{
	for (;;) {
		unsigned long seen = atomic_load(&gil_switch_number);
		struct timespec deadline = mono_deadline(opt.switch_interval);
		int err = pthread_mutex_clocklock(&primes_gil, CLOCK_MONOTONIC, &deadline);

		if (!err)
			break;
		if (err != ETIMEDOUT)
			die("pthread_mutex_clocklock: %s", strerror(err));
		/* A whole interval without the GIL changing hands: ask the holder to let go. */
		if (atomic_load(&gil_switch_number) == seen)
			atomic_store(&gil_drop_request, 1);
	}
	atomic_store(&gil_drop_request, 0);
	atomic_fetch_add(&gil_switch_number, 1);
	pthread_mutex_lock(&gil_switch_lock);
	pthread_cond_broadcast(&gil_switch_cond);
	pthread_mutex_unlock(&gil_switch_lock);
}

static void gil_release(void)
{
	pthread_mutex_unlock(&primes_gil);
}

/* The holder's side of a drop request: hand the GIL over, then queue up for it again. */
static void gil_yield(void)
{
	unsigned long mine = atomic_load(&gil_switch_number);

	gil_release();
	pthread_mutex_lock(&gil_switch_lock);
	while (atomic_load(&gil_switch_number) == mine)
		pthread_cond_wait(&gil_switch_cond, &gil_switch_lock);
	pthread_mutex_unlock(&gil_switch_lock);
	atomic_fetch_add(&gil_forced_switches, 1);
	gil_acquire();
}

/* ---- the work ------------------------------------------------------------------------ */

/* Trial division by 2 and the odd numbers up to sqrt(n), as the Python version does. */
static bool is_prime(uint64_t n, bool with_gil)
{
	uint64_t i = 3, root, end;

	if (n < 2)
		return false;
	if (n % 2 == 0)
		return n == 2;
	root = isqrt64(n);
	while (i <= root) {
		end = root - i > 2 * GIL_CHECK_EVERY ? i + 2 * GIL_CHECK_EVERY : root;
		for (; i <= end; i += 2)
			if (n % i == 0)
				return false;
		if (with_gil && atomic_load_explicit(&gil_drop_request, memory_order_relaxed))
			gil_yield();
	}
	return true;
}

struct worker_stats {
	unsigned checked;
	double cpu;		/* seconds of CPU of this thread or process */
};

static struct worker_stats *stats;

static void print_result(uint64_t n, bool prime, double seconds)
{
	printf("%20" PRIu64 "  %c  %.3fs\n", n, prime ? 'P' : ' ', seconds);
}

static double thread_cpu(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool check(unsigned i, bool with_gil, double *seconds)
{
	double start = mono_now();
	bool prime = is_prime(numbers[i], with_gil);

	*seconds = mono_now() - start;
	return prime;
}

static void run_seq(void)
{
	unsigned i;
	double t;

	for (i = 0; i < n_numbers; i++) {
		is_prime_result[i] = check(i, false, &t);
		print_result(numbers[i], is_prime_result[i], t);
	}
	stats[0].checked = n_numbers;
	stats[0].cpu = thread_cpu(CLOCK_THREAD_CPUTIME_ID);
}

static atomic_uint next_index;

static void *thread_worker(void *arg)
{
	struct worker_stats *st = arg;
	bool gil = opt.mode == MODE_GIL;
	unsigned i;
	double t;

	if (gil)
		gil_acquire();
	while ((i = atomic_fetch_add(&next_index, 1)) < n_numbers) {
		is_prime_result[i] = check(i, gil, &t);
		st->checked++;
		/* Output is I/O, and CPython lets go of the GIL around I/O: so do we. */
		if (gil)
			gil_release();
		print_result(numbers[i], is_prime_result[i], t);
		if (gil)
			gil_acquire();
	}
	if (gil)
		gil_release();
	st->cpu = thread_cpu(CLOCK_THREAD_CPUTIME_ID);
	return NULL;
}

static void run_threads(void)
{
	pthread_t *tids = xcalloc(opt.workers, sizeof(*tids));
	unsigned k;
	int err;

	for (k = 0; k < opt.workers; k++) {
		err = pthread_create(&tids[k], NULL, thread_worker, &stats[k]);
		if (err)
			die("cannot create thread %u: %s", k + 1, strerror(err));
	}
	for (k = 0; k < opt.workers; k++)
		pthread_join(tids[k], NULL);
	free(tids);
}

/* A worker process's message: one result, or its stats when index is STATS_RECORD. */
#define STATS_RECORD UINT32_MAX
struct wire {
	uint32_t index;
	bool prime;
	double seconds;
	struct worker_stats stats;
};

static void process_worker(int tasks, int replies)
{
	struct wire w = { 0 };
	uint32_t i;
	unsigned checked = 0;

	while (read_full(tasks, &i, sizeof(i)) && i < n_numbers) {
		w.index = i;
		w.prime = check(i, false, &w.seconds);
		checked++;
		if (!write_full(replies, &w, sizeof(w)))
			_exit(1);
	}
	memset(&w, 0, sizeof(w));
	w.index = STATS_RECORD;
	w.stats.checked = checked;
	w.stats.cpu = thread_cpu(CLOCK_PROCESS_CPUTIME_ID);
	if (!write_full(replies, &w, sizeof(w)))
		_exit(1);
}

static void run_procs(void)
{
	pid_t *pids = xcalloc(opt.workers, sizeof(*pids));
	bool *got = xcalloc(n_numbers, sizeof(*got));
	int tasks[2], replies[2];
	unsigned k, n_stats = 0, missing = 0;
	struct wire w;
	uint32_t i;

	if (pipe2(tasks, O_CLOEXEC) || pipe2(replies, O_CLOEXEC))
		die("pipe: %m");
	fflush(NULL);
	for (k = 0; k < opt.workers; k++) {
		pids[k] = fork();
		if (pids[k] < 0)
			die("fork: %m");
		if (pids[k] == 0) {
			close(tasks[1]);
			close(replies[0]);
			process_worker(tasks[0], replies[1]);
			_exit(0);
		}
	}
	close(tasks[0]);
	close(replies[1]);
	/* One 4-byte write per number: atomic, so each worker's read gets a whole one. */
	for (i = 0; i < n_numbers; i++)
		if (!write_full(tasks[1], &i, sizeof(i)))
			break;
	close(tasks[1]);

	while (read_full(replies[0], &w, sizeof(w))) {
		if (w.index == STATS_RECORD) {
			if (n_stats < opt.workers)
				stats[n_stats++] = w.stats;
		} else if (w.index < n_numbers) {
			got[w.index] = true;
			is_prime_result[w.index] = w.prime;
			print_result(numbers[w.index], w.prime, w.seconds);
		}
	}
	close(replies[0]);
	for (k = 0; k < opt.workers; k++) {
		int status;

		while (waitpid(pids[k], &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			fprintf(stderr, "%s: worker process %d failed (status 0x%x)\n", prog_name,
				(int)pids[k], status);
	}
	for (i = 0; i < n_numbers; i++)
		missing += !got[i];
	if (missing)
		die("%u numbers got no result: a worker process died", missing);
	free(got);
	free(pids);
}

/* ---- command line ------------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [OPTION]...\n"
		"Check a list of large numbers for primality by trial division, one after the\n"
		"other or in parallel, and print each result and the time taken.\n"
		"\n"
		"  -m, --mode MODE           seq      one number after the other (default)\n"
		"                            threads  a pool of WORKERS threads\n"
		"                            procs    a pool of WORKERS processes (fork)\n"
		"                            gil      WORKERS threads under one global lock, as\n"
		"                                     CPython runs Python code\n"
		"  -n, --workers N           threads or processes (default: online CPUs, %ld)\n"
		"  -s, --scale X             amount of work: X times that of the classic list\n"
		"                            of Fluent Python, whose numbers --scale 1 checks\n"
		"                            as they are; other scales check numbers of the\n"
		"                            same kinds (primes, squares of primes, easy\n"
		"                            composites) about X^2 times larger\n"
		"                            (default %g, 0 < X <= %g)\n"
		"  -r, --repeat N            check the list N times (default 1), e.g. to give\n"
		"                            many workers enough numbers\n"
		"  -i, --switch-interval MS  gil mode: how long a thread waits for the lock\n"
		"                            before it asks the holder to let go (default\n"
		"                            %g ms, as CPython's sys.getswitchinterval())\n"
		"  -v, --verbose             also print each worker's CPU time and, in gil mode,\n"
		"                            how often the lock changed hands\n"
		"  -h, --help                show this help\n"
		"\n"
		"Each line shows the number, P if it is prime, and the seconds its check took.\n"
		"The lock of gil mode is the global pthread mutex 'primes_gil'.\n"
		"\n"
		"Examples:\n"
		"  %s                         # sequential, a few seconds\n"
		"  %s --mode threads          # about N times faster on N cores\n"
		"  %s --mode gil -n 4 -v      # no faster than seq: one thread at a time\n"
		"  %s --scale 1 --mode procs  # Fluent Python's numbers\n"
		"  sudo ./concprof -- %s --mode gil\n",
		prog_path, sysconf(_SC_NPROCESSORS_ONLN), DEFAULT_SCALE, MAX_SCALE,
		DEFAULT_SWITCH_INTERVAL_MS, prog_path, prog_path, prog_path, prog_path, prog_path);
}

static void parse_args(int argc, char **argv)
{
	static const struct option options[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "workers", required_argument, NULL, 'n' },
		{ "scale", required_argument, NULL, 's' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "switch-interval", required_argument, NULL, 'i' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned m;
	double v;
	int c;

	opt.workers = cpus < 1 ? 1 : cpus > MAX_WORKERS ? MAX_WORKERS : (unsigned)cpus;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":m:n:s:r:i:vh", options, NULL)) != -1) {
		switch (c) {
		case 'm':
			for (m = 0; m < 4 && strcmp(optarg, mode_names[m]); m++)
				;
			if (m == 4)
				usage_error("unknown mode '%s' (seq, threads, procs or gil)",
					    optarg);
			opt.mode = (enum mode)m;
			break;
		case 'n':
			if (!parse_ranged(optarg, 1, MAX_WORKERS, true, &v))
				usage_error("invalid number of workers '%s' (1 to %d)", optarg,
					    MAX_WORKERS);
			opt.workers = (unsigned)v;
			break;
		case 's':
			if (!parse_ranged(optarg, 0, MAX_SCALE, false, &v) || v <= 0)
				usage_error("invalid scale '%s' (0 < X <= %g)", optarg, MAX_SCALE);
			opt.scale = v;
			break;
		case 'r':
			if (!parse_ranged(optarg, 1, MAX_REPEAT, true, &v))
				usage_error("invalid repeat count '%s' (1 to %d)", optarg,
					    MAX_REPEAT);
			opt.repeat = (unsigned)v;
			break;
		case 'i':
			if (!parse_ranged(optarg, 0.01, 10000, false, &v))
				usage_error("invalid switch interval '%s' (ms, 0.01 to 10000)",
					    optarg);
			opt.switch_interval = v / 1000;
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
	if (opt.mode == MODE_SEQ)
		opt.workers = 1;
}

int main(int argc, char **argv)
{
	unsigned i, k, primes = 0;
	struct cpu_usage cpu;
	double start, wall, worker_cpu = 0;

	set_prog_name(argv[0]);
	parse_args(argc, argv);
	signal(SIGPIPE, SIG_IGN);

	n_numbers = (unsigned)N_CLASSIC * opt.repeat;
	numbers = xcalloc(n_numbers, sizeof(*numbers));
	for (i = 0; i < N_CLASSIC; i++)
		numbers[i] = scaled(classic[i], opt.scale);
	for (; i < n_numbers; i++)
		numbers[i] = numbers[i % N_CLASSIC];
	is_prime_result = xcalloc(n_numbers, sizeof(*is_prime_result));
	stats = xcalloc(opt.workers, sizeof(*stats));

	printf("Checking %u numbers with %u %s (mode %s, scale %g)\n", n_numbers, opt.workers,
	       opt.mode == MODE_PROCS ? "processes" : opt.workers == 1 ? "thread" : "threads",
	       mode_names[opt.mode], opt.scale);
	fflush(stdout);

	cpu = cpu_usage_now();
	start = mono_now();
	switch (opt.mode) {
	case MODE_SEQ:
		run_seq();
		break;
	case MODE_THREADS:
	case MODE_GIL:
		run_threads();
		break;
	case MODE_PROCS:
		run_procs();
		break;
	}
	wall = mono_now() - start;

	for (i = 0; i < n_numbers; i++)
		primes += is_prime_result[i];
	printf("%u numbers checked, %u primes\n", n_numbers, primes);
	print_times(stdout, cpu, wall);
	if (opt.verbose) {
		for (k = 0; k < opt.workers; k++) {
			printf("# worker %u: %u numbers, CPU %.3f s\n", k + 1, stats[k].checked,
			       stats[k].cpu);
			worker_cpu += stats[k].cpu;
		}
		printf("# workers' CPU: %.3f s in %.3f s of wall time (%.0f%%)\n", worker_cpu, wall,
		       wall > 0 ? 100 * worker_cpu / wall : 0);
		if (opt.mode == MODE_GIL)
			printf("# gil: taken %lu times, %lu forced switches, "
			       "switch interval %g ms\n",
			       atomic_load(&gil_switch_number), atomic_load(&gil_forced_switches),
			       opt.switch_interval * 1000);
	}
	free(numbers);
	free(is_prime_result);
	free(stats);
	return 0;
}
