#!/usr/bin/python3
"""Extracts vmlinux from a bzImage: the setup header says where the compressed payload lies
(payload_offset, payload_length at 0x248/0x24c of the protected-mode kernel's file offset);
Debian's is xz. Writes it unchanged and checks it is an ELF with the PVH entry note
(a "Xen" note of type 18, XEN_ELFNOTE_PHYS32_ENTRY), so that kind=pvh can boot it.

Usage: extract-vmlinux.py BZIMAGE OUT
"""
import lzma
import struct
import sys

PVH_NOTE_TYPE = 18


def payload(bz):
    if bz[0x202:0x206] != b"HdrS":
        sys.exit("extract-vmlinux: not a bzImage (no HdrS setup header)")
    setup_sects = bz[0x1f1] or 4
    offset, length = struct.unpack_from("<II", bz, 0x248)
    start = (setup_sects + 1) * 512 + offset
    data = bz[start:start + length]
    if not data.startswith(b"\xfd7zXZ\x00"):
        sys.exit("extract-vmlinux: the payload is not xz (magic %s)" % data[:6].hex())
    # The payload is followed by the decompressed size (4 bytes) inside the xz stream's
    # padding; FORMAT_XZ stops at the stream's end.
    return lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data)


def has_pvh_note(elf):
    """True if a PT_NOTE segment holds a note named "Xen" of type 18."""
    if elf[:4] != b"\x7fELF" or elf[4] != 2:
        sys.exit("extract-vmlinux: the payload is not a 64-bit ELF")
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from("<IIQQQQ", elf, phoff + i * phentsize)
        if p_type != 4:  # PT_NOTE
            continue
        at, end = p_offset, p_offset + p_filesz
        while at + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", elf, at)
            name = elf[at + 12:at + 12 + namesz].rstrip(b"\0")
            if name == b"Xen" and ntype == PVH_NOTE_TYPE:
                return True
            at += 12 + (namesz + 3) // 4 * 4 + (descsz + 3) // 4 * 4
    return False


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    vmlinux = payload(open(sys.argv[1], "rb").read())
    if not has_pvh_note(vmlinux):
        sys.exit("extract-vmlinux: vmlinux has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)")
    with open(sys.argv[2] + ".tmp", "wb") as f:
        f.write(vmlinux)
    import os
    os.replace(sys.argv[2] + ".tmp", sys.argv[2])
    print(f"extract-vmlinux: {sys.argv[2]}, {len(vmlinux) >> 10} KiB, with the PVH entry note")


if __name__ == "__main__":
    main()
