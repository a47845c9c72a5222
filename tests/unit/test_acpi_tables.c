/* The ACPI tables of a Linux VM (kernel/devices/acpi_tables.c): what Linux's ACPICA checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/acpi.h"
#include "kernel/devices/acpi_tables.h"
#include "kernel/devices/pcboard.h"
#include "kernel/devices/vioapic.h"

#define GPA 0xe0000u

static uint8_t block[ACPI_TABLES_SIZE + 64];

static uint32_t u32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint64_t u64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/* The host view of guest-physical `gpa`, checked to lie in the block. */
static const uint8_t *at(uint64_t gpa)
{
	assert_true(gpa >= GPA && gpa < GPA + ACPI_TABLES_SIZE);
	return block + (gpa - GPA);
}

/* A table with a valid header: its signature, a length inside the block, sum zero. */
static const uint8_t *table(uint64_t gpa, const char *signature)
{
	const uint8_t *t = at(gpa);
	assert_memory_equal(t, signature, 4);
	uint32_t length = u32(t + 4);
	assert_true(length >= 36 && gpa - GPA + length <= ACPI_TABLES_SIZE);
	uint8_t sum = 0;
	for (uint32_t i = 0; i < length; i++)
		sum = (uint8_t)(sum + t[i]);
	assert_int_equal(sum, 0);
	return t;
}

static const uint8_t *build(void)
{
	memset(block, 0xa5, sizeof(block));
	uint64_t rsdp = acpi_tables_build(block, GPA, &(struct acpi_board){ 0 });
	assert_int_equal(rsdp % 16, 0); /* Linux scans on 16-byte boundaries */
	return at(rsdp);
}

static void the_rsdp_is_valid_and_points_at_both_root_tables(void **state)
{
	(void)state;
	const uint8_t *rsdp = build();
	assert_memory_equal(rsdp, "RSD PTR ", 8);
	assert_int_equal(rsdp[15], 2);
	assert_int_equal(u32(rsdp + 20), 36);
	uint8_t sum20 = 0, sum36 = 0;
	for (int i = 0; i < 36; i++) {
		sum36 = (uint8_t)(sum36 + rsdp[i]);
		if (i < 20)
			sum20 = (uint8_t)(sum20 + rsdp[i]);
	}
	assert_int_equal(sum20, 0);
	assert_int_equal(sum36, 0);
	const uint8_t *rsdt = table(u32(rsdp + 16), "RSDT");
	const uint8_t *xsdt = table(u64(rsdp + 24), "XSDT");
	assert_int_equal(u32(rsdt + 4), 40);
	assert_int_equal(u32(xsdt + 4), 44);
	assert_int_equal(u32(rsdt + 36), u64(xsdt + 36)); /* both list the same FADT */
	table(u64(xsdt + 36), "FACP");
}

