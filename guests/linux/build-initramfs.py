#!/usr/bin/env python3
"""Writes a newc cpio initramfs holding Debian's busybox-static, our /init and /bin/fpu-job, and
the kernel modules named in MODULES with everything they depend on.

usage: build-initramfs.py BUSYBOX INIT FPU_JOB MODULES MODULE_DIR OUTPUT

MODULE_DIR is the unpacked package's lib/modules/VERSION. Debian's package has no modules.dep
(its postinst runs depmod), so the dependencies come from each module's own .modinfo section,
the "depends=" that depmod reads too. The modules land in /lib/modules/NAME.ko, and
/lib/modules/order lists them dependencies first: /init insmods them in that order.
"""
import gzip
import lzma
import os
import struct
import sys


def entry(out, name, mode, data=b"", nlink=1, ino=[0x1000]):
    ino[0] += 1
    header = "070701" + "".join(f"{v:08x}" for v in (
        ino[0], mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(name) + 1, 0))
    out.write(header.encode() + name.encode() + b"\0")
    out.write(b"\0" * ((4 - (110 + len(name) + 1) % 4) % 4))
    out.write(data)
    out.write(b"\0" * ((4 - len(data) % 4) % 4))


def module_files(module_dir):
    """Every module of the package by its name (as the kernel spells it: '-' becomes '_')."""
    found = {}
    for root, _, files in os.walk(module_dir):
        for f in files:
            for suffix in (".ko", ".ko.xz", ".ko.gz"):
                if f.endswith(suffix):
                    found[f[:-len(suffix)].replace("-", "_")] = os.path.join(root, f)
    return found


def module_bytes(path):
    """The plain ELF: busybox insmod loads uncompressed modules only."""
    data = open(path, "rb").read()
    if path.endswith(".xz"):
        return lzma.decompress(data)
    if path.endswith(".gz"):
        return gzip.decompress(data)
    return data


def modinfo(elf):
    """The key=value strings of an ELF64 module's .modinfo section, as a dict of lists."""
    shoff, = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", elf, 0x3a)

    def section(i):
        _, _, _, _, offset, size = struct.unpack_from("<IIQQQQ", elf, shoff + i * shentsize)
        return offset, size

    names_at, _ = section(shstrndx)
    for i in range(shnum):
        name_off, = struct.unpack_from("<I", elf, shoff + i * shentsize)
        name = elf[names_at + name_off:elf.index(b"\0", names_at + name_off)]
        if name == b".modinfo":
            offset, size = section(i)
            info = {}
            for item in elf[offset:offset + size].split(b"\0"):
                key, sep, value = item.decode().partition("=")
                if sep:
                    info.setdefault(key, []).append(value)
            return info
    sys.exit("initramfs: a module without .modinfo")


def resolve(wanted, files):
    """The wanted modules and their dependencies, each after everything it needs."""
    for name in wanted:
        if name not in files:
            sys.exit(f"initramfs: module {name} is not in the kernel package")
    infos = {name: modinfo(module_bytes(files[name])) for name in wanted}
    # A softdep names a service by alias (ext4 wants "crypto-crc32c"): the list must carry one.
    provider = {a: name for name, info in infos.items() for a in info.get("alias", []) + [name]}
    order = []

    def visit(name, chain):
        if name in order:
            return
        if name in chain:
            sys.exit(f"initramfs: modules depend on each other in a loop: {' -> '.join(chain)}")
        if name not in files:
            sys.exit(f"initramfs: module {name} (for {chain[-1]}) is not in the kernel package")
        info = infos.setdefault(name, modinfo(module_bytes(files[name])))
        needs = list(filter(None, ",".join(info.get("depends", [])).split(",")))
        for soft in info.get("softdep", []):
            for alias in soft.split("post:")[0].replace("pre:", "").split():
                if alias not in provider:
                    sys.exit(f"initramfs: {name} wants {alias} loaded first; add a module "
                             f"that provides it to the module list")
                needs.append(provider[alias])
        for need in needs:
            visit(need, chain + [name])
        order.append(name)

    for name in wanted:
        visit(name, [])
    return order


def main(busybox, init, fpu_job, module_list, module_dir, output):
    wanted = [line.split("#")[0].strip() for line in open(module_list)]
    files = module_files(module_dir)
    order = resolve([w for w in wanted if w], files)
    with open(output, "wb") as out:
        for d in ("bin", "dev", "lib", "lib/modules", "mnt", "proc", "sys", "tmp"):
            entry(out, d, 0o040755, nlink=2)
        entry(out, "bin/busybox", 0o100755, open(busybox, "rb").read())
        entry(out, "bin/fpu-job", 0o100755, open(fpu_job, "rb").read())
        entry(out, "init", 0o100755, open(init, "rb").read())
        modules_size = 0
        for name in order:
            data = module_bytes(files[name])
            modules_size += len(data)
            entry(out, f"lib/modules/{name}.ko", 0o100644, data)
        entry(out, "lib/modules/order", 0o100644, "".join(f"{n}\n" for n in order).encode())
        entry(out, "TRAILER!!!", 0)
    print(f"initramfs: {output} ({os.path.getsize(output)} bytes; "
          f"modules {modules_size} bytes: {' '.join(order)})")


if __name__ == "__main__":
    main(*sys.argv[1:])
