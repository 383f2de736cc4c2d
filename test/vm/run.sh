#!/usr/bin/env bash
# The VM test: a real guest kernel, real ivshmem PCI devices in real QEMU
# (TCG: this machine's /dev/kvm cannot run a stock guest), served by a real
# vmrpc-hostd. Usage: test/vm/run.sh BUILD_DIR
#
# One hostd serves two VMs from a configuration file: "vmb" over
# ivshmem-doorbell (hostd is the ivshmem server on a unix socket) and "vmp"
# over ivshmem-plain (QEMU maps the shm file itself). The guest gets both
# devices and a third ivshmem device full of somebody else's bytes, and
# runs, on each vmrpc device: host calls checked one by one (test/vm/
# guest_calls.c: identity as the configured user, files, cwd, errors, calls
# that wake a sleeping shadow, detach and reattach, per-caller cwd across
# guest processes), the examples calc-demo and hostcat; and it checks that
# the foreign device is refused. Then hostd restarts (adopting the region
# files), the VM boots again and calls once more over the doorbell device.
# Every result is checked; any failure prints the guest console and hostd's
# log and exits 1. QEMU and hostd are killed and everything removed on any
# exit. (Guest-sourced calls are not in the tree yet: none are run.)
set -euo pipefail

build=$(cd "${1:?usage: test/vm/run.sh BUILD_DIR}" && pwd)
hostd=$build/hostd/vmrpc-hostd
service=$build/examples/calc_service.so
guest_bins=("$build/test/vm/vmrpc-vm-guest" "$build/test/vm/vmrpc-vm-foreign"
	    "$build/examples/calc-demo-static" "$build/examples/hostcat-static")
boot_timeout=100 # seconds per boot; TCG boots in ~5 s, the tests take ~10 s

say() { echo "vm-test: $*"; }
die() { echo "vm-test: FAIL: $*" >&2; exit 1; }

