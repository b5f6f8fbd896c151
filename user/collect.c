// SPDX-License-Identifier: GPL-2.0
#include "collect.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "classify.h"
#include "concprof.h"
#include "concprof.skel.h"
#include "concurrency.h"
#include "stream.h"
#include "symbolize.h"

struct cp_collector {
	struct concprof_bpf *skel;
	struct ring_buffer *ring;
	struct cp_stream stream;
	uint64_t start_ns; /* exec of the launched program, or the attach */
	bool attached;
	int err; /* first error from the ring buffer callback */
};

uint64_t cp_now_ns(void)
{
	struct timespec ts;

	/* bpf_ktime_get_ns() is CLOCK_MONOTONIC too. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static bool libbpf_verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !libbpf_verbose)
		return 0;
	if (!libbpf_verbose)
		return 0; /* a failed tp_btf load is retried with raw_tp: its log is noise */
	return vfprintf(stderr, fmt, args);
}

static int handle_batch(void *ctx, void *data, size_t size)
{
	struct cp_collector *c = ctx;
	int err = cp_stream_add_batch(&c->stream, data, size);

	if (err && !c->err)
		c->err = err;
	return 0;
}

/*
 * Feeds the concurrency builder from the merged stream. A switch between two traced threads
 * is an EV_OUT and an EV_IN of the same CPU and time, one after the other in the merge: the
 * OUT waits for the next record to see whether the CPU went to one of ours.
 */
struct conc_feed {
	struct cp_conc_builder *b;
	bool have_out;
	struct cp_rec out;
	unsigned int out_cpu;
};

static int feed_out(struct conc_feed *f, uint32_t next_tid)
{
	f->have_out = false;
	return cp_conc_switch(f->b, f->out.tid, (int32_t)f->out.b, next_tid, f->out.ts_ns,
			      f->out_cpu);
}

static int feed_conc(void *ctx, unsigned int cpu, const struct cp_rec *r)
{
	struct conc_feed *f = ctx;
	int err = 0;

	if (f->have_out) {
		if (r->type == EV_IN && cpu == f->out_cpu && r->ts_ns == f->out.ts_ns)
			return feed_out(f, r->tid);
		err = feed_out(f, 0);
		if (err)
			return err;
	}
	switch (r->type) {
	case EV_OUT:
		f->have_out = true;
		f->out = *r;
		f->out_cpu = cpu;
		break;
	case EV_IN:
		err = cp_conc_switch(f->b, 0, 0, r->tid, r->ts_ns, cpu);
		break;
	case EV_EXEC:
		if (r->state) /* the launched program starts, on a CPU */
			err = cp_conc_switch_in(f->b, r->tid, r->ts_ns);
		break;
	}
	return err;
}

/* The batches the kernel side had not sent yet: after the detach, nothing adds to them. */
static int read_leftovers(struct cp_collector *c)
{
	int ncpus = libbpf_num_possible_cpus();
	struct cp_batch *b;
	uint32_t key = 0;
	int err = 0;

	if (ncpus <= 0)
		return ncpus ? ncpus : -EINVAL;
	b = calloc(ncpus, sizeof(*b));
	if (!b)
		return -ENOMEM;
	for (key = 0; !err && key < (uint32_t)ncpus; key++)
		if (bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.batches), &key, &b[key]))
			err = -errno;
	for (int cpu = 0; !err && cpu < ncpus; cpu++)
		if (b[cpu].nr <= CP_BATCH_RECS)
			err = cp_stream_add(&c->stream, cpu, b[cpu].rec, b[cpu].nr);
	free(b);
	return err;
}

static void set_twins_autoload(struct concprof_bpf *skel, bool btf)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, skel->obj)
	{
		bool is_btf = strncmp(bpf_program__name(prog), "tp_btf_", 7) == 0;

		bpf_program__set_autoload(prog, is_btf == btf);
	}
}

static struct concprof_bpf *open_and_load(const struct cp_collect_opts *opts, bool btf, int *err)
{
	struct concprof_bpf *skel = concprof_bpf__open();
	int ncpus = libbpf_num_possible_cpus();

