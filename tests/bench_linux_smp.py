"""make bench-linux, SMP part: Debian's kernel with one vCPU and with two, and what it costs idle.

- Jobs (QEMU 7.2 TCG with AMD-V, -cpu EPYC,+svm,+npt -smp 2): linux-bench-vcpus1 (vcpus=1
  cpus=0) and linux-bench-vcpus2 (vcpus=2 cpus=0-1) each run the same two md5 jobs of 64 MiB
  at once (guests/linux/init, kan.smp=2 kan.smp_mib=64), timed by the guest's uptime; with two
  vCPUs on two CPUs they should take about half as long. QEMU's TSC runs at host time, so these
  move with whatever else the host runs (two cores, shared): a benchmark, never an assertion.
- Idle: then each VM waits at its shell (kan.end=shell). The script types one line into its
  console and detaches: the guest prints its uptime and timer interrupts (/proc/interrupts:
  LOC, the local APIC timer, and IRQ 0, the PIT), sleeps, prints them again; kan's exits are
  read (`vm info`) as each line appears, so the typing is outside the window. Then `vm list`'s
  recent column (the VM's share of one CPU over the last 2 s).
- Idle, exact: the SMP VM (vcpus=2 cpus=0) alone on a one-CPU Bochs, where guest seconds are
  instructions / 4 M (an SMP boot with the jobs on two Bochs CPUs takes about 10 minutes).
Written to build/bench-linux-smp.md.
"""
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "scenarios"))
import kanemu  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ESCAPE = b"\x1d"
IDLE_SETTLE_S = 5
WINDOW_S = 10
BOCHS_WINDOW_S = 60  # guest seconds (instructions / 4 M); Bochs idles faster than real time


def after(s, start, pattern, timeout):
    """The first whole line after offset `start` of the log that matches (a guest's line may
    follow kan's prompt on the same line: the prompt is left out)."""
    regex = re.compile(pattern, re.M)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with s.lock:
            text = s.buffer[start:s.buffer.rfind("\n") + 1].replace("kan> ", "")
        found = regex.search(text)
        if found:
            return found
        time.sleep(0.05)
    sys.exit(f"bench-linux-smp: waited {timeout} s for /{pattern}/\n{s.result().report()}")


def mark(s):
    with s.lock:
        return len(s.buffer)


def exits(s):
    start = mark(s)
    s.send("vm info linux")
    line = after(s, start, r"^kan:     exits: (.*) \(vm linux\)$", 60)
    return {name.strip(): int(n) for name, n in re.findall(r"([\w /-]+?)=(\d+)", line[1])}


# A shell function typed into the guest: its uptime (a builtin read, no fork), then its timer
# interrupts (LOC + IRQ 0, all CPUs).
PROBE = ("p() { read -r u _ </proc/uptime; echo kan-idle-$1 $u $(awk '/^ *(LOC|0):/ { for (i = 2; "
         "i <= NF; i++) if ($i ~ /^[0-9]+$/) n += $i } END { print n }' /proc/interrupts); }")


def snapshot(s):
    """kan's view of the VM: (exits by reason from `vm info`, its CPU time in us from
    `vm list`)."""
    found = exits(s)
    start = mark(s)
    s.send("vm list")
    cpu_us = after(s, start, r"^kan: \d+\s+linux\s+\S+\s+\d+\s+\d+\s+(\d+)\s+\d+\s+\S+$", 60)[1]
    return found, int(cpu_us)


def idle_window(s, seconds):
    """The guest sleeps `seconds` between two readings of its uptime and timer interrupts; kan's
    counts are read when the first reading is out and when the sleep ends (a line printed by
    a builtin before the second reading), the console detached, so that neither the typing nor
    the second reading falls inside. The guest's lines are matched anywhere in a line: one may
    land in the echo of a command typed to kan. Returns (guest seconds, timer interrupts, exits
    by reason, the VM's CPU time in us)."""
    start = mark(s)
    s.send("console linux")
    s.expect("kan: console attached to vm linux")
    s.send(f"{PROBE}; p a; sleep {seconds}; echo kan-idle-end; p b")
    s.send_raw(ESCAPE)
    s.expect("kan: console detached")
    a = after(s, start, r"\[linux\] kan-idle-a ([\d.]+) (\d+)$", 600)
    before, cpu0 = snapshot(s)
    after(s, start, r"\[linux\] kan-idle-end$", 600 + 10 * seconds)
    now, cpu1 = snapshot(s)
    b = after(s, start, r"\[linux\] kan-idle-b ([\d.]+) (\d+)$", 600)
    delta = {k: now.get(k, 0) - before.get(k, 0) for k in now}
    return float(b[1]) - float(a[1]), int(b[2]) - int(a[2]), delta, cpu1 - cpu0


