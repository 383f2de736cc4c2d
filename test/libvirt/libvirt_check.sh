#!/bin/sh
# SPDX-License-Identifier: MIT
# The libvirt domain and hostd.conf the documentation ships, as installed
# (test/install's prefix): the domain validates against libvirt's schema
# (virt-xml-validate, libvirt-clients) and the same file with a mistake does
# not; the options QEMU gets from its <shmem> exist on QEMU's
# ivshmem-doorbell device; the domain and hostd.conf agree (socket,
# vectors = channels + 1); hostd.conf passes `vmrpc-hostd --check`; and
# the installed hostd serving that VM lets QEMU, started as libvirt starts
# it, as an unprivileged user in the socket's group, connect and take the
# region. Parts whose tools are missing are skipped with a message; with
# virt-xml-validate missing the whole test is (exit 77).
#   libvirt_check.sh PREFIX DOCDIR SBINDIR    (DOCDIR, SBINDIR under PREFIX)
set -u
prefix=$1 docdir=$1/$2 sbindir=$1/$3
xml=$docdir/examples/libvirt-vm1.xml
conf=$docdir/examples/hostd.conf
qemu=$(command -v qemu-system-x86_64 || true)

fail() {
	echo "FAIL: $*"
	exit 1
}

if ! command -v virt-xml-validate >/dev/null 2>&1; then
	echo "virt-xml-validate not found (Debian package libvirt-clients): skipped"
	exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmrpc-libvirt-test.XXXXXX") || exit 1
hostd=
qemu_pid=
cleanup() {
	[ -z "$qemu_pid" ] || { kill "$qemu_pid" 2>/dev/null; wait "$qemu_pid" 2>/dev/null; }
	[ -z "$hostd" ] || { kill "$hostd" 2>/dev/null; wait "$hostd" 2>/dev/null; }
	rm -rf "$tmp"
}
trap cleanup EXIT
chmod 0755 "$tmp"

# 1. libvirt's schema, and a validator that can say no.
virt-xml-validate "$xml" domain >"$tmp/validate" 2>&1 ||
	{ cat "$tmp/validate"; fail "virt-xml-validate rejects $xml"; }
echo "virt-xml-validate $xml: $(cat "$tmp/validate")"
sed "s/slot='0x10'/slot='0xzz'/" "$xml" >"$tmp/bad.xml"
if virt-xml-validate "$tmp/bad.xml" domain >/dev/null 2>&1; then
	fail "virt-xml-validate accepts a PCI slot of 0xzz: it checks nothing"
fi

# 2. What the domain says, as the values QEMU gets.
attr() { # attr ELEMENT NAME: NAME='value' of the first <ELEMENT
	sed -n "s/.*<$1 [^>]*$2='\([^']*\)'.*/\1/p" "$xml" | head -n 1
}
model=$(attr model type)
server=$(attr server path)
vectors=$(attr msi vectors)
ioeventfd=$(attr msi ioeventfd)
slot=$(attr address slot)
[ "$model" = ivshmem-doorbell ] || fail "<model type='$model'/>: expected ivshmem-doorbell"
[ -n "$server" ] && [ -n "$vectors" ] && [ -n "$ioeventfd" ] && [ -n "$slot" ] ||
	fail "$xml lacks the server path, msi vectors and ioeventfd, or the PCI slot"

# 3. hostd.conf serves that VM: its socket, and vectors = channels + 1.
key() { sed -n "s/^$1 *= *\([^ #]*\).*/\1/p" "$conf" | head -n 1; }
[ "$(key socket)" = "$server" ] || fail "hostd.conf's socket $(key socket) is not the domain's $server"
channels=$(key channels)
[ "$((channels + 1))" = "$vectors" ] ||
	fail "the domain's vectors=$vectors is not hostd.conf's channels ($channels) + 1"
echo "the domain and hostd.conf agree: $server, $channels channels, vectors=$vectors"

# libvirt turns <shmem> into this (its qemuBuildShmemCommandLine):
dev="ivshmem-doorbell,id=shmem0,chardev=charshmem0,vectors=$vectors,ioeventfd=$ioeventfd,bus=pci.0,addr=$slot"
if [ -z "$qemu" ]; then
	echo "qemu-system-x86_64 not found: QEMU's options and the connection not checked"
	exit 0
