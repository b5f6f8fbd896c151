// SPDX-License-Identifier: GPL-2.0
/*
 * `concprof compare`: the command line. The runs come from files (concprof/1 JSON, or
 * recordings) or from commands, which are run one after another by this same executable
 * (`/proc/self/exe -q --json TMP -- COMMAND...`) and read back. compare.c does the rest.
 *
 * It keeps no global state and needs none of the tracing code, so it links with the pure
 * objects; only the `--` form forks.
 */
#include "compare.h"

#include "i18n.h"
#include "jsonread.h"
#include "launch.h"
#include "term.h"

#if __has_include("recfile.h")
#include "recfile.h"
#define HAVE_RECFILE 1
#else
#define HAVE_RECFILE 0
#endif

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXIT_USAGE 2
#define EXIT_FAIL  1
/* The first bytes of a recording (recfile.h): a file that starts so is not JSON. */
#define RECORDING_MAGIC "CONCPROF"
#define COMMAND_SEP	":::"
#define MIN_WIDTH	60
#define ERR_LEN		512

struct options {
	bool markdown;
	bool quiet;
	const char *json_path;
	const char *output_path;
	const char *lang;
	enum cp_color color;
	const char **labels; /* -l, in order */
	size_t nr_labels;
};

/* One run to compare: from a file, or a command to run. */
struct input {
	const char *path; /* a file, or NULL */
	char **command;	  /* NULL-terminated, pointing into argv; or NULL */
	int command_len;
	char *label;	   /* heap */
	struct cp_run run; /* read */
	bool loaded;
};

static const char usage_text[] = N_(
	"Usage: concprof compare [OPTIONS] A.json B.json [C.json...]\n"
	"       concprof compare [OPTIONS] -- COMMAND [ARG...] ::: COMMAND [ARG...] [::: ...]\n"
	"\n"
	"Show two or more runs side by side: wall, user and sys time, the speed-up over the first\n"
	"run, where the threads' time went, the bytes they moved, and the lecture's table of\n"
	"threads versus processes, measured (CPU use, memory, communication, start-up cost);\n"
	"then a verdict in words on each run. The first run is the baseline.\n"
	"\n"
	"A run is a file saved by 'concprof --json FILE' (or a recording), or a command: after\n"
	"'--', commands separated by ':::' are run one after another under concprof, which needs\n"
	"root as any concprof run does (reading files does not). Their standard output goes to\n"
	"stderr, so that stdout holds only the comparison. Files and commands can be mixed: the\n"
	"files come first.\n"
	"\n"
	"Options:\n"
	"      --markdown         GitHub Markdown tables instead of text (slides, issues)\n"
	"      --json FILE        also write the figures as JSON (format concprof-compare/1);\n"
	"                         FILE '-' is stdout, and then there is no text unless -o\n"
	"  -o, --output FILE      write the text (or Markdown) to FILE instead of stdout\n"
	"  -l, --label NAME       name the next run: the first -l names the first run, and so\n"
	"                         on; by default a file's name without .json, and a command's\n"
	"                         words that differ from the other commands'\n"
	"      --color WHEN       colour the text: auto (default), always, never; NO_COLOR in\n"
	"                         the environment means never\n"
	"      --lang LANG        the language of the text: pt_BR (Brazilian Portuguese) or en\n"
	"  -q, --quiet            no text (use with --json)\n"
	"  -h, --help             print this help and exit\n"
	"\n"
	"Examples:\n"
	"  sudo concprof -q --json seq.json -- workloads/primes --mode seq\n"
	"  sudo concprof -q --json procs.json -- workloads/primes --mode procs\n"
	"  concprof compare seq.json procs.json                 no root needed\n"
	"  concprof compare --markdown seq.json procs.json > table.md\n"
	"  concprof compare -q --json cmp.json seq.json procs.json\n"
	"  sudo concprof compare -- workloads/primes --mode seq ::: workloads/primes --mode gil\n"
	"  sudo concprof compare -l C -l CPython -- workloads/primes --mode threads \\\n"
	"       ::: python3 workloads/python/primes.py --mode threads\n"
	"\n"
	"Exit status: 0 on success, 2 for a bad command line, 1 if a file cannot be read, a\n"
	"command's run fails or an output cannot be written (each with a message naming it).\n");

