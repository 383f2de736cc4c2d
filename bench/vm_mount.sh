#!/usr/bin/env bash
# vmrpc-mount against virtio-fs in one real guest (QEMU TCG), side by side:
# bench/vm_mount.sh BUILD_DIR [ROUNDS [DIV]]
#
# One boot of the Debian cloud kernel (one vCPU, 512 MiB of memfd-backed
# shared memory, as vhost-user needs) with two devices:
#   an ivshmem-doorbell device served by vmrpc-hostd, whose VM exports a
#     host directory as "data" (8 channels of 256 KiB, hostd's defaults);
#     vmrpc.ko, built here against the guest kernel's headers, is loaded;
#   a vhost-user-fs-pci device served by QEMU's /usr/lib/qemu/virtiofsd
#     (-o cache=none) on a second host directory on the same file system.
# In the guest, fuse.ko, virtiofs.ko and the virtio PCI modules of the
# booted kernel are loaded, and vmrpc-bench-fsops (bench/fsops.c: lstat,
# open+close, a 4 KiB pread at a random offset, create+unlink, a readdir
# of 10,000 entries, 1 MiB sequential reads and writes) runs on
#   the guest's tmpfs (native);
#   virtio-fs (mount -t virtiofs; virtiofsd's cache=none: timeouts 0,
#     direct_io, no readdirplus);
#   vmrpc-mount -o cache=none (timeouts 0, direct_io) through vmrpc.ko's
#     /dev/vmrpc0 (the default: its requests sleep on the channel's
#     interrupt), and a second mount of the same export through sysfs
#     (region=sysfs:ADDR: no driver, requests poll with backoff).
# Both servers run with their defaults otherwise: virtiofsd's namespace
# sandbox and no thread pool, vmrpc-mount's 4 channels and 8 threads.
# ROUNDS rounds (default 3) take turns over the four, each timing 1/DIV
# (default 20) of bench/mount.sh's operation counts; the table gives each
# column's median over the rounds, and the ratio of each vmrpc-mount row to
# virtio-fs's within this run. Then a profile of each operation on each
# mount (fsops --repeat): the FUSE requests the guest kernel sends, by
# opcode (kprobes on fuse_simple_request, fuse_simple_background and
# fuse_queue_forget), the guest's context switches and the interrupts of
# the file system's device. VMRPC_BENCH_MOUNT_OPTS adds options to both
# vmrpc-mounts (spin=NS, say); VMRPC_BENCH_CHANNEL_SIZE sets hostd's
# channel-size (256K, the default; 1M carries a 512 KiB FUSE read in one
# call); VMRPC_BENCH_SHADOW_SPIN_NS sets how long the shadows spin for the
# next request before they sleep (hostd passes VMRPC_SPIN_NS on);
# VMRPC_BENCH_PERF=1 adds perf profiles taken in the guest (the host's
# perf, which must match the guest kernel: linux-perf 6.1).
#
# TCG emulates every guest instruction: these figures compare the two file
# systems with each other in the same boot, nothing else (docs/benchmarks.md,
# "bench/vm_mount.sh"). Any failure (a build, a boot, a mount, an operation)
# ends the run with a message and status 1, never with a partial table.
set -euo pipefail

