"""Isolation, complete: every piece of state a core holds belongs to one VM.

guests/hostile/isolation runs as holders and spies (one image, `spy=1` makes a spy). Each
round a VM writes a marker naming itself and the round into every piece of state below,
yields, and reads everything back: it counts the rounds its values changed and the rounds
another VM's marker showed up (a leak), and prints one line per row:

    [holder-a] isolation: xmm changed 0 leaks 0 of 56
    [holder-a] isolation: ymm n/a (AVX not offered or not in XCR0)

A holder and its spy share a CPU and yield to each other every round; the spy runs more
rounds, so it outlives the holder and each holder yield hands the CPU to the spy. Bochs's
corei7_skylake_x has AVX-512 and RDTSCP, so every row must be checked, not n/a; QEMU's EPYC
(the AMD-V tier) has AVX but no AVX-512, so there the AVX-512 rows alone may be n/a.

guests/hostile/realfault takes #GP and #UD in real mode through its own IVT.

A test checks everything its run shows and then fails once, listing every broken promise.
"""
import re

import pytest

from kanemu import run_kan, tiers, words
from test_containment import Findings as ContainmentFindings

TIERS = tiers("bochs", "qemu-svm")

# Every row the isolation guest prints, in its order (guests/hostile/isolation/rows.c).
ROWS = ("x87", "mxcsr", "xmm", "ymm", "zmm", "opmask", "xcr0", "cr2", "cr8", "dr0-3", "dr6",
        "dr7", "star", "lstar", "cstar", "fmask", "kernel-gs-base", "tsc-aux", "fs-base",
        "gs-base", "sysenter-cs", "sysenter-esp", "sysenter-eip", "pat", "efer", "rdtscp",
        "gdtr", "idtr", "ldtr", "tr", "selectors", "rflags", "sse-loop")
MIN_ROUNDS = 40  # per row and VM; a holder drops AVX from XCR0 every fourth of its 56 rounds
# Rows a platform's CPU cannot have: the guest says n/a for them, and must for no other.
NOT_ON = {"bochs": (), "qemu-svm": ("zmm", "opmask")}  # EPYC: no AVX-512

ROW_LINE = re.compile(r"^\[(?P<vm>[^\]]+)\] isolation: (?P<row>\S+) (?:changed (?P<changed>\d+) "
                      r"leaks (?P<leaks>\d+) of (?P<rounds>\d+)(?P<rest>.*)|n/a \((?P<why>.*)\))$")


class Findings(ContainmentFindings):
    """test_containment's findings, checked clean at once, with two more questions."""

    def __init__(self, r):
        super().__init__(r)
        self.clean()

    def line(self, text):
        return self.check(text in self.r.serial, f"missing from the log: {text!r}")

    def position(self, text):
        found = self.r.serial.find(text)
        self.check(found >= 0, f"missing from the log: {text!r}")
        return found


def rows_of(r, vm):
    """row name -> list of its lines' matches, for one VM."""
    rows = {}
    for line in r.lines:
        m = ROW_LINE.match(line)
        if m and m["vm"] == vm:
            rows.setdefault(m["row"], []).append(m)
    return rows


def vmcalls(r, vm, platform):
    """The hypercall exits (VMCALL, VMMCALL) kan counted for the VM, from its last table, or None."""
    exits = [line for line in r.lines if line.startswith("kan:     exits:") and
             line.endswith(f"(vm {vm})")]
    m = re.search(rf" {words(platform).hypercall}=(\d+)", exits[-1]) if exits else None
    return int(m[1]) if m else None


def check_isolated(f, vm, platform):
    """Every row printed once, checked, and clean in at least MIN_ROUNDS rounds; nothing of
    another VM at start; the guest's own verdict; exit status 0."""
    rows = rows_of(f.r, vm)
    f.check(not set(rows) - set(ROWS), f"{vm} printed rows this test does not know: "
                                       f"{sorted(set(rows) - set(ROWS))}")
    leaking = []
    for name in ROWS:
        lines = rows.get(name, [])
        if not f.check(len(lines) == 1, f"{vm}: row {name} printed {len(lines)} times, not once"):
            continue
        m = lines[0]
        if name in NOT_ON[platform]:
            f.check(m["why"] is not None, f"{vm}: row {name} checked where the CPU lacks it")
            continue
        if not f.check(m["why"] is None, f"{vm}: row {name} not checked: n/a ({m['why']})"):
            continue
        changed, leaks, rounds = int(m["changed"]), int(m["leaks"]), int(m["rounds"])
        if changed or leaks or m["rest"].strip():
            leaking.append(name)
            f.check(False, f"{vm}: row {name} changed {changed} leaks {leaks} of {rounds}"
                           f"{m['rest']}")
        f.check(rounds >= MIN_ROUNDS, f"{vm}: row {name} checked in {rounds} rounds, "
                                      f"fewer than {MIN_ROUNDS}")
    f.line(f"[{vm}] isolation: at start, another VM's values in: none")
    f.check(re.search(rf"^\[{re.escape(vm)}\] isolation: all \d+ checked rows clean in \d+ "
                      r"rounds$", f.r.serial, re.M), f"{vm} did not say all its rows are clean")
    f.line(f"kan: vm {vm} ended: exit status 0")
    return leaking


