"""VMs with several vCPUs (issue 15): local APICs, INIT-SIPI-SIPI, IPIs and SMP Linux.

The SMP test guest (guests/smp, proven bare on QEMU and Bochs by `make smp-guest-check`) runs
with four vCPUs on two CPUs beside a heartbeat: it starts its application processors through
its virtual local APIC, ping-pongs IPIs 10^4 times per AP in xAPIC and then x2APIC mode, and
checks its LAPIC timer in one-shot, periodic and TSC-deadline mode against the TSC; it says
PASS only if every count and rate is right. The shell pauses, inspects, restarts and destroys
that VM. Two SMP Debian kernels share two CPUs (one with four vCPUs, two per CPU)."""
import hashlib
import re

import pytest

from kanemu import PLATFORMS, assert_clean, expect, expect_not, interactive_kan, run_kan, tiers

# What a vCPU of kan's must never cause.
NEVER = ("kan: panic", "VM-entry failed", "crashed", "Kernel panic", "general protection fault",
         "BUG:", "smp: FAIL")


@pytest.mark.parametrize("platform", tiers("bochs", "qemu-svm"))
def test_smp_guest_starts_its_aps_and_ping_pongs_ipis(platform):
    # Where the TSC runs at host time, a vCPU waiting for its turn misses timer ticks: the
    # periodic timer's mean period may be 25 % long there (smp-hosttime), 2 % in Bochs.
    # smp-hosttime also does 2000 round trips per AP and mode, not 10^4: Bochs does those.
    exact = PLATFORMS[platform].tsc_counts_instructions
    trips = 10000 if exact else 2000
    r = run_kan(platform, "smp" if exact else "smp-hosttime", cpus=2, megs=512, timeout=900)
    assert_clean(r)
    expect(r, "kan: vm 1 'smp': 16 MiB", "vcpus on cpus 0,1,0,1")
    expect(r, "[smp] smp: bsp apic id 0, 4 vcpus, under kan")
    for cpu in (1, 2, 3):
        expect(r, f"[smp] smp: cpu {cpu} up (apic id {cpu})")
    expect(r, "[smp] smp: all 4 cpus up")
    for mode in ("xAPIC", "x2APIC"):
        for cpu in (1, 2, 3):
            expect(r, f"[smp] smp: {mode} ping-pong cpu 0 <-> cpu {cpu}: {trips} round trips")
    expect(r, "[smp] smp: x2APIC: all 4 cpus switched (IA32_APIC_BASE.EXTD)")
    for cpu in (0, 1):
        expect(r, f"[smp] smp: cpu {cpu} timer one-shot: fired once",
               f"[smp] smp: cpu {cpu} timer periodic: 201 interrupts",
               f"[smp] smp: cpu {cpu} timer TSC-deadline: 3 deadlines, each fired once")
    expect(r, "[smp] smp: PASS 4 cpus by INIT-SIPI-SIPI", "kan: vm smp ended: exit status 0")
    expect(r, "[hb-0] heartbeat done:", "kan: vm hb-0 ended: exit status 0")
    expect_not(r, *NEVER)
    costs = re.findall(rf"(xAPIC|x2APIC) ping-pong: {3 * trips} round trips in all, (\d+) TSC ticks each",
                       r.serial)
    print(f"{platform}: IPI round trips (TSC ticks): " + ", ".join(f"{m} {t}" for m, t in costs))