qemu=$(command -v qemu-system-x86_64 || true)
busybox=/bin/busybox # busybox-static's: the initramfs has no libc
kernel=$(ls /boot/vmlinuz-*-cloud-amd64 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$qemu" ] || die "qemu-system-x86_64 not found (run .ci/install-deps)"
[ -x "$busybox" ] || die "busybox not found (run .ci/install-deps: busybox-static)"
[ -n "$kernel" ] || die "no /boot/vmlinuz-*-cloud-amd64 (run .ci/install-deps)"
command -v cpio >/dev/null || die "cpio not found (run .ci/install-deps)"
for f in "$hostd" "$service" "${guest_bins[@]}"; do
	[ -e "$f" ] || die "$f is missing: build the tree first (VMRPC_STATIC_GUEST=ON)"
done

start=$SECONDS
work=$(mktemp -d /tmp/vmrpc-vm.XXXXXX)
shm=/dev/shm/vmrpc-vmtest-$$
hostd_pid=
qemu_pid=
failed=1

cleanup() {
	local rc=$?
	[ -n "$qemu_pid" ] && kill -KILL "$qemu_pid" 2>/dev/null && wait "$qemu_pid" 2>/dev/null
	if [ -n "$hostd_pid" ]; then
		kill -TERM "$hostd_pid" 2>/dev/null && wait "$hostd_pid" 2>/dev/null
	fi
	if [ "$failed" = 1 ]; then
		for log in "$work"/console-*.log; do
			[ -e "$log" ] && { echo "----- guest console ($log):"; cat "$log"; }
		done
		[ -e "$work/hostd.log" ] && { echo "----- hostd log:"; cat "$work/hostd.log"; }
		echo "-----"
	fi
	rm -rf "$work" "$shm"-*
	exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ---- the host side: a directory for host calls, hostd's configuration ----
if [ "$(id -u)" = 0 ]; then
	uid=65534 gid=65534 user_line="user = 65534"$'\n'"group = 65534"
else
	uid=$(id -u) gid=$(id -g) user_line=
fi
hostdir=$work/host
mkdir -p "$hostdir"/d0 "$hostdir"/d1 "$hostdir"/d2
printf 'hello from the host\n' >"$hostdir/hello.txt"
for d in 0 1 2; do printf 'd%d\n' $d >"$hostdir/d$d/same.txt"; done
chmod -R a+rX "$work"
[ "$(id -u)" = 0 ] && chown "$uid:$gid" "$hostdir"

cat >"$work/hostd.conf" <<CONF
# written by test/vm/run.sh
[vm vmb]
transport = ivshmem-doorbell
shm-file = $shm-bell
shm-size = 4M
socket = $work/vmb.sock
channels = 8
channel-size = 256K
service = $service
$user_line

[vm vmp]
transport = ivshmem-plain
shm-file = $shm-plain
shm-size = 4M
channels = 8
channel-size = 256K
service = $service
$user_line
CONF

start_hostd() {
	"$hostd" --config "$work/hostd.conf" >>"$work/hostd.log" 2>&1 &
	hostd_pid=$!
	for _ in $(seq 100); do
		[ "$(grep -c "serving $shm" "$work/hostd.log")" -ge "$1" ] && [ -S "$work/vmb.sock" ] &&
			return 0
		kill -0 "$hostd_pid" 2>/dev/null || die "vmrpc-hostd exited at start"
		sleep 0.1
	done
	die "vmrpc-hostd did not start serving within 10 s"
}

stop_hostd() {
	local children status=0
	children=$(pgrep -P "$hostd_pid" || true)
	kill -TERM "$hostd_pid"
	wait "$hostd_pid" || status=$?
	hostd_pid=
	[ "$status" = 0 ] || die "vmrpc-hostd exited with status $status on SIGTERM"
	for p in $children; do
		kill -0 "$p" 2>/dev/null && die "hostd's process $p outlived it"
	done
	if pgrep -x vmrpc-shadow -u "$uid" >/dev/null && [ "$uid" != "$(id -u)" ]; then
		die "a vmrpc-shadow of uid $uid is still running"
	fi
	return 0
}

# ---- the guest: busybox, the static programs, and /init ----
make_initramfs() {
	local mode=$1 root=$work/root-$1
	mkdir -p "$root"/{bin,proc,sys,dev,tmp}
	cp "$busybox" "$root/bin/busybox"
	for f in "${guest_bins[@]}"; do cp "$f" "$root/bin/"; done
	cat >"$root/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
fail=0
bell=pci:0000:00:10.0 plain=pci:0000:00:11.0 foreign=0000:00:12.0
check() { # check WHAT PATTERN COMMAND...: run it, its output must match
	what=\$1 pattern=\$2; shift 2
	if "\$@" >/tmp/out 2>&1 && grep -q "\$pattern" /tmp/out; then
		echo "VMTEST ok: \$what"
	else
		echo "VMTEST FAILED: \$what (\$*):"; cat /tmp/out; fail=1
	fi
	cat /tmp/out
}
echo "VMTEST start ($mode)"
ls /sys/bus/pci/devices/
if [ $mode = full ]; then
	for dev in \$bell \$plain; do
		check "host calls over \$dev" '0 failed' vmrpc-vm-guest \$dev $hostdir $uid $gid
		export VMRPC_REGION=\$dev
		check "calc-demo over \$dev" 'add(40, 2) = 42' calc-demo-static vm
		check "calc-demo greet over \$dev" 'greet("vm") = ' calc-demo-static vm
		check "hostcat over \$dev" 'hello from the host' hostcat-static $hostdir/hello.txt
		check "hostcat -C over \$dev" '^d1\$' hostcat-static -C $hostdir/d1 same.txt
		unset VMRPC_REGION
	done
	check "a foreign ivshmem device is refused" 'pci: finds' vmrpc-vm-foreign \$foreign
else
	export VMRPC_REGION=\$bell
	check "calc-demo over \$bell after hostd restarted" 'add(40, 2) = 42' calc-demo-static vm
fi
[ \$fail = 0 ] && echo "VMTEST RESULT PASS" || echo "VMTEST RESULT FAIL"
poweroff -f
INIT
	chmod +x "$root/init"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initramfs-$mode.gz"
}

boot() {
	local mode=$1 log=$work/console-$1.log status=0
	"$qemu" -accel tcg -m 256 -smp 1 -nodefaults -display none -no-reboot \
		-serial "file:$log" -kernel "$kernel" -initrd "$work/initramfs-$mode.gz" \
		-append "console=ttyS0 panic=-1 quiet" \
		-chardev "socket,id=vmb,path=$work/vmb.sock" \
		-device ivshmem-doorbell,chardev=vmb,vectors=9,addr=0x10 \
		-object "memory-backend-file,id=vmp,share=on,mem-path=$shm-plain,size=4M" \
		-device ivshmem-plain,memdev=vmp,addr=0x11 \
		-object "memory-backend-file,id=junk,share=on,mem-path=$shm-junk,size=1M" \
		-device ivshmem-plain,memdev=junk,addr=0x12 \
		>"$work/qemu-$mode.log" 2>&1 &
	qemu_pid=$!
	timeout_at=$((SECONDS + boot_timeout))
	while kill -0 "$qemu_pid" 2>/dev/null; do
		[ $SECONDS -lt $timeout_at ] || die "the guest ($mode) did not power off within $boot_timeout s"
		sleep 0.2
	done
	wait "$qemu_pid" || status=$?
	qemu_pid=
	[ "$status" = 0 ] || { cat "$work/qemu-$mode.log"; die "QEMU ($mode) exited with status $status"; }
	grep -q "VMTEST RESULT PASS" "$log" || die "the guest ($mode) reported failures"
	if grep -q "^not ok" "$log"; then die "the guest ($mode) reported a failed check"; fi
}

wait_log() { # wait_log COUNT PATTERN: hostd's log has COUNT lines matching
	for _ in $(seq 100); do
		[ "$(grep -c -- "$2" "$work/hostd.log")" -ge "$1" ] && return 0
		sleep 0.1
	done
	die "hostd's log never showed $1 line(s) with '$2'"
}

head -c 1M /dev/urandom >"$shm-junk"
start_hostd 2
make_initramfs full
make_initramfs again

say "booting the guest ($(basename "$kernel"), QEMU TCG)"
boot full
say "guest run: $(grep -c '^VMTEST ok' "$work/console-full.log") checks passed, $(grep -c '^ok' "$work/console-full.log") host-call checks"
grep -q "written by the guest" "$hostdir/from-guest.txt" || die "the guest's host write is not on the host"
wait_log 1 "vm 'vmb': QEMU pid .* connected as ivshmem peer"
wait_log 1 "vm 'vmb': QEMU pid .* disconnected"
wait_log 1 "vm 'vmb': channel .* attached: guest caller pid .* uid $uid"
wait_log 1 "vm 'vmp': channel .* attached: guest caller pid .* uid $uid"
if grep -E "shadow pid .* exited with|cannot|refused" "$work/hostd.log"; then
	die "hostd logged a shadow crash or a refusal"
fi

say "restarting hostd: it adopts both regions"
stop_hostd
start_hostd 4
boot again
wait_log 2 "vm 'vmb': QEMU pid .* disconnected"
stop_hostd
failed=0
say "PASS in $((SECONDS - start)) s"
