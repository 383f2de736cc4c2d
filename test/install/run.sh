#!/bin/sh
# SPDX-License-Identifier: MIT
# Tests of the installed package, run by ctest (CMakeLists.txt here): vmrpc
# as a project outside its tree sees it.
#
#   run.sh install PREFIX FILE...  cmake --install the build into PREFIX (the
#                                  fixture of the tests below), check that
#                                  FILE... are there and nothing is outside
#                                  PREFIX; then a staged install (DESTDIR)
#   run.sh cmake PREFIX            build app/ with find_package(vmrpc) and
#                                  vmrpc_generate(), run it (run_app below)
#   run.sh make PREFIX             build app/ with make, cc and pkg-config,
#                                  run it
#   run.sh regen PREFIX GENERATOR  rebuilds of app/ run vmrpc-stubgen when an
#                                  .idl changed and recompile only what the
#                                  new stubs changed
#   run.sh guest PREFIX            a guest-only build of vmrpc's tree, with
#                                  PREFIX's vmrpc-stubgen and no liburing,
#                                  flex or bison
#
# From the environment: VMRPC_SRC and VMRPC_BUILD (the tree and its build),
# VMRPC_BINDIR, VMRPC_SBINDIR, VMRPC_LIBDIR, VMRPC_LIBEXECDIR, VMRPC_MANDIR,
# VMRPC_DOCDIR, VMRPC_UNITDIR (relative to PREFIX), and CC, CFLAGS, LDFLAGS for the app (vmrpc's compiler and, in a
# sanitizer build, its sanitizer flags).
set -u

mode=$1
prefix=$2
shift 2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmrpc-install-test.XXXXXX") || exit 1
hostd=
guestd=
cleanup() {
	[ -z "$guestd" ] || { kill "$guestd" 2>/dev/null; wait "$guestd"; }
	[ -z "$hostd" ] || { kill "$hostd" 2>/dev/null; wait "$hostd"; }
	rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# Paths into vmrpc's source or build tree in FILE... other than PREFIX: the
# app must get everything from the installed package.
check_no_tree_paths() {
	leaks=$(sed "s|$prefix/||g" "$@" | grep -F -e "$VMRPC_SRC/" -e "$VMRPC_BUILD/")
	[ -z "$leaks" ] || fail "the app uses vmrpc's tree, not the installed package: $leaks"
}

# wait_ready PID LOG PATTERN NAME: daemon NAME (PID) logged PATTERN in LOG.
wait_ready() {
	i=0
	until grep -q "$3" "$2"; do
		kill -0 "$1" 2>/dev/null || { cat "$2" >&2; fail "$4 exited"; }
		i=$((i + 1))
		[ $i -lt 200 ] || { cat "$2" >&2; fail "$4 not ready"; }
		sleep 0.05
	done
}

# run_app SERVICE CLIENT: the installed vmrpc-hostd serves SERVICE through
# the installed vmrpc-shadow; CLIENT calls it and must print what it says.
# Then the installed vmrpc-guestd plays the guest and the installed vmrpc
# calls into it.
run_app() {
	rt=$tmp/rt
	mkdir -p "$rt"
	export VMRPC_RUNTIME_DIR="$rt" VMRPC_REGION=install
	# No LD_LIBRARY_PATH: the installed hostd and shadow find libvmrpc
	# themselves (hostd/CMakeLists.txt, INSTALL_RPATH). No --shadow: the
	# build was configured for another prefix, and hostd finds its shadow
	# where this install put it, relative to itself.
	"$prefix/$VMRPC_SBINDIR/vmrpc-hostd" --loopback install --channels 2 \
		--service "$1" >"$tmp/hostd.log" 2>&1 &
	hostd=$!
	wait_ready "$hostd" "$tmp/hostd.log" "region 'install': serving" vmrpc-hostd
	# The client is the user's; it finds libvmrpc as after ldconfig.
	LD_LIBRARY_PATH="$prefix/$VMRPC_LIBDIR" "$2" >"$tmp/client.out" 2>"$tmp/client.err" ||
		{ cat "$tmp/client.err" "$tmp/hostd.log" >&2; fail "$2 exited $?"; }
	printf 'mul(6, 7) = 42\ngreet = hello, installed vmrpc\ngetcwd = /\n' >"$tmp/want"
	diff -u "$tmp/want" "$tmp/client.out" || fail "$2 printed something else"
	[ ! -s "$tmp/client.err" ] || { cat "$tmp/client.err" >&2; fail "$2 wrote to stderr"; }
	# The shim, from its private directory, gives cat a host file.
	echo "a host file for the installed shim" >"$tmp/hostfile"
	# (A sanitizer build's shim needs the ASan runtime loaded first, and
	# cat's own leaks are not the shim's.)
	preload=$prefix/$VMRPC_LIBDIR/vmrpc/libvmrpc-preload.so
	case ${CFLAGS:-} in
	*-fsanitize=address*) preload="$(${CC:-cc} -print-file-name=libasan.so) $preload" ;;
	esac
	ASAN_OPTIONS=detect_leaks=0 LD_PRELOAD="$preload" cat "/host$tmp/hostfile" \
		>"$tmp/shim.out" 2>&1 || { cat "$tmp/shim.out" "$tmp/hostd.log" >&2; fail "shim"; }
	cmp -s "$tmp/hostfile" "$tmp/shim.out" ||
		{ cat "$tmp/shim.out" >&2; fail "the installed shim read something else"; }
	# Guest-sourced: vmrpc and vmrpc-guestd also find libvmrpc themselves.
	"$prefix/$VMRPC_SBINDIR/vmrpc-guestd" --region install >"$tmp/guestd.log" 2>&1 &
	guestd=$!
	wait_ready "$guestd" "$tmp/guestd.log" "serving" vmrpc-guestd
	"$prefix/$VMRPC_BINDIR/vmrpc" guest-info install >"$tmp/info.out" 2>"$tmp/info.err" ||
		{ cat "$tmp/info.err" "$tmp/guestd.log" >&2; fail "installed vmrpc guest-info failed"; }
	grep -qx "kernel: $(uname -s) $(uname -r)" "$tmp/info.out" ||
		{ cat "$tmp/info.out" >&2; fail "installed vmrpc guest-info: no kernel line"; }
	kill "$guestd"
	wait "$guestd" || { cat "$tmp/guestd.log" >&2; fail "vmrpc-guestd exited $?"; }
	guestd=
	kill "$hostd"
	wait "$hostd" || { cat "$tmp/hostd.log" >&2; fail "vmrpc-hostd exited $?"; }
	hostd=
}

