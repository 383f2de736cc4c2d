#!/usr/bin/env bash
# The guest's half of test/vm/programs.sh: run by its /init with the host's
# bash, chrooted into the tool root the host shares over virtio-fs (the
# host's /usr and /etc read-only, the build's programs in /build, this
# script and cases.sh in /vmtest; /tmp is the guest's own ext4 disk).
#
# Starts vmrpc-guestd exporting /tmp/gexp (the host mounts it as
# vmb:gdata), mounts the host's export "data" on /mnt with vmrpc-mount over
# the ivshmem-doorbell device, and runs every case of cases.sh in /tmp and
# on /mnt (run_case: the same output required). Then it tells the host its
# turn has come, waits for the host's cases on /tmp/gexp (the file
# host-done), checks the host's git repository there with git fsck,
# unmounts /mnt (vmrpc-mount must exit) and says "VMTEST RESULT PASS" or
# FAIL. Lines "VMTEST FAILED: ..." and "FAIL: ..." say what went wrong.
set -uo pipefail
# shellcheck source=test/mount/cases.sh
. /vmtest/cases.sh

bell=pci:0000:00:10.0 # the ivshmem-doorbell device (QEMU: addr=0x10)
vmrpc() { LD_LIBRARY_PATH=/build/lib "$@"; } # the build's programs and its libraries
check_fail() { echo "VMTEST FAILED: $*"; failures=$((failures + 1)); }

# clock_from_host FILE: the guest's clock set to the host's, read from
# FILE's mtime on the host's export. A KVM guest's clock follows the
# host's (kvm-clock); a TCG guest's starts from the RTC's whole seconds,
# up to 1 s behind, and then make on either side sees the files the other
# side stamped in its future ("Clock skew detected"), as it would on NFS
# between two machines whose clocks differ. The host stamps FILE between
# t0 and t1: the offset is from the midpoint of the fastest of 5 tries.
clock_from_host() {
	python3 - "$1" <<-'EOF'
	import os, sys, time
	f = sys.argv[1]
	open(f, "w").close()
	best = None
	for _ in range(5):
	    t0 = time.time_ns()
	    os.utime(f)
	    t1 = time.time_ns()
	    off = os.stat(f).st_mtime_ns - (t0 + t1) // 2
	    if best is None or t1 - t0 < best[0]:
	        best = (t1 - t0, off)
	os.unlink(f)
	rtt, off = best
	time.clock_settime_ns(time.CLOCK_REALTIME, time.time_ns() + off)
	print(f"VMTEST clock set to the host's: it was {off / 1e6:+.1f} ms off "
	      f"(round trip {rtt / 1e6:.1f} ms)")
	EOF
}

mkdir -p /tmp/gexp /tmp/fix /tmp/native
vmrpc /build/bin/vmrpc-guestd -r $bell -c /vmtest/guestd.conf 2>/tmp/guestd.log &
guestd=$!
cases_setup /tmp/fix

if vmrpc /build/bin/vmrpc-mount -o region=$bell,channels=4 host:data /mnt &&
	grep -q " /mnt fuse.vmrpc " /proc/mounts
then
	clock_from_host /mnt/.clock || check_fail "the guest's clock was not set to the host's"
	native=/tmp/native mp=/mnt
	for c in "${cases_all[@]}"; do
		run_case "$c"
	done
else
	check_fail "vmrpc-mount host:data /mnt: no mount, no case run"
fi
mount_pid=$(pgrep -x vmrpc-mount)

# again for the host's turn: TCG's clock may have drifted meanwhile
grep -q " /mnt fuse.vmrpc " /proc/mounts && clock_from_host /mnt/.clock
echo "VMTEST ready for the host"
for _ in $(seq 600); do
	[ -e /tmp/gexp/host-done ] && break
	sleep 0.5
done
if [ -e /tmp/gexp/host-done ]; then
	git -C /tmp/gexp/git/r fsck --no-progress >/dev/null 2>&1 ||
		check_fail "git fsck in the guest rejects the repository the host's git wrote in /tmp/gexp"
else
	check_fail "the host's cases on /tmp/gexp did not end within 300 s"
fi

umount /mnt || check_fail "umount /mnt"
for _ in $(seq 100); do
	[ -n "$mount_pid" ] && [ -d "/proc/$mount_pid" ] || break
	sleep 0.1
done
[ -n "$mount_pid" ] && [ -d "/proc/$mount_pid" ] && check_fail "vmrpc-mount outlived its umount"
kill "$guestd"
wait "$guestd"
cat /tmp/guestd.log
if [ "$failures" = 0 ]; then echo "VMTEST RESULT PASS"; else echo "VMTEST RESULT FAIL"; fi
