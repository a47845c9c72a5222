"""kan's screen console: its lines on the framebuffer, in kan's own font, in its colour.

The test reads the glyph table from drivers/font8x16.c, reads the screen back as text cell by
cell (a cell is a glyph only if every pixel is exactly the glyph's ink or the background), and
then renders the lines it expects with the same font and compares the pixels. A wrong font,
a missing line or a wrong colour fails.

QEMU: a screendump through QMP. QEMU runs without isa-debug-exit and with -no-shutdown, so
kan's end leaves the machine (and its screen) standing until the test has looked.
Bochs: a tiny RFB (VNC) client reads Bochs's rfb display, which shows 8-bit graphics only.
"""
import json
import re
import shutil
import socket
import struct
import subprocess
import time
from pathlib import Path

import pytest

import kanemu

FONT_C = kanemu.REPO / "drivers" / "font8x16.c"
FB_TEXT_RGB = (0xff, 0xcc, 0x66)  # drivers/framebuffer.h
GRUB_YELLOW = (0xfe, 0xfe, 0x54)  # GRUB's 8-bit palette entry nearest FB_TEXT_RGB
BLACK = (0, 0, 0)
CELL_W, CELL_H = 8, 16
UNKNOWN = "\ufffd"  # a cell that is no glyph of kan's font


def load_font():
    text = FONT_C.read_text()
    glyphs = {}
    for m in re.finditer(r"\[0x([0-9a-f]{2}) - FONT_FIRST\] = \{ ([^}]*) \}", text):
        glyphs[chr(int(m.group(1), 16))] = tuple(int(b, 16) for b in m.group(2).split(","))
    assert len(glyphs) == 95, f"{FONT_C}: {len(glyphs)} glyphs, not 95"
    return glyphs


FONT = load_font()
GLYPH_CHARS = {rows: c for c, rows in FONT.items()}


class Screen:
    """Pixels as rows of (r, g, b) tuples."""

    def __init__(self, width, height, pixel):
        self.width, self.height, self.pixel = width, height, pixel  # pixel(x, y) -> (r, g, b)

    @classmethod
    def from_ppm(cls, path):
        data = Path(path).read_bytes()
        fields = data.split(maxsplit=4)
        assert fields[0] == b"P6" and fields[3] == b"255", f"{path}: not a P6 PPM"
        width, height, pixels = int(fields[1]), int(fields[2]), fields[4]
        return cls(width, height, lambda x, y: tuple(pixels[(y * width + x) * 3:(y * width + x) * 3 + 3]))


def close(a, b, tolerance):
    return all(abs(p - q) <= tolerance for p, q in zip(a, b))


def decode(screen, fg, tolerance, y0=0):
    """The screen as text rows. A cell whose pixels are not all fg or black is UNKNOWN."""
    rows = []
    for top in range(y0, screen.height - CELL_H + 1, CELL_H):
        row = []
        for left in range(0, screen.width - CELL_W + 1, CELL_W):
            bits, ok = [], True
            for y in range(top, top + CELL_H):
                byte = 0
                for x in range(left, left + CELL_W):
                    p = screen.pixel(x, y)
                    if close(p, fg, tolerance):
                        byte |= 0x80 >> (x - left)
                    elif not close(p, BLACK, tolerance):
                        ok = False
                bits.append(byte)
            row.append(GLYPH_CHARS.get(tuple(bits), UNKNOWN) if ok else UNKNOWN)
        rows.append("".join(row).rstrip(" "))
    return rows


def wrap(lines, columns):
    """kan's lines as the screen shows them: a long line continues on the next row."""
    rows = []
    for line in lines:
        rows += [line[i:i + columns] for i in range(0, max(len(line), 1), columns)]
    return rows


def assert_pixels(screen, rows, first_row, fg, tolerance, y0=0):
    """Renders `rows` with kan's font at text row `first_row` and compares every pixel."""
    columns = screen.width // CELL_W
    for r, text in enumerate(rows):
        top = y0 + (first_row + r) * CELL_H
        for c in range(columns):
            glyph = FONT.get(text[c] if c < len(text) else " ")
            assert glyph, f"no glyph for {text[c]!r}"
            for y in range(CELL_H):
                for x in range(CELL_W):
                    want = fg if glyph[y] & (0x80 >> x) else BLACK
                    got = screen.pixel(c * CELL_W + x, top + y)
                    assert close(got, want, tolerance), (
                        f"pixel ({c * CELL_W + x}, {top + y}) in text row {first_row + r} "
                        f"column {c} ({text[c] if c < len(text) else ' '!r} of {text!r}) is "
                        f"{got}, expected {want}")