@pytest.mark.parametrize("platform", tiers("bochs", "qemu-svm"))
def test_the_shell_pauses_restarts_and_destroys_an_smp_vm(platform):
    """Pause, vm info, resume, restart (VT-x), the guest passes, destroy."""
    with interactive_kan(platform, "smp-shell", cpus=2, megs=512) as s:
        s.expect("kan: shell ready on COM1 (type help)")
        s.expect("[smp] smp: cpu 3 up (apic id 3)", timeout=300)
        s.send("vm pause smp")
        s.expect("kan: vm smp: running -> paused (by command)")
        s.send("vm info smp")
        for vcpu, cpu in ((0, 0), (1, 1), (2, 0), (3, 1)):
            s.expect(f"kan:   vcpu {vcpu}: cpu {cpu}, started")
        s.send("vm resume smp")
        s.expect("kan: vm smp: paused -> running (by command)")
        restarted = 0
        if PLATFORMS[platform].backend != "VT-x":
            # Open bug: under AMD-V (QEMU), a few restarts in ten end later with vCPU 0's
            # page walk failing (a triple fault on a #PF at an instruction fetch of its own
            # mapped code); tests/scenarios/smp_restart_loop.py reproduces it.
            print(f"{platform}: vm restart of the SMP VM not exercised here: the open AMD-V "
                  f"triple fault after a restart (smp_restart_loop.py reproduces it)")
        else:
            restarted = restart_and_look(s)
        s.expect("[smp] smp: PASS 4 cpus by INIT-SIPI-SIPI", timeout=900)
        s.expect("kan: vm smp ended: exit status 0")
        s.send("vm destroy smp")
        s.expect("kan: vm smp: 16 MiB at host")
        s.send("vm list")
        s.expect("count")
        s.send("shutdown")
        r = s.close()
    after = r.serial[restarted:]
    for bad in NEVER:  # the run before the restart was cut short by it: only the second counts
        assert bad not in after, f"{bad!r} after the restart\n{r.report()}"
    assert "kan: panic" not in r.serial and "VM-entry failed" not in r.serial, r.report()
    expect(r, "kan: vm count: ", "[count] counter")


def restart_and_look(s):
    """A restart parks vCPUs 1-3 on their CPUs; the guest boots afresh and starts them again.
    Returns where the second run's log begins."""
    s.send("vm restart smp")
    # The guest's own waits are bounded by its TSC, which ran on while it was paused: it may
    # have given up (exit 1) before the restart came.
    s.wait_match(r"kan: vm smp: (running|stopped) -> running \(by command\)$")
    s.expect("[smp] smp: bsp apic id 0, 4 vcpus, under kan", timeout=120)
    restarted = s.result().serial.rfind("[smp] smp: bsp apic id 0")
    s.expect("[smp] smp: holding 2000 ms before starting the APs")
    s.send("vm info smp")  # while the guest holds, its APs must wait: none runs old code
    for vcpu, cpu in ((1, 1), (2, 0), (3, 1)):
        s.expect(f"kan:   vcpu {vcpu}: cpu {cpu}, waiting for SIPI")
    return restarted


# md5 of the 16 MiB of zeros each job hashes (guests/linux/init, kan.smp).
ZEROS_MD5 = hashlib.md5(bytes(16 << 20)).hexdigest()


def check_smp_linux(r, name, vcpus):
    expect(r, f"[{name}] [", "ACPI: Using ACPI (MADT) for SMP configuration information",
           f"[{name}] [", f"smpboot: Allowing {vcpus} CPUs, 0 hotplug CPUs",
           f"[{name}] [", "ACPI: Using IOAPIC for interrupt routing")
    expect(r, f"[{name}] [", f"smp: Brought up 1 node, {vcpus} CPUs")
    expect(r, f"[{name}] kan-smp: nproc {vcpus}, online 0-{vcpus - 1}")
    assert re.search(rf"^\[{name}\] kan-smp: {vcpus} jobs of 16 MiB from [\d.]+s to [\d.]+s of uptime, "
                     rf"md5 {ZEROS_MD5}$", r.serial, re.M), r.report()
    expect(r, f"kan: vm {name} ended: powered off (ACPI S5 through PM1a_CNT)")


# QEMU only: in Bochs, Debian with two vCPUs on two CPUs reached its jobs and powered off, but in
# 553 s (two Bochs CPUs run at half speed each, and every xAPIC access is an EPT violation that
# Bochs logs); make test cannot afford it. The VT-x paths it takes are the SMP guest's and the
# hostile APIC guests' above, which run in Bochs.
@pytest.mark.parametrize("platform", tiers("qemu-svm"))
def test_two_smp_linux_vms_share_two_cpus(platform):
    r = run_kan(platform, "linux-smp-pair", cpus=2, megs=1024, timeout=900)
    assert_clean(r)
    expect(r, "kan: vm 1 'linux-a': 128 MiB", "vcpus on cpus 0,1")
    expect(r, "kan: vm 2 'linux-b': 128 MiB", "vcpus on cpus 0,1,0,1")
    check_smp_linux(r, "linux-a", 2)
    check_smp_linux(r, "linux-b", 4)
    expect_not(r, *NEVER)
