#!/usr/bin/env bash
# Real programs on host files through the LD_PRELOAD shim, against the same
# programs run natively: cat, cp, ls -l, find, du, sha256sum, tar, grep -r,
# stat -f and df (statfs, statvfs),
# python3 walking a tree, sqlite3 creating and querying a database, and the
# errors ENOENT, EISDIR, ENOTDIR, EACCES. Each case runs twice, natively on
# DIR and through the shim on /host/DIR (the host is this machine: loopback),
# and must give the same stdout, stderr (with /host/DIR read as DIR) and exit
# status. A real vmrpc-hostd serves the shim. Asserts no timings.
#
# usage: programs.sh VMRPC_HOSTD VMRPC_SHADOW LIBVMRPC_PRELOAD [FIRST:...]
# (FIRST: libraries to preload before the shim: a sanitized build's runtimes)
set -uo pipefail
hostd=$1 shadow=$2 shim=$3

work=$(mktemp -d /tmp/vmrpc-programs.XXXXXX)
chmod 755 "$work"
hostd_pid=
cleanup() {
	[ -n "$hostd_pid" ] && kill "$hostd_pid" 2>/dev/null && wait "$hostd_pid"
	rm -rf "$work"
}
trap cleanup EXIT

# The EACCES cases run as nobody, with the shim preloaded too, and this tree
# may be where nobody cannot reach (root's 0700 home): the programs load
# copies of the shim and of the project's libraries it needs from here.
mkdir "$work/lib"
cp "$shim" "$work/lib/"
ldd "$shim" | awk '$3 ~ /^\// && $3 !~ /^\/(usr\/)?lib/ { print $3 }' | xargs -r cp -t "$work/lib"
chmod -R a+rX "$work/lib"
preload=$work/lib/$(basename "$shim")
if [ -n "${4:-}" ]; then
	preload=$4:$preload
	# programs leak at exit by design, and the runtime is not first in them
	export ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0
fi

export VMRPC_RUNTIME_DIR=$work/rt VMRPC_REGION=progs
mkdir -p "$VMRPC_RUNTIME_DIR"
# 0666: the EACCES cases run as nobody, who must reach the region too.
"$hostd" --loopback progs --shadow "$shadow" --mode 0666 2>"$work/hostd.log" &
hostd_pid=$!
for _ in $(seq 100); do [ -S "$VMRPC_RUNTIME_DIR/progs.sock" ] && break; sleep 0.1; done
[ -S "$VMRPC_RUNTIME_DIR/progs.sock" ] || { echo "hostd did not start"; cat "$work/hostd.log"; exit 1; }

# The tree: text, a binary file larger than a channel's arena (split
# transfers), nesting, a symlink, an empty directory, a locked directory.
t=$work/tree
mkdir -p "$t/src/lib" "$t/docs" "$t/empty" "$t/locked" "$work/out-native" "$work/out-host"
for i in $(seq 1 40); do echo "line $i of the readme, needle$((i % 7))" >>"$t/README"; done
seq 1 20000 >"$t/src/numbers.txt"
head -c 3000000 /dev/urandom >"$t/src/blob.bin"
printf 'int main(void) { return 0; } /* needle3 */\n' >"$t/src/lib/main.c"
printf '# docs\nneedle1\n' >"$t/docs/guide.md"
ln -s ../README "$t/docs/readme-link"
echo secret >"$t/locked/secret"
chmod 700 "$t/locked"
touch -d '2024-01-02 03:04:05' "$t/README" "$t/docs/guide.md"
chmod -R a+rX "$t/src" "$t/docs" "$t/README"