build=$(cd "${1:?usage: bench/vm_mount.sh BUILD_DIR [ROUNDS [DIV]]}" && pwd)
rounds=${2:-3}
div=${3:-20}
src=$(cd "$(dirname "$0")/.." && pwd)
hostd=$build/bin/vmrpc-hostd
mount_bin=$build/bin/vmrpc-mount # dynamically linked, as installed
fsops=$build/bin/vmrpc-bench-fsops
virtiofsd=/usr/lib/qemu/virtiofsd # qemu-system-common
qemu=$(command -v qemu-system-x86_64 || true)
busybox=/bin/busybox # busybox-static's: the initramfs has no libc
kernel=$(ls /boot/vmlinuz-*-cloud-amd64 2>/dev/null | sort -V | tail -n 1 || true)
release=$(basename "$kernel" | sed 's/^vmlinuz-//')
kbuild=/lib/modules/$release/build
addr=0000:00:10.0 # the doorbell device's PCI address (addr=0x10 below)
prof_n0=10 prof_n1=210 # the profile's repetitions of each operation (below)
mount_opts=${VMRPC_BENCH_MOUNT_OPTS:+,$VMRPC_BENCH_MOUNT_OPTS} # more vmrpc-mount options
chan_size=${VMRPC_BENCH_CHANNEL_SIZE:-256K} # hostd's channel-size (its default)
perf=${VMRPC_BENCH_PERF:-} # 1: perf profiles in the guest as well
shadow_spin=${VMRPC_BENCH_SHADOW_SPIN_NS:-} # the shadows' spin (libvmrpc's default: 50 us)
boot_timeout=1800 # seconds: a liveness bound for the whole guest run, not a timing

