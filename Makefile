# kan: build the hypervisor, its test guests and bootable ISOs; run the demo and the tests.
#   make            build/kan.elf and build/guests/*.elf
#   make iso        build/kan.iso (the demo, hybrid BIOS+UEFI)
#   make usb DEV=/dev/sdX   write build/kan.iso to a USB disk, after safety checks
#   make run        boot the demo headless: EMU=bochs (default, VT-x), EMU=qemu (AMD-V), EMU=kvm
#   make test       unit tests + emulator scenarios (every tier), one summary line
#   make test-qemu  the QEMU AMD-V tier of the scenarios alone
#   make deps       install what is missing (Debian, apt-get)

BUILD      := build
CC         := gcc
LD         := ld
NASM       := nasm
PYTHON     := /usr/bin/python3
EMU        ?= bochs
JOBS       ?= 2
# Rules for single guests come before `all`: without this, plain `make` builds only the first.
.DEFAULT_GOAL := all

WARNINGS   := -Wall -Wextra -Werror
FREESTANDING := -std=gnu11 -ffreestanding -fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only \
	-fno-stack-protector -fno-omit-frame-pointer -fno-asynchronous-unwind-tables \
	-fno-tree-loop-distribute-patterns -fcf-protection=none -O2 -g
# -fdata-sections: a section per variable, so that linker.ld packs .bss without padding.
KERNEL_CFLAGS := $(FREESTANDING) $(WARNINGS) -I. -fdata-sections
GUEST_CFLAGS  := $(FREESTANDING) $(WARNINGS) -Iguests/include -Iguests/lib
LDFLAGS    := -nostdlib -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments

