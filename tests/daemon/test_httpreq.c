/* SPDX-License-Identifier: MIT */
/*
 * tests/daemon/test_httpreq.c — http_req_parse() (daemon/httpreq.c), the
 * metrics endpoint's request-head parser: what it serves, what it answers
 * with an error and how early, heads that arrive in pieces, pipelined
 * requests and the 4 KiB cap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/httpreq.h"

static int parse(const char *s, struct http_req *r)
{
	return http_req_parse(s, strlen(s), r);
}

static void test_prometheus_scrape_is_served(void **state)
{
	static const char s[] =
		"GET /metrics HTTP/1.1\r\nHost: [::1]:9436\r\n"
		"User-Agent: Prometheus/2.42.0\r\nAccept: text/plain;"
		"version=0.0.4;q=0.5,*/*;q=0.1\r\nAccept-Encoding: gzip\r\n"
		"X-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n";
	struct http_req r;

	(void)state;
	assert_int_equal(parse(s, &r), 200);
	assert_int_equal(r.head_len, strlen(s));
	assert_false(r.head);
	assert_int_equal(r.minor, 1);
}

static void test_head_and_http10_and_query_are_served(void **state)
{
	struct http_req r;

	(void)state;
	assert_int_equal(parse("HEAD /metrics HTTP/1.0\r\n\r\n", &r), 200);
	assert_true(r.head);
	assert_int_equal(r.minor, 0);
	assert_int_equal(parse("GET /metrics?name[]=x HTTP/1.1\r\n\r\n", &r),
			 200);
	assert_int_equal(parse("GET http://n1:9436/metrics HTTP/1.1\r\n\r\n",
			       &r), 200);
	assert_int_equal(parse("GET /metrics HTTP/1.1\r\n"
			       "Content-Length: 000\r\n\r\n", &r), 200);
}

static void test_other_paths_are_404(void **state)
{
	struct http_req r;

	(void)state;
	assert_int_equal(parse("GET / HTTP/1.1\r\n\r\n", &r), 404);
	assert_int_equal(parse("GET /metricsx HTTP/1.1\r\n\r\n", &r), 404);
	assert_int_equal(parse("GET /metric HTTP/1.1\r\n\r\n", &r), 404);
	assert_int_equal(parse("GET http://n1 HTTP/1.1\r\n\r\n", &r), 404);
}

static void test_other_methods_are_405(void **state)
{
	struct http_req r;

	(void)state;
	assert_int_equal(parse("POST /metrics HTTP/1.1\r\n\r\n", &r), 405);
	assert_int_equal(parse("get /metrics HTTP/1.1\r\n\r\n", &r), 405);
	assert_int_equal(parse("DELETE /metrics HTTP/1.1\r\n", &r), 405);
}

static void test_a_body_is_413(void **state)
{
	struct http_req r;

	(void)state;
	assert_int_equal(parse("GET /metrics HTTP/1.1\r\nContent-Length: 5"
			       "\r\n\r\nhello", &r), 413);
	assert_int_equal(parse("GET /metrics HTTP/1.1\r\ntransfer-encoding: "
			       "chunked\r\n\r\n", &r), 413);
}

static void test_other_versions_are_505(void **state)
{
	struct http_req r;

	(void)state;
	assert_int_equal(parse("GET /metrics HTTP/2.0\r\n\r\n", &r), 505);
	assert_int_equal(parse("GET /metrics HTTP/0.9\r\n\r\n", &r), 505);
}

/* Garbage is answered as soon as it is seen, not after the deadline. */
static void test_garbage_is_400_at_once(void **state)
{
	static const char tls[] = "\x16\x03\x01\x02\x00\x01\x00";
	static const char *const bad[] = {
		"GET /metrics HTTP/1.1\nHost: x\n\n",	/* bare LF */
		"GET /metrics HTTP/1.1\r\nX: a\r\n folded\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost : x\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nno colon\r\n\r\n",
		"GET  /metrics HTTP/1.1\r\n\r\n",	/* two spaces */
		"GET /metrics HTTP/1.1 \r\n\r\n",
		"GET /metrics\r\n\r\n",			/* HTTP/0.9 style */
		"GET metrics HTTP/1.1\r\n\r\n",
		"GET /met\x01rics HTTP/1.1\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
		"GET /metrics HTTP/1.1\rX",
		"\r\n",
		"GET /metrics HTTP/1.1\r\nX: \x7f\r\n\r\n",
	};
	struct http_req r;

	(void)state;
	assert_int_equal(http_req_parse(tls, sizeof(tls) - 1, &r), 400);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &r) != 400)
			fail_msg("'%s': %d, want 400", bad[i], parse(bad[i], &r));
	}
	/* a NUL in the middle, not the end of the string */
	assert_int_equal(http_req_parse("GET /\0metrics", 13, &r), 400);
}

