"""pytest setup for the scenario tests: import kanemu, register the tiers' marks, and say once
why KVM runs were skipped."""
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

KVM_SKIP = "KVM unavailable: "  # how kanemu.run_qemu(kvm=True) words its skip

# kanemu.tiers() marks each platform's parameter with its tier: `-m qemu_svm` runs the QEMU
# tier alone (make test-qemu), `-m "not qemu_svm"` everything else.
TIERS = {
    "bochs": "Bochs corei7_skylake_x, VT-x (tests about one platform carry no tier mark)",
    "qemu_svm": "QEMU TCG -cpu EPYC,+svm,+npt, AMD-V",
    "bochs_ryzen": "Bochs ryzen, AMD-V",
}


def pytest_configure(config):
    for mark, what in TIERS.items():
        config.addinivalue_line("markers", f"{mark}: the tier {what}")


def pytest_terminal_summary(terminalreporter):
    """Printed before pytest's own last line, so `-q` output still ends with `N passed, M failed`."""
    reasons = [_skip_reason(report) for report in terminalreporter.stats.get("skipped", [])]
    kvm = [reason.split(KVM_SKIP, 1)[1] for reason in reasons if KVM_SKIP in reason]
    if kvm:
        terminalreporter.write_line(f"note: {len(kvm)} KVM scenario(s) skipped: {kvm[0]}")


def _skip_reason(report):
    longrepr = report.longrepr  # (path, line, reason) for a skip; a list when it came from xdist
    return longrepr[2] if isinstance(longrepr, (tuple, list)) else str(longrepr)


# The Linux scenarios take 3-15 minutes each, the rest seconds. xdist (load mode) starts each
# of its N workers with a chunk of consecutive tests, max(len / N // 4, 2) of them: the
# longest (two Linux VMs on one CPU, a disk and a network) goes at the head of the first chunk,
# the next two longest at the head of the second, and the short tests fill in around them.
FIRST_WORKER = ("test_two_linux_vms_share_a_cpu_and_keep_their_fpu_state[bochs]",)
SECOND_WORKER = ("test_virtio_fuzzers_are_contained[bochs]",
                 "test_two_linux_vms_at_once_a_shell_and_a_reboot[qemu-svm]")


def pytest_collection_modifyitems(config, items):
    # Workers collect (and order) the tests; xdist tells them how many there are.
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0"))
    if workers < 2:
        return
    chunk = max(len(items) // workers // 4, 2)
    first = [item for item in items if item.name in FIRST_WORKER]
    second = [item for item in items if item.name in SECOND_WORKER]
    rest = [item for item in items if item not in first and item not in second]
    head = first + rest[:max(chunk - len(first), 0)]
    rest = rest[len(head) - len(first):]
    items[:] = head + second + rest
