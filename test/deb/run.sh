#!/bin/sh
# SPDX-License-Identifier: MIT
# vmrpc's Debian packages, built from this tree and used as a user would:
#   1. dpkg-buildpackage -b on a copy of the tree (debian/), then lintian on
#      the result: no error or warning (debian/*.lintian-overrides say why
#      for what is overridden);
#   2. apt-get install of the .debs on this machine (all but vmrpc-dkms,
#      whose postinst would build vmrpc.ko for this machine's kernel: its
#      contents are checked instead; test/vm builds the module);
#   3. systemd-analyze verify on the installed units, vmrpc-hostd --check on
#      the packaged hostd.conf example, no man page naming an uninstalled
#      file, the guest package's group;
#   4. test/install/run.sh cmake and make against /usr: test/install's
#      out-of-tree project built with find_package(vmrpc) and with
#      pkg-config from the packages, its service served by the packaged
#      vmrpc-hostd and vmrpc-shadow, its client calling it, the packaged
#      shim, vmrpc-guestd and vmrpc;
#   5. apt-get purge of the packages again.
# Needs root (it installs packages); 77 without root or the Debian build
# tools. Prints "deb: PASS" at the end.
#   test/deb/run.sh [WORKDIR]   (default: a temporary directory, removed)
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
keep=${1:-}
pkgs="libvmrpc0 libvmrpc-guest0 libvmrpc-dev vmrpc-host vmrpc-guest vmrpc-mount vmrpc-doc"

fail() {
	echo "FAIL: $*"
	exit 1
}
if [ "$(id -u)" != 0 ]; then
	echo "not root: cannot install packages: skipped"
	exit 77
fi
for t in dpkg-buildpackage dh lintian; do
	command -v $t >/dev/null 2>&1 || { echo "$t not found (.ci/install-deps): skipped"; exit 77; }
done
if [ -n "$keep" ]; then
	work=$keep
	rm -rf "$work" && mkdir -p "$work" || exit 1
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/vmrpc-deb-test.XXXXXX") || exit 1
fi
installed=
cleanup() {
	[ -z "$installed" ] || apt-get purge -y -qq $pkgs >"$work/purge.log" 2>&1 ||
		{ cat "$work/purge.log"; echo "FAIL: apt-get purge"; }
	[ -n "$keep" ] || rm -rf "$work"
}
trap cleanup EXIT
for p in $pkgs; do
	if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		fail "$p is installed already: this test installs and purges vmrpc's packages itself"
	fi
done

# 1. Build (a copy: dpkg-buildpackage writes beside the tree) and lintian.
echo "deb: building the packages"
mkdir "$work/src"
(cd "$src" && tar --exclude=./.git --exclude='./build*' -cf - .) | tar -xf - -C "$work/src" ||
	fail "cannot copy the tree"
(cd "$work/src" && dpkg-buildpackage -us -uc -b -j"$(nproc)") >"$work/build.log" 2>&1 ||
	{ tail -n 60 "$work/build.log"; fail "dpkg-buildpackage"; }
debs=
for p in $pkgs; do
	f=$(ls "$work"/${p}_*.deb 2>/dev/null | head -n 1)
	[ -n "$f" ] || fail "no $p package was built"
	debs="$debs $f"
done
# vmrpc-dkms: the module's DKMS tree, for this version.
dkms=$(ls "$work"/vmrpc-dkms_*_all.deb 2>/dev/null | head -n 1)
[ -n "$dkms" ] || fail "no vmrpc-dkms package was built"
version=$(dpkg-deb -f "$dkms" Version)
dpkg-deb -x "$dkms" "$work/dkms"
for f in dkms.conf Kbuild Makefile vmrpc.c include/vmrpc/abi.h include/vmrpc/dev.h; do
	[ -f "$work/dkms/usr/src/vmrpc-$version/$f" ] || fail "vmrpc-dkms lacks usr/src/vmrpc-$version/$f"
done
grep -qx "PACKAGE_VERSION=\"$version\"" "$work/dkms/usr/src/vmrpc-$version/dkms.conf" ||
	fail "vmrpc-dkms: dkms.conf is not for version $version"
