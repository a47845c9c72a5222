"""What real platforms do that Bochs hides, made to happen on purpose: the TSC calibrated from
several sources, NX disabled by firmware, host NMIs and machine checks.

Bochs ignores IA32_MISC_ENABLE and cannot raise a real #MC, so those come from kan's test hooks
(selftest=..., kernel/selftest.c); what each hook pretends is said in its scenario's .cfg."""
import re

import pytest

from kanemu import run_bochs, run_qemu
from test_containment import Findings

TSC_LINE = re.compile(r"^kan: time: TSC runs at (\d+) kHz by (.+?)(?: \(median of (\d+) windows "
                      r"of 10 ms, (\d+) outliers\))?; (.+?) says (\d+) kHz: (\d+) ppm apart$", re.M)


def calibration(f):
    """(kHz, source, outliers, check source, check kHz, ppm) from kan's time line, or None."""
    m = TSC_LINE.search(f.r.serial)
    if not f.check(m, "kan printed no 'kan: time: TSC runs at ... ppm apart' line"):
        return None
    khz, source, windows, outliers, check, check_khz, ppm = m.groups()
    print(m[0])
    return int(khz), source, int(outliers or 0), check, int(check_khz), int(ppm)


def test_bochs_tsc_is_measured_by_the_pm_timer_and_checked_by_the_pit():
    """Bochs's Skylake-X states a 3.5 GHz CPU (CPUID 0x16; 0x15 has no crystal frequency), but
    its TSC advances at ips=4000000: the PM timer measures that, and the PIT agrees."""
    r = run_bochs("demo", timeout=120, check=False)
    f = Findings(r)
    f.clean()
    c = calibration(f)
    if c:
        khz, source, outliers, check, check_khz, ppm = c
        f.check(source == "the ACPI PM timer", f"the rate came from {source}, not the PM timer")
        f.check(check == "the PIT", f"checked against {check}, not the PIT")
        f.check(3990 <= khz <= 4010, f"{khz} kHz: Bochs runs 4000000 instructions a second")
        f.check(ppm < 1000, f"PM timer and PIT {ppm} ppm apart")
        f.check(outliers <= 1, f"{outliers} outlier windows in an emulator without SMIs")
    f.expect_not("kan: time: WARNING")
    f.done()


@pytest.mark.parametrize("firmware", ["bios", "uefi"])
def test_qemu_tsc_windows_agree(firmware):
    """QEMU TCG: the TSC is the host's, and the timers run on the host's clock, so a busy host
    delays reads. The two timers must still agree within 2 %, where the old single 10 ms PIT
    window scattered from 2.45 to 3.27 GHz between runs. kan then stops: TCG has no VT-x."""
    r = run_qemu("demo", firmware=firmware, timeout=90, check=False)
    f = Findings(r)
    f.check(not r.timed_out, "timed out")
    f.expect_not("kan: PANIC", "kan: CPU EXCEPTION")
    c = calibration(f)
    if c:
        khz, source, outliers, check, check_khz, ppm = c
        timers = {"the ACPI PM timer", "the PIT"}
        f.check({source, check} == timers, f"{source} checked by {check}, not the two timers")
        f.check(ppm < 20000, f"PM timer and PIT {ppm} ppm apart")
    f.done()


@pytest.mark.parametrize("variant", ["disabled", "locked"])
def test_nx_disabled_by_firmware(variant):
    """selftest=xd-disabled: every CPU takes XD Bit Disable as set; kan clears it on the boot
    CPU and in each AP's trampoline, then sets EFER.NXE. xd-locked: the CPU refuses; kan says
    so and runs without NX on every CPU (no NX bit in its tables, EFER.NXE clear), and still
    runs its guests instead of faulting."""
    r = run_bochs(f"xd-{variant}", cpus=2, timeout=120, check=False)
    f = Findings(r)
    f.clean()
    if variant == "disabled":
        f.expect("kan: selftest: every CPU acts as if firmware had set XD Bit Disable\n",
                 "kan: NX: firmware had disabled it (IA32_MISC_ENABLE XD Bit Disable); kan "
                 "re-enabled it",
                 "kan: protection: text read-only, data NX,")
        f.expect("kan: cpu 1: firmware had disabled NX (XD Bit Disable); kan re-enabled it")
        nxe = 1
    else:
        f.expect("kan: selftest: every CPU acts as if firmware had set XD Bit Disable, and "
                 "refuses to clear it",
                 "kan: NX: firmware disabled it (IA32_MISC_ENABLE XD Bit Disable) and the CPU "
                 "refused to re-enable it: kan runs WITHOUT NX",
                 "kan: protection: text read-only, data EXECUTABLE (no NX),")
        f.expect_not("re-enabled it")
        nxe = 0
    for cpu in (0, 1):
        f.expect(f"kan: selftest: cpu {cpu}: EFER.NXE {nxe}\n")
    f.expect("kan: cpus: 2 of 2 listed in the ACPI MADT are running")
    f.all_exited("hello-0", "hello-1")
    f.done()


