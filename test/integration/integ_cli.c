/* SPDX-License-Identifier: MIT */
/*
 * The command lines, both ways, on loopback: the real vmrpc-hostd and
 * vmrpc-guestd, both serving clitest.idl (clitest_service.so), and the real
 * vmrpc and vmrpc-guest binaries: list, status, describe and call, in text
 * and JSON (parsed here with jansson), every bad input refused with exit
 * status 2 before anything is sent, and the exit codes of usage errors.
 *
 * "Nothing sent": every clitest method logs "clitest: METHOD" on the
 * serving daemon's stderr (guestd's log; the shadows' go to hostd's). After
 * the bad inputs one good call is made and, once its line is there, the
 * count must have moved by exactly one.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "clitest_caller.h"
#include "harness.h"

static void guestd_start(struct itest_guestd *g)
{
	char conf[PATH_MAX + 64];

	snprintf(conf, sizeof(conf), "exec = *\nservice = %s\n", ITEST_CLITEST_SERVICE);
	itest_guestd_start(g, conf);
}

static void both_start(struct itest_hostd *h, struct itest_guestd *g)
{
	itest_hostd_start(h, "--service", ITEST_CLITEST_SERVICE, NULL);
	guestd_start(g);
}

static void both_stop(struct itest_hostd *h, struct itest_guestd *g)
{
	itest_guestd_stop(g);
	itest_hostd_stop(h);
}

/* Run a command line; its exit status (asserted to be an exit), output and
 * errors (malloc'd; NULL: not wanted). */
static int run(const char *const *argv, char **ret_out, char **ret_err)
{
	char *out = NULL, *err = NULL;
	int status = itest_run(argv, &out, &err);

	if (!WIFEXITED(status))
		fail_msg("%s %s: wait status 0x%x\nstderr: %s", argv[0], argv[1], status, err);
	if (ret_out)
		*ret_out = out;
	else
		free(out);
	if (ret_err)
		*ret_err = err;
	else
		free(err);
	return WEXITSTATUS(status);
}

/* Run it, expect exit status 0 and JSON on stdout: the parsed value. */
static json_t *run_json(const char *const *argv)
{
	char *out, *err;
	json_error_t je;
	json_t *j;
	int code = run(argv, &out, &err);

	if (code != 0)
		fail_msg("%s %s %s: exit %d\nstderr: %s", argv[0], argv[1], argv[2], code, err);
	j = json_loads(out, 0, &je);
	if (!j)
		fail_msg("%s %s: not JSON: %s\n%s", argv[0], argv[1], je.text, out);
	free(out);
	free(err);
	return j;
}

