#!/bin/sh
# SPDX-License-Identifier: MIT
# Tests of vmrpc-stubgen, run by ctest from this directory so that paths in
# diagnostics are stable (bad/x.idl:3:12: ...).
#
#   run.sh golden STUBGEN NAME    good/NAME.idl generates exactly good/NAME/*
#                                 (and stderr equals good/NAME.err, if present)
#   run.sh bad STUBGEN NAME       bad/NAME.idl fails with exit status 1 and
#                                 stderr exactly bad/NAME.err
#   run.sh determinism STUBGEN    two runs give identical bytes; a third run
#                                 into the same directory rewrites nothing
#   run.sh compile STUBGEN CC INCLUDE
#                                 every golden .c compiles with CC -Werror
#   run.sh cli STUBGEN            exit statuses of the command line, imports,
#                                 depfiles, an interface too large for a type table
#
# VMRPC_UPDATE_GOLDEN=1 rewrites the expected files instead of comparing.
set -u

mode=$1
stubgen=$2
shift 2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/stubgen-test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

case $mode in
golden)
	name=$1
	"$stubgen" -o "$tmp/out" "good/$name.idl" 2>"$tmp/stderr" ||
		{ cat "$tmp/stderr" >&2; fail "vmrpc-stubgen good/$name.idl exited $?"; }
	if [ "${VMRPC_UPDATE_GOLDEN:-0}" = 1 ]; then
		rm -rf "good/$name"
		mkdir -p "good/$name"
		cp "$tmp/out/"* "good/$name/"
		if [ -s "$tmp/stderr" ]; then
			cp "$tmp/stderr" "good/$name.err"
		else
			rm -f "good/$name.err"
		fi
		echo "updated good/$name"
		exit 0
	fi
	diff -ru "good/$name" "$tmp/out" || fail "output of good/$name.idl differs"
	if [ -f "good/$name.err" ]; then
		diff -u "good/$name.err" "$tmp/stderr" || fail "stderr of good/$name.idl differs"
	elif [ -s "$tmp/stderr" ]; then
		cat "$tmp/stderr" >&2
		fail "unexpected diagnostics for good/$name.idl"
	fi
	;;
bad)
	name=$1
	"$stubgen" -o "$tmp/out" "bad/$name.idl" 2>"$tmp/stderr"
	rc=$?
	if [ "${VMRPC_UPDATE_GOLDEN:-0}" = 1 ]; then
		cp "$tmp/stderr" "bad/$name.err"
		echo "updated bad/$name.err"
		exit 0
	fi
	[ "$rc" -eq 1 ] || fail "bad/$name.idl: exit status $rc, expected 1"
	diff -u "bad/$name.err" "$tmp/stderr" || fail "diagnostics for bad/$name.idl differ"
	[ -z "$(ls -A "$tmp/out" 2>/dev/null)" ] || fail "bad/$name.idl produced output"
	;;
