#!/usr/bin/env bash
# make linux-guest: Debian's own kernel and busybox-static, unpacked (never patched), and an
# initramfs built from them. Cached: nothing is fetched again once build/linux/ has them.
set -euo pipefail
out=${1:-build/linux}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out/debs"
# What the initramfs is made of besides the package: a change to any of them rebuilds it.
inputs=(init fpu-job modules build-initramfs.py)
build_initrd() {
	/usr/bin/python3 "$here/build-initramfs.py" "$out/unpacked/bin/busybox" "$here/init" "$here/fpu-job" \
		"$here/modules" "$(echo "$out"/unpacked/lib/modules/*)" "$out/initrd.img"
}
initrd_fresh() {
	[ -f "$out/initrd.img" ] || return 1
	for f in "${inputs[@]}"; do [ "$out/initrd.img" -nt "$here/$f" ] || return 1; done
}
if [ -f "$out/vmlinuz" ] && [ -f "$out/unpacked/bin/busybox" ]; then
	if initrd_fresh; then
		echo "linux-guest: cached in $out"
	else
		build_initrd
	fi
	exit 0
fi
find_kernel() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n1
}
kernel=$(find_kernel)
if [ -z "$kernel" ]; then # no package lists yet on this machine
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -q >/dev/null
	kernel=$(find_kernel)
fi
[ -n "$kernel" ] || { echo "linux-guest: cannot find Debian's linux-image-amd64 package"; exit 1; }
echo "linux-guest: fetching $kernel and busybox-static"
(cd "$out/debs" && apt-get download -q "$kernel" busybox-static 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
rm -rf "$out/unpacked" && mkdir -p "$out/unpacked"
for deb in "$out"/debs/*.deb; do dpkg -x "$deb" "$out/unpacked"; done
cp "$out"/unpacked/boot/vmlinuz-* "$out/vmlinuz"
build_initrd
echo "linux-guest: $(basename "$out"/unpacked/boot/vmlinuz-*) and initrd.img in $out"
