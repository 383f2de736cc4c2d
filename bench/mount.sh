#!/usr/bin/env bash
# bench/mount.sh: file operations on vmrpc-mount against native, libfuse's
# passthrough_ll example (the FUSE floor of this kernel, built here from
# libfuse3-dev's examples; as shipped, and with default_permissions, the
# kernel's permission checks vmrpc-mount uses) and the LD_PRELOAD shim, in
# one run, on one tree; then `git status` on a 20,000-file tree, with
# cache=auto and cache=always. Loopback: guest and host are this
# machine. Prints markdown tables (docs/benchmarks.md). Needs root, /dev/fuse
# and cc; passthrough_ll is left out where its source is not installed.
#
# usage: bench/mount.sh BUILD_DIR     (the cmake build directory)
set -euo pipefail
build=$1
bin=$build/bin
fsops=$bin/vmrpc-bench-fsops
shim=$build/lib/libvmrpc-preload.so
pt_src=/usr/share/doc/libfuse3-dev/examples/passthrough_ll.c
files=${VMRPC_BENCH_GIT_FILES:-20000}

work=$(mktemp -d /tmp/vmrpc-bench-mount.XXXXXX)
data=$work/data
mkdir -p "$data" "$work/rt" "$work/m-vmrpc" "$work/m-pt" "$work/m-pt-perm" "$work/m-vmrpc-auto" \
	"$work/m-vmrpc-always" "$work/m-pt-auto"
export VMRPC_RUNTIME_DIR=$work/rt VMRPC_REGION=benchmnt VMRPC_HOSTD_CGROUP=off
hostd_pid=
cleanup() {
	for m in "$work"/m-*; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
	[ -n "$hostd_pid" ] && kill "$hostd_pid" 2>/dev/null && wait "$hostd_pid" || true
	rm -rf "$work"
}
trap cleanup EXIT

"$bin/vmrpc-hostd" --loopback benchmnt --channels 32 --export "data=$data" \
	2> "$work/hostd.log" &
hostd_pid=$!
for _ in $(seq 100); do [ -S "$work/rt/benchmnt.sock" ] && break; sleep 0.05; done

pt=
if [ -r "$pt_src" ] && cc -O2 -o "$work/passthrough_ll" "$pt_src" \
	$(pkg-config --cflags --libs fuse3) -lpthread 2> "$work/cc.log"; then
	pt=$work/passthrough_ll
fi

mkdir -p "$data/ops"
"$fsops" --setup "$data/ops"
"$bin/vmrpc-mount" -o cache=none host:data "$work/m-vmrpc"
[ -n "$pt" ] && "$pt" -o source="$data",cache=never "$work/m-pt"
# vmrpc-mount leaves permission checks to the client's kernel
# (default_permissions: the serving side runs as one user for all of the
# client's), which then asks for the attributes of every directory on a
# path it checks; passthrough_ll as shipped lets its own host check instead.
[ -n "$pt" ] && "$pt" -o source="$data",cache=never,default_permissions "$work/m-pt-perm"

echo "## Per operation, caches off (loopback; $(uname -r), $(nproc) CPUs)"
echo
echo "| | stat us | open+close us | 4 KiB random read us | create+unlink us | readdir 10,000 us | 1 MiB seq read MiB/s | 1 MiB seq write MiB/s |"
echo "|---|---|---|---|---|---|---|---|"
"$fsops" "$data/ops" "native"
"$fsops" "$work/m-vmrpc/ops" "vmrpc-mount cache=none"
[ -n "$pt" ] && "$fsops" "$work/m-pt/ops" "passthrough_ll cache=never"
[ -n "$pt" ] && "$fsops" "$work/m-pt-perm/ops" "passthrough_ll cache=never,default_permissions"
LD_PRELOAD=$shim "$fsops" "/host$data/ops" "shim" 2> "$work/shim.err" ||
	echo "| shim | (failed: $(head -c 120 "$work/shim.err" | tr '\n' ' ')) |"
umount "$work/m-vmrpc"
[ -n "$pt" ] && umount "$work/m-pt" && umount "$work/m-pt-perm"

# git status on a tree of $files files, with caches on
mkdir -p "$data/git"
(
	cd "$data/git"
	git init -q .
	for d in $(seq 0 $((files / 100 - 1))); do
		mkdir "d$d"
		for f in $(seq 0 99); do echo "$d $f" > "d$d/f$f"; done
	done
	git add . && git -c user.email=b@x -c user.name=b commit -q -m tree
)
"$bin/vmrpc-mount" -o cache=auto host:data "$work/m-vmrpc-auto"
"$bin/vmrpc-mount" -o cache=always host:data "$work/m-vmrpc-always"
[ -n "$pt" ] && "$pt" -o source="$data" "$work/m-pt-auto"

# the median of 5 runs, after one to warm the caches, in ms; "failed: ..."
# when git reports errors (a server out of descriptors, say)
git_status_ms() {
	local t=() s e
	if ! (cd "$1" && git status --short > /dev/null 2> "$work/git.err") ||
		[ -s "$work/git.err" ]; then
		echo "failed: $(sort "$work/git.err" | sed 's/^[^:]*: //' | uniq -c | sort -rn |
			head -1 | sed 's/^ *//')"
		return
	fi
	for _ in 1 2 3 4 5; do
		s=$(date +%s%N)
		(cd "$1" && git status --short > /dev/null)
		e=$(date +%s%N)
		t+=($(((e - s) / 1000000)))
	done
	printf '%s\n' "${t[@]}" | sort -n | sed -n 3p
}

# ms, and the ratio to native_ms
git_row() {
	local ms
	ms=$(git_status_ms "$2")
	case $ms in
	failed*) echo "| $1 | $ms | - |" ;;
	*) echo "| $1 | $ms | $(awk -v a="$ms" -v b="$native_ms" 'BEGIN { printf "%.1f", a / b }') |" ;;
	esac
}

echo
echo "## git status, $files files, caches on"
echo
echo "| | ms | x native |"
echo "|---|---|---|"
native_ms=$(git_status_ms "$data/git")
echo "| native | $native_ms | 1.0 |"
git_row "vmrpc-mount cache=auto" "$work/m-vmrpc-auto/git"
git_row "vmrpc-mount cache=always" "$work/m-vmrpc-always/git"
[ -n "$pt" ] && git_row "passthrough_ll (default cache; one O_PATH per inode)" "$work/m-pt-auto/git"
true
