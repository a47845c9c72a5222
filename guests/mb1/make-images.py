#!/usr/bin/python3
"""Copies of the Multiboot 1 test kernel (tests/scenarios/test_multiboot.py): mb1-aout.elf
asks to be loaded by its a.out kludge address fields (flags bit 16), and each malformed copy
breaks one rule kan must refuse by name. make-images.py GOOD.elf OUTDIR"""
import struct
import sys

MAGIC = 0x1BADB002


def header_offset(image):
    for at in range(0, min(len(image), 8192) - 11, 4):
        if struct.unpack_from("<I", image, at)[0] == MAGIC:
            return at
    raise SystemExit("make-bad.py: no Multiboot header in the good image")


def load_headers(image):
    """File offsets of the ELF32 PT_LOAD program headers."""
    phoff, = struct.unpack_from("<I", image, 28)
    phentsize, phnum = struct.unpack_from("<HH", image, 42)
    return [phoff + i * phentsize for i in range(phnum)
            if struct.unpack_from("<I", image, phoff + i * phentsize)[0] == 1]


def set_flags(image, flags):
    at = header_offset(image)
    struct.pack_into("<II", image, at + 4, flags, (-(MAGIC + flags)) & 0xffffffff)


def aout_spoil_elf(image):
    """The ELF's one program header spoiled (p_paddr beyond 4 GiB's reach): only address
    fields can load the image (guests/mb2/make-images.py too)."""
    struct.pack_into("<I", image, load_headers(image)[0] + 12, 0xfff00000)


def aout(image):
    """The ELF headers stay, but kan must read the address fields instead."""
    set_flags(image, struct.unpack_from("<I", image, header_offset(image) + 4)[0] | 0x10000)
    aout_spoil_elf(image)


def no_header(image):
    image[header_offset(image)] ^= 0xff


def bad_checksum(image):
    at = header_offset(image) + 8
    struct.pack_into("<I", image, at, (struct.unpack_from("<I", image, at)[0] + 1) & 0xffffffff)


def video_mode(image):
    set_flags(image, struct.unpack_from("<I", image, header_offset(image) + 4)[0] | 4)


def beyond_ram(image):
    for ph in load_headers(image):  # p_paddr moved up 64 MiB, past the VM's 16
        paddr, = struct.unpack_from("<I", image, ph + 12)
        struct.pack_into("<I", image, ph + 12, paddr + 0x4000000)


def entry_outside(image):
    struct.pack_into("<I", image, 24, 0x800000)  # e_entry: in RAM, in no segment


def over_info(image):
    struct.pack_into("<I", image, load_headers(image)[0] + 12, 0x8000)


VARIANTS = {"aout": aout, "no-header": no_header, "bad-checksum": bad_checksum, "video-mode": video_mode,
            "beyond-ram": beyond_ram, "entry-outside": entry_outside, "over-info": over_info}

if __name__ == "__main__":
    good = open(sys.argv[1], "rb").read()
    for name, spoil in VARIANTS.items():
        image = bytearray(good)
        spoil(image)
        open(f"{sys.argv[2]}/mb1-{name}.elf", "wb").write(image)
