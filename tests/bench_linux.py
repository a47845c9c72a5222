"""make bench-linux: Debian's kernel booting under kan and bare, in the same one-CPU Bochs.

Both boot the same bzImage and initramfs with the same command line (bare adds the TSC
frequency, which kan gives through CPUID). Under kan it boots a second time by its PVH entry
(linux-solo-pvh: kind=pvh, the vmlinux extracted from that bzImage), without the decompressor.
For each: the wall time from starting Bochs until it ends (the VM powers off right after /init's last line), Linux's own clock at "Run /init" (its TSC at 4 MHz: Bochs's TSC counts
instructions, so this is instructions / 4,000,000), and, under kan, the VM's exits by reason.
The table is printed and written to build/bench-linux.md.
"""
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "scenarios"))
import kanemu  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DONE = "kan-linux: done"


def boot(scenario):
    """Runs it; returns (Result, seconds from starting Bochs until it ended)."""
    start = time.monotonic()
    result = kanemu.run_bochs(scenario, cpus=1, timeout=900, check=False)
    if DONE not in result.serial:
        sys.exit(f"bench-linux: {scenario} never reached '{DONE}'\n{result.report()}")
    return result, time.monotonic() - start


def init_clock(serial):
    m = re.search(r"\[\s*(\d+\.\d+)\] Run /init as init process", serial)
    return float(m[1]) if m else float("nan")


def main():
    bare, bare_s = boot("bare-linux")
    kan, kan_s = boot("linux-solo")
    pvh, pvh_s = boot("linux-solo-pvh")
    exits = re.search(r"^kan:     exits: (.*) \(vm linux\)$", kan.serial, re.M)
    counts = sorted(((int(n), name) for name, n in re.findall(r"([\w /-]+?)=(\d+)", exits[1])),
                    reverse=True) if exits else []
    total = sum(n for n, _ in counts)
    clocks = [init_clock(r.serial) for r in (bare, kan, pvh)]
    rows = [
        "| figure | bare (bzImage) | under kan (bzImage) | ratio | under kan (PVH vmlinux) | ratio |",
        "|---|---|---|---|---|---|",
        f"| Bochs wall time, power-on to the end of the run | {bare_s:.1f} s | {kan_s:.1f} s "
        f"| {kan_s / bare_s:.2f} | {pvh_s:.1f} s | {pvh_s / bare_s:.2f} |",
        f"| Linux's clock at \"Run /init\" | {clocks[0]:.1f} s | {clocks[1]:.1f} s "
        f"| {clocks[1] / clocks[0]:.2f} | {clocks[2]:.1f} s | {clocks[2] / clocks[0]:.2f} |",
        "",
        f"Exits of the Linux VM under kan: {total:,} in all.",
        "",
        "| exit reason | count |",
        "|---|---|",
        *(f"| {name.strip()} | {n:,} |" for n, name in counts[:6]),
    ]
    unowned = re.search(r"^kan:     unowned ports first touched:(.*)$", kan.serial, re.M)
    if unowned:
        rows += ["", f"Unowned ports (first six touched, with accesses):{unowned[1]}"]
    table = "\n".join(rows)
    print(table)
    (REPO / "build" / "bench-linux.md").write_text(table + "\n")


if __name__ == "__main__":
    main()
