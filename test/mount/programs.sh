#!/usr/bin/env bash
# Real programs on a real vmrpc-mount (FUSE) of a host export (a guest's
# mount, served by its shadow) and of a guest export (the host's mount,
# served by vmrpc-guestd; on loopback both sides are this machine), against
# the same programs run natively: git (init, add, commit, status, log, checkout,
# gc, fsck), tar, sed -i, sort -T, cp -a (modes, times, xattrs, links), a
# FIFO, flock and POSIX locks between processes, sqlite3 in WAL mode with a
# second process reading, python3 os.walk/shutil/mmap, a program run from
# the mount, make -j2 with gcc (and a rebuild), rsync -a -H both ways, zip
# and unzip, a static binary built and run there, large files read in
# parallel, and the errors ENOENT, EEXIST,
# ENOTEMPTY, ENOTDIR. Each case runs twice, natively in DIR and on the mount
# in DIR, and must give the same stdout, stderr and exit status.
#
# Then the mount's life: -o ro, cache=none, a host change seen with
# cache=auto, an export the host does not have, no hostd, SIGTERM (a clean
# unmount), a shadow killed, guestd stopped and a hostd stopped under a
# mount (EIO, never a hang, and the mount goes away).
#
# usage: programs.sh VMRPC_HOSTD VMRPC_SHADOW VMRPC_MOUNT VMRPC_GUESTD
# Needs root and /dev/fuse (exits 77, skipped, otherwise). Asserts no timings.
set -uo pipefail
hostd=$1 shadow=$2 mnt_bin=$3 guestd=$4

if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/fuse ]; then
	echo "skip: needs root and /dev/fuse"
	exit 77
fi

work=$(mktemp -d /tmp/vmrpc-mount.XXXXXX)
chmod 755 "$work"
native=$work/native exp=$work/exp ro_exp=$work/ro mp=$work/mnt wb_exp=$work/wbexp
mkdir -p "$native" "$exp" "$ro_exp" "$mp" "$work/rt" "$wb_exp"
echo "read only" > "$ro_exp/file"
export VMRPC_RUNTIME_DIR=$work/rt VMRPC_REGION=mnttest VMRPC_HOSTD_CGROUP=off
hostd_pid=
guestd_pid=
failures=0

