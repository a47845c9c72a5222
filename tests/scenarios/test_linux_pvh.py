"""Debian's kernel by its PVH entry (kind=pvh, issue 16): the vmlinux the build extracts from
the package's bzImage, unchanged, is loaded by its program headers and entered in 32-bit
protected mode at its XEN_ELFNOTE_PHYS32_ENTRY with an hvm_start_info: the command line, the
initramfs as module 0, the memory map (kan's boot data reserved) and the RSDP of the VM's ACPI
tables. The board is kind=linux's. No decompressor runs, and the same /init reaches userspace,
checks its read-only virtio disk and powers off."""
import pytest

from kanemu import expect, expect_not, run_kan, tiers


# QEMU only: in Bochs, linux-shared (test_linux_more.py) boots two kernels by PVH and checks the
# entry and the memory map; one more Bochs Linux boot would cost make test two minutes.
@pytest.mark.parametrize("platform", tiers("qemu-svm"))
def test_debian_vmlinux_boots_by_its_pvh_entry(platform):
    r = run_kan(platform, "linux-pvh", cpus=2, megs=384, timeout=900)
    expect(r, "kan: module 'linux-initrd': initrd",
           "kan: vm 1 'linux': 128 MiB", "32-bit guest entry 0x1000850")
    # The start info's memory map, command line, module and RSDP, as Linux read them.
    expect(r, "[linux] [    0.000000] Linux version 6.1.0",
           "Command line: console=ttyS0 earlyprintk=serial,ttyS0 nokaslr",
           "BIOS-e820: [mem 0x0000000000001000-0x0000000000003fff] reserved",
           "BIOS-e820: [mem 0x000000000009fc00-0x00000000000fffff] reserved",
           "BIOS-e820: [mem 0x0000000000100000-0x0000000007ffffff] usable",
           "RAMDISK: [mem 0x07b59000-0x07ffffff]", "ACPI: RSDP 0x00000000000E0000",
           "ACPI: PM: (supports S0 S5)", "Run /init as init process")
    expect(r, "[linux] kan-linux: userspace reached",
           "[linux] kan-linux: modules loaded: virtio_ring virtio virtio_mmio virtio_blk",
           "[linux] Linux (none) 6.1.0",
           "[linux] kan-disk: vda read-only flag 1",
           "[linux] kan-disk: write refused: Read-only file system",
           "[linux] kan-linux: done, powering off", "reboot: Power down",
           "kan: vm linux ended: powered off (ACPI S5 through PM1a_CNT)")
    expect(r, "[count-a] counter done:", "kan: vm count-a ended: exit status 0")
    expect_not(r, "general protection fault", "Kernel panic",
               "VM-entry failed", "kan: vm linux: virtio disk:")


@pytest.mark.parametrize("platform", tiers("bochs", "qemu-svm"))
def test_images_that_are_no_pvh_kernel_are_refused_by_name(platform):
    r = run_kan(platform, "linux-pvh-bad")
    expect(r, "kan: refused guest module 'name=bzimage kind=pvh mem=128M': not an ELF file",
           "kan: refused guest module 'name=no-note kind=pvh mem=16M': no PVH entry note",
           "kan: refused guest module 'name=small kind=pvh mem=32M': as ELF: segment 0 at "
           "0x1000000-0x28eacdc is outside the VM's RAM (32 MiB)")
    expect(r, "kan: vm hb-0 ended: exit status 0", "kan: summary: hb-0=exited(0)")