static int count_in(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static int guestd_calls(const struct itest_guestd *g)
{
	char *log = itest_read_file(g->log, NULL);
	int n = count_in(log, "clitest: ");

	free(log);
	return n;
}

static json_t *find_path(json_t *arr, const char *path)
{
	size_t i;
	json_t *e;

	json_array_foreach(arr, i, e)
		if (!strcmp(json_string_value(json_object_get(e, "path")), path))
			return e;
	return NULL;
}

/* list, both ways and every VM; in text and JSON. */
static void test_list(void **state)
{
	struct itest_hostd h;
	struct itest_guestd g;
	char *out;
	json_t *j, *e;

	both_start(&h, &g);
	{
		const char *argv[] = { ITEST_VMRPC, "list", ITEST_REGION, NULL };

		assert_int_equal(run(argv, &out, NULL), 0);
		assert_non_null(strstr(out, ITEST_REGION "/host/hostcalls\n"));
		assert_non_null(strstr(out, ITEST_REGION "/host/clitest\n"));
		assert_non_null(strstr(out, ITEST_REGION "/guest/guestexec\n"));
		assert_non_null(strstr(out, ITEST_REGION "/guest/clitest\n"));
		free(out);
	}
	{
		/* no VM: every one a hostd serves in the runtime directory */
		const char *argv[] = { ITEST_VMRPC, "list", "--json", NULL };

		j = run_json(argv);
		assert_true(json_is_array(j));
		e = find_path(j, ITEST_REGION "/guest/clitest");
		assert_non_null(e);
		assert_string_equal(json_string_value(json_object_get(e, "side")), "guest");
		assert_string_equal(json_string_value(json_object_get(e, "vm")), ITEST_REGION);
		assert_int_equal(json_integer_value(json_object_get(e, "n_methods")), 6);
		assert_int_equal(json_integer_value(json_object_get(e, "version")), 1);
		e = find_path(j, ITEST_REGION "/host/clitest");
		assert_non_null(e);
		assert_string_equal(json_string_value(json_object_get(e, "sig_hash")),
				    json_string_value(json_object_get(
					    find_path(j, ITEST_REGION "/guest/clitest"), "sig_hash")));
		json_decref(j);
	}
	{
		/* the guest's view: the same names, without the VM's */
		const char *argv[] = { ITEST_VMRPC_GUEST, "list", NULL };

		assert_int_equal(run(argv, &out, NULL), 0);
		assert_non_null(strstr(out, "host/clitest\nguest/guestexec\n"));
		assert_non_null(strstr(out, "guest/clitest\n"));
		free(out);
	}
	both_stop(&h, &g);
}

/* A host caller holding a channel, having made three calls. */
static int host_caller(int rd, int wr, void *arg)
{
	struct vmrpc_guest guest;
	struct vmrpc_binding b;
	int64_t go;

	ITEST_CHECK_EQ(vmrpc_guest_attach(NULL, &guest), 0);
	ITEST_CHECK_EQ(clitest_bind(guest.chan, &b), 0);
	for (int i = 0; i < 3; i++)
		ITEST_CHECK_EQ(clitest_fail(&b, 0), 0);
	itest_send(wr, vmrpc_chan_index(guest.chan));
	itest_recv(rd, &go, ITEST_CHILD_WATCHDOG_S * 1000);
	vmrpc_guest_detach(&guest);
	return 0;
}

static json_t *chan_of(json_t *status, uint32_t index)
{
	size_t i;
	json_t *c;

	json_array_foreach(json_object_get(status, "channels"), i, c)
		if (json_integer_value(json_object_get(c, "index")) == index)
			return c;
	return NULL;
}

/* status: the region, guestd, and each channel's state, kind, pids and
 * calls; a host call and a guest-sourced one in flight. */
static void test_status(void **state)
{
	struct itest_hostd h;
	struct itest_guestd g;
	struct itest_child c;
	char fifo[PATH_MAX], script[PATH_MAX + 32], *out;
	uint32_t hc;
	json_t *j, *ch;
	pid_t run_pid;
	int status, fd;

	both_start(&h, &g);
	itest_child_start(&c, host_caller, NULL);
	hc = (uint32_t)itest_expect(&c);
	/* a guest-sourced channel: a guest command that waits for us */
	snprintf(fifo, sizeof(fifo), "%s/go", itest_dir());
	assert_int_equal(mkfifo(fifo, 0600), 0);
	snprintf(script, sizeof(script), "echo started; read x < %s", fifo);
	{
		const char *argv[] = { ITEST_VMRPC, "guest-run", "-n", ITEST_REGION, "--", "sh",
				       "-c", script, NULL };
		char run_out[PATH_MAX];

		snprintf(run_out, sizeof(run_out), "%s/run.out", itest_dir());
		run_pid = itest_spawn(argv, run_out, NULL);
		itest_wait_file_has(run_out, "started");
	}
	{
		const char *argv[] = { ITEST_VMRPC, "status", ITEST_REGION, "--json", NULL };

		j = run_json(argv);
	}
	assert_string_equal(json_string_value(json_object_get(j, "vm")), ITEST_REGION);
	assert_string_equal(json_string_value(json_object_get(j, "transport")), "loopback");
	assert_false(json_is_true(json_object_get(j, "vm_guest")));
	assert_int_equal(json_integer_value(json_object_get(j, "hostd_pid")), h.pid);
	assert_true(json_is_true(json_object_get(json_object_get(j, "guestd"), "running")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "guestd"), "pid")),
			 g.pid);
	assert_true(json_integer_value(json_object_get(j, "channels_in_use")) >= 2);
	ch = chan_of(j, hc);
	assert_non_null(ch);
	assert_string_equal(json_string_value(json_object_get(ch, "state")), "attached");
	assert_string_equal(json_string_value(json_object_get(ch, "kind")), "host-call");
	assert_int_equal(json_integer_value(json_object_get(ch, "caller_pid")), c.pid);
	assert_true(json_integer_value(json_object_get(ch, "callee_pid")) > 0);
	assert_int_equal(json_integer_value(json_object_get(ch, "calls")), 3);
	assert_string_equal(json_string_value(json_object_get(ch, "last_interface")), "clitest");
	{
		/* the guest-sourced one: served by guestd for guest-run */
		size_t i;
		json_t *e;
		int found = 0;

		json_array_foreach(json_object_get(j, "channels"), i, e) {
			if (strcmp(json_string_value(json_object_get(e, "kind")), "guest-sourced"))
				continue;
			assert_string_equal(json_string_value(json_object_get(e, "state")),
					    "served");
			assert_int_equal(json_integer_value(json_object_get(e, "caller_pid")),
					 run_pid);
			assert_int_equal(json_integer_value(json_object_get(e, "callee_pid")),
					 g.pid);
			assert_true(json_integer_value(json_object_get(e, "calls")) >= 1);
			found++;
		}
		assert_int_equal(found, 1);
	}
	json_decref(j);
	{
		/* the same in text, and from the guest's side */
		const char *argv[] = { ITEST_VMRPC, "status", NULL };
		const char *gargv[] = { ITEST_VMRPC_GUEST, "status", "--json", NULL };
		char want[64];

		assert_int_equal(run(argv, &out, NULL), 0);
		assert_non_null(strstr(out, ITEST_REGION ": loopback, "));
		snprintf(want, sizeof(want), "guestd: pid %d", (int)g.pid);
		assert_non_null(strstr(out, want));
		assert_non_null(strstr(out, "attached   host-call"));
		assert_non_null(strstr(out, "served     guest-sourced"));
		free(out);
		j = run_json(gargv);
		ch = chan_of(j, hc);
		assert_non_null(ch);
		assert_int_equal(json_integer_value(json_object_get(ch, "calls")), 3);
		json_decref(j);
	}
	fd = open(fifo, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x\n", 2), 2);
	close(fd);
	assert_int_equal(itest_wait_exit(run_pid, ITEST_DEADLINE_MS, &status), 0);
	itest_send(c.to_child, 1);
	assert_int_equal(itest_child_wait(&c), 0);
	both_stop(&h, &g);
}

