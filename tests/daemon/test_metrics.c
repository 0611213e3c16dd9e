/* SPDX-License-Identifier: MIT */
/*
 * tests/daemon/test_metrics.c — metrics_render() (daemon/metrics.c) from a
 * made-up snapshot: the exposition format's rules (a HELP and a TYPE line
 * before each family's samples, each family once, counters named _total,
 * label values escaped) and that each value lands on its sample.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/metrics.h"

struct fixture {
	struct metrics_snap s;
	struct metrics_neigh nb[2];
	struct sbuf b;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct metrics_snap *s;

	if (!f)
		return -1;
	s = &f->s;
	snprintf(s->version, sizeof(s->version), "1.2.3");
	snprintf(s->router_id, sizeof(s->router_id), "02:11:22:ff:fe:33:44:55");
	s->eng.seqno = 4242;
	s->eng.neighbours = 2;
	s->eng.routes = 7;
	s->eng.selected = 3;
	s->eng.xroutes = 2;
	s->eng.mem_bytes = 123456;
	s->eng.refused_routes = 11;
	s->eng.neighbours_lost[BABEL_LOSS_UNREACHABLE] = 5;
	s->eng.parse.packets = 1000;
	s->eng.parse.bad_packets = 1;
	s->eng.parse.truncated = 9;
	s->ifaces[0] = 1;
	s->originated[2] = 100000;
	s->checks[1] = 2;
	s->checks[2] = 1;
	s->drains[1] = 1;
	s->check_results[1] = 17;
	s->eng.neighbours_lost[BABEL_LOSS_PROBE] = 4;
	s->eng.fast_probed = 3;
	s->allowed_ips[METRICS_AIP_INSTALLED] = 4;
	s->allowed_ips[METRICS_AIP_REFUSED_FOREIGN] = 1;
	s->kernel_routes[METRICS_KR_REFUSED_ENDPOINT] = 2;
	s->rx_packets = 77;
	s->rx_bytes = 7700;
	s->tx_bytes = UINT64_MAX;
	s->kernel_errors[METRICS_KERR_RTNL_LOST] = 3;
	s->dry_run = true;
	s->ctl_clients[1] = 2;
	s->http.answers[METRICS_HTTP_503] = 6;
	s->http.answers[METRICS_HTTP_431] = 8;
	s->http.dropped[METRICS_DROP_TIMEOUT] = 12;

	snprintf(f->nb[0].iface, sizeof(f->nb[0].iface), "wg0");
	snprintf(f->nb[0].addr, sizeof(f->nb[0].addr), "fe80::2");
	f->nb[0].cost = 96;
	f->nb[0].rxcost = 96;
	f->nb[0].txcost = 256;
	f->nb[0].rtt_valid = true;
	f->nb[0].rtt_us = 12345;
	f->nb[0].hellos_missed[1] = 3;
	f->nb[0].routes = 5;
	f->nb[0].selected = 3;
	/* an interface name with characters the format escapes */
	snprintf(f->nb[1].iface, sizeof(f->nb[1].iface), "we\"ird\\");
	snprintf(f->nb[1].addr, sizeof(f->nb[1].addr), "fe80::3");
	f->nb[1].cost = 65535;
	s->neigh = f->nb;
	s->n_neigh = 2;
	metrics_render(s, &f->b);
	if (f->b.oom)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	sbuf_free(&f->b);
	free(f);
	return 0;
}

/* The line that starts with PREFIX and a space or '{' ... exactly LINE. */
static void assert_line(const struct fixture *f, const char *line)
{
	const char *p = f->b.p;
	size_t n = strlen(line);

	while ((p = strstr(p, line))) {
		if ((p == f->b.p || p[-1] == '\n') && p[n] == '\n')
			return;
		p += n;
	}
	fail_msg("no line '%s' in:\n%s", line, f->b.p);
}

static void assert_no(const struct fixture *f, const char *s)
{
	if (strstr(f->b.p, s))
		fail_msg("'%s' should not be there", s);
}

