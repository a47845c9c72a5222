"""make bench: kan's costs, measured in Bochs where the TSC ticks once per instruction.

Boots the bench scenarios and the bare-metal compute kernel in the same Bochs, one CPU each,
and the SMP guest (bench-smp) on two; reads what the guests and kan printed, and prints one
table (also written to build/bench.md).

The guard: every figure with a key is compared with tests/bench-baseline.json. One that grew
by more than GUARD_PERCENT, or has no baseline, fails the run (exit status 1). The figures
are instruction counts and sizes, which Bochs repeats exactly; wall-clock times never go in.
"""
import json
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "scenarios"))
import kanemu  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "tests/bench-baseline.json"
GUARD_PERCENT = 2.0
TARGETS = {"cpuid": 60, "hypercall": 60, "uart-write": 120, "switch": 400,
           "compute": 99.5, "boot": 5_000_000, "image": 256}


def micro_figures(serial):
    """name -> (median, p10, p90) of the guest's RDTSC deltas."""
    rows = re.findall(r"^\[\w+\] bench: (\S+) median (\d+) p10 (\d+) p90 (\d+)", serial, re.M)
    return {name: tuple(map(int, vals)) for name, *vals in rows}


def smp_figures(serial):
    """The SMP guest's IPI round trips ((mode, cpu) -> TSC ticks) and timer costs (mode ->
    TSC ticks)."""
    trips = {(mode, int(cpu)): int(ticks) for mode, cpu, ticks in re.findall(
        r"^\[smp\] smp: (\S+) ping-pong cpu 0 <-> cpu (\d+): \d+ round trips, (\d+) TSC ticks",
        serial, re.M)}
    costs = dict(re.findall(r"^\[smp\] smp: (\S+) timer interrupt cost: (\d+) TSC ticks", serial,
                            re.M))
    return trips, {mode: int(ticks) for mode, ticks in costs.items()}


def net(figures, name, empty):
    median, p10, p90 = figures[name]
    return median - empty, f"{p10 - empty}..{p90 - empty}"


def image_size():
    out = subprocess.run(["size", str(REPO / "build/kan.elf")], capture_output=True, text=True,
                         check=True).stdout.splitlines()[1].split()
    text, data, bss = map(int, out[:3])
    return text, data, bss


def guard(rows, baseline):
    """Compares each keyed row with its baseline. Returns (lines to print, failed)."""
    lines, failed = [], False
    measured = {r["key"] for r in rows if r["key"]}
    for r in rows:
        if not r["key"]:
            continue
        base = baseline.get(r["key"])
        if base is None:
            lines.append(f"bench: FAIL {r['key']} ({r['what']}): {r['value']} {r['unit']} has no "
                         f"baseline: add it to {BASELINE.name} with a reason")
            failed = True
            continue
        change = 100.0 * (r["value"] - base["value"]) / base["value"] if base["value"] else 0.0
        if change > GUARD_PERCENT:
            lines.append(f"bench: FAIL {r['key']} ({r['what']}): {r['value']} {r['unit']}, "
                         f"baseline {base['value']}: {change:+.1f} %, more than "
                         f"{GUARD_PERCENT:g} %")
            failed = True
        elif change < -GUARD_PERCENT:
            lines.append(f"bench: note {r['key']} ({r['what']}): {r['value']} {r['unit']}, "
                         f"baseline {base['value']}: {change:+.1f} %; lower the baseline (with "
                         "the reason) so the gain is kept")
    for key in sorted(set(baseline) - measured):
        lines.append(f"bench: FAIL {key}: in {BASELINE.name} but not measured: remove it or "
                     "measure it again")
        failed = True
    return lines, failed


