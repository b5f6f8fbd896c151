/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the text views need to know of the terminal they print to: whether to colour
 * (--color, NO_COLOR, TERM) and how wide it is. Shared by the report and compare.
 */
#ifndef CONCPROF_TERM_H
#define CONCPROF_TERM_H

#include <stdbool.h>

enum cp_color { CP_COLOR_AUTO, CP_COLOR_ALWAYS, CP_COLOR_NEVER };

/* --color's WHEN: "auto", "always" or "never"; returns -1 for anything else. */
int cp_color_parse(const char *when, enum cp_color *out);
/*
 * Colour for output on fd? ALWAYS and NEVER are the user's word; AUTO colours a terminal,
 * unless NO_COLOR is set and not empty or TERM is unset or "dumb", and never a file the
 * user named (-o), even one that is a terminal.
 */
bool cp_color_wanted(enum cp_color mode, int fd, bool named_file);
/* The terminal's width on fd, else $COLUMNS, else 100; at least min_width. */
int cp_term_width(int fd, int min_width);

#endif
