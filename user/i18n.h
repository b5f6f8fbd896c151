/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Translations of the report (gettext, domain "concprof"): the marking macros, the set-up, and
 * numbers written the way the report's language writes them ("16.4 s", "16,4 s" in pt_BR).
 *
 * English is the source text and the default. Sentences are translated whole, with their
 * numbers as %s (already formatted) or plain integers, so a translator can reorder them.
 * Plural forms go through ngettext(), never through an appended "s".
 */
#ifndef CONCPROF_I18N_H
#define CONCPROF_I18N_H

#include "fmt.h"

#include <libintl.h>
#include <stdint.h>

#define CP_TEXTDOMAIN "concprof"

#define _(msgid) gettext(msgid)
/* Marks a string for extraction where it is defined (a table); translate it with _() on use. */
#define N_(msgid) msgid
/* A msgid with a context, for short words that could mean two things ("lock", "."). */
#define C_(context, msgid) cp_pgettext(context "\004" msgid, msgid)

/*
 * Chooses the language of the report and where its catalogues are. lang is --lang's value
 * ("pt_BR", "pt_BR.UTF-8", "C"), or NULL to follow the environment as any gettext program does
 * (LANGUAGE, then LC_ALL, LC_MESSAGES, LANG). A language without a catalogue is English, and so
 * is a name that is no locale name ("../x"): gettext would make a path of it.
 *
 * Works when the locale itself is not generated on the machine (only C.UTF-8 is, on a minimal
 * Debian): glibc then refuses setlocale() for it and, in the "C" locale, ignores LANGUAGE; so
 * messages are switched to C.UTF-8 and the language is named in LANGUAGE. That LANGUAGE is
 * concprof's alone: the program concprof launches gets the environment it was given (a fork
 * handler puts LANGUAGE back in the child).
 *
 * Only LC_MESSAGES changes: numbers printed with printf ("%.2f", JSON) stay in the C locale;
 * the report localises its own numbers with cp_l10n().
 *
 * Catalogues are looked for in <directory of the executable>/.output/locale (a build tree),
 * then in LOCALEDIR (the installed ones, $(PREFIX)/share/locale).
 */
void cp_i18n_init(const char *lang);

/* The same, with the catalogues in localedir (tests). */
void cp_i18n_init_dir(const char *lang, const char *localedir);

/* gettext with a context: context_msgid is "context\004msgid". */
const char *cp_pgettext(const char *context_msgid, const char *msgid)
	__attribute__((format_arg(2)));

/*
 * A number formatted by fmt.h (or printf) in the report's language: '.' becomes the decimal
 * separator and ',' the thousands separator of the catalogue ("1,234.5" -> "1.234,5").
 */
struct cp_fmt cp_l10n(struct cp_fmt f);

/* v with this many decimals, localised: "3.57", "3,57". */
struct cp_fmt cp_l10n_fixed(double v, int decimals);

/* A count in words, localised: "812", "48,213", "2.1 million"; "48.213", "2,1 milhões". */
struct cp_fmt cp_l10n_count(uint64_t n);

#endif
