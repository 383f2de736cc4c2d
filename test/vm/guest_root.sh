# shellcheck shell=bash disable=SC2154 # release_pat, libdir, src: the sourcing script's
# What the scripts that boot a guest share to build its initramfs: the
# booted kernel's modules, dynamically linked programs with their
# libraries, and vmrpc.ko built against the booted kernel's headers. Sourced
# by test/vm/run.sh, test/vm/programs.sh, bench/vm.sh and bench/vm_mount.sh,
# which set release_pat (the booted kernel's release), libdir (libc's
# directory on the host: the guest's loader searches it without an
# ld.so.cache) and src (the source tree), and define die.

# copy_module ROOT NAME: the booted kernel's module NAME, after the modules
# it depends on, uncompressed into ROOT/lib (busybox's insmod takes a plain
# .ko), its name appended to ROOT/lib/fs-modules, the load order /init uses.
copy_module() {
	local root=$1 name=$2 file dep
	grep -qx "$name" "$root/lib/fs-modules" 2>/dev/null && return 0
	file=$(modinfo -k "$release_pat" -n "$name") ||
		die "no module $name for $release_pat (linux-image-cloud-amd64's modules)"
	[ "$file" = "(builtin)" ] && return 0
	for dep in $(modinfo -k "$release_pat" -F depends "$name" | tr ',' ' '); do
		copy_module "$root" "$dep"
	done
	mkdir -p "$root/lib"
	case $file in
	*.ko) cp "$file" "$root/lib/$name.ko" ;;
	*.ko.xz) xz -dc "$file" >"$root/lib/$name.ko" ;;
	*.ko.zst) zstd -qdc "$file" >"$root/lib/$name.ko" ;;
	*.ko.gz) gzip -dc "$file" >"$root/lib/$name.ko" ;;
	*) die "$file: a module compressed in a way this script does not know" ;;
	esac
	echo "$name" >>"$root/lib/fs-modules"
}

# copy_dynamic ROOT DIR FILE...: FILEs into ROOT/DIR, with the libraries
# ldd lists: the loader where PT_INTERP names it, the rest in libdir. And
# libgcc_s.so.1, which ldd does not list: glibc loads it to unwind a thread
# pthread_cancel() ends (libfuse's workers, when a mount ends) and aborts
# the process without it.
copy_dynamic() {
	local root=$1 dir=$2 f lib arrow path
	shift 2
	mkdir -p "$root$dir" "$root$libdir"
	cp -L "$libdir/libgcc_s.so.1" "$root$libdir/" || die "no $libdir/libgcc_s.so.1 (libgcc-s1)"
	for f in "$@"; do
		cp "$f" "$root$dir/"
		while read -r lib arrow path _; do
			case $lib in
			linux-vdso.so.*) ;;
			/*) mkdir -p "$root$(dirname "$lib")" && cp -L "$lib" "$root$lib" ;;
			*)
				[ "$arrow" = "=>" ] && [ -f "$path" ] ||
					die "$f needs $lib, which ldd does not find: $arrow $path"
				cp -L "$path" "$root$libdir/$lib"
				;;
			esac
		done < <(ldd "$f")
	done
}

# build_vmrpc_ko DIR KBUILD [MAKE_ARGS...]: guestlib/driver's vmrpc.ko, built
# in DIR with the kernel's own build system against the headers in KBUILD;
# its output in DIR.log.
build_vmrpc_ko() {
	local dir=$1 kbuild=$2
	shift 2
	mkdir -p "$dir/include"
	cp "$src"/guestlib/driver/{Kbuild,Makefile,vmrpc.c} "$dir/"
	cp -r "$src/include/vmrpc" "$dir/include/"
	make -C "$dir" KDIR="$kbuild" "$@" >"$dir.log" 2>&1
}
