#!/usr/bin/env bash
# The VM test: a real guest kernel, real ivshmem PCI devices in real QEMU
# (TCG: this machine's /dev/kvm cannot run a stock guest), served by a real
# vmrpc-hostd, with the real vmrpc-guestd in the guest. Usage:
# test/vm/run.sh BUILD_DIR
#
# One hostd serves two VMs from a configuration file: "vmb" over
# ivshmem-doorbell (hostd is the ivshmem server on a unix socket and hands
# QEMU a sealed memfd) and "vmp" over ivshmem-plain (QEMU maps the shm file
# itself). The guest gets both
# devices and a third ivshmem device full of somebody else's bytes.
#
# Boot 1 ("full"): the guest starts vmrpc-guestd on both devices and runs,
# on each device, host calls checked one by one (test/vm/guest_calls.c:
# identity as the configured user, files, cwd, errors, calls that wake a
# sleeping shadow, detach and reattach, per-caller cwd across guest
# processes), the examples calc-demo, hostcat and hostrun, every IDL type
# through the dynamic path (vmrpc-vm-dyn host, below), and checks that the
# foreign device is refused. Then the host makes guest-sourced calls with
# `vmrpc guest-run` (stdout and stderr, exit status, stdin, a command the
# guest's policy refuses, one not found, -t, a host caller killed mid-command,
# guest-info, the wrapper symlink), uses vmrpc list, status, describe and
# call (vmrpc-guest does the same from the guest) and runs vmrpc-vm-dyn
# guest; its last call lets the guest go on. A
# guest caller killed with SIGKILL in the middle of a host call must then be
# detached by guestd, its shadow reaped by hostd and its channel reused; and
# a caller is left in a host call over ivshmem-plain when the guest powers off.
# Boot 2 ("reboot", same hostd, same region files): the new boot's guestd
# writes a new boot id and hostd must reclaim that stale channel; one more
# guest-sourced call goes over ivshmem-plain. Then hostd restarts (adopting
# the ivshmem-plain region file; the doorbell VM's region is a sealed memfd,
# made anew), and boot 3 ("driver") loads vmrpc.ko, built by this script
# against the headers of the kernel it boots (while boot 1 runs), and runs
# boot 1's guest checks and guest-sourced calls again through the driver's
# devices, with guestd sleeping on its interrupts; then the driver's own
# checks (test/vm/guest_driver.c): no process maps or touches another's
# channel, a non-root user in the udev rule's group makes host calls, a
# caller killed with no guestd running has its channel freed by the driver,
# rmmod is refused while a channel is attached, unbinding the device under a
# caller frees its channel and faults the caller, and the module unloads,
# reloads and serves again.
#
# File systems, in boots 1 and 3 (test/vm/guest_fs.sh, sourced by /init):
# the guest loads fuse.ko from the booted kernel's modules and mounts the
# host export "data" with vmrpc-mount (dynamically linked, copied in with
# its libraries and libfuse3) on the doorbell device (boot 3: through
# /dev/vmrpc0, found by default, its watch thread sleeping in vmrpc.ko):
# files written and read back, mkdir/rename/unlink, modes, a 4 MiB file
# summed on both sides, tar x and c, a FIFO, a change the host makes in its
# turn; -o ro, the export-ro "rodata" and an export the host lacks; a
# short mount over ivshmem-plain. The host checks afterwards what the guest
# wrote in the export (check_host_files). The shim: host coreutils under
# LD_PRELOAD read, list, write and sum host files on /host, one waiting on a
# host FIFO (boot 3: asleep in vmrpc.ko). The reverse direction: in the
# host's turn, the host mounts the guest's /gexp, which vmrpc-guestd exports
# as "gdata", by the VM's name (vmrpc-mount vmb:gdata), reads, writes,
# renames, sums a 4 MiB file each way and runs tar there (host_mount_guest),
# and the guest checks what it wrote.
#
# Dynamic calls, every IDL type both ways (boots 1 and 3): hostd serves
# test/integration/ffi/ffiall.idl from the build's libffiall.so through
# libffi to both VMs (ffi-service in hostd.conf), and the plain device's
# vmrpc-guestd is the dynamically linked one, copied in with libvmrpc,
# libffi, libffiall.so and ffiall.idl (guestd-ffi.conf: ffi-service), since
# the static one cannot dlopen a library. test/vm/guest_dyn.c
# (vmrpc-vm-dyn) binds ffiall with vmrpc_dyn_bind() and calls every method
# with vmrpc_dyn_call(), each answer compared with the library's own
# function, then values the API must refuse: in the guest on each device
# (`vmrpc-vm-dyn host DEVICE`), and from the host into the guest in the
# host's turn (`vmrpc-vm-dyn guest <vmp's host-caller socket>`).
#
# Every result is checked; any failure prints the guest consoles and hostd's
# log and exits 1. QEMU, hostd, host callers and the host's mount are
# stopped and everything removed on any exit; VMRPC_VM_LOGS=DIR keeps the
# consoles and hostd's log there. Measurements are bench/vm.sh's.
set -euo pipefail

build=$(cd "${1:?usage: test/vm/run.sh BUILD_DIR}" && pwd)
hostd=$build/bin/vmrpc-hostd
vmrpc=$build/bin/vmrpc
service=$build/lib/calc_service.so
guest_bins=("$build/bin/vmrpc-vm-guest" "$build/bin/vmrpc-vm-foreign"
	    "$build/bin/vmrpc-vm-reclaim" "$build/bin/vmrpc-vm-driver" "$build/bin/vmrpc-vm-dyn"
	    "$build/bin/vmrpc-guestd-static"
	    "$build/bin/calc-demo-static" "$build/bin/hostcat-static"
	    "$build/bin/hostrun-static" "$build/bin/vmrpc-guest-static")
mount_bin=$build/bin/vmrpc-mount              # dynamically linked, as installed
guestd_dyn=$build/bin/vmrpc-guestd            # dynamically linked: it dlopens libffiall.so
ffiall_lib=$build/lib/libffiall.so            # ffiall.idl's plain library (test/integration/ffi)
shim_lib=$build/lib/libvmrpc-preload.so
shim_progs=(/usr/bin/cat /usr/bin/ls /usr/bin/sha256sum /usr/bin/tee) # the host's coreutils
boot_timeout=200 # seconds per boot; TCG boots in ~5 s, the tests take ~40 s
run_timeout=60   # seconds per host command: a liveness bound, not a timing

