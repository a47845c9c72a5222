"""A stress loop, not a test (pytest does not collect it): boots iso/scenarios/smp-restarts.cfg
and pauses and resumes the SMP VM as fast as the shell answers during its IPI ping-pong, with no
restart. Any "crashed", "FAIL" or panic line is a bad run. For the AMD-V triple fault after a
vCPU re-enters (issue 15).
    /usr/bin/python3 tests/scenarios/smp_pause_loop.py qemu-svm RUNS CYCLES
Build first: make -j2 all build/iso/smp-restarts.iso. One emulator at a time."""
import sys

from kanemu import interactive_kan

BAD = ("crashed", "FAIL", "panic", "PANIC")


def one_boot(platform, cycles):
    with interactive_kan(platform, "smp-restarts", cpus=2, megs=512) as s:
        s.expect("kan: shell ready on COM1 (type help)")
        s.expect("[smp] smp: all 4 cpus up", timeout=300)
        for _ in range(cycles):
            s.send("vm pause smp")
            s.expect("running -> paused")
            s.send("vm resume smp")
            s.expect("paused -> running")
            serial = s.result().serial
            # Pauses make the timer checks that follow the xAPIC ping-pong fail by design.
            if any(b in serial for b in BAD) or "xAPIC ping-pong: " in serial:
                break
        r = s.result()
    return r, [line for line in r.serial.splitlines() if any(b in line for b in BAD)]


def main(platform, runs, cycles):
    failed = 0
    for i in range(runs):
        try:
            r, bad = one_boot(platform, cycles)
            where = r.run_dir
        except Exception as e:  # the emulator went away, or a line never came
            bad, where = [f"{type(e).__name__}: {e}"], "(see the newest build/scenario-runs)"
        failed += bool(bad)
        print(f"boot {i}: {where}: {'BAD: ' + ' | '.join(bad) if bad else 'ok'}", flush=True)
    print(f"{failed} of {runs} boots bad ({cycles} pause/resume cycles each)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