static const char *const want_idl[] = {
	"enum color { red = 0, green = 1, blue = 5 }\n",
	"struct point {\n\tint32 x;\n\tint32 y;\n}\n",
	("struct shape {\n\tcolor c;\n\tpoint pts[2];\n\tstring<16> label;\n\tbool filled;\n"
	 "\tdouble w;\n\tfloat f;\n\tuint8 tag[3];\n\tint16 s16;\n\tuint64 big;\n}\n"),
	"typedef int8 small4[4];\n",
	"interface clitest version 1 {\n",
	"\tint32 echo(shape s, out shape copy) = 0;\n",
	("\tint64 mix(int8 a, uint16 b, int32 c, uint64 d, bool e, double f, color g, small4 h, "
	 "out int64 sum, out color next) = 1;\n"),
	"\tint32 text(string<8> s, inout string<32> t) = 2;\n",
	("\tint64 bytes(in buffer<n> data, uint32 n, out buffer<cap, len> back, uint32 cap, "
	 "out uint32 len) = 3;\n"),
	"\toneway void note(string<32> line) = 4;\n",
	"\tint32 fail(int32 code) = 5;\n",
};

static void assert_idl(const char *text)
{
	for (size_t i = 0; i < sizeof(want_idl) / sizeof(want_idl[0]); i++)
		if (!strstr(text, want_idl[i]))
			fail_msg("describe lacks:\n%s\nin:\n%s", want_idl[i], text);
}

/* describe: a host interface's table from hostd, a guest one's from
 * guestd, the guest's own view; IDL and JSON. */
