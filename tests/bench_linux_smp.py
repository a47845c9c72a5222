"""make bench-linux, SMP part: Debian's kernel with one vCPU and with two, and what it costs idle.

QEMU 7.2 TCG with AMD-V (-cpu EPYC,+svm,+npt, -smp 2): Bochs would be exact, but an SMP Linux
boot there takes about 10 minutes per run. QEMU's TSC runs at host time, so these figures move
with whatever else the host runs (two cores, shared): a benchmark, never an assertion.

- Jobs: linux-bench-vcpus1 (vcpus=1 cpus=0) and linux-bench-vcpus2 (vcpus=2 cpus=0-1) each run
  the same two md5 jobs of 64 MiB at once (guests/linux/init, kan.smp=2 kan.smp_mib=64),
  timed by the guest's uptime; with two vCPUs on two CPUs they should take about half as long.
- Idle: then each VM waits at its shell (kan.end=shell). After IDLE_SETTLE_S the script reads
  the guest's timer interrupts (/proc/interrupts: LOC, the local APIC timer, and IRQ 0, the
  PIT) and kan's exit counts (`vm info`), waits WINDOW_S, reads both again, and `vm list`'s
  recent column (the VM's CPU share over the last 2 s). Exits per second by reason, and per
  timer interrupt. The typing of the two /proc/interrupts reads falls outside kan's window.
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


def after(s, start, pattern, timeout):
    """The first whole line after offset `start` of the log that matches."""
    regex = re.compile(pattern, re.M)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with s.lock:
            text = s.buffer[start:s.buffer.rfind("\n") + 1]
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


def guest_timer_interrupts(s):
    """(uptime, LOC + IRQ 0 over all CPUs), read through the VM's console."""
    start = mark(s)
    s.send("console linux")
    s.expect("kan: console attached to vm linux")
    s.send("echo kan-idle $(cut -d' ' -f1 /proc/uptime) $(awk '/^ *(LOC|0):/ "
           "{ for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+$/) n += $i } END { print n }' "
           "/proc/interrupts)")
    line = after(s, start, r"^\[linux\] kan-idle ([\d.]+) (\d+)$", 60)
    s.send_raw(ESCAPE)
    s.expect("kan: console detached")
    return float(line[1]), int(line[2])


def run(scenario):
    with kanemu.interactive_kan("qemu-svm", scenario, cpus=2, megs=512) as s:
        jobs = s.wait_match(r"^\[linux\] kan-smp: (\d+) jobs of (\d+) MiB from ([\d.]+)s to "
                            r"([\d.]+)s of uptime", timeout=900)
        nproc = s.wait_match(r"^\[linux\] kan-smp: nproc (\d+)", timeout=10)[1]
        s.wait_seen("[linux] kan-linux: shell on the console", timeout=300)
        time.sleep(IDLE_SETTLE_S)
        up0, timer0 = guest_timer_interrupts(s)
        time.sleep(2)
        before, t0 = exits(s), time.monotonic()
        time.sleep(WINDOW_S)
        after_exits, t1 = exits(s), time.monotonic()
        start = mark(s)
        s.send("vm list")
        recent = after(s, start, r"^kan: \d+\s+linux\s+.*\s([\d.]+)%$", 60)[1]
        up1, timer1 = guest_timer_interrupts(s)
        s.send("shutdown")
        s.wait_seen("kan: shutdown", timeout=120)
        r = s.close(timeout=60)
    kanemu.assert_clean(r)
    seconds = t1 - t0
    delta = {k: after_exits.get(k, 0) - before.get(k, 0) for k in after_exits}
    return dict(nproc=int(nproc), jobs=int(jobs[1]), mib=int(jobs[2]),
                job_s=float(jobs[4]) - float(jobs[3]), recent=recent, seconds=seconds,
                per_s={k: d / seconds for k, d in delta.items() if d},
                timer_per_s=(timer1 - timer0) / (up1 - up0))


def main():
    one = run("linux-bench-vcpus1")
    two = run("linux-bench-vcpus2")
    rows = [
        "| figure | vcpus=1 cpus=0 (8259 + PIT) | vcpus=2 cpus=0-1 (APICs + IOAPIC) | ratio |",
        "|---|---|---|---|",
        f"| {one['jobs']} md5 jobs of {one['mib']} MiB at once, guest uptime | "
        f"{one['job_s']:.2f} s (nproc {one['nproc']}) | {two['job_s']:.2f} s (nproc "
        f"{two['nproc']}) | {two['job_s'] / one['job_s']:.2f} |",
        f"| idle at the shell: `vm list` recent (last 2 s) | {one['recent']} % | "
        f"{two['recent']} % | |",
        f"| idle: guest timer interrupts per second (LOC + IRQ 0) | {one['timer_per_s']:.1f} | "
        f"{two['timer_per_s']:.1f} | |",
    ]
    total = {n: sum(d['per_s'].values()) for n, d in (("one", one), ("two", two))}
    rows.append(f"| idle: exits per second, all ({WINDOW_S} s of `vm info`) | {total['one']:.1f} | "
                f"{total['two']:.1f} | |")
    for d, name in ((one, "one"), (two, "two")):
        d["per_timer"] = total[name] / d["timer_per_s"] if d["timer_per_s"] else float("nan")
    rows.append(f"| idle: exits per guest timer interrupt | {one['per_timer']:.1f} | "
                f"{two['per_timer']:.1f} | |")
    reasons = sorted(set(one["per_s"]) | set(two["per_s"]),
                     key=lambda k: -(one["per_s"].get(k, 0) + two["per_s"].get(k, 0)))
    rows += [f"| ... {k} per second | {one['per_s'].get(k, 0):.1f} | {two['per_s'].get(k, 0):.1f} "
             "| |" for k in reasons]
    table = "\n".join(rows)
    print(table)
    (REPO / "build").mkdir(exist_ok=True)
    (REPO / "build/bench-linux-smp.md").write_text(
        "# SMP Linux (make bench-linux)\n\nQEMU 7.2 TCG -cpu EPYC,+svm,+npt -smp 2 (AMD-V; TSC at "
        "host time, the host's two cores shared).\n\n" + table + "\n")
    print("\nwritten to build/bench-linux-smp.md")


if __name__ == "__main__":
    main()
