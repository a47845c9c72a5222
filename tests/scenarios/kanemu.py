"""Run kan's scenario ISOs under Bochs or QEMU and check what kan printed on COM1.

run_kan(platform, scenario) runs a scenario on one of PLATFORMS: "bochs" (VT-x), "qemu-svm"
(AMD-V under QEMU TCG) or "bochs-ryzen" (AMD-V under Bochs); words(platform) holds the few
lines kan words differently per backend. tiers(...) parametrizes a test over platforms, with
a pytest mark per tier (conftest.py). run_bochs and run_qemu remain for tests about one
emulator. A run returns a Result; by default it must be clean (see assert_clean), so a test that
expects a panic, a triple fault or a hang passes check=False and asserts what it expects.
Every run keeps its files in build/scenario-runs/<scenario>-<emulator>-<n>/.
"""
import functools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ISO_DIR = REPO / "build" / "iso"
RUNS_DIR = REPO / "build" / "scenario-runs"

FAILURE_MARKERS = ("kan: PANIC", "kan: CPU EXCEPTION", "VM-entry failed", "VMRUN failed")
SHUTDOWN = "kan: shutdown"


@dataclass(frozen=True)
class Platform:
    emulator: str  # "bochs" or "qemu"
    cpu: str  # Bochs's cpu model, or QEMU's -cpu argument
    backend: str  # "VT-x" or "AMD-V": which of kan's backends runs the guests

    @property
    def tsc_counts_instructions(self):
        """Bochs's TSC counts instructions, so CPU shares repeat to the tick; QEMU's TCG runs
        its TSC at host time, and every process on the host moves it (-icount would count
        instructions, but it runs the CPUs in turn, 100 ms of virtual time each: worse)."""
        return self.emulator == "bochs"


# A platform per tier. QEMU's TCG has no VT-x but emulates AMD-V with nested paging; its TSC
# runs at host time, where Bochs's counts instructions.
# A Bochs CPU model with VT-x, EPT and unrestricted guest, AVX2 and no AVX-512: for two Linux
# VMs on one CPU, whose glibc Bochs's AVX-512 breaks (docs/architecture.md, "Bochs and AVX-512").
BOCHS_WITHOUT_AVX512 = "corei7_haswell_4770"

PLATFORMS = {
    "bochs": Platform("bochs", "corei7_skylake_x", "VT-x"),
    "qemu-svm": Platform("qemu", "EPYC,+svm,+npt", "AMD-V"),
    "bochs-ryzen": Platform("bochs", "ryzen", "AMD-V"),
}


@dataclass(frozen=True)
class Words:
    """How kan's lines name what differs between its backends; everything else is kernel/'s
    and worded the same."""
    backend: str  # "kan: backend: VT-x"
    operation: str  # "kan: cpu N: in VMX root operation", "... left VMX root operation"
    npf: str  # "kan: vm NAME crashed: EPT violation at guest-physical address ..."
    paging: str  # "kan: vm NAME: EPT maps ..."
    hypercall: str  # the guest's hypercall instruction, and the name of its exit counter
    vendor: str  # CPUID's vendor string, which kan passes on to its guests

    @property
    def entered(self):
        return f"in {self.operation}"

    @property
    def left(self):
        return f"left {self.operation}"


WORDS = {
    "VT-x": Words(backend="VT-x", operation="VMX root operation", npf="EPT violation",
                  paging="EPT maps", hypercall="VMCALL", vendor="GenuineIntel"),
    "AMD-V": Words(backend="AMD-V", operation="SVM operation", npf="nested page fault",
                   paging="nested paging maps", hypercall="VMMCALL", vendor="AuthenticAMD"),
}


def words(platform):
    """The Words of the backend that runs guests on `platform` (a PLATFORMS key)."""
    return WORDS[PLATFORMS[platform].backend]


