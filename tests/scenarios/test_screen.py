"""kan's screen console: its lines on the framebuffer, in kan's own font, in its colour.

The test reads the glyph table from drivers/font8x16.c, reads the screen back as text cell by
cell (a cell is a glyph only if every pixel is exactly the glyph's ink or the background), and
then renders the lines it expects with the same font and compares the pixels. A wrong font,
a missing line or a wrong colour fails.

QEMU: a screendump through QMP. QEMU runs without isa-debug-exit and with -no-shutdown, so
kan's end leaves the machine (and its screen) standing until the test has looked.
Bochs: its X display on an Xvfb of the test's own, and xwd (Bochs's rfb shows 8-bit graphics
only); xdotool types on its PS/2 keyboard into kan's shell.
"""
import json
import os
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
    """kan's lines as the screen shows them: a long line continues on the next row. Rows are
    compared as read back from the screen, where a trailing space looks like no character."""
    rows = []
    for line in lines:
        rows += [line[i:i + columns].rstrip(" ") for i in range(0, max(len(line), 1), columns)]
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
    screen, rows, seen, said = None, [], False, False
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
            serial_log = run_dir / "serial.log"
            if serial and until in serial_log.read_text(errors="replace") and not said:
                said = True  # kan has ended: one more look, then judge what the screen shows
            elif said:
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
    # Everything kan wrote, from the empty line before its banner (GRUB's lines come before).
    lines = r.serial.rstrip("\n").split("\n")
    banner = next(i for i, line in enumerate(lines) if line.startswith("kan 0.1"))
    written = wrap(lines[banner - 1:], columns)
    if len(written) <= len(rows):
        assert end + 1 == len(written), (
            f"{len(written)} rows written, all fit, but the screen shows {end + 1}\n"
            f"{screen_text(rows[:end + 1])}\n{r.report()}")
    expected = written[-(end + 1):]
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
    "kan 0.1: a partitioning hypervisor (VT-x, AMD-V)",
    "kan: console: no serial port (none of COM1-4 answers) and framebuffer ",
    "kan: AMD-V: missing what kan needs: nested paging",
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
# Bochs's rfb display ends Bochs on graphics deeper than 8 bits per pixel, and GRUB crashes
# setting an 8-bit mode on the Cirrus card; so this run uses Bochs's X display on Xvfb, and
# xwd takes the screenshot.

def start_xvfb(run_dir):
    """An X server of our own; returns (process, display)."""
    read, write = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1024x768x24",
                             "-nolisten", "tcp"], pass_fds=(write,), cwd=run_dir,
                            stdout=subprocess.DEVNULL, stderr=open(run_dir / "xvfb.log", "wb"),
                            start_new_session=True)
    os.close(write)
    with os.fdopen(read) as f:
        number = f.readline().strip()
    assert number, f"Xvfb did not start: {(run_dir / 'xvfb.log').read_text()}"
    return proc, f":{number}"


def xwd_screen(display, path):
    """The X screen through xwd."""
    subprocess.run(["xwd", "-root", "-silent", "-display", display, "-out", str(path)], check=True)
    return read_xwd(path)


def read_xwd(path):
    """An xwd file: ZPixmap, 24-bit TrueColor in 32-bit pixels."""
    data = Path(path).read_bytes()
    header = struct.unpack(">25I", data[:100])
    header_size, _version, pixmap_format, depth, width, height = header[:6]
    byte_order, bits_per_pixel, bytes_per_line = header[7], header[11], header[12]
    red_mask, green_mask, blue_mask, ncolors = header[14], header[15], header[16], header[19]
    assert pixmap_format == 2 and bits_per_pixel == 32, f"xwd: format {pixmap_format}, {bits_per_pixel} bpp"
    pixels = data[header_size + ncolors * 12:]
    order = "big" if byte_order else "little"

    def channel(v, mask):
        return (v & mask) >> (mask & -mask).bit_length() - 1

    def pixel(x, y):
        v = int.from_bytes(pixels[y * bytes_per_line + x * 4:y * bytes_per_line + x * 4 + 4], order)
        return channel(v, red_mask), channel(v, green_mask), channel(v, blue_mask)
    return Screen(width, height, pixel)


BOCHS_TOLERANCE = 12  # the X display shows the 16-bit pixels as they are


WHITE = (255, 255, 255)


def find_guest_screen(screen):
    """Where Bochs's window shows the guest's screen: below its white header bar, found by
    the bar alone, so that text drawn a pixel off cannot move it."""
    x0 = next(x for x in range(0, 64) if screen.pixel(x, 20) == WHITE)
    y0 = next(y for y in range(20, 120) if screen.pixel(x0 + 300, y) != WHITE)
    return x0, y0


