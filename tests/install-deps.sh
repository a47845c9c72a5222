#!/usr/bin/env bash
# Installs what kan's build, demo and tests need and this machine lacks (Debian, apt-get).
set -euo pipefail

# package: a file that proves it is installed
declare -A need=(
	[gcc]=/usr/bin/gcc
	[make]=/usr/bin/make
	[binutils]=/usr/bin/ld
	[nasm]=/usr/bin/nasm
	[grub-common]=/usr/bin/grub-mkrescue
	[grub-pc-bin]=/usr/lib/grub/i386-pc/multiboot2.mod
	[grub-efi-amd64-bin]=/usr/lib/grub/x86_64-efi/multiboot2.mod
	[xorriso]=/usr/bin/xorriso
	[mtools]=/usr/bin/mformat
	[bochs]=/usr/bin/bochs-bin
	[bochsbios]=/usr/share/bochs/BIOS-bochs-latest
	[vgabios]=/usr/share/vgabios/vgabios.bin
	[qemu-system-x86]=/usr/bin/qemu-system-x86_64
	[ovmf]=/usr/share/OVMF/OVMF_CODE_4M.fd
	[e2fsprogs]=/usr/sbin/mke2fs
	[libcmocka-dev]=/usr/include/cmocka.h
	[python3-pytest]=/usr/lib/python3/dist-packages/pytest/__init__.py
	[python3-pytest-xdist]=/usr/lib/python3/dist-packages/xdist/__init__.py
	# make trace: the per-VM CPU-share plot (tools/trace.py)
	[python3-matplotlib]=/usr/lib/python3/dist-packages/matplotlib/__init__.py
	[clang-format]=/usr/bin/clang-format
	[cppcheck]=/usr/bin/cppcheck
	# test_screen.py: Bochs on an X display (rfb shows no 16-bit graphics), a screenshot, keys
	[bochs-x]=/usr/lib/x86_64-linux-gnu/bochs/plugins/libbx_x_gui.so
	[xvfb]=/usr/bin/Xvfb
	[x11-apps]=/usr/bin/xwd
	[xdotool]=/usr/bin/xdotool
)

missing=()
for pkg in "${!need[@]}"; do
	[ -e "${need[$pkg]}" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