static int __attribute__((format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("concprof compare: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s\n", _("Try 'concprof compare --help' for more information."));
	return EXIT_USAGE;
}

static void __attribute__((format(printf, 1, 2))) complain(const char *fmt, ...)
{
	va_list ap;

	fputs("concprof compare: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* --- the user behind sudo ------------------------------------------------------------------ */

/*
 * As root under sudo, the files concprof writes are the calling user's, opened with their
 * rights and groups and never through a symlink: launch.c's rules, as for a run.
 */
static struct cp_user the_user;

static int open_output(const char *path)
{
	return cp_open_output(path, &the_user);
}

static FILE *open_output_file(const char *path)
{
	int fd = open_output(path);
	FILE *f;

	if (fd < 0) {
		complain(_("cannot write %s: %s%s"), path, strerror(-fd),
			 fd == -ELOOP
				 ? _(" (it is a symbolic link; concprof does not follow those)")
				 : "");
		return NULL;
	}
	f = fdopen(fd, "w");
	if (!f) {
		complain(_("cannot write %s: %s"), path, strerror(errno));
		close(fd);
	}
	return f;
}

/* --- reading runs ---------------------------------------------------------------------------- */

/* The stream's first bytes are a recording's magic. Leaves in at its start (else: -errno). */
static int starts_as_recording(FILE *in, bool *recording)
{
	char magic[sizeof(RECORDING_MAGIC) - 1];
	size_t got = fread(magic, 1, sizeof(magic), in);

	if (ferror(in))
		return -(errno ? errno : EIO);
	*recording = got == sizeof(magic) && memcmp(magic, RECORDING_MAGIC, sizeof(magic)) == 0;
	if (fseek(in, 0, SEEK_SET))
		return -errno;
	return 0;
}

/*
 * A stream that can be read twice: the file itself, or (a pipe, `<(concprof ...)`) its bytes
 * in memory. *buf is what to free after fclose.
 */
static FILE *rewindable(FILE *in, char **buf)
{
	size_t len = 0;
	FILE *copy;
	char chunk[65536];
	size_t got;

	*buf = NULL;
	if (fseek(in, 0, SEEK_CUR) == 0)
		return in;
	copy = open_memstream(buf, &len);
	if (!copy)
		return NULL;
	while ((got = fread(chunk, 1, sizeof(chunk), in)) > 0)
		if (fwrite(chunk, 1, got, copy) != got)
			break;
	if (ferror(in) || fclose(copy)) {
		free(*buf);
		*buf = NULL;
		return NULL;
	}
	fclose(in);
	return fmemopen(*buf, len ? len : 1, "r");
}

/* Reads path into run; err says why not, without the file's name. Returns 0 or -errno. */
static int read_run(const char *path, int fd, struct cp_run *run, char *err, size_t errlen)
{
	FILE *in = fd >= 0 ? fdopen(fd, "r") : fopen(path, "re");
	char *buf = NULL;
	bool recording = false;
	int ret;

	if (!in) {
		ret = -errno;
		snprintf(err, errlen, "%s", strerror(-ret));
		if (fd >= 0)
			close(fd);
		return ret;
	}
	in = rewindable(in, &buf);
	if (!in) {
		snprintf(err, errlen, "%s", strerror(errno ? errno : EIO));
		return -EIO;
	}
	ret = starts_as_recording(in, &recording);
	if (ret) {
		snprintf(err, errlen, "%s", strerror(-ret));
	} else if (recording) {
#if HAVE_RECFILE
		struct cp_recfile_meta meta;

		ret = cp_recfile_read(in, run, NULL, &meta, err, errlen);
#else
		snprintf(err, errlen, "%s",
			 _("it is a recording, and recordings are not supported yet"));
		ret = -ENOTSUP;
#endif
	} else {
		ret = cp_json_read(in, run, err, errlen);
	}
	fclose(in);
	free(buf);
	return ret;
}

/* --- running commands ------------------------------------------------------------------------ */

/* A directory for the runs' JSON that the run's user (under sudo) can write into. */
static char *make_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *dir;

	if (!base || !*base)
		base = "/tmp";
	if (asprintf(&dir, "%s/concprof-compare-XXXXXX", base) < 0)
		return NULL;
	if (!mkdtemp(dir)) {
		int err = errno;

		complain(_("cannot create a temporary directory in %s: %s"), base, strerror(err));
		free(dir);
		return NULL;
	}
	/* concprof writes --json as the sudo user: into a directory of theirs. */
	if (the_user.drop && chown(dir, the_user.uid, the_user.gid)) {
		complain(_("cannot give %s to the calling user: %s"), dir, strerror(errno));
		rmdir(dir);
		free(dir);
		return NULL;
	}
	return dir;
}

/*
 * Runs `concprof -q --json json_path -- COMMAND...` and waits for it. Its standard output (the
 * program's) goes to our stderr. Returns its wait status, or -errno if it could not start.
 */
static int run_under_concprof(char **command, int command_len, const char *json_path)
{
	char **args = calloc((size_t)command_len + 6, sizeof(*args));
	struct sigaction ignore = { .sa_handler = SIG_IGN }, old_int, old_quit;
	int status = 0, err = 0;
	pid_t pid;

	if (!args)
		return -ENOMEM;
	args[0] = "concprof";
	args[1] = "-q";
	args[2] = "--json";
	args[3] = (char *)json_path;
	args[4] = "--";
	memcpy(args + 5, command, (size_t)command_len * sizeof(*args));
	/* Like system(3): Ctrl-C is for the run (concprof forwards it), not for us. */
	sigemptyset(&ignore.sa_mask);
	sigaction(SIGINT, &ignore, &old_int);
	sigaction(SIGQUIT, &ignore, &old_quit);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
			_exit(126);
		execv("/proc/self/exe", args);
		fprintf(stderr, "concprof compare: /proc/self/exe: %s\n", strerror(errno));
		_exit(126);
	}
	if (pid < 0)
		err = -errno;
	while (pid > 0 && waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			err = -errno;
			break;
		}
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	free(args);
	return err ? err : status;
}

static void command_text(char **command, int len, char *buf, size_t buflen)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < len && used + 1 < buflen; i++) {
		int n = snprintf(buf + used, buflen - used, "%s%s", i ? " " : "", command[i]);

		if (n < 0)
			break;
		used += (size_t)n < buflen - used ? (size_t)n : buflen - used - 1;
	}
}