unmount_all() {
	while read -r _ m _; do
		case $m in "$work"/*) umount -l "$m" 2>/dev/null ;; esac
	done < /proc/mounts
}
cleanup() {
	unmount_all
	[ -n "$guestd_pid" ] && kill "$guestd_pid" 2>/dev/null && wait "$guestd_pid"
	[ -n "$hostd_pid" ] && kill "$hostd_pid" 2>/dev/null && wait "$hostd_pid"
	rm -rf "$work"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

start_hostd() {
	"$hostd" --loopback mnttest --shadow "$shadow" --channels 32 \
		--export "data=$exp" --export-ro "ro=$ro_exp" --export "wb=$wb_exp" \
		2>> "$work/hostd.log" &
	hostd_pid=$!
	for _ in $(seq 100); do
		[ -S "$work/rt/mnttest.sock" ] && return 0
		sleep 0.05
	done
	echo "hostd did not start:"
	cat "$work/hostd.log"
	exit 1
}

# The pid of the vmrpc-mount process serving mountpoint $1 (it forked).
mount_pid() {
	local d
	for d in /proc/[0-9]*; do
		[ "$(cat "$d/comm" 2>/dev/null)" = vmrpc-mount ] || continue
		tr '\0' ' ' < "$d/cmdline" 2>/dev/null | grep -q -- " $1\( \|$\)" &&
			echo "${d#/proc/}" && return
	done
}

is_mounted() { grep -q " $1 fuse.vmrpc " /proc/mounts; }

# Wait until mountpoint $1 is no longer mounted (at most 10 s).
wait_unmounted() {
	for _ in $(seq 200); do
		is_mounted "$1" || return 0
		sleep 0.05
	done
	return 1
}

# run NAME: the function case_NAME in DIR, natively and on the mount.
run_case() {
	local name=$1 d out_n out_m st_n st_m
	mkdir -p "$native/$name" "$mp/$name" || { fail "$name: mkdir"; return; }
	out_n=$(cd "$native/$name" && D=$native/$name "case_$name" 2>&1)
	st_n=$?
	out_m=$(cd "$mp/$name" && D=$mp/$name "case_$name" 2>&1)
	st_m=$?
	out_n=${out_n//$native/DIR}
	out_m=${out_m//$mp/DIR}
	if [ "$st_n" != "$st_m" ] || [ "$out_n" != "$out_m" ]; then
		fail "$name: native and mount differ"
		echo "--- native (exit $st_n)"
		echo "$out_n"
		echo "--- mount (exit $st_m)"
		echo "$out_m"
		return
	fi
	echo "ok: $name"
}

export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t
export GIT_COMMITTER_EMAIL=t@example.com GIT_AUTHOR_DATE='2020-01-01T00:00:00Z'
export GIT_COMMITTER_DATE='2020-01-01T00:00:00Z' GIT_CONFIG_NOSYSTEM=1 HOME=$work
export LC_ALL=C TZ=UTC

case_git() {
	git init -q -b main r && cd r || return 1
	for i in $(seq 50); do echo "line $i" > "f$i"; done
	mkdir -p sub/deeper && echo deep > sub/deeper/x
	git add . && git commit -q -m one && git log --format='%H %s'
	echo changed >> f1 && rm f2 && echo new > untracked
	git status --short
	git checkout -q -b topic && git commit -q -am two && git checkout -q main
	git log --all --format='%H %s' && git gc -q && git fsck --no-progress 2>&1 | sort
	git status --short
}

case_tar() {
	mkdir -p tree/a/b && echo one > tree/a/one && printf 'two\0bin' > tree/a/b/two
	chmod 640 tree/a/one && ln -s ../a/one tree/a/b/link && ln tree/a/one tree/hard
	tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf t.tar tree
	sha256sum t.tar
	mkdir out && tar -xf t.tar -C out && find out | sort
	stat -c '%n %A %h %s' out/tree/a/one out/tree/hard
	tar -tvf t.tar | sort
}

case_sed() {
	printf 'alpha\nbeta\ngamma\n' > f && chmod 600 f
	sed -i 's/beta/BETA/' f && cat f && stat -c '%a %s' f
	sed -i.bak -e '1d' f && cat f f.bak
}

case_sort() {
	mkdir tmp && seq 30000 | shuf --random-source=<(yes) > in
	sort -n -S 64K -T "$D/tmp" in | sha256sum
	sort -S 64K -T "$D/tmp" -o in in && sha256sum in && ls tmp
}

case_cp() {
	mkdir src && echo a > src/a && echo b > src/b && mkdir src/d && echo c > src/d/c
	chmod 600 src/a && chmod 751 src/d && ln -s a src/l && ln src/b src/hb
	setfattr -n user.tag -v hello src/a
	touch -h -d '2001-02-03 04:05:06.123456789' src/a src/d/c src/l
	touch -d '2002-01-01' src/d src/b src
	cp -a src dst
	(cd dst && find . -printf '%p %M %n %s %TY-%Tm-%Td %TT %l\n' | sort)
	getfattr -d --absolute-names dst/a
	cp --reflink=auto src/b copy && cat copy
}

case_fifo() {
	mkfifo p && stat -c '%F %a' p
	(echo through the fifo > p &)
	cat p
	rm p
}

case_flock() {
	touch l
	flock l -c 'flock -n l true && echo free || echo busy'
	flock -n l true && echo free after
	python3 - <<-'EOF'
	import fcntl, os
	fd = os.open("pl", os.O_RDWR | os.O_CREAT, 0o644)
	fcntl.lockf(fd, fcntl.LOCK_EX)
	pid = os.fork()
	if pid == 0:
	    fd2 = os.open("pl", os.O_RDWR)
	    try:
	        fcntl.lockf(fd2, fcntl.LOCK_EX | fcntl.LOCK_NB)
	        print("child got the lock")
	    except OSError as e:
	        print("child: locked", e.errno in (11, 13))
	    os._exit(0)
	os.waitpid(pid, 0)
	fcntl.lockf(fd, fcntl.LOCK_UN)
	pid = os.fork()
	if pid == 0:
	    fd2 = os.open("pl", os.O_RDWR)
	    fcntl.lockf(fd2, fcntl.LOCK_EX | fcntl.LOCK_NB)
	    print("child got it after unlock")
	    os._exit(0)
	os.waitpid(pid, 0)
	EOF
}

case_sqlite() {
	command -v sqlite3 > /dev/null || { echo "no sqlite3"; return 0; }
	sqlite3 db 'PRAGMA journal_mode=WAL; CREATE TABLE t(a INTEGER, b TEXT);
		WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000)
		INSERT INTO t SELECT x, hex(randomblob(8)) FROM c;'
	# WAL: another process reads the last commit while a write is open
	python3 - <<-'EOF'
	import sqlite3, subprocess
	c = sqlite3.connect("db", isolation_level=None)
	c.execute("BEGIN IMMEDIATE")
	c.execute("UPDATE t SET a = a + 1 WHERE a % 2 = 0")
	print(subprocess.run(["sqlite3", "db", "SELECT count(*), sum(a) FROM t"],
	                     capture_output=True, text=True).stdout.strip())
	c.execute("COMMIT")
	c.close()
	EOF
	sqlite3 db 'PRAGMA journal_mode; SELECT count(*), sum(a) FROM t; PRAGMA integrity_check;'
	ls db*
}

case_python() {
	python3 - <<-'EOF'
	import os, shutil, mmap
	os.makedirs("w/a/b/c")
	for i in range(30):
	    with open(f"w/a/f{i}", "w") as f:
	        f.write("x" * i)
	shutil.copytree("w", "w2", symlinks=True)
	shutil.move("w2/a/b", "w2/moved")
	for root, dirs, files in sorted(os.walk(".")):
	    print(root, sorted(dirs), len(files))
	with open("m", "wb") as f:
	    f.truncate(65536)
	with open("m", "r+b") as f:
	    mm = mmap.mmap(f.fileno(), 0)
	    mm[100:105] = b"hello"
	    mm.flush()
	    mm.close()
	with open("m", "rb") as f:
	    f.seek(100)
	    print(f.read(5))
	shutil.rmtree("w2")
	print(sorted(os.listdir(".")))
	EOF
}

case_exec() {
	cp /bin/echo ./prog && chmod 755 prog && ./prog ran from here
	printf '#!/bin/sh\necho script "$@"\n' > s.sh && chmod +x s.sh && ./s.sh ok
}

case_make() {
	# a small C program built with make -j2, then rebuilt after one change:
	# make's decisions rest on the mount's times
	for i in 1 2 3 4; do printf 'int f%d(void) { return %d; }\n' $i $i > f$i.c; done
	printf '#include <stdio.h>\nint f1(void), f2(void), f3(void), f4(void);\n' > main.c
	printf 'int main(void) { printf("%%d\\n", f1() + f2() + f3() + f4()); return 0; }\n' >> main.c
	printf 'prog: main.o f1.o f2.o f3.o f4.o\n\t$(CC) -o $@ $^\n' > Makefile
	printf '%%.o: %%.c\n\t$(CC) -c -o $@ $<\n' >> Makefile
	make -s -j2 CC=gcc && ./prog
	sleep 1.1 && printf 'int f3(void) { return 30; }\n' > f3.c
	make -j2 CC=gcc | sort && ./prog
	make -j2 CC=gcc
}

case_rsync() {
	# rsync -a -H both ways: from native files onto D, and back from D
	local back
	rsync -a -H "$work/rs.src/" dst/ && find dst -printf '%P %y %m %s %T@ %n %l\n' | sort
	back=$(mktemp -d "$work/rs.back.XXXXXX")
	rsync -a -H dst/ "$back/" && diff -r "$work/rs.src" "$back" && echo same
	find "$back" -printf '%P %y %m %s %T@ %n %l\n' | sort
	echo extra > dst/a/new && rm dst/top && rsync -a -H --delete "$work/rs.src/" dst/ -i
}

case_zip() {
	mkdir -p tree/sub && echo one > tree/one && head -c 100000 "$work/big.src" > tree/sub/bin
	touch -d '2021-02-03 04:05:06' tree/one tree/sub/bin tree/sub tree
	zip -q -r -X a.zip tree && unzip -Z1 a.zip && unzip -l a.zip | sed 's/ \+/ /g'
	mkdir out && cd out && unzip -q ../a.zip && diff -r ../tree tree && echo same
	cd .. && zip -q a.zip -d tree/one && unzip -Z1 a.zip && unzip -q -t a.zip
}

case_static() {
	# a static binary, built here and run from here
	printf '#include <stdio.h>\nint main(int c, char **v) { printf("static %%s\\n", v[1]); return c; }\n' > s.c
	gcc -static -o s s.c && ./s here
	echo "exit $?"
}

case_append() {
	# O_APPEND from several writers, and a write-only file: the writeback
	# cache appends itself and must read pages of files opened O_WRONLY
	printf a > f && printf b >> f && printf c >> f && cat f && echo
	for i in 1 2 3; do echo "$i" >> g & done
	wait
	sort g && stat -c %s g
	echo one > w && chmod 200 w && echo two >> w && chmod 600 w && cat w
	dd if=/dev/zero of=z bs=1000 count=5 status=none && printf X | dd of=z bs=1 seek=2500 conv=notrunc status=none
	od -An -c -j 2498 -N 4 z && stat -c %s z
}

case_big() {
	# the same bytes natively and on the mount
	cp "$work/big.src" big && sha256sum big
	for i in 1 2 3 4; do sha256sum big & done | sort -u
	wait
	dd if=big of=part bs=1M skip=2 count=1 status=none && sha256sum part
	truncate -s 10M big && stat -c %s big
}

case_errors() {
	cat nope
	mkdir d && mkdir d
	echo x > d/f && rmdir d
	cat d/f/x
	ln -s loop loop && cat loop
	mv d e && ls e && mv e/f e/g && ls e
	: > 'name with spaces' && ls
	true
}

start_hostd
head -c 5000000 /dev/urandom > "$work/big.src"
# what case_rsync copies: modes, times to the nanosecond, a symlink, hard
# links, an empty directory
mkdir -p "$work/rs.src/a/b" "$work/rs.src/empty"
head -c 70000 "$work/big.src" > "$work/rs.src/a/b/data" && echo top > "$work/rs.src/top"
echo x > "$work/rs.src/a/x" && chmod 600 "$work/rs.src/a/x" && chmod 750 "$work/rs.src/a/b"
ln "$work/rs.src/top" "$work/rs.src/a/hard" && ln -s ../top "$work/rs.src/a/link"
find "$work/rs.src" -exec touch -h -d '2022-03-04 05:06:07.123456789' {} +

# ---- the programs ----
if ! "$mnt_bin" host:data "$mp" -o channels=4; then
	fail "mount host:data"
	exit 1
fi
is_mounted "$mp" || fail "host:data is not in /proc/mounts"
for c in git tar sed sort cp fifo flock sqlite python exec make rsync zip static append big errors; do
	run_case "$c"
done

# a change made on the host is seen (cache=auto: within the 1 s timeout)
echo "from the host" > "$exp/hostnew"
sleep 1.2
[ "$(cat "$mp/hostnew" 2>&1)" = "from the host" ] || fail "a host file is not seen"
echo "changed on the host" > "$exp/hostnew"
sleep 1.2
[ "$(cat "$mp/hostnew" 2>&1)" = "changed on the host" ] || fail "a host change is not seen"

# SIGTERM: a clean unmount, exit 0, the shadow gone with the channel
pid=$(mount_pid "$mp")
[ -n "$pid" ] || fail "no vmrpc-mount process for $mp"
kill -TERM "$pid"
wait_unmounted "$mp" || fail "SIGTERM did not unmount"
for _ in $(seq 100); do [ -d "/proc/$pid" ] || break; sleep 0.05; done
[ -d "/proc/$pid" ] && fail "vmrpc-mount still runs after SIGTERM"
echo "ok: SIGTERM unmounts"

# ---- options ----
"$mnt_bin" host:ro "$mp" || fail "mount host:ro"
[ "$(cat "$mp/file")" = "read only" ] || fail "host:ro: read"
out=$(touch "$mp/new" 2>&1) && fail "host:ro: a write worked"
case $out in *"Read-only file system"*) ;; *) fail "host:ro: $out" ;; esac
umount "$mp" && wait_unmounted "$mp" || fail "umount host:ro"
"$mnt_bin" -o ro host:data "$mp" || fail "mount -o ro"
out=$(mkdir "$mp/x" 2>&1) && fail "-o ro: mkdir worked"
grep -q " $mp fuse.vmrpc ro," /proc/mounts || fail "-o ro: not a ro mount"
umount "$mp" && wait_unmounted "$mp" || fail "umount -o ro"
"$mnt_bin" -o cache=none,spin=20000 host:data "$mp" || fail "mount cache=none"
echo one > "$mp/cn" && echo two > "$exp/cn" && [ "$(cat "$mp/cn")" = two ] ||
	fail "cache=none: a host change is not seen at once"
run_case sed
umount "$mp" && wait_unmounted "$mp" || fail "umount cache=none"
# cache=always caches for a day: what the host changes must still arrive,
# pushed by the watch (issue 12 asks for 100 ms; this allows 1 s on a
# loaded machine and prints what it took)
seen_within() { # FILE EXPECTED: ms until FILE reads EXPECTED, or fail after 1 s
	local s e
	s=$(date +%s%N)
	for _ in $(seq 100); do
		[ "$(cat "$1" 2>&1)" = "$2" ] && e=$(date +%s%N) && echo $(((e - s) / 1000000)) &&
			return 0
		sleep 0.01
	done
	return 1
}
"$mnt_bin" -o cache=always host:data "$mp" || fail "mount cache=always"
echo before > "$exp/ca" && cat "$mp/ca" > /dev/null && ls "$mp" > /dev/null
echo "after, longer" > "$exp/ca"
ms=$(seen_within "$mp/ca" "after, longer") || fail "cache=always: a host write is not seen"
echo new > "$exp/ca.new"
ms2=$(seen_within "$mp/ca.new" new) || fail "cache=always: a host file is not seen"
rm "$exp/ca.new"
for _ in $(seq 100); do [ -e "$mp/ca.new" ] || break; sleep 0.01; done
[ -e "$mp/ca.new" ] && fail "cache=always: a host unlink is not seen"
echo mine > "$mp/ca" && [ "$(cat "$exp/ca")" = mine ] || fail "cache=always: own write"
umount "$mp" && wait_unmounted "$mp" || fail "umount cache=always"
echo "ok: cache=always sees host changes (a write in ${ms:-?} ms, a new name in ${ms2:-?} ms)"

# mount(8)'s helper, with fstab's options
"$(dirname "$mnt_bin")/mount.vmrpc" host:data "$mp" -o rw,noauto,nofail,_netdev,x-a=b,cache=none ||
	fail "mount.vmrpc"
[ -d "$mp/git" ] || fail "mount.vmrpc: nothing mounted"
umount "$mp" && wait_unmounted "$mp" || fail "umount mount.vmrpc"
echo "ok: ro, export-ro, cache=none, mount.vmrpc"

# the writeback cache: the same results as native, and what a program
# closed is on the serving side
out=$("$mnt_bin" -o cache=none,writeback host:wb "$mp" 2>&1) && fail "cache=none,writeback mounted"
case $out in *"not with cache=none"*) ;; *) fail "cache=none,writeback: $out" ;; esac
"$mnt_bin" -o writeback host:wb "$mp" || fail "mount -o writeback"
native=$work/native.wb
mkdir -p "$native"
for c in append git sqlite cp make rsync zip big errors; do
	run_case "$c"
done
echo "written through the cache" > "$mp/closed"
[ "$(cat "$wb_exp/closed")" = "written through the cache" ] ||
	fail "writeback: a closed file's data is not on the serving side"
umount "$mp" && wait_unmounted "$mp" || fail "umount -o writeback"
native=$work/native
echo "ok: -o writeback"

# ---- the reverse direction: the host mounts a guest export ----
gexp=$work/gexp
mkdir -p "$gexp"
printf 'export = gdata %s\n' "$gexp" > "$work/guestd.conf"
"$guestd" -r mnttest -c "$work/guestd.conf" 2>> "$work/guestd.log" &
guestd_pid=$!
for _ in $(seq 100); do grep -q "serving 2 interfaces" "$work/guestd.log" && break; sleep 0.05; done
out=$("$mnt_bin" mnttest:nosuch "$mp" 2>&1) && fail "mnttest:nosuch mounted"
case $out in *"guest exports no 'nosuch'"*) ;; *) fail "mnttest:nosuch: $out" ;; esac
"$mnt_bin" mnttest:gdata "$mp" || fail "mount mnttest:gdata"
native=$work/native.reverse
mkdir -p "$native"
for c in git tar sed sort cp fifo flock sqlite python exec make rsync zip static big errors; do
	run_case "$c"
done
ls "$gexp/git/r/f1" > /dev/null || fail "the guest export does not have what the mount wrote"
kill -TERM "$guestd_pid" && wait "$guestd_pid"
guestd_pid=
out=$(timeout 20 cat "$mp/git/r/f1" 2>&1)
st=$?
[ $st -eq 124 ] && fail "a read hung after guestd stopped"
[ $st -eq 0 ] && fail "a read worked after guestd stopped"
wait_unmounted "$mp" || fail "the mount stays after guestd stopped"
echo "ok: the reverse direction; a stopped guestd ends the mount ($out)"

# ---- clear errors ----
out=$("$mnt_bin" host:nosuch "$mp" 2>&1) && fail "host:nosuch mounted"
case $out in *"exports no 'nosuch'"*) ;; *) fail "host:nosuch: $out" ;; esac
out=$("$mnt_bin" vm1:/x "$mp" 2>&1) && fail "vm1:/x mounted"
out=$(VMRPC_REGION=nobody "$mnt_bin" host:data "$mp" 2>&1) && fail "mounted without hostd"
[ -n "$out" ] || fail "no message without hostd"
is_mounted "$mp" && fail "a failed mount is mounted"
echo "ok: errors"

# ---- the serving side goes away ----
"$mnt_bin" host:data "$mp" || fail "mount again"
ls "$mp" > /dev/null || fail "ls"
pid=$(mount_pid "$mp")
spid=$(grep "caller pid $pid uid" "$work/hostd.log" | tail -1 | sed 's/.*shadow pid //')
[ -n "$spid" ] || fail "no shadow pid for the mount in hostd's log"
kill -KILL "$spid"
out=$(timeout 20 cat "$mp/git/r/f1" 2>&1)
st=$?
[ $st -eq 124 ] && fail "a read hung after the shadow died"
[ $st -eq 0 ] && fail "a read worked after the shadow died"
wait_unmounted "$mp" || fail "the mount stays after the shadow died"
echo "ok: a dead shadow ends the mount ($out)"

"$mnt_bin" host:data "$mp" || fail "mount after a shadow died"
ls "$mp" > /dev/null || fail "ls"
kill -TERM "$hostd_pid" && wait "$hostd_pid"
hostd_pid=
out=$(timeout 20 ls "$mp/git" 2>&1)
st=$?
[ $st -eq 124 ] && fail "ls hung after hostd stopped"
wait_unmounted "$mp" || fail "the mount stays after hostd stopped"
echo "ok: a stopped hostd ends the mount"

if [ "$failures" -ne 0 ]; then
	echo "$failures failure(s); hostd's log:"
	cat "$work/hostd.log"
	echo "guestd's log:"
	cat "$work/guestd.log" 2>/dev/null
	exit 1
fi
echo "all passed"
