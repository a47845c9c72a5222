"""A stress loop, not a test (pytest does not collect it): boots iso/scenarios/smp-restarts.cfg
and, N times per boot, pauses and resumes the SMP VM at random moments of its IPI ping-pong and
restarts it; after the last restart the guest must PASS. Any "crashed", "FAIL" or panic line is
a bad run. For rare races after a restart (issue 15: one triple fault in ~9 smp-shell runs).
    /usr/bin/python3 tests/scenarios/smp_restart_loop.py qemu-svm RUNS RESTARTS
Build first: make -j2 all build/iso/smp-restarts.iso. One emulator at a time."""
import random
import sys
import time

from kanemu import interactive_kan

BAD = ("crashed", "FAIL", "panic", "PANIC")


def one_boot(platform, restarts, seed):
    rnd = random.Random(seed)
    with interactive_kan(platform, "smp-restarts", cpus=2, megs=512) as s:
        s.expect("kan: shell ready on COM1 (type help)")
        for _ in range(restarts):
            s.expect("[smp] smp: all 4 cpus up", timeout=300)
            time.sleep(rnd.uniform(0, 4))  # into the ping-pong
            for _ in range(rnd.randint(1, 4)):
                s.send("vm pause smp")
                s.expect("running -> paused")
                time.sleep(rnd.uniform(0, 0.5))
                s.send("vm resume smp")
                s.expect("paused -> running")
                time.sleep(rnd.uniform(0, 1.5))
            if any(b in s.result().serial for b in BAD):
                break
            s.send("vm restart smp")
            s.expect("kan: vm smp: running -> running")
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            serial = s.result().serial
            if "smp: PASS" in serial or any(b in serial for b in BAD):
                break
            time.sleep(0.5)
        r = s.result()
    bad = [line for line in r.serial.splitlines() if any(b in line for b in BAD)]
    if "smp: PASS" not in r.serial:
        bad.append("no PASS after the last restart")
    return r, bad


def main(platform, runs, restarts):
    failed = 0
    for i in range(runs):
        try:
            r, bad = one_boot(platform, restarts, i)
            where = r.run_dir
        except Exception as e:  # the emulator went away: kan reset the machine, or hung
            bad, where = [f"{type(e).__name__}: {e}"], "(see the newest build/scenario-runs)"
        failed += bool(bad)
        print(f"boot {i}: {where}: {'BAD: ' + ' | '.join(bad) if bad else 'ok'}", flush=True)
    print(f"{failed} of {runs} boots bad ({restarts} restarts each)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
