#!/usr/bin/env bash
# Polling against vmrpc.ko in one real guest (QEMU TCG), side by side:
# bench/vm.sh BUILD_DIR [RUNS]
#
# One boot of the Debian cloud kernel with an ivshmem-doorbell device served
# by vmrpc-hostd, and vmrpc.ko (built here against that kernel's headers)
# loaded. Two phases, each with its own vmrpc-guestd:
#   polling: guestd on "sysfs:ADDR" (the whole region through sysfs, polling
#            with backoff up to 50 ms), callers on "sysfs:ADDR" too (polling
#            with backoff up to 1 ms);
#   driver:  guestd on "pci:ADDR" (sleeping on the control vector), callers
#            on "dev:/dev/vmrpc0" (sleeping on their channel's vector).
# Each phase measures, in this order: guestd's wake-ups (context switches
# of all its threads) and the guest's local timer interrupts while it idles
# for 10 s; from the host, RUNS (default 30) `vmrpc guest-run -- true`
# back to back and RUNS 0.5 s apart (a guest idle between calls), p50 of the
# wall time; in the guest, the p50 of 2000 null calls and the p50 and
# mean of 200 host calls that block in a 10 ms SO_RCVTIMEO on the host
# (vmrpc-vm-driver bench), beside the same receive timeout natively on the
# host (the host rounds it up to its timer ticks); and the reply delay
# itself: 200 host calls that sleep 10 ms in benchnull_service.so and
# return how long they slept by the host's clock, less that from the
# guest's total (called through the dynamic path).
#
# TCG emulates every guest instruction: these figures compare the two
# mechanisms with each other in the same boot, nothing else. See
# docs/benchmarks.md for what real KVM changes.
set -euo pipefail

build=$(cd "${1:?usage: bench/vm.sh BUILD_DIR [RUNS]}" && pwd)
runs=${2:-30}
src=$(cd "$(dirname "$0")/.." && pwd)
hostd=$build/bin/vmrpc-hostd
vmrpc=$build/bin/vmrpc
service=$build/lib/calc_service.so
bench_service=$build/lib/benchnull_service.so
guest_bins=("$build/bin/vmrpc-vm-driver" "$build/bin/vmrpc-guestd-static")
qemu=$(command -v qemu-system-x86_64)
busybox=/bin/busybox
kernel=$(ls /boot/vmlinuz-*-cloud-amd64 | sort -V | tail -n 1)
release=$(basename "$kernel" | sed 's/^vmlinuz-//')
kbuild=/lib/modules/$release/build

die() { echo "vm-bench: FAIL: $*" >&2; exit 1; }
for f in "$hostd" "$vmrpc" "$service" "$bench_service" "${guest_bins[@]}" "$kbuild/Makefile"; do
	[ -e "$f" ] || die "$f is missing (build the tree; .ci/install-deps)"
done

