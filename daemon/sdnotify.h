/* SPDX-License-Identifier: MIT */
/*
 * daemon/sdnotify.h — the service manager's readiness protocol, written out
 * by hand instead of linking libsystemd: one datagram of "KEY=VALUE\n" lines
 * to the AF_UNIX socket named by $NOTIFY_SOCKET, as sd_notify(3) "NOTES"
 * documents the protocol. Without $NOTIFY_SOCKET every call does nothing.
 */
#ifndef WGB_DAEMON_SDNOTIFY_H
#define WGB_DAEMON_SDNOTIFY_H

/*
 * Sends @state (e.g. "READY=1\nSTATUS=running") to $NOTIFY_SOCKET.
 * Returns 1 when sent, 0 when there is no socket to notify, or a negative
 * errno. The variable is left set: unlike libsystemd's sd_notify(1, ...),
 * a reload or a shutdown still needs it.
 */
int sdnotify_send(const char *state);

/* "RELOADING=1" with MONOTONIC_USEC=<CLOCK_MONOTONIC in µs>, which
 * Type=notify-reload (systemd >= 253) asks for to tell this reload from an
 * earlier one; older managers ignore the field. */
int sdnotify_reloading(void);

#endif
