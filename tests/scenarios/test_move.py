"""Moving a running VM between physical CPUs (issue 17): `vm move NAME CPU` while a counter
that checks its own continuity (guests/movecheck: memory, CR2, XMM0 and the TSC) counts, fifty
times between CPU 0 and 1, a heartbeat beside it on CPU 1; `vm info` follows it; and the
moves kan refuses, each by name (scenario move-refuse)."""
import re
import time

import pytest

from kanemu import interactive_kan, tiers

MOVES = 50


def cpu_of(s, name):
    """The CPU `vm info` says the VM's boot vCPU runs on."""
    s.send(f"vm info {name}")
    seen = s.expect("kan:   runs:")
    m = re.search(r"MiB at host 0x[0-9a-f]+, cpu (\d+),", seen)
    assert m, seen
    return int(m[1])


def cpu_time_us(s, names):
    """The CPU time the VMs in `names` used so far, summed, from one `vm list`."""
    s.send("vm list")
    s.expect("kan: id  name")
    table = s.expect("kan> ")
    total = 0
    for name in names:
        m = re.search(rf"^kan: \d+\s+{re.escape(name)}\s+\S+\s+\d+\s+\d+\s+(\d+)\s", table, re.M)
        assert m, table
        total += int(m[1])
    return total


@pytest.mark.parametrize("platform", tiers("bochs", "qemu-svm"))
def test_move_a_counting_vm_fifty_times(platform):
    with interactive_kan(platform, "move", cpus=2) as s:
        s.expect("kan: shell ready on COM1 (type help)")
        s.wait_seen("movecheck: 10000 counted, ok", timeout=120)
        cpu = cpu_of(s, "mover")
        s.send("log verbose")
        for i in range(MOVES):
            to = 1 - cpu
            s.send(f"vm move mover {to}")
            s.expect(f"kan: vm mover: moved from cpu {cpu} to cpu {to}")
            if i < 2:  # the cost, from the shell's CPU and from the other one
                cost = s.expect(" of them on the old cpu")
                print(f"move cost, cpu {cpu} to {to}:", cost.splitlines()[-1])
                if i == 1:
                    s.send("log normal")
            if i % 10 == 9:
                assert cpu_of(s, "mover") == to
            cpu = to
        # It counts on after the last move: two more reports, all ok.
        counted = max(int(n) for n in re.findall(r"movecheck: (\d+) counted", s.result().serial))
        s.wait_seen(f"movecheck: {counted + 20000} counted, ok", timeout=120)
        log = s.result().serial
        assert "movecheck: BAD" not in log and "movecheck: 10000 counted, ok" in log
        assert log.count("kan: vm mover: moved from cpu") == MOVES
        assert "heartbeat: beating" in log and " crashed" not in log
        # Bochs's VT-x holds kan's interrupts while the guest has IF=0 (movecheck always
        # has): kan saw it and takes them itself, else each move from CPU 0 took a slice.
        held = "kan: vmx: this CPU holds kan's interrupts while a guest has IF=0"
        assert (held in log) == (platform == "bochs"), log[-3000:]


@pytest.mark.parametrize("platform", tiers("bochs"))
def test_moves_kan_refuses(platform):
    with interactive_kan(platform, "move-refuse", cpus=2) as s:
        s.expect("kan: shell ready on COM1 (type help)")
        s.wait_seen("movecheck: 10000 counted, ok", timeout=120)
        # A crashed VM.
        s.send("vm start crasher")
        s.expect("kan: vm crasher crashed")
        s.send("vm move crasher 0")
        s.expect("kan: vm move refused: vm crasher: cannot move: it is crashed")
        s.send("vm move crasher 1")
        s.expect("kan: vm move refused: vm crasher: cannot move: it is crashed")
        # A destroyed one.
        s.send("vm destroy gone")
        s.expect("kan: vm gone: ")
        s.expect(" freed")
        s.send("vm move gone 0")
        s.expect("kan: vm move refused: vm gone: cannot move: it is destroyed")
        s.send("vm move gone 1")
        s.expect("kan: vm move refused: vm gone: cannot move: it is destroyed")
        # A CPU outside its cpus=, and one that is not there.
        s.send("vm move pinned 1")
        s.expect("kan: vm move refused: vm pinned: cannot move: cpu 1 is not in its cpus=")
        s.send("vm move mover 7")
        s.expect("kan: vm move refused: vm mover: cannot move: cpu 7 runs no VMs")
        # Its own CPU.
        here = cpu_of(s, "mover")
        s.send(f"vm move mover {here}")
        s.expect(f"kan: vm move refused: vm mover: cannot move: vCPU 0 runs on cpu {here} "
                 "already")
        # A CPU without room for its reservation: rt and rt-2 reserve 60 % each, one per CPU.
        there = 1 - cpu_of(s, "rt")
        s.send(f"vm move rt {there}")
        s.expect(f"kan: vm move refused: vm rt: cannot move: cpu {there} has no room for its "
                 "reservation (the reservations there would come to 120%, at most 100%)")
        # A vCPU it does not have; the grammar.
        s.send("vm move mover:1 0")
        s.expect("kan: vm move refused: vm mover: cannot move: it has no vCPU 1 (it has 1)")
        s.send("vm move mover x")
        s.expect("kan: vm move: 'x' is no CPU number")
        # None of them moved anything; vm set cpus= that leaves its CPU moves it instead.
        assert "moved from" not in s.result().serial
        s.send(f"vm set mover cpus={1 - here}")
        s.expect(f"kan: vm mover: moved from cpu {here} to cpu {1 - here}")
        assert cpu_of(s, "mover") == 1 - here
        s.send(f"vm set rt cpus={there}")
        s.expect("kan: vm set refused: key 'cpus' does not hold cpu")
        s.expect("no CPU it holds has room for its reservation")
        s.expect("movecheck: ", timeout=60)
        assert "movecheck: BAD" not in s.result().serial


@pytest.mark.parametrize("platform", tiers("bochs"))
def test_balance_spreads_three_counters(platform):
    with interactive_kan(platform, "balance", cpus=2) as s:
        s.expect("kan: shell ready on COM1 (type help)")
        for _ in range(3):
            s.expect("] counter: counting for")
        for name in ("c-1", "c-2", "c-3"):
            assert cpu_of(s, name) == 0
            s.send(f"vm set {name} cpus=0-1")
            s.expect(f"kan: vm {name}: set slice")
        moved = s.wait_match(r"kan: vm (c-\d): moved from cpu 0 to cpu 1 \(balance=on: cpu 0 "
                             r"was (\d+)% busy, cpu 1 (\d+)%\)$", timeout=120)
        print("balance:", moved[0])
        # It stays so: after ten more seconds of kan's time (ten looks, past the CPUs'
        # settling and the vCPU's hold), still the one move, two on CPU 0 and one on CPU 1.
        start = cpu_time_us(s, ("c-1", "c-2", "c-3"))
        while cpu_time_us(s, ("c-1", "c-2", "c-3")) - start < 20_000_000:  # 2 CPUs x 10 s
            time.sleep(2)
        where = sorted(cpu_of(s, name) for name in ("c-1", "c-2", "c-3"))
        assert where == [0, 0, 1], where
        assert cpu_of(s, moved[1]) == 1
        assert s.result().serial.count("(balance=on:") == 1
