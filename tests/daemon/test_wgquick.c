/* SPDX-License-Identifier: MIT */
/*
 * tests/daemon/test_wgquick.c — the one thing wgbabeld reads of wg-quick's
 * file: SaveConfig (daemon/wgquick.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "daemon/wgquick.h"

static bool saves(const char *text)
{
	char path[] = "/tmp/wgb-wgquick-XXXXXX";
	int fd = mkstemp(path);
	FILE *f;
	bool r;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	r = wgquick_saves_config(path);
	unlink(path);
	return r;
}

static void test_saveconfig_true_in_the_interface_section_is_found(void **state)
{
	assert_true(saves("[Interface]\nPrivateKey = x\nSaveConfig = true\n"));
	assert_true(saves("[Interface]\n  saveconfig=TRUE   # keeps peers\n"));
	assert_true(saves("[interface]\nSaveConfig = yes\n[Peer]\nPublicKey = y\n"));
}

static void test_anything_else_is_not_saving(void **state)
{
	assert_false(saves("[Interface]\nSaveConfig = false\n"));
	assert_false(saves("[Interface]\nTable = off\n"));
	assert_false(saves("[Interface]\n# SaveConfig = true\n"));
	assert_false(saves("[Peer]\nSaveConfig = true\n"));
	assert_false(saves(""));
	assert_false(wgquick_saves_config("/nonexistent/wg0.conf"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_saveconfig_true_in_the_interface_section_is_found),
		cmocka_unit_test(test_anything_else_is_not_saving),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
