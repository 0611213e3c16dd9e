/* SPDX-License-Identifier: MIT */
/*
 * daemon/metrics.c — the table of every metric wgbabeld exports and its
 * renderer to Prometheus' text exposition format 0.0.4 (see metrics.h).
 * Pure: reads a snapshot, writes text; unit-tested from a made-up one.
 *
 * Names follow Prometheus' conventions: prefix "wgbabeld_", base units
 * (seconds, bytes), counters end in "_total", one family per quantity with
 * a label for its parts (cause, kind, state) rather than one name each.
 */
#include "daemon/metrics.h"

#include <inttypes.h>
#include <stddef.h>
#include <string.h>

enum metrics_form {
	MF_U64,		/* uint64_t at off (an array of them with values) */
	MF_U32,
	MF_U16,
	MF_SIZE,
	MF_BOOL,
	MF_INFO,	/* 1, labelled version and router_id */
	MF_NEIGH,	/* one sample per neighbour: the uint64_t at off in
			 * struct metrics_neigh (an array of them with
			 * values), or read by neigh() */
	MF_FN,		/* read by get() */
};

struct metrics_val {
	bool skip;		/* no sample (an RTT not measured) */
	bool real;		/* d, else u */
	uint64_t u;
	double d;
};

struct metrics_desc {
	const char *name;	/* after "wgbabeld_" */
	const char *type;	/* "counter", "gauge" */
	const char *help;
	enum metrics_form form;
	size_t off;		/* into struct metrics_snap */
	const char *label;	/* NULL: one sample (per neighbour) */
	const char *const *values;	/* label values, NULL-terminated */
	/* MF_NEIGH, if not at off: the value for neighbour N, label
	 * value I */
	struct metrics_val (*neigh)(const struct metrics_neigh *n, size_t i);
	/* MF_FN: the value for label value I */
	uint64_t (*get)(const struct metrics_snap *s, size_t i);
};

#define OFF(f) offsetof(struct metrics_snap, f)
#define U64(n, t, h, f) { n, t, h, MF_U64, OFF(f), NULL, NULL, NULL, NULL }
#define U32(n, t, h, f) { n, t, h, MF_U32, OFF(f), NULL, NULL, NULL, NULL }
#define ARR(n, t, h, f, l, v) \
	{ n, t, h, MF_U64, OFF(f[0]), l, v, NULL, NULL }
#define NOFF(f) offsetof(struct metrics_neigh, f)
#define NEIGH(n, h, f) { n, "gauge", h, MF_NEIGH, NOFF(f), NULL, NULL, NULL, NULL }

/* parse_errors_total reads the counters after "packets" as an array. */
_Static_assert(offsetof(struct babel_parse_stats, truncated) -
	       offsetof(struct babel_parse_stats, bad_packets) ==
	       7 * sizeof(uint64_t), "struct babel_parse_stats changed");

static struct metrics_val mv_u(uint64_t u)
{
	return (struct metrics_val){ .u = u };
}

static struct metrics_val nb_rtt(const struct metrics_neigh *n, size_t i)
{
	(void)i;
	return (struct metrics_val){ .skip = !n->rtt_valid, .real = true,
				     .d = n->rtt_us / 1e6 };
}

static const char *const v_loss[] = {
	"hello-timeout", "unreachable", "interface-down", "peer-removed",
	"probe", NULL
};
_Static_assert(sizeof(v_loss) / sizeof(v_loss[0]) == BABEL_LOSS_MAX + 1,
	       "a label value for each cause of a neighbour's loss");
static const char *const v_check[] = { "unknown", "up", "down", NULL };
static const char *const v_drain[] = { "draining", "drained", NULL };
static const char *const v_result[] = { "ok", "failed", NULL };
static const char *const v_hello[] = { "multicast", "unicast", NULL };
static const char *const v_orig[] = {
	"config", "control", "redistribute", NULL
};
static const char *const v_aip[] = {
	"installed", "pending", "no-peer", "dry-run", "refused-foreign",
	"refused-peer-missing", NULL
};
static const char *const v_kr[] = {
	"installed", "refused-foreign", "refused-endpoint", NULL
};
static const char *const v_iface[] = {
	"running", "waiting", "down", "absent", NULL
};
static const char *const v_sock[] = { "read-write", "read-only", NULL };
static const char *const v_http[] = {
	"200", "400", "404", "405", "413", "431", "503", "505", NULL
};
static const char *const v_drop[] = {
	"timeout", "closed", "overload", NULL
};

