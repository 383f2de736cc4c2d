#!/usr/bin/env bash
# The vmrpc demo on the loopback transport: build, start vmrpc-hostd, and run
# guest programs that call the host: calc-demo (a typed interface served by a
# service module), hostcat (host files through host calls, with per-caller
# working directories kept by shadow processes) and hostrun (a host program
# with the guest's stdio).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

.ci/install-deps
echo "building into $top/build-demo"
cmake -S "$top" -B "$top/build-demo" -DVMRPC_TESTS=OFF -DVMRPC_BENCH=OFF >/dev/null
cmake --build "$top/build-demo" -j"$(nproc)" >/dev/null

bin=$top/build-demo
run=$(mktemp -d /tmp/vmrpc-demo.XXXXXX)
export VMRPC_RUNTIME_DIR=$run/rt VMRPC_REGION=demo
hostd_pid=
cleanup() {
	[ -n "$hostd_pid" ] && kill -TERM "$hostd_pid" 2>/dev/null && wait "$hostd_pid" || true
	rm -rf "$run"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "start vmrpc-hostd on loopback region 'demo' (log: $run/hostd.log)"
"$bin/hostd/vmrpc-hostd" --loopback demo --channels 8 \
	--service "$bin/examples/calc_service.so" 2>"$run/hostd.log" &
hostd_pid=$!
for _ in $(seq 50); do [ -S "$VMRPC_RUNTIME_DIR/demo.sock" ] && break; sleep 0.1; done
cat "$run/hostd.log"

step "calc-demo: typed host calls (integers, strings, buffers)"
"$bin/examples/calc-demo" "$(whoami)"

step "hostcat: a host file printed from the guest side"
mkdir -p "$run/host/a" "$run/host/b"
echo "I am $run/host/a/note.txt" >"$run/host/a/note.txt"
echo "I am $run/host/b/note.txt" >"$run/host/b/note.txt"
"$bin/examples/hostcat" -v "$run/host/a/note.txt"

step "two guest callers at once: each shadow keeps its own working directory"
"$bin/examples/hostcat" -C "$run/host/a" note.txt & a=$!
"$bin/examples/hostcat" -C "$run/host/b" note.txt & b=$!
wait "$a" "$b"

step "an error from the host, as the host reports it"
"$bin/examples/hostcat" /nonexistent/file || true

step "hostrun: a host program, streamed both ways, in a guest | host | guest pipeline"
printf 'pear\napple\nfig\n' | "$bin/examples/hostrun" sort | tr a-z A-Z
"$bin/examples/hostrun" sh -c 'echo "host says: exiting 3" >&2; exit 3' || echo "exit status $?"

step "hostd's log: one line per attach, detach and shadow exit"
sleep 0.2
cat "$run/hostd.log"
step "demo done"