/* A head that arrives a byte at a time is undecided until its blank line,
 * then served; every prefix of it is undecided. */
static void test_partial_heads_wait(void **state)
{
	static const char s[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
	struct http_req r;

	(void)state;
	for (size_t n = 0; n < sizeof(s) - 1; n++)
		if (http_req_parse(s, n, &r) != 0)
			fail_msg("decided after %zu bytes", n);
	assert_int_equal(http_req_parse(s, sizeof(s) - 1, &r), 200);
}

/* A second request after the first is left alone: the answer is for the
 * first, and head_len says where it ended. */
static void test_pipelined_requests_serve_the_first(void **state)
{
	static const char s[] = "GET /metrics HTTP/1.1\r\n\r\n"
				"POST /x HTTP/1.1\r\n\r\n";
	struct http_req r;

	(void)state;
	assert_int_equal(parse(s, &r), 200);
	assert_int_equal(r.head_len, strlen("GET /metrics HTTP/1.1\r\n\r\n"));
}

/* A head that does not end within 4 KiB is 431, however it goes on;
 * one that ends exactly at the limit is served. */
static void test_oversized_heads_are_431(void **state)
{
	static char buf[HTTP_HEAD_MAX + 100];
	static const char start[] = "GET /metrics HTTP/1.1\r\nX-Pad: ";
	struct http_req r;
	size_t n = strlen(start);

	(void)state;
	memcpy(buf, start, n);
	memset(buf + n, 'a', sizeof(buf) - n);
	assert_int_equal(http_req_parse(buf, HTTP_HEAD_MAX - 1, &r), 0);
	assert_int_equal(http_req_parse(buf, HTTP_HEAD_MAX, &r), 431);
	assert_int_equal(http_req_parse(buf, sizeof(buf), &r), 431);
	/* the blank line ends at byte HTTP_HEAD_MAX exactly */
	memcpy(buf + HTTP_HEAD_MAX - 4, "\r\n\r\n", 4);
	assert_int_equal(http_req_parse(buf, sizeof(buf), &r), 200);
	assert_int_equal(r.head_len, HTTP_HEAD_MAX);
	/* one byte later it does not fit */
	memset(buf + HTTP_HEAD_MAX - 4, 'a', 4);
	memcpy(buf + HTTP_HEAD_MAX - 3, "\r\n\r\n", 4);
	assert_int_equal(http_req_parse(buf, sizeof(buf), &r), 431);
}

static void test_status_reasons(void **state)
{
	(void)state;
	assert_string_equal(http_status_reason(431),
			    "Request Header Fields Too Large");
	assert_string_equal(http_status_reason(503), "Service Unavailable");
	assert_string_equal(http_status_reason(999), "Error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prometheus_scrape_is_served),
		cmocka_unit_test(test_head_and_http10_and_query_are_served),
		cmocka_unit_test(test_other_paths_are_404),
		cmocka_unit_test(test_other_methods_are_405),
		cmocka_unit_test(test_a_body_is_413),
		cmocka_unit_test(test_other_versions_are_505),
		cmocka_unit_test(test_garbage_is_400_at_once),
		cmocka_unit_test(test_partial_heads_wait),
		cmocka_unit_test(test_pipelined_requests_serve_the_first),
		cmocka_unit_test(test_oversized_heads_are_431),
		cmocka_unit_test(test_status_reasons),
	};

	return cmocka_run_group_tests_name("daemon/httpreq", tests, NULL,
					   NULL);
}