/* The parse errors of struct babel_parse_stats, after its "packets". */
static const char *const v_parse[] = {
	"bad-packet", "bad-tlv", "unknown-tlv", "mandatory-subtlv",
	"update-without-router-id", "update-without-next-hop", "bad-subtlv",
	"truncated", NULL
};

static const char *const v_kerr[] = {
	"wireguard-read", "wireguard-write", "route-write",
	"rtnetlink-malformed", "rtnetlink-lost", NULL
};
_Static_assert(sizeof(v_kerr) / sizeof(v_kerr[0]) == METRICS_KERR_MAX + 1,
	       "a label value for each kernel error kind");

static const char *const v_limit[] = {
	"routes", "metrics-clients", "metrics-head-size", NULL
};

/* The label values of limit_refusals_total come from three places. */
static uint64_t metrics_limit(const struct metrics_snap *s, size_t i)
{
	switch (i) {
	case 0: return s->eng.refused_routes;
	case 1: return s->http.answers[METRICS_HTTP_503];
	default: return s->http.answers[METRICS_HTTP_431];
	}
}

static const struct metrics_desc metrics_table[] = {
	{ "info", "gauge", "Always 1: the version and router-id of this "
	  "wgbabeld.", MF_INFO, 0, NULL, NULL, NULL, NULL },
	{ "seqno", "gauge", "Our current Babel seqno (RFC 8966 3.2).",
	  MF_U16, OFF(eng.seqno), NULL, NULL, NULL, NULL },
	ARR("interfaces", "gauge", "Configured interfaces by state.", ifaces,
	    "state", v_iface),
	/* neighbours */
	U32("neighbours", "gauge", "Babel neighbours heard within their Hello "
	    "window.", eng.neighbours),
	NEIGH("neighbour_cost", "Link cost to the neighbour, RTT penalty "
	      "included (RFC 8966 3.4.3).", cost),
	NEIGH("neighbour_rxcost", "Receive cost we announce to the neighbour "
	      "in IHUs.", rxcost),
	NEIGH("neighbour_txcost", "Transmit cost the neighbour announced in "
	      "its IHU.", txcost),
	{ "neighbour_rtt_seconds", "gauge", "Smoothed round-trip time to the "
	  "neighbour (RFC 9616); absent until measured.", MF_NEIGH, 0, NULL,
	  NULL, nb_rtt, NULL },
	{ "neighbour_hellos_missed", "gauge", "Hellos missed since the oldest "
	  "one received of the last 16 (RFC 8966 3.4.1).", MF_NEIGH,
	  NOFF(hellos_missed[0]), "kind", v_hello, NULL, NULL },
	NEIGH("neighbour_routes", "Routes learned from the neighbour.",
	      routes),
	NEIGH("neighbour_selected_routes", "Selected routes through the "
	      "neighbour.", selected),
	{ "neighbours_lost_total", "counter", "Neighbours lost, by cause.",
	  MF_U64, OFF(eng.neighbours_lost[0]), "cause", v_loss, NULL, NULL },
	U32("fast_probed_neighbours", "gauge", "Next hops probed fast now "
	    "(fast failure detection).", eng.fast_probed),
	U64("fast_probes_sent_total", "counter", "Fast probes (Ack Requests) "
	    "sent to next hops.", eng.fast_probes_sent),
	U64("fast_probe_refused_total", "counter", "Times a next hop was left "
	    "to slow detection at the limit of neighbours probed fast.",
	    eng.fast_probe_refused),
	/* routes */
	U32("prefixes", "gauge", "Destinations known (prefix, source "
	    "prefix).", eng.prefixes),
	U32("routes", "gauge", "Routes known (prefix, neighbour) candidates.",
	    eng.routes),
	U32("selected_routes", "gauge", "Routes selected.", eng.selected),
	U32("sources", "gauge", "Feasibility distances held (RFC 8966 3.5.1).",
	    eng.sources),
	U32("originated_prefixes", "gauge", "Prefixes this node originates.",
	    eng.xroutes),
	ARR("originated_prefixes_by_reason", "gauge", "Originated prefixes by "
	    "what asks for them (a prefix may have several reasons).",
	    originated, "reason", v_orig),
	ARR("checked_announcements", "gauge", "Health-checked announcements "
	    "by state of their check (unknown: no result yet, announced as "
	    "down).", checks, "state", v_check),
	ARR("drained_announcements", "gauge", "Announcements being drained "
	    "(metric raised) and drained (withdrawn).", drains, "state",
	    v_drain),
	ARR("check_results_total", "counter", "Health-check probe results.",
	    check_results, "result", v_result),
	U64("updates_received_total", "counter", "Updates received.",
	    eng.updates_received),
	U64("updates_sent_total", "counter", "Updates sent.",
	    eng.updates_sent),
	U64("unfeasible_updates_total", "counter", "Updates accepted as "
	    "unfeasible candidates.", eng.unfeasible_updates),
	U64("route_requests_received_total", "counter", "Route requests "
	    "received.", eng.route_requests_received),
	U64("seqno_requests_sent_total", "counter", "Seqno requests sent on "
	    "starvation.", eng.seqno_requests_sent),
	U64("seqno_requests_forwarded_total", "counter", "Seqno requests "
	    "forwarded.", eng.seqno_requests_forwarded),
	U64("seqno_bumps_total", "counter", "Increases of our seqno on "
	    "request.", eng.seqno_bumps),
	U64("source_specific_ignored_total", "counter", "Source-specific TLVs "
	    "ignored (RFC 9079).", eng.source_specific_ignored),
	{ "limit_refusals_total", "counter", "Things refused at a limit: new "
	  "routes at max-routes or max-routes-per-neighbour, metrics clients "
	  "past the cap, request heads past 4 KiB.", MF_FN, 0, "limit",
	  v_limit, NULL, metrics_limit },
	{ "engine_memory_bytes", "gauge", "Bytes the Babel engine holds.",
	  MF_SIZE, OFF(eng.mem_bytes), NULL, NULL, NULL, NULL },
	/* forwarding */
	ARR("allowed_ips", "gauge", "Allowed IPs wgbabeld wants on WireGuard "
	    "devices, by state.", allowed_ips, "state", v_aip),
	ARR("kernel_routes", "gauge", "Kernel routes wgbabeld wants, by state.",
	    kernel_routes, "state", v_kr),
	{ "dry_run", "gauge", "1 when nothing is written (--dry-run).",
	  MF_BOOL, OFF(dry_run), NULL, NULL, NULL, NULL },
	U64("writes_withheld_total", "counter", "Writes withheld in a dry run.",
	    dry_writes),
	/* packets */
	U64("packets_received_total", "counter", "Babel datagrams received.",
	    rx_packets),
	U64("received_bytes_total", "counter", "Bytes of Babel datagrams "
	    "received.", rx_bytes),
	U64("packets_sent_total", "counter", "Babel datagrams sent.",
	    tx_packets),
	U64("sent_bytes_total", "counter", "Bytes of Babel datagrams sent.",
	    tx_bytes),
	U64("packets_not_from_peer_total", "counter", "Datagrams dropped on a "
	    "WireGuard link: the source is no peer's address.", rx_not_peer),
	{ "parse_errors_total", "counter", "Errors in received packets, by "
	  "kind.", MF_U64, OFF(eng.parse.bad_packets), "kind", v_parse, NULL,
	  NULL },
	U64("send_errors_total", "counter", "Datagrams the kernel refused to "
	    "send.", tx_errors),
	U64("send_refused_by_wireguard_total", "counter", "Of those, refused "
	    "by WireGuard: no peer or no endpoint.", tx_refused_by_wg),
	U64("probes_sent_total", "counter", "Liveness probes sent.",
	    probes_sent),
	U64("neighbours_unreachable_total", "counter", "Neighbours found gone "
	    "by an ICMP error.", unreachable),
	U64("icmp_ignored_total", "counter", "Other ICMP errors.",
	    icmp_ignored),
	ARR("kernel_errors_total", "counter", "Errors from the kernel: "
	    "WireGuard device reads and writes, route writes, route event "
	    "messages malformed or lost.", kernel_errors, "kind", v_kerr),
	/* clients */
	ARR("control_clients", "gauge", "Clients connected to the control "
	    "sockets.", ctl_clients, "socket", v_sock),
	ARR("control_connections_total", "counter", "Connections accepted on "
	    "the control sockets.", ctl_accepted, "socket", v_sock),
	U64("http_connections_total", "counter", "Connections accepted on the "
	    "metrics endpoint.", http.connections),
	U64("http_clients", "gauge", "Clients connected to the metrics "
	    "endpoint.", http.active),
	ARR("http_responses_total", "counter", "Answers of the metrics "
	    "endpoint, by status code.", http.answers, "code", v_http),
	ARR("http_dropped_total", "counter", "Metrics connections closed "
	    "without an answer, by reason.", http.dropped, "reason", v_drop),
};