def exact_time(platform):
    """True where bounds finer than host scheduling are checked (CPU shares within a few %, a
    rate to the byte): the platform's TSC counts instructions. Else prints why such a bound is
    left unchecked there (the figures are still printed)."""
    if PLATFORMS[platform].tsc_counts_instructions:
        return True
    print(f"{platform}: bounds on time not checked: the TSC runs at host time here, and the "
          f"host's other processes move what it measures")
    return False


# Where the TSC runs at host time, `make test` runs QEMU beside Bochs on 2 cores: QEMU's vCPU
# threads then lose host time in bursts, and a guest's share of its CPU, measured in host time,
# drops with it (0.72 of a heartbeat's due and 0.84 of a counter's floor seen under load; at
# least 0.95 with the machine to itself). Shares must still be well above what a guest that kept
# its CPU would leave (nothing), so there the floors are two thirds of Bochs's.
HOST_TIME_FLOOR = 2 / 3


def share_floor(platform, floor):
    """The least share of a CPU a test may accept on `platform` where Bochs accepts `floor`."""
    if PLATFORMS[platform].tsc_counts_instructions:
        return floor
    print(f"{platform}: share floors are {HOST_TIME_FLOOR:.2f} of Bochs's (host-time TSC, a "
          f"loaded host)")
    return floor * HOST_TIME_FLOOR


def tiers(*platforms):
    """pytest parameters for a test run on each of `platforms`, with ids like [qemu-svm] and
    the tier's mark (qemu_svm, bochs_ryzen; conftest.py registers them)."""
    return [pytest.param(p, id=p, marks=getattr(pytest.mark, p.replace("-", "_")))
            for p in platforms]

OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.fd")
OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")

# Headless: Debian's bochs-bin has no nogui; rfb with timeout=0 does not wait for a
# viewer, and parallel instances each take the next free port from 5900 up.
# sound: dummy keeps ALSA quiet; panic: fatal ends Bochs instead of asking.
# The Cirrus card and its VGA BIOS: with Debian's default VGA BIOS, GRUB triple-faults as
# soon as kan's multiboot2 header asks for a framebuffer. rfb shows graphics modes of 8 bits
# per pixel only (others end Bochs), so scenario ISOs boot in text mode (Makefile).
BOCHSRC = """\
megs: {megs}
cpu: model={cpu_model}, count={cpus}, ips=4000000, reset_on_triple_fault=0
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios-cirrus.bin
vga: extension=cirrus
pci: enabled=1, chipset=i440fx, slot1=cirrus
ata0-master: type=cdrom, path={iso}, status=inserted
boot: cdrom
clock: sync=none
com1: enabled=1, mode=file, dev=serial.log
display_library: rfb, options="timeout=0"
sound: waveoutdrv=dummy
log: bochs.log
panic: action=fatal
error: action=report
info: action=report
debug: action=ignore
"""


@dataclass
class Result:
    name: str  # what ran, e.g. "hello on bochs corei7_skylake_x x1"
    run_dir: Path
    serial: str  # COM1 output, line endings normalised to \n
    log: Path  # the emulator's log: bochs.log, or QEMU's stdout+stderr
    seconds: float
    timed_out: bool
    exit_code: int | None  # None after a timeout; Bochs always exits with 1

    @property
    def lines(self):
        return self.serial.splitlines()

    def report(self):
        """Everything a failure message should show."""
        log_tail = self.log.read_text(errors="replace").splitlines()[-12:] if self.log.exists() else []
        return "\n".join([
            f"run: {self.name}, {self.seconds:.1f} s, "
            + ("TIMED OUT" if self.timed_out else f"exit code {self.exit_code}"),
            f"files: {self.run_dir}",
            *([f"----- last lines of {self.log.name} -----", *log_tail] if log_tail else []),
            "----- serial log -----", self.serial.rstrip("\n"),
            "----- end of serial log -----",
        ])


def iso(scenario):
    path = ISO_DIR / f"{scenario}.iso"
    if not path.exists():
        pytest.fail(f"build/iso/{scenario}.iso missing: run make scenario-isos", pytrace=False)
    return path


