"""The timeline (issue 17): `make trace`'s collection of the fair scenario, checked against
kan's own figures.

One Bochs boot of trace-fair (fair with on_empty=wait and trace=runs on kan's line, so the
trace holds every run): tools/trace.py types trace off and trace dump, cuts the JSON out of
the serial log and draws the plot; this test checks the JSON against kan's vm info, vm list
and final table. VT-x only: the shares are compared where the TSC counts instructions."""
import importlib.util
import re
from pathlib import Path

from kanemu import interactive_bochs

# tools/trace.py, loaded by its path: on sys.path its name would be Python's own trace module.
_TOOL = Path(__file__).resolve().parents[2] / "tools/trace.py"
_SPEC = importlib.util.spec_from_file_location("kan_trace_tool", _TOOL)
trace_tool = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(trace_tool)

TABLE_ROW = re.compile(r"^kan: (\d+)\s+(\S+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(.*)$", re.M)
# Not anchored: a guest's line may follow kan's prompt on the same line.
COUNTER_DONE = re.compile(r"\[(\S+)\] counter done: (\d+) loops in (\d+) us of wall time", re.M)
COUNTERS = {"count-a": 0, "count-b": 0, "count-c": 1, "count-d": 1}  # fair.cfg's placement


def test_trace_of_fair_matches_kans_own_figures(tmp_path):
    with interactive_bochs("trace-fair", cpus=2) as s:
        got = trace_tool.collect(s, seconds=120)
        s.send("shutdown")
        r = s.close()
    trace = got.trace  # collect() parsed it: json.loads raised if a line were lost or cut

    # One process, one lane per CPU, named by metadata.
    assert trace_tool.lanes(trace) == {0: "cpu 0", 1: "cpu 1"}, got.text[:2000]
    assert [e["args"]["name"] for e in trace["traceEvents"] if e.get("name") == "process_name"] \
        == ["kan"]
    assert trace["otherData"]["lost"] == 0

    # Each VM's runs on its CPU's lane, as many as kan counted (vm info's runs).
    summary = trace_tool.summary(trace)
    assert sorted(summary) == sorted(COUNTERS), summary
    for name, cpu in COUNTERS.items():
        n, busy_us, tids = summary[name]
        assert got.vms[name]["cpu"] == cpu
        assert tids == {cpu}, f"{name} runs on lanes {tids}, placed on cpu {cpu}"
        assert n == sum(got.runs[name]), f"{name}: {n} runs in the trace, kan counted {got.runs[name]}"
    assert trace["otherData"]["runs"] == len(trace_tool.runs(trace))

    # Shares: from the trace, each VM's run time over the span of its runs; from kan, its CPU
    # time (final table) over the wall time the counter measured (as test_partitions.py).
    table = {name: int(cpu_us) for _id, name, _state, _cpu, cpu_us, _exits, _end
             in TABLE_ROW.findall(r.serial)}
    walls = {name: int(wall) for name, _loops, wall in COUNTER_DONE.findall(r.serial)}
    assert sorted(walls) == sorted(COUNTERS), r.report()
    shares = {}
    for name in COUNTERS:
        mine = [e for e in trace_tool.runs(trace) if e["name"] == name]
        span = max(e["ts"] + e["dur"] for e in mine) - min(e["ts"] for e in mine)
        traced, kans = summary[name][1] / span, table[name] / walls[name]
        shares[name] = (round(traced, 4), round(kans, 4))
        assert abs(traced - kans) <= 0.01, f"{name}: share {traced:.4f} in the trace, {kans:.4f} by kan"
        # The run durations add up to kan's CPU time (the same TSC readings).
        assert abs(summary[name][1] - table[name]) <= 0.001 * table[name], (name, summary[name], table[name])
    print("shares (trace, kan):", shares)

    png = tmp_path / "trace.png"
    trace_tool.plot(trace, png)
    assert png.stat().st_size > 1000 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
