#!/bin/sh
# The systemd unit as configured for installation: systemd-analyze (offline,
# no running systemd needed) must rate its exposure at most 3.0, verify it
# clean, and find the settings containment needs.
#   unit_check.sh UNIT HOSTD MANPAGE
# UNIT: the configured vmrpc-hostd@.service; HOSTD: the built binary, put in
# ExecStart= (verify checks that the command exists); MANPAGE: vmrpc-hostd.8,
# so that verify can check Documentation=.
set -eu
unit=$1 hostd=$2 manpage=$3

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

# Containment (hostd/cgroup.c) needs its delegated subtree.
grep -q '^Delegate=yes$' "$unit" || fail "Delegate=yes is missing from $unit"

sed "s|^ExecStart=[^ ]*|ExecStart=$hostd|" "$unit" >"$tmp/vmrpc-hostd@.service"
# --threshold is in tenths: exit status 1 above 3.0.
if ! systemd-analyze security --offline=yes --threshold=30 "$tmp/vmrpc-hostd@.service" \
	>"$tmp/security" 2>&1; then
	cat "$tmp/security"
	fail "exposure above 3.0"
fi
grep 'Overall exposure level' "$tmp/security" || fail "no exposure level: $(cat "$tmp/security")"

cp "$tmp/vmrpc-hostd@.service" "$tmp/vmrpc-hostd@check.service"
mkdir -p "$tmp/man/man8"
cp "$manpage" "$tmp/man/man8/"
if command -v man >/dev/null 2>&1; then
	MANPATH=$tmp/man systemd-analyze verify "$tmp/vmrpc-hostd@check.service" \
		>"$tmp/verify" 2>&1 || { cat "$tmp/verify"; fail "systemd-analyze verify"; }
else
	systemd-analyze verify --man=no "$tmp/vmrpc-hostd@check.service" \
		>"$tmp/verify" 2>&1 || { cat "$tmp/verify"; fail "systemd-analyze verify"; }
fi
if [ -s "$tmp/verify" ]; then
	cat "$tmp/verify"
	fail "systemd-analyze verify has complaints"
fi
echo "systemd-analyze verify: clean"
