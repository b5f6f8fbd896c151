// SPDX-License-Identifier: GPL-2.0
#include "i18n.h"

#include <ctype.h>
#include <limits.h>
#include <locale.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef LOCALEDIR
#define LOCALEDIR "/usr/local/share/locale"
#endif

/* Catalogues of a build tree, next to the executable: `make` writes them there. */
#define BUILD_LOCALEDIR "/.output/locale"

extern char **environ;

/*
 * LANGUAGE as the user gave it, while concprof runs with its own (ours): "LANGUAGE=..." (or
 * NULL when it was unset), ready for a forked child before it execs the workload.
 */
static struct {
	bool overridden;
	char *user_entry;
	char *ours;
	bool fork_handler;
} language;

/*
 * In the child of fork(): the environment as the user gave it. Only environ's pointers change,
 * in the child's own copy: no allocation and no lock, which a child of a threaded parent must
 * not take.
 */
static void child_restore_language(void)
{
	size_t i, j;

	if (!language.overridden || !environ)
		return;
	for (i = j = 0; environ[i]; i++) {
		if (strncmp(environ[i], "LANGUAGE=", strlen("LANGUAGE=")) == 0) {
			if (!language.user_entry)
				continue; /* it was unset: drop it */
			environ[j++] = language.user_entry;
		} else {
			environ[j++] = environ[i];
		}
	}
	environ[j] = NULL;
}

/* The user's LANGUAGE back, unless someone has set another since concprof set its own. */
static void restore_language(void)
{
	const char *now = getenv("LANGUAGE");

	if (!language.overridden)
		return;
	if (now && strcmp(now, language.ours) == 0) {
		if (language.user_entry)
			setenv("LANGUAGE", language.user_entry + strlen("LANGUAGE="), 1);
		else
			unsetenv("LANGUAGE");
	}
	free(language.user_entry);
	free(language.ours);
	language.user_entry = language.ours = NULL;
	language.overridden = false;
}

/* Names lang as the language of the messages, for concprof only. */
static void use_language(const char *lang)
{
	const char *user = getenv("LANGUAGE");

	if (!language.fork_handler)
		language.fork_handler = pthread_atfork(NULL, NULL, child_restore_language) == 0;
	if (!language.fork_handler)
		return; /* it would leak into the workload's environment: better untranslated */
	language.ours = strdup(lang);
	if (!language.ours)
		return;
	if (user && asprintf(&language.user_entry, "LANGUAGE=%s", user) < 0) {
		free(language.ours);
		language.ours = language.user_entry = NULL;
		return;
	}
	language.overridden = true;
	setenv("LANGUAGE", lang, 1);
}

static bool is_c_locale(const char *name)
{
	return strcmp(name, "C") == 0 || strcmp(name, "POSIX") == 0;
}

/*
 * A locale name as LANGUAGE may carry it ("pt_BR", "pt_BR.UTF-8", "sr@latin"). gettext makes a
 * path of it, and concprof runs as root: "../" must not pick a catalogue (whose formats printf
 * trusts) from elsewhere.
 */
static bool is_locale_name(const char *name)
{
	if (!*name || *name == '.')
		return false;
	for (const char *c = name; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("_.@-", *c))
			return false;
	return !strstr(name, "..");
}

/*
 * Messages in a locale that is not "C", where gettext honours LANGUAGE: C.UTF-8 comes with
 * Debian's libc-bin (/usr/lib/locale/C.utf8), unlike pt_BR.UTF-8.
 */
static bool messages_in_c_utf8(void)
{
	return setlocale(LC_MESSAGES, "C.UTF-8") || setlocale(LC_MESSAGES, "C.utf8");
}

/* LC_MESSAGES for lang, if that locale is generated: "pt_BR" as given, then "pt_BR.UTF-8". */
static bool messages_in(const char *lang)
{
	char name[128];

	if (setlocale(LC_MESSAGES, lang))
		return true;
	if (strchr(lang, '.'))
		return false;
	snprintf(name, sizeof(name), "%s.UTF-8", lang);
	return setlocale(LC_MESSAGES, name) != NULL;
}

