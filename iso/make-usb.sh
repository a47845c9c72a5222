#!/bin/sh
# make usb DEV=/dev/sdX: writes kan's ISO to a whole disk (a USB stick), after the checks
# people expect: a block device, a whole disk, not the system's disk, nothing on it mounted,
# and the device's name typed back after seeing what is on it.
#   iso/make-usb.sh DEV [ISO]        (ISO defaults to build/kan.iso)
set -eu

die() {
	echo "make usb: $*" >&2
	exit 1
}

DEV=${1:-}
ISO=${2:-build/kan.iso}
[ -n "$DEV" ] || die "name the USB disk: make usb DEV=/dev/sdX (lsblk lists the disks)"
[ -f "$ISO" ] || die "$ISO is missing: run make iso"
[ -e "$DEV" ] || die "$DEV does not exist"
[ -b "$DEV" ] || die "$DEV is not a block device (a disk such as /dev/sdb is)"
dev=$(readlink -f "$DEV")
name=$(basename "$dev")

type=$(lsblk -dno TYPE "$dev" 2>/dev/null || true)
[ "$type" = disk ] || die "$DEV is a ${type:-device lsblk does not know}, not a whole disk: name the disk (/dev/sdb, not /dev/sdb1)"

# The disks under every system mount (through partitions, LVM and dm-crypt): never these.
for mount in / /boot /boot/efi /usr /var /home; do
	source=$(findmnt -no SOURCE --target "$mount" 2>/dev/null || true)
	case "$source" in /dev/*) ;; *) continue ;; esac
	for disk in $(lsblk -nlso NAME,TYPE "$source" 2>/dev/null | awk '$2 == "disk" { print $1 }'); do
		[ "$disk" = "$name" ] && die "$DEV holds $mount ($source): it is this system's disk"
	done
done

# Mounted anywhere (itself or a partition), or a swap area in use.
mounted=$(lsblk -nlo MOUNTPOINTS "$dev" 2>/dev/null | grep -v '^$' | tr '\n' ' ' || true)
[ -z "$mounted" ] || die "$DEV is in use, mounted at: $mounted(unmount it first)"

size=$(lsblk -dbno SIZE "$dev" 2>/dev/null | tr -d " " || true)
size=${size:-0}
[ "$size" -ge "$(stat -c %s "$ISO")" ] || die "$DEV holds $size bytes, less than $ISO"
transport=$(lsblk -dno TRAN "$dev" 2>/dev/null || true)
[ "$transport" = usb ] || echo "make usb: note: $DEV is not on USB (transport '${transport:-none}')"

[ -w "$dev" ] || die "cannot write $dev as $(id -un): run sudo make usb DEV=$DEV"

echo "make usb: this erases everything on $dev:"
lsblk -o NAME,MODEL,SIZE,TYPE,FSTYPE,LABEL "$dev"
printf 'make usb: type %s to write %s to it, anything else to stop: ' "$name" "$ISO"
read -r answer || answer=
[ "$answer" = "$name" ] || die "not confirmed; $dev is untouched"

dd if="$ISO" of="$dev" bs=4M conv=fsync status=progress
sync
echo "make usb: done. Boot the machine from $dev; pick \"kan: check this machine\" first."