die() { echo "vm-mount-bench: FAIL: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root (virtiofsd's sandbox, hostd's VM user)"
[[ $rounds =~ ^[1-9][0-9]*$ && $div =~ ^[1-9][0-9]*$ ]] ||
	die "ROUNDS and DIV must be positive counts"
[[ $chan_size =~ ^[1-9][0-9]*[KM]$ ]] || die "VMRPC_BENCH_CHANNEL_SIZE=$chan_size: not like 256K or 1M"
[ -n "$qemu" ] || die "qemu-system-x86_64 not found (.ci/install-deps)"
[ -n "$kernel" ] || die "no /boot/vmlinuz-*-cloud-amd64 (.ci/install-deps)"
for f in "$hostd" "$mount_bin" "$fsops" "$virtiofsd" "$busybox" "$kbuild/Makefile"; do
	[ -e "$f" ] || die "$f is missing (build with VMRPC_BENCH=ON and libfuse3-dev; .ci/install-deps)"
done
command -v cpio >/dev/null || die "cpio not found"
command -v modinfo >/dev/null || die "modinfo not found (kmod)"

work=$(mktemp -d /tmp/vmrpc-vmmount.XXXXXX)
hostd_pid='' qemu_pid='' vfsd_pid=''
cleanup() {
	local rc=$?
	set +e # a wait on a killed process returns its signal: go on cleaning up
	[ -n "$qemu_pid" ] && kill -KILL "$qemu_pid" 2>/dev/null && wait "$qemu_pid" 2>/dev/null
	[ -n "$vfsd_pid" ] && kill -TERM "$vfsd_pid" 2>/dev/null && wait "$vfsd_pid" 2>/dev/null
	[ -n "$hostd_pid" ] && kill -TERM "$hostd_pid" 2>/dev/null && wait "$hostd_pid" 2>/dev/null
	if [ $rc != 0 ]; then
		[ -e "$work/console.log" ] && tr -d '\r' <"$work/console.log" | tail -n 40
		for f in hostd virtiofsd qemu; do
			[ -s "$work/$f.log" ] && { echo "--- $f.log"; tail -n 10 "$work/$f.log"; }
		done
	fi
	rm -rf "$work"
	exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# vmrpc.ko against the booted kernel's headers, as bench/vm.sh builds it
release_pat=$release
# shellcheck source=test/vm/guest_root.sh
. "$src/test/vm/guest_root.sh" # copy_module, copy_dynamic, build_vmrpc_ko
build_vmrpc_ko "$work/kmod" "$kbuild" || { cat "$work/kmod.log"; die "vmrpc.ko"; }

# The two host trees, on one file system, each with fsops' files made
# natively beforehand (a 64 MiB file, a directory of 10,000 entries).
# hostd's shadow runs as the VM's user (65534): the export is its.
export_dir=$work/export vfs_dir=$work/virtiofs
mkdir -p "$export_dir/ops" "$vfs_dir/ops"
"$fsops" --setup "$export_dir/ops"
"$fsops" --setup "$vfs_dir/ops"
chown -R 65534:65534 "$export_dir"

export VMRPC_RUNTIME_DIR=$work/run
mkdir -p "$VMRPC_RUNTIME_DIR"
# the region: 8 channels, in the smallest power of two with room for them
# and the header
chan_kib=${chan_size%K}
[ "$chan_kib" != "$chan_size" ] || chan_kib=$((${chan_size%M} * 1024))
shm_kib=1024
while [ $shm_kib -le $((8 * chan_kib)) ]; do shm_kib=$((shm_kib * 2)); done
cat >"$work/hostd.conf" <<CONF
[vm vmb]
transport = ivshmem-doorbell
shm-size = ${shm_kib}K
socket = $work/vmb.sock
channels = 8
channel-size = $chan_size
export = data $export_dir
user = 65534
group = 65534
CONF
# VMRPC_SPIN_NS: hostd hands it to the shadows (their spin for the next request)
${shadow_spin:+env VMRPC_SPIN_NS=$shadow_spin} "$hostd" --config "$work/hostd.conf" \
	>"$work/hostd.log" 2>&1 &
hostd_pid=$!
for _ in $(seq 100); do [ -S "$work/vmb.sock" ] && break; sleep 0.1; done
[ -S "$work/vmb.sock" ] || die "hostd did not start: $(cat "$work/hostd.log")"

"$virtiofsd" --socket-path="$work/vfs.sock" -o source="$vfs_dir" -o cache=none \
	>"$work/virtiofsd.log" 2>&1 &
vfsd_pid=$!
for _ in $(seq 100); do [ -S "$work/vfs.sock" ] && break; sleep 0.1; done
[ -S "$work/vfs.sock" ] || die "virtiofsd did not start: $(cat "$work/virtiofsd.log")"

# ---- the guest: busybox, the modules, the programs with their libraries
root=$work/root
mkdir -p "$root"/{bin,proc,sys,dev,tmp,etc,lib,m}
cp "$busybox" "$root/bin/busybox"
cp "$work/kmod/vmrpc.ko" "$root/lib/"

# virtio_pci finds the device, virtiofs drives it; fuse for both
for mod in virtio_pci fuse virtiofs; do copy_module "$root" "$mod"; done
# the programs, with the libraries ldd lists (test/vm/guest_root.sh)
libdir=$(dirname "$(ldd "$mount_bin" | awk '$1 == "libc.so.6" { print $3 }')")
[ "$libdir" != . ] || die "ldd $mount_bin names no libc.so.6"
copy_dynamic "$root" /bin "$mount_bin" "$fsops"
if [ -n "$perf" ]; then
	command -v perf >/dev/null || die "VMRPC_BENCH_PERF=1 needs perf (linux-perf)"
	copy_dynamic "$root" /bin "$(command -v perf)"
fi

cat >"$root/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
fail() { echo "VMMOUNT FAIL: \$*"; dmesg | tail -n 20; poweroff -f; }
wait_for() { # wait_for FILE: up to 10 s
	n=100
	until [ -e \$1 ]; do n=\$((n - 1)); [ \$n -gt 0 ] || return 1; sleep 0.1; done
}
for m in \$(cat /lib/fs-modules); do insmod /lib/\$m.ko || fail "insmod \$m"; done
insmod /lib/vmrpc.ko || fail "insmod vmrpc.ko"
wait_for /dev/fuse || fail "no /dev/fuse"
wait_for /dev/vmrpc0 || fail "vmrpc.ko made no /dev/vmrpc0"
cd /m
mkdir native virtiofs vmrpc-dev vmrpc-sysfs
mount -t tmpfs -o size=256m tmpfs native || fail "mount tmpfs"
mount -t virtiofs share virtiofs || fail "mount -t virtiofs share"
vmrpc-mount -o cache=none$mount_opts host:data vmrpc-dev || fail "vmrpc-mount on /dev/vmrpc0"
vmrpc-mount -o cache=none,region=sysfs:$addr$mount_opts host:data vmrpc-sysfs ||
	fail "vmrpc-mount on sysfs:$addr"
grep -q ' /m/virtiofs virtiofs ' /proc/mounts || fail "virtio-fs is not mounted"
grep -q ' /m/vmrpc-dev fuse.vmrpc ' /proc/mounts || fail "vmrpc-mount (vmrpc.ko) is not mounted"
grep -q ' /m/vmrpc-sysfs fuse.vmrpc ' /proc/mounts || fail "vmrpc-mount (sysfs) is not mounted"
for d in virtiofs vmrpc-dev vmrpc-sysfs; do
	[ -d \$d/ops/many ] || fail "\$d shows no ops/many: not the host's tree"
done
mkdir native/ops
vmrpc-bench-fsops --setup native/ops || fail "fsops --setup on tmpfs"
echo "VMMOUNT mounted"
for r in \$(seq $rounds); do
	for t in native virtiofs vmrpc-dev vmrpc-sysfs; do
		row=\$(vmrpc-bench-fsops --div $div \$t/ops \$t) || fail "fsops on \$t"
		echo "VMMOUNT row \$row"
	done
done
# The profile: what one operation costs each file system in FUSE
# requests (kprobes on the kernel's FUSE request paths, by opcode), guest
# context switches and device interrupts; the difference between
# $prof_n1 and $prof_n0 repetitions, so that fsops' own setup cancels out.
T=/sys/kernel/tracing
mount -t tracefs nodev \$T || fail "mount tracefs"
# struct fuse_args starts with the node id (u64), then the opcode (u32)
echo 'p:fuse/req fuse_simple_request op=+8(%si):u32' >>\$T/kprobe_events &&
	echo 'p:fuse/bg fuse_simple_background op=+8(%si):u32' >>\$T/kprobe_events &&
	echo 'p:fuse/forget fuse_queue_forget' >>\$T/kprobe_events || fail "kprobe events"
irqs() { # irqs PATTERN: the interrupts of the /proc/interrupts lines matching it
	awk "/\$1/"' { for (i = 2; i <= NF; i++) if (\$i ~ /^[0-9]+\$/) n += \$i } END { print n + 0 }' /proc/interrupts
}
sample() { # sample FS OP N: "ctxt irq-vmrpc irq-virtio" of N repetitions
	c0=\$(awk '/^ctxt/ { print \$2 }' /proc/stat) v0=\$(irqs vmrpc) f0=\$(irqs virtio)
	vmrpc-bench-fsops --repeat \$2 \$3 \$1/ops || fail "fsops --repeat \$2 on \$1"
	c1=\$(awk '/^ctxt/ { print \$2 }' /proc/stat) v1=\$(irqs vmrpc) f1=\$(irqs virtio)
	echo \$((c1 - c0)) \$((v1 - v0)) \$((f1 - f0))
}
requests() { # requests FS OP N: the FUSE requests of N repetitions, "OPCODE=COUNT ..."
	echo >\$T/trace
	echo 1 >\$T/events/fuse/enable
	vmrpc-bench-fsops --repeat \$2 \$3 \$1/ops || fail "fsops --repeat \$2 on \$1"
	echo 0 >\$T/events/fuse/enable
	awk '/ (req|bg): / { sub(/.* op=/, ""); print \$1 } / forget: / { print "forget" }' \
		\$T/trace | sort | uniq -c | awk '{ printf "%s=%d ", \$2, \$1 }'
}
for t in virtiofs vmrpc-dev vmrpc-sysfs; do
	for op in stat open read4k create readdir read1m write1m; do
		echo "VMMOUNT prof \$t \$op \$(sample \$t \$op $prof_n0) \$(sample \$t \$op $prof_n1)" \
			"/ \$(requests \$t \$op $prof_n0)/ \$(requests \$t \$op $prof_n1)"
	done
done
# VMRPC_BENCH_PERF=1: where the vCPU's time goes (perf's cpu-clock: TCG
# has no PMU), 200 stats and 200 1 MiB reads on virtio-fs and on vmrpc-mount
if [ -n "$perf" ]; then
	for t in virtiofs vmrpc-dev; do
		for op in stat read1m; do
			perf record -q -e cpu-clock -a -o /tmp/perf.data -- \
				vmrpc-bench-fsops --repeat \$op 200 \$t/ops >/dev/null 2>&1 || fail "perf record"
			for key in comm,dso sym; do
				perf report -i /tmp/perf.data --stdio --sort \$key 2>/dev/null |
					grep -v '^#' | grep . | head -n 15 | sed "s/^/VMMOUNT perf \$t \$op /"
			done
		done
	done
fi
umount vmrpc-dev && umount vmrpc-sysfs && umount virtiofs || fail "umount"
echo "VMMOUNT done"
poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initramfs.gz"

"$qemu" -accel tcg -m 512 -smp 1 -nodefaults -display none -no-reboot \
	-object memory-backend-memfd,id=mem,size=512M,share=on -numa node,memdev=mem \
	-serial "file:$work/console.log" -kernel "$kernel" -initrd "$work/initramfs.gz" \
	-append "console=ttyS0 panic=-1 quiet" \
	-chardev "socket,id=vmb,path=$work/vmb.sock" \
	-device ivshmem-doorbell,chardev=vmb,vectors=9,addr=0x10 \
	-chardev "socket,id=vfs,path=$work/vfs.sock" \
	-device vhost-user-fs-pci,chardev=vfs,tag=share >"$work/qemu.log" 2>&1 &
qemu_pid=$!
console() { { tr -d '\r' <"$work/console.log"; } 2>/dev/null; }
deadline=$((SECONDS + boot_timeout))
until console | grep -q -e '^VMMOUNT done' -e '^VMMOUNT FAIL'; do
	kill -0 "$qemu_pid" 2>/dev/null || die "the guest stopped before it was done"
	[ $SECONDS -lt $deadline ] || die "the guest did not finish within $boot_timeout s"
	sleep 1
done
console | grep '^VMMOUNT FAIL' && die "in the guest: $(console | sed -n 's/^VMMOUNT FAIL: //p')"
wait "$qemu_pid" || true
qemu_pid=
[ "$(console | grep -c '^VMMOUNT row ')" = $((rounds * 4)) ] ||
	die "the guest printed $(console | grep -c '^VMMOUNT row ') rows, not $((rounds * 4))"

# The median over the rounds of each column, per file system, then the
# ratios; fields 3-7 are microseconds (lower is faster), 8-9 MiB/s.
console | sed -n 's/^VMMOUNT row //p' >"$work/rows"
echo "## vmrpc-mount against virtio-fs, caches off (QEMU $("$qemu" --version |
	sed -n 's/.*version \([^ ]*\).*/\1/p') TCG, $release, 1 vCPU; host $(nproc) CPUs)"