determinism)
	for idl in good/*.idl; do
		"$stubgen" -o "$tmp/a" "$idl" 2>/dev/null || fail "$idl"
		"$stubgen" -o "$tmp/b" "$idl" 2>/dev/null || fail "$idl"
	done
	diff -r "$tmp/a" "$tmp/b" || fail "two runs differ"
	touch -d '2000-01-01 00:00:00' "$tmp/a/"*
	for idl in good/*.idl; do
		"$stubgen" -o "$tmp/a" "$idl" 2>/dev/null || fail "$idl"
	done
	changed=$(find "$tmp/a" -newermt '2000-01-02' -type f)
	[ -z "$changed" ] || fail "unchanged outputs were rewritten: $changed"
	[ -z "$(find "$tmp/a" -name '.*')" ] || fail "temporary files left behind"
	;;
compile)
	cc=$1
	include=$2
	# Every golden directory on the include path: a file's code includes
	# the _types.h of the files it imports.
	incs=""
	for dir in good/*/; do
		incs="$incs -I$dir"
	done
	for dir in good/*/; do
		# A _types.h on its own, as a program that includes only it.
		for h in "$dir"*_types.h; do
			printf '#include "%s"\n' "$(basename "$h")" >"$tmp/$(basename "$h").c"
		done
		for src in "$dir"*.c "$tmp/"*_types.h.c; do
			[ -e "$src" ] || continue
			# shellcheck disable=SC2086
			"$cc" -std=c11 -pedantic -Wall -Wextra -Wmissing-prototypes \
				-Wstrict-prototypes -Wshadow -Wformat=2 -Werror \
				-I"$include" $incs -c "$src" -o "$tmp/x.o" ||
				fail "$cc: $src"
		done
		rm -f "$tmp/"*_types.h.c
	done
	;;
cli)
	"$stubgen" --version >/dev/null || fail "--version"
	"$stubgen" --help >/dev/null || fail "--help"
	"$stubgen" >/dev/null 2>&1
	[ $? -eq 2 ] || fail "no input file: expected exit status 2"
	"$stubgen" --bogus good/hostcalls.idl >/dev/null 2>&1
	[ $? -eq 2 ] || fail "unknown option: expected exit status 2"
	"$stubgen" a.idl b.idl >/dev/null 2>&1
	[ $? -eq 2 ] || fail "two input files: expected exit status 2"
	"$stubgen" -o "$tmp" good/does-not-exist.idl 2>/dev/null
	[ $? -eq 1 ] || fail "missing input: expected exit status 1"
	"$stubgen" -o "$tmp/only" --caller good/hostcalls.idl || fail "--caller"
	[ "$(ls "$tmp/only" | tr '\n' ' ')" = "hostcalls_caller.c hostcalls_caller.h hostcalls_types.h " ] ||
		fail "--caller wrote $(ls "$tmp/only")"
	# Imports: found with -I only; --depfile lists every file read.
	mkdir -p "$tmp/lib" "$tmp/src"
	printf 'struct pt {\n\tint32 x;\n}\n' >"$tmp/lib/pt.idl"
	printf 'import "pt.idl";\ninterface uses version 1 {\n\tint32 f(pt p);\n}\n' \
		>"$tmp/src/uses.idl"
	"$stubgen" -o "$tmp/imp" "$tmp/src/uses.idl" 2>"$tmp/stderr"
	[ $? -eq 1 ] || fail "import without -I: expected exit status 1"
	grep -q 'cannot find imported file "pt.idl".*add its directory with -I DIR' "$tmp/stderr" ||
		fail "import without -I: $(cat "$tmp/stderr")"
	"$stubgen" -o "$tmp/imp" -I "$tmp/lib" --depfile "$tmp/imp.d" "$tmp/src/uses.idl" ||
		fail "import with -I"
	grep -q '#include "pt_types.h"' "$tmp/imp/uses_types.h" || fail "uses_types.h includes pt_types.h"
	[ "$(tr -d '\\\n' <"$tmp/imp.d" | tr -s ' ')" = \
	  "$tmp/imp/uses_types.h: $tmp/lib/pt.idl $tmp/src/uses.idl" ] ||
		fail "depfile: $(cat "$tmp/imp.d")"
	"$stubgen" -o "$tmp/imp" -I "$tmp/lib" --depfile "$tmp/imp.d" --depfile-target stamp \
		"$tmp/src/uses.idl" || fail "--depfile-target"
	head -n1 "$tmp/imp.d" | grep -q '^stamp:' || fail "--depfile-target: $(cat "$tmp/imp.d")"
	"$stubgen" --depfile-target x good/hostcalls.idl >/dev/null 2>&1
	[ $? -eq 2 ] || fail "--depfile-target without --depfile: expected exit status 2"
	# An interface whose type table would pass VMRPC_TT_MAX_SIZE (1 MiB):
	# a warning, and generated code without a table.
	{
		echo 'interface big version 1 {'
		i=0
		while [ $i -lt 12000 ]; do
			echo "	void m$i(uint64 a, uint64 b, uint64 c);"
			i=$((i + 1))
		done
		echo '}'
	} >"$tmp/big.idl"
	"$stubgen" -o "$tmp/big" --common "$tmp/big.idl" 2>"$tmp/stderr" ||
		fail "too large for a type table: exit status $?"
	grep -q "big.idl:1:11: warning: interface 'big' is too large for a type table" "$tmp/stderr" ||
		fail "too large for a type table: $(cat "$tmp/stderr")"
	grep -q '^	\.type_table = NULL,' "$tmp/big/big_common.c" &&
		! grep -q 'big_type_table' "$tmp/big/big_common.c" ||
		fail "too large for a type table: big_common.c has one"
	;;
*)
	fail "unknown mode $mode"
	;;
esac
exit 0
