"""A real guest: Debian's unmodified kernel boots to userspace in a partition.

Linux gets the 64-bit boot protocol (zero page, e820, initrd), a virtual 8259 pair and 8254
timer, COM1 with its interrupt, ACPI tables for kan's PC board (PM1 control, PM timer, reset
register, an empty PCI bus) and kan's CPUID/MSR/port policies, with the TSC frequency in
CPUID 0x15. Its /init prints a marker and the output of uname, /proc/cpuinfo and free, then
powers off through ACPI S5, which kan reports as the VM's end. A counter guest on the other
CPU keeps its CPU. On both tiers: Bochs VT-x and QEMU AMD-V."""
import re

import pytest

from kanemu import expect, expect_not, run_kan, tiers, words


@pytest.mark.parametrize("platform", tiers("bochs", "qemu-svm"))
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
    expect(r, "rtc_cmos rtc_cmos: setting system clock to " + year, "[linux] Mem:",
           f" UTC {year}\n[linux] kan-linux: done")
    wall_us = int(re.search(r"\[count-a\] counter done: \d+ loops in (\d+) us", r.serial)[1])
    cpu_us = int(re.search(r"^kan: \d+\s+count-a\s+\S+\s+\d+\s+(\d+)", r.serial, re.M)[1])
    print(f"counter beside Linux: {cpu_us / wall_us:.3f} of CPU 0")
    assert cpu_us / wall_us >= 0.9, r.report()
    expect_not(r, "general protection fault", "Kernel panic", "VM-entry failed")