	if (!skel || ncpus <= 0) {
		*err = !skel ? -errno : ncpus ? ncpus : -EINVAL;
		concprof_bpf__destroy(skel);
		return NULL;
	}
	skel->rodata->floor_only = opts->floor_only;
	skel->rodata->stream_enabled = !opts->no_stream;
	skel->rodata->ring_wake_bytes = opts->ringbuf_bytes / 4;
	bpf_map__set_max_entries(skel->maps.threads, opts->max_threads);
	bpf_map__set_max_entries(skel->maps.procs, opts->max_threads);
	bpf_map__set_max_entries(skel->maps.events, opts->ringbuf_bytes);
	bpf_map__set_max_entries(skel->maps.batches, ncpus);
	set_twins_autoload(skel, btf);
	*err = concprof_bpf__load(skel);
	if (*err) {
		concprof_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

uint32_t cp_ring_bytes(long ncpus)
{
	uint32_t bytes = 1 << 20;

	while (bytes < (16u << 20) && bytes < (uint64_t)ncpus * (512 << 10))
		bytes <<= 1;
	return bytes;
}

int cp_collect_open(struct cp_collector **out, const struct cp_collect_opts *opts)
{
	struct cp_collector *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return -ENOMEM;
	libbpf_verbose = opts->verbose;
	libbpf_set_print(libbpf_print);
	cp_stream_init(&c->stream);

	/* CONCPROF_RAW_TP=1 skips tp_btf: how the tests exercise the fallback. */
	if (!getenv("CONCPROF_RAW_TP"))
		c->skel = open_and_load(opts, true, &err);
	if (!c->skel)
		c->skel = open_and_load(opts, false, &err);
	if (!c->skel) {
		fprintf(stderr, "concprof: failed to load the BPF programs: %s%s\n", strerror(-err),
			opts->verbose ? "" : " (run with -v for the verifier's log)");
		goto fail;
	}
	err = concprof_bpf__attach(c->skel);
	if (err) {
		fprintf(stderr, "concprof: failed to attach the scheduler and syscall tracepoints: %s\n",
			strerror(-err));
		goto fail;
	}
	if (!opts->no_stream) {
		c->ring = ring_buffer__new(bpf_map__fd(c->skel->maps.events), handle_batch, c, NULL);
		if (!c->ring) {
			err = -errno;
			fprintf(stderr, "concprof: failed to open the event ring buffer: %s\n",
				strerror(-err));
			goto fail;
		}
	}
	*out = c;
	return 0;
fail:
	cp_collect_close(c);
	return err;
}

static struct cp_kthread new_kthread(pid_t pid, pid_t tid, uint64_t now)
{
	return (struct cp_kthread){
		.tid = tid,
		.pid = pid,
		.start_ns = now,
		.since_ns = now,
		.first_run_ns = now, /* attached: its start-up is not ours to measure */
		.syscall_nr = -1,
		.other_syscall = -1,
	};
}

int cp_collect_add_pending(struct cp_collector *c, pid_t pid)
{
	struct cp_kthread t = new_kthread(pid, pid, 0);
	uint32_t key = pid;

	t.state = KS_PENDING;
	if (bpf_map_update_elem(bpf_map__fd(c->skel->maps.threads), &key, &t, BPF_ANY))
		return -errno;
	return 0;
}

static int read_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return 0;
}

/* The number after `key` and a colon in /proc/PID/task/TID/FILE; 0 if there is none. */
static unsigned long long proc_counter(pid_t pid, pid_t tid, const char *file, const char *key)
{
	char path[96], buf[8192];
	const char *at;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/%s", pid, tid, file);
	if (read_file(path, buf, sizeof(buf)) || !(at = strstr(buf, key)) ||
	    !(at = strchr(at + 1, ':')))
		return 0;
	return strtoull(at + 1, NULL, 10);
}

/* Fill state, comm and ppid of a thread from /proc/PID/task/TID/{stat,syscall}. */
static int seed_thread(pid_t pid, pid_t tid, uint64_t now, struct cp_kthread *t, int *ppid)
{
	char path[96], buf[512], *open_paren, *close_paren;
	char state;
	long nr = -1;

	*t = new_kthread(pid, tid, now);
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	if (read_file(path, buf, sizeof(buf)))
		return -ESRCH;
	open_paren = strchr(buf, '(');
	close_paren = strrchr(buf, ')');
	if (!open_paren || !close_paren || close_paren < open_paren ||
	    sscanf(close_paren + 1, " %c %d", &state, ppid) != 2)
		return -EINVAL;
	snprintf(t->comm, sizeof(t->comm), "%.*s", (int)(close_paren - open_paren - 1),
		 open_paren + 1);

	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", pid, tid);
	if (!read_file(path, buf, sizeof(buf)) && strncmp(buf, "running", 7) != 0)
		nr = strtol(buf, NULL, 10);
	t->syscall_nr = nr >= 0 ? nr : -1;

	/* The kernel's counters now: at the thread's exit, its counts since the attach. */
	t->base_nvcsw = proc_counter(pid, tid, "status", "\nvoluntary_ctxt_switches:");
	t->base_nivcsw = proc_counter(pid, tid, "status", "\nnonvoluntary_ctxt_switches:");
	t->base_migrations = proc_counter(pid, tid, "sched", "\nse.nr_migrations");
	/* schedstat's first field is se.sum_exec_runtime: the repairs count CPU time from here. */
	snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", pid, tid);
	if (!read_file(path, buf, sizeof(buf)))
		t->sum_at_out = strtoull(buf, NULL, 10);

	switch (state) {
	case 'R':
		/* Running or runnable: /proc cannot tell. The BPF side corrects it (see
		 * repair_missed_switch_in) the first time the thread does what only a running one can.
		 */
		t->state = KS_RQ_PREEMPTED;
		break;
	case 'S':
	case 'D':
		t->state = KS_BLOCKED;
		t->reason = cp_block_reason(t->syscall_nr, FDK_UNKNOWN, FDK_UNKNOWN, state == 'D');
		break;
	default: /* stopped, traced: asleep for a reason of their own */
		t->state = KS_BLOCKED;
		t->reason = CPR_OTHER;
		break;
	}
	return 0;
}

int cp_collect_attach(struct cp_collector *c, pid_t pid)
{
	int threads_fd = bpf_map__fd(c->skel->maps.threads);
	uint64_t now = cp_now_ns();
	int added, pass, ppid = 0, nr_threads = 0;
	char path[64];

	c->attached = true;
	c->start_ns = now;
	/* Threads may be created while we list them; those of listed parents are caught by the
	 * fork tracepoint, so list again until a pass finds nothing new.
	 */
	for (pass = 0, added = 1; added && pass < 8; pass++) {
		struct dirent *de;
		DIR *dir;

		snprintf(path, sizeof(path), "/proc/%d/task", pid);
		dir = opendir(path);
		if (!dir)
			return nr_threads ? 0 : -errno;
		added = 0;
		while ((de = readdir(dir))) {
			struct cp_kthread t;
			uint32_t key;

			if (de->d_name[0] < '0' || de->d_name[0] > '9')
				continue;
			key = strtoul(de->d_name, NULL, 10);
			if (seed_thread(pid, key, now, &t, &ppid))
				continue;
			if (!bpf_map_update_elem(threads_fd, &key, &t, BPF_NOEXIST))
				added++, nr_threads++;
		}
		closedir(dir);
	}
	if (!nr_threads)
		return -ESRCH;

	struct cp_kprocess proc = { .pid = pid, .ppid = ppid, .start_ns = now };
	uint32_t key = pid;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	if (!read_file(path, proc.comm, sizeof(proc.comm)))
		proc.comm[strcspn(proc.comm, "\n")] = '\0';
	bpf_map_update_elem(bpf_map__fd(c->skel->maps.procs), &key, &proc, BPF_NOEXIST);
	return 0;
}

int cp_collect_poll(struct cp_collector *c, int fd, int timeout_ms)
{
	struct pollfd pfds[2] = {
		{ .fd = fd, .events = POLLIN },
		{ .fd = c->ring ? ring_buffer__epoll_fd(c->ring) : -1, .events = POLLIN },
	};
	int n;

	n = poll(pfds, 2, timeout_ms);
	if (n < 0 && errno != EINTR)
		return -errno;
	/* Drain on every call: the kernel side never wakes us (a wakeup per record is costly). */
	if (c->ring) {
		n = ring_buffer__consume(c->ring);
		if (n < 0 && n != -EINTR)
			return n;
	}
	if (c->err)
		return c->err;
	return fd >= 0 && (pfds[0].revents & (POLLIN | POLLHUP | POLLERR)) ? 1 : 0;
}

static uint64_t rel(uint64_t ts, uint64_t start)
{
	return ts > start ? ts - start : 0;
}

/* A thread still alive at the end: close its current interval there. */
static void close_open_interval(struct cp_kthread *k, uint64_t end_ns)
{
	uint64_t delta = end_ns > k->since_ns ? end_ns - k->since_ns : 0;

	switch (k->state) {
	case KS_USER:
		k->user_ns += delta;
		break;
	case KS_SYS:
		k->sys_ns += delta;
		break;
	case KS_RQ_PREEMPTED:
		k->rq_preempted_ns += delta;
		break;
	case KS_RQ_WOKEN:
		k->rq_woken_ns += delta;
		break;
	case KS_BLOCKED:
		k->blocked_ns[k->reason % CP_NR_BLOCK_REASONS] += delta;
		break;
	}
	k->end_ns = end_ns;
}

static void to_thread(struct cp_kthread *k, uint64_t start, uint64_t end_ns, struct cp_thread *t)
{
	bool exited = k->state == KS_DEAD;

	if (!exited)
		close_open_interval(k, end_ns);
	*t = (struct cp_thread){
		.tid = k->tid,
		.pid = k->pid,
		.start_ns = rel(k->start_ns, start),
		.end_ns = rel(k->end_ns, start),
		.exited = exited,
		.first_run_ns = k->first_run_ns > k->start_ns ? k->first_run_ns - k->start_ns : 0,
		.stack_reserved_bytes = k->stack_end - k->stack_start,
		.stack_used_bytes = k->min_user_sp >= k->stack_start && k->min_user_sp < k->stack_end
					    ? k->stack_end - k->min_user_sp
					    : 0,
		.user_ns = k->user_ns,
		.sys_ns = k->sys_ns,
		.runnable_preempted_ns = k->rq_preempted_ns,
		.runnable_woken_ns = k->rq_woken_ns,
		.other_syscall = k->other_syscall,
		.voluntary_switches = k->voluntary_switches,
		.involuntary_switches = k->involuntary_switches,
		.migrations = k->migrations,
		.syscalls = k->syscalls,
		.net_rx_bytes = k->net_rx_bytes,
		.net_tx_bytes = k->net_tx_bytes,
		.disk_read_bytes = k->disk_read_bytes,
		.disk_write_bytes = k->disk_write_bytes,
		.pipe_read_bytes = k->pipe_read_bytes,
		.pipe_write_bytes = k->pipe_write_bytes,
	};
	for (int r = 0; r < CP_NR_REASONS; r++)
		t->blocked_ns[r] = k->blocked_ns[r];
	memcpy(t->comm, k->comm, sizeof(t->comm));
	t->comm[sizeof(t->comm) - 1] = '\0';
}

static void to_process(const struct cp_kprocess *k, uint64_t start, uint64_t end_ns,
		       struct cp_process *p)
{
	*p = (struct cp_process){
		.pid = k->pid,
		.ppid = k->ppid,
		.start_ns = rel(k->start_ns, start),
		.end_ns = rel(k->exited ? k->end_ns : end_ns, start),
		.exited = k->exited,
		.exit_code = -1,
		.peak_rss_bytes = k->exited ? k->peak_rss_pages * (uint64_t)sysconf(_SC_PAGESIZE) : 0,
	};
	if (k->exited) {
		if (WIFSIGNALED(k->exit_status)) {
			p->term_signal = WTERMSIG(k->exit_status);
			p->exit_code = 128 + p->term_signal;
		} else {
			p->exit_code = WEXITSTATUS(k->exit_status);
		}
	}
	memcpy(p->comm, k->comm, sizeof(p->comm));
	p->comm[sizeof(p->comm) - 1] = '\0';
}

/* Every value of a hash map, in one array. */
static void *dump_map(int fd, size_t value_size, size_t *count)
{
	size_t len = 0, cap = 256;
	char *values = malloc(cap * value_size);
	uint32_t key, next;
	uint32_t *prev = NULL;

	if (!values)
		return NULL;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		if (len == cap) {
			char *grown = realloc(values, 2 * cap * value_size);

			if (!grown) {
				free(values);
				return NULL;
			}
			values = grown;
			cap *= 2;
		}
		if (bpf_map_lookup_elem(fd, &next, values + len * value_size) == 0)
			len++;
		key = next;
		prev = &key;
	}
	*count = len;
	return values;
}