fails=0 cases=0
# run NAME CMD...: the command with @T@ standing for the tree's directory
# and @O@ for an output directory of its own.
run() {
	local name=$1; shift
	local native=() host=() a
	for a in "$@"; do
		native+=("${a//@T@/$t}")
		host+=("${a//@T@//host$t}")
	done
	native=("${native[@]//@O@/$work/out-native}")
	host=("${host[@]//@O@//host$work/out-host}")
	"${native[@]}" >"$work/n.out" 2>"$work/n.err"
	local ns=$?
	env LD_PRELOAD="$preload" LD_LIBRARY_PATH="$work/lib" "${host[@]}" >"$work/h.out" 2>"$work/h.err"
	local hs=$?
	sed -i "s|/host$t|$t|g; s|/host$work/out-host|$work/out-native|g" "$work/h.out" "$work/h.err"
	cases=$((cases + 1))
	if [ $ns -ne $hs ] || ! cmp -s "$work/n.out" "$work/h.out" || ! cmp -s "$work/n.err" "$work/h.err"; then
		fails=$((fails + 1))
		echo "FAIL $name: exit $ns natively, $hs through the shim"
		diff "$work/n.out" "$work/h.out" | head -20
		diff "$work/n.err" "$work/h.err" | head -20
	else
		echo "ok   $name (exit $ns)"
	fi
}

run cat            cat @T@/README @T@/src/lib/main.c
run cat-symlink    cat @T@/docs/readme-link
run cp-from-host   sh -c 'cp @T@/src/blob.bin @O@/blob && sha256sum < @O@/blob'
run cp-to-host     sh -c 'cp -r @T@/src @O@/src-copy && cd @O@/src-copy && sha256sum blob.bin numbers.txt lib/main.c'
run ls-l           ls -l @T@ @T@/src @T@/docs
run ls-la-time     ls -la --time-style=full-iso @T@/docs
run find           sh -c 'find @T@ | sort'
run find-type      sh -c 'find @T@ -type f -name "*.txt" -o -type l | sort'
run du             du -a @T@/src @T@/docs
run sha256sum      sha256sum @T@/README @T@/src/blob.bin @T@/src/numbers.txt
run tar            sh -c 'tar cf - -C @T@ src docs README | tar tvf - | sort'
run tar-extract    sh -c 'tar cf - -C @T@ src | tar xf - -C @O@ && find @O@/src -type f | sort | xargs sha256sum'
run grep-r         sh -c 'grep -rn needle3 @T@ | sort'
run grep-count     grep -c needle @T@/README
# statfs/statvfs of host paths and descriptors (hostfs.statfs): the fields
# no other writer changes between the two runs (not the free counts).
run stat-f         stat -f -c '%n %t %T %s %S %b %c %l %i' @T@ @T@/src/numbers.txt
run fstatfs        python3 -c '
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
buf = (ctypes.c_long * 15)()  # struct statfs on x86-64
fd = os.open(sys.argv[1], os.O_RDONLY)
for r in (libc.fstatfs(fd, buf), libc.statfs(sys.argv[1].encode(), buf)):
    # f_type f_bsize f_blocks f_files f_fsid f_namelen f_frsize f_flags
    print(r, [buf[i] for i in (0, 1, 2, 5, 7, 8, 9, 10)])
print(libc.statfs(sys.argv[2].encode(), buf), os.strerror(ctypes.get_errno()))
' @T@/README @T@/missing
run df             df --output=fstype,size,itotal,target @T@ @T@/README
run python3-statvfs python3 -c '
import os, sys
for p in sys.argv[1:]:
    s = os.statvfs(p)
    print(s.f_bsize, s.f_frsize, s.f_blocks, s.f_files, s.f_flag, s.f_namemax, s.f_fsid)
with open(sys.argv[1] + "/README") as f:
    s = os.fstatvfs(f.fileno())
    print(s.f_bsize, s.f_blocks, s.f_namemax)
' @T@ @T@/src
run python3-walk   python3 -c '
import hashlib, os, sys
root = sys.argv[1]
for d, subdirs, files in sorted(os.walk(root)):
    subdirs.sort()
    for f in sorted(files):
        p = os.path.join(d, f)
        st = os.lstat(p)
        data = open(p, "rb").read() if not os.path.islink(p) else b""
        print(os.path.relpath(p, root), st.st_size, oct(st.st_mode), hashlib.sha256(data).hexdigest()[:16])
