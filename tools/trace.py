#!/usr/bin/python3
"""make trace SCENARIO=NAME: kan's timeline of a scenario, as JSON and as a picture.

Boots build/iso/trace-NAME.iso (the scenario with on_empty=wait and trace=runs on kan's line,
so that tracing covers every run and kan stays up after its VMs end) in Bochs with COM1 on a
socket, waits until no VM runs (or --seconds), types `trace off` and `trace dump`, cuts the
Chrome trace-event JSON out of the serial log into build/trace.json (Perfetto and
chrome://tracing open it) and draws each VM's share of each CPU over time into
build/trace.png. `--exits io,msr` types `trace on exits=io,msr` first (the record then starts
there); `--exits all`, every exit.

tests/scenarios/test_trace.py uses collect(), runs() and plot() on the fair scenario."""
import argparse
import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests/scenarios"))
import kanemu  # noqa: E402

BEGIN, END = "kan: trace dump begins", "kan: trace dump ends"
# vm list: id, name, state, cpu, mem-MiB, cpu-time-us, exits, recent
VM_ROW = re.compile(r"^kan: (\d+)\s+(\S+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+[\d.]+%$", re.M)
RUNS = re.compile(r"^kan:   runs:((?: \d+)+) \(slices given, per vCPU\)$", re.M)


@dataclass
class Collected:
    trace: dict  # the parsed JSON
    text: str  # the JSON as kan wrote it
    vms: dict  # vm list after trace off: name -> dict(state, cpu, cpu_us)
    runs: dict  # vm info: name -> runs per vCPU
    session: object  # still open: the caller types shutdown (or more)


def cut_json(serial):
    """The JSON of the last dump in `serial`: the lines between its marker lines that start
    with '{', ',' or ']' (a guest's or kan's own lines may come between them)."""
    start = serial.rindex(BEGIN)
    end = serial.index(END, start)
    lines = serial[start:end].splitlines()[1:]
    return "\n".join(line for line in lines if line[:1] in ("{", ",", "]")) + "\n"


def vm_list(session):
    session.send("vm list")
    session.expect("kan: id  name")
    table = session.expect("kan> ")
    return {name: dict(state=state, cpu=int(cpu), cpu_us=int(cpu_us))
            for _id, name, state, cpu, _mem, cpu_us, _exits in VM_ROW.findall(table)}


def collect(session, seconds=60, exits=None):
    """Drives a booted trace-* scenario to a dump; returns what it gathered."""
    session.expect("kan: shell ready on COM1")
    session.expect("kan> ")
    if exits:
        session.send("trace on exits" + ("" if exits == "all" else "=" + exits))
        session.expect("kan: trace on")
        session.expect("kan> ")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(vm["state"] != "running" for vm in vm_list(session).values()):
            break
        time.sleep(1)
    session.send("trace off")
    session.expect("kan: trace off")
    session.expect("kan> ")
    vms = vm_list(session)
    runs = {}
    for name in vms:
        session.send(f"vm info {name}")
        session.expect("kan: vm ")
        runs[name] = [int(n) for n in RUNS.search(session.expect("(slices given, per vCPU)") + "\n"
                                                   )[1].split()]
    session.send("trace dump")
    session.expect(BEGIN)
    dump = session.expect(END)
    session.expect("kan> ")
    text = cut_json(BEGIN + dump)
    return Collected(json.loads(text), text, vms, runs, session)


def lanes(trace):
    """tid -> lane name, from the thread_name metadata."""
    return {e["tid"]: e["args"]["name"] for e in trace["traceEvents"]
            if e["ph"] == "M" and e["name"] == "thread_name"}


def runs(trace):
    """The complete events (runs): dicts with tid, name, ts and dur (microseconds)."""
    return [e for e in trace["traceEvents"] if e["ph"] == "X"]


def shares_over_time(trace, bins=80):
    """tid -> (bin centres in seconds, {vm name: share of each bin})."""
    events = runs(trace)
    if not events:
        return {}
    t0 = min(e["ts"] for e in events)
    t1 = max(e["ts"] + e["dur"] for e in events)
    width = (t1 - t0) / bins or 1.0
    result = {}
    for tid in sorted(lanes(trace)):
        per_vm = {}
        for e in (e for e in events if e["tid"] == tid):
            share = per_vm.setdefault(e["name"], [0.0] * bins)
            start, end = e["ts"] - t0, e["ts"] - t0 + e["dur"]
            for b in range(int(start // width), min(bins, int(end // width) + 1)):
                overlap = min(end, (b + 1) * width) - max(start, b * width)
                if overlap > 0:
                    share[b] += overlap / width
        centres = [(b + 0.5) * width / 1e6 for b in range(bins)]
        result[tid] = (centres, per_vm)
    return result


def plot(trace, png):
    """Each CPU lane's stacked VM shares over time, into `png`."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    names = lanes(trace)
    data = shares_over_time(trace)
    fig, axes = plt.subplots(len(data) or 1, 1, sharex=True, squeeze=False,
                             figsize=(10, 2.2 * max(1, len(data))))
    for ax, (tid, (centres, per_vm)) in zip(axes[:, 0], data.items()):
        vms = sorted(per_vm)
        ax.stackplot(centres, [per_vm[v] for v in vms], labels=vms, step="mid")
        ax.set_ylim(0, 1.05)
        ax.set_ylabel(f"{names[tid]}\nshare")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    axes[-1, 0].set_xlabel("seconds since the first run traced (kan's TSC)")
    fig.suptitle("kan: each VM's share of each CPU")
    fig.tight_layout()
    Path(png).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png)
    plt.close(fig)


def summary(trace):
    """name -> (runs, busy microseconds, lane) from the trace."""
    out = {}
    for e in runs(trace):
        n, busy, tids = out.get(e["name"], (0, 0.0, set()))
        out[e["name"]] = (n + 1, busy + e["dur"], tids | {e["tid"]})
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default="fair")
    parser.add_argument("--cpus", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=60,
                        help="stop tracing after this long even if VMs still run")
    parser.add_argument("--exits", help="also record these exits (io,msr,..., or all)")
    parser.add_argument("--out", default=str(REPO / "build/trace.json"))
    parser.add_argument("--png", default=str(REPO / "build/trace.png"))
    args = parser.parse_args()
    with kanemu.interactive_bochs(f"trace-{args.scenario}", cpus=args.cpus) as session:
        got = collect(session, args.seconds, args.exits)
        session.send("shutdown")
        session.close()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(got.text)
    plot(got.trace, args.png)
    for name, (n, busy, tids) in sorted(summary(got.trace).items()):
        print(f"trace: {name}: {n} runs, {busy / 1e6:.3f} s on cpu {sorted(tids)}")
    other = got.trace.get("otherData", {})
    print(f"trace: {other.get('runs')} runs, {other.get('exits')} exits, {other.get('lost')} lost; "
          f"written to {args.out} and {args.png}")


if __name__ == "__main__":
    main()