def new_run_dir(tag):
    RUNS_DIR.mkdir(parents=True, exist_ok=True)
    n = 1
    while True:
        path = RUNS_DIR / f"{tag}-{n}"
        try:
            path.mkdir()
            return path
        except FileExistsError:
            n += 1


def run_kan(platform, scenario, cpus=1, timeout=120, megs=256, *, check=True):
    """Runs `scenario` with `cpus` CPUs and `megs` MiB of RAM on `platform` (a PLATFORMS key)."""
    __tracebackhide__ = True
    p = PLATFORMS[platform]
    if p.emulator == "bochs":
        return run_bochs(scenario, cpu_model=p.cpu, cpus=cpus, timeout=timeout, megs=megs,
                         check=check)
    return run_qemu(scenario, smp=cpus, timeout=timeout, memory=str(megs), cpu=p.cpu, check=check)


def interactive_kan(platform, scenario, cpus=2, megs=256):
    """interactive_bochs or interactive_qemu, by platform."""
    p = PLATFORMS[platform]
    if p.emulator == "bochs":
        return interactive_bochs(scenario, cpu_model=p.cpu, cpus=cpus, megs=megs)
    return interactive_qemu(scenario, cpu=p.cpu, cpus=cpus, megs=megs)


def run_bochs(scenario, cpu_model="corei7_skylake_x", cpus=1, timeout=120, megs=256, *, check=True,
              config_replace=(), config_extra=""):
    """config_replace: (old, new) line pairs applied to BOCHSRC; config_extra: lines appended."""
    __tracebackhide__ = True
    image = iso(scenario)
    run_dir = new_run_dir(f"{scenario}-{cpu_model}")
    config = BOCHSRC.format(megs=megs, cpu_model=cpu_model, cpus=cpus, iso=image)
    for old, new in config_replace:
        assert old in config, f"bochsrc has no line {old!r}"
        config = config.replace(old, new)
    (run_dir / "bochsrc").write_text(config + config_extra)
    (run_dir / "cmds").write_text("c\n")
    cmd = ["bochs-bin", "-q", "-f", "bochsrc", "-rc", "cmds"]
    result = _run(f"{scenario} on bochs {cpu_model} x{cpus}", cmd, run_dir, run_dir / "bochs.log", timeout)
    if check:
        assert_clean(result)
    return result


def run_qemu(scenario, firmware="bios", smp=1, timeout=60, kvm=False, *, check=True, memory="256",
             serial=True, extra_args=(), cpu=None):
    """serial=False gives the machine no serial port; extra_args go last on QEMU's line;
    cpu is QEMU's -cpu (its default qemu64 without it)."""
    __tracebackhide__ = True
    if kvm:
        usable, reason = kvm_nested_vmx_available()
        if not usable:
            pytest.skip(f"KVM unavailable: {reason}")
    image = iso(scenario)
    tag = "-svm" if cpu and "+svm" in cpu else ""
    run_dir = new_run_dir(f"{scenario}-qemu-{firmware}{tag}" + ("-kvm" if kvm else ""))
    cmd = qemu_command(image, run_dir, firmware, smp, memory,
                       "file:serial.log" if serial else "none", kvm, cpu) + list(extra_args)
    name = f"{scenario} on qemu {firmware}{' ' + cpu if cpu else ''} x{smp}" + (" kvm" if kvm else "")
    result = _run(name, cmd, run_dir, run_dir / "emulator.out", timeout)
    if check:
        assert_clean(result)
    return result