static void the_fadt_describes_kans_board(void **state)
{
	(void)state;
	const uint8_t *rsdp = build();
	const uint8_t *fadt = table(u64(at(u64(rsdp + 24)) + 36), "FACP");
	assert_int_equal(u32(fadt + 4), 276);
	assert_int_equal(fadt[8], 6);
	assert_int_equal(fadt[46] | fadt[47] << 8, PCBOARD_SCI_IRQ);
	assert_int_equal(u32(fadt + 48), 0); /* no SMI_CMD: always in ACPI mode */
	assert_int_equal(u32(fadt + 56), PCBOARD_PM_BASE);
	assert_int_equal(u32(fadt + 64), PCBOARD_PM_BASE + 4);
	assert_int_equal(u32(fadt + 76), PCBOARD_PM_BASE + 8);
	assert_int_equal(fadt[88], 4);
	assert_int_equal(fadt[89], 2);
	assert_int_equal(fadt[91], 4);
	uint16_t boot_arch = (uint16_t)(fadt[109] | fadt[110] << 8);
	assert_int_equal(boot_arch & 0x02, 0);		   /* no 8042 */
	assert_int_equal(boot_arch & 0x04, 0x04);	   /* no VGA */
	assert_int_equal(boot_arch & 0x20, 0);		   /* a CMOS RTC, */
	assert_int_equal(fadt[108], PCBOARD_CMOS_CENTURY); /* with a century register */
	uint32_t flags = u32(fadt + 112);
	assert_int_equal(flags & (1u << 10), 1u << 10); /* RESET_REG_SUP */
	assert_int_equal(flags & (1u << 20), 0);	/* not hardware-reduced: keeps the PIC */
	assert_int_equal(fadt[116], 1);			/* reset register in system I/O */
	assert_int_equal(fadt[117], 8);
	assert_int_equal(u64(fadt + 120), PCBOARD_RESET_CTL);
	assert_int_equal(fadt[128], PCBOARD_RESET_VALUE);
	const uint8_t *facs = at(u32(fadt + 36));
	assert_memory_equal(facs, "FACS", 4);
	assert_int_equal(u32(facs + 4), 64);
	assert_int_equal(u32(fadt + 36) % 64, 0);
	table(u32(fadt + 40), "DSDT");
}

static void the_dsdt_names_s5_with_the_boards_sleep_type(void **state)
{
	(void)state;
	const uint8_t *rsdp = build();
	const uint8_t *fadt = at(u32(at(u32(rsdp + 16)) + 36));
	const uint8_t *dsdt = table(u32(fadt + 40), "DSDT");
	const uint8_t s5[] = { 0x08, '_',
			       'S',  '5',
			       '_',  0x12,
			       0x08, 0x04,
			       0x0a, PCBOARD_S5_SLP_TYP,
			       0x0a, PCBOARD_S5_SLP_TYP,
			       0x00, 0x00 };
	assert_int_equal(u32(dsdt + 4), 36 + sizeof(s5));
	assert_memory_equal(dsdt + 36, s5, sizeof(s5));
}

static void nothing_is_written_outside_the_block(void **state)
{
	(void)state;
	build();
	for (size_t i = ACPI_TABLES_SIZE; i < sizeof(block); i++)
		assert_int_equal(block[i], 0xa5);
}

static void a_checksum_makes_the_sum_zero(void **state)
{
	(void)state;
	uint8_t bytes[5] = { 1, 2, 3, 250, 0 };
	bytes[4] = acpi_checksum(bytes, 4);
	assert_int_equal((uint8_t)(1 + 2 + 3 + 250 + bytes[4]), 0);
	assert_int_equal(acpi_checksum(bytes, 0), 0);
}

/* ---- the virtio-mmio devices in the DSDT, read back the way ACPICA parses AML ---- */

static const struct acpi_mmio_device virtio[] = {
	{ 0xfe000000u, 0x1000, 10 }, { 0xfe001000u, 0x1000, 11 }, { 0xfe002000u, 0x1000, 12 },
	{ 0xfe003000u, 0x1000, 13 }, { 0xfe004000u, 0x1000, 14 }, /* one more than the DSDT holds */
};

static const uint8_t *build_with(unsigned count)
{
	memset(block, 0xa5, sizeof(block));
	struct acpi_board board = { .devices = virtio, .device_count = count };
	uint64_t rsdp = acpi_tables_build(block, GPA, &board);
	const uint8_t *fadt = table(u32(at(rsdp) + 16), "RSDT");
	fadt = table(u32(fadt + 36), "FACP");
	return table(u32(fadt + 40), "DSDT");
}

/* A PkgLength (ACPI 6.5, 20.2.4) at *p: returns where the package ends and moves *p past the
 * encoding. */
