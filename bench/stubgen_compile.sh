#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Compile-time benchmark of vmrpc-stubgen: a generated interface of N methods
# (default 10000) of five shapes (scalars and out values, buffers, strings
# and structs, oneway, inout strings and enums), against rpcgen on an XDR
# file of N procedures with argument and result structs of the same sizes,
# in the same run. Prints the median of R runs (default 5) of each generator
# and, once each, what compiling the generated C costs with cc -O0.
#
#   bench/stubgen_compile.sh [STUBGEN] [N] [R]
set -euo pipefail

stubgen=${1:-build/bin/vmrpc-stubgen}
n=${2:-10000}
runs=${3:-5}
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/stubgen-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# ---- inputs -----------------------------------------------------------------
{
	echo "struct pt { int32 x; int32 y; double w; }"
	echo "enum color { red, green, blue }"
	echo "interface big version 1 {"
	for ((i = 0; i < n; i++)); do
		case $((i % 5)) in
		0) echo "	int32 m$i(int32 a, uint64 b, out int64 c);" ;;
		1) echo "	int64 m$i(int32 fd, out buffer<len, return> buf, uint64 len);" ;;
		2) echo "	int32 m$i(string<255> path, out pt p);" ;;
		3) echo "	oneway void m$i(bool flag, double d);" ;;
		4) echo "	int32 m$i(inout string<64> s, color c);" ;;
		esac
	done
	echo "}"
} >"$tmp/big.idl"
{
	echo "struct pt { int x; int y; double w; };"
	echo "enum color { RED, GREEN, BLUE };"
	echo "struct a0 { int a; unsigned hyper b; }; struct r0 { int ret; hyper c; };"
	echo "struct a1 { int fd; unsigned hyper len; }; struct r1 { hyper ret; opaque buf<>; };"
	echo "struct a2 { string path<255>; }; struct r2 { int ret; pt p; };"
	echo "struct a3 { bool flag; double d; };"
	echo "struct a4 { string s<64>; color c; }; struct r4 { int ret; string s<64>; };"
	echo "program BIG { version BIG_V1 {"
	for ((i = 0; i < n; i++)); do
		k=$((i % 5))
		case $k in
		3) echo "	void M$i(a3) = $((i + 1));" ;;
		*) echo "	r$k M$i(a$k) = $((i + 1));" ;;
		esac
	done
	echo "} = 1; } = 0x20000099;"
} >"$tmp/big.x"

# ---- measurement --------------------------------------------------------------
now_ns() { date +%s%N; }

# median wall time in ms of R runs of "$@", run in $tmp/out
median_ms() {
	local times=() t0 t1
	for ((r = 0; r < runs; r++)); do
		rm -rf "$tmp/out" && mkdir "$tmp/out"
		t0=$(now_ns)
		(cd "$tmp/out" && "$@" >/dev/null 2>&1)
		t1=$(now_ns)
		times+=($(((t1 - t0) / 1000)))
	done
	printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}'
}

# one cc -O0 -c over every .c in $tmp/out, in ms
cc_ms() {
	local t0 t1
	t0=$(now_ns)
	for c in "$tmp/out"/*.c; do
		cc -O0 -w -I"$top/include" -I"$tmp/out" -I/usr/include/tirpc -c "$c" -o "$tmp/x.o"
	done
	t1=$(now_ns)
	echo $(((t1 - t0) / 1000000))
}

out_kib() { du -sk "$tmp/out" | cut -f1; }

printf '%-34s %8s %10s %10s %12s\n' "generator ($n methods)" "runs" "median ms" "out KiB" "cc -O0 ms"
ms=$(median_ms "$stubgen" -o . "$tmp/big.idl")
printf '%-34s %8d %10s %10s %12s\n' "vmrpc-stubgen (all outputs)" "$runs" "$ms" "$(out_kib)" "$(cc_ms)"
ms=$(median_ms "$stubgen" -o . --caller "$tmp/big.idl")
printf '%-34s %8d %10s %10s %12s\n' "vmrpc-stubgen --caller" "$runs" "$ms" "$(out_kib)" "-"
ms=$(median_ms sh -c "cp '$tmp/big.x' . && rpcgen -N big.x")
printf '%-34s %8d %10s %10s %12s\n' "rpcgen -N (all outputs)" "$runs" "$ms" "$(out_kib)" "$(cc_ms)"
echo "target: vmrpc-stubgen under 1000 ms for $n methods"
