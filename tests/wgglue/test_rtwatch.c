/* SPDX-License-Identifier: MIT */
/*
 * tests/wgglue/test_rtwatch.c — the route watcher (wgglue/rtwatch.c): its
 * parser against well-formed and malformed rtnetlink messages, the dump
 * read in slices, passes requested during a pass, events, and lost events.
 * Two AF_UNIX datagram pairs stand in for the kernel's sockets: the test
 * writes the kernel's side (messages built with libmnl) and reads the
 * requests. ENOBUFS, which only a netlink socket returns, comes from a
 * wrapped recv() (-Wl,--wrap=recv in meson.build).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

#include "wgglue/rtwatch.h"

/* ---- recv() wrapper: ENOBUFS on request ---- */

ssize_t __real_recv(int fd, void *buf, size_t len, int flags);
ssize_t __wrap_recv(int fd, void *buf, size_t len, int flags);

static int enobufs_fd = -1;

ssize_t __wrap_recv(int fd, void *buf, size_t len, int flags)
{
	if (fd == enobufs_fd) {
		enobufs_fd = -1;
		errno = ENOBUFS;
		return -1;
	}
	return __real_recv(fd, buf, len, flags);
}

/* ---- fixture ---- */

struct seen {
	struct rtwatch_route r;
	bool add;
};

struct fix {
	struct rtwatch *w;
	int ev;			/* the kernel's end of the event socket */
	int dump;		/* the kernel's end of the dump socket */
	int w_ev, w_dump;	/* rtwatch's ends */
	struct seen *seen;
	size_t n_seen, cap_seen;
	unsigned begins, dones;
	int done_err;
	char buf[65536];	/* a datagram being built */
	size_t len;
};

static void on_route(void *arg, const struct rtwatch_route *r, bool add)
{
	struct fix *f = arg;

	if (f->n_seen == f->cap_seen) {
		f->cap_seen = f->cap_seen ? f->cap_seen * 2 : 256;
		f->seen = realloc(f->seen, f->cap_seen * sizeof(*f->seen));
		assert_non_null(f->seen);
	}
	f->seen[f->n_seen].r = *r;
	f->seen[f->n_seen++].add = add;
}

static void on_begin(void *arg)
{
	((struct fix *)arg)->begins++;
}

static void on_done(void *arg, int err)
{
	struct fix *f = arg;

	f->dones++;
	f->done_err = err;
}

static const struct rtwatch_ops ops = { on_route, on_begin, on_done };

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	int a[2], b[2];

	if (!f || socketpair(AF_UNIX, SOCK_DGRAM, 0, a) < 0 ||
	    socketpair(AF_UNIX, SOCK_DGRAM, 0, b) < 0)
		return -1;
	f->w_ev = a[0];
	f->ev = a[1];
	f->w_dump = b[0];
	f->dump = b[1];
	if (rtwatch_new_fds(&f->w, &ops, f, a[0], b[0]) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	rtwatch_free(f->w);
	close(f->ev);
	close(f->dump);
	free(f->seen);
	free(f);
	enobufs_fd = -1;
	return 0;
}

/* ---- building the kernel's messages ---- */

static struct nlmsghdr *put_route(struct fix *f, uint16_t type, uint32_t seq,
				  int family, const char *dst, unsigned plen,
				  uint8_t proto)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(f->buf + f->len);
	struct rtmsg *rtm;
	uint8_t a[16];

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = seq;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)family;
	rtm->rtm_dst_len = (uint8_t)plen;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = proto;
	rtm->rtm_type = RTN_BLACKHOLE;
	if (dst) {
		assert_int_equal(inet_pton(family, dst, a), 1);
		mnl_attr_put(nlh, RTA_DST, family == AF_INET ? 4 : 16, a);
	}
	mnl_attr_put_u32(nlh, RTA_TABLE, RT_TABLE_MAIN);
	mnl_attr_put_u32(nlh, RTA_PRIORITY, 1024);
	f->len += nlh->nlmsg_len;
	return nlh;
}