static void test_values_land_on_their_samples(void **state)
{
	struct fixture *f = *state;

	assert_line(f, "wgbabeld_info{version=\"1.2.3\",router_id="
		    "\"02:11:22:ff:fe:33:44:55\"} 1");
	assert_line(f, "wgbabeld_seqno 4242");
	assert_line(f, "wgbabeld_neighbours 2");
	assert_line(f, "wgbabeld_routes 7");
	assert_line(f, "wgbabeld_selected_routes 3");
	assert_line(f, "wgbabeld_engine_memory_bytes 123456");
	assert_line(f, "wgbabeld_interfaces{state=\"running\"} 1");
	assert_line(f, "wgbabeld_interfaces{state=\"absent\"} 0");
	assert_line(f, "wgbabeld_neighbours_lost_total{cause=\"unreachable\"} 5");
	assert_line(f, "wgbabeld_neighbours_lost_total{cause=\"hello-timeout\"} 0");
	assert_line(f, "wgbabeld_neighbours_lost_total{cause=\"probe\"} 4");
	assert_line(f, "wgbabeld_fast_probed_neighbours 3");
	assert_line(f, "wgbabeld_checked_announcements{state=\"up\"} 2");
	assert_line(f, "wgbabeld_checked_announcements{state=\"down\"} 1");
	assert_line(f, "wgbabeld_checked_announcements{state=\"unknown\"} 0");
	assert_line(f, "wgbabeld_drained_announcements{state=\"drained\"} 1");
	assert_line(f, "wgbabeld_check_results_total{result=\"failed\"} 17");
	assert_line(f, "wgbabeld_originated_prefixes_by_reason"
		    "{reason=\"redistribute\"} 100000");
	assert_line(f, "wgbabeld_allowed_ips{state=\"installed\"} 4");
	assert_line(f, "wgbabeld_allowed_ips{state=\"refused-foreign\"} 1");
	assert_line(f, "wgbabeld_kernel_routes{state=\"refused-endpoint\"} 2");
	assert_line(f, "wgbabeld_packets_received_total 77");
	assert_line(f, "wgbabeld_received_bytes_total 7700");
	assert_line(f, "wgbabeld_sent_bytes_total 18446744073709551615");
	assert_line(f, "wgbabeld_parse_errors_total{kind=\"bad-packet\"} 1");
	assert_line(f, "wgbabeld_parse_errors_total{kind=\"truncated\"} 9");
	assert_line(f, "wgbabeld_kernel_errors_total{kind=\"rtnetlink-lost\"} 3");
	assert_line(f, "wgbabeld_dry_run 1");
	assert_line(f, "wgbabeld_control_clients{socket=\"read-only\"} 2");
	assert_line(f, "wgbabeld_limit_refusals_total{limit=\"routes\"} 11");
	assert_line(f, "wgbabeld_limit_refusals_total"
		    "{limit=\"metrics-clients\"} 6");
	assert_line(f, "wgbabeld_limit_refusals_total"
		    "{limit=\"metrics-head-size\"} 8");
	assert_line(f, "wgbabeld_http_responses_total{code=\"503\"} 6");
	assert_line(f, "wgbabeld_http_dropped_total{reason=\"timeout\"} 12");
}

static void test_neighbours_are_labelled_by_interface_and_address(void **state)
{
	struct fixture *f = *state;

	assert_line(f, "wgbabeld_neighbour_cost{interface=\"wg0\","
		    "neighbour=\"fe80::2\"} 96");
	assert_line(f, "wgbabeld_neighbour_txcost{interface=\"wg0\","
		    "neighbour=\"fe80::2\"} 256");
	assert_line(f, "wgbabeld_neighbour_rtt_seconds{interface=\"wg0\","
		    "neighbour=\"fe80::2\"} 0.012345");
	assert_line(f, "wgbabeld_neighbour_hellos_missed{interface=\"wg0\","
		    "neighbour=\"fe80::2\",kind=\"unicast\"} 3");
	assert_line(f, "wgbabeld_neighbour_selected_routes{interface=\"wg0\","
		    "neighbour=\"fe80::2\"} 3");
	/* escaped: \" and \\ */
	assert_line(f, "wgbabeld_neighbour_cost{interface=\"we\\\"ird\\\\\","
		    "neighbour=\"fe80::3\"} 65535");
	/* no RTT measured: no sample, not a made-up 0 */
	assert_no(f, "wgbabeld_neighbour_rtt_seconds{interface=\"we");
}

/* Every sample comes after its family's HELP and TYPE, each family has
 * them once, counters and only counters end in _total. */
static void test_exposition_format_rules(void **state)
{
	struct fixture *f = *state;
	char *text = strdup(f->b.p), *save = NULL, *line;
	char family[128] = "", type[16] = "";
	char seen[128][128];
	size_t n_seen = 0, samples = 0;

	assert_non_null(text);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[128];

		if (!strncmp(line, "# HELP ", 7)) {
			assert_int_equal(sscanf(line + 7, "%127s", family), 1);
			for (size_t i = 0; i < n_seen; i++)
				if (!strcmp(seen[i], family))
					fail_msg("%s twice", family);
			assert_true(n_seen < 128);
			strcpy(seen[n_seen++], family);
			assert_int_equal(strncmp(family, "wgbabeld_", 9), 0);
			type[0] = '\0';
			continue;
		}
		if (!strncmp(line, "# TYPE ", 7)) {
			assert_int_equal(sscanf(line + 7, "%127s %15s", name,
						type), 2);
			assert_string_equal(name, family);
			assert_true(!strcmp(type, "counter") ||
				    !strcmp(type, "gauge"));
			{
				size_t l = strlen(name);
				bool total = l > 6 &&
					!strcmp(name + l - 6, "_total");

				if (total != !strcmp(type, "counter"))
					fail_msg("%s is a %s", name, type);
			}
			continue;
		}
		assert_int_not_equal(line[0], '#');
		assert_int_equal(sscanf(line, "%127[^{ ]", name), 1);
		assert_string_equal(name, family);
		assert_true(type[0] != '\0');
		samples++;
	}
	assert_true(n_seen >= 40);
	assert_true(samples > n_seen);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_values_land_on_their_samples, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_neighbours_are_labelled_by_interface_and_address,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_exposition_format_rules,
						setup, teardown),
	};

	return cmocka_run_group_tests_name("daemon/metrics", tests, NULL,
					   NULL);
}
