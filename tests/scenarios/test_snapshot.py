"""Snapshots (issue 17): `vm snapshot` copies a running ticker guest of 64 MiB into kan's
memory, `vm restore` starts a second VM from the copy on the other CPU, and both go on from
the same count, with the same value (RAM and registers carried over) and no jump in the
restored one's TSC (the snapshot's TSC continues). A heartbeat ticker keeps running beside.
Hostile: a destroyed VM, a taken name and an unknown snapshot are refused by name."""
import re

import pytest

from kanemu import interactive_kan, tiers

LINE = r"^\[{}\] ticker: count (\d+) value ([0-9a-f]+) tsc \+(\d+)$"


def ticks(text, name):
    """(count, value, tsc delta) of each of `name`'s lines in `text`."""
    return [(int(m[1]), m[2], int(m[3])) for m in re.finditer(LINE.format(name), text, re.M)]


@pytest.mark.parametrize("platform", tiers("bochs", "qemu-svm"))
def test_snapshot_and_restore_continue_the_count(platform):
    with interactive_kan(platform, "snapshot", cpus=2, megs=512) as s:
        s.expect("kan: shell ready on COM1 (type help)")
        s.wait_match(LINE.format("tick").replace("(\\d+)", "5", 1))

        s.send("vm snapshot tick as snap1")
        before = s.expect("kan: vm tick: snapshot snap1 taken: 64 MiB RAM and 1 vCPU, ")
        held = int(s.wait_match(r"snapshot snap1 taken: .* held (\d+) TSC ticks")[1])
        print(f"a snapshot of a 64 MiB VM held it for {held} TSC ticks")
        last = ticks(before, "tick")[-1][0]
        # The original goes on; the restore comes well after, so that a TSC that jumped
        # over the gap would show in the copy's first line.
        s.wait_match(LINE.format("tick").replace("(\\d+)", str(last + 20), 1), timeout=120)

        s.send("vm restore snap1 as tock cpus=1")
        s.expect("kan: vm tock: restored from snapshot snap1 (of vm tick) on cpu 1")
        s.wait_match(LINE.format("tock").replace("(\\d+)", str(last + 3), 1), timeout=120)
        s.send("vm list")
        s.expect("kan: snapshot snap1            of vm tick             64 MiB RAM")
        s.expect("kan> ")

        text = s.result().serial
        tick, tock = ticks(text, "tick"), ticks(text, "tock")
        print("last before the snapshot:", last, "tick:", tick[:3], "tock:", tock[:3])
        # The copy continues from the snapshot's count, not from zero: the first count it
        # prints follows the last one the original printed before the snapshot ...
        assert tock[0][0] == last + 1, (last, tock[:3])
        assert [c for c, _, _ in tock] == list(range(last + 1, last + 1 + len(tock)))
        # ... and at each count both print the same value, which depends on every turn.
        values = {c: v for c, v, _ in tick}
        for c, v, _ in tock:
            assert values.get(c, v) == v, (c, values.get(c), v)
        assert all(c in values for c, _, _ in tock[:3])
        # Its TSC continued from the snapshot's: its first delta is an ordinary one, not
        # the 20 lines' gap between the snapshot and the restore.
        usual = max(d for _, _, d in tick[1:])
        gap = sum(d for c, _, d in tick if last + 1 < c <= last + 20)
        print(f"tock's first TSC delta {tock[0][2]}, tick's largest {usual}, gap {gap}")
        assert tock[0][2] < 4 * usual < gap, (tock[0][2], usual, gap)

        # Hostile: each refused by name, and nothing changes.
        s.send("vm destroy gone")
        s.expect("kan: vm gone: created -> destroyed")
        s.send("vm snapshot gone")
        s.expect("kan: vm snapshot refused: vm gone: destroyed")
        s.send("vm restore snap1 as tick")
        s.expect("kan: vm restore refused: key 'name' has bad value 'tick' (another VM has it)")
        s.send("vm forget nosuch")
        s.expect("kan: vm forget refused: no snapshot 'nosuch'")
        s.send("vm restore nosuch as x")
        s.expect("kan: vm restore refused: no snapshot 'nosuch'")
        s.send("vm snapshot tick as snap1")
        s.expect("kan: vm snapshot refused: snapshot name 'snap1' is taken")
        s.send("vm forget snap1")
        s.expect("kan: snapshot snap1 forgotten: 65540 KiB back to kan")
        s.send("vm list")
        table = s.expect("kan> ")
        assert "snapshot snap1" not in table

        # Both copies and the heartbeat still count.
        beats = len(ticks(s.result().serial, "heartbeat"))
        n = len(ticks(s.result().serial, "tock"))
        s.wait_match(LINE.format("tock").replace("(\\d+)", str(last + n + 2), 1), timeout=120)
        s.wait_match(LINE.format("heartbeat").replace("(\\d+)", str(beats + 1), 1),
                     timeout=120)
        s.send("shutdown")
        s.close()