def check_pair(f, holder, spy, platform):
    """The holder yielded at least MIN_ROUNDS times, each time to its spy: the spy was
    running on the same CPU from before the holder's first round to after its last."""
    calls = vmcalls(f.r, holder, platform)
    f.check(calls is not None and calls >= MIN_ROUNDS,
            f"{holder} made {calls} hypercalls (yields), fewer than {MIN_ROUNDS}")
    spy_start = f.position(f"[{spy}] isolation: spy ")
    # The holder's rounds end where it prints its first row: its end line can come later, as
    # its rows wait for its console budget (under QEMU, after the spy's end).
    rows = re.search(rf"^\[{re.escape(holder)}\] isolation: {ROWS[0]} ", f.r.serial, re.M)
    f.check(rows, f"{holder} printed no row {ROWS[0]!r}")
    holder_end = rows.start() if rows else len(f.r.serial)
    spy_end = f.position(f"kan: vm {spy} ended")
    f.check(spy_start < holder_end < spy_end,
            f"{spy} did not run from before {holder}'s rounds to after them, so not every "
            f"yield of {holder} went to it")


def check_run(r, platform, pairs, others=()):
    f = Findings(r)
    leaks = {}
    for holder, spy in pairs:
        check_pair(f, holder, spy, platform)
    for vm in [vm for pair in pairs for vm in pair] + list(others):
        if rows := check_isolated(f, vm, platform):
            leaks[vm] = rows
    print(f"{r.name}: rows that changed or leaked:", leaks or "none")
    return f


@pytest.mark.parametrize("platform", TIERS)
def test_holder_and_spy_on_one_cpu_share_no_state(platform):
    r = run_kan(platform, "isolation-one-cpu", cpus=2, timeout=300, check=False)
    # spy-far is alone on CPU 1: its yields switch to nobody, and it must not see CPU 0.
    f = check_run(r, platform, [("holder-a", "spy-a")], others=["spy-far"])
    f.line("kan: summary: holder-a=exited(0) spy-a=exited(0) spy-far=exited(0)")
    f.done()


@pytest.mark.parametrize("platform", TIERS)
def test_holder_and_spy_on_each_cpu_share_no_state(platform):
    r = run_kan(platform, "isolation-cpus", cpus=2, timeout=300, check=False)
    f = check_run(r, platform, [("holder-a", "spy-a"), ("holder-b", "spy-b")])
    f.line("kan: summary: holder-a=exited(0) spy-a=exited(0) holder-b=exited(0) spy-b=exited(0)")
    f.done()


@pytest.mark.parametrize("platform", TIERS)
def test_holder_and_spy_share_no_state_through_a_heartbeat_between_them(platform):
    r = run_kan(platform, "isolation-crowd", cpus=2, timeout=300, check=False)
    f = check_run(r, platform, [("holder-a", "spy-a"), ("holder-b", "spy-b")])
    for hb, holder in (("hb-0", "holder-a"), ("hb-1", "holder-b")):
        f.check(f.position(f"kan: vm {holder} ended") < f.position(f"[{hb}] heartbeat done:"),
                f"{hb} was not beating through all of {holder}'s rounds")
    f.line("kan: summary: holder-a=exited(0) hb-0=exited(0) spy-a=exited(0) holder-b=exited(0) "
           "hb-1=exited(0) spy-b=exited(0)")
    f.done()


@pytest.mark.parametrize("platform", TIERS)
def test_real_mode_guest_takes_its_exceptions_without_an_error_code(platform):
    r = run_kan(platform, "isolation-realmode", cpus=1, check=False)
    f = Findings(r)
    f.line("[realfault] real mode: rdmsr #GP, wrmsr #GP, rdpmc #GP, mov cr4 #GP, xsetbv #UD, "
           "ud2 #UD\n")
    f.line("[realfault] real mode: 0 instructions not as on hardware; every frame IP, CS, FLAGS "
           "without an error code")
    f.line("kan: vm realfault ended: exit status 0")
    f.line("kan: summary: realfault=exited(0)")
    f.done()


@pytest.mark.parametrize("platform", TIERS)
def test_pae_guest_pages_through_the_pdptes_kan_loads(platform):
    r = run_kan(platform, "isolation-pae", cpus=1, check=False)
    f = Findings(r)
    f.line("[pae32] pae32: PAE paging on; the marker reads back through the 2 MiB alias")
    f.line("kan: vm pae32 ended: exit status 0")
    f.line("kan: summary: pae32=exited(0)")
    f.done()
