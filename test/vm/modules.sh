# shellcheck shell=bash disable=SC2154 # release_pat: the sourcing script's
# The guest kernel's modules for an initramfs, shared by the VM tests
# (run.sh, programs.sh). The sourcing script sets release_pat (the booted
# kernel's release) and defines die.

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
	case $file in
	*.ko) cp "$file" "$root/lib/$name.ko" ;;
	*.ko.xz) xz -dc "$file" >"$root/lib/$name.ko" ;;
	*.ko.zst) zstd -qdc "$file" >"$root/lib/$name.ko" ;;
	*.ko.gz) gzip -dc "$file" >"$root/lib/$name.ko" ;;
	*) die "$file: a module compressed in a way this script does not know" ;;
	esac
	echo "$name" >>"$root/lib/fs-modules"
}