/* "python3.11", "bin", "usr", "/" (leaf first, as the kernel side walks up) → "/usr/bin/python3.11".
 * NULL if the walk did not reach the root (a path too deep to name from the kernel).
 */
static char *join_path(const struct cp_klock *k)
{
	char path[CP_LOCK_PATH_PARTS * CP_LOCK_PART_LEN + 8] = "";
	int last = -1;

	for (int i = 0; i < CP_LOCK_PATH_PARTS && k->path[i][0]; i++)
		last = i;
	if (last < 1 || strcmp(k->path[last], "/") != 0)
		return NULL;
	for (int i = last - 1; i >= 0; i--) {
		strcat(path, "/");
		strncat(path, k->path[i], CP_LOCK_PART_LEN - 1);
	}
	return strdup(path);
}

static int cmp_lock(const void *a, const void *b)
{
	const struct cp_lock *x = a, *y = b;

	return x->wait_ns != y->wait_ns ? (x->wait_ns < y->wait_ns ? 1 : -1)
					: (x->addr > y->addr) - (x->addr < y->addr);
}

static struct cp_lock *find_lock(struct cp_run *run, int32_t pid, uint64_t addr)
{
	for (size_t i = 0; i < run->nr_locks; i++)
		if (run->locks[i].pid == pid && run->locks[i].addr == addr)
			return &run->locks[i];
	return NULL;
}

