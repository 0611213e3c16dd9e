/* SPDX-License-Identifier: MIT */
/*
 * daemon/wgquick.h — what wgbabeld reads of wg-quick's configuration: only
 * whether it saves the device's state back into the file.
 */
#ifndef WGB_DAEMON_WGQUICK_H
#define WGB_DAEMON_WGQUICK_H

#include <stdbool.h>

#define WGQUICK_CONF_DIR "/etc/wireguard"

/*
 * Whether the wg-quick file PATH says "SaveConfig = true" in its
 * [Interface] section (key case-insensitive, as wg-quick's booleans:
 * true/yes/on/1). wg-quick down then writes every allowed IP of the
 * device into the file — the learned ones too — and the next wg-quick up
 * makes them static allowed IPs, which wgbabeld then refuses to move.
 * A missing or unreadable file is false.
 */
bool wgquick_saves_config(const char *path);

#endif
