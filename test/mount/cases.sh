# shellcheck shell=bash disable=SC2034,SC2154 # native, mp: the sourcing script sets them
# The real-program cases, one function case_NAME each, and run_case, which
# runs one natively and on a mount and compares what it printed. Sourced by
# test/mount/programs.sh (loopback: both directions on this machine) and by
# test/vm/programs.sh (a TCG guest: in the guest on its mount of a host
# export, and on the host on its mount of a guest export), so that both run
# the same programs in the same way.
#
# The sourcing script calls cases_setup FIXTURES once (it makes the files
# some cases copy from, in FIXTURES, and sets the environment every case
# runs in: fixed git identities and dates, HOME=FIXTURES, LC_ALL=C, TZ=UTC),
# sets native (the native directory) and mp (the mount) and calls run_case
# NAME for each case. A case runs in $native/NAME and in $mp/NAME ($D is that
# directory), as one bash function; its stdout, stderr (paths with $native or
# $mp in them read DIR) and status must be the same both times. fail prints
# FAIL and counts in failures.

# Every case, in the order the tests run them.
cases_all=(git tar sed sort cp fifo flock sqlite python exec make rsync zip static append big errors)
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# cases_setup FIXTURES: the environment, and what case_rsync, case_zip and
# case_big copy from, in FIXTURES (on the native side: a case must not read
# from the mount it tests).
cases_setup() {
	fixtures=$1
	export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t
	export GIT_COMMITTER_EMAIL=t@example.com GIT_AUTHOR_DATE='2020-01-01T00:00:00Z'
	export GIT_COMMITTER_DATE='2020-01-01T00:00:00Z' GIT_CONFIG_NOSYSTEM=1 HOME=$fixtures
	export LC_ALL=C TZ=UTC
	head -c 5000000 /dev/urandom > "$fixtures/big.src"
	# what case_rsync copies: modes, times to the nanosecond, a symlink,
	# hard links, an empty directory
	mkdir -p "$fixtures/rs.src/a/b" "$fixtures/rs.src/empty"
	head -c 70000 "$fixtures/big.src" > "$fixtures/rs.src/a/b/data" &&
		echo top > "$fixtures/rs.src/top"
	echo x > "$fixtures/rs.src/a/x" && chmod 600 "$fixtures/rs.src/a/x" &&
		chmod 750 "$fixtures/rs.src/a/b"
	ln "$fixtures/rs.src/top" "$fixtures/rs.src/a/hard" &&
		ln -s ../top "$fixtures/rs.src/a/link"
	find "$fixtures/rs.src" -exec touch -h -d '2022-03-04 05:06:07.123456789' {} +
}

# secs_since START: seconds since START (an $EPOCHREALTIME), to 0.01 s.
secs_since() {
	local now=$EPOCHREALTIME us
	us=$(( (${now/./} - ${1/./}) / 10000 ))
	printf '%d.%02d' $((us / 100)) $((us % 100))
}

# run_case NAME: the function case_NAME in DIR, natively and on the mount;
# on success one line "ok: NAME (native S s, mount S s)".
run_case() {
	local name=$1 out_n out_m st_n st_m t t_n t_m
	mkdir -p "$native/$name" "$mp/$name" || { fail "$name: mkdir"; return; }
	t=$EPOCHREALTIME
	out_n=$(cd "$native/$name" && D=$native/$name "case_$name" 2>&1)
	st_n=$?
	t_n=$(secs_since "$t")
	t=$EPOCHREALTIME
	out_m=$(cd "$mp/$name" && D=$mp/$name "case_$name" 2>&1)
	st_m=$?
	t_m=$(secs_since "$t")
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
	echo "ok: $name (native $t_n s, mount $t_m s)"
}

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
	rsync -a -H "$fixtures/rs.src/" dst/ && find dst -printf '%P %y %m %s %T@ %n %l\n' | sort
	back=$(mktemp -d "$fixtures/rs.back.XXXXXX")
	rsync -a -H dst/ "$back/" && diff -r "$fixtures/rs.src" "$back" && echo same
	find "$back" -printf '%P %y %m %s %T@ %n %l\n' | sort
	echo extra > dst/a/new && rm dst/top && rsync -a -H --delete "$fixtures/rs.src/" dst/ -i
}

case_zip() {
	mkdir -p tree/sub && echo one > tree/one && head -c 100000 "$fixtures/big.src" > tree/sub/bin
	touch -d '2021-02-03 04:05:06' tree/one tree/sub/bin tree/sub tree
	# zip -r stores names in the order readdir gives them, which is each
	# file system's own (a guest's ext4 and the host's differ): the
	# listings are sorted
	zip -q -r -X a.zip tree && unzip -Z1 a.zip | sort && unzip -l a.zip | sed 's/ \+/ /g' | sort
	mkdir out && cd out && unzip -q ../a.zip && diff -r ../tree tree && echo same
	cd .. && zip -q a.zip -d tree/one && unzip -Z1 a.zip | sort && unzip -q -t a.zip
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
	cp "$fixtures/big.src" big && sha256sum big
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
