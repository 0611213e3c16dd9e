/* SPDX-License-Identifier: MIT */
/*
 * tests/sim/sim.h — a deterministic many-router Babel simulator: N engines
 * in one process, joined by simulated links (multicast segments or
 * WireGuard-like unicast-only peerings) with delay, jitter, loss and
 * up/down; simulated time advances through a priority queue of events.
 * After every delivered packet or fired timer the forwarding graph of every
 * tracked prefix is checked for loops, following the next hops (as reported
 * through fib_change) from every router.
 */
#ifndef WGB_TESTS_SIM_H
#define WGB_TESTS_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/babel.h"

#define SIM_MAX_ROUTERS 64
#define SIM_MAX_PREFIXES 32
#define SIM_MS 1000ULL
#define SIM_S 1000000ULL

struct sim;

struct sim_link_props {
	uint64_t delay_us;
	uint64_t jitter_us;
	double loss;		/* 0..1 */
};

struct sim *sim_new(unsigned nrouters, uint64_t seed);
void sim_free(struct sim *s);
/* Defaults applied to routers created after the call. */
void sim_set_intervals(struct sim *s, uint32_t hello_ms, uint32_t update_ms);

/* A WireGuard-like link: both routers get (or reuse) their unicast-only
 * interface 1 and register each other as peers. Returns a link id. */
int sim_link_wg(struct sim *s, unsigned a, unsigned b, struct sim_link_props p);
/* A multicast segment (wired LAN) joining routers[0..n): each gets a new
 * interface on it. Returns a link id. */
int sim_link_lan(struct sim *s, const unsigned *routers, unsigned n,
		 struct sim_link_props p);
void sim_link_set_up(struct sim *s, int link, bool up);
void sim_link_set_loss(struct sim *s, int link, double loss);

/* Track a prefix for loop and convergence checks (index returned). */
int sim_track(struct sim *s, const struct babel_prefix *p);
void sim_originate(struct sim *s, unsigned r, const struct babel_prefix *p,
		   uint16_t metric);
void sim_withdraw(struct sim *s, unsigned r, const struct babel_prefix *p);

/* Crash a router (no goodbye), and boot it again from its saved state. */
void sim_crash(struct sim *s, unsigned r);
void sim_boot(struct sim *s, unsigned r);
/* A clean stop (babel_shutdown then free). */
void sim_stop(struct sim *s, unsigned r);

/* Run until time t (absolute). Fails the test on a forwarding loop. */
void sim_run_until(struct sim *s, uint64_t t);
uint64_t sim_now(const struct sim *s);

/*
 * Every up router that can reach an origin of a tracked prefix in the live
 * topology has a route whose metric is the minimum (link cost cost_per_hop)
 * and whose next hops lead to an origin. Returns true when converged.
 */
bool sim_converged(struct sim *s, uint16_t cost_per_hop, char *why, size_t whylen);
/* Run until converged or deadline; returns the time it took (UINT64_MAX on
 * failure, with the reason printed). Checked every 10 ms of simulated time. */
uint64_t sim_run_until_converged(struct sim *s, uint16_t cost_per_hop,
				 uint64_t bound_us);
/* The origin router a router's packets for tracked prefix k reach, -1 none. */
int sim_reaches(struct sim *s, unsigned r, int k);
/* The router r forwards tracked prefix k to, -1 none. */
int sim_next_hop(struct sim *s, unsigned r, int k);
struct babel *sim_router(struct sim *s, unsigned r);
/* The router whose next hops for some tracked prefix loop (*prefix set),
 * or -1. Run after every step; exposed to test the checker itself. */
int sim_find_loop(struct sim *s, int *prefix);
/* Overwrite a router's recorded next hop (checker self-test only). */
void sim_force_next_hop(struct sim *s, unsigned r, int k, unsigned to);
/* Totals over the run. */
uint64_t sim_packets_delivered(const struct sim *s);
uint64_t sim_steps(const struct sim *s);
uint64_t sim_loop_checks(const struct sim *s);
/*
 * RFC 8966's feasibility condition is per source (prefix, router-id): with
 * several origins of one prefix (anycast) two routers can switch between
 * sources at once on stale information and form a loop until the next
 * update arrives. Such a scenario can allow loops that last at most max_us
 * (still checked at every step); by default any loop fails the test.
 */
void sim_tolerate_transient_loops(struct sim *s, uint64_t max_us);
unsigned sim_loops_seen(const struct sim *s, uint64_t *longest_us);
struct babel_prefix sim_prefix(const char *str);

#endif
