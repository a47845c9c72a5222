"""Paths kan takes rarely, exercised on purpose: host NMIs, a failed VM entry, string port I/O.

Each scenario boots Bochs with 2 CPUs. The VMs that are not the target must finish as usual,
and kan must end the run itself."""
import re

from kanemu import run_bochs
from test_containment import Findings

NMI_COUNT = 500  # kernel/selftest.c
CPU_LINE = re.compile(r"^kan: cpu (\d+): \d+ vCPU\(s\), busy \d+% of \d+ us(?:, (\d+) NMIs in kan)?$",
                      re.M)


def test_nmis_from_outside_never_reach_a_guest_and_never_stop_kan():
    r = run_bochs("nmi", cpus=2, timeout=180, check=False)
    f = Findings(r)
    f.clean()
    f.expect(f"kan: selftest: cpu 0 sends {NMI_COUNT} NMIs to the other CPUs, one every 1000 us",
             f"kan: selftest: {NMI_COUNT} NMIs sent")
    # Said once, when the first one arrives while kan runs (idle, or between exits).
    f.expect("kan: cpu 1: an NMI arrived while kan ran: kan sends none, so it counts and "
             "ignores them")
    f.check(r.serial.count("an NMI arrived while kan ran") == 1, "the NMI line is not said once")
    # NMIs that arrive in a guest are VM exits, counted in its table; the guests have no IDT,
    # so an NMI kan passed on would have triple-faulted them.
    in_guests = sum(row["exit_counts"].get("exception or NMI", 0) for row in f.table.values())
    in_kan = {int(cpu): int(n or 0) for cpu, n in CPU_LINE.findall(r.serial)}
    print(f"NMIs received: {in_guests} as VM exits, {in_kan.get(1)} while cpu 1 was in kan")
    f.check(in_guests > 1, "at most one NMI arrived while a guest ran ('exception or NMI' exits)")
    f.check(in_kan.get(1, 0) > 0, "kan's table shows no NMI taken in kan on cpu 1")
    f.check(in_kan.get(0, 0) == 0, "cpu 0, which sends them, counts NMIs of its own")
    # One a millisecond, each handled in microseconds: none is lost to NMI blocking, as long as
    # kan unblocks NMIs after each exit an NMI caused (vmx/nmi.c).
    f.check(in_guests + in_kan.get(1, 0) == NMI_COUNT,
            f"{in_guests} + {in_kan.get(1, 0)} NMIs counted, {NMI_COUNT} sent")
    f.guest_line("halter", r"halter done: 60 halts")
    f.all_exited("hb-1", "halter")
    f.heartbeats_alive("hb-1")
    f.done()
