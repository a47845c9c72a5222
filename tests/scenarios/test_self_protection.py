"""kan protects itself: its code is read-only, its data never executes, its stacks have guards.

Each scenario boots kan with selftest=NAME, which makes kan attack itself once booted; the
hardware must stop it, and kan's crash report must say how."""
import pytest

from kanemu import expect, expect_not, run_bochs


@pytest.mark.parametrize("test,exception,detail,where,cause", [
    # #PF error code 0x3: present page, write access.
    ("write-text", "#PF page fault (vector 14), error code 0x3", "writing into kan's code",
     "kan: on cpu 0, reported from its boot stack",
     ("kan: page fault: write by kan at 0x", ": the page is read-only")),
    # #PF error code 0x11: present page, instruction fetch (NX).
    ("exec-data", "#PF page fault (vector 14), error code 0x11", "calling into kan's data",
     "kan: on cpu 0, reported from its boot stack",
     ("kan: page fault: instruction fetch by kan at 0x", ": NX: the page is not executable")),
    # The guard page faults; the #PF cannot be delivered on the dead stack, so #DF on IST.
    ("stack-overflow", "#DF double fault (vector 8)", "overflowing the boot stack",
     "kan: on cpu 0, reported from its IST stack",
     ("kan: CR2 0x", " is in the guard page below cpu 0's boot stack, and RSP is at its edge: "
      "that stack overflowed")),
])
def test_kan_faults_instead_of_corrupting_itself(test, exception, detail, where, cause):
    r = run_bochs(f"protect-{test}", check=False)
    assert not r.timed_out, r.report()
    expect(r, "kan: protection: text read-only, data NX, stack guard pages, SMEP on, SMAP on",
           f"kan: selftest: {detail}", f"kan: CPU EXCEPTION {exception}", where, *cause,
           "kan: shutdown (CPU exception in kan)")
    expect_not(r, "SURVIVED")


# Error code 0x11: a present page, an instruction fetch; 0x1: a present page, a read. The
# report tells SMEP and SMAP from NX and the rest by the page's user bit and CR4.
@pytest.mark.parametrize("test,attempt,error_code,cause", [
    ("smep", "calling code on a user-accessible page at 0x", "0x11",
     ": instruction fetch by kan at {page}: SMEP: the page is user-accessible, and kan may not "
     "run code from it"),
    ("smap", "reading a user-accessible page at 0x", "0x1",
     ": read by kan at {page}: SMAP: the page is user-accessible, and kan may not touch it "
     "while RFLAGS.AC is clear"),
])
def test_smep_and_smap_stop_kan_using_a_user_page(test, attempt, error_code, cause):
    r = run_bochs(f"protect-{test}", check=False)
    assert not r.timed_out, r.report()
    expect(r, "SMEP on, SMAP on", f"kan: selftest: {attempt}")
    page = r.serial.split(f"kan: selftest: {attempt}", 1)[1].split()[0]
    expect(r, f"kan: CPU EXCEPTION #PF page fault (vector 14), error code {error_code}\n",
           "kan: on cpu 0, reported from its boot stack",
           f"kan: page fault{cause.format(page='0x' + page)}",
           f"CR2 {int(page, 16):016x}", "kan: shutdown (CPU exception in kan)")
    expect_not(r, "SURVIVED")


def test_guard_page_stops_an_overflow_of_an_application_processors_stack():
    r = run_bochs("protect-ap-stack-overflow", cpus=2, check=False)
    assert not r.timed_out, r.report()
    # cpu 1 recurses on its own 16 KiB stack; the #PF at the guard page cannot be delivered
    # on that stack, so #DF arrives on cpu 1's IST stack and reports.
    expect(r, "kan: cpu 1 (APIC id 1) started", "kan: selftest: cpu 1 overflows its stack",
           "kan: CPU EXCEPTION #DF double fault (vector 8)",
           "kan: on cpu 1, reported from its IST stack",
           "kan: CR2 0x", " is in the guard page below cpu 1's stack, and RSP is at its edge: "
           "that stack overflowed", "kan: shutdown (CPU exception in kan)")
    expect_not(r, "SURVIVED")


def test_guard_page_stops_an_overflow_of_an_ist_stack():
    r = run_bochs("protect-ist-stack-overflow", cpus=2, check=False)
    assert not r.timed_out, r.report()
    # The NMI runs on cpu 1's IST stack and its handler recurses there; the #PF at the guard
    # page cannot be delivered, so #DF arrives, on the top of the same IST stack.
    expect(r, "kan: cpu 1 (APIC id 1) started", "kan: selftest: cpu 0 sends an NMI to cpu 1",
           "kan: selftest: cpu 1's NMI handler overflows its IST stack",
           "kan: CPU EXCEPTION #DF double fault (vector 8)",
           "kan: on cpu 1, reported from its IST stack",
           "kan: CR2 0x", " is in the guard page below cpu 1's IST stack, and RSP is at its edge: "
           "that stack overflowed", "kan: shutdown (CPU exception in kan)")
    expect_not(r, "SURVIVED")