static void put_done(struct fix *f, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(f->buf + f->len);
	int zero = 0;

	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = seq;
	mnl_nlmsg_put_extra_header(nlh, sizeof(zero));
	f->len += nlh->nlmsg_len;
}

static void put_routes(struct fix *f, uint32_t seq, unsigned from,
		       unsigned n)
{
	char s[64];

	for (unsigned i = from; i < from + n; i++) {
		snprintf(s, sizeof(s), "2001:db8:%x:%x::", i >> 16, i & 0xffff);
		put_route(f, RTM_NEWROUTE, seq, AF_INET6, s, 64, RTPROT_STATIC);
	}
}

static void send_to(struct fix *f, int fd)
{
	assert_int_equal(send(fd, f->buf, f->len, 0), (ssize_t)f->len);
	f->len = 0;
}

/* The dump request rtwatch sent: its sequence number. */
static uint32_t read_request(struct fix *f)
{
	char buf[256];
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	ssize_t n = recv(f->dump, buf, sizeof(buf), MSG_DONTWAIT);

	assert_true(n >= (ssize_t)NLMSG_LENGTH(sizeof(struct rtmsg)));
	assert_int_equal(nlh->nlmsg_type, RTM_GETROUTE);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
	return nlh->nlmsg_seq;
}

static bool request_pending(struct fix *f)
{
	char buf[256];

	return recv(f->dump, buf, sizeof(buf), MSG_DONTWAIT | MSG_PEEK) > 0;
}

/* ---- parser ---- */

static void test_parse_reads_the_route(void **state)
{
	struct fix *f = *state;
	struct nlmsghdr *nlh;
	struct rtwatch_route r;
	bool add;

	nlh = put_route(f, RTM_NEWROUTE, 0, AF_INET6, "2001:db8:1::", 48,
			RTPROT_STATIC);
	mnl_attr_put_u32(nlh, RTA_OIF, 7);
	assert_int_equal(rtwatch_parse(nlh, &r, &add), 1);
	assert_true(add);
	assert_int_equal(r.family, AF_INET6);
	assert_int_equal(r.dst_len, 48);
	assert_int_equal(r.dst[0], 0x20);
	assert_int_equal(r.dst[5], 1);
	assert_int_equal(r.table, RT_TABLE_MAIN);
	assert_int_equal(r.priority, 1024);
	assert_int_equal(r.protocol, RTPROT_STATIC);
	assert_int_equal(r.type, RTN_BLACKHOLE);
	assert_int_equal(r.oif, 7);
	f->len = 0;
	nlh = put_route(f, RTM_DELROUTE, 0, AF_INET, "10.1.0.0", 16, 186);
	assert_int_equal(rtwatch_parse(nlh, &r, &add), 1);
	assert_false(add);
	assert_int_equal(r.dst[1], 1);
	assert_int_equal(r.protocol, 186);
	/* A default route has no RTA_DST. */
	f->len = 0;
	nlh = put_route(f, RTM_NEWROUTE, 0, AF_INET, NULL, 0, 4);
	assert_int_equal(rtwatch_parse(nlh, &r, &add), 1);
	assert_int_equal(r.dst_len, 0);
}

