/* SPDX-License-Identifier: MIT */
/*
 * daemon/httpd.h — the metrics endpoint: a small HTTP/1.x server on the
 * daemon's libuv loop that answers GET /metrics and nothing else.
 *
 * Why not a library: the endpoint serves one path to one kind of client;
 * libmicrohttpd (Debian's choice) runs its own threads or select loop
 * beside libuv and brings chunked bodies, POST processing, TLS and
 * keep-alive we do not want exposed; llhttp parses but leaves the limits
 * to us anyway. What we need is the limits: a request head of at most
 * HTTP_HEAD_MAX bytes (httpreq.c, a pure parser, fuzzed), a deadline for
 * it against slow senders, a cap on simultaneous clients, no keep-alive
 * (Connection: close), no request body. Nothing a client sends or fails
 * to send blocks the loop or grows memory past those bounds.
 */
#ifndef WGB_DAEMON_HTTPD_H
#define WGB_DAEMON_HTTPD_H

#include "daemon/metrics.h"

struct daemon;
struct cfg_listen;
struct httpd;

/* Clients served at once; past it a client gets 503, past four times it
 * the connection is closed at once. */
#define HTTPD_MAX_CLIENTS 8
/* The whole request head must arrive within this. */
#define HTTPD_HEAD_TIMEOUT_MS 5000
/* An answer the client does not read is dropped after this. */
#define HTTPD_WRITE_TIMEOUT_MS 10000
/* After the answer: what the client still sends is read and dropped for
 * this long, so that closing does not reset the answer away. */
#define HTTPD_LINGER_MS 2000

/* Listens on L. Returns 0 or a negative errno (logged). */
int httpd_open(struct daemon *d, const struct cfg_listen *l,
	       struct httpd **out);
/* Closes the listener and every client; the memory goes when libuv has
 * closed the handles (run the loop). */
void httpd_close(struct httpd *h);
void httpd_get_stats(const struct httpd *h, struct metrics_http_stats *st);

#endif
