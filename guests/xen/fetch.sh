#!/usr/bin/env bash
# make xen-guest: the Xen hypervisor from Debian's package, as a Multiboot kernel that nobody
# here wrote (test_thirdparty.py). Unpacked and gunzipped, never patched. Cached: nothing is
# fetched again once build/xen/xen.elf exists.
set -euo pipefail
out=${1:-build/xen}
if [ -f "$out/xen.elf" ]; then
	echo "xen-guest: cached in $out"
	exit 0
fi
mkdir -p "$out/debs"
find_xen() {
	apt-cache search --names-only '^xen-hypervisor-[0-9.]*-amd64$' 2>/dev/null | cut -d' ' -f1 |
		sort -V | tail -n1
}
package=$(find_xen)
if [ -z "$package" ]; then # no package lists yet on this machine
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -q >/dev/null
	package=$(find_xen)
fi
[ -n "$package" ] || { echo "xen-guest: cannot find Debian's xen-hypervisor package"; exit 1; }
echo "xen-guest: fetching $package"
(cd "$out/debs" && apt-get download -q "$package" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
rm -rf "$out/unpacked" && mkdir -p "$out/unpacked"
dpkg -x "$out"/debs/"$package"_*.deb "$out/unpacked"
gzip -dc "$out"/unpacked/boot/xen-*-amd64.gz > "$out/xen.elf.part"
mv "$out/xen.elf.part" "$out/xen.elf"
echo "xen-guest: $(basename "$out"/unpacked/boot/xen-*-amd64.gz) as $out/xen.elf"
