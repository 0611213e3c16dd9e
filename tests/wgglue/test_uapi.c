/* SPDX-License-Identifier: MIT */
/*
 * tests/wgglue/test_uapi.c — the UAPI backend (wgglue/wg_uapi.c) against a
 * fake userspace WireGuard: a unix socket in a temporary directory served
 * by a thread that answers, answers half, answers garbage, or never
 * answers. The deadline is what is tested, so the clock is real: a test
 * waits for the backend's own deadline (set short), never sleeps itself.
 *
 * Only the tests of the deadline set it short (short_deadline()): every
 * other test runs under LONG_MS, since there the fake answers and how soon
 * it gets a CPU is the machine's business. With SHORT_MS for all, a loaded
 * machine (or ASan) that kept the fake's thread off the CPU for 200 ms
 * made test_get_reads_a_whole_reply fail with -ETIMEDOUT.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "wgglue/wg.h"

#define IFNAME "wgt0"
#define SHORT_MS 200		/* the deadline the deadline tests use */
#define SLACK_MS 3000		/* a loaded machine, sanitizers */
#define SAFETY_MS 20000		/* the fake gives up on a stuck test */
#define LONG_MS 60000		/* the other tests: past SAFETY_MS, so a
				 * stuck test ends by the fake hanging up */

enum fake_mode {
	FAKE_REPLY,		/* read the request, send reply, close */
	FAKE_REPLY_HOLD,	/* read, send reply (maybe partial), stay */
	FAKE_NO_READ,		/* accept and never read */
};

struct fake {
	char dir[64];
	char path[96];
	int lfd;
	int stop[2];		/* closing stop[1] ends a holding fake */
	pthread_t th;
	bool running;
	enum fake_mode mode;
	const char *reply;
	size_t reply_len;
	char req[8192];		/* the start of the request */
	size_t req_len;
	struct wg_backend *be;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Waits for fd or the stop pipe: true when fd is readable, also once the
 * test said stop. So what the client sent is read whatever the order in
 * which the two threads ran: a client that timed out and hung up before
 * this thread got a CPU still left its request in the socket, and the
 * test asserts on it (a stop that won over readable data lost it).
 */
static bool fake_wait(struct fake *f, int fd)
{
	struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
			       { .fd = f->stop[0], .events = POLLIN } };

	return poll(p, 2, SAFETY_MS) > 0 && p[0].revents;
}

static void fake_read_request(struct fake *f, int fd)
{
	char buf[4096];

	for (;;) {
		ssize_t n;

		if (!fake_wait(f, fd))
			return;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			return;
		if (f->req_len < sizeof(f->req) - 1) {
			size_t k = (size_t)n;

			if (k > sizeof(f->req) - 1 - f->req_len)
				k = sizeof(f->req) - 1 - f->req_len;
			memcpy(f->req + f->req_len, buf, k);
			f->req_len += k;
			f->req[f->req_len] = 0;
		}
		if (strstr(f->req, "\n\n"))
			return;
	}
}

static bool fake_send(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;
	char buf[4096];
	int fd;

	if (!fake_wait(f, f->lfd))
		return NULL;
	fd = accept(f->lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	if (f->mode == FAKE_NO_READ) {
		fake_wait(f, -1);	/* until the test ends */
		close(fd);
		return NULL;
	}
	fake_read_request(f, fd);
	if (!fake_send(fd, f->reply, f->reply_len)) {
		close(fd);
		return NULL;
	}
	/* Holding: stay until the client hangs up or the test ends. */
	if (f->mode == FAKE_REPLY_HOLD)
		while (fake_wait(f, fd) && read(fd, buf, sizeof(buf)) > 0)
			;
	close(fd);
	return NULL;
}

static void fake_start(struct fake *f, enum fake_mode mode, const char *reply,
		       size_t len)
{
	f->mode = mode;
	f->reply = reply;
	f->reply_len = len;
	assert_int_equal(pthread_create(&f->th, NULL, fake_main, f), 0);
	f->running = true;
}

static void fake_start_str(struct fake *f, enum fake_mode mode,
			   const char *reply)
{
	fake_start(f, mode, reply, reply ? strlen(reply) : 0);
}

static int setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/wgb-uapi-test.XXXXXX");
	if (!mkdtemp(f->dir) || pipe(f->stop) < 0)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/%s.sock", f->dir, IFNAME);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", f->path);
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (f->lfd < 0 || bind(f->lfd, (struct sockaddr *)&sun,
			       sizeof(sun)) < 0 || listen(f->lfd, 8) < 0)
		return -1;
	if (wg_backend_uapi_new(&f->be, f->dir) < 0)
		return -1;
	wg_backend_uapi_set_timeout(f->be, LONG_MS);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fake *f = *state;

	close(f->stop[1]);
	if (f->running)
		pthread_join(f->th, NULL);
	close(f->stop[0]);
	close(f->lfd);
	unlink(f->path);
	rmdir(f->dir);
	wg_backend_free(f->be);
	free(f);
	return 0;
}