/* The locale the environment asks for messages in (POSIX order), or NULL. */
static const char *env_messages_locale(void)
{
	static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *value = getenv(vars[i]);

		if (value && *value)
			return value;
	}
	return NULL;
}

static void choose_language(const char *lang)
{
	const char *wanted;

	restore_language();
	if (lang && *lang) {
		if (is_c_locale(lang) || !is_locale_name(lang)) {
			setlocale(LC_MESSAGES, "C");
			return;
		}
		/* --lang outranks the environment's LANGUAGE as well. */
		use_language(lang);
		if (!messages_in(lang))
			messages_in_c_utf8();
		return;
	}
	if (setlocale(LC_MESSAGES, ""))
		return; /* a generated locale, or C: gettext's usual rules apply */
	/* The environment names a locale that is not generated here. */
	wanted = env_messages_locale();
	if (!wanted || is_c_locale(wanted) || !is_locale_name(wanted) || !messages_in_c_utf8())
		return;
	if (!getenv("LANGUAGE") || !*getenv("LANGUAGE"))
		use_language(wanted);
}

/* <directory of the executable>/.output/locale if there is one, else LOCALEDIR. */
static const char *default_localedir(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	struct stat st;
	char *slash;

	if (n > 0) {
		buf[n] = '\0';
		slash = strrchr(buf, '/');
		if (slash && (size_t)(slash - buf) + sizeof(BUILD_LOCALEDIR) <= len) {
			strcpy(slash, BUILD_LOCALEDIR);
			if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
				return buf;
		}
	}
	return LOCALEDIR;
}

void cp_i18n_init_dir(const char *lang, const char *localedir)
{
	choose_language(lang);
	bindtextdomain(CP_TEXTDOMAIN, localedir);
	/* The report is UTF-8 (its bars and rules are), whatever LC_CTYPE says. */
	bind_textdomain_codeset(CP_TEXTDOMAIN, "UTF-8");
	textdomain(CP_TEXTDOMAIN);
}

void cp_i18n_init(const char *lang)
{
	char buf[PATH_MAX];

	cp_i18n_init_dir(lang, default_localedir(buf, sizeof(buf)));
}

const char *cp_pgettext(const char *context_msgid, const char *msgid)
{
	const char *translation = gettext(context_msgid);

	return translation == context_msgid ? msgid : translation;
}

struct cp_fmt cp_l10n(struct cp_fmt f)
{
	/* TRANSLATORS: the decimal separator of the report's numbers ("16.4 s"). */
	const char *decimal = C_("decimal separator", ".");
	/* TRANSLATORS: the separator of thousands in counts ("48,213 syscalls"). */
	const char *thousands = C_("thousands separator", ",");
	struct cp_fmt out;
	size_t used = 0;

	if (strcmp(decimal, ".") == 0 && strcmp(thousands, ",") == 0)
		return f;
	for (const char *s = f.s; *s; s++) {
		const char *piece = *s == '.' ? decimal : *s == ',' ? thousands : NULL;
		size_t len = piece ? strlen(piece) : 1;

		if (used + len >= sizeof(out.s))
			break;
		memcpy(out.s + used, piece ? piece : s, len);
		used += len;
	}
	out.s[used] = '\0';
	return out;
}

struct cp_fmt cp_l10n_fixed(double v, int decimals)
{
	struct cp_fmt f;

	snprintf(f.s, sizeof(f.s), "%.*f", decimals, v);
	return cp_l10n(f);
}

struct cp_fmt cp_l10n_count(uint64_t n)
{
	struct cp_fmt f;
	double v;
	const char *words;

	if (n < 1000000)
		return cp_l10n(cp_fmt_count(n));
	if (n < 1000000000) {
		v = n / 1e6;
		/* TRANSLATORS: a number, 1.0 or more, then a noun: "2.1 million syscalls". */
		words = ngettext("%s million", "%s million", (unsigned long)v);
	} else {
		v = n / 1e9;
		/* TRANSLATORS: a number, 1.0 or more, then a noun: "3.4 billion syscalls". */
		words = ngettext("%s billion", "%s billion", (unsigned long)v);
	}
	snprintf(f.s, sizeof(f.s), words, cp_l10n_fixed(v, 1).s);
	return f;
}
