// SPDX-License-Identifier: GPL-2.0
/*
 * concprof: run a program (or attach to one) under eBPF tracing and explain where the wall time
 * of each of its threads went.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "analyze.h"
#include "collect.h"
#include "compare.h"
#include "i18n.h"
#include "json.h"
#include "launch.h"
#include "term.h"
#include "model.h"
#include "recfile.h"
#include "render.h"
#include "stream.h"
#include "timeline.h"

#define EXIT_USAGE 2
#define EXIT_TOOL 1 /* concprof itself failed; the workload's code otherwise */


struct options {
	const char *json_path;
	const char *report_path;
	const char *perfetto_path;
	const char *html_path;
	const char *spans_path;
	const char *lang;
	const char *record_path; /* concprof record -o FILE */
	bool record;		 /* concprof record: -o is the recording */
	bool report;		 /* concprof report FILE */
	const char *report_file;
	bool timeline;
	bool want_timeline; /* any of the timeline views */
	enum cp_color color;
	bool quiet;
	bool verbose;
	pid_t attach_pid;
	double duration_s;
	struct cp_collect_opts collect;
	char **argv;
	int argc;
};

static const char usage_text[] =
	"Usage: concprof [OPTIONS] [--] COMMAND [ARG...]\n"
	"       concprof [OPTIONS] -p PID [-d SECONDS]\n"
	"       concprof record -o FILE [OPTIONS] [--] COMMAND [ARG...]   (or -p PID)\n"
	"       concprof report FILE [VIEW OPTIONS]\n"
	"       concprof compare [OPTIONS] A B [C...]\n"
	"\n"
	"Run COMMAND (or attach to process PID) and trace every thread and process of it with\n"
	"eBPF: time on a CPU in user mode and in the kernel, time waiting for a CPU, and time\n"
	"blocked on locks, sleeps, children, the network, pipes and the disk. Then explain why\n"
	"its user, sys and wall times are what they are. The report goes to stderr, like time(1),\n"
	"so COMMAND's own output stays clean. concprof exits with COMMAND's exit status.\n"
	"Needs root (or CAP_BPF and CAP_PERFMON); under sudo, COMMAND runs as the calling user.\n"
	"\n"
	"record writes everything measured, the event stream included, into FILE (and prints the\n"
	"report unless -q); report renders such a file, without root, with the same options as\n"
	"a live run (-o, -t, --json, --html, --perfetto, --spans, --color, --lang, -q); compare\n"
	"puts runs side by side (concprof compare --help).\n"
	"\n"
	"Options:\n"
	"  -p, --pid PID          attach to a running process (its threads, and children it\n"
	"                         forks from then on) until it exits, -d ends, or Ctrl-C\n"
	"  -d, --duration SECONDS with -p: stop after this long\n"
	"      --json FILE        write the measurements as JSON (format concprof/1)\n"
	"  -o, --output FILE      write the text report to FILE instead of stderr\n"
	"  -t, --timeline         after the report, draw each thread's states over time\n"
	"      --perfetto FILE    write a trace for https://ui.perfetto.dev (systrace text):\n"
	"                         per-thread state tracks, CPU tracks, wakeups\n"
	"      --html FILE        write a self-contained HTML report with an interactive\n"
	"                         timeline (zoom, pan, hover a span for its details)\n"
	"      --spans FILE       write every span of the timeline as a line of TSV\n"
	"      --color WHEN       colour the report: auto (default), always, never; NO_COLOR\n"
	"                         in the environment means never\n"
	"      --lang LANG        the report's language: pt_BR (Brazilian Portuguese) or en;\n"
	"                         default: the environment's (LANGUAGE, LC_ALL, LANG)\n"
	"  -q, --quiet            no text report (use with --json)\n"
	"      --max-threads N    threads and processes tracked at once (default 32768)\n"
	"      --no-stream        keep only the kernel's totals: no concurrency profile\n"
	"  -v, --verbose          show libbpf's messages (the verifier's log on failure)\n"
	"  -V, --version          print the version and exit\n"
	"  -h, --help             print this help and exit\n"
	"\n"
	"Examples:\n"
	"  sudo concprof ./workloads/primes --mode threads     report on stderr\n"
	"  sudo concprof --json run.json -- make -j2           also save the figures\n"
	"  sudo concprof -o report.txt -- python3 script.py    report into a file\n"
	"  sudo concprof -t ./workloads/primes --mode gil      see the threads take turns\n"
	"  sudo concprof --html run.html ./workloads/download  open run.html in a browser\n"
	"  sudo concprof -p 1234 -d 10                         watch a running process for 10 s\n"
	"  sudo concprof record -o gil.cpr ./workloads/primes --mode gil\n"
	"  concprof report gil.cpr --timeline --html gil.html  later, without root\n"
	"  sudo concprof -q --json out.json -- curl -s URL | wc -c\n";