/* The locks waited on, named; plus the waits still going on when tracing stopped. */
static int read_locks(struct cp_run *run, struct concprof_bpf *skel, uint64_t end_ns)
{
	int fd = bpf_map__fd(skel->maps.locks), tfd = bpf_map__fd(skel->maps.threads);
	struct cp_lock_key key, next, *prev = NULL;
	struct cp_klock k;
	uint32_t tkey, tnext, *tprev = NULL;
	struct cp_kthread t;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &k))
			continue;
		struct cp_lock *grown = realloc(run->locks, (run->nr_locks + 1) * sizeof(*grown));
		struct cp_lock *l;

		if (!grown)
			return -ENOMEM;
		run->locks = grown;
		l = &run->locks[run->nr_locks++];
		*l = (struct cp_lock){ .pid = key.pid,
				       .addr = key.addr,
				       .wait_ns = k.wait_ns,
				       .max_wait_ns = k.max_wait_ns,
				       .waits = k.waits,
				       .nr_waiters = k.nr_waiters,
				       .nr_wakers = k.nr_wakers,
				       .more_waiters = k.more_waiters,
				       .more_wakers = k.more_wakers,
				       .kind = k.where };
		for (int i = 0; i < CP_LOCK_IDS && i < CP_LOCK_MAX_IDS; i++) {
			l->waiters[i] = k.waiters[i];
			l->wakers[i] = k.wakers[i];
		}
		if (k.where == LW_EXE || k.where == LW_FILE) {
			l->path = join_path(&k);
			cp_symbolize_lock(l, k.offset);
		}
	}
	/* A thread still blocked on a lock at the end: its wait so far counts too. */
	while (bpf_map_get_next_key(tfd, tprev, &tnext) == 0) {
		struct cp_lock *l;

		tkey = tnext;
		tprev = &tkey;
		if (bpf_map_lookup_elem(tfd, &tkey, &t) || t.state != KS_BLOCKED || !t.lock_addr ||
		    !(l = find_lock(run, t.pid, t.lock_addr)) || end_ns <= t.since_ns)
			continue;
		l->wait_ns += end_ns - t.since_ns;
		l->waits++;
		if (end_ns - t.since_ns > l->max_wait_ns)
			l->max_wait_ns = end_ns - t.since_ns;
	}
	if (run->nr_locks)
		qsort(run->locks, run->nr_locks, sizeof(*run->locks), cmp_lock);
	run->lost_locks = skel->bss->stats.lost_locks;
	return 0;
}