static void test_parse_refuses_malformed_messages(void **state)
{
	struct fix *f = *state;
	struct nlmsghdr *nlh;
	struct rtwatch_route r;
	struct rtmsg *rtm;
	struct nlattr *a;
	uint8_t three[3] = { 10, 0, 0 };
	bool add;

	/* RTA_DST of the wrong length for the family. */
	nlh = put_route(f, RTM_NEWROUTE, 0, AF_INET, NULL, 8, 4);
	mnl_attr_put(nlh, RTA_DST, sizeof(three), three);
	assert_int_equal(rtwatch_parse(nlh, &r, &add), -EBADMSG);
	/* A prefix length beyond the address. */
	f->len = 0;
	nlh = put_route(f, RTM_NEWROUTE, 0, AF_INET, "10.0.0.0", 8, 4);
	rtm = mnl_nlmsg_get_payload(nlh);
	rtm->rtm_dst_len = 33;
	assert_int_equal(rtwatch_parse(nlh, &r, &add), -EBADMSG);
	/* RTA_TABLE of two bytes. */
	f->len = 0;
	nlh = put_route(f, RTM_NEWROUTE, 0, AF_INET, "10.0.0.0", 8, 4);
	mnl_attr_put_u16(nlh, RTA_TABLE, 254);
	assert_int_equal(rtwatch_parse(nlh, &r, &add), -EBADMSG);
	/* An attribute whose length runs past the message. */
	f->len = 0;
	nlh = put_route(f, RTM_NEWROUTE, 0, AF_INET, "10.0.0.0", 8, 4);
	a = (struct nlattr *)((char *)nlh + NLMSG_LENGTH(sizeof(*rtm)));
	a->nla_len = 200;
	assert_int_equal(rtwatch_parse(nlh, &r, &add), -EBADMSG);
	/* Shorter than struct rtmsg. */
	f->len = 0;
	nlh = put_route(f, RTM_NEWROUTE, 0, AF_INET, "10.0.0.0", 8, 4);
	nlh->nlmsg_len = NLMSG_LENGTH(4);
	assert_int_equal(rtwatch_parse(nlh, &r, &add), -EBADMSG);
	/* Not ours: another family, another message type. */
	f->len = 0;
	nlh = put_route(f, RTM_NEWROUTE, 0, AF_INET, "10.0.0.0", 8, 4);
	rtm = mnl_nlmsg_get_payload(nlh);
	rtm->rtm_family = 28;	/* AF_MPLS */
	assert_int_equal(rtwatch_parse(nlh, &r, &add), 0);
	nlh->nlmsg_type = RTM_NEWLINK;
	assert_int_equal(rtwatch_parse(nlh, &r, &add), 0);
}

/* ---- dumps ---- */

static void test_dump_is_read_in_slices(void **state)
{
	struct fix *f = *state;
	uint32_t seq;
	int k, rounds = 0;

	assert_int_equal(rtwatch_dump_request(f->w), 0);
	assert_true(rtwatch_dumping(f->w));
	assert_int_equal(f->begins, 1);
	seq = read_request(f);
	for (unsigned d = 0; d < 10; d++) {
		put_routes(f, seq, d * 100, 100);
		send_to(f, f->dump);
	}
	put_done(f, seq);
	send_to(f, f->dump);
	/* 100 routes a datagram, a budget of 250: three datagrams a call. */
	while ((k = rtwatch_dump_run(f->w, 250)) == 1) {
		rounds++;
		assert_true(f->n_seen <= (size_t)rounds * 300);
		assert_int_equal(f->dones, 0);
	}
	assert_int_equal(k, 0);
	assert_int_equal(rounds, 3);
	assert_int_equal(f->n_seen, 1000);
	assert_int_equal(f->dones, 1);
	assert_int_equal(f->done_err, 0);
	assert_false(rtwatch_dumping(f->w));
	assert_true(f->seen[999].add);
	assert_int_equal(f->seen[999].r.dst[6], 999 >> 8);
	assert_int_equal(f->seen[999].r.dst[7], 999 & 0xff);
}

static void test_dump_waits_for_more_without_blocking(void **state)
{
	struct fix *f = *state;
	uint32_t seq;

	assert_int_equal(rtwatch_dump_request(f->w), 0);
	seq = read_request(f);
	put_routes(f, seq, 0, 10);
	send_to(f, f->dump);
	/* Nothing more queued yet: "more to come", not an end. */
	assert_int_equal(rtwatch_dump_run(f->w, 1000), 1);
	assert_int_equal(f->n_seen, 10);
	assert_int_equal(rtwatch_dump_run(f->w, 1000), 1);
	put_done(f, seq);
	send_to(f, f->dump);
	assert_int_equal(rtwatch_dump_run(f->w, 1000), 0);
	assert_int_equal(f->dones, 1);
}