static void usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "concprof: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'concprof --help' for more information.\n");
	exit(EXIT_USAGE);
}

static long parse_long(const char *s, const char *what, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		usage_error(what, s);
	return v;
}

static void parse_options(int argc, char **argv, struct options *o)
{
	enum {
		OPT_JSON = 256,
		OPT_COLOR,
		OPT_MAX_THREADS,
		OPT_NO_STREAM,
		OPT_FLOOR,
		OPT_PERFETTO,
		OPT_HTML,
		OPT_SPANS,
		OPT_LANG,
	};
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "duration", required_argument, NULL, 'd' },
		{ "json", required_argument, NULL, OPT_JSON },
		{ "output", required_argument, NULL, 'o' },
		{ "timeline", no_argument, NULL, 't' },
		{ "perfetto", required_argument, NULL, OPT_PERFETTO },
		{ "html", required_argument, NULL, OPT_HTML },
		{ "spans", required_argument, NULL, OPT_SPANS },
		{ "lang", required_argument, NULL, OPT_LANG },
		{ "color", required_argument, NULL, OPT_COLOR },
		{ "colour", required_argument, NULL, OPT_COLOR },
		{ "quiet", no_argument, NULL, 'q' },
		{ "max-threads", required_argument, NULL, OPT_MAX_THREADS },
		{ "no-stream", no_argument, NULL, OPT_NO_STREAM },
		/* For `make bench`: the probes attached, doing only the "is it ours?" lookup. */
		{ "floor", optional_argument, NULL, OPT_FLOOR },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool have_duration = false;
	int opt;

	bool record = o->record, report = o->report;

	*o = (struct options){
		.record = record,
		.report = report,
		.color = CP_COLOR_AUTO,
		.collect = { .max_threads = 32768,
			     .ringbuf_bytes = cp_ring_bytes(sysconf(_SC_NPROCESSORS_ONLN)) },
	};
	/* '+': options end at COMMAND, so `concprof ls -l` passes -l to ls. */
	while ((opt = getopt_long(argc, argv, o->report ? "p:d:o:tqvVh" : "+p:d:o:tqvVh",
				  longopts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			o->attach_pid = parse_long(optarg, "invalid PID '%s'", 1, INT_MAX);
			break;
		case 'd': {
			char *end;

			errno = 0;
			o->duration_s = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(o->duration_s > 0))
				usage_error("invalid duration '%s': want seconds > 0", optarg);
			have_duration = true;
			break;
		}
		case OPT_JSON:
			o->json_path = optarg;
			break;
		case 'o':
			if (o->record)
				o->record_path = optarg;
			else
				o->report_path = optarg;
			break;
		case 't':
			o->timeline = true;
			break;
		case OPT_PERFETTO:
			o->perfetto_path = optarg;
			break;
		case OPT_HTML:
			o->html_path = optarg;
			break;
		case OPT_SPANS:
			o->spans_path = optarg;
			break;
		case OPT_LANG:
			o->lang = optarg;
			break;
		case OPT_COLOR:
			if (cp_color_parse(optarg, &o->color))
				usage_error("invalid --color '%s': want auto, always or never", optarg);
			break;
		case 'q':
			o->quiet = true;
			break;
		case OPT_MAX_THREADS:
			o->collect.max_threads =
				parse_long(optarg, "invalid --max-threads '%s'", 64, 1 << 22);
			break;
		case OPT_NO_STREAM:
			o->collect.no_stream = true;
			break;
		case OPT_FLOOR:
			/* make bench's floors: --floor, --floor=clock */
			if (optarg && strcmp(optarg, "clock") != 0)
				usage_error("invalid --floor '%s' (expected: clock)", optarg);
			o->collect.floor_only = optarg ? CP_FLOOR_CLOCK : CP_FLOOR;
			break;
		case 'v':
			o->verbose = o->collect.verbose = true;
			break;
		case 'V':
			printf("concprof %s\n", CONCPROF_VERSION);
			exit(0);
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		default:
			fprintf(stderr, "Try 'concprof --help' for more information.\n");
			exit(EXIT_USAGE);
		}
	}
	o->argv = argv + optind;
	o->argc = argc - optind;
	if (o->report) {
		if (o->argc != 1)
			usage_error("report wants one recording FILE (made by concprof record)%s", "");
		if (o->attach_pid || have_duration || o->collect.no_stream || o->collect.floor_only)
			usage_error("report only renders a recording: -p, -d, --no-stream do not "
				    "apply%s", "");
		o->report_file = o->argv[0];
		o->want_timeline = o->timeline || o->perfetto_path || o->html_path || o->spans_path;
		return;
	}
	if (o->attach_pid && o->argc)
		usage_error("give either -p PID or a COMMAND, not both%s", "");
	if (!o->attach_pid && !o->argc)
		usage_error("no COMMAND to run%s", "");
	if (o->record && !o->record_path)
		usage_error("record needs -o FILE: where to write the recording%s", "");
	if (have_duration && !o->attach_pid)
		usage_error("-d works with -p only; a COMMAND runs until it ends%s", "");
	o->want_timeline = o->timeline || o->perfetto_path || o->html_path || o->spans_path;
	if (o->collect.no_stream && o->want_timeline)
		usage_error("%s needs the event stream: drop --no-stream",
			    o->timeline ? "--timeline" : o->html_path ? "--html" :
			    o->perfetto_path ? "--perfetto" : "--spans");
}

