/* SPDX-License-Identifier: MIT */
/* daemon/ctl_view.c — rendering of view descriptions (ctl_view.h). */
#include "daemon/ctl_view.h"

#include <stdio.h>
#include <string.h>

void view_row_init(struct view_row *r, const struct view *v)
{
	memset(r, 0, sizeof(*r));
	r->v = v;
}

static struct view_val *view_set(struct view_row *r, unsigned i)
{
	struct view_val *x = &r->val[i];

	memset(x, 0, sizeof(*x));
	x->json = x->text = true;
	return x;
}

void view_str(struct view_row *r, unsigned i, const char *s)
{
	view_set(r, i)->s = s;
}

void view_uint(struct view_row *r, unsigned i, unsigned long long u)
{
	view_set(r, i)->u = u;
}

void view_bool(struct view_row *r, unsigned i, bool b)
{
	struct view_val *x = view_set(r, i);

	x->b = b;
	x->text = false;
}

void view_null(struct view_row *r, unsigned i)
{
	struct view_val *x = view_set(r, i);

	x->null = true;
	x->text = false;
}

void view_num(struct view_row *r, unsigned i, const char *num)
{
	view_set(r, i)->s = num;
}

void view_text(struct view_row *r, unsigned i, const char *text)
{
	struct view_val *x = &r->val[i];

	x->text = text != NULL;
	x->has_text = true;
	x->text_s = text;
}

void view_text_only(struct view_row *r, unsigned i, const char *text)
{
	struct view_val *x = view_set(r, i);

	x->json = false;
	view_text(r, i, text);
}

static void view_json_val(struct sbuf *b, const struct view_field *f,
			  const struct view_val *x)
{
	if (x->null) {
		sbuf_puts(b, "null");
		return;
	}
	switch (f->type) {
	case VIEW_STR:
		sbuf_json_str(b, x->s ? x->s : "");
		break;
	case VIEW_UINT:
		sbuf_put_uint(b, x->u);
		break;
	case VIEW_BOOL:
		sbuf_puts(b, x->b ? "true" : "false");
		break;
	case VIEW_NUM:
		sbuf_puts(b, x->s && x->s[0] ? x->s : "null");
		break;
	}
}

/* The length of the "group." part of KEY (0: not nested). */
static size_t view_group(const char *key)
{
	const char *dot = key ? strchr(key, '.') : NULL;

	return dot ? (size_t)(dot - key) : 0;
}

static void view_json(struct sbuf *b, const struct view_row *r)
{
	const struct view *v = r->v;
	bool any = false;

	sbuf_puts(b, "{");
	for (unsigned i = 0; i < v->n; i++) {
		const struct view_field *f = &v->f[i];
		size_t g = view_group(f->key);

		if (!f->key)
			continue;
		if (g) {
			/* One object for the consecutive fields of a group. */
			unsigned end = i;
			bool inner = false;

			while (end < v->n && view_group(v->f[end].key) == g &&
			       !strncmp(v->f[end].key, f->key, g))
				end++;
			for (unsigned k = i; k < end; k++) {
				if (!r->val[k].json)
					continue;
				if (!inner) {
					sbuf_puts(b, any ? "," : "");
					sbuf_putn(b, "\"", 1);
					sbuf_putn(b, f->key, g);
					sbuf_puts(b, "\":{");
					any = inner = true;
				} else {
					sbuf_puts(b, ",");
				}
				sbuf_json_str(b, v->f[k].key + g + 1);
				sbuf_puts(b, ":");
				view_json_val(b, &v->f[k], &r->val[k]);
			}
			if (inner)
				sbuf_puts(b, "}");
			i = end - 1;
			continue;
		}
		if (!r->val[i].json)
			continue;
		if (any)
			sbuf_puts(b, ",");
		any = true;
		sbuf_json_str(b, f->key);
		sbuf_puts(b, ":");
		view_json_val(b, f, &r->val[i]);
	}
	sbuf_puts(b, "}");
}

/*
 * FRAG with its one "%s" (or "%-Ns", "%Ns": padded to N) replaced by T;
 * "%%" is a percent sign. Not printf: the fragments are data of the view
 * tables, and a wrong one must not read the stack.
 */
static void view_frag(struct sbuf *b, const char *frag, const char *t)
{
	for (const char *p = frag; *p; p++) {
		bool left = false;
		size_t width = 0, len;

		if (*p != '%') {
			sbuf_putn(b, p, 1);
			continue;
		}
		if (p[1] == '%') {
			sbuf_putn(b, "%", 1);
			p++;
			continue;
		}
		if (p[1] == '-') {
			left = true;
			p++;
		}
		while (p[1] >= '0' && p[1] <= '9')
			width = width * 10 + (size_t)(*++p - '0');
		if (p[1] != 's')
			return;		/* a bad fragment: stop there */
		p++;
		len = strlen(t);
		for (size_t k = len; !left && k < width; k++)
			sbuf_putn(b, " ", 1);
		sbuf_putn(b, t, len);
		for (size_t k = len; left && k < width; k++)
			sbuf_putn(b, " ", 1);
	}
}

static void view_text_line(struct sbuf *b, const struct view_row *r)
{
	const struct view *v = r->v;

	for (unsigned i = 0; i < v->n; i++) {
		const struct view_val *x = &r->val[i];
		char num[24];
		const char *t;

		if (!v->f[i].text || !x->text)
			continue;
		if (x->has_text) {
			t = x->text_s;
		} else if (v->f[i].type == VIEW_UINT) {
			snprintf(num, sizeof(num), "%llu", x->u);
			t = num;
		} else {
			t = x->s ? x->s : "";
		}
		view_frag(b, v->f[i].text, t);
	}
}

void view_render(struct sbuf *b, bool json, bool *first,
		 const struct view_row *r)
{
	if (!json) {
		view_text_line(b, r);
		return;
	}
	if (!*first)
		sbuf_puts(b, ",");
	*first = false;
	view_json(b, r);
}

void view_header(struct sbuf *b, bool json, const struct view *v)
{
	if (json || !v->header)
		return;
	for (unsigned i = 0; i < v->n; i++)
		if (v->f[i].text && v->f[i].label)
			view_frag(b, v->f[i].text, v->f[i].label);
}