static const uint8_t *pkg_end(const uint8_t **p)
{
	const uint8_t *start = *p;
	unsigned follow = start[0] >> 6, len = start[0] & 0x3f;
	if (follow) {
		assert_int_equal(start[0] & 0x30, 0); /* bits 4-5 are reserved then */
		len = start[0] & 0x0f;
		for (unsigned i = 0; i < follow; i++)
			len |= (unsigned)start[1 + i] << (4 + 8 * i);
	}
	*p = start + 1 + follow;
	return start + len;
}

static void expect_bytes(const uint8_t **p, const void *bytes, size_t n)
{
	assert_memory_equal(*p, bytes, n);
	*p += n;
}

/* Device (VRnn) { Name (_HID, "LNRO0005") Name (_UID, n) Name (_CRS, ...) }, at *p. */
static void expect_device(const uint8_t **p, unsigned n)
{
	const uint8_t *q = *p;
	char name[5];
	snprintf(name, sizeof(name), "VR%02u", n);
	expect_bytes(&q, "\x5b\x82", 2);
	const uint8_t *end = pkg_end(&q);
	expect_bytes(&q, name, 4);
	expect_bytes(&q, "\x08_HID\x0dLNRO0005", 15); /* with the string's NUL */
	expect_bytes(&q, "\x08_UID\x0a", 6);
	assert_int_equal(*q++, n);
	expect_bytes(&q, "\x08_CRS\x11", 6);
	const uint8_t *buffer_end = pkg_end(&q);
	assert_int_equal(*q++, 0x0a);
	unsigned size = *q++;
	assert_ptr_equal(q + size, buffer_end);
	assert_ptr_equal(buffer_end, end);
	/* Memory32Fixed (ReadWrite, base, size) */
	expect_bytes(&q, "\x86\x09\x00\x01", 4);
	assert_int_equal(u32(q), virtio[n].base);
	assert_int_equal(u32(q + 4), virtio[n].size);
	q += 8;
	/* Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) { irq } */
	expect_bytes(&q, "\x89\x06\x00\x03\x01", 5);
	assert_int_equal(u32(q), virtio[n].irq);
	q += 4;
	expect_bytes(&q, "\x79\x00", 2); /* the end tag */
	assert_ptr_equal(q, end);
	*p = end;
}

/* The _S5 object, then Scope (\_SB) holding `count` devices, ending where the table ends. */
static void expect_devices(const uint8_t *dsdt, unsigned count)
{
	const uint8_t *p = dsdt + 36 + 14, *table_end = dsdt + u32(dsdt + 4);
	assert_int_equal(dsdt[36], 0x08); /* _S5 first, unchanged */
	expect_bytes(&p, "\x10", 1);
	const uint8_t *end = pkg_end(&p);
	assert_ptr_equal(end, table_end);
	expect_bytes(&p, "\\_SB_", 5);
	for (unsigned n = 0; n < count; n++)
		expect_device(&p, n);
	assert_ptr_equal(p, end);
}

static void the_dsdt_describes_each_virtio_window(void **state)
{
	(void)state;
	expect_devices(build_with(1), 1);
	expect_devices(build_with(2), 2);
	expect_devices(build_with(ACPI_MMIO_DEVICES_MAX), ACPI_MMIO_DEVICES_MAX);
	for (size_t i = ACPI_TABLES_SIZE; i < sizeof(block); i++)
		assert_int_equal(block[i], 0xa5);
}

static void the_dsdt_holds_at_most_its_devices(void **state)
{
	(void)state;
	expect_devices(build_with(ACPI_MMIO_DEVICES_MAX + 1), ACPI_MMIO_DEVICES_MAX);
}

static void without_devices_the_dsdt_has_no_scope(void **state)
{
	(void)state;
	const uint8_t *dsdt = build_with(0);
	assert_int_equal(u32(dsdt + 4), 36 + 14);
}

/* ---- the MADT of a board with local APICs and an IOAPIC ---- */

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static uint64_t build_board(unsigned cpus, bool ioapic, unsigned device_count)
{
	memset(block, 0xa5, sizeof(block));
	struct acpi_board board = { cpus, ioapic, virtio, device_count };
	return acpi_tables_build(block, GPA, &board);
}

