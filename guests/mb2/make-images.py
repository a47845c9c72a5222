#!/usr/bin/python3
"""Copies of the Multiboot2 test kernel (tests/scenarios/test_multiboot.py): mb2-addr.elf asks
to be loaded by its address tag, and each malformed copy breaks one rule kan must refuse by
name. The ELF helpers are guests/mb1/make-images.py's. make-images.py GOOD.elf OUTDIR"""
import importlib.util
import os
import struct
import sys

MAGIC = 0xE85250D6

_spec = importlib.util.spec_from_file_location(
    "mb1_images", os.path.join(os.path.dirname(os.path.abspath(__file__)), "../mb1/make-images.py"))
mb1 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mb1)


def header_offset(image):
    for at in range(0, min(len(image), 32768) - 15, 8):
        if struct.unpack_from("<I", image, at)[0] == MAGIC:
            return at
    raise SystemExit("make-images.py: no Multiboot2 header in the good image")


def tag_at(image, wanted):
    """File offset of the header tag of type `wanted`."""
    h = header_offset(image)
    at, end = h + 16, h + struct.unpack_from("<I", image, h + 8)[0]
    while at < end:
        kind, _, size = struct.unpack_from("<HHI", image, at)
        if kind == wanted:
            return at
        at += (size + 7) & ~7
    raise SystemExit(f"make-images.py: no header tag {wanted:#x} in the good image")


def retag(image, old, new, flags):
    struct.pack_into("<HH", image, tag_at(image, old), new, flags)


def addr(image):
    """The address and entry tags come alive (start.asm hides them under unknown optional
    types), and the ELF's one program header is spoiled, so only the address tag can work."""
    retag(image, 0x8002, 2, 0)
    retag(image, 0x8003, 3, 0)
    mb1.aout_spoil_elf(image)


def no_header(image):
    image[header_offset(image)] ^= 0xff


def bad_checksum(image):
    at = header_offset(image) + 12
    struct.pack_into("<I", image, at, (struct.unpack_from("<I", image, at)[0] + 1) & 0xffffffff)


def wrong_arch(image):
    at = header_offset(image)
    _, _, length, _ = struct.unpack_from("<IIII", image, at)
    struct.pack_into("<III", image, at + 4, 4, length, (-(MAGIC + 4 + length)) & 0xffffffff)


def unknown_tag(image):
    retag(image, 0x8002, 0x8002, 0)


def framebuffer(image):
    retag(image, 5, 5, 0)


VARIANTS = {"addr": addr, "no-header": no_header, "bad-checksum": bad_checksum,
            "wrong-arch": wrong_arch, "unknown-tag": unknown_tag, "framebuffer": framebuffer,
            "beyond-ram": mb1.beyond_ram, "entry-outside": mb1.entry_outside}

if __name__ == "__main__":
    good = open(sys.argv[1], "rb").read()
    for name, spoil in VARIANTS.items():
        image = bytearray(good)
        spoil(image)
        open(f"{sys.argv[2]}/mb2-{name}.elf", "wb").write(image)