/* Ends the fake's connection and waits for its thread. */
static void fake_join(struct fake *f)
{
	close(f->stop[1]);
	pthread_join(f->th, NULL);
	f->running = false;
	assert_int_equal(pipe(f->stop), 0);
}

/* For the tests of the deadline itself. */
static void short_deadline(struct fake *f)
{
	wg_backend_uapi_set_timeout(f->be, SHORT_MS);
}

static int get(struct fake *f, struct wg_device *dev, uint64_t *ms)
{
	uint64_t t0 = now_ms();
	int r = wg_backend_get_device(f->be, IFNAME, dev);

	if (ms)
		*ms = now_ms() - t0;
	return r;
}

static const char good_get[] =
	"private_key=0000000000000000000000000000000000000000000000000000000000000001\n"
	"listen_port=51820\n"
	"fwmark=7\n"
	"public_key=0101010101010101010101010101010101010101010101010101010101010101\n"
	"endpoint=[2001:db8::1]:51821\n"
	"last_handshake_time_sec=1700000000\n"
	"rx_bytes=10\n"
	"tx_bytes=20\n"
	"persistent_keepalive_interval=25\n"
	"allowed_ip=10.1.0.0/16\n"
	"allowed_ip=2001:db8:1::/48\n"
	"public_key=0202020202020202020202020202020202020202020202020202020202020202\n"
	"endpoint=192.0.2.1:51820\n"
	"protocol_version=1\n"
	"errno=0\n\n";

static void test_get_reads_a_whole_reply(void **state)
{
	struct fake *f = *state;
	struct wg_device dev;
	char pb[WG_PREFIX_STRLEN];

	fake_start_str(f, FAKE_REPLY, good_get);
	assert_int_equal(get(f, &dev, NULL), 0);
	fake_join(f);
	assert_string_equal(f->req, "get=1\n\n");
	assert_int_equal(dev.listen_port, 51820);
	assert_int_equal(dev.fwmark, 7);
	assert_int_equal(dev.n_peers, 2);
	assert_int_equal(dev.peers[0].pubkey.b[0], 1);
	assert_int_equal(dev.peers[0].n_allowed_ips, 2);
	assert_string_equal(wg_prefix_str(&dev.peers[0].allowed_ips[1], pb),
			    "2001:db8:1::/48");
	assert_int_equal(dev.peers[0].endpoint.sa.sa_family, AF_INET6);
	assert_int_equal(dev.peers[0].keepalive_interval, 25);
	assert_int_equal(dev.peers[0].rx_bytes, 10);
	assert_int_equal(dev.peers[1].endpoint.sa.sa_family, AF_INET);
	wg_device_clear(&dev);
}

static void test_get_times_out_when_the_process_never_answers(void **state)
{
	struct fake *f = *state;
	struct wg_device dev;
	uint64_t ms;

	short_deadline(f);
	fake_start(f, FAKE_REPLY_HOLD, NULL, 0);
	assert_int_equal(get(f, &dev, &ms), -ETIMEDOUT);
	assert_true(ms >= SHORT_MS - 5);
	assert_true(ms < SHORT_MS + SLACK_MS);
	assert_int_equal(dev.n_peers, 0);
	assert_null(dev.peers);
	fake_join(f);
	assert_string_equal(f->req, "get=1\n\n");
}

