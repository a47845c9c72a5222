#!/usr/bin/env bash
# make linux-guest-check: the test /init's disk and network checks in QEMU alone (TCG), no kan,
# so a failure under kan can be told apart from one in the guest side. QEMU's microvm machine
# describes its virtio-mmio devices in ACPI (_HID LNRO0005) as kan does. The network checks
# run two or three QEMUs at once, joined by -netdev socket on the loopback.
# CHECKS="network" runs only the ones named (persist, readonly, network).
set -euo pipefail
linux=${1:-build/linux}
disks=${2:-build/disks}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
port=$((40000 + RANDOM % 20000))
failed=0

# vm NAME APPEND QEMU-ARGS...: one guest, its console in $work/NAME.log. TCG under load can
# fail to calibrate the TSC against the PIT, so the line gives the rate, as kan does on AMD.
vm() {
	local name=$1 append=$2 start=$SECONDS status=0
	shift 2
	timeout 300 qemu-system-x86_64 -M microvm,acpi=on,rtc=on -m 256 -nodefaults \
		-kernel "$linux/vmlinuz" -initrd "$linux/initrd.img" -serial stdio -display none \
		-no-reboot -append "console=ttyS0 quiet panic=-1 tsc_early_khz=2000000 no_timer_check $append" \
		"$@" </dev/null 2>&1 | tr -d '\r' >"$work/$name.log" || status=$?
	[ "$status" -ne 124 ] || echo "qemu-check: still running after 300 s, stopped" >>"$work/$name.log"
	echo "  $name: QEMU ran $((SECONDS - start)) s"
}

# expect NAME REGEX...: each pattern must match a line of the guest's console.
expect() {
	local name=$1 pattern
	shift
	for pattern in "$@"; do
		if grep -qE "$pattern" "$work/$name.log"; then
			echo "  ok   $name: $(grep -m1 -E "$pattern" "$work/$name.log")"
		else
			echo "  FAIL $name: no line matches '$pattern'; its console:"
			sed 's/^/    /' "$work/$name.log"
			failed=1
		fi
	done
}
# same_sum NAME1 REGEX1 NAME2 REGEX2: the first sha256 on each matched line is the same.
same_sum() {
	local a b
	a=$(grep -m1 -E "$2" "$work/$1.log" | grep -oE '[0-9a-f]{64}' || true)
	b=$(grep -m1 -E "$4" "$work/$3.log" | grep -oE '[0-9a-f]{64}' || true)
	if [ -n "$a" ] && [ "$a" = "$b" ]; then
		echo "  ok   sha256 $a on both"
	else
		echo "  FAIL sha256 '$a' ($1) and '$b' ($3) differ"
		failed=1
	fi
}
timed() {
	local start=$SECONDS
	"$@"
	echo "  ($((SECONDS - start)) s)"
}

check_persist() {
	echo "disk, persist: write, reboot (QEMU exits at the reset), find the file again"
	cp "$disks/test.img" "$work/test.img"
	# reboot=t: microvm has no reset register or 8042; a triple fault is its reset.
	vm persist1 "reboot=t kan.disk=persist" -drive "id=d,file=$work/test.img,format=raw,if=none" \
		-device virtio-blk-device,drive=d
	expect persist1 "^kan-linux: modules loaded: .*virtio_mmio virtio_blk .*virtio_net .*ext4$" \
		"^kan-disk: wrote big, sha256 [0-9a-f]{64}$" "reboot: Restarting system"
	vm persist2 "reboot=t kan.disk=persist" -drive "id=d,file=$work/test.img,format=raw,if=none" \
		-device virtio-blk-device,drive=d
	expect persist2 "^kan-disk: after reboot: big present, sha256 [0-9a-f]{64} matches$" \
		"^kan-disk: boot 2 of this disk$"
	same_sum persist1 "wrote big" persist2 "after reboot"
}

check_readonly() {
	echo "disk, read-only: writes refused, the image unchanged"
	cp "$disks/ro.img" "$work/ro.img"
	vm ro "kan.disk=ro" -drive "id=d,file=$work/ro.img,format=raw,if=none,readonly=on" \
		-device virtio-blk-device,drive=d
	expect ro "^kan-disk: write refused: Read-only file system$" "^kan-disk: raw write refused: "
	expect ro "^kan-disk: first MiB sha256 $(head -c 1M "$disks/ro.img" | sha256sum | cut -d' ' -f1)$"
	if cmp -s "$disks/ro.img" "$work/ro.img"; then echo "  ok   image unchanged"; else
		echo "  FAIL the read-only image changed"
		failed=1
	fi
}

check_network() {
	echo "network: ping both ways, 8 MiB over TCP; a spy on its own wire reaches nothing"
	vm server "kan.net=10.0.0.1/24 kan.peer=10.0.0.2 kan.role=server" \
		-netdev "socket,id=n,listen=127.0.0.1:$port" \
		-device virtio-net-device,netdev=n,mac=52:54:00:00:00:01 &
	vm spy "kan.net=10.0.0.3/24 kan.peer=10.0.0.1,10.0.0.2 kan.role=spy kan.watch=20" \
		-netdev "socket,id=n,listen=127.0.0.1:$((port + 1))" \
		-device virtio-net-device,netdev=n,mac=52:54:00:00:00:03 &
	sleep 1
	vm client "kan.net=10.0.0.2/24 kan.peer=10.0.0.1 kan.role=client" \
		-netdev "socket,id=n,connect=127.0.0.1:$port" \
		-device virtio-net-device,netdev=n,mac=52:54:00:00:00:02
	wait
	expect server "^kan-net: eth0 up, 10.0.0.1/24, mac 52:54:00:00:00:01$" \
		"^kan-net: received 8388608 bytes, sha256 [0-9a-f]{64}$" "^kan-net: ping 10.0.0.2 ok$"
	expect client "^kan-net: ping 10.0.0.1 ok$" "^kan-net: sent, from " \
		"^kan-net: the server got sha256 [0-9a-f]{64}$"
	same_sum client "^kan-net: sending 8388608 bytes" server "^kan-net: received"
	same_sum client "^kan-net: sending 8388608 bytes" client "^kan-net: the server got"
	expect spy "^kan-net: spy reached nothing, rx_packets 0$"
}

for check in ${CHECKS:-persist readonly network}; do timed "check_$check"; done
[ $failed -eq 0 ] && echo "linux-guest-check: all passed" || echo "linux-guest-check: FAILED"
exit $failed
