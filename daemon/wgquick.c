/* SPDX-License-Identifier: MIT */
/* daemon/wgquick.c — see wgquick.h. */
#include "daemon/wgquick.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* LINE with leading and trailing blanks and a comment removed. */
static char *wgquick_trim(char *line)
{
	char *end;

	if ((end = strchr(line, '#')))
		*end = '\0';
	while (isspace((unsigned char)*line))
		line++;
	end = line + strlen(line);
	while (end > line && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return line;
}

bool wgquick_saves_config(const char *path)
{
	char buf[512];
	bool in_interface = false, saves = false;
	FILE *f = fopen(path, "re");

	if (!f)
		return false;
	while (fgets(buf, sizeof(buf), f)) {
		char *line = wgquick_trim(buf), *eq, *key, *val;

		if (line[0] == '[') {
			in_interface = !strcasecmp(line, "[Interface]");
			continue;
		}
		if (!in_interface || !(eq = strchr(line, '=')))
			continue;
		*eq = '\0';
		key = wgquick_trim(line);
		val = wgquick_trim(eq + 1);
		if (!strcasecmp(key, "SaveConfig"))
			saves = !strcasecmp(val, "true") || !strcasecmp(val, "yes") ||
				!strcasecmp(val, "on") || !strcmp(val, "1");
	}
	fclose(f);
	return saves;
}