echo
echo "p50 of $rounds rounds, each the median of 1/$div of bench/mount.sh's operation counts; vmrpc-hostd: 8 channels of $chan_size."
echo
echo "| TCG | stat us | open+close us | 4 KiB random read us | create+unlink us | readdir 10,000 us | 1 MiB seq read MiB/s | 1 MiB seq write MiB/s |"
echo "|---|---|---|---|---|---|---|---|"
awk -F' *[|] *' -v rounds="$rounds" '
function median(key, col,   n, i, j, v, t) {
	n = 0
	for (i = 1; i <= rounds; i++) v[++n] = val[key, i, col]
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
{ r = ++seen[$2]; for (c = 3; c <= 9; c++) val[$2, r, c] = $c }
END {
	name["native"] = "guest tmpfs (native)"
	name["virtiofs"] = "virtio-fs, virtiofsd cache=none"
	name["vmrpc-dev"] = "vmrpc-mount cache=none, vmrpc.ko (/dev/vmrpc0)"
	name["vmrpc-sysfs"] = "vmrpc-mount cache=none, sysfs polling"
	split("native virtiofs vmrpc-dev vmrpc-sysfs", order, " ")
	for (k = 1; k <= 4; k++) {
		line = "| " name[order[k]]
		for (c = 3; c <= 9; c++) {
			p[order[k], c] = median(order[k], c)
			line = line sprintf(c <= 6 ? " | %.1f" : " | %.0f", p[order[k], c])
		}
		print line " |"
	}
	for (k = 3; k <= 4; k++) {
		line = "| " (k == 3 ? "vmrpc.ko" : "sysfs") " / virtio-fs"
		for (c = 3; c <= 9; c++)
			line = line sprintf(" | %.2f", p[order[k], c] / p["virtiofs", c])
		print line " |"
	}
	line = "| at least as fast as virtio-fs (vmrpc.ko)"
	for (c = 3; c <= 9; c++) {
		ok = c <= 7 ? p["vmrpc-dev", c] <= p["virtiofs", c] : p["vmrpc-dev", c] >= p["virtiofs", c]
		line = line (ok ? " | yes" : " | no")
	}
	print line " |"
}' "$work/rows"
echo
echo "Ratios are vmrpc-mount / virtio-fs: below 1 is faster in the us columns, above 1 in the MiB/s ones."

# The profile, per operation: FUSE requests by opcode, guest context
# switches and interrupts of the file system's device, each the difference
# between
# $prof_n1 and $prof_n0 repetitions divided by $((prof_n1 - prof_n0)).
echo
echo "## Per operation, what it costs in the guest (kprobes, /proc/stat, /proc/interrupts)"
echo
echo "| file system | operation | FUSE requests | context switches | interrupts |"
echo "|---|---|---|---|---|"
console | sed -n 's/^VMMOUNT prof //p' | awk -v n=$((prof_n1 - prof_n0)) '
BEGIN {
	split("LOOKUP FORGET GETATTR SETATTR READLINK SYMLINK - MKNOD MKDIR UNLINK RMDIR RENAME " \
	      "LINK OPEN READ WRITE STATFS RELEASE - FSYNC SETXATTR GETXATTR LISTXATTR " \
	      "REMOVEXATTR FLUSH INIT OPENDIR READDIR RELEASEDIR FSYNCDIR GETLK SETLK SETLKW " \
	      "ACCESS CREATE INTERRUPT BMAP DESTROY IOCTL POLL NOTIFY_REPLY BATCH_FORGET " \
	      "FALLOCATE READDIRPLUS RENAME2 LSEEK COPY_FILE_RANGE", opname, " ")
	name["virtiofs"] = "virtio-fs"; name["vmrpc-dev"] = "vmrpc-mount, vmrpc.ko"
	name["vmrpc-sysfs"] = "vmrpc-mount, sysfs"
}
function reqs(list, sign,   i, kv) {
	for (i = 1; i <= split(list, f, " "); i++) {
		split(f[i], kv, "=")
		if (kv[1] == "") continue
		cnt[kv[1] == "forget" ? "FORGET (queued)" : opname[kv[1]]] += sign * kv[2]
	}
}
{
	split($0, part, " / ")
	split(part[1], v, " ")
	delete cnt
	reqs(part[2], -1)
	reqs(part[3], 1)
	out = ""; total = 0
	for (k in cnt) if (cnt[k] != 0) {
		out = out sprintf("%s%s %.3g", out == "" ? "" : ", ", k, cnt[k] / n)
		total += cnt[k] / n
	}
	# v: FS OP, then ctxt irq-vmrpc irq-virtio for n0, the same for n1
	irq = v[1] == "virtiofs" ? 5 : 4
	printf "| %s | %s | %.3g: %s | %.1f | %.1f |\n", name[v[1]], v[2], total, out,
		(v[6] - v[3]) / n, (v[irq + 3] - v[irq]) / n
}'
if [ -n "$perf" ]; then
	echo
	echo "## perf in the guest (cpu-clock, all CPUs): 200 of each operation"
	echo
	console | sed -n 's/^VMMOUNT perf //p'
fi