static void test_describe(void **state)
{
	struct itest_hostd h;
	struct itest_guestd g;
	char *out, *err;
	json_t *j, *m, *p;

	both_start(&h, &g);
	{
		const char *argv[] = { ITEST_VMRPC, "describe", ITEST_REGION, "host/clitest", NULL };

		assert_int_equal(run(argv, &out, NULL), 0);
		assert_idl(out);
		free(out);
	}
	{
		const char *argv[] = { ITEST_VMRPC, "describe", ITEST_REGION,
				       ITEST_REGION "/guest/clitest", NULL };

		assert_int_equal(run(argv, &out, NULL), 0);
		assert_idl(out);
		free(out);
	}
	{
		const char *argv[] = { ITEST_VMRPC_GUEST, "describe", "clitest", NULL };

		assert_int_equal(run(argv, &out, NULL), 0);
		assert_idl(out);
		free(out);
	}
	{
		/* served both ways: which one must be said */
		const char *argv[] = { ITEST_VMRPC, "describe", ITEST_REGION, "clitest", NULL };

		assert_int_equal(run(argv, NULL, &err), 2);
		assert_non_null(strstr(err, "both ways"));
		free(err);
	}
	{
		const char *argv[] = { ITEST_VMRPC, "describe", ITEST_REGION, "guestexec", NULL };

		assert_int_equal(run(argv, &out, NULL), 0);
		assert_non_null(strstr(out, "interface guestexec version"));
		free(out);
	}
	{
		const char *argv[] = { ITEST_VMRPC, "describe", ITEST_REGION, "guest/clitest",
				       "--json", NULL };

		j = run_json(argv);
	}
	assert_string_equal(json_string_value(json_object_get(j, "name")), "clitest");
	assert_int_equal(json_array_size(json_object_get(j, "methods")), 6);
	m = json_array_get(json_object_get(j, "methods"), 3);
	assert_string_equal(json_string_value(json_object_get(m, "name")), "bytes");
	assert_int_equal(json_integer_value(json_object_get(m, "id")), 3);
	p = json_array_get(json_object_get(m, "params"), 2);
	assert_string_equal(json_string_value(json_object_get(p, "name")), "back");
	assert_string_equal(json_string_value(json_object_get(p, "dir")), "out");
	p = json_object_get(p, "type");
	assert_string_equal(json_string_value(json_object_get(p, "kind")), "buffer");
	assert_string_equal(json_string_value(json_object_get(p, "size")), "cap");
	assert_string_equal(json_string_value(json_object_get(p, "len")), "len");
	m = json_array_get(json_object_get(j, "methods"), 4);
	assert_true(json_is_true(json_object_get(m, "oneway")));
	m = json_array_get(json_object_get(j, "enums"), 0);
	assert_string_equal(json_string_value(json_object_get(m, "name")), "color");
	assert_int_equal(json_array_size(json_object_get(j, "structs")), 2);
	assert_int_equal(json_array_size(json_object_get(j, "typedefs")), 1);
	json_decref(j);
	both_stop(&h, &g);
}

static const char shape_json[] =
	"{\"c\": \"blue\", \"pts\": [{\"x\": 1, \"y\": -2}, {\"x\": 3, \"y\": 4}],"
	" \"label\": \"h\\u00e9llo\", \"filled\": true, \"w\": 2.5, \"f\": -0.5,"
	" \"tag\": [1, 2, 255], \"s16\": -32768, \"big\": \"18446744073709551615\"}";

static void assert_shape_copy(json_t *copy)
{
	json_t *pts = json_object_get(copy, "pts");

	assert_string_equal(json_string_value(json_object_get(copy, "c")), "blue");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(pts, 0), "y")), -2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(pts, 1), "x")), 3);
	assert_string_equal(json_string_value(json_object_get(copy, "label")), "h\xc3\xa9llo");
	assert_true(json_is_false(json_object_get(copy, "filled")));
	assert_true(json_real_value(json_object_get(copy, "w")) == 5.0);
	assert_true(json_real_value(json_object_get(copy, "f")) == -0.5);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(copy, "tag"), 2)), 255);
	assert_int_equal(json_integer_value(json_object_get(copy, "s16")), -32768);
	assert_string_equal(json_string_value(json_object_get(copy, "big")),
			    "18446744073709551615");
}