work=$(mktemp -d /tmp/vmrpc-vmbench.XXXXXX)
hostd_pid= qemu_pid=
cleanup() {
	local rc=$?
	set +e # a wait on a killed QEMU returns 137: go on cleaning up
	[ -n "$qemu_pid" ] && kill -KILL "$qemu_pid" 2>/dev/null && wait "$qemu_pid" 2>/dev/null
	[ -n "$hostd_pid" ] && kill -TERM "$hostd_pid" 2>/dev/null && wait "$hostd_pid" 2>/dev/null
	[ $rc != 0 ] && [ -e "$work/console.log" ] && tr -d '\r' <"$work/console.log" | tail -n 60
	rm -rf "$work"
	exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# shellcheck source=test/vm/guest_root.sh
. "$src/test/vm/guest_root.sh" # build_vmrpc_ko
build_vmrpc_ko "$work/kmod" "$kbuild" || { cat "$work/kmod.log"; die "vmrpc.ko"; }

# hostd's locks and loopback files in a directory of this run's own: a
# VM-name lock in the default /dev/shm/vmrpc would make two runs at once
# (on a shared machine) refuse each other.
export VMRPC_RUNTIME_DIR=$work/run
mkdir -p "$VMRPC_RUNTIME_DIR"
if [ "$(id -u)" = 0 ]; then user_line="user = 65534"$'\n'"group = 65534"; else user_line=; fi
cat >"$work/hostd.conf" <<CONF
[vm vmb]
transport = ivshmem-doorbell
shm-size = 4M
socket = $work/vmb.sock
host-socket = $work/vmb.host.sock
channels = 8
channel-size = 256K
service = $service
service = $bench_service
$user_line
CONF
"$hostd" --config "$work/hostd.conf" >"$work/hostd.log" 2>&1 &
hostd_pid=$!
for _ in $(seq 100); do [ -S "$work/vmb.sock" ] && break; sleep 0.1; done
[ -S "$work/vmb.sock" ] || die "hostd did not start: $(cat "$work/hostd.log")"

root=$work/root
mkdir -p "$root"/{bin,proc,sys,dev,tmp,etc,lib}
cp "$busybox" "$root/bin/busybox"
cp "${guest_bins[@]}" "$root/bin/"
mv "$root/bin/vmrpc-guestd-static" "$root/bin/vmrpc-guestd"
cp "$work/kmod/vmrpc.ko" "$root/lib/"
printf 'exec = true\nexec = touch\npath = /bin\n' >"$root/etc/guestd.conf"
cat >"$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
insmod /lib/vmrpc.ko
addr=0000:00:10.0
ctx() { # context switches of all of process $1's threads
	cat /proc/$1/task/*/status | awk '/ctxt_switches/ { n += $2 } END { print n }'
}
loc() { awk '/^ *LOC:/ { print $2 }' /proc/interrupts; }
phase() { # phase NAME GUESTD_REGION CALLER_REGION
	vmrpc-guestd -r $2 -c /etc/guestd.conf 2>/tmp/guestd-$1.log &
	gd=$!
	sleep 2
	c0=$(ctx $gd) l0=$(loc)
	sleep 10
	c1=$(ctx $gd) l1=$(loc)
	echo "VMBENCH $1 idle 10 s: guestd $((c1 - c0)) wake-ups, guest timer interrupts $((l1 - l0))"
	echo "VMBENCH $1 ready"
	until [ -e /tmp/go-$1 ]; do sleep 0.1; done
	echo "VMBENCH $1 $(vmrpc-vm-driver bench $3 2000)"
	kill $gd
	wait $gd
	head -n 3 /tmp/guestd-$1.log
}
phase polling sysfs:$addr sysfs:$addr
phase driver pci:$addr dev:/dev/vmrpc0
echo "VMBENCH done"
poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initramfs.gz"

"$qemu" -accel tcg -m 256 -smp 1 -nodefaults -display none -no-reboot \
	-serial "file:$work/console.log" -kernel "$kernel" -initrd "$work/initramfs.gz" \
	-append "console=ttyS0 panic=-1 quiet" \
	-chardev "socket,id=vmb,path=$work/vmb.sock" \
	-device ivshmem-doorbell,chardev=vmb,vectors=9,addr=0x10 >"$work/qemu.log" 2>&1 &
qemu_pid=$!
console() { { tr -d '\r' <"$work/console.log"; } 2>/dev/null; }
wait_console() {
	for _ in $(seq 1500); do
		console | grep -q -- "$1" && return 0
		kill -0 "$qemu_pid" 2>/dev/null || die "the guest stopped before '$1'"
		sleep 0.2
	done
	die "the guest never printed '$1'"
}
now_us() { echo $(($(date +%s%N) / 1000)); }

echo "vmrpc in a QEMU TCG guest ($release, QEMU $("$qemu" --version | sed -n 's/.*version \([^ ]*\).*/\1/p')): polling and vmrpc.ko in one boot"
for phase in polling driver; do
	wait_console "VMBENCH $phase ready"
	for gap in 0 0.5; do
		: >"$work/true.us"
		for _ in $(seq "$runs"); do
			sleep "$gap"
			t0=$(now_us)
			"$vmrpc" guest-run "$work/vmb.host.sock" -- true </dev/null >/dev/null ||
				die "guest-run true ($phase)"
			echo $(($(now_us) - t0)) >>"$work/true.us"
		done
		p50=$(sort -n "$work/true.us" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
		echo "$phase: guest-sourced 'true' (vmrpc guest-run from the host, ${gap} s apart) p50 $((p50 / 1000)).$(((p50 % 1000) / 100)) ms ($runs runs)" >>"$work/results"
	done
	"$vmrpc" guest-run "$work/vmb.host.sock" -- touch /tmp/go-$phase </dev/null >/dev/null
done
wait_console "VMBENCH done"
echo "host: $("$build/bin/vmrpc-vm-driver" native-block)"
for phase in polling driver; do
	console | sed -n "s/^VMBENCH $phase idle/$phase: idle/p"
	grep "^$phase:" "$work/results"
	console | sed -n "s/^VMBENCH $phase bench [^ ]*: /$phase: /p"
done
wait "$qemu_pid" || true
qemu_pid=