static void test_get_times_out_on_half_a_reply(void **state)
{
	struct fake *f = *state;
	struct wg_device dev;
	uint64_t ms;

	short_deadline(f);
	/* Cut in the middle of a line, and after a whole one. */
	fake_start_str(f, FAKE_REPLY_HOLD, "listen_port=51820\npublic_key=01");
	assert_int_equal(get(f, &dev, &ms), -ETIMEDOUT);
	assert_true(ms >= SHORT_MS - 5 && ms < SHORT_MS + SLACK_MS);
	fake_join(f);
	fake_start_str(f, FAKE_REPLY_HOLD, "listen_port=51820\n");
	assert_int_equal(get(f, &dev, &ms), -ETIMEDOUT);
	assert_true(ms >= SHORT_MS - 5 && ms < SHORT_MS + SLACK_MS);
	fake_join(f);
}

/* The constant of wg.h, not only the one the tests set. */
static void test_default_deadline_is_wg_uapi_timeout_ms(void **state)
{
	struct fake *f = *state;
	struct wg_device dev;
	uint64_t ms;

	wg_backend_uapi_set_timeout(f->be, WG_UAPI_TIMEOUT_MS);
	fake_start(f, FAKE_REPLY_HOLD, NULL, 0);
	assert_int_equal(get(f, &dev, &ms), -ETIMEDOUT);
	assert_true(ms >= WG_UAPI_TIMEOUT_MS - 5);
	assert_true(ms < WG_UAPI_TIMEOUT_MS + SLACK_MS);
	fake_join(f);
}

static void test_after_a_timeout_the_next_request_works(void **state)
{
	struct fake *f = *state;
	struct wg_device dev;

	short_deadline(f);
	fake_start(f, FAKE_REPLY_HOLD, NULL, 0);
	assert_int_equal(get(f, &dev, NULL), -ETIMEDOUT);
	fake_join(f);
	wg_backend_uapi_set_timeout(f->be, LONG_MS);
	fake_start_str(f, FAKE_REPLY, good_get);
	assert_int_equal(get(f, &dev, NULL), 0);
	assert_int_equal(dev.n_peers, 2);
	wg_device_clear(&dev);
	fake_join(f);
}

static struct wg_aip_change *changes(size_t n)
{
	struct wg_aip_change *ch = calloc(n, sizeof(*ch));

	assert_non_null(ch);
	for (size_t i = 0; i < n; i++) {
		uint8_t a[4] = { 10, (uint8_t)(i >> 16), (uint8_t)(i >> 8),
				 (uint8_t)i };

		memset(ch[i].peer.b, 3, WG_KEY_LEN);
		wg_prefix_make(&ch[i].prefix, AF_INET, a, 32);
		ch[i].op = WG_AIP_ADD;
	}
	return ch;
}

/* 100,000 lines are some 3 MB, far more than a socket buffer: the write
 * itself has to give up. */
static void test_apply_times_out_when_the_process_never_reads(void **state)
{
	struct fake *f = *state;
	struct wg_aip_change *ch = changes(100000);
	uint64_t t0, ms;

	short_deadline(f);
	fake_start(f, FAKE_NO_READ, NULL, 0);
	t0 = now_ms();
	assert_int_equal(wg_backend_apply(f->be, IFNAME, ch, 100000),
			 -ETIMEDOUT);
	ms = now_ms() - t0;
	assert_true(ms >= SHORT_MS - 5 && ms < SHORT_MS + SLACK_MS);
	fake_join(f);
	free(ch);
}

static void test_apply_sends_update_only_lines(void **state)
{
	struct fake *f = *state;
	struct wg_aip_change *ch = changes(2);

	fake_start_str(f, FAKE_REPLY, "errno=0\n\n");
	assert_int_equal(wg_backend_apply(f->be, IFNAME, ch, 2), 0);
	fake_join(f);
	assert_string_equal(f->req,
		"set=1\n"
		"public_key=0303030303030303030303030303030303030303030303030303030303030303\n"
		"update_only=true\n"
		"allowed_ip=10.0.0.0/32\n"
		"allowed_ip=10.0.0.1/32\n"
		"\n");
	free(ch);
}

