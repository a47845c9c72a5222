"""A real guest, so far: Debian's unmodified kernel boots in a partition up to its init.

kan does not yet give Linux a timer or inject interrupts, so the kernel stalls once /init
runs; the scenario proves everything before that works under kan's policies (the 64-bit
boot protocol, e820, initrd, CPUID, MSRs, debug registers, port I/O) and that the counter
guest on the other CPU keeps its CPU."""
from kanemu import expect, expect_not, run_bochs


def test_debian_kernel_boots_to_init_beside_a_counter():
    r = run_bochs("linux-early", cpus=2, timeout=600)
    expect(r, "kan: module 'linux-initrd': initrd",
           "kan: vm 1 'linux': 128 MiB", "64-bit guest entry 0x1000200")
    expect(r, "[linux] [    0.000000] Linux version 6.1.0",
           "BIOS-e820: [mem 0x0000000000100000-0x0000000007ffffff] usable",
           "RAMDISK: [mem ", "Run /init as init process")
    expect(r, "[count-a] counter done:", "kan: vm count-a ended: exit status 0")
    expect(r, "kan: vm linux: running -> stopped (its timeout of 1800000 ms ran out)")
    expect_not(r, "general protection fault", "Kernel panic", "VM-entry failed")
