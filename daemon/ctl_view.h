/* SPDX-License-Identifier: MIT */
/*
 * daemon/ctl_view.h — each "show" view described once: a table of fields,
 * each with its JSON key and type and the printf fragment of its text
 * form, in the order the text reads. A row sets values by field; one
 * renderer writes it as the text line(s) people read or as a JSON object
 * with typed values, so the two cannot drift apart.
 *
 * A key "peer.endpoint" nests: consecutive fields "peer.*" make one object
 * "peer" (left out when none of them is set). A value has a JSON form and
 * a text form; either can be left out of a row (view_text(..., NULL):
 * not in the text; view_json_only/view_text_only).
 */
#ifndef WGB_DAEMON_CTL_VIEW_H
#define WGB_DAEMON_CTL_VIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/sbuf.h"

enum view_type {
	VIEW_STR,		/* a JSON string */
	VIEW_UINT,		/* a JSON number, decimal in the text */
	VIEW_BOOL,		/* true/false; no text form unless given */
	VIEW_NUM,		/* a preformatted JSON number ("12.345") */
};

struct view_field {
	const char *key;	/* JSON key; NULL: text only */
	enum view_type type;
	const char *text;	/* fragment with one %s; NULL: JSON only */
	const char *label;	/* column title (views with a header) */
};

struct view {
	const struct view_field *f;
	unsigned n;
	bool header;		/* text: a first line of column titles */
};

#define VIEW_MAXF 32

struct view_row {
	const struct view *v;
	struct view_val {
		bool json, text;
		bool null;		/* JSON null */
		bool has_text;		/* text form given (text_s) */
		const char *s;
		unsigned long long u;
		bool b;
		const char *text_s;
	} val[VIEW_MAXF];
};

void view_row_init(struct view_row *r, const struct view *v);
void view_str(struct view_row *r, unsigned i, const char *s);
void view_uint(struct view_row *r, unsigned i, unsigned long long u);
void view_bool(struct view_row *r, unsigned i, bool b);
/* JSON null; nothing in the text unless view_text() gives something. */
void view_null(struct view_row *r, unsigned i);
/* A JSON number written as given (VIEW_NUM). */
void view_num(struct view_row *r, unsigned i, const char *num);
/* The text form of field i (NULL: none); the JSON form stays. */
void view_text(struct view_row *r, unsigned i, const char *text);
/* Field i only in the text, with this text. */
void view_text_only(struct view_row *r, unsigned i, const char *text);

/* Writes the row: JSON with a comma before it unless *FIRST (then
 * cleared), or the text. */
void view_render(struct sbuf *b, bool json, bool *first,
		 const struct view_row *r);
/* The text header of a view with one (nothing in JSON). */
void view_header(struct sbuf *b, bool json, const struct view *v);

#define VIEW(fields, hdr) \
	{ .f = (fields), .n = sizeof(fields) / sizeof((fields)[0]), .header = (hdr) }

#endif
