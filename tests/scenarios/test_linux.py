"""A real guest: Debian's unmodified kernel boots to userspace in a partition.

Linux gets the 64-bit boot protocol (zero page, e820, initrd), a virtual 8259 pair and 8254
timer, COM1 with its interrupt, ACPI tables for kan's PC board (PM1 control, PM timer, reset
register, an empty PCI bus) and kan's CPUID/MSR/port policies, with the TSC frequency in
CPUID 0x15. Its /init prints a marker and the output of uname, /proc/cpuinfo and free, then
powers off through ACPI S5, which kan reports as the VM's end. A counter guest on the other
CPU keeps its CPU. On QEMU AMD-V (see below for Bochs).

Linux also has a read-only virtio disk (disk=ro-disk:ro, over virtio-mmio found in its DSDT):
its modules load, /dev/vda appears read-only, writes through the filesystem and to the raw
device are refused, and kan's checksum of the disk is the same at the end as at boot, while
the virtio fuzzer (guests/virtiofuzz) shares Linux's CPU and attacks devices of its own."""
import re

import pytest

from kanemu import expect, expect_not, run_kan, tiers, words


# QEMU only since issue 14: in Bochs this boot (with its modules and the fuzzer beside it) cost
# four and a half minutes of make test, and test_linux_more.py boots Linux five times in Bochs
# with the same board, a read-only disk and a read-write one. `make linux-demo` runs it in Bochs.
@pytest.mark.parametrize("platform", tiers("qemu-svm"))
def test_debian_kernel_reaches_userspace_beside_a_counter(platform):
    r = run_kan(platform, "linux-early", cpus=2, timeout=600)
    expect(r, "kan: module 'linux-initrd': initrd",
           "kan: vm 1 'linux': 128 MiB", "64-bit guest entry 0x1000200")
    expect(r, "[linux] [    0.000000] Linux version 6.1.0",
           "BIOS-e820: [mem 0x0000000000100000-0x0000000007ffffff] usable",
           "RAMDISK: [mem ", "ACPI: RSDP 0x00000000000E0000",
           "Calibrating delay loop (skipped), value calculated using timer frequency",
           "ACPI: PM: (supports S0 S5)", "Run /init as init process")
    expect(r, "[linux] kan-linux: userspace reached", "[linux] Linux (none) 6.1.0",
           f"[linux] vendor_id\t: {words(platform).vendor}", "[linux] Mem:",
           "[linux] kan-linux: done, powering off",
           "[linux] [", "reboot: Power down",
           "kan: vm linux ended: powered off (ACPI S5 through PM1a_CNT)")
    expect(r, "[count-a] counter done:", "kan: vm count-a ended: exit status 0")
    # The VM's clock is kan's: the year of the machine's RTC, read through the CMOS RTC model.
    year = re.search(r"kan: time: the RTC says (\d{4})-", r.serial)[1]
    expect(r, "rtc_cmos rtc_cmos: setting system clock to " + year, "[linux] Mem:")
    assert re.search(rf"^\[linux\] \w{{3}} \w{{3}} [ \d]\d \d\d:\d\d:\d\d UTC {year}$", r.serial, re.M), \
        "date -u did not print kan's year"
    wall_us = int(re.search(r"\[count-a\] counter done: \d+ loops in (\d+) us", r.serial)[1])
    cpu_us = int(re.search(r"^kan: \d+\s+count-a\s+\S+\s+\d+\s+(\d+)", r.serial, re.M)[1])
    print(f"counter beside Linux: {cpu_us / wall_us:.3f} of CPU 0")
    assert cpu_us / wall_us >= 0.9, r.report()
    # The read-only disk: refused inside Linux, unchanged in kan.
    expect(r, "kan: module 'ro-disk': disk, 8192 KiB", "kan: vm linux: virtio disk ro-disk (read-only)",
           "[linux] kan-linux: modules loaded: virtio_ring virtio virtio_mmio virtio_blk",
           "[linux] kan-disk: vda read-only flag 1",
           "[linux] kan-disk: write refused: Read-only file system",
           "[linux] kan-disk: raw write refused: ")
    assert re.search(r"^kan: disk ro-disk: checksum [0-9a-f]{16}, unchanged since boot$", r.serial, re.M)
    boot_sum = re.search(r"kan: module 'ro-disk': disk, .* checksum ([0-9a-f]{16})", r.serial)[1]
    expect(r, f"kan: disk ro-disk: checksum {boot_sum}, unchanged since boot")
    # The fuzzer beside it finished its run; its own devices took the blame.
    assert re.search(r"^\[virtiofuzz\] virtiofuzz: done, 20000 ops on disk and net, \d+ device "
                     r"resets seen, 0 violations, seed 11$", r.serial, re.M), r.report()
    expect_not(r, "general protection fault", "Kernel panic", "VM-entry failed",
               "kan: vm linux: virtio disk:")
