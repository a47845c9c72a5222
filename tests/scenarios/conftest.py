"""pytest setup for the scenario tests: import kanemu, and say once why KVM runs were skipped."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

KVM_SKIP = "KVM unavailable: "  # how kanemu.run_qemu(kvm=True) words its skip


def pytest_terminal_summary(terminalreporter):
    """Printed before pytest's own last line, so `-q` output still ends with `N passed, M failed`."""
    reasons = [_skip_reason(report) for report in terminalreporter.stats.get("skipped", [])]
    kvm = [reason.split(KVM_SKIP, 1)[1] for reason in reasons if KVM_SKIP in reason]
    if kvm:
        terminalreporter.write_line(f"note: {len(kvm)} KVM scenario(s) skipped: {kvm[0]}")


def _skip_reason(report):
    longrepr = report.longrepr  # (path, line, reason) for a skip; a list when it came from xdist
    return longrepr[2] if isinstance(longrepr, (tuple, list)) else str(longrepr)


# The Linux scenarios take 2-7 minutes each, the rest seconds. xdist hands out the first
# tests round-robin, so these go first, on alternate workers: the pair on one, the other two
# on the other, and the short ones fill in around them.
LONG_FIRST = ("test_two_linux_vms_at_once_a_shell_and_a_reboot",
              "test_debian_kernel_reaches_userspace_beside_a_counter",
              None,  # a short test, so that the next long one lands on the second worker
              "test_linux_shares_its_cpu_round_robin_with_a_counter")


def pytest_collection_modifyitems(items):
    long = {item.name: item for item in items if item.name in LONG_FIRST}
    rest = [item for item in items if item.name not in long]
    head = [long.get(name) if name else (rest.pop(0) if rest else None) for name in LONG_FIRST]
    items[:] = [item for item in head if item is not None] + rest
