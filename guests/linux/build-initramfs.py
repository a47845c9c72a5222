#!/usr/bin/env python3
"""Writes a newc cpio initramfs holding Debian's busybox-static, our /init and /bin/fpu-job.

usage: build-initramfs.py BUSYBOX INIT FPU_JOB OUTPUT
"""
import os
import sys


def entry(out, name, mode, data=b"", nlink=1, ino=[0x1000]):
    ino[0] += 1
    header = "070701" + "".join(f"{v:08x}" for v in (
        ino[0], mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(name) + 1, 0))
    out.write(header.encode() + name.encode() + b"\0")
    out.write(b"\0" * ((4 - (110 + len(name) + 1) % 4) % 4))
    out.write(data)
    out.write(b"\0" * ((4 - len(data) % 4) % 4))


def main(busybox, init, fpu_job, output):
    with open(output, "wb") as out:
        for d in ("bin", "dev", "proc", "sys", "tmp"):
            entry(out, d, 0o040755, nlink=2)
        entry(out, "bin/busybox", 0o100755, open(busybox, "rb").read())
        entry(out, "bin/fpu-job", 0o100755, open(fpu_job, "rb").read())
        entry(out, "init", 0o100755, open(init, "rb").read())
        entry(out, "TRAILER!!!", 0)
    print(f"initramfs: {output} ({os.path.getsize(output)} bytes)")


if __name__ == "__main__":
    main(*sys.argv[1:])