static bool has_capability(int cap)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { 0 };

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[cap / 32].effective & (1u << (cap % 32));
}

static int check_environment(void)
{
	if (geteuid() != 0 && !(has_capability(CAP_BPF) && has_capability(CAP_PERFMON))) {
		fprintf(stderr, "concprof: tracing needs root (or CAP_BPF and CAP_PERFMON): try "
				"'sudo concprof ...'\n");
		return -EPERM;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		fprintf(stderr, "concprof: this kernel has no BTF (/sys/kernel/btf/vmlinux is "
				"missing): it must be built with CONFIG_DEBUG_INFO_BTF=y\n");
		return -ENOTSUP;
	}
	return 0;
}

static uint64_t timeval_ns(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * 1000000000ull + (uint64_t)tv.tv_usec * 1000ull;
}

static int status_to_exit_code(int status, int *term_signal)
{
	*term_signal = 0;
	if (WIFSIGNALED(status)) {
		*term_signal = WTERMSIG(status);
		return 128 + *term_signal;
	}
	return WEXITSTATUS(status);
}

/* Reap every child that has ended (orphans come to us as subreaper); true once `root` has. */
static bool reap(pid_t root, int *root_status)
{
	bool root_done = false;
	int status;
	pid_t w;

	while ((w = waitpid(-1, &status, WNOHANG)) > 0) {
		if (w == root) {
			*root_status = status;
			root_done = true;
		}
	}
	return root_done;
}

