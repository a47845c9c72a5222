"""`kan check`, the machine's end (every CPU out of VMX, ACPI power-off or reset where the
emulator's exit port is not used), and `make usb`'s refusals."""
import subprocess
from pathlib import Path

import pytest

from kanemu import (REPO, assert_clean, expect, expect_not, interactive_bochs, lines_with,
                    run_bochs, run_qemu)

CHECK_MODULES = (
    "kan check: 3 guest module(s)",
    "kan check: module 1 'hello': accepted (kan ELF guest, 16 MiB)",
    "kan check: module 2 'real16': accepted (kan ELF guest, 1 MiB)",
    "kan check: module 3 'toobig': refused: key 'mem' has bad value 'lots'",
)
BY_HAND = "power the machine off by hand"


def check_report(r):
    """The report's lines from its title to the verdict, for the closing note."""
    start = r.serial.find("kan check: what this machine offers kan")
    end = r.serial.find("kan: shutdown (kan check is done)")
    return r.serial[start:end]


def expect_check_common(r, cpus):
    expect(r, "kan check: what this machine offers kan", "kan check: processor: ")
    expect(r, "kan check: NX (execute disable): yes", "kan check: x2APIC: ",
           "kan check: console: serial COM1 (0x3f8) and ",  # EGA text, or UEFI's framebuffer
           f"kan check: CPUs: {cpus} listed in the ACPI MADT, {cpus} started",
           "kan check: power-off: ACPI S5 (SLP_TYP 0/0 from the DSDT)",
           "kan check: emulator: Bochs or QEMU (ACPI OEM BOCHS, BXPC tables)",
           "kan check: memory: ", *CHECK_MODULES)
    # Nothing ran: no VMXON, no VM.
    expect_not(r, "kan: cpu 0: in VMX root operation", "kan: cpu 1: in VMX root operation",
               "kan: vm 1 ", "[hello]")


def test_check_on_skylake_says_yes():
    r = run_bochs("check", cpus=2)
    print(check_report(r))
    expect_check_common(r, 2)
    expect(r, "kan: VT-x: IA32_FEATURE_CONTROL 0x5: locked, VMX allowed",
           "kan:   EPT                                yes  needs",
           "kan:   unrestricted guest                 yes  needs",
           "kan:   VPID                               yes  uses")
    expect(r, "kan check: this machine can run kan\n", "kan: shutdown (kan check is done)",
           "kan: cpu 0: was never in VMX root operation",
           "kan: cpu 1: was never in VMX root operation, halted", "kan: end: Bochs or QEMU")


def test_check_says_the_firmware_had_disabled_nx():
    r = run_bochs("check-xd")
    expect(r, "kan check: NX (execute disable): yes: the firmware had disabled it "
              "(IA32_MISC_ENABLE bit 34); kan re-enabled it",
           "kan check: this machine can run kan")


def test_check_on_penryn_names_ept():
    r = run_bochs("check", cpu_model="core2_penryn_t9600")
    expect_check_common(r, 1)
    expect(r, "kan:   EPT                                no   needs",
           "kan check: this machine cannot run kan: VT-x lacks EPT, EPT 4-level walk, "
           "write-back, INVEPT (single or all contexts), unrestricted guest, load/save "
           "IA32_EFER, preemption timer (saved on exit)\n", "kan: shutdown (kan check is done)")


@pytest.mark.parametrize("firmware", ["bios", "uefi"])
def test_check_under_qemu_tcg_names_what_amd_v_lacks(firmware):
    """QEMU's default CPU (qemu64) offers SVM without nested paging."""
    r = run_qemu("check", firmware=firmware, smp=2, timeout=120)
    print(check_report(r))
    expect_check_common(r, 2)
    expect(r, "kan: AMD-V: missing what kan needs: nested paging",
           "kan check: this machine cannot run kan: AMD-V without nested paging "
           "(CPUID 8000000Ah:EDX.NP is 0)\n",
           "kan: shutdown (kan check is done)", "kan: end: Bochs or QEMU")
    assert r.exit_code == (1 << 1) | 1, f"QEMU exit status {r.exit_code}: the verdict is no\n{r.report()}"


def expect_every_cpu_left_vmx(r, cpus):
    ended = lines_with(r, "kan: cpu ")
    for i in range(cpus):
        want = f"kan: cpu {i}: left VMX root operation" + (", halted" if i else "")
        assert want in ended, f"missing {want!r}\n{r.report()}"


