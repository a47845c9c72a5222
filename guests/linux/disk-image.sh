#!/usr/bin/env bash
# make disk-image: the ext4 images the disk scenarios give Linux VMs, made without root or
# loop devices by mke2fs -d from a small tree around Debian's busybox.
#   test.img  16 MiB, read-write: the VM writes /kan/big there and finds it after its reboot
#   ro.img     8 MiB, given read-only: the VM must fail to change it
set -euo pipefail
out=${1:-build/disks}
busybox=${2:-build/linux/unpacked/bin/busybox}
mkdir -p "$out"
tree=$out/tree
rm -rf "$tree" && mkdir -p "$tree"/{bin,etc,kan,mnt,proc,sys,tmp}
cp "$busybox" "$tree/bin/busybox"
for applet in sh ls cat mount umount sha256sum; do ln -s busybox "$tree/bin/$applet"; done
echo "kan test disk" >"$tree/etc/motd"
image() { # NAME SIZE LABEL
	rm -f "$out/$1"
	mke2fs -q -t ext4 -L "$3" -d "$tree" "$out/$1" "$2" >/dev/null
	echo "disk-image: $out/$1 ($2, ext4, label $3)"
}
echo "The VM's files go in /kan." >"$tree/kan/README"
image test.img 16M kan-test
echo "This disk is read-only for the VM." >"$tree/kan/README"
image ro.img 8M kan-ro
rm -rf "$tree"