fi
"$qemu" -device ivshmem-doorbell,help >"$tmp/help" 2>&1 || fail "qemu: -device ivshmem-doorbell,help"
for opt in chardev vectors ioeventfd addr; do
	grep -q "^ *$opt=" "$tmp/help" || { cat "$tmp/help"; fail "QEMU's ivshmem-doorbell has no $opt="; }
done
echo "QEMU's ivshmem-doorbell has chardev=, vectors=, ioeventfd= and addr="

# 4. The example as the installed hostd runs it, in a directory of the
# test's: a user and group of this machine instead of vmrpc-vm1 and
# libvirt-qemu, which a host with libvirt has.
gid=65534
sed -e "s|^socket = .*|socket = $tmp/vm1.sock|" -e "s|^user = .*|user = 65534|" \
	-e "s|^owner = .*|owner = :$gid|" "$conf" >"$tmp/hostd.conf"
export VMRPC_RUNTIME_DIR=$tmp/rt
"$sbindir/vmrpc-hostd" --check --config "$tmp/hostd.conf" >"$tmp/check" 2>&1 ||
	{ cat "$tmp/check"; fail "vmrpc-hostd --check rejects the example hostd.conf"; }
grep -q "QEMU needs vectors=$vectors" "$tmp/check" || { cat "$tmp/check"; fail "--check: vectors"; }
echo "vmrpc-hostd --check: $(tail -n 1 "$tmp/check")"
if [ "$(id -u)" != 0 ]; then
	echo "not root: QEMU as another user in the socket's group not tried"
	exit 0
fi
"$sbindir/vmrpc-hostd" --config "$tmp/hostd.conf" >"$tmp/hostd.log" 2>&1 &
hostd=$!
i=0
until grep -q "vm 'vm1': serving" "$tmp/hostd.log"; do
	kill -0 "$hostd" 2>/dev/null || { cat "$tmp/hostd.log"; fail "vmrpc-hostd exited"; }
	i=$((i + 1)); [ $i -lt 200 ] || { cat "$tmp/hostd.log"; fail "vmrpc-hostd not serving"; }
	sleep 0.05
done
[ "$(stat -c '%a %g' "$tmp/vm1.sock")" = "660 $gid" ] ||
	fail "the socket is $(stat -c '%a %u:%g' "$tmp/vm1.sock"), expected 660 owner :$gid"
# QEMU as libvirt's QEMU user would be: not root, in the socket's group.
setpriv --reuid=12345 --regid=12345 --groups=$gid --inh-caps=-all \
	"$qemu" -accel tcg -M pc -m 64 -nodefaults -display none -S \
	-chardev "socket,id=charshmem0,path=$tmp/vm1.sock" -device "$dev" \
	>"$tmp/qemu.log" 2>&1 &
qemu_pid=$!
i=0
until grep -q "vm 'vm1': QEMU pid $qemu_pid connected as ivshmem peer" "$tmp/hostd.log"; do
	kill -0 "$qemu_pid" 2>/dev/null ||
		{ cat "$tmp/qemu.log" "$tmp/hostd.log"; fail "QEMU exited"; }
	i=$((i + 1)); [ $i -lt 400 ] || { cat "$tmp/qemu.log" "$tmp/hostd.log"; fail "QEMU never connected"; }
	sleep 0.05
done
echo "QEMU (uid 12345, group $gid) with -device $dev took the region"
# And not without the group.
setpriv --reuid=12345 --regid=12345 --clear-groups --inh-caps=-all \
	"$qemu" -accel tcg -M pc -m 64 -nodefaults -display none -S \
	-chardev "socket,id=charshmem0,path=$tmp/vm1.sock" -device "$dev" \
	>"$tmp/qemu2.log" 2>&1 &
pid2=$!
i=0
while kill -0 "$pid2" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 200 ] || { kill "$pid2"; fail "QEMU outside the group kept running"; }
	sleep 0.05
done
grep -q "Permission denied" "$tmp/qemu2.log" || { cat "$tmp/qemu2.log"; fail "QEMU outside the group: no 'Permission denied'"; }
echo "QEMU outside the group: $(grep -o "Failed to connect[^:]*: Permission denied" "$tmp/qemu2.log" | head -n 1)"
echo "PASS"