def run(scenario, platform="qemu-svm", cpus=2, window=WINDOW_S, jobs=True):
    with kanemu.interactive_kan(platform, scenario, cpus=cpus, megs=512) as s:
        if jobs:
            done = s.wait_match(r"^\[linux\] kan-smp: (\d+) jobs of (\d+) MiB from ([\d.]+)s to "
                                r"([\d.]+)s of uptime", timeout=900)
            nproc = s.wait_match(r"^\[linux\] kan-smp: nproc (\d+)", timeout=10)[1]
        s.wait_seen("[linux] kan-linux: shell on the console", timeout=1800)
        time.sleep(IDLE_SETTLE_S)
        seconds, timer, delta, cpu_us = idle_window(s, window)
        start = mark(s)
        s.send("vm list")
        recent = after(s, start, r"^kan: \d+\s+linux\s+.*\s([\d.]+)%$", 60)[1]
        s.send("shutdown")
        s.wait_seen("kan: shutdown", timeout=120)
        r = s.close(timeout=60)
    kanemu.assert_clean(r)
    result = dict(recent=recent, share=cpu_us / seconds / 1e4, per_s={k: d / seconds for k, d in delta.items() if d},
                  timer_per_s=timer / seconds, per_timer=sum(delta.values()) / timer if timer
                  else float("nan"))
    if jobs:
        result.update(nproc=int(nproc), jobs=int(done[1]), mib=int(done[2]),
                      job_s=float(done[4]) - float(done[3]))
    return result


def main():
    exact = run("linux-bench-idle-onecpu", platform="bochs", cpus=1, window=BOCHS_WINDOW_S,
                jobs=False)
    one = run("linux-bench-vcpus1")
    two = run("linux-bench-vcpus2")
    rows = [
        "| figure | vcpus=1 cpus=0 (8259 + PIT) | vcpus=2 cpus=0-1 (APICs + IOAPIC) | ratio |",
        "|---|---|---|---|",
        f"| {one['jobs']} md5 jobs of {one['mib']} MiB at once, guest uptime | "
        f"{one['job_s']:.2f} s (nproc {one['nproc']}) | {two['job_s']:.2f} s (nproc "
        f"{two['nproc']}) | {two['job_s'] / one['job_s']:.2f} |",
        f"| idle at the shell: `vm list` recent (last 2 s, of one CPU) | {one['recent']} % | "
        f"{two['recent']} % | |",
        f"| idle: the VM's CPU time over the window (`vm list`), of one CPU | "
        f"{one['share']:.2f} % | {two['share']:.2f} % | |",
        f"| idle: guest timer interrupts per second (LOC + IRQ 0) | {one['timer_per_s']:.1f} | "
        f"{two['timer_per_s']:.1f} | |",
    ]
    total = {n: sum(d['per_s'].values()) for n, d in (("one", one), ("two", two))}
    rows.append(f"| idle: exits per second, all (a {WINDOW_S} s guest sleep) | {total['one']:.1f} | "
                f"{total['two']:.1f} | |")
    rows.append(f"| idle: exits per guest timer interrupt | {one['per_timer']:.1f} | "
                f"{two['per_timer']:.1f} | |")
    reasons = sorted(set(one["per_s"]) | set(two["per_s"]),
                     key=lambda k: -(one["per_s"].get(k, 0) + two["per_s"].get(k, 0)))
    rows += [f"| ... {k} per second | {one['per_s'].get(k, 0):.1f} | {two['per_s'].get(k, 0):.1f} "
             "| |" for k in reasons]
    rows += [
        "",
        "Idle, exact: the same SMP VM (vcpus=2) on the one CPU of a one-CPU Bochs "
        f"(linux-bench-idle-onecpu; a {BOCHS_WINDOW_S} s guest sleep, seconds = instructions / 4 M):",
        "",
        "| figure | value |",
        "|---|---|",
        f"| `vm list` recent (last 2 s, of one CPU) | {exact['recent']} % |",
        f"| the VM's CPU time over the window, of one CPU (per guest second) | "
        f"{exact['share']:.2f} % |",
        f"| guest timer interrupts per guest second | {exact['timer_per_s']:.1f} |",
        f"| exits per guest second, all | {sum(exact['per_s'].values()):.1f} |",
        f"| exits per guest timer interrupt | {exact['per_timer']:.2f} |",
        *(f"| ... {k} per second | {v:.1f} |"
          for k, v in sorted(exact["per_s"].items(), key=lambda kv: -kv[1])),
    ]
    table = "\n".join(rows)
    print(table)
    (REPO / "build").mkdir(exist_ok=True)
    (REPO / "build/bench-linux-smp.md").write_text(
        "# SMP Linux (make bench-linux)\n\nQEMU 7.2 TCG -cpu EPYC,+svm,+npt -smp 2 (AMD-V; TSC at "
        "host time, the host's two cores shared), then Bochs corei7_skylake_x, one CPU.\n\n" +
        table + "\n")
    print("\nwritten to build/bench-linux-smp.md")


if __name__ == "__main__":
    main()
