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