KERNEL_C   := $(wildcard arch/x86_64/*.c kernel/*.c kernel/devices/*.c drivers/*.c vmx/*.c svm/*.c)
KERNEL_ASM := $(wildcard boot/*.asm arch/x86_64/*.asm vmx/*.asm svm/*.asm)
KERNEL_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(KERNEL_C)) \
	$(patsubst %.asm,$(BUILD)/obj/%.asm.o,$(KERNEL_ASM))

# 64-bit C guests: one folder each under guests/, linked with the guest library.
C_GUESTS   := hello triplefault overread counter halter spinner echo zerocheck netspy spinlock \
	rtcheck ticker movecheck
GUEST_LIB  := $(BUILD)/obj/guests/lib/guest.o $(BUILD)/obj/guests/lib/start64.asm.o
GUEST_ELFS := $(foreach g,$(C_GUESTS),$(BUILD)/guests/$(g).elf) $(BUILD)/guests/real16.elf

# Hostile guests (tests/scenarios/test_containment.py): one folder each under guests/hostile/,
# linked with the guest library and its exception handling.
HOSTILE_GUESTS := heartbeat fuzzer ram-edge mmio-probe kan-image triple-fault cli-hlt cli-spin \
	port-sweep reset-ports msr-poke vmx-insns cr-abuse cr0-share tpr-raise cpuid-storm \
	hypercall-storm console-flood
HOSTILE_GUESTS += string-io
GUEST_TRAP_LIB := $(BUILD)/obj/guests/lib/trap.o $(BUILD)/obj/guests/lib/trap_stubs.asm.o
GUEST_ELFS += $(foreach g,$(HOSTILE_GUESTS),$(BUILD)/guests/$(g).elf)

# apic-abuse (tests/scenarios/test_apic_hostile.py): two vCPUs, its AP's start-up code and
# interrupt entry in assembly.
APIC_ABUSE_OBJ := $(addprefix $(BUILD)/obj/guests/hostile/apic-abuse/,apic-abuse.o apic.o stubs.asm.o)
GUEST_ELFS += $(BUILD)/guests/apic-abuse.elf
$(BUILD)/guests/apic-abuse.elf: $(APIC_ABUSE_OBJ) $(GUEST_LIB) $(GUEST_TRAP_LIB) guests/lib/guest.ld
	@mkdir -p $(dir $@)
	@echo "LD    $@"
	@$(LD) $(LDFLAGS) -T guests/lib/guest.ld -o $@ $(GUEST_LIB) $(GUEST_TRAP_LIB) $(APIC_ABUSE_OBJ)

# The benchmark guest, and the same compute loop as a bare multiboot2 kernel (make bench).
GUEST_ELFS += $(BUILD)/guests/bench.elf
BARE_BENCH := $(BUILD)/bench/bare-compute.elf

# Guests built with SSE (and AVX where offered): the guest library's C built a second time
# without -mgeneral-regs-only, and a start-up that turns SSE on (guests/lib/start64_sse.asm).
# They link the ordinary trap library, so an exception never touches a vector register.
SSE_GUEST_CFLAGS := $(filter-out -mgeneral-regs-only,$(GUEST_CFLAGS)) -msse4.2
GUEST_LIB_SSE := $(BUILD)/obj/guests-sse/lib/guest.o $(BUILD)/obj/guests/lib/start64_sse.asm.o

# The isolation guest, holder and spy of a core's state (tests/scenarios/test_isolation.py).
ISOLATION_OBJ := $(patsubst guests/%.c,$(BUILD)/obj/guests-sse/%.o,\
	$(wildcard guests/hostile/isolation/*.c)) $(BUILD)/obj/guests/hostile/isolation/switch.asm.o
GUEST_ELFS += $(BUILD)/guests/isolation.elf

# The virtio fuzzer (tests/scenarios/test_virtio_fuzz.py): built with SSE, which its loop uses.
VIRTIOFUZZ_OBJ := $(patsubst guests/%.c,$(BUILD)/obj/guests-sse/%.o,\
	$(wildcard guests/virtiofuzz/*.c))
GUEST_ELFS += $(BUILD)/guests/virtiofuzz.elf

# A real-mode guest that takes #GP and #UD through its own IVT (test_isolation.py).
GUEST_ELFS += $(BUILD)/guests/realfault.elf

# Hypercalls through the other vendor's instruction (test_hypercall_vendor.py).
GUEST_ELFS += $(BUILD)/guests/vmmcall.elf $(BUILD)/guests/vmmcall16.elf

# The SMP guest (issue 15: INIT-SIPI-SIPI, IPIs, LAPIC timers), and the same objects as a bare
# multiboot image for QEMU's -kernel (make smp-guest-check).
SMP_OBJ := $(patsubst guests/%.c,$(BUILD)/obj/guests/%.o,$(wildcard guests/smp/*.c)) \
	$(BUILD)/obj/guests/smp/trampoline.asm.o $(BUILD)/obj/guests/smp/stubs.asm.o
GUEST_ELFS += $(BUILD)/guests/smp.elf
SMP_BARE := $(BUILD)/smp/smp-bare.bin

# The Multiboot 1 test kernel and its spoiled copies (test_multiboot.py; rules further down).
MB1_COPIES := $(foreach v,aout no-header bad-checksum video-mode beyond-ram entry-outside \
	over-info,$(BUILD)/guests/mb1-$(v).elf)
GUEST_ELFS += $(BUILD)/guests/mb1.elf $(BUILD)/guests/mb1-elf64.elf $(MB1_COPIES)
# The Multiboot2 test kernel and its copies, the same way.
MB2_COPIES := $(foreach v,addr no-header bad-checksum wrong-arch unknown-tag framebuffer \
	beyond-ram entry-outside,$(BUILD)/guests/mb2-$(v).elf)
GUEST_ELFS += $(BUILD)/guests/mb2.elf $(BUILD)/guests/mb2-elf64.elf $(MB2_COPIES)

SCENARIOS  := $(basename $(notdir $(wildcard iso/scenarios/*.cfg)))
SCENARIO_ISOS := $(foreach s,$(SCENARIOS),$(BUILD)/iso/$(s).iso)
SCENARIO_ISOS += $(BUILD)/iso/trace-fair.iso # test_trace.py: fair, traced from boot

.PHONY: all iso scenario-isos run test test-qemu unit-tests scenarios deps clean format lint bench trace \
	linux-guest xen-guest linux-demo bench-linux disk-image linux-guest-check smp-guest-check
all: $(BUILD)/kan.elf $(GUEST_ELFS)

# The VM-exit fast path runs without frame pointers; backtraces through it lose a frame.
EXIT_PATH_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard vmx/exit_*.c)) \
	$(BUILD)/obj/kernel/cpuid_policy.o $(BUILD)/obj/kernel/cpuid_extended.o \
	$(BUILD)/obj/kernel/hypercall.o
$(EXIT_PATH_OBJ): KERNEL_CFLAGS += -fomit-frame-pointer

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "CC    $<"
	@$(CC) $(KERNEL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.asm.o: %.asm
	@mkdir -p $(dir $@)
	@echo "NASM  $<"
	@$(NASM) -f elf64 -g -F dwarf $< -o $@

$(BUILD)/kan.elf: $(KERNEL_OBJ) linker.ld
	@echo "LD    $@"
	@$(LD) $(LDFLAGS) -T linker.ld -o $@ $(KERNEL_OBJ)

$(BUILD)/obj/guests/%.o: guests/%.c
	@mkdir -p $(dir $@)
	@echo "CC    $< (guest)"
	@$(CC) $(GUEST_CFLAGS) -MMD -MP -c $< -o $@

# Make cannot match two % in one path, so spell the per-guest object rule out.
define C_GUEST_RULE
$(BUILD)/guests/$(1).elf: $(BUILD)/obj/guests/$(1)/$(1).o $(GUEST_LIB) guests/lib/guest.ld
	@mkdir -p $$(dir $$@)
	@echo "LD    $$@"
	@$(LD) $(LDFLAGS) -T guests/lib/guest.ld -o $$@ $(GUEST_LIB) $$<
endef
$(foreach g,$(C_GUESTS),$(eval $(call C_GUEST_RULE,$(g))))

define HOSTILE_GUEST_RULE
$(BUILD)/guests/$(1).elf: $(BUILD)/obj/guests/hostile/$(1)/$(1).o $(GUEST_LIB) $(GUEST_TRAP_LIB) \
		guests/lib/guest.ld
	@mkdir -p $$(dir $$@)
	@echo "LD    $$@"
	@$(LD) $(LDFLAGS) -T guests/lib/guest.ld -o $$@ $(GUEST_LIB) $(GUEST_TRAP_LIB) $$<
endef
$(foreach g,$(HOSTILE_GUESTS),$(eval $(call HOSTILE_GUEST_RULE,$(g))))

$(BUILD)/guests/bench.elf: $(BUILD)/obj/guests/bench/bench.o $(BUILD)/obj/guests/bench/compute.o \
		$(BUILD)/obj/guests/bench/xstate.o $(GUEST_LIB) guests/lib/guest.ld
	@mkdir -p $(dir $@)
	@echo "LD    $@"
	@$(LD) $(LDFLAGS) -T guests/lib/guest.ld -o $@ $(filter %.o,$^)

# AMD's hypercall instruction under VT-x (tests/scenarios/test_hypercall_vendor.py).
$(BUILD)/guests/vmmcall.elf: $(BUILD)/obj/guests/vmmcall/vmmcall.o $(GUEST_LIB) $(GUEST_TRAP_LIB) \
		guests/lib/guest.ld
	@mkdir -p $(dir $@)
	@echo "LD    $@"
	@$(LD) $(LDFLAGS) -T guests/lib/guest.ld -o $@ $(filter %.o,$^)

$(BUILD)/guests/vmmcall16.elf: guests/vmmcall/vmmcall16.asm
	@mkdir -p $(BUILD)/obj/guests/vmmcall $(dir $@)
	@echo "NASM  $< (guest)"
	@$(NASM) -f elf32 $< -o $(BUILD)/obj/guests/vmmcall/vmmcall16.o
	@$(LD) -m elf_i386 -nostdlib -Ttext=0x8000 -e _start -o $@ $(BUILD)/obj/guests/vmmcall/vmmcall16.o

$(BUILD)/guests/smp.elf: $(SMP_OBJ) $(GUEST_LIB) $(GUEST_TRAP_LIB) guests/lib/guest.ld
	@mkdir -p $(dir $@)
	@echo "LD    $@"
	@$(LD) $(LDFLAGS) -T guests/lib/guest.ld -o $@ $(filter %.o,$^)

$(SMP_BARE): $(BUILD)/obj/guests/smp/bare/bare.asm.o $(SMP_OBJ) $(GUEST_LIB) $(GUEST_TRAP_LIB) \
		guests/smp/bare/bare.ld
	@mkdir -p $(dir $@)
	@echo "LD    $@"
	@$(LD) $(LDFLAGS) -T guests/smp/bare/bare.ld -o $(@:.bin=.elf) $(filter %.o,$^)
	@objcopy -O binary $(@:.bin=.elf) $@

$(SMP_BARE:.bin=.iso): $(SMP_BARE) guests/smp/bare/grub.cfg
	@rm -rf $@.d && mkdir -p $@.d/boot/grub
	@cp $(SMP_BARE) $@.d/boot/ && cp guests/smp/bare/grub.cfg $@.d/boot/grub/
	@grub-mkrescue -o $@ $@.d >$@.log 2>&1 || (cat $@.log; exit 1)
	@rm -rf $@.d
	@echo "ISO   $@"

smp-guest-check: deps $(SMP_BARE) $(SMP_BARE:.bin=.iso)
	@guests/smp/bare/check.sh $(SMP_BARE) $(SMP_BARE:.bin=.iso)

# kan's own boot code (entry and multiboot2 header) brings the bare benchmark to long mode.
$(BARE_BENCH): $(BUILD)/obj/boot/entry.asm.o $(BUILD)/obj/boot/multiboot2_header.asm.o \
		$(BUILD)/obj/guests/bench/bare.o $(BUILD)/obj/guests/bench/compute.o linker.ld
	@mkdir -p $(dir $@)
	@echo "LD    $@"
	@$(LD) $(LDFLAGS) -T linker.ld -o $@ $(filter %.o,$^)

$(BUILD)/iso/bare-compute.iso: $(BARE_BENCH) iso/bare-compute.cfg
	@rm -rf $@.d && mkdir -p $@.d/boot/grub
	@cp $(BARE_BENCH) $@.d/boot/bare-compute.elf
	@{ $(GFXPAYLOAD_TEXT) iso/bare-compute.cfg; } > $@.d/boot/grub/grub.cfg
	@grub-mkrescue -o $@ $@.d >$@.log 2>&1 || (cat $@.log; exit 1)
	@rm -rf $@.d
	@echo "ISO   $@"

$(BUILD)/obj/guests-sse/%.o: guests/%.c
	@mkdir -p $(dir $@)
	@echo "CC    $< (guest, SSE)"
	@$(CC) $(SSE_GUEST_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/guests/isolation.elf: $(ISOLATION_OBJ) $(GUEST_LIB_SSE) $(GUEST_TRAP_LIB) guests/lib/guest.ld
	@mkdir -p $(dir $@)
	@echo "LD    $@"
	@$(LD) $(LDFLAGS) -T guests/lib/guest.ld -o $@ $(GUEST_LIB_SSE) $(GUEST_TRAP_LIB) \
		$(ISOLATION_OBJ)

$(BUILD)/guests/virtiofuzz.elf: $(VIRTIOFUZZ_OBJ) $(GUEST_LIB_SSE) $(GUEST_TRAP_LIB) guests/lib/guest.ld
	@mkdir -p $(dir $@)
	@echo "LD    $@"
	@$(LD) $(LDFLAGS) -T guests/lib/guest.ld -o $@ $(GUEST_LIB_SSE) $(GUEST_TRAP_LIB) \
		$(VIRTIOFUZZ_OBJ)

$(BUILD)/guests/realfault.elf: guests/hostile/realfault/realfault.asm
	@mkdir -p $(BUILD)/obj/guests/hostile/realfault $(dir $@)
	@echo "NASM  $< (guest)"
	@$(NASM) -f elf32 $< -o $(BUILD)/obj/guests/hostile/realfault/realfault.o
	@$(LD) -m elf_i386 -nostdlib -Ttext=0x8000 -e _start -o $@ \
		$(BUILD)/obj/guests/hostile/realfault/realfault.o

# The PAE-paging guest (tests/scenarios/test_isolation.py): real mode first, like real16.
GUEST_ELFS += $(BUILD)/guests/pae32.elf
$(BUILD)/guests/pae32.elf: guests/pae32/pae32.asm
	@mkdir -p $(BUILD)/obj/guests/pae32 $(dir $@)
	@echo "NASM  $< (guest)"
	@$(NASM) -f elf32 $< -o $(BUILD)/obj/guests/pae32/pae32.o
	@$(LD) -m elf_i386 -nostdlib -Ttext=0x8000 -e _start -o $@ $(BUILD)/obj/guests/pae32/pae32.o

$(BUILD)/guests/real16.elf: guests/real16/real16.asm
	@mkdir -p $(BUILD)/obj/guests/real16 $(dir $@)
	@echo "NASM  $< (guest)"
	@$(NASM) -f elf32 $< -o $(BUILD)/obj/guests/real16/real16.o
	@$(LD) -m elf_i386 -nostdlib -Ttext=0x8000 -e _start -o $@ $(BUILD)/obj/guests/real16/real16.o

# The Multiboot test kernels mb1 (kind=multiboot) and mb2 (kind=multiboot2) of
# tests/scenarios/test_multiboot.py: 32-bit C and nasm, written to the specifications alone,
# with guests/lib32 (output, checks, the entry) and mb1's linker script. mbN-elf64.elf is the
# same as ELF64; make-images.py makes copies loaded by address fields and spoiled ones, one
# rule broken in each.
MB1_CFLAGS := $(filter-out -mno-red-zone,$(FREESTANDING)) $(WARNINGS) -m32
$(BUILD)/obj/guests/lib32/check.o: guests/lib32/check.c guests/lib32/check.h
	@mkdir -p $(dir $@)
	@$(CC) $(MB1_CFLAGS) -c $< -o $@
define MB_KERNEL
$(BUILD)/guests/$(1).elf: guests/$(1)/start.asm guests/$(1)/$(1).c guests/mb1/mb1.ld \
		guests/lib32/entry.inc $(BUILD)/obj/guests/lib32/check.o
	@mkdir -p $(BUILD)/obj/guests/$(1) $$(dir $$@)
	@echo "CC    guests/$(1) (32-bit guest)"
	@$(NASM) -f elf32 guests/$(1)/start.asm -o $(BUILD)/obj/guests/$(1)/start.o
	@$(CC) $(MB1_CFLAGS) -c guests/$(1)/$(1).c -o $(BUILD)/obj/guests/$(1)/$(1).o
	@$(LD) -m elf_i386 -nostdlib -z max-page-size=0x1000 -z noexecstack \
		--no-warn-rwx-segments -T guests/mb1/mb1.ld -o $$@ \
		$(BUILD)/obj/guests/$(1)/start.o $(BUILD)/obj/guests/$(1)/$(1).o \
		$(BUILD)/obj/guests/lib32/check.o
$(BUILD)/guests/$(1)-elf64.elf: $(BUILD)/guests/$(1).elf
	@objcopy -I elf32-i386 -O elf64-x86-64 $$< $$@
endef
$(foreach k,mb1 mb2,$(eval $(call MB_KERNEL,$(k))))
$(MB1_COPIES) &: $(BUILD)/guests/mb1.elf guests/mb1/make-images.py
	@$(PYTHON) guests/mb1/make-images.py $< $(BUILD)/guests
$(MB2_COPIES) &: $(BUILD)/guests/mb2.elf guests/mb2/make-images.py guests/mb1/make-images.py
	@$(PYTHON) guests/mb2/make-images.py $< $(BUILD)/guests

# The assembly guests' hypercall instruction, VMCALL or VMMCALL, comes from one include.
$(BUILD)/guests/real16.elf $(BUILD)/guests/pae32.elf $(BUILD)/guests/realfault.elf \
		$(BUILD)/obj/guests/lib/start64.asm.o $(BUILD)/obj/guests/lib/start64_sse.asm.o \
		$(BUILD)/obj/guests/hostile/isolation/switch.asm.o: guests/include/kan_hypercall.inc

# An ISO is kan, every guest, and one grub.cfg (and the disk images in $(4), more guests in
# $(5), if any).
define MAKE_ISO
	@rm -rf $(2).d && mkdir -p $(2).d/boot/grub $(2).d/boot/guests $(2).d/boot/disks
	@cp $(BUILD)/kan.elf $(2).d/boot/kan.elf
	@cp $(GUEST_ELFS) $(5) $(2).d/boot/guests/
	$(if $(4),@cp $(4) $(2).d/boot/disks/)
	@{ $(if $(3),grep -q gfxpayload $(1) && cat $(1) || $(GFXPAYLOAD_TEXT) $(1),cat $(1)); } \
		> $(2).d/boot/grub/grub.cfg
	@grub-mkrescue -o $(2) $(2).d >$(2).log 2>&1 || (cat $(2).log; exit 1)
	@rm -rf $(2).d
	@echo "ISO   $(2)"
endef

iso: $(BUILD)/kan.iso
$(BUILD)/kan.iso: $(BUILD)/kan.elf $(GUEST_ELFS) iso/grub.cfg
	$(call MAKE_ISO,iso/grub.cfg,$@)

# The checks (not mounted, not the system disk, typed confirmation) are in iso/make-usb.sh.
.PHONY: usb
usb: $(BUILD)/kan.iso
	@iso/make-usb.sh "$(DEV)" $(BUILD)/kan.iso

# Scenario ISOs keep GRUB in text mode unless their cfg sets gfxpayload itself: kan asks for
# a framebuffer, and Bochs's rfb display ends Bochs on graphics deeper than 8 bits per pixel.
# The setting must follow the multiboot2 line, which sets gfxpayload from kan's request.
GFXPAYLOAD_TEXT := sed '/^[[:space:]]*multiboot2 /a set gfxpayload=text'
scenario-isos: $(SCENARIO_ISOS)
$(BUILD)/iso/%.iso: iso/scenarios/%.cfg $(BUILD)/kan.elf $(GUEST_ELFS)
	@mkdir -p $(dir $@)
	$(call MAKE_ISO,$<,$@,text)

# The virtio fuzzer's own disk (test_virtio_fuzz.py): 1 MiB of 0xff bytes, which read as
# descriptors are malformed ones.
$(BUILD)/disks/fuzz.img:
	@mkdir -p $(dir $@)
	@head -c 1048576 /dev/zero | tr '\0' '\377' > $@
$(BUILD)/iso/virtio-fuzz.iso: iso/scenarios/virtio-fuzz.cfg $(BUILD)/kan.elf $(GUEST_ELFS) \
		$(BUILD)/disks/fuzz.img
	@mkdir -p $(dir $@)
	$(call MAKE_ISO,$<,$@,text,$(BUILD)/disks/fuzz.img)

# make trace: a scenario with kan kept up after its VMs end (on_empty=wait) and tracing runs
# from boot (trace=runs), so that tools/trace.py can dump the whole timeline (README, "trace").
SCENARIO ?= fair
$(BUILD)/iso/trace-%.iso: iso/scenarios/%.cfg $(BUILD)/kan.elf $(GUEST_ELFS)
	@mkdir -p $(BUILD)/trace
	@sed '/^[[:space:]]*multiboot2 /s/$$/ on_empty=wait trace=runs/' $< > $(BUILD)/trace/$*.cfg
	$(call MAKE_ISO,$(BUILD)/trace/$*.cfg,$@,text)
trace: deps
	@$(MAKE) --no-print-directory all $(BUILD)/iso/trace-$(SCENARIO).iso
	@$(PYTHON) tools/trace.py $(SCENARIO)

# Bochs's rfb display ends Bochs on kan's framebuffer: there, the demo scenario's ISO (text).
RUN_ISO = $(if $(filter bochs,$(EMU)),$(BUILD)/iso/demo.iso,$(BUILD)/kan.iso)
run: deps $(RUN_ISO)
	$(PYTHON) tests/scenarios/kanemu.py $(EMU) $(RUN_ISO)

test: deps
	@$(MAKE) --no-print-directory all scenario-isos unit-tests-build
	@tests/run-all.sh

# The scenarios marked qemu_svm (tests/scenarios/conftest.py), without the unit tests; one at a
# time (QEMU_JOBS), as each QEMU runs a thread per CPU: two at once on 2 cores moved the shares.
QEMU_JOBS ?= 1
test-qemu: deps
	@$(MAKE) --no-print-directory all scenario-isos
	@TIER=qemu_svm JOBS=$(QEMU_JOBS) tests/run-all.sh

unit-tests-build:
	@$(MAKE) --no-print-directory -C tests/unit

deps:
	@tests/install-deps.sh

# Linux as a guest (in progress): Debian's kernel and busybox, fetched once and cached.
linux-guest:
	@guests/linux/fetch.sh $(BUILD)/linux

# The ext4 images of the disk scenarios, from Debian's busybox (README, "Disks").
DISK_IMAGES := $(BUILD)/disks/test.img $(BUILD)/disks/ro.img
disk-image: $(DISK_IMAGES)
$(DISK_IMAGES) &: guests/linux/disk-image.sh | linux-guest
	@guests/linux/disk-image.sh $(BUILD)/disks $(BUILD)/linux/unpacked/bin/busybox

# The test /init's disk and network checks in QEMU's microvm, without kan (a few QEMUs at once).
linux-guest-check: deps disk-image
	@guests/linux/qemu-check.sh $(BUILD)/linux $(BUILD)/disks

# Debian's vmlinux out of its bzImage, for kind=pvh (the PVH note is checked); packed without
# its zeros (the same memory image in 34 MiB instead of 64, which GRUB reads slowly in Bochs).
$(BUILD)/linux/vmlinux: guests/linux/extract-vmlinux.py $(wildcard $(BUILD)/linux/vmlinuz) | linux-guest
	@$(PYTHON) guests/linux/extract-vmlinux.py $(BUILD)/linux/vmlinuz $@

# Scenarios named linux-*: the ISO also carries Debian's kernel and the initramfs (and its
# vmlinux, 34 MiB, where the scenario boots it).
$(BUILD)/iso/linux-%.iso: iso/scenarios/linux-%.cfg $(BUILD)/kan.elf $(GUEST_ELFS) \
		guests/linux/init guests/linux/fpu-job guests/linux/build-initramfs.py guests/linux/modules \
		$(DISK_IMAGES) $(BUILD)/disks/fuzz.img $(BUILD)/linux/vmlinux | linux-guest
	@rm -rf $@.d && mkdir -p $@.d/boot/grub $@.d/boot/guests $@.d/boot/linux $@.d/boot/disks
	@cp $(BUILD)/kan.elf $@.d/boot/kan.elf
	@cp $(GUEST_ELFS) $@.d/boot/guests/
	@cp $(BUILD)/linux/vmlinuz $(BUILD)/linux/initrd.img $@.d/boot/linux/
	@if grep -q /boot/linux/vmlinux $<; then cp $(BUILD)/linux/vmlinux $@.d/boot/linux/; fi
	@if grep -q /boot/disks/ $<; then cp $(DISK_IMAGES) $(BUILD)/disks/fuzz.img $@.d/boot/disks/; fi
	@{ grep -q gfxpayload $< && cat $< || $(GFXPAYLOAD_TEXT) $<; } > $@.d/boot/grub/grub.cfg
	@grub-mkrescue -o $@ $@.d >$@.log 2>&1 || (cat $@.log; exit 1)
	@rm -rf $@.d
	@echo "ISO   $@"

# Xen from Debian's package, a Multiboot kernel nobody here wrote (test_thirdparty.py).
xen-guest:
	@guests/xen/fetch.sh $(BUILD)/xen

# Scenarios named xen-*: the ISO also carries Xen as boot/guests/xen.elf.
$(BUILD)/iso/xen-%.iso: iso/scenarios/xen-%.cfg $(BUILD)/kan.elf $(GUEST_ELFS) | xen-guest
	@mkdir -p $(dir $@)
	$(call MAKE_ISO,$<,$@,text,,$(BUILD)/xen/xen.elf)

# Debian's kernel without kan, for make bench-linux.
$(BUILD)/iso/bare-linux.iso: iso/bare-linux.cfg guests/linux/init guests/linux/fpu-job \
		guests/linux/build-initramfs.py guests/linux/modules | linux-guest
	@rm -rf $@.d && mkdir -p $@.d/boot/grub $@.d/boot/linux
	@cp $(BUILD)/linux/vmlinuz $(BUILD)/linux/initrd.img $@.d/boot/linux/
	@cp $< $@.d/boot/grub/grub.cfg
	@grub-mkrescue -o $@ $@.d >$@.log 2>&1 || (cat $@.log; exit 1)
	@rm -rf $@.d
	@echo "ISO   $@"

linux-demo: deps $(BUILD)/iso/linux-early.iso
	$(PYTHON) tests/scenarios/kanemu.py bochs $(BUILD)/iso/linux-early.iso

# Figures: the bench scenarios (bench-smp on two CPUs) and the bare-metal reference in Bochs;
# table in build/bench.md.
bench: deps
	@$(MAKE) --no-print-directory all $(BUILD)/iso/bench.iso $(BUILD)/iso/bench-compute.iso \
		$(BUILD)/iso/bare-compute.iso $(BUILD)/iso/bench-smp.iso
	@$(PYTHON) tests/bench.py
	@$(MAKE) --no-print-directory $(BUILD)/iso/linux-bench.iso
	@$(PYTHON) tests/bench_virtio.py

# Linux's boot under kan (bzImage, and vmlinux by its PVH entry) and bare, in the same one-CPU
# Bochs; table in build/bench-linux.md. Then
# one vCPU against two and the idle cost (QEMU AMD-V; idle also in a one-CPU Bochs):
# build/bench-linux-smp.md.
bench-linux: deps
	@$(MAKE) --no-print-directory all $(BUILD)/iso/linux-solo.iso $(BUILD)/iso/bare-linux.iso \
		$(BUILD)/iso/linux-solo-pvh.iso
	@$(PYTHON) tests/bench_linux.py
	@$(MAKE) --no-print-directory $(BUILD)/iso/linux-bench-vcpus1.iso $(BUILD)/iso/linux-bench-vcpus2.iso \
		$(BUILD)/iso/linux-bench-idle-onecpu.iso
	@$(PYTHON) tests/bench_linux_smp.py

C_SOURCES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)

format:
	clang-format -i $(C_SOURCES)

# What CI checks besides make test: one style (.clang-format) and cppcheck on kan's code.
lint: deps
	@clang-format --dry-run --Werror $(C_SOURCES)
	@cppcheck --quiet --enable=warning,portability,performance --std=c11 --error-exitcode=1 \
		-I. --inline-suppr boot arch kernel drivers vmx svm
	@echo "lint: clang-format and cppcheck are clean"

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