/* call: every type, both ways. */
static void test_call(void **state)
{
	struct itest_hostd h;
	struct itest_guestd g;
	char args[1024], *out;
	json_t *j;

	both_start(&h, &g);
	snprintf(args, sizeof(args), "{\"s\": %s}", shape_json);
	for (int side = 0; side < 2; side++) {
		const char *prog = side ? ITEST_VMRPC_GUEST : ITEST_VMRPC;
		/* vmrpc call VM IFACE.METHOD JSON; vmrpc-guest call IFACE.METHOD JSON */
#define CALL(method, json)                                                               \
	(side ? run_json((const char *[]){ prog, "call", "clitest." method, json, NULL })  \
	      : run_json((const char *[]){ prog, "call", ITEST_REGION, "clitest." method,  \
					   json, NULL }))
		j = CALL("echo", args);
		assert_int_equal(json_integer_value(json_object_get(j, "status")), 0);
		assert_shape_copy(json_object_get(j, "copy"));
		assert_null(json_object_get(j, "s"));
		json_decref(j);

		j = CALL("mix", "{\"a\": -128, \"b\": 65535, \"c\": 7, \"d\": 2001, \"e\": true,"
				" \"f\": 3.9, \"g\": \"green\", \"h\": [1, -1, 2, -2]}");
		assert_int_equal(json_integer_value(json_object_get(j, "status")), 1);
		assert_int_equal(json_integer_value(json_object_get(j, "sum")),
				 -128 + 65535 + 7 + 1 + 3);
		assert_string_equal(json_string_value(json_object_get(j, "next")), "blue");
		json_decref(j);
		/* an enum by number */
		j = CALL("mix", "{\"a\": 0, \"b\": 0, \"c\": 0, \"d\": 0, \"e\": false,"
				" \"f\": 0, \"g\": 5, \"h\": [0, 0, 0, 0]}");
		assert_int_equal(json_integer_value(json_object_get(j, "status")), 0);
		assert_string_equal(json_string_value(json_object_get(j, "next")), "red");
		json_decref(j);

		j = CALL("text", "{\"s\": \"world\", \"t\": \"hello \"}");
		assert_int_equal(json_integer_value(json_object_get(j, "status")), 11);
		assert_string_equal(json_string_value(json_object_get(j, "t")), "hello world");
		json_decref(j);

		/* base64 "AQIDBA==" is 1 2 3 4; its size left to its length */
		j = CALL("bytes", "{\"data\": \"AQIDBA==\", \"cap\": 3}");
		assert_int_equal(json_integer_value(json_object_get(j, "status")), 3);
		assert_string_equal(json_string_value(json_object_get(j, "back")), "BAMC");
		assert_int_equal(json_integer_value(json_object_get(j, "len")), 3);
		json_decref(j);

		j = CALL("note", "{\"line\": \"one way\"}");
		assert_int_equal(json_integer_value(json_object_get(j, "status")), 0);
		json_decref(j);
#undef CALL
		{
			/* the method's failure: exit 1, its status and text */
			const char *hargv[] = { prog, "call", ITEST_REGION, "clitest.fail",
						"{\"code\": -13}", NULL };
			const char *gargv[] = { prog, "call", "clitest.fail", "{\"code\": -13}",
						NULL };
			json_error_t je;

			assert_int_equal(run(side ? gargv : hargv, &out, NULL), 1);
			j = json_loads(out, 0, &je);
			assert_non_null(j);
			assert_int_equal(json_integer_value(json_object_get(j, "status")), -13);
			assert_string_equal(json_string_value(json_object_get(j, "error")),
					    "Permission denied");
			json_decref(j);
			free(out);
		}
	}
	{
		/* guest-info has its JSON too */
		const char *argv[] = { ITEST_VMRPC, "guest-info", ITEST_REGION, "--json", NULL };

		j = run_json(argv);
		assert_true(json_string_length(json_object_get(j, "kernel")) > 0);
		assert_non_null(json_object_get(j, "machine"));
		json_decref(j);
	}
	/* the one-way notes arrived */
	itest_wait_file_has(g.log, "clitest: note: one way");
	itest_log_wait(&h, 1, "clitest: note: one way", NULL);
	both_stop(&h, &g);
}

struct bad {
	const char *target; /* IFACE.METHOD */
	const char *json;
	const char *needle; /* in the message */
};