static void test_dump_skips_malformed_and_foreign_messages(void **state)
{
	struct fix *f = *state;
	struct rtwatch_stats st;
	struct nlmsghdr *nlh;
	uint32_t seq;

	assert_int_equal(rtwatch_dump_request(f->w), 0);
	seq = read_request(f);
	put_routes(f, seq, 0, 2);
	nlh = put_route(f, RTM_NEWROUTE, seq, AF_INET, "10.0.0.0", 8, 4);
	((struct rtmsg *)mnl_nlmsg_get_payload(nlh))->rtm_dst_len = 40;
	put_routes(f, seq + 7, 10, 1);		/* another request's */
	put_routes(f, seq, 2, 2);
	put_done(f, seq);
	send_to(f, f->dump);
	assert_int_equal(rtwatch_dump_run(f->w, 1000), 0);
	assert_int_equal(f->n_seen, 4);
	rtwatch_get_stats(f->w, &st);
	assert_int_equal(st.bad, 1);
	assert_int_equal(st.routes, 4);
	assert_int_equal(f->dones, 1);
	assert_int_equal(f->done_err, 0);
}

static void test_dump_error_ends_the_pass(void **state)
{
	struct fix *f = *state;
	struct nlmsghdr *nlh;
	struct nlmsgerr *e;
	uint32_t seq;

	assert_int_equal(rtwatch_dump_request(f->w), 0);
	seq = read_request(f);
	nlh = mnl_nlmsg_put_header(f->buf);
	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_seq = seq;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = -EPERM;
	f->len = nlh->nlmsg_len;
	send_to(f, f->dump);
	assert_int_equal(rtwatch_dump_run(f->w, 1000), -EPERM);
	assert_int_equal(f->dones, 1);
	assert_int_equal(f->done_err, -EPERM);
	assert_false(rtwatch_dumping(f->w));
}

/* Only a pass that began after the request is complete. */
static void test_request_during_a_pass_starts_another(void **state)
{
	struct fix *f = *state;
	uint32_t seq, seq2;

	assert_int_equal(rtwatch_dump_request(f->w), 0);
	seq = read_request(f);
	put_routes(f, seq, 0, 5);
	send_to(f, f->dump);
	assert_int_equal(rtwatch_dump_run(f->w, 1000), 1);
	assert_int_equal(rtwatch_dump_request(f->w), 0);
	assert_false(request_pending(f));	/* not while one runs */
	assert_int_equal(f->begins, 1);
	put_done(f, seq);
	send_to(f, f->dump);
	assert_int_equal(rtwatch_dump_run(f->w, 1000), 1);
	assert_int_equal(f->dones, 0);		/* no sweep after the first */
	assert_int_equal(f->begins, 2);
	seq2 = read_request(f);
	assert_int_not_equal(seq2, seq);
	put_routes(f, seq2, 0, 3);
	put_done(f, seq2);
	send_to(f, f->dump);
	assert_int_equal(rtwatch_dump_run(f->w, 1000), 0);
	assert_int_equal(f->dones, 1);
	assert_int_equal(f->n_seen, 8);
}

/* ---- events ---- */

static void test_events_are_reported_in_slices(void **state)
{
	struct fix *f = *state;

	for (unsigned d = 0; d < 3; d++) {
		put_routes(f, 0, d * 100, 100);
		send_to(f, f->ev);
	}
	put_route(f, RTM_DELROUTE, 0, AF_INET6, "2001:db8::", 64, 4);
	send_to(f, f->ev);
	assert_int_equal(rtwatch_events_run(f->w, 150), 1);
	assert_int_equal(f->n_seen, 200);
	assert_int_equal(rtwatch_events_run(f->w, 150), 0);
	assert_int_equal(f->n_seen, 301);
	assert_false(f->seen[300].add);
	assert_true(f->seen[299].add);
	assert_false(rtwatch_dumping(f->w));
}