def screen_text(rows):
    return "\n".join(f"{i:3} |{row}" for i, row in enumerate(rows))


# ----- QEMU -----

class Qmp:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(str(path))
        self.file = self.sock.makefile("rw")
        json.loads(self.file.readline())  # the greeting
        self.command("qmp_capabilities")

    def command(self, name, **arguments):
        self.file.write(json.dumps({"execute": name, "arguments": arguments}) + "\n")
        self.file.flush()
        while True:
            reply = json.loads(self.file.readline())
            if "return" in reply or "error" in reply:
                assert "error" not in reply, f"QMP {name}: {reply['error']}"
                return reply["return"]


def qemu_screen(scenario, firmware, serial, until, timeout=120):
    """Boots `scenario` in QEMU TCG and returns (Result, Screen) once the screen shows a row
    starting with `until`. No isa-debug-exit, -no-shutdown: kan's end leaves QEMU up."""
    image = kanemu.iso(scenario)
    run_dir = kanemu.new_run_dir(f"{scenario}-qemu-{firmware}-{'serial' if serial else 'noserial'}")
    qmp_path = run_dir / "qmp.sock"
    cmd = ["qemu-system-x86_64", "-display", "none", "-no-shutdown", "-no-reboot",
           "-serial", "file:serial.log" if serial else "none",
           "-cdrom", str(image), "-m", "256", "-qmp", f"unix:{qmp_path},server=on,wait=off"]
    if firmware == "uefi":
        shutil.copy(kanemu.OVMF_VARS, run_dir / "OVMF_VARS.fd")
        cmd += ["-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={kanemu.OVMF_CODE}",
                "-drive", "if=pflash,format=raw,unit=1,file=OVMF_VARS.fd"]
    name = f"{scenario} on qemu {firmware}, serial {'on' if serial else 'none'}"
    kanemu._progress(f"{name}: started")
    start = time.monotonic()
    out = open(run_dir / "emulator.out", "wb")
    proc = subprocess.Popen(cmd, cwd=run_dir, stdin=subprocess.DEVNULL, stdout=out,
                            stderr=subprocess.STDOUT, start_new_session=True)
    screen, rows, seen = None, [], False
    try:
        while not qmp_path.exists() and proc.poll() is None and time.monotonic() - start < 10:
            time.sleep(0.05)
        qmp = Qmp(qmp_path)
        while time.monotonic() - start < timeout and proc.poll() is None:
            time.sleep(1)
            shot = run_dir / "screen.ppm"
            qmp.command("screendump", filename=str(shot))
            screen = Screen.from_ppm(shot)
            rows = decode(screen, FB_TEXT_RGB, 12)
            if any(row.startswith(until) for row in rows):
                seen = True
                break
        qmp.command("quit")
        proc.wait(10)
    finally:
        kanemu._kill_group(proc)
        out.close()
    seconds = time.monotonic() - start
    kanemu._progress(f"{name}: ended in {seconds:.1f} s")
    serial_text = ""
    if (run_dir / "serial.log").exists():
        serial_text = (run_dir / "serial.log").read_bytes().decode(errors="replace")
        serial_text = serial_text.replace("\r\n", "\n").replace("\r", "")
    result = kanemu.Result(name, run_dir, serial_text, run_dir / "emulator.out", seconds,
                           not seen, proc.returncode)
    (run_dir / "screen.txt").write_text(screen_text(rows) + "\n")
    assert seen, f"the screen never showed a line starting with {until!r}\n" \
                 f"screen as read:\n{screen_text(rows)}\n{result.report()}"
    return result, screen, rows


def last_row(rows):
    return max(i for i, row in enumerate(rows) if row)


@pytest.mark.parametrize("scenario,firmware,depth", [("screen", "bios", 16),
                                                     ("screen-24", "bios", 24),
                                                     ("screen-32", "uefi", 32)])
