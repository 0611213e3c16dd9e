/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_httpreq_check.c — see fuzz_httpreq_check.h. */
#include "tests/fuzz/fuzz_httpreq_check.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "daemon/httpreq.h"

static bool verdict_known(int v)
{
	static const int ok[] = { 0, 200, 400, 404, 405, 413, 431, 505 };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (v == ok[i])
			return true;
	return false;
}

int fuzz_httpreq_check_input(const uint8_t *data, size_t size, char *why,
			     size_t whylen)
{
	const char *buf = (const char *)data;
	struct http_req req, again;
	int v = http_req_parse(buf, size, &req), w;

	if (!verdict_known(v)) {
		snprintf(why, whylen, "verdict %d", v);
		return -1;
	}
	if (v == 0 && size >= HTTP_HEAD_MAX) {
		snprintf(why, whylen, "undecided after %zu bytes", size);
		return -1;
	}
	if (v == 200) {
		if (req.head_len < 4 || req.head_len > size ||
		    req.head_len > HTTP_HEAD_MAX ||
		    memcmp(buf + req.head_len - 4, "\r\n\r\n", 4)) {
			snprintf(why, whylen, "200 with head_len %zu of %zu",
				 req.head_len, size);
			return -1;
		}
		w = http_req_parse(buf, req.head_len, &again);
		if (w != 200 || again.head_len != req.head_len ||
		    again.head != req.head || again.minor != req.minor) {
			snprintf(why, whylen, "the head alone: %d, %zu bytes",
				 w, again.head_len);
			return -1;
		}
	}
	if (size > 0) {
		w = http_req_parse(buf, size - 1, &again);
		if (w != 0 && w != v) {
			snprintf(why, whylen, "%d after %zu bytes, %d after one "
				 "more", w, size - 1, v);
			return -1;
		}
	}
	return 0;
}
