"""A vCPU spinning on a lock held by a sibling that does not run gives its slice up (issue 15).

Scenario pause-loop: guests/spinlock's two vCPUs share one CPU and hand a fair (ticket) lock to
each other 400 times, each waiting for the other with PAUSE. Every hand-over needs the waiting
vCPU to leave the CPU to the holder. Where kan yields on a PAUSE loop, that happens at a PAUSE
exit; without it, only when the waiter's slice ends, once per hand-over. So the check counts:
PAUSE exits at least one per two hand-overs, and slice ends (the preemption timer's exits under
VT-x, kan's LAPIC timer interrupts, INTR, under AMD-V) fewer than one per four hand-overs.
Without PAUSE-loop handling the run has no PAUSE exit and about one slice end per hand-over.

Where the CPU has no loop detection of its own (VT-x without PAUSE-loop exiting, AMD-V without
the pause filter), every PAUSE exits and kan's heuristic (kernel/pause_loop.c) yields: the test
says which platform checks which, from kan's boot lines.
"""
import re

import pytest

from kanemu import PLATFORMS, run_bochs, run_kan, tiers
from test_containment import Findings

HANDOVERS = 400  # iso/scenarios/pause-loop.cfg
DONE = r"spinlock: (\d+) hand-overs; vCPU 0 took the lock \d+ times"
SLICE_END = {"VT-x": "preemption timer", "AMD-V": "INTR"}
PAUSE_LOOP_EXITS = 16  # kernel/pause_loop.h: PAUSE exits at one RIP that make a loop


def hardware_detects_loops(r, backend):
    """Whether kan's boot lines say the CPU spots PAUSE loops itself, and a line saying so."""
    if backend == "VT-x":
        has = re.search(r"^kan:   PAUSE-loop exiting\s+yes\s+uses$", r.serial, re.M) is not None
        what = "PAUSE-loop exiting"
    else:
        line = re.search(r"^kan: AMD-V: .*; has (.*); lacks", r.serial, re.M)
        has = line is not None and "pause filter" in line[1].split(", ")
        what = "pause filter"
    return has, (f"{what} offered: kan yields on the CPU's exits" if has else
                 f"{what} not offered: every PAUSE exits and kan's heuristic yields")


def check_pause_loops_yield(r, platform, label=None):
    """`label` names the platform in the printed lines where its cpu model is not the tier's."""
    f = Findings(r, platform)
    backend = PLATFORMS[platform].backend
    platform = label or platform
    f.expect("kan: vm spinlock: created -> running", "kan: vm spinlock ended: exit status 0")
    hardware, how = hardware_detects_loops(r, backend)
    print(f"{platform}: {how}")
    m = f.guest_line("spinlock", DONE)
    handovers = int(m[1]) if m else 0
    f.check(handovers >= HANDOVERS, f"the lock went over {handovers} times, not {HANDOVERS}")
    exits = f.table.get("spinlock", {}).get("exit_counts", {})
    pauses, slice_ends = exits.get("PAUSE", 0), exits.get(SLICE_END[backend], 0)
    print(f"{platform}: {handovers} hand-overs, {pauses} PAUSE exits, {slice_ends} slice ends "
          f"({SLICE_END[backend]})")
    f.check(pauses >= handovers // 2,
            f"{pauses} PAUSE exits for {handovers} hand-overs: the waiter did not leave the CPU "
            f"at a PAUSE loop")
    if not hardware:  # the heuristic yields only after PAUSE_LOOP_EXITS of them
        f.check(pauses >= PAUSE_LOOP_EXITS * handovers // 2,
                f"{pauses} PAUSE exits for {handovers} hand-overs: fewer than the heuristic needs")
    f.check(slice_ends < handovers // 4,
            f"{slice_ends} slice ends for {handovers} hand-overs: the holder waited for the "
            f"waiter's slice to end")
    f.done()


@pytest.mark.parametrize("platform", tiers("bochs", "qemu-svm", "bochs-ryzen"))
def test_a_vcpu_spinning_on_a_preempted_holder_yields(platform):
    r = run_kan(platform, "pause-loop", cpus=1, timeout=120)
    check_pause_loops_yield(r, platform)


def test_without_pause_loop_exiting_the_heuristic_yields():
    # Bochs's Sandy Bridge has VT-x with PAUSE exiting but no PAUSE-loop exiting.
    r = run_bochs("pause-loop", cpu_model="corei7_sandy_bridge_2600k", cpus=1, timeout=120)
    f = Findings(r)
    f.expect("kan:   PAUSE-loop exiting                 no   uses",
             "kan:   PAUSE exiting (without the above)  yes  uses")
    f.done()
    check_pause_loops_yield(r, "bochs", "bochs corei7_sandy_bridge_2600k")
