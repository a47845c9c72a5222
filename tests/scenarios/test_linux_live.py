"""A Linux VM that moves and is copied while it runs (issue 17), in one boot (scenario
linux-live): Debian's kernel by its PVH entry, with its 8259/8254 board, COM1 and a read-only
virtio disk.

1. While it checksums zeros (dd | md5sum, typed at its shell), kan moves it between CPU 0 and
   CPU 1 again and again; the checksum comes out right and `vm info` follows it.
2. At its shell, `vm snapshot` copies it (RAM, vCPU, PIC, PIT, board, the disk's virtqueues)
   and `vm restore` starts the copy on the other CPU: the copy answers in its shell, its
   uptime goes on from the original's (no reboot, no jump back), and it reads the disk; the
   original answers too."""
import hashlib
import re
import time
from pathlib import Path

import pytest

from kanemu import FAILURE_MARKERS, interactive_kan, tiers

ESCAPE = b"\x1d"  # Ctrl-]
MIB = {"bochs": 2, "qemu-svm": 16}  # zeros to checksum: a few seconds on each
MAX_MOVES = 2000  # Bochs moved it 68-310 times, QEMU 14-21: far more is a hang
DISK = Path(__file__).resolve().parents[2] / "build" / "disks" / "ro.img"


def cpu_of(s, name):
    s.send(f"vm info {name}")
    seen = s.expect("kan:   runs:")
    return int(re.search(r"MiB at host 0x[0-9a-f]+, cpu (\d+),", seen)[1])


def progress(s, what):
    print(f"{time.monotonic() - s.start:6.1f} s: {what}", flush=True)


def in_console(s, vm, line, pattern, timeout=180):
    """Types `line` into `vm`'s console and waits for a line of its output to match."""
    s.send(f"console {vm}")
    s.expect(f"kan: console attached to vm {vm}")
    s.send(line)
    found = s.wait_match(rf"^\[{vm}\] {pattern}", timeout=timeout)
    s.send_raw(ESCAPE)
    s.expect("kan: console detached")
    return found


@pytest.mark.parametrize("platform", tiers("bochs", "qemu-svm"))
def test_a_linux_vm_moves_while_it_computes_and_its_copy_answers(platform):
    mib = MIB[platform]
    with interactive_kan(platform, "linux-live", cpus=2, megs=640) as s:
        s.expect("kan: shell ready on COM1 (type help)", timeout=300)
        s.wait_seen("[lin] kan-linux: shell on the console", timeout=900)
        progress(s, "Linux's shell is up")
        # 1. Moves while a checksum runs.
        s.send("console lin")
        s.expect("kan: console attached to vm lin")
        s.send(f"dd if=/dev/zero bs=1M count={mib} 2>/dev/null | md5sum; echo sum-$((6*7))")
        s.send_raw(ESCAPE)
        s.expect("kan: console detached")
        cpu, moves = cpu_of(s, "lin"), 0
        # Not anchored: the shell's echo of a typed `vm move` may lead the guest's line.
        while not re.search(r"\[lin\] sum-42$", s.result().serial, re.M):
            assert moves < MAX_MOVES, f"no sum-42 after {moves} moves\n{s.result().report()}"
            s.send(f"vm move lin {1 - cpu}")
            s.expect(f"kan: vm lin: moved from cpu {cpu} to cpu {1 - cpu}")
            cpu, moves = 1 - cpu, moves + 1
        progress(s, f"{moves} moves while Linux checksummed {mib} MiB")
        assert re.search(rf"\[lin\] {hashlib.md5(bytes(mib << 20)).hexdigest()}  -$",
                         s.result().serial, re.M), "the checksum is wrong or missing"
        assert moves >= 5, moves
        assert cpu_of(s, "lin") == cpu

        # 2. A snapshot at its shell, restored on the other CPU.
        s.wait_seen("[lin] kan-linux: shell on the console", timeout=300)
        before = float(in_console(s, "lin", "cat /proc/uptime", r"(\d+\.\d+) \d+\.\d+$")[1])
        s.send("vm snapshot lin as s1")
        taken = s.wait_match(r"^kan: vm lin: snapshot s1 taken: 128 MiB RAM and 1 vCPU, .* held "
                             r"(\d+) TSC ticks for it; devices: UART, 8259 pair, 8254, board "
                             r"\(CMOS, PM timer\), read-only disk's virtqueues$", timeout=300)
        progress(s, f"a snapshot of the 128 MiB Linux VM held it {taken[1]} TSC ticks")
        there = 1 - cpu_of(s, "lin")
        s.send(f"vm restore s1 as lin2 cpus={there}")
        s.expect(f"kan: vm lin2: restored from snapshot s1 (of vm lin) on cpu {there}")
        s.expect("kan: vm lin2: created -> running (by command)")
        in_console(s, "lin2", "echo restored-$((6*7))", "restored-42$")
        after = float(in_console(s, "lin2", "cat /proc/uptime", r"(\d+\.\d+) \d+\.\d+$")[1])
        progress(s, f"uptime: {before} s in the original before the snapshot, {after} s in "
                 "the copy")
        assert before < after, (before, after)
        disk = hashlib.md5(DISK.read_bytes()[:1 << 20]).hexdigest()
        read = "dd if=/dev/vda bs=64k count=16 2>/dev/null | md5sum"
        in_console(s, "lin2", read, rf"{disk}  -$")
        in_console(s, "lin", "echo original-$((6*7))", "original-42$")
        in_console(s, "lin", read, rf"{disk}  -$")

        log = s.result().serial
        assert "[lin2] [    0.000000] Linux version" not in log  # the copy never booted
        assert not [m for m in FAILURE_MARKERS if m in log]
        for bad in ("Kernel panic", "general protection fault", " crashed", "BUG:"):
            assert bad not in log, bad
