#!/usr/bin/env bash
# Set up and run every test: install dependencies, then build and run the
# whole suite three ways: gcc with -Werror, gcc with ASan+UBSan, and clang
# with -Werror (generated stubs must compile cleanly under both compilers).
# The gcc build also runs the VM test (test/vm: a real guest under QEMU),
# once: the other builds test the same code on the host.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

.ci/install-deps

jobs=$(nproc)
total=0
run_suite() {
	local name=$1; shift
	local dir=$top/build-test-$name
	echo "=== $name: configure and build"
	cmake -S "$top" -B "$dir" -DVMRPC_WERROR=ON -DVMRPC_TESTS=ON -DVMRPC_BENCH=ON "$@" \
		>"$dir.log" 2>&1 ||
		{ cat "$dir.log"; return 1; }
	cmake --build "$dir" -j"$jobs" >>"$dir.log" 2>&1 || { cat "$dir.log"; return 1; }
	echo "=== $name: ctest"
	ctest --test-dir "$dir" --output-on-failure -j"$jobs" --timeout 300 | tee "$dir.ctest"
	total=$((total + $(sed -n 's/.*tests passed, 0 tests failed out of \([0-9]*\).*/\1/p' \
		"$dir.ctest")))
}

run_suite gcc -DCMAKE_C_COMPILER=gcc -DVMRPC_VM_TEST=ON
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	run_suite asan -DCMAKE_C_COMPILER=gcc -DVMRPC_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
# clang also builds the libFuzzer targets: the host's request validation and
# the IDL compiler; their ctests fuzz_request_run and fuzz_idl_run fuzz for
# $VMRPC_FUZZ_SECONDS each (0: not at all). Every suite replays both corpora
# (ctest fuzz_request_corpus, fuzz_idl_corpus).
run_suite clang -DCMAKE_C_COMPILER=clang -DVMRPC_FUZZ_SECONDS="${VMRPC_FUZZ_SECONDS:-30}"
# The Debian packages: built from this tree, lintian, installed on this
# machine, the units verified and test/install's project built and run
# against them, purged again (test/deb/run.sh; 77: skipped).
echo "=== deb: the Debian packages"
status=0
test/deb/run.sh || status=$?
case $status in
0) total=$((total + 1)) ;;
77) ;;
*) exit "$status" ;;
esac
echo "=== all test suites passed"
echo "$total passed, 0 failed"