static int append_threads(struct cp_run *run, int fd, uint64_t start, uint64_t end_ns)
{
	size_t n = 0, kept = 0;
	struct cp_kthread *k = dump_map(fd, sizeof(*k), &n);
	struct cp_thread *grown;

	if (!k)
		return -ENOMEM;
	grown = realloc(run->threads, (run->nr_threads + n + 1) * sizeof(*grown));
	if (!grown) {
		free(k);
		return -ENOMEM;
	}
	run->threads = grown;
	for (size_t i = 0; i < n; i++) {
		if (k[i].state == KS_PENDING) /* the launched program never got to exec */
			continue;
		to_thread(&k[i], start, end_ns, &run->threads[run->nr_threads + kept++]);
	}
	run->nr_threads += kept;
	free(k);
	return 0;
}

static int append_procs(struct cp_run *run, int fd, uint64_t start, uint64_t end_ns)
{
	size_t n = 0;
	struct cp_kprocess *k = dump_map(fd, sizeof(*k), &n);
	struct cp_process *grown;

	if (!k)
		return -ENOMEM;
	grown = realloc(run->procs, (run->nr_procs + n + 1) * sizeof(*grown));
	if (!grown) {
		free(k);
		return -ENOMEM;
	}
	run->procs = grown;
	for (size_t i = 0; i < n; i++)
		to_process(&k[i], start, end_ns, &run->procs[run->nr_procs++]);
	free(k);
	return 0;
}

