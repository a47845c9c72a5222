"""Multiboot 1 and Multiboot2 kernels as guests (issue 16): kind=multiboot, kind=multiboot2,
kind=data modules, exitport=yes.

guests/mb1 and guests/mb2 check every field of their boot information against their own command
line and print each with "ok" or "BAD"; they end through port 0xf4 with the number of failed
checks as 0 or 1. Spoiled copies of them (guests/mb*/make-images.py) are each refused by name,
and the heartbeat beside them still runs."""
import pytest

from kanemu import expect, expect_not, run_kan, tiers

TIERS = tiers("bochs", "qemu-svm")



def common_fields(p, vm, mem_mib, modules):
    """The lines guests/lib32/check.c prints for both kernels, from the command line to the
    loader name, `p` being each line's prefix."""
    mods = " ".join(f"expect_mod{i}={m}" for i, m in enumerate(modules))
    cmdline = p + f"cmdline='{vm} expect_mem={mem_mib}M expect_path={vm} expect_mods={len(modules)}"
    return [cmdline + (f" {mods}" if mods else "") + "' ok",
            p + f"mem_lower=639 mem_upper={(mem_mib - 1) * 1024} ok"]


def mmap_fields(p, mem_mib):
    return [p + "mmap 0x0 +0x9fc00 type 1",
            p + "mmap 0x9fc00 +0x60400 type 2",
            p + f"mmap 0x100000 +{(mem_mib - 1) << 20:#x} type 1",
            p + f"mmap entries=3 available top={mem_mib << 20:#x} ok"]


def module_fields(p, modules):
    lines = [p + f"mods_count={len(modules)} ok"]
    for i, name in enumerate(modules):
        lines += [p + f"module {i} '{name}' at ",
                  p + f"module {i} is page-aligned, inside RAM, and starts with ELF's magic ok"]
    return lines + [p + "boot_loader_name='kan' ok"]


def fields(vm, mem_mib, modules):
    """What guests/mb1/mb1.c prints when every field is right, in its order: VM `vm` with
    `mem_mib` MiB and `modules` (the kind=data module names, in module= order)."""
    p = f"[{vm}] mb1: "
    return ([p + "eax=0x2badb002 ok",
             p + "cr0=0x11 eflags=0x2 ok",  # protected mode, paging off, IF clear
             p + "flags=0x24d ok"]  # memory, cmdline, mods, mmap, loader name
            + common_fields(p, vm, mem_mib, modules) + mmap_fields(p, mem_mib)
            + module_fields(p, modules) + [p + "0 checks failed: exit 0"])


def fields2(vm, mem_mib, modules):
    """What guests/mb2/mb2.c prints when every tag is right, as fields() for mb1."""
    p = f"[{vm}] mb2: "
    # cmdline, loader name, the modules, basic memory, memory map, end
    tags = 5 + len(modules)
    return ([p + "a Multiboot2 kernel, entered",
             p + "eax=0x36d76289 ok",
             p + "cr0=0x11 eflags=0x2 ok",
             p + f"info at 0x3000 tags={tags} ok"]
            + common_fields(p, vm, mem_mib, modules)
            + [p + "mmap entry_size=24 entry_version=0 ok"] + mmap_fields(p, mem_mib)
            + module_fields(p, modules)
            + [p + "acpi rsdp tags=0 other tags=0 ok",  # no ACPI tables in the VM yet
               p + "0 checks failed: exit 0"])


@pytest.mark.parametrize("platform", TIERS)
def test_multiboot1_kernels_see_their_vm_and_exit_through_the_port(platform):
    r = run_kan(platform, "mb1")
    expect(r, "kan: module 'data-a': data, ", "kan: module 'data-b': data, ",
           "kan: vm 1 'mb1': 16 MiB at host ", "32-bit guest entry 0x10",
           "kan: vm 2 'mb1-aout': 8 MiB at host ", "32-bit guest entry 0x10",
           "kan: vm 3 'mb1-elf64': 32 MiB at host ", "32-bit guest entry 0x10")
    expect(r, *fields("mb1", 16, ["data-a", "data-b"]))  # ELF32
    expect(r, *fields("mb1-aout", 8, ["data-b"]))  # the a.out kludge's address fields
    expect(r, *fields("mb1-elf64", 32, []))  # ELF64
    expect_not(r, " BAD", "the check above failed")
    for vm in ("mb1", "mb1-aout", "mb1-elf64"):
        expect(r, f"kan: vm {vm} ended: exit status 0")
    # Without exitport=yes the port is absent: the kernel's write does nothing, and the HLT
    # after it (interrupts off) stops the VM.
    expect(r, *fields("mb1-noport", 2, []))
    expect(r, "kan: vm mb1-noport crashed: HLT with interrupts disabled")
    expect_not(r, "kan: vm mb1-noport ended")
    expect(r, "kan: summary: mb1=exited(0) mb1-aout=exited(0) mb1-elf64=exited(0) "
           "mb1-noport=crashed hb-0=exited(0)")


@pytest.mark.parametrize("platform", TIERS)
def test_multiboot2_kernels_see_their_vm_and_exit_through_the_port(platform):
    r = run_kan(platform, "mb2")
    expect(r, "kan: module 'data-a': data, ", "kan: module 'data-b': data, ",
           "kan: vm 1 'mb2': 16 MiB at host ", "32-bit guest entry 0x10",
           "kan: vm 2 'mb2-addr': 8 MiB at host ", "32-bit guest entry 0x10",
           "kan: vm 3 'mb2-elf64': 32 MiB at host ", "32-bit guest entry 0x10")
    expect(r, *fields2("mb2", 16, ["data-a", "data-b"]))  # ELF32
    expect(r, *fields2("mb2-addr", 8, ["data-b"]))  # the address tag
    expect(r, *fields2("mb2-elf64", 32, []))  # ELF64
    expect_not(r, " BAD", "the check above failed")
    expect(r, "kan: summary: mb2=exited(0) mb2-addr=exited(0) mb2-elf64=exited(0) "
           "hb-0=exited(0)")


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
REFUSALS2 = {
    "mb2-no-header": "no Multiboot2 header in the first 32 KiB",
    "mb2-bad-checksum": "the Multiboot2 header at offset 0x1000 has a bad checksum",
    "mb2-wrong-arch": "the Multiboot2 header is for architecture 4, not i386 (0)",
    "mb2-unknown-tag": "the header requires tag type 32770, which kan does not know",
    "mb2-framebuffer": "the header requires a framebuffer (tag 5): kan's VMs have no display",
    "mb2-beyond-ram": "segment 0 at 0x4100000-0x",  # ... is outside the VM's RAM (16 MiB)
    "mb2-entry-outside": "entry point 0x800000 is outside the loaded segments",
}


@pytest.mark.parametrize("platform", TIERS)
def test_malformed_multiboot1_kernels_are_refused_by_name(platform):
    r = run_kan(platform, "mb1-bad")
    for name, why in REFUSALS.items():
        expect(r, f"kan: refused guest module 'name={name} kind=multiboot mem=16M", why)
    for name, why in REFUSALS2.items():
        expect(r, f"kan: refused guest module 'name={name} kind=multiboot2 mem=16M", why)
    expect(r, "is outside the VM's RAM (16 MiB)",
           "overlaps the information structure kan puts at 0x1000-0x9000")
    expect(r, "kan: vm hb-0 ended: exit status 0", "kan: summary: hb-0=exited(0)")