static void test_lost_events_start_a_new_pass(void **state)
{
	struct fix *f = *state;
	struct rtwatch_stats st;
	uint32_t seq;

	enobufs_fd = f->w_ev;
	assert_int_equal(rtwatch_events_run(f->w, 100), -ENOBUFS);
	rtwatch_get_stats(f->w, &st);
	assert_int_equal(st.lost, 1);
	assert_true(rtwatch_dumping(f->w));
	assert_int_equal(f->begins, 1);
	seq = read_request(f);
	put_routes(f, seq, 0, 4);
	put_done(f, seq);
	send_to(f, f->dump);
	assert_int_equal(rtwatch_dump_run(f->w, 100), 0);
	assert_int_equal(f->dones, 1);
	/* Lost again during a pass: one more pass, after it. */
	enobufs_fd = f->w_ev;
	assert_int_equal(rtwatch_dump_request(f->w), 0);
	seq = read_request(f);
	assert_int_equal(rtwatch_events_run(f->w, 100), -ENOBUFS);
	assert_false(request_pending(f));
	put_done(f, seq);
	send_to(f, f->dump);
	assert_int_equal(rtwatch_dump_run(f->w, 100), 1);
	assert_int_equal(f->begins, 3);
	assert_int_equal(f->dones, 1);
	assert_true(request_pending(f));
}

/*
 * The kernel fills the next dump datagram ahead: one read after an event
 * may still hold a route that event deleted. The event has the last word.
 */
static void test_a_dump_older_than_an_event_does_not_undo_it(void **state)
{
	struct fix *f = *state;
	struct rtwatch_stats st;
	uint32_t seq;

	assert_int_equal(rtwatch_dump_request(f->w), 0);
	seq = read_request(f);
	/* Routes 0..9 in the datagram the kernel made first... */
	put_routes(f, seq, 0, 10);
	put_done(f, seq);
	send_to(f, f->dump);
	/* ...then route 3 is deleted and route 20 added; the events are
	 * read before that datagram. */
	put_route(f, RTM_DELROUTE, 0, AF_INET6, "2001:db8:0:3::", 64,
		  RTPROT_STATIC);
	put_routes(f, 0, 20, 1);
	send_to(f, f->ev);
	assert_int_equal(rtwatch_events_run(f->w, 100), 0);
	assert_int_equal(f->n_seen, 2);
	assert_int_equal(rtwatch_dump_run(f->w, 100), 0);
	assert_int_equal(f->dones, 1);
	/* Nine of the dump's ten: route 3 was not brought back. */
	assert_int_equal(f->n_seen, 11);
	for (size_t i = 2; i < f->n_seen; i++) {
		assert_true(f->seen[i].add);
		assert_false(f->seen[i].r.dst[7] == 3 && f->seen[i].r.dst[6] == 0);
	}
	rtwatch_get_stats(f->w, &st);
	assert_int_equal(st.overtaken, 1);
	/* The next pass starts afresh: its dump is heard for every route. */
	assert_int_equal(rtwatch_dump_request(f->w), 0);
	seq = read_request(f);
	put_routes(f, seq, 3, 1);
	put_done(f, seq);
	send_to(f, f->dump);
	assert_int_equal(rtwatch_dump_run(f->w, 100), 0);
	assert_int_equal(f->n_seen, 12);
	assert_int_equal(f->seen[11].r.dst[7], 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_parse_reads_the_route),
		T(test_parse_refuses_malformed_messages),
		T(test_dump_is_read_in_slices),
		T(test_dump_waits_for_more_without_blocking),
		T(test_dump_skips_malformed_and_foreign_messages),
		T(test_dump_error_ends_the_pass),
		T(test_request_during_a_pass_starts_another),
		T(test_events_are_reported_in_slices),
		T(test_lost_events_start_a_new_pass),
		T(test_a_dump_older_than_an_event_does_not_undo_it),
#undef T
	};

	return cmocka_run_group_tests_name("wgglue_rtwatch", tests, NULL, NULL);
}