/* Boards without an IOAPIC keep the tables kan wrote before the MADT existed: the FNV-1a hash of
 * their first 0x400 bytes (the old ACPI_TABLES_SIZE), taken from the builder of commit ebef96b
 * with 0, 1, 2 and 4 of the virtio windows above. */
static void without_an_ioapic_the_tables_are_todays(void **state)
{
	(void)state;
	static const struct {
		unsigned devices;
		uint64_t hash;
	} before[] = {
		{ 0, 0xf5e65b61320e8a8eull },
		{ 1, 0x65d8caf62e6de1ecull },
		{ 2, 0x31b9129e1837495eull },
		{ 4, 0x2d9d8807cf5b1c42ull },
	};
	for (unsigned i = 0; i < 4; i++) {
		unsigned cpus[] = { 0, 1, 4 };
		for (unsigned c = 0; c < 3; c++) {
			build_board(cpus[c], false, before[i].devices);
			assert_int_equal(fnv1a(block, 0x400), before[i].hash);
			for (size_t b = 0x400; b < ACPI_TABLES_SIZE; b++)
				assert_int_equal(block[b], 0);
		}
		build_board(0, true, before[i].devices); /* an IOAPIC, but no CPU to list */
		assert_int_equal(fnv1a(block, 0x400), before[i].hash);
	}
}

static const uint8_t *madt_of(uint64_t rsdp_gpa)
{
	const uint8_t *rsdp = at(rsdp_gpa);
	const uint8_t *rsdt = table(u32(rsdp + 16), "RSDT");
	const uint8_t *xsdt = table(u64(rsdp + 24), "XSDT");
	assert_int_equal(u32(rsdt + 4), 36 + 2 * 4);
	assert_int_equal(u32(xsdt + 4), 36 + 2 * 8);
	table(u32(rsdt + 36), "FACP");
	assert_int_equal(u32(rsdt + 36), u64(xsdt + 36));
	assert_int_equal(u32(rsdt + 40), u64(xsdt + 44)); /* both list the same MADT */
	return table(u32(rsdt + 40), "APIC");
}

/* Reads the MADT entry by entry: what Linux's acpi_parse_madt sees for `cpus` vCPUs. */
static void expect_madt(const uint8_t *madt, unsigned cpus)
{
	assert_int_equal(u32(madt + 4), 44 + 8 * cpus + 12 + 2 * 10 + 6);
	assert_int_equal(madt[8], 5);
	assert_int_equal(u32(madt + 36), 0xfee00000u);
	assert_int_equal(u32(madt + 40), 1); /* PCAT_COMPAT */
	const uint8_t *e = madt + 44;
	for (unsigned i = 0; i < cpus; i++, e += 8) {
		const uint8_t lapic[] = { 0, 8, (uint8_t)i, (uint8_t)i, 1, 0, 0, 0 };
		assert_memory_equal(e, lapic, 8);
	}
	const uint8_t ioapic[] = { 1, 12, (uint8_t)cpus, 0, 0, 0, 0xc0, 0xfe, 0, 0, 0, 0 };
	assert_memory_equal(e, ioapic, 12);
	assert_int_equal(u32(e + 4), VIOAPIC_BASE);
	e += 12;
	const uint8_t pit[] = { 2, 10, 0, 0, 2, 0, 0, 0, 0, 0 }; /* IRQ 0 -> GSI 2, conforming */
	assert_memory_equal(e, pit, 10);
	e += 10;
	const uint8_t sci[] = { 2, 10, 0, PCBOARD_SCI_IRQ, PCBOARD_SCI_IRQ, 0, 0, 0, 0x0d, 0 };
	assert_memory_equal(e, sci, 10); /* level, active high */
	e += 10;
	const uint8_t nmi[] = { 4, 6, 0xff, 0, 0, 1 }; /* every processor's LINT1 */
	assert_memory_equal(e, nmi, 6);
	e += 6;
	assert_ptr_equal(e, madt + u32(madt + 4));
}

