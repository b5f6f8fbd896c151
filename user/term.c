// SPDX-License-Identifier: GPL-2.0
#include "term.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int cp_color_parse(const char *when, enum cp_color *out)
{
	static const char *const names[] = {
		[CP_COLOR_AUTO] = "auto",
		[CP_COLOR_ALWAYS] = "always",
		[CP_COLOR_NEVER] = "never",
	};

	for (unsigned int i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(when, names[i])) {
			*out = i;
			return 0;
		}
	}
	return -1;
}

bool cp_color_wanted(enum cp_color mode, int fd, bool named_file)
{
	const char *term = getenv("TERM"), *no_color = getenv("NO_COLOR");

	if (mode != CP_COLOR_AUTO)
		return mode == CP_COLOR_ALWAYS;
	if (named_file || (no_color && *no_color))
		return false;
	return isatty(fd) && term && strcmp(term, "dumb") != 0;
}

int cp_term_width(int fd, int min_width)
{
	const char *columns = getenv("COLUMNS");
	struct winsize ws;
	int width = 100;

	if (isatty(fd) && !ioctl(fd, TIOCGWINSZ, &ws) && ws.ws_col > 0)
		width = ws.ws_col;
	else if (columns && atoi(columns) > 0)
		width = atoi(columns);
	return width < min_width ? min_width : width;
}
