"""Kernels nobody here wrote, from Debian's packages, as guests (issue 16).

Xen (guests/xen/fetch.sh, xen-hypervisor-*-amd64, never patched) has both Multiboot headers:
as a kind=multiboot and as a kind=multiboot2 VM it prints what it read from kan's boot
information, which must match kan's documentation (kernel/multiboot1_image.h) and the config
line, and it finds its serial port by the BIOS data area and the 16550's loopback probe. It then stops on its own, at its
need for a local APIC (a one-vCPU multiboot VM has none); the heartbeat beside it runs on."""
import pytest

from kanemu import expect, expect_not, run_kan, tiers

TIERS = tiers("bochs", "qemu-svm")


@pytest.mark.parametrize("platform", TIERS)
def test_xen_boots_by_both_multiboot_headers_and_reads_its_vm(platform):
    r = run_kan(platform, "xen-multiboot")
    expect(r, "kan: vm 1 'xen-mb1': 64 MiB at host ", "32-bit guest entry 0x200000",
           "kan: vm 2 'xen-mb2': 64 MiB at host ", "32-bit guest entry 0x")
    for vm in ("xen-mb1", "xen-mb2"):
        x = f"[{vm}] (XEN) "
        expect(r, x + "Xen version 4.",
               x + "Bootloader: kan",
               # the text after "--", kan's first word (the VM's name) taken as the path
               x + "Command line: console=com1 com1=115200,8n1 no-real-mode noreboot",
               # kan's memory map, exactly as kernel/multiboot1_image.h documents it
               x + "Multiboot-e820 RAM map:",
               x + " [0000000000000000, 000000000009fbff] (usable)",
               x + " [000000000009fc00, 00000000000fffff] (reserved)",
               x + " [0000000000100000, 0000000003ffffff] (usable)",
               x + "System RAM: 63MB (65148kB)",
               f"kan: vm {vm} crashed: ")
        expect_not(r, x + "dom0 kernel not specified")  # it saw the module= boot module
    expect(r, "kan: vm hb-0 ended: exit status 0",
           "kan: summary: xen-mb1=crashed xen-mb2=crashed hb-0=exited(0)")