class BochsOnX:
    """Bochs with its X display on an Xvfb of our own; serial on COM1 into serial.log."""

    def __init__(self, scenario):
        image = kanemu.iso(scenario)
        self.run_dir = kanemu.new_run_dir(f"{scenario}-corei7_skylake_x")
        config = kanemu.BOCHSRC.format(megs=256, cpu_model="corei7_skylake_x", cpus=1, iso=image)
        (self.run_dir / "bochsrc").write_text(re.sub(r"display_library: .*", "display_library: x", config))
        (self.run_dir / "cmds").write_text("c\n")
        self.xvfb, self.display = start_xvfb(self.run_dir)
        self.name = f"{scenario} on bochs corei7_skylake_x x1 (X display)"
        kanemu._progress(f"{self.name}: started")
        self.start = time.monotonic()
        self.out = open(self.run_dir / "emulator.out", "wb")
        self.proc = subprocess.Popen(["bochs-bin", "-q", "-f", "bochsrc", "-rc", "cmds"],
                                     cwd=self.run_dir, stdin=subprocess.DEVNULL, stdout=self.out,
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     env={**os.environ, "DISPLAY": self.display})

    def serial(self):
        path = self.run_dir / "serial.log"
        text = path.read_bytes().decode(errors="replace") if path.exists() else ""
        return text.replace("\r\n", "\n")

    def wait_serial(self, *texts, after="", timeout=120):
        """True once every text is in the serial log (after `after`); False if Bochs ended or
        time ran out."""
        while time.monotonic() - self.start < timeout and self.proc.poll() is None:
            log = self.serial()
            if after in log and all(t in log[log.index(after) + len(after):] for t in texts):
                return True
            time.sleep(0.2)
        return False

    def xdotool(self, *args):
        subprocess.run(["xdotool", *args], check=True, env={**os.environ, "DISPLAY": self.display})

    def result(self, timed_out):
        return kanemu.Result(self.name, self.run_dir, self.serial(), self.run_dir / "bochs.log",
                             time.monotonic() - self.start, timed_out, self.proc.returncode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        kanemu._kill_group(self.proc)
        kanemu._kill_group(self.xvfb)
        self.out.close()
        kanemu._progress(f"{self.name}: ended in {time.monotonic() - self.start:.1f} s")


def test_bochs_shows_the_guests_lines_on_the_framebuffer():
    """VT-x runs: the demo's guests print, and their lines reach the screen as well."""
    with BochsOnX("screen-bochs") as bochs:
        ended = bochs.wait_serial("kan: vm hello ended", "kan: vm real16 ended")
        screen = None
        # Bochs redraws its window a few times a second: look until the last line is there
        # (what the screen then shows is checked below).
        for _ in range(20 if ended else 0):
            time.sleep(0.5)
            screen = xwd_screen(bochs.display, bochs.run_dir / "screen.xwd")
            x0, y0 = find_guest_screen(screen)
            guest = Screen(640, 480, lambda x, y: screen.pixel(x + x0, y + y0))
            if any(row.startswith("kan: vm hello ended") for row in
                   decode(guest, FB_TEXT_RGB, BOCHS_TOLERANCE)):
                break
        r = bochs.result(timed_out=not ended)
    assert screen, f"the demo's VMs never both ended\n{r.report()}"
    serial_text = r.serial
    kanemu.expect(r, "kan: console: serial COM1 (0x3f8) and framebuffer 640x480x16",
                  "[hello] hello guest done: all checks passed")
    kanemu.expect(r, "[real16] hello from a 16-bit real-mode guest")
    x0, y0 = find_guest_screen(screen)
    guest = Screen(640, 480, lambda x, y: screen.pixel(x + x0, y + y0))
    rows = decode(guest, FB_TEXT_RGB, BOCHS_TOLERANCE)
    (r.run_dir / "screen.txt").write_text(f"origin ({x0}, {y0})\n{screen_text(rows)}\n")
    columns = 640 // CELL_W
    for line in ("[hello] hello guest done: all checks passed",
                 "[real16] hello from a 16-bit real-mode guest",
                 "kan: vm hello ended: exit status 0"):
        found = next((i for i, row in enumerate(rows) if row.startswith(line)), None)
        assert found is not None, f"no row starting with {line!r} on the screen\n{screen_text(rows)}"
        text = next(l for l in serial_text.split("\n") if l.startswith(line))
        want = wrap([text], columns)
        assert rows[found:found + len(want)] == want, \
            f"row {found} is not the serial log's line {text!r}\n{screen_text(rows)}"
        assert_pixels(guest, want, found, FB_TEXT_RGB, BOCHS_TOLERANCE)
    print(f"{r.name}: the guests' lines on the 640x480x16 screen, {r.seconds:.1f} s")


def test_keys_typed_on_the_ps2_keyboard_reach_kans_shell():
    """X key events -> Bochs's PS/2 keyboard -> kan's driver (IRQ 1) -> the shell."""
    with BochsOnX("screen-bochs") as bochs:
        ready = bochs.wait_serial("kan: vm hello ended", "kan: vm real16 ended")
        if ready:
            bochs.xdotool("mousemove", "300", "300")  # X sends keys to the window under it
            bochs.xdotool("type", "--delay", "30", "vm list")
            bochs.xdotool("key", "Return")
            answered = bochs.wait_serial("hello", "real16", after="kan: id  name", timeout=60)
        r = bochs.result(timed_out=not ready)
    assert ready, f"the demo's VMs never both ended\n{r.report()}"
    kanemu.expect(r, "kan: keyboard: PS/2 (scan code set 1, translated by the 8042), IRQ 1")
    assert answered, f"kan's shell never answered 'vm list' typed on the keyboard\n{r.report()}"
    kanemu.expect(r, "kan: id  name", "hello", "real16")
    print(f"{r.name}: 'vm list' typed on the PS/2 keyboard answered, {r.seconds:.1f} s")