/*
 * Runs input's command and reads its JSON back. Returns 0; 130 when Ctrl-C stopped it;
 * EXIT_FAIL when it failed (said why).
 */
static int run_command_input(struct input *in, size_t number, size_t total, const char *dir)
{
	char path[4096], err[ERR_LEN], text[1024];
	int status, fd, ret;
	struct stat st;

	command_text(in->command, in->command_len, text, sizeof(text));
	snprintf(path, sizeof(path), "%s/run-%zu.json", dir, number);
	/* TRANSLATORS: "run 1 of 3: workloads/primes --mode seq". */
	complain(_("run %zu of %zu: %s"), number, total, text);
	status = run_under_concprof(in->command, in->command_len, path);
	if (status < 0) {
		complain(_("cannot run %s: %s"), text, strerror(-status));
		return EXIT_FAIL;
	}
	if ((WIFSIGNALED(status) && WTERMSIG(status) == SIGINT) ||
	    (WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGINT)) {
		unlink(path);
		complain("%s", _("interrupted"));
		return 128 + SIGINT;
	}
	/* The directory is the run's user's: no symlink planted there is followed. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	/* concprof opens its outputs before it starts the program: empty if it never ran. */
	if (fd >= 0 && (fstat(fd, &st) || st.st_size == 0)) {
		close(fd);
		unlink(path);
		fd = -1;
	}
	if (fd < 0) {
		if (WIFEXITED(status))
			complain(_("run %zu (%s) failed: concprof exited with status %d and "
				   "saved no measurements"),
				 number, text, WEXITSTATUS(status));
		else
			complain(_("run %zu (%s) failed: concprof was killed by %s"), number, text,
				 cp_fmt_signal(WTERMSIG(status)).s);
		return EXIT_FAIL;
	}
	ret = read_run(path, fd, &in->run, err, sizeof(err));
	unlink(path);
	if (ret) {
		complain(_("run %zu (%s) failed: its measurements cannot be read: %s"), number,
			 text, err);
		return EXIT_FAIL;
	}
	in->loaded = true;
	return 0;
}