def test_bochs_powers_off_through_acpi_after_every_cpu_left_vmx():
    r = run_bochs("end-acpi", cpus=2, timeout=60)
    expect(r, "kan: summary: hello=exited(0) real16=exited(0)", "kan: shutdown (all guests ended)")
    expect_every_cpu_left_vmx(r, 2)
    expect(r, "kan: end: ACPI power-off (S5)")
    expect_not(r, "its exit port", BY_HAND)
    log = r.log.read_text(errors="replace")
    assert "ACPI control: soft power off" in log, f"Bochs did not see S5\n{r.report()}"
    assert "Shutdown port: shutdown requested" not in log, r.report()


@pytest.mark.parametrize("firmware", ["bios", "uefi"])
def test_qemu_powers_off_through_acpi(firmware):
    r = run_qemu("end-acpi", firmware=firmware, smp=2, timeout=120)
    expect(r, "kan: shutdown (this CPU cannot run kan's guests)",
           "kan: cpu 0: was never in VMX or SVM operation",
           "kan: cpu 1: was never in VMX or SVM operation, halted", "kan: end: ACPI power-off (S5)")
    expect_not(r, "its exit port", BY_HAND)
    # QEMU's own status after an ACPI power-off is 0; isa-debug-exit would give an odd one.
    assert r.exit_code == 0, f"QEMU exit status {r.exit_code}\n{r.report()}"


@pytest.mark.parametrize("firmware", ["bios", "uefi"])
def test_qemu_resets_with_on_end_reboot(firmware):
    """-no-reboot makes QEMU exit (status 0) at the reset kan asks for."""
    r = run_qemu("end-reboot", firmware=firmware, smp=2, timeout=120)
    expect(r, "kan: end: reset by the ACPI reset register", "kan: end: reset by port 0xcf9")
    expect_not(r, "kan: end: reset by the keyboard", "its exit port", BY_HAND)
    assert r.exit_code == 0, f"QEMU exit status {r.exit_code}\n{r.report()}"


def test_shutdown_takes_a_cpu_out_of_a_running_guest():
    """CPU 1 runs a guest that spins with interrupts off when the shell's shutdown comes: the
    NMI makes it exit, leave VMX and halt; then ACPI powers Bochs off."""
    with interactive_bochs("end-busy", cpus=2) as s:
        s.expect("kan: shell ready on COM1")
        s.wait_seen("[spinner] spinner: cli; jmp $ from now on")
        s.send("shutdown")
        s.expect("kan: shutdown (by command)")
        r = s.close(timeout=60)
    assert_clean(r)
    expect_every_cpu_left_vmx(r, 2)
    expect(r, "kan: end: ACPI power-off (S5)")
    expect_not(r, "did not answer the NMI", BY_HAND)
    assert "ACPI control: soft power off" in r.log.read_text(errors="replace"), r.report()


# ---- make usb: refusals that need no root and touch no disk ----

USB_SCRIPT = REPO / "iso" / "make-usb.sh"


def make_usb(dev, tmp_path):
    image = tmp_path / "kan.iso"
    image.write_bytes(b"\0" * 4096)
    return subprocess.run([str(USB_SCRIPT), dev, str(image)], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=30)


def refused(result, why):
    assert result.returncode != 0, result.stdout + result.stderr
    assert why in result.stderr, result.stdout + result.stderr
    assert "type " not in result.stdout, "it asked for confirmation: " + result.stdout


def test_make_usb_refuses_without_a_device(tmp_path):
    refused(make_usb("", tmp_path), "name the USB disk: make usb DEV=/dev/sdX")


def test_make_usb_refuses_what_is_not_a_block_device(tmp_path):
    refused(make_usb("/dev/null", tmp_path), "/dev/null is not a block device")
    plain = tmp_path / "disk.img"
    plain.write_bytes(b"\0" * 8192)
    refused(make_usb(str(plain), tmp_path), f"{plain} is not a block device")
    refused(make_usb("/dev/no-such-disk", tmp_path), "/dev/no-such-disk does not exist")


def test_make_usb_refuses_the_system_disk(tmp_path):
    source = subprocess.run(["findmnt", "-no", "SOURCE", "/"], capture_output=True,
                            text=True).stdout.strip()
    disks = subprocess.run(["lsblk", "-nlso", "NAME,TYPE", source], capture_output=True,
                           text=True).stdout.split("\n")
    disk = next((line.split()[0] for line in disks if line.endswith(" disk")), None)
    if not disk:
        pytest.skip(f"/ is on {source!r}, which is on no disk lsblk knows (a container?)")
    refused(make_usb(f"/dev/{disk}", tmp_path), f"/dev/{disk} holds / ")


def test_make_usb_without_dev_from_make():
    r = subprocess.run(["make", "--no-print-directory", "-s", "usb"], cwd=REPO,
                       capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    assert r.returncode != 0 and "make usb DEV=/dev/sdX" in r.stderr, r.stdout + r.stderr