say() { echo "vm-test: $*"; }
die() { echo "vm-test: FAIL: $*" >&2; exit 1; }

qemu=$(command -v qemu-system-x86_64 || true)
busybox=/bin/busybox # busybox-static's: the initramfs has no libc
kernel=$(ls /boot/vmlinuz-*-cloud-amd64 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$qemu" ] || die "qemu-system-x86_64 not found (run .ci/install-deps)"
[ -x "$busybox" ] || die "busybox not found (run .ci/install-deps: busybox-static)"
[ -n "$kernel" ] || die "no /boot/vmlinuz-*-cloud-amd64 (run .ci/install-deps)"
command -v cpio >/dev/null || die "cpio not found (run .ci/install-deps)"
for f in "$hostd" "$vmrpc" "$service" "${guest_bins[@]}" "$guestd_dyn" "$ffiall_lib"; do
	[ -e "$f" ] || die "$f is missing: build the tree first (VMRPC_STATIC_GUEST=ON)"
done
[ -e "$mount_bin" ] || die "$mount_bin is missing: build with libfuse3-dev (VMRPC_MOUNT)"
[ -e "$shim_lib" ] || die "$shim_lib is missing: build the tree first"
for f in "${shim_progs[@]}"; do [ -x "$f" ] || die "$f is missing (coreutils)"; done
command -v modinfo >/dev/null || die "modinfo not found (kmod)"
[ -c /dev/fuse ] || die "no /dev/fuse on the host: the host mounts the guest's export"

# vmrpc.ko is built here, against the headers of the kernel the guest boots.
src=$(cd "$(dirname "$0")/../.." && pwd)
ffiall_idl=$src/test/integration/ffi/ffiall.idl
# shellcheck source=test/vm/guest_root.sh
. "$src/test/vm/guest_root.sh" # copy_module, copy_dynamic, build_vmrpc_ko
release_pat=$(basename "$kernel" | sed 's/^vmlinuz-//')
kbuild=/lib/modules/$release_pat/build
[ -e "$kbuild/Makefile" ] ||
	die "no headers for $release_pat at $kbuild (run .ci/install-deps: linux-headers-cloud-amd64)"
rules=$src/guestlib/70-vmrpc.rules
rule_group=$(sed -n 's/.*GROUP="\([^"]*\)".*/\1/p' "$rules")
rule_mode=$(sed -n 's/.*MODE="\([0-7]*\)".*/\1/p' "$rules")
[ -n "$rule_group" ] && [ -n "$rule_mode" ] || die "$rules sets no GROUP and MODE"

start=$SECONDS
work=$(mktemp -d /tmp/vmrpc-vm.XXXXXX)
shm=/dev/shm/vmrpc-vmtest-$$
hostd_pid=
qemu_pid=
bg_pid=   # a host caller run in the background
kmod_pid= # the module's build, in the background during boot 1
gmount_pid= # the host's vmrpc-mount of the guest's export, while mounted
vmrpc_gid=990 # the guest's group vmrpc
failed=1

cleanup() {
	local rc=$?
	# Not errexit here: a wait on the QEMU just killed returns 137, and
	# must not end the cleanup before hostd is stopped.
	set +e
	[ -n "$bg_pid" ] && kill -KILL "$bg_pid" 2>/dev/null && wait "$bg_pid" 2>/dev/null
	[ -n "$kmod_pid" ] && kill -KILL "$kmod_pid" 2>/dev/null && wait "$kmod_pid" 2>/dev/null
	# (not our child: it went to the background when it had mounted)
	grep -q " $work/gmnt " /proc/mounts && umount -l "$work/gmnt"
	[ -n "$gmount_pid" ] && kill -TERM "$gmount_pid" 2>/dev/null
	[ -n "$qemu_pid" ] && kill -KILL "$qemu_pid" 2>/dev/null && wait "$qemu_pid" 2>/dev/null
	if [ -n "$hostd_pid" ]; then
		kill -TERM "$hostd_pid" 2>/dev/null && wait "$hostd_pid" 2>/dev/null
	fi
	if [ "$failed" = 1 ]; then
		for log in "$work"/console-*.log; do
			[ -e "$log" ] && { echo "----- guest console ($log):"; cat "$log"; }
		done
		[ -e "$work/hostd.log" ] && { echo "----- hostd log:"; cat "$work/hostd.log"; }
		[ -e "$work/run.err" ] && { echo "----- last host caller's stderr:"; cat "$work/run.err"; }
		[ -s "$work/kmod.log" ] && { echo "----- vmrpc.ko's build:"; cat "$work/kmod.log"; }
		echo "-----"
	fi
	# VMRPC_VM_LOGS=DIR keeps the consoles and hostd's log, pass or fail.
	[ -n "${VMRPC_VM_LOGS:-}" ] && mkdir -p "$VMRPC_VM_LOGS" &&
		cp "$work"/console-*.log "$work"/hostd.log "$VMRPC_VM_LOGS"/ 2>/dev/null
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
# hostd's locks and loopback files in a directory of this run's own: a
# VM-name lock in the default /dev/shm/vmrpc would make two runs at once
# (on a shared machine) refuse each other.
export VMRPC_RUNTIME_DIR=$work/run
mkdir -p "$VMRPC_RUNTIME_DIR"
hostdir=$work/host
mkdir -p "$hostdir"/d0 "$hostdir"/d1 "$hostdir"/d2
printf 'hello from the host\n' >"$hostdir/hello.txt"
for d in 0 1 2; do printf 'd%d\n' $d >"$hostdir/d$d/same.txt"; done
mkfifo "$hostdir/fifo" # a host call reading it waits until it is killed
mkfifo "$hostdir/shimfifo" # the shim's reader waits on it for the shim's writer
# The exports the guest mounts (the same for both VMs), and a tree the
# host's mount of the guest's export extracts there.
exportdir=$work/export rodir=$work/export-ro
mkdir -p "$exportdir" "$rodir" "$work/htree/a/b"
printf 'from the host\n' >"$exportdir/host.txt"
head -c 4194304 /dev/urandom >"$exportdir/host-big"
host_big_sum=$(sha256sum <"$exportdir/host-big" | cut -d' ' -f1)
printf 'read only\n' >"$rodir/file"
echo one >"$work/htree/a/one" && echo two >"$work/htree/a/b/two"
chmod -R a+rX "$work"
chmod 0666 "$hostdir/fifo" "$hostdir/shimfifo"
[ "$(id -u)" = 0 ] && chown "$uid:$gid" "$hostdir" "$exportdir"

cat >"$work/hostd.conf" <<CONF
# written by test/vm/run.sh
[vm vmb]
transport = ivshmem-doorbell
shm-size = 4M
socket = $work/vmb.sock
# host-socket: the default, <runtime dir>/vmb.host.sock, which host callers
# find by the VM's name (vmrpc-mount vmb:gdata)
channels = 8
channel-size = 256K
service = $service
ffi-service = $ffiall_idl:$ffiall_lib
export = data $exportdir
export-ro = rodata $rodir
$user_line

[vm vmp]
transport = ivshmem-plain
shm-file = $shm-plain
shm-size = 4M
host-socket = $work/vmp.host.sock
channels = 8
channel-size = 256K
service = $service
ffi-service = $ffiall_idl:$ffiall_lib
export = data $exportdir
export-ro = rodata $rodir
$user_line
CONF
bsock=$VMRPC_RUNTIME_DIR/vmb.host.sock psock=$work/vmp.host.sock

# hostd's log is kept across restarts and boots: every wait looks only at
# what was logged since the last log_mark, so that lines of an earlier boot
# or an earlier hostd cannot end it.
log_mark() { mark=$(wc -l <"$work/hostd.log"); }
log_since() { tail -n +$((mark + 1)) "$work/hostd.log"; }
log_count() { log_since | grep -c -- "$1" || true; } # log_count PATTERN

start_hostd() {
	touch "$work/hostd.log"
	log_mark
	"$hostd" --config "$work/hostd.conf" >>"$work/hostd.log" 2>&1 &
	hostd_pid=$!
	for _ in $(seq 100); do
		[ "$(log_count ": serving ")" -ge 2 ] && [ -S "$work/vmb.sock" ] &&
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
	# Shadows of this build only: another test run on the machine has its own.
	for p in $(pgrep -x vmrpc-shadow -u "$uid" || true); do
		[ "$uid" != "$(id -u)" ] &&
			[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$(readlink -f "$build/bin/vmrpc-shadow")" ] &&
			die "a vmrpc-shadow of uid $uid is still running (pid $p)"
	done
	return 0
}

# ---- the guest: busybox, the static programs, and /init ----
# Dynamically linked programs (vmrpc-mount, the shim and the host's
# coreutils it runs under) go in with copy_dynamic (guest_root.sh): the
# build tree in their RUNPATH does not exist there.
libdir=$(dirname "$(ldd "$mount_bin" | awk '$1 == "libc.so.6" { print $3 }')")
[ "$libdir" != . ] || die "ldd $mount_bin names no libc.so.6"
guest_shim=$libdir/vmrpc/libvmrpc-preload.so # where the install puts it

# make_initramfs MODE [STALE]: STALE is the ivshmem-plain channel boot 1 left
# attached, which the reboot must find reclaimed.
make_initramfs() {
	local mode=$1 stale=${2:-} root=$work/root-$1
	mkdir -p "$root"/{bin,proc,sys,dev,tmp,etc,lib,mnt,gexp}
	cp "$busybox" "$root/bin/busybox"
	for f in "${guest_bins[@]}"; do cp "$f" "$root/bin/"; done
	[ "$mode" = driver ] && cp "$work/kmod/vmrpc.ko" "$root/lib/"
	mv "$root/bin/vmrpc-guestd-static" "$root/bin/vmrpc-guestd"
	# the file systems' steps (guest_fs.sh): fuse.ko, vmrpc-mount, the shim
	copy_module "$root" fuse
	copy_dynamic "$root" /bin "$mount_bin"
	copy_dynamic "$root" "$(dirname "$guest_shim")" "$shim_lib"
	copy_dynamic "$root" /usr/bin "${shim_progs[@]}"
	cp "$src/test/vm/guest_fs.sh" "$root/lib/"
	# guestd's policy: these commands (found in /bin), nothing else; /gexp
	# for the host to mount.
	printf 'exec = %s\n' echo cat sh sleep touch uname md5sum ps nosuchcmd \
		>"$root/etc/guestd.conf"
	printf 'path = /bin\nexport = gdata /gexp\n' >>"$root/etc/guestd.conf"
	# The plain device's guestd in boots 1 and 3 is the dynamically linked
	# one: it serves ffiall through libffi from libffiall.so, which a static
	# program cannot dlopen with its libc.
	copy_dynamic "$root" /usr/sbin "$guestd_dyn"
	copy_dynamic "$root" /lib "$ffiall_lib"
	cp "$ffiall_idl" "$root/etc/"
	{ cat "$root/etc/guestd.conf"; echo "ffi-service = /etc/ffiall.idl:/lib/libffiall.so"; } \
		>"$root/etc/guestd-ffi.conf"
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
wait_for() { # wait_for WHAT SECONDS COMMAND...: until the command succeeds
	what=\$1 n=\$((\$2 * 10)); shift 2
	until "\$@"; do
		n=\$((n - 1))
		[ \$n -gt 0 ] || { echo "VMTEST FAILED: \$what"; fail=1; return 1; }
		sleep 0.1
	done
}
host_turn() { # the host makes its guest-sourced calls; its last one lets us go on
	echo "VMTEST ready for the host"
	wait_for "the host's guest-sourced calls did not finish" 120 test -e /tmp/host-done &&
		echo "VMTEST ok: the host's guest-sourced calls ran"
	# and the host has its answer: powering off before guestd replied
	# would leave the host's last call unanswered
	wait_for "the host did not get its last answer" 60 \
		env VMRPC_REGION=\$bell hostcat-static $hostdir/host-done-$mode
}
holds=0
hold() { # hold REGION: a guest caller left in a host call that never returns
	# A file of its own: an earlier hold's "calling" must not end this wait.
	holds=\$((holds + 1))
	out=/tmp/hold.\$holds
	vmrpc-vm-reclaim hold \$1 $hostdir/fifo >\$out 2>&1 &
	held=\$!
	wait_for "vmrpc-vm-reclaim hold did not get into its call" 30 grep -q calling \$out
	cat \$out
	n=\$(sed -n 's/^holding channel //p' \$out)
}
guest_checks() { # every guest-side check of one boot, on both devices
	for dev in \$bell \$plain; do
		check "host calls over \$dev" '0 failed' vmrpc-vm-guest \$dev $hostdir $uid $gid
		export VMRPC_REGION=\$dev
		check "calc-demo over \$dev" 'add(40, 2) = 42' calc-demo-static vm
		check "calc-demo greet over \$dev" 'greet("vm") = ' calc-demo-static vm
		check "hostcat over \$dev" 'hello from the host' hostcat-static $hostdir/hello.txt
		check "hostcat -C over \$dev" '^d1\$' hostcat-static -C $hostdir/d1 same.txt
		check "hostrun (a host program, a guest | host pipe) over \$dev" '^VM-TO-HOST\$' \
			sh -c 'echo vm-to-host | hostrun-static tr a-z A-Z'
		unset VMRPC_REGION
		# The guest's command line: the host's interfaces, with JSON.
		check "vmrpc-guest list over \$dev" '^host/calc\$' \
			vmrpc-guest-static --region \$dev list
		check "vmrpc-guest status over \$dev" 'host interfaces: ' \
			vmrpc-guest-static --region \$dev status
		check "vmrpc-guest describe over \$dev" 'int64 add(int64 a, int64 b) = 0;' \
			vmrpc-guest-static --region \$dev describe calc
		check "vmrpc-guest call over \$dev" '"sum": 6' \
			vmrpc-guest-static --region \$dev call calc.stats '{"data": "AQID"}'
		check "vmrpc-guest refuses a bad value over \$dev: exit 2" '^exit 2\$' \
			sh -c "vmrpc-guest-static --region \$dev call calc.add '{\"a\": \"x\", \"b\": 1}'; echo exit \\\$?"
		# Every IDL type through the dynamic path, served by libffi.
		check "every type, no stubs, to the host's libffiall over \$dev" ', 0 failed' \
			vmrpc-vm-dyn host \$dev
	done
	check "a foreign ivshmem device is refused" 'pci: finds' vmrpc-vm-foreign \$foreign
}
# the file systems' steps (test/vm/guest_fs.sh), and what they need to know
mode=$mode hostdir=$hostdir export_dir=$exportdir host_big_sum=$host_big_sum shim=$guest_shim
. /lib/guest_fs.sh
fs_checks() { # before the host's turn: the host's export, the shim, /gexp for the host
	fs_modules
	fs_host_mount
	fs_shim
	fs_gexp_prepare
}
echo "VMTEST start ($mode)"
ls /sys/bus/pci/devices/
if [ $mode = full ]; then
	vmrpc-guestd -r \$bell -c /etc/guestd.conf &
	/usr/sbin/vmrpc-guestd -r \$plain -c /etc/guestd-ffi.conf &
	guest_checks
	check "no descriptor to poll without the driver" '0 failed' vmrpc-vm-driver no-events \$bell
	fs_checks
	host_turn
	fs_after_host
	fs_gexp_check
	# Killed in the middle of a host call: only guestd can tell hostd.
	hold \$bell
	kill -9 \$held
	echo "VMTEST killed pid \$held on channel \$n"
	check "a guest caller killed in a call: guestd detaches it, hostd reclaims the channel" \\
		"channel \$n serves again" vmrpc-vm-reclaim reuse \$bell \$n
	# Left in a call when the guest powers off: the next boot's id reclaims it.
	hold \$plain
	echo "VMTEST left pid \$held in a call on plain channel \$n"
elif [ $mode = reboot ]; then
	vmrpc-guestd -r \$plain -c /etc/guestd.conf &
	check "the previous boot's channel $stale is reclaimed for its new boot id" \\
		"channel $stale serves again" vmrpc-vm-reclaim reuse \$plain $stale
	host_turn
else
	# vmrpc.ko: the same checks as boot 1, through the driver's devices.
	check "vmrpc.ko loads" '^vmrpc ' sh -c 'insmod /lib/vmrpc.ko && lsmod'
	wait_for "vmrpc.ko made no /dev/vmrpc0 and /dev/vmrpc1" 10 test -c /dev/vmrpc1
	check "it drives the doorbell device with interrupts" \\
		'00:10.0: vmrpc0: 8 channels of 256 KiB, one MSI-X vector each' dmesg
	check "and the plain device without" '00:11.0: vmrpc1: .*no interrupts' dmesg
	check "and leaves the foreign device to other drivers" \\
		'00:12.0: shared memory holds no vmrpc region' dmesg
	# What guestlib/70-vmrpc.rules has udev do (no udev here).
	echo "$rule_group:x:$vmrpc_gid:" >>/etc/group
	chgrp $rule_group /dev/vmrpc0 /dev/vmrpc1 && chmod $rule_mode /dev/vmrpc0 /dev/vmrpc1
	vmrpc-guestd -r \$bell -c /etc/guestd.conf &
	bell_guestd=\$!
	/usr/sbin/vmrpc-guestd -r \$plain -c /etc/guestd-ffi.conf &
	guest_checks
	fs_checks
	host_turn
	fs_after_host
	fs_gexp_check
	check "a process cannot map or touch another's channel" '0 failed' \\
		vmrpc-vm-driver isolate /dev/vmrpc0
	check "a user in group $rule_group makes host calls, others cannot" '0 failed' \\
		vmrpc-vm-driver nonroot \$bell 1000 1000 $vmrpc_gid
	check "three host calls in flight, each channel's descriptor fires for its own answer" \\
		'0 failed' vmrpc-vm-driver events \$bell
	check "and a device without interrupts has no descriptor" '0 failed' \\
		vmrpc-vm-driver no-events \$plain
	# Killed in a host call with no guestd running: the driver tells hostd.
	kill \$bell_guestd
	wait \$bell_guestd
	hold \$bell
	kill -9 \$held
	echo "VMTEST killed pid \$held on channel \$n without guestd"
	check "a guest caller killed in a call, no guestd: the driver frees its channel" \\
		"channel \$n serves again" vmrpc-vm-reclaim reuse \$bell \$n
	# Unload and reload, with a channel attached and without.
	mkfifo /tmp/idle.in
	vmrpc-vm-driver idle \$bell </tmp/idle.in >/tmp/idle.out 2>&1 &
	idler=\$!
	exec 3>/tmp/idle.in
	wait_for "vmrpc-vm-driver idle did not attach" 30 grep -q '^attached' /tmp/idle.out
	echo call >&3
	wait_for "the idle caller's call failed" 30 grep -q '^call: ok' /tmp/idle.out
	idle_chan=\$(sed -n 's/^attached //p' /tmp/idle.out)
	check "rmmod is refused while a channel is attached" 'refused' \\
		sh -c 'rmmod vmrpc || { lsmod | grep -q "^vmrpc " && echo refused; }'
	echo 0000:00:10.0 >/sys/bus/pci/drivers/vmrpc/unbind
	echo "VMTEST unbound the device under pid \$idler on channel \$idle_chan"
	check "the unbound device is gone" 'gone' sh -c 'test -e /dev/vmrpc0 || echo gone'
	echo call >&3
	exec 3>&-
	wait \$idler
	st=\$?
	cat /tmp/idle.out
	check "the caller on it gets SIGBUS on its next touch, not another's memory" \\
		'^135\$' echo \$st
	check "then rmmod unloads it" 'unloaded' sh -c 'rmmod vmrpc && ! lsmod | grep -q "^vmrpc " && echo unloaded'
	check "and insmod loads it again" '00:10.0: vmrpc0: 8 channels' \\
		sh -c 'insmod /lib/vmrpc.ko && sleep 0.5 && dmesg | tail -n 5'
	wait_for "no /dev/vmrpc0 after the reload" 10 test -c /dev/vmrpc0
	check "host calls through the reloaded driver" '0 failed' \\
		vmrpc-vm-driver isolate /dev/vmrpc0
	check "calc-demo after the reload" 'add(40, 2) = 42' \\
		env VMRPC_REGION=dev:/dev/vmrpc0 calc-demo-static vm
	check "a corrupt region gets an error from the driver, never an oops" '0 failed' \\
		vmrpc-vm-driver corrupt 0000:00:11.0
	check "rmmod with no channel attached" 'unloaded' \\
		sh -c 'rmmod vmrpc && echo unloaded'
	check "the kernel logged no oops and no warning" 'clean' \\
		sh -c '! dmesg | grep -E "Oops|BUG:|WARNING:|Call Trace" && echo clean'
fi
[ \$fail = 0 ] && echo "VMTEST RESULT PASS" || echo "VMTEST RESULT FAIL"
poweroff -f
INIT
	chmod +x "$root/init"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initramfs-$mode.gz"
}

boot_start() {
	local mode=$1
	"$qemu" -accel tcg -m 256 -smp 1 -nodefaults -display none -no-reboot \
		-serial "file:$work/console-$mode.log" -kernel "$kernel" \
		-initrd "$work/initramfs-$mode.gz" -append "console=ttyS0 panic=-1 quiet" \
		-chardev "socket,id=vmb,path=$work/vmb.sock" \
		-device ivshmem-doorbell,chardev=vmb,vectors=9,addr=0x10 \
		-object "memory-backend-file,id=vmp,share=on,mem-path=$shm-plain,size=4M" \
		-device ivshmem-plain,memdev=vmp,addr=0x11 \
		-object "memory-backend-file,id=junk,share=on,mem-path=$shm-junk,size=1M" \
		-device ivshmem-plain,memdev=junk,addr=0x12 \
		>"$work/qemu-$mode.log" 2>&1 &
	qemu_pid=$!
	boot_deadline=$((SECONDS + boot_timeout))
	log_mark
}

console() { tr -d '\r' <"$work/console-$1.log"; } # the serial line ends lines in CR LF

# wait_console MODE PATTERN: the running guest's console shows PATTERN.
wait_console() {
	until console "$1" 2>/dev/null | grep -q -- "$2"; do
		kill -0 "$qemu_pid" 2>/dev/null || die "the guest ($1) stopped before '$2'"
		[ $SECONDS -lt $boot_deadline ] || die "the guest ($1) never printed '$2'"
		sleep 0.2
	done
}

boot_finish() {
	local mode=$1 log=$work/console-$1.log status=0
	while kill -0 "$qemu_pid" 2>/dev/null; do
		[ $SECONDS -lt $boot_deadline ] ||
			die "the guest ($mode) did not power off within $boot_timeout s"
		sleep 0.2
	done
	wait "$qemu_pid" || status=$?
	qemu_pid=
	[ "$status" = 0 ] || { cat "$work/qemu-$mode.log"; die "QEMU ($mode) exited with status $status"; }
	grep -q "VMTEST RESULT PASS" "$log" || die "the guest ($mode) reported failures"
	if grep -q "^not ok" "$log"; then die "the guest ($mode) reported a failed check"; fi
}

wait_log() { # wait_log COUNT PATTERN: since the boot began, COUNT lines matching
	for _ in $(seq 100); do
		[ "$(log_count "$2")" -ge "$1" ] && return 0
		sleep 0.1
	done
	die "hostd's log never showed $1 line(s) with '$2'"
}

# ---- guest-sourced calls from the host --------------------------------
# grun STATUS STDIN CMD...: run a host caller; it must exit with STATUS.
# Its output is in $work/run.out and run.err.
grun() {
	local want=$1 in=$2 status=0
	shift 2
	timeout -k 5 "$run_timeout" "$@" <"$in" >"$work/run.out" 2>"$work/run.err" || status=$?
	[ "$status" = "$want" ] || die "'$*' exited with $status, expected $want"
}
out_is() { # out_is WHAT TEXT: run.out is exactly TEXT (and a newline)
	[ "$(cat "$work/run.out")" = "$2" ] ||
		die "$1: stdout is '$(cat "$work/run.out")', expected '$2'"
}
err_has() { # err_has WHAT PATTERN
	grep -q -- "$2" "$work/run.err" || die "$1: stderr lacks '$2': $(cat "$work/run.err")"
}

# The guest of boot 1 waits for these, then goes on with its own checks.
guest_sourced_calls() { # guest_sourced_calls MODE
	local mode=$1 release
	# The host's command line: what the VMs serve (hostd's info socket),
	# and a call into the guest with JSON.
	grun 0 /dev/null "$vmrpc" list
	grep -qx "vmb/host/calc" "$work/run.out" && grep -qx "vmb/guest/guestexec" "$work/run.out" &&
		grep -qx "vmp/host/calc" "$work/run.out" || die "vmrpc list: $(cat "$work/run.out")"
	grun 0 /dev/null "$vmrpc" status vmb --json
	grep -q '"transport": "ivshmem-doorbell"' "$work/run.out" &&
		grep -q '"vm_guest": true' "$work/run.out" &&
		grep -q '"running": true' "$work/run.out" || die "vmrpc status vmb: $(cat "$work/run.out")"
	grun 0 /dev/null "$vmrpc" describe vmp host/calc
	grep -q "int64 add(int64 a, int64 b) = 0;" "$work/run.out" ||
		die "vmrpc describe vmp host/calc: $(cat "$work/run.out")"
	grun 0 /dev/null "$vmrpc" describe vmb guest/guestexec
	grep -q "interface guestexec version" "$work/run.out" ||
		die "vmrpc describe vmb guest/guestexec: $(cat "$work/run.out")"
	grun 0 /dev/null "$vmrpc" call vmb guestexec.identity '{}'
	grep -q "\"kernel\": \".*$release_pat" "$work/run.out" ||
		die "vmrpc call guestexec.identity: $(cat "$work/run.out")"
	grun 2 /dev/null "$vmrpc" call "$bsock" guestexec.identity '{"bogus": 1}'
	err_has "vmrpc call with an unknown parameter" "unknown parameter 'bogus'"
	say "vmrpc list, status, describe, call (and a bad input refused)"
	grun 0 /dev/null "$vmrpc" guest-run "$bsock" -- echo hello from the guest
	out_is "guest-run echo" "hello from the guest"
	say "guest-sourced: echo"

	grun 7 /dev/null "$vmrpc" guest-run "$bsock" -- sh -c 'echo out; echo err >&2; exit 7'
	out_is "guest-run sh" "out"
	[ "$(cat "$work/run.err")" = err ] || die "guest-run sh: stderr is '$(cat "$work/run.err")'"
	grun 143 /dev/null "$vmrpc" guest-run "$bsock" -- sh -c 'kill -TERM $$'
	say "guest-sourced: exit status 7, stderr, signal"

	head -c 300000 /dev/urandom | base64 >"$work/stdin.txt"
	grun 0 "$work/stdin.txt" "$vmrpc" guest-run "$bsock" -- md5sum
	out_is "guest-run md5sum <stdin" "$(md5sum <"$work/stdin.txt")"
	grun 0 "$work/stdin.txt" "$vmrpc" guest-run "$bsock" -- cat
	cmp -s "$work/stdin.txt" "$work/run.out" || die "guest-run cat: stdout differs from stdin"
	say "guest-sourced: $(wc -c <"$work/stdin.txt") bytes of stdin through md5sum and cat"

	grun 126 /dev/null "$vmrpc" guest-run "$bsock" -- rm -rf /bin
	err_has "guest-run rm" "refused by the guest's policy"
	[ -s "$work/run.out" ] && die "guest-run rm: a refused command printed something"
	grun 127 /dev/null "$vmrpc" guest-run "$bsock" -- nosuchcmd
	err_has "guest-run nosuchcmd" "not found"
	grun 137 /dev/null "$vmrpc" guest-run -t 1 "$bsock" -- sleep 60
	err_has "guest-run -t 1 sleep 60" "timed out"
	say "guest-sourced: refused (126), not found (127), -t (137)"

	grun 0 /dev/null "$vmrpc" guest-info "$bsock"
	grep -qx "kernel: .*$release_pat.*" "$work/run.out" ||
		die "guest-info: no kernel line naming $release_pat: $(cat "$work/run.out")"
	mkdir -p "$work/bin"
	ln -sf "$vmrpc" "$work/bin/uname"
	grun 0 /dev/null env VMRPC_VM="$bsock" "$work/bin/uname" -r
	out_is "the wrapper 'uname -r'" "$release_pat"
	say "guest-sourced: guest-info, the wrapper symlink"

	# A host caller killed while its command runs: hostd and guestd
	# reclaim the channel, and guestd kills the command.
	release=$(log_count "guestd released it; channel free")
	"$vmrpc" guest-run -n "$bsock" -- sleep 1000 >/dev/null 2>&1 &
	bg_pid=$!
	wait_log 1 "vm 'vmb': channel .* offered to the guest for host caller pid $bg_pid "
	wait_console "$mode" "serving host caller pid ${bg_pid}[^0-9]*\$"
	for _ in $(seq 100); do
		grun 0 /dev/null "$vmrpc" guest-run "$bsock" -- ps
		grep -q "sleep 1000" "$work/run.out" && break
	done
	grep -q "sleep 1000" "$work/run.out" || die "ps in the guest never showed 'sleep 1000'"
	kill -KILL "$bg_pid"
	wait "$bg_pid" 2>/dev/null || true
	bg_pid=
	wait_log $((release + 1)) "vm 'vmb': channel .*: guestd released it; channel free"
	for _ in $(seq 50); do
		grun 0 /dev/null "$vmrpc" guest-run "$bsock" -- ps
		grep -q "sleep 1000" "$work/run.out" || break
		sleep 0.2
	done
	grep -q "sleep 1000" "$work/run.out" && die "the killed host caller's command still runs"
	say "guest-sourced: a killed host caller's channel is released, its command killed"

	grun 0 /dev/null "$vmrpc" guest-run "$psock" -- echo over plain
	out_is "guest-run over ivshmem-plain" "over plain"
	say "guest-sourced: over ivshmem-plain"

	# Every IDL type through the dynamic path, into the guest: the plain
	# device's guestd serves ffiall from the guest's libffiall.so.
	grun 0 /dev/null "$build/bin/vmrpc-vm-dyn" guest "$psock"
	grep -q '^# [0-9]* checks, 0 failed$' "$work/run.out" && ! grep -q '^not ok' "$work/run.out" ||
		die "vmrpc-vm-dyn guest $psock: $(cat "$work/run.out")"
	say "guest-sourced: every type, no stubs, to the guest's libffiall ($(sed -n 's/^# \([0-9]*\) checks.*/\1/p' "$work/run.out") checks)"
}

# let_guest_go MODE: the last call of the host's turn; the guest goes on.
let_guest_go() {
	grun 0 /dev/null "$vmrpc" guest-run "$bsock" -- touch /tmp/host-done
	touch "$hostdir/host-done-$1"
}

# ---- file systems: what the host does and checks ----------------------
# The export's files a boot's guest reads before the host's turn changes
# them (boot 3 must not find boot 1's changes).
export_prepare() {
	printf 'before\n' >"$exportdir/change.txt"
	rm -f "$exportdir/host-new.txt"
}

# In the host's turn: a change the guest's mount must see.
host_change_export() {
	printf 'after\n' >"$exportdir/change.txt"
	printf 'made by the host\n' >"$exportdir/host-new.txt"
	say "changed the export under the guest's mount"
}

# gfs WHAT SCRIPT: SCRIPT (bash; $g is the host's mount of the guest's
# export, $w the work directory) must succeed within the time limit: a
# mount that hangs fails the test rather than stopping it.
gfs() {
	timeout -k 5 "$run_timeout" env g="$work/gmnt" w="$work" bash -euo pipefail -c "$2" \
		>"$work/run.out" 2>"$work/run.err" ||
		die "the host's mount of vmb:gdata: $1: $(cat "$work/run.err" "$work/run.out")"
}

# mount_pid MOUNTPOINT: the host's vmrpc-mount serving it (its last argument).
mount_pid() {
	local d
	for d in /proc/[0-9]*; do
		[ "$(cat "$d/comm" 2>/dev/null)" = vmrpc-mount ] || continue
		[ "$(tr '\0' '\n' <"$d/cmdline" 2>/dev/null | tail -n 1)" = "$1" ] &&
			echo "${d#/proc/}" && return 0
	done
	return 0
}

# host_mount_guest MODE: in the host's turn, the host mounts the guest's
# /gexp (vmrpc-guestd's export "gdata") by the VM's name, which resolves to
# hostd's host-caller socket in the runtime directory; the guest checks
# afterwards what the host did there (guest_fs.sh, fs_gexp_check).
host_mount_guest() {
	local mode=$1 gmnt=$work/gmnt want sum pid
	mkdir -p "$gmnt"
	grun 1 /dev/null "$mount_bin" vmb:nosuch "$gmnt"
	err_has "vmrpc-mount vmb:nosuch" "the guest exports no 'nosuch'"
	grun 0 /dev/null "$mount_bin" -o channels=2 vmb:gdata "$gmnt"
	grep -q " $gmnt fuse.vmrpc " /proc/mounts || die "vmb:gdata is not in /proc/mounts"
	pid=$(mount_pid "$gmnt")
	[ -n "$pid" ] || die "no vmrpc-mount process serves $gmnt"
	gmount_pid=$pid
	gfs "read a guest file" '[ "$(cat "$g/from-guest/hello")" = "a guest file" ]'
	want=$(console "$mode" | sed -n 's/^VMTEST sum gbig \([0-9a-f]*\)$/\1/p')
	sum=$(timeout "$run_timeout" sha256sum "$gmnt/gbig" | cut -d' ' -f1)
	[ -n "$want" ] && [ "$sum" = "$want" ] ||
		die "the guest's 4 MiB file: sha256 $sum on the host, '$want' in the guest"
	gfs "create, read back, rename, chmod" '
		echo "made on the host" >"$g/h-new" && mv "$g/h-new" "$g/h-renamed" &&
		chmod 640 "$g/h-renamed" && [ ! -e "$g/h-new" ] &&
		[ "$(cat "$g/h-renamed")" = "made on the host" ] &&
		[ "$(stat -c %a "$g/h-renamed")" = 640 ]'
	gfs "a 4 MiB file" '
		head -c 4194304 /dev/urandom >"$w/hbig" && cp "$w/hbig" "$g/hbig" &&
		sha256sum <"$w/hbig" | cut -d" " -f1 >"$g/hbig.sha256" && cmp "$w/hbig" "$g/hbig"'
	gfs "tar c of a guest tree, tar x of a host tree" '
		tar -C "$g" -cf "$w/g.tar" from-guest && tar -tf "$w/g.tar" | grep -qx from-guest/hello &&
		mkdir "$g/host-tree" && tar -C "$w/htree" -cf - . | tar -C "$g/host-tree" -xf - &&
		diff -r "$w/htree" "$g/host-tree"'
	umount "$gmnt" || die "umount of the host's mount of vmb:gdata failed"
	for _ in $(seq 100); do
		[ -d "/proc/$pid" ] || break
		sleep 0.1
	done
	[ -d "/proc/$pid" ] && die "the host's vmrpc-mount (pid $pid) outlived its umount"
	gmount_pid=
	grep -q " $gmnt " /proc/mounts && die "$gmnt is still mounted"
	say "the host's mount of the guest's export ($mode): read, created, renamed, 4 MiB each way, tar, unmounted"
}

# check_host_files MODE: after the boot, what the guest did on its mounts
# and through the shim is in the host's files.
check_host_files() {
	local mode=$1 e=$exportdir want sum pid
	[ "$(cat "$e/g-$mode.txt")" = "written in the $mode guest" ] ||
		die "the guest's write is not in the export: $(cat "$e/g-$mode.txt" 2>&1)"
	[ "$(stat -c %u "$e/g-$mode.txt")" = "$uid" ] ||
		die "the guest's file is not owned by the VM's user $uid"
	[ -f "$e/d-$mode/moved/b" ] && [ ! -e "$e/d-$mode/sub" ] && [ ! -e "$e/d-$mode/gone" ] ||
		die "the guest's mkdir, rename and unlink are not in the export: $(ls -R "$e/d-$mode" 2>&1)"
	[ "$(stat -c %a "$e/mode-$mode") $(stat -c %a "$e/dmode-$mode")" = "640 751" ] ||
		die "the guest's chmod is not in the export"
	want=$(console "$mode" | sed -n "s/^VMTEST sum big-$mode \([0-9a-f]*\)\$/\1/p")
	sum=$(sha256sum <"$e/big-$mode" | cut -d' ' -f1)
	[ -n "$want" ] && [ "$sum" = "$want" ] ||
		die "the guest's 4 MiB file: sha256 $sum on the host, '$want' in the guest"
	[ "$(cat "$e/x-$mode/tree/a/b/two")" = two ] &&
		[ "$(stat -c %a "$e/x-$mode/tree/a/one")" = 600 ] ||
		die "the guest's tar x is not in the export"
	[ -e "$e/fifo-$mode" ] && die "the guest's FIFO was not removed from the export"
	[ -e "$e/ro-$mode" ] && die "a read-only mount wrote to the export"
	[ "$(cat "$e/plain-$mode.txt")" = "plain $mode" ] ||
		die "the write over ivshmem-plain is not in the export"
	[ "$(cat "$hostdir/shim-$mode.txt")" = "from the shim" ] ||
		die "the shim's write is not on the host"
	# An unmount is clean when vmrpc-mount detached its channels itself:
	# guestd (boot 1) says so when it had to do it for a dead caller.
	for pid in $(console "$mode" | sed -n 's/^VMTEST unmounted pid \([0-9]*\)$/\1/p'); do
		console "$mode" | grep "guest caller pid $pid died attached" &&
			die "vmrpc-mount (guest pid $pid) left its channels attached when it ended"
	done
	say "the guest's files ($mode) are in the export: contents, renames, modes, the 4 MiB sum, tar, the shim's"
}

# vmrpc.ko, for boot 3, built while boot 1 runs: the kernel's own build
# system, its warnings as errors.
build_module() {
	build_vmrpc_ko "$work/kmod" "$kbuild" KCFLAGS=-Werror
}

head -c 1M /dev/urandom >"$shm-junk"
build_module &
kmod_pid=$!
start_hostd
make_initramfs full

say "booting the guest ($(basename "$kernel"), QEMU TCG)"
export_prepare
boot_start full
wait_console full "VMTEST ready for the host"
say "guest run: $(grep -c '^VMTEST ok' "$work/console-full.log") checks passed, $(grep -c '^ok' "$work/console-full.log") host-call checks"
guest_sourced_calls full
host_mount_guest full
host_change_export
let_guest_go full
boot_finish full
check_host_files full
grep -q "written by the guest" "$hostdir/from-guest.txt" || die "the guest's host write is not on the host"
wait_log 1 "vm 'vmb': QEMU pid .* connected as ivshmem peer"
wait_log 1 "vm 'vmb': QEMU pid .* disconnected"
wait_log 1 "vm 'vmb': channel .* attached: guest caller pid .* uid $uid"
wait_log 1 "vm 'vmp': channel .* attached: guest caller pid .* uid $uid"
read -r killed chan < <(console full |
	sed -n 's/^VMTEST killed pid \([0-9]*\) on channel \([0-9]*\)$/\1 \2/p') || true
[ -n "$chan" ] || die "the guest did not say which caller it killed"
console full | grep "vmrpc-guestd: channel $chan: guest caller pid $killed died attached; detached it" >/dev/null ||
	die "guestd did not detach killed caller $killed's channel"
wait_log 1 "vm 'vmb': channel $chan detached: caller pid $killed detached, shadow pid [0-9]* reaped"
say "a guest caller killed in a call: guestd detached it, hostd reaped its shadow, channel $chan reused"
if grep -E "shadow pid .* exited with|cannot|refused" "$work/hostd.log"; then
	die "hostd logged a shadow crash or a refusal"
fi

read -r left stale < <(console full |
	sed -n 's/^VMTEST left pid \([0-9]*\) in a call on plain channel \([0-9]*\)$/\1 \2/p') || true
[ -n "$stale" ] || die "the guest did not leave a caller attached over ivshmem-plain"
say "rebooting the guest with plain channel $stale still attached"
make_initramfs reboot "$stale"
boot_start reboot
wait_console reboot "VMTEST ready for the host"
grun 0 /dev/null "$vmrpc" guest-run "$psock" -- echo after the reboot
out_is "guest-run over ivshmem-plain after the reboot" "after the reboot"
grun 0 /dev/null "$vmrpc" guest-run "$psock" -- touch /tmp/host-done
touch "$hostdir/host-done-reboot"
boot_finish reboot
wait_log 1 "vm 'vmp': channel $stale detached: caller pid $left gone with the guest's previous boot, shadow pid [0-9]* reaped"
say "the new boot id reclaimed plain channel $stale of the previous boot"

status=0
wait "$kmod_pid" || status=$?
kmod_pid=
[ "$status" = 0 ] || die "vmrpc.ko did not build against $kbuild"
say "vmrpc.ko built against $kbuild"
make_initramfs driver

say "restarting hostd: it adopts the ivshmem-plain region file"
stop_hostd
start_hostd
say "booting the guest with vmrpc.ko"
export_prepare
boot_start driver
wait_console driver "VMTEST ready for the host"
say "guest run with vmrpc.ko: $(grep -c '^VMTEST ok' "$work/console-driver.log") checks passed"
console driver | grep "vmrpc-guestd: .*sleeping on vmrpc.ko's interrupts" >/dev/null ||
	die "vmrpc-guestd did not sleep on vmrpc.ko's interrupts"
guest_sourced_calls driver
host_mount_guest driver
host_change_export
let_guest_go driver
boot_finish driver
check_host_files driver
say "guest run with vmrpc.ko: $(grep -c '^VMTEST ok' "$work/console-driver.log") checks passed"
read -r killed chan < <(console driver |
	sed -n 's/^VMTEST killed pid \([0-9]*\) on channel \([0-9]*\) without guestd$/\1 \2/p') || true
[ -n "$chan" ] || die "the guest did not say which caller it killed"
wait_log 1 "vm 'vmb': channel $chan detached: caller pid $killed detached, shadow pid [0-9]* reaped"
say "a guest caller killed with no guestd: vmrpc.ko detached channel $chan, hostd reaped its shadow"
read -r idler chan < <(console driver |
	sed -n 's/^VMTEST unbound the device under pid \([0-9]*\) on channel \([0-9]*\)$/\1 \2/p') || true
[ -n "$chan" ] || die "the guest did not say which channel it held across the unbind"
wait_log 1 "vm 'vmb': channel $chan detached: caller pid $idler detached, shadow pid [0-9]* reaped"
say "the device unbound under a caller: vmrpc.ko detached channel $chan"
wait_log 1 "vm 'vmb': QEMU pid .* disconnected"
stop_hostd
failed=0
say "PASS in $((SECONDS - start)) s"