static int copy_argv(struct cp_run *run, char **argv, int argc)
{
	run->argv = calloc(argc + 1, sizeof(char *));
	if (!run->argv)
		return -ENOMEM;
	for (int i = 0; i < argc; i++) {
		run->argv[i] = strdup(argv[i]);
		if (!run->argv[i])
			return -ENOMEM;
		run->argc = i + 1;
	}
	return 0;
}

/* The attached process's command line, from /proc; "pid N" for one that has none. */
static int attached_argv(struct cp_run *run, pid_t pid)
{
	char path[64], buf[4096], *args[256];
	int argc = 0;
	size_t len = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	f = fopen(path, "re");
	if (f) {
		len = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[len] = '\0';
	for (size_t i = 0; i < len && argc < 255; i += strlen(buf + i) + 1)
		args[argc++] = buf + i;
	if (!argc) { /* a kernel thread, or already gone */
		snprintf(buf, sizeof(buf), "pid %d", pid);
		args[argc++] = buf;
	}
	args[argc] = NULL;
	return copy_argv(run, args, argc);
}

/*
 * Run the command to its end. Returns 0, or an exit code of concprof's own (126/127/1).
 * The child was forked before the BPF side was loaded, while concprof was still small: its
 * exec then has little of our address space to tear down, time the kernel would charge it
 * before concprof starts counting.
 */
static int run_command(const struct options *o, struct cp_launch launch, struct cp_collector *c,
		       struct cp_run *run)
{
	int err, pidfd, root_status = 0;
	struct rusage ru;

	err = cp_collect_add_pending(c, launch.pid);
	if (err) {
		fprintf(stderr, "concprof: cannot trace process %d: %s\n", launch.pid,
			strerror(-err));
		kill(launch.pid, SIGKILL);
		waitpid(launch.pid, NULL, 0);
		return EXIT_TOOL;
	}
	cp_forward_signals(launch.pid);
	err = cp_launch_release(&launch);
	if (err) {
		waitpid(launch.pid, NULL, 0);
		fprintf(stderr, "concprof: %s: %s\n", o->argv[0], strerror(err));
		return err == ENOENT ? 127 : 126;
	}
	run->root_pid = launch.pid;
	/* A pidfd turns readable the moment the workload ends: the wall time stops there. */
	pidfd = syscall(SYS_pidfd_open, launch.pid, 0);
	for (;;) {
		err = cp_collect_poll(c, pidfd, CP_DRAIN_MS);
		if (err < 0) {
			fprintf(stderr, "concprof: reading the event stream failed: %s\n",
				strerror(-err));
			kill(launch.pid, SIGKILL);
		}
		if (reap(launch.pid, &root_status))
			break;
		cp_take_signal(); /* forwarded already; we keep waiting for the workload to end */
	}
	if (pidfd >= 0)
		close(pidfd);
	err = cp_collect_finish(c, cp_now_ns(), run);
	if (err) {
		fprintf(stderr, "concprof: cannot read the kernel's totals: %s\n", strerror(-err));
		return EXIT_TOOL;
	}
	run->exit_code = status_to_exit_code(root_status, &run->term_signal);
	getrusage(RUSAGE_CHILDREN, &ru);
	run->have_rusage = true;
	run->rusage_user_ns = timeval_ns(ru.ru_utime);
	run->rusage_sys_ns = timeval_ns(ru.ru_stime);
	return 0;
}

static int run_attached(const struct options *o, struct cp_collector *c, struct cp_run *run)
{
	uint64_t deadline = 0;
	int pidfd, err;

	pidfd = syscall(SYS_pidfd_open, o->attach_pid, 0);
	if (pidfd < 0) {
		fprintf(stderr, "concprof: no process %d to attach to: %s\n", o->attach_pid,
			strerror(errno));
		return EXIT_TOOL;
	}
	err = cp_collect_attach(c, o->attach_pid);
	if (err) {
		fprintf(stderr, "concprof: cannot attach to process %d: %s\n", o->attach_pid,
			strerror(-err));
		close(pidfd);
		return EXIT_TOOL;
	}
	run->root_pid = o->attach_pid;
	run->exit_code = -1;
	if (o->duration_s > 0)
		deadline = cp_now_ns() + (uint64_t)(o->duration_s * 1e9);
	cp_forward_signals(0); /* Ctrl-C ends the tracing, not the process */
	if (!o->quiet)
		fprintf(stderr, "concprof: tracing process %d%s; Ctrl-C to stop\n", o->attach_pid,
			deadline ? " for the given duration" : " until it exits");
	for (;;) {
		err = cp_collect_poll(c, pidfd, CP_DRAIN_MS);
		if (err < 0) {
			fprintf(stderr, "concprof: reading the event stream failed: %s\n",
				strerror(-err));
			break;
		}
		if (err > 0 || cp_take_signal() || (deadline && cp_now_ns() >= deadline))
			break;
	}
	close(pidfd);
	err = cp_collect_finish(c, cp_now_ns(), run);
	if (err) {
		fprintf(stderr, "concprof: cannot read the kernel's totals: %s\n", strerror(-err));
		return EXIT_TOOL;
	}
	return 0;
}

struct outputs {
	int json_fd, report_fd, perfetto_fd, html_fd, spans_fd;
	const struct cp_timeline *tl; /* NULL unless a timeline view was asked for */
};

/* Write to fd through a FILE; closes fd. Returns 0 or -errno, having said what failed. */
static int write_file(int fd, const char *path, int (*fn)(FILE *, const void *), const void *ctx)
{
	FILE *f = fdopen(fd, "w");
	int err = 0;

	if (!f) {
		err = -errno;
		close(fd);
	} else {
		err = fn(f, ctx);
		if (fclose(f) && !err)
			err = -errno;
	}
	if (err)
		fprintf(stderr, "concprof: cannot write %s: %s\n", path, strerror(-err));
	return err;
}

struct view_ctx {
	const struct cp_run *run;
	const struct cp_analysis *analysis;
	const struct cp_timeline *tl;
};

static int perfetto_fn(FILE *f, const void *p)
{
	const struct view_ctx *v = p;

	return cp_tl_write_perfetto(f, v->run, v->tl);
}

static int spans_fn(FILE *f, const void *p)
{
	const struct view_ctx *v = p;

	return cp_tl_write_tsv(f, v->run, v->tl);
}

static int html_fn(FILE *f, const void *p)
{
	const struct view_ctx *v = p;

	return cp_tl_write_html(f, v->run, v->analysis, v->tl);
}

static int write_outputs(const struct options *o, const struct cp_run *run,
			 const struct outputs *out)
{
	int json_fd = out->json_fd, report_fd = out->report_fd;
	struct cp_analysis analysis;
	struct view_ctx view = { .run = run, .analysis = &analysis, .tl = out->tl };
	int err = 0;

	if (json_fd >= 0) {
		FILE *f = fdopen(json_fd, "w");

		if (!f || cp_json_write(f, run) || fclose(f)) {
			fprintf(stderr, "concprof: cannot write %s: %s\n", o->json_path,
				strerror(errno));
			err = -EIO;
		}
	}
	if (o->want_timeline && !out->tl)
		err = -EIO; /* said why already */
	if (o->quiet && report_fd < 0 && !o->timeline && out->html_fd < 0 &&
	    out->perfetto_fd < 0 && out->spans_fd < 0)
		return err;
	if (cp_analyze(run, &analysis)) {
		fprintf(stderr, "concprof: out of memory analysing the run\n");
		return -ENOMEM;
	}
	if (out->tl && out->perfetto_fd >= 0 &&
	    write_file(out->perfetto_fd, o->perfetto_path, perfetto_fn, &view))
		err = -EIO;
	if (out->tl && out->html_fd >= 0 && write_file(out->html_fd, o->html_path, html_fn, &view))
		err = -EIO;
	if (out->tl && out->spans_fd >= 0 &&
	    write_file(out->spans_fd, o->spans_path, spans_fn, &view))
		err = -EIO;
	if (!o->quiet || report_fd >= 0 || o->timeline) {
		int fd = report_fd >= 0 ? report_fd : STDERR_FILENO;
		FILE *f = report_fd >= 0 ? fdopen(report_fd, "w") : stderr;
		struct cp_render_opts ropts = {
			.color = cp_color_wanted(o->color, fd, report_fd >= 0),
			.width = cp_term_width(fd, 40),
			.max_threads = 20,
		};

		struct cp_tl_term_opts topts = {
			.color = ropts.color,
			.width = ropts.width < 60 ? 60 : ropts.width,
			.max_threads = 24,
		};

		if (!f || (!o->quiet && cp_render_report(f, run, &analysis, &ropts)) ||
		    (o->timeline && out->tl && cp_tl_render_term(f, run, out->tl, &topts)) ||
		    (report_fd >= 0 ? fclose(f) : fflush(f))) {
			fprintf(stderr, "concprof: cannot write the report%s%s: %s\n",
				report_fd >= 0 ? " to " : "", report_fd >= 0 ? o->report_path : "",
				strerror(errno));
			err = -EIO;
		}
	}
	cp_analysis_free(&analysis);
	return err;
}

static int open_output_or_complain(const char *path, const struct cp_user *user)
{
	int fd;

	if (!path)
		return -1;
	fd = cp_open_output(path, user);
	if (fd < 0) {
		fprintf(stderr, "concprof: cannot write %s: %s%s\n", path, strerror(-fd),
			fd == -ELOOP ? " (it is a symbolic link; concprof does not follow those)"
				     : "");
		exit(EXIT_TOOL);
	}
	return fd;
}

/* Every output the options name, opened before anything runs: a bad path fails first. */
static void open_outputs(const struct options *o, const struct cp_user *user, struct outputs *out)
{
	out->json_fd = open_output_or_complain(o->json_path, user);
	out->report_fd = open_output_or_complain(o->report_path, user);
	out->perfetto_fd = open_output_or_complain(o->perfetto_path, user);
	out->html_fd = open_output_or_complain(o->html_path, user);
	out->spans_fd = open_output_or_complain(o->spans_path, user);
	out->tl = NULL;
}

/* Writes the recording; a file left half-written would only confuse `report` later. */
static int write_recording(int fd, const char *path, const struct cp_run *run,
			   struct cp_collector *c)
{
	struct cp_recfile_meta meta;
	FILE *f = fdopen(fd, "w");
	int err;

	if (!f) {
		err = -errno;
		close(fd);
	} else {
		cp_recfile_meta_init(&meta, cp_collect_origin(c));
		err = cp_recfile_write(f, run, cp_collect_stream(c), &meta);
		if (fclose(f) && !err)
			err = -errno;
	}
	if (err) {
		fprintf(stderr, "concprof: cannot write the recording %s: %s\n", path,
			strerror(-err));
		unlink(path);
	}
	return err;
}

/* concprof report FILE [VIEW OPTIONS]: everything a live run prints, from a recording. */
static int report_main(int argc, char **argv)
{
	struct options o = { .report = true };
	struct cp_recfile_meta meta;
	struct cp_run run = { 0 };
	struct cp_stream stream;
	struct cp_timeline tl;
	struct outputs out;
	struct cp_user user;
	char msg[256];
	int err, code = 0;
	FILE *in;

	parse_options(argc, argv, &o);
	cp_i18n_init(o.lang);
	in = fopen(o.report_file, "re");
	if (!in) {
		fprintf(stderr, "concprof: cannot read %s: %s\n", o.report_file, strerror(errno));
		return EXIT_TOOL;
	}
	cp_stream_init(&stream);
	err = cp_recfile_read(in, &run, &stream, &meta, msg, sizeof(msg));
	fclose(in);
	if (err) {
		fprintf(stderr, "concprof: %s: %s\n", o.report_file, msg);
		cp_stream_free(&stream);
		return EXIT_TOOL;
	}
	if (o.want_timeline && !meta.has_stream) {
		fprintf(stderr, "concprof: %s was recorded with --no-stream: it has no timeline\n",
			o.report_file);
		code = EXIT_TOOL;
		goto out;
	}
	if (cp_user_from_env(&user, msg, sizeof(msg))) {
		fprintf(stderr, "concprof: %s\n", msg);
		code = EXIT_TOOL;
		goto out;
	}
	open_outputs(&o, &user, &out);
	if (o.want_timeline) {
		err = cp_timeline_build(&tl, &run, &stream, meta.origin_ns);
		if (err)
			fprintf(stderr, "concprof: cannot build the timeline: %s\n", strerror(-err));
		else
			out.tl = &tl;
	}
	if (write_outputs(&o, &run, &out))
		code = EXIT_TOOL;
	if (out.tl)
		cp_timeline_free(&tl);
out:
	cp_stream_free(&stream);
	cp_run_free(&run);
	return code;
}

int main(int argc, char **argv)
{
	struct cp_collector *collector = NULL;
	struct cp_run run = { 0 };
	struct options o;
	struct cp_user user;
	struct cp_launch launch = { 0 };
	struct outputs out;
	struct cp_timeline tl;
	int code;
	char err_msg[256];
	int record_fd = -1;

	/* Subcommands: `concprof -- report` runs a program called report. */
	if (argc > 1 && strcmp(argv[1], "report") == 0)
		return report_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "compare") == 0)
		return cp_compare_main(argc - 1, argv + 1);
	o.record = argc > 1 && strcmp(argv[1], "record") == 0;
	o.report = false;
	if (o.record) {
		argc--;
		argv++;
	}
	parse_options(argc, argv, &o);
	/* Before anything prints, and before the workload is forked (see cp_i18n_init). */
	cp_i18n_init(o.lang);
	if (check_environment())
		return EXIT_TOOL;
	if (cp_user_from_env(&user, err_msg, sizeof(err_msg))) {
		fprintf(stderr, "concprof: %s\n", err_msg);
		return EXIT_TOOL;
	}
	/* Open the outputs first: a bad path should fail before the workload runs. */
	open_outputs(&o, &user, &out);
	record_fd = open_output_or_complain(o.record_path, &user);

	if (!o.attach_pid) {
		/* Orphaned grandchildren come to us: their rusage counts, none is left a zombie. */
		prctl(PR_SET_CHILD_SUBREAPER, 1);
		code = cp_launch_start(&launch, o.argv, &user);
		if (code) {
			fprintf(stderr, "concprof: cannot start %s: %s\n", o.argv[0],
				strerror(-code));
			return EXIT_TOOL;
		}
	}
	if (cp_collect_open(&collector, &o.collect)) {
		if (!o.attach_pid) {
			kill(launch.pid, SIGKILL);
			waitpid(launch.pid, NULL, 0);
		}
		return EXIT_TOOL;
	}
	run.cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (o.attach_pid) {
		code = attached_argv(&run, o.attach_pid) ? EXIT_TOOL
							  : run_attached(&o, collector, &run);
	} else {
		code = copy_argv(&run, o.argv, o.argc) ? EXIT_TOOL
						       : run_command(&o, launch, collector, &run);
	}
	if (code == 0 && o.want_timeline) {
		int err = cp_timeline_build(&tl, &run, cp_collect_stream(collector),
					    cp_collect_origin(collector));

		if (err)
			fprintf(stderr, "concprof: cannot build the timeline: %s\n", strerror(-err));
		else
			out.tl = &tl;
	}
	bool record_failed = code == 0 && record_fd >= 0 &&
			     write_recording(record_fd, o.record_path, &run, collector);

	cp_collect_close(collector);
	if (code == 0) {
		if ((write_outputs(&o, &run, &out) || record_failed) && run.exit_code == 0)
			code = EXIT_TOOL;
		else
			code = run.exit_code >= 0 ? run.exit_code : 0;
	}
	if (out.tl)
		cp_timeline_free(&tl);
	cp_run_free(&run);
	return code;
}
