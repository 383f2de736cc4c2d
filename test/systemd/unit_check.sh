#!/bin/sh
# The systemd units as installed (test/install's prefix, which the build was
# not configured for: the units must name that prefix's programs and
# files). systemd-analyze (offline, no running systemd needed) must verify
# each clean, with its ExecStart= programs and Documentation= man pages
# installed, and rate the exposure of hostd's units at most 3.0; hostd's
# units must delegate the cgroup subtree containment needs.
#   unit_check.sh PREFIX UNITDIR MANDIR SBINDIR
# UNITDIR, MANDIR and SBINDIR are relative to PREFIX.
set -eu
prefix=$1 unitdir=$prefix/$2 mandir=$prefix/$3 sbindir=$prefix/$4

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "systemd-analyze not found: skipped"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "FAIL: $*"
	exit 1
}

# An instance of the template, as systemctl would start it.
cp "$unitdir/vmrpc-hostd@.service" "$tmp/vmrpc-hostd@check.service"
cp "$unitdir/vmrpc-hostd.service" "$unitdir/vmrpc-guestd.service" "$tmp/"
for u in vmrpc-hostd@check.service vmrpc-hostd.service vmrpc-guestd.service; do
	grep -q "^ExecStart=$sbindir/" "$tmp/$u" || fail "$u does not start a program of $sbindir"
done

for u in vmrpc-hostd@check.service vmrpc-hostd.service; do
	# Containment (hostd/cgroup.c) needs its delegated subtree.
	grep -q '^Delegate=yes$' "$tmp/$u" || fail "Delegate=yes is missing from $u"
	# --threshold is in tenths: exit status 1 above 3.0.
	if ! systemd-analyze security --offline=yes --threshold=30 "$tmp/$u" \
		>"$tmp/security" 2>&1; then
		cat "$tmp/security"
		fail "$u: exposure above 3.0"
	fi
	grep 'Overall exposure level' "$tmp/security" || fail "no exposure level: $(cat "$tmp/security")"
done
# The guest agent is not sandboxed, by design (vmrpc-guestd.service says why).
systemd-analyze security --offline=yes "$tmp/vmrpc-guestd.service" 2>&1 |
	grep 'Overall exposure level' || true

for u in vmrpc-hostd@check.service vmrpc-hostd.service vmrpc-guestd.service; do
	if command -v man >/dev/null 2>&1; then
		MANPATH=$mandir systemd-analyze verify "$tmp/$u" >"$tmp/verify" 2>&1 ||
			{ cat "$tmp/verify"; fail "systemd-analyze verify $u"; }
	else
		systemd-analyze verify --man=no "$tmp/$u" >"$tmp/verify" 2>&1 ||
			{ cat "$tmp/verify"; fail "systemd-analyze verify $u"; }
	fi
	if [ -s "$tmp/verify" ]; then
		cat "$tmp/verify"
		fail "systemd-analyze verify has complaints about $u"
	fi
	echo "systemd-analyze verify $u: clean"
done
