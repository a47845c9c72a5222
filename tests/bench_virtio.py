"""make bench, virtio part: what a disk request, a TCP stream and a ping cost under kan.

The linux-bench scenario runs two Debian kernels on the one CPU of a one-CPU Bochs, whose TSC
counts every instruction (both guests' and kan's), and Linux's clock is that TSC at the rate
kan tells it. So a span of Linux's uptime, times that rate, is the instructions the whole
machine ran in it.

- Disk: linux-a reads its virtio disk 4 KiB at a time with O_DIRECT (dd iflag=direct), so
  that each read is one request to the device. Before and after, it waits for a line on its
  console; in those pauses this script reads the VM's exit counts with kan's `vm info`. Exits
  per request are the difference over the number of reads (the few exits of typing the lines
  and of the idle VM fall inside the window too: they are in the figure, a few in a thousand).
- TCP: linux-b sends linux-a 2 MiB with busybox nc over kan's switch; the figure is bytes over
  the instructions of the send (linux-b's uptime around it).
- Ping: the average round trip of 20 pings from linux-b to linux-a, in instructions.

The anchor (docs/performance.md): KVM inside the same Bochs spends about 2,960 instructions on
one I/O exit handled by its userspace device model, before any device work.
Written to build/bench-virtio.md. The figures are not guarded: the console typing makes the
runs differ a little.
"""
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "scenarios"))
import kanemu  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ESCAPE = b"\x1d"
KVM_IO_EXIT = 2960


def match_after(s, start, pattern, timeout):
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
    sys.exit(f"bench-virtio: waited {timeout} s for /{pattern}/\n{s.result().report()}")


def exits(s, vm):
    """The VM's exit counts by reason, from `vm info`."""
    with s.lock:
        start = len(s.buffer)
    s.send(f"vm info {vm}")
    line = match_after(s, start, rf"^kan:     exits: (.*) \(vm {vm}\)$", 120)
    return {name.strip(): int(n) for name, n in re.findall(r"([\w /-]+?)=(\d+)", line[1])}


def type_line(s, vm, text="go"):
    s.send(f"console {vm}")
    s.expect(f"kan: console attached to vm {vm}")
    s.send(text)
    s.send_raw(ESCAPE)
    s.expect("kan: console detached")


def main():
    # Haswell (no AVX-512): with Bochs's AVX-512 offered, two Linux VMs taking turns on one
    # CPU crash in glibc's EVEX string code (docs/architecture.md, "Bochs and AVX-512").
    with kanemu.interactive_bochs("linux-bench", cpu_model=kanemu.BOCHS_WITHOUT_AVX512, cpus=1,
                                  megs=512) as s:
        tsc_khz = int(s.wait_match(r"^kan: time: TSC runs at (\d+) kHz", timeout=120)[1])
        s.wait_seen("[linux-a] kan-bench: ready for disk reads", timeout=1800)
        s.wait_seen("[linux-b] kan-bench: ready for the network", timeout=1800)
        before = exits(s, "linux-a")
        type_line(s, "linux-a")
        reads = s.wait_match(r"^\[linux-a\] kan-bench: (\d+) disk reads from ([\d.]+)s to ([\d.]+)s",
                             timeout=900)
        after = exits(s, "linux-a")
        type_line(s, "linux-a")
        type_line(s, "linux-b")
        size = int(s.wait_match(r"^\[linux-b\] kan-net: sending (\d+) bytes", timeout=1800)[1])
        sent = s.wait_match(r"^\[linux-b\] kan-net: sent, from ([\d.]+)s to ([\d.]+)s", timeout=1800)
        rtt = s.wait_match(r"^\[linux-b\] kan-net: round-trip min/avg/max = ([\d.]+)/([\d.]+)/([\d.]+) ms",
                           timeout=900)
        s.wait_seen("kan: shutdown", timeout=600)
        r = s.close(timeout=120)
    kanemu.assert_clean(r)
    n = int(reads[1])
    per_read = (float(reads[3]) - float(reads[2])) * tsc_khz * 1000 / n
    delta = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    total = sum(delta.values())
    tcp_instructions = (float(sent[2]) - float(sent[1])) * tsc_khz * 1000
    bytes_per_minstr = size / (tcp_instructions / 1e6)
    rtt_instructions = float(rtt[2]) * tsc_khz
    disk_line = re.search(r"^kan:     disk ro-disk .*$", r.serial, re.M)
    rows = [
        "| figure | value | unit | method |",
        "|---|---|---|---|",
        f"| 4 KiB O_DIRECT disk read, whole machine | {per_read:,.0f} | instructions per request "
        f"| Linux uptime around {n} reads (dd iflag=direct) x TSC rate {tsc_khz} kHz |",
        f"| exits per disk request | {total / n:.2f} | exits | `vm info` before and after, "
        f"{total:,} exits / {n} reads |",
        *(f"| ... of which {name} | {d / n:.2f} | exits | |"
          for name, d in sorted(delta.items(), key=lambda kv: -kv[1]) if d),
        f"| VM-to-VM TCP (busybox nc, {size >> 20} MiB, one CPU) | {bytes_per_minstr:,.0f} | bytes per million "
        f"instructions | linux-b's uptime around the send |",
        f"| ping round trip (average of 20) | {rtt_instructions:,.0f} | instructions | busybox ping "
        f"avg {rtt[2]} ms x TSC rate |",
        f"| anchor: KVM in the same Bochs, one I/O exit to its userspace model | {KVM_IO_EXIT:,} | "
        f"instructions | docs/platform-facts.md |",
    ]
    table = "\n".join(rows)
    print(table)
    if disk_line:
        print(f"\nkan's account of the disk: {disk_line[0].strip()}")
    (REPO / "build/bench-virtio.md").write_text(
        "# virtio figures (make bench)\n\n" + table + "\n")
    print("\nwritten to build/bench-virtio.md")


if __name__ == "__main__":
    main()
