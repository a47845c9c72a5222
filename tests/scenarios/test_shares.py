"""CPU shares that change while VMs run (issue 17): weight=, cap=, budget= with period=, and
`vm set` applying them live. Bochs only: its time is instruction-exact, so shares are
measured to the 2 % the issue asks (QEMU's TCG time follows the host's load)."""
import re
import time

import pytest

from kanemu import interactive_kan, tiers

ROW = r"^kan: \d+\s+{}\s+\S+\s+\d+\s+\d+\s+(\d+)\s+\d+\s+(\d+\.\d)%$"


def vm_list(s):
    """name -> (cpu-time-us, recent %), from one `vm list`."""
    s.send("vm list")
    s.expect("kan: id  name")
    table = s.expect("kan> ")
    rows = {}
    for name in ("w-a", "w-b", "w-c", "capped", "hog-1", "hog-2", "rt"):
        m = re.search(ROW.format(re.escape(name)), table, re.M)
        if m:
            rows[name] = (int(m[1]), float(m[2]))
    return rows


def shares_between(s, names, seconds):
    """Each VM's part of the CPU time the VMs in `names` got over the next `seconds`."""
    before = vm_list(s)
    time.sleep(seconds)
    after = vm_list(s)
    got = {n: after[n][0] - before[n][0] for n in names}
    total = sum(got.values())
    assert total > 0, (before, after)
    return {n: got[n] / total for n in names}


def assert_close(shares, want, tolerance=0.02):
    print("shares:", {n: round(v, 3) for n, v in shares.items()}, "want:", want)
    for name, share in shares.items():
        assert abs(share - want[name]) <= tolerance, f"{name}: {share:.3f}, want {want[name]:.3f}"


@pytest.mark.parametrize("platform", tiers("bochs"))
def test_weights_caps_and_reservations_change_live(platform):
    with interactive_kan(platform, "shares", cpus=2) as s:
        s.expect("kan: shell ready on COM1 (type help)")
        for _ in range(4):  # w-a, w-b, w-c, capped, in any order
            s.expect("] counter: counting for")

        # Weights 1:1:1 on CPU 0, then 1:2:3 from the shell.
        names = ("w-a", "w-b", "w-c")
        assert_close(shares_between(s, names, 4), {"w-a": 1 / 3, "w-b": 1 / 3, "w-c": 1 / 3})
        s.send("vm set w-b weight=2")
        s.expect("kan: vm w-b: set slice 10000 us, weight 2, cap 100%, reservation none")
        s.send("vm set w-c weight=3")
        s.expect("kan: vm w-c: set slice 10000 us, weight 3, cap 100%, reservation none")
        assert_close(shares_between(s, names, 4), {"w-a": 1 / 6, "w-b": 2 / 6, "w-c": 3 / 6})

        # cap=25% alone on CPU 1: its share of the last 2 s, as vm list's `recent` says.
        recent = vm_list(s)["capped"][1]
        print("capped: recent", recent)
        assert abs(recent - 25.0) <= 2.0, f"capped: {recent}%"

        # What vm set refuses, by key and value; nothing changes.
        s.send("vm set w-a weight=0")
        s.expect("kan: vm set refused: key 'weight' has bad value '0'")
        s.send("vm set w-a mem=4M")
        s.expect("kan: vm set refused: key 'mem' cannot change while the VM exists")
        s.send("vm set rt cap=10%")
        s.expect("kan: vm set refused: key 'cap' has bad value '10%' (less than its "
                 "reservation")
        s.send("vm set hog-1 budget=9ms period=10ms")
        s.expect("kan: vm set refused: key 'budget' has value '9000us' (period 10000us): the "
                 "reservations on cpu 1 would come to 110% (at most 100%)")
        s.send("vm set rt cpus=0")
        s.expect("kan: vm set refused: key 'cpus' does not hold cpu 1, where vCPU 0 is, and "
                 "only a running VM moves")

        # A reservation beside hogs: the guest sees it kept, and kan counted no period missed.
        s.send("vm destroy capped")
        s.expect("kan: vm capped: running -> destroyed (by command)")
        s.send("vm set capped cap=50%")  # a destroyed VM keeps only its name
        s.expect("kan: vm set refused: vm capped is destroyed")
        for vm in ("hog-1", "hog-2", "rt"):
            s.send(f"vm start {vm}")
            s.expect(f"kan: vm {vm}: created -> running (by command)")
        s.expect("[rt] rtcheck: ", timeout=300)
        line = s.expect("\n")
        assert line.rstrip().endswith(": ok"), line
        s.expect("kan: vm rt ended: exit status 0")
        s.send("vm info rt")
        s.expect("kan:   share: weight 1, cap 100%, reserved 2000 us every 10000 us: ")
        s.expect(" periods, 0 missed")
        s.send("shutdown")
        s.expect("kan: shutdown")
