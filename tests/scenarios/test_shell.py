"""The management shell on COM1: lifecycle commands, policies, console attach, bad input.

One run (2 CPUs) with COM1 on a socket, on each tier (Bochs VT-x, QEMU AMD-V); the test types
commands and waits for kan's answers, in the order a person would."""
import re
import time

import pytest

from kanemu import assert_clean, expect, interactive_kan, tiers

ESCAPE = b"\x1d"  # Ctrl-]


def cpu_time_us(session, vm):
    session.send("vm list")
    session.expect("kan: id  name")  # the typed echo may be split by a guest's line
    table = session.expect("kan> ")
    row = re.search(rf"^kan: \d+\s+{re.escape(vm)}\s+\S+\s+\d+\s+\d+\s+(\d+)", table, re.M)
    assert row, table
    return int(row[1])


@pytest.mark.parametrize("platform", tiers("bochs", "qemu-svm"))
def test_shell_manages_vms_while_guests_run(platform):
    with interactive_kan(platform, "shell", cpus=2) as s:
        drive_the_shell(s)


def drive_the_shell(s):
    s.expect("kan: shell ready on COM1 (type help)")
    s.expect("kan> ")

    # on_crash=restart with restarts=2: two restarts, then kan gives up.
    s.expect("kan: vm crashy crashed: triple fault")
    s.expect("kan: vm crashy: crashed -> running (on_crash=restart, restart 1 of 2)")
    s.expect("kan: vm crashy: crashed -> running (on_crash=restart, restart 2 of 2)")
    s.expect("kan: vm crashy: on_crash=restart gives up after 2 restarts")

    s.send("help")
    s.expect("vm create FROM key=value..")
    s.send("vm list")
    s.expect("count-a")

    # Stop and start: the CPU time carries on from where it was.
    s.send("vm stop count-a")
    s.expect("kan: vm count-a: running -> stopped (by command)")
    stopped_at = cpu_time_us(s, "count-a")
    s.send("vm stop count-a")
    s.expect("kan: vm count-a: cannot stop: it is stopped")
    assert cpu_time_us(s, "count-a") == stopped_at
    # `recent`: its share over the last 2 s, as top shows; a stopped VM's falls to nothing.
    time.sleep(2.5)
    s.send("vm list")
    s.expect("kan: id  name")
    table = s.expect("kan> ")
    row = re.search(r"^kan: \d+\s+count-a\s+stopped\s+\d+\s+\d+\s+\d+\s+\d+\s+(\d+\.\d)%$", table, re.M)
    assert row and row[1] == "0.0", table
    s.send("vm start count-a")
    s.expect("kan: vm count-a: stopped -> running (by command)")
    s.expect("[count-a] counter: counting for")
    assert cpu_time_us(s, "count-a") > stopped_at

    s.send("vm pause count-a")
    s.expect("kan: vm count-a: running -> paused (by command)")
    s.send("vm resume count-a")
    s.expect("kan: vm count-a: paused -> running (by command)")

    # Restart a crashed VM by command (it crashes again: it is that kind of guest).
    s.send("vm restart crashy")
    s.expect("kan: vm crashy: crashed -> running (by command)")
    s.expect("kan: vm crashy crashed: triple fault")

    # A VM created with autostart=no waits for vm start.
    s.send("vm start later")
    s.expect("kan: vm later: created -> running (by command)")
    s.expect("[later] hello guest done: all checks passed")

    # Destroy frees the memory; a new VM gets it back, zeroed.
    s.wait_seen("[dirty] zerocheck: filled my RAM with 0xa5")
    dirty_us = cpu_time_us(s, "dirty")  # gone from vm list once destroyed
    s.send("vm destroy dirty")
    freed = s.expect(" freed")
    address = re.search(r"kan: vm dirty: 4 MiB at host (0x[0-9a-f]+) freed", freed)[1]
    s.send("vm create dirty name=clean mem=4M cpus=0")
    s.expect(f"kan: vm 7 'clean': 4 MiB at host {address}")
    s.expect("kan: vm clean: created -> running (by command)")
    s.expect("[clean] zerocheck: 0 of ")
    s.expect("kan: vm clean ended: exit status 0")

    # Attach the keyboard to a guest's UART, type, come back.
    s.send("console echo")
    s.expect("kan: console attached to vm echo; Ctrl-] returns to kan")
    s.send("hello from the shell")
    s.expect("[echo] echo: hello from the shell")
    s.send_raw(ESCAPE)
    s.expect("kan: console detached")

    # Commands that cannot apply change nothing and say why.
    s.send("frobnicate")
    s.expect("kan: unknown command 'frobnicate' (try help)")
    s.send("vm stop nosuch")
    s.expect("kan: no VM 'nosuch' (vm list shows them)")
    s.send("vm resume echo")
    s.expect("kan: vm echo: cannot resume: it is running")
    s.send("vm create echo name=huge mem=1G")
    s.expect("kan: vm create refused: key 'mem' asks for 1024 MiB, which does not fit")
    s.send("vm create echo name=echo")
    s.expect("kan: vm create refused: key 'name' has bad value 'echo' (another VM has it)")
    s.send("vm info count-a")
    s.expect("kan: vm 1 'count-a': running, config 'name=count-a cpus=1 mem=2M -- ms=600000'")
    s.send("cpu list")
    s.expect("kan: cpu 1 (APIC id 1):")
    s.expect("% in the last 2 s")
    s.send("stats")
    s.expect("(vm heartbeat)")
    # Typing did not cost the guest beside the shell its share of CPU 0. Its neighbours there
    # (dirty's 4 MiB fill, clean's check, later, echo) ran inside its 20 s and their time is
    # theirs: the heartbeat must get 0.95 of what they left, the rest is kan's.
    done = s.wait_match(r"\[heartbeat\] counter done: \d+ loops in (\d+) us.*$", timeout=180)
    wall_us = int(done[1])
    neighbours_us = dirty_us + sum(cpu_time_us(s, vm) for vm in ("echo", "later", "clean"))
    heartbeat_us = cpu_time_us(s, "heartbeat")
    share = heartbeat_us / (wall_us - neighbours_us)
    print(f"heartbeat share of CPU 0 while the shell was used: {heartbeat_us / wall_us:.3f} "
          f"of all, {share:.3f} of what its neighbours left")
    assert share >= 0.95, f"heartbeat got {share:.3f} of what its neighbours on CPU 0 left"

    # Only now: in quiet mode guests' lines are not shown, and the heartbeat's last line
    # must not fall into that window.
    s.send("log quiet")
    s.expect("kan: log level quiet")
    s.send("log normal")
    s.expect("kan: log level normal")

    s.send("shutdown")
    s.expect("kan: shutdown (by command)")
    r = s.close()
    assert_clean(r)
    expect(r, "kan: summary:")