static const struct bad bad_inputs[] = {
	{ "clitest.fail", "{\"code\": ", "malformed JSON: line 1, column" },
	{ "clitest.fail", "{\"code\": 1,\n \"code\" 2}", "line 2, column" },
	{ "clitest.fail", "[1]", "must be a JSON object" },
	{ "clitest.fail", "{\"code\": \"x\"}", "fail: code: int32 expected" },
	{ "clitest.fail", "{\"code\": 2147483648}", "fail: code: 2147483648 is out of range" },
	{ "clitest.fail", "{\"code\": 1.5}", "fail: code" },
	{ "clitest.fail", "{}", "fail: code: missing" },
	{ "clitest.fail", "{\"code\": 1, \"extra\": 2}", "unknown parameter 'extra'" },
	{ "clitest.nosuch", "{}", "no method 'nosuch'" },
	{ "nosuchiface.fail", "{}", "nosuchiface" },
	{ "clitest.mix", "{\"a\": 128, \"b\": 0, \"c\": 0, \"d\": 0, \"e\": true, \"f\": 0,"
		" \"g\": \"red\", \"h\": [0, 0, 0, 0]}", "mix: a: 128 is out of range for int8" },
	{ "clitest.mix", "{\"a\": 0, \"b\": -1, \"c\": 0, \"d\": 0, \"e\": true, \"f\": 0,"
		" \"g\": \"red\", \"h\": [0, 0, 0, 0]}", "mix: b: -1 is out of range for uint16" },
	{ "clitest.mix", "{\"a\": 0, \"b\": 0, \"c\": 0, \"d\": 0, \"e\": 1, \"f\": 0,"
		" \"g\": \"red\", \"h\": [0, 0, 0, 0]}", "mix: e: bool expected" },
	{ "clitest.mix", "{\"a\": 0, \"b\": 0, \"c\": 0, \"d\": 0, \"e\": true, \"f\": 0,"
		" \"g\": \"mauve\", \"h\": [0, 0, 0, 0]}", "mix: g: \"mauve\" is not a value of enum" },
	{ "clitest.mix", "{\"a\": 0, \"b\": 0, \"c\": 0, \"d\": 0, \"e\": true, \"f\": 0,"
		" \"g\": 3, \"h\": [0, 0, 0, 0]}", "mix: g: 3 is not a value of enum color" },
	{ "clitest.mix", "{\"a\": 0, \"b\": 0, \"c\": 0, \"d\": 0, \"e\": true, \"f\": 0,"
		" \"g\": \"red\", \"h\": [0, 0, 0]}", "mix: h: small4 expected (an array of 4)" },
	{ "clitest.mix", "{\"a\": 0, \"b\": 0, \"c\": 0, \"d\": 0, \"e\": true, \"f\": 0,"
		" \"g\": \"red\", \"h\": [0, 0, 0, 200]}", "mix: h[3]: 200 is out of range for int8" },
	{ "clitest.mix", "{\"a\": 0, \"b\": 0, \"c\": 0, \"d\": 0, \"e\": true, \"f\": 0,"
		" \"g\": \"red\", \"h\": [0, 0, 0, 0], \"sum\": 1}", "mix: sum: an out parameter" },
	{ "clitest.text", "{\"s\": \"123456789\", \"t\": \"\"}", "text: s: string<8> holds at most" },
	{ "clitest.text", "{\"s\": 5, \"t\": \"\"}", "text: s: string<8> expected, got an integer" },
	{ "clitest.bytes", "{\"data\": \"!!!!\", \"cap\": 1}", "bytes: data: a buffer expected" },
	{ "clitest.echo", "{\"s\": {\"c\": \"red\"}}", "echo: s: member 'pts' of struct shape" },
	{ "clitest.echo", "{\"s\": {\"c\": \"red\", \"pts\": [{\"x\": 0, \"y\": 0}, {\"x\": 0,"
		" \"y\": \"1\"}], \"label\": \"\", \"filled\": true, \"w\": 0, \"f\": 0,"
		" \"tag\": [0, 0, 0], \"s16\": 0, \"big\": 0}}", "echo: s.pts[1].y: int32 expected" },
	{ "clitest.echo", "{\"s\": {\"c\": \"red\", \"pts\": [{\"x\": 0, \"y\": 0}, {\"x\": 0,"
		" \"y\": 1}], \"label\": \"\", \"filled\": true, \"w\": 0, \"f\": 0,"
		" \"tag\": [0, 0, 0], \"s16\": 0, \"big\": 0, \"z\": 1}}",
		"echo: s: struct shape has no member 'z'" },
	{ "clitest.echo", "{\"s\": {\"c\": \"red\", \"pts\": [{\"x\": 0, \"y\": 0}, {\"x\": 0,"
		" \"y\": 1}], \"label\": \"\", \"filled\": true, \"w\": 0, \"f\": 0,"
		" \"tag\": [0, 0, 0], \"s16\": 32768, \"big\": 0}}",
		"echo: s.s16: 32768 is out of range for int16" },
	{ "nodot", "{}", "expected IFACE.METHOD" },
};

