"""Hostile (issue 17): `vm move`, `vm set` and `vm snapshot` aimed at a VM while it crashes and
restarts, while it ends on its own, and while it is being destroyed (scenario churn). Each
command is applied cleanly or refused by name, never both and never silent; kan stays up, the
VMs end in the states they should, and movecheck, moved between the others, keeps its count
without a gap or a repeat."""
import re

import pytest

from kanemu import FAILURE_MARKERS, interactive_kan, tiers

# What each command prints when it is applied, and when it is refused.
OUTCOMES = {
    "move": (r"^kan: vm {vm}: moved from cpu \d to cpu \d$", r"^kan: vm move refused: vm {vm}: "),
    "set": (r"^kan: vm {vm}: set slice \d+ us, weight \d+, ", r"^kan: vm set refused: "),
    "snapshot": (r"^kan: vm {vm}: snapshot \S+ taken: ", r"^kan: vm snapshot refused: "),
}


def outcome(answer, verb, vm):
    """'applied' or 'refused': exactly one of them in the command's answer."""
    applied, refused = (re.search(p.format(vm=vm), answer, re.M) for p in OUTCOMES[verb])
    assert bool(applied) != bool(refused), f"{verb} {vm}: {answer!r}"
    return "applied" if applied else "refused"


def command(s, line):
    """Types `line`; what kan printed from then up to its next prompt."""
    with s.lock:
        s.cursor = len(s.buffer)  # an earlier prompt is not this command's
    s.send(line)
    return s.expect("kan> ", timeout=120)


@pytest.mark.parametrize("platform", tiers("bochs", "qemu-svm"))
def test_commands_on_vms_that_crash_end_or_go_are_applied_or_refused(platform):
    with interactive_kan(platform, "churn", cpus=2) as s:
        s.expect("kan: shell ready on COM1 (type help)")
        s.wait_seen("movecheck: 10000 counted, ok", timeout=120)
        seen = {"applied": 0, "refused": 0}

        # 1. While crashy triple-faults and is restarted, again and again.
        s.wait_seen("(on_crash=restart, restart 2 of 1000)", timeout=120)
        for i in range(6):
            for verb, line in (("move", f"vm move crashy {i % 2}"),
                               ("set", f"vm set crashy weight={50 + i}"),
                               ("snapshot", f"vm snapshot crashy as c{i}")):
                result = outcome(command(s, line), verb, "crashy")
                seen[result] += 1
                if verb == "snapshot" and result == "applied":  # whole: listed, then freed
                    assert f"kan: snapshot c{i} " in command(s, "vm list")
                    assert f"kan: snapshot c{i} forgotten" in command(s, f"vm forget c{i}")
            seen[outcome(command(s, f"vm move mover {i % 2}"), "move", "mover")] += 1

        # 2. brief ends on its own (hello prints and exits) while the commands arrive.
        command(s, "vm start brief")
        for verb, line in (("move", "vm move brief 1"), ("set", "vm set brief weight=5"),
                           ("snapshot", "vm snapshot brief as b1"), ("move", "vm move brief 0")):
            seen[outcome(command(s, line), verb, "brief")] += 1
        s.wait_seen("kan: vm brief ended: exit status 0", timeout=60)

        # 3. doomed is being destroyed: the commands come right behind the destroy.
        command(s, "vm destroy doomed")  # carried out by doomed's CPU, meanwhile:
        for verb, line in (("move", "vm move doomed 1"), ("set", "vm set doomed weight=7"),
                           ("snapshot", "vm snapshot doomed as d1"), ("move", "vm move doomed 0")):
            seen[outcome(command(s, line), verb, "doomed")] += 1
        s.wait_seen("kan: vm doomed: running -> destroyed", timeout=60)
        # Once they are gone or ended, nothing is applied to them any more, on either CPU.
        for vm, state in (("doomed", "destroyed"), ("brief", "stopped")):
            for cpu in (0, 1):
                answer = command(s, f"vm move {vm} {cpu}")
                assert f"kan: vm move refused: vm {vm}: cannot move: it is {state}" in answer
            assert outcome(command(s, f"vm snapshot {vm}"), "snapshot", vm) == "refused"
        print("outcomes:", seen)
        assert seen["applied"] and seen["refused"], seen

        table = command(s, "vm list")
        assert "kan: snapshot " not in table, table
        assert re.search(r"^kan: \d+\s+doomed\s+destroyed\s", table, re.M), table
        assert re.search(r"^kan: \d+\s+brief\s+stopped\s", table, re.M), table
        assert re.search(r"^kan: \d+\s+mover\s+running\s", table, re.M), table

        # movecheck kept its count through all of it.
        log = s.result().serial
        counted = max(int(n) for n in re.findall(r"movecheck: (\d+) counted", log))
        s.wait_seen(f"movecheck: {counted + 20000} counted, ok", timeout=120)
        log = s.result().serial
        assert "movecheck: BAD" not in log
        assert not [m for m in FAILURE_MARKERS if m in log], log[-3000:]