dpkg-deb -f "$dkms" Depends | grep -q dkms || fail "vmrpc-dkms does not depend on dkms"
echo "deb: vmrpc-dkms holds vmrpc.ko's DKMS tree for $version"
lintian --pedantic -I --tag-display-limit 0 "$work"/vmrpc_*.changes >"$work/lintian.txt" 2>&1
echo "deb: lintian --pedantic -I:"
grep -v "^running with root privileges" "$work/lintian.txt" | sed 's/^/  /'
if grep -q "^[EW]: " "$work/lintian.txt"; then
	fail "lintian has errors or warnings"
fi

# 2. Install, as apt would.
echo "deb: installing$(for d in $debs; do printf ' %s' "${d##*/}"; done)"
installed=1
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $debs \
	>"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "apt-get install"; }

# 3. What the packages installed.
for u in vmrpc-hostd.service vmrpc-guestd.service; do
	[ -f /lib/systemd/system/$u ] || fail "no /lib/systemd/system/$u"
done
if command -v systemd-analyze >/dev/null 2>&1; then
	cp /lib/systemd/system/vmrpc-hostd@.service "$work/vmrpc-hostd@deb.service"
	for u in /lib/systemd/system/vmrpc-hostd.service /lib/systemd/system/vmrpc-guestd.service \
		"$work/vmrpc-hostd@deb.service"; do
		systemd-analyze verify --man=no "$u" >"$work/verify" 2>&1 ||
			{ cat "$work/verify"; fail "systemd-analyze verify $u"; }
		[ ! -s "$work/verify" ] || { cat "$work/verify"; fail "systemd-analyze verify $u complains"; }
	done
	grep -qx "ExecStart=/usr/sbin/vmrpc-hostd --config /etc/vmrpc/hostd.conf" \
		/lib/systemd/system/vmrpc-hostd.service || fail "vmrpc-hostd.service: ExecStart"
	echo "deb: systemd-analyze verify: the installed units are clean"
fi
getent group vmrpc >/dev/null || fail "vmrpc-guest did not create the group vmrpc"
[ "$(readlink /usr/sbin/mount.vmrpc)" = vmrpc-mount ] || fail "no mount.vmrpc for mount -t vmrpc"
/usr/sbin/vmrpc-mount --help >"$work/mount-help" 2>&1 ||
	{ cat "$work/mount-help"; fail "the packaged vmrpc-mount --help"; }
for page in /usr/share/man/man*/vmrpc*; do
	for doc in $(zcat -f "$page" | grep -o '/usr/share/doc/vmrpc/[A-Za-z0-9_./-]*[A-Za-z0-9]'); do
		[ -e "$doc" ] || fail "$page names $doc, which no package installed"
	done
done
sed -e "s|^socket = .*|socket = $work/vm1.sock|" -e "s|^user = .*|user = 65534|" \
	-e "s|^owner = .*|owner = :65534|" /usr/share/doc/vmrpc/examples/hostd.conf >"$work/hostd.conf"
VMRPC_RUNTIME_DIR=$work/rt /usr/sbin/vmrpc-hostd --check --config "$work/hostd.conf" \
	>"$work/check" 2>&1 || { cat "$work/check"; fail "vmrpc-hostd --check on the example"; }
echo "deb: the packaged vmrpc-hostd checks the packaged example: $(tail -n 1 "$work/check")"

# 4. The demo against the packages.
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
for mode in cmake make; do
	VMRPC_SRC=$src VMRPC_BUILD=$work/no-build VMRPC_BINDIR=bin VMRPC_SBINDIR=sbin \
		VMRPC_LIBDIR=lib/$multiarch VMRPC_LIBEXECDIR=libexec VMRPC_MANDIR=share/man \
		VMRPC_DOCDIR=share/doc/vmrpc VMRPC_UNITDIR=../lib/systemd/system CC=cc \
		"$src/test/install/run.sh" $mode /usr >"$work/app-$mode.log" 2>&1 ||
		{ cat "$work/app-$mode.log"; fail "test/install/run.sh $mode against the packages"; }
	echo "deb: test/install's project built with $mode against the packages, and run"
done

# 5. Purge (cleanup): nothing of them may stay.
apt-get purge -y -qq $pkgs >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "apt-get purge"; }
installed=
for f in /usr/sbin/vmrpc-hostd /usr/lib/$multiarch/libvmrpc.so.0 /etc/vmrpc/guestd.conf; do
	[ ! -e "$f" ] || fail "$f is still there after the purge"
done
echo "deb: PASS"