/* A process ends with its last thread: a more precise end than the exit tracepoint's. */
static void process_ends_from_threads(struct cp_run *run)
{
	for (size_t p = 0; p < run->nr_procs; p++) {
		struct cp_process *proc = &run->procs[p];
		uint64_t last_end = 0;

		if (!proc->exited)
			continue;
		for (size_t t = 0; t < run->nr_threads; t++) {
			const struct cp_thread *th = &run->threads[t];

			if (th->pid == proc->pid && th->start_ns >= proc->start_ns &&
			    th->end_ns > last_end)
				last_end = th->end_ns;
		}
		if (last_end)
			proc->end_ns = last_end;
	}
}

int cp_collect_finish(struct cp_collector *c, uint64_t end_ns, struct cp_run *run)
{
	struct concprof_bpf *skel = c->skel;
	uint64_t start;
	int err;

	/* Stop the kernel side first: what is still alive keeps its state from here on. */
	concprof_bpf__detach(skel);
	if (c->ring) {
		for (int i = 0; i < 64 && ring_buffer__consume(c->ring) > 0; i++)
			;
		err = c->err ? c->err : read_leftovers(c);
		if (err) {
			fprintf(stderr, "concprof: could not keep the event stream: %s\n",
				strerror(-err));
			return err;
		}
	}
	start = c->start_ns ? c->start_ns : skel->bss->root_exec_ns;
	if (!start)
		start = end_ns;
	run->wall_ns = rel(end_ns, start);
	run->attached = c->attached;
	run->lost_events = skel->bss->stats.lost_events;
	run->stream_records = c->stream.records;
	run->lost_threads = skel->bss->stats.lost_threads + skel->bss->stats.lost_procs +
			    skel->bss->stats.lost_archive;
	run->repaired_switches = skel->bss->stats.repaired_switches;
	run->repaired_wakeups = skel->bss->stats.repaired_wakeups;
	run->kernel_hz = skel->bss->kernel_hz;

	err = append_threads(run, bpf_map__fd(skel->maps.threads), start, end_ns);
	if (!err)
		err = append_threads(run, bpf_map__fd(skel->maps.thread_archive), start, end_ns);
	if (!err)
		err = append_procs(run, bpf_map__fd(skel->maps.procs), start, end_ns);
	if (!err)
		err = append_procs(run, bpf_map__fd(skel->maps.proc_archive), start, end_ns);
	if (!err)
		err = read_locks(run, skel, end_ns);
	if (err)
		return err;
	process_ends_from_threads(run);

	if (c->ring) {
		struct cp_conc_builder conc;
		struct conc_feed feed = { .b = &conc };

		cp_conc_init(&conc);
		if (c->attached)
			cp_conc_start(&conc, c->start_ns);
		err = cp_stream_each(&c->stream, feed_conc, &feed);
		if (!err && feed.have_out)
			err = feed_out(&feed, 0);
		if (!err)
			err = cp_conc_finish(&conc, end_ns, &run->concurrency);
		cp_conc_free(&conc);
		if (err)
			return err;
		/* Without every switch, the profile is only a sketch. */
		if (run->lost_events || c->attached)
			run->concurrency.complete = false;
	}
	return 0;
}

struct cp_stream *cp_collect_stream(struct cp_collector *c)
{
	return c->ring ? &c->stream : NULL;
}

uint64_t cp_collect_origin(struct cp_collector *c)
{
	return c->start_ns ? c->start_ns : c->skel->bss->root_exec_ns;
}

void cp_collect_close(struct cp_collector *c)
{
	if (!c)
		return;
	ring_buffer__free(c->ring);
	concprof_bpf__destroy(c->skel);
	cp_stream_free(&c->stream);
	free(c);
}