/* A label value, escaped as the format asks: \\, \", \n. */
static void metrics_label(struct sbuf *b, const char *name, const char *v)
{
	sbuf_printf(b, "%s=\"", name);
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			sbuf_printf(b, "\\%c", *v);
		else if (*v == '\n')
			sbuf_puts(b, "\\n");
		else
			sbuf_putn(b, v, 1);
	}
	sbuf_puts(b, "\"");
}

static void metrics_value(struct sbuf *b, struct metrics_val v)
{
	if (v.real)
		sbuf_printf(b, " %.6f\n", v.d);
	else
		sbuf_printf(b, " %" PRIu64 "\n", v.u);
}

static uint64_t metrics_read(const struct metrics_snap *s,
			     const struct metrics_desc *m, size_t i)
{
	const char *p = (const char *)s + m->off;
	uint64_t u64;
	uint32_t u32;
	uint16_t u16;
	size_t z;

	switch (m->form) {
	case MF_U64:
		memcpy(&u64, p + i * sizeof(u64), sizeof(u64));
		return u64;
	case MF_U32:
		memcpy(&u32, p, sizeof(u32));
		return u32;
	case MF_U16:
		memcpy(&u16, p, sizeof(u16));
		return u16;
	case MF_SIZE:
		memcpy(&z, p, sizeof(z));
		return z;
	case MF_BOOL:
		return *(const bool *)p;
	default:
		return 1;
	}
}

