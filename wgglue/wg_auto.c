/* SPDX-License-Identifier: MIT */
/*
 * wgglue/wg_auto.c — picks the backend per interface: the UAPI socket when
 * SOCKDIR/IFNAME.sock exists (a userspace implementation serves the
 * interface), the kernel otherwise. Both are created up front; the kernel
 * socket is the long-lived one.
 */
#include "wgglue/wg.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct wg_auto {
	struct wg_backend be;
	struct wg_backend *kernel;
	struct wg_backend *uapi;
	char sockdir[PATH_MAX / 2];
};

static struct wg_auto *wa_of(struct wg_backend *be)
{
	return (struct wg_auto *)be;
}

static struct wg_backend *wa_pick(struct wg_backend *be, const char *ifname)
{
	struct wg_auto *wa = wa_of(be);
	char path[PATH_MAX];
	struct stat st;

	if (strlen(ifname) < WG_IFNAME_LEN && !strchr(ifname, '/') &&
	    snprintf(path, sizeof(path), "%s/%s.sock", wa->sockdir, ifname) > 0 &&
	    stat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		return wa->uapi;
	return wa->kernel;
}

static int wa_get_device(struct wg_backend *be, const char *ifname,
			 struct wg_device *out)
{
	return wg_backend_get_device(wa_pick(be, ifname), ifname, out);
}

static int wa_apply(struct wg_backend *be, const char *ifname,
		    const struct wg_aip_change *ch, size_t n)
{
	return wg_backend_apply(wa_pick(be, ifname), ifname, ch, n);
}

static int wa_probe(struct wg_backend *be, const char *ifname, unsigned *caps)
{
	return wg_backend_probe(wa_pick(be, ifname), ifname, caps);
}

static int wa_set_fwmark(struct wg_backend *be, const char *ifname,
			 uint32_t mark)
{
	return wg_backend_set_fwmark(wa_pick(be, ifname), ifname, mark);
}

static int wa_fd(struct wg_backend *be)
{
	return wg_backend_fd(wa_of(be)->kernel);
}

static void wa_destroy(struct wg_backend *be)
{
	struct wg_auto *wa = wa_of(be);

	wg_backend_free(wa->kernel);
	wg_backend_free(wa->uapi);
	free(wa);
}

static const struct wg_backend_ops wa_ops = {
	.name = "auto",
	.get_device = wa_get_device,
	.apply = wa_apply,
	.probe = wa_probe,
	.set_fwmark = wa_set_fwmark,
	.fd = wa_fd,
	.destroy = wa_destroy,
};

int wg_backend_auto_new(struct wg_backend **out, const char *sockdir)
{
	struct wg_auto *wa;
	int ret;

	if (!sockdir)
		sockdir = "/var/run/wireguard";
	if (strlen(sockdir) >= sizeof(wa->sockdir))
		return -ENAMETOOLONG;
	wa = calloc(1, sizeof(*wa));
	if (!wa)
		return -ENOMEM;
	wa->be.ops = &wa_ops;
	memcpy(wa->sockdir, sockdir, strlen(sockdir) + 1);
	ret = wg_backend_kernel_new(&wa->kernel);
	if (ret == 0)
		ret = wg_backend_uapi_new(&wa->uapi, sockdir);
	if (ret < 0) {
		wa_destroy(&wa->be);
		return ret;
	}
	*out = &wa->be;
	return 0;
}
