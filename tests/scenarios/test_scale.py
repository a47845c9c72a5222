"""Scale (issue 12): RAM above 4 GiB for VMs, 64 modules, 64 VMs.

One ISO, scale64: 64 hello guests of 2 MiB each, 32 per CPU.
- QEMU TCG with 8 GiB (SeaBIOS and 2 MiB pages; OVMF and `-cpu max`, which has 1 GiB pages):
  no VT-x, so kan stops at the VT-x check; before that it must have counted all 64 modules
  and listed the RAM above 4 GiB as free for VMs.
- Bochs with 4.5 GiB (its BIOS puts 512 MiB of it above 4 GiB) and 2 CPUs: all 64 VMs run
  to exit 0, and since VM RAM comes from the top of memory, every one of them lives above
  4 GiB: kan's page tables and each VM's EPT reach it.
"""
import re

import pytest

from kanemu import expect, expect_not, run_bochs, run_qemu

GIB = 1 << 30
VMS = 64
MEMORY_LINE = re.compile(r"^kan: memory: (\d+) MiB RAM \((\d+) MiB above 4 GiB\), (\d+) MiB free for VMs",
                         re.M)
TYPES_LINE = re.compile(r"^kan: memory types: MTRRs on, default (\w+), (\d+) large pages split; "
                        r"(?:1 GiB|2 MiB) pages; LAPIC 0xfee00000 UC$", re.M)
VM_RAM = re.compile(r"^kan: vm \d+ '(s-\d+)': (\d+) MiB at host (0x[0-9a-f]+)", re.M)
NAMES = [f"s-{i:02d}" for i in range(1, VMS + 1)]


def memory_line(r):
    found = MEMORY_LINE.findall(r.serial)
    assert len(found) == 1, f"one memory line expected\n{r.report()}"
    return tuple(int(n) for n in found[0])


# kan stops before the VMs: qemu64 has AMD-V without nested paging, max without SVM nothing.
REFUSALS = {"qemu64": "kan: AMD-V: missing what kan needs: nested paging",
            "max,-svm": "kan: neither VT-x nor AMD-V: CPUID.1:ECX.VMX[bit 5] and "
                        "CPUID.80000001h:ECX.SVM[bit 2] are 0."}


@pytest.mark.parametrize("firmware, cpu, pages", [("bios", "qemu64", "2 MiB"),
                                                  ("uefi", "max,-svm", "1 GiB")])
def test_qemu_8g_lists_ram_above_4g_for_vms_and_counts_64_modules(firmware, cpu, pages):
    r = run_qemu("scale64", firmware=firmware, memory="8G", timeout=120, extra_args=("-cpu", cpu))
    expect(r, f"kan: {VMS} guest module(s)", REFUSALS[cpu],
           "kan: shutdown (this CPU cannot run kan's guests)")
    total, above, free = memory_line(r)
    # QEMU's pc machine with 8 GiB: 3 GiB below the PCI hole, 5 GiB above 4 GiB; firmware
    # keeps a few MiB.
    assert total >= 8180 and above == 5120, r.report()
    assert free >= total - 8, f"RAM above 4 GiB is not free for VMs\n{r.report()}"
    types = TYPES_LINE.search(r.serial)
    assert types and f"; {pages} pages;" in types[0], r.report()
    expect_not(r, "malformed")


def test_bochs_64_vms_above_4g_all_run_to_completion():
    r = run_bochs("scale64", cpus=2, timeout=400,
                  config_replace=[("megs: 256", "memory: guest=4608, host=256")])
    total, above, free = memory_line(r)
    assert above == 512 and free >= total - 8, r.report()
    _default, splits = TYPES_LINE.search(r.serial).groups()
    assert int(splits) >= 1, f"the first 2 MiB mixes the fixed MTRR ranges' types\n{r.report()}"
    spans = sorted((int(base, 16), int(mib) << 20, name) for name, mib, base in VM_RAM.findall(r.serial))
    assert sorted(name for _b, _s, name in spans) == NAMES, r.report()
    for base, size, name in spans:
        assert base >= 4 * GIB, f"{name}'s RAM at {base:#x} is below 4 GiB\n{r.report()}"
    for (a, size, _), (b, _s, name) in zip(spans, spans[1:]):
        assert a + size <= b, f"RAM at {a:#x}+{size:#x} overlaps {name}'s at {b:#x}\n{r.report()}"
    for name in NAMES:
        expect(r, f"[{name}] hello guest done: all checks passed", f"kan: vm {name} ended: exit status 0")
    # Many VMs make several summary lines, each whole and each starting the same way.
    summary = " ".join(line[len("kan: summary: "):] for line in r.lines if line.startswith("kan: summary: "))
    assert summary == " ".join(f"{n}=exited(0)" for n in NAMES), r.report()
    print(f"64 VMs above 4 GiB on Bochs x2: {r.seconds:.1f} s")


def test_qemu_8g_check_judges_every_module_by_name():
    """kan check with 66 modules in 8 GiB: each good one accepted, each bad one refused by name,
    and the verdict names what this machine lacks (QEMU's qemu64: AMD-V without nested paging)."""
    r = run_qemu("scale64-check", memory="8G", smp=2, timeout=120, check=False)
    expect(r, "kan check: 66 guest module(s)",
           "kan check: module 65 'bad-mem': refused: key 'mem' has bad value 'lots'",
           "kan check: module 66 'bad-cpu': refused: key 'cpus'",
           "kan check: this machine cannot run kan: AMD-V without nested paging")
    accepted = re.findall(r"^kan check: module (\d+) '(s-\d+)': accepted", r.serial, re.M)
    assert [name for _n, name in accepted] == NAMES, r.report()
    expect_not(r, "kan: PANIC", "malformed")
