/* SPDX-License-Identifier: MIT */
/*
 * Binding checks against what a real hostd published: a stub built from
 * another revision of calc.idl (other signature hash, other version, other
 * method count) gets -VMRPC_ESIGNATURE, an interface nobody serves gets
 * -VMRPC_ENOIFACE, each with a message that says what to do; the right stub
 * still binds and calls on the same channel.
 */
#include <errno.h>
#include <string.h>

#include "calc_caller.h"
#include "harness.h"
#include "hostcalls_caller.h"

static void test_bind_mismatch(void **state)
{
	struct itest_hostd h;
	struct vmrpc_guest g;
	struct vmrpc_binding b;
	struct vmrpc_iface other;

	(void)state;
	itest_hostd_start(&h, "--service", ITEST_CALC_SERVICE, (char *)NULL);
	itest_assert_err(vmrpc_guest_attach(NULL, &g), 0);

	other = calc_iface;
	other.sig_hash ^= 1;
	itest_assert_err(vmrpc_bind(g.chan, &other, &b), -VMRPC_ESIGNATURE);
	other = calc_iface;
	other.version++;
	itest_assert_err(vmrpc_bind(g.chan, &other, &b), -VMRPC_ESIGNATURE);
	other = calc_iface;
	other.n_methods++;
	itest_assert_err(vmrpc_bind(g.chan, &other, &b), -VMRPC_ESIGNATURE);

	other = calc_iface;
	other.name = "calcx";
	itest_assert_err(vmrpc_bind(g.chan, &other, &b), -VMRPC_ENOIFACE);
	other.name = "cal";
	itest_assert_err(vmrpc_bind(g.chan, &other, &b), -VMRPC_ENOIFACE);
	other.name = "a-name-longer-than-any-registry-slot-can-hold";
	itest_assert_err(vmrpc_bind(g.chan, &other, &b), -VMRPC_ENOIFACE);

	assert_string_equal(vmrpc_strerror(-VMRPC_ESIGNATURE),
			    "interface version or signature differs from the served one; "
			    "regenerate the stubs from the same .idl");
	assert_string_equal(vmrpc_strerror(-VMRPC_ENOIFACE), "interface not served in this region");

	/* the real ones bind and work on the same channel */
	itest_assert_err(calc_bind(g.chan, &b), 0);
	itest_assert_err(calc_add(&b, 2, 3), 5);
	itest_assert_err(hostcalls_bind(g.chan, &b), 0);
	itest_assert_err(hostcalls_identity(&b, NULL, NULL, NULL), 0);
	vmrpc_guest_detach(&g);
	itest_hostd_stop(&h);
}

static void test_module_not_loaded(void **state)
{
	struct itest_hostd h;
	struct vmrpc_guest g;
	struct vmrpc_binding b;

	(void)state;
	itest_hostd_start(&h, (char *)NULL); /* host calls only */
	itest_assert_err(vmrpc_guest_attach(NULL, &g), 0);
	itest_assert_err(calc_bind(g.chan, &b), -VMRPC_ENOIFACE);
	itest_assert_err(hostcalls_bind(g.chan, &b), 0);
	itest_assert_err(hostcalls_identity(&b, NULL, NULL, NULL), 0);
	vmrpc_guest_detach(&g);
	itest_hostd_stop(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bind_mismatch, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_module_not_loaded, itest_setup, itest_teardown),
	};

	return cmocka_run_group_tests_name("integ_signature", tests, NULL, NULL);
}