/* wireguard-go writes "errno=-22", the protocol text "errno=22". */
static void test_errno_reply_is_returned_whatever_its_sign(void **state)
{
	struct fake *f = *state;
	struct wg_aip_change *ch = changes(1);

	fake_start_str(f, FAKE_REPLY, "errno=-22\n\n");
	assert_int_equal(wg_backend_apply(f->be, IFNAME, ch, 1), -EINVAL);
	fake_join(f);
	fake_start_str(f, FAKE_REPLY, "errno=22\n\n");
	assert_int_equal(wg_backend_apply(f->be, IFNAME, ch, 1), -EINVAL);
	fake_join(f);
	free(ch);
}

static void test_garbage_reply_is_a_bad_message(void **state)
{
	static const struct { const char *s; size_t len; } bad[] = {
#define B(x) { x, sizeof(x) - 1 }
		B("hello world\n\n"),		/* no key=value */
		B("=5\nerrno=0\n\n"),		/* empty key */
		B("listen_port=1\n\n"),		/* no errno= */
		B("errno=zero\n\n"),
		B("errno=+0\n\n"),
		B("errno=99999\n\n"),
		B("errno=\n\n"),
		B("listen_port=1\0x\nerrno=0\n\n"),	/* a NUL */
		B("listen_port=70000\nerrno=0\n\n"),
		B("public_key=nothex\nerrno=0\n\n"),
		B("public_key=0101010101010101010101010101010101010101010101010101010101010101\n"
		  "allowed_ip=10.0.0.0\nerrno=0\n\n"),
		B("listen_port=1\n"),		/* closed before the end */
		B(""),				/* closed at once */
#undef B
	};
	struct fake *f = *state;
	struct wg_device dev;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fake_start(f, FAKE_REPLY, bad[i].s, bad[i].len);
		assert_int_equal(get(f, &dev, NULL), -EBADMSG);
		assert_null(dev.peers);
		fake_join(f);
	}
}

static void test_oversized_line_is_refused(void **state)
{
	struct fake *f = *state;
	struct wg_device dev;
	size_t n = 100000;
	char *big = malloc(n + 16);

	assert_non_null(big);
	/* No newline at all, and the peer keeps the connection open. */
	memcpy(big, "listen_port=", 12);
	memset(big + 12, '1', n - 12);
	fake_start(f, FAKE_REPLY_HOLD, big, n);
	assert_int_equal(get(f, &dev, NULL), -EMSGSIZE);
	fake_join(f);
	/* One line just past the limit, newline included. */
	memset(big + 12, '1', WG_UAPI_LINE_MAX);
	memcpy(big + 12 + WG_UAPI_LINE_MAX, "\nerrno=0\n\n", 10);
	fake_start(f, FAKE_REPLY, big, 12 + WG_UAPI_LINE_MAX + 10);
	assert_int_equal(get(f, &dev, NULL), -EMSGSIZE);
	fake_join(f);
	free(big);
}

static void test_missing_socket_is_no_device(void **state)
{
	struct fake *f = *state;
	struct wg_device dev;

	assert_int_equal(wg_backend_get_device(f->be, "wgnone", &dev),
			 -ENODEV);
	assert_int_equal(wg_backend_get_device(f->be, "../x", &dev), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_get_reads_a_whole_reply),
		T(test_get_times_out_when_the_process_never_answers),
		T(test_get_times_out_on_half_a_reply),
		T(test_default_deadline_is_wg_uapi_timeout_ms),
		T(test_after_a_timeout_the_next_request_works),
		T(test_apply_times_out_when_the_process_never_reads),
		T(test_apply_sends_update_only_lines),
		T(test_errno_reply_is_returned_whatever_its_sign),
		T(test_garbage_reply_is_a_bad_message),
		T(test_oversized_line_is_refused),
		T(test_missing_socket_is_no_device),
#undef T
	};

	return cmocka_run_group_tests_name("wgglue_uapi", tests, NULL, NULL);
}
