#!/usr/bin/env bash
# Real programs on a real vmrpc-mount (FUSE) of a host export (a guest's
# mount, served by its shadow) and of a guest export (the host's mount,
# served by vmrpc-guestd; on loopback both sides are this machine), against
# the same programs run natively: git (init, add, commit, status, log, checkout,
# gc, fsck), tar, sed -i, sort -T, cp -a (modes, times, xattrs, links), a
# FIFO, flock and POSIX locks between processes, sqlite3 in WAL mode with a
# second process reading, python3 os.walk/shutil/mmap, a program run from
# the mount, make -j2 with gcc (and a rebuild), rsync -a -H both ways, zip
# and unzip, a static binary built and run there, large files read in
# parallel, and the errors ENOENT, EEXIST,
# ENOTEMPTY, ENOTDIR. Each case runs twice, natively in DIR and on the mount
# in DIR, and must give the same stdout, stderr and exit status.
#
# Then the mount's life: -o ro, cache=none, a host change seen with
# cache=auto, an export the host does not have, no hostd, SIGTERM (a clean
# unmount), a shadow killed, guestd stopped and a hostd stopped under a
# mount (EIO, never a hang, and the mount goes away).
#
# usage: programs.sh VMRPC_HOSTD VMRPC_SHADOW VMRPC_MOUNT VMRPC_GUESTD
# Needs root and /dev/fuse (exits 77, skipped, otherwise). Asserts no timings.
set -uo pipefail
hostd=$1 shadow=$2 mnt_bin=$3 guestd=$4
# shellcheck source=test/mount/cases.sh
. "$(dirname "$0")/cases.sh"

if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/fuse ]; then
	echo "skip: needs root and /dev/fuse"
	exit 77
fi

work=$(mktemp -d /tmp/vmrpc-mount.XXXXXX)
chmod 755 "$work"
native=$work/native exp=$work/exp ro_exp=$work/ro mp=$work/mnt wb_exp=$work/wbexp
mkdir -p "$native" "$exp" "$ro_exp" "$mp" "$work/rt" "$wb_exp"
echo "read only" > "$ro_exp/file"
export VMRPC_RUNTIME_DIR=$work/rt VMRPC_REGION=mnttest VMRPC_HOSTD_CGROUP=off
hostd_pid=
guestd_pid=