# build LOG: build app's CMake build directory, output in LOG.
build() {
	cmake --build "$tmp/app/build" -j2 >"$1" 2>&1 || { cat "$1" >&2; fail "build failed"; }
}

copy_app() {
	cp -R "$VMRPC_SRC/test/install/app" "$tmp/app" || fail "cannot copy app"
}

configure_app() {
	cmake -S "$tmp/app" -B "$tmp/app/build" "$@" -DCMAKE_PREFIX_PATH="$prefix" \
		-DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
		-DCMAKE_C_FLAGS_INIT="-Wall -Wextra -Werror" >"$tmp/configure.log" 2>&1 ||
		{ cat "$tmp/configure.log" >&2; fail "cannot configure app"; }
	found=$(sed -n 's/^vmrpc_DIR:PATH=//p' "$tmp/app/build/CMakeCache.txt")
	[ "$found" = "$prefix/$VMRPC_LIBDIR/cmake/vmrpc" ] ||
		fail "find_package(vmrpc) found $found, not the installed package"
}

case $mode in
install)
	rm -rf "$prefix"
	cmake --install "$VMRPC_BUILD" --prefix "$prefix" >"$tmp/install.log" 2>&1 ||
		{ cat "$tmp/install.log" >&2; fail "cmake --install"; }
	for f in "$@"; do
		[ -e "$prefix/$f" ] || fail "$f is not installed"
	done
	outside=$(grep -v "^$prefix/" "$VMRPC_BUILD/install_manifest.txt")
	[ -z "$outside" ] || fail "installed outside the prefix: $outside"
	# Every file a man page names in vmrpc's documentation is installed,
	# where this install put the documentation.
	for page in "$prefix/$VMRPC_MANDIR"/man*/*; do
		for doc in $(grep -o '[^ ()"]*share/doc/vmrpc/[A-Za-z0-9_./-]*[A-Za-z0-9]' "$page"); do
			case $doc in
			"$prefix/$VMRPC_DOCDIR"/*) [ -e "$doc" ] ||
				fail "${page#"$prefix/"} names $doc, which is not installed" ;;
			*) fail "${page#"$prefix/"} names $doc, not under $prefix/$VMRPC_DOCDIR" ;;
			esac
		done
		! grep -q 'docs/[a-z-]*\.md' "$page" ||
			fail "${page#"$prefix/"} names a docs/*.md of the source tree"
	done
	# A staged install (packages): the .pc files name the final prefix.
	stage=$tmp/stage
	DESTDIR=$stage cmake --install "$VMRPC_BUILD" --prefix /opt/vmrpc-test \
		>"$tmp/stage.log" 2>&1 || { cat "$tmp/stage.log" >&2; fail "DESTDIR install"; }
	for f in "$@"; do
		[ -e "$stage/opt/vmrpc-test/$f" ] || fail "$f is not installed under DESTDIR"
	done
	grep -qx "prefix=/opt/vmrpc-test" "$stage/opt/vmrpc-test/$VMRPC_LIBDIR/pkgconfig/vmrpc.pc" ||
		fail "staged vmrpc.pc does not name prefix /opt/vmrpc-test"
	grep -qx "ExecStart=/opt/vmrpc-test/$VMRPC_SBINDIR/vmrpc-hostd --loopback %i \$VMRPC_HOSTD_OPTS" \
		"$stage/opt/vmrpc-test/$VMRPC_UNITDIR/vmrpc-hostd@.service" ||
		fail "the staged vmrpc-hostd@.service does not run /opt/vmrpc-test's vmrpc-hostd"
	# Leave the build's .pc files for PREFIX again, as a plain install would.
	cmake --install "$VMRPC_BUILD" --prefix "$prefix" >"$tmp/install.log" 2>&1 ||
		{ cat "$tmp/install.log" >&2; fail "cmake --install"; }
	;;
cmake)
	copy_app
	configure_app -G "Unix Makefiles"
	build "$tmp/build.log"
	check_no_tree_paths "$tmp/app/build/compile_commands.json" \
		"$tmp/app/build/CMakeFiles/greeter_client.dir/link.txt"
	run_app "$tmp/app/build/greeter_service.so" "$tmp/app/build/greeter_client"
	;;
make)
	copy_app
	export PKG_CONFIG_LIBDIR="$prefix/$VMRPC_LIBDIR/pkgconfig" PKG_CONFIG_PATH=
	[ "$(pkg-config --modversion vmrpc)" = "$(pkg-config --modversion vmrpc-guest)" ] ||
		fail "vmrpc.pc and vmrpc-guest.pc disagree on the version"
	[ -x "$(pkg-config --variable=vmrpc_stubgen vmrpc)" ] ||
		fail "vmrpc.pc: vmrpc_stubgen does not name a program"
	make -C "$tmp/app" >"$tmp/make.log" 2>&1 || { cat "$tmp/make.log" >&2; fail "make"; }
	check_no_tree_paths "$tmp/make.log"
	make -C "$tmp/app" >"$tmp/make2.log" 2>&1 || { cat "$tmp/make2.log" >&2; fail "make"; }
	grep -q "Nothing to be done" "$tmp/make2.log" ||
		{ cat "$tmp/make2.log" >&2; fail "second make did work; nothing had changed"; }
	run_app "$tmp/app/greeter_service.so" "$tmp/app/greeter_client"
	;;
regen)
	generator=$1
	copy_app
	configure_app -G "$generator"
	build "$tmp/1.log"
	grep -q "vmrpc-stubgen greeter.idl" "$tmp/1.log" || fail "first build: no vmrpc-stubgen run"

	build "$tmp/2.log"
	! grep -E "vmrpc-stubgen|Building|Linking" "$tmp/2.log" ||
		fail "second build did work; nothing had changed"

	# Same content: vmrpc-stubgen runs, leaves the stubs alone, nothing
	# recompiles.
	sleep 1
	touch "$tmp/app/greeter.idl"
	build "$tmp/3.log"
	[ "$(grep -c "vmrpc-stubgen greeter.idl" "$tmp/3.log")" -eq 2 ] ||
		{ cat "$tmp/3.log"; fail "touched greeter.idl: expected two vmrpc-stubgen runs"; }
	! grep -E "vmrpc-stubgen hostcalls.idl|Building|Linking" "$tmp/3.log" ||
		fail "touched greeter.idl: something was rebuilt"
	build "$tmp/4.log"
	! grep -E "vmrpc-stubgen|Building|Linking" "$tmp/4.log" ||
		fail "build after the touch did work; nothing had changed"

	# A new method and a new interface: new stubs compile, the configure
	# step learns the new interface's files.
	sleep 1
	sed -i 's|^}$|\tvoid ping();\n}|' "$tmp/app/greeter.idl"
	printf 'interface extra version 1 {\n\tint32 nop();\n}\n' >>"$tmp/app/greeter.idl"
	build "$tmp/5.log"
	grep -q "vmrpc-stubgen greeter.idl" "$tmp/5.log" || fail "edited greeter.idl: no vmrpc-stubgen"
	for f in greeter_common.c greeter_caller.c greeter_callee.c extra_common.c \
		extra_caller.c extra_callee.c; do
		grep -q "Building C object .*/$f.o" "$tmp/5.log" ||
			{ cat "$tmp/5.log"; fail "edited greeter.idl: $f not compiled"; }
	done
	! grep -q "hostcalls_.*\.c\.o" "$tmp/5.log" ||
		fail "edited greeter.idl: hostcalls stubs recompiled"
	grep -q "greeter_ping" "$tmp/app/build/vmrpc_gen/greeter_client/greeter_caller.h" ||
		fail "edited greeter.idl: stale greeter_caller.h"
	build "$tmp/6.log"
	! grep -E "vmrpc-stubgen|Building|Linking" "$tmp/6.log" ||
		fail "build after the edit did work; nothing had changed"

	# An edit of an imported file reruns vmrpc-stubgen on the files that
	# import it (the depfile), and what changed recompiles.
	sleep 1
	sed -i 's|int32 b;|int32 b;\n\tint32 c;|' "$tmp/app/shared/limits.idl"
	build "$tmp/7.log"
	[ "$(grep -c "vmrpc-stubgen greeter.idl" "$tmp/7.log")" -eq 2 ] ||
		{ cat "$tmp/7.log"; fail "edited limits.idl: greeter.idl not regenerated"; }
	grep -q "Building C object .*/greeter_client.c.o" "$tmp/7.log" ||
		{ cat "$tmp/7.log"; fail "edited limits.idl: greeter_client.c not recompiled"; }
	grep -q "int32_t c;" "$tmp/app/build/vmrpc_gen/greeter_client/limits_types.h" ||
		fail "edited limits.idl: stale limits_types.h"
	build "$tmp/8.log"
	! grep -E "vmrpc-stubgen|Building|Linking" "$tmp/8.log" ||
		fail "build after the import's edit did work; nothing had changed"
	;;