static void the_madt_lists_each_vcpu_and_the_ioapic(void **state)
{
	(void)state;
	unsigned counts[] = { 1, 2, 4, 16, ACPI_BOARD_CPUS_MAX };
	for (unsigned i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		expect_madt(madt_of(build_board(counts[i], true, ACPI_MMIO_DEVICES_MAX)),
			    counts[i]);
		for (size_t b = ACPI_TABLES_SIZE; b < sizeof(block); b++)
			assert_int_equal(block[b], 0xa5);
	}
	/* more vCPUs than the tables describe: the first ACPI_BOARD_CPUS_MAX */
	expect_madt(madt_of(build_board(ACPI_BOARD_CPUS_MAX + 1, true, 0)), ACPI_BOARD_CPUS_MAX);
}

static void with_a_madt_the_other_tables_stay(void **state)
{
	(void)state;
	build_board(4, true, ACPI_MMIO_DEVICES_MAX);
	uint8_t with[0x400];
	memcpy(with, block, sizeof(with));
	build_board(0, false, ACPI_MMIO_DEVICES_MAX);
	/* the RSDP, FACS, FADT and DSDT are byte for byte the same; the roots differ */
	assert_memory_equal(with, block, 0x40);
	assert_memory_equal(with + 0xc0, block + 0xc0, 0x400 - 0xc0);
	build_board(4, true, ACPI_MMIO_DEVICES_MAX);
	const uint8_t *fadt = table(u32(at(u32(block + 16)) + 36), "FACP");
	expect_devices(table(u32(fadt + 40), "DSDT"), ACPI_MMIO_DEVICES_MAX);
}

/* kan's own MADT reader (drivers/acpi_madt.c) finds the tables through this. */
static const struct acpi_header *found_madt;
const struct acpi_header *acpi_find_table(const char signature[4], unsigned instance)
{
	return !memcmp(signature, "APIC", 4) && !instance ? found_madt : NULL;
}

static void kans_madt_reader_agrees(void **state)
{
	(void)state;
	found_madt = (const struct acpi_header *)madt_of(build_board(4, true, 0));
	struct madt_info info;
	const char *why = NULL;
	assert_true(acpi_read_madt(&info, &why));
	assert_int_equal(info.cpu_count, 4);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(info.apic_ids[i], i);
	assert_int_equal(info.hotplug_count + info.disabled_count + info.duplicates, 0);
	assert_int_equal(info.ioapic_base, VIOAPIC_BASE);
	assert_int_equal(info.isa_gsi[0], 2);
	assert_int_equal(info.isa_gsi[9], PCBOARD_SCI_IRQ);
	assert_int_equal(info.isa_flags[9], 0x0d);
	for (unsigned irq = 1; irq < 16; irq++)
		assert_int_equal(info.isa_gsi[irq], irq);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_rsdp_is_valid_and_points_at_both_root_tables),
		cmocka_unit_test(the_fadt_describes_kans_board),
		cmocka_unit_test(the_dsdt_names_s5_with_the_boards_sleep_type),
		cmocka_unit_test(nothing_is_written_outside_the_block),
		cmocka_unit_test(a_checksum_makes_the_sum_zero),
		cmocka_unit_test(the_dsdt_describes_each_virtio_window),
		cmocka_unit_test(the_dsdt_holds_at_most_its_devices),
		cmocka_unit_test(without_devices_the_dsdt_has_no_scope),
		cmocka_unit_test(without_an_ioapic_the_tables_are_todays),
		cmocka_unit_test(the_madt_lists_each_vcpu_and_the_ioapic),
		cmocka_unit_test(with_a_madt_the_other_tables_stay),
		cmocka_unit_test(kans_madt_reader_agrees),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
