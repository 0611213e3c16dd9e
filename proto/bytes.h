/* SPDX-License-Identifier: MIT */
/*
 * proto/bytes.h — bounded big-endian readers and writers built on memcpy.
 *
 * A cursor knows how many bytes are left; every get/put says whether it fit
 * (true) or not (false, and then the cursor is unchanged). Nothing here
 * trusts a length that came off the wire.
 */
#ifndef WGB_PROTO_BYTES_H
#define WGB_PROTO_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct bytes_rd {
	const uint8_t *p;
	size_t left;
};

struct bytes_wr {
	uint8_t *p;
	size_t left;
};

static inline struct bytes_rd bytes_rd_make(const uint8_t *p, size_t len)
{
	struct bytes_rd r = { p, len };
	return r;
}

static inline struct bytes_wr bytes_wr_make(uint8_t *p, size_t len)
{
	struct bytes_wr w = { p, len };
	return w;
}

static inline bool bytes_get_mem(struct bytes_rd *r, void *dst, size_t n)
{
	if (n > r->left)
		return false;
	if (n)
		memcpy(dst, r->p, n);
	r->p += n;
	r->left -= n;
	return true;
}

static inline bool bytes_skip(struct bytes_rd *r, size_t n)
{
	if (n > r->left)
		return false;
	r->p += n;
	r->left -= n;
	return true;
}

static inline bool bytes_get_u8(struct bytes_rd *r, uint8_t *v)
{
	return bytes_get_mem(r, v, 1);
}

static inline bool bytes_get_u16(struct bytes_rd *r, uint16_t *v)
{
	uint8_t b[2];

	if (!bytes_get_mem(r, b, sizeof(b)))
		return false;
	*v = (uint16_t)((unsigned)b[0] << 8 | b[1]);
	return true;
}

static inline bool bytes_get_u32(struct bytes_rd *r, uint32_t *v)
{
	uint8_t b[4];

	if (!bytes_get_mem(r, b, sizeof(b)))
		return false;
	*v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	     (uint32_t)b[2] << 8 | b[3];
	return true;
}

static inline bool bytes_put_mem(struct bytes_wr *w, const void *src, size_t n)
{
	if (n > w->left)
		return false;
	if (n)
		memcpy(w->p, src, n);
	w->p += n;
	w->left -= n;
	return true;
}

static inline bool bytes_put_zero(struct bytes_wr *w, size_t n)
{
	if (n > w->left)
		return false;
	memset(w->p, 0, n);
	w->p += n;
	w->left -= n;
	return true;
}

static inline bool bytes_put_u8(struct bytes_wr *w, uint8_t v)
{
	return bytes_put_mem(w, &v, 1);
}

static inline bool bytes_put_u16(struct bytes_wr *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	return bytes_put_mem(w, b, sizeof(b));
}

static inline bool bytes_put_u32(struct bytes_wr *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 8), (uint8_t)v };

	return bytes_put_mem(w, b, sizeof(b));
}

#endif