guest)
	# A guest-only build (VMRPC_HOST=OFF, VMRPC_STUBGEN=OFF) configures and
	# builds with neither liburing nor flex and bison to be found: the
	# stubs come from the installed vmrpc-stubgen.
	PKG_CONFIG_LIBDIR=$tmp/no-pkgconfig cmake -S "$VMRPC_SRC" -B "$tmp/guest" \
		-DVMRPC_HOST=OFF -DVMRPC_STUBGEN=OFF -DVMRPC_STATIC_GUEST=OFF \
		-DVMRPC_STUBGEN_EXECUTABLE="$prefix/$VMRPC_BINDIR/vmrpc-stubgen" \
		-DCMAKE_DISABLE_FIND_PACKAGE_FLEX=ON -DCMAKE_DISABLE_FIND_PACKAGE_BISON=ON \
		>"$tmp/configure.log" 2>&1 || { cat "$tmp/configure.log"; fail "configure"; }
	cmake --build "$tmp/guest" -j2 >"$tmp/build.log" 2>&1 ||
		{ cat "$tmp/build.log"; fail "build"; }
	for f in lib/libvmrpc.so lib/libvmrpc-guest.so lib/libvmrpc-preload.so \
		bin/vmrpc-guestd; do
		[ -e "$tmp/guest/$f" ] || fail "a guest-only build made no $f"
	done
	for f in bin/vmrpc-hostd bin/vmrpc-shadow bin/vmrpc bin/vmrpc-stubgen; do
		[ ! -e "$tmp/guest/$f" ] || fail "a guest-only build made $f"
	done
	;;
*)
	fail "unknown mode $mode"
	;;
esac
exit 0
