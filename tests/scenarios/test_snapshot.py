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


def count_line(name, count):
    return LINE.format(name).replace("(\\d+)", str(count), 1)


# Bochs only: under QEMU's TCG on a loaded host the copy's hold (1.6 G ticks for 64 MiB) and its
# first run vary too much for the TSC bound (CI saw 13.1 G against 9.8 G). AMD-V snapshots are
# checked by test_linux_live.py[qemu-svm].
@pytest.mark.parametrize("platform", tiers("bochs"))
def test_snapshot_and_restore_continue_the_count(platform):
    with interactive_kan(platform, "snapshot", cpus=2, megs=512) as s:
        s.expect("kan: shell ready on COM1 (type help)")
        s.wait_match(count_line("tick", 3))

        s.send("vm snapshot tick as snap1")
        before = s.expect("kan: vm tick: snapshot snap1 taken: 64 MiB RAM and 1 vCPU, ")
        held = int(s.wait_match(r"snapshot snap1 taken: .* held (\d+) TSC ticks")[1])
        print(f"a snapshot of a 64 MiB VM held it for {held} TSC ticks")
        # The shell's echo of typed characters may cut into a guest's lines: only whole
        # lines count, so the last one before the snapshot may be a few counts early.
        last = ticks(before, "tick")[-1][0]
        # The original goes on; the restore comes well after, so that a TSC that jumped
        # over the gap would show in the copy's first line.
        # The restore waits until the TSC the copy would have jumped over outweighs the copy's
        # hold (which takes QEMU's TCG far longer than Bochs) by a margin.
        usual_tick = max(d for _, _, d in ticks(before, "tick")[-4:])
        after = 12
        while True:
            s.wait_match(count_line("tick", last + after), timeout=180)
            tick = ticks(s.result().serial, "tick")
            if sum(d for c, _, d in tick if last + 2 < c <= last + after) > 3 * (usual_tick + held):
                break
            after += 12

        s.send("vm restore snap1 as tock cpus=1")
        s.expect("kan: vm tock: restored from snapshot snap1 (of vm tick) on cpu 1")
        s.wait_match(r"^\[tock\] ticker: count (\d+) .*\n(.*\n)*\[tock\] ticker: count .*\n"
                     r"(.*\n)*\[tock\] ticker: count .*\n(.*\n)*\[tock\] ticker: count ",
                     timeout=180)
        s.send("vm list")
        s.wait_match(r"^kan: snapshot snap1 +of vm tick +64 MiB RAM, 65540 KiB of kan's memory$")
        s.expect("kan> ")

        text = s.result().serial
        tick, tock = ticks(text, "tick"), ticks(text, "tock")
        print("last whole line before the snapshot:", last, "tick:", tick[:2], "tock:",
              tock[:3])
        # The copy continues from the snapshot's count, not from zero (nor from its image's
        # entry): its first count follows the original's last before the snapshot ...
        first = tock[0][0]
        assert last < first <= last + 8, (last, tock[:3])
        counts = [c for c, _, _ in tock]  # a line cut by an echo is missing, none repeats
        assert counts == sorted(set(counts)), counts
        # ... and at each count both print the same value, which depends on every turn.
        values = {c: v for c, v, _ in tick}
        same = [c for c, v, _ in tock if values.get(c) == v]
        differ = [c for c, v, _ in tock if c in values and values[c] != v]
        assert len(same) >= 3 and not differ, (same, differ)
        # Its TSC continued from the snapshot's: its first delta is at most a line's worth
        # of the shared CPU plus the copy, far less than the gap of lines it would show
        # if the TSC had run on between the snapshot and the restore.
        usual = max(d for _, _, d in tock[1:4])
        gap = sum(d for c, _, d in tick if last + 2 < c <= last + after)
        bound = 2 * (usual + held)
        print(f"tock's first TSC delta {tock[0][2]}, bound {bound}, gap {gap}")
        assert tock[0][2] < bound < gap, (tock[0][2], bound, gap)

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

        # Both copies and the heartbeat still count (a few lines on, as an echo may cut one).
        text = s.result().serial
        beats, n = ticks(text, "heartbeat")[-1][0], ticks(text, "tock")[-1][0]
        s.wait_match(count_line("tock", n + 3)[1:], timeout=300)  # [1:]: an echo may lead
        s.wait_match(count_line("heartbeat", beats + 3)[1:], timeout=300)
        s.send("shutdown")
        s.close()