/* Every bad input: exit 2, a message naming the field, and nothing sent
 * (the callee's count moves only by the good call made afterwards). */
static void test_bad_input(void **state)
{
	struct itest_hostd h;
	struct itest_guestd g;
	int guest_before, host_before;
	char *err;

	both_start(&h, &g);
	guest_before = guestd_calls(&g);
	host_before = itest_log_count(&h, "clitest: ", NULL);
	for (size_t i = 0; i < sizeof(bad_inputs) / sizeof(bad_inputs[0]); i++) {
		const struct bad *b = &bad_inputs[i];
		const char *hargv[] = { ITEST_VMRPC, "call", ITEST_REGION, b->target, b->json,
					NULL };
		const char *gargv[] = { ITEST_VMRPC_GUEST, "call", b->target, b->json, NULL };

		for (int side = 0; side < 2; side++) {
			int code = run(side ? gargv : hargv, NULL, &err);

			if (code != 2 || !strstr(err, b->needle))
				fail_msg("%s call %s '%s': exit %d, stderr \"%s\"; expected exit 2 "
					 "and \"%s\"", side ? "vmrpc-guest" : "vmrpc", b->target,
					 b->json, code, err, b->needle);
			free(err);
		}
	}
	{
		/* a host interface is not called from the host */
		const char *argv[] = { ITEST_VMRPC, "call", ITEST_REGION, "host/clitest.fail",
				       "{\"code\": 0}", NULL };

		assert_int_equal(run(argv, NULL, &err), 2);
		assert_non_null(strstr(err, "vmrpc-guest call"));
		free(err);
	}
	/* one good call each way, and only it arrived */
	{
		const char *hargv[] = { ITEST_VMRPC, "call", ITEST_REGION, "clitest.fail",
					"{\"code\": 0}", NULL };
		const char *gargv[] = { ITEST_VMRPC_GUEST, "call", "clitest.fail", "{\"code\": 0}",
					NULL };

		assert_int_equal(run(hargv, NULL, NULL), 0);
		assert_int_equal(run(gargv, NULL, NULL), 0);
	}
	itest_log_wait(&h, host_before + 1, "clitest: ", NULL);
	assert_int_equal(itest_log_count(&h, "clitest: ", NULL), host_before + 1);
	assert_int_equal(guestd_calls(&g), guest_before + 1);
	both_stop(&h, &g);
}

/* A VM whose host-caller socket its configuration moved: describe and call
 * by the VM's name find it through the info socket. */
static void test_host_socket(void **state)
{
	struct itest_hostd h;
	struct itest_guestd g;
	char sock[PATH_MAX], *out;

	snprintf(sock, sizeof(sock), "%s/elsewhere.sock", itest_dir());
	itest_hostd_start(&h, "--service", ITEST_CLITEST_SERVICE, "--host-socket", sock, NULL);
	guestd_start(&g);
	{
		const char *argv[] = { ITEST_VMRPC, "describe", ITEST_REGION, "guest/clitest", NULL };

		assert_int_equal(run(argv, &out, NULL), 0);
		assert_idl(out);
		free(out);
	}
	{
		const char *argv[] = { ITEST_VMRPC, "call", ITEST_REGION, "clitest.text",
				       "{\"s\": \"b\", \"t\": \"a\"}", NULL };
		json_t *j = run_json(argv);

		assert_string_equal(json_string_value(json_object_get(j, "t")), "ab");
		json_decref(j);
	}
	{
		/* and by the socket's path, as vmrpc_vm_open() takes it */
		const char *argv[] = { ITEST_VMRPC, "call", sock, "clitest.fail", "{\"code\": 3}",
				       NULL };
		json_t *j = run_json(argv);

		assert_int_equal(json_integer_value(json_object_get(j, "status")), 3);
		json_decref(j);
	}
	both_stop(&h, &g);
}

/* Whatever a guest writes where it may write (guestd's registry and
 * words, channel lines), status and list copy, clamp and print it, and
 * never crash. */