/* --- labels -------------------------------------------------------------------------------- */

/* "runs/seq.json" -> "seq" */
static char *file_label(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t len;

	base = base && base[1] ? base + 1 : path;
	len = strlen(base);
	if (len > 5 && strcmp(base + len - 5, ".json") == 0)
		len -= 5;
	return strndup(base, len);
}

/*
 * Commands' labels: the words in which they differ. "primes --mode seq --scale 2" and
 * "primes --mode gil --scale 2" are "seq" and "gil"; a lone command is itself.
 */
static void command_labels(struct input *inputs, size_t n)
{
	size_t nr_commands = 0, prefix = 0, suffix = 0;
	int shortest = 0;
	struct input *first = NULL;

	for (size_t i = 0; i < n; i++) {
		if (!inputs[i].command || inputs[i].label)
			continue;
		if (!first || inputs[i].command_len < shortest)
			shortest = inputs[i].command_len;
		if (!first)
			first = &inputs[i];
		nr_commands++;
	}
	if (!first)
		return;
	if (nr_commands >= 2) {
		bool same = true;

		/* Common words at both ends, leaving each command at least one of its own. */
		while (same && (int)prefix + 1 < shortest) {
			for (size_t i = 0; i < n && same; i++)
				if (inputs[i].command && !inputs[i].label)
					same = strcmp(inputs[i].command[prefix],
						      first->command[prefix]) == 0;
			prefix += same;
		}
		same = true;
		while (same && (int)(prefix + suffix) + 1 < shortest) {
			for (size_t i = 0; i < n && same; i++)
				if (inputs[i].command && !inputs[i].label)
					same = strcmp(inputs[i].command[inputs[i].command_len - 1 -
									suffix],
						      first->command[first->command_len - 1 -
								     suffix]) == 0;
			suffix += same;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct input *in = &inputs[i];
		size_t to = (size_t)in->command_len - suffix, used = 0;
		char text[1024] = "";

		if (!in->command || in->label)
			continue;
		for (size_t w = prefix; w < to && used + 1 < sizeof(text); w++) {
			const char *word = in->command[w], *slash = strrchr(word, '/');
			int len;

			/* The program by its name: "primes", not "./workloads/primes". */
			if (w == 0 && slash && slash[1])
				word = slash + 1;
			len = snprintf(text + used, sizeof(text) - used, "%s%s", used ? " " : "",
				       word);
			if (len < 0)
				break;
			used += (size_t)len < sizeof(text) - used ? (size_t)len
								  : sizeof(text) - used - 1;
		}
		in->label = strdup(text);
	}
}

/* Labels that are the same get their position: "2: primes", "3: primes". */
static int finish_labels(struct input *inputs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bool dup = false;

		if (!inputs[i].label)
			return -ENOMEM;
		for (size_t j = 0; j < n; j++)
			dup = dup || (j != i && inputs[j].label &&
				      strcmp(inputs[i].label, inputs[j].label) == 0);
		if (dup && inputs[i].path) {
			/* Two files of one name: their paths tell them apart. */
			free(inputs[i].label);
			inputs[i].label = strdup(inputs[i].path);
		}
	}
	for (size_t i = 0; i < n; i++) {
		bool dup = false;
		char *numbered;

		for (size_t j = 0; j < n; j++)
			dup = dup || (j != i && strcmp(inputs[i].label, inputs[j].label) == 0);
		if (!dup)
			continue;
		if (asprintf(&numbered, "%zu: %s", i + 1, inputs[i].label) < 0)
			return -ENOMEM;
		free(inputs[i].label);
		inputs[i].label = numbered;
	}
	return 0;
}

/* --- the command line ------------------------------------------------------------------------ */