def test_the_screen_shows_the_serial_consoles_lines(scenario, firmware, depth):
    """Serial and screen in one run: the screen's rows are the serial log's last lines."""
    r, screen, rows = qemu_screen(scenario, firmware, serial=True, until="kan: shutdown")
    kanemu.expect(r, "kan: console: serial COM1 (0x3f8) and framebuffer",
                  "kan: shutdown (this CPU cannot run kan's guests)")
    kanemu.expect(r, f"and framebuffer 1024x768x{depth} at ")
    columns = screen.width // CELL_W
    end = last_row(rows)
    expected = wrap(r.serial.rstrip("\n").split("\n"), columns)[-(end + 1):]
    assert end >= 10, f"only {end + 1} rows on the screen\n{screen_text(rows)}"
    assert rows[:end + 1] == expected, (
        f"the screen differs from the serial log's last {end + 1} rows\n"
        f"screen:\n{screen_text(rows[:end + 1])}\nexpected:\n{screen_text(expected)}\n{r.report()}")
    assert_pixels(screen, expected, 0, FB_TEXT_RGB, 12)
    assert all(not row for row in rows[end + 1:]), f"text below the last line\n{screen_text(rows)}"
    print(f"{r.name}: {screen.width}x{screen.height}, {end + 1} rows match the serial log, "
          f"{r.seconds:.1f} s")


# Lines kan prints when the machine has no serial port at all (QEMU -serial none).
NO_SERIAL_LINES = (
    "kan 0.1: a partitioning hypervisor (VT-x)",
    "kan: console: no serial port (none of COM1-4 answers) and framebuffer ",
    "kan: VT-x: not available: CPUID.1:ECX.VMX[bit 5] is 0",
    "kan: shutdown (this CPU cannot run kan's guests)",
)


@pytest.mark.parametrize("firmware", ["bios", "uefi"])
def test_without_a_serial_port_the_screen_still_shows_kan(firmware):
    r, screen, rows = qemu_screen("screen", firmware, serial=False, until="kan: shutdown")
    at = 0
    for line in NO_SERIAL_LINES:
        found = next((i for i in range(at, len(rows)) if rows[i].startswith(line)), None)
        assert found is not None, f"no row starting with {line!r} (from row {at})\n{screen_text(rows)}"
        assert_pixels(screen, [rows[found]], found, FB_TEXT_RGB, 12)
        at = found + 1
    print(f"{r.name}: {screen.width}x{screen.height}, the known lines in order, {r.seconds:.1f} s")


# ----- Bochs -----

def rfb_port(run_dir, deadline):
    while time.monotonic() < deadline:
        log = run_dir / "bochs.log"
        m = log.exists() and re.search(r"listening for connections on port (\d+)", log.read_text(errors="replace"))
        if m:
            return int(m.group(1))
        time.sleep(0.05)
    pytest.fail("Bochs's rfb display never listened")


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        assert chunk, "the rfb server closed the connection"
        data += chunk
    return data


def rfb_grab(port, timeout=30):
    """One full-screen update from an RFB 3.x server (raw encoding), as a Screen."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        version = recv_exact(s, 12)
        if version >= b"RFB 003.007\n":
            s.sendall(version)
            types = recv_exact(s, recv_exact(s, 1)[0])
            assert 1 in types, f"rfb security types {list(types)}: no 'none'"
            s.sendall(b"\x01")
            if version >= b"RFB 003.008\n":
                assert struct.unpack(">I", recv_exact(s, 4))[0] == 0, "rfb refused 'none'"
        else:
            s.sendall(b"RFB 003.003\n")
            assert struct.unpack(">I", recv_exact(s, 4))[0] == 1, "rfb security is not 'none'"
        s.sendall(b"\x01")  # ClientInit: shared
        width, height = struct.unpack(">HH", recv_exact(s, 4))
        (bpp, _depth, big_endian, true_colour, rmax, gmax, bmax, rshift, gshift,
         bshift) = struct.unpack(">BBBBHHHBBB", recv_exact(s, 16)[:13])
        recv_exact(s, struct.unpack(">I", recv_exact(s, 4))[0])  # the desktop's name
        assert true_colour, "rfb: a colour-map pixel format"
        s.sendall(struct.pack(">BxHi", 2, 1, 0))  # SetEncodings: raw
        s.sendall(struct.pack(">BBHHHH", 3, 0, 0, 0, width, height))  # a full update
        size = bpp // 8
        pixels = [[BLACK] * width for _ in range(height)]
        missing = width * height
        while missing > 0:
            kind = recv_exact(s, 1)[0]
            if kind == 2:  # bell
                continue
            if kind == 3:  # server cut text
                recv_exact(s, 3)
                recv_exact(s, struct.unpack(">I", recv_exact(s, 4))[0])
                continue
            assert kind == 0, f"rfb message type {kind}"
            rects = struct.unpack(">xH", recv_exact(s, 3))[0]
            for _ in range(rects):
                x, y, w, h, encoding = struct.unpack(">HHHHi", recv_exact(s, 12))
                assert encoding == 0, f"rfb encoding {encoding}, not raw"
                data = recv_exact(s, w * h * size)
                for j in range(h):
                    for i in range(w):
                        v = int.from_bytes(data[(j * w + i) * size:(j * w + i + 1) * size],
                                           "big" if big_endian else "little")
                        pixels[y + j][x + i] = ((v >> rshift & rmax) * 255 // rmax,
                                                (v >> gshift & gmax) * 255 // gmax,
                                                (v >> bshift & bmax) * 255 // bmax)
                missing -= w * h
    return Screen(width, height, lambda x, y: pixels[y][x])


BOCHS_TOLERANCE = 48  # rfb sends 3-3-2 bit colour


def bochs_rows(screen):
    """rfb puts a header bar above the guest's screen: find where the text rows start."""
    best = None
    for y0 in range(0, 64):
        rows = decode(screen, GRUB_YELLOW, BOCHS_TOLERANCE, y0)[:3]
        known = sum(ch not in (UNKNOWN, " ") for row in rows for ch in row)
        if best is None or known > best[0]:
            best = (known, y0)
    return best[1], decode(screen, GRUB_YELLOW, BOCHS_TOLERANCE, best[1])


