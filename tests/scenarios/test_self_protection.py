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
