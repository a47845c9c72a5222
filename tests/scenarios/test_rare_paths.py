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


def test_a_failed_vm_entry_is_reported_and_crashes_only_that_vm():
    r = run_bochs("entry-failure", cpus=2, check=False)
    f = Findings(r)
    f.check(not r.timed_out, "timed out")
    f.expect_not("kan: PANIC", "kan: CPU EXCEPTION")
    m = re.search(r"^kan: selftest: vm victim: guest RFLAGS 0x([0-9a-f]+) \(bit 1 clear\) "
                  r"written before its first VM entry$", r.serial, re.M)
    if f.check(m, "kan did not say it spoiled victim's first VM entry"):
        rflags = int(m[1], 16)
        f.check(not rflags & 2, f"the RFLAGS kan wrote, 0x{rflags:x}, has bit 1 set")
        # The failure, its exit reason, the dump (with the bad RFLAGS in it), the crash.
        f.expect(m[0], "kan: vm victim: VM-entry failed: VMLAUNCH: exit reason 33 (VM-entry "
                       "failure due to invalid guest state), qualification 0",
                 "kan: vm victim: VMCS:", "kan:   PIN_BASED_VM_EXEC_CONTROL",
                 f"kan:   GUEST_RFLAGS                   0x{rflags:x}\n", "kan:   RAX ",
                 "kan: vm victim crashed: VM-entry failed (the VMCS dump above shows the state "
                 "kan gave it)")
    failed = [line for line in r.lines if ": VM-entry failed: " in line]
    f.check(len(failed) == 1, f"{len(failed)} failed VM entries reported, not victim's one")
    f.expect_not("[victim]")
    f.summary(("victim", "crashed"), ("count-0", "exited(0)"), ("count-1", "exited(0)"),
              ("hello", "exited(0)"))
    f.expect("kan: shutdown (all guests ended)")
    f.done()


STRING_IO = {  # VM name -> (what it tries, kan's exit qualification: port, string, rep, in)
    "outsb-com1": ("OUTSB with port 0x3f8", 0x3f80010),
    "insb-com1": ("INSB with port 0x3f8", 0x3f80018),
    "rep-outsb-com1": ("REP OUTSB with port 0x3f8", 0x3f80030),
    "outsb-unowned": ("OUTSB with port 0x2f8", 0x2f80010),
    "insb-unowned": ("INSB with port 0x2f8", 0x2f80018),
    "rep-outsb-unowned": ("REP OUTSB with port 0x2f8", 0x2f80030),
}


def test_string_port_io_stops_the_vm_and_names_it():
    r = run_bochs("string-io", cpus=2, check=False)
    f = Findings(r)
    f.clean()
    for vm, (attempt, qualification) in STRING_IO.items():
        f.expect(f"[{vm}] string-io: {attempt}\n",
                 f"kan: vm {vm} crashed: string port I/O (INS/OUTS) is not supported: exit "
                 f"reason 30 (I/O instruction), qualification 0x{qualification:x}, guest RIP 0x")
        f.check(f.table.get(vm, {}).get("state") == "crashed", f"{vm} is not crashed in kan's table")
    f.expect_not("STILL RUNNING")
    f.summary(*((vm, "stopped") for vm in list(STRING_IO)[:3]), ("hb-1", "exited(0)"),
              *((vm, "stopped") for vm in list(STRING_IO)[3:]))
    f.heartbeats_alive("hb-1")
    f.done()