def qemu_command(image, run_dir, firmware="bios", smp=1, memory="256", serial="file:serial.log",
                 kvm=False, cpu=None):
    """QEMU's command line, headless, with the isa-debug-exit port kan ends the run through."""
    cmd = ["qemu-system-x86_64", "-display", "none", "-serial", serial,
           "-cdrom", str(image), "-m", str(memory), "-smp", str(smp), "-no-reboot",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=4"]
    if firmware == "uefi":
        shutil.copy(OVMF_VARS, run_dir / "OVMF_VARS.fd")
        cmd += ["-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={OVMF_CODE}",
                "-drive", "if=pflash,format=raw,unit=1,file=OVMF_VARS.fd"]
    elif firmware != "bios":
        raise ValueError(f"firmware must be 'bios' or 'uefi', not {firmware!r}")
    if kvm:
        cmd += ["-enable-kvm", "-cpu", "host"]
    elif cpu:
        cmd += ["-cpu", cpu]
    # For chasing a machine that resets: KANEMU_QEMU_LOG=cpu_reset,guest_errors writes QEMU's
    # own log (a triple-faulting CPU's registers) to qemu.log in the run directory.
    if os.environ.get("KANEMU_QEMU_LOG"):
        cmd += ["-d", os.environ["KANEMU_QEMU_LOG"], "-D", "qemu.log"]
    # And for trying QEMU options, e.g. KANEMU_QEMU_ARGS="-accel tcg,thread=single".
    cmd += os.environ.get("KANEMU_QEMU_ARGS", "").split()
    return cmd


def _run(name, cmd, run_dir, log, timeout):
    """Run an emulator in run_dir; its stdout and stderr go to emulator.out."""
    _progress(f"{name}: started")
    start = time.monotonic()
    with open(run_dir / "emulator.out", "wb") as out:
        proc = subprocess.Popen(cmd, cwd=run_dir, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            exit_code, timed_out = proc.wait(timeout), False
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            exit_code, timed_out = None, True
    seconds = time.monotonic() - start
    _progress(f"{name}: {'TIMED OUT after' if timed_out else 'ended in'} {seconds:.1f} s")
    serial_path = run_dir / "serial.log"
    raw = serial_path.read_bytes() if serial_path.exists() else b""
    serial = raw.decode(errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    return Result(name, run_dir, serial, log, seconds, timed_out, exit_code)


def _kill_group(proc):
    """SIGTERM first so the emulator's log is complete, SIGKILL if it lingers."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
            proc.wait(5)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            pass


def _progress(message):
    sys.stderr.write(f"[kanemu {time.strftime('%H:%M:%S')}] {message}\n")  # one write: workers interleave
    sys.stderr.flush()


@functools.cache
def kvm_nested_vmx_available():
    """(usable, reason): can a KVM guest use VT-x, as kan needs?"""
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR))
    except OSError as e:
        return False, f"/dev/kvm: {e.strerror}"
    flags = next((line for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("flags")), "").split()
    if "vmx" not in flags:
        return False, "/dev/kvm opens, but the host CPU has no vmx flag, so no nested VT-x"
    nested = Path("/sys/module/kvm_intel/parameters/nested")
    if nested.exists() and nested.read_text().strip() not in ("Y", "1"):
        return False, "kvm_intel is loaded with nested=N"
    return True, "/dev/kvm opens and the host CPU has vmx"


def _fail(result, why):
    __tracebackhide__ = True
    pytest.fail(f"{why}\n{result.report()}")


def expect(result, *substrings):
    """Each substring appears in the serial log, in the order given."""
    __tracebackhide__ = True
    pos = 0
    for i, text in enumerate(substrings):
        found = result.serial.find(text, pos)
        if found < 0:
            where = "missing" if text not in result.serial else f"appears, but not after {substrings[i - 1]!r}"
            _fail(result, f"expected {text!r} in the serial log: {where}")
        pos = found + len(text)


def expect_not(result, *substrings):
    __tracebackhide__ = True
    present = [text for text in substrings if text in result.serial]
    if present:
        _fail(result, f"unexpected in the serial log: {', '.join(map(repr, present))}")


def assert_clean(result):
    """No timeout, no failure marker, and kan said it was shutting down."""
    __tracebackhide__ = True
    problems = []
    if result.timed_out:
        problems.append(f"timed out after {result.seconds:.0f} s")
    problems += [f"failure line: {line!r}" for line in result.lines
                 if any(marker in line for marker in FAILURE_MARKERS)]
    if not lines_with(result, SHUTDOWN):
        problems.append(f"no line starting with {SHUTDOWN!r}")
    if problems:
        _fail(result, "run not clean: " + "; ".join(problems))


def lines_with(result, prefix):
    return [line for line in result.lines if line.startswith(prefix)]


def main(argv):
    """make run: boot an ISO headless and show kan's console live. kanemu.py EMU ISO
    (EMU=qemu: QEMU's TCG with AMD-V, the qemu-svm platform)"""
    if len(argv) != 3 or argv[1] not in ("bochs", "qemu", "kvm"):
        sys.exit("usage: kanemu.py bochs|qemu|kvm ISO")
    emu, image = argv[1], Path(argv[2]).resolve()
    if emu == "kvm":
        usable, reason = kvm_nested_vmx_available()
        if not usable:
            sys.exit(f"EMU=kvm is not possible here: {reason}. Use EMU=bochs (VT-x emulated).")
    run_dir = new_run_dir(f"run-{emu}")
    if emu == "bochs":
        (run_dir / "bochsrc").write_text(BOCHSRC.format(megs=256, cpu_model="corei7_skylake_x",
                                                        cpus=2, iso=image))
        (run_dir / "cmds").write_text("c\n")
        cmd = ["bochs-bin", "-q", "-f", "bochsrc", "-rc", "cmds"]
    else:  # QEMU's TCG has no VT-x: kan runs the demo with AMD-V there
        cmd = qemu_command(image, run_dir, smp=2, kvm=emu == "kvm",
                           cpu=PLATFORMS["qemu-svm"].cpu)
    print(f"kanemu: booting {image.name} in {emu}; files in {run_dir}", flush=True)
    with open(run_dir / "emulator.out", "wb") as out:
        proc = subprocess.Popen(cmd, cwd=run_dir, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        shown, deadline = 0, time.monotonic() + 600
        while True:
            ended = proc.poll() is not None
            serial = run_dir / "serial.log"
            if serial.exists():
                data = serial.read_bytes()[shown:]
                shown += len(data)
                sys.stdout.write(data.decode(errors="replace").replace("\r", ""))
                sys.stdout.flush()
            if ended:
                break
            if time.monotonic() > deadline:
                _kill_group(proc)
                sys.exit("kanemu: no end after 600 s; stopped the emulator")
            time.sleep(0.2)


if __name__ == "__main__":
    main(sys.argv)


class Session:
    """An emulator run whose COM1 is a TCP socket: read what kan prints, type commands to it."""

    def __init__(self, name, proc, sock, run_dir, log):
        self.name, self.proc, self.sock, self.run_dir, self.log = name, proc, sock, run_dir, log
        self.buffer, self.cursor, self.start = "", 0, time.monotonic()
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        with open(self.run_dir / "serial.log", "wb") as log:
            while True:
                try:
                    data = self.sock.recv(4096)
                except OSError:
                    return
                if not data:
                    return
                log.write(data)
                log.flush()
                text = data.decode(errors="replace").replace("\r\n", "\n").replace("\r", "")
                with self.lock:
                    self.buffer += text

    def result(self, timed_out=False):
        with self.lock:
            serial = self.buffer
        exit_code = self.proc.poll()
        return Result(self.name, self.run_dir, serial, self.log,
                      time.monotonic() - self.start, timed_out, exit_code)

    def expect(self, text, timeout=60):
        """Waits until `text` appears after the previous match; returns everything up to it."""
        __tracebackhide__ = True
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                found = self.buffer.find(text, self.cursor)
                if found >= 0:
                    seen = self.buffer[self.cursor:found + len(text)]
                    self.cursor = found + len(text)
                    return seen
            if self.proc.poll() is not None and not self.reader.is_alive():
                break
            time.sleep(0.05)
        _fail(self.result(timed_out=True), f"waited {timeout} s for {text!r} in the serial log")

    def wait_seen(self, text, timeout=60, times=1):
        """Waits until `text` has appeared `times` times anywhere in the log (the cursor does
        not move)."""
        __tracebackhide__ = True
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if self.buffer.count(text) >= times:
                    return
            time.sleep(0.05)
        _fail(self.result(timed_out=True),
              f"waited {timeout} s for {text!r} ({times} times) in the serial log")

    def wait_match(self, pattern, timeout=60):
        """Waits until the regular expression matches a whole line of the log; returns the match
        (a line still arriving does not count until its end is there)."""
        __tracebackhide__ = True
        regex = re.compile(pattern, re.M)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                complete = self.buffer[:self.buffer.rfind("\n") + 1]
            found = regex.search(complete)
            if found:
                return found
            time.sleep(0.05)
        _fail(self.result(timed_out=True), f"waited {timeout} s for /{pattern}/ in the serial log")

    def send(self, line):
        """Types a line (and Enter) into kan's console."""
        _progress(f"{self.name}: typing {line!r}")
        for ch in line.encode() + b"\r":
            self.sock.sendall(bytes([ch]))
            time.sleep(0.002)  # a person's pace, and the 16550's one-byte receive buffer

    def send_raw(self, data):
        self.sock.sendall(data)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        """Never leaves the emulator running, whatever happened in the test."""
        if self.proc.poll() is None:
            _kill_group(self.proc)
        self.sock.close()
        return False

    def close(self, timeout=60):
        """Waits for the emulator to end (kan shut down), else stops it; returns the Result."""
        try:
            self.proc.wait(timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            _kill_group(self.proc)
            timed_out = True
        self.reader.join(5)
        self.sock.close()
        _progress(f"{self.name}: ended in {time.monotonic() - self.start:.1f} s")
        return self.result(timed_out)


def _free_port():
    with socket.socket() as probe:  # a free port for the emulator to listen on
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _connect(name, cmd, run_dir, port, log):
    """Starts the emulator, which waits for a client on `port` before it runs, and connects."""
    _progress(f"{name}: started, COM1 on port {port}")
    out = open(run_dir / "emulator.out", "wb")
    proc = subprocess.Popen(cmd, cwd=run_dir, stdin=subprocess.DEVNULL, stdout=out,
                            stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 30
    while True:
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=1)
            break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                _kill_group(proc)
                pytest.fail(f"{name}: the emulator did not open COM1 on port {port}", pytrace=False)
            time.sleep(0.1)
    sock.settimeout(None)
    return Session(name, proc, sock, run_dir, log)


def interactive_bochs(scenario, cpu_model="corei7_skylake_x", cpus=2, megs=256):
    """Boots `scenario` in Bochs with COM1 on a loopback socket; returns a Session, to be
    used as a context manager (`with interactive_bochs(...) as s:`) so Bochs always ends."""
    image = iso(scenario)
    run_dir = new_run_dir(f"{scenario}-{cpu_model}-shell")
    port = _free_port()
    config = BOCHSRC.format(megs=megs, cpu_model=cpu_model, cpus=cpus, iso=image).replace(
        "com1: enabled=1, mode=file, dev=serial.log",
        f"com1: enabled=1, mode=socket-server, dev=localhost:{port}")
    (run_dir / "bochsrc").write_text(config)
    (run_dir / "cmds").write_text("c\n")
    name = f"{scenario} on bochs {cpu_model} x{cpus} (shell)"
    return _connect(name, ["bochs-bin", "-q", "-f", "bochsrc", "-rc", "cmds"], run_dir, port,
                    run_dir / "bochs.log")


def interactive_qemu(scenario, cpu=None, cpus=2, megs=256):
    """interactive_bochs for QEMU: COM1 is a TCP server that QEMU waits on before it runs."""
    image = iso(scenario)
    run_dir = new_run_dir(f"{scenario}-qemu-bios{'-svm' if cpu and '+svm' in cpu else ''}-shell")
    port = _free_port()
    cmd = qemu_command(image, run_dir, smp=cpus, memory=str(megs), cpu=cpu,
                       serial=f"tcp:127.0.0.1:{port},server=on,wait=on")
    name = f"{scenario} on qemu bios{' ' + cpu if cpu else ''} x{cpus} (shell)"
    return _connect(name, cmd, run_dir, port, run_dir / "emulator.out")
