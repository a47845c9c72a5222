"""Every CPU model Debian's Bochs 2.7 offers (`bochs-bin -help cpu`): kan runs the demo (both
guests end with status 0) or refuses with the exact thing the model lacks. One run each, about
2-5 s; docs/platform-facts.md has the VT-x table these outcomes follow. The AMD models with
nested paging (Phenom, Zambezi, Trinity, Ryzen) run the demo under kan's AMD-V backend."""
import subprocess

import pytest

from kanemu import assert_clean, expect, expect_not, run_bochs

RUNS = "runs the demo"
NO_LONG_MODE = "kan: this CPU has no long mode (64-bit); kan cannot run here and stops."
NO_VIRT = ("kan: neither VT-x nor AMD-V: CPUID.1:ECX.VMX[bit 5] and "
           "CPUID.80000001h:ECX.SVM[bit 2] are 0.")
NO_NPT = "kan: AMD-V: missing what kan needs: nested paging"
NO_EPT = ("kan: VT-x: missing what kan needs: EPT, EPT 4-level walk, write-back, "
          "INVEPT (single or all contexts), unrestricted guest, load/save IA32_EFER, "
          "preemption timer (saved on exit)")
NO_UNRESTRICTED = "kan: VT-x: missing what kan needs: unrestricted guest"

OUTCOME = {
    "bx_generic": NO_EPT,  # VMX without EPT, as Bochs's generic CPU is configured
    "pentium": NO_LONG_MODE,
    "pentium_mmx": NO_LONG_MODE,
    "amd_k6_2_chomper": NO_LONG_MODE,
    "p2_klamath": NO_LONG_MODE,
    "p3_katmai": NO_LONG_MODE,
    "p4_willamette": NO_LONG_MODE,
    "core_duo_t2400_yonah": NO_LONG_MODE,  # has VMX, but is 32-bit only
    "atom_n270": NO_LONG_MODE,
    "p4_prescott_celeron_336": NO_VIRT,  # 64-bit, no VMX
    "athlon64_clawhammer": NO_VIRT,  # AMD: 64-bit, SVM or nothing, never VMX
    "athlon64_venice": NO_VIRT,
    "turion64_tyler": NO_NPT,  # SVM without nested paging
    "phenom_8650_toliman": RUNS,  # AMD-V with nested paging: kan's svm/ backend
    "core2_penryn_t9600": NO_EPT,
    "corei5_lynnfield_750": NO_UNRESTRICTED,
    "corei5_arrandale_m520": RUNS,
    "corei7_sandy_bridge_2600k": RUNS,
    "zambezi": RUNS,
    "trinity_apu": RUNS,
    "ryzen": RUNS,
    "corei7_ivy_bridge_3770k": RUNS,
    "corei7_haswell_4770": RUNS,
    "broadwell_ult": RUNS,
    "corei7_skylake_x": RUNS,
    "corei3_cnl": RUNS,
    "corei7_icelake_u": RUNS,
    "tigerlake": RUNS,
}


def test_the_list_is_every_model_bochs_offers():
    r = subprocess.run(["bochs-bin", "-help", "cpu"], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=60)
    out = r.stdout + r.stderr
    assert "Supported CPU models:" in out, out
    after = out.split("Supported CPU models:", 1)[1].splitlines()
    offered = [line.strip() for line in after if line.strip().isidentifier()]
    assert sorted(offered) == sorted(OUTCOME), out


@pytest.mark.parametrize("model", list(OUTCOME))
def test_cpu_model(model):
    outcome = OUTCOME[model]
    r = run_bochs("demo", cpu_model=model, timeout=90, check=outcome != NO_LONG_MODE)
    if outcome == RUNS:
        amd = model in ("phenom_8650_toliman", "zambezi", "trinity_apu", "ryzen")
        expect(r, "kan: backend: AMD-V\n" if amd else "kan: backend: VT-x\n",
               "kan: cpu 0: in SVM operation" if amd else "kan: cpu 0: in VMX root operation")
        expect(r, "kan: vm hello ended: exit status 0")
        expect(r, "kan: vm real16 ended: exit status 0")
        expect(r, "kan: summary: hello=exited(0) real16=exited(0)",
               "kan: shutdown (all guests ended)")
        return
    if outcome == NO_LONG_MODE:
        # kan's 32-bit entry says so and ends the emulator itself; nothing else runs.
        assert not r.timed_out, r.report()
        assert r.lines == [outcome], r.report()
        assert "Shutdown port: shutdown requested" in r.log.read_text(errors="replace"), r.report()
        return
    expect(r, outcome + "\n", "kan: shutdown (this CPU cannot run kan's guests)")
    expect_not(r, "kan: cpu 0: in VMX root operation", "kan: cpu 0: in SVM operation", "[hello]",
               "[real16]")
