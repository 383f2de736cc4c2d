#!/usr/bin/env bash
# The vmrpc demo on the loopback transport: build, start vmrpc-hostd, and run
# guest programs that call the host: calc-demo (a typed interface served by a
# service module), hostcat (host files through host calls, with per-caller
# working directories kept by shadow processes) and hostrun (a host program
# with the guest's stdio). Then the other direction, guest-sourced calls:
# vmrpc-guestd plays the guest, and host programs run guest commands through
# it (vmrpc guest-run) and call a user's interface it serves (guest-wc).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

.ci/install-deps
echo "building into $top/build-demo"
cmake -S "$top" -B "$top/build-demo" -DVMRPC_TESTS=OFF -DVMRPC_BENCH=OFF >/dev/null
cmake --build "$top/build-demo" -j"$(nproc)" >/dev/null

build=$top/build-demo
bin=$build/bin lib=$build/lib
run=$(mktemp -d /tmp/vmrpc-demo.XXXXXX)
export VMRPC_RUNTIME_DIR=$run/rt VMRPC_REGION=demo
hostd_pid=
guestd_pid=
cleanup() {
	[ -n "$guestd_pid" ] && kill -TERM "$guestd_pid" 2>/dev/null && wait "$guestd_pid" || true
	[ -n "$hostd_pid" ] && kill -TERM "$hostd_pid" 2>/dev/null && wait "$hostd_pid" || true
	rm -rf "$run"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "start vmrpc-hostd on loopback region 'demo' (log: $run/hostd.log)"
"$bin/vmrpc-hostd" --loopback demo --channels 8 \
	--service "$lib/calc_service.so" 2>"$run/hostd.log" &
hostd_pid=$!
for _ in $(seq 50); do [ -S "$VMRPC_RUNTIME_DIR/demo.sock" ] && break; sleep 0.1; done
cat "$run/hostd.log"

step "calc-demo: typed host calls (integers, strings, buffers)"
"$bin/calc-demo" "$(whoami)"

step "hostcat: a host file printed from the guest side"
mkdir -p "$run/host/a" "$run/host/b"
echo "I am $run/host/a/note.txt" >"$run/host/a/note.txt"
echo "I am $run/host/b/note.txt" >"$run/host/b/note.txt"
"$bin/hostcat" -v "$run/host/a/note.txt"

step "two guest callers at once: each shadow keeps its own working directory"
"$bin/hostcat" -C "$run/host/a" note.txt & a=$!
"$bin/hostcat" -C "$run/host/b" note.txt & b=$!
wait "$a" "$b"

step "an error from the host, as the host reports it"
"$bin/hostcat" /nonexistent/file || true

step "hostrun: a host program, streamed both ways, in a guest | host | guest pipeline"
printf 'pear\napple\nfig\n' | "$bin/hostrun" sort | tr a-z A-Z
"$bin/hostrun" sh -c 'echo "host says: exiting 3" >&2; exit 3' || echo "exit status $?"

step "start vmrpc-guestd, playing the guest: its policy allows uname, sort and sh, and serves wordcount"
printf 'exec = uname\nexec = sort\nexec = sh\nservice = %s\n' \
	"$lib/wordcount_guest.so" >"$run/guestd.conf"
"$bin/vmrpc-guestd" --region demo --config "$run/guestd.conf" 2>"$run/guestd.log" &
guestd_pid=$!
for _ in $(seq 50); do grep -q serving "$run/guestd.log" 2>/dev/null && break; sleep 0.1; done
cat "$run/guestd.log"

step "vmrpc guest-run: a guest command run from the host, its output streamed as it is written"
"$bin/vmrpc" guest-run demo -- uname -sr
"$bin/vmrpc" guest-run demo -- sh -c \
	'for i in 1 2 3; do echo "guest line $i"; sleep 0.3; done; exit 4' || echo "exit status $?"
printf 'pear\napple\nfig\n' | "$bin/vmrpc" guest-run demo -- sort

step "the guest's policy decides: rm is not allowed"
"$bin/vmrpc" guest-run demo -- rm -rf /tmp/nothing || echo "exit status $?"

step "the wrapper: a host command name that runs the same-named command in the guest"
mkdir -p "$run/bin"
ln -s "$bin/vmrpc" "$run/bin/uname"
VMRPC_VM=demo "$run/bin/uname" -m

step "guest-wc: a user's own interface (wordcount.idl) served in the guest, called from the host"
printf 'one two three\nfour five\n' >"$run/words.txt"
"$bin/guest-wc" demo "$run/words.txt"

step "hostd's log: one line per attach, detach and shadow exit"
sleep 0.2
cat "$run/hostd.log"
step "demo done"