def main():
    kan = kanemu.run_bochs("bench", cpus=1, timeout=300)
    # The AMD-V column: the same guests under QEMU TCG with SVM; -icount shift=0 makes its TSC
    # count instructions, one per tick, as Bochs's does.
    svm = kanemu.run_qemu("bench", smp=1, timeout=300,
                          extra_args=["-cpu", "EPYC,+svm,+npt", "-icount", "shift=0"])
    compute = kanemu.run_bochs("bench-compute", cpus=1, timeout=300)
    bare = kanemu.run_bochs("bare-compute", cpus=1, timeout=300, check=False)
    smp = kanemu.run_bochs("bench-smp", cpus=2, timeout=300)
    figures = micro_figures(kan.serial)
    empty = figures["empty"][0]
    svm_figures = micro_figures(svm.serial)
    svm_empty = svm_figures["empty"][0]
    rows = []

    def row(key, what, value, unit, spread, method, target=None, better="low", svm_value=None):
        verdict = ""
        if target is not None:
            ok = value <= target if better == "low" else value >= target
            verdict = f"{'meets' if ok else 'misses'} {'≤' if better == 'low' else '≥'} {target}"
        rows.append(dict(key=key, what=what, value=value, unit=unit, spread=spread,
                         verdict=verdict, method=method, svm=svm_value))

    for name, label, target in [("cpuid", "CPUID exit round trip", TARGETS["cpuid"]),
                                ("hypercall", "null hypercall (VMCALL)", TARGETS["hypercall"]),
                                ("uart-write", "virtual UART register write (OUT)",
                                 TARGETS["uart-write"]),
                                ("unowned-read", "read of an unowned port (IN)", None)]:
        value, spread = net(figures, name, empty)
        row(name, label, value, "instructions", spread,
            f"guest RDTSC around the operation, {name}, minus an empty pair ({empty}); "
            "median of 101, p10..p90", target, svm_value=net(svm_figures, name, svm_empty)[0])
    ping = figures["yield-round-trip"]
    row("switch", "guest-to-guest switch", (ping[0] - empty) // 2, "instructions",
        f"{(ping[1] - empty) // 2}..{(ping[2] - empty) // 2}",
        "two guests on one CPU yield to each other; half a yield round trip", TARGETS["switch"],
        svm_value=(svm_figures["yield-round-trip"][0] - svm_empty) // 2)
    # The same pair, each dirtying its extended state before each yield: the partner's
    # dirtying falls inside every round trip, so its own cost (measured alone) comes off.
    dirtied = re.search(r"^\[ping\] bench: xstate dirtied: (.*)$", kan.serial, re.M)[1]
    trip, dirty = figures["xstate-round-trip"], figures["xstate-dirty"][0] - empty
    svm_trip = svm_figures["xstate-round-trip"][0] - svm_empty
    svm_dirty = svm_figures["xstate-dirty"][0] - svm_empty
    row("switch-xstate", "VM switch with full extended state", (trip[0] - empty - dirty) // 2,
        "instructions",
        f"{(trip[1] - empty - dirty) // 2}..{(trip[2] - empty - dirty) // 2}",
        f"as the switch, each guest dirtying its extended state before each yield: "
        f"{dirtied}; minus that dirtying ({dirty})", svm_value=(svm_trip - svm_dirty) // 2)

    under = int(re.search(r"bench: compute \d+ rounds in (\d+) ticks", compute.serial)[1])
    alone = int(re.search(r"bench: bare compute \d+ rounds in (\d+) ticks", bare.serial)[1])
    row(None, "compute rate under kan vs bare", round(100 * alone / under, 2), "% of bare",
        f"{under} vs {alone} ticks", "the same loop as a guest (alone on its CPU) and as a bare "
        "multiboot2 kernel, same Bochs", TARGETS["compute"], better="high")
    row("compute-overhead", "kan's instructions during the compute loop", under - alone,
        "instructions", "-", "the two tick counts above, subtracted: slice ends and kan's "
        "interrupts while the loop runs")

    boot = int(re.search(r"kan: boot: (\d+) TSC ticks", kan.serial)[1])
    row("boot", "GRUB hand-off to first guest instruction", boot, "instructions", "-",
        "TSC at kan's first instruction vs just before the first VM entry; 1 CPU, "
        "three 2 MiB VMs", TARGETS["boot"])
    boot_64m = int(re.search(r"kan: boot: (\d+) TSC ticks", compute.serial)[1])
    row("boot-64m", "the same with one 64 MiB VM", boot_64m, "instructions", "-",
        "the difference is zeroing the VM's RAM (REP STOSQ, one instruction per 8 bytes in "
        "Bochs)")

    # Two Bochs CPUs take turns of a few instructions and the TSC follows emulated time: about
    # one tick per instruction of each CPU, not of both (a TSC loop reads the same ticks per
    # iteration whether the other CPU idles or spins; docs/performance.md).
    trips, costs = smp_figures(smp.serial)
    for mode in ("xAPIC", "x2APIC"):
        for cpu, where in ((1, "on two CPUs"), (2, "taking turns on one CPU")):
            row(f"ipi-{mode.lower()}-{'2cpu' if cpu == 1 else '1cpu'}",
                f"IPI round trip, two vCPUs {where} ({mode})", trips[(mode, cpu)], "TSC ticks",
                "-", f"bench-smp (vcpus=3 cpus=0-1, two Bochs CPUs): cpu 0 sends a fixed IPI to "
                f"cpu {cpu}, whose handler answers with one; 1000 round trips, guest TSC / 1000")
        row(f"timer-irq-{mode.lower()}", f"guest LAPIC timer interrupt ({mode})", costs[mode],
            "TSC ticks", "-", "periodic timer at 1 kHz for 100 ms on the BSP, the others idle; "
            "per interrupt, the iteration of a TSC-reading loop that took it minus a plain one: "
            "delivery, the guest's handler (60 bare) and its EOI")

    text, data, bss = image_size()
    row("image", "kan image", round((text + data + bss) / 1024, 1), "KiB",
        f"text {text}, data {data}, bss {bss}", "size build/kan.elf", TARGETS["image"])
    overhead = dict(re.findall(r"kan: vm \d+ '(\S+)': .* kan overhead (\d+) KiB", compute.serial))
    tables = re.search(r"kan: vm compute: EPT maps 64 MiB with (\d+) x 1G, (\d+) x 2M, (\d+) x 4K "
                       r"pages in (\d+) tables", compute.serial)
    row("vm-memory", "kan memory per 64 MiB VM beyond its RAM", int(overhead["compute"]), "KiB",
        "-", "EPT tables + VMCS + backend state, printed by kan at VM creation")
    row("ept-tables", "EPT for a 64 MiB VM", int(tables[4]), "table pages",
        f"{tables[1]} x 1G, {tables[2]} x 2M, {tables[3]} x 4K leaves", "printed by kan")

    baseline = json.loads(BASELINE.read_text())["figures"]
    svm_rows = [dict(r, key="svm-" + r["key"], what=r["what"] + " (AMD-V)", value=r["svm"])
                for r in rows if r["svm"] is not None]
    verdicts, failed = guard(rows + svm_rows, baseline)

    def change(r):
        base = baseline.get(r["key"]) if r["key"] else None
        if not base:
            return "-", "-"
        pct = 100.0 * (r["value"] - base["value"]) / base["value"] if base["value"] else 0.0
        return base["value"], f"{pct:+.1f} %"

    lines = ["| figure | baseline | now (VT-x) | change | AMD-V: baseline | now | unit | spread "
             "(VT-x) | target | method |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        base, pct = change(r)
        svm_base, svm_now = "-", "-"
        if r["svm"] is not None:
            svm_base = change(dict(r, key="svm-" + r["key"], value=r["svm"]))[0]
            svm_now = r["svm"]
        lines.append(f"| {r['what']} | {base} | {r['value']} | {pct} | {svm_base} | {svm_now} | "
                     f"{r['unit']} | {r['spread']} | {r['verdict']} | {r['method']} |")
    table = "\n".join(lines)
    guarded = sum(1 for r in rows if r["key"]) + len(svm_rows)
    summary = (f"bench: FAILED: see the lines above; a growth that is worth it goes into "
               f"{BASELINE.name} with its reason, in the same commit" if failed else
               f"bench: all {guarded} guarded figures within {GUARD_PERCENT:g} % of "
               f"{BASELINE.name}")
    (REPO / "build").mkdir(exist_ok=True)
    (REPO / "build/bench.md").write_text(
        "# kan benchmark (make bench)\n\nVT-x: Bochs corei7_skylake_x, ips=4M; AMD-V: QEMU "
        "TCG -cpu EPYC,+svm,+npt -icount shift=0. In both RDTSC counts emulated "
        "instructions.\n\n" + table + "\n\n" + "\n".join(verdicts + [summary]) + "\n")
    print(table)
    print("\nwritten to build/bench.md\n")
    print("\n".join(verdicts + [summary]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
