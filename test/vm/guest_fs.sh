# shellcheck shell=sh disable=SC2154,SC2034 # the variables are /init's
# The VM test's file-system steps in the guest, sourced by the /init that
# test/vm/run.sh writes (busybox sh): host files through vmrpc-mount (FUSE,
# fuse.ko from the booted kernel's modules) and through the LD_PRELOAD shim,
# and the guest tree vmrpc-guestd exports for the host's mount. Uses /init's
# check and wait_for, and the values it sets: mode (full: no driver; driver:
# vmrpc.ko loaded), bell and plain (the two vmrpc devices), hostdir and
# export_dir (host paths), host_big_sum (the sha256 of the export's
# host-big), shim (the shim's path). What the guest writes is checked again
# on the host after the boot (run.sh, check_host_files); lines "VMTEST sum
# NAME SHA256" give the host the guest's sums.

fs_modules() { # fuse.ko and what it needs, in the order run.sh listed them
	check "fuse.ko loads" '^fuse ' \
		sh -c 'for m in $(cat /lib/fs-modules); do insmod /lib/$m.ko || exit 1; done; lsmod'
	wait_for "no /dev/fuse after loading fuse.ko" 10 test -c /dev/fuse &&
		echo "VMTEST ok: /dev/fuse"
}

mnt_pid() { # mnt_pid MOUNTPOINT: the vmrpc-mount process serving it (its last argument)
	for d in /proc/[0-9]*; do
		[ "$(cat $d/comm 2>/dev/null)" = vmrpc-mount ] || continue
		[ "$(tr '\0' '\n' <$d/cmdline | tail -n 1)" = "$1" ] && echo ${d#/proc/} && return
	done
}

gone() { # gone PID: it exited (a zombie of /init's counts)
	[ ! -e /proc/$1/status ] || grep -q '^State:.*Z' /proc/$1/status
}

fs_mount() { # fs_mount WHAT VMRPC-MOUNT-ARGS... MOUNTPOINT (the mount point last)
	what=$1
	shift
	for mp; do :; done
	mkdir -p $mp
	check "$what" " $mp fuse.vmrpc " \
		sh -c 'vmrpc-mount "$@" && grep " fuse.vmrpc " /proc/mounts' vmrpc-mount "$@"
}

fs_umount() { # fs_umount MOUNTPOINT: a clean unmount, and vmrpc-mount exits
	pid=$(mnt_pid $1)
	check "umount $1" 'unmounted' \
		sh -c "umount $1 && ! grep -q ' $1 ' /proc/mounts && echo unmounted"
	wait_for "vmrpc-mount (pid $pid) still runs after umount $1" 10 gone ${pid:-0} &&
		echo "VMTEST ok: vmrpc-mount (pid $pid) exited after umount $1"
	echo "VMTEST unmounted pid $pid" # the host checks it detached its channels
}

# fs_transport MOUNTPOINT-OR-PID WHAT: it maps its channel from the device
# the mode says: /dev/vmrpcN with vmrpc.ko, the sysfs resource file without,
# never both.
fs_transport() {
	case $1 in /*) pid=$(mnt_pid $1) ;; *) pid=$1 ;; esac
	if [ $mode = driver ]; then
		check "$2 maps its channel from /dev/vmrpc" 'on the device' \
			sh -c "grep -q ' /dev/vmrpc[0-9]' /proc/$pid/maps && ! grep -q resource2 /proc/$pid/maps && echo on the device"
	else
		check "$2 maps its channel from sysfs" 'through sysfs' \
			sh -c "grep -q '/resource2' /proc/$pid/maps && echo through sysfs"
	fi
}

# fs_sleeps PID WHAT: with the driver, on the doorbell device, a thread of
# PID waiting for the host (the mount's watch, the shim's slow call) sleeps
# in vmrpc.ko rather than polling.
fs_sleeps() {
	[ $mode = driver ] || return 0
	if wait_for "$2 never slept in vmrpc.ko" 10 sh -c "grep -q '^vmrpc' /proc/$1/task/*/wchan"
	then
		echo "VMTEST ok: $2 sleeps in vmrpc.ko ($(grep -h '^vmrpc' /proc/$1/task/*/wchan | head -n 1))"
	else
		echo "its threads wait in: $(cat /proc/$1/task/*/wchan 2>&1 | tr '\n' ' ')"
	fi
}

# fs_host_mount: the host's export "data" (and "rodata"), mounted on the
# doorbell device (through vmrpc.ko's /dev/vmrpc0 by default when it is
# loaded), used with busybox's tools. Leaves /mnt/data mounted for the
# host's turn (fs_after_host).
fs_host_mount() {
	m=/mnt/data
	if [ $mode = driver ]; then
		# no region named: a guest with vmrpc.ko uses /dev/vmrpc0
		fs_mount "vmrpc-mount host:data (the default device)" -o channels=2 host:data $m
	else
		fs_mount "vmrpc-mount host:data over $bell" -o region=$bell,channels=2 host:data $m
	fi
	# Not mounted, the steps below would pass on the guest's own directory.
	if ! grep -q " $m fuse.vmrpc " /proc/mounts; then
		echo "VMTEST FAILED: no mount on $m: its checks not run"
		fail=1
		return
	fi
	fs_transport $m "vmrpc-mount"
	fs_sleeps "$(mnt_pid $m)" "vmrpc-mount"
	check "a host file through the mount" '^from the host$' cat $m/host.txt
	check "write and read back a file" "^written in the $mode guest\$" \
		sh -c "echo 'written in the $mode guest' >$m/g-$mode.txt && cat $m/g-$mode.txt"
	check "mkdir, rename, unlink" '^renamed$' sh -c "
		mkdir -p $m/d-$mode/sub && echo x >$m/d-$mode/sub/a && echo y >$m/d-$mode/gone &&
		mv $m/d-$mode/sub/a $m/d-$mode/sub/b && mv $m/d-$mode/sub $m/d-$mode/moved &&
		rm $m/d-$mode/gone && test -f $m/d-$mode/moved/b && test ! -e $m/d-$mode/sub &&
		test ! -e $m/d-$mode/gone && echo renamed"
	check "ls -l shows the modes set" '^-rw-r----- drwxr-x--x$' sh -c "
		touch $m/mode-$mode && chmod 640 $m/mode-$mode && mkdir $m/dmode-$mode &&
		chmod 751 $m/dmode-$mode &&
		echo \$(ls -ld $m/mode-$mode | cut -c1-10) \$(ls -ld $m/dmode-$mode | cut -c1-10)"
	# a large file both ways: split into many FUSE requests and arena chunks
	head -c 4194304 /dev/urandom >/tmp/big
	sum=$(sha256sum </tmp/big | cut -d' ' -f1)
	check "a 4 MiB file written through the mount reads back the same" "^$sum " \
		sh -c "cp /tmp/big $m/big-$mode && sha256sum $m/big-$mode"
	echo "VMTEST sum big-$mode $sum"
	check "a 4 MiB host file reads the same in the guest" "^$host_big_sum " sha256sum $m/host-big
	mkdir -p /tmp/tree/a/b /tmp/tree/c
	echo one >/tmp/tree/a/one && echo two >/tmp/tree/a/b/two && echo three >/tmp/tree/c/three
	chmod 600 /tmp/tree/a/one
	check "tar x onto the mount, tar c from it: the same tree" '^same$' sh -c "
		tar -C /tmp -cf /tmp/tree.tar tree && mkdir -p $m/x-$mode &&
		tar -C $m/x-$mode -xf /tmp/tree.tar && tar -C $m/x-$mode -cf /tmp/back.tar tree &&
		rm -rf /tmp/back && mkdir /tmp/back && tar -C /tmp/back -xf /tmp/back.tar &&
		diff -r /tmp/tree /tmp/back/tree && diff -r /tmp/tree $m/x-$mode/tree &&
		test \"\$(stat -c %a $m/x-$mode/tree/a/one)\" = 600 && echo same"
	check "a FIFO on the mount" '^through the fifo$' sh -c "
		mkfifo $m/fifo-$mode && (echo through the fifo >$m/fifo-$mode &) &&
		cat $m/fifo-$mode && test -p $m/fifo-$mode && rm $m/fifo-$mode"
	cat $m/change.txt >/dev/null # cached now: the host changes it in its turn
	check "an export the host does not have: a clear error" "exports no 'nosuch'" \
		sh -c "! vmrpc-mount -o region=$bell host:nosuch /mnt/ro"
	fs_mount "vmrpc-mount -o ro" -o region=$bell,ro,channels=1 host:data /mnt/ro
	check "the -o ro mount reads" '^from the host$' cat /mnt/ro/host.txt
	check "and refuses writes" 'Read-only file system' \
		sh -c "! touch /mnt/ro/ro-$mode && ! echo x >/mnt/ro/host.txt"
	fs_umount /mnt/ro
	fs_mount "vmrpc-mount host:rodata (export-ro)" -o region=$bell,channels=1 host:rodata /mnt/ro
	check "an export-ro refuses writes" 'Read-only file system' \
		sh -c "cat /mnt/ro/file && ! touch /mnt/ro/ro-$mode"
	fs_umount /mnt/ro
	# The plain device (no interrupts, with or without the driver), and
	# vmrpc-mount in the foreground as a service manager runs it: its
	# messages on the console, its exit status ours to check.
	mkdir -p /mnt/plain
	vmrpc-mount -f -o region=$plain,channels=1 host:data /mnt/plain &
	fg=$!
	wait_for "vmrpc-mount -f host:data over $plain did not mount" 30 \
		grep -q ' /mnt/plain fuse.vmrpc ' /proc/mounts &&
		echo "VMTEST ok: vmrpc-mount -f host:data over $plain"
	fs_transport $fg "vmrpc-mount over $plain"
	check "write and read back over $plain" "^plain $mode\$" \
		sh -c "echo 'plain $mode' >/mnt/plain/plain-$mode.txt && cat /mnt/plain/plain-$mode.txt"
	fs_umount /mnt/plain
	wait $fg
	check "vmrpc-mount -f exits 0 after umount" '^0$' echo $?
}

fs_after_host() { # after the host's turn: its changes are seen, then unmount
	m=/mnt/data
	if wait_for "a host-side change is not seen through the mount" 5 \
		grep -q '^after$' $m/change.txt
	then
		echo "VMTEST ok: a host-side change is seen through the mount"
	else
		echo "change.txt reads: $(cat $m/change.txt 2>&1)"
	fi
	check "a file the host made in its turn" '^made by the host$' cat $m/host-new.txt
	fs_umount $m
}

# fs_gexp_prepare: the tree guestd exports (guestd.conf: export = gdata
# /gexp, in the initramfs: guestd checks its exports when it starts), with
# what the host's mount reads in its turn.
fs_gexp_prepare() {
	mkdir -p /gexp/from-guest
	echo 'a guest file' >/gexp/from-guest/hello
	head -c 4194304 /dev/urandom >/gexp/gbig
	echo "VMTEST sum gbig $(sha256sum </gexp/gbig | cut -d' ' -f1)"
}

fs_gexp_check() { # what the host did on its mount of /gexp
	check "the host's file in the guest export" '^made on the host$' cat /gexp/h-renamed
	check "the host renamed it" 'renamed' sh -c 'test ! -e /gexp/h-new && echo renamed'
	check "the host's mode" '^640$' stat -c %a /gexp/h-renamed
	want=$(cat /gexp/hbig.sha256 2>/dev/null)
	check "the host's 4 MiB file has the sum the host computed" "^${want:-no-sum-from-the-host}\$" \
		sh -c 'sha256sum </gexp/hbig | cut -d" " -f1'
	check "the host's tar extracted in the guest" '^two$' cat /gexp/host-tree/a/b/two
}

# fs_shim: dynamically linked host programs (coreutils, with their
# libraries) under LD_PRELOAD=the shim, on /host paths, over the doorbell
# device (through /dev/vmrpc0 with the driver).
fs_shim() {
	# (timeout: a shim that hangs fails its check rather than the boot)
	sh_env="LD_PRELOAD=$shim VMRPC_REGION=$bell"
	check "the shim: cat a host file" '^hello from the host$' \
		timeout 60 env $sh_env /usr/bin/cat /host$hostdir/hello.txt
	check "the shim: ls -l a host directory" ' hello.txt$' \
		timeout 60 env $sh_env /usr/bin/ls -l /host$hostdir
	check "the shim: write a host file" '^from the shim$' sh -c "
		echo from the shim | timeout 60 env $sh_env /usr/bin/tee /host$hostdir/shim-$mode.txt >/dev/null &&
		timeout 60 env $sh_env /usr/bin/cat /host$hostdir/shim-$mode.txt"
	check "the shim: sha256sum of a 4 MiB host file" "^$host_big_sum " \
		timeout 60 env $sh_env /usr/bin/sha256sum /host$export_dir/host-big
	# A slow host call: a host FIFO's reader waits in its call until a
	# writer comes (sleeping in vmrpc.ko with the driver).
	env $sh_env /usr/bin/cat /host$hostdir/shimfifo >/tmp/shimfifo.out 2>&1 &
	reader=$!
	wait_for "the shim's FIFO reader never attached" 30 \
		sh -c "grep -q -e /dev/vmrpc -e resource2 /proc/$reader/maps"
	fs_transport $reader "the shim"
	fs_sleeps $reader "the shim waiting in a host call"
	echo 'through the host fifo' |
		timeout 30 env $sh_env /usr/bin/tee /host$hostdir/shimfifo >/dev/null
	wait_for "the shim's FIFO reader did not finish" 30 gone $reader || kill $reader
	wait $reader
	check "the shim: a host FIFO's reader woke with the data" '^through the host fifo$' \
		cat /tmp/shimfifo.out
}
