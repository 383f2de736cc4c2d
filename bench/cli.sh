#!/usr/bin/env bash
# bench/cli.sh: one call made by a command-line process, end to end (exec,
# connect, bind, the call, JSON printed), through vmrpc's CLI and through
# D-Bus's, in one run on this machine (loopback: guest and host are this
# machine). Prints a markdown table of the p50 and p90 wall time per process
# (docs/benchmarks.md).
#
#   vmrpc call          host -> guest: vmrpc-guestd serves calc (the VM's
#                       host-caller socket, a guest-sourced channel, the type
#                       table fetched with the meta call, a dynamic call)
#   vmrpc-guest call    guest -> host: the caller's own shadow serves calc
#   busctl call         D-Bus: the bus daemon's GetId, on a private
#                       dbus-daemon (the method answered by the bus itself,
#                       the cheapest call D-Bus has); --json=short too
#   dbus-send           the same call
#   /bin/true           what starting a process costs here
#
# usage: bench/cli.sh BUILD_DIR [RUNS]   (default 50 runs each)
set -euo pipefail
build=$(cd "${1:?usage: bench/cli.sh BUILD_DIR [RUNS]}" && pwd)
runs=${2:-50}
bin=$build/bin
service=$build/lib/calc_service.so
for f in "$bin/vmrpc-hostd" "$bin/vmrpc-guestd" "$bin/vmrpc" "$bin/vmrpc-guest" "$service"; do
	[ -e "$f" ] || { echo "bench/cli.sh: $f is missing: build the tree first" >&2; exit 1; }
done

work=$(mktemp -d /tmp/vmrpc-bench-cli.XXXXXX)
export VMRPC_RUNTIME_DIR=$work/rt VMRPC_REGION=benchcli VMRPC_HOSTD_CGROUP=off
mkdir -p "$VMRPC_RUNTIME_DIR"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT

"$bin/vmrpc-hostd" --loopback benchcli --service "$service" 2>"$work/hostd.log" &
pids+=($!)
for _ in $(seq 100); do [ -S "$VMRPC_RUNTIME_DIR/benchcli.sock" ] && break; sleep 0.05; done
printf 'service = %s\n' "$service" >"$work/guestd.conf"
"$bin/vmrpc-guestd" --region benchcli --config "$work/guestd.conf" 2>"$work/guestd.log" &
pids+=($!)
for _ in $(seq 100); do grep -q serving "$work/guestd.log" && break; sleep 0.05; done

dbus=
if command -v dbus-daemon >/dev/null && command -v busctl >/dev/null; then
	dbus-daemon --session --nofork --address="unix:path=$work/bus" \
		>"$work/dbus.out" 2>"$work/dbus.err" &
	pids+=($!)
	for _ in $(seq 100); do [ -S "$work/bus" ] && break; sleep 0.05; done
	[ -S "$work/bus" ] && dbus="unix:path=$work/bus"
fi

# time LABEL CMD...: RUNS runs, one warm-up first; the command's output is checked once
time_cmd() {
	local label=$1 t0 t1
	shift
	"$@" >"$work/out" 2>&1 || { echo "| $label | failed: $(head -c 200 "$work/out" | tr '\n' ' ') | |"; return; }
	: >"$work/t"
	for _ in $(seq "$runs"); do
		t0=${EPOCHREALTIME/./} # microseconds, read without a process
		"$@" >/dev/null 2>&1
		t1=${EPOCHREALTIME/./}
		echo $((t1 - t0)) >>"$work/t"
	done
	sort -n "$work/t" | awk -v l="$label" '{ v[NR] = $1 } END {
		printf "| %s | %.2f | %.2f |\n", l, v[int((NR + 1) / 2)] / 1000, v[int(NR * 0.9)] / 1000 }'
}

echo "## A call from a command-line process (loopback; $(uname -r), $(nproc) CPUs, $runs runs each)"
echo
echo "| | p50 ms | p90 ms |"
echo "|---|---|---|"
time_cmd "/bin/true (starting a process)" /bin/true
time_cmd "vmrpc call benchcli calc.add (host -> guestd)" \
	"$bin/vmrpc" call benchcli calc.add '{"a": 2, "b": 3}'
time_cmd "vmrpc-guest call calc.add (guest -> its shadow)" \
	"$bin/vmrpc-guest" call calc.add '{"a": 2, "b": 3}'
if [ -n "$dbus" ]; then
	time_cmd "busctl call GetId (the bus daemon answers)" busctl --address="$dbus" call \
		org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus GetId
	time_cmd "busctl --json=short call GetId" busctl --address="$dbus" --json=short call \
		org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus GetId
	time_cmd "dbus-send --print-reply GetId" dbus-send --bus="$dbus" --print-reply \
		--dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.GetId
else
	echo "| busctl, dbus-send | not run: dbus-daemon or busctl missing | |"
fi
