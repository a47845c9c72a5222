"""Linux beside other guests: sharing its CPU round-robin, and two Linux VMs at once.

These are the slowest scenarios (3.5 and 7 minutes of Bochs); pytest-xdist runs them beside
the rest. What each asserts is in its docstring."""
import re

from kanemu import assert_clean, expect, expect_not, interactive_bochs, run_bochs

ESCAPE = b"\x1d"  # Ctrl-]


def share(serial, vm):
    """CPU time over wall time of a counter guest, from its own line and kan's table."""
    wall_us = int(re.search(rf"\[{vm}\] counter done: \d+ loops in (\d+) us", serial)[1])
    cpu_us = int(re.search(rf"^kan: \d+\s+{vm}\s+\S+\s+\d+\s+(\d+)", serial, re.M)[1])
    return cpu_us / wall_us


def test_linux_shares_its_cpu_round_robin_with_a_counter():
    """Linux and count-b take turns on CPU 1 (10 ms slices); count-a has CPU 0. count-b gets
    about half of CPU 1 while Linux boots, and Linux still reaches userspace and powers off."""
    r = run_bochs("linux-shared", cpus=2, timeout=900)
    expect(r, "kan: vm 1 'linux': 128 MiB", "cpu 1", "kan: vm 2 'count-b'", "cpu 1")
    expect(r, "[count-b] counter done:", "kan: vm count-b ended: exit status 0")
    expect(r, "[linux] kan-linux: userspace reached", "[linux] kan-linux: done, powering off",
           "kan: vm linux ended: powered off (ACPI S5 through PM1a_CNT)")
    shared, alone = share(r.serial, "count-b"), share(r.serial, "count-a")
    print(f"count-b beside Linux on CPU 1: {shared:.3f}; count-a alone on CPU 0: {alone:.3f}")
    assert 0.4 <= shared <= 0.6, r.report()
    assert alone >= 0.9, r.report()
    expect_not(r, "Kernel panic", "general protection fault")


def test_two_linux_vms_at_once_a_shell_and_a_reboot():
    """linux-a (CPU 0) and linux-b (CPU 1) boot at once. linux-b reboots through the FADT's
    reset register and kan starts it afresh; meanwhile the test types into linux-a's shell
    through kan's console (the UART's receive interrupt), then powers it off from there."""
    with interactive_bochs("linux-pair", cpus=2, megs=512) as s:
        s.expect("kan: vm 1 'linux-a': 128 MiB", timeout=120)
        s.wait_seen("kan: vm 2 'linux-b': 128 MiB", timeout=10)
        s.wait_seen("[linux-a] kan-linux: shell on the console", timeout=900)
        s.wait_seen("[linux-b] kan-linux: done, rebooting", timeout=300)
        s.wait_seen("kan: vm linux-b reset itself (reset control register 0xcf9): "
                    "starting again", timeout=60)
        s.send("console linux-a")
        s.expect("kan: console attached to vm linux-a; Ctrl-] returns to kan")
        s.send("echo typed-$((6*7)) into $(uname -s)")
        s.expect("[linux-a] typed-42 into Linux", timeout=60)
        s.send_raw(ESCAPE)
        s.expect("kan: console detached")
        # linux-b's second boot: its boot stub speaks again (before it decompresses the
        # kernel), so the reset really started it afresh.
        s.wait_seen("[linux-b] KASLR disabled: 'nokaslr' on cmdline.", timeout=300, times=2)
        s.send("vm stop linux-b")
        s.expect("kan: vm linux-b: running -> stopped (by command)")
        s.send("console linux-a")
        s.expect("kan: console attached to vm linux-a")
        s.send("poweroff -f")
        s.expect("kan: vm linux-a ended: powered off (ACPI S5 through PM1a_CNT)", timeout=120)
        r = s.close(timeout=60)
    assert_clean(r)
    for vm in ("linux-a", "linux-b"):
        expect(r, f"[{vm}] kan-linux: userspace reached", f"[{vm}] Linux (none) 6.1")
    expect_not(r, "Kernel panic", "general protection fault")