unmount_all() {
	while read -r _ m _; do
		case $m in "$work"/*) umount -l "$m" 2>/dev/null ;; esac
	done < /proc/mounts
}
cleanup() {
	unmount_all
	[ -n "$guestd_pid" ] && kill "$guestd_pid" 2>/dev/null && wait "$guestd_pid"
	[ -n "$hostd_pid" ] && kill "$hostd_pid" 2>/dev/null && wait "$hostd_pid"
	rm -rf "$work"
}
trap cleanup EXIT

start_hostd() {
	"$hostd" --loopback mnttest --shadow "$shadow" --channels 32 \
		--export "data=$exp" --export-ro "ro=$ro_exp" --export "wb=$wb_exp" \
		2>> "$work/hostd.log" &
	hostd_pid=$!
	for _ in $(seq 100); do
		[ -S "$work/rt/mnttest.sock" ] && return 0
		sleep 0.05
	done
	echo "hostd did not start:"
	cat "$work/hostd.log"
	exit 1
}

# The pid of the vmrpc-mount process serving mountpoint $1 (it forked).
mount_pid() {
	local d
	for d in /proc/[0-9]*; do
		[ "$(cat "$d/comm" 2>/dev/null)" = vmrpc-mount ] || continue
		tr '\0' ' ' < "$d/cmdline" 2>/dev/null | grep -q -- " $1\( \|$\)" &&
			echo "${d#/proc/}" && return
	done
}

is_mounted() { grep -q " $1 fuse.vmrpc " /proc/mounts; }

# Wait until mountpoint $1 is no longer mounted (at most 10 s).
wait_unmounted() {
	for _ in $(seq 200); do
		is_mounted "$1" || return 0
		sleep 0.05
	done
	return 1
}

cases_setup "$work"
start_hostd

# ---- the programs ----
if ! "$mnt_bin" host:data "$mp" -o channels=4; then
	fail "mount host:data"
	exit 1
fi
is_mounted "$mp" || fail "host:data is not in /proc/mounts"
for c in "${cases_all[@]}"; do
	run_case "$c"
done

# a change made on the host is seen (cache=auto: within the 1 s timeout)
echo "from the host" > "$exp/hostnew"
sleep 1.2
[ "$(cat "$mp/hostnew" 2>&1)" = "from the host" ] || fail "a host file is not seen"
echo "changed on the host" > "$exp/hostnew"
sleep 1.2
[ "$(cat "$mp/hostnew" 2>&1)" = "changed on the host" ] || fail "a host change is not seen"

# SIGTERM: a clean unmount, exit 0, the shadow gone with the channel
pid=$(mount_pid "$mp")
[ -n "$pid" ] || fail "no vmrpc-mount process for $mp"
kill -TERM "$pid"
wait_unmounted "$mp" || fail "SIGTERM did not unmount"
for _ in $(seq 100); do [ -d "/proc/$pid" ] || break; sleep 0.05; done
[ -d "/proc/$pid" ] && fail "vmrpc-mount still runs after SIGTERM"
echo "ok: SIGTERM unmounts"

# ---- options ----
"$mnt_bin" host:ro "$mp" || fail "mount host:ro"
[ "$(cat "$mp/file")" = "read only" ] || fail "host:ro: read"
out=$(touch "$mp/new" 2>&1) && fail "host:ro: a write worked"
case $out in *"Read-only file system"*) ;; *) fail "host:ro: $out" ;; esac
umount "$mp" && wait_unmounted "$mp" || fail "umount host:ro"
"$mnt_bin" -o ro host:data "$mp" || fail "mount -o ro"
out=$(mkdir "$mp/x" 2>&1) && fail "-o ro: mkdir worked"
grep -q " $mp fuse.vmrpc ro," /proc/mounts || fail "-o ro: not a ro mount"
umount "$mp" && wait_unmounted "$mp" || fail "umount -o ro"
"$mnt_bin" -o cache=none,spin=20000 host:data "$mp" || fail "mount cache=none"
echo one > "$mp/cn" && echo two > "$exp/cn" && [ "$(cat "$mp/cn")" = two ] ||
	fail "cache=none: a host change is not seen at once"
run_case sed
umount "$mp" && wait_unmounted "$mp" || fail "umount cache=none"
# cache=always caches for a day: what the host changes must still arrive,
# pushed by the watch (issue 12 asks for 100 ms; this allows 1 s on a
# loaded machine and prints what it took)
seen_within() { # FILE EXPECTED: ms until FILE reads EXPECTED, or fail after 1 s
	local s e
	s=$(date +%s%N)
	for _ in $(seq 100); do
		[ "$(cat "$1" 2>&1)" = "$2" ] && e=$(date +%s%N) && echo $(((e - s) / 1000000)) &&
			return 0
		sleep 0.01
	done
	return 1
}
"$mnt_bin" -o cache=always host:data "$mp" || fail "mount cache=always"
echo before > "$exp/ca" && cat "$mp/ca" > /dev/null && ls "$mp" > /dev/null
echo "after, longer" > "$exp/ca"
ms=$(seen_within "$mp/ca" "after, longer") || fail "cache=always: a host write is not seen"
echo new > "$exp/ca.new"
ms2=$(seen_within "$mp/ca.new" new) || fail "cache=always: a host file is not seen"
rm "$exp/ca.new"
for _ in $(seq 100); do [ -e "$mp/ca.new" ] || break; sleep 0.01; done
[ -e "$mp/ca.new" ] && fail "cache=always: a host unlink is not seen"
echo mine > "$mp/ca" && [ "$(cat "$exp/ca")" = mine ] || fail "cache=always: own write"
umount "$mp" && wait_unmounted "$mp" || fail "umount cache=always"
echo "ok: cache=always sees host changes (a write in ${ms:-?} ms, a new name in ${ms2:-?} ms)"

# mount(8)'s helper, with fstab's options
"$(dirname "$mnt_bin")/mount.vmrpc" host:data "$mp" -o rw,noauto,nofail,_netdev,x-a=b,cache=none ||
	fail "mount.vmrpc"
[ -d "$mp/git" ] || fail "mount.vmrpc: nothing mounted"
umount "$mp" && wait_unmounted "$mp" || fail "umount mount.vmrpc"
echo "ok: ro, export-ro, cache=none, mount.vmrpc"

# the writeback cache: the same results as native, and what a program
# closed is on the serving side
out=$("$mnt_bin" -o cache=none,writeback host:wb "$mp" 2>&1) && fail "cache=none,writeback mounted"
case $out in *"not with cache=none"*) ;; *) fail "cache=none,writeback: $out" ;; esac
"$mnt_bin" -o writeback host:wb "$mp" || fail "mount -o writeback"
native=$work/native.wb
mkdir -p "$native"
for c in append git sqlite cp make rsync zip big errors; do
	run_case "$c"
done
echo "written through the cache" > "$mp/closed"
[ "$(cat "$wb_exp/closed")" = "written through the cache" ] ||
	fail "writeback: a closed file's data is not on the serving side"
umount "$mp" && wait_unmounted "$mp" || fail "umount -o writeback"
native=$work/native
echo "ok: -o writeback"

# ---- the reverse direction: the host mounts a guest export ----
gexp=$work/gexp
mkdir -p "$gexp"
printf 'export = gdata %s\n' "$gexp" > "$work/guestd.conf"
"$guestd" -r mnttest -c "$work/guestd.conf" 2>> "$work/guestd.log" &
guestd_pid=$!
for _ in $(seq 100); do grep -q "serving 2 interfaces" "$work/guestd.log" && break; sleep 0.05; done
out=$("$mnt_bin" mnttest:nosuch "$mp" 2>&1) && fail "mnttest:nosuch mounted"
case $out in *"guest exports no 'nosuch'"*) ;; *) fail "mnttest:nosuch: $out" ;; esac
"$mnt_bin" mnttest:gdata "$mp" || fail "mount mnttest:gdata"
native=$work/native.reverse
mkdir -p "$native"
for c in git tar sed sort cp fifo flock sqlite python exec make rsync zip static big errors; do
	run_case "$c"
done
ls "$gexp/git/r/f1" > /dev/null || fail "the guest export does not have what the mount wrote"
kill -TERM "$guestd_pid" && wait "$guestd_pid"
guestd_pid=
out=$(timeout 20 cat "$mp/git/r/f1" 2>&1)
st=$?
[ $st -eq 124 ] && fail "a read hung after guestd stopped"
[ $st -eq 0 ] && fail "a read worked after guestd stopped"
wait_unmounted "$mp" || fail "the mount stays after guestd stopped"
echo "ok: the reverse direction; a stopped guestd ends the mount ($out)"

# ---- clear errors ----
out=$("$mnt_bin" host:nosuch "$mp" 2>&1) && fail "host:nosuch mounted"
case $out in *"exports no 'nosuch'"*) ;; *) fail "host:nosuch: $out" ;; esac
out=$("$mnt_bin" vm1:/x "$mp" 2>&1) && fail "vm1:/x mounted"
out=$(VMRPC_REGION=nobody "$mnt_bin" host:data "$mp" 2>&1) && fail "mounted without hostd"
[ -n "$out" ] || fail "no message without hostd"
is_mounted "$mp" && fail "a failed mount is mounted"
echo "ok: errors"

# ---- the serving side goes away ----
"$mnt_bin" host:data "$mp" || fail "mount again"
ls "$mp" > /dev/null || fail "ls"
pid=$(mount_pid "$mp")
spid=$(grep "caller pid $pid uid" "$work/hostd.log" | tail -1 | sed 's/.*shadow pid //')
[ -n "$spid" ] || fail "no shadow pid for the mount in hostd's log"
kill -KILL "$spid"
out=$(timeout 20 cat "$mp/git/r/f1" 2>&1)
st=$?
[ $st -eq 124 ] && fail "a read hung after the shadow died"
[ $st -eq 0 ] && fail "a read worked after the shadow died"
wait_unmounted "$mp" || fail "the mount stays after the shadow died"
echo "ok: a dead shadow ends the mount ($out)"

"$mnt_bin" host:data "$mp" || fail "mount after a shadow died"
ls "$mp" > /dev/null || fail "ls"
kill -TERM "$hostd_pid" && wait "$hostd_pid"
hostd_pid=
out=$(timeout 20 ls "$mp/git" 2>&1)
st=$?
[ $st -eq 124 ] && fail "ls hung after hostd stopped"
wait_unmounted "$mp" || fail "the mount stays after hostd stopped"
echo "ok: a stopped hostd ends the mount"

if [ "$failures" -ne 0 ]; then
	echo "$failures failure(s); hostd's log:"
	cat "$work/hostd.log"
	echo "guestd's log:"
	cat "$work/guestd.log" 2>/dev/null
	exit 1
fi
echo "all passed"
