"""Multiboot 1 kernels as guests (issue 16): kind=multiboot, kind=data modules, exitport=yes.

guests/mb1 checks every field of its information structure against its own command line and
prints each with "ok" or "BAD"; it ends through port 0xf4 with the number of failed checks as
0 or 1. Spoiled copies of it (guests/mb1/make-bad.py) are each refused by name, and the
heartbeat beside them still runs."""
import pytest

from kanemu import expect, expect_not, run_kan, tiers

TIERS = tiers("bochs", "qemu-svm")

# The fields the kernel checks, in the order it prints them (guests/mb1/mb1.c).
FIELDS = [
    "[mb1] mb1: eax=0x2badb002 ok",
    "[mb1] mb1: cr0=0x11 eflags=0x2 ok",  # protected mode, paging off, IF clear
    "[mb1] mb1: flags=0x24d ok",  # memory, cmdline, mods, mmap, loader name
    "[mb1] mb1: cmdline='mb1 expect_mem=16M expect_path=mb1 expect_mods=2 "
    "expect_mod0=data-a expect_mod1=data-b' ok",
    "[mb1] mb1: mem_lower=639 mem_upper=15360 ok",
    "[mb1] mb1: mmap 0x0 +0x9fc00 type 1",
    "[mb1] mb1: mmap 0x9fc00 +0x60400 type 2",
    "[mb1] mb1: mmap 0x100000 +0xf00000 type 1",
    "[mb1] mb1: mmap entries=3 available top=0x1000000 ok",
    "[mb1] mb1: mods_count=2 ok",
    "[mb1] mb1: module 0 'data-a' at ",
    "[mb1] mb1: module 0 is page-aligned, inside RAM, and starts with ELF's magic ok",
    "[mb1] mb1: module 1 'data-b' at ",
    "[mb1] mb1: module 1 is page-aligned, inside RAM, and starts with ELF's magic ok",
    "[mb1] mb1: boot_loader_name='kan' ok",
    "[mb1] mb1: 0 checks failed: exit 0",
]


@pytest.mark.parametrize("platform", TIERS)
def test_multiboot1_kernel_sees_its_vm_and_exits_through_the_port(platform):
    r = run_kan(platform, "mb1")
    expect(r, "kan: module 'data-a': data, ", "kan: module 'data-b': data, ",
           "kan: vm 1 'mb1': 16 MiB at host ", "32-bit guest entry 0x100010")
    expect(r, *FIELDS)
    expect_not(r, " BAD", "the check above failed")
    expect(r, "kan: vm mb1 ended: exit status 0")
    expect(r, "kan: summary: mb1=exited(0) hb-0=exited(0)")


# Each spoiled image and the words of its refusal.
REFUSALS = {
    "no-header": "no Multiboot header in the first 8 KiB",
    "bad-checksum": "the Multiboot header at offset 0x1000 has a bad checksum",
    "video-mode": "the header requires a video mode (flags bit 2): kan's VMs have no display",
    "beyond-ram": "segment 0 at 0x4100000-0x",  # ... is outside the VM's RAM (16 MiB)
    "entry-outside": "entry point 0x800000 is outside the loaded segments",
    "over-info": "segment 0 at 0x8000-0x",  # ... overlaps the information structure
    "no-such-module": "key 'module' has bad value 'nothing' (no kind=data module has that name)",
}


@pytest.mark.parametrize("platform", TIERS)
def test_malformed_multiboot1_kernels_are_refused_by_name(platform):
    r = run_kan(platform, "mb1-bad")
    for name, why in REFUSALS.items():
        expect(r, f"kan: refused guest module 'name={name} kind=multiboot mem=16M", why)
    expect(r, "is outside the VM's RAM (16 MiB)",
           "overlaps the information structure kan puts at 0x1000-0x9000")
    expect(r, "kan: vm hb-0 ended: exit status 0", "kan: summary: hb-0=exited(0)")