static void metrics_family(const struct metrics_snap *s,
			   const struct metrics_desc *m, struct sbuf *b)
{
	const char *const *vals = m->values;
	size_t nv = 0;

	sbuf_printf(b, "# HELP wgbabeld_%s %s\n# TYPE wgbabeld_%s %s\n",
		    m->name, m->help, m->name, m->type);
	while (vals && vals[nv])
		nv++;
	if (m->form == MF_INFO) {
		sbuf_printf(b, "wgbabeld_%s{", m->name);
		metrics_label(b, "version", s->version);
		sbuf_puts(b, ",");
		metrics_label(b, "router_id", s->router_id);
		sbuf_puts(b, "} 1\n");
		return;
	}
	if (m->form == MF_NEIGH) {
		for (size_t k = 0; k < s->n_neigh; k++) {
			const struct metrics_neigh *n = &s->neigh[k];

			for (size_t i = 0; i < (nv ? nv : 1); i++) {
				struct metrics_val v;

				if (m->neigh) {
					v = m->neigh(n, i);
				} else {
					uint64_t u;

					memcpy(&u, (const char *)n + m->off +
					       i * sizeof(u), sizeof(u));
					v = mv_u(u);
				}

				if (v.skip)
					continue;
				sbuf_printf(b, "wgbabeld_%s{", m->name);
				metrics_label(b, "interface", n->iface);
				sbuf_puts(b, ",");
				metrics_label(b, "neighbour", n->addr);
				if (nv) {
					sbuf_puts(b, ",");
					metrics_label(b, m->label, vals[i]);
				}
				sbuf_puts(b, "}");
				metrics_value(b, v);
			}
		}
		return;
	}
	if (!nv) {
		sbuf_printf(b, "wgbabeld_%s", m->name);
		metrics_value(b, mv_u(metrics_read(s, m, 0)));
		return;
	}
	for (size_t i = 0; i < nv; i++) {
		sbuf_printf(b, "wgbabeld_%s{", m->name);
		metrics_label(b, m->label, vals[i]);
		sbuf_puts(b, "}");
		metrics_value(b, mv_u(m->form == MF_FN ? m->get(s, i) :
				      metrics_read(s, m, i)));
	}
}

void metrics_render(const struct metrics_snap *s, struct sbuf *b)
{
	for (size_t i = 0; i < sizeof(metrics_table) / sizeof(metrics_table[0]);
	     i++)
		metrics_family(s, &metrics_table[i], b);
}