static void test_scribbled(void **state)
{
	struct itest_hostd h;
	struct vmrpc_region *r;
	struct vmrpc_region_hdr *hdr;
	uint32_t n, cs;
	json_t *j;
	char *out;

	itest_hostd_start(&h, NULL);
	assert_int_equal(vmrpc_region_open(ITEST_REGION, &r), 0);
	hdr = vmrpc_region_hdr(r);
	vmrpc_region_geometry(r, &n, &cs);
	for (int round = 0; round < 20; round++) {
		uint8_t *g = (uint8_t *)hdr->guest_registry;

		for (size_t k = 0; k < sizeof(hdr->guest_registry); k++)
			g[k] = (uint8_t)itest_rand();
		hdr->guest_n_ifaces = round % 2 ? 0xffffffffu : (uint32_t)itest_rand() % 64;
		hdr->guestd_pid = (uint32_t)itest_rand();
		hdr->guest_boot_id[0] = itest_rand();
		/* the last channels' lines, as a caller that claimed them might */
		for (uint32_t i = n - 4; i < n; i++) {
			struct vmrpc_chan_hdr *c = vmrpc_region_chan(r, i);

			c->ctl.state = (uint32_t)itest_rand() % 16;
			c->ctl.kind = (uint32_t)itest_rand();
			c->ctl.owner_pid = (uint32_t)itest_rand();
			c->req.req_seq = (uint32_t)itest_rand();
			c->req.iface_slot = (uint32_t)itest_rand() % 40;
		}
		{
			const char *argv[] = { ITEST_VMRPC, "status", ITEST_REGION, "--json", NULL };

			j = run_json(argv);
			assert_true(json_is_array(json_object_get(j, "channels")));
			assert_true(json_integer_value(json_object_get(j, "guest_interfaces")) <=
				    VMRPC_GREG_MAX);
			json_decref(j);
		}
		{
			const char *argv[] = { ITEST_VMRPC, "list", ITEST_REGION, NULL };
			const char *sargv[] = { ITEST_VMRPC, "status", ITEST_REGION, NULL };

			assert_int_equal(run(argv, &out, NULL), 0);
			for (char *p = out; *p; p++)
				assert_true(*p == '\n' || (*p >= ' ' && *p < 0x7f));
			free(out);
			assert_int_equal(run(sargv, NULL, NULL), 0);
		}
	}
	/* hostd's own channels are free again: nothing it acts on was left */
	for (uint32_t i = n - 4; i < n; i++)
		memset(vmrpc_region_chan(r, i), 0, 3 * VMRPC_CACHELINE);
	hdr->guest_n_ifaces = 0;
	hdr->guestd_pid = 0;
	vmrpc_region_close(r);
	itest_hostd_stop(&h);
}

/* Usage errors name what was wrong; a VM nobody serves is vmrpc's failure. */
static void test_usage(void **state)
{
	static const struct {
		const char *argv[6];
		int code;
		const char *needle;
	} cases[] = {
		{ { ITEST_VMRPC, "frobnicate", NULL }, 2, "unknown command 'frobnicate'" },
		{ { ITEST_VMRPC_GUEST, "frobnicate", NULL }, 2, "unknown command 'frobnicate'" },
		{ { ITEST_VMRPC, "list", "--bogus", NULL }, 2, "unknown option '--bogus'" },
		{ { ITEST_VMRPC, "status", "a", "b", NULL }, 2, "Usage" },
		{ { ITEST_VMRPC, "describe", ITEST_REGION, NULL }, 2, "Usage" },
		{ { ITEST_VMRPC, "call", ITEST_REGION, NULL }, 2, "Usage" },
		{ { ITEST_VMRPC, "status", "nosuchvm", NULL }, 255, "no vmrpc-hostd serves it" },
		{ { ITEST_VMRPC, "list", "../x", NULL }, 2, "not a valid VM name" },
		{ { ITEST_VMRPC_GUEST, "--region", "nosuchregion", "status", NULL }, 255,
		  "nosuchregion" },
	};
	char *err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int code = run(cases[i].argv, NULL, &err);

		if (code != cases[i].code || !strstr(err, cases[i].needle))
			fail_msg("%s %s: exit %d, stderr \"%s\"; expected %d and \"%s\"",
				 cases[i].argv[0], cases[i].argv[1], code, err, cases[i].code,
				 cases[i].needle);
		free(err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_list, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_status, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_describe, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_call, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_host_socket, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_scribbled, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_usage, itest_setup, itest_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
