#!/bin/sh
# make smp-guest-check: the SMP guest bare, without kan, so that a failure under kan is kan's.
# On QEMU TCG (no x2APIC, no TSC-deadline timer there) it must pass with -smp 4 and -smp 2 and
# fail with each deliberate bug (break=N: 1 counts one IPI twice, 2 sends the last AP no SIPI);
# on Bochs (corei7_skylake_x, 4 CPUs: x2APIC and TSC-deadline too) it must pass. One emulator
# at a time.
# Usage: check.sh build/smp/smp-bare.bin build/smp/smp-bare.iso
set -u
image=$(realpath "$1")
iso=$(realpath "$2")
runs=$(dirname "$image")/runs
rm -rf "$runs" && mkdir -p "$runs"
status=0

# run NAME SMP EXPECT ARGS: EXPECT is PASS or FAIL; QEMU's status is (value << 1) | 1.
run() {
	name=$1 smp=$2 expect=$3 args=$4
	dir=$runs/$name
	mkdir -p "$dir"
	timeout 300 qemu-system-x86_64 -display none -monitor none -serial "file:$dir/serial.log" \
		-m 64 -smp "$smp" -cpu max -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4 \
		-kernel "$image" -append "-- $args" >"$dir/qemu.out" 2>&1
	rc=$?
	case $expect in
	PASS) want_rc=1 ;;
	*) want_rc=3 ;;
	esac
	if [ "$rc" -eq "$want_rc" ] && grep -q "^smp: $expect" "$dir/serial.log"; then
		echo "smp-guest-check: $name (-smp $smp $args): $expect as expected"
	else
		echo "smp-guest-check: $name (-smp $smp $args): wanted $expect, QEMU status $rc:"
		sed 's/^/    /' "$dir/serial.log"
		status=1
	fi
}

# Bochs: the same settings as tests/scenarios/kanemu.py's; its own exit status is always 1.
run_bochs() {
	dir=$runs/bochs-skylake-x4
	mkdir -p "$dir"
	cat >"$dir/bochsrc" <<-EOF
	megs: 64
	cpu: model=corei7_skylake_x, count=4, ips=4000000, reset_on_triple_fault=0
	romimage: file=/usr/share/bochs/BIOS-bochs-latest
	vgaromimage: file=/usr/share/vgabios/vgabios-cirrus.bin
	vga: extension=cirrus
	pci: enabled=1, chipset=i440fx, slot1=cirrus
	ata0-master: type=cdrom, path=$iso, status=inserted
	boot: cdrom
	clock: sync=none
	com1: enabled=1, mode=file, dev=serial.log
	display_library: rfb, options="timeout=0"
	sound: waveoutdrv=dummy
	log: bochs.log
	panic: action=fatal
	error: action=report
	info: action=report
	debug: action=ignore
	EOF
	echo c >"$dir/cmds"
	(cd "$dir" && timeout 600 bochs-bin -q -f bochsrc -rc cmds </dev/null >bochs.out 2>&1)
	if grep -q "^smp: PASS" "$dir/serial.log" && grep -q "^smp: x2APIC ping-pong:" "$dir/serial.log" &&
		grep -q "timer TSC-deadline: 3 deadlines" "$dir/serial.log"; then
		echo "smp-guest-check: bochs corei7_skylake_x x4: PASS with x2APIC and TSC-deadline, as expected"
	else
		echo "smp-guest-check: bochs corei7_skylake_x x4: wanted PASS with x2APIC and TSC-deadline:"
		sed 's/^/    /' "$dir/serial.log"
		status=1
	fi
}

run smp4 4 PASS ""
run smp2 2 PASS ""
run double-ipi 2 FAIL "break=1 periods=20"
run no-sipi 4 FAIL "break=2"
run_bochs
exit $status