' @T@/src
run python3-cwd    python3 -c 'import os,sys; os.chdir(sys.argv[1]); print(sorted(os.listdir(".")), open("numbers.txt").readline().strip())' @T@/src
run sqlite3        sqlite3 @O@/test.db 'create table t(id integer primary key, name text);
insert into t(name) values ("alpha"), ("beta"), ("gamma");
create index t_name on t(name);
update t set name = upper(name) where id > 1;
select id, name from t order by name;
pragma integrity_check;'
run sqlite3-reopen sqlite3 @O@/test.db 'select count(*), group_concat(name) from t;'
run mkdir-rm       sh -c 'mkdir -p @O@/a/b && echo x > @O@/a/b/f && mv @O@/a/b/f @O@/a/g && ls @O@/a && rm -r @O@/a && ls @O@'
# The shim's own descriptors (doorbell socket, region file, placeholder
# template) are out of the program's way: a shell's "exec 3<" and "exec 4<"
# used to replace the doorbell socket, and the next fork crashed. A shell
# just exec'd passes an inherited host descriptor on before its first host
# call. A program that dup2s onto the top 40 numbers (where the shim keeps
# its own), closes everything and forks still has its channel.
run sh-exec-fds    sh -c 'exec 3<@T@/README 4<@T@/src/lib/main.c; ls @T@/docs; head -2 <&3; cat <&4; cat <&3 | wc -l'
run sh-inherit-fd  sh -c 'exec 5<@T@/README; sh -c "head -3 <&5"; bash -c "cat <&5 | wc -l"'
run dup2-top-fds   python3 -c '
import os, resource, sys
top = min(resource.getrlimit(resource.RLIMIT_NOFILE)[0], 65536)
f = os.open(sys.argv[1], os.O_RDONLY)
for fd in range(top - 40, top):
    os.dup2(f, fd)
os.close(f)
print(os.pread(top - 1, 16, 0))
pid = os.fork()
if pid == 0:
    print("child", os.pread(top - 20, 16, 5), open(sys.argv[1], "rb").read(4))
    os._exit(0)
os.waitpid(pid, 0)
os.closerange(3, top)
print(open(sys.argv[1], "rb").read(12))
pid = os.fork()
if pid == 0:
    print("child", open(sys.argv[1], "rb").read(4))
    os._exit(0)
os.waitpid(pid, 0)
' @T@/README
# realpath(3) of host paths (glibc's own would resolve through the guest).
run realpath3      python3 -c '
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.realpath.restype = ctypes.c_char_p
for a in sys.argv[1:]:
    r = libc.realpath(a.encode(), None)
    print(r.decode() if r else os.strerror(ctypes.get_errno()))
' @T@/docs/readme-link @T@/src/../docs/ @T@ @T@/missing @T@/README/x
# errors: the host's errno, printed by the program as natively
run enoent         cat @T@/no-such-file
run eisdir         cat @T@/src
run enotdir        cat @T@/README/x
run enoent-ls      ls @T@/missing
if [ "$(id -u)" -eq 0 ]; then
	# root reads anything: EACCES needs an unprivileged user (its shadow
	# runs as that user too).
	run eacces     setpriv --reuid=65534 --regid=65534 --clear-groups cat @T@/locked/secret
	run eacces-ls  setpriv --reuid=65534 --regid=65534 --clear-groups ls @T@/locked
fi

# Guest paths are untouched by the shim.
run guest-paths    sh -c 'cat /etc/hostname; ls -d /tmp; cat /no/such 2>&1'

if grep -q "signal" "$work/hostd.log"; then
	echo "FAIL: a shadow died:"; grep signal "$work/hostd.log"; fails=$((fails + 1))
fi
echo "$cases cases, $fails failed"
[ $fails -eq 0 ]
