#!/usr/bin/env bash
# Real programs on vmrpc-mount across a real VM, both ways, in one boot:
# test/mount/cases.sh's cases (git, tar, sed -i, sort -T, cp -a with
# xattrs, a FIFO, flock and POSIX locks, sqlite3 in WAL mode, python
# os.walk/shutil/mmap, a host binary run from the mount, make -j2 with gcc,
# rsync -a -H both ways, zip and unzip, a static binary built and run there,
# appends, 5 MB files, errors), each run natively and on a mount, with the
# same stdout, stderr and exit status required (run_case). Usage:
# test/vm/programs.sh BUILD_DIR
#
# The guest is the Debian cloud kernel under QEMU (TCG), served by a real
# vmrpc-hostd over ivshmem-doorbell. Its busybox initramfs has no git, gcc
# or python, so the host lends it its own, read-only: a "tool root" (a
# tmpfs, remounted read-only, holding read-only bind mounts of the host's
# /usr and /etc, Debian 12's merged-usr links bin, lib, lib64 and sbin, the
# build tree's bin and lib, and this test's scripts) shared by QEMU's
# virtiofsd over virtio-fs. The guest mounts it read-write and checks that
# none of its writes get through (the host's read-only mounts refuse them),
# remounts it read-only, mounts its own disk on its tmp (ext4 on
# virtio-blk: tmpfs has no user xattrs before Linux 6.6, and case_cp sets
# one), proc, sysfs and devtmpfs, and chroots there
# (test/vm/guest_programs.sh, which first sets the guest's clock to the
# host's: see there):
#
# 1. guest -> host: vmrpc-mount host:data on the tool root's /mnt, the host
#    export served by the caller's shadow; each case runs in the guest's
#    /tmp (its disk) and on /mnt.
# 2. host -> guest: the guest's vmrpc-guestd exports its /tmp/gexp as
#    "gdata"; on the host, vmrpc-mount vmb:gdata; each case runs natively on
#    the host and on that mount.
#
# Then the host checks the guest's repository in its export with git fsck
# and the guest checks the host's in its export (a tree one side's
# programs wrote is one the other side's git accepts). No case is left
# out. Any failure prints the guest's console and hostd's log and exits 1;
# QEMU, virtiofsd, hostd and every mount are stopped and removed on any
# exit (the tool root's bind mounts first: nothing under it is removed
# while they are there). Timings under TCG mean nothing (VM-TESTING.md);
# each case's are printed, none is asserted; the whole takes ~140 s on
# two CPUs. VMRPC_VM_LOGS=DIR keeps the console and hostd's log there.
# Needs root (exits 77, skipped, otherwise).
set -euo pipefail