/* Options before the "--" that starts the commands (getopt must not move it). */
static int parse_options(int argc, char **argv, struct options *o, int *files_from)
{
	enum {
		OPT_MARKDOWN = 256,
		OPT_JSON,
		OPT_COLOR,
		OPT_LANG
	};
	static const struct option longopts[] = {
		{ "markdown", no_argument, NULL, OPT_MARKDOWN },
		{ "json", required_argument, NULL, OPT_JSON },
		{ "output", required_argument, NULL, 'o' },
		{ "label", required_argument, NULL, 'l' },
		{ "color", required_argument, NULL, OPT_COLOR },
		{ "colour", required_argument, NULL, OPT_COLOR },
		{ "lang", required_argument, NULL, OPT_LANG },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;

	o->labels = calloc((size_t)argc + 1, sizeof(*o->labels));
	if (!o->labels)
		return -ENOMEM;
	optind = 0; /* getopt from scratch, whatever ran before */
	opterr = 0; /* its messages would begin "compare:", ours "concprof compare:" */
	while ((opt = getopt_long(argc, argv, ":o:l:qh", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_MARKDOWN:
			o->markdown = true;
			break;
		case OPT_JSON:
			o->json_path = optarg;
			break;
		case 'o':
			o->output_path = optarg;
			break;
		case 'l':
			o->labels[o->nr_labels++] = optarg;
			break;
		case OPT_COLOR:
			if (cp_color_parse(optarg, &o->color))
				return usage_error(_("invalid --color '%s': want auto, always or "
						     "never"),
						   optarg);
			break;
		case OPT_LANG:
			o->lang = optarg;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			return -1; /* help */
		case ':':
			return usage_error(_("option '%s' needs an argument"), argv[optind - 1]);
		default:
			return usage_error(_("unknown option '%s'"), argv[optind - 1]);
		}
	}
	*files_from = optind;
	return 0;
}

/* Splits argv (after "--") into commands at ":::". Returns how many, or -1 if one is empty. */
static int split_commands(char **argv, int argc, struct input *inputs, size_t *n)
{
	int start = 0, count = 0;

	for (int i = 0; i <= argc; i++) {
		if (i < argc && strcmp(argv[i], COMMAND_SEP) != 0)
			continue;
		if (i == start)
			return -1;
		inputs[*n].command = argv + start;
		inputs[*n].command_len = i - start;
		(*n)++;
		count++;
		start = i + 1;
	}
	return count;
}

static int write_outputs(const struct options *o, const struct cp_compare_run *runs, size_t n)
{
	bool text_to_stdout =
		!o->quiet && !o->output_path && !(o->json_path && strcmp(o->json_path, "-") == 0);
	int ret = 0, err;

	if (o->json_path) {
		bool to_stdout = strcmp(o->json_path, "-") == 0;
		FILE *f = to_stdout ? stdout : open_output_file(o->json_path);

		if (!f)
			return EXIT_FAIL;
		err = cp_compare_render(f, runs, n, CP_COMPARE_JSON, NULL);
		if ((to_stdout ? fflush(f) : fclose(f)) && !err)
			err = -errno;
		if (err) {
			complain(_("cannot write %s: %s"),
				 to_stdout ? _("the standard output") : o->json_path,
				 strerror(-err));
			ret = EXIT_FAIL;
		}
	}
	if (!o->quiet && (o->output_path || text_to_stdout)) {
		FILE *f = o->output_path ? open_output_file(o->output_path) : stdout;
		struct cp_compare_opts opts;

		if (!f)
			return EXIT_FAIL;
		opts = (struct cp_compare_opts){
			.color = !o->markdown &&
				 cp_color_wanted(o->color, fileno(f), o->output_path != NULL),
			.width = cp_term_width(fileno(f), MIN_WIDTH),
		};
		err = cp_compare_render(f, runs, n,
					o->markdown ? CP_COMPARE_MARKDOWN : CP_COMPARE_TEXT, &opts);
		if ((o->output_path ? fclose(f) : fflush(f)) && !err)
			err = -errno;
		if (err) {
			complain(_("cannot write %s: %s"),
				 o->output_path ? o->output_path : _("the standard output"),
				 strerror(-err));
			ret = EXIT_FAIL;
		}
	}
	return ret;
}

static int compare(const struct options *o, struct input *inputs, size_t n)
{
	struct cp_compare_run *runs;
	char err[ERR_LEN], *dir = NULL;
	size_t nr_commands = 0;
	int ret = 0;

	for (size_t i = 0; i < n; i++)
		nr_commands += inputs[i].command != NULL;
	/* Files first: a bad one is reported before minutes of runs. */
	for (size_t i = 0; i < n; i++) {
		if (!inputs[i].path)
			continue;
		if (read_run(inputs[i].path, -1, &inputs[i].run, err, sizeof(err))) {
			complain("%s: %s", inputs[i].path, err);
			return EXIT_FAIL;
		}
		inputs[i].loaded = true;
	}
	if (nr_commands) {
		size_t number = 0;

		dir = make_tmpdir();
		if (!dir)
			return EXIT_FAIL;
		for (size_t i = 0; i < n && !ret; i++)
			if (inputs[i].command)
				ret = run_command_input(&inputs[i], ++number, nr_commands, dir);
		rmdir(dir);
		free(dir);
		if (ret)
			return ret;
	}
	runs = calloc(n, sizeof(*runs));
	if (!runs) {
		complain("%s", strerror(ENOMEM));
		return EXIT_FAIL;
	}
	for (size_t i = 0; i < n; i++)
		runs[i] =
			(struct cp_compare_run){ .label = inputs[i].label, .run = &inputs[i].run };
	ret = write_outputs(o, runs, n);
	free(runs);
	/* A run whose program failed is compared all the same, but said, and not a success. */
	for (size_t i = 0; i < n && ret == 0; i++)
		if (inputs[i].command && inputs[i].run.exit_code != 0)
			ret = EXIT_FAIL;
	for (size_t i = 0; i < n; i++) {
		if (inputs[i].command && inputs[i].run.exit_code != 0)
			complain(_("%s exited with status %d"), inputs[i].label,
				 inputs[i].run.exit_code);
	}
	return ret;
}

int cp_compare_main(int argc, char **argv)
{
	struct options o = { .color = CP_COLOR_AUTO };
	struct input *inputs = NULL;
	int dashes = argc, files_from = 1, ret;
	size_t n = 0;

	/* The commands begin after the first "--": getopt sees only what comes before. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			dashes = i;
			break;
		}
	}
	ret = parse_options(dashes, argv, &o, &files_from);
	cp_i18n_init(o.lang);
	if (ret == -1) {
		fputs(_(usage_text), stdout);
		ret = 0;
		goto out;
	}
	if (ret == -ENOMEM) {
		complain("%s", strerror(ENOMEM));
		ret = EXIT_FAIL;
		goto out;
	}
	if (ret)
		goto out;
	{
		char msg[256];

		if (cp_user_from_env(&the_user, msg, sizeof(msg))) {
			complain("%s", msg);
			ret = EXIT_FAIL;
			goto out;
		}
	}
	inputs = calloc((size_t)argc + 1, sizeof(*inputs));
	if (!inputs) {
		complain("%s", strerror(ENOMEM));
		ret = EXIT_FAIL;
		goto out;
	}
	for (int i = files_from; i < dashes; i++)
		inputs[n++].path = argv[i];
	if (dashes < argc && split_commands(argv + dashes + 1, argc - dashes - 1, inputs, &n) < 0) {
		ret = usage_error(_("an empty command: write -- COMMAND [ARG...] ::: COMMAND "
				    "[ARG...]"));
		goto out;
	}
	if (n < 2) {
		ret = usage_error(_("compare needs two runs or more (files, or commands after "
				    "--), got %zu"),
				  n);
		goto out;
	}
	if (o.nr_labels > n) {
		ret = usage_error(_("%zu labels (-l) for %zu runs"), o.nr_labels, n);
		goto out;
	}
	if (o.quiet && !o.json_path) {
		ret = usage_error("%s", _("-q leaves nothing to write: add --json FILE"));
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (i < o.nr_labels)
			inputs[i].label = strdup(o.labels[i]);
		else if (inputs[i].path)
			inputs[i].label = file_label(inputs[i].path);
	}
	command_labels(inputs, n);
	if (finish_labels(inputs, n)) {
		complain("%s", strerror(ENOMEM));
		ret = EXIT_FAIL;
		goto out;
	}
	ret = compare(&o, inputs, n);
out:
	for (size_t i = 0; inputs && i < n; i++) {
		free(inputs[i].label);
		if (inputs[i].loaded)
			cp_run_free(&inputs[i].run);
	}
	free(inputs);
	free(o.labels);
	return ret;
}
