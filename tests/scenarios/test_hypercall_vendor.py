"""Hypercalls through the other vendor's instruction: kan answers both where it can.

guests/vmmcall makes its hypercalls with AMD's VMMCALL under VT-x, where it raises #UD: kan
intercepts #UD, reads the instruction at CS:RIP through the guest's own page tables
(kernel/guest_walk.c, kernel/insn_decode.c) and answers VMMCALL as VMCALL. One VMMCALL straddles
two pages that the guest maps in reverse order at 512 GiB, so only a real walk finds it. UD2
and a LOCK-prefixed VMMCALL must still raise #UD in the guest, as on hardware. vmmcall16 does
it from real mode, in a code segment whose base is not 0 (a #UD there ends it with status 6).
"""
from kanemu import run_bochs
from test_containment import Findings


def test_vmmcall_is_a_hypercall_and_other_invalid_opcodes_reach_the_guest():
    r = run_bochs("hypercall-vendor", cpus=1, check=False)
    f = Findings(r)
    f.clean()
    f.expect("[vmmcall] vmmcall: KAN_HC_VERSION through VMMCALL: 1 (no exception)",
             "[vmmcall] vmmcall: VMMCALL is a hypercall: ok",
             "[vmmcall] vmmcall: this line came through KAN_HC_CONSOLE_WRITE by VMMCALL",
             "[vmmcall] vmmcall: console write through VMMCALL: ok",
             "[vmmcall] vmmcall: VMMCALL across two pages mapped apart: ok",
             "[vmmcall] vmmcall: ud2: #UD",
             "[vmmcall] vmmcall: UD2 raises #UD: ok",
             "[vmmcall] vmmcall: lock vmmcall: #UD",
             "[vmmcall] vmmcall: LOCK VMMCALL raises #UD: ok",
             "[vmmcall] vmmcall: done: 4 VMMCALLs and 2 #UD, 2 #UD seen, 0 wrong",
             "kan: vm vmmcall ended: exit status 0")
    f.expect_not("WRONG")
    # Each VMMCALL, UD2 and LOCK VMMCALL exits once on #UD; the guest makes no VMCALL.
    exits = f.table.get("vmmcall", {}).get("exit_counts", {})
    f.check(exits.get("exception or NMI") == 6 and "VMCALL" not in exits,
            f"kan's exit counts for vmmcall are {exits}: expected 6 exceptions and no VMCALL")
    f.expect("[vmmcall16] vmmcall16: KAN_HC_VERSION through VMMCALL at CS 0x0700: 1",
             "kan: vm vmmcall16 ended: exit status 0")
    f.all_exited("vmmcall", "vmmcall16")
    f.done()
