/*
 * ACPI's table directory: the RSDP (GRUB's copy, else the BIOS area), then the XSDT or RSDT.
 * Each table kan reads has its own file (acpi_madt.c, ...) built on acpi_find_table.
 */
#include "drivers/acpi.h"
#include "arch/x86_64/paging.h"
#include "kernel/string.h"

/* ACPI 6.x, 5.2.5.3 */
struct rsdp {
	char signature[8];
	uint8_t checksum;
	char oem[6];
	uint8_t revision;
	uint32_t rsdt;
	uint32_t length;
	uint64_t xsdt;
	uint8_t extended_checksum;
	uint8_t reserved[3];
} __attribute__((packed));

#define ACPI_TABLE_MAX (16u << 20) /* larger is a corrupt length, not a table */

static const struct acpi_header *root;
static bool root_is_xsdt;

bool acpi_checksum_ok(const void *p, uint32_t len)
{
	uint8_t sum = 0;
	for (uint32_t i = 0; i < len; i++)
		sum += ((const uint8_t *)p)[i];
	return sum == 0;
}

/* Legacy BIOS: the RSDP sits on a 16-byte boundary in 0xe0000-0xfffff (ACPI 5.2.5.1). */
static const struct rsdp *scan_bios_area(void)
{
	for (uintptr_t p = 0xe0000; p < 0x100000; p += 16)
		if (!memcmp((const void *)p, "RSD PTR ", 8) &&
		    acpi_checksum_ok((const void *)p, 20))
			return (const struct rsdp *)p;
	return NULL;
}

/* kan maps the low 4 GiB and RAM; a table elsewhere (above 4 GiB, in the firmware's ACPI
 * memory, which is not RAM) is mapped here, read-only and NX, before it is read. */
static bool map_table(uint64_t addr, uint64_t length)
{
	return paging_map(addr, addr + length, PAGE_PRESENT | PAGE_NX);
}

static const struct acpi_header *valid_table(uint64_t addr)
{
	if (!addr || !map_table(addr, sizeof(struct acpi_header)))
		return NULL;
	const struct acpi_header *t = (const void *)(uintptr_t)addr;
	if (t->length < sizeof(*t) || t->length > ACPI_TABLE_MAX || !map_table(addr, t->length) ||
	    !acpi_checksum_ok(t, t->length))
		return NULL;
	return t;
}

bool acpi_init(const uint8_t *rsdp_copy, int rsdp_revision, const char **why)
{
	const struct rsdp *rsdp = rsdp_revision >= 0 ? (const void *)rsdp_copy : scan_bios_area();
	if (!rsdp) {
		*why = "no ACPI RSDP";
		return false;
	}
	root_is_xsdt = rsdp->revision >= 2 && rsdp->xsdt;
	root = valid_table(root_is_xsdt ? rsdp->xsdt : rsdp->rsdt);
	if (!root) {
		*why = "the ACPI RSDT/XSDT is missing or corrupt";
		return false;
	}
	return true;
}

const struct acpi_header *acpi_find_table(const char signature[4], unsigned instance)
{
	if (!root)
		return NULL;
	unsigned entry_size = root_is_xsdt ? 8 : 4;
	unsigned n = (root->length - sizeof(*root)) / entry_size;
	const uint8_t *entries = (const uint8_t *)(root + 1);
	for (unsigned i = 0; i < n; i++) {
		uint64_t addr = 0;
		memcpy(&addr, entries + i * entry_size, entry_size);
		const struct acpi_header *t = valid_table(addr);
		if (t && !memcmp(t->signature, signature, 4) && instance-- == 0)
			return t;
	}
	return NULL;
}