def test_bochs_shows_the_guests_lines_on_the_framebuffer():
    """VT-x runs: the demo's guests print, and their lines reach the screen as well."""
    image = kanemu.iso("screen-bochs")
    run_dir = kanemu.new_run_dir("screen-bochs-corei7_skylake_x")
    (run_dir / "bochsrc").write_text(kanemu.BOCHSRC.format(
        megs=256, cpu_model="corei7_skylake_x", cpus=1, iso=image))
    (run_dir / "cmds").write_text("c\n")
    kanemu._progress("screen-bochs on bochs: started")
    start = time.monotonic()
    out = open(run_dir / "emulator.out", "wb")
    proc = subprocess.Popen(["bochs-bin", "-q", "-f", "bochsrc", "-rc", "cmds"], cwd=run_dir,
                            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)
    screen = None
    try:
        port = rfb_port(run_dir, start + 30)
        serial = run_dir / "serial.log"
        while time.monotonic() - start < 120 and proc.poll() is None:
            text = serial.read_bytes().decode(errors="replace") if serial.exists() else ""
            if "kan: summary:" in text:
                time.sleep(1)  # Bochs redraws its display a few times a second
                screen = rfb_grab(port)
                break
            time.sleep(0.2)
    finally:
        kanemu._kill_group(proc)
        out.close()
    seconds = time.monotonic() - start
    kanemu._progress(f"screen-bochs on bochs: ended in {seconds:.1f} s")
    serial_text = (run_dir / "serial.log").read_bytes().decode(errors="replace").replace("\r\n", "\n")
    r = kanemu.Result("screen-bochs on bochs corei7_skylake_x x1", run_dir, serial_text,
                      run_dir / "bochs.log", seconds, screen is None, proc.returncode)
    assert screen, f"kan never printed its summary\n{r.report()}"
    kanemu.expect(r, "kan: console: serial COM1 (0x3f8) and framebuffer 640x480x8",
                  "[hello] hello guest done: all checks passed",
                  "[real16] hello from a 16-bit real-mode guest")
    y0, rows = bochs_rows(screen)
    (run_dir / "screen.txt").write_text(screen_text(rows) + "\n")
    columns = 640 // CELL_W
    for line in ("[hello] hello guest done: all checks passed",
                 "[real16] hello from a 16-bit real-mode guest", "kan: summary: "):
        found = next((i for i, row in enumerate(rows) if row.startswith(line)), None)
        assert found is not None, f"no row starting with {line!r} on the screen\n{screen_text(rows)}"
        text = next(l for l in serial_text.split("\n") if l.startswith(line))
        want = wrap([text], columns)
        assert rows[found:found + len(want)] == want, \
            f"row {found} is not the serial log's line {text!r}\n{screen_text(rows)}"
        assert_pixels(Screen(640, screen.height - y0, lambda x, y: screen.pixel(x, y + y0)),
                      want, found, GRUB_YELLOW, BOCHS_TOLERANCE)
    print(f"{r.name}: the guests' lines on the 640x480x8 screen, {seconds:.1f} s")
