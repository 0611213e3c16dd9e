/* SPDX-License-Identifier: MIT */
/*
 * daemon/httpreq.h — the request-head parser of the metrics endpoint
 * (daemon/httpd.c): pure, no I/O, no allocation. It reads what a client
 * sent so far and says whether more is needed, or what to answer. Only
 * "GET /metrics" (and HEAD) over HTTP/1.0 or 1.1 without a body is served;
 * everything else gets its status code, decided as early as the bytes
 * allow, so a client that sends garbage is answered at once.
 *
 * Strict where RFC 9112 lets a server be: lines end in CRLF (§2.2 allows
 * refusing a bare LF), no obs-fold (§5.2), no whitespace before a field's
 * colon (§5.1), no body (Content-Length other than 0, or any
 * Transfer-Encoding: 413). A head must fit in HTTP_HEAD_MAX bytes (431).
 */
#ifndef WGB_DAEMON_HTTPREQ_H
#define WGB_DAEMON_HTTPREQ_H

#include <stdbool.h>
#include <stddef.h>

/* The request line and every field, CRLFs included, up to the blank line. */
#define HTTP_HEAD_MAX 4096

struct http_req {
	bool head;		/* HEAD: the answer carries no body */
	int minor;		/* HTTP/1.<minor> */
	size_t head_len;	/* bytes of the head, blank line included */
};

/*
 * Parses BUF[0..LEN), all a client sent so far. Returns 0 when the head is
 * not complete yet (and nothing in it is wrong so far), else the status to
 * answer: 200 (REQ filled; bytes after head_len, a pipelined request, are
 * not looked at), 400 (malformed), 404 (another path), 405 (another
 * method), 413 (a body), 431 (the head is longer than HTTP_HEAD_MAX), 505
 * (another HTTP version).
 */
int http_req_parse(const char *buf, size_t len, struct http_req *req);

/* "OK", "Bad Request", ...; "Error" for a status it does not know. */
const char *http_status_reason(int status);

#endif
