// SPDX-License-Identifier: GPL-2.0
/*
 * The report in Brazilian Portuguese: the catalogue compiled from po/pt_BR.po (with msgfmt,
 * into a temporary directory), chosen by --lang or by the environment even where the pt_BR
 * locale is not generated, with its plurals and decimal commas; and English otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "analyze.h"
#include "explain.h"
#include "fmt.h"
#include "i18n.h"
#include "render.h"
#include "runs.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char localedir[PATH_MAX];
static bool have_catalog;

/* po/pt_BR.po from the repository root, or from tests/unit/bin/ (where this test lives). */
static bool find_po(char *buf, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;

	if (access("po/pt_BR.po", R_OK) == 0)
		return snprintf(buf, len, "po/pt_BR.po") < (int)len;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return false;
	*slash = '\0';
	return snprintf(buf, len, "%s/../../../po/pt_BR.po", exe) < (int)len &&
	       access(buf, R_OK) == 0;
}

static int compile_catalog(void **state)
{
	char po[PATH_MAX], dir[PATH_MAX + 32], command[3 * PATH_MAX];

	(void)state;
	if (system("command -v msgfmt >/dev/null 2>&1") != 0) {
		fprintf(stderr, "# msgfmt not found (Debian: apt-get install gettext): skipping\n");
		return 0;
	}
	if (!find_po(po, sizeof(po))) {
		fprintf(stderr, "# po/pt_BR.po not found: skipping\n");
		return 0;
	}
	snprintf(localedir, sizeof(localedir), "%s/concprof-i18n-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(localedir))
		return -1;
	snprintf(dir, sizeof(dir), "%s/pt_BR", localedir);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/pt_BR/LC_MESSAGES", localedir);
	mkdir(dir, 0755);
	snprintf(command, sizeof(command), "msgfmt --check -o '%s/concprof.mo' '%s'", dir, po);
	if (system(command) != 0)
		return -1;
	have_catalog = true;
	return 0;
}

static int remove_catalog(void **state)
{
	char command[PATH_MAX + 16];

	(void)state;
	cp_i18n_init_dir("C", localedir);
	if (localedir[0]) {
		snprintf(command, sizeof(command), "rm -rf '%s'", localedir);
		return system(command) == 0 ? 0 : -1;
	}
	return 0;
}

/* Every test starts from a user environment that names no language, and ends in English. */
static int clean_environment(void **state)
{
	(void)state;
	cp_i18n_init_dir("C", localedir);
	unsetenv("LANGUAGE");
	unsetenv("LC_ALL");
	unsetenv("LC_MESSAGES");
	unsetenv("LANG");
	return 0;
}

static void need_catalog(void)
{
	if (!have_catalog)
		skip();
}

static char *render(const struct cp_run *run, int width)
{
	struct cp_render_opts opts = CP_RENDER_OPTS_DEFAULT;
	struct cp_analysis a;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	opts.width = width;
	assert_non_null(f);
	assert_int_equal(cp_analyze(run, &a), 0);
	assert_int_equal(cp_render_report(f, run, &a, &opts), 0);
	assert_int_equal(fclose(f), 0);
	cp_analysis_free(&a);
	if (getenv("CONCPROF_TEST_SHOW"))
		fputs(text, stderr);
	return text;
}

/* The finding of a kind, as explain.c writes it (not wrapped), into buf. */
static const char *finding(const struct cp_run *run, int kind, char *buf, size_t len)
{
	struct cp_finding findings[CP_MAX_FINDINGS];
	struct cp_analysis a;
	size_t nr;

	assert_int_equal(cp_analyze(run, &a), 0);
	nr = cp_explain(run, &a, findings, CP_MAX_FINDINGS);
	cp_analysis_free(&a);
	for (size_t i = 0; i < nr; i++)
		if (findings[i].kind == kind) {
			snprintf(buf, len, "%s", findings[i].text);
			return buf;
		}
	fail_msg("no %s finding", cp_finding_kind_name(kind));
	return NULL;
}

static void assert_contains(const char *text, const char *part)
{
	if (!strstr(text, part))
		fail_msg("\"%s\" not in:\n%s", part, text);
}

static void assert_not_contains(const char *text, const char *part)
{
	if (strstr(text, part))
		fail_msg("\"%s\" should not be in:\n%s", part, text);
}

static void assert_fits(const char *text, int width)
{
	for (const char *line = text; *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char buf[1024];

		assert_true(len < sizeof(buf));
		memcpy(buf, line, len);
		buf[len] = '\0';
		if (cp_utf8_width(buf) > (size_t)width)
			fail_msg("line wider than %d columns:\n%s", width, buf);
		line = end ? end + 1 : line + len;
	}
}

/* The lecture's sequential download, as its "Análise: download sequencial" slide says it. */
static void test_lecture_report_in_portuguese(void **state)
{
	struct cp_run run;
	char buf[CP_FINDING_LEN], *text;

	(void)state;
	need_catalog();
	cp_i18n_init_dir("pt_BR", localedir);
	run_lecture_sequential(&run);
	assert_string_equal(finding(&run, CP_FIND_IO_BOUND, buf, sizeof(buf)),
			    "A CPU trabalhou 994 ms em 16,4 s (6% do total): em 94% do tempo "
			    "nenhuma thread estava numa CPU, pois esperavam pela rede — I/O bound "
			    "(limitado por E/S).");
	assert_string_equal(finding(&run, CP_FIND_THROUGHPUT, buf, sizeof(buf)),
			    "Recebeu ≈ 20 MB da rede em 16,4 s: ≈ 1,2 MB/s.");
	assert_contains(finding(&run, CP_FIND_MEANING, buf, sizeof(buf)),
			"user 732 ms é tempo numa CPU em modo usuário");
	assert_contains(buf, "wall 16,4 s é o tempo transcorrido no “relógio da parede”");

	text = render(&run, 100);
	assert_contains(text, "status de saída 0 · 1 processo, 1 thread · 2 CPUs");
	assert_contains(text, "── Tempo ");
	assert_contains(text, "tempo de CPU      6% do tempo de parede: em média 0,06 de 2 núcleos "
			      "em uso");
	assert_contains(text, "── Para onde foi o tempo de parede ");
	assert_contains(text, "    bloqueada       15,4 s    94%");
	assert_contains(text, "15,4 s (rede)");
	assert_contains(text, "── Por quê ");
	/* nothing left in English */
	assert_not_contains(text, "── Why");
	assert_not_contains(text, "I/O bound.");
	assert_not_contains(text, "exit status");
	assert_not_contains(text, "16.4 s");
	assert_fits(text, 100);
	free(text);
	cp_run_free(&run);
}

/* ngettext: one thread, one core; many threads, many cores. */
static void test_plurals(void **state)
{
	struct cp_run run;
	char buf[CP_FINDING_LEN], *text;

	(void)state;
	need_catalog();
	cp_i18n_init_dir("pt_BR", localedir);
	run_single_spinner(&run);
	assert_string_equal(finding(&run, CP_FIND_CPU_BOUND, buf, sizeof(buf)),
			    "1 thread ocupou 1,00 de 2 núcleos: CPU bound (limitado por CPU) — "
			    "uma thread executa em um núcleo por vez, então 1 núcleo ficou sem nada "
			    "para fazer.");
	cp_run_free(&run);

	run_spinners(&run);
	assert_string_equal(finding(&run, CP_FIND_CPU_BOUND, buf, sizeof(buf)),
			    "4 threads ocuparam 2,00 de 2 núcleos: CPU bound (limitado por CPU).");
	assert_contains(finding(&run, CP_FIND_CPU_WAIT, buf, sizeof(buf)),
			"em média 4 threads prontas dividiram 2 núcleos — mais threads que "
			"núcleos, então elas se revezaram.");
	text = render(&run, 100);
	assert_contains(text, "1 processo, 5 threads · 2 CPUs");
	free(text);
	cp_run_free(&run);

	run_mutex_contention(&run);
	assert_contains(finding(&run, CP_FIND_LOCK, buf, sizeof(buf)),
			"4 threads passaram 12,8 s (80% da vida delas) bloqueadas em locks");
	assert_contains(buf, "contenção de lock");
	assert_contains(buf, "em média só 0,50 de 2 núcleos estavam em uso.");
	cp_run_free(&run);

	run_shell_loop(&run, 200);
	text = render(&run, 100);
	assert_contains(text, "201 processos, 201 threads");
	assert_contains(text, "worker ×200");
	assert_contains(text, "×N: N processos curtos com esse nome");
	assert_fits(text, 100);
	free(text);
	cp_run_free(&run);
}

static void test_numbers_localised(void **state)
{
	struct cp_run run;
	char buf[CP_FINDING_LEN];

	(void)state;
	assert_string_equal(cp_l10n(cp_fmt_duration(16400 * MS)).s, "16.4 s");
	assert_string_equal(cp_l10n_count(48213).s, "48,213");
	assert_string_equal(cp_l10n_count(2100000).s, "2.1 million");
	need_catalog();
	cp_i18n_init_dir("pt_BR", localedir);
	assert_string_equal(cp_l10n(cp_fmt_duration(16400 * MS)).s, "16,4 s");
	assert_string_equal(cp_l10n(cp_fmt_bytes(19955565)).s, "19,96 MB");
	assert_string_equal(cp_l10n_fixed(3.567, 2).s, "3,57");
	assert_string_equal(cp_l10n_count(48213).s, "48.213");
	assert_string_equal(cp_l10n_count(1500000).s, "1,5 milhão de");
	assert_string_equal(cp_l10n_count(2100000).s, "2,1 milhões de");

	/* the kernel's sampled figures against concprof's, with a count of syscalls */
	run_shell_loop(&run, 50);
	run.rusage_user_ns = 100 * MS;
	run.rusage_sys_ns = 250 * MS;
	run.threads[0].syscalls = 1234567;
	assert_contains(finding(&run, CP_FIND_RUSAGE, buf, sizeof(buf)),
			"são user 100 ms e sys 250 ms (concprof: 375 ms e 175 ms)");
	assert_contains(buf, "(HZ=250: a cada 4,00 ms)");
	assert_contains(buf, "cada uma das 1,2 milhão de syscalls");
	cp_run_free(&run);
}

/* A narrow terminal: the longer Portuguese words still fit. */
static void test_narrow_terminal(void **state)
{
	struct cp_run run;
	char *text;

	(void)state;
	need_catalog();
	cp_i18n_init_dir("pt_BR", localedir);
	run_many_threads(&run, 12);
	run.lost_events = 3;
	run.repaired_switches = 2;
	run.repaired_wakeups = 1;
	text = render(&run, 80);
	assert_contains(text, "!! ATENÇÃO: 3 eventos não puderam ser registrados");
	assert_contains(text, "  nota: Os tracepoints do kernel não informaram 2 entradas em CPU");
	assert_fits(text, 80);
	free(text);
	cp_run_free(&run);
}

/* Like any gettext program: LANG, LC_MESSAGES, LC_ALL, LANGUAGE; "C" means English. */
static void test_language_from_environment(void **state)
{
	struct cp_run run;
	char buf[CP_FINDING_LEN];

	(void)state;
	need_catalog();
	run_lecture_sequential(&run);

	/* pt_BR.UTF-8 need not be generated: only C.UTF-8 is on a minimal Debian */
	setenv("LANG", "pt_BR.UTF-8", 1);
	cp_i18n_init_dir(NULL, localedir);
	assert_contains(finding(&run, CP_FIND_IO_BOUND, buf, sizeof(buf)), "A CPU trabalhou");

	setenv("LC_MESSAGES", "C", 1);
	cp_i18n_init_dir(NULL, localedir);
	assert_contains(finding(&run, CP_FIND_IO_BOUND, buf, sizeof(buf)), "CPU worked");

	setenv("LC_ALL", "pt_BR.utf8", 1);
	cp_i18n_init_dir(NULL, localedir);
	assert_contains(finding(&run, CP_FIND_IO_BOUND, buf, sizeof(buf)), "A CPU trabalhou");
	unsetenv("LC_ALL");
	unsetenv("LC_MESSAGES");

	/* LANGUAGE lists languages in order... */
	setenv("LANGUAGE", "xx:pt_BR", 1);
	cp_i18n_init_dir(NULL, localedir);
	assert_contains(finding(&run, CP_FIND_IO_BOUND, buf, sizeof(buf)), "A CPU trabalhou");
	assert_string_equal(getenv("LANGUAGE"), "xx:pt_BR");

	/* ...but gettext ignores it in the C locale */
	setenv("LANG", "C", 1);
	cp_i18n_init_dir(NULL, localedir);
	assert_contains(finding(&run, CP_FIND_IO_BOUND, buf, sizeof(buf)), "CPU worked");

	/* and a language without a catalogue is English */
	unsetenv("LANGUAGE");
	setenv("LANG", "fr_FR.UTF-8", 1);
	cp_i18n_init_dir(NULL, localedir);
	assert_contains(finding(&run, CP_FIND_IO_BOUND, buf, sizeof(buf)), "CPU worked");
	cp_run_free(&run);
}

/* --lang outranks the environment, both ways. */
static void test_lang_option(void **state)
{
	struct cp_run run;
	char buf[CP_FINDING_LEN];

	(void)state;
	need_catalog();
	run_lecture_sequential(&run);
	setenv("LANG", "en_US.UTF-8", 1);
	setenv("LANGUAGE", "en", 1);
	cp_i18n_init_dir("pt_BR", localedir);
	assert_contains(finding(&run, CP_FIND_IO_BOUND, buf, sizeof(buf)), "A CPU trabalhou");
	cp_i18n_init_dir("pt_BR.UTF-8", localedir);
	assert_contains(finding(&run, CP_FIND_IO_BOUND, buf, sizeof(buf)), "A CPU trabalhou");

	setenv("LANG", "pt_BR.UTF-8", 1);
	setenv("LANGUAGE", "pt_BR", 1);
	cp_i18n_init_dir("C", localedir);
	assert_contains(finding(&run, CP_FIND_IO_BOUND, buf, sizeof(buf)), "CPU worked");
	cp_i18n_init_dir("en", localedir);
	assert_contains(finding(&run, CP_FIND_IO_BOUND, buf, sizeof(buf)), "CPU worked");
	/* the user's LANGUAGE is theirs again once concprof's is no longer needed */
	cp_i18n_init_dir("C", localedir);
	assert_string_equal(getenv("LANGUAGE"), "pt_BR");

	/* a path is no language: no catalogue from elsewhere for a root process's printf */
	cp_i18n_init_dir("../pt_BR", localedir);
	assert_contains(finding(&run, CP_FIND_IO_BOUND, buf, sizeof(buf)), "CPU worked");
	cp_i18n_init_dir("pt_BR/../pt_BR", localedir);
	assert_contains(finding(&run, CP_FIND_IO_BOUND, buf, sizeof(buf)), "CPU worked");
	unsetenv("LANGUAGE");
	setenv("LANG", "../../pt_BR", 1);
	cp_i18n_init_dir(NULL, localedir);
	assert_contains(finding(&run, CP_FIND_IO_BOUND, buf, sizeof(buf)), "CPU worked");
	cp_run_free(&run);
}

/* The LANGUAGE concprof sets for itself never reaches the program it launches. */
static void test_language_not_inherited(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	cp_i18n_init_dir("pt_BR", localedir);
	assert_string_equal(getenv("LANGUAGE"), "pt_BR");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(getenv("LANGUAGE") ? 1 : 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	setenv("LANGUAGE", "de", 1);
	cp_i18n_init_dir("pt_BR", localedir);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const char *language = getenv("LANGUAGE");

		_exit(language && strcmp(language, "de") == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* in concprof itself, pt_BR still */
	assert_string_equal(getenv("LANGUAGE"), "pt_BR");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_lecture_report_in_portuguese, clean_environment),
		cmocka_unit_test_setup(test_plurals, clean_environment),
		cmocka_unit_test_setup(test_numbers_localised, clean_environment),
		cmocka_unit_test_setup(test_narrow_terminal, clean_environment),
		cmocka_unit_test_setup(test_language_from_environment, clean_environment),
		cmocka_unit_test_setup(test_lang_option, clean_environment),
		cmocka_unit_test_setup(test_language_not_inherited, clean_environment),
	};

	return cmocka_run_group_tests(tests, compile_catalog, remove_catalog);
}