HOST_NMI_COUNT = 200  # kernel/selftest.c
NMI_CPU_LINE = re.compile(r"^kan: cpu (\d+): \d+ vCPU\(s\), busy \d+% of \d+ us(?:, (\d+) NMIs in kan)?$",
                          re.M)
NMI_GUEST_LINE = re.compile(r"^kan: cpu (\d+): (\d+) NMIs arrived while guests ran, handled as kan's$",
                            re.M)


def test_host_nmis_in_a_guest_and_in_kan_are_kans_own():
    """selftest=host-nmi: cpu 0 sends 200 NMIs to cpu 1 (a CPU-bound guest runs there) and 200
    to itself. Each NMI that exits a guest goes to kan's own handler (INT 2), so kan's handler
    counts all 400; none reaches a guest, and kan goes on."""
    r = run_bochs("host-nmi", cpus=2, timeout=180, check=False)
    f = Findings(r)
    f.clean()
    f.expect(f"kan: selftest: cpu 0 sends {HOST_NMI_COUNT} NMIs to cpu 1 and {HOST_NMI_COUNT} "
             "to itself, one every 1000 us",
             f"kan: selftest: {HOST_NMI_COUNT} + {HOST_NMI_COUNT} NMIs sent")
    in_kan = {int(cpu): int(n or 0) for cpu, n in NMI_CPU_LINE.findall(r.serial)}
    from_guests = {int(cpu): int(n) for cpu, n in NMI_GUEST_LINE.findall(r.serial)}
    exits = f.table.get("count-1", {}).get("exit_counts", {}).get("exception or NMI", 0)
    print(f"NMIs: cpu 0 in kan {in_kan.get(0)}; cpu 1 in kan {in_kan.get(1)}, "
          f"from its guest {from_guests.get(1)} ({exits} exits)")
    f.check(in_kan.get(0) == HOST_NMI_COUNT,
            f"cpu 0 counted {in_kan.get(0)} of the {HOST_NMI_COUNT} NMIs it sent itself")
    f.check(0 not in from_guests, "cpu 0 runs kan only when it sends, yet counts guest NMIs")
    f.check(from_guests.get(1, 0) > HOST_NMI_COUNT // 2,
            f"only {from_guests.get(1, 0)} NMIs reached kan's handler from cpu 1's guest")
    f.check(from_guests.get(1, 0) == exits,
            f"{from_guests.get(1, 0)} NMIs handled from guests, but {exits} NMI exits")
    f.check(in_kan.get(1, 0) + from_guests.get(1, 0) == HOST_NMI_COUNT,
            f"cpu 1: {in_kan.get(1, 0)} + {from_guests.get(1, 0)} NMIs counted, "
            f"{HOST_NMI_COUNT} sent")
    f.expect_not("kan: NMI: the platform reports")  # Bochs's port 0x61 has no SERR/IOCHK
    f.all_exited("count-1", "hello-0")
    f.done()


def test_a_machine_check_is_reported_with_its_cpu_and_banks():
    """selftest=machine-check: cpu 1 raises #MC (INT 18) in kan. The handler, on its own IST
    stack, names cpu 1 and the banks, and ends the run: MCG_STATUS gives no restart point."""
    r = run_bochs("machine-check", cpus=2, timeout=120, check=False)
    f = Findings(r)
    f.check(not r.timed_out, "timed out")
    f.expect_not("kan: PANIC", "kan: CPU EXCEPTION", "[hello]")
    f.expect("kan: machine checks: CR4.MCE on, 0 banks, 0 leftover error(s); #MC on its own "
             "IST stack",
             "kan: selftest: cpu 1 raises a machine check (INT 18) while kan runs",
             "kan: MACHINE CHECK on cpu 1 while kan ran (RIP 0x",
             "): MCG_STATUS 0x0, no restart point\n",
             "kan: no machine-check bank holds an error (0 banks)",
             "kan: shutdown (machine check)")
    f.done()


def test_slices_end_without_the_preemption_timer():
    """selftest=no-preemption-timer: as on the Nehalem/Westmere steppings whose preemption
    timer is broken (vmx_preemption_timer_broken): the VMCS has no timer, the LAPIC timer is
    armed per slice, and two counters on one CPU still share it and finish."""
    r = run_bochs("no-preemption-timer", cpus=1, timeout=120, check=False)
    f = Findings(r)
    f.clean()
    f.expect("kan:   preemption timer (saved on exit)   no   -\n",
             "kan: VT-x: the preemption timer of this CPU (signature 0x50654) does not count as "
             "stated (Intel errata AAT59, AAK139, BA86...) or selftest says so: the LAPIC timer "
             "ends slices instead")
    for vm in ("count-a", "count-b"):
        counts = f.table.get(vm, {}).get("exit_counts", {})
        f.check("preemption timer" not in counts, f"{vm} has preemption-timer exits: {counts}")
        f.guest_line(vm, r"counter done: \d+ loops")
    f.all_exited("count-a", "count-b")
    f.done()
