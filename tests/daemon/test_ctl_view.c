/* SPDX-License-Identifier: MIT */
/*
 * tests/daemon/test_ctl_view.c — one view description rendered as text and
 * as JSON (daemon/ctl_view.c), and the fast IPv6 formatter of the dump
 * (sbuf_put_ip6) against inet_ntop.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/ctl_view.h"
#include "daemon/sbuf.h"

enum { T_NAME, T_ID, T_UP, T_RTT, T_COST, T_KEY, T_EP, T_NOTE };

static const struct view_field t_fields[] = {
	[T_NAME] = { "name", VIEW_STR, "%-6s", "name" },
	[T_ID] = { "id", VIEW_UINT, " %4s", "id" },
	[T_UP] = { "up", VIEW_BOOL, " %s", "up" },
	[T_RTT] = { "rtt_ms", VIEW_NUM, " rtt %sms", NULL },
	[T_COST] = { "cost", VIEW_UINT, NULL, NULL },
	[T_KEY] = { "peer.key", VIEW_STR, " key %s", NULL },
	[T_EP] = { "peer.endpoint", VIEW_STR, " at %s", NULL },
	[T_NOTE] = { NULL, VIEW_STR, "%s\n", NULL },
};
static const struct view t_view = VIEW(t_fields, true);

static char *render(const struct view_row *r, bool json, bool *first)
{
	struct sbuf b = { 0 };
	size_t len;

	view_render(&b, json, first, r);
	return sbuf_take(&b, &len);
}

static void test_one_description_gives_the_text_and_the_json(void **state)
{
	struct view_row r;
	bool first = true;
	char *t, *j;

	view_row_init(&r, &t_view);
	view_str(&r, T_NAME, "wg0");
	view_uint(&r, T_ID, 7);
	view_bool(&r, T_UP, true);
	view_text(&r, T_UP, "yes");
	view_num(&r, T_RTT, "1.500");
	view_uint(&r, T_COST, 96);
	view_str(&r, T_KEY, "K\"=");
	view_str(&r, T_EP, "[::1]:51820");
	view_text_only(&r, T_NOTE, " (new)");
	t = render(&r, false, &first);
	assert_string_equal(t, "wg0       7 yes rtt 1.500ms key K\"= at [::1]:51820 (new)\n");
	assert_true(first);
	j = render(&r, true, &first);
	assert_string_equal(j, "{\"name\":\"wg0\",\"id\":7,\"up\":true,\"rtt_ms\":1.500,"
			    "\"cost\":96,\"peer\":{\"key\":\"K\\\"=\",\"endpoint\":"
			    "\"[::1]:51820\"}}");
	assert_false(first);
	free(t);
	free(j);
}

static void test_unset_null_and_hidden_values(void **state)
{
	struct view_row r;
	bool first = false;
	char *t, *j;

	view_row_init(&r, &t_view);
	view_str(&r, T_NAME, "a-long-name");
	view_null(&r, T_ID);
	view_text(&r, T_ID, "-");
	view_bool(&r, T_UP, false);		/* no text form given */
	view_null(&r, T_RTT);
	view_uint(&r, T_COST, 1);
	view_text(&r, T_COST, "ignored: no fragment");
	view_text_only(&r, T_NOTE, "");
	t = render(&r, false, &first);
	/* padding never cuts; no peer object when no peer.* is set */
	assert_string_equal(t, "a-long-name    -\n");
	j = render(&r, true, &first);
	assert_string_equal(j, ",{\"name\":\"a-long-name\",\"id\":null,\"up\":false,"
			    "\"rtt_ms\":null,\"cost\":1}");
	free(t);
	free(j);
}

static void test_the_header_is_the_labels_in_the_text_only(void **state)
{
	struct sbuf b = { 0 };
	size_t len;
	char *t;

	view_header(&b, true, &t_view);
	assert_int_equal(b.len, 0);
	view_header(&b, false, &t_view);
	t = sbuf_take(&b, &len);
	assert_string_equal(t, "name     id up");
	free(t);
}

static void check_ip6(const uint8_t a[16])
{
	char want[INET6_ADDRSTRLEN], *got;
	struct sbuf b = { 0 };
	size_t len;

	assert_non_null(inet_ntop(AF_INET6, a, want, sizeof(want)));
	sbuf_put_ip6(&b, a);
	got = sbuf_take(&b, &len);
	assert_string_equal(got, want);
	free(got);
}

static void test_the_fast_ipv6_text_is_inet_ntop_s(void **state)
{
	static const char *const edge[] = {
		"::", "::1", "::2", "1::", "2001:db8::", "2001:db8::1",
		"2001:db8:0:1::", "2001:0:0:1::1", "1:0:0:2:0:0:0:3",
		"1:2:3:4:5:6:7:8", "fe80::1:0:0:1", "::ffff:10.0.0.1",
		"::10.0.0.1", "::ffff:0:1", "0:0:1::", "1:0:2:0:3:0:4:0",
		"2001:db8:100:ffff::/64",
	};
	uint8_t a[16];

	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++) {
		char s[64], *slash;

		strcpy(s, edge[i]);
		if ((slash = strchr(s, '/')))
			*slash = '\0';
		assert_int_equal(inet_pton(AF_INET6, s, a), 1);
		check_ip6(a);
	}
	/* random ones, with zero groups made likely */
	srand(1);
	for (int n = 0; n < 100000; n++) {
		for (int g = 0; g < 8; g++) {
			unsigned v = rand() % 3 ? 0 : (unsigned)rand() & 0xffff;

			if (rand() % 5 == 0)
				v &= 0xf;
			a[2 * g] = (uint8_t)(v >> 8);
			a[2 * g + 1] = (uint8_t)v;
		}
		check_ip6(a);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_description_gives_the_text_and_the_json),
		cmocka_unit_test(test_unset_null_and_hidden_values),
		cmocka_unit_test(test_the_header_is_the_labels_in_the_text_only),
		cmocka_unit_test(test_the_fast_ipv6_text_is_inet_ntop_s),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