build=$(cd "${1:?usage: test/vm/programs.sh BUILD_DIR}" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
hostd=$build/bin/vmrpc-hostd
mount_bin=$build/bin/vmrpc-mount
virtiofsd=/usr/lib/qemu/virtiofsd
boot_timeout=360 # seconds for the whole boot; it takes ~140 s under TCG
mem=1024         # MiB of guest RAM: gcc, git and python in a chroot, and the page cache

say() { echo "vm-programs: $*"; }
die() { echo "vm-programs: FAIL: $*" >&2; exit 1; }

if [ "$(id -u)" != 0 ]; then
	echo "skip: needs root (bind mounts, FUSE mounts, virtiofsd)"
	exit 77
fi
qemu=$(command -v qemu-system-x86_64 || true)
kernel=$(ls /boot/vmlinuz-*-cloud-amd64 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$qemu" ] || die "qemu-system-x86_64 not found (run .ci/install-deps)"
[ -x "$virtiofsd" ] || die "$virtiofsd not found (qemu-system-common; run .ci/install-deps)"
[ -n "$kernel" ] || die "no /boot/vmlinuz-*-cloud-amd64 (run .ci/install-deps)"
[ -x /bin/busybox ] || die "busybox not found (run .ci/install-deps: busybox-static)"
for t in cpio mkfs.ext4 modinfo git gcc make python3 sqlite3 rsync zip unzip setfattr; do
	command -v "$t" >/dev/null || die "$t not found (run .ci/install-deps)"
done
[ -c /dev/fuse ] || die "no /dev/fuse on the host: the host mounts the guest's export"
for f in "$hostd" "$mount_bin" "$build/bin/vmrpc-guestd"; do
	[ -x "$f" ] || die "$f is missing: build the tree first (with libfuse3-dev)"
done
# The guest runs the host's programs: Debian 12's merged /usr, the
# programs the cases run found there.
for l in bin lib lib64 sbin; do
	[ "$(readlink "/$l")" = "usr/$l" ] || die "/$l is not a link to usr/$l (not a merged-/usr host)"
done
release_pat=$(basename "$kernel" | sed 's/^vmlinuz-//')
# shellcheck source=test/vm/guest_root.sh
. "$src/test/vm/guest_root.sh" # copy_module

start=$SECONDS
work=$(mktemp -d /tmp/vmrpc-vmprog.XXXXXX)
chmod 755 "$work"
tools=$work/tools exportdir=$work/export gmnt=$work/gmnt
hostd_pid=
qemu_pid=
virtiofsd_pid=
watchdog_pid=
failed=1

# unmount_all: every mount under $work, the deepest first; 1 if one stays.
unmount_all() {
	local m
	for m in $(awk -v w="$work/" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	! awk -v w="$work/" 'index($2, w) == 1 { found = 1 } END { exit !found }' /proc/mounts
}

cleanup() {
	local rc=$?
	set +e
	[ -n "$watchdog_pid" ] && kill "$watchdog_pid" 2>/dev/null
	[ -n "$qemu_pid" ] && kill -KILL "$qemu_pid" 2>/dev/null && wait "$qemu_pid" 2>/dev/null
	[ -n "$virtiofsd_pid" ] && kill -TERM "$virtiofsd_pid" 2>/dev/null &&
		wait "$virtiofsd_pid" 2>/dev/null
	# The host's mount of the guest's export went to the background: its
	# unmount ends it.
	unmount_all
	local mounts_left=$?
	[ -n "$hostd_pid" ] && kill -TERM "$hostd_pid" 2>/dev/null && wait "$hostd_pid" 2>/dev/null
	if [ "$failed" = 1 ]; then
		[ -e "$work/console.log" ] &&
			{ echo "----- guest console:"; tr -d '\r' <"$work/console.log"; }
		[ -e "$work/hostd.log" ] && { echo "----- hostd log:"; cat "$work/hostd.log"; }
		[ -s "$work/virtiofsd.log" ] && { echo "----- virtiofsd log:"; tail -n 20 "$work/virtiofsd.log"; }
		echo "-----"
	fi
	[ -n "${VMRPC_VM_LOGS:-}" ] && mkdir -p "$VMRPC_VM_LOGS" &&
		cp "$work/console.log" "$work/hostd.log" "$VMRPC_VM_LOGS"/ 2>/dev/null
	if [ "$mounts_left" != 0 ]; then
		# Never rm -r across a bind mount of /usr or /etc.
		echo "vm-programs: FAIL: still mounted under $work, not removed:" >&2
		grep " $work/" /proc/mounts >&2
		exit 1
	fi
	rm -rf --one-file-system "$work"
	exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ---- the tool root the guest runs the host's programs from ----
# A tmpfs, so that nothing of it is a host directory; read-only bind
# mounts (remounted ro: a plain bind is writable); then the tmpfs itself
# read-only. virtiofsd serves it as root: only these mounts keep the guest
# from writing the host's /usr and /etc.
mkdir -p "$tools"
mount -t tmpfs -o size=1M,mode=755 vmrpc-tools "$tools"
mkdir "$tools"/{usr,etc,build,vmtest,mnt,tmp,proc,sys,dev}
mkdir "$tools"/build/{bin,lib}
for l in bin lib lib64 sbin; do ln -s "usr/$l" "$tools/$l"; done
ro_bind() { # ro_bind DIR TARGET
	mount --bind "$1" "$2" && mount -o remount,bind,ro "$2" ||
		die "cannot bind $1 read-only on $2"
}
ro_bind /usr "$tools/usr"
ro_bind /etc "$tools/etc"
ro_bind "$build/bin" "$tools/build/bin"
ro_bind "$build/lib" "$tools/build/lib"
cp "$src/test/mount/cases.sh" "$src/test/vm/guest_programs.sh" "$tools/vmtest/"
printf 'export = gdata /tmp/gexp\n' >"$tools/vmtest/guestd.conf"
mount -o remount,ro "$tools"
for d in "$tools" "$tools/usr" "$tools/etc" "$tools/build/bin"; do
	touch "$d/.vmtest-w" 2>/dev/null && rm -f "$d/.vmtest-w" && die "$d is writable"
done
"$virtiofsd" --socket-path="$work/virtiofs.sock" -o source="$tools" -o cache=always \
	>"$work/virtiofsd.log" 2>&1 &
virtiofsd_pid=$!

# ---- the guest's disk: its native side, and the tree guestd exports ----
truncate -s 1G "$work/disk.img"
mkfs.ext4 -q -F -E lazy_itable_init=1 "$work/disk.img" || die "mkfs.ext4 of the guest's disk"

# ---- hostd: the export the guest mounts; root's shadows, so that what
# root in the guest does natively (chown in cp -a, rsync -a) it may do
# on the mount too, as in loopback ----
export VMRPC_RUNTIME_DIR=$work/run VMRPC_HOSTD_CGROUP=off
mkdir -p "$VMRPC_RUNTIME_DIR" "$exportdir" "$gmnt"
cat >"$work/hostd.conf" <<CONF
# written by test/vm/programs.sh
[vm vmb]
transport = ivshmem-doorbell
shm-size = 4M
socket = $work/vmb.sock
channels = 12
channel-size = 256K
user = 0
group = 0
export = data $exportdir
CONF
touch "$work/hostd.log"
"$hostd" --config "$work/hostd.conf" >>"$work/hostd.log" 2>&1 &
hostd_pid=$!
for _ in $(seq 100); do
	grep -q ": serving " "$work/hostd.log" && [ -S "$work/vmb.sock" ] && break
	kill -0 "$hostd_pid" 2>/dev/null || die "vmrpc-hostd exited at start"
	sleep 0.1
done
[ -S "$work/vmb.sock" ] || die "vmrpc-hostd did not start serving within 10 s"

# ---- the initramfs: busybox, the modules, /init ----
root=$work/root
mkdir -p "$root"/{bin,lib,proc,sys,dev,tools}
cp /bin/busybox "$root/bin/"
for m in virtio_pci virtiofs virtio_blk; do copy_module "$root" "$m"; done
cat >"$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc && mount -t sysfs sys /sys && mount -t devtmpfs dev /dev
for m in $(cat /lib/fs-modules); do insmod /lib/$m.ko || echo "VMTEST FAILED: insmod $m"; done
t=/tools
# Mounted read-write first: the host's read-only mounts under virtiofsd
# must refuse the guest's writes by themselves.
mount -t virtiofs tools $t || echo "VMTEST FAILED: mount -t virtiofs tools"
for d in $t $t/usr $t/etc $t/build/bin $t/vmtest; do
	if touch $d/.guest-w 2>/dev/null || mkdir $d/.guest-d 2>/dev/null; then
		echo "VMTEST FAILED: the guest wrote in the tool root's ${d#$t}/"
	fi
done
if mount -o remount,ro $t && mount -t ext4 /dev/vda $t/tmp &&
	mount -t proc proc $t/proc && mount -t sysfs sys $t/sys && mount -t devtmpfs dev $t/dev &&
	ln -sf /proc/self/fd $t/dev/fd
then
	chroot $t /usr/bin/env -i PATH=/usr/bin:/usr/sbin /usr/bin/bash /vmtest/guest_programs.sh
else
	echo "VMTEST FAILED: the tool root"
fi
poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initramfs.gz"

# ---- the host's side: its fixtures and native directory ----
# shellcheck source=test/mount/cases.sh
. "$src/test/mount/cases.sh"
mkdir -p "$work/fix" "$work/native"
cases_setup "$work/fix"

for _ in $(seq 100); do [ -S "$work/virtiofs.sock" ] && break; sleep 0.1; done
[ -S "$work/virtiofs.sock" ] || die "virtiofsd did not make its socket: $(cat "$work/virtiofsd.log")"

say "booting the guest ($(basename "$kernel"), QEMU TCG, $mem MiB)"
# Guest RAM is a shared memfd: vhost-user (virtiofsd) maps it.
nice "$qemu" -accel tcg -m "$mem" -smp 1 -nodefaults -display none -no-reboot \
	-object "memory-backend-memfd,id=mem,size=${mem}M,share=on" -numa node,memdev=mem \
	-serial "file:$work/console.log" -kernel "$kernel" -initrd "$work/initramfs.gz" \
	-append "console=ttyS0 panic=-1 quiet" \
	-chardev "socket,id=vmb,path=$work/vmb.sock" \
	-device ivshmem-doorbell,chardev=vmb,vectors=9,addr=0x10 \
	-chardev "socket,id=vfs,path=$work/virtiofs.sock" \
	-device vhost-user-fs-pci,chardev=vfs,tag=tools \
	-drive "file=$work/disk.img,format=raw,if=virtio,cache=unsafe" \
	>"$work/qemu.log" 2>&1 &
qemu_pid=$!
deadline=$((SECONDS + boot_timeout))

console() { tr -d '\r' <"$work/console.log"; } # the serial line ends lines in CR LF
wait_console() { # wait_console PATTERN
	until console 2>/dev/null | grep -q -- "$1"; do
		kill -0 "$qemu_pid" 2>/dev/null || die "the guest stopped before '$1'"
		[ $SECONDS -lt $deadline ] || die "the guest never printed '$1' within $boot_timeout s"
		sleep 0.5
	done
}

wait_console "VMTEST ready for the host"
guest_ok=$(console | grep -c '^ok: ' || true)
say "guest -> host: $guest_ok of ${#cases_all[@]} cases the same in the guest's /tmp and on host:data ($((SECONDS - start)) s)"
console | grep -e '^ok: ' -e '^VMTEST clock' | sed 's/^/vm-programs: guest: /'
[ "$guest_ok" = "${#cases_all[@]}" ] || die "the guest's cases differ (its console has each one's outputs)"
git -C "$exportdir/git/r" fsck --no-progress >/dev/null 2>&1 ||
	die "git fsck on the host rejects the repository the guest's git wrote in the export"
git -C "$exportdir/git/r" log --format=%s main | grep -qx one ||
	die "the guest's commit is not in the export's repository"

# ---- host -> guest: the host's mount of the guest's /tmp/gexp ----
timeout 60 "$mount_bin" -o channels=4 vmb:gdata "$gmnt" ||
	die "vmrpc-mount vmb:gdata $gmnt failed"
grep -q " $gmnt fuse.vmrpc " /proc/mounts || die "vmb:gdata is not in /proc/mounts"
native=$work/native mp=$gmnt
# A case stuck on the mount would wait forever: at the deadline the guest
# goes, and with it the serving side, so that the mount answers EIO.
(
	trap 'kill "$s" 2>/dev/null; exit 0' TERM
	sleep $((deadline - SECONDS)) &
	s=$!
	wait "$s" && kill -KILL "$qemu_pid"
) 2>/dev/null &
watchdog_pid=$!
t=$SECONDS
for c in "${cases_all[@]}"; do
	run_case "$c" >"$work/case.out" || true # (errexit off in the cases, as in loopback)
	sed 's/^/vm-programs: host: /' "$work/case.out"
done
say "host -> guest: $((${#cases_all[@]} - failures)) of ${#cases_all[@]} cases the same natively and on vmb:gdata ($((SECONDS - t)) s)"
kill "$watchdog_pid" 2>/dev/null
wait "$watchdog_pid" 2>/dev/null || true
watchdog_pid=
kill -0 "$qemu_pid" 2>/dev/null || die "the host's cases did not end within $boot_timeout s of the boot"
[ "$failures" = 0 ] || die "$failures case(s) differ on the host's mount of the guest's export"
echo finished >"$gmnt/host-done" # the guest goes on: it checks what the host wrote, then powers off
umount "$gmnt" || die "umount $gmnt"

while kill -0 "$qemu_pid" 2>/dev/null; do
	[ $SECONDS -lt $deadline ] || die "the guest did not power off within $boot_timeout s"
	sleep 0.5
done
status=0
wait "$qemu_pid" || status=$?
qemu_pid=
[ "$status" = 0 ] || die "QEMU exited with status $status: $(cat "$work/qemu.log")"
console | grep -q '^VMTEST RESULT PASS$' || die "the guest reported failures"
if console | grep -q "VMTEST FAILED"; then die "the guest reported a failed check"; fi
failed=0
say "PASS in $((SECONDS - start)) s"
